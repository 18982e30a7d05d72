/* web.h - the web view's routes (`fsbridge serve`): pages and JSON for
 * staff and agency systems, read from the node's store through the query
 * layer; it computes nothing itself. */
#ifndef FSB_WEB_H
#define FSB_WEB_H

#include "http.h"
#include "query.h"
#include "store.h"

struct fsb_web {
	struct fsb_store *store;       /* opened read-only */
	struct fsb_case_opts case_opts; /* the deadlines (now is taken per request) */
	const char *unit;              /* the issuing unit, for the pages' headings */
	struct fsb_recheck check;      /* what a message page checks its signature
					* against; trust NULL: not checked */
};

/* The handler for fsb_http_start(), ctx a struct fsb_web. Routes (README,
 * "The web view"): / (the feed), /message/{id}, /cases, /case/{id},
 * /trace?q=…, /report?from=…&to=…, /events (the live feed as Server-Sent
 * Events), /live.js (its script), /healthz, and as JSON /api/feed,
 * /api/message/{id}, /api/cases, /api/case/{id}, /api/trace?q=…. */
void fsb_web_handle(void *ctx, const struct fsb_http_request *rq, struct fsb_http_response *rs);

#endif
