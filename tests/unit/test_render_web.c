/* test_render_web.c - what the web view's message page says in words: every
 * value of every enumeration and every field of the schemas has a label in
 * Vietnamese and in English (read from the .proto files themselves, so a
 * field added to a schema without its words fails here), and a hostile
 * string in a message is shown as text, never as markup. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "labels.h"
#include "out.h"
#include "qr.h"
#include "render_web.h"
#include "helpers.h"

/* Calls fn with every enum value (not *_UNSPECIFIED) and every field's
 * JSON name (lowerCamelCase) of the schemas. */
static void each_name(void (*fn)(const char *name, int is_enum, const char *file))
{
	glob_t g;
	cr_assert_eq(glob(FSB_TOP_DIR "/schemas/foodsafety/v1/*.proto", 0, NULL, &g), 0);
	for (size_t f = 0; f < g.gl_pathc; f++) {
		/* the exchange's own envelope and control messages are never
		 * shown as a message */
		if (strstr(g.gl_pathv[f], "/envelope.proto") || strstr(g.gl_pathv[f], "/control.proto"))
			continue;
		char *text = th_read(g.gl_pathv[f], NULL);
		int in_enum = 0, depth = 0, enum_depth = 0;
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			while (isspace((unsigned char)*line))
				line++;
			if (strncmp(line, "//", 2) == 0)
				continue;
			char name[128], type[128];
			int value;
			if (strncmp(line, "enum ", 5) == 0) {
				in_enum = 1;
				enum_depth = depth + 1;
			} else if (in_enum && sscanf(line, "%127[A-Z0-9_] = %d", name, &value) == 2) {
				if (!strstr(name, "_UNSPECIFIED"))
					fn(name, 1, g.gl_pathv[f]);
			} else if (!in_enum && strncmp(line, "message ", 8) != 0 &&
				   strncmp(line, "oneof ", 6) != 0 && strncmp(line, "reserved", 8) != 0 &&
				   (sscanf(line, "repeated %127s %127[a-z0-9_] = %d", type, name, &value) == 3 ||
				    sscanf(line, "optional %127s %127[a-z0-9_] = %d", type, name, &value) == 3 ||
				    sscanf(line, "%127s %127[a-z0-9_] = %d", type, name, &value) == 3)) {
				/* snake_case to the JSON name */
				char camel[128];
				size_t n = 0;
				for (const char *p = name; *p; p++)
					camel[n++] = *p == '_' && p[1] ? (char)toupper((unsigned char)*++p) : *p;
				camel[n] = '\0';
				fn(camel, 0, g.gl_pathv[f]);
			}
			for (const char *p = line; *p; p++) {
				if (*p == '{')
					depth++;
				else if (*p == '}' && --depth < enum_depth)
					in_enum = 0;
			}
		}
		free(text);
	}
	globfree(&g);
}

static int seen;

static void expect_labelled(const char *name, int is_enum, const char *file)
{
	char key[160];
	snprintf(key, sizeof key, "%s%s", is_enum ? "" : "field.", name);
	const char *vi = fsb_label(FSB_LANG_VI, key), *en = fsb_label(FSB_LANG_EN, key);
	cr_expect(strcmp(vi, key) != 0 && strcmp(en, key) != 0, "%s: %s has no words (%s)",
		  strrchr(file, '/') + 1, name, key);
	seen++;
}

Test(render_web, every_enum_value_and_field_has_words)
{
	seen = 0;
	each_name(expect_labelled);
	/* the schemas hold well over a hundred of each: the reading worked */
	cr_expect_gt(seen, 300, "only %d names read from the schemas", seen);
}

Test(render_web, a_qr_code_is_one_inline_svg_with_its_text_escaped)
{
	struct fsb_out o;
	fsb_out_init(&o);
	cr_assert_eq(fsb_qr_svg(&o, "https://id.gs1.org/01/08936045123454/10/A<B", 4, "a<b\"c"), 0);
	cr_assert_eq(fsb_out_finish(&o), 0);
	cr_expect(strncmp(o.buf, "<svg ", 5) == 0 && strstr(o.buf, "</svg>"), "%s", o.buf);
	cr_expect(strstr(o.buf, "a&lt;b&quot;c") && !strstr(o.buf, "a<b"), "%s", o.buf);
	fsb_out_clear(&o);
	/* too long for a QR code a phone reads: refused, nothing written */
	char big[FSB_QR_TEXT_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	fsb_out_init(&o);
	cr_expect_neq(fsb_qr_svg(&o, big, 4, "x"), 0);
	cr_expect_eq(o.len, 0);
	fsb_out_clear(&o);
}

/* The message page's fields: an enum in words, text as it is even when it
 * reads like a label's key, markup escaped. */
Test(render_web, fields_in_words_text_as_sent)
{
	size_t len;
	char *json = th_read(FSB_TOP_DIR "/schemas/examples/recall-ocop-sausage-class1-longan.json", &len);
	/* a province's free text that happens to spell a label's key, and markup */
	char *at = strstr(json, "\"15/QĐ-CCQLCL\"");
	cr_assert_not_null(at, "the example's reference moved");
	const char *hostile = "\"RECALL_CLASS_III<b>x</b>\"";
	char *edited = malloc(len + strlen(hostile) + 1);
	size_t head = (size_t)(at - json);
	memcpy(edited, json, head);
	strcpy(edited + head, hostile);
	strcat(edited, at + strlen("\"15/QĐ-CCQLCL\""));
	struct fsb_message *m = NULL;
	struct fsb_errlist errs = {0};
	cr_assert_eq(fsb_message_from_json(edited, strlen(edited), FSB_KIND_NONE, &m, &errs), 0);
	struct fsb_message_view v;
	memset(&v, 0, sizeof v);
	v.msg = m;
	v.item.kind = FSB_KIND_RECALL;
	snprintf(v.item.id, sizeof v.item.id, "longan:1");
	v.item.subject = v.item.unit = "";
	struct fsb_page pg = {FSB_LANG_VI, "longan", "", "/message/longan:1", ""};
	struct fsb_out o;
	fsb_out_init(&o);
	fsb_render_message_html(&o, &pg, &v);
	cr_assert_eq(fsb_out_finish(&o), 0);
	/* recallClass is an enum: in words */
	cr_expect(strstr(o.buf, "<dt>Loại thu hồi</dt><dd>Thu hồi loại I</dd>"), "%s", o.buf);
	/* the reference is text: as sent, escaped */
	cr_expect(strstr(o.buf, "<dd>RECALL_CLASS_III&lt;b&gt;x&lt;/b&gt;</dd>"), "%s", o.buf);
	cr_expect_null(strstr(o.buf, "<b>x</b>"));
	fsb_out_clear(&o);
	fsb_message_free(m);
	free(edited);
	free(json);
}
