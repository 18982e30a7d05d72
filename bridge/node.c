/* node.c - the bridge node: one thread owns the store and makes every
 * decision; Paho's threads only queue events for it.
 *
 * The loop waits on an eventfd (events from MQTT), an inotify watch (the
 * LMDB data directory, where a `fsbridge submit` in another process leaves
 * its notify file, and the directories of the trust files), and timers.
 * Each turn it handles the queued events, appends whatever verified
 * messages are now in order as one group commit, records the rejects of the
 * turn in one transaction, publishes the outbox, and runs what is due:
 * reconnecting, the debounced checkpoint, sync requests for gaps that did
 * not fill, and paced re-sends for other nodes.
 *
 * What arrives is hostile until verified (PROTOCOL.md, "Accepting a
 * message"). A stream message is first opened without its signature: the
 * framing, the header and the certificate's identity (a trusted CA's
 * signing certificate naming the header's origin, cached per certificate).
 * Only then may it wait, and only as the next of its stream; anything else
 * is verified (signature, and the certificate in force at arrival) before
 * it is kept. The sequencer (sequence.h) decides what waits and what can be
 * appended; the re-send scheduler (resend.h) decides what is re-sent to
 * whom.
 */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "format.h"
#include "resend.h"
#include "seal.h"
#include "sequence.h"
#include "sign.h"
#include "store.h"
#include "submit.h"
#include "topic.h"
#include "transport.h"

#define WINDOW 512              /* publications in flight, at most */
#define RESEND_TAG (1ULL << 63)  /* tags of re-sent messages (outbox tags are seqs) */
#define MIRROR_NOTE_MS 1000       /* how often the mirror's progress is saved */
#define GAP_WAIT_MS 400         /* how long a gap may last before asking */
#define SYNC_RETRY_MS 3000      /* how long to wait for an answer, at first */
#define SYNC_RETRY_MAX_MS 60000 /* ... and at most, while none comes */
#define SYNC_MAX 10000          /* seqs asked for in one request */
#define STALE_WAIT_MS 60000     /* a stale message waits this long to be vouched for */
#define CHECKPOINT_DEBOUNCE_MS 150
#define CHECKPOINT_REFRESH_MS 30000
#define RESEND_PER_TURN 256     /* re-sent messages per turn */
#define TICK_MS 200
#define OUTBOX_RECHECK_MS 2000  /* a safety net under the notify file */
#define TRUST_SETTLE_MS 200     /* a trust file changed: read it once writing is over */
#define FLUSH_MAX 4096          /* messages appended in one transaction, at most */
#define APPEND_RETRY_MS 250     /* after a failed append, the next try */
#define CONFLICTS_MAX 16        /* second messages for one seq, kept to show the store */
#define REPORTED_MAX 32         /* divergences and anomalies said once per peer */
#define SAY_WINDOW_MS 10000     /* reject lines: at most SAY_PER_WINDOW per window */
#define SAY_PER_WINDOW 20
#define OVERSIZE_KEEP 1024      /* bytes of an oversize envelope kept as evidence */
#define REJECTS_PENDING_MAX (1u << 20) /* rejects' bytes held before they are written */

enum { CONN_EXCHANGE, CONN_LOCAL };

struct event {
	struct event *next;
	int conn;
	enum fsb_mqtt_event_type type;
	char *topic;
	uint8_t *payload;
	size_t len;
	size_t oversize;      /* MESSAGE over the size cap: its real length (payload is its start) */
	char *response_topic;
	uint8_t *correlation;
	size_t correlation_len;
	uint64_t tag;
	char reason[200];
	int64_t arrival_ms;
};

/* A divergence or anomaly already said, not to be said again. */
struct reported {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;
};

struct peer {
	char origin[FSB_ORIGIN_MAX + 1];
	int online;            /* -1 unknown, 0 offline, 1 online */
	int has_checkpoint;
	int64_t checkpoint_at; /* when its latest checkpoint arrived */
	uint64_t covers_own;   /* seq of our stream its checkpoint covers */
	struct fsb_stream_state *streams; /* what its checkpoint claims */
	size_t n_streams;
	struct reported said[REPORTED_MAX];
	size_t n_said, next_said;
};

/* A stream message waiting in the sequencer (the item's data). Kept small:
 * the envelope as received and what the append needs; the decoded message
 * is not kept. */
struct pending {
	uint8_t *raw;
	size_t raw_len;
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;
	uint8_t payload_hash[FSB_HASH_LEN];
	uint8_t prev_hash[FSB_HASH_LEN];
	enum fsb_kind kind;
	char category[FSB_CATEGORY_MAX + 1];
	int64_t issued_at_ms, arrival_ms;
	int warnings;                  /* content rules broken */
	char warning[200];             /* the first, for the log */
	int stale_rc;                  /* FSB_EREVOKED or FSB_EEXPIRED when the certificate */
	char stale[240];               /* was not in force at arrival, and why */
	char topic[FSB_TOPIC_MAX];
	enum fsb_seq_trust trust;
};

struct conn {
	struct fsb_mqtt *m;
	int connected;       /* as Paho says, read every turn */
	unsigned generation; /* the connection whose start was handled */
	int64_t retry_at;    /* when to try connecting again; 0 = not waiting */
	int backoff_ms;
	const char *name;
};

/* Each connection's callbacks know their node and which connection. */
struct conn_ctx {
	struct node *n;
	int conn;
};

struct node {
	const struct fsb_config *cfg;
	const char *origin;
	struct fsb_store *store;
	struct fsb_signer *signer;
	struct fsb_trust *trust;
	struct fsb_seq *seq;
	struct fsb_resend *resend;
	struct conn c[2];
	struct conn_ctx ctx[2];
	pthread_mutex_t qlock;
	struct event *qhead, *qtail;
	size_t q_bytes;           /* exchange payload bytes queued (under qlock) */
	uint64_t q_dropped, q_dropped_bytes; /* dropped for it, not yet recorded (under qlock) */
	char q_dropped_topic[FSB_TOPIC_MAX];
	int wake_fd, watch_fd, lock_fd, data_wd;
	struct peer *peers;
	size_t n_peers, cap_peers;
	struct pending *conflicts[CONFLICTS_MAX];
	size_t n_conflicts;
	struct fsb_reject_in *rejects; /* recorded at the end of the turn, or once */
	size_t n_rejects, cap_rejects; /* REJECTS_PENDING_MAX bytes of them wait */
	size_t rejects_bytes;
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
	int64_t append_retry_at;  /* after a failed append, not before then */
	int64_t trust_due;        /* a trust file changed: reload then; 0 = not due */
	int64_t say_window_at;    /* reject lines said in this window, and left unsaid */
	unsigned said_in_window;
	uint64_t unsaid;
	uint64_t n_verified, n_amortized, n_refused_again;
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

/* Copies a string into cap bytes, cut if need be. */
static void copy(char *dst, size_t cap, const char *src)
{
	size_t len = strnlen(src, cap - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* ---- events from Paho's threads ---------------------------------------------------- */

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
		/* Over the size cap, only its start is kept, as evidence of what
		 * was refused: nobody gets to make the node copy 16 MiB. */
		size_t keep = ev->len;
		if (cc->conn == CONN_EXCHANGE && ev->len > n->cfg->max_message_bytes) {
			e->oversize = ev->len;
			keep = ev->len < OVERSIZE_KEEP ? ev->len : OVERSIZE_KEEP;
		}
		e->topic = strdup(ev->topic);
		e->payload = malloc(keep ? keep : 1);
		if (e->payload)
			memcpy(e->payload, ev->payload, keep);
		e->len = keep;
		if (ev->response_topic)
			e->response_topic = strdup(ev->response_topic);
		if (ev->correlation && (e->correlation = malloc(ev->correlation_len))) {
			memcpy(e->correlation, ev->correlation, ev->correlation_len);
			e->correlation_len = ev->correlation_len;
		}
		if (!e->topic || !e->payload) {
			event_free(e);
			return;
		}
	}
	pthread_mutex_lock(&n->qlock);
	if (e->type == FSB_MQTT_MESSAGE && e->conn == CONN_EXCHANGE) {
		/* Paho acknowledges a QoS 1 message as soon as this returns and
		 * holds its own lock meanwhile, so the callback can neither wait
		 * nor refuse: past the budget a message is dropped (and counted,
		 * and recorded as a reject), and sync fetches it again. */
		if (n->q_bytes + e->len > n->cfg->inbound_bytes) {
			if (!n->q_dropped)
				snprintf(n->q_dropped_topic, sizeof n->q_dropped_topic, "%s", e->topic);
			n->q_dropped++;
			n->q_dropped_bytes += ev->len;
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

/* ---- peers --------------------------------------------------------------------------- */

/* The peer of origin; created (while fewer than max_streams exist) only
 * when `create`, that is for a verified control message or a status. */
static struct peer *peer_of(struct node *n, const char *origin, int create)
{
	for (size_t i = 0; i < n->n_peers; i++)
		if (strcmp(n->peers[i].origin, origin) == 0)
			return &n->peers[i];
	if (!create || n->n_peers >= n->cfg->max_streams)
		return NULL;
	if (n->n_peers == n->cap_peers) {
		size_t cap = n->cap_peers ? n->cap_peers * 2 : 16;
		struct peer *more = realloc(n->peers, cap * sizeof *more);
		if (!more)
			return NULL;
		n->peers = more;
		n->cap_peers = cap;
	}
	struct peer *p = &n->peers[n->n_peers++];
	memset(p, 0, sizeof *p);
	snprintf(p->origin, sizeof p->origin, "%s", origin);
	p->online = -1;
	return p;
}

/* Whether (origin, seq) was said of this peer already; remembers it if
 * not (the newest REPORTED_MAX). */
static int said_before(struct peer *p, const char *origin, uint64_t seq)
{
	for (size_t i = 0; i < p->n_said; i++)
		if (p->said[i].seq == seq && strcmp(p->said[i].origin, origin) == 0)
			return 1;
	struct reported *r = &p->said[p->next_said];
	snprintf(r->origin, sizeof r->origin, "%s", origin);
	r->seq = seq;
	p->next_said = (p->next_said + 1) % REPORTED_MAX;
	if (p->n_said < REPORTED_MAX)
		p->n_said++;
	return 0;
}

static void pending_free(struct pending *p)
{
	if (p) {
		free(p->raw);
		free(p);
	}
}

/* ---- rejects ----------------------------------------------------------------------------- */

static void write_rejects(struct node *n);

/* Records an envelope refused for an integrity reason: in the store at the
 * end of the turn, or as soon as REJECTS_PENDING_MAX bytes of them wait
 * (one transaction for all of them), and on stderr, at most SAY_PER_WINDOW
 * lines in SAY_WINDOW_MS. raw is copied (at most FSB_REJECT_RAW_MAX bytes);
 * total is what arrived. */
static void reject(struct node *n, const char *topic, int code, const char *why,
		   const uint8_t *raw, size_t len, size_t total, int64_t when)
{
	n->n_rejected++;
	if (when - n->say_window_at >= SAY_WINDOW_MS) {
		if (n->unsaid)
			say(n, "WARN", "... and %llu more rejected in %d s (fsbridge status lists them)",
			    (unsigned long long)n->unsaid, SAY_WINDOW_MS / 1000);
		n->say_window_at = when;
		n->said_in_window = 0;
		n->unsaid = 0;
	}
	if (n->said_in_window++ < SAY_PER_WINDOW)
		say(n, "WARN", "rejected %zu bytes on %s: %s", total, topic, why);
	else
		n->unsaid++;
	if (n->n_rejects == n->cap_rejects) {
		size_t cap = n->cap_rejects ? n->cap_rejects * 2 : 16;
		struct fsb_reject_in *more = realloc(n->rejects, cap * sizeof *more);
		if (!more)
			return;
		n->rejects = more;
		n->cap_rejects = cap;
	}
	size_t keep = len < FSB_REJECT_RAW_MAX ? len : FSB_REJECT_RAW_MAX;
	uint8_t *copy = malloc(keep ? keep : 1);
	char *t = strdup(topic), *r = strdup(why);
	if (!copy || !t || !r) {
		free(copy);
		free(t);
		free(r);
		return;
	}
	if (keep)
		memcpy(copy, raw, keep);
	n->rejects[n->n_rejects++] = (struct fsb_reject_in){when, t, code, r, copy, keep, total};
	n->rejects_bytes += keep;
	if (n->rejects_bytes >= REJECTS_PENDING_MAX)
		write_rejects(n);
}

static void write_rejects(struct node *n)
{
	if (!n->n_rejects)
		return;
	if (fsb_store_rejects_put(n->store, n->rejects, n->n_rejects))
		say(n, "ERROR", "cannot record %zu rejects: %s", n->n_rejects, fsb_store_error(n->store));
	for (size_t i = 0; i < n->n_rejects; i++) {
		free((void *)n->rejects[i].topic);
		free((void *)n->rejects[i].reason);
		free((void *)n->rejects[i].raw);
	}
	n->n_rejects = 0;
	n->rejects_bytes = 0;
}

static void reject_pending(struct node *n, const struct pending *p, int code, const char *why)
{
	reject(n, p->topic, code, why, p->raw, p->raw_len, p->raw_len, p->arrival_ms);
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

/* fsb_seq_ops.verify: the signature, then whether the certificate was in
 * force at arrival. A failure is recorded here. */
static int verify_pending(void *ctx, const char *origin, struct fsb_seq_item *it)
{
	struct node *n = ctx;
	struct pending *p = it->data;
	char why[512];
	n->n_verified++;
	int rc = fsb_open_verify(n->trust, p->raw, p->raw_len, origin, p->issued_at_ms,
				 p->arrival_ms, n->cfg->max_clock_skew_ms, why, sizeof why);
	if (rc == FSB_EREVOKED || rc == FSB_EEXPIRED) {
		/* Authentic, but only a later message in force may vouch for it. */
		copy(p->stale, sizeof p->stale, why);
		p->stale_rc = rc;
		p->trust = FSB_SEQ_STALE;
		return FSB_SEQ_STALE;
	}
	if (rc) {
		reject_pending(n, p, rc, why);
		return rc;
	}
	p->trust = FSB_SEQ_IN_FORCE;
	return FSB_SEQ_IN_FORCE;
}

/* Refuses a stale message for good: a reject, and the sequencer keeps from
 * asking for it again until something new vouches for it. */
static void refuse_stale(struct node *n, struct pending *p, const char *because)
{
	char why[600];
	snprintf(why, sizeof why, "%s; %s", p->stale, because);
	reject_pending(n, p, p->stale_rc, why);
	fsb_seq_refused(n->seq, p->origin, p->seq, p->payload_hash);
}

/* Keeps a second message in force for one seq aside: once the first is
 * appended, the store keeps this one as equivocation evidence. A few at
 * most; past them it is let go. */
static void keep_conflict(struct node *n, struct pending *p)
{
	if (n->n_conflicts < CONFLICTS_MAX)
		n->conflicts[n->n_conflicts++] = p;
	else
		pending_free(p);
}

/* fsb_seq_ops.release: a waiting message the sequencer lets go. */
static void release_pending(void *ctx, const char *origin, struct fsb_seq_item *it,
			    enum fsb_seq_drop why)
{
	struct node *n = ctx;
	struct pending *p = it->data;
	(void)origin;
	p->trust = it->trust;
	if (why == FSB_SEQ_CONFLICT && p->trust == FSB_SEQ_IN_FORCE) {
		keep_conflict(n, p);
		return;
	}
	if (why == FSB_SEQ_UNVOUCHED)
		refuse_stale(n, p, "no later message of the stream in force links to it");
	else if (why == FSB_SEQ_CONFLICT && p->trust == FSB_SEQ_STALE)
		refuse_stale(n, p, "a message in force for the same seq came");
	pending_free(p);
}

/* Whether the envelope's payload is one the node already holds or keeps
 * waiting, byte for byte (a re-send, a republished outbox: no second check
 * needed), or refused before with nothing new to vouch for it. Reads the
 * header in place, believes nothing and changes nothing. */
static int already_seen(struct node *n, const struct event *e)
{
	struct fsb_envelope_view v;
	struct fsb_payload_peek p;
	if (fsb_envelope_view(e->payload, e->len, &v) || fsb_payload_peek(v.payload, v.payload_len, &p) ||
	    !p.seq || fsb_fmt_slug(p.origin))
		return 0;
	if (strcmp(p.origin, n->origin) == 0)
		return 1; /* our own stream, relayed back */
	uint8_t hash[FSB_HASH_LEN], held[FSB_HASH_LEN];
	fsb_sha256(v.payload, v.payload_len, hash);
	if (fsb_seq_was_refused(n->seq, p.origin, p.seq, hash)) {
		n->n_refused_again++;
		return 1;
	}
	if (fsb_seq_place(n->seq, p.origin, p.seq) == FSB_SEQ_HELD)
		return fsb_store_seq_hash(n->store, p.origin, p.seq, held) == 0 &&
		       memcmp(hash, held, FSB_HASH_LEN) == 0;
	return fsb_seq_waiting(n->seq, p.origin, p.seq, held) &&
	       memcmp(hash, held, FSB_HASH_LEN) == 0;
}

/* Opens an arriving stream message as far as its certificate's identity
 * (not its signature), into a new pending; NULL when refused (recorded). */
static struct pending *open_pending(struct node *n, const struct fsb_topic *t, struct event *e)
{
	struct fsb_open_opts o = {.max_bytes = n->cfg->max_message_bytes, .arrival_ms = e->arrival_ms,
				  .max_skew_ms = n->cfg->max_clock_skew_ms, .defer_signature = 1,
				  .topic_origin = t->type == FSB_TOPIC_STREAM ? t->origin : NULL};
	struct fsb_opened op;
	char why[512];
	int rc = fsb_open(n->trust, e->payload, e->len, &o, &op, why, sizeof why);
	if (rc) {
		reject(n, e->topic, rc, why, e->payload, e->len, e->len, e->arrival_ms);
		return NULL;
	}
	struct pending *p = calloc(1, sizeof *p);
	if (!p) {
		fsb_opened_clear(&op);
		return NULL;
	}
	struct fsb_header h;
	fsb_message_header(op.msg, &h);
	const char *cat = fsb_message_category(op.msg, p->category);
	p->kind = fsb_message_kind(op.msg);
	if (t->type == FSB_TOPIC_STREAM && (t->kind != p->kind || !cat || strcmp(cat, t->category) != 0)) {
		snprintf(why, sizeof why, "topic says %s/%s, the message is %s/%s", fsb_kind_name(t->kind),
			 t->category, fsb_kind_name(p->kind) ? fsb_kind_name(p->kind) : "?", cat ? cat : "?");
		reject(n, e->topic, FSB_EORIGIN, why, e->payload, e->len, e->len, e->arrival_ms);
		fsb_opened_clear(&op);
		free(p);
		return NULL;
	}
	snprintf(p->origin, sizeof p->origin, "%s", h.origin);
	p->seq = h.seq;
	if (h.prev_hash)
		memcpy(p->prev_hash, h.prev_hash, FSB_HASH_LEN);
	memcpy(p->payload_hash, op.payload_hash, FSB_HASH_LEN);
	p->issued_at_ms = op.issued_at_ms;
	p->arrival_ms = e->arrival_ms;
	if (op.warnings) {
		p->warnings = 1;
		char w[FSB_PATH_MAX + FSB_ERRMSG_MAX + 3];
		snprintf(w, sizeof w, "%s: %s", op.warnings->items[0].path, op.warnings->items[0].msg);
		copy(p->warning, sizeof p->warning, w);
	}
	fsb_opened_clear(&op);
	snprintf(p->topic, sizeof p->topic, "%s", e->topic);
	p->raw = e->payload; /* the event's buffer now belongs to the pending */
	p->raw_len = e->len;
	e->payload = NULL;
	return p;
}

static struct fsb_seq_item item_of(struct pending *p)
{
	struct fsb_seq_item it = {.seq = p->seq, .bytes = p->raw_len + sizeof *p,
				  .at_ms = p->arrival_ms, .trust = p->trust, .data = p};
	memcpy(it.payload_hash, p->payload_hash, FSB_HASH_LEN);
	memcpy(it.prev_hash, p->prev_hash, FSB_HASH_LEN);
	return it;
}

/* Offers a pending to the sequencer; frees it when not kept, but keeps
 * aside a message in force that lost to another in force for its seq. */
static void offer(struct node *n, struct pending *p)
{
	struct fsb_seq_item it = item_of(p);
	uint8_t other[FSB_HASH_LEN];
	enum fsb_seq_admitted r = fsb_seq_admit(n->seq, p->origin, &it);
	if (r == FSB_SEQ_KEPT)
		return;
	if (r == FSB_SEQ_NOT_KEPT && p->trust == FSB_SEQ_IN_FORCE &&
	    fsb_seq_waiting(n->seq, p->origin, p->seq, other) &&
	    memcmp(other, p->payload_hash, FSB_HASH_LEN) != 0)
		keep_conflict(n, p);
	else
		pending_free(p);
}

static void flush(struct node *n);

static void on_stream_message(struct node *n, const struct fsb_topic *t, struct event *e)
{
	n->n_received++;
	if (t->type == FSB_TOPIC_RESEND && strcmp(t->requester, n->origin) != 0)
		return; /* a re-send for another node (a broker that ignored our filters) */
	if (already_seen(n, e)) {
		n->n_duplicates++;
		return;
	}
	struct pending *p = open_pending(n, t, e);
	if (!p)
		return;
	if (strcmp(p->origin, n->origin) == 0) {
		pending_free(p);
		return;
	}
	enum fsb_seq_place place = fsb_seq_place(n->seq, p->origin, p->seq);
	if (place == FSB_SEQ_NEXT) {
		/* May wait unchecked: the run it joins is verified as one. */
		p->trust = FSB_SEQ_UNCHECKED;
	} else {
		/* Out of order, or another payload for a seq held: believed only
		 * once verified on its own; and not worth verifying when it
		 * could not be kept (sync brings it again). */
		struct fsb_seq_item it = item_of(p);
		if (place == FSB_SEQ_AHEAD && !fsb_seq_room(n->seq, p->origin, p->seq, it.bytes)) {
			pending_free(p);
			return;
		}
		int trust = verify_pending(n, p->origin, &it);
		if (trust < 0) {
			pending_free(p);
			return;
		}
		if (trust == FSB_SEQ_STALE) {
			refuse_stale(n, p, place == FSB_SEQ_HELD ? "another payload is held for this seq"
								: "and it is not the next of its stream");
			pending_free(p);
			return;
		}
		if (place == FSB_SEQ_HELD) {
			/* In force, and not what the log holds. */
			keep_conflict(n, p);
			return;
		}
	}
	offer(n, p);
	if (fsb_seq_pressed(n->seq))
		flush(n);
}

static void fill_entry(struct fsb_entry_in *x, const struct pending *p)
{
	memset(x, 0, sizeof *x);
	x->envelope = p->raw;
	x->envelope_len = p->raw_len;
	x->origin = p->origin;
	x->seq = p->seq;
	memcpy(x->payload_hash, p->payload_hash, FSB_HASH_LEN);
	memcpy(x->prev_hash, p->prev_hash, FSB_HASH_LEN);
	x->kind = p->kind;
	x->category = p->category;
	x->issued_at_ms = p->issued_at_ms;
	x->arrival_ms = p->arrival_ms;
	x->direction = FSB_DIR_RECEIVED;
	x->status = p->warnings ? FSB_STATUS_WARNINGS : FSB_STATUS_ACCEPTED;
	struct fsb_envelope_view v;
	if (fsb_envelope_view(p->raw, p->raw_len, &v) == 0) {
		x->cert = v.signer_cert;
		x->cert_len = v.signer_cert_len;
	}
}

/* Appends, in one transaction, every run the sequencer can give (verified,
 * or vouched for by the hash links), and the second messages for a seq
 * that wait to be shown to the store as equivocation evidence. */
static void flush(struct node *n)
{
	if (n->append_retry_at && fsb_time_now_ms() < n->append_retry_at)
		return; /* the store failed a moment ago (a full disk): not on every event */
	struct fsb_seq_stats sst;
	fsb_seq_stats(n->seq, &sst);
	size_t cap = sst.waiting + n->n_conflicts;
	if (!cap)
		return;
	if (cap > FLUSH_MAX)
		cap = FLUSH_MAX;
	struct fsb_seq_item *items = calloc(cap, sizeof *items);
	struct fsb_entry_in *in = calloc(cap, sizeof *in);
	enum fsb_append_result *res = calloc(cap, sizeof *res);
	uint64_t *idx = calloc(cap, sizeof *idx);
	size_t k = 0, from_seq;
	if (!items || !in || !res || !idx)
		goto out;
	const char *origin;
	for (size_t i = 0; k < cap && (origin = fsb_seq_origin(n->seq, i)); i++)
		k += fsb_seq_take(n->seq, origin, items + k, cap - k);
	from_seq = k;
	size_t shown = 0;
	while (shown < n->n_conflicts && k < cap)
		items[k++] = item_of(n->conflicts[shown++]);
	n->n_conflicts -= shown; /* those that did not fit wait for the next append */
	memmove(n->conflicts, n->conflicts + shown, n->n_conflicts * sizeof n->conflicts[0]);
	if (!k)
		goto out;
	for (size_t j = 0; j < k; j++)
		fill_entry(&in[j], items[j].data);
	int rc = fsb_store_append(n->store, in, k, res, idx);
	if (rc) {
		/* Nothing was stored; the messages wait and are tried again (a
		 * full disk may get space back). Said once in a while, not on
		 * every turn. */
		int64_t now = fsb_time_now_ms();
		n->append_retry_at = now + APPEND_RETRY_MS;
		if (now - n->append_error_said_at > 5000) {
			n->append_error_said_at = now;
			say(n, "ERROR", "cannot append %zu received messages: %s", k,
			    fsb_store_error(n->store));
		}
		for (size_t j = 0; j < k; j++)
			res[j] = FSB_GAP;
	} else {
		n->append_retry_at = 0;
	}
	char why[300];
	for (size_t j = 0; j < k; j++) {
		struct pending *p = items[j].data;
		p->trust = items[j].trust;
		switch (res[j]) {
		case FSB_APPENDED:
			n->n_appended++;
			if (p->trust == FSB_SEQ_VOUCHED)
				n->n_amortized++;
			fsb_seq_appended(n->seq, p->origin, p->seq, p->payload_hash);
			if (p->warnings)
				say(n, "WARN", "%s:%llu stored with content warnings: %s", p->origin,
				    (unsigned long long)p->seq, p->warning);
			n->mirror_dirty = 1;
			want_checkpoint(n);
			break;
		case FSB_DUPLICATE:
			n->n_duplicates++;
			break;
		case FSB_EQUIVOCATION:
			n->n_equivocations++;
			say(n, "ALARM", "equivocation: %s signed two different messages for seq %llu; the second is kept as evidence",
			    p->origin, (unsigned long long)p->seq);
			break;
		case FSB_BROKEN_LINK:
			reject_pending(n, p, FSB_ESIGNATURE,
				       "prev_hash does not link to the payload held for seq - 1");
			fsb_seq_refused(n->seq, p->origin, p->seq, p->payload_hash);
			break;
		case FSB_BACKWARDS:
			snprintf(why, sizeof why, "issuedAt goes back before the one of %s:%llu",
				 p->origin, (unsigned long long)p->seq - 1);
			reject_pending(n, p, FSB_EINVALID, why);
			fsb_seq_refused(n->seq, p->origin, p->seq, p->payload_hash);
			break;
		case FSB_GAP:
			/* Not stored (or the store failed): it waits again; a second
			 * message for a seq whose first is not appended yet, too. */
			if (j < from_seq)
				offer(n, p);
			else
				keep_conflict(n, p);
			continue;
		}
		pending_free(p);
	}
out:
	free(items);
	free(in);
	free(res);
	free(idx);
}

/* ---- the inbox mirror -------------------------------------------------------------------- */

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

/* Who should answer a request for origin's [from, to]: the origin, or,
 * while it is away, a node whose checkpoint shows it holds the range (its
 * claim is a hint of who holds what, never of what exists; messages are
 * signed, so relaying is safe). */
static const char *responder_for(struct node *n, const char *origin, uint64_t from)
{
	struct peer *op = peer_of(n, origin, 0);
	if (!op || op->online != 0)
		return origin;
	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = &n->peers[i];
		if (p->online == 0 || strcmp(p->origin, origin) == 0)
			continue;
		for (size_t j = 0; j < p->n_streams; j++)
			if (strcmp(p->streams[j].origin, origin) == 0 && p->streams[j].seq >= from)
				return p->origin;
	}
	return origin;
}

static int ask(struct node *n, const struct fsb_seq_ask *a, int64_t now)
{
	const char *responder = responder_for(n, a->origin, a->from);
	struct fsb_control c = {.type = FSB_CONTROL_SYNC, .from_seq = a->from, .to_seq = a->to};
	snprintf(c.origin, sizeof c.origin, "%s", n->origin);
	fsb_time_format(now, c.issued_at);
	copy(c.sync_origin, sizeof c.sync_origin, a->origin);
	copy(c.responder, sizeof c.responder, responder);
	uint8_t *env;
	size_t len;
	char topic[FSB_TOPIC_MAX];
	if (fsb_seal_control(n->signer, &c, &env, &len))
		return FSB_ENOMEM;
	fsb_topic_control(topic, n->origin, FSB_TOPIC_SYNC);
	int rc = publish(n, CONN_EXCHANGE, topic, env, len, 0, 0);
	if (rc == 0)
		say(n, "INFO", "asked %s for %s:%llu..%llu", responder, a->origin,
		    (unsigned long long)a->from, (unsigned long long)a->to);
	free(env);
	return rc;
}

/* Asks for what is missing where the sequencer says a gap has stalled. */
static void check_gaps(struct node *n, int64_t now)
{
	struct fsb_seq_ask asks[16];
	size_t k = fsb_seq_due(n->seq, now, asks, 16);
	for (size_t i = 0; i < k; i++)
		if (ask(n, &asks[i], now) == 0)
			fsb_seq_asked(n->seq, asks[i].origin, now);
}

/* The seq of origin's stream that peer's last checkpoint says it holds. */
static uint64_t claimed(const struct peer *p, const char *origin)
{
	for (size_t i = 0; p && i < p->n_streams; i++)
		if (strcmp(p->streams[i].origin, origin) == 0)
			return p->streams[i].seq;
	return 0;
}

/* A verified sync request: clamped to what this node holds and what the
 * requester's own checkpoint says it lacks, merged with what is under way,
 * and re-sent under the requester's budget (resend.h). */
static void on_sync_request(struct node *n, const struct fsb_control *c, int64_t now)
{
	if (strcmp(c->responder, n->origin) != 0)
		return;
	uint64_t held = 0, from, to;
	uint8_t hash[FSB_HASH_LEN];
	if (strcmp(c->sync_origin, n->origin) == 0)
		fsb_store_head(n->store, n->origin, &held, hash, NULL);
	else
		held = fsb_seq_held(n->seq, c->sync_origin, NULL);
	const struct peer *rp = peer_of(n, c->origin, 0);
	uint64_t have = claimed(rp, c->sync_origin);
	int64_t have_at = rp && rp->has_checkpoint ? rp->checkpoint_at : INT64_MIN;
	switch (fsb_resend_request(n->resend, c->origin, c->sync_origin, c->from_seq, c->to_seq, held,
				   have, have_at, now, &from, &to)) {
	case FSB_RESEND_SCHEDULED:
		say(n, "INFO", "re-sending %s:%llu..%llu to %s", c->sync_origin,
		    (unsigned long long)from, (unsigned long long)to, c->origin);
		break;
	case FSB_RESEND_BUSY:
		say(n, "WARN", "too many re-sends under way; %s will ask again for %s", c->origin,
		    c->sync_origin);
		break;
	case FSB_RESEND_MERGED:
	case FSB_RESEND_NOTHING:
		break;
	}
}

/* Re-sends stored envelopes byte for byte to their requesters, within the
 * window shared with the outbox, RESEND_PER_TURN at most. */
static void run_resends(struct node *n, int64_t now)
{
	static uint64_t counter;
	struct fsb_resend_next nx;
	for (int budget = RESEND_PER_TURN; budget > 0 && room(n) && fsb_resend_next(n->resend, now, &nx);
	     budget--) {
		uint64_t index;
		struct fsb_entry e;
		char topic[FSB_TOPIC_MAX];
		if (fsb_store_find_seq(n->store, nx.origin, nx.seq, &index) ||
		    fsb_store_get(n->store, index, &e)) {
			fsb_resend_missing(n->resend, &nx); /* we hold no more of it */
			continue;
		}
		fsb_topic_resend(topic, n->origin, nx.requester);
		int rc = publish(n, CONN_EXCHANGE, topic, e.envelope, e.envelope_len, 0,
				 RESEND_TAG | ++counter);
		size_t bytes = e.envelope_len;
		fsb_entry_clear(&e);
		if (rc)
			return; /* disconnected: go on when connected again */
		n->inflight++;
		fsb_resend_sent(n->resend, &nx, bytes, now);
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

/* Compares a peer's claim to hold origin:seq with hash against what this
 * node holds (its head is held and head_hash, so that the usual claim, the
 * head itself, costs no read); says DIVERGED once when the payloads
 * differ. Returns 1 when they differ. */
static int diverges(struct node *n, struct peer *p, const struct fsb_stream_state *st,
		    uint64_t held, const uint8_t head_hash[FSB_HASH_LEN])
{
	uint8_t mine[FSB_HASH_LEN];
	if (st->seq == 0)
		return 0;
	if (st->seq == held)
		memcpy(mine, head_hash, FSB_HASH_LEN);
	else if (fsb_store_seq_hash(n->store, st->origin, st->seq, mine) != 0)
		return 0;
	if (memcmp(mine, st->payload_hash, FSB_HASH_LEN) == 0)
		return 0;
	if (!said_before(p, st->origin, st->seq)) {
		char a[17], b[17];
		fsb_fmt_hex(st->payload_hash, 8, a);
		fsb_fmt_hex(mine, 8, b);
		say(n, "ALARM", "DIVERGED: %s holds %s:%llu with payload hash %s…, this node holds %s…",
		    p->origin, st->origin, (unsigned long long)st->seq, a, b);
	}
	return 1;
}

/* A verified checkpoint of peer p. Its claims about its own stream say
 * what exists (gaps below them are worth asking for); about ours, what it
 * holds (the outbox retires on it); about a third origin's, only who holds
 * what: a claim beyond what that origin itself has signed is an anomaly,
 * said once and not acted on. Where it holds a seq this node holds too,
 * the payload hashes must agree. */
static void on_checkpoint(struct node *n, struct fsb_control *c, struct event *e)
{
	if (c->n_streams > n->cfg->max_streams) {
		char why[200];
		snprintf(why, sizeof why, "checkpoint lists %zu streams, more than the %zu this node keeps",
			 c->n_streams, n->cfg->max_streams);
		reject(n, e->topic, FSB_ETOOBIG, why, e->payload, e->len, e->len, e->arrival_ms);
		return;
	}
	struct peer *p = peer_of(n, c->origin, 1);
	if (!p)
		return;
	fsb_store_put_checkpoint(n->store, c->origin, e->arrival_ms, e->payload, e->len);
	free(p->streams);
	p->streams = c->streams;
	p->n_streams = c->n_streams;
	c->streams = NULL;
	p->has_checkpoint = 1;
	p->checkpoint_at = e->arrival_ms;
	p->covers_own = 0;
	uint64_t own = 0;
	uint8_t own_hash[FSB_HASH_LEN], head_hash[FSB_HASH_LEN];
	fsb_store_head(n->store, n->origin, &own, own_hash, NULL);
	for (size_t i = 0; i < p->n_streams; i++) {
		struct fsb_stream_state *st = &p->streams[i];
		int mine = strcmp(st->origin, n->origin) == 0, its = strcmp(st->origin, p->origin) == 0;
		uint64_t held = mine ? own : fsb_seq_held(n->seq, st->origin, head_hash);
		if (st->seq <= held) {
			if (!diverges(n, p, st, held, mine ? own_hash : head_hash) && mine)
				p->covers_own = st->seq;
			continue;
		}
		if (its) {
			fsb_seq_known(n->seq, st->origin, st->seq);
			continue;
		}
		uint64_t signed_upto = mine ? own : fsb_seq_known_seq(n->seq, st->origin);
		if (st->seq > signed_upto && !said_before(p, st->origin, 0))
			say(n, "WARN", "ANOMALY: %s claims to hold %s:%llu, beyond what %s has signed (%llu); not acted on",
			    p->origin, st->origin, (unsigned long long)st->seq,
			    mine ? "this node" : st->origin, (unsigned long long)signed_upto);
	}
	retire_outbox(n);
}

/* ---- trust: CRLs from the exchange, trust files read again ------------------------------- */

/* Offers a CRL to the trust store; when adopted, keeps it in the store so
 * that a restart starts from it. Returns what fsb_trust_offer_crl() did. */
static int adopt_crl(struct node *n, const uint8_t *crl, size_t len, const char *from, char *why,
		     size_t whylen)
{
	struct fsb_crl_info info;
	int rc = fsb_trust_offer_crl(n->trust, crl, len, &info, why, whylen);
	uint8_t *der;
	size_t der_len;
	if (rc == 1 && fsb_crl_der(crl, len, &der, &der_len) == 0) {
		if (fsb_store_put_crl(n->store, info.issuer, der, der_len))
			say(n, "ERROR", "cannot keep the CRL: %s", fsb_store_error(n->store));
		free(der);
	}
	if (rc == 1) {
		say(n, "INFO", "adopted CRL number %llu of CA \"%s\" (%zu revoked) from %s",
		    (unsigned long long)info.number, info.issuer, info.revoked, from);
	}
	return rc;
}

/* A CRL handed on over the exchange: authentic when a trusted CA signed it,
 * adopted when newer than the one in force. */
static void on_crl(struct node *n, const struct fsb_topic *t, struct event *e)
{
	if (e->len == 0)
		return; /* a cleared retained message */
	char why[300], from[80];
	snprintf(from, sizeof from, "the exchange (%s)", t->origin);
	int rc = adopt_crl(n, e->payload, e->len, from, why, sizeof why);
	if (rc < 0)
		reject(n, e->topic, rc, why, e->payload, e->len, e->len, e->arrival_ms);
}

/* The CRLs this node adopted before, offered again (after start-up, or to
 * a trust store just read from files that may be older). */
static void offer_kept_crls(struct node *n, struct fsb_trust *from)
{
	for (size_t i = 0; from && i < fsb_trust_n_anchors(from); i++) {
		size_t len;
		struct fsb_crl_info info;
		const uint8_t *crl = fsb_trust_crl(from, i, &len, &info);
		char why[300];
		if (crl && fsb_trust_offer_crl(n->trust, crl, len, NULL, why, sizeof why) == 1)
			say(n, "INFO", "CRL number %llu of CA \"%s\" stays in force: the file's is older",
			    (unsigned long long)info.number, info.issuer);
	}
}

/* The trust files changed (or SIGHUP): read them again, as `fsbridge check`
 * would. A file that does not make a valid trust store changes nothing (an
 * error line says why); a CRL older than the one in force does not replace
 * it. */
static void reload_trust(struct node *n)
{
	struct fsb_trust *fresh = NULL, *old = n->trust;
	char err[512];
	if (fsb_trust_open_files(n->cfg->ca_files, n->cfg->crl_files, n->cfg->n_ca, &fresh, err, sizeof err)) {
		say(n, "ERROR", "trust files changed but cannot be used: %s; the trust in force stays", err);
		return;
	}
	n->trust = fresh;
	offer_kept_crls(n, old);
	fsb_trust_close(old);
	for (size_t i = 0; i < fsb_trust_n_anchors(n->trust); i++) {
		size_t len;
		struct fsb_crl_info info;
		if (fsb_trust_crl(n->trust, i, &len, &info))
			say(n, "INFO", "trust read again: CA \"%s\", CRL number %llu, %zu revoked", info.issuer,
			    (unsigned long long)info.number, info.revoked);
	}
	if (fsb_trust_check_signer(n->trust, n->signer, n->origin, fsb_time_now_ms(), err, sizeof err))
		say(n, "ALARM", "this node's own signing certificate is no longer accepted: %s", err);
}

/* Watches the directories of the trust files (editors and tools replace a
 * file by renaming a new one over it). */
static void watch_trust(struct node *n)
{
	const struct fsb_config *cfg = n->cfg;
	for (size_t i = 0; i < cfg->n_ca + cfg->n_crl; i++) {
		const char *f = i < cfg->n_ca ? cfg->ca_files[i] : cfg->crl_files[i - cfg->n_ca];
		if (!f)
			continue;
		char buf[600];
		snprintf(buf, sizeof buf, "%s", f);
		const char *dir = dirname(buf);
		if (inotify_add_watch(n->watch_fd, dir,
				      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0)
			say(n, "WARN", "cannot watch %s for changes to %s: %s; SIGHUP still reads it again",
			    dir, f, strerror(errno));
	}
}

/* Whether an inotify event names one of the trust files. */
static int is_trust_file(const struct node *n, const char *name)
{
	const struct fsb_config *cfg = n->cfg;
	for (size_t i = 0; i < cfg->n_ca + cfg->n_crl; i++) {
		const char *f = i < cfg->n_ca ? cfg->ca_files[i] : cfg->crl_files[i - cfg->n_ca];
		const char *base = f ? strrchr(f, '/') : NULL;
		if (base && strcmp(base + 1, name) == 0)
			return 1;
	}
	return 0;
}

/* Reads what inotify says: the data directory's notify file (an outbox to
 * publish), or a trust file (read again once it settles). */
static void read_watch(struct node *n, int64_t now)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;
	while ((len = read(n->watch_fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->wd == n->data_wd)
				n->outbox_dirty = 1;
			else if (ev->len && is_trust_file(n, ev->name))
				n->trust_due = now + TRUST_SETTLE_MS;
			p += sizeof *ev + ev->len;
		}
	}
}

/* ---- the exchange ---------------------------------------------------------------------------- */

static void on_exchange_message(struct node *n, struct event *e)
{
	struct fsb_topic t;
	if (fsb_topic_parse(e->topic, &t) != 0)
		return; /* not one of ours */
	if (e->oversize) {
		char why[200];
		snprintf(why, sizeof why, "envelope of %zu bytes exceeds the cap of %zu bytes",
			 e->oversize, n->cfg->max_message_bytes);
		reject(n, e->topic, FSB_ETOOBIG, why, e->payload, e->len, e->oversize, e->arrival_ms);
		return;
	}
	if (t.type == FSB_TOPIC_CRL) {
		/* Authentic by its CA's signature, whoever handed it on: this
		 * node too (fsbridge trust publish-crl). */
		on_crl(n, &t, e);
		return;
	}
	if (strcmp(t.origin, n->origin) == 0)
		return; /* our own publications, echoed by the broker */
	struct peer *p;
	switch (t.type) {
	case FSB_TOPIC_STATUS:
		if ((p = peer_of(n, t.origin, 1)))
			p->online = e->len == 6 && memcmp(e->payload, "online", 6) == 0;
		return;
	case FSB_TOPIC_CRL: /* taken above */
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
		if (rc)
			reject(n, e->topic, rc, why, e->payload, e->len, e->len, e->arrival_ms);
		else if (c.type == FSB_CONTROL_CHECKPOINT)
			on_checkpoint(n, &c, e);
		else
			on_sync_request(n, &c, e->arrival_ms);
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

/* Loads the streams the store holds into the sequencer, and the CRLs this
 * node adopted before into the trust store. */
static int load_state(struct node *n, char *err, size_t errlen)
{
	struct fsb_head *h;
	size_t count;
	int rc = fsb_store_heads(n->store, &h, &count);
	if (rc) {
		snprintf(err, errlen, "%s", fsb_store_error(n->store));
		return rc;
	}
	for (size_t i = 0; i < count && rc == 0; i++)
		if (strcmp(h[i].origin, n->origin) != 0 &&
		    (rc = fsb_seq_load(n->seq, h[i].origin, h[i].seq, h[i].payload_hash)))
			snprintf(err, errlen, "the log holds %zu streams, more than [limits] max_streams (%zu)",
				 count, n->cfg->max_streams);
	free(h);
	if (rc)
		return FSB_ECONFIG;
	uint8_t **crls;
	size_t *lens, n_crls;
	if (fsb_store_crls(n->store, &crls, &lens, &n_crls) == 0) {
		for (size_t i = 0; i < n_crls; i++) {
			struct fsb_crl_info info;
			char why[300];
			if (fsb_trust_offer_crl(n->trust, crls[i], lens[i], &info, why, sizeof why) == 1)
				say(n, "INFO", "CRL number %llu of CA \"%s\", adopted earlier, stays in force",
				    (unsigned long long)info.number, info.issuer);
			free(crls[i]);
		}
		free(crls);
		free(lens);
	}
	return 0;
}

static int setup(struct node *n, char *err, size_t errlen)
{
	const struct fsb_config *cfg = n->cfg;
	struct fsb_store_opts so = {.origin = cfg->origin, .reject_bytes = cfg->reject_bytes};
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
	if ((rc = fsb_signer_open(cfg->key_path, cfg->cert_path, &n->signer, err, errlen)) ||
	    (rc = fsb_trust_open_files(cfg->ca_files, cfg->crl_files, cfg->n_ca, &n->trust, err, errlen)))
		return rc;
	char why[400];
	if ((rc = fsb_trust_check_signer(n->trust, n->signer, n->origin, fsb_time_now_ms(), why,
					 sizeof why))) {
		snprintf(err, errlen, "%s: [signing] cert: %s", cfg->path, why);
		return rc;
	}
	struct fsb_seq_limits sl = {.max_bytes = cfg->reorder_bytes,
				    .max_stream_bytes = cfg->reorder_stream_bytes,
				    .max_streams = cfg->max_streams, .gap_wait_ms = GAP_WAIT_MS,
				    .retry_ms = SYNC_RETRY_MS, .retry_max_ms = SYNC_RETRY_MAX_MS,
				    .max_ask = SYNC_MAX, .stale_wait_ms = STALE_WAIT_MS};
	struct fsb_seq_ops ops = {verify_pending, release_pending, n};
	struct fsb_resend_limits rl = {.msgs_per_sec = (double)cfg->resend_per_second,
				       .bytes_per_sec = (double)cfg->resend_bytes_per_second,
				       .max_jobs = cfg->resend_jobs, .memory_ms = cfg->resend_memory_ms};
	if ((rc = fsb_seq_open(&sl, &ops, &n->seq)) || (rc = fsb_resend_open(&rl, &n->resend))) {
		snprintf(err, errlen, "cannot set up the sequencer: %s", fsb_strerror(rc));
		return rc;
	}
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	n->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (n->wake_fd < 0 || n->watch_fd < 0 ||
	    (n->data_wd = inotify_add_watch(n->watch_fd, cfg->data_dir, IN_CLOSE_WRITE)) < 0) {
		snprintf(err, errlen, "cannot set up event notification: %s", strerror(errno));
		return FSB_EIO;
	}
	watch_trust(n);
	if ((rc = load_state(n, err, errlen)))
		return rc;
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
	n->ctx[CONN_EXCHANGE] = (struct conn_ctx){n, CONN_EXCHANGE};
	n->ctx[CONN_LOCAL] = (struct conn_ctx){n, CONN_LOCAL};
	if ((rc = fsb_mqtt_create(&xo, on_event, &n->ctx[CONN_EXCHANGE], &n->c[CONN_EXCHANGE].m, err, errlen)) ||
	    (rc = fsb_mqtt_create(&lo, on_event, &n->ctx[CONN_LOCAL], &n->c[CONN_LOCAL].m, err, errlen)))
		return rc;
	/* What is for this node only: every stream, control and CRL topic, and
	 * the re-sends addressed to it. The whole tree, which a node of an
	 * earlier version subscribed to, is dropped from a persistent session. */
	char filters[FSB_TOPIC_FILTERS_MAX][FSB_TOPIC_MAX];
	size_t nf = fsb_topic_filters(filters, FSB_TOPIC_FILTERS_MAX, n->origin);
	rc = fsb_mqtt_forget(n->c[CONN_EXCHANGE].m, FSB_TOPIC_ALL);
	for (size_t i = 0; rc == 0 && i < nf; i++)
		rc = fsb_mqtt_subscribe(n->c[CONN_EXCHANGE].m, filters[i]);
	if (rc == 0)
		rc = fsb_mqtt_subscribe(n->c[CONN_LOCAL].m, n->submit_filter);
	if (rc) {
		snprintf(err, errlen, "cannot keep the broker subscriptions: %s", fsb_strerror(rc));
		return rc;
	}
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
	fsb_seq_close(n->seq); /* its messages come back through release_pending */
	for (size_t i = 0; i < n->n_conflicts; i++)
		pending_free(n->conflicts[i]);
	fsb_resend_close(n->resend);
	for (size_t i = 0; i < n->n_peers; i++)
		free(n->peers[i].streams);
	free(n->peers);
	if (n->store) {
		write_rejects(n);
		save_mirror(n, fsb_time_now_ms(), 1);
		fsb_store_put_note(n->store, "connection", "{\"stopped\":true}");
	}
	free(n->rejects);
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

/* Takes the events queued by Paho's threads, and records what the queue
 * had to drop. */
static struct event *take_events(struct node *n)
{
	pthread_mutex_lock(&n->qlock);
	struct event *list = n->qhead;
	n->qhead = n->qtail = NULL;
	n->q_bytes = 0;
	uint64_t dropped = n->q_dropped, bytes = n->q_dropped_bytes;
	char topic[FSB_TOPIC_MAX];
	snprintf(topic, sizeof topic, "%s", n->q_dropped_topic);
	n->q_dropped = n->q_dropped_bytes = 0;
	pthread_mutex_unlock(&n->qlock);
	if (dropped) {
		char why[300];
		snprintf(why, sizeof why,
			 "inbound queue over %zu bytes: dropped %llu exchange messages (%llu bytes), the first on this topic; sync requests fetch what was missing",
			 n->cfg->inbound_bytes, (unsigned long long)dropped, (unsigned long long)bytes);
		reject(n, topic, FSB_EOVERLOAD, why, NULL, 0, bytes, fsb_time_now_ms());
	}
	return list;
}

int fsb_node_run(const struct fsb_config *cfg, struct fsb_node_signals *sig, char *err,
		 size_t errlen)
{
	struct node *n = calloc(1, sizeof *n);
	if (!n)
		return FSB_ENOMEM;
	n->cfg = cfg;
	n->origin = cfg->origin;
	n->wake_fd = n->watch_fd = n->lock_fd = n->data_wd = -1;
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
	while (!sig->stop) {
		struct pollfd pf[2] = {{n->wake_fd, POLLIN, 0}, {n->watch_fd, POLLIN, 0}};
		struct fsb_resend_stats rs;
		fsb_resend_stats(n->resend, &rs);
		int timeout = rs.jobs ? 10 : TICK_MS;
		if (n->checkpoint_dirty || n->trust_due)
			timeout = 20;
		poll(pf, 2, timeout);
		int64_t now = fsb_time_now_ms();
		uint64_t count;
		if (pf[0].revents & POLLIN) {
			ssize_t r = read(n->wake_fd, &count, sizeof count);
			(void)r;
		}
		if (pf[1].revents & POLLIN)
			read_watch(n, now);
		if (sig->reload || (n->trust_due && now >= n->trust_due)) {
			say(n, "INFO", "reading the trust files again (%s)",
			    sig->reload ? "SIGHUP" : "they changed");
			sig->reload = 0;
			n->trust_due = 0;
			reload_trust(n);
		}
		if (now - n->outbox_checked_at > OUTBOX_RECHECK_MS) {
			n->outbox_checked_at = now;
			n->outbox_dirty = 1;
		}
		struct event *list = take_events(n);
		for (struct event *e = list, *next; e; e = next) {
			next = e->next;
			handle(n, e);
			event_free(e);
		}
		check_sessions(n);
		flush(n);
		write_rejects(n);
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
			run_resends(n, now);
			if ((n->checkpoint_dirty && now >= n->checkpoint_due) ||
			    now - n->checkpoint_sent_at > CHECKPOINT_REFRESH_MS)
				publish_checkpoint(n);
		}
	}
	struct fsb_resend_stats rs;
	fsb_resend_stats(n->resend, &rs);
	say(n, "INFO", "stopping: %llu received, %llu appended, %llu duplicates, %llu rejected "
	    "(%llu refused again without a check), %llu equivocations; %llu signatures verified, "
	    "%llu covered by hash links; %llu re-sent (%llu bytes) for %llu sync requests",
	    (unsigned long long)n->n_received, (unsigned long long)n->n_appended,
	    (unsigned long long)n->n_duplicates, (unsigned long long)n->n_rejected,
	    (unsigned long long)n->n_refused_again, (unsigned long long)n->n_equivocations,
	    (unsigned long long)n->n_verified, (unsigned long long)n->n_amortized,
	    (unsigned long long)rs.sent, (unsigned long long)rs.bytes,
	    (unsigned long long)rs.requests);
	teardown(n);
	free(n);
	return 0;
}
