/* harness.c - brokers and nodes as real processes. */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../unit/helpers.h"
#include "format.h"
#include "store.h"

static pid_t started[256];
static int n_started;

void h_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int h_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

int h_port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (n_started < 256)
		started[n_started++] = pid;
	return pid;
}

static void forget(pid_t pid)
{
	for (int i = 0; i < n_started; i++)
		if (started[i] == pid)
			started[i] = 0;
}

void h_kill_all(void)
{
	for (int i = 0; i < n_started; i++)
		if (started[i] > 0) {
			kill(started[i], SIGKILL);
			waitpid(started[i], NULL, 0);
		}
	n_started = 0;
}

void h_setup(char dir[64], struct broker *b, struct node *longan, struct node *cantho)
{
	th_tmpdir(dir);
	struct broker keep = *b;
	memset(b, 0, sizeof *b);
	b->want_open = keep.want_open;
	memcpy(b->extra, keep.extra, sizeof b->extra);
	memcpy(b->pki, keep.pki, sizeof b->pki);
	hb_start(b, 0);
	if (longan)
		hn_init(longan, dir, "longan", b);
	if (cantho)
		hn_init(cantho, dir, "cantho", b);
}

void h_teardown(const char *dir, const struct broker *b)
{
	hr_stop(b);
	h_kill_all();
	if (getenv("FSB_KEEP"))
		fprintf(stderr, "kept %s\n", dir);
	else
		th_rmtree(dir);
	th_rmtree(b->dir);
}

void hb_start(struct broker *b, int persistence)
{
	if (!b->dir[0])
		th_tmpdir(b->dir);
	if (!b->port)
		b->port = h_free_port();
	if (!b->tls_port && !b->plain)
		b->tls_port = h_free_port();
	if (b->want_open && !b->open_port)
		b->open_port = h_free_port();
	const char *pki = b->pki[0] ? b->pki : PKI;
	b->persistence = persistence;
	char conf[128], log[128], listeners[1600];
	snprintf(conf, sizeof conf, "%s/mosquitto.conf", b->dir);
	snprintf(log, sizeof log, "%s/mosquitto.log", b->dir);
	if (b->plain)
		snprintf(listeners, sizeof listeners, "listener %d 127.0.0.1\nallow_anonymous true\n", b->port);
	else
		snprintf(listeners, sizeof listeners,
			 "per_listener_settings true\nuser root\n"
			 "listener %d 127.0.0.1\ncafile %s/ca.crt\ncrlfile %s/ca.crl\n"
			 "certfile %s/broker.crt\nkeyfile %s/broker.key\nrequire_certificate true\n"
			 "use_identity_as_username true\nallow_anonymous false\n"
			 "acl_file %s/config/mosquitto/exchange.acl\n"
			 "listener %d 127.0.0.1\nallow_anonymous true\n"
			 "acl_file %s/config/mosquitto/local.acl\n",
			 b->tls_port, pki, pki, pki, pki, FSB_TOP_DIR, b->port, FSB_TOP_DIR);
	if (b->want_open) /* a listener anyone may write anything to */
		snprintf(listeners + strlen(listeners), sizeof listeners - strlen(listeners),
			 "listener %d 127.0.0.1\nallow_anonymous true\n", b->open_port);
	char text[4096];
	snprintf(text, sizeof text, "%spersistence %s\npersistence_location %s/\n%s\n", listeners,
		 persistence ? "true" : "false", b->dir,
		 b->extra[0] ? b->extra : "max_queued_messages 100000");
	th_write(conf, text, strlen(text));
	char *argv[] = {"mosquitto", "-c", conf, NULL};
	b->pid = spawn(argv, log);
	int probe = b->plain ? b->port : b->tls_port;
	for (int i = 0; i < 300 && !h_port_open(probe); i++)
		h_sleep_ms(10);
	cr_assert(h_port_open(probe), "mosquitto did not start on port %d (see %s)", probe, log);
}

const char *hb_exchange_opts(const struct broker *b, const char *origin, char buf[512])
{
	if (b->plain)
		snprintf(buf, 512, "-h 127.0.0.1 -p %d", b->port);
	else
		snprintf(buf, 512, "-h 127.0.0.1 -p %d --cafile %s/ca.crt --cert %s/%s-client.crt --key %s/%s-client.key",
			 b->tls_port, PKI, PKI, origin, PKI, origin);
	return buf;
}

static int stop_pid(pid_t pid, int sig)
{
	int status = -1;
	if (pid <= 0)
		return -1; /* never started: kill(0) would signal our own group */
	kill(pid, sig);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			forget(pid);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		h_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	forget(pid);
	return -1;
}

void hb_stop(struct broker *b)
{
	stop_pid(b->pid, SIGTERM);
	for (int i = 0; i < 200 && h_port_open(b->plain ? b->port : b->tls_port); i++)
		h_sleep_ms(10);
}

void hb_kill(struct broker *b)
{
	stop_pid(b->pid, SIGKILL);
}

#define RABBIT_START_MS 90000 /* a cold Erlang VM with the MQTT plugin: ~10 s here */

/* The provinces with a user on the test RabbitMQ (its definitions). */
#define RABBIT_ORIGINS "longan cantho angiang"

/* Starts a RabbitMQ node in b->dir, as the shipped configuration
 * (config/rabbitmq/) says, with the test's ports, PKI and definitions:
 * MQTT over TLS on b->tls_port, epmd on b->epmd_port (both set by the
 * caller); with `peer`, a cluster of b and peer (classic_config). Waits
 * for MQTT. */
static void hr_launch(struct broker *b, const struct broker *peer)
{
	b->rabbit = 1;
	int dist = h_free_port();
	char path[160], log[160], line[512], out[600], *p;
	snprintf(path, sizeof path, "%s/enabled_plugins", b->dir);
	cr_assert_eq(th_sh("cp %s/config/rabbitmq/enabled_plugins %s", FSB_TOP_DIR, path), 0);
	cr_assert_eq(th_sh("%s/config/rabbitmq/make-definitions.sh %s >%s/definitions.json",
			   FSB_TOP_DIR, RABBIT_ORIGINS, b->dir), 0, "make-definitions.sh");
	FILE *in = fopen(FSB_TOP_DIR "/config/rabbitmq/rabbitmq.conf", "r");
	snprintf(path, sizeof path, "%s/rabbitmq.conf", b->dir);
	FILE *conf = fopen(path, "w");
	cr_assert(in && conf, "config/rabbitmq/rabbitmq.conf");
	while (fgets(line, sizeof line, in)) {
		if (strncmp(line, "mqtt.listeners.ssl.default", 26) == 0)
			snprintf(out, sizeof out, "mqtt.listeners.ssl.default = 127.0.0.1:%d\n", b->tls_port);
		else if ((p = strstr(line, "/etc/fsbridge/pki/")))
			snprintf(out, sizeof out, "%.*s%s/%s", (int)(p - line), line, PKI,
				 p + strlen("/etc/fsbridge/pki/"));
		else if ((p = strstr(line, "/etc/fsbridge/rabbitmq/")))
			snprintf(out, sizeof out, "%.*s%s/%s", (int)(p - line), line, b->dir,
				 p + strlen("/etc/fsbridge/rabbitmq/"));
		else if (strncmp(line, "cluster_formation.", 18) == 0 && !peer)
			continue; /* a node of its own */
		else if ((p = strstr(line, "rabbit@exchange-")))
			snprintf(out, sizeof out, "%.*sfsbt%d@localhost\n", (int)(p - line), line,
				 p[16] == '1' ? (peer ? peer : b)->tls_port : b->tls_port);
		else
			snprintf(out, sizeof out, "%s", line);
		fputs(out, conf);
	}
	fclose(in);
	fclose(conf);
	snprintf(log, sizeof log, "%s/rabbitmq.out", b->dir);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Its own process group: the script, the Erlang VM and its helpers
		 * are stopped together. */
		setpgid(0, 0);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		char env[14][200];
		const char *names[] = {"HOME", "RABBITMQ_MNESIA_BASE", "RABBITMQ_LOG_BASE",
				       "RABBITMQ_ENABLED_PLUGINS_FILE", "RABBITMQ_CONFIG_FILE",
				       "RABBITMQ_PID_FILE", "RABBITMQ_PLUGINS_EXPAND_DIR",
				       "RABBITMQ_FEATURE_FLAGS_FILE", "RABBITMQ_QUORUM_DIR",
				       "RABBITMQ_STREAM_DIR"};
		const char *leaves[] = {"", "/mnesia", "/log", "/enabled_plugins", "/rabbitmq", "/pid",
					"/plugins", "/feature_flags", "/quorum", "/stream"};
		char *envp[16];
		int n = 0;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++, n++) {
			snprintf(env[n], sizeof env[n], "%s=%s%s", names[i], b->dir, leaves[i]);
			envp[n] = env[n];
		}
		snprintf(env[n], sizeof env[n], "RABBITMQ_NODENAME=fsbt%d@localhost", b->tls_port);
		envp[n] = env[n], n++;
		snprintf(env[n], sizeof env[n], "RABBITMQ_DIST_PORT=%d", dist);
		envp[n] = env[n], n++;
		snprintf(env[n], sizeof env[n], "ERL_EPMD_PORT=%d", b->epmd_port);
		envp[n] = env[n], n++;
		snprintf(env[n], sizeof env[n], "ERL_EPMD_ADDRESS=127.0.0.1");
		envp[n] = env[n], n++;
		envp[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
		envp[n] = NULL;
		char *argv[] = {"/usr/lib/rabbitmq/bin/rabbitmq-server", NULL};
		execve(argv[0], argv, envp);
		_exit(127);
	}
	setpgid(pid, pid);
	b->pid = pid;
	for (int i = 0; i < RABBIT_START_MS / 50 && !h_port_open(b->tls_port); i++)
		h_sleep_ms(50);
	cr_assert(h_port_open(b->tls_port), "RabbitMQ did not start its MQTT listener on port %d (see %s)",
		  b->tls_port, log);
}

void hr_start(struct broker *b)
{
	memset(b, 0, sizeof *b);
	th_tmpdir(b->dir);
	b->tls_port = h_free_port();
	b->epmd_port = h_free_port();
	hr_launch(b, NULL);
}

/* rabbitmqctl on node b, as this user with b's HOME (its Erlang cookie); not
 * /usr/sbin/rabbitmqctl, which runs as the rabbitmq user and its cookie. */
static int hr_ctl(const struct broker *b, const char *args)
{
	return th_sh("HOME=%s ERL_EPMD_PORT=%d ERL_EPMD_ADDRESS=127.0.0.1 /usr/lib/rabbitmq/bin/rabbitmqctl "
		     "-n fsbt%d@localhost %s >>%s/rabbitmqctl.out 2>&1",
		     b->dir, b->epmd_port, b->tls_port, args, b->dir);
}

void hr_start_cluster(struct broker *a, struct broker *b)
{
	memset(a, 0, sizeof *a);
	memset(b, 0, sizeof *b);
	th_tmpdir(a->dir);
	th_tmpdir(b->dir);
	a->tls_port = h_free_port();
	b->tls_port = h_free_port();
	a->epmd_port = b->epmd_port = h_free_port(); /* one epmd, where each finds the other */
	hr_launch(a, b);
	/* One Erlang cookie for both, or they refuse each other. */
	cr_assert_eq(th_sh("cp -p %s/.erlang.cookie %s/", a->dir, b->dir), 0,
		     "no Erlang cookie in %s", a->dir);
	hr_launch(b, a);
	cr_assert_eq(hr_ctl(a, "await_online_nodes 2 --timeout 60"), 0,
		     "the cluster did not form (see %s/rabbitmqctl.out)", a->dir);
}

void hr_stop(const struct broker *b)
{
	if (!b->rabbit || b->pid <= 0)
		return;
	kill(-b->pid, SIGTERM);
	int status;
	for (int i = 0; i < 300 && waitpid(b->pid, &status, WNOHANG) == 0; i++)
		h_sleep_ms(50);
	kill(-b->pid, SIGKILL); /* whatever of the group is left */
	waitpid(b->pid, &status, WNOHANG);
	th_sh("ERL_EPMD_PORT=%d epmd -kill >/dev/null 2>&1", b->epmd_port);
}

void hn_init(struct node *n, const char *dir, const char *origin, const struct broker *b)
{
	hn_init_with(n, dir, origin, b, PKI, NULL, "");
}

void hn_init_with(struct node *n, const char *dir, const char *origin, const struct broker *b,
		  const char *pki, const char *key, const char *extra)
{
	if (!key)
		key = origin;
	memset(n, 0, sizeof *n);
	snprintf(n->origin, sizeof n->origin, "%s", origin);
	snprintf(n->conf, sizeof n->conf, "%s/%s.conf", dir, origin);
	snprintf(n->data, sizeof n->data, "%s/%s", dir, origin);
	snprintf(n->log, sizeof n->log, "%s/%s.log", dir, origin);
	n->b = b;
	char text[3072], exchange[700];
	if (b->plain)
		snprintf(exchange, sizeof exchange, "uri = tcp://127.0.0.1:%d\n", b->port);
	else
		snprintf(exchange, sizeof exchange,
			 "uri = ssl://127.0.0.1:%d\ntls_ca = %s/ca.crt\ntls_cert = %s/%s-client.crt\n"
			 "tls_key = %s/%s-client.key\n",
			 b->tls_port, pki, pki, origin, pki, origin);
	snprintf(text, sizeof text,
		 "[node]\norigin = %s\ndata_dir = %s\n"
		 "[signing]\nkey = %s/%s.key\ncert = %s/%s.crt\n"
		 "[trust]\nca = %s/ca.crt\ncrl = %s/ca.crl\n"
		 "[exchange]\n%sclient_id = %s-bridge\n"
		 "[local]\nuri = tcp://127.0.0.1:%d\nroot = %s/foodsafety\n%s",
		 origin, origin, pki, key, pki, key, pki, pki, exchange, origin,
		 b->local_port ? b->local_port : b->port, origin, extra);
	th_write(n->conf, text, strlen(text));
}

/* Whether the log, from byte `from` on, contains `what`. */
static int log_has(const char *log, long from, const char *what)
{
	FILE *f = fopen(log, "r");
	char line[2048];
	int found = 0;
	if (f && fseek(f, from, SEEK_SET) == 0)
		while (!found && fgets(line, sizeof line, f))
			found = strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return found;
}

static long log_size(const char *log)
{
	FILE *f = fopen(log, "r");
	long size = 0;
	if (f) {
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fclose(f);
	}
	return size;
}

void hn_start(struct node *n)
{
	char *argv[] = {FSB_BIN, "run", "-c", n->conf, NULL};
	long from = log_size(n->log);
	n->pid = spawn(argv, n->log);
	for (int i = 0; i < 1000; i++) {
		if (log_has(n->log, from, "connected to the exchange"))
			return;
		int status;
		if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
			forget(n->pid);
			cr_assert_fail("fsbridge run -c %s exited (see %s)", n->conf, n->log);
		}
		h_sleep_ms(10);
	}
	cr_assert_fail("fsbridge run -c %s did not connect (see %s)", n->conf, n->log);
}

int hn_stop(struct node *n)
{
	return stop_pid(n->pid, SIGTERM);
}

void hn_kill(struct node *n)
{
	stop_pid(n->pid, SIGKILL);
}

uint64_t hn_head(const struct node *n, const char *origin)
{
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *st;
	char err[256];
	if (fsb_store_open(n->data, &o, &st, err, sizeof err))
		return 0;
	uint64_t seq;
	uint8_t hash[FSB_HASH_LEN];
	if (fsb_store_head(st, origin, &seq, hash, NULL))
		seq = 0;
	fsb_store_close(st);
	return seq;
}

void hn_audit_ok(const struct node *n, const char *when)
{
	char *out = NULL, *err = NULL;
	int rc = th_fsbridge(&out, &err, "audit verify -c %s --full", n->conf);
	cr_expect_eq(rc, 0, "audit verify --full of %s%s: %s%s", n->origin, when, out, err);
	free(out);
	free(err);
}

int hn_wait_head(const struct node *n, const char *origin, uint64_t seq, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		if (hn_head(n, origin) >= seq)
			return 1;
		h_sleep_ms(20);
	}
	return 0;
}

struct fsb_store_stats hn_stats(const struct node *n)
{
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *st;
	char err[256];
	struct fsb_store_stats s = {0};
	if (fsb_store_open(n->data, &o, &st, err, sizeof err) == 0) {
		fsb_store_stats(st, &s);
		fsb_store_close(st);
	}
	return s;
}

uint64_t hn_rejects(const struct node *n)
{
	return hn_stats(n).rejects_total;
}

long hn_rss_kib(const struct node *n)
{
	char path[64], line[256];
	long kib = 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)n->pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

int hn_log_count(const struct node *n, const char *what)
{
	FILE *f = fopen(n->log, "r");
	char line[2048];
	int count = 0;
	while (f && fgets(line, sizeof line, f))
		count += strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return count;
}

int hn_wait_log(const struct node *n, const char *what, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		if (hn_log_count(n, what))
			return 1;
		h_sleep_ms(50);
	}
	return 0;
}

/* Writes count copies of the R3 example (reference "PREFIX-i") as JSON
 * lines into DATA.jsonl; returns the path in path. */
static void write_submission(const struct node *n, int count, const char *prefix, char path[300])
{
	snprintf(path, 300, "%s.jsonl", n->data);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	char *text = th_read(EXAMPLES_DIR "/recall-rice-labelling-class3-longan.json", NULL);
	/* one line: newlines out */
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	char *ref = strstr(text, "\"category\": \"CATEGORY_CROP\"");
	cr_assert_not_null(ref);
	for (int i = 0; i < count; i++) {
		fwrite(text, 1, (size_t)(ref - text), f);
		fprintf(f, "\"reference\": \"%s-%d\", %s\n", prefix, i + 1, ref);
	}
	fclose(f);
	free(text);
}

int hn_submit(const struct node *n, int count, const char *prefix)
{
	char path[300];
	write_submission(n, count, prefix, path);
	return th_sh("%s submit -c %s --jsonl %s >/dev/null", FSB_BIN, n->conf, path);
}

int hn_submit_all(const struct node *nodes, size_t n, int count, const char *prefix)
{
	pid_t pids[256];
	cr_assert_leq(n, 256);
	for (size_t i = 0; i < n; i++) {
		char path[300], mine[64];
		snprintf(mine, sizeof mine, "%.20s-%.32s", prefix, nodes[i].origin);
		write_submission(&nodes[i], count, mine, path);
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0)
				dup2(fd, 1);
			execl(FSB_BIN, FSB_BIN, "submit", "-c", nodes[i].conf, "--jsonl", path, (char *)NULL);
			_exit(127);
		}
	}
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		int status;
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	return failed;
}

void hn_audit_all_ok(const struct node *nodes, size_t n)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t at_once = cores > 0 ? (size_t)cores : 1, started_upto = 0;
	pid_t pids[256];
	cr_assert_leq(n, 256);
	for (size_t i = 0; i < n; i++) { /* waited for in order, at_once running */
		for (; started_upto < n && started_upto - i < at_once; started_upto++) {
			const struct node *o = &nodes[started_upto];
			char out[260];
			snprintf(out, sizeof out, "%s.audit", o->log);
			char *argv[] = {FSB_BIN, "audit", "verify", "-c", (char *)o->conf, "--full", NULL};
			pids[started_upto] = spawn(argv, out);
		}
		int status = -1;
		waitpid(pids[i], &status, 0);
		forget(pids[i]);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "audit verify --full of %s failed (see %s.audit)", nodes[i].origin, nodes[i].log);
	}
}

long long hb_sys(const struct broker *b, const char *topic)
{
	char cmd[300], line[64] = "";
	snprintf(cmd, sizeof cmd, "mosquitto_sub -h 127.0.0.1 -p %d -t '%s' -C 1 -W 5 2>/dev/null",
		 b->open_port, topic);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char *got = fgets(line, sizeof line, p);
	pclose(p);
	return got ? atoll(line) : -1;
}
