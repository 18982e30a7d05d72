/* submit.c - checking and committing submissions. */
#include "submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "seal.h"

int fsb_submission_check(const char *text, size_t len, enum fsb_kind kind, const char *origin,
			 size_t max_bytes, struct fsb_message **out, size_t *out_len,
			 struct fsb_errlist *errs)
{
	struct fsb_message *m = NULL;
	uint8_t *packed = NULL;
	size_t packed_len = 0;
	*out = NULL;
	size_t before = fsb_errlist_count(errs);
	int rc = fsb_message_from_json(text, len, kind, &m, errs);
	if (rc == 0)
		rc = fsb_message_validate(m, 0, errs);
	if (rc == 0 && (rc = fsb_message_pack(m, &packed, &packed_len)) == 0 &&
	    packed_len > max_bytes) {
		fsb_errlist_add(errs, "", "packed message of %zu bytes exceeds the cap of %zu bytes",
				packed_len, max_bytes);
		rc = FSB_ETOOBIG;
	}
	free(packed);
	if (rc == 0 && origin) {
		struct fsb_header h;
		fsb_message_header(m, &h);
		if (h.origin[0] && strcmp(h.origin, origin) != 0)
			fsb_errlist_add(errs, "header.origin", "is \"%s\", but this node is \"%s\"",
					h.origin, origin);
		if (h.seq || h.prev_hash || h.message_id[0] || h.issued_at[0])
			fsb_errlist_add(errs, "header",
					"seq, prevHash, messageId and issuedAt are set by the node when it signs; leave them out");
		if (fsb_errlist_count(errs) != before)
			rc = FSB_EINVALID;
	}
	if (rc) {
		if (fsb_errlist_count(errs) == before)
			fsb_errlist_add(errs, "", "%s", fsb_strerror(rc));
		fsb_message_free(m);
		return rc;
	}
	*out = m;
	if (out_len)
		*out_len = packed_len;
	return 0;
}

struct batch {
	struct fsb_signer *signer;
	const char *origin;
	struct fsb_message **msgs;
	size_t n;
	struct fsb_sealed *sealed; /* the whole batch */
	int have_sealed;
	uint64_t sealed_seq;       /* the seq, link and time it was sealed from */
	uint8_t sealed_prev[FSB_HASH_LEN];
	int64_t sealed_at;
	char (*categories)[FSB_CATEGORY_MAX + 1];
	int64_t now;
	char issued_at[FSB_TIME_MAX + 1];
	fsb_submit_progress progress;
	struct fsb_errlist *errs;
	char *err;
	size_t errlen;
	int refs_in_batch;         /* a follow-up refers to an earlier message of the batch */
};

/* Seals the whole batch as seq, seq + 1, ... after the link prev, issued
 * now, or when the message before was issued if the clock went back (the
 * stream's issued_at never goes backwards): the stamps of the others follow
 * from the first (fsb_seal_run), and their signatures are computed
 * together, on every core. */
static int seal_batch(struct batch *b, uint64_t seq, const uint8_t prev[FSB_HASH_LEN],
		      int64_t prev_issued)
{
	if (b->have_sealed)
		fsb_seal_clear(b->sealed, b->n);
	b->have_sealed = 0;
	b->sealed_at = b->now > prev_issued ? b->now : prev_issued;
	fsb_fmt_time(b->sealed_at, b->issued_at);
	struct fsb_stamp st = {.origin = b->origin, .seq = seq, .issued_at = b->issued_at};
	memcpy(st.prev_hash, prev, FSB_HASH_LEN);
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	size_t bad = b->n;
	int rc = fsb_seal_run(b->signer, b->msgs, b->n, &st, b->sealed, &bad, &errs);
	if (rc && b->errs)
		for (size_t k = 0; k < errs.n; k++)
			fsb_errlist_add(b->errs, errs.items[k].path, "%s", errs.items[k].msg);
	if (rc && bad < b->n)
		snprintf(b->err, b->errlen, "message %zu of the batch: %s%s%s", bad + 1,
			 errs.n ? errs.items[0].path : fsb_strerror(rc), errs.n ? ": " : "",
			 errs.n ? errs.items[0].msg : "");
	else if (rc)
		snprintf(b->err, b->errlen, "cannot sign the batch: %s", fsb_strerror(rc));
	b->have_sealed = rc == 0;
	b->sealed_seq = seq;
	memcpy(b->sealed_prev, prev, FSB_HASH_LEN);
	return rc;
}

/* Seals the batch after the stream's current head, before the write
 * transaction: signing takes a while, and the transaction would keep every
 * other writer (the node committing what it receives) waiting. */
static int seal_ahead(struct fsb_store *store, struct batch *b)
{
	uint64_t seq;
	uint8_t prev[FSB_HASH_LEN];
	int64_t prev_issued;
	int rc = fsb_store_head(store, b->origin, &seq, prev, &prev_issued);
	if (rc) {
		snprintf(b->err, b->errlen, "%s", fsb_store_error(store));
		return rc;
	}
	return seal_batch(b, seq + 1, prev, prev_issued);
}

/* fsb_seal_fn: hands the store entry i of the sealed batch, sealing it
 * again first if another writer moved the stream on since it was sealed. */
static int seal_one(void *ctx, size_t i, uint64_t seq, const uint8_t prev[FSB_HASH_LEN],
		    int64_t prev_issued, struct fsb_entry_in *out)
{
	struct batch *b = ctx;
	int rc;
	if (i == 0 && (!b->have_sealed || b->sealed_seq != seq ||
		       memcmp(b->sealed_prev, prev, FSB_HASH_LEN) != 0 || b->sealed_at < prev_issued)) {
		/* The ids its follow-ups refer to are no longer the batch's own. */
		if (b->have_sealed && b->sealed_seq != seq && b->refs_in_batch) {
			snprintf(b->err, b->errlen,
				 "another submission took %s:%llu while this batch was signed, and the "
				 "batch refers to its own messages by id: submit it again",
				 b->origin, (unsigned long long)b->sealed_seq);
			return FSB_EINVAL;
		}
		if ((rc = seal_batch(b, seq, prev, prev_issued)))
			return rc;
	}
	size_t cert_len;
	out->envelope = b->sealed[i].env;
	out->envelope_len = b->sealed[i].env_len;
	memcpy(out->payload_hash, b->sealed[i].payload_hash, FSB_HASH_LEN);
	out->origin = b->origin;
	out->seq = seq;
	memcpy(out->prev_hash, prev, FSB_HASH_LEN);
	out->kind = fsb_message_kind(b->msgs[i]);
	out->category = fsb_message_category(b->msgs[i], b->categories[i]);
	out->issued_at_ms = b->sealed_at;
	out->arrival_ms = b->now;
	out->direction = FSB_DIR_SENT;
	out->status = FSB_STATUS_ACCEPTED;
	out->cert = fsb_signer_cert(b->signer, &cert_len);
	out->cert_len = cert_len;
	if (b->progress)
		b->progress(i + 1, b->n);
	return 0;
}

/* A follow-up must refer to a message this node holds (the thread is
 * the node's own evidence), and a certification notice that changes
 * another to a certification notice it holds; the node fills in that
 * message's payload hash. A response must answer a request for
 * information. Says what is wrong in errs (with the field path) and err
 * (with the item). */
static int check_link(struct fsb_store *store, struct batch *b, size_t item, uint64_t head)
{
	struct fsb_message *m = b->msgs[item];
	struct fsb_errlist *errs = b->errs;
	char *err = b->err;
	size_t errlen = b->errlen;
	struct fsb_case_facts f;
	fsb_message_case_facts(m, &f);
	enum fsb_kind kind = fsb_message_kind(m);
	if (!f.ref_id[0])
		return 0;
	const char *path = kind == FSB_KIND_CERTIFICATION ? "certification.refMessageId"
							  : "followup.refMessageId";
	char why[FSB_ERRMSG_MAX] = "";
	enum fsb_followup_type ref_type = FSB_FU_NONE;
	enum fsb_kind ref_kind = FSB_KIND_NONE;
	int rc = 0;
	char ref_origin[FSB_ORIGIN_MAX + 1];
	uint64_t ref_seq;
	if (!fsb_fmt_message_id(f.ref_id, ref_origin, &ref_seq) && strcmp(ref_origin, b->origin) == 0 &&
	    ref_seq > head && ref_seq - head <= item) {
		/* An earlier message of this batch: held once the batch commits,
		 * and hashed as it is sealed (fsb_seal_run). */
		struct fsb_case_facts q;
		fsb_message_case_facts(b->msgs[ref_seq - head - 1], &q);
		ref_type = q.type;
		ref_kind = fsb_message_kind(b->msgs[ref_seq - head - 1]);
		b->refs_in_batch = 1;
	} else {
		uint64_t index;
		struct fsb_entry e = {0};
		struct fsb_links l;
		rc = fsb_store_find_id(store, f.ref_id, &index);
		if (rc == FSB_ENOTFOUND) {
			snprintf(why, sizeof why,
				 "%s is not held by this node: a %s refers to a message it holds", f.ref_id,
				 kind == FSB_KIND_CERTIFICATION ? "certification notice" : "follow-up");
		} else if (rc || (rc = fsb_store_get(store, index, &e))) {
			snprintf(err, errlen, "%s", fsb_store_error(store));
			return rc;
		} else if (f.ref_hash && memcmp(f.ref_hash, e.payload_hash, FSB_HASH_LEN) != 0) {
			path = kind == FSB_KIND_CERTIFICATION ? "certification.refPayloadHash"
							      : "followup.refPayloadHash";
			snprintf(why, sizeof why,
				 "is not the hash of %s as this node holds it (leave it out: the node fills it in)",
				 f.ref_id);
		} else {
			if (fsb_envelope_links(e.envelope, e.envelope_len, &l) == 0) {
				ref_type = l.type;
				ref_kind = l.kind;
			}
			rc = fsb_message_set_ref_hash(m, e.payload_hash);
		}
		fsb_entry_clear(&e);
	}
	if (!why[0] && rc == 0 && f.type == FSB_FU_RESPONSE && ref_type != FSB_FU_REQUEST)
		snprintf(why, sizeof why, "%s is not a request for information: a response answers one",
			 f.ref_id);
	if (!why[0] && rc == 0 && kind == FSB_KIND_CERTIFICATION && ref_kind != FSB_KIND_CERTIFICATION)
		snprintf(why, sizeof why,
			 "%s is not a certification notice: a renewal, suspension, withdrawal or expiry "
			 "changes one", f.ref_id);
	if (why[0]) {
		if (errs)
			fsb_errlist_add(errs, path, "%s", why);
		snprintf(err, errlen, "message %zu of the batch: %s: %s", item + 1, path, why);
		return FSB_EINVALID;
	}
	if (rc)
		snprintf(err, errlen, "message %zu of the batch: %s", item + 1, fsb_strerror(rc));
	return rc;
}

int fsb_submit_commit(struct fsb_store *store, struct fsb_signer *signer, const char *origin,
		      struct fsb_message **msgs, size_t n, fsb_submit_progress progress,
		      struct fsb_errlist *errs, char *err, size_t errlen)
{
	struct batch b = {.signer = signer, .origin = origin, .msgs = msgs, .n = n,
			  .progress = progress, .errs = errs, .err = err, .errlen = errlen};
	uint64_t head;
	uint8_t head_hash[FSB_HASH_LEN];
	int lrc = fsb_store_head(store, origin, &head, head_hash, NULL);
	if (lrc) {
		snprintf(err, errlen, "%s", fsb_store_error(store));
		return lrc;
	}
	for (size_t i = 0; i < n; i++)
		if ((lrc = check_link(store, &b, i, head)))
			return lrc;
	b.sealed = calloc(n ? n : 1, sizeof *b.sealed);
	b.categories = calloc(n ? n : 1, sizeof *b.categories);
	int rc = FSB_ENOMEM;
	if (b.sealed && b.categories) {
		err[0] = '\0';
		b.now = fsb_fmt_now_ms();
		rc = seal_ahead(store, &b);
		if (rc == 0)
			rc = fsb_store_append_own(store, n, seal_one, &b, NULL);
		if (rc && !err[0])
			snprintf(err, errlen, "%s", fsb_store_error(store));
	}
	if (b.have_sealed)
		fsb_seal_clear(b.sealed, n);
	free(b.sealed);
	free(b.categories);
	return rc;
}
