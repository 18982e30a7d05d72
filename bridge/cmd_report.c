/* cmd_report.c - `fsbridge report`: the programme report of a period, as
 * the focal unit sends it to the Provincial People's Committee.
 *
 * A thin front-end: the query layer computes the report in one snapshot
 * (read-only, beside a running node or on a copied data directory), and
 * render_report writes it as text, CSV or HTML.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "format.h"
#include "out.h"
#include "render_report.h"
#include "store.h"

#define ORIGINS_MAX 128 /* --origin given, at most */

enum format { TEXT, CSV, HTML };

struct args {
	const char *from, *to, *file;
	const char *origins[ORIGINS_MAX];
	size_t n_origins;
	enum format format;
	enum fsb_lang lang;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge report (-c FILE | --data DIR) --from YYYY-MM-DD --to YYYY-MM-DD\n"
		"                       [--origin O]... [--format text|csv|html] [--lang vi|en]\n"
		"                       [-o FILE]\n"
		"\n"
		"The programme report of a period (whole days, UTC+07:00), computed from the\n"
		"log: surveillance samples and non-compliance by province and product group,\n"
		"by hazard group and analyte; recalls by class and basis, with the hours from\n"
		"detection to notification, to each acknowledgement and to closure; quarantine\n"
		"notices and outbreaks; cases; certificates and safe chains against the\n"
		"programme's targets; the exchange. --origin limits it to the messages of those\n"
		"provinces. HTML is one printable A4 page with its charts; CSV opens in a\n"
		"spreadsheet. -o writes FILE instead of standard output.\n");
}

static int take(void *ctx, int ch, const char *arg)
{
	struct args *a = ctx;
	switch (ch) {
	case 'f': a->from = arg; return 0;
	case 't': a->to = arg; return 0;
	case 'o': a->file = arg; return 0;
	case 'g':
		if (fsb_fmt_slug(arg)) {
			fprintf(stderr, "fsbridge report: --origin \"%s\": not an origin ([a-z0-9-], 1 to 32)\n",
				arg);
			return FSB_EXIT_USAGE;
		}
		if (a->n_origins == ORIGINS_MAX) {
			fprintf(stderr, "fsbridge report: more than %d --origin\n", ORIGINS_MAX);
			return FSB_EXIT_USAGE;
		}
		a->origins[a->n_origins++] = arg;
		return 0;
	case 'F':
		if (strcmp(arg, "text") == 0)
			a->format = TEXT;
		else if (strcmp(arg, "csv") == 0)
			a->format = CSV;
		else if (strcmp(arg, "html") == 0)
			a->format = HTML;
		else {
			fprintf(stderr, "fsbridge report: --format \"%s\": text, csv or html\n", arg);
			return FSB_EXIT_USAGE;
		}
		return 0;
	default: /* 'l' */
		return fsb_cli_lang("report", arg, &a->lang);
	}
}

static const struct option opts[] = {
	{"from", required_argument, NULL, 'f'},   {"to", required_argument, NULL, 't'},
	{"origin", required_argument, NULL, 'g'}, {"format", required_argument, NULL, 'F'},
	{"lang", required_argument, NULL, 'l'},   {"output", required_argument, NULL, 'o'},
	{NULL, 0, NULL, 0},
};

int fsb_cmd_report(int argc, char **argv)
{
	struct args a = {0};
	struct fsb_cli_cmd cmd = {.name = "report", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .short_opts = "o:", .usage = usage, .take = take,
				  .ctx = &a};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc, argv, &cfg, &store);
	if (rc >= 0)
		return rc;
	struct fsb_report_period p;
	struct fsb_view *v = NULL;
	struct fsb_query *q = NULL;
	struct fsb_report r = {0};
	struct fsb_out o;
	fsb_out_init(&o);
	const char *which = NULL, *why = NULL, *unknown = NULL;
	if (!a.from || !a.to) {
		fprintf(stderr, "fsbridge report: the period is missing: give --from and --to "
				"(YYYY-MM-DD)\n");
		rc = FSB_EXIT_USAGE;
	} else if ((why = fsb_report_period(&p, a.from, a.to, &which))) {
		fprintf(stderr, "fsbridge report: %s \"%s\": %s\n", which,
			strcmp(which, "--to") == 0 ? a.to : a.from, why);
		rc = FSB_EXIT_USAGE;
	} else if (fsb_cli_query_open("report", store, &v, &q)) {
		rc = FSB_EXIT_FAIL;
	} else {
		rc = FSB_EXIT_FAIL;
		struct fsb_case_opts co = fsb_cli_case_opts(&cfg, 0);
		int qrc = fsb_query_report(q, &p, a.origins, a.n_origins, &co, &r, &unknown);
		if (qrc == FSB_ENOTFOUND && unknown) {
			fprintf(stderr, "fsbridge report: --origin \"%s\": this node has never heard of it "
					"(no message, no checkpoint); `fsbridge status` lists the provinces "
					"it knows\n", unknown);
			rc = FSB_EXIT_USAGE;
		} else if (qrc) {
			fprintf(stderr, "fsbridge report: %s\n",
				qrc == FSB_ENOMEM ? fsb_strerror(qrc) : fsb_store_error(store));
		} else {
			struct fsb_report_issuer by = {.unit = cfg.unit};
			if (a.format == CSV)
				fsb_render_report_csv(&o, &r, &by, a.lang);
			else if (a.format == HTML)
				fsb_render_report_html(&o, &r, &by, a.lang);
			else
				fsb_render_report_text(&o, &r, &by, a.lang);
			rc = fsb_cli_emit_to("report", &o, a.file);
			if (rc == FSB_EXIT_OK && a.file)
				fprintf(stderr, "fsbridge report: %s written (%zu bytes)\n", a.file, o.len);
		}
	}
	fsb_out_clear(&o);
	fsb_report_clear(&r);
	fsb_query_close(q);
	fsb_store_view_close(v);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc;
}
