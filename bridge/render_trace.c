/* render_trace.c - a trace and the safe chains, as text and as JSON. */
#include "render_trace.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "render_case.h"

static const char *cert_state_key(enum fsb_cert_state s)
{
	switch (s) {
	case FSB_CERT_IN_FORCE: return "IN_FORCE";
	case FSB_CERT_NOT_YET_VALID: return "NOT_YET_VALID";
	case FSB_CERT_SUSPENDED: return "SUSPENDED";
	case FSB_CERT_WITHDRAWN: return "WITHDRAWN";
	case FSB_CERT_EXPIRED: return "EXPIRED";
	}
	return "EXPIRED";
}

const char *fsb_cert_state_label(enum fsb_lang lang, enum fsb_cert_state s)
{
	char key[16];
	snprintf(key, sizeof key, "cert.state.%d", (int)s);
	return fsb_label(lang, key);
}

/* ---- text ---------------------------------------------------------------------- */

static void est_text(struct fsb_out *o, const struct fsb_trace_est *e)
{
	fsb_out_text(o, e->name[0] ? e->name : "-");
	if (e->tax_code[0]) {
		fsb_out_puts(o, " · MST ");
		fsb_out_text(o, e->tax_code);
	}
	if (e->gln[0]) {
		fsb_out_puts(o, " · GLN ");
		fsb_out_text(o, e->gln);
	}
	if (e->registration[0]) {
		fsb_out_puts(o, " · ");
		fsb_out_text(o, e->registration);
	}
	if (e->province[0]) {
		fsb_out_puts(o, " · ");
		fsb_out_text(o, e->province);
	}
}

static void cert_text(struct fsb_out *o, const struct fsb_trace_cert *c, enum fsb_lang lang,
		      const char *indent, int with_chain)
{
	fsb_out_printf(o, "%s%s ", indent, fsb_label(lang, c->scheme));
	if (c->stars)
		fsb_out_printf(o, "%u★ ", c->stars);
	fsb_out_text(o, c->number);
	fsb_out_printf(o, " — %s\n%s  ", fsb_cert_state_label(lang, c->state), indent);
	est_text(o, &c->holder);
	fsb_out_printf(o, "\n%s  %s %s → %s · %s ", indent, fsb_label(lang, "trace.valid"),
		       c->valid_from[0] ? c->valid_from : "?", c->valid_until[0] ? c->valid_until : "?",
		       fsb_label(lang, "trace.by"));
	fsb_out_text(o, c->body);
	fsb_out_printf(o, "\n%s  %s %s (%s)", indent, fsb_label(lang, "trace.announced"), c->id, c->origin);
	if (strcmp(c->latest, c->id) != 0) {
		fsb_out_printf(o, " · %s %s, ", fsb_label(lang, c->latest_type), c->latest);
		fsb_out_local_time(o, c->latest_ms);
	}
	if (c->reason[0] && c->state != FSB_CERT_IN_FORCE) {
		fsb_out_printf(o, "\n%s  ", indent);
		fsb_out_text(o, c->reason);
	}
	if (with_chain && c->chain_id[0]) {
		fsb_out_printf(o, "\n%s  %s ", indent, fsb_label(lang, "trace.chain"));
		fsb_out_text(o, c->chain_id);
		fsb_out_puts(o, " · ");
		fsb_out_printf(o, "%s", fsb_label(lang, c->role));
	}
	fsb_out_puts(o, "\n");
}

static void chain_text(struct fsb_out *o, const struct fsb_safe_chain *ch, enum fsb_lang lang)
{
	fsb_out_puts(o, "  ");
	fsb_out_text(o, ch->id);
	fsb_out_puts(o, " ");
	fsb_out_text(o, ch->name);
	fsb_out_printf(o, " — %s", fsb_label(lang, ch->safe ? "chain.safe" : "chain.not_safe"));
	if (ch->international)
		fsb_out_printf(o, " · %s", fsb_label(lang, "chain.international"));
	fsb_out_printf(o, " · %zu/%zu %s · %zu %s\n", ch->in_force, ch->n_members,
		       fsb_label(lang, "chain.members"), ch->provinces, fsb_label(lang, "chain.provinces"));
	for (size_t i = 0; i < ch->n_members; i++) {
		const struct fsb_trace_cert *c = &ch->members[i];
		fsb_out_printf(o, "    %s: ", fsb_label(lang, c->role));
		fsb_out_text(o, c->holder.name);
		fsb_out_printf(o, " (%s) — %s ", c->origin, fsb_label(lang, c->scheme));
		fsb_out_text(o, c->number);
		fsb_out_printf(o, " — %s\n", fsb_cert_state_label(lang, c->state));
	}
	if (ch->truncated)
		fsb_out_printf(o, "    %s\n", fsb_label(lang, "trace.truncated"));
}

static void item_text(struct fsb_out *o, const struct fsb_trace_item *it, enum fsb_lang lang,
		      int product_trace)
{
	fsb_out_puts(o, "  ");
	fsb_out_local_time(o, it->issued_at_ms);
	fsb_out_printf(o, "  %s  ", it->id);
	const char *what[] = {it->verdict, it->recall_class, it->classification, it->notice_type};
	int first = 1;
	for (size_t i = 0; i < sizeof what / sizeof what[0]; i++)
		if (what[i]) {
			fsb_out_printf(o, "%s%s", first ? "" : " · ", fsb_label(lang, what[i]));
			first = 0;
		}
	if (it->failing[0]) {
		fsb_out_puts(o, " · ");
		fsb_out_text(o, it->failing);
	}
	if (it->product[0] && !product_trace) {
		fsb_out_puts(o, " · ");
		fsb_out_text(o, it->product);
	}
	if (it->lots[0]) {
		fsb_out_printf(o, " · %s ", fsb_label(lang, "trace.lot"));
		fsb_out_text(o, it->lots);
	}
	if (product_trace && it->product[0])
		fsb_out_printf(o, " (%s)",
			       fsb_label(lang, it->this_lot ? "trace.this_lot"
					       : it->whole_product ? "trace.whole_product"
								   : "trace.other_lots"));
	if (it->commodity[0]) {
		fsb_out_puts(o, " · ");
		fsb_out_text(o, it->commodity);
	}
	if (it->certificate[0]) {
		fsb_out_puts(o, " · ");
		fsb_out_text(o, it->certificate);
	}
	if (it->party[0]) {
		fsb_out_printf(o, " · %s: ", fsb_label2(lang, "trace.role", it->party_role));
		fsb_out_text(o, it->party);
	}
	if (it->stage)
		fsb_out_printf(o, " · %s %s", fsb_label(lang, "trace.sampled_at"), fsb_label(lang, it->stage));
	if (it->case_id[0] && it->case_state)
		fsb_out_printf(o, " · %s %s: %s", fsb_label(lang, "case.title"), it->case_id,
			       fsb_label2(lang, "case.state", fsb_case_state_name(it->case_state)));
	fsb_out_puts(o, "\n    ");
	fsb_out_text(o, it->unit);
	fsb_out_printf(o, " (%s)", it->origin);
	if (it->reason[0]) {
		fsb_out_puts(o, "\n    ");
		fsb_out_text(o, it->reason);
	}
	fsb_out_puts(o, "\n");
}

static void items_text(struct fsb_out *o, const char *heading, const struct fsb_trace_item *it,
		       size_t n, enum fsb_lang lang, int product_trace)
{
	fsb_out_printf(o, "\n%s\n", fsb_label(lang, heading));
	if (n == 0)
		fsb_out_printf(o, "  %s\n", fsb_label(lang, "trace.none"));
	for (size_t i = 0; i < n; i++)
		item_text(o, &it[i], lang, product_trace);
}

void fsb_render_trace_text(struct fsb_out *o, const struct fsb_trace *t, enum fsb_lang lang)
{
	const struct fsb_trace_target *g = &t->q.target;
	int product = g->gtin14[0] != 0;
	fsb_out_printf(o, "%s ", fsb_label(lang, "trace.title"));
	if (product && t->q.also_gln) {
		fsb_out_printf(o, "GTIN/GLN %s", g->gtin14 + 1);
	} else if (product) {
		fsb_out_printf(o, "GTIN %s", g->gtin14);
		if (g->lot[0]) {
			fsb_out_printf(o, " · %s ", fsb_label(lang, "trace.lot"));
			fsb_out_text(o, g->lot);
		}
	} else {
		fsb_out_text(o, g->value);
	}
	fsb_out_printf(o, " — %s %s\n", fsb_label(lang, "trace.at"), t->q.at_date);
	if (product && t->product[0]) {
		fsb_out_printf(o, "%s: ", fsb_label(lang, "trace.product"));
		fsb_out_text(o, t->product);
		fsb_out_puts(o, "\n");
	}
	size_t found = t->n_certs + t->n_results + t->n_recalls + t->n_notices;
	if (found == 0) {
		fsb_out_printf(o, "%s\n", fsb_label(lang, "trace.nothing"));
		return;
	}
	fsb_out_printf(o, "%s: ", fsb_label(lang, "trace.summary"));
	if (t->certs_in_force)
		fsb_out_printf(o, "%zu %s", t->certs_in_force, fsb_label(lang, "trace.certs_in_force"));
	else
		fsb_out_printf(o, "%s", fsb_label(lang, "trace.no_cert_in_force"));
	fsb_out_printf(o, " · %zu %s", t->non_compliant, fsb_label(lang, "trace.non_compliant"));
	if (product) {
		fsb_out_puts(o, " · ");
		if (g->lot[0]) {
			fsb_out_printf(o, "%s ", fsb_label(lang, "trace.lot"));
			fsb_out_text(o, g->lot);
			fsb_out_puts(o, " ");
		}
		fsb_out_printf(o, "%s", fsb_label(lang, t->lot_recalled ? "trace.lot_recalled"
									: "trace.not_recalled"));
	}
	fsb_out_puts(o, "\n");
	if (t->truncated)
		fsb_out_printf(o, "%s\n", fsb_label(lang, "trace.truncated"));

	fsb_out_printf(o, "\n%s\n", fsb_label(lang, product ? "trace.heading.establishments"
							    : "trace.establishment"));
	if (t->n_establishments == 0)
		fsb_out_printf(o, "  %s\n", fsb_label(lang, "trace.none"));
	for (size_t i = 0; i < t->n_establishments; i++) {
		fsb_out_puts(o, "  ");
		est_text(o, &t->establishments[i]);
		fsb_out_puts(o, "\n");
	}
	fsb_out_printf(o, "\n%s\n", fsb_label(lang, "trace.heading.certs"));
	if (t->n_certs == 0)
		fsb_out_printf(o, "  %s\n", fsb_label(lang, "trace.none"));
	for (size_t i = 0; i < t->n_certs; i++)
		cert_text(o, &t->certs[i], lang, "  ", 1);
	fsb_out_printf(o, "\n%s\n", fsb_label(lang, "trace.heading.chains"));
	if (t->n_chains == 0)
		fsb_out_printf(o, "  %s\n", fsb_label(lang, "trace.none"));
	for (size_t i = 0; i < t->n_chains; i++)
		chain_text(o, &t->chains[i], lang);
	items_text(o, "trace.heading.results", t->results, t->n_results, lang, product);
	items_text(o, "trace.heading.recalls", t->recalls, t->n_recalls, lang, product);
	items_text(o, "trace.heading.notices", t->notices, t->n_notices, lang, product);
	fsb_out_printf(o, "\n%s\n", fsb_label(lang, "trace.heading.cases"));
	if (t->n_cases == 0)
		fsb_out_printf(o, "  %s\n", fsb_label(lang, "trace.none"));
	else
		fsb_render_cases_text(o, t->cases, t->n_cases, lang);
}

void fsb_render_chains_text(struct fsb_out *o, const struct fsb_chains *c, const char *at_date,
			    enum fsb_lang lang)
{
	fsb_out_printf(o, "%s — %s %s\n", fsb_label(lang, "trace.heading.chains"),
		       fsb_label(lang, "trace.at"), at_date);
	if (c->n == 0)
		fsb_out_printf(o, "  %s\n", fsb_label(lang, "chains.none"));
	for (size_t i = 0; i < c->n; i++)
		chain_text(o, &c->chains[i], lang);
	if (c->truncated)
		fsb_out_printf(o, "  %s\n", fsb_label(lang, "trace.truncated"));
	fsb_out_printf(o, "\n%s:\n  %s: %zu — %s\n  %s: %zu — %s\n", fsb_label(lang, "chains.targets"),
		       fsb_label(lang, "chains.target_chains"), c->safe,
		       fsb_label(lang, c->chains_met ? "chains.met" : "chains.not_met"),
		       fsb_label(lang, "chains.target_international"), c->international,
		       fsb_label(lang, c->international_met ? "chains.met" : "chains.not_met"));
}

/* ---- JSON ---------------------------------------------------------------------- */

static void est_json(struct fsb_out *o, const struct fsb_trace_est *e)
{
	fsb_out_puts(o, "{\"name\":");
	fsb_out_json_str(o, e->name);
	fsb_out_json_member(o, "taxCode", e->tax_code[0] ? e->tax_code : NULL);
	fsb_out_json_member(o, "registrationNumber", e->registration[0] ? e->registration : NULL);
	fsb_out_json_member(o, "gln", e->gln[0] ? e->gln : NULL);
	fsb_out_json_member(o, "province", e->province[0] ? e->province : NULL);
	fsb_out_puts(o, "}");
}

static void cert_json(struct fsb_out *o, const struct fsb_trace_cert *c)
{
	fsb_out_puts(o, "{\"id\":");
	fsb_out_json_str(o, c->id);
	fsb_out_json_member(o, "origin", c->origin);
	fsb_out_json_member(o, "state", cert_state_key(c->state));
	fsb_out_json_member(o, "scheme", c->scheme);
	fsb_out_json_bool(o, "international", c->international);
	if (c->stars)
		fsb_out_json_count(o, "stars", c->stars);
	fsb_out_json_member(o, "certificateNumber", c->number);
	fsb_out_json_member(o, "certifyingBody", c->body);
	fsb_out_json_member(o, "validFromDate", c->valid_from[0] ? c->valid_from : NULL);
	fsb_out_json_member(o, "validUntilDate", c->valid_until[0] ? c->valid_until : NULL);
	fsb_out_puts(o, ",\"holder\":");
	est_json(o, &c->holder);
	fsb_out_json_member(o, "chainId", c->chain_id[0] ? c->chain_id : NULL);
	fsb_out_json_member(o, "role", c->role);
	fsb_out_json_member(o, "latestNotice", c->latest);
	fsb_out_json_member(o, "latestType", c->latest_type);
	fsb_out_json_member_time(o, "latestAt", c->latest_ms);
	fsb_out_json_member(o, "reason", c->reason[0] ? c->reason : NULL);
	fsb_out_json_count(o, "notices", c->notices);
	fsb_out_puts(o, "}");
}

static void chain_json(struct fsb_out *o, const struct fsb_safe_chain *ch)
{
	fsb_out_puts(o, "{\"chainId\":");
	fsb_out_json_str(o, ch->id);
	fsb_out_json_member(o, "name", ch->name);
	fsb_out_json_bool(o, "safe", ch->safe);
	fsb_out_json_bool(o, "international", ch->international);
	fsb_out_json_count(o, "inForce", ch->in_force);
	fsb_out_json_count(o, "provinces", ch->provinces);
	fsb_out_json_bool(o, "truncated", ch->truncated);
	fsb_out_puts(o, ",\"members\":[");
	for (size_t i = 0; i < ch->n_members; i++) {
		fsb_out_puts(o, i ? "," : "");
		cert_json(o, &ch->members[i]);
	}
	fsb_out_puts(o, "]}");
}

static void items_json(struct fsb_out *o, const char *name, const struct fsb_trace_item *it, size_t n)
{
	fsb_out_printf(o, ",\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		const struct fsb_trace_item *e = &it[i];
		fsb_out_printf(o, "%s{\"id\":", i ? "," : "");
		fsb_out_json_str(o, e->id);
		fsb_out_json_member(o, "origin", e->origin);
		fsb_out_json_member(o, "kind", fsb_kind_name(e->kind));
		fsb_out_json_member_time(o, "issuedAt", e->issued_at_ms);
		fsb_out_json_member(o, "unit", e->unit);
		fsb_out_json_member(o, "product", e->product[0] ? e->product : NULL);
		fsb_out_json_member(o, "lots", e->lots[0] ? e->lots : NULL);
		fsb_out_json_bool(o, "thisLot", e->this_lot);
		fsb_out_json_bool(o, "wholeProduct", e->whole_product);
		fsb_out_json_member(o, "establishment", e->party[0] ? e->party : NULL);
		fsb_out_json_member(o, "establishmentRole", e->party_role);
		fsb_out_json_member(o, "verdict", e->verdict);
		fsb_out_json_member(o, "samplingStage", e->stage);
		fsb_out_json_member(o, "failing", e->failing[0] ? e->failing : NULL);
		fsb_out_json_member(o, "recallClass", e->recall_class);
		fsb_out_json_member(o, "classification", e->classification);
		fsb_out_json_member(o, "noticeType", e->notice_type);
		fsb_out_json_member(o, "certificate", e->certificate[0] ? e->certificate : NULL);
		fsb_out_json_member(o, "commodity", e->commodity[0] ? e->commodity : NULL);
		fsb_out_json_member(o, "reason", e->reason[0] ? e->reason : NULL);
		fsb_out_json_member(o, "caseId", e->case_id[0] ? e->case_id : NULL);
		fsb_out_json_member(o, "caseState", fsb_case_state_name(e->case_state));
		fsb_out_puts(o, "}");
	}
	fsb_out_puts(o, "]");
}

void fsb_render_trace_json(struct fsb_out *o, const struct fsb_trace *t)
{
	const struct fsb_trace_target *g = &t->q.target;
	fsb_out_puts(o, "{\"query\":{\"gtin\":");
	fsb_out_json_str(o, g->gtin14[0] ? g->gtin14 : NULL);
	fsb_out_json_member(o, "lot", g->lot[0] ? g->lot : NULL);
	const char *key = g->gtin14[0] ? NULL
			  : g->key == FSB_TK_TAX ? "taxCode"
			  : g->key == FSB_TK_GLN ? "gln" : "registrationNumber";
	fsb_out_json_member(o, "key", key);
	fsb_out_json_member(o, "value", key ? g->value : NULL);
	fsb_out_json_member(o, "at", t->q.at_date);
	fsb_out_puts(o, "}");
	fsb_out_json_member(o, "product", t->product[0] ? t->product : NULL);
	fsb_out_json_count(o, "certsInForce", t->certs_in_force);
	fsb_out_json_count(o, "nonCompliant", t->non_compliant);
	fsb_out_json_bool(o, "recalled", t->lot_recalled);
	fsb_out_json_bool(o, "truncated", t->truncated);
	fsb_out_puts(o, ",\"establishments\":[");
	for (size_t i = 0; i < t->n_establishments; i++) {
		fsb_out_puts(o, i ? "," : "");
		est_json(o, &t->establishments[i]);
	}
	fsb_out_puts(o, "],\"certifications\":[");
	for (size_t i = 0; i < t->n_certs; i++) {
		fsb_out_puts(o, i ? "," : "");
		cert_json(o, &t->certs[i]);
	}
	fsb_out_puts(o, "],\"chains\":[");
	for (size_t i = 0; i < t->n_chains; i++) {
		fsb_out_puts(o, i ? "," : "");
		chain_json(o, &t->chains[i]);
	}
	fsb_out_puts(o, "]");
	items_json(o, "results", t->results, t->n_results);
	items_json(o, "recalls", t->recalls, t->n_recalls);
	items_json(o, "quarantine", t->notices, t->n_notices);
	fsb_out_puts(o, ",\"openCases\":");
	fsb_render_cases_json(o, t->cases, t->n_cases);
	fsb_out_puts(o, "}");
}

void fsb_render_chains_json(struct fsb_out *o, const struct fsb_chains *c, const char *at_date)
{
	fsb_out_puts(o, "{\"at\":");
	fsb_out_json_str(o, at_date);
	fsb_out_json_count(o, "safe", c->safe);
	fsb_out_json_count(o, "international", c->international);
	fsb_out_printf(o, ",\"targets\":{\"chains\":%d,\"international\":%d}", FSB_TARGET_CHAINS,
		       FSB_TARGET_INTERNATIONAL);
	fsb_out_json_bool(o, "chainsMet", c->chains_met);
	fsb_out_json_bool(o, "internationalMet", c->international_met);
	fsb_out_json_bool(o, "truncated", c->truncated);
	fsb_out_puts(o, ",\"chains\":[");
	for (size_t i = 0; i < c->n; i++) {
		fsb_out_puts(o, i ? ",\n" : "\n");
		chain_json(o, &c->chains[i]);
	}
	fsb_out_puts(o, c->n ? "\n]}" : "]}");
}
