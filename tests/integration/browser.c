/* browser.c - headless Chromium over the DevTools protocol (browser.h).
 *
 * The protocol is JSON over a WebSocket: a command {"id", "method",
 * "params"} is answered by a message with the same id (events are not
 * asked for, so none come). The WebSocket is spoken here in its smallest
 * form: one text frame per command, masked as a client must, and the
 * answers' frames read whole. */
#include "browser.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../unit/helpers.h"

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "cannot reach Chromium");
	struct timeval tv = {.tv_sec = 30};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		cr_assert_gt(w, 0, "the DevTools connection broke");
		c += w;
		n -= (size_t)w;
	}
}

static void read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		cr_assert_gt(r, 0, "Chromium did not answer");
		c += r;
		n -= (size_t)r;
	}
}

/* The page's WebSocket path from /json/list ("/devtools/page/ID"). */
static char *page_path(int port)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd = dial(port);
		static const char req[] = "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
		write_all(fd, req, sizeof req - 1);
		char buf[16384];
		size_t len = 0;
		for (ssize_t r; len + 1 < sizeof buf && (r = read(fd, buf + len, sizeof buf - len - 1)) > 0;)
			len += (size_t)r;
		buf[len] = '\0';
		close(fd);
		char *body = strstr(buf, "\r\n\r\n");
		json_t *list = body ? json_loads(body + 4, 0, NULL) : NULL;
		size_t i;
		json_t *t;
		json_array_foreach(list, i, t) {
			const char *type = json_string_value(json_object_get(t, "type"));
			const char *ws = json_string_value(json_object_get(t, "webSocketDebuggerUrl"));
			const char *path = ws ? strstr(ws, "/devtools/") : NULL;
			if (type && strcmp(type, "page") == 0 && path) {
				char *out = strdup(path);
				json_decref(list);
				return out;
			}
		}
		json_decref(list);
		h_sleep_ms(100);
	}
	cr_assert_fail("Chromium shows no page");
	return NULL;
}

void hbr_start(struct browser *b, const char *dir)
{
	memset(b, 0, sizeof *b);
	snprintf(b->dir, sizeof b->dir, "%s/chromium", dir);
	b->port = h_free_port();
	char portarg[64], profile[200], log[200];
	snprintf(portarg, sizeof portarg, "--remote-debugging-port=%d", b->port);
	snprintf(profile, sizeof profile, "--user-data-dir=%s", b->dir);
	snprintf(log, sizeof log, "%s/chromium.log", dir);
	b->pid = fork();
	cr_assert_geq(b->pid, 0);
	if (b->pid == 0) {
		if (!freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execlp("chromium", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
		       "--no-first-run", "--disable-background-networking", "--disable-extensions",
		       "--window-size=1100,1400", portarg, profile, "about:blank", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300 && !h_port_open(b->port); i++)
		h_sleep_ms(50);
	cr_assert(h_port_open(b->port), "Chromium does not listen for DevTools (%s)", log);
	char *path = page_path(b->port);
	b->fd = dial(b->port);
	char req[512];
	int n = snprintf(req, sizeof req,
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n",
			 path, b->port);
	free(path);
	write_all(b->fd, req, (size_t)n);
	/* the handshake's answer, up to its blank line */
	char head[2048];
	size_t len = 0;
	while (len + 1 < sizeof head && (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0))
		read_all(b->fd, head + len++, 1);
	head[len] = '\0';
	cr_assert(strstr(head, " 101 "), "no WebSocket: %s", head);
}

static void send_text(struct browser *b, const char *text)
{
	size_t n = strlen(text), h = 0;
	unsigned char head[14];
	head[h++] = 0x81; /* FIN, text */
	if (n < 126) {
		head[h++] = (unsigned char)(0x80 | n);
	} else if (n < 65536) {
		head[h++] = 0x80 | 126;
		head[h++] = (unsigned char)(n >> 8);
		head[h++] = (unsigned char)n;
	} else {
		head[h++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			head[h++] = (unsigned char)((uint64_t)n >> (8 * i));
	}
	/* a client masks its frames; a zero key leaves the text as it is */
	memset(head + h, 0, 4);
	h += 4;
	write_all(b->fd, head, h);
	write_all(b->fd, text, n);
}

/* The next frame's text (malloc'd); control frames are skipped. */
static char *recv_text(struct browser *b)
{
	for (;;) {
		unsigned char h[2];
		read_all(b->fd, h, 2);
		uint64_t n = h[1] & 0x7f;
		if (n >= 126) {
			unsigned char ext[8];
			size_t k = n == 126 ? 2 : 8;
			read_all(b->fd, ext, k);
			n = 0;
			for (size_t i = 0; i < k; i++)
				n = n << 8 | ext[i];
		}
		cr_assert_lt(n, (uint64_t)256 << 20, "a DevTools frame of %llu bytes", (unsigned long long)n);
		char *p = malloc(n + 1);
		read_all(b->fd, p, n);
		p[n] = '\0';
		if ((h[0] & 0x0f) == 1 || (h[0] & 0x0f) == 0)
			return p;
		free(p);
	}
}

/* Sends method with params (a JSON object, jansson's reference taken) and
 * returns the answer's result (the caller's reference). */
static json_t *call(struct browser *b, const char *method, json_t *params)
{
	int id = ++b->next_id;
	json_t *cmd = json_pack("{s:i, s:s, s:o}", "id", id, "method", method, "params", params);
	char *text = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	send_text(b, text);
	free(text);
	for (;;) {
		char *got = recv_text(b);
		json_t *m = json_loads(got, 0, NULL);
		free(got);
		if (m && json_integer_value(json_object_get(m, "id")) == id) {
			json_t *err = json_object_get(m, "error");
			cr_assert_null(err, "%s: %s", method,
				       json_string_value(json_object_get(err, "message")));
			json_t *result = json_incref(json_object_get(m, "result"));
			json_decref(m);
			return result;
		}
		json_decref(m);
	}
}

char *hbr_eval(struct browser *b, const char *expr)
{
	json_t *r = call(b, "Runtime.evaluate",
			 json_pack("{s:s, s:b}", "expression", expr, "returnByValue", 1));
	const char *v = json_string_value(json_object_get(json_object_get(r, "result"), "value"));
	char *out = strdup(v ? v : "");
	json_decref(r);
	return out;
}

void hbr_open(struct browser *b, const char *url)
{
	json_decref(call(b, "Page.navigate", json_pack("{s:s}", "url", url)));
	for (int i = 0; i < 200; i++) {
		char *href = hbr_eval(b, "document.readyState === 'complete' ? location.href : ''");
		int done = strcmp(href, url) == 0;
		free(href);
		if (done)
			return;
		h_sleep_ms(50);
	}
	cr_assert_fail("%s did not load in 10 s", url);
}

static size_t unbase64(const char *s, unsigned char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0;
	unsigned v = 0;
	int bits = 0;
	for (; *s && *s != '='; s++) {
		const char *at = strchr(abc, *s);
		if (!at)
			continue;
		v = v << 6 | (unsigned)(at - abc);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	return n;
}

void hbr_screenshot(struct browser *b, const char *png)
{
	/* the whole page, as tall as it is (measured in the window's own size) */
	json_decref(call(b, "Emulation.clearDeviceMetricsOverride", json_object()));
	char *height = hbr_eval(b, "String(document.documentElement.scrollHeight)");
	int h = atoi(height);
	free(height);
	json_decref(call(b, "Emulation.setDeviceMetricsOverride",
			 json_pack("{s:i, s:i, s:i, s:b}", "width", 1100, "height", h > 200 ? h : 200,
				   "deviceScaleFactor", 1, "mobile", 0)));
	json_t *r = call(b, "Page.captureScreenshot", json_pack("{s:s}", "format", "png"));
	const char *data = json_string_value(json_object_get(r, "data"));
	cr_assert_not_null(data, "no screenshot");
	unsigned char *bytes = malloc(strlen(data));
	size_t n = unbase64(data, bytes);
	th_write(png, bytes, n);
	free(bytes);
	json_decref(r);
}

void hbr_stop(struct browser *b)
{
	if (b->fd > 0)
		close(b->fd);
	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		int st;
		waitpid(b->pid, &st, 0);
	}
	b->pid = 0;
	b->fd = 0;
}
