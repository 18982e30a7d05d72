/* season.c - a summer season (1 June to 31 August 2026) of the exchange
 * between Long An and Cần Thơ, for the report's tests and the demo.
 *
 *   season LONGAN.conf CANTHO.conf RECORD.json [SEED]
 *
 * Writes both nodes' stores, which must be empty, as if the season had
 * happened: each province's messages signed by its own key, in its stream,
 * sent from its store and received in the other's a known delay later;
 * and RECORD.json, what the season holds, message by message, with the
 * facts that decide every figure of the report (verdicts, classes and
 * bases, detection, acknowledgement and closure times, delays, the
 * certificates' planned standing). The tests add up the record with their
 * own code and compare it with what `fsbridge report` says.
 *
 * Messages are made from the project's examples (schemas/examples), their
 * words and parties kept, the figures drawn from a PRNG with a fixed seed:
 * the same seed gives the same season, byte for byte apart from the
 * signatures. Known rates: non-compliance per category and analyte,
 * recalls of each class, acknowledgement and closure probabilities.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "config.h"
#include "error.h"
#include "format.h"
#include "seal.h"
#include "sign.h"
#include "store.h"

#define DAYS 92 /* 1 June to 31 August */
#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)
#define LOCAL_MS (7 * HOUR_MS)

static int64_t season_start; /* 2026-06-01 00:00 +07:00 */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("season: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- the PRNG (splitmix64) ------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double unit(void) /* [0, 1) */
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int chance(double p)
{
	return unit() < p;
}

static int64_t between(int64_t lo, int64_t hi) /* [lo, hi] */
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* ---- the provinces ------------------------------------------------------------ */

struct province {
	const char *origin, *other, *name;
	const char *qlcl, *cnty, *ttbvtv; /* its units: quality, veterinary, plant protection */
	const char *market, *lab;
	double category_weight[9];        /* by Category value */
};

static const struct province provinces[2] = {
	{"longan", "cantho", "Long An",
	 "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Long An",
	 "Chi cục Chăn nuôi và Thú y Long An", "Chi cục Trồng trọt và Bảo vệ thực vật Long An",
	 "Chợ đầu mối nông sản Tân An", "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Long An",
	 /* aquatic, livestock, crop, forestry, processed */
	 {0, 0.15, 0.25, 0.50, 0, 0.10, 0, 0, 0}},
	{"cantho", "longan", "Cần Thơ",
	 "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Cần Thơ",
	 "Chi cục Chăn nuôi và Thú y thành phố Cần Thơ",
	 "Chi cục Trồng trọt và Bảo vệ thực vật Cần Thơ", "Chợ đầu mối nông sản Cái Răng",
	 "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Cần Thơ",
	 {0, 0.45, 0.15, 0.30, 0, 0.10, 0, 0, 0}},
};

static const char *const category_names[9] = {
	NULL, "CATEGORY_AQUATIC", "CATEGORY_LIVESTOCK", "CATEGORY_CROP", "CATEGORY_FORESTRY",
	"CATEGORY_PROCESSED", "CATEGORY_SALT", "CATEGORY_INPUTS", "CATEGORY_OTHER",
};

/* What is tested in each category, and how often it fails. */
struct analyte {
	const char *name, *hazard;
	double p_fail;
};

static const struct analyte aquatic[] = {
	{"Enrofloxacin", "HAZARD_CATEGORY_VETERINARY_DRUG_RESIDUE", 0.06},
	{"Malachite green", "HAZARD_CATEGORY_BANNED_SUBSTANCE", 0.02},
	{"Trifluralin", "HAZARD_CATEGORY_PESTICIDE_RESIDUE", 0.03},
	{"Salmonella spp.", "HAZARD_CATEGORY_PATHOGEN", 0.04},
	{"Chì (Pb)", "HAZARD_CATEGORY_HEAVY_METAL", 0.01},
};
static const struct analyte livestock[] = {
	{"Salbutamol", "HAZARD_CATEGORY_BANNED_SUBSTANCE", 0.03},
	{"Tetracycline", "HAZARD_CATEGORY_VETERINARY_DRUG_RESIDUE", 0.05},
	{"Salmonella spp.", "HAZARD_CATEGORY_PATHOGEN", 0.08},
	{"E. coli", "HAZARD_CATEGORY_INDICATOR_ORGANISM", 0.10},
};
static const struct analyte crop[] = {
	{"Chlorpyrifos ethyl", "HAZARD_CATEGORY_PESTICIDE_RESIDUE", 0.04},
	{"Cypermethrin", "HAZARD_CATEGORY_PESTICIDE_RESIDUE", 0.03},
	{"Carbendazim", "HAZARD_CATEGORY_PESTICIDE_RESIDUE", 0.05},
	{"Cadimi (Cd)", "HAZARD_CATEGORY_HEAVY_METAL", 0.02},
	{"Nitrat (NO3-)", "HAZARD_CATEGORY_CHEMICAL_CONTAMINANT", 0.03},
};
static const struct analyte processed[] = {
	{"Hàn the (borax)", "HAZARD_CATEGORY_FOOD_ADDITIVE", 0.06},
	{"Listeria monocytogenes", "HAZARD_CATEGORY_PATHOGEN", 0.03},
	{"Aflatoxin B1", "HAZARD_CATEGORY_MYCOTOXIN", 0.02},
	{"Nhãn hàng hóa", "HAZARD_CATEGORY_LABELLING", 0.05},
};

struct category_plan {
	const struct analyte *analytes;
	size_t n;
	const char *products[4];
	const char *stage;
};

static const struct category_plan plans[9] = {
	[1] = {aquatic, 5, {"Cá tra phi lê", "Tôm thẻ chân trắng", "Cá lóc", "Cá rô phi"},
	       "SAMPLING_STAGE_AQUACULTURE_FARM"},
	[2] = {livestock, 4, {"Thịt heo", "Thịt gà", "Thịt bò", "Trứng vịt"},
	       "SAMPLING_STAGE_SLAUGHTERHOUSE"},
	[3] = {crop, 5, {"Chanh không hạt", "Thanh long ruột đỏ", "Gạo ST25", "Rau muống"},
	       "SAMPLING_STAGE_WHOLESALE_MARKET"},
	[5] = {processed, 4, {"Lạp xưởng tươi", "Chả lụa", "Khô cá lóc", "Nước mắm"},
	       "SAMPLING_STAGE_PROCESSING_PLANT"},
};

/* ---- the season's messages ------------------------------------------------------ */

/* The examples, read once. */
static json_t *examples[32];
static const char *example_names[32];
static const char *examples_dir;

static json_t *example(const char *name)
{
	size_t i;
	for (i = 0; i < 32 && example_names[i]; i++)
		if (strcmp(example_names[i], name) == 0)
			return json_deep_copy(examples[i]);
	if (i == 32)
		fail("too many examples");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.json", examples_dir, name);
	json_error_t e;
	examples[i] = json_load_file(path, 0, &e);
	if (!examples[i])
		fail("%s: %s", path, e.text);
	example_names[i] = name;
	return json_deep_copy(examples[i]);
}

/* One message of the season. */
struct msg {
	int p;           /* the origin: index into provinces */
	int64_t t;       /* issued at */
	int64_t lag;     /* until the other province's node has it */
	json_t *doc;     /* the message, without the reference's id */
	int ref;         /* the message it refers to (index), or -1 */
	json_t *rec;     /* what the record says of it */
	/* once sealed */
	uint64_t seq;
	uint8_t hash[FSB_HASH_LEN], prev[FSB_HASH_LEN];
	uint8_t *env;
	size_t env_len;
	enum fsb_kind kind;
	char category[FSB_CATEGORY_MAX + 1];
};

static struct msg *msgs;
static size_t n_msgs, cap_msgs;

static void set_time(json_t *obj, const char *key, int64_t ms)
{
	char t[FSB_TIME_MAX + 1];
	fsb_fmt_time(ms, t);
	json_object_set_new(obj, key, json_string(t));
}

/* A delivery delay: mostly seconds, sometimes an outage of up to an hour. */
static int64_t lag(void)
{
	return chance(0.03) ? between(10 * 60 * 1000, 60 * 60 * 1000) : between(150, 4000);
}

static int add(int p, int64_t t, json_t *doc, int ref, const char *kind)
{
	if (n_msgs == cap_msgs) {
		cap_msgs = cap_msgs ? cap_msgs * 2 : 1024;
		msgs = realloc(msgs, cap_msgs * sizeof *msgs);
		if (!msgs)
			fail("out of memory");
	}
	struct msg *m = &msgs[n_msgs];
	memset(m, 0, sizeof *m);
	m->p = p;
	m->t = t;
	m->lag = lag();
	m->doc = doc;
	m->ref = ref;
	m->rec = json_pack("{s:s, s:s, s:I, s:I}", "origin", provinces[p].origin, "kind", kind, "t",
			   (json_int_t)t, "lag", (json_int_t)m->lag);
	return (int)n_msgs++;
}

static json_t *header(json_t *doc)
{
	return json_object_get(doc, "header");
}

/* The header's category, copied (the doc may change under a pointer). */
static const char *category_of(json_t *doc, char out[40])
{
	snprintf(out, 40, "%s", json_string_value(json_object_get(header(doc), "category")));
	return out;
}

/* The header an origin's unit writes: issuer, recipients, category. */
static void issue(json_t *doc, const char *unit, const char *to, const char *category)
{
	json_t *h = header(doc);
	json_object_set_new(h, "issuer", json_pack("{s:s}", "name", unit));
	if (to)
		json_object_set_new(h, "recipients", json_pack("[s]", to));
	else
		json_object_del(h, "recipients");
	if (category)
		json_object_set_new(h, "category", json_string(category));
	json_object_del(h, "reference");
	json_object_del(h, "detectedAt");
}

/* The follow-ups of a root that calls for action: the other province
 * acknowledges it (p_ack), its origin closes it (p_close, if that falls
 * within the season), after delays drawn in [lo, hi] hours. */
static void follow_up(int root, double p_ack, int64_t ack_lo, int64_t ack_hi, double p_close,
		      int64_t close_lo, int64_t close_hi)
{
	struct msg r = msgs[root]; /* a copy: add() may move the array */
	const struct province *o = &provinces[r.p], *x = &provinces[1 - r.p];
	char cat[40];
	const char *category = category_of(r.doc, cat);
	json_t *rec = r.rec;
	json_object_set_new(rec, "alerting", json_true());
	int64_t end = season_start + DAYS * DAY_MS - 12 * HOUR_MS;
	if (chance(p_ack)) {
		int64_t t = r.t + between(ack_lo * HOUR_MS, ack_hi * HOUR_MS);
		json_t *d = example("followup-acknowledgement-cantho");
		issue(d, x->qlcl, o->origin, category);
		json_object_set_new(json_object_get(d, "followup"), "text",
				    json_string("Đã nhận thông báo; đơn vị đã phân công kiểm tra tại địa phương."));
		int i = add(1 - r.p, t, d, root, "followup");
		json_object_set_new(msgs[i].rec, "type", json_string("FOLLOW_UP_TYPE_ACKNOWLEDGEMENT"));
		json_object_set_new(rec, "ack_t", json_integer(t));
	}
	if (chance(p_close)) {
		int64_t t = r.t + between(close_lo * HOUR_MS, close_hi * HOUR_MS);
		if (t <= end) {
			json_t *d = example("followup-closure-longan");
			issue(d, o->qlcl, x->origin, category);
			json_object_set_new(json_object_get(d, "followup"), "reason",
					    json_string("Đã xử lý xong, cơ sở đã khắc phục."));
			json_object_set_new(json_object_get(d, "followup"), "text",
					    json_string("Kết thúc vụ việc."));
			int i = add(r.p, t, d, root, "followup");
			json_object_set_new(msgs[i].rec, "type", json_string("FOLLOW_UP_TYPE_CLOSURE"));
			json_object_set_new(rec, "close_t", json_integer(t));
		}
	}
}

/* A working day's hour, local time: 07:30 to 17:00. */
static int64_t office_time(int day)
{
	return season_start + day * DAY_MS + between(7 * HOUR_MS + 30 * 60000, 17 * HOUR_MS);
}

static int pick_category(const struct province *pr)
{
	double u = unit(), sum = 0;
	for (int c = 1; c < 9; c++) {
		sum += pr->category_weight[c];
		if (u < sum)
			return c;
	}
	return 3;
}

static void surveillance(int p, long serial)
{
	const struct province *pr = &provinces[p];
	int c = pick_category(pr);
	const struct category_plan *plan = &plans[c];
	int64_t t = office_time((int)between(0, DAYS - 1));
	json_t *d = example("surveillance-chlorpyrifos-lemon-cantho");
	issue(d, pr->qlcl, NULL, category_names[c]);
	set_time(header(d), "detectedAt", t - between(HOUR_MS, 20 * HOUR_MS));
	json_t *s = json_object_get(d, "surveillance");
	char id[64];
	snprintf(id, sizeof id, "%s-GS-2026-%05ld", p ? "CT" : "LA", serial);
	json_object_set_new(json_object_get(s, "sample"), "sampleId", json_string(id));
	set_time(json_object_get(s, "sample"), "sampledAt", t - between(3 * DAY_MS, 6 * DAY_MS));
	json_object_del(json_object_get(s, "sample"), "receivedAt");
	json_object_set_new(s, "product", json_pack("{s:s}", "name", plan->products[rnd() % 4]));
	json_object_set_new(s, "samplingPoint",
			    json_pack("{s:s, s:{s:s, s:{s:s}}}", "stage", plan->stage, "operator", "name",
				      pr->market, "location", "province", pr->name));
	json_object_set_new(s, "lab", json_pack("{s:s, s:s}", "name", pr->lab, "accreditation", "VILAS 317"));
	/* one to three analytes of the category, each failing at its rate */
	json_t *results = json_array(), *rec_an = json_array();
	size_t k = 1 + rnd() % 3, first = rnd() % plan->n;
	int nc = 0;
	for (size_t i = 0; i < k && i < plan->n; i++) {
		const struct analyte *a = &plan->analytes[(first + i) % plan->n];
		int fails = chance(a->p_fail);
		nc |= fails;
		json_array_append_new(results,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "analyte", a->name, "hazard",
						a->hazard, "resultType", "RESULT_TYPE_VALUE", "value",
						fails ? "0.25" : "0.004", "unit", "UNIT_MG_PER_KG", "verdict",
						fails ? "VERDICT_NON_COMPLIANT" : "VERDICT_COMPLIANT"));
		json_array_append_new(rec_an, json_pack("[s, s, b]", a->hazard, a->name, fails));
	}
	json_object_set_new(s, "results", results);
	json_object_set_new(s, "overallVerdict",
			    json_string(nc ? "VERDICT_NON_COMPLIANT" : "VERDICT_COMPLIANT"));
	json_object_set_new(s, "conclusion",
			    json_string(nc ? "Mẫu không đạt; đề nghị truy xuất và kiểm tra cơ sở."
					   : "Mẫu đạt yêu cầu."));
	int i = add(p, t, d, -1, "surveillance");
	json_object_set_new(msgs[i].rec, "category", json_string(category_names[c]));
	json_object_set_new(msgs[i].rec, "nc", json_boolean(nc));
	json_object_set_new(msgs[i].rec, "analytes", rec_an);
	if (nc)
		follow_up(i, 0.8, 2, 48, 0.6, 72, 480);
}

static const char *const bases[] = {
	"RECALL_BASIS_OFFICIAL_CONTROL", "RECALL_BASIS_OWN_CHECK", "RECALL_BASIS_CONSUMER_COMPLAINT",
	"RECALL_BASIS_FOOD_POISONING", "RECALL_BASIS_BORDER_CONTROL",
};

/* A recall of class cls (1 to 3); undated: without a detection time;
 * withdrawn: withdrawn by its origin six hours later. */
static void recall(int p, int cls, int undated, int withdrawn)
{
	static const char *const tmpl[] = {"", "recall-ocop-sausage-class1-longan",
					   "recall-lemon-chlorpyrifos-class2-longan",
					   "recall-rice-labelling-class3-longan"};
	static const char *const classes[] = {"", "RECALL_CLASS_I", "RECALL_CLASS_II", "RECALL_CLASS_III"};
	const struct province *pr = &provinces[p];
	int64_t t = office_time((int)between(14, 80));
	json_t *d = example(tmpl[cls]);
	char cat[40];
	const char *category = category_of(d, cat);
	issue(d, pr->qlcl, pr->other, category);
	int64_t detected = t - between(cls == 1 ? 2 * HOUR_MS : 6 * HOUR_MS, cls == 1 ? 8 * HOUR_MS : 30 * HOUR_MS);
	if (!undated)
		set_time(header(d), "detectedAt", detected);
	const char *basis = bases[rnd() % (sizeof bases / sizeof bases[0])];
	json_object_set_new(json_object_get(d, "recall"), "basis", json_string(basis));
	int i = add(p, t, d, -1, "recall");
	json_object_set_new(msgs[i].rec, "class", json_string(classes[cls]));
	json_object_set_new(msgs[i].rec, "basis", json_string(basis));
	if (!undated)
		json_object_set_new(msgs[i].rec, "detected", json_integer(detected));
	if (withdrawn) {
		json_t *w = example("followup-withdrawal-longan");
		issue(w, pr->qlcl, pr->other, category);
		json_object_set_new(json_object_get(w, "followup"), "reason",
				    json_string("Thông báo gửi nhầm lô hàng; lô đúng không vi phạm."));
		json_object_set_new(json_object_get(w, "followup"), "text",
				    json_string("Đề nghị các đơn vị bỏ qua thông báo thu hồi này."));
		int k = add(p, t + 6 * HOUR_MS, w, i, "followup");
		json_object_set_new(msgs[k].rec, "type", json_string("FOLLOW_UP_TYPE_WITHDRAWAL"));
		json_object_set_new(msgs[i].rec, "withdrawn", json_true());
		json_object_set_new(msgs[i].rec, "alerting", json_true());
		return;
	}
	if (cls == 1)
		follow_up(i, 0.85, 1, 10, 0.75, 120, 288);
	else
		follow_up(i, 0.85, 4, 60, 0.75, 120, 288);
}

/* A quarantine notice: type (the NoticeType value's name after
 * NOTICE_TYPE_), on day. */
static int quarantine(int p, const char *type, int day)
{
	const struct province *pr = &provinces[p];
	const char *tmpl = strcmp(type, "CERTIFICATE_ISSUED") == 0 ? "quarantine-pig-certificate-issued-longan"
			   : strcmp(type, "CERTIFICATE_REVOKED") == 0 ? "quarantine-pig-certificate-revoked-longan"
			   : strcmp(type, "CONSIGNMENT_REJECTED") == 0 ? "quarantine-fingerlings-rejected-cantho"
			   : "quarantine-asf-outbreak-longan";
	json_t *d = example(tmpl);
	char cat[40];
	const char *category = category_of(d, cat);
	issue(d, pr->cnty, strstr(type, "OUTBREAK") ? NULL : pr->other, category);
	char name[64];
	snprintf(name, sizeof name, "NOTICE_TYPE_%s", type);
	json_t *q = json_object_get(d, "quarantine");
	json_object_set_new(q, "noticeType", json_string(name));
	json_t *ob = json_object_get(q, "outbreak");
	if (ob) {
		json_object_set_new(ob, "disease", json_string(p ? "Cúm gia cầm A/H5N1" : "Dịch tả heo châu Phi (ASF)"));
		json_object_set_new(ob, "species", json_string(p ? "Gà, vịt" : "Heo"));
		json_object_set_new(ob, "location", json_pack("{s:s, s:s, s:s}", "commune", p ? "Xã Thạnh Phú" : "Xã Hòa Khánh Đông",
							       "district", p ? "Huyện Cờ Đỏ" : "Huyện Đức Hòa",
							       "province", pr->name));
		json_object_set_new(ob, "caseCount", json_integer(between(20, 300)));
		json_object_set_new(ob, "deathCount", json_integer(between(5, 60)));
		json_object_set_new(ob, "destroyedCount", json_integer(between(50, 900)));
		if (strcmp(type, "OUTBREAK_ENDED") == 0)
			json_object_set_new(ob, "declaredOverDate", json_string("2026-08-20"));
		else
			json_object_del(ob, "declaredOverDate");
	}
	int i = add(p, office_time(day), d, -1, "quarantine");
	json_object_set_new(msgs[i].rec, "type", json_string(name));
	if (ob) {
		json_object_set_new(msgs[i].rec, "disease", json_object_get(ob, "disease"));
		json_incref(json_object_get(ob, "disease"));
		json_object_set_new(msgs[i].rec, "cases", json_object_get(ob, "caseCount"));
		json_incref(json_object_get(ob, "caseCount"));
	}
	return i;
}

/* ---- certificates ----------------------------------------------------------------- */

static json_t *certificates; /* the record's: scheme and planned standing */

/* A certification notice from example tmpl, changed by the rest; the
 * planned standing at the season's end goes to the record when `state`
 * is given. */
static int certify(int p, int day, const char *tmpl, const char *holder, const char *tax,
		   const char *scheme, const char *chain, const char *chain_name, const char *role,
		   const char *from, const char *until, const char *state)
{
	const struct province *pr = &provinces[p];
	json_t *d = example(tmpl);
	char cat[40];
	const char *category = category_of(d, cat);
	issue(d, pr->ttbvtv, NULL, category);
	json_t *c = json_object_get(d, "certification");
	json_object_set_new(c, "type", json_string("CERTIFICATION_NOTICE_TYPE_ISSUED"));
	json_object_del(c, "refMessageId");
	json_object_del(c, "reason");
	if (holder) {
		json_t *h = json_object_get(c, "holder");
		json_object_set_new(h, "name", json_string(holder));
		json_object_set_new(h, "taxCode", json_string(tax));
		json_object_del(h, "gln");
		json_object_del(h, "registrationNumber");
		char number[64];
		snprintf(number, sizeof number, "%s-%s", p ? "CT" : "LA", tax);
		json_object_set_new(c, "certificateNumber", json_string(number));
		char code[64];
		snprintf(code, sizeof code, "TXNG-%s", tax);
		json_object_set_new(c, "scope", json_pack("[{s:s, s:s}]", "name", chain_name ? chain_name : holder,
							  "traceabilityCode", code));
		json_object_set_new(h, "location", json_pack("{s:s}", "province", pr->name));
		json_object_del(h, "contact");
		json_object_del(c, "remarks");
	}
	if (scheme) {
		json_object_set_new(c, "scheme", json_string(scheme));
		if (strcmp(scheme, "CERTIFICATION_SCHEME_OCOP") == 0)
			json_object_set_new(c, "stars", json_integer(4));
	}
	if (chain)
		json_object_set_new(c, "chain", json_pack("{s:s, s:s, s:s}", "chainId", chain, "name",
							  chain_name, "role", role));
	else if (holder)
		json_object_del(c, "chain");
	json_object_set_new(c, "validFromDate", json_string(from));
	json_object_set_new(c, "validUntilDate", json_string(until));
	int i = add(p, office_time(day), d, -1, "certification");
	if (state)
		json_array_append_new(certificates,
				      json_pack("{s:s, s:s, s:s}", "origin", pr->origin, "scheme",
						json_string_value(json_object_get(c, "scheme")), "state", state));
	return i;
}

/* A notice changing certificate `root`: SUSPENDED or WITHDRAWN. */
static void change(int root, int day, const char *type)
{
	struct msg r = msgs[root];
	json_t *d = json_deep_copy(r.doc);
	json_t *c = json_object_get(d, "certification");
	char name[64];
	snprintf(name, sizeof name, "CERTIFICATION_NOTICE_TYPE_%s", type);
	json_object_set_new(c, "type", json_string(name));
	json_object_del(c, "validFromDate");
	json_object_del(c, "validUntilDate");
	json_object_del(c, "scope");
	json_object_set_new(c, "reason", json_string("Kết quả đánh giá giám sát không đạt yêu cầu."));
	add(r.p, office_time(day), d, root, "certification");
}

static void season_certificates(void)
{
	certificates = json_array();
	/* Lemon: Long An's farm and packing house, Cần Thơ's distributor: safe. */
	certify(0, 0, "certification-vietgap-lemon-farm-longan", NULL, NULL, NULL, NULL, NULL, NULL,
		"2024-11-20", "2027-11-19", "in_force");
	certify(0, 0, "certification-food-safety-lemon-packinghouse-longan", NULL, NULL, NULL, NULL,
		NULL, NULL, "2025-03-01", "2028-02-28", "in_force");
	certify(1, 1, "certification-food-safety-lemon-distributor-cantho", NULL, NULL, NULL, NULL,
		NULL, NULL, "2025-05-01", "2028-04-30", "in_force");
	/* Pangasius for export, Cần Thơ: GlobalG.A.P. farm, HACCP processor: safe, international. */
	certify(1, 1, "certification-globalgap-pangasius-farm-cantho", NULL, NULL, NULL, NULL, NULL,
		NULL, "2025-10-01", "2027-09-30", "in_force");
	certify(1, 2, "certification-haccp-pangasius-processor-cantho", NULL, NULL, NULL, NULL, NULL,
		NULL, "2025-06-15", "2028-06-14", "in_force");
	/* Beef, Long An: the farm's certificate runs out on 31 July: not safe at the end. */
	certify(0, 2, "certification-vietgap-beef-farm-longan", NULL, NULL, NULL, NULL, NULL, NULL,
		"2023-08-01", "2026-07-31", "expired");
	certify(0, 2, "certification-food-safety-beef-slaughterhouse-longan", NULL, NULL, NULL, NULL,
		NULL, NULL, "2025-01-10", "2028-01-09", "in_force");
	/* Rice: a Cần Thơ farm, a Long An mill: safe. */
	certify(1, 3, "certification-vietgap-lemon-farm-longan", "Hợp tác xã lúa gạo Thới Lai", "1801234567",
		NULL, "CT-LA-GAO-01", "Chuỗi gạo ST25 Thới Lai – Long An", "CHAIN_ROLE_FARM", "2025-02-01",
		"2028-01-31", "in_force");
	certify(0, 3, "certification-food-safety-lemon-packinghouse-longan", "Nhà máy xay xát gạo Tân Long",
		"1102345678", NULL, "CT-LA-GAO-01", "Chuỗi gạo ST25 Thới Lai – Long An",
		"CHAIN_ROLE_PROCESSOR", "2025-04-01", "2028-03-31", "in_force");
	/* Dragon fruit, Long An: the packing house is suspended in August: not safe. */
	certify(0, 4, "certification-vietgap-lemon-farm-longan", "Hợp tác xã thanh long Châu Thành",
		"1103456789", NULL, "LA-TL-01", "Chuỗi thanh long ruột đỏ Châu Thành", "CHAIN_ROLE_FARM",
		"2025-05-01", "2028-04-30", "in_force");
	int pack = certify(0, 4, "certification-food-safety-lemon-packinghouse-longan",
			   "Cơ sở sơ chế thanh long Phú Ngãi Trị", "1104567890", NULL, "LA-TL-01",
			   "Chuỗi thanh long ruột đỏ Châu Thành", "CHAIN_ROLE_PACKING_HOUSE", "2025-05-01",
			   "2028-04-30", "suspended");
	change(pack, 70, "SUSPENDED");
	/* OCOP products, no chain: one rated from October, one withdrawn. */
	static const struct {
		int p;
		const char *holder, *tax, *from, *state;
	} ocop[] = {
		{0, "Cơ sở lạp xưởng Út Hương", "1100987654", "2024-06-30", "in_force"},
		{0, "Cơ sở nước mắm Cần Giuộc", "1105678901", "2026-10-01", "not_yet_valid"},
		{1, "Cơ sở bánh tráng Thuận Hưng", "1802345678", "2025-01-15", "in_force"},
		{1, "Hợp tác xã khô cá Phong Điền", "1803456789", "2025-03-20", "withdrawn"},
	};
	for (size_t i = 0; i < sizeof ocop / sizeof ocop[0]; i++) {
		int k = certify(ocop[i].p, 5, "certification-vietgap-lemon-farm-longan", ocop[i].holder,
				ocop[i].tax, "CERTIFICATION_SCHEME_OCOP", NULL, NULL, NULL, ocop[i].from,
				"2029-06-30", ocop[i].state);
		if (strcmp(ocop[i].state, "withdrawn") == 0)
			change(k, 60, "WITHDRAWN");
	}
}

/* ---- the season ------------------------------------------------------------------ */

static void season(void)
{
	season_certificates();
	long serial[2] = {0, 0};
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 1500; i++)
			surveillance(p, ++serial[p]);
	/* recalls: Long An 3 of class I, 5 of II (one withdrawn), 4 of III (one
	 * without a detection time); Cần Thơ 2, 4, 3 */
	static const int counts[2][4] = {{0, 3, 5, 4}, {0, 2, 4, 3}};
	for (int p = 0; p < 2; p++)
		for (int cls = 1; cls <= 3; cls++)
			for (int i = 0; i < counts[p][cls]; i++)
				recall(p, cls, p == 0 && cls == 3 && i == 0, p == 0 && cls == 2 && i == 0);
	/* quarantine: movement certificates, revocations, rejections, an outbreak */
	for (int p = 0; p < 2; p++) {
		for (int i = 0; i < 30; i++)
			quarantine(p, "CERTIFICATE_ISSUED", (int)between(0, DAYS - 1));
		for (int i = 0; i < 3; i++)
			follow_up(quarantine(p, "CERTIFICATE_REVOKED", (int)between(5, 85)), 0.9, 2, 48, 0.5, 48, 240);
		for (int i = 0; i < 4; i++)
			follow_up(quarantine(p, "CONSIGNMENT_REJECTED", (int)between(5, 85)), 0.9, 2, 48, 0.5, 48, 240);
		follow_up(quarantine(p, "OUTBREAK_DECLARED", 40 + p * 5), 1.0, 1, 12, 0, 0, 0);
		follow_up(quarantine(p, "OUTBREAK_UPDATE", 47 + p * 5), 1.0, 1, 12, 0, 0, 0);
		follow_up(quarantine(p, "OUTBREAK_UPDATE", 60 + p * 5), 1.0, 1, 12, 0, 0, 0);
		quarantine(p, "OUTBREAK_ENDED", 80);
	}
}

/* ---- sealing and storing ----------------------------------------------------------- */

static int cmp_time(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->p - y->p;
}

/* Seals every message in order of time, each stream linked, references
 * resolved (a message refers to an earlier one). */
static void seal_all(struct fsb_signer *signers[2])
{
	/* Sorting moves messages: references go by a stable number. */
	for (size_t i = 0; i < n_msgs; i++)
		json_object_set_new(msgs[i].rec, "n", json_integer((json_int_t)i));
	for (size_t i = 0; i < n_msgs; i++)
		if (msgs[i].ref >= 0)
			json_object_set_new(msgs[i].rec, "ref_n", json_integer(msgs[i].ref));
	qsort(msgs, n_msgs, sizeof *msgs, cmp_time);
	size_t *at = malloc(n_msgs * sizeof *at);
	for (size_t i = 0; i < n_msgs; i++)
		at[json_integer_value(json_object_get(msgs[i].rec, "n"))] = i;
	uint64_t seq[2] = {0, 0};
	uint8_t prev[2][FSB_HASH_LEN];
	memset(prev, 0, sizeof prev);
	for (size_t i = 0; i < n_msgs; i++) {
		struct msg *m = &msgs[i];
		const struct msg *ref = NULL;
		json_t *refn = json_object_get(m->rec, "ref_n");
		if (refn) {
			ref = &msgs[at[json_integer_value(refn)]];
			char id[FSB_MESSAGE_ID_MAX + 1];
			snprintf(id, sizeof id, "%s:%llu", provinces[ref->p].origin, (unsigned long long)ref->seq);
			json_t *body = json_object_get(m->doc, "followup");
			if (!body)
				body = json_object_get(m->doc, "certification");
			json_object_set_new(body, "refMessageId", json_string(id));
			json_object_set_new(m->rec, "ref", json_string(id));
		}
		char *text = json_dumps(m->doc, JSON_COMPACT);
		struct fsb_errlist errs;
		fsb_errlist_init(&errs);
		struct fsb_message *fm;
		if (fsb_message_from_json(text, strlen(text), FSB_KIND_NONE, &fm, &errs))
			fail("message %zu does not read: %s %s\n%s", i, errs.items[0].path, errs.items[0].msg, text);
		if (ref && fsb_message_set_ref_hash(fm, ref->hash))
			fail("message %zu: cannot set its reference's hash", i);
		m->seq = ++seq[m->p];
		memcpy(m->prev, prev[m->p], FSB_HASH_LEN);
		char t[FSB_TIME_MAX + 1];
		fsb_fmt_time(m->t, t);
		struct fsb_stamp st = {.origin = provinces[m->p].origin, .seq = m->seq, .issued_at = t};
		memcpy(st.prev_hash, m->prev, FSB_HASH_LEN);
		if (fsb_seal_message(signers[m->p], fm, &st, &m->env, &m->env_len, m->hash, &errs))
			fail("message %zu (%s) is not valid: %s %s\n%s", i,
			     json_string_value(json_object_get(m->rec, "kind")),
			     errs.n ? errs.items[0].path : "", errs.n ? errs.items[0].msg : "", text);
		memcpy(prev[m->p], m->hash, FSB_HASH_LEN);
		m->kind = fsb_message_kind(fm);
		if (!fsb_message_category(fm, m->category))
			m->category[0] = '\0';
		char id[FSB_MESSAGE_ID_MAX + 1];
		snprintf(id, sizeof id, "%s:%llu", provinces[m->p].origin, (unsigned long long)m->seq);
		json_object_set_new(m->rec, "id", json_string(id));
		json_object_del(m->rec, "n");
		json_object_del(m->rec, "ref_n");
		fsb_message_free(fm);
		free(text);
	}
	free(at);
}

static void entry_of(const struct msg *m, struct fsb_signer *signer, int received,
		     struct fsb_entry_in *e)
{
	memset(e, 0, sizeof *e);
	e->envelope = m->env;
	e->envelope_len = m->env_len;
	e->origin = provinces[m->p].origin;
	e->seq = m->seq;
	memcpy(e->payload_hash, m->hash, FSB_HASH_LEN);
	memcpy(e->prev_hash, m->prev, FSB_HASH_LEN);
	e->kind = m->kind;
	e->category = m->category[0] ? m->category : NULL;
	e->issued_at_ms = m->t;
	e->arrival_ms = received ? m->t + m->lag : m->t;
	e->direction = received ? FSB_DIR_RECEIVED : FSB_DIR_SENT;
	e->status = FSB_STATUS_ACCEPTED;
	e->cert = fsb_signer_cert(signer, &e->cert_len);
}

struct own_batch {
	struct msg **m;
	struct fsb_signer *signer;
};

static int seal_own(void *ctx, size_t i, uint64_t seq, const uint8_t prev_hash[FSB_HASH_LEN],
		    int64_t prev_issued_at_ms, struct fsb_entry_in *out)
{
	struct own_batch *b = ctx;
	const struct msg *m = b->m[i];
	(void)prev_issued_at_ms;
	if (seq != m->seq || memcmp(prev_hash, m->prev, FSB_HASH_LEN) != 0)
		fail("the store of %s is not empty", provinces[m->p].origin);
	entry_of(m, b->signer, 0, out);
	return 0;
}

/* Writes the season a day at a time: each province's messages of the day
 * into its own store (sent), then the other's into it (received). */
static void store_all(struct fsb_store *stores[2], struct fsb_signer *signers[2])
{
	struct msg **day = malloc(n_msgs * sizeof *day);
	struct fsb_entry_in *in = malloc(n_msgs * sizeof *in);
	enum fsb_append_result *res = malloc(n_msgs * sizeof *res);
	uint64_t *idx = malloc(n_msgs * sizeof *idx);
	for (size_t i = 0; i < n_msgs;) {
		int64_t d = (msgs[i].t + LOCAL_MS) / DAY_MS;
		size_t j = i;
		while (j < n_msgs && (msgs[j].t + LOCAL_MS) / DAY_MS == d)
			j++;
		for (int s = 0; s < 2; s++) {
			size_t n = 0;
			for (size_t k = i; k < j; k++)
				if (msgs[k].p == s)
					day[n++] = &msgs[k];
			struct own_batch b = {day, signers[s]};
			if (n && fsb_store_append_own(stores[s], n, seal_own, &b, NULL))
				fail("cannot write %s's store: %s", provinces[s].origin,
				     fsb_store_error(stores[s]));
			n = 0;
			for (size_t k = i; k < j; k++)
				if (msgs[k].p != s)
					entry_of(&msgs[k], signers[1 - s], 1, &in[n++]);
			if (n && fsb_store_append(stores[s], in, n, res, idx))
				fail("cannot write %s's store: %s", provinces[s].origin,
				     fsb_store_error(stores[s]));
			for (size_t k = 0; k < n; k++)
				if (res[k] != FSB_APPENDED)
					fail("%s did not take a message of %s (%d)", provinces[s].origin,
					     provinces[1 - s].origin, (int)res[k]);
		}
		i = j;
	}
	free(day);
	free(in);
	free(res);
	free(idx);
}

int main(int argc, char **argv)
{
	if (argc < 5)
		fail("usage: season LONGAN.conf CANTHO.conf RECORD.json EXAMPLES_DIR [SEED]");
	examples_dir = argv[4];
	rng_state = argc > 5 ? strtoull(argv[5], NULL, 10) : 20260601;
	season_start = fsb_fmt_time_ms(2026, 6, 1, 0, 0, 0) - LOCAL_MS;
	struct fsb_config cfg[2];
	struct fsb_store *stores[2];
	struct fsb_signer *signers[2];
	for (int p = 0; p < 2; p++) {
		if (fsb_cli_load_config(argv[1 + p], &cfg[p]))
			return 1;
		if (strcmp(cfg[p].origin, provinces[p].origin) != 0)
			fail("%s is %s's configuration, not %s's", argv[1 + p], cfg[p].origin,
			     provinces[p].origin);
		struct fsb_store_opts so = {.origin = cfg[p].origin};
		char err[512];
		if (fsb_store_open(cfg[p].data_dir, &so, &stores[p], err, sizeof err) ||
		    fsb_signer_open(cfg[p].key_path, cfg[p].cert_path, &signers[p], err, sizeof err))
			fail("%s", err);
	}
	season();
	seal_all(signers);
	store_all(stores, signers);
	json_t *rec = json_pack("{s:s, s:s, s:[s, s], s:[], s:o, s:{s:i, s:i}}", "from", "2026-06-01",
				"to", "2026-08-31", "origins", "longan", "cantho", "messages",
				"certificates", certificates, "chains", "safe", 3, "international", 1);
	json_t *list = json_object_get(rec, "messages");
	for (size_t i = 0; i < n_msgs; i++) {
		json_array_append(list, msgs[i].rec);
		json_decref(msgs[i].rec);
		json_decref(msgs[i].doc);
		free(msgs[i].env);
	}
	if (json_dump_file(rec, argv[3], JSON_INDENT(1)))
		fail("cannot write %s", argv[3]);
	json_decref(rec);
	for (size_t i = 0; i < 32 && example_names[i]; i++)
		json_decref(examples[i]);
	printf("season: %zu messages, 1 June to 31 August 2026, in %s and %s; record %s\n", n_msgs,
	       cfg[0].data_dir, cfg[1].data_dir, argv[3]);
	for (int p = 0; p < 2; p++) {
		fsb_signer_close(signers[p]);
		fsb_store_close(stores[p]);
		fsb_config_cleanup(&cfg[p]);
	}
	free(msgs);
	return 0;
}
