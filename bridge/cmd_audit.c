/* cmd_audit.c - `fsbridge audit verify`: re-walk a node's log and prove it.
 *
 * Parses the options, opens the store read-only, runs the audit engine
 * (audit.h) and prints what it found: the first bad entry and why, or the
 * figures of a log that holds.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "config.h"
#include "format.h"
#include "store.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge audit verify (-c FILE | --data DIR [--ca FILE[,FILE] --crl FILE[,FILE]|none]) [--full] [--jobs N] [--from INDEX]\n"
		"\n"
		"Re-walks the log: the local hash chain, every stream's prev_hash links and\n"
		"payload hashes, and signatures (the newest of each stream; --full: all, on\n"
		"N worker threads, default the number of cores). Certificates are checked\n"
		"against the CAs of the configuration, or of --ca/--crl; with --data alone\n"
		"signatures are not checked. --from INDEX starts at that log entry, continuing\n"
		"the chain from the entry before it (an audit picking up where the last one\n"
		"ended). Exit 0 when everything holds, 1 otherwise.\n");
}

/* Splits a comma-separated list in place. */
static size_t split_list(char *s, char **items, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *t = strtok_r(s, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save))
		items[n++] = t;
	return n;
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	fsb_cli_progress("audit verify", done, total);
}

static void print_failure(const struct fsb_audit_report *r)
{
	if (r->bad_index == UINT64_MAX)
		fprintf(stderr, "audit verify: FAILED: %s\n", r->why);
	else
		fprintf(stderr, "audit verify: FAILED at entry %llu: %s\n",
			(unsigned long long)r->bad_index, r->why);
	fprintf(stderr, "audit verify: %llu problem%s in %llu entries\n",
		(unsigned long long)r->problems, r->problems == 1 ? "" : "s",
		(unsigned long long)r->entries);
}

static void print_report(const struct fsb_audit_report *r, const struct fsb_audit_opts *o)
{
	char head[2 * FSB_HASH_LEN + 1];
	fsb_fmt_hex(r->last_hash, FSB_HASH_LEN, head);
	printf("audit verify: OK\n");
	char range[64] = "";
	if (o->from > 1)
		snprintf(range, sizeof range, "from #%llu ", (unsigned long long)o->from);
	printf("  entries     %llu (%.1f MB of envelopes), local chain intact %sto #%llu (%.16s…)\n",
	       (unsigned long long)r->entries, r->bytes / 1e6, range,
	       (unsigned long long)r->last_index, head);
	printf("  streams     %zu:", r->n_streams);
	for (size_t i = 0; i < r->n_streams; i++)
		printf(" %s %llu%s", r->streams[i].origin, (unsigned long long)r->streams[i].seq,
		       i + 1 < r->n_streams ? "," : "\n");
	if (!r->n_streams)
		printf(" none\n");
	printf("  links       %llu prev_hash links and payload hashes checked\n",
	       (unsigned long long)r->links);
	if (r->signatures_checked)
		printf("  signatures  %llu verified (%s)\n", (unsigned long long)r->signatures,
		       o->full ? "every entry" : "newest of each stream; they cover the rest by hash links");
	else
		printf("  signatures  not checked: give -c FILE, or --ca and --crl\n");
	printf("  rejects     %llu, equivocations %llu\n", (unsigned long long)r->rejects,
	       (unsigned long long)r->equivocations);
}

/* The options of `audit verify`, beside -c FILE and --data DIR. */
struct audit_args {
	char *ca, *crl;
	struct fsb_audit_opts o;
};

static int take(void *ctx, int ch, const char *arg)
{
	struct audit_args *x = ctx;
	char *end;
	switch (ch) {
	case 'a': x->ca = (char *)arg; return 0;
	case 'r': x->crl = (char *)arg; return 0;
	case 'f': x->o.full = 1; return 0;
	case 'j': {
		long jobs = strtol(arg, &end, 10);
		if (*end || jobs < 1 || jobs > FSB_AUDIT_MAX_JOBS) {
			fprintf(stderr, "fsbridge audit verify: --jobs must be 1 to %d\n", FSB_AUDIT_MAX_JOBS);
			return FSB_EXIT_USAGE;
		}
		x->o.jobs = (unsigned)jobs;
		return 0;
	}
	default: /* 'F' */
		x->o.from = strtoull(arg, &end, 10);
		if (*end || x->o.from < 1) {
			fprintf(stderr, "fsbridge audit verify: --from must be a log index (1 or more)\n");
			return FSB_EXIT_USAGE;
		}
		return 0;
	}
}

/* The trust anchors of --ca and --crl, split in place into cas and crls. */
static int anchors(struct audit_args *x, char **cas, char **crls, size_t max)
{
	size_t n = split_list(x->ca, cas, max), m = split_list(x->crl, crls, max);
	if (n != m) {
		fprintf(stderr, "fsbridge audit verify: %zu --ca files but %zu --crl entries\n", n, m);
		return FSB_EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(crls[i], "none") == 0)
			crls[i] = NULL;
	x->o.n_anchors = n;
	x->o.ca_files = cas;
	x->o.crl_files = crls;
	return 0;
}

int fsb_cmd_audit(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "fsbridge audit: expected 'audit verify'\n");
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	static const struct option opts[] = {
		{"ca", required_argument, NULL, 'a'},   {"crl", required_argument, NULL, 'r'},
		{"full", no_argument, NULL, 'f'},       {"jobs", required_argument, NULL, 'j'},
		{"from", required_argument, NULL, 'F'}, {NULL, 0, NULL, 0},
	};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct audit_args x = {.o = {.from = 1, .jobs = cores < 1 ? 1
					     : cores > FSB_AUDIT_MAX_JOBS ? FSB_AUDIT_MAX_JOBS
								       : (unsigned)cores}};
	struct fsb_cli_cmd cmd = {.name = "audit verify", .source = FSB_CLI_CONFIG | FSB_CLI_DATA,
				  .opts = opts, .usage = usage, .take = take, .ctx = &x};
	struct fsb_config cfg;
	struct fsb_store *store;
	int rc = fsb_cli_start(&cmd, argc - 1, argv + 1, &cfg, &store);
	if (rc >= 0)
		return rc;
	struct fsb_audit_report r = {0};
	char *cas[16], *crls[16], err[600];
	if ((cmd.config_path && (x.ca || x.crl)) || !!x.ca != !!x.crl) {
		fprintf(stderr, "fsbridge audit verify: %s\n",
			cmd.config_path ? "--ca and --crl go with --data, not -c"
					: "--ca and --crl go together (--crl none, if said explicitly)");
		usage(stderr);
		rc = FSB_EINVAL;
		goto out;
	}
	if (cmd.config_path) {
		x.o.n_anchors = cfg.n_ca;
		x.o.ca_files = cfg.ca_files;
		x.o.crl_files = cfg.crl_files;
	} else if (x.ca && (rc = anchors(&x, cas, crls, 16))) {
		goto out;
	}
	x.o.progress = progress;
	rc = fsb_audit_run(store, &x.o, &r, err, sizeof err);
	fsb_cli_progress_end();
	if (rc)
		fprintf(stderr, "fsbridge audit verify: %s\n", err);
	else if (r.problems) {
		print_failure(&r);
		rc = FSB_EINVALID;
	} else
		print_report(&r, &x.o);
out:
	fsb_audit_report_clear(&r);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	if (rc == FSB_EINVAL)
		return FSB_EXIT_USAGE;
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
