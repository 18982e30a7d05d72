/* codec_validate.c - the content rules of a message.
 *
 * Two passes. The generic pass walks every field through the descriptors
 * and applies the schema's naming conventions (common.proto's header
 * comment): *_at fields are RFC 3339 instants, *_date fields dates, `gtin`
 * a GTIN, decimals by name, every enum value known, every string within its
 * length bound and every list within its count bound; so a new field that
 * follows the conventions is checked without a C change. The second pass
 * holds what conventions cannot say: required fields per kind, fields that
 * only make sense together, and consistency between fields.
 *
 * Every problem is reported, each with its JSON field path, in one call.
 */
#include "codec_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX_BYTES 8192
#define STRING_MAX_BYTES 512
#define LIST_MAX_ENTRIES 1000

/* An enum value of the generated code, e.g. V1(RECALL_CLASS, I). */
#define V1(e, v) FOODSAFETY__V1__##e##__##e##_##v

struct vctx {
	struct fsb_errlist *errs;
	struct fsb_path path;
	unsigned flags;
};

static void verr(struct vctx *v, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports a problem at the current path, or at its child `field`. */
static void verr(struct vctx *v, const char *field, const char *fmt, ...)
{
	char msg[FSB_ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t mark = v->path.len;
	if (field)
		fsb_path_push(&v->path, field);
	fsb_errlist_add(v->errs, v->path.s, "%s", msg);
	fsb_path_pop(&v->path, mark);
}

static int has(const char *s)
{
	return s && *s;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int name_in(const char *name, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(name, *set) == 0)
			return 1;
	return 0;
}

/* ---- generic pass ------------------------------------------------------ */

static const char *const text_fields[] = {
	"text", "description", "reason", "conclusion", "remarks", "advice", NULL};
static const char *const decimal_fields[] = {
	"value", "limit", "lod", "loq", "uncertainty", "amount", "latitude", "longitude",
	"radius_km", NULL};
static const char *const slug_fields[] = {"origin", "responder", "recipients", NULL};
static const char *const message_id_fields[] = {"message_id", "ref_message_id", NULL};

static void check_decimal(struct vctx *v, const char *name, const char *s)
{
	int negative = 0;
	const char *why = fsb_fmt_decimal(s, &negative);
	if (why) {
		verr(v, NULL, "%s", why);
		return;
	}
	double bound = strcmp(name, "latitude") == 0 ? 90 : strcmp(name, "longitude") == 0 ? 180 : 0;
	if (bound > 0) {
		double x = strtod(s, NULL);
		if (x < -bound || x > bound)
			verr(v, NULL, "must be between -%.0f and %.0f degrees", bound, bound);
	} else if (negative) {
		verr(v, NULL, "must not be negative");
	}
}

static void check_string(struct vctx *v, const ProtobufCFieldDescriptor *f, const char *s)
{
	if (!has(s))
		return;
	const char *name = f->name;
	size_t len = strlen(s);
	size_t max = name_in(name, text_fields) ? TEXT_MAX_BYTES : STRING_MAX_BYTES;
	if (len > max) {
		verr(v, NULL, "too long (%zu bytes, at most %zu)", len, max);
		return;
	}
	const char *why = NULL;
	if (ends_with(name, "_at") || strcmp(name, "respond_by") == 0)
		why = fsb_fmt_timestamp(s, NULL);
	else if (ends_with(name, "_date"))
		why = fsb_fmt_date(s);
	else if (strcmp(name, "gtin") == 0)
		why = fsb_fmt_gtin(s, NULL);
	else if (strcmp(name, "gln") == 0)
		why = fsb_fmt_gln(s);
	else if (strcmp(name, "sscc") == 0)
		why = fsb_fmt_sscc(s);
	else if (strcmp(name, "digital_link") == 0)
		why = fsb_fmt_digital_link(s, NULL);
	else if (strcmp(name, "country") == 0)
		why = fsb_fmt_country(s);
	else if (name_in(name, slug_fields))
		why = fsb_fmt_slug(s);
	else if (name_in(name, message_id_fields))
		why = fsb_fmt_message_id(s, NULL, NULL);
	else if (name_in(name, decimal_fields))
		check_decimal(v, name, s);
	if (why)
		verr(v, NULL, "%s", why);
}

static void walk(struct vctx *v, const ProtobufCMessage *m);

static void check_value(struct vctx *v, const ProtobufCFieldDescriptor *f, const void *slot)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		check_string(v, f, *(char *const *)slot);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		size_t len = ((const ProtobufCBinaryData *)slot)->len;
		if (ends_with(f->name, "_hash") && len != 0 && len != FSB_HASH_LEN)
			verr(v, NULL, "must be %d bytes (SHA-256), got %zu", FSB_HASH_LEN, len);
		break;
	}
	case PROTOBUF_C_TYPE_ENUM: {
		int e = *(const int *)slot;
		if (!protobuf_c_enum_descriptor_get_value(f->descriptor, e))
			verr(v, NULL, "unknown value %d for %s",
			     e, ((const ProtobufCEnumDescriptor *)f->descriptor)->short_name);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
		if (sub)
			walk(v, sub);
		break;
	}
	default:
		break;
	}
}

static void walk(struct vctx *v, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char name[FSB_JSON_NAME_MAX];
		fsb_pb_json_name(f, name);
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		size_t mark = fsb_path_push(&v->path, name);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			size_t es = fsb_pb_element_size(f);
			if (n > LIST_MAX_ENTRIES)
				verr(v, NULL, "too many entries (%zu, at most %d)", n, LIST_MAX_ENTRIES);
			const char *arr = *(char *const *)(base + f->offset);
			for (size_t k = 0; k < n && k < LIST_MAX_ENTRIES; k++) {
				size_t im = fsb_path_push_index(&v->path, k);
				check_value(v, f, arr + k * es);
				fsb_path_pop(&v->path, im);
			}
		} else {
			check_value(v, f, base + f->offset);
		}
		fsb_path_pop(&v->path, mark);
	}
}

/* ---- rules per message -------------------------------------------------- */

static void need_str(struct vctx *v, const char *field, const char *s)
{
	if (!has(s))
		verr(v, field, "required");
}

static void need_enum(struct vctx *v, const char *field, int e)
{
	if (e == 0)
		verr(v, field, "required");
}

static int need_msg(struct vctx *v, const char *field, const void *m)
{
	if (!m)
		verr(v, field, "required");
	return m != NULL;
}

static void need_list(struct vctx *v, const char *field, size_t n)
{
	if (n == 0)
		verr(v, field, "at least one entry is required");
}

/* Fails `later` (at field later_name) when both are valid instants and it
 * precedes `earlier`. */
static void need_order_at(struct vctx *v, const char *earlier_name, const char *earlier,
			  const char *later_name, const char *later)
{
	int64_t a, b;
	if (has(earlier) && has(later) && !fsb_fmt_timestamp(earlier, &a) &&
	    !fsb_fmt_timestamp(later, &b) && b < a)
		verr(v, later_name, "is before %s", earlier_name);
}

/* The same for dates, which compare as strings once well-formed. */
static void need_order_date(struct vctx *v, const char *earlier_name, const char *earlier,
			    const char *later_name, const char *later)
{
	if (has(earlier) && has(later) && !fsb_fmt_date(earlier) && !fsb_fmt_date(later) &&
	    strcmp(later, earlier) < 0)
		verr(v, later_name, "is before %s", earlier_name);
}

/* Descends into element i of the list `name`; returns the mark for leave(). */
static size_t enter_index(struct vctx *v, const char *name, size_t i)
{
	size_t mark = fsb_path_push(&v->path, name);
	fsb_path_push_index(&v->path, i);
	return mark;
}

static void leave(struct vctx *v, size_t mark)
{
	fsb_path_pop(&v->path, mark);
}

static void check_quantity(struct vctx *v, const char *field, const Foodsafety__V1__Quantity *q)
{
	if (!q)
		return;
	size_t mark = fsb_path_push(&v->path, field);
	need_str(v, "amount", q->amount);
	need_enum(v, "unit", q->unit);
	leave(v, mark);
}

static void check_party(struct vctx *v, const char *field, const Foodsafety__V1__Party *p)
{
	if (!p)
		return;
	size_t mark = fsb_path_push(&v->path, field);
	need_str(v, "name", p->name);
	leave(v, mark);
}

/* An OCOP rating has 3 to 5 stars; no other scheme has any. */
static void check_stars(struct vctx *v, int scheme, uint32_t stars)
{
	if (scheme == V1(CERTIFICATION_SCHEME, OCOP) && (stars < 3 || stars > 5))
		verr(v, "stars", "an OCOP rating is 3 to 5 stars");
	else if (scheme != V1(CERTIFICATION_SCHEME, OCOP) && stars != 0)
		verr(v, "stars", "only OCOP ratings have stars");
}

static void check_product(struct vctx *v, const Foodsafety__V1__Product *p)
{
	need_str(v, "name", p->name);
	char g1[FSB_GTIN14_LEN + 1];
	struct fsb_dl dl;
	int linked = has(p->digital_link) && !fsb_fmt_dl_parse(p->digital_link, &dl);
	if (linked && has(p->gtin) && !fsb_fmt_gtin(p->gtin, g1) && strcmp(g1, dl.gtin14) != 0)
		verr(v, "digitalLink", "GTIN %s in the link differs from gtin %s", dl.gtin14, g1);
	/* The lot a QR code names is one of the product's lots: a recall of
	 * lot A1 whose label link says NOTALOT would send an inspector to the
	 * wrong goods. */
	if (linked && dl.lot[0] && p->n_lots) {
		size_t i = 0;
		while (i < p->n_lots && !(has(p->lots[i]->lot_number) &&
					  strcmp(p->lots[i]->lot_number, dl.lot) == 0))
			i++;
		if (i == p->n_lots)
			verr(v, "digitalLink", "names lot %s, which is not one of the product's lots", dl.lot);
	}
	for (size_t i = 0; i < p->n_lots; i++) {
		const Foodsafety__V1__Lot *l = p->lots[i];
		size_t mark = enter_index(v, "lots", i);
		need_str(v, "lotNumber", l->lot_number);
		need_order_date(v, "productionDate", l->production_date, "expiryDate", l->expiry_date);
		check_quantity(v, "quantity", l->quantity);
		leave(v, mark);
	}
	for (size_t i = 0; i < p->n_certifications; i++) {
		const Foodsafety__V1__Certification *c = p->certifications[i];
		size_t mark = enter_index(v, "certifications", i);
		need_enum(v, "scheme", c->scheme);
		check_stars(v, c->scheme, c->stars);
		leave(v, mark);
	}
	check_party(v, "producer", p->producer);
}

/* An analyte result; in a recall a hazard may be named without a result,
 * so result type and verdict are required only in surveillance. */
static void check_analyte(struct vctx *v, const Foodsafety__V1__AnalyteResult *a, int measured)
{
	need_str(v, "analyte", a->analyte);
	need_enum(v, "hazard", a->hazard);
	if (measured) {
		need_enum(v, "resultType", a->result_type);
		need_enum(v, "verdict", a->verdict);
	}
	switch (a->result_type) {
	case V1(RESULT_TYPE, VALUE):
		need_str(v, "value", a->value);
		break;
	case V1(RESULT_TYPE, BELOW_LOD):
		need_str(v, "lod", a->lod);
		break;
	case V1(RESULT_TYPE, BELOW_LOQ):
		need_str(v, "loq", a->loq);
		break;
	default:
		break;
	}
	if (has(a->value) && a->result_type != V1(RESULT_TYPE, VALUE))
		verr(v, "value", "only allowed with resultType RESULT_TYPE_VALUE");
	if ((has(a->value) || has(a->limit) || has(a->lod) || has(a->loq)) && a->unit == 0)
		verr(v, "unit", "required when value, limit, lod or loq is given");
}

static void check_measure(struct vctx *v, const Foodsafety__V1__Measure *m)
{
	need_enum(v, "type", m->type);
	if (m->type == V1(MEASURE_TYPE, DISPOSAL))
		need_enum(v, "disposal", m->disposal);
	else if (m->disposal != 0)
		verr(v, "disposal", "only allowed with type MEASURE_TYPE_DISPOSAL");
	check_party(v, "executedBy", m->executed_by);
	check_quantity(v, "quantity", m->quantity);
}

static void check_measures(struct vctx *v, const char *field, size_t n,
			   Foodsafety__V1__Measure *const *ms)
{
	for (size_t i = 0; i < n; i++) {
		size_t mark = enter_index(v, field, i);
		check_measure(v, ms[i]);
		leave(v, mark);
	}
}

static void check_distribution(struct vctx *v, size_t n,
			       Foodsafety__V1__DistributionRecipient *const *ds)
{
	for (size_t i = 0; i < n; i++) {
		const Foodsafety__V1__DistributionRecipient *d = ds[i];
		size_t mark = enter_index(v, "distribution", i);
		need_str(v, "province", d->province);
		for (size_t k = 0; k < d->n_operators; k++) {
			size_t om = enter_index(v, "operators", k);
			need_str(v, "name", d->operators[k]->name);
			leave(v, om);
		}
		check_quantity(v, "quantity", d->quantity);
		leave(v, mark);
	}
}

static void check_surveillance(struct vctx *v, const Foodsafety__V1__SurveillanceResult *s)
{
	const Foodsafety__V1__Sample *smp = s->sample;
	if (need_msg(v, "sample", smp)) {
		size_t mark = fsb_path_push(&v->path, "sample");
		need_str(v, "sampleId", smp->sample_id);
		need_str(v, "sampledAt", smp->sampled_at);
		need_order_at(v, "sampledAt", smp->sampled_at, "receivedAt", smp->received_at);
		check_quantity(v, "quantity", smp->quantity);
		leave(v, mark);
	}
	if (need_msg(v, "programme", s->programme)) {
		size_t mark = fsb_path_push(&v->path, "programme");
		need_enum(v, "type", s->programme->type);
		leave(v, mark);
	}
	if (need_msg(v, "samplingPoint", s->sampling_point)) {
		size_t mark = fsb_path_push(&v->path, "samplingPoint");
		need_enum(v, "stage", s->sampling_point->stage);
		check_party(v, "operator", s->sampling_point->operator_);
		leave(v, mark);
	}
	if (need_msg(v, "product", s->product)) {
		size_t mark = fsb_path_push(&v->path, "product");
		check_product(v, s->product);
		leave(v, mark);
	}
	if (need_msg(v, "lab", s->lab)) {
		size_t mark = fsb_path_push(&v->path, "lab");
		need_str(v, "name", s->lab->name);
		leave(v, mark);
		if (smp)
			need_order_at(v, "sample.sampledAt", smp->sampled_at, "lab.reportedAt",
				      s->lab->reported_at);
	}
	need_list(v, "results", s->n_results);
	size_t first_bad = SIZE_MAX;
	for (size_t i = 0; i < s->n_results; i++) {
		size_t mark = enter_index(v, "results", i);
		check_analyte(v, s->results[i], 1);
		leave(v, mark);
		if (s->results[i]->verdict == V1(VERDICT, NON_COMPLIANT) && first_bad == SIZE_MAX)
			first_bad = i;
	}
	need_enum(v, "overallVerdict", s->overall_verdict);
	if (first_bad != SIZE_MAX && s->overall_verdict != V1(VERDICT, NON_COMPLIANT) &&
	    s->overall_verdict != 0)
		verr(v, "overallVerdict", "must be VERDICT_NON_COMPLIANT: results[%zu] is non-compliant",
		     first_bad);
}

static int is_certificate_notice(int t)
{
	return t == V1(NOTICE_TYPE, CERTIFICATE_ISSUED) || t == V1(NOTICE_TYPE, CERTIFICATE_REVOKED) ||
	       t == V1(NOTICE_TYPE, CERTIFICATE_REPLACED);
}

static int is_outbreak_notice(int t)
{
	return t == V1(NOTICE_TYPE, OUTBREAK_DECLARED) || t == V1(NOTICE_TYPE, OUTBREAK_UPDATE) ||
	       t == V1(NOTICE_TYPE, OUTBREAK_ENDED);
}

static void check_certificate(struct vctx *v, int type, const Foodsafety__V1__MovementCertificate *c)
{
	size_t mark = fsb_path_push(&v->path, "certificate");
	need_str(v, "number", c->number);
	need_enum(v, "status", c->status);
	int want = type == V1(NOTICE_TYPE, CERTIFICATE_REVOKED) ? V1(CERTIFICATE_STATUS, REVOKED)
		   : is_certificate_notice(type)                ? V1(CERTIFICATE_STATUS, VALID)
								: 0;
	if (want && c->status != 0 && (int)c->status != want)
		verr(v, "status", "must be %s for this notice type",
		     want == V1(CERTIFICATE_STATUS, REVOKED) ? "CERTIFICATE_STATUS_REVOKED"
							     : "CERTIFICATE_STATUS_VALID");
	if (type == V1(NOTICE_TYPE, CERTIFICATE_ISSUED) || type == V1(NOTICE_TYPE, CERTIFICATE_REPLACED)) {
		need_str(v, "validFromDate", c->valid_from_date);
		need_str(v, "validUntilDate", c->valid_until_date);
	}
	need_order_date(v, "validFromDate", c->valid_from_date, "validUntilDate", c->valid_until_date);
	if (type == V1(NOTICE_TYPE, CERTIFICATE_REPLACED))
		need_str(v, "replacesNumber", c->replaces_number);
	else if (has(c->replaces_number))
		verr(v, "replacesNumber", "only allowed with NOTICE_TYPE_CERTIFICATE_REPLACED");
	if (type == V1(NOTICE_TYPE, CERTIFICATE_REVOKED))
		need_str(v, "revocationReason", c->revocation_reason);
	else if (has(c->revocation_reason))
		verr(v, "revocationReason", "only allowed with NOTICE_TYPE_CERTIFICATE_REVOKED");
	leave(v, mark);
}

static void check_outbreak(struct vctx *v, int type, const Foodsafety__V1__Outbreak *o)
{
	size_t mark = fsb_path_push(&v->path, "outbreak");
	need_str(v, "disease", o->disease);
	need_str(v, "species", o->species);
	if (need_msg(v, "location", o->location)) {
		size_t lm = fsb_path_push(&v->path, "location");
		need_str(v, "province", o->location->province);
		leave(v, lm);
	}
	if (type == V1(NOTICE_TYPE, OUTBREAK_DECLARED))
		need_str(v, "detectedDate", o->detected_date);
	need_order_date(v, "detectedDate", o->detected_date, "confirmedDate", o->confirmed_date);
	if (type == V1(NOTICE_TYPE, OUTBREAK_ENDED)) {
		need_str(v, "declaredOverDate", o->declared_over_date);
		need_order_date(v, "detectedDate", o->detected_date, "declaredOverDate",
				o->declared_over_date);
	} else if (has(o->declared_over_date)) {
		verr(v, "declaredOverDate", "only allowed with NOTICE_TYPE_OUTBREAK_ENDED");
	}
	if (o->susceptible_count && o->case_count > o->susceptible_count)
		verr(v, "caseCount", "exceeds susceptibleCount (%" PRIu32 ")", o->susceptible_count);
	for (size_t i = 0; i < o->n_measures; i++) {
		const Foodsafety__V1__ControlMeasure *c = o->measures[i];
		size_t im = enter_index(v, "measures", i);
		need_enum(v, "type", c->type);
		need_order_date(v, "fromDate", c->from_date, "untilDate", c->until_date);
		leave(v, im);
	}
	leave(v, mark);
}

static void check_quarantine(struct vctx *v, const Foodsafety__V1__QuarantineNotice *q)
{
	int t = q->notice_type;
	need_enum(v, "noticeType", t);
	need_enum(v, "domain", q->domain);
	if (is_certificate_notice(t)) {
		if (need_msg(v, "certificate", q->certificate))
			check_certificate(v, t, q->certificate);
	} else if (q->certificate) {
		check_certificate(v, t, q->certificate);
	}
	if (t == V1(NOTICE_TYPE, CERTIFICATE_ISSUED) || t == V1(NOTICE_TYPE, CERTIFICATE_REPLACED)) {
		need_msg(v, "consignor", q->consignor);
		need_msg(v, "consignee", q->consignee);
	}
	if (is_certificate_notice(t) || t == V1(NOTICE_TYPE, CONSIGNMENT_REJECTED))
		need_list(v, "commodities", q->n_commodities);
	check_party(v, "consignor", q->consignor);
	check_party(v, "consignee", q->consignee);
	for (size_t i = 0; i < q->n_commodities; i++) {
		size_t mark = enter_index(v, "commodities", i);
		need_str(v, "name", q->commodities[i]->name);
		if (need_msg(v, "quantity", q->commodities[i]->quantity))
			check_quantity(v, "quantity", q->commodities[i]->quantity);
		leave(v, mark);
	}
	if (q->transport) {
		size_t mark = fsb_path_push(&v->path, "transport");
		need_enum(v, "mode", q->transport->mode);
		need_order_at(v, "departureAt", q->transport->departure_at, "arrivalAt",
			      q->transport->arrival_at);
		leave(v, mark);
	}
	if (t == V1(NOTICE_TYPE, CONSIGNMENT_REJECTED)) {
		if (need_msg(v, "rejection", q->rejection)) {
			size_t mark = fsb_path_push(&v->path, "rejection");
			need_str(v, "reason", q->rejection->reason);
			check_measures(v, "measures", q->rejection->n_measures, q->rejection->measures);
			leave(v, mark);
		}
	} else if (q->rejection) {
		verr(v, "rejection", "only allowed with NOTICE_TYPE_CONSIGNMENT_REJECTED");
	}
	if (is_outbreak_notice(t)) {
		if (need_msg(v, "outbreak", q->outbreak))
			check_outbreak(v, t, q->outbreak);
	} else if (q->outbreak) {
		verr(v, "outbreak", "only allowed with the NOTICE_TYPE_OUTBREAK_* types");
	}
}

static void check_recall(struct vctx *v, const Foodsafety__V1__RecallAlert *r)
{
	need_enum(v, "classification", r->classification);
	need_enum(v, "recallClass", r->recall_class);
	need_enum(v, "initiation", r->initiation);
	need_enum(v, "basis", r->basis);
	need_enum(v, "riskDecision", r->risk_decision);
	need_list(v, "hazards", r->n_hazards);
	for (size_t i = 0; i < r->n_hazards; i++) {
		size_t mark = enter_index(v, "hazards", i);
		check_analyte(v, r->hazards[i], 0);
		leave(v, mark);
	}
	need_list(v, "products", r->n_products);
	for (size_t i = 0; i < r->n_products; i++) {
		const Foodsafety__V1__Product *p = r->products[i];
		size_t mark = enter_index(v, "products", i);
		check_product(v, p);
		if (!has(p->gtin) && !has(p->digital_link) && !has(p->traceability_code) && p->n_lots == 0)
			verr(v, NULL, "identify the product: give gtin, digitalLink, traceabilityCode or lots");
		leave(v, mark);
	}
	if (need_msg(v, "responsibleOperator", r->responsible_operator))
		check_party(v, "responsibleOperator", r->responsible_operator);
	need_enum(v, "distributionStatus", r->distribution_status);
	if (r->distribution_status == V1(DISTRIBUTION_STATUS, OTHER_PROVINCES))
		need_list(v, "distribution", r->n_distribution);
	check_distribution(v, r->n_distribution, r->distribution);
	check_measures(v, "measures", r->n_measures, r->measures);
	if (r->initiation == V1(RECALL_INITIATION, MANDATORY)) {
		need_str(v, "decisionNumber", r->decision_number);
		need_str(v, "decidedAt", r->decided_at);
	}
	need_order_at(v, "decidedAt", r->decided_at, "deadlineAt", r->deadline_at);
	need_str(v, "reason", r->reason);
}

static int origin_only(int type)
{
	return type == V1(FOLLOW_UP_TYPE, CORRECTION) || type == V1(FOLLOW_UP_TYPE, RECLASSIFICATION) ||
	       type == V1(FOLLOW_UP_TYPE, WITHDRAWAL) || type == V1(FOLLOW_UP_TYPE, CLOSURE);
}

static void check_followup(struct vctx *v, const Foodsafety__V1__FollowUp *f,
			   const Foodsafety__V1__Header *h)
{
	int t = f->type;
	need_enum(v, "type", t);
	need_str(v, "refMessageId", f->ref_message_id);
	if (t == V1(FOLLOW_UP_TYPE, ADDITIONAL_INFORMATION))
		need_str(v, "text", f->text);
	if (t == V1(FOLLOW_UP_TYPE, CORRECTION) || t == V1(FOLLOW_UP_TYPE, WITHDRAWAL) ||
	    t == V1(FOLLOW_UP_TYPE, CLOSURE))
		need_str(v, "reason", f->reason);
	if (t == V1(FOLLOW_UP_TYPE, CORRECTION) && !has(f->text))
		verr(v, "text", "required: state the corrected information");
	if (t == V1(FOLLOW_UP_TYPE, REQUEST_FOR_INFORMATION)) {
		need_str(v, "text", f->text);
		need_str(v, "respondBy", f->respond_by);
	} else if (has(f->respond_by)) {
		verr(v, "respondBy", "belongs to a request for information");
	}
	if (t == V1(FOLLOW_UP_TYPE, RESPONSE))
		need_str(v, "text", f->text);
	if (t == V1(FOLLOW_UP_TYPE, MEASURES_TAKEN))
		need_list(v, "measures", f->n_measures);
	if (t == V1(FOLLOW_UP_TYPE, DISTRIBUTION_UPDATE))
		need_list(v, "distribution", f->n_distribution);
	int reclass = f->new_classification || f->new_recall_class || f->new_risk_decision;
	if (t == V1(FOLLOW_UP_TYPE, RECLASSIFICATION) && !reclass)
		verr(v, NULL, "a reclassification needs newClassification, newRecallClass or newRiskDecision");
	else if (t != V1(FOLLOW_UP_TYPE, RECLASSIFICATION) && reclass)
		verr(v, NULL, "newClassification, newRecallClass and newRiskDecision belong to a reclassification");
	check_measures(v, "measures", f->n_measures, f->measures);
	check_distribution(v, f->n_distribution, f->distribution);

	char ref_origin[FSB_ORIGIN_MAX + 1];
	uint64_t ref_seq;
	if (!has(f->ref_message_id) || fsb_fmt_message_id(f->ref_message_id, ref_origin, &ref_seq))
		return;
	const char *origin = h && has(h->origin) ? h->origin : NULL;
	if (origin && origin_only(t) && strcmp(origin, ref_origin) != 0)
		verr(v, "type", "only %s, the origin of %s, may correct, reclassify, withdraw or close it",
		     ref_origin, f->ref_message_id);
	if (origin && t == V1(FOLLOW_UP_TYPE, ACKNOWLEDGEMENT) && strcmp(origin, ref_origin) == 0)
		verr(v, "type", "an acknowledgement comes from a province that received %s, not from %s",
		     f->ref_message_id, origin);
	if (origin && h->seq && strcmp(origin, ref_origin) == 0 && ref_seq >= h->seq)
		verr(v, "refMessageId", "must reference an earlier message of %s (this one is seq %" PRIu64 ")",
		     origin, h->seq);
}

/* The type of a certification notice that changes an earlier one. */
static int changes_notice(int t)
{
	return t == V1(CERTIFICATION_NOTICE_TYPE, RENEWED) || t == V1(CERTIFICATION_NOTICE_TYPE, SUSPENDED) ||
	       t == V1(CERTIFICATION_NOTICE_TYPE, WITHDRAWN) || t == V1(CERTIFICATION_NOTICE_TYPE, EXPIRED);
}

static void check_certification(struct vctx *v, const Foodsafety__V1__CertificationNotice *c,
				const Foodsafety__V1__Header *h)
{
	int t = c->type;
	need_enum(v, "type", t);
	need_enum(v, "scheme", c->scheme);
	need_str(v, "certificateNumber", c->certificate_number);
	need_str(v, "certifyingBody", c->certifying_body);
	if (need_msg(v, "holder", c->holder)) {
		check_party(v, "holder", c->holder);
		const Foodsafety__V1__Party *p = c->holder;
		if (!has(p->tax_code) && !has(p->registration_number) && !has(p->gln) &&
		    !(p->location && has(p->location->gln)))
			verr(v, "holder", "identify the establishment: give taxCode, registrationNumber or gln");
	}
	int grants = t == V1(CERTIFICATION_NOTICE_TYPE, ISSUED) || t == V1(CERTIFICATION_NOTICE_TYPE, RENEWED);
	if (grants) {
		need_str(v, "validFromDate", c->valid_from_date);
		need_str(v, "validUntilDate", c->valid_until_date);
		need_list(v, "scope", c->n_scope);
	}
	need_order_date(v, "validFromDate", c->valid_from_date, "validUntilDate", c->valid_until_date);
	for (size_t i = 0; i < c->n_scope; i++) {
		const Foodsafety__V1__Product *p = c->scope[i];
		size_t mark = enter_index(v, "scope", i);
		check_product(v, p);
		if (!has(p->gtin) && !has(p->digital_link) && !has(p->traceability_code))
			verr(v, NULL, "identify the product: give gtin, digitalLink or traceabilityCode");
		leave(v, mark);
	}
	if (c->chain) {
		size_t mark = fsb_path_push(&v->path, "chain");
		need_str(v, "chainId", c->chain->chain_id);
		need_enum(v, "role", c->chain->role);
		leave(v, mark);
	}
	if (t == V1(CERTIFICATION_NOTICE_TYPE, SUSPENDED) || t == V1(CERTIFICATION_NOTICE_TYPE, WITHDRAWN))
		need_str(v, "reason", c->reason);
	check_stars(v, c->scheme, c->stars);
	if (changes_notice(t))
		need_str(v, "refMessageId", c->ref_message_id);
	else if (t && has(c->ref_message_id))
		verr(v, "refMessageId", "a certificate is issued by a notice of its own: renewals, "
					 "suspensions, withdrawals and expiries reference the notice they change");
	char ref_origin[FSB_ORIGIN_MAX + 1];
	uint64_t ref_seq;
	const char *origin = h && has(h->origin) ? h->origin : NULL;
	if (!origin || !has(c->ref_message_id) ||
	    fsb_fmt_message_id(c->ref_message_id, ref_origin, &ref_seq))
		return;
	if (strcmp(origin, ref_origin) != 0)
		verr(v, "refMessageId", "only %s, whose notice %s is, may change it", ref_origin,
		     c->ref_message_id);
	else if (h->seq && ref_seq >= h->seq)
		verr(v, "refMessageId", "must reference an earlier message of %s (this one is seq %" PRIu64 ")",
		     origin, h->seq);
}

static void check_header(struct vctx *v, const Foodsafety__V1__Header *h)
{
	int sealed = v->flags & FSB_VALIDATE_SEALED;
	size_t mark = fsb_path_push(&v->path, "header");
	if (need_msg(v, "issuer", h->issuer)) {
		size_t im = fsb_path_push(&v->path, "issuer");
		need_str(v, "name", h->issuer->name);
		leave(v, im);
	}
	need_enum(v, "category", h->category);
	if (sealed) {
		need_str(v, "origin", h->origin);
		need_str(v, "messageId", h->message_id);
		need_str(v, "issuedAt", h->issued_at);
		if (h->seq == 0)
			verr(v, "seq", "required (1 or more)");
		if (h->prev_hash.len == 0)
			verr(v, "prevHash", "required");
		if (h->schema_version == 0)
			verr(v, "schemaVersion", "required");
	}
	int64_t detected_ms, issued_ms;
	if (has(h->detected_at) && has(h->issued_at) &&
	    !fsb_fmt_timestamp(h->detected_at, &detected_ms) &&
	    !fsb_fmt_timestamp(h->issued_at, &issued_ms) && detected_ms > issued_ms)
		verr(v, "detectedAt", "is after issuedAt: a risk is detected before it is notified");
	if (h->prev_hash.len == FSB_HASH_LEN && h->seq) {
		int zero = 1;
		for (size_t i = 0; i < FSB_HASH_LEN; i++)
			zero &= h->prev_hash.data[i] == 0;
		if (h->seq == 1 && !zero)
			verr(v, "prevHash", "must be 32 zero bytes for seq 1");
		else if (h->seq > 1 && zero)
			verr(v, "prevHash", "must be the hash of seq %" PRIu64 ", not zeros", h->seq - 1);
	}
	if (has(h->message_id) && has(h->origin) && h->seq && !fsb_fmt_slug(h->origin)) {
		char want[FSB_MESSAGE_ID_MAX + 1];
		snprintf(want, sizeof want, "%s:%" PRIu64, h->origin, h->seq);
		if (strcmp(want, h->message_id) != 0)
			verr(v, "messageId", "must be \"%s\" (origin and seq)", want);
	}
	for (size_t i = 0; i < h->n_recipients; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(h->recipients[i], h->recipients[k]) == 0) {
				size_t rm = enter_index(v, "recipients", i);
				verr(v, NULL, "duplicate of recipients[%zu]", k);
				leave(v, rm);
			}
	leave(v, mark);
}

int fsb_message_validate(const struct fsb_message *m, unsigned flags, struct fsb_errlist *errs)
{
	struct vctx v = {.errs = errs, .flags = flags};
	fsb_path_init(&v.path);
	size_t before = fsb_errlist_count(errs);
	if (m->wire_errs)
		for (size_t i = 0; i < m->wire_errs->n; i++)
			fsb_errlist_add(errs, m->wire_errs->items[i].path, "%s",
					m->wire_errs->items[i].msg);
	const Foodsafety__V1__Message *pb = m->pb;
	walk(&v, &pb->base);
	if (need_msg(&v, "header", pb->header))
		check_header(&v, pb->header);
	/* The body's JSON key is its kind's name. */
	const char *body = fsb_kind_name(fsb_message_kind(m));
	size_t mark = body ? fsb_path_push(&v.path, body) : 0;
	switch (pb->body_case) {
	case FOODSAFETY__V1__MESSAGE__BODY_SURVEILLANCE: check_surveillance(&v, pb->surveillance); break;
	case FOODSAFETY__V1__MESSAGE__BODY_QUARANTINE: check_quarantine(&v, pb->quarantine); break;
	case FOODSAFETY__V1__MESSAGE__BODY_RECALL: check_recall(&v, pb->recall); break;
	case FOODSAFETY__V1__MESSAGE__BODY_FOLLOWUP: check_followup(&v, pb->followup, pb->header); break;
	case FOODSAFETY__V1__MESSAGE__BODY_CERTIFICATION:
		check_certification(&v, pb->certification, pb->header);
		break;
	default:
		fsb_errlist_add(errs, "", "no body: one of surveillance, quarantine, recall, followup or certification is required");
		break;
	}
	leave(&v, mark);
	return fsb_errlist_count(errs) == before ? 0 : FSB_EINVALID;
}
