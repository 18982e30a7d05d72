/* web.c - the web view's routes: a thin front end over the query layer
 * and the renderers, as the command line is (README, "The web view").
 *
 * Every request opens its own snapshot of the store (one read transaction
 * on the server's one thread) and closes it before answering, so a page
 * always shows the log as it stands and never holds the node back. Every
 * parameter is checked before use: UTF-8, length, form; a bad one is a 400
 * naming it, an unknown id a 404.
 */
#include "web.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "labels.h"
#include "query.h"
#include "render_case.h"
#include "render_report.h"
#include "render_trace.h"

#define PARAM_MAX 512 /* bytes of a query parameter, at most */

static const char JSON[] = "application/json; charset=utf-8";
static const char HTML[] = "text/html; charset=utf-8";

/* An error: JSON for /api/ and /healthz, a small page otherwise. */
static void fail(struct fsb_http_response *rs, int api, unsigned status, const char *what,
		 const char *why)
{
	fsb_out_clear(&rs->body);
	rs->status = status;
	if (api) {
		rs->content_type = JSON;
		fsb_out_printf(&rs->body, "{\"status\":%u,\"error\":", status);
		char line[600];
		snprintf(line, sizeof line, "%s%s%s", what, why ? ": " : "", why ? why : "");
		fsb_out_json_str(&rs->body, line);
		fsb_out_puts(&rs->body, "}\n");
		return;
	}
	rs->content_type = HTML;
	char key[32];
	snprintf(key, sizeof key, "web.error.%u", status);
	fsb_out_printf(&rs->body, "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
				  "<title>%u</title></head><body><h1>%u: ",
		       status, status);
	fsb_out_html(&rs->body, fsb_label(FSB_LANG_VI, key));
	fsb_out_puts(&rs->body, "</h1><p>");
	fsb_out_html(&rs->body, what);
	if (why) {
		fsb_out_puts(&rs->body, ": ");
		fsb_out_html(&rs->body, why);
	}
	fsb_out_puts(&rs->body, "</p></body></html>\n");
}

/* Query parameter name, checked: NULL when absent; *bad set (and the
 * answer made) when it is not UTF-8 or too long. */
static const char *param(const struct fsb_http_request *rq, struct fsb_http_response *rs, int api,
			 const char *name, int *bad)
{
	const char *v = fsb_http_arg(rq, name);
	if (!v || *bad)
		return v;
	size_t n = strlen(v), at;
	char what[64];
	snprintf(what, sizeof what, "parameter %s", name);
	if (n > PARAM_MAX) {
		*bad = 1;
		fail(rs, api, 400, what, "longer than 512 bytes");
	} else if (fsb_fmt_utf8((const uint8_t *)v, n, &at)) {
		*bad = 1;
		fail(rs, api, 400, what, "not UTF-8 text");
	}
	return v;
}

static int lang_of(const struct fsb_http_request *rq, struct fsb_http_response *rs, int api,
		   enum fsb_lang *lang, int *bad)
{
	const char *l = param(rq, rs, api, "lang", bad);
	*lang = FSB_LANG_VI;
	if (!*bad && l && fsb_lang_parse(l, lang)) {
		*bad = 1;
		fail(rs, api, 400, "parameter lang", "vi or en");
	}
	return *bad;
}

/* What a route computes on one snapshot, judged now: it fills rs (a 404
 * included), or returns a store error, answered 503. */
typedef int (*route_fn)(struct fsb_query *q, const struct fsb_case_opts *o, void *arg,
			struct fsb_http_response *rs);

static void on_snapshot(struct fsb_web *w, struct fsb_http_response *rs, int api, route_fn fn,
			void *arg)
{
	struct fsb_view *v = NULL;
	struct fsb_query *q = NULL;
	struct fsb_case_opts o = w->case_opts;
	o.now_ms = fsb_fmt_now_ms();
	int rc = fsb_store_view_open(w->store, &v);
	if (rc == 0)
		rc = fsb_query_open(v, &q);
	if (rc == 0)
		rc = fn(q, &o, arg, rs);
	if (rc)
		fail(rs, api, 503, "the store cannot be read now",
		     rc == FSB_ENOMEM ? fsb_strerror(rc) : fsb_store_error(w->store));
	fsb_query_close(q);
	fsb_store_view_close(v);
}

static void healthz(struct fsb_web *w, struct fsb_http_response *rs)
{
	struct fsb_store_stats st;
	if (fsb_store_stats(w->store, &st)) {
		fail(rs, 1, 503, "the store cannot be read now", fsb_store_error(w->store));
		return;
	}
	rs->content_type = JSON;
	fsb_out_puts(&rs->body, "{\"status\":\"ok\"");
	fsb_out_json_member(&rs->body, "origin", fsb_store_origin(w->store));
	fsb_out_printf(&rs->body, ",\"entries\":%llu,\"lastIndex\":%llu}\n",
		       (unsigned long long)st.entries, (unsigned long long)st.last_index);
}

static int case_fn(struct fsb_query *q, const struct fsb_case_opts *o, void *arg,
		   struct fsb_http_response *rs)
{
	const char *id = arg;
	struct fsb_case_opts with = *o;
	with.timeline = 1;
	struct fsb_case c;
	int rc = fsb_query_case(q, id, &with, &c);
	if (rc == FSB_ENOTFOUND) {
		fail(rs, 1, 404, "no such case or message", id);
		return 0;
	}
	if (rc)
		return rc;
	rs->content_type = JSON;
	fsb_render_case_json(&rs->body, &c);
	fsb_out_puts(&rs->body, "\n");
	fsb_case_clear(&c);
	return 0;
}

static void case_one(struct fsb_web *w, const char *id, struct fsb_http_response *rs)
{
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;
	if (fsb_fmt_message_id(id, origin, &seq)) {
		fail(rs, 1, 400, "case id", "expected ORIGIN:SEQ, e.g. longan:3");
		return;
	}
	on_snapshot(w, rs, 1, case_fn, (void *)id);
}

static int cases_fn(struct fsb_query *q, const struct fsb_case_opts *o, void *arg,
		    struct fsb_http_response *rs)
{
	struct fsb_case *cases;
	size_t n;
	int rc = fsb_query_cases(q, arg, o, &cases, &n);
	if (rc)
		return rc;
	rs->content_type = JSON;
	fsb_render_cases_json(&rs->body, cases, n);
	fsb_out_puts(&rs->body, "\n");
	fsb_cases_free(cases, n);
	return 0;
}

static void case_list(struct fsb_web *w, const struct fsb_http_request *rq, struct fsb_http_response *rs)
{
	int bad = 0;
	const char *open = param(rq, rs, 1, "open", &bad), *origin = param(rq, rs, 1, "origin", &bad);
	const char *kind = param(rq, rs, 1, "kind", &bad);
	if (bad)
		return;
	struct fsb_case_filter f = {.open_only = open && strcmp(open, "0") != 0, .origin = origin};
	if (origin && fsb_fmt_slug(origin)) {
		fail(rs, 1, 400, "parameter origin", "not an origin ([a-z0-9-], 1 to 32)");
		return;
	}
	if (kind && (f.kind = fsb_kind_parse(kind)) == FSB_KIND_NONE) {
		fail(rs, 1, 400, "parameter kind", "surveillance, quarantine, recall, followup or certification");
		return;
	}
	on_snapshot(w, rs, 1, cases_fn, &f);
}

static int trace_fn(struct fsb_query *q, const struct fsb_case_opts *o, void *arg,
		    struct fsb_http_response *rs)
{
	struct fsb_trace t = {0};
	int rc = fsb_query_trace(q, arg, o, &t);
	if (rc == 0) {
		rs->content_type = JSON;
		fsb_render_trace_json(&rs->body, &t);
		fsb_out_puts(&rs->body, "\n");
	}
	fsb_trace_clear(&t);
	return rc;
}

static void trace(struct fsb_web *w, const struct fsb_http_request *rq, struct fsb_http_response *rs)
{
	int bad = 0;
	const char *query = param(rq, rs, 1, "q", &bad), *lot = param(rq, rs, 1, "lot", &bad);
	const char *at = param(rq, rs, 1, "at", &bad);
	if (bad)
		return;
	if (!query || !query[0]) {
		fail(rs, 1, 400, "parameter q", "give a Digital Link, a GTIN, a GLN or a tax code");
		return;
	}
	struct fsb_trace_query tq;
	memset(&tq, 0, sizeof tq);
	const char *why = fsb_trace_parse(query, lot && lot[0] ? lot : NULL, &tq);
	if (why) {
		fail(rs, 1, 400, "parameter q", why);
		return;
	}
	if ((why = fsb_trace_at(&tq, at && at[0] ? at : NULL, fsb_fmt_now_ms()))) {
		fail(rs, 1, 400, "parameter at", why);
		return;
	}
	on_snapshot(w, rs, 1, trace_fn, &tq);
}

struct report_ask {
	struct fsb_report_period p;
	enum fsb_lang lang;
	int csv;
	const char *unit;
};

static int report_fn(struct fsb_query *q, const struct fsb_case_opts *o, void *arg,
		     struct fsb_http_response *rs)
{
	struct report_ask *a = arg;
	struct fsb_report r;
	const char *unknown;
	int rc = fsb_query_report(q, &a->p, NULL, 0, o, &r, &unknown);
	if (rc)
		return rc;
	struct fsb_report_issuer by = {.unit = a->unit};
	if (a->csv) {
		rs->content_type = "text/csv; charset=utf-8";
		fsb_render_report_csv(&rs->body, &r, &by, a->lang);
	} else {
		rs->content_type = HTML;
		fsb_render_report_html(&rs->body, &r, &by, a->lang);
	}
	fsb_report_clear(&r);
	return 0;
}

static void report(struct fsb_web *w, const struct fsb_http_request *rq, struct fsb_http_response *rs)
{
	int bad = 0;
	struct report_ask a = {.unit = w->unit};
	const char *from = param(rq, rs, 0, "from", &bad), *to = param(rq, rs, 0, "to", &bad);
	const char *format = param(rq, rs, 0, "format", &bad);
	if (bad || lang_of(rq, rs, 0, &a.lang, &bad))
		return;
	if (!from || !to) {
		fail(rs, 0, 400, "the period is missing", "give from=YYYY-MM-DD and to=YYYY-MM-DD");
		return;
	}
	a.csv = format && strcmp(format, "csv") == 0;
	if (format && !a.csv && strcmp(format, "html") != 0) {
		fail(rs, 0, 400, "parameter format", "html or csv");
		return;
	}
	const char *which, *why = fsb_report_period(&a.p, from, to, &which);
	if (why) {
		fail(rs, 0, 400, strcmp(which, "--to") == 0 ? "parameter to" : "parameter from", why);
		return;
	}
	on_snapshot(w, rs, 0, report_fn, &a);
}

void fsb_web_handle(void *ctx, const struct fsb_http_request *rq, struct fsb_http_response *rs)
{
	struct fsb_web *w = ctx;
	const char *p = rq->path;
	if (strcmp(p, "/healthz") == 0)
		healthz(w, rs);
	else if (strcmp(p, "/api/cases") == 0)
		case_list(w, rq, rs);
	else if (strncmp(p, "/api/case/", 10) == 0)
		case_one(w, p + 10, rs);
	else if (strcmp(p, "/api/trace") == 0)
		trace(w, rq, rs);
	else if (strcmp(p, "/report") == 0)
		report(w, rq, rs);
	else
		fail(rs, strncmp(p, "/api/", 5) == 0, 404, "no such page", NULL);
}
