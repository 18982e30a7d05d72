/* ceilings.c - what the machine and the libraries can do at best, measured
 * in the same run as fsbridge itself (make bench), so that every fsbridge
 * figure can be given as a ratio to one of these.
 *
 *   ceilings crypto SECONDS                  ECDSA P-256 sign/verify, SHA-256
 *   ceilings verify SECONDS                  ECDSA P-256 verify only (run two at
 *                                            once for what both cores can do)
 *   ceilings lmdb DIR VALUE_BYTES COUNT BATCH  durable batched appends
 *   ceilings mqtt URI CA PUB_CERT PUB_KEY SUB_CERT SUB_KEY TOPIC BYTES COUNT
 *                                            one publisher, one subscriber, QoS 1
 *   ceilings httpd PORT BYTES                libmicrohttpd, set up as fsbridge
 *                                            serve is (one polling thread),
 *                                            answering every GET with the same
 *                                            page of BYTES, on 127.0.0.1:PORT
 *                                            until SIGTERM (httpload measures)
 *
 * Each prints "name value" lines. The crypto figures are on one core (one
 * thread). The libraries are called directly: this program measures them,
 * not fsbridge, so it does not go through fsbridge's modules.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>
#include <arpa/inet.h>
#include <lmdb.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "ceilings: %s failed (%d)\n", what, rc);
	exit(1);
}

/* ---- crypto ------------------------------------------------------------ */

static int crypto(double secs, int verify_only)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&key);
	int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
	if (rc)
		die("ctr_drbg_seed", rc);
	if ((rc = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) ||
	    (rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
				      mbedtls_ctr_drbg_random, &drbg)))
		die("P-256 key generation", rc);

	/* What fsbridge signs: SHA-256 of prefix + payload; the digest is what
	 * the ECDSA operation sees, whatever the payload size. */
	uint8_t hash[32];
	uint8_t payload[1024];
	memset(payload, 'x', sizeof payload);
	mbedtls_sha256_ret(payload, sizeof payload, hash, 0);
	unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t sig_len = 0;

	/* Signing is timed unless only verification is asked for; either way
	 * the last signature is what verification checks. */
	long n = 0;
	double t0 = now_s(), t;
	do {
		hash[0] = (uint8_t)n; /* a different message each time */
		if ((rc = mbedtls_pk_sign(&key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, &sig_len,
					  mbedtls_ctr_drbg_random, &drbg)))
			die("pk_sign", rc);
		n++;
	} while (!verify_only && (t = now_s() - t0) < secs);
	if (!verify_only)
		printf("sign_per_s %.1f\n", n / t);

	n = 0;
	t0 = now_s();
	do {
		if ((rc = mbedtls_pk_verify(&key, MBEDTLS_MD_SHA256, hash, sizeof hash, sig,
					    sig_len)))
			die("pk_verify", rc);
		n++;
	} while ((t = now_s() - t0) < secs);
	printf("verify_per_s %.1f\n", n / t);
	if (verify_only)
		goto out;

	size_t big = 1 << 20;
	uint8_t *buf = malloc(big);
	if (!buf)
		die("malloc", 0);
	memset(buf, 0x5a, big);
	n = 0;
	t0 = now_s();
	do {
		mbedtls_sha256_ret(buf, big, hash, 0);
		n++;
	} while ((t = now_s() - t0) < secs);
	printf("sha256_mb_per_s %.1f\n", n * (big / 1e6) / t);
	free(buf);
out:
	mbedtls_pk_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return 0;
}

/* ---- LMDB -------------------------------------------------------------- */

/* Appends COUNT values of VALUE_BYTES under increasing 8-byte keys, BATCH
 * per durable (fsync'd) commit: the best a log on this disk can do. */
static int lmdb(const char *dir, size_t value_bytes, long count, long batch)
{
	mkdir(dir, 0700);
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *txn;
	int rc;
	if ((rc = mdb_env_create(&env)) ||
	    (rc = mdb_env_set_mapsize(env, (size_t)(count * (value_bytes + 64) * 2 + (64 << 20)))) ||
	    (rc = mdb_env_open(env, dir, 0, 0600)))
		die("mdb_env_open", rc);
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) || (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) ||
	    (rc = mdb_txn_commit(txn)))
		die("mdb_dbi_open", rc);
	uint8_t *value = malloc(value_bytes);
	memset(value, 0xa5, value_bytes);
	double t0 = now_s();
	for (long i = 0; i < count;) {
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)))
			die("mdb_txn_begin", rc);
		for (long k = 0; k < batch && i < count; k++, i++) {
			uint64_t be = __builtin_bswap64((uint64_t)i);
			MDB_val kv = {sizeof be, &be}, vv = {value_bytes, value};
			if ((rc = mdb_put(txn, dbi, &kv, &vv, MDB_APPEND)))
				die("mdb_put", rc);
		}
		if ((rc = mdb_txn_commit(txn)))
			die("mdb_txn_commit", rc);
	}
	double t = now_s() - t0;
	printf("lmdb_appends_per_s %.1f\n", count / t);
	free(value);
	mdb_env_close(env);
	return 0;
}

/* ---- MQTT -------------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int connected, failed, inflight, receive_max = 20;
static long received, acked;

/* ctx is non-NULL for the publisher, whose broker's Receive Maximum is
 * the window to publish within. */
static void on_conn5(void *ctx, MQTTAsync_successData5 *r)
{
	pthread_mutex_lock(&mu);
	MQTTProperty *p = r ? MQTTProperties_getProperty(&r->properties,
							 MQTTPROPERTY_CODE_RECEIVE_MAXIMUM)
			    : NULL;
	if (p && p->value.integer2 > 0 && ctx)
		receive_max = p->value.integer2;
	connected++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void on_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
	(void)ctx;
	fprintf(stderr, "ceilings: MQTT: %s (%d)\n", r && r->message ? r->message : "failed",
		r ? r->code : 0);
	pthread_mutex_lock(&mu);
	failed = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void on_sub5(void *ctx, MQTTAsync_successData5 *r)
{
	(void)ctx;
	(void)r;
	pthread_mutex_lock(&mu);
	connected++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int on_message(void *ctx, char *topic, int len, MQTTAsync_message *m)
{
	(void)ctx;
	(void)len;
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	pthread_mutex_lock(&mu);
	received++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return 1;
}

static void on_pub5(void *ctx, MQTTAsync_successData5 *r)
{
	(void)ctx;
	(void)r;
	pthread_mutex_lock(&mu);
	inflight--;
	acked++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void wait_for(int *counter, int want)
{
	pthread_mutex_lock(&mu);
	while (*counter < want && !failed)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	if (failed)
		exit(1);
}

static MQTTAsync client(const char *uri, const char *id, const char *ca, const char *cert,
			const char *key, int pub)
{
	MQTTAsync c;
	MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
	int rc = MQTTAsync_createWithOptions(&c, uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
	if (rc != MQTTASYNC_SUCCESS)
		die("MQTTAsync_create", rc);
	MQTTAsync_setCallbacks(c, NULL, NULL, pub ? NULL : on_message, NULL);
	MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer5;
	MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
	o.cleanstart = 1;
	o.keepAliveInterval = 30;
	o.onSuccess5 = on_conn5;
	o.onFailure5 = on_fail5;
	o.context = pub ? (void *)1 : NULL;
	if (strncmp(uri, "ssl://", 6) == 0) {
		ssl.trustStore = ca;
		ssl.keyStore = cert;
		ssl.privateKey = key;
		ssl.enableServerCertAuth = 1;
		ssl.verify = 1;
		o.ssl = &ssl;
	}
	int before = connected;
	if ((rc = MQTTAsync_connect(c, &o)) != MQTTASYNC_SUCCESS)
		die("MQTTAsync_connect", rc);
	wait_for(&connected, before + 1);
	return c;
}

/* Publishes COUNT messages of BYTES at QoS 1 within the broker's Receive
 * Maximum, as fsbridge does, and times until the subscriber has them all. */
static int mqtt(char **a)
{
	const char *uri = a[0], *ca = a[1], *topic = a[6];
	size_t bytes = strtoul(a[7], NULL, 10);
	long count = strtol(a[8], NULL, 10);
	MQTTAsync sub = client(uri, "bench-ceiling-sub", ca, a[4], a[5], 0);
	MQTTAsync_responseOptions so = MQTTAsync_responseOptions_initializer;
	so.onSuccess5 = on_sub5;
	so.onFailure5 = on_fail5;
	int before = connected;
	int rc = MQTTAsync_subscribe(sub, topic, 1, &so);
	if (rc != MQTTASYNC_SUCCESS)
		die("MQTTAsync_subscribe", rc);
	wait_for(&connected, before + 1);
	MQTTAsync pub = client(uri, "bench-ceiling-pub", ca, a[2], a[3], 1);

	char *payload = malloc(bytes);
	memset(payload, 'p', bytes);
	double t0 = now_s();
	for (long i = 0; i < count; i++) {
		pthread_mutex_lock(&mu);
		while (inflight >= receive_max && !failed)
			pthread_cond_wait(&cv, &mu);
		inflight++;
		pthread_mutex_unlock(&mu);
		MQTTAsync_message m = MQTTAsync_message_initializer;
		MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
		ro.onSuccess5 = on_pub5;
		ro.onFailure5 = on_fail5;
		m.payload = payload;
		m.payloadlen = (int)bytes;
		m.qos = 1;
		while ((rc = MQTTAsync_sendMessage(pub, topic, &m, &ro)) != MQTTASYNC_SUCCESS) {
			if (rc != MQTTASYNC_MAX_BUFFERED_MESSAGES)
				die("MQTTAsync_sendMessage", rc);
			usleep(100);
		}
	}
	pthread_mutex_lock(&mu);
	while ((received < count || acked < count) && !failed)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	double t = now_s() - t0;
	printf("mqtt_qos1_per_s %.1f\n", count / t);
	printf("mqtt_receive_max %d\n", receive_max);
	MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
	MQTTAsync_disconnect(pub, &d);
	MQTTAsync_disconnect(sub, &d);
	usleep(100000);
	MQTTAsync_destroy(&pub);
	MQTTAsync_destroy(&sub);
	free(payload);
	return 0;
}

/* ---- libmicrohttpd, a fixed page ------------------------------------------- */

static enum MHD_Result fixed_page(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	(void)url;
	(void)version;
	(void)upload;
	(void)upload_len;
	static char headers_read;
	if (strcmp(method, "GET") != 0)
		return MHD_NO;
	/* answered on the second call, as fsbridge serve does, so that the
	 * connection is kept alive */
	if (!*state) {
		*state = &headers_read;
		return MHD_YES;
	}
	return MHD_queue_response(c, MHD_HTTP_OK, cls);
}

static int httpd(unsigned port, size_t bytes)
{
	char *page = malloc(bytes + 1);
	if (!page || port == 0 || port > 65535)
		return 1;
	memset(page, 'x', bytes);
	struct MHD_Response *r =
		MHD_create_response_from_buffer(bytes, page, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO,
						(uint16_t)port, NULL, NULL, fixed_page, r,
						MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
						MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "ceilings: cannot listen on 127.0.0.1:%u\n", port);
		return 1;
	}
	printf("listening %u\n", port);
	int sig;
	sigwait(&stop, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(r);
	free(page);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "crypto") == 0)
		return crypto(atof(argv[2]), 0);
	if (argc == 3 && strcmp(argv[1], "verify") == 0)
		return crypto(atof(argv[2]), 1);
	if (argc == 6 && strcmp(argv[1], "lmdb") == 0)
		return lmdb(argv[2], strtoul(argv[3], NULL, 10), strtol(argv[4], NULL, 10),
			    strtol(argv[5], NULL, 10));
	if (argc == 11 && strcmp(argv[1], "mqtt") == 0)
		return mqtt(argv + 2);
	if (argc == 4 && strcmp(argv[1], "httpd") == 0)
		return httpd((unsigned)strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: ceilings crypto|verify SECONDS | lmdb DIR VALUE_BYTES COUNT BATCH |\n"
			"       mqtt URI CA PUB_CERT PUB_KEY SUB_CERT SUB_KEY TOPIC BYTES COUNT |\n"
			"       httpd PORT BYTES\n");
	return 2;
}
