/* cmd_run.c - `fsbridge run -c FILE`: the node daemon, in the foreground. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "node.h"

static struct fsb_node_signals signals;

/* Signal handlers only set a flag; the node's loop notices it. */
static void on_signal(int sig)
{
	if (sig == SIGHUP)
		signals.reload = 1;
	else
		signals.stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: fsbridge run -c FILE\n"
		     "\n"
		     "Runs the node in the foreground, logging to stderr; SIGTERM or SIGINT\n"
		     "stops it cleanly, SIGHUP reads the CA and CRL files again (as does any\n"
		     "change to them on disk).\n");
}

int fsb_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'h': usage(stdout); return FSB_EXIT_OK;
		default: usage(stderr); return FSB_EXIT_USAGE;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	struct fsb_config cfg;
	if (fsb_cli_load_config(path, &cfg)) {
		fsb_config_cleanup(&cfg);
		return FSB_EXIT_FAIL;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	char err[512];
	int rc = fsb_node_run(&cfg, &signals, err, sizeof err);
	if (rc)
		fprintf(stderr, "fsbridge run: %s\n", err);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
