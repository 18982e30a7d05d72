/* codec_internal.h - what the files above the codec's lowest layer share;
 * no other module includes it. It is where the generated code comes in.
 *
 * The codec is layered. Beneath, working on descriptors and bytes alone and
 * knowing nothing of codec.h: codec_json.c (the proto3 JSON mapping) and
 * codec_wire.c (reading serialized fields in place). Above them the facade,
 * codec.c (messages and envelopes to and from bytes and JSON), with
 * codec_control.c (checkpoints and sync requests), codec_text.c (the
 * human-readable text) and codec_validate.c (the content rules) beside it.
 * Only the files above include codec.h and this header. */
#ifndef FSB_CODEC_INTERNAL_H
#define FSB_CODEC_INTERNAL_H

#include "codec.h"
#include "codec_json.h"
#include "codec_wire.h"
#include "foodsafety/v1/control.pb-c.h"
#include "foodsafety/v1/envelope.pb-c.h"
#include "foodsafety/v1/message.pb-c.h"

/* The schema name of value v of enum d; NULL for 0 (unset) or a value
 * this schema does not know (codec.c). */
const char *fsb_pb_enum_name(const ProtobufCEnumDescriptor *d, int v);

/* s, or "" for NULL: a decoded message's absent string. */
static inline const char *fsb_pb_str(const char *s)
{
	return s ? s : "";
}

/* An RFC 3339 time field in ms; INT64_MIN when absent or malformed. */
static inline int64_t fsb_pb_time_ms(const char *s)
{
	int64_t ms;
	return s && s[0] && !fsb_fmt_timestamp(s, &ms) ? ms : INT64_MIN;
}

struct fsb_message {
	Foodsafety__V1__Message *pb;
	/* Problems found in the raw bytes while decoding (strings that are not
	 * UTF-8), reported by validation; NULL when there were none. */
	struct fsb_errlist *wire_errs;
};

#endif
