/* codec_wire.c - reading serialized protobuf in place, field by field, and
 * a scan for bad strings.
 *
 * protobuf-c copies string fields without checking UTF-8, and exposes them as
 * NUL-terminated C strings, so a string with an embedded NUL would reach the
 * rest of the program cut short while the signed bytes say more. This scan
 * reads the wire format alongside the descriptors, finds every string field
 * (in nested messages too) and reports those that are not clean UTF-8, with
 * their field path. It reads only within the buffer and stops quietly at the
 * first framing error: well-formedness is protobuf-c's job, and it runs
 * after this scan. The same field reader serves the codec's quick looks at
 * an envelope and a payload header (codec.c).
 */
#include "codec_wire.h"

#include <stdlib.h>
#include <string.h>

#include "codec_json.h"
#include "format.h"

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

int fsb_pbwire_next(const uint8_t *p, size_t len, size_t *off, struct fsb_pbwire_field *f)
{
	uint64_t tag;
	f->data = NULL;
	f->val = 0;
	/* A tag as protobuf-c reads one: at most 5 bytes, its field number
	 * the low 32 bits after the wire type, refused only when the first
	 * byte's number bits are zero (a longer number is an unknown field). */
	size_t start = *off;
	if (*off >= len || (p[*off] & 0xF8) == 0 || read_varint(p, len, off, &tag) || *off - start > 5)
		return -1;
	f->num = (uint32_t)(tag >> 3);
	f->wt = tag & 7;
	switch (f->wt) {
	case 0:
		return read_varint(p, len, off, &f->val);
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
		if (read_varint(p, len, off, &f->val) || f->val > len - *off)
			return -1;
		f->data = p + *off;
		*off += f->val;
		return 0;
	}
	return -1;
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
	struct fsb_pbwire_field fld;
	for (size_t off = 0; off < len;) {
		if (fsb_pbwire_next(p, len, &off, &fld))
			break;
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(d, (int)fld.num);
		if (fld.wt != 2 || !f ||
		    (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE))
			continue;
		char name[FSB_JSON_NAME_MAX];
		fsb_pb_json_name(f, name);
		size_t mark = fsb_path_push(path, name);
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			fsb_path_push_index(path, seen[f - d->fields]++);
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			scan(f->descriptor, fld.data, fld.val, path, errs, depth + 1);
		} else {
			size_t at;
			const char *why = fsb_fmt_utf8(fld.data, fld.val, &at);
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
