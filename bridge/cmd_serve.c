/* cmd_serve.c - `fsbridge serve`: the read-only web view of a node's log,
 * beside `fsbridge run` or on a copied data directory, until SIGINT or
 * SIGTERM. A thin front end: http.c serves, web.c routes. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "http.h"
#include "sign.h"
#include "store.h"
#include "web.h"

struct args {
	const char *listen;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge serve (-c FILE | --data DIR) [--listen HOST:PORT]\n"
		"\n"
		"Serves the node's log read-only over HTTP, for staff (pages in Vietnamese,\n"
		"?lang=en for English) and agency systems (JSON): / (the feed, live),\n"
		"/message/ID, /cases, /case/ID, /trace?q=…, /report?from=YYYY-MM-DD&to=…,\n"
		"/events (Server-Sent Events), /api/feed, /api/message/ID, /api/cases,\n"
		"/api/case/ID, /api/trace?q=…, /healthz. It listens on [http] listen (default\n"
		"127.0.0.1:8080) or --listen; put it behind the agency's reverse proxy for\n"
		"TLS and login. With -c, a message's signature is checked again against\n"
		"[trust] as it is shown. It writes nothing and stops on SIGINT or SIGTERM.\n");
}

static int take(void *ctx, int ch, const char *arg)
{
	struct args *a = ctx;
	(void)ch; /* 'L' */
	a->listen = arg;
	return 0;
}

static const struct option opts[] = {
	{"listen", required_argument, NULL, 'L'},
	{NULL, 0, NULL, 0},
};

int fsb_cmd_serve(int argc, char **argv)
{
	struct args a = {0};
	struct fsb_cli_cmd cmd = {.name = "serve", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .usage = usage, .take = take, .ctx = &a};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	struct fsb_web w = {.store = store, .case_opts = fsb_cli_case_opts(&cfg, 0), .unit = cfg.unit,
			    .check.skew_ms = cfg.max_clock_skew_ms};
	/* With a configuration, a message's signature is checked again
	 * against the node's CA and CRL files as it is shown. */
	char err[256];
	if (cfg.n_ca && fsb_trust_open_files(cfg.ca_files, cfg.crl_files, cfg.n_ca, &w.check.trust,
					     err, sizeof err)) {
		fprintf(stderr, "fsbridge serve: %s\n", err);
		fsb_store_close(store);
		fsb_config_cleanup(&cfg);
		return FSB_EXIT_FAIL;
	}
	struct fsb_http_opts o = {
		.listen = a.listen ? a.listen : cfg.http_listen ? cfg.http_listen : FSB_DEFAULT_HTTP_LISTEN,
		.max_connections = (unsigned)cfg.http_max_connections,
		.max_streams = (unsigned)cfg.http_max_live,
		.tick_ms = 1000,
		.timeout_s = 30,
	};
	/* The signals are waited for, not handled: blocked before the server's
	 * thread starts, so that it inherits the mask. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	struct fsb_http *h;
	int hrc = fsb_http_start(&o, fsb_web_handle, &w, &h, err, sizeof err);
	if (hrc) {
		fprintf(stderr, "fsbridge serve: %s\n", err);
		rc = hrc == FSB_ECONFIG ? FSB_EXIT_USAGE : FSB_EXIT_FAIL;
	} else {
		fprintf(stderr, "fsbridge serve: the log of %s, read-only, on http://%s/\n",
			fsb_store_origin(store), o.listen);
		int sig;
		sigwait(&stop, &sig);
		fsb_http_stop(h);
		fprintf(stderr, "fsbridge serve: stopped\n");
		rc = FSB_EXIT_OK;
	}
	fsb_trust_close(w.check.trust);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc;
}
