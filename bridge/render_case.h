/* render_case.h - cases as staff read them (text, in their language) and
 * as agency systems read them (JSON). Renderers only format what the query
 * layer computed (query.h); they never open the store.
 *
 * Text: times in the provinces' time zone, every word from the label
 * tables, untrusted text through fsb_out_text(). JSON: stable English keys
 * in lowerCamelCase, enum values by their schema names, times in RFC 3339
 * UTC, null where a value is absent; the same document the node keeps
 * retained on its local broker.
 */
#ifndef FSB_RENDER_CASE_H
#define FSB_RENDER_CASE_H

#include <stddef.h>

#include "labels.h"
#include "out.h"
#include "query.h"

/* The thread of one case: heading, state, provinces addressed, requests
 * and (with a timeline) every message. */
void fsb_render_case_text(struct fsb_out *o, const struct fsb_case *c, enum fsb_lang lang);

/* One line per case: id, kind, state, notified, acknowledged/addressed,
 * subject; a heading line first. */
void fsb_render_cases_text(struct fsb_out *o, const struct fsb_case *c, size_t n,
			   enum fsb_lang lang);

/* One JSON object (no trailing new line). */
void fsb_render_case_json(struct fsb_out *o, const struct fsb_case *c);

/* A JSON array of case objects. */
void fsb_render_cases_json(struct fsb_out *o, const struct fsb_case *c, size_t n);

#endif
