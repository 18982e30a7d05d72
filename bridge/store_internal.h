/* store_internal.h - what the store's own files share; no other module
 * includes it. It is where LMDB comes in.
 *
 * Layout (named databases in one environment; integers big-endian so keys
 * sort numerically):
 *   log      index(8)                         -> record (store_log.c)
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
 *   meta     "layout" -> u32, "origin" -> slug, "indexes" -> u32, counters,
 *            notes, CRLs
 *   by_ref   ref message id NUL index(8)      -> (empty): follow-ups by what they reference
 *   case_of  index(8)                         -> case id (the root's message id)
 *   by_case  case id NUL index(8)             -> a member (struct store_member):
 *                                                type(1) bits(1) origin_len(1) origin ref_id
 *   cases    case id                          -> flags(1) root index(8, 0 while not held)
 *   case_open case id                         -> (empty): the cases open (case_rule.h)
 *   trace    type(1) value NUL index(8)       -> (empty): entries by the products,
 *                                                lots, establishments and chains they
 *                                                name (codec.h, enum fsb_trace_key)
 *
 * Everything from by_seq to heads, and from by_ref on, is derived from the
 * log alone (store_index.c), in the transaction that appends the entry.
 *
 * The files, from the bottom up, each using only those beneath it:
 * store.c owns the environment (transactions with their retries, the map
 * growing, the meta table); store_record.c the log's record layout;
 * store_case.c places each entry in its case; store_index.c derives,
 * rebuilds and checks every index; store_log.c appends to and reads the
 * log, store_state.c the rest of the node's state; store_view.c reads for
 * the views in one snapshot; store_open.c opens a store and brings its
 * indexes up to date.
 */
#ifndef FSB_STORE_INTERNAL_H
#define FSB_STORE_INTERNAL_H

#include <lmdb.h>
#include <stdint.h>
#include <string.h>

#include "store.h"

enum {
	DB_LOG, DB_BY_SEQ, DB_BY_ID, DB_BY_KIND, DB_BY_TIME, DB_HEADS, DB_OUTBOX, DB_EQUIV,
	DB_CERTS, DB_REJECTS, DB_CP_LAST, DB_CP_ALL, DB_META,
	DB_BY_REF, DB_CASE_OF, DB_BY_CASE, DB_CASES, DB_CASE_OPEN, DB_TRACE, N_DBS
};

struct fsb_store {
	MDB_env *env;
	MDB_dbi dbi[N_DBS];
	char origin[FSB_ORIGIN_MAX + 1];
	char dir[512];
	int read_only;
	int no_case_dbs; /* read-only, and the store predates the case tables */
	size_t reject_bytes; /* budget of the rejects table */
	int mdb_rc; /* LMDB's code behind the last FSB_ESTORE, for retries */
	char err[512];
};

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* origin NUL seq(8): the key of by_seq (k: FSB_ORIGIN_MAX + 9 bytes) */
static inline size_t store_seq_key(uint8_t *k, const char *origin, uint64_t seq)
{
	size_t n = strlen(origin);
	memcpy(k, origin, n);
	k[n] = 0;
	put64(k + n + 1, seq);
	return n + 9;
}

/* id NUL index(8): the keys of by_ref and by_case (k: FSB_MESSAGE_ID_MAX + 9 bytes) */
static inline size_t store_id_key(uint8_t *k, const char *id, uint64_t index)
{
	size_t n = strlen(id);
	memcpy(k, id, n);
	k[n] = 0;
	put64(k + n + 1, index);
	return n + 9;
}

static inline MDB_val val(const void *p, size_t n)
{
	MDB_val v = {n, (void *)p};
	return v;
}

/* ---- store_record.c: the log's records ---- */

#define STORE_REC_FORMAT 1
enum { /* offsets in a record */
	R_FORMAT = 0, R_DIR = 1, R_STATUS = 2, R_KIND = 3, R_ARRIVAL = 4, R_ISSUED = 12,
	R_SEQ = 20, R_PHASH = 28, R_EHASH = 60, R_FIXED = 92,
};
/* The bytes of the record of in, and the record itself written into r
 * (its entry hash left zero). */
size_t store_record_size(const struct fsb_entry_in *in);
void store_record_write(uint8_t *r, const struct fsb_entry_in *in);
/* Reads a record into e (its envelope pointing into r); -1 if malformed. */
int store_record_read(const uint8_t *r, size_t len, uint64_t index, struct fsb_entry *e);
/* The entry hash over prev || index || the record with its hash field zeroed. */
void store_record_hash(const uint8_t *r, size_t len, uint64_t index,
		       const uint8_t prev[FSB_HASH_LEN], uint8_t out[FSB_HASH_LEN]);
/* Reads log entry `index` in place: the envelope points into the map,
 * valid while txn lives. FSB_ENOTFOUND, or FSB_ESTORE when unreadable. */
int store_log_entry(struct fsb_store *s, MDB_txn *txn, uint64_t index, struct fsb_entry *out);

/* ---- store_trace.c: the trace index's keys ---- */

/* The trace keys of an entry, each type(1) value (no NUL), sorted and
 * without duplicates, in one malloc'd block. */
#define STORE_TKEY_MAX (1 + FSB_TRACE_VALUE_MAX)
struct store_tkeys {
	size_t n;
	struct store_tkey {
		uint8_t len;
		uint8_t k[STORE_TKEY_MAX];
	} *keys;
};
/* The keys entry e is filed under (none for a follow-up, or an envelope
 * that does not decode); FSB_ENOMEM. Release with store_tkeys_free(). */
int store_trace_keys(const struct fsb_entry *e, struct store_tkeys *out);
void store_tkeys_free(struct store_tkeys *k);
/* A record's key in trace: tk NUL index(8) (k: STORE_TKEY_MAX + 9 bytes). */
static inline size_t store_trace_key(uint8_t *k, const struct store_tkey *tk, uint64_t index)
{
	memcpy(k, tk->k, tk->len);
	k[tk->len] = 0;
	put64(k + tk->len + 1, index);
	return tk->len + 9u;
}

/* Writes every index of log entry e (store_index.c). */
int store_index_entry(struct fsb_store *s, MDB_txn *txn, const struct fsb_entry *e);

/* Places entry e in its case: by_ref, case_of, by_case, cases and
 * case_open (store_case.c). */
int store_case_add(struct fsb_store *s, MDB_txn *txn, const struct fsb_entry *e);

/* The message id "{origin}:{seq}" into id. */
void store_message_id(char id[FSB_MESSAGE_ID_MAX + 1], const char *origin, uint64_t seq);

/* A case member as by_case keeps it (store_case.c): what the case's
 * state needs of it, so that a case is computed from its members alone. */
#define STORE_MEMBER_ROOT 1  /* it is its case's first message (the root) */
#define STORE_MEMBER_ALERT 2 /* ... and calls for action */
#define STORE_MEMBER_MAX (3 + FSB_ORIGIN_MAX + FSB_MESSAGE_ID_MAX)
struct store_member {
	enum fsb_followup_type type;
	unsigned bits;
	char origin[FSB_ORIGIN_MAX + 1];
	char ref[FSB_MESSAGE_ID_MAX + 1];
};

/* The member entry e makes in case `root`, with its links l. */
void store_member_of(const struct fsb_entry *e, const struct fsb_links *l, const char *root,
		     struct store_member *m);
/* The case entry `id`, of links l, belongs in, as the case index places
 * it: its own for a root; for a follow-up, the case of the message it
 * references, or that message's id while it is not held. */
int store_case_root(struct fsb_store *s, MDB_txn *txn, const char *id, const struct fsb_links *l,
		    char root[FSB_MESSAGE_ID_MAX + 1]);

/* A case's record in cases: flags(1) root index(8, 0 while not held). */
#define STORE_CASE_RECORD 9
static inline void store_case_record(uint8_t rec[STORE_CASE_RECORD], unsigned flags,
				     uint64_t root_index)
{
	rec[0] = (uint8_t)flags;
	put64(rec + 1, root_index);
}

/* The record of case id in cases: its flags and root's index (zeros, and
 * FSB_ENOTFOUND, when there is none). */
int store_case_get(struct fsb_store *s, MDB_txn *txn, const char *id, unsigned *flags,
		   uint64_t *root_index);
/* Encodes m into p (STORE_MEMBER_MAX bytes); returns the length. */
size_t store_member_write(uint8_t *p, const struct store_member *m);
/* Decodes a record; -1 when malformed. */
int store_member_read(const void *data, size_t len, struct store_member *m);
/* What m says about case root (case_rule.h flags, HELD and ALERT from the root). */
unsigned store_member_flags(const char *root, const struct store_member *m);

/* Whether the derived indexes are of FSB_STORE_INDEXES. */
int store_indexes_current(struct fsb_store *s, MDB_txn *txn);

/* Opens the environment (fsb_store_open without the indexes brought up to
 * date, store_open.c). */
int store_env_open(const char *dir, const struct fsb_store_opts *o, struct fsb_store **out,
		   char *err, size_t errlen);

/* Sets s->err, the detail fsb_store_error() returns. */
void store_seterr(struct fsb_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Translates an LMDB or errno code into an FSB_E* code, keeping the detail
 * ("what: why (data_dir D)") in s->err and LMDB's code in s->mdb_rc. */
int store_fail(struct fsb_store *s, int rc, const char *what);

/* The body of a write transaction: 0 to commit, or an error to abort. */
typedef int (*store_txn_body)(struct fsb_store *s, MDB_txn *txn, void *ctx);

/* Runs body in a write transaction and commits it, growing the map and
 * running the body again when the map is full, and following a map that
 * another process grew. The body may run more than once: it must not keep
 * effects outside the transaction before it returns 0. */
int store_write_txn(struct fsb_store *s, store_txn_body body, void *ctx);

/* mdb_put into db; an existing key under MDB_NOOVERWRITE is no error. */
int store_put(struct fsb_store *s, MDB_txn *txn, int db, MDB_val k, MDB_val v, unsigned flags,
	      const char *what);

/* A u64 counter in meta; 0 when absent. */
uint64_t store_meta_u64(struct fsb_store *s, MDB_txn *txn, const char *name);

/* A read transaction, following a map another process grew. */
int store_read_txn(struct fsb_store *s, MDB_txn **txn);
/* A read transaction with a cursor on db; on failure nothing stays open. */
int store_read_cursor(struct fsb_store *s, int db, MDB_txn **txn, MDB_cursor **c,
		      const char *what);
void store_read_done(MDB_txn *txn, MDB_cursor *c);
/* Entries in db, within the transaction's snapshot. */
size_t store_db_entries(struct fsb_store *s, MDB_txn *txn, int db);

#endif
