/* store_case.c - the case index, and the reads the views make.
 *
 * Each entry joins a case when it is appended: a root (anything but a
 * follow-up with a well-formed reference) makes its own; a follow-up joins
 * the case of the message it references, or, while that message is not
 * held, a case named by the referenced id. When that message arrives, the
 * members waiting for it move into its case (which may itself still wait
 * for an older message). Should a reference chain close into a loop, the
 * member that closes it becomes the root. The case's flags are the OR of
 * what its members say (case_rule.h), so moving members never needs more
 * than folding their own flags in again.
 *
 * A view is one read transaction: every read the case view makes, from the
 * list of cases to the checkpoints that say what was delivered, sees one
 * snapshot, and the node's writer never waits for it.
 */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_rule.h"
#include "error.h"

void store_member_of(const struct fsb_entry *e, const struct fsb_links *l, const char *root,
		     struct store_member *m)
{
	char id[FSB_MESSAGE_ID_MAX + 1];
	store_message_id(id, e->origin, e->seq);
	m->type = l->type;
	m->bits = strcmp(root, id) == 0 ? STORE_MEMBER_ROOT | (l->alerting ? STORE_MEMBER_ALERT : 0) : 0;
	snprintf(m->origin, sizeof m->origin, "%s", e->origin);
	snprintf(m->ref, sizeof m->ref, "%s", l->ref_id);
}

size_t store_member_write(uint8_t *p, const struct store_member *m)
{
	size_t on = strlen(m->origin), rn = strlen(m->ref);
	p[0] = (uint8_t)m->type;
	p[1] = (uint8_t)m->bits;
	p[2] = (uint8_t)on;
	memcpy(p + 3, m->origin, on);
	memcpy(p + 3 + on, m->ref, rn);
	return 3 + on + rn;
}

int store_member_read(const void *data, size_t len, struct store_member *m)
{
	const uint8_t *p = data;
	if (len < 3 || p[2] > FSB_ORIGIN_MAX || 3u + p[2] > len || len - 3 - p[2] > FSB_MESSAGE_ID_MAX)
		return -1;
	m->type = (enum fsb_followup_type)p[0];
	m->bits = p[1];
	memcpy(m->origin, p + 3, p[2]);
	m->origin[p[2]] = '\0';
	size_t rn = len - 3 - p[2];
	memcpy(m->ref, p + 3 + p[2], rn);
	m->ref[rn] = '\0';
	return 0;
}

unsigned store_member_flags(const char *root, const struct store_member *m)
{
	unsigned f = fsb_case_member_flags(root, m->origin, m->type, m->ref);
	if (m->bits & STORE_MEMBER_ROOT)
		f |= FSB_CASE_HELD | (m->bits & STORE_MEMBER_ALERT ? FSB_CASE_ALERT : 0u);
	return f;
}

/* id NUL index(8) */
static size_t id_key(uint8_t *k, const char *id, uint64_t index)
{
	size_t n = strlen(id);
	memcpy(k, id, n);
	k[n] = 0;
	put64(k + n + 1, index);
	return n + 9;
}

/* A case's record: flags(1) root index(8); zeros when it has none yet. */
static int case_get(struct fsb_store *s, MDB_txn *txn, const char *id, unsigned *flags,
		    uint64_t *root_index)
{
	MDB_val k = val(id, strlen(id)), v;
	int rc = mdb_get(txn, s->dbi[DB_CASES], &k, &v);
	*flags = 0;
	*root_index = 0;
	if (rc == MDB_NOTFOUND)
		return FSB_ENOTFOUND;
	if (rc)
		return store_fail(s, rc, "cannot read a case");
	if (v.mv_size != 9) {
		store_seterr(s, "case %s has a malformed record (data_dir %s)", id, s->dir);
		return FSB_ESTORE;
	}
	*flags = ((const uint8_t *)v.mv_data)[0];
	*root_index = get64((const uint8_t *)v.mv_data + 1);
	return 0;
}

static int case_put(struct fsb_store *s, MDB_txn *txn, const char *id, unsigned flags,
		    uint64_t root_index)
{
	uint8_t r[9];
	r[0] = (uint8_t)flags;
	put64(r + 1, root_index);
	MDB_val k = val(id, strlen(id));
	int rc = store_put(s, txn, DB_CASES, k, val(r, 9), 0, "cannot write a case");
	if (rc)
		return rc;
	if (fsb_case_is_open(flags))
		return store_put(s, txn, DB_CASE_OPEN, k, val(NULL, 0), 0, "cannot list an open case");
	rc = mdb_del(txn, s->dbi[DB_CASE_OPEN], &k, NULL);
	return rc && rc != MDB_NOTFOUND ? store_fail(s, rc, "cannot unlist a case") : 0;
}

static int case_del(struct fsb_store *s, MDB_txn *txn, const char *id)
{
	MDB_val k = val(id, strlen(id));
	int rc = mdb_del(txn, s->dbi[DB_CASES], &k, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_del(txn, s->dbi[DB_CASE_OPEN], &k, NULL);
	return rc && rc != MDB_NOTFOUND ? store_fail(s, rc, "cannot remove a case") : 0;
}

/* Moves the members waiting in case `from` into case `to`, folding their
 * flags into *flags. */
static int move_members(struct fsb_store *s, MDB_txn *txn, const char *from, const char *to,
			unsigned *flags)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(txn, s->dbi[DB_BY_CASE], &c);
	if (rc)
		return store_fail(s, rc, "cannot read a case");
	size_t fn = strlen(from);
	uint8_t fk[FSB_MESSAGE_ID_MAX + 9];
	id_key(fk, from, 0);
	MDB_val k = val(fk, fn + 9), v;
	/* Each step deletes the record under the cursor and writes it under
	 * the other case's key, then looks again from the start of `from`. */
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) == 0 && k.mv_size == fn + 9 &&
	       memcmp(k.mv_data, fk, fn + 1) == 0) {
		uint64_t index = get64((const uint8_t *)k.mv_data + fn + 1);
		struct store_member m;
		if (store_member_read(v.mv_data, v.mv_size, &m)) {
			store_seterr(s, "case %s has a malformed member record (data_dir %s)", from, s->dir);
			rc = FSB_ESTORE;
			goto out;
		}
		if ((rc = mdb_cursor_del(c, 0))) {
			rc = store_fail(s, rc, "cannot move a case member");
			goto out;
		}
		uint8_t tk[FSB_MESSAGE_ID_MAX + 9], mv[STORE_MEMBER_MAX];
		uint8_t ik[8];
		put64(ik, index);
		size_t mlen = store_member_write(mv, &m);
		if ((rc = store_put(s, txn, DB_BY_CASE, val(tk, id_key(tk, to, index)), val(mv, mlen), 0,
				    "cannot move a case member")) ||
		    (rc = store_put(s, txn, DB_CASE_OF, val(ik, 8), val(to, strlen(to)), 0,
				    "cannot move a case member")))
			goto out;
		*flags |= store_member_flags(to, &m);
		k = val(fk, fn + 9);
	}
	rc = rc == 0 || rc == MDB_NOTFOUND ? 0 : store_fail(s, rc, "cannot read a case");
out:
	mdb_cursor_close(c);
	return rc;
}

int store_case_add(struct fsb_store *s, MDB_txn *txn, const struct fsb_entry *e)
{
	char id[FSB_MESSAGE_ID_MAX + 1], root[FSB_MESSAGE_ID_MAX + 1];
	store_message_id(id, e->origin, e->seq);
	snprintf(root, sizeof root, "%s", id);
	struct fsb_links l;
	if (fsb_envelope_links(e->envelope, e->envelope_len, &l))
		memset(&l, 0, sizeof l); /* not readable: a case of its own */
	uint8_t ik[8];
	put64(ik, e->index);
	int rc;
	if (l.kind == FSB_KIND_FOLLOWUP && l.ref_id[0]) {
		uint8_t rk[FSB_MESSAGE_ID_MAX + 9];
		if ((rc = store_put(s, txn, DB_BY_REF, val(rk, id_key(rk, l.ref_id, e->index)),
				    val(NULL, 0), 0, "cannot index a follow-up")))
			return rc;
		MDB_val k = val(l.ref_id, strlen(l.ref_id)), v;
		rc = mdb_get(txn, s->dbi[DB_BY_ID], &k, &v);
		if (rc == MDB_NOTFOUND) {
			snprintf(root, sizeof root, "%s", l.ref_id);
		} else if (rc) {
			return store_fail(s, rc, "cannot look up a referenced message");
		} else if (v.mv_size == 8) {
			MDB_val ck = val(v.mv_data, 8), cv;
			rc = mdb_get(txn, s->dbi[DB_CASE_OF], &ck, &cv);
			if (rc && rc != MDB_NOTFOUND)
				return store_fail(s, rc, "cannot read the case of a referenced message");
			/* Its case is ours, unless it waits for us: a loop. (A
			 * referenced message in no case is an index audit verify
			 * names; the log goes on growing meanwhile.) */
			if (rc == MDB_NOTFOUND || cv.mv_size > FSB_MESSAGE_ID_MAX)
				snprintf(root, sizeof root, "%s", l.ref_id);
			else if (cv.mv_size != strlen(id) || memcmp(cv.mv_data, id, cv.mv_size) != 0) {
				memcpy(root, cv.mv_data, cv.mv_size);
				root[cv.mv_size] = '\0';
			}
		}
	}
	uint8_t mk[FSB_MESSAGE_ID_MAX + 9], mv[STORE_MEMBER_MAX];
	struct store_member m;
	store_member_of(e, &l, root, &m);
	size_t mlen = store_member_write(mv, &m);
	if ((rc = store_put(s, txn, DB_CASE_OF, val(ik, 8), val(root, strlen(root)), 0,
			    "cannot index a case")) ||
	    (rc = store_put(s, txn, DB_BY_CASE, val(mk, id_key(mk, root, e->index)), val(mv, mlen), 0,
			    "cannot index a case")))
		return rc;
	unsigned flags;
	uint64_t root_index;
	if ((rc = case_get(s, txn, root, &flags, &root_index)) && rc != FSB_ENOTFOUND)
		return rc;
	flags |= store_member_flags(root, &m);
	if (m.bits & STORE_MEMBER_ROOT) {
		root_index = e->index;
	} else {
		/* Those who waited for this message are now in its case. */
		unsigned waiting;
		uint64_t none;
		if ((rc = case_get(s, txn, id, &waiting, &none)) == 0) {
			if ((rc = move_members(s, txn, id, root, &flags)) ||
			    (rc = case_del(s, txn, id)))
				return rc;
		} else if (rc != FSB_ENOTFOUND) {
			return rc;
		}
	}
	return case_put(s, txn, root, flags, root_index);
}

/* ---- views -------------------------------------------------------------------- */

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
	return case_get(v->s, v->txn, root, &row->flags, &row->root_index);
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
	MDB_val k = val(rk, id_key(rk, root, 0)), d;
	int mrc;
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	     mrc == 0 && k.mv_size == rn + 9 && memcmp(k.mv_data, rk, rn + 1) == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if ((*total)++ >= max)
			continue;
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			uint64_t *p = realloc(*indexes, ncap * sizeof *p);
			if (!p) {
				rc = FSB_ENOMEM;
				break;
			}
			*indexes = p;
			cap = ncap;
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
