/* test_attacks.c - `make test-attacks`: the exchange under attack.
 *
 * A real Mosquitto (TLS listener with client certificates and the ACL, and
 * a listener with no ACL at all), real Long An and Cần Thơ nodes, and an
 * attacker (attacker.c) that holds what a hostile province holds: An
 * Giang's exchange certificates and keys, every public certificate, and in
 * some tests a key it should not have (a TLS key, an expired or a revoked
 * signing key). Each test performs one attack of issue 12 and asserts its
 * outcome: rejected and recorded, no state changed, memory and traffic
 * within bounds; then that Long An and Cần Thơ still exchange, and that
 * `audit verify --full` passes on both. Each test adds a row to the summary
 * that `make test-attacks` prints.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../integration/harness.h"
#include "../unit/helpers.h"
#include "attacker.h"
#include "format.h"
#include "sign.h"
#include "store.h"
#include "topic.h"

#define WAIT_MS 20000
#define RSS_TARGET_KIB (16 * 1024) /* make bench's memory target */
#define JUNK_BYTES (250 * 1024)

static char dir[64];
static struct broker broker;
static struct node longan, cantho;

static void setup(void)
{
	broker.want_open = 1;
	h_setup(dir, &broker, NULL, NULL);
}

static void teardown(void)
{
	h_teardown(dir, &broker);
}

TestSuite(attacks, .init = setup, .fini = teardown, .timeout = 300);

/* ---- what every test shares ------------------------------------------------------------ */

/* Starts Long An and Cần Thơ on the test PKI (or pki), with extra config. */
static void start_pair(const char *pki, const char *extra)
{
	hn_init_with(&longan, dir, "longan", &broker, pki ? pki : PKI, NULL, extra ? extra : "");
	hn_init_with(&cantho, dir, "cantho", &broker, pki ? pki : PKI, NULL, extra ? extra : "");
	hn_start(&longan);
	hn_start(&cantho);
}

static char prefix_seen[16];

/* from submits count messages as prefix-NNN and to receives them. */
static void deliver(struct node *from, struct node *to, int count, const char *prefix)
{
	uint64_t want = hn_head(to, from->origin) + (uint64_t)count;
	cr_assert_eq(hn_submit(from, count, prefix), 0);
	cr_assert(hn_wait_head(to, from->origin, want, WAIT_MS), "%s did not receive %s's %s messages",
		  to->origin, from->origin, prefix);
}

/* Long An and Cần Thơ still exchange both ways, and both logs pass audit
 * verify --full once the nodes stop. */
static void still_exchange(void)
{
	uint64_t to_cantho = hn_head(&cantho, "longan") + 2, to_longan = hn_head(&longan, "cantho") + 2;
	snprintf(prefix_seen, sizeof prefix_seen, "AFTER-%d", rand() % 10000);
	cr_assert_eq(hn_submit(&longan, 2, prefix_seen), 0);
	cr_assert_eq(hn_submit(&cantho, 2, prefix_seen), 0);
	cr_expect(hn_wait_head(&cantho, "longan", to_cantho, WAIT_MS),
		  "after the attack, cantho did not receive longan's next messages (head %llu)",
		  (unsigned long long)hn_head(&cantho, "longan"));
	cr_expect(hn_wait_head(&longan, "cantho", to_longan, WAIT_MS),
		  "after the attack, longan did not receive cantho's next messages (head %llu)",
		  (unsigned long long)hn_head(&longan, "cantho"));
	cr_expect_eq(hn_stop(&longan), 0);
	cr_expect_eq(hn_stop(&cantho), 0);
	const struct node *both[] = {&longan, &cantho};
	for (int i = 0; i < 2; i++)
		hn_audit_ok(both[i], " after the attack");
}

static void wait_rejects(const struct node *n, uint64_t at_least)
{
	for (int i = 0; i < 400 && hn_rejects(n) < at_least; i++)
		h_sleep_ms(50);
	cr_expect_geq(hn_rejects(n), at_least, "%s recorded %llu rejects, expected at least %llu",
		      n->origin, (unsigned long long)hn_rejects(n), (unsigned long long)at_least);
}

__attribute__((noinline)) static char *status_of(const struct node *n)
{
	char *out = NULL;
	th_fsbridge(&out, NULL, "status -c %s", n->conf);
	return out;
}

/* The payload hash the node holds for origin:seq; its issuedAt into
 * *issued when not NULL. */
static void held_hash_at(const struct node *n, const char *origin, uint64_t seq,
			 uint8_t h[FSB_HASH_LEN], int64_t *issued)
{
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *st;
	char err[256];
	uint64_t index;
	struct fsb_entry e;
	cr_assert_eq(fsb_store_open(n->data, &o, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(fsb_store_find_seq(st, origin, seq, &index), 0, "%s holds no %s:%llu", n->origin,
		     origin, (unsigned long long)seq);
	cr_assert_eq(fsb_store_get(st, index, &e), 0);
	memcpy(h, e.payload_hash, FSB_HASH_LEN);
	if (issued)
		*issued = e.issued_at_ms;
	fsb_entry_clear(&e);
	fsb_store_close(st);
}

static void held_hash(const struct node *n, const char *origin, uint64_t seq, uint8_t h[FSB_HASH_LEN])
{
	held_hash_at(n, origin, seq, h, NULL);
}

/* Whether one of the node's kept rejects gives this reason. */
static int has_reject(const struct node *n, const char *reason)
{
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *st;
	char err[256];
	struct fsb_reject r[256];
	size_t got = 0;
	int found = 0;
	cr_assert_eq(fsb_store_open(n->data, &o, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(fsb_store_rejects(st, r, 256, &got), 0);
	for (size_t i = 0; i < got; i++) {
		found |= strstr(r[i].reason, reason) != NULL;
		fsb_reject_clear(&r[i]);
	}
	fsb_store_close(st);
	return found;
}

/* The summary row of this test, printed by make test-attacks. */
static void row(const char *attack, uint64_t sent, uint64_t rejected, const char *outcome)
{
	FILE *f = fopen(FSB_TOP_DIR "/build/tests/attacks-summary.txt", "a");
	if (f) {
		fprintf(f, "%-44s %8llu %9llu   %s\n", attack, (unsigned long long)sent,
			(unsigned long long)rejected, outcome);
		fclose(f);
	}
}

/* Samples a node's RssAnon every 20 ms on a thread, keeping the peak. */
struct sampler {
	const struct node *n;
	pthread_t tid;
	volatile int stop;
	long peak_kib;
};

static void *sample(void *arg)
{
	struct sampler *s = arg;
	while (!s->stop) {
		long kib = hn_rss_kib(s->n);
		if (kib > s->peak_kib)
			s->peak_kib = kib;
		h_sleep_ms(20);
	}
	return NULL;
}

static void sampler_start(struct sampler *s, const struct node *n)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	cr_assert_eq(pthread_create(&s->tid, NULL, sample, s), 0);
}

static long sampler_stop(struct sampler *s)
{
	s->stop = 1;
	pthread_join(s->tid, NULL);
	return s->peak_kib;
}

static char *topic_of(const char *origin)
{
	static char t[FSB_TOPIC_MAX];
	snprintf(t, sizeof t, "foodsafety/v1/%s/recall/crop", origin);
	return t;
}

/* A checkpoint of `origin` claiming the streams given (origin, seq) pairs. */
static uint8_t *checkpoint(const char *pki, const char *key, const char *origin,
			   const struct fsb_stream_state *streams, size_t n, size_t *len)
{
	struct fsb_control c = {.type = FSB_CONTROL_CHECKPOINT, .streams = (struct fsb_stream_state *)streams,
				.n_streams = n};
	snprintf(c.origin, sizeof c.origin, "%s", origin);
	fsb_fmt_time(fsb_fmt_now_ms(), c.issued_at);
	return atk_control(pki, key, &c, len);
}

/* ---- the attacks -------------------------------------------------------------------------- */

/* 70 junk envelopes with made-up origins on the attacker's own resend
 * topics used to fill all 64 stream slots, and a real new province was then
 * dropped by both nodes. Now nothing unverified takes a slot: with only 4
 * slots, An Giang still gets in afterwards. */
Test(attacks, made_up_origins_take_no_stream)
{
	start_pair(NULL, "[limits]\nmax_streams = 4\n");
	struct atk *a = atk_tls(&broker, PKI, "angiang");
	struct atk *open = atk_open(&broker);
	uint64_t before = hn_rejects(&cantho);
	char origin[32], topic[FSB_TOPIC_MAX];
	for (int i = 0; i < 70; i++) {
		size_t len;
		snprintf(origin, sizeof origin, "fake-%d", i);
		/* Signed by An Giang's real key, claiming another origin. */
		uint8_t *env = atk_message(PKI, "angiang", origin, 1, NULL, fsb_fmt_now_ms(), "JUNK", 0,
					   &len, NULL);
		atk_publish(a, "foodsafety/v1/angiang/resend/cantho", env, len, 0);
		atk_publish(a, "foodsafety/v1/angiang/resend/longan", env, len, 0);
		/* And on the listener without ACL, under the made-up origin. */
		atk_publish(open, topic_of(origin), env, len, 0);
		free(env);
		snprintf(topic, sizeof topic, "foodsafety/v1/%s/checkpoint", origin);
		atk_publish(open, topic, "junk", 4, 0);
	}
	atk_drain(a);
	atk_drain(open);
	/* Each node gets the re-sends addressed to it, and everything on the
	 * open listener. */
	wait_rejects(&cantho, before + 3 * 70);
	wait_rejects(&longan, 3 * 70);
	uint64_t rejected = hn_rejects(&cantho) - before;
	char *st = status_of(&cantho);
	const char *from = strstr(st, "streams"), *to = strstr(st, "outbox");
	cr_assert(from && to);
	char *streams = strndup(from, (size_t)(to - from));
	cr_expect_null(strstr(streams, "fake-"), "a made-up origin got a stream: %s", streams);
	free(streams);
	cr_expect(strstr(st, "does not name origin \"fake-"), "%s", st);
	free(st);
	/* A real province joins: both nodes take it. */
	uint8_t prev[FSB_HASH_LEN] = {0};
	for (uint64_t s = 1; s <= 3; s++) {
		size_t len;
		uint8_t *env = atk_message(PKI, "angiang", "angiang", s, prev, fsb_fmt_now_ms(), "REAL", 0,
					   &len, prev);
		atk_publish(a, topic_of("angiang"), env, len, 0);
		free(env);
	}
	atk_drain(a);
	cr_expect(hn_wait_head(&cantho, "angiang", 3, WAIT_MS), "cantho dropped the real new province");
	cr_expect(hn_wait_head(&longan, "angiang", 3, WAIT_MS), "longan dropped the real new province");
	atk_close(a);
	atk_close(open);
	row("made-up origins (70 each way, open listener)", 4 * 70, rejected,
	    "rejected; no stream made; a real new province still joins");
	still_exchange();
}

/* Junk envelopes of 250 KiB at far seqs took a node from 9 MB to 526 MB with
 * no reject. Now junk is verified before it takes room, and what is kept
 * stays within the budgets: the node's RssAnon stays within the bench's
 * memory target. */
Test(attacks, junk_floods_stay_within_the_memory_target)
{
	start_pair(NULL, NULL);
	deliver(&longan, &cantho, 2, "BEFORE");
	struct atk *a = atk_tls(&broker, PKI, "angiang");
	struct atk *open = atk_open(&broker);
	uint64_t before = hn_rejects(&cantho);
	struct sampler s;
	sampler_start(&s, &cantho);
	long start_kib = hn_rss_kib(&cantho);
	/* 1. Long An's certificate, junk signatures, far seqs, on the listener
	 * without ACL; 2. the same at the next seqs, which may wait unchecked;
	 * 3. An Giang's own, validly signed, far ahead in its stream. */
	size_t len;
	uint8_t *far = atk_forged(PKI, "longan", "longan", 1000000, JUNK_BYTES, &len);
	for (int i = 0; i < 600; i++)
		atk_publish(open, topic_of("longan"), far, len, 0);
	free(far);
	for (int i = 0; i < 600; i++) {
		uint8_t *next = atk_forged(PKI, "longan", "longan", 3 + (uint64_t)(i % 8), JUNK_BYTES, &len);
		atk_publish(open, topic_of("longan"), next, len, 0);
		free(next);
	}
	for (uint64_t q = 0; q < 300; q++) {
		uint8_t *own = atk_message(PKI, "angiang", "angiang", 1000 + q, NULL, fsb_fmt_now_ms(),
					   "FLOOD", JUNK_BYTES, &len, NULL);
		atk_publish(a, topic_of("angiang"), own, len, 0);
		free(own);
	}
	atk_drain(open);
	atk_drain(a);
	wait_rejects(&cantho, before + 10);
	h_sleep_ms(2000);
	long peak = sampler_stop(&s);
	uint64_t rejected = hn_rejects(&cantho) - before;
	cr_expect_leq(peak, RSS_TARGET_KIB, "cantho's RssAnon peaked at %ld KiB under the flood (target %d)",
		      peak, RSS_TARGET_KIB);
	cr_expect_eq(hn_head(&cantho, "longan"), 2, "the junk moved longan's stream");
	cr_expect_eq(hn_head(&cantho, "angiang"), 0, "far seqs were appended");
	char outcome[160];
	snprintf(outcome, sizeof outcome, "rejected or dropped and recorded; RssAnon %ld -> peak %ld KiB (<= %d)",
		 start_kib, peak, RSS_TARGET_KIB);
	row("junk floods, 1500 x 250 KiB", 1500, rejected, outcome);
	atk_close(a);
	atk_close(open);
	still_exchange();
}

/* One junk envelope at seq 2^63 made a node ask for longan:3..10002 every
 * 3 s until restart. Now an unverified seq says nothing; An Giang's own
 * signed claim far ahead is asked of An Giang alone, less and less often. */
Test(attacks, far_seqs_start_no_sync_storm)
{
	start_pair(NULL, NULL);
	struct atk *open = atk_open(&broker);
	struct atk *a = atk_tls(&broker, PKI, "angiang");
	size_t len;
	uint8_t *env = atk_forged(PKI, "longan", "longan", 1ULL << 63, 0, &len);
	atk_publish(open, topic_of("longan"), env, len, 0);
	atk_drain(open);
	free(env);
	wait_rejects(&cantho, 1);
	h_sleep_ms(8000);
	cr_expect_eq(hn_log_count(&cantho, "asked"), 0, "a forged far seq started sync requests");
	/* An Giang's own message at 2^63, validly signed: its own claim. */
	env = atk_message(PKI, "angiang", "angiang", 1ULL << 63, NULL, fsb_fmt_now_ms(), "FAR", 0, &len, NULL);
	atk_publish(a, topic_of("angiang"), env, len, 0);
	atk_drain(a);
	free(env);
	h_sleep_ms(20000);
	int asks = hn_log_count(&cantho, "asked angiang for angiang:");
	cr_expect_leq(asks, 4, "%d requests to An Giang in 20 s: no backoff", asks);
	cr_expect_eq(hn_log_count(&cantho, "asked longan for angiang") + hn_log_count(&cantho, "asked cantho"), 0);
	char outcome[120];
	snprintf(outcome, sizeof outcome, "no request for a forged seq; %d to An Giang in 20 s (backoff)", asks);
	row("far seqs (2^63)", 2, hn_rejects(&cantho), outcome);
	atk_close(a);
	atk_close(open);
	still_exchange();
}

/* A message signed with Long An's TLS client key was accepted as longan:2,
 * and a checkpoint signed with it emptied another node's outbox. */
Test(attacks, a_tls_key_is_no_signer)
{
	start_pair(NULL, NULL);
	deliver(&longan, &cantho, 1, "REAL");
	uint8_t h1[FSB_HASH_LEN];
	held_hash(&cantho, "longan", 1, h1);
	/* The attacker holds Long An's TLS key and certificate. */
	struct atk *a = atk_tls(&broker, PKI, "longan");
	size_t len;
	uint8_t *env = atk_message(PKI, "longan-client", "longan", 2, h1, fsb_fmt_now_ms(), "TLS-KEY", 0,
				   &len, NULL);
	atk_publish(a, topic_of("longan"), env, len, 0);
	atk_drain(a);
	free(env);
	wait_rejects(&cantho, 1);
	cr_expect_eq(hn_head(&cantho, "longan"), 1);
	/* The real longan:2 arrives and is taken, with no alarm. */
	cr_assert_eq(hn_submit(&longan, 1, "REAL2"), 0);
	cr_expect(hn_wait_head(&cantho, "longan", 2, WAIT_MS));
	cr_expect_eq(hn_stats(&cantho).equivocations, 0);
	/* Cần Thơ's outbox holds one message Long An has not acknowledged. */
	hn_stop(&longan);
	cr_assert_eq(hn_submit(&cantho, 1, "OUTBOX"), 0);
	struct fsb_stream_state claim = {.origin = "cantho", .seq = 1};
	env = checkpoint(PKI, "longan-client", "longan", &claim, 1, &len);
	atk_publish(a, "foodsafety/v1/longan/checkpoint", env, len, 1);
	atk_drain(a);
	free(env);
	wait_rejects(&cantho, 2);
	char *st = status_of(&cantho);
	cr_expect(strstr(st, "outbox      1 message not yet acknowledged"), "the outbox was emptied: %s", st);
	cr_expect(strstr(st, "is for TLS (extended key usage clientAuth)"), "%s", st);
	free(st);
	/* Cleared, or Long An would meet it when it starts. */
	atk_publish(a, "foodsafety/v1/longan/checkpoint", "", 0, 1);
	atk_drain(a);
	hn_start(&longan);
	row("TLS client key as a signer", 2, hn_rejects(&cantho), "rejected; no equivocation; outbox kept");
	atk_close(a);
	still_exchange();
}

/* A key whose certificate expired in 2020 signed a new message dated 2020
 * and was accepted as cantho:7, splitting the stream; and issuedAt could go
 * backwards. */
Test(attacks, an_expired_key_cannot_extend_a_stream)
{
	start_pair(NULL, NULL);
	deliver(&cantho, &longan, 2, "REAL");
	uint8_t h2[FSB_HASH_LEN], h1[FSB_HASH_LEN];
	int64_t issued2;
	held_hash_at(&longan, "cantho", 2, h2, &issued2);
	held_hash(&longan, "cantho", 1, h1);
	struct atk *a = atk_tls(&broker, PKI, "cantho");
	size_t len;
	int64_t in_2020 = fsb_fmt_time_ms(2020, 6, 1, 8, 0, 0);
	/* The next seq, and a seq held, both dated 2020. */
	uint8_t *next = atk_message(PKI, "cantho-expired", "cantho", 3, h2, in_2020, "EXPIRED", 0, &len, NULL);
	atk_publish(a, topic_of("cantho"), next, len, 0);
	free(next);
	uint8_t *held = atk_message(PKI, "cantho-expired", "cantho", 2, h1, in_2020, "EXPIRED", 0, &len, NULL);
	atk_publish(a, topic_of("cantho"), held, len, 0);
	free(held);
	/* Cần Thơ's own key, with issuedAt a second before seq 2's. */
	uint8_t *back = atk_message(PKI, "cantho", "cantho", 3, h2, issued2 - 1000, "BACK", 0, &len, NULL);
	atk_publish(a, topic_of("cantho"), back, len, 0);
	free(back);
	atk_drain(a);
	wait_rejects(&longan, 3);
	cr_expect_eq(hn_head(&longan, "cantho"), 2);
	cr_expect_eq(hn_stats(&longan).equivocations, 0, "a stale key raised an equivocation alarm");
	char *st = status_of(&longan);
	cr_expect(strstr(st, "not at arrival"), "%s", st);
	cr_expect(strstr(st, "issuedAt goes back"), "%s", st);
	free(st);
	row("expired key; issuedAt backwards", 3, hn_rejects(&longan), "rejected, never equivocation");
	atk_close(a);
	still_exchange();
}

/* What the rule keeps possible: history signed with a certificate that has
 * since expired reaches a province that joins later, vouched for by the
 * stream's next message in force; without it, it is refused. */
Test(attacks, old_history_reaches_a_new_province)
{
	/* Long An alone, with an empty log; the attacker plays Cần Thơ. */
	hn_init(&longan, dir, "longan", &broker);
	hn_init(&cantho, dir, "cantho", &broker);
	hn_start(&longan);
	struct atk *a = atk_tls(&broker, PKI, "cantho");
	uint8_t *env[4], hash[5][FSB_HASH_LEN];
	size_t len[4];
	memset(hash[0], 0, FSB_HASH_LEN);
	for (uint64_t s = 1; s <= 3; s++)
		env[s - 1] = atk_message(PKI, "cantho-expired", "cantho", s, hash[s - 1],
					 fsb_fmt_time_ms(2020, 6, (int)s, 8, 0, 0), "HISTORY", 0, &len[s - 1], hash[s]);
	env[3] = atk_message(PKI, "cantho", "cantho", 4, hash[3], fsb_fmt_now_ms(), "NOW", 0, &len[3], hash[4]);
	/* Alone, the 2020 messages are refused: nothing vouches for them. */
	for (int i = 0; i < 3; i++)
		atk_publish(a, topic_of("cantho"), env[i], len[i], 0);
	atk_drain(a);
	wait_rejects(&longan, 1);
	h_sleep_ms(500);
	cr_expect_eq(hn_head(&longan, "cantho"), 0);
	uint64_t refused = hn_rejects(&longan);
	/* Cần Thơ's checkpoint says seq 4 exists; the history comes again,
	 * then seq 4, signed in force: all four are taken. */
	struct fsb_stream_state head = {.origin = "cantho", .seq = 4};
	memcpy(head.payload_hash, hash[4], FSB_HASH_LEN);
	size_t cl;
	uint8_t *cp = checkpoint(PKI, "cantho", "cantho", &head, 1, &cl);
	atk_publish(a, "foodsafety/v1/cantho/checkpoint", cp, cl, 0);
	atk_drain(a);
	h_sleep_ms(300);
	for (int i = 0; i < 4; i++)
		atk_publish(a, topic_of("cantho"), env[i], len[i], 0);
	atk_drain(a);
	cr_expect(hn_wait_head(&longan, "cantho", 4, WAIT_MS), "the vouched history was not taken (head %llu)",
		  (unsigned long long)hn_head(&longan, "cantho"));
	cr_expect_eq(hn_stop(&longan), 0);
	char *out = NULL, *err = NULL;
	cr_expect_eq(th_fsbridge(&out, &err, "audit verify -c %s --full", longan.conf), 0, "%s%s", out, err);
	free(out);
	free(err);
	for (int i = 0; i < 4; i++)
		free(env[i]);
	free(cp);
	atk_close(a);
	row("old history, vouched / not vouched", 11, refused, "refused alone; taken once vouched; audit OK");
}

/* Revokes angiang-spare in the PKI copy at p; the new CRL is p/ca.crl.new. */
static void copy_and_revoke(const char *p)
{
	cr_assert_eq(th_sh("mkdir -p %s", p), 0);
	th_pki_copy(p);
	th_pki_revoke(p, "angiang-spare");
}

/* A CRL changed on disk was ignored until restart, and nodes with the old
 * and the new CRL asked each other for the same message every 3 s. */
Test(attacks, a_crl_changed_on_disk_is_used_at_once)
{
	char pl[128], pc[128];
	snprintf(pl, sizeof pl, "%s/pki-longan", dir);
	snprintf(pc, sizeof pc, "%s/pki-cantho", dir);
	copy_and_revoke(pl);
	cr_assert_eq(th_sh("mkdir -p %s", pc), 0);
	th_pki_copy(pc);
	hn_init_with(&longan, dir, "longan", &broker, pl, NULL, "");
	hn_init_with(&cantho, dir, "cantho", &broker, pc, NULL, "");
	hn_start(&longan);
	hn_start(&cantho);
	struct atk *a = atk_tls(&broker, PKI, "angiang");
	uint8_t h[3][FSB_HASH_LEN];
	memset(h[0], 0, FSB_HASH_LEN);
	size_t len;
	uint8_t *env = atk_message(PKI, "angiang-spare", "angiang", 1, h[0], fsb_fmt_now_ms(), "SPARE", 0,
				   &len, h[1]);
	atk_publish(a, topic_of("angiang"), env, len, 0);
	atk_drain(a);
	free(env);
	cr_assert(hn_wait_head(&longan, "angiang", 1, WAIT_MS));
	cr_assert(hn_wait_head(&cantho, "angiang", 1, WAIT_MS));
	/* Long An's CRL file is replaced (as tools do: a new file renamed over
	 * the old); Cần Thơ keeps the old one. */
	cr_assert_eq(th_sh("mv %s/ca.crl.new %s/ca.crl", pl, pl), 0);
	cr_expect(hn_wait_log(&longan, "trust read again", 5000), "the changed CRL was not read");
	env = atk_message(PKI, "angiang-spare", "angiang", 2, h[1], fsb_fmt_now_ms(), "SPARE", 0, &len, h[2]);
	atk_publish(a, topic_of("angiang"), env, len, 0);
	atk_drain(a);
	free(env);
	wait_rejects(&longan, 1);
	cr_expect(hn_wait_head(&cantho, "angiang", 2, WAIT_MS), "the node with the old CRL took it");
	cr_expect_eq(hn_head(&longan, "angiang"), 1);
	/* No loop: Long An neither asks for it again nor records it again. */
	h_sleep_ms(10000);
	cr_expect_eq(hn_rejects(&longan), 1, "the revoked message was refused %llu times",
		     (unsigned long long)hn_rejects(&longan));
	cr_expect_eq(hn_log_count(&longan, "asked cantho for angiang") + hn_log_count(&longan, "asked angiang"), 0);
	/* A bad CRL file: an error line, the trust in force stays. */
	cr_assert_eq(th_sh("cp %s/ca.crl %s/good.crl && echo junk > %s/ca.crl.tmp && mv %s/ca.crl.tmp %s/ca.crl",
			   pl, pl, pl, pl, pl), 0);
	cr_expect(hn_wait_log(&longan, "trust files changed but cannot be used", 5000));
	char *err = NULL;
	cr_expect_eq(th_fsbridge(NULL, &err, "check -c %s", longan.conf), 1);
	cr_expect(strstr(err, "cannot load CRL"), "%s", err);
	free(err);
	env = atk_message(PKI, "angiang-spare", "angiang", 2, h[1], fsb_fmt_now_ms(), "SPARE-AGAIN", 0, &len, NULL);
	atk_publish(a, topic_of("angiang"), env, len, 0);
	free(env);
	env = atk_message(PKI, "angiang", "angiang", 2, h[1], fsb_fmt_now_ms(), "GOOD", 0, &len, NULL);
	atk_publish(a, topic_of("angiang"), env, len, 0);
	free(env);
	atk_drain(a);
	cr_expect(hn_wait_head(&longan, "angiang", 2, WAIT_MS), "the good key was refused after a bad CRL");
	cr_expect_eq(hn_rejects(&longan), 2);
	/* SIGHUP reads the files again. */
	cr_assert_eq(th_sh("cp %s/good.crl %s/ca.crl", pl, pl), 0);
	h_sleep_ms(500);
	kill(longan.pid, SIGHUP);
	cr_expect(hn_wait_log(&longan, "reading the trust files again (SIGHUP)", 5000));
	atk_close(a);
	row("CRL changed on disk; bad CRL; SIGHUP", 5, hn_rejects(&longan),
	    "adopted at once; refused once, not asked again");
	/* Cần Thơ holds angiang:2 (spare key, accepted under its old CRL), Long
	 * An holds the good angiang:2: the exchange goes on, and each log
	 * passes its own audit. */
	cr_assert_eq(hn_submit(&longan, 1, "AFTER"), 0);
	cr_expect(hn_wait_head(&cantho, "longan", 1, WAIT_MS));
	hn_stop(&longan);
	hn_stop(&cantho);
	char *out = NULL;
	err = NULL;
	cr_expect_eq(th_fsbridge(&out, &err, "audit verify -c %s --full", longan.conf), 0, "%s%s", out, err);
	free(out);
	free(err);
}

/* A newer CRL handed to the exchange with one command: every node adopts
 * it within seconds, and keeps it across a restart. */
Test(attacks, a_published_crl_reaches_every_node)
{
	char p[128], path[200];
	snprintf(p, sizeof p, "%s/pki", dir);
	copy_and_revoke(p);
	start_pair(p, NULL);
	snprintf(path, sizeof path, "%s/ca.crl.new", p);
	char *out = NULL, *err = NULL;
	cr_assert_eq(th_fsbridge(&out, &err, "trust publish-crl -c %s %s", longan.conf, path), 0, "%s%s", out, err);
	cr_expect(strstr(out, "published on foodsafety/v1/longan/crl"), "%s", out);
	free(out);
	free(err);
	cr_expect(hn_wait_log(&longan, "adopted CRL number", 5000));
	cr_expect(hn_wait_log(&cantho, "adopted CRL number", 5000));
	struct atk *a = atk_tls(&broker, PKI, "angiang");
	size_t len;
	uint8_t *env = atk_message(PKI, "angiang-spare", "angiang", 1, NULL, fsb_fmt_now_ms(), "SPARE", 0,
				   &len, NULL);
	atk_publish(a, topic_of("angiang"), env, len, 0);
	atk_drain(a);
	wait_rejects(&longan, 1);
	wait_rejects(&cantho, 1);
	/* After a restart, with the old file still in place. */
	hn_stop(&cantho);
	hn_start(&cantho);
	cr_expect(hn_log_count(&cantho, "adopted earlier, stays in force"));
	free(env);
	env = atk_message(PKI, "angiang-spare", "angiang", 1, NULL, fsb_fmt_now_ms(), "SPARE2", 0, &len, NULL);
	atk_publish(a, topic_of("angiang"), env, len, 0);
	atk_drain(a);
	free(env);
	wait_rejects(&cantho, 2);
	cr_expect_eq(hn_head(&cantho, "angiang"), 0);
	/* An older CRL than the one the configuration holds is not handed on;
	 * a CRL of another CA, or junk, put on the topic is refused by the
	 * nodes. */
	cr_assert_eq(th_sh("cp %s/ca.crl %s/older.crl && cp %s/ca.crl.new %s/ca.crl", PKI, p, p, p), 0);
	err = NULL;
	cr_expect_eq(th_fsbridge(NULL, &err, "trust publish-crl -c %s %s/older.crl", longan.conf, p), 1);
	cr_expect(strstr(err, "is older than"), "%s", err);
	free(err);
	size_t flen;
	char *foreign = th_read(PKI_OTHER "/ca.crl", &flen);
	uint64_t before = hn_rejects(&longan);
	atk_publish(a, "foodsafety/v1/angiang/crl", foreign, flen, 1);
	atk_publish(a, "foodsafety/v1/angiang/crl", "junk", 4, 1);
	atk_drain(a);
	wait_rejects(&longan, before + 2);
	atk_publish(a, "foodsafety/v1/angiang/crl", "", 0, 1);
	atk_drain(a);
	free(foreign);
	atk_close(a);
	row("CRL handed to the exchange", 6, hn_rejects(&longan), "adopted by both, kept across restart");
	still_exchange();
}

/* Sizes of longan's envelopes for seqs 1..n, summed from its own log: what
 * a requester that holds nothing is missing. */
static uint64_t stream_bytes(const struct node *n, const char *origin, uint64_t upto)
{
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *st;
	char err[256];
	uint64_t total = 0;
	cr_assert_eq(fsb_store_open(n->data, &o, &st, err, sizeof err), 0);
	for (uint64_t s = 1; s <= upto; s++) {
		uint64_t index;
		struct fsb_entry e;
		cr_assert_eq(fsb_store_find_seq(st, origin, s, &index), 0);
		cr_assert_eq(fsb_store_get(st, index, &e), 0);
		total += e.envelope_len;
		fsb_entry_clear(&e);
	}
	fsb_store_close(st);
	return total;
}

static uint8_t *sync_request(const char *origin, const char *stream, uint64_t from, uint64_t to,
			     const char *responder, size_t *len)
{
	struct fsb_control c = {.type = FSB_CONTROL_SYNC, .from_seq = from, .to_seq = to};
	snprintf(c.origin, sizeof c.origin, "%s", origin);
	fsb_fmt_time(fsb_fmt_now_ms(), c.issued_at);
	snprintf(c.sync_origin, sizeof c.sync_origin, "%s", stream);
	snprintf(c.responder, sizeof c.responder, "%s", responder);
	return atk_control(PKI, origin, &c, len);
}

/* A SyncRequest to 2^64-1 wrapped and jammed a re-send slot for good (32
 * stopped all sync), and 10 requests of 6.2 KB produced 11.3 MB of
 * re-sends to every node. Now a requester gets at most what it misses,
 * once per resend_memory, and only it gets it. */
Test(attacks, sync_requests_are_bounded)
{
	start_pair(NULL, NULL);
	enum { N = 200 };
	deliver(&longan, &cantho, N, "STREAM");
	uint64_t missing = stream_bytes(&longan, "longan", N);
	struct atk *sniff = atk_open(&broker);
	atk_listen(sniff, "foodsafety/v1/+/resend/#");
	struct atk *others = atk_open(&broker);
	atk_listen(others, "foodsafety/v1/+/resend/cantho");
	struct atk *a = atk_tls(&broker, PKI, "angiang");
	/* An Giang's own checkpoint: it holds nothing of Long An's stream. */
	size_t len;
	struct fsb_stream_state own = {.origin = "angiang", .seq = 0};
	uint8_t *env = checkpoint(PKI, "angiang", "angiang", &own, 1, &len);
	atk_publish(a, "foodsafety/v1/angiang/checkpoint", env, len, 0);
	free(env);
	/* 32 requests to 2^64-1, and more for everything, and for streams
	 * Long An does not hold. */
	for (int i = 0; i < 32; i++) {
		env = sync_request("angiang", i % 2 ? "longan" : "nowhere", (uint64_t)i, UINT64_MAX, "longan", &len);
		atk_publish(a, "foodsafety/v1/angiang/sync/longan", env, len, 0);
		free(env);
	}
	for (int i = 0; i < 10; i++) {
		env = sync_request("angiang", "longan", 1, 10000, "longan", &len);
		atk_publish(a, "foodsafety/v1/angiang/sync/longan", env, len, 0);
		free(env);
	}
	atk_drain(a);
	h_sleep_ms(6000);
	uint64_t bytes, heard = atk_heard(sniff, &bytes);
	cr_expect_eq(heard, N, "%llu re-sent for %d missing", (unsigned long long)heard, N);
	double ratio = (double)bytes / (double)missing;
	cr_expect_leq(ratio, 1.0, "re-sent %llu bytes for %llu missing: %.2f x", (unsigned long long)bytes,
		      (unsigned long long)missing, ratio);
	cr_expect_eq(atk_heard(others, NULL), 0, "re-sends for An Giang reached Cần Thơ's topic");
	/* Asking again within resend_memory costs nothing. */
	for (int i = 0; i < 10; i++) {
		env = sync_request("angiang", "longan", 1, 10000, "longan", &len);
		atk_publish(a, "foodsafety/v1/angiang/sync/longan", env, len, 0);
		free(env);
	}
	/* A requester whose checkpoint shows it holds the stream gets nothing. */
	struct fsb_stream_state all = {.origin = "longan", .seq = N};
	held_hash(&longan, "longan", N, all.payload_hash);
	env = checkpoint(PKI, "angiang", "angiang", &all, 1, &len);
	atk_publish(a, "foodsafety/v1/angiang/checkpoint", env, len, 0);
	free(env);
	env = sync_request("angiang", "longan", 1, N, "longan", &len);
	atk_publish(a, "foodsafety/v1/angiang/sync/longan", env, len, 0);
	free(env);
	atk_drain(a);
	h_sleep_ms(3000);
	uint64_t heard2 = atk_heard(sniff, &bytes);
	cr_expect_eq(heard2, N, "asked again: %llu more re-sent", (unsigned long long)(heard2 - N));
	char outcome[160];
	snprintf(outcome, sizeof outcome, "re-sent %llu of %llu bytes missing (%.2f x), to the requester only",
		 (unsigned long long)bytes, (unsigned long long)missing, ratio);
	row("sync flood (53 requests, 2^64-1 ranges)", 53, 0, outcome);
	/* Sync still works for the others: Cần Thơ catches up after an absence. */
	hn_stop(&cantho);
	cr_assert_eq(hn_submit(&longan, 30, "ABSENT"), 0);
	hn_start(&cantho);
	cr_expect(hn_wait_head(&cantho, "longan", N + 30, WAIT_MS), "sync is jammed (head %llu)",
		  (unsigned long long)hn_head(&cantho, "longan"));
	atk_close(a);
	atk_close(sniff);
	atk_close(others);
	still_exchange();
}

/* A third province's checkpoint claiming Long An's and Cần Thơ's streams
 * at 2^63 made both ask each other for 10,000 messages every 3 s, and
 * status said "this node lags" even after a restart. */
Test(attacks, a_third_party_checkpoint_is_only_a_hint)
{
	start_pair(NULL, NULL);
	deliver(&longan, &cantho, 2, "REAL");
	struct atk *a = atk_tls(&broker, PKI, "angiang");
	struct fsb_stream_state claims[2] = {{.origin = "longan", .seq = 1ULL << 63},
					     {.origin = "cantho", .seq = 1ULL << 63}};
	size_t len;
	uint8_t *env = checkpoint(PKI, "angiang", "angiang", claims, 2, &len);
	atk_publish(a, "foodsafety/v1/angiang/checkpoint", env, len, 1);
	atk_drain(a);
	free(env);
	cr_expect(hn_wait_log(&longan, "ANOMALY: angiang claims to hold", 5000));
	cr_expect(hn_wait_log(&cantho, "ANOMALY: angiang claims to hold", 5000));
	h_sleep_ms(8000);
	cr_expect_eq(hn_log_count(&longan, "asked"), 0, "a third party's claim started sync requests");
	cr_expect_eq(hn_log_count(&cantho, "asked"), 0, "a third party's claim started sync requests");
	/* Named so in status, after a restart too. */
	hn_stop(&cantho);
	char *st = status_of(&cantho);
	cr_expect(strstr(st, "angiang    checkpoint of") && strstr(st, "ANOMALY: claims what was never signed"), "%s", st);
	cr_expect(strstr(st, "ANOMALY: beyond what longan has signed (2)"), "%s", st);
	cr_expect(strstr(st, "ANOMALY: beyond what this node has signed (0)"), "%s", st);
	cr_expect_null(strstr(st, "this node lags"), "%s", st);
	free(st);
	hn_start(&cantho);
	/* A checkpoint listing more streams than a node keeps is refused. */
	enum { MANY = 1100 };
	struct fsb_stream_state *many = calloc(MANY, sizeof *many);
	for (int i = 0; i < MANY; i++) {
		snprintf(many[i].origin, sizeof many[i].origin, "p%d", i);
		many[i].seq = 1;
	}
	env = checkpoint(PKI, "angiang", "angiang", many, MANY, &len);
	atk_publish(a, "foodsafety/v1/angiang/checkpoint", env, len, 0);
	atk_drain(a);
	free(env);
	free(many);
	wait_rejects(&longan, 1);
	char *lst = status_of(&longan);
	cr_expect(strstr(lst, "checkpoint lists 1100 streams, more than the 1024 this node keeps"), "%s", lst);
	free(lst);
	atk_publish(a, "foodsafety/v1/angiang/checkpoint", "", 0, 1);
	atk_drain(a);
	atk_close(a);
	row("third-party checkpoint at 2^63; 1100 streams", 2, hn_rejects(&longan),
	    "ANOMALY said and shown; no request; oversize refused");
	still_exchange();
}

/* When a peer's checkpoint gives another hash for a seq held, status said
 * "peer lags". An Giang signs two different angiang:1 and sends one to each
 * node (re-sends are addressed): both say DIVERGED, with both hashes. */
Test(attacks, a_split_is_named_diverged)
{
	start_pair(NULL, NULL);
	struct atk *a = atk_tls(&broker, PKI, "angiang");
	char a8[17], b8[17], want[200];
	atk_split(a, PKI, "angiang", "VARIANT", "longan", "cantho", a8, b8);
	cr_assert(hn_wait_head(&longan, "angiang", 1, WAIT_MS));
	cr_assert(hn_wait_head(&cantho, "angiang", 1, WAIT_MS));
	cr_expect(hn_wait_log(&longan, "DIVERGED: cantho holds angiang:1", 10000));
	cr_expect(hn_wait_log(&cantho, "DIVERGED: longan holds angiang:1", 10000));
	char *st = status_of(&longan);
	snprintf(want, sizeof want, "DIVERGED: cantho holds %s… at seq 1, this node %s…", b8, a8);
	cr_expect(strstr(st, want), "want \"%s\" in %s", want, st);
	free(st);
	st = status_of(&cantho);
	snprintf(want, sizeof want, "DIVERGED: longan holds %s… at seq 1, this node %s…", a8, b8);
	cr_expect(strstr(st, want), "want \"%s\" in %s", want, st);
	free(st);
	atk_close(a);
	row("a split (one payload to each node)", 2, 0, "DIVERGED said and shown on both");
	still_exchange();
}

/* The smaller ones: a 16 MiB envelope, a full inbound queue, a config that
 * is not a file, an impossible --id, a directory that is not a log. */
Test(attacks, the_small_ones)
{
	/* inbound_wait = 0: past the budget a message is dropped at once, not
	 * held back at the broker (a flood the loop would keep up with). */
	start_pair(NULL, "[limits]\ninbound_bytes = 262144\ninbound_wait = 0\n");
	struct atk *open = atk_open(&broker);
	size_t big = 16u << 20;
	uint8_t *junk = malloc(big);
	memset(junk, 0x0a, big);
	atk_publish(open, topic_of("longan"), junk, big, 0);
	atk_drain(open);
	free(junk);
	wait_rejects(&cantho, 1);
	char *st = status_of(&cantho);
	cr_expect(strstr(st, "envelope of 16777216 bytes exceeds the cap of 262144 bytes"), "%s", st);
	free(st);
	/* More than 256 KiB waiting for the loop: dropped, and recorded. */
	size_t len;
	uint8_t *env = atk_forged(PKI, "longan", "longan", 5, 200 * 1024, &len);
	for (int i = 0; i < 60; i++)
		atk_publish(open, topic_of("longan"), env, len, 0);
	atk_drain(open);
	free(env);
	wait_rejects(&cantho, 3);
	cr_expect(has_reject(&cantho, "inbound queue over 262144 bytes: dropped"),
		  "the dropped messages were not recorded");
	uint64_t rejected = hn_rejects(&cantho);
	atk_close(open);
	char *err = NULL;
	cr_expect_eq(th_fsbridge(NULL, &err, "check -c /dev/zero"), 1);
	cr_expect(strstr(err, "/dev/zero: not a regular file"), "%s", err);
	free(err);
	char path[128];
	snprintf(path, sizeof path, "%s/huge.conf", dir);
	cr_assert_eq(th_sh("head -c 70000 /dev/zero | tr '\\0' ';' > %s", path), 0);
	err = NULL;
	cr_expect_eq(th_fsbridge(NULL, &err, "run -c %s", path), 1);
	cr_expect(strstr(err, "70000 bytes; a node configuration is at most 65536"), "%s", err);
	free(err);
	err = NULL;
	cr_expect_eq(th_fsbridge(NULL, &err, "replay -c %s --id longan:99999999999999999999999", cantho.conf), 2);
	cr_expect(strstr(err, "--id \"longan:99999999999999999999999\""), "%s", err);
	free(err);
	err = NULL;
	cr_expect_eq(th_fsbridge(NULL, &err, "audit verify --data %s", broker.dir), 1);
	cr_expect(strstr(err, "is not an fsbridge data directory"), "%s", err);
	free(err);
	row("16 MiB envelope; queue overflow; bad input", 61, rejected, "recorded; clear one-line errors");
	still_exchange();
}
