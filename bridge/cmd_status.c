/* cmd_status.c - `fsbridge status`: what a node holds, at a glance. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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
		for (int k = 0; k < 8; k++)
			sprintf(h + 2 * k, "%02x", heads[i].payload_hash[k]);
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
	printf("\nrejects     %llu\n", (unsigned long long)st.rejects);
	struct fsb_reject r[REJECTS_SHOWN];
	size_t nr = 0;
	fsb_store_rejects(store, r, REJECTS_SHOWN, &nr);
	for (size_t i = 0; i < nr; i++) {
		char when[FSB_TIME_MAX + 1];
		fsb_time_format(r[i].when_ms, when);
		printf("            %s  %s  %s\n", when, r[i].topic, r[i].reason);
		fsb_reject_clear(&r[i]);
	}
	printf("equivocations %llu%s\n", (unsigned long long)st.equivocations,
	       st.equivocations ? "   ALARM: an origin signed two different messages for one seq" : "");
	free(heads);
}

int fsb_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"data", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *data = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'd': data = optarg; break;
		case 'h': usage(stdout); return FSB_EXIT_OK;
		default: usage(stderr); return FSB_EXIT_USAGE;
		}
	}
	if (optind != argc || !!config == !!data) {
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	struct fsb_config cfg;
	struct fsb_store *store = NULL;
	int rc = fsb_cli_open_store("status", config, data, 1, &cfg, &store);
	if (!rc)
		show(store, config ? cfg.data_dir : data);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
