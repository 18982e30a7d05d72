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

static void exercise_message(struct fsb_message *m)
{
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

int fsb_fuzz_envelope(const uint8_t *data, size_t len)
{
	struct fsb_envelope_view v;
	if (fsb_envelope_view(data, len, &v) == 0) {
		struct fsb_message *m = NULL;
		if (fsb_message_unpack(v.payload, v.payload_len, FSB_CODEC_DEFAULT_MAX_BYTES, &m, NULL) == 0)
			exercise_message(m);
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
		struct fsb_open_opts o = {.arrival_ms = fsb_time_now_ms(),
					  .max_skew_ms = FSB_DEFAULT_MAX_SKEW_MS};
		struct fsb_opened out;
		char err[512];
		if (fsb_open(t, data, len, &o, &out, err, sizeof err) == 0)
			exercise_message(out.msg);
		fsb_opened_clear(&out);
		struct fsb_control c;
		if (fsb_open_control(t, data, len, &o, &c, err, sizeof err) == 0)
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
			fsb_time_format(fsb_time_now_ms(), when);
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
