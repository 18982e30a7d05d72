/* cmd_trace.c - `fsbridge trace` and `fsbridge chains`: a product from its
 * QR code, an establishment, and the safe supply chains, read from a
 * node's store.
 *
 * Thin front-ends: the query layer reads the query and computes, and
 * render_trace formats. Both read one snapshot, read-only, beside a
 * running node or on a copied data directory.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "format.h"
#include "out.h"
#include "render_trace.h"
#include "store.h"

struct args {
	const char *name;
	const char *at;
	int json;
	enum fsb_lang lang;
};

static void trace_usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge trace (-c FILE | --data DIR) QUERY [LOT] [--at DATE] [--json]\n"
		"                      [--lang vi|en]\n"
		"\n"
		"Traces a product or an establishment through every province's messages the\n"
		"node holds: certifications in force at the date (and those suspended, withdrawn\n"
		"or expired), their safe chains and members, surveillance results, recalls,\n"
		"quarantine notices and the open cases, newest first.\n"
		"QUERY is what a QR scanner reads (a GS1 Digital Link URI such as\n"
		"https://id.gs1.org/01/08938501234018/10/BL-0711, or a GS1 element string\n"
		"(01)08938501234018(10)BL-0711), a GTIN (with LOT), a GLN, a tax code, or\n"
		"gtin:, gln:, tax:, reg: followed by the value. --at YYYY-MM-DD: as things\n"
		"stood at the end of that day (UTC+07:00); today by default.\n");
}

static void chains_usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge chains (-c FILE | --data DIR) [--at DATE] [--json] [--lang vi|en]\n"
		"\n"
		"Lists every safe supply chain the certification notices name: its members,\n"
		"their certificates and whether each is in force at the date, and whether the\n"
		"programme's targets are met (at least 3 safe chains, at least 1 to an\n"
		"international standard). A chain counts when it has a farm and a later stage\n"
		"and every member's certificate is in force.\n");
}

static int take(void *ctx, int ch, const char *arg)
{
	struct args *a = ctx;
	switch (ch) {
	case 'a': a->at = arg; return 0;
	case 'j': a->json = 1; return 0;
	default: /* 'l' */
		return fsb_cli_lang(a->name, arg, &a->lang);
	}
}

static const struct option opts[] = {
	{"at", required_argument, NULL, 'a'},
	{"json", no_argument, NULL, 'j'},
	{"lang", required_argument, NULL, 'l'},
	{NULL, 0, NULL, 0},
};

/* The date the view is judged at; FSB_EXIT_USAGE after saying why not. */
static int at_of(const struct args *a, struct fsb_trace_query *tq)
{
	const char *why = fsb_trace_at(tq, a->at, fsb_fmt_now_ms());
	if (!why)
		return 0;
	fprintf(stderr, "fsbridge %s: --at \"%s\": %s (YYYY-MM-DD)\n", a->name, a->at, why);
	return FSB_EXIT_USAGE;
}

int fsb_cmd_trace(int argc, char **argv)
{
	struct args a = {.name = "trace"};
	struct fsb_cli_cmd cmd = {.name = "trace", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .usage = trace_usage, .take = take, .ctx = &a,
				  .min_operands = 1, .max_operands = 2,
				  .missing = "what to trace? give a Digital Link, a GTIN, a GLN or a tax code"};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	const char *query = argv[optind], *lot = optind + 1 < argc ? argv[optind + 1] : NULL;
	struct fsb_trace_query tq;
	memset(&tq, 0, sizeof tq);
	struct fsb_view *v = NULL;
	struct fsb_query *q = NULL;
	struct fsb_trace t = {0};
	struct fsb_out o;
	fsb_out_init(&o);
	const char *why = fsb_trace_parse(query, lot, &tq);
	if (why) {
		fprintf(stderr, "fsbridge trace: \"%s\": %s\n", query, why);
		rc = FSB_EXIT_USAGE;
	} else if ((rc = at_of(&a, &tq)) == 0) {
		rc = FSB_EXIT_FAIL;
		if (fsb_cli_query_open("trace", store, &v, &q) == 0) {
			struct fsb_case_opts co = fsb_cli_case_opts(&cfg, 0);
			int qrc = fsb_query_trace(q, &tq, &co, &t);
			if (qrc) {
				fprintf(stderr, "fsbridge trace: %s\n",
					qrc == FSB_ENOMEM ? fsb_strerror(qrc) : fsb_store_error(store));
			} else {
				if (a.json) {
					fsb_render_trace_json(&o, &t);
					fsb_out_puts(&o, "\n");
				} else {
					fsb_render_trace_text(&o, &t, a.lang);
				}
				rc = fsb_cli_emit("trace", &o);
			}
		}
	}
	fsb_out_clear(&o);
	fsb_trace_clear(&t);
	fsb_query_close(q);
	fsb_store_view_close(v);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc;
}

int fsb_cmd_chains(int argc, char **argv)
{
	struct args a = {.name = "chains"};
	struct fsb_cli_cmd cmd = {.name = "chains", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .usage = chains_usage, .take = take, .ctx = &a};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	struct fsb_trace_query tq;
	memset(&tq, 0, sizeof tq);
	struct fsb_view *v = NULL;
	struct fsb_query *q = NULL;
	struct fsb_chains c = {0};
	struct fsb_out o;
	fsb_out_init(&o);
	if ((rc = at_of(&a, &tq)) == 0) {
		rc = FSB_EXIT_FAIL;
		if (fsb_cli_query_open("chains", store, &v, &q) == 0) {
			int qrc = fsb_query_chains(q, &tq, &c);
			if (qrc) {
				fprintf(stderr, "fsbridge chains: %s\n",
					qrc == FSB_ENOMEM ? fsb_strerror(qrc) : fsb_store_error(store));
			} else {
				if (a.json) {
					fsb_render_chains_json(&o, &c, tq.at_date);
					fsb_out_puts(&o, "\n");
				} else {
					fsb_render_chains_text(&o, &c, tq.at_date, a.lang);
				}
				rc = fsb_cli_emit("chains", &o);
			}
		}
	}
	fsb_out_clear(&o);
	fsb_chains_clear(&c);
	fsb_query_close(q);
	fsb_store_view_close(v);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc;
}
