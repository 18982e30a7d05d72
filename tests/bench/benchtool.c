/* benchtool.c - the measuring side of make bench, built on fsbridge's own
 * modules through their headers (bench.sh runs it).
 *
 *   benchtool jsonl N BYTES TAG           N recalls of BYTES packed (or just over)
 *   benchtool drain DATA SEQ TIMEOUT_S    until the node at DATA has its own
 *                                         stream up to SEQ and an empty outbox
 *                                         (every peer's checkpoint covers it)
 *   benchtool head DATA ORIGIN SEQ TIMEOUT_S  until DATA holds ORIGIN up to SEQ
 *   benchtool envsize DATA                bytes of the first log entry
 *   benchtool latency CONF RECV_DATA RATE COUNT
 *                                         submits one message at a time at RATE
 *                                         per second through CONF's store and
 *                                         times each until the receiver's log
 *                                         (RECV_DATA) holds it
 *   benchtool startup BIN CONF            starts `BIN run -c CONF` and times its
 *                                         "running on" and "connected" lines
 *   benchtool caselog CONF ENTRIES CASES OPEN
 *                                         fills CONF's empty store with CASES
 *                                         cases of ENTRIES / CASES messages each
 *                                         (a recall and its follow-ups, the
 *                                         cases interleaved as they would come),
 *                                         all but OPEN of them closed; prints the
 *                                         id of an open case
 *   benchtool tracelog CONF ENTRIES PRODUCTS
 *                                         fills CONF's empty store with PRODUCTS
 *                                         products of ENTRIES / PRODUCTS (4)
 *                                         messages each: a farm's VietGAP notice
 *                                         (ten farms a chain), a compliant and a
 *                                         non-compliant result, a recall of the
 *                                         failing lot; prints the Digital Link of
 *                                         the failing lot of the middle product
 *   benchtool reportlog CONF ENTRIES      fills CONF's empty store with ENTRIES
 *                                         messages issued over the year 2025
 *                                         (UTC+07:00), in batches of 500 sharing
 *                                         a time: surveillance results (one in 13
 *                                         non-compliant), a recall and a closure
 *                                         of the one before in every 100,
 *                                         quarantine notices one in 20
 *   benchtool decodewalk CONF FROM TO     reads and decodes every entry issued
 *                                         from day FROM to day TO (UTC+07:00), as
 *                                         a report must at the least; prints how
 *                                         many
 *
 * Waiting commands print the seconds they waited; they poll the stores
 * (read-only LMDB transactions) every millisecond.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "codec.h"
#include "config.h"
#include "error.h"
#include "sign.h"
#include "format.h"
#include "seal.h"
#include "store.h"
#include "submit.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "benchtool: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void nap(void)
{
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

/* ---- submissions ----------------------------------------------------------- */

/* A recall, from the examples: its reason replaced by padding and its lot
 * number made unique: `pad` characters of padding. */
#define EXAMPLE FSB_TOP_DIR "/schemas/examples/recall-rice-labelling-class3-longan.json"
struct gen {
	char *head, *mid, *tail; /* text around the sample id and the conclusion */
	size_t pad;
	char *buf;
};

static char *cut(char *s, const char *key, char **after)
{
	char *k = strstr(s, key);
	if (!k)
		fail("the example has no %s", key);
	char *v = k + strlen(key);
	char *end = strchr(v, '"');
	*v = '\0';
	*after = end;
	return s;
}

static const char *gen_next(struct gen *g, const char *tag, long i)
{
	char *pad = malloc(g->pad + 1);
	memset(pad, 'x', g->pad);
	pad[g->pad] = '\0';
	free(g->buf);
	if (asprintf(&g->buf, "%s%s-%07ld%s%s%s", g->head, tag, i, g->mid, pad, g->tail) < 0)
		fail("out of memory");
	free(pad);
	return g->buf;
}

static size_t packed_size(const char *text)
{
	struct fsb_errlist errs;
	struct fsb_message *m;
	size_t len = 0;
	fsb_errlist_init(&errs);
	if (fsb_submission_check(text, strlen(text), FSB_KIND_NONE, NULL, 1 << 20, &m, &len,
				 &errs))
		fail("the generated submission is invalid: %s %s", errs.items[0].path,
		     errs.items[0].msg);
	fsb_message_free(m);
	return len;
}

/* Reads the example (one JSON object, newlines removed) and sizes the pad so
 * that the packed message is `bytes` long (one more when a length's varint
 * grows a byte on the way). */
static void gen_init(struct gen *g, size_t bytes, const char *tag)
{
	char *text;
	size_t len;
	if (fsb_cli_read_file(EXAMPLE, 1 << 20, &text, &len))
		fail("cannot read %s", EXAMPLE);
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	char *rest;
	g->head = cut(text, "\"lotNumber\": \"", &rest);
	g->mid = cut(rest, "\"reason\": \"", &g->tail);
	g->buf = NULL;
	g->pad = 1; /* a reason is required */
	size_t base = packed_size(gen_next(g, tag, 1000000));
	g->pad = bytes > base ? bytes - base + 1 : 1;
	while (g->pad > 1 && packed_size(gen_next(g, tag, 1000000)) > bytes)
		g->pad--;
}

static int cmd_jsonl(char **a)
{
	struct gen g;
	long n = strtol(a[0], NULL, 10);
	gen_init(&g, strtoul(a[1], NULL, 10), a[2]);
	for (long i = 0; i < n; i++)
		printf("%s\n", gen_next(&g, a[2], i));
	return fflush(stdout) ? 1 : 0;
}

/* ---- waiting on stores --------------------------------------------------- */

static struct fsb_store *open_ro(const char *dir)
{
	struct fsb_store *s;
	struct fsb_store_opts o = {.read_only = 1};
	char err[256];
	if (fsb_store_open(dir, &o, &s, err, sizeof err))
		fail("%s", err);
	return s;
}

static uint64_t head_of(struct fsb_store *s, const char *origin)
{
	uint64_t seq;
	uint8_t hash[FSB_HASH_LEN];
	if (fsb_store_head(s, origin, &seq, hash, NULL))
		fail("cannot read the head of %s: %s", origin, fsb_store_error(s));
	return seq;
}

static int cmd_drain(char **a)
{
	struct fsb_store *s = open_ro(a[0]);
	uint64_t want = strtoull(a[1], NULL, 10);
	double limit = atof(a[2]), t0 = now_s();
	for (;;) {
		struct fsb_store_stats st;
		if (fsb_store_stats(s, &st))
			fail("cannot read the stats: %s", fsb_store_error(s));
		if (head_of(s, fsb_store_origin(s)) >= want && st.outbox == 0)
			break;
		if (now_s() - t0 > limit)
			fail("%s: outbox not drained in %s s", a[0], a[2]);
		nap();
	}
	printf("%.3f\n", now_s() - t0);
	fsb_store_close(s);
	return 0;
}

static int cmd_head(char **a)
{
	struct fsb_store *s = open_ro(a[0]);
	uint64_t want = strtoull(a[2], NULL, 10);
	double limit = atof(a[3]), t0 = now_s();
	while (head_of(s, a[1]) < want) {
		if (now_s() - t0 > limit)
			fail("%s: stream not complete in %s s", a[0], a[3]);
		nap();
	}
	printf("%.3f\n", now_s() - t0);
	fsb_store_close(s);
	return 0;
}

static int cmd_envsize(char **a)
{
	struct fsb_store *s = open_ro(a[0]);
	struct fsb_entry e;
	if (fsb_store_get(s, 1, &e))
		fail("%s: no first entry", a[0]);
	printf("%zu\n", e.envelope_len);
	fsb_entry_clear(&e);
	fsb_store_close(s);
	return 0;
}

/* ---- latency ------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static int cmd_latency(char **a)
{
	struct fsb_config cfg;
	char err[512];
	fsb_config_init(&cfg);
	if (fsb_config_read(&cfg, a[0], err, sizeof err))
		fail("%s", err);
	double rate = atof(a[2]);
	long count = strtol(a[3], NULL, 10);
	struct fsb_signer *signer;
	struct fsb_store *mine, *theirs = open_ro(a[1]);
	struct fsb_store_opts so = {.origin = cfg.origin};
	if (fsb_signer_open(cfg.key_path, cfg.cert_path, &signer, err, sizeof err) ||
	    fsb_store_open(cfg.data_dir, &so, &mine, err, sizeof err))
		fail("%s", err);
	struct gen g;
	char tag[32];
	snprintf(tag, sizeof tag, "LAT%ld", (long)getpid());
	gen_init(&g, 1024, tag);

	double *committed = calloc(count, sizeof *committed);
	double *lat = calloc(count, sizeof *lat);
	uint64_t *seqs = calloc(count, sizeof *seqs);
	long sent = 0, seen = 0;
	double t0 = now_s();
	while (seen < count) {
		double t = now_s();
		if (sent < count && t >= t0 + sent / rate) {
			const char *text = gen_next(&g, tag, sent);
			struct fsb_errlist errs;
			struct fsb_message *m;
			fsb_errlist_init(&errs);
			if (fsb_submission_check(text, strlen(text), FSB_KIND_NONE, cfg.origin,
						 cfg.max_message_bytes, &m, NULL, &errs) ||
			    fsb_submit_commit(mine, signer, cfg.origin, &m, 1, NULL, NULL, err,
					      sizeof err))
				fail("submission failed: %s", err);
			committed[sent] = now_s();
			struct fsb_header h;
			fsb_message_header(m, &h);
			seqs[sent++] = h.seq;
			fsb_message_free(m);
			continue;
		}
		while (seen < sent) {
			uint64_t index;
			int rc = fsb_store_find_seq(theirs, cfg.origin, seqs[seen], &index);
			if (rc == FSB_ENOTFOUND)
				break;
			if (rc)
				fail("lookup failed: %s", fsb_store_error(theirs));
			lat[seen] = now_s() - committed[seen];
			seen++;
		}
		if (now_s() - t0 > count / rate + 60)
			fail("the receiver stopped taking messages");
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
	qsort(lat, count, sizeof *lat, cmp_double);
	printf("p50_ms %.2f\np99_ms %.2f\nmax_ms %.2f\n", lat[count / 2] * 1e3,
	       lat[(count * 99) / 100] * 1e3, lat[count - 1] * 1e3);
	free(committed);
	free(lat);
	free(seqs);
	free(g.buf);
	fsb_store_close(mine);
	fsb_store_close(theirs);
	fsb_signer_close(signer);
	fsb_config_cleanup(&cfg);
	return 0;
}

/* ---- start-up ------------------------------------------------------------ */

static int cmd_startup(char **a)
{
	int fd[2];
	if (pipe(fd))
		fail("pipe: %s", strerror(errno));
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		execl(a[0], a[0], "run", "-c", a[1], (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	FILE *in = fdopen(fd[0], "r");
	char line[1024];
	double running = -1, connected = -1;
	while (connected < 0 && fgets(line, sizeof line, in)) {
		if (running < 0 && strstr(line, " running on "))
			running = now_s() - t0;
		if (strstr(line, "connected to the exchange"))
			connected = now_s() - t0;
	}
	kill(pid, SIGTERM);
	while (fgets(line, sizeof line, in))
		;
	fclose(in);
	int status;
	waitpid(pid, &status, 0);
	if (running < 0 || connected < 0)
		fail("%s run did not start", a[0]);
	printf("running_ms %.1f\nconnected_ms %.1f\n", running * 1e3, connected * 1e3);
	return 0;
}

/* ---- a log of cases ------------------------------------------------------ */

#define CASES_PER_BATCH 50

static struct fsb_message *checked(const char *text)
{
	struct fsb_errlist errs;
	struct fsb_message *m;
	fsb_errlist_init(&errs);
	if (fsb_submission_check(text, strlen(text), FSB_KIND_NONE, NULL, 1 << 20, &m, NULL, &errs))
		fail("a generated case message is invalid: %s %s", errs.items[0].path, errs.items[0].msg);
	return m;
}

static struct fsb_message *followup(const char *type, uint64_t root, const char *what)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "{\"header\":{\"issuer\":{\"name\":\"Chi cục Quản lý chất lượng Nông lâm sản và "
		 "Thủy sản Long An\"},\"category\":\"CATEGORY_CROP\"},\"followup\":{\"type\":\"%s\","
		 "\"refMessageId\":\"longan:%llu\",\"%s\":\"%s, vụ việc longan:%llu\"}}",
		 type, (unsigned long long)root, strcmp(type, "FOLLOW_UP_TYPE_CLOSURE") ? "text" : "reason",
		 what, (unsigned long long)root);
	return checked(text);
}

/* Opens cfg's store, which must be empty, and its signing key. */
static void open_empty(const char *what, const struct fsb_config *cfg, struct fsb_store **st,
		       struct fsb_signer **signer)
{
	struct fsb_store_opts so = {.origin = cfg->origin};
	char err[512];
	if (fsb_store_open(cfg->data_dir, &so, st, err, sizeof err) ||
	    fsb_signer_open(cfg->key_path, cfg->cert_path, signer, err, sizeof err))
		fail("%s", err);
	uint64_t seq;
	uint8_t hash[FSB_HASH_LEN];
	if (fsb_store_head(*st, cfg->origin, &seq, hash, NULL) || seq)
		fail("%s wants an empty store", what);
}

static int cmd_caselog(char **a)
{
	struct fsb_config cfg;
	if (fsb_cli_load_config(a[0], &cfg))
		return 1;
	long entries = strtol(a[1], NULL, 10), cases = strtol(a[2], NULL, 10);
	long open = strtol(a[3], NULL, 10), per = cases > 0 ? entries / cases : 0;
	if (per < 2 || open > cases || cases % CASES_PER_BATCH)
		fail("caselog: ENTRIES / CASES >= 2, OPEN <= CASES, CASES a multiple of %d",
		     CASES_PER_BATCH);
	struct fsb_store *st;
	struct fsb_signer *signer;
	open_empty("caselog", &cfg, &st, &signer);
	uint64_t seq = 0;
	char err[512];
	struct gen g;
	gen_init(&g, 1024, "CASE");
	size_t n = (size_t)(CASES_PER_BATCH * per);
	struct fsb_message **msgs = calloc(n, sizeof *msgs);
	uint64_t open_id = 0;
	/* The newest cases stay open, as in a log that has run for years. */
	for (long c0 = 0; c0 < cases; c0 += CASES_PER_BATCH) {
		size_t k = 0;
		uint64_t first = seq + 1;
		for (long c = 0; c < CASES_PER_BATCH; c++)
			msgs[k++] = checked(gen_next(&g, "CASE", c0 + c));
		/* the follow-ups of the batch's cases, one round at a time */
		for (long round = 1; round < per; round++)
			for (long c = 0; c < CASES_PER_BATCH; c++) {
				int closed = c0 + c < cases - open;
				msgs[k++] = round == per - 1 && closed
						    ? followup("FOLLOW_UP_TYPE_CLOSURE", first + c, "Đã thu hồi xong")
						    : followup("FOLLOW_UP_TYPE_ADDITIONAL_INFORMATION", first + c,
							       "Thông tin bổ sung về lô hàng");
				if (!closed)
					open_id = first + c;
			}
		if (fsb_submit_commit(st, signer, cfg.origin, msgs, k, NULL, NULL, err, sizeof err))
			fail("%s", err);
		for (size_t i = 0; i < k; i++)
			fsb_message_free(msgs[i]);
		seq += k;
	}
	printf("%s:%llu\n", cfg.origin, (unsigned long long)open_id);
	free(msgs);
	free(g.buf);
	fsb_signer_close(signer);
	fsb_store_close(st);
	fsb_config_cleanup(&cfg);
	return 0;
}

/* ---- a log of products ------------------------------------------------------ */

#define PRODUCTS_PER_BATCH 50
#define TRACE_ISSUER "{\"header\":{\"issuer\":{\"name\":\"Chi cục Quản lý chất lượng Nông lâm sản " \
		     "và Thủy sản Long An\"},\"category\":\"CATEGORY_CROP\"},"

/* Product p's GTIN-13 (prefix 8939, then p, then the check digit). */
static void bench_gtin(long p, char out[32])
{
	snprintf(out, 32, "8939%08ld", p % 100000000);
	int sum = 0;
	for (int i = 0; i < 12; i++)
		sum += (out[i] - '0') * (i % 2 ? 3 : 1);
	out[12] = (char)('0' + (10 - sum % 10) % 10);
	out[13] = '\0';
}

static struct fsb_message *product_message(long p, int which)
{
	char gtin[32], tax[32], text[2048];
	bench_gtin(p, gtin);
	snprintf(tax, sizeof tax, "3%09ld", p);
	const char *verdict = which == 2 ? "VERDICT_NON_COMPLIANT" : "VERDICT_COMPLIANT";
	switch (which) {
	case 0:
		snprintf(text, sizeof text, TRACE_ISSUER
			 "\"certification\":{\"type\":\"CERTIFICATION_NOTICE_TYPE_ISSUED\","
			 "\"scheme\":\"CERTIFICATION_SCHEME_VIETGAP\",\"certificateNumber\":\"VietGAP-TT-%07ld\","
			 "\"certifyingBody\":\"Trung tâm Chứng nhận phù hợp\",\"holder\":{\"name\":\"Hợp tác "
			 "xã %ld\",\"taxCode\":\"%s\"},\"validFromDate\":\"2025-01-01\",\"validUntilDate\":"
			 "\"2099-12-31\",\"scope\":[{\"name\":\"Chanh %ld\",\"gtin\":\"%s\"}],\"chain\":{"
			 "\"chainId\":\"BENCH-%05ld\",\"name\":\"Chuỗi %ld\",\"role\":\"CHAIN_ROLE_FARM\"}}}",
			 p, p, tax, p, gtin, p / 10, p / 10);
		break;
	case 1:
	case 2:
		snprintf(text, sizeof text, TRACE_ISSUER
			 "\"surveillance\":{\"sample\":{\"sampleId\":\"S-%ld-%d\",\"sampledAt\":"
			 "\"2025-07-14T05:30:00+07:00\"},\"programme\":{\"type\":"
			 "\"PROGRAMME_TYPE_ROUTINE_MONITORING\"},\"samplingPoint\":{\"stage\":"
			 "\"SAMPLING_STAGE_WHOLESALE_MARKET\",\"operator\":{\"name\":\"Chợ đầu mối\"}},"
			 "\"product\":{\"name\":\"Chanh %ld\",\"gtin\":\"%s\",\"lots\":[{\"lotNumber\":"
			 "\"L%ld-%d\"}],\"producer\":{\"name\":\"Hợp tác xã %ld\",\"taxCode\":\"%s\"}},"
			 "\"lab\":{\"name\":\"Trung tâm Kiểm nghiệm\"},\"results\":[{\"analyte\":"
			 "\"Chlorpyrifos ethyl\",\"hazard\":\"HAZARD_CATEGORY_PESTICIDE_RESIDUE\","
			 "\"resultType\":\"RESULT_TYPE_VALUE\",\"value\":\"0.12\",\"unit\":"
			 "\"UNIT_MG_PER_KG\",\"verdict\":\"%s\"}],\"overallVerdict\":\"%s\"}}",
			 p, which, p, gtin, p, which, p, tax, verdict, verdict);
		break;
	default:
		snprintf(text, sizeof text, TRACE_ISSUER
			 "\"recall\":{\"classification\":\"RASFF_CLASSIFICATION_INFORMATION_FOR_FOLLOW_UP\","
			 "\"recallClass\":\"RECALL_CLASS_II\",\"initiation\":\"RECALL_INITIATION_VOLUNTARY\","
			 "\"basis\":\"RECALL_BASIS_OFFICIAL_CONTROL\",\"riskDecision\":"
			 "\"RISK_DECISION_POTENTIALLY_SERIOUS\",\"hazards\":[{\"analyte\":\"Chlorpyrifos "
			 "ethyl\",\"hazard\":\"HAZARD_CATEGORY_PESTICIDE_RESIDUE\"}],\"products\":[{\"name\":"
			 "\"Chanh %ld\",\"gtin\":\"%s\",\"lots\":[{\"lotNumber\":\"L%ld-2\"}]}],"
			 "\"responsibleOperator\":{\"name\":\"Hợp tác xã %ld\",\"taxCode\":\"%s\"},"
			 "\"distributionStatus\":\"DISTRIBUTION_STATUS_ORIGIN_PROVINCE_ONLY\",\"reason\":"
			 "\"Dư lượng chlorpyrifos ethyl trong lô L%ld-2\"}}",
			 p, gtin, p, p, tax, p);
		break;
	}
	return checked(text);
}

static int cmd_tracelog(char **a)
{
	struct fsb_config cfg;
	if (fsb_cli_load_config(a[0], &cfg))
		return 1;
	long entries = strtol(a[1], NULL, 10), products = strtol(a[2], NULL, 10);
	if (products <= 0 || entries != 4 * products || products % PRODUCTS_PER_BATCH)
		fail("tracelog: ENTRIES = 4 x PRODUCTS, PRODUCTS a multiple of %d", PRODUCTS_PER_BATCH);
	struct fsb_store *st;
	struct fsb_signer *signer;
	open_empty("tracelog", &cfg, &st, &signer);
	char err[512];
	struct fsb_message *msgs[4 * PRODUCTS_PER_BATCH];
	/* A product's messages come spread over the log, as over the years. */
	for (int which = 0; which < 4; which++)
		for (long p0 = 0; p0 < products; p0 += PRODUCTS_PER_BATCH) {
			size_t k = 0;
			for (long p = p0; p < p0 + PRODUCTS_PER_BATCH; p++)
				msgs[k++] = product_message(p, which);
			if (fsb_submit_commit(st, signer, cfg.origin, msgs, k, NULL, NULL, err, sizeof err))
				fail("%s", err);
			for (size_t i = 0; i < k; i++)
				fsb_message_free(msgs[i]);
		}
	char gtin[32];
	bench_gtin(products / 2, gtin);
	printf("https://id.gs1.org/01/0%s/10/L%ld-2\n", gtin, products / 2);
	fsb_signer_close(signer);
	fsb_store_close(st);
	fsb_config_cleanup(&cfg);
	return 0;
}

/* ---- a year of messages, for the report -------------------------------------- */

#define REPORT_BATCH 500
#define REPORT_ISSUER "{\"header\":{\"issuer\":{\"name\":\"Chi cục Quản lý chất lượng Nông lâm sản " \
		      "và Thủy sản Long An\"},\"category\":\"%s\"%s},"

/* A whole file, malloc'd and NUL-terminated; NULL when it cannot be read. */
static char *th_file(const char *path)
{
	char *buf;
	size_t len;
	return fsb_cli_read_file(path, 1 << 20, &buf, &len) ? NULL : buf;
}

/* Message j of batch b; `ref` the id of the recall a closure closes. */
static struct fsb_message *report_message(long b, long j, const char *detected, const char *ref)
{
	static const char *const categories[] = {"CATEGORY_CROP", "CATEGORY_AQUATIC",
						 "CATEGORY_LIVESTOCK", "CATEGORY_PROCESSED"};
	static const char *const analytes[][2] = {
		{"Chlorpyrifos ethyl", "HAZARD_CATEGORY_PESTICIDE_RESIDUE"},
		{"Enrofloxacin", "HAZARD_CATEGORY_VETERINARY_DRUG_RESIDUE"},
		{"Salmonella spp.", "HAZARD_CATEGORY_PATHOGEN"},
		{"Cadimi (Cd)", "HAZARD_CATEGORY_HEAVY_METAL"},
	};
	char head[512], text[3072];
	long k = b * REPORT_BATCH + j;
	const char *cat = categories[k % 4];
	if (j % 100 == 0) {
		char extra[128];
		snprintf(extra, sizeof extra, ",\"recipients\":[\"cantho\"],\"detectedAt\":\"%s\"", detected);
		snprintf(head, sizeof head, REPORT_ISSUER, cat, extra);
		snprintf(text, sizeof text, "%s"
			 "\"recall\":{\"classification\":\"RASFF_CLASSIFICATION_ALERT\",\"recallClass\":"
			 "\"RECALL_CLASS_%s\",\"initiation\":\"RECALL_INITIATION_VOLUNTARY\",\"basis\":\"RECALL_BASIS_OFFICIAL_CONTROL\",\"riskDecision\":\"RISK_DECISION_SERIOUS\",\"distributionStatus\":\"DISTRIBUTION_STATUS_ORIGIN_PROVINCE_ONLY\",\"hazards\":[{"
			 "\"analyte\":\"%s\",\"hazard\":\"%s\"}],\"products\":[{\"name\":\"Sản phẩm %ld\","
			 "\"traceabilityCode\":\"BENCH-%ld\"}],\"responsibleOperator\":{\"name\":\"Cơ sở %ld\","
			 "\"taxCode\":\"3%09ld\"},\"reason\":\"Kết quả kiểm nghiệm không đạt\"}}",
			 head, k % 3 == 0 ? "I" : k % 3 == 1 ? "II" : "III", analytes[k % 4][0],
			 analytes[k % 4][1], k, k, k, k);
	} else if (j % 100 == 1 && ref) {
		snprintf(head, sizeof head, REPORT_ISSUER, cat, ",\"recipients\":[\"cantho\"]");
		snprintf(text, sizeof text, "%s\"followup\":{\"type\":\"FOLLOW_UP_TYPE_CLOSURE\","
			 "\"refMessageId\":\"%s\",\"reason\":\"Đã thu hồi xong\"}}", head, ref);
	} else if (j % 20 == 2) {
		/* a movement certificate, as the example has it */
		static char *notice;
		if (!notice && !(notice = th_file("schemas/examples/quarantine-pig-certificate-issued-longan.json")))
			fail("reportlog: the quarantine example is not readable (run from the project's top)");
		return checked(notice);
	} else {
		int nc = k % 13 == 0;
		const char *v = nc ? "VERDICT_NON_COMPLIANT" : "VERDICT_COMPLIANT";
		snprintf(head, sizeof head, REPORT_ISSUER, cat, "");
		snprintf(text, sizeof text, "%s\"surveillance\":{\"sample\":{\"sampleId\":\"S-%ld\","
			 "\"sampledAt\":\"%s\"},"
			 "\"programme\":{\"type\":\"PROGRAMME_TYPE_ROUTINE_MONITORING\"},\"samplingPoint\":{"
			 "\"stage\":\"SAMPLING_STAGE_WHOLESALE_MARKET\",\"operator\":{\"name\":\"Chợ đầu mối\"}},"
			 "\"product\":{\"name\":\"Sản phẩm %ld\"},\"lab\":{\"name\":\"Trung tâm Kiểm nghiệm\"},"
			 "\"results\":[{\"analyte\":\"%s\",\"hazard\":\"%s\",\"resultType\":\"RESULT_TYPE_VALUE\","
			 "\"value\":\"0.12\",\"unit\":\"UNIT_MG_PER_KG\",\"verdict\":\"%s\"},{\"analyte\":\"%s\","
			 "\"hazard\":\"%s\",\"resultType\":\"RESULT_TYPE_BELOW_LOD\",\"lod\":\"0.003\",\"unit\":"
			 "\"UNIT_MG_PER_KG\",\"verdict\":\"VERDICT_COMPLIANT\"}],\"overallVerdict\":\"%s\"}}",
			 head, k, detected, k % 997, analytes[k % 4][0], analytes[k % 4][1], v, analytes[(k + 1) % 4][0],
			 analytes[(k + 1) % 4][1], v);
	}
	return checked(text);
}

struct sealed_batch {
	struct fsb_sealed *out;
	uint64_t first;
	const uint8_t *prev;
	int64_t issued_ms;
	struct fsb_message **msgs;
	const struct fsb_signer *signer;
};

static int put_sealed(void *ctx, size_t i, uint64_t seq, const uint8_t prev_hash[FSB_HASH_LEN],
		      int64_t prev_issued_at_ms, struct fsb_entry_in *e)
{
	struct sealed_batch *b = ctx;
	(void)prev_issued_at_ms;
	if (seq != b->first + i || (i == 0 && memcmp(prev_hash, b->prev, FSB_HASH_LEN) != 0))
		fail("reportlog: another writer changed the store");
	memset(e, 0, sizeof *e);
	e->envelope = b->out[i].env;
	e->envelope_len = b->out[i].env_len;
	e->origin = "longan";
	e->seq = seq;
	memcpy(e->payload_hash, b->out[i].payload_hash, FSB_HASH_LEN);
	memcpy(e->prev_hash, i ? b->out[i - 1].payload_hash : b->prev, FSB_HASH_LEN);
	e->kind = fsb_message_kind(b->msgs[i]);
	e->issued_at_ms = b->issued_ms;
	e->arrival_ms = b->issued_ms;
	e->direction = FSB_DIR_SENT;
	e->status = FSB_STATUS_ACCEPTED;
	e->cert = fsb_signer_cert(b->signer, &e->cert_len);
	return 0;
}

static int cmd_reportlog(char **a)
{
	struct fsb_config cfg;
	if (fsb_cli_load_config(a[0], &cfg))
		return 1;
	long entries = strtol(a[1], NULL, 10);
	if (entries <= 0 || entries % REPORT_BATCH || strcmp(cfg.origin, "longan") != 0)
		fail("reportlog: ENTRIES a multiple of %d, a longan configuration", REPORT_BATCH);
	struct fsb_store *st;
	struct fsb_signer *signer;
	open_empty("reportlog", &cfg, &st, &signer);
	long batches = entries / REPORT_BATCH;
	int64_t start = fsb_fmt_time_ms(2025, 1, 1, 0, 0, 0) - 7 * 3600 * 1000LL;
	int64_t year = 365 * 24 * 3600 * 1000LL;
	struct fsb_message *msgs[REPORT_BATCH];
	struct fsb_sealed out[REPORT_BATCH];
	uint8_t prev[FSB_HASH_LEN] = {0}, recall_hash[FSB_HASH_LEN];
	char ref[FSB_MESSAGE_ID_MAX + 1] = "";
	uint64_t seq = 0;
	for (long b = 0; b < batches; b++) {
		int64_t t = start + (int64_t)((double)year * ((double)b + 0.5) / (double)batches);
		char issued[FSB_TIME_MAX + 1], detected[FSB_TIME_MAX + 1];
		fsb_fmt_time(t, issued);
		fsb_fmt_time(t - 5 * 3600 * 1000LL, detected);
		for (long j = 0; j < REPORT_BATCH; j++) {
			msgs[j] = report_message(b, j, detected, ref[0] ? ref : NULL);
			if (j % 100 == 1 && ref[0] && fsb_message_set_ref_hash(msgs[j], recall_hash))
				fail("reportlog: cannot set a reference");
		}
		struct fsb_stamp first = {.origin = "longan", .seq = seq + 1, .issued_at = issued};
		memcpy(first.prev_hash, prev, FSB_HASH_LEN);
		struct fsb_errlist errs;
		fsb_errlist_init(&errs);
		size_t bad;
		if (fsb_seal_run(signer, msgs, REPORT_BATCH, &first, out, &bad, &errs))
			fail("reportlog: message %zu does not seal: %s %s", bad, errs.n ? errs.items[0].path : "",
			     errs.n ? errs.items[0].msg : "");
		struct sealed_batch sb = {out, seq + 1, prev, t, msgs, signer};
		if (fsb_store_append_own(st, REPORT_BATCH, put_sealed, &sb, NULL))
			fail("reportlog: %s", fsb_store_error(st));
		/* the batch's last recall is closed in the next */
		long last = (REPORT_BATCH - 1) / 100 * 100;
		snprintf(ref, sizeof ref, "longan:%llu", (unsigned long long)(seq + 1 + (uint64_t)last));
		memcpy(recall_hash, out[last].payload_hash, FSB_HASH_LEN);
		memcpy(prev, out[REPORT_BATCH - 1].payload_hash, FSB_HASH_LEN);
		seq += REPORT_BATCH;
		fsb_seal_clear(out, REPORT_BATCH);
		for (long j = 0; j < REPORT_BATCH; j++)
			fsb_message_free(msgs[j]);
	}
	fsb_signer_close(signer);
	fsb_store_close(st);
	fsb_config_cleanup(&cfg);
	return 0;
}

struct walk {
	struct fsb_view *v;
	size_t n, bad;
};

static int decode_one(void *ctx, uint64_t index, int64_t issued_at_ms)
{
	struct walk *w = ctx;
	(void)issued_at_ms;
	struct fsb_entry e;
	struct fsb_envelope_view ev;
	struct fsb_message *m;
	int rc = fsb_view_get(w->v, index, &e);
	if (rc)
		return rc;
	if (fsb_envelope_view(e.envelope, e.envelope_len, &ev) ||
	    fsb_message_unpack(ev.payload, ev.payload_len, 16u << 20, &m, NULL)) {
		w->bad++;
		return 0;
	}
	w->n++;
	fsb_message_free(m);
	return 0;
}

static int cmd_decodewalk(char **a)
{
	struct fsb_config cfg;
	if (fsb_cli_load_config(a[0], &cfg))
		return 1;
	int y1, m1, d1, y2, m2, d2;
	if (sscanf(a[1], "%d-%d-%d", &y1, &m1, &d1) != 3 || sscanf(a[2], "%d-%d-%d", &y2, &m2, &d2) != 3)
		fail("decodewalk: FROM and TO are YYYY-MM-DD");
	int64_t local = 7 * 3600 * 1000LL;
	int64_t from = fsb_fmt_time_ms(y1, m1, d1, 0, 0, 0) - local;
	int64_t to = fsb_fmt_time_ms(y2, m2, d2, 0, 0, 0) - local + 24 * 3600 * 1000LL - 1;
	struct fsb_store *st = open_ro(cfg.data_dir);
	struct walk w = {0};
	if (fsb_store_view_open(st, &w.v) || fsb_view_period(w.v, from, to, decode_one, &w))
		fail("decodewalk: %s", fsb_store_error(st));
	fsb_store_view_close(w.v);
	printf("%zu\n", w.n);
	fsb_store_close(st);
	fsb_config_cleanup(&cfg);
	return w.bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	static const struct {
		const char *name;
		int args;
		int (*fn)(char **);
	} cmds[] = {{"jsonl", 3, cmd_jsonl},	 {"drain", 3, cmd_drain},
		    {"head", 4, cmd_head},	 {"envsize", 1, cmd_envsize},
		    {"latency", 4, cmd_latency}, {"startup", 2, cmd_startup},
		    {"caselog", 4, cmd_caselog}, {"tracelog", 3, cmd_tracelog},
		    {"reportlog", 2, cmd_reportlog}, {"decodewalk", 3, cmd_decodewalk}};
	for (size_t i = 0; argc > 1 && i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0 && argc == cmds[i].args + 2)
			return cmds[i].fn(argv + 2);
	fprintf(stderr, "usage: see the comment at the top of tests/bench/benchtool.c\n");
	return 2;
}
