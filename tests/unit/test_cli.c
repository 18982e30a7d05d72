/* test_cli.c - the fsbridge binary as a user runs it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

struct run {
	int status;
	char *out;
	char *err;
};

/* Runs `fsbridge ARGS` through the shell, capturing both streams. */
static struct run fsbridge(const char *args, const char *stdin_text)
{
	char dir[] = "/tmp/fsb-cli-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char in[300], out[300], err[300], cmd[4096];
	snprintf(in, sizeof in, "%s/in", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	FILE *f = fopen(in, "w");
	fputs(stdin_text ? stdin_text : "", f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "cd %s && %s %s <%s >%s 2>%s", EXAMPLES_DIR, FSB_BIN, args, in, out, err);
	int st = system(cmd);
	struct run r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, th_read(out, NULL), th_read(err, NULL)};
	unlink(in);
	unlink(out);
	unlink(err);
	rmdir(dir);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(cli, validate_every_example)
{
	struct run r = fsbridge("validate *.json", NULL);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_empty(r.err);
	size_t n;
	char **list = th_examples(&n);
	cr_expect_eq(count_lines(r.out), n);
	for (size_t i = 0; i < n; i++) {
		char want[256];
		snprintf(want, sizeof want, "%s: OK (", list[i]);
		cr_expect(strstr(r.out, want), "no OK line for %s", list[i]);
	}
	th_free_list(list);
	run_free(&r);
}

Test(cli, broken_file_one_line_per_error)
{
	const char *doc = "{\"header\": {\"category\": \"CATEGORY_CROP\", \"issuer\": {\"name\": \"x\"}},"
			  " \"recall\": {\"classification\": \"RASFF_CLASSIFICATION_ALERT\","
			  " \"recallClass\": \"RECALL_CLASS_I\", \"initiation\": \"RECALL_INITIATION_VOLUNTARY\","
			  " \"basis\": \"RECALL_BASIS_OWN_CHECK\", \"riskDecision\": \"RISK_DECISION_SERIOUS\","
			  " \"hazards\": [{\"analyte\": \"Salmonella\", \"hazard\": \"HAZARD_CATEGORY_PATHOGEN\"}],"
			  " \"products\": [{\"name\": \"A\", \"gtin\": \"8936045123454\"},"
			  " {\"name\": \"B\", \"gtin\": \"8936045123455\"}],"
			  " \"responsibleOperator\": {\"name\": \"C\"},"
			  " \"distributionStatus\": \"DISTRIBUTION_STATUS_NO_DISTRIBUTION\","
			  " \"decidedAt\": \"yesterday\"}}";
	struct run r = fsbridge("validate -", doc);
	cr_expect_eq(r.status, 1);
	cr_expect_str_empty(r.out);
	cr_expect_str_eq(r.err, "<stdin>: recall.products[1].gtin: check digit mismatch\n"
				"<stdin>: recall.decidedAt: not an RFC 3339 time (expected e.g. 2025-06-02T09:15:00+07:00)\n"
				"<stdin>: recall.reason: required\n");
	run_free(&r);
}

Test(cli, json_syntax_error_names_line_and_column)
{
	struct run r = fsbridge("validate -", "{\n  \"recall\": {,}\n}\n");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "<stdin>: line 2 column "), "%s", r.err);
	cr_expect_eq(count_lines(r.err), 1);
	run_free(&r);
}

Test(cli, kind_option)
{
	struct run r = fsbridge("validate --kind followup -",
				"{\"type\": \"FOLLOW_UP_TYPE_CLOSURE\", \"refMessageId\": \"longan:3\","
				" \"reason\": \"Đã thu hồi và tiêu hủy toàn bộ\"}");
	/* A bare body has no header, which is required. */
	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.err, "<stdin>: header: required\n");
	run_free(&r);
	r = fsbridge("validate --kind recall followup-withdrawal-longan.json", NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "followup-withdrawal-longan.json: followup: document is a followup message, but recall was asked for"),
		  "%s", r.err);
	run_free(&r);
}

Test(cli, mixed_files_fail_but_report_each)
{
	struct run r = fsbridge("validate recall-pangasius-class2-cantho.json /nonexistent.json", NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.out, "recall-pangasius-class2-cantho.json: OK (recall, "));
	cr_expect_str_eq(r.err, "/nonexistent.json: cannot read: No such file or directory\n");
	run_free(&r);
}

Test(cli, usage_errors_exit_2)
{
	static const char *const bad[] = {"", "validate", "validate --kind alert x.json",
					  "validate --bogus x.json", "frobnicate"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct run r = fsbridge(bad[i], NULL);
		cr_expect_eq(r.status, 2, "'%s' exited %d", bad[i], r.status);
		cr_expect_str_not_empty(r.err, "'%s' printed no error", bad[i]);
		run_free(&r);
	}
}

Test(cli, help_and_version)
{
	struct run r = fsbridge("--help", NULL);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "fsbridge validate [--kind K] FILE.json...|-"));
	run_free(&r);
	r = fsbridge("--version", NULL);
	cr_expect_eq(r.status, 0);
	cr_expect_str_eq(r.out, "fsbridge " FSB_VERSION "\n");
	run_free(&r);
	r = fsbridge("validate --help", NULL);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "usage: fsbridge validate"));
	run_free(&r);
}
