/* test_scale.c - `make test-scale`: provinces on the brokers an exchange
 * grows into. Each test starts its broker on free loopback ports, runs
 * real nodes on it, and asserts that every node holds every message once
 * and that `audit verify --full` passes on every node.
 *
 * RabbitMQ (Debian's 3.10, MQTT plugin) speaks only MQTT 3.1.1 and closes
 * the connection on an MQTT 5 CONNECT: the nodes, with the shipped default
 * `[exchange] mqtt_version = auto`, must fall back by themselves.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../integration/harness.h"
#include "../unit/helpers.h"
#include "store.h"

#define BURST 20
#define CONVERGE_MS 60000

static char dir[64];
static struct broker broker;

static void teardown(void)
{
	h_teardown(dir, &broker);
}

TestSuite(scale, .fini = teardown, .timeout = 300);

/* Every node submits BURST messages at once; every node must end with
 * every stream whole, each message stored once, and its log proven. */
static void burst_and_converge(struct node *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char prefix[64];
		snprintf(prefix, sizeof prefix, "SCALE-%.32s", nodes[i].origin);
		cr_assert_eq(hn_submit(&nodes[i], BURST, prefix), 0, "submit at %s", nodes[i].origin);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			cr_expect(hn_wait_head(&nodes[i], nodes[j].origin, BURST, CONVERGE_MS),
				  "%s holds %s up to %llu, not %d", nodes[i].origin, nodes[j].origin,
				  (unsigned long long)hn_head(&nodes[i], nodes[j].origin), BURST);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(hn_stop(&nodes[i]), 0, "%s did not stop cleanly", nodes[i].origin);
	for (size_t i = 0; i < n; i++) {
		struct fsb_store_stats st = hn_stats(&nodes[i]);
		cr_expect_eq(st.entries, (uint64_t)(BURST * n), "%s: %llu entries, want %zu (each once)",
			     nodes[i].origin, (unsigned long long)st.entries, (size_t)BURST * n);
		cr_expect_eq(st.equivocations, 0);
		hn_audit_ok(&nodes[i], "");
	}
}

/* Three provinces on one RabbitMQ node, with the shipped defaults. */
Test(scale, rabbitmq_single_node)
{
	th_tmpdir(dir);
	hr_start(&broker);
	const char *origins[] = {"longan", "cantho", "angiang"};
	struct node nodes[3];
	for (size_t i = 0; i < 3; i++) {
		hn_init(&nodes[i], dir, origins[i], &broker);
		hn_start(&nodes[i]);
		cr_expect(hn_log_count(&nodes[i], "connected to the exchange broker") > 0 &&
			  hn_log_count(&nodes[i], "(MQTT 3.1.1)") > 0,
			  "%s did not fall back to MQTT 3.1.1 (see %s)", origins[i], nodes[i].log);
	}
	burst_and_converge(nodes, 3);
}

/* A province that joins a running exchange on RabbitMQ: the broker hands it
 * no retained checkpoint through its wildcard subscription, so it learns
 * what exists from the checkpoints its peers publish again when it comes
 * online; without them it would wait for their periodic checkpoint (30 s). */
Test(scale, rabbitmq_late_joiner_learns_from_peers)
{
	th_tmpdir(dir);
	hr_start(&broker);
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
