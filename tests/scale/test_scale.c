/* test_scale.c - `make test-scale`: provinces on the brokers an exchange
 * grows into. Each test starts its brokers on free loopback ports, runs
 * real nodes on them, and asserts that every node holds every message once
 * and that `audit verify --full` passes on every node.
 *
 * All 34 provinces on one Mosquitto (tests/scale/provinces.txt, certified
 * by the PKI `make test-scale` makes): a burst of messages from every node
 * at once must converge in seconds, with the broker's deliveries close to
 * the minimum (each message once to each other node) and little control
 * traffic, read from the broker's own counters ($SYS), not the nodes'.
 * Then three of them are cut off (their connections go through a TCP
 * relay that is stopped) while everyone goes on submitting, and the
 * exchange must be whole again within 30 s of the cut healing. The same
 * burst at 3 and 10 provinces gives make bench its rows (the figures go to
 * $FSB_SCALE_FIGURES when it is set).
 *
 * RabbitMQ (Debian's 3.10, MQTT plugin) speaks only MQTT 3.1.1 and closes
 * the connection on an MQTT 5 CONNECT: the nodes, with the shipped default
 * `[exchange] mqtt_version = auto`, must fall back by themselves.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../integration/harness.h"
#include "../unit/helpers.h"
#include "format.h"
#include "store.h"

#define BURST 20
#define CONVERGE_MS 60000
#define PROVINCES_MAX 64
#define SWARM_BURST 50        /* messages from every node at once */
#define SWARM_CONVERGE_MS 30000 /* the bar for a burst at 34, and for a heal */
#define SETTLE_MS 2000        /* after the last node started */
#define QUIET_MS 5000         /* after convergence: the repair traffic that still flows */
#define PARTITION_MS 30000
#define PARTITION_BURST 10    /* messages from every node during the cut */
#define CUT 3                 /* nodes cut off */
#define FEDERATION_DOWN_MS 20000 /* a federated broker down */
/* The queues of config/mosquitto/exchange.conf. */
#define EXCHANGE_QUEUES "max_queued_messages 100000\nset_tcp_nodelay true\n"

static char dir[64];
static struct broker broker, local, second; /* second: a federated broker, a cluster member */
static pid_t relay = -1, observer = -1; /* the TCP relay of the cut nodes; the observer */

static void teardown(void)
{
	if (relay > 0)
		kill(-relay, SIGKILL);
	if (observer > 0)
		kill(observer, SIGKILL);
	hb_stop(&local);
	if (second.rabbit)
		hr_stop(&second); /* a cluster's second member, before the first */
	else
		hb_stop(&second);
	if (second.dir[0])
		th_rmtree(second.dir);
	h_teardown(dir, &broker);
	if (local.dir[0])
		th_rmtree(local.dir);
}

TestSuite(scale, .fini = teardown, .timeout = 600);

/* ---- many provinces on one Mosquitto ------------------------------------------------------- */

struct swarm {
	struct node nodes[PROVINCES_MAX];
	size_t n;
	uint64_t want;        /* entries every node holds once converged */
	struct broker via;    /* the exchange as the cut nodes reach it: through the relay */
};

/* The first n provinces of tests/scale/provinces.txt. */
static size_t provinces(char (*out)[40], size_t n)
{
	FILE *f = fopen(FSB_TOP_DIR "/tests/scale/provinces.txt", "r");
	cr_assert_not_null(f);
	size_t k = 0;
	while (k < n && fscanf(f, "%39s", out[k]) == 1)
		k++;
	fclose(f);
	cr_assert_eq(k, n, "tests/scale/provinces.txt lists %zu provinces, not %zu", k, n);
	return k;
}

/* A TCP relay (socat) from port `from` to port `to`, in a process group of
 * its own: killing the group cuts every connection through it. */
static pid_t relay_start(int from, int to)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setpgid(0, 0);
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		char listen[80], target[80];
		snprintf(listen, sizeof listen, "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork", from);
		snprintf(target, sizeof target, "TCP:127.0.0.1:%d", to);
		execlp("socat", "socat", listen, target, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	for (int i = 0; i < 300 && !h_port_open(from); i++)
		h_sleep_ms(10);
	cr_assert(h_port_open(from), "socat did not listen on %d", from);
	return pid;
}

static void relay_stop(pid_t pid)
{
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* What went over the exchange, counted outside the nodes: every
 * publication, as an observer subscribed to everything on the broker's
 * open listener saw it (one topic a line), by type; and the PUBLISH packets
 * the broker sent ($SYS), less those to the observer. */
struct traffic {
	long long stream, checkpoints, sync, resends, other; /* publications */
	long long deliveries;                                /* to the nodes */
};

static char observed_path[160];

static void observe(void)
{
	snprintf(observed_path, sizeof observed_path, "%s/observed.txt", dir);
	char port[16];
	snprintf(port, sizeof port, "%d", broker.open_port);
	observer = fork();
	cr_assert_geq(observer, 0);
	if (observer == 0) {
		int fd = open(observed_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		execlp("mosquitto_sub", "mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-q", "1",
		       "-t", "foodsafety/v1/#", "-F", "%t", (char *)NULL);
		_exit(127);
	}
	h_sleep_ms(300); /* subscribed */
}

static void tally(struct traffic *t)
{
	memset(t, 0, sizeof *t);
	FILE *f = fopen(observed_path, "r");
	cr_assert_not_null(f);
	char line[512];
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "/checkpoint\n"))
			t->checkpoints++;
		else if (strstr(line, "/sync/"))
			t->sync++;
		else if (strstr(line, "/resend/"))
			t->resends++;
		else if (strstr(line, "/status\n") || strstr(line, "/crl\n"))
			t->other++;
		else
			t->stream++;
	}
	fclose(f);
	long long sent = hb_sys(&broker, "$SYS/broker/publish/messages/sent");
	cr_assert_geq(sent, 0, "the broker published no $SYS counters");
	t->deliveries = sent - (t->stream + t->checkpoints + t->sync + t->resends + t->other);
}

/* Waits a second past the broker's $SYS interval, then tallies. */
static void tally_settled(struct traffic *t)
{
	h_sleep_ms(1100);
	tally(t);
}

/* n provinces on one Mosquitto (the exchange configuration, its counters
 * published every second) with the agencies' side on a second one, so that
 * the first carries the exchange alone; the last `cut` reach it through a
 * relay. */
static void swarm_start(struct swarm *s, size_t n, size_t cut)
{
	char names[PROVINCES_MAX][40];
	provinces(names, n);
	th_tmpdir(dir);
	local.plain = 1;
	hb_start(&local, 0);
	broker.want_open = 1;
	snprintf(broker.extra, sizeof broker.extra, "%s", EXCHANGE_QUEUES "sys_interval 1\n");
	broker.local_port = local.port;
	hb_start(&broker, 0);
	s->n = n;
	s->via = broker;
	if (cut) {
		s->via.tls_port = h_free_port();
		relay = relay_start(s->via.tls_port, broker.tls_port);
	}
	for (size_t i = 0; i < n; i++) {
		hn_init(&s->nodes[i], dir, names[i], i >= n - cut ? &s->via : &broker);
		hn_start(&s->nodes[i]);
	}
	observe();
	h_sleep_ms(SETTLE_MS);
}

/* Waits until every node holds s->want entries; the seconds it took from
 * t0 (ms), or -1 past timeout_ms. */
static double converge(const struct swarm *s, int64_t t0, int timeout_ms)
{
	int done[PROVINCES_MAX] = {0};
	size_t left = s->n;
	while (left && fsb_fmt_now_ms() - t0 < timeout_ms) {
		for (size_t i = 0; i < s->n; i++)
			if (!done[i] && hn_stats(&s->nodes[i]).entries >= s->want)
				done[i] = 1, left--;
		if (left)
			h_sleep_ms(50);
	}
	return left ? -1 : (double)(fsb_fmt_now_ms() - t0) / 1000.0;
}

/* A line of figures for make bench, when it asks for them. */
static void figure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void figure(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	const char *path = getenv("FSB_SCALE_FIGURES");
	FILE *f = path ? fopen(path, "a") : NULL;
	if (f) {
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fclose(f);
	}
}

/* Every node submits SWARM_BURST at once. The bars: converged within
 * SWARM_CONVERGE_MS, the broker's deliveries within 1.5 x the minimum (each
 * stream message once to each other node), and under 0.5 control messages
 * (checkpoints, sync requests, re-sends: every publication that is not a
 * stream message) per stream message, counted until QUIET_MS after
 * convergence. */
static void swarm_burst(struct swarm *s)
{
	struct traffic a, b;
	tally_settled(&a);
	uint64_t data = (uint64_t)s->n * SWARM_BURST;
	s->want += data;
	int64_t t0 = fsb_fmt_now_ms();
	cr_assert_eq(hn_submit_all(s->nodes, s->n, SWARM_BURST, "BURST"), 0, "submissions failed");
	double took = converge(s, t0, 120000);
	cr_assert_geq(took, 0, "%zu provinces did not converge in 120 s", s->n);
	h_sleep_ms(QUIET_MS);
	tally_settled(&b);
	long long minimum = (long long)data * (long long)(s->n - 1);
	long long deliveries = b.deliveries - a.deliveries;
	long long control = b.checkpoints - a.checkpoints + b.sync - a.sync + b.resends - a.resends;
	double ratio = (double)deliveries / (double)minimum, per = (double)control / (double)data;
	figure("burst %zu converge_s %.2f deliveries %lld minimum %lld ratio %.3f control %lld "
	       "per_data %.3f checkpoints %lld sync %lld resends %lld\n", s->n, took, deliveries,
	       minimum, ratio, control, per, b.checkpoints - a.checkpoints, b.sync - a.sync,
	       b.resends - a.resends);
	cr_expect_eq(b.stream - a.stream, (long long)data, "the observer saw %lld stream messages, not %llu",
		     b.stream - a.stream, (unsigned long long)data);
	cr_expect_lt(took * 1000, SWARM_CONVERGE_MS, "%zu provinces converged in %.1f s", s->n, took);
	cr_expect_leq(ratio, 1.5, "the broker delivered %lld messages, %.2f x the minimum %lld",
		      deliveries, ratio, minimum);
	cr_expect_lt(per, 0.5, "%lld control messages for %llu stream messages (%.2f each)", control,
		     (unsigned long long)data, per);
}

/* Stops every node and proves its log: every message once, no
 * equivocation, audit verify --full. */
static void swarm_finish(struct swarm *s)
{
	for (size_t i = 0; i < s->n; i++)
		cr_expect_eq(hn_stop(&s->nodes[i]), 0, "%s did not stop cleanly", s->nodes[i].origin);
	for (size_t i = 0; i < s->n; i++) {
		struct fsb_store_stats st = hn_stats(&s->nodes[i]);
		cr_expect_eq(st.entries, s->want, "%s: %llu entries, want %llu (each once)",
			     s->nodes[i].origin, (unsigned long long)st.entries,
			     (unsigned long long)s->want);
		cr_expect_eq(st.equivocations, 0);
	}
	hn_audit_all_ok(s->nodes, s->n);
}

static struct swarm swarm;

Test(scale, mosquitto_3_provinces_burst)
{
	swarm_start(&swarm, 3, 0);
	swarm_burst(&swarm);
	swarm_finish(&swarm);
}

Test(scale, mosquitto_10_provinces_burst)
{
	swarm_start(&swarm, 10, 0);
	swarm_burst(&swarm);
	swarm_finish(&swarm);
}

/* The burst at 34, then CUT of them cut off for PARTITION_MS while every
 * node submits PARTITION_BURST: once the cut heals, every node must hold
 * everything within SWARM_CONVERGE_MS. */
Test(scale, mosquitto_34_provinces_burst_then_partition)
{
	swarm_start(&swarm, 34, CUT);
	swarm_burst(&swarm);
	relay_stop(relay);
	relay = -1;
	h_sleep_ms(2000);
	struct traffic a, b;
	tally_settled(&a);
	cr_assert_eq(hn_submit_all(swarm.nodes, swarm.n, PARTITION_BURST, "CUT"), 0);
	swarm.want += swarm.n * PARTITION_BURST;
	h_sleep_ms(PARTITION_MS - 2000);
	/* The cut was real: the nodes cut off hold only their own of it. */
	for (size_t i = swarm.n - CUT; i < swarm.n; i++)
		cr_expect_eq(hn_stats(&swarm.nodes[i]).entries,
			     swarm.want - (swarm.n - 1) * PARTITION_BURST, "%s was not cut off",
			     swarm.nodes[i].origin);
	relay = relay_start(swarm.via.tls_port, broker.tls_port);
	int64_t t0 = fsb_fmt_now_ms();
	double took = converge(&swarm, t0, 120000);
	cr_assert_geq(took, 0, "the partition did not heal in 120 s");
	h_sleep_ms(QUIET_MS);
	tally_settled(&b);
	figure("partition %zu cut %d heal_s %.2f deliveries %lld checkpoints %lld sync %lld "
	       "resends %lld\n", swarm.n, CUT, took, b.deliveries - a.deliveries,
	       b.checkpoints - a.checkpoints, b.sync - a.sync, b.resends - a.resends);
	cr_expect_lt(took * 1000, SWARM_CONVERGE_MS, "the partition healed in %.1f s", took);
	swarm_finish(&swarm);
}

/* ---- one exchange on two brokers ---------------------------------------------------------- */

/* The nodes of origins[0..n), node i on brokers[i] (with the shipped
 * defaults), started; s->want stays 0. */
static void swarm_on(struct swarm *s, const char *const *origins, size_t n,
		     struct broker *const *brokers)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		hn_init(&s->nodes[i], dir, origins[i], brokers[i]);
		hn_start(&s->nodes[i]);
	}
}

/* Every node submits BURST at once (references PREFIX-ORIGIN-i); every node
 * must hold all of it within CONVERGE_MS. The seconds it took. */
static double swarm_round(struct swarm *s, const char *prefix)
{
	s->want += (uint64_t)s->n * BURST;
	int64_t t0 = fsb_fmt_now_ms();
	cr_assert_eq(hn_submit_all(s->nodes, s->n, BURST, prefix), 0, "submissions failed");
	double took = converge(s, t0, CONVERGE_MS);
	cr_assert_geq(took, 0, "%zu provinces did not converge in %d s (%s)", s->n,
		      CONVERGE_MS / 1000, prefix);
	return took;
}

/* The shipped bridge (config/mosquitto/bridge.conf) as b's extra lines,
 * after the exchange queues: its comments dropped, its address the hub's
 * TLS listener and its certificates the test PKI's. */
static void bridge_lines(struct broker *b, const struct broker *hub)
{
	FILE *f = fopen(FSB_TOP_DIR "/config/mosquitto/bridge.conf", "r");
	cr_assert_not_null(f, "config/mosquitto/bridge.conf");
	snprintf(b->extra, sizeof b->extra, "%s", EXCHANGE_QUEUES);
	char line[256], out[512], *p;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (strncmp(line, "address ", 8) == 0)
			snprintf(out, sizeof out, "address 127.0.0.1:%d\n", hub->tls_port);
		else if ((p = strstr(line, "certs/demo/")))
			snprintf(out, sizeof out, "%.*s%s/%s", (int)(p - line), line, FSB_TEST_PKI,
				 p + strlen("certs/demo/"));
		else
			snprintf(out, sizeof out, "%s", line);
		size_t used = strlen(b->extra);
		cr_assert_lt(used + strlen(out), sizeof b->extra, "bridge.conf does not fit");
		memcpy(b->extra + used, out, strlen(out) + 1);
	}
	fclose(f);
	cr_assert_not_null(strstr(b->extra, "connection "), "no bridge in config/mosquitto/bridge.conf");
}

/* Two Mosquittos federated by the shipped bridge, two provinces on each.
 * The hub is down for FEDERATION_DOWN_MS (without persistence: the
 * bridge's session and every queue on it are lost) while every node
 * submits; once it is back, every node must hold everything, repaired by
 * the bridge's queue on the other side and by sync. */
Test(scale, mosquitto_federation_with_the_hub_down)
{
	th_tmpdir(dir);
	snprintf(broker.extra, sizeof broker.extra, "%s", EXCHANGE_QUEUES);
	hb_start(&broker, 0);
	bridge_lines(&second, &broker);
	hb_start(&second, 0);
	const char *origins[] = {"longan", "cantho", "angiang", "dongthap"};
	struct broker *on[] = {&broker, &broker, &second, &second};
	swarm_on(&swarm, origins, 4, on);
	figure("federation first_round_s %.2f\n", swarm_round(&swarm, "FED"));
	hb_stop(&broker);
	swarm.want += (uint64_t)swarm.n * BURST;
	cr_assert_eq(hn_submit_all(swarm.nodes, swarm.n, BURST, "DOWN"), 0);
	h_sleep_ms(FEDERATION_DOWN_MS);
	/* The outage was real: the hub's nodes heard nothing from the others. */
	cr_expect_eq(hn_head(&swarm.nodes[0], "angiang"), BURST, "longan got angiang's messages "
		     "while the hub was down");
	hb_start(&broker, 0);
	int64_t t0 = fsb_fmt_now_ms();
	double took = converge(&swarm, t0, CONVERGE_MS);
	cr_assert_geq(took, 0, "the federation did not recover in %d s", CONVERGE_MS / 1000);
	figure("federation hub_down_s %d recovered_s %.2f\n", FEDERATION_DOWN_MS / 1000, took);
	swarm_finish(&swarm);
}

/* ---- RabbitMQ ----------------------------------------------------------------------------- */

/* The agencies' side of RabbitMQ tests on a Mosquitto of its own (the
 * shipped RabbitMQ configuration has only the exchange's TLS listener). */
static void local_for(struct broker *a, struct broker *b)
{
	local.plain = 1;
	hb_start(&local, 0);
	a->local_port = local.port;
	if (b)
		b->local_port = local.port;
}

/* RabbitMQ speaks MQTT 3.1.1 only: every node must have fallen back to it
 * by itself. */
static void expect_fallback(const struct swarm *s)
{
	for (size_t i = 0; i < s->n; i++)
		cr_expect(hn_wait_log(&s->nodes[i], "(MQTT 3.1.1)", 20000),
			  "%s did not fall back to MQTT 3.1.1 (see %s)", s->nodes[i].origin,
			  s->nodes[i].log);
}

/* The shipped rights on RabbitMQ: longan may write under its own origin,
 * not under cantho's (seen by a subscriber authenticated as cantho). */
static void expect_rights(const struct broker *b)
{
	char sub[512], pub[512], path[160], got[256] = "";
	snprintf(path, sizeof path, "%s/rights.txt", dir);
	hb_exchange_opts(b, "cantho", sub);
	hb_exchange_opts(b, "longan", pub);
	th_sh("(sleep 2; mosquitto_pub %s -V mqttv311 -i rights-a -q 1 -t foodsafety/v1/cantho/rights "
	      "-m forged; mosquitto_pub %s -V mqttv311 -i rights-b -q 1 -t foodsafety/v1/longan/rights "
	      "-m own) >/dev/null 2>&1 & mosquitto_sub %s -V mqttv311 -i rights-sub -q 1 "
	      "-t 'foodsafety/v1/+/rights' -W 5 >%s 2>/dev/null", pub, pub, sub, path);
	FILE *f = fopen(path, "r");
	size_t k = f ? fread(got, 1, sizeof got - 1, f) : 0;
	got[k] = 0;
	if (f)
		fclose(f);
	cr_expect_not_null(strstr(got, "own"), "cantho did not receive longan's own publication");
	cr_expect_null(strstr(got, "forged"), "longan could write under cantho's origin");
}

/* Three provinces on one RabbitMQ node, configured as config/rabbitmq/
 * ships (TLS, a user per province from its certificate, topic rights), and
 * the nodes with the shipped defaults. */
Test(scale, rabbitmq_single_node)
{
	th_tmpdir(dir);
	hr_start(&broker);
	local_for(&broker, NULL);
	const char *origins[] = {"longan", "cantho", "angiang"};
	struct broker *on[] = {&broker, &broker, &broker};
	expect_rights(&broker);
	swarm_on(&swarm, origins, 3, on);
	expect_fallback(&swarm);
	swarm_round(&swarm, "RMQ");
	swarm_finish(&swarm);
}

/* Three provinces on a 2-member RabbitMQ cluster, angiang on the second
 * member. Each member keeps its own retained messages, so angiang, stopped
 * and started again on its member, learns what its peers hold from the
 * checkpoints they publish again when it comes online. */
Test(scale, rabbitmq_cluster_of_two)
{
	th_tmpdir(dir);
	hr_start_cluster(&broker, &second);
	local_for(&broker, &second);
	const char *origins[] = {"longan", "cantho", "angiang"};
	struct broker *on[] = {&broker, &broker, &second};
	swarm_on(&swarm, origins, 3, on);
	expect_fallback(&swarm);
	figure("rabbitmq_cluster round_s %.2f\n", swarm_round(&swarm, "RMQC"));
	struct node *ag = &swarm.nodes[2];
	cr_assert_eq(hn_stop(ag), 0);
	cr_assert_eq(hn_submit(&swarm.nodes[0], 5, "AWAY"), 0);
	cr_assert(hn_wait_head(&swarm.nodes[1], "longan", BURST + 5, CONVERGE_MS));
	h_sleep_ms(500); /* past the checkpoints of that exchange */
	hn_start(ag);
	cr_expect(hn_wait_head(ag, "longan", BURST + 5, 10000),
		  "angiang holds longan up to %llu, not %d, 10 s after it started again",
		  (unsigned long long)hn_head(ag, "longan"), BURST + 5);
	swarm.want += 5;
	swarm_finish(&swarm);
}

/* A province that joins a running exchange on RabbitMQ: the broker hands it
 * no retained checkpoint through its wildcard subscription, so it learns
 * what exists from the checkpoints its peers publish again when it comes
 * online; without them it would wait for their periodic checkpoint (30 s). */
Test(scale, rabbitmq_late_joiner_learns_from_peers)
{
	th_tmpdir(dir);
	hr_start(&broker);
	local_for(&broker, NULL);
	struct node la, ct, ag;
	hn_init(&la, dir, "longan", &broker);
	hn_init(&ct, dir, "cantho", &broker);
	hn_init(&ag, dir, "angiang", &broker);
	hn_start(&la);
	hn_start(&ct);
	cr_assert_eq(hn_submit(&la, 5, "BEFORE"), 0);
	cr_assert(hn_wait_head(&ct, "longan", 5, CONVERGE_MS), "cantho did not receive longan:1..5");
	h_sleep_ms(500); /* past the checkpoints of that exchange */
	hn_start(&ag);
	cr_expect(hn_wait_head(&ag, "longan", 5, 10000),
		  "angiang holds longan up to %llu, not 5, 10 s after joining",
		  (unsigned long long)hn_head(&ag, "longan"));
	cr_expect_eq(hn_stop(&ag), 0);
	cr_expect_eq(hn_stop(&ct), 0);
	cr_expect_eq(hn_stop(&la), 0);
	hn_audit_ok(&ag, "");
}
