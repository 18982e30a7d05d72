/* codec.h - the wire and JSON forms of fsbridge messages, and their rules.
 *
 * The codec is the only module that sees the protobuf-c generated code. It
 * turns bytes or JSON into an opaque struct fsb_message, checks it against
 * the content rules (README, "Messages in JSON"), and turns it back into bytes or
 * JSON. Other modules see only this header.
 *
 * Decoding is split from validation on purpose (PROTOCOL.md, "Content and
 * integrity"): a payload that decodes is a message, even if its content breaks a rule;
 * the caller decides whether a rule violation rejects it (a submission) or
 * is stored as a warning (a signed message from another province).
 *
 * Ownership: every `out` object is owned by the caller and released with its
 * matching free function; strings returned through `out` are malloc'd and
 * freed with free(). A struct fsb_header view points into its message and
 * is valid until the message is changed or freed.
 */
#ifndef FSB_CODEC_H
#define FSB_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "format.h"
#include "bounds.h"

#define FSB_HASH_LEN 32         /* SHA-256 */
#define FSB_MESSAGE_ID_MAX 53   /* "{origin}:{seq}": 32 + 1 + 20 digits */
#define FSB_SCHEMA_VERSION 1

/* The message's kind: the body it carries, and the topic's third level. */
enum fsb_kind {
	FSB_KIND_NONE = 0,
	FSB_KIND_SURVEILLANCE,
	FSB_KIND_QUARANTINE,
	FSB_KIND_RECALL,
	FSB_KIND_FOLLOWUP,
	FSB_KIND_CERTIFICATION,
};
#define FSB_KIND_MAX FSB_KIND_CERTIFICATION

/* "surveillance", "quarantine", "recall", "followup", "certification";
 * NULL for NONE. */
const char *fsb_kind_name(enum fsb_kind kind);

/* Parses a kind name; returns FSB_KIND_NONE for anything else. */
enum fsb_kind fsb_kind_parse(const char *name);

struct fsb_message; /* opaque: one decoded foodsafety.v1.Message */

/* Decodes a serialized Message. Fails with FSB_ETOOBIG when len exceeds
 * max_bytes (checked before any decoding) and FSB_EDECODE when the bytes are
 * not a well-formed Message; errs (if not NULL) then gets one line saying
 * why. Strings that are not valid UTF-8 do not fail decoding: they are kept
 * and reported by fsb_message_validate(). */
int fsb_message_unpack(const uint8_t *buf, size_t len, size_t max_bytes,
		       struct fsb_message **out, struct fsb_errlist *errs);

/* Serializes a message into a malloc'd buffer *buf of *len bytes. */
int fsb_message_pack(const struct fsb_message *m, uint8_t **buf, size_t *len);

/* Parses a JSON document (proto3 JSON mapping) of len bytes.
 *
 * The document is a Message, {"header": {…}, "<kind>": {…}}. When `kind` is
 * not FSB_KIND_NONE, the document must be of that kind, or may be just the
 * body of that kind. Strict: unknown fields, wrong JSON types, bad enum
 * names, bad base64 and out-of-range numbers are errors, each with its path
 * in errs, and the call fails with FSB_EDECODE (FSB_ETOOBIG over
 * FSB_CODEC_JSON_MAX_BYTES). Content rules are not checked here. */
int fsb_message_from_json(const char *text, size_t len, enum fsb_kind kind,
			  struct fsb_message **out, struct fsb_errlist *errs);

enum {
	FSB_JSON_PRETTY = 1 << 0, /* indent by two spaces; default is one line */
};

/* Renders a message as JSON (proto3 JSON mapping: lowerCamelCase names,
 * enums by name, 64-bit integers as strings, bytes as base64, defaults
 * omitted) into a malloc'd NUL-terminated string. */
int fsb_message_to_json(const struct fsb_message *m, unsigned flags, char **out);

enum {
	/* The message must carry the header fields the node stamps when it
	 * seals (origin, seq, prev_hash, message_id, issued_at,
	 * schema_version), consistent with each other. Without this flag they
	 * may be absent (a submission), and are checked only where present. */
	FSB_VALIDATE_SEALED = 1 << 0,
};

/* Checks the content rules: required fields per kind, enum values known,
 * UTF-8, length bounds, dates and times, decimals, GS1 keys, Digital Link,
 * slugs, cross-field consistency. Returns 0 when valid, FSB_EINVALID with
 * every problem in errs otherwise. */
int fsb_message_validate(const struct fsb_message *m, unsigned flags,
			 struct fsb_errlist *errs);

/* Renders a message for people: one "name: value" line per field,
 * indented by nesting, lists as "- " items, names in lowerCamelCase, text
 * as is (Vietnamese intact). Each line starts with `indent`. */
int fsb_message_to_text(const struct fsb_message *m, const char *indent, char **out);

/* One step of a walk through a message's fields, in its proto3 JSON form
 * (so a field added to the schema shows without a change): a scalar, or
 * the opening or closing of an object or a list. */
enum fsb_field_event { FSB_FIELD_VALUE, FSB_FIELD_OPEN, FSB_FIELD_CLOSE };
struct fsb_field {
	enum fsb_field_event event;
	unsigned depth;     /* 0 for the message's own fields */
	const char *key;    /* the field's JSON name; NULL for a list's element */
	const char *value;  /* VALUE: the scalar as text (an enum by its name) */
	int list;           /* OPEN, CLOSE: a list, not an object */
	int is_enum;        /* VALUE: value is an enum's name (else text, a number) */
};

/* Calls fn with every step, in the message's order; a non-zero return
 * from fn stops and is returned. FSB_ENOMEM. */
typedef int (*fsb_field_fn)(void *ctx, const struct fsb_field *f);
int fsb_message_fields(const struct fsb_message *m, fsb_field_fn fn, void *ctx);

/* A few lines for staff watching the feed: what it is (classification,
 * class, risk, verdict, notice type), the products and lots, the measures,
 * who issued it; each line starts with `indent`. Malloc'd. */
int fsb_message_summary(const struct fsb_message *m, const char *indent, char **out);

/* The body's kind; FSB_KIND_NONE when the message has no body. */
enum fsb_kind fsb_message_kind(const struct fsb_message *m);

#define FSB_CATEGORY_MAX 32 /* bytes in a category slug */

/* Writes the topic slug of the header's category ("aquatic", "crop" …) into
 * buf and returns buf; NULL when the category is unset or unknown to this
 * schema version. */
const char *fsb_message_category(const struct fsb_message *m, char buf[FSB_CATEGORY_MAX + 1]);

/* A read-only view of the header; strings point into the message. */
struct fsb_header {
	const char *origin;     /* "" when unset */
	uint64_t seq;
	const uint8_t *prev_hash; /* NULL when unset, else FSB_HASH_LEN bytes */
	const char *message_id; /* "" when unset */
	const char *issued_at;  /* "" when unset */
	uint32_t schema_version;
	const char *issuer;     /* issuing unit's name, "" when unset */
	const char *reference;  /* the department's own reference, "" when unset */
};

/* Fills *h from the message; fields absent from the message read as empty. */
void fsb_message_header(const struct fsb_message *m, struct fsb_header *h);

/* What the node writes into a header when it seals a message. */
struct fsb_stamp {
	const char *origin;                /* copied */
	uint64_t seq;                      /* >= 1 */
	uint8_t prev_hash[FSB_HASH_LEN];   /* zeros for seq 1 */
	const char *issued_at;             /* RFC 3339 UTC, copied */
};

/* Sets origin, seq, prev_hash, issued_at, schema_version and the derived
 * message_id ("{origin}:{seq}") in the header, creating it if absent. */
int fsb_message_stamp(struct fsb_message *m, const struct fsb_stamp *stamp);

/* Releases a message; NULL is allowed. */
void fsb_message_free(struct fsb_message *m);

/* A SignedEnvelope. After fsb_envelope_unpack() the three buffers are
 * malloc'd copies owned by the struct; release them with
 * fsb_envelope_clear(). For fsb_envelope_pack() they are borrowed. */
struct fsb_envelope {
	uint8_t *payload;
	size_t payload_len;
	uint8_t *signature;
	size_t signature_len;
	uint8_t *signer_cert;
	size_t signer_cert_len;
};

/* Serializes an envelope into a malloc'd buffer *buf of *len bytes. */
int fsb_envelope_pack(const struct fsb_envelope *e, uint8_t **buf, size_t *len);

/* Decodes a SignedEnvelope: FSB_ETOOBIG over max_bytes (checked first),
 * FSB_EDECODE when malformed or when payload, signature or certificate is
 * missing; errs (if not NULL) gets the reason. */
int fsb_envelope_unpack(const uint8_t *buf, size_t len, size_t max_bytes,
			struct fsb_envelope *out, struct fsb_errlist *errs);

/* Frees the buffers of an unpacked envelope and zeroes it. */
void fsb_envelope_clear(struct fsb_envelope *e);

/* A SignedEnvelope read in place: the pointers point into the buffer
 * given to fsb_envelope_view() and live as long as it does. */
struct fsb_envelope_view {
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *signature;
	size_t signature_len;
	const uint8_t *signer_cert;
	size_t signer_cert_len;
};

/* Reads an envelope without copying (for walking a log fast): FSB_EDECODE
 * when the framing is malformed or a field is missing. Same result as
 * fsb_envelope_unpack() on the same bytes. */
int fsb_envelope_view(const uint8_t *buf, size_t len, struct fsb_envelope_view *v);

/* The header fields that link a stream, read from a serialized Message
 * without decoding the rest. */
struct fsb_payload_peek {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;
	const uint8_t *prev_hash; /* points into the payload; NULL unless 32 bytes */
};

/* Peeks at a payload's header: FSB_EDECODE when the framing is malformed
 * or the origin does not fit a slug's length. */
int fsb_payload_peek(const uint8_t *payload, size_t len, struct fsb_payload_peek *p);

/* The answer to a JSON submission, as one JSON object in a malloc'd string:
 * {"accepted":true,"messageId":"longan:7"} when message_id is given, else
 * {"accepted":false,"errors":[{"path":"recall.reason","message":"required"},…]}. */
int fsb_reply_json(const char *message_id, const struct fsb_errlist *errs, char **out);

/* ---- cases: how a message links into a case (PROTOCOL.md, "Cases") ------ */

/* FollowUpType, same numbers as the schema. */
enum fsb_followup_type {
	FSB_FU_NONE = 0,            /* not a follow-up (or its type unset) */
	FSB_FU_INFORMATION = 1,     /* additional information */
	FSB_FU_MEASURES = 2,        /* measures taken */
	FSB_FU_DISTRIBUTION = 3,    /* distribution update */
	FSB_FU_CORRECTION = 4,
	FSB_FU_RECLASSIFICATION = 5,
	FSB_FU_WITHDRAWAL = 6,
	FSB_FU_CLOSURE = 7,
	FSB_FU_ACKNOWLEDGEMENT = 8,
	FSB_FU_REQUEST = 9,         /* request for information */
	FSB_FU_RESPONSE = 10,       /* answer to a request */
};
#define FSB_FU_MAX FSB_FU_RESPONSE

/* What a stream message says about the case it belongs to: enough to index
 * it without decoding it. */
struct fsb_links {
	enum fsb_kind kind;
	enum fsb_followup_type type;         /* FSB_FU_NONE unless a follow-up */
	/* the message followed up, or the notice a certification notice
	 * changes; "" when none or not a message id */
	char ref_id[FSB_MESSAGE_ID_MAX + 1];
	/* A root that calls for action: every recall, a non-compliant
	 * surveillance result, a quarantine notice of a revoked certificate, a
	 * rejected consignment or a declared or continuing outbreak. */
	int alerting;
};

/* The schema name of a follow-up type ("FOLLOW_UP_TYPE_ACKNOWLEDGEMENT");
 * NULL for FSB_FU_NONE. */
const char *fsb_followup_type_name(enum fsb_followup_type t);

/* Reads the links of a serialized Message in place (no allocation), with
 * the decoder's semantics for repeated fields (the last body wins; a
 * repeated follow-up field merges). FSB_EDECODE on malformed framing. */
int fsb_payload_links(const uint8_t *payload, size_t len, struct fsb_links *out);

/* The same from the envelope bytes of a log entry. */
int fsb_envelope_links(const uint8_t *envelope, size_t len, struct fsb_links *out);

#define FSB_FACTS_MEASURES 8 /* measure types named, at most */

/* What the case view reads of one message; strings point into the message
 * (valid while it lives) and are "" when absent; enum values are given by
 * their schema names ("RECALL_CLASS_I"), NULL when unset. */
struct fsb_case_facts {
	struct fsb_header header;
	const char *officer;            /* the issuer's contact */
	const char *category;           /* the header's, by name ("CATEGORY_AQUATIC"); NULL */
	const char *const *recipients;  /* n_recipients slugs */
	size_t n_recipients;
	int64_t issued_at_ms;           /* INT64_MIN when absent or malformed */
	int64_t detected_at_ms;         /* INT64_MIN when absent or malformed */
	const char *subject;            /* the first product's, commodity's or analyte's name */
	const char *classification;     /* a root's, or a reclassification's new one */
	const char *recall_class;
	const char *risk;
	const char *verdict;            /* a surveillance result's overall verdict */
	const char *notice_type;        /* a quarantine or certification notice's type */
	/* a follow-up */
	enum fsb_followup_type type;
	const char *ref_id;
	const uint8_t *ref_hash;        /* NULL unless FSB_HASH_LEN bytes */
	const char *text;
	const char *reason;
	int64_t respond_by_ms;          /* INT64_MIN when absent or malformed */
	const char *measures[FSB_FACTS_MEASURES]; /* measure types, the first few */
	size_t n_measures;              /* measures in the message (may exceed the names) */
};

/* Fills *f from m. */
void fsb_message_case_facts(const struct fsb_message *m, struct fsb_case_facts *f);

/* Sets the ref_payload_hash of a follow-up or a certification notice
 * (FSB_EINVAL for another kind). */
int fsb_message_set_ref_hash(struct fsb_message *m, const uint8_t hash[FSB_HASH_LEN]);

/* ---- tracing: products and establishments (PROTOCOL.md, "Tracing") ----- */

/* The keys the store's trace index files a message under. */
enum fsb_trace_key {
	FSB_TK_PRODUCT = 'g', /* a product's GTIN-14 */
	FSB_TK_LOT = 'l',     /* a GTIN-14 followed by one of its lots */
	FSB_TK_TAX = 't',     /* an establishment's tax code */
	FSB_TK_REG = 'r',     /* its registration number */
	FSB_TK_GLN = 'n',     /* its GLN, or its location's */
	FSB_TK_CHAIN = 'c',   /* a safe chain's id */
};
/* Longer values are not indexed (no GS1 key, tax code or registration
 * number is that long). */
#define FSB_TRACE_VALUE_MAX 128

/* Calls fn with every key a serialized Message is filed under, read off
 * its bytes without decoding it (no allocation): every Product of its body
 * (its GTIN-14, from `gtin` or else its Digital Link, and its GTIN with
 * each of its lots and the link's lot), every Party (tax code,
 * registration number, GLN), every Location's GLN, and a SupplyChain's
 * id. A key may come more than once. A follow-up is filed under none: it
 * reaches a trace through its case. FSB_EDECODE on malformed framing; a
 * non-zero return from fn stops and is returned. */
typedef int (*fsb_trace_key_fn)(void *ctx, enum fsb_trace_key type, const char *value);
int fsb_payload_trace_keys(const uint8_t *payload, size_t len, fsb_trace_key_fn fn, void *ctx);

/* What a trace looks for: a product (and lot), or an establishment. */
struct fsb_trace_target {
	char gtin14[FSB_GTIN14_LEN + 1];   /* "" for an establishment */
	char lot[FSB_TRACE_VALUE_MAX + 1]; /* "" for any lot */
	enum fsb_trace_key key;            /* FSB_TK_TAX, _REG or _GLN for an establishment */
	char value[FSB_TRACE_VALUE_MAX + 1];
};

#define FSB_TRACE_NAMES 4 /* lots, failing analytes named, at most */

/* An establishment as a message names it; "" when absent. */
struct fsb_trace_party {
	const char *name, *tax_code, *registration, *gln, *province;
};

/* What the trace view reads of one message about its target; strings
 * point into the message, "" when absent; enum values by their schema
 * names, NULL when unset. */
struct fsb_trace_facts {
	struct fsb_header header;
	enum fsb_kind kind;
	int64_t issued_at_ms;            /* INT64_MIN when absent or malformed */
	/* the target's product, when the message names it */
	int names_product;
	const char *product;             /* its name */
	const char *digital_link;        /* its Digital Link */
	int whole_product;               /* no lot named (nor in the link): every lot */
	int names_lot;                   /* the target's lot is among those named */
	const char *lots[FSB_TRACE_NAMES];
	size_t n_lots;                   /* lots named (may exceed the names) */
	struct fsb_trace_party producer; /* the product's producer */
	/* the target establishment, when a Party or Location of the message
	 * names it, and as what: the schema name of the field holding it
	 * ("holder", "operator", "producer", "responsible_operator",
	 * "operators", "executed_by", "consignor", "consignee", "location" …) */
	int names_party;
	const char *party_role;
	struct fsb_trace_party party;
	/* a surveillance result */
	const char *verdict, *stage, *sample_id, *sampled_at;
	struct fsb_trace_party sampled;  /* the operator sampled */
	const char *failing[FSB_TRACE_NAMES]; /* analytes found non-compliant */
	size_t n_failing;
	/* a recall */
	const char *recall_class, *classification, *reason, *decision;
	/* a quarantine notice */
	const char *notice_type, *certificate, *commodity;
	struct fsb_trace_party consignor, consignee;
	/* a certification notice (notice_type too) */
	const char *scheme, *cert_number, *cert_body, *valid_from, *valid_until;
	const char *chain_id, *chain_name, *chain_role, *ref_id, *remarks;
	unsigned stars;
	struct fsb_trace_party holder;
};

/* Fills *f with what m says about target t, matching the places the keys
 * are read from. */
void fsb_message_trace_facts(const struct fsb_message *m, const struct fsb_trace_target *t,
			     struct fsb_trace_facts *f);

/* A product a message names, as the web view shows it with its QR code. */
struct fsb_product_facts {
	const char *name;                   /* "" when absent */
	char gtin14[FSB_GTIN14_LEN + 1];    /* from gtin or else the link; "" when neither */
	const char *digital_link;           /* as given, "" when none */
	const char *lot;                    /* its first lot, "" when none */
};

/* Every Product anywhere in m's body, in the schema's order: the first max
 * into out (strings point into m); returns how many there are. */
size_t fsb_message_products(const struct fsb_message *m, struct fsb_product_facts *out, size_t max);

/* ---- the programme report (README, "The programme report") -------------- */

/* What the report counts of one message; enum values by their schema
 * names, NULL when unset; strings point into the message, "" when absent. */
struct fsb_report_facts {
	enum fsb_kind kind;
	const char *category;            /* the header's ("CATEGORY_CROP") */
	int64_t issued_at_ms;            /* INT64_MIN when absent or malformed */
	int64_t detected_at_ms;          /* INT64_MIN when absent or malformed */
	enum fsb_followup_type type;     /* a follow-up's */
	/* a surveillance result */
	const char *verdict;             /* the overall verdict */
	size_t n_analytes;               /* its analyte results (fsb_message_analyte) */
	/* a recall */
	const char *recall_class, *basis;
	/* a quarantine notice */
	const char *notice_type, *domain;
	/* ... of an outbreak */
	const char *disease, *species, *province, *district, *commune;
	const char *declared_over;       /* the date it ended */
	uint32_t case_count, death_count, destroyed_count;
};

void fsb_message_report_facts(const struct fsb_message *m, struct fsb_report_facts *f);

/* One analyte result of a surveillance result. */
struct fsb_analyte_facts {
	const char *analyte;             /* its name, "" when absent */
	const char *hazard;              /* HAZARD_CATEGORY_*, NULL when unset */
	const char *verdict;             /* VERDICT_*, NULL when unset */
};

/* Result i (< f.n_analytes) of surveillance result m. */
void fsb_message_analyte(const struct fsb_message *m, size_t i, struct fsb_analyte_facts *a);

/* ---- control messages (checkpoints, sync requests) ---------------------- */

struct fsb_stream_state {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq;                    /* highest seq held with every earlier one */
	uint8_t payload_hash[FSB_HASH_LEN];
};

enum fsb_control_type {
	FSB_CONTROL_NONE = 0,
	FSB_CONTROL_CHECKPOINT,
	FSB_CONTROL_SYNC,
};

/* A decoded foodsafety.v1.Control. Owned by whoever filled it; release
 * with fsb_control_clear(). */
struct fsb_control {
	char origin[FSB_ORIGIN_MAX + 1]; /* the signing node */
	char issued_at[40];              /* RFC 3339 */
	enum fsb_control_type type;
	/* FSB_CONTROL_CHECKPOINT */
	struct fsb_stream_state *streams; /* malloc'd, n_streams entries */
	size_t n_streams;
	uint64_t log_index;
	uint8_t log_head_hash[FSB_HASH_LEN];
	/* FSB_CONTROL_SYNC */
	char sync_origin[FSB_ORIGIN_MAX + 1]; /* the stream wanted */
	uint64_t from_seq, to_seq;            /* inclusive */
	char responder[FSB_ORIGIN_MAX + 1];
};

/* Serializes c into a malloc'd buffer. */
int fsb_control_pack(const struct fsb_control *c, uint8_t **buf, size_t *len);

/* Decodes and checks a Control: FSB_ETOOBIG over max_bytes, FSB_EDECODE
 * when malformed, FSB_EINVALID when a slug, time, hash or range is wrong;
 * err (if not NULL) says which. */
int fsb_control_unpack(const uint8_t *buf, size_t len, size_t max_bytes, struct fsb_control *out,
		       char *err, size_t errlen);

void fsb_control_clear(struct fsb_control *c);

#endif
