/* transport.h - one MQTT connection; the only module that sees Paho.
 *
 * Wraps Paho's asynchronous client (MQTTAsync): MQTT 5 with a fallback to
 * 3.1.1 (or either alone), a persistent session (clean start off, a week's session expiry),
 * automatic reconnection with backoff once connected, a retained Last Will,
 * TLS from files, and QoS 1 throughout. Subscriptions are remembered and
 * made again on every connection, since a broker restarted without
 * persistence forgets them.
 *
 * Threads: events are delivered on Paho's own threads, through the callback
 * given at creation; everything an event points to is valid only during the
 * call. The other functions may be called from any one thread.
 */
#ifndef FSB_TRANSPORT_H
#define FSB_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct fsb_transport; /* opaque */

struct fsb_transport_opts {
	const char *uri;          /* tcp://, ssl://, mqtt://, mqtts:// (copied) */
	const char *client_id;
	const char *tls_ca, *tls_cert, *tls_key; /* optional files */
	const char *will_topic;   /* optional; retained, QoS 1 */
	const char *will_payload;
	/* FSB_MQTT_AUTO: MQTT 5, and 3.1.1 from the next attempt when the
	 * broker refuses 5 or takes the connection but closes it on a v5
	 * CONNECT (RabbitMQ 3.10 does); or FSB_MQTT_5, FSB_MQTT_311 alone. */
	int mqtt_version;
	/* Paho calls the message callback holding its lock, and every call
	 * below takes that lock: a callback that waits (for room in its
	 * owner's queue, which is how a backlog is held back at the broker)
	 * would make its owner wait for it. So each call below is bracketed by
	 * calling(ctx, 1) and calling(ctx, 0), from the caller's thread: a
	 * callback must not start waiting while its owner is calling in. When
	 * calling(ctx, 1) returns nonzero (a callback waits, and the owner
	 * cannot make room), fsb_transport_publish() returns FSB_EOVERLOAD
	 * without publishing, to be tried again later; the other calls go on
	 * regardless. calling(ctx, 0) follows only a calling(ctx, 1) that
	 * returned 0. NULL: the callback never waits. */
	int (*calling)(void *ctx, int begin);
};

enum { FSB_MQTT_AUTO = 0, FSB_MQTT_311 = 4, FSB_MQTT_5 = 5 };

enum fsb_transport_event_type {
	FSB_TRANSPORT_CONNECTED,      /* (re)connected; subscriptions are being made */
	FSB_TRANSPORT_DISCONNECTED,   /* connection lost; reconnection is automatic */
	FSB_TRANSPORT_CONNECT_FAILED, /* a connect attempt failed: call fsb_transport_connect() again later */
	FSB_TRANSPORT_MESSAGE,        /* a message arrived */
	FSB_TRANSPORT_PUBLISHED,      /* the broker acknowledged the publication `tag` */
	FSB_TRANSPORT_PUBLISH_FAILED, /* the publication `tag` was not acknowledged */
};

struct fsb_transport_event {
	enum fsb_transport_event_type type;
	const char *topic;            /* MESSAGE */
	const uint8_t *payload;
	size_t len;
	int retained;
	const char *response_topic;   /* MESSAGE, MQTT 5: where to answer, or NULL */
	const uint8_t *correlation;   /* MESSAGE, MQTT 5: correlation data, or NULL */
	size_t correlation_len;
	uint64_t tag;                 /* PUBLISHED, PUBLISH_FAILED */
	const char *reason;           /* DISCONNECTED, CONNECT_FAILED, PUBLISH_FAILED */
	int version;                  /* CONNECTED: 5 or 4 (3.1.1) */
};

typedef void (*fsb_transport_fn)(void *ctx, const struct fsb_transport_event *ev);

/* Creates a client (nothing is sent yet). */
int fsb_transport_create(const struct fsb_transport_opts *o, fsb_transport_fn fn, void *ctx,
		    struct fsb_transport **out, char *err, size_t errlen);

/* Starts connecting; the outcome arrives as CONNECTED or CONNECT_FAILED. */
int fsb_transport_connect(struct fsb_transport *m);

/* Whether the client is connected now, as Paho's callbacks last said (it
 * does not take Paho's lock). */
int fsb_transport_is_connected(const struct fsb_transport *m);

/* Counts the connections made so far, first and automatic ones alike. A
 * caller that sees it change knows a new session began (its in-flight
 * publications may be gone), even if events came late or out of order. */
unsigned fsb_transport_generation(const struct fsb_transport *m);

/* How many QoS 1 publications may be unacknowledged at once: the broker's
 * Receive Maximum under MQTT 5 (65535 when it sets none, or under 3.1.1).
 * Keep within it: Paho's own queueing past it is very slow (one message per
 * cycle of its send thread, under 100 a second). */
int fsb_transport_max_inflight(const struct fsb_transport *m);

/* Adds a subscription (QoS 1), made now if connected and on every connect.
 * FSB_EINVAL past 16 filters (each list, this one and the next), FSB_ENOMEM. */
int fsb_transport_subscribe(struct fsb_transport *m, const char *filter);

/* Removes a subscription that an earlier run may have left in the
 * broker's persistent session, now if connected and on every connect
 * (unsubscribing what is not subscribed is harmless). */
int fsb_transport_forget(struct fsb_transport *m, const char *filter);

/* What a reply carries in MQTT 5 (NULL fields for none). */
struct fsb_transport_reply {
	const uint8_t *correlation;
	size_t correlation_len;
};

/* Publishes at QoS 1 (data copied); the acknowledgement arrives as
 * PUBLISHED with the same tag. Fails with FSB_EIO when not connected. */
int fsb_transport_publish(struct fsb_transport *m, const char *topic, const void *data, size_t len,
		     int retain, uint64_t tag, const struct fsb_transport_reply *reply);

/* Disconnects cleanly (waiting up to timeout_ms for in-flight messages) and
 * frees the client; NULL allowed. The Last Will is not sent. */
void fsb_transport_destroy(struct fsb_transport *m, int timeout_ms);

#endif
