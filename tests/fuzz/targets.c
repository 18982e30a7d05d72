/* targets.c - fuzz targets: every input must be refused cleanly or
 * processed without a crash, a leak or undefined behaviour. */
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "format.h"
#include "seal.h"
#include "sequence.h"
#include "submit.h"

static struct fsb_trust *trust_store(void)
{
	static struct fsb_trust *t;
	static int tried;
	if (!tried) {
		tried = 1;
		const char *pki = getenv("FSB_FUZZ_PKI");
		char ca[512], crl[512], err[256];
		if (pki) {
			snprintf(ca, sizeof ca, "%s/ca.crt", pki);
			snprintf(crl, sizeof crl, "%s/ca.crl", pki);
			struct fsb_trust_anchor a = {ca, crl};
			fsb_trust_open(&a, 1, &t, err, sizeof err);
		}
	}
	return t;
}

static int count_key(void *ctx, enum fsb_trace_key type, const char *value)
{
	if (strlen(value) > FSB_TRACE_VALUE_MAX || (type == FSB_TK_LOT && strlen(value) < 15))
		abort(); /* a key the index could not hold, or a lot without its GTIN */
	(*(size_t *)ctx)++;
	return 0;
}

static void exercise_message(struct fsb_message *m)
{
	/* The facts of any message, about a product and an establishment. */
	struct fsb_trace_target product = {.gtin14 = "08938501234018", .lot = "BL-0711"};
	struct fsb_trace_target tax = {.key = FSB_TK_TAX, .value = "1101923456"};
	struct fsb_trace_facts f;
	fsb_message_trace_facts(m, &product, &f);
	fsb_message_trace_facts(m, &tax, &f);

	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	fsb_message_validate(m, FSB_VALIDATE_SEALED, &errs);
	char *s = NULL;
	if (fsb_message_to_json(m, 0, &s) == 0)
		free(s);
	if (fsb_message_to_text(m, "  ", &s) == 0)
		free(s);
	if (fsb_message_summary(m, "  ", &s) == 0)
		free(s);
	uint8_t *b;
	size_t n;
	if (fsb_message_pack(m, &b, &n) == 0)
		free(b);
}

/* What the store indexes a message by, read off its bytes, must be what
 * the decoder makes of them: a case could otherwise be built from a
 * message other than the one the views show. */
static void links_agree(const uint8_t *payload, size_t len, const struct fsb_message *m)
{
	struct fsb_links l;
	if (fsb_payload_links(payload, len, &l) != 0)
		abort(); /* protobuf-c decoded what the field reader calls malformed */
	struct fsb_case_facts f;
	fsb_message_case_facts(m, &f);
	char ref[FSB_MESSAGE_ID_MAX + 1] = "";
	if (f.ref_id[0] && strlen(f.ref_id) <= FSB_MESSAGE_ID_MAX &&
	    !fsb_fmt_message_id(f.ref_id, NULL, NULL))
		snprintf(ref, sizeof ref, "%s", f.ref_id);
	if (l.kind != fsb_message_kind(m) || l.type != f.type || strcmp(l.ref_id, ref) != 0)
		abort();
}

int fsb_fuzz_envelope(const uint8_t *data, size_t len)
{
	struct fsb_envelope_view v;
	if (fsb_envelope_view(data, len, &v) == 0) {
		struct fsb_message *m = NULL;
		if (fsb_message_unpack(v.payload, v.payload_len, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL) == 0) {
			exercise_message(m);
			links_agree(v.payload, v.payload_len, m);
			size_t keys = 0;
			fsb_payload_trace_keys(v.payload, v.payload_len, count_key, &keys);
		}
		fsb_message_free(m);
		struct fsb_payload_peek p;
		fsb_payload_peek(v.payload, v.payload_len, &p);
		struct fsb_control c;
		char err[256];
		if (fsb_control_unpack(v.payload, v.payload_len, FSB_CODEC_DEFAULT_MAX_BYTES, &c, err,
				       sizeof err) == 0)
			fsb_control_clear(&c);
	}
	struct fsb_trust *t = trust_store();
	if (t) {
		struct fsb_open_opts o = {.arrival_ms = fsb_fmt_now_ms(),
					  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS};
		struct fsb_opened out;
		char err[512];
		if (fsb_seal_open(t, data, len, &o, &out, err, sizeof err) == 0)
			exercise_message(out.msg);
		fsb_seal_opened_clear(&out);
		struct fsb_control c;
		if (fsb_seal_open_control(t, data, len, &o, &c, err, sizeof err) == 0)
			fsb_control_clear(&c);
	}
	return 0;
}

int fsb_fuzz_json(const uint8_t *data, size_t len)
{
	for (int kind = FSB_KIND_NONE; kind <= FSB_KIND_FOLLOWUP; kind += 2) {
		struct fsb_errlist errs;
		fsb_errlist_init(&errs);
		struct fsb_message *m = NULL;
		if (fsb_submission_check((const char *)data, len, (enum fsb_kind)kind, "longan",
					 FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL, &errs) == 0) {
			exercise_message(m);
			char when[FSB_TIME_MAX + 1];
			fsb_fmt_time(fsb_fmt_now_ms(), when);
			struct fsb_stamp st = {.origin = "longan", .seq = 3, .issued_at = when};
			fsb_message_stamp(m, &st);
			exercise_message(m);
		}
		fsb_message_free(m);
	}
	return 0;
}

int fsb_fuzz_config(const uint8_t *data, size_t len)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/fsb-fuzz-config-%ld.conf", (long)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, len, f);
	fclose(f);
	struct fsb_config c;
	char err[FSB_CONFIG_ERR_MAX];
	fsb_config_init(&c);
	if (fsb_config_read(&c, path, err, sizeof err) == 0 && fsb_config_check(&c, err, sizeof err) == 0) {
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			fsb_config_print(&c, null);
			fclose(null);
		}
	}
	fsb_config_cleanup(&c);
	return 0;
}

/* ---- the sequencer, driven by what peers send -------------------------- */

/* What a fuzzed message is: its data records it, so that the callbacks
 * can answer and every release is seen exactly once. */
struct fuzz_msg {
	int truth; /* 0 forged, 1 stale, 2 in force */
	int released;
};

static size_t fuzz_alive;

static int fuzz_verify(void *ctx, const char *origin, struct fsb_seq_item *it)
{
	(void)ctx;
	(void)origin;
	struct fuzz_msg *m = it->data;
	return m->truth == 2 ? FSB_SEQ_IN_FORCE : m->truth == 1 ? FSB_SEQ_STALE : FSB_ESIGNATURE;
}

static void fuzz_release(void *ctx, const char *origin, struct fsb_seq_item *it,
			 enum fsb_seq_drop why)
{
	(void)ctx;
	(void)origin;
	(void)why;
	struct fuzz_msg *m = it->data;
	if (m->released++)
		abort(); /* released twice */
	free(m);
	fuzz_alive--;
}

static void fuzz_hash(uint8_t h[FSB_HASH_LEN], int origin, uint64_t seq, int variant)
{
	memset(h, 0, FSB_HASH_LEN);
	if (seq == 0)
		return;
	h[0] = (uint8_t)origin;
	h[1] = (uint8_t)variant;
	memcpy(h + 2, &seq, sizeof seq);
}

int fsb_fuzz_sequence(const uint8_t *data, size_t len)
{
	static const char *const origins[] = {"longan", "cantho", "angiang", "hue"};
	struct fsb_seq_limits l = {.max_bytes = 20000, .max_stream_bytes = 8000, .max_streams = 3,
				   .gap_wait_ms = 400, .retry_ms = 3000, .retry_max_ms = 60000,
				   .max_ask = 100, .stale_wait_ms = 60000};
	struct fsb_seq_ops ops = {fuzz_verify, fuzz_release, NULL};
	struct fsb_seq *q;
	if (fsb_seq_open(&l, &ops, &q))
		abort();
	int64_t now = 1000;
	uint64_t held[4] = {0};
	for (size_t i = 0; i + 4 <= len; i += 4) {
		int origin = data[i + 1] % 4, variant = data[i + 2] & 3;
		/* Small seqs mostly, a huge one now and then. */
		uint64_t seq = data[i + 3] == 0xff ? UINT64_MAX - data[i + 2] : (uint64_t)(data[i + 3] % 40 + 1);
		const char *o = origins[origin];
		switch (data[i] % 7) {
		case 0:
		case 1: {
			struct fuzz_msg *m = calloc(1, sizeof *m);
			if (!m)
				abort();
			m->truth = data[i] / 7 % 3;
			struct fsb_seq_item it = {.seq = seq, .bytes = 100 + (size_t)data[i + 2] * 40,
						  .at_ms = now, .data = m};
			it.trust = m->truth == 0 || data[i] % 7 == 0 ? FSB_SEQ_UNCHECKED
				   : m->truth == 1 ? FSB_SEQ_STALE : FSB_SEQ_IN_FORCE;
			fuzz_hash(it.payload_hash, origin, seq, variant >> 1);
			fuzz_hash(it.prev_hash, origin, seq - 1, 0);
			fuzz_alive++;
			if (fsb_seq_admit(q, o, &it) != FSB_SEQ_KEPT) {
				free(m);
				fuzz_alive--;
			}
			break;
		}
		case 2: {
			struct fsb_seq_item out[64];
			size_t n = fsb_seq_take(q, o, out, 64);
			for (size_t k = 0; k < n; k++) {
				if (out[k].seq != held[origin] + 1)
					abort(); /* a run not in order */
				held[origin] = out[k].seq;
				fsb_seq_appended(q, o, out[k].seq, out[k].payload_hash);
				free(out[k].data);
				fuzz_alive--;
			}
			break;
		}
		case 3:
			fsb_seq_known(q, o, seq);
			break;
		case 4: {
			uint8_t h[FSB_HASH_LEN];
			fuzz_hash(h, origin, seq, variant >> 1);
			fsb_seq_refused(q, o, seq, h);
			int known = 0;
			for (size_t k = 0; fsb_seq_origin(q, k); k++)
				known |= strcmp(fsb_seq_origin(q, k), o) == 0;
			if (known && !fsb_seq_was_refused(q, o, seq, h))
				abort(); /* refused a moment ago, nothing new since */
			break;
		}
		case 5: {
			struct fsb_seq_ask asks[8];
			now += data[i + 2] * 100;
			size_t n = fsb_seq_due(q, now, asks, 8);
			for (size_t k = 0; k < n; k++) {
				if (asks[k].from > asks[k].to || asks[k].to - asks[k].from >= l.max_ask)
					abort(); /* a request out of bounds */
				fsb_seq_asked(q, asks[k].origin, now);
			}
			break;
		}
		case 6:
			fsb_seq_place(q, o, seq);
			fsb_seq_room(q, o, seq, data[i + 2]);
			fsb_seq_waiting(q, o, seq, NULL);
			break;
		}
		struct fsb_seq_stats st;
		fsb_seq_stats(q, &st);
		if (st.bytes > l.max_bytes || st.streams > l.max_streams || st.waiting != fuzz_alive)
			abort(); /* a budget overrun, or an item lost or held twice */
	}
	fsb_seq_close(q);
	if (fuzz_alive)
		abort();
	return 0;
}
