/* sign.h - signatures, hashes and the trust store; the only module that
 * sees mbedTLS.
 *
 * What is signed (PROTOCOL.md gives the bytes): ECDSA P-256, deterministic
 * per RFC 6979, over SHA-256 of a domain-separation prefix followed by the
 * payload bytes exactly as they travel. The prefix names the payload type,
 * so a signature over a Message can never pass for one over a Control.
 *
 * The trust store holds the exchange CAs and their CRLs. It answers two
 * questions, asked in this order by whoever opens an envelope:
 *   1. fsb_trust_verify(): does the certificate chain to a trusted CA, and
 *      does its key verify the signature over these bytes? (Nothing in the
 *      payload may be believed before this.)
 *   2. fsb_trust_check_use(): may this certificate speak for `origin`, was
 *      it unrevoked when the message arrived, and was it valid when the
 *      message says it was issued? (issued_at comes from the now authenticated
 *      payload, but is still only the signer's claim, so revocation is
 *      judged at arrival; DESIGN.md section 6.)
 * Chain results are cached per certificate fingerprint.
 *
 * Errors: 0 or a negative FSB_E* code; `err` (if not NULL) receives one line
 * saying what and where. Nothing here logs.
 */
#ifndef FSB_SIGN_H
#define FSB_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define FSB_SHA256_LEN 32
#define FSB_SIG_MAX 80    /* DER ECDSA P-256 signature, at most 72 bytes */
#define FSB_FP_LEN 32     /* certificate fingerprint: SHA-256 of its DER */

/* What a payload is; selects the domain-separation prefix. */
enum fsb_domain {
	FSB_DOMAIN_MESSAGE, /* a foodsafety.v1.Message (stream) */
	FSB_DOMAIN_CONTROL, /* a foodsafety.v1.Control (checkpoint, sync) */
};

/* The prefix bytes for a domain (ASCII, no NUL), and their length. */
const char *fsb_domain_prefix(enum fsb_domain d, size_t *len);

/* SHA-256 of len bytes. */
void fsb_sha256(const uint8_t *data, size_t len, uint8_t out[FSB_SHA256_LEN]);

/* SHA-256 of several buffers, one after the other. */
struct fsb_bytes {
	const void *p;
	size_t len;
};
void fsb_sha256_parts(const struct fsb_bytes *parts, size_t n, uint8_t out[FSB_SHA256_LEN]);

/* ---- signing ------------------------------------------------------------ */

/* Refuses (FSB_EKEYPERM) a private key file that group or others may access,
 * as ssh does, or that cannot be stat'ed (FSB_EIO). */
int fsb_key_file_check(const char *path, char *err, size_t errlen);

struct fsb_signer; /* opaque: a private key and its certificate */

/* Loads a PEM private key and the PEM certificate that goes with it.
 * Refuses a key file as fsb_key_file_check() does; refuses (FSB_ECERT) a key that is not EC P-256 or that does not
 * match the certificate's public key. The key is zeroed when closed. */
int fsb_signer_open(const char *key_path, const char *cert_path, struct fsb_signer **out,
		    char *err, size_t errlen);

/* Releases a signer (NULL allowed), zeroing its key. */
void fsb_signer_close(struct fsb_signer *s);

/* The certificate, DER; valid while the signer is open. */
const uint8_t *fsb_signer_cert(const struct fsb_signer *s, size_t *len);

/* Signs payload in domain d into sig (DER, *sig_len bytes). */
int fsb_signer_sign(struct fsb_signer *s, enum fsb_domain d, const uint8_t *payload, size_t len,
		    uint8_t sig[FSB_SIG_MAX], size_t *sig_len);

/* One payload to sign and, once signed, its signature. */
struct fsb_sign_job {
	const uint8_t *payload;
	size_t len;
	uint8_t sig[FSB_SIG_MAX];
	size_t sig_len;
};

/* Signs jobs[0..n) in domain d as fsb_signer_sign() does (the signatures
 * are the same, RFC 6979 being deterministic), on up to `threads` threads:
 * 0 means one per online core. Small batches stay on the calling thread.
 * Returns the first failure. */
int fsb_signer_sign_many(struct fsb_signer *s, enum fsb_domain d, struct fsb_sign_job *jobs,
			 size_t n, int threads);

/* Whether a DER certificate names `origin` (subject CN or a DNS SAN):
 * 1 yes, 0 no, FSB_ECERT when it cannot be parsed. */
int fsb_cert_names_origin(const uint8_t *der, size_t len, const char *origin);

/* The subject CN of a DER certificate into out ("" when it has none);
 * FSB_ECERT when it cannot be parsed. */
int fsb_cert_subject_cn(const uint8_t *der, size_t len, char *out, size_t cap);

/* ---- trust -------------------------------------------------------------- */

struct fsb_trust; /* opaque: trusted CAs, their CRLs, the chain cache */

/* One trusted CA: a PEM certificate file and its PEM CRL file. crl_file is
 * NULL only when the configuration says "none" explicitly. */
struct fsb_trust_anchor {
	const char *ca_file;
	const char *crl_file;
};

/* Loads the anchors. Each CRL must be issued and signed by its CA. */
int fsb_trust_open(const struct fsb_trust_anchor *anchors, size_t n, struct fsb_trust **out,
		   char *err, size_t errlen);

/* Releases the store; NULL allowed. */
void fsb_trust_close(struct fsb_trust *t);

/* Step 1: cert (DER) chains to a trusted CA (FSB_EUNTRUSTED, or FSB_ECERT
 * when it is not a certificate or not an EC P-256 signing certificate) and
 * sig verifies over payload in domain d (FSB_ESIGNATURE). Expiry is not
 * judged here. fp receives the certificate's fingerprint. */
int fsb_trust_verify(struct fsb_trust *t, const uint8_t *cert, size_t cert_len, enum fsb_domain d,
		     const uint8_t *payload, size_t len, const uint8_t *sig, size_t sig_len,
		     uint8_t fp[FSB_FP_LEN], char *err, size_t errlen);

/* Step 2, for a certificate that passed step 1 (by fingerprint): it names
 * `origin` (else FSB_EORIGIN), it was not revoked at or before arrival_ms
 * (else FSB_EREVOKED, whatever issued_at says), and it and its CA were
 * valid at issued_at_ms (else FSB_EEXPIRED). Times are milliseconds since
 * the Unix epoch. */
int fsb_trust_check_use(struct fsb_trust *t, const uint8_t fp[FSB_FP_LEN], const char *origin,
			int64_t issued_at_ms, int64_t arrival_ms, char *err, size_t errlen);

#endif
