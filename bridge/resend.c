/* resend.c - answering sync requests, within bounds (see resend.h).
 *
 * Jobs sit in one small array (max_jobs) served in turn. Each requester has
 * a token bucket for messages and one for bytes, refilled at its rate and a
 * second deep. What a job re-sent is remembered per (requester, stream)
 * once the job ends, for memory_ms, so that asking again for the same range
 * costs nothing.
 */
#include "resend.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

#define MEMOS_MAX 4096
/* A bucket of bytes at least this deep, so that one message of the
 * largest size can always go out eventually. */
#define MIN_BYTE_BURST (512.0 * 1024)

struct bucket {
	char requester[FSB_ORIGIN_MAX + 1];
	double msgs, bytes;
	int64_t at;
	int jobs; /* jobs using it */
};

/* [from, upto] of origin re-sent to requester, the last at `at`. */
struct memo {
	char requester[FSB_ORIGIN_MAX + 1];
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t from, upto;
	int64_t at;
};

struct job {
	struct memo sent; /* what it re-sent so far (from > upto: nothing yet) */
	uint64_t next, to;
	size_t bucket;
};

struct fsb_resend {
	struct fsb_resend_limits l;
	struct job *jobs;
	size_t n_jobs, turn;
	struct bucket *buckets; /* max_jobs of them */
	struct memo *memos;
	size_t n_memos;
	struct fsb_resend_stats st;
};

int fsb_resend_open(const struct fsb_resend_limits *l, struct fsb_resend **out)
{
	*out = NULL;
	if (!(l->msgs_per_sec > 0) || !(l->bytes_per_sec > 0) || !l->max_jobs || l->memory_ms <= 0)
		return FSB_EINVAL;
	struct fsb_resend *r = calloc(1, sizeof *r);
	if (!r)
		return FSB_ENOMEM;
	r->l = *l;
	r->jobs = calloc(l->max_jobs, sizeof *r->jobs);
	r->buckets = calloc(l->max_jobs, sizeof *r->buckets);
	r->memos = calloc(MEMOS_MAX, sizeof *r->memos);
	if (!r->jobs || !r->buckets || !r->memos) {
		fsb_resend_close(r);
		return FSB_ENOMEM;
	}
	*out = r;
	return 0;
}

void fsb_resend_close(struct fsb_resend *r)
{
	if (!r)
		return;
	free(r->jobs);
	free(r->buckets);
	free(r->memos);
	free(r);
}

static double byte_depth(const struct fsb_resend *r)
{
	return r->l.bytes_per_sec > MIN_BYTE_BURST ? r->l.bytes_per_sec : MIN_BYTE_BURST;
}

/* Brings a bucket's tokens up to now. */
static void refill(const struct fsb_resend *r, struct bucket *b, int64_t now_ms)
{
	double dt = (double)(now_ms - b->at) / 1000.0;
	if (dt <= 0)
		return;
	b->msgs += dt * r->l.msgs_per_sec;
	b->bytes += dt * r->l.bytes_per_sec;
	if (b->msgs > r->l.msgs_per_sec)
		b->msgs = r->l.msgs_per_sec;
	if (b->bytes > byte_depth(r))
		b->bytes = byte_depth(r);
	b->at = now_ms;
}

/* The requester's bucket, a fresh (full) one when it has none; there is
 * always one without a job when fewer than max_jobs jobs exist. */
static size_t bucket_of(struct fsb_resend *r, const char *requester, int64_t now_ms)
{
	size_t idle = r->l.max_jobs;
	for (size_t i = 0; i < r->l.max_jobs; i++) {
		struct bucket *b = &r->buckets[i];
		if (b->requester[0] && strcmp(b->requester, requester) == 0)
			return i;
		if (!b->jobs && (idle == r->l.max_jobs || !b->requester[0]))
			idle = i;
	}
	struct bucket *b = &r->buckets[idle];
	memset(b, 0, sizeof *b);
	strcpy(b->requester, requester);
	b->msgs = r->l.msgs_per_sec < 1 ? 1 : r->l.msgs_per_sec;
	b->bytes = byte_depth(r);
	b->at = now_ms;
	return idle;
}

static struct memo *memo_of(struct fsb_resend *r, const char *requester, const char *origin)
{
	for (size_t i = 0; i < r->n_memos; i++)
		if (strcmp(r->memos[i].requester, requester) == 0 &&
		    strcmp(r->memos[i].origin, origin) == 0)
			return &r->memos[i];
	return NULL;
}

/* Keeps what a finished job re-sent, in place of an older memo of the same
 * pair, or of the oldest memo when the table is full. */
static void remember(struct fsb_resend *r, const struct memo *m)
{
	if (m->from > m->upto)
		return;
	struct memo *slot = memo_of(r, m->requester, m->origin);
	if (slot && m->at - slot->at < r->l.memory_ms && m->from <= slot->upto + 1 &&
	    slot->from <= m->upto + 1) {
		/* Touching the range remembered: one range. */
		struct memo merged = *m;
		if (slot->from < merged.from)
			merged.from = slot->from;
		if (slot->upto > merged.upto)
			merged.upto = slot->upto;
		*slot = merged;
		return;
	}
	if (!slot && r->n_memos < MEMOS_MAX)
		slot = &r->memos[r->n_memos++];
	if (!slot) {
		slot = &r->memos[0];
		for (size_t i = 1; i < r->n_memos; i++)
			if (r->memos[i].at < slot->at)
				slot = &r->memos[i];
	}
	*slot = *m;
}

static struct job *job_of(struct fsb_resend *r, const char *requester, const char *origin)
{
	for (size_t i = 0; i < r->n_jobs; i++)
		if (strcmp(r->jobs[i].sent.requester, requester) == 0 &&
		    strcmp(r->jobs[i].sent.origin, origin) == 0)
			return &r->jobs[i];
	return NULL;
}

static void end_job(struct fsb_resend *r, struct job *j)
{
	remember(r, &j->sent);
	r->buckets[j->bucket].jobs--;
	*j = r->jobs[--r->n_jobs];
}

/* Seqs in [from, to], saturating. */
static uint64_t span(uint64_t from, uint64_t to)
{
	return from > to ? 0 : to - from == UINT64_MAX ? UINT64_MAX : to - from + 1;
}

enum fsb_resend_outcome fsb_resend_request(struct fsb_resend *r, const char *requester,
					   const char *origin, uint64_t from, uint64_t to,
					   uint64_t held, uint64_t have, int64_t have_at_ms,
					   int64_t now_ms, uint64_t *out_from, uint64_t *out_to)
{
	r->st.requests++;
	uint64_t asked = span(from ? from : 1, to);
	if (from == 0)
		from = 1;
	if (to > held)
		to = held;
	if (have >= from)
		from = have == UINT64_MAX ? UINT64_MAX : have + 1;
	/* Re-sent lately, and not reported missing since: not again. */
	const struct memo *m = memo_of(r, requester, origin);
	if (m && now_ms - m->at < r->l.memory_ms && have_at_ms <= m->at && from >= m->from &&
	    from <= m->upto)
		from = m->upto + 1;
	struct job *j = job_of(r, requester, origin);
	if (j && from <= j->to + 1 && to > j->to) {
		/* Under way: widen its end, never go back over what it sent. */
		r->st.clamped += asked - span(j->to + 1, to);
		j->to = to;
		*out_from = j->next;
		*out_to = j->to;
		return FSB_RESEND_MERGED;
	}
	if (j && from <= j->to + 1)
		from = j->to + 1; /* all of it is under way already */
	if (from > to) {
		r->st.clamped += asked;
		return FSB_RESEND_NOTHING;
	}
	if (j || r->n_jobs == r->l.max_jobs) {
		/* A second range of the same stream while one is under way, or
		 * no job left: asked again once this is done. */
		return FSB_RESEND_BUSY;
	}
	r->st.clamped += asked - span(from, to);
	j = &r->jobs[r->n_jobs++];
	memset(j, 0, sizeof *j);
	strcpy(j->sent.requester, requester);
	strcpy(j->sent.origin, origin);
	j->sent.from = 1;
	j->sent.upto = 0;
	j->next = from;
	j->to = to;
	j->bucket = bucket_of(r, requester, now_ms);
	r->buckets[j->bucket].jobs++;
	*out_from = from;
	*out_to = to;
	return FSB_RESEND_SCHEDULED;
}

int fsb_resend_next(struct fsb_resend *r, int64_t now_ms, struct fsb_resend_next *out)
{
	for (size_t k = 0; k < r->n_jobs; k++) {
		struct job *j = &r->jobs[(r->turn + k) % r->n_jobs];
		struct bucket *b = &r->buckets[j->bucket];
		refill(r, b, now_ms);
		if (b->msgs < 1 || b->bytes <= 0)
			continue;
		r->turn = (r->turn + k) % r->n_jobs;
		strcpy(out->requester, j->sent.requester);
		strcpy(out->origin, j->sent.origin);
		out->seq = j->next;
		return 1;
	}
	return 0;
}

void fsb_resend_sent(struct fsb_resend *r, const struct fsb_resend_next *n, size_t bytes,
		     int64_t now_ms)
{
	struct job *j = job_of(r, n->requester, n->origin);
	if (!j || j->next != n->seq)
		return;
	struct bucket *b = &r->buckets[j->bucket];
	b->msgs -= 1;
	b->bytes -= (double)bytes;
	if (j->sent.from > j->sent.upto)
		j->sent.from = n->seq;
	j->sent.upto = n->seq;
	j->sent.at = now_ms;
	r->st.sent++;
	r->st.bytes += bytes;
	r->turn++;
	if (j->next++ >= j->to)
		end_job(r, j);
}

void fsb_resend_missing(struct fsb_resend *r, const struct fsb_resend_next *n)
{
	struct job *j = job_of(r, n->requester, n->origin);
	if (j) {
		r->st.clamped += span(j->next, j->to);
		end_job(r, j);
	}
}

void fsb_resend_held(struct fsb_resend *r, const char *requester, const char *origin,
		     uint64_t have)
{
	struct job *j = job_of(r, requester, origin);
	if (!j || have < j->next)
		return;
	if (have >= j->to) {
		r->st.clamped += span(j->next, j->to);
		end_job(r, j);
		return;
	}
	r->st.clamped += have + 1 - j->next;
	j->next = have + 1;
}

void fsb_resend_stats(const struct fsb_resend *r, struct fsb_resend_stats *st)
{
	*st = r->st;
	st->jobs = r->n_jobs;
}
