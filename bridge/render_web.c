/* render_web.c - the web view's pages (render_web.h). */
#include "render_web.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr.h"
#include "render_case.h"
#include "render_trace.h"

#define L(key) fsb_label(pg->lang, key)

static const char CSS[] =
	"body{font-family:'Noto Sans','DejaVu Sans',Arial,sans-serif;margin:0;color:#1a1a1a;"
	"background:#f6f7f9}"
	"header{background:#0b5d3b;color:#fff;padding:.6em 1.2em;display:flex;flex-wrap:wrap;"
	"align-items:center;gap:1.2em}"
	"header a{color:#fff;text-decoration:none;padding:.2em .5em;border-radius:3px}"
	"header a.on{background:#fff;color:#0b5d3b}header .node{font-weight:bold;margin-right:auto}"
	"main{max-width:72em;margin:0 auto;padding:1em 1.2em}"
	"table{border-collapse:collapse;width:100%;background:#fff;margin:.6em 0}"
	"th,td{border:1px solid #d5d9de;padding:.35em .5em;text-align:left;vertical-align:top}"
	"th{background:#eef1f4}dl{margin:.2em 0 .2em 1em}dt{font-weight:bold;margin-top:.3em}"
	"dd{margin-left:1.2em}.box{background:#fff;border:1px solid #d5d9de;padding:.6em 1em;"
	"margin:.6em 0}.bad{color:#b00020;font-weight:bold}.ok{color:#0b5d3b;font-weight:bold}"
	".muted{color:#5f6b76;font-size:.9em}.hash{font-family:monospace;word-break:break-all}"
	"form{margin:.6em 0}input,select,button{font:inherit;padding:.25em}"
	"input[name=q]{width:min(44em,95%)}.qr{display:block;margin:.4em 0}"
	"tr.new{background:#fff7d6}footer{color:#5f6b76;font-size:.85em;padding:1em 1.2em}";

/* An href to path (already safe) with query q (URL-encoded, may be "" or
 * NULL) and the page's language. */
static void href(struct fsb_out *o, const struct fsb_page *pg, const char *path, const char *q)
{
	int has = q && q[0];
	fsb_out_puts(o, " href=\"");
	fsb_out_html(o, path);
	if (has) {
		fsb_out_puts(o, "?");
		fsb_out_html(o, q);
	}
	if (pg->lang == FSB_LANG_EN)
		fsb_out_puts(o, has ? "&amp;lang=en" : "?lang=en");
	fsb_out_puts(o, "\"");
}

/* A link to message or case `id` under base ("/message/", "/case/"). */
static void id_link(struct fsb_out *o, const struct fsb_page *pg, const char *base, const char *id)
{
	char path[96];
	snprintf(path, sizeof path, "%s%s", base, id);
	fsb_out_puts(o, "<a");
	href(o, pg, path, NULL);
	fsb_out_puts(o, ">");
	fsb_out_html(o, id);
	fsb_out_puts(o, "</a>");
}

static void local_time(struct fsb_out *o, int64_t ms)
{
	struct fsb_out t;
	fsb_out_init(&t);
	fsb_out_local_time(&t, ms);
	fsb_out_html(o, fsb_out_finish(&t) == 0 && t.buf ? t.buf : "");
	fsb_out_clear(&t);
}

/* A section's heading (a label by key). */
static void heading(struct fsb_out *o, const struct fsb_page *pg, const char *key)
{
	fsb_out_puts(o, "<h2>");
	fsb_out_html(o, L(key));
	fsb_out_puts(o, "</h2>\n");
}

void fsb_render_page_begin(struct fsb_out *o, const struct fsb_page *pg, const char *title,
			   const char *nav)
{
	static const char *const navs[][2] = {
		{"feed", "/"}, {"cases", "/cases"}, {"trace", "/trace"}, {"report", "/report"}};
	fsb_out_printf(o, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
			  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
		       pg->lang == FSB_LANG_EN ? "en" : "vi");
	fsb_out_html(o, title);
	fsb_out_puts(o, " · fsbridge ");
	fsb_out_html(o, pg->origin);
	fsb_out_printf(o, "</title><style>%s</style></head>\n<body><header><span class=\"node\">", CSS);
	fsb_out_html(o, L("web.node"));
	fsb_out_puts(o, " ");
	fsb_out_html(o, pg->unit && pg->unit[0] ? pg->unit : pg->origin);
	fsb_out_puts(o, " (");
	fsb_out_html(o, pg->origin);
	fsb_out_puts(o, ")</span>");
	for (size_t i = 0; i < sizeof navs / sizeof navs[0]; i++) {
		char key[32];
		snprintf(key, sizeof key, "web.nav.%s", navs[i][0]);
		fsb_out_printf(o, "<a%s", nav && strcmp(nav, navs[i][0]) == 0 ? " class=\"on\"" : "");
		href(o, pg, navs[i][1], NULL);
		fsb_out_puts(o, ">");
		fsb_out_html(o, L(key));
		fsb_out_puts(o, "</a>");
	}
	/* the other language, on the same page */
	fsb_out_puts(o, "<a lang=\"");
	fsb_out_puts(o, pg->lang == FSB_LANG_EN ? "vi" : "en");
	fsb_out_puts(o, "\" href=\"");
	fsb_out_html(o, pg->path);
	int has = pg->query && pg->query[0];
	if (has) {
		fsb_out_puts(o, "?");
		fsb_out_html(o, pg->query);
	}
	if (pg->lang == FSB_LANG_VI)
		fsb_out_puts(o, has ? "&amp;lang=en" : "?lang=en");
	fsb_out_puts(o, "\">");
	fsb_out_html(o, L("web.lang.other"));
	fsb_out_puts(o, "</a></header>\n<main><h1>");
	fsb_out_html(o, title);
	fsb_out_puts(o, "</h1>\n");
}

void fsb_render_page_end(struct fsb_out *o, const struct fsb_page *pg)
{
	fsb_out_puts(o, "</main><footer>");
	fsb_out_html(o, L("web.readonly"));
	fsb_out_puts(o, "</footer></body></html>\n");
}

/* ---- the feed ------------------------------------------------------------- */

static const char *kind_key(enum fsb_kind k, char key[32])
{
	snprintf(key, 32, "kind.%s", fsb_kind_name(k) ? fsb_kind_name(k) : "?");
	return key;
}

static void feed_row(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_feed_item *it)
{
	char key[32];
	fsb_out_puts(o, "<tr><td>");
	local_time(o, it->issued_at_ms);
	fsb_out_puts(o, "</td><td>");
	fsb_out_html(o, it->origin);
	fsb_out_puts(o, "<br><span class=\"muted\">");
	fsb_out_html(o, L(it->direction == FSB_DIR_SENT ? "web.dir.sent" : "web.dir.received"));
	fsb_out_puts(o, "</span></td><td>");
	fsb_out_html(o, L(kind_key(it->kind, key)));
	if (it->category[0]) {
		fsb_out_puts(o, "<br><span class=\"muted\">");
		fsb_out_html(o, it->category);
		fsb_out_puts(o, "</span>");
	}
	fsb_out_puts(o, "</td><td>");
	if (it->headline) {
		fsb_out_puts(o, "<b>");
		fsb_out_html(o, L(it->headline));
		fsb_out_puts(o, "</b> ");
	}
	fsb_out_html(o, it->readable ? it->subject : L("web.unreadable"));
	if (it->unit[0]) {
		fsb_out_puts(o, "<br><span class=\"muted\">");
		fsb_out_html(o, it->unit);
		fsb_out_puts(o, "</span>");
	}
	fsb_out_puts(o, "</td><td>");
	id_link(o, pg, "/message/", it->id);
	fsb_out_puts(o, "</td><td>");
	if (it->case_id[0])
		id_link(o, pg, "/case/", it->case_id);
	fsb_out_puts(o, "</td></tr>\n");
}

/* The filters' values, URL-encoded, for links that keep them. */
static void filter_query(struct fsb_out *o, const struct fsb_feed_filter *f)
{
	const char *sep = "";
	if (f->kind != FSB_KIND_NONE) {
		fsb_out_printf(o, "kind=%s", fsb_kind_name(f->kind));
		sep = "&";
	}
	if (f->category) {
		fsb_out_printf(o, "%scategory=", sep);
		fsb_out_url(o, f->category);
		sep = "&";
	}
	if (f->origin) {
		fsb_out_printf(o, "%sorigin=", sep);
		fsb_out_url(o, f->origin);
	}
}

/* The live feed: new messages from /events, added at the top of the table
 * as text (never as HTML), each row linking to its message. Served as
 * /live.js, so the pages need no inline script. */
static const char LIVE_JS[] =
	"(function(){var t=document.getElementById('feed');if(!t||!window.EventSource)return;\n"
	"var q=t.getAttribute('data-events'),lang=t.getAttribute('data-lang'),es=new EventSource(q);\n"
	"function c(r,s,cl){var d=document.createElement('td');d.textContent=s;if(cl)d.className=cl;"
	"r.appendChild(d);return d}\n"
	"es.addEventListener('message',function(e){var m;try{m=JSON.parse(e.data)}catch(x){return}\n"
	"if(document.getElementById('m-'+m.id))return;\n"
	"var r=document.createElement('tr');r.className='new';r.id='m-'+m.id;\n"
	"c(r,m.issuedLocal);c(r,m.origin);c(r,m.kindLabel);"
	"c(r,(m.headlineLabel?m.headlineLabel+' ':'')+m.subject);\n"
	"var d=c(r,''),a=document.createElement('a');a.textContent=m.id;\n"
	"a.href='/message/'+encodeURIComponent(m.id)+(lang==='en'?'?lang=en':'');d.appendChild(a);\n"
	"var k=c(r,'');if(m.caseId){var l=document.createElement('a');l.textContent=m.caseId;\n"
	"l.href='/case/'+encodeURIComponent(m.caseId)+(lang==='en'?'?lang=en':'');k.appendChild(l)}\n"
	"var b=t.tBodies[0];b.insertBefore(r,b.firstChild);\n"
	"var n=document.getElementById('none');if(n)n.remove()})})();\n";

const char *fsb_render_live_js(void)
{
	return LIVE_JS;
}

/* A form's parts: the page's language kept, the kind (all, or one), a
 * labelled input (attrs: its type or size), a filter form's button. */
static void hidden_lang(struct fsb_out *o, const struct fsb_page *pg)
{
	if (pg->lang == FSB_LANG_EN)
		fsb_out_puts(o, "<input type=\"hidden\" name=\"lang\" value=\"en\">");
}


static void kind_select(struct fsb_out *o, const struct fsb_page *pg, enum fsb_kind selected)
{
	char key[32];
	fsb_out_puts(o, "<label>");
	fsb_out_html(o, L("web.filter.kind"));
	fsb_out_puts(o, " <select name=\"kind\"><option value=\"\">");
	fsb_out_html(o, L("web.filter.all"));
	fsb_out_puts(o, "</option>");
	for (int k = FSB_KIND_NONE + 1; fsb_kind_name((enum fsb_kind)k); k++) {
		fsb_out_printf(o, "<option value=\"%s\"%s>", fsb_kind_name((enum fsb_kind)k),
			       selected == (enum fsb_kind)k ? " selected" : "");
		fsb_out_html(o, L(kind_key((enum fsb_kind)k, key)));
		fsb_out_puts(o, "</option>");
	}
	fsb_out_puts(o, "</select></label>");
}

static void input_field(struct fsb_out *o, const struct fsb_page *pg, const char *label,
			const char *name, const char *attrs, const char *value)
{
	fsb_out_puts(o, " <label>");
	fsb_out_html(o, L(label));
	fsb_out_printf(o, " <input name=\"%s\" %s value=\"", name, attrs);
	fsb_out_html(o, value ? value : "");
	fsb_out_puts(o, "\"></label>");
}

static void filter_button(struct fsb_out *o, const struct fsb_page *pg)
{
	hidden_lang(o, pg);
	fsb_out_puts(o, " <button>");
	fsb_out_html(o, L("web.filter.apply"));
	fsb_out_puts(o, "</button></form>\n");
}

void fsb_render_feed_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_feed *f,
			  const struct fsb_feed_filter *flt)
{
	fsb_render_page_begin(o, pg, L("web.feed.title"), "feed");
	fsb_out_puts(o, "<form method=\"get\" action=\"/\">");
	kind_select(o, pg, flt->kind);
	input_field(o, pg, "web.filter.category", "category", "size=\"10\"", flt->category);
	input_field(o, pg, "web.filter.origin", "origin", "size=\"10\"", flt->origin);
	filter_button(o, pg);

	struct fsb_out q;
	fsb_out_init(&q);
	filter_query(&q, flt);
	fsb_out_finish(&q);
	const char *fq = q.buf ? q.buf : "";
	/* the live feed starts after the newest message the page was made from */
	fsb_out_printf(o, "<table id=\"feed\" data-lang=\"%s\" data-events=\"/events?after=%llu%s",
		       pg->lang == FSB_LANG_EN ? "en" : "vi", (unsigned long long)f->newest,
		       fq[0] ? "&amp;" : "");
	fsb_out_html(o, fq);
	fsb_out_puts(o, "\"><caption class=\"muted\">");
	fsb_out_html(o, flt->before ? "" : L("web.feed.live"));
	fsb_out_puts(o, "</caption><thead><tr>");
	static const char *const cols[] = {"web.col.time", "web.col.origin", "web.col.kind",
					   "web.col.what", "web.col.id", "web.col.case"};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		fsb_out_puts(o, "<th>");
		fsb_out_html(o, L(cols[i]));
		fsb_out_puts(o, "</th>");
	}
	fsb_out_puts(o, "</tr></thead><tbody>\n");
	for (size_t i = 0; i < f->n; i++)
		feed_row(o, pg, &f->items[i]);
	if (f->n == 0) {
		fsb_out_puts(o, "<tr id=\"none\"><td colspan=\"6\">");
		fsb_out_html(o, L("web.feed.none"));
		fsb_out_puts(o, "</td></tr>\n");
	}
	fsb_out_puts(o, "</tbody></table>\n");
	if (f->more) {
		struct fsb_out more;
		fsb_out_init(&more);
		fsb_out_printf(&more, "before=%llu%s%s", (unsigned long long)f->next, fq[0] ? "&" : "", fq);
		fsb_out_finish(&more);
		fsb_out_puts(o, "<p><a");
		href(o, pg, "/", more.buf ? more.buf : "");
		fsb_out_puts(o, ">");
		fsb_out_html(o, L("web.feed.older"));
		fsb_out_puts(o, " →</a></p>\n");
		fsb_out_clear(&more);
	}
	fsb_out_clear(&q);
	if (!flt->before)
		fsb_out_puts(o, "<script src=\"/live.js\"></script>\n");
	fsb_render_page_end(o, pg);
}

static const char *direction_name(enum fsb_direction d)
{
	return d == FSB_DIR_SENT ? "sent" : "received";
}

static const char *status_name(enum fsb_status s)
{
	return s == FSB_STATUS_WARNINGS ? "warnings" : "accepted";
}

static void item_json(struct fsb_out *o, const struct fsb_feed_item *it)
{
	fsb_out_printf(o, "\"index\":%llu", (unsigned long long)it->index);
	fsb_out_json_member(o, "id", it->id);
	fsb_out_json_member(o, "origin", it->origin);
	fsb_out_json_member(o, "kind", fsb_kind_name(it->kind));
	fsb_out_json_member(o, "category", it->category[0] ? it->category : NULL);
	fsb_out_json_member_time(o, "issuedAt", it->issued_at_ms);
	fsb_out_json_member_time(o, "storedAt", it->arrival_ms);
	fsb_out_json_member(o, "direction", direction_name(it->direction));
	fsb_out_json_member(o, "status", status_name(it->status));
	fsb_out_json_bool(o, "readable", it->readable);
	fsb_out_json_member(o, "headline", it->headline);
	fsb_out_json_member(o, "subject", it->subject);
	fsb_out_json_member(o, "unit", it->unit);
	fsb_out_json_member(o, "caseId", it->case_id[0] ? it->case_id : NULL);
}

void fsb_render_feed_item_json(struct fsb_out *o, const struct fsb_feed_item *it)
{
	fsb_out_puts(o, "{");
	item_json(o, it);
	fsb_out_puts(o, "}");
}

void fsb_render_feed_event_json(struct fsb_out *o, const struct fsb_feed_item *it,
				enum fsb_lang lang)
{
	char key[32];
	struct fsb_out t;
	fsb_out_init(&t);
	fsb_out_local_time(&t, it->issued_at_ms);
	fsb_out_puts(o, "{");
	item_json(o, it);
	fsb_out_json_member(o, "issuedLocal", fsb_out_finish(&t) == 0 && t.buf ? t.buf : "");
	fsb_out_json_member(o, "kindLabel", fsb_label(lang, kind_key(it->kind, key)));
	fsb_out_json_member(o, "headlineLabel", it->headline ? fsb_label(lang, it->headline) : NULL);
	fsb_out_puts(o, "}");
	fsb_out_clear(&t);
}

void fsb_render_feed_json(struct fsb_out *o, const struct fsb_feed *f)
{
	fsb_out_puts(o, "{\"messages\":[");
	for (size_t i = 0; i < f->n; i++) {
		if (i)
			fsb_out_puts(o, ",");
		fsb_render_feed_item_json(o, &f->items[i]);
	}
	fsb_out_printf(o, "],\"next\":%llu", (unsigned long long)f->next);
	fsb_out_json_bool(o, "more", f->more);
	fsb_out_printf(o, ",\"newest\":%llu}", (unsigned long long)f->newest);
}

/* ---- a message ------------------------------------------------------------ */

static void row(struct fsb_out *o, const struct fsb_page *pg, const char *key, const char *value,
		const char *cls)
{
	fsb_out_puts(o, "<tr><th>");
	fsb_out_html(o, L(key));
	fsb_out_printf(o, "</th><td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	fsb_out_html(o, value);
	fsb_out_puts(o, "</td></tr>\n");
}

static void row_time(struct fsb_out *o, const struct fsb_page *pg, const char *key, int64_t ms)
{
	fsb_out_puts(o, "<tr><th>");
	fsb_out_html(o, L(key));
	fsb_out_puts(o, "</th><td>");
	local_time(o, ms);
	fsb_out_puts(o, "</td></tr>\n");
}

/* Every field as nested definition lists, names and enum values in words. */
struct fields {
	struct fsb_out *o;
	const struct fsb_page *pg;
};

/* A field's name in words: its label, or else its JSON name spelt out. */
static void field_name(struct fsb_out *o, const struct fsb_page *pg, const char *key)
{
	char lk[80];
	snprintf(lk, sizeof lk, "field.%s", key);
	const char *l = fsb_label(pg->lang, lk);
	if (l != lk && strcmp(l, lk) != 0) {
		fsb_out_html(o, l);
		return;
	}
	char words[80];
	size_t n = 0;
	for (const char *p = key; *p && n + 2 < sizeof words; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			words[n++] = ' ';
			words[n++] = (char)(*p - 'A' + 'a');
		} else {
			char c = n == 0 && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
			words[n++] = c;
		}
	}
	words[n] = '\0';
	fsb_out_html(o, words);
}

static int field_step(void *ctx, const struct fsb_field *f)
{
	struct fields *fs = ctx;
	struct fsb_out *o = fs->o;
	if (f->event == FSB_FIELD_CLOSE) {
		fsb_out_puts(o, f->list ? "</ol>" : "</dl>");
		fsb_out_puts(o, f->key ? "</dd>\n" : "</li>\n");
		return 0;
	}
	if (f->key) {
		fsb_out_puts(o, "<dt>");
		field_name(o, fs->pg, f->key);
		fsb_out_puts(o, "</dt><dd>");
	} else {
		fsb_out_puts(o, "<li>");
	}
	if (f->event == FSB_FIELD_OPEN) {
		fsb_out_puts(o, f->list ? "<ol>" : "<dl>");
		return 0;
	}
	/* an enum value by its label; text as it is, even when it reads
	 * like a label's key */
	fsb_out_html(o, f->is_enum ? fsb_label(fs->pg->lang, f->value) : f->value);
	fsb_out_puts(o, f->key ? "</dd>\n" : "</li>\n");
	return 0;
}

static const char *chain_key(enum fsb_chain c)
{
	switch (c) {
	case FSB_CHAIN_OK: return "web.chain.ok";
	case FSB_CHAIN_BAD_HASH: return "web.chain.bad_hash";
	case FSB_CHAIN_GAP: return "web.chain.gap";
	case FSB_CHAIN_UNREADABLE: break;
	}
	return "web.chain.unreadable";
}

static const char *link_key(enum fsb_stream_link l)
{
	switch (l) {
	case FSB_LINK_FIRST: return "web.link.first";
	case FSB_LINK_OK: return "web.link.ok";
	case FSB_LINK_NOT_HELD: return "web.link.not_held";
	case FSB_LINK_BROKEN: break;
	}
	return "web.link.broken";
}

static void products_html(struct fsb_out *o, const struct fsb_page *pg,
			  const struct fsb_message_view *m)
{
	if (m->products_total == 0)
		return;
	heading(o, pg, "web.msg.heading.products");
	for (size_t i = 0; i < m->n_products; i++) {
		const struct fsb_message_product *p = &m->products[i];
		fsb_out_puts(o, "<div class=\"box product\"><b>");
		fsb_out_html(o, p->name);
		fsb_out_puts(o, "</b>");
		if (p->gtin14[0]) {
			fsb_out_puts(o, " · GTIN ");
			fsb_out_html(o, p->gtin14);
		}
		if (p->link[0] && fsb_qr_svg(o, p->link, 4, p->link) == 0) {
			fsb_out_puts(o, "<span class=\"hash\">");
			fsb_out_html(o, p->link);
			fsb_out_puts(o, "</span>");
			if (!p->link_given) {
				fsb_out_puts(o, " <span class=\"muted\">(");
				fsb_out_html(o, L("web.msg.link_made"));
				fsb_out_puts(o, ")</span>");
			}
			struct fsb_out q;
			fsb_out_init(&q);
			fsb_out_puts(&q, "q=");
			fsb_out_url(&q, p->link);
			fsb_out_finish(&q);
			fsb_out_puts(o, " · <a");
			href(o, pg, "/trace", q.buf ? q.buf : "");
			fsb_out_clear(&q);
			fsb_out_puts(o, ">");
			fsb_out_html(o, L("web.nav.trace"));
			fsb_out_puts(o, "</a>");
		} else if (!p->link[0]) {
			fsb_out_puts(o, "<p class=\"muted\">");
			fsb_out_html(o, L("web.msg.no_link"));
			fsb_out_puts(o, "</p>");
		}
		fsb_out_puts(o, "</div>\n");
	}
	if (m->products_total > m->n_products) {
		fsb_out_puts(o, "<p class=\"muted\">");
		fsb_out_html(o, L("web.msg.more_products"));
		fsb_out_printf(o, " %zu</p>\n", m->products_total - m->n_products);
	}
}

void fsb_render_message_html(struct fsb_out *o, const struct fsb_page *pg,
			     const struct fsb_message_view *m)
{
	const struct fsb_feed_item *it = &m->item;
	char key[32], title[400];
	snprintf(title, sizeof title, "%s %s", L(kind_key(it->kind, key)), it->id);
	fsb_render_page_begin(o, pg, title, "feed");
	fsb_out_puts(o, "<p class=\"lead\">");
	if (it->headline) {
		fsb_out_puts(o, "<b>");
		fsb_out_html(o, L(it->headline));
		fsb_out_puts(o, "</b> ");
	}
	fsb_out_html(o, it->readable ? it->subject : L("web.unreadable"));
	fsb_out_puts(o, "</p>\n<table>\n");
	row(o, pg, "web.msg.id", it->id, NULL);
	row(o, pg, "web.msg.origin", it->origin, NULL);
	row(o, pg, "web.msg.unit", it->unit, NULL);
	row_time(o, pg, "web.msg.issued", it->issued_at_ms);
	row_time(o, pg, "web.msg.stored", it->arrival_ms);
	row(o, pg, "web.msg.direction", L(it->direction == FSB_DIR_SENT ? "web.dir.sent" : "web.dir.received"), NULL);
	row(o, pg, "web.msg.status",
	    L(it->status == FSB_STATUS_WARNINGS ? "web.msg.status.warnings" : "web.msg.status.accepted"),
	    NULL);
	if (it->case_id[0]) {
		fsb_out_puts(o, "<tr><th>");
		fsb_out_html(o, L("web.msg.case"));
		fsb_out_puts(o, "</th><td>");
		id_link(o, pg, "/case/", it->case_id);
		fsb_out_puts(o, "</td></tr>\n");
	}
	fsb_out_printf(o, "<tr><th>");
	fsb_out_html(o, L("web.msg.index"));
	fsb_out_printf(o, "</th><td>%llu</td></tr>\n</table>\n", (unsigned long long)it->index);

	heading(o, pg, "web.msg.heading.verify");
	fsb_out_puts(o, "<table id=\"verify\">\n");
	fsb_out_puts(o, "<tr><td colspan=\"2\" class=\"");
	fsb_out_puts(o, m->verified > 0 ? "ok" : m->verified < 0 ? "bad" : "muted");
	fsb_out_puts(o, "\">");
	fsb_out_html(o, L(m->verified > 0 ? "web.msg.sig.ok" : m->verified < 0 ? "web.msg.sig.bad"
									   : "web.msg.sig.unchecked"));
	if (m->verified < 0) {
		fsb_out_puts(o, ": ");
		fsb_out_html(o, m->why);
	}
	fsb_out_puts(o, "</td></tr>\n");
	row(o, pg, "web.msg.signer", m->signer.subject_cn, NULL);
	if (m->signer.organization[0])
		row(o, pg, "web.msg.organization", m->signer.organization, NULL);
	row(o, pg, "web.msg.ca", m->signer.issuer_cn, NULL);
	row(o, pg, "web.msg.serial", m->signer.serial, "hash");
	fsb_out_puts(o, "<tr><th>");
	fsb_out_html(o, L("web.msg.validity"));
	fsb_out_puts(o, "</th><td>");
	local_time(o, m->signer.not_before_ms);
	fsb_out_puts(o, " – ");
	local_time(o, m->signer.not_after_ms);
	fsb_out_puts(o, "</td></tr>\n");
	row(o, pg, "web.msg.fingerprint", m->signer_fp, "hash");
	row(o, pg, "web.msg.payload_hash", m->payload_hash, "hash");
	row(o, pg, "web.msg.entry_hash", m->entry_hash, "hash");
	row(o, pg, "web.msg.log_link", L(chain_key(m->log_link)), m->log_link == FSB_CHAIN_OK ? "ok" : "bad");
	row(o, pg, "web.msg.stream_link", L(link_key(m->stream_link)),
	    m->stream_link == FSB_LINK_BROKEN ? "bad" : m->stream_link == FSB_LINK_NOT_HELD ? "muted" : "ok");
	fsb_out_puts(o, "</table>\n");

	if (m->msg)
		products_html(o, pg, m);
	heading(o, pg, "web.msg.heading.fields");
	fsb_out_puts(o, "<div class=\"box fields\"><dl>\n");
	struct fields fs = {o, pg};
	if (m->msg)
		fsb_message_fields(m->msg, field_step, &fs);
	else
		fsb_out_html(o, L("web.unreadable"));
	fsb_out_puts(o, "</dl></div>\n<p><a");
	char api[96];
	snprintf(api, sizeof api, "/api/message/%s", it->id);
	href(o, pg, api, NULL);
	fsb_out_puts(o, ">");
	fsb_out_html(o, L("web.msg.json"));
	fsb_out_puts(o, "</a></p>\n");
	fsb_render_page_end(o, pg);
}

void fsb_render_message_json(struct fsb_out *o, const struct fsb_message_view *m)
{
	fsb_out_puts(o, "{");
	item_json(o, &m->item);
	fsb_out_json_member(o, "payloadHash", m->payload_hash);
	fsb_out_json_member(o, "entryHash", m->entry_hash);
	fsb_out_json_bool(o, "logLinkOk", m->log_link == FSB_CHAIN_OK);
	static const char *const links[] = {NULL, "first", "ok", "notHeld", "broken"};
	fsb_out_json_member(o, "streamLink", links[m->stream_link]);
	fsb_out_puts(o, ",\"signer\":{\"name\":");
	fsb_out_json_str(o, m->signer.subject_cn);
	fsb_out_json_member(o, "organization", m->signer.organization);
	fsb_out_json_member(o, "issuer", m->signer.issuer_cn);
	fsb_out_json_member(o, "serial", m->signer.serial);
	fsb_out_json_member(o, "fingerprint", m->signer_fp);
	fsb_out_json_member_time(o, "notBefore", m->signer.not_before_ms);
	fsb_out_json_member_time(o, "notAfter", m->signer.not_after_ms);
	fsb_out_puts(o, "}");
	fsb_out_json_member(o, "signatureRechecked",
			    m->verified > 0 ? "verified" : m->verified < 0 ? "refused" : "not-checked");
	if (m->verified < 0)
		fsb_out_json_member(o, "refusedBecause", m->why);
	fsb_out_puts(o, ",\"products\":[");
	for (size_t i = 0; i < m->n_products; i++) {
		fsb_out_puts(o, i ? ",{\"name\":" : "{\"name\":");
		fsb_out_json_str(o, m->products[i].name);
		fsb_out_json_member(o, "gtin", m->products[i].gtin14[0] ? m->products[i].gtin14 : NULL);
		fsb_out_json_member(o, "digitalLink", m->products[i].link[0] ? m->products[i].link : NULL);
		fsb_out_json_bool(o, "linkGiven", m->products[i].link_given);
		fsb_out_puts(o, "}");
	}
	fsb_out_puts(o, "],\"message\":");
	char *json = NULL;
	if (m->msg && fsb_message_to_json(m->msg, 0, &json) == 0)
		fsb_out_puts(o, json);
	else
		fsb_out_puts(o, "null");
	free(json);
	fsb_out_puts(o, "}");
}

/* ---- cases ---------------------------------------------------------------- */

/* A table's column headings (labels by key), opening its body. */
static void th(struct fsb_out *o, const struct fsb_page *pg, const char *const *keys, size_t n)
{
	fsb_out_puts(o, "<thead><tr>");
	for (size_t i = 0; i < n; i++) {
		fsb_out_puts(o, "<th>");
		fsb_out_html(o, L(keys[i]));
		fsb_out_puts(o, "</th>");
	}
	fsb_out_puts(o, "</tr></thead><tbody>\n");
}

static void case_state(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_case *c)
{
	fsb_out_html(o, c->root_held ? fsb_label2(pg->lang, "case.state", fsb_case_state_name(c->state))
				     : L("case.root_missing"));
	if (c->overdue) {
		fsb_out_puts(o, " <span class=\"bad\">");
		fsb_out_html(o, L("case.overdue"));
		fsb_out_puts(o, "</span>");
	}
}

/* The acknowledgements of a case: "2/3". */
static void ack_count(struct fsb_out *o, const struct fsb_case *c)
{
	size_t acked = 0;
	for (size_t i = 0; i < c->n_parties; i++)
		acked += c->parties[i].acknowledged != 0;
	fsb_out_printf(o, "%zu/%zu", acked, c->n_parties);
}

/* Cases as a table: id (linked), kind, state, notified, acknowledgements,
 * subject. */
static void cases_table(struct fsb_out *o, const struct fsb_page *pg, const char *html_id,
			const struct fsb_case *c, size_t n)
{
	char key[32];
	fsb_out_printf(o, "<table id=\"%s\">", html_id);
	static const char *const cols[] = {"case.column.id", "case.column.kind", "case.column.state",
					   "case.column.opened", "case.column.ack", "case.column.subject"};
	th(o, pg, cols, sizeof cols / sizeof cols[0]);
	for (size_t i = 0; i < n; i++) {
		fsb_out_puts(o, "<tr><td>");
		id_link(o, pg, "/case/", c[i].id);
		fsb_out_puts(o, "</td><td>");
		if (c[i].root_held)
			fsb_out_html(o, L(kind_key(c[i].kind, key)));
		fsb_out_puts(o, "</td><td>");
		case_state(o, pg, &c[i]);
		fsb_out_puts(o, "</td><td>");
		local_time(o, c[i].opened_ms);
		fsb_out_puts(o, "</td><td>");
		ack_count(o, &c[i]);
		fsb_out_puts(o, "</td><td>");
		fsb_out_html(o, c[i].subject ? c[i].subject : "");
		fsb_out_puts(o, "</td></tr>\n");
	}
	if (n == 0) {
		fsb_out_puts(o, "<tr><td colspan=\"6\">");
		fsb_out_html(o, L("web.cases.none"));
		fsb_out_puts(o, "</td></tr>\n");
	}
	fsb_out_puts(o, "</tbody></table>\n");
}

static void checkbox(struct fsb_out *o, const struct fsb_page *pg, const char *label,
		     const char *name, int on)
{
	fsb_out_printf(o, " <label><input type=\"checkbox\" name=\"%s\" value=\"1\"%s> ", name,
		       on ? " checked" : "");
	fsb_out_html(o, L(label));
	fsb_out_puts(o, "</label>");
}

void fsb_render_cases_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_case *c,
			   size_t n, const struct fsb_case_filter *flt)
{
	fsb_render_page_begin(o, pg, L("web.cases.title"), "cases");
	fsb_out_puts(o, "<form method=\"get\" action=\"/cases\">");
	kind_select(o, pg, flt->kind);
	input_field(o, pg, "web.filter.origin", "origin", "size=\"10\"", flt->origin);
	checkbox(o, pg, "web.cases.open_only", "open", flt->open_only);
	checkbox(o, pg, "web.cases.overdue_only", "overdue", flt->overdue_only);
	filter_button(o, pg);
	cases_table(o, pg, "cases", c, n);
	fsb_render_page_end(o, pg);
}

void fsb_render_case_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_case *c)
{
	char key[32], title[160];
	snprintf(title, sizeof title, "%s %s", L("web.case.title"), c->id);
	fsb_render_page_begin(o, pg, title, "cases");
	fsb_out_puts(o, "<table id=\"case\">\n<tr><th>");
	fsb_out_html(o, L("case.state"));
	fsb_out_puts(o, "</th><td>");
	case_state(o, pg, c);
	fsb_out_puts(o, "</td></tr>\n");
	if (c->root_held) {
		row(o, pg, "web.col.kind", L(kind_key(c->kind, key)), NULL);
		row(o, pg, "web.col.what", c->subject ? c->subject : "", NULL);
		row(o, pg, "case.issuer", c->unit ? c->unit : "", NULL);
		const char *assess = c->recall_class ? c->recall_class : c->classification ? c->classification
						  : c->verdict ? c->verdict : c->notice_type;
		if (assess)
			row(o, pg, "case.assessment", L(assess), NULL);
		row_time(o, pg, "case.detected", c->detected_ms);
		row_time(o, pg, "case.notified", c->opened_ms);
		if (c->closed_ms != INT64_MIN)
			row_time(o, pg, "case.closed_at", c->closed_ms);
	}
	fsb_out_printf(o, "<tr><th>");
	fsb_out_html(o, L("case.messages"));
	fsb_out_printf(o, "</th><td>%zu</td></tr>\n</table>\n", c->messages);
	heading(o, pg, "case.heading.parties");
	fsb_out_puts(o, "<table id=\"parties\">");
	static const char *const pcols[] = {"web.col.origin", "case.delivered", "case.acknowledged",
					    "case.due", "case.measures"};
	th(o, pg, pcols, sizeof pcols / sizeof pcols[0]);
	for (size_t i = 0; i < c->n_parties; i++) {
		const struct fsb_case_party *p = &c->parties[i];
		fsb_out_puts(o, "<tr><td>");
		fsb_out_html(o, p->origin);
		fsb_out_puts(o, "</td><td>");
		fsb_out_html(o, L(p->delivered ? "case.delivered" : "case.not_delivered"));
		fsb_out_puts(o, "</td><td>");
		if (p->acknowledged) {
			fsb_out_html(o, L("case.acknowledged"));
			fsb_out_puts(o, " ");
			local_time(o, p->ack_at_ms);
			fsb_out_puts(o, "<br>");
			fsb_out_html(o, p->ack_unit ? p->ack_unit : "");
			if (p->ack_officer && p->ack_officer[0]) {
				fsb_out_puts(o, " · ");
				fsb_out_html(o, p->ack_officer);
			}
		} else {
			fsb_out_html(o, L("case.not_acknowledged"));
		}
		fsb_out_puts(o, "</td><td>");
		if (p->due_ms != INT64_MIN)
			local_time(o, p->due_ms);
		if (p->overdue) {
			fsb_out_puts(o, " <span class=\"bad\">");
			fsb_out_html(o, L("case.overdue"));
			fsb_out_puts(o, "</span>");
		}
		fsb_out_printf(o, "</td><td>%zu</td></tr>\n", p->measures);
	}
	fsb_out_puts(o, "</tbody></table>\n");
	if (c->n_requests) {
		heading(o, pg, "case.heading.requests");
		fsb_out_puts(o, "<ul>\n");
		for (size_t i = 0; i < c->n_requests; i++) {
			const struct fsb_case_request *r = &c->requests[i];
			fsb_out_puts(o, "<li>");
			id_link(o, pg, "/message/", r->id);
			fsb_out_puts(o, " ");
			fsb_out_html(o, L("case.asked_by"));
			fsb_out_puts(o, " ");
			fsb_out_html(o, r->asker);
			fsb_out_puts(o, ": ");
			fsb_out_html(o, r->text ? r->text : "");
			fsb_out_puts(o, " — ");
			if (r->answers) {
				fsb_out_html(o, L("case.answered"));
				fsb_out_puts(o, " ");
				id_link(o, pg, "/message/", r->answer_id);
			} else {
				fsb_out_html(o, L("case.unanswered"));
				fsb_out_puts(o, ", ");
				fsb_out_html(o, L("case.due"));
				fsb_out_puts(o, " ");
				local_time(o, r->respond_by_ms);
			}
			if (r->overdue) {
				fsb_out_puts(o, " <span class=\"bad\">");
				fsb_out_html(o, L("case.overdue"));
				fsb_out_puts(o, "</span>");
			}
			fsb_out_puts(o, "</li>\n");
		}
		fsb_out_puts(o, "</ul>\n");
	}
	heading(o, pg, "case.heading.timeline");
	fsb_out_puts(o, "<table id=\"timeline\">");
	static const char *const tcols[] = {"web.col.time", "web.col.origin", "web.col.kind",
					    "web.col.what", "web.col.id"};
	th(o, pg, tcols, sizeof tcols / sizeof tcols[0]);
	for (size_t i = 0; i < c->n_events; i++) {
		const struct fsb_case_event *e = &c->events[i];
		fsb_out_puts(o, "<tr><td>");
		local_time(o, e->issued_at_ms);
		fsb_out_puts(o, "</td><td>");
		fsb_out_html(o, e->origin);
		fsb_out_puts(o, "</td><td>");
		fsb_out_html(o, e->type != FSB_FU_NONE ? L(fsb_followup_type_name(e->type))
						       : L(kind_key(e->kind, key)));
		if (e->withdrawn) {
			fsb_out_puts(o, " <span class=\"bad\">");
			fsb_out_html(o, L("case.withdrawn_msg"));
			fsb_out_puts(o, "</span>");
		}
		fsb_out_puts(o, "</td><td>");
		fsb_out_html(o, e->text ? e->text : "");
		fsb_out_puts(o, "<br><span class=\"muted\">");
		fsb_out_html(o, e->unit ? e->unit : "");
		if (e->officer && e->officer[0]) {
			fsb_out_puts(o, " · ");
			fsb_out_html(o, e->officer);
		}
		fsb_out_puts(o, "</span></td><td>");
		id_link(o, pg, "/message/", e->id);
		fsb_out_puts(o, "</td></tr>\n");
	}
	fsb_out_puts(o, "</tbody></table>\n");
	fsb_render_page_end(o, pg);
}

/* ---- trace and report forms ------------------------------------------------ */

static void error_line(struct fsb_out *o, const char *why)
{
	if (why) {
		fsb_out_puts(o, "<p class=\"bad\" id=\"error\">");
		fsb_out_html(o, why);
		fsb_out_puts(o, "</p>\n");
	}
}

/* ---- a trace -------------------------------------------------------------------- */

static void est_html(struct fsb_out *o, const struct fsb_trace_est *e)
{
	fsb_out_html(o, e->name[0] ? e->name : "-");
	const char *const parts[][2] = {{" · MST ", e->tax_code}, {" · GLN ", e->gln},
					{" · ", e->registration}, {" · ", e->province}};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i][1][0]) {
			fsb_out_puts(o, parts[i][0]);
			fsb_out_html(o, parts[i][1]);
		}
}

/* A standing, in green when in force, in red otherwise. */
static void cert_state_html(struct fsb_out *o, const struct fsb_page *pg, enum fsb_cert_state st)
{
	fsb_out_printf(o, "<span class=\"%s\">", st == FSB_CERT_IN_FORCE ? "ok" : "bad");
	fsb_out_html(o, fsb_cert_state_label(pg->lang, st));
	fsb_out_puts(o, "</span>");
}

static void cert_name_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_trace_cert *c)
{
	fsb_out_html(o, L(c->scheme));
	if (c->stars)
		fsb_out_printf(o, " %u★", c->stars);
	fsb_out_puts(o, " ");
	fsb_out_html(o, c->number);
}

static void summary_row(struct fsb_out *o, const struct fsb_page *pg, const char *key)
{
	fsb_out_puts(o, "<tr><th>");
	fsb_out_html(o, L(key));
	fsb_out_puts(o, "</th><td>");
}

/* What was asked, what it is, and the answer in a line. */
static void trace_summary(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_trace *t)
{
	const struct fsb_trace_target *g = &t->q.target;
	int product = g->gtin14[0] != 0;
	fsb_out_puts(o, "<table id=\"summary\">\n");
	summary_row(o, pg, "web.trace.asked");
	if (product) {
		fsb_out_printf(o, "%s %s", t->q.also_gln ? "GTIN/GLN" : "GTIN",
			       t->q.also_gln ? g->gtin14 + 1 : g->gtin14);
		if (g->lot[0]) {
			fsb_out_printf(o, " · %s ", L("trace.lot"));
			fsb_out_html(o, g->lot);
		}
	} else {
		fsb_out_html(o, g->value);
	}
	fsb_out_printf(o, " — %s %s</td></tr>\n", L("trace.at"), t->q.at_date);
	if (product && t->product[0]) {
		summary_row(o, pg, "trace.product");
		fsb_out_html(o, t->product);
		fsb_out_puts(o, "</td></tr>\n");
	}
	summary_row(o, pg, "trace.summary");
	if (t->n_certs + t->n_results + t->n_recalls + t->n_notices == 0) {
		fsb_out_html(o, L("trace.nothing"));
		fsb_out_puts(o, "</td></tr>\n</table>\n");
		return;
	}
	if (t->certs_in_force)
		fsb_out_printf(o, "<span class=\"ok\">%zu %s</span>", t->certs_in_force,
			       L("trace.certs_in_force"));
	else
		fsb_out_printf(o, "<span class=\"bad\">%s</span>", L("trace.no_cert_in_force"));
	fsb_out_printf(o, " · <span class=\"%s\">%zu %s</span>", t->non_compliant ? "bad" : "ok",
		       t->non_compliant, L("trace.non_compliant"));
	if (product) {
		fsb_out_printf(o, " · <span class=\"%s\">", t->lot_recalled ? "bad" : "ok");
		if (g->lot[0]) {
			fsb_out_printf(o, "%s ", L("trace.lot"));
			fsb_out_html(o, g->lot);
			fsb_out_puts(o, " ");
		}
		fsb_out_html(o, L(t->lot_recalled ? "trace.lot_recalled" : "trace.not_recalled"));
		fsb_out_puts(o, "</span>");
	}
	if (t->truncated)
		fsb_out_printf(o, "<br><span class=\"muted\">%s</span>", L("trace.truncated"));
	fsb_out_puts(o, "</td></tr>\n</table>\n");
}

static void none(struct fsb_out *o, const struct fsb_page *pg)
{
	fsb_out_puts(o, "<p class=\"muted\">");
	fsb_out_html(o, L("trace.none"));
	fsb_out_puts(o, "</p>\n");
}

static void certs_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_trace *t)
{
	heading(o, pg, "trace.heading.certs");
	if (t->n_certs == 0) {
		none(o, pg);
		return;
	}
	fsb_out_puts(o, "<table id=\"certs\">");
	static const char *const cols[] = {"web.trace.col.cert", "web.trace.col.holder",
					   "web.trace.col.state", "web.trace.col.valid",
					   "web.trace.col.notice", "trace.chain"};
	th(o, pg, cols, sizeof cols / sizeof cols[0]);
	for (size_t i = 0; i < t->n_certs; i++) {
		const struct fsb_trace_cert *c = &t->certs[i];
		fsb_out_puts(o, "<tr><td>");
		cert_name_html(o, pg, c);
		fsb_out_puts(o, "</td><td>");
		est_html(o, &c->holder);
		fsb_out_puts(o, "</td><td>");
		cert_state_html(o, pg, c->state);
		if (c->reason[0] && c->state != FSB_CERT_IN_FORCE) {
			fsb_out_puts(o, "<br><span class=\"muted\">");
			fsb_out_html(o, c->reason);
			fsb_out_puts(o, "</span>");
		}
		fsb_out_printf(o, "</td><td>%s → %s<br><span class=\"muted\">%s ",
			       c->valid_from[0] ? c->valid_from : "?",
			       c->valid_until[0] ? c->valid_until : "?", L("trace.by"));
		fsb_out_html(o, c->body);
		fsb_out_puts(o, "</span></td><td>");
		id_link(o, pg, "/message/", c->id);
		fsb_out_printf(o, " (%s)", c->origin);
		if (strcmp(c->latest, c->id) != 0) {
			fsb_out_printf(o, "<br>%s ", L(c->latest_type));
			id_link(o, pg, "/message/", c->latest);
			fsb_out_puts(o, ", ");
			local_time(o, c->latest_ms);
		}
		fsb_out_puts(o, "</td><td>");
		if (c->chain_id[0]) {
			fsb_out_html(o, c->chain_id);
			fsb_out_printf(o, "<br><span class=\"muted\">%s</span>", L(c->role));
		}
		fsb_out_puts(o, "</td></tr>\n");
	}
	fsb_out_puts(o, "</tbody></table>\n");
}

static void chains_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_trace *t)
{
	heading(o, pg, "trace.heading.chains");
	if (t->n_chains == 0)
		none(o, pg);
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct fsb_safe_chain *ch = &t->chains[i];
		fsb_out_puts(o, "<p><b>");
		fsb_out_html(o, ch->id);
		fsb_out_puts(o, " ");
		fsb_out_html(o, ch->name);
		fsb_out_printf(o, "</b> — <span class=\"%s\">%s</span>", ch->safe ? "ok" : "bad",
			       L(ch->safe ? "chain.safe" : "chain.not_safe"));
		if (ch->international)
			fsb_out_printf(o, " · %s", L("chain.international"));
		fsb_out_printf(o, " · %zu/%zu %s · %zu %s", ch->in_force, ch->n_members,
			       L("chain.members"), ch->provinces, L("chain.provinces"));
		if (ch->truncated)
			fsb_out_printf(o, " <span class=\"muted\">%s</span>", L("trace.truncated"));
		fsb_out_puts(o, "</p>\n<table class=\"chain\">");
		static const char *const cols[] = {"web.trace.col.role", "web.trace.col.holder",
						   "web.trace.col.cert", "web.trace.col.state"};
		th(o, pg, cols, sizeof cols / sizeof cols[0]);
		for (size_t k = 0; k < ch->n_members; k++) {
			const struct fsb_trace_cert *c = &ch->members[k];
			fsb_out_printf(o, "<tr><td>%s</td><td>", L(c->role));
			fsb_out_html(o, c->holder.name);
			fsb_out_printf(o, " (%s)</td><td>", c->origin);
			cert_name_html(o, pg, c);
			fsb_out_puts(o, "</td><td>");
			cert_state_html(o, pg, c->state);
			fsb_out_puts(o, "</td></tr>\n");
		}
		fsb_out_puts(o, "</tbody></table>\n");
	}
}

/* What one message found says, in words. */
static void item_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_trace_item *it,
		      int product)
{
	const char *what[] = {it->verdict, it->recall_class, it->classification, it->notice_type};
	int first = 1;
	for (size_t i = 0; i < sizeof what / sizeof what[0]; i++)
		if (what[i]) {
			int bad = what[i] == it->verdict && strcmp(what[i], "VERDICT_COMPLIANT") != 0;
			fsb_out_printf(o, "%s%s", first ? "" : " · ", bad ? "<span class=\"bad\">" : "");
			fsb_out_html(o, L(what[i]));
			fsb_out_puts(o, bad ? "</span>" : "");
			first = 0;
		}
	const char *const texts[] = {it->failing, product ? "" : it->product};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (texts[i][0]) {
			fsb_out_puts(o, " · ");
			fsb_out_html(o, texts[i]);
		}
	if (it->lots[0]) {
		fsb_out_printf(o, " · %s ", L("trace.lot"));
		fsb_out_html(o, it->lots);
	}
	if (product && it->product[0])
		fsb_out_printf(o, " (%s)", L(it->this_lot ? "trace.this_lot"
					     : it->whole_product ? "trace.whole_product"
								 : "trace.other_lots"));
	const char *const more[] = {it->commodity, it->certificate};
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
		if (more[i][0]) {
			fsb_out_puts(o, " · ");
			fsb_out_html(o, more[i]);
		}
	if (it->party[0]) {
		fsb_out_printf(o, "<br>%s: ", fsb_label2(pg->lang, "trace.role", it->party_role));
		fsb_out_html(o, it->party);
	}
	if (it->stage)
		fsb_out_printf(o, " · %s %s", L("trace.sampled_at"), L(it->stage));
	if (it->reason[0]) {
		fsb_out_puts(o, "<br>");
		fsb_out_html(o, it->reason);
	}
	fsb_out_puts(o, "<br><span class=\"muted\">");
	fsb_out_html(o, it->unit);
	fsb_out_printf(o, " (%s)</span>", it->origin);
}

static void items_html(struct fsb_out *o, const struct fsb_page *pg, const char *key,
		       const char *html_id, const struct fsb_trace_item *it, size_t n, int product)
{
	heading(o, pg, key);
	if (n == 0) {
		none(o, pg);
		return;
	}
	fsb_out_printf(o, "<table id=\"%s\">", html_id);
	static const char *const cols[] = {"web.col.time", "web.col.id", "web.col.what",
					   "web.col.case"};
	th(o, pg, cols, sizeof cols / sizeof cols[0]);
	for (size_t i = 0; i < n; i++) {
		fsb_out_puts(o, "<tr><td>");
		local_time(o, it[i].issued_at_ms);
		fsb_out_puts(o, "</td><td>");
		id_link(o, pg, "/message/", it[i].id);
		fsb_out_puts(o, "</td><td>");
		item_html(o, pg, &it[i], product);
		fsb_out_puts(o, "</td><td>");
		if (it[i].case_id[0] && it[i].case_state) {
			id_link(o, pg, "/case/", it[i].case_id);
			fsb_out_puts(o, "<br>");
			fsb_out_html(o, fsb_label2(pg->lang, "case.state",
						   fsb_case_state_name(it[i].case_state)));
		}
		fsb_out_puts(o, "</td></tr>\n");
	}
	fsb_out_puts(o, "</tbody></table>\n");
}

void fsb_render_trace_html(struct fsb_out *o, const struct fsb_page *pg,
			   const struct fsb_trace_form *f, const struct fsb_trace *t)
{
	fsb_render_page_begin(o, pg, L("web.trace.title"), "trace");
	fsb_out_puts(o, "<form method=\"get\" action=\"/trace\"><label>");
	fsb_out_html(o, L("web.trace.box"));
	fsb_out_puts(o, "<br><input name=\"q\" autofocus value=\"");
	fsb_out_html(o, f->q ? f->q : "");
	fsb_out_puts(o, "\"></label> <button>");
	fsb_out_html(o, L("web.trace.go"));
	fsb_out_puts(o, "</button><br>");
	input_field(o, pg, "web.trace.lot", "lot", "size=\"16\"", f->lot);
	input_field(o, pg, "web.trace.at", "at", "type=\"date\"", f->at);
	hidden_lang(o, pg);
	fsb_out_puts(o, "</form>\n");
	error_line(o, f->why);
	if (t) {
		int product = t->q.target.gtin14[0] != 0;
		fsb_out_puts(o, "<div id=\"answer\">\n");
		trace_summary(o, pg, t);
		if (t->n_certs + t->n_results + t->n_recalls + t->n_notices) {
			heading(o, pg, product ? "trace.heading.establishments" : "trace.establishment");
			if (t->n_establishments == 0)
				none(o, pg);
			else
				fsb_out_puts(o, "<ul id=\"establishments\">\n");
			for (size_t i = 0; i < t->n_establishments; i++) {
				fsb_out_puts(o, "<li>");
				est_html(o, &t->establishments[i]);
				fsb_out_puts(o, "</li>\n");
			}
			if (t->n_establishments)
				fsb_out_puts(o, "</ul>\n");
			certs_html(o, pg, t);
			chains_html(o, pg, t);
			items_html(o, pg, "trace.heading.results", "results", t->results, t->n_results,
				   product);
			items_html(o, pg, "trace.heading.recalls", "recalls", t->recalls, t->n_recalls,
				   product);
			items_html(o, pg, "trace.heading.notices", "notices", t->notices, t->n_notices,
				   product);
			heading(o, pg, "trace.heading.cases");
			cases_table(o, pg, "open-cases", t->cases, t->n_cases);
		}
		fsb_out_puts(o, "</div>\n");
	}
	fsb_render_page_end(o, pg);
}

void fsb_render_report_form(struct fsb_out *o, const struct fsb_page *pg, const char *why)
{
	fsb_render_page_begin(o, pg, L("web.report.title"), "report");
	fsb_out_puts(o, "<form method=\"get\" action=\"/report\"><label>");
	fsb_out_html(o, L("web.report.from"));
	fsb_out_puts(o, " <input type=\"date\" name=\"from\" required></label> <label>");
	fsb_out_html(o, L("web.report.to"));
	fsb_out_puts(o, " <input type=\"date\" name=\"to\" required></label> <button>");
	fsb_out_html(o, L("web.report.go"));
	fsb_out_puts(o, "</button> <button name=\"format\" value=\"csv\">");
	fsb_out_html(o, L("web.report.csv"));
	fsb_out_puts(o, "</button>");
	hidden_lang(o, pg);
	fsb_out_puts(o, "</form>\n");
	error_line(o, why);
	fsb_render_page_end(o, pg);
}
