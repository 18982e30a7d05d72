/* test_trace.c - tracing with real nodes: Long An certifies a lemon chain
 * and a beef chain, Cần Thơ a pangasius export chain and the lemons'
 * distributor; Cần Thơ traces a Long An lemon from its QR code, before and
 * after Long An recalls the lot and suspends the farm's VietGAP; `chains`
 * reports the programme's targets as certificates expire, renew and are
 * suspended.
 *
 * The examples' validity dates are rewritten around today (the tests must
 * not depend on the day they run), and every expected value is read from
 * the examples themselves or from what the test submitted.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "../unit/helpers.h"

#define WAIT_MS 15000
#define DAY_S (24 * 3600)

static char dir[64];
static struct broker broker;
static struct node longan, cantho;

static void setup(void)
{
	h_setup(dir, &broker, &longan, &cantho);
}

static void teardown(void)
{
	h_teardown(dir, &broker);
}

TestSuite(tracing, .init = setup, .fini = teardown, .timeout = 120);

/* The date `days` from today in UTC+07:00, "YYYY-MM-DD" (static, 4 slots). */
static const char *day(int days)
{
	static char buf[4][11];
	static int next;
	time_t t = time(NULL) + 7 * 3600 + (time_t)days * DAY_S;
	struct tm tm;
	gmtime_r(&t, &tm);
	char *out = buf[next++ % 4];
	strftime(out, 11, "%Y-%m-%d", &tm);
	return out;
}

static json_t *example(const char *name)
{
	char path[200];
	snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, name);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	cr_assert(j, "%s: %s", name, e.text);
	return j;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(null)";
}

/* An example certification with its validity (NULL: unchanged) and
 * reference (NULL: unchanged) set, written to DIR/name; its path. */
static const char *cert_file(const char *example_name, const char *from, const char *until,
			     const char *ref)
{
	json_t *j = example(example_name);
	json_t *c = json_object_get(j, "certification");
	if (from)
		json_object_set_new(c, "validFromDate", json_string(from));
	if (until)
		json_object_set_new(c, "validUntilDate", json_string(until));
	if (ref)
		json_object_set_new(c, "refMessageId", json_string(ref));
	static char file[200];
	snprintf(file, sizeof file, "%s/%s", dir, example_name);
	cr_assert_eq(json_dump_file(j, file, 0), 0);
	json_decref(j);
	return file;
}

static void submit(const struct node *n, const char *file, const char *want_id)
{
	char *out, *err;
	int rc = th_fsbridge(&out, &err, "submit -c %s %s", n->conf, file);
	cr_assert_eq(rc, 0, "submit at %s: %s", n->origin, err);
	cr_assert_eq(strncmp(out, want_id, strlen(want_id)), 0, "submitted as %s, not %s", out, want_id);
	free(out);
	free(err);
}

static void submit_example(const struct node *n, const char *name, const char *want_id)
{
	char path[200];
	snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, name);
	submit(n, path, want_id);
}

/* `fsbridge ARGS --json` at node n, parsed. */
static json_t *json_of(const struct node *n, const char *args)
{
	char *out, *err;
	int rc = th_fsbridge(&out, &err, "%s -c %s --json", args, n->conf);
	cr_assert_eq(rc, 0, "%s at %s: %s", args, n->origin, err);
	json_error_t e;
	json_t *j = json_loads(out, 0, &e);
	cr_assert(j, "%s at %s is not JSON (%s): %s", args, n->origin, e.text, out);
	free(out);
	free(err);
	return j;
}

/* The lemon's Digital Link, as its QR code carries it: the surveillance
 * example's (GTIN and lot). */
static char lemon_link[200];
static char lemon_lot[32];

static void read_lemon(void)
{
	json_t *s = example("surveillance-chlorpyrifos-lemon-cantho.json");
	json_t *p = json_object_get(json_object_get(s, "surveillance"), "product");
	snprintf(lemon_link, sizeof lemon_link, "%s", str(p, "digitalLink"));
	snprintf(lemon_lot, sizeof lemon_lot, "%s",
		 str(json_array_get(json_object_get(p, "lots"), 0), "lotNumber"));
	cr_assert(strstr(lemon_link, lemon_lot), "the link names the lot");
	json_decref(s);
}

static const char *example_cert_number(const char *name)
{
	static char num[128];
	json_t *j = example(name);
	snprintf(num, sizeof num, "%s", str(json_object_get(j, "certification"), "certificateNumber"));
	json_decref(j);
	return num;
}

/* The object of list `list` of doc whose `key` is `value`, or NULL. */
static json_t *find(json_t *doc, const char *list, const char *key, const char *value)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(doc, list), i, c)
		if (strcmp(str(c, key), value) == 0)
			return c;
	return NULL;
}

static json_t *cert_in(json_t *trace, const char *number)
{
	return find(trace, "certifications", "certificateNumber", number);
}

static json_t *item_in(json_t *trace, const char *list, const char *id)
{
	return find(trace, list, "id", id);
}

static json_t *chain_in(json_t *chains, const char *id)
{
	return find(chains, "chains", "chainId", id);
}

static const char *chain_of(const char *example_name)
{
	static char id[64];
	json_t *j = example(example_name);
	snprintf(id, sizeof id, "%s",
		 str(json_object_get(json_object_get(j, "certification"), "chain"), "chainId"));
	json_decref(j);
	return id;
}

#define LEMON_FARM "certification-vietgap-lemon-farm-longan.json"
#define LEMON_PACK "certification-food-safety-lemon-packinghouse-longan.json"
#define BEEF_FARM "certification-vietgap-beef-farm-longan.json"
#define BEEF_SLAUGHTER "certification-food-safety-beef-slaughterhouse-longan.json"
#define BEEF_RENEWED "certification-vietgap-beef-farm-renewed-longan.json"
#define LEMON_SUSPENDED "certification-vietgap-lemon-farm-suspended-longan.json"
#define FISH_FARM "certification-globalgap-pangasius-farm-cantho.json"
#define FISH_PLANT "certification-haccp-pangasius-processor-cantho.json"
#define LEMON_DIST "certification-food-safety-lemon-distributor-cantho.json"

static void certify_everything_but_the_renewal(void)
{
	/* In force from a year ago for two more, but the beef farm's first
	 * certificate, which ran out a month ago. */
	const char *from = day(-365), *until = day(730);
	submit(&longan, cert_file(LEMON_FARM, from, until, NULL), "longan:1");
	submit(&longan, cert_file(LEMON_PACK, from, until, NULL), "longan:2");
	submit(&longan, cert_file(BEEF_FARM, day(-1095), day(-30), NULL), "longan:3");
	submit(&longan, cert_file(BEEF_SLAUGHTER, from, until, NULL), "longan:4");
	submit(&cantho, cert_file(FISH_FARM, from, until, NULL), "cantho:1");
	submit(&cantho, cert_file(FISH_PLANT, from, until, NULL), "cantho:2");
	submit(&cantho, cert_file(LEMON_DIST, from, until, NULL), "cantho:3");
	submit_example(&cantho, "surveillance-chlorpyrifos-lemon-cantho.json", "cantho:4");
	cr_assert(hn_wait_head(&cantho, "longan", 4, WAIT_MS), "cantho did not get longan's notices");
	cr_assert(hn_wait_head(&longan, "cantho", 4, WAIT_MS), "longan did not get cantho's");
}

static void expect_targets(const struct node *n, size_t safe, int chains_met, const char *why)
{
	json_t *c = json_of(n, "chains");
	cr_expect_eq(json_array_size(json_object_get(c, "chains")), 3, "%s: three chains named", why);
	cr_expect_eq(json_integer_value(json_object_get(c, "safe")), (json_int_t)safe,
		     "%s: %zu safe chains", why, safe);
	cr_expect_eq(json_is_true(json_object_get(c, "chainsMet")), chains_met, "%s: target of 3", why);
	cr_expect(json_is_true(json_object_get(c, "internationalMet")),
		  "%s: the pangasius export chain is to GlobalG.A.P. and HACCP", why);
	json_t *fish = chain_in(c, chain_of(FISH_FARM));
	cr_expect(fish && json_is_true(json_object_get(fish, "international")), "%s", why);
	json_t *lemon = chain_in(c, chain_of(LEMON_FARM));
	cr_assert(lemon, "%s: the lemon chain", why);
	cr_expect_eq(json_array_size(json_object_get(lemon, "members")), 3,
		     "%s: farm, packing house, distributor", why);
	cr_expect_eq(json_integer_value(json_object_get(lemon, "provinces")), 2,
		     "%s: certified in Long An and Cần Thơ", why);
	json_decref(c);
}

Test(tracing, a_longan_lemon_traced_at_cantho_from_its_qr_code)
{
	read_lemon();
	hn_start(&longan);
	hn_start(&cantho);
	certify_everything_but_the_renewal();

	/* The beef farm's certificate ran out: its chain does not count. */
	expect_targets(&cantho, 2, 0, "beef farm expired");
	json_t *c = json_of(&cantho, "chains");
	json_t *beef = chain_in(c, chain_of(BEEF_FARM));
	cr_assert(beef);
	cr_expect(!json_is_true(json_object_get(beef, "safe")));
	cr_expect_str_eq(str(json_array_get(json_object_get(beef, "members"), 0), "state"), "EXPIRED");
	json_decref(c);

	/* Renewed, it counts again, and Long An sees the same. */
	submit(&longan, cert_file(BEEF_RENEWED, day(-29), day(1066), "longan:3"), "longan:5");
	cr_assert(hn_wait_head(&cantho, "longan", 5, WAIT_MS));
	expect_targets(&cantho, 3, 1, "renewed");
	expect_targets(&longan, 3, 1, "renewed, at longan");

	/* Cần Thơ's inspector scans a pack of Long An lemons. */
	char args[400];
	snprintf(args, sizeof args, "trace '%s'", lemon_link);
	json_t *t = json_of(&cantho, args);
	json_t *vietgap = cert_in(t, example_cert_number(LEMON_FARM));
	cr_assert(vietgap, "the farm's VietGAP certificate is in the trace");
	cr_expect_str_eq(str(vietgap, "state"), "IN_FORCE");
	cr_expect_str_eq(str(vietgap, "origin"), "longan");
	cr_expect_str_eq(str(vietgap, "chainId"), chain_of(LEMON_FARM));
	json_t *result = item_in(t, "results", "cantho:4");
	cr_assert(result, "the non-compliant result is in the trace");
	cr_expect_str_eq(str(result, "verdict"), "VERDICT_NON_COMPLIANT");
	cr_expect(json_is_true(json_object_get(result, "thisLot")));
	cr_expect_eq(json_integer_value(json_object_get(t, "nonCompliant")), 1);
	cr_expect(!json_is_true(json_object_get(t, "recalled")), "not recalled yet");
	cr_expect_eq(json_array_size(json_object_get(t, "recalls")), 0);
	cr_expect_str_eq(str(json_object_get(t, "query"), "lot"), lemon_lot);
	json_decref(t);
	/* The text an inspector reads, in Vietnamese. */
	char *out, *err;
	cr_assert_eq(th_fsbridge(&out, &err, "%s -c %s", args, cantho.conf), 0, "%s", err);
	cr_expect(strstr(out, "CÒN HIỆU LỰC") && strstr(out, "Không đạt") &&
			  strstr(out, "không có thông báo thu hồi"),
		  "%s", out);
	free(out);
	free(err);

	/* Long An recalls the lot and suspends the farm's VietGAP. */
	submit_example(&longan, "recall-lemon-chlorpyrifos-class2-longan.json", "longan:6");
	submit(&longan, cert_file(LEMON_SUSPENDED, NULL, NULL, "longan:1"), "longan:7");
	cr_assert(hn_wait_head(&cantho, "longan", 7, WAIT_MS));
	t = json_of(&cantho, args);
	vietgap = cert_in(t, example_cert_number(LEMON_FARM));
	cr_assert(vietgap);
	cr_expect_str_eq(str(vietgap, "state"), "SUSPENDED");
	cr_expect_str_eq(str(vietgap, "latestNotice"), "longan:7");
	cr_expect(strstr(str(vietgap, "reason"), lemon_lot), "the suspension says why");
	json_t *recall = item_in(t, "recalls", "longan:6");
	cr_assert(recall, "the recall is in the trace");
	cr_expect(json_is_true(json_object_get(recall, "thisLot")));
	cr_expect_str_eq(str(recall, "caseState"), "open");
	cr_expect(json_is_true(json_object_get(t, "recalled")));
	cr_expect(item_in(t, "openCases", "longan:6"), "the recall's case is open");
	cr_expect(item_in(t, "results", "cantho:4"), "the result is still there");
	json_decref(t);
	cr_assert_eq(th_fsbridge(&out, &err, "%s -c %s --lang en", args, cantho.conf), 0, "%s", err);
	cr_expect(strstr(out, "SUSPENDED") && strstr(out, "RECALLED"), "%s", out);
	free(out);
	free(err);
	expect_targets(&cantho, 2, 0, "farm suspended");

	/* The farm by its tax code: its certificate, the result at its lemons,
	 * the recall it is responsible for. */
	json_t *farm = example(LEMON_FARM);
	const char *tax = str(json_object_get(json_object_get(farm, "certification"), "holder"), "taxCode");
	snprintf(args, sizeof args, "trace %s", tax);
	t = json_of(&cantho, args);
	cr_expect(cert_in(t, example_cert_number(LEMON_FARM)));
	cr_expect(item_in(t, "results", "cantho:4"));
	cr_expect(item_in(t, "recalls", "longan:6"));
	json_decref(t);
	json_decref(farm);

	/* As things stood yesterday, nothing of this existed yet. */
	snprintf(args, sizeof args, "trace '%s' --at %s", lemon_link, day(-1));
	t = json_of(&cantho, args);
	cr_expect_eq(json_array_size(json_object_get(t, "certifications")), 0);
	cr_expect_eq(json_array_size(json_object_get(t, "results")), 0);
	json_decref(t);

	/* A bad check digit and a link that is not a Digital Link say so. */
	cr_expect_eq(th_fsbridge(NULL, &err, "trace -c %s 08938501234019", cantho.conf), 2);
	cr_expect(strstr(err, "check digit"), "%s", err);
	free(err);
	cr_expect_eq(th_fsbridge(NULL, &err, "trace -c %s https://example.com/products/123",
				 cantho.conf), 2);
	cr_expect(strstr(err, "not a GS1 Digital Link"), "%s", err);
	free(err);

	/* Rebuilt from the log, the indexes give the same trace, and hold. */
	snprintf(args, sizeof args, "trace '%s'", lemon_link);
	char *before, *after;
	cr_assert_eq(th_fsbridge(&before, NULL, "%s -c %s --json", args, cantho.conf), 0);
	cr_assert_eq(hn_stop(&cantho), 0);
	cr_assert_eq(th_fsbridge(NULL, &err, "index rebuild -c %s", cantho.conf), 0, "%s", err);
	free(err);
	cr_assert_eq(th_fsbridge(&after, NULL, "%s -c %s --json", args, cantho.conf), 0);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	hn_audit_ok(&cantho, " after the traces");
	hn_stop(&longan);
}
