/* cmd_audit.c - `fsbridge audit verify`: re-walk a node's log and prove it.
 *
 * Checks, in one pass over a read-only snapshot: the local chain (each entry
 * hash over the one before), each envelope's payload hash, each stream's
 * seq order, prev_hash links and issued_at order, and that the stream heads
 * agree. Then signatures: by default the newest of each stream, which
 * authenticates every earlier payload through the hash links (PROTOCOL.md,
 * "Validity at arrival"); with --full every one, on worker threads, each
 * judged as at its recorded arrival, by the rule the node applied: a
 * message whose certificate was not in force when it arrived is accepted
 * only when a later message of its stream, in force at its own arrival,
 * links to it. Reports the first bad entry and why.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "codec.h"
#include "config.h"
#include "format.h"
#include "seal.h"
#include "store.h"

#define QUEUE_SLOTS 512
#define MAX_WORKERS 8

struct stream {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t seq, index;
	uint8_t hash[FSB_HASH_LEN];
	int64_t issued_ms;  /* issued_at of seq, INT64_MIN when not known */
	/* --from: the first entry walked, whose link reaches before the walk */
	uint64_t first_seq;
	uint8_t first_prev[FSB_HASH_LEN];
};

/* A log entry handed from the walk to another thread: a copy, since the
 * walk's snapshot ends with it. */
struct job {
	struct fsb_entry e; /* envelope malloc'd */
	enum fsb_chain chain;
};

/* What the signature checks found of one stream (kept apart from the walk's
 * streams, since the workers fill it): the newest message whose
 * certificate was in force at arrival, and the newest whose was not. */
struct standing {
	char origin[FSB_ORIGIN_MAX + 1];
	uint64_t in_force_seq;
	uint64_t stale_seq, stale_index;
	char stale_why[300];
};

struct audit {
	struct stream *streams;
	size_t n_streams;
	struct standing *standing; /* under lock */
	size_t n_standing;
	uint64_t entries, links, signatures, total;
	uint64_t bytes; /* envelope bytes walked */
	uint64_t from;  /* first log index walked */
	/* the first problem, by log index */
	uint64_t bad_index;
	char why[600];
	uint64_t problems;
	/* signature checking: the CA and CRL files, and the CRLs the node
	 * adopted since (kept in its store), as the node would judge */
	char **cas, **crls;
	size_t n_anchors;
	uint8_t **kept;
	size_t *kept_lens, n_kept;
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	struct job queue[QUEUE_SLOTS];
	size_t head, count;
	int done;
};

static void problem(struct audit *a, uint64_t index, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct audit *a, uint64_t index, const char *fmt, ...)
{
	pthread_mutex_lock(&a->lock);
	a->problems++;
	if (!a->bad_index || index < a->bad_index) {
		a->bad_index = index;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(a->why, sizeof a->why, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&a->lock);
}

static struct stream *find_stream(struct audit *a, const char *origin)
{
	for (size_t i = 0; i < a->n_streams; i++)
		if (strcmp(a->streams[i].origin, origin) == 0)
			return &a->streams[i];
	return NULL;
}

static struct stream *stream_of(struct audit *a, const char *origin)
{
	struct stream *s = find_stream(a, origin);
	if (s)
		return s;
	s = realloc(a->streams, (a->n_streams + 1) * sizeof *s);
	if (!s)
		return NULL;
	a->streams = s;
	s = &a->streams[a->n_streams++];
	memset(s, 0, sizeof *s);
	snprintf(s->origin, sizeof s->origin, "%s", origin);
	s->issued_ms = INT64_MIN;
	return s;
}

/* Notes what a signature check found of origin:seq (caller holds lock). */
static void note_standing(struct audit *a, const char *origin, uint64_t seq, uint64_t index,
			  const char *stale_why)
{
	struct standing *st = NULL;
	for (size_t i = 0; i < a->n_standing && !st; i++)
		if (strcmp(a->standing[i].origin, origin) == 0)
			st = &a->standing[i];
	if (!st) {
		st = realloc(a->standing, (a->n_standing + 1) * sizeof *st);
		if (!st)
			return;
		a->standing = st;
		st = &a->standing[a->n_standing++];
		memset(st, 0, sizeof *st);
		snprintf(st->origin, sizeof st->origin, "%s", origin);
	}
	if (!stale_why && seq > st->in_force_seq)
		st->in_force_seq = seq;
	if (stale_why && seq > st->stale_seq) {
		st->stale_seq = seq;
		st->stale_index = index;
		snprintf(st->stale_why, sizeof st->stale_why, "%s", stale_why);
	}
}

/* Opens an envelope as a receiver would have at its recorded arrival, and
 * notes whether its certificate was in force then. */
static void verify_signature(struct audit *a, struct fsb_trust *t, uint64_t index,
			     int64_t arrival_ms, const uint8_t *env, size_t len)
{
	struct fsb_open_opts o = {.max_bytes = len, .arrival_ms = arrival_ms,
				  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS, .accept_stale = 1};
	struct fsb_opened out;
	char err[512];
	int rc = fsb_open(t, env, len, &o, &out, err, sizeof err);
	if (rc)
		problem(a, index, "signature check failed: %s", err);
	pthread_mutex_lock(&a->lock);
	a->signatures++;
	if (rc == 0) {
		struct fsb_header h;
		fsb_message_header(out.msg, &h);
		note_standing(a, h.origin, h.seq, index, out.stale ? out.stale_why : NULL);
	}
	pthread_mutex_unlock(&a->lock);
	fsb_opened_clear(&out);
}

/* A message whose certificate was not in force at arrival stands only if
 * a later message of its stream, in force, vouches for it through the
 * links (which the walk checked). */
static void check_standing(struct audit *a)
{
	for (size_t i = 0; i < a->n_standing; i++) {
		const struct standing *st = &a->standing[i];
		if (st->stale_seq > st->in_force_seq)
			problem(a, st->stale_index,
				"(%s:%llu) %s, and no later message of %s in force vouches for it",
				st->origin, (unsigned long long)st->stale_seq, st->stale_why, st->origin);
	}
}

/* Takes the oldest job; 0 once the walk is over and the queue empty. */
static int dequeue(struct audit *a, struct job *j)
{
	pthread_mutex_lock(&a->lock);
	while (a->count == 0 && !a->done)
		pthread_cond_wait(&a->not_empty, &a->lock);
	int got = a->count > 0;
	if (got) {
		*j = a->queue[a->head];
		a->head = (a->head + 1) % QUEUE_SLOTS;
		a->count--;
		pthread_cond_signal(&a->not_full);
	}
	pthread_mutex_unlock(&a->lock);
	return got;
}

/* A trust store as the node had it: the files, then the CRLs it adopted
 * (each taken only when newer than the file's). */
static int open_trust(const struct audit *a, struct fsb_trust **t, char *err, size_t errlen)
{
	int rc = fsb_trust_open_files(a->cas, a->crls, a->n_anchors, t, err, errlen);
	for (size_t i = 0; rc == 0 && i < a->n_kept; i++)
		fsb_trust_offer_crl(*t, a->kept[i], a->kept_lens[i], NULL, NULL, 0);
	return rc;
}

/* --full: verifies every queued envelope, in any order. */
static void *sig_worker(void *arg)
{
	struct audit *a = arg;
	struct fsb_trust *t = NULL;
	char err[512];
	if (open_trust(a, &t, err, sizeof err))
		problem(a, 0, "trust store: %s", err);
	struct job j;
	while (dequeue(a, &j)) {
		if (t)
			verify_signature(a, t, j.e.index, j.e.arrival_ms, j.e.envelope,
					 j.e.envelope_len);
		fsb_entry_clear(&j.e);
	}
	fsb_trust_close(t);
	return NULL;
}

static int check_entry(void *ctx, const struct fsb_entry *e, enum fsb_chain chain);

/* Without --full: checks the queued entries in log order, so that the
 * payload hashes and links are computed beside the walk, which hashes the
 * local chain (two SHA-256 passes over every envelope, on two cores). */
static void *link_worker(void *arg)
{
	struct audit *a = arg;
	struct job j;
	while (dequeue(a, &j)) {
		check_entry(a, &j.e, j.chain);
		fsb_entry_clear(&j.e);
	}
	return NULL;
}

static void enqueue(struct audit *a, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct job j = {*e, chain};
	j.e.envelope = malloc(e->envelope_len ? e->envelope_len : 1);
	if (!j.e.envelope) {
		problem(a, e->index, "out of memory");
		return;
	}
	if (e->envelope_len)
		memcpy(j.e.envelope, e->envelope, e->envelope_len);
	pthread_mutex_lock(&a->lock);
	while (a->count == QUEUE_SLOTS)
		pthread_cond_wait(&a->not_full, &a->lock);
	a->queue[(a->head + a->count) % QUEUE_SLOTS] = j;
	a->count++;
	pthread_cond_signal(&a->not_empty);
	pthread_mutex_unlock(&a->lock);
}

static const char *const chain_why[] = {
	[FSB_CHAIN_BAD_HASH] = "local chain broken: the entry hash does not match its content",
	[FSB_CHAIN_GAP] = "local chain broken: an entry is missing before this one",
	[FSB_CHAIN_UNREADABLE] = "the log record cannot be read",
};

static int check_entry(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct audit *a = ctx;
	a->entries++;
	a->bytes += e->envelope_len;
	fsb_progress("audit verify", a->entries, a->total);
	if (chain != FSB_CHAIN_OK) {
		problem(a, e->index, "%s", chain_why[chain]);
		if (chain == FSB_CHAIN_UNREADABLE)
			return 0;
	}
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", e->origin, (unsigned long long)e->seq);
	struct fsb_envelope_view v;
	struct fsb_payload_peek p;
	uint8_t hash[FSB_HASH_LEN];
	if (fsb_envelope_view(e->envelope, e->envelope_len, &v)) {
		problem(a, e->index, "(%s) the stored envelope cannot be decoded", id);
		return 0;
	}
	fsb_sha256(v.payload, v.payload_len, hash);
	if (memcmp(hash, e->payload_hash, FSB_HASH_LEN) != 0)
		problem(a, e->index, "(%s) payload hash differs from the one recorded at append", id);
	if (fsb_payload_peek(v.payload, v.payload_len, &p) || strcmp(p.origin, e->origin) != 0 ||
	    p.seq != e->seq) {
		problem(a, e->index, "(%s) the payload's header is not %s", id, id);
		return 0;
	}
	struct stream *s = stream_of(a, e->origin);
	if (!s) {
		problem(a, e->index, "out of memory");
		return 0;
	}
	static const uint8_t zeros[FSB_HASH_LEN];
	if (a->from > 1 && s->seq == 0 && !s->first_seq && e->seq > 1 && p.prev_hash) {
		/* A partial walk meets this stream mid-way: its first link is
		 * checked against the store once the walk is over. */
		s->first_seq = e->seq;
		memcpy(s->first_prev, p.prev_hash, FSB_HASH_LEN);
		s->seq = e->seq - 1;
		memcpy(s->hash, p.prev_hash, FSB_HASH_LEN);
	}
	if (e->seq != s->seq + 1)
		problem(a, e->index, "(%s) stream %s jumps from seq %llu to %llu", id, e->origin,
			(unsigned long long)s->seq, (unsigned long long)e->seq);
	else if (!p.prev_hash || memcmp(p.prev_hash, s->seq ? s->hash : zeros, FSB_HASH_LEN) != 0)
		problem(a, e->index, "(%s) prev_hash is not the payload hash of %s:%llu", id, e->origin,
			(unsigned long long)s->seq);
	else
		a->links++;
	if (e->issued_at_ms < s->issued_ms)
		problem(a, e->index, "(%s) issuedAt goes back before the one of %s:%llu", id, e->origin,
			(unsigned long long)s->seq);
	s->seq = e->seq;
	s->index = e->index;
	s->issued_ms = e->issued_at_ms;
	memcpy(s->hash, hash, FSB_HASH_LEN);
	return 0;
}

/* --full: links here, signatures on the workers. */
static int check_and_queue(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct audit *a = ctx;
	int rc = check_entry(a, e, chain);
	if (chain != FSB_CHAIN_UNREADABLE)
		enqueue(a, e, chain);
	return rc;
}

/* Links only: everything on the link worker. */
static int queue_for_links(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	enqueue(ctx, e, chain);
	return 0;
}

/* --from: the first link of each stream met mid-way must reach the payload
 * hash the store holds for the message before it. */
static void check_first_links(struct audit *a, struct fsb_store *store)
{
	for (size_t i = 0; i < a->n_streams; i++) {
		struct stream *s = &a->streams[i];
		uint8_t h[FSB_HASH_LEN];
		if (!s->first_seq)
			continue;
		if (fsb_store_seq_hash(store, s->origin, s->first_seq - 1, h) ||
		    memcmp(h, s->first_prev, FSB_HASH_LEN) != 0)
			problem(a, UINT64_MAX, "(%s:%llu) prev_hash is not the payload hash held for %s:%llu",
				s->origin, (unsigned long long)s->first_seq, s->origin,
				(unsigned long long)s->first_seq - 1);
	}
}

/* Compares the stored stream heads with what the walk found. */
static void check_heads(struct audit *a, struct fsb_store *store)
{
	struct fsb_head *heads;
	size_t n;
	if (fsb_store_heads(store, &heads, &n)) {
		problem(a, UINT64_MAX, "cannot read the stream heads: %s", fsb_store_error(store));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct stream *s = find_stream(a, heads[i].origin);
		if (s && (s->seq != heads[i].seq || memcmp(s->hash, heads[i].payload_hash, FSB_HASH_LEN)))
			problem(a, heads[i].index, "stream head of %s says seq %llu, the log holds %llu",
				heads[i].origin, (unsigned long long)heads[i].seq,
				(unsigned long long)s->seq);
	}
	if (n != a->n_streams && a->from <= 1)
		problem(a, UINT64_MAX, "the stream heads list %zu streams, the log holds %zu", n,
			a->n_streams);
	free(heads);
}

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

int fsb_cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"data", required_argument, NULL, 'd'},
		{"ca", required_argument, NULL, 'a'},     {"crl", required_argument, NULL, 'r'},
		{"full", no_argument, NULL, 'f'},         {"jobs", required_argument, NULL, 'j'},
		{"from", required_argument, NULL, 'F'},   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "fsbridge audit: expected 'audit verify'\n");
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	argc--, argv++;
	const char *config = NULL, *data = NULL;
	char *ca = NULL, *crl = NULL;
	int full = 0, ch;
	uint64_t from = 1;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'd': data = optarg; break;
		case 'a': ca = optarg; break;
		case 'r': crl = optarg; break;
		case 'f': full = 1; break;
		case 'j':
			jobs = strtol(optarg, NULL, 10);
			if (jobs < 1 || jobs > MAX_WORKERS) {
				fprintf(stderr, "fsbridge audit verify: --jobs must be 1 to %d\n", MAX_WORKERS);
				return FSB_EXIT_USAGE;
			}
			break;
		case 'F': {
			char *end;
			from = strtoull(optarg, &end, 10);
			if (*end || from < 1) {
				fprintf(stderr, "fsbridge audit verify: --from must be a log index (1 or more)\n");
				return FSB_EXIT_USAGE;
			}
			break;
		}
		case 'h': usage(stdout); return FSB_EXIT_OK;
		default: usage(stderr); return FSB_EXIT_USAGE;
		}
	}
	if (jobs < 1)
		jobs = 1;
	if (jobs > MAX_WORKERS)
		jobs = MAX_WORKERS;
	if (optind != argc || (config && (ca || crl)) || !!ca != !!crl) {
		fprintf(stderr, "fsbridge audit verify: %s\n",
			optind != argc ? "unexpected argument"
			: config      ? "--ca and --crl go with --data, not -c"
				      : "--ca and --crl go together (--crl none, if said explicitly)");
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	struct audit a = {0};
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.not_empty, NULL);
	pthread_cond_init(&a.not_full, NULL);
	struct fsb_config cfg;
	struct fsb_store *store = NULL;
	char *cas[16], *crls[16];
	int rc = fsb_cli_open_store("audit verify", config, data, 1, &cfg, &store);
	if (rc)
		goto out;
	if (config) {
		a.n_anchors = cfg.n_ca;
		a.cas = cfg.ca_files;
		a.crls = cfg.crl_files;
	} else if (ca) {
		size_t n = split_list(ca, cas, 16), m = split_list(crl, crls, 16);
		if (n != m) {
			fprintf(stderr, "fsbridge audit verify: %zu --ca files but %zu --crl entries\n", n, m);
			rc = FSB_EINVAL;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(crls[i], "none") == 0)
				crls[i] = NULL;
		a.n_anchors = n;
		a.cas = cas;
		a.crls = crls;
	}
	if (a.n_anchors && (rc = fsb_store_crls(store, &a.kept, &a.kept_lens, &a.n_kept))) {
		fprintf(stderr, "fsbridge audit verify: %s\n", fsb_store_error(store));
		goto out;
	}
	struct fsb_store_stats st;
	if ((rc = fsb_store_stats(store, &st))) {
		fprintf(stderr, "fsbridge audit verify: %s\n", fsb_store_error(store));
		goto out;
	}
	if (from > 1 && from > st.last_index) {
		fprintf(stderr, "fsbridge audit verify: --from %llu is past the last entry of the log (#%llu)\n",
			(unsigned long long)from, (unsigned long long)st.last_index);
		rc = FSB_EINVAL;
		goto out;
	}
	a.from = from;
	a.total = st.last_index >= from ? st.last_index - from + 1 : 0;
	pthread_t threads[MAX_WORKERS];
	long started = 0;
	int check_all = full && a.n_anchors;
	for (; started < (check_all ? jobs : 1); started++)
		if (pthread_create(&threads[started], NULL, check_all ? sig_worker : link_worker, &a))
			break;
	fsb_entry_fn fn = check_all ? check_and_queue : started ? queue_for_links : check_entry;
	rc = fsb_store_walk(store, from, fn, &a);
	pthread_mutex_lock(&a.lock);
	a.done = 1;
	pthread_cond_broadcast(&a.not_empty);
	pthread_mutex_unlock(&a.lock);
	for (long i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	fsb_progress_end();
	if (rc) {
		fprintf(stderr, "fsbridge audit verify: %s\n", fsb_store_error(store));
		goto out;
	}
	check_first_links(&a, store);
	check_heads(&a, store);
	if (a.n_anchors && !full) {
		struct fsb_trust *t = NULL;
		char err[512];
		if (open_trust(&a, &t, err, sizeof err)) {
			fprintf(stderr, "fsbridge audit verify: %s\n", err);
			rc = FSB_ECERT;
			goto out;
		}
		for (size_t i = 0; i < a.n_streams; i++) {
			struct fsb_entry e;
			if (fsb_store_get(store, a.streams[i].index, &e) == 0)
				verify_signature(&a, t, e.index, e.arrival_ms, e.envelope, e.envelope_len);
			fsb_entry_clear(&e);
		}
		fsb_trust_close(t);
	}
	check_standing(&a);
	if (a.problems) {
		if (a.bad_index == UINT64_MAX)
			fprintf(stderr, "audit verify: FAILED: %s\n", a.why);
		else
			fprintf(stderr, "audit verify: FAILED at entry %llu: %s\n",
				(unsigned long long)a.bad_index, a.why);
		fprintf(stderr, "audit verify: %llu problem%s in %llu entries\n",
			(unsigned long long)a.problems, a.problems == 1 ? "" : "s",
			(unsigned long long)a.entries);
		rc = FSB_EINVALID;
		goto out;
	}
	char head[2 * FSB_HASH_LEN + 1];
	fsb_fmt_hex(st.last_hash, FSB_HASH_LEN, head);
	printf("audit verify: OK\n");
	char range[64] = "";
	if (from > 1)
		snprintf(range, sizeof range, "from #%llu ", (unsigned long long)from);
	printf("  entries     %llu (%.1f MB of envelopes), local chain intact %sto #%llu (%.16s…)\n",
	       (unsigned long long)a.entries, a.bytes / 1e6, range, (unsigned long long)st.last_index,
	       head);
	printf("  streams     %zu:", a.n_streams);
	for (size_t i = 0; i < a.n_streams; i++)
		printf(" %s %llu%s", a.streams[i].origin, (unsigned long long)a.streams[i].seq,
		       i + 1 < a.n_streams ? "," : "\n");
	if (!a.n_streams)
		printf(" none\n");
	printf("  links       %llu prev_hash links and payload hashes checked\n",
	       (unsigned long long)a.links);
	if (a.n_anchors)
		printf("  signatures  %llu verified (%s)\n", (unsigned long long)a.signatures,
		       full ? "every entry" : "newest of each stream; they cover the rest by hash links");
	else
		printf("  signatures  not checked: give -c FILE, or --ca and --crl\n");
	printf("  rejects     %llu, equivocations %llu\n", (unsigned long long)st.rejects,
	       (unsigned long long)st.equivocations);
out:
	for (size_t i = 0; i < a.n_kept; i++)
		free(a.kept[i]);
	free(a.kept);
	free(a.kept_lens);
	free(a.streams);
	free(a.standing);
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	pthread_mutex_destroy(&a.lock);
	pthread_cond_destroy(&a.not_empty);
	pthread_cond_destroy(&a.not_full);
	if (rc == FSB_EINVAL)
		return FSB_EXIT_USAGE;
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
