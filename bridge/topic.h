/* topic.h - MQTT topic names, built and parsed (PROTOCOL.md, "Topics").
 *
 * A pure module: no I/O, no allocation. The exchange topics all start with
 * foodsafety/v1/{origin}/, so that the broker's ACL can confine a node to
 * its own origin; the local (agency broker) topics start with a configured
 * root.
 */
#ifndef FSB_TOPIC_H
#define FSB_TOPIC_H

#include <stddef.h>

#include "codec.h"

#define FSB_TOPIC_MAX 256
#define FSB_TOPIC_PREFIX "foodsafety/v1/"
#define FSB_TOPIC_ALL "foodsafety/v1/+/#" /* everything: what a node subscribed to before
					    * re-sends were addressed (see fsb_topic_filters) */
#define FSB_TOPIC_ALL_SYNC "foodsafety/v1/+/sync" /* every sync request: before they were
						   * addressed */
#define FSB_TOPIC_FILTERS_MAX 16

enum fsb_topic_type {
	FSB_TOPIC_UNKNOWN = 0,
	FSB_TOPIC_STREAM,     /* {origin}/{kind}/{category}: a stream message */
	FSB_TOPIC_CHECKPOINT, /* {origin}/checkpoint: a signed Control (retained) */
	FSB_TOPIC_STATUS,     /* {origin}/status: "online" / "offline" (retained) */
	FSB_TOPIC_SYNC,       /* {origin}/sync/{responder}: a signed SyncRequest of origin */
	FSB_TOPIC_RESEND,     /* {origin}/resend/{requester}: relayed stream messages */
	FSB_TOPIC_CRL,        /* {origin}/crl: a CA's CRL that origin handed on (retained) */
};

struct fsb_topic {
	enum fsb_topic_type type;
	char origin[FSB_ORIGIN_MAX + 1];      /* the publisher: second level */
	enum fsb_kind kind;                   /* STREAM */
	char category[FSB_CATEGORY_MAX + 1];  /* STREAM */
	char requester[FSB_ORIGIN_MAX + 1];   /* RESEND: to whom */
	char responder[FSB_ORIGIN_MAX + 1];   /* SYNC: who is asked */
};

/* Parses an exchange topic; FSB_TOPIC_UNKNOWN (and -1) for anything that is
 * not one of ours, or whose origin or kind is malformed. */
int fsb_topic_parse(const char *topic, struct fsb_topic *out);

/* Writes a topic into buf (FSB_TOPIC_MAX bytes); returns buf, or NULL when
 * a part is malformed. */
char *fsb_topic_stream(char *buf, const char *origin, enum fsb_kind kind, const char *category);
char *fsb_topic_control(char *buf, const char *origin, enum fsb_topic_type type); /* not SYNC */
char *fsb_topic_sync(char *buf, const char *requester, const char *responder);
char *fsb_topic_resend(char *buf, const char *responder, const char *requester);

/* The filters a node subscribes to on the exchange: every stream kind,
 * checkpoints, status, CRLs, and the sync requests and re-sends addressed
 * to `self` only (what is for another node never reaches it). Writes up to
 * max into out; returns the count, 0 when self is not a slug. */
size_t fsb_topic_filters(char (*out)[FSB_TOPIC_MAX], size_t max, const char *self);

/* Local side: {root}/inbox/{origin}/{kind}/{category}, {root}/submit/+ and
 * {root}/submit/result. */
char *fsb_topic_inbox(char *buf, const char *root, const char *origin, enum fsb_kind kind,
		      const char *category);
char *fsb_topic_local(char *buf, const char *root, const char *suffix);

/* The kind of a local submission topic {root}/submit/{kind}; FSB_KIND_NONE
 * when the topic is not one. */
enum fsb_kind fsb_topic_submit_kind(const char *topic, const char *root);

#endif
