/* http.h - the web view's HTTP server; the only module that sees
 * microhttpd.h (libmicrohttpd).
 *
 * Read-only by construction: only GET and HEAD reach the handler, anything
 * else is answered 405 here. One thread serves every request in turn, so a
 * handler may open the store's read transaction on it. Every response
 * carries the same security headers (a Content-Security-Policy that allows
 * nothing from elsewhere, no sniffing, no framing, no referrer, no caching).
 * Connections are bounded, and so are a request's URL and its time.
 */
#ifndef FSB_HTTP_H
#define FSB_HTTP_H

#include <stddef.h>

#include "out.h"

struct fsb_http; /* opaque: a running server */

/* A request as the handler sees it: a decoded path and its query. */
struct fsb_http_request {
	const char *path;   /* percent-decoded, always starting with '/' */
	void *conn;         /* for fsb_http_arg() */
};

/* The value of query parameter name (decoded), or NULL when absent. */
const char *fsb_http_arg(const struct fsb_http_request *rq, const char *name);

/* What the handler answers: a status, a content type (static), a body. */
struct fsb_http_response {
	unsigned status;
	const char *content_type;
	struct fsb_out body;
};

typedef void (*fsb_http_handler)(void *ctx, const struct fsb_http_request *rq,
				 struct fsb_http_response *rs);

struct fsb_http_opts {
	const char *listen;        /* "HOST:PORT", an IPv4 address or "localhost" */
	unsigned max_connections;  /* at once; more are refused */
	unsigned timeout_s;        /* an idle connection is closed after this */
};

#define FSB_HTTP_URL_MAX 4096 /* bytes of a request's URL, at most (414 past it) */

/* Starts serving on o->listen in a thread of its own. FSB_ECONFIG with err
 * set when the address does not parse, FSB_EIO when it cannot be bound. */
int fsb_http_start(const struct fsb_http_opts *o, fsb_http_handler fn, void *ctx,
		   struct fsb_http **out, char *err, size_t errlen);

/* Stops serving and waits for the thread; NULL allowed. */
void fsb_http_stop(struct fsb_http *h);

#endif
