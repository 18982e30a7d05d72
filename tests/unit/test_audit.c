/* test_audit.c - the audit engine in-process: what fsb_audit_run reports of
 * a log that holds, of part of one, and of a log with a forged entry. The
 * expected figures come from what each test itself wrote. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "helpers.h"
#include "seal.h"
#include "sign.h"
#include "store.h"
#include "submit.h"

#define N_MSGS 5

static char dir[64], data[128];
static char *cas[1] = {PKI "/ca.crt"}, *crls[1] = {PKI "/ca.crl"};

static const char *const examples[] = {
	"surveillance-vietgap-dragonfruit-longan.json",
	"quarantine-pig-certificate-issued-longan.json",
	"recall-ocop-sausage-class1-longan.json",
	"recall-rice-labelling-class3-longan.json",
	"followup-distribution-update-longan.json",
};

static struct fsb_store *open_store(const char *path, const char *origin)
{
	struct fsb_store_opts o = {.origin = origin};
	struct fsb_store *st;
	char err[256];
	cr_assert_eq(fsb_store_open(path, &o, &st, err, sizeof err), 0, "%s", err);
	return st;
}

/* Long An's log of N_MSGS messages, committed as `fsbridge submit` does. */
static void setup(void)
{
	th_tmpdir(dir);
	snprintf(data, sizeof data, "%s/longan", dir);
	struct fsb_store *st = open_store(data, "longan");
	struct fsb_signer *s;
	char err[256];
	cr_assert_eq(fsb_signer_open(PKI "/longan.key", PKI "/longan.crt", &s, err, sizeof err), 0,
		     "%s", err);
	struct fsb_message *msgs[N_MSGS];
	for (size_t i = 0; i < N_MSGS; i++)
		msgs[i] = th_load_example(examples[i]);
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_assert_eq(fsb_submit_commit(st, s, "longan", msgs, N_MSGS, NULL, &errs, err, sizeof err),
		     0, "%s", err);
	for (size_t i = 0; i < N_MSGS; i++)
		fsb_message_free(msgs[i]);
	fsb_signer_close(s);
	fsb_store_close(st);
}

static void teardown(void)
{
	th_rmtree(dir);
}

TestSuite(audit, .init = setup, .fini = teardown);

static int run(const char *path, struct fsb_audit_opts *o, struct fsb_audit_report *r,
	       char *err, size_t errlen)
{
	struct fsb_store_opts so = {.read_only = 1};
	struct fsb_store *st;
	cr_assert_eq(fsb_store_open(path, &so, &st, err, errlen), 0, "%s", err);
	int rc = fsb_audit_run(st, o, r, err, errlen);
	fsb_store_close(st);
	return rc;
}

Test(audit, a_whole_log_holds_and_is_counted)
{
	struct fsb_audit_opts o = {.ca_files = cas, .crl_files = crls, .n_anchors = 1};
	struct fsb_audit_report r;
	char err[600];
	cr_assert_eq(run(data, &o, &r, err, sizeof err), 0, "%s", err);
	cr_expect_eq(r.problems, 0, "%s", r.why);
	cr_expect_eq(r.entries, N_MSGS);
	cr_expect_eq(r.links, N_MSGS);
	cr_expect_eq(r.last_index, N_MSGS);
	cr_expect(r.signatures_checked);
	cr_expect_eq(r.signatures, 1, "the newest of the one stream");
	cr_assert_eq(r.n_streams, 1);
	cr_expect_str_eq(r.streams[0].origin, "longan");
	cr_expect_eq(r.streams[0].seq, N_MSGS);
	cr_expect_gt(r.bytes, 0);
	fsb_audit_report_clear(&r);
}

Test(audit, full_verifies_every_signature_on_workers)
{
	struct fsb_audit_opts o = {.ca_files = cas, .crl_files = crls, .n_anchors = 1, .full = 1,
				   .jobs = 3};
	struct fsb_audit_report r;
	char err[600];
	cr_assert_eq(run(data, &o, &r, err, sizeof err), 0, "%s", err);
	cr_expect_eq(r.problems, 0, "%s", r.why);
	cr_expect_eq(r.signatures, N_MSGS);
	cr_expect_eq(r.links, N_MSGS);
	fsb_audit_report_clear(&r);
}

Test(audit, without_anchors_signatures_are_not_checked)
{
	struct fsb_audit_opts o = {.full = 1};
	struct fsb_audit_report r;
	char err[600];
	cr_assert_eq(run(data, &o, &r, err, sizeof err), 0, "%s", err);
	cr_expect_eq(r.problems, 0, "%s", r.why);
	cr_expect_not(r.signatures_checked);
	cr_expect_eq(r.signatures, 0);
	cr_expect_eq(r.entries, N_MSGS);
	fsb_audit_report_clear(&r);
}

static void count_progress(void *ctx, uint64_t done, uint64_t total)
{
	uint64_t *seen = ctx;
	seen[0] = done;
	seen[1] = total;
}

Test(audit, from_walks_the_rest_and_says_how_far)
{
	uint64_t seen[2] = {0, 0};
	struct fsb_audit_opts o = {.from = 3, .progress = count_progress, .progress_ctx = seen};
	struct fsb_audit_report r;
	char err[600];
	cr_assert_eq(run(data, &o, &r, err, sizeof err), 0, "%s", err);
	cr_expect_eq(r.problems, 0, "%s", r.why);
	cr_expect_eq(r.entries, N_MSGS - 2);
	cr_expect_eq(seen[0], N_MSGS - 2);
	cr_expect_eq(seen[1], N_MSGS - 2);
	fsb_audit_report_clear(&r);
	o.from = N_MSGS + 1;
	cr_expect_eq(run(data, &o, &r, err, sizeof err), FSB_EINVAL);
	cr_expect(strstr(err, "past the last entry of the log (#5)"), "%s", err);
	fsb_audit_report_clear(&r);
}

/* Cần Thơ's log holding Long An's first message with a payload hash that
 * is not the payload's: the audit names the entry and why. */
Test(audit, a_forged_payload_hash_is_named)
{
	struct fsb_store *la = open_store(data, "longan");
	struct fsb_entry e;
	cr_assert_eq(fsb_store_get(la, 1, &e), 0);
	char ct[128];
	snprintf(ct, sizeof ct, "%s/cantho", dir);
	struct fsb_store *st = open_store(ct, "cantho");
	struct fsb_entry_in in = {.envelope = e.envelope, .envelope_len = e.envelope_len,
				  .origin = "longan", .seq = 1, .kind = e.kind, .category = e.category,
				  .issued_at_ms = e.issued_at_ms, .arrival_ms = e.arrival_ms,
				  .direction = FSB_DIR_RECEIVED, .status = FSB_STATUS_ACCEPTED};
	memcpy(in.payload_hash, e.payload_hash, FSB_HASH_LEN);
	in.payload_hash[0] ^= 0xff;
	enum fsb_append_result res;
	uint64_t index;
	cr_assert_eq(fsb_store_append(st, &in, 1, &res, &index), 0, "%s", fsb_store_error(st));
	cr_assert_eq(res, FSB_APPENDED);
	fsb_store_close(st);
	fsb_entry_clear(&e);
	fsb_store_close(la);

	struct fsb_audit_opts o = {0};
	struct fsb_audit_report r;
	char err[600];
	cr_assert_eq(run(ct, &o, &r, err, sizeof err), 0, "%s", err);
	/* The entry, and the stream head that recorded the same forged hash. */
	cr_expect_eq(r.problems, 2, "%s", r.why);
	cr_expect_eq(r.bad_index, 1);
	cr_expect(strstr(r.why, "(longan:1) payload hash differs from the one recorded at append"),
		  "%s", r.why);
	cr_expect_eq(r.links, 1, "the link itself holds: its prev_hash is zeros");
	fsb_audit_report_clear(&r);
}
