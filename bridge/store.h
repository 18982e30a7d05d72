/* store.h - the node's audit log and state in LMDB; the only module that
 * sees lmdb.h.
 *
 * One LMDB environment per node (data_dir). Every envelope the node stores,
 * sent or received, becomes an entry of the local log: a big-endian u64
 * index mapping to the envelope bytes verbatim, with its arrival time,
 * direction, delivery status, and an entry hash that chains it to the entry
 * before. Secondary tables index the log by (origin,
 * seq), message id, kind and issued_at, follow-ups by what they reference,
 * and every entry by its case (PROTOCOL.md, "Cases"); others hold each stream's head, the
 * outbox, peer checkpoints, rejects, equivocation evidence, signer
 * certificates by fingerprint, and meta (layout version, the node's origin).
 *
 * Every write is one transaction, durable when the call returns (LMDB's
 * default synchronous commit); a batch is all or nothing. A full map grows
 * and the transaction is retried; a full disk fails the call with FSB_ENOSPC
 * and leaves everything committed before intact. Several processes may
 * share an environment: LMDB serializes their writers, and readers never
 * block them.
 *
 * Ownership: struct fsb_entry views returned by reads are copied out of
 * LMDB before the read transaction ends and are freed with
 * fsb_entry_clear(). Input pointers are borrowed for the call.
 */
#ifndef FSB_STORE_H
#define FSB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "sign.h"
#include "bounds.h"

#define FSB_STORE_LAYOUT 1
/* Version of the indexes derived from the log: a store whose indexes are
 * older is re-indexed when opened for writing. */
#define FSB_STORE_INDEXES 4

struct fsb_store; /* opaque */

struct fsb_store_opts {
	int read_only;            /* open for reading only (replay, audit, status) */
	const char *origin;       /* the node's origin; NULL accepts the one stored */
	size_t initial_map_bytes; /* 0: 64 MiB. The map grows as needed */
	size_t reject_bytes;      /* 0: FSB_STORE_REJECT_BYTES. Rejects kept, at most */
};
#define FSB_STORE_REJECT_BYTES (64u << 20)

/* Opens (creating when writable) the environment in dir. Fails with
 * FSB_ECONFIG when dir belongs to another origin or another layout,
 * FSB_EIO (err says why) when it cannot be opened. */
int fsb_store_open(const char *dir, const struct fsb_store_opts *o, struct fsb_store **out,
		   char *err, size_t errlen);

/* Closes; NULL allowed. */
void fsb_store_close(struct fsb_store *s);

/* The origin recorded in the environment (valid while open). */
const char *fsb_store_origin(const struct fsb_store *s);

/* One line on the last failure of a call on s (what, where, and LMDB's or
 * the system's reason). */
const char *fsb_store_error(const struct fsb_store *s);

enum fsb_direction {
	FSB_DIR_SENT = 1,     /* published by this node */
	FSB_DIR_RECEIVED = 2, /* received from another node */
};

enum fsb_status {
	FSB_STATUS_ACCEPTED = 1,      /* valid in every respect */
	FSB_STATUS_WARNINGS = 2,      /* stored; content broke some rules */
};

/* What an append needs to know about one envelope (all borrowed). */
struct fsb_entry_in {
	const uint8_t *envelope;   /* the envelope bytes, stored verbatim */
	size_t envelope_len;
	const char *origin;
	uint64_t seq;
	uint8_t payload_hash[FSB_HASH_LEN];
	uint8_t prev_hash[FSB_HASH_LEN];
	enum fsb_kind kind;
	const char *category;      /* topic slug, or NULL */
	int64_t issued_at_ms;
	int64_t arrival_ms;
	enum fsb_direction direction;
	enum fsb_status status;
	const uint8_t *cert;       /* signer certificate, DER (kept by fingerprint) */
	size_t cert_len;
};

/* What happened to one entry of an append. */
enum fsb_append_result {
	FSB_APPENDED = 0,      /* added to the log; index set */
	FSB_DUPLICATE = 1,     /* the same payload is already held for (origin, seq) */
	FSB_EQUIVOCATION = 2,  /* a different payload is held for (origin, seq): the
				* new one is kept as evidence, the log unchanged */
	FSB_GAP = 3,           /* seq is beyond the stream's next; nothing stored */
	FSB_BROKEN_LINK = 4,   /* seq is next, but prev_hash is not the head's hash */
	FSB_BACKWARDS = 5,     /* seq is next and linked, but issued_at is before the head's:
				* issued_at never goes backwards within a stream */
};

/* Appends received entries in one transaction, in order. results[i] and
 * indexes[i] (0 unless appended) say what became of each; entries that are
 * not appended do not fail the batch. */
int fsb_store_append(struct fsb_store *s, const struct fsb_entry_in *in, size_t n,
		     enum fsb_append_result *results, uint64_t *indexes);

/* Builds the node's own entry i of a batch once the store has chosen its
 * seq and prev_hash: the callback seals the message and fills *out (its
 * pointers must stay valid until fsb_store_append_own returns), with an
 * issued_at no earlier than prev_issued_at_ms, the one before's (INT64_MIN
 * for seq 1). It may be called again for the same i if the transaction is
 * retried. */
typedef int (*fsb_seal_fn)(void *ctx, size_t i, uint64_t seq,
			   const uint8_t prev_hash[FSB_HASH_LEN], int64_t prev_issued_at_ms,
			   struct fsb_entry_in *out);

/* Sequences, seals (through fn) and appends n messages of the node's own
 * origin, to the log and the outbox, in one transaction: they get the next
 * n seqs with no gap whatever other processes do. indexes (n entries, may
 * be NULL) receive the log indexes. A failing callback aborts everything.
 * Once committed, the store rewrites DIR/FSB_STORE_NOTIFY, so a running
 * node watching the directory (inotify, IN_CLOSE_WRITE) publishes at once. */
#define FSB_STORE_NOTIFY "outbox.notify"
int fsb_store_append_own(struct fsb_store *s, size_t n, fsb_seal_fn fn, void *ctx,
			 uint64_t *indexes);

/* One log entry, copied out of the store. */
struct fsb_entry {
	uint64_t index;
	uint8_t *envelope; /* malloc'd */
	size_t envelope_len;
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;
	uint8_t payload_hash[FSB_HASH_LEN];
	uint8_t entry_hash[FSB_HASH_LEN];
	enum fsb_kind kind;
	char category[FSB_CATEGORY_MAX + 1];
	int64_t issued_at_ms;
	int64_t arrival_ms;
	enum fsb_direction direction;
	enum fsb_status status;
};

void fsb_entry_clear(struct fsb_entry *e);

/* Reads entry `index`; FSB_ENOTFOUND when there is none. */
int fsb_store_get(struct fsb_store *s, uint64_t index, struct fsb_entry *out);

/* Finds the log index of (origin, seq) or of a message id; FSB_ENOTFOUND
 * when absent. */
int fsb_store_find_seq(struct fsb_store *s, const char *origin, uint64_t seq, uint64_t *index);

/* The payload hash held for (origin, seq); FSB_ENOTFOUND when none. Lets a
 * receiver recognise a duplicate without verifying its signature again. */
int fsb_store_seq_hash(struct fsb_store *s, const char *origin, uint64_t seq,
		       uint8_t hash[FSB_HASH_LEN]);
int fsb_store_find_id(struct fsb_store *s, const char *message_id, uint64_t *index);

/* How an entry seen by fsb_store_walk() stands in the local chain. */
enum fsb_chain {
	FSB_CHAIN_OK = 0,         /* its hash is right and follows the entry before */
	FSB_CHAIN_BAD_HASH = 1,   /* the stored hash is not the hash of its content */
	FSB_CHAIN_GAP = 2,        /* its index does not follow the entry before */
	FSB_CHAIN_UNREADABLE = 3, /* the record cannot be read */
};

/* Calls fn for every entry from index `from` on, in log order, inside one
 * read transaction (a consistent snapshot), with how it stands in the local
 * chain: entry_hash = SHA-256(previous entry_hash || index || record with
 * its hash zeroed). The entry (its envelope points into the map) is valid
 * during the call only. A non-zero return from fn stops the walk and is
 * returned. */
typedef int (*fsb_entry_fn)(void *ctx, const struct fsb_entry *e, enum fsb_chain chain);
int fsb_store_walk(struct fsb_store *s, uint64_t from, fsb_entry_fn fn, void *ctx);

/* A stream's head: highest seq held with every earlier one. */
struct fsb_head {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;
	uint8_t payload_hash[FSB_HASH_LEN];
	uint64_t index; /* its log entry */
};

/* One stream's head: its seq, payload hash and (when issued_at_ms is not
 * NULL) issued_at, or 0, zeros and INT64_MIN when the store holds nothing
 * of it. */
int fsb_store_head(struct fsb_store *s, const char *origin, uint64_t *seq,
		   uint8_t hash[FSB_HASH_LEN], int64_t *issued_at_ms);

/* Lists every stream head into a malloc'd array (*n entries). */
int fsb_store_heads(struct fsb_store *s, struct fsb_head **heads, size_t *n);

/* Counts for status and audit. */
struct fsb_store_stats {
	uint64_t entries;       /* log entries */
	uint64_t last_index;    /* 0 when the log is empty */
	uint8_t last_hash[FSB_HASH_LEN];
	uint64_t outbox;        /* own entries not yet retired */
	uint64_t rejects;       /* kept */
	uint64_t rejects_total; /* ever recorded, kept or made way */
	uint64_t equivocations;
	uint64_t certs;
	size_t map_bytes;       /* current map size */
	size_t used_bytes;      /* pages in use */
};
int fsb_store_stats(struct fsb_store *s, struct fsb_store_stats *st);

/* Lists the outbox (own seqs not yet retired) in seq order, at most max,
 * from seq `after` + 1 on, into seqs; *n receives the count. */
int fsb_store_outbox(struct fsb_store *s, uint64_t after, uint64_t *seqs, size_t max, size_t *n);

/* Records envelopes refused for an integrity reason, in one transaction:
 * their raw bytes (as received, at most FSB_REJECT_RAW_MAX of them), the
 * topic, the error code and a one-line reason. The table keeps within the
 * store's reject_bytes: the oldest records make way (they stay counted in
 * rejects_total), so a flood of junk costs bounded disk. */
struct fsb_reject_in {
	int64_t when_ms;
	const char *topic;
	int code;
	const char *reason;
	const uint8_t *raw; /* what is kept of the envelope (may be a part of it) */
	size_t raw_len;
	size_t raw_total;   /* bytes received */
};
int fsb_store_rejects_put(struct fsb_store *s, const struct fsb_reject_in *r, size_t n);

/* One reject, as fsb_store_rejects_put() would record it. */
int fsb_store_reject(struct fsb_store *s, int64_t when_ms, const char *topic, int code,
		     const char *reason, const uint8_t *raw, size_t raw_len);

/* One rejected envelope, copied out; free `raw` and `reason`. */
struct fsb_reject {
	uint64_t id;
	int64_t when_ms;
	int code;
	char topic[256];
	char *reason;
	uint8_t *raw;
	size_t raw_len;
	size_t raw_total; /* bytes received (raw may be cut at FSB_REJECT_RAW_MAX) */
};
void fsb_reject_clear(struct fsb_reject *r);

/* The newest rejects, most recent first, at most max; *n receives the count. */
int fsb_store_rejects(struct fsb_store *s, struct fsb_reject *out, size_t max, size_t *n);

/* Keeps peers' checkpoint envelopes, and retires the outbox up to
 * retire_upto (0: nothing), in one transaction: a node gathers what its
 * peers' checkpoints changed and writes it once a second, not once a
 * checkpoint (at 34 provinces that is a commit, and its syncs, saved for
 * every one of hundreds of checkpoints a second). Of each peer, the latest
 * is kept for quick reading, and as evidence one every FSB_STORE_CP_KEEP_MS
 * at most (what a checkpoint claims is cumulative), so that a peer cannot
 * fill the disk with them. FSB_EINVAL when a peer is not an origin slug. */
#define FSB_STORE_CP_KEEP_MS (60 * 1000)
struct fsb_checkpoint_in {
	const char *peer;
	int64_t arrival_ms;
	const uint8_t *envelope;
	size_t len;
};
int fsb_store_put_checkpoints(struct fsb_store *s, const struct fsb_checkpoint_in *cps, size_t n,
			      uint64_t retire_upto);

/* The latest checkpoint of peer, malloc'd into *envelope; FSB_ENOTFOUND. */
int fsb_store_get_checkpoint(struct fsb_store *s, const char *peer, uint8_t **envelope,
			     size_t *len, int64_t *arrival_ms);

/* The latest checkpoint of every peer that sent one: peers[i] (slugs) and
 * their envelopes, malloc'd arrays of *n entries; free each envelope, then
 * the arrays. */
int fsb_store_checkpoints(struct fsb_store *s, char (**peers)[FSB_ORIGIN_MAX + 1],
			  uint8_t ***envelopes, size_t **lens, size_t *n);

/* ---- indexes (store_index.c) -------------------------------------------- */

/* Re-derives every index from the log in one write transaction: by seq, id,
 * kind and time, the stream heads, the signer certificates, follow-ups by
 * reference, the cases, and the trace index. progress (may be NULL) is called now and then;
 * *entries (may be NULL) receives the entries indexed. */
int fsb_store_index_rebuild(struct fsb_store *s, void (*progress)(uint64_t done, uint64_t total),
			    uint64_t *entries);

/* Reads every index back against the log, in one read transaction.
 * Returns 0 when they agree, 1 when they do not, with the first
 * difference in why and the log index it concerns in *bad_index
 * (UINT64_MAX when it is no one entry's); or a store error. */
int fsb_store_index_check(struct fsb_store *s, uint64_t *bad_index, char *why, size_t whylen);

/* ---- views: reads inside one snapshot (store_case.c) -------------------- */

struct fsb_view; /* opaque: one read transaction */

/* Opens a snapshot of s. FSB_ECONFIG when the store has no current case
 * indexes (a store written by an older fsbridge, read-only). */
int fsb_store_view_open(struct fsb_store *s, struct fsb_view **out);
void fsb_store_view_close(struct fsb_view *v); /* NULL allowed */

/* The node's origin. */
const char *fsb_view_origin(const struct fsb_view *v);

/* Log entry `index`; its envelope points into the snapshot, valid until the
 * view closes (do not fsb_entry_clear() it). FSB_ENOTFOUND. */
int fsb_view_get(struct fsb_view *v, uint64_t index, struct fsb_entry *out);

/* The log index of a message id; FSB_ENOTFOUND. */
int fsb_view_find_id(struct fsb_view *v, const char *id, uint64_t *index);

/* A case as the index keeps it. */
struct fsb_case_row {
	char id[FSB_MESSAGE_ID_MAX + 1]; /* the root's message id */
	unsigned flags;                  /* FSB_CASE_* (case_rule.h) */
	uint64_t root_index;             /* 0 while the root is not held */
};

/* The case whose id is `id`, or else the case of the held message `id`;
 * FSB_ENOTFOUND when neither. */
int fsb_view_case(struct fsb_view *v, const char *id, struct fsb_case_row *row);

/* The log indexes of the case's members (its root too, when held), in log
 * order, the first max of them, into a malloc'd array of *n; *total
 * counts them all. */
int fsb_view_case_members(struct fsb_view *v, const char *root, size_t max, uint64_t **indexes,
			  size_t *n, size_t *total);

/* Calls fn for every case (open_only: every open case) in id order, from
 * the first after id `after` (NULL: from the first); a non-zero return
 * stops and is returned. */
typedef int (*fsb_case_fn)(void *ctx, const struct fsb_case_row *row);
int fsb_view_cases(struct fsb_view *v, int open_only, const char *after, fsb_case_fn fn,
		   void *ctx);

/* The log indexes of the entries filed under trace key (type, value)
 * (codec.h, fsb_payload_trace_keys), the last appended first: at most max
 * into out, *n of them; *more is set when there are others. */
int fsb_view_trace(struct fsb_view *v, enum fsb_trace_key type, const char *value, uint64_t *out,
		   size_t max, size_t *n, int *more);

/* Calls fn with every distinct value filed under keys of `type` (every
 * chain id, say), in order, at most max of them; *more is set when there
 * are others. A non-zero return from fn stops and is returned. */
typedef int (*fsb_trace_value_fn)(void *ctx, const char *value);
int fsb_view_trace_values(struct fsb_view *v, enum fsb_trace_key type, size_t max,
			  fsb_trace_value_fn fn, void *ctx, int *more);

/* Calls fn with the log index and issued_at of every entry issued in
 * [from_ms, to_ms], in order of issued_at (then of the log); a non-zero
 * return stops and is returned. */
typedef int (*fsb_period_fn)(void *ctx, uint64_t index, int64_t issued_at_ms);
int fsb_view_period(struct fsb_view *v, int64_t from_ms, int64_t to_ms, fsb_period_fn fn,
		    void *ctx);

/* Calls fn with the log index of every entry of `kind`, in log order; a
 * non-zero return stops and is returned. */
typedef int (*fsb_index_fn)(void *ctx, uint64_t index);
int fsb_view_kind(struct fsb_view *v, enum fsb_kind kind, fsb_index_fn fn, void *ctx);

/* Calls fn with the log index of entries in log order from index `from`
 * on (backward: from `from` down; from 0 with backward means the newest),
 * every entry or (kind not FSB_KIND_NONE) those of one kind; a non-zero
 * return stops and is returned. The feed pages through the log with it. */
int fsb_view_scan(struct fsb_view *v, enum fsb_kind kind, uint64_t from, int backward,
		  fsb_index_fn fn, void *ctx);

/* How entry `index` stands in the local chain now: its stored hash
 * recomputed from its record and the entry before it (fsb_store_walk()'s
 * rule). FSB_ENOTFOUND when there is no such entry. */
int fsb_view_link(struct fsb_view *v, uint64_t index, enum fsb_chain *chain);

/* Calls fn with every peer's latest checkpoint envelope (valid during the
 * call). */
typedef int (*fsb_checkpoint_fn)(void *ctx, const char *peer, const uint8_t *envelope,
				 size_t len);
int fsb_view_checkpoints(struct fsb_view *v, fsb_checkpoint_fn fn, void *ctx);

/* Calls fn with every stream held and its head's seq. */
typedef int (*fsb_stream_fn)(void *ctx, const char *origin, uint64_t seq);
int fsb_view_streams(struct fsb_view *v, fsb_stream_fn fn, void *ctx);

/* A small named value the node keeps for `status` (its connection state):
 * put replaces, get returns a malloc'd NUL-terminated copy or FSB_ENOTFOUND. */
int fsb_store_put_note(struct fsb_store *s, const char *name, const char *value);
int fsb_store_get_note(struct fsb_store *s, const char *name, char **value);

/* A CRL the node adopted (DER), kept per CA (ca_name: its subject CN)
 * replacing the one kept before, so that a restart, or an auditor, starts
 * from the newest the node knew. */
int fsb_store_put_crl(struct fsb_store *s, const char *ca_name, const uint8_t *der, size_t len);

/* Every CRL kept: malloc'd arrays of *n buffers and lengths; free each
 * buffer, then the arrays. */
int fsb_store_crls(struct fsb_store *s, uint8_t ***crls, size_t **lens, size_t *n);

#endif
