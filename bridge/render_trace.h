/* render_trace.h - a trace and the safe chains, as staff read them (text,
 * in their language) and as agency systems read them (JSON). Like every
 * renderer, only formats what the query layer computed (query.h).
 *
 * Text: the answer in a line first (certificates in force, results not
 * compliant, whether the lot is recalled), then each section newest first;
 * times in the provinces' time zone. JSON: English keys in lowerCamelCase,
 * enum values by their schema names, times in RFC 3339 UTC.
 */
#ifndef FSB_RENDER_TRACE_H
#define FSB_RENDER_TRACE_H

#include "labels.h"
#include "out.h"
#include "query.h"

void fsb_render_trace_text(struct fsb_out *o, const struct fsb_trace *t, enum fsb_lang lang);
void fsb_render_trace_json(struct fsb_out *o, const struct fsb_trace *t);

/* A certificate's standing in words ("CÒN HIỆU LỰC", "SUSPENDED"…). */
const char *fsb_cert_state_label(enum fsb_lang lang, enum fsb_cert_state s);

/* Every chain with its members, then the programme's targets. */
void fsb_render_chains_text(struct fsb_out *o, const struct fsb_chains *c, const char *at_date,
			    enum fsb_lang lang);
void fsb_render_chains_json(struct fsb_out *o, const struct fsb_chains *c, const char *at_date);

#endif
