/* store_view.c - the reads the views make, inside one snapshot.
 *
 * A view is one read transaction: every read the case view makes, from the
 * list of cases to the checkpoints that say what was delivered, sees one
 * snapshot, and the node's writer never waits for it. (A thread has one
 * LMDB read transaction at a time: while a view is open, its thread reads
 * through the view alone.)
 */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mem.h"

struct fsb_view {
	struct fsb_store *s;
	MDB_txn *txn;
};

int fsb_store_view_open(struct fsb_store *s, struct fsb_view **out)
{
	*out = NULL;
	struct fsb_view *v = calloc(1, sizeof *v);
	if (!v)
		return FSB_ENOMEM;
	v->s = s;
	int rc = store_read_txn(s, &v->txn);
	if (rc == 0 && !store_indexes_current(s, v->txn)) {
		store_seterr(s, "the case indexes of %s are missing or from an older fsbridge: run "
			     "`fsbridge index rebuild`", s->dir);
		mdb_txn_abort(v->txn);
		rc = FSB_ECONFIG;
	}
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void fsb_store_view_close(struct fsb_view *v)
{
	if (!v)
		return;
	mdb_txn_abort(v->txn);
	free(v);
}

const char *fsb_view_origin(const struct fsb_view *v)
{
	return v->s->origin;
}

int fsb_view_get(struct fsb_view *v, uint64_t index, struct fsb_entry *out)
{
	return store_log_entry(v->s, v->txn, index, out);
}

int fsb_view_find_id(struct fsb_view *v, const char *id, uint64_t *index)
{
	MDB_val k = val(id, strlen(id)), d;
	int rc = mdb_get(v->txn, v->s->dbi[DB_BY_ID], &k, &d);
	if (rc == MDB_NOTFOUND || (rc == 0 && d.mv_size != 8))
		return FSB_ENOTFOUND;
	if (rc)
		return store_fail(v->s, rc, "cannot look up a message id");
	*index = get64(d.mv_data);
	return 0;
}

static int row_of(struct fsb_view *v, const char *root, struct fsb_case_row *row)
{
	memset(row, 0, sizeof *row);
	if (strlen(root) > FSB_MESSAGE_ID_MAX)
		return FSB_ENOTFOUND;
	snprintf(row->id, sizeof row->id, "%s", root);
	return store_case_get(v->s, v->txn, root, &row->flags, &row->root_index);
}

int fsb_view_case(struct fsb_view *v, const char *id, struct fsb_case_row *row)
{
	int rc = row_of(v, id, row);
	if (rc != FSB_ENOTFOUND)
		return rc;
	/* Not a case's id: the case of the message it names. */
	uint64_t index;
	if ((rc = fsb_view_find_id(v, id, &index)))
		return rc;
	uint8_t ik[8];
	put64(ik, index);
	MDB_val k = val(ik, 8), d;
	rc = mdb_get(v->txn, v->s->dbi[DB_CASE_OF], &k, &d);
	if (rc == MDB_NOTFOUND || (rc == 0 && d.mv_size > FSB_MESSAGE_ID_MAX))
		return FSB_ENOTFOUND;
	if (rc)
		return store_fail(v->s, rc, "cannot read the case of a message");
	char root[FSB_MESSAGE_ID_MAX + 1];
	memcpy(root, d.mv_data, d.mv_size);
	root[d.mv_size] = '\0';
	return row_of(v, root, row);
}

int fsb_view_case_members(struct fsb_view *v, const char *root, size_t max, uint64_t **indexes,
			  size_t *n, size_t *total)
{
	*indexes = NULL;
	*n = 0;
	*total = 0;
	MDB_cursor *c;
	int rc = mdb_cursor_open(v->txn, v->s->dbi[DB_BY_CASE], &c);
	if (rc)
		return store_fail(v->s, rc, "cannot read a case");
	size_t rn = strlen(root), cap = 0;
	uint8_t rk[FSB_MESSAGE_ID_MAX + 9];
	if (rn > FSB_MESSAGE_ID_MAX) {
		mdb_cursor_close(c);
		return 0;
	}
	MDB_val k = val(rk, store_id_key(rk, root, 0)), d;
	int mrc;
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	     mrc == 0 && k.mv_size == rn + 9 && memcmp(k.mv_data, rk, rn + 1) == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if ((*total)++ >= max)
			continue;
		if (fsb_mem_grow(indexes, &cap, *n, sizeof **indexes)) {
			rc = FSB_ENOMEM;
			break;
		}
		(*indexes)[(*n)++] = get64((const uint8_t *)k.mv_data + rn + 1);
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(v->s, mrc, "cannot read a case");
	mdb_cursor_close(c);
	if (rc) {
		free(*indexes);
		*indexes = NULL;
		*n = 0;
	}
	return rc;
}

/* Calls fn with every record of db whose key is a string of at most max
 * bytes (copied, NUL-terminated) and whose value is at least min bytes. */
typedef int (*each_fn)(void *ctx, const char *key, const MDB_val *value);

static int each(struct fsb_view *v, int db, size_t max, size_t min, const char *after,
		const char *what, each_fn fn, void *ctx)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(v->txn, v->s->dbi[db], &c);
	if (rc)
		return store_fail(v->s, rc, what);
	MDB_val k = val(after ? after : "", after ? strlen(after) : 0), d;
	int mrc;
	for (mrc = mdb_cursor_get(c, &k, &d, after ? MDB_SET_RANGE : MDB_FIRST); mrc == 0 && rc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size > max || d.mv_size < min ||
		    (after && k.mv_size == strlen(after) && memcmp(k.mv_data, after, k.mv_size) == 0))
			continue;
		char key[FSB_MESSAGE_ID_MAX + 1];
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		rc = fn(ctx, key, &d);
	}
	if (rc == 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(v->s, mrc, what);
	mdb_cursor_close(c);
	return rc;
}

struct cases_each {
	struct fsb_view *v;
	fsb_case_fn fn;
	void *ctx;
};

static int case_each(void *ctx, const char *id, const MDB_val *value)
{
	struct cases_each *e = ctx;
	struct fsb_case_row row;
	(void)value;
	int rc = row_of(e->v, id, &row);
	return rc ? rc : e->fn(e->ctx, &row);
}

int fsb_view_cases(struct fsb_view *v, int open_only, const char *after, fsb_case_fn fn,
		   void *ctx)
{
	struct cases_each e = {v, fn, ctx};
	return each(v, open_only ? DB_CASE_OPEN : DB_CASES, FSB_MESSAGE_ID_MAX, 0, after,
		    "cannot read the cases", case_each, &e);
}

int fsb_view_period(struct fsb_view *v, int64_t from_ms, int64_t to_ms, fsb_period_fn fn,
		    void *ctx)
{
	if (from_ms > to_ms)
		return 0;
	MDB_cursor *c;
	int rc = mdb_cursor_open(v->txn, v->s->dbi[DB_BY_TIME], &c);
	if (rc)
		return store_fail(v->s, rc, "cannot read the log by time");
	uint8_t fk[16] = {0};
	put64(fk, (uint64_t)from_ms ^ (1ULL << 63)); /* by_time: issued_at(8, sign-flipped) index(8) */
	MDB_val k = val(fk, 16), d;
	int mrc;
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); mrc == 0 && rc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size != 16)
			continue;
		int64_t t = (int64_t)(get64(k.mv_data) ^ (1ULL << 63));
		if (t > to_ms)
			break;
		rc = fn(ctx, get64((const uint8_t *)k.mv_data + 8), t);
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(v->s, mrc, "cannot read the log by time");
	mdb_cursor_close(c);
	return rc;
}

int fsb_view_kind(struct fsb_view *v, enum fsb_kind kind, fsb_index_fn fn, void *ctx)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(v->txn, v->s->dbi[DB_BY_KIND], &c);
	if (rc)
		return store_fail(v->s, rc, "cannot read the log by kind");
	uint8_t kk[9] = {(uint8_t)kind}; /* by_kind: kind(1) index(8) */
	MDB_val k = val(kk, 9), d;
	int mrc;
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); mrc == 0 && rc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		if (k.mv_size != 9 || kp[0] != (uint8_t)kind)
			break;
		rc = fn(ctx, get64(kp + 1));
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(v->s, mrc, "cannot read the log by kind");
	mdb_cursor_close(c);
	return rc;
}

int fsb_view_scan(struct fsb_view *v, enum fsb_kind kind, uint64_t from, int backward,
		  fsb_index_fn fn, void *ctx)
{
	/* The log is keyed by index(8), by_kind by kind(1) index(8). */
	int by_kind = kind != FSB_KIND_NONE, rc;
	size_t pre = by_kind ? 1 : 0;
	MDB_cursor *c;
	if ((rc = mdb_cursor_open(v->txn, v->s->dbi[by_kind ? DB_BY_KIND : DB_LOG], &c)))
		return store_fail(v->s, rc, "cannot read the log");
	uint8_t kk[9] = {(uint8_t)kind};
	put64(kk + pre, backward && from == 0 ? UINT64_MAX : from);
	MDB_val k = val(kk, 8 + pre), d;
	int mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	if (backward) {
		/* SET_RANGE finds the first key at or after `from`: step back
		 * past it unless it is `from` itself. */
		if (mrc == MDB_NOTFOUND)
			mrc = mdb_cursor_get(c, &k, &d, MDB_LAST);
		else if (mrc == 0 && (k.mv_size != 8 + pre || memcmp(k.mv_data, kk, 8 + pre) != 0))
			mrc = mdb_cursor_get(c, &k, &d, MDB_PREV);
	}
	for (rc = 0; mrc == 0 && rc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, backward ? MDB_PREV : MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		if (k.mv_size != 8 + pre) /* not a key of this table: the end */
			break;
		if (by_kind && kp[0] != (uint8_t)kind)
			break;
		rc = fn(ctx, get64(kp + pre));
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(v->s, mrc, "cannot read the log");
	mdb_cursor_close(c);
	return rc;
}

int fsb_view_link(struct fsb_view *v, uint64_t index, enum fsb_chain *chain)
{
	uint8_t ik[8], prev[FSB_HASH_LEN] = {0}, h[FSB_HASH_LEN];
	put64(ik, index);
	MDB_val k = val(ik, 8), d;
	int rc = mdb_get(v->txn, v->s->dbi[DB_LOG], &k, &d);
	if (rc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	if (rc)
		return store_fail(v->s, rc, "cannot read the log");
	struct fsb_entry e;
	if (store_record_read(d.mv_data, d.mv_size, index, &e)) {
		*chain = FSB_CHAIN_UNREADABLE;
		return 0;
	}
	*chain = FSB_CHAIN_OK;
	if (index > 1) {
		put64(ik, index - 1);
		MDB_val pd;
		k = val(ik, 8);
		if ((rc = mdb_get(v->txn, v->s->dbi[DB_LOG], &k, &pd)) == MDB_NOTFOUND) {
			*chain = FSB_CHAIN_GAP;
			return 0;
		}
		if (rc)
			return store_fail(v->s, rc, "cannot read the log");
		if (pd.mv_size < R_FIXED) {
			*chain = FSB_CHAIN_UNREADABLE;
			return 0;
		}
		memcpy(prev, (const uint8_t *)pd.mv_data + R_EHASH, FSB_HASH_LEN);
	}
	store_record_hash(d.mv_data, d.mv_size, index, prev, h);
	if (memcmp(h, e.entry_hash, FSB_HASH_LEN) != 0)
		*chain = FSB_CHAIN_BAD_HASH;
	return 0;
}

struct cp_each {
	fsb_checkpoint_fn fn;
	void *ctx;
};

static int checkpoint_each(void *ctx, const char *peer, const MDB_val *value)
{
	struct cp_each *e = ctx; /* arrival(8) envelope */
	return e->fn(e->ctx, peer, (const uint8_t *)value->mv_data + 8, value->mv_size - 8);
}

int fsb_view_checkpoints(struct fsb_view *v, fsb_checkpoint_fn fn, void *ctx)
{
	struct cp_each e = {fn, ctx};
	return each(v, DB_CP_LAST, FSB_ORIGIN_MAX, 8, NULL, "cannot read the checkpoints",
		    checkpoint_each, &e);
}

struct stream_each {
	fsb_stream_fn fn;
	void *ctx;
};

static int stream_each(void *ctx, const char *origin, const MDB_val *value)
{
	struct stream_each *e = ctx; /* seq(8) payload_hash(32) index(8) */
	return e->fn(e->ctx, origin, get64(value->mv_data));
}

int fsb_view_streams(struct fsb_view *v, fsb_stream_fn fn, void *ctx)
{
	struct stream_each e = {fn, ctx};
	return each(v, DB_HEADS, FSB_ORIGIN_MAX, 8, NULL, "cannot read the stream heads", stream_each,
		    &e);
}

/* ---- the trace index ---------------------------------------------------------- */

/* type value: a trace key's prefix into k; 0 when the value cannot be one. */
static size_t trace_prefix(uint8_t *k, enum fsb_trace_key type, const char *value)
{
	size_t n = strlen(value);
	if (n == 0 || n > FSB_TRACE_VALUE_MAX)
		return 0;
	k[0] = (uint8_t)type;
	memcpy(k + 1, value, n);
	return 1 + n;
}

int fsb_view_trace(struct fsb_view *v, enum fsb_trace_key type, const char *value, uint64_t *out,
		   size_t max, size_t *n, int *more)
{
	*n = 0;
	*more = 0;
	uint8_t pk[STORE_TKEY_MAX + 9];
	size_t pn = trace_prefix(pk, type, value);
	if (!pn)
		return 0;
	/* From past the last record of the key (prefix NUL ff…), backwards. */
	pk[pn] = 0;
	memset(pk + pn + 1, 0xff, 8);
	MDB_cursor *c;
	int rc = mdb_cursor_open(v->txn, v->s->dbi[DB_TRACE], &c);
	if (rc)
		return store_fail(v->s, rc, "cannot read the trace index");
	MDB_val k = val(pk, pn + 9), d;
	int mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	mrc = mrc == 0 ? mdb_cursor_get(c, &k, &d, MDB_PREV)
		       : mrc == MDB_NOTFOUND ? mdb_cursor_get(c, &k, &d, MDB_LAST) : mrc;
	for (; mrc == 0 && k.mv_size == pn + 9 && memcmp(k.mv_data, pk, pn + 1) == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_PREV)) {
		if (*n == max) {
			*more = 1;
			break;
		}
		out[(*n)++] = get64((const uint8_t *)k.mv_data + pn + 1);
	}
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(v->s, mrc, "cannot read the trace index");
	mdb_cursor_close(c);
	return rc;
}

int fsb_view_trace_values(struct fsb_view *v, enum fsb_trace_key type, size_t max,
			  fsb_trace_value_fn fn, void *ctx, int *more)
{
	*more = 0;
	MDB_cursor *c;
	int rc = mdb_cursor_open(v->txn, v->s->dbi[DB_TRACE], &c);
	if (rc)
		return store_fail(v->s, rc, "cannot read the trace index");
	uint8_t pk[STORE_TKEY_MAX + 9] = {(uint8_t)type};
	MDB_val k = val(pk, 1), d;
	size_t seen = 0;
	int mrc;
	while (rc == 0 && (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE)) == 0) {
		const uint8_t *kp = k.mv_data;
		if (k.mv_size < 10 || kp[0] != (uint8_t)type)
			break;
		size_t vn = k.mv_size - 10; /* type value NUL index(8) */
		if (vn == 0 || vn > FSB_TRACE_VALUE_MAX || kp[1 + vn] != 0)
			break; /* not a record the index writes: audit verify names it */
		if (seen++ == max) {
			*more = 1;
			break;
		}
		char value[FSB_TRACE_VALUE_MAX + 1];
		memcpy(value, kp + 1, vn);
		value[vn] = '\0';
		rc = fn(ctx, value);
		/* The next value: past every record of this one (value \x01). */
		memcpy(pk, kp, 1 + vn);
		pk[1 + vn] = 1;
		k = val(pk, 2 + vn);
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(v->s, mrc, "cannot read the trace index");
	mdb_cursor_close(c);
	return rc;
}
