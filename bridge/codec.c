/* codec.c - the codec's facade: messages and envelopes to and from bytes
 * and JSON, headers read and stamped, quick looks at serialized bytes.
 *
 * The size cap is checked before protobuf-c sees a byte, and protobuf-c's
 * own unpacker does the framing checks; since no message type contains
 * itself, nesting depth is bounded by the schema. JSON goes through jansson
 * with duplicate keys refused, then through the descriptor-driven mapping in
 * codec_json.c.
 */
#include "codec_internal.h"

#include <stdarg.h>
#include <stdio.h>
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
	{FSB_KIND_CERTIFICATION, "certification", FOODSAFETY__V1__MESSAGE__BODY_CERTIFICATION},
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

const char *fsb_pb_enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	if (v == 0)
		return NULL;
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	return ev ? ev->name : NULL;
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

/* Returns rc, having said why in errs (when given) at the top level. */
static int refuse(struct fsb_errlist *errs, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct fsb_errlist *errs, int rc, const char *fmt, ...)
{
	if (errs) {
		char msg[FSB_ERRMSG_MAX];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		fsb_errlist_add(errs, "", "%s", msg);
	}
	return rc;
}

int fsb_message_unpack(const uint8_t *buf, size_t len, size_t max_bytes,
		       struct fsb_message **out, struct fsb_errlist *errs)
{
	*out = NULL;
	if (len > max_bytes)
		return refuse(errs, FSB_ETOOBIG, "payload of %zu bytes exceeds the cap of %zu bytes",
			      len, max_bytes);
	Foodsafety__V1__Message *pb = foodsafety__v1__message__unpack(NULL, len, buf);
	if (!pb)
		return refuse(errs, FSB_EDECODE,
			      "payload is not a well-formed Message (truncated or corrupt protobuf)");
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
	if (len > max_bytes)
		return refuse(errs, FSB_ETOOBIG, "envelope of %zu bytes exceeds the cap of %zu bytes",
			      len, max_bytes);
	Foodsafety__V1__SignedEnvelope *pe = foodsafety__v1__signed_envelope__unpack(NULL, len, buf);
	if (!pe)
		return refuse(errs, FSB_EDECODE,
			      "not a well-formed SignedEnvelope (truncated or corrupt protobuf)");
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

/* ---- quick looks at serialized bytes ------------------------------------------- */

int fsb_envelope_view(const uint8_t *buf, size_t len, struct fsb_envelope_view *v)
{
	memset(v, 0, sizeof *v);
	struct fsb_pbwire_field f;
	for (size_t off = 0; off < len;) {
		if (fsb_pbwire_next(buf, len, &off, &f))
			return FSB_EDECODE;
		if (f.num >= 1 && f.num <= 3 && f.wt != 2)
			return FSB_EDECODE;
		/* Last occurrence wins, as in protobuf-c. */
		if (f.num == 1)
			v->payload = f.data, v->payload_len = f.val;
		else if (f.num == 2)
			v->signature = f.data, v->signature_len = f.val;
		else if (f.num == 3)
			v->signer_cert = f.data, v->signer_cert_len = f.val;
	}
	if (!v->payload_len || !v->signature_len || !v->signer_cert_len)
		return FSB_EDECODE;
	return 0;
}

/* Reads the Header fields of interest; called for every occurrence of the
 * header, since protobuf merges repeated occurrences of a message field. */
static int peek_header(const uint8_t *p, size_t len, struct fsb_payload_peek *out)
{
	struct fsb_pbwire_field f;
	for (size_t off = 0; off < len;) {
		if (fsb_pbwire_next(p, len, &off, &f))
			return FSB_EDECODE;
		if (f.num == 1 && f.wt == 2) {
			if (f.val > FSB_ORIGIN_MAX)
				return FSB_EDECODE;
			memcpy(out->origin, f.data, f.val);
			out->origin[f.val] = '\0';
		} else if (f.num == 2 && f.wt == 0) {
			out->seq = f.val;
		} else if (f.num == 3 && f.wt == 2) {
			out->prev_hash = f.val == FSB_HASH_LEN ? f.data : NULL;
		}
	}
	return 0;
}

int fsb_payload_peek(const uint8_t *payload, size_t len, struct fsb_payload_peek *out)
{
	memset(out, 0, sizeof *out);
	struct fsb_pbwire_field f;
	for (size_t off = 0; off < len;) {
		if (fsb_pbwire_next(payload, len, &off, &f))
			return FSB_EDECODE;
		if (f.num == 1 && f.wt == 2 && peek_header(f.data, f.val, out))
			return FSB_EDECODE;
	}
	return 0;
}
