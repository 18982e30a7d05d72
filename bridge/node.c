/* node.c - the bridge node: one thread owns the store and makes every
 * decision; Paho's threads only queue events for it.
 *
 * The loop waits on an eventfd (events from MQTT), an inotify watch on the
 * LMDB data file (a `fsbridge submit` in another process committed), and
 * timers. Each turn it handles the queued events, appends whatever verified
 * messages are now in order as one group commit, publishes the outbox, and
 * runs what is due: reconnecting, the debounced checkpoint, sync requests
 * for gaps that did not fill, and paced re-sends for other nodes.
 */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "format.h"
#include "seal.h"
#include "sign.h"
#include "store.h"
#include "submit.h"
#include "topic.h"
#include "transport.h"

#define MAX_PEERS 64
#define MAX_STREAMS 64
#define REORDER_MAX 2048        /* messages waiting per stream */
#define WINDOW 512              /* publications in flight, at most */
#define RESEND_TAG (1ULL << 63)  /* tags of re-sent messages (outbox tags are seqs) */
#define MIRROR_NOTE_MS 1000       /* how often the mirror's progress is saved */
#define GAP_WAIT_MS 400         /* how long a gap may last before asking */
#define SYNC_RETRY_MS 3000      /* how long to wait for an answer */
#define SYNC_MAX 10000          /* seqs asked for in one request */
#define CHECKPOINT_DEBOUNCE_MS 150
#define CHECKPOINT_REFRESH_MS 30000
#define RESEND_PER_TURN 256     /* re-sent messages per turn (rate limit) */
#define MAX_RESENDS 32
#define TICK_MS 200
#define OUTBOX_RECHECK_MS 2000  /* a safety net under the notify file */
/* Bytes of exchange messages waiting for the loop. Paho acknowledges a
 * QoS 1 message as soon as its callback returns and holds its own lock
 * meanwhile, so the callback can neither wait nor refuse: a broker that
 * delivers a large backlog faster than the node stores it would grow the
 * queue without bound. Past this budget exchange messages are dropped, and
 * the gaps they leave are fetched again by sync requests, at a pace. */
#define INBOUND_MAX_BYTES (4u << 20)

enum { CONN_EXCHANGE, CONN_LOCAL };

struct event {
	struct event *next;
	int conn;
	enum fsb_mqtt_event_type type;
	char *topic;
	uint8_t *payload;
	size_t len;
	char *response_topic;
	uint8_t *correlation;
	size_t correlation_len;
	uint64_t tag;
	char reason[200];
	int64_t arrival_ms;
};

struct peer {
	char origin[FSB_ORIGIN_MAX + 1];
	int online;            /* -1 unknown, 0 offline, 1 online */
	int has_checkpoint;
	uint64_t covers_own;   /* seq of our stream its checkpoint covers */
	struct fsb_stream_state *streams;
	size_t n_streams;
};

/* A verified stream message waiting for its turn in its stream. */
struct pending {
	struct fsb_opened o;   /* decoded; its signature is checked at flush */
	int verified;
	uint64_t seq;
	uint8_t prev_hash[FSB_HASH_LEN];
	uint8_t *raw;          /* the envelope as received */
	size_t raw_len;
	char topic[FSB_TOPIC_MAX];
	char category[FSB_CATEGORY_MAX + 1];
	int64_t arrival_ms;
};

struct stream {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t held;                 /* our head for this origin */
	struct pending *wait[REORDER_MAX]; /* sorted by seq, all > held */
	size_t n_wait;
	uint64_t known;                /* highest seq known to exist */
	int64_t gap_since;             /* when a gap was first seen, 0 when none */
	int64_t asked_at;              /* when the last SyncRequest went out */
	uint64_t held_at_ask;          /* the head then: progress means an answer is coming */
	uint64_t held_at_gap;          /* the head when the gap was last seen moving */
};

struct resend {
	char requester[FSB_ORIGIN_MAX + 1];
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t next, to;
};

struct conn {
	struct fsb_mqtt *m;
	int connected;       /* as Paho says, read every turn */
	unsigned generation; /* the connection whose start was handled */
	int64_t retry_at;    /* when to try connecting again; 0 = not waiting */
	int backoff_ms;
	const char *name;
};

struct node {
	const struct fsb_config *cfg;
	const char *origin;
	struct fsb_store *store;
	struct fsb_signer *signer;
	struct fsb_trust *trust;
	struct conn c[2];
	pthread_mutex_t qlock;
	struct event *qhead, *qtail;
	size_t q_bytes;           /* exchange payload bytes queued (under qlock) */
	uint64_t q_dropped;       /* dropped for it, not yet reported (under qlock) */
	int wake_fd, watch_fd, lock_fd;
	struct peer peers[MAX_PEERS];
	size_t n_peers;
	struct stream streams[MAX_STREAMS];
	size_t n_streams;
	struct resend resends[MAX_RESENDS];
	size_t n_resends;
	uint64_t published_upto; /* own seq published on this connection */
	uint64_t inflight;
	int outbox_dirty;
	/* The inbox mirror follows the log: every received entry after
	 * mirror_upto goes to the local broker, within its window, and the
	 * acknowledged position is saved, so an outage of the local broker or
	 * a restart loses nothing (a few may be sent twice). */
	int mirror_dirty;
	uint64_t mirror_upto, mirror_acked, local_inflight;
	int64_t mirror_saved_at;
	int64_t outbox_checked_at;
	int checkpoint_dirty;
	int64_t checkpoint_due, checkpoint_sent_at;
	int64_t append_error_said_at;
	uint64_t n_verified, n_amortized;
	uint64_t n_received, n_appended, n_duplicates, n_rejected, n_equivocations;
	char submit_filter[FSB_TOPIC_MAX], result_topic[FSB_TOPIC_MAX];
};

/* ---- logging --------------------------------------------------------------------- */

static void say(struct node *n, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct node *n, const char *level, const char *fmt, ...)
{
	char when[FSB_TIME_MAX + 1], msg[1024];
	fsb_time_format(fsb_time_now_ms(), when);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s %s\n", when, n->origin, level, msg);
}

/* ---- events from Paho's threads ---------------------------------------------------- */

struct conn_ctx {
	struct node *n;
	int conn;
};

static struct conn_ctx ctxs[2];

static void event_free(struct event *e);

static void on_event(void *arg, const struct fsb_mqtt_event *ev)
{
	struct conn_ctx *cc = arg;
	struct node *n = cc->n;
	struct event *e = calloc(1, sizeof *e);
	if (!e)
		return; /* the broker redelivers at QoS 1, sync catches the rest */
	e->conn = cc->conn;
	e->type = ev->type;
	e->tag = ev->tag;
	e->arrival_ms = fsb_time_now_ms();
	if (ev->reason)
		snprintf(e->reason, sizeof e->reason, "%s", ev->reason);
	if (ev->type == FSB_MQTT_MESSAGE) {
		e->topic = strdup(ev->topic);
		e->payload = malloc(ev->len ? ev->len : 1);
		if (e->payload)
			memcpy(e->payload, ev->payload, ev->len);
		e->len = ev->len;
		if (ev->response_topic)
			e->response_topic = strdup(ev->response_topic);
		if (ev->correlation && (e->correlation = malloc(ev->correlation_len))) {
			memcpy(e->correlation, ev->correlation, ev->correlation_len);
			e->correlation_len = ev->correlation_len;
		}
		if (!e->topic || !e->payload) {
			free(e->topic);
			free(e->payload);
			free(e);
			return;
		}
	}
	pthread_mutex_lock(&n->qlock);
	if (e->type == FSB_MQTT_MESSAGE && e->conn == CONN_EXCHANGE) {
		if (n->q_bytes + e->len > INBOUND_MAX_BYTES) {
			n->q_dropped++;
			pthread_mutex_unlock(&n->qlock);
			event_free(e);
			return;
		}
		n->q_bytes += e->len;
	}
	if (n->qtail)
		n->qtail->next = e;
	else
		n->qhead = e;
	n->qtail = e;
	pthread_mutex_unlock(&n->qlock);
	uint64_t one = 1;
	ssize_t w = write(n->wake_fd, &one, sizeof one);
	(void)w;
}

static void event_free(struct event *e)
{
	free(e->topic);
	free(e->payload);
	free(e->response_topic);
	free(e->correlation);
	free(e);
}

/* ---- peers and streams ---------------------------------------------------------------- */

static struct peer *peer_of(struct node *n, const char *origin)
{
	for (size_t i = 0; i < n->n_peers; i++)
		if (strcmp(n->peers[i].origin, origin) == 0)
			return &n->peers[i];
	if (n->n_peers == MAX_PEERS)
		return NULL;
	struct peer *p = &n->peers[n->n_peers++];
	memset(p, 0, sizeof *p);
	snprintf(p->origin, sizeof p->origin, "%s", origin);
	p->online = -1;
	return p;
}

static struct stream *stream_of(struct node *n, const char *origin)
{
	for (size_t i = 0; i < n->n_streams; i++)
		if (strcmp(n->streams[i].origin, origin) == 0)
			return &n->streams[i];
	if (n->n_streams == MAX_STREAMS)
		return NULL;
	struct stream *s = &n->streams[n->n_streams++];
	memset(s, 0, sizeof *s);
	snprintf(s->origin, sizeof s->origin, "%s", origin);
	return s;
}

static void load_heads(struct node *n)
{
	struct fsb_head *h;
	size_t count;
	if (fsb_store_heads(n->store, &h, &count))
		return;
	for (size_t i = 0; i < count; i++) {
		struct stream *s = stream_of(n, h[i].origin);
		if (s)
			s->held = s->known = h[i].seq;
	}
	free(h);
}

static void pending_free(struct pending *p)
{
	if (!p)
		return;
	fsb_opened_clear(&p->o);
	free(p->raw);
	free(p);
}

/* ---- publishing -------------------------------------------------------------------------- */

static int publish(struct node *n, int conn, const char *topic, const void *data, size_t len,
		   int retain, uint64_t tag)
{
	struct conn *c = &n->c[conn];
	if (!c->connected)
		return FSB_EIO;
	return fsb_mqtt_publish(c->m, topic, data, len, retain, tag, NULL);
}

static void want_checkpoint(struct node *n)
{
	if (!n->checkpoint_dirty) {
		n->checkpoint_dirty = 1;
		n->checkpoint_due = fsb_time_now_ms() + CHECKPOINT_DEBOUNCE_MS;
	}
}

/* Publications a connection may have unacknowledged: WINDOW, or the
 * broker's Receive Maximum when smaller. */
static uint64_t window(const struct node *n, int conn)
{
	uint64_t max = (uint64_t)fsb_mqtt_max_inflight(n->c[conn].m);
	return max < WINDOW ? max : WINDOW;
}

/* Room for more tagged publications on the exchange. */
static int room(struct node *n)
{
	return n->inflight < window(n, CONN_EXCHANGE);
}

/* Publishes the outbox in seq order from where this connection left off,
 * within the window. Tags carry the seq. */
static void publish_outbox(struct node *n)
{
	if (!n->c[CONN_EXCHANGE].connected)
		return;
	n->outbox_dirty = 0;
	while (room(n)) {
		uint64_t seqs[64];
		size_t got = 0;
		if (fsb_store_outbox(n->store, n->published_upto, seqs, 64, &got) || got == 0)
			return;
		for (size_t i = 0; i < got && room(n); i++) {
			uint64_t index;
			struct fsb_entry e;
			char topic[FSB_TOPIC_MAX];
			if (fsb_store_find_seq(n->store, n->origin, seqs[i], &index) ||
			    fsb_store_get(n->store, index, &e))
				return;
			if (fsb_topic_stream(topic, n->origin, e.kind, e.category[0] ? e.category : "other") &&
			    publish(n, CONN_EXCHANGE, topic, e.envelope, e.envelope_len, 0, seqs[i]) == 0) {
				n->inflight++;
				n->published_upto = seqs[i];
				want_checkpoint(n); /* our own head moved */
			} else {
				fsb_entry_clear(&e);
				return;
			}
			fsb_entry_clear(&e);
		}
	}
}

static void publish_checkpoint(struct node *n)
{
	struct fsb_head *h;
	size_t count;
	struct fsb_store_stats st;
	if (fsb_store_heads(n->store, &h, &count) || fsb_store_stats(n->store, &st))
		return;
	struct fsb_control c = {.type = FSB_CONTROL_CHECKPOINT, .log_index = st.last_index};
	snprintf(c.origin, sizeof c.origin, "%s", n->origin);
	fsb_time_format(fsb_time_now_ms(), c.issued_at);
	memcpy(c.log_head_hash, st.last_hash, FSB_HASH_LEN);
	c.streams = calloc(count ? count : 1, sizeof *c.streams);
	for (size_t i = 0; c.streams && i < count; i++) {
		snprintf(c.streams[i].origin, sizeof c.streams[i].origin, "%s", h[i].origin);
		c.streams[i].seq = h[i].seq;
		memcpy(c.streams[i].payload_hash, h[i].payload_hash, FSB_HASH_LEN);
	}
	c.n_streams = c.streams ? count : 0;
	free(h);
	uint8_t *env;
	size_t len;
	char topic[FSB_TOPIC_MAX];
	if (fsb_seal_control(n->signer, &c, &env, &len) == 0) {
		fsb_topic_control(topic, n->origin, FSB_TOPIC_CHECKPOINT);
		if (publish(n, CONN_EXCHANGE, topic, env, len, 1, 0) == 0) {
			n->checkpoint_dirty = 0;
			n->checkpoint_sent_at = fsb_time_now_ms();
		}
		free(env);
	}
	free(c.streams);
}

/* ---- receiving stream messages ---------------------------------------------------------- */

static void reject(struct node *n, const char *topic, int code, const char *why,
		   const uint8_t *raw, size_t len, int64_t when)
{
	n->n_rejected++;
	say(n, "WARN", "rejected %zu bytes on %s: %s", len, topic, why);
	if (fsb_store_reject(n->store, when, topic, code, why, raw, len))
		say(n, "ERROR", "cannot record the reject: %s", fsb_store_error(n->store));
}

/* Puts a verified message in its stream's reorder buffer (or drops it when
 * the buffer is full; a sync request will bring it again). */
static void hold(struct node *n, struct pending *p)
{
	struct fsb_header h;
	fsb_message_header(p->o.msg, &h);
	struct stream *s = stream_of(n, h.origin);
	if (!s) {
		pending_free(p);
		return;
	}
	if (h.seq > s->known)
		s->known = h.seq;
	size_t i = s->n_wait;
	while (i > 0 && s->wait[i - 1]->seq > p->seq)
		i--;
	if ((i > 0 && s->wait[i - 1]->seq == p->seq && p->seq > s->held) ||
	    (s->n_wait == REORDER_MAX && i == s->n_wait)) {
		/* Same seq already waiting (a duplicate, or an equivocation the
		 * store will catch when the other arrives again), or no room and
		 * it would come last: a sync request will bring it again. */
		pending_free(p);
		return;
	}
	if (s->n_wait == REORDER_MAX) {
		/* Full: the lowest seqs are what lets the stream move on, so the
		 * highest waiting one makes room. */
		pending_free(s->wait[--s->n_wait]);
	}
	memmove(&s->wait[i + 1], &s->wait[i], (s->n_wait - i) * sizeof s->wait[0]);
	s->wait[i] = p;
	s->n_wait++;
}

/* Whether an envelope is one we already hold or wait for, byte for byte in
 * its payload: then it needs no second signature check (a re-send, a
 * republished outbox). A different payload for a held seq is not: it goes
 * through the full check, and the store keeps it as equivocation evidence. */
static int already_have(struct node *n, const struct event *e)
{
	struct fsb_envelope_view v;
	struct fsb_payload_peek p;
	if (fsb_envelope_view(e->payload, e->len, &v) || fsb_payload_peek(v.payload, v.payload_len, &p) ||
	    !p.seq || fsb_fmt_slug(p.origin))
		return 0;
	struct stream *s = stream_of(n, p.origin);
	if (!s)
		return 0;
	uint8_t hash[FSB_HASH_LEN], held[FSB_HASH_LEN];
	fsb_sha256(v.payload, v.payload_len, hash);
	if (p.seq <= s->held)
		return fsb_store_seq_hash(n->store, p.origin, p.seq, held) == 0 &&
		       memcmp(hash, held, FSB_HASH_LEN) == 0;
	for (size_t i = 0; i < s->n_wait; i++)
		if (s->wait[i]->seq == p.seq)
			return memcmp(hash, s->wait[i]->o.payload_hash, FSB_HASH_LEN) == 0;
	return 0;
}

static void on_stream_message(struct node *n, const struct fsb_topic *t, struct event *e)
{
	n->n_received++;
	if (already_have(n, e)) {
		n->n_duplicates++;
		return;
	}
	/* Decoded and checked now; the certificate and signature when its
	 * turn comes (flush), where a run of messages can share one check. */
	struct fsb_open_opts o = {.max_bytes = n->cfg->max_message_bytes, .arrival_ms = e->arrival_ms,
				  .max_skew_ms = n->cfg->max_clock_skew_ms, .defer_signature = 1,
				  .topic_origin = t->type == FSB_TOPIC_STREAM ? t->origin : NULL};
	struct pending *p = calloc(1, sizeof *p);
	char why[512];
	if (!p)
		return;
	int rc = fsb_open(n->trust, e->payload, e->len, &o, &p->o, why, sizeof why);
	if (rc) {
		reject(n, e->topic, rc, why, e->payload, e->len, e->arrival_ms);
		pending_free(p);
		return;
	}
	struct fsb_header h;
	fsb_message_header(p->o.msg, &h);
	const char *cat = fsb_message_category(p->o.msg, p->category);
	if (t->type == FSB_TOPIC_STREAM &&
	    (t->kind != fsb_message_kind(p->o.msg) || !cat || strcmp(cat, t->category) != 0)) {
		snprintf(why, sizeof why, "topic says %s/%s, the message is %s/%s", fsb_kind_name(t->kind),
			 t->category, fsb_kind_name(fsb_message_kind(p->o.msg)) ? fsb_kind_name(fsb_message_kind(p->o.msg)) : "?",
			 cat ? cat : "?");
		reject(n, e->topic, FSB_EORIGIN, why, e->payload, e->len, e->arrival_ms);
		pending_free(p);
		return;
	}
	if (strcmp(h.origin, n->origin) == 0) { /* our own stream, relayed back */
		pending_free(p);
		return;
	}
	p->seq = h.seq;
	if (h.prev_hash)
		memcpy(p->prev_hash, h.prev_hash, FSB_HASH_LEN);
	p->raw = e->payload; /* the event's buffer now belongs to the pending */
	p->raw_len = e->len;
	e->payload = NULL;
	snprintf(p->topic, sizeof p->topic, "%s", e->topic);
	p->arrival_ms = e->arrival_ms;
	hold(n, p);
}

/* Checks a waiting message's certificate and signature; a failure rejects
 * it. Returns 1 when it passed. */
static int verify(struct node *n, struct pending *p)
{
	char why[512];
	int rc = fsb_open_verify(n->trust, &p->o, p->arrival_ms, why, sizeof why);
	n->n_verified++;
	if (rc) {
		reject(n, p->topic, rc, why, p->raw, p->raw_len, p->arrival_ms);
		return 0;
	}
	p->verified = 1;
	return 1;
}

/* Verifies the first `take` waiting messages of a stream, dropping those
 * that fail. A message that arrives alone (live traffic) gets its own
 * check. Of a run of consecutive seqs (a backlog), only the newest is
 * checked, and each earlier one is authenticated by the prev_hash of the
 * one after it (DESIGN.md section 5, point 6); where that breaks, each is
 * checked on its own. Returns how many remain. */
static size_t verify_run(struct node *n, struct stream *s, size_t take)
{
	for (size_t j = take; j-- > 0;) {
		struct pending *p = s->wait[j];
		if (p->verified)
			continue;
		struct pending *next = j + 1 < take ? s->wait[j + 1] : NULL;
		if (next && next->verified && next->seq == p->seq + 1 && p->seq > s->held &&
		    memcmp(next->prev_hash, p->o.payload_hash, FSB_HASH_LEN) == 0) {
			p->verified = 1;
			n->n_amortized++;
		} else if (!verify(n, p)) {
			pending_free(p);
			s->wait[j] = NULL;
		}
	}
	size_t kept = 0;
	for (size_t j = 0; j < s->n_wait; j++)
		if (s->wait[j])
			s->wait[kept++] = s->wait[j];
	size_t dropped = s->n_wait - kept;
	s->n_wait = kept;
	return take - dropped;
}

/* How many of a stream's first `limit` waiting messages can be appended
 * now: those next in order, and any at or below the head. */
static size_t in_order(const struct stream *s, size_t limit)
{
	uint64_t next = s->held + 1;
	size_t take = 0;
	while (take < limit && s->wait[take]->seq <= next) {
		if (s->wait[take]->seq == next)
			next++;
		take++;
	}
	return take;
}

/* Appends, in one transaction, every waiting message that is next in its
 * stream (and any at or below the head, so the store can tell duplicates
 * from equivocation), once verified. */
static void flush(struct node *n)
{
	size_t total = 0;
	for (size_t i = 0; i < n->n_streams; i++)
		total += n->streams[i].n_wait;
	if (!total)
		return;
	struct fsb_entry_in *in = calloc(total, sizeof *in);
	struct pending **ps = calloc(total, sizeof *ps);
	enum fsb_append_result *res = calloc(total, sizeof *res);
	uint64_t *idx = calloc(total, sizeof *idx);
	size_t k = 0;
	if (!in || !ps || !res || !idx)
		goto out;
	for (size_t i = 0; i < n->n_streams; i++) {
		struct stream *s = &n->streams[i];
		size_t take = verify_run(n, s, in_order(s, s->n_wait));
		/* A message that failed leaves a gap: stop before it. */
		take = in_order(s, take);
		for (size_t j = 0; j < take; j++) {
			struct pending *p = s->wait[j];
			struct fsb_header h;
			fsb_message_header(p->o.msg, &h);
			struct fsb_entry_in *x = &in[k];
			x->envelope = p->raw;
			x->envelope_len = p->raw_len;
			x->origin = s->origin;
			x->seq = p->seq;
			memcpy(x->payload_hash, p->o.payload_hash, FSB_HASH_LEN);
			memcpy(x->prev_hash, p->prev_hash, FSB_HASH_LEN);
			x->kind = fsb_message_kind(p->o.msg);
			x->category = p->category;
			x->issued_at_ms = p->o.issued_at_ms;
			x->arrival_ms = p->arrival_ms;
			x->direction = FSB_DIR_RECEIVED;
			x->status = p->o.warnings ? FSB_STATUS_WARNINGS : FSB_STATUS_ACCEPTED;
			x->cert = p->o.env.signer_cert;
			x->cert_len = p->o.env.signer_cert_len;
			ps[k++] = p;
		}
		memmove(s->wait, s->wait + take, (s->n_wait - take) * sizeof s->wait[0]);
		s->n_wait -= take;
	}
	if (!k)
		goto out;
	int rc = fsb_store_append(n->store, in, k, res, idx);
	if (rc) {
		/* Nothing was stored; the messages wait and are tried again (a
		 * full disk may get space back). Said once in a while, not on
		 * every turn. */
		int64_t now = fsb_time_now_ms();
		if (now - n->append_error_said_at > 5000) {
			n->append_error_said_at = now;
			say(n, "ERROR", "cannot append %zu received messages: %s", k,
			    fsb_store_error(n->store));
		}
		goto out;
	}
	for (size_t j = 0; j < k; j++) {
		struct pending *p = ps[j];
		struct stream *s = stream_of(n, in[j].origin);
		switch (res[j]) {
		case FSB_APPENDED:
			n->n_appended++;
			if (s && p->seq > s->held)
				s->held = p->seq;
			if (p->o.warnings)
				say(n, "WARN", "%s:%llu stored with content warnings: %s: %s", in[j].origin,
				    (unsigned long long)p->seq, p->o.warnings->items[0].path,
				    p->o.warnings->items[0].msg);
			n->mirror_dirty = 1;
			want_checkpoint(n);
			break;
		case FSB_DUPLICATE:
			n->n_duplicates++;
			break;
		case FSB_EQUIVOCATION:
			n->n_equivocations++;
			say(n, "ALARM", "equivocation: %s signed two different messages for seq %llu; the second is kept as evidence",
			    in[j].origin, (unsigned long long)p->seq);
			break;
		case FSB_BROKEN_LINK:
			reject(n, p->topic, FSB_ESIGNATURE, "prev_hash does not link to the payload held for seq - 1",
			       p->raw, p->raw_len, p->arrival_ms);
			break;
		case FSB_GAP:
			break;
		}
		pending_free(p);
		ps[j] = NULL;
	}
out:
	for (size_t j = 0; ps && j < k; j++)
		if (ps[j])
			hold(n, ps[j]); /* not stored: wait again */
	free(in);
	free(ps);
	free(res);
	free(idx);
}

struct mirror_walk {
	struct node *n;
	int stop;
};

static int mirror_one(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct mirror_walk *w = ctx;
	struct node *n = w->n;
	(void)chain;
	if (n->local_inflight >= window(n, CONN_LOCAL))
		return 1;
	n->mirror_upto = e->index;
	if (e->direction != FSB_DIR_RECEIVED)
		return 0;
	struct fsb_envelope_view v;
	struct fsb_message *m = NULL;
	char topic[FSB_TOPIC_MAX], *json;
	if (fsb_envelope_view(e->envelope, e->envelope_len, &v) ||
	    fsb_message_unpack(v.payload, v.payload_len, v.payload_len, &m, NULL))
		return 0; /* audit verify will say why */
	if (fsb_topic_inbox(topic, n->cfg->local_root, e->origin, e->kind, e->category) &&
	    fsb_message_to_json(m, 0, &json) == 0) {
		if (fsb_mqtt_publish(n->c[CONN_LOCAL].m, topic, json, strlen(json), 0, e->index, NULL) == 0)
			n->local_inflight++;
		else
			w->stop = 1, n->mirror_upto = e->index - 1;
		free(json);
	}
	fsb_message_free(m);
	return w->stop;
}

/* Mirrors what the log holds beyond mirror_upto, within the local window. */
static void run_mirror(struct node *n)
{
	if (!n->c[CONN_LOCAL].connected || !n->mirror_dirty)
		return;
	n->mirror_dirty = 0;
	struct mirror_walk w = {n, 0};
	uint64_t before = n->mirror_upto;
	if (fsb_store_walk(n->store, n->mirror_upto + 1, mirror_one, &w) == 1 ||
	    n->mirror_upto != before)
		n->mirror_dirty = 1; /* more to do when acknowledgements come */
}

static void save_mirror(struct node *n, int64_t now, int force)
{
	if (n->mirror_acked == 0 || (!force && now - n->mirror_saved_at < MIRROR_NOTE_MS))
		return;
	char note[32];
	snprintf(note, sizeof note, "%llu", (unsigned long long)n->mirror_acked);
	fsb_store_put_note(n->store, "mirror", note);
	n->mirror_saved_at = now;
}

static void load_mirror(struct node *n)
{
	char *note = NULL;
	if (fsb_store_get_note(n->store, "mirror", &note) == 0) {
		n->mirror_upto = n->mirror_acked = strtoull(note, NULL, 10);
	} else {
		/* A new node mirrors what it receives from now on. */
		struct fsb_store_stats st;
		if (fsb_store_stats(n->store, &st) == 0)
			n->mirror_upto = n->mirror_acked = st.last_index;
	}
	free(note);
	n->mirror_dirty = 1;
}

/* ---- synchronization -------------------------------------------------------------------- */

static void ask(struct node *n, struct stream *s, uint64_t from, uint64_t to, int64_t now)
{
	struct peer *origin_peer = peer_of(n, s->origin);
	const char *responder = s->origin;
	if (origin_peer && origin_peer->online == 0) {
		/* The origin is away: ask a node whose checkpoint shows it holds
		 * the range (messages are signed, so relaying is safe). */
		for (size_t i = 0; i < n->n_peers; i++) {
			struct peer *p = &n->peers[i];
			if (p->online == 0 || strcmp(p->origin, s->origin) == 0)
				continue;
			for (size_t j = 0; j < p->n_streams; j++)
				if (strcmp(p->streams[j].origin, s->origin) == 0 && p->streams[j].seq >= from) {
					responder = p->origin;
					break;
				}
		}
	}
	struct fsb_control c = {.type = FSB_CONTROL_SYNC, .from_seq = from, .to_seq = to};
	snprintf(c.origin, sizeof c.origin, "%s", n->origin);
	fsb_time_format(now, c.issued_at);
	snprintf(c.sync_origin, sizeof c.sync_origin, "%s", s->origin);
	snprintf(c.responder, sizeof c.responder, "%s", responder);
	uint8_t *env;
	size_t len;
	char topic[FSB_TOPIC_MAX];
	if (fsb_seal_control(n->signer, &c, &env, &len))
		return;
	fsb_topic_control(topic, n->origin, FSB_TOPIC_SYNC);
	if (publish(n, CONN_EXCHANGE, topic, env, len, 0, 0) == 0) {
		s->asked_at = now;
		s->held_at_ask = s->held;
		say(n, "INFO", "asked %s for %s:%llu..%llu", responder, s->origin,
		    (unsigned long long)from, (unsigned long long)to);
	}
	free(env);
}

/* Asks for what is missing in each stream, once a gap has lasted a moment. */
static void check_gaps(struct node *n, int64_t now)
{
	for (size_t i = 0; i < n->n_streams; i++) {
		struct stream *s = &n->streams[i];
		if (strcmp(s->origin, n->origin) == 0)
			continue;
		uint64_t first_waiting = s->n_wait ? s->wait[0]->seq : 0;
		int gap = (s->n_wait && first_waiting > s->held + 1) || s->known > s->held;
		if (!gap) {
			s->gap_since = 0;
			continue;
		}
		if (!s->gap_since || s->held != s->held_at_gap) {
			/* New, or still filling: wait for it to stall. */
			s->gap_since = now;
			s->held_at_gap = s->held;
		}
		if (now - s->gap_since < GAP_WAIT_MS || now - s->asked_at < SYNC_RETRY_MS)
			continue;
		if (s->asked_at && s->held > s->held_at_ask) {
			/* The last answer is still arriving: give it time. */
			s->held_at_ask = s->held;
			s->asked_at = now;
			continue;
		}
		uint64_t to = s->n_wait && first_waiting > s->held + 1 ? first_waiting - 1 : s->known;
		if (to - s->held > SYNC_MAX)
			to = s->held + SYNC_MAX;
		ask(n, s, s->held + 1, to, now);
	}
}

static void on_sync_request(struct node *n, const struct fsb_control *c)
{
	if (strcmp(c->responder, n->origin) != 0)
		return;
	for (size_t i = 0; i < n->n_resends; i++) {
		struct resend *r = &n->resends[i];
		if (strcmp(r->requester, c->origin) == 0 && strcmp(r->origin, c->sync_origin) == 0) {
			/* Already re-sending that stream to it: widen the end, but do
			 * not start over; what is still missing afterwards will be
			 * asked for again. */
			if (c->to_seq > r->to)
				r->to = c->to_seq;
			return;
		}
	}
	if (n->n_resends == MAX_RESENDS) {
		say(n, "WARN", "too many sync requests at once; %s will ask again", c->origin);
		return;
	}
	struct resend *r = &n->resends[n->n_resends++];
	snprintf(r->requester, sizeof r->requester, "%s", c->origin);
	snprintf(r->origin, sizeof r->origin, "%s", c->sync_origin);
	r->next = c->from_seq;
	r->to = c->to_seq;
	say(n, "INFO", "re-sending %s:%llu..%llu to %s", r->origin, (unsigned long long)r->next,
	    (unsigned long long)r->to, r->requester);
}

/* Re-sends stored envelopes byte for byte, RESEND_PER_TURN at most, within
 * the window shared with the outbox. */
static void run_resends(struct node *n)
{
	static uint64_t counter;
	int budget = RESEND_PER_TURN;
	for (size_t i = 0; i < n->n_resends && budget > 0;) {
		struct resend *r = &n->resends[i];
		char topic[FSB_TOPIC_MAX];
		fsb_topic_resend(topic, n->origin, r->requester);
		while (r->next <= r->to && budget > 0 && room(n)) {
			uint64_t index;
			struct fsb_entry e;
			if (fsb_store_find_seq(n->store, r->origin, r->next, &index) ||
			    fsb_store_get(n->store, index, &e)) {
				r->next = r->to + 1; /* we hold no more of it */
				break;
			}
			int rc = publish(n, CONN_EXCHANGE, topic, e.envelope, e.envelope_len, 0,
					 RESEND_TAG | ++counter);
			fsb_entry_clear(&e);
			if (rc)
				return; /* disconnected: go on when connected again */
			n->inflight++;
			r->next++;
			budget--;
		}
		if (r->next > r->to)
			n->resends[i] = n->resends[--n->n_resends];
		else
			i++;
	}
}

static void retire_outbox(struct node *n)
{
	uint64_t upto = UINT64_MAX;
	size_t known = 0;
	for (size_t i = 0; i < n->n_peers; i++)
		if (n->peers[i].has_checkpoint) {
			known++;
			if (n->peers[i].covers_own < upto)
				upto = n->peers[i].covers_own;
		}
	if (known && upto && upto != UINT64_MAX)
		fsb_store_outbox_retire(n->store, upto);
}

static void on_checkpoint(struct node *n, struct fsb_control *c, struct event *e)
{
	struct peer *p = peer_of(n, c->origin);
	if (!p)
		return;
	fsb_store_put_checkpoint(n->store, c->origin, e->arrival_ms, e->payload, e->len);
	free(p->streams);
	p->streams = c->streams;
	p->n_streams = c->n_streams;
	c->streams = NULL;
	p->has_checkpoint = 1;
	p->covers_own = 0;
	for (size_t i = 0; i < p->n_streams; i++) {
		struct fsb_stream_state *st = &p->streams[i];
		if (strcmp(st->origin, n->origin) == 0) {
			p->covers_own = st->seq;
			continue;
		}
		/* The peer holds more of a stream than we do: we know it exists. */
		struct stream *s = stream_of(n, st->origin);
		if (s && st->seq > s->known)
			s->known = st->seq;
	}
	retire_outbox(n);
}

static void on_exchange_message(struct node *n, struct event *e)
{
	struct fsb_topic t;
	if (fsb_topic_parse(e->topic, &t) != 0)
		return; /* not one of ours */
	if (strcmp(t.origin, n->origin) == 0)
		return; /* our own publications, echoed by the broker */
	struct peer *p;
	switch (t.type) {
	case FSB_TOPIC_STATUS:
		if ((p = peer_of(n, t.origin)))
			p->online = e->len == 6 && memcmp(e->payload, "online", 6) == 0;
		return;
	case FSB_TOPIC_CHECKPOINT:
	case FSB_TOPIC_SYNC: {
		if (e->len == 0)
			return; /* a cleared retained message */
		struct fsb_control c;
		char why[512];
		struct fsb_open_opts o = {.max_bytes = n->cfg->max_message_bytes, .topic_origin = t.origin,
					  .arrival_ms = e->arrival_ms,
					  .max_skew_ms = n->cfg->max_clock_skew_ms};
		int rc = fsb_open_control(n->trust, e->payload, e->len, &o, &c, why, sizeof why);
		if (rc == 0 && c.type != (t.type == FSB_TOPIC_CHECKPOINT ? FSB_CONTROL_CHECKPOINT : FSB_CONTROL_SYNC)) {
			rc = FSB_EINVALID;
			snprintf(why, sizeof why, "control message of the wrong type for its topic");
		}
		if (rc) {
			reject(n, e->topic, rc, why, e->payload, e->len, e->arrival_ms);
		} else if (c.type == FSB_CONTROL_CHECKPOINT) {
			on_checkpoint(n, &c, e);
		} else {
			on_sync_request(n, &c);
		}
		fsb_control_clear(&c);
		return;
	}
	case FSB_TOPIC_STREAM:
	case FSB_TOPIC_RESEND:
		on_stream_message(n, &t, e);
		return;
	case FSB_TOPIC_UNKNOWN:
		return;
	}
}

/* ---- the agency's side ------------------------------------------------------------------- */

static void reply(struct node *n, struct event *e, const char *json)
{
	const char *topic = e->response_topic ? e->response_topic : n->result_topic;
	struct fsb_mqtt_reply r = {e->correlation, e->correlation_len};
	if (n->c[CONN_LOCAL].connected)
		fsb_mqtt_publish(n->c[CONN_LOCAL].m, topic, json, strlen(json), 0, 0, &r);
}

static void on_local_message(struct node *n, struct event *e)
{
	enum fsb_kind kind = fsb_topic_submit_kind(e->topic, n->cfg->local_root);
	if (kind == FSB_KIND_NONE)
		return; /* our own inbox and results, echoed */
	struct fsb_errlist *errs = malloc(sizeof *errs);
	struct fsb_message *m = NULL;
	char *json = NULL, err[512];
	if (!errs)
		return;
	fsb_errlist_init(errs);
	if (fsb_submission_check((const char *)e->payload, e->len, kind, n->origin,
				 n->cfg->max_message_bytes, &m, NULL, errs) == 0) {
		size_t before = fsb_errlist_count(errs);
		if (fsb_submit_commit(n->store, n->signer, n->origin, &m, 1, NULL, errs, err,
				      sizeof err) == 0) {
			struct fsb_header h;
			fsb_message_header(m, &h);
			fsb_reply_json(h.message_id, NULL, &json);
			say(n, "INFO", "accepted %s from the local broker", h.message_id);
			n->outbox_dirty = 1;
			want_checkpoint(n);
		} else if (fsb_errlist_count(errs) == before) {
			fsb_errlist_add(errs, "", "%s", err);
		}
	}
	if (!json)
		fsb_reply_json(NULL, errs, &json);
	if (json)
		reply(n, e, json);
	free(json);
	fsb_message_free(m);
	free(errs);
}

/* ---- connections --------------------------------------------------------------------------- */

static void on_connection(struct node *n, struct event *e)
{
	struct conn *c = &n->c[e->conn];
	int64_t now = e->arrival_ms;
	switch (e->type) {
	case FSB_MQTT_CONNECTED:
		c->backoff_ms = 0;
		c->retry_at = 0;
		say(n, "INFO", "connected to the %s broker %s", c->name,
		    e->conn == CONN_EXCHANGE ? n->cfg->exchange_uri : n->cfg->local_uri);
		break;
	case FSB_MQTT_DISCONNECTED:
		say(n, "WARN", "lost the %s broker: %s; reconnecting", c->name, e->reason);
		break;
	case FSB_MQTT_CONNECT_FAILED:
		c->backoff_ms = c->backoff_ms ? (c->backoff_ms * 2 > 8000 ? 8000 : c->backoff_ms * 2) : 250;
		c->retry_at = now + c->backoff_ms;
		if (c->backoff_ms >= 2000)
			say(n, "WARN", "cannot reach the %s broker: %s; retrying in %d ms", c->name,
			    e->reason, c->backoff_ms);
		break;
	default:
		break;
	}
	for (int i = 0; i < 2; i++)
		n->c[i].connected = fsb_mqtt_is_connected(n->c[i].m);
	char note[160];
	snprintf(note, sizeof note, "{\"pid\":%ld,\"exchange\":%s,\"local\":%s,\"at\":%lld}",
		 (long)getpid(), n->c[CONN_EXCHANGE].connected ? "true" : "false",
		 n->c[CONN_LOCAL].connected ? "true" : "false", (long long)now);
	fsb_store_put_note(n->store, "connection", note);
}

/* What a new session calls for, whether its CONNECTED event came or not:
 * the connection generation says a session began. */
static void check_sessions(struct node *n)
{
	for (int i = 0; i < 2; i++) {
		struct conn *c = &n->c[i];
		c->connected = fsb_mqtt_is_connected(c->m);
		unsigned g = fsb_mqtt_generation(c->m);
		if (!c->connected || g == c->generation)
			continue;
		c->generation = g;
		if (i == CONN_LOCAL) {
			n->mirror_upto = n->mirror_acked;
			n->local_inflight = 0;
			n->mirror_dirty = 1;
		} else {
			char topic[FSB_TOPIC_MAX];
			fsb_topic_control(topic, n->origin, FSB_TOPIC_STATUS);
			publish(n, CONN_EXCHANGE, topic, "online", 6, 1, 0);
			/* Whatever was in flight may be lost: start the outbox over.
			 * Peers drop what they already hold. */
			n->published_upto = 0;
			n->inflight = 0;
			n->outbox_dirty = 1;
			publish_checkpoint(n);
		}
	}
}

static void handle(struct node *n, struct event *e)
{
	switch (e->type) {
	case FSB_MQTT_MESSAGE:
		if (e->conn == CONN_EXCHANGE)
			on_exchange_message(n, e);
		else
			on_local_message(n, e);
		break;
	case FSB_MQTT_PUBLISHED:
	case FSB_MQTT_PUBLISH_FAILED:
		if (e->conn == CONN_LOCAL && e->tag) {
			if (n->local_inflight)
				n->local_inflight--;
			if (e->type == FSB_MQTT_PUBLISHED && e->tag > n->mirror_acked)
				n->mirror_acked = e->tag;
			else if (e->type == FSB_MQTT_PUBLISH_FAILED && e->tag <= n->mirror_upto)
				n->mirror_upto = e->tag - 1;
			n->mirror_dirty = 1;
			break;
		}
		if (e->conn == CONN_EXCHANGE && e->tag && n->inflight) {
			n->inflight--;
			n->outbox_dirty = 1; /* room in the window again */
		}
		if (e->type == FSB_MQTT_PUBLISH_FAILED && e->tag && !(e->tag & RESEND_TAG) &&
		    e->tag <= n->published_upto) {
			/* Publish it again from there. */
			n->published_upto = e->tag - 1;
			n->outbox_dirty = 1;
		}
		break;
	default:
		on_connection(n, e);
		break;
	}
}

/* ---- set-up and the loop --------------------------------------------------------------------- */

static int setup(struct node *n, char *err, size_t errlen)
{
	const struct fsb_config *cfg = n->cfg;
	struct fsb_store_opts so = {.origin = cfg->origin};
	int rc = fsb_store_open(cfg->data_dir, &so, &n->store, err, errlen);
	if (rc)
		return rc;
	char lock[600];
	snprintf(lock, sizeof lock, "%s/node.lock", cfg->data_dir);
	n->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (n->lock_fd < 0 || flock(n->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "?";
		if (n->lock_fd >= 0) {
			ssize_t r = pread(n->lock_fd, pid, sizeof pid - 1, 0);
			pid[r > 0 ? r : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
		}
		snprintf(err, errlen, "another node runs on %s (pid %s)", cfg->data_dir, pid);
		return FSB_EINVAL;
	}
	char pid[32];
	int plen = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(n->lock_fd, 0) != 0 || pwrite(n->lock_fd, pid, (size_t)plen, 0) != plen)
		say(n, "WARN", "cannot write the pid into %s", lock);
	if ((rc = fsb_signer_open(cfg->key_path, cfg->cert_path, &n->signer, err, errlen)))
		return rc;
	struct fsb_trust_anchor anchors[16];
	for (size_t i = 0; i < cfg->n_ca && i < 16; i++)
		anchors[i] = (struct fsb_trust_anchor){cfg->ca_files[i], cfg->crl_files[i]};
	if ((rc = fsb_trust_open(anchors, cfg->n_ca < 16 ? cfg->n_ca : 16, &n->trust, err, errlen)))
		return rc;
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	n->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (n->wake_fd < 0 || n->watch_fd < 0 ||
	    inotify_add_watch(n->watch_fd, cfg->data_dir, IN_CLOSE_WRITE) < 0) {
		snprintf(err, errlen, "cannot set up event notification: %s", strerror(errno));
		return FSB_EIO;
	}
	load_heads(n);
	load_mirror(n);
	fsb_topic_local(n->submit_filter, cfg->local_root, "submit/+");
	fsb_topic_local(n->result_topic, cfg->local_root, "submit/result");
	char status[FSB_TOPIC_MAX], local_id[300];
	fsb_topic_control(status, cfg->origin, FSB_TOPIC_STATUS);
	struct fsb_mqtt_opts xo = {.uri = cfg->exchange_uri, .client_id = cfg->exchange_client_id,
				   .tls_ca = cfg->tls_ca, .tls_cert = cfg->tls_cert,
				   .tls_key = cfg->tls_key, .will_topic = status,
				   .will_payload = "offline"};
	snprintf(local_id, sizeof local_id, "%s-local", cfg->exchange_client_id);
	struct fsb_mqtt_opts lo = {.uri = cfg->local_uri, .client_id = local_id};
	n->c[CONN_EXCHANGE].name = "exchange";
	n->c[CONN_LOCAL].name = "local";
	ctxs[CONN_EXCHANGE] = (struct conn_ctx){n, CONN_EXCHANGE};
	ctxs[CONN_LOCAL] = (struct conn_ctx){n, CONN_LOCAL};
	if ((rc = fsb_mqtt_create(&xo, on_event, &ctxs[CONN_EXCHANGE], &n->c[CONN_EXCHANGE].m, err, errlen)) ||
	    (rc = fsb_mqtt_create(&lo, on_event, &ctxs[CONN_LOCAL], &n->c[CONN_LOCAL].m, err, errlen)))
		return rc;
	fsb_mqtt_subscribe(n->c[CONN_EXCHANGE].m, FSB_TOPIC_ALL);
	fsb_mqtt_subscribe(n->c[CONN_LOCAL].m, n->submit_filter);
	fsb_mqtt_connect(n->c[CONN_EXCHANGE].m);
	fsb_mqtt_connect(n->c[CONN_LOCAL].m);
	return 0;
}

static void teardown(struct node *n)
{
	if (n->c[CONN_EXCHANGE].m && n->c[CONN_EXCHANGE].connected) {
		char topic[FSB_TOPIC_MAX];
		fsb_topic_control(topic, n->origin, FSB_TOPIC_STATUS);
		publish(n, CONN_EXCHANGE, topic, "offline", 7, 1, 0);
	}
	fsb_mqtt_destroy(n->c[CONN_EXCHANGE].m, 2000);
	fsb_mqtt_destroy(n->c[CONN_LOCAL].m, 1000);
	for (struct event *e = n->qhead, *next; e; e = next) {
		next = e->next;
		event_free(e);
	}
	for (size_t i = 0; i < n->n_streams; i++)
		for (size_t j = 0; j < n->streams[i].n_wait; j++)
			pending_free(n->streams[i].wait[j]);
	for (size_t i = 0; i < n->n_peers; i++)
		free(n->peers[i].streams);
	if (n->store) {
		save_mirror(n, fsb_time_now_ms(), 1);
		fsb_store_put_note(n->store, "connection", "{\"stopped\":true}");
	}
	fsb_trust_close(n->trust);
	fsb_signer_close(n->signer);
	fsb_store_close(n->store);
	if (n->wake_fd > 0)
		close(n->wake_fd);
	if (n->watch_fd > 0)
		close(n->watch_fd);
	if (n->lock_fd > 0)
		close(n->lock_fd);
	pthread_mutex_destroy(&n->qlock);
}

int fsb_node_run(const struct fsb_config *cfg, volatile sig_atomic_t *stop, char *err,
		 size_t errlen)
{
	struct node *n = calloc(1, sizeof *n);
	if (!n)
		return FSB_ENOMEM;
	n->cfg = cfg;
	n->origin = cfg->origin;
	n->wake_fd = n->watch_fd = n->lock_fd = -1;
	pthread_mutex_init(&n->qlock, NULL);
	int rc = setup(n, err, errlen);
	if (rc) {
		teardown(n);
		free(n);
		return rc;
	}
	say(n, "INFO", "node %s running on %s (exchange %s, local %s)", n->origin, cfg->data_dir,
	    cfg->exchange_uri, cfg->local_uri);
	n->outbox_dirty = 1;
	while (!*stop) {
		struct pollfd pf[2] = {{n->wake_fd, POLLIN, 0}, {n->watch_fd, POLLIN, 0}};
		int timeout = n->n_resends ? 10 : TICK_MS;
		if (n->checkpoint_dirty)
			timeout = 20;
		poll(pf, 2, timeout);
		int64_t now = fsb_time_now_ms();
		uint64_t count;
		char buf[4096];
		if (pf[0].revents & POLLIN) {
			ssize_t r = read(n->wake_fd, &count, sizeof count);
			(void)r;
		}
		if (pf[1].revents & POLLIN) {
			/* The store touches its notify file after committing own
			 * messages (a `fsbridge submit` in another process). */
			while (read(n->watch_fd, buf, sizeof buf) > 0)
				;
			n->outbox_dirty = 1;
		}
		if (now - n->outbox_checked_at > OUTBOX_RECHECK_MS) {
			n->outbox_checked_at = now;
			n->outbox_dirty = 1;
		}
		pthread_mutex_lock(&n->qlock);
		struct event *list = n->qhead;
		n->qhead = n->qtail = NULL;
		n->q_bytes = 0;
		uint64_t dropped = n->q_dropped;
		n->q_dropped = 0;
		pthread_mutex_unlock(&n->qlock);
		if (dropped)
			say(n, "WARN", "inbound queue over %u MiB: dropped %llu exchange messages; "
			    "sync requests will fetch what is missing", INBOUND_MAX_BYTES >> 20,
			    (unsigned long long)dropped);
		for (struct event *e = list, *next; e; e = next) {
			next = e->next;
			handle(n, e);
			event_free(e);
		}
		check_sessions(n);
		flush(n);
		for (int i = 0; i < 2; i++)
			if (n->c[i].retry_at && now >= n->c[i].retry_at) {
				n->c[i].retry_at = 0;
				fsb_mqtt_connect(n->c[i].m);
			}
		if (n->outbox_dirty)
			publish_outbox(n);
		run_mirror(n);
		save_mirror(n, now, 0);
		if (n->c[CONN_EXCHANGE].connected) {
			check_gaps(n, now);
			run_resends(n);
			if ((n->checkpoint_dirty && now >= n->checkpoint_due) ||
			    now - n->checkpoint_sent_at > CHECKPOINT_REFRESH_MS)
				publish_checkpoint(n);
		}
	}
	say(n, "INFO", "stopping: %llu received, %llu appended, %llu duplicates, %llu rejected, %llu equivocations; "
	    "%llu signatures verified, %llu covered by hash links",
	    (unsigned long long)n->n_received, (unsigned long long)n->n_appended,
	    (unsigned long long)n->n_duplicates, (unsigned long long)n->n_rejected,
	    (unsigned long long)n->n_equivocations, (unsigned long long)n->n_verified,
	    (unsigned long long)n->n_amortized);
	teardown(n);
	free(n);
	return 0;
}
