/* seal.h - from a message to a signed envelope, and back.
 *
 * Sealing stamps the header, serializes the message once, signs exactly
 * those bytes and wraps them with the signer's certificate. Opening checks
 * in the only safe order (PROTOCOL.md, "Accepting a message"): size cap and
 * envelope framing; the certificate's identity (a trusted CA's fsbridge
 * signing certificate); the signature over the payload bytes as received
 * (nothing is re-serialized); then the now authenticated header: origin
 * against certificate and topic, issued_at against the clock, and whether
 * the certificate was in force when the envelope arrived. Content rules are
 * checked last and do not fail the open (a signed payload that breaks them
 * is stored with warnings): they come back as warnings.
 */
#ifndef FSB_SEAL_H
#define FSB_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "bounds.h"
#include "sign.h"

/* Stamps m, packs it, signs it and packs the envelope into a malloc'd
 * *env of *env_len bytes; payload_hash gets SHA-256 of the payload. The
 * stamped message must pass the sealed content rules (FSB_EINVALID, with
 * every problem in errs, which may be NULL); nothing invalid is ever
 * signed. */
int fsb_seal_message(struct fsb_signer *s, struct fsb_message *m, const struct fsb_stamp *stamp,
	     uint8_t **env, size_t *env_len, uint8_t payload_hash[FSB_SHA256_LEN],
	     struct fsb_errlist *errs);

/* One sealed message of a run. */
struct fsb_sealed {
	uint8_t *env; /* malloc'd */
	size_t env_len;
	uint8_t payload_hash[FSB_SHA256_LEN];
};

/* Seals msgs[0..n) as consecutive messages of one stream, as n calls of
 * fsb_seal_message() would: message i gets seq first->seq + i and, as prev_hash, the
 * payload hash of message i - 1 (first->prev_hash for message 0). The
 * signatures are computed on several threads (fsb_signer_sign_many). On
 * failure nothing is left in out, and *failed (when not NULL) is the index
 * of the message at fault, or n when the fault is no message's. */
int fsb_seal_run(struct fsb_signer *s, struct fsb_message **msgs, size_t n,
		 const struct fsb_stamp *first, struct fsb_sealed *out, size_t *failed,
		 struct fsb_errlist *errs);

/* Frees the envelopes of out[0..n). */
void fsb_seal_clear(struct fsb_sealed *out, size_t n);

struct fsb_open_opts {
	size_t max_bytes;         /* cap on the envelope; 0 = FSB_CODEC_DEFAULT_MAX_BYTES */
	const char *topic_origin; /* origin named by the topic, or NULL to skip */
	int64_t arrival_ms;       /* when it arrived (the certificate must be in force then) */
	int64_t max_skew_ms;      /* how far issued_at may be ahead of arrival, and the
				   * tolerance on the certificate's validity at arrival */
	/* Check the framing, the header, and the certificate's identity and
	 * origin only: the signature and whether the certificate was in force
	 * are left to fsb_seal_verify(), for a payload that a hash link from a
	 * verified message may vouch for (PROTOCOL.md, "Validity at arrival"). */
	int defer_signature;
	/* Open, rather than fail, an authentic message whose certificate was
	 * not in force at arrival (revoked, expired, not yet valid): out->stale
	 * says why. Such a message may only be accepted when a later message of
	 * its stream, itself in force, links to it. */
	int accept_stale;
};

/* An opened envelope. Owned by the caller; release with fsb_seal_opened_clear(). */
struct fsb_opened {
	struct fsb_envelope env;       /* payload, signature, certificate as received */
	struct fsb_message *msg;       /* the decoded payload */
	uint8_t payload_hash[FSB_SHA256_LEN];
	int64_t issued_at_ms;
	struct fsb_errlist *warnings;  /* content rules broken, or NULL when none */
	int stale;                     /* 0, or (accept_stale) FSB_EREVOKED / FSB_EEXPIRED */
	char stale_why[256];           /* why, when stale */
};

/* Opens buf. Returns 0, or the first failure: FSB_ETOOBIG, FSB_EDECODE
 * (envelope or payload not decodable), FSB_ECERT, FSB_EUNTRUSTED,
 * FSB_EORIGIN, FSB_ESIGNATURE, FSB_EINVALID (header without a usable origin
 * or issuedAt), FSB_EFUTURE, FSB_EREVOKED, FSB_EEXPIRED (the last two
 * after the signature was verified: the message is authentic, see
 * accept_stale); err gets one line saying why. On failure *out is empty. */
int fsb_seal_open(struct fsb_trust *t, const uint8_t *buf, size_t len, const struct fsb_open_opts *o,
	     struct fsb_opened *out, char *err, size_t errlen);

/* The checks that defer_signature left out, on the envelope's raw bytes
 * (which fsb_seal_open() accepted with that option): the signature, then whether
 * the certificate was in force at arrival_ms for a message of `origin`
 * issued at issued_at_ms. FSB_EREVOKED and FSB_EEXPIRED come only after
 * the signature verified. */
int fsb_seal_verify(struct fsb_trust *t, const uint8_t *buf, size_t len, const char *origin,
		    int64_t issued_at_ms, int64_t arrival_ms, int64_t skew_ms, char *err,
		    size_t errlen);

/* Releases what an open filled; safe on an empty or cleared struct. */
void fsb_seal_opened_clear(struct fsb_opened *o);

/* Signs a control message (checkpoint, sync request) as c->origin and packs
 * the envelope into a malloc'd *env. */
int fsb_seal_control(struct fsb_signer *s, const struct fsb_control *c, uint8_t **env,
		     size_t *env_len);

/* Opens a control envelope with the same checks as fsb_seal_open() (identity,
 * signature in the Control domain, origin against certificate and topic,
 * issued_at against the clock, the certificate in force at arrival; a
 * control message is never accepted stale), filling *out. */
int fsb_seal_open_control(struct fsb_trust *t, const uint8_t *buf, size_t len,
		     const struct fsb_open_opts *o, struct fsb_control *out, char *err,
		     size_t errlen);

#endif
