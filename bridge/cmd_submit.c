/* cmd_submit.c - `fsbridge submit`: validate, sequence, sign and commit
 * messages to the node's outbox, durable before anything is sent.
 *
 * Every item is parsed and checked first; if any fails, every problem is
 * listed (item, field path) and nothing is written. Then the whole batch is
 * sequenced, sealed and appended in one transaction: a season's monitoring
 * results go in together or not at all, and the command returns only once
 * they are durable. Concurrent submits on one data directory are serialized
 * by LMDB, so their seqs interleave without gaps.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "cli.h"
#include "codec.h"
#include "config.h"
#include "format.h"
#include "store.h"
#include "submit.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge submit -c FILE [--kind KIND] [--jsonl] FILE.json...|-\n"
		"\n"
		"Validates, signs and commits messages to the node's outbox, in one\n"
		"transaction: if any item is invalid, every problem is listed and\n"
		"nothing is written. Prints one message id per line.\n"
		"  --jsonl   each line of each input is one message (JSON lines)\n"
		"  --kind K  documents are of kind K (or bare bodies of that kind)\n");
}

struct batch {
	struct fsb_message **msgs;
	char (*labels)[300];       /* "FILE" or "FILE:LINE" per message */
	size_t n, cap;
	int bad;                   /* items that failed */
	enum fsb_kind kind;
	const struct fsb_config *cfg;
};

/* Checks one document into the batch, or reports why it cannot go in. */
static void add_item(struct batch *b, const char *label, const char *text, size_t len)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct fsb_message **m = realloc(b->msgs, cap * sizeof *m);
		char(*l)[300] = m ? realloc(b->labels, cap * sizeof *l) : NULL;
		if (m)
			b->msgs = m;
		if (!m || !l) {
			fprintf(stderr, "%s: out of memory\n", label);
			b->bad++;
			return;
		}
		b->labels = l;
		b->cap = cap;
	}
	struct fsb_errlist *errs = malloc(sizeof *errs);
	struct fsb_message *m = NULL;
	if (!errs) {
		fprintf(stderr, "%s: out of memory\n", label);
		b->bad++;
		return;
	}
	fsb_errlist_init(errs);
	if (fsb_submission_check(text, len, b->kind, b->cfg->origin, b->cfg->max_message_bytes, &m,
				 NULL, errs)) {
		fsb_cli_print_errors(label, errs);
		b->bad++;
	} else {
		snprintf(b->labels[b->n], sizeof b->labels[0], "%s", label);
		b->msgs[b->n++] = m;
	}
	free(errs);
}

static void show_progress(size_t done, size_t total)
{
	fsb_cli_progress("signing", done, total);
}

static int read_input(struct batch *b, const char *file, int jsonl)
{
	const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
	char *text;
	size_t len;
	size_t cap = jsonl ? (size_t)1 << 30 : FSB_CODEC_JSON_MAX_BYTES;
	int rc = fsb_cli_read_file(file, cap, &text, &len);
	if (rc) {
		fprintf(stderr, "%s: cannot read: %s\n", name,
			rc == FSB_EIO ? strerror(errno) : fsb_strerror(rc));
		b->bad++;
		return rc;
	}
	if (!jsonl) {
		add_item(b, name, text, len);
	} else {
		char label[300];
		size_t line = 0;
		for (char *p = text; p < text + len;) {
			char *eol = memchr(p, '\n', (size_t)(text + len - p));
			size_t n = eol ? (size_t)(eol - p) : (size_t)(text + len - p);
			line++;
			if (n && strspn(p, " \t\r") < n) {
				snprintf(label, sizeof label, "%s:%zu", name, line);
				add_item(b, label, p, n);
			}
			p += n + 1;
			fsb_cli_progress("checking", line, 0);
		}
		fsb_cli_progress_end();
	}
	free(text);
	return 0;
}

/* The options of submit: a batch's kind, and whether input is JSON lines. */
struct submit_args {
	struct batch *b;
	int jsonl;
};

static int take(void *ctx, int ch, const char *arg)
{
	struct submit_args *x = ctx;
	if (ch == 'l') {
		x->jsonl = 1;
		return 0;
	}
	return fsb_cli_kind("submit", arg, &x->b->kind); /* 'k' */
}

int fsb_cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kind", required_argument, NULL, 'k'},
		{"jsonl", no_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	struct batch b = {0};
	struct submit_args x = {&b, 0};
	struct fsb_cli_cmd cmd = {.name = "submit", .source = FSB_CLI_CONFIG, .opts = opts,
				  .short_opts = "k:l", .usage = usage, .take = take, .ctx = &x,
				  .min_operands = 1, .max_operands = SIZE_MAX,
				  .missing = "no input given (use - for standard input)"};
	int rc = fsb_cli_parse(&cmd, argc, argv);
	if (rc >= 0)
		return rc;
	struct fsb_config cfg;
	struct fsb_store *store = NULL;
	struct fsb_signer *signer = NULL;
	if ((rc = fsb_cli_load_config(cmd.config_path, &cfg)))
		goto out;
	b.cfg = &cfg;
	for (int i = optind; i < argc; i++)
		read_input(&b, argv[i], x.jsonl);
	if (b.bad || b.n == 0) {
		fprintf(stderr, "fsbridge submit: %s; nothing was submitted\n",
			b.bad ? "invalid input" : "no message in the input");
		rc = FSB_EINVALID;
		goto out;
	}
	char err[512];
	if ((rc = fsb_signer_open(cfg.key_path, cfg.cert_path, &signer, err, sizeof err))) {
		fprintf(stderr, "fsbridge submit: %s\n", err);
		goto out;
	}
	struct fsb_store_opts so = {.origin = cfg.origin};
	if ((rc = fsb_store_open(cfg.data_dir, &so, &store, err, sizeof err))) {
		fprintf(stderr, "fsbridge submit: %s\n", err);
		goto out;
	}
	rc = fsb_submit_commit(store, signer, cfg.origin, b.msgs, b.n, show_progress, NULL, err,
			       sizeof err);
	fsb_cli_progress_end();
	if (rc) {
		fprintf(stderr, "fsbridge submit: %s; nothing was submitted\n", err);
		goto out;
	}
	for (size_t i = 0; i < b.n; i++) {
		struct fsb_header h;
		fsb_message_header(b.msgs[i], &h);
		printf("%s\n", h.message_id);
	}
out:
	for (size_t i = 0; i < b.n; i++)
		fsb_message_free(b.msgs[i]);
	free(b.msgs);
	free(b.labels);
	fsb_store_close(store);
	fsb_signer_close(signer);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
