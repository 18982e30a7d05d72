/* store.c - the audit log and node state in LMDB: the environment.
 *
 * Opens the environment (checking its layout and origin), runs write
 * transactions with their retries, and grows the map when it fills; the
 * bottom of the store, beneath every other store file. The layout of the
 * databases, and which file does what, is in store_internal.h.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
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

static const char *const db_names[N_DBS] = {
	"log", "by_seq", "by_id", "by_kind", "by_time", "heads", "outbox", "equiv",
	"certs", "rejects", "cp_last", "cp_all", "meta",
	"by_ref", "case_of", "by_case", "cases", "case_open", "trace",
};
/* Tables a store written before the cases lacks: opened read-only, it
 * reads as before, and the views ask for `fsbridge index rebuild`. */
#define FIRST_CASE_DB DB_BY_REF

/* ---- small helpers --------------------------------------------------------- */

void store_seterr(struct fsb_store *s, const char *fmt, ...)
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

int store_fail(struct fsb_store *s, int rc, const char *what)
{
	s->mdb_rc = rc;
	if (rc == ENOSPC || (rc == EIO && disk_full(s->dir))) {
		store_seterr(s, "%s: no space left on device (data_dir %s)", what, s->dir);
		return FSB_ENOSPC;
	}
	store_seterr(s, "%s: %s (data_dir %s)", what, mdb_strerror(rc), s->dir);
	return rc == EIO || rc == EACCES || rc == ENOENT ? FSB_EIO : FSB_ESTORE;
}

void store_message_id(char id[FSB_MESSAGE_ID_MAX + 1], const char *origin, uint64_t seq)
{
	snprintf(id, FSB_MESSAGE_ID_MAX + 1, "%s:%llu", origin, (unsigned long long)seq);
}

int store_indexes_current(struct fsb_store *s, MDB_txn *txn)
{
	if (s->no_case_dbs)
		return 0;
	MDB_val k = val("indexes", 7), v;
	if (mdb_get(txn, s->dbi[DB_META], &k, &v) != 0 || v.mv_size != 4)
		return 0;
	return ((const uint8_t *)v.mv_data)[3] == FSB_STORE_INDEXES;
}

const char *fsb_store_error(const struct fsb_store *s)
{
	return s->err;
}

const char *fsb_store_origin(const struct fsb_store *s)
{
	return s->origin;
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
	return rc ? store_fail(s, rc, "cannot size the map") : 0;
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
			store_seterr(s, "%s is not an fsbridge data directory (no layout record)", s->dir);
			return FSB_ECONFIG;
		}
		MDB_val lv = val(layout, 4), ov = val(want_origin, strlen(want_origin));
		MDB_val ok = val("origin", 6);
		if ((rc = mdb_put(txn, s->dbi[DB_META], &k, &lv, 0)) ||
		    (rc = mdb_put(txn, s->dbi[DB_META], &ok, &ov, 0)))
			return store_fail(s, rc, "cannot initialise the data directory");
		snprintf(s->origin, sizeof s->origin, "%s", want_origin);
		return 0;
	}
	if (rc)
		return store_fail(s, rc, "cannot read the layout record");
	if (v.mv_size != 4 || memcmp(v.mv_data, layout, 4) != 0) {
		store_seterr(s, "%s has store layout %u, this fsbridge reads layout %d", s->dir,
		       v.mv_size == 4 ? (unsigned)((uint8_t *)v.mv_data)[3] : 0, FSB_STORE_LAYOUT);
		return FSB_ECONFIG;
	}
	k = val("origin", 6);
	if ((rc = mdb_get(txn, s->dbi[DB_META], &k, &v)) || v.mv_size > FSB_ORIGIN_MAX)
		return rc ? store_fail(s, rc, "cannot read the origin record") : FSB_ESTORE;
	memcpy(s->origin, v.mv_data, v.mv_size);
	s->origin[v.mv_size] = '\0';
	if (want_origin && strcmp(want_origin, s->origin) != 0) {
		store_seterr(s, "%s holds the log of origin \"%s\", not \"%s\"", s->dir, s->origin,
		       want_origin);
		return FSB_ECONFIG;
	}
	return 0;
}

int store_env_open(const char *dir, const struct fsb_store_opts *o, struct fsb_store **out,
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
		store_seterr(s, "no data directory at %s: %s", dir, strerror(errno));
		rc = FSB_EIO;
		goto fail;
	}
	if (s->read_only) {
		/* Say what it is, rather than LMDB's "No such file or directory". */
		char data[600];
		struct stat dst;
		snprintf(data, sizeof data, "%s/data.mdb", dir);
		if (!S_ISDIR(st.st_mode) || stat(data, &dst) != 0) {
			store_seterr(s, "%s is not an fsbridge data directory (%s)", dir,
			       S_ISDIR(st.st_mode) ? "it holds no log, data.mdb" : "not a directory");
			rc = FSB_ECONFIG;
			goto fail;
		}
	}
	if (!s->read_only && make_dirs(dir) != 0) {
		store_seterr(s, "cannot create data directory %s: %s", dir, strerror(errno));
		rc = FSB_EIO;
		goto fail;
	}
	if ((rc = mdb_env_create(&s->env)) ||
	    (rc = mdb_env_set_maxdbs(s->env, N_DBS)) ||
	    (rc = mdb_env_set_mapsize(s->env, o->initial_map_bytes ? o->initial_map_bytes
								     : DEFAULT_MAP_BYTES))) {
		rc = store_fail(s, rc, "cannot set up LMDB");
		goto fail;
	}
	if ((rc = mdb_env_open(s->env, dir, s->read_only ? MDB_RDONLY : 0, 0600))) {
		rc = store_fail(s, rc, "cannot open the data directory");
		goto fail;
	}
	if (!s->read_only && (rc = headroom(s, o->initial_map_bytes ? o->initial_map_bytes
								     : DEFAULT_MAP_BYTES)))
		goto fail;
	if ((rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn))) {
		rc = store_fail(s, rc, "cannot begin a transaction");
		goto fail;
	}
	for (int i = 0; i < N_DBS; i++) {
		int mrc = mdb_dbi_open(txn, db_names[i], s->read_only ? 0 : MDB_CREATE, &s->dbi[i]);
		if (mrc == MDB_NOTFOUND && i >= FIRST_CASE_DB) {
			s->no_case_dbs = 1;
			continue;
		}
		if (mrc == MDB_NOTFOUND) {
			store_seterr(s, "%s is not an fsbridge data directory (no table \"%s\")", dir,
			       db_names[i]);
			rc = FSB_ECONFIG;
			goto fail;
		}
		if (mrc) {
			rc = store_fail(s, mrc, "cannot open a table");
			goto fail;
		}
	}
	if ((rc = check_meta(s, txn, o->origin)))
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc) {
		rc = store_fail(s, rc, "cannot initialise the data directory");
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

/* Doubles the map; the caller holds no transaction. */
static int grow(struct fsb_store *s)
{
	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	int rc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
	return rc ? store_fail(s, rc, "cannot grow the map") : 0;
}

int store_write_txn(struct fsb_store *s, store_txn_body body, void *ctx)
{
	if (s->read_only) {
		store_seterr(s, "store opened read-only");
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
			return store_fail(s, rc, "cannot begin a write transaction");
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
		return rc ? store_fail(s, rc, "cannot commit") : 0;
	}
	store_seterr(s, "gave up after %d attempts to grow the map (data_dir %s)", MAX_RETRIES, s->dir);
	return FSB_ESTORE;
}

uint64_t store_meta_u64(struct fsb_store *s, MDB_txn *txn, const char *name)
{
	MDB_val k = val(name, strlen(name)), v;
	return mdb_get(txn, s->dbi[DB_META], &k, &v) == 0 && v.mv_size == 8 ? get64(v.mv_data) : 0;
}

int store_put(struct fsb_store *s, MDB_txn *txn, int db, MDB_val k, MDB_val v, unsigned flags,
	       const char *what)
{
	int rc = mdb_put(txn, s->dbi[db], &k, &v, flags);
	if (rc == MDB_KEYEXIST && (flags & MDB_NOOVERWRITE))
		return 0;
	return rc ? store_fail(s, rc, what) : 0;
}


/* ---- reading ------------------------------------------------------------------ */

int store_read_txn(struct fsb_store *s, MDB_txn **txn)
{
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(s->env, 0);
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	}
	return rc ? store_fail(s, rc, "cannot begin a read transaction") : 0;
}

int store_read_cursor(struct fsb_store *s, int db, MDB_txn **txn, MDB_cursor **c,
		       const char *what)
{
	int rc = store_read_txn(s, txn);
	if (rc)
		return rc;
	if ((rc = mdb_cursor_open(*txn, s->dbi[db], c))) {
		mdb_txn_abort(*txn);
		return store_fail(s, rc, what);
	}
	return 0;
}

void store_read_done(MDB_txn *txn, MDB_cursor *c)
{
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
}

size_t store_db_entries(struct fsb_store *s, MDB_txn *txn, int db)
{
	MDB_stat st;
	return mdb_stat(txn, s->dbi[db], &st) == 0 ? st.ms_entries : 0;
}

