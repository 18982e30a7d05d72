/* store_index.c - the indexes derived from the log: written with each
 * entry, rebuilt from the log, checked against it.
 *
 * Every index is a function of the log alone, in log order: by_seq, by_id,
 * by_kind, by_time and the stream heads of each entry's own fields, the
 * signer certificates of its envelope, and the cases (store_case.c) of
 * the entry and of those before it. So `fsbridge index rebuild` replays
 * exactly what the appends did, in one write transaction (the node's own
 * writes wait for it), and the check reads every index back against the
 * log inside one read transaction, naming the first difference.
 */
#include "store_internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "case_rule.h"
#include "error.h"
#include "format.h"
#include "mem.h"

/* A stream head's record: seq(8) payload_hash(32) index(8). */
#define HEAD_VALUE (16 + FSB_HASH_LEN)
static void head_value(uint8_t *hv, uint64_t seq, const uint8_t hash[FSB_HASH_LEN], uint64_t index)
{
	put64(hv, seq);
	memcpy(hv + 8, hash, FSB_HASH_LEN);
	put64(hv + 8 + FSB_HASH_LEN, index);
}

/* The records of e's own indexes, as the append writes them. */
struct entry_keys {
	uint8_t ik[8];
	uint8_t sk[FSB_ORIGIN_MAX + 9], sv[8 + FSB_HASH_LEN];
	size_t sklen;
	char id[FSB_MESSAGE_ID_MAX + 1];
	uint8_t kk[9], tk[16];
	uint8_t hv[HEAD_VALUE];
};

static void entry_keys(const struct fsb_entry *e, struct entry_keys *k)
{
	put64(k->ik, e->index);
	k->sklen = store_seq_key(k->sk, e->origin, e->seq);
	memcpy(k->sv, k->ik, 8);
	memcpy(k->sv + 8, e->payload_hash, FSB_HASH_LEN);
	store_message_id(k->id, e->origin, e->seq);
	k->kk[0] = (uint8_t)e->kind;
	memcpy(k->kk + 1, k->ik, 8);
	put64(k->tk, (uint64_t)e->issued_at_ms ^ (1ULL << 63));
	memcpy(k->tk + 8, k->ik, 8);
	head_value(k->hv, e->seq, e->payload_hash, e->index);
}

int store_index_entry(struct fsb_store *s, MDB_txn *txn, const struct fsb_entry *e)
{
	struct entry_keys k;
	entry_keys(e, &k);
	int rc;
	if ((rc = store_put(s, txn, DB_BY_SEQ, val(k.sk, k.sklen), val(k.sv, sizeof k.sv), 0,
			    "cannot index by seq")) ||
	    (rc = store_put(s, txn, DB_BY_ID, val(k.id, strlen(k.id)), val(k.ik, 8), 0,
			    "cannot index by id")) ||
	    (rc = store_put(s, txn, DB_BY_KIND, val(k.kk, 9), val(NULL, 0), 0, "cannot index by kind")) ||
	    (rc = store_put(s, txn, DB_BY_TIME, val(k.tk, 16), val(NULL, 0), 0, "cannot index by time")) ||
	    (rc = store_put(s, txn, DB_HEADS, val(e->origin, strlen(e->origin)), val(k.hv, sizeof k.hv),
			    0, "cannot update the stream head")))
		return rc;
	struct fsb_envelope_view ev;
	if (fsb_envelope_view(e->envelope, e->envelope_len, &ev) == 0) {
		uint8_t fp[FSB_FP_LEN];
		fsb_sign_sha256(ev.signer_cert, ev.signer_cert_len, fp);
		if ((rc = store_put(s, txn, DB_CERTS, val(fp, FSB_FP_LEN),
				    val(ev.signer_cert, ev.signer_cert_len), MDB_NOOVERWRITE,
				    "cannot keep the signer certificate")))
			return rc;
	}
	if ((rc = store_case_add(s, txn, e)))
		return rc;
	struct store_tkeys tk;
	if ((rc = store_trace_keys(e, &tk)))
		return rc;
	for (size_t i = 0; i < tk.n && rc == 0; i++) {
		uint8_t tkey[STORE_TKEY_MAX + 9];
		rc = store_put(s, txn, DB_TRACE, val(tkey, store_trace_key(tkey, &tk.keys[i], e->index)),
			       val(NULL, 0), 0, "cannot index for tracing");
	}
	store_tkeys_free(&tk);
	return rc;
}

/* ---- rebuild ------------------------------------------------------------------ */

static const int derived[] = {DB_BY_SEQ, DB_BY_ID,   DB_BY_KIND, DB_BY_TIME, DB_HEADS, DB_BY_REF,
			      DB_CASE_OF, DB_BY_CASE, DB_CASES,   DB_CASE_OPEN, DB_TRACE};
#define N_DERIVED (sizeof derived / sizeof derived[0])

static int put_indexes_version(struct fsb_store *s, MDB_txn *txn)
{
	uint8_t v[4] = {0, 0, 0, FSB_STORE_INDEXES};
	return store_put(s, txn, DB_META, val("indexes", 7), val(v, 4), 0,
			 "cannot record the index version");
}

struct rebuild_ctx {
	uint64_t entries;
	void (*progress)(uint64_t done, uint64_t total);
};

static int rebuild_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	struct rebuild_ctx *a = arg;
	a->entries = 0;
	int rc;
	for (size_t i = 0; i < N_DERIVED; i++)
		if ((rc = mdb_drop(txn, s->dbi[derived[i]], 0)))
			return store_fail(s, rc, "cannot empty an index");
	uint64_t total = store_db_entries(s, txn, DB_LOG);
	MDB_cursor *c;
	if ((rc = mdb_cursor_open(txn, s->dbi[DB_LOG], &c)))
		return store_fail(s, rc, "cannot read the log");
	MDB_val k, v;
	int mrc;
	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct fsb_entry e;
		uint64_t index = k.mv_size == 8 ? get64(k.mv_data) : 0;
		if ((rc = store_log_entry(s, txn, index, &e)) || (rc = store_index_entry(s, txn, &e)))
			break;
		a->entries++;
		if (a->progress && (a->entries % 4096 == 0 || a->entries == total))
			a->progress(a->entries, total);
	}
	mdb_cursor_close(c);
	if (rc)
		return rc;
	if (mrc != MDB_NOTFOUND)
		return store_fail(s, mrc, "cannot read the log");
	return put_indexes_version(s, txn);
}

int fsb_store_index_rebuild(struct fsb_store *s, void (*progress)(uint64_t done, uint64_t total),
			    uint64_t *entries)
{
	if (s->read_only) {
		store_seterr(s, "the store is open read-only (data_dir %s)", s->dir);
		return FSB_EINVAL;
	}
	struct rebuild_ctx a = {.progress = progress};
	int rc = store_write_txn(s, rebuild_body, &a);
	if (entries)
		*entries = rc ? 0 : a.entries;
	return rc;
}

/* ---- check -------------------------------------------------------------------- */

struct check {
	struct fsb_store *s;
	MDB_txn *txn;
	uint64_t bad_index;
	char *why;
	size_t whylen;
	int found;
	uint64_t entries, refs, traces;
	/* the last entry seen of each origin, for the heads */
	struct fsb_head *heads;
	size_t n_heads, cap_heads;
};

static void differ(struct check *c, uint64_t index, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void differ(struct check *c, uint64_t index, const char *fmt, ...)
{
	if (c->found++)
		return;
	c->bad_index = index;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
}

/* Whether db holds k with value v (v NULL: any value); -1 on a read error. */
static int holds(struct check *c, int db, MDB_val k, const void *v, size_t vlen)
{
	MDB_val got;
	int rc = mdb_get(c->txn, c->s->dbi[db], &k, &got);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc) {
		store_fail(c->s, rc, "cannot read an index");
		return -1;
	}
	return !v || (got.mv_size == vlen && memcmp(got.mv_data, v, vlen) == 0);
}

static int note_head(struct check *c, const struct fsb_entry *e)
{
	for (size_t i = 0; i < c->n_heads; i++)
		if (strcmp(c->heads[i].origin, e->origin) == 0) {
			c->heads[i].seq = e->seq;
			memcpy(c->heads[i].payload_hash, e->payload_hash, FSB_HASH_LEN);
			c->heads[i].index = e->index;
			return 0;
		}
	if (fsb_mem_grow(&c->heads, &c->cap_heads, c->n_heads, sizeof *c->heads))
		return FSB_ENOMEM;
	struct fsb_head *h = &c->heads[c->n_heads++];
	snprintf(h->origin, sizeof h->origin, "%s", e->origin);
	h->seq = e->seq;
	memcpy(h->payload_hash, e->payload_hash, FSB_HASH_LEN);
	h->index = e->index;
	return 0;
}

/* The case an entry is in, read from case_of into root; 0 when absent. */
static int case_of(struct check *c, uint64_t index, char root[FSB_MESSAGE_ID_MAX + 1])
{
	uint8_t ik[8];
	put64(ik, index);
	MDB_val k = val(ik, 8), v;
	if (mdb_get(c->txn, c->s->dbi[DB_CASE_OF], &k, &v) != 0 || v.mv_size > FSB_MESSAGE_ID_MAX)
		return 0;
	memcpy(root, v.mv_data, v.mv_size);
	root[v.mv_size] = '\0';
	return 1;
}

/* The by_case record of entry e in case root. */
static size_t member_value(uint8_t *mv, const struct fsb_entry *e, const struct fsb_links *l,
			   const char *root)
{
	struct store_member m;
	store_member_of(e, l, root, &m);
	return store_member_write(mv, &m);
}

static int check_entry(struct check *c, const struct fsb_entry *e)
{
	struct entry_keys k;
	entry_keys(e, &k);
	const char *what = NULL;
	int h;
	if ((h = holds(c, DB_BY_SEQ, val(k.sk, k.sklen), k.sv, sizeof k.sv)) <= 0)
		what = "by_seq";
	else if ((h = holds(c, DB_BY_ID, val(k.id, strlen(k.id)), k.ik, 8)) <= 0)
		what = "by_id";
	else if ((h = holds(c, DB_BY_KIND, val(k.kk, 9), NULL, 0)) <= 0)
		what = "by_kind";
	else if ((h = holds(c, DB_BY_TIME, val(k.tk, 16), NULL, 0)) <= 0)
		what = "by_time";
	if (h < 0)
		return FSB_ESTORE;
	if (what) {
		differ(c, e->index, "index %s: entry %llu (%s) is missing or wrong", what,
		       (unsigned long long)e->index, k.id);
		return 0;
	}
	struct fsb_links l;
	if (fsb_envelope_links(e->envelope, e->envelope_len, &l))
		memset(&l, 0, sizeof l);
	int linked = l.ref_id[0] != 0;
	if (linked) {
		c->refs++;
		uint8_t rk[FSB_MESSAGE_ID_MAX + 9];
		if ((h = holds(c, DB_BY_REF, val(rk, store_id_key(rk, l.ref_id, e->index)), NULL, 0)) < 0)
			return FSB_ESTORE;
		if (!h) {
			differ(c, e->index, "index by_ref: entry %llu (%s) is not listed under %s",
			       (unsigned long long)e->index, k.id, l.ref_id);
			return 0;
		}
	}
	char root[FSB_MESSAGE_ID_MAX + 1];
	if (!case_of(c, e->index, root)) {
		differ(c, e->index, "index case_of: entry %llu (%s) is in no case",
		       (unsigned long long)e->index, k.id);
		return 0;
	}
	/* Its case follows from its reference (store_case_root). */
	char want[FSB_MESSAGE_ID_MAX + 1];
	int rc = store_case_root(c->s, c->txn, k.id, &l, want);
	if (rc)
		return rc;
	if (strcmp(root, want) != 0) {
		differ(c, e->index, "index case_of: entry %llu (%s) is in case %s, the log puts it in %s",
		       (unsigned long long)e->index, k.id, root, want);
		return 0;
	}
	uint8_t mk[FSB_MESSAGE_ID_MAX + 9], mv[STORE_MEMBER_MAX];
	size_t mklen = store_id_key(mk, root, e->index), mvlen = member_value(mv, e, &l, root);
	if ((h = holds(c, DB_BY_CASE, val(mk, mklen), mv, mvlen)) < 0)
		return FSB_ESTORE;
	if (!h) {
		differ(c, e->index, "index by_case: entry %llu (%s) is missing from case %s or wrong",
		       (unsigned long long)e->index, k.id, root);
		return 0;
	}
	struct store_tkeys tk;
	if ((rc = store_trace_keys(e, &tk)))
		return rc;
	for (size_t i = 0; i < tk.n && rc == 0; i++) {
		uint8_t tkey[STORE_TKEY_MAX + 9];
		c->traces++;
		if ((h = holds(c, DB_TRACE, val(tkey, store_trace_key(tkey, &tk.keys[i], e->index)), NULL,
			       0)) < 0)
			rc = FSB_ESTORE;
		else if (!h)
			differ(c, e->index, "index trace: entry %llu (%s) is not filed under %c:%.*s",
			       (unsigned long long)e->index, k.id, tk.keys[i].k[0],
			       (int)tk.keys[i].len - 1, (const char *)tk.keys[i].k + 1);
	}
	store_tkeys_free(&tk);
	return rc ? rc : note_head(c, e);
}

/* Calls fn with every case as its members make it (read from by_case,
 * in order): its flags and its root's index (0: not held). */
typedef int (*case_fold_fn)(struct check *c, const char *root, unsigned flags,
			    uint64_t root_index, void *ctx);

static int fold_cases(struct check *c, case_fold_fn fn, void *ctx)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_BY_CASE], &cur);
	if (rc)
		return store_fail(c->s, rc, "cannot read the cases");
	MDB_val k, v;
	char root[FSB_MESSAGE_ID_MAX + 1] = "";
	unsigned flags = 0;
	uint64_t root_index = 0;
	int have = 0, mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		const uint8_t *nul = mrc == 0 && k.mv_size > 9 ? memchr(kp, 0, k.mv_size - 8) : NULL;
		int next = mrc != 0 || !nul || (size_t)(nul - kp) != strlen(root) ||
			   memcmp(kp, root, strlen(root)) != 0;
		if (have && next) {
			if ((rc = fn(c, root, flags, root_index, ctx)))
				break;
			have = 0;
		}
		if (mrc != 0)
			break;
		struct store_member m;
		if (!nul || (size_t)(nul - kp) > FSB_MESSAGE_ID_MAX ||
		    store_member_read(v.mv_data, v.mv_size, &m)) {
			differ(c, UINT64_MAX, "index by_case: a malformed record");
			continue;
		}
		if (next) {
			memcpy(root, kp, (size_t)(nul - kp));
			root[nul - kp] = '\0';
			flags = 0;
			root_index = 0;
			have = 1;
		}
		flags |= store_member_flags(root, &m);
		if (m.bits & STORE_MEMBER_ROOT)
			root_index = get64(nul + 1);
	}
	mdb_cursor_close(cur);
	if (rc == 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(c->s, mrc, "cannot read the cases");
	return rc;
}

struct case_counts {
	uint64_t cases, open;
};

/* A case against the cases and case_open tables, record by record. */
static int check_case(struct check *c, const char *root, unsigned flags, uint64_t root_index,
		      void *ctx)
{
	struct case_counts *n = ctx;
	uint8_t want[STORE_CASE_RECORD];
	store_case_record(want, flags, root_index);
	int h = holds(c, DB_CASES, val(root, strlen(root)), want, sizeof want);
	int o = holds(c, DB_CASE_OPEN, val(root, strlen(root)), NULL, 0);
	if (h < 0 || o < 0)
		return FSB_ESTORE;
	if (!h)
		differ(c, root_index ? root_index : UINT64_MAX,
		       "index cases: case %s is missing or its state is wrong", root);
	else if (o != fsb_case_is_open(flags))
		differ(c, root_index ? root_index : UINT64_MAX,
		       "index case_open: case %s is %s listed as open", root, o ? "wrongly" : "not");
	n->cases++;
	n->open += (uint64_t)fsb_case_is_open(flags);
	return 0;
}

static int check_heads(struct check *c)
{
	for (size_t i = 0; i < c->n_heads; i++) {
		const struct fsb_head *h = &c->heads[i];
		uint8_t hv[HEAD_VALUE];
		head_value(hv, h->seq, h->payload_hash, h->index);
		int got = holds(c, DB_HEADS, val(h->origin, strlen(h->origin)), hv, sizeof hv);
		if (got < 0)
			return FSB_ESTORE;
		if (!got)
			differ(c, h->index, "index heads: the head of %s is not %s:%llu (entry %llu)",
			       h->origin, h->origin, (unsigned long long)h->seq,
			       (unsigned long long)h->index);
	}
	return 0;
}

/* The record-by-record check: slow (lookups for every record an entry
 * makes), run when the digests differ, to name the first difference. */
static int slow_check(struct check *c0, MDB_txn *txn)
{
	struct check c = *c0;
	struct fsb_store *s = c.s;
	c.txn = txn;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, s->dbi[DB_LOG], &cur);
	if (rc)
		return store_fail(s, rc, "cannot read the log");
	MDB_val k, v;
	int mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && !c.found && rc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct fsb_entry e;
		uint64_t index = k.mv_size == 8 ? get64(k.mv_data) : 0;
		if ((rc = store_log_entry(s, c.txn, index, &e)))
			break;
		c.entries++;
		rc = check_entry(&c, &e);
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_fail(s, mrc, "cannot read the log");
	if (rc || c.found)
		goto done;
	if ((rc = check_heads(&c)) || c.found)
		goto done;
	struct case_counts n = {0, 0};
	if ((rc = fold_cases(&c, check_case, &n)) || c.found)
		goto done;
	/* Every entry's records are there; nothing else may be. */
	struct {
		int db;
		const char *name;
		uint64_t want;
	} counts[] = {
		{DB_BY_SEQ, "by_seq", c.entries}, {DB_BY_ID, "by_id", c.entries},
		{DB_BY_KIND, "by_kind", c.entries}, {DB_BY_TIME, "by_time", c.entries},
		{DB_HEADS, "heads", c.n_heads}, {DB_BY_REF, "by_ref", c.refs},
		{DB_CASE_OF, "case_of", c.entries}, {DB_BY_CASE, "by_case", c.entries},
		{DB_CASES, "cases", n.cases}, {DB_CASE_OPEN, "case_open", n.open},
		{DB_TRACE, "trace", c.traces},
	};
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		uint64_t got = store_db_entries(s, c.txn, counts[i].db);
		if (got != counts[i].want) {
			differ(&c, UINT64_MAX, "index %s holds %llu records, the log makes %llu",
			       counts[i].name, (unsigned long long)got,
			       (unsigned long long)counts[i].want);
			break;
		}
	}
done:
	mdb_cursor_close(cur);
	free(c.heads);
	c0->found = c.found;
	c0->bad_index = c.bad_index;
	return rc;
}

/* ---- the check: digests first --------------------------------------------- */

/* SipHash-2-4 (Aumasson and Bernstein), keyed afresh for every check: the
 * sum of the keyed hashes of a table's records is its digest, which no one
 * who writes the disk can match without the key. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                     \
	do {                                                                         \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);            \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                               \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                               \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);            \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t siphash(const uint64_t key[2], const uint8_t *in, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ key[0], v1 = 0x646f72616e646f6dULL ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ key[0], v3 = 0x7465646279746573ULL ^ key[1];
	size_t end = len - len % 8;
	for (size_t i = 0; i < end; i += 8) {
		uint64_t m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < len % 8; i++)
		b |= (uint64_t)in[end + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static const int digest_dbs[] = {DB_BY_SEQ,  DB_BY_ID,   DB_BY_KIND, DB_BY_TIME,   DB_HEADS, DB_BY_REF,
				 DB_CASE_OF, DB_BY_CASE, DB_CASES,   DB_CASE_OPEN, DB_TRACE};
enum { N_DIGESTS = sizeof digest_dbs / sizeof digest_dbs[0] };

struct digests {
	uint64_t key[2];
	uint64_t sum[N_DIGESTS], n[N_DIGESTS];
};

static int slot_of(int db)
{
	for (int i = 0; i < N_DIGESTS; i++)
		if (digest_dbs[i] == db)
			return i;
	return 0;
}

/* Adds the record (k, v) of table db. */
static void digest_add(struct digests *d, int db, const void *k, size_t kn, const void *v, size_t vn)
{
	uint8_t buf[512];
	if (kn + vn + 2 > sizeof buf)
		return; /* no record of these tables is as long; one that is differs */
	buf[0] = (uint8_t)(kn >> 8);
	buf[1] = (uint8_t)kn;
	memcpy(buf + 2, k, kn);
	if (vn) /* (an empty value may come as NULL) */
		memcpy(buf + 2 + kn, v, vn);
	int i = slot_of(db);
	d->sum[i] += siphash(d->key, buf, 2 + kn + vn);
	d->n[i]++;
}

/* The digest of what table db holds, read in order. */
static int digest_table(struct check *c, int db, struct digests *d)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(c->txn, c->s->dbi[db], &cur);
	if (rc)
		return store_fail(c->s, rc, "cannot read an index");
	MDB_val k, v;
	int mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size + v.mv_size + 2 > 512) {
			d->n[slot_of(db)]++; /* counted, never matched */
			d->sum[slot_of(db)] ^= 1;
			continue;
		}
		digest_add(d, db, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
	}
	mdb_cursor_close(cur);
	return mrc == MDB_NOTFOUND ? 0 : store_fail(c->s, mrc, "cannot read an index");
}

/* What the log says every index of entry e holds, into want. */
static int expect_entry(struct check *c, const struct fsb_entry *e, struct digests *want)
{
	struct entry_keys k;
	entry_keys(e, &k);
	digest_add(want, DB_BY_SEQ, k.sk, k.sklen, k.sv, sizeof k.sv);
	digest_add(want, DB_BY_ID, k.id, strlen(k.id), k.ik, 8);
	digest_add(want, DB_BY_KIND, k.kk, 9, NULL, 0);
	digest_add(want, DB_BY_TIME, k.tk, 16, NULL, 0);
	struct fsb_links l;
	if (fsb_envelope_links(e->envelope, e->envelope_len, &l))
		memset(&l, 0, sizeof l);
	if (l.ref_id[0]) {
		uint8_t rk[FSB_MESSAGE_ID_MAX + 9];
		digest_add(want, DB_BY_REF, rk, store_id_key(rk, l.ref_id, e->index), NULL, 0);
	}
	char root[FSB_MESSAGE_ID_MAX + 1];
	int rc = store_case_root(c->s, c->txn, k.id, &l, root);
	if (rc)
		return rc;
	uint8_t mk[FSB_MESSAGE_ID_MAX + 9], mv[STORE_MEMBER_MAX];
	size_t mklen = store_id_key(mk, root, e->index), mvlen = member_value(mv, e, &l, root);
	digest_add(want, DB_CASE_OF, k.ik, 8, root, strlen(root));
	digest_add(want, DB_BY_CASE, mk, mklen, mv, mvlen);
	struct store_tkeys tk;
	if ((rc = store_trace_keys(e, &tk)))
		return rc;
	for (size_t i = 0; i < tk.n; i++) {
		uint8_t tkey[STORE_TKEY_MAX + 9];
		digest_add(want, DB_TRACE, tkey, store_trace_key(tkey, &tk.keys[i], e->index), NULL, 0);
	}
	store_tkeys_free(&tk);
	return note_head(c, e);
}

/* What cases and case_open should hold, from by_case (read in order, its
 * digest already found right). */
static int expect_case(struct check *c, const char *root, unsigned flags, uint64_t root_index,
		       void *ctx)
{
	struct digests *want = ctx;
	(void)c;
	uint8_t rec[STORE_CASE_RECORD];
	store_case_record(rec, flags, root_index);
	digest_add(want, DB_CASES, root, strlen(root), rec, sizeof rec);
	if (fsb_case_is_open(flags))
		digest_add(want, DB_CASE_OPEN, root, strlen(root), NULL, 0);
	return 0;
}

/* Sets *agree when every index's digest is the one the log makes; returns
 * 0, or a store error. */
static int digests_agree(struct check *c, int *agree)
{
	struct digests want, got;
	memset(&want, 0, sizeof want);
	memset(&got, 0, sizeof got);
	*agree = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, want.key, sizeof want.key) : -1;
	if (fd >= 0)
		close(fd);
	if (r != (ssize_t)sizeof want.key)
		return 0; /* no key: the record-by-record check decides */
	memcpy(got.key, want.key, sizeof got.key);
	MDB_cursor *cur;
	int rc = mdb_cursor_open(c->txn, c->s->dbi[DB_LOG], &cur);
	if (rc)
		return store_fail(c->s, rc, "cannot read the log");
	MDB_val k, v;
	int mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && rc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct fsb_entry e;
		if ((rc = store_log_entry(c->s, c->txn, k.mv_size == 8 ? get64(k.mv_data) : 0, &e)))
			break;
		rc = expect_entry(c, &e, &want);
	}
	mdb_cursor_close(cur);
	if (rc == FSB_ESTORE || (rc == 0 && mrc != MDB_NOTFOUND))
		return 0; /* an unreadable record: the slow check says which */
	if (rc)
		return rc;
	for (size_t i = 0; i < c->n_heads; i++) {
		const struct fsb_head *h = &c->heads[i];
		uint8_t hv[HEAD_VALUE];
		head_value(hv, h->seq, h->payload_hash, h->index);
		digest_add(&want, DB_HEADS, h->origin, strlen(h->origin), hv, sizeof hv);
	}
	for (int i = 0; i < N_DIGESTS; i++)
		if ((rc = digest_table(c, digest_dbs[i], &got)))
			return rc;
	for (int i = 0; i < N_DIGESTS; i++)
		if (digest_dbs[i] != DB_CASES && digest_dbs[i] != DB_CASE_OPEN &&
		    (want.sum[i] != got.sum[i] || want.n[i] != got.n[i]))
			return 0;
	if ((rc = fold_cases(c, expect_case, &want)) || c->found)
		return rc;
	*agree = want.sum[slot_of(DB_CASES)] == got.sum[slot_of(DB_CASES)] &&
		 want.n[slot_of(DB_CASES)] == got.n[slot_of(DB_CASES)] &&
		 want.sum[slot_of(DB_CASE_OPEN)] == got.sum[slot_of(DB_CASE_OPEN)] &&
		 want.n[slot_of(DB_CASE_OPEN)] == got.n[slot_of(DB_CASE_OPEN)];
	return 0;
}

int fsb_store_index_check(struct fsb_store *s, uint64_t *bad_index, char *why, size_t whylen)
{
	*bad_index = 0;
	why[0] = '\0';
	struct check c = {.s = s, .why = why, .whylen = whylen};
	int rc = store_read_txn(s, &c.txn);
	if (rc)
		return rc;
	int agree = 0;
	if (!store_indexes_current(s, c.txn))
		differ(&c, UINT64_MAX, "the indexes are from an older fsbridge: run `fsbridge index rebuild`");
	else if ((rc = digests_agree(&c, &agree)) == 0 && !agree) {
		free(c.heads);
		c.heads = NULL;
		c.n_heads = c.cap_heads = 0;
		rc = slow_check(&c, c.txn);
		if (rc == 0 && !c.found) /* the digests saw what the records do not show */
			differ(&c, UINT64_MAX, "an index holds records the log does not make");
	}
	mdb_txn_abort(c.txn);
	free(c.heads);
	if (rc)
		return rc;
	*bad_index = c.found ? c.bad_index : 0;
	return c.found ? 1 : 0;
}
