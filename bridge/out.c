/* out.c - the rendered output's buffer and its escaping. */
#include "out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"

void fsb_out_init(struct fsb_out *o)
{
	memset(o, 0, sizeof *o);
}

void fsb_out_clear(struct fsb_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof *o);
}

static int room(struct fsb_out *o, size_t more)
{
	if (o->failed)
		return -1;
	if (o->len + more + 1 <= o->cap)
		return 0;
	size_t cap = o->cap ? o->cap : 256;
	while (cap < o->len + more + 1)
		cap *= 2;
	char *p = realloc(o->buf, cap);
	if (!p) {
		o->failed = 1;
		return -1;
	}
	o->buf = p;
	o->cap = cap;
	return 0;
}

static void put(struct fsb_out *o, const char *s, size_t n)
{
	if (room(o, n))
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void fsb_out_puts(struct fsb_out *o, const char *s)
{
	put(o, s, strlen(s));
}

void fsb_out_printf(struct fsb_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || room(o, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

void fsb_out_json_str(struct fsb_out *o, const char *s)
{
	if (!s) {
		put(o, "null", 4);
		return;
	}
	put(o, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		switch (*p) {
		case '"': put(o, "\\\"", 2); break;
		case '\\': put(o, "\\\\", 2); break;
		case '\n': put(o, "\\n", 2); break;
		case '\r': put(o, "\\r", 2); break;
		case '\t': put(o, "\\t", 2); break;
		default:
			if (*p < 0x20 || *p == 0x7F) {
				snprintf(esc, sizeof esc, "\\u%04x", *p);
				put(o, esc, 6);
			} else {
				put(o, (const char *)p, 1);
			}
		}
	}
	put(o, "\"", 1);
}

void fsb_out_json_time(struct fsb_out *o, int64_t ms)
{
	if (ms == INT64_MIN) {
		put(o, "null", 4);
		return;
	}
	char t[FSB_TIME_MAX + 1];
	fsb_fmt_time(ms, t);
	fsb_out_json_str(o, t);
}

void fsb_out_json_member(struct fsb_out *o, const char *name, const char *v)
{
	fsb_out_printf(o, ",\"%s\":", name);
	fsb_out_json_str(o, v);
}

void fsb_out_json_member_time(struct fsb_out *o, const char *name, int64_t ms)
{
	fsb_out_printf(o, ",\"%s\":", name);
	fsb_out_json_time(o, ms);
}

void fsb_out_json_bool(struct fsb_out *o, const char *name, int v)
{
	fsb_out_printf(o, ",\"%s\":%s", name, v ? "true" : "false");
}

void fsb_out_json_count(struct fsb_out *o, const char *name, size_t n)
{
	fsb_out_printf(o, ",\"%s\":%zu", name, n);
}

void fsb_out_local_time(struct fsb_out *o, int64_t ms)
{
	if (ms == INT64_MIN) {
		put(o, "-", 1);
		return;
	}
	char t[FSB_LOCAL_TIME_MAX + 1];
	fsb_fmt_local_time(ms, t);
	fsb_out_puts(o, t);
}

void fsb_out_text(struct fsb_out *o, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			put(o, " ", 1);
		else if (*p < 0x20 || *p == 0x7F)
			put(o, "\xEF\xBF\xBD", 3);
		/* C1 controls (U+0080..U+009F: C2 80..C2 9F) act on terminals too */
		else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
			put(o, "\xEF\xBF\xBD", 3);
			p++;
		} else
			put(o, (const char *)p, 1);
	}
}

size_t fsb_out_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80; /* each code point's first byte */
	return n;
}

void fsb_out_cell(struct fsb_out *o, const char *s, size_t width)
{
	fsb_out_text(o, s);
	for (size_t chars = fsb_out_width(s); chars < width; chars++)
		put(o, " ", 1);
}

/* Whether s reads as a number ("-3", "+1.5e3"): such a field is data, not
 * a formula. */
static int numeric(const char *s)
{
	char *end;
	if (!*s)
		return 0;
	(void)strtod(s, &end);
	return *end == '\0';
}

void fsb_out_csv(struct fsb_out *o, const char *s, unsigned flags)
{
	if (!s)
		s = "";
	size_t n = strlen(s);
	int formula = (flags & FSB_CSV_SPREADSHEET) && n > 1 && strchr("=+-@\t\r", s[0]) &&
		      !numeric(s);
	int quote = formula || strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' '));
	if (!quote) {
		put(o, s, n);
		return;
	}
	put(o, "\"", 1);
	if (formula)
		put(o, "'", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			put(o, "\"", 1);
		put(o, p, 1);
	}
	put(o, "\"", 1);
}

void fsb_out_csv_end(struct fsb_out *o, int last)
{
	if (last)
		put(o, "\r\n", 2);
	else
		put(o, ",", 1);
}

void fsb_out_csv_bom(struct fsb_out *o)
{
	put(o, "\xEF\xBB\xBF", 3);
}

void fsb_out_html(struct fsb_out *o, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&': put(o, "&amp;", 5); break;
		case '<': put(o, "&lt;", 4); break;
		case '>': put(o, "&gt;", 4); break;
		case '"': put(o, "&quot;", 6); break;
		case '\'': put(o, "&#39;", 5); break;
		default:
			if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
				put(o, "\xEF\xBF\xBD", 3);
			else
				put(o, (const char *)p, 1);
		}
	}
}

int fsb_out_finish(const struct fsb_out *o)
{
	return o->failed ? FSB_ENOMEM : 0;
}

void fsb_out_url(struct fsb_out *o, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e[3];
		put(o, e, fsb_fmt_url_byte(*p, e));
	}
}
