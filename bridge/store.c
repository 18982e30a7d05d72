/* store.c - the audit log and node state in LMDB.
 *
 * Layout (named databases in one environment; integers big-endian so keys
 * sort numerically):
 *   log      index(8)                         -> record (see below)
 *   by_seq   origin NUL seq(8)                -> index(8) payload_hash(32)
 *   by_id    message id                       -> index(8)
 *   by_kind  kind(1) index(8)                 -> (empty)
 *   by_time  issued_at(8, sign-flipped) index(8) -> (empty)
 *   heads    origin                           -> seq(8) payload_hash(32) index(8)
 *   outbox   seq(8)                           -> index(8)
 *   equiv    origin NUL seq(8) payload_hash(32) -> arrival(8) envelope
 *   certs    fingerprint(32)                  -> certificate DER
 *   rejects  id(8)                            -> when(8) code(4) total(4) topic_len(2)
 *                                                reason_len(2) topic reason raw
 *   cp_last  peer                             -> arrival(8) envelope
 *   cp_all   peer NUL arrival(8) hash(8)      -> envelope
 *   meta     "layout" -> u32, "origin" -> slug
 *
 * A log record is a fixed header (format, direction, status, kind, arrival,
 * issued_at, seq, payload hash, entry hash), the origin and category as
 * short strings, then the envelope. The entry hash is SHA-256 of the
 * previous entry's hash, the index, and the record with its own hash field
 * zeroed: changing any byte of any entry breaks the chain from there on.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "error.h"
#include "format.h"

#define DEFAULT_MAP_BYTES (64u << 20)
#define MAX_RETRIES 24

enum {
	DB_LOG, DB_BY_SEQ, DB_BY_ID, DB_BY_KIND, DB_BY_TIME, DB_HEADS, DB_OUTBOX, DB_EQUIV,
	DB_CERTS, DB_REJECTS, DB_CP_LAST, DB_CP_ALL, DB_META, N_DBS
};
static const char *const db_names[N_DBS] = {
	"log", "by_seq", "by_id", "by_kind", "by_time", "heads", "outbox", "equiv",
	"certs", "rejects", "cp_last", "cp_all", "meta",
};

struct fsb_store {
	MDB_env *env;
	MDB_dbi dbi[N_DBS];
	char origin[FSB_ORIGIN_MAX + 1];
	char dir[512];
	int read_only;
	size_t reject_bytes; /* budget of the rejects table */
	int mdb_rc; /* LMDB's code behind the last FSB_ESTORE, for retries */
	char err[512];
};

/* ---- small helpers --------------------------------------------------------- */

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void seterr(struct fsb_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void seterr(struct fsb_store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
}

/* LMDB reports a short write as EIO, which is how a full disk often shows:
 * when the data directory's file system is (nearly) full, say so. */
#define NEARLY_FULL_BYTES (16u << 20)

static int disk_full(const char *dir)
{
	struct statvfs v;
	return statvfs(dir, &v) == 0 && (uint64_t)v.f_bavail * v.f_frsize < NEARLY_FULL_BYTES;
}

/* Translates an LMDB or errno code, keeping the detail in s->err. */
static int fail(struct fsb_store *s, int rc, const char *what)
{
	s->mdb_rc = rc;
	if (rc == ENOSPC || (rc == EIO && disk_full(s->dir))) {
		seterr(s, "%s: no space left on device (data_dir %s)", what, s->dir);
		return FSB_ENOSPC;
	}
	seterr(s, "%s: %s (data_dir %s)", what, mdb_strerror(rc), s->dir);
	return rc == EIO || rc == EACCES || rc == ENOENT ? FSB_EIO : FSB_ESTORE;
}

const char *fsb_store_error(const struct fsb_store *s)
{
	return s->err;
}

const char *fsb_store_origin(const struct fsb_store *s)
{
	return s->origin;
}

static MDB_val val(const void *p, size_t n)
{
	MDB_val v = {n, (void *)p};
	return v;
}

/* origin NUL seq(8) [hash(32)] */
static size_t seq_key(uint8_t *k, const char *origin, uint64_t seq)
{
	size_t n = strlen(origin);
	memcpy(k, origin, n);
	k[n] = 0;
	put64(k + n + 1, seq);
	return n + 9;
}

/* ---- log records ------------------------------------------------------------ */

#define REC_FORMAT 1
enum {
	R_FORMAT = 0, R_DIR = 1, R_STATUS = 2, R_KIND = 3, R_ARRIVAL = 4, R_ISSUED = 12,
	R_SEQ = 20, R_PHASH = 28, R_EHASH = 60, R_FIXED = 92,
};

static size_t record_size(const struct fsb_entry_in *in)
{
	return R_FIXED + 1 + strlen(in->origin) + 1 + (in->category ? strlen(in->category) : 0) + 4 +
	       in->envelope_len;
}

static void record_write(uint8_t *r, const struct fsb_entry_in *in)
{
	memset(r, 0, R_FIXED);
	r[R_FORMAT] = REC_FORMAT;
	r[R_DIR] = (uint8_t)in->direction;
	r[R_STATUS] = (uint8_t)in->status;
	r[R_KIND] = (uint8_t)in->kind;
	put64(r + R_ARRIVAL, (uint64_t)in->arrival_ms);
	put64(r + R_ISSUED, (uint64_t)in->issued_at_ms);
	put64(r + R_SEQ, in->seq);
	memcpy(r + R_PHASH, in->payload_hash, FSB_HASH_LEN);
	uint8_t *p = r + R_FIXED;
	size_t n = strlen(in->origin);
	*p++ = (uint8_t)n;
	memcpy(p, in->origin, n);
	p += n;
	n = in->category ? strlen(in->category) : 0;
	*p++ = (uint8_t)n;
	memcpy(p, in->category, n);
	p += n;
	p[0] = (uint8_t)(in->envelope_len >> 24);
	p[1] = (uint8_t)(in->envelope_len >> 16);
	p[2] = (uint8_t)(in->envelope_len >> 8);
	p[3] = (uint8_t)in->envelope_len;
	memcpy(p + 4, in->envelope, in->envelope_len);
}

/* Reads a record into e (envelope pointing into r); -1 if malformed. */
static int record_read(const uint8_t *r, size_t len, uint64_t index, struct fsb_entry *e)
{
	memset(e, 0, sizeof *e);
	if (len < R_FIXED + 6 || r[R_FORMAT] != REC_FORMAT)
		return -1;
	e->index = index;
	e->direction = r[R_DIR];
	e->status = r[R_STATUS];
	e->kind = r[R_KIND];
	e->arrival_ms = (int64_t)get64(r + R_ARRIVAL);
	e->issued_at_ms = (int64_t)get64(r + R_ISSUED);
	e->seq = get64(r + R_SEQ);
	memcpy(e->payload_hash, r + R_PHASH, FSB_HASH_LEN);
	memcpy(e->entry_hash, r + R_EHASH, FSB_HASH_LEN);
	size_t off = R_FIXED;
	size_t n = r[off++];
	if (n > FSB_ORIGIN_MAX || off + n + 1 > len)
		return -1;
	memcpy(e->origin, r + off, n);
	off += n;
	n = r[off++];
	if (n > FSB_CATEGORY_MAX || off + n + 4 > len)
		return -1;
	memcpy(e->category, r + off, n);
	off += n;
	size_t elen = (size_t)r[off] << 24 | (size_t)r[off + 1] << 16 | (size_t)r[off + 2] << 8 | r[off + 3];
	off += 4;
	if (elen != len - off)
		return -1;
	e->envelope = (uint8_t *)(r + off);
	e->envelope_len = elen;
	return 0;
}

/* Entry hash over prev || index || the record with its hash field zeroed. */
static void record_hash(const uint8_t *r, size_t len, uint64_t index,
			const uint8_t prev[FSB_HASH_LEN], uint8_t out[FSB_HASH_LEN])
{
	static const uint8_t zeros[FSB_HASH_LEN];
	uint8_t idx[8];
	put64(idx, index);
	struct fsb_bytes parts[] = {
		{prev, FSB_HASH_LEN}, {idx, 8}, {r, R_EHASH}, {zeros, FSB_HASH_LEN},
		{r + R_FIXED, len - R_FIXED},
	};
	fsb_sha256_parts(parts, sizeof parts / sizeof parts[0], out);
}

/* LMDB opens an existing environment with the map size asked for, or the
 * size of the data when that is larger: a full map, so the first write of
 * every process would fail, grow the map and start again (a `fsbridge
 * submit` then sealed its batch twice). A writer starts with half the data
 * again as room, and at least `floor`. */
static int headroom(struct fsb_store *s, size_t floor)
{
	MDB_envinfo info;
	MDB_stat st;
	if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st))
		return 0;
	size_t used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	size_t want = used + used / 2;
	if (want < floor)
		want = floor;
	if (info.me_mapsize >= want)
		return 0;
	int rc = mdb_env_set_mapsize(s->env, want);
	return rc ? fail(s, rc, "cannot size the map") : 0;
}

/* ---- opening ------------------------------------------------------------------ */

/* mkdir -p, mode 0700 for what it creates. */
static int make_dirs(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static int check_meta(struct fsb_store *s, MDB_txn *txn, const char *want_origin)
{
	MDB_val k = val("layout", 6), v;
	uint8_t layout[4] = {0, 0, 0, FSB_STORE_LAYOUT};
	int rc = mdb_get(txn, s->dbi[DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		if (s->read_only || !want_origin) {
			seterr(s, "%s is not an fsbridge data directory (no layout record)", s->dir);
			return FSB_ECONFIG;
		}
		MDB_val lv = val(layout, 4), ov = val(want_origin, strlen(want_origin));
		MDB_val ok = val("origin", 6);
		if ((rc = mdb_put(txn, s->dbi[DB_META], &k, &lv, 0)) ||
		    (rc = mdb_put(txn, s->dbi[DB_META], &ok, &ov, 0)))
			return fail(s, rc, "cannot initialise the data directory");
		snprintf(s->origin, sizeof s->origin, "%s", want_origin);
		return 0;
	}
	if (rc)
		return fail(s, rc, "cannot read the layout record");
	if (v.mv_size != 4 || memcmp(v.mv_data, layout, 4) != 0) {
		seterr(s, "%s has store layout %u, this fsbridge reads layout %d", s->dir,
		       v.mv_size == 4 ? (unsigned)((uint8_t *)v.mv_data)[3] : 0, FSB_STORE_LAYOUT);
		return FSB_ECONFIG;
	}
	k = val("origin", 6);
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) || v.mv_size > FSB_ORIGIN_MAX)
		return rc ? fail(s, rc, "cannot read the origin record") : FSB_ESTORE;
	memcpy(s->origin, v.mv_data, v.mv_size);
	s->origin[v.mv_size] = '\0';
	if (want_origin && strcmp(want_origin, s->origin) != 0) {
		seterr(s, "%s holds the log of origin \"%s\", not \"%s\"", s->dir, s->origin,
		       want_origin);
		return FSB_ECONFIG;
	}
	return 0;
}

int fsb_store_open(const char *dir, const struct fsb_store_opts *o, struct fsb_store **out,
		   char *err, size_t errlen)
{
	*out = NULL;
	struct fsb_store *s = calloc(1, sizeof *s);
	if (!s)
		return FSB_ENOMEM;
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	s->read_only = o->read_only;
	s->reject_bytes = o->reject_bytes ? o->reject_bytes : FSB_STORE_REJECT_BYTES;
	int rc;
	MDB_txn *txn = NULL;
	struct stat st;
	if (s->read_only && stat(dir, &st) != 0) {
		seterr(s, "no data directory at %s: %s", dir, strerror(errno));
		rc = FSB_EIO;
		goto fail;
	}
	if (s->read_only) {
		/* Say what it is, rather than LMDB's "No such file or directory". */
		char data[600];
		struct stat dst;
		snprintf(data, sizeof data, "%s/data.mdb", dir);
		if (!S_ISDIR(st.st_mode) || stat(data, &dst) != 0) {
			seterr(s, "%s is not an fsbridge data directory (%s)", dir,
			       S_ISDIR(st.st_mode) ? "it holds no log, data.mdb" : "not a directory");
			rc = FSB_ECONFIG;
			goto fail;
		}
	}
	if (!s->read_only && make_dirs(dir) != 0) {
		seterr(s, "cannot create data directory %s: %s", dir, strerror(errno));
		rc = FSB_EIO;
		goto fail;
	}
	if ((rc = mdb_env_create(&s->env)) ||
	    (rc = mdb_env_set_maxdbs(s->env, N_DBS)) ||
	    (rc = mdb_env_set_mapsize(s->env, o->initial_map_bytes ? o->initial_map_bytes
								     : DEFAULT_MAP_BYTES))) {
		rc = fail(s, rc, "cannot set up LMDB");
		goto fail;
	}
	if ((rc = mdb_env_open(s->env, dir, s->read_only ? MDB_RDONLY : 0, 0600))) {
		rc = fail(s, rc, "cannot open the data directory");
		goto fail;
	}
	if (!s->read_only && (rc = headroom(s, o->initial_map_bytes ? o->initial_map_bytes
								     : DEFAULT_MAP_BYTES)))
		goto fail;
	if ((rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn))) {
		rc = fail(s, rc, "cannot begin a transaction");
		goto fail;
	}
	for (int i = 0; i < N_DBS; i++) {
		int mrc = mdb_dbi_open(txn, db_names[i], s->read_only ? 0 : MDB_CREATE, &s->dbi[i]);
		if (mrc == MDB_NOTFOUND) {
			seterr(s, "%s is not an fsbridge data directory (no table \"%s\")", dir,
			       db_names[i]);
			rc = FSB_ECONFIG;
			goto fail;
		}
		if (mrc) {
			rc = fail(s, mrc, "cannot open a table");
			goto fail;
		}
	}
	if ((rc = check_meta(s, txn, o->origin)))
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc) {
		rc = fail(s, rc, "cannot initialise the data directory");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (txn)
		mdb_txn_abort(txn);
	snprintf(err, errlen, "%s", s->err);
	fsb_store_close(s);
	return rc;
}

void fsb_store_close(struct fsb_store *s)
{
	if (!s)
		return;
	if (s->env)
		mdb_env_close(s->env);
	free(s);
}

/* ---- write transactions ----------------------------------------------------- */

typedef int (*txn_body)(struct fsb_store *s, MDB_txn *txn, void *ctx);

/* Doubles the map; the caller holds no transaction. */
static int grow(struct fsb_store *s)
{
	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	int rc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
	return rc ? fail(s, rc, "cannot grow the map") : 0;
}

/* Runs body in a write transaction and commits it, growing the map and
 * retrying when it is full, and following a map another process grew. */
static int write_txn(struct fsb_store *s, txn_body body, void *ctx)
{
	if (s->read_only) {
		seterr(s, "store opened read-only");
		return FSB_EINVAL;
	}
	for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
		MDB_txn *txn;
		s->mdb_rc = 0;
		int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			mdb_env_set_mapsize(s->env, 0);
			continue;
		}
		if (rc)
			return fail(s, rc, "cannot begin a write transaction");
		rc = body(s, txn, ctx);
		if (rc) {
			mdb_txn_abort(txn);
			if (s->mdb_rc == MDB_MAP_FULL && (rc = grow(s)) == 0)
				continue;
			return rc;
		}
		rc = mdb_txn_commit(txn);
		if (rc == MDB_MAP_FULL) {
			if ((rc = grow(s)))
				return rc;
			continue;
		}
		return rc ? fail(s, rc, "cannot commit") : 0;
	}
	seterr(s, "gave up after %d attempts to grow the map (data_dir %s)", MAX_RETRIES, s->dir);
	return FSB_ESTORE;
}

/* A u64 counter in meta; 0 when absent. */
static uint64_t meta_u64(struct fsb_store *s, MDB_txn *txn, const char *name)
{
	MDB_val k = val(name, strlen(name)), v;
	return mdb_get(txn, s->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8 ? get64(v.mv_data) : 0;
}

/* Index and entry hash of the newest log entry (0 and zeros when empty). */
static int log_tail(struct fsb_store *s, MDB_txn *txn, uint64_t *index, uint8_t hash[FSB_HASH_LEN])
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, s->dbi[DB_LOG], &c);
	if (rc)
		return fail(s, rc, "cannot read the log");
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		*index = 0;
		memset(hash, 0, FSB_HASH_LEN);
		return 0;
	}
	if (rc)
		return fail(s, rc, "cannot read the log");
	if (k.mv_size != 8 || v.mv_size < R_FIXED) {
		seterr(s, "log entry with a malformed key or record (data_dir %s)", s->dir);
		return FSB_ESTORE;
	}
	*index = get64(k.mv_data);
	memcpy(hash, (const uint8_t *)v.mv_data + R_EHASH, FSB_HASH_LEN);
	return 0;
}

static int put(struct fsb_store *s, MDB_txn *txn, int db, MDB_val k, MDB_val v, unsigned flags,
	       const char *what)
{
	int rc = mdb_put(txn, s->dbi[db], &k, &v, flags);
	if (rc == MDB_KEYEXIST && (flags & MDB_NOOVERWRITE))
		return 0;
	return rc ? fail(s, rc, what) : 0;
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
	size_t rlen = record_size(in);
	MDB_val k = val(ik, 8), v = {rlen, NULL};
	if ((rc = mdb_put(txn, s->dbi[DB_LOG], &k, &v, MDB_RESERVE | MDB_APPEND)))
		return fail(s, rc, "cannot append to the log");
	uint8_t *r = v.mv_data;
	record_write(r, in);
	record_hash(r, rlen, index, prev, r + R_EHASH);

	uint8_t sk[FSB_ORIGIN_MAX + 9], sv[8 + FSB_HASH_LEN];
	size_t sklen = seq_key(sk, in->origin, in->seq);
	memcpy(sv, ik, 8);
	memcpy(sv + 8, in->payload_hash, FSB_HASH_LEN);
	uint8_t hv[8 + FSB_HASH_LEN + 8];
	put64(hv, in->seq);
	memcpy(hv + 8, in->payload_hash, FSB_HASH_LEN);
	memcpy(hv + 8 + FSB_HASH_LEN, ik, 8);
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", in->origin, (unsigned long long)in->seq);
	uint8_t kk[9], tk[16];
	kk[0] = (uint8_t)in->kind;
	memcpy(kk + 1, ik, 8);
	put64(tk, (uint64_t)in->issued_at_ms ^ (1ULL << 63));
	memcpy(tk + 8, ik, 8);
	uint8_t fp[FSB_FP_LEN];
	fsb_sha256(in->cert, in->cert_len, fp);
	if ((rc = put(s, txn, DB_BY_SEQ, val(sk, sklen), val(sv, sizeof sv), 0, "cannot index by seq")) ||
	    (rc = put(s, txn, DB_BY_ID, val(id, strlen(id)), val(ik, 8), 0, "cannot index by id")) ||
	    (rc = put(s, txn, DB_BY_KIND, val(kk, 9), val(NULL, 0), 0, "cannot index by kind")) ||
	    (rc = put(s, txn, DB_BY_TIME, val(tk, 16), val(NULL, 0), 0, "cannot index by time")) ||
	    (rc = put(s, txn, DB_HEADS, val(in->origin, strlen(in->origin)), val(hv, sizeof hv), 0,
		      "cannot update the stream head")) ||
	    (rc = put(s, txn, DB_CERTS, val(fp, FSB_FP_LEN), val(in->cert, in->cert_len),
		      MDB_NOOVERWRITE, "cannot keep the signer certificate")))
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
		return fail(s, rc, "cannot read a stream head");
	*seq = get64(v.mv_data);
	memcpy(hash, (const uint8_t *)v.mv_data + 8, FSB_HASH_LEN);
	if (!issued_at)
		return 0;
	uint8_t ik[8];
	memcpy(ik, (const uint8_t *)v.mv_data + 8 + FSB_HASH_LEN, 8);
	MDB_val lk = val(ik, 8), lv;
	if ((rc = mdb_get(txn, s->dbi[DB_LOG], &lk, &lv)))
		return fail(s, rc, "cannot read a stream head's entry");
	if (lv.mv_size < R_FIXED) {
		seterr(s, "log entry %llu is unreadable (data_dir %s)", (unsigned long long)get64(ik),
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
		size_t sklen = seq_key(sk, in->origin, in->seq);
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
				return fail(s, rc, "cannot keep equivocation evidence");
			put64(ev.mv_data, (uint64_t)in->arrival_ms);
			memcpy((uint8_t *)ev.mv_data + 8, in->envelope, in->envelope_len);
			continue;
		}
		if (rc != MDB_NOTFOUND)
			return fail(s, rc, "cannot look up (origin, seq)");
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
	return write_txn(s, append_body, &a);
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
			seterr(s, "sealing message %zu of the batch failed: %s", i + 1, fsb_strerror(rc));
			return rc;
		}
		if (in.seq != seq || strcmp(in.origin, s->origin) != 0 ||
		    memcmp(in.prev_hash, prev, FSB_HASH_LEN) != 0 || in.issued_at_ms < prev_issued) {
			seterr(s, "sealed message %zu is not %s:%llu linked to its predecessor, issued at or after it",
			       i + 1, s->origin, (unsigned long long)seq);
			return FSB_EINVAL;
		}
		uint64_t index;
		if ((rc = append_entry(s, txn, &in, &index)))
			return rc;
		uint8_t sk[8], iv[8];
		put64(sk, seq);
		put64(iv, index);
		if ((rc = put(s, txn, DB_OUTBOX, val(sk, 8), val(iv, 8), 0, "cannot add to the outbox")))
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
	int rc = write_txn(s, own_body, &a);
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

/* ---- reading ------------------------------------------------------------------ */

static int read_txn(struct fsb_store *s, MDB_txn **txn)
{
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(s->env, 0);
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	}
	return rc ? fail(s, rc, "cannot begin a read transaction") : 0;
}

/* A read transaction with a cursor on db; on failure nothing stays open. */
static int read_cursor(struct fsb_store *s, int db, MDB_txn **txn, MDB_cursor **c,
		       const char *what)
{
	int rc = read_txn(s, txn);
	if (rc)
		return rc;
	if ((rc = mdb_cursor_open(*txn, s->dbi[db], c))) {
		mdb_txn_abort(*txn);
		return fail(s, rc, what);
	}
	return 0;
}

static void read_done(MDB_txn *txn, MDB_cursor *c)
{
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
}

/* Entries in db, within the reader's snapshot. */
static size_t db_entries(struct fsb_store *s, MDB_txn *txn, int db)
{
	MDB_stat st;
	return mdb_stat(txn, s->dbi[db], &st) == 0 ? st.ms_entries : 0;
}

void fsb_entry_clear(struct fsb_entry *e)
{
	free(e->envelope);
	memset(e, 0, sizeof *e);
}

static int get_entry(struct fsb_store *s, MDB_txn *txn, uint64_t index, struct fsb_entry *out)
{
	uint8_t ik[8];
	put64(ik, index);
	MDB_val k = val(ik, 8), v;
	int rc = mdb_get(txn, s->dbi[DB_LOG], &k, &v);
	if (rc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	if (rc)
		return fail(s, rc, "cannot read the log");
	if (record_read(v.mv_data, v.mv_size, index, out)) {
		seterr(s, "log entry %llu is unreadable (data_dir %s)", (unsigned long long)index, s->dir);
		return FSB_ESTORE;
	}
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
	int rc = read_txn(s, &txn);
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
	int rc = read_txn(s, &txn);
	if (rc)
		return rc;
	rc = mdb_get(txn, s->dbi[db], &k, &v);
	if (rc == 0 && v.mv_size >= 8)
		*index = get64(v.mv_data);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	return rc ? fail(s, rc, "cannot look up an index") : 0;
}

int fsb_store_find_seq(struct fsb_store *s, const char *origin, uint64_t seq, uint64_t *index)
{
	uint8_t k[FSB_ORIGIN_MAX + 9];
	if (strlen(origin) > FSB_ORIGIN_MAX)
		return FSB_ENOTFOUND;
	return find(s, DB_BY_SEQ, val(k, seq_key(k, origin, seq)), index);
}

int fsb_store_seq_hash(struct fsb_store *s, const char *origin, uint64_t seq,
		       uint8_t hash[FSB_HASH_LEN])
{
	uint8_t k[FSB_ORIGIN_MAX + 9];
	if (strlen(origin) > FSB_ORIGIN_MAX)
		return FSB_ENOTFOUND;
	MDB_txn *txn;
	MDB_val key = val(k, seq_key(k, origin, seq)), v;
	int rc = read_txn(s, &txn);
	if (rc)
		return rc;
	int mrc = mdb_get(txn, s->dbi[DB_BY_SEQ], &key, &v);
	if (mrc == 0 && v.mv_size == 8 + FSB_HASH_LEN)
		memcpy(hash, (const uint8_t *)v.mv_data + 8, FSB_HASH_LEN);
	mdb_txn_abort(txn);
	if (mrc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	return mrc ? fail(s, mrc, "cannot look up (origin, seq)") : 0;
}

int fsb_store_find_id(struct fsb_store *s, const char *message_id, uint64_t *index)
{
	return find(s, DB_BY_ID, val(message_id, strlen(message_id)), index);
}

int fsb_store_walk(struct fsb_store *s, uint64_t from, fsb_entry_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = read_cursor(s, DB_LOG, &txn, &c, "cannot read the log");
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
		if (record_read(v.mv_data, v.mv_size, index, &e)) {
			chain = FSB_CHAIN_UNREADABLE;
			memset(&e, 0, sizeof e);
			e.index = index;
		} else {
			uint8_t h[FSB_HASH_LEN];
			record_hash(v.mv_data, v.mv_size, index, prev, h);
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
		rc = fail(s, mrc, "cannot read the log");
	read_done(txn, c);
	return rc;
}

int fsb_store_head(struct fsb_store *s, const char *origin, uint64_t *seq,
		   uint8_t hash[FSB_HASH_LEN], int64_t *issued_at_ms)
{
	MDB_txn *txn;
	int rc = read_txn(s, &txn);
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
	int rc = read_cursor(s, DB_HEADS, &txn, &c, "cannot read the stream heads");
	if (rc)
		return rc;
	size_t cap = db_entries(s, txn, DB_HEADS);
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
	read_done(txn, c);
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
	int rc = read_txn(s, &txn);
	if (rc)
		return rc;
	st->entries = db_entries(s, txn, DB_LOG);
	st->outbox = db_entries(s, txn, DB_OUTBOX);
	st->rejects = db_entries(s, txn, DB_REJECTS);
	st->rejects_total = meta_u64(s, txn, "rejects_total");
	if (st->rejects_total < st->rejects) /* a log from before the count was kept */
		st->rejects_total = st->rejects;
	st->equivocations = db_entries(s, txn, DB_EQUIV);
	st->certs = db_entries(s, txn, DB_CERTS);
	rc = log_tail(s, txn, &st->last_index, st->last_hash);
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &ms);
	st->map_bytes = info.me_mapsize;
	st->used_bytes = (info.me_last_pgno + 1) * (size_t)ms.ms_psize;
	mdb_txn_abort(txn);
	return rc;
}

/* ---- outbox ----------------------------------------------------------------------- */

int fsb_store_outbox(struct fsb_store *s, uint64_t after, uint64_t *seqs, size_t max, size_t *n)
{
	*n = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = read_cursor(s, DB_OUTBOX, &txn, &c, "cannot read the outbox");
	if (rc)
		return rc;
	uint8_t sk[8];
	put64(sk, after + 1);
	MDB_val k = val(sk, 8), v;
	for (int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); mrc == 0 && *n < max;
	     mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		seqs[(*n)++] = get64(k.mv_data);
	read_done(txn, c);
	return 0;
}

static int retire_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	uint64_t upto = *(uint64_t *)arg;
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, s->dbi[DB_OUTBOX], &c);
	if (rc)
		return fail(s, rc, "cannot read the outbox");
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0 && get64(k.mv_data) <= upto)
		if ((rc = mdb_cursor_del(c, 0)))
			break;
	mdb_cursor_close(c);
	return rc && rc != MDB_NOTFOUND ? fail(s, rc, "cannot retire from the outbox") : 0;
}

int fsb_store_outbox_retire(struct fsb_store *s, uint64_t seq)
{
	return write_txn(s, retire_body, &seq);
}

/* ---- rejects ------------------------------------------------------------------------ */

static int put_meta_u64(struct fsb_store *s, MDB_txn *txn, const char *name, uint64_t x)
{
	uint8_t b[8];
	put64(b, x);
	return put(s, txn, DB_META, val(name, strlen(name)), val(b, 8), 0, "cannot count rejects");
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
	uint64_t bytes = meta_u64(s, txn, "rejects_bytes"), total = meta_u64(s, txn, "rejects_total");
	int rc = mdb_cursor_open(txn, s->dbi[DB_REJECTS], &c);
	if (rc)
		return fail(s, rc, "cannot read the rejects");
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
		return fail(s, rc, "cannot record a reject");
	if ((rc = put_meta_u64(s, txn, "rejects_bytes", bytes)) ||
	    (rc = put_meta_u64(s, txn, "rejects_total", total)))
		return rc;
	return 0;
}

int fsb_store_rejects_put(struct fsb_store *s, const struct fsb_reject_in *r, size_t n)
{
	struct rejects_ctx a = {r, n};
	return n ? write_txn(s, reject_body, &a) : 0;
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
	int rc = read_cursor(s, DB_REJECTS, &txn, &c, "cannot read the rejects");
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
	read_done(txn, c);
	return rc;
}

/* ---- peer checkpoints ------------------------------------------------------------ */

struct cp_ctx {
	const char *peer;
	int64_t arrival;
	const uint8_t *env;
	size_t len;
};

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

static int cp_body(struct fsb_store *s, MDB_txn *txn, void *arg)
{
	struct cp_ctx *a = arg;
	size_t plen = strlen(a->peer);
	uint8_t key[FSB_ORIGIN_MAX + 1 + 8 + 8], h[FSB_HASH_LEN];
	memcpy(key, a->peer, plen);
	key[plen] = 0;
	MDB_val k, v;
	int rc;
	int64_t newest = cp_newest(s, txn, key, plen + 1);
	if (newest == INT64_MIN || a->arrival - newest >= FSB_STORE_CP_KEEP_MS) {
		put64(key + plen + 1, (uint64_t)a->arrival);
		fsb_sha256(a->env, a->len, h);
		memcpy(key + plen + 9, h, 8);
		k = val(key, plen + 17);
		v.mv_size = a->len;
		if ((rc = mdb_put(txn, s->dbi[DB_CP_ALL], &k, &v, MDB_RESERVE)))
			return fail(s, rc, "cannot keep a checkpoint");
		memcpy(v.mv_data, a->env, a->len);
	}
	k = val(a->peer, plen);
	v.mv_size = 8 + a->len;
	if ((rc = mdb_put(txn, s->dbi[DB_CP_LAST], &k, &v, MDB_RESERVE)))
		return fail(s, rc, "cannot keep a checkpoint");
	put64(v.mv_data, (uint64_t)a->arrival);
	memcpy((uint8_t *)v.mv_data + 8, a->env, a->len);
	return 0;
}

int fsb_store_put_checkpoint(struct fsb_store *s, const char *peer, int64_t arrival_ms,
			     const uint8_t *envelope, size_t len)
{
	if (fsb_fmt_slug(peer))
		return FSB_EINVAL;
	struct cp_ctx a = {peer, arrival_ms, envelope, len};
	return write_txn(s, cp_body, &a);
}

int fsb_store_get_checkpoint(struct fsb_store *s, const char *peer, uint8_t **envelope,
			     size_t *len, int64_t *arrival_ms)
{
	MDB_txn *txn;
	MDB_val k = val(peer, strlen(peer)), v;
	int rc = read_txn(s, &txn);
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
	return mrc ? fail(s, mrc, "cannot read a checkpoint") : rc;
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
	int rc = read_cursor(s, DB_CP_LAST, &txn, &c, "cannot read the checkpoints");
	if (rc)
		return rc;
	size_t cap = db_entries(s, txn, DB_CP_LAST);
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
	read_done(txn, c);
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
	return put(s, txn, DB_META, val(a->key, strlen(a->key)), val(a->data, a->len), 0,
		   "cannot keep a value");
}

/* Notes and values share meta, under their own prefixes. */
static int put_named(struct fsb_store *s, const char *prefix, const char *name, const void *data,
		     size_t len)
{
	struct value_ctx a = {.data = data, .len = len};
	snprintf(a.key, sizeof a.key, "%s:%s", prefix, name);
	return write_txn(s, value_body, &a);
}

static int get_named(struct fsb_store *s, const char *prefix, const char *name, uint8_t **data,
		     size_t *len)
{
	MDB_txn *txn;
	char key[80];
	snprintf(key, sizeof key, "%s:%s", prefix, name);
	MDB_val k = val(key, strlen(key)), v;
	int rc = read_txn(s, &txn);
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
	return mrc ? fail(s, mrc, "cannot read a value") : rc;
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
	fsb_sha256((const uint8_t *)ca_name, strlen(ca_name), h);
	return put_named(s, "crl", fsb_fmt_hex(h, 8, name), der, len);
}

int fsb_store_crls(struct fsb_store *s, uint8_t ***crls, size_t **lens, size_t *n)
{
	*crls = NULL;
	*lens = NULL;
	*n = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	int rc = read_cursor(s, DB_META, &txn, &c, "cannot read the kept CRLs");
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
	read_done(txn, c);
	return rc;
}
