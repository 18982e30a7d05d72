/* store_state.c - the node's state beside the log: the outbox, the
 * rejects (bounded, oldest dropped first), peer checkpoints kept as
 * evidence, adopted CRLs and small named notes. None of it is part of the
 * hash chain; all of it can be lost without losing a message.
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
/* ---- outbox ----------------------------------------------------------------------- */

int fsb_store_outbox(struct fsb_store *s, uint64_t after, uint64_t *seqs, size_t max, size_t *n)
{
	*n = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = store_read_cursor(s, DB_OUTBOX, &txn, &c, "cannot read the outbox");
	if (rc)
		return rc;
	uint8_t sk[8];
	put64(sk, after + 1);
	MDB_val k = val(sk, 8), v;
	for (int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); mrc == 0 && *n < max;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		seqs[(*n)++] = get64(k.mv_data);
	store_read_done(txn, c);
	return 0;
}

static int retire_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	uint64_t upto = *(uint64_t *)arg;
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, s->dbi[DB_OUTBOX], &c);
	if (rc)
		return store_fail(s, rc, "cannot read the outbox");
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0 && get64(k.mv_data) <= upto)
		if ((rc = mdb_cursor_del(c, 0)))
			break;
	mdb_cursor_close(c);
	return rc && rc != MDB_NOTFOUND ? store_fail(s, rc, "cannot retire from the outbox") : 0;
}

/* ---- rejects ------------------------------------------------------------------------ */

static int put_meta_u64(struct fsb_store *s, MDB_txn *txn, const char *name, uint64_t x)
{
	uint8_t b[8];
	put64(b, x);
	return store_put(s, txn, DB_META, val(name, strlen(name)), val(b, 8), 0, "cannot count rejects");
}

struct rejects_ctx {
	const struct fsb_reject_in *r;
	size_t n;
};

static int reject_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	struct rejects_ctx *a = arg;
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t id = 1;
	uint64_t bytes = store_meta_u64(s, txn, "rejects_bytes"), total = store_meta_u64(s, txn, "rejects_total");
	int rc = mdb_cursor_open(txn, s->dbi[DB_REJECTS], &c);
	if (rc)
		return store_fail(s, rc, "cannot read the rejects");
	if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0)
		id = get64(k.mv_data) + 1;
	for (size_t i = 0; i < a->n && rc == 0; i++) {
		const struct fsb_reject_in *r = &a->r[i];
		const char *topic = r->topic ? r->topic : "", *reason = r->reason ? r->reason : "";
		size_t tlen = strlen(topic) < 255 ? strlen(topic) : 255;
		size_t rlen = strlen(reason) < 1024 ? strlen(reason) : 1024;
		size_t raw = r->raw_len < FSB_REJECT_RAW_MAX ? r->raw_len : FSB_REJECT_RAW_MAX;
		size_t size = 20 + tlen + rlen + raw;
		/* Within the budget: the oldest make way (their count stays in
		 * rejects_total). */
		while (bytes + size > s->reject_bytes) {
			if (mdb_cursor_get(c, &k, &v, MDB_FIRST) != 0) {
				bytes = 0; /* empty: nothing is counted any more */
				break;
			}
			bytes = bytes > v.mv_size ? bytes - v.mv_size : 0;
			if ((rc = mdb_cursor_del(c, 0)))
				break;
		}
		if (rc)
			break;
		if (size > s->reject_bytes)
			raw = 0, size = 20 + tlen + rlen;
		uint8_t ik[8];
		put64(ik, id++);
		k = val(ik, 8);
		v.mv_size = size;
		if ((rc = mdb_cursor_put(c, &k, &v, MDB_RESERVE | MDB_APPEND)))
			break;
		uint8_t *p = v.mv_data;
		put64(p, (uint64_t)r->when_ms);
		uint32_t code = (uint32_t)r->code;
		uint32_t all = (uint32_t)(r->raw_total > r->raw_len ? r->raw_total : r->raw_len);
		for (int j = 0; j < 4; j++) {
			p[8 + j] = (uint8_t)(code >> (24 - 8 * j));
			p[12 + j] = (uint8_t)(all >> (24 - 8 * j));
		}
		p[16] = (uint8_t)(tlen >> 8), p[17] = (uint8_t)tlen;
		p[18] = (uint8_t)(rlen >> 8), p[19] = (uint8_t)rlen;
		memcpy(p + 20, topic, tlen);
		memcpy(p + 20 + tlen, reason, rlen);
		memcpy(p + 20 + tlen + rlen, r->raw, raw);
		bytes += size;
		total++;
	}
	mdb_cursor_close(c);
	if (rc)
		return store_fail(s, rc, "cannot record a reject");
	if ((rc = put_meta_u64(s, txn, "rejects_bytes", bytes)) ||
	    (rc = put_meta_u64(s, txn, "rejects_total", total)))
		return rc;
	return 0;
}

int fsb_store_rejects_put(struct fsb_store *s, const struct fsb_reject_in *r, size_t n)
{
	struct rejects_ctx a = {r, n};
	return n ? store_write_txn(s, reject_body, &a) : 0;
}

int fsb_store_reject(struct fsb_store *s, int64_t when_ms, const char *topic, int code,
		     const char *reason, const uint8_t *raw, size_t raw_len)
{
	struct fsb_reject_in r = {when_ms, topic, code, reason, raw, raw_len, raw_len};
	return fsb_store_rejects_put(s, &r, 1);
}

void fsb_reject_clear(struct fsb_reject *r)
{
	free(r->reason);
	free(r->raw);
	memset(r, 0, sizeof *r);
}

int fsb_store_rejects(struct fsb_store *s, struct fsb_reject *out, size_t max, size_t *n)
{
	*n = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = store_read_cursor(s, DB_REJECTS, &txn, &c, "cannot read the rejects");
	if (rc)
		return rc;
	MDB_val k, v;
	for (int mrc = mdb_cursor_get(c, &k, &v, MDB_LAST); mrc == 0 && *n < max;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		const uint8_t *p = v.mv_data;
		if (v.mv_size < 20)
			continue;
		size_t tlen = (size_t)p[16] << 8 | p[17], rlen = (size_t)p[18] << 8 | p[19];
		if (20 + tlen + rlen > v.mv_size)
			continue;
		struct fsb_reject *r = &out[*n];
		memset(r, 0, sizeof *r);
		r->id = get64(k.mv_data);
		r->when_ms = (int64_t)get64(p);
		r->code = (int)((uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11]);
		r->raw_total = (size_t)p[12] << 24 | (size_t)p[13] << 16 | (size_t)p[14] << 8 | p[15];
		memcpy(r->topic, p + 20, tlen);
		r->reason = strndup((const char *)p + 20 + tlen, rlen);
		r->raw_len = v.mv_size - 20 - tlen - rlen;
		r->raw = malloc(r->raw_len ? r->raw_len : 1);
		if (!r->reason || !r->raw) {
			fsb_reject_clear(r);
			rc = FSB_ENOMEM;
			break;
		}
		memcpy(r->raw, p + 20 + tlen + rlen, r->raw_len);
		(*n)++;
	}
	store_read_done(txn, c);
	return rc;
}

/* ---- peer checkpoints ------------------------------------------------------------ */

/* When the newest checkpoint of peer in cp_all arrived; INT64_MIN when
 * none is kept. */
static int64_t cp_newest(struct fsb_store *s, MDB_txn *txn, const uint8_t *prefix, size_t plen)
{
	uint8_t key[FSB_ORIGIN_MAX + 1 + 16];
	memcpy(key, prefix, plen);
	memset(key + plen, 0xff, 16);
	MDB_cursor *c;
	MDB_val k = val(key, plen + 16), v;
	int64_t when = INT64_MIN;
	if (mdb_cursor_open(txn, s->dbi[DB_CP_ALL], &c))
		return when;
	int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	mrc = mrc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) : mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (mrc == 0 && k.mv_size == plen + 16 && memcmp(k.mv_data, prefix, plen) == 0)
		when = (int64_t)get64((const uint8_t *)k.mv_data + plen);
	mdb_cursor_close(c);
	return when;
}

static int cp_put(struct fsb_store *s, MDB_txn *txn, const struct fsb_checkpoint_in *a)
{
	size_t plen = strlen(a->peer);
	uint8_t key[FSB_ORIGIN_MAX + 1 + 8 + 8], h[FSB_HASH_LEN];
	memcpy(key, a->peer, plen);
	key[plen] = 0;
	MDB_val k, v;
	int rc;
	int64_t newest = cp_newest(s, txn, key, plen + 1);
	if (newest == INT64_MIN || a->arrival_ms - newest >= FSB_STORE_CP_KEEP_MS) {
		put64(key + plen + 1, (uint64_t)a->arrival_ms);
		fsb_sign_sha256(a->envelope, a->len, h);
		memcpy(key + plen + 9, h, 8);
		k = val(key, plen + 17);
		v.mv_size = a->len;
		if ((rc = mdb_put(txn, s->dbi[DB_CP_ALL], &k, &v, MDB_RESERVE)))
			return store_fail(s, rc, "cannot keep a checkpoint");
		memcpy(v.mv_data, a->envelope, a->len);
	}
	k = val(a->peer, plen);
	v.mv_size = 8 + a->len;
	if ((rc = mdb_put(txn, s->dbi[DB_CP_LAST], &k, &v, MDB_RESERVE)))
		return store_fail(s, rc, "cannot keep a checkpoint");
	put64(v.mv_data, (uint64_t)a->arrival_ms);
	memcpy((uint8_t *)v.mv_data + 8, a->envelope, a->len);
	return 0;
}

struct cp_ctx {
	const struct fsb_checkpoint_in *cps;
	size_t n;
	uint64_t retire_upto;
};

static int cp_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	struct cp_ctx *a = arg;
	int rc = 0;
	for (size_t i = 0; i < a->n && rc == 0; i++)
		rc = cp_put(s, txn, &a->cps[i]);
	if (rc == 0 && a->retire_upto)
		rc = retire_body(s, txn, &a->retire_upto);
	return rc;
}

int fsb_store_put_checkpoints(struct fsb_store *s, const struct fsb_checkpoint_in *cps, size_t n,
			      uint64_t retire_upto)
{
	for (size_t i = 0; i < n; i++)
		if (fsb_fmt_slug(cps[i].peer))
			return FSB_EINVAL;
	struct cp_ctx a = {cps, n, retire_upto};
	return store_write_txn(s, cp_body, &a);
}

int fsb_store_get_checkpoint(struct fsb_store *s, const char *peer, uint8_t **envelope,
			     size_t *len, int64_t *arrival_ms)
{
	MDB_txn *txn;
	MDB_val k = val(peer, strlen(peer)), v;
	int rc = store_read_txn(s, &txn);
	if (rc)
		return rc;
	int mrc = mdb_get(txn, s->dbi[DB_CP_LAST], &k, &v);
	if (mrc == 0 && v.mv_size >= 8) {
		*arrival_ms = (int64_t)get64(v.mv_data);
		*len = v.mv_size - 8;
		*envelope = malloc(*len ? *len : 1);
		if (*envelope)
			memcpy(*envelope, (const uint8_t *)v.mv_data + 8, *len);
		else
			rc = FSB_ENOMEM;
	}
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	return mrc ? store_fail(s, mrc, "cannot read a checkpoint") : rc;
}

int fsb_store_checkpoints(struct fsb_store *s, char (**peers)[FSB_ORIGIN_MAX + 1],
			  uint8_t ***envelopes, size_t **lens, size_t *n)
{
	*peers = NULL;
	*envelopes = NULL;
	*lens = NULL;
	*n = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = store_read_cursor(s, DB_CP_LAST, &txn, &c, "cannot read the checkpoints");
	if (rc)
		return rc;
	size_t cap = store_db_entries(s, txn, DB_CP_LAST);
	cap = cap ? cap : 1;
	*peers = calloc(cap, sizeof **peers);
	*envelopes = calloc(cap, sizeof **envelopes);
	*lens = calloc(cap, sizeof **lens);
	rc = *peers && *envelopes && *lens ? 0 : FSB_ENOMEM;
	MDB_val k, v;
	for (int mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc && mrc == 0 && *n < cap;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size > FSB_ORIGIN_MAX || v.mv_size < 8)
			continue;
		uint8_t *e = malloc(v.mv_size - 8 ? v.mv_size - 8 : 1);
		if (!e) {
			rc = FSB_ENOMEM;
			break;
		}
		memcpy(e, (const uint8_t *)v.mv_data + 8, v.mv_size - 8);
		memcpy((*peers)[*n], k.mv_data, k.mv_size);
		(*envelopes)[*n] = e;
		(*lens)[*n] = v.mv_size - 8;
		(*n)++;
	}
	store_read_done(txn, c);
	return rc;
}

struct value_ctx {
	char key[80];
	const void *data;
	size_t len;
};

static int value_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	struct value_ctx *a = arg;
	return store_put(s, txn, DB_META, val(a->key, strlen(a->key)), val(a->data, a->len), 0,
		   "cannot keep a value");
}

/* Notes and values share meta, under their own prefixes. */
static int put_named(struct fsb_store *s, const char *prefix, const char *name, const void *data,
		     size_t len)
{
	struct value_ctx a = {.data = data, .len = len};
	snprintf(a.key, sizeof a.key, "%s:%s", prefix, name);
	return store_write_txn(s, value_body, &a);
}

static int get_named(struct fsb_store *s, const char *prefix, const char *name, uint8_t **data,
		     size_t *len)
{
	MDB_txn *txn;
	char key[80];
	snprintf(key, sizeof key, "%s:%s", prefix, name);
	MDB_val k = val(key, strlen(key)), v;
	int rc = store_read_txn(s, &txn);
	if (rc)
		return rc;
	int mrc = mdb_get(txn, s->dbi[DB_META], &k, &v);
	if (mrc == 0) {
		/* One byte more, a NUL, so that a note reads as a string. */
		*data = malloc(v.mv_size + 1);
		if (*data) {
			memcpy(*data, v.mv_data, v.mv_size);
			(*data)[v.mv_size] = '\0';
			*len = v.mv_size;
		} else {
			rc = FSB_ENOMEM;
		}
	}
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	return mrc ? store_fail(s, mrc, "cannot read a value") : rc;
}

int fsb_store_put_note(struct fsb_store *s, const char *name, const char *value)
{
	return put_named(s, "note", name, value, strlen(value));
}

int fsb_store_get_note(struct fsb_store *s, const char *name, char **value)
{
	size_t len;
	return get_named(s, "note", name, (uint8_t **)value, &len);
}

int fsb_store_put_crl(struct fsb_store *s, const char *ca_name, const uint8_t *der, size_t len)
{
	/* Keyed by a hash of the name: names may be long, keys are short. */
	uint8_t h[FSB_HASH_LEN];
	char name[17];
	fsb_sign_sha256((const uint8_t *)ca_name, strlen(ca_name), h);
	return put_named(s, "crl", fsb_fmt_hex(h, 8, name), der, len);
}

int fsb_store_crls(struct fsb_store *s, uint8_t ***crls, size_t **lens, size_t *n)
{
	*crls = NULL;
	*lens = NULL;
	*n = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = store_read_cursor(s, DB_META, &txn, &c, "cannot read the kept CRLs");
	if (rc)
		return rc;
	MDB_val k = val("crl:", 4), v;
	for (int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	     mrc == 0 && k.mv_size > 4 && memcmp(k.mv_data, "crl:", 4) == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint8_t **more = realloc(*crls, (*n + 1) * sizeof **crls);
		size_t *more_lens = more ? realloc(*lens, (*n + 1) * sizeof **lens) : NULL;
		uint8_t *copy = more_lens ? malloc(v.mv_size ? v.mv_size : 1) : NULL;
		if (more)
			*crls = more;
		if (more_lens)
			*lens = more_lens;
		if (!copy) {
			rc = FSB_ENOMEM;
			break;
		}
		memcpy(copy, v.mv_data, v.mv_size);
		(*crls)[*n] = copy;
		(*lens)[(*n)++] = v.mv_size;
	}
	store_read_done(txn, c);
	return rc;
}

