/* codec_report.c - what the programme report reads of a decoded message:
 * the figures it counts, by their schema names. */
#include "codec_internal.h"

#include <string.h>

void fsb_message_report_facts(const struct fsb_message *m, struct fsb_report_facts *f)
{
	memset(f, 0, sizeof *f);
	const Foodsafety__V1__Message *pb = m->pb;
	const Foodsafety__V1__Header *h = pb->header;
	f->kind = fsb_message_kind(m);
	f->issued_at_ms = f->detected_at_ms = INT64_MIN;
	f->disease = f->species = f->province = f->district = f->commune = f->declared_over = "";
	if (h) {
		f->category = fsb_pb_enum_name(&foodsafety__v1__category__descriptor, h->category);
		f->issued_at_ms = fsb_pb_time_ms(h->issued_at);
		f->detected_at_ms = fsb_pb_time_ms(h->detected_at);
	}
	switch (pb->body_case) {
	case FOODSAFETY__V1__MESSAGE__BODY_SURVEILLANCE:
		f->verdict = fsb_pb_enum_name(&foodsafety__v1__verdict__descriptor,
					      pb->surveillance->overall_verdict);
		f->n_analytes = pb->surveillance->n_results;
		break;
	case FOODSAFETY__V1__MESSAGE__BODY_RECALL:
		f->recall_class = fsb_pb_enum_name(&foodsafety__v1__recall_class__descriptor,
						   pb->recall->recall_class);
		f->basis = fsb_pb_enum_name(&foodsafety__v1__recall_basis__descriptor, pb->recall->basis);
		break;
	case FOODSAFETY__V1__MESSAGE__BODY_QUARANTINE: {
		const Foodsafety__V1__QuarantineNotice *q = pb->quarantine;
		f->notice_type = fsb_pb_enum_name(&foodsafety__v1__notice_type__descriptor, q->notice_type);
		f->domain = fsb_pb_enum_name(&foodsafety__v1__quarantine_domain__descriptor, q->domain);
		const Foodsafety__V1__Outbreak *o = q->outbreak;
		if (o) {
			f->disease = fsb_pb_str(o->disease);
			f->species = fsb_pb_str(o->species);
			if (o->location) {
				f->province = fsb_pb_str(o->location->province);
				f->district = fsb_pb_str(o->location->district);
				f->commune = fsb_pb_str(o->location->commune);
			}
			f->declared_over = fsb_pb_str(o->declared_over_date);
			f->case_count = o->case_count;
			f->death_count = o->death_count;
			f->destroyed_count = o->destroyed_count;
		}
		break;
	}
	case FOODSAFETY__V1__MESSAGE__BODY_FOLLOWUP:
		f->type = (enum fsb_followup_type)pb->followup->type;
		break;
	default:
		break;
	}
}

void fsb_message_analyte(const struct fsb_message *m, size_t i, struct fsb_analyte_facts *a)
{
	const Foodsafety__V1__AnalyteResult *r = m->pb->surveillance->results[i];
	a->analyte = fsb_pb_str(r->analyte);
	a->hazard = fsb_pb_enum_name(&foodsafety__v1__hazard_category__descriptor, r->hazard);
	a->verdict = fsb_pb_enum_name(&foodsafety__v1__verdict__descriptor, r->verdict);
}
