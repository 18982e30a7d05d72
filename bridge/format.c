/* format.c - syntax checks for the text formats carried in messages.
 *
 * Every check walks its input once and never reads past the terminating NUL.
 * They accept exactly the documented grammar: a value that another
 * implementation might read differently (an exponent in a decimal, a leap
 * second, a lower-case 'z') is refused rather than guessed at.
 */
#include "format.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

const char *fsb_fmt_utf8(const uint8_t *s, size_t len, size_t *bad_at)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp, min;
		if (c == 0) {
			if (bad_at)
				*bad_at = i;
			return "contains a NUL byte";
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			n = 1, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			goto bad;
		}
		if (len - i <= n)
			goto bad;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += n + 1;
	}
	return NULL;
bad:
	if (bad_at)
		*bad_at = i;
	return "not valid UTF-8";
}

const char *fsb_fmt_listen(const char *s, unsigned char addr[4], unsigned *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon || colon == s)
		return "expected HOST:PORT, e.g. 127.0.0.1:8080";
	char host[64];
	size_t n = (size_t)(colon - s);
	if (n >= sizeof host)
		return "the host is too long";
	memcpy(host, s, n);
	host[n] = '\0';
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || p < 1 || p > 65535)
		return "the port is not a number from 1 to 65535";
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	struct in_addr a;
	if (inet_pton(AF_INET, host, &a) != 1)
		return "the host is not an IPv4 address (or localhost)";
	memcpy(addr, &a.s_addr, 4);
	*port = (unsigned)p;
	return NULL;
}

const char *fsb_fmt_slug(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-'))
			return "must be 1 to 32 characters of a-z, 0-9 and '-'";
	}
	if (n == 0 || n > FSB_ORIGIN_MAX)
		return "must be 1 to 32 characters of a-z, 0-9 and '-'";
	return NULL;
}

const char *fsb_fmt_decimal(const char *s, int *negative)
{
	const char *p = s;
	int neg = 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!is_digit(*p))
		return "not a decimal number (expected digits such as \"0.25\")";
	if (*p == '0' && is_digit(p[1]))
		return "not a decimal number (leading zero)";
	int nonzero = 0;
	while (is_digit(*p))
		nonzero |= *p++ != '0';
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return "not a decimal number (digits must follow '.')";
		while (is_digit(*p))
			nonzero |= *p++ != '0';
	}
	if (*p != '\0')
		return "not a decimal number (only digits, one '.' and a leading '-')";
	if ((size_t)(p - s) > FSB_DECIMAL_MAX)
		return "decimal number too long";
	if (negative)
		*negative = neg && nonzero;
	return NULL;
}

/* Reads exactly n digits. */
static int read_num(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Reads "YYYY-MM-DD" at s; `form` is the complaint when it is not there. */
static const char *parse_date(const char *s, const char *form, int *y, int *m, int *d)
{
	if (read_num(s, 4, y) || s[4] != '-' || read_num(s + 5, 2, m) || s[7] != '-' ||
	    read_num(s + 8, 2, d))
		return form;
	if (*y < 1900)
		return "date before 1900";
	if (*m < 1 || *m > 12)
		return "month out of range";
	if (*d < 1 || *d > days_in_month(*y, *m))
		return "day out of range for the month";
	return NULL;
}

const char *fsb_fmt_date(const char *s)
{
	static const char *const form = "not a date (expected YYYY-MM-DD)";
	int y, m, d;
	const char *why = parse_date(s, form, &y, &m, &d);
	if (why)
		return why;
	if (s[10] != '\0')
		return form;
	return NULL;
}

const char *fsb_fmt_timestamp(const char *s, int64_t *unix_ms)
{
	static const char *const form =
		"not an RFC 3339 time (expected e.g. 2025-06-02T09:15:00+07:00)";
	int y, mo, d, h, mi, sec, ms = 0;
	/* Each character is checked before the next is read, so a short
	 * string stops at its NUL. */
	const char *why = parse_date(s, form, &y, &mo, &d);
	if (why)
		return why;
	if (s[10] != 'T' || read_num(s + 11, 2, &h) || s[13] != ':' ||
	    read_num(s + 14, 2, &mi) || s[16] != ':' || read_num(s + 17, 2, &sec))
		return form;
	if (h > 23 || mi > 59 || sec > 59)
		return "time of day out of range";
	const char *p = s + 19;
	if (*p == '.') {
		int digits = 0;
		for (p++; is_digit(*p); p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		if (digits == 0 || digits > 9)
			return "fraction of a second must have 1 to 9 digits";
		for (; digits < 3; digits++)
			ms *= 10;
	}
	int offset_min = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (read_num(p + 1, 2, &oh) || p[3] != ':' || read_num(p + 4, 2, &om))
			return "bad UTC offset (expected Z or +HH:MM)";
		if (oh > 23 || om > 59)
			return "UTC offset out of range";
		offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return "missing UTC offset (add Z or +HH:MM)";
	}
	if (*p != '\0')
		return form;
	if (unix_ms)
		*unix_ms = fsb_fmt_time_ms(y, mo, d, h, mi, sec) - (int64_t)offset_min * 60000 + ms;
	return NULL;
}

/* GS1 mod-10 check over n digits, the last being the check digit. */
static int gs1_check_ok(const char *s, size_t n)
{
	int sum = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		int v = s[n - 2 - i] - '0';
		sum += (i % 2 == 0) ? v * 3 : v;
	}
	return (10 - sum % 10) % 10 == s[n - 1] - '0';
}

static size_t digit_run(const char *s)
{
	size_t n = 0;
	while (is_digit(s[n]))
		n++;
	return n;
}

/* GTIN of n digits at s (not necessarily NUL-terminated). */
static const char *check_gtin_digits(const char *s, size_t n, char *gtin14)
{
	if (n != 8 && n != 12 && n != 13 && n != 14)
		return "GTIN must be 8, 12, 13 or 14 digits";
	if (!gs1_check_ok(s, n))
		return "check digit mismatch";
	if (gtin14) {
		memset(gtin14, '0', FSB_GTIN14_LEN - n);
		memcpy(gtin14 + FSB_GTIN14_LEN - n, s, n);
		gtin14[FSB_GTIN14_LEN] = '\0';
	}
	return NULL;
}

const char *fsb_fmt_gtin(const char *s, char gtin14[FSB_GTIN14_LEN + 1])
{
	size_t n = digit_run(s);
	if (s[n] != '\0')
		return "GTIN must contain digits only";
	return check_gtin_digits(s, n, gtin14);
}

static const char *check_fixed_key(const char *s, size_t len, const char *what)
{
	size_t n = digit_run(s);
	if (s[n] != '\0' || n != len)
		return what;
	if (!gs1_check_ok(s, n))
		return "check digit mismatch";
	return NULL;
}

const char *fsb_fmt_gln(const char *s)
{
	return check_fixed_key(s, 13, "GLN must be 13 digits");
}

const char *fsb_fmt_sscc(const char *s)
{
	return check_fixed_key(s, 18, "SSCC must be 18 digits");
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A path segment of a Digital Link: unreserved characters, sub-delimiters
 * allowed in a path, or %XX escapes; returns its length, 0 when empty or
 * malformed. */
static size_t dl_segment(const char *s)
{
	size_t n = 0;
	for (;;) {
		char c = s[n];
		if (c == '%') {
			if (!is_hex(s[n + 1]) || !is_hex(s[n + 2]))
				return 0;
			n += 3;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
			   strchr("-._~!$&'()*+,;=:@", c) != NULL) {
			if (c == '\0')
				break;
			n++;
		} else {
			break;
		}
	}
	return n;
}

/* Decodes the percent-escapes of the n bytes at s into out (cap bytes with
 * its NUL); -1 when an escape is bad, the value too long, or a character
 * falls outside GS1's character set 82 (what AIs 10, 21 and 22 allow). */
static int dl_value(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return -1;
			char hex[3] = {s[i + 1], s[i + 2], 0};
			c = (unsigned char)strtoul(hex, NULL, 16);
			i += 2;
		}
		if (!(c >= '!' && c <= 'z') || strchr("#$@[\\]^`", c))
			return -1;
		if (k + 1 >= cap)
			return -1;
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return k ? 0 : -1;
}

/* Whether the path segment at p (up to the next '/', '?', '#' or end) is
 * one of the names, numeric or short; its length in *len. */
static int dl_key(const char *p, const char *num, const char *name, size_t *len)
{
	size_t n = strlen(num), m = strlen(name);
	if (strncmp(p, num, n) == 0 && p[n] == '/') {
		*len = n;
		return 1;
	}
	if (strncmp(p, name, m) == 0 && p[m] == '/') {
		*len = m;
		return 1;
	}
	return 0;
}

/* YYMMDD as GS1 writes dates: a real month, and a day of it or 00. */
static int dl_date(const char *s, size_t n)
{
	if (n != 6)
		return 0;
	for (size_t i = 0; i < 6; i++)
		if (!is_digit(s[i]))
			return 0;
	int mm = (s[2] - '0') * 10 + (s[3] - '0'), dd = (s[4] - '0') * 10 + (s[5] - '0');
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return mm >= 1 && mm <= 12 && dd <= days[mm - 1];
}

const char *fsb_fmt_dl_parse(const char *s, struct fsb_dl *out)
{
	struct fsb_dl dl;
	memset(&dl, 0, sizeof dl);
	const char *p;
	if (strncmp(s, "https://", 8) == 0)
		p = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		p = s + 7;
	else
		return "Digital Link must start with https:// or http://";
	size_t host = 0;
	while (p[host] && p[host] != '/' && p[host] != '?' && p[host] != '#') {
		char c = p[host];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
		      c == '.' || c == '-' || c == ':'))
			return "Digital Link host name contains invalid characters";
		host++;
	}
	if (host == 0)
		return "Digital Link has no host name";
	p += host;
	/* The primary key, /01/ or /gtin/; anything before it is a path
	 * prefix of the resolver (any domain, any prefix). */
	const char *key = NULL;
	size_t klen = 0;
	for (const char *q = p; *q && *q != '?' && *q != '#'; q++)
		if (*q == '/' && dl_key(q + 1, "01", "gtin", &klen)) {
			key = q;
			break;
		}
	if (!key)
		return "Digital Link has no /01/{GTIN} primary key";
	for (const char *q = p; q < key; q++)
		if (*q != '/' && !dl_segment(q))
			return "Digital Link path prefix is malformed";
	p = key + 1 + klen + 1;
	size_t n = digit_run(p);
	if (p[n] != '\0' && p[n] != '/' && p[n] != '?' && p[n] != '#')
		return "Digital Link GTIN must contain digits only";
	const char *why = check_gtin_digits(p, n, dl.gtin14);
	if (why)
		return why;
	p += n;
	/* Key qualifiers, each at most once, in the order 22, 10, 21 (or their
	 * short names cpv, lot, ser), values percent-decoded. */
	static const char *const nums[] = {"22", "10", "21"}, *const names[] = {"cpv", "lot", "ser"};
	char *vals[] = {dl.cpv, dl.lot, dl.serial};
	size_t next = 0;
	while (*p == '/') {
		size_t q, len = 0;
		for (q = next; q < 3; q++)
			if (dl_key(p + 1, nums[q], names[q], &len))
				break;
		if (q == 3)
			return "Digital Link qualifier must be /22/, /10/ or /21/, in that order";
		p += 1 + len + 1;
		size_t seg = dl_segment(p);
		if (seg == 0 || dl_value(p, seg, vals[q], FSB_DL_VALUE_MAX + 1))
			return "Digital Link qualifier value is empty, badly escaped, too long or outside GS1's characters";
		p += seg;
		next = q + 1;
	}
	if (*p == '?') {
		/* Attributes: 17 (or exp), the expiry date, is kept; others pass. */
		for (p++; *p && *p != '#';) {
			size_t m = strcspn(p, "&#");
			for (size_t i = 0; i < m; i++)
				if (p[i] == '%' ? !(is_hex(p[i + 1]) && is_hex(p[i + 2]))
						: (unsigned char)p[i] <= ' ')
					return "Digital Link query string is malformed";
			if ((strncmp(p, "17=", 3) == 0 || strncmp(p, "exp=", 4) == 0)) {
				const char *v = strchr(p, '=') + 1;
				size_t vn = m - (size_t)(v - p);
				if (!dl_date(v, vn))
					return "Digital Link expiry (17) must be a date YYMMDD";
				memcpy(dl.expiry, v, 6);
			}
			p += m;
			if (*p == '&')
				p++;
		}
	}
	if (*p == '#')
		return "Digital Link must not carry a fragment";
	if (*p != '\0')
		return "Digital Link has unexpected characters after the GTIN";
	if (out)
		*out = dl;
	return NULL;
}

size_t fsb_fmt_url_byte(unsigned char c, char e[3])
{
	static const char hex[] = "0123456789ABCDEF";
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.' || c == '_' || c == '~') {
		e[0] = (char)c;
		return 1;
	}
	e[0] = '%';
	e[1] = hex[c >> 4];
	e[2] = hex[c & 15];
	return 3;
}

char *fsb_fmt_dl_make(const char *gtin14, const char *lot, char *out, size_t cap)
{
	int n = snprintf(out, cap, "https://id.gs1.org/01/%s%s", gtin14, lot && lot[0] ? "/10/" : "");
	if (n < 0 || (size_t)n >= cap)
		return NULL;
	size_t at = (size_t)n;
	for (const unsigned char *p = (const unsigned char *)(lot ? lot : ""); *p; p++) {
		char e[3];
		size_t k = fsb_fmt_url_byte(*p, e);
		if (at + k >= cap)
			return NULL;
		memcpy(out + at, e, k);
		at += k;
	}
	out[at] = '\0';
	return out;
}

const char *fsb_fmt_digital_link(const char *s, char gtin14[FSB_GTIN14_LEN + 1])
{
	struct fsb_dl dl;
	const char *why = fsb_fmt_dl_parse(s, &dl);
	if (!why && gtin14)
		memcpy(gtin14, dl.gtin14, FSB_GTIN14_LEN + 1);
	return why;
}

const char *fsb_fmt_country(const char *s)
{
	if (!(s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] == '\0'))
		return "country must be an ISO 3166-1 alpha-2 code such as \"VN\"";
	return NULL;
}

const char *fsb_fmt_message_id(const char *s, char origin[FSB_ORIGIN_MAX + 1],
			       uint64_t *seq)
{
	static const char *const form = "message id must be \"{origin}:{seq}\", e.g. \"longan:42\"";
	const char *colon = strchr(s, ':');
	if (!colon || colon == s || colon - s > FSB_ORIGIN_MAX)
		return form;
	char slug[FSB_ORIGIN_MAX + 1];
	memcpy(slug, s, (size_t)(colon - s));
	slug[colon - s] = '\0';
	if (fsb_fmt_slug(slug))
		return form;
	const char *p = colon + 1;
	size_t n = digit_run(p);
	if (n == 0 || p[n] != '\0' || p[0] == '0' || n > 20)
		return form;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return form;
		v = v * 10 + d;
	}
	if (origin)
		memcpy(origin, slug, sizeof slug);
	if (seq)
		*seq = v;
	return NULL;
}

int64_t fsb_fmt_time_ms(int year, int month, int day, int hour, int min, int sec)
{
	return (days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec) * 1000;
}

/* The calendar fields of an instant (UTC). */
struct civil {
	int64_t y;
	int m, d, hh, mm, ss, ms;
};

static void civil_from_ms(int64_t unix_ms, struct civil *c)
{
	/* H. Hinnant's civil_from_days, the inverse of days_from_civil. */
	int64_t ms = unix_ms % 1000, secs = unix_ms / 1000;
	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	c->d = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->m = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->y = yoe + era * 400 + (c->m <= 2);
	c->hh = (int)(rem / 3600);
	c->mm = (int)(rem / 60 % 60);
	c->ss = (int)(rem % 60);
	c->ms = (int)ms;
}

void fsb_fmt_time(int64_t unix_ms, char out[FSB_TIME_MAX + 1])
{
	struct civil c;
	civil_from_ms(unix_ms, &c);
	char buf[80]; /* room for any int, to keep the compiler's range check quiet */
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)(c.y % 10000), c.m, c.d,
		 c.hh, c.mm, c.ss, c.ms);
	memcpy(out, buf, FSB_TIME_MAX);
	out[FSB_TIME_MAX] = '\0';
}

void fsb_fmt_local_time(int64_t unix_ms, char out[FSB_LOCAL_TIME_MAX + 1])
{
	struct civil c;
	civil_from_ms(unix_ms + (int64_t)FSB_LOCAL_OFFSET_MIN * 60 * 1000, &c);
	char buf[80];
	snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d %+03d:%02d", (int)(c.y % 10000), c.m, c.d,
		 c.hh, c.mm, FSB_LOCAL_OFFSET_MIN / 60, abs(FSB_LOCAL_OFFSET_MIN % 60));
	memcpy(out, buf, FSB_LOCAL_TIME_MAX);
	out[FSB_LOCAL_TIME_MAX] = '\0';
}

int64_t fsb_fmt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *fsb_fmt_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}
