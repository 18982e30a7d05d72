/* cmd_watch.c - `fsbridge watch`: a live, readable feed of the node's log.
 *
 * Follows the log from a read-only snapshot to the next (a reader never
 * blocks the node), printing each new verified message as staff want to see
 * it, or as JSON lines for other programs.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "render.h"
#include "store.h"

#define POLL_MS 200

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct watch {
	enum fsb_kind kind;
	const char *origin;
	enum fsb_render how;
	int all;       /* --all: from the first entry, not only what comes next */
	uint64_t last;
};

static int show(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct watch *w = ctx;
	(void)chain;
	w->last = e->index;
	if ((w->kind && w->kind != e->kind) || (w->origin && strcmp(w->origin, e->origin) != 0))
		return 0;
	if (fsb_render_entry(e, w->how, stdout) == FSB_EIO)
		return FSB_EIO;
	fflush(stdout);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: fsbridge watch -c FILE [--kind K] [--origin O] [--json] [--all]\n"
		     "\n"
		     "Follows the node's log and shows each new message as it is stored: sent\n"
		     "and received, with what it is, the products, lots and measures, and who\n"
		     "issued it. --json prints JSON lines; --all starts from the beginning.\n"
		     "Stops on Ctrl-C.\n");
}

static int take(void *ctx, int ch, const char *arg)
{
	struct watch *w = ctx;
	switch (ch) {
	case 'o': w->origin = arg; return 0;
	case 'j': w->how = FSB_RENDER_JSON; return 0;
	case 'a': w->all = 1; return 0;
	default: return fsb_cli_kind("watch", arg, &w->kind); /* 'k' */
	}
}

int fsb_cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kind", required_argument, NULL, 'k'}, {"origin", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},       {"all", no_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	struct watch w = {.how = FSB_RENDER_SUMMARY};
	struct fsb_cli_cmd cmd = {.name = "watch", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .usage = usage, .take = take, .ctx = &w};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct fsb_store_stats st;
	if (!w.all && fsb_store_stats(store, &st) == 0)
		w.last = st.last_index;
	rc = 0;
	while (!stop_requested && rc == 0) {
		rc = fsb_store_walk(store, w.last + 1, show, &w);
		struct timespec ts = {0, POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (rc)
		fprintf(stderr, "fsbridge watch: %s\n",
			rc == FSB_EIO ? "cannot write the output" : fsb_store_error(store));
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
