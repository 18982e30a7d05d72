/* seal.c - sealing and opening signed envelopes. */
#include "seal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

int fsb_seal(struct fsb_signer *s, struct fsb_message *m, const struct fsb_stamp *stamp,
	     uint8_t **env, size_t *env_len, uint8_t payload_hash[FSB_SHA256_LEN],
	     struct fsb_errlist *errs)
{
	struct fsb_errlist local;
	if (!errs) {
		fsb_errlist_init(&local);
		errs = &local;
	}
	int rc = fsb_message_stamp(m, stamp);
	if (rc)
		return rc;
	if ((rc = fsb_message_validate(m, FSB_VALIDATE_SEALED, errs)))
		return rc;
	uint8_t *payload = NULL;
	size_t payload_len = 0;
	if ((rc = fsb_message_pack(m, &payload, &payload_len)))
		return rc;
	uint8_t sig[FSB_SIG_MAX];
	size_t sig_len = 0;
	if ((rc = fsb_signer_sign(s, FSB_DOMAIN_MESSAGE, payload, payload_len, sig, &sig_len)))
		goto out;
	size_t cert_len;
	const uint8_t *cert = fsb_signer_cert(s, &cert_len);
	struct fsb_envelope e = {payload, payload_len, sig, sig_len, (uint8_t *)cert, cert_len};
	if ((rc = fsb_envelope_pack(&e, env, env_len)))
		goto out;
	fsb_sha256(payload, payload_len, payload_hash);
out:
	free(payload);
	return rc;
}

void fsb_opened_clear(struct fsb_opened *o)
{
	fsb_envelope_clear(&o->env);
	fsb_message_free(o->msg);
	free(o->warnings);
	memset(o, 0, sizeof *o);
}

static int fail(struct fsb_opened *out, int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(struct fsb_opened *out, int rc, char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	fsb_opened_clear(out);
	return rc;
}

int fsb_open(struct fsb_trust *t, const uint8_t *buf, size_t len, const struct fsb_open_opts *o,
	     struct fsb_opened *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t cap = o->max_bytes ? o->max_bytes : FSB_CODEC_DEFAULT_MAX_BYTES;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	int rc = fsb_envelope_unpack(buf, len, cap, &out->env, &errs);
	if (rc)
		return fail(out, rc, err, errlen, "%s%s%s", errs.items[0].path,
			    errs.items[0].path[0] ? ": " : "", errs.items[0].msg);
	char why[256];
	rc = fsb_trust_verify(t, out->env.signer_cert, out->env.signer_cert_len, FSB_DOMAIN_MESSAGE,
			      out->env.payload, out->env.payload_len, out->env.signature,
			      out->env.signature_len, out->cert_fp, why, sizeof why);
	if (rc)
		return fail(out, rc, err, errlen, "%s", why);
	/* From here on the payload is what the certificate's key signed. */
	fsb_errlist_init(&errs);
	rc = fsb_message_unpack(out->env.payload, out->env.payload_len, cap, &out->msg, &errs);
	if (rc)
		return fail(out, rc, err, errlen, "signed payload not readable: %s", errs.items[0].msg);
	struct fsb_header h;
	fsb_message_header(out->msg, &h);
	if (fsb_fmt_slug(h.origin))
		return fail(out, FSB_EINVALID, err, errlen, "header.origin missing or malformed");
	if (fsb_fmt_timestamp(h.issued_at, &out->issued_at_ms))
		return fail(out, FSB_EINVALID, err, errlen,
			    "header.issuedAt missing or malformed; certificate validity cannot be judged");
	if (o->topic_origin && strcmp(o->topic_origin, h.origin) != 0)
		return fail(out, FSB_EORIGIN, err, errlen,
			    "message of origin \"%s\" published under topic origin \"%s\"", h.origin,
			    o->topic_origin);
	if (out->issued_at_ms > o->arrival_ms + o->max_skew_ms)
		return fail(out, FSB_EFUTURE, err, errlen,
			    "header.issuedAt %s is more than %lld s ahead of arrival", h.issued_at,
			    (long long)(o->max_skew_ms / 1000));
	rc = fsb_trust_check_use(t, out->cert_fp, h.origin, out->issued_at_ms, o->arrival_ms, why,
				 sizeof why);
	if (rc)
		return fail(out, rc, err, errlen, "%s", why);
	fsb_sha256(out->env.payload, out->env.payload_len, out->payload_hash);
	fsb_errlist_init(&errs);
	if (fsb_message_validate(out->msg, FSB_VALIDATE_SEALED, &errs)) {
		out->warnings = malloc(sizeof errs);
		if (!out->warnings)
			return fail(out, FSB_ENOMEM, err, errlen, "out of memory");
		*out->warnings = errs;
	}
	return 0;
}
