/* test_store.c - the LMDB store: appends and their outcomes, growth of the
 * map, a full disk, concurrent writers, and what a reader sees. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format.h"
#include "helpers.h"
#include "seal.h"
#include "store.h"

#define R3 "recall-rice-labelling-class3-longan.json"

/* Seals the R3 example for the store's callback, one envelope per item. */
struct sealer {
	struct fsb_signer *signer;
	struct fsb_message *msg;
	const char *origin;
	uint8_t **envs;
	size_t n;
	int64_t now;
};

static int seal_cb(void *ctx, size_t i, uint64_t seq, const uint8_t prev[FSB_HASH_LEN],
		   int64_t prev_issued, struct fsb_entry_in *out)
{
	struct sealer *s = ctx;
	/* Several writers each started their clock when they began: a stream's
	 * issued_at never goes backwards. */
	int64_t issued = s->now > prev_issued ? s->now : prev_issued;
	char when[FSB_TIME_MAX + 1];
	fsb_fmt_time(issued, when);
	struct fsb_stamp st = {.origin = s->origin, .seq = seq, .issued_at = when};
	memcpy(st.prev_hash, prev, FSB_HASH_LEN);
	free(s->envs[i]);
	size_t len;
	int rc = fsb_seal_message(s->signer, s->msg, &st, &s->envs[i], &len, out->payload_hash, NULL);
	if (rc)
		return rc;
	size_t cl;
	out->envelope = s->envs[i];
	out->envelope_len = len;
	out->origin = s->origin;
	out->seq = seq;
	memcpy(out->prev_hash, prev, FSB_HASH_LEN);
	out->kind = FSB_KIND_RECALL;
	out->category = "crop";
	out->issued_at_ms = issued;
	out->arrival_ms = s->now;
	out->direction = FSB_DIR_SENT;
	out->status = FSB_STATUS_ACCEPTED;
	out->cert = fsb_signer_cert(s->signer, &cl);
	out->cert_len = cl;
	return 0;
}

static struct sealer *sealer_new(const char *origin, size_t max, size_t pad_bytes)
{
	struct sealer *s = calloc(1, sizeof *s);
	char key[256], crt[256], err[256];
	snprintf(key, sizeof key, "%s/%s.key", PKI, origin);
	snprintf(crt, sizeof crt, "%s/%s.crt", PKI, origin);
	cr_assert_eq(fsb_signer_open(key, crt, &s->signer, err, sizeof err), 0, "%s", err);
	char path[512];
	snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, R3);
	size_t len;
	char *text = th_read(path, &len);
	if (pad_bytes) {
		/* Grow the advice text so entries have the size a test wants. */
		char *big = malloc(len + pad_bytes + 64);
		char *at = strstr(text, "\"reason\":");
		cr_assert_not_null(at);
		size_t head = (size_t)(at - text);
		memcpy(big, text, head);
		size_t o = head + (size_t)sprintf(big + head, "\"advice\": \"");
		memset(big + o, 'a', pad_bytes);
		o += pad_bytes;
		o += (size_t)sprintf(big + o, "\", ");
		memcpy(big + o, at, len - head);
		len = o + len - head;
		free(text);
		text = big;
	}
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	int rc = fsb_message_from_json(text, len, FSB_KIND_NONE, &s->msg, &errs);
	th_dump_errors(&errs);
	cr_assert_eq(rc, 0);
	free(text);
	s->origin = origin;
	s->envs = calloc(max, sizeof *s->envs);
	s->n = max;
	s->now = fsb_fmt_now_ms();
	return s;
}

static void sealer_free(struct sealer *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->envs[i]);
	free(s->envs);
	fsb_message_free(s->msg);
	fsb_signer_close(s->signer);
	free(s);
}

static struct fsb_store *open_store(const char *dir, const char *origin, size_t map)
{
	struct fsb_store_opts o = {.origin = origin, .initial_map_bytes = map};
	struct fsb_store *s = NULL;
	char err[512] = "";
	cr_assert_eq(fsb_store_open(dir, &o, &s, err, sizeof err), 0, "%s", err);
	return s;
}

/* Appends n of longan's own messages in one transaction. */
static int append_own(struct fsb_store *st, struct sealer *s, size_t n)
{
	return fsb_store_append_own(st, n, seal_cb, s, NULL);
}

static int count_entries(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	(void)e;
	cr_expect_eq(chain, FSB_CHAIN_OK, "entry %llu: chain %d", (unsigned long long)e->index, chain);
	(*(uint64_t *)ctx)++;
	return 0;
}

static uint64_t walk_count(struct fsb_store *st)
{
	uint64_t n = 0;
	cr_assert_eq(fsb_store_walk(st, 0, count_entries, &n), 0);
	return n;
}

/* One peer's checkpoint, as the node saves them (with nothing retired). */
static int put_cp(struct fsb_store *st, const char *peer, int64_t when, const uint8_t *env,
		  size_t len)
{
	struct fsb_checkpoint_in c = {peer, when, env, len};
	return fsb_store_put_checkpoints(st, &c, 1, 0);
}

Test(store, own_appends_are_sequenced_and_linked)
{
	char dir[64];
	th_tmpdir(dir);
	struct fsb_store *st = open_store(dir, "longan", 0);
	struct sealer *s = sealer_new("longan", 10, 0);
	uint64_t idx[10];
	cr_assert_eq(fsb_store_append_own(st, 3, seal_cb, s, idx), 0, "%s", fsb_store_error(st));
	cr_expect_eq(idx[0], 1);
	cr_expect_eq(idx[2], 3);
	cr_assert_eq(fsb_store_append_own(st, 2, seal_cb, s, idx), 0);
	cr_expect_eq(idx[1], 5);
	struct fsb_head *h;
	size_t n;
	cr_assert_eq(fsb_store_heads(st, &h, &n), 0);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(h[0].origin, "longan");
	cr_expect_eq(h[0].seq, 5);
	cr_expect_eq(h[0].index, 5);
	uint64_t seq;
	uint8_t hash[FSB_HASH_LEN];
	cr_assert_eq(fsb_store_head(st, "longan", &seq, hash, NULL), 0);
	cr_expect_eq(seq, 5);
	cr_expect_arr_eq(hash, h[0].payload_hash, FSB_HASH_LEN);
	cr_assert_eq(fsb_store_head(st, "cantho", &seq, hash, NULL), 0);
	cr_expect_eq(seq, 0, "a stream the store never saw has head 0");
	free(h);
	uint64_t index;
	cr_expect_eq(fsb_store_find_seq(st, "longan", 4, &index), 0);
	cr_expect_eq(index, 4);
	cr_expect_eq(fsb_store_find_id(st, "longan:2", &index), 0);
	cr_expect_eq(index, 2);
	cr_expect_eq(fsb_store_find_id(st, "longan:6", &index), FSB_ENOTFOUND);
	struct fsb_entry e;
	cr_assert_eq(fsb_store_get(st, 3, &e), 0);
	cr_expect_eq(e.seq, 3);
	cr_expect_eq(e.kind, FSB_KIND_RECALL);
	cr_expect_str_eq(e.category, "crop");
	cr_expect_eq(e.direction, FSB_DIR_SENT);
	/* The stored envelope opens, and links to seq 2's payload. */
	struct fsb_envelope_view v;
	struct fsb_payload_peek p;
	cr_assert_eq(fsb_envelope_view(e.envelope, e.envelope_len, &v), 0);
	cr_assert_eq(fsb_payload_peek(v.payload, v.payload_len, &p), 0);
	struct fsb_entry e2;
	cr_assert_eq(fsb_store_get(st, 2, &e2), 0);
	cr_expect_arr_eq(p.prev_hash, e2.payload_hash, FSB_HASH_LEN);
	fsb_entry_clear(&e2);
	fsb_entry_clear(&e);
	cr_expect_eq(fsb_store_get(st, 6, &e), FSB_ENOTFOUND);
	uint64_t seqs[10];
	cr_assert_eq(fsb_store_outbox(st, 0, seqs, 10, &n), 0);
	cr_expect_eq(n, 5);
	cr_assert_eq(fsb_store_put_checkpoints(st, NULL, 0, 3), 0);
	cr_assert_eq(fsb_store_outbox(st, 0, seqs, 10, &n), 0);
	cr_expect_eq(n, 2);
	cr_expect_eq(seqs[0], 4);
	cr_expect_eq(walk_count(st), 5); /* the log keeps retired entries */
	/* Two peers' checkpoints and what they retire, in one transaction. */
	struct fsb_checkpoint_in two[2] = {{"cantho", 7, (const uint8_t *)"ct", 2},
					   {"angiang", 8, (const uint8_t *)"ag!", 3}};
	cr_assert_eq(fsb_store_put_checkpoints(st, two, 2, 4), 0);
	cr_assert_eq(fsb_store_outbox(st, 0, seqs, 10, &n), 0);
	cr_expect_eq(n, 1);
	cr_expect_eq(seqs[0], 5);
	uint8_t *env;
	size_t len;
	int64_t when;
	cr_assert_eq(fsb_store_get_checkpoint(st, "angiang", &env, &len, &when), 0);
	cr_expect(len == 3 && when == 8 && memcmp(env, "ag!", 3) == 0);
	free(env);
	cr_assert_eq(fsb_store_get_checkpoint(st, "cantho", &env, &len, &when), 0);
	cr_expect(len == 2 && when == 7);
	free(env);
	two[1].peer = "An Giang";
	cr_expect_eq(fsb_store_put_checkpoints(st, two, 2, 5), FSB_EINVAL, "nothing is kept");
	cr_assert_eq(fsb_store_outbox(st, 0, seqs, 10, &n), 0);
	cr_expect_eq(n, 1);
	sealer_free(s);
	fsb_store_close(st);
	th_rmtree(dir);
}

/* Builds received entries from longan's sealed envelopes (store A) for
 * another node's store (B). */
static void entry_from(struct fsb_store *a, uint64_t index, struct fsb_entry *keep,
		       struct fsb_entry_in *in)
{
	cr_assert_eq(fsb_store_get(a, index, keep), 0);
	struct fsb_envelope_view v;
	struct fsb_payload_peek p;
	cr_assert_eq(fsb_envelope_view(keep->envelope, keep->envelope_len, &v), 0);
	cr_assert_eq(fsb_payload_peek(v.payload, v.payload_len, &p), 0);
	memset(in, 0, sizeof *in);
	in->envelope = keep->envelope;
	in->envelope_len = keep->envelope_len;
	in->origin = keep->origin;
	in->seq = keep->seq;
	memcpy(in->payload_hash, keep->payload_hash, FSB_HASH_LEN);
	memcpy(in->prev_hash, p.prev_hash, FSB_HASH_LEN);
	in->kind = keep->kind;
	in->category = keep->category;
	in->issued_at_ms = keep->issued_at_ms;
	in->arrival_ms = fsb_fmt_now_ms();
	in->direction = FSB_DIR_RECEIVED;
	in->status = FSB_STATUS_ACCEPTED;
	in->cert = v.signer_cert;
	in->cert_len = v.signer_cert_len;
}

Test(store, received_order_duplicates_gaps_and_equivocation)
{
	char dir[64], da[128], db[128];
	th_tmpdir(dir);
	snprintf(da, sizeof da, "%s/a", dir);
	snprintf(db, sizeof db, "%s/b", dir);
	struct fsb_store *a = open_store(da, "longan", 0);
	struct fsb_store *b = open_store(db, "cantho", 0);
	struct sealer *s = sealer_new("longan", 4, 0);
	cr_assert_eq(append_own(a, s, 4), 0);
	struct fsb_entry keep[4];
	struct fsb_entry_in in[4];
	for (int i = 0; i < 4; i++)
		entry_from(a, (uint64_t)i + 1, &keep[i], &in[i]);
	enum fsb_append_result res[4];
	uint64_t idx[4];
	/* seq 2 before seq 1: a gap, nothing stored */
	cr_assert_eq(fsb_store_append(b, &in[1], 1, res, idx), 0);
	cr_expect_eq(res[0], FSB_GAP);
	cr_expect_eq(walk_count(b), 0);
	/* 1, 2, then 2 again in one batch */
	struct fsb_entry_in batch[3] = {in[0], in[1], in[1]};
	cr_assert_eq(fsb_store_append(b, batch, 3, res, idx), 0);
	cr_expect_eq(res[0], FSB_APPENDED);
	cr_expect_eq(res[1], FSB_APPENDED);
	cr_expect_eq(res[2], FSB_DUPLICATE);
	cr_expect_eq(idx[1], 2);
	cr_expect_eq(idx[2], 0);
	/* seq 3 with a broken link */
	struct fsb_entry_in broken = in[2];
	broken.prev_hash[5] ^= 1;
	cr_assert_eq(fsb_store_append(b, &broken, 1, res, idx), 0);
	cr_expect_eq(res[0], FSB_BROKEN_LINK);
	/* a different payload for seq 2: equivocation, kept as evidence */
	struct fsb_entry_in other = in[1];
	other.payload_hash[0] ^= 1;
	cr_assert_eq(fsb_store_append(b, &other, 1, res, idx), 0);
	cr_expect_eq(res[0], FSB_EQUIVOCATION);
	struct fsb_store_stats st;
	cr_assert_eq(fsb_store_stats(b, &st), 0);
	cr_expect_eq(st.equivocations, 1);
	cr_expect_eq(st.entries, 2);
	cr_expect_eq(st.outbox, 0);
	cr_expect_eq(st.certs, 1);
	/* the log still holds the first payload for seq 2 */
	struct fsb_entry e;
	cr_assert_eq(fsb_store_get(b, 2, &e), 0);
	cr_expect_arr_eq(e.payload_hash, in[1].payload_hash, FSB_HASH_LEN);
	cr_expect_eq(e.direction, FSB_DIR_RECEIVED);
	fsb_entry_clear(&e);
	cr_assert_eq(fsb_store_append(b, &in[2], 2, res, idx), 0);
	cr_expect_eq(res[0], FSB_APPENDED);
	cr_expect_eq(res[1], FSB_APPENDED);
	cr_expect_eq(walk_count(b), 4);
	for (int i = 0; i < 4; i++)
		fsb_entry_clear(&keep[i]);
	sealer_free(s);
	fsb_store_close(a);
	fsb_store_close(b);
	th_rmtree(dir);
}

Test(store, origin_and_layout_guard_the_directory)
{
	char dir[64], err[512];
	th_tmpdir(dir);
	struct fsb_store *st = open_store(dir, "longan", 0);
	fsb_store_close(st);
	struct fsb_store_opts o = {.origin = "cantho"};
	cr_expect_eq(fsb_store_open(dir, &o, &st, err, sizeof err), FSB_ECONFIG);
	cr_expect(strstr(err, "holds the log of origin \"longan\", not \"cantho\""), "%s", err);
	struct fsb_store_opts ro = {.read_only = 1};
	cr_assert_eq(fsb_store_open(dir, &ro, &st, err, sizeof err), 0, "%s", err);
	cr_expect_str_eq(fsb_store_origin(st), "longan");
	struct sealer *s = sealer_new("longan", 1, 0);
	cr_expect_eq(append_own(st, s, 1), FSB_EINVAL); /* read-only */
	sealer_free(s);
	fsb_store_close(st);
	cr_expect_eq(fsb_store_open("/nonexistent/fsb", &ro, &st, err, sizeof err), FSB_EIO);
	cr_expect(strstr(err, "no data directory at /nonexistent/fsb"), "%s", err);
	/* An LMDB environment that is not ours. */
	char other[128];
	snprintf(other, sizeof other, "%s/other", dir);
	cr_assert_eq(th_sh("mkdir %s", other), 0);
	MDB_env *env;
	MDB_txn *txn;
	mdb_env_create(&env);
	cr_assert_eq(mdb_env_open(env, other, 0, 0600), 0);
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_txn_commit(txn);
	mdb_env_close(env);
	cr_expect_eq(fsb_store_open(other, &ro, &st, err, sizeof err), FSB_ECONFIG);
	cr_expect(strstr(err, "is not an fsbridge data directory"), "%s", err);
	th_rmtree(dir);
}

Test(store, map_grows_when_full)
{
	char dir[64];
	th_tmpdir(dir);
	/* 64 KiB map, 1 KiB entries: full after a few dozen. */
	struct fsb_store *st = open_store(dir, "longan", 64 * 1024);
	struct sealer *s = sealer_new("longan", 50, 1024);
	for (int i = 0; i < 20; i++)
		cr_assert_eq(append_own(st, s, 50), 0, "batch %d: %s", i, fsb_store_error(st));
	struct fsb_store_stats stats;
	cr_assert_eq(fsb_store_stats(st, &stats), 0);
	cr_expect_eq(stats.entries, 1000);
	cr_expect_gt(stats.map_bytes, 1024 * 1024, "map is %zu bytes", stats.map_bytes);
	cr_expect_eq(walk_count(st), 1000);
	sealer_free(s);
	fsb_store_close(st);
	/* Reopened with the small initial size, it reads the larger map, and
	 * a writer starts with room to spare (half the data again), so that
	 * its first write does not find the map full. */
	st = open_store(dir, "longan", 64 * 1024);
	cr_expect_eq(walk_count(st), 1000);
	cr_assert_eq(fsb_store_stats(st, &stats), 0);
	cr_expect_geq(stats.map_bytes, stats.used_bytes + stats.used_bytes / 2, "map %zu, used %zu",
		      stats.map_bytes, stats.used_bytes);
	fsb_store_close(st);
	th_rmtree(dir);
}

Test(store, full_disk_loses_nothing_and_recovers)
{
	char dir[64], mnt[128];
	th_tmpdir(dir);
	snprintf(mnt, sizeof mnt, "%s/mnt", dir);
	cr_assert_eq(th_sh("mkdir %s && mount -t tmpfs -o size=512k fsb-test %s", mnt, mnt), 0,
		     "cannot mount a tmpfs (the test needs root)");
	struct fsb_store *st = open_store(mnt, "longan", 0);
	struct sealer *s = sealer_new("longan", 10, 1024);
	uint64_t committed = 0;
	int rc = 0;
	for (int i = 0; i < 200 && rc == 0; i++)
		if ((rc = append_own(st, s, 10)) == 0)
			committed += 10;
	cr_expect_eq(rc, FSB_ENOSPC, "rc %d: %s", rc, fsb_store_error(st));
	cr_expect(strstr(fsb_store_error(st), "no space left on device"), "%s", fsb_store_error(st));
	cr_expect_gt(committed, 0);
	/* Everything committed before is there, chain intact. */
	cr_expect_eq(walk_count(st), committed);
	fsb_store_close(st);
	st = open_store(mnt, "longan", 0);
	cr_expect_eq(walk_count(st), committed);
	/* Space returns: the store works again, and the chain goes on. */
	cr_assert_eq(th_sh("mount -o remount,size=8m %s", mnt), 0);
	cr_expect_eq(append_own(st, s, 10), 0, "%s", fsb_store_error(st));
	cr_expect_eq(walk_count(st), committed + 10);
	struct fsb_head *h;
	size_t n;
	cr_assert_eq(fsb_store_heads(st, &h, &n), 0);
	cr_expect_eq(h[0].seq, committed + 10);
	free(h);
	sealer_free(s);
	fsb_store_close(st);
	th_sh("umount %s", mnt);
	th_rmtree(dir);
}

Test(store, concurrent_writers_make_one_gapless_chain)
{
	char dir[64];
	th_tmpdir(dir);
	fsb_store_close(open_store(dir, "longan", 0));
	enum { PROCS = 4, EACH = 200 };
	pid_t pids[PROCS];
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		cr_assert_geq(pids[p], 0);
		if (pids[p] == 0) {
			/* A separate process with its own environment handle,
			 * committing one message per transaction. */
			struct fsb_store_opts o = {.origin = "longan"};
			struct fsb_store *st;
			char err[512];
			if (fsb_store_open(dir, &o, &st, err, sizeof err))
				_exit(10);
			struct sealer *s = sealer_new("longan", 1, 0);
			for (int i = 0; i < EACH; i++)
				if (append_own(st, s, 1))
					_exit(11);
			fsb_store_close(st);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int status;
		waitpid(pids[p], &status, 0);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed: status 0x%x", p, status);
	}
	struct fsb_store *st = open_store(dir, "longan", 0);
	cr_expect_eq(walk_count(st), PROCS * EACH);
	for (uint64_t seq = 1; seq <= PROCS * EACH; seq++) {
		uint64_t index;
		cr_expect_eq(fsb_store_find_seq(st, "longan", seq, &index), 0, "seq %llu missing",
			     (unsigned long long)seq);
	}
	fsb_store_close(st);
	cr_expect_eq(th_fsbridge(NULL, NULL, "audit verify --data %s", dir), 0);
	th_rmtree(dir);
}

Test(store, rejects_keep_within_their_budget)
{
	char dir[64];
	th_tmpdir(dir);
	struct fsb_store_opts o = {.origin = "cantho", .reject_bytes = 1 << 20};
	struct fsb_store *st;
	char err[512];
	cr_assert_eq(fsb_store_open(dir, &o, &st, err, sizeof err), 0, "%s", err);
	/* 40 junk envelopes of 100 KiB, in batches of 8: 4 MB arrived, 1 MiB
	 * kept, the newest. */
	static uint8_t junk[100 * 1024];
	struct fsb_reject_in r[8];
	for (int b = 0; b < 5; b++) {
		for (int i = 0; i < 8; i++) {
			memset(junk, b * 8 + i, sizeof junk);
			r[i] = (struct fsb_reject_in){1000 + b * 8 + i, "foodsafety/v1/x/recall/crop",
						      FSB_ESIGNATURE, "junk", junk, sizeof junk, sizeof junk};
		}
		cr_assert_eq(fsb_store_rejects_put(st, r, 8), 0, "%s", fsb_store_error(st));
	}
	struct fsb_store_stats sst;
	cr_assert_eq(fsb_store_stats(st, &sst), 0);
	cr_expect_eq(sst.rejects_total, 40);
	/* Each record is 20 + 27 + 4 bytes of head, topic and reason, and the
	 * raw bytes. */
	uint64_t each = 20 + strlen("foodsafety/v1/x/recall/crop") + strlen("junk") + sizeof junk;
	cr_expect_eq(sst.rejects, (1 << 20) / each, "kept %llu", (unsigned long long)sst.rejects);
	struct fsb_reject got[1];
	size_t n;
	cr_assert_eq(fsb_store_rejects(st, got, 1, &n), 0);
	cr_expect_eq(got[0].when_ms, 1039, "the newest is kept");
	cr_expect_eq(got[0].raw[0], 39);
	fsb_reject_clear(&got[0]);
	/* An oversize envelope: what was kept of it, and how big it was. */
	cr_assert_eq(fsb_store_rejects_put(st, &(struct fsb_reject_in){2000, "t", FSB_ETOOBIG, "big",
								     junk, 1024, 16u << 20}, 1), 0);
	cr_assert_eq(fsb_store_rejects(st, got, 1, &n), 0);
	cr_expect_eq(got[0].raw_len, 1024);
	cr_expect_eq(got[0].raw_total, 16u << 20);
	fsb_reject_clear(&got[0]);
	fsb_store_close(st);
	th_rmtree(dir);
}

Test(store, rejects_and_checkpoints)
{
	char dir[64];
	th_tmpdir(dir);
	struct fsb_store *st = open_store(dir, "cantho", 0);
	static const uint8_t raw[] = "\x0a\x03garbage";
	cr_assert_eq(fsb_store_reject(st, 1000, "foodsafety/v1/longan/recall/crop", FSB_ESIGNATURE,
				      "signature does not verify", raw, sizeof raw), 0);
	cr_assert_eq(fsb_store_reject(st, 2000, "foodsafety/v1/x/recall/crop", FSB_EDECODE,
				      "not a well-formed SignedEnvelope", raw, 3), 0);
	struct fsb_reject r[4];
	size_t n;
	cr_assert_eq(fsb_store_rejects(st, r, 4, &n), 0);
	cr_assert_eq(n, 2);
	cr_expect_eq(r[0].id, 2); /* newest first */
	cr_expect_eq(r[1].code, FSB_ESIGNATURE);
	cr_expect_str_eq(r[1].topic, "foodsafety/v1/longan/recall/crop");
	cr_expect_str_eq(r[1].reason, "signature does not verify");
	cr_expect_eq(r[1].raw_len, sizeof raw);
	cr_expect_arr_eq(r[1].raw, raw, sizeof raw);
	fsb_reject_clear(&r[0]);
	fsb_reject_clear(&r[1]);
	uint8_t *env;
	size_t len;
	int64_t when;
	cr_expect_eq(fsb_store_get_checkpoint(st, "longan", &env, &len, &when), FSB_ENOTFOUND);
	cr_assert_eq(put_cp(st, "longan", 5, (const uint8_t *)"one", 3), 0);
	cr_assert_eq(put_cp(st, "longan", 9, (const uint8_t *)"two!", 4), 0);
	cr_assert_eq(fsb_store_get_checkpoint(st, "longan", &env, &len, &when), 0);
	cr_expect_eq(len, 4);
	cr_expect_eq(when, 9);
	cr_expect_arr_eq(env, "two!", 4);
	free(env);
	cr_expect_eq(put_cp(st, "Long An", 9, (const uint8_t *)"x", 1), FSB_EINVAL);
	/* A minute later, another is kept as evidence beside the first. */
	cr_assert_eq(put_cp(st, "longan", 5 + FSB_STORE_CP_KEEP_MS,
					      (const uint8_t *)"three", 5), 0);
	cr_assert_eq(fsb_store_get_checkpoint(st, "longan", &env, &len, &when), 0);
	cr_expect_eq(when, 5 + FSB_STORE_CP_KEEP_MS);
	free(env);
	fsb_store_close(st);
	/* As evidence, one checkpoint a minute per peer, not every one: a peer
	 * publishing thousands cannot fill the disk. */
	MDB_env *e;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_stat ms;
	mdb_env_create(&e);
	mdb_env_set_maxdbs(e, 32);
	cr_assert_eq(mdb_env_open(e, dir, MDB_RDONLY, 0600), 0);
	mdb_txn_begin(e, NULL, MDB_RDONLY, &txn);
	cr_assert_eq(mdb_dbi_open(txn, "cp_all", 0, &dbi), 0);
	mdb_stat(txn, dbi, &ms);
	cr_expect_eq(ms.ms_entries, 2);
	mdb_txn_abort(txn);
	mdb_env_close(e);
	th_rmtree(dir);
}

/* Seals s's message as longan's `seq`, issued at `issued`, linked to
 * prev, and appends it to st as received; returns what became of it and
 * sets prev to its payload hash when appended. */
static enum fsb_append_result append_received(struct fsb_store *st, struct sealer *s, uint64_t seq,
					      int64_t issued, uint8_t prev[FSB_HASH_LEN], uint64_t *index)
{
	char when[FSB_TIME_MAX + 1];
	fsb_fmt_time(issued, when);
	struct fsb_stamp stamp = {.origin = "longan", .seq = seq, .issued_at = when};
	memcpy(stamp.prev_hash, prev, FSB_HASH_LEN);
	uint8_t *env, hash[FSB_HASH_LEN];
	size_t len, cl;
	cr_assert_eq(fsb_seal_message(s->signer, s->msg, &stamp, &env, &len, hash, NULL), 0);
	struct fsb_entry_in in = {.envelope = env, .envelope_len = len, .origin = "longan",
				  .seq = seq, .kind = FSB_KIND_RECALL, .category = "crop",
				  .issued_at_ms = issued, .arrival_ms = s->now,
				  .direction = FSB_DIR_RECEIVED, .status = FSB_STATUS_ACCEPTED};
	memcpy(in.payload_hash, hash, FSB_HASH_LEN);
	memcpy(in.prev_hash, prev, FSB_HASH_LEN);
	in.cert = fsb_signer_cert(s->signer, &cl);
	in.cert_len = cl;
	enum fsb_append_result res;
	cr_assert_eq(fsb_store_append(st, &in, 1, &res, index), 0);
	if (res == FSB_APPENDED)
		memcpy(prev, hash, FSB_HASH_LEN);
	free(env);
	return res;
}

/* issued_at never goes backwards within a stream: the store refuses the
 * next message when it claims to be older than the head. */
Test(store, issued_at_never_goes_backwards)
{
	char dir[64];
	th_tmpdir(dir);
	struct fsb_store *st = open_store(dir, "cantho", 0);
	struct sealer *s = sealer_new("longan", 3, 0);
	uint8_t prev[FSB_HASH_LEN] = {0};
	int64_t times[3] = {s->now, s->now - 1, s->now - 1};
	enum fsb_append_result want[3] = {FSB_APPENDED, FSB_BACKWARDS, FSB_APPENDED};
	for (int i = 0; i < 3; i++) {
		/* seq 2 a millisecond before seq 1, then seq 2 again at seq 1's
		 * time plus nothing: not earlier, accepted. */
		int64_t issued = i == 2 ? s->now : times[i];
		uint64_t index;
		enum fsb_append_result res = append_received(st, s, i == 0 ? 1 : 2, issued, prev, &index);
		cr_expect_eq(res, want[i], "append %d: result %d", i, res);
	}
	fsb_store_close(st);
	sealer_free(s);
	th_rmtree(dir);
}

struct seen {
	uint64_t index[8];
	int64_t when[8];
	size_t n;
};

static int take_period(void *ctx, uint64_t index, int64_t issued_at_ms)
{
	struct seen *s = ctx;
	cr_assert_lt(s->n, 8);
	s->index[s->n] = index;
	s->when[s->n++] = issued_at_ms;
	return 0;
}

static int take_index(void *ctx, uint64_t index)
{
	return take_period(ctx, index, 0);
}

/* A period is read through the by_time index: the entries issued within
 * it, both ends included, in order of issue (a tie in log order); the
 * entries of a kind, in log order. */
Test(store, a_period_is_read_by_issued_at)
{
	char dir[64];
	th_tmpdir(dir);
	struct fsb_store *st = open_store(dir, "cantho", 0);
	struct sealer *s = sealer_new("longan", 5, 0);
	uint8_t prev[FSB_HASH_LEN] = {0};
	int64_t t0 = s->now - 60000, at[5] = {t0, t0 + 10, t0 + 20, t0 + 20, t0 + 30};
	for (uint64_t i = 0; i < 5; i++) {
		uint64_t index;
		cr_assert_eq(append_received(st, s, i + 1, at[i], prev, &index), FSB_APPENDED);
		cr_assert_eq(index, i + 1);
	}
	struct fsb_view *v;
	cr_assert_eq(fsb_store_view_open(st, &v), 0);
	struct seen got = {0};
	cr_assert_eq(fsb_view_period(v, t0 + 10, t0 + 20, take_period, &got), 0);
	cr_assert_eq(got.n, 3);
	for (size_t i = 0; i < 3; i++) {
		cr_expect_eq(got.index[i], i + 2, "entry %zu: index %llu", i,
			     (unsigned long long)got.index[i]);
		cr_expect_eq(got.when[i], at[i + 1]);
	}
	memset(&got, 0, sizeof got);
	cr_assert_eq(fsb_view_period(v, t0 + 31, INT64_MAX, take_period, &got), 0);
	cr_expect_eq(got.n, 0);
	cr_assert_eq(fsb_view_period(v, t0 + 20, t0 + 10, take_period, &got), 0);
	cr_expect_eq(got.n, 0, "a period that ends before it begins holds nothing");
	cr_assert_eq(fsb_view_period(v, INT64_MIN, t0, take_period, &got), 0);
	cr_expect_eq(got.n, 1);
	memset(&got, 0, sizeof got);
	cr_assert_eq(fsb_view_kind(v, FSB_KIND_RECALL, take_index, &got), 0);
	cr_expect_eq(got.n, 5);
	for (size_t i = 0; i < got.n; i++)
		cr_expect_eq(got.index[i], i + 1);
	memset(&got, 0, sizeof got);
	cr_assert_eq(fsb_view_kind(v, FSB_KIND_SURVEILLANCE, take_index, &got), 0);
	cr_expect_eq(got.n, 0);
	fsb_store_view_close(v);
	fsb_store_close(st);
	sealer_free(s);
	th_rmtree(dir);
}
