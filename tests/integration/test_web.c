/* test_web.c - `fsbridge serve` over real HTTP: a node's store with the
 * examples submitted, the server started on a free loopback port as a
 * process of its own, and every route asked with a plain socket: what it
 * answers, its headers, and what it refuses (a write, a bad id, text that
 * is not UTF-8, a parameter too long, an unknown page), and that it holds
 * to its connection limit. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
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

static char dir[64], conf[160];
static int port;
static pid_t server;

/* Starts `fsbridge serve -c conf` with extra config lines; waits until it
 * accepts connections. */
static void serve(const char *extra)
{
	port = h_free_port();
	char line[512];
	snprintf(line, sizeof line, "\n[http]\nlisten = 127.0.0.1:%d\n%s", port, extra);
	cr_assert_eq(th_sh("cat >>%s <<'EOF'\n%s\nEOF", conf, line), 0);
	server = fork();
	cr_assert_geq(server, 0);
	if (server == 0) {
		char log[128];
		snprintf(log, sizeof log, "%s/serve.log", dir);
		if (!freopen(log, "w", stderr))
			_exit(127);
		execl(FSB_BIN, "fsbridge", "serve", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !h_port_open(port); i++)
		h_sleep_ms(25);
	cr_assert(h_port_open(port), "fsbridge serve does not listen (%s/serve.log)", dir);
}

static void setup(void)
{
	th_tmpdir(dir);
	th_node_conf(dir, "longan", conf);
	cr_assert_eq(th_fsbridge(NULL, NULL, "submit -c %s %s/recall-ocop-sausage-class1-longan.json "
					      "%s/surveillance-vietgap-dragonfruit-longan.json",
				 conf, EXAMPLES_DIR, EXAMPLES_DIR),
		     0, "the examples could not be submitted");
	server = 0;
}

static void teardown(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		int st;
		waitpid(server, &st, 0);
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "serve did not stop cleanly on SIGTERM");
	}
	th_rmtree(dir);
}

TestSuite(web, .init = setup, .fini = teardown);

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

struct reply {
	int status;
	char *head; /* the status line and the headers */
	char *body;
};

static void reply_free(struct reply *r)
{
	free(r->head);
	memset(r, 0, sizeof *r);
}

/* Sends a request (METHOD PATH) and reads the whole answer. */
static struct reply ask(const char *method, const char *path)
{
	int fd = dial();
	char req[8192];
	int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
			 method, path);
	cr_assert(n > 0 && (size_t)n < sizeof req);
	cr_assert_eq(write(fd, req, (size_t)n), n);
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (ssize_t got; (got = read(fd, buf + len, cap - len - 1)) > 0;) {
		len += (size_t)got;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	close(fd);
	struct reply r = {0};
	cr_assert_eq(sscanf(buf, "HTTP/1.1 %d", &r.status), 1, "no status line: %s", buf);
	char *sep = strstr(buf, "\r\n\r\n");
	cr_assert_not_null(sep);
	*sep = '\0';
	r.head = buf;
	r.body = sep + 4;
	return r;
}

static int header(const struct reply *r, const char *line)
{
	return strstr(r->head, line) != NULL;
}

/* Every answer, good or bad, carries the security headers. */
static void expect_secure(const struct reply *r, const char *what)
{
	cr_expect(header(r, "Content-Security-Policy: default-src 'none'"), "%s: no CSP", what);
	cr_expect(header(r, "X-Content-Type-Options: nosniff"), "%s", what);
	cr_expect(header(r, "X-Frame-Options: DENY"), "%s", what);
	cr_expect(header(r, "Referrer-Policy: no-referrer"), "%s", what);
	cr_expect(header(r, "Cache-Control: no-store"), "%s", what);
}

Test(web, the_routes_answer_from_the_log)
{
	serve("");
	struct reply r = ask("GET", "/healthz");
	cr_expect_eq(r.status, 200);
	cr_expect(header(&r, "Content-Type: application/json"));
	cr_expect(strstr(r.body, "\"status\":\"ok\"") && strstr(r.body, "\"origin\":\"longan\"") &&
		  strstr(r.body, "\"entries\":2"), "%s", r.body);
	expect_secure(&r, "healthz");
	reply_free(&r);

	r = ask("GET", "/api/case/longan:1");
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.body, "\"id\":\"longan:1\"") && strstr(r.body, "\"recallClass\":\"RECALL_CLASS_I\""),
		  "%s", r.body);
	expect_secure(&r, "case");
	reply_free(&r);

	r = ask("GET", "/api/cases?open=1");
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "\"id\":\"longan:1\""), "the open recall is listed: %s", r.body);
	reply_free(&r);
	r = ask("GET", "/api/cases?kind=surveillance");
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "\"id\":\"longan:2\"") && !strstr(r.body, "\"id\":\"longan:1\""), "%s", r.body);
	reply_free(&r);

	r = ask("GET", "/api/trace?q=gtin:08936045123454&lot=LX250901");
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.body, "\"recalled\":true"), "%s", r.body);
	reply_free(&r);

	r = ask("GET", "/report?from=2020-01-01&to=2030-12-31");
	cr_expect_eq(r.status, 200);
	cr_expect(header(&r, "Content-Type: text/html"));
	cr_expect(strstr(r.body, "BÁO CÁO KẾT QUẢ") && strstr(r.body, "</html>"), "the report page");
	reply_free(&r);
	r = ask("GET", "/report?from=2020-01-01&to=2030-12-31&format=csv&lang=en");
	cr_expect_eq(r.status, 200);
	cr_expect(header(&r, "Content-Type: text/csv"));
	cr_expect(strstr(r.body, "Messages in the period,2"), "%s", r.body);
	reply_free(&r);

	/* HEAD: the same headers, no body */
	r = ask("HEAD", "/healthz");
	cr_expect_eq(r.status, 200);
	cr_expect_str_empty(r.body);
	reply_free(&r);
}

Test(web, it_writes_nothing_and_refuses_what_is_wrong)
{
	serve("");
	static const struct {
		const char *method, *path;
		int status;
		const char *says;
	} bad[] = {
		{"POST", "/api/cases", 405, "read-only"},
		{"PUT", "/healthz", 405, "read-only"},
		{"DELETE", "/api/case/longan:1", 405, "read-only"},
		{"GET", "/api/case/longan", 400, "expected ORIGIN:SEQ"},
		{"GET", "/api/case/..%2F..%2Fetc%2Fpasswd", 400, "expected ORIGIN:SEQ"},
		{"GET", "/api/case/longan:99", 404, "no such case"},
		{"GET", "/../../etc/passwd", 404, "no such page"},
		{"GET", "/config", 404, "no such page"},
		{"GET", "/api/trace?q=%ff%fe", 400, "not UTF-8"},
		{"GET", "/api/trace", 400, "parameter q"},
		{"GET", "/api/trace?q=08936045123455", 400, "check digit"},
		{"GET", "/api/cases?origin=Long%20An", 400, "not an origin"},
		{"GET", "/api/cases?kind=rumour", 400, "parameter kind"},
		{"GET", "/report?from=2026-08-31&to=2026-06-01", 400, "after its last"},
		{"GET", "/report?from=2026-06-01", 400, "give both dates"},
		{"GET", "/report?from=2026-06-01&to=2026-06-30&lang=fr", 400, "vi or en"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct reply r = ask(bad[i].method, bad[i].path);
		cr_expect_eq(r.status, bad[i].status, "%s %s: %d", bad[i].method, bad[i].path, r.status);
		cr_expect(strstr(r.body, bad[i].says), "%s %s: %s", bad[i].method, bad[i].path, r.body);
		expect_secure(&r, bad[i].path);
		if (bad[i].status == 405)
			cr_expect(header(&r, "Allow: GET, HEAD"));
		reply_free(&r);
	}
	/* a page's error is said in Vietnamese */
	struct reply p = ask("GET", "/config");
	cr_expect(strstr(p.body, "404: Không tìm thấy trang"), "%s", p.body);
	reply_free(&p);
	/* a parameter too long */
	char path[1200] = "/api/trace?q=";
	memset(path + strlen(path), 'a', 600);
	struct reply r = ask("GET", path);
	cr_expect_eq(r.status, 400);
	cr_expect(strstr(r.body, "longer than 512 bytes"), "%s", r.body);
	reply_free(&r);
	/* the log is as it was */
	r = ask("GET", "/healthz");
	cr_expect(strstr(r.body, "\"entries\":2"), "%s", r.body);
	reply_free(&r);
}

/* With [http] max_connections = 2, two idle connections hold the server:
 * a third waits, unanswered, in the kernel's queue (it takes no memory of
 * the server's) and is answered once one of the two goes. */
Test(web, connections_are_bounded)
{
	serve("max_connections = 2\nmax_live_feeds = 1");
	int a = dial(), b = dial();
	h_sleep_ms(200);
	int c = dial();
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	cr_assert_eq(write(c, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
	struct timeval tv = {.tv_sec = 1};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	char buf[512];
	cr_expect_lt(read(c, buf, sizeof buf), 0, "a third connection is not served while two are open");
	close(a);
	tv.tv_sec = 10;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = read(c, buf, sizeof buf - 1);
	cr_assert_gt(n, 0, "the waiting connection is served once one goes");
	buf[n] = '\0';
	cr_expect(strstr(buf, "HTTP/1.1 200"), "%s", buf);
	close(c);
	close(b);
}

Test(web, a_bad_listen_address_is_refused)
{
	char *err = NULL;
	cr_assert_eq(th_sh("printf '\\n[http]\\nlisten = 127.0.0.1:99999\\n' >>%s", conf), 0);
	int st = th_fsbridge(NULL, &err, "serve -c %s", conf);
	cr_expect_neq(st, 0);
	cr_expect(strstr(err, "[http] listen") && strstr(err, "port"), "%s", err);
	free(err);
}
