/* render_report.h - the programme report for people: text for a
 * terminal, CSV for a spreadsheet, HTML to print and send. A pure module:
 * it formats what the query layer computed (query.h, struct fsb_report)
 * and computes nothing.
 *
 * Each section is the same tables in every format, with the same figures:
 * counts as integers, rates in percent and hours with one decimal, delivery
 * lags in seconds with one decimal; Vietnamese text and HTML write the
 * decimal with a comma, CSV (for tools) always with a point.
 */
#ifndef FSB_RENDER_REPORT_H
#define FSB_RENDER_REPORT_H

#include "labels.h"
#include "out.h"
#include "query.h"

/* Who issues the report: the unit named in the node's configuration
 * ([node] unit), or "" for the node's origin alone. */
struct fsb_report_issuer {
	const char *unit;
};

void fsb_render_report_text(struct fsb_out *o, const struct fsb_report *r,
			    const struct fsb_report_issuer *by, enum fsb_lang lang);

/* UTF-8 with a byte-order mark; each table under its title, a blank line
 * between; rows end in CRLF (RFC 4180); text that a spreadsheet would run
 * as a formula is disarmed. */
void fsb_render_report_csv(struct fsb_out *o, const struct fsb_report *r,
			   const struct fsb_report_issuer *by, enum fsb_lang lang);

/* One self-contained page: inline CSS for A4, SVG charts, no script, no
 * link to anything outside it. */
void fsb_render_report_html(struct fsb_out *o, const struct fsb_report *r,
			    const struct fsb_report_issuer *by, enum fsb_lang lang);

#endif
