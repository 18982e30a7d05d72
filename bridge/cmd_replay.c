/* cmd_replay.c - `fsbridge replay`: the auditors' view of a node's log.
 *
 * Walks the log in order on a read-only snapshot (a running node is never
 * blocked), filters by issued_at, origin, kind, category or message id, and
 * prints each entry as readable text, JSON lines, CSV, or the raw envelope
 * bytes. Works on a copied data directory with no configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "config.h"
#include "format.h"
#include "render.h"
#include "store.h"

struct replay {
	int64_t since, until;
	const char *origin, *category, *id;
	enum fsb_kind kind;
	enum fsb_render how;
	uint64_t shown, total;
	int failed;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge replay (-c FILE | --data DIR) [filters] [--json | --csv | --raw]\n"
		"\n"
		"Prints the node's log in order. Filters:\n"
		"  --since T, --until T   issuedAt from T, before T (RFC 3339 time or YYYY-MM-DD)\n"
		"  --origin O  --kind K  --category C  --id ORIGIN:SEQ\n"
		"Output: readable text (default), --json (JSON lines), --csv, or --raw (each\n"
		"envelope's exact bytes, preceded by its length as a protobuf varint).\n");
}

static int show(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct replay *r = ctx;
	(void)chain; /* integrity is audit verify's job; replay shows what is there */
	fsb_cli_progress("replay", ++r->total, 0);
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", e->origin, (unsigned long long)e->seq);
	if ((r->since && e->issued_at_ms < r->since) || (r->until && e->issued_at_ms >= r->until) ||
	    (r->origin && strcmp(r->origin, e->origin) != 0) ||
	    (r->kind && r->kind != e->kind) ||
	    (r->category && strcmp(r->category, e->category) != 0) || (r->id && strcmp(r->id, id) != 0))
		return 0;
	r->shown++;
	int rc = fsb_render_entry(e, r->how, stdout);
	if (rc == FSB_EDECODE) {
		fprintf(stderr, "fsbridge replay: entry %llu (%s) cannot be decoded; run audit verify\n",
			(unsigned long long)e->index, id);
		r->failed = 1;
		rc = 0;
	}
	if (rc)
		return rc;
	return r->id != NULL; /* a message id names one entry: stop there */
}

static int take(void *ctx, int ch, const char *arg)
{
	struct replay *r = ctx;
	switch (ch) {
	case 's':
	case 'u':
		if (fsb_cli_parse_time(arg, ch == 's' ? &r->since : &r->until)) {
			fprintf(stderr, "fsbridge replay: --%s \"%s\" is not an RFC 3339 time or a date (YYYY-MM-DD)\n",
				ch == 's' ? "since" : "until", arg);
			return FSB_EXIT_USAGE;
		}
		return 0;
	case 'o': r->origin = arg; return 0;
	case 'g': r->category = arg; return 0;
	case 'i': {
		const char *why = fsb_fmt_message_id(arg, NULL, NULL);
		if (why) {
			fprintf(stderr, "fsbridge replay: --id \"%s\": %s (seq from 1 to %llu)\n", arg, why,
				(unsigned long long)UINT64_MAX);
			return FSB_EXIT_USAGE;
		}
		r->id = arg;
		return 0;
	}
	case 'k': return fsb_cli_kind("replay", arg, &r->kind);
	case 'j': r->how = FSB_RENDER_JSON; return 0;
	case 'v': r->how = FSB_RENDER_CSV; return 0;
	default: r->how = FSB_RENDER_RAW; return 0; /* 'r' */
	}
}

int fsb_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'},  {"until", required_argument, NULL, 'u'},
		{"origin", required_argument, NULL, 'o'}, {"kind", required_argument, NULL, 'k'},
		{"category", required_argument, NULL, 'g'}, {"id", required_argument, NULL, 'i'},
		{"json", no_argument, NULL, 'j'},         {"csv", no_argument, NULL, 'v'},
		{"raw", no_argument, NULL, 'r'},          {NULL, 0, NULL, 0},
	};
	struct replay r = {0};
	struct fsb_cli_cmd cmd = {.name = "replay", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .usage = usage, .take = take, .ctx = &r};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	if (r.how == FSB_RENDER_CSV)
		fsb_render_csv_header(stdout);
	uint64_t from = 1;
	if (r.id && fsb_store_find_id(store, r.id, &from) == FSB_ENOTFOUND)
		from = UINT64_MAX; /* nothing to show */
	rc = from == UINT64_MAX ? 0 : fsb_store_walk(store, from, show, &r);
	if (rc == 1) /* stopped at the entry asked for */
		rc = 0;
	fsb_cli_progress_end();
	if (rc)
		fprintf(stderr, "fsbridge replay: %s\n",
			rc == FSB_EIO ? "cannot write the output" : fsb_store_error(store));
	else if (r.how == FSB_RENDER_TEXT)
		fprintf(stderr, "%llu of %llu entries shown\n", (unsigned long long)r.shown,
			(unsigned long long)r.total);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc || r.failed ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
