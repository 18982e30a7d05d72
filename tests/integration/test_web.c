/* test_web.c - `fsbridge serve` over real HTTP: a node's store with the
 * examples submitted, the server started on a free loopback port as a
 * process of its own, and every route asked with a plain socket: what it
 * answers, its headers, and what it refuses (a write, a bad id, text that
 * is not UTF-8, a parameter too long, an unknown page), and that it holds
 * to its connection and live-feed limits. Then what a person sees, in a
 * real browser (headless Chromium): each page in Vietnamese, kept as a
 * screenshot in build/tests/artefacts/, the QR codes read back from it
 * with zbarimg; and the live feed, open in the browser while the other
 * province publishes, showing the new message without a reload. */
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

#include "browser.h"
#include "harness.h"
#include "../unit/helpers.h"

static char dir[64], conf[200];
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

/* A browser's connection stays open between its requests; a GET that
 * carries a body is refused, and its body is not read. */
Test(web, a_connection_serves_request_after_request)
{
	serve("");
	int fd = dial();
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[4096];
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
		size_t len = 0;
		/* one whole answer: the headers, then Content-Length bytes */
		char *end = NULL;
		long body = -1;
		while (!end || len < (size_t)(end + 4 - buf) + (size_t)body) {
			ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
			cr_assert_gt(n, 0, "request %d: the connection was closed", i + 1);
			len += (size_t)n;
			buf[len] = '\0';
			if (!end && (end = strstr(buf, "\r\n\r\n"))) {
				char *cl = strstr(buf, "Content-Length: ");
				cr_assert(cl && cl < end, "%s", buf);
				body = atol(cl + 16);
			}
		}
		cr_expect(strstr(buf, "HTTP/1.1 200") == buf, "%s", buf);
		cr_expect_null(strstr(buf, "Connection: close"), "%s", buf);
		cr_expect(strstr(end, "\"entries\":2"), "%s", end);
	}
	close(fd);
	struct reply r = {0};
	fd = dial();
	static const char with_body[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
	cr_assert_eq(write(fd, with_body, sizeof with_body - 1), (ssize_t)(sizeof with_body - 1));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_expect(sscanf(buf, "HTTP/1.1 %d", &r.status) == 1 && r.status == 400, "%s", buf);
	cr_expect(strstr(buf, "carries no body"), "%s", buf);
	close(fd);
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

/* ---- the pages --------------------------------------------------------------- */

/* GET path: 200 and HTML containing every string of want (NULL-ended). */
static void expect_page(const char *path, const char *const *want)
{
	struct reply r = ask("GET", path);
	cr_expect_eq(r.status, 200, "%s: %d %s", path, r.status, r.body);
	cr_expect(header(&r, "Content-Type: text/html; charset=utf-8"), "%s", path);
	for (size_t i = 0; want[i]; i++)
		cr_expect(strstr(r.body, want[i]), "%s does not show \"%s\"", path, want[i]);
	cr_expect(strstr(r.body, "</html>"), "%s is cut short", path);
	expect_secure(&r, path);
	reply_free(&r);
}

static void expect_absent(const char *path, const char *what)
{
	struct reply r = ask("GET", path);
	cr_expect_eq(r.status, 200, "%s", path);
	cr_expect_null(strstr(r.body, what), "%s shows \"%s\"", path, what);
	reply_free(&r);
}

/* The link the sausage recall's first product carries, as the example
 * file gives it. */
#define SAUSAGE_LINK "https://id.gs1.org/01/08936045123454/10/LX250901"

Test(web, every_page_in_vietnamese)
{
	serve("");
	expect_page("/", (const char *const[]){
		"<html lang=\"vi\"", "Tin trao đổi mới nhất", "Thu hồi", "Kết quả giám sát",
		"href=\"/message/longan:1\"", "href=\"/message/longan:2\"", "href=\"/case/longan:1\"",
		"Lạp xưởng tươi tôm Cần Đước", "data-events=\"/events?after=2\"",
		"<script src=\"/live.js\"></script>", NULL});
	expect_page("/?kind=recall", (const char *const[]){"href=\"/message/longan:1\"",
		"<option value=\"recall\" selected>", "data-events=\"/events?after=2&amp;kind=recall\"", NULL});
	expect_absent("/?kind=recall", "href=\"/message/longan:2\"");
	expect_page("/?origin=cantho", (const char *const[]){"Không có tin nào phù hợp.", NULL});
	expect_page("/?category=crop", (const char *const[]){"href=\"/message/longan:2\"", NULL});
	expect_absent("/?category=crop", "href=\"/message/longan:1\"");
	/* an older page: what is before the index given, and no live feed */
	expect_page("/?before=2", (const char *const[]){"href=\"/message/longan:1\"", NULL});
	expect_absent("/?before=2", "href=\"/message/longan:2\"");
	expect_absent("/?before=2", "live.js");
	expect_page("/?lang=en", (const char *const[]){"<html lang=\"en\"", "Latest messages",
		"href=\"/message/longan:1?lang=en\"", NULL});

	expect_page("/message/longan:1", (const char *const[]){
		"Thu hồi longan:1", "Thu hồi loại I", "Xác thực và chuỗi băm",
		"Chữ ký số hợp lệ (kiểm tra lại khi mở trang này)", "Liên kết đúng",
		"Sản phẩm và mã QR", "GTIN 08936045123454", "<svg", SAUSAGE_LINK,
		"Toàn bộ nội dung tin", "Phạm Thanh Hà", "href=\"/case/longan:1\"",
		"href=\"/api/message/longan:1\"", NULL});
	expect_page("/message/longan:2?lang=en", (const char *const[]){"<html lang=\"en\"",
		"The signature verifies", "Every field", NULL});
	expect_page("/cases", (const char *const[]){"<h1>Vụ việc</h1>", "href=\"/case/longan:1\"",
		"href=\"/case/longan:2\"", "Chỉ vụ việc quá hạn", NULL});
	/* the form says what the list shows */
	expect_page("/cases?kind=recall&open=1", (const char *const[]){"href=\"/case/longan:1\"",
		"<option value=\"recall\" selected>", "name=\"open\" value=\"1\" checked", NULL});
	expect_absent("/cases?kind=recall&open=1", "href=\"/case/longan:2\"");
	expect_page("/cases?overdue=1", (const char *const[]){"Không có vụ việc nào.",
		"name=\"overdue\" value=\"1\" checked", NULL});
	expect_page("/case/longan:1", (const char *const[]){"Vụ việc longan:1", "id=\"parties\"",
		"cantho", "id=\"timeline\"", "href=\"/message/longan:1\"", NULL});
	expect_page("/trace", (const char *const[]){"Truy xuất sản phẩm, cơ sở", "name=\"q\"", NULL});
	expect_page("/trace?q=https%3A%2F%2Fid.gs1.org%2F01%2F08936045123454%2F10%2FLX250901",
		    (const char *const[]){"<div id=\"answer\">", "value=\"" SAUSAGE_LINK "\"",
					  "Lạp xưởng tươi tôm Cần Đước", "lô LX250901 ĐANG BỊ THU HỒI",
					  "id=\"recalls\"", "href=\"/message/longan:1\"",
					  "href=\"/case/longan:1\"", "id=\"open-cases\"", NULL});
	/* an establishment by its tax code, judged at a date; the form keeps them */
	expect_page("/trace?q=tax%3A1101923456&at=2026-06-30",
		    (const char *const[]){"value=\"tax:1101923456\"", "value=\"2026-06-30\"",
					  "tại ngày 2026-06-30", NULL});
	expect_page("/report", (const char *const[]){"Báo cáo định kỳ", "type=\"date\" name=\"from\"",
		"<button name=\"format\" value=\"csv\">Tải CSV</button>", NULL});

	/* the live feed's script, from this server only */
	struct reply r = ask("GET", "/live.js");
	cr_expect_eq(r.status, 200);
	cr_expect(header(&r, "Content-Type: text/javascript"));
	cr_expect(strstr(r.body, "EventSource") && strstr(r.body, "textContent"), "%s", r.body);
	cr_expect(header(&r, "script-src 'self';"), "scripts come from this server only");
	cr_expect_null(strstr(r.head, "script-src 'self' 'unsafe-inline'"));
	reply_free(&r);
}

Test(web, the_json_for_agency_systems)
{
	serve("");
	struct reply r = ask("GET", "/api/message/longan:1");
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect(header(&r, "Content-Type: application/json"));
	static const char *const want[] = {
		"\"id\":\"longan:1\"", "\"kind\":\"recall\"", "\"headline\":\"RECALL_CLASS_I\"",
		"\"logLinkOk\":true", "\"streamLink\":\"first\"", "\"signatureRechecked\":\"verified\"",
		"\"gtin\":\"08936045123454\"", "\"digitalLink\":\"" SAUSAGE_LINK "\"", "\"linkGiven\":true",
		"\"message\":{", "\"caseId\":\"longan:1\""};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect(strstr(r.body, want[i]), "no %s in %s", want[i], r.body);
	reply_free(&r);
	r = ask("GET", "/api/message/longan:2");
	cr_expect(strstr(r.body, "\"streamLink\":\"ok\""), "longan:2 links to longan:1: %s", r.body);
	reply_free(&r);

	r = ask("GET", "/api/feed");
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "{\"messages\":[{\"index\":2,") && strstr(r.body, "{\"index\":1,") &&
		  strstr(r.body, "\"more\":false") && strstr(r.body, "\"newest\":2"), "%s", r.body);
	reply_free(&r);
	r = ask("GET", "/api/feed?limit=1");
	cr_expect(strstr(r.body, "\"index\":2,") && !strstr(r.body, "\"index\":1,") &&
		  strstr(r.body, "\"next\":2,\"more\":true"), "%s", r.body);
	reply_free(&r);
	r = ask("GET", "/api/feed?before=2");
	cr_expect(strstr(r.body, "\"index\":1,") && !strstr(r.body, "\"index\":2,"), "%s", r.body);
	reply_free(&r);
}

Test(web, bad_input_is_named_and_changes_nothing)
{
	serve("");
	static const struct {
		const char *path;
		int status;
		const char *says;
	} bad[] = {
		{"/message/../../etc/passwd", 400, "expected ORIGIN:SEQ"},
		{"/message/..%2F..%2Fconfig", 400, "expected ORIGIN:SEQ"},
		{"/message/longan:99", 404, "no such message here: longan:99"},
		{"/api/message/cantho:1", 404, "no such message here"},
		{"/api/message/%ff%fe", 400, "not UTF-8"},
		/* a NUL would end the id early: longan:1 exists */
		{"/message/longan:1%00.html", 400, "the address: not UTF-8"},
		{"/trace?q=08938501234018%00x", 400, "parameter q: not UTF-8"},
		{"/case/longan:99", 404, "no such case"},
		{"/?kind=rumour", 400, "parameter kind"},
		{"/?category=Rau%20an", 400, "parameter category"},
		{"/?origin=LONGAN", 400, "parameter origin"},
		{"/?before=abc", 400, "parameter before"},
		{"/?before=99999999999999999999999", 400, "parameter before"},
		{"/?lang=fr", 400, "vi or en"},
		{"/?origin=%c3%28", 400, "parameter origin: not UTF-8"},
		{"/api/feed?limit=500", 400, "parameter limit"},
		{"/api/feed?limit=%ff", 400, "parameter limit: not UTF-8"},
		{"/events?after=%ff", 400, "parameter after: not UTF-8"},
		{"/events?after=x", 400, "parameter after"},
		{"/trace?q=08936045123455", 400, "check digit"},
		{"/report?from=2026-06-01&to=2026-06-30&format=pdf", 400, "html or csv"},
		{"/static/../../etc/passwd", 404, "no such page"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct reply r = ask("GET", bad[i].path);
		cr_expect_eq(r.status, bad[i].status, "%s: %d", bad[i].path, r.status);
		cr_expect(strstr(r.body, bad[i].says), "%s: %s", bad[i].path, r.body);
		cr_expect_null(strstr(r.body, "<script"), "%s", bad[i].path);
		if (!strncmp(bad[i].path, "/api/", 5) || !strncmp(bad[i].path, "/events", 7)) {
			/* the error alone, as JSON: nothing answered after it */
			json_t *j = json_loads(r.body, 0, NULL);
			cr_expect_not_null(j, "%s: %s", bad[i].path, r.body);
			json_decref(j);
		}
		expect_secure(&r, bad[i].path);
		reply_free(&r);
	}
	/* what a parameter says is shown escaped, never as markup */
	struct reply r = ask("GET", "/trace?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
	cr_expect_eq(r.status, 400);
	cr_expect(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strstr(r.body, "<script>alert"),
		  "%s", r.body);
	reply_free(&r);
	r = ask("GET", "/healthz");
	cr_expect(strstr(r.body, "\"entries\":2"), "%s", r.body);
	reply_free(&r);
}

/* ---- the live feed over a socket -------------------------------------------- */

/* Opens path as a stream with extra request headers ("" for none). */
static int stream_open(const char *path, const char *headers)
{
	int fd = dial();
	char req[1024];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", path, headers);
	cr_assert_eq(write(fd, req, (size_t)n), n);
	return fd;
}

/* Reads from fd into buf (appending) until it holds what; 0 on time-out. */
static int stream_until(int fd, char *buf, size_t cap, const char *what, int timeout_ms)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	size_t len = strlen(buf);
	for (int waited = 0; !strstr(buf, what); waited += 200) {
		if (waited > timeout_ms)
			return 0;
		ssize_t got = read(fd, buf + len, cap - len - 1);
		if (got == 0)
			return 0;
		if (got > 0) {
			len += (size_t)got;
			buf[len] = '\0';
		}
	}
	return 1;
}

Test(web, the_live_feed_sends_what_arrives)
{
	serve("");
	static char buf[1 << 16];
	buf[0] = '\0';
	int fd = stream_open("/events?after=0", "");
	cr_assert(stream_until(fd, buf, sizeof buf, "id: 2\nevent: message\n", 5000), "%s", buf);
	cr_expect(strstr(buf, "HTTP/1.1 200") && strstr(buf, "Content-Type: text/event-stream") &&
		  strstr(buf, "retry: 3000"), "%s", buf);
	cr_expect(strstr(buf, "id: 1\nevent: message\ndata: {\"index\":1,\"id\":\"longan:1\""), "%s", buf);
	cr_expect(strstr(buf, "\"kindLabel\":\"Thu hồi\"") && strstr(buf, "\"headlineLabel\":\"Thu hồi loại I\""),
		  "%s", buf);
	/* a message stored now is sent on the open stream */
	cr_assert_eq(th_fsbridge(NULL, NULL, "submit -c %s %s/recall-rice-labelling-class3-longan.json",
				 conf, EXAMPLES_DIR), 0);
	cr_expect(stream_until(fd, buf, sizeof buf, "id: 3\nevent: message\n", 10000),
		  "the new message is not sent: %s", buf);
	cr_expect(strstr(buf, "\"id\":\"longan:3\""), "%s", buf);
	close(fd);

	/* a browser coming back gets what it missed, and only that */
	buf[0] = '\0';
	fd = stream_open("/events", "Last-Event-ID: 2\r\n");
	cr_expect(stream_until(fd, buf, sizeof buf, "id: 3\n", 5000), "%s", buf);
	cr_expect_null(strstr(buf, "id: 2\n"), "%s", buf);
	close(fd);

	/* filtered: a kind it does not ask for is not sent */
	buf[0] = '\0';
	fd = stream_open("/events?after=0&kind=surveillance", "");
	cr_expect(stream_until(fd, buf, sizeof buf, "id: 2\n", 5000), "%s", buf);
	h_sleep_ms(1500);
	stream_until(fd, buf, sizeof buf, "never", 0);
	cr_expect(!strstr(buf, "id: 1\n") && !strstr(buf, "id: 3\n"), "%s", buf);
	close(fd);
}

Test(web, live_feeds_are_bounded)
{
	serve("max_live_feeds = 2");
	static char a[4096], b[4096], c[4096];
	a[0] = b[0] = c[0] = '\0';
	int fa = stream_open("/events", ""), fb = stream_open("/events", "");
	cr_assert(stream_until(fa, a, sizeof a, "retry:", 5000) && stream_until(fb, b, sizeof b, "retry:", 5000));
	int fc = stream_open("/events", "");
	cr_assert(stream_until(fc, c, sizeof c, "\r\n\r\n", 5000), "%s", c);
	cr_expect(strstr(c, "HTTP/1.1 503") && strstr(c, "Retry-After: 10"), "a third live feed: %s", c);
	close(fc);
	/* pages are still served */
	struct reply r = ask("GET", "/healthz");
	cr_expect_eq(r.status, 200);
	reply_free(&r);
	/* one goes: another may come, once the server has seen it go */
	close(fa);
	int ok = 0;
	for (int i = 0; i < 50 && !ok; i++) {
		h_sleep_ms(200);
		c[0] = '\0';
		fc = stream_open("/events", "");
		ok = stream_until(fc, c, sizeof c, "retry:", 2000);
		close(fc);
	}
	cr_expect(ok, "a live feed is refused after one closed: %s", c);
	close(fb);
}

/* ---- in a real browser --------------------------------------------------------- */

#define ARTEFACTS FSB_TOP_DIR "/build/tests/artefacts"

/* Opens path in the browser, expects its visible text to hold every
 * string of want (NULL-ended), and keeps its screenshot as
 * artefacts/web-NAME.png. */
static void look(struct browser *br, const char *path, const char *name, const char *const *want)
{
	char url[512], png[300];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	hbr_open(br, url);
	char *text = hbr_eval(br, "document.body.innerText");
	for (size_t i = 0; want[i]; i++)
		cr_expect(strstr(text, want[i]), "%s: a person does not see \"%s\" in:\n%s", path, want[i], text);
	free(text);
	snprintf(png, sizeof png, ARTEFACTS "/web-%s.png", name);
	hbr_screenshot(br, png);
}

Test(web, what_a_person_sees_in_a_browser)
{
	serve("");
	cr_assert_eq(th_sh("mkdir -p " ARTEFACTS), 0);
	struct browser br;
	hbr_start(&br, dir);
	look(&br, "/", "feed", (const char *const[]){"Tin trao đổi mới nhất", "Thu hồi loại I",
		"Lạp xưởng tươi tôm Cần Đước", "Vụ việc", "Truy xuất", "Báo cáo", NULL});
	look(&br, "/message/longan:1", "message", (const char *const[]){"Thu hồi longan:1",
		"Chữ ký số hợp lệ", "Sản phẩm và mã QR", SAUSAGE_LINK, "Toàn bộ nội dung tin", NULL});
	char *svgs = hbr_eval(&br, "String(document.querySelectorAll('svg.qr').length)");
	cr_expect_str_eq(svgs, "2", "a QR code per product");
	free(svgs);
	/* the QR codes on the screen read back to the products' Digital Links */
	char *out = NULL;
	cr_assert_eq(th_sh("zbarimg -q --raw " ARTEFACTS "/web-message.png >%s/qr.txt", dir), 0,
		     "zbarimg reads no QR code in the screenshot");
	char qr[128];
	snprintf(qr, sizeof qr, "%s/qr.txt", dir);
	out = th_read(qr, NULL);
	cr_expect(strstr(out, SAUSAGE_LINK "\n"), "the QR code says: %s", out);
	/* the second product gives no link: GS1's own, made from its GTIN and lot */
	cr_expect(strstr(out, "https://id.gs1.org/01/08936045123461/10/LH250902\n"), "%s", out);
	free(out);
	look(&br, "/cases", "cases", (const char *const[]){"Vụ việc", "longan:1", "longan:2", NULL});
	look(&br, "/case/longan:1", "case", (const char *const[]){"Vụ việc longan:1", "cantho", NULL});
	look(&br, "/trace?q=https%3A%2F%2Fid.gs1.org%2F01%2F08936045123454%2F10%2FLX250901", "trace",
	     (const char *const[]){"Truy xuất sản phẩm, cơ sở", "ĐANG BỊ THU HỒI", "Thu hồi loại I",
				   "longan:1", NULL});
	look(&br, "/report?from=2020-01-01&to=2030-12-31", "report",
	     (const char *const[]){"BÁO CÁO KẾT QUẢ", NULL});
	look(&br, "/?lang=en", "feed-en", (const char *const[]){"Latest messages", NULL});
	hbr_stop(&br);
}

/* ---- the live feed in a browser, with two provinces --------------------------- */

static struct broker broker;
static struct node longan, cantho;

static void live_setup(void)
{
	h_setup(dir, &broker, &longan, &cantho);
	hn_start(&longan);
	hn_start(&cantho);
	snprintf(conf, sizeof conf, "%s", longan.conf);
	server = 0;
}

static void live_teardown(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	h_teardown(dir, &broker);
}

TestSuite(web_live, .init = live_setup, .fini = live_teardown);

/* Long An's web view beside its running node, the feed open in a browser:
 * Cần Thơ publishes, and the message appears on the open page, in the
 * same document (no reload), as a new row linking to it. */
Test(web_live, a_message_from_the_other_province_appears_without_reload)
{
	serve("");
	cr_assert_eq(th_sh("mkdir -p " ARTEFACTS), 0);
	struct browser br;
	hbr_start(&br, dir);
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	hbr_open(&br, url);
	char *none = hbr_eval(&br, "document.getElementById('none') ? 'empty' : 'rows'");
	cr_expect_str_eq(none, "empty", "the feed starts empty");
	free(none);
	/* marks this document: a reload would lose the mark */
	free(hbr_eval(&br, "window.fsbMark = 'same page'"));
	h_sleep_ms(500); /* the page's live feed is open */
	cr_assert_eq(th_sh("%s submit -c %s %s/surveillance-chlorpyrifos-lemon-cantho.json >/dev/null",
			   FSB_BIN, cantho.conf, EXAMPLES_DIR),
		     0);
	char *row = NULL;
	for (int i = 0; i < 100; i++) {
		free(row);
		row = hbr_eval(&br, "(function(){var r=document.getElementById('m-cantho:1');"
				    "return r ? r.innerText : ''})()");
		if (row[0])
			break;
		h_sleep_ms(200);
	}
	cr_expect(strstr(row, "cantho:1") && strstr(row, "Kết quả giám sát"),
		  "the message from Cần Thơ is not on the open page: \"%s\"", row);
	free(row);
	char *mark = hbr_eval(&br, "window.fsbMark || 'reloaded'");
	cr_expect_str_eq(mark, "same page", "the page was reloaded");
	free(mark);
	char *href = hbr_eval(&br, "document.querySelector('#m-cantho\\\\:1 a').getAttribute('href')");
	cr_expect_str_eq(href, "/message/cantho%3A1");
	free(href);
	hbr_screenshot(&br, ARTEFACTS "/web-live.png");
	hbr_stop(&br);
}
