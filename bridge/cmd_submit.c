/* cmd_submit.c - `fsbridge submit`: validate, sequence, sign and commit
 * messages to the node's outbox (DESIGN.md section 5, point 1).
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
#include "seal.h"
#include "store.h"

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

struct item {
	char label[300];           /* "FILE" or "FILE:LINE" */
	struct fsb_message *msg;
	uint8_t *envelope;         /* sealed, when sealing */
	size_t envelope_len;
	char category[FSB_CATEGORY_MAX + 1];
};

struct batch {
	struct item *items;
	size_t n, cap;
	int bad;                   /* items that failed */
	enum fsb_kind kind;
	size_t max_bytes;
	const struct fsb_config *cfg;
	struct fsb_signer *signer;
	int64_t now;
	char issued_at[FSB_TIME_MAX + 1];
};

/* Parses one document into the batch, or reports why it cannot. */
static void add_item(struct batch *b, const char *label, const char *text, size_t len)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct item *it = realloc(b->items, cap * sizeof *it);
		if (!it) {
			fprintf(stderr, "%s: out of memory\n", label);
			b->bad++;
			return;
		}
		b->items = it;
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
	if (fsb_cli_parse_message(text, len, b->kind, b->max_bytes, &m, errs) == 0) {
		struct fsb_header h;
		fsb_message_header(m, &h);
		if (h.origin[0] && strcmp(h.origin, b->cfg->origin) != 0)
			fsb_errlist_add(errs, "header.origin", "is \"%s\", but this node is \"%s\"",
					h.origin, b->cfg->origin);
		if (h.seq || h.prev_hash || h.message_id[0] || h.issued_at[0])
			fsb_errlist_add(errs, "header", "seq, prevHash, messageId and issuedAt are set by the node when it signs; leave them out");
	}
	if (fsb_errlist_count(errs)) {
		fsb_cli_print_errors(label, errs);
		fsb_message_free(m);
		b->bad++;
	} else {
		struct item *it = &b->items[b->n++];
		memset(it, 0, sizeof *it);
		snprintf(it->label, sizeof it->label, "%s", label);
		it->msg = m;
	}
	free(errs);
}

static int read_input(struct batch *b, const char *file, int jsonl)
{
	const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
	char *text;
	size_t len;
	size_t cap = jsonl ? (size_t)1 << 30 : FSB_CODEC_JSON_MAX_BYTES;
	int rc = fsb_read_file(file, cap, &text, &len);
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
			fsb_progress("checking", line, 0);
		}
		fsb_progress_end();
	}
	free(text);
	return 0;
}

/* fsb_seal_fn: seals item i with the seq and link the store chose. */
static int seal_item(void *ctx, size_t i, uint64_t seq, const uint8_t prev[FSB_HASH_LEN],
		     struct fsb_entry_in *out)
{
	struct batch *b = ctx;
	struct item *it = &b->items[i];
	free(it->envelope);
	it->envelope = NULL;
	struct fsb_stamp st = {.origin = b->cfg->origin, .seq = seq, .issued_at = b->issued_at};
	memcpy(st.prev_hash, prev, FSB_HASH_LEN);
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	int rc = fsb_seal(b->signer, it->msg, &st, &it->envelope, &it->envelope_len,
			  out->payload_hash, &errs);
	if (rc) {
		fsb_cli_print_errors(it->label, &errs);
		return rc;
	}
	size_t cert_len;
	out->envelope = it->envelope;
	out->envelope_len = it->envelope_len;
	out->origin = b->cfg->origin;
	out->seq = seq;
	memcpy(out->prev_hash, prev, FSB_HASH_LEN);
	out->kind = fsb_message_kind(it->msg);
	out->category = fsb_message_category(it->msg, it->category);
	out->issued_at_ms = b->now;
	out->arrival_ms = b->now;
	out->direction = FSB_DIR_SENT;
	out->status = FSB_STATUS_ACCEPTED;
	out->cert = fsb_signer_cert(b->signer, &cert_len);
	out->cert_len = cert_len;
	fsb_progress("signing", i + 1, b->n);
	return 0;
}

int fsb_cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"kind", required_argument, NULL, 'k'},
		{"jsonl", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	struct batch b = {0};
	int jsonl = 0, ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:k:lh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'k':
			if ((b.kind = fsb_kind_parse(optarg)) == FSB_KIND_NONE) {
				fprintf(stderr, "fsbridge submit: unknown kind \"%s\" (surveillance, quarantine, recall or followup)\n",
					optarg);
				return FSB_EXIT_USAGE;
			}
			break;
		case 'l':
			jsonl = 1;
			break;
		case 'h':
			usage(stdout);
			return FSB_EXIT_OK;
		default:
			usage(stderr);
			return FSB_EXIT_USAGE;
		}
	}
	if (!config || optind >= argc) {
		fprintf(stderr, "fsbridge submit: %s\n",
			config ? "no input given (use - for standard input)" : "-c FILE is required");
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	struct fsb_config cfg;
	struct fsb_store *store = NULL;
	int rc = fsb_cli_load_config(config, &cfg);
	if (rc)
		goto out;
	b.cfg = &cfg;
	b.max_bytes = cfg.max_message_bytes;
	for (int i = optind; i < argc; i++)
		read_input(&b, argv[i], jsonl);
	if (b.bad || b.n == 0) {
		fprintf(stderr, "fsbridge submit: %s; nothing was submitted\n",
			b.bad ? "invalid input" : "no message in the input");
		rc = FSB_EINVALID;
		goto out;
	}
	char err[512];
	if ((rc = fsb_signer_open(cfg.key_path, cfg.cert_path, &b.signer, err, sizeof err))) {
		fprintf(stderr, "fsbridge submit: %s\n", err);
		goto out;
	}
	struct fsb_store_opts so = {.origin = cfg.origin};
	if ((rc = fsb_store_open(cfg.data_dir, &so, &store, err, sizeof err))) {
		fprintf(stderr, "fsbridge submit: %s\n", err);
		goto out;
	}
	b.now = fsb_time_now_ms();
	fsb_time_format(b.now, b.issued_at);
	rc = fsb_store_append_own(store, b.n, seal_item, &b, NULL);
	fsb_progress_end();
	if (rc) {
		fprintf(stderr, "fsbridge submit: %s; nothing was submitted\n", fsb_store_error(store));
		goto out;
	}
	for (size_t i = 0; i < b.n; i++) {
		struct fsb_header h;
		fsb_message_header(b.items[i].msg, &h);
		printf("%s\n", h.message_id);
	}
out:
	for (size_t i = 0; i < b.n; i++) {
		fsb_message_free(b.items[i].msg);
		free(b.items[i].envelope);
	}
	free(b.items);
	fsb_store_close(store);
	fsb_signer_close(b.signer);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
