/* codec.c - messages and envelopes to and from bytes and JSON.
 *
 * The size cap is checked before protobuf-c sees a byte, and protobuf-c's
 * own unpacker does the framing checks; since no message type contains
 * itself, nesting depth is bounded by the schema. JSON goes through jansson
 * with duplicate keys refused, then through the descriptor-driven mapping in
 * codec_json.c.
 */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	enum fsb_kind kind;
	const char *name;
	Foodsafety__V1__Message__BodyCase body;
} kinds[] = {
	{FSB_KIND_SURVEILLANCE, "surveillance", FOODSAFETY__V1__MESSAGE__BODY_SURVEILLANCE},
	{FSB_KIND_QUARANTINE, "quarantine", FOODSAFETY__V1__MESSAGE__BODY_QUARANTINE},
	{FSB_KIND_RECALL, "recall", FOODSAFETY__V1__MESSAGE__BODY_RECALL},
	{FSB_KIND_FOLLOWUP, "followup", FOODSAFETY__V1__MESSAGE__BODY_FOLLOWUP},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

const char *fsb_kind_name(enum fsb_kind kind)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return NULL;
}

enum fsb_kind fsb_kind_parse(const char *name)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return kinds[i].kind;
	return FSB_KIND_NONE;
}

static struct fsb_message *wrap(Foodsafety__V1__Message *pb)
{
	struct fsb_message *m = calloc(1, sizeof *m);
	if (!m) {
		protobuf_c_message_free_unpacked(&pb->base, NULL);
		return NULL;
	}
	m->pb = pb;
	return m;
}

void fsb_message_free(struct fsb_message *m)
{
	if (!m)
		return;
	if (m->pb)
		protobuf_c_message_free_unpacked(&m->pb->base, NULL);
	free(m->wire_errs);
	free(m);
}

int fsb_message_unpack(const uint8_t *buf, size_t len, size_t max_bytes,
		       struct fsb_message **out, struct fsb_errlist *errs)
{
	*out = NULL;
	if (len > max_bytes) {
		if (errs)
			fsb_errlist_add(errs, "", "payload of %zu bytes exceeds the cap of %zu bytes",
					len, max_bytes);
		return FSB_ETOOBIG;
	}
	Foodsafety__V1__Message *pb = foodsafety__v1__message__unpack(NULL, len, buf);
	if (!pb) {
		if (errs)
			fsb_errlist_add(errs, "", "payload is not a well-formed Message (truncated or corrupt protobuf)");
		return FSB_EDECODE;
	}
	struct fsb_message *m = wrap(pb);
	if (!m)
		return FSB_ENOMEM;
	struct fsb_errlist wire;
	struct fsb_path path;
	fsb_errlist_init(&wire);
	fsb_path_init(&path);
	fsb_pbwire_check_strings(&foodsafety__v1__message__descriptor, buf, len, &path, &wire);
	if (fsb_errlist_count(&wire)) {
		m->wire_errs = malloc(sizeof wire);
		if (!m->wire_errs) {
			fsb_message_free(m);
			return FSB_ENOMEM;
		}
		*m->wire_errs = wire;
	}
	*out = m;
	return 0;
}

int fsb_message_pack(const struct fsb_message *m, uint8_t **buf, size_t *len)
{
	size_t n = foodsafety__v1__message__get_packed_size(m->pb);
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return FSB_ENOMEM;
	*len = foodsafety__v1__message__pack(m->pb, b);
	*buf = b;
	return 0;
}

/* Whether the object's keys name a Message (a header or a body) rather than
 * the fields of a bare body. */
static int looks_like_message(const json_t *j)
{
	if (json_object_get(j, "header"))
		return 1;
	for (size_t i = 0; i < N_KINDS; i++)
		if (json_object_get(j, kinds[i].name))
			return 1;
	return 0;
}

int fsb_message_from_json(const char *text, size_t len, enum fsb_kind kind,
			  struct fsb_message **out, struct fsb_errlist *errs)
{
	*out = NULL;
	if (len > FSB_CODEC_JSON_MAX_BYTES) {
		fsb_errlist_add(errs, "", "JSON document of %zu bytes exceeds the cap of %u bytes", len,
				FSB_CODEC_JSON_MAX_BYTES);
		return FSB_ETOOBIG;
	}
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fsb_errlist_add(errs, "", "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return FSB_EDECODE;
	}
	int rc = FSB_EDECODE;
	json_t *doc = root;
	json_t *wrapper = NULL;
	struct fsb_path path;
	fsb_path_init(&path);
	if (!json_is_object(root)) {
		fsb_errlist_add(errs, "", "expected a JSON object");
		goto out;
	}
	size_t before = fsb_errlist_count(errs);
	if (kind != FSB_KIND_NONE) {
		const char *name = fsb_kind_name(kind);
		if (!looks_like_message(root)) {
			/* A bare body of the kind given on the command line. */
			wrapper = json_pack("{sO}", name, root);
			if (!wrapper) {
				rc = FSB_ENOMEM;
				goto out;
			}
			doc = wrapper;
		} else if (!json_object_get(root, name)) {
			for (size_t i = 0; i < N_KINDS; i++)
				if (json_object_get(root, kinds[i].name))
					fsb_errlist_add(errs, kinds[i].name,
							"document is a %s message, but %s was asked for",
							kinds[i].name, name);
		}
	}
	ProtobufCMessage *pb =
		fsb_pbjson_decode(&foodsafety__v1__message__descriptor, doc, &path, errs);
	if (!pb || fsb_errlist_count(errs) != before) {
		if (pb)
			protobuf_c_message_free_unpacked(pb, NULL);
		goto out;
	}
	*out = wrap((Foodsafety__V1__Message *)pb);
	rc = *out ? 0 : FSB_ENOMEM;
out:
	json_decref(wrapper);
	json_decref(root);
	return rc;
}

int fsb_message_to_json(const struct fsb_message *m, unsigned flags, char **out)
{
	json_t *j = fsb_pbjson_encode(&m->pb->base);
	if (!j)
		return FSB_ENOMEM;
	size_t jflags = (flags & FSB_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT;
	*out = json_dumps(j, jflags);
	json_decref(j);
	return *out ? 0 : FSB_ENOMEM;
}

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

int fsb_message_to_text(const struct fsb_message *m, const char *indent, char **out)
{
	json_t *j = fsb_pbjson_encode(&m->pb->base);
	if (!j)
		return FSB_ENOMEM;
	struct text t = {0};
	text_object(&t, j, indent, 0, 0);
	json_decref(j);
	if (t.failed || !t.buf) {
		free(t.buf);
		if (t.failed)
			return FSB_ENOMEM;
		t.buf = strdup("");
	}
	*out = t.buf;
	return *out ? 0 : FSB_ENOMEM;
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

int fsb_message_summary(const struct fsb_message *m, const char *indent, char **out)
{
	json_t *j = fsb_pbjson_encode(&m->pb->base);
	if (!j)
		return FSB_ENOMEM;
	struct text t = {0};
	json_t *body = NULL;
	const char *kind = fsb_kind_name(fsb_message_kind(m));
	if (kind)
		body = json_object_get(j, kind);
	text_str(&t, indent);
	switch (fsb_message_kind(m)) {
	case FSB_KIND_RECALL:
		text_pair(&t, NULL, short_enum(jstr(body, "recallClass"), "RECALL_"));
		text_pair(&t, "RASFF", short_enum(jstr(body, "classification"), "RASFF_CLASSIFICATION_"));
		text_pair(&t, "risk", short_enum(jstr(body, "riskDecision"), "RISK_DECISION_"));
		text_pair(&t, NULL, short_enum(jstr(body, "initiation"), "RECALL_INITIATION_"));
		break;
	case FSB_KIND_SURVEILLANCE:
		text_pair(&t, NULL, short_enum(jstr(body, "overallVerdict"), "VERDICT_"));
		text_pair(&t, "sample", jstr(body, "sample.sampleId"));
		text_pair(&t, NULL, short_enum(jstr(body, "samplingPoint.stage"), "SAMPLING_STAGE_"));
		break;
	case FSB_KIND_QUARANTINE:
		text_pair(&t, NULL, short_enum(jstr(body, "noticeType"), "NOTICE_TYPE_"));
		text_pair(&t, "certificate", jstr(body, "certificate.number"));
		text_pair(&t, NULL, jstr(body, "outbreak.disease"));
		break;
	case FSB_KIND_FOLLOWUP:
		text_pair(&t, NULL, short_enum(jstr(body, "type"), "FOLLOW_UP_TYPE_"));
		text_pair(&t, "on", jstr(body, "refMessageId"));
		break;
	default:
		break;
	}
	if (t.len >= 3 && strcmp(t.buf + t.len - strlen(" · "), " · ") == 0)
		t.buf[t.len -= strlen(" · ")] = '\0';
	text_str(&t, "\n");
	/* What: products with lots, results, commodities. */
	json_t *list = json_object_get(body, "products");
	size_t i;
	json_t *e;
	if (json_is_array(list) || json_is_object(json_object_get(body, "product"))) {
		json_t *one = json_array();
		if (!json_is_array(list)) {
			json_array_append(one, json_object_get(body, "product"));
			list = one;
		}
		json_array_foreach(list, i, e) {
			text_str(&t, indent);
			text_str(&t, "product ");
			text_str(&t, jstr(e, "name") ? jstr(e, "name") : "?");
			if (json_array_size(json_object_get(e, "lots"))) {
				text_str(&t, " (lots ");
				text_list(&t, json_object_get(e, "lots"), "lotNumber", ", ");
				text_str(&t, ")");
			}
			text_str(&t, "\n");
		}
		json_decref(one);
	}
	if ((list = json_object_get(body, "results")) || (list = json_object_get(body, "hazards"))) {
		json_array_foreach(list, i, e) {
			text_str(&t, indent);
			text_str(&t, jstr(e, "analyte") ? jstr(e, "analyte") : "?");
			if (jstr(e, "value")) {
				text_str(&t, " = ");
				text_str(&t, jstr(e, "value"));
				text_str(&t, " ");
				text_str(&t, short_enum(jstr(e, "unit"), "UNIT_") ? short_enum(jstr(e, "unit"), "UNIT_") : "");
			}
			if (jstr(e, "limit")) {
				text_str(&t, " (limit ");
				text_str(&t, jstr(e, "limit"));
				text_str(&t, ")");
			}
			if (jstr(e, "verdict")) {
				text_str(&t, " ");
				text_str(&t, short_enum(jstr(e, "verdict"), "VERDICT_"));
			}
			text_str(&t, "\n");
		}
	}
	if ((list = json_object_get(body, "commodities"))) {
		text_str(&t, indent);
		text_str(&t, "commodities ");
		text_list(&t, list, "name", ", ");
		text_str(&t, "\n");
	}
	if ((list = json_object_get(body, "measures")) ||
	    (list = json_object_get(json_object_get(body, "outbreak"), "measures"))) {
		text_str(&t, indent);
		text_str(&t, "measures ");
		json_array_foreach(list, i, e) {
			if (i)
				text_str(&t, ", ");
			const char *type = jstr(e, "type"), *bare = type ? strstr(type, "TYPE_") : NULL;
			text_str(&t, bare ? bare + 5 : type ? type : "?");
			if (jstr(e, "disposal")) {
				text_str(&t, " (");
				text_str(&t, short_enum(jstr(e, "disposal"), "DISPOSAL_MEANS_"));
				text_str(&t, ")");
			}
		}
		text_str(&t, "\n");
	}
	if (jstr(body, "reason") || jstr(body, "text") || jstr(body, "conclusion")) {
		text_str(&t, indent);
		text_str(&t, jstr(body, "reason") ? jstr(body, "reason")
			     : jstr(body, "text")  ? jstr(body, "text")
						   : jstr(body, "conclusion"));
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
	if (t.failed) {
		free(t.buf);
		return FSB_ENOMEM;
	}
	*out = t.buf;
	return 0;
}

enum fsb_kind fsb_message_kind(const struct fsb_message *m)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].body == m->pb->body_case)
			return kinds[i].kind;
	return FSB_KIND_NONE;
}

const char *fsb_message_category(const struct fsb_message *m, char buf[FSB_CATEGORY_MAX + 1])
{
	/* Topic slugs are the enum names without their prefix, lower-cased, so
	 * a category added to the schema gets its topic without a C change. */
	static const char prefix[] = "CATEGORY_";
	const Foodsafety__V1__Header *h = m->pb->header;
	if (!h || h->category == 0)
		return NULL;
	const ProtobufCEnumValue *ev =
		protobuf_c_enum_descriptor_get_value(&foodsafety__v1__category__descriptor, h->category);
	if (!ev || strncmp(ev->name, prefix, sizeof prefix - 1) != 0)
		return NULL;
	const char *n = ev->name + sizeof prefix - 1;
	size_t i = 0;
	for (; n[i] && i < FSB_CATEGORY_MAX; i++)
		buf[i] = n[i] == '_' ? '-' : (char)((n[i] >= 'A' && n[i] <= 'Z') ? n[i] - 'A' + 'a' : n[i]);
	buf[i] = '\0';
	return buf;
}

void fsb_message_header(const struct fsb_message *m, struct fsb_header *h)
{
	const Foodsafety__V1__Header *ph = m->pb->header;
	memset(h, 0, sizeof *h);
	h->origin = h->message_id = h->issued_at = h->issuer = h->reference = "";
	if (!ph)
		return;
	h->origin = ph->origin ? ph->origin : "";
	h->seq = ph->seq;
	h->prev_hash = ph->prev_hash.len == FSB_HASH_LEN ? ph->prev_hash.data : NULL;
	h->message_id = ph->message_id ? ph->message_id : "";
	h->issued_at = ph->issued_at ? ph->issued_at : "";
	h->schema_version = ph->schema_version;
	h->issuer = ph->issuer && ph->issuer->name ? ph->issuer->name : "";
	h->reference = ph->reference ? ph->reference : "";
}

/* Replaces a string field of a generated struct with a malloc'd copy. */
static int set_string(char **field, const char *value)
{
	char *s = strdup(value);
	if (!s)
		return FSB_ENOMEM;
	if (*field && *field != protobuf_c_empty_string)
		free(*field);
	*field = s;
	return 0;
}

int fsb_message_stamp(struct fsb_message *m, const struct fsb_stamp *st)
{
	if (st->seq == 0 || fsb_fmt_slug(st->origin))
		return FSB_EINVAL;
	Foodsafety__V1__Header *h = m->pb->header;
	if (!h) {
		h = malloc(sizeof *h);
		if (!h)
			return FSB_ENOMEM;
		foodsafety__v1__header__init(h);
		m->pb->header = h;
	}
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", st->origin, (unsigned long long)st->seq);
	uint8_t *hash = malloc(FSB_HASH_LEN);
	if (!hash)
		return FSB_ENOMEM;
	memcpy(hash, st->prev_hash, FSB_HASH_LEN);
	free(h->prev_hash.data);
	h->prev_hash.data = hash;
	h->prev_hash.len = FSB_HASH_LEN;
	h->seq = st->seq;
	h->schema_version = FSB_SCHEMA_VERSION;
	int rc = set_string(&h->origin, st->origin);
	if (!rc)
		rc = set_string(&h->message_id, id);
	if (!rc)
		rc = set_string(&h->issued_at, st->issued_at);
	return rc;
}

int fsb_envelope_pack(const struct fsb_envelope *e, uint8_t **buf, size_t *len)
{
	Foodsafety__V1__SignedEnvelope pe = FOODSAFETY__V1__SIGNED_ENVELOPE__INIT;
	pe.payload.data = e->payload;
	pe.payload.len = e->payload_len;
	pe.signature.data = e->signature;
	pe.signature.len = e->signature_len;
	pe.signer_cert.data = e->signer_cert;
	pe.signer_cert.len = e->signer_cert_len;
	size_t n = foodsafety__v1__signed_envelope__get_packed_size(&pe);
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return FSB_ENOMEM;
	*len = foodsafety__v1__signed_envelope__pack(&pe, b);
	*buf = b;
	return 0;
}

static uint8_t *copy_bytes(const ProtobufCBinaryData *b)
{
	uint8_t *p = malloc(b->len);
	if (p)
		memcpy(p, b->data, b->len);
	return p;
}

void fsb_envelope_clear(struct fsb_envelope *e)
{
	free(e->payload);
	free(e->signature);
	free(e->signer_cert);
	memset(e, 0, sizeof *e);
}

int fsb_envelope_unpack(const uint8_t *buf, size_t len, size_t max_bytes,
			struct fsb_envelope *out, struct fsb_errlist *errs)
{
	memset(out, 0, sizeof *out);
	if (len > max_bytes) {
		if (errs)
			fsb_errlist_add(errs, "", "envelope of %zu bytes exceeds the cap of %zu bytes",
					len, max_bytes);
		return FSB_ETOOBIG;
	}
	Foodsafety__V1__SignedEnvelope *pe = foodsafety__v1__signed_envelope__unpack(NULL, len, buf);
	if (!pe) {
		if (errs)
			fsb_errlist_add(errs, "", "not a well-formed SignedEnvelope (truncated or corrupt protobuf)");
		return FSB_EDECODE;
	}
	int rc = FSB_EDECODE;
	const char *missing = pe->payload.len == 0 ? "payload"
			      : pe->signature.len == 0 ? "signature"
			      : pe->signer_cert.len == 0 ? "signerCert" : NULL;
	if (missing) {
		if (errs)
			fsb_errlist_add(errs, missing, "required in a SignedEnvelope");
		goto out;
	}
	rc = FSB_ENOMEM;
	out->payload = copy_bytes(&pe->payload);
	out->signature = copy_bytes(&pe->signature);
	out->signer_cert = copy_bytes(&pe->signer_cert);
	if (!out->payload || !out->signature || !out->signer_cert) {
		fsb_envelope_clear(out);
		goto out;
	}
	out->payload_len = pe->payload.len;
	out->signature_len = pe->signature.len;
	out->signer_cert_len = pe->signer_cert.len;
	rc = 0;
out:
	foodsafety__v1__signed_envelope__free_unpacked(pe, NULL);
	return rc;
}

int fsb_reply_json(const char *message_id, const struct fsb_errlist *errs, char **out)
{
	json_t *j = json_object();
	int bad = !j;
	if (!bad && message_id) {
		bad |= json_object_set_new(j, "accepted", json_true());
		bad |= json_object_set_new(j, "messageId", json_string(message_id));
	} else if (!bad) {
		json_t *list = json_array();
		bad |= json_object_set_new(j, "accepted", json_false());
		bad |= json_object_set_new(j, "errors", list);
		for (size_t i = 0; !bad && errs && i < errs->n; i++)
			bad |= json_array_append_new(list, json_pack("{s:s,s:s}", "path", errs->items[i].path,
								     "message", errs->items[i].msg));
	}
	*out = bad ? NULL : json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return *out ? 0 : FSB_ENOMEM;
}

/* ---- control messages ---------------------------------------------------------- */

int fsb_control_pack(const struct fsb_control *c, uint8_t **buf, size_t *len)
{
	Foodsafety__V1__Control pc = FOODSAFETY__V1__CONTROL__INIT;
	Foodsafety__V1__Checkpoint cp = FOODSAFETY__V1__CHECKPOINT__INIT;
	Foodsafety__V1__SyncRequest sr = FOODSAFETY__V1__SYNC_REQUEST__INIT;
	Foodsafety__V1__StreamHead *heads = NULL, **ptrs = NULL;
	pc.origin = (char *)c->origin;
	pc.issued_at = (char *)c->issued_at;
	if (c->type == FSB_CONTROL_CHECKPOINT) {
		heads = calloc(c->n_streams ? c->n_streams : 1, sizeof *heads);
		ptrs = calloc(c->n_streams ? c->n_streams : 1, sizeof *ptrs);
		if (!heads || !ptrs) {
			free(heads);
			free(ptrs);
			return FSB_ENOMEM;
		}
		for (size_t i = 0; i < c->n_streams; i++) {
			foodsafety__v1__stream_head__init(&heads[i]);
			heads[i].origin = (char *)c->streams[i].origin;
			heads[i].seq = c->streams[i].seq;
			heads[i].payload_hash.data = (uint8_t *)c->streams[i].payload_hash;
			heads[i].payload_hash.len = FSB_HASH_LEN;
			ptrs[i] = &heads[i];
		}
		cp.streams = ptrs;
		cp.n_streams = c->n_streams;
		cp.log_index = c->log_index;
		cp.log_head_hash.data = (uint8_t *)c->log_head_hash;
		cp.log_head_hash.len = FSB_HASH_LEN;
		pc.body_case = FOODSAFETY__V1__CONTROL__BODY_CHECKPOINT;
		pc.checkpoint = &cp;
	} else if (c->type == FSB_CONTROL_SYNC) {
		sr.origin = (char *)c->sync_origin;
		sr.from_seq = c->from_seq;
		sr.to_seq = c->to_seq;
		sr.responder = (char *)c->responder;
		pc.body_case = FOODSAFETY__V1__CONTROL__BODY_SYNC_REQUEST;
		pc.sync_request = &sr;
	} else {
		return FSB_EINVAL;
	}
	size_t n = foodsafety__v1__control__get_packed_size(&pc);
	int rc = FSB_ENOMEM;
	if ((*buf = malloc(n ? n : 1))) {
		*len = foodsafety__v1__control__pack(&pc, *buf);
		rc = 0;
	}
	free(heads);
	free(ptrs);
	return rc;
}

void fsb_control_clear(struct fsb_control *c)
{
	free(c->streams);
	memset(c, 0, sizeof *c);
}

/* Copies a slug field, refusing malformed ones. */
static int copy_slug(char *dst, const char *src)
{
	if (!src || fsb_fmt_slug(src))
		return -1;
	strcpy(dst, src);
	return 0;
}

int fsb_control_unpack(const uint8_t *buf, size_t len, size_t max_bytes, struct fsb_control *out,
		       char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (len > max_bytes) {
		snprintf(err, errlen, "control message of %zu bytes exceeds the cap of %zu bytes", len,
			 max_bytes);
		return FSB_ETOOBIG;
	}
	/* Strings must be clean UTF-8 before protobuf-c turns them into C strings. */
	struct fsb_errlist errs;
	struct fsb_path path;
	fsb_errlist_init(&errs);
	fsb_path_init(&path);
	fsb_pbwire_check_strings(&foodsafety__v1__control__descriptor, buf, len, &path, &errs);
	Foodsafety__V1__Control *pc = foodsafety__v1__control__unpack(NULL, len, buf);
	if (!pc || errs.n) {
		snprintf(err, errlen, "not a well-formed Control message%s%s", errs.n ? ": " : "",
			 errs.n ? errs.items[0].path : "");
		if (pc)
			foodsafety__v1__control__free_unpacked(pc, NULL);
		return FSB_EDECODE;
	}
	int rc = FSB_EINVALID;
	const char *why = NULL;
	if (copy_slug(out->origin, pc->origin))
		why = "origin is not a slug";
	else if (!pc->issued_at || fsb_fmt_timestamp(pc->issued_at, NULL) ||
		 strlen(pc->issued_at) >= sizeof out->issued_at)
		why = "issuedAt is not an RFC 3339 time";
	else
		strcpy(out->issued_at, pc->issued_at);
	if (!why && pc->body_case == FOODSAFETY__V1__CONTROL__BODY_CHECKPOINT) {
		const Foodsafety__V1__Checkpoint *cp = pc->checkpoint;
		out->type = FSB_CONTROL_CHECKPOINT;
		out->n_streams = cp->n_streams;
		out->log_index = cp->log_index;
		if (cp->log_head_hash.len == FSB_HASH_LEN)
			memcpy(out->log_head_hash, cp->log_head_hash.data, FSB_HASH_LEN);
		else if (cp->log_head_hash.len)
			why = "checkpoint.logHeadHash is not 32 bytes";
		out->streams = calloc(cp->n_streams ? cp->n_streams : 1, sizeof *out->streams);
		if (!out->streams) {
			rc = FSB_ENOMEM;
			why = "out of memory";
		}
		for (size_t i = 0; !why && i < cp->n_streams; i++) {
			const Foodsafety__V1__StreamHead *h = cp->streams[i];
			if (copy_slug(out->streams[i].origin, h->origin))
				why = "checkpoint.streams: origin is not a slug";
			else if (h->payload_hash.len != FSB_HASH_LEN)
				why = "checkpoint.streams: payloadHash is not 32 bytes";
			else
				memcpy(out->streams[i].payload_hash, h->payload_hash.data, FSB_HASH_LEN);
			out->streams[i].seq = h->seq;
		}
	} else if (!why && pc->body_case == FOODSAFETY__V1__CONTROL__BODY_SYNC_REQUEST) {
		const Foodsafety__V1__SyncRequest *sr = pc->sync_request;
		out->type = FSB_CONTROL_SYNC;
		out->from_seq = sr->from_seq;
		out->to_seq = sr->to_seq;
		if (copy_slug(out->sync_origin, sr->origin) || copy_slug(out->responder, sr->responder))
			why = "syncRequest: origin or responder is not a slug";
		else if (sr->from_seq == 0 || sr->to_seq < sr->from_seq)
			why = "syncRequest: the range is empty or starts at 0";
	} else if (!why) {
		why = "no body: a checkpoint or a sync request is required";
	}
	foodsafety__v1__control__free_unpacked(pc, NULL);
	if (why) {
		snprintf(err, errlen, "%s", why);
		fsb_control_clear(out);
		return rc;
	}
	return 0;
}
