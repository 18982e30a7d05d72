/* test_json.c - the proto3 JSON mapping: round trips and strictness. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"


ParameterizedTestParameters(json, round_trip)
{
	return th_example_params();
}

/* JSON -> protobuf -> bytes -> protobuf -> JSON gives the document back
 * (examples are written in canonical form: no default values), and JSON ->
 * protobuf -> JSON -> protobuf gives the same bytes. */
ParameterizedTest(struct th_example *ex, json, round_trip)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, ex->name);
	size_t len;
	char *text = th_read(path, &len);
	json_t *orig = json_loads(text, 0, NULL);
	cr_assert_not_null(orig);

	struct fsb_message *m = th_load_example(ex->name);
	uint8_t *bytes;
	size_t blen;
	cr_assert_eq(fsb_message_pack(m, &bytes, &blen), 0);

	struct fsb_message *back = NULL;
	cr_assert_eq(fsb_message_unpack(bytes, blen, FSB_CODEC_DEFAULT_MAX_BYTES, &back, NULL), 0);
	char *out;
	cr_assert_eq(fsb_message_to_json(back, FSB_JSON_PRETTY, &out), 0);
	json_t *again = json_loads(out, 0, NULL);
	cr_assert_not_null(again);
	cr_expect(json_equal(orig, again), "%s: JSON differs after the round trip:\n%s", ex->name, out);

	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m2 = NULL;
	cr_assert_eq(fsb_message_from_json(out, strlen(out), FSB_KIND_NONE, &m2, &errs), 0);
	uint8_t *bytes2;
	size_t blen2;
	cr_assert_eq(fsb_message_pack(m2, &bytes2, &blen2), 0);
	cr_expect_eq(blen, blen2);
	cr_expect(blen == blen2 && memcmp(bytes, bytes2, blen) == 0, "%s: bytes differ", ex->name);

	free(bytes2);
	fsb_message_free(m2);
	json_decref(again);
	free(out);
	fsb_message_free(back);
	free(bytes);
	fsb_message_free(m);
	json_decref(orig);
	free(text);
}

struct strict_case {
	char doc[320];
	enum fsb_kind kind;
	char path[64];
	char msg[80];
};

static struct strict_case strict_cases[] = {
	{"{\"recall\": {\"colour\": 1}}", FSB_KIND_NONE, "recall.colour", "unknown field"},
	{"{\"header\": {\"category\": \"CATEGORY_FISH\"}}", FSB_KIND_NONE, "header.category",
	 "unknown value \"CATEGORY_FISH\" for Category"},
	{"{\"header\": {\"category\": 99}}", FSB_KIND_NONE, "header.category", "unknown value 99"},
	{"{\"header\": {\"category\": true}}", FSB_KIND_NONE, "header.category", "expected an enum name"},
	{"{\"header\": {\"seq\": -1}}", FSB_KIND_NONE, "header.seq", "out of range"},
	{"{\"header\": {\"seq\": \"12x\"}}", FSB_KIND_NONE, "header.seq", "expected an integer"},
	{"{\"header\": {\"seq\": 1.5}}", FSB_KIND_NONE, "header.seq", "expected an integer, got a number"},
	{"{\"header\": {\"seq\": \"18446744073709551616\"}}", FSB_KIND_NONE, "header.seq", "out of range"},
	{"{\"header\": {\"schemaVersion\": 4294967296}}", FSB_KIND_NONE, "header.schemaVersion",
	 "out of range"},
	{"{\"header\": {\"prevHash\": \"not base64!\"}}", FSB_KIND_NONE, "header.prevHash", "not valid base64"},
	{"{\"header\": {\"prevHash\": \"QUJ=\"}}", FSB_KIND_NONE, "header.prevHash", "not valid base64"},
	{"{\"header\": {\"origin\": 42}}", FSB_KIND_NONE, "header.origin", "expected a string, got an integer"},
	{"{\"header\": {\"recipients\": \"cantho\"}}", FSB_KIND_NONE, "header.recipients", "expected an array"},
	{"{\"header\": {\"recipients\": [\"a\", null]}}", FSB_KIND_NONE, "header.recipients[1]", "null is not allowed"},
	{"{\"header\": {\"issuer\": []}}", FSB_KIND_NONE, "header.issuer", "expected an object, got an array"},
	{"{\"recall\": {}, \"followup\": {}}", FSB_KIND_NONE, "followup", "only one of \"recall\""},
	{"{\"recall\": {\"products\": [{\"lots\": [{\"lotNumber\": 7}]}]}}", FSB_KIND_NONE,
	 "recall.products[0].lots[0].lotNumber", "expected a string"},
	{"{\"recall\": {}}", FSB_KIND_FOLLOWUP, "recall", "document is a recall message, but followup"},
	{"{\"type\": \"FOLLOW_UP_TYPE_CLOSURE\", \"bogus\": 1}", FSB_KIND_FOLLOWUP, "followup.bogus", "unknown field"},
	{"[1, 2]", FSB_KIND_NONE, "", "expected a JSON object"},
	{"{\"recall\": {\"reason\": \"a\", \"reason\": \"b\"}}", FSB_KIND_NONE, "", "duplicate"},
	{"{\"recall\": {\"reason\": \"a\\u0000b\"}}", FSB_KIND_NONE, "", "\\u0000"},
	{"{\"recall\": ", FSB_KIND_NONE, "", "line 1"},
};

ParameterizedTestParameters(json, strict)
{
	return cr_make_param_array(struct strict_case, strict_cases,
				   sizeof strict_cases / sizeof strict_cases[0]);
}

ParameterizedTest(struct strict_case *c, json, strict)
{
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m = NULL;
	int rc = fsb_message_from_json(c->doc, strlen(c->doc), c->kind, &m, &errs);
	cr_expect_eq(rc, FSB_EDECODE, "%s: rc %d", c->doc, rc);
	cr_expect_null(m);
	if (!th_has_error(&errs, c->path, c->msg)) {
		th_dump_errors(&errs);
		cr_expect_fail("%s: expected \"%s: %s\"", c->doc, c->path, c->msg);
	}
}

Test(json, every_problem_reported_at_once)
{
	const char *doc = "{\"header\": {\"seq\": \"x\", \"colour\": 1}, \"recall\": {\"recallClass\": \"ONE\"}}";
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m = NULL;
	cr_assert_eq(fsb_message_from_json(doc, strlen(doc), FSB_KIND_NONE, &m, &errs), FSB_EDECODE);
	cr_expect_eq(fsb_errlist_count(&errs), 3);
	cr_expect(th_has_error(&errs, "header.seq", "expected an integer"));
	cr_expect(th_has_error(&errs, "header.colour", "unknown field"));
	cr_expect(th_has_error(&errs, "recall.recallClass", "unknown value \"ONE\""));
}

/* A field may go by its JSON name or its proto name, but not by both in
 * one object: which would win is not said, and the first would be lost. */
Test(json, a_field_named_twice_is_an_error)
{
	const char *doc = "{\"header\": {\"reference\": \"A\"}, \"recall\": {\"reason\": \"x\","
			  " \"decidedAt\": \"2025-06-02T09:15:00+07:00\", \"decided_at\": \"2025-06-03T09:15:00+07:00\"}}";
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m = NULL;
	cr_assert_eq(fsb_message_from_json(doc, strlen(doc), FSB_KIND_NONE, &m, &errs), FSB_EDECODE);
	cr_expect_eq(fsb_errlist_count(&errs), 1);
	/* Named at whichever of the two keys came second. */
	cr_expect(th_has_error(&errs, "recall.decided_at", "the same field as \"decidedAt\": give it once") ||
		  th_has_error(&errs, "recall.decidedAt", "the same field as \"decided_at\": give it once"));
	th_dump_errors(&errs);
}

Test(json, lenient_where_proto3_says_so)
{
	/* Original field names, enum numbers, 64-bit numbers, null, URL-safe
	 * unpadded base64: all accepted by the proto3 JSON mapping. */
	const char *doc = "{\"header\": {\"message_id\": \"longan:7\", \"seq\": 7, \"category\": 1,"
			  " \"prev_hash\": \"_-8\", \"reference\": null}, \"recall\": {}}";
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m = NULL;
	int rc = fsb_message_from_json(doc, strlen(doc), FSB_KIND_NONE, &m, &errs);
	th_dump_errors(&errs);
	cr_assert_eq(rc, 0);
	char *out;
	cr_assert_eq(fsb_message_to_json(m, 0, &out), 0);
	cr_expect_str_eq(out, "{\"header\":{\"seq\":\"7\",\"prevHash\":\"/+8=\",\"messageId\":\"longan:7\","
			      "\"category\":\"CATEGORY_AQUATIC\"},\"recall\":{}}");
	free(out);
	fsb_message_free(m);
}

Test(json, bare_body_with_kind)
{
	const char *doc = "{\"type\": \"FOLLOW_UP_TYPE_CLOSURE\", \"refMessageId\": \"longan:3\"}";
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m = NULL;
	cr_assert_eq(fsb_message_from_json(doc, strlen(doc), FSB_KIND_FOLLOWUP, &m, &errs), 0);
	cr_expect_eq(fsb_message_kind(m), FSB_KIND_FOLLOWUP);
	char *out;
	cr_assert_eq(fsb_message_to_json(m, 0, &out), 0);
	cr_expect_str_eq(out, "{\"followup\":{\"type\":\"FOLLOW_UP_TYPE_CLOSURE\",\"refMessageId\":\"longan:3\"}}");
	free(out);
	fsb_message_free(m);
}

Test(json, invalid_utf8_from_the_wire_stays_json)
{
	/* Message{header{origin: "a\xFFb"}} hand-encoded: field 1 (header), field 1 (origin). */
	static const uint8_t wire[] = {0x0A, 0x05, 0x0A, 0x03, 'a', 0xFF, 'b'};
	struct fsb_message *m = NULL;
	cr_assert_eq(fsb_message_unpack(wire, sizeof wire, 1024, &m, NULL), 0);
	char *out;
	cr_assert_eq(fsb_message_to_json(m, 0, &out), 0);
	cr_expect_str_eq(out, "{\"header\":{\"origin\":\"a\xEF\xBF\xBD" "b\"}}");
	free(out);
	fsb_message_free(m);
}
