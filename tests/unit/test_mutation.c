/* test_mutation.c - a deterministic mutation loop over every example.
 *
 * Thousands of damaged payloads, envelopes and JSON documents, derived with
 * a fixed seed so a failure reproduces, go through the same calls the node
 * makes. Each must decode or be refused cleanly; whatever decodes must
 * validate, render and re-pack without a crash (the sanitizer build runs this
 * too). The counts prove the damage reached the decoders.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define BINARY_ROUNDS 400
#define JSON_ROUNDS 250

/* Applies 1 to 4 random edits to buf (capacity cap), returns the new length. */
static size_t mutate(uint8_t *buf, size_t len, size_t cap, uint64_t *rng, const char *alphabet)
{
	int edits = 1 + (int)(th_rand(rng) % 4);
	for (int e = 0; e < edits && len > 0; e++) {
		size_t at = th_rand(rng) % len;
		uint64_t r = th_rand(rng);
		switch (r % 6) {
		case 0: /* flip one bit */
			buf[at] ^= (uint8_t)(1u << (r >> 8) % 8);
			break;
		case 1: /* replace a byte */
			buf[at] = alphabet ? (uint8_t)alphabet[(r >> 8) % strlen(alphabet)] : (uint8_t)(r >> 8);
			break;
		case 2: { /* delete a run */
			size_t n = 1 + (r >> 8) % 16;
			if (n > len - at)
				n = len - at;
			memmove(buf + at, buf + at + n, len - at - n);
			len -= n;
			break;
		}
		case 3: { /* duplicate a run */
			size_t n = 1 + (r >> 8) % 32;
			if (n > len - at)
				n = len - at;
			if (len + n <= cap) {
				memmove(buf + at + n, buf + at, len - at);
				len += n;
			}
			break;
		}
		case 4: /* truncate */
			len = at;
			break;
		case 5: /* insert a byte */
			if (len < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = alphabet ? (uint8_t)alphabet[(r >> 8) % strlen(alphabet)] : (uint8_t)(r >> 8);
				len++;
			}
			break;
		}
	}
	return len;
}

/* Everything a receiver does with a payload that decoded. */
static void exercise(struct fsb_message *m)
{
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	fsb_message_validate(m, FSB_VALIDATE_SEALED, &errs);
	char *json = NULL;
	cr_assert_eq(fsb_message_to_json(m, 0, &json), 0);
	free(json);
	uint8_t *bytes;
	size_t len;
	cr_assert_eq(fsb_message_pack(m, &bytes, &len), 0);
	free(bytes);
	struct fsb_header h;
	fsb_message_header(m, &h);
	char cat[FSB_CATEGORY_MAX + 1];
	fsb_message_category(m, cat);
}

Test(mutation, payloads_and_envelopes)
{
	uint64_t rng = 0x5eed0001u;
	size_t n, decoded = 0, refused = 0, env_ok = 0;
	char **list = th_examples(&n);
	for (size_t i = 0; i < n; i++) {
		struct fsb_message *orig = th_load_example(list[i]);
		uint8_t *packed;
		size_t plen;
		cr_assert_eq(fsb_message_pack(orig, &packed, &plen), 0);
		fsb_message_free(orig);
		uint8_t sig[72], cert[300];
		memset(sig, 0x30, sizeof sig);
		memset(cert, 0x82, sizeof cert);
		struct fsb_envelope env = {packed, plen, sig, sizeof sig, cert, sizeof cert};
		uint8_t *eb;
		size_t elen;
		cr_assert_eq(fsb_envelope_pack(&env, &eb, &elen), 0);

		size_t cap = elen * 2;
		uint8_t *buf = malloc(cap);
		for (int round = 0; round < BINARY_ROUNDS; round++) {
			int envelope = round % 2;
			const uint8_t *src = envelope ? eb : packed;
			size_t len = envelope ? elen : plen;
			memcpy(buf, src, len);
			len = mutate(buf, len, cap, &rng, NULL);
			const uint8_t *payload = buf;
			size_t payload_len = len;
			struct fsb_envelope out = {0};
			if (envelope) {
				int rc = fsb_envelope_unpack(buf, len, FSB_CODEC_DEFAULT_MAX_BYTES, &out, NULL);
				cr_assert(rc == 0 || rc == FSB_EDECODE);
				if (rc)
					continue;
				env_ok++;
				payload = out.payload;
				payload_len = out.payload_len;
			}
			struct fsb_message *m = NULL;
			int rc = fsb_message_unpack(payload, payload_len, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL);
			cr_assert(rc == 0 || rc == FSB_EDECODE, "rc %d", rc);
			if (rc == 0) {
				decoded++;
				exercise(m);
			} else {
				refused++;
			}
			fsb_message_free(m);
			fsb_envelope_clear(&out);
		}
		free(buf);
		free(eb);
		free(packed);
	}
	th_free_list(list);
	cr_log_info("binary mutations: %zu decoded, %zu refused, %zu envelopes decoded", decoded,
		    refused, env_ok);
	cr_expect_gt(decoded, 0);
	cr_expect_gt(refused, 0);
	cr_expect_gt(env_ok, 0);
}

Test(mutation, json_documents)
{
	uint64_t rng = 0x5eed0002u;
	size_t n, parsed = 0, refused = 0;
	char **list = th_examples(&n);
	for (size_t i = 0; i < n; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, list[i]);
		size_t len;
		char *text = th_read(path, &len);
		size_t cap = len * 2;
		char *buf = malloc(cap);
		for (int round = 0; round < JSON_ROUNDS; round++) {
			memcpy(buf, text, len);
			/* Half the rounds use JSON's own punctuation, to reach past the
			 * parser into the mapping; half use any byte. */
			size_t mlen = mutate((uint8_t *)buf, len, cap, &rng,
					     round % 2 ? "{}[]\",:0-1.9eEtfn\\u" : NULL);
			struct fsb_errlist errs;
			fsb_errlist_init(&errs);
			struct fsb_message *m = NULL;
			enum fsb_kind kind = (enum fsb_kind)(round % 5);
			int rc = fsb_message_from_json(buf, mlen, kind, &m, &errs);
			cr_assert(rc == 0 || rc == FSB_EDECODE, "rc %d", rc);
			cr_assert(rc == 0 || fsb_errlist_count(&errs) > 0, "refused without a reason");
			if (rc == 0) {
				parsed++;
				exercise(m);
			} else {
				refused++;
			}
			fsb_message_free(m);
		}
		free(buf);
		free(text);
	}
	th_free_list(list);
	cr_log_info("JSON mutations: %zu parsed, %zu refused", parsed, refused);
	cr_expect_gt(parsed, 0);
	cr_expect_gt(refused, 0);
}
