/* node_sync.c - keeping the exchange whole: the node's own stream and
 * checkpoint out, the peers' checkpoints in, sync requests for gaps that do
 * not fill, and paced re-sends for the peers that ask.
 *
 * Correctness never rests on the broker: a peer's checkpoint says what it
 * holds, and what it lacks is asked for or re-sent within the budgets of
 * [sync] and [limits]. A checkpoint that disagrees with the log about a
 * payload hash is a divergence, said once per peer and seq.
 */
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
#include <unistd.h>

#include "format.h"
#include "seal.h"
#include "submit.h"
#include "mem.h"

/* ---- publishing -------------------------------------------------------------------------- */

/* Publishes the outbox in seq order from where this connection left off,
 * within the node_window. Tags carry the seq. */
void node_publish_outbox(struct node *n)
{
	if (!n->c[CONN_EXCHANGE].connected)
		return;
	n->outbox_dirty = 0;
	while (node_room(n)) {
		uint64_t seqs[64];
		size_t got = 0;
		if (fsb_store_outbox(n->store, n->published_upto, seqs, 64, &got) || got == 0)
			return;
		for (size_t i = 0; i < got && node_room(n); i++) {
			uint64_t index;
			struct fsb_entry e;
			char topic[FSB_TOPIC_MAX];
			if (fsb_store_find_seq(n->store, n->origin, seqs[i], &index) ||
			    fsb_store_get(n->store, index, &e))
				return;
			if (fsb_topic_stream(topic, n->origin, e.kind, e.category[0] ? e.category : "other") &&
			    node_publish(n, CONN_EXCHANGE, topic, e.envelope, e.envelope_len, 0, seqs[i]) == 0) {
				n->inflight++;
				n->n_sent_stream++;
				n->published_upto = seqs[i];
				node_want_checkpoint(n); /* our own head moved */
			} else {
				fsb_entry_clear(&e);
				return;
			}
			fsb_entry_clear(&e);
		}
	}
}

/* The newest seq of our own stream that has gone out on this connection,
 * or before it (what is below the outbox went out and was retired): what
 * our checkpoint may say exists. Saying the committed head instead would
 * send every peer asking for what is still on its way. */
static void own_published(struct node *n, struct fsb_head *own)
{
	uint64_t next;
	size_t got = 0;
	if (fsb_store_outbox(n->store, n->published_upto, &next, 1, &got) || got == 0 ||
	    next > own->seq)
		return; /* all of it went out: the head stands */
	own->seq = next - 1;
	if (own->seq && fsb_store_seq_hash(n->store, n->origin, own->seq, own->payload_hash))
		own->seq = 0;
}

void node_publish_checkpoint(struct node *n)
{
	struct fsb_head *h;
	size_t count;
	struct fsb_store_stats st;
	if (fsb_store_heads(n->store, &h, &count) || fsb_store_stats(n->store, &st))
		return;
	for (size_t i = 0; i < count; i++)
		if (strcmp(h[i].origin, n->origin) == 0)
			own_published(n, &h[i]);
	struct fsb_control c = {.type = FSB_CONTROL_CHECKPOINT, .log_index = st.last_index};
	snprintf(c.origin, sizeof c.origin, "%s", n->origin);
	fsb_fmt_time(fsb_fmt_now_ms(), c.issued_at);
	memcpy(c.log_head_hash, st.last_hash, FSB_HASH_LEN);
	c.streams = calloc(count ? count : 1, sizeof *c.streams);
	for (size_t i = 0; c.streams && i < count; i++) {
		if (h[i].seq == 0)
			continue; /* nothing of it out yet */
		struct fsb_stream_state *s = &c.streams[c.n_streams++];
		snprintf(s->origin, sizeof s->origin, "%s", h[i].origin);
		s->seq = h[i].seq;
		memcpy(s->payload_hash, h[i].payload_hash, FSB_HASH_LEN);
	}
	free(h);
	uint8_t *env;
	size_t len;
	char topic[FSB_TOPIC_MAX];
	if (fsb_seal_control(n->signer, &c, &env, &len) == 0) {
		fsb_topic_control(topic, n->origin, FSB_TOPIC_CHECKPOINT);
		if (node_publish(n, CONN_EXCHANGE, topic, env, len, 1, 0) == 0) {
			n->checkpoint_dirty = 0;
			n->checkpoint_sent_at = fsb_fmt_now_ms();
			n->n_sent_checkpoints++;
		}
		free(env);
	}
	free(c.streams);
}

/* ---- peers --------------------------------------------------------------------------- */

/* The peer of origin; created (while fewer than max_streams exist) only
 * when `create`, that is for a verified control message or a status. */
struct peer *node_peer_of(struct node *n, const char *origin, int create)
{
	for (size_t i = 0; i < n->n_peers; i++)
		if (strcmp(n->peers[i].origin, origin) == 0)
			return &n->peers[i];
	if (!create || n->n_peers >= n->cfg->max_streams)
		return NULL;
	if (fsb_mem_grow(&n->peers, &n->cap_peers, n->n_peers, sizeof *n->peers))
		return NULL;
	struct peer *p = &n->peers[n->n_peers++];
	memset(p, 0, sizeof *p);
	snprintf(p->origin, sizeof p->origin, "%s", origin);
	p->online = -1;
	/* The more provinces, the longer a gap may last before this node
	 * asks, and the more the nodes that miss one message spread their
	 * requests. */
	fsb_seq_set_gap_wait(n->seq, GAP_WAIT_MS + GAP_WAIT_PER_PEER_MS * (int64_t)n->n_peers,
			     GAP_JITTER_PER_PEER_MS * (int64_t)n->n_peers);
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

static void say_anomaly(struct node *n, const struct peer *p, const char *origin, uint64_t seq,
			uint64_t signed_upto)
{
	node_say(n, "WARN", "ANOMALY: %s claims to hold %s:%llu, beyond what %s has signed (%llu); not acted on",
	    p->origin, origin, (unsigned long long)seq,
	    strcmp(origin, n->origin) == 0 ? "this node" : origin, (unsigned long long)signed_upto);
}

/* ---- synchronization -------------------------------------------------------------------- */

/* Who should answer a request for origin's [from, to]: the origin, or,
 * while it is away, a node whose checkpoint shows it holds the range (its
 * claim is a hint of who holds what, never of what exists; messages are
 * signed, so relaying is safe). */
static const char *responder_for(struct node *n, const char *origin, uint64_t from)
{
	struct peer *op = node_peer_of(n, origin, 0);
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
	fsb_fmt_time(now, c.issued_at);
	node_copy(c.sync_origin, sizeof c.sync_origin, a->origin);
	node_copy(c.responder, sizeof c.responder, responder);
	uint8_t *env;
	size_t len;
	char topic[FSB_TOPIC_MAX];
	if (fsb_seal_control(n->signer, &c, &env, &len))
		return FSB_ENOMEM;
	fsb_topic_sync(topic, n->origin, responder);
	int rc = node_publish(n, CONN_EXCHANGE, topic, env, len, 0, 0);
	if (rc == 0) {
		n->n_sent_sync++;
		node_say(n, "INFO", "asked %s for %s:%llu..%llu", responder, a->origin,
		    (unsigned long long)a->from, (unsigned long long)a->to);
	}
	free(env);
	return rc;
}

/* Asks for what is missing where the sequencer says a gap has stalled. */
void node_check_gaps(struct node *n, int64_t now)
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
void node_on_sync_request(struct node *n, const struct fsb_control *c, int64_t now)
{
	if (strcmp(c->responder, n->origin) != 0)
		return;
	uint64_t held = 0, from, to;
	uint8_t hash[FSB_HASH_LEN];
	if (strcmp(c->sync_origin, n->origin) == 0)
		fsb_store_head(n->store, n->origin, &held, hash, NULL);
	else
		held = fsb_seq_held(n->seq, c->sync_origin, NULL);
	const struct peer *rp = node_peer_of(n, c->origin, 0);
	uint64_t have = claimed(rp, c->sync_origin);
	int64_t have_at = rp && rp->has_checkpoint ? rp->checkpoint_at : INT64_MIN;
	switch (fsb_resend_request(n->resend, c->origin, c->sync_origin, c->from_seq, c->to_seq, held,
				   have, have_at, now, &from, &to)) {
	case FSB_RESEND_SCHEDULED:
		node_say(n, "INFO", "re-sending %s:%llu..%llu to %s", c->sync_origin,
		    (unsigned long long)from, (unsigned long long)to, c->origin);
		break;
	case FSB_RESEND_BUSY:
		node_say(n, "WARN", "too many re-sends under way; %s will ask again for %s", c->origin,
		    c->sync_origin);
		break;
	case FSB_RESEND_MERGED:
	case FSB_RESEND_NOTHING:
		break;
	}
}

/* Re-sends stored envelopes byte for byte to their requesters, within the
 * node_window shared with the outbox, RESEND_PER_TURN at most. */
void node_run_resends(struct node *n, int64_t now)
{
	static uint64_t counter;
	struct fsb_resend_next nx;
	for (int budget = RESEND_PER_TURN; budget > 0 && node_room(n) && fsb_resend_next(n->resend, now, &nx);
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
		int rc = node_publish(n, CONN_EXCHANGE, topic, e.envelope, e.envelope_len, 0,
				 RESEND_TAG | ++counter);
		size_t bytes = e.envelope_len;
		fsb_entry_clear(&e);
		if (rc)
			return; /* disconnected: go on when connected again */
		n->inflight++;
		fsb_resend_sent(n->resend, &nx, bytes, now);
	}
}

/* The seq of our stream every known peer's checkpoint covers (0: none). */
static uint64_t retirable(const struct node *n)
{
	uint64_t upto = UINT64_MAX;
	size_t known = 0;
	for (size_t i = 0; i < n->n_peers; i++)
		if (n->peers[i].has_checkpoint) {
			known++;
			if (n->peers[i].covers_own < upto)
				upto = n->peers[i].covers_own;
		}
	return known && upto != UINT64_MAX ? upto : 0;
}

void node_save_checkpoints(struct node *n, int64_t now, int force)
{
	if (!n->cp_unsaved || (!force && now - n->cp_saved_at < CHECKPOINT_SAVE_MS))
		return;
	struct fsb_checkpoint_in *in = calloc(n->n_peers ? n->n_peers : 1, sizeof *in);
	size_t k = 0;
	for (size_t i = 0; in && i < n->n_peers; i++) {
		struct peer *p = &n->peers[i];
		if (p->cp_raw)
			in[k++] = (struct fsb_checkpoint_in){p->origin, p->checkpoint_at, p->cp_raw,
							      p->cp_len};
	}
	n->cp_saved_at = now;
	if (!in || fsb_store_put_checkpoints(n->store, in, k, retirable(n)) != 0) {
		free(in);
		return; /* tried again in CHECKPOINT_SAVE_MS; the store said why */
	}
	free(in);
	for (size_t i = 0; i < n->n_peers; i++) {
		free(n->peers[i].cp_raw);
		n->peers[i].cp_raw = NULL;
	}
	n->cp_unsaved = 0;
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
		node_say(n, "ALARM", "DIVERGED: %s holds %s:%llu with payload hash %s…, this node holds %s…",
		    p->origin, st->origin, (unsigned long long)st->seq, a, b);
	}
	return 1;
}

/* A verified checkpoint of peer p. Its claims about its own stream node_say
 * what exists (gaps below them are worth asking for); about ours, what it
 * holds (the outbox retires on it); about a third origin's, only who holds
 * what: a claim beyond what that origin itself has signed is an anomaly,
 * said once and not acted on. Where it holds a seq this node holds too,
 * the payload hashes must agree. */
void node_on_checkpoint(struct node *n, struct fsb_control *c, struct event *e)
{
	if (c->n_streams > n->cfg->max_streams) {
		char why[200];
		snprintf(why, sizeof why, "checkpoint lists %zu streams, more than the %zu this node keeps",
			 c->n_streams, n->cfg->max_streams);
		node_reject(n, e->topic, FSB_ETOOBIG, why, e->payload, e->len, e->len, e->arrival_ms);
		return;
	}
	struct peer *p = node_peer_of(n, c->origin, 1);
	if (!p)
		return;
	uint8_t *raw = malloc(e->len ? e->len : 1);
	if (raw) { /* kept at the next node_save_checkpoints */
		memcpy(raw, e->payload, e->len);
		free(p->cp_raw);
		p->cp_raw = raw;
		p->cp_len = e->len;
	}
	free(p->streams);
	p->streams = c->streams;
	p->n_streams = c->n_streams;
	c->streams = NULL;
	p->has_checkpoint = 1;
	p->checkpoint_at = e->arrival_ms;
	uint64_t covered_before = p->covers_own;
	p->covers_own = 0;
	uint64_t own = 0;
	uint8_t own_hash[FSB_HASH_LEN], head_hash[FSB_HASH_LEN];
	fsb_store_head(n->store, n->origin, &own, own_hash, NULL);
	for (size_t i = 0; i < p->n_streams; i++) {
		struct fsb_stream_state *st = &p->streams[i];
		int mine = strcmp(st->origin, n->origin) == 0, its = strcmp(st->origin, p->origin) == 0;
		fsb_resend_held(n->resend, p->origin, st->origin, st->seq);
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
		if (mine) {
			if (!said_before(p, st->origin, 0))
				say_anomaly(n, p, st->origin, st->seq, own);
		} else if (st->seq > fsb_seq_known_seq(n->seq, st->origin) && !p->doubt_at) {
			/* Perhaps only news to this node (it was cut off, or the
			 * origin's messages are on their way): judged later. */
			node_copy(p->doubt_origin, sizeof p->doubt_origin, st->origin);
			p->doubt_seq = st->seq;
			p->doubt_at = e->arrival_ms;
		}
	}
	n->cp_unsaved = 1; /* its checkpoint to keep, and the outbox may retire */
	/* Own messages it now holds: their cases change (node_cases.c). */
	if (p->covers_own > covered_before) {
		if (!n->deliv_to || covered_before + 1 < n->deliv_from)
			n->deliv_from = covered_before + 1;
		if (p->covers_own > n->deliv_to)
			n->deliv_to = p->covers_own;
	}
}

/* Claims about a third origin's stream beyond what it has signed, held for
 * CLAIM_DOUBT_MS: an anomaly if the origin has not said since that the seq
 * exists. */
void node_check_claims(struct node *n, int64_t now)
{
	for (size_t i = 0; i < n->n_peers; i++) {
		struct peer *p = &n->peers[i];
		if (!p->doubt_at || now - p->doubt_at < CLAIM_DOUBT_MS)
			continue;
		p->doubt_at = 0;
		uint64_t known = fsb_seq_known_seq(n->seq, p->doubt_origin);
		if (p->doubt_seq > known && !said_before(p, p->doubt_origin, 0))
			say_anomaly(n, p, p->doubt_origin, p->doubt_seq, known);
	}
}

