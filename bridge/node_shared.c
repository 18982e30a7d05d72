/* node_shared.c - what every file of the node uses: its log lines, the
 * rejects of a turn, and publishing within the window.
 *
 * These sit beneath the rest of the node: node_receive.c, node_sync.c,
 * node_mirror.c and node_trust.c call them and never each other, and
 * node.c, the loop, calls them all.
 */
#include "node_shared.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "mem.h"

/* ---- logging --------------------------------------------------------------------- */

void node_say(struct node *n, const char *level, const char *fmt, ...)
{
	char when[FSB_TIME_MAX + 1], msg[1024];
	fsb_fmt_time(fsb_fmt_now_ms(), when);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s %s\n", when, n->origin, level, msg);
}

void node_copy(char *dst, size_t cap, const char *src)
{
	size_t len = strnlen(src, cap - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* ---- rejects ----------------------------------------------------------------------------- */

/* Records an envelope refused for an integrity reason: in the store at the
 * end of the turn, or as soon as REJECTS_PENDING_MAX bytes of them wait
 * (one transaction for all of them), and on stderr, at most SAY_PER_WINDOW
 * lines in SAY_WINDOW_MS. raw is copied (at most FSB_REJECT_RAW_MAX bytes);
 * total is what arrived. */
void node_reject(struct node *n, const char *topic, int code, const char *why,
		   const uint8_t *raw, size_t len, size_t total, int64_t when)
{
	n->n_rejected++;
	if (when - n->say_window_at >= SAY_WINDOW_MS) {
		if (n->unsaid)
			node_say(n, "WARN", "... and %llu more rejected in %d s (fsbridge status lists them)",
			    (unsigned long long)n->unsaid, SAY_WINDOW_MS / 1000);
		n->say_window_at = when;
		n->said_in_window = 0;
		n->unsaid = 0;
	}
	if (n->said_in_window++ < SAY_PER_WINDOW)
		node_say(n, "WARN", "rejected %zu bytes on %s: %s", total, topic, why);
	else
		n->unsaid++;
	if (fsb_mem_grow(&n->rejects, &n->cap_rejects, n->n_rejects, sizeof *n->rejects))
		return;
	size_t keep = len < FSB_REJECT_RAW_MAX ? len : FSB_REJECT_RAW_MAX;
	uint8_t *node_copy = malloc(keep ? keep : 1);
	char *t = strdup(topic), *r = strdup(why);
	if (!node_copy || !t || !r) {
		free(node_copy);
		free(t);
		free(r);
		return;
	}
	if (keep)
		memcpy(node_copy, raw, keep);
	n->rejects[n->n_rejects++] = (struct fsb_reject_in){when, t, code, r, node_copy, keep, total};
	n->rejects_bytes += keep;
	if (n->rejects_bytes >= REJECTS_PENDING_MAX)
		node_write_rejects(n);
}

void node_write_rejects(struct node *n)
{
	if (!n->n_rejects)
		return;
	if (fsb_store_rejects_put(n->store, n->rejects, n->n_rejects))
		node_say(n, "ERROR", "cannot record %zu rejects: %s", n->n_rejects, fsb_store_error(n->store));
	for (size_t i = 0; i < n->n_rejects; i++) {
		free((void *)n->rejects[i].topic);
		free((void *)n->rejects[i].reason);
		free((void *)n->rejects[i].raw);
	}
	n->n_rejects = 0;
	n->rejects_bytes = 0;
}

/* ---- publishing -------------------------------------------------------------------------- */

int node_publish(struct node *n, int conn, const char *topic, const void *data, size_t len,
		   int retain, uint64_t tag)
{
	struct conn *c = &n->c[conn];
	if (!c->connected)
		return FSB_EIO;
	return fsb_transport_publish(c->m, topic, data, len, retain, tag, NULL);
}

int64_t node_jitter(struct node *n, int64_t max)
{
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	return max > 0 ? (int64_t)((n->rng * 0x2545f4914f6cdd1dULL) % (uint64_t)max) : 0;
}

/* Every peer verifies every checkpoint: at N provinces a checkpoint costs
 * N - 1 signature checks and deliveries, so they are spaced by the number
 * of peers heard. */
static int64_t checkpoint_spacing(const struct node *n)
{
	int64_t spacing = CHECKPOINT_SPACING_PER_PEER_MS * (int64_t)n->n_peers;
	return spacing > CHECKPOINT_DEBOUNCE_MS ? spacing : CHECKPOINT_DEBOUNCE_MS;
}

void node_want_checkpoint(struct node *n)
{
	if (!n->checkpoint_dirty) {
		int64_t spacing = checkpoint_spacing(n);
		int64_t due = fsb_fmt_now_ms() + CHECKPOINT_DEBOUNCE_MS;
		if (due < n->checkpoint_sent_at + spacing)
			due = n->checkpoint_sent_at + spacing;
		n->checkpoint_dirty = 1;
		n->checkpoint_due = due + node_jitter(n, spacing / 2);
	}
}

/* Publications a connection may have unacknowledged: WINDOW, or the
 * broker's Receive Maximum when smaller. */
uint64_t node_window(const struct node *n, int conn)
{
	uint64_t max = (uint64_t)fsb_transport_max_inflight(n->c[conn].m);
	return max < WINDOW ? max : WINDOW;
}

/* Room for more tagged publications on the exchange. */
int node_room(struct node *n)
{
	return n->inflight < node_window(n, CONN_EXCHANGE);
}
