/* codec_case.c - what a message says about the case it belongs to.
 *
 * Two readings with two purposes. fsb_payload_links() reads the few fields
 * that place a message in a case (its kind, follow-up type and reference,
 * whether a root calls for action) straight off the serialized bytes, so
 * the store can index every entry it appends, rebuilds or checks without
 * decoding it; it follows the decoder's semantics for fields that appear
 * more than once, so the bytes and the decoded message never disagree.
 * fsb_message_case_facts() reads a decoded message for the case view.
 */
#include "codec_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define V1(prefix, name) FOODSAFETY__V1__##prefix##__##prefix##_##name

_Static_assert((int)FSB_FU_ACKNOWLEDGEMENT == (int)V1(FOLLOW_UP_TYPE, ACKNOWLEDGEMENT) &&
		       (int)FSB_FU_REQUEST == (int)V1(FOLLOW_UP_TYPE, REQUEST_FOR_INFORMATION) &&
		       (int)FSB_FU_RESPONSE == (int)V1(FOLLOW_UP_TYPE, RESPONSE) &&
		       (int)FSB_FU_CLOSURE == (int)V1(FOLLOW_UP_TYPE, CLOSURE) &&
		       (int)FSB_FU_WITHDRAWAL == (int)V1(FOLLOW_UP_TYPE, WITHDRAWAL) &&
		       (int)FSB_FU_INFORMATION == (int)V1(FOLLOW_UP_TYPE, ADDITIONAL_INFORMATION),
	       "enum fsb_followup_type follows FollowUpType");

/* Field numbers of the schema read here. */
enum {
	MSG_SURVEILLANCE = 2, MSG_QUARANTINE = 3, MSG_RECALL = 4, MSG_FOLLOWUP = 5,
	MSG_CERTIFICATION = 6,
	SURV_VERDICT = 7, NOTICE_TYPE = 1, FU_TYPE = 1, FU_REF = 2, CERT_REF = 10,
};

static int notice_alerts(uint64_t type)
{
	return type == V1(NOTICE_TYPE, CERTIFICATE_REVOKED) ||
	       type == V1(NOTICE_TYPE, CONSIGNMENT_REJECTED) ||
	       type == V1(NOTICE_TYPE, OUTBREAK_DECLARED) || type == V1(NOTICE_TYPE, OUTBREAK_UPDATE);
}

/* The value of varint field `num` in the submessage, last one wins;
 * *seen tells whether it occurred. -1 on bad framing. */
static int sub_varint(const uint8_t *p, size_t len, uint32_t num, uint64_t *v, int *seen)
{
	struct fsb_pbwire_field f;
	for (size_t off = 0; off < len;) {
		if (fsb_pbwire_next(p, len, &off, &f))
			return -1;
		if (f.num == num && f.wt == 0) {
			*v = f.val;
			*seen = 1;
		}
	}
	return 0;
}

int fsb_payload_links(const uint8_t *payload, size_t len, struct fsb_links *out)
{
	memset(out, 0, sizeof *out);
	uint32_t body = 0;
	uint64_t inner = 0; /* the body's deciding varint: verdict, notice or follow-up type */
	const uint8_t *ref = NULL;
	size_t ref_len = 0;
	struct fsb_pbwire_field f;
	for (size_t off = 0; off < len;) {
		if (fsb_pbwire_next(payload, len, &off, &f))
			return FSB_EDECODE;
		if (f.num < MSG_SURVEILLANCE || f.num > MSG_CERTIFICATION || f.wt != 2)
			continue;
		if (f.num != body) { /* another member of the oneof replaces the body */
			body = f.num;
			inner = 0;
			ref = NULL;
			ref_len = 0;
		}
		/* A repeated occurrence of the same body merges into it: its
		 * scalars, where present, win. */
		int seen = 0;
		uint64_t v = 0;
		uint32_t want = body == MSG_SURVEILLANCE ? SURV_VERDICT
			      : body == MSG_QUARANTINE ? NOTICE_TYPE : FU_TYPE; /* = CERT_TYPE */
		if (body != MSG_RECALL && sub_varint(f.data, f.val, want, &v, &seen))
			return FSB_EDECODE;
		if (seen)
			inner = v;
		if (body == MSG_FOLLOWUP || body == MSG_CERTIFICATION) {
			uint32_t ref_num = body == MSG_FOLLOWUP ? FU_REF : CERT_REF;
			struct fsb_pbwire_field g;
			for (size_t o2 = 0; o2 < f.val;) {
				if (fsb_pbwire_next(f.data, f.val, &o2, &g))
					return FSB_EDECODE;
				if (g.num == ref_num && g.wt == 2) {
					ref = g.data;
					ref_len = g.val;
				}
			}
		}
	}
	switch (body) {
	case MSG_SURVEILLANCE:
		out->kind = FSB_KIND_SURVEILLANCE;
		out->alerting = inner == V1(VERDICT, NON_COMPLIANT);
		break;
	case MSG_QUARANTINE:
		out->kind = FSB_KIND_QUARANTINE;
		out->alerting = notice_alerts(inner);
		break;
	case MSG_RECALL:
		out->kind = FSB_KIND_RECALL;
		out->alerting = 1;
		break;
	case MSG_FOLLOWUP:
		out->kind = FSB_KIND_FOLLOWUP;
		out->type = inner <= FSB_FU_MAX ? (enum fsb_followup_type)inner : FSB_FU_NONE;
		break;
	case MSG_CERTIFICATION:
		out->kind = FSB_KIND_CERTIFICATION;
		break;
	}
	/* Up to a NUL, as the decoded message's C string reads (such a string
	 * breaks a content rule, and is kept with a warning). */
	if (ref && ref_len) {
		size_t n = strnlen((const char *)ref, ref_len);
		if (n <= FSB_MESSAGE_ID_MAX) {
			memcpy(out->ref_id, ref, n);
			out->ref_id[n] = '\0';
			if (fsb_fmt_message_id(out->ref_id, NULL, NULL))
				out->ref_id[0] = '\0';
		}
	}
	return 0;
}

int fsb_envelope_links(const uint8_t *envelope, size_t len, struct fsb_links *out)
{
	struct fsb_envelope_view v;
	int rc = fsb_envelope_view(envelope, len, &v);
	if (rc) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	return fsb_payload_links(v.payload, v.payload_len, out);
}

const char *fsb_followup_type_name(enum fsb_followup_type t)
{
	return fsb_pb_enum_name(&foodsafety__v1__follow_up_type__descriptor, (int)t);
}

/* ---- the case view's reading ---------------------------------------------- */

static void take_measures(struct fsb_case_facts *f, size_t n, Foodsafety__V1__Measure *const *m)
{
	f->n_measures = n;
	for (size_t i = 0; i < n && i < FSB_FACTS_MEASURES; i++)
		f->measures[i] = fsb_pb_enum_name(&foodsafety__v1__measure_type__descriptor, m[i]->type);
}

void fsb_message_case_facts(const struct fsb_message *m, struct fsb_case_facts *f)
{
	memset(f, 0, sizeof *f);
	fsb_message_header(m, &f->header);
	const Foodsafety__V1__Message *pb = m->pb;
	const Foodsafety__V1__Header *h = pb->header;
	f->officer = f->subject = f->text = f->reason = f->ref_id = "";
	f->issued_at_ms = f->detected_at_ms = f->respond_by_ms = INT64_MIN;
	if (h) {
		f->officer = h->issuer && h->issuer->contact ? fsb_pb_str(h->issuer->contact->name) : "";
		f->category = fsb_pb_enum_name(&foodsafety__v1__category__descriptor, h->category);
		f->recipients = (const char *const *)h->recipients;
		f->n_recipients = h->n_recipients;
		f->issued_at_ms = fsb_pb_time_ms(h->issued_at);
		f->detected_at_ms = fsb_pb_time_ms(h->detected_at);
	}
	const ProtobufCEnumDescriptor *cls = &foodsafety__v1__rasff_classification__descriptor;
	const ProtobufCEnumDescriptor *rc = &foodsafety__v1__recall_class__descriptor;
	const ProtobufCEnumDescriptor *risk = &foodsafety__v1__risk_decision__descriptor;
	switch (pb->body_case) {
	case FOODSAFETY__V1__MESSAGE__BODY_SURVEILLANCE: {
		const Foodsafety__V1__SurveillanceResult *s = pb->surveillance;
		f->verdict = fsb_pb_enum_name(&foodsafety__v1__verdict__descriptor, s->overall_verdict);
		if (s->product && s->product->name && s->product->name[0])
			f->subject = s->product->name;
		else if (s->n_results)
			f->subject = fsb_pb_str(s->results[0]->analyte);
		f->text = fsb_pb_str(s->conclusion);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_QUARANTINE: {
		const Foodsafety__V1__QuarantineNotice *q = pb->quarantine;
		f->notice_type = fsb_pb_enum_name(&foodsafety__v1__notice_type__descriptor, q->notice_type);
		if (q->n_commodities)
			f->subject = fsb_pb_str(q->commodities[0]->name);
		f->text = fsb_pb_str(q->remarks);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_RECALL: {
		const Foodsafety__V1__RecallAlert *r = pb->recall;
		f->classification = fsb_pb_enum_name(cls, r->classification);
		f->recall_class = fsb_pb_enum_name(rc, r->recall_class);
		f->risk = fsb_pb_enum_name(risk, r->risk_decision);
		if (r->n_products)
			f->subject = fsb_pb_str(r->products[0]->name);
		f->reason = fsb_pb_str(r->reason);
		take_measures(f, r->n_measures, r->measures);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_FOLLOWUP: {
		const Foodsafety__V1__FollowUp *u = pb->followup;
		f->type = (int)u->type >= 0 && (int)u->type <= FSB_FU_MAX ? (enum fsb_followup_type)u->type
								  : FSB_FU_NONE;
		f->ref_id = fsb_pb_str(u->ref_message_id);
		f->ref_hash = u->ref_payload_hash.len == FSB_HASH_LEN ? u->ref_payload_hash.data : NULL;
		f->text = fsb_pb_str(u->text);
		f->reason = fsb_pb_str(u->reason);
		f->respond_by_ms = fsb_pb_time_ms(u->respond_by);
		f->classification = fsb_pb_enum_name(cls, u->new_classification);
		f->recall_class = fsb_pb_enum_name(rc, u->new_recall_class);
		f->risk = fsb_pb_enum_name(risk, u->new_risk_decision);
		take_measures(f, u->n_measures, u->measures);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_CERTIFICATION: {
		const Foodsafety__V1__CertificationNotice *c = pb->certification;
		f->notice_type = fsb_pb_enum_name(&foodsafety__v1__certification_notice_type__descriptor, c->type);
		f->subject = c->holder ? fsb_pb_str(c->holder->name) : "";
		f->ref_id = fsb_pb_str(c->ref_message_id);
		f->ref_hash = c->ref_payload_hash.len == FSB_HASH_LEN ? c->ref_payload_hash.data : NULL;
		f->reason = fsb_pb_str(c->reason);
		f->text = fsb_pb_str(c->remarks);
		break;
	}
	default:
		break;
	}
}

int fsb_message_set_ref_hash(struct fsb_message *m, const uint8_t hash[FSB_HASH_LEN])
{
	Foodsafety__V1__Message *pb = m->pb;
	ProtobufCBinaryData *b;
	if (pb->body_case == FOODSAFETY__V1__MESSAGE__BODY_FOLLOWUP)
		b = &pb->followup->ref_payload_hash;
	else if (pb->body_case == FOODSAFETY__V1__MESSAGE__BODY_CERTIFICATION)
		b = &pb->certification->ref_payload_hash;
	else
		return FSB_EINVAL;
	if (b->len != FSB_HASH_LEN) {
		/* protobuf-c frees a decoded or mapped message's fields with free() */
		uint8_t *p = malloc(FSB_HASH_LEN);
		if (!p)
			return FSB_ENOMEM;
		free(b->data);
		b->data = p;
		b->len = FSB_HASH_LEN;
	}
	memcpy(b->data, hash, FSB_HASH_LEN);
	return 0;
}
