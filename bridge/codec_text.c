/* codec_text.c - a message as text for people: every field, indented, and
 * the short summary the feed and the replay show.
 *
 * Both start from the message's proto3 JSON, so a field added to the schema
 * shows up in the full text without a change here; the summary picks the
 * fields an inspector reads first, by kind.
 */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

struct text {
	char *buf;
	size_t len, cap;
	int failed;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->cap ? t->cap * 2 : 1024) + n;
		char *b = realloc(t->buf, cap);
		if (!b) {
			t->failed = 1;
			return;
		}
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

static void text_value(struct text *t, const json_t *v, const char *indent, int depth, int after_key);

/* The line prefix for a nesting depth. */
static void text_indent(struct text *t, const char *indent, int depth)
{
	text_str(t, indent);
	for (int i = 0; i < depth; i++)
		text_str(t, "  ");
}

static void text_object(struct text *t, const json_t *o, const char *indent, int depth,
			int first_inline)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v) {
		if (!first_inline)
			text_indent(t, indent, depth);
		first_inline = 0;
		text_str(t, key);
		text_str(t, ":");
		text_value(t, v, indent, depth + 1, 1);
	}
}

/* A value after "key:" (scalars get a space first) or after "- ". */
static void text_value(struct text *t, const json_t *v, const char *indent, int depth, int after_key)
{
	char num[64];
	if (after_key && !json_is_object(v) && !json_is_array(v))
		text_str(t, " ");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		text_str(t, "\n");
		text_object(t, v, indent, depth, 0);
		return;
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		text_str(t, "\n");
		json_array_foreach(v, i, e) {
			text_indent(t, indent, depth);
			text_str(t, "- ");
			if (json_is_object(e))
				text_object(t, e, indent, depth + 1, 1);
			else
				text_value(t, e, indent, depth + 1, 0);
		}
		return;
	}
	case JSON_STRING:
		text_add(t, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		text_str(t, num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		text_str(t, num);
		break;
	case JSON_TRUE:
		text_str(t, "true");
		break;
	case JSON_FALSE:
		text_str(t, "false");
		break;
	case JSON_NULL:
		text_str(t, "null");
		break;
	}
	text_str(t, "\n");
}

/* Hands the text out: a buffer even when nothing was written, or
 * FSB_ENOMEM (the text freed) when any append failed. */
static int text_done(struct text *t, char **out)
{
	if (!t->failed && !t->buf)
		t->buf = strdup("");
	if (t->failed || !t->buf) {
		free(t->buf);
		return FSB_ENOMEM;
	}
	*out = t->buf;
	return 0;
}

int fsb_message_to_text(const struct fsb_message *m, const char *indent, char **out)
{
	json_t *j = fsb_pbjson_encode(&m->pb->base);
	if (!j)
		return FSB_ENOMEM;
	struct text t = {0};
	text_object(&t, j, indent, 0, 0);
	json_decref(j);
	return text_done(&t, out);
}

/* One value of the JSON, with fd the field it is a value of (NULL when
 * unknown): its descriptor says which strings are enum names. */
static int fields_of(const json_t *v, const char *key, unsigned depth,
		     const ProtobufCFieldDescriptor *fd, fsb_field_fn fn, void *ctx)
{
	struct fsb_field f = {FSB_FIELD_VALUE, depth, key, NULL, 0, 0};
	char num[64];
	int rc;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY: {
		f.event = FSB_FIELD_OPEN;
		f.list = json_is_array(v);
		if ((rc = fn(ctx, &f)))
			return rc;
		const char *k;
		json_t *e;
		size_t i;
		if (f.list) {
			json_array_foreach((json_t *)v, i, e)
				if ((rc = fields_of(e, NULL, depth + 1, fd, fn, ctx)))
					return rc;
		} else {
			const ProtobufCMessageDescriptor *sub =
				fd && fd->type == PROTOBUF_C_TYPE_MESSAGE ? fd->descriptor : NULL;
			json_object_foreach((json_t *)v, k, e) {
				const ProtobufCFieldDescriptor *kf = sub ? fsb_pb_find_field(sub, k) : NULL;
				if ((rc = fields_of(e, k, depth + 1, kf, fn, ctx)))
					return rc;
			}
		}
		f.event = FSB_FIELD_CLOSE;
		return fn(ctx, &f);
	}
	case JSON_STRING:
		f.value = json_string_value(v);
		f.is_enum = fd && fd->type == PROTOBUF_C_TYPE_ENUM;
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		f.value = num;
		break;
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		f.value = num;
		break;
	case JSON_TRUE:
		f.value = "true";
		break;
	case JSON_FALSE:
		f.value = "false";
		break;
	case JSON_NULL:
		f.value = "null";
		break;
	}
	return fn(ctx, &f);
}

int fsb_message_fields(const struct fsb_message *m, fsb_field_fn fn, void *ctx)
{
	const ProtobufCMessageDescriptor *d = m->pb->base.descriptor;
	json_t *j = fsb_pbjson_encode(&m->pb->base);
	if (!j)
		return FSB_ENOMEM;
	const char *k;
	json_t *e;
	int rc = 0;
	json_object_foreach(j, k, e)
		if ((rc = fields_of(e, k, 0, fsb_pb_find_field(d, k), fn, ctx)))
			break;
	json_decref(j);
	return rc;
}

/* The string at a dotted JSON path ("header.issuer.name"), or NULL. */
static const char *jstr(const json_t *j, const char *path)
{
	char key[64];
	while (j && *path) {
		size_t n = strcspn(path, ".");
		snprintf(key, sizeof key, "%.*s", (int)n, path);
		j = json_object_get(j, key);
		path += n + (path[n] == '.');
	}
	return json_is_string(j) ? json_string_value(j) : NULL;
}

/* Appends "label: a, b, c" from the strings at `field` of each object in
 * the list at `list` (or of sub-objects, when field has a dot). */
static void text_list(struct text *t, const json_t *list, const char *field, const char *sep)
{
	size_t i;
	json_t *e;
	int first = 1;
	json_array_foreach(list, i, e) {
		const char *v = jstr(e, field);
		if (!v)
			continue;
		if (!first)
			text_str(t, sep);
		text_str(t, v);
		first = 0;
	}
}

/* Drops a prefix such as "RECALL_CLASS_" from an enum name, for reading. */
static const char *short_enum(const char *v, const char *prefix)
{
	size_t n = strlen(prefix);
	return v && strncmp(v, prefix, n) == 0 ? v + n : v;
}

static void text_pair(struct text *t, const char *label, const char *v)
{
	if (!v)
		return;
	if (label) {
		text_str(t, label);
		text_str(t, " ");
	}
	text_str(t, v);
	text_str(t, " · ");
}

/* The first line: what kind of alert this is, in its own words. */
static void summary_headline(struct text *t, enum fsb_kind kind, const json_t *body)
{
	switch (kind) {
	case FSB_KIND_RECALL:
		text_pair(t, NULL, short_enum(jstr(body, "recallClass"), "RECALL_"));
		text_pair(t, "RASFF", short_enum(jstr(body, "classification"), "RASFF_CLASSIFICATION_"));
		text_pair(t, "risk", short_enum(jstr(body, "riskDecision"), "RISK_DECISION_"));
		text_pair(t, NULL, short_enum(jstr(body, "initiation"), "RECALL_INITIATION_"));
		break;
	case FSB_KIND_SURVEILLANCE:
		text_pair(t, NULL, short_enum(jstr(body, "overallVerdict"), "VERDICT_"));
		text_pair(t, "sample", jstr(body, "sample.sampleId"));
		text_pair(t, NULL, short_enum(jstr(body, "samplingPoint.stage"), "SAMPLING_STAGE_"));
		break;
	case FSB_KIND_QUARANTINE:
		text_pair(t, NULL, short_enum(jstr(body, "noticeType"), "NOTICE_TYPE_"));
		text_pair(t, "certificate", jstr(body, "certificate.number"));
		text_pair(t, NULL, jstr(body, "outbreak.disease"));
		break;
	case FSB_KIND_FOLLOWUP:
		text_pair(t, NULL, short_enum(jstr(body, "type"), "FOLLOW_UP_TYPE_"));
		text_pair(t, "on", jstr(body, "refMessageId"));
		break;
	case FSB_KIND_CERTIFICATION:
		text_pair(t, NULL, short_enum(jstr(body, "type"), "CERTIFICATION_NOTICE_TYPE_"));
		text_pair(t, NULL, short_enum(jstr(body, "scheme"), "CERTIFICATION_SCHEME_"));
		text_pair(t, NULL, jstr(body, "certificateNumber"));
		text_pair(t, "holder", jstr(body, "holder.name"));
		text_pair(t, "until", jstr(body, "validUntilDate"));
		text_pair(t, "chain", jstr(body, "chain.chainId"));
		text_pair(t, "changes", jstr(body, "refMessageId"));
		break;
	default:
		break;
	}
	if (t->len >= 3 && strcmp(t->buf + t->len - strlen(" · "), " · ") == 0)
		t->buf[t->len -= strlen(" · ")] = '\0';
	text_str(t, "\n");
}

/* What: one line a product, with its lots. */
static void summary_products(struct text *t, json_t *body, const char *indent)
{
	json_t *list = json_object_get(body, "products"), *e;
	size_t i;
	if (!list)
		list = json_object_get(body, "scope"); /* a certification's products */
	if (!json_is_array(list) && !json_is_object(json_object_get(body, "product")))
		return;
	json_t *one = json_array();
	if (!json_is_array(list)) {
		json_array_append(one, json_object_get(body, "product"));
		list = one;
	}
	json_array_foreach(list, i, e) {
		text_str(t, indent);
		text_str(t, "product ");
		text_str(t, jstr(e, "name") ? jstr(e, "name") : "?");
		if (json_array_size(json_object_get(e, "lots"))) {
			text_str(t, " (lots ");
			text_list(t, json_object_get(e, "lots"), "lotNumber", ", ");
			text_str(t, ")");
		}
		text_str(t, "\n");
	}
	json_decref(one);
}

/* One line a result or hazard: analyte, value, limit, verdict. */
static void summary_results(struct text *t, const json_t *body, const char *indent)
{
	json_t *list, *e;
	size_t i;
	if (!(list = json_object_get(body, "results")) && !(list = json_object_get(body, "hazards")))
		return;
	json_array_foreach(list, i, e) {
		text_str(t, indent);
		text_str(t, jstr(e, "analyte") ? jstr(e, "analyte") : "?");
		if (jstr(e, "value")) {
			const char *unit = short_enum(jstr(e, "unit"), "UNIT_");
			text_str(t, " = ");
			text_str(t, jstr(e, "value"));
			text_str(t, " ");
			text_str(t, unit ? unit : "");
		}
		if (jstr(e, "limit")) {
			text_str(t, " (limit ");
			text_str(t, jstr(e, "limit"));
			text_str(t, ")");
		}
		if (jstr(e, "verdict")) {
			text_str(t, " ");
			text_str(t, short_enum(jstr(e, "verdict"), "VERDICT_"));
		}
		text_str(t, "\n");
	}
}

/* The measures ordered or taken, on one line. */
static void summary_measures(struct text *t, const json_t *body, const char *indent)
{
	json_t *list, *e;
	size_t i;
	if (!(list = json_object_get(body, "measures")) &&
	    !(list = json_object_get(json_object_get(body, "outbreak"), "measures")))
		return;
	text_str(t, indent);
	text_str(t, "measures ");
	json_array_foreach(list, i, e) {
		if (i)
			text_str(t, ", ");
		const char *type = jstr(e, "type"), *bare = type ? strstr(type, "TYPE_") : NULL;
		text_str(t, bare ? bare + 5 : type ? type : "?");
		if (jstr(e, "disposal")) {
			text_str(t, " (");
			text_str(t, short_enum(jstr(e, "disposal"), "DISPOSAL_MEANS_"));
			text_str(t, ")");
		}
	}
	text_str(t, "\n");
}

int fsb_message_summary(const struct fsb_message *m, const char *indent, char **out)
{
	json_t *j = fsb_pbjson_encode(&m->pb->base);
	if (!j)
		return FSB_ENOMEM;
	struct text t = {0};
	enum fsb_kind kind = fsb_message_kind(m);
	json_t *body = kind != FSB_KIND_NONE ? json_object_get(j, fsb_kind_name(kind)) : NULL, *list;
	text_str(&t, indent);
	summary_headline(&t, kind, body);
	summary_products(&t, body, indent);
	summary_results(&t, body, indent);
	if ((list = json_object_get(body, "commodities"))) {
		text_str(&t, indent);
		text_str(&t, "commodities ");
		text_list(&t, list, "name", ", ");
		text_str(&t, "\n");
	}
	summary_measures(&t, body, indent);
	const char *why = jstr(body, "reason") ? jstr(body, "reason")
			  : jstr(body, "text") ? jstr(body, "text") : jstr(body, "conclusion");
	if (why) {
		text_str(&t, indent);
		text_str(&t, why);
		text_str(&t, "\n");
	}
	text_str(&t, indent);
	text_str(&t, "issued by ");
	text_str(&t, jstr(j, "header.issuer.name") ? jstr(j, "header.issuer.name") : "?");
	if (jstr(j, "header.reference")) {
		text_str(&t, " · ref ");
		text_str(&t, jstr(j, "header.reference"));
	}
	text_str(&t, "\n");
	json_decref(j);
	return text_done(&t, out);
}
