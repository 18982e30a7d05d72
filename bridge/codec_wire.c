/* codec_wire.c - reading serialized protobuf in place: a scan for bad
 * strings, and quick looks at an envelope and a payload header.
 *
 * protobuf-c copies string fields without checking UTF-8, and exposes them as
 * NUL-terminated C strings, so a string with an embedded NUL would reach the
 * rest of the program cut short while the signed bytes say more. This scan
 * reads the wire format alongside the descriptors, finds every string field
 * (in nested messages too) and reports those that are not clean UTF-8, with
 * their field path. It reads only within the buffer and stops quietly at the
 * first framing error: well-formedness is protobuf-c's job, and it runs
 * after this scan.
 */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

/* Deeper than any schema nests; guards against descriptors changing. */
#define MAX_DEPTH 32

static int read_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64 && *off < len; shift += 7) {
		uint8_t b = p[(*off)++];
		v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* Next field of a message: its number, wire type and, for length-delimited
 * fields, its bytes; varint values come back in *val. -1 on bad framing. */
static int next_field(const uint8_t *p, size_t len, size_t *off, uint32_t *num, unsigned *wt,
		      const uint8_t **data, uint64_t *val)
{
	uint64_t tag;
	if (read_varint(p, len, off, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF)
		return -1;
	*num = (uint32_t)(tag >> 3);
	*wt = tag & 7;
	switch (*wt) {
	case 0:
		return read_varint(p, len, off, val);
	case 1:
		if (len - *off < 8)
			return -1;
		*off += 8;
		return 0;
	case 5:
		if (len - *off < 4)
			return -1;
		*off += 4;
		return 0;
	case 2:
		if (read_varint(p, len, off, val) || *val > len - *off)
			return -1;
		*data = p + *off;
		*off += *val;
		return 0;
	}
	return -1;
}

int fsb_envelope_view(const uint8_t *buf, size_t len, struct fsb_envelope_view *v)
{
	memset(v, 0, sizeof *v);
	size_t off = 0;
	while (off < len) {
		uint32_t num;
		unsigned wt;
		const uint8_t *data = NULL;
		uint64_t val = 0;
		if (next_field(buf, len, &off, &num, &wt, &data, &val))
			return FSB_EDECODE;
		if (num >= 1 && num <= 3 && wt != 2)
			return FSB_EDECODE;
		/* Last occurrence wins, as in protobuf-c. */
		if (num == 1)
			v->payload = data, v->payload_len = val;
		else if (num == 2)
			v->signature = data, v->signature_len = val;
		else if (num == 3)
			v->signer_cert = data, v->signer_cert_len = val;
	}
	if (!v->payload_len || !v->signature_len || !v->signer_cert_len)
		return FSB_EDECODE;
	return 0;
}

/* Reads the Header fields of interest; called for every occurrence of the
 * header, since protobuf merges repeated occurrences of a message field. */
static int peek_header(const uint8_t *p, size_t len, struct fsb_payload_peek *out)
{
	size_t off = 0;
	while (off < len) {
		uint32_t num;
		unsigned wt;
		const uint8_t *data = NULL;
		uint64_t val = 0;
		if (next_field(p, len, &off, &num, &wt, &data, &val))
			return FSB_EDECODE;
		if (num == 1 && wt == 2) {
			if (val > FSB_ORIGIN_MAX)
				return FSB_EDECODE;
			memcpy(out->origin, data, val);
			out->origin[val] = '\0';
		} else if (num == 2 && wt == 0) {
			out->seq = val;
		} else if (num == 3 && wt == 2) {
			out->prev_hash = val == FSB_HASH_LEN ? data : NULL;
		}
	}
	return 0;
}

int fsb_payload_peek(const uint8_t *payload, size_t len, struct fsb_payload_peek *out)
{
	memset(out, 0, sizeof *out);
	size_t off = 0;
	while (off < len) {
		uint32_t num;
		unsigned wt;
		const uint8_t *data = NULL;
		uint64_t val = 0;
		if (next_field(payload, len, &off, &num, &wt, &data, &val))
			return FSB_EDECODE;
		if (num == 1 && wt == 2 && peek_header(data, val, out))
			return FSB_EDECODE;
	}
	return 0;
}

static void scan(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
		 struct fsb_path *path, struct fsb_errlist *errs, unsigned depth)
{
	if (depth > MAX_DEPTH)
		return;
	/* Occurrences seen so far per field, to name repeated elements. */
	size_t *seen = calloc(d->n_fields ? d->n_fields : 1, sizeof *seen);
	if (!seen)
		return;
	size_t off = 0;
	while (off < len) {
		uint32_t num;
		unsigned wt;
		const uint8_t *val = NULL;
		uint64_t n = 0;
		if (next_field(p, len, &off, &num, &wt, &val, &n))
			break;
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(d, (int)num);
		if (wt != 2 || !f ||
		    (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE))
			continue;
		char name[FSB_JSON_NAME_MAX];
		fsb_pb_json_name(f, name);
		size_t mark = fsb_path_push(path, name);
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			fsb_path_push_index(path, seen[f - d->fields]++);
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			scan(f->descriptor, val, n, path, errs, depth + 1);
		} else {
			size_t at;
			const char *why = fsb_fmt_utf8(val, n, &at);
			if (why)
				fsb_errlist_add(errs, path->s, "%s (byte %zu)", why, at);
		}
		fsb_path_pop(path, mark);
	}
	free(seen);
}

void fsb_pbwire_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
			      size_t len, struct fsb_path *path, struct fsb_errlist *errs)
{
	scan(d, buf, len, path, errs, 0);
}
