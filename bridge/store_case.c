/* store_case.c - the case index: every entry placed in its case.
 *
 * Each entry joins a case when it is appended: a root (anything without a
 * well-formed reference) makes its own; a follow-up, or a certification
 * notice that changes an earlier one, joins the case of the message it
 * references, or, while that message is not held, a case named by the
 * referenced id. (So a certificate's notices make one case.) When that message arrives, the
 * members waiting for it move into its case (which may itself still wait
 * for an older message). Should a reference chain close into a loop, the
 * member that closes it becomes the root. The case's flags are the OR of
 * what its members say (case_rule.h), so moving members never needs more
 * than folding their own flags in again.
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

int store_case_get(struct fsb_store *s, MDB_txn *txn, const char *id, unsigned *flags,
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
	if (v.mv_size != STORE_CASE_RECORD) {
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
	uint8_t r[STORE_CASE_RECORD];
	store_case_record(r, flags, root_index);
	MDB_val k = val(id, strlen(id));
	int rc = store_put(s, txn, DB_CASES, k, val(r, sizeof r), 0, "cannot write a case");
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
	store_id_key(fk, from, 0);
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
		if ((rc = store_put(s, txn, DB_BY_CASE, val(tk, store_id_key(tk, to, index)), val(mv, mlen), 0,
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

int store_case_root(struct fsb_store *s, MDB_txn *txn, const char *id, const struct fsb_links *l,
		    char root[FSB_MESSAGE_ID_MAX + 1])
{
	snprintf(root, FSB_MESSAGE_ID_MAX + 1, "%s", id);
	if (!l->ref_id[0])
		return 0;
	/* While the referenced message is not held, its id names the case
	 * (and if it is held in no case, a damaged index audit verify names,
	 * the log goes on growing meanwhile). */
	snprintf(root, FSB_MESSAGE_ID_MAX + 1, "%s", l->ref_id);
	MDB_val k = val(l->ref_id, strlen(l->ref_id)), v;
	int rc = mdb_get(txn, s->dbi[DB_BY_ID], &k, &v);
	if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size != 8))
		return 0;
	if (rc)
		return store_fail(s, rc, "cannot look up a referenced message");
	/* Its case is ours; should it be waiting for us (a loop), that case is
	 * named by our id, and we are its root. */
	MDB_val ck = val(v.mv_data, 8), cv;
	rc = mdb_get(txn, s->dbi[DB_CASE_OF], &ck, &cv);
	if (rc == MDB_NOTFOUND || (rc == 0 && cv.mv_size > FSB_MESSAGE_ID_MAX))
		return 0;
	if (rc)
		return store_fail(s, rc, "cannot read the case of a referenced message");
	memcpy(root, cv.mv_data, cv.mv_size);
	root[cv.mv_size] = '\0';
	return 0;
}

int store_case_add(struct fsb_store *s, MDB_txn *txn, const struct fsb_entry *e)
{
	char id[FSB_MESSAGE_ID_MAX + 1], root[FSB_MESSAGE_ID_MAX + 1];
	store_message_id(id, e->origin, e->seq);
	struct fsb_links l;
	if (fsb_envelope_links(e->envelope, e->envelope_len, &l))
		memset(&l, 0, sizeof l); /* not readable: a case of its own */
	uint8_t ik[8];
	put64(ik, e->index);
	int rc;
	if (l.ref_id[0]) {
		uint8_t rk[FSB_MESSAGE_ID_MAX + 9];
		if ((rc = store_put(s, txn, DB_BY_REF, val(rk, store_id_key(rk, l.ref_id, e->index)),
				    val(NULL, 0), 0, "cannot index a follow-up")))
			return rc;
	}
	if ((rc = store_case_root(s, txn, id, &l, root)))
		return rc;
	uint8_t mk[FSB_MESSAGE_ID_MAX + 9], mv[STORE_MEMBER_MAX];
	struct store_member m;
	store_member_of(e, &l, root, &m);
	size_t mlen = store_member_write(mv, &m);
	if ((rc = store_put(s, txn, DB_CASE_OF, val(ik, 8), val(root, strlen(root)), 0,
			    "cannot index a case")) ||
	    (rc = store_put(s, txn, DB_BY_CASE, val(mk, store_id_key(mk, root, e->index)), val(mv, mlen), 0,
			    "cannot index a case")))
		return rc;
	unsigned flags;
	uint64_t root_index;
	if ((rc = store_case_get(s, txn, root, &flags, &root_index)) && rc != FSB_ENOTFOUND)
		return rc;
	flags |= store_member_flags(root, &m);
	if (m.bits & STORE_MEMBER_ROOT) {
		root_index = e->index;
	} else {
		/* Those who waited for this message are now in its case. */
		unsigned waiting;
		uint64_t none;
		if ((rc = store_case_get(s, txn, id, &waiting, &none)) == 0) {
			if ((rc = move_members(s, txn, id, root, &flags)) ||
			    (rc = case_del(s, txn, id)))
				return rc;
		} else if (rc != FSB_ENOTFOUND) {
			return rc;
		}
	}
	return case_put(s, txn, root, flags, root_index);
}
