/* render.c - log entries for people and tools.
 *
 * Every format starts from the envelope bytes kept in the log and decodes
 * them again; nothing is trusted from a cache, so what is shown is what an
 * auditor would find.
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "format.h"
#include "out.h"
#include "sign.h"

static const char *direction_name(enum fsb_direction d)
{
	return d == FSB_DIR_SENT ? "sent" : "received";
}

static const char *status_name(enum fsb_status s)
{
	return s == FSB_STATUS_WARNINGS ? "accepted-with-warnings" : "accepted";
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

/* A CSV field (out.c: RFC 4180, formulas disarmed), then a comma or the
 * row's end. */
static void csv_field(FILE *out, const char *s, int last)
{
	struct fsb_out o;
	fsb_out_init(&o);
	fsb_out_csv(&o, s, FSB_CSV_SPREADSHEET);
	if (o.buf)
		fputs(o.buf, out);
	fsb_out_clear(&o);
	fputc(last ? '\n' : ',', out);
}

static void write_raw(const struct fsb_entry *e, FILE *out)
{
	uint8_t v[10];
	size_t n = 0;
	for (uint64_t x = e->envelope_len; ; x >>= 7) {
		v[n++] = (uint8_t)((x & 0x7F) | (x > 0x7F ? 0x80 : 0));
		if (x <= 0x7F)
			break;
	}
	fwrite(v, 1, n, out);
	fwrite(e->envelope, 1, e->envelope_len, out);
}

void fsb_render_csv_header(FILE *out)
{
	fputs("index,arrived_at,direction,status,origin,seq,message_id,kind,category,issued_at,"
	      "signer,issuer,reference\n", out);
}

int fsb_render_entry(const struct fsb_entry *e, enum fsb_render how, FILE *out)
{
	if (how == FSB_RENDER_RAW) {
		write_raw(e, out);
		return ferror(out) ? FSB_EIO : 0;
	}
	struct fsb_envelope_view v;
	struct fsb_message *m = NULL;
	char signer[128] = "?";
	char fp[2 * FSB_FP_LEN + 1] = "";
	if (fsb_envelope_view(e->envelope, e->envelope_len, &v) == 0) {
		uint8_t f[FSB_FP_LEN];
		fsb_sign_sha256(v.signer_cert, v.signer_cert_len, f);
		fsb_fmt_hex(f, FSB_FP_LEN, fp);
		fsb_sign_cert_cn(v.signer_cert, v.signer_cert_len, signer, sizeof signer);
		fsb_message_unpack(v.payload, v.payload_len, v.payload_len, &m, NULL);
	}
	if (!m)
		return FSB_EDECODE;
	char id[FSB_MESSAGE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s:%llu", e->origin, (unsigned long long)e->seq);
	const char *kind = fsb_kind_name(e->kind) ? fsb_kind_name(e->kind) : "?";
	char issued[FSB_TIME_MAX + 1], arrived[FSB_TIME_MAX + 1];
	fsb_fmt_time(e->issued_at_ms, issued);
	fsb_fmt_time(e->arrival_ms, arrived);
	struct fsb_header h;
	fsb_message_header(m, &h);
	char *body = NULL;
	switch (how) {
	case FSB_RENDER_TEXT:
		if (fsb_message_to_text(m, "    ", &body) == 0) {
			fprintf(out, "── #%llu  %s  %s/%s  %s  %s\n", (unsigned long long)e->index, id, kind,
				e->category[0] ? e->category : "-", direction_name(e->direction),
				status_name(e->status));
			fprintf(out, "   issued %s   stored %s   signer %s (sha256 %.16s…)\n", issued,
				arrived, signer, fp);
			fprintf(out, "%s\n", body);
		}
		break;
	case FSB_RENDER_SUMMARY:
		if (fsb_message_summary(m, "      ", &body) == 0) {
			/* The time of day, in UTC, as staff scan a feed. */
			fprintf(out, "%.8s  %s %-8s %s/%s  %s%s\n%s\n", arrived + 11,
				e->direction == FSB_DIR_SENT ? "→ sent by" : "← from", e->origin, kind,
				e->category[0] ? e->category : "-", id,
				e->status == FSB_STATUS_WARNINGS ? "  (stored with warnings)" : "", body);
		}
		break;
	case FSB_RENDER_JSON: {
		char name[6 * sizeof signer];
		json_escape(signer, name, sizeof name);
		if (fsb_message_to_json(m, 0, &body) == 0)
			fprintf(out, "{\"index\":%llu,\"arrivedAt\":\"%s\",\"direction\":\"%s\",\"status\":\"%s\","
				"\"signer\":{\"name\":\"%s\",\"fingerprint\":\"%s\"}%s%s\n",
				(unsigned long long)e->index, arrived, direction_name(e->direction),
				status_name(e->status), name, fp, strcmp(body, "{}") ? "," : "}",
				strcmp(body, "{}") ? body + 1 : "");
		break;
	}
	case FSB_RENDER_CSV: {
		char num[32];
		snprintf(num, sizeof num, "%llu", (unsigned long long)e->index);
		csv_field(out, num, 0);
		csv_field(out, arrived, 0);
		csv_field(out, direction_name(e->direction), 0);
		csv_field(out, status_name(e->status), 0);
		csv_field(out, e->origin, 0);
		snprintf(num, sizeof num, "%llu", (unsigned long long)e->seq);
		csv_field(out, num, 0);
		csv_field(out, id, 0);
		csv_field(out, fsb_kind_name(e->kind) ? fsb_kind_name(e->kind) : "", 0);
		csv_field(out, e->category, 0);
		csv_field(out, issued, 0);
		csv_field(out, signer, 0);
		csv_field(out, h.issuer, 0);
		csv_field(out, h.reference, 1);
		break;
	}
	case FSB_RENDER_RAW:
		break;
	}
	free(body);
	fsb_message_free(m);
	return ferror(out) ? FSB_EIO : 0;
}
