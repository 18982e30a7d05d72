/* test_validate.c - every content rule, each with a failing case that
 * asserts its exact field path.
 *
 * Each case takes a valid example, changes one or two fields of its JSON,
 * and expects one specific error. Values are JSON text, or DELETE, LONG:n
 * (a string of n bytes) or LIST:n (n distinct slugs).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define S "surveillance-enrofloxacin-pangasius-cantho.json"
#define SV "surveillance-vietgap-dragonfruit-longan.json"
#define QI "quarantine-pig-certificate-issued-longan.json"
#define QR "quarantine-pig-certificate-revoked-longan.json"
#define QO "quarantine-asf-outbreak-longan.json"
#define QJ "quarantine-fingerlings-rejected-cantho.json"
#define R1 "recall-ocop-sausage-class1-longan.json"
#define R3 "recall-rice-labelling-class3-longan.json"
#define FM "followup-measures-taken-cantho.json"
#define FW "followup-withdrawal-longan.json"
#define FD "followup-distribution-update-longan.json"
#define FR "followup-reclassification-cantho.json"
#define CI "certification-vietgap-lemon-farm-longan.json"
#define CS "certification-vietgap-lemon-farm-suspended-longan.json"
#define CR "certification-vietgap-beef-farm-renewed-longan.json"

#define SEALED FSB_VALIDATE_SEALED
#define DEL "DELETE"
#define ZERO_HASH "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""
#define ONES_HASH "\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\""

struct vcase {
	char file[64];
	unsigned flags;
	char p1[64], v1[200];
	char p2[64], v2[200];
	char path[64];
	char msg[80];
};

static struct vcase cases[] = {
	/* formats, by the naming conventions */
	{R1, 0, "recall.products[1].gtin", "\"8936045123462\"", "", "", "recall.products[1].gtin", "check digit mismatch"},
	{R1, 0, "recall.products[0].gtin", "\"8936045123461\"", "", "", "recall.products[0].digitalLink", "differs from gtin 08936045123461"},
	{R1, 0, "recall.products[0].digitalLink", "\"https://id.gs1.org/gtn/123\"", "", "", "recall.products[0].digitalLink", "no /01/"},
	{R1, 0, "recall.products[0].digitalLink", "\"https://id.gs1.org/01/08936045123454/10/NOTALOT\"", "", "", "recall.products[0].digitalLink", "names lot NOTALOT, which is not one of the product's lots"},
	{R1, 0, "recall.products[0].lots[1].sscc", "\"008936045123000011\"", "", "", "recall.products[0].lots[1].sscc", "check digit mismatch"},
	{R1, 0, "recall.products[0].producer.gln", "\"8936045100005\"", "", "", "recall.products[0].producer.gln", "check digit mismatch"},
	{R1, 0, "recall.decidedAt", "\"2025-09-09 16:30\"", "", "", "recall.decidedAt", "RFC 3339"},
	{R1, 0, "recall.products[0].lots[0].expiryDate", "\"2025-02-30\"", "", "", "recall.products[0].lots[0].expiryDate", "day out of range"},
	{S, 0, "surveillance.results[0].value", "\"2.4e2\"", "", "", "surveillance.results[0].value", "not a decimal number"},
	{S, 0, "surveillance.results[0].limit", "\"-100\"", "", "", "surveillance.results[0].limit", "must not be negative"},
	{S, 0, "surveillance.samplingPoint.operator.location.latitude", "\"95.5\"", "", "", "surveillance.samplingPoint.operator.location.latitude", "between -90 and 90"},
	{S, 0, "surveillance.samplingPoint.operator.location.country", "\"Vietnam\"", "", "", "surveillance.samplingPoint.operator.location.country", "alpha-2"},
	{R1, 0, "header.recipients[0]", "\"Cần Thơ\"", "", "", "header.recipients[0]", "a-z, 0-9"},
	{R1, 0, "header.origin", "\"LongAn\"", "", "", "header.origin", "a-z, 0-9"},
	{FW, 0, "followup.refMessageId", "\"longan-2\"", "", "", "followup.refMessageId", "{origin}:{seq}"},
	{FM, 0, "followup.refPayloadHash", "\"AAAA\"", "", "", "followup.refPayloadHash", "must be 32 bytes (SHA-256), got 3"},
	{R3, 0, "recall.products[0].name", "LONG:600", "", "", "recall.products[0].name", "too long (600 bytes, at most 512)"},
	{R3, 0, "recall.reason", "LONG:9000", "", "", "recall.reason", "too long (9000 bytes, at most 8192)"},
	{R3, 0, "header.recipients", "LIST:1001", "", "", "header.recipients", "too many entries (1001, at most 1000)"},
	/* header */
	{R1, 0, "header", DEL, "", "", "header", "required"},
	{R1, 0, "header.issuer", DEL, "", "", "header.issuer", "required"},
	{R1, 0, "header.issuer.name", DEL, "", "", "header.issuer.name", "required"},
	{R1, 0, "header.category", DEL, "", "", "header.category", "required"},
	{R1, 0, "recall", DEL, "", "", "", "no body"},
	{FD, 0, "header.recipients", "[\"cantho\", \"angiang\", \"cantho\"]", "", "", "header.recipients[2]", "duplicate of recipients[0]"},
	{R1, 0, "header", "{\"issuer\": {\"name\": \"x\"}, \"category\": \"CATEGORY_CROP\", \"origin\": \"longan\", \"seq\": \"3\", \"messageId\": \"longan:4\"}", "", "", "header.messageId", "must be \"longan:3\" (origin and seq)"},
	{R1, 0, "header.seq", "\"1\"", "header.prevHash", ONES_HASH, "header.prevHash", "must be 32 zero bytes for seq 1"},
	{R1, 0, "header.seq", "\"2\"", "header.prevHash", ZERO_HASH, "header.prevHash", "must be the hash of seq 1"},
	{R1, SEALED, "", "", "", "", "header.origin", "required"},
	{R1, SEALED, "", "", "", "", "header.seq", "required (1 or more)"},
	{R1, SEALED, "", "", "", "", "header.prevHash", "required"},
	{R1, SEALED, "", "", "", "", "header.messageId", "required"},
	{R1, SEALED, "", "", "", "", "header.issuedAt", "required"},
	{R1, SEALED, "", "", "", "", "header.schemaVersion", "required"},
	/* surveillance */
	{S, 0, "surveillance.sample", DEL, "", "", "surveillance.sample", "required"},
	{S, 0, "surveillance.sample.sampleId", DEL, "", "", "surveillance.sample.sampleId", "required"},
	{S, 0, "surveillance.sample.sampledAt", DEL, "", "", "surveillance.sample.sampledAt", "required"},
	{S, 0, "surveillance.sample.quantity.unit", DEL, "", "", "surveillance.sample.quantity.unit", "required"},
	{S, 0, "surveillance.programme.type", DEL, "", "", "surveillance.programme.type", "required"},
	{S, 0, "surveillance.samplingPoint.stage", DEL, "", "", "surveillance.samplingPoint.stage", "required"},
	{S, 0, "surveillance.samplingPoint.operator.name", DEL, "", "", "surveillance.samplingPoint.operator.name", "required"},
	{S, 0, "surveillance.product.name", DEL, "", "", "surveillance.product.name", "required"},
	{S, 0, "surveillance.lab", DEL, "", "", "surveillance.lab", "required"},
	{S, 0, "surveillance.lab.name", DEL, "", "", "surveillance.lab.name", "required"},
	{S, 0, "surveillance.results", "[]", "", "", "surveillance.results", "at least one entry"},
	{S, 0, "surveillance.results[0].analyte", DEL, "", "", "surveillance.results[0].analyte", "required"},
	{S, 0, "surveillance.results[0].hazard", DEL, "", "", "surveillance.results[0].hazard", "required"},
	{S, 0, "surveillance.results[0].verdict", DEL, "", "", "surveillance.results[0].verdict", "required"},
	{S, 0, "surveillance.results[0].resultType", DEL, "", "", "surveillance.results[0].resultType", "required"},
	{S, 0, "surveillance.results[0].value", DEL, "", "", "surveillance.results[0].value", "required"},
	{SV, 0, "surveillance.results[0].lod", DEL, "", "", "surveillance.results[0].lod", "required"},
	{SV, 0, "surveillance.results[1].loq", DEL, "", "", "surveillance.results[1].loq", "required"},
	{S, 0, "surveillance.results[1].value", "\"0.1\"", "", "", "surveillance.results[1].value", "only allowed with resultType RESULT_TYPE_VALUE"},
	{S, 0, "surveillance.results[0].unit", DEL, "", "", "surveillance.results[0].unit", "required when value, limit, lod or loq"},
	{S, 0, "surveillance.overallVerdict", "\"VERDICT_COMPLIANT\"", "", "", "surveillance.overallVerdict", "must be VERDICT_NON_COMPLIANT: results[0] is non-compliant"},
	{S, 0, "surveillance.overallVerdict", DEL, "", "", "surveillance.overallVerdict", "required"},
	{S, 0, "surveillance.sample.receivedAt", "\"2025-06-01T23:00:00+07:00\"", "", "", "surveillance.sample.receivedAt", "is before sampledAt"},
	{S, 0, "surveillance.lab.reportedAt", "\"2025-06-02T01:00:00Z\"", "", "", "surveillance.lab.reportedAt", "is before sample.sampledAt"},
	{SV, 0, "surveillance.product.certifications[0].stars", "4", "", "", "surveillance.product.certifications[0].stars", "only OCOP ratings have stars"},
	{SV, 0, "surveillance.product.certifications[0].scheme", DEL, "", "", "surveillance.product.certifications[0].scheme", "required"},
	{SV, 0, "surveillance.product.lots[0].lotNumber", DEL, "", "", "surveillance.product.lots[0].lotNumber", "required"},
	{R1, 0, "recall.products[0].certifications[0].stars", "6", "", "", "recall.products[0].certifications[0].stars", "3 to 5 stars"},
	{R1, 0, "recall.products[0].lots[0].expiryDate", "\"2025-08-01\"", "", "", "recall.products[0].lots[0].expiryDate", "is before productionDate"},
	/* quarantine */
	{QI, 0, "quarantine.noticeType", DEL, "", "", "quarantine.noticeType", "required"},
	{QI, 0, "quarantine.domain", DEL, "", "", "quarantine.domain", "required"},
	{QI, 0, "quarantine.certificate", DEL, "", "", "quarantine.certificate", "required"},
	{QI, 0, "quarantine.certificate.number", DEL, "", "", "quarantine.certificate.number", "required"},
	{QI, 0, "quarantine.certificate.status", "\"CERTIFICATE_STATUS_REVOKED\"", "", "", "quarantine.certificate.status", "must be CERTIFICATE_STATUS_VALID"},
	{QR, 0, "quarantine.certificate.status", "\"CERTIFICATE_STATUS_VALID\"", "", "", "quarantine.certificate.status", "must be CERTIFICATE_STATUS_REVOKED"},
	{QI, 0, "quarantine.certificate.validUntilDate", "\"2025-08-01\"", "", "", "quarantine.certificate.validUntilDate", "is before validFromDate"},
	{QI, 0, "quarantine.certificate.validFromDate", DEL, "", "", "quarantine.certificate.validFromDate", "required"},
	{QI, 0, "quarantine.certificate.revocationReason", "\"x\"", "", "", "quarantine.certificate.revocationReason", "only allowed with NOTICE_TYPE_CERTIFICATE_REVOKED"},
	{QR, 0, "quarantine.certificate.revocationReason", DEL, "", "", "quarantine.certificate.revocationReason", "required"},
	{QI, 0, "quarantine.noticeType", "\"NOTICE_TYPE_CERTIFICATE_REPLACED\"", "", "", "quarantine.certificate.replacesNumber", "required"},
	{QI, 0, "quarantine.certificate.replacesNumber", "\"LA-1\"", "", "", "quarantine.certificate.replacesNumber", "only allowed with NOTICE_TYPE_CERTIFICATE_REPLACED"},
	{QI, 0, "quarantine.consignor", DEL, "", "", "quarantine.consignor", "required"},
	{QI, 0, "quarantine.consignee", DEL, "", "", "quarantine.consignee", "required"},
	{QI, 0, "quarantine.consignee.name", DEL, "", "", "quarantine.consignee.name", "required"},
	{QI, 0, "quarantine.commodities", "[]", "", "", "quarantine.commodities", "at least one entry"},
	{QI, 0, "quarantine.commodities[0].name", DEL, "", "", "quarantine.commodities[0].name", "required"},
	{QI, 0, "quarantine.commodities[0].quantity", DEL, "", "", "quarantine.commodities[0].quantity", "required"},
	{QI, 0, "quarantine.commodities[0].quantity.amount", DEL, "", "", "quarantine.commodities[0].quantity.amount", "required"},
	{QI, 0, "quarantine.transport.mode", DEL, "", "", "quarantine.transport.mode", "required"},
	{QI, 0, "quarantine.transport.arrivalAt", "\"2025-08-04T23:00:00+07:00\"", "", "", "quarantine.transport.arrivalAt", "is before departureAt"},
	{QI, 0, "quarantine.rejection", "{\"reason\": \"x\"}", "", "", "quarantine.rejection", "only allowed with NOTICE_TYPE_CONSIGNMENT_REJECTED"},
	{QI, 0, "quarantine.outbreak", "{\"disease\": \"x\"}", "", "", "quarantine.outbreak", "only allowed with the NOTICE_TYPE_OUTBREAK_* types"},
	{QJ, 0, "quarantine.rejection", DEL, "", "", "quarantine.rejection", "required"},
	{QJ, 0, "quarantine.rejection.reason", DEL, "", "", "quarantine.rejection.reason", "required"},
	{QJ, 0, "quarantine.commodities", "[]", "", "", "quarantine.commodities", "at least one entry"},
	{QJ, 0, "quarantine.rejection.measures[1].disposal", DEL, "", "", "quarantine.rejection.measures[1].disposal", "required"},
	{QJ, 0, "quarantine.rejection.measures[0].disposal", "\"DISPOSAL_MEANS_DESTRUCTION\"", "", "", "quarantine.rejection.measures[0].disposal", "only allowed with type MEASURE_TYPE_DISPOSAL"},
	{QJ, 0, "quarantine.rejection.measures[0].type", DEL, "", "", "quarantine.rejection.measures[0].type", "required"},
	{QO, 0, "quarantine.outbreak", DEL, "", "", "quarantine.outbreak", "required"},
	{QO, 0, "quarantine.outbreak.disease", DEL, "", "", "quarantine.outbreak.disease", "required"},
	{QO, 0, "quarantine.outbreak.species", DEL, "", "", "quarantine.outbreak.species", "required"},
	{QO, 0, "quarantine.outbreak.location", DEL, "", "", "quarantine.outbreak.location", "required"},
	{QO, 0, "quarantine.outbreak.location.province", DEL, "", "", "quarantine.outbreak.location.province", "required"},
	{QO, 0, "quarantine.outbreak.detectedDate", DEL, "", "", "quarantine.outbreak.detectedDate", "required"},
	{QO, 0, "quarantine.outbreak.confirmedDate", "\"2025-07-01\"", "", "", "quarantine.outbreak.confirmedDate", "is before detectedDate"},
	{QO, 0, "quarantine.outbreak.caseCount", "5000", "", "", "quarantine.outbreak.caseCount", "exceeds susceptibleCount (1450)"},
	{QO, 0, "quarantine.outbreak.declaredOverDate", "\"2025-09-01\"", "", "", "quarantine.outbreak.declaredOverDate", "only allowed with NOTICE_TYPE_OUTBREAK_ENDED"},
	{QO, 0, "quarantine.noticeType", "\"NOTICE_TYPE_OUTBREAK_ENDED\"", "", "", "quarantine.outbreak.declaredOverDate", "required"},
	{QO, 0, "quarantine.noticeType", "\"NOTICE_TYPE_OUTBREAK_ENDED\"", "quarantine.outbreak.declaredOverDate", "\"2025-07-30\"", "quarantine.outbreak.declaredOverDate", "is before detectedDate"},
	{QO, 0, "quarantine.outbreak.measures[1].untilDate", "\"2025-08-01\"", "", "", "quarantine.outbreak.measures[1].untilDate", "is before fromDate"},
	{QO, 0, "quarantine.outbreak.measures[0].type", DEL, "", "", "quarantine.outbreak.measures[0].type", "required"},
	/* recall */
	{R1, 0, "recall.classification", DEL, "", "", "recall.classification", "required"},
	{R1, 0, "recall.recallClass", DEL, "", "", "recall.recallClass", "required"},
	{R1, 0, "recall.initiation", DEL, "", "", "recall.initiation", "required"},
	{R1, 0, "recall.basis", DEL, "", "", "recall.basis", "required"},
	{R1, 0, "recall.riskDecision", DEL, "", "", "recall.riskDecision", "required"},
	{R1, 0, "recall.distributionStatus", DEL, "", "", "recall.distributionStatus", "required"},
	{R1, 0, "recall.hazards", "[]", "", "", "recall.hazards", "at least one entry"},
	{R1, 0, "recall.hazards[0].analyte", DEL, "", "", "recall.hazards[0].analyte", "required"},
	{R1, 0, "recall.hazards[0].hazard", DEL, "", "", "recall.hazards[0].hazard", "required"},
	{R1, 0, "recall.products", "[]", "", "", "recall.products", "at least one entry"},
	{R1, 0, "recall.products[1].name", DEL, "", "", "recall.products[1].name", "required"},
	{R3, 0, "recall.products[0]", "{\"name\": \"Gạo\"}", "", "", "recall.products[0]", "identify the product"},
	{R1, 0, "recall.responsibleOperator", DEL, "", "", "recall.responsibleOperator", "required"},
	{R1, 0, "recall.responsibleOperator.name", DEL, "", "", "recall.responsibleOperator.name", "required"},
	{R1, 0, "recall.distribution", "[]", "", "", "recall.distribution", "at least one entry"},
	{R1, 0, "recall.distribution[1].province", DEL, "", "", "recall.distribution[1].province", "required"},
	{R1, 0, "recall.distribution[0].origin", "\"Cần Thơ\"", "", "", "recall.distribution[0].origin", "a-z, 0-9"},
	{R1, 0, "recall.distribution[0].operators[1].name", DEL, "", "", "recall.distribution[0].operators[1].name", "required"},
	{R1, 0, "recall.distribution[0].quantity.unit", DEL, "", "", "recall.distribution[0].quantity.unit", "required"},
	{R1, 0, "recall.decisionNumber", DEL, "", "", "recall.decisionNumber", "required"},
	{R1, 0, "recall.decidedAt", DEL, "", "", "recall.decidedAt", "required"},
	{R1, 0, "recall.deadlineAt", "\"2025-09-01T00:00:00+07:00\"", "", "", "recall.deadlineAt", "is before decidedAt"},
	{R1, 0, "recall.reason", DEL, "", "", "recall.reason", "required"},
	{R1, 0, "recall.measures[2].disposal", DEL, "", "", "recall.measures[2].disposal", "required"},
	{R1, 0, "recall.measures[0].deadlineAt", "\"tomorrow\"", "", "", "recall.measures[0].deadlineAt", "RFC 3339"},
	/* follow-up */
	{FW, 0, "followup.type", DEL, "", "", "followup.type", "required"},
	{FW, 0, "followup.refMessageId", DEL, "", "", "followup.refMessageId", "required"},
	{FW, 0, "followup.reason", DEL, "", "", "followup.reason", "required"},
	{FW, 0, "followup.type", "\"FOLLOW_UP_TYPE_CORRECTION\"", "followup.text", DEL, "followup.text", "state the corrected information"},
	{FD, 0, "followup.type", "\"FOLLOW_UP_TYPE_ADDITIONAL_INFORMATION\"", "followup.text", DEL, "followup.text", "required"},
	{FM, 0, "followup.measures", "[]", "", "", "followup.measures", "at least one entry"},
	{FM, 0, "followup.measures[1].executedBy", "{\"gln\": \"8930000000019\"}", "", "", "followup.measures[1].executedBy.name", "required"},
	{FD, 0, "followup.distribution", "[]", "", "", "followup.distribution", "at least one entry"},
	{FR, 0, "followup", "{\"type\": \"FOLLOW_UP_TYPE_RECLASSIFICATION\", \"refMessageId\": \"cantho:2\"}", "", "", "followup", "needs newClassification"},
	{FM, 0, "followup.newRecallClass", "\"RECALL_CLASS_I\"", "", "", "followup", "belong to a reclassification"},
	{FW, 0, "header.origin", "\"cantho\"", "", "", "followup.type", "only longan, the origin of longan:2, may correct"},
	{FW, 0, "header.origin", "\"longan\"", "header.seq", "\"2\"", "followup.refMessageId", "must reference an earlier message of longan"},
	/* certification */
	{CI, 0, "certification.type", DEL, "", "", "certification.type", "required"},
	{CI, 0, "certification.scheme", DEL, "", "", "certification.scheme", "required"},
	{CI, 0, "certification.certificateNumber", DEL, "", "", "certification.certificateNumber", "required"},
	{CI, 0, "certification.certifyingBody", DEL, "", "", "certification.certifyingBody", "required"},
	{CI, 0, "certification.holder", DEL, "", "", "certification.holder", "required"},
	{CI, 0, "certification.holder", "{\"name\": \"HTX Thạnh Lợi\"}", "", "", "certification.holder", "identify the establishment"},
	{CI, 0, "certification.validFromDate", DEL, "", "", "certification.validFromDate", "required"},
	{CI, 0, "certification.validUntilDate", "\"2024-01-01\"", "", "", "certification.validUntilDate", "is before validFromDate"},
	{CI, 0, "certification.scope", "[]", "", "", "certification.scope", "at least one entry"},
	{CI, 0, "certification.scope[0]", "{\"name\": \"Chanh\"}", "", "", "certification.scope[0]", "identify the product"},
	{CI, 0, "certification.scope[0].gtin", "\"8938501234019\"", "", "", "certification.scope[0].gtin", "check digit mismatch"},
	{CI, 0, "certification.chain.chainId", DEL, "", "", "certification.chain.chainId", "required"},
	{CI, 0, "certification.chain.role", DEL, "", "", "certification.chain.role", "required"},
	{CI, 0, "certification.stars", "4", "", "", "certification.stars", "only OCOP ratings have stars"},
	{CI, 0, "certification.scheme", "\"CERTIFICATION_SCHEME_OCOP\"", "", "", "certification.stars", "3 to 5 stars"},
	{CI, 0, "certification.refMessageId", "\"longan:1\"", "", "", "certification.refMessageId", "issued by a notice of its own"},
	{CS, 0, "certification.refMessageId", DEL, "", "", "certification.refMessageId", "required"},
	{CS, 0, "certification.reason", DEL, "", "", "certification.reason", "required"},
	{CS, 0, "certification.refPayloadHash", "\"AAAA\"", "", "", "certification.refPayloadHash", "must be 32 bytes"},
	{CR, 0, "certification.scope", DEL, "", "", "certification.scope", "at least one entry"},
	{CR, 0, "header.origin", "\"cantho\"", "", "", "certification.refMessageId", "only longan, whose notice longan:3 is, may change it"},
	{CR, 0, "header.origin", "\"longan\"", "header.seq", "\"3\"", "certification.refMessageId", "must reference an earlier message of longan"},
};

ParameterizedTestParameters(validate, rule)
{
	return cr_make_param_array(struct vcase, cases, sizeof cases / sizeof cases[0]);
}

/* Walks a path like "a.b[2].c" to the parent of its last segment. */
static json_t *parent_of(json_t *root, const char *path, char *last, size_t last_cap, long *index)
{
	json_t *cur = root;
	const char *p = path;
	*index = -1;
	for (;;) {
		size_t n = strcspn(p, ".[");
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)n, p);
		p += n;
		long idx = -1;
		if (*p == '[') {
			idx = strtol(p + 1, (char **)&p, 10);
			p++; /* ']' */
		}
		if (*p == '\0') {
			snprintf(last, last_cap, "%s", key);
			if (idx < 0)
				return cur;
			*index = idx;
			return json_object_get(cur, key);
		}
		cur = json_object_get(cur, key);
		if (idx >= 0)
			cur = json_array_get(cur, (size_t)idx);
		cr_assert_not_null(cur, "path %s does not exist", path);
		p++; /* '.' */
	}
}

static json_t *make_value(const char *v)
{
	long n;
	if (sscanf(v, "LONG:%ld", &n) == 1) {
		char *s = malloc((size_t)n + 1);
		memset(s, 'x', (size_t)n);
		s[n] = '\0';
		json_t *j = json_string(s);
		free(s);
		return j;
	}
	if (sscanf(v, "LIST:%ld", &n) == 1) {
		json_t *a = json_array();
		for (long i = 0; i < n; i++) {
			char s[32];
			snprintf(s, sizeof s, "r%ld", i);
			json_array_append_new(a, json_string(s));
		}
		return a;
	}
	json_error_t err;
	json_t *j = json_loads(v, JSON_DECODE_ANY, &err);
	cr_assert_not_null(j, "bad JSON value in test table: %s", v);
	return j;
}

static void apply(json_t *root, const char *path, const char *value)
{
	if (!path[0])
		return;
	char last[64];
	long index;
	json_t *parent = parent_of(root, path, last, sizeof last, &index);
	cr_assert_not_null(parent, "path %s does not exist", path);
	if (strcmp(value, DEL) == 0) {
		int rc = index >= 0 ? json_array_remove(parent, (size_t)index) : json_object_del(parent, last);
		cr_assert_eq(rc, 0, "cannot delete %s", path);
	} else if (index >= 0) {
		cr_assert_eq(json_array_set_new(parent, (size_t)index, make_value(value)), 0);
	} else {
		cr_assert_eq(json_object_set_new(parent, last, make_value(value)), 0);
	}
}

ParameterizedTest(struct vcase *c, validate, rule)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, c->file);
	json_t *root = json_load_file(path, 0, NULL);
	cr_assert_not_null(root);
	apply(root, c->p1, c->v1);
	apply(root, c->p2, c->v2);
	char *text = json_dumps(root, 0);
	json_decref(root);

	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m = NULL;
	int rc = fsb_message_from_json(text, strlen(text), FSB_KIND_NONE, &m, &errs);
	if (rc)
		th_dump_errors(&errs);
	cr_assert_eq(rc, 0, "%s: the changed document no longer parses", c->path);
	rc = fsb_message_validate(m, c->flags, &errs);
	cr_expect_eq(rc, FSB_EINVALID);
	if (!th_has_error(&errs, c->path, c->msg)) {
		th_dump_errors(&errs);
		cr_expect_fail("expected \"%s: %s\"", c->path, c->msg);
	}
	fsb_message_free(m);
	free(text);
}


ParameterizedTestParameters(validate, example_is_valid)
{
	return th_example_params();
}

ParameterizedTest(struct th_example *ex, validate, example_is_valid)
{
	struct fsb_message *m = th_load_example(ex->name);
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	int rc = fsb_message_validate(m, 0, &errs);
	th_dump_errors(&errs);
	cr_expect_eq(rc, 0, "%s is not valid", ex->name);

	/* Stamped as its node would (the origin ends the file name), it is
	 * valid as a sealed message too. */
	char origin[FSB_ORIGIN_MAX + 1];
	const char *dash = strrchr(ex->name, '-');
	snprintf(origin, sizeof origin, "%.*s", (int)(strlen(dash + 1) - strlen(".json")), dash + 1);
	struct fsb_stamp st = {.origin = origin, .seq = 9, .issued_at = "2025-09-10T04:00:00.000Z"};
	memset(st.prev_hash, 0xAB, sizeof st.prev_hash);
	cr_assert_eq(fsb_message_stamp(m, &st), 0);
	fsb_errlist_init(&errs);
	rc = fsb_message_validate(m, FSB_VALIDATE_SEALED, &errs);
	th_dump_errors(&errs);
	cr_expect_eq(rc, 0, "%s stamped is not valid sealed", ex->name);
	fsb_message_free(m);
}

Test(validate, examples_cover_every_kind_three_times)
{
	size_t n, count[FSB_KIND_MAX + 1] = {0};
	char **list = th_examples(&n);
	for (size_t i = 0; i < n; i++) {
		struct fsb_message *m = th_load_example(list[i]);
		count[fsb_message_kind(m)]++;
		fsb_message_free(m);
	}
	th_free_list(list);
	for (int k = FSB_KIND_SURVEILLANCE; k <= FSB_KIND_MAX; k++)
		cr_expect_geq(count[k], 3, "only %zu %s examples", count[k], fsb_kind_name(k));
}
