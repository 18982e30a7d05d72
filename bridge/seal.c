/* seal.c - sealing and opening signed envelopes. */
#include "seal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

void fsb_seal_clear(struct fsb_sealed *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(out[i].env);
		out[i].env = NULL;
	}
}

/* A follow-up or a certification notice that refers to an earlier message
 * of the same run gets that message's payload hash, known only now. */
static int link_in_run(struct fsb_message *m, const struct fsb_stamp *first, uint64_t seq,
		       const struct fsb_sealed *out)
{
	struct fsb_case_facts f;
	fsb_message_case_facts(m, &f);
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t ref_seq;
	if (!f.ref_id[0] || fsb_fmt_message_id(f.ref_id, origin, &ref_seq) ||
	    strcmp(origin, first->origin) != 0 || ref_seq < first->seq || ref_seq >= seq)
		return 0;
	return fsb_message_set_ref_hash(m, out[ref_seq - first->seq].payload_hash);
}

int fsb_seal_run(struct fsb_signer *s, struct fsb_message **msgs, size_t n,
		 const struct fsb_stamp *first, struct fsb_sealed *out, size_t *failed,
		 struct fsb_errlist *errs)
{
	struct fsb_errlist local;
	if (!errs) {
		fsb_errlist_init(&local);
		errs = &local;
	}
	memset(out, 0, n * sizeof *out);
	struct fsb_sign_job *jobs = calloc(n ? n : 1, sizeof *jobs);
	if (!jobs)
		return FSB_ENOMEM;
	struct fsb_stamp st = *first;
	int rc = 0;
	size_t i;
	/* Stamp and pack in order: each message links to the payload hash of
	 * the one before, which needs its bytes but not its signature. */
	for (i = 0; i < n; i++) {
		uint8_t *payload = NULL;
		if ((rc = link_in_run(msgs[i], first, st.seq, out)) ||
		    (rc = fsb_message_stamp(msgs[i], &st)) ||
		    (rc = fsb_message_validate(msgs[i], FSB_VALIDATE_SEALED, errs)) ||
		    (rc = fsb_message_pack(msgs[i], &payload, &jobs[i].len)))
			break;
		jobs[i].payload = payload;
		fsb_sign_sha256(payload, jobs[i].len, out[i].payload_hash);
		st.seq++;
		memcpy(st.prev_hash, out[i].payload_hash, FSB_HASH_LEN);
	}
	if (rc == 0) {
		/* A signature failure is not a message's fault; none is named. */
		i = n;
		rc = fsb_signer_sign_many(s, FSB_DOMAIN_MESSAGE, jobs, n, 0);
	}
	size_t cert_len;
	const uint8_t *cert = fsb_signer_cert(s, &cert_len);
	for (size_t k = 0; rc == 0 && k < n; k++) {
		struct fsb_envelope e = {(uint8_t *)jobs[k].payload, jobs[k].len, jobs[k].sig,
					 jobs[k].sig_len, (uint8_t *)cert, cert_len};
		rc = fsb_envelope_pack(&e, &out[k].env, &out[k].env_len);
	}
	for (size_t k = 0; k < n; k++)
		free((void *)jobs[k].payload);
	free(jobs);
	if (rc) {
		fsb_seal_clear(out, n);
		if (failed)
			*failed = i;
	}
	return rc;
}

int fsb_seal_message(struct fsb_signer *s, struct fsb_message *m, const struct fsb_stamp *stamp,
	     uint8_t **env, size_t *env_len, uint8_t payload_hash[FSB_SHA256_LEN],
	     struct fsb_errlist *errs)
{
	struct fsb_sealed out;
	int rc = fsb_seal_run(s, &m, 1, stamp, &out, NULL, errs);
	if (rc == 0) {
		*env = out.env;
		*env_len = out.env_len;
		memcpy(payload_hash, out.payload_hash, FSB_SHA256_LEN);
	}
	return rc;
}

void fsb_seal_opened_clear(struct fsb_opened *o)
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
	fsb_seal_opened_clear(out);
	return rc;
}

/* What both kinds of envelope go through first: the size cap, the framing,
 * the certificate's identity as an fsbridge signing certificate of a
 * trusted CA, and (unless deferred) the signature in domain d. */
static int open_envelope(struct fsb_trust *t, const uint8_t *buf, size_t len,
			 const struct fsb_open_opts *o, enum fsb_domain d, struct fsb_envelope *env,
			 char *err, size_t errlen)
{
	size_t cap = o->max_bytes ? o->max_bytes : FSB_CODEC_DEFAULT_MAX_BYTES;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	int rc = fsb_envelope_unpack(buf, len, cap, env, &errs);
	if (rc) {
		snprintf(err, errlen, "%s%s%s", errs.items[0].path, errs.items[0].path[0] ? ": " : "",
			 errs.items[0].msg);
		return rc;
	}
	rc = fsb_trust_identity(t, env->signer_cert, env->signer_cert_len, NULL, NULL, err, errlen);
	if (rc == 0 && !o->defer_signature)
		rc = fsb_trust_signature(t, env->signer_cert, env->signer_cert_len, d, env->payload,
					 env->payload_len, env->signature, env->signature_len, err,
					 errlen);
	return rc;
}

/* The header's claims, once the payload is decoded: a usable origin and
 * issued_at, the origin named by the topic and the certificate, issued_at
 * not ahead of arrival; then (unless deferred) the certificate in force at
 * arrival, whose failure *stale receives when the caller accepts it. */
static int check_claims(struct fsb_trust *t, const struct fsb_open_opts *o,
			const struct fsb_envelope *env, const char *origin, const char *issued_at,
			int64_t *issued_at_ms, int *stale, char *err, size_t errlen)
{
	if (fsb_fmt_slug(origin)) {
		snprintf(err, errlen, "header.origin missing or malformed");
		return FSB_EINVALID;
	}
	if (fsb_fmt_timestamp(issued_at, issued_at_ms)) {
		snprintf(err, errlen, "issuedAt missing or malformed; certificate validity cannot be judged");
		return FSB_EINVALID;
	}
	if (o->topic_origin && strcmp(o->topic_origin, origin) != 0) {
		snprintf(err, errlen, "message of origin \"%s\" published under topic origin \"%s\"",
			 origin, o->topic_origin);
		return FSB_EORIGIN;
	}
	int rc = fsb_trust_identity(t, env->signer_cert, env->signer_cert_len, origin, NULL, err,
				    errlen);
	if (rc)
		return rc;
	if (*issued_at_ms > o->arrival_ms + o->max_skew_ms) {
		snprintf(err, errlen, "issuedAt %s is more than %lld s ahead of arrival", issued_at,
			 (long long)(o->max_skew_ms / 1000));
		return FSB_EFUTURE;
	}
	if (o->defer_signature)
		return 0;
	rc = fsb_trust_in_force(t, env->signer_cert, env->signer_cert_len, *issued_at_ms,
				o->arrival_ms, o->max_skew_ms, err, errlen);
	if ((rc == FSB_EREVOKED || rc == FSB_EEXPIRED) && stale) {
		*stale = rc;
		return 0;
	}
	return rc;
}

int fsb_seal_open(struct fsb_trust *t, const uint8_t *buf, size_t len, const struct fsb_open_opts *o,
	     struct fsb_opened *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t cap = o->max_bytes ? o->max_bytes : FSB_CODEC_DEFAULT_MAX_BYTES;
	int rc = open_envelope(t, buf, len, o, FSB_DOMAIN_MESSAGE, &out->env, err, errlen);
	if (rc)
		return fail(out, rc, NULL, 0, "%s", "");
	/* From here on the payload is what the certificate's key signed
	 * (unless deferred: then only decoded, and believed by nobody yet). */
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	rc = fsb_message_unpack(out->env.payload, out->env.payload_len, cap, &out->msg, &errs);
	if (rc)
		return fail(out, rc, err, errlen, "signed payload not readable: %s", errs.items[0].msg);
	struct fsb_header h;
	fsb_message_header(out->msg, &h);
	char why[sizeof out->stale_why];
	rc = check_claims(t, o, &out->env, h.origin, h.issued_at, &out->issued_at_ms,
			  o->accept_stale ? &out->stale : NULL, why, sizeof why);
	if (rc) {
		snprintf(err, errlen, "%s", why);
		return fail(out, rc, NULL, 0, "%s", "");
	}
	if (out->stale)
		snprintf(out->stale_why, sizeof out->stale_why, "%s", why);
	fsb_sign_sha256(out->env.payload, out->env.payload_len, out->payload_hash);
	fsb_errlist_init(&errs);
	if (fsb_message_validate(out->msg, FSB_VALIDATE_SEALED, &errs)) {
		out->warnings = malloc(sizeof errs);
		if (!out->warnings)
			return fail(out, FSB_ENOMEM, err, errlen, "out of memory");
		*out->warnings = errs;
	}
	return 0;
}

int fsb_seal_verify(struct fsb_trust *t, const uint8_t *buf, size_t len, const char *origin,
		    int64_t issued_at_ms, int64_t arrival_ms, int64_t skew_ms, char *err,
		    size_t errlen)
{
	struct fsb_envelope_view v;
	if (fsb_envelope_view(buf, len, &v)) {
		snprintf(err, errlen, "envelope not readable");
		return FSB_EDECODE;
	}
	int rc = fsb_trust_identity(t, v.signer_cert, v.signer_cert_len, origin, NULL, err, errlen);
	if (rc == 0)
		rc = fsb_trust_signature(t, v.signer_cert, v.signer_cert_len, FSB_DOMAIN_MESSAGE,
					 v.payload, v.payload_len, v.signature, v.signature_len, err,
					 errlen);
	if (rc == 0)
		rc = fsb_trust_in_force(t, v.signer_cert, v.signer_cert_len, issued_at_ms, arrival_ms,
					skew_ms, err, errlen);
	return rc;
}

int fsb_seal_control(struct fsb_signer *s, const struct fsb_control *c, uint8_t **env,
		     size_t *env_len)
{
	uint8_t *payload;
	size_t payload_len;
	int rc = fsb_control_pack(c, &payload, &payload_len);
	if (rc)
		return rc;
	uint8_t sig[FSB_SIG_MAX];
	size_t sig_len, cert_len;
	if ((rc = fsb_signer_sign(s, FSB_DOMAIN_CONTROL, payload, payload_len, sig, &sig_len)) == 0) {
		const uint8_t *cert = fsb_signer_cert(s, &cert_len);
		struct fsb_envelope e = {payload, payload_len, sig, sig_len, (uint8_t *)cert, cert_len};
		rc = fsb_envelope_pack(&e, env, env_len);
	}
	free(payload);
	return rc;
}

int fsb_seal_open_control(struct fsb_trust *t, const uint8_t *buf, size_t len,
		     const struct fsb_open_opts *o, struct fsb_control *out, char *err,
		     size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct fsb_envelope env;
	size_t cap = o->max_bytes ? o->max_bytes : FSB_CODEC_DEFAULT_MAX_BYTES;
	int64_t issued_ms;
	struct fsb_open_opts strict = *o;
	strict.defer_signature = 0;
	memset(&env, 0, sizeof env);
	int rc = open_envelope(t, buf, len, &strict, FSB_DOMAIN_CONTROL, &env, err, errlen);
	if (rc == 0)
		rc = fsb_control_unpack(env.payload, env.payload_len, cap, out, err, errlen);
	if (rc == 0)
		rc = check_claims(t, &strict, &env, out->origin, out->issued_at, &issued_ms, NULL, err,
				  errlen);
	fsb_envelope_clear(&env);
	if (rc)
		fsb_control_clear(out);
	return rc;
}
