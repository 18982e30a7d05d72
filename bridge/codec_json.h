/* codec_json.h - the proto3 JSON mapping, driven by protobuf-c descriptors:
 * the lowest layer of the codec, which knows nothing of codec.h. Only the
 * codec's own files include it.
 */
#ifndef FSB_CODEC_JSON_H
#define FSB_CODEC_JSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "error.h"

/* Longest JSON field name the schemas use, plus room to spare. */
#define FSB_JSON_NAME_MAX 64

/* The proto3 JSON name of a field: lowerCamelCase of its proto name. */
void fsb_pb_json_name(const ProtobufCFieldDescriptor *f, char out[FSB_JSON_NAME_MAX]);

/* The field of d named key, by its proto name or its JSON name; NULL. */
const ProtobufCFieldDescriptor *fsb_pb_find_field(const ProtobufCMessageDescriptor *d,
						  const char *key);

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

#endif
