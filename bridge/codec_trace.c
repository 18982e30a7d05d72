/* codec_trace.c - what a message says about products and establishments.
 *
 * Two readings for the two halves of tracing: fsb_payload_trace_keys()
 * reads off the bytes what the store's trace index files a message under
 * (a GTIN, a GTIN and lot, a tax code, a registration number, a GLN, a
 * chain id), and fsb_message_trace_facts() reads what the trace view shows
 * of a decoded message for one target. Both look at the same places (every
 * Product, Party, Location and SupplyChain of the body), so a message the
 * index finds for a target is one the facts can match.
 */
#include "codec_internal.h"

#include <limits.h>
#include <string.h>

/* ---- the keys, read off the bytes ------------------------------------------- */

/* The keys come from the serialized message, walked field by field through
 * the schema's descriptors, without decoding it: no allocation, and no
 * more work than a look at each byte, at every append, rebuild and check.
 * Every Product, Party, Location and SupplyChain anywhere in the body is
 * read; within one occurrence, a field given twice counts as the decoder
 * counts it, its last value. (A message whose encoder split a product in
 * two occurrences may be filed under a key more or less than its decoded
 * form names: the trace view matches what it reads again, decoded.) */

#define V1D(name) foodsafety__v1__##name##__descriptor

struct keys {
	fsb_trace_key_fn fn;
	void *ctx;
	int rc;
};

/* A string field's bytes as the decoder's C string reads them (cut at a
 * NUL) into out; 0 when longer than FSB_TRACE_VALUE_MAX. */
static int wire_str(const struct fsb_pbwire_field *f, char out[FSB_TRACE_VALUE_MAX + 1])
{
	size_t n = strnlen((const char *)f->data, f->val);
	if (n > FSB_TRACE_VALUE_MAX)
		return 0;
	memcpy(out, f->data, n);
	out[n] = '\0';
	return 1;
}

/* The last value of string field `num` in the message bytes; "" when absent. */
static void wire_last(const uint8_t *p, size_t len, uint32_t num, char out[FSB_TRACE_VALUE_MAX + 1])
{
	struct fsb_pbwire_field f;
	out[0] = '\0';
	for (size_t off = 0; off < len && fsb_pbwire_next(p, len, &off, &f) == 0;)
		if (f.num == num && f.wt == 2 && !wire_str(&f, out))
			out[0] = '\0';
}

static void key(struct keys *k, enum fsb_trace_key type, const char *v)
{
	if (k->rc == 0 && v[0] && strlen(v) <= FSB_TRACE_VALUE_MAX)
		k->rc = k->fn(k->ctx, type, v);
}

static void lot_key(struct keys *k, const char *g14, const char *lot)
{
	char v[FSB_TRACE_VALUE_MAX + 1];
	if (lot[0] && strlen(lot) <= FSB_TRACE_VALUE_MAX - FSB_GTIN14_LEN) {
		memcpy(v, g14, FSB_GTIN14_LEN);
		strcpy(v + FSB_GTIN14_LEN, lot);
		key(k, FSB_TK_LOT, v);
	}
}

/* The GTIN-14 of gtin, or else of the Digital Link, and the link's lot;
 * 0 when neither gives one. */
static int gtin_of(const char *gtin, const char *link, char g14[FSB_GTIN14_LEN + 1],
		   char link_lot[FSB_DL_VALUE_MAX + 1])
{
	struct fsb_dl dl;
	link_lot[0] = '\0';
	int linked = link[0] && !fsb_fmt_dl_parse(link, &dl);
	if (linked)
		memcpy(link_lot, dl.lot, sizeof dl.lot);
	if (gtin[0] && !fsb_fmt_gtin(gtin, g14))
		return 1;
	if (linked)
		memcpy(g14, dl.gtin14, FSB_GTIN14_LEN + 1);
	return linked;
}

enum { PRODUCT_GTIN = 4, PRODUCT_LINK = 5, PRODUCT_LOTS = 8, LOT_NUMBER = 1,
       PARTY_TAX = 2, PARTY_REG = 3, PARTY_GLN = 4, LOCATION_GLN = 6, CHAIN_ID = 1 };

static void product_keys(struct keys *k, const uint8_t *p, size_t len)
{
	char gtin[FSB_TRACE_VALUE_MAX + 1], link[FSB_TRACE_VALUE_MAX + 1];
	char g14[FSB_GTIN14_LEN + 1], link_lot[FSB_DL_VALUE_MAX + 1], lot[FSB_TRACE_VALUE_MAX + 1];
	wire_last(p, len, PRODUCT_GTIN, gtin);
	wire_last(p, len, PRODUCT_LINK, link);
	if (!gtin_of(gtin, link, g14, link_lot))
		return;
	key(k, FSB_TK_PRODUCT, g14);
	struct fsb_pbwire_field f;
	for (size_t off = 0; off < len && fsb_pbwire_next(p, len, &off, &f) == 0;)
		if (f.num == PRODUCT_LOTS && f.wt == 2) {
			wire_last(f.data, f.val, LOT_NUMBER, lot);
			lot_key(k, g14, lot);
		}
	lot_key(k, g14, link_lot);
}

static void wire_keys(struct keys *k, const ProtobufCMessageDescriptor *d, const uint8_t *p,
		      size_t len)
{
	char v[FSB_TRACE_VALUE_MAX + 1];
	if (d == &V1D(product)) {
		product_keys(k, p, len);
	} else if (d == &V1D(party)) {
		wire_last(p, len, PARTY_TAX, v);
		key(k, FSB_TK_TAX, v);
		wire_last(p, len, PARTY_REG, v);
		key(k, FSB_TK_REG, v);
		wire_last(p, len, PARTY_GLN, v);
		key(k, FSB_TK_GLN, v);
	} else if (d == &V1D(location)) {
		wire_last(p, len, LOCATION_GLN, v);
		key(k, FSB_TK_GLN, v);
	} else if (d == &V1D(supply_chain)) {
		wire_last(p, len, CHAIN_ID, v);
		key(k, FSB_TK_CHAIN, v);
	}
	/* ... and every message within (the schema has no cycle: bounded depth) */
	struct fsb_pbwire_field f;
	for (size_t off = 0; off < len && k->rc == 0 && fsb_pbwire_next(p, len, &off, &f) == 0;) {
		const ProtobufCFieldDescriptor *fd = f.wt == 2 ? protobuf_c_message_descriptor_get_field(d, f.num)
							       : NULL;
		if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE)
			wire_keys(k, fd->descriptor, f.data, f.val);
	}
}

int fsb_payload_trace_keys(const uint8_t *payload, size_t len, fsb_trace_key_fn fn, void *ctx)
{
	struct fsb_links l;
	if (fsb_payload_links(payload, len, &l))
		return FSB_EDECODE;
	if (l.kind == FSB_KIND_NONE || l.kind == FSB_KIND_FOLLOWUP)
		return 0;
	struct keys k = {fn, ctx, 0};
	/* the body the decoder keeps: the last occurrence of the oneof's member
	 * the links found, each occurrence merged into it */
	uint32_t body = 0;
	for (size_t i = 0; i < V1D(message).n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &V1D(message).fields[i];
		if (fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->descriptor != &V1D(header) &&
		    strcmp(fd->name, fsb_kind_name(l.kind)) == 0)
			body = fd->id;
	}
	const ProtobufCFieldDescriptor *bd = protobuf_c_message_descriptor_get_field(&V1D(message), body);
	struct fsb_pbwire_field f;
	for (size_t off = 0; off < len && k.rc == 0 && fsb_pbwire_next(payload, len, &off, &f) == 0;)
		if (bd && f.num == body && f.wt == 2)
			wire_keys(&k, bd->descriptor, f.data, f.val);
	return k.rc;
}

/* ---- the facts -------------------------------------------------------------- */

static void party_of(const Foodsafety__V1__Party *p, struct fsb_trace_party *out)
{
	out->name = out->tax_code = out->registration = out->gln = out->province = "";
	if (!p)
		return;
	out->name = fsb_pb_str(p->name);
	out->tax_code = fsb_pb_str(p->tax_code);
	out->registration = fsb_pb_str(p->registration_number);
	out->gln = p->gln && p->gln[0] ? p->gln : p->location ? fsb_pb_str(p->location->gln) : "";
	out->province = p->location ? fsb_pb_str(p->location->province) : "";
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

/* A place named by GLN alone (where a sample was taken, a checkpoint). */
static void take_location(struct fsb_trace_facts *f, const Foodsafety__V1__Location *l,
			  const struct fsb_trace_target *t, const char *role)
{
	if (!f->names_party && !t->gtin14[0] && t->key == FSB_TK_GLN && is(l->gln, t->value)) {
		f->names_party = 1;
		f->party_role = role;
		party_of(NULL, &f->party);
		f->party.name = l->address && l->address[0] ? l->address : fsb_pb_str(l->commune);
		f->party.gln = l->gln;
		f->party.province = fsb_pb_str(l->province);
	}
}

/* Whether product p is the target's; notes its lots and producer. */
static void take_product(struct fsb_trace_facts *f, const Foodsafety__V1__Product *p,
			 const struct fsb_trace_target *t)
{
	char g14[FSB_GTIN14_LEN + 1], link_lot[FSB_DL_VALUE_MAX + 1];
	if (f->names_product || !t->gtin14[0] ||
	    !gtin_of(fsb_pb_str(p->gtin), fsb_pb_str(p->digital_link), g14, link_lot) || strcmp(g14, t->gtin14) != 0)
		return;
	f->names_product = 1;
	f->product = fsb_pb_str(p->name);
	party_of(p->producer, &f->producer);
	for (size_t i = 0; i < p->n_lots; i++) {
		const char *lot = fsb_pb_str(p->lots[i]->lot_number);
		if (f->n_lots < FSB_TRACE_NAMES)
			f->lots[f->n_lots] = lot;
		f->n_lots++;
		f->names_lot |= t->lot[0] && strcmp(lot, t->lot) == 0;
	}
	/* A link's lot must be one of the lots; with none listed, it is the lot. */
	if (p->n_lots == 0 && link_lot[0])
		f->names_lot = t->lot[0] && strcmp(link_lot, t->lot) == 0;
	f->digital_link = fsb_pb_str(p->digital_link);
	f->whole_product = p->n_lots == 0 && !link_lot[0];
}

/* Calls fn with every sub-message of decoded message m (a oneof's set
 * member only), with the name of the field holding it, depth first, in
 * the schema's order; where fn returns non-zero, the walk does not go
 * inside that sub-message. */
typedef int (*sub_fn)(void *ctx, const ProtobufCMessage *m, const char *field);

static void walk_subs(const ProtobufCMessage *m, sub_fn fn, void *ctx)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE ||
		    ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		     *(const uint32_t *)(base + fd->quantifier_offset) != fd->id))
			continue;
		size_t n = 1;
		ProtobufCMessage *const *arr = (ProtobufCMessage *const *)(base + fd->offset);
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)(base + fd->quantifier_offset);
			arr = *(ProtobufCMessage *const *const *)(base + fd->offset);
		}
		for (size_t k = 0; k < n; k++)
			if (arr[k] && !fn(ctx, arr[k], fd->name))
				walk_subs(arr[k], fn, ctx);
	}
}

/* Every Product, Party and Location (a party's own location aside) of the
 * decoded message, each with the name of the field that holds it: the
 * same places the keys are read from. */
struct named {
	struct fsb_trace_facts *f;
	const struct fsb_trace_target *t;
};

static int take_named(void *ctx, const ProtobufCMessage *m, const char *field)
{
	struct named *nm = ctx;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &V1D(party)) {
		take_party(nm->f, (const Foodsafety__V1__Party *)m, nm->t, field);
		return 1;
	}
	if (d == &V1D(product))
		take_product(nm->f, (const Foodsafety__V1__Product *)m, nm->t);
	else if (d == &V1D(location))
		take_location(nm->f, (const Foodsafety__V1__Location *)m, nm->t, field);
	return 0;
}

void fsb_message_trace_facts(const struct fsb_message *m, const struct fsb_trace_target *t,
			     struct fsb_trace_facts *f)
{
	memset(f, 0, sizeof *f);
	fsb_message_header(m, &f->header);
	f->kind = fsb_message_kind(m);
	f->issued_at_ms = fsb_pb_time_ms(f->header.issued_at);
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
		f->verdict = fsb_pb_enum_name(&foodsafety__v1__verdict__descriptor, s->overall_verdict);
		if (s->sample) {
			f->sample_id = fsb_pb_str(s->sample->sample_id);
			f->sampled_at = fsb_pb_str(s->sample->sampled_at);
		}
		if (s->sampling_point) {
			f->stage = fsb_pb_enum_name(&foodsafety__v1__sampling_stage__descriptor,
					     s->sampling_point->stage);
			party_of(s->sampling_point->operator_, &f->sampled);
		}
		for (size_t i = 0; i < s->n_results; i++)
			if (s->results[i]->verdict == FOODSAFETY__V1__VERDICT__VERDICT_NON_COMPLIANT) {
				if (f->n_failing < FSB_TRACE_NAMES)
					f->failing[f->n_failing] = fsb_pb_str(s->results[i]->analyte);
				f->n_failing++;
			}
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_RECALL: {
		const Foodsafety__V1__RecallAlert *r = pb->recall;
		f->recall_class = fsb_pb_enum_name(&foodsafety__v1__recall_class__descriptor, r->recall_class);
		f->classification = fsb_pb_enum_name(&foodsafety__v1__rasff_classification__descriptor,
					      r->classification);
		f->reason = fsb_pb_str(r->reason);
		f->decision = fsb_pb_str(r->decision_number);
		for (size_t i = 0; i < r->n_hazards; i++)
			if (f->n_failing++ < FSB_TRACE_NAMES)
				f->failing[f->n_failing - 1] = fsb_pb_str(r->hazards[i]->analyte);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_QUARANTINE: {
		const Foodsafety__V1__QuarantineNotice *q = pb->quarantine;
		f->notice_type = fsb_pb_enum_name(&foodsafety__v1__notice_type__descriptor, q->notice_type);
		f->certificate = q->certificate ? fsb_pb_str(q->certificate->number) : "";
		f->commodity = q->n_commodities ? fsb_pb_str(q->commodities[0]->name) : "";
		party_of(q->consignor, &f->consignor);
		party_of(q->consignee, &f->consignee);
		f->remarks = fsb_pb_str(q->remarks);
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_CERTIFICATION: {
		const Foodsafety__V1__CertificationNotice *c = pb->certification;
		f->notice_type = fsb_pb_enum_name(&foodsafety__v1__certification_notice_type__descriptor, c->type);
		f->scheme = fsb_pb_enum_name(&foodsafety__v1__certification_scheme__descriptor, c->scheme);
		f->cert_number = fsb_pb_str(c->certificate_number);
		f->cert_body = fsb_pb_str(c->certifying_body);
		f->valid_from = fsb_pb_str(c->valid_from_date);
		f->valid_until = fsb_pb_str(c->valid_until_date);
		f->ref_id = fsb_pb_str(c->ref_message_id);
		f->reason = fsb_pb_str(c->reason);
		f->remarks = fsb_pb_str(c->remarks);
		f->stars = c->stars;
		if (c->chain) {
			f->chain_id = fsb_pb_str(c->chain->chain_id);
			f->chain_name = fsb_pb_str(c->chain->name);
			f->chain_role = fsb_pb_enum_name(&foodsafety__v1__chain_role__descriptor, c->chain->role);
		}
		party_of(c->holder, &f->holder);
		break;
	}
	default:
		break;
	}
	struct named nm = {f, t};
	walk_subs(&pb->base, take_named, &nm);
}

/* ---- the products a message names ------------------------------------------- */

struct products {
	struct fsb_product_facts *out;
	size_t max, n;
};

static int take_products(void *ctx, const ProtobufCMessage *m, const char *field)
{
	struct products *ps = ctx;
	(void)field;
	if (m->descriptor != &V1D(product))
		return 0;
	const Foodsafety__V1__Product *p = (const Foodsafety__V1__Product *)m;
	if (ps->n < ps->max) {
		struct fsb_product_facts *f = &ps->out[ps->n];
		char link_lot[FSB_DL_VALUE_MAX + 1];
		f->name = fsb_pb_str(p->name);
		f->digital_link = fsb_pb_str(p->digital_link);
		if (!gtin_of(fsb_pb_str(p->gtin), f->digital_link, f->gtin14, link_lot))
			f->gtin14[0] = '\0';
		f->lot = p->n_lots ? fsb_pb_str(p->lots[0]->lot_number) : "";
	}
	ps->n++;
	return 1;
}

size_t fsb_message_products(const struct fsb_message *m, struct fsb_product_facts *out, size_t max)
{
	struct products ps = {out, max, 0};
	walk_subs(&m->pb->base, take_products, &ps);
	return ps.n;
}
