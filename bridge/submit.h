/* submit.h - taking submissions, for `fsbridge submit` and the node's local
 * JSON side alike: nothing is sent before it is committed (README, "How it
 * fits together").
 *
 * A submission is checked whole first (JSON mapping, content rules, size,
 * header fields only the node may set); then a batch of them is sequenced,
 * sealed and committed to the log and outbox in one transaction, and is
 * durable when fsb_submit_commit() returns.
 */
#ifndef FSB_SUBMIT_H
#define FSB_SUBMIT_H

#include <stddef.h>

#include "codec.h"
#include "sign.h"
#include "store.h"

/* Checks one JSON submission. `origin` (the node's; NULL skips the check)
 * must match header.origin where the submitter gave one; seq, prevHash,
 * messageId and issuedAt must be absent. Every problem goes to errs; *out
 * (and *packed_len, its size as protobuf, when not NULL) is set only when
 * there is none. */
int fsb_submission_check(const char *text, size_t len, enum fsb_kind kind, const char *origin,
			 size_t max_bytes, struct fsb_message **out, size_t *packed_len,
			 struct fsb_errlist *errs);

/* Called as each message of a batch goes into the log, once the batch is
 * sealed (done counts from 1). */
typedef void (*fsb_submit_progress)(size_t done, size_t total);

/* Sequences, seals (signed by `signer` as `origin`, issued now) and commits
 * msgs[0..n) in one transaction. A follow-up must first refer to a message
 * the store holds (the node fills in its refPayloadHash, and refuses one
 * that differs), and a response must refer to a request for information:
 * FSB_EINVALID otherwise, nothing committed. The messages are stamped in place, so
 * their ids can be read afterwards. On failure nothing is committed and err
 * says why; a rule that only the stamped message can break (a follow-up
 * referring to a later message of its own origin) also goes to errs, with
 * its field path, when errs is not NULL. */
int fsb_submit_commit(struct fsb_store *store, struct fsb_signer *signer, const char *origin,
		      struct fsb_message **msgs, size_t n, fsb_submit_progress progress,
		      struct fsb_errlist *errs, char *err, size_t errlen);

#endif
