/* test_topic.c - exchange topics built and parsed: what a node sends to
 * one peer carries that peer in the topic, and a node subscribes only to
 * what is addressed to it. */
#include <criterion/criterion.h>
#include <string.h>

#include "topic.h"

Test(topic, sync_requests_carry_their_responder)
{
	char buf[FSB_TOPIC_MAX];
	cr_assert_not_null(fsb_topic_sync(buf, "cantho", "longan"));
	cr_expect_str_eq(buf, "foodsafety/v1/cantho/sync/longan");
	struct fsb_topic t;
	cr_assert_eq(fsb_topic_parse(buf, &t), 0);
	cr_expect_eq(t.type, FSB_TOPIC_SYNC);
	cr_expect_str_eq(t.origin, "cantho");
	cr_expect_str_eq(t.responder, "longan");
	/* The unaddressed form of earlier versions is not one of ours. */
	cr_expect_eq(fsb_topic_parse("foodsafety/v1/cantho/sync", &t), -1);
	cr_expect_eq(fsb_topic_parse("foodsafety/v1/cantho/sync/Long An", &t), -1);
	cr_expect_eq(fsb_topic_parse("foodsafety/v1/cantho/sync/longan/x", &t), -1);
	cr_expect_null(fsb_topic_sync(buf, "cantho", "bad slug"));
	cr_expect_null(fsb_topic_control(buf, "cantho", FSB_TOPIC_SYNC));
}

Test(topic, resends_carry_their_requester)
{
	char buf[FSB_TOPIC_MAX];
	cr_assert_not_null(fsb_topic_resend(buf, "longan", "cantho"));
	struct fsb_topic t;
	cr_assert_eq(fsb_topic_parse(buf, &t), 0);
	cr_expect_eq(t.type, FSB_TOPIC_RESEND);
	cr_expect_str_eq(t.origin, "longan");
	cr_expect_str_eq(t.requester, "cantho");
}

Test(topic, a_node_subscribes_to_what_is_for_it)
{
	char f[FSB_TOPIC_FILTERS_MAX][FSB_TOPIC_MAX];
	size_t n = fsb_topic_filters(f, FSB_TOPIC_FILTERS_MAX, "cantho");
	const char *want[] = {
		"foodsafety/v1/+/surveillance/+", "foodsafety/v1/+/quarantine/+",
		"foodsafety/v1/+/recall/+", "foodsafety/v1/+/followup/+",
		"foodsafety/v1/+/certification/+",
		"foodsafety/v1/+/checkpoint", "foodsafety/v1/+/status", "foodsafety/v1/+/crl",
		"foodsafety/v1/+/sync/cantho", "foodsafety/v1/+/resend/cantho",
	};
	cr_assert_eq(n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(f[i], want[i]);
}
