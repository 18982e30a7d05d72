/* cmd_case.c - `fsbridge cases` and `fsbridge case`: the cases the
 * provinces work together, read from a node's store.
 *
 * Thin front-ends: the query layer computes, render_case formats. Both
 * read one snapshot of the store, read-only, so they run beside a running
 * node and on a copied data directory.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "format.h"
#include "labels.h"
#include "query.h"
#include "render_case.h"
#include "store.h"

struct args {
	const char *name;
	struct fsb_case_filter filter;
	int json;
	enum fsb_lang lang;
};

static void cases_usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge cases (-c FILE | --data DIR) [--open | --overdue] [--origin O]\n"
		"                      [--kind K] [--json] [--lang vi|en]\n"
		"\n"
		"Lists the cases the node holds, newest first: a case is a message and every\n"
		"follow-up that refers to it. --open: those still to be worked (an alert, a\n"
		"non-compliant result, an open request; not closed or withdrawn). --overdue:\n"
		"open cases whose acknowledgement or answer is late. --origin, --kind: of the\n"
		"case's first message. Vietnamese by default; --lang en for English.\n");
}

static void case_usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge case (-c FILE | --data DIR) ID [--json] [--lang vi|en]\n"
		"\n"
		"Prints the case of message ID (its first message, or any follow-up): its\n"
		"state and assessment, each province addressed (delivered, acknowledged by\n"
		"whom, measures, overdue), requests for information and their answers, and\n"
		"every message in order. --json gives the same as one JSON object.\n");
}

static int take(void *ctx, int ch, const char *arg)
{
	struct args *a = ctx;
	switch (ch) {
	case 'O': a->filter.open_only = 1; return 0;
	case 'D': a->filter.overdue_only = 1; return 0;
	case 'o': {
		const char *why = fsb_fmt_slug(arg);
		if (why) {
			fprintf(stderr, "fsbridge %s: --origin \"%s\": %s\n", a->name, arg, why);
			return FSB_EXIT_USAGE;
		}
		a->filter.origin = arg;
		return 0;
	}
	case 'k': return fsb_cli_kind(a->name, arg, &a->filter.kind);
	case 'j': a->json = 1; return 0;
	default: /* 'l' */
		return fsb_cli_lang(a->name, arg, &a->lang);
	}
}

int fsb_cmd_cases(int argc, char **argv)
{
	static const struct option opts[] = {
		{"open", no_argument, NULL, 'O'},         {"overdue", no_argument, NULL, 'D'},
		{"origin", required_argument, NULL, 'o'}, {"kind", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},         {"lang", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	struct args a = {.name = "cases"};
	struct fsb_cli_cmd cmd = {.name = "cases", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .usage = cases_usage, .take = take, .ctx = &a};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	struct fsb_view *v = NULL;
	struct fsb_query *q = NULL;
	struct fsb_case *cases = NULL;
	size_t n = 0;
	struct fsb_out o;
	fsb_out_init(&o);
	rc = FSB_EXIT_FAIL;
	if (fsb_cli_query_open("cases", store, &v, &q) == 0) {
		struct fsb_case_opts co = fsb_cli_case_opts(&cfg, 0);
		int qrc = fsb_query_cases(q, &a.filter, &co, &cases, &n);
		if (qrc) {
			fprintf(stderr, "fsbridge cases: %s\n",
				qrc == FSB_ENOMEM ? fsb_strerror(qrc) : fsb_store_error(store));
		} else {
			if (a.json) {
				fsb_render_cases_json(&o, cases, n);
				fsb_out_puts(&o, "\n");
			} else {
				fsb_render_cases_text(&o, cases, n, a.lang);
			}
			rc = fsb_cli_emit("cases", &o);
		}
	}
	fsb_out_clear(&o);
	fsb_cases_free(cases, n);
	fsb_query_close(q);
	fsb_store_view_close(v);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc;
}

int fsb_cmd_case(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"lang", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	struct args a = {.name = "case"};
	struct fsb_cli_cmd cmd = {.name = "case", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .usage = case_usage, .take = take, .ctx = &a,
				  .min_operands = 1, .max_operands = 1,
				  .missing = "which case? give a message id, e.g. longan:17"};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	const char *id = argv[optind];
	struct fsb_view *v = NULL;
	struct fsb_query *q = NULL;
	struct fsb_case c = {0};
	struct fsb_out o;
	fsb_out_init(&o);
	rc = FSB_EXIT_FAIL;
	const char *why = fsb_fmt_message_id(id, NULL, NULL);
	if (why) {
		fprintf(stderr, "fsbridge case: \"%s\" is not a message id (%s), e.g. longan:17\n", id,
			why);
		rc = FSB_EXIT_USAGE;
	} else if (fsb_cli_query_open("case", store, &v, &q) == 0) {
		struct fsb_case_opts co = fsb_cli_case_opts(&cfg, 1);
		int qrc = fsb_query_case(q, id, &co, &c);
		if (qrc == FSB_ENOTFOUND) {
			fprintf(stderr, "fsbridge case: %s: no such message or case on this node (%s)\n",
				id, fsb_store_origin(store));
		} else if (qrc) {
			fprintf(stderr, "fsbridge case: %s: %s\n", id,
				qrc == FSB_ENOMEM ? fsb_strerror(qrc) : fsb_store_error(store));
		} else {
			if (a.json) {
				fsb_render_case_json(&o, &c);
				fsb_out_puts(&o, "\n");
			} else {
				fsb_render_case_text(&o, &c, a.lang);
			}
			rc = fsb_cli_emit("case", &o);
		}
	}
	fsb_out_clear(&o);
	fsb_case_clear(&c);
	fsb_query_close(q);
	fsb_store_view_close(v);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc;
}
