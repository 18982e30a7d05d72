/* store_log.c - the log itself: appends, heads and reads.
 *
 * Each append writes the entry's record (store_record.c), chained to the
 * entry before by its entry hash, and every index of the entry
 * (store_index.c) in the same transaction.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "format.h"

/* Index and entry hash of the newest log entry (0 and zeros when empty). */
static int log_tail(struct fsb_store *s, MDB_txn *txn, uint64_t *index, uint8_t hash[FSB_HASH_LEN])
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, s->dbi[DB_LOG], &c);
	if (rc)
		return store_fail(s, rc, "cannot read the log");
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		*index = 0;
		memset(hash, 0, FSB_HASH_LEN);
		return 0;
	}
	if (rc)
		return store_fail(s, rc, "cannot read the log");
	if (k.mv_size != 8 || v.mv_size < R_FIXED) {
		store_seterr(s, "log entry with a malformed key or record (data_dir %s)", s->dir);
		return FSB_ESTORE;
	}
	*index = get64(k.mv_data);
	memcpy(hash, (const uint8_t *)v.mv_data + R_EHASH, FSB_HASH_LEN);
	return 0;
}

/* Appends one entry that is known to be next in its stream. */
static int append_entry(struct fsb_store *s, MDB_txn *txn, const struct fsb_entry_in *in,
			uint64_t *index_out)
{
	uint64_t index;
	uint8_t prev[FSB_HASH_LEN];
	int rc = log_tail(s, txn, &index, prev);
	if (rc)
		return rc;
	index++;
	uint8_t ik[8];
	put64(ik, index);
	size_t rlen = store_record_size(in);
	MDB_val k = val(ik, 8), v = {rlen, NULL};
	if ((rc = mdb_put(txn, s->dbi[DB_LOG], &k, &v, MDB_RESERVE | MDB_APPEND)))
		return store_fail(s, rc, "cannot append to the log");
	uint8_t *r = v.mv_data;
	store_record_write(r, in);
	store_record_hash(r, rlen, index, prev, r + R_EHASH);

	struct fsb_entry e;
	if (store_record_read(r, rlen, index, &e)) {
		store_seterr(s, "log entry %llu was written unreadable (data_dir %s)",
			     (unsigned long long)index, s->dir);
		return FSB_ESTORE;
	}
	if ((rc = store_index_entry(s, txn, &e)))
		return rc;
	*index_out = index;
	return 0;
}

/* The head of origin's stream: seq 0, zero hash and issued_at INT64_MIN
 * when it has none. issued_at (may be NULL) comes from the head's log
 * record. */
static int read_head(struct fsb_store *s, MDB_txn *txn, const char *origin, uint64_t *seq,
		     uint8_t hash[FSB_HASH_LEN], int64_t *issued_at)
{
	MDB_val k = val(origin, strlen(origin)), v;
	int rc = mdb_get(txn, s->dbi[DB_HEADS], &k, &v);
	if (issued_at)
		*issued_at = INT64_MIN;
	if (rc == MDB_NOTFOUND) {
		*seq = 0;
		memset(hash, 0, FSB_HASH_LEN);
		return 0;
	}
	if (rc)
		return store_fail(s, rc, "cannot read a stream head");
	*seq = get64(v.mv_data);
	memcpy(hash, (const uint8_t *)v.mv_data + 8, FSB_HASH_LEN);
	if (!issued_at)
		return 0;
	uint8_t ik[8];
	memcpy(ik, (const uint8_t *)v.mv_data + 8 + FSB_HASH_LEN, 8);
	MDB_val lk = val(ik, 8), lv;
	if ((rc = mdb_get(txn, s->dbi[DB_LOG], &lk, &lv)))
		return store_fail(s, rc, "cannot read a stream head's entry");
	if (lv.mv_size < R_FIXED) {
		store_seterr(s, "log entry %llu is unreadable (data_dir %s)", (unsigned long long)get64(ik),
		       s->dir);
		return FSB_ESTORE;
	}
	*issued_at = (int64_t)get64((const uint8_t *)lv.mv_data + R_ISSUED);
	return 0;
}

struct append_ctx {
	const struct fsb_entry_in *in;
	size_t n;
	enum fsb_append_result *results;
	uint64_t *indexes;
};

static int append_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	struct append_ctx *a = arg;
	for (size_t i = 0; i < a->n; i++) {
		const struct fsb_entry_in *in = &a->in[i];
		a->indexes[i] = 0;
		uint8_t sk[FSB_ORIGIN_MAX + 9 + FSB_HASH_LEN];
		size_t sklen = store_seq_key(sk, in->origin, in->seq);
		MDB_val k = val(sk, sklen), v;
		int rc = mdb_get(txn, s->dbi[DB_BY_SEQ], &k, &v);
		if (rc == 0) {
			if (memcmp((const uint8_t *)v.mv_data + 8, in->payload_hash, FSB_HASH_LEN) == 0) {
				a->results[i] = FSB_DUPLICATE;
				continue;
			}
			/* Evidence: origin, seq and the other payload's hash. */
			a->results[i] = FSB_EQUIVOCATION;
			memcpy(sk + sklen, in->payload_hash, FSB_HASH_LEN);
			size_t elen = 8 + in->envelope_len;
			MDB_val ek = val(sk, sklen + FSB_HASH_LEN), ev = {elen, NULL};
			rc = mdb_put(txn, s->dbi[DB_EQUIV], &ek, &ev, MDB_RESERVE);
			if (rc)
				return store_fail(s, rc, "cannot keep equivocation evidence");
			put64(ev.mv_data, (uint64_t)in->arrival_ms);
			memcpy((uint8_t *)ev.mv_data + 8, in->envelope, in->envelope_len);
			continue;
		}
		if (rc != MDB_NOTFOUND)
			return store_fail(s, rc, "cannot look up (origin, seq)");
		uint64_t head;
		uint8_t head_hash[FSB_HASH_LEN];
		int64_t head_issued;
		if ((rc = read_head(s, txn, in->origin, &head, head_hash, &head_issued)))
			return rc;
		if (in->seq != head + 1) {
			a->results[i] = FSB_GAP;
			continue;
		}
		if (memcmp(in->prev_hash, head_hash, FSB_HASH_LEN) != 0) {
			a->results[i] = FSB_BROKEN_LINK;
			continue;
		}
		if (in->issued_at_ms < head_issued) {
			a->results[i] = FSB_BACKWARDS;
			continue;
		}
		if ((rc = append_entry(s, txn, in, &a->indexes[i])))
			return rc;
		a->results[i] = FSB_APPENDED;
	}
	return 0;
}

int fsb_store_append(struct fsb_store *s, const struct fsb_entry_in *in, size_t n,
		     enum fsb_append_result *results, uint64_t *indexes)
{
	struct append_ctx a = {in, n, results, indexes};
	return store_write_txn(s, append_body, &a);
}

struct own_ctx {
	size_t n;
	fsb_seal_fn fn;
	void *ctx;
	uint64_t *indexes;
};

static int own_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	struct own_ctx *a = arg;
	uint64_t seq;
	uint8_t prev[FSB_HASH_LEN];
	int64_t prev_issued;
	int rc = read_head(s, txn, s->origin, &seq, prev, &prev_issued);
	if (rc)
		return rc;
	for (size_t i = 0; i < a->n; i++) {
		struct fsb_entry_in in;
		memset(&in, 0, sizeof in);
		seq++;
		if ((rc = a->fn(a->ctx, i, seq, prev, prev_issued, &in))) {
			store_seterr(s, "sealing message %zu of the batch failed: %s", i + 1, fsb_strerror(rc));
			return rc;
		}
		if (in.seq != seq || strcmp(in.origin, s->origin) != 0 ||
		    memcmp(in.prev_hash, prev, FSB_HASH_LEN) != 0 || in.issued_at_ms < prev_issued) {
			store_seterr(s, "sealed message %zu is not %s:%llu linked to its predecessor, issued at or after it",
			       i + 1, s->origin, (unsigned long long)seq);
			return FSB_EINVAL;
		}
		uint64_t index;
		if ((rc = append_entry(s, txn, &in, &index)))
			return rc;
		uint8_t sk[8], iv[8];
		put64(sk, seq);
		put64(iv, index);
		if ((rc = store_put(s, txn, DB_OUTBOX, val(sk, 8), val(iv, 8), 0, "cannot add to the outbox")))
			return rc;
		if (a->indexes)
			a->indexes[i] = index;
		memcpy(prev, in.payload_hash, FSB_HASH_LEN);
		prev_issued = in.issued_at_ms;
	}
	return 0;
}

int fsb_store_append_own(struct fsb_store *s, size_t n, fsb_seal_fn fn, void *ctx,
			 uint64_t *indexes)
{
	struct own_ctx a = {n, fn, ctx, indexes};
	int rc = store_write_txn(s, own_body, &a);
	if (rc == 0) {
		/* Written after the commit, so whoever reads on this event sees
		 * the new entries; losing it only delays them (the node also
		 * checks its outbox now and then). */
		char path[600];
		snprintf(path, sizeof path, "%s/" FSB_STORE_NOTIFY, s->dir);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

void fsb_entry_clear(struct fsb_entry *e)
{
	free(e->envelope);
	memset(e, 0, sizeof *e);
}

static int get_entry(struct fsb_store *s, MDB_txn *txn, uint64_t index, struct fsb_entry *out)
{
	int rc = store_log_entry(s, txn, index, out);
	if (rc)
		return rc;
	uint8_t *copy = malloc(out->envelope_len);
	if (!copy)
		return FSB_ENOMEM;
	memcpy(copy, out->envelope, out->envelope_len);
	out->envelope = copy;
	return 0;
}

int fsb_store_get(struct fsb_store *s, uint64_t index, struct fsb_entry *out)
{
	memset(out, 0, sizeof *out);
	MDB_txn *txn;
	int rc = store_read_txn(s, &txn);
	if (rc)
		return rc;
	rc = get_entry(s, txn, index, out);
	mdb_txn_abort(txn);
	return rc;
}

static int find(struct fsb_store *s, int db, MDB_val k, uint64_t *index)
{
	MDB_txn *txn;
	MDB_val v;
	int rc = store_read_txn(s, &txn);
	if (rc)
		return rc;
	rc = mdb_get(txn, s->dbi[db], &k, &v);
	if (rc == 0 && v.mv_size >= 8)
		*index = get64(v.mv_data);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	return rc ? store_fail(s, rc, "cannot look up an index") : 0;
}

int fsb_store_find_seq(struct fsb_store *s, const char *origin, uint64_t seq, uint64_t *index)
{
	uint8_t k[FSB_ORIGIN_MAX + 9];
	if (strlen(origin) > FSB_ORIGIN_MAX)
		return FSB_ENOTFOUND;
	return find(s, DB_BY_SEQ, val(k, store_seq_key(k, origin, seq)), index);
}

int fsb_store_seq_hash(struct fsb_store *s, const char *origin, uint64_t seq,
		       uint8_t hash[FSB_HASH_LEN])
{
	uint8_t k[FSB_ORIGIN_MAX + 9];
	if (strlen(origin) > FSB_ORIGIN_MAX)
		return FSB_ENOTFOUND;
	MDB_txn *txn;
	MDB_val key = val(k, store_seq_key(k, origin, seq)), v;
	int rc = store_read_txn(s, &txn);
	if (rc)
		return rc;
	int mrc = mdb_get(txn, s->dbi[DB_BY_SEQ], &key, &v);
	if (mrc == 0 && v.mv_size == 8 + FSB_HASH_LEN)
		memcpy(hash, (const uint8_t *)v.mv_data + 8, FSB_HASH_LEN);
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	return mrc ? store_fail(s, mrc, "cannot look up (origin, seq)") : 0;
}

int fsb_store_find_id(struct fsb_store *s, const char *message_id, uint64_t *index)
{
	return find(s, DB_BY_ID, val(message_id, strlen(message_id)), index);
}

int fsb_store_walk(struct fsb_store *s, uint64_t from, fsb_entry_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = store_read_cursor(s, DB_LOG, &txn, &c, "cannot read the log");
	if (rc)
		return rc;
	uint8_t ik[8], prev[FSB_HASH_LEN] = {0};
	uint64_t expect = from ? from : 1;
	put64(ik, expect);
	MDB_val k = val(ik, 8), v;
	/* Starting mid-log, the chain continues from the entry before. */
	if (expect > 1) {
		uint8_t pk[8];
		put64(pk, expect - 1);
		MDB_val pkv = val(pk, 8), pv;
		if (mdb_get(txn, s->dbi[DB_LOG], &pkv, &pv) == 0 && pv.mv_size >= R_FIXED)
			memcpy(prev, (const uint8_t *)pv.mv_data + R_EHASH, FSB_HASH_LEN);
	}
	int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	for (rc = 0; mrc == 0 && rc == 0; mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct fsb_entry e;
		uint64_t index = k.mv_size == 8 ? get64(k.mv_data) : 0;
		enum fsb_chain chain = FSB_CHAIN_OK;
		if (store_record_read(v.mv_data, v.mv_size, index, &e)) {
			chain = FSB_CHAIN_UNREADABLE;
			memset(&e, 0, sizeof e);
			e.index = index;
		} else {
			uint8_t h[FSB_HASH_LEN];
			store_record_hash(v.mv_data, v.mv_size, index, prev, h);
			if (index != expect)
				chain = FSB_CHAIN_GAP;
			else if (memcmp(h, e.entry_hash, FSB_HASH_LEN) != 0)
				chain = FSB_CHAIN_BAD_HASH;
			memcpy(prev, e.entry_hash, FSB_HASH_LEN);
		}
		expect = index + 1;
		rc = fn(ctx, &e, chain);
	}
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(s, mrc, "cannot read the log");
	store_read_done(txn, c);
	return rc;
}

int fsb_store_head(struct fsb_store *s, const char *origin, uint64_t *seq,
		   uint8_t hash[FSB_HASH_LEN], int64_t *issued_at_ms)
{
	MDB_txn *txn;
	int rc = store_read_txn(s, &txn);
	if (rc)
		return rc;
	rc = read_head(s, txn, origin, seq, hash, issued_at_ms);
	mdb_txn_abort(txn);
	return rc;
}

int fsb_store_heads(struct fsb_store *s, struct fsb_head **heads, size_t *n)
{
	*heads = NULL;
	*n = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = store_read_cursor(s, DB_HEADS, &txn, &c, "cannot read the stream heads");
	if (rc)
		return rc;
	size_t cap = store_db_entries(s, txn, DB_HEADS);
	struct fsb_head *h = calloc(cap ? cap : 1, sizeof *h);
	MDB_val k, v;
	size_t i = 0;
	for (int mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); h && mrc == 0 && i < cap;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size > FSB_ORIGIN_MAX || v.mv_size != 16 + FSB_HASH_LEN)
			continue;
		memcpy(h[i].origin, k.mv_data, k.mv_size);
		h[i].seq = get64(v.mv_data);
		memcpy(h[i].payload_hash, (const uint8_t *)v.mv_data + 8, FSB_HASH_LEN);
		h[i].index = get64((const uint8_t *)v.mv_data + 8 + FSB_HASH_LEN);
		i++;
	}
	store_read_done(txn, c);
	if (!h)
		return FSB_ENOMEM;
	*heads = h;
	*n = i;
	return 0;
}

int fsb_store_stats(struct fsb_store *s, struct fsb_store_stats *st)
{
	memset(st, 0, sizeof *st);
	MDB_txn *txn;
	MDB_stat ms;
	MDB_envinfo info;
	int rc = store_read_txn(s, &txn);
	if (rc)
		return rc;
	st->entries = store_db_entries(s, txn, DB_LOG);
	st->outbox = store_db_entries(s, txn, DB_OUTBOX);
	st->rejects = store_db_entries(s, txn, DB_REJECTS);
	st->rejects_total = store_meta_u64(s, txn, "rejects_total");
	if (st->rejects_total < st->rejects) /* a log from before the count was kept */
		st->rejects_total = st->rejects;
	st->equivocations = store_db_entries(s, txn, DB_EQUIV);
	st->certs = store_db_entries(s, txn, DB_CERTS);
	rc = log_tail(s, txn, &st->last_index, st->last_hash);
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &ms);
	st->map_bytes = info.me_mapsize;
	st->used_bytes = (info.me_last_pgno + 1) * (size_t)ms.ms_psize;
	mdb_txn_abort(txn);
	return rc;
}

