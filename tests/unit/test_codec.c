/* test_codec.c - pack, unpack, caps, malformed input, envelopes, stamping. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define R1 "recall-ocop-sausage-class1-longan.json"

static uint8_t *pack_example(const char *name, size_t *len)
{
	struct fsb_message *m = th_load_example(name);
	uint8_t *buf;
	cr_assert_eq(fsb_message_pack(m, &buf, len), 0);
	fsb_message_free(m);
	return buf;
}

static int validate_bytes(const uint8_t *buf, size_t len, struct fsb_errlist *errs)
{
	struct fsb_message *m = NULL;
	cr_assert_eq(fsb_message_unpack(buf, len, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL), 0);
	fsb_errlist_init(errs);
	int rc = fsb_message_validate(m, 0, errs);
	fsb_message_free(m);
	return rc;
}

Test(codec, pack_unpack_same_bytes)
{
	size_t len;
	uint8_t *buf = pack_example(R1, &len);
	struct fsb_message *m = NULL;
	cr_assert_eq(fsb_message_unpack(buf, len, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL), 0);
	uint8_t *again;
	size_t len2;
	cr_assert_eq(fsb_message_pack(m, &again, &len2), 0);
	cr_assert_eq(len, len2);
	cr_expect_arr_eq(buf, again, len);
	cr_expect_eq(fsb_message_kind(m), FSB_KIND_RECALL);
	free(again);
	fsb_message_free(m);
	free(buf);
}

Test(codec, over_cap_rejected_before_decoding)
{
	size_t len;
	uint8_t *buf = pack_example(R1, &len);
	struct fsb_message *m = NULL;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_expect_eq(fsb_message_unpack(buf, len, len - 1, &m, &errs), FSB_ETOOBIG);
	cr_expect_null(m);
	cr_expect(th_has_error(&errs, "", "exceeds the cap"));
	cr_expect_eq(fsb_message_unpack(buf, len, len, &m, NULL), 0);
	fsb_message_free(m);
	/* The cap holds for garbage too: nothing is parsed past it. */
	size_t big = FSB_CODEC_DEFAULT_MAX_BYTES + 1;
	uint8_t *junk = malloc(big);
	memset(junk, 0xFF, big);
	cr_expect_eq(fsb_message_unpack(junk, big, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL), FSB_ETOOBIG);
	free(junk);
	free(buf);
}

Test(codec, truncated_payloads)
{
	size_t len;
	uint8_t *buf = pack_example(R1, &len);
	size_t failed = 0;
	for (size_t cut = 0; cut < len; cut++) {
		struct fsb_message *m = NULL;
		int rc = fsb_message_unpack(buf, cut, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL);
		cr_assert(rc == 0 || rc == FSB_EDECODE, "cut at %zu: rc %d", cut, rc);
		failed += rc != 0;
		if (rc == 0) {
			/* A cut on a field boundary decodes, and must then fail
			 * validation or lack what was cut, never crash. */
			struct fsb_errlist errs;
			fsb_errlist_init(&errs);
			fsb_message_validate(m, 0, &errs);
		}
		fsb_message_free(m);
	}
	/* Everything cut inside the body (one length-delimited field) fails. */
	cr_expect_gt(failed, len / 2, "only %zu of %zu truncations failed", failed, len);
	struct fsb_message *m = NULL;
	cr_expect_eq(fsb_message_unpack(buf, len - 1, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL), FSB_EDECODE);
	free(buf);
}

Test(codec, malformed_protobuf)
{
	static const struct {
		const char *what;
		uint8_t bytes[16];
		size_t len;
	} bad[] = {
		{"varint never ends", {0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 12},
		{"length past the end", {0x0A, 0x7F, 0x0A, 0x01}, 4},
		{"inner length past outer", {0x0A, 0x03, 0x0A, 0x64, 0x41}, 5},
		{"wire type 7", {0x0F, 0x00}, 2},
		{"start group", {0x0B, 0x0C}, 2},
		{"field number 0", {0x02, 0x00}, 2},
		{"header as varint", {0x08, 0x01}, 2},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct fsb_message *m = NULL;
		struct fsb_errlist errs;
		fsb_errlist_init(&errs);
		int rc = fsb_message_unpack(bad[i].bytes, bad[i].len, 1024, &m, &errs);
		cr_expect_eq(rc, FSB_EDECODE, "%s: rc %d", bad[i].what, rc);
		cr_expect(th_has_error(&errs, "", "not a well-formed Message"), "%s", bad[i].what);
		fsb_message_free(m);
	}
}

Test(codec, random_garbage)
{
	uint64_t rng = 0x9a7ba9e;
	uint8_t buf[512];
	size_t refused = 0;
	for (int round = 0; round < 3000; round++) {
		size_t len = th_rand(&rng) % sizeof buf;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)th_rand(&rng);
		struct fsb_message *m = NULL;
		int rc = fsb_message_unpack(buf, len, sizeof buf, &m, NULL);
		cr_assert(rc == 0 || rc == FSB_EDECODE, "rc %d", rc);
		refused += rc != 0;
		fsb_message_free(m);
		struct fsb_envelope e;
		rc = fsb_envelope_unpack(buf, len, sizeof buf, &e, NULL);
		cr_assert(rc == 0 || rc == FSB_EDECODE, "rc %d", rc);
		fsb_envelope_clear(&e);
	}
	cr_expect_gt(refused, 2900, "only %zu of 3000 random buffers refused", refused);
}

Test(codec, nul_in_string_reported_with_path)
{
	/* Message{header{origin: "a\0b"}} */
	static const uint8_t wire[] = {0x0A, 0x05, 0x0A, 0x03, 'a', 0x00, 'b'};
	struct fsb_errlist errs;
	cr_expect_eq(validate_bytes(wire, sizeof wire, &errs), FSB_EINVALID);
	cr_expect(th_has_error(&errs, "header.origin", "contains a NUL byte (byte 1)"));
}

Test(codec, invalid_utf8_in_nested_list_reported_with_path)
{
	size_t len;
	uint8_t *buf = pack_example(R1, &len);
	/* Break the "ạ" (E1 BA A1) of products[1].name, "Lạp xưởng tươi heo …". */
	const char *name = "Lạp xưởng tươi heo";
	uint8_t *at = memmem(buf, len, name, strlen(name));
	cr_assert_not_null(at);
	cr_assert_eq(at[1], 0xE1);
	at[1] = 0xFF;
	struct fsb_errlist errs;
	cr_expect_eq(validate_bytes(buf, len, &errs), FSB_EINVALID);
	if (!th_has_error(&errs, "recall.products[1].name", "not valid UTF-8 (byte 1)")) {
		th_dump_errors(&errs);
		cr_expect_fail("UTF-8 error not reported at recall.products[1].name");
	}
	free(buf);
}

Test(codec, unknown_enum_from_the_wire)
{
	/* Message{header{category: 99}} */
	static const uint8_t wire[] = {0x0A, 0x02, 0x48, 0x63};
	struct fsb_errlist errs;
	cr_expect_eq(validate_bytes(wire, sizeof wire, &errs), FSB_EINVALID);
	cr_expect(th_has_error(&errs, "header.category", "unknown value 99 for Category"));
}

Test(codec, error_list_counts_what_it_cannot_hold)
{
	char doc[8192] = "{\"header\": {\"recipients\": [";
	for (int i = 0; i < 100; i++)
		snprintf(doc + strlen(doc), sizeof doc - strlen(doc), "%s\"R%d\"", i ? "," : "", i);
	strcat(doc, "]}}");
	struct fsb_message *m = NULL;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_assert_eq(fsb_message_from_json(doc, strlen(doc), FSB_KIND_NONE, &m, &errs), 0);
	cr_expect_eq(fsb_message_validate(m, 0, &errs), FSB_EINVALID);
	cr_expect_eq(errs.n, FSB_ERRLIST_MAX);
	cr_expect_gt(errs.dropped, 0);
	cr_expect_geq(fsb_errlist_count(&errs), 100);
	fsb_message_free(m);
}

Test(codec, stamp_and_header_view)
{
	struct fsb_message *m = th_load_example(R1);
	struct fsb_header h;
	fsb_message_header(m, &h);
	cr_expect_str_eq(h.origin, "");
	cr_expect_eq(h.seq, 0);
	cr_expect_null(h.prev_hash);

	struct fsb_stamp st = {.origin = "longan", .seq = 42, .issued_at = "2025-09-09T09:31:02.117Z"};
	for (int i = 0; i < FSB_HASH_LEN; i++)
		st.prev_hash[i] = (uint8_t)i;
	cr_assert_eq(fsb_message_stamp(m, &st), 0);
	/* Stamping twice replaces, never leaks or appends. */
	st.seq = 43;
	cr_assert_eq(fsb_message_stamp(m, &st), 0);
	fsb_message_header(m, &h);
	cr_expect_str_eq(h.origin, "longan");
	cr_expect_eq(h.seq, 43);
	cr_expect_str_eq(h.message_id, "longan:43");
	cr_expect_str_eq(h.issued_at, "2025-09-09T09:31:02.117Z");
	cr_expect_eq(h.schema_version, FSB_SCHEMA_VERSION);
	cr_assert_not_null(h.prev_hash);
	cr_expect_arr_eq(h.prev_hash, st.prev_hash, FSB_HASH_LEN);

	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_expect_eq(fsb_message_validate(m, FSB_VALIDATE_SEALED, &errs), 0);
	th_dump_errors(&errs);

	struct fsb_stamp bad = st;
	bad.origin = "Long An";
	cr_expect_eq(fsb_message_stamp(m, &bad), FSB_EINVAL);
	bad = st;
	bad.seq = 0;
	cr_expect_eq(fsb_message_stamp(m, &bad), FSB_EINVAL);
	fsb_message_free(m);
}

Test(codec, category_slug)
{
	char buf[FSB_CATEGORY_MAX + 1];
	struct fsb_message *m = th_load_example(R1);
	cr_expect_str_eq(fsb_message_category(m, buf), "processed");
	fsb_message_free(m);
	const char *doc = "{\"recall\": {}}";
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_assert_eq(fsb_message_from_json(doc, strlen(doc), FSB_KIND_NONE, &m, &errs), 0);
	cr_expect_null(fsb_message_category(m, buf));
	fsb_message_free(m);
}

Test(codec, kind_names)
{
	for (int k = FSB_KIND_SURVEILLANCE; k <= FSB_KIND_MAX; k++)
		cr_expect_eq(fsb_kind_parse(fsb_kind_name(k)), k);
	cr_expect_eq(fsb_kind_parse("alert"), FSB_KIND_NONE);
	cr_expect_null(fsb_kind_name(FSB_KIND_NONE));
}

Test(codec, envelope_round_trip)
{
	uint8_t payload[] = {1, 2, 3}, sig[] = {4, 5}, cert[] = {6};
	struct fsb_envelope e = {payload, 3, sig, 2, cert, 1};
	uint8_t *buf;
	size_t len;
	cr_assert_eq(fsb_envelope_pack(&e, &buf, &len), 0);
	struct fsb_envelope out;
	cr_assert_eq(fsb_envelope_unpack(buf, len, 1024, &out, NULL), 0);
	cr_expect_eq(out.payload_len, 3);
	cr_expect_arr_eq(out.payload, payload, 3);
	cr_expect_eq(out.signature_len, 2);
	cr_expect_arr_eq(out.signature, sig, 2);
	cr_expect_eq(out.signer_cert_len, 1);
	cr_expect_arr_eq(out.signer_cert, cert, 1);
	fsb_envelope_clear(&out);
	cr_expect_null(out.payload);

	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_expect_eq(fsb_envelope_unpack(buf, len, len - 1, &out, &errs), FSB_ETOOBIG);
	cr_expect(th_has_error(&errs, "", "envelope of"));
	cr_expect_eq(fsb_envelope_unpack(buf, len - 1, 1024, &out, NULL), FSB_EDECODE);
	free(buf);

	struct fsb_envelope unsigned_env = {payload, 3, NULL, 0, cert, 1};
	cr_assert_eq(fsb_envelope_pack(&unsigned_env, &buf, &len), 0);
	fsb_errlist_init(&errs);
	cr_expect_eq(fsb_envelope_unpack(buf, len, 1024, &out, &errs), FSB_EDECODE);
	cr_expect(th_has_error(&errs, "signature", "required"));
	free(buf);
}
