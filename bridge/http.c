/* http.c - the web view's HTTP server over libmicrohttpd.
 *
 * One internal thread serves every connection. A stream (the live feed)
 * is a response read from a callback: when the handler's pull has nothing
 * to send, the connection is suspended (it costs no thread and no poll),
 * and a ticker thread resumes the sleeping ones every tick so pull is asked
 * again. On stop, every sleeping stream is resumed and ended first, as
 * libmicrohttpd requires.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "error.h"
#include "format.h"

struct stream;

struct fsb_http {
	struct MHD_Daemon *d;
	fsb_http_handler fn;
	void *ctx;
	unsigned max_streams, tick_ms;
	pthread_t ticker;
	int ticking;
	pthread_mutex_t mu;       /* guards what follows */
	pthread_cond_t cv;
	int stopping;
	unsigned streams;         /* open */
	struct stream *sleeping;  /* suspended, waiting for the tick */
};

/* One open stream: what pull gave and the client has not taken yet. */
struct stream {
	struct fsb_http *h;
	struct MHD_Connection *conn;
	struct fsb_http_stream s;
	struct fsb_out pending;
	size_t sent;              /* bytes of pending already taken */
	int asleep;
	struct stream *next;      /* in h->sleeping */
};

const char *fsb_http_header(const struct fsb_http_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

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
				"connect-src 'self'; script-src 'self'; base-uri 'none'; "
				"form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

/* ---- streams ---------------------------------------------------------------- */

/* Whether the client of a stream has closed its side: it sends nothing
 * after its request, so a socket that reads as ended (or failed) has gone.
 * A sleeping stream would otherwise hold its place until its next write. */
static int gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return 0;
	char c;
	ssize_t n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	struct fsb_http *h = st->h;
	(void)pos;
	if (st->sent == st->pending.len) {
		fsb_out_clear(&st->pending);
		st->sent = 0;
		pthread_mutex_lock(&h->mu);
		int stopping = h->stopping;
		pthread_mutex_unlock(&h->mu);
		if (stopping || st->s.pull(st->s.st, &st->pending) || fsb_out_finish(&st->pending))
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (st->pending.len == 0) {
			/* nothing now: end it if the client has gone, else sleep
			 * until the tick (or the stop) wakes it */
			if (gone(st->conn))
				return MHD_CONTENT_READER_END_OF_STREAM;
			pthread_mutex_lock(&h->mu);
			if (h->stopping) {
				pthread_mutex_unlock(&h->mu);
				return MHD_CONTENT_READER_END_OF_STREAM;
			}
			MHD_suspend_connection(st->conn);
			st->asleep = 1;
			st->next = h->sleeping;
			h->sleeping = st;
			pthread_mutex_unlock(&h->mu);
			return 0;
		}
	}
	size_t n = st->pending.len - st->sent;
	if (n > max)
		n = max;
	memcpy(buf, st->pending.buf + st->sent, n);
	st->sent += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	struct fsb_http *h = st->h;
	pthread_mutex_lock(&h->mu);
	h->streams--;
	pthread_mutex_unlock(&h->mu);
	st->s.done(st->s.st);
	fsb_out_clear(&st->pending);
	free(st);
}

/* Resumes every sleeping stream; h->mu held. */
static void wake_all(struct fsb_http *h)
{
	for (struct stream *st = h->sleeping, *next; st; st = next) {
		next = st->next;
		st->asleep = 0;
		st->next = NULL;
		MHD_resume_connection(st->conn);
	}
	h->sleeping = NULL;
}

static void *tick(void *arg)
{
	struct fsb_http *h = arg;
	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		struct timespec at;
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_nsec += (long)(h->tick_ms % 1000) * 1000000L;
		at.tv_sec += h->tick_ms / 1000 + at.tv_nsec / 1000000000L;
		at.tv_nsec %= 1000000000L;
		int rc = pthread_cond_timedwait(&h->cv, &h->mu, &at);
		if (rc == ETIMEDOUT || h->stopping)
			wake_all(h);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static enum MHD_Result answer_stream(struct fsb_http *h, struct MHD_Connection *c,
				     struct fsb_http_response *rs)
{
	struct stream *st = NULL;
	pthread_mutex_lock(&h->mu);
	int full = h->streams >= h->max_streams || h->stopping;
	if (!full)
		h->streams++;
	pthread_mutex_unlock(&h->mu);
	struct MHD_Response *r = NULL;
	if (!full && (st = calloc(1, sizeof *st))) {
		st->h = h;
		st->conn = c;
		st->s = rs->stream;
		fsb_out_init(&st->pending);
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st,
						      stream_free);
		if (!r) {
			stream_free(st); /* counts the stream out and lets it go */
			st = NULL;
		}
	} else {
		if (!full) {
			pthread_mutex_lock(&h->mu);
			h->streams--;
			pthread_mutex_unlock(&h->mu);
		}
		rs->stream.done(rs->stream.st);
	}
	fsb_out_clear(&rs->body);
	enum MHD_Result ret = MHD_NO;
	if (r) {
		secure(r, rs->content_type);
		MHD_add_response_header(r, "X-Accel-Buffering", "no");
		ret = MHD_queue_response(c, rs->status, r);
		MHD_destroy_response(r);
		return ret;
	}
	static const char busy[] = "503: too many live feeds are open; try again later\n";
	r = MHD_create_response_from_buffer(sizeof busy - 1, (void *)busy, MHD_RESPMEM_PERSISTENT);
	if (r) {
		secure(r, "text/plain; charset=utf-8");
		MHD_add_response_header(r, "Retry-After", "10");
		ret = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, r);
		MHD_destroy_response(r);
	}
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct fsb_http *h = cls;
	(void)version;
	(void)upload_data;
	static char headers_read; /* marks a request past its first call */
	struct fsb_http_response rs = {.status = 200, .content_type = "text/html; charset=utf-8"};
	int head = strcmp(method, "HEAD") == 0, get = strcmp(method, "GET") == 0, body = 0;
	if (*con_cls) {
		/* the last call, past the headers: nothing of a body was
		 * announced, and whatever came is dropped */
		if (*upload_data_size) {
			*upload_data_size = 0;
			return MHD_YES;
		}
	} else {
		const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		body = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding") ||
		       (length && strcmp(length, "0") != 0);
	}
	if (!*con_cls && (get || head) && !body) {
		/* The first call has the headers only. Answered now, the
		 * connection would be closed after the answer, as a body
		 * could still be coming: answering on the next call keeps it
		 * open for the browser's next request. */
		*con_cls = &headers_read;
		return MHD_YES;
	}
	fsb_out_init(&rs.body);
	if ((get || head) && body) {
		/* answered at once, unread; the connection is closed after */
		rs.status = 400;
		rs.content_type = "text/plain; charset=utf-8";
		fsb_out_puts(&rs.body, "400: a GET or HEAD request carries no body\n");
	} else if (!get && !head) {
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
	if (rs.stream.pull)
		return answer_stream(h, c, &rs);
	struct MHD_Response *r =
		MHD_create_response_from_buffer(rs.body.len, rs.body.buf ? rs.body.buf : (char *)"",
						MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret = MHD_NO;
	if (r) {
		secure(r, rs.content_type);
		if (rs.status == 405)
			MHD_add_response_header(r, "Allow", "GET, HEAD");
		if (rs.status == 503)
			MHD_add_response_header(r, "Retry-After", "10");
		ret = MHD_queue_response(c, rs.status, r);
		MHD_destroy_response(r);
	}
	fsb_out_clear(&rs.body);
	return ret;
}

/* Percent-decodes a path or a query value in place, as libmicrohttpd
 * would, except that a NUL (%00) becomes 0xFF: a C string would otherwise
 * end there, and "/message/longan:1%00.html" be read as "/message/longan:1".
 * 0xFF is never UTF-8, so the handler's check refuses what held one. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	size_t n = MHD_http_unescape(s);
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = (char)0xFF;
	return n;
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
	h->max_streams = o->max_streams;
	h->tick_ms = o->tick_ms ? o->tick_ms : 1000;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	memcpy(&sa.sin_addr.s_addr, a, 4);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
					MHD_ALLOW_SUSPEND_RESUME,
				(uint16_t)port, NULL,
				NULL, answer, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this machine)",
			 o->listen);
		fsb_http_stop(h);
		return FSB_EIO;
	}
	if (pthread_create(&h->ticker, NULL, tick, h)) {
		snprintf(err, errlen, "cannot start the web view's ticker thread");
		fsb_http_stop(h);
		return FSB_EIO;
	}
	h->ticking = 1;
	*out = h;
	return 0;
}

void fsb_http_stop(struct fsb_http *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	wake_all(h);
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	if (h->ticking)
		pthread_join(h->ticker, NULL);
	if (h->d) {
		/* the woken streams end on their next read; let them be read */
		MHD_quiesce_daemon(h->d);
		for (int i = 0; i < 100; i++) {
			pthread_mutex_lock(&h->mu);
			unsigned open = h->streams;
			pthread_mutex_unlock(&h->mu);
			if (open == 0)
				break;
			struct timespec ms10 = {0, 10000000L};
			nanosleep(&ms10, NULL);
		}
		MHD_stop_daemon(h->d);
	}
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
