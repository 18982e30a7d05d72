/* http.h - the web view's HTTP server; the only module that sees
 * microhttpd.h (libmicrohttpd).
 *
 * Read-only by construction: only GET and HEAD reach the handler, anything
 * else is answered 405 here. One thread serves every request in turn, so a
 * handler may open the store's read transaction on it. Every response
 * carries the same security headers (a Content-Security-Policy that allows
 * nothing from elsewhere, no sniffing, no framing, no referrer, no caching).
 * Connections are bounded, and so are a request's URL and its time, and
 * the streams open at once.
 */
#ifndef FSB_HTTP_H
#define FSB_HTTP_H

#include <stddef.h>

#include "out.h"

struct fsb_http; /* opaque: a running server */

/* A request as the handler sees it: a decoded path and its query. */
struct fsb_http_request {
	const char *path;   /* percent-decoded (%00 as 0xFF, never UTF-8), starting with / */
	void *conn;         /* for fsb_http_arg() */
};

/* The value of query parameter name (decoded, %00 as 0xFF), or NULL when
 * absent. */
const char *fsb_http_arg(const struct fsb_http_request *rq, const char *name);

/* The value of request header name, or NULL when absent. */
const char *fsb_http_header(const struct fsb_http_request *rq, const char *name);

/* A stream the handler may answer with instead of a body (the live feed,
 * Server-Sent Events): the server calls pull whenever the client can take
 * more; pull appends what it has to o and returns 0 (nothing appended: the
 * connection sleeps until the next tick, without a thread or a poll of its
 * own), or non-zero to end the stream. done releases st when the
 * connection ends, however it ends. */
struct fsb_http_stream {
	int (*pull)(void *st, struct fsb_out *o);
	void (*done)(void *st);
	void *st;
};

/* What the handler answers: a status, a content type (static), a body, or
 * a stream (stream.pull set; the body is not sent). */
struct fsb_http_response {
	unsigned status;
	const char *content_type;
	struct fsb_out body;
	struct fsb_http_stream stream;
};

typedef void (*fsb_http_handler)(void *ctx, const struct fsb_http_request *rq,
				 struct fsb_http_response *rs);

struct fsb_http_opts {
	const char *listen;        /* "HOST:PORT", an IPv4 address or "localhost" */
	unsigned max_connections;  /* at once; more wait in the kernel's queue */
	unsigned timeout_s;        /* an idle connection is closed after this */
	unsigned max_streams;      /* streams at once; more are answered 503 */
	unsigned tick_ms;          /* how often sleeping streams are asked again */
};

#define FSB_HTTP_URL_MAX 4096 /* bytes of a request's URL, at most (414 past it) */

/* Starts serving on o->listen in a thread of its own. FSB_ECONFIG with err
 * set when the address does not parse, FSB_EIO when it cannot be bound. */
int fsb_http_start(const struct fsb_http_opts *o, fsb_http_handler fn, void *ctx,
		   struct fsb_http **out, char *err, size_t errlen);

/* Stops serving and waits for the thread; NULL allowed. */
void fsb_http_stop(struct fsb_http *h);

#endif
