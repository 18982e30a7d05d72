/* out.h - the one writer of rendered output: a growing buffer, with the
 * escaping of untrusted strings in one place (JSON now; HTML and CSV join
 * it). A pure module: no I/O.
 *
 * A write that runs out of memory marks the buffer failed; later writes do
 * nothing and fsb_out_finish() reports FSB_ENOMEM, so a renderer checks
 * once, at the end.
 */
#ifndef FSB_OUT_H
#define FSB_OUT_H

#include <stddef.h>
#include <stdint.h>

struct fsb_out {
	char *buf; /* NUL-terminated; malloc'd */
	size_t len, cap;
	int failed;
};

void fsb_out_init(struct fsb_out *o);
void fsb_out_clear(struct fsb_out *o);

/* Appends formatted text (trusted: labels, numbers, ids checked as slugs). */
void fsb_out_printf(struct fsb_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fsb_out_puts(struct fsb_out *o, const char *s);

/* Appends s as a JSON string, quoted and escaped (control characters as
 * \uXXXX); NULL as null. */
void fsb_out_json_str(struct fsb_out *o, const char *s);

/* Appends an instant as JSON: an RFC 3339 UTC string, or null for INT64_MIN. */
void fsb_out_json_time(struct fsb_out *o, int64_t ms);

/* Members after an object's first: ,"name":value, with a string (NULL as
 * null), an instant, a boolean or an unsigned count. */
void fsb_out_json_member(struct fsb_out *o, const char *name, const char *v);
void fsb_out_json_member_time(struct fsb_out *o, const char *name, int64_t ms);
void fsb_out_json_bool(struct fsb_out *o, const char *name, int v);
void fsb_out_json_count(struct fsb_out *o, const char *name, size_t n);

/* Appends an instant for staff, in the provinces' time zone to the minute
 * ("2025-06-02 09:15 +07:00"), or "-" for INT64_MIN. */
void fsb_out_local_time(struct fsb_out *o, int64_t ms);

/* Appends s for a terminal: control characters (a message may carry
 * anything printable) shown as U+FFFD, so untrusted text cannot move the
 * cursor or change the colours; new lines as spaces. */
void fsb_out_text(struct fsb_out *o, const char *s);

/* The characters (code points) s takes on a terminal as fsb_out_text()
 * writes it: what a column is measured in. */
size_t fsb_out_width(const char *s);

/* Appends s as fsb_out_text() does, then spaces up to `width` characters
 * (code points: the Vietnamese alphabet is precomposed in UTF-8), for
 * columns that line up. */
void fsb_out_cell(struct fsb_out *o, const char *s, size_t width);

/* Appends s as one CSV field (RFC 4180): quoted when it holds a comma, a
 * quote, a line break or leading or trailing space, quotes doubled. With
 * FSB_CSV_SPREADSHEET, a field a spreadsheet would run as a formula
 * (starting with =, +, -, @, a tab or a carriage return, and neither a
 * number nor that one character alone)
 * gets a leading apostrophe, so untrusted text cannot compute (OWASP, "CSV
 * injection"). */
enum { FSB_CSV_SPREADSHEET = 1 << 0 };
void fsb_out_csv(struct fsb_out *o, const char *s, unsigned flags);

/* Ends a CSV field: a comma, or CRLF after the last of a row. */
void fsb_out_csv_end(struct fsb_out *o, int last);

/* The UTF-8 byte-order mark: what a spreadsheet needs to read a CSV file's
 * Vietnamese as UTF-8. */
void fsb_out_csv_bom(struct fsb_out *o);

/* Appends s as HTML text or an attribute's value: & < > " ' as entities,
 * control characters (but tab and new line) as U+FFFD. */
void fsb_out_html(struct fsb_out *o, const char *s);

/* Appends s percent-encoded for a URL's query value (RFC 3986: all but
 * the unreserved characters), so it can be written into an attribute as
 * is. */
void fsb_out_url(struct fsb_out *o, const char *s);

/* 0, or FSB_ENOMEM when a write failed. */
int fsb_out_finish(const struct fsb_out *o);

#endif
