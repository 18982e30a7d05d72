/* test_cases.c - cases worked together by real nodes: a recall from Long
 * An addressed to Cần Thơ and An Giang, acknowledged, asked about,
 * answered, overdue, closed or withdrawn; a follow-up that arrives before
 * its root; the indexes rebuilt and checked.
 *
 * What a case should say is known from what each test submitted; the
 * assertions read `fsbridge case --json` as an agency system would.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../unit/helpers.h"
#include "store.h"

#define WAIT_MS 15000
#define ACK_DUE_S 4 /* [cases] acknowledge_alert in these tests */
#define CT_UNIT "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Cần Thơ"

static char dir[64];
static struct broker broker;
static struct node longan, cantho, angiang;

static void setup(void)
{
	h_setup(dir, &broker, NULL, NULL);
	char extra[128];
	snprintf(extra, sizeof extra, "[cases]\nacknowledge_alert = %d\n", ACK_DUE_S);
	hn_init_with(&longan, dir, "longan", &broker, FSB_TEST_PKI, NULL, extra);
	hn_init_with(&cantho, dir, "cantho", &broker, FSB_TEST_PKI, NULL, extra);
	hn_init_with(&angiang, dir, "angiang", &broker, FSB_TEST_PKI, NULL, extra);
}

static void teardown(void)
{
	h_teardown(dir, &broker);
}

TestSuite(cases, .init = setup, .fini = teardown, .timeout = 120);

/* text with its first `from` replaced by `to`; text is freed. */
static char *replaced(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);
	cr_assert(at, "no %s in %s", from, text);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	free(text);
	return out;
}

/* An example with `from` replaced by `to` (and from2 by to2, unless
 * NULL), written to DIR/name; returns its path (static). */
static const char *example_with2(const char *example, const char *name, const char *from,
				 const char *to, const char *from2, const char *to2)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, example);
	char *text = replaced(th_read(path, NULL), from, to);
	if (from2)
		text = replaced(text, from2, to2);
	static char file[200];
	snprintf(file, sizeof file, "%s/%s", dir, name);
	th_write(file, text, strlen(text));
	free(text);
	return file;
}

static const char *example_with(const char *example, const char *name, const char *from,
				const char *to)
{
	return example_with2(example, name, from, to, NULL, NULL);
}

/* Submits a file at node n; returns the message id printed (static). */
static const char *submit(const struct node *n, const char *file)
{
	static char id[64];
	char *out, *err;
	int rc = th_fsbridge(&out, &err, "submit -c %s %s", n->conf, file);
	cr_assert_eq(rc, 0, "submit at %s: %s", n->origin, err);
	snprintf(id, sizeof id, "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	free(err);
	return id;
}

/* The recall of the examples, Long An's class I, addressed to Cần Thơ and
 * An Giang. */
static void submit_recall(void)
{
	const char *f = example_with("recall-ocop-sausage-class1-longan.json", "recall.json",
				     "\"recipients\": [", "\"recipients\": [\"angiang\", ");
	cr_assert_str_eq(submit(&longan, f), "longan:1");
}

/* `fsbridge case ID --json` at node n, parsed. */
static json_t *case_json(const struct node *n, const char *id)
{
	char *out, *err;
	int rc = th_fsbridge(&out, &err, "case -c %s %s --json", n->conf, id);
	cr_assert_eq(rc, 0, "case at %s: %s", n->origin, err);
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);
	cr_assert(j, "case --json at %s is not JSON (%s): %s", n->origin, jerr.text, out);
	free(out);
	free(err);
	return j;
}

static json_t *province(json_t *c, const char *origin)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(c, "provinces"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "origin")), origin) == 0)
			return p;
	cr_assert_fail("no province %s in the case", origin);
	return NULL;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(null)";
}

static int yes(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* What both Long An and Cần Thơ say of the recall once Cần Thơ acknowledged. */
static void expect_acknowledged_by_cantho(const struct node *n)
{
	json_t *c = case_json(n, "longan:1");
	cr_expect_str_eq(str(c, "state"), "open", "at %s", n->origin);
	cr_expect_str_eq(str(c, "kind"), "recall");
	cr_expect_str_eq(str(c, "recallClass"), "RECALL_CLASS_I");
	cr_expect_str_eq(str(c, "detectedAt"), "2025-09-09T04:20:00.000Z");
	cr_expect_eq(json_array_size(json_object_get(c, "provinces")), 2, "cantho and angiang");
	json_t *ct = province(c, "cantho"), *ag = province(c, "angiang");
	cr_expect(yes(ct, "delivered") && yes(ct, "acknowledged"), "at %s", n->origin);
	cr_expect_str_eq(str(ct, "unit"), CT_UNIT);
	cr_expect_str_eq(str(ct, "officer"), "Trần Minh Khoa");
	cr_expect(!yes(ag, "delivered") && !yes(ag, "acknowledged"), "angiang never ran");
	json_decref(c);
}

Test(cases, a_recall_worked_together_from_acknowledgement_to_closure)
{
	hn_start(&longan);
	hn_start(&cantho);
	submit_recall();
	int64_t notified = fsb_fmt_now_ms();
	cr_assert(hn_wait_head(&cantho, "longan", 1, WAIT_MS));

	/* Cần Thơ acknowledges: the unit and officer in charge. */
	char *out, *err;
	cr_assert_eq(th_fsbridge(&out, &err, "ack -c %s longan:1 --unit '%s' --officer 'Trần Minh Khoa' "
				 "--text 'Đã nhận, đang kiểm tra các điểm bán'", cantho.conf, CT_UNIT), 0,
		     "%s", err);
	cr_expect_str_eq(out, "cantho:1\n");
	free(out);
	free(err);
	cr_assert(hn_wait_head(&longan, "cantho", 1, WAIT_MS));
	expect_acknowledged_by_cantho(&longan);
	expect_acknowledged_by_cantho(&cantho);

	/* The acknowledgement was due ACK_DUE_S after the notification: An
	 * Giang's is late, Cần Thơ's is not. */
	int64_t wait = notified + (ACK_DUE_S + 1) * 1000 - fsb_fmt_now_ms();
	if (wait > 0)
		h_sleep_ms((int)wait);
	json_t *c = case_json(&longan, "longan:1");
	cr_expect(yes(c, "overdue"));
	cr_expect(yes(province(c, "angiang"), "overdue"));
	cr_expect(!yes(province(c, "cantho"), "overdue"));
	json_decref(c);
	cr_assert_eq(th_fsbridge(&out, &err, "cases -c %s --overdue", longan.conf), 0, "%s", err);
	cr_expect(strstr(out, "longan:1"), "%s", out);
	free(out);
	free(err);

	/* Cần Thơ asks; the request is open until Long An answers it. */
	char due[FSB_TIME_MAX + 1];
	fsb_fmt_time(fsb_fmt_now_ms() + 3600 * 1000, due);
	char respond_by[80];
	snprintf(respond_by, sizeof respond_by, "\"respondBy\": \"%s\"", due);
	const char *rfi = example_with2("followup-request-for-information-cantho.json", "rfi.json",
					"\"respondBy\": \"2025-09-11T17:00:00+07:00\"", respond_by,
					"\"longan:3\"", "\"longan:1\"");
	cr_assert_str_eq(submit(&cantho, rfi), "cantho:2");
	cr_assert(hn_wait_head(&longan, "cantho", 2, WAIT_MS));
	c = case_json(&longan, "longan:1");
	json_t *q = json_array_get(json_object_get(c, "requests"), 0);
	cr_assert(q, "the request is in the case");
	cr_expect_str_eq(str(q, "id"), "cantho:2");
	cr_expect_eq(json_integer_value(json_object_get(q, "answers")), 0);
	cr_expect(!yes(q, "overdue"));
	json_decref(c);
	/* A response must answer a request: longan:1 is none. */
	const char *bad = example_with("followup-response-longan.json", "bad-response.json",
				       "\"cantho:2\"", "\"longan:1\"");
	cr_assert_neq(th_fsbridge(&out, &err, "submit -c %s %s", longan.conf, bad), 0);
	cr_expect(strstr(err, "longan:1 is not a request for information"), "%s", err);
	free(out);
	free(err);
	char resp[200];
	snprintf(resp, sizeof resp, "%s/followup-response-longan.json", EXAMPLES_DIR);
	cr_assert_str_eq(submit(&longan, resp), "longan:2");
	cr_assert(hn_wait_head(&cantho, "longan", 2, WAIT_MS));
	c = case_json(&cantho, "longan:1");
	q = json_array_get(json_object_get(c, "requests"), 0);
	cr_expect_eq(json_integer_value(json_object_get(q, "answers")), 1);
	cr_expect_str_eq(str(q, "answeredBy"), "longan");
	cr_expect_str_eq(str(q, "answerId"), "longan:2");
	json_decref(c);

	/* Only Long An may close it; then it is closed for both. */
	const char *close_ct = example_with("followup-closure-longan.json", "close.json", "\"longan:3\"",
					    "\"longan:1\"");
	cr_assert_neq(th_fsbridge(&out, &err, "submit -c %s %s", cantho.conf, close_ct), 0);
	cr_expect(strstr(err, "only longan, the origin of longan:1, may"), "%s", err);
	free(out);
	free(err);
	cr_assert_str_eq(submit(&longan, close_ct), "longan:3");
	cr_assert(hn_wait_head(&cantho, "longan", 3, WAIT_MS));
	for (int i = 0; i < 2; i++) {
		const struct node *n = i ? &cantho : &longan;
		c = case_json(n, "longan:2"); /* any message names its case */
		cr_expect_str_eq(str(c, "id"), "longan:1");
		cr_expect_str_eq(str(c, "state"), "closed", "at %s", n->origin);
		cr_expect(!yes(c, "overdue"), "a closed case is not late");
		cr_expect_eq(json_integer_value(json_object_get(c, "messages")), 5);
		cr_expect_eq(json_array_size(json_object_get(c, "timeline")), 5);
		json_decref(c);
		cr_assert_eq(th_fsbridge(&out, &err, "cases -c %s --open", n->conf), 0, "%s", err);
		cr_expect(!strstr(out, "longan:1"), "%s", out);
		free(out);
		free(err);
	}
	/* The text view, in Vietnamese and in English. */
	cr_assert_eq(th_fsbridge(&out, &err, "case -c %s longan:1", cantho.conf), 0, "%s", err);
	cr_expect(strstr(out, "Trạng thái: đã kết thúc"), "%s", out);
	cr_expect(strstr(out, "cantho       đã nhận · đã xác nhận"), "%s", out);
	cr_expect(strstr(out, "Yêu cầu cung cấp thông tin"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(th_fsbridge(&out, &err, "case -c %s longan:1 --lang en", cantho.conf), 0, "%s", err);
	cr_expect(strstr(out, "Status: closed"), "%s", out);
	cr_expect(strstr(out, "Class I recall"), "%s", out);
	free(out);
	free(err);

	/* The agency's broker holds the case's state, retained. */
	int closed = 0;
	char buf[8192] = "";
	for (int i = 0; i < 50 && !closed; i++) {
		FILE *p;
		char cmd[300];
		snprintf(cmd, sizeof cmd,
			 "mosquitto_sub -p %d -t 'cantho/foodsafety/cases/longan:1' -C 1 -W 3 2>/dev/null",
			 broker.port);
		if ((p = popen(cmd, "r"))) {
			size_t got = fread(buf, 1, sizeof buf - 1, p);
			buf[got] = '\0';
			pclose(p);
		}
		closed = strstr(buf, "\"state\":\"closed\"") != NULL;
		if (!closed)
			h_sleep_ms(100);
	}
	cr_expect(closed, "cantho/foodsafety/cases/longan:1 says the case is closed: %s", buf);
	cr_expect_eq(hn_stop(&longan), 0);
	cr_expect_eq(hn_stop(&cantho), 0);
	hn_audit_ok(&longan, "");
	hn_audit_ok(&cantho, "");
}

Test(cases, a_withdrawn_recall_and_a_reference_the_node_does_not_hold)
{
	hn_start(&longan);
	hn_start(&cantho);
	submit_recall();
	cr_assert(hn_wait_head(&cantho, "longan", 1, WAIT_MS));
	/* A follow-up must refer to a message the node holds. */
	char *out, *err;
	const char *f = example_with("followup-measures-taken-cantho.json", "measures.json",
				    "\"longan:3\"", "\"cantho:99\"");
	cr_assert_neq(th_fsbridge(&out, &err, "submit -c %s %s", cantho.conf, f), 0);
	cr_expect(strstr(err, "followup.refMessageId: cantho:99 is not held by this node"), "%s", err);
	free(out);
	free(err);
	f = example_with("followup-withdrawal-longan.json", "withdraw.json", "\"longan:2\"", "\"longan:1\"");
	cr_assert_str_eq(submit(&longan, f), "longan:2");
	cr_assert(hn_wait_head(&cantho, "longan", 2, WAIT_MS));
	json_t *c = case_json(&cantho, "longan:1");
	cr_expect_str_eq(str(c, "state"), "withdrawn");
	json_t *first = json_array_get(json_object_get(c, "timeline"), 0);
	cr_expect(yes(first, "withdrawn"), "the recall itself is marked withdrawn");
	json_decref(c);
}

/* The raw envelope of `id` as node n holds it, malloc'd. */
static uint8_t *envelope_of(const struct node *n, const char *id, size_t *len)
{
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *s;
	char err[256];
	cr_assert_eq(fsb_store_open(n->data, &o, &s, err, sizeof err), 0, "%s", err);
	uint64_t index;
	struct fsb_entry e;
	cr_assert_eq(fsb_store_find_id(s, id, &index), 0, "%s holds no %s", n->origin, id);
	cr_assert_eq(fsb_store_get(s, index, &e), 0);
	uint8_t *copy = malloc(e.envelope_len);
	memcpy(copy, e.envelope, e.envelope_len);
	*len = e.envelope_len;
	fsb_entry_clear(&e);
	fsb_store_close(s);
	return copy;
}

Test(cases, a_follow_up_before_its_root_waits_for_it)
{
	/* Long An's recall and Cần Thơ's acknowledgement exist before An
	 * Giang ever runs. */
	hn_start(&longan);
	hn_start(&cantho);
	submit_recall();
	cr_assert(hn_wait_head(&cantho, "longan", 1, WAIT_MS));
	cr_assert_eq(th_fsbridge(NULL, NULL, "ack -c %s longan:1 --unit '%s'", cantho.conf, CT_UNIT), 0);
	cr_assert(hn_wait_head(&longan, "cantho", 1, WAIT_MS));
	cr_expect_eq(hn_stop(&longan), 0);
	cr_expect_eq(hn_stop(&cantho), 0);

	/* An Giang, alone, gets the acknowledgement first (Cần Thơ's
	 * envelope, as its stream carried it). */
	hn_start(&angiang);
	size_t len;
	uint8_t *env = envelope_of(&cantho, "cantho:1", &len);
	char path[128], x[512];
	snprintf(path, sizeof path, "%s/ack.bin", dir);
	th_write(path, env, len);
	free(env);
	cr_assert_eq(th_sh("mosquitto_pub %s -q 1 -t foodsafety/v1/cantho/followup/processed -f %s",
			   hb_exchange_opts(&broker, "cantho", x), path), 0);
	cr_assert(hn_wait_head(&angiang, "cantho", 1, WAIT_MS));
	json_t *c = case_json(&angiang, "cantho:1");
	cr_expect_str_eq(str(c, "id"), "longan:1", "the case is named by the message referenced");
	cr_expect(!yes(c, "rootHeld"));
	cr_expect_str_eq(str(c, "state"), "open");
	json_decref(c);
	char *out, *err;
	cr_assert_eq(th_fsbridge(&out, &err, "case -c %s longan:1", angiang.conf), 0, "%s", err);
	cr_expect(strstr(out, "chưa nhận được thông báo gốc"), "%s", out);
	free(out);
	free(err);

	/* Long An comes back; An Giang fetches the recall by sync, and the
	 * case is whole. */
	hn_start(&longan);
	/* (its requests for longan:1 went unanswered: they back off) */
	cr_assert(hn_wait_head(&angiang, "longan", 1, 4 * WAIT_MS));
	c = case_json(&angiang, "cantho:1");
	cr_expect(yes(c, "rootHeld"));
	cr_expect_str_eq(str(c, "kind"), "recall");
	cr_expect(yes(province(c, "cantho"), "acknowledged"));
	cr_expect(yes(province(c, "angiang"), "delivered"), "it holds it now");
	json_decref(c);
	cr_expect_eq(hn_stop(&angiang), 0);
	hn_audit_ok(&angiang, "");
	/* Rebuilt from the log, the indexes say the same. */
	cr_assert_eq(th_fsbridge(&out, &err, "cases --data %s --json", angiang.data), 0, "%s", err);
	char *before = out;
	free(err);
	cr_assert_eq(th_fsbridge(&out, &err, "index rebuild --data %s", angiang.data), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(th_fsbridge(&out, &err, "cases --data %s --json", angiang.data), 0, "%s", err);
	cr_expect_str_eq(out, before);
	free(out);
	free(err);
	free(before);
	hn_audit_ok(&angiang, " after index rebuild");
}
