/* render_case.c - a case and a list of cases, as text and as JSON. */
#include "render_case.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

/* "Thu hồi loại I · Cảnh báo · Rủi ro nghiêm trọng" from whatever is set. */
static void assessment(struct fsb_out *o, enum fsb_lang lang, const char *const *v, size_t n)
{
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		if (!v[i])
			continue;
		fsb_out_printf(o, "%s%s", first ? "" : " · ", fsb_label(lang, v[i]));
		first = 0;
	}
	if (first)
		fsb_out_puts(o, "-");
}

static size_t acknowledged(const struct fsb_case *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_parties; i++)
		n += (size_t)c->parties[i].acknowledged;
	return n;
}

void fsb_render_case_text(struct fsb_out *o, const struct fsb_case *c, enum fsb_lang lang)
{
	fsb_out_printf(o, "%s %s", fsb_label(lang, "case.title"), c->id);
	if (c->root_held) {
		fsb_out_printf(o, " — %s", fsb_label2(lang, "kind", fsb_kind_name(c->kind)));
		if (c->subject[0]) {
			fsb_out_puts(o, " — ");
			fsb_out_text(o, c->subject);
		}
	} else {
		fsb_out_printf(o, " — %s", fsb_label(lang, "case.root_missing"));
	}
	fsb_out_printf(o, "\n  %s: %s", fsb_label(lang, "case.state"),
		       fsb_label2(lang, "case.state", fsb_case_state_name(c->state)));
	if (c->overdue)
		fsb_out_printf(o, " · %s", fsb_label(lang, "case.overdue"));
	fsb_out_printf(o, "\n  %s: ", fsb_label(lang, "case.assessment"));
	const char *a[] = {c->recall_class, c->classification, c->risk, c->verdict, c->notice_type};
	assessment(o, lang, a, sizeof a / sizeof a[0]);
	fsb_out_printf(o, "\n  %s: ", fsb_label(lang, "case.issuer"));
	fsb_out_text(o, c->unit[0] ? c->unit : c->origin);
	fsb_out_printf(o, " (%s)\n  %s: ", c->origin, fsb_label(lang, "case.detected"));
	fsb_out_local_time(o, c->detected_ms);
	fsb_out_printf(o, " · %s: ", fsb_label(lang, "case.notified"));
	fsb_out_local_time(o, c->opened_ms);
	if (c->closed_ms != INT64_MIN) {
		fsb_out_printf(o, " · %s: ", fsb_label(lang, "case.closed_at"));
		fsb_out_local_time(o, c->closed_ms);
	}
	fsb_out_printf(o, " · %s: %zu\n", fsb_label(lang, "case.messages"), c->messages);

	fsb_out_printf(o, "\n%s (%zu/%zu %s):\n", fsb_label(lang, "case.heading.parties"),
		       acknowledged(c), c->n_parties, fsb_label(lang, "case.acknowledged"));
	if (!c->n_parties)
		fsb_out_printf(o, "  %s\n", fsb_label(lang, "case.no_parties"));
	for (size_t i = 0; i < c->n_parties; i++) {
		const struct fsb_case_party *p = &c->parties[i];
		fsb_out_puts(o, "  ");
		fsb_out_cell(o, p->origin, 13);
		fsb_out_printf(o, "%s · ",
			       fsb_label(lang, p->delivered ? "case.delivered" : "case.not_delivered"));
		if (p->acknowledged) {
			fsb_out_printf(o, "%s ", fsb_label(lang, "case.acknowledged"));
			fsb_out_local_time(o, p->ack_at_ms);
			fsb_out_puts(o, " (");
			fsb_out_text(o, p->ack_unit);
			if (p->ack_officer[0]) {
				fsb_out_puts(o, ", ");
				fsb_out_text(o, p->ack_officer);
			}
			fsb_out_puts(o, ")");
		} else {
			fsb_out_puts(o, fsb_label(lang, "case.not_acknowledged"));
			if (p->due_ms != INT64_MIN) {
				fsb_out_printf(o, " · %s ", fsb_label(lang, "case.due"));
				fsb_out_local_time(o, p->due_ms);
			}
		}
		if (p->measures)
			fsb_out_printf(o, " · %zu %s", p->measures, fsb_label(lang, "case.measures"));
		if (p->overdue)
			fsb_out_printf(o, " · %s", fsb_label(lang, "case.overdue"));
		fsb_out_puts(o, "\n");
	}

	if (c->n_requests) {
		fsb_out_printf(o, "\n%s:\n", fsb_label(lang, "case.heading.requests"));
		for (size_t i = 0; i < c->n_requests; i++) {
			const struct fsb_case_request *q = &c->requests[i];
			fsb_out_printf(o, "  %s (%s %s) %s ", q->id, fsb_label(lang, "case.asked_by"),
				       q->asker, fsb_label(lang, "case.due"));
			fsb_out_local_time(o, q->respond_by_ms);
			if (q->answers) {
				fsb_out_printf(o, " · %s: %s (%s) ", fsb_label(lang, "case.answered"),
					       q->answer_id, q->answered_by);
				fsb_out_local_time(o, q->answered_at_ms);
			} else {
				fsb_out_printf(o, " · %s", fsb_label(lang, "case.unanswered"));
			}
			if (q->overdue)
				fsb_out_printf(o, " · %s", fsb_label(lang, "case.overdue"));
			fsb_out_puts(o, "\n    ");
			fsb_out_text(o, q->text);
			fsb_out_puts(o, "\n");
		}
	}

	if (!c->n_events)
		return;
	fsb_out_printf(o, "\n%s:\n", fsb_label(lang, "case.heading.timeline"));
	for (size_t i = 0; i < c->n_events; i++) {
		const struct fsb_case_event *e = &c->events[i];
		fsb_out_puts(o, "  ");
		fsb_out_local_time(o, e->issued_at_ms);
		fsb_out_puts(o, "  ");
		fsb_out_cell(o, e->id, 14);
		fsb_out_puts(o, e->type ? fsb_label(lang, fsb_followup_type_name(e->type))
					: fsb_label2(lang, "kind", fsb_kind_name(e->kind)));
		if (e->withdrawn)
			fsb_out_printf(o, " (%s)", fsb_label(lang, "case.withdrawn_msg"));
		if (e->type && e->ref_id[0] && strcmp(e->ref_id, c->id) != 0) {
			fsb_out_printf(o, " · %s ", fsb_label(lang, "case.references"));
			fsb_out_text(o, e->ref_id); /* as the message says: not checked if it broke a rule */
		}
		fsb_out_puts(o, "\n    ");
		fsb_out_text(o, e->unit);
		if (e->officer[0]) {
			fsb_out_puts(o, ", ");
			fsb_out_text(o, e->officer);
		}
		if (e->type == FSB_FU_RECLASSIFICATION) {
			const char *r[] = {e->recall_class, e->classification, e->risk};
			fsb_out_puts(o, " → ");
			assessment(o, lang, r, 3);
		}
		for (size_t k = 0; k < e->n_measures && k < FSB_FACTS_MEASURES; k++)
			fsb_out_printf(o, "%s%s", k ? ", " : " · ", fsb_label(lang, e->measures[k]));
		if (e->text[0]) {
			fsb_out_puts(o, "\n    ");
			fsb_out_text(o, e->text);
		}
		fsb_out_puts(o, "\n");
	}
}

/* Widths of the list's columns, in characters. */
static const size_t list_width[] = {14, 19, 14, FSB_LOCAL_TIME_MAX, 12};

void fsb_render_cases_text(struct fsb_out *o, const struct fsb_case *c, size_t n,
			   enum fsb_lang lang)
{
	if (!n) {
		fsb_out_printf(o, "%s\n", fsb_label(lang, "case.none"));
		return;
	}
	const char *head[] = {"case.column.id", "case.column.kind", "case.column.state",
			      "case.column.opened", "case.column.ack"};
	for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
		fsb_out_cell(o, fsb_label(lang, head[i]), list_width[i] + 1);
	fsb_out_printf(o, "%s\n", fsb_label(lang, "case.column.subject"));
	for (size_t i = 0; i < n; i++) {
		const struct fsb_case *k = &c[i];
		char when[FSB_LOCAL_TIME_MAX + 1] = "-";
		if (k->opened_ms != INT64_MIN)
			fsb_fmt_local_time(k->opened_ms, when);
		char state[64];
		snprintf(state, sizeof state, "%s%s", fsb_label2(lang, "case.state", fsb_case_state_name(k->state)),
			 k->overdue ? " !" : "");
		char ack[32];
		snprintf(ack, sizeof ack, "%zu/%zu", acknowledged(k), k->n_parties);
		const char *cells[] = {k->id,
				       k->root_held ? fsb_label2(lang, "kind", fsb_kind_name(k->kind)) : "?",
				       state, when, ack};
		for (size_t j = 0; j < sizeof cells / sizeof cells[0]; j++)
			fsb_out_cell(o, cells[j], list_width[j] + 1);
		if (k->root_held)
			fsb_out_text(o, k->subject);
		else
			fsb_out_puts(o, fsb_label(lang, "case.root_missing"));
		if (k->overdue)
			fsb_out_printf(o, " (%s)", fsb_label(lang, "case.overdue"));
		fsb_out_puts(o, "\n");
	}
}

void fsb_render_case_json(struct fsb_out *o, const struct fsb_case *c)
{
	fsb_out_puts(o, "{\"id\":");
	fsb_out_json_str(o, c->id);
	fsb_out_json_member(o, "origin", c->origin);
	fsb_out_json_bool(o, "rootHeld", c->root_held);
	fsb_out_json_member(o, "kind", c->root_held ? fsb_kind_name(c->kind) : NULL);
	fsb_out_json_member(o, "state", fsb_case_state_name(c->state));
	fsb_out_json_bool(o, "overdue", c->overdue);
	fsb_out_json_member(o, "subject", c->subject);
	fsb_out_json_member(o, "unit", c->unit);
	fsb_out_json_member(o, "classification", c->classification);
	fsb_out_json_member(o, "recallClass", c->recall_class);
	fsb_out_json_member(o, "riskDecision", c->risk);
	fsb_out_json_member(o, "verdict", c->verdict);
	fsb_out_json_member(o, "noticeType", c->notice_type);
	fsb_out_json_member_time(o, "detectedAt", c->detected_ms);
	fsb_out_json_member_time(o, "notifiedAt", c->opened_ms);
	fsb_out_json_member_time(o, "closedAt", c->closed_ms);
	fsb_out_json_member_time(o, "updatedAt", c->updated_ms);
	fsb_out_printf(o, ",\"messages\":%zu,\"provinces\":[", c->messages);
	for (size_t i = 0; i < c->n_parties; i++) {
		const struct fsb_case_party *p = &c->parties[i];
		fsb_out_printf(o, "%s{\"origin\":", i ? "," : "");
		fsb_out_json_str(o, p->origin);
		fsb_out_json_bool(o, "delivered", p->delivered);
		fsb_out_json_bool(o, "acknowledged", p->acknowledged);
		fsb_out_json_member_time(o, "acknowledgedAt", p->ack_at_ms);
		fsb_out_json_member(o, "unit", p->acknowledged ? p->ack_unit : NULL);
		fsb_out_json_member(o, "officer", p->acknowledged && p->ack_officer[0] ? p->ack_officer : NULL);
		fsb_out_printf(o, ",\"measures\":%zu", p->measures);
		fsb_out_json_member_time(o, "dueAt", p->due_ms);
		fsb_out_json_bool(o, "overdue", p->overdue);
		fsb_out_puts(o, "}");
	}
	fsb_out_puts(o, "],\"requests\":[");
	for (size_t i = 0; i < c->n_requests; i++) {
		const struct fsb_case_request *q = &c->requests[i];
		fsb_out_printf(o, "%s{\"id\":", i ? "," : "");
		fsb_out_json_str(o, q->id);
		fsb_out_json_member(o, "askedBy", q->asker);
		fsb_out_json_member(o, "text", q->text);
		fsb_out_json_member_time(o, "askedAt", q->asked_at_ms);
		fsb_out_json_member_time(o, "respondBy", q->respond_by_ms);
		fsb_out_printf(o, ",\"answers\":%zu", q->answers);
		fsb_out_json_member(o, "answerId", q->answers ? q->answer_id : NULL);
		fsb_out_json_member(o, "answeredBy", q->answers ? q->answered_by : NULL);
		fsb_out_json_member_time(o, "answeredAt", q->answered_at_ms);
		fsb_out_json_bool(o, "overdue", q->overdue);
		fsb_out_puts(o, "}");
	}
	fsb_out_puts(o, "]");
	if (c->events) {
		fsb_out_puts(o, ",\"timeline\":[");
		for (size_t i = 0; i < c->n_events; i++) {
			const struct fsb_case_event *e = &c->events[i];
			fsb_out_printf(o, "%s{\"id\":", i ? "," : "");
			fsb_out_json_str(o, e->id);
			fsb_out_json_member(o, "origin", e->origin);
			fsb_out_json_member(o, "kind", fsb_kind_name(e->kind));
			fsb_out_json_member(o, "type", fsb_followup_type_name(e->type));
			fsb_out_json_member(o, "refMessageId", e->ref_id[0] ? e->ref_id : NULL);
			fsb_out_json_member_time(o, "issuedAt", e->issued_at_ms);
			fsb_out_json_member_time(o, "respondBy", e->respond_by_ms);
			fsb_out_json_member(o, "unit", e->unit);
			fsb_out_json_member(o, "officer", e->officer[0] ? e->officer : NULL);
			fsb_out_json_member(o, "text", e->text);
			fsb_out_puts(o, ",\"measures\":[");
			for (size_t k = 0; k < e->n_measures && k < FSB_FACTS_MEASURES; k++) {
				fsb_out_puts(o, k ? "," : "");
				fsb_out_json_str(o, e->measures[k]);
			}
			fsb_out_puts(o, "]");
			fsb_out_json_bool(o, "withdrawn", e->withdrawn);
			fsb_out_puts(o, "}");
		}
		fsb_out_puts(o, "]");
	}
	fsb_out_puts(o, "}");
}

void fsb_render_cases_json(struct fsb_out *o, const struct fsb_case *c, size_t n)
{
	fsb_out_puts(o, "[");
	for (size_t i = 0; i < n; i++) {
		fsb_out_puts(o, i ? ",\n" : "\n");
		fsb_render_case_json(o, &c[i]);
	}
	fsb_out_puts(o, n ? "\n]" : "]");
}
