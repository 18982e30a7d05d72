/* test_format.c - the pure format checks, table-driven. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "format.h"

typedef const char *(*check_fn)(const char *);

struct fcase {
	char input[160];
	char why[96]; /* "" when the input is valid, else a substring of the reason */
};

static const char *gtin(const char *s) { return fsb_fmt_gtin(s, NULL); }
static const char *dlink(const char *s) { return fsb_fmt_digital_link(s, NULL); }
static const char *ts(const char *s) { return fsb_fmt_timestamp(s, NULL); }
static const char *dec(const char *s) { return fsb_fmt_decimal(s, NULL); }
static const char *mid(const char *s) { return fsb_fmt_message_id(s, NULL, NULL); }

static void expect(check_fn fn, const struct fcase *c)
{
	const char *why = fn(c->input);
	if (c->why[0] == '\0')
		cr_expect_null(why, "\"%s\" should be valid, got: %s", c->input, why);
	else
		cr_expect(why && strstr(why, c->why), "\"%s\": expected \"%s\", got \"%s\"", c->input,
			  c->why, why ? why : "(valid)");
}

#define TABLE_TEST(name, fn, ...)                                                      \
	static struct fcase name##_cases[] = {__VA_ARGS__};                            \
	ParameterizedTestParameters(format, name)                                      \
	{                                                                              \
		return cr_make_param_array(struct fcase, name##_cases,                 \
					   sizeof name##_cases / sizeof name##_cases[0]); \
	}                                                                              \
	ParameterizedTest(struct fcase *c, format, name)                               \
	{                                                                              \
		expect(fn, c);                                                         \
	}

TABLE_TEST(slug, fsb_fmt_slug,
	   {"longan", ""}, {"an-giang", ""}, {"x", ""}, {"abcdefghijklmnopqrstuvwxyz012345", ""},
	   {"", "1 to 32"}, {"abcdefghijklmnopqrstuvwxyz0123456", "1 to 32"},
	   {"LongAn", "a-z"}, {"long an", "a-z"}, {"cần-thơ", "a-z"}, {"long_an", "a-z"})

TABLE_TEST(decimal, dec,
	   {"0", ""}, {"12", ""}, {"0.25", ""}, {"-1.5", ""}, {"245.3", ""}, {"100000", ""},
	   {"", "digits"}, {"1.", "digits must follow"}, {".5", "digits"}, {"1e3", "only digits"},
	   {"+1", "digits"}, {"01", "leading zero"}, {"1,5", "only digits"}, {"NaN", "digits"},
	   {" 1", "digits"}, {"1.2.3", "only digits"},
	   {"12345678901234567890123456789012345678901", "too long"})

TABLE_TEST(date, fsb_fmt_date,
	   {"2025-06-02", ""}, {"2024-02-29", ""}, {"2000-02-29", ""},
	   {"2025-02-29", "day out of range"}, {"1900-02-29", "day out of range"},
	   {"2025-13-01", "month"}, {"2025-00-10", "month"}, {"2025-04-31", "day out of range"},
	   {"2025-6-2", "YYYY-MM-DD"}, {"02/06/2025", "YYYY-MM-DD"}, {"2025-06-02T00:00:00Z", "YYYY-MM-DD"},
	   {"1899-12-31", "before 1900"}, {"", "YYYY-MM-DD"})

TABLE_TEST(timestamp, ts,
	   {"2025-06-02T09:15:00+07:00", ""}, {"2025-06-02T02:15:00Z", ""},
	   {"2025-06-02T09:15:00.123456789-03:30", ""}, {"2025-06-02T09:15:00.5Z", ""},
	   {"2025-06-02 09:15:00+07:00", "RFC 3339"}, {"2025-06-02T09:15:00", "missing UTC offset"},
	   {"2025-06-02T24:00:00Z", "out of range"}, {"2025-06-02T09:60:00Z", "out of range"},
	   {"2025-06-02T09:15:60Z", "out of range"}, {"2025-06-02T09:15:00+7:00", "offset"},
	   {"2025-06-02T09:15:00.Z", "fraction"}, {"2025-06-02T09:15:00.1234567890Z", "fraction"},
	   {"2025-06-02T09:15:00z", "missing UTC offset"}, {"2025-02-30T09:15:00Z", "day out of range"},
	   {"2025-06-02T09:15:00Z ", "RFC 3339"})

TABLE_TEST(gtin, gtin,
	   {"8936045123454", ""}, {"08936045123454", ""}, {"96385074", ""}, {"036000291452", ""},
	   {"8936045123455", "check digit mismatch"}, {"893604512345", "check digit mismatch"},
	   {"893604512345411", "8, 12, 13 or 14"}, {"12345", "8, 12, 13 or 14"},
	   {"893604512345A", "digits only"}, {"", "8, 12, 13 or 14"})

TABLE_TEST(gln, fsb_fmt_gln, {"8930000000019", ""}, {"8930000000018", "check digit"},
	   {"893000000001", "13 digits"}, {"893000000001x", "13 digits"})

TABLE_TEST(sscc, fsb_fmt_sscc, {"008936045123000010", ""}, {"008936045123000011", "check digit"},
	   {"8936045123000010", "18 digits"})

TABLE_TEST(digital_link, dlink,
	   {"https://id.gs1.org/01/08936045123454", ""},
	   {"https://id.gs1.org/01/08936045123454/10/LX250901", ""},
	   {"https://example.vn/qr/v1/01/8936045123454/22/2A/10/AB%2F12/21/0001?exp=251001", ""},
	   {"http://localhost:8080/01/96385074", ""},
	   {"ftp://id.gs1.org/01/08936045123454", "https://"},
	   {"https:///01/08936045123454", "no host"},
	   {"https://id.gs1.org/gtin/08936045123454/lot/A1", ""},
	   {"https://id.gs1.org/gtn/08936045123454", "no /01/"},
	   {"https://id.gs1.org/01/08936045123454/10/ABCDEFGHIJKLMNOPQRSTU", "too long"},
	   {"https://id.gs1.org/01/08936045123454/10/A%5E1", "outside GS1's characters"},
	   {"https://id.gs1.org/01/08936045123454?17=251301", "YYMMDD"},
	   {"https://id.gs1.org/01/08936045123455", "check digit mismatch"},
	   {"https://id.gs1.org/01/0893604512345X", "digits only"},
	   {"https://id.gs1.org/01/08936045123454/10/", "empty"},
	   {"https://id.gs1.org/01/08936045123454/21/1/10/A", "in that order"},
	   {"https://id.gs1.org/01/08936045123454/99/1", "in that order"},
	   {"https://id.gs1.org/01/08936045123454/10/A%G1", "badly escaped"},
	   {"https://id.gs1.org/01/08936045123454#top", "fragment"},
	   {"https://id gs1.org/01/08936045123454", "invalid characters"},
	   {"https://id.gs1.org/01/08936045123454/10/A B", "unexpected characters"})

TABLE_TEST(country, fsb_fmt_country, {"VN", ""}, {"KH", ""}, {"vn", "alpha-2"}, {"VNM", "alpha-2"},
	   {"", "alpha-2"})

TABLE_TEST(message_id, mid, {"longan:1", ""}, {"an-giang:18446744073709551615", ""},
	   {"longan:0", "{origin}:{seq}"}, {"longan:01", "{origin}:{seq}"},
	   {"longan:18446744073709551616", "{origin}:{seq}"}, {"longan", "{origin}:{seq}"},
	   {":5", "{origin}:{seq}"}, {"Long An:5", "{origin}:{seq}"}, {"longan:5x", "{origin}:{seq}"})

Test(format, message_id_parts)
{
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq = 0;
	cr_assert_null(fsb_fmt_message_id("cantho:42", origin, &seq));
	cr_expect_str_eq(origin, "cantho");
	cr_expect_eq(seq, 42);
}

Test(format, gtin_padding)
{
	char g[FSB_GTIN14_LEN + 1];
	cr_assert_null(fsb_fmt_gtin("96385074", g));
	cr_expect_str_eq(g, "00000096385074");
	cr_assert_null(fsb_fmt_digital_link("https://id.gs1.org/01/8936045123454/10/A", g));
	cr_expect_str_eq(g, "08936045123454");
}

/* Examples of the GS1 Digital Link standard (1.2, section 4) and of the
 * Vietnamese labels the programme's QR codes carry. */
/* The keys of a GS1 Digital Link, on the standard's own examples (GTIN
 * 09520123456788 with CPV 2A, lot ABC123, serial 12345 and expiry
 * 180426), then on the forms QR codes in the provinces carry. */
Test(format, digital_link_keys)
{
	struct fsb_dl dl;
	cr_assert_null(fsb_fmt_dl_parse("https://id.gs1.org/01/09520123456788", &dl));
	cr_expect_str_eq(dl.gtin14, "09520123456788");
	cr_expect_str_eq(dl.lot, "");
	cr_assert_null(fsb_fmt_dl_parse("https://id.gs1.org/01/09520123456788/10/ABC123/21/12345", &dl));
	cr_expect_str_eq(dl.lot, "ABC123");
	cr_expect_str_eq(dl.serial, "12345");
	cr_assert_null(fsb_fmt_dl_parse(
		"https://example.com/01/09520123456788/22/2A/10/ABC123/21/12345?17=180426", &dl));
	cr_expect_str_eq(dl.cpv, "2A");
	cr_expect_str_eq(dl.expiry, "180426");
	/* any domain and path prefix; a GTIN-13 padded */
	cr_assert_null(fsb_fmt_dl_parse("https://qr.longan.gov.vn/truy-xuat/01/8936045123454/10/LX250901", &dl));
	cr_expect_str_eq(dl.gtin14, "08936045123454");
	cr_expect_str_eq(dl.lot, "LX250901");
	/* percent-encoding: a lot with a slash and a space */
	cr_assert_null(fsb_fmt_dl_parse("https://id.gs1.org/01/09520123456788/10/AB%2F12%2B3", &dl));
	cr_expect_str_eq(dl.lot, "AB/12+3");
	/* the short names of the keys, and exp for 17 */
	cr_expect_not_null(fsb_fmt_dl_parse("https://example.com/gtin/09520123456788/lot/ABC%20/ser/7", &dl),
			   "a space is outside GS1's character set 82");
	cr_assert_null(fsb_fmt_dl_parse("https://example.com/gtin/09520123456788/lot/ABC/ser/7?linkType=gs1:pip&exp=251200",
					&dl));
	cr_expect_str_eq(dl.lot, "ABC");
	cr_expect_str_eq(dl.serial, "7");
	cr_expect_str_eq(dl.expiry, "251200", "day 00: the end of the month");
}

Test(format, timestamp_value)
{
	int64_t ms = 0;
	cr_assert_null(fsb_fmt_timestamp("1970-01-01T00:00:00Z", &ms));
	cr_expect_eq(ms, 0);
	cr_assert_null(fsb_fmt_timestamp("2025-06-02T09:15:00.250+07:00", &ms));
	cr_expect_eq(ms, 1748830500250LL); /* 2025-06-02T02:15:00.250Z */
	cr_assert_null(fsb_fmt_timestamp("2024-02-29T23:59:59-01:00", &ms));
	cr_expect_eq(ms, 1709254799000LL); /* 2024-03-01T00:59:59Z */
}

Test(format, utf8)
{
	size_t at = 99;
	const char *ok = "Cần Thơ – 🐟";
	cr_expect_null(fsb_fmt_utf8((const uint8_t *)ok, strlen(ok), NULL));
	static const struct {
		const char *bytes;
		size_t len;
		size_t at;
		const char *why;
	} bad[] = {
		{"ab\0c", 4, 2, "NUL"},
		{"a\xC3", 2, 1, "UTF-8"},              /* truncated sequence */
		{"\xC0\xAF", 2, 0, "UTF-8"},           /* overlong '/' */
		{"x\xED\xA0\x80", 4, 1, "UTF-8"},      /* surrogate */
		{"\xF4\x90\x80\x80", 4, 0, "UTF-8"},   /* above U+10FFFF */
		{"ok\x80", 3, 2, "UTF-8"},             /* stray continuation */
		{"\xFF", 1, 0, "UTF-8"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why = fsb_fmt_utf8((const uint8_t *)bad[i].bytes, bad[i].len, &at);
		cr_expect(why && strstr(why, bad[i].why), "case %zu", i);
		cr_expect_eq(at, bad[i].at, "case %zu: offset %zu", i, at);
	}
}

Test(format, hex)
{
	const uint8_t b[] = {0x00, 0x0f, 0x10, 0xa5, 0xff};
	char out[2 * sizeof b + 1];
	memset(out, 'x', sizeof out);
	cr_expect_eq(fsb_fmt_hex(b, sizeof b, out), out);
	cr_expect_str_eq(out, "000f10a5ff");
	cr_expect_str_eq(fsb_fmt_hex(b, 0, out), "");
}

/* A listening address: an IPv4 address (or localhost) and a port. */
Test(format, listen)
{
	unsigned char a[4];
	unsigned port = 0;
	cr_assert_null(fsb_fmt_listen("127.0.0.1:8080", a, &port));
	cr_expect(a[0] == 127 && a[1] == 0 && a[2] == 0 && a[3] == 1);
	cr_expect_eq(port, 8080);
	cr_assert_null(fsb_fmt_listen("localhost:1", a, &port));
	cr_expect(a[0] == 127 && a[3] == 1 && port == 1);
	cr_assert_null(fsb_fmt_listen("0.0.0.0:65535", a, &port));
	cr_expect(a[0] == 0 && port == 65535);
	static const char *const bad[] = {
		"", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:80x", "127.0.0.256:80", "attp.longan.example:80", "[::1]:80",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not_null(fsb_fmt_listen(bad[i], a, &port), "\"%s\" taken", bad[i]);
	cr_expect_not_null(fsb_fmt_listen(NULL, a, &port));
}
