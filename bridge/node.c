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
 * whom. This file holds the loop and the lifecycle; node_shared.h says
 * which file holds what else.
 */
#include "node.h"
#include "node_shared.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "seal.h"
#include "submit.h"

/* ---- events from Paho's threads ---------------------------------------------------- */

static void event_free(struct event *e);

static void on_event(void *arg, const struct fsb_transport_event *ev)
{
	struct conn_ctx *cc = arg;
	struct node *n = cc->n;
	struct event *e = calloc(1, sizeof *e);
	if (!e)
		return; /* the broker redelivers at QoS 1, sync catches the rest */
	e->conn = cc->conn;
	e->type = ev->type;
	e->tag = ev->tag;
	e->version = ev->version;
	e->retained = ev->retained;
	e->arrival_ms = fsb_fmt_now_ms();
	if (ev->reason)
		snprintf(e->reason, sizeof e->reason, "%s", ev->reason);
	if (ev->type == FSB_TRANSPORT_MESSAGE) {
		/* Over the size cap, only its start is kept, as evidence of what
		 * was refused: nobody gets to make the node node_copy 16 MiB. */
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
	if (e->type == FSB_TRANSPORT_MESSAGE && e->conn == CONN_EXCHANGE) {
		/* Past the budget, this waits for the loop to take the queue.
		 * Paho's thread reads nothing meanwhile, so TCP holds the broker
		 * back and the rest of a backlog stays queued for this node's
		 * session on the broker: a catch-up flows at the speed the node
		 * appends. Paho holds its own lock here, and the loop needs it to
		 * publish: before it calls in (node_calling) the loop sets the
		 * queue aside for a waiting callback, or leaves its publication
		 * for later; and while it is calling in, no callback starts
		 * waiting (the queue may then take twice the budget). Past
		 * [limits] inbound_wait, or twice the budget, a message is dropped
		 * (counted, recorded as a node_reject), and sync fetches it
		 * again. */
		size_t budget = n->cfg->inbound_bytes;
		int64_t wait_ms = n->cfg->inbound_wait_ms;
		if (n->q_bytes + e->len > budget && n->q_calling)
			budget *= 2;
		else if (n->q_bytes + e->len > budget && n->q_bytes > 0 && wait_ms > 0 && !n->q_nowait) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L)
				until.tv_sec++, until.tv_nsec -= 1000000000L;
			n->q_waiting = 1;
			while (n->q_bytes + e->len > budget && n->q_bytes > 0)
				if (pthread_cond_timedwait(&n->qroom, &n->qlock, &until)) {
					/* The loop is held up: no more waiting until it
					 * takes the queue. */
					n->q_nowait = 1;
					break;
				}
			n->q_waiting = 0;
		}
		if (n->q_bytes + e->len > budget) {
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

/* The transport's `calling` (arg: the connection's struct conn_ctx): the
 * loop calls into Paho (begin), or is done. A callback waiting for room
 * holds Paho's lock, which the call needs: the queue is set aside for the
 * loop's next events (up to one budget), or else, unless n->q_must, the
 * call is refused and tried again later. */
static int node_calling(void *arg, int begin)
{
	struct node *n = ((struct conn_ctx *)arg)->n;
	int refuse = 0;
	pthread_mutex_lock(&n->qlock);
	int waiting = n->q_waiting && n->qhead, room = n->aside_bytes < n->cfg->inbound_bytes;
	if (!begin) {
		n->q_calling--;
	} else if (waiting && !room && !n->q_must) {
		refuse = 1;
	} else {
		if (waiting && room) {
			if (n->aside_tail)
				n->aside_tail->next = n->qhead;
			else
				n->aside_head = n->qhead;
			n->aside_tail = n->qtail;
			n->aside_bytes += n->q_bytes;
			n->qhead = n->qtail = NULL;
			n->q_bytes = 0;
			pthread_cond_broadcast(&n->qroom);
		}
		n->q_calling++;
	}
	pthread_mutex_unlock(&n->qlock);
	return refuse;
}

static void event_free(struct event *e)
{
	free(e->topic);
	free(e->payload);
	free(e->response_topic);
	free(e->correlation);
	free(e);
}

/* ---- the exchange ---------------------------------------------------------------------------- */

static void on_exchange_message(struct node *n, struct event *e)
{
	struct fsb_topic t;
	n->n_delivered++;
	if (fsb_topic_parse(e->topic, &t) != 0)
		return; /* not one of ours */
	if (e->oversize) {
		char why[200];
		snprintf(why, sizeof why, "envelope of %zu bytes exceeds the cap of %zu bytes",
			 e->oversize, n->cfg->max_message_bytes);
		node_reject(n, e->topic, FSB_ETOOBIG, why, e->payload, e->len, e->oversize, e->arrival_ms);
		return;
	}
	if (t.type == FSB_TOPIC_CRL) {
		/* Authentic by its CA's signature, whoever handed it on: this
		 * node too (fsbridge trust node_publish-crl). */
		node_on_crl(n, &t, e);
		return;
	}
	if (strcmp(t.origin, n->origin) == 0)
		return; /* our own publications, echoed by the broker */
	struct peer *p;
	switch (t.type) {
	case FSB_TOPIC_STATUS:
		if ((p = node_peer_of(n, t.origin, 1)))
			p->online = e->len == 6 && memcmp(e->payload, "online", 6) == 0;
		if (p && p->online && !e->retained && !n->checkpoint_dirty) {
			/* A peer has just connected. A broker may not hand it our
			 * retained checkpoint (RabbitMQ gives retained messages only
			 * to exact-topic subscriptions, not through wildcards), so it
			 * is published again: debounced, and at most once every
			 * PEER_ONLINE_CHECKPOINT_MS, however often peers say so. */
			int64_t earliest = n->checkpoint_sent_at + PEER_ONLINE_CHECKPOINT_MS;
			node_want_checkpoint(n); /* spaced by the number of peers too */
			if (n->checkpoint_due < earliest)
				n->checkpoint_due = earliest;
		}
		return;
	case FSB_TOPIC_CRL: /* taken above */
		return;
	case FSB_TOPIC_CHECKPOINT:
	case FSB_TOPIC_SYNC: {
		if (e->len == 0)
			return; /* a cleared retained message */
		if (t.type == FSB_TOPIC_SYNC && strcmp(t.responder, n->origin) != 0)
			return; /* for another node: not even verified */
		struct fsb_control c;
		char why[512];
		struct fsb_open_opts o = {.max_bytes = n->cfg->max_message_bytes, .topic_origin = t.origin,
					  .arrival_ms = e->arrival_ms,
					  .max_skew_ms = n->cfg->max_clock_skew_ms};
		int rc = fsb_seal_open_control(n->trust, e->payload, e->len, &o, &c, why, sizeof why);
		if (rc == 0 && c.type != (t.type == FSB_TOPIC_CHECKPOINT ? FSB_CONTROL_CHECKPOINT : FSB_CONTROL_SYNC)) {
			rc = FSB_EINVALID;
			snprintf(why, sizeof why, "control message of the wrong type for its topic");
		} else if (rc == 0 && t.type == FSB_TOPIC_SYNC && strcmp(c.responder, t.responder) != 0) {
			rc = FSB_EINVALID;
			snprintf(why, sizeof why, "sync request for \"%s\" on a topic addressed to \"%s\"",
				 c.responder, t.responder);
		}
		if (rc)
			node_reject(n, e->topic, rc, why, e->payload, e->len, e->len, e->arrival_ms);
		else if (c.type == FSB_CONTROL_CHECKPOINT)
			node_on_checkpoint(n, &c, e);
		else
			node_on_sync_request(n, &c, e->arrival_ms);
		fsb_control_clear(&c);
		return;
	}
	case FSB_TOPIC_STREAM:
	case FSB_TOPIC_RESEND:
		node_on_stream_message(n, &t, e);
		return;
	case FSB_TOPIC_UNKNOWN:
		return;
	}
}

/* ---- connections --------------------------------------------------------------------------- */

static void on_connection(struct node *n, struct event *e)
{
	struct conn *c = &n->c[e->conn];
	int64_t now = e->arrival_ms;
	switch (e->type) {
	case FSB_TRANSPORT_CONNECTED:
		c->backoff_ms = 0;
		c->retry_at = 0;
		node_say(n, "INFO", "connected to the %s broker %s%s", c->name,
			 e->conn == CONN_EXCHANGE ? n->cfg->exchange_uri : n->cfg->local_uri,
			 e->version == 4 ? " (MQTT 3.1.1)" : "");
		break;
	case FSB_TRANSPORT_DISCONNECTED:
		node_say(n, "WARN", "lost the %s broker: %s; reconnecting", c->name, e->reason);
		break;
	case FSB_TRANSPORT_CONNECT_FAILED:
		c->backoff_ms = c->backoff_ms ? (c->backoff_ms * 2 > 8000 ? 8000 : c->backoff_ms * 2) : 250;
		c->retry_at = now + c->backoff_ms;
		if (c->backoff_ms >= 2000)
			node_say(n, "WARN", "cannot reach the %s broker: %s; retrying in %d ms", c->name,
			    e->reason, c->backoff_ms);
		break;
	default:
		break;
	}
	for (int i = 0; i < 2; i++)
		n->c[i].connected = fsb_transport_is_connected(n->c[i].m);
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
		c->connected = fsb_transport_is_connected(c->m);
		unsigned g = fsb_transport_generation(c->m);
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
			n->q_must = 1; /* said once a session: not left for later */
			node_publish(n, CONN_EXCHANGE, topic, "online", 6, 1, 0);
			n->q_must = 0;
			/* Whatever was in flight may be lost: start the outbox over.
			 * Peers drop what they already hold. */
			n->published_upto = 0;
			n->inflight = 0;
			n->outbox_dirty = 1;
			node_publish_checkpoint(n);
		}
	}
}

static void handle(struct node *n, struct event *e)
{
	switch (e->type) {
	case FSB_TRANSPORT_MESSAGE:
		if (e->conn == CONN_EXCHANGE)
			on_exchange_message(n, e);
		else
			node_on_local_message(n, e);
		break;
	case FSB_TRANSPORT_PUBLISHED:
	case FSB_TRANSPORT_PUBLISH_FAILED:
		if (e->conn == CONN_LOCAL && e->tag) {
			if (n->local_inflight)
				n->local_inflight--;
			if (e->type == FSB_TRANSPORT_PUBLISHED && e->tag > n->mirror_acked)
				n->mirror_acked = e->tag;
			else if (e->type == FSB_TRANSPORT_PUBLISH_FAILED && e->tag <= n->mirror_upto)
				n->mirror_upto = e->tag - 1;
			n->mirror_dirty = 1;
			break;
		}
		if (e->conn == CONN_EXCHANGE && e->tag && n->inflight) {
			n->inflight--;
			n->outbox_dirty = 1; /* node_room in the node_window again */
		}
		if (e->type == FSB_TRANSPORT_PUBLISH_FAILED && e->tag && !(e->tag & RESEND_TAG) &&
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
				node_say(n, "INFO", "CRL number %llu of CA \"%s\", adopted earlier, stays in force",
				    (unsigned long long)info.number, info.issuer);
			free(crls[i]);
		}
		free(crls);
		free(lens);
	}
	return 0;
}

/* One node a data directory: an exclusive lock on node.lock, which holds
 * the pid of the node holding it. */
static int take_lock(struct node *n, char *err, size_t errlen)
{
	const struct fsb_config *cfg = n->cfg;
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
		node_say(n, "WARN", "cannot write the pid into %s", lock);
	return 0;
}

static int setup(struct node *n, char *err, size_t errlen)
{
	const struct fsb_config *cfg = n->cfg;
	struct fsb_store_opts so = {.origin = cfg->origin, .reject_bytes = cfg->reject_bytes};
	int rc = fsb_store_open(cfg->data_dir, &so, &n->store, err, errlen);
	if (rc || (rc = take_lock(n, err, errlen)))
		return rc;
	if ((rc = fsb_signer_open(cfg->key_path, cfg->cert_path, &n->signer, err, errlen)) ||
	    (rc = fsb_trust_open_files(cfg->ca_files, cfg->crl_files, cfg->n_ca, &n->trust, err, errlen)))
		return rc;
	char why[400];
	if ((rc = fsb_trust_check_signer(n->trust, n->signer, n->origin, fsb_fmt_now_ms(), why,
					 sizeof why))) {
		snprintf(err, errlen, "%s: [signing] cert: %s", cfg->path, why);
		return rc;
	}
	struct fsb_seq_limits sl = {.max_bytes = cfg->reorder_bytes,
				    .max_stream_bytes = cfg->reorder_stream_bytes,
				    .max_streams = cfg->max_streams, .gap_wait_ms = GAP_WAIT_MS,
				    .jitter_seed = n->rng,
				    .retry_ms = SYNC_RETRY_MS, .retry_max_ms = SYNC_RETRY_MAX_MS,
				    .max_ask = SYNC_MAX, .stale_wait_ms = STALE_WAIT_MS};
	struct fsb_seq_ops ops = {node_verify_pending, node_release_pending, n};
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
	node_watch_trust(n);
	if ((rc = load_state(n, err, errlen)))
		return rc;
	node_load_mirror(n);
	node_load_cases(n);
	fsb_topic_local(n->submit_filter, cfg->local_root, "submit/+");
	fsb_topic_local(n->result_topic, cfg->local_root, "submit/result");
	char status[FSB_TOPIC_MAX], local_id[300];
	fsb_topic_control(status, cfg->origin, FSB_TOPIC_STATUS);
	struct fsb_transport_opts xo = {.uri = cfg->exchange_uri, .client_id = cfg->exchange_client_id,
				   .tls_ca = cfg->tls_ca, .tls_cert = cfg->tls_cert,
				   .tls_key = cfg->tls_key, .will_topic = status,
				   .will_payload = "offline",
				   .mqtt_version = cfg->exchange_mqtt_version,
				   .calling = node_calling};
	snprintf(local_id, sizeof local_id, "%s-local", cfg->exchange_client_id);
	struct fsb_transport_opts lo = {.uri = cfg->local_uri, .client_id = local_id,
				   .calling = node_calling};
	n->c[CONN_EXCHANGE].name = "exchange";
	n->c[CONN_LOCAL].name = "local";
	n->ctx[CONN_EXCHANGE] = (struct conn_ctx){n, CONN_EXCHANGE};
	n->ctx[CONN_LOCAL] = (struct conn_ctx){n, CONN_LOCAL};
	if ((rc = fsb_transport_create(&xo, on_event, &n->ctx[CONN_EXCHANGE], &n->c[CONN_EXCHANGE].m, err, errlen)) ||
	    (rc = fsb_transport_create(&lo, on_event, &n->ctx[CONN_LOCAL], &n->c[CONN_LOCAL].m, err, errlen)))
		return rc;
	/* What is for this node only: every stream, checkpoint, status and CRL
	 * topic, and the sync requests and re-sends addressed to it. What a node
	 * of an earlier version subscribed to (the whole tree; every sync
	 * request) is dropped from a persistent session. */
	char filters[FSB_TOPIC_FILTERS_MAX][FSB_TOPIC_MAX];
	size_t nf = fsb_topic_filters(filters, FSB_TOPIC_FILTERS_MAX, n->origin);
	rc = fsb_transport_forget(n->c[CONN_EXCHANGE].m, FSB_TOPIC_ALL);
	if (rc == 0)
		rc = fsb_transport_forget(n->c[CONN_EXCHANGE].m, FSB_TOPIC_ALL_SYNC);
	for (size_t i = 0; rc == 0 && i < nf; i++)
		rc = fsb_transport_subscribe(n->c[CONN_EXCHANGE].m, filters[i]);
	if (rc == 0)
		rc = fsb_transport_subscribe(n->c[CONN_LOCAL].m, n->submit_filter);
	if (rc) {
		snprintf(err, errlen, "cannot keep the broker subscriptions: %s", fsb_strerror(rc));
		return rc;
	}
	fsb_transport_connect(n->c[CONN_EXCHANGE].m);
	fsb_transport_connect(n->c[CONN_LOCAL].m);
	return 0;
}

static void teardown(struct node *n)
{
	if (n->c[CONN_EXCHANGE].m && n->c[CONN_EXCHANGE].connected) {
		char topic[FSB_TOPIC_MAX];
		fsb_topic_control(topic, n->origin, FSB_TOPIC_STATUS);
		n->q_must = 1;
		node_publish(n, CONN_EXCHANGE, topic, "offline", 7, 1, 0);
	}
	fsb_transport_destroy(n->c[CONN_EXCHANGE].m, 2000);
	fsb_transport_destroy(n->c[CONN_LOCAL].m, 1000);
	for (int i = 0; i < 2; i++)
		for (struct event *e = i ? n->qhead : n->aside_head, *next; e; e = next) {
			next = e->next;
			event_free(e);
		}
	fsb_seq_close(n->seq); /* its messages come back through node_release_pending */
	for (size_t i = 0; i < n->n_conflicts; i++)
		node_pending_free(n->conflicts[i]);
	fsb_resend_close(n->resend);
	if (n->store)
		node_save_checkpoints(n, fsb_fmt_now_ms(), 1);
	for (size_t i = 0; i < n->n_peers; i++) {
		free(n->peers[i].streams);
		free(n->peers[i].cp_raw);
	}
	free(n->peers);
	if (n->store) {
		node_write_rejects(n);
		node_save_mirror(n, fsb_fmt_now_ms(), 1);
		node_save_cases(n, fsb_fmt_now_ms(), 1);
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
	pthread_cond_destroy(&n->qroom);
}

/* Takes the events queued by Paho's threads, and records what the queue
 * had to drop. */
static struct event *take_events(struct node *n)
{
	pthread_mutex_lock(&n->qlock);
	struct event *list = n->aside_head ? n->aside_head : n->qhead;
	if (n->aside_head)
		n->aside_tail->next = n->qhead;
	n->qhead = n->qtail = n->aside_head = n->aside_tail = NULL;
	n->q_bytes = n->aside_bytes = 0;
	n->q_nowait = 0;
	pthread_cond_broadcast(&n->qroom);
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
		node_reject(n, topic, FSB_EOVERLOAD, why, NULL, 0, bytes, fsb_fmt_now_ms());
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
	/* Jitter differs between nodes and runs; it needs no secrecy. */
	n->rng = ((uint64_t)fsb_fmt_now_ms() << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ULL;
	for (const char *c = cfg->origin; *c; c++)
		n->rng = (n->rng ^ (uint8_t)*c) * 0x100000001b3ULL;
	if (!n->rng)
		n->rng = 1;
	pthread_mutex_init(&n->qlock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->qroom, &ca);
	pthread_condattr_destroy(&ca);
	int rc = setup(n, err, errlen);
	if (rc) {
		teardown(n);
		free(n);
		return rc;
	}
	node_say(n, "INFO", "node %s running on %s (exchange %s, local %s)", n->origin, cfg->data_dir,
	    cfg->exchange_uri, cfg->local_uri);
	n->outbox_dirty = 1;
	while (!sig->stop) {
		struct pollfd pf[2] = {{n->wake_fd, POLLIN, 0}, {n->watch_fd, POLLIN, 0}};
		struct fsb_resend_stats rs;
		fsb_resend_stats(n->resend, &rs);
		int timeout = rs.jobs ? 10 : TICK_MS;
		if (n->checkpoint_dirty || n->trust_due)
			timeout = 20;
		struct fsb_seq_stats ss;
		fsb_seq_stats(n->seq, &ss);
		if (ss.waiting && timeout > 50)
			timeout = 50; /* runs held to grow (node_flush) are taken soon */
		poll(pf, 2, timeout);
		int64_t now = fsb_fmt_now_ms();
		uint64_t count;
		if (pf[0].revents & POLLIN) {
			ssize_t r = read(n->wake_fd, &count, sizeof count);
			(void)r;
		}
		if (pf[1].revents & POLLIN)
			node_read_watch(n, now);
		if (sig->reload || (n->trust_due && now >= n->trust_due)) {
			node_say(n, "INFO", "reading the trust files again (%s)",
			    sig->reload ? "SIGHUP" : "they changed");
			sig->reload = 0;
			n->trust_due = 0;
			node_reload_trust(n);
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
		node_flush(n);
		node_write_rejects(n);
		node_save_checkpoints(n, now, 0);
		for (int i = 0; i < 2; i++)
			if (n->c[i].retry_at && now >= n->c[i].retry_at) {
				n->c[i].retry_at = 0;
				fsb_transport_connect(n->c[i].m);
			}
		if (n->outbox_dirty)
			node_publish_outbox(n);
		node_run_mirror(n);
		node_save_mirror(n, now, 0);
		node_run_cases(n, now);
		node_save_cases(n, now, 0);
		if (n->c[CONN_EXCHANGE].connected) {
			node_check_gaps(n, now);
			node_check_claims(n, now);
			node_run_resends(n, now);
			if ((n->checkpoint_dirty && now >= n->checkpoint_due) ||
			    now - n->checkpoint_sent_at > CHECKPOINT_REFRESH_MS)
				node_publish_checkpoint(n);
		}
	}
	struct fsb_resend_stats rs;
	fsb_resend_stats(n->resend, &rs);
	node_say(n, "INFO", "stopping: %llu received, %llu appended, %llu duplicates, %llu rejected "
	    "(%llu refused again without a check), %llu equivocations; %llu signatures verified, "
	    "%llu covered by hash links; %llu re-sent (%llu bytes) for %llu sync requests",
	    (unsigned long long)n->n_received, (unsigned long long)n->n_appended,
	    (unsigned long long)n->n_duplicates, (unsigned long long)n->n_rejected,
	    (unsigned long long)n->n_refused_again, (unsigned long long)n->n_equivocations,
	    (unsigned long long)n->n_verified, (unsigned long long)n->n_amortized,
	    (unsigned long long)rs.sent, (unsigned long long)rs.bytes,
	    (unsigned long long)rs.requests);
	node_say(n, "INFO", "exchange traffic: %llu messages delivered to this node; published %llu "
	    "stream messages, %llu checkpoints, %llu sync requests, %llu re-sends",
	    (unsigned long long)n->n_delivered, (unsigned long long)n->n_sent_stream,
	    (unsigned long long)n->n_sent_checkpoints, (unsigned long long)n->n_sent_sync,
	    (unsigned long long)rs.sent);
	teardown(n);
	free(n);
	return 0;
}

