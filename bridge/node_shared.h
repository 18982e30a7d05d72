/* node_shared.h - what the node's own files share: struct node, and the
 * functions each file offers the others; no other module includes it.
 *
 * One thread owns a struct node and makes every decision; Paho's threads
 * only queue events for it (node.c). The files split the node by concern,
 * in three layers: node.c on top; beneath it the four below, which never
 * call each other; beneath them node_shared.c.
 *   node.c          the loop and the lifecycle: events, connections, set-up
 *   node_receive.c  stream messages in: verified, sequenced, appended
 *   node_sync.c     the exchange kept whole: the outbox and checkpoints out,
 *                   peers' checkpoints in, gaps asked for, re-sends answered
 *   node_mirror.c   the agency's broker: submissions in, the inbox mirror out
 *   node_cases.c    the agency's broker: each case's state, retained
 *   node_trust.c    CRLs from the exchange; trust files read again
 *   node_shared.c   log lines, the rejects of a turn, publishing
 * Nothing here is file-scope state: everything a node holds is in its
 * struct node, so one process may run several.
 */
#ifndef FSB_NODE_SHARED_H
#define FSB_NODE_SHARED_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "config.h"
#include "resend.h"
#include "sequence.h"
#include "sign.h"
#include "store.h"
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
#define CHECKPOINT_DEBOUNCE_MS 150 /* a checkpoint waits this long for more changes ... */
#define CHECKPOINT_SPACING_PER_PEER_MS 200 /* ... and comes at most every this x peers,
					     * with up to half of that again at random */
#define GAP_WAIT_PER_PEER_MS 30  /* a gap waits GAP_WAIT_MS + this x peers before asking, */
#define GAP_JITTER_PER_PEER_MS 30 /* and up to this x peers more, by stream */
#define CHECKPOINT_REFRESH_MS 30000
#define CHECKPOINT_SAVE_MS 1000 /* peers' checkpoints are saved together, this often */
#define PEER_ONLINE_CHECKPOINT_MS 2000 /* a peer came online: our checkpoint again, at most
					* this often, whatever peers say */
#define RESEND_PER_TURN 256     /* re-sent messages per turn */
#define TICK_MS 200
#define OUTBOX_RECHECK_MS 2000  /* a safety net under the notify file */
#define TRUST_SETTLE_MS 200     /* a trust file changed: read it once writing is over */
#define FLUSH_MAX 4096          /* messages appended in one transaction, at most */
#define BUSY_PER_S 200          /* messages a second from which the node is busy, */
#define BUSY_WINDOW_MS 250      /* ... measured over this long: */
#define HOLD_MS 1000            /* ... a stream's run waits up to this long to grow, */
#define HOLD_PER_PEER_MS 50     /* ... and this much more per peer (the more provinces,
				 * the more streams share the checks), */
#define HOLD_RUN 64             /* ... or to this length, before it is checked */
#define HOLD_QUIET_MS 150       /* ... unless no message came for this long */
#define APPEND_RETRY_MS 250     /* after a failed append, the next try */
#define CONFLICTS_MAX 16        /* second messages for one seq, kept to show the store */
#define REPORTED_MAX 32         /* divergences and anomalies said once per peer */
#define CLAIM_DOUBT_MS 3000     /* a third party's claim beyond what an origin signed: an
				 * anomaly if the origin has not caught up by then */
#define SAY_WINDOW_MS 10000     /* reject lines: at most SAY_PER_WINDOW per window */
#define SAY_PER_WINDOW 20
#define OVERSIZE_KEEP 1024      /* bytes of an oversize envelope kept as evidence */
#define REJECTS_PENDING_MAX (1u << 20) /* rejects' bytes held before they are written */
#define CASES_PER_TURN 64       /* cases published in a turn, at most */
#define CASES_DUE_MAX 1024      /* the next deadlines kept (the earliest) */
#define CASES_SWEEP_QUIET_MS 1000 /* the open cases' deadlines are read at start-up while
				   * no stream message came for this long */
#define CASES_BUSY_MS 1000      /* while stream messages keep coming, cases are published
				 * at most once in this long (see node_run_cases) */

enum { CONN_EXCHANGE, CONN_LOCAL };

struct event {
	struct event *next;
	int conn;
	enum fsb_transport_event_type type;
	char *topic;
	uint8_t *payload;
	size_t len;
	size_t oversize;      /* MESSAGE over the size cap: its real length (payload is its start) */
	char *response_topic;
	uint8_t *correlation;
	size_t correlation_len;
	uint64_t tag;
	char reason[200];
	int version;          /* CONNECTED: the MQTT version spoken, 5 or 4 (3.1.1) */
	int retained;         /* MESSAGE: delivered from the broker's retained store */
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
	uint8_t *cp_raw;       /* that checkpoint as received, until saved */
	size_t cp_len;
	struct reported said[REPORTED_MAX];
	size_t n_said, next_said;
	/* Its claim about a third origin beyond what that origin has signed,
	 * judged at doubt_at + CLAIM_DOUBT_MS (0: none held). */
	char doubt_origin[FSB_ORIGIN_MAX + 1];
	uint64_t doubt_seq;
	int64_t doubt_at;
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
	struct fsb_transport *m;
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
	pthread_cond_t qroom;     /* room in the queue */
	struct event *qhead, *qtail;
	size_t q_bytes;           /* exchange payload bytes queued (under qlock) */
	int q_waiting;            /* a callback waits for room (under qlock) */
	int q_nowait;             /* a wait ran out: none until the loop takes the queue */
	int q_calling;            /* the loop is calling into Paho (under qlock) */
	int q_must;               /* the loop's next publications may not wait for later */
	/* What the loop set aside from the queue for a waiting callback before
	 * it called into Paho, handled with its next events (under qlock). */
	struct event *aside_head, *aside_tail;
	size_t aside_bytes;
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
	/* The cases publisher follows the log from cases_upto; deliv_from ..
	 * deliv_to (0: none) are own seqs peers newly hold; due[] the next
	 * deadlines of the cases published. */
	uint64_t cases_upto, cases_saved;
	int64_t cases_saved_at;
	uint64_t deliv_from, deliv_to;
	struct {
		int64_t at;
		char id[FSB_MESSAGE_ID_MAX + 1];
	} due[CASES_DUE_MAX];
	size_t n_due;
	int64_t cases_run_at;     /* when cases were last published */
	int sweeping;             /* reading the deadlines of the open cases, after: */
	char sweep_after[FSB_MESSAGE_ID_MAX + 1];
	int64_t outbox_checked_at;
	int checkpoint_dirty;
	int cp_unsaved;           /* peers' checkpoints (or what they retire) to save */
	int64_t cp_saved_at;
	int64_t checkpoint_due, checkpoint_sent_at;
	int64_t append_error_said_at;
	int64_t append_retry_at;  /* after a failed append, not before then */
	int64_t trust_due;        /* a trust file changed: reload then; 0 = not due */
	int64_t say_window_at;    /* reject lines said in this window, and left unsaid */
	unsigned said_in_window;
	uint64_t unsaid;
	uint64_t n_verified, n_amortized, n_refused_again;
	uint64_t n_received, n_appended, n_duplicates, n_rejected, n_equivocations;
	/* The exchange traffic: messages the broker delivered to this node
	 * (any topic), and what it published (re-sends: in n->resend). */
	uint64_t n_delivered, n_sent_stream, n_sent_checkpoints, n_sent_sync;
	uint64_t rng;             /* xorshift state for jitter (node_jitter) */
	uint64_t rate_mark, rate_last; /* n_received at rate_at, and in the window before */
	int64_t rate_at;
	int64_t received_at;      /* when the last stream message arrived */
	char submit_filter[FSB_TOPIC_MAX], result_topic[FSB_TOPIC_MAX];
};

/* ---- node_shared.c: beneath the rest ---- */

/* One line on stderr: time, origin, level, message. */
void node_say(struct node *n, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies a string into cap bytes, cut if need be. */
void node_copy(char *dst, size_t cap, const char *src);
/* Records an envelope refused for an integrity reason: in the store at the
 * end of the turn (node_write_rejects), or at once when REJECTS_PENDING_MAX
 * bytes of them wait; and on stderr, at most SAY_PER_WINDOW lines a
 * window. raw is copied (at most FSB_REJECT_RAW_MAX bytes); total is what
 * arrived. */
void node_reject(struct node *n, const char *topic, int code, const char *why,
		 const uint8_t *raw, size_t len, size_t total, int64_t when);
void node_write_rejects(struct node *n);
/* Publishes on a connection when it is up; FSB_EIO when it is not. */
int node_publish(struct node *n, int conn, const char *topic, const void *data, size_t len,
		 int retain, uint64_t tag);
/* Publications a connection may have unacknowledged, and whether the
 * exchange has room for one more. */
uint64_t node_window(const struct node *n, int conn);
int node_room(struct node *n);
/* A checkpoint is due: debounced, spaced by the number of peers, jittered. */
void node_want_checkpoint(struct node *n);
/* A pseudo-random number in [0, max) (0 when max <= 0), for jitter. */
int64_t node_jitter(struct node *n, int64_t max);

/* ---- node_receive.c ---- */

/* Opens a stream message (the event's payload is taken when kept), and
 * offers it to the sequencer; what cannot be taken is a reject. */
void node_on_stream_message(struct node *n, const struct fsb_topic *t, struct event *e);
/* Appends what the sequencer has in order, as one group commit. */
void node_flush(struct node *n);
/* fsb_seq_ops for the node's sequencer: verify a waiting message, and take
 * back one the sequencer lets go. ctx is the struct node. */
int node_verify_pending(void *ctx, const char *origin, struct fsb_seq_item *it);
void node_release_pending(void *ctx, const char *origin, struct fsb_seq_item *it,
			  enum fsb_seq_drop why);
void node_pending_free(struct pending *p);

/* ---- node_sync.c ---- */

/* The outbox, in seq order, within the window. */
void node_publish_outbox(struct node *n);
/* The node's checkpoint: what it holds, signed, retained. */
void node_publish_checkpoint(struct node *n);
/* The peer of origin; created (while fewer than max_streams exist) only
 * when `create`. */
struct peer *node_peer_of(struct node *n, const char *origin, int create);
void node_on_checkpoint(struct node *n, struct fsb_control *c, struct event *e);
/* Saves the peers' checkpoints that came since the last save, and retires
 * the outbox they acknowledge, in one transaction, every CHECKPOINT_SAVE_MS
 * (or now, with force). */
void node_save_checkpoints(struct node *n, int64_t now, int force);
void node_on_sync_request(struct node *n, const struct fsb_control *c, int64_t now);
/* Asks for the gaps that did not fill in time, and re-sends what is due. */
void node_check_gaps(struct node *n, int64_t now);
void node_run_resends(struct node *n, int64_t now);
/* Says ANOMALY for peers' claims about a third origin that it has not
 * caught up with in CLAIM_DOUBT_MS. */
void node_check_claims(struct node *n, int64_t now);

/* ---- node_mirror.c ---- */

/* A JSON submission from the local broker, answered on its response topic. */
void node_on_local_message(struct node *n, struct event *e);
/* The inbox mirror: loaded at set-up, run every turn, its position saved
 * every MIRROR_NOTE_MS (or now, with force). */
void node_load_mirror(struct node *n);
void node_run_mirror(struct node *n);
void node_save_mirror(struct node *n, int64_t now, int force);

/* ---- node_cases.c ---- */

/* Each case's state on the local broker, retained at {root}/cases/{id}:
 * loaded at set-up, run every turn, its position saved every
 * MIRROR_NOTE_MS (or now, with force). */
void node_load_cases(struct node *n);
void node_run_cases(struct node *n, int64_t now);
void node_save_cases(struct node *n, int64_t now, int force);

/* ---- node_trust.c ---- */

/* A CRL published on the exchange: adopted when newer than the one in force. */
void node_on_crl(struct node *n, const struct fsb_topic *t, struct event *e);
/* Watches the directories of the trust files; reads the watch's events. */
void node_watch_trust(struct node *n);
void node_read_watch(struct node *n, int64_t now);
/* Reads the CA and CRL files again; keeps the trust in force on failure. */
void node_reload_trust(struct node *n);

#endif
