/* test_sequence.c - the sequencer on its own: what waits, what is taken,
 * what one signature check covers, budgets, conflicts and gap requests.
 *
 * Messages are made up: each has a payload hash derived from (stream, seq,
 * variant) and links to its predecessor's; the verify callback answers from
 * what the test says each message is (in force, stale, forged) and counts
 * its calls, as the node's signature check would. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sequence.h"

enum truth { GOOD, STALE, FORGED };

struct msg {
	enum truth truth;
	int released;
	enum fsb_seq_drop why;
};

#define MAX_MSGS 4096
static struct msg msgs[MAX_MSGS];
static size_t n_msgs;
static int verifies, releases;

static int verify(void *ctx, const char *origin, struct fsb_seq_item *it)
{
	(void)ctx;
	(void)origin;
	struct msg *m = it->data;
	verifies++;
	return m->truth == GOOD ? FSB_SEQ_IN_FORCE : m->truth == STALE ? FSB_SEQ_STALE : FSB_EINVAL;
}

static void release(void *ctx, const char *origin, struct fsb_seq_item *it, enum fsb_seq_drop why)
{
	(void)ctx;
	(void)origin;
	struct msg *m = it->data;
	m->released++;
	m->why = why;
	releases++;
}

static struct fsb_seq_limits limits = {
	.max_bytes = 100000, .max_stream_bytes = 50000, .max_streams = 100,
	.gap_wait_ms = 400, .retry_ms = 3000, .retry_max_ms = 20000, .max_ask = 1000,
	.stale_wait_ms = 60000,
};
static struct fsb_seq *q;

static void setup(void)
{
	memset(msgs, 0, sizeof msgs);
	n_msgs = 0;
	verifies = releases = 0;
	struct fsb_seq_ops ops = {verify, release, NULL};
	cr_assert_eq(fsb_seq_open(&limits, &ops, &q), 0);
}

static void teardown(void)
{
	fsb_seq_close(q);
}

TestSuite(sequence, .init = setup, .fini = teardown);

/* The payload hash of (origin, seq, variant). */
static void hash_of(const char *origin, uint64_t seq, int variant, uint8_t h[FSB_HASH_LEN])
{
	memset(h, 0, FSB_HASH_LEN);
	if (seq == 0)
		return;
	snprintf((char *)h, FSB_HASH_LEN, "%s/%llu/%d", origin, (unsigned long long)seq, variant);
}

/* A message of origin at seq (variant 0 links to variant 0 below it). */
static struct fsb_seq_item item(const char *origin, uint64_t seq, int variant, enum truth truth,
				enum fsb_seq_trust trust, size_t bytes)
{
	cr_assert_lt(n_msgs, MAX_MSGS);
	struct fsb_seq_item it = {.seq = seq, .bytes = bytes, .trust = trust};
	hash_of(origin, seq, variant, it.payload_hash);
	hash_of(origin, seq - 1, 0, it.prev_hash);
	struct msg *m = &msgs[n_msgs++];
	m->truth = truth;
	it.data = m;
	return it;
}

static enum fsb_seq_admitted offer(const char *origin, uint64_t seq, enum truth truth,
				   enum fsb_seq_trust trust)
{
	struct fsb_seq_item it = item(origin, seq, 0, truth, trust, 100);
	return fsb_seq_admit(q, origin, &it);
}

/* Takes what can be appended and appends it all; returns the count. */
static size_t take_all(const char *origin)
{
	struct fsb_seq_item out[MAX_MSGS];
	size_t n = fsb_seq_take(q, origin, out, MAX_MSGS);
	for (size_t i = 0; i < n; i++)
		fsb_seq_appended(q, origin, out[i].seq, out[i].payload_hash);
	return n;
}

Test(sequence, an_in_order_run_costs_one_check)
{
	for (uint64_t s = 1; s <= 50; s++)
		cr_assert_eq(offer("longan", s, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_KEPT);
	cr_expect_eq(take_all("longan"), 50);
	cr_expect_eq(verifies, 1, "only the newest is checked, got %d checks", verifies);
	cr_expect_eq(fsb_seq_held(q, "longan", NULL), 50);
	cr_expect_eq(releases, 0);
}

Test(sequence, a_failed_newest_falls_back_to_checking_each)
{
	for (uint64_t s = 1; s <= 4; s++)
		offer("longan", s, GOOD, FSB_SEQ_UNCHECKED);
	offer("longan", 5, FORGED, FSB_SEQ_UNCHECKED);
	cr_expect_eq(take_all("longan"), 4);
	/* 5 fails; 4 is checked on its own and vouches for 1..3. */
	cr_expect_eq(verifies, 2);
	cr_expect_eq(msgs[4].released, 1);
	cr_expect_eq(msgs[4].why, FSB_SEQ_FAILED);
	/* Every message forged: each is checked and each fails. */
	for (uint64_t s = 5; s <= 8; s++)
		offer("longan", s, FORGED, FSB_SEQ_UNCHECKED);
	verifies = 0;
	cr_expect_eq(take_all("longan"), 0);
	cr_expect_eq(verifies, 4);
	cr_expect_eq(fsb_seq_held(q, "longan", NULL), 4);
}

Test(sequence, unchecked_messages_wait_only_next_in_order)
{
	cr_expect_eq(fsb_seq_place(q, "longan", 1), FSB_SEQ_NEXT);
	cr_expect_eq(fsb_seq_place(q, "longan", 2), FSB_SEQ_AHEAD);
	cr_expect_eq(offer("longan", 2, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_NOT_KEPT);
	struct fsb_seq_stats st;
	fsb_seq_stats(q, &st);
	cr_expect_eq(st.streams, 0, "a refused offer made a stream");
	cr_expect_eq(offer("longan", 1, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_KEPT);
	cr_expect_eq(fsb_seq_place(q, "longan", 2), FSB_SEQ_NEXT);
	cr_expect_eq(offer("longan", 2, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_KEPT);
	/* Beyond a gap only a verified message waits, and it says the gap
	 * exists. */
	cr_expect_eq(offer("longan", 9, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_NOT_KEPT);
	cr_expect_eq(fsb_seq_known_seq(q, "longan"), 0);
	cr_expect_eq(offer("longan", 9, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_KEPT);
	cr_expect_eq(fsb_seq_known_seq(q, "longan"), 9);
	cr_expect_eq(verifies, 0);
	cr_expect_eq(take_all("longan"), 2);
	cr_expect_eq(fsb_seq_place(q, "longan", 2), FSB_SEQ_HELD);
	cr_expect_eq(offer("longan", 2, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_NOT_KEPT);
}

Test(sequence, stale_messages_wait_for_a_later_one_in_force)
{
	/* History signed with a certificate that has since expired, re-sent
	 * in order to a node that knows (from the origin) that seq 4 exists:
	 * it waits until a message in force links to it. */
	cr_assert_eq(fsb_seq_known(q, "cantho", 4), 0);
	for (uint64_t s = 1; s <= 3; s++)
		cr_assert_eq(offer("cantho", s, STALE, FSB_SEQ_STALE), FSB_SEQ_KEPT);
	cr_expect_eq(take_all("cantho"), 0);
	cr_expect_eq(releases, 0);
	cr_expect_eq(offer("cantho", 4, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_KEPT);
	cr_expect_eq(take_all("cantho"), 4);
	cr_expect_eq(verifies, 1);
	/* Stale and out of order: never kept. */
	cr_expect_eq(offer("cantho", 9, STALE, FSB_SEQ_STALE), FSB_SEQ_NOT_KEPT);
	/* A stale one when nothing later is known to exist: nothing can vouch
	 * for it, it is let go at once. */
	cr_expect_eq(offer("cantho", 5, STALE, FSB_SEQ_STALE), FSB_SEQ_KEPT);
	cr_expect_eq(take_all("cantho"), 0);
	cr_expect_eq(msgs[5].released, 1);
	cr_expect_eq(msgs[5].why, FSB_SEQ_UNVOUCHED);
	cr_expect_eq(fsb_seq_held(q, "cantho", NULL), 4);
	/* When a later one is known, it waits, but not for ever. */
	fsb_seq_known(q, "cantho", 6);
	struct fsb_seq_item it = item("cantho", 5, 0, STALE, FSB_SEQ_STALE, 100);
	it.at_ms = 1000;
	cr_assert_eq(fsb_seq_admit(q, "cantho", &it), FSB_SEQ_KEPT);
	cr_expect_eq(take_all("cantho"), 0);
	struct fsb_seq_ask a[2];
	fsb_seq_due(q, 61000, a, 2);
	cr_expect_eq(msgs[6].released, 0);
	fsb_seq_due(q, 61001, a, 2);
	cr_expect_eq(msgs[6].released, 1);
	cr_expect_eq(msgs[6].why, FSB_SEQ_UNVOUCHED);
}

Test(sequence, a_stale_message_another_links_past_is_dropped)
{
	/* An expired key signed seq 1 (variant 1); the origin's real seq 2 is
	 * in force and links to its real seq 1 (variant 0). */
	fsb_seq_known(q, "cantho", 2);
	struct fsb_seq_item fake = item("cantho", 1, 1, STALE, FSB_SEQ_STALE, 100);
	cr_assert_eq(fsb_seq_admit(q, "cantho", &fake), FSB_SEQ_KEPT);
	cr_assert_eq(offer("cantho", 2, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_KEPT);
	cr_expect_eq(take_all("cantho"), 0);
	cr_expect_eq(msgs[0].released, 1);
	cr_expect_eq(msgs[0].why, FSB_SEQ_UNVOUCHED);
	/* The real seq 1, in force, then completes the run. */
	cr_expect_eq(offer("cantho", 1, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_KEPT);
	cr_expect_eq(take_all("cantho"), 2);
}

Test(sequence, for_one_seq_the_message_in_force_wins)
{
	/* A stale candidate is replaced by one in force ... */
	fsb_seq_known(q, "longan", 5);
	struct fsb_seq_item stale = item("longan", 1, 1, STALE, FSB_SEQ_STALE, 100);
	cr_assert_eq(fsb_seq_admit(q, "longan", &stale), FSB_SEQ_KEPT);
	cr_expect_eq(offer("longan", 1, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_KEPT);
	cr_expect_eq(verifies, 1, "the unchecked newcomer is checked before it can win");
	cr_expect_eq(msgs[0].why, FSB_SEQ_CONFLICT);
	/* ... a forged one never displaces anything ... */
	struct fsb_seq_item forged = item("longan", 1, 2, FORGED, FSB_SEQ_UNCHECKED, 100);
	cr_expect_eq(fsb_seq_admit(q, "longan", &forged), FSB_SEQ_NOT_KEPT);
	/* ... a second one in force does not either (the first stays; the
	 * store judges equivocation against what it holds) ... */
	struct fsb_seq_item other = item("longan", 1, 3, GOOD, FSB_SEQ_IN_FORCE, 100);
	cr_expect_eq(fsb_seq_admit(q, "longan", &other), FSB_SEQ_NOT_KEPT);
	/* ... and the same bytes again are a duplicate. */
	struct fsb_seq_item again = item("longan", 1, 0, GOOD, FSB_SEQ_UNCHECKED, 100);
	cr_expect_eq(fsb_seq_admit(q, "longan", &again), FSB_SEQ_DUPLICATE);
	/* An unchecked forgery waiting first is found out when the real one
	 * comes. */
	struct fsb_seq_item junk = item("cantho", 1, 5, FORGED, FSB_SEQ_UNCHECKED, 100);
	cr_assert_eq(fsb_seq_admit(q, "cantho", &junk), FSB_SEQ_KEPT);
	cr_expect_eq(offer("cantho", 1, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_KEPT);
	cr_expect_eq(msgs[5].released, 1);
	cr_expect_eq(msgs[5].why, FSB_SEQ_FAILED);
	cr_expect_eq(take_all("cantho"), 1);
	cr_expect_eq(take_all("longan"), 1);
}

Test(sequence, a_stream_budget_drops_the_highest_seqs)
{
	/* 50000 bytes a stream: 500 of 100 bytes. */
	for (uint64_t s = 2; s <= 501; s++)
		cr_assert_eq(offer("longan", s, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_KEPT);
	/* One more beyond them: no room, and nothing lower makes way (so it
	 * is not even worth verifying). */
	cr_expect_not(fsb_seq_room(q, "longan", 600, 100));
	cr_expect(fsb_seq_room(q, "longan", 1, 100));
	cr_expect(fsb_seq_room(q, "cantho", 7, 100));
	cr_expect_eq(offer("longan", 600, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_NOT_KEPT);
	cr_expect_eq(msgs[499].released, 0);
	/* One below them: the highest makes way. */
	cr_expect_eq(offer("longan", 1, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_KEPT);
	cr_expect_eq(msgs[499].released, 1);
	cr_expect_eq(msgs[499].why, FSB_SEQ_EVICTED);
	struct fsb_seq_stats st;
	fsb_seq_stats(q, &st);
	cr_expect_eq(st.bytes, 50000);
	cr_expect_eq(st.evicted, 1);
	cr_expect_eq(take_all("longan"), 500);
	/* A message larger than a stream's budget is never kept. */
	struct fsb_seq_item big = item("longan", 501, 0, GOOD, FSB_SEQ_IN_FORCE, 50001);
	cr_expect_eq(fsb_seq_admit(q, "longan", &big), FSB_SEQ_NOT_KEPT);
}

Test(sequence, the_total_budget_takes_from_the_stream_that_holds_most)
{
	/* 100000 bytes in all: a flooding stream takes its 50000 ... */
	for (uint64_t s = 2; s <= 501; s++)
		offer("angiang", s, GOOD, FSB_SEQ_IN_FORCE);
	for (uint64_t s = 2; s <= 400; s++)
		offer("longan", s, GOOD, FSB_SEQ_IN_FORCE);
	struct fsb_seq_stats st;
	fsb_seq_stats(q, &st);
	cr_expect_eq(st.bytes, 89900);
	/* ... and when the whole buffer is full, the biggest pays. */
	for (uint64_t s = 2; s <= 201; s++)
		cr_assert_eq(offer("cantho", s, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_KEPT);
	fsb_seq_stats(q, &st);
	cr_expect_eq(st.bytes, 100000);
	cr_expect_eq(st.evicted, 99);
	int angiang_evicted = 0;
	for (size_t i = 0; i < 500; i++)
		angiang_evicted += msgs[i].released;
	cr_expect_eq(angiang_evicted, 99, "the flooding stream pays for the room");
	cr_expect(fsb_seq_pressed(q));
}

Test(sequence, streams_are_bounded_but_not_small)
{
	char origin[16];
	for (int i = 0; i < 100; i++) {
		snprintf(origin, sizeof origin, "p%d", i);
		cr_assert_eq(offer(origin, 1, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_KEPT, "%s", origin);
	}
	cr_expect_eq(offer("one-too-many", 1, GOOD, FSB_SEQ_UNCHECKED), FSB_SEQ_NOT_KEPT);
	cr_expect_eq(fsb_seq_known(q, "one-too-many", 5), FSB_ETOOBIG);
	for (int i = 0; i < 100; i++) {
		snprintf(origin, sizeof origin, "p%d", i);
		cr_expect_eq(take_all(origin), 1);
	}
}

Test(sequence, gaps_are_asked_for_once_stalled_with_growing_patience)
{
	uint8_t zero[FSB_HASH_LEN] = {0};
	cr_assert_eq(fsb_seq_load(q, "longan", 10, zero), 0);
	struct fsb_seq_ask a[4];
	cr_expect_eq(fsb_seq_due(q, 1000, a, 4), 0, "no gap, no request");
	/* The origin says seq 5000 exists. */
	cr_assert_eq(fsb_seq_known(q, "longan", 5000), 0);
	cr_expect_eq(fsb_seq_due(q, 1000, a, 4), 0, "a gap is given time to fill");
	cr_expect_eq(fsb_seq_due(q, 1399, a, 4), 0);
	cr_assert_eq(fsb_seq_due(q, 1400, a, 4), 1);
	cr_expect_str_eq(a[0].origin, "longan");
	cr_expect_eq(a[0].from, 11);
	cr_expect_eq(a[0].to, 1010, "at most max_ask seqs");
	fsb_seq_asked(q, "longan", 1400);
	cr_expect_eq(fsb_seq_due(q, 4399, a, 4), 0);
	cr_expect_eq(fsb_seq_due(q, 4400, a, 4), 1, "asked again after retry_ms");
	fsb_seq_asked(q, "longan", 4400);
	cr_expect_eq(fsb_seq_due(q, 10399, a, 4), 0, "no answer: twice as patient");
	cr_expect_eq(fsb_seq_due(q, 10400, a, 4), 1);
	fsb_seq_asked(q, "longan", 10400);
	fsb_seq_asked(q, "longan", 10400);
	fsb_seq_asked(q, "longan", 10400);
	cr_expect_eq(fsb_seq_due(q, 30399, a, 4), 0);
	cr_expect_eq(fsb_seq_due(q, 30400, a, 4), 1, "patience stops at retry_max_ms");
	/* An answer arriving: the gap moves, and patience starts over. */
	for (uint64_t s = 11; s <= 20; s++)
		offer("longan", s, GOOD, FSB_SEQ_UNCHECKED);
	take_all("longan");
	cr_expect_eq(fsb_seq_due(q, 30500, a, 4), 0);
	cr_assert_eq(fsb_seq_due(q, 30900, a, 4), 1);
	cr_expect_eq(a[0].from, 21);
	/* A verified message beyond the gap bounds the request. */
	cr_assert_eq(offer("longan", 30, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_KEPT);
	cr_assert_eq(fsb_seq_due(q, 30900, a, 4), 1);
	cr_expect_eq(a[0].to, 29);
}

/* With a jitter, each stream waits gap_wait_ms and its own share of the
 * jitter, fixed by the seed: streams spread, and a seed spreads them
 * otherwise. The moment each stream is asked for is found by stepping the
 * clock, and must fall within [wait, wait + jitter). */
static void ask_times(uint64_t seed, int64_t when[8])
{
	fsb_seq_close(q);
	struct fsb_seq_limits l = limits;
	l.jitter_seed = seed;
	struct fsb_seq_ops ops = {verify, release, NULL};
	cr_assert_eq(fsb_seq_open(&l, &ops, &q), 0);
	fsb_seq_set_gap_wait(q, 1000, 800);
	char origin[8][16];
	for (int i = 0; i < 8; i++) {
		snprintf(origin[i], sizeof origin[i], "p%d", i);
		cr_assert_eq(fsb_seq_known(q, origin[i], 3), 0);
		when[i] = -1;
	}
	struct fsb_seq_ask a[8];
	fsb_seq_due(q, 0, a, 8); /* the gaps are seen at 0 */
	for (int64_t t = 1; t <= 2000; t++) {
		size_t k = fsb_seq_due(q, t, a, 8);
		for (size_t j = 0; j < k; j++) {
			int i = a[j].origin[1] - '0';
			if (when[i] < 0)
				when[i] = t;
			fsb_seq_asked(q, a[j].origin, t);
		}
	}
}

Test(sequence, gap_requests_are_spread_by_a_seeded_jitter)
{
	int64_t one[8], again[8], other[8];
	ask_times(7, one);
	ask_times(7, again);
	ask_times(8, other);
	int64_t lo = INT64_MAX, hi = 0;
	int same_as_other = 0;
	for (int i = 0; i < 8; i++) {
		cr_expect(one[i] >= 1000 && one[i] < 1800, "stream %d asked at %lld", i, (long long)one[i]);
		cr_expect_eq(one[i], again[i], "the same seed, the same moment");
		same_as_other += one[i] == other[i];
		lo = one[i] < lo ? one[i] : lo;
		hi = one[i] > hi ? one[i] : hi;
	}
	cr_expect_gt(hi - lo, 200, "8 streams asked within %lld ms of each other", (long long)(hi - lo));
	cr_expect_lt(same_as_other, 8, "another seed, other moments");
}

Test(sequence, a_refused_message_is_not_asked_for_again_without_news)
{
	uint8_t zero[FSB_HASH_LEN] = {0}, h3[FSB_HASH_LEN];
	cr_assert_eq(fsb_seq_load(q, "longan", 2, zero), 0);
	fsb_seq_known(q, "longan", 3);
	/* Seq 3 came signed by a revoked key and was refused. */
	hash_of("longan", 3, 0, h3);
	fsb_seq_refused(q, "longan", 3, h3);
	cr_expect(fsb_seq_was_refused(q, "longan", 3, h3));
	struct fsb_seq_ask a[2];
	for (int64_t t = 1000; t < 100000; t += 500)
		cr_expect_eq(fsb_seq_due(q, t, a, 2), 0, "asked for a refused message at %lld", (long long)t);
	/* News: the origin's next message, in force, linking to it. Now the
	 * refused bytes would be accepted, and are worth asking for once. */
	cr_assert_eq(offer("longan", 4, GOOD, FSB_SEQ_IN_FORCE), FSB_SEQ_KEPT);
	cr_expect_not(fsb_seq_was_refused(q, "longan", 3, h3));
	cr_assert_eq(fsb_seq_due(q, 100000, a, 2), 1);
	cr_expect_eq(a[0].from, 3);
	cr_expect_eq(a[0].to, 3);
	fsb_seq_asked(q, "longan", 100000);
	/* The stale seq 3 comes again: vouched by 4, the run moves on. */
	struct fsb_seq_item it3 = item("longan", 3, 0, STALE, FSB_SEQ_STALE, 100);
	it3.at_ms = 100100;
	cr_assert_eq(fsb_seq_admit(q, "longan", &it3), FSB_SEQ_KEPT);
	cr_expect_eq(take_all("longan"), 2);
	/* Refused again at 5 with nothing new since: not asked for, not
	 * worth checking. */
	uint8_t h5[FSB_HASH_LEN];
	fsb_seq_known(q, "longan", 5);
	hash_of("longan", 5, 0, h5);
	fsb_seq_refused(q, "longan", 5, h5);
	cr_expect(fsb_seq_was_refused(q, "longan", 5, h5));
	for (int64_t t = 200000; t < 300000; t += 500)
		cr_expect_eq(fsb_seq_due(q, t, a, 2), 0);
}
