/* query_trace.c - a product or an establishment traced through the log,
 * and the safe chains (README, "Tracing").
 *
 * The trace index gives the candidates: the newest entries filed under the
 * product's GTIN (and lot), then under the keys of the establishments that
 * produce it or hold its certificates; each is decoded once and matched
 * again (codec.h, fsb_message_trace_facts), so the index only narrows the
 * search. A certificate is the line of notices in its case (the issuing
 * notice and those that renew, suspend, withdraw or expire it): its
 * standing at the trace's date is the latest notice issued by then. A
 * chain is every certificate whose notices name its id. Every read is
 * bounded (bounds.h), so the time follows the answer, not the log.
 */
#include "query_internal.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_rule.h"
#include "error.h"
#include "format.h"
#include "mem.h"

/* Copies s into dst of n bytes, cut at a character boundary. */
static void copy(char *dst, size_t n, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	if (len)
		memcpy(dst, s, len);
	dst[len] = '\0';
}

/* Appends s to a ", "-separated list in dst. */
static void list_add(char *dst, size_t n, const char *s)
{
	size_t len = strlen(dst);
	if (len && len + 2 < n)
		copy(dst + len, n - len, ", "), len += 2;
	if (len < n)
		copy(dst + len, n - len, s);
}

/* ---- the query ---------------------------------------------------------------- */

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

static const char *set_key(struct fsb_trace_query *q, enum fsb_trace_key key, const char *v)
{
	if (!v[0])
		return "nothing after the prefix";
	if (strlen(v) > FSB_TRACE_VALUE_MAX)
		return "too long to be an establishment's key";
	q->target.key = key;
	copy(q->target.value, sizeof q->target.value, v);
	return NULL;
}

static const char *set_gtin(struct fsb_trace_query *q, const char *v, const char *lot)
{
	static char why[160];
	const char *bad = fsb_fmt_gtin(v, q->target.gtin14);
	if (bad) {
		snprintf(why, sizeof why, "not a GTIN: %s", bad);
		return why;
	}
	if (lot && lot[0]) {
		if (strlen(lot) > FSB_DL_VALUE_MAX)
			return "a lot is at most 20 characters (GS1 AI 10)";
		copy(q->target.lot, sizeof q->target.lot, lot);
	}
	return NULL;
}

/* "(01)08938501234018(10)BL-0711": the GTIN and the lot of a GS1 element
 * string as a scanner of GS1-128 or DataMatrix gives it. */
static const char *element_string(struct fsb_trace_query *q, const char *s)
{
	char gtin[FSB_GTIN14_LEN + 1] = "", lot[FSB_DL_VALUE_MAX + 1] = "";
	while (*s) {
		const char *close = *s == '(' ? strchr(s, ')') : NULL;
		if (!close || close - s < 3 || close - s > 5)
			return "not a GS1 element string: expected (AI) before each value";
		char ai[5];
		memcpy(ai, s + 1, (size_t)(close - s - 1));
		ai[close - s - 1] = '\0';
		const char *v = close + 1, *end = strchr(v, '(');
		size_t n = end ? (size_t)(end - v) : strlen(v);
		if (strcmp(ai, "01") == 0) {
			if (n != FSB_GTIN14_LEN)
				return "not a GS1 element string: (01) takes 14 digits";
			memcpy(gtin, v, n);
			gtin[n] = '\0';
		} else if (strcmp(ai, "10") == 0) {
			if (n == 0 || n > FSB_DL_VALUE_MAX)
				return "not a GS1 element string: (10) takes 1 to 20 characters";
			memcpy(lot, v, n);
			lot[n] = '\0';
		}
		s = v + n;
	}
	if (!gtin[0])
		return "not a GS1 element string: no (01) GTIN";
	return set_gtin(q, gtin, lot);
}

const char *fsb_trace_parse(const char *query, const char *lot, struct fsb_trace_query *out)
{
	static char why[200];
	memset(&out->target, 0, sizeof out->target);
	out->also_gln = 0;
	const char *s = query;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	char buf[1024];
	if (n == 0)
		return "empty: give a Digital Link, a GTIN, a GLN or a tax code";
	if (n >= sizeof buf)
		return "too long to be a Digital Link, a GTIN, a GLN or a tax code";
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strncmp(buf, "http://", 7) == 0 || strncmp(buf, "https://", 8) == 0) {
		struct fsb_dl dl;
		const char *bad = fsb_fmt_dl_parse(buf, &dl);
		if (bad) {
			snprintf(why, sizeof why, "not a GS1 Digital Link: %s", bad);
			return why;
		}
		if (lot && lot[0] && dl.lot[0] && strcmp(lot, dl.lot) != 0)
			return "the link names another lot than the one given";
		return set_gtin(out, dl.gtin14, dl.lot[0] ? dl.lot : lot);
	}
	if (buf[0] == '(')
		return element_string(out, buf);
	if (strncmp(buf, "gtin:", 5) == 0)
		return set_gtin(out, buf + 5, lot);
	int gtin_like = all_digits(buf, n) && (n == 8 || n == 12 || n == 13 || n == 14);
	if (lot && lot[0] && !gtin_like)
		return "a lot goes with a GTIN";
	if (strncmp(buf, "gln:", 4) == 0) {
		const char *bad = fsb_fmt_gln(buf + 4);
		if (bad) {
			snprintf(why, sizeof why, "not a GLN: %s", bad);
			return why;
		}
		return set_key(out, FSB_TK_GLN, buf + 4);
	}
	if (strncmp(buf, "tax:", 4) == 0 || strncmp(buf, "mst:", 4) == 0)
		return set_key(out, FSB_TK_TAX, buf + 4);
	if (strncmp(buf, "reg:", 4) == 0)
		return set_key(out, FSB_TK_REG, buf + 4);
	if (gtin_like) {
		const char *bad = set_gtin(out, buf, lot);
		if (!bad && n == 13 && !lot)
			out->also_gln = 1; /* a GLN has the same form */
		return bad;
	}
	if ((all_digits(buf, n) && n == 10) ||
	    (n == 14 && all_digits(buf, 10) && buf[10] == '-' && all_digits(buf + 11, 3)))
		return set_key(out, FSB_TK_TAX, buf);
	if (all_digits(buf, n))
		return "not a GTIN (8, 12, 13 or 14 digits), a GLN (13) or a tax code (10)";
	return "not a Digital Link, a GS1 element string, a GTIN, a GLN or a tax code "
	       "(a registration number is given as reg:NUMBER)";
}

#define DAY_MS (24LL * 3600 * 1000)
#define LOCAL_MS ((int64_t)FSB_LOCAL_OFFSET_MIN * 60 * 1000)

const char *fsb_trace_at(struct fsb_trace_query *q, const char *date, int64_t now_ms)
{
	int y, m, d;
	if (date) {
		const char *bad = fsb_fmt_date(date);
		if (bad)
			return bad;
		if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3)
			return "expected YYYY-MM-DD";
	} else {
		char t[FSB_TIME_MAX + 1];
		fsb_fmt_time(now_ms + LOCAL_MS, t); /* the day it is in the provinces */
		if (sscanf(t, "%4d-%2d-%2d", &y, &m, &d) != 3)
			return "the clock does not read";
	}
	snprintf(q->at_date, sizeof q->at_date, "%04d-%02d-%02d", y, m, d);
	/* The end of that day in UTC+07:00; today, now. */
	q->at_ms = fsb_fmt_time_ms(y, m, d, 0, 0, 0) - LOCAL_MS + DAY_MS - 1;
	if (!date && now_ms < q->at_ms)
		q->at_ms = now_ms;
	return NULL;
}

/* The message id of log entry e, as the log records it (not the header's
 * claim), into id. */
static void entry_id(const struct fsb_entry *e, char id[FSB_MESSAGE_ID_MAX + 1])
{
	snprintf(id, FSB_MESSAGE_ID_MAX + 1, "%s:%llu", e->origin, (unsigned long long)e->seq);
}

/* ---- certificates ------------------------------------------------------------- */

static int international(const char *scheme)
{
	static const char *const schemes[] = {
		"CERTIFICATION_SCHEME_GLOBALGAP", "CERTIFICATION_SCHEME_HACCP",
		"CERTIFICATION_SCHEME_ISO_22000", "CERTIFICATION_SCHEME_BRC",
		"CERTIFICATION_SCHEME_ASC",       "CERTIFICATION_SCHEME_BAP",
	};
	for (size_t i = 0; scheme && i < sizeof schemes / sizeof schemes[0]; i++)
		if (strcmp(scheme, schemes[i]) == 0)
			return 1;
	return 0;
}

static void est_of(const struct fsb_trace_party *p, struct fsb_trace_est *e)
{
	copy(e->name, sizeof e->name, p->name);
	copy(e->tax_code, sizeof e->tax_code, p->tax_code);
	copy(e->registration, sizeof e->registration, p->registration);
	copy(e->gln, sizeof e->gln, p->gln);
	copy(e->province, sizeof e->province, p->province);
}

static int is_type(const char *t, const char *what)
{
	static const char prefix[] = "CERTIFICATION_NOTICE_TYPE_";
	return t && strncmp(t, prefix, sizeof prefix - 1) == 0 && strcmp(t + sizeof prefix - 1, what) == 0;
}

int query_cert_line(struct fsb_view *v, const char *root, const struct fsb_trace_query *tq,
		     struct fsb_trace_cert *c)
{
	memset(c, 0, sizeof *c);
	copy(c->id, sizeof c->id, root);
	uint64_t *idx;
	size_t n, total;
	int rc = fsb_view_case_members(v, root, FSB_CERT_NOTICES_MAX, &idx, &n, &total);
	if (rc)
		return rc;
	int64_t latest_ms = INT64_MIN, grant_ms = INT64_MIN;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct fsb_entry e;
		struct fsb_message *m;
		if ((rc = query_read(v, idx[i], &e, &m)) || !m)
			continue;
		struct fsb_trace_facts f;
		fsb_message_trace_facts(m, &tq->target, &f);
		if (f.kind != FSB_KIND_CERTIFICATION || f.issued_at_ms == INT64_MIN ||
		    f.issued_at_ms > tq->at_ms) {
			fsb_message_free(m);
			continue;
		}
		c->notices++;
		/* The latest notice decides (the later in the log on a tie). */
		if (f.issued_at_ms >= latest_ms) {
			latest_ms = f.issued_at_ms;
			entry_id(&e, c->latest);
			c->latest_type = f.notice_type;
			c->latest_ms = f.issued_at_ms;
			copy(c->reason, sizeof c->reason, f.reason);
		}
		/* What it is comes from the latest grant (issue or renewal). */
		int grant = is_type(f.notice_type, "ISSUED") || is_type(f.notice_type, "RENEWED");
		if ((grant && f.issued_at_ms >= grant_ms) || c->notices == 1) {
			if (grant)
				grant_ms = f.issued_at_ms;
			copy(c->origin, sizeof c->origin, e.origin);
			c->scheme = f.scheme;
			c->international = international(f.scheme);
			c->stars = f.stars;
			copy(c->number, sizeof c->number, f.cert_number);
			copy(c->body, sizeof c->body, f.cert_body);
			copy(c->valid_from, sizeof c->valid_from, f.valid_from);
			copy(c->valid_until, sizeof c->valid_until, f.valid_until);
			est_of(&f.holder, &c->holder);
			copy(c->chain_id, sizeof c->chain_id, f.chain_id);
			copy(c->chain_name, sizeof c->chain_name, f.chain_name);
			c->role = f.chain_role;
		}
		fsb_message_free(m);
	}
	free(idx);
	if (rc || c->notices == 0)
		return rc;
	const char *t = c->latest_type;
	if (is_type(t, "SUSPENDED"))
		c->state = FSB_CERT_SUSPENDED;
	else if (is_type(t, "WITHDRAWN"))
		c->state = FSB_CERT_WITHDRAWN;
	else if (is_type(t, "EXPIRED") || (c->valid_until[0] && strcmp(tq->at_date, c->valid_until) > 0))
		c->state = FSB_CERT_EXPIRED;
	else if (c->valid_from[0] && strcmp(tq->at_date, c->valid_from) < 0)
		c->state = FSB_CERT_NOT_YET_VALID;
	else
		c->state = FSB_CERT_IN_FORCE;
	return 0;
}

/* ---- chains ------------------------------------------------------------------- */

static int role_rank(const char *role)
{
	static const char *const order[] = {
		"CHAIN_ROLE_FARM",      "CHAIN_ROLE_SLAUGHTERHOUSE", "CHAIN_ROLE_PACKING_HOUSE",
		"CHAIN_ROLE_PROCESSOR", "CHAIN_ROLE_DISTRIBUTOR",    "CHAIN_ROLE_RETAILER",
		"CHAIN_ROLE_EXPORTER",
	};
	for (int i = 0; role && i < (int)(sizeof order / sizeof order[0]); i++)
		if (strcmp(role, order[i]) == 0)
			return i;
	return 99;
}

static int cmp_member(const void *a, const void *b)
{
	const struct fsb_trace_cert *x = a, *y = b;
	int r = role_rank(x->role) - role_rank(y->role);
	return r ? r : strcmp(x->holder.name, y->holder.name);
}

/* The distinct case ids (certificate lines) of the entries in idx. */
static int lines_of(struct fsb_view *v, const uint64_t *idx, size_t n,
		    char (**roots)[FSB_MESSAGE_ID_MAX + 1], size_t *nroots)
{
	size_t cap = 0;
	*roots = NULL;
	*nroots = 0;
	for (size_t i = 0; i < n; i++) {
		struct fsb_entry e;
		int rc = fsb_view_get(v, idx[i], &e);
		if (rc)
			return rc;
		char id[FSB_MESSAGE_ID_MAX + 1];
		entry_id(&e, id);
		struct fsb_case_row row;
		if ((rc = fsb_view_case(v, id, &row)) == FSB_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		size_t k = 0;
		while (k < *nroots && strcmp((*roots)[k], row.id) != 0)
			k++;
		if (k < *nroots)
			continue;
		if (fsb_mem_grow(roots, &cap, *nroots, sizeof **roots))
			return FSB_ENOMEM;
		copy((*roots)[(*nroots)++], FSB_MESSAGE_ID_MAX + 1, row.id);
	}
	return 0;
}

/* Chain `id` at the query's date. */
static int chain_build(struct fsb_view *v, const char *id, const struct fsb_trace_query *tq,
		       struct fsb_safe_chain *ch)
{
	memset(ch, 0, sizeof *ch);
	copy(ch->id, sizeof ch->id, id);
	uint64_t *idx = malloc(FSB_CHAIN_NOTICES_MAX * sizeof *idx);
	if (!idx)
		return FSB_ENOMEM;
	size_t n;
	char (*roots)[FSB_MESSAGE_ID_MAX + 1] = NULL;
	size_t nroots = 0, cap = 0;
	int rc = fsb_view_trace(v, FSB_TK_CHAIN, id, idx, FSB_CHAIN_NOTICES_MAX, &n, &ch->truncated);
	if (rc == 0)
		rc = lines_of(v, idx, n, &roots, &nroots);
	free(idx);
	char origins[FSB_TRACE_ESTABLISHMENTS_MAX * 4][FSB_ORIGIN_MAX + 1];
	size_t norigins = 0;
	int64_t named_ms = INT64_MIN;
	for (size_t i = 0; i < nroots && rc == 0; i++) {
		struct fsb_trace_cert c;
		if ((rc = query_cert_line(v, roots[i], tq, &c)) || c.notices == 0 ||
		    strcmp(c.chain_id, id) != 0)
			continue;
		if (fsb_mem_grow(&ch->members, &cap, ch->n_members, sizeof *ch->members)) {
			rc = FSB_ENOMEM;
			break;
		}
		ch->members[ch->n_members++] = c;
		if (c.latest_ms >= named_ms && c.chain_name[0]) { /* the newest name */
			named_ms = c.latest_ms;
			copy(ch->name, sizeof ch->name, c.chain_name);
		}
		size_t k = 0;
		while (k < norigins && strcmp(origins[k], c.origin) != 0)
			k++;
		if (k == norigins && norigins < sizeof origins / sizeof origins[0])
			copy(origins[norigins++], FSB_ORIGIN_MAX + 1, c.origin);
	}
	free(roots);
	if (rc)
		return rc;
	if (ch->n_members > 1)
		qsort(ch->members, ch->n_members, sizeof *ch->members, cmp_member);
	int farm = 0, later = 0, intl = 0;
	for (size_t i = 0; i < ch->n_members; i++) {
		const struct fsb_trace_cert *c = &ch->members[i];
		if (c->state != FSB_CERT_IN_FORCE)
			continue;
		ch->in_force++;
		farm |= role_rank(c->role) == 0;
		later |= role_rank(c->role) > 0;
		intl |= c->international;
	}
	ch->provinces = norigins;
	ch->safe = farm && later && ch->in_force == ch->n_members;
	ch->international = ch->safe && intl;
	return 0;
}

static void chain_clear(struct fsb_safe_chain *ch)
{
	free(ch->members);
	ch->members = NULL;
	ch->n_members = 0;
}

struct chains_ctx {
	struct fsb_view *v;
	struct fsb_trace_query tq;
	struct fsb_chains *out;
	size_t cap;
};

static int take_chain(void *ctx, const char *id)
{
	struct chains_ctx *c = ctx;
	if (fsb_mem_grow(&c->out->chains, &c->cap, c->out->n, sizeof *c->out->chains))
		return FSB_ENOMEM;
	struct fsb_safe_chain *ch = &c->out->chains[c->out->n];
	int rc = chain_build(c->v, id, &c->tq, ch);
	if (rc) {
		chain_clear(ch);
		return rc;
	}
	if (ch->n_members == 0) /* none of its notices issued by then */
		return 0;
	c->out->n++;
	c->out->safe += (size_t)ch->safe;
	c->out->international += (size_t)ch->international;
	return 0;
}

int fsb_query_chains(struct fsb_query *q, const struct fsb_trace_query *at, struct fsb_chains *out)
{
	memset(out, 0, sizeof *out);
	struct chains_ctx c = {.v = query_view(q), .tq = *at, .out = out};
	memset(&c.tq.target, 0, sizeof c.tq.target);
	int rc = fsb_view_trace_values(c.v, FSB_TK_CHAIN, FSB_CHAINS_MAX, take_chain, &c,
				       &out->truncated);
	if (rc)
		fsb_chains_clear(out);
	out->chains_met = out->safe >= FSB_TARGET_CHAINS;
	out->international_met = out->international >= FSB_TARGET_INTERNATIONAL;
	return rc;
}

void fsb_chains_clear(struct fsb_chains *c)
{
	for (size_t i = 0; i < c->n; i++)
		chain_clear(&c->chains[i]);
	free(c->chains);
	memset(c, 0, sizeof *c);
}

/* ---- the trace ---------------------------------------------------------------- */

struct tracing {
	struct fsb_query *q;
	struct fsb_view *v;
	const struct fsb_trace_query *tq;
	const struct fsb_case_opts *o;
	struct fsb_trace *t;
	uint64_t *seen; /* entries already read, sorted */
	size_t n_seen, cap_seen;
	char (*lines)[FSB_MESSAGE_ID_MAX + 1]; /* certificate lines found */
	size_t n_lines, cap_lines;
	size_t cap_est, cap_results, cap_recalls, cap_notices;
	uint64_t *idx; /* FSB_TRACE_ENTRIES_MAX */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Marks entry index read; 1 when it was already. */
static int seen(struct tracing *r, uint64_t index, int *err)
{
	if (r->n_seen && bsearch(&index, r->seen, r->n_seen, sizeof *r->seen, cmp_u64))
		return 1;
	if (fsb_mem_grow(&r->seen, &r->cap_seen, r->n_seen, sizeof *r->seen)) {
		*err = FSB_ENOMEM;
		return 1;
	}
	size_t i = r->n_seen;
	while (i > 0 && r->seen[i - 1] > index) {
		r->seen[i] = r->seen[i - 1];
		i--;
	}
	r->seen[i] = index;
	r->n_seen++;
	return 0;
}

/* Adds an establishment to follow, unless known; keys it can be found by. */
static int add_est(struct tracing *r, const struct fsb_trace_party *p)
{
	if (!p->name[0] || (!p->tax_code[0] && !p->gln[0] && !p->registration[0]))
		return 0;
	struct fsb_trace *t = r->t;
	for (size_t i = 0; i < t->n_establishments; i++) {
		struct fsb_trace_est *e = &t->establishments[i];
		if ((p->tax_code[0] && strcmp(e->tax_code, p->tax_code) == 0) ||
		    (p->gln[0] && strcmp(e->gln, p->gln) == 0) ||
		    (p->registration[0] && strcmp(e->registration, p->registration) == 0)) {
			/* known: what this message adds about it */
			struct fsb_trace_est more;
			est_of(p, &more);
			if (!e->tax_code[0])
				memcpy(e->tax_code, more.tax_code, sizeof e->tax_code);
			if (!e->gln[0])
				memcpy(e->gln, more.gln, sizeof e->gln);
			if (!e->registration[0])
				memcpy(e->registration, more.registration, sizeof e->registration);
			if (!e->province[0])
				memcpy(e->province, more.province, sizeof e->province);
			return 0;
		}
	}
	if (t->n_establishments == FSB_TRACE_ESTABLISHMENTS_MAX)
		return 0;
	if (fsb_mem_grow(&t->establishments, &r->cap_est, t->n_establishments,
			 sizeof *t->establishments))
		return FSB_ENOMEM;
	est_of(p, &t->establishments[t->n_establishments++]);
	return 0;
}

static int add_line(struct tracing *r, const char *id)
{
	struct fsb_case_row row;
	int rc = fsb_view_case(r->v, id, &row);
	if (rc)
		return rc == FSB_ENOTFOUND ? 0 : rc;
	for (size_t i = 0; i < r->n_lines; i++)
		if (strcmp(r->lines[i], row.id) == 0)
			return 0;
	if (fsb_mem_grow(&r->lines, &r->cap_lines, r->n_lines, sizeof *r->lines))
		return FSB_ENOMEM;
	copy(r->lines[r->n_lines++], FSB_MESSAGE_ID_MAX + 1, row.id);
	return 0;
}

static int add_item(struct tracing *r, const struct fsb_entry *e, const struct fsb_trace_facts *f)
{
	struct fsb_trace *t = r->t;
	struct fsb_trace_item **list;
	size_t *n, *cap;
	switch (f->kind) {
	case FSB_KIND_SURVEILLANCE:
		list = &t->results, n = &t->n_results, cap = &r->cap_results;
		break;
	case FSB_KIND_RECALL:
		list = &t->recalls, n = &t->n_recalls, cap = &r->cap_recalls;
		break;
	case FSB_KIND_QUARANTINE:
		list = &t->notices, n = &t->n_notices, cap = &r->cap_notices;
		break;
	default:
		return 0;
	}
	if (fsb_mem_grow(list, cap, *n, sizeof **list))
		return FSB_ENOMEM;
	struct fsb_trace_item *it = &(*list)[(*n)++];
	memset(it, 0, sizeof *it);
	entry_id(e, it->id);
	copy(it->origin, sizeof it->origin, e->origin);
	it->kind = f->kind;
	it->issued_at_ms = f->issued_at_ms;
	copy(it->unit, sizeof it->unit, f->header.issuer);
	if (f->names_product) {
		copy(it->product, sizeof it->product, f->product);
		for (size_t i = 0; i < f->n_lots && i < FSB_TRACE_NAMES; i++)
			list_add(it->lots, sizeof it->lots, f->lots[i]);
		it->whole_product = f->whole_product;
		it->this_lot = f->names_lot;
	}
	if (f->names_party) {
		copy(it->party, sizeof it->party, f->party.name);
		it->party_role = f->party_role;
	} else if (f->kind == FSB_KIND_SURVEILLANCE && f->sampled.name[0]) {
		copy(it->party, sizeof it->party, f->sampled.name); /* where it was sampled */
		it->party_role = "operator";
	}
	it->verdict = f->verdict;
	it->stage = f->stage;
	for (size_t i = 0; i < f->n_failing && i < FSB_TRACE_NAMES; i++)
		list_add(it->failing, sizeof it->failing, f->failing[i]);
	copy(it->sample_id, sizeof it->sample_id, f->sample_id);
	it->recall_class = f->recall_class;
	it->classification = f->classification;
	copy(it->reason, sizeof it->reason, f->reason);
	it->notice_type = f->notice_type;
	copy(it->certificate, sizeof it->certificate, f->certificate);
	copy(it->commodity, sizeof it->commodity, f->commodity);
	struct fsb_case_row row;
	int rc = fsb_view_case(r->v, it->id, &row);
	if (rc == 0) {
		copy(it->case_id, sizeof it->case_id, row.id);
		it->case_state = query_case_state(row.flags);
	} else if (rc != FSB_ENOTFOUND) {
		return rc;
	}
	if (f->kind == FSB_KIND_SURVEILLANCE && f->verdict &&
	    strcmp(f->verdict, "VERDICT_NON_COMPLIANT") == 0)
		t->non_compliant++;
	/* A recall of this lot, or of the whole product, that its origin did
	 * not withdraw (closed, it was carried out: the lot stays recalled). */
	if (f->kind == FSB_KIND_RECALL && f->names_product &&
	    (f->whole_product || f->names_lot || !r->tq->target.lot[0]) &&
	    it->case_state != FSB_CASE_STATE_WITHDRAWN)
		t->lot_recalled = 1;
	return 0;
}

/* Reads the entries under one key; `target` is what they must name. */
static int follow(struct tracing *r, enum fsb_trace_key key, const char *value,
		  const struct fsb_trace_target *target)
{
	size_t n;
	int more;
	int rc = fsb_view_trace(r->v, key, value, r->idx, FSB_TRACE_ENTRIES_MAX, &n, &more);
	r->t->truncated |= more;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (seen(r, r->idx[i], &rc))
			continue;
		struct fsb_entry e;
		struct fsb_message *m;
		if ((rc = query_read(r->v, r->idx[i], &e, &m)) || !m)
			continue;
		struct fsb_trace_facts f;
		fsb_message_trace_facts(m, target, &f);
		if ((f.names_product || f.names_party) && f.issued_at_ms != INT64_MIN &&
		    f.issued_at_ms <= r->tq->at_ms) {
			if (f.names_product && !r->t->product[0])
				copy(r->t->product, sizeof r->t->product, f.product);
			char id[FSB_MESSAGE_ID_MAX + 1];
			entry_id(&e, id);
			if (f.kind == FSB_KIND_CERTIFICATION)
				rc = add_line(r, id);
			else
				rc = add_item(r, &e, &f);
			/* a product leads to who makes it and who is certified for it */
			if (rc == 0 && f.names_product)
				rc = add_est(r, f.kind == FSB_KIND_CERTIFICATION ? &f.holder : &f.producer);
			if (rc == 0 && f.names_party && r->t->n_establishments == 0)
				rc = add_est(r, &f.party);
		}
		fsb_message_free(m);
	}
	return rc;
}

/* The establishment e as a target: by its tax code, else GLN, else
 * registration number. */
static void est_target(const struct fsb_trace_est *e, struct fsb_trace_target *t)
{
	memset(t, 0, sizeof *t);
	if (e->tax_code[0])
		t->key = FSB_TK_TAX, copy(t->value, sizeof t->value, e->tax_code);
	else if (e->gln[0])
		t->key = FSB_TK_GLN, copy(t->value, sizeof t->value, e->gln);
	else
		t->key = FSB_TK_REG, copy(t->value, sizeof t->value, e->registration);
}

static int cmp_item(const void *a, const void *b)
{
	const struct fsb_trace_item *x = a, *y = b;
	if (x->issued_at_ms != y->issued_at_ms)
		return x->issued_at_ms > y->issued_at_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int cmp_cert(const void *a, const void *b)
{
	const struct fsb_trace_cert *x = a, *y = b;
	int xf = x->state == FSB_CERT_IN_FORCE, yf = y->state == FSB_CERT_IN_FORCE;
	if (xf != yf)
		return yf - xf;
	if (x->latest_ms != y->latest_ms)
		return x->latest_ms > y->latest_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int cmp_case(const void *a, const void *b)
{
	const struct fsb_case *x = a, *y = b;
	if (x->opened_ms != y->opened_ms)
		return x->opened_ms > y->opened_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int certs_and_chains(struct tracing *r)
{
	struct fsb_trace *t = r->t;
	size_t cap = 0, cap_chains = 0;
	int rc = 0;
	for (size_t i = 0; i < r->n_lines && rc == 0; i++) {
		struct fsb_trace_cert c;
		if ((rc = query_cert_line(r->v, r->lines[i], r->tq, &c)) || c.notices == 0)
			continue;
		if (fsb_mem_grow(&t->certs, &cap, t->n_certs, sizeof *t->certs))
			return FSB_ENOMEM;
		t->certs[t->n_certs++] = c;
		t->certs_in_force += c.state == FSB_CERT_IN_FORCE;
	}
	if (t->n_certs > 1)
		qsort(t->certs, t->n_certs, sizeof *t->certs, cmp_cert);
	for (size_t i = 0; i < t->n_certs && rc == 0; i++) {
		const char *id = t->certs[i].chain_id;
		size_t k = 0;
		while (k < t->n_chains && strcmp(t->chains[k].id, id) != 0)
			k++;
		if (!id[0] || k < t->n_chains)
			continue;
		if (fsb_mem_grow(&t->chains, &cap_chains, t->n_chains, sizeof *t->chains))
			return FSB_ENOMEM;
		rc = chain_build(r->v, id, r->tq, &t->chains[t->n_chains]);
		t->n_chains++;
	}
	return rc;
}

/* The open cases of what was found. */
static int open_cases(struct tracing *r)
{
	struct fsb_trace *t = r->t;
	struct fsb_trace_item *lists[] = {t->results, t->recalls, t->notices};
	size_t ns[] = {t->n_results, t->n_recalls, t->n_notices}, cap = 0;
	int rc = 0;
	for (size_t l = 0; l < 3 && rc == 0; l++)
		for (size_t i = 0; i < ns[l] && rc == 0; i++) {
			const struct fsb_trace_item *it = &lists[l][i];
			if (it->case_state != FSB_CASE_STATE_OPEN || t->n_cases == FSB_TRACE_CASES_MAX)
				continue;
			size_t k = 0;
			while (k < t->n_cases && strcmp(t->cases[k].id, it->case_id) != 0)
				k++;
			if (k < t->n_cases)
				continue;
			if (fsb_mem_grow(&t->cases, &cap, t->n_cases, sizeof *t->cases))
				return FSB_ENOMEM;
			struct fsb_case_opts o = *r->o;
			o.timeline = 0;
			if ((rc = fsb_query_case(r->q, it->case_id, &o, &t->cases[t->n_cases])) == 0)
				t->n_cases++;
		}
	if (t->n_cases > 1)
		qsort(t->cases, t->n_cases, sizeof *t->cases, cmp_case);
	return rc;
}

int fsb_query_trace(struct fsb_query *q, const struct fsb_trace_query *tq,
		    const struct fsb_case_opts *o, struct fsb_trace *out)
{
	memset(out, 0, sizeof *out);
	out->q = *tq;
	struct tracing r = {.q = q, .v = query_view(q), .tq = tq, .o = o, .t = out};
	r.idx = malloc(FSB_TRACE_ENTRIES_MAX * sizeof *r.idx);
	if (!r.idx)
		return FSB_ENOMEM;
	const struct fsb_trace_target *tg = &tq->target;
	int rc = 0;
	if (tg->gtin14[0]) {
		char lk[FSB_TRACE_VALUE_MAX + 1];
		snprintf(lk, sizeof lk, "%s%s", tg->gtin14, tg->lot);
		if (tg->lot[0])
			rc = follow(&r, FSB_TK_LOT, lk, tg);
		if (rc == 0)
			rc = follow(&r, FSB_TK_PRODUCT, tg->gtin14, tg);
		if (rc == 0 && tq->also_gln) {
			struct fsb_trace_target gt = {.key = FSB_TK_GLN};
			copy(gt.value, sizeof gt.value, tg->gtin14 + 1); /* the 13 digits given */
			rc = follow(&r, FSB_TK_GLN, gt.value, &gt);
		}
		/* ... then the establishments that make it or are certified for it */
		for (size_t i = 0; i < out->n_establishments && rc == 0; i++) {
			struct fsb_trace_target et;
			est_target(&out->establishments[i], &et);
			rc = follow(&r, et.key, et.value, &et);
		}
	} else {
		rc = follow(&r, tg->key, tg->value, tg);
	}
	if (rc == 0)
		rc = certs_and_chains(&r);
	if (rc == 0)
		rc = open_cases(&r);
	free(r.idx);
	free(r.seen);
	free(r.lines);
	if (rc) {
		fsb_trace_clear(out);
		return rc;
	}
	if (out->n_results > 1)
		qsort(out->results, out->n_results, sizeof *out->results, cmp_item);
	if (out->n_recalls > 1)
		qsort(out->recalls, out->n_recalls, sizeof *out->recalls, cmp_item);
	if (out->n_notices > 1)
		qsort(out->notices, out->n_notices, sizeof *out->notices, cmp_item);
	return 0;
}

void fsb_trace_clear(struct fsb_trace *t)
{
	free(t->establishments);
	free(t->certs);
	for (size_t i = 0; i < t->n_chains; i++)
		chain_clear(&t->chains[i]);
	free(t->chains);
	free(t->results);
	free(t->recalls);
	free(t->notices);
	fsb_cases_free(t->cases, t->n_cases);
	memset(t, 0, sizeof *t);
}
