/* codec_internal.h - what the codec's own files share; no other module
 * includes it. It is where protobuf-c and the generated code come in. */
#ifndef FSB_CODEC_INTERNAL_H
#define FSB_CODEC_INTERNAL_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "codec.h"
#include "foodsafety/v1/control.pb-c.h"
#include "foodsafety/v1/envelope.pb-c.h"
#include "foodsafety/v1/message.pb-c.h"

struct fsb_message {
	Foodsafety__V1__Message *pb;
	/* Problems found in the raw bytes while decoding (strings that are not
	 * UTF-8), reported by validation; NULL when there were none. */
	struct fsb_errlist *wire_errs;
};

/* Longest JSON field name the schemas use, plus room to spare. */
#define FSB_JSON_NAME_MAX 64

/* The proto3 JSON name of a field: lowerCamelCase of its proto name. */
void fsb_pb_json_name(const ProtobufCFieldDescriptor *f, char out[FSB_JSON_NAME_MAX]);

/* Size of one element of a repeated field in its C array. */
size_t fsb_pb_element_size(const ProtobufCFieldDescriptor *f);

/* Builds a message of type d from a JSON object, reporting every problem
 * under `path` in errs. Returns the message (caller frees it with
 * protobuf_c_message_free_unpacked(m, NULL)) or NULL when any problem was
 * found. */
ProtobufCMessage *fsb_pbjson_decode(const ProtobufCMessageDescriptor *d, const json_t *j,
				    struct fsb_path *path, struct fsb_errlist *errs);

/* Renders a message as a JSON object; NULL when out of memory. */
json_t *fsb_pbjson_encode(const ProtobufCMessage *m);

/* Scans serialized bytes of message type d for string fields that are not
 * valid UTF-8 or contain NUL bytes (protobuf-c checks neither, and its C
 * strings would silently cut at a NUL), adding one error per bad field under
 * `path`. Malformed framing is left to protobuf-c. */
void fsb_pbwire_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *buf,
			      size_t len, struct fsb_path *path, struct fsb_errlist *errs);

#endif
