/* node_cases.c - each case's current state, retained on the agency's
 * broker at {root}/cases/{id}, so a dashboard sees cases without polling.
 *
 * A case changes when one of its messages enters the log, when a peer's
 * checkpoint shows it now holds one of this node's messages, and when a
 * deadline passes. So the publisher follows the log (like the inbox
 * mirror, from a saved position: a restart republishes at most a few),
 * takes the ranges of its own stream that peers newly hold, and keeps the
 * next deadlines of the cases it published. The JSON is the query layer's
 * case rendered as `fsbridge case --json` prints it, without the timeline.
 */
#include "node_shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "query.h"
#include "render_case.h"

/* The case ids of one turn, each published once. */
struct turn {
	char (*ids)[FSB_MESSAGE_ID_MAX + 1];
	size_t n;
};

static void turn_add(struct turn *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->ids[i], id) == 0)
			return;
	if (t->n < CASES_PER_TURN)
		snprintf(t->ids[t->n++], FSB_MESSAGE_ID_MAX + 1, "%s", id);
}

/* Keeps the case's next deadline, if one is ahead: the earliest
 * CASES_DUE_MAX are kept. */
static void schedule(struct node *n, const struct fsb_case *c, int64_t now)
{
	int64_t next = INT64_MAX;
	if (c->state != FSB_CASE_STATE_OPEN)
		return;
	for (size_t i = 0; i < c->n_parties; i++)
		if (!c->parties[i].acknowledged && c->parties[i].due_ms > now &&
		    c->parties[i].due_ms < next)
			next = c->parties[i].due_ms;
	for (size_t i = 0; i < c->n_requests; i++)
		if (!c->requests[i].answers && c->requests[i].respond_by_ms > now &&
		    c->requests[i].respond_by_ms < next)
			next = c->requests[i].respond_by_ms;
	if (next == INT64_MAX)
		return;
	size_t slot = n->n_due, latest = 0;
	for (size_t i = 0; i < n->n_due; i++) {
		if (strcmp(n->due[i].id, c->id) == 0) {
			slot = i;
			break;
		}
		if (n->due[i].at > n->due[latest].at)
			latest = i;
	}
	if (slot == n->n_due && n->n_due == CASES_DUE_MAX) {
		if (n->due[latest].at <= next)
			return;
		slot = latest;
	} else if (slot == n->n_due) {
		n->n_due++;
	}
	n->due[slot].at = next;
	snprintf(n->due[slot].id, sizeof n->due[slot].id, "%s", c->id);
}

static struct fsb_case_opts case_opts(const struct node *n, int64_t now)
{
	struct fsb_case_opts o = {.now_ms = now, .ack_alert_ms = n->cfg->ack_alert_ms,
				  .ack_other_ms = n->cfg->ack_other_ms};
	return o;
}

/* Publishes case id (retained); FSB_EIO when the local broker took it not. */
static int publish_case(struct node *n, struct fsb_query *q, const char *id, int64_t now)
{
	struct fsb_case c;
	struct fsb_case_opts o = case_opts(n, now);
	int rc = fsb_query_case(q, id, &o, &c);
	if (rc == FSB_ENOTFOUND)
		return 0;
	if (rc) {
		node_say(n, "WARN", "case %s: %s", id, fsb_store_error(n->store));
		return 0; /* tried again when the case changes */
	}
	struct fsb_out out;
	fsb_out_init(&out);
	fsb_render_case_json(&out, &c);
	char topic[FSB_TOPIC_MAX], suffix[FSB_MESSAGE_ID_MAX + 8];
	snprintf(suffix, sizeof suffix, "cases/%s", c.id);
	if (fsb_out_finish(&out) == 0 && fsb_topic_local(topic, n->cfg->local_root, suffix))
		rc = node_publish(n, CONN_LOCAL, topic, out.buf, out.len, 1, 0);
	if (rc == 0)
		schedule(n, &c, now);
	fsb_out_clear(&out);
	fsb_case_clear(&c);
	return rc;
}

/* The cases of the entries after n->cases_upto, at most CASES_PER_TURN of
 * them, read in the view's snapshot (a thread has one LMDB read
 * transaction at a time, and the cases are computed in that snapshot);
 * returns the last entry read. */
static uint64_t follow_log(struct node *n, struct fsb_view *v, struct turn *t)
{
	uint64_t upto = n->cases_upto;
	for (int k = 0; k < CASES_PER_TURN && t->n < CASES_PER_TURN; k++) {
		struct fsb_entry e;
		if (fsb_view_get(v, upto + 1, &e))
			break; /* the end of the log (or an entry audit verify will name) */
		char id[FSB_MESSAGE_ID_MAX + 1];
		struct fsb_case_row row;
		snprintf(id, sizeof id, "%s:%llu", e.origin, (unsigned long long)e.seq);
		if (fsb_view_case(v, id, &row) == 0)
			turn_add(t, row.id);
		upto++;
	}
	return upto;
}

/* The deadlines of the open cases a node starts with: their state changes
 * with time, not only with messages. They are read a few a turn, after
 * the last one read, while no stream message came for a while: a node
 * with thousands of open cases starts at once, and a catch-up is not
 * slowed. A case found overdue is published again. */
struct sweep {
	struct node *n;
	struct fsb_query *q;
	int64_t now;
	int count;
};

static int sweep_one(void *ctx, const struct fsb_case_row *row)
{
	struct sweep *s = ctx;
	if (s->count++ == CASES_PER_TURN)
		return 1;
	struct fsb_case c;
	struct fsb_case_opts o = case_opts(s->n, s->now);
	int overdue = 0;
	if (fsb_query_case(s->q, row->id, &o, &c) == 0) {
		schedule(s->n, &c, s->now);
		overdue = c.overdue;
	}
	fsb_case_clear(&c);
	/* A deadline that passed while the node was down: its broker still
	 * holds the state from before. */
	if (overdue && publish_case(s->n, s->q, row->id, s->now))
		return 1; /* the same case again next turn */
	snprintf(s->n->sweep_after, sizeof s->n->sweep_after, "%s", row->id);
	return 0;
}

static void sweep_open(struct node *n, struct fsb_view *v, struct fsb_query *q, int64_t now)
{
	struct sweep s = {n, q, now, 0};
	if (fsb_view_cases(v, 1, n->sweep_after[0] ? n->sweep_after : NULL, sweep_one, &s) == 0)
		n->sweeping = 0; /* every open case seen */
}

void node_run_cases(struct node *n, int64_t now)
{
	if (!n->c[CONN_LOCAL].connected)
		return;
	/* Publishing calls into Paho, and while the loop does, the inbound
	 * queue cannot hold the broker back (node.c, on_event): while a
	 * backlog flows in, cases are published once a second, what changed
	 * meanwhile at once. */
	if (now - n->received_at < CASES_BUSY_MS && now - n->cases_run_at < CASES_BUSY_MS)
		return;
	n->cases_run_at = now;
	struct fsb_view *v;
	if (fsb_store_view_open(n->store, &v))
		return;
	char ids[CASES_PER_TURN][FSB_MESSAGE_ID_MAX + 1];
	struct turn t = {ids, 0};
	uint64_t upto = follow_log(n, v, &t);
	/* This node's messages that peers now hold, once their checkpoints
	 * are in the store the query reads. */
	while (n->deliv_to && !n->cp_unsaved && t.n < CASES_PER_TURN) {
		char id[FSB_MESSAGE_ID_MAX + 1];
		struct fsb_case_row row;
		snprintf(id, sizeof id, "%s:%llu", n->origin, (unsigned long long)n->deliv_from);
		if (fsb_view_case(v, id, &row) == 0)
			turn_add(&t, row.id);
		if (n->deliv_from++ == n->deliv_to)
			n->deliv_from = n->deliv_to = 0;
	}
	/* Deadlines passed. */
	for (size_t i = 0; i < n->n_due && t.n < CASES_PER_TURN;) {
		if (n->due[i].at > now) {
			i++;
			continue;
		}
		turn_add(&t, n->due[i].id);
		n->due[i] = n->due[--n->n_due];
	}
	int sweep = n->sweeping && now - n->received_at >= CASES_SWEEP_QUIET_MS;
	int failed = 0;
	struct fsb_query *q = NULL;
	if ((t.n || sweep) && fsb_query_open(v, &q))
		failed = 1;
	for (size_t i = 0; i < t.n && !failed; i++)
		failed = publish_case(n, q, t.ids[i], now) != 0;
	if (sweep && q)
		sweep_open(n, v, q, now);
	fsb_query_close(q);
	fsb_store_view_close(v);
	if (!failed)
		n->cases_upto = upto; /* else the same entries next turn */
}

void node_load_cases(struct node *n)
{
	char *note = NULL;
	if (fsb_store_get_note(n->store, "cases", &note) == 0) {
		n->cases_upto = strtoull(note, NULL, 10);
	} else {
		/* A node that did not publish cases before publishes them as
		 * they change from now on. */
		struct fsb_store_stats st;
		if (fsb_store_stats(n->store, &st) == 0)
			n->cases_upto = st.last_index;
	}
	free(note);
	n->sweeping = 1;
	n->sweep_after[0] = '\0';
}

void node_save_cases(struct node *n, int64_t now, int force)
{
	if (n->cases_upto == n->cases_saved || (!force && now - n->cases_saved_at < MIRROR_NOTE_MS))
		return;
	char note[32];
	snprintf(note, sizeof note, "%llu", (unsigned long long)n->cases_upto);
	if (fsb_store_put_note(n->store, "cases", note) == 0)
		n->cases_saved = n->cases_upto;
	n->cases_saved_at = now;
}
