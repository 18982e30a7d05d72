/* codec_wire.h - serialized protobuf read in place: one field at a time, and
 * a scan of every string field. Beneath the codec's facade, knowing nothing
 * of codec.h; only the codec's own files include it.
 */
#ifndef FSB_CODEC_WIRE_H
#define FSB_CODEC_WIRE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* One field of serialized protobuf: number, wire type, and for a
 * length-delimited field its bytes (data, val = length), for a varint its
 * value (val). */
struct fsb_pbwire_field {
	uint32_t num;
	unsigned wt;
	const uint8_t *data;
	uint64_t val;
};

/* Reads the field at *off of the len bytes at p into f and moves *off past
 * it; -1 on bad framing (nothing past len is read). */
int fsb_pbwire_next(const uint8_t *p, size_t len, size_t *off, struct fsb_pbwire_field *f);

/* Scans serialized bytes of message type d for string fields that are not
 * valid UTF-8 or contain NUL bytes (protobuf-c checks neither, and its C
 * strings would silently cut at a NUL), adding one error per bad field under
 * `path`. Malformed framing is left to protobuf-c. */
void fsb_pbwire_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
			      size_t len, struct fsb_path *path, struct fsb_errlist *errs);

#endif
