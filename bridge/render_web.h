/* render_web.h - the web view's pages (README, "The web view"): HTML for
 * staff in their language, and the feed and a message as JSON for agency
 * systems. Like every renderer, it formats what the query layer computed
 * (query.h) and never opens the store; every word comes from the label
 * tables, every untrusted string goes through fsb_out_html().
 *
 * Pages are plain HTML and CSS that work without script; the feed alone
 * loads a few lines (/live.js) that add what /events announces, as text
 * nodes.
 */
#ifndef FSB_RENDER_WEB_H
#define FSB_RENDER_WEB_H

#include "labels.h"
#include "out.h"
#include "query.h"

/* What every page shares. */
struct fsb_page {
	enum fsb_lang lang;
	const char *origin;  /* the node's origin */
	const char *unit;    /* the node's issuing unit, "" when not configured */
	const char *path;    /* this page's path */
	const char *query;   /* its query without lang, URL-encoded ("" for none) */
};

/* The page's head, its navigation (nav: "feed", "cases", "trace",
 * "report") and heading; page_end closes it. */
void fsb_render_page_begin(struct fsb_out *o, const struct fsb_page *pg, const char *title,
			   const char *nav);
void fsb_render_page_end(struct fsb_out *o, const struct fsb_page *pg);

/* The feed: its filters as a form, the messages newest first, a link to
 * older ones, and the script that adds new ones live. */
void fsb_render_feed_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_feed *f,
			  const struct fsb_feed_filter *flt);

/* One feed item as a JSON object (no new line): what /api/feed lists and
 * /events sends. */
void fsb_render_feed_item_json(struct fsb_out *o, const struct fsb_feed_item *it);

/* The same with, for the live feed's script, its time and labels in the
 * page's language (issuedLocal, kindLabel, headlineLabel): what /events
 * sends. */
void fsb_render_feed_event_json(struct fsb_out *o, const struct fsb_feed_item *it,
				enum fsb_lang lang);

/* The live feed's script, served as /live.js. */
const char *fsb_render_live_js(void);

/* {"messages": [...], "next": N, "more": bool, "newest": N} */
void fsb_render_feed_json(struct fsb_out *o, const struct fsb_feed *f);

/* A message: what it is, what vouches for it, its products with their QR
 * codes, and every field in words. */
void fsb_render_message_html(struct fsb_out *o, const struct fsb_page *pg,
			     const struct fsb_message_view *m);

/* The same as JSON: the entry, the checks and the message itself. */
void fsb_render_message_json(struct fsb_out *o, const struct fsb_message_view *m);

/* The cases that passed flt, with the form that chose them; a case, with
 * its thread. */
void fsb_render_cases_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_case *c,
			   size_t n, const struct fsb_case_filter *flt);
void fsb_render_case_html(struct fsb_out *o, const struct fsb_page *pg, const struct fsb_case *c);

/* The trace form as it was filled: the box (q), the optional lot and date
 * (at), any of them NULL; why (when not NULL) says what is wrong with them. */
struct fsb_trace_form {
	const char *q, *lot, *at;
	const char *why;
};

/* The trace form, and when t is not NULL the answer: what was asked and
 * the answer in a line, the establishments, certificates, safe chains,
 * results, recalls and notices found (each linked to its message and
 * case), the open cases. */
void fsb_render_trace_html(struct fsb_out *o, const struct fsb_page *pg,
			   const struct fsb_trace_form *f, const struct fsb_trace *t);

/* The report's form, for a period to choose. */
void fsb_render_report_form(struct fsb_out *o, const struct fsb_page *pg, const char *why);

#endif
