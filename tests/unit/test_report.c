/* test_report.c - the report's query on a store made here: what it keeps
 * is bounded (analyte names, outbreak notices listed), a withdrawn root
 * counts only as a withdrawn case, a recall without a detection time is
 * counted and not timed, and an origin never heard of is refused. The
 * season's figures are checked end to end in tests/integration. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "config.h"
#include "format.h"
#include "helpers.h"
#include "query.h"
#include "sign.h"
#include "store.h"
#include "submit.h"

static char dir[64];
static struct fsb_store *store;
static struct fsb_signer *signer;

static void setup(void)
{
	th_tmpdir(dir);
	char data[128], key[256], crt[256], err[512] = "";
	snprintf(data, sizeof data, "%s/longan", dir);
	struct fsb_store_opts o = {.origin = "longan"};
	cr_assert_eq(fsb_store_open(data, &o, &store, err, sizeof err), 0, "%s", err);
	snprintf(key, sizeof key, "%s/longan.key", PKI);
	snprintf(crt, sizeof crt, "%s/longan.crt", PKI);
	cr_assert_eq(fsb_signer_open(key, crt, &signer, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
	fsb_signer_close(signer);
	fsb_store_close(store);
	th_rmtree(dir);
}

TestSuite(report_query, .init = setup, .fini = teardown);

static struct fsb_message *parse(const char *text)
{
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m = NULL;
	int rc = fsb_submission_check(text, strlen(text), FSB_KIND_NONE, "longan", 4u << 20, &m, NULL,
				      &errs);
	th_dump_errors(&errs);
	cr_assert_eq(rc, 0);
	return m;
}

static void submit(struct fsb_message **msgs, size_t n)
{
	char err[512] = "";
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	int rc = fsb_submit_commit(store, signer, "longan", msgs, n, NULL, &errs, err, sizeof err);
	th_dump_errors(&errs);
	cr_assert_eq(rc, 0, "%s", err);
	for (size_t i = 0; i < n; i++)
		fsb_message_free(msgs[i]);
}

/* A report of today, as the CLI asks for it. */
static int report(const char *const *origins, size_t n, struct fsb_report *r, const char **unknown)
{
	char today[11];
	time_t t = time(NULL) + 7 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	struct fsb_report_period p;
	const char *which;
	cr_assert_null(fsb_report_period(&p, today, today, &which));
	struct fsb_view *v;
	struct fsb_query *q;
	cr_assert_eq(fsb_store_view_open(store, &v), 0);
	cr_assert_eq(fsb_query_open(v, &q), 0);
	struct fsb_case_opts o = {.now_ms = fsb_fmt_now_ms(), .ack_alert_ms = FSB_DEFAULT_ACK_ALERT_MS,
				  .ack_other_ms = FSB_DEFAULT_ACK_OTHER_MS};
	int rc = fsb_query_report(q, &p, origins, n, &o, r, unknown);
	fsb_query_close(q);
	fsb_store_view_close(v);
	return rc;
}

/* Results of more distinct analytes than a report keeps names of (a
 * message holds at most 1,000 results: two of 600): the names stop at the
 * bound, the group counts them all. */
static struct fsb_message *many_analytes(size_t first, size_t n)
{
	size_t cap = 200 * n + 1024, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len,
				"{\"header\":{\"issuer\":{\"name\":\"Chi cục\"},\"category\":\"CATEGORY_CROP\"},"
				"\"surveillance\":{\"sample\":{\"sampleId\":\"S-1\",\"sampledAt\":"
				"\"2025-07-14T05:30:00+07:00\"},\"programme\":{\"type\":"
				"\"PROGRAMME_TYPE_ROUTINE_MONITORING\"},\"samplingPoint\":{\"stage\":"
				"\"SAMPLING_STAGE_FARM\"},\"product\":{\"name\":\"Rau\"},\"lab\":{\"name\":"
				"\"Phòng thử nghiệm\"},\"results\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"%s{\"analyte\":\"Hoạt chất %zu\",\"hazard\":"
					"\"HAZARD_CATEGORY_PESTICIDE_RESIDUE\",\"resultType\":\"RESULT_TYPE_NOT_DETECTED\","
					"\"verdict\":\"%s\"}",
					i ? "," : "", first + i, i == n - 1 ? "VERDICT_NON_COMPLIANT" : "VERDICT_COMPLIANT");
	snprintf(text + len, cap - len, "],\"overallVerdict\":\"VERDICT_NON_COMPLIANT\"}}");
	struct fsb_message *m = parse(text);
	free(text);
	return m;
}

Test(report_query, analyte_names_are_bounded_and_counted_in_their_group)
{
	_Static_assert(1200 > FSB_REPORT_ANALYTES_MAX, "more names than kept");
	struct fsb_message *msgs[2] = {many_analytes(0, 600), many_analytes(600, 600)};
	submit(msgs, 2);
	struct fsb_report r;
	const char *unknown;
	cr_assert_eq(report(NULL, 0, &r, &unknown), 0);
	cr_expect(r.analytes_truncated);
	size_t names = 0;
	for (size_t i = 0; i < r.n_analytes; i++) {
		if (r.analytes[i].analyte[0]) {
			names++;
			continue;
		}
		cr_expect_eq(r.analytes[i].r.samples, 1200, "the group counts every result");
		cr_expect_eq(r.analytes[i].r.non_compliant, 2);
	}
	cr_expect_eq(names, FSB_REPORT_ANALYTES_MAX);
	cr_expect_eq(r.surv_total.samples, 2);
	cr_expect_eq(r.surv_total.non_compliant, 2);
	fsb_report_clear(&r);
}

/* More outbreak notices than a report lists: the first are listed, all
 * are counted. */
Test(report_query, outbreak_notices_listed_are_bounded)
{
	size_t len, n = FSB_REPORT_OUTBREAKS_MAX + 3;
	char *ex = th_read(EXAMPLES_DIR "/quarantine-asf-outbreak-longan.json", &len);
	struct fsb_message **msgs = calloc(n, sizeof *msgs);
	for (size_t i = 0; i < n; i++)
		msgs[i] = parse(ex);
	submit(msgs, n);
	free(msgs);
	free(ex);
	struct fsb_report r;
	const char *unknown;
	cr_assert_eq(report(NULL, 0, &r, &unknown), 0);
	cr_expect_eq(r.outbreaks_total, n);
	cr_expect_eq(r.n_outbreaks, FSB_REPORT_OUTBREAKS_MAX);
	cr_expect_eq(r.notices_total, n);
	cr_expect_str_eq(r.outbreaks[0].disease, "Dịch tả heo châu Phi (ASF)");
	cr_expect_eq(r.outbreaks[0].cases, 86);
	fsb_report_clear(&r);
}

/* A recall without a detection time is counted and not timed; a withdrawn
 * recall is a withdrawn case and no recall; an unknown origin is refused. */
Test(report_query, withdrawn_undated_and_unknown)
{
	size_t len;
	char *ex = th_read(EXAMPLES_DIR "/recall-rice-labelling-class3-longan.json", &len);
	cr_assert_null(strstr(ex, "detectedAt"), "the example has no detection time");
	struct fsb_message *msgs[2] = {parse(ex), parse(ex)};
	submit(msgs, 2);
	free(ex);
	struct fsb_message *w = parse("{\"header\":{\"issuer\":{\"name\":\"Chi cục\"},\"category\":"
				      "\"CATEGORY_CROP\"},\"followup\":{\"type\":\"FOLLOW_UP_TYPE_WITHDRAWAL\","
				      "\"refMessageId\":\"longan:2\",\"reason\":\"Gửi nhầm\"}}");
	submit(&w, 1);
	struct fsb_report r;
	const char *unknown;
	cr_assert_eq(report(NULL, 0, &r, &unknown), 0);
	cr_expect_eq(r.messages, 3);
	cr_expect_eq(r.recalls_total, 1, "the withdrawn recall is not counted");
	cr_expect_eq(r.withdrawn, 1);
	cr_assert_eq(r.n_timeliness, 2, "class III and the total");
	cr_expect_str_eq(r.timeliness[0].recall_class, "RECALL_CLASS_III");
	cr_expect_eq(r.timeliness[0].recalls, 1);
	cr_expect_eq(r.timeliness[0].undated, 1);
	cr_expect_eq(r.timeliness[0].notify.n, 0);
	cr_assert_eq(r.n_cases, 2, "longan and the total");
	cr_expect_eq(r.cases[0].opened, 2);
	cr_expect_eq(r.cases[0].withdrawn, 1);
	cr_expect_eq(r.cases[0].open, 1);
	cr_expect_eq(r.by_origin[0].by_kind[FSB_KIND_RECALL], 2);
	cr_expect_eq(r.by_origin[0].by_kind[FSB_KIND_FOLLOWUP], 1);
	fsb_report_clear(&r);
	const char *who[] = {"longan", "hanoi"};
	cr_expect_eq(report(who, 2, &r, &unknown), FSB_ENOTFOUND);
	cr_expect_str_eq(unknown, "hanoi");
	const char *only[] = {"longan"};
	cr_expect_eq(report(only, 1, &r, &unknown), 0);
	cr_expect_eq(r.n_origins, 1);
	fsb_report_clear(&r);
}
