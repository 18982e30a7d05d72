/* sign.h - signatures, hashes and the trust store; the only module that
 * sees mbedTLS.
 *
 * What is signed (PROTOCOL.md gives the bytes): ECDSA P-256, deterministic
 * per RFC 6979, over SHA-256 of a domain-separation prefix followed by the
 * payload bytes exactly as they travel. The prefix names the payload type,
 * so a signature over a Message can never pass for one over a Control.
 *
 * The trust store holds the exchange CAs and their CRLs. It answers three
 * questions, asked in this order by whoever opens an envelope (PROTOCOL.md,
 * "Accepting a message"):
 *   1. fsb_trust_identity(): is this an fsbridge signing certificate of a
 *      trusted CA (chain, EC P-256, not a CA, the signing extended key
 *      usage and no TLS purpose), and does it name `origin`? Cached per
 *      certificate, so it is cheap enough to ask of everything that arrives
 *      before any state changes.
 *   2. fsb_trust_signature(): does its key verify the signature over these
 *      bytes? Nothing in the payload may be believed before this (the
 *      origin asked about in step 1 is only a claim until then).
 *   3. fsb_trust_in_force(): was the certificate in force when the message
 *      arrived: not revoked, within its validity (give or take the clock
 *      skew), and valid with its CA when the message says it was issued?
 *      issued_at is the signer's claim, so it cannot excuse a revocation or
 *      an expiry; a message that fails only this step is authentic, and may
 *      still be accepted when a later message of its stream, itself in
 *      force, links to it (PROTOCOL.md, "Validity at arrival").
 * CRLs can be replaced while the store is open by a newer one (a higher CRL
 * number) that the same CA signed: fsb_trust_offer_crl().
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
const char *fsb_sign_domain_prefix(enum fsb_domain d, size_t *len);

/* SHA-256 of len bytes. */
void fsb_sign_sha256(const uint8_t *data, size_t len, uint8_t out[FSB_SHA256_LEN]);

/* SHA-256 of several buffers, one after the other. */
struct fsb_bytes {
	const void *p;
	size_t len;
};
void fsb_sign_sha256_parts(const struct fsb_bytes *parts, size_t n, uint8_t out[FSB_SHA256_LEN]);

/* ---- signing ------------------------------------------------------------ */

/* Refuses (FSB_EKEYPERM) a private key file that group or others may access,
 * as ssh does, or that cannot be stat'ed (FSB_EIO). */
int fsb_sign_key_file_check(const char *path, char *err, size_t errlen);

struct fsb_signer; /* opaque: a private key and its certificate */

/* Loads a PEM private key and the PEM certificate that goes with it.
 * Refuses a key file as fsb_sign_key_file_check() does; refuses (FSB_ECERT) a key that is not EC P-256 or that does not
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
int fsb_sign_cert_names_origin(const uint8_t *der, size_t len, const char *origin);

/* The subject CN of a DER certificate into out ("" when it has none);
 * FSB_ECERT when it cannot be parsed. */
int fsb_sign_cert_cn(const uint8_t *der, size_t len, char *out, size_t cap);

/* What a certificate says of itself, as the web view shows a signer. */
struct fsb_cert_info {
	char subject_cn[96];
	char organization[96];   /* subject O, "" when none */
	char issuer_cn[96];
	char serial[80];         /* hexadecimal, colon-separated */
	int64_t not_before_ms, not_after_ms;
};

/* Reads a DER certificate's names, serial and validity; FSB_ECERT when it
 * cannot be parsed. */
int fsb_sign_cert_info(const uint8_t *der, size_t len, struct fsb_cert_info *out);

/* ---- trust -------------------------------------------------------------- */

/* The extended key usage that makes a certificate an fsbridge signing
 * certificate (PROTOCOL.md, "Signing certificates"): an OID under the UUID
 * arc 2.25 (ITU-T X.667), so it needs no registration and clashes with
 * nothing. DER content bytes of the OID, and its dotted form. */
#define FSB_EKU_SIGNING "2.25.46624013109510508096371682865823794733.1"
#define FSB_EKU_SIGNING_DER                                                           \
	"\x69\xc6\x93\xba\xd4\xdf\xc5\xaa\xad\xdf\x8a\x9c\xd0\xa3\x83\x9c\x9b\x8c\x2d\x01"

struct fsb_trust; /* opaque: trusted CAs, their CRLs, the certificate cache */

/* One trusted CA: a PEM certificate file and its PEM CRL file. crl_file is
 * NULL only when the configuration says "none" explicitly. */
struct fsb_trust_anchor {
	const char *ca_file;
	const char *crl_file;
};

/* Loads the anchors. Each CRL must be issued and signed by its CA. */
int fsb_trust_open(const struct fsb_trust_anchor *anchors, size_t n, struct fsb_trust **out,
		   char *err, size_t errlen);

/* The same from parallel lists, as the configuration keeps them
 * (crl_files[i] NULL where it says "none"). */
int fsb_trust_open_files(char *const *ca_files, char *const *crl_files, size_t n,
			 struct fsb_trust **out, char *err, size_t errlen);

/* Releases the store; NULL allowed. */
void fsb_trust_close(struct fsb_trust *t);

/* Step 1: cert (DER) is an fsbridge signing certificate of a trusted CA
 * (FSB_ECERT when it is not a certificate, not EC P-256, a CA, or lacks the
 * signing purpose or carries a TLS one; FSB_EUNTRUSTED when it does not
 * chain to a trusted CA) that names `origin` in its subject CN or a DNS
 * SAN (FSB_EORIGIN). origin may be NULL to ask only about the certificate.
 * fp (when not NULL) receives the certificate's fingerprint. */
int fsb_trust_identity(struct fsb_trust *t, const uint8_t *cert, size_t cert_len,
		       const char *origin, uint8_t fp[FSB_FP_LEN], char *err, size_t errlen);

/* Step 2: sig verifies over payload in domain d with the key of cert,
 * which must pass step 1 (else its error); FSB_ESIGNATURE otherwise. */
int fsb_trust_signature(struct fsb_trust *t, const uint8_t *cert, size_t cert_len,
			enum fsb_domain d, const uint8_t *payload, size_t len, const uint8_t *sig,
			size_t sig_len, char *err, size_t errlen);

/* Step 3, for a certificate that passes step 1: FSB_EREVOKED when its CA's
 * CRL revoked it at or before arrival_ms; FSB_EEXPIRED when arrival_ms is
 * outside its validity by more than skew_ms, or issued_at_ms outside the
 * validity of the certificate or its CA. Times are milliseconds since the
 * Unix epoch. */
int fsb_trust_in_force(struct fsb_trust *t, const uint8_t *cert, size_t cert_len,
		       int64_t issued_at_ms, int64_t arrival_ms, int64_t skew_ms, char *err,
		       size_t errlen);

/* What a CRL says about itself. */
struct fsb_crl_info {
	char issuer[96];      /* the issuing CA's subject CN */
	uint64_t number;      /* its CRL number (0 when it has none) */
	int64_t this_update_ms;
	size_t revoked;       /* entries */
};

/* Offers a CRL (DER or PEM bytes) to the store. It replaces the CRL of the
 * trusted CA that signed it when its CRL number is higher than the one held
 * (for a CA configured with "none", any CRL it signed is taken). Returns 1
 * when adopted (cached certificate results are then forgotten), 0 when it
 * is not newer, FSB_ECERT when it cannot be parsed, FSB_EUNTRUSTED when no
 * trusted CA signed it; err says which. info (when not NULL) describes it. */
int fsb_trust_offer_crl(struct fsb_trust *t, const uint8_t *crl, size_t len,
			struct fsb_crl_info *info, char *err, size_t errlen);

/* The DER form of a CRL given as DER or PEM, malloc'd into *der; FSB_ECERT
 * when it is not one CRL. */
int fsb_sign_crl_der(const uint8_t *crl, size_t len, uint8_t **der, size_t *der_len);

/* The CRL held for anchor i (DER, valid until the store changes or
 * closes), or NULL when it has none; info (when not NULL) describes it, or
 * when there is none gets at least the CA's name in issuer. n_anchors()
 * tells how many anchors there are. */
const uint8_t *fsb_trust_crl(const struct fsb_trust *t, size_t i, size_t *len,
			     struct fsb_crl_info *info);
size_t fsb_trust_n_anchors(const struct fsb_trust *t);

/* Whether signer's certificate would pass steps 1 and 3 for `origin` now,
 * and a signature made with its key passes step 2: what a node checks of
 * itself before it signs anything. */
int fsb_trust_check_signer(struct fsb_trust *t, struct fsb_signer *signer, const char *origin,
			   int64_t now_ms, char *err, size_t errlen);

#endif
