/* node_receive.c - stream messages from the exchange: opened, sequenced,
 * verified, appended; and the rejects of what could not be.
 *
 * A stream message is opened without its signature first (framing, header,
 * the certificate's identity); only then may it wait in the sequencer, and
 * only as the next of its stream. The sequencer calls back here to verify
 * and to release what it holds; what is in order is appended once a turn,
 * as one group commit (node_flush). A refused envelope is recorded as a
 * reject, in one transaction at the end of the turn.
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

void node_pending_free(struct pending *p)
{
	if (p) {
		free(p->raw);
		free(p);
	}
}

static void reject_pending(struct node *n, const struct pending *p, int code, const char *why)
{
	node_reject(n, p->topic, code, why, p->raw, p->raw_len, p->raw_len, p->arrival_ms);
}

/* ---- receiving stream messages ---------------------------------------------------------- */

/* fsb_seq_ops.verify: the signature, then whether the certificate was in
 * force at arrival. A failure is recorded here. */
int node_verify_pending(void *ctx, const char *origin, struct fsb_seq_item *it)
{
	struct node *n = ctx;
	struct pending *p = it->data;
	char why[512];
	n->n_verified++;
	int rc = fsb_seal_verify(n->trust, p->raw, p->raw_len, origin, p->issued_at_ms,
				 p->arrival_ms, n->cfg->max_clock_skew_ms, why, sizeof why);
	if (rc == FSB_EREVOKED || rc == FSB_EEXPIRED) {
		/* Authentic, but only a later message in force may vouch for it. */
		node_copy(p->stale, sizeof p->stale, why);
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

/* Refuses a stale message for good: a node_reject, and the sequencer keeps from
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
		node_pending_free(p);
}

/* fsb_seq_ops.release: a waiting message the sequencer lets go. */
void node_release_pending(void *ctx, const char *origin, struct fsb_seq_item *it,
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
	node_pending_free(p);
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
	fsb_sign_sha256(v.payload, v.payload_len, hash);
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
	int rc = fsb_seal_open(n->trust, e->payload, e->len, &o, &op, why, sizeof why);
	if (rc) {
		node_reject(n, e->topic, rc, why, e->payload, e->len, e->len, e->arrival_ms);
		return NULL;
	}
	struct pending *p = calloc(1, sizeof *p);
	if (!p) {
		fsb_seal_opened_clear(&op);
		return NULL;
	}
	struct fsb_header h;
	fsb_message_header(op.msg, &h);
	const char *cat = fsb_message_category(op.msg, p->category);
	p->kind = fsb_message_kind(op.msg);
	if (t->type == FSB_TOPIC_STREAM && (t->kind != p->kind || !cat || strcmp(cat, t->category) != 0)) {
		snprintf(why, sizeof why, "topic says %s/%s, the message is %s/%s", fsb_kind_name(t->kind),
			 t->category, fsb_kind_name(p->kind) ? fsb_kind_name(p->kind) : "?", cat ? cat : "?");
		node_reject(n, e->topic, FSB_EORIGIN, why, e->payload, e->len, e->len, e->arrival_ms);
		fsb_seal_opened_clear(&op);
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
		node_copy(p->warning, sizeof p->warning, w);
	}
	fsb_seal_opened_clear(&op);
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
		node_pending_free(p);
}

void node_on_stream_message(struct node *n, const struct fsb_topic *t, struct event *e)
{
	n->n_received++;
	n->received_at = e->arrival_ms;
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
		node_pending_free(p);
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
			node_pending_free(p);
			return;
		}
		int trust = node_verify_pending(n, p->origin, &it);
		if (trust < 0) {
			node_pending_free(p);
			return;
		}
		if (trust == FSB_SEQ_STALE) {
			refuse_stale(n, p, place == FSB_SEQ_HELD ? "another payload is held for this seq"
								: "and it is not the next of its stream");
			node_pending_free(p);
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
		node_flush(n);
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
/* What the append did with one message: counted, said, and its stream
 * told; 1 when the message was handed back to wait (it is not to be freed). */
static int settle(struct node *n, struct pending *p, enum fsb_append_result res, int was_waiting)
{
	char why[300];
	switch (res) {
	case FSB_APPENDED:
		n->n_appended++;
		if (p->trust == FSB_SEQ_VOUCHED)
			n->n_amortized++;
		fsb_seq_appended(n->seq, p->origin, p->seq, p->payload_hash);
		if (p->warnings)
			node_say(n, "WARN", "%s:%llu stored with content warnings: %s", p->origin,
				 (unsigned long long)p->seq, p->warning);
		n->mirror_dirty = 1;
		node_want_checkpoint(n);
		break;
	case FSB_DUPLICATE:
		n->n_duplicates++;
		break;
	case FSB_EQUIVOCATION:
		n->n_equivocations++;
		node_say(n, "ALARM", "equivocation: %s signed two different messages for seq %llu; the second is kept as evidence",
			 p->origin, (unsigned long long)p->seq);
		break;
	case FSB_BROKEN_LINK:
		reject_pending(n, p, FSB_ESIGNATURE,
			       "prev_hash does not link to the payload held for seq - 1");
		fsb_seq_refused(n->seq, p->origin, p->seq, p->payload_hash);
		break;
	case FSB_BACKWARDS:
		snprintf(why, sizeof why, "issuedAt goes back before the one of %s:%llu", p->origin,
			 (unsigned long long)p->seq - 1);
		reject_pending(n, p, FSB_EINVALID, why);
		fsb_seq_refused(n->seq, p->origin, p->seq, p->payload_hash);
		break;
	case FSB_GAP:
		/* Not stored (or the store failed): it waits again; a second
		 * message for a seq whose first is not appended yet, too. */
		if (was_waiting)
			offer(n, p);
		else
			keep_conflict(n, p);
		return 1;
	}
	return 0;
}

/* The store could not append (a full disk may get space back): the
 * messages wait and are tried again, and it is said once in a while, not
 * on every turn. */
static void append_failed(struct node *n, size_t k)
{
	int64_t now = fsb_fmt_now_ms();
	n->append_retry_at = now + APPEND_RETRY_MS;
	if (now - n->append_error_said_at > 5000) {
		n->append_error_said_at = now;
		node_say(n, "ERROR", "cannot append %zu received messages: %s", k,
			 fsb_store_error(n->store));
	}
}

/* Whether the node is busy: messages come in fast (at BUSY_PER_S or more
 * over the last BUSY_WINDOW_MS), or from several origins at once. Then
 * runs are held up to HOLD_MS + HOLD_PER_PEER_MS x peers to grow, each
 * costing one signature check however long (at 34 provinces the checks
 * are what the node spends its time on); a lone stream, or a trickle, is
 * appended at once. */
static int busy(struct node *n, int64_t now)
{
	const uint64_t per_window = BUSY_PER_S * BUSY_WINDOW_MS / 1000;
	if (now - n->rate_at >= BUSY_WINDOW_MS) {
		/* the window just ended, or (long after it) nothing recent */
		n->rate_last = now - n->rate_at < 2 * BUSY_WINDOW_MS ? n->n_received - n->rate_mark : 0;
		n->rate_mark = n->n_received;
		n->rate_at = now;
	}
	if (n->rate_last >= per_window || n->n_received - n->rate_mark >= per_window)
		return 1;
	const char *origin;
	size_t flowing = 0;
	for (size_t i = 0; flowing < 2 && (origin = fsb_seq_origin(n->seq, i)); i++) {
		int64_t oldest;
		flowing += fsb_seq_run(n->seq, origin, &oldest) > 0;
	}
	return flowing >= 2;
}

void node_flush(struct node *n)
{
	if (n->append_retry_at && fsb_fmt_now_ms() < n->append_retry_at)
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
	int64_t now = fsb_fmt_now_ms();
	/* Holding helps only while messages flow: once none came for
	 * HOLD_QUIET_MS the runs are as long as they will get. */
	int hold = busy(n, now) && !fsb_seq_pressed(n->seq) && now - n->received_at < HOLD_QUIET_MS;
	int64_t hold_ms = HOLD_MS + HOLD_PER_PEER_MS * (int64_t)n->n_peers;
	for (size_t i = 0; k < cap && (origin = fsb_seq_origin(n->seq, i)); i++) {
		int64_t oldest;
		size_t run = fsb_seq_run(n->seq, origin, &oldest);
		if (hold && run < HOLD_RUN && now - oldest < hold_ms)
			continue; /* let the run grow: one signature check for all of it */
		k += fsb_seq_take(n->seq, origin, items + k, cap - k);
	}
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
	if (fsb_store_append(n->store, in, k, res, idx)) {
		append_failed(n, k);
		for (size_t j = 0; j < k; j++)
			res[j] = FSB_GAP;
	} else {
		n->append_retry_at = 0;
	}
	for (size_t j = 0; j < k; j++) {
		struct pending *p = items[j].data;
		p->trust = items[j].trust;
		if (!settle(n, p, res[j], j < from_seq))
			node_pending_free(p);
	}
out:
	free(items);
	free(in);
	free(res);
	free(idx);
}

