/* format.h - syntax checks for the text formats carried in messages.
 *
 * A pure module: no I/O, no allocation, no global state (fsb_fmt_now_ms()
 * only reads the clock). Each check returns
 * NULL when its input is well-formed, or a static, lower-case description of
 * the first problem ("check digit mismatch") that a caller prefixes with the
 * field path. Inputs are NUL-terminated strings unless a length is given.
 */
#ifndef FSB_FORMAT_H
#define FSB_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FSB_ORIGIN_MAX 32      /* bytes in an origin slug */
#define FSB_DECIMAL_MAX 40     /* characters in a decimal string */
#define FSB_GTIN14_LEN 14

/* UTF-8 well-formedness over len bytes (no overlong forms, no surrogates,
 * nothing past U+10FFFF) and no NUL byte. On a problem, *bad_at (if not NULL)
 * receives the offset of the first offending byte. */
const char *fsb_fmt_utf8(const uint8_t *s, size_t len, size_t *bad_at);

/* A listening address "HOST:PORT": an IPv4 address (or localhost) and a
 * port from 1 to 65535, into addr (network order) and *port; NULL, or why
 * not. */
const char *fsb_fmt_listen(const char *s, unsigned char addr[4], unsigned *port);

/* Origin slug: [a-z0-9-]{1,32}. */
const char *fsb_fmt_slug(const char *s);

/* Decimal string: -?(0|[1-9][0-9]*)(\.[0-9]+)?, at most FSB_DECIMAL_MAX
 * characters; no exponent, no '+', no spaces. *negative (if not NULL) is set
 * to 1 when the value is below zero. */
const char *fsb_fmt_decimal(const char *s, int *negative);

/* Calendar date "YYYY-MM-DD", a real day of the Gregorian calendar, year
 * 1900 to 9999. */
const char *fsb_fmt_date(const char *s);

/* RFC 3339 instant "YYYY-MM-DDTHH:MM:SS[.fraction]" followed by "Z" or
 * "+HH:MM"/"-HH:MM"; year 1900 to 9999, seconds 00 to 59. *unix_ms (if not
 * NULL) receives milliseconds since 1970-01-01T00:00:00Z (fraction
 * truncated). */
const char *fsb_fmt_timestamp(const char *s, int64_t *unix_ms);

/* GS1 GTIN-8, -12, -13 or -14 with a valid check digit. gtin14 (if not NULL)
 * receives the GTIN left-padded with zeros to 14 digits, NUL-terminated. */
const char *fsb_fmt_gtin(const char *s, char gtin14[FSB_GTIN14_LEN + 1]);

/* GS1 Global Location Number: 13 digits with a valid check digit. */
const char *fsb_fmt_gln(const char *s);

/* GS1 Serial Shipping Container Code: 18 digits with a valid check digit. */
const char *fsb_fmt_sscc(const char *s);

/* A GS1 Digital Link URI's keys, as fsb_fmt_dl_parse() reads them. */
#define FSB_DL_VALUE_MAX 20 /* characters of a lot, serial or CPV (GS1 AIs 10, 21, 22) */
struct fsb_dl {
	char gtin14[FSB_GTIN14_LEN + 1];   /* padded to 14 digits */
	char cpv[FSB_DL_VALUE_MAX + 1];    /* "" when absent; percent-decoded */
	char lot[FSB_DL_VALUE_MAX + 1];
	char serial[FSB_DL_VALUE_MAX + 1];
	char expiry[7];                    /* YYMMDD (AI 17 in the query), "" when absent */
};

/* Parses a GS1 Digital Link URI for a trade item, uncompressed, as a QR
 * scanner reads it: any scheme host and path prefix, the primary key
 * /01/{gtin} (or /gtin/), the qualifiers /22/ (cpv), /10/ (lot), /21/
 * (ser) in that order, percent-decoded and within GS1's character set 82,
 * and the expiry 17 (or exp) from the query. Fills *out (may be NULL). */
const char *fsb_fmt_dl_parse(const char *s, struct fsb_dl *out);

/* GS1 Digital Link URI, uncompressed form, for a trade item:
 * http(s)://host[:port][/prefix…]/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}][?query]
 * with a valid GTIN and percent-encoded, non-empty qualifier values.
 * gtin14 (if not NULL) receives the item's GTIN padded to 14 digits. */
const char *fsb_fmt_digital_link(const char *s, char gtin14[FSB_GTIN14_LEN + 1]);

/* Byte c as it stands in a URL's path segment or query value: itself when
 * unreserved (RFC 3986: A-Z a-z 0-9 - . _ ~), else %XX. Returns the
 * length written to e (1 or 3). */
size_t fsb_fmt_url_byte(unsigned char c, char e[3]);

/* The canonical GS1 Digital Link of a trade item on GS1's resolver,
 * https://id.gs1.org/01/{gtin14}[/10/{lot}], the lot percent-encoded
 * (lot "" or NULL: none): what a QR code carries for a product whose
 * message gives no link of its own. Returns out, or NULL when it would
 * not fit in cap bytes. */
char *fsb_fmt_dl_make(const char *gtin14, const char *lot, char *out, size_t cap);

/* ISO 3166-1 alpha-2 form: two upper-case ASCII letters. */
const char *fsb_fmt_country(const char *s);

/* Message id "{origin}:{seq}" with a valid slug and a decimal seq >= 1 without
 * leading zeros. origin (if not NULL) receives the slug, *seq the number. */
const char *fsb_fmt_message_id(const char *s, char origin[FSB_ORIGIN_MAX + 1],
			       uint64_t *seq);

/* Writes n bytes as 2n lower-case hex digits and a NUL into out (2n + 1
 * bytes); returns out. */
char *fsb_fmt_hex(const uint8_t *p, size_t n, char *out);

/* ---- time --------------------------------------------------------------- */

#define FSB_TIME_MAX 24 /* "2025-06-02T09:15:00.123Z" */

/* Milliseconds since the Unix epoch of a UTC calendar time (proleptic
 * Gregorian; fields are not range-checked). */
int64_t fsb_fmt_time_ms(int year, int month, int day, int hour, int min, int sec);

/* Formats milliseconds since the epoch as RFC 3339 UTC with milliseconds,
 * "2025-06-02T02:15:00.250Z". */
void fsb_fmt_time(int64_t unix_ms, char out[FSB_TIME_MAX + 1]);

/* Times shown to staff are in the provinces' time zone, Asia/Ho_Chi_Minh:
 * UTC+07:00 all year (no daylight saving since 1975), with the offset
 * written out. */
#define FSB_LOCAL_OFFSET_MIN 420
#define FSB_LOCAL_TIME_MAX 23 /* "2025-06-02 09:15 +07:00" */

/* Formats an instant in the provinces' time zone to the minute,
 * "2025-06-02 09:15 +07:00". */
void fsb_fmt_local_time(int64_t unix_ms, char out[FSB_LOCAL_TIME_MAX + 1]);

/* The current time, milliseconds since the epoch. */
int64_t fsb_fmt_now_ms(void);

#endif
