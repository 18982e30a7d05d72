/* cmd_trust.c - `fsbridge trust publish-crl -c FILE CRL`: hand a newer CRL
 * to the exchange.
 *
 * The CRL is checked first as a node would check it (a trusted CA of the
 * configuration signed it, and it is not older than the CRL the
 * configuration holds), then published retained, as DER, on
 * foodsafety/v1/{origin}/crl with the node's own TLS identity. Every node
 * takes it from there (PROTOCOL.md, "Revocation over the exchange"): a CRL
 * is authentic by its CA's signature, whoever hands it on.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "format.h"
#include "sign.h"
#include "topic.h"
#include "transport.h"

#define PUBLISH_TIMEOUT_MS 15000

static void usage(FILE *out)
{
	fprintf(out, "usage: fsbridge trust publish-crl -c FILE CRL\n"
		     "\n"
		     "Checks CRL (PEM or DER) against the CAs of the node configuration FILE\n"
		     "and publishes it, retained, on foodsafety/v1/{origin}/crl through the\n"
		     "exchange broker; every node adopts it within seconds when it is newer\n"
		     "(a higher CRL number) than the one it holds.\n");
}

/* What the broker said, from Paho's thread. */
struct wait {
	pthread_mutex_t lock;
	int connected, published, failed;
	char why[200];
};

static void on_event(void *ctx, const struct fsb_transport_event *ev)
{
	struct wait *w = ctx;
	pthread_mutex_lock(&w->lock);
	if (ev->type == FSB_TRANSPORT_CONNECTED)
		w->connected = 1;
	else if (ev->type == FSB_TRANSPORT_PUBLISHED)
		w->published = 1;
	else if (ev->type == FSB_TRANSPORT_CONNECT_FAILED || ev->type == FSB_TRANSPORT_PUBLISH_FAILED) {
		w->failed = 1;
		snprintf(w->why, sizeof w->why, "%s", ev->reason ? ev->reason : "refused");
	}
	pthread_mutex_unlock(&w->lock);
}

/* Waits until *flag (or a failure) is set, up to the deadline; 0 when set. */
static int wait_for(struct wait *w, int *flag, int64_t deadline)
{
	for (;;) {
		pthread_mutex_lock(&w->lock);
		int done = *flag, failed = w->failed;
		pthread_mutex_unlock(&w->lock);
		if (done)
			return 0;
		if (failed || fsb_fmt_now_ms() > deadline)
			return -1;
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* Checks the CRL against the configuration's trust; its DER into *der. */
static int check_crl(const struct fsb_config *c, const char *path, const char *text, size_t len,
		     uint8_t **der, size_t *der_len, struct fsb_crl_info *info)
{
	struct fsb_trust *t = NULL;
	char err[512];
	int rc = fsb_trust_open_files(c->ca_files, c->crl_files, c->n_ca, &t, err, sizeof err);
	if (rc) {
		fprintf(stderr, "fsbridge trust publish-crl: %s\n", err);
		return rc;
	}
	rc = fsb_trust_offer_crl(t, (const uint8_t *)text, len, info, err, sizeof err);
	if (rc == 0) {
		/* Not newer than the file's: the same one is worth handing on,
		 * an older one never. */
		for (size_t i = 0; i < fsb_trust_n_anchors(t); i++) {
			struct fsb_crl_info held;
			size_t n;
			if (fsb_trust_crl(t, i, &n, &held) && strcmp(held.issuer, info->issuer) == 0 &&
			    held.number > info->number) {
				snprintf(err, sizeof err, "CRL number %llu is older than the %llu this node holds",
					 (unsigned long long)info->number, (unsigned long long)held.number);
				rc = FSB_EINVAL;
			}
		}
	}
	if (rc < 0)
		fprintf(stderr, "fsbridge trust publish-crl: %s: %s\n", path, err);
	else if ((rc = fsb_sign_crl_der((const uint8_t *)text, len, der, der_len)))
		fprintf(stderr, "fsbridge trust publish-crl: %s: not one CRL\n", path);
	fsb_trust_close(t);
	return rc < 0 ? rc : 0;
}

static int publish(const struct fsb_config *c, const uint8_t *der, size_t len)
{
	struct wait w = {.lock = PTHREAD_MUTEX_INITIALIZER};
	char id[300], topic[FSB_TOPIC_MAX], err[512];
	/* Its own client id: the node's would take the running node's session. */
	snprintf(id, sizeof id, "%s-crl", c->exchange_client_id);
	struct fsb_transport_opts o = {.uri = c->exchange_uri, .client_id = id, .tls_ca = c->tls_ca,
				  .tls_cert = c->tls_cert, .tls_key = c->tls_key};
	struct fsb_transport *m = NULL;
	int rc = fsb_transport_create(&o, on_event, &w, &m, err, sizeof err);
	if (rc) {
		fprintf(stderr, "fsbridge trust publish-crl: %s\n", err);
		return rc;
	}
	int64_t deadline = fsb_fmt_now_ms() + PUBLISH_TIMEOUT_MS;
	fsb_topic_control(topic, c->origin, FSB_TOPIC_CRL);
	if (fsb_transport_connect(m) || wait_for(&w, &w.connected, deadline) ||
	    fsb_transport_publish(m, topic, der, len, 1, 1, NULL) || wait_for(&w, &w.published, deadline)) {
		fprintf(stderr, "fsbridge trust publish-crl: cannot publish on %s through %s: %s\n", topic,
			c->exchange_uri, w.why[0] ? w.why : "no answer from the broker");
		rc = FSB_EIO;
	}
	fsb_transport_destroy(m, 2000);
	if (rc == 0)
		printf("published on %s (retained)\n", topic);
	return rc;
}

int fsb_cmd_trust(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "publish-crl") != 0) {
		fprintf(stderr, "fsbridge trust: expected 'trust publish-crl'\n");
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	struct fsb_cli_cmd cmd = {.name = "trust publish-crl", .source = FSB_CLI_CONFIG,
				  .usage = usage, .min_operands = 1, .max_operands = 1,
				  .missing = "give one CRL file"};
	int rc = fsb_cli_parse(&cmd, argc - 1, argv + 1);
	if (rc >= 0)
		return rc;
	const char *path = argv[1 + optind];
	struct fsb_config cfg;
	char *text = NULL;
	size_t len = 0;
	uint8_t *der = NULL;
	size_t der_len = 0;
	struct fsb_crl_info info;
	rc = fsb_cli_load_config(cmd.config_path, &cfg);
	if (rc == 0 && (rc = fsb_cli_read_file(path, cfg.max_message_bytes, &text, &len)))
		fprintf(stderr, "fsbridge trust publish-crl: %s: %s\n", path,
			rc == FSB_ETOOBIG ? "larger than [limits] max_message_bytes" : strerror(errno));
	if (rc == 0)
		rc = check_crl(&cfg, path, text, len, &der, &der_len, &info);
	if (rc == 0)
		printf("CRL number %llu of CA \"%s\", %zu revoked\n", (unsigned long long)info.number,
		       info.issuer, info.revoked);
	if (rc == 0)
		rc = publish(&cfg, der, der_len);
	free(der);
	free(text);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
