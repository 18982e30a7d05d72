/* config.h - the node configuration file (INI; README, "Node configuration").
 *
 * Lifecycle: fsb_config_init → fsb_config_read (syntax and each value,
 * errors as FILE:LINE) → fsb_config_check (required keys and keys that go
 * together, errors as FILE: [section] key) → use → fsb_config_cleanup.
 * Every string is a copy owned by the struct; paths are made absolute,
 * relative ones taken from the configuration file's directory.
 */
#ifndef FSB_CONFIG_H
#define FSB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FSB_CONFIG_ERR_MAX 512

struct fsb_config {
	char *path;         /* the file read, absolute */

	char *origin;       /* [node] origin: this node's slug */
	char *data_dir;     /* [node] data_dir: the LMDB environment */
	char *unit;         /* [node] unit: the issuing unit `fsbridge ack` names, or NULL */

	char *key_path;     /* [signing] key: PEM private key, mode 0600 */
	char *cert_path;    /* [signing] cert: PEM certificate naming origin */

	char **ca_files;    /* [trust] ca: one or more CA certificate files */
	char **crl_files;   /* [trust] crl: one per CA; NULL entry = "none" */
	size_t n_ca;
	size_t n_crl;       /* entries in crl_files (0: key absent) */
	int64_t max_clock_skew_ms; /* [trust] max_clock_skew, seconds in the file */

	char *exchange_uri;       /* [exchange] uri */
	char *exchange_client_id; /* [exchange] client_id */
	int exchange_mqtt_version; /* [exchange] mqtt_version: 0 auto, 5, or 4 (3.1.1) */
	char *tls_ca;             /* [exchange] tls_ca, tls_cert, tls_key: optional */
	char *tls_cert;
	char *tls_key;

	char *local_uri;    /* [local] uri */
	char *local_root;   /* [local] root: topic root for submissions and inbox */

	size_t max_message_bytes; /* [limits] max_message_bytes */
	size_t inbound_bytes;     /* [limits] inbound_bytes: exchange messages waiting for the loop */
	int64_t inbound_wait_ms;  /* [limits] inbound_wait: how long a full queue holds the broker
				   * back, seconds in the file (0: dropped at once) */
	size_t reorder_bytes;     /* [limits] reorder_bytes: received messages waiting for their turn */
	size_t reorder_stream_bytes; /* [limits] reorder_stream_bytes: the same, one stream */
	size_t max_streams;       /* [limits] max_streams: origins held at once */
	size_t reject_bytes;      /* [limits] reject_bytes: rejects kept on disk */

	size_t resend_per_second;       /* [sync] resend_per_second: per requester */
	size_t resend_bytes_per_second; /* [sync] resend_bytes_per_second: per requester */
	int64_t resend_memory_ms;       /* [sync] resend_memory, seconds in the file */
	size_t resend_jobs;             /* [sync] resend_jobs: ranges re-sent at once, all requesters */

	int64_t ack_alert_ms; /* [cases] acknowledge_alert: due time of an acknowledgement of a
			       * class I recall or an alert, seconds in the file */
	int64_t ack_other_ms; /* [cases] acknowledge_other: of anything else that calls for action */

	char *http_listen;          /* [http] listen: HOST:PORT of `fsbridge serve`; NULL:
				     * FSB_DEFAULT_HTTP_LISTEN */
	size_t http_max_connections; /* [http] max_connections: at once */
	size_t http_max_live;        /* [http] max_live_feeds: /events streams at once,
				      * below max_connections */
};

/* Empties c and sets the defaults. */
void fsb_config_init(struct fsb_config *c);

/* Reads FILE. Fails with FSB_EIO when it cannot be read and FSB_ECONFIG on
 * the first bad line or value; err gets "FILE:LINE: what is wrong". */
int fsb_config_read(struct fsb_config *c, const char *path, char *err, size_t errlen);

/* Checks what a single line cannot show: required keys present, one CRL
 * (or "none") per CA, TLS files given together. FSB_ECONFIG with
 * "FILE: [section] key: what is wrong" in err. */
int fsb_config_check(const struct fsb_config *c, char *err, size_t errlen);

/* Prints the effective configuration, defaults included, as an INI file that
 * reads back to the same values. */
void fsb_config_print(const struct fsb_config *c, FILE *out);

/* Frees every string; c is empty afterwards. */
void fsb_config_cleanup(struct fsb_config *c);

#endif
