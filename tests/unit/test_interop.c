/* test_interop.c - another implementation checks what fsbridge seals.
 *
 * The openssl command line verifies the signature over the bytes that
 * schemas/PROTOCOL.md documents (domain prefix + payload), and chains the
 * signer certificate to the CA with the CRL; protoc decodes the payload and
 * the envelope from the project's .proto files. fsbridge's own code only
 * splits the envelope into files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "helpers.h"
#include "seal.h"

#define R1 "recall-ocop-sausage-class1-longan.json"

static char dir[64];

/* Seals R1 as longan:1 and writes envelope.bin, payload.bin, signed.bin,
 * sig.der and cert.der into dir. */
static void seal_to_files(void)
{
	th_tmpdir(dir);
	char err[256] = "";
	struct fsb_signer *s = NULL;
	cr_assert_eq(fsb_signer_open(PKI "/longan.key", PKI "/longan.crt", &s, err, sizeof err), 0, "%s", err);
	struct fsb_message *m = th_load_example(R1);
	char when[FSB_TIME_MAX + 1];
	fsb_fmt_time(fsb_fmt_now_ms(), when);
	struct fsb_stamp st = {.origin = "longan", .seq = 1, .issued_at = when};
	uint8_t *env, hash[FSB_SHA256_LEN];
	size_t len;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_assert_eq(fsb_seal_message(s, m, &st, &env, &len, hash, &errs), 0);
	struct fsb_envelope e;
	cr_assert_eq(fsb_envelope_unpack(env, len, FSB_CODEC_DEFAULT_MAX_BYTES, &e, NULL), 0);
	char path[160];
	snprintf(path, sizeof path, "%s/envelope.bin", dir);
	th_write(path, env, len);
	snprintf(path, sizeof path, "%s/payload.bin", dir);
	th_write(path, e.payload, e.payload_len);
	snprintf(path, sizeof path, "%s/sig.der", dir);
	th_write(path, e.signature, e.signature_len);
	snprintf(path, sizeof path, "%s/cert.der", dir);
	th_write(path, e.signer_cert, e.signer_cert_len);
	/* The signed bytes, exactly as PROTOCOL.md states them. */
	static const char prefix[] = "foodsafety/v1 Message\n";
	size_t n = sizeof prefix - 1 + e.payload_len;
	uint8_t *signed_bytes = malloc(n);
	memcpy(signed_bytes, prefix, sizeof prefix - 1);
	memcpy(signed_bytes + sizeof prefix - 1, e.payload, e.payload_len);
	snprintf(path, sizeof path, "%s/signed.bin", dir);
	th_write(path, signed_bytes, n);
	signed_bytes[n - 1] ^= 1;
	snprintf(path, sizeof path, "%s/tampered.bin", dir);
	th_write(path, signed_bytes, n);
	free(signed_bytes);
	fsb_envelope_clear(&e);
	free(env);
	fsb_message_free(m);
	fsb_signer_close(s);
}

static void cleanup(void)
{
	th_rmtree(dir);
}

TestSuite(interop, .init = seal_to_files, .fini = cleanup);

Test(interop, openssl_verifies_the_signature)
{
	cr_assert_eq(th_sh("cd %s && openssl x509 -inform DER -in cert.der -pubkey -noout >pub.pem", dir), 0);
	cr_expect_eq(th_sh("cd %s && openssl dgst -sha256 -verify pub.pem -signature sig.der signed.bin "
			   ">verify.out 2>&1 && grep -qx 'Verified OK' verify.out", dir), 0);
	/* The same check fails on one changed byte, so it is really checking. */
	cr_expect_eq(th_sh("cd %s && openssl dgst -sha256 -verify pub.pem -signature sig.der tampered.bin "
			   ">/dev/null 2>&1", dir), 1);
}

Test(interop, openssl_chains_the_certificate)
{
	cr_expect_eq(th_sh("cd %s && openssl x509 -inform DER -in cert.der -out cert.pem && "
			   "openssl verify -crl_check -CAfile %s/ca.crt -CRLfile %s/ca.crl cert.pem >/dev/null",
			   dir, PKI, PKI), 0);
}

Test(interop, protoc_decodes_payload_and_envelope)
{
	cr_assert_eq(th_sh("cd %s && protoc --decode foodsafety.v1.Message -I%s/schemas "
			   "%s/schemas/foodsafety/v1/message.proto <payload.bin >payload.txt",
			   dir, FSB_TOP_DIR, FSB_TOP_DIR), 0);
	char path[160];
	snprintf(path, sizeof path, "%s/payload.txt", dir);
	char *text = th_read(path, NULL);
	cr_expect(strstr(text, "origin: \"longan\""), "%s", text);
	cr_expect(strstr(text, "message_id: \"longan:1\""));
	cr_expect(strstr(text, "recall_class: RECALL_CLASS_I"));
	cr_expect(strstr(text, "gtin: \"8936045123454\""));
	cr_expect(strstr(text, "disposal: DISPOSAL_MEANS_DESTRUCTION"));
	free(text);
	cr_expect_eq(th_sh("cd %s && protoc --decode foodsafety.v1.SignedEnvelope -I%s/schemas "
			   "%s/schemas/foodsafety/v1/envelope.proto <envelope.bin | grep -q '^signer_cert: '",
			   dir, FSB_TOP_DIR, FSB_TOP_DIR), 0);
}
