/* node.h - the bridge node daemon (DESIGN.md sections 2, 4 and 5).
 *
 * One node per province. It publishes its outbox in seq order, receives and
 * verifies every other origin's stream, appends it in order (a bounded
 * reorder buffer waits for late messages; a SyncRequest fetches missing
 * ones), publishes its own checkpoint, answers sync requests addressed to
 * it, and serves the agency's broker: JSON submissions in, a JSON mirror of
 * every verified message out. Correctness never rests on the broker: the
 * log and the peers' checkpoints decide what is delivered.
 */
#ifndef FSB_NODE_H
#define FSB_NODE_H

#include <signal.h>
#include <stddef.h>

struct fsb_config;

/* Runs the node until *stop is set (by a signal handler), then stops
 * cleanly. Returns 0, or an error with err saying why it could not run
 * (another node holds the data directory, key or store unusable). Logs to
 * stderr. */
int fsb_node_run(const struct fsb_config *cfg, volatile sig_atomic_t *stop, char *err,
		 size_t errlen);

#endif
