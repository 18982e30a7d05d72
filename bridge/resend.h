/* resend.h - answering sync requests, within bounds.
 *
 * A pure module: no I/O, no clock (times are passed in), no global state.
 * The node tells it each sync request addressed to it, with what it holds
 * of the stream asked for and what the requester's own checkpoint says it
 * holds; it asks it, whenever the window to the broker has room, which
 * stored message to re-send next, and tells it what each cost.
 *
 * Bounds (PROTOCOL.md, "Staying in sync"): a request is clamped to what
 * this node holds and to what the requester lacks (no wrap, no range past
 * the head); requests for one stream from one requester are merged into
 * one job; what was re-sent to a requester is not re-sent to it again for
 * memory_ms, whatever it asks; and each requester is served under its own
 * budget of messages and bytes per second (token buckets, a second deep).
 * So the bytes re-sent to a requester stay within the range it is missing,
 * once per memory_ms, however often and however widely it asks.
 */
#ifndef FSB_RESEND_H
#define FSB_RESEND_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct fsb_resend_limits {
	double msgs_per_sec;   /* per requester */
	double bytes_per_sec;  /* per requester */
	size_t max_jobs;       /* ranges being re-sent at once, all requesters */
	int64_t memory_ms;     /* how long a re-sent range is not re-sent again */
};

struct fsb_resend; /* opaque */

/* FSB_EINVAL when a limit is 0. */
int fsb_resend_open(const struct fsb_resend_limits *l, struct fsb_resend **out);
void fsb_resend_close(struct fsb_resend *r);

/* What became of a request. */
enum fsb_resend_outcome {
	FSB_RESEND_SCHEDULED, /* a new job, [*from, *to] */
	FSB_RESEND_MERGED,    /* an existing job now ends at *to */
	FSB_RESEND_NOTHING,   /* nothing to send: held by the requester, not held here,
			       * already re-sent within memory_ms, or an empty range */
	FSB_RESEND_BUSY,      /* max_jobs reached: the requester will ask again */
};

/* A sync request from requester for origin's [from, to], where this node
 * holds origin's stream up to `held` and the requester's latest checkpoint,
 * which arrived at have_at_ms, says it holds it up to `have` (0 and
 * INT64_MIN when there is none). *from and *to receive what will be
 * re-sent. */
enum fsb_resend_outcome fsb_resend_request(struct fsb_resend *r, const char *requester,
					   const char *origin, uint64_t from, uint64_t to,
					   uint64_t held, uint64_t have, int64_t have_at_ms,
					   int64_t now_ms, uint64_t *out_from, uint64_t *out_to);

/* The next message to re-send. */
struct fsb_resend_next {
	char requester[FSB_ORIGIN_MAX + 1];
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;
};

/* The next message due at now_ms, taking turns between jobs whose
 * requester's budget has room: 1 and *out, or 0 when none is. */
int fsb_resend_next(struct fsb_resend *r, int64_t now_ms, struct fsb_resend_next *out);

/* It was sent (bytes long): the job moves on, the requester's budget pays. */
void fsb_resend_sent(struct fsb_resend *r, const struct fsb_resend_next *n, size_t bytes,
		     int64_t now_ms);

/* This node does not hold it after all: the job ends there. */
void fsb_resend_missing(struct fsb_resend *r, const struct fsb_resend_next *n);

/* The requester's newer checkpoint says it holds origin's stream up to
 * `have`: what is left of its job skips that far, or ends (a request it
 * no longer needs is not answered). */
void fsb_resend_held(struct fsb_resend *r, const char *requester, const char *origin,
		     uint64_t have);

/* Jobs under way, and totals since open. */
struct fsb_resend_stats {
	size_t jobs;
	uint64_t requests, sent, bytes;
	uint64_t clamped; /* seqs asked for and not re-sent: held, remembered or absent */
};
void fsb_resend_stats(const struct fsb_resend *r, struct fsb_resend_stats *st);

#endif
