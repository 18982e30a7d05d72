/* cmd_validate.c - `fsbridge validate`: the schema check of JSON messages.
 *
 * Runs exactly what a submission goes through before it is signed: JSON
 * mapping, content rules (header fields that the node stamps may be absent),
 * and the packed-size cap. Prints "FILE: OK …" per valid file on stdout and
 * "FILE: field.path: problem" per problem on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "cli.h"
#include "codec.h"
#include "submit.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge validate [--kind KIND] FILE.json...|-\n"
		"\n"
		"Checks JSON messages against the schema and the content rules.\n"
		"The kind is read from the document ({\"recall\": {...}}); with --kind the\n"
		"document must be of that kind, or may be the bare body of that kind.\n"
		"KIND is surveillance, quarantine, recall, followup or certification.\n"
		"Exit status: 0 all valid, 1 a file is invalid or unreadable, 2 usage.\n");
}

/* Validates one file; returns 1 when it is valid. */
static int validate_file(const char *file, enum fsb_kind kind)
{
	const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
	char *text = NULL;
	size_t len = 0;
	int rc = fsb_cli_read_file(file, FSB_CODEC_JSON_MAX_BYTES, &text, &len);
	if (rc == FSB_ETOOBIG) {
		fprintf(stderr, "%s: larger than the cap of %u bytes for a JSON message\n", name,
			FSB_CODEC_JSON_MAX_BYTES);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "%s: cannot read: %s\n", name,
			rc == FSB_EIO ? strerror(errno) : fsb_strerror(rc));
		return 0;
	}
	struct fsb_errlist *errs = malloc(sizeof *errs);
	struct fsb_message *m = NULL;
	int ok = 0;
	if (!errs) {
		fprintf(stderr, "%s: %s\n", name, fsb_strerror(FSB_ENOMEM));
		goto out;
	}
	fsb_errlist_init(errs);
	size_t packed_len;
	if (fsb_submission_check(text, len, kind, NULL, FSB_CODEC_DEFAULT_MAX_BYTES, &m, &packed_len,
				 errs)) {
		fsb_cli_print_errors(name, errs);
		goto out;
	}
	printf("%s: OK (%s, %zu bytes packed)\n", name, fsb_kind_name(fsb_message_kind(m)), packed_len);
	ok = 1;
out:
	fsb_message_free(m);
	free(errs);
	free(text);
	return ok;
}

static int take(void *ctx, int ch, const char *arg)
{
	(void)ch; /* 'k' */
	return fsb_cli_kind("validate", arg, ctx);
}

int fsb_cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kind", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	enum fsb_kind kind = FSB_KIND_NONE;
	struct fsb_cli_cmd cmd = {.name = "validate", .opts = opts, .short_opts = "k:",
				  .usage = usage, .take = take, .ctx = &kind,
				  .min_operands = 1, .max_operands = SIZE_MAX,
				  .missing = "no file given (use - for standard input)"};
	int rc = fsb_cli_parse(&cmd, argc, argv);
	if (rc >= 0)
		return rc;
	int all_ok = 1;
	for (int i = optind; i < argc; i++)
		all_ok &= validate_file(argv[i], kind);
	return all_ok ? FSB_EXIT_OK : FSB_EXIT_FAIL;
}
