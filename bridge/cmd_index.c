/* cmd_index.c - `fsbridge index rebuild`: the indexes derived from the log,
 * made again from it.
 *
 * Every index (by seq, id, kind, time; stream heads; follow-ups by
 * reference; cases) is written with the entry it indexes; rebuilding
 * replays the log into them in one transaction, so what the node serves
 * afterwards is what the log says. `audit verify` checks them without
 * writing.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "store.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge index rebuild (-c FILE | --data DIR)\n"
		"\n"
		"Re-derives every index of the node's store from its log, in one\n"
		"transaction (a running node's writes wait for it). `fsbridge audit\n"
		"verify` checks the indexes against the log.\n");
}

static void show_progress(uint64_t done, uint64_t total)
{
	fsb_cli_progress("indexing", done, total);
}

int fsb_cmd_index(int argc, char **argv)
{
	struct fsb_cli_cmd cmd = {.name = "index rebuild", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .usage = usage, .min_operands = 1, .max_operands = 1,
				  .missing = "what? `fsbridge index rebuild`"};
	int rc = fsb_cli_parse(&cmd, argc, argv);
	if (rc >= 0)
		return rc;
	if (strcmp(argv[optind], "rebuild") != 0) {
		fprintf(stderr, "fsbridge index: unknown action \"%s\" (rebuild)\n", argv[optind]);
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	struct fsb_config cfg;
	fsb_config_init(&cfg);
	if (cmd.config_path && fsb_cli_load_config(cmd.config_path, &cfg))
		return FSB_EXIT_FAIL;
	struct fsb_store_opts so = {.origin = cmd.config_path ? cfg.origin : NULL};
	struct fsb_store *store = NULL;
	char err[512];
	uint64_t entries = 0;
	rc = fsb_store_open(cmd.config_path ? cfg.data_dir : cmd.data_dir, &so, &store, err, sizeof err);
	if (rc)
		fprintf(stderr, "fsbridge index rebuild: %s\n", err);
	else if ((rc = fsb_store_index_rebuild(store, show_progress, &entries)))
		fprintf(stderr, "fsbridge index rebuild: %s\n", fsb_store_error(store));
	fsb_cli_progress_end();
	if (rc == 0)
		printf("%llu entries indexed\n", (unsigned long long)entries);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
