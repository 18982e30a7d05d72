/* httpload.c - the HTTP client side of make bench: requests/s of one page
 * and the live feed's fan-out, against fsbridge serve or the ceiling's
 * fixed page (ceilings httpd). Plain sockets, no library, so the client
 * costs the same whichever server it measures.
 *
 *   httpload get HOST:PORT PATH CONNS SECONDS
 *       GETs PATH over CONNS keep-alive connections, one request at a time
 *       on each, for SECONDS; every answer must be 200. Prints requests,
 *       per_s and bytes (of one answer's body).
 *   httpload sse HOST:PORT PATH CLIENTS EVENTS TIMEOUT_S CMD [ARG...]
 *       opens CLIENTS streams of PATH (Server-Sent Events), waits until all
 *       have started, runs CMD (which commits EVENTS messages) and times,
 *       from CMD's exit, until every client has EVENTS events. Prints
 *       connect_s, cmd_s, first_s (the first client complete), p50_s,
 *       all_s (the last) and deliveries_per_s.
 *
 * Fails (exit 1, a line on stderr) on any error, a non-200 answer, or a
 * client not complete within TIMEOUT_S.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("httpload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in server;

static void parse_addr(const char *hp)
{
	char host[64];
	unsigned port;
	if (sscanf(hp, "%63[^:]:%u", host, &port) != 2 || port == 0 || port > 65535)
		die("\"%s\": expected HOST:PORT", hp);
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &server.sin_addr) != 1)
		die("\"%s\": not an IPv4 address", host);
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&server, sizeof server))
		die("connect: %s", strerror(errno));
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("send: %s", w < 0 ? strerror(errno) : "closed");
		s += w;
		n -= (size_t)w;
	}
}

/* ---- get: requests/s -------------------------------------------------------- */

struct conn {
	int fd;
	char buf[1 << 17];
	size_t len;
};

/* Whether c holds a whole answer; then its body's size, and the answer is
 * taken out of the buffer. */
static int answer_done(struct conn *c, size_t *body)
{
	c->buf[c->len] = '\0';
	char *end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return 0;
	unsigned status;
	if (sscanf(c->buf, "HTTP/1.%*u %u", &status) != 1)
		die("not an HTTP answer: %.60s", c->buf);
	if (status != 200)
		die("answered %u: %.200s", status, c->buf);
	char *cl = strcasestr(c->buf, "\r\nContent-Length:");
	if (!cl || cl > end)
		die("an answer without Content-Length");
	size_t n = strtoul(cl + 17, NULL, 10), head = (size_t)(end + 4 - c->buf);
	if (head + n >= sizeof c->buf)
		die("an answer of %zu bytes, more than this client holds", n);
	if (c->len < head + n)
		return 0;
	memmove(c->buf, c->buf + head + n, c->len - head - n);
	c->len -= head + n;
	*body = n;
	return 1;
}

static int cmd_get(char **a)
{
	parse_addr(a[0]);
	const char *path = a[1];
	int conns = atoi(a[2]);
	double seconds = atof(a[3]);
	if (conns < 1 || conns > 256 || seconds <= 0)
		die("CONNS 1 to 256, SECONDS above 0");
	char req[8192];
	int rl = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, a[0]);
	if (rl <= 0 || (size_t)rl >= sizeof req)
		die("PATH too long");
	struct conn *c = calloc((size_t)conns, sizeof *c);
	struct pollfd *p = calloc((size_t)conns, sizeof *p);
	if (!c || !p)
		die("out of memory");
	for (int i = 0; i < conns; i++) {
		c[i].fd = dial();
		p[i] = (struct pollfd){c[i].fd, POLLIN, 0};
		send_all(c[i].fd, req, (size_t)rl);
	}
	unsigned long done = 0;
	size_t body = 0;
	double t0 = now_s(), end = t0 + seconds, t;
	while ((t = now_s()) < end) {
		int n = poll(p, (nfds_t)conns, 1000);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; n > 0 && i < conns; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = recv(c[i].fd, c[i].buf + c[i].len, sizeof c[i].buf - 1 - c[i].len, 0);
			if (r <= 0)
				die("the server closed a keep-alive connection (%s)",
				    r < 0 ? strerror(errno) : "end of stream");
			c[i].len += (size_t)r;
			while (answer_done(&c[i], &body)) {
				done++;
				send_all(c[i].fd, req, (size_t)rl);
			}
		}
	}
	double took = now_s() - t0;
	for (int i = 0; i < conns; i++)
		close(c[i].fd);
	if (!done)
		die("no answer in %.1f s", seconds);
	printf("requests %lu\nper_s %.1f\nbytes %zu\n", done, done / took, body);
	free(c);
	free(p);
	return 0;
}

/* ---- sse: the live feed's fan-out ------------------------------------------- */

/* One stream, its chunked body decoded as it comes. */
struct client {
	int fd;
	int headers_done, started;
	char head[4096];
	size_t head_len;
	long chunk_left;  /* bytes of the chunk being read; -1: its size line */
	char line[32];    /* the size line so far */
	size_t line_len;
	int crlf_left;    /* the CRLF after a chunk's data still to skip */
	char tail[16];    /* the end of the data so far, for a match across reads */
	size_t tail_len;
	long events;
	double complete;  /* when it had every event */
};

static const char EVENT[] = "event: message\n";

/* Counts EVENT in the decoded data, across the pieces it comes in. */
static void data(struct client *c, const char *s, size_t n)
{
	char scan[sizeof c->tail + 4096];
	while (n) {
		size_t take = n < 4096 ? n : 4096;
		memcpy(scan, c->tail, c->tail_len);
		memcpy(scan + c->tail_len, s, take);
		size_t len = c->tail_len + take;
		scan[len] = '\0';
		if (!c->started && memmem(scan, len, "retry:", 6))
			c->started = 1;
		for (char *p = scan; (p = memmem(p, len - (size_t)(p - scan), EVENT, sizeof EVENT - 1));
		     p += sizeof EVENT - 1)
			c->events++;
		/* keep what could begin a match the next piece completes */
		size_t keep = len < sizeof EVENT - 2 ? len : sizeof EVENT - 2;
		memmove(c->tail, scan + len - keep, keep);
		c->tail_len = keep;
		s += take;
		n -= take;
	}
}

/* Takes what a read gave: headers, then chunk sizes and data. */
static void take(struct client *c, const char *s, size_t n)
{
	while (n && !c->headers_done) {
		if (c->head_len + 1 >= sizeof c->head)
			die("a stream's headers are too long");
		c->head[c->head_len++] = *s++;
		n--;
		c->head[c->head_len] = '\0';
		if (strstr(c->head, "\r\n\r\n")) {
			unsigned status;
			if (sscanf(c->head, "HTTP/1.%*u %u", &status) != 1 || status != 200)
				die("the stream answered: %.200s", c->head);
			if (!strcasestr(c->head, "Transfer-Encoding: chunked"))
				die("the stream is not chunked: %.200s", c->head);
			c->headers_done = 1;
			c->chunk_left = -1;
		}
	}
	while (n) {
		if (c->crlf_left) {
			s++;
			n--;
			c->crlf_left--;
		} else if (c->chunk_left < 0) {
			char ch = *s++;
			n--;
			if (ch == '\n') {
				c->line[c->line_len] = '\0';
				c->chunk_left = strtol(c->line, NULL, 16);
				c->line_len = 0;
				if (c->chunk_left == 0)
					die("a stream ended");
			} else if (ch != '\r' && c->line_len + 1 < sizeof c->line) {
				c->line[c->line_len++] = ch;
			}
		} else {
			size_t k = n < (size_t)c->chunk_left ? n : (size_t)c->chunk_left;
			data(c, s, k);
			s += k;
			n -= k;
			c->chunk_left -= (long)k;
			if (c->chunk_left == 0) {
				c->chunk_left = -1;
				c->crlf_left = 2;
			}
		}
	}
}

static int by_time(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmd_sse(char **a)
{
	parse_addr(a[0]);
	const char *path = a[1];
	int clients = atoi(a[2]);
	long events = atol(a[3]);
	double timeout = atof(a[4]);
	char **cmd = a + 5;
	if (clients < 1 || clients > 10000 || events < 1 || timeout <= 0)
		die("CLIENTS 1 to 10000, EVENTS and TIMEOUT_S above 0");
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)clients + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)clients + 64 ? rl.rlim_max : (rlim_t)clients + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	char req[4096];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n",
			 path, a[0]);
	if (n <= 0 || (size_t)n >= sizeof req)
		die("PATH too long");
	struct client *c = calloc((size_t)clients, sizeof *c);
	struct pollfd *p = calloc((size_t)clients, sizeof *p);
	double *times = calloc((size_t)clients, sizeof *times);
	if (!c || !p || !times)
		die("out of memory");
	double t0 = now_s(), deadline = t0 + timeout, go = 0;
	for (int i = 0; i < clients; i++) {
		c[i].fd = dial();
		p[i] = (struct pollfd){c[i].fd, POLLIN, 0};
		send_all(c[i].fd, req, (size_t)n);
	}
	int started = 0, complete = 0;
	char buf[65536];
	while (complete < clients) {
		if (now_s() > deadline)
			die("%d of %d clients started, %d complete in %.0f s", started, clients, complete,
			    timeout);
		int k = poll(p, (nfds_t)clients, 100);
		if (k < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; k > 0 && i < clients; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = recv(c[i].fd, buf, sizeof buf, 0);
			if (r <= 0)
				die("the server closed stream %d (%s)", i,
				    r < 0 ? strerror(errno) : "end of stream");
			int was = c[i].started;
			take(&c[i], buf, (size_t)r);
			if (!was && c[i].started)
				started++;
			if (go && !c[i].complete && c[i].events >= events) {
				c[i].complete = now_s();
				times[complete++] = c[i].complete - go;
			}
		}
		if (!go && started == clients) {
			/* every client waits: commit the messages */
			printf("connect_s %.3f\n", now_s() - t0);
			double c0 = now_s();
			pid_t pid = fork();
			if (pid == 0) {
				int null = open("/dev/null", O_WRONLY);
				dup2(null, 1);
				execvp(cmd[0], cmd);
				_exit(127);
			}
			int st;
			if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
				die("%s failed", cmd[0]);
			go = now_s();
			printf("cmd_s %.3f\n", go - c0);
			for (int i = 0; i < clients; i++)
				if (c[i].events)
					die("client %d had an event before the command", i);
		}
	}
	qsort(times, (size_t)clients, sizeof *times, by_time);
	printf("first_s %.3f\np50_s %.3f\nall_s %.3f\ndeliveries_per_s %.1f\n", times[0],
	       times[clients / 2], times[clients - 1], (double)clients * events / times[clients - 1]);
	for (int i = 0; i < clients; i++)
		close(c[i].fd);
	free(c);
	free(p);
	free(times);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && strcmp(argv[1], "get") == 0)
		return cmd_get(argv + 2);
	if (argc >= 8 && strcmp(argv[1], "sse") == 0)
		return cmd_sse(argv + 2);
	fprintf(stderr, "usage: httpload get HOST:PORT PATH CONNS SECONDS\n"
			"       httpload sse HOST:PORT PATH CLIENTS EVENTS TIMEOUT_S CMD [ARG...]\n");
	return 2;
}
