/* sequence.c - streams in order, within a budget (see sequence.h).
 *
 * Each stream keeps its waiting messages in one array sorted by seq, all
 * above the head. The in-order run is the prefix whose seqs follow the
 * head without a hole. Streams live in one array searched by origin: a few
 * dozen provinces, a few hundred at most, and every search is a handful of
 * short string comparisons.
 */
#include "sequence.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mem.h"

#define REFUSALS_KEPT 8

struct refusal {
	uint64_t seq;
	uint8_t hash[FSB_HASH_LEN];
	uint64_t evidence; /* the stream's evidence count when it was refused */
};

struct stream {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t held;                  /* the head: appended with every seq before */
	uint8_t held_hash[FSB_HASH_LEN];
	uint64_t known;                 /* highest seq the origin says exists */
	struct fsb_seq_item *wait;      /* sorted by seq, all > held */
	size_t n_wait, cap;
	size_t bytes;                   /* cost of what waits */
	/* gap timing: the gap's first missing seq, when it was first seen
	 * there, and the state of the last request */
	uint64_t gap_mark;
	int64_t gap_since;
	int64_t asked_at;
	uint64_t mark_at_ask;
	int64_t retry_ms;
	uint32_t jitter;                /* its share of gap_jitter_ms, in 2^-32 */
	/* refused messages that a re-send would not change */
	struct refusal refused[REFUSALS_KEPT];
	size_t n_refused, next_refusal;
	uint64_t evidence; /* counts what the origin signed and was verified: messages in
			    * force, seqs it said exist */
};

struct fsb_seq {
	struct fsb_seq_limits l;
	struct fsb_seq_ops ops;
	struct stream *streams;
	size_t n_streams, cap;
	size_t bytes;
	uint64_t evicted, not_kept;
};

int fsb_seq_open(const struct fsb_seq_limits *l, const struct fsb_seq_ops *ops,
		 struct fsb_seq **out)
{
	*out = NULL;
	if (!l->max_bytes || !l->max_stream_bytes || !l->max_streams || !l->retry_ms ||
	    !l->retry_max_ms || !l->max_ask || !l->stale_wait_ms || !ops->verify || !ops->release)
		return FSB_EINVAL;
	struct fsb_seq *q = calloc(1, sizeof *q);
	if (!q)
		return FSB_ENOMEM;
	q->l = *l;
	q->ops = *ops;
	*out = q;
	return 0;
}

void fsb_seq_close(struct fsb_seq *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n_streams; i++) {
		struct stream *s = &q->streams[i];
		for (size_t j = 0; j < s->n_wait; j++)
			q->ops.release(q->ops.ctx, s->origin, &s->wait[j], FSB_SEQ_CLOSED);
		free(s->wait);
	}
	free(q->streams);
	free(q);
}

static struct stream *find(const struct fsb_seq *q, const char *origin)
{
	for (size_t i = 0; i < q->n_streams; i++)
		if (strcmp(q->streams[i].origin, origin) == 0)
			return &q->streams[i];
	return NULL;
}

/* The stream of origin, created when new; NULL past max_streams or out of
 * memory. */
static struct stream *stream_of(struct fsb_seq *q, const char *origin)
{
	struct stream *s = find(q, origin);
	if (s || strlen(origin) > FSB_ORIGIN_MAX)
		return s;
	if (q->n_streams == q->l.max_streams)
		return NULL;
	if (fsb_mem_grow(&q->streams, &q->cap, q->n_streams, sizeof *q->streams))
		return NULL;
	s = &q->streams[q->n_streams++];
	memset(s, 0, sizeof *s);
	strcpy(s->origin, origin);
	s->retry_ms = q->l.retry_ms;
	/* FNV-1a of the origin from the seed, then a finalizer (splitmix64):
	 * spread, and the same for the stream as long as the seed is. */
	uint64_t h = q->l.jitter_seed ^ 0xcbf29ce484222325ULL;
	for (const char *c = origin; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	s->jitter = (uint32_t)((h ^ (h >> 31)) >> 32);
	return s;
}

void fsb_seq_set_gap_wait(struct fsb_seq *q, int64_t gap_wait_ms, int64_t gap_jitter_ms)
{
	q->l.gap_wait_ms = gap_wait_ms;
	q->l.gap_jitter_ms = gap_jitter_ms;
}

int fsb_seq_load(struct fsb_seq *q, const char *origin, uint64_t held,
		 const uint8_t hash[FSB_HASH_LEN])
{
	struct stream *s = stream_of(q, origin);
	if (!s)
		return q->n_streams == q->l.max_streams ? FSB_ETOOBIG : FSB_ENOMEM;
	s->held = held;
	memcpy(s->held_hash, hash, FSB_HASH_LEN);
	if (s->known < held)
		s->known = held;
	return 0;
}

/* How many waiting messages follow the head without a hole. */
static size_t run_len(const struct stream *s)
{
	size_t k = 0;
	while (k < s->n_wait && s->wait[k].seq == s->held + 1 + k)
		k++;
	return k;
}

/* Index of the first waiting item with seq >= seq. */
static size_t lower_bound(const struct stream *s, uint64_t seq)
{
	size_t lo = 0, hi = s->n_wait;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->wait[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum fsb_seq_place fsb_seq_place(const struct fsb_seq *q, const char *origin, uint64_t seq)
{
	const struct stream *s = find(q, origin);
	uint64_t held = s ? s->held : 0;
	if (seq <= held)
		return FSB_SEQ_HELD;
	uint64_t next = held + 1 + (s ? run_len(s) : 0);
	return seq <= next ? FSB_SEQ_NEXT : FSB_SEQ_AHEAD;
}

uint64_t fsb_seq_held(const struct fsb_seq *q, const char *origin, uint8_t hash[FSB_HASH_LEN])
{
	const struct stream *s = find(q, origin);
	if (hash)
		memset(hash, 0, FSB_HASH_LEN);
	if (!s)
		return 0;
	if (hash)
		memcpy(hash, s->held_hash, FSB_HASH_LEN);
	return s->held;
}

int fsb_seq_waiting(const struct fsb_seq *q, const char *origin, uint64_t seq,
		    uint8_t hash[FSB_HASH_LEN])
{
	const struct stream *s = find(q, origin);
	if (!s)
		return 0;
	size_t i = lower_bound(s, seq);
	if (i == s->n_wait || s->wait[i].seq != seq)
		return 0;
	if (hash)
		memcpy(hash, s->wait[i].payload_hash, FSB_HASH_LEN);
	return 1;
}

static void remove_at(struct fsb_seq *q, struct stream *s, size_t i)
{
	s->bytes -= s->wait[i].bytes;
	q->bytes -= s->wait[i].bytes;
	memmove(&s->wait[i], &s->wait[i + 1], (s->n_wait - i - 1) * sizeof s->wait[0]);
	s->n_wait--;
}

static void drop_at(struct fsb_seq *q, struct stream *s, size_t i, enum fsb_seq_drop why)
{
	struct fsb_seq_item it = s->wait[i];
	remove_at(q, s, i);
	if (why == FSB_SEQ_EVICTED)
		q->evicted++;
	q->ops.release(q->ops.ctx, s->origin, &it, why);
}

/* The stream that holds the most, other than `not` when given. */
static struct stream *biggest(struct fsb_seq *q, const struct stream *not)
{
	struct stream *b = NULL;
	for (size_t i = 0; i < q->n_streams; i++) {
		struct stream *s = &q->streams[i];
		if (s != not && s->n_wait && (!b || s->bytes > b->bytes))
			b = s;
	}
	return b;
}

/* Makes room for an item of `bytes` at seq in s, dropping the highest
 * seqs: first of s (only above seq), then of whichever stream holds the
 * most. 0, or -1 when there is no room to make. */
static int make_room(struct fsb_seq *q, struct stream *s, uint64_t seq, size_t bytes)
{
	if (bytes > q->l.max_stream_bytes || bytes > q->l.max_bytes)
		return -1;
	while (s->bytes + bytes > q->l.max_stream_bytes) {
		if (!s->n_wait || s->wait[s->n_wait - 1].seq < seq)
			return -1;
		drop_at(q, s, s->n_wait - 1, FSB_SEQ_EVICTED);
	}
	while (q->bytes + bytes > q->l.max_bytes) {
		struct stream *v = biggest(q, NULL);
		if (v == s && s->wait[s->n_wait - 1].seq < seq)
			v = biggest(q, s);
		if (!v)
			return -1;
		drop_at(q, v, v->n_wait - 1, FSB_SEQ_EVICTED);
	}
	return 0;
}

int fsb_seq_room(const struct fsb_seq *q, const char *origin, uint64_t seq, size_t bytes)
{
	const struct stream *s = find(q, origin);
	if (bytes > q->l.max_stream_bytes || bytes > q->l.max_bytes)
		return 0;
	if (!s)
		return q->n_streams < q->l.max_streams;
	/* Of this stream, only higher seqs make way; of the whole buffer,
	 * anything of another stream may. */
	size_t above = 0;
	for (size_t i = lower_bound(s, seq + 1); i < s->n_wait; i++)
		above += s->wait[i].bytes;
	if (s->bytes - above + bytes > q->l.max_stream_bytes)
		return 0;
	return q->bytes - s->bytes + (s->bytes - above) + bytes <= q->l.max_bytes ||
	       q->bytes - s->bytes > 0;
}

static int rank(enum fsb_seq_trust t)
{
	return t == FSB_SEQ_STALE ? 1 : t == FSB_SEQ_UNCHECKED ? 0 : 2;
}

/* Verifies an unchecked item in place; 0, or -1 when it failed (the
 * caller decides what becomes of it). */
static int check(struct fsb_seq *q, const struct stream *s, struct fsb_seq_item *it)
{
	if (it->trust != FSB_SEQ_UNCHECKED)
		return 0;
	int r = q->ops.verify(q->ops.ctx, s->origin, it);
	if (r != FSB_SEQ_IN_FORCE && r != FSB_SEQ_STALE)
		return -1;
	it->trust = (enum fsb_seq_trust)r;
	return 0;
}

enum fsb_seq_admitted fsb_seq_admit(struct fsb_seq *q, const char *origin,
				    const struct fsb_seq_item *offered)
{
	struct fsb_seq_item it = *offered;
	/* Where it would stand, before any stream is made for it. */
	enum fsb_seq_place place = fsb_seq_place(q, origin, it.seq);
	if (place == FSB_SEQ_HELD ||
	    ((it.trust == FSB_SEQ_UNCHECKED || it.trust == FSB_SEQ_STALE) && place != FSB_SEQ_NEXT))
		goto not_kept;
	struct stream *s = stream_of(q, origin);
	if (!s)
		goto not_kept;
	size_t i = lower_bound(s, it.seq);
	if (i < s->n_wait && s->wait[i].seq == it.seq) {
		struct fsb_seq_item *old = &s->wait[i];
		if (memcmp(old->payload_hash, it.payload_hash, FSB_HASH_LEN) == 0)
			return FSB_SEQ_DUPLICATE;
		/* Two messages for one seq: what each is worth decides, and an
		 * unchecked one is checked first. */
		if (check(q, s, &it))
			goto not_kept;
		if (check(q, s, old)) {
			drop_at(q, s, i, FSB_SEQ_FAILED);
		} else if (rank(it.trust) > rank(old->trust)) {
			drop_at(q, s, i, FSB_SEQ_CONFLICT);
		} else {
			goto not_kept;
		}
	}
	if (make_room(q, s, it.seq, it.bytes))
		goto not_kept;
	if (fsb_mem_grow(&s->wait, &s->cap, s->n_wait, sizeof *s->wait))
		goto not_kept;
	i = lower_bound(s, it.seq);
	memmove(&s->wait[i + 1], &s->wait[i], (s->n_wait - i) * sizeof s->wait[0]);
	s->wait[i] = it;
	s->n_wait++;
	s->bytes += it.bytes;
	q->bytes += it.bytes;
	if (it.trust == FSB_SEQ_IN_FORCE) {
		if (it.seq > s->known)
			s->known = it.seq;
		s->evidence++;
	}
	return FSB_SEQ_KEPT;
not_kept:
	q->not_kept++;
	return FSB_SEQ_NOT_KEPT;
}

size_t fsb_seq_take(struct fsb_seq *q, const char *origin, struct fsb_seq_item *out, size_t max)
{
	struct stream *s = find(q, origin);
	if (!s)
		return 0;
	size_t k = run_len(s);
	if (k == 0)
		return 0;
	/* Newest first: an authenticated message vouches for the one below it
	 * when its prev_hash is that one's payload hash. */
	unsigned char *ok = calloc(k, 1), *gone = calloc(k, 1);
	if (!ok || !gone) {
		free(ok);
		free(gone);
		return 0;
	}
	int vouching = 0;
	uint8_t link[FSB_HASH_LEN];
	for (size_t j = k; j-- > 0;) {
		struct fsb_seq_item *it = &s->wait[j];
		if (vouching && memcmp(link, it->payload_hash, FSB_HASH_LEN) == 0) {
			if (it->trust != FSB_SEQ_IN_FORCE)
				it->trust = FSB_SEQ_VOUCHED;
		} else if (check(q, s, it)) {
			gone[j] = 1;
			vouching = 0;
			struct fsb_seq_item copy = *it;
			q->ops.release(q->ops.ctx, s->origin, &copy, FSB_SEQ_FAILED);
			continue;
		} else if (it->trust == FSB_SEQ_STALE && vouching) {
			/* An authenticated later message links to another payload:
			 * this one is not the stream's. */
			gone[j] = 1;
			vouching = 0;
			struct fsb_seq_item copy = *it;
			q->ops.release(q->ops.ctx, s->origin, &copy, FSB_SEQ_UNVOUCHED);
			continue;
		}
		ok[j] = it->trust != FSB_SEQ_STALE;
		vouching = ok[j];
		if (vouching)
			memcpy(link, it->prev_hash, FSB_HASH_LEN);
	}
	/* Stale messages at the top of the run wait only for a later message
	 * the origin is known to have signed; with none, nothing can vouch. */
	for (size_t j = k; j-- > 0 && !ok[j];) {
		if (gone[j] || s->wait[j].trust != FSB_SEQ_STALE || s->known > s->wait[k - 1].seq)
			continue;
		gone[j] = 1;
		struct fsb_seq_item copy = s->wait[j];
		q->ops.release(q->ops.ctx, s->origin, &copy, FSB_SEQ_UNVOUCHED);
	}
	size_t take = 0;
	while (take < k && take < max && ok[take] && !gone[take])
		take++;
	memcpy(out, s->wait, take * sizeof *out);
	/* Out go the taken ones and those released above. */
	size_t kept = 0, freed = 0;
	for (size_t j = 0; j < s->n_wait; j++) {
		if (j < take || (j < k && gone[j])) {
			freed += s->wait[j].bytes;
			continue;
		}
		s->wait[kept++] = s->wait[j];
	}
	s->n_wait = kept;
	s->bytes -= freed;
	q->bytes -= freed;
	free(ok);
	free(gone);
	return take;
}

void fsb_seq_appended(struct fsb_seq *q, const char *origin, uint64_t seq,
		      const uint8_t hash[FSB_HASH_LEN])
{
	struct stream *s = find(q, origin);
	if (!s || seq <= s->held)
		return;
	s->held = seq;
	memcpy(s->held_hash, hash, FSB_HASH_LEN);
	if (s->known < seq)
		s->known = seq;
	/* Whatever waits at or below the new head is stale news. */
	while (s->n_wait && s->wait[0].seq <= seq)
		drop_at(q, s, 0, FSB_SEQ_CONFLICT);
}

int fsb_seq_known(struct fsb_seq *q, const char *origin, uint64_t seq)
{
	struct stream *s = stream_of(q, origin);
	if (!s)
		return q->n_streams == q->l.max_streams ? FSB_ETOOBIG : FSB_ENOMEM;
	if (seq > s->known) {
		s->known = seq;
		s->evidence++;
	}
	return 0;
}

uint64_t fsb_seq_known_seq(const struct fsb_seq *q, const char *origin)
{
	const struct stream *s = find(q, origin);
	return s ? s->known : 0;
}

void fsb_seq_refused(struct fsb_seq *q, const char *origin, uint64_t seq,
		     const uint8_t hash[FSB_HASH_LEN])
{
	struct stream *s = find(q, origin);
	if (!s)
		return;
	struct refusal *r = &s->refused[s->next_refusal];
	r->seq = seq;
	memcpy(r->hash, hash, FSB_HASH_LEN);
	r->evidence = s->evidence;
	s->next_refusal = (s->next_refusal + 1) % REFUSALS_KEPT;
	if (s->n_refused < REFUSALS_KEPT)
		s->n_refused++;
}

/* Whether a message at seq (with this hash, or any when NULL) was refused
 * and nothing new has come from the origin since. */
static int refused_at(const struct stream *s, uint64_t seq, const uint8_t *hash)
{
	for (size_t i = 0; i < s->n_refused; i++)
		if (s->refused[i].seq == seq && s->refused[i].evidence == s->evidence &&
		    (!hash || memcmp(s->refused[i].hash, hash, FSB_HASH_LEN) == 0))
			return 1;
	return 0;
}

int fsb_seq_was_refused(const struct fsb_seq *q, const char *origin, uint64_t seq,
			const uint8_t hash[FSB_HASH_LEN])
{
	const struct stream *s = find(q, origin);
	return s && refused_at(s, seq, hash);
}

/* Releases the stale messages that waited longer than stale_wait_ms. */
static void expire_stale(struct fsb_seq *q, struct stream *s, int64_t now_ms)
{
	for (size_t i = 0; i < s->n_wait;) {
		if (s->wait[i].trust == FSB_SEQ_STALE && now_ms - s->wait[i].at_ms > q->l.stale_wait_ms)
			drop_at(q, s, i, FSB_SEQ_UNVOUCHED);
		else
			i++;
	}
}

/* The stream's gap: its first missing seq and the last seq worth asking
 * for; 0 when it has none. */
static uint64_t gap_of(const struct stream *s, uint64_t *top)
{
	size_t k = run_len(s);
	uint64_t first = s->held + 1 + k;
	*top = k < s->n_wait ? s->wait[k].seq - 1 : s->known;
	return first <= *top ? first : 0;
}

size_t fsb_seq_due(struct fsb_seq *q, int64_t now_ms, struct fsb_seq_ask *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < q->n_streams && n < max; i++) {
		struct stream *s = &q->streams[i];
		expire_stale(q, s, now_ms);
		uint64_t top, first = gap_of(s, &top);
		if (!first) {
			s->gap_since = 0;
			s->asked_at = 0;
			s->retry_ms = q->l.retry_ms;
			continue;
		}
		if (!s->gap_since || first != s->gap_mark) {
			/* New, or still filling: wait for it to stall, then ask
			 * with patience renewed. */
			s->gap_since = now_ms;
			s->gap_mark = first;
			s->retry_ms = q->l.retry_ms;
		}
		if (now_ms - s->gap_since <
		    q->l.gap_wait_ms + (int64_t)(((uint64_t)q->l.gap_jitter_ms * s->jitter) >> 32))
			continue;
		if (s->asked_at && now_ms - s->asked_at < s->retry_ms)
			continue;
		if (refused_at(s, first, NULL))
			continue; /* asked again once something new comes */
		struct fsb_seq_ask *a = &out[n++];
		strcpy(a->origin, s->origin);
		a->from = first;
		a->to = top - first >= q->l.max_ask ? first + q->l.max_ask - 1 : top;
	}
	return n;
}

void fsb_seq_asked(struct fsb_seq *q, const char *origin, int64_t now_ms)
{
	struct stream *s = find(q, origin);
	if (!s)
		return;
	uint64_t top, first = gap_of(s, &top);
	/* Asked again with nothing come of the last request: wait longer. */
	if (s->asked_at && s->mark_at_ask == first) {
		s->retry_ms *= 2;
		if (s->retry_ms > q->l.retry_max_ms)
			s->retry_ms = q->l.retry_max_ms;
	} else {
		s->retry_ms = q->l.retry_ms;
	}
	s->asked_at = now_ms;
	s->mark_at_ask = first;
}

const char *fsb_seq_origin(const struct fsb_seq *q, size_t i)
{
	return i < q->n_streams ? q->streams[i].origin : NULL;
}

void fsb_seq_stats(const struct fsb_seq *q, struct fsb_seq_stats *st)
{
	memset(st, 0, sizeof *st);
	st->streams = q->n_streams;
	for (size_t i = 0; i < q->n_streams; i++)
		st->waiting += q->streams[i].n_wait;
	st->bytes = q->bytes;
	st->evicted = q->evicted;
	st->not_kept = q->not_kept;
}

size_t fsb_seq_run(const struct fsb_seq *q, const char *origin, int64_t *oldest_ms)
{
	const struct stream *s = find(q, origin);
	size_t k = s ? run_len(s) : 0;
	*oldest_ms = INT64_MAX;
	for (size_t j = 0; j < k; j++)
		if (s->wait[j].at_ms < *oldest_ms)
			*oldest_ms = s->wait[j].at_ms;
	return k;
}

int fsb_seq_pressed(const struct fsb_seq *q)
{
	if (q->bytes >= q->l.max_bytes / 2)
		return 1;
	for (size_t i = 0; i < q->n_streams; i++) {
		const struct stream *s = &q->streams[i];
		if (s->bytes < q->l.max_stream_bytes / 2)
			continue;
		size_t k = run_len(s), run = 0;
		for (size_t j = 0; j < k; j++)
			run += s->wait[j].bytes;
		if (run >= q->l.max_stream_bytes / 2)
			return 1;
	}
	return 0;
}
