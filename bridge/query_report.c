/* query_report.c - the programme report (README, "The programme report").
 *
 * One walk of the period's entries in order of issuedAt (the by_time
 * index: the entries before and after the period are never read), each
 * message decoded once and counted where it belongs; the case of each root
 * read from the case index (a recall's, and an open case's, computed in
 * full for its times and deadlines). Then the certificates, judged at the
 * period's last day, the safe chains, and what the peers' checkpoints say
 * of this node's messages. Everything inside the query's one snapshot.
 */
#include "query_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_rule.h"
#include "error.h"
#include "mem.h"

#define DAY_MS (24LL * 3600 * 1000)

const char *fsb_report_period(struct fsb_report_period *p, const char *from, const char *to,
			      const char **which)
{
	struct fsb_trace_query a, b;
	const char *why;
	memset(p, 0, sizeof *p);
	*which = "--from";
	if ((why = fsb_trace_at(&a, from, 0)))
		return why;
	*which = "--to";
	if ((why = fsb_trace_at(&b, to, 0)))
		return why;
	*which = "--from";
	if (strcmp(a.at_date, b.at_date) > 0)
		return "the period's first day is after its last (--to)";
	memcpy(p->from, a.at_date, sizeof p->from);
	memcpy(p->to, b.at_date, sizeof p->to);
	p->from_ms = a.at_ms - DAY_MS + 1; /* fsb_trace_at gives the day's last ms */
	p->to_ms = b.at_ms;
	return NULL;
}

/* ---- durations ------------------------------------------------------------- */

struct samples {
	int64_t *v;
	size_t n, cap;
	size_t count;
	int64_t max;
};

static int sample(struct samples *s, int64_t ms)
{
	if (s->count++ == 0 || ms > s->max)
		s->max = ms;
	if (s->n == FSB_REPORT_DURATIONS_MAX)
		return 0;
	if (fsb_mem_grow(&s->v, &s->cap, s->n, sizeof *s->v))
		return FSB_ENOMEM;
	s->v[s->n++] = ms;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The median (of two middle values, their mean) and the maximum; frees s. */
static void samples_done(struct samples *s, struct fsb_durations *d)
{
	memset(d, 0, sizeof *d);
	d->n = s->count;
	if (s->n) {
		qsort(s->v, s->n, sizeof *s->v, cmp_i64);
		d->median_ms = s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
		d->max_ms = s->max;
	}
	free(s->v);
	memset(s, 0, sizeof *s);
}

static void rate_of(struct fsb_report_rate *r)
{
	r->rate = r->samples ? 100.0 * (double)r->non_compliant / (double)r->samples : 0.0;
}

/* ---- what the walk gathers ---------------------------------------------------- */

#define CATEGORIES 16 /* the schema has 8 categories and "not given" */

/* One origin's counts. */
struct origin_acc {
	struct fsb_report_origin row;
	struct samples lag;
	struct fsb_report_surv cat[CATEGORIES];
	size_t n_cat;
	struct fsb_report_cases cases;
};

struct class_acc {
	const char *recall_class;
	size_t recalls, undated, acks_due, acks_missing, closed;
	struct samples notify, ack, close;
};

#define ANALYTE_SLOTS 2048 /* open addressing, over twice FSB_REPORT_ANALYTES_MAX */
_Static_assert(ANALYTE_SLOTS >= 2 * FSB_REPORT_ANALYTES_MAX, "the analyte table stays half empty");

struct reporting {
	struct fsb_query *q;
	struct fsb_view *v;
	const struct fsb_case_opts *o;
	struct fsb_report *r;
	struct origin_acc *origins;
	size_t n_origins, cap_origins;
	/* analytes: names, and hazard groups' totals */
	struct fsb_report_analyte *names, *groups;
	size_t n_names, cap_names, n_groups, cap_groups;
	uint32_t slot[ANALYTE_SLOTS]; /* index + 1 into names; 0 empty */
	/* recalls */
	struct fsb_report_recalls *recalls;
	size_t cap_recalls;
	struct class_acc *classes;
	size_t n_classes, cap_classes;
	/* quarantine */
	size_t cap_notices, cap_outbreaks;
	/* this node's own messages of the period */
	uint64_t own_lo, own_hi;
	size_t own;
};

static int wanted(const struct fsb_report *r, const char *origin)
{
	if (!r->n_origins)
		return 1;
	for (size_t i = 0; i < r->n_origins; i++)
		if (strcmp(r->origins[i], origin) == 0)
			return 1;
	return 0;
}

static struct origin_acc *origin_of(struct reporting *g, const char *origin)
{
	for (size_t i = 0; i < g->n_origins; i++)
		if (strcmp(g->origins[i].row.origin, origin) == 0)
			return &g->origins[i];
	if (fsb_mem_grow(&g->origins, &g->cap_origins, g->n_origins, sizeof *g->origins))
		return NULL;
	struct origin_acc *a = &g->origins[g->n_origins++];
	memset(a, 0, sizeof *a);
	snprintf(a->row.origin, sizeof a->row.origin, "%s", origin);
	snprintf(a->cases.origin, sizeof a->cases.origin, "%s", origin);
	return a;
}

/* The same enum value is the same static name: compared by pointer. */
static struct fsb_report_analyte *group_of(struct reporting *g, const char *hazard)
{
	for (size_t i = 0; i < g->n_groups; i++)
		if (g->groups[i].hazard == hazard)
			return &g->groups[i];
	if (fsb_mem_grow(&g->groups, &g->cap_groups, g->n_groups, sizeof *g->groups))
		return NULL;
	struct fsb_report_analyte *a = &g->groups[g->n_groups++];
	memset(a, 0, sizeof *a);
	a->hazard = hazard;
	return a;
}

static uint32_t analyte_hash(const char *hazard, const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h ^ (uint32_t)((uintptr_t)hazard >> 4);
}

/* The row of (hazard, name); NULL when the table is full (the result is
 * then counted in its group only), *err on memory. */
static struct fsb_report_analyte *name_of(struct reporting *g, const char *hazard,
					  const char *name, int *err)
{
	char key[FSB_REPORT_TEXT];
	snprintf(key, sizeof key, "%s", name); /* names longer than kept are one */
	for (uint32_t i = analyte_hash(hazard, key) & (ANALYTE_SLOTS - 1);; i = (i + 1) & (ANALYTE_SLOTS - 1)) {
		if (g->slot[i]) {
			struct fsb_report_analyte *a = &g->names[g->slot[i] - 1];
			if (a->hazard == hazard && strcmp(a->analyte, key) == 0)
				return a;
			continue;
		}
		if (g->n_names == FSB_REPORT_ANALYTES_MAX) {
			g->r->analytes_truncated = 1;
			return NULL;
		}
		if (fsb_mem_grow(&g->names, &g->cap_names, g->n_names, sizeof *g->names)) {
			*err = FSB_ENOMEM;
			return NULL;
		}
		struct fsb_report_analyte *a = &g->names[g->n_names++];
		memset(a, 0, sizeof *a);
		a->hazard = hazard;
		memcpy(a->analyte, key, sizeof key);
		g->slot[i] = (uint32_t)g->n_names;
		return a;
	}
}

static int count_surveillance(struct reporting *g, struct origin_acc *a, const struct fsb_message *m,
			      const struct fsb_report_facts *f)
{
	int nc = f->verdict && strcmp(f->verdict, "VERDICT_NON_COMPLIANT") == 0;
	struct fsb_report_surv *c = NULL;
	for (size_t i = 0; i < a->n_cat && !c; i++)
		if (a->cat[i].category == f->category)
			c = &a->cat[i];
	if (!c && a->n_cat < CATEGORIES) {
		c = &a->cat[a->n_cat++];
		memcpy(c->origin, a->row.origin, sizeof c->origin);
		c->category = f->category;
	}
	if (c) {
		c->r.samples++;
		c->r.non_compliant += (size_t)nc;
	}
	g->r->surv_total.samples++;
	g->r->surv_total.non_compliant += (size_t)nc;
	for (size_t i = 0; i < f->n_analytes; i++) {
		struct fsb_analyte_facts af;
		fsb_message_analyte(m, i, &af);
		int anc = af.verdict && strcmp(af.verdict, "VERDICT_NON_COMPLIANT") == 0, err = 0;
		struct fsb_report_analyte *grp = group_of(g, af.hazard);
		if (!grp)
			return FSB_ENOMEM;
		grp->r.samples++;
		grp->r.non_compliant += (size_t)anc;
		struct fsb_report_analyte *n = name_of(g, af.hazard, af.analyte, &err);
		if (err)
			return err;
		if (n) {
			n->r.samples++;
			n->r.non_compliant += (size_t)anc;
		}
	}
	return 0;
}

static struct class_acc *class_of(struct reporting *g, const char *recall_class)
{
	for (size_t i = 0; i < g->n_classes; i++)
		if (g->classes[i].recall_class == recall_class)
			return &g->classes[i];
	if (fsb_mem_grow(&g->classes, &g->cap_classes, g->n_classes, sizeof *g->classes))
		return NULL;
	struct class_acc *c = &g->classes[g->n_classes++];
	memset(c, 0, sizeof *c);
	c->recall_class = recall_class;
	return c;
}

/* A recall: by its current class and basis, and its times from detection. */
static int count_recall(struct reporting *g, const struct fsb_case *c, const struct fsb_report_facts *f)
{
	struct fsb_report *r = g->r;
	r->recalls_total++;
	struct fsb_report_recalls *row = NULL;
	for (size_t i = 0; i < r->n_recalls && !row; i++)
		if (r->recalls[i].recall_class == c->recall_class && r->recalls[i].basis == f->basis)
			row = &r->recalls[i];
	if (!row) {
		if (fsb_mem_grow(&r->recalls, &g->cap_recalls, r->n_recalls, sizeof *r->recalls))
			return FSB_ENOMEM;
		row = &r->recalls[r->n_recalls++];
		memset(row, 0, sizeof *row);
		row->recall_class = c->recall_class;
		row->basis = f->basis;
	}
	row->count++;
	struct class_acc *k = class_of(g, c->recall_class);
	if (!k)
		return FSB_ENOMEM;
	k->recalls++;
	k->closed += c->state == FSB_CASE_STATE_CLOSED;
	for (size_t i = 0; i < c->n_parties; i++) {
		const struct fsb_case_party *p = &c->parties[i];
		if (p->due_ms != INT64_MIN) {
			k->acks_due++;
			k->acks_missing += !p->acknowledged;
		}
	}
	if (c->detected_ms == INT64_MIN) {
		k->undated++;
		return 0;
	}
	int rc = sample(&k->notify, c->opened_ms - c->detected_ms);
	for (size_t i = 0; rc == 0 && i < c->n_parties; i++)
		if (c->parties[i].acknowledged)
			rc = sample(&k->ack, c->parties[i].ack_at_ms - c->detected_ms);
	if (rc == 0 && c->state == FSB_CASE_STATE_CLOSED && c->closed_ms != INT64_MIN)
		rc = sample(&k->close, c->closed_ms - c->detected_ms);
	return rc;
}

static int count_notice(struct reporting *g, const struct fsb_entry *e, const struct fsb_report_facts *f)
{
	struct fsb_report *r = g->r;
	r->notices_total++;
	struct fsb_report_count *row = NULL;
	for (size_t i = 0; i < r->n_notices && !row; i++)
		if (r->notices[i].name == f->notice_type)
			row = &r->notices[i];
	if (!row) {
		if (fsb_mem_grow(&r->notices, &g->cap_notices, r->n_notices, sizeof *r->notices))
			return FSB_ENOMEM;
		row = &r->notices[r->n_notices++];
		row->name = f->notice_type;
		row->count = 0;
	}
	row->count++;
	if (!f->notice_type || strncmp(f->notice_type, "NOTICE_TYPE_OUTBREAK_", 21) != 0)
		return 0;
	if (r->outbreaks_total++ >= FSB_REPORT_OUTBREAKS_MAX)
		return 0;
	if (fsb_mem_grow(&r->outbreaks, &g->cap_outbreaks, r->n_outbreaks, sizeof *r->outbreaks))
		return FSB_ENOMEM;
	struct fsb_report_outbreak *o = &r->outbreaks[r->n_outbreaks++];
	memset(o, 0, sizeof *o);
	snprintf(o->id, sizeof o->id, "%s:%llu", e->origin, (unsigned long long)e->seq);
	snprintf(o->origin, sizeof o->origin, "%s", e->origin);
	o->notice_type = f->notice_type;
	o->issued_ms = e->issued_at_ms;
	snprintf(o->disease, sizeof o->disease, "%s", f->disease);
	snprintf(o->species, sizeof o->species, "%s", f->species);
	/* commune, district, province: those given */
	const char *parts[] = {f->commune, f->district, f->province};
	size_t len = 0;
	for (size_t i = 0; i < 3; i++)
		if (parts[i][0] && len < sizeof o->place)
			len += (size_t)snprintf(o->place + len, sizeof o->place - len, "%s%s",
						len ? ", " : "", parts[i]);
	o->cases = f->case_count;
	o->deaths = f->death_count;
	o->destroyed = f->destroyed_count;
	return 0;
}

/* A root message: its case, and what it counts for unless withdrawn. */
static int count_root(struct reporting *g, struct origin_acc *a, const struct fsb_entry *e,
		      const struct fsb_message *m, const struct fsb_report_facts *f)
{
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", e->origin, (unsigned long long)e->seq);
	struct fsb_case_row row;
	int rc = fsb_view_case(g->v, id, &row);
	if (rc == FSB_ENOTFOUND) { /* not indexed as a case: counted as it reads */
		snprintf(row.id, sizeof row.id, "%s", id);
		row.flags = FSB_CASE_HELD;
		rc = 0;
	}
	if (rc)
		return rc;
	if (strcmp(row.id, id) != 0)
		return 0; /* a notice that changes a certificate: in its line, not a case of its own */
	enum fsb_case_state state = query_case_state(row.flags);
	struct fsb_case c = {0};
	int computed = 0;
	if (state != FSB_CASE_STATE_INFORMATION) {
		a->cases.opened++;
		a->cases.closed += state == FSB_CASE_STATE_CLOSED;
		a->cases.withdrawn += state == FSB_CASE_STATE_WITHDRAWN;
		if (state == FSB_CASE_STATE_OPEN || f->kind == FSB_KIND_RECALL) {
			if ((rc = fsb_query_case(g->q, id, g->o, &c)))
				return rc;
			computed = 1;
		}
		if (state == FSB_CASE_STATE_OPEN) {
			a->cases.open++;
			a->cases.overdue += (size_t)c.overdue;
		}
	}
	if (state == FSB_CASE_STATE_WITHDRAWN) {
		g->r->withdrawn++;
	} else if (f->kind == FSB_KIND_SURVEILLANCE) {
		rc = count_surveillance(g, a, m, f);
	} else if (f->kind == FSB_KIND_RECALL && computed) {
		rc = count_recall(g, &c, f);
	} else if (f->kind == FSB_KIND_QUARANTINE) {
		rc = count_notice(g, e, f);
	}
	fsb_case_clear(&c);
	return rc;
}

static int take_entry(void *ctx, uint64_t index, int64_t issued_at_ms)
{
	struct reporting *g = ctx;
	(void)issued_at_ms;
	struct fsb_entry e;
	int rc = fsb_view_get(g->v, index, &e);
	if (rc)
		return rc;
	if (!wanted(g->r, e.origin))
		return 0;
	struct origin_acc *a = origin_of(g, e.origin);
	if (!a)
		return FSB_ENOMEM;
	g->r->messages++;
	a->row.messages++;
	if (e.kind > FSB_KIND_NONE && e.kind <= FSB_KIND_MAX)
		a->row.by_kind[e.kind]++;
	if (e.direction == FSB_DIR_RECEIVED && (rc = sample(&a->lag, e.arrival_ms - e.issued_at_ms)))
		return rc;
	if (strcmp(e.origin, g->r->node) == 0) {
		if (g->own++ == 0)
			g->own_lo = e.seq;
		g->own_lo = e.seq < g->own_lo ? e.seq : g->own_lo;
		g->own_hi = e.seq > g->own_hi ? e.seq : g->own_hi;
	}
	struct fsb_message *m = query_decode(&e);
	if (!m) {
		g->r->not_read++;
		return 0;
	}
	struct fsb_report_facts f;
	fsb_message_report_facts(m, &f);
	if (f.kind != FSB_KIND_FOLLOWUP && f.kind != FSB_KIND_NONE)
		rc = count_root(g, a, &e, m, &f);
	fsb_message_free(m);
	return rc;
}

/* ---- certificates ---------------------------------------------------------------- */

struct certs {
	struct reporting *g;
	char (*roots)[FSB_MESSAGE_ID_MAX + 1];
	size_t n, cap;
};

static int take_cert(void *ctx, uint64_t index)
{
	struct certs *c = ctx;
	struct fsb_entry e;
	int rc = fsb_view_get(c->g->v, index, &e);
	if (rc || e.issued_at_ms > c->g->r->period.to_ms || c->n == FSB_REPORT_CERTS_MAX)
		return rc;
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", e.origin, (unsigned long long)e.seq);
	struct fsb_case_row row;
	if ((rc = fsb_view_case(c->g->v, id, &row)))
		return rc == FSB_ENOTFOUND ? 0 : rc;
	/* A line's notices follow its first: the root is met first, or is
	 * the last root added. */
	if (c->n && strcmp(c->roots[c->n - 1], row.id) == 0)
		return 0;
	if (fsb_mem_grow(&c->roots, &c->cap, c->n, sizeof *c->roots))
		return FSB_ENOMEM;
	memcpy(c->roots[c->n++], row.id, sizeof row.id);
	return 0;
}

static int cmp_root(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int count_certs(struct reporting *g, const struct fsb_trace_query *at)
{
	struct fsb_report *r = g->r;
	struct certs c = {.g = g};
	int rc = fsb_view_kind(g->v, FSB_KIND_CERTIFICATION, take_cert, &c);
	if (rc == 0 && c.n)
		qsort(c.roots, c.n, sizeof *c.roots, cmp_root);
	size_t cap = 0;
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		if (i && strcmp(c.roots[i], c.roots[i - 1]) == 0)
			continue;
		struct fsb_trace_cert t;
		if ((rc = query_cert_line(g->v, c.roots[i], at, &t)) || t.notices == 0 ||
		    !wanted(r, t.origin))
			continue;
		struct fsb_report_scheme *s = NULL;
		for (size_t k = 0; k < r->n_schemes && !s; k++)
			if (r->schemes[k].scheme == t.scheme)
				s = &r->schemes[k];
		if (!s) {
			if (fsb_mem_grow(&r->schemes, &cap, r->n_schemes, sizeof *r->schemes)) {
				rc = FSB_ENOMEM;
				break;
			}
			s = &r->schemes[r->n_schemes++];
			memset(s, 0, sizeof *s);
			s->scheme = t.scheme;
			s->international = t.international;
		}
		r->certs_total++;
		switch (t.state) {
		case FSB_CERT_IN_FORCE: s->in_force++; break;
		case FSB_CERT_NOT_YET_VALID: s->not_yet_valid++; break;
		case FSB_CERT_SUSPENDED: s->suspended++; break;
		case FSB_CERT_WITHDRAWN: s->withdrawn++; break;
		case FSB_CERT_EXPIRED: s->expired++; break;
		}
	}
	free(c.roots);
	return rc;
}

/* ---- the exchange ------------------------------------------------------------------ */

struct peers {
	struct reporting *g;
	size_t cap;
	const char *find; /* with found: is this origin known? */
	int found;
};

static int take_peer(void *ctx, const char *peer, int has_checkpoint, uint64_t holds,
		     int64_t checkpoint_ms)
{
	struct peers *p = ctx;
	struct reporting *g = p->g;
	struct fsb_report *r = g->r;
	if (p->find) {
		p->found |= strcmp(p->find, peer) == 0;
		return 0;
	}
	if (strcmp(peer, r->node) == 0)
		return 0;
	if (fsb_mem_grow(&r->peers, &p->cap, r->n_peers, sizeof *r->peers))
		return FSB_ENOMEM;
	struct fsb_report_peer *row = &r->peers[r->n_peers++];
	memset(row, 0, sizeof *row);
	snprintf(row->peer, sizeof row->peer, "%s", peer);
	row->checkpoint_ms = has_checkpoint ? checkpoint_ms : INT64_MIN;
	row->sent = g->own;
	/* A stream's messages of a period are consecutive: issuedAt never goes
	 * backwards within a stream. */
	if (has_checkpoint && g->own && holds >= g->own_lo)
		row->delivered = (size_t)((holds < g->own_hi ? holds : g->own_hi) - g->own_lo + 1);
	return 0;
}

static int cmp_peer(const void *a, const void *b)
{
	return strcmp(((const struct fsb_report_peer *)a)->peer, ((const struct fsb_report_peer *)b)->peer);
}

/* ---- putting it together ------------------------------------------------------------ */

static int cmp_origin(const void *a, const void *b)
{
	return strcmp(((const struct origin_acc *)a)->row.origin,
		      ((const struct origin_acc *)b)->row.origin);
}

static int cmp_name(const char *x, const char *y)
{
	return x == y ? 0 : !x ? 1 : !y ? -1 : strcmp(x, y);
}

static int cmp_surv(const void *a, const void *b)
{
	return cmp_name(((const struct fsb_report_surv *)a)->category,
			((const struct fsb_report_surv *)b)->category);
}

static int cmp_analyte(const void *a, const void *b)
{
	const struct fsb_report_analyte *x = a, *y = b;
	int c = cmp_name(x->hazard, y->hazard);
	return c ? c : strcmp(x->analyte, y->analyte); /* the group's total ("") first */
}

static int cmp_recalls(const void *a, const void *b)
{
	const struct fsb_report_recalls *x = a, *y = b;
	int c = cmp_name(x->recall_class, y->recall_class);
	return c ? c : cmp_name(x->basis, y->basis);
}

static int cmp_class(const void *a, const void *b)
{
	return cmp_name(((const struct class_acc *)a)->recall_class,
			((const struct class_acc *)b)->recall_class);
}

static int cmp_count(const void *a, const void *b)
{
	return cmp_name(((const struct fsb_report_count *)a)->name,
			((const struct fsb_report_count *)b)->name);
}

static int cmp_scheme(const void *a, const void *b)
{
	return cmp_name(((const struct fsb_report_scheme *)a)->scheme,
			((const struct fsb_report_scheme *)b)->scheme);
}

/* Surveillance by origin and category, each origin's total after its
 * categories; and by origin, the exchange and the cases. */
static int finish_origins(struct reporting *g)
{
	struct fsb_report *r = g->r;
	if (g->n_origins)
		qsort(g->origins, g->n_origins, sizeof *g->origins, cmp_origin);
	size_t rows = 0;
	for (size_t i = 0; i < g->n_origins; i++)
		rows += g->origins[i].n_cat + (g->origins[i].n_cat > 0);
	r->surv = calloc(rows ? rows : 1, sizeof *r->surv);
	r->by_origin = calloc(g->n_origins ? g->n_origins : 1, sizeof *r->by_origin);
	r->cases = calloc(g->n_origins + 1, sizeof *r->cases);
	if (!r->surv || !r->by_origin || !r->cases)
		return FSB_ENOMEM;
	struct fsb_report_cases *total = &r->cases[g->n_origins];
	for (size_t i = 0; i < g->n_origins; i++) {
		struct origin_acc *a = &g->origins[i];
		if (a->n_cat) {
			qsort(a->cat, a->n_cat, sizeof *a->cat, cmp_surv);
			struct fsb_report_surv sum = {.total = 1};
			snprintf(sum.origin, sizeof sum.origin, "%s", a->row.origin);
			for (size_t k = 0; k < a->n_cat; k++) {
				rate_of(&a->cat[k].r);
				sum.r.samples += a->cat[k].r.samples;
				sum.r.non_compliant += a->cat[k].r.non_compliant;
				r->surv[r->n_surv++] = a->cat[k];
			}
			rate_of(&sum.r);
			r->surv[r->n_surv++] = sum;
		}
		samples_done(&a->lag, &a->row.lag);
		r->by_origin[r->n_by_origin++] = a->row;
		r->cases[r->n_cases++] = a->cases;
		total->opened += a->cases.opened;
		total->closed += a->cases.closed;
		total->withdrawn += a->cases.withdrawn;
		total->open += a->cases.open;
		total->overdue += a->cases.overdue;
	}
	r->n_cases++; /* the total */
	rate_of(&r->surv_total);
	return 0;
}

/* Analytes: every group's total, then its names. */
static int finish_analytes(struct reporting *g)
{
	struct fsb_report *r = g->r;
	size_t n = g->n_groups + g->n_names;
	r->analytes = calloc(n ? n : 1, sizeof *r->analytes);
	if (!r->analytes)
		return FSB_ENOMEM;
	for (size_t i = 0; i < g->n_groups; i++)
		r->analytes[r->n_analytes++] = g->groups[i];
	for (size_t i = 0; i < g->n_names; i++)
		r->analytes[r->n_analytes++] = g->names[i];
	for (size_t i = 0; i < r->n_analytes; i++)
		rate_of(&r->analytes[i].r);
	if (r->n_analytes)
		qsort(r->analytes, r->n_analytes, sizeof *r->analytes, cmp_analyte);
	return 0;
}

/* Recall times by class, and over every class. */
static int finish_recalls(struct reporting *g)
{
	struct fsb_report *r = g->r;
	if (r->n_recalls)
		qsort(r->recalls, r->n_recalls, sizeof *r->recalls, cmp_recalls);
	if (g->n_classes)
		qsort(g->classes, g->n_classes, sizeof *g->classes, cmp_class);
	r->timeliness = calloc(g->n_classes + 1, sizeof *r->timeliness);
	if (!r->timeliness)
		return FSB_ENOMEM;
	struct class_acc all = {0};
	int rc = 0;
	for (size_t i = 0; i < g->n_classes; i++) {
		struct class_acc *k = &g->classes[i];
		struct samples *from[] = {&k->notify, &k->ack, &k->close};
		struct samples *to[] = {&all.notify, &all.ack, &all.close};
		for (size_t j = 0; j < 3; j++)
			for (size_t v = 0; rc == 0 && v < from[j]->n; v++)
				rc = sample(to[j], from[j]->v[v]);
		for (size_t j = 0; j < 3; j++) { /* those not kept count, and may be the maximum */
			to[j]->count += from[j]->count - from[j]->n;
			if (from[j]->count && from[j]->max > to[j]->max)
				to[j]->max = from[j]->max;
		}
		all.recalls += k->recalls;
		all.undated += k->undated;
		all.acks_due += k->acks_due;
		all.acks_missing += k->acks_missing;
		all.closed += k->closed;
	}
	for (size_t i = 0; i <= g->n_classes; i++) {
		struct class_acc *k = i < g->n_classes ? &g->classes[i] : &all;
		if (i == g->n_classes && g->n_classes == 0)
			break;
		struct fsb_report_timeliness *t = &r->timeliness[r->n_timeliness++];
		t->recall_class = k->recall_class;
		t->recalls = k->recalls;
		t->undated = k->undated;
		t->acks_due = k->acks_due;
		t->acks_missing = k->acks_missing;
		t->closed = k->closed;
		samples_done(&k->notify, &t->notify);
		samples_done(&k->ack, &t->ack);
		samples_done(&k->close, &t->close);
	}
	return rc;
}

static void reporting_clear(struct reporting *g)
{
	for (size_t i = 0; i < g->n_origins; i++)
		free(g->origins[i].lag.v);
	free(g->origins);
	free(g->names);
	free(g->groups);
	for (size_t i = 0; i < g->n_classes; i++) {
		free(g->classes[i].notify.v);
		free(g->classes[i].ack.v);
		free(g->classes[i].close.v);
	}
	free(g->classes);
}

int fsb_query_report(struct fsb_query *q, const struct fsb_report_period *p,
		     const char *const *origins, size_t n_origins, const struct fsb_case_opts *o,
		     struct fsb_report *out, const char **unknown)
{
	memset(out, 0, sizeof *out);
	*unknown = NULL;
	struct fsb_view *v = query_view(q);
	out->period = *p;
	out->made_ms = o->now_ms;
	snprintf(out->node, sizeof out->node, "%s", fsb_view_origin(v));
	struct reporting *g = calloc(1, sizeof *g);
	if (!g)
		return FSB_ENOMEM;
	*g = (struct reporting){.q = q, .v = v, .o = o, .r = out};
	int rc = 0;
	if (n_origins && !(out->origins = calloc(n_origins, sizeof *out->origins)))
		rc = FSB_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n_origins; i++) {
		struct peers k = {.g = g, .find = origins[i]};
		if ((rc = query_peers(q, "", take_peer, &k)))
			break;
		if (!k.found) {
			*unknown = origins[i];
			rc = FSB_ENOTFOUND;
			break;
		}
		snprintf(out->origins[out->n_origins++], FSB_ORIGIN_MAX + 1, "%s", origins[i]);
		if (!origin_of(g, origins[i])) /* shown, even with nothing in the period */
			rc = FSB_ENOMEM;
	}
	if (rc == 0)
		rc = fsb_view_period(v, p->from_ms, p->to_ms, take_entry, g);
	struct fsb_trace_query at;
	memset(&at, 0, sizeof at);
	at.at_ms = p->to_ms;
	memcpy(at.at_date, p->to, sizeof at.at_date);
	if (rc == 0)
		rc = count_certs(g, &at);
	if (rc == 0)
		rc = fsb_query_chains(q, &at, &out->chains);
	if (rc == 0 && wanted(out, out->node)) {
		struct peers k = {.g = g};
		rc = query_peers(q, out->node, take_peer, &k);
		if (rc == 0 && out->n_peers)
			qsort(out->peers, out->n_peers, sizeof *out->peers, cmp_peer);
	}
	if (rc == 0)
		rc = finish_origins(g);
	if (rc == 0)
		rc = finish_analytes(g);
	if (rc == 0)
		rc = finish_recalls(g);
	if (rc == 0 && out->n_notices)
		qsort(out->notices, out->n_notices, sizeof *out->notices, cmp_count);
	if (rc == 0 && out->n_schemes)
		qsort(out->schemes, out->n_schemes, sizeof *out->schemes, cmp_scheme);
	reporting_clear(g);
	free(g);
	if (rc)
		fsb_report_clear(out);
	return rc;
}

void fsb_report_clear(struct fsb_report *r)
{
	free(r->origins);
	free(r->surv);
	free(r->analytes);
	free(r->recalls);
	free(r->timeliness);
	free(r->notices);
	free(r->outbreaks);
	free(r->cases);
	free(r->schemes);
	fsb_chains_clear(&r->chains);
	free(r->by_origin);
	free(r->peers);
	memset(r, 0, sizeof *r);
}
