/* test_trace.c - what the trace index files a message under, read against
 * the examples' JSON by a reading of its own; the queries a trace accepts
 * and the ones it refuses. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "helpers.h"
#include "query.h"

/* ---- keys --------------------------------------------------------------------- */

/* A set of "type:value" strings. */
struct set {
	char items[256][160];
	size_t n;
};

static void set_add(struct set *s, char type, const char *value)
{
	char k[160];
	snprintf(k, sizeof k, "%c:%s", type, value);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i], k) == 0)
			return;
	cr_assert(s->n < 256);
	snprintf(s->items[s->n++], sizeof s->items[0], "%s", k);
}

static int set_has(const struct set *s, const char *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i], k) == 0)
			return 1;
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A GTIN of 8 to 14 digits, padded to 14. */
static void gtin14(const char *g, char out[15])
{
	size_t n = strlen(g);
	memset(out, '0', 14 - n);
	memcpy(out + 14 - n, g, n + 1);
}

static void want_party(struct set *s, json_t *p)
{
	if (!p)
		return;
	if (jstr(p, "taxCode"))
		set_add(s, 't', jstr(p, "taxCode"));
	if (jstr(p, "registrationNumber"))
		set_add(s, 'r', jstr(p, "registrationNumber"));
	if (jstr(p, "gln"))
		set_add(s, 'n', jstr(p, "gln"));
	json_t *loc = json_object_get(p, "location");
	if (loc && jstr(loc, "gln"))
		set_add(s, 'n', jstr(loc, "gln"));
}

/* A product: its GTIN (from gtin, or the 14 digits after /01/ in its
 * link), each lot, and the link's lot after /10/. */
static void want_product(struct set *s, json_t *p)
{
	if (!p)
		return;
	char g[15] = "", lot[64] = "";
	const char *link = jstr(p, "digitalLink");
	if (link) {
		const char *at = strstr(link, "/01/");
		memcpy(g, at + 4, 14);
		g[14] = '\0';
		const char *l = strstr(link, "/10/");
		if (l)
			snprintf(lot, sizeof lot, "%.*s", (int)strcspn(l + 4, "/?"), l + 4);
	}
	if (jstr(p, "gtin"))
		gtin14(jstr(p, "gtin"), g);
	if (g[0]) {
		set_add(s, 'g', g);
		size_t i;
		json_t *l;
		char v[160];
		json_array_foreach(json_object_get(p, "lots"), i, l) {
			snprintf(v, sizeof v, "%s%s", g, jstr(l, "lotNumber"));
			set_add(s, 'l', v);
		}
		if (lot[0]) {
			snprintf(v, sizeof v, "%s%s", g, lot);
			set_add(s, 'l', v);
		}
	}
	want_party(s, json_object_get(p, "producer"));
}

/* Every product, establishment, place and chain of a body, by the JSON
 * names of the fields that hold them (the schema's Product, Party,
 * Location and SupplyChain), anywhere in it. */
static int name_in(const char *key, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(key, *names) == 0)
			return 1;
	return 0;
}

static void want_walk(struct set *s, json_t *v, const char *key)
{
	static const char *const products[] = {"product", "products", "scope", NULL};
	static const char *const parties[] = {"operator", "producer", "responsibleOperator", "operators",
					      "executedBy", "consignor", "consignee", "holder", NULL};
	static const char *const places[] = {"location", "departure", "destination", "checkpoint", NULL};
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
			want_walk(s, e, key);
		return;
	}
	if (!json_is_object(v))
		return;
	if (name_in(key, products))
		want_product(s, v);
	if (name_in(key, parties))
		want_party(s, v);
	if (name_in(key, places) && jstr(v, "gln"))
		set_add(s, 'n', jstr(v, "gln"));
	if (strcmp(key, "chain") == 0 && jstr(v, "chainId"))
		set_add(s, 'c', jstr(v, "chainId"));
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e) {
		/* a party's own location and a product's producer are read with them */
		if ((name_in(key, parties) && strcmp(k, "location") == 0) ||
		    (name_in(key, products) && strcmp(k, "producer") == 0))
			continue;
		want_walk(s, e, k);
	}
}

static void want_keys(struct set *s, json_t *doc)
{
	if (json_object_get(doc, "followup"))
		return; /* follow-ups reach a trace through their case */
	const char *k;
	json_t *e;
	json_object_foreach(doc, k, e)
		if (strcmp(k, "header") != 0)
			want_walk(s, e, k);
}

static int got_key(void *ctx, enum fsb_trace_key type, const char *value)
{
	set_add(ctx, (char)type, value);
	return 0;
}

Test(trace, keys_of_every_example_are_those_its_json_names)
{
	size_t n, with_keys = 0;
	char **names = th_examples(&n);
	for (size_t i = 0; i < n; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, names[i]);
		json_error_t e;
		json_t *doc = json_load_file(path, 0, &e);
		cr_assert(doc, "%s", names[i]);
		struct set *want = calloc(1, sizeof *want), *got = calloc(1, sizeof *got);
		want_keys(want, doc);
		struct fsb_message *m = th_load_example(names[i]);
		uint8_t *buf;
		size_t len;
		cr_assert_eq(fsb_message_pack(m, &buf, &len), 0);
		cr_assert_eq(fsb_payload_trace_keys(buf, len, got_key, got), 0);
		free(buf);
		cr_expect_eq(got->n, want->n, "%s: %zu keys, want %zu", names[i], got->n, want->n);
		for (size_t k = 0; k < want->n; k++)
			cr_expect(set_has(got, want->items[k]), "%s: no key %s", names[i], want->items[k]);
		with_keys += want->n > 0;
		fsb_message_free(m);
		json_decref(doc);
		free(want);
		free(got);
	}
	cr_expect_geq(with_keys, 15, "most examples name a product or an establishment");
	th_free_list(names);
}

/* What the lemon's notices say about the lemon, lot by lot. */
Test(trace, facts_match_the_product_and_lot_asked_for)
{
	struct fsb_message *r = th_load_example("recall-lemon-chlorpyrifos-class2-longan.json");
	struct fsb_trace_query q;
	cr_assert_null(fsb_trace_parse("https://id.gs1.org/01/08938501234018/10/BL-0711", NULL, &q));
	struct fsb_trace_facts f;
	fsb_message_trace_facts(r, &q.target, &f);
	cr_expect(f.names_product && f.names_lot && !f.whole_product);
	cr_expect_str_eq(f.product, "Chanh không hạt");
	cr_expect_eq(f.n_lots, 1);
	cr_assert_null(fsb_trace_parse("08938501234018", "BL-0999", &q));
	fsb_message_trace_facts(r, &q.target, &f);
	cr_expect(f.names_product && !f.names_lot, "another lot of the same product");
	cr_assert_null(fsb_trace_parse("8936045123454", NULL, &q));
	fsb_message_trace_facts(r, &q.target, &f);
	cr_expect(!f.names_product, "another product");
	cr_assert_null(fsb_trace_parse("tax:1801556677", NULL, &q));
	fsb_message_trace_facts(r, &q.target, &f);
	cr_expect(f.names_party);
	cr_expect_str_eq(f.party_role, "operators", "the distributor supplied");
	fsb_message_free(r);
	struct fsb_message *c = th_load_example("certification-vietgap-lemon-farm-longan.json");
	cr_assert_null(fsb_trace_parse("gln:8938501000019", NULL, &q));
	fsb_message_trace_facts(c, &q.target, &f);
	cr_expect(f.names_party);
	cr_expect_str_eq(f.party_role, "holder");
	cr_expect_str_eq(f.chain_id, "LA-CT-CHANH-01");
	cr_expect_str_eq(f.notice_type, "CERTIFICATION_NOTICE_TYPE_ISSUED");
	fsb_message_free(c);
}

/* ---- queries ------------------------------------------------------------------ */

struct pcase {
	char query[160];
	char lot[24];
	char gtin14[15];
	char want_lot[24];
	char key; /* 0: a product */
	char value[40];
	int also_gln;
	char error[64]; /* "" when it parses */
};

static struct pcase pcases[] = {
	/* what QR scanners read: Digital Link, long and short forms, any host */
	{"https://id.gs1.org/01/08938501234018/10/BL-0711", "", "08938501234018", "BL-0711", 0, "", 0, ""},
	{"https://id.gs1.org/01/08938501234018", "", "08938501234018", "", 0, "", 0, ""},
	{"http://example.com/01/09520123456788/10/ABC%2F123?17=261231", "", "09520123456788", "ABC/123", 0, "", 0, ""},
	{"https://brand.example.vn/qr/gtin/08938501234018/lot/BL-0711", "", "08938501234018", "BL-0711", 0, "", 0, ""},
	{"  https://id.gs1.org/01/08938501234018/10/BL-0711\n", "", "08938501234018", "BL-0711", 0, "", 0, ""},
	{"(01)08938501234018(10)BL-0711", "", "08938501234018", "BL-0711", 0, "", 0, ""},
	{"(01)08938501234018(17)271231(10)A1", "", "08938501234018", "A1", 0, "", 0, ""},
	/* GTINs of every length, with a lot */
	{"8938501234018", "", "08938501234018", "", 0, "", 1, ""},
	{"08938501234018", "BL-0711", "08938501234018", "BL-0711", 0, "", 0, ""},
	{"96385074", "", "00000096385074", "", 0, "", 0, ""},
	{"036000291452", "", "00036000291452", "", 0, "", 0, ""},
	{"gtin:8938501234018", "", "08938501234018", "", 0, "", 0, ""},
	{"gtin:8938501234018", "BL-0711", "08938501234018", "BL-0711", 0, "", 0, ""},
	/* establishments */
	{"1101923456", "", "", "", 't', "1101923456", 0, ""},
	{"1800445566-001", "", "", "", 't', "1800445566-001", 0, ""},
	{"tax:0301234567", "", "", "", 't', "0301234567", 0, ""},
	{"gln:8938501000019", "", "", "", 'n', "8938501000019", 0, ""},
	{"reg:LA-BL-VT-0031", "", "", "", 'r', "LA-BL-VT-0031", 0, ""},
	/* refused, saying why */
	{"08938501234019", "", "", "", 0, "", 0, "check digit"},
	{"https://example.com/products/123", "", "", "", 0, "", 0, "not a GS1 Digital Link"},
	{"https://id.gs1.org/01/08938501234019", "", "", "", 0, "", 0, "not a GS1 Digital Link"},
	{"https://id.gs1.org/01/08938501234018/10/BL-0711", "OTHER", "", "", 0, "", 0, "another lot"},
	{"gln:8938501000018", "", "", "", 0, "", 0, "not a GLN"},
	{"(01)0893850123401(10)X", "", "", "", 0, "", 0, "14 digits"},
	{"(10)BL-0711", "", "", "", 0, "", 0, "no (01)"},
	{"12345", "", "", "", 0, "", 0, "not a GTIN"},
	{"chanh không hạt", "", "", "", 0, "", 0, "reg:NUMBER"},
	{"1101923456", "A1", "", "", 0, "", 0, "a lot goes with a GTIN"},
	{"", "", "", "", 0, "", 0, "empty"},
	{"08938501234018", "LOT-LONGER-THAN-TWENTY", "", "", 0, "", 0, "at most 20"},
};

ParameterizedTestParameters(trace, query)
{
	return cr_make_param_array(struct pcase, pcases, sizeof pcases / sizeof pcases[0]);
}

ParameterizedTest(struct pcase *c, trace, query)
{
	struct fsb_trace_query q;
	memset(&q, 0, sizeof q);
	const char *why = fsb_trace_parse(c->query, c->lot[0] ? c->lot : NULL, &q);
	if (c->error[0]) {
		cr_assert_not_null(why, "\"%s\" was accepted", c->query);
		cr_expect(strstr(why, c->error), "\"%s\": %s", c->query, why);
		return;
	}
	cr_assert_null(why, "\"%s\": %s", c->query, why);
	cr_expect_str_eq(q.target.gtin14, c->gtin14, "%s", c->query);
	cr_expect_str_eq(q.target.lot, c->want_lot, "%s", c->query);
	if (c->key) {
		cr_expect_eq((char)q.target.key, c->key, "%s", c->query);
		cr_expect_str_eq(q.target.value, c->value, "%s", c->query);
	}
	cr_expect_eq(q.also_gln, c->also_gln, "%s", c->query);
}

Test(trace, at_is_the_end_of_the_day_in_the_provinces)
{
	struct fsb_trace_query q;
	cr_assert_null(fsb_trace_at(&q, "2026-03-01", 0));
	cr_expect_str_eq(q.at_date, "2026-03-01");
	/* 2026-03-01 23:59:59.999 +07:00 is 16:59:59.999 UTC */
	cr_expect_eq(q.at_ms, fsb_fmt_time_ms(2026, 3, 1, 16, 59, 59) + 999);
	cr_expect_not_null(fsb_trace_at(&q, "2026-02-30", 0));
	cr_expect_not_null(fsb_trace_at(&q, "yesterday", 0));
	/* Today, now: 2026-03-01 20:00 UTC is already 2026-03-02 in Vietnam. */
	int64_t now = fsb_fmt_time_ms(2026, 3, 1, 20, 0, 0);
	cr_assert_null(fsb_trace_at(&q, NULL, now));
	cr_expect_str_eq(q.at_date, "2026-03-02");
	cr_expect_eq(q.at_ms, now);
}
