/* cmd_status.c - `fsbridge status`: what a node holds, at a glance. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "config.h"
#include "format.h"
#include "store.h"

#define REJECTS_SHOWN 5

static void usage(FILE *out)
{
	fprintf(out, "usage: fsbridge status (-c FILE | --data DIR)\n"
		     "\n"
		     "Prints the node's streams, outbox, rejects and log size.\n");
}

/* Our head for origin, or 0. */
static uint64_t head_of(const struct fsb_head *heads, size_t n, const char *origin)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i].origin, origin) == 0)
			return heads[i].seq;
	return 0;
}

/* What origin's own checkpoint says of its own stream (0 when none). */
static uint64_t own_claim(const struct fsb_control *cps, size_t n, const char *origin)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cps[i].origin, origin) == 0)
			for (size_t k = 0; k < cps[i].n_streams; k++)
				if (strcmp(cps[i].streams[k].origin, origin) == 0)
					return cps[i].streams[k].seq;
	return 0;
}

/* How a peer's claim to hold origin:seq with hash stands against this
 * node: a short note, and in *bad bit 1 for a divergence, bit 2 for an
 * anomaly.
 * A claim is an anomaly when it goes beyond what the origin itself has
 * signed (its messages held here, or its own checkpoint). */
static void judge(struct fsb_store *store, const struct fsb_stream_state *st, const char *peer,
		  uint64_t mine, uint64_t signed_upto, char *note, size_t cap, int *bad)
{
	const char *own = fsb_store_origin(store);
	uint8_t held[FSB_HASH_LEN];
	char a[17], b[17];
	note[0] = '\0';
	if (st->seq && st->seq <= mine && fsb_store_seq_hash(store, st->origin, st->seq, held) == 0 &&
	    memcmp(held, st->payload_hash, FSB_HASH_LEN) != 0) {
		fsb_fmt_hex(st->payload_hash, 8, a);
		fsb_fmt_hex(held, 8, b);
		snprintf(note, cap, ", DIVERGED: %s holds %s… at seq %llu, this node %s…", peer, a,
			 (unsigned long long)st->seq, b);
		*bad |= 1;
	} else if (st->seq < mine) {
		snprintf(note, cap, ", peer lags");
	} else if (st->seq > mine && strcmp(st->origin, peer) != 0 &&
		   st->seq > (strcmp(st->origin, own) == 0 ? mine : signed_upto)) {
		snprintf(note, cap, ", ANOMALY: beyond what %s has signed (%llu)",
			 strcmp(st->origin, own) == 0 ? "this node" : st->origin,
			 (unsigned long long)(strcmp(st->origin, own) == 0 ? mine : signed_upto));
		*bad |= 2;
	} else if (st->seq > mine) {
		snprintf(note, cap, ", this node lags");
	}
}

/* Each peer's latest checkpoint: what it holds of every stream, against
 * what we hold, and how much of our own stream it has not acknowledged. */
static void show_peers(struct fsb_store *store, const struct fsb_head *heads, size_t n)
{
	char(*peers)[FSB_ORIGIN_MAX + 1];
	uint8_t **envs;
	size_t *lens, count;
	if (fsb_store_checkpoints(store, &peers, &envs, &lens, &count))
		return;
	const char *own = fsb_store_origin(store);
	struct fsb_control *cps = calloc(count ? count : 1, sizeof *cps);
	int *readable = calloc(count ? count : 1, sizeof *readable);
	for (size_t i = 0; cps && readable && i < count; i++) {
		struct fsb_envelope_view v;
		char err[256];
		readable[i] = fsb_envelope_view(envs[i], lens[i], &v) == 0 &&
			      fsb_control_unpack(v.payload, v.payload_len, v.payload_len, &cps[i], err,
						 sizeof err) == 0;
	}
	printf("\npeers       %zu with a checkpoint\n", count);
	for (size_t i = 0; cps && readable && i < count; i++) {
		if (!readable[i]) {
			printf("  %-10s checkpoint unreadable\n", peers[i]);
			continue;
		}
		struct fsb_control *c = &cps[i];
		uint64_t covers_own = 0;
		int in_sync = 1, bad = 0;
		char (*notes)[200] = calloc(c->n_streams ? c->n_streams : 1, sizeof *notes);
		for (size_t k = 0; notes && k < c->n_streams; k++) {
			const struct fsb_stream_state *st = &c->streams[k];
			uint64_t mine = head_of(heads, n, st->origin);
			uint64_t signed_upto = own_claim(cps, count, st->origin);
			if (signed_upto < mine)
				signed_upto = mine;
			judge(store, st, c->origin, mine, signed_upto, notes[k], sizeof notes[k], &bad);
			if (strcmp(st->origin, own) == 0 && st->seq <= mine)
				covers_own = st->seq;
			if (st->seq != mine)
				in_sync = 0;
		}
		uint64_t own_head = head_of(heads, n, own);
		for (size_t k = 0; k < n; k++) {
			int listed = 0;
			for (size_t j = 0; j < c->n_streams; j++)
				listed |= strcmp(c->streams[j].origin, heads[k].origin) == 0;
			if (!listed)
				in_sync = 0;
		}
		printf("  %-10s checkpoint of %s: %s", c->origin, c->issued_at,
		       bad == 3 ? "DIVERGED, and an ANOMALY" : bad == 1 ? "DIVERGED from this node"
		       : bad == 2 ? "ANOMALY: claims what was never signed"
		       : in_sync ? "in sync with this node" : "not in sync");
		if (own_head > covers_own)
			printf("; %llu of ours unacknowledged (%s:%llu..%llu)\n",
			       (unsigned long long)(own_head - covers_own), own,
			       (unsigned long long)covers_own + 1, (unsigned long long)own_head);
		else
			printf("; all of ours acknowledged\n");
		for (size_t k = 0; notes && k < c->n_streams; k++)
			printf("             holds %-10s %10llu   (this node %llu%s)\n", c->streams[k].origin,
			       (unsigned long long)c->streams[k].seq,
			       (unsigned long long)head_of(heads, n, c->streams[k].origin), notes[k]);
		free(notes);
	}
	for (size_t i = 0; i < count; i++) {
		if (cps && readable && readable[i])
			fsb_control_clear(&cps[i]);
		free(envs[i]);
	}
	free(cps);
	free(readable);
	free(peers);
	free(envs);
	free(lens);
}

/* What the running node last recorded of its connections. */
static void show_connection(struct fsb_store *store)
{
	char *note = NULL;
	if (fsb_store_get_note(store, "connection", &note) != 0) {
		printf("node        never run on this data directory\n");
		return;
	}
	long pid = 0;
	const char *p = strstr(note, "\"pid\":");
	if (p)
		pid = strtol(p + 6, NULL, 10);
	int running = pid > 0 && kill((pid_t)pid, 0) == 0;
	if (!running)
		printf("node        not running\n");
	else
		printf("node        running (pid %ld); exchange %s, local %s\n", pid,
		       strstr(note, "\"exchange\":true") ? "connected" : "DISCONNECTED",
		       strstr(note, "\"local\":true") ? "connected" : "DISCONNECTED");
	free(note);
}

static void show(struct fsb_store *store, const char *dir)
{
	struct fsb_store_stats st;
	struct fsb_head *heads = NULL;
	size_t n = 0;
	if (fsb_store_stats(store, &st) || fsb_store_heads(store, &heads, &n)) {
		fprintf(stderr, "fsbridge status: %s\n", fsb_store_error(store));
		return;
	}
	printf("node        %s\n", fsb_store_origin(store));
	printf("data_dir    %s\n", dir);
	printf("log         %llu entries, %.1f of %.1f MiB used\n", (unsigned long long)st.entries,
	       st.used_bytes / 1048576.0, st.map_bytes / 1048576.0);
	printf("\nstreams     %-32s %10s  %-16s %s\n", "origin", "seq", "head hash", "log index");
	for (size_t i = 0; i < n; i++) {
		char h[17];
		fsb_fmt_hex(heads[i].payload_hash, 8, h);
		printf("            %-32s %10llu  %-16s %llu\n", heads[i].origin,
		       (unsigned long long)heads[i].seq, h, (unsigned long long)heads[i].index);
	}
	if (!n)
		printf("            (none)\n");
	uint64_t first = 0;
	size_t got = 0;
	fsb_store_outbox(store, 0, &first, 1, &got);
	printf("\noutbox      %llu message%s not yet acknowledged by every peer", (unsigned long long)st.outbox,
	       st.outbox == 1 ? "" : "s");
	if (got)
		printf(" (oldest %s:%llu)", fsb_store_origin(store), (unsigned long long)first);
	printf("\nrejects     %llu", (unsigned long long)st.rejects);
	if (st.rejects_total > st.rejects)
		printf(" kept, %llu recorded (the oldest made way: [limits] reject_bytes)",
		       (unsigned long long)st.rejects_total);
	printf("\n");
	struct fsb_reject r[REJECTS_SHOWN];
	size_t nr = 0;
	fsb_store_rejects(store, r, REJECTS_SHOWN, &nr);
	for (size_t i = 0; i < nr; i++) {
		char when[FSB_TIME_MAX + 1];
		fsb_fmt_time(r[i].when_ms, when);
		printf("            %s  %s  %s\n", when, r[i].topic, r[i].reason);
		fsb_reject_clear(&r[i]);
	}
	printf("equivocations %llu%s\n", (unsigned long long)st.equivocations,
	       st.equivocations ? "   ALARM: an origin signed two different messages for one seq" : "");
	show_peers(store, heads, n);
	show_connection(store);
	free(heads);
}

int fsb_cmd_status(int argc, char **argv)
{
	struct fsb_cli_cmd cmd = {.name = "status", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .usage = usage};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	show(store, cmd.config_path ? cfg.data_dir : cmd.data_dir);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return FSB_EXIT_OK;
}
