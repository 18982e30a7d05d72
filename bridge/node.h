/* node.h - the bridge node daemon (PROTOCOL.md: "Topics", "Staying in sync").
 *
 * One node per province. It publishes its outbox in seq order, receives and
 * verifies every other origin's stream, appends it in order (a bounded
 * reorder buffer waits for late messages; a SyncRequest fetches missing
 * ones), publishes its own checkpoint, answers sync requests addressed to
 * it, and serves the agency's broker: JSON submissions in, a JSON mirror of
 * every verified message out. Correctness never rests on the broker: the
 * log and the peers' checkpoints decide what is delivered. Nothing that
 * arrives changes the node's state before its certificate's identity is
 * checked, and nothing out of order before its signature is; every budget
 * (waiting messages, streams, rejects kept, re-sends) comes from the
 * configuration. The trust files are read again when they change on disk
 * or on SIGHUP, and a newer CRL can arrive over the exchange.
 */
#ifndef FSB_NODE_H
#define FSB_NODE_H

#include <signal.h>
#include <stddef.h>

struct fsb_config;

/* What signal handlers tell a running node: stop, or read the trust files
 * (CAs and CRLs) again. The node clears `reload` when it has. */
struct fsb_node_signals {
	volatile sig_atomic_t stop;
	volatile sig_atomic_t reload;
};

/* Runs the node until sig->stop is set, then stops cleanly. Returns 0, or
 * an error with err saying why it could not run (another node holds the
 * data directory, key, certificate or store unusable). Logs to stderr. */
int fsb_node_run(const struct fsb_config *cfg, struct fsb_node_signals *sig, char *err,
		 size_t errlen);

#endif
