/* targets.c - fuzz targets: every input must be refused cleanly or
 * processed without a crash, a leak or undefined behaviour. */
#include "targets.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bounds.h"
#include "cli.h"
#include "codec.h"
#include "config.h"
#include "format.h"
#include "http.h"
#include "seal.h"
#include "sequence.h"
#include "sign.h"
#include "store.h"
#include "submit.h"
#include "web.h"

static struct fsb_trust *trust_store(void)
{
	static struct fsb_trust *t;
	static int tried;
	if (!tried) {
		tried = 1;
		const char *pki = getenv("FSB_FUZZ_PKI");
		char ca[512], crl[512], err[256];
		if (pki) {
			snprintf(ca, sizeof ca, "%s/ca.crt", pki);
			snprintf(crl, sizeof crl, "%s/ca.crl", pki);
			struct fsb_trust_anchor a = {ca, crl};
			fsb_trust_open(&a, 1, &t, err, sizeof err);
		}
	}
	return t;
}

static int count_key(void *ctx, enum fsb_trace_key type, const char *value)
{
	if (strlen(value) > FSB_TRACE_VALUE_MAX || (type == FSB_TK_LOT && strlen(value) < 15))
		abort(); /* a key the index could not hold, or a lot without its GTIN */
	(*(size_t *)ctx)++;
	return 0;
}

static void exercise_message(struct fsb_message *m)
{
	/* The facts of any message, about a product and an establishment. */
	struct fsb_trace_target product = {.gtin14 = "08938501234018", .lot = "BL-0711"};
	struct fsb_trace_target tax = {.key = FSB_TK_TAX, .value = "1101923456"};
	struct fsb_trace_facts f;
	fsb_message_trace_facts(m, &product, &f);
	fsb_message_trace_facts(m, &tax, &f);

	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	fsb_message_validate(m, FSB_VALIDATE_SEALED, &errs);
	char *s = NULL;
	if (fsb_message_to_json(m, 0, &s) == 0)
		free(s);
	if (fsb_message_to_text(m, "  ", &s) == 0)
		free(s);
	if (fsb_message_summary(m, "  ", &s) == 0)
		free(s);
	uint8_t *b;
	size_t n;
	if (fsb_message_pack(m, &b, &n) == 0)
		free(b);
}

/* What the store indexes a message by, read off its bytes, must be what
 * the decoder makes of them: a case could otherwise be built from a
 * message other than the one the views show. */
static void links_agree(const uint8_t *payload, size_t len, const struct fsb_message *m)
{
	struct fsb_links l;
	if (fsb_payload_links(payload, len, &l) != 0)
		abort(); /* protobuf-c decoded what the field reader calls malformed */
	struct fsb_case_facts f;
	fsb_message_case_facts(m, &f);
	char ref[FSB_MESSAGE_ID_MAX + 1] = "";
	if (f.ref_id[0] && strlen(f.ref_id) <= FSB_MESSAGE_ID_MAX &&
	    !fsb_fmt_message_id(f.ref_id, NULL, NULL))
		snprintf(ref, sizeof ref, "%s", f.ref_id);
	if (l.kind != fsb_message_kind(m) || l.type != f.type || strcmp(l.ref_id, ref) != 0)
		abort();
}

int fsb_fuzz_envelope(const uint8_t *data, size_t len)
{
	struct fsb_envelope_view v;
	if (fsb_envelope_view(data, len, &v) == 0) {
		struct fsb_message *m = NULL;
		if (fsb_message_unpack(v.payload, v.payload_len, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL) == 0) {
			exercise_message(m);
			links_agree(v.payload, v.payload_len, m);
			size_t keys = 0;
			fsb_payload_trace_keys(v.payload, v.payload_len, count_key, &keys);
		}
		fsb_message_free(m);
		struct fsb_payload_peek p;
		fsb_payload_peek(v.payload, v.payload_len, &p);
		struct fsb_control c;
		char err[256];
		if (fsb_control_unpack(v.payload, v.payload_len, FSB_CODEC_DEFAULT_MAX_BYTES, &c, err,
				       sizeof err) == 0)
			fsb_control_clear(&c);
	}
	struct fsb_trust *t = trust_store();
	if (t) {
		struct fsb_open_opts o = {.arrival_ms = fsb_fmt_now_ms(),
					  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS};
		struct fsb_opened out;
		char err[512];
		if (fsb_seal_open(t, data, len, &o, &out, err, sizeof err) == 0)
			exercise_message(out.msg);
		fsb_seal_opened_clear(&out);
		struct fsb_control c;
		if (fsb_seal_open_control(t, data, len, &o, &c, err, sizeof err) == 0)
			fsb_control_clear(&c);
	}
	return 0;
}

int fsb_fuzz_json(const uint8_t *data, size_t len)
{
	for (int kind = FSB_KIND_NONE; kind <= FSB_KIND_FOLLOWUP; kind += 2) {
		struct fsb_errlist errs;
		fsb_errlist_init(&errs);
		struct fsb_message *m = NULL;
		if (fsb_submission_check((const char *)data, len, (enum fsb_kind)kind, "longan",
					 FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL, &errs) == 0) {
			exercise_message(m);
			char when[FSB_TIME_MAX + 1];
			fsb_fmt_time(fsb_fmt_now_ms(), when);
			struct fsb_stamp st = {.origin = "longan", .seq = 3, .issued_at = when};
			fsb_message_stamp(m, &st);
			exercise_message(m);
		}
		fsb_message_free(m);
	}
	return 0;
}

int fsb_fuzz_config(const uint8_t *data, size_t len)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/fsb-fuzz-config-%ld.conf", (long)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, len, f);
	fclose(f);
	struct fsb_config c;
	char err[FSB_CONFIG_ERR_MAX];
	fsb_config_init(&c);
	if (fsb_config_read(&c, path, err, sizeof err) == 0 && fsb_config_check(&c, err, sizeof err) == 0) {
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			fsb_config_print(&c, null);
			fclose(null);
		}
	}
	fsb_config_cleanup(&c);
	return 0;
}

/* ---- the sequencer, driven by what peers send -------------------------- */

/* What a fuzzed message is: its data records it, so that the callbacks
 * can answer and every release is seen exactly once. */
struct fuzz_msg {
	int truth; /* 0 forged, 1 stale, 2 in force */
	int released;
};

static size_t fuzz_alive;

static int fuzz_verify(void *ctx, const char *origin, struct fsb_seq_item *it)
{
	(void)ctx;
	(void)origin;
	struct fuzz_msg *m = it->data;
	return m->truth == 2 ? FSB_SEQ_IN_FORCE : m->truth == 1 ? FSB_SEQ_STALE : FSB_ESIGNATURE;
}

static void fuzz_release(void *ctx, const char *origin, struct fsb_seq_item *it,
			 enum fsb_seq_drop why)
{
	(void)ctx;
	(void)origin;
	(void)why;
	struct fuzz_msg *m = it->data;
	if (m->released++)
		abort(); /* released twice */
	free(m);
	fuzz_alive--;
}

static void fuzz_hash(uint8_t h[FSB_HASH_LEN], int origin, uint64_t seq, int variant)
{
	memset(h, 0, FSB_HASH_LEN);
	if (seq == 0)
		return;
	h[0] = (uint8_t)origin;
	h[1] = (uint8_t)variant;
	memcpy(h + 2, &seq, sizeof seq);
}

int fsb_fuzz_sequence(const uint8_t *data, size_t len)
{
	static const char *const origins[] = {"longan", "cantho", "angiang", "hue"};
	struct fsb_seq_limits l = {.max_bytes = 20000, .max_stream_bytes = 8000, .max_streams = 3,
				   .gap_wait_ms = 400, .retry_ms = 3000, .retry_max_ms = 60000,
				   .max_ask = 100, .stale_wait_ms = 60000};
	struct fsb_seq_ops ops = {fuzz_verify, fuzz_release, NULL};
	struct fsb_seq *q;
	if (fsb_seq_open(&l, &ops, &q))
		abort();
	int64_t now = 1000;
	uint64_t held[4] = {0};
	for (size_t i = 0; i + 4 <= len; i += 4) {
		int origin = data[i + 1] % 4, variant = data[i + 2] & 3;
		/* Small seqs mostly, a huge one now and then. */
		uint64_t seq = data[i + 3] == 0xff ? UINT64_MAX - data[i + 2] : (uint64_t)(data[i + 3] % 40 + 1);
		const char *o = origins[origin];
		switch (data[i] % 7) {
		case 0:
		case 1: {
			struct fuzz_msg *m = calloc(1, sizeof *m);
			if (!m)
				abort();
			m->truth = data[i] / 7 % 3;
			struct fsb_seq_item it = {.seq = seq, .bytes = 100 + (size_t)data[i + 2] * 40,
						  .at_ms = now, .data = m};
			it.trust = m->truth == 0 || data[i] % 7 == 0 ? FSB_SEQ_UNCHECKED
				   : m->truth == 1 ? FSB_SEQ_STALE : FSB_SEQ_IN_FORCE;
			fuzz_hash(it.payload_hash, origin, seq, variant >> 1);
			fuzz_hash(it.prev_hash, origin, seq - 1, 0);
			fuzz_alive++;
			if (fsb_seq_admit(q, o, &it) != FSB_SEQ_KEPT) {
				free(m);
				fuzz_alive--;
			}
			break;
		}
		case 2: {
			struct fsb_seq_item out[64];
			size_t n = fsb_seq_take(q, o, out, 64);
			for (size_t k = 0; k < n; k++) {
				if (out[k].seq != held[origin] + 1)
					abort(); /* a run not in order */
				held[origin] = out[k].seq;
				fsb_seq_appended(q, o, out[k].seq, out[k].payload_hash);
				free(out[k].data);
				fuzz_alive--;
			}
			break;
		}
		case 3:
			fsb_seq_known(q, o, seq);
			break;
		case 4: {
			uint8_t h[FSB_HASH_LEN];
			fuzz_hash(h, origin, seq, variant >> 1);
			fsb_seq_refused(q, o, seq, h);
			int known = 0;
			for (size_t k = 0; fsb_seq_origin(q, k); k++)
				known |= strcmp(fsb_seq_origin(q, k), o) == 0;
			if (known && !fsb_seq_was_refused(q, o, seq, h))
				abort(); /* refused a moment ago, nothing new since */
			break;
		}
		case 5: {
			struct fsb_seq_ask asks[8];
			now += data[i + 2] * 100;
			size_t n = fsb_seq_due(q, now, asks, 8);
			for (size_t k = 0; k < n; k++) {
				if (asks[k].from > asks[k].to || asks[k].to - asks[k].from >= l.max_ask)
					abort(); /* a request out of bounds */
				fsb_seq_asked(q, asks[k].origin, now);
			}
			break;
		}
		case 6:
			fsb_seq_place(q, o, seq);
			fsb_seq_room(q, o, seq, data[i + 2]);
			fsb_seq_waiting(q, o, seq, NULL);
			break;
		}
		struct fsb_seq_stats st;
		fsb_seq_stats(q, &st);
		if (st.bytes > l.max_bytes || st.streams > l.max_streams || st.waiting != fuzz_alive)
			abort(); /* a budget overrun, or an item lost or held twice */
	}
	fsb_seq_close(q);
	if (fuzz_alive)
		abort();
	return 0;
}

/* ---- the web view's requests ------------------------------------------------ */

/* One node's web view, served in this process on a free loopback port for
 * the whole run, over a store of the examples (sealed with the PKI of
 * $FSB_FUZZ_PKI when set; empty otherwise). Torn down at exit. */
static struct {
	char dir[64];
	struct fsb_store *store;
	struct fsb_http *http;
	struct fsb_web web;
	unsigned port;
} web;

static void web_stop(void)
{
	fsb_http_stop(web.http);
	fsb_store_close(web.store);
	DIR *d = opendir(web.dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", web.dir, e->d_name);
		if (e->d_name[0] != '.')
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(web.dir);
}

/* Submits the examples of one kind's files (prefix) as the node's own;
 * those the store refuses (a follow-up of a message it lacks) are left. */
static void web_submit(struct fsb_store *s, struct fsb_signer *signer, const char *prefix)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/schemas/examples", FSB_TOP_DIR);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		char path[1024], err[256];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		char *text = NULL;
		size_t len;
		struct fsb_message *m = NULL;
		struct fsb_errlist errs;
		fsb_errlist_init(&errs);
		if (fsb_cli_read_file(path, 1 << 20, &text, &len) == 0 &&
		    fsb_submission_check(text, len, FSB_KIND_NONE, NULL, FSB_CODEC_DEFAULT_MAX_BYTES, &m,
					 NULL, &errs) == 0)
			fsb_submit_commit(s, signer, "longan", &m, 1, NULL, NULL, err, sizeof err);
		fsb_message_free(m);
		free(text);
	}
	if (d)
		closedir(d);
}

static int web_start(void)
{
	char err[256];
	snprintf(web.dir, sizeof web.dir, "/tmp/fsb-fuzz-web-XXXXXX");
	if (!mkdtemp(web.dir))
		return -1;
	atexit(web_stop);
	struct fsb_store_opts so = {.origin = "longan"};
	if (fsb_store_open(web.dir, &so, &web.store, err, sizeof err))
		return -1;
	const char *pki = getenv("FSB_FUZZ_PKI");
	struct fsb_signer *signer = NULL;
	char key[512], crt[512];
	snprintf(key, sizeof key, "%s/longan.key", pki ? pki : "");
	snprintf(crt, sizeof crt, "%s/longan.crt", pki ? pki : "");
	if (pki && fsb_signer_open(key, crt, &signer, err, sizeof err) == 0) {
		/* what follow-ups refer to first */
		static const char *const kinds[] = {"certification", "quarantine", "recall",
						    "surveillance", "followup"};
		for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
			web_submit(web.store, signer, kinds[i]);
		fsb_signer_close(signer);
	}
	fsb_store_close(web.store);
	so.read_only = 1;
	if (fsb_store_open(web.dir, &so, &web.store, err, sizeof err))
		return -1;
	/* the page checks signatures again with the envelope target's trust:
	 * only the server's thread uses it while this one waits */
	web.web = (struct fsb_web){
		.store = web.store,
		.case_opts = {.ack_alert_ms = FSB_DEFAULT_ACK_ALERT_MS,
			      .ack_other_ms = FSB_DEFAULT_ACK_OTHER_MS},
		.unit = "Chi cục Chăn nuôi, Thú y và Thủy sản",
		.check = {.trust = trust_store(), .skew_ms = FSB_DEFAULT_MAX_SKEW_MS},
	};
	/* a free port: the kernel's choice, released for the server to take */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	web.port = ntohs(sa.sin_port);
	close(fd);
	char listen_on[32];
	snprintf(listen_on, sizeof listen_on, "127.0.0.1:%u", web.port);
	struct fsb_http_opts o = {.listen = listen_on, .max_connections = 8, .timeout_s = 5,
				  .max_streams = 2, .tick_ms = 10};
	return fsb_http_start(&o, fsb_web_handle, &web.web, &web.http, err, sizeof err) ? -1 : 0;
}

/* Sends req and reads the answer into buf (NUL-terminated), until the
 * server closes, or for a stream until its first event; -1 if nothing
 * complete came back in time. */
static ssize_t web_ask(const char *req, size_t req_len, char *buf, size_t max)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)web.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) ||
	    send(fd, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len) {
		close(fd);
		return -1;
	}
	size_t n = 0;
	ssize_t r;
	while (n + 1 < max && (r = recv(fd, buf + n, max - 1 - n, 0)) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		char *body = strstr(buf, "\r\n\r\n");
		if (body && strstr(buf, "text/event-stream") && strstr(body, "retry:"))
			break;
	}
	int timed_out = r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	close(fd);
	buf[n] = '\0';
	return timed_out ? -1 : (ssize_t)n;
}

/* How many times needle occurs in s. */
static size_t count_of(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

int fsb_fuzz_web(const uint8_t *data, size_t len)
{
	static int state; /* 0 not started, 1 serving, -1 could not start */
	if (state == 0)
		state = web_start() ? -1 : 1;
	if (state < 0)
		abort(); /* the server must start for the target to mean anything */
	/* the request target, then (after a newline) a Last-Event-ID */
	const uint8_t *nl = memchr(data, '\n', len);
	size_t tlen = nl ? (size_t)(nl - data) : len;
	if (tlen > 6000)
		return 0;
	static char req[8192];
	static const char head[] = " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
	size_t rl = 0;
	memcpy(req, "GET ", 4);
	rl = 4;
	memcpy(req + rl, data, tlen);
	rl += tlen;
	memcpy(req + rl, head, sizeof head - 1);
	rl += sizeof head - 1;
	if (nl) {
		memcpy(req + rl, "Last-Event-ID: ", 15);
		rl += 15;
		for (const uint8_t *p = nl + 1; p < data + len && p < nl + 200; p++)
			if (*p != '\r' && *p != '\n')
				req[rl++] = (char)*p;
		memcpy(req + rl, "\r\n", 2);
		rl += 2;
	}
	memcpy(req + rl, "\r\n", 2);
	rl += 2;
	static char buf[1 << 21];
	ssize_t n = web_ask(req, rl, buf, sizeof buf);
	if (n < 0)
		abort(); /* no answer in 5 s: the server hung on this request */
	unsigned status;
	if (n == 0 || sscanf(buf, "HTTP/1.1 %u", &status) != 1)
		abort(); /* closed without an answer */
	/* what the server answers; a 5xx only when live feeds are full */
	if (status != 200 && status != 400 && status != 404 && status != 405 && status != 413 &&
	    status != 414 && status != 431 && status != 503)
		abort();
	char *body = strstr(buf, "\r\n\r\n");
	if (!body)
		abort();
	*body = '\0';
	body += 4;
	if (status == 200 || status == 404 || status == 503) {
		/* the handler's answers carry the security headers */
		if (!strstr(buf, "\r\nContent-Security-Policy: default-src 'none'") ||
		    !strstr(buf, "\r\nX-Content-Type-Options: nosniff"))
			abort();
	}
	size_t blen = strlen(body);
	if (strstr(buf, "Content-Type: text/html")) {
		/* UTF-8 throughout, and no script but the live feed's own:
		 * whatever the request held came back escaped */
		size_t at;
		if (fsb_fmt_utf8((const uint8_t *)body, blen, &at) ||
		    count_of(body, "<script") != count_of(body, "<script src=\"/live.js\""))
			abort();
	} else if (strstr(buf, "Content-Type: application/json") && strstr(buf, "Content-Length:")) {
		json_error_t je;
		json_t *j = json_loadb(body, blen, 0, &je);
		if (!j)
			abort(); /* not JSON */
		json_decref(j);
	}
	return 0;
}
