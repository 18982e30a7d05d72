/* cmd_ack.c - `fsbridge ack`: a receiving province acknowledges a case.
 *
 * Builds an ACKNOWLEDGEMENT follow-up of the message given (the unit and
 * officer handling it, a note), and submits it the way `fsbridge submit`
 * does: checked, sequenced, signed and committed before the node sends it.
 * The acknowledgement takes the category of the message it acknowledges.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "config.h"
#include "format.h"
#include "out.h"
#include "store.h"
#include "submit.h"

struct ack_args {
	const char *text, *unit, *officer;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge ack -c FILE ID [--text T] [--unit U] [--officer O]\n"
		"\n"
		"Acknowledges message ID (a recall, an alert, any message of a case) on\n"
		"behalf of this province: it has the alert and handles it. --unit names\n"
		"the unit in charge (default: [node] unit of the configuration), --officer\n"
		"the officer, --text a note. Prints the acknowledgement's message id.\n");
}

static int take(void *ctx, int ch, const char *arg)
{
	struct ack_args *a = ctx;
	if (ch == 't')
		a->text = arg;
	else if (ch == 'u')
		a->unit = arg;
	else
		a->officer = arg; /* 'o' */
	return 0;
}

/* The category of the message acknowledged, by its schema name. */
static int category_of(struct fsb_store *store, const char *id, char *out, size_t outlen)
{
	uint64_t index;
	struct fsb_entry e = {0};
	int rc = fsb_store_find_id(store, id, &index);
	if (rc == FSB_ENOTFOUND) {
		fprintf(stderr, "fsbridge ack: %s is not held by this node: nothing to acknowledge\n", id);
		return rc;
	}
	if (rc || (rc = fsb_store_get(store, index, &e))) {
		fprintf(stderr, "fsbridge ack: %s\n", fsb_store_error(store));
		return rc;
	}
	struct fsb_envelope_view v;
	struct fsb_message *m = NULL;
	rc = fsb_envelope_view(e.envelope, e.envelope_len, &v);
	if (rc == 0)
		rc = fsb_message_unpack(v.payload, v.payload_len, v.payload_len, &m, NULL);
	if (rc == 0) {
		struct fsb_case_facts f;
		fsb_message_case_facts(m, &f);
		snprintf(out, outlen, "%s", f.category ? f.category : "");
	} else {
		fprintf(stderr, "fsbridge ack: %s cannot be decoded; run audit verify\n", id);
	}
	fsb_message_free(m);
	fsb_entry_clear(&e);
	return rc;
}

int fsb_cmd_ack(int argc, char **argv)
{
	static const struct option opts[] = {
		{"text", required_argument, NULL, 't'},
		{"unit", required_argument, NULL, 'u'},
		{"officer", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct ack_args a = {0};
	struct fsb_cli_cmd cmd = {.name = "ack", .source = FSB_CLI_CONFIG, .opts = opts,
				  .usage = usage, .take = take, .ctx = &a, .min_operands = 1,
				  .max_operands = 1,
				  .missing = "which message? give its id, e.g. longan:17"};
	int rc = fsb_cli_parse(&cmd, argc, argv);
	if (rc >= 0)
		return rc;
	const char *id = argv[optind];
	struct fsb_config cfg;
	struct fsb_store *store = NULL;
	struct fsb_signer *signer = NULL;
	struct fsb_message *m = NULL;
	struct fsb_out json;
	fsb_out_init(&json);
	char err[512], category[64];
	const char *why = fsb_fmt_message_id(id, NULL, NULL);
	if (why) {
		fprintf(stderr, "fsbridge ack: \"%s\" is not a message id (%s), e.g. longan:17\n", id, why);
		return FSB_EXIT_USAGE;
	}
	if ((rc = fsb_cli_load_config(cmd.config_path, &cfg)))
		return FSB_EXIT_FAIL;
	const char *unit = a.unit ? a.unit : cfg.unit;
	if (!unit || !unit[0]) {
		fprintf(stderr, "fsbridge ack: which unit handles it? give --unit, or [node] unit in %s\n",
			cfg.path);
		rc = FSB_ECONFIG;
		goto out;
	}
	struct fsb_store_opts so = {.origin = cfg.origin};
	if ((rc = fsb_store_open(cfg.data_dir, &so, &store, err, sizeof err))) {
		fprintf(stderr, "fsbridge ack: %s\n", err);
		goto out;
	}
	if ((rc = category_of(store, id, category, sizeof category)))
		goto out;
	/* The submission, as any agency system would send it. */
	fsb_out_puts(&json, "{\"header\":{\"issuer\":{\"name\":");
	fsb_out_json_str(&json, unit);
	if (a.officer) {
		fsb_out_puts(&json, ",\"contact\":{\"name\":");
		fsb_out_json_str(&json, a.officer);
		fsb_out_puts(&json, "}");
	}
	fsb_out_puts(&json, "},\"category\":");
	fsb_out_json_str(&json, category);
	fsb_out_puts(&json, "},\"followup\":{\"type\":\"FOLLOW_UP_TYPE_ACKNOWLEDGEMENT\",\"refMessageId\":");
	fsb_out_json_str(&json, id);
	if (a.text) {
		fsb_out_puts(&json, ",\"text\":");
		fsb_out_json_str(&json, a.text);
	}
	fsb_out_puts(&json, "}}");
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	if ((rc = fsb_out_finish(&json)) ||
	    (rc = fsb_submission_check(json.buf, json.len, FSB_KIND_FOLLOWUP, cfg.origin,
				       cfg.max_message_bytes, &m, NULL, &errs))) {
		fsb_cli_print_errors("fsbridge ack", &errs);
		goto out;
	}
	if ((rc = fsb_signer_open(cfg.key_path, cfg.cert_path, &signer, err, sizeof err))) {
		fprintf(stderr, "fsbridge ack: %s\n", err);
		goto out;
	}
	if ((rc = fsb_submit_commit(store, signer, cfg.origin, &m, 1, NULL, &errs, err, sizeof err))) {
		if (errs.n)
			fsb_cli_print_errors("fsbridge ack", &errs);
		else
			fprintf(stderr, "fsbridge ack: %s\n", err);
		goto out;
	}
	struct fsb_header h;
	fsb_message_header(m, &h);
	printf("%s\n", h.message_id);
out:
	fsb_message_free(m);
	fsb_out_clear(&json);
	fsb_store_close(store);
	fsb_signer_close(signer);
	fsb_config_cleanup(&cfg);
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
