/* test_log.c - the audit log from the command line: submit, replay, audit
 * verify and status, run as an agency and an auditor would, on real LMDB
 * files in temporary directories. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <jansson.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "seal.h"
#include "store.h"

#define R3 EXAMPLES_DIR "/recall-rice-labelling-class3-longan.json"
#define SV EXAMPLES_DIR "/surveillance-vietgap-dragonfruit-longan.json"

static char dir[64], conf[160];

static void setup(void)
{
	th_tmpdir(dir);
	th_node_conf(dir, "longan", conf);
}

static void teardown(void)
{
	th_rmtree(dir);
}

TestSuite(log, .init = setup, .fini = teardown);

/* n JSON lines of the R3 example, header.reference "T-0001"…, written to
 * DIR/name; line `bad` (1-based, 0 = none) loses its required reason. */
static void write_jsonl(const char *name, int n, int first, int bad)
{
	json_t *doc = json_load_file(R3, 0, NULL);
	cr_assert_not_null(doc);
	char path[200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < n; i++) {
		json_t *d = json_deep_copy(doc);
		char ref[32];
		snprintf(ref, sizeof ref, "T-%04d", first + i);
		json_object_set_new(json_object_get(d, "header"), "reference", json_string(ref));
		if (i + 1 == bad)
			json_object_del(json_object_get(d, "recall"), "reason");
		char *line = json_dumps(d, JSON_COMPACT);
		fprintf(f, "%s\n", line);
		free(line);
		json_decref(d);
	}
	fclose(f);
	json_decref(doc);
}

static size_t lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(log, submit_prints_ids_and_commits)
{
	char *out, *err;
	cr_assert_eq(th_fsbridge(&out, &err, "submit -c %s %s %s", conf, SV, R3), 0, "%s", err);
	cr_expect_str_eq(out, "longan:1\nlongan:2\n");
	free(out);
	free(err);
	write_jsonl("batch.jsonl", 5, 1, 0);
	cr_assert_eq(th_fsbridge(&out, &err, "submit -c %s --jsonl - <%s/batch.jsonl", conf, dir), 0, "%s", err);
	cr_expect_str_eq(out, "longan:3\nlongan:4\nlongan:5\nlongan:6\nlongan:7\n");
	free(out);
	free(err);
	cr_assert_eq(th_fsbridge(&out, &err, "status -c %s", conf), 0, "%s", err);
	cr_expect(strstr(out, "log         7 entries"), "%s", out);
	cr_expect(strstr(out, "            longan                                    7"), "%s", out);
	cr_expect(strstr(out, "outbox      7 messages not yet acknowledged by every peer (oldest longan:1)"), "%s", out);
	free(out);
	free(err);
}

Test(log, invalid_batch_writes_nothing)
{
	write_jsonl("batch.jsonl", 4, 1, 3);
	char *out, *err;
	cr_expect_eq(th_fsbridge(&out, &err, "submit -c %s --jsonl %s/batch.jsonl", conf, dir), 1);
	char want[300];
	snprintf(want, sizeof want, "%s/batch.jsonl:3: recall.reason: required\n"
				    "fsbridge submit: invalid input; nothing was submitted\n", dir);
	cr_expect_str_eq(err, want);
	cr_expect_str_empty(out);
	free(out);
	free(err);
	/* No log was written; not even the data directory exists. */
	cr_expect_neq(th_sh("test -e %s/longan", dir), 0);
	/* Every bad item is listed, with its number (line) and field path. */
	write_jsonl("two.jsonl", 2, 1, 0);
	cr_assert_eq(th_sh("printf '{\"recall\": {\"recallClass\": \"RECALL_CLASS_IV\"}}\\nnot json\\n' >>%s/two.jsonl", dir), 0);
	cr_expect_eq(th_fsbridge(NULL, &err, "submit -c %s --jsonl %s/two.jsonl", conf, dir), 1);
	cr_expect(strstr(err, "two.jsonl:3: recall.recallClass: unknown value \"RECALL_CLASS_IV\""), "%s", err);
	cr_expect(strstr(err, "two.jsonl:4: line 1 column 3: "), "%s", err);
	free(err);
}

Test(log, submit_refuses_what_the_node_sets)
{
	char *err;
	cr_assert_eq(th_sh("sed 's/\"header\": {/\"header\": {\"origin\": \"cantho\", \"seq\": \"9\",/' %s >%s/x.json", R3, dir), 0);
	cr_expect_eq(th_fsbridge(NULL, &err, "submit -c %s %s/x.json", conf, dir), 1);
	cr_expect(strstr(err, "x.json: header.origin: is \"cantho\", but this node is \"longan\""), "%s", err);
	cr_expect(strstr(err, "x.json: header: seq, prevHash, messageId and issuedAt are set by the node"), "%s", err);
	free(err);
	cr_expect_eq(th_fsbridge(NULL, &err, "submit -c %s", conf), 2);
	free(err);
	cr_expect_eq(th_fsbridge(NULL, &err, "submit %s", R3), 2);
	free(err);
}

Test(log, concurrent_submit_processes)
{
	/* Four submit processes at once, 25 submissions each. */
	cr_assert_eq(th_sh("cd %s && for p in 1 2 3 4; do "
			   "(for i in $(seq 25); do %s submit -c %s %s >>ids.$p || exit 1; done) & "
			   "done; wait", dir, FSB_BIN, conf, R3), 0);
	cr_assert_eq(th_sh("cd %s && cat ids.* | sort -t: -k2 -n | awk -F: '$2 != NR {exit 1}' && "
			   "test $(cat ids.* | wc -l) = 100", dir), 0, "ids are not 1..100 once each");
	char *out;
	cr_expect_eq(th_fsbridge(&out, NULL, "audit verify -c %s --full", conf), 0, "%s", out);
	cr_expect(strstr(out, "links       100 prev_hash links"), "%s", out);
	cr_expect(strstr(out, "signatures  100 verified (every entry)"), "%s", out);
	free(out);
}

static void submit_mix(void)
{
	char *err;
	write_jsonl("batch.jsonl", 3, 1, 0);
	cr_assert_eq(th_fsbridge(NULL, &err, "submit -c %s %s %s/batch.jsonl --jsonl", conf, SV, dir), 1);
	free(err);
	/* --jsonl applies to every input: submit the example apart */
	cr_assert_eq(th_fsbridge(NULL, &err, "submit -c %s %s", conf, SV), 0, "%s", err);
	free(err);
	cr_assert_eq(th_fsbridge(NULL, &err, "submit -c %s --jsonl %s/batch.jsonl", conf, dir), 0, "%s", err);
	free(err);
}

Test(log, replay_formats_and_filters)
{
	submit_mix(); /* longan:1 surveillance/crop, longan:2..4 recall/crop (T-0001..3) */
	char *out, *err;
	cr_assert_eq(th_fsbridge(&out, &err, "replay -c %s", conf), 0, "%s", err);
	cr_expect(strstr(out, "── #1  longan:1  surveillance/crop  sent  accepted"), "%s", out);
	cr_expect(strstr(out, "name: Thanh long ruột đỏ"), "Vietnamese text intact");
	cr_expect(strstr(out, "── #4  longan:4  recall/crop"));
	cr_expect_str_eq(err, "4 of 4 entries shown\n");
	free(out);
	free(err);

	cr_assert_eq(th_fsbridge(&out, NULL, "replay -c %s --json --kind recall", conf), 0);
	cr_expect_eq(lines(out), 3);
	char *save = NULL;
	int n = 0;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		cr_assert_not_null(j, "not JSON: %s", je.text);
		cr_expect_eq(json_integer_value(json_object_get(j, "index")), n + 2);
		cr_expect_str_eq(json_string_value(json_object_get(j, "direction")), "sent");
		cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "signer"), "name")), "longan");
		cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "header"), "messageId")),
				 n == 0 ? "longan:2" : n == 1 ? "longan:3" : "longan:4");
		cr_expect_not_null(json_object_get(j, "recall"));
		json_decref(j);
	}
	free(out);

	cr_assert_eq(th_fsbridge(&out, NULL, "replay --data %s/longan --csv --kind surveillance", dir), 0);
	cr_expect_eq(lines(out), 2);
	cr_expect(strncmp(out, "index,arrived_at,direction,status,origin,seq,message_id,kind,category,issued_at,signer,issuer,reference\n1,", 105) == 0, "%s", out);
	cr_expect(strstr(out, ",longan,1,longan:1,surveillance,crop,"), "%s", out);
	cr_expect(strstr(out, ",Chi cục Trồng trọt và Bảo vệ thực vật Long An,64/KQ-CCTTBVTV\n"), "%s", out);
	free(out);

	cr_assert_eq(th_fsbridge(&out, NULL, "replay -c %s --json --id longan:3", conf), 0);
	cr_expect_eq(lines(out), 1);
	cr_expect(strstr(out, "\"reference\":\"T-0002\""), "%s", out);
	free(out);
	cr_assert_eq(th_fsbridge(&out, NULL, "replay -c %s --json --id longan:99", conf), 0);
	cr_expect_str_empty(out);
	free(out);
	cr_assert_eq(th_fsbridge(&out, NULL, "replay -c %s --csv --origin cantho", conf), 0);
	cr_expect_eq(lines(out), 1); /* the header line only */
	free(out);
	cr_assert_eq(th_fsbridge(&out, NULL, "replay -c %s --csv --category crop --since 2020-01-01 --until 2999-01-01T00:00:00Z", conf), 0);
	cr_expect_eq(lines(out), 5);
	free(out);
	cr_assert_eq(th_fsbridge(&out, NULL, "replay -c %s --csv --until 2020-01-01", conf), 0);
	cr_expect_eq(lines(out), 1);
	free(out);
	cr_expect_eq(th_fsbridge(NULL, &err, "replay -c %s --since yesterday", conf), 2);
	cr_expect(strstr(err, "--since \"yesterday\" is not an RFC 3339 time or a date"), "%s", err);
	free(err);
}

/* Reads the varint-delimited stream of --raw and compares each envelope
 * with the store's bytes. */
Test(log, replay_raw_is_byte_exact)
{
	submit_mix();
	cr_assert_eq(th_sh("%s replay -c %s --raw >%s/raw.bin", FSB_BIN, conf, dir), 0);
	char path[200], data[200];
	snprintf(path, sizeof path, "%s/raw.bin", dir);
	snprintf(data, sizeof data, "%s/longan", dir);
	size_t len;
	uint8_t *raw = (uint8_t *)th_read(path, &len);
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *st;
	char err[256];
	cr_assert_eq(fsb_store_open(data, &o, &st, err, sizeof err), 0, "%s", err);
	size_t off = 0;
	uint64_t index = 1;
	while (off < len) {
		uint64_t n = 0;
		for (int shift = 0;; shift += 7) {
			uint8_t b = raw[off++];
			n |= (uint64_t)(b & 0x7F) << shift;
			if (!(b & 0x80))
				break;
		}
		struct fsb_entry e;
		cr_assert_eq(fsb_store_get(st, index++, &e), 0);
		cr_assert_eq(n, e.envelope_len);
		cr_expect_arr_eq(raw + off, e.envelope, n);
		off += n;
		fsb_entry_clear(&e);
	}
	cr_expect_eq(index, 5);
	fsb_store_close(st);
	free(raw);
	/* protoc reads an envelope as written by --raw --id (minus its length). */
	cr_assert_eq(th_sh("%s replay -c %s --raw --id longan:2 | tail -c +3 | protoc --decode foodsafety.v1.SignedEnvelope "
			   "-I%s/schemas %s/schemas/foodsafety/v1/envelope.proto | grep -q '^payload: '",
			   FSB_BIN, conf, FSB_TOP_DIR, FSB_TOP_DIR), 0);
}

Test(log, auditor_works_on_a_copy_offline)
{
	submit_mix();
	cr_assert_eq(th_sh("cp -r %s/longan %s/copy && cp %s/ca.crt %s/ca.crl %s/", dir, dir, PKI, PKI, dir), 0);
	char *out, *err;
	cr_assert_eq(th_fsbridge(&out, &err, "audit verify --data %s/copy", dir), 0, "%s", err);
	cr_expect(strstr(out, "audit verify: OK\n  entries     4 ("), "%s", out);
	cr_expect(strstr(out, "MB of envelopes), local chain intact to #4"), "%s", out);
	cr_expect(strstr(out, "streams     1: longan 4"), "%s", out);
	cr_expect(strstr(out, "signatures  not checked: give -c FILE, or --ca and --crl"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(th_fsbridge(&out, &err, "audit verify --data %s/copy --ca %s/ca.crt --crl %s/ca.crl", dir, dir, dir), 0, "%s", err);
	cr_expect(strstr(out, "signatures  1 verified (newest of each stream"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(th_fsbridge(&out, &err, "audit verify --data %s/copy --ca %s/ca.crt --crl %s/ca.crl --full --jobs 2", dir, dir, dir), 0, "%s", err);
	cr_expect(strstr(out, "signatures  4 verified (every entry)"), "%s", out);
	free(out);
	free(err);
	/* Signatures checked against another CA fail, naming the first entry. */
	cr_expect_eq(th_fsbridge(NULL, &err, "audit verify --data %s/copy --ca %s/ca.crt --crl none --full", dir, PKI_OTHER), 1);
	cr_expect(strstr(err, "audit verify: FAILED at entry 1: signature check failed: signer certificate \"longan\" does not chain to a trusted CA"), "%s", err);
	free(err);
	cr_assert_eq(th_fsbridge(&out, NULL, "status --data %s/copy", dir), 0);
	cr_expect(strstr(out, "node        longan\n"), "%s", out);
	free(out);
	cr_expect_eq(th_fsbridge(NULL, NULL, "audit verify --data %s/copy --ca %s/ca.crt", dir, dir), 2);
	cr_expect_eq(th_fsbridge(NULL, NULL, "audit check --data %s/copy", dir), 2);
}

/* Changes one byte of entry `index`'s stored envelope through LMDB. */
static void tamper_lmdb(uint64_t index, size_t at)
{
	char data[200];
	snprintf(data, sizeof data, "%s/longan", dir);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 32);
	cr_assert_eq(mdb_env_open(env, data, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, "log", 0, &dbi), 0);
	uint8_t k[8];
	for (int i = 0; i < 8; i++)
		k[i] = (uint8_t)(index >> (56 - 8 * i));
	MDB_val key = {8, k}, val;
	cr_assert_eq(mdb_get(txn, dbi, &key, &val), 0);
	uint8_t *copy = malloc(val.mv_size);
	memcpy(copy, val.mv_data, val.mv_size);
	copy[val.mv_size - at] ^= 0x20; /* inside the envelope, counted from its end */
	MDB_val nv = {val.mv_size, copy};
	cr_assert_eq(mdb_put(txn, dbi, &key, &nv, 0), 0);
	cr_assert_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(copy);
}

Test(log, audit_finds_a_byte_changed_through_lmdb)
{
	submit_mix();
	char *out, *err;
	cr_assert_eq(th_fsbridge(&out, &err, "audit verify -c %s", conf), 0, "%s", err);
	free(out);
	free(err);
	tamper_lmdb(3, 200);
	cr_expect_eq(th_fsbridge(&out, &err, "audit verify -c %s", conf), 1);
	cr_expect(strstr(err, "audit verify: FAILED at entry 3: local chain broken: the entry hash does not match its content"), "%s", err);
	cr_expect_str_empty(out);
	free(out);
	free(err);
}

/* --from picks up where an earlier audit ended: the chain continues from
 * the entry before, each stream's first link reaches the payload hash held
 * before the range, and what lies before the range is not re-read. */
Test(log, audit_from_an_index)
{
	submit_mix();
	char *out, *err;
	cr_assert_eq(th_fsbridge(&out, &err, "audit verify -c %s --from 3 --full", conf), 0, "%s", err);
	cr_expect(strstr(out, "entries     2 ("), "%s", out);
	cr_expect(strstr(out, "local chain intact from #3 to #4"), "%s", out);
	cr_expect(strstr(out, "links       2 prev_hash links"), "%s", out);
	cr_expect(strstr(out, "signatures  2 verified (every entry)"), "%s", out);
	free(out);
	free(err);
	cr_expect_eq(th_fsbridge(NULL, &err, "audit verify -c %s --from 5", conf), 2);
	cr_expect(strstr(err, "--from 5 is past the last entry of the log (#4)"), "%s", err);
	free(err);
	cr_expect_eq(th_fsbridge(NULL, NULL, "audit verify -c %s --from 0", conf), 2);
	tamper_lmdb(3, 200);
	cr_expect_eq(th_fsbridge(NULL, &err, "audit verify -c %s --from 3", conf), 1);
	cr_expect(strstr(err, "FAILED at entry 3: local chain broken"), "%s", err);
	free(err);
	cr_expect_eq(th_fsbridge(NULL, NULL, "audit verify -c %s --from 4", conf), 0);
}

Test(log, audit_finds_a_byte_changed_in_the_data_file)
{
	submit_mix();
	/* Flip a byte of T-0002's reference wherever it is in the file. */
	char path[200];
	snprintf(path, sizeof path, "%s/longan/data.mdb", dir);
	size_t len;
	uint8_t *file = (uint8_t *)th_read(path, &len);
	int hits = 0;
	for (uint8_t *p = file; (p = memmem(p, (size_t)(file + len - p), "T-0002", 6)); p += 6, hits++)
		p[5] = '9';
	cr_assert_gt(hits, 0);
	th_write(path, file, len);
	free(file);
	char *err;
	cr_expect_eq(th_fsbridge(NULL, &err, "audit verify -c %s", conf), 1);
	cr_expect(strstr(err, "audit verify: FAILED at entry 3: "), "%s", err);
	free(err);
}

static int submit_while_reading(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	(void)e;
	(void)chain;
	if (*(int *)ctx == 0) {
		*(int *)ctx = 1;
		cr_expect_eq(th_sh("%s submit -c %s %s >/dev/null", FSB_BIN, conf, R3), 0,
			     "a writer was blocked by a reader");
	}
	return 0;
}

Test(log, readers_never_block_the_writer)
{
	submit_mix();
	char data[200], err[256];
	snprintf(data, sizeof data, "%s/longan", dir);
	struct fsb_store_opts o = {.read_only = 1};
	struct fsb_store *st;
	cr_assert_eq(fsb_store_open(data, &o, &st, err, sizeof err), 0, "%s", err);
	int done = 0;
	uint64_t count = 0;
	cr_assert_eq(fsb_store_walk(st, 0, submit_while_reading, &done), 0);
	/* The walk saw its snapshot; the new entry is there for the next one. */
	struct fsb_store_stats s;
	cr_assert_eq(fsb_store_stats(st, &s), 0);
	count = s.entries;
	cr_expect_eq(count, 5);
	fsb_store_close(st);
}

/* Appends origin:seq to the store as received, signed with PKI/KEY, issued
 * and arrived at the times given, linked to prev; its payload hash into
 * hash. As a node of an earlier version, or a forger with store access,
 * could have left it. */
static void append_received(struct fsb_store *st, const char *key, const char *origin, uint64_t seq,
			    const uint8_t prev[FSB_HASH_LEN], int64_t issued, int64_t arrival,
			    uint8_t hash[FSB_HASH_LEN])
{
	char k[256], c[256], err[256], when[FSB_TIME_MAX + 1];
	snprintf(k, sizeof k, "%s/%s.key", PKI, key);
	snprintf(c, sizeof c, "%s/%s.crt", PKI, key);
	struct fsb_signer *s;
	cr_assert_eq(fsb_signer_open(k, c, &s, err, sizeof err), 0, "%s", err);
	struct fsb_message *m = th_load_example("recall-rice-labelling-class3-longan.json");
	fsb_fmt_time(issued, when);
	struct fsb_stamp stamp = {.origin = origin, .seq = seq, .issued_at = when};
	memcpy(stamp.prev_hash, prev, FSB_HASH_LEN); /* prev and hash may be one buffer */
	uint8_t *env;
	size_t len, cert_len;
	cr_assert_eq(fsb_seal_message(s, m, &stamp, &env, &len, hash, NULL), 0);
	struct fsb_entry_in in = {.envelope = env, .envelope_len = len, .origin = origin, .seq = seq,
				  .kind = FSB_KIND_RECALL, .category = "crop", .issued_at_ms = issued,
				  .arrival_ms = arrival, .direction = FSB_DIR_RECEIVED,
				  .status = FSB_STATUS_ACCEPTED};
	memcpy(in.payload_hash, hash, FSB_HASH_LEN);
	memcpy(in.prev_hash, stamp.prev_hash, FSB_HASH_LEN);
	in.cert = fsb_signer_cert(s, &cert_len);
	in.cert_len = cert_len;
	enum fsb_append_result res;
	uint64_t index;
	cr_assert_eq(fsb_store_append(st, &in, 1, &res, &index), 0);
	cr_assert_eq(res, FSB_APPENDED);
	free(env);
	fsb_message_free(m);
	fsb_signer_close(s);
}

static struct fsb_store *open_writable(void)
{
	char data[128], err[256];
	snprintf(data, sizeof data, "%s/longan", dir);
	struct fsb_store_opts o = {.origin = "longan"};
	struct fsb_store *st;
	cr_assert_eq(fsb_store_open(data, &o, &st, err, sizeof err), 0, "%s", err);
	return st;
}

/* A log holding a message signed with a TLS client key: audit verify
 * --full names it (a node of an earlier version accepted such messages). */
Test(log, audit_refuses_a_tls_key_as_signer)
{
	struct fsb_store *st = open_writable();
	uint8_t zero[FSB_HASH_LEN] = {0}, h[FSB_HASH_LEN];
	int64_t now = fsb_fmt_now_ms();
	append_received(st, "cantho", "cantho", 1, zero, now - 2000, now - 1000, h);
	append_received(st, "cantho-client", "cantho", 2, h, now - 1000, now, h);
	fsb_store_close(st);
	char *out, *err;
	cr_expect_eq(th_fsbridge(&out, &err, "audit verify -c %s --full", conf), 1);
	cr_expect(strstr(err, "FAILED at entry 2: signature check failed: signer certificate is for TLS"), "%s", err);
	free(out);
	free(err);
}

/* Entries whose certificate was not in force when they arrived stand only
 * where a later entry of their stream, in force, links to them. */
Test(log, audit_judges_validity_at_arrival)
{
	struct fsb_store *st = open_writable();
	uint8_t zero[FSB_HASH_LEN] = {0}, h[FSB_HASH_LEN];
	int64_t now = fsb_fmt_now_ms();
	/* Signed in 2020 by a certificate valid then, arriving today. */
	append_received(st, "cantho-expired", "cantho", 1, zero, fsb_fmt_time_ms(2020, 6, 1, 8, 0, 0), now - 3000, h);
	append_received(st, "cantho-expired", "cantho", 2, h, fsb_fmt_time_ms(2020, 6, 2, 8, 0, 0), now - 2000, h);
	fsb_store_close(st);
	char *out, *err;
	cr_expect_eq(th_fsbridge(&out, &err, "audit verify -c %s --full", conf), 1);
	cr_expect(strstr(err, "FAILED at entry 2: (cantho:2) signer certificate"), "%s", err);
	cr_expect(strstr(err, "not at arrival"), "%s", err);
	cr_expect(strstr(err, "and no later message of cantho in force vouches for it"), "%s", err);
	free(out);
	free(err);
	/* Without --full, the newest of the stream says the same. */
	cr_expect_eq(th_fsbridge(&out, &err, "audit verify -c %s", conf), 1);
	cr_expect(strstr(err, "no later message of cantho in force vouches for it"), "%s", err);
	free(out);
	free(err);
	/* Cần Thơ's next message, signed in force, vouches for both. */
	st = open_writable();
	append_received(st, "cantho", "cantho", 3, h, now - 1000, now, h);
	fsb_store_close(st);
	cr_expect_eq(th_fsbridge(&out, &err, "audit verify -c %s --full", conf), 0, "%s%s", out, err);
	cr_expect(strstr(out, "signatures  3 verified"), "%s", out);
	free(out);
	free(err);
}
