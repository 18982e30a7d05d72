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
	const char *unit;              /* the issuing unit, for the report's heading */
};

/* The handler for fsb_http_start(), ctx a struct fsb_web. Routes:
 * /healthz, /api/cases, /api/case/{id}, /api/trace?q=…, /report?from=…&to=…. */
void fsb_web_handle(void *ctx, const struct fsb_http_request *rq, struct fsb_http_response *rs);

#endif
