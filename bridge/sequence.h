/* sequence.h - putting each origin's stream in order, within a budget.
 *
 * A pure module: no I/O, no clock (times are passed in), no logging, no
 * global state. The node owns the store, the network and the trust store;
 * it asks this module where an arriving message stands, hands it the ones
 * it may keep, takes back the runs that can be appended, and asks it which
 * gaps are worth a sync request (PROTOCOL.md, "Accepting a message" and
 * "Staying in sync").
 *
 * What may be kept, and how sure the node is of it (enum fsb_seq_trust):
 * a message whose certificate identity (chain, purpose, origin) the caller
 * checked but whose signature it did not may wait only as the next in order
 * of its stream (held + 1, or right after the run already waiting from
 * there): such a run is authenticated later by the signature of its newest
 * message and the prev_hash links below it, one check for many. Anything
 * else must be verified before it is kept. A message whose certificate was
 * not in force at arrival ("stale") waits only in the in-order run, until a
 * later message that is in force links to it; it is never believed on its
 * own. It waits only while a later message is known to exist (the origin
 * signed one), and at most stale_wait_ms; else it is refused.
 *
 * Budgets: the bytes of waiting messages are bounded per stream and in
 * total. To make room, the module drops the highest seqs first (the lowest
 * are what lets a stream move on), from the stream that holds the most;
 * it never drops a message to make room for one of higher seq of the same
 * stream. Streams are created only by fsb_seq_admit() and fsb_seq_known(),
 * up to max_streams.
 *
 * Ownership: an item's `data` belongs to the module from a successful
 * fsb_seq_admit() until it comes back, either from fsb_seq_take() or
 * through ops->release(); the module never looks inside it.
 */
#ifndef FSB_SEQUENCE_H
#define FSB_SEQUENCE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/* How sure the node is of a waiting message. */
enum fsb_seq_trust {
	FSB_SEQ_UNCHECKED = 0, /* identity checked; signature not yet */
	FSB_SEQ_STALE = 1,     /* signature verified; certificate not in force at arrival */
	FSB_SEQ_IN_FORCE = 2,  /* signature verified; certificate in force at arrival */
	FSB_SEQ_VOUCHED = 3,   /* linked by prev_hash from an authenticated later message */
};

/* One received stream message, as the module sees it. */
struct fsb_seq_item {
	uint64_t seq;
	uint8_t payload_hash[FSB_HASH_LEN];
	uint8_t prev_hash[FSB_HASH_LEN];
	size_t bytes;               /* its cost against the budgets */
	int64_t at_ms;              /* when it arrived */
	enum fsb_seq_trust trust;
	void *data;                 /* the caller's */
};

/* Why the module gives an item back through ops->release(). */
enum fsb_seq_drop {
	FSB_SEQ_EVICTED,    /* no room: the highest seqs make way; fetched again by sync */
	FSB_SEQ_FAILED,     /* ops->verify() refused it (the caller recorded why) */
	FSB_SEQ_UNVOUCHED,  /* stale, and nothing vouches for it: an authenticated later
			     * message links to another payload, no later message is
			     * known to exist, or stale_wait_ms passed */
	FSB_SEQ_CONFLICT,   /* another message for its seq waits and outranks it */
	FSB_SEQ_CLOSED,     /* fsb_seq_close() */
};

struct fsb_seq_ops {
	/* Checks an item's signature and whether its certificate was in force
	 * at arrival: returns FSB_SEQ_IN_FORCE or FSB_SEQ_STALE, or a negative
	 * FSB_E* code when it fails (the item is then released as
	 * FSB_SEQ_FAILED). Called only on FSB_SEQ_UNCHECKED items. */
	int (*verify)(void *ctx, const char *origin, struct fsb_seq_item *it);
	/* Takes back the data of an item the module no longer keeps. */
	void (*release)(void *ctx, const char *origin, struct fsb_seq_item *it,
			enum fsb_seq_drop why);
	void *ctx;
};

struct fsb_seq_limits {
	size_t max_bytes;            /* waiting messages of every stream together */
	size_t max_stream_bytes;     /* waiting messages of one stream */
	size_t max_streams;          /* streams known at once */
	int64_t gap_wait_ms;         /* how long a gap may last before asking ... */
	int64_t gap_jitter_ms;       /* ... and up to this much longer, by stream */
	uint64_t jitter_seed;        /* which: nodes with other seeds ask at other times */
	int64_t retry_ms;            /* how long to wait for an answer; doubles while none comes */
	int64_t retry_max_ms;        /* up to this */
	uint64_t max_ask;            /* seqs asked for in one request */
	int64_t stale_wait_ms;       /* how long a stale message may wait to be vouched for */
};

struct fsb_seq; /* opaque */

/* Creates an empty sequencer; FSB_EINVAL when a limit is 0. */
int fsb_seq_open(const struct fsb_seq_limits *l, const struct fsb_seq_ops *ops,
		 struct fsb_seq **out);

/* Releases every waiting item (FSB_SEQ_CLOSED) and the sequencer; NULL
 * allowed. */
void fsb_seq_close(struct fsb_seq *q);

/* Declares a stream the store holds, with its head (start-up, or after a
 * restore); creates it when new. FSB_ENOMEM, or FSB_ETOOBIG past
 * max_streams. */
int fsb_seq_load(struct fsb_seq *q, const char *origin, uint64_t held,
		 const uint8_t hash[FSB_HASH_LEN]);

/* Where a message of origin at seq stands, before anything is kept. */
enum fsb_seq_place {
	FSB_SEQ_HELD,   /* seq <= the stream's head: a duplicate, or a conflicting message */
	FSB_SEQ_NEXT,   /* next in order: may wait unchecked */
	FSB_SEQ_AHEAD,  /* beyond a gap (or the stream is unknown and seq > 1): verify first */
};
enum fsb_seq_place fsb_seq_place(const struct fsb_seq *q, const char *origin, uint64_t seq);

/* The stream's head (0 and zeros for a stream not known). */
uint64_t fsb_seq_held(const struct fsb_seq *q, const char *origin, uint8_t hash[FSB_HASH_LEN]);

/* Whether an item with seq waits; its payload hash into hash (may be NULL). */
int fsb_seq_waiting(const struct fsb_seq *q, const char *origin, uint64_t seq,
		    uint8_t hash[FSB_HASH_LEN]);

/* Whether a message of `bytes` at seq, in force, would find room (counting
 * what could make way for it): when it would not, it is not worth
 * verifying. */
int fsb_seq_room(const struct fsb_seq *q, const char *origin, uint64_t seq, size_t bytes);

/* What fsb_seq_admit() did. */
enum fsb_seq_admitted {
	FSB_SEQ_KEPT = 0,      /* waiting; the module owns it->data */
	FSB_SEQ_DUPLICATE,     /* the same payload already waits */
	FSB_SEQ_NOT_KEPT,      /* refused: held already, unchecked out of order, stale
				* out of order, outranked by the message waiting for its
				* seq, no room, or no stream left; the caller keeps data */
};

/* Offers a message. An UNCHECKED one is kept only if next in order; a
 * STALE one only if next in order or right after waiting messages; an
 * IN_FORCE one anywhere past the head, and it raises the highest seq known
 * to exist. When another message waits for the same seq, an unchecked one
 * of the two is verified first (ops->verify), then the one in force wins,
 * or the first to come. Items dropped to make room go through
 * ops->release(). */
enum fsb_seq_admitted fsb_seq_admit(struct fsb_seq *q, const char *origin,
				    const struct fsb_seq_item *it);

/* Takes out the run of a stream that can be appended now: the messages
 * next in order, each authenticated either on its own (in force) or by the
 * prev_hash link from the authenticated message after it. Unchecked ones
 * are verified newest first, and one check covers everything below it that
 * links; where that fails, each is checked on its own. A stale message
 * that an authenticated successor does not link to is released
 * (FSB_SEQ_UNVOUCHED). At most max items go to out, in seq order; the
 * caller appends them and reports each with fsb_seq_appended(), or gives
 * back those the store did not take with fsb_seq_admit(). Returns the
 * count. */
size_t fsb_seq_take(struct fsb_seq *q, const char *origin, struct fsb_seq_item *out, size_t max);

/* The length of the stream's in-order run (what fsb_seq_take() could take
 * now, before checks), and when its oldest item arrived (INT64_MAX when
 * there is none): a busy caller may let a run grow, since one check covers
 * all of it. */
size_t fsb_seq_run(const struct fsb_seq *q, const char *origin, int64_t *oldest_ms);

/* The store appended seq of origin with this payload hash: the head moves
 * there. */
void fsb_seq_appended(struct fsb_seq *q, const char *origin, uint64_t seq,
		      const uint8_t hash[FSB_HASH_LEN]);

/* The origin itself says that seq exists (a message or checkpoint signed
 * by it, verified and in force): gaps below it are worth asking for. Only
 * what the origin signed may raise it (a third party's claim is a hint of
 * who holds a range, never of what exists). Creates the stream if needed. */
int fsb_seq_known(struct fsb_seq *q, const char *origin, uint64_t seq);

/* The highest seq of origin known to exist (0 when none). */
uint64_t fsb_seq_known_seq(const struct fsb_seq *q, const char *origin);

/* The node refused the message with this payload hash at seq for a reason
 * a re-send would not change (revoked or expired certificate, issued_at
 * going backwards, a broken link). Until new evidence comes (a message of
 * the stream in force, or the origin saying a later seq exists), the gap
 * that starts there is not asked for again, and the same bytes are not
 * worth checking again. Remembers a few per stream, the newest. */
void fsb_seq_refused(struct fsb_seq *q, const char *origin, uint64_t seq,
		     const uint8_t hash[FSB_HASH_LEN]);

/* Whether these bytes were refused and nothing new has come since: a
 * receiver may drop them without checking or recording them again. */
int fsb_seq_was_refused(const struct fsb_seq *q, const char *origin, uint64_t seq,
			const uint8_t hash[FSB_HASH_LEN]);

/* A range worth a sync request. */
struct fsb_seq_ask {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t from, to; /* inclusive */
};

/* The sync requests due at now_ms, at most max into out: for each stream
 * whose gap has lasted gap_wait_ms without progress, and whose last
 * request (if any) has gone unanswered for its retry time (which doubles
 * with each unanswered request, up to retry_max_ms). A request covers at
 * most max_ask seqs. The caller sends them and confirms each with
 * fsb_seq_asked(). Stale messages that waited stale_wait_ms are released
 * here (FSB_SEQ_UNVOUCHED). */
size_t fsb_seq_due(struct fsb_seq *q, int64_t now_ms, struct fsb_seq_ask *out, size_t max);
/* Changes gap_wait_ms and gap_jitter_ms (a node sets them as the number of
 * provinces it hears grows: many nodes missing one message should not all
 * ask for it at once, nor before the broker has had time to deliver). */
void fsb_seq_set_gap_wait(struct fsb_seq *q, int64_t gap_wait_ms, int64_t gap_jitter_ms);
void fsb_seq_asked(struct fsb_seq *q, const char *origin, int64_t now_ms);

/* The origin of the i-th stream (in no particular order), or NULL past the
 * last: for walking every stream. Valid until the next call that may add
 * a stream. */
const char *fsb_seq_origin(const struct fsb_seq *q, size_t i);

/* Totals for the log and status. */
struct fsb_seq_stats {
	size_t streams;
	size_t waiting;        /* items */
	size_t bytes;          /* their cost */
	uint64_t evicted;      /* items dropped for room, ever */
	uint64_t not_kept;     /* offers refused, ever */
};
void fsb_seq_stats(const struct fsb_seq *q, struct fsb_seq_stats *st);

/* Whether some stream's in-order run is at half its budget or more, or the
 * whole buffer at half: time to append before taking more in. */
int fsb_seq_pressed(const struct fsb_seq *q);

#endif
