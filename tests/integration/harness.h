/* harness.h - real Mosquitto brokers and real fsbridge processes for the
 * integration tests, on free loopback ports, in temporary directories. */
#ifndef FSB_HARNESS_H
#define FSB_HARNESS_H

#include <stdint.h>
#include <sys/types.h>

#include "store.h"

/* A broker with the exchange on a TLS listener (client certificates of the
 * test PKI, the ACL of config/mosquitto/exchange.acl) and the agencies'
 * local side on a plain listener (config/mosquitto/local.acl), as in
 * config/mosquitto/exchange.conf; or, with `plain`, one plain listener for
 * everything. */
struct broker {
	int port;        /* plain listener: the local side, or everything */
	int tls_port;    /* the exchange, unless plain */
	int plain;
	pid_t pid;
	char dir[64];
	int persistence;
	char extra[512]; /* more mosquitto.conf lines (a bridge, limits) */
	int want_open;   /* also a listener with no ACL and no authentication */
	int open_port;   /* ... on this port */
	char pki[160];   /* the PKI of the TLS listener; the test PKI when empty */
	int local_port;  /* the agencies' local side on another broker's plain
			  * listener (0: on this one's `port`) */
	int rabbit;      /* a RabbitMQ node (hr_start), MQTT over TLS on `tls_port` */
	int epmd_port;   /* ... with its own epmd */
};

/* The mosquitto_sub/pub options to reach the exchange as origin's node
 * would (its TLS client certificate), into buf. */
const char *hb_exchange_opts(const struct broker *b, const char *origin, char buf[512]);

struct node {
	char origin[40];
	char conf[200];
	char data[200];
	char log[200];
	pid_t pid;
	const struct broker *b;
};

/* Starts mosquitto on a free loopback port (same port again when b->port is
 * set), with or without persistence; waits until it accepts connections. */
void hb_start(struct broker *b, int persistence);
void hb_stop(struct broker *b);   /* SIGTERM, wait */
void hb_kill(struct broker *b);   /* SIGKILL, wait */
/* A number the broker publishes under $SYS (sys_interval set in b->extra),
 * read on its open listener (b->want_open); -1 when none came in 5 s. */
long long hb_sys(const struct broker *b, const char *topic);

/* Starts a RabbitMQ node (Debian's rabbitmq-server with its MQTT plugin,
 * MQTT 3.1.1 only) as b, configured as config/rabbitmq/ ships it (MQTT over
 * TLS only, on b->tls_port; users longan, cantho and angiang from their
 * client certificates), on free loopback ports of its own (MQTT,
 * distribution, epmd), in its own directory; waits until MQTT accepts
 * connections. It has no plain listener: set b->local_port for the nodes'
 * local side. */
void hr_start(struct broker *b);
/* A 2-member RabbitMQ cluster, each as hr_start() makes one, found by each
 * other through the shipped classic_config peer discovery (one epmd, one
 * Erlang cookie); waits until both are members. Stop b before a. */
void hr_start_cluster(struct broker *a, struct broker *b);
/* Stops the node, its process group and its epmd. */
void hr_stop(const struct broker *b);

/* Writes DIR/ORIGIN.conf for a node on broker b (exchange and local). */
void hn_init(struct node *n, const char *dir, const char *origin, const struct broker *b);
/* The same with the keys and trust files of another PKI (a copy made by
 * th_pki_copy), the signing key and certificate named `key` (NULL: the
 * origin's), and more lines appended (sections and keys). */
void hn_init_with(struct node *n, const char *dir, const char *origin, const struct broker *b,
		  const char *pki, const char *key, const char *extra);
/* Starts `fsbridge run -c conf`, stderr into DIR/ORIGIN.log, and waits until
 * it is connected. */
void hn_start(struct node *n);
/* Stops with SIGTERM; returns the exit status. */
int hn_stop(struct node *n);
void hn_kill(struct node *n);

/* Runs `fsbridge audit verify --full` on the node's log (the node stopped)
 * and expects it to pass; `when` ends the failure message ("" or, say,
 * " after the attack"). */
void hn_audit_ok(const struct node *n, const char *when);

/* Waits until the node's log holds `seq` of `origin`; 0 on time-out. */
int hn_wait_head(const struct node *n, const char *origin, uint64_t seq, int timeout_ms);
/* The node's head seq for origin (0 when none). */
uint64_t hn_head(const struct node *n, const char *origin);
/* Submits n copies of the R3 example (reference "PREFIX-i"); 0 on success. */
int hn_submit(const struct node *n, int count, const char *prefix);
/* The same at every node of nodes[0..n) at once, each a process of its own
 * (references "PREFIX-ORIGIN-i"); returns how many submissions failed. */
int hn_submit_all(const struct node *nodes, size_t n, int count, const char *prefix);
/* audit verify --full on every node of nodes[0..n), as many at once as
 * there are cores; each output in its log's name + ".audit". */
void hn_audit_all_ok(const struct node *nodes, size_t n);
/* The node's store counts (zeros when it cannot be read). */
struct fsb_store_stats hn_stats(const struct node *n);
/* Count of rejects recorded by the node (ever, kept or not). */
uint64_t hn_rejects(const struct node *n);
/* The node's RssAnon in KiB, 0 when it does not run. */
long hn_rss_kib(const struct node *n);
/* Lines of the node's log containing `what`. */
int hn_log_count(const struct node *n, const char *what);
/* Waits until the node's log holds a line containing `what`; 0 on time-out. */
int hn_wait_log(const struct node *n, const char *what, int timeout_ms);

/* The fixture of a suite of the exchange: a fresh temporary directory into
 * dir, broker b started without persistence (fields set before the call,
 * such as want_open, are kept; the rest is cleared), and Long An and Cần
 * Thơ configured on it as longan and cantho (either may be NULL), not
 * started. h_teardown() undoes it. */
void h_setup(char dir[64], struct broker *b, struct node *longan, struct node *cantho);

/* Kills every process the harness started (for test clean-up). */
void h_kill_all(void);
/* A suite's clean-up: kills every process, removes dir (kept, and said,
 * when FSB_KEEP is set) and the broker's directory. */
void h_teardown(const char *dir, const struct broker *b);

void h_sleep_ms(int ms);
/* A loopback port free now; whether something accepts connections on one. */
int h_free_port(void);
int h_port_open(int port);

#endif
