/* attacker.c - the hostile client of the attack suite (see attacker.h). */
#include "attacker.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/helpers.h"
#include "format.h"
#include "seal.h"
#include "sign.h"
#include "transport.h"

#define EXAMPLE EXAMPLES_DIR "/recall-rice-labelling-class3-longan.json"

struct atk {
	struct fsb_transport *m;
	pthread_mutex_t lock;
	int connected;
	uint64_t sent, acked, heard, heard_bytes, tag;
};

static void on_event(void *ctx, const struct fsb_transport_event *ev)
{
	struct atk *a = ctx;
	pthread_mutex_lock(&a->lock);
	switch (ev->type) {
	case FSB_TRANSPORT_CONNECTED: a->connected = 1; break;
	case FSB_TRANSPORT_PUBLISHED:
	case FSB_TRANSPORT_PUBLISH_FAILED: a->acked++; break;
	case FSB_TRANSPORT_MESSAGE:
		a->heard++;
		a->heard_bytes += ev->len;
		break;
	default: break;
	}
	pthread_mutex_unlock(&a->lock);
}

static struct atk *connect_with(const struct fsb_transport_opts *o)
{
	struct atk *a = calloc(1, sizeof *a);
	char err[256];
	pthread_mutex_init(&a->lock, NULL);
	cr_assert_eq(fsb_transport_create(o, on_event, a, &a->m, err, sizeof err), 0, "%s", err);
	cr_assert_eq(fsb_transport_connect(a->m), 0);
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&a->lock);
		int up = a->connected;
		pthread_mutex_unlock(&a->lock);
		if (up)
			return a;
		h_sleep_ms(10);
	}
	cr_assert_fail("the attacker could not connect to %s", o->uri);
	return NULL;
}

struct atk *atk_tls(const struct broker *b, const char *pki, const char *origin)
{
	char uri[64], ca[200], crt[200], key[200], id[64];
	snprintf(uri, sizeof uri, "ssl://127.0.0.1:%d", b->tls_port);
	snprintf(ca, sizeof ca, "%s/ca.crt", pki);
	snprintf(crt, sizeof crt, "%s/%s-client.crt", pki, origin);
	snprintf(key, sizeof key, "%s/%s-client.key", pki, origin);
	snprintf(id, sizeof id, "attacker-%s-%d", origin, rand());
	struct fsb_transport_opts o = {.uri = uri, .client_id = id, .tls_ca = ca, .tls_cert = crt,
				  .tls_key = key};
	return connect_with(&o);
}

struct atk *atk_open(const struct broker *b)
{
	char uri[64], id[64];
	cr_assert(b->open_port, "the broker has no open listener");
	snprintf(uri, sizeof uri, "tcp://127.0.0.1:%d", b->open_port);
	snprintf(id, sizeof id, "attacker-anonymous-%d", rand());
	struct fsb_transport_opts o = {.uri = uri, .client_id = id};
	return connect_with(&o);
}

void atk_publish(struct atk *a, const char *topic, const void *data, size_t len, int retain)
{
	uint64_t window = (uint64_t)fsb_transport_max_inflight(a->m);
	if (window > 20)
		window = 20;
	for (int i = 0; i < 30000; i++) {
		pthread_mutex_lock(&a->lock);
		int room = a->sent - a->acked < window;
		pthread_mutex_unlock(&a->lock);
		if (room)
			break;
		h_sleep_ms(1);
	}
	pthread_mutex_lock(&a->lock);
	uint64_t tag = ++a->tag;
	a->sent++;
	pthread_mutex_unlock(&a->lock);
	cr_assert_eq(fsb_transport_publish(a->m, topic, data, len, retain, tag, NULL), 0,
		     "the attacker lost its connection publishing on %s", topic);
}

void atk_drain(struct atk *a)
{
	for (int i = 0; i < 6000; i++) {
		pthread_mutex_lock(&a->lock);
		int done = a->acked >= a->sent;
		pthread_mutex_unlock(&a->lock);
		if (done)
			return;
		h_sleep_ms(10);
	}
	cr_assert_fail("the broker did not acknowledge the attacker's messages");
}

void atk_listen(struct atk *a, const char *filter)
{
	cr_assert_eq(fsb_transport_subscribe(a->m, filter), 0);
	h_sleep_ms(300); /* the SUBACK */
}

uint64_t atk_heard(struct atk *a, uint64_t *bytes)
{
	pthread_mutex_lock(&a->lock);
	uint64_t n = a->heard;
	if (bytes)
		*bytes = a->heard_bytes;
	pthread_mutex_unlock(&a->lock);
	return n;
}

void atk_close(struct atk *a)
{
	if (!a)
		return;
	fsb_transport_destroy(a->m, 1000);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* The example recall as a message with this reference and `pad` bytes of
 * advice (over the 8 KiB a sealed message may carry: content rules are a
 * receiver's warning, not a decoding failure). */
static struct fsb_message *example(const char *reference, size_t pad)
{
	size_t len;
	char *text = th_read(EXAMPLE, &len);
	char *cat = strstr(text, "\"category\"");
	char *reason = strstr(text, "\"reason\":");
	cr_assert(cat && reason && cat < reason);
	char *doc = malloc(len + pad + 512);
	size_t o = (size_t)(cat - text);
	memcpy(doc, text, o);
	o += (size_t)sprintf(doc + o, "\"reference\": \"%s\", ", reference);
	size_t mid = (size_t)(reason - cat);
	memcpy(doc + o, cat, mid);
	o += mid;
	if (pad) {
		o += (size_t)sprintf(doc + o, "\"advice\": \"");
		memset(doc + o, 'x', pad);
		o += pad;
		o += (size_t)sprintf(doc + o, "\", ");
	}
	size_t rest = len - (size_t)(reason - text);
	memcpy(doc + o, reason, rest);
	o += rest;
	struct fsb_message *m = NULL;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	int rc = fsb_message_from_json(doc, o, FSB_KIND_NONE, &m, &errs);
	th_dump_errors(&errs);
	cr_assert_eq(rc, 0);
	free(doc);
	free(text);
	return m;
}

/* Stamps and packs the example as origin:seq; the payload, malloc'd. */
static uint8_t *payload_of(const char *origin, uint64_t seq, const uint8_t *prev, int64_t issued_ms,
			   const char *reference, size_t pad, size_t *len)
{
	struct fsb_message *m = example(reference, pad);
	char when[FSB_TIME_MAX + 1];
	fsb_fmt_time(issued_ms, when);
	struct fsb_stamp st = {.origin = origin, .seq = seq, .issued_at = when};
	if (prev)
		memcpy(st.prev_hash, prev, FSB_HASH_LEN);
	cr_assert_eq(fsb_message_stamp(m, &st), 0);
	uint8_t *p;
	cr_assert_eq(fsb_message_pack(m, &p, len), 0);
	fsb_message_free(m);
	return p;
}

static struct fsb_signer *signer(const char *pki, const char *key)
{
	char k[256], c[256], err[256];
	snprintf(k, sizeof k, "%s/%s.key", pki, key);
	snprintf(c, sizeof c, "%s/%s.crt", pki, key);
	struct fsb_signer *s;
	cr_assert_eq(fsb_signer_open(k, c, &s, err, sizeof err), 0, "%s", err);
	return s;
}

static uint8_t *wrap(const uint8_t *payload, size_t plen, const uint8_t *sig, size_t sig_len,
		     const uint8_t *cert, size_t cert_len, size_t *len)
{
	struct fsb_envelope e = {(uint8_t *)payload, plen, (uint8_t *)sig, sig_len, (uint8_t *)cert,
				 cert_len};
	uint8_t *env;
	cr_assert_eq(fsb_envelope_pack(&e, &env, len), 0);
	return env;
}

uint8_t *atk_message(const char *pki, const char *key, const char *origin, uint64_t seq,
		     const uint8_t *prev, int64_t issued_ms, const char *reference, size_t pad,
		     size_t *len, uint8_t hash[FSB_HASH_LEN])
{
	size_t plen, sig_len, cert_len;
	uint8_t *p = payload_of(origin, seq, prev, issued_ms, reference, pad, &plen);
	if (hash)
		fsb_sign_sha256(p, plen, hash);
	struct fsb_signer *s = signer(pki, key);
	uint8_t sig[FSB_SIG_MAX];
	cr_assert_eq(fsb_signer_sign(s, FSB_DOMAIN_MESSAGE, p, plen, sig, &sig_len), 0);
	const uint8_t *cert = fsb_signer_cert(s, &cert_len);
	uint8_t *env = wrap(p, plen, sig, sig_len, cert, cert_len, len);
	fsb_signer_close(s);
	free(p);
	return env;
}

uint8_t *atk_forged(const char *pki, const char *key, const char *origin, uint64_t seq,
		    size_t pad, size_t *len)
{
	size_t plen, sig_len, cert_len;
	char ref[64];
	snprintf(ref, sizeof ref, "FORGED-%llu", (unsigned long long)seq);
	uint8_t *p = payload_of(origin, seq, NULL, fsb_fmt_now_ms(), ref, pad, &plen);
	struct fsb_signer *s = signer(pki, key);
	/* A signature of some other bytes: well formed, and wrong. */
	uint8_t sig[FSB_SIG_MAX];
	cr_assert_eq(fsb_signer_sign(s, FSB_DOMAIN_MESSAGE, (const uint8_t *)"other", 5, sig, &sig_len), 0);
	const uint8_t *cert = fsb_signer_cert(s, &cert_len);
	uint8_t *env = wrap(p, plen, sig, sig_len, cert, cert_len, len);
	fsb_signer_close(s);
	free(p);
	return env;
}

void atk_split(struct atk *a, const char *pki, const char *origin, const char *tag, const char *to_a,
	       const char *to_b, char a16[17], char b16[17])
{
	const char *to[2] = {to_a, to_b};
	char *hex[2] = {a16, b16};
	for (int v = 0; v < 2; v++) {
		char ref[64], topic[128];
		uint8_t h[FSB_HASH_LEN];
		size_t len;
		snprintf(ref, sizeof ref, "%s-%c", tag, 'A' + v);
		uint8_t *env = atk_message(pki, origin, origin, 1, NULL, fsb_fmt_now_ms(), ref, 0, &len, h);
		snprintf(topic, sizeof topic, "foodsafety/v1/%s/resend/%s", origin, to[v]);
		atk_publish(a, topic, env, len, 0);
		free(env);
		for (int i = 0; i < 8; i++)
			sprintf(hex[v] + 2 * i, "%02x", h[i]);
	}
	atk_drain(a);
}

uint8_t *atk_control(const char *pki, const char *key, const struct fsb_control *c, size_t *len)
{
	struct fsb_signer *s = signer(pki, key);
	uint8_t *env;
	cr_assert_eq(fsb_seal_control(s, c, &env, len), 0);
	fsb_signer_close(s);
	return env;
}
