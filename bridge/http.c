/* http.c - the web view's HTTP server over libmicrohttpd. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"

struct fsb_http {
	struct MHD_Daemon *d;
	fsb_http_handler fn;
	void *ctx;
};

const char *fsb_http_arg(const struct fsb_http_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Headers every answer carries. */
static void secure(struct MHD_Response *r, const char *content_type)
{
	MHD_add_response_header(r, "Content-Type", content_type);
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
				"connect-src 'self'; script-src 'self' 'unsafe-inline'; base-uri 'none'; "
				"form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct fsb_http *h = cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;
	struct fsb_http_response rs = {.status = 200, .content_type = "text/html; charset=utf-8"};
	fsb_out_init(&rs.body);
	int head = strcmp(method, "HEAD") == 0, get = strcmp(method, "GET") == 0;
	if (!get && !head) {
		rs.status = 405;
		rs.content_type = "text/plain; charset=utf-8";
		fsb_out_puts(&rs.body, "405: this view is read-only: GET and HEAD only\n");
		*upload_data_size = 0; /* a body is not read */
	} else if (strlen(url) > FSB_HTTP_URL_MAX) {
		rs.status = 414;
		rs.content_type = "text/plain; charset=utf-8";
		fsb_out_puts(&rs.body, "414: the address is too long\n");
	} else {
		struct fsb_http_request rq = {.path = url, .conn = c};
		h->fn(h->ctx, &rq, &rs);
	}
	if (fsb_out_finish(&rs.body)) {
		fsb_out_clear(&rs.body);
		rs.status = 500;
		rs.content_type = "text/plain; charset=utf-8";
		fsb_out_puts(&rs.body, "500: out of memory\n");
	}
	struct MHD_Response *r =
		MHD_create_response_from_buffer(rs.body.len, rs.body.buf ? rs.body.buf : (char *)"",
						MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret = MHD_NO;
	if (r) {
		secure(r, rs.content_type);
		if (rs.status == 405)
			MHD_add_response_header(r, "Allow", "GET, HEAD");
		ret = MHD_queue_response(c, rs.status, r);
		MHD_destroy_response(r);
	}
	fsb_out_clear(&rs.body);
	return ret;
}

int fsb_http_start(const struct fsb_http_opts *o, fsb_http_handler fn, void *ctx,
		   struct fsb_http **out, char *err, size_t errlen)
{
	*out = NULL;
	unsigned char a[4];
	unsigned port;
	const char *why = fsb_fmt_listen(o->listen, a, &port);
	if (why) {
		snprintf(err, errlen, "listen \"%s\": %s", o->listen ? o->listen : "", why);
		return FSB_ECONFIG;
	}
	struct fsb_http *h = calloc(1, sizeof *h);
	if (!h)
		return FSB_ENOMEM;
	h->fn = fn;
	h->ctx = ctx;
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	memcpy(&sa.sin_addr.s_addr, a, 4);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, (uint16_t)port, NULL,
				NULL, answer, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this machine)",
			 o->listen);
		free(h);
		return FSB_EIO;
	}
	*out = h;
	return 0;
}

void fsb_http_stop(struct fsb_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
