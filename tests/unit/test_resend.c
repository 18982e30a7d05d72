/* test_resend.c - the re-send scheduler on its own: clamping, merging,
 * memory of what was re-sent, and each requester's budget. */
#include <criterion/criterion.h>
#include <string.h>

#include "resend.h"

static struct fsb_resend *r;
static const struct fsb_resend_limits limits = {
	.msgs_per_sec = 100, .bytes_per_sec = 1 << 20, .max_jobs = 4, .memory_ms = 60000,
};

static void setup(void)
{
	cr_assert_eq(fsb_resend_open(&limits, &r), 0);
}

static void teardown(void)
{
	fsb_resend_close(r);
}

TestSuite(resend, .init = setup, .fini = teardown);

/* Sends whatever is due at now, each message `bytes` long; returns how
 * many went, up to max. */
static int drain(int64_t now, size_t bytes, int max)
{
	struct fsb_resend_next n;
	int sent = 0;
	while (sent < max && fsb_resend_next(r, now, &n)) {
		fsb_resend_sent(r, &n, bytes, now);
		sent++;
	}
	return sent;
}

Test(resend, requests_are_clamped_to_what_is_held_and_missing)
{
	uint64_t from, to;
	/* The wrap that jammed a slot for good: to = 2^64 - 1. */
	cr_expect_eq(fsb_resend_request(r, "angiang", "longan", 3, UINT64_MAX, 50, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_SCHEDULED);
	cr_expect_eq(from, 3);
	cr_expect_eq(to, 50);
	cr_expect_eq(drain(0, 1000, 1000), 48);
	struct fsb_resend_stats st;
	fsb_resend_stats(r, &st);
	cr_expect_eq(st.jobs, 0, "the job ended at the head");
	/* Nothing held, nothing asked for, or all of it held by the requester. */
	cr_expect_eq(fsb_resend_request(r, "cantho", "longan", 60, 70, 50, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_NOTHING);
	cr_expect_eq(fsb_resend_request(r, "cantho", "longan", 9, 3, 50, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_NOTHING);
	cr_expect_eq(fsb_resend_request(r, "cantho", "longan", 1, 50, 50, 50, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_NOTHING);
	cr_expect_eq(fsb_resend_request(r, "cantho", "longan", 1, 50, 50, UINT64_MAX, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_NOTHING);
	/* What its checkpoint shows it holds is not sent again. */
	cr_expect_eq(fsb_resend_request(r, "cantho", "longan", 0, 50, 50, 40, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_SCHEDULED);
	cr_expect_eq(from, 41);
	cr_expect_eq(to, 50);
}

Test(resend, asking_again_costs_nothing_for_a_while)
{
	uint64_t from, to;
	cr_assert_eq(fsb_resend_request(r, "angiang", "longan", 1, 100, 100, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_SCHEDULED);
	/* Nine more requests for the same range while it is under way ... */
	for (int i = 0; i < 9; i++)
		cr_expect_eq(fsb_resend_request(r, "angiang", "longan", 1, 100, 100, 0, INT64_MIN, 0, &from, &to),
			     FSB_RESEND_NOTHING);
	cr_expect_eq(drain(0, 1000, 1000), 100, "each message once");
	/* ... and after it is done, within memory_ms. */
	for (int i = 0; i < 10; i++)
		cr_expect_eq(fsb_resend_request(r, "angiang", "longan", 1, 100, 100, 0, INT64_MIN, 30000, &from, &to),
			     FSB_RESEND_NOTHING);
	struct fsb_resend_stats st;
	fsb_resend_stats(r, &st);
	cr_expect_eq(st.sent, 100);
	cr_expect_eq(st.bytes, 100000);
	/* A wider request gets only the part not sent. */
	cr_expect_eq(fsb_resend_request(r, "angiang", "longan", 1, 150, 200, 0, INT64_MIN, 30000, &from, &to),
		     FSB_RESEND_SCHEDULED);
	cr_expect_eq(from, 101);
	cr_expect_eq(to, 150);
	/* Under way, a request reaching further widens the job. */
	cr_expect_eq(fsb_resend_request(r, "angiang", "longan", 120, 180, 200, 0, INT64_MIN, 30000, &from, &to),
		     FSB_RESEND_MERGED);
	cr_expect_eq(to, 180);
	cr_expect_eq(drain(30000, 1000, 1000), 80);
	/* Its checkpoint, published after the re-send, still lacks the range:
	 * the re-send was lost on the way, and is made again, once. */
	cr_expect_eq(fsb_resend_request(r, "angiang", "longan", 101, 180, 200, 100, 30500, 31000, &from, &to),
		     FSB_RESEND_SCHEDULED);
	cr_expect_eq(from, 101);
	cr_expect_eq(drain(31000, 1000, 1000), 80);
	cr_expect_eq(fsb_resend_request(r, "angiang", "longan", 101, 180, 200, 100, 30500, 32000, &from, &to),
		     FSB_RESEND_NOTHING, "the same checkpoint again is no new news");
	/* Once memory_ms has passed, a lost range can be had again. */
	cr_expect_eq(fsb_resend_request(r, "angiang", "longan", 1, 10, 200, 0, INT64_MIN, 100000, &from, &to),
		     FSB_RESEND_SCHEDULED);
	cr_expect_eq(from, 1);
}

Test(resend, each_requester_has_its_own_budget)
{
	uint64_t from, to;
	cr_assert_eq(fsb_resend_request(r, "angiang", "longan", 1, 1000, 1000, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_SCHEDULED);
	cr_assert_eq(fsb_resend_request(r, "cantho", "longan", 1, 1000, 1000, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_SCHEDULED);
	/* A second deep at 100 msg/s: 100 each, taking turns. */
	cr_expect_eq(drain(0, 100, 100000), 200);
	cr_expect_eq(drain(0, 100, 100000), 0, "budget spent");
	/* Half a second later: 50 more each. */
	cr_expect_eq(drain(500, 100, 100000), 100);
	/* The byte budget binds too: 1 MiB/s of 64 KiB messages is 16. */
	fsb_resend_close(r);
	cr_assert_eq(fsb_resend_open(&limits, &r), 0);
	cr_assert_eq(fsb_resend_request(r, "angiang", "longan", 1, 1000, 1000, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_SCHEDULED);
	cr_expect_eq(drain(0, 64 * 1024, 100000), 16);
	cr_expect_eq(drain(1000, 64 * 1024, 100000), 16);
}

Test(resend, jobs_are_bounded)
{
	uint64_t from, to;
	const char *who[] = {"a1", "a2", "a3", "a4", "a5"};
	for (int i = 0; i < 4; i++)
		cr_expect_eq(fsb_resend_request(r, who[i], "longan", 1, 10, 10, 0, INT64_MIN, 0, &from, &to),
			     FSB_RESEND_SCHEDULED);
	cr_expect_eq(fsb_resend_request(r, who[4], "longan", 1, 10, 10, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_BUSY);
	/* A job ends early when this node does not have the message. */
	struct fsb_resend_next n;
	cr_assert(fsb_resend_next(r, 0, &n));
	fsb_resend_missing(r, &n);
	cr_expect_eq(fsb_resend_request(r, who[4], "longan", 1, 10, 10, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_SCHEDULED);
}

/* A newer checkpoint of the requester trims its job, or ends it: what it
 * holds by then is not re-sent. */
Test(resend, a_requester_checkpoint_trims_its_job)
{
	uint64_t from, to;
	cr_assert_eq(fsb_resend_request(r, "cantho", "longan", 1, 100, 100, 0, INT64_MIN, 0, &from, &to),
		     FSB_RESEND_SCHEDULED);
	cr_expect_eq(drain(0, 10, 10), 10); /* 1..10 */
	fsb_resend_held(r, "cantho", "longan", 5);   /* old news: nothing changes */
	fsb_resend_held(r, "angiang", "longan", 90); /* another requester's */
	fsb_resend_held(r, "cantho", "longan", 60);
	struct fsb_resend_next n;
	cr_assert(fsb_resend_next(r, 1000, &n));
	cr_expect_eq(n.seq, 61, "after the checkpoint, from %llu", (unsigned long long)n.seq);
	fsb_resend_sent(r, &n, 10, 1000);
	fsb_resend_held(r, "cantho", "longan", 100);
	struct fsb_resend_stats st;
	fsb_resend_stats(r, &st);
	cr_expect_eq(st.jobs, 0, "all of it held: the job ended");
	cr_expect_eq(st.sent, 11);
	cr_expect_eq(st.clamped, 50 + 39, "%llu seqs not re-sent", (unsigned long long)st.clamped);
	cr_expect_not(fsb_resend_next(r, 2000, &n));
}
