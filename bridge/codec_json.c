/* codec_json.c - the proto3 JSON mapping, driven by protobuf-c descriptors.
 *
 * Nothing here knows a field of ours by name: a field added to a .proto is
 * read and written as soon as the generated code is rebuilt. The mapping
 * follows the proto3 JSON specification: lowerCamelCase names (the original
 * snake_case names are accepted too), enums by name (known numbers are
 * accepted too), 64-bit integers as strings (numbers accepted), bytes as
 * base64 (standard or URL-safe, padding optional), null as "not set",
 * default values omitted on output. Maps and well-known types are not used
 * by the schemas and not supported.
 *
 * Decoding is strict and thorough: it reports every problem with its path and
 * keeps going, so a submitter fixes a document in one round. Every buffer it
 * allocates hangs off the message being built as soon as it exists, so one
 * protobuf_c_message_free_unpacked() releases a half-built message.
 */
#include "codec_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

void fsb_pb_json_name(const ProtobufCFieldDescriptor *f, char out[FSB_JSON_NAME_MAX])
{
	size_t n = 0;
	int upper = 0;
	for (const char *p = f->name; *p && n + 1 < FSB_JSON_NAME_MAX; p++) {
		if (*p == '_') {
			upper = 1;
			continue;
		}
		out[n++] = (upper && *p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
		upper = 0;
	}
	out[n] = '\0';
}

/* ---- base64 ---------------------------------------------------------- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *in, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes standard or URL-safe base64, padded or not. */
static int base64_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return FSB_EDECODE;
	uint8_t *buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return FSB_ENOMEM;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(in[i]);
		if (v < 0) {
			free(buf);
			return FSB_EDECODE;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, or two encodings would decode alike. */
	if (acc & ((1u << bits) - 1)) {
		free(buf);
		return FSB_EDECODE;
	}
	*out = buf;
	*out_len = o;
	return 0;
}

/* ---- JSON to protobuf -------------------------------------------------- */

struct decoder {
	struct fsb_path *path;
	struct fsb_errlist *errs;
};

static void derr(struct decoder *dc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void derr(struct decoder *dc, const char *fmt, ...)
{
	char msg[FSB_ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fsb_errlist_add(dc->errs, dc->path->s, "%s", msg);
}

static const char *json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* Reads an integer given as a JSON integer or a decimal string. */
static int get_integer(struct decoder *dc, const json_t *j, int is_signed, int64_t *sv,
		       uint64_t *uv)
{
	if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);
		if (!is_signed && v < 0)
			goto range;
		*sv = v;
		*uv = (uint64_t)v;
		return 0;
	}
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		char *end;
		if (!((*s >= '0' && *s <= '9') || (is_signed && *s == '-')))
			goto bad;
		errno = 0;
		if (is_signed) {
			long long v = strtoll(s, &end, 10);
			*sv = v;
			*uv = (uint64_t)v;
		} else {
			unsigned long long v = strtoull(s, &end, 10);
			*uv = v;
			*sv = (int64_t)v;
		}
		if (*end != '\0')
			goto bad;
		if (errno == ERANGE)
			goto range;
		return 0;
	}
bad:
	derr(dc, "expected an integer, got %s", json_type_name(j));
	return -1;
range:
	derr(dc, "integer out of range");
	return -1;
}

static void decode_enum(struct decoder *dc, const ProtobufCFieldDescriptor *f, const json_t *j,
			int *slot)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;
	const ProtobufCEnumValue *ev = NULL;
	if (json_is_string(j)) {
		ev = protobuf_c_enum_descriptor_get_value_by_name(ed, json_string_value(j));
		if (!ev) {
			derr(dc, "unknown value \"%s\" for %s (e.g. \"%s\")", json_string_value(j),
			     ed->short_name, ed->n_values > 1 ? ed->values[1].name : ed->values[0].name);
			return;
		}
	} else if (json_is_integer(j)) {
		json_int_t v = json_integer_value(j);
		if (v >= INT32_MIN && v <= INT32_MAX)
			ev = protobuf_c_enum_descriptor_get_value(ed, (int)v);
		if (!ev) {
			derr(dc, "unknown value %" JSON_INTEGER_FORMAT " for %s", v, ed->short_name);
			return;
		}
	} else {
		derr(dc, "expected an enum name (a string), got %s", json_type_name(j));
		return;
	}
	*slot = ev->value;
}

static void decode_double(struct decoder *dc, const json_t *j, double *out)
{
	if (json_is_number(j)) {
		*out = json_number_value(j);
	} else if (json_is_string(j) && strcmp(json_string_value(j), "NaN") == 0) {
		*out = NAN;
	} else if (json_is_string(j) && strcmp(json_string_value(j), "Infinity") == 0) {
		*out = INFINITY;
	} else if (json_is_string(j) && strcmp(json_string_value(j), "-Infinity") == 0) {
		*out = -INFINITY;
	} else {
		derr(dc, "expected a number, got %s", json_type_name(j));
	}
}

static void decode_fields(struct decoder *dc, const ProtobufCMessageDescriptor *d,
			  const json_t *j, ProtobufCMessage *m);

/* Decodes one value of field f into slot (the field itself, or one element
 * of its array). */
/* An integer field of any width and signedness, from a JSON number or a
 * decimal string. */
static void decode_integer(struct decoder *dc, const ProtobufCFieldDescriptor *f, const json_t *j,
			   void *slot)
{
	int64_t sv;
	uint64_t uv;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (get_integer(dc, j, 1, &sv, &uv) == 0) {
			if (sv < INT32_MIN || sv > INT32_MAX)
				derr(dc, "integer out of range");
			else
				*(int32_t *)slot = (int32_t)sv;
		}
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (get_integer(dc, j, 0, &sv, &uv) == 0) {
			if (uv > UINT32_MAX)
				derr(dc, "integer out of range");
			else
				*(uint32_t *)slot = (uint32_t)uv;
		}
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (get_integer(dc, j, 1, &sv, &uv) == 0)
			*(int64_t *)slot = sv;
		break;
	default: /* UINT64, FIXED64 */
		if (get_integer(dc, j, 0, &sv, &uv) == 0)
			*(uint64_t *)slot = uv;
		break;
	}
}

/* A nested message: allocated, initialised, and its fields decoded. */
static void decode_message(struct decoder *dc, const ProtobufCFieldDescriptor *f, const json_t *j,
			   void *slot)
{
	const ProtobufCMessageDescriptor *md = f->descriptor;
	if (!json_is_object(j)) {
		derr(dc, "expected an object, got %s", json_type_name(j));
		return;
	}
	ProtobufCMessage *sub = calloc(1, md->sizeof_message);
	if (!sub) {
		derr(dc, "out of memory");
		return;
	}
	md->message_init(sub);
	*(ProtobufCMessage **)slot = sub;
	decode_fields(dc, md, j, sub);
}

static void decode_value(struct decoder *dc, const ProtobufCFieldDescriptor *f, const json_t *j,
			 void *slot)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_FLOAT: {
		double v = 0;
		decode_double(dc, j, &v);
		if (isfinite(v) && fabs(v) > 3.402823466e38)
			derr(dc, "number out of range for a float");
		else
			*(float *)slot = (float)v;
		break;
	}
	case PROTOBUF_C_TYPE_DOUBLE:
		decode_double(dc, j, (double *)slot);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		if (json_is_boolean(j))
			*(protobuf_c_boolean *)slot = json_is_true(j);
		else
			derr(dc, "expected true or false, got %s", json_type_name(j));
		break;
	case PROTOBUF_C_TYPE_ENUM:
		decode_enum(dc, f, j, (int *)slot);
		break;
	case PROTOBUF_C_TYPE_STRING:
		if (!json_is_string(j)) {
			derr(dc, "expected a string, got %s", json_type_name(j));
		} else {
			/* jansson has checked UTF-8 and refused NUL (\u0000). */
			char *s = strdup(json_string_value(j));
			if (!s)
				derr(dc, "out of memory");
			else
				*(char **)slot = s;
		}
		break;
	case PROTOBUF_C_TYPE_BYTES:
		if (!json_is_string(j)) {
			derr(dc, "expected base64 (a string), got %s", json_type_name(j));
		} else {
			ProtobufCBinaryData *b = slot;
			int rc = base64_decode(json_string_value(j), json_string_length(j), &b->data,
					       &b->len);
			if (rc == FSB_ENOMEM)
				derr(dc, "out of memory");
			else if (rc)
				derr(dc, "not valid base64");
		}
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		decode_message(dc, f, j, slot);
		break;
	default: /* the integers, of every width and signedness */
		decode_integer(dc, f, j, slot);
		break;
	}
}

size_t fsb_pb_element_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

const ProtobufCFieldDescriptor *fsb_pb_find_field(const ProtobufCMessageDescriptor *d,
						  const char *key)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
	if (f)
		return f;
	char name[FSB_JSON_NAME_MAX];
	for (unsigned i = 0; i < d->n_fields; i++) {
		fsb_pb_json_name(&d->fields[i], name);
		if (strcmp(name, key) == 0)
			return &d->fields[i];
	}
	return NULL;
}

static void decode_field(struct decoder *dc, const ProtobufCMessageDescriptor *d,
			 const ProtobufCFieldDescriptor *f, const json_t *v, ProtobufCMessage *m)
{
	char *base = (char *)m;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (!json_is_array(v)) {
			derr(dc, "expected an array, got %s", json_type_name(v));
			return;
		}
		size_t n = json_array_size(v);
		if (n == 0)
			return;
		size_t es = fsb_pb_element_size(f);
		char *arr = calloc(n, es);
		if (!arr) {
			derr(dc, "out of memory");
			return;
		}
		*(void **)(base + f->offset) = arr;
		*(size_t *)(base + f->quantifier_offset) = n;
		for (size_t i = 0; i < n; i++) {
			size_t mark = fsb_path_push_index(dc->path, i);
			const json_t *e = json_array_get(v, i);
			if (json_is_null(e))
				derr(dc, "null is not allowed in a list");
			else
				decode_value(dc, f, e, arr + i * es);
			fsb_path_pop(dc->path, mark);
		}
		return;
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
		if (*which != 0 && *which != f->id) {
			const ProtobufCFieldDescriptor *other =
				protobuf_c_message_descriptor_get_field(d, (int)*which);
			char oname[FSB_JSON_NAME_MAX];
			fsb_pb_json_name(other, oname);
			derr(dc, "only one of \"%s\" and this field may be set", oname);
			return;
		}
		*which = f->id;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset) {
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	}
	decode_value(dc, f, v, base + f->offset);
}

static void decode_fields(struct decoder *dc, const ProtobufCMessageDescriptor *d,
			  const json_t *j, ProtobufCMessage *m)
{
	/* The key each field was given under: a field may be named by its JSON
	 * name or its proto name, but only once. */
	const char **given = calloc(d->n_fields ? d->n_fields : 1, sizeof *given);
	if (!given) {
		derr(dc, "out of memory");
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)j, key, v) {
		size_t mark = fsb_path_push(dc->path, key);
		const ProtobufCFieldDescriptor *f = fsb_pb_find_field(d, key);
		size_t i = f ? (size_t)(f - d->fields) : 0;
		if (!f) {
			derr(dc, "unknown field");
		} else if (given[i]) {
			derr(dc, "the same field as \"%s\": give it once", given[i]);
		} else {
			given[i] = key;
			if (!json_is_null(v))
				decode_field(dc, d, f, v, m);
		}
		fsb_path_pop(dc->path, mark);
	}
	free(given);
}

ProtobufCMessage *fsb_pbjson_decode(const ProtobufCMessageDescriptor *d, const json_t *j,
				    struct fsb_path *path, struct fsb_errlist *errs)
{
	struct decoder dc = {path, errs};
	size_t before = fsb_errlist_count(errs);
	if (!json_is_object(j)) {
		derr(&dc, "expected an object, got %s", json_type_name(j));
		return NULL;
	}
	ProtobufCMessage *m = calloc(1, d->sizeof_message);
	if (!m) {
		derr(&dc, "out of memory");
		return NULL;
	}
	d->message_init(m);
	decode_fields(&dc, d, j, m);
	if (fsb_errlist_count(errs) != before) {
		protobuf_c_message_free_unpacked(m, NULL);
		return NULL;
	}
	return m;
}

/* ---- protobuf to JSON -------------------------------------------------- */

/* A JSON string from bytes that should be UTF-8 but, coming off the wire,
 * may not be: invalid sequences become U+FFFD so the output stays JSON. */
static json_t *string_value(const char *s)
{
	size_t len = strlen(s);
	if (!fsb_fmt_utf8((const uint8_t *)s, len, NULL))
		return json_stringn(s, len);
	char *clean = malloc(len * 3 + 1);
	if (!clean)
		return NULL;
	size_t o = 0, i = 0;
	while (i < len) {
		size_t bad;
		const char *why = fsb_fmt_utf8((const uint8_t *)s + i, len - i, &bad);
		size_t good = why ? bad : len - i;
		memcpy(clean + o, s + i, good);
		o += good;
		i += good;
		if (why) {
			memcpy(clean + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	json_t *r = json_stringn(clean, o);
	free(clean);
	return r;
}

static json_t *encode_double(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	return json_real(v);
}

static json_t *encode_value(const ProtobufCFieldDescriptor *f, const void *slot)
{
	char buf[32];
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)slot);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)slot);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, sizeof buf, "%" PRId64, *(const int64_t *)slot);
		return json_string(buf);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, sizeof buf, "%" PRIu64, *(const uint64_t *)slot);
		return json_string(buf);
	case PROTOBUF_C_TYPE_FLOAT:
		return encode_double(*(const float *)slot);
	case PROTOBUF_C_TYPE_DOUBLE:
		return encode_double(*(const double *)slot);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)slot);
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)slot;
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
		return ev ? json_string(ev->name) : json_integer(v);
	}
	case PROTOBUF_C_TYPE_STRING:
		return string_value(*(char *const *)slot ? *(char *const *)slot : "");
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = slot;
		char *s = base64_encode(b->data, b->len);
		json_t *r = s ? json_string(s) : NULL;
		free(s);
		return r;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
		return sub ? fsb_pbjson_encode(sub) : json_object();
	}
	}
	return NULL;
}

/* Whether a singular field holds its type's default (and is so omitted). */
static int is_default(const ProtobufCFieldDescriptor *f, const void *slot)
{
	if (f->type == PROTOBUF_C_TYPE_STRING)
		return !*(char *const *)slot || !**(char *const *)slot;
	if (f->type == PROTOBUF_C_TYPE_BYTES)
		return ((const ProtobufCBinaryData *)slot)->len == 0;
	/* A number, enum, bool or message pointer is its default when every
	 * byte of it is zero: so +0.0 is and -0.0 (its sign bit set) is not,
	 * and a null pointer is all zero bits on every platform this runs on. */
	const unsigned char *p = slot;
	for (size_t i = 0, n = fsb_pb_element_size(f); i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

json_t *fsb_pbjson_encode(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	json_t *obj = json_object();
	if (!obj)
		return NULL;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *slot = base + f->offset;
		json_t *v;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			if (n == 0)
				continue;
			const char *arr = *(char *const *)slot;
			size_t es = fsb_pb_element_size(f);
			v = json_array();
			for (size_t k = 0; v && k < n; k++)
				if (json_array_append_new(v, encode_value(f, arr + k * es))) {
					json_decref(v);
					v = NULL;
				}
		} else {
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
				if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
					continue;
			} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
				   f->type != PROTOBUF_C_TYPE_MESSAGE &&
				   f->type != PROTOBUF_C_TYPE_STRING) {
				if (!*(const protobuf_c_boolean *)(base + f->quantifier_offset))
					continue;
			} else if (is_default(f, slot)) {
				continue;
			}
			v = encode_value(f, slot);
		}
		char name[FSB_JSON_NAME_MAX];
		fsb_pb_json_name(f, name);
		if (!v || json_object_set_new(obj, name, v)) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}
