/* audit.c - the verification engine of `fsbridge audit verify`.
 *
 * The walk runs on the calling thread. Without `full` one worker checks
 * payload hashes and links beside it, in log order, while the walk hashes
 * the local chain (two SHA-256 passes over every envelope, on two cores);
 * with `full` the walk checks the links itself and hands every envelope to
 * `jobs` workers, each with a trust store of its own, which verify
 * signatures in any order. The rule for validity at arrival is PROTOCOL.md's,
 * "Validity at arrival"; the first problem found, by log index, is the one
 * reported.
 */
#include "audit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "mem.h"
#include "seal.h"
#include "sign.h"

#define QUEUE_SLOTS 512

struct stream {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq, index;
	uint8_t hash[FSB_HASH_LEN];
	int64_t issued_ms;  /* issued_at of seq, INT64_MIN when not known */
	/* --from: the first entry walked, whose link reaches before the walk */
	uint64_t first_seq;
	uint8_t first_prev[FSB_HASH_LEN];
};

/* A log entry handed from the walk to another thread: a copy, since the
 * walk's snapshot ends with it. */
struct job {
	struct fsb_entry e; /* envelope malloc'd */
	enum fsb_chain chain;
};

/* What the signature checks found of one stream (kept apart from the walk's
 * streams, since the workers fill it): the newest message whose
 * certificate was in force at arrival, and the newest whose was not. */
struct standing {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t in_force_seq;
	uint64_t stale_seq, stale_index;
	char stale_why[300];
};

struct audit {
	const struct fsb_audit_opts *o;
	struct fsb_audit_report *r; /* counts, and the first problem (under lock) */
	struct stream *streams;
	size_t n_streams, cap_streams;
	struct standing *standing; /* under lock */
	size_t n_standing, cap_standing;
	uint64_t total;
	uint64_t from;  /* first log index walked */
	/* signature checking: the CRLs the node adopted since (kept in its
	 * store), beside the anchors' files, as the node would judge */
	uint8_t **kept;
	size_t *kept_lens, n_kept;
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	struct job queue[QUEUE_SLOTS];
	size_t head, count;
	int done;
};

static void problem(struct audit *a, uint64_t index, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct audit *a, uint64_t index, const char *fmt, ...)
{
	pthread_mutex_lock(&a->lock);
	struct fsb_audit_report *r = a->r;
	r->problems++;
	if (!r->bad_index || index < r->bad_index) {
		r->bad_index = index;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof r->why, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&a->lock);
}

static struct stream *find_stream(struct audit *a, const char *origin)
{
	for (size_t i = 0; i < a->n_streams; i++)
		if (strcmp(a->streams[i].origin, origin) == 0)
			return &a->streams[i];
	return NULL;
}

static struct stream *stream_of(struct audit *a, const char *origin)
{
	struct stream *s = find_stream(a, origin);
	if (s)
		return s;
	if (fsb_mem_grow(&a->streams, &a->cap_streams, a->n_streams, sizeof *a->streams))
		return NULL;
	s = &a->streams[a->n_streams++];
	memset(s, 0, sizeof *s);
	snprintf(s->origin, sizeof s->origin, "%s", origin);
	s->issued_ms = INT64_MIN;
	return s;
}

/* Notes what a signature check found of origin:seq (caller holds lock). */
static void note_standing(struct audit *a, const char *origin, uint64_t seq, uint64_t index,
			  const char *stale_why)
{
	struct standing *st = NULL;
	for (size_t i = 0; i < a->n_standing && !st; i++)
		if (strcmp(a->standing[i].origin, origin) == 0)
			st = &a->standing[i];
	if (!st) {
		if (fsb_mem_grow(&a->standing, &a->cap_standing, a->n_standing, sizeof *a->standing))
			return;
		st = &a->standing[a->n_standing++];
		memset(st, 0, sizeof *st);
		snprintf(st->origin, sizeof st->origin, "%s", origin);
	}
	if (!stale_why && seq > st->in_force_seq)
		st->in_force_seq = seq;
	if (stale_why && seq > st->stale_seq) {
		st->stale_seq = seq;
		st->stale_index = index;
		snprintf(st->stale_why, sizeof st->stale_why, "%s", stale_why);
	}
}

/* Opens an envelope as a receiver would have at its recorded arrival, and
 * notes whether its certificate was in force then. */
static void verify_signature(struct audit *a, struct fsb_trust *t, uint64_t index,
			     int64_t arrival_ms, const uint8_t *env, size_t len)
{
	struct fsb_open_opts o = {.max_bytes = len, .arrival_ms = arrival_ms,
				  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS, .accept_stale = 1};
	struct fsb_opened out;
	char err[512];
	int rc = fsb_seal_open(t, env, len, &o, &out, err, sizeof err);
	if (rc)
		problem(a, index, "signature check failed: %s", err);
	pthread_mutex_lock(&a->lock);
	a->r->signatures++;
	if (rc == 0) {
		struct fsb_header h;
		fsb_message_header(out.msg, &h);
		note_standing(a, h.origin, h.seq, index, out.stale ? out.stale_why : NULL);
	}
	pthread_mutex_unlock(&a->lock);
	fsb_seal_opened_clear(&out);
}

/* A message whose certificate was not in force at arrival stands only if
 * a later message of its stream, in force, vouches for it through the
 * links (which the walk checked). */
static void check_standing(struct audit *a)
{
	for (size_t i = 0; i < a->n_standing; i++) {
		const struct standing *st = &a->standing[i];
		if (st->stale_seq > st->in_force_seq)
			problem(a, st->stale_index,
				"(%s:%llu) %s, and no later message of %s in force vouches for it",
				st->origin, (unsigned long long)st->stale_seq, st->stale_why, st->origin);
	}
}

/* Takes the oldest job; 0 once the walk is over and the queue empty. */
static int dequeue(struct audit *a, struct job *j)
{
	pthread_mutex_lock(&a->lock);
	while (a->count == 0 && !a->done)
		pthread_cond_wait(&a->not_empty, &a->lock);
	int got = a->count > 0;
	if (got) {
		*j = a->queue[a->head];
		a->head = (a->head + 1) % QUEUE_SLOTS;
		a->count--;
		pthread_cond_signal(&a->not_full);
	}
	pthread_mutex_unlock(&a->lock);
	return got;
}

/* A trust store as the node had it: the files, then the CRLs it adopted
 * (each taken only when newer than the file's). */
static int open_trust(const struct audit *a, struct fsb_trust **t, char *err, size_t errlen)
{
	int rc = fsb_trust_open_files(a->o->ca_files, a->o->crl_files, a->o->n_anchors, t, err,
				      errlen);
	for (size_t i = 0; rc == 0 && i < a->n_kept; i++)
		fsb_trust_offer_crl(*t, a->kept[i], a->kept_lens[i], NULL, NULL, 0);
	return rc;
}

/* --full: verifies every queued envelope, in any order. */
static void *sig_worker(void *arg)
{
	struct audit *a = arg;
	struct fsb_trust *t = NULL;
	char err[512];
	if (open_trust(a, &t, err, sizeof err))
		problem(a, 0, "trust store: %s", err);
	struct job j;
	while (dequeue(a, &j)) {
		if (t)
			verify_signature(a, t, j.e.index, j.e.arrival_ms, j.e.envelope,
					 j.e.envelope_len);
		fsb_entry_clear(&j.e);
	}
	fsb_trust_close(t);
	return NULL;
}

static int check_entry(void *ctx, const struct fsb_entry *e, enum fsb_chain chain);

/* Without --full: checks the queued entries in log order, so that the
 * payload hashes and links are computed beside the walk, which hashes the
 * local chain (two SHA-256 passes over every envelope, on two cores). */
static void *link_worker(void *arg)
{
	struct audit *a = arg;
	struct job j;
	while (dequeue(a, &j)) {
		check_entry(a, &j.e, j.chain);
		fsb_entry_clear(&j.e);
	}
	return NULL;
}

static void enqueue(struct audit *a, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct job j = {*e, chain};
	j.e.envelope = malloc(e->envelope_len ? e->envelope_len : 1);
	if (!j.e.envelope) {
		problem(a, e->index, "out of memory");
		return;
	}
	if (e->envelope_len)
		memcpy(j.e.envelope, e->envelope, e->envelope_len);
	pthread_mutex_lock(&a->lock);
	while (a->count == QUEUE_SLOTS)
		pthread_cond_wait(&a->not_full, &a->lock);
	a->queue[(a->head + a->count) % QUEUE_SLOTS] = j;
	a->count++;
	pthread_cond_signal(&a->not_empty);
	pthread_mutex_unlock(&a->lock);
}

static const char *const chain_why[] = {
	[FSB_CHAIN_BAD_HASH] = "local chain broken: the entry hash does not match its content",
	[FSB_CHAIN_GAP] = "local chain broken: an entry is missing before this one",
	[FSB_CHAIN_UNREADABLE] = "the log record cannot be read",
};

static int check_entry(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct audit *a = ctx;
	a->r->entries++;
	a->r->bytes += e->envelope_len;
	if (a->o->progress)
		a->o->progress(a->o->progress_ctx, a->r->entries, a->total);
	if (chain != FSB_CHAIN_OK) {
		problem(a, e->index, "%s", chain_why[chain]);
		if (chain == FSB_CHAIN_UNREADABLE)
			return 0;
	}
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", e->origin, (unsigned long long)e->seq);
	struct fsb_envelope_view v;
	struct fsb_payload_peek p;
	uint8_t hash[FSB_HASH_LEN];
	if (fsb_envelope_view(e->envelope, e->envelope_len, &v)) {
		problem(a, e->index, "(%s) the stored envelope cannot be decoded", id);
		return 0;
	}
	fsb_sign_sha256(v.payload, v.payload_len, hash);
	if (memcmp(hash, e->payload_hash, FSB_HASH_LEN) != 0)
		problem(a, e->index, "(%s) payload hash differs from the one recorded at append", id);
	if (fsb_payload_peek(v.payload, v.payload_len, &p) || strcmp(p.origin, e->origin) != 0 ||
	    p.seq != e->seq) {
		problem(a, e->index, "(%s) the payload's header is not %s", id, id);
		return 0;
	}
	struct stream *s = stream_of(a, e->origin);
	if (!s) {
		problem(a, e->index, "out of memory");
		return 0;
	}
	static const uint8_t zeros[FSB_HASH_LEN];
	if (a->from > 1 && s->seq == 0 && !s->first_seq && e->seq > 1 && p.prev_hash) {
		/* A partial walk meets this stream mid-way: its first link is
		 * checked against the store once the walk is over. */
		s->first_seq = e->seq;
		memcpy(s->first_prev, p.prev_hash, FSB_HASH_LEN);
		s->seq = e->seq - 1;
		memcpy(s->hash, p.prev_hash, FSB_HASH_LEN);
	}
	if (e->seq != s->seq + 1)
		problem(a, e->index, "(%s) stream %s jumps from seq %llu to %llu", id, e->origin,
			(unsigned long long)s->seq, (unsigned long long)e->seq);
	else if (!p.prev_hash || memcmp(p.prev_hash, s->seq ? s->hash : zeros, FSB_HASH_LEN) != 0)
		problem(a, e->index, "(%s) prev_hash is not the payload hash of %s:%llu", id, e->origin,
			(unsigned long long)s->seq);
	else
		a->r->links++;
	if (e->issued_at_ms < s->issued_ms)
		problem(a, e->index, "(%s) issuedAt goes back before the one of %s:%llu", id, e->origin,
			(unsigned long long)s->seq);
	s->seq = e->seq;
	s->index = e->index;
	s->issued_ms = e->issued_at_ms;
	memcpy(s->hash, hash, FSB_HASH_LEN);
	return 0;
}

/* --full: links here, signatures on the workers. */
static int check_and_queue(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct audit *a = ctx;
	int rc = check_entry(a, e, chain);
	if (chain != FSB_CHAIN_UNREADABLE)
		enqueue(a, e, chain);
	return rc;
}

/* Links only: everything on the link worker. */
static int queue_for_links(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	enqueue(ctx, e, chain);
	return 0;
}

/* --from: the first link of each stream met mid-way must reach the payload
 * hash the store holds for the message before it. */
static void check_first_links(struct audit *a, struct fsb_store *store)
{
	for (size_t i = 0; i < a->n_streams; i++) {
		struct stream *s = &a->streams[i];
		uint8_t h[FSB_HASH_LEN];
		if (!s->first_seq)
			continue;
		if (fsb_store_seq_hash(store, s->origin, s->first_seq - 1, h) ||
		    memcmp(h, s->first_prev, FSB_HASH_LEN) != 0)
			problem(a, UINT64_MAX, "(%s:%llu) prev_hash is not the payload hash held for %s:%llu",
				s->origin, (unsigned long long)s->first_seq, s->origin,
				(unsigned long long)s->first_seq - 1);
	}
}

/* Compares the stored stream heads with what the walk found. */
static void check_heads(struct audit *a, struct fsb_store *store)
{
	struct fsb_head *heads;
	size_t n;
	if (fsb_store_heads(store, &heads, &n)) {
		problem(a, UINT64_MAX, "cannot read the stream heads: %s", fsb_store_error(store));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct stream *s = find_stream(a, heads[i].origin);
		if (s && (s->seq != heads[i].seq || memcmp(s->hash, heads[i].payload_hash, FSB_HASH_LEN)))
			problem(a, heads[i].index, "stream head of %s says seq %llu, the log holds %llu",
				heads[i].origin, (unsigned long long)heads[i].seq,
				(unsigned long long)s->seq);
	}
	if (n != a->n_streams && a->from <= 1)
		problem(a, UINT64_MAX, "the stream heads list %zu streams, the log holds %zu", n,
			a->n_streams);
	free(heads);
}

/* Walks the log from a->from, with the workers the options ask for. */
/* The indexes against the log (a whole walk only): they answer the case
 * views, so an index that lies would show a case wrongly. The check reads
 * its own snapshot on a thread of its own, beside the walk. */
struct index_check {
	struct fsb_store *store;
	int rc;
	uint64_t bad;
	char why[400];
};

static void *index_worker(void *arg)
{
	struct index_check *c = arg;
	c->rc = fsb_store_index_check(c->store, &c->bad, c->why, sizeof c->why);
	return NULL;
}

static int walk(struct audit *a, struct fsb_store *store)
{
	const struct fsb_audit_opts *o = a->o;
	unsigned jobs = o->jobs < 1 ? 1 : o->jobs > FSB_AUDIT_MAX_JOBS ? FSB_AUDIT_MAX_JOBS : o->jobs;
	int check_all = o->full && o->n_anchors;
	pthread_t threads[FSB_AUDIT_MAX_JOBS];
	unsigned started = 0;
	for (; started < (check_all ? jobs : 1); started++)
		if (pthread_create(&threads[started], NULL, check_all ? sig_worker : link_worker, a))
			break;
	fsb_entry_fn fn = check_all ? check_and_queue : started ? queue_for_links : check_entry;
	int rc = fsb_store_walk(store, a->from, fn, a);
	pthread_mutex_lock(&a->lock);
	a->done = 1;
	pthread_cond_broadcast(&a->not_empty);
	pthread_mutex_unlock(&a->lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	return rc;
}

/* Without `full`: the newest signature of each stream. */
static int check_newest(struct audit *a, struct fsb_store *store, char *err, size_t errlen)
{
	struct fsb_trust *t = NULL;
	if (open_trust(a, &t, err, errlen))
		return FSB_ECERT;
	for (size_t i = 0; i < a->n_streams; i++) {
		struct fsb_entry e;
		if (fsb_store_get(store, a->streams[i].index, &e) == 0)
			verify_signature(a, t, e.index, e.arrival_ms, e.envelope, e.envelope_len);
		fsb_entry_clear(&e);
	}
	fsb_trust_close(t);
	return 0;
}

/* The streams walked, into the report. */
static int report_streams(struct audit *a)
{
	struct fsb_audit_report *r = a->r;
	if (!a->n_streams)
		return 0;
	r->streams = calloc(a->n_streams, sizeof *r->streams);
	if (!r->streams)
		return FSB_ENOMEM;
	for (size_t i = 0; i < a->n_streams; i++) {
		memcpy(r->streams[i].origin, a->streams[i].origin, sizeof r->streams[i].origin);
		r->streams[i].seq = a->streams[i].seq;
	}
	r->n_streams = a->n_streams;
	return 0;
}

int fsb_audit_run(struct fsb_store *store, const struct fsb_audit_opts *o,
		  struct fsb_audit_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	struct audit a = {.o = o, .r = r, .from = o->from ? o->from : 1};
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.not_empty, NULL);
	pthread_cond_init(&a.not_full, NULL);
	struct fsb_store_stats st;
	int rc;
	if ((o->n_anchors && (rc = fsb_store_crls(store, &a.kept, &a.kept_lens, &a.n_kept))) ||
	    (rc = fsb_store_stats(store, &st))) {
		snprintf(err, errlen, "%s", fsb_store_error(store));
		goto out;
	}
	if (a.from > 1 && a.from > st.last_index) {
		snprintf(err, errlen, "--from %llu is past the last entry of the log (#%llu)",
			 (unsigned long long)a.from, (unsigned long long)st.last_index);
		rc = FSB_EINVAL;
		goto out;
	}
	r->last_index = st.last_index;
	memcpy(r->last_hash, st.last_hash, FSB_HASH_LEN);
	r->rejects = st.rejects;
	r->equivocations = st.equivocations;
	r->signatures_checked = o->n_anchors > 0;
	a.total = st.last_index >= a.from ? st.last_index - a.from + 1 : 0;
	struct index_check ic = {.store = store};
	pthread_t ith;
	int checking = a.from == 1 && pthread_create(&ith, NULL, index_worker, &ic) == 0;
	if (a.from == 1 && !checking)
		index_worker(&ic);
	rc = walk(&a, store);
	if (checking)
		pthread_join(ith, NULL);
	if (rc == 0 && ic.rc < 0)
		rc = ic.rc;
	if (rc) {
		snprintf(err, errlen, "%s", fsb_store_error(store));
		goto out;
	}
	if (ic.rc == 1)
		problem(&a, ic.bad, "%s", ic.why);
	check_first_links(&a, store);
	check_heads(&a, store);
	if (o->n_anchors && !o->full && (rc = check_newest(&a, store, err, errlen)))
		goto out;
	check_standing(&a);
	rc = report_streams(&a);
	if (rc)
		snprintf(err, errlen, "%s", fsb_strerror(rc));
out:
	for (size_t i = 0; i < a.n_kept; i++)
		free(a.kept[i]);
	free(a.kept);
	free(a.kept_lens);
	free(a.streams);
	free(a.standing);
	pthread_mutex_destroy(&a.lock);
	pthread_cond_destroy(&a.not_empty);
	pthread_cond_destroy(&a.not_full);
	return rc;
}

void fsb_audit_report_clear(struct fsb_audit_report *r)
{
	free(r->streams);
	memset(r, 0, sizeof *r);
}
