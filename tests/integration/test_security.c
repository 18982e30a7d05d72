/* test_security.c - what an attacker with some of a province's credentials
 * can and cannot do, against a real broker (TLS, ACL) and a real node. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/helpers.h"
#include "format.h"
#include "harness.h"
#include "seal.h"

static char dir[64];
static struct broker broker;
static struct node cantho;

static void setup(void)
{
	h_setup(dir, &broker, NULL, &cantho);
}

static void teardown(void)
{
	h_teardown(dir, &broker);
}

TestSuite(security, .init = setup, .fini = teardown, .timeout = 60);

/* Seals R3 (or, with `variant`, a changed copy) as origin:seq linked to
 * prev (NULL: zeros); its payload hash into hash when not NULL. */
static uint8_t *seal_linked(const char *key, const char *origin, uint64_t seq, const uint8_t *prev,
			    int64_t issued, const char *variant, size_t *len, uint8_t *hash)
{
	char k[256], c[256], err[256];
	snprintf(k, sizeof k, "%s/%s.key", PKI, key);
	snprintf(c, sizeof c, "%s/%s.crt", PKI, key);
	struct fsb_signer *s;
	cr_assert_eq(fsb_signer_open(k, c, &s, err, sizeof err), 0, "%s", err);
	struct fsb_message *m = th_load_example("recall-rice-labelling-class3-longan.json");
	if (variant) {
		char *json;
		cr_assert_eq(fsb_message_to_json(m, 0, &json), 0);
		char *at = strstr(json, "Gạo thơm ST25");
		cr_assert_not_null(at);
		memcpy(at, variant, strlen(variant));
		fsb_message_free(m);
		struct fsb_errlist errs;
		fsb_errlist_init(&errs);
		cr_assert_eq(fsb_message_from_json(json, strlen(json), FSB_KIND_NONE, &m, &errs), 0);
		free(json);
	}
	char when[FSB_TIME_MAX + 1];
	fsb_fmt_time(issued, when);
	struct fsb_stamp st = {.origin = origin, .seq = seq, .issued_at = when};
	if (prev)
		memcpy(st.prev_hash, prev, FSB_SHA256_LEN);
	uint8_t *env, h[FSB_SHA256_LEN];
	cr_assert_eq(fsb_seal_message(s, m, &st, &env, len, h, NULL), 0);
	if (hash)
		memcpy(hash, h, FSB_SHA256_LEN);
	fsb_message_free(m);
	fsb_signer_close(s);
	return env;
}

static uint8_t *seal_as(const char *key, const char *origin, uint64_t seq, int64_t issued,
			const char *variant, size_t *len)
{
	return seal_linked(key, origin, seq, NULL, issued, variant, len, NULL);
}

/* Publishes with `as`'s TLS identity; returns mosquitto_pub's output (-d). */
static char *pub(const char *as, const char *topic, const uint8_t *data, size_t len)
{
	char path[128], out[128], x[512];
	snprintf(path, sizeof path, "%s/pub.bin", dir);
	snprintf(out, sizeof out, "%s/pub.out", dir);
	th_write(path, data, len);
	th_sh("mosquitto_pub -V mqttv5 -d %s -q 1 -t '%s' -f %s >%s 2>&1", hb_exchange_opts(&broker, as, x),
	      topic, path, out);
	return th_read(out, NULL);
}

static char *status(void)
{
	char *out = NULL;
	th_fsbridge(&out, NULL, "status -c %s", cantho.conf);
	return out;
}

/* Cần Thơ's status once it shows `what` (or after 5 s). */
static char *status_once(const char *what)
{
	char *out = NULL;
	for (int i = 0; i < 100; i++) {
		free(out);
		out = status();
		if (strstr(out, what))
			break;
		h_sleep_ms(50);
	}
	return out;
}

static void wait_rejects(uint64_t n)
{
	for (int i = 0; i < 100 && hn_rejects(&cantho) < n; i++)
		h_sleep_ms(50);
	cr_expect_eq(hn_rejects(&cantho), n);
}

Test(security, the_broker_refuses_writing_as_another_origin)
{
	hn_start(&cantho);
	char x[512];
	cr_assert_eq(th_sh("cd %s && (mosquitto_sub %s -t 'foodsafety/v1/longan/#' -W 3 >got.bin 2>/dev/null &)",
			   dir, hb_exchange_opts(&broker, "angiang", x)), 0);
	h_sleep_ms(500);
	size_t len;
	uint8_t *env = seal_as("longan", "longan", 1, fsb_fmt_now_ms(), NULL, &len);
	/* A client holding cantho's valid TLS certificate, writing under longan. */
	char *out = pub("cantho", "foodsafety/v1/longan/recall/crop", env, len);
	cr_expect(strstr(out, "received PUBACK (Mid: 1, RC:135)"), "not refused as unauthorized: %s", out);
	free(out);
	h_sleep_ms(3000);
	cr_expect_eq(th_sh("test -s %s/got.bin", dir), 1, "the broker delivered it");
	cr_expect_eq(hn_head(&cantho, "longan"), 0);
	free(env);
}

Test(security, a_replayed_old_envelope_is_stored_once)
{
	hn_start(&cantho);
	int64_t now = fsb_fmt_now_ms();
	size_t l1, l2;
	uint8_t h1[FSB_SHA256_LEN];
	uint8_t *e1 = seal_linked("longan", "longan", 1, NULL, now, NULL, &l1, h1);
	free(pub("longan", "foodsafety/v1/longan/recall/crop", e1, l1));
	cr_assert(hn_wait_head(&cantho, "longan", 1, 10000));
	/* seq 2 links to seq 1's payload */
	uint8_t *e2 = seal_linked("longan", "longan", 2, h1, now, NULL, &l2, NULL);
	free(pub("longan", "foodsafety/v1/longan/recall/crop", e2, l2));
	cr_assert(hn_wait_head(&cantho, "longan", 2, 10000));
	/* The old one again, days later as far as anyone knows. */
	free(pub("longan", "foodsafety/v1/longan/recall/crop", e1, l1));
	free(pub("longan", "foodsafety/v1/longan/recall/crop", e1, l1));
	h_sleep_ms(800);
	char *out = NULL;
	th_fsbridge(&out, NULL, "replay -c %s --csv --origin longan", cantho.conf);
	size_t lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 3, "%s", out);
	free(out);
	cr_expect_eq(hn_rejects(&cantho), 0);
	free(e1);
	free(e2);
}

Test(security, a_revoked_certificate_is_rejected)
{
	hn_start(&cantho);
	size_t len;
	uint8_t *env = seal_as("longan-revoked", "longan", 1, fsb_fmt_now_ms(), NULL, &len);
	free(pub("longan", "foodsafety/v1/longan/recall/crop", env, len));
	wait_rejects(1);
	char *out = status();
	cr_expect(strstr(out, "revoked at"), "%s", out);
	free(out);
	cr_expect_eq(hn_head(&cantho, "longan"), 0);
	free(env);
}

Test(security, equivocation_is_detected_and_raised)
{
	hn_start(&cantho);
	int64_t now = fsb_fmt_now_ms();
	size_t l1, l2;
	uint8_t *a = seal_as("longan", "longan", 1, now, NULL, &l1);
	uint8_t *b = seal_as("longan", "longan", 1, now, "Gạo nếp ST25", &l2);
	free(pub("longan", "foodsafety/v1/longan/recall/crop", a, l1));
	cr_assert(hn_wait_head(&cantho, "longan", 1, 10000));
	free(pub("longan", "foodsafety/v1/longan/recall/crop", b, l2));
	char *out = status_once("equivocations 1");
	cr_expect(strstr(out, "equivocations 1   ALARM"), "%s", out);
	free(out);
	cr_expect_eq(th_sh("grep -q 'ALARM equivocation: longan signed two different messages for seq 1' %s", cantho.log), 0);
	/* The log keeps the first. */
	char *csv = NULL;
	th_fsbridge(&csv, NULL, "replay -c %s --json", cantho.conf);
	cr_expect(strstr(csv, "Gạo thơm ST25") && !strstr(csv, "Gạo nếp ST25"), "%s", csv);
	free(csv);
	free(a);
	free(b);
}

Test(security, an_oversize_payload_is_rejected_before_it_is_unpacked)
{
	hn_start(&cantho);
	size_t big = 300 * 1024;
	uint8_t *junk = malloc(big);
	memset(junk, 0x0a, big);
	free(pub("longan", "foodsafety/v1/longan/recall/crop", junk, big));
	free(junk);
	wait_rejects(1);
	char *out = status();
	cr_expect(strstr(out, "envelope of 307200 bytes exceeds the cap of 262144 bytes"), "%s", out);
	free(out);
}

Test(security, a_loose_private_key_stops_start_up)
{
	char key[128], conf[160];
	snprintf(key, sizeof key, "%s/loose.key", dir);
	cr_assert_eq(th_sh("cp %s/cantho.key %s && chmod 644 %s", PKI, key, key), 0);
	cr_assert_eq(th_sh("sed 's#^key = .*#key = %s#' %s > %s/loose.conf", key, cantho.conf, dir), 0);
	snprintf(conf, sizeof conf, "%s/loose.conf", dir);
	char *err = NULL;
	cr_expect_eq(th_fsbridge(NULL, &err, "run -c %s", conf), 1);
	cr_expect(strstr(err, "is accessible by group or others (mode 0644); run: chmod 600"), "%s", err);
	free(err);
}

/* Two different payloads, both validly signed, for one seq that is not
 * held yet (both wait beyond a gap): the first stays, and once it is
 * appended the second is kept as evidence and raised. */
Test(security, equivocation_between_two_waiting_messages)
{
	hn_start(&cantho);
	int64_t now = fsb_fmt_now_ms();
	size_t l1, la, lb;
	uint8_t h1[FSB_SHA256_LEN];
	uint8_t *e1 = seal_linked("longan", "longan", 1, NULL, now, NULL, &l1, h1);
	/* longan:2 twice, both linked to longan:1, different in one word. */
	uint8_t *e2[2] = {seal_linked("longan", "longan", 2, h1, now, NULL, &la, NULL),
			  seal_linked("longan", "longan", 2, h1, now, "Gạo nếp ST25", &lb, NULL)};
	free(pub("longan", "foodsafety/v1/longan/recall/crop", e2[0], la));
	free(pub("longan", "foodsafety/v1/longan/recall/crop", e2[1], lb));
	h_sleep_ms(500);
	cr_expect_eq(hn_head(&cantho, "longan"), 0, "seq 2 appended without seq 1");
	free(pub("longan", "foodsafety/v1/longan/recall/crop", e1, l1));
	cr_assert(hn_wait_head(&cantho, "longan", 2, 10000));
	char *out = status_once("equivocations 1");
	cr_expect(strstr(out, "equivocations 1   ALARM"), "%s", out);
	free(out);
	cr_expect_eq(hn_rejects(&cantho), 0);
	free(e1);
	free(e2[0]);
	free(e2[1]);
}
