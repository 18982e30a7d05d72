/* test_seal.c - signing, trust and sealed envelopes, each failure asserting
 * its specific error. Uses the throwaway PKIs the test run makes. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "helpers.h"
#include "seal.h"

#define R1 "recall-ocop-sausage-class1-longan.json"
/* Without detectedAt, so that it can be sealed at any date. */
#define R2 "recall-pangasius-class2-cantho.json"
#define DAY_MS (24LL * 3600 * 1000)

static struct fsb_trust *trust;

static void open_trust(void)
{
	char err[256] = "";
	struct fsb_trust_anchor a = {PKI "/ca.crt", PKI "/ca.crl"};
	cr_assert_eq(fsb_trust_open(&a, 1, &trust, err, sizeof err), 0, "%s", err);
}

static void close_trust(void)
{
	fsb_trust_close(trust);
}

TestSuite(seal, .init = open_trust, .fini = close_trust);

static struct fsb_signer *signer(const char *pki, const char *name)
{
	char key[256], crt[256], err[256] = "";
	snprintf(key, sizeof key, "%s/%s.key", pki, name);
	snprintf(crt, sizeof crt, "%s/%s.crt", pki, name);
	struct fsb_signer *s = NULL;
	cr_assert_eq(fsb_signer_open(key, crt, &s, err, sizeof err), 0, "%s", err);
	return s;
}

/* Seals the R2 example as origin/seq 1 at issued_at with the named key. */
static uint8_t *seal_as(const char *pki, const char *name, const char *origin, int64_t issued_at,
			size_t *len)
{
	struct fsb_signer *s = signer(pki, name);
	struct fsb_message *m = th_load_example(R2);
	struct fsb_stamp st = {.origin = origin, .seq = 1};
	char when[FSB_TIME_MAX + 1];
	fsb_fmt_time(issued_at, when);
	st.issued_at = when;
	uint8_t *env, hash[FSB_SHA256_LEN];
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	int rc = fsb_seal_message(s, m, &st, &env, len, hash, &errs);
	th_dump_errors(&errs);
	cr_assert_eq(rc, 0, "seal: %s", fsb_strerror(rc));
	fsb_message_free(m);
	fsb_signer_close(s);
	return env;
}

static int open_at(const uint8_t *env, size_t len, const char *topic, int64_t arrival,
		   char *err, size_t errlen)
{
	struct fsb_open_opts o = {.topic_origin = topic, .arrival_ms = arrival,
				  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS};
	struct fsb_opened out;
	int rc = fsb_seal_open(trust, env, len, &o, &out, err, errlen);
	fsb_seal_opened_clear(&out);
	return rc;
}

/* Opens and expects rc, with `why` in the error line. */
static void expect_open(const uint8_t *env, size_t len, const char *topic, int64_t arrival, int rc,
			const char *why)
{
	char err[512] = "";
	int got = open_at(env, len, topic, arrival, err, sizeof err);
	cr_expect_eq(got, rc, "expected %s, got %s: %s", fsb_strerror(rc), fsb_strerror(got), err);
	if (why)
		cr_expect(strstr(err, why), "error \"%s\" lacks \"%s\"", err, why);
}

/* Unpacks env, lets edit() change it, packs it again. */
static uint8_t *rewrap(const uint8_t *env, size_t len, size_t *out_len,
		       void (*edit)(struct fsb_envelope *))
{
	struct fsb_envelope e;
	cr_assert_eq(fsb_envelope_unpack(env, len, FSB_CODEC_DEFAULT_MAX_BYTES, &e, NULL), 0);
	edit(&e);
	uint8_t *buf;
	cr_assert_eq(fsb_envelope_pack(&e, &buf, out_len), 0);
	fsb_envelope_clear(&e);
	return buf;
}

Test(seal, valid_envelope_opens)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len;
	uint8_t *env = seal_as(PKI, "longan", "longan", now, &len);
	struct fsb_open_opts o = {.topic_origin = "longan", .arrival_ms = now + 1000,
				  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS};
	struct fsb_opened out;
	char err[256] = "";
	cr_assert_eq(fsb_seal_open(trust, env, len, &o, &out, err, sizeof err), 0, "%s", err);
	struct fsb_header h;
	fsb_message_header(out.msg, &h);
	cr_expect_str_eq(h.origin, "longan");
	cr_expect_str_eq(h.message_id, "longan:1");
	cr_expect_null(out.warnings);
	uint8_t hash[FSB_SHA256_LEN];
	fsb_sign_sha256(out.env.payload, out.env.payload_len, hash);
	cr_expect_arr_eq(out.payload_hash, hash, FSB_SHA256_LEN);
	cr_expect_eq(out.issued_at_ms, now);
	fsb_seal_opened_clear(&out);
	/* A second open takes the cached chain result. */
	expect_open(env, len, "longan", now, 0, NULL);
	free(env);
}

static void flip_payload(struct fsb_envelope *e)
{
	e->payload[e->payload_len / 2] ^= 0x01;
}

Test(seal, payload_byte_changed)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len, len2;
	uint8_t *env = seal_as(PKI, "longan", "longan", now, &len);
	uint8_t *bad = rewrap(env, len, &len2, flip_payload);
	expect_open(bad, len2, "longan", now, FSB_ESIGNATURE, "signature does not verify");
	free(bad);
	free(env);
}

static void flip_signature(struct fsb_envelope *e)
{
	e->signature[e->signature_len - 3] ^= 0x40;
}

Test(seal, signature_byte_changed)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len, len2;
	uint8_t *env = seal_as(PKI, "longan", "longan", now, &len);
	uint8_t *bad = rewrap(env, len, &len2, flip_signature);
	expect_open(bad, len2, "longan", now, FSB_ESIGNATURE, "signature does not verify");
	free(bad);
	free(env);
}

Test(seal, ca_not_trusted)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len;
	uint8_t *env = seal_as(PKI_OTHER, "longan", "longan", now, &len);
	expect_open(env, len, "longan", now, FSB_EUNTRUSTED, "does not chain to a trusted CA");
	free(env);
}

/* When the CRL says longan-revoked was revoked. */
static int64_t revocation_time(void)
{
	FILE *p = popen("openssl crl -in " PKI "/ca.crl -noout -text | "
			"sed -n 's/.*Revocation Date: //p' | head -1", "r");
	char line[64] = "";
	cr_assert_not_null(fgets(line, sizeof line, p));
	pclose(p);
	/* "Nov 29 18:24:58 2026 GMT" */
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	int d, h, mi, s, y;
	cr_assert_eq(sscanf(line, "%3s %d %d:%d:%d %d", mon, &d, &h, &mi, &s, &y), 6, "%s", line);
	int m = (int)(strstr(months, mon) - months) / 3 + 1;
	return fsb_fmt_time_ms(y, m, d, h, mi, s);
}

Test(seal, revoked_certificate)
{
	int64_t now = fsb_fmt_now_ms();
	int64_t revoked = revocation_time();
	size_t len;
	uint8_t *env = seal_as(PKI, "longan-revoked", "longan", now, &len);
	expect_open(env, len, "longan", now, FSB_EREVOKED, "revoked at");
	free(env);
	/* Back-dating issued_at to before the revocation does not help. */
	env = seal_as(PKI, "longan-revoked", "longan", revoked - 30 * DAY_MS, &len);
	expect_open(env, len, "longan", now, FSB_EREVOKED, "revoked at");
	/* But a message that arrived before the revocation (an auditor
	 * replaying the log) is judged at its recorded arrival: accepted. */
	expect_open(env, len, "longan", revoked - 29 * DAY_MS, 0, NULL);
	free(env);
}

Test(seal, issued_at_in_the_future)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len;
	uint8_t *env = seal_as(PKI, "longan", "longan", now + 10 * 60 * 1000, &len);
	expect_open(env, len, "longan", now, FSB_EFUTURE, "ahead of arrival");
	free(env);
	env = seal_as(PKI, "longan", "longan", now + 60 * 1000, &len);
	expect_open(env, len, "longan", now, 0, NULL); /* within the allowed skew */
	free(env);
}

Test(seal, expired_before_issued_at)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len;
	uint8_t *env = seal_as(PKI, "cantho-expired", "cantho", now, &len);
	expect_open(env, len, "cantho", now, FSB_EEXPIRED,
		    "valid 2020-01-01T00:00:00.000Z to 2020-12-31T23:59:59.000Z, not at arrival");
	free(env);
}

Test(seal, validity_is_judged_at_arrival)
{
	/* Signed mid-2020 while the certificate was valid: it opens as it
	 * arrived then ... */
	int64_t signed_at = fsb_fmt_time_ms(2020, 6, 1, 8, 0, 0), now = fsb_fmt_now_ms();
	size_t len;
	uint8_t *env = seal_as(PKI, "cantho-expired", "cantho", signed_at, &len);
	expect_open(env, len, "cantho", signed_at + 60000, 0, NULL);
	/* ... but arriving today it is refused: an expired key must not
	 * extend a stream, whatever issuedAt it claims. */
	expect_open(env, len, "cantho", now, FSB_EEXPIRED, "not at arrival");
	/* A receiver that can have it vouched for by a later message of the
	 * stream opens it as authentic but stale. */
	struct fsb_open_opts o = {.topic_origin = "cantho", .arrival_ms = now,
				  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS, .accept_stale = 1};
	struct fsb_opened out;
	char err[256] = "";
	cr_assert_eq(fsb_seal_open(trust, env, len, &o, &out, err, sizeof err), 0, "%s", err);
	cr_expect_eq(out.stale, FSB_EEXPIRED);
	cr_expect(strstr(out.stale_why, "not at arrival"), "%s", out.stale_why);
	fsb_seal_opened_clear(&out);
	/* A bad signature is never stale, it is refused. */
	size_t len2;
	uint8_t *bad = rewrap(env, len, &len2, flip_signature);
	cr_expect_eq(fsb_seal_open(trust, bad, len2, &o, &out, err, sizeof err), FSB_ESIGNATURE);
	free(bad);
	/* Within the clock skew of the end of its validity, still in force. */
	int64_t end = fsb_fmt_time_ms(2020, 12, 31, 23, 59, 59);
	expect_open(env, len, "cantho", end + FSB_DEFAULT_MAX_SKEW_MS - 1000, 0, NULL);
	expect_open(env, len, "cantho", end + FSB_DEFAULT_MAX_SKEW_MS + 1000, FSB_EEXPIRED, NULL);
	free(env);
}

Test(seal, a_tls_certificate_is_not_a_signer)
{
	/* Long An's TLS client key: a valid certificate of the exchange CA
	 * naming longan, but for TLS. */
	int64_t now = fsb_fmt_now_ms();
	size_t len;
	uint8_t *env = seal_as(PKI, "longan-client", "longan", now, &len);
	expect_open(env, len, "longan", now, FSB_ECERT, "is for TLS (extended key usage clientAuth)");
	free(env);
	env = seal_as(PKI, "broker", "localhost", now, &len);
	expect_open(env, len, NULL, now, FSB_ECERT, "extended key usage serverAuth");
	free(env);
	/* Nor is one without the signing purpose. */
	env = seal_as(PKI, "longan-noeku", "longan", now, &len);
	expect_open(env, len, "longan", now, FSB_ECERT,
		    "lacks the fsbridge signing extended key usage " FSB_EKU_SIGNING);
	free(env);
	/* A checkpoint (control) signed with the TLS key is refused the same. */
	struct fsb_signer *s = signer(PKI, "longan-client");
	struct fsb_control c = {.type = FSB_CONTROL_CHECKPOINT};
	snprintf(c.origin, sizeof c.origin, "longan");
	fsb_fmt_time(now, c.issued_at);
	cr_assert_eq(fsb_seal_control(s, &c, &env, &len), 0);
	struct fsb_open_opts o = {.topic_origin = "longan", .arrival_ms = now,
				  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS};
	struct fsb_control got;
	char err[256];
	cr_expect_eq(fsb_seal_open_control(trust, env, len, &o, &got, err, sizeof err), FSB_ECERT);
	cr_expect(strstr(err, "is for TLS"), "%s", err);
	free(env);
	fsb_signer_close(s);
}

Test(seal, a_signer_checks_itself)
{
	char err[300];
	int64_t now = fsb_fmt_now_ms();
	struct fsb_signer *s = signer(PKI, "longan");
	cr_expect_eq(fsb_trust_check_signer(trust, s, "longan", now, err, sizeof err), 0, "%s", err);
	cr_expect_eq(fsb_trust_check_signer(trust, s, "cantho", now, err, sizeof err), FSB_EORIGIN);
	fsb_signer_close(s);
	s = signer(PKI, "longan-client");
	cr_expect_eq(fsb_trust_check_signer(trust, s, "longan", now, err, sizeof err), FSB_ECERT);
	fsb_signer_close(s);
	s = signer(PKI, "cantho-expired");
	cr_expect_eq(fsb_trust_check_signer(trust, s, "cantho", now, err, sizeof err), FSB_EEXPIRED);
	fsb_signer_close(s);
	s = signer(PKI, "longan-revoked");
	cr_expect_eq(fsb_trust_check_signer(trust, s, "longan", now, err, sizeof err), FSB_EREVOKED);
	fsb_signer_close(s);
}

/* The CRL number of a CRL file, as openssl reads it. */
static uint64_t openssl_crl_number(const char *path)
{
	char cmd[512], line[64] = "";
	snprintf(cmd, sizeof cmd, "openssl crl -in %s -noout -crlnumber | sed 's/crlNumber=0x//'", path);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(fgets(line, sizeof line, p));
	pclose(p);
	return strtoull(line, NULL, 16);
}

Test(seal, a_newer_crl_is_adopted_an_older_one_is_not)
{
	char dir[64], path[128], err[300];
	th_tmpdir(dir);
	th_pki_copy(dir);
	th_pki_revoke(dir, "angiang-spare");
	snprintf(path, sizeof path, "%s/ca.crl.new", dir);
	size_t len, old_len;
	char *newer = th_read(path, &len);
	char *older = th_read(PKI "/ca.crl", &old_len);
	/* The trust store of this suite holds ca.crl; angiang-spare is in
	 * force until the newer CRL is offered. */
	int64_t now = fsb_fmt_now_ms();
	size_t elen;
	uint8_t *env = seal_as(PKI, "angiang-spare", "angiang", now, &elen);
	expect_open(env, elen, "angiang", now + 2000, 0, NULL);
	struct fsb_crl_info info;
	cr_assert_eq(fsb_trust_offer_crl(trust, (uint8_t *)newer, len, &info, err, sizeof err), 1, "%s", err);
	cr_expect_eq(info.number, openssl_crl_number(path));
	cr_expect_eq(info.number, openssl_crl_number(PKI "/ca.crl") + 1);
	cr_expect_eq(info.revoked, 2);
	cr_expect_str_eq(info.issuer, "fsbridge demo exchange CA");
	expect_open(env, elen, "angiang", now + 2000, FSB_EREVOKED, "revoked at");
	/* The same again, or the older one: not newer, nothing changes. */
	cr_expect_eq(fsb_trust_offer_crl(trust, (uint8_t *)newer, len, NULL, err, sizeof err), 0);
	cr_expect_eq(fsb_trust_offer_crl(trust, (uint8_t *)older, old_len, NULL, err, sizeof err), 0);
	cr_expect(strstr(err, "is not newer than"), "%s", err);
	expect_open(env, elen, "angiang", now + 2000, FSB_EREVOKED, "revoked at");
	size_t held_len;
	cr_expect_not_null(fsb_trust_crl(trust, 0, &held_len, &info));
	cr_expect_eq(info.number, openssl_crl_number(path));
	/* Another CA's CRL, and junk, are refused. */
	char *foreign = th_read(PKI_OTHER "/ca.crl", &len);
	cr_expect_eq(fsb_trust_offer_crl(trust, (uint8_t *)foreign, len, NULL, err, sizeof err),
		     FSB_EUNTRUSTED);
	cr_expect(strstr(err, "not issued by a trusted CA"), "%s", err);
	cr_expect_eq(fsb_trust_offer_crl(trust, (const uint8_t *)"junk", 4, NULL, err, sizeof err),
		     FSB_ECERT);
	free(foreign);
	free(env);
	free(newer);
	free(older);
	th_rmtree(dir);
}

Test(seal, origin_mismatch)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len;
	/* Long An's key signing a message that claims to come from Cần Thơ. */
	uint8_t *env = seal_as(PKI, "longan", "cantho", now, &len);
	expect_open(env, len, NULL, now, FSB_EORIGIN, "does not name origin \"cantho\"");
	free(env);
	/* A genuine Long An message published under Cần Thơ's topic. */
	env = seal_as(PKI, "longan", "longan", now, &len);
	expect_open(env, len, "cantho", now, FSB_EORIGIN, "published under topic origin \"cantho\"");
	free(env);
}

static uint8_t *longan_cert;
static size_t longan_cert_len;

static void put_longan_cert(struct fsb_envelope *e)
{
	free(e->signer_cert);
	e->signer_cert = malloc(longan_cert_len);
	memcpy(e->signer_cert, longan_cert, longan_cert_len);
	e->signer_cert_len = longan_cert_len;
}

Test(seal, certificate_of_another_key)
{
	int64_t now = fsb_fmt_now_ms();
	struct fsb_signer *s = signer(PKI, "longan");
	size_t n;
	const uint8_t *c = fsb_signer_cert(s, &n);
	longan_cert = malloc(n);
	memcpy(longan_cert, c, n);
	longan_cert_len = n;
	fsb_signer_close(s);
	/* Signed by angiang's key, presented with longan's certificate. */
	size_t len, len2;
	uint8_t *env = seal_as(PKI, "angiang", "angiang", now, &len);
	uint8_t *bad = rewrap(env, len, &len2, put_longan_cert);
	expect_open(bad, len2, NULL, now, FSB_ESIGNATURE, "signature does not verify");
	free(bad);
	free(env);
	free(longan_cert);
}

static void garbage_cert(struct fsb_envelope *e)
{
	for (size_t i = 0; i < e->signer_cert_len; i++)
		e->signer_cert[i] = (uint8_t)(i * 37 + 11);
}

Test(seal, garbage_certificate)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len, len2;
	uint8_t *env = seal_as(PKI, "longan", "longan", now, &len);
	uint8_t *bad = rewrap(env, len, &len2, garbage_cert);
	expect_open(bad, len2, "longan", now, FSB_ECERT, "not valid X.509");
	free(bad);
	free(env);
}

Test(seal, oversize_and_undecodable_envelopes)
{
	int64_t now = fsb_fmt_now_ms();
	size_t len;
	uint8_t *env = seal_as(PKI, "longan", "longan", now, &len);
	struct fsb_open_opts o = {.arrival_ms = now, .max_bytes = len - 1};
	struct fsb_opened out;
	char err[256];
	cr_expect_eq(fsb_seal_open(trust, env, len, &o, &out, err, sizeof err), FSB_ETOOBIG);
	cr_expect(strstr(err, "exceeds the cap"), "%s", err);
	expect_open(env, len / 2, "longan", now, FSB_EDECODE, "SignedEnvelope");
	static const uint8_t junk[] = "\xff\xff\xff\xff not protobuf";
	expect_open(junk, sizeof junk, "longan", now, FSB_EDECODE, NULL);
	free(env);
}

Test(seal, domains_do_not_mix)
{
	struct fsb_signer *s = signer(PKI, "longan");
	static const uint8_t payload[] = "any payload";
	uint8_t sig[FSB_SIG_MAX], sig2[FSB_SIG_MAX];
	size_t sig_len, sig2_len, cert_len;
	const uint8_t *cert = fsb_signer_cert(s, &cert_len);
	cr_assert_eq(fsb_signer_sign(s, FSB_DOMAIN_MESSAGE, payload, sizeof payload, sig, &sig_len), 0);
	cr_expect_eq(fsb_trust_signature(trust, cert, cert_len, FSB_DOMAIN_MESSAGE, payload,
					 sizeof payload, sig, sig_len, NULL, 0), 0);
	cr_expect_eq(fsb_trust_signature(trust, cert, cert_len, FSB_DOMAIN_CONTROL, payload,
					 sizeof payload, sig, sig_len, NULL, 0), FSB_ESIGNATURE);
	/* RFC 6979: the same key and bytes give the same signature. */
	cr_assert_eq(fsb_signer_sign(s, FSB_DOMAIN_MESSAGE, payload, sizeof payload, sig2, &sig2_len), 0);
	cr_expect_eq(sig_len, sig2_len);
	cr_expect_arr_eq(sig, sig2, sig_len);
	fsb_signer_close(s);
}

Test(seal, content_problems_are_warnings_not_rejections)
{
	/* A trusted origin signed a payload that breaks a content rule (as a
	 * node on a newer schema might): it opens, with the problem reported. */
	int64_t now = fsb_fmt_now_ms();
	struct fsb_message *m = th_load_example(R1);
	char when[FSB_TIME_MAX + 1];
	fsb_fmt_time(now, when);
	struct fsb_stamp st = {.origin = "longan", .seq = 1, .issued_at = when};
	cr_assert_eq(fsb_message_stamp(m, &st), 0);
	char *json;
	cr_assert_eq(fsb_message_to_json(m, 0, &json), 0);
	json_t *doc = json_loads(json, 0, NULL);
	free(json);
	cr_assert_eq(json_object_del(json_object_get(doc, "recall"), "reason"), 0);
	json = json_dumps(doc, 0);
	json_decref(doc);
	struct fsb_message *bad = NULL;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_assert_eq(fsb_message_from_json(json, strlen(json), FSB_KIND_NONE, &bad, &errs), 0);
	free(json);
	uint8_t *payload;
	size_t plen;
	cr_assert_eq(fsb_message_pack(bad, &payload, &plen), 0);
	struct fsb_signer *s = signer(PKI, "longan");
	uint8_t sig[FSB_SIG_MAX];
	size_t sig_len, cert_len;
	cr_assert_eq(fsb_signer_sign(s, FSB_DOMAIN_MESSAGE, payload, plen, sig, &sig_len), 0);
	const uint8_t *cert = fsb_signer_cert(s, &cert_len);
	struct fsb_envelope e = {payload, plen, sig, sig_len, (uint8_t *)cert, cert_len};
	uint8_t *env;
	size_t len;
	cr_assert_eq(fsb_envelope_pack(&e, &env, &len), 0);
	struct fsb_open_opts o = {.topic_origin = "longan", .arrival_ms = now,
				  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS};
	struct fsb_opened out;
	char err[256] = "";
	cr_assert_eq(fsb_seal_open(trust, env, len, &o, &out, err, sizeof err), 0, "%s", err);
	cr_assert_not_null(out.warnings);
	cr_expect(th_has_error(out.warnings, "recall.reason", "required"));
	fsb_seal_opened_clear(&out);
	free(env);
	fsb_signer_close(s);
	free(payload);
	fsb_message_free(bad);
	fsb_message_free(m);
}

Test(seal, seal_refuses_invalid_content)
{
	struct fsb_signer *s = signer(PKI, "longan");
	const char *doc = "{\"header\": {\"category\": \"CATEGORY_CROP\", \"issuer\": {\"name\": \"x\"}},"
			  " \"recall\": {}}";
	struct fsb_message *m = NULL;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_assert_eq(fsb_message_from_json(doc, strlen(doc), FSB_KIND_NONE, &m, &errs), 0);
	struct fsb_stamp st = {.origin = "longan", .seq = 1, .issued_at = "2025-01-01T00:00:00Z"};
	uint8_t *env = NULL, hash[FSB_SHA256_LEN];
	size_t len;
	cr_expect_eq(fsb_seal_message(s, m, &st, &env, &len, hash, &errs), FSB_EINVALID);
	cr_expect_null(env);
	cr_expect(th_has_error(&errs, "recall.reason", "required"));
	fsb_message_free(m);
	fsb_signer_close(s);
}

Test(seal, many_certificates_keep_the_cache_bounded)
{
	/* More distinct (garbage) certificates than cache slots, then a good
	 * one: eviction keeps working and results stay right. */
	int64_t now = fsb_fmt_now_ms();
	uint8_t fake[64];
	for (int i = 0; i < 1000; i++) {
		memset(fake, 0, sizeof fake);
		memcpy(fake, &i, sizeof i);
		cr_assert_eq(fsb_trust_identity(trust, fake, sizeof fake, "longan", NULL, NULL, 0),
			     FSB_ECERT);
	}
	size_t len;
	uint8_t *env = seal_as(PKI, "longan", "longan", now, &len);
	expect_open(env, len, "longan", now, 0, NULL);
	free(env);
}

Test(seal, signer_refusals)
{
	char dir[64], key[128], err[512];
	th_tmpdir(dir);
	snprintf(key, sizeof key, "%s/longan.key", dir);
	cr_assert_eq(th_sh("cp %s/longan.key %s && chmod 644 %s", PKI, key, key), 0);
	struct fsb_signer *s = NULL;
	cr_expect_eq(fsb_signer_open(key, PKI "/longan.crt", &s, err, sizeof err), FSB_EKEYPERM);
	cr_expect(strstr(err, "accessible by group or others (mode 0644); run: chmod 600"), "%s", err);
	cr_assert_eq(th_sh("chmod 640 %s", key), 0);
	cr_expect_eq(fsb_signer_open(key, PKI "/longan.crt", &s, err, sizeof err), FSB_EKEYPERM);
	cr_assert_eq(th_sh("chmod 600 %s", key), 0);
	cr_expect_eq(fsb_signer_open(key, PKI "/cantho.crt", &s, err, sizeof err), FSB_ECERT);
	cr_expect(strstr(err, "does not match certificate"), "%s", err);
	cr_expect_eq(fsb_signer_open(PKI "/ca.crl", PKI "/cantho.crt", &s, err, sizeof err), FSB_EKEYPERM);
	cr_assert_eq(th_sh("cp %s/longan.crt %s && chmod 600 %s", PKI, key, key), 0);
	cr_expect_eq(fsb_signer_open(key, PKI "/longan.crt", &s, err, sizeof err), FSB_ECERT);
	cr_expect(strstr(err, "cannot load private key"), "%s", err);
	cr_expect_eq(fsb_signer_open("/nonexistent.key", PKI "/longan.crt", &s, err, sizeof err), FSB_EIO);
	cr_expect(strstr(err, "No such file"), "%s", err);
	th_rmtree(dir);
}

Test(seal, trust_store_refusals)
{
	char err[512];
	struct fsb_trust *t = NULL;
	/* A CRL from another CA, a CA file that is not a CA, nothing at all. */
	struct fsb_trust_anchor wrong_crl = {PKI "/ca.crt", PKI_OTHER "/ca.crl"};
	cr_expect_eq(fsb_trust_open(&wrong_crl, 1, &t, err, sizeof err), FSB_ECERT);
	cr_expect(strstr(err, "was not issued by the CA in"), "%s", err);
	struct fsb_trust_anchor not_ca = {PKI "/longan.crt", NULL};
	cr_expect_eq(fsb_trust_open(&not_ca, 1, &t, err, sizeof err), FSB_ECERT);
	cr_expect(strstr(err, "is not a CA certificate"), "%s", err);
	cr_expect_eq(fsb_trust_open(NULL, 0, &t, err, sizeof err), FSB_EINVAL);
	/* "none" said explicitly: no revocation check, so the revoked
	 * certificate passes; that is why it must be said. */
	struct fsb_trust_anchor no_crl = {PKI "/ca.crt", NULL};
	cr_assert_eq(fsb_trust_open(&no_crl, 1, &t, err, sizeof err), 0, "%s", err);
	int64_t now = fsb_fmt_now_ms();
	size_t len;
	uint8_t *env = seal_as(PKI, "longan-revoked", "longan", now, &len);
	struct fsb_open_opts o = {.arrival_ms = now, .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS};
	struct fsb_opened out;
	cr_expect_eq(fsb_seal_open(t, env, len, &o, &out, err, sizeof err), 0, "%s", err);
	fsb_seal_opened_clear(&out);
	free(env);
	fsb_trust_close(t);
	/* Two CAs, each with its CRL: both PKIs are trusted. */
	struct fsb_trust_anchor both[] = {{PKI "/ca.crt", PKI "/ca.crl"},
					  {PKI_OTHER "/ca.crt", PKI_OTHER "/ca.crl"}};
	cr_assert_eq(fsb_trust_open(both, 2, &t, err, sizeof err), 0, "%s", err);
	env = seal_as(PKI_OTHER, "cantho", "cantho", now, &len);
	cr_expect_eq(fsb_seal_open(t, env, len, &o, &out, err, sizeof err), 0, "%s", err);
	fsb_seal_opened_clear(&out);
	free(env);
	env = seal_as(PKI_OTHER, "longan-revoked", "longan", now, &len);
	cr_expect_eq(fsb_seal_open(t, env, len, &o, &out, err, sizeof err), FSB_EREVOKED, "%s", err);
	fsb_seal_opened_clear(&out);
	free(env);
	fsb_trust_close(t);
}

/* A run sealed together (signatures on several threads) is byte for byte
 * what sealing its messages one by one gives, links included; and every
 * envelope opens. */
Test(seal, run_on_threads_equals_one_by_one)
{
	enum { N = 40 };
	struct fsb_signer *s = signer(PKI, "longan");
	struct fsb_message *run[N], *one[N];
	for (int i = 0; i < N; i++) {
		run[i] = th_load_example(R1);
		one[i] = th_load_example(R1);
	}
	char when[FSB_TIME_MAX + 1];
	int64_t now = fsb_fmt_now_ms();
	fsb_fmt_time(now, when);
	struct fsb_stamp st = {.origin = "longan", .seq = 7, .issued_at = when};
	memset(st.prev_hash, 0xab, sizeof st.prev_hash);
	struct fsb_sealed out[N];
	size_t failed = 99;
	cr_assert_eq(fsb_seal_run(s, run, N, &st, out, &failed, NULL), 0);
	cr_expect_eq(failed, 99, "failed is set only on failure");
	for (int i = 0; i < N; i++) {
		uint8_t *env, hash[FSB_SHA256_LEN];
		size_t len;
		cr_assert_eq(fsb_seal_message(s, one[i], &st, &env, &len, hash, NULL), 0);
		cr_expect_eq(len, out[i].env_len, "message %d", i);
		cr_expect(memcmp(env, out[i].env, len) == 0, "message %d differs", i);
		cr_expect(memcmp(hash, out[i].payload_hash, sizeof hash) == 0);
		char err[256] = "";
		cr_expect_eq(open_at(out[i].env, out[i].env_len, "longan", now, err, sizeof err), 0,
			     "message %d: %s", i, err);
		free(env);
		st.seq++;
		memcpy(st.prev_hash, hash, sizeof hash);
		fsb_message_free(run[i]);
		fsb_message_free(one[i]);
	}
	fsb_seal_clear(out, N);
	fsb_signer_close(s);
}

/* A message that breaks a sealed rule fails the run, named by its index,
 * and leaves nothing behind. */
Test(seal, run_names_the_message_at_fault)
{
	struct fsb_signer *s = signer(PKI, "longan");
	struct fsb_message *m[3];
	for (int i = 0; i < 3; i++)
		m[i] = th_load_example(R1);
	struct fsb_stamp st = {.origin = "longan", .seq = 1, .issued_at = "not a time"};
	struct fsb_sealed out[3];
	size_t failed = 99;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_expect_neq(fsb_seal_run(s, m, 3, &st, out, &failed, &errs), 0);
	cr_expect_eq(failed, 0);
	for (int i = 0; i < 3; i++) {
		cr_expect_null(out[i].env);
		fsb_message_free(m[i]);
	}
	fsb_signer_close(s);
}

/* The demo PKI certifies any list of provinces given in ORIGINS: each a
 * signing certificate the exchange CA vouches for, naming its origin; a
 * name that is no origin is refused before anything is made. */
Test(seal, demo_pki_for_any_provinces)
{
	char dir[64], pki[128];
	th_tmpdir(dir);
	snprintf(pki, sizeof pki, "%s/pki", dir);
	cr_assert_eq(th_sh("ORIGINS='dongthap tay-ninh' %s/certs/make-demo-pki.sh %s >/dev/null",
			   FSB_TOP_DIR, pki), 0);
	char ca[160], crl[160], *cas[1] = {ca}, *crls[1] = {crl}, err[400];
	snprintf(ca, sizeof ca, "%s/ca.crt", pki);
	snprintf(crl, sizeof crl, "%s/ca.crl", pki);
	struct fsb_trust *t;
	cr_assert_eq(fsb_trust_open_files(cas, crls, 1, &t, err, sizeof err), 0, "%s", err);
	const char *origins[] = {"dongthap", "tay-ninh"};
	for (size_t i = 0; i < 2; i++) {
		char key[160], crt[160];
		snprintf(key, sizeof key, "%s/%s.key", pki, origins[i]);
		snprintf(crt, sizeof crt, "%s/%s.crt", pki, origins[i]);
		struct fsb_signer *s;
		cr_assert_eq(fsb_signer_open(key, crt, &s, err, sizeof err), 0, "%s", err);
		cr_expect_eq(fsb_trust_check_signer(t, s, origins[i], fsb_fmt_now_ms(), err, sizeof err), 0,
			     "%s: %s", origins[i], err);
		cr_expect_neq(fsb_trust_check_signer(t, s, "longan", fsb_fmt_now_ms(), err, sizeof err), 0,
			      "%s must not speak for longan", origins[i]);
		fsb_signer_close(s);
	}
	fsb_trust_close(t);
	cr_expect_neq(th_sh("test -e %s/cantho.crt", pki), 0, "only the provinces asked for");
	cr_expect_eq(th_sh("ORIGINS='dongthap Long_An' %s/certs/make-demo-pki.sh %s/bad 2>%s/err.txt",
			   FSB_TOP_DIR, dir, dir), 2);
	cr_expect_eq(th_sh("grep -q 'ORIGINS: \"Long_An\" is not an origin' %s/err.txt", dir), 0);
	th_rmtree(dir);
}
