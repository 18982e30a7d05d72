/* transport.c - MQTT over Paho's asynchronous C client.
 *
 * Connection handling is split between Paho and the caller. Once a
 * connection has been made, Paho reconnects by itself (1 to 8 s backoff)
 * and every reconnection is reported as CONNECTED. A first connection that
 * fails is reported as CONNECT_FAILED and the caller retries: Paho does not
 * retry a connect that never succeeded. In the automatic mode, a broker
 * that refuses MQTT 5, or that accepts the TCP connection and closes it on
 * a v5 CONNECT without a word (RabbitMQ 3.10's MQTT plugin, which speaks
 * only 3.1.1), makes the next attempt use 3.1.1, with a new Paho client,
 * since Paho fixes the protocol version when a client is created. Paho
 * reports both a closed port and a closed connection as a failure of code
 * -1, so after a failed v5 attempt the broker's port is tried once more at
 * the TCP level: if it answers, MQTT 5 was the problem.
 */
#include "transport.h"

#include <MQTTAsync.h>
#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"

#define MAX_FILTERS 16
#define SESSION_EXPIRY_S (7 * 24 * 3600)
#define KEEPALIVE_S 20
#define PROBE_MS 1000     /* how long the TCP probe after a failed v5 attempt waits */

struct fsb_transport {
	MQTTAsync client;
	char *uri, *client_id, *tls_ca, *tls_cert, *tls_key, *will_topic, *will_payload;
	int version;      /* MQTTVERSION_5 or MQTTVERSION_3_1_1 */
	int use_v311;     /* set from a callback when the broker refused MQTT 5 */
	int auto_version; /* whether 3.1.1 may follow a failed MQTT 5 attempt */
	fsb_transport_fn fn;
	int (*calling)(void *ctx, int begin);
	void *ctx;
	pthread_mutex_t lock;
	int connected;
	unsigned generation; /* connections made so far */
	int receive_max;  /* the broker's Receive Maximum (MQTT 5 CONNACK) */
	char *filters[MAX_FILTERS];
	int n_filters;
	char *forgotten[MAX_FILTERS]; /* unsubscribed on every connection */
	int n_forgotten;
};

struct pub_ctx {
	struct fsb_transport *m;
	uint64_t tag;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Paho wants tcp:// or ssl://; mqtt:// and mqtts:// are the usual names. */
static char *paho_uri(const char *uri)
{
	if (strncmp(uri, "mqtts://", 8) == 0) {
		char *u = malloc(strlen(uri));
		if (u)
			sprintf(u, "ssl://%s", uri + 8);
		return u;
	}
	if (strncmp(uri, "mqtt://", 7) == 0) {
		char *u = malloc(strlen(uri) + 1);
		if (u)
			sprintf(u, "tcp://%s", uri + 7);
		return u;
	}
	return strdup(uri);
}

static void emit(struct fsb_transport *m, const struct fsb_transport_event *ev)
{
	m->fn(m->ctx, ev);
}

static void set_connected(struct fsb_transport *m, int on)
{
	pthread_mutex_lock(&m->lock);
	m->connected = on;
	pthread_mutex_unlock(&m->lock);
}

/* Around every call that takes Paho's lock (see calling in transport.h). */
static int calling(const struct fsb_transport *m, int begin)
{
	return m->calling ? m->calling(m->ctx, begin) : 0;
}

int fsb_transport_is_connected(const struct fsb_transport *m)
{
	/* As Paho's callbacks last said, without taking Paho's lock. */
	pthread_mutex_lock((pthread_mutex_t *)&m->lock);
	int on = m->connected;
	pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
	return on;
}

unsigned fsb_transport_generation(const struct fsb_transport *m)
{
	pthread_mutex_lock((pthread_mutex_t *)&m->lock);
	unsigned g = m->generation;
	pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
	return g;
}

static void subscribe_one(struct fsb_transport *m, const char *filter)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	/* Under MQTT 5 the broker need not echo a client's own publications
	 * back to it (No Local): at N provinces that is one delivery in N
	 * saved, and a node ignores its own anyway. */
	if (m->version == MQTTVERSION_5)
		ro.subscribeOptions.noLocal = 1;
	MQTTAsync_subscribe(m->client, filter, 1, &ro);
}

static void unsubscribe_one(struct fsb_transport *m, const char *filter)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	MQTTAsync_unsubscribe(m->client, filter, &ro);
}

/* Paho never sets TCP_NODELAY, so Nagle's algorithm holds a lone PUBLISH
 * until the peer has acknowledged the previous segment, which a delayed
 * ACK puts off by tens of milliseconds: make bench measured a p50 of 31 ms
 * from commit to the receiver's commit at 50 msg/s, and 6 ms without
 * Nagle. Paho does not hand out its sockets, so once a connection is up
 * every TCP socket of the process gets TCP_NODELAY; they are all Paho's,
 * and the option is harmless to set twice. */
static void set_nodelay_everywhere(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		int fd = atoi(de->d_name), type = 0, one = 1;
		socklen_t len = sizeof type;
		struct sockaddr_storage sa;
		socklen_t salen = sizeof sa;
		if (fd <= 2 || fd == dirfd(d) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_STREAM ||
		    getsockname(fd, (struct sockaddr *)&sa, &salen) ||
		    (sa.ss_family != AF_INET && sa.ss_family != AF_INET6))
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	closedir(d);
}

/* Called by Paho after every successful connection, first or automatic. */
static void on_connected(void *context, char *cause)
{
	(void)cause;
	struct fsb_transport *m = context;
	set_nodelay_everywhere();
	set_connected(m, 1);
	pthread_mutex_lock(&m->lock);
	m->generation++;
	for (int i = 0; i < m->n_forgotten; i++)
		unsubscribe_one(m, m->forgotten[i]);
	for (int i = 0; i < m->n_filters; i++)
		subscribe_one(m, m->filters[i]);
	pthread_mutex_unlock(&m->lock);
	struct fsb_transport_event ev = {.type = FSB_TRANSPORT_CONNECTED,
				    .version = m->version == MQTTVERSION_5 ? 5 : 4};
	emit(m, &ev);
}

static void on_connection_lost(void *context, char *cause)
{
	struct fsb_transport *m = context;
	set_connected(m, 0);
	struct fsb_transport_event ev = {.type = FSB_TRANSPORT_DISCONNECTED,
				    .reason = cause ? cause : "connection lost"};
	emit(m, &ev);
}

int fsb_transport_max_inflight(const struct fsb_transport *m)
{
	pthread_mutex_lock((pthread_mutex_t *)&m->lock);
	int n = m->receive_max;
	pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
	return n;
}

static void on_connect_success5(void *context, MQTTAsync_successData5 *r)
{
	struct fsb_transport *m = context;
	MQTTProperty *p = r ? MQTTProperties_getProperty(&r->properties, MQTTPROPERTY_CODE_RECEIVE_MAXIMUM)
			    : NULL;
	pthread_mutex_lock(&m->lock);
	m->receive_max = p && p->value.integer2 > 0 ? p->value.integer2 : 65535;
	pthread_mutex_unlock(&m->lock);
}

/* Whether something accepts TCP connections at the URI's host and port
 * (within PROBE_MS). */
static int port_answers(const char *uri)
{
	const char *hp = strstr(uri, "://");
	if (!hp)
		return 0;
	hp += 3;
	char host[256], port[8];
	const char *colon;
	if (*hp == '[') { /* [IPv6]:port */
		const char *end = strchr(hp, ']');
		if (!end || (size_t)(end - hp - 1) >= sizeof host)
			return 0;
		snprintf(host, sizeof host, "%.*s", (int)(end - hp - 1), hp + 1);
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(hp, ':');
		size_t n = colon ? (size_t)(colon - hp) : strcspn(hp, "/");
		if (n >= sizeof host)
			return 0;
		snprintf(host, sizeof host, "%.*s", (int)n, hp);
	}
	int tls = strncmp(uri, "ssl://", 6) == 0 || strncmp(uri, "mqtts://", 8) == 0;
	snprintf(port, sizeof port, "%.*s", colon ? (int)strcspn(colon + 1, "/") : 4,
		 colon ? colon + 1 : tls ? "8883" : "1883");
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(host, port, &hints, &res))
		return 0;
	int ok = 0;
	for (struct addrinfo *a = res; a && !ok; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int err = 0;
		socklen_t len = sizeof err;
		struct pollfd pf = {fd, POLLOUT, 0};
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			ok = 1;
		else if (poll(&pf, 1, PROBE_MS) == 1 &&
			 getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
			ok = 1;
		close(fd);
	}
	freeaddrinfo(res);
	return ok;
}

static void connect_failed(struct fsb_transport *m, int code, int reason_code, const char *message)
{
	char why[256];
	if (m->auto_version && m->version == MQTTVERSION_5 &&
	    (reason_code == MQTTREASONCODE_UNSUPPORTED_PROTOCOL_VERSION || code == 1 ||
	     port_answers(m->uri)))
		m->use_v311 = 1;
	snprintf(why, sizeof why, "%s (code %d%s)", message ? message : "connect failed", code,
		 m->use_v311 ? "; retrying with MQTT 3.1.1" : "");
	struct fsb_transport_event ev = {.type = FSB_TRANSPORT_CONNECT_FAILED, .reason = why};
	emit(m, &ev);
}

static void on_connect_failure5(void *context, MQTTAsync_failureData5 *r)
{
	connect_failed(context, r ? r->code : -1, r ? (int)r->reasonCode : 0, r ? r->message : NULL);
}

static void on_connect_failure(void *context, MQTTAsync_failureData *r)
{
	connect_failed(context, r ? r->code : -1, 0, r ? r->message : NULL);
}

static int on_message(void *context, char *topic, int topic_len, MQTTAsync_message *msg)
{
	struct fsb_transport *m = context;
	char *t = topic_len > 0 ? strndup(topic, (size_t)topic_len) : topic;
	struct fsb_transport_event ev = {
		.type = FSB_TRANSPORT_MESSAGE, .topic = t, .payload = msg->payload,
		.len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0, .retained = msg->retained,
	};
	char *response = NULL;
	if (m->version == MQTTVERSION_5) {
		MQTTProperty *p = MQTTProperties_getProperty(&msg->properties,
							     MQTTPROPERTY_CODE_RESPONSE_TOPIC);
		if (p && p->value.data.len > 0)
			ev.response_topic = response = strndup(p->value.data.data, (size_t)p->value.data.len);
		p = MQTTProperties_getProperty(&msg->properties, MQTTPROPERTY_CODE_CORRELATION_DATA);
		if (p && p->value.data.len > 0) {
			ev.correlation = (const uint8_t *)p->value.data.data;
			ev.correlation_len = (size_t)p->value.data.len;
		}
	}
	if (t)
		emit(m, &ev);
	free(response);
	if (t != topic)
		free(t);
	MQTTAsync_freeMessage(&msg);
	MQTTAsync_free(topic);
	return 1;
}

static void published(struct pub_ctx *pc, int ok, const char *why)
{
	struct fsb_transport_event ev = {.type = ok ? FSB_TRANSPORT_PUBLISHED : FSB_TRANSPORT_PUBLISH_FAILED,
				    .tag = pc->tag, .reason = why};
	emit(pc->m, &ev);
	free(pc);
}

static void on_pub_ok5(void *context, MQTTAsync_successData5 *r)
{
	(void)r;
	published(context, 1, NULL);
}

static void on_pub_fail5(void *context, MQTTAsync_failureData5 *r)
{
	published(context, 0, r && r->message ? r->message : "publish failed");
}

static void on_pub_ok(void *context, MQTTAsync_successData *r)
{
	(void)r;
	published(context, 1, NULL);
}

static void on_pub_fail(void *context, MQTTAsync_failureData *r)
{
	published(context, 0, r && r->message ? r->message : "publish failed");
}

static int make_client(struct fsb_transport *m, char *err, size_t errlen)
{
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
	co.MQTTVersion = m->version;
	co.sendWhileDisconnected = 0;
	char *uri = paho_uri(m->uri);
	int rc = uri ? MQTTAsync_createWithOptions(&m->client, uri, m->client_id,
						   MQTTCLIENT_PERSISTENCE_NONE, NULL, &co)
		     : MQTTASYNC_FAILURE;
	free(uri);
	if (rc != MQTTASYNC_SUCCESS) {
		snprintf(err, errlen, "cannot create an MQTT client for %s: %s", m->uri,
			 MQTTAsync_strerror(rc));
		m->client = NULL;
		return FSB_EIO;
	}
	MQTTAsync_setCallbacks(m->client, m, on_connection_lost, on_message, NULL);
	MQTTAsync_setConnected(m->client, m, on_connected);
	return 0;
}

int fsb_transport_create(const struct fsb_transport_opts *o, fsb_transport_fn fn, void *ctx,
		    struct fsb_transport **out, char *err, size_t errlen)
{
	*out = NULL;
	struct fsb_transport *m = calloc(1, sizeof *m);
	if (!m)
		return FSB_ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->uri = strdup(o->uri);
	m->client_id = strdup(o->client_id);
	m->tls_ca = dup_or_null(o->tls_ca);
	m->tls_cert = dup_or_null(o->tls_cert);
	m->tls_key = dup_or_null(o->tls_key);
	m->will_topic = dup_or_null(o->will_topic);
	m->will_payload = dup_or_null(o->will_payload);
	m->fn = fn;
	m->calling = o->calling;
	m->ctx = ctx;
	m->auto_version = o->mqtt_version == FSB_MQTT_AUTO;
	m->version = o->mqtt_version == FSB_MQTT_311 ? MQTTVERSION_3_1_1 : MQTTVERSION_5;
	/* Until a v5 broker says otherwise, the MQTT 5 minimum it may announce. */
	m->receive_max = m->version == MQTTVERSION_5 ? 20 : 65535;
	int rc = make_client(m, err, errlen);
	if (rc) {
		fsb_transport_destroy(m, 0);
		return rc;
	}
	*out = m;
	return 0;
}

static int connect_now(struct fsb_transport *m)
{
	char err[256];
	if (m->use_v311 && m->version == MQTTVERSION_5) {
		MQTTAsync_destroy(&m->client);
		m->version = MQTTVERSION_3_1_1;
		m->receive_max = 65535;
		if (make_client(m, err, sizeof err))
			return FSB_EIO;
	}
	int v5 = m->version == MQTTVERSION_5;
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_connectOptions co5 = MQTTAsync_connectOptions_initializer5;
	if (v5)
		co = co5;
	co.keepAliveInterval = KEEPALIVE_S;
	co.connectTimeout = 10;
	co.automaticReconnect = 1;
	co.minRetryInterval = 1;
	co.maxRetryInterval = 8;
	co.context = m;
	MQTTProperties props = MQTTProperties_initializer;
	if (v5) {
		co.cleanstart = 0;
		MQTTProperty p = {.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL};
		p.value.integer4 = SESSION_EXPIRY_S;
		MQTTProperties_add(&props, &p);
		co.connectProperties = &props;
		co.onSuccess5 = on_connect_success5;
		co.onFailure5 = on_connect_failure5;
	} else {
		co.cleansession = 0;
		co.onFailure = on_connect_failure;
	}
	MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
	if (m->will_topic) {
		will.topicName = m->will_topic;
		will.message = m->will_payload;
		will.retained = 1;
		will.qos = 1;
		co.will = &will;
	}
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	if (m->tls_ca || strncmp(m->uri, "ssl://", 6) == 0 || strncmp(m->uri, "mqtts://", 8) == 0) {
		ssl.trustStore = m->tls_ca;
		ssl.keyStore = m->tls_cert;
		ssl.privateKey = m->tls_key;
		ssl.enableServerCertAuth = 1;
		ssl.verify = 1;
		co.ssl = &ssl;
	}
	int rc = MQTTAsync_connect(m->client, &co);
	MQTTProperties_free(&props);
	if (rc != MQTTASYNC_SUCCESS) {
		connect_failed(m, rc, 0, MQTTAsync_strerror(rc));
		return FSB_EIO;
	}
	return 0;
}

int fsb_transport_connect(struct fsb_transport *m)
{
	int put_off = calling(m, 1); /* goes on regardless */
	int rc = connect_now(m);
	if (!put_off)
		calling(m, 0);
	return rc;
}

/* Keeps a copy of filter in list, applied on every connect, and applies
 * it now when connected. */
static int keep_filter(struct fsb_transport *m, char **list, int *n, const char *filter,
		       void (*apply)(struct fsb_transport *, const char *))
{
	int put_off = calling(m, 1); /* goes on regardless */
	pthread_mutex_lock(&m->lock);
	int rc = *n == MAX_FILTERS ? FSB_EINVAL : (list[*n] = strdup(filter)) ? 0 : FSB_ENOMEM;
	if (rc == 0) {
		(*n)++;
		if (m->connected)
			apply(m, filter);
	}
	pthread_mutex_unlock(&m->lock);
	if (!put_off)
		calling(m, 0);
	return rc;
}

int fsb_transport_subscribe(struct fsb_transport *m, const char *filter)
{
	return keep_filter(m, m->filters, &m->n_filters, filter, subscribe_one);
}

int fsb_transport_forget(struct fsb_transport *m, const char *filter)
{
	return keep_filter(m, m->forgotten, &m->n_forgotten, filter, unsubscribe_one);
}

static int publish_now(struct fsb_transport *m, const char *topic, const void *data, size_t len,
		       int retain, uint64_t tag, const struct fsb_transport_reply *reply)
{
	if (!fsb_transport_is_connected(m))
		return FSB_EIO;
	struct pub_ctx *pc = malloc(sizeof *pc);
	if (!pc)
		return FSB_ENOMEM;
	pc->m = m;
	pc->tag = tag;
	MQTTAsync_message msg = MQTTAsync_message_initializer;
	msg.payload = (void *)data;
	msg.payloadlen = (int)len;
	msg.qos = 1;
	msg.retained = retain;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	ro.context = pc;
	if (m->version == MQTTVERSION_5) {
		ro.onSuccess5 = on_pub_ok5;
		ro.onFailure5 = on_pub_fail5;
		if (reply && reply->correlation) {
			MQTTProperty p = {.identifier = MQTTPROPERTY_CODE_CORRELATION_DATA};
			p.value.data.data = (char *)reply->correlation;
			p.value.data.len = (int)reply->correlation_len;
			MQTTProperties_add(&msg.properties, &p);
		}
	} else {
		ro.onSuccess = on_pub_ok;
		ro.onFailure = on_pub_fail;
	}
	int rc = MQTTAsync_sendMessage(m->client, topic, &msg, &ro);
	MQTTProperties_free(&msg.properties);
	if (rc != MQTTASYNC_SUCCESS) {
		free(pc);
		return FSB_EIO;
	}
	return 0;
}

int fsb_transport_publish(struct fsb_transport *m, const char *topic, const void *data, size_t len,
		     int retain, uint64_t tag, const struct fsb_transport_reply *reply)
{
	if (calling(m, 1))
		return FSB_EOVERLOAD;
	int rc = publish_now(m, topic, data, len, retain, tag, reply);
	calling(m, 0);
	return rc;
}

void fsb_transport_destroy(struct fsb_transport *m, int timeout_ms)
{
	if (!m)
		return;
	int put_off = calling(m, 1); /* goes on regardless */
	if (m->client) {
		if (MQTTAsync_isConnected(m->client)) {
			MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
			d.timeout = timeout_ms;
			MQTTAsync_disconnect(m->client, &d);
			for (int i = 0; i < timeout_ms / 10 && MQTTAsync_isConnected(m->client); i++) {
				struct timespec ts = {0, 10 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		}
		MQTTAsync_destroy(&m->client);
	}
	if (!put_off)
		calling(m, 0);
	for (int i = 0; i < m->n_filters; i++)
		free(m->filters[i]);
	for (int i = 0; i < m->n_forgotten; i++)
		free(m->forgotten[i]);
	free(m->uri);
	free(m->client_id);
	free(m->tls_ca);
	free(m->tls_cert);
	free(m->tls_key);
	free(m->will_topic);
	free(m->will_payload);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
