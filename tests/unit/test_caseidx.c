/* test_caseidx.c - how messages make up cases: the links read off the
 * bytes, the case index as entries arrive in any order, its rebuild and
 * its check against the log (a tampered index is named). */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bounds.h"
#include "query.h"
#include "case_rule.h"
#include "format.h"
#include "helpers.h"
#include "seal.h"
#include "store.h"

/* ---- links -------------------------------------------------------------------- */

Test(caseidx, links_read_off_the_bytes_agree_with_the_decoded_message)
{
	size_t n;
	char **names = th_examples(&n);
	cr_assert(n > 10);
	for (size_t i = 0; i < n; i++) {
		struct fsb_message *m = th_load_example(names[i]);
		uint8_t *buf;
		size_t len;
		cr_assert_eq(fsb_message_pack(m, &buf, &len), 0);
		struct fsb_links l;
		cr_assert_eq(fsb_payload_links(buf, len, &l), 0, "%s", names[i]);
		struct fsb_case_facts f;
		fsb_message_case_facts(m, &f);
		cr_expect_eq(l.kind, fsb_message_kind(m), "%s", names[i]);
		cr_expect_eq(l.type, f.type, "%s", names[i]);
		cr_expect_str_eq(l.ref_id, f.ref_id, "%s", names[i]);
		/* Alerting: recalls, non-compliant results, rejections and
		 * declared outbreaks, by the examples' own content. */
		int want = strncmp(names[i], "recall-", 7) == 0 ||
			   (f.verdict && strcmp(f.verdict, "VERDICT_NON_COMPLIANT") == 0) ||
			   (f.notice_type && (strcmp(f.notice_type, "NOTICE_TYPE_OUTBREAK_DECLARED") == 0 ||
					      strcmp(f.notice_type, "NOTICE_TYPE_CONSIGNMENT_REJECTED") == 0 ||
					      strcmp(f.notice_type, "NOTICE_TYPE_CERTIFICATE_REVOKED") == 0));
		cr_expect_eq(l.alerting, want, "%s", names[i]);
		free(buf);
		fsb_message_free(m);
	}
	th_free_list(names);
}

/* Tags at the edges of the encoding: the field reader frames them as
 * protobuf-c does, refusing what it refuses and reading what it decodes
 * (the fuzzer found a 5-byte tag whose number passes 2^29). */
Test(caseidx, the_field_reader_frames_tags_as_protobuf_c_does)
{
	static const struct {
		const char *what;
		uint8_t bytes[8];
		size_t len;
	} tags[] = {
		{"tag 0x00", {0x00, 0x01}, 2},
		{"a field numbered 0 in two bytes", {0x80, 0x00, 0x01}, 3},
		{"a 6-byte tag", {0x98, 0x97, 0x97, 0x97, 0x97, 0x01, 0x01}, 7},
		{"a 5-byte tag, number past 2^29", {0x98, 0x97, 0x97, 0x9e, 0x68, 0x01}, 6},
		{"a group", {0x0b}, 1},
	};
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		struct fsb_message *m = NULL;
		int decoded = fsb_message_unpack(tags[i].bytes, tags[i].len, 1 << 20, &m, NULL) == 0;
		struct fsb_links l;
		int read = fsb_payload_links(tags[i].bytes, tags[i].len, &l) == 0;
		cr_expect_eq(read, decoded, "%s: protobuf-c %s it, the field reader %s", tags[i].what,
			     decoded ? "decodes" : "refuses", read ? "reads" : "refuses");
		fsb_message_free(m);
	}
}

Test(caseidx, links_follow_the_last_body_as_the_decoder_does)
{
	/* A follow-up body, then a recall body: protobuf keeps the last
	 * member of the oneof, so this is a recall with no reference. */
	struct fsb_message *fu = th_load_example("followup-acknowledgement-cantho.json");
	struct fsb_message *rc = th_load_example("recall-rice-labelling-class3-longan.json");
	uint8_t *a, *b;
	size_t alen, blen;
	cr_assert_eq(fsb_message_pack(fu, &a, &alen), 0);
	cr_assert_eq(fsb_message_pack(rc, &b, &blen), 0);
	uint8_t *both = malloc(alen + blen);
	memcpy(both, a, alen);
	memcpy(both + alen, b, blen);
	struct fsb_links l;
	cr_assert_eq(fsb_payload_links(both, alen + blen, &l), 0);
	struct fsb_message *dec;
	cr_assert_eq(fsb_message_unpack(both, alen + blen, 1 << 20, &dec, NULL), 0);
	cr_expect_eq(l.kind, fsb_message_kind(dec));
	cr_expect_eq(l.kind, FSB_KIND_RECALL);
	cr_expect_str_eq(l.ref_id, "");
	/* And the other way round: a follow-up that came last. */
	memcpy(both, b, blen);
	memcpy(both + blen, a, alen);
	cr_assert_eq(fsb_payload_links(both, alen + blen, &l), 0);
	cr_expect_eq(l.kind, FSB_KIND_FOLLOWUP);
	cr_expect_eq(l.type, FSB_FU_ACKNOWLEDGEMENT);
	cr_expect_str_eq(l.ref_id, "longan:3");
	cr_expect_eq(fsb_payload_links(both, alen + blen - 1, &l), FSB_EDECODE, "cut short");
	fsb_message_free(dec);
	fsb_message_free(fu);
	fsb_message_free(rc);
	free(a);
	free(b);
	free(both);
}

Test(caseidx, rules_of_open_closed_and_withdrawn)
{
	cr_expect(fsb_case_is_open(0), "waiting for its root");
	cr_expect(!fsb_case_is_open(FSB_CASE_HELD), "a compliant result: for information");
	cr_expect(fsb_case_is_open(FSB_CASE_HELD | FSB_CASE_ALERT));
	cr_expect(fsb_case_is_open(FSB_CASE_HELD | FSB_CASE_REQUEST), "someone asked");
	cr_expect(!fsb_case_is_open(FSB_CASE_HELD | FSB_CASE_ALERT | FSB_CASE_CLOSED));
	cr_expect(!fsb_case_is_open(FSB_CASE_HELD | FSB_CASE_ALERT | FSB_CASE_WITHDRAWN));
	cr_expect_eq(fsb_case_member_flags("longan:3", "longan", FSB_FU_CLOSURE, "longan:5"),
		     FSB_CASE_CLOSED);
	cr_expect_eq(fsb_case_member_flags("longan:3", "cantho", FSB_FU_CLOSURE, "longan:3"), 0,
		     "only the origin closes");
	cr_expect_eq(fsb_case_member_flags("longan:3", "longan", FSB_FU_WITHDRAWAL, "longan:5"), 0,
		     "withdrawing a follow-up leaves the case");
	cr_expect_eq(fsb_case_member_flags("longan:3", "longan", FSB_FU_WITHDRAWAL, "longan:3"),
		     FSB_CASE_WITHDRAWN);
	cr_expect_eq(fsb_case_member_flags("longan:3", "angiang", FSB_FU_REQUEST, "cantho:1"),
		     FSB_CASE_REQUEST);
	cr_expect(!fsb_case_same_origin("longan:3", "long"));
}

/* ---- the index ------------------------------------------------------------------ */

static char dir[64];

static void setup(void)
{
	th_tmpdir(dir);
}

static void teardown(void)
{
	th_rmtree(dir);
}

/* A sealed message of origin's stream, as the store appends it received. */
struct sealed {
	uint8_t *env;
	size_t len;
	struct fsb_entry_in in;
	char category[FSB_CATEGORY_MAX + 1];
};

static void seal(struct sealed *s, const char *origin, uint64_t seq, const uint8_t prev[32],
		 const char *example, const char *from, const char *to)
{
	char path[200];
	snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, example);
	char *text = th_read(path, NULL);
	if (from) { /* the reference this test needs */
		char *at = strstr(text, from);
		cr_assert(at);
		cr_assert_eq(strlen(from), strlen(to));
		memcpy(at, to, strlen(to));
	}
	struct fsb_message *m;
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	cr_assert_eq(fsb_message_from_json(text, strlen(text), FSB_KIND_NONE, &m, &errs), 0);
	free(text);
	char key[200], cert[200];
	snprintf(key, sizeof key, "%s/%s.key", PKI, origin);
	snprintf(cert, sizeof cert, "%s/%s.crt", PKI, origin);
	struct fsb_signer *signer;
	char err[256];
	cr_assert_eq(fsb_signer_open(key, cert, &signer, err, sizeof err), 0, "%s", err);
	char when[FSB_TIME_MAX + 1];
	int64_t now = fsb_fmt_now_ms();
	fsb_fmt_time(now, when);
	struct fsb_stamp st = {.origin = origin, .seq = seq, .issued_at = when};
	memcpy(st.prev_hash, prev, 32);
	memset(s, 0, sizeof *s);
	cr_assert_eq(fsb_seal_message(signer, m, &st, &s->env, &s->len, s->in.payload_hash, &errs),
		     0, "%s: %s", example, errs.n ? errs.items[0].msg : "");
	size_t cert_len;
	const uint8_t *c = fsb_signer_cert(signer, &cert_len);
	s->in.cert = malloc(cert_len);
	memcpy((uint8_t *)s->in.cert, c, cert_len);
	s->in.cert_len = cert_len;
	s->in.envelope = s->env;
	s->in.envelope_len = s->len;
	s->in.origin = origin;
	s->in.seq = seq;
	memcpy(s->in.prev_hash, prev, 32);
	s->in.kind = fsb_message_kind(m);
	s->in.category = fsb_message_category(m, s->category);
	s->in.issued_at_ms = now;
	s->in.arrival_ms = now;
	s->in.direction = FSB_DIR_RECEIVED;
	s->in.status = FSB_STATUS_ACCEPTED;
	fsb_message_free(m);
	fsb_signer_close(signer);
}

static void sealed_free(struct sealed *s)
{
	free(s->env);
	free((void *)s->in.cert);
}

static struct fsb_store *open_store(const char *origin)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, origin);
	struct fsb_store_opts o = {.origin = origin};
	struct fsb_store *st;
	char err[256];
	cr_assert_eq(fsb_store_open(path, &o, &st, err, sizeof err), 0, "%s", err);
	return st;
}

static void append(struct fsb_store *st, struct sealed *s)
{
	enum fsb_append_result r;
	uint64_t index;
	cr_assert_eq(fsb_store_append(st, &s->in, 1, &r, &index), 0);
	cr_assert_eq(r, FSB_APPENDED);
}

/* The case a message is in, and its flags. */
static struct fsb_case_row case_of(struct fsb_store *st, const char *id)
{
	struct fsb_view *v;
	cr_assert_eq(fsb_store_view_open(st, &v), 0);
	struct fsb_case_row row;
	cr_assert_eq(fsb_view_case(v, id, &row), 0, "no case for %s", id);
	fsb_store_view_close(v);
	return row;
}

static void expect_indexes_hold(struct fsb_store *st, const char *when)
{
	uint64_t bad;
	char why[400];
	int rc = fsb_store_index_check(st, &bad, why, sizeof why);
	cr_expect_eq(rc, 0, "%s: %s", when, why);
}

static const uint8_t zeros[32];

/* An Giang's store gets, in this order: An Giang's own message referring
 * to Cần Thơ's, Cần Thơ's referring to Long An's recall, and the recall. */
static struct fsb_store *chain_out_of_order(struct sealed s[3])
{
	seal(&s[0], "longan", 1, zeros, "recall-ocop-sausage-class1-longan.json", NULL, NULL);
	seal(&s[1], "cantho", 1, zeros, "followup-request-for-information-cantho.json", "longan:3",
	     "longan:1");
	seal(&s[2], "angiang", 1, zeros, "followup-acknowledgement-cantho.json", "longan:3",
	     "cantho:1");
	struct fsb_store *st = open_store("angiang");
	append(st, &s[2]);
	struct fsb_case_row r = case_of(st, "angiang:1");
	cr_expect_str_eq(r.id, "cantho:1", "waits in the case of the message it references");
	cr_expect_eq(r.flags & FSB_CASE_HELD, 0);
	expect_indexes_hold(st, "one waiting");
	append(st, &s[1]);
	r = case_of(st, "angiang:1");
	cr_expect_str_eq(r.id, "longan:1", "moved along when its reference came");
	cr_expect_eq(r.flags, FSB_CASE_REQUEST, "a request, root not held");
	expect_indexes_hold(st, "two waiting");
	append(st, &s[0]);
	r = case_of(st, "angiang:1");
	cr_expect_str_eq(r.id, "longan:1");
	cr_expect_eq(r.flags, FSB_CASE_HELD | FSB_CASE_ALERT | FSB_CASE_REQUEST);
	cr_expect_eq(r.root_index, 3);
	expect_indexes_hold(st, "whole");
	return st;
}

Test(caseidx, members_that_wait_for_their_root_join_it_when_it_comes, .init = setup,
     .fini = teardown)
{
	struct sealed s[3];
	struct fsb_store *st = chain_out_of_order(s);
	struct fsb_view *v;
	cr_assert_eq(fsb_store_view_open(st, &v), 0);
	uint64_t *idx;
	size_t n, total;
	cr_assert_eq(fsb_view_case_members(v, "longan:1", 100, &idx, &n, &total), 0);
	cr_expect_eq(n, 3);
	cr_expect_eq(total, 3);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(idx[i], i + 1, "in log order");
	free(idx);
	struct fsb_case_row row;
	cr_assert_eq(fsb_view_case(v, "cantho:1", &row), 0);
	cr_expect_str_eq(row.id, "longan:1", "any member names its case");
	cr_expect_eq(fsb_view_case(v, "longan:2", &row), FSB_ENOTFOUND);
	fsb_store_view_close(v);
	fsb_store_close(st);
	for (int i = 0; i < 3; i++)
		sealed_free(&s[i]);
}

/* Every record of the derived tables, in key order, as one text. */
static char *dump_indexes(const char *origin)
{
	static const char *const tables[] = {"by_seq", "by_id", "by_kind", "by_time", "heads",
					     "by_ref", "case_of", "by_case", "cases", "case_open", "trace"};
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, origin);
	MDB_env *env;
	MDB_txn *txn;
	cr_assert_eq(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 64);
	cr_assert_eq(mdb_env_open(env, path, MDB_RDONLY, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
		MDB_dbi dbi;
		MDB_cursor *c;
		MDB_val k, v;
		cr_assert_eq(mdb_dbi_open(txn, tables[t], 0, &dbi), 0, "%s", tables[t]);
		cr_assert_eq(mdb_cursor_open(txn, dbi, &c), 0);
		for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			while (len + 2 * (k.mv_size + v.mv_size) + 64 > cap)
				out = realloc(out, cap *= 2);
			len += (size_t)sprintf(out + len, "%s ", tables[t]);
			for (size_t i = 0; i < k.mv_size; i++)
				len += (size_t)sprintf(out + len, "%02x", ((uint8_t *)k.mv_data)[i]);
			out[len++] = ' ';
			for (size_t i = 0; i < v.mv_size; i++)
				len += (size_t)sprintf(out + len, "%02x", ((uint8_t *)v.mv_data)[i]);
			out[len++] = '\n';
		}
		mdb_cursor_close(c);
	}
	out[len] = '\0';
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return out;
}

Test(caseidx, rebuilt_indexes_equal_the_live_ones, .init = setup, .fini = teardown)
{
	struct sealed s[3];
	fsb_store_close(chain_out_of_order(s)); /* appended live, out of order */
	for (int i = 0; i < 3; i++)
		sealed_free(&s[i]);
	char *live = dump_indexes("angiang");
	cr_assert(strstr(live, "by_case "), "the case tables are filled");
	struct fsb_store *st = open_store("angiang");
	cr_assert_eq(fsb_store_index_rebuild(st, NULL, NULL), 0);
	fsb_store_close(st);
	char *rebuilt = dump_indexes("angiang");
	cr_expect_str_eq(rebuilt, live);
	free(live);
	free(rebuilt);
}

/* Opens the store's LMDB environment directly, as someone with the disk
 * would, and runs fn on one table in a write transaction. */
static void tamper(const char *origin, const char *table, void (*fn)(MDB_txn *, MDB_dbi))
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, origin);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	cr_assert_eq(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 64);
	cr_assert_eq(mdb_env_open(env, path, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, table, 0, &dbi), 0, "no table %s", table);
	fn(txn, dbi);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void reopen_case_as_closed(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_val k = {8, "longan:1"}, v;
	cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
	uint8_t rec[9];
	memcpy(rec, v.mv_data, 9);
	rec[0] |= FSB_CASE_CLOSED;
	MDB_val nv = {9, rec};
	cr_assert_eq(mdb_put(txn, dbi, &k, &nv, 0), 0);
}

static void drop_first(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_cursor *c;
	MDB_val k, v;
	cr_assert_eq(mdb_cursor_open(txn, dbi, &c), 0);
	cr_assert_eq(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
	cr_assert_eq(mdb_cursor_del(c, 0), 0);
	mdb_cursor_close(c);
}

static void move_to_another_case(MDB_txn *txn, MDB_dbi dbi)
{
	uint8_t ik[8] = {0, 0, 0, 0, 0, 0, 0, 1};
	MDB_val k = {8, ik}, v = {8, "cantho:7"};
	cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
}

static void expect_found(const char *what, const char *table, void (*fn)(MDB_txn *, MDB_dbi),
			 const char *says)
{
	struct sealed s[3];
	fsb_store_close(chain_out_of_order(s));
	for (int i = 0; i < 3; i++)
		sealed_free(&s[i]);
	tamper("angiang", table, fn);
	char path[128];
	snprintf(path, sizeof path, "%s/angiang", dir);
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *st;
	char err[256];
	cr_assert_eq(fsb_store_open(path, &o, &st, err, sizeof err), 0, "%s", err);
	/* audit verify (the engine) finds it, and names it. */
	struct fsb_audit_opts ao = {.jobs = 1};
	struct fsb_audit_report r;
	cr_assert_eq(fsb_audit_run(st, &ao, &r, err, sizeof err), 0, "%s", err);
	cr_expect_gt(r.problems, 0, "%s: not found", what);
	cr_expect(strstr(r.why, says), "%s: %s", what, r.why);
	fsb_audit_report_clear(&r);
	fsb_store_close(st);
	/* Rebuilt from the log, the indexes hold again. */
	st = open_store("angiang");
	uint64_t entries;
	cr_assert_eq(fsb_store_index_rebuild(st, NULL, &entries), 0);
	cr_expect_eq(entries, 3);
	expect_indexes_hold(st, "rebuilt");
	cr_expect_eq(case_of(st, "angiang:1").flags, FSB_CASE_HELD | FSB_CASE_ALERT | FSB_CASE_REQUEST);
	fsb_store_close(st);
}

Test(caseidx, a_case_state_changed_on_disk_is_found, .init = setup, .fini = teardown)
{
	expect_found("closed by hand", "cases", reopen_case_as_closed,
		     "index cases: case longan:1 is missing or its state is wrong");
}

Test(caseidx, a_missing_reference_record_is_found, .init = setup, .fini = teardown)
{
	expect_found("by_ref record removed", "by_ref", drop_first, "index by_ref: entry 1 (angiang:1)");
}

Test(caseidx, an_entry_moved_to_another_case_is_found, .init = setup, .fini = teardown)
{
	expect_found("case_of changed", "case_of", move_to_another_case,
		     "index case_of: entry 1 (angiang:1) is in case cantho:7, the log puts it in longan:1");
}

Test(caseidx, an_open_case_unlisted_is_found, .init = setup, .fini = teardown)
{
	expect_found("case_open record removed", "case_open", drop_first,
		     "index case_open: case longan:1 is not listed as open");
}

Test(caseidx, a_missing_trace_record_is_found, .init = setup, .fini = teardown)
{
	/* The first record of the trace index is the recall's product (g
	 * sorts first), entry 3 of the store. */
	expect_found("trace record removed", "trace", drop_first,
		     "index trace: entry 3 (longan:1) is not filed under g:08936045123454");
}

/* A case flooded with follow-ups, its root arriving last: the view reads
 * FSB_CASE_MEMBERS_MAX of them, the root among them, and counts them all. */
Test(caseidx, a_flooded_case_is_read_in_part_with_its_root, .init = setup, .fini = teardown)
{
	enum { FLOOD = FSB_CASE_MEMBERS_MAX + 100 };
	char path[200];
	snprintf(path, sizeof path, "%s/followup-acknowledgement-cantho.json", EXAMPLES_DIR);
	char *text = th_read(path, NULL);
	char *at = strstr(text, "longan:3");
	at[7] = '1';
	struct fsb_message **msgs = calloc(FLOOD, sizeof *msgs);
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	for (int i = 0; i < FLOOD; i++)
		cr_assert_eq(fsb_message_from_json(text, strlen(text), FSB_KIND_NONE, &msgs[i], &errs), 0);
	free(text);
	struct fsb_signer *signer;
	char err[256];
	cr_assert_eq(fsb_signer_open(PKI "/cantho.key", PKI "/cantho.crt", &signer, err, sizeof err), 0);
	char when[FSB_TIME_MAX + 1];
	int64_t now = fsb_fmt_now_ms();
	fsb_fmt_time(now, when);
	struct fsb_stamp first = {.origin = "cantho", .seq = 1, .issued_at = when};
	struct fsb_sealed *out = calloc(FLOOD, sizeof *out);
	cr_assert_eq(fsb_seal_run(signer, msgs, FLOOD, &first, out, NULL, &errs), 0);
	struct fsb_entry_in *in = calloc(FLOOD, sizeof *in);
	size_t cert_len;
	const uint8_t *cert = fsb_signer_cert(signer, &cert_len);
	for (int i = 0; i < FLOOD; i++) {
		in[i] = (struct fsb_entry_in){.envelope = out[i].env, .envelope_len = out[i].env_len,
					      .origin = "cantho", .seq = (uint64_t)i + 1,
					      .kind = FSB_KIND_FOLLOWUP, .category = "processed",
					      .issued_at_ms = now, .arrival_ms = now,
					      .direction = FSB_DIR_RECEIVED,
					      .status = FSB_STATUS_ACCEPTED, .cert = cert,
					      .cert_len = cert_len};
		memcpy(in[i].payload_hash, out[i].payload_hash, 32);
		if (i)
			memcpy(in[i].prev_hash, out[i - 1].payload_hash, 32);
	}
	struct fsb_store *st = open_store("angiang");
	enum fsb_append_result *res = calloc(FLOOD, sizeof *res);
	uint64_t *idx = calloc(FLOOD, sizeof *idx);
	cr_assert_eq(fsb_store_append(st, in, FLOOD, res, idx), 0);
	struct sealed root;
	seal(&root, "longan", 1, zeros, "recall-ocop-sausage-class1-longan.json", NULL, NULL);
	append(st, &root);
	expect_indexes_hold(st, "flooded");
	struct fsb_view *v;
	struct fsb_query *q;
	cr_assert_eq(fsb_store_view_open(st, &v), 0);
	cr_assert_eq(fsb_query_open(v, &q), 0);
	struct fsb_case c;
	struct fsb_case_opts o = {.now_ms = now, .ack_alert_ms = 1000, .ack_other_ms = 1000, .timeline = 1};
	cr_assert_eq(fsb_query_case(q, "cantho:5", &o, &c), 0);
	cr_expect_str_eq(c.id, "longan:1");
	cr_expect_eq(c.messages, FLOOD + 1);
	cr_expect_eq(c.n_events, FSB_CASE_MEMBERS_MAX);
	cr_expect(c.root_held && c.kind == FSB_KIND_RECALL, "the root is read");
	cr_expect_str_eq(c.recall_class, "RECALL_CLASS_I");
	fsb_case_clear(&c);
	fsb_query_close(q);
	fsb_store_view_close(v);
	fsb_store_close(st);
	sealed_free(&root);
	fsb_seal_clear(out, FLOOD);
	for (int i = 0; i < FLOOD; i++)
		fsb_message_free(msgs[i]);
	free(msgs);
	free(out);
	free(in);
	free(res);
	free(idx);
	fsb_signer_close(signer);
}
