/* render_report.c - the programme report as text, CSV and HTML.
 *
 * The report is first laid out as tables (a title, its columns, its rows
 * of cells already written as figures and words), the same for every
 * format; then each format writes the tables its own way. So a figure is
 * written in one place, and the text, the CSV and the HTML cannot say
 * different things. The HTML adds two charts drawn from the same struct.
 */
#include "render_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

#define COLS_MAX 10

struct table {
	const char *section; /* label key of the section it opens, or NULL */
	const char *title;   /* label key */
	size_t cols;
	const char *head[COLS_MAX]; /* label keys */
	unsigned numeric;    /* bit i: column i holds figures (right-aligned) */
	char **cells;        /* rows x cols */
	size_t n, cap;
	const char *empty;   /* label key shown when it has no rows */
	char note[256];      /* a line under it, "" when none */
};

struct layout {
	struct table t[24];
	size_t n;
	int failed;
	enum fsb_lang lang;
	int comma;           /* write decimals with a comma */
};

static struct table *table(struct layout *l, const char *section, const char *title,
			   const char *empty, size_t cols, unsigned numeric, ...)
{
	struct table *t = &l->t[l->n++];
	memset(t, 0, sizeof *t);
	t->section = section;
	t->title = title;
	t->empty = empty;
	t->cols = cols;
	t->numeric = numeric;
	va_list ap;
	va_start(ap, numeric);
	for (size_t i = 0; i < cols; i++)
		t->head[i] = va_arg(ap, const char *);
	va_end(ap);
	return t;
}

/* Appends one cell (trusted format, untrusted text through %s). */
static void cell(struct layout *l, struct table *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cell(struct layout *l, struct table *t, const char *fmt, ...)
{
	if (l->failed)
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **p = realloc(t->cells, cap * sizeof *p);
		if (!p) {
			l->failed = 1;
			return;
		}
		t->cells = p;
		t->cap = cap;
	}
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (s) {
		vsnprintf(s, (size_t)n + 1, fmt, again);
		t->cells[t->n++] = s;
	} else {
		l->failed = 1;
	}
	va_end(again);
	va_end(ap);
}

static void layout_clear(struct layout *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < l->t[i].n; k++)
			free(l->t[i].cells[k]);
		free(l->t[i].cells);
	}
}

/* ---- figures ------------------------------------------------------------------ */

static const char *L(const struct layout *l, const char *key)
{
	return fsb_label(l->lang, key);
}

/* A decimal with one digit after the point (a comma in Vietnamese text). */
static void decimal(const struct layout *l, double v, char *buf, size_t n)
{
	snprintf(buf, n, "%.1f", v);
	char *p = strchr(buf, '.');
	if (p && l->comma)
		*p = ',';
}

static void dcell(struct layout *l, struct table *t, double v)
{
	char b[32];
	decimal(l, v, b, sizeof b);
	cell(l, t, "%s", b);
}

/* A duration's median or maximum in hours (per = 3600000) or seconds
 * (1000); "-" when nothing was timed. */
static void dur(struct layout *l, struct table *t, const struct fsb_durations *d, int max, double per)
{
	if (!d->n) {
		cell(l, t, "-");
		return;
	}
	dcell(l, t, (double)(max ? d->max_ms : d->median_ms) / per);
}

#define HOUR 3600000.0
#define SECOND 1000.0

static void date_of(int64_t ms, char out[11])
{
	char t[FSB_LOCAL_TIME_MAX + 1];
	fsb_fmt_local_time(ms, t);
	memcpy(out, t, 10); /* YYYY-MM-DD */
	out[10] = '\0';
}

/* ---- the tables ---------------------------------------------------------------- */

static void surveillance(struct layout *l, const struct fsb_report *r)
{
	struct table *t = table(l, "report.s.surveillance", "report.t.surv_by_category", "report.none", 5,
				0x1C, "report.c.origin", "report.c.category", "report.c.samples",
				"report.c.non_compliant", "report.c.rate");
	for (size_t i = 0; i < r->n_surv; i++) {
		const struct fsb_report_surv *s = &r->surv[i];
		cell(l, t, "%s", s->origin);
		cell(l, t, "%s", s->total ? L(l, "report.total")
				  : s->category ? L(l, s->category) : L(l, "report.not_given"));
		cell(l, t, "%zu", s->r.samples);
		cell(l, t, "%zu", s->r.non_compliant);
		dcell(l, t, s->r.rate);
	}
	if (r->n_surv) {
		cell(l, t, "%s", L(l, "report.all"));
		cell(l, t, "%s", L(l, "report.total"));
		cell(l, t, "%zu", r->surv_total.samples);
		cell(l, t, "%zu", r->surv_total.non_compliant);
		dcell(l, t, r->surv_total.rate);
	}
	t = table(l, NULL, "report.t.surv_by_hazard", "report.none", 5, 0x1C, "report.c.hazard",
		  "report.c.analyte", "report.c.results", "report.c.non_compliant", "report.c.rate");
	for (size_t i = 0; i < r->n_analytes; i++) {
		const struct fsb_report_analyte *a = &r->analytes[i];
		cell(l, t, "%s", a->hazard ? L(l, a->hazard) : L(l, "report.not_given"));
		cell(l, t, "%s", a->analyte[0] ? a->analyte : L(l, "report.total"));
		cell(l, t, "%zu", a->r.samples);
		cell(l, t, "%zu", a->r.non_compliant);
		dcell(l, t, a->r.rate);
	}
	if (r->analytes_truncated)
		snprintf(t->note, sizeof t->note, "%s", L(l, "report.analytes_truncated"));
}

static void recalls(struct layout *l, const struct fsb_report *r)
{
	struct table *t = table(l, "report.s.recalls", "report.t.recalls_by_class", "report.no_recalls",
				3, 0x4, "report.c.class", "report.c.basis", "report.c.recalls");
	for (size_t i = 0; i < r->n_recalls; i++) {
		const struct fsb_report_recalls *c = &r->recalls[i];
		cell(l, t, "%s", c->recall_class ? L(l, c->recall_class) : L(l, "report.not_given"));
		cell(l, t, "%s", c->basis ? L(l, c->basis) : L(l, "report.not_given"));
		cell(l, t, "%zu", c->count);
	}
	if (r->n_recalls) {
		cell(l, t, "%s", L(l, "report.all"));
		cell(l, t, "%s", "");
		cell(l, t, "%zu", r->recalls_total);
	}
	t = table(l, NULL, "report.t.timeliness", "report.no_recalls", 10, 0x3FE, "report.c.class",
		  "report.c.recalls", "report.c.notify_median", "report.c.notify_max",
		  "report.c.ack_median", "report.c.ack_max", "report.c.acks_missing",
		  "report.c.closed", "report.c.close_median", "report.c.close_max");
	for (size_t i = 0; i < r->n_timeliness; i++) {
		const struct fsb_report_timeliness *k = &r->timeliness[i];
		int all = i + 1 == r->n_timeliness;
		cell(l, t, "%s", all ? L(l, "report.all")
				 : k->recall_class ? L(l, k->recall_class) : L(l, "report.not_given"));
		cell(l, t, "%zu", k->recalls);
		dur(l, t, &k->notify, 0, HOUR);
		dur(l, t, &k->notify, 1, HOUR);
		dur(l, t, &k->ack, 0, HOUR);
		dur(l, t, &k->ack, 1, HOUR);
		cell(l, t, "%zu/%zu", k->acks_missing, k->acks_due);
		cell(l, t, "%zu", k->closed);
		dur(l, t, &k->close, 0, HOUR);
		dur(l, t, &k->close, 1, HOUR);
	}
	if (r->n_timeliness) {
		size_t undated = r->timeliness[r->n_timeliness - 1].undated;
		if (undated)
			snprintf(t->note, sizeof t->note, "%s %s: %zu", L(l, "report.hours_note"),
				 L(l, "report.undated"), undated);
		else
			snprintf(t->note, sizeof t->note, "%s", L(l, "report.hours_note"));
	}
}

static void quarantine(struct layout *l, const struct fsb_report *r)
{
	struct table *t = table(l, "report.s.quarantine", "report.t.notices", "report.none", 2, 0x2,
				"report.c.notice_type", "report.c.notices");
	for (size_t i = 0; i < r->n_notices; i++) {
		cell(l, t, "%s", r->notices[i].name ? L(l, r->notices[i].name) : L(l, "report.not_given"));
		cell(l, t, "%zu", r->notices[i].count);
	}
	if (r->n_notices) {
		cell(l, t, "%s", L(l, "report.total"));
		cell(l, t, "%zu", r->notices_total);
	}
	t = table(l, NULL, "report.t.outbreaks", "report.no_outbreaks", 9, 0x1C0, "report.c.date",
		  "report.c.origin", "report.c.notice_type", "report.c.disease", "report.c.species",
		  "report.c.place", "report.c.cases", "report.c.deaths", "report.c.destroyed");
	for (size_t i = 0; i < r->n_outbreaks; i++) {
		const struct fsb_report_outbreak *b = &r->outbreaks[i];
		char d[11];
		date_of(b->issued_ms, d);
		cell(l, t, "%s", d);
		cell(l, t, "%s", b->origin);
		cell(l, t, "%s", L(l, b->notice_type));
		cell(l, t, "%s", b->disease);
		cell(l, t, "%s", b->species);
		cell(l, t, "%s", b->place);
		cell(l, t, "%u", (unsigned)b->cases);
		cell(l, t, "%u", (unsigned)b->deaths);
		cell(l, t, "%u", (unsigned)b->destroyed);
	}
	if (r->outbreaks_total > r->n_outbreaks)
		snprintf(t->note, sizeof t->note, "%s %zu", L(l, "report.more_outbreaks"),
			 r->outbreaks_total - r->n_outbreaks);
}

static void cases(struct layout *l, const struct fsb_report *r)
{
	struct table *t = table(l, "report.s.cases", "report.t.cases", "report.none", 6, 0x3E,
				"report.c.origin", "report.c.opened", "report.c.closed",
				"report.c.withdrawn", "report.c.open", "report.c.overdue");
	for (size_t i = 0; i < r->n_cases; i++) {
		const struct fsb_report_cases *c = &r->cases[i];
		if (i + 1 == r->n_cases && r->n_cases == 1)
			break; /* no origin: no total either */
		cell(l, t, "%s", c->origin[0] ? c->origin : L(l, "report.all"));
		cell(l, t, "%zu", c->opened);
		cell(l, t, "%zu", c->closed);
		cell(l, t, "%zu", c->withdrawn);
		cell(l, t, "%zu", c->open);
		cell(l, t, "%zu", c->overdue);
	}
	snprintf(t->note, sizeof t->note, "%s", L(l, "report.cases_note"));
}

static void certificates(struct layout *l, const struct fsb_report *r)
{
	struct table *t = table(l, "report.s.chains", "report.t.schemes", "report.none", 6, 0x3E,
				"report.c.scheme", "report.c.in_force", "report.c.not_yet_valid",
				"report.c.suspended", "report.c.withdrawn_cert", "report.c.expired");
	for (size_t i = 0; i < r->n_schemes; i++) {
		const struct fsb_report_scheme *s = &r->schemes[i];
		cell(l, t, "%s%s", s->scheme ? L(l, s->scheme) : L(l, "report.not_given"),
		     s->international ? " *" : "");
		cell(l, t, "%zu", s->in_force);
		cell(l, t, "%zu", s->not_yet_valid);
		cell(l, t, "%zu", s->suspended);
		cell(l, t, "%zu", s->withdrawn);
		cell(l, t, "%zu", s->expired);
	}
	snprintf(t->note, sizeof t->note, "%s", L(l, "report.international_note"));
	t = table(l, NULL, "report.t.chains", "chains.none", 6, 0x1C, "report.c.chain",
		  "report.c.chain_name", "report.c.members", "report.c.in_force", "report.c.safe",
		  "report.c.international");
	const struct fsb_chains *c = &r->chains;
	for (size_t i = 0; i < c->n; i++) {
		cell(l, t, "%s", c->chains[i].id);
		cell(l, t, "%s", c->chains[i].name);
		cell(l, t, "%zu", c->chains[i].n_members);
		cell(l, t, "%zu", c->chains[i].in_force);
		cell(l, t, "%s", L(l, c->chains[i].safe ? "report.yes" : "report.no"));
		cell(l, t, "%s", L(l, c->chains[i].international ? "report.yes" : "report.no"));
	}
	t = table(l, NULL, "chains.targets", NULL, 4, 0x6, "report.c.target", "report.c.reached",
		  "report.c.wanted", "report.c.result");
	cell(l, t, "%s", L(l, "chains.target_chains"));
	cell(l, t, "%zu", c->safe);
	cell(l, t, "%d", FSB_TARGET_CHAINS);
	cell(l, t, "%s", L(l, c->chains_met ? "chains.met" : "chains.not_met"));
	cell(l, t, "%s", L(l, "chains.target_international"));
	cell(l, t, "%zu", c->international);
	cell(l, t, "%d", FSB_TARGET_INTERNATIONAL);
	cell(l, t, "%s", L(l, c->international_met ? "chains.met" : "chains.not_met"));
}

static void exchange(struct layout *l, const struct fsb_report *r)
{
	struct table *t = table(l, "report.s.exchange", "report.t.messages", "report.none", 9, 0x1FE,
				"report.c.origin", "report.c.messages", "kind.surveillance",
				"kind.quarantine", "kind.recall", "kind.followup", "kind.certification",
				"report.c.lag_median", "report.c.lag_max");
	static const enum fsb_kind kinds[] = {FSB_KIND_SURVEILLANCE, FSB_KIND_QUARANTINE,
					      FSB_KIND_RECALL, FSB_KIND_FOLLOWUP,
					      FSB_KIND_CERTIFICATION};
	for (size_t i = 0; i < r->n_by_origin; i++) {
		const struct fsb_report_origin *o = &r->by_origin[i];
		cell(l, t, "%s", o->origin);
		cell(l, t, "%zu", o->messages);
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
			cell(l, t, "%zu", o->by_kind[kinds[k]]);
		dur(l, t, &o->lag, 0, SECOND);
		dur(l, t, &o->lag, 1, SECOND);
	}
	snprintf(t->note, sizeof t->note, "%s", L(l, "report.lag_note"));
	t = table(l, NULL, "report.t.peers", "report.no_peers", 4, 0xC, "report.c.peer",
		  "report.c.checkpoint", "report.c.sent", "report.c.delivered");
	for (size_t i = 0; i < r->n_peers; i++) {
		const struct fsb_report_peer *p = &r->peers[i];
		char when[FSB_LOCAL_TIME_MAX + 1] = "-";
		if (p->checkpoint_ms != INT64_MIN)
			fsb_fmt_local_time(p->checkpoint_ms, when);
		cell(l, t, "%s", p->peer);
		cell(l, t, "%s", when);
		cell(l, t, "%zu", p->sent);
		cell(l, t, "%zu", p->delivered);
	}
}

static void lay_out(struct layout *l, const struct fsb_report *r, enum fsb_lang lang, int comma)
{
	memset(l, 0, sizeof *l);
	l->lang = lang;
	l->comma = comma;
	surveillance(l, r);
	recalls(l, r);
	quarantine(l, r);
	cases(l, r);
	certificates(l, r);
	exchange(l, r);
}

/* ---- the heading ---------------------------------------------------------------- */

static void period_line(struct fsb_out *o, const struct fsb_report *r, enum fsb_lang lang)
{
	/* Dates as the provinces write them: DD/MM/YYYY. */
	fsb_out_printf(o, "%s %.2s/%.2s/%.4s %s %.2s/%.2s/%.4s", fsb_label(lang, "report.from"),
		       r->period.from + 8, r->period.from + 5, r->period.from,
		       fsb_label(lang, "report.to"), r->period.to + 8, r->period.to + 5, r->period.to);
}

/* The origins the report covers, through put (escaping for its format). */
static void origins_list(struct fsb_out *o, const struct fsb_report *r, enum fsb_lang lang,
			 void (*put)(struct fsb_out *, const char *))
{
	if (!r->n_origins)
		put(o, fsb_label(lang, "report.every_origin"));
	for (size_t i = 0; i < r->n_origins; i++) {
		if (i)
			fsb_out_puts(o, ", ");
		put(o, r->origins[i]);
	}
}

static const char *issuer(const struct fsb_report *r, const struct fsb_report_issuer *by)
{
	return by && by->unit && by->unit[0] ? by->unit : r->node;
}

/* ---- text ------------------------------------------------------------------------- */

static void text_table(struct fsb_out *o, const struct layout *l, const struct table *t)
{
	if (t->section)
		fsb_out_printf(o, "\n== %s ==\n", L(l, t->section));
	fsb_out_printf(o, "\n%s\n", L(l, t->title));
	size_t rows = t->cols ? t->n / t->cols : 0;
	if (!rows && t->empty) {
		fsb_out_printf(o, "  %s\n", L(l, t->empty));
	} else {
		size_t w[COLS_MAX];
		for (size_t c = 0; c < t->cols; c++)
			w[c] = fsb_out_width(L(l, t->head[c]));
		for (size_t i = 0; i < t->n; i++)
			if (fsb_out_width(t->cells[i]) > w[i % t->cols])
				w[i % t->cols] = fsb_out_width(t->cells[i]);
		fsb_out_puts(o, "  ");
		for (size_t c = 0; c < t->cols; c++)
			fsb_out_cell(o, L(l, t->head[c]), c + 1 < t->cols ? w[c] + 2 : 0);
		fsb_out_puts(o, "\n");
		for (size_t i = 0; i < t->n; i++) {
			size_t c = i % t->cols;
			if (c == 0)
				fsb_out_puts(o, "  ");
			if (t->numeric & (1u << c)) /* figures line up on the right */
				for (size_t k = fsb_out_width(t->cells[i]); k < w[c]; k++)
					fsb_out_puts(o, " ");
			fsb_out_cell(o, t->cells[i],
				     c + 1 == t->cols ? 0 : (t->numeric & (1u << c)) ? 0 : w[c]);
			fsb_out_puts(o, c + 1 == t->cols ? "\n" : "  ");
		}
	}
	if (t->note[0])
		fsb_out_printf(o, "  (%s)\n", t->note);
}

void fsb_render_report_text(struct fsb_out *o, const struct fsb_report *r,
			    const struct fsb_report_issuer *by, enum fsb_lang lang)
{
	struct layout l;
	lay_out(&l, r, lang, lang == FSB_LANG_VI);
	fsb_out_printf(o, "%s\n", fsb_label(lang, "report.title"));
	period_line(o, r, lang);
	fsb_out_puts(o, "\n");
	fsb_out_printf(o, "%s: ", fsb_label(lang, "report.issuer"));
	fsb_out_text(o, issuer(r, by));
	fsb_out_printf(o, " (%s)\n", r->node);
	fsb_out_printf(o, "%s: ", fsb_label(lang, "report.origins"));
	origins_list(o, r, lang, fsb_out_text);
	fsb_out_printf(o, "\n%s: ", fsb_label(lang, "report.made"));
	fsb_out_local_time(o, r->made_ms);
	fsb_out_printf(o, "\n%s: %zu", fsb_label(lang, "report.messages"), r->messages);
	if (!r->messages)
		fsb_out_printf(o, " (%s)", fsb_label(lang, "report.empty"));
	fsb_out_puts(o, "\n");
	for (size_t i = 0; i < l.n; i++)
		text_table(o, &l, &l.t[i]);
	if (l.failed)
		o->failed = 1;
	layout_clear(&l);
}

/* ---- CSV ----------------------------------------------------------------------------- */

static void csv_row2(struct fsb_out *o, const char *a, const char *b)
{
	fsb_out_csv(o, a, FSB_CSV_SPREADSHEET);
	fsb_out_csv_end(o, 0);
	fsb_out_csv(o, b, FSB_CSV_SPREADSHEET);
	fsb_out_csv_end(o, 1);
}

void fsb_render_report_csv(struct fsb_out *o, const struct fsb_report *r,
			   const struct fsb_report_issuer *by, enum fsb_lang lang)
{
	struct layout l;
	lay_out(&l, r, lang, 0);
	fsb_out_csv_bom(o);
	fsb_out_csv(o, fsb_label(lang, "report.title"), 0);
	fsb_out_csv_end(o, 1);
	csv_row2(o, fsb_label(lang, "report.from"), r->period.from);
	csv_row2(o, fsb_label(lang, "report.to"), r->period.to);
	csv_row2(o, fsb_label(lang, "report.issuer"), issuer(r, by));
	csv_row2(o, fsb_label(lang, "report.node"), r->node);
	struct fsb_out origins;
	fsb_out_init(&origins);
	origins_list(&origins, r, lang, fsb_out_puts);
	csv_row2(o, fsb_label(lang, "report.origins"), origins.buf ? origins.buf : "");
	o->failed |= origins.failed;
	fsb_out_clear(&origins);
	char made[FSB_LOCAL_TIME_MAX + 1];
	fsb_fmt_local_time(r->made_ms, made);
	csv_row2(o, fsb_label(lang, "report.made"), made);
	char n[32];
	snprintf(n, sizeof n, "%zu", r->messages);
	csv_row2(o, fsb_label(lang, "report.messages"), n);
	const char *section = "";
	for (size_t i = 0; i < l.n; i++) {
		const struct table *t = &l.t[i];
		section = t->section ? L(&l, t->section) : section;
		fsb_out_puts(o, "\r\n");
		char title[256];
		snprintf(title, sizeof title, "%s: %s", section, L(&l, t->title));
		fsb_out_csv(o, title, FSB_CSV_SPREADSHEET);
		fsb_out_csv_end(o, 1);
		for (size_t c = 0; c < t->cols; c++) {
			fsb_out_csv(o, L(&l, t->head[c]), FSB_CSV_SPREADSHEET);
			fsb_out_csv_end(o, c + 1 == t->cols);
		}
		for (size_t k = 0; k < t->n; k++) {
			fsb_out_csv(o, t->cells[k], FSB_CSV_SPREADSHEET);
			fsb_out_csv_end(o, (k + 1) % t->cols == 0);
		}
		if (t->note[0]) {
			fsb_out_csv(o, t->note, FSB_CSV_SPREADSHEET);
			fsb_out_csv_end(o, 1);
		}
	}
	if (l.failed)
		o->failed = 1;
	layout_clear(&l);
}

/* ---- HTML ------------------------------------------------------------------------------ */

static const char css[] =
	"@page{size:A4;margin:18mm 15mm 18mm 20mm}"
	"body{font-family:'Times New Roman',Times,'DejaVu Serif',serif;font-size:11pt;color:#000;"
	"max-width:180mm;margin:0 auto}"
	".nat{display:flex;justify-content:space-between;gap:6mm;text-align:center;font-size:10.5pt}"
	".nat>div:first-child{flex:1}.nat>div:last-child{white-space:nowrap}"
	".nat b{display:block}.nat u{text-decoration:none;border-bottom:1px solid #000}"
	"h1{text-align:center;font-size:14pt;margin:10mm 0 2mm}"
	".sub{text-align:center;margin:0 0 6mm}"
	".meta{margin:0 0 4mm;font-size:10.5pt}.meta div{margin:1mm 0}"
	"h2{font-size:12pt;margin:6mm 0 2mm;break-after:avoid}"
	"h3{font-size:11pt;font-style:italic;font-weight:normal;margin:3mm 0 1mm;break-after:avoid}"
	"table{border-collapse:collapse;width:100%;font-size:9.5pt;margin:0 0 2mm}"
	"th,td{border:1px solid #555;padding:1mm 1.5mm;vertical-align:top}"
	"th{background:#eee;font-weight:bold;text-align:center}"
	"td.n{text-align:right;white-space:nowrap}tr{break-inside:avoid}"
	".note{font-size:9pt;font-style:italic;margin:0 0 3mm}"
	".empty{font-style:italic}"
	"svg{display:block;margin:2mm auto 4mm;break-inside:avoid}"
	".sign{margin-top:12mm;display:flex;justify-content:flex-end;text-align:center}"
	".sign div{width:70mm}";

static void html_table(struct fsb_out *o, const struct layout *l, const struct table *t)
{
	if (t->section) {
		fsb_out_puts(o, "<h2>");
		fsb_out_html(o, L(l, t->section));
		fsb_out_puts(o, "</h2>\n");
	}
	fsb_out_puts(o, "<h3>");
	fsb_out_html(o, L(l, t->title));
	fsb_out_puts(o, "</h3>\n");
	if (!t->n && t->empty) {
		fsb_out_puts(o, "<p class=\"empty\">");
		fsb_out_html(o, L(l, t->empty));
		fsb_out_puts(o, "</p>\n");
	} else {
		fsb_out_puts(o, "<table><thead><tr>");
		for (size_t c = 0; c < t->cols; c++) {
			fsb_out_puts(o, "<th>");
			fsb_out_html(o, L(l, t->head[c]));
			fsb_out_puts(o, "</th>");
		}
		fsb_out_puts(o, "</tr></thead><tbody>\n");
		for (size_t k = 0; k < t->n; k++) {
			size_t c = k % t->cols;
			fsb_out_puts(o, c == 0 ? "<tr>" : "");
			fsb_out_puts(o, t->numeric & (1u << c) ? "<td class=\"n\">" : "<td>");
			fsb_out_html(o, t->cells[k]);
			fsb_out_puts(o, c + 1 == t->cols ? "</td></tr>\n" : "</td>");
		}
		fsb_out_puts(o, "</tbody></table>\n");
	}
	if (t->note[0]) {
		fsb_out_puts(o, "<p class=\"note\">");
		fsb_out_html(o, t->note);
		fsb_out_puts(o, "</p>\n");
	}
}

/* A horizontal bar chart: one bar per row, its length value/max of the
 * width, the label on the left and the figure on the right. */
struct bar {
	char label[FSB_ORIGIN_MAX + 96];
	double value;
	char figure[32];
};

static void bar_chart(struct fsb_out *o, const char *title, const struct bar *b, size_t n)
{
	if (!n)
		return;
	double max = 0;
	for (size_t i = 0; i < n; i++)
		max = b[i].value > max ? b[i].value : max;
	const int label_w = 230, bar_w = 330, row_h = 18, top = 22;
	int h = top + (int)n * row_h + 6;
	fsb_out_printf(o,
		       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%d\" "
		       "viewBox=\"0 0 640 %d\" role=\"img\" font-family=\"serif\" font-size=\"11\">"
		       "<text x=\"0\" y=\"13\" font-weight=\"bold\">",
		       h, h);
	fsb_out_html(o, title);
	fsb_out_puts(o, "</text>");
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * row_h;
		int w = max > 0 ? (int)(b[i].value / max * bar_w + 0.5) : 0;
		fsb_out_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 12);
		fsb_out_html(o, b[i].label);
		fsb_out_printf(o, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			       "fill=\"#4a6fa5\"/><text x=\"%d\" y=\"%d\">",
			       label_w, y + 2, w, row_h - 5, label_w + w + 4, y + 12);
		fsb_out_html(o, b[i].figure);
		fsb_out_puts(o, "</text>");
	}
	fsb_out_puts(o, "<line x1=\"230\" y1=\"20\" x2=\"230\" stroke=\"#000\" ");
	fsb_out_printf(o, "y2=\"%d\"/></svg>\n", h - 4);
}

/* Non-compliance by origin and category (the origins' totals left out). */
static void surv_chart(struct fsb_out *o, const struct layout *l, const struct fsb_report *r)
{
	struct bar *b = calloc(r->n_surv ? r->n_surv : 1, sizeof *b);
	if (!b) {
		o->failed = 1;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < r->n_surv; i++) {
		const struct fsb_report_surv *s = &r->surv[i];
		if (s->total)
			continue;
		snprintf(b[n].label, sizeof b[n].label, "%s · %s", s->origin,
			 s->category ? L(l, s->category) : L(l, "report.not_given"));
		b[n].value = s->r.rate;
		decimal(l, s->r.rate, b[n].figure, sizeof b[n].figure - 2);
		strcat(b[n].figure, " %");
		n++;
	}
	bar_chart(o, L(l, "report.chart.rate"), b, n);
	free(b);
}

/* Median hours from detection, by class: to notification, acknowledgement, closure. */
static void recall_chart(struct fsb_out *o, const struct layout *l, const struct fsb_report *r)
{
	struct bar b[3 * 8];
	size_t n = 0;
	for (size_t i = 0; i < r->n_timeliness && n + 3 <= sizeof b / sizeof b[0]; i++) {
		const struct fsb_report_timeliness *k = &r->timeliness[i];
		const char *cls = i + 1 == r->n_timeliness ? L(l, "report.all")
				  : k->recall_class ? L(l, k->recall_class) : L(l, "report.not_given");
		const struct fsb_durations *d[] = {&k->notify, &k->ack, &k->close};
		const char *what[] = {"report.chart.notify", "report.chart.ack", "report.chart.close"};
		for (size_t j = 0; j < 3; j++) {
			if (!d[j]->n)
				continue;
			snprintf(b[n].label, sizeof b[n].label, "%s · %s", cls, L(l, what[j]));
			b[n].value = (double)d[j]->median_ms / HOUR;
			decimal(l, b[n].value, b[n].figure, sizeof b[n].figure - 3);
			strcat(b[n].figure, " h");
			n++;
		}
	}
	bar_chart(o, L(l, "report.chart.hours"), b, n);
}

void fsb_render_report_html(struct fsb_out *o, const struct fsb_report *r,
			    const struct fsb_report_issuer *by, enum fsb_lang lang)
{
	struct layout l;
	lay_out(&l, r, lang, lang == FSB_LANG_VI);
	fsb_out_printf(o, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		       "<title>", lang == FSB_LANG_EN ? "en" : "vi");
	fsb_out_html(o, fsb_label(lang, "report.title"));
	fsb_out_printf(o, " %s – %s</title><style>%s</style></head><body>\n", r->period.from,
		       r->period.to, css);
	/* The heading of an official report: the issuing unit on the left, the
	 * national motto on the right. */
	fsb_out_puts(o, "<div class=\"nat\"><div><b>");
	fsb_out_html(o, issuer(r, by));
	fsb_out_printf(o, "</b>(%s)</div><div><b>", r->node);
	fsb_out_html(o, fsb_label(lang, "report.nation"));
	fsb_out_puts(o, "</b><u>");
	fsb_out_html(o, fsb_label(lang, "report.motto"));
	fsb_out_puts(o, "</u></div></div>\n<h1>");
	fsb_out_html(o, fsb_label(lang, "report.title"));
	fsb_out_puts(o, "</h1>\n<p class=\"sub\">");
	period_line(o, r, lang);
	fsb_out_puts(o, "</p>\n<div class=\"meta\"><div>");
	fsb_out_html(o, fsb_label(lang, "report.recipient"));
	fsb_out_puts(o, "</div><div>");
	fsb_out_printf(o, "%s: ", fsb_label(lang, "report.origins"));
	origins_list(o, r, lang, fsb_out_html);
	fsb_out_printf(o, "</div><div>%s: ", fsb_label(lang, "report.made"));
	fsb_out_local_time(o, r->made_ms);
	fsb_out_printf(o, "</div><div>%s: %zu", fsb_label(lang, "report.messages"), r->messages);
	if (!r->messages) {
		fsb_out_puts(o, " (");
		fsb_out_html(o, fsb_label(lang, "report.empty"));
		fsb_out_puts(o, ")");
	}
	fsb_out_puts(o, "</div></div>\n");
	for (size_t i = 0; i < l.n; i++) {
		html_table(o, &l, &l.t[i]);
		if (l.t[i].title && strcmp(l.t[i].title, "report.t.surv_by_category") == 0)
			surv_chart(o, &l, r);
		if (l.t[i].title && strcmp(l.t[i].title, "report.t.timeliness") == 0)
			recall_chart(o, &l, r);
	}
	fsb_out_puts(o, "<div class=\"sign\"><div><b>");
	fsb_out_html(o, fsb_label(lang, "report.signature"));
	fsb_out_puts(o, "</b><br><br><br><br>");
	fsb_out_html(o, issuer(r, by));
	fsb_out_puts(o, "</div></div>\n</body></html>\n");
	if (l.failed)
		o->failed = 1;
	layout_clear(&l);
}
