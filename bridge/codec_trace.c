/* codec_trace.c - what a message says about products and establishments.
 *
 * Two readings of a decoded message, for the two halves of tracing:
 * fsb_message_trace_keys() lists what the store's trace index files it
 * under (a GTIN, a GTIN and lot, a tax code, a registration number, a GLN,
 * a chain id), and fsb_message_trace_facts() reads what the trace view
 * shows of it for one target. Both walk the same places of each kind, so a
 * message the index finds for a target is one the facts can match.
 */
#include "codec_internal.h"

#include <limits.h>
#include <string.h>

static const char *str(const char *s)
{
	return s ? s : "";
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	if (v == 0)
		return NULL;
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	return ev ? ev->name : NULL;
}

/* The GTIN-14 of a product, from its gtin or else its Digital Link, and
 * the lot the link names; 0 when it has neither. */
static int product_gtin(const Foodsafety__V1__Product *p, char g14[FSB_GTIN14_LEN + 1],
			char link_lot[FSB_DL_VALUE_MAX + 1])
{
	struct fsb_dl dl;
	link_lot[0] = '\0';
	int linked = p->digital_link && p->digital_link[0] && !fsb_fmt_dl_parse(p->digital_link, &dl);
	if (linked)
		memcpy(link_lot, dl.lot, sizeof dl.lot);
	if (p->gtin && p->gtin[0] && !fsb_fmt_gtin(p->gtin, g14))
		return 1;
	if (linked) {
		memcpy(g14, dl.gtin14, FSB_GTIN14_LEN + 1);
		return 1;
	}
	return 0;
}

/* ---- the keys --------------------------------------------------------------- */

struct keys {
	fsb_trace_key_fn fn;
	void *ctx;
	int rc;
};

static void key(struct keys *k, enum fsb_trace_key type, const char *v)
{
	if (k->rc == 0 && v && v[0] && strlen(v) <= FSB_TRACE_VALUE_MAX)
		k->rc = k->fn(k->ctx, type, v);
}

static void lot_key(struct keys *k, const char *g14, const char *lot)
{
	char v[FSB_TRACE_VALUE_MAX + 1];
	if (lot && lot[0] && strlen(lot) <= FSB_TRACE_VALUE_MAX - FSB_GTIN14_LEN) {
		memcpy(v, g14, FSB_GTIN14_LEN);
		strcpy(v + FSB_GTIN14_LEN, lot);
		key(k, FSB_TK_LOT, v);
	}
}

static void party_keys(struct keys *k, const Foodsafety__V1__Party *p)
{
	if (!p)
		return;
	key(k, FSB_TK_TAX, p->tax_code);
	key(k, FSB_TK_REG, p->registration_number);
	key(k, FSB_TK_GLN, p->gln);
	if (p->location)
		key(k, FSB_TK_GLN, p->location->gln);
}

static void product_keys(struct keys *k, const Foodsafety__V1__Product *p)
{
	if (!p)
		return;
	char g14[FSB_GTIN14_LEN + 1], link_lot[FSB_DL_VALUE_MAX + 1];
	if (product_gtin(p, g14, link_lot)) {
		key(k, FSB_TK_PRODUCT, g14);
		for (size_t i = 0; i < p->n_lots; i++)
			lot_key(k, g14, p->lots[i]->lot_number);
		lot_key(k, g14, link_lot);
	}
	party_keys(k, p->producer);
}

int fsb_message_trace_keys(const struct fsb_message *m, fsb_trace_key_fn fn, void *ctx)
{
	struct keys k = {fn, ctx, 0};
	const Foodsafety__V1__Message *pb = m->pb;
	switch (pb->body_case) {
	case FOODSAFETY__V1__MESSAGE__BODY_SURVEILLANCE: {
		const Foodsafety__V1__SurveillanceResult *s = pb->surveillance;
		product_keys(&k, s->product);
		if (s->sampling_point) {
			party_keys(&k, s->sampling_point->operator_);
			if (s->sampling_point->location)
				key(&k, FSB_TK_GLN, s->sampling_point->location->gln);
		}
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_RECALL: {
		const Foodsafety__V1__RecallAlert *r = pb->recall;
		for (size_t i = 0; i < r->n_products; i++)
			product_keys(&k, r->products[i]);
		party_keys(&k, r->responsible_operator);
		for (size_t i = 0; i < r->n_distribution; i++)
			for (size_t j = 0; j < r->distribution[i]->n_operators; j++)
				party_keys(&k, r->distribution[i]->operators[j]);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_QUARANTINE:
		party_keys(&k, pb->quarantine->consignor);
		party_keys(&k, pb->quarantine->consignee);
		break;
	case FOODSAFETY__V1__MESSAGE__BODY_CERTIFICATION: {
		const Foodsafety__V1__CertificationNotice *c = pb->certification;
		party_keys(&k, c->holder);
		for (size_t i = 0; i < c->n_scope; i++)
			product_keys(&k, c->scope[i]);
		if (c->chain)
			key(&k, FSB_TK_CHAIN, c->chain->chain_id);
		break;
	}
	default:
		break;
	}
	return k.rc;
}

/* ---- the facts -------------------------------------------------------------- */

static void party_of(const Foodsafety__V1__Party *p, struct fsb_trace_party *out)
{
	out->name = out->tax_code = out->registration = out->gln = out->province = "";
	if (!p)
		return;
	out->name = str(p->name);
	out->tax_code = str(p->tax_code);
	out->registration = str(p->registration_number);
	out->gln = p->gln && p->gln[0] ? p->gln : p->location ? str(p->location->gln) : "";
	out->province = p->location ? str(p->location->province) : "";
}

static int is(const char *a, const char *b)
{
	return a && a[0] && strcmp(a, b) == 0;
}

/* Whether p is the target establishment. */
static int party_is(const Foodsafety__V1__Party *p, const struct fsb_trace_target *t)
{
	if (!p || t->gtin14[0])
		return 0;
	switch (t->key) {
	case FSB_TK_TAX:
		return is(p->tax_code, t->value);
	case FSB_TK_REG:
		return is(p->registration_number, t->value);
	case FSB_TK_GLN:
		return is(p->gln, t->value) || (p->location && is(p->location->gln, t->value));
	default:
		return 0;
	}
}

static void take_party(struct fsb_trace_facts *f, const Foodsafety__V1__Party *p,
		       const struct fsb_trace_target *t, const char *role)
{
	if (!f->names_party && party_is(p, t)) {
		f->names_party = 1;
		f->party_role = role;
		party_of(p, &f->party);
	}
}

/* Whether product p is the target's; notes its lots and producer. */
static void take_product(struct fsb_trace_facts *f, const Foodsafety__V1__Product *p,
			 const struct fsb_trace_target *t)
{
	if (!p)
		return;
	take_party(f, p->producer, t, "producer");
	char g14[FSB_GTIN14_LEN + 1], link_lot[FSB_DL_VALUE_MAX + 1];
	if (f->names_product || !t->gtin14[0] || !product_gtin(p, g14, link_lot) ||
	    strcmp(g14, t->gtin14) != 0)
		return;
	f->names_product = 1;
	f->product = str(p->name);
	party_of(p->producer, &f->producer);
	for (size_t i = 0; i < p->n_lots; i++) {
		const char *lot = str(p->lots[i]->lot_number);
		if (f->n_lots < FSB_TRACE_NAMES)
			f->lots[f->n_lots] = lot;
		f->n_lots++;
		f->names_lot |= t->lot[0] && strcmp(lot, t->lot) == 0;
	}
	/* A link's lot must be one of the lots; with none listed, it is the lot. */
	if (p->n_lots == 0 && link_lot[0])
		f->names_lot = t->lot[0] && strcmp(link_lot, t->lot) == 0;
	f->digital_link = str(p->digital_link);
	f->whole_product = p->n_lots == 0 && !link_lot[0];
}

void fsb_message_trace_facts(const struct fsb_message *m, const struct fsb_trace_target *t,
			     struct fsb_trace_facts *f)
{
	memset(f, 0, sizeof *f);
	fsb_message_header(m, &f->header);
	f->kind = fsb_message_kind(m);
	f->issued_at_ms = INT64_MIN;
	int64_t ms;
	if (f->header.issued_at[0] && !fsb_fmt_timestamp(f->header.issued_at, &ms))
		f->issued_at_ms = ms;
	f->product = f->digital_link = f->sample_id = f->sampled_at = f->reason = f->decision = "";
	f->certificate = f->commodity = f->cert_number = f->cert_body = "";
	f->valid_from = f->valid_until = f->chain_id = f->chain_name = f->ref_id = f->remarks = "";
	party_of(NULL, &f->producer);
	party_of(NULL, &f->party);
	party_of(NULL, &f->sampled);
	party_of(NULL, &f->consignor);
	party_of(NULL, &f->consignee);
	party_of(NULL, &f->holder);
	const Foodsafety__V1__Message *pb = m->pb;
	switch (pb->body_case) {
	case FOODSAFETY__V1__MESSAGE__BODY_SURVEILLANCE: {
		const Foodsafety__V1__SurveillanceResult *s = pb->surveillance;
		f->verdict = enum_name(&foodsafety__v1__verdict__descriptor, s->overall_verdict);
		if (s->sample) {
			f->sample_id = str(s->sample->sample_id);
			f->sampled_at = str(s->sample->sampled_at);
		}
		if (s->sampling_point) {
			f->stage = enum_name(&foodsafety__v1__sampling_stage__descriptor,
					     s->sampling_point->stage);
			party_of(s->sampling_point->operator_, &f->sampled);
			take_party(f, s->sampling_point->operator_, t, "operator");
			if (!f->names_party && !t->gtin14[0] && t->key == FSB_TK_GLN &&
			    s->sampling_point->location && is(s->sampling_point->location->gln, t->value)) {
				f->names_party = 1;
				f->party_role = "operator";
				f->party = f->sampled;
			}
		}
		take_product(f, s->product, t);
		for (size_t i = 0; i < s->n_results; i++)
			if (s->results[i]->verdict == FOODSAFETY__V1__VERDICT__VERDICT_NON_COMPLIANT) {
				if (f->n_failing < FSB_TRACE_NAMES)
					f->failing[f->n_failing] = str(s->results[i]->analyte);
				f->n_failing++;
			}
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_RECALL: {
		const Foodsafety__V1__RecallAlert *r = pb->recall;
		f->recall_class = enum_name(&foodsafety__v1__recall_class__descriptor, r->recall_class);
		f->classification = enum_name(&foodsafety__v1__rasff_classification__descriptor,
					      r->classification);
		f->reason = str(r->reason);
		f->decision = str(r->decision_number);
		for (size_t i = 0; i < r->n_products; i++)
			take_product(f, r->products[i], t);
		take_party(f, r->responsible_operator, t, "responsible");
		for (size_t i = 0; i < r->n_distribution; i++)
			for (size_t j = 0; j < r->distribution[i]->n_operators; j++)
				take_party(f, r->distribution[i]->operators[j], t, "recipient");
		for (size_t i = 0; i < r->n_hazards; i++)
			if (f->n_failing++ < FSB_TRACE_NAMES)
				f->failing[f->n_failing - 1] = str(r->hazards[i]->analyte);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_QUARANTINE: {
		const Foodsafety__V1__QuarantineNotice *q = pb->quarantine;
		f->notice_type = enum_name(&foodsafety__v1__notice_type__descriptor, q->notice_type);
		f->certificate = q->certificate ? str(q->certificate->number) : "";
		f->commodity = q->n_commodities ? str(q->commodities[0]->name) : "";
		party_of(q->consignor, &f->consignor);
		party_of(q->consignee, &f->consignee);
		take_party(f, q->consignor, t, "consignor");
		take_party(f, q->consignee, t, "consignee");
		f->remarks = str(q->remarks);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_CERTIFICATION: {
		const Foodsafety__V1__CertificationNotice *c = pb->certification;
		f->notice_type = enum_name(&foodsafety__v1__certification_notice_type__descriptor, c->type);
		f->scheme = enum_name(&foodsafety__v1__certification_scheme__descriptor, c->scheme);
		f->cert_number = str(c->certificate_number);
		f->cert_body = str(c->certifying_body);
		f->valid_from = str(c->valid_from_date);
		f->valid_until = str(c->valid_until_date);
		f->ref_id = str(c->ref_message_id);
		f->reason = str(c->reason);
		f->remarks = str(c->remarks);
		f->stars = c->stars;
		if (c->chain) {
			f->chain_id = str(c->chain->chain_id);
			f->chain_name = str(c->chain->name);
			f->chain_role = enum_name(&foodsafety__v1__chain_role__descriptor, c->chain->role);
		}
		party_of(c->holder, &f->holder);
		take_party(f, c->holder, t, "holder");
		for (size_t i = 0; i < c->n_scope; i++)
			take_product(f, c->scope[i], t);
		break;
	}
	default:
		break;
	}
}
