/* codec_control.c - control messages (checkpoints and sync requests) to and
 * from bytes.
 *
 * A control message is read into the fixed-size struct fsb_control: every
 * origin in it must be a well-formed slug and every hash 32 bytes, so what
 * the node keeps of a peer's checkpoint is bounded by the checkpoint's
 * count of streams, itself bounded by the size cap.
 */
#include "codec_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fsb_control_pack(const struct fsb_control *c, uint8_t **buf, size_t *len)
{
	Foodsafety__V1__Control pc = FOODSAFETY__V1__CONTROL__INIT;
	Foodsafety__V1__Checkpoint cp = FOODSAFETY__V1__CHECKPOINT__INIT;
	Foodsafety__V1__SyncRequest sr = FOODSAFETY__V1__SYNC_REQUEST__INIT;
	Foodsafety__V1__StreamHead *heads = NULL, **ptrs = NULL;
	pc.origin = (char *)c->origin;
	pc.issued_at = (char *)c->issued_at;
	if (c->type == FSB_CONTROL_CHECKPOINT) {
		heads = calloc(c->n_streams ? c->n_streams : 1, sizeof *heads);
		ptrs = calloc(c->n_streams ? c->n_streams : 1, sizeof *ptrs);
		if (!heads || !ptrs) {
			free(heads);
			free(ptrs);
			return FSB_ENOMEM;
		}
		for (size_t i = 0; i < c->n_streams; i++) {
			foodsafety__v1__stream_head__init(&heads[i]);
			heads[i].origin = (char *)c->streams[i].origin;
			heads[i].seq = c->streams[i].seq;
			heads[i].payload_hash.data = (uint8_t *)c->streams[i].payload_hash;
			heads[i].payload_hash.len = FSB_HASH_LEN;
			ptrs[i] = &heads[i];
		}
		cp.streams = ptrs;
		cp.n_streams = c->n_streams;
		cp.log_index = c->log_index;
		cp.log_head_hash.data = (uint8_t *)c->log_head_hash;
		cp.log_head_hash.len = FSB_HASH_LEN;
		pc.body_case = FOODSAFETY__V1__CONTROL__BODY_CHECKPOINT;
		pc.checkpoint = &cp;
	} else if (c->type == FSB_CONTROL_SYNC) {
		sr.origin = (char *)c->sync_origin;
		sr.from_seq = c->from_seq;
		sr.to_seq = c->to_seq;
		sr.responder = (char *)c->responder;
		pc.body_case = FOODSAFETY__V1__CONTROL__BODY_SYNC_REQUEST;
		pc.sync_request = &sr;
	} else {
		return FSB_EINVAL;
	}
	size_t n = foodsafety__v1__control__get_packed_size(&pc);
	int rc = FSB_ENOMEM;
	if ((*buf = malloc(n ? n : 1))) {
		*len = foodsafety__v1__control__pack(&pc, *buf);
		rc = 0;
	}
	free(heads);
	free(ptrs);
	return rc;
}

void fsb_control_clear(struct fsb_control *c)
{
	free(c->streams);
	memset(c, 0, sizeof *c);
}

/* Copies a slug field, refusing malformed ones. */
static int copy_slug(char *dst, const char *src)
{
	if (!src || fsb_fmt_slug(src))
		return -1;
	strcpy(dst, src);
	return 0;
}

int fsb_control_unpack(const uint8_t *buf, size_t len, size_t max_bytes, struct fsb_control *out,
		       char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (len > max_bytes) {
		snprintf(err, errlen, "control message of %zu bytes exceeds the cap of %zu bytes", len,
			 max_bytes);
		return FSB_ETOOBIG;
	}
	/* Strings must be clean UTF-8 before protobuf-c turns them into C strings. */
	struct fsb_errlist errs;
	struct fsb_path path;
	fsb_errlist_init(&errs);
	fsb_path_init(&path);
	fsb_pbwire_check_strings(&foodsafety__v1__control__descriptor, buf, len, &path, &errs);
	Foodsafety__V1__Control *pc = foodsafety__v1__control__unpack(NULL, len, buf);
	if (!pc || errs.n) {
		snprintf(err, errlen, "not a well-formed Control message%s%s", errs.n ? ": " : "",
			 errs.n ? errs.items[0].path : "");
		if (pc)
			foodsafety__v1__control__free_unpacked(pc, NULL);
		return FSB_EDECODE;
	}
	int rc = FSB_EINVALID;
	const char *why = NULL;
	if (copy_slug(out->origin, pc->origin))
		why = "origin is not a slug";
	else if (!pc->issued_at || fsb_fmt_timestamp(pc->issued_at, NULL) ||
		 strlen(pc->issued_at) >= sizeof out->issued_at)
		why = "issuedAt is not an RFC 3339 time";
	else
		strcpy(out->issued_at, pc->issued_at);
	if (!why && pc->body_case == FOODSAFETY__V1__CONTROL__BODY_CHECKPOINT) {
		const Foodsafety__V1__Checkpoint *cp = pc->checkpoint;
		out->type = FSB_CONTROL_CHECKPOINT;
		out->n_streams = cp->n_streams;
		out->log_index = cp->log_index;
		if (cp->log_head_hash.len == FSB_HASH_LEN)
			memcpy(out->log_head_hash, cp->log_head_hash.data, FSB_HASH_LEN);
		else if (cp->log_head_hash.len)
			why = "checkpoint.logHeadHash is not 32 bytes";
		out->streams = calloc(cp->n_streams ? cp->n_streams : 1, sizeof *out->streams);
		if (!out->streams) {
			rc = FSB_ENOMEM;
			why = "out of memory";
		}
		for (size_t i = 0; !why && i < cp->n_streams; i++) {
			const Foodsafety__V1__StreamHead *h = cp->streams[i];
			if (copy_slug(out->streams[i].origin, h->origin))
				why = "checkpoint.streams: origin is not a slug";
			else if (h->payload_hash.len != FSB_HASH_LEN)
				why = "checkpoint.streams: payloadHash is not 32 bytes";
			else
				memcpy(out->streams[i].payload_hash, h->payload_hash.data, FSB_HASH_LEN);
			out->streams[i].seq = h->seq;
		}
	} else if (!why && pc->body_case == FOODSAFETY__V1__CONTROL__BODY_SYNC_REQUEST) {
		const Foodsafety__V1__SyncRequest *sr = pc->sync_request;
		out->type = FSB_CONTROL_SYNC;
		out->from_seq = sr->from_seq;
		out->to_seq = sr->to_seq;
		if (copy_slug(out->sync_origin, sr->origin) || copy_slug(out->responder, sr->responder))
			why = "syncRequest: origin or responder is not a slug";
		else if (sr->from_seq == 0 || sr->to_seq < sr->from_seq)
			why = "syncRequest: the range is empty or starts at 0";
	} else if (!why) {
		why = "no body: a checkpoint or a sync request is required";
	}
	foodsafety__v1__control__free_unpacked(pc, NULL);
	if (why) {
		snprintf(err, errlen, "%s", why);
		fsb_control_clear(out);
		return rc;
	}
	return 0;
}
