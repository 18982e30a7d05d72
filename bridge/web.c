/* web.c - the web view's routes: a thin front end over the query layer
 * and the renderers, as the command line is (README, "The web view").
 *
 * Every request opens its own snapshot of the store (one read transaction
 * on the server's one thread) and closes it before answering, so a page
 * always shows the log as it stands and never holds the node back; a live
 * feed does the same on each of its pulls. Every parameter is checked
 * before use: UTF-8, length, form; a bad one is a 400 naming it, an
 * unknown id a 404.
 */
#include "web.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "labels.h"
#include "query.h"
#include "render_case.h"
#include "render_report.h"
#include "render_trace.h"
#include "render_web.h"

#define PARAM_MAX 512      /* bytes of a query parameter, at most */
#define LIVE_BATCH 50      /* messages one pull of the live feed sends, at most */
#define LIVE_BEAT_MS 15000 /* a live feed quiet this long sends a comment line, so
			    * that proxies keep it open */

static const char JSON[] = "application/json; charset=utf-8";
static const char HTML[] = "text/html; charset=utf-8";

/* A request being answered. */
struct ask {
	struct fsb_web *w;
	const struct fsb_http_request *rq;
	struct fsb_http_response *rs;
	int api;              /* answers JSON (errors included) */
	int bad;              /* a parameter was refused: the answer is made */
	enum fsb_lang lang;
	struct fsb_out query; /* the parameters taken, URL-encoded, lang apart */
};

/* An error: JSON for /api/, /events and /healthz, a small page otherwise.
 * Returns -1, for the callers' convenience. */
static int fail(struct ask *a, unsigned status, const char *what, const char *why)
{
	struct fsb_http_response *rs = a->rs;
	fsb_out_clear(&rs->body);
	rs->status = status;
	a->bad = 1;
	if (a->api) {
		rs->content_type = JSON;
		fsb_out_printf(&rs->body, "{\"status\":%u,\"error\":", status);
		char line[600];
		snprintf(line, sizeof line, "%s%s%s", what, why ? ": " : "", why ? why : "");
		fsb_out_json_str(&rs->body, line);
		fsb_out_puts(&rs->body, "}\n");
		return -1;
	}
	rs->content_type = HTML;
	char key[32];
	snprintf(key, sizeof key, "web.error.%u", status);
	fsb_out_printf(&rs->body, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
				  "<title>%u</title></head><body><h1>%u: ",
		       a->lang == FSB_LANG_EN ? "en" : "vi", status, status);
	fsb_out_html(&rs->body, fsb_label(a->lang, key));
	fsb_out_puts(&rs->body, "</h1><p id=\"error\">");
	fsb_out_html(&rs->body, what);
	if (why) {
		fsb_out_puts(&rs->body, ": ");
		fsb_out_html(&rs->body, why);
	}
	fsb_out_puts(&rs->body, "</p><p><a href=\"/\">fsbridge</a></p></body></html>\n");
	return -1;
}

/* Query parameter name, checked: NULL when absent or empty (a form's
 * "all"); NULL with a->bad set (and the answer made) when it is not UTF-8
 * or too long. A value taken is kept in a->query for the page's links. */
static const char *param(struct ask *a, const char *name)
{
	const char *v = fsb_http_arg(a->rq, name);
	if (!v || !v[0] || a->bad)
		return NULL;
	size_t n = strlen(v), at;
	char what[64];
	snprintf(what, sizeof what, "parameter %s", name);
	if (n > PARAM_MAX) {
		fail(a, 400, what, "longer than 512 bytes");
		return NULL;
	}
	if (fsb_fmt_utf8((const uint8_t *)v, n, &at)) {
		fail(a, 400, what, "not UTF-8 text");
		return NULL;
	}
	if (strcmp(name, "lang") != 0) {
		fsb_out_printf(&a->query, "%s%s=", a->query.len ? "&" : "", name);
		fsb_out_url(&a->query, v);
	}
	return v;
}

/* A log index: decimal digits, not 0, within 64 bits. */
static int index_of(const char *s, uint64_t *out)
{
	if (!s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno || v == 0)
		return -1;
	*out = v;
	return 0;
}

/* An id in a path ("/message/ID"): ORIGIN:SEQ, else a 400. */
static int id_ok(struct ask *a, const char *id, const char *what)
{
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;
	if (fsb_fmt_message_id(id, origin, &seq))
		return fail(a, 400, what, "expected ORIGIN:SEQ, e.g. longan:3");
	return 0;
}

static struct fsb_page page_of(struct ask *a, const char *path)
{
	fsb_out_finish(&a->query);
	struct fsb_page pg = {a->lang, fsb_store_origin(a->w->store), a->w->unit ? a->w->unit : "",
			      path, a->query.buf ? a->query.buf : ""};
	return pg;
}

/* What a route computes on one snapshot, judged now: it fills a->rs (a 404
 * included), or returns a store error, answered 503. */
typedef int (*route_fn)(struct fsb_query *q, const struct fsb_case_opts *o, struct ask *a,
			void *arg);

static void on_snapshot(struct ask *a, route_fn fn, void *arg)
{
	struct fsb_web *w = a->w;
	struct fsb_view *v = NULL;
	struct fsb_query *q = NULL;
	struct fsb_case_opts o = w->case_opts;
	o.now_ms = fsb_fmt_now_ms();
	int rc = fsb_store_view_open(w->store, &v);
	if (rc == 0)
		rc = fsb_query_open(v, &q);
	if (rc == 0)
		rc = fn(q, &o, a, arg);
	if (rc)
		fail(a, 503, "the store cannot be read now",
		     rc == FSB_ENOMEM ? fsb_strerror(rc) : fsb_store_error(w->store));
	fsb_query_close(q);
	fsb_store_view_close(v);
}

static void healthz(struct ask *a)
{
	struct fsb_store_stats st;
	if (fsb_store_stats(a->w->store, &st)) {
		fail(a, 503, "the store cannot be read now", fsb_store_error(a->w->store));
		return;
	}
	struct fsb_out *o = &a->rs->body;
	a->rs->content_type = JSON;
	fsb_out_puts(o, "{\"status\":\"ok\"");
	fsb_out_json_member(o, "origin", fsb_store_origin(a->w->store));
	fsb_out_printf(o, ",\"entries\":%llu,\"lastIndex\":%llu}\n", (unsigned long long)st.entries,
		       (unsigned long long)st.last_index);
}

/* ---- the feed ------------------------------------------------------------- */

/* The feed's filters from the query: kind, category, origin, before. */
static int feed_filter(struct ask *a, struct fsb_feed_filter *f)
{
	memset(f, 0, sizeof *f);
	const char *kind = param(a, "kind"), *category = param(a, "category");
	const char *origin = param(a, "origin"), *before = param(a, "before");
	if (a->bad)
		return -1;
	if (kind && (f->kind = fsb_kind_parse(kind)) == FSB_KIND_NONE)
		return fail(a, 400, "parameter kind",
			    "surveillance, quarantine, recall, followup or certification");
	if (category && fsb_fmt_slug(category))
		return fail(a, 400, "parameter category", "not a category ([a-z0-9-], 1 to 32)");
	if (origin && fsb_fmt_slug(origin))
		return fail(a, 400, "parameter origin", "not an origin ([a-z0-9-], 1 to 32)");
	if (before && index_of(before, &f->before))
		return fail(a, 400, "parameter before", "not a log index");
	f->category = category;
	f->origin = origin;
	return 0;
}

static int feed_fn(struct fsb_query *q, const struct fsb_case_opts *o, struct ask *a, void *arg)
{
	(void)o;
	struct fsb_feed_filter *f = arg;
	struct fsb_feed feed;
	int rc = fsb_query_feed(q, f, &feed);
	if (rc)
		return rc;
	if (a->api) {
		a->rs->content_type = JSON;
		fsb_render_feed_json(&a->rs->body, &feed);
		fsb_out_puts(&a->rs->body, "\n");
	} else {
		struct fsb_page pg = page_of(a, "/");
		fsb_render_feed_html(&a->rs->body, &pg, &feed, f);
	}
	fsb_feed_clear(&feed);
	return 0;
}

static void feed(struct ask *a)
{
	struct fsb_feed_filter f;
	if (feed_filter(a, &f))
		return;
	const char *limit = a->api ? param(a, "limit") : NULL;
	uint64_t n;
	if (a->bad)
		return;
	if (limit && (index_of(limit, &n) || n > FSB_FEED_MAX)) {
		fail(a, 400, "parameter limit", "1 to 200");
		return;
	}
	if (limit)
		f.limit = (size_t)n;
	on_snapshot(a, feed_fn, &f);
}

/* ---- the live feed (Server-Sent Events) ------------------------------------ */

struct live {
	struct fsb_web *w;
	struct fsb_feed_filter f;
	char category[FSB_CATEGORY_MAX + 1], origin[FSB_ORIGIN_MAX + 1];
	enum fsb_lang lang;
	int started;
	int64_t sent_ms; /* when it last sent anything */
};

static int live_pull(void *st, struct fsb_out *o)
{
	struct live *l = st;
	int64_t now = fsb_fmt_now_ms();
	if (!l->started) {
		/* how long a browser waits before it reconnects */
		fsb_out_puts(o, "retry: 3000\n\n");
		l->started = 1;
		l->sent_ms = now;
		return 0;
	}
	struct fsb_view *v = NULL;
	struct fsb_query *q = NULL;
	struct fsb_feed feed = {0};
	int rc = fsb_store_view_open(l->w->store, &v);
	if (rc == 0)
		rc = fsb_query_open(v, &q);
	if (rc == 0)
		rc = fsb_query_feed(q, &l->f, &feed);
	fsb_query_close(q);
	fsb_store_view_close(v);
	if (rc)
		return 1; /* ended: the browser comes back after its retry */
	for (size_t i = 0; i < feed.n; i++) {
		fsb_out_printf(o, "id: %llu\nevent: message\ndata: ",
			       (unsigned long long)feed.items[i].index);
		fsb_render_feed_event_json(o, &feed.items[i], l->lang);
		fsb_out_puts(o, "\n\n");
	}
	if (feed.next > l->f.after)
		l->f.after = feed.next;
	fsb_feed_clear(&feed);
	if (o->len)
		l->sent_ms = now;
	else if (now - l->sent_ms >= LIVE_BEAT_MS) {
		fsb_out_puts(o, ": still here\n\n");
		l->sent_ms = now;
	}
	return 0;
}

static void live(struct ask *a)
{
	struct fsb_feed_filter f;
	if (feed_filter(a, &f))
		return;
	const char *after = param(a, "after");
	if (a->bad)
		return;
	/* a browser coming back says where it was */
	const char *last = fsb_http_header(a->rq, "Last-Event-ID");
	if (last && last[0])
		after = last;
	struct live *l = calloc(1, sizeof *l);
	if (!l) {
		fail(a, 503, "the live feed cannot start", "out of memory");
		return;
	}
	l->w = a->w;
	l->lang = a->lang;
	l->f = f;
	l->f.live = 1;
	l->f.limit = LIVE_BATCH;
	l->f.before = 0;
	if (f.category)
		l->f.category = strcpy(l->category, f.category);
	if (f.origin)
		l->f.origin = strcpy(l->origin, f.origin);
	struct fsb_store_stats st;
	if (after && strcmp(after, "0") != 0 && index_of(after, &l->f.after)) {
		free(l);
		fail(a, 400, last && last[0] ? "header Last-Event-ID" : "parameter after",
		     "not a log index");
		return;
	}
	if (!after) {
		/* from now on */
		if (fsb_store_stats(a->w->store, &st)) {
			free(l);
			fail(a, 503, "the store cannot be read now", fsb_store_error(a->w->store));
			return;
		}
		l->f.after = st.last_index;
	}
	a->rs->content_type = "text/event-stream; charset=utf-8";
	a->rs->stream = (struct fsb_http_stream){live_pull, free, l};
}

/* ---- a message -------------------------------------------------------------- */

static int message_fn(struct fsb_query *q, const struct fsb_case_opts *o, struct ask *a, void *arg)
{
	(void)o;
	const char *id = arg;
	struct fsb_message_view m;
	int rc = fsb_query_message(q, id, a->w->check.trust ? &a->w->check : NULL, &m);
	if (rc == FSB_ENOTFOUND) {
		fail(a, 404, "no such message here", id);
		return 0;
	}
	if (rc)
		return rc;
	if (a->api) {
		a->rs->content_type = JSON;
		fsb_render_message_json(&a->rs->body, &m);
		fsb_out_puts(&a->rs->body, "\n");
	} else {
		char path[96];
		snprintf(path, sizeof path, "/message/%s", id);
		struct fsb_page pg = page_of(a, path);
		fsb_render_message_html(&a->rs->body, &pg, &m);
	}
	fsb_message_view_clear(&m);
	return 0;
}

static void message(struct ask *a, const char *id)
{
	if (id_ok(a, id, "message id") == 0)
		on_snapshot(a, message_fn, (void *)id);
}

/* ---- cases ------------------------------------------------------------------- */

static int case_fn(struct fsb_query *q, const struct fsb_case_opts *o, struct ask *a, void *arg)
{
	const char *id = arg;
	struct fsb_case_opts with = *o;
	with.timeline = 1;
	struct fsb_case c;
	int rc = fsb_query_case(q, id, &with, &c);
	if (rc == FSB_ENOTFOUND) {
		fail(a, 404, "no such case or message", id);
		return 0;
	}
	if (rc)
		return rc;
	if (a->api) {
		a->rs->content_type = JSON;
		fsb_render_case_json(&a->rs->body, &c);
		fsb_out_puts(&a->rs->body, "\n");
	} else {
		char path[96];
		snprintf(path, sizeof path, "/case/%s", id);
		struct fsb_page pg = page_of(a, path);
		fsb_render_case_html(&a->rs->body, &pg, &c);
	}
	fsb_case_clear(&c);
	return 0;
}

static void case_one(struct ask *a, const char *id)
{
	if (id_ok(a, id, "case id") == 0)
		on_snapshot(a, case_fn, (void *)id);
}

static int cases_fn(struct fsb_query *q, const struct fsb_case_opts *o, struct ask *a, void *arg)
{
	const struct fsb_case_filter *f = arg;
	struct fsb_case *cases;
	size_t n;
	int rc = fsb_query_cases(q, f, o, &cases, &n);
	if (rc)
		return rc;
	if (a->api) {
		a->rs->content_type = JSON;
		fsb_render_cases_json(&a->rs->body, cases, n);
		fsb_out_puts(&a->rs->body, "\n");
	} else {
		struct fsb_page pg = page_of(a, "/cases");
		fsb_render_cases_html(&a->rs->body, &pg, cases, n, f);
	}
	fsb_cases_free(cases, n);
	return 0;
}

static void case_list(struct ask *a)
{
	const char *open = param(a, "open"), *overdue = param(a, "overdue");
	const char *origin = param(a, "origin"), *kind = param(a, "kind");
	if (a->bad)
		return;
	struct fsb_case_filter f = {.open_only = open && strcmp(open, "0") != 0,
				    .overdue_only = overdue && strcmp(overdue, "0") != 0,
				    .origin = origin};
	if (origin && fsb_fmt_slug(origin)) {
		fail(a, 400, "parameter origin", "not an origin ([a-z0-9-], 1 to 32)");
		return;
	}
	if (kind && (f.kind = fsb_kind_parse(kind)) == FSB_KIND_NONE) {
		fail(a, 400, "parameter kind", "surveillance, quarantine, recall, followup or certification");
		return;
	}
	on_snapshot(a, cases_fn, &f);
}

/* ---- trace ------------------------------------------------------------------- */

struct trace_ask {
	struct fsb_trace_query tq;
	struct fsb_trace_form form;
};

static int trace_fn(struct fsb_query *q, const struct fsb_case_opts *o, struct ask *a, void *arg)
{
	struct trace_ask *t = arg;
	struct fsb_trace tr = {0};
	int rc = fsb_query_trace(q, &t->tq, o, &tr);
	if (rc == 0 && a->api) {
		a->rs->content_type = JSON;
		fsb_render_trace_json(&a->rs->body, &tr);
		fsb_out_puts(&a->rs->body, "\n");
	} else if (rc == 0) {
		struct fsb_page pg = page_of(a, "/trace");
		fsb_render_trace_html(&a->rs->body, &pg, &t->form, &tr);
	}
	fsb_trace_clear(&tr);
	return rc;
}

/* The trace form's own page, as it was filled (its why: what is wrong). */
static void trace_form(struct ask *a, unsigned status, const struct fsb_trace_form *f)
{
	struct fsb_page pg = page_of(a, "/trace");
	fsb_out_clear(&a->rs->body);
	a->rs->status = status;
	a->rs->content_type = HTML;
	fsb_render_trace_html(&a->rs->body, &pg, f, NULL);
}

static void trace(struct ask *a)
{
	struct trace_ask t;
	memset(&t, 0, sizeof t);
	struct fsb_trace_form *f = &t.form;
	f->lot = param(a, "lot");
	f->at = param(a, "at");
	f->q = param(a, "q");
	if (a->bad)
		return;
	if (!f->q) {
		if (a->api)
			fail(a, 400, "parameter q", "give a Digital Link, a GTIN, a GLN or a tax code");
		else
			trace_form(a, 200, f);
		return;
	}
	const char *what = "parameter q";
	f->why = fsb_trace_parse(f->q, f->lot, &t.tq);
	if (!f->why && (f->why = fsb_trace_at(&t.tq, f->at, fsb_fmt_now_ms())))
		what = "parameter at";
	if (f->why && a->api)
		fail(a, 400, what, f->why);
	else if (f->why)
		trace_form(a, 400, f);
	else
		on_snapshot(a, trace_fn, &t);
}

/* ---- the report ---------------------------------------------------------------- */

struct report_ask {
	struct fsb_report_period p;
	int csv;
};

static int report_fn(struct fsb_query *q, const struct fsb_case_opts *o, struct ask *a, void *arg)
{
	struct report_ask *r = arg;
	struct fsb_report rep;
	const char *unknown;
	int rc = fsb_query_report(q, &r->p, NULL, 0, o, &rep, &unknown);
	if (rc)
		return rc;
	struct fsb_report_issuer by = {.unit = a->w->unit};
	if (r->csv) {
		a->rs->content_type = "text/csv; charset=utf-8";
		fsb_render_report_csv(&a->rs->body, &rep, &by, a->lang);
	} else {
		a->rs->content_type = HTML;
		fsb_render_report_html(&a->rs->body, &rep, &by, a->lang);
	}
	fsb_report_clear(&rep);
	return 0;
}

static void report_form(struct ask *a, unsigned status, const char *why)
{
	struct fsb_page pg = page_of(a, "/report");
	fsb_out_clear(&a->rs->body);
	a->rs->status = status;
	a->rs->content_type = HTML;
	fsb_render_report_form(&a->rs->body, &pg, why);
}

static void report(struct ask *a)
{
	struct report_ask r = {0};
	const char *from = param(a, "from"), *to = param(a, "to"), *format = param(a, "format");
	if (a->bad)
		return;
	if (!from && !to) {
		report_form(a, 200, NULL);
		return;
	}
	char why_line[300];
	const char *which = "--from", *why = NULL;
	r.csv = format && strcmp(format, "csv") == 0;
	if (format && !r.csv && strcmp(format, "html") != 0)
		which = "format", why = "html or csv";
	else if (!from || !to)
		which = !from ? "--from" : "--to", why = "give both dates, YYYY-MM-DD";
	else
		why = fsb_report_period(&r.p, from, to, &which);
	if (why) {
		snprintf(why_line, sizeof why_line, "parameter %s: %s",
			 which[0] == '-' ? which + 2 : which, why);
		report_form(a, 400, why_line);
		return;
	}
	on_snapshot(a, report_fn, &r);
}

/* ---- routes ------------------------------------------------------------------- */

void fsb_web_handle(void *ctx, const struct fsb_http_request *rq, struct fsb_http_response *rs)
{
	const char *p = rq->path;
	struct ask a = {.w = ctx, .rq = rq, .rs = rs, .lang = FSB_LANG_VI};
	fsb_out_init(&a.query);
	a.api = strncmp(p, "/api/", 5) == 0 || strcmp(p, "/events") == 0 || strcmp(p, "/healthz") == 0;
	size_t at;
	const char *lang = param(&a, "lang");
	if (a.bad)
		goto done;
	if (lang && fsb_lang_parse(lang, &a.lang)) {
		fail(&a, 400, "parameter lang", "vi or en");
		goto done;
	}
	if (fsb_fmt_utf8((const uint8_t *)p, strlen(p), &at)) {
		fail(&a, 400, "the address", "not UTF-8 text");
		goto done;
	}
	if (strcmp(p, "/") == 0 || strcmp(p, "/api/feed") == 0)
		feed(&a);
	else if (strcmp(p, "/events") == 0)
		live(&a);
	else if (strncmp(p, "/message/", 9) == 0)
		message(&a, p + 9);
	else if (strncmp(p, "/api/message/", 13) == 0)
		message(&a, p + 13);
	else if (strcmp(p, "/cases") == 0 || strcmp(p, "/api/cases") == 0)
		case_list(&a);
	else if (strncmp(p, "/case/", 6) == 0)
		case_one(&a, p + 6);
	else if (strncmp(p, "/api/case/", 10) == 0)
		case_one(&a, p + 10);
	else if (strcmp(p, "/trace") == 0 || strcmp(p, "/api/trace") == 0)
		trace(&a);
	else if (strcmp(p, "/report") == 0)
		report(&a);
	else if (strcmp(p, "/healthz") == 0)
		healthz(&a);
	else if (strcmp(p, "/live.js") == 0) {
		rs->content_type = "text/javascript; charset=utf-8";
		fsb_out_puts(&rs->body, fsb_render_live_js());
	} else
		fail(&a, 404, "no such page", NULL);
done:
	fsb_out_clear(&a.query);
}
