/* cmd_replay.c - `fsbridge replay`: the auditors' view of a node's log.
 *
 * Walks the log in order on a read-only snapshot (a running node is never
 * blocked), filters by issued_at, origin, kind, category or message id, and
 * prints each entry as readable text, JSON lines, CSV, or the raw envelope
 * bytes. Works on a copied data directory with no configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "config.h"
#include "format.h"
#include "sign.h"
#include "store.h"

enum output { OUT_TEXT, OUT_JSON, OUT_CSV, OUT_RAW };

struct replay {
	int64_t since, until;
	const char *origin, *category, *id;
	enum fsb_kind kind;
	enum output out;
	uint64_t shown, total;
	int failed;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fsbridge replay (-c FILE | --data DIR) [filters] [--json | --csv | --raw]\n"
		"\n"
		"Prints the node's log in order. Filters:\n"
		"  --since T, --until T   issuedAt from T, before T (RFC 3339 time or YYYY-MM-DD)\n"
		"  --origin O  --kind K  --category C  --id ORIGIN:SEQ\n"
		"Output: readable text (default), --json (JSON lines), --csv, or --raw (each\n"
		"envelope's exact bytes, preceded by its length as a protobuf varint).\n");
}

static const char *direction_name(enum fsb_direction d)
{
	return d == FSB_DIR_SENT ? "sent" : "received";
}

static const char *status_name(enum fsb_status s)
{
	return s == FSB_STATUS_WARNINGS ? "accepted-with-warnings" : "accepted";
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* The certificate's CN as a JSON string body: quotes, backslashes and
 * control characters escaped (a CN is the signer's own text). */
static void json_escape(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, cap - o, "\\%c", c);
		else if (c < 0x20)
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* A CSV field, quoted when it needs to be (RFC 4180). */
static void csv_field(const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

static void write_raw(const struct fsb_entry *e)
{
	uint8_t v[10];
	size_t n = 0;
	for (uint64_t x = e->envelope_len; ; x >>= 7) {
		v[n++] = (uint8_t)((x & 0x7F) | (x > 0x7F ? 0x80 : 0));
		if (x <= 0x7F)
			break;
	}
	fwrite(v, 1, n, stdout);
	fwrite(e->envelope, 1, e->envelope_len, stdout);
}

static int show(void *ctx, const struct fsb_entry *e, enum fsb_chain chain)
{
	struct replay *r = ctx;
	(void)chain; /* integrity is audit verify's job; replay shows what is there */
	fsb_progress("replay", ++r->total, 0);
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", e->origin, (unsigned long long)e->seq);
	if ((r->since && e->issued_at_ms < r->since) || (r->until && e->issued_at_ms >= r->until) ||
	    (r->origin && strcmp(r->origin, e->origin) != 0) ||
	    (r->kind && r->kind != e->kind) ||
	    (r->category && strcmp(r->category, e->category) != 0) || (r->id && strcmp(r->id, id) != 0))
		return 0;
	r->shown++;
	int stop = r->id != NULL; /* a message id names one entry */
	if (r->out == OUT_RAW) {
		write_raw(e);
		return stop;
	}
	struct fsb_envelope_view v;
	struct fsb_message *m = NULL;
	char signer[128] = "?";
	char fp[2 * FSB_FP_LEN + 1] = "";
	if (fsb_envelope_view(e->envelope, e->envelope_len, &v) == 0) {
		uint8_t f[FSB_FP_LEN];
		fsb_sha256(v.signer_cert, v.signer_cert_len, f);
		hex(f, FSB_FP_LEN, fp);
		fsb_cert_subject_cn(v.signer_cert, v.signer_cert_len, signer, sizeof signer);
		fsb_message_unpack(v.payload, v.payload_len, v.payload_len, &m, NULL);
	}
	if (!m) {
		fprintf(stderr, "fsbridge replay: entry %llu (%s) cannot be decoded; run audit verify\n",
			(unsigned long long)e->index, id);
		r->failed = 1;
		return 0;
	}
	char issued[FSB_TIME_MAX + 1], arrived[FSB_TIME_MAX + 1];
	fsb_time_format(e->issued_at_ms, issued);
	fsb_time_format(e->arrival_ms, arrived);
	struct fsb_header h;
	fsb_message_header(m, &h);
	char *body = NULL;
	switch (r->out) {
	case OUT_TEXT:
		if (fsb_message_to_text(m, "    ", &body) == 0) {
			printf("── #%llu  %s  %s/%s  %s  %s\n", (unsigned long long)e->index, id,
			       fsb_kind_name(e->kind) ? fsb_kind_name(e->kind) : "?",
			       e->category[0] ? e->category : "-", direction_name(e->direction),
			       status_name(e->status));
			printf("   issued %s   stored %s   signer %s (sha256 %.16s…)\n", issued, arrived,
			       signer, fp);
			printf("%s\n", body);
		}
		break;
	case OUT_JSON: {
		char name[6 * sizeof signer];
		json_escape(signer, name, sizeof name);
		if (fsb_message_to_json(m, 0, &body) == 0)
			printf("{\"index\":%llu,\"arrivedAt\":\"%s\",\"direction\":\"%s\",\"status\":\"%s\","
			       "\"signer\":{\"name\":\"%s\",\"fingerprint\":\"%s\"}%s%s\n",
			       (unsigned long long)e->index, arrived, direction_name(e->direction),
			       status_name(e->status), name, fp, strcmp(body, "{}") ? "," : "}",
			       strcmp(body, "{}") ? body + 1 : "");
		break;
	}
	case OUT_CSV: {
		char num[32];
		snprintf(num, sizeof num, "%llu", (unsigned long long)e->index);
		csv_field(num, 0);
		csv_field(arrived, 0);
		csv_field(direction_name(e->direction), 0);
		csv_field(status_name(e->status), 0);
		csv_field(e->origin, 0);
		snprintf(num, sizeof num, "%llu", (unsigned long long)e->seq);
		csv_field(num, 0);
		csv_field(id, 0);
		csv_field(fsb_kind_name(e->kind) ? fsb_kind_name(e->kind) : "", 0);
		csv_field(e->category, 0);
		csv_field(issued, 0);
		csv_field(signer, 0);
		csv_field(h.issuer, 0);
		csv_field(h.reference, 1);
		break;
	}
	case OUT_RAW:
		break;
	}
	free(body);
	fsb_message_free(m);
	return ferror(stdout) ? FSB_EIO : stop;
}

int fsb_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"data", required_argument, NULL, 'd'},
		{"since", required_argument, NULL, 's'},  {"until", required_argument, NULL, 'u'},
		{"origin", required_argument, NULL, 'o'}, {"kind", required_argument, NULL, 'k'},
		{"category", required_argument, NULL, 'g'}, {"id", required_argument, NULL, 'i'},
		{"json", no_argument, NULL, 'j'},         {"csv", no_argument, NULL, 'v'},
		{"raw", no_argument, NULL, 'r'},          {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct replay r = {0};
	const char *config = NULL, *data = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'd': data = optarg; break;
		case 's':
		case 'u':
			if (fsb_cli_parse_time(optarg, ch == 's' ? &r.since : &r.until)) {
				fprintf(stderr, "fsbridge replay: --%s \"%s\" is not an RFC 3339 time or a date (YYYY-MM-DD)\n",
					ch == 's' ? "since" : "until", optarg);
				return FSB_EXIT_USAGE;
			}
			break;
		case 'o': r.origin = optarg; break;
		case 'g': r.category = optarg; break;
		case 'i': r.id = optarg; break;
		case 'k':
			if ((r.kind = fsb_kind_parse(optarg)) == FSB_KIND_NONE) {
				fprintf(stderr, "fsbridge replay: unknown kind \"%s\"\n", optarg);
				return FSB_EXIT_USAGE;
			}
			break;
		case 'j': r.out = OUT_JSON; break;
		case 'v': r.out = OUT_CSV; break;
		case 'r': r.out = OUT_RAW; break;
		case 'h': usage(stdout); return FSB_EXIT_OK;
		default: usage(stderr); return FSB_EXIT_USAGE;
		}
	}
	if (optind != argc || !!config == !!data) {
		fprintf(stderr, "fsbridge replay: %s\n",
			optind != argc ? "unexpected argument" : "give either -c FILE or --data DIR");
		usage(stderr);
		return FSB_EXIT_USAGE;
	}
	struct fsb_config cfg;
	struct fsb_store *store = NULL;
	int rc = fsb_cli_open_store("replay", config, data, 1, &cfg, &store);
	if (rc == 0) {
		if (r.out == OUT_CSV)
			printf("index,arrived_at,direction,status,origin,seq,message_id,kind,category,"
			       "issued_at,signer,issuer,reference\n");
		uint64_t from = 1;
		if (r.id && fsb_store_find_id(store, r.id, &from) == FSB_ENOTFOUND)
			from = UINT64_MAX; /* nothing to show */
		rc = from == UINT64_MAX ? 0 : fsb_store_walk(store, from, show, &r);
		if (rc == 1) /* stopped at the entry asked for */
			rc = 0;
		fsb_progress_end();
		if (rc)
			fprintf(stderr, "fsbridge replay: %s\n",
				rc == FSB_EIO ? "cannot write the output" : fsb_store_error(store));
		else if (r.out == OUT_TEXT)
			fprintf(stderr, "%llu of %llu entries shown\n", (unsigned long long)r.shown,
				(unsigned long long)r.total);
	}
	fsb_store_close(store);
	fsb_config_cleanup(&cfg);
	return rc || r.failed ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}
