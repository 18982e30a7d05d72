/* sign_internal.h - what the signing module's own files share; no other
 * module includes it. */
#ifndef FSB_SIGN_INTERNAL_H
#define FSB_SIGN_INTERNAL_H

#include <mbedtls/x509_crt.h>

#include "sign.h"

/* SHA-256 of the domain prefix followed by the payload: what is signed. */
void fsb_sign_digest(enum fsb_domain d, const uint8_t *payload, size_t len,
		     uint8_t out[FSB_SHA256_LEN]);

/* Whether a parsed certificate names origin in its subject CN or a DNS SAN. */
int fsb_sign_crt_names(const mbedtls_x509_crt *crt, const char *origin);

/* Copies the certificate's subject CN into out ("" when it has none). */
void fsb_sign_crt_cn(const mbedtls_x509_crt *crt, char *out, size_t cap);

/* An X.509 time in milliseconds since the Unix epoch. */
int64_t fsb_sign_x509_ms(const mbedtls_x509_time *t);

/* Writes "what: mbedTLS's description (-0xNNNN)" into err. */
void fsb_sign_error(char *err, size_t errlen, int mbedtls_rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
