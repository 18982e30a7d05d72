/* test_out.c - the output buffer's escaping: CSV (RFC 4180, formulas
 * disarmed for spreadsheets) and HTML. */
#include <criterion/criterion.h>
#include <string.h>

#include "out.h"

static void expect_csv(const char *in, unsigned flags, const char *want)
{
	struct fsb_out o;
	fsb_out_init(&o);
	fsb_out_csv(&o, in, flags);
	cr_assert_eq(fsb_out_finish(&o), 0);
	cr_expect_str_eq(o.buf ? o.buf : "", want, "csv of [%s]: [%s], want [%s]", in,
			 o.buf ? o.buf : "", want);
	fsb_out_clear(&o);
}

Test(out, csv_fields_are_quoted_when_they_must_be)
{
	expect_csv("Thủy sản", 0, "Thủy sản");
	expect_csv("", 0, "");
	expect_csv(NULL, 0, "");
	expect_csv("Ghi nhãn, hồ sơ", 0, "\"Ghi nhãn, hồ sơ\"");
	expect_csv("a \"b\"", 0, "\"a \"\"b\"\"\"");
	expect_csv("two\nlines", 0, "\"two\nlines\"");
	expect_csv("cr\rhere", 0, "\"cr\rhere\"");
	expect_csv(" padded", 0, "\" padded\"");
	expect_csv("padded ", 0, "\"padded \"");
}

Test(out, csv_formulas_are_disarmed_for_spreadsheets)
{
	expect_csv("=HYPERLINK(\"http://x\")", FSB_CSV_SPREADSHEET, "\"'=HYPERLINK(\"\"http://x\"\")\"");
	expect_csv("+1+2", FSB_CSV_SPREADSHEET, "\"'+1+2\"");
	expect_csv("@SUM(A1)", FSB_CSV_SPREADSHEET, "\"'@SUM(A1)\"");
	expect_csv("-2+3", FSB_CSV_SPREADSHEET, "\"'-2+3\"");
	expect_csv("\tx", FSB_CSV_SPREADSHEET, "\"'\tx\"");
	/* numbers stay numbers */
	expect_csv("-3", FSB_CSV_SPREADSHEET, "-3");
	expect_csv("+1.5", FSB_CSV_SPREADSHEET, "+1.5");
	expect_csv("7.7", FSB_CSV_SPREADSHEET, "7.7");
	expect_csv("-", FSB_CSV_SPREADSHEET, "-"); /* nothing to compute: "none" */
	/* without the flag, as written */
	expect_csv("=1+1", 0, "=1+1");
}

Test(out, csv_rows_end_in_crlf_and_the_bom_leads)
{
	struct fsb_out o;
	fsb_out_init(&o);
	fsb_out_csv_bom(&o);
	fsb_out_csv(&o, "a", 0);
	fsb_out_csv_end(&o, 0);
	fsb_out_csv(&o, "b", 0);
	fsb_out_csv_end(&o, 1);
	cr_assert_eq(fsb_out_finish(&o), 0);
	cr_expect_eq(o.len, 3 + 5);
	cr_expect_eq(memcmp(o.buf, "\xEF\xBB\xBF" "a,b\r\n", 8), 0);
	fsb_out_clear(&o);
}

Test(out, html_text_is_escaped)
{
	struct fsb_out o;
	fsb_out_init(&o);
	fsb_out_html(&o, "<script>alert('x')</script> & \"Cần Thơ\"\x01\x7f\n");
	cr_assert_eq(fsb_out_finish(&o), 0);
	cr_expect_str_eq(o.buf, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Cần Thơ&quot;"
				"\xEF\xBF\xBD\xEF\xBF\xBD\n");
	fsb_out_clear(&o);
	fsb_out_html(&o, NULL);
	cr_expect_eq(o.len, 0);
	fsb_out_clear(&o);
}
