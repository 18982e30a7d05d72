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
	struct fsb_cli_cmd cmd = {.name = "run", .source = FSB_CLI_CONFIG, .usage = usage};
	int rc = fsb_cli_parse(&cmd, argc, argv);
	if (rc >= 0)
		return rc;
	struct fsb_config cfg;
	if (fsb_cli_load_config(cmd.config_path, &cfg)) {
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
	rc = fsb_node_run(&cfg, &signals, err, sizeof err);
	if (rc)
		fprintf(stderr, "fsbridge run: %s\n", err);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
