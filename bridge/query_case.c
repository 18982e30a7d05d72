/* query_case.c - a case, computed from its members (README, "Cases").
 *
 * The case index gives the members; each is decoded once, and the case's
 * state follows from them and from the peers' checkpoints: who the root is
 * addressed to, who holds it, who acknowledged it and when, what measures
 * each reported, which requests wait for an answer, and what is late.
 * Whether a case is open comes from the same rules the index keeps
 * (case_rule.h), so a list and a case never disagree.
 */
#include "query_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_rule.h"
#include "error.h"
#include "format.h"
#include "mem.h"

/* What the exchange says about who holds what: the peers' latest
 * checkpoints, and every origin known (streams held, peers heard). */
struct exchange {
	struct fsb_control *cps;
	size_t n_cps, cap_cps;
	char (*origins)[FSB_ORIGIN_MAX + 1];
	size_t n_origins, cap_origins;
};

static int add_origin(struct exchange *x, const char *origin)
{
	for (size_t i = 0; i < x->n_origins; i++)
		if (strcmp(x->origins[i], origin) == 0)
			return 0;
	if (fsb_mem_grow(&x->origins, &x->cap_origins, x->n_origins, sizeof *x->origins))
		return FSB_ENOMEM;
	snprintf(x->origins[x->n_origins++], FSB_ORIGIN_MAX + 1, "%s", origin);
	return 0;
}

static int take_stream(void *ctx, const char *origin, uint64_t seq)
{
	(void)seq;
	return add_origin(ctx, origin);
}

static int take_checkpoint(void *ctx, const char *peer, const uint8_t *env, size_t len)
{
	struct exchange *x = ctx;
	int rc = add_origin(x, peer);
	if (rc)
		return rc;
	struct fsb_envelope_view ev;
	struct fsb_control c;
	char err[128];
	/* Kept only after its signature was checked; a record that no longer
	 * reads says nothing about delivery. */
	if (fsb_envelope_view(env, len, &ev) ||
	    fsb_control_unpack(ev.payload, ev.payload_len, ev.payload_len, &c, err, sizeof err))
		return 0;
	if (c.type != FSB_CONTROL_CHECKPOINT || strcmp(c.origin, peer) != 0) {
		fsb_control_clear(&c);
		return 0;
	}
	if (fsb_mem_grow(&x->cps, &x->cap_cps, x->n_cps, sizeof *x->cps)) {
		fsb_control_clear(&c);
		return FSB_ENOMEM;
	}
	x->cps[x->n_cps++] = c;
	return 0;
}

static void exchange_clear(struct exchange *x)
{
	for (size_t i = 0; i < x->n_cps; i++)
		fsb_control_clear(&x->cps[i]);
	free(x->cps);
	free(x->origins);
	memset(x, 0, sizeof *x);
}

static int exchange_load(struct fsb_view *v, struct exchange *x)
{
	memset(x, 0, sizeof *x);
	int rc = add_origin(x, fsb_view_origin(v));
	if (rc == 0)
		rc = fsb_view_streams(v, take_stream, x);
	if (rc == 0)
		rc = fsb_view_checkpoints(v, take_checkpoint, x);
	if (rc)
		exchange_clear(x);
	return rc;
}

struct fsb_query {
	struct fsb_view *v;
	struct exchange x;
	int loaded;
};

int fsb_query_open(struct fsb_view *v, struct fsb_query **out)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return FSB_ENOMEM;
	(*out)->v = v;
	return 0;
}

struct fsb_view *query_view(struct fsb_query *q)
{
	return q->v;
}

void fsb_query_close(struct fsb_query *q)
{
	if (!q)
		return;
	exchange_clear(&q->x);
	free(q);
}

static int exchange_of(struct fsb_query *q, const struct exchange **x)
{
	int rc = 0;
	if (!q->loaded && (rc = exchange_load(q->v, &q->x)) == 0)
		q->loaded = 1;
	*x = &q->x;
	return rc;
}

/* peer's latest checkpoint, or NULL. */
static const struct fsb_control *checkpoint_of(const struct exchange *x, const char *peer)
{
	for (size_t i = 0; i < x->n_cps; i++)
		if (strcmp(x->cps[i].origin, peer) == 0)
			return &x->cps[i];
	return NULL;
}

/* How far checkpoint cp says its sender holds origin's stream (0: none). */
static uint64_t holds(const struct fsb_control *cp, const char *origin)
{
	for (size_t k = 0; cp && k < cp->n_streams; k++)
		if (strcmp(cp->streams[k].origin, origin) == 0)
			return cp->streams[k].seq;
	return 0;
}

/* Whether peer's checkpoint says it holds origin's stream up to seq. */
static int covers(const struct exchange *x, const char *peer, const char *origin, uint64_t seq)
{
	return holds(checkpoint_of(x, peer), origin) >= seq;
}

int query_peers(struct fsb_query *q, const char *origin, query_peer_fn fn, void *ctx)
{
	const struct exchange *x;
	int rc = exchange_of(q, &x);
	for (size_t i = 0; rc == 0 && i < x->n_origins; i++) {
		const struct fsb_control *cp = checkpoint_of(x, x->origins[i]);
		int64_t when = INT64_MIN;
		if (cp && fsb_fmt_timestamp(cp->issued_at, &when))
			when = INT64_MIN;
		rc = fn(ctx, x->origins[i], cp != NULL, holds(cp, origin), when);
	}
	return rc;
}

/* ---- members ---------------------------------------------------------------- */

static char *dup(const char *s)
{
	return strdup(s ? s : "");
}

static void event_clear(struct fsb_case_event *e)
{
	free(e->unit);
	free(e->officer);
	free(e->text);
}

/* What the case needs of its root beyond what goes into struct fsb_case. */
struct root {
	int found;
	int alerting;                  /* it calls for action (the case index says) */
	const char *const *recipients; /* into msg */
	size_t n_recipients;
	struct fsb_message *msg;
};

/* Reads member `index` into e; the root's facts go into c and r. */
static int read_member(struct fsb_view *v, uint64_t index, struct fsb_case *c,
		       struct fsb_case_event *e, struct root *r)
{
	memset(e, 0, sizeof *e);
	struct fsb_entry ent;
	struct fsb_message *m;
	int rc = query_read(v, index, &ent, &m);
	if (rc)
		return rc;
	snprintf(e->id, sizeof e->id, "%s:%llu", ent.origin, (unsigned long long)ent.seq);
	snprintf(e->origin, sizeof e->origin, "%s", ent.origin);
	e->issued_at_ms = ent.issued_at_ms;
	e->respond_by_ms = INT64_MIN;
	if (!m) {
		e->unit = dup("");
		e->officer = dup("");
		e->text = dup("");
		return e->unit && e->officer && e->text ? 0 : FSB_ENOMEM;
	}
	struct fsb_case_facts f;
	fsb_message_case_facts(m, &f);
	e->kind = fsb_message_kind(m);
	e->type = f.type;
	snprintf(e->ref_id, sizeof e->ref_id, "%s", f.ref_id);
	e->respond_by_ms = f.respond_by_ms;
	e->unit = dup(f.header.issuer);
	e->officer = dup(f.officer);
	e->text = dup(f.text[0] ? f.text : f.reason[0] ? f.reason : f.subject);
	e->n_measures = f.n_measures;
	memcpy(e->measures, f.measures, sizeof e->measures);
	e->classification = f.classification;
	e->recall_class = f.recall_class;
	e->risk = f.risk;
	rc = e->unit && e->officer && e->text ? 0 : FSB_ENOMEM;
	if (rc == 0 && strcmp(e->id, c->id) == 0 && !r->found) {
		r->found = 1;
		r->recipients = f.recipients;
		r->n_recipients = f.n_recipients;
		r->msg = m; /* kept for its recipients */
		c->kind = e->kind;
		c->opened_ms = e->issued_at_ms;
		c->classification = f.classification;
		c->recall_class = f.recall_class;
		c->risk = f.risk;
		c->verdict = f.verdict;
		c->notice_type = f.notice_type;
		c->detected_ms = f.detected_at_ms;
		free(c->subject);
		free(c->unit);
		c->subject = dup(f.subject);
		c->unit = dup(f.header.issuer);
		return c->subject && c->unit ? 0 : FSB_ENOMEM;
	}
	fsb_message_free(m);
	return rc;
}

static int by_time(const void *a, const void *b)
{
	const struct fsb_case_event *x = a, *y = b;
	if (x->issued_at_ms != y->issued_at_ms)
		return x->issued_at_ms < y->issued_at_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

static const struct fsb_case_event *find_event(const struct fsb_case_event *ev, size_t n,
					       const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ev[i].id, id) == 0)
			return &ev[i];
	return NULL;
}

struct fsb_message *query_decode(const struct fsb_entry *e)
{
	struct fsb_envelope_view ev;
	struct fsb_message *m = NULL;
	if (fsb_envelope_view(e->envelope, e->envelope_len, &ev) ||
	    fsb_message_unpack(ev.payload, ev.payload_len, QUERY_STORED_MAX_BYTES, &m, NULL))
		return NULL;
	return m;
}

int query_read(struct fsb_view *v, uint64_t index, struct fsb_entry *e, struct fsb_message **m)
{
	*m = NULL;
	int rc = fsb_view_get(v, index, e);
	if (rc == 0)
		*m = query_decode(e);
	return rc;
}

const char *fsb_case_state_name(enum fsb_case_state s)
{
	switch (s) {
	case FSB_CASE_STATE_OPEN: return "open";
	case FSB_CASE_STATE_INFORMATION: return "information";
	case FSB_CASE_STATE_CLOSED: return "closed";
	case FSB_CASE_STATE_WITHDRAWN: return "withdrawn";
	}
	return NULL;
}

enum fsb_case_state query_case_state(unsigned flags)
{
	if (flags & FSB_CASE_WITHDRAWN)
		return FSB_CASE_STATE_WITHDRAWN;
	if (flags & FSB_CASE_CLOSED)
		return FSB_CASE_STATE_CLOSED;
	return fsb_case_is_open(flags) ? FSB_CASE_STATE_OPEN : FSB_CASE_STATE_INFORMATION;
}

static int urgent(const struct fsb_case *c)
{
	return (c->recall_class && strcmp(c->recall_class, "RECALL_CLASS_I") == 0) ||
	       (c->classification && strcmp(c->classification, "RASFF_CLASSIFICATION_ALERT") == 0);
}

static int add_party(struct fsb_case *c, const char *origin)
{
	if (strcmp(origin, c->origin) == 0)
		return 0;
	for (size_t i = 0; i < c->n_parties; i++)
		if (strcmp(c->parties[i].origin, origin) == 0)
			return 0;
	struct fsb_case_party *p = realloc(c->parties, (c->n_parties + 1) * sizeof *p);
	if (!p)
		return FSB_ENOMEM;
	c->parties = p;
	p = &c->parties[c->n_parties++];
	memset(p, 0, sizeof *p);
	snprintf(p->origin, sizeof p->origin, "%s", origin);
	p->due_ms = INT64_MIN;
	p->ack_at_ms = INT64_MIN;
	return 0;
}

static int party_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fsb_case_party *)a)->origin,
		      ((const struct fsb_case_party *)b)->origin);
}

/* Parties, requests, deadlines and the current classification, from the
 * events (sorted) and the root. */
static int derive(struct fsb_case *c, struct fsb_case_event *ev, size_t n,
		  const struct root *r, const struct exchange *x, const char *self,
		  const struct fsb_case_opts *o)
{
	int rc = 0;
	/* Withdrawn messages, closure, reclassifications (the root's origin). */
	for (size_t i = 0; i < n; i++) {
		const struct fsb_case_event *e = &ev[i];
		if (e->type == FSB_FU_WITHDRAWAL) {
			struct fsb_case_event *t = (struct fsb_case_event *)find_event(ev, n, e->ref_id);
			if (t && strcmp(t->origin, e->origin) == 0)
				t->withdrawn = 1;
		}
		if (!fsb_case_same_origin(c->id, e->origin))
			continue;
		if (e->type == FSB_FU_RECLASSIFICATION) {
			if (e->classification)
				c->classification = e->classification;
			if (e->recall_class)
				c->recall_class = e->recall_class;
			if (e->risk)
				c->risk = e->risk;
		}
		if (c->closed_ms == INT64_MIN &&
		    fsb_case_member_flags(c->id, e->origin, e->type, e->ref_id) &
			    (FSB_CASE_CLOSED | FSB_CASE_WITHDRAWN))
			c->closed_ms = e->issued_at_ms;
	}
	/* Whom the root is addressed to: its recipients, or every province known. */
	if (r->found && r->n_recipients) {
		for (size_t i = 0; i < r->n_recipients && rc == 0; i++)
			rc = add_party(c, r->recipients[i]);
	} else if (r->found) {
		for (size_t i = 0; i < x->n_origins && rc == 0; i++)
			rc = add_party(c, x->origins[i]);
	}
	if (rc)
		return rc;
	if (c->n_parties) /* (qsort wants an array, even of none) */
		qsort(c->parties, c->n_parties, sizeof *c->parties, party_cmp);
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq = 0;
	fsb_fmt_message_id(c->id, origin, &seq);
	int open = c->state == FSB_CASE_STATE_OPEN;
	for (size_t i = 0; i < c->n_parties; i++) {
		struct fsb_case_party *p = &c->parties[i];
		p->delivered = strcmp(p->origin, self) == 0 ? c->root_held
							    : covers(x, p->origin, origin, seq);
		for (size_t k = 0; k < n; k++) {
			const struct fsb_case_event *e = &ev[k];
			if (strcmp(e->origin, p->origin) != 0 || e->withdrawn)
				continue;
			p->delivered = 1; /* it answered: it holds the case */
			if (e->type == FSB_FU_ACKNOWLEDGEMENT && !p->acknowledged) {
				p->acknowledged = 1;
				p->ack_at_ms = e->issued_at_ms;
				if (!(p->ack_unit = dup(e->unit)) || !(p->ack_officer = dup(e->officer)))
					return FSB_ENOMEM;
			}
			if (e->type == FSB_FU_MEASURES)
				p->measures += e->n_measures;
		}
		if (r->alerting && c->opened_ms != INT64_MIN) {
			p->due_ms = c->opened_ms + (urgent(c) ? o->ack_alert_ms : o->ack_other_ms);
			p->overdue = open && !p->acknowledged && o->now_ms > p->due_ms;
			c->overdue |= p->overdue;
		}
	}

	/* Requests and their answers. */
	for (size_t i = 0; i < n; i++) {
		const struct fsb_case_event *e = &ev[i];
		if (e->type != FSB_FU_REQUEST || e->withdrawn)
			continue;
		struct fsb_case_request *q = realloc(c->requests, (c->n_requests + 1) * sizeof *q);
		if (!q)
			return FSB_ENOMEM;
		c->requests = q;
		q = &c->requests[c->n_requests++];
		memset(q, 0, sizeof *q);
		snprintf(q->id, sizeof q->id, "%s", e->id);
		snprintf(q->asker, sizeof q->asker, "%s", e->origin);
		q->asked_at_ms = e->issued_at_ms;
		q->respond_by_ms = e->respond_by_ms;
		q->answered_at_ms = INT64_MIN;
		if (!(q->text = dup(e->text)))
			return FSB_ENOMEM;
		for (size_t k = 0; k < n; k++) {
			const struct fsb_case_event *a = &ev[k];
			if (a->type != FSB_FU_RESPONSE || a->withdrawn || strcmp(a->ref_id, e->id) != 0)
				continue;
			if (q->answers++ == 0) {
				snprintf(q->answer_id, sizeof q->answer_id, "%s", a->id);
				snprintf(q->answered_by, sizeof q->answered_by, "%s", a->origin);
				q->answered_at_ms = a->issued_at_ms;
			}
		}
		q->overdue = open && !q->answers && q->respond_by_ms != INT64_MIN &&
			     o->now_ms > q->respond_by_ms;
		c->overdue |= q->overdue;
	}
	return 0;
}

static int compute(struct fsb_view *v, const struct fsb_case_row *row, const struct exchange *x,
		   const struct fsb_case_opts *o, struct fsb_case *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->id, sizeof c->id, "%s", row->id);
	const char *colon = strchr(row->id, ':');
	snprintf(c->origin, sizeof c->origin, "%.*s",
		 (int)(colon ? (size_t)(colon - row->id) : strlen(row->id)), row->id);
	c->root_held = (row->flags & FSB_CASE_HELD) != 0;
	c->state = query_case_state(row->flags);
	c->opened_ms = c->detected_ms = c->closed_ms = c->updated_ms = INT64_MIN;
	uint64_t *idx = NULL;
	size_t n = 0, total = 0;
	int rc = fsb_view_case_members(v, row->id, FSB_CASE_MEMBERS_MAX, &idx, &n, &total);
	if (rc)
		return rc;
	/* A flooded case is read in part, but always with its root. */
	int root_read = !row->root_index;
	for (size_t i = 0; i < n && !root_read; i++)
		root_read = idx[i] == row->root_index;
	if (!root_read && n)
		idx[n - 1] = row->root_index;
	struct fsb_case_event *ev = calloc(n ? n : 1, sizeof *ev);
	struct root r = {.alerting = (row->flags & FSB_CASE_ALERT) != 0};
	size_t got = 0;
	c->subject = dup("");
	c->unit = dup("");
	if (!ev || !c->subject || !c->unit)
		rc = FSB_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = read_member(v, idx[i], c, &ev[i], &r);
		got = i + 1;
	}
	free(idx);
	if (rc == 0) {
		qsort(ev, n, sizeof *ev, by_time);
		c->messages = total;
		if (n)
			c->updated_ms = ev[n - 1].issued_at_ms;
	}
	if (rc == 0)
		rc = derive(c, ev, n, &r, x, fsb_view_origin(v), o);
	fsb_message_free(r.msg);
	if (rc == 0 && o->timeline) {
		c->events = ev;
		c->n_events = n;
		return 0;
	}
	for (size_t i = 0; i < got; i++)
		event_clear(&ev[i]);
	free(ev);
	return rc;
}

int fsb_query_case(struct fsb_query *q, const char *id, const struct fsb_case_opts *o,
		   struct fsb_case *out)
{
	memset(out, 0, sizeof *out);
	struct fsb_case_row row;
	const struct exchange *x;
	int rc = fsb_view_case(q->v, id, &row);
	if (rc || (rc = exchange_of(q, &x)))
		return rc;
	rc = compute(q->v, &row, x, o, out);
	if (rc)
		fsb_case_clear(out);
	return rc;
}

void fsb_case_clear(struct fsb_case *c)
{
	free(c->subject);
	free(c->unit);
	for (size_t i = 0; i < c->n_parties; i++) {
		free(c->parties[i].ack_unit);
		free(c->parties[i].ack_officer);
	}
	free(c->parties);
	for (size_t i = 0; i < c->n_requests; i++)
		free(c->requests[i].text);
	free(c->requests);
	for (size_t i = 0; i < c->n_events; i++)
		event_clear(&c->events[i]);
	free(c->events);
	memset(c, 0, sizeof *c);
}

/* ---- lists -------------------------------------------------------------------- */

struct list {
	struct fsb_view *v;
	const struct fsb_case_filter *f;
	const struct fsb_case_opts *o;
	const struct exchange *x;
	struct fsb_case *cases;
	size_t n, cap;
};

static int take_case(void *ctx, const struct fsb_case_row *row)
{
	struct list *l = ctx;
	if (l->f->origin && !fsb_case_same_origin(row->id, l->f->origin))
		return 0;
	if (fsb_mem_grow(&l->cases, &l->cap, l->n, sizeof *l->cases))
		return FSB_ENOMEM;
	struct fsb_case *c = &l->cases[l->n];
	int rc = compute(l->v, row, l->x, l->o, c);
	if (rc) {
		fsb_case_clear(c);
		return rc;
	}
	if ((l->f->kind != FSB_KIND_NONE && c->kind != l->f->kind) ||
	    (l->f->overdue_only && !c->overdue)) {
		fsb_case_clear(c);
		return 0;
	}
	l->n++;
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct fsb_case *x = a, *y = b;
	if (x->opened_ms != y->opened_ms) /* INT64_MIN (root not held) last */
		return x->opened_ms > y->opened_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

int fsb_query_cases(struct fsb_query *q, const struct fsb_case_filter *f,
		    const struct fsb_case_opts *o, struct fsb_case **cases, size_t *n)
{
	*cases = NULL;
	*n = 0;
	const struct exchange *x;
	int rc = exchange_of(q, &x);
	if (rc)
		return rc;
	struct fsb_case_opts lo = *o;
	lo.timeline = 0;
	struct list l = {.v = q->v, .f = f, .o = &lo, .x = x};
	rc = fsb_view_cases(q->v, f->open_only || f->overdue_only, NULL, take_case, &l);
	if (rc) {
		fsb_cases_free(l.cases, l.n);
		return rc;
	}
	if (l.n)
		qsort(l.cases, l.n, sizeof *l.cases, newest_first);
	*cases = l.cases;
	*n = l.n;
	return 0;
}

void fsb_cases_free(struct fsb_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fsb_case_clear(&cases[i]);
	free(cases);
}
