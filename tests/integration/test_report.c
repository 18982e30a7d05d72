/* test_report.c - the programme report on a season of real data: the
 * season generator (tests/season) writes both nodes' stores and a record
 * of what it wrote; both nodes run on a real Mosquitto and exchange their
 * checkpoints; then `fsbridge report` at each, as text, CSV and HTML, must
 * say exactly what this test adds up from the record with its own code.
 * The HTML is printed to PDF by a real Chromium (headless) and read back
 * with pdftotext; a screenshot is kept in build/tests/artefacts/.
 *
 * Every figure compared is computed here, from the record: counts, rates
 * (percent, one decimal), medians (of two middle values their mean, to the
 * millisecond) and maxima in hours or seconds.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "harness.h"
#include "labels.h"
#include "../unit/helpers.h"

#define WAIT_MS 30000

static char dir[64];
static struct broker broker;
static struct node longan, cantho;
static json_t *record;

static const char *L(const char *key)
{
	return fsb_label(FSB_LANG_EN, key);
}

/* The season: both stores and the record, before the nodes start. */
static void setup(void)
{
	h_setup(dir, &broker, &longan, &cantho);
	char out[160];
	snprintf(out, sizeof out, "%s/season.json", dir);
	cr_assert_eq(th_sh("%s %s %s %s %s >%s/season.log 2>&1", FSB_SEASON, longan.conf, cantho.conf,
			   out, EXAMPLES_DIR, dir),
		     0, "the season generator failed (%s/season.log)", dir);
	json_error_t e;
	record = json_load_file(out, 0, &e);
	cr_assert(record, "%s: %s", out, e.text);
}

static void teardown(void)
{
	json_decref(record);
	record = NULL;
	h_teardown(dir, &broker);
}

TestSuite(reporting, .init = setup, .fini = teardown);

/* ---- reading the outputs into tables ------------------------------------------- */

/* A table: its title, its rows (each cell list joined by "|", empty cells
 * left out, so that the three formats compare alike). */
struct table {
	char title[512];
	char **rows;
	size_t n;
};

struct tables {
	struct table t[32];
	size_t n;
};

static void add_row(struct table *t, char **cells, size_t n)
{
	char row[2048] = "";
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!cells[i][0])
			continue;
		len += (size_t)snprintf(row + len, sizeof row - len, "%s%s", len ? "|" : "", cells[i]);
	}
	t->rows = realloc(t->rows, (t->n + 1) * sizeof *t->rows);
	t->rows[t->n++] = strdup(row);
}

static struct table *find(struct tables *ts, const char *title)
{
	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].title, title) == 0)
			return &ts->t[i];
	cr_assert_fail("no table \"%s\"", title);
	return NULL;
}

static void tables_free(struct tables *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		for (size_t k = 0; k < ts->t[i].n; k++)
			free(ts->t[i].rows[k]);
		free(ts->t[i].rows);
	}
	memset(ts, 0, sizeof *ts);
}

/* One CSV record from *p (RFC 4180), into cells; 0 at the end. */
static size_t csv_record(const char **p, char cells[][512], size_t max)
{
	const char *s = *p;
	if (!*s)
		return 0;
	size_t n = 0, len = 0;
	int quoted = 0;
	cells[0][0] = '\0';
	for (;; s++) {
		if (quoted) {
			if (*s == '"' && s[1] == '"') {
				cells[n][len++] = '"';
				s++;
			} else if (*s == '"') {
				quoted = 0;
			} else {
				cr_assert(*s, "a quoted CSV field runs to the end");
				cells[n][len++] = *s;
			}
		} else if (*s == '"') {
			quoted = 1;
		} else if (*s == ',') {
			cells[n][len] = '\0';
			cr_assert_lt(++n, max);
			len = 0;
		} else if (*s == '\r' && s[1] == '\n') {
			s += 2;
			break;
		} else {
			cr_assert(*s && *s != '\n', "a CSV row does not end in CRLF");
			cells[n][len++] = *s;
		}
		cr_assert_lt(len, 511);
	}
	cells[n][len] = '\0';
	*p = s;
	return n + 1;
}

/* The CSV: a heading block, then tables, each after a blank line: its
 * title ("SECTION: TITLE"), its columns, its rows, perhaps a note (one
 * field). */
static void read_csv(const char *text, struct tables *ts)
{
	cr_assert_eq(strncmp(text, "\xEF\xBB\xBF", 3), 0, "the CSV starts with a byte-order mark");
	const char *p = text + 3;
	static char cells[16][512];
	char *ptrs[16];
	for (int i = 0; i < 16; i++)
		ptrs[i] = cells[i];
	size_t n, cols = 0;
	struct table *t = NULL;
	int state = 0; /* 0: heading, 1: title next, 2: columns next, 3: rows */
	while ((n = csv_record(&p, cells, 16))) {
		if (n == 1 && !cells[0][0]) {
			state = 1;
			continue;
		}
		if (state == 1) {
			cr_assert_lt(ts->n, 32);
			t = &ts->t[ts->n++];
			const char *colon = strstr(cells[0], ": ");
			snprintf(t->title, sizeof t->title, "%s", colon ? colon + 2 : cells[0]);
			state = 2;
		} else if (state == 2) {
			cols = n;
			state = 3;
		} else if (state == 3 && n == cols) {
			add_row(t, ptrs, n);
		}
	}
}

static void unescape(char *s)
{
	static const char *const ent[][2] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
					     {"&quot;", "\""}, {"&#39;", "'"}};
	char *w = s;
	for (char *r = s; *r;) {
		size_t i;
		for (i = 0; i < 5; i++)
			if (strncmp(r, ent[i][0], strlen(ent[i][0])) == 0)
				break;
		if (i < 5) {
			*w++ = ent[i][1][0];
			r += strlen(ent[i][0]);
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* The HTML: each <h3> title, then its <table>'s body rows. */
static void read_html(const char *html, struct tables *ts)
{
	static char cells[16][512];
	char *ptrs[16];
	for (int i = 0; i < 16; i++)
		ptrs[i] = cells[i];
	for (const char *h = strstr(html, "<h3>"); h; h = strstr(h, "<h3>")) {
		h += 4;
		const char *e = strstr(h, "</h3>");
		cr_assert_not_null(e);
		cr_assert_lt(ts->n, 32);
		struct table *t = &ts->t[ts->n++];
		snprintf(t->title, sizeof t->title, "%.*s", (int)(e - h), h);
		unescape(t->title);
		const char *next = strstr(e, "<h3>");
		const char *body = strstr(e, "<tbody>");
		if (!body || (next && body > next))
			continue;
		const char *end = strstr(body, "</tbody>");
		for (const char *r = strstr(body, "<tr>"); r && r < end; r = strstr(r, "<tr>")) {
			const char *re = strstr(r, "</tr>");
			size_t n = 0;
			for (const char *c = strstr(r, "<td"); c && c < re; c = strstr(c, "<td")) {
				c = strchr(c, '>') + 1;
				const char *ce = strstr(c, "</td>");
				snprintf(cells[n], sizeof cells[n], "%.*s", (int)(ce - c), c);
				unescape(cells[n]);
				n++;
				c = ce;
			}
			add_row(t, ptrs, n);
			r = re;
		}
	}
}

/* The text: a title line, a line of columns, rows indented by two spaces
 * with cells apart by two or more, a note in parentheses. */
static void read_text(const char *text, const struct tables *titles, struct tables *ts)
{
	char *copy = strdup(text), *save = NULL;
	struct table *t = NULL;
	int columns_next = 0;
	static char cells[16][512];
	char *ptrs[16];
	for (int i = 0; i < 16; i++)
		ptrs[i] = cells[i];
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int is_title = 0;
		for (size_t i = 0; i < titles->n && !is_title; i++)
			is_title = strcmp(line, titles->t[i].title) == 0;
		if (is_title) {
			cr_assert_lt(ts->n, 32);
			t = &ts->t[ts->n++];
			snprintf(t->title, sizeof t->title, "%s", line);
			columns_next = 1;
			continue;
		}
		if (!t || strncmp(line, "  ", 2) != 0 || line[2] == '(' || line[0] == '=') {
			if (strncmp(line, "  ", 2) != 0)
				t = NULL;
			continue;
		}
		if (columns_next) {
			columns_next = 0;
			continue;
		}
		size_t n = 0;
		for (char *c = line + 2; *c;) {
			while (*c == ' ')
				c++;
			if (!*c)
				break;
			char *end = strstr(c, "  ");
			size_t len = end ? (size_t)(end - c) : strlen(c);
			snprintf(cells[n++], 512, "%.*s", (int)len, c);
			c += len;
		}
		add_row(t, ptrs, n);
	}
	free(copy);
}

/* ---- what the record says ------------------------------------------------------- */

static int64_t ms_of(const char *date, int last)
{
	int y, m, d;
	cr_assert_eq(sscanf(date, "%d-%d-%d", &y, &m, &d), 3);
	int64_t start = fsb_fmt_time_ms(y, m, d, 0, 0, 0) - 7 * 3600 * 1000LL;
	return last ? start + 24 * 3600 * 1000LL - 1 : start;
}

static const char *s(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static int64_t i(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static int has(json_t *o, const char *key)
{
	return json_object_get(o, key) != NULL;
}

/* The rows a table should hold, accumulated by key. */
struct expect {
	char key[256];
	int64_t v[12];
	int64_t *d[4]; /* durations, for medians */
	size_t nd[4];
};

struct expects {
	struct expect *e;
	size_t n;
};

static struct expect *ex(struct expects *x, const char *key)
{
	for (size_t k = 0; k < x->n; k++)
		if (strcmp(x->e[k].key, key) == 0)
			return &x->e[k];
	x->e = realloc(x->e, (x->n + 1) * sizeof *x->e);
	struct expect *e = &x->e[x->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->key, sizeof e->key, "%s", key);
	return e;
}

static void dur_add(struct expect *e, int which, int64_t ms)
{
	e->d[which] = realloc(e->d[which], (e->nd[which] + 1) * sizeof(int64_t));
	e->d[which][e->nd[which]++] = ms;
}

static void expects_free(struct expects *x)
{
	for (size_t k = 0; k < x->n; k++)
		for (int j = 0; j < 4; j++)
			free(x->e[k].d[j]);
	free(x->e);
	memset(x, 0, sizeof *x);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* "median|max" of e's durations `which`, in units of `per` ms; "-|-" when none. */
static void med_max(struct expect *e, int which, double per, char *out, size_t n)
{
	size_t k = e->nd[which];
	if (!k) {
		snprintf(out, n, "-|-");
		return;
	}
	int64_t *v = e->d[which];
	qsort(v, k, sizeof *v, cmp64);
	int64_t med = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	snprintf(out, n, "%.1f|%.1f", (double)med / per, (double)v[k - 1] / per);
}

static void rate(char *out, size_t n, int64_t samples, int64_t nc)
{
	snprintf(out, n, "%.1f", samples ? 100.0 * (double)nc / (double)samples : 0.0);
}

/* Expects table t to hold exactly the rows in want (any order). */
static void same_rows(const struct table *t, char **want, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int found = 0;
		for (size_t r = 0; r < t->n && !found; r++)
			found = strcmp(t->rows[r], want[k]) == 0;
		cr_expect(found, "%s: no row \"%s\"", t->title, want[k]);
	}
	cr_expect_eq(t->n, n, "%s: %zu rows, the record makes %zu", t->title, t->n, n);
	if (t->n != n)
		for (size_t r = 0; r < t->n; r++)
			cr_log_info("%s: row %s", t->title, t->rows[r]);
}

struct rows {
	char **r;
	size_t n;
};

static void row(struct rows *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row(struct rows *rs, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* empty cells are left out, as in the tables read */
	char clean[2048] = "";
	size_t len = 0;
	for (char *save = NULL, *c = strtok_r(buf, "|", &save); c; c = strtok_r(NULL, "|", &save))
		len += (size_t)snprintf(clean + len, sizeof clean - len, "%s%s", len ? "|" : "", c);
	memcpy(buf, clean, len + 1);
	rs->r = realloc(rs->r, (rs->n + 1) * sizeof *rs->r);
	rs->r[rs->n++] = strdup(buf);
}

static void rows_check(const struct table *t, struct rows *rs)
{
	same_rows(t, rs->r, rs->n);
	for (size_t k = 0; k < rs->n; k++)
		free(rs->r[k]);
	free(rs->r);
	memset(rs, 0, sizeof *rs);
}

static int in(const char *origin, const char *const *origins, size_t n)
{
	if (!n)
		return 1;
	for (size_t k = 0; k < n; k++)
		if (strcmp(origin, origins[k]) == 0)
			return 1;
	return 0;
}

/* Checks every table of a report (read from CSV) made at node `at` over
 * [from, to] and origins against the record. */
static void check_figures(struct tables *ts, const char *at, const char *from, const char *to,
			  const char *const *origins, size_t n_origins)
{
	int64_t lo = ms_of(from, 0), hi = ms_of(to, 1);
	json_t *msgs = json_object_get(record, "messages");
	struct expects surv = {0}, haz = {0}, rec = {0}, tim = {0}, notes = {0}, cases = {0},
		       byo = {0};
	int64_t total_s = 0, total_nc = 0, recalls = 0, notices = 0, outbreaks = 0, own = 0;
	size_t k;
	json_t *m;
	/* who acknowledged and closed what: the record's root carries it */
	json_array_foreach(msgs, k, m) {
		int64_t t = i(m, "t");
		if (t < lo || t > hi || !in(s(m, "origin"), origins, n_origins))
			continue;
		const char *origin = s(m, "origin"), *kind = s(m, "kind");
		struct expect *o = ex(&byo, origin);
		o->v[0]++;
		static const char *const kinds[] = {"surveillance", "quarantine", "recall", "followup",
						    "certification"};
		for (int j = 0; j < 5; j++)
			o->v[1 + j] += strcmp(kind, kinds[j]) == 0;
		if (strcmp(origin, at) != 0)
			dur_add(o, 0, i(m, "lag"));
		else
			own++;
		int withdrawn = json_is_true(json_object_get(m, "withdrawn"));
		if (json_is_true(json_object_get(m, "alerting"))) {
			struct expect *c = ex(&cases, origin);
			c->v[0]++;
			int closed = has(m, "close_t");
			c->v[1] += closed;
			c->v[2] += withdrawn;
			int open = !closed && !withdrawn;
			c->v[3] += open;
			c->v[4] += open && !has(m, "ack_t");
		}
		if (withdrawn)
			continue;
		if (strcmp(kind, "surveillance") == 0) {
			char key[128];
			snprintf(key, sizeof key, "%s|%s", origin, L(s(m, "category")));
			struct expect *e = ex(&surv, key);
			int nc = json_is_true(json_object_get(m, "nc"));
			e->v[0]++;
			e->v[1] += nc;
			snprintf(key, sizeof key, "%s|%s", origin, L("report.total"));
			e = ex(&surv, key);
			e->v[0]++;
			e->v[1] += nc;
			total_s++;
			total_nc += nc;
			size_t a;
			json_t *an;
			json_array_foreach(json_object_get(m, "analytes"), a, an) {
				const char *hz = json_string_value(json_array_get(an, 0));
				int fails = json_is_true(json_array_get(an, 2));
				snprintf(key, sizeof key, "%s|%s", L(hz), json_string_value(json_array_get(an, 1)));
				e = ex(&haz, key);
				e->v[0]++;
				e->v[1] += fails;
				snprintf(key, sizeof key, "%s|%s", L(hz), L("report.total"));
				e = ex(&haz, key);
				e->v[0]++;
				e->v[1] += fails;
			}
		} else if (strcmp(kind, "recall") == 0) {
			char key[256];
			snprintf(key, sizeof key, "%s|%s", L(s(m, "class")), L(s(m, "basis")));
			ex(&rec, key)->v[0]++;
			recalls++;
			const char *keys[] = {L(s(m, "class")), L("report.all")};
			for (int j = 0; j < 2; j++) {
				struct expect *e = ex(&tim, keys[j]);
				e->v[0]++;
				e->v[1]++;                     /* acknowledgements due: one province */
				e->v[2] += !has(m, "ack_t");   /* missing */
				e->v[3] += has(m, "close_t");  /* closed */
				if (!has(m, "detected"))
					continue;
				int64_t d = i(m, "detected");
				dur_add(e, 0, t - d);
				if (has(m, "ack_t"))
					dur_add(e, 1, i(m, "ack_t") - d);
				if (has(m, "close_t"))
					dur_add(e, 2, i(m, "close_t") - d);
			}
		} else if (strcmp(kind, "quarantine") == 0) {
			ex(&notes, L(s(m, "type")))->v[0]++;
			notices++;
			outbreaks += strstr(s(m, "type"), "OUTBREAK") != NULL;
		}
	}
	struct rows rs = {0};
	char r1[32], r2[64], r3[64], r4[64];
	/* I.1 surveillance by origin and category */
	for (k = 0; k < surv.n; k++) {
		rate(r1, sizeof r1, surv.e[k].v[0], surv.e[k].v[1]);
		row(&rs, "%s|%lld|%lld|%s", surv.e[k].key, (long long)surv.e[k].v[0],
		    (long long)surv.e[k].v[1], r1);
	}
	if (total_s) {
		rate(r1, sizeof r1, total_s, total_nc);
		row(&rs, "%s|%s|%lld|%lld|%s", L("report.all"), L("report.total"), (long long)total_s,
		    (long long)total_nc, r1);
	}
	rows_check(find(ts, L("report.t.surv_by_category")), &rs);
	/* I.2 by hazard group and analyte */
	for (k = 0; k < haz.n; k++) {
		rate(r1, sizeof r1, haz.e[k].v[0], haz.e[k].v[1]);
		row(&rs, "%s|%lld|%lld|%s", haz.e[k].key, (long long)haz.e[k].v[0],
		    (long long)haz.e[k].v[1], r1);
	}
	rows_check(find(ts, L("report.t.surv_by_hazard")), &rs);
	/* II.1 recalls by class and basis */
	for (k = 0; k < rec.n; k++)
		row(&rs, "%s|%lld", rec.e[k].key, (long long)rec.e[k].v[0]);
	if (recalls)
		row(&rs, "%s|%lld", L("report.all"), (long long)recalls);
	rows_check(find(ts, L("report.t.recalls_by_class")), &rs);
	/* II.2 timeliness */
	for (k = 0; k < tim.n; k++) {
		struct expect *e = &tim.e[k];
		med_max(e, 0, 3600000.0, r2, sizeof r2);
		med_max(e, 1, 3600000.0, r3, sizeof r3);
		med_max(e, 2, 3600000.0, r4, sizeof r4);
		row(&rs, "%s|%lld|%s|%s|%lld/%lld|%lld|%s", e->key, (long long)e->v[0], r2, r3,
		    (long long)e->v[2], (long long)e->v[1], (long long)e->v[3], r4);
	}
	rows_check(find(ts, L("report.t.timeliness")), &rs);
	/* III quarantine */
	for (k = 0; k < notes.n; k++)
		row(&rs, "%s|%lld", notes.e[k].key, (long long)notes.e[k].v[0]);
	if (notices)
		row(&rs, "%s|%lld", L("report.total"), (long long)notices);
	rows_check(find(ts, L("report.t.notices")), &rs);
	cr_expect_eq(find(ts, L("report.t.outbreaks"))->n, (size_t)outbreaks);
	/* IV cases: a row for every origin with messages in the period (or
	 * asked for), then the total */
	struct expect all = {0};
	struct expects who = {0};
	for (k = 0; k < byo.n; k++)
		ex(&who, byo.e[k].key);
	for (k = 0; k < n_origins; k++)
		ex(&who, origins[k]);
	for (k = 0; k < who.n; k++) {
		int64_t v[5] = {0};
		for (size_t c = 0; c < cases.n; c++)
			if (strcmp(cases.e[c].key, who.e[k].key) == 0)
				memcpy(v, cases.e[c].v, sizeof v);
		row(&rs, "%s|%lld|%lld|%lld|%lld|%lld", who.e[k].key, (long long)v[0], (long long)v[1],
		    (long long)v[2], (long long)v[3], (long long)v[4]);
		for (int j = 0; j < 5; j++)
			all.v[j] += v[j];
	}
	if (who.n)
		row(&rs, "%s|%lld|%lld|%lld|%lld|%lld", L("report.all"), (long long)all.v[0],
		    (long long)all.v[1], (long long)all.v[2], (long long)all.v[3], (long long)all.v[4]);
	rows_check(find(ts, L("report.t.cases")), &rs);
	expects_free(&who);
	/* V certificates by scheme, at the period's end (the season's plan) */
	if (strcmp(to, "2026-08-31") >= 0) {
		static const char *const intl[] = {"CERTIFICATION_SCHEME_GLOBALGAP", "CERTIFICATION_SCHEME_HACCP",
						   "CERTIFICATION_SCHEME_ISO_22000", "CERTIFICATION_SCHEME_BRC",
						   "CERTIFICATION_SCHEME_ASC", "CERTIFICATION_SCHEME_BAP"};
		static const char *const states[] = {"in_force", "not_yet_valid", "suspended", "withdrawn",
						     "expired"};
		struct expects sch = {0};
		json_array_foreach(json_object_get(record, "certificates"), k, m) {
			if (!in(s(m, "origin"), origins, n_origins))
				continue;
			char key[128];
			int international = 0;
			for (int j = 0; j < 6; j++)
				international |= strcmp(s(m, "scheme"), intl[j]) == 0;
			snprintf(key, sizeof key, "%s%s", L(s(m, "scheme")), international ? " *" : "");
			struct expect *e = ex(&sch, key);
			for (int j = 0; j < 5; j++)
				e->v[j] += strcmp(s(m, "state"), states[j]) == 0;
		}
		for (k = 0; k < sch.n; k++)
			row(&rs, "%s|%lld|%lld|%lld|%lld|%lld", sch.e[k].key, (long long)sch.e[k].v[0],
			    (long long)sch.e[k].v[1], (long long)sch.e[k].v[2], (long long)sch.e[k].v[3],
			    (long long)sch.e[k].v[4]);
		rows_check(find(ts, L("report.t.schemes")), &rs);
		json_t *ch = json_object_get(record, "chains");
		row(&rs, "%s|%lld|%d|%s", L("chains.target_chains"), (long long)i(ch, "safe"), 3,
		    L(i(ch, "safe") >= 3 ? "chains.met" : "chains.not_met"));
		row(&rs, "%s|%lld|%d|%s", L("chains.target_international"), (long long)i(ch, "international"),
		    1, L(i(ch, "international") >= 1 ? "chains.met" : "chains.not_met"));
		rows_check(find(ts, L("chains.targets")), &rs);
		expects_free(&sch);
	}
	/* VI the exchange: messages by origin, the lag of those received */
	for (k = 0; k < byo.n; k++) {
		struct expect *e = &byo.e[k];
		med_max(e, 0, 1000.0, r2, sizeof r2);
		row(&rs, "%s|%lld|%lld|%lld|%lld|%lld|%lld|%s", e->key, (long long)e->v[0], (long long)e->v[1],
		    (long long)e->v[2], (long long)e->v[3], (long long)e->v[4], (long long)e->v[5], r2);
	}
	for (k = 0; k < n_origins; k++) /* an origin asked for, with nothing in the period */
		if (!ex(&byo, origins[k])->v[0])
			row(&rs, "%s|0|0|0|0|0|0|-|-", origins[k]);
	rows_check(find(ts, L("report.t.messages")), &rs);
	/* ... and what the peer's checkpoint says it holds of ours */
	if (in(at, origins, n_origins)) {
		struct table *t = find(ts, L("report.t.peers"));
		cr_assert_eq(t->n, 1, "one peer");
		const char *peer = strcmp(at, "longan") == 0 ? "cantho" : "longan";
		char *last = strrchr(t->rows[0], '|');
		cr_expect_eq(strncmp(t->rows[0], peer, strlen(peer)), 0, "%s", t->rows[0]);
		char want[64];
		snprintf(want, sizeof want, "|%lld|%lld", (long long)own, (long long)own);
		cr_expect(last && strstr(t->rows[0], want), "%s: want %s (held: all sent)", t->rows[0], want);
	}
	expects_free(&surv);
	expects_free(&haz);
	expects_free(&rec);
	expects_free(&tim);
	expects_free(&notes);
	expects_free(&cases);
	expects_free(&byo);
}

/* ---- running the report ------------------------------------------------------------ */

/* `fsbridge report` at node n with args, in format fmt (English), its
 * output as a malloc'd string; the exit status must be 0. */
static char *report(const struct node *n, const char *fmt, const char *args)
{
	char *out = NULL, *err = NULL;
	int st = th_fsbridge(&out, &err, "report -c %s --lang en --format %s %s", n->conf, fmt, args);
	cr_assert_eq(st, 0, "report %s: exit %d: %s", args, st, err);
	free(err);
	return out;
}

/* Waits until n's report shows its messages of the season all held by the
 * peer (the peer's checkpoint has come). */
static void wait_delivered(const struct node *n)
{
	for (int waited = 0;; waited += 500) {
		char *csv = report(n, "csv", "--from 2026-06-01 --to 2026-08-31");
		struct tables ts = {0};
		read_csv(csv, &ts);
		struct table *t = find(&ts, L("report.t.peers"));
		int done = 0;
		if (t->n == 1) {
			char *a = strrchr(t->rows[0], '|');
			*a = '\0';
			char *b = strrchr(t->rows[0], '|');
			done = b && strcmp(b + 1, a + 1) == 0 && strcmp(a + 1, "0") != 0;
		}
		tables_free(&ts);
		free(csv);
		if (done)
			return;
		cr_assert_lt(waited, WAIT_MS, "%s's peer never showed it holds the season", n->origin);
		h_sleep_ms(500);
	}
}

/* The three formats say the same, table by table. */
static void same_everywhere(const char *csv, const char *html, const char *text)
{
	struct tables c = {0}, h = {0}, t = {0};
	read_csv(csv, &c);
	read_html(html, &h);
	read_text(text, &c, &t);
	cr_assert_eq(c.n, h.n, "CSV has %zu tables, HTML %zu", c.n, h.n);
	cr_assert_eq(c.n, t.n, "CSV has %zu tables, the text %zu", c.n, t.n);
	for (size_t k = 0; k < c.n; k++) {
		cr_expect_str_eq(h.t[k].title, c.t[k].title);
		cr_expect_str_eq(t.t[k].title, c.t[k].title);
		cr_expect_eq(h.t[k].n, c.t[k].n, "%s: HTML %zu rows, CSV %zu", c.t[k].title, h.t[k].n, c.t[k].n);
		cr_expect_eq(t.t[k].n, c.t[k].n, "%s: text %zu rows, CSV %zu", c.t[k].title, t.t[k].n, c.t[k].n);
		for (size_t r = 0; r < c.t[k].n && r < h.t[k].n && r < t.t[k].n; r++) {
			cr_expect_str_eq(h.t[k].rows[r], c.t[k].rows[r], "%s (HTML)", c.t[k].title);
			cr_expect_str_eq(t.t[k].rows[r], c.t[k].rows[r], "%s (text)", c.t[k].title);
		}
	}
	tables_free(&c);
	tables_free(&h);
	tables_free(&t);
}

Test(reporting, the_season_adds_up_in_every_format_at_both_nodes)
{
	hn_start(&longan);
	hn_start(&cantho);
	wait_delivered(&longan);
	wait_delivered(&cantho);
	const char *season = "--from 2026-06-01 --to 2026-08-31";
	const struct node *nodes[] = {&longan, &cantho};
	for (int k = 0; k < 2; k++) {
		char *csv = report(nodes[k], "csv", season);
		char *html = report(nodes[k], "html", season);
		char *text = report(nodes[k], "text", season);
		struct tables ts = {0};
		read_csv(csv, &ts);
		check_figures(&ts, nodes[k]->origin, "2026-06-01", "2026-08-31", NULL, 0);
		tables_free(&ts);
		same_everywhere(csv, html, text);
		free(csv);
		free(html);
		free(text);
	}
	/* One province's messages only. */
	const char *only[] = {"cantho"};
	char *csv = report(&longan, "csv", "--from 2026-06-01 --to 2026-08-31 --origin cantho");
	struct tables ts = {0};
	read_csv(csv, &ts);
	check_figures(&ts, "longan", "2026-06-01", "2026-08-31", only, 1);
	cr_expect_eq(find(&ts, L("report.t.peers"))->n, 0, "longan's own messages are not in it");
	tables_free(&ts);
	free(csv);
	/* A week without recalls (they begin on 15 June): a report all the same. */
	csv = report(&cantho, "csv", "--from 2026-06-01 --to 2026-06-07");
	read_csv(csv, &ts);
	check_figures(&ts, "cantho", "2026-06-01", "2026-06-07", NULL, 0);
	cr_expect_eq(find(&ts, L("report.t.recalls_by_class"))->n, 0);
	tables_free(&ts);
	free(csv);
	char *text = report(&cantho, "text", "--from 2026-06-01 --to 2026-06-07");
	cr_expect(strstr(text, L("report.no_recalls")), "%s", text);
	free(text);
}

Test(reporting, an_empty_period_and_what_is_refused)
{
	/* Before the season: nothing in the period, every section says so. */
	char *text = report(&longan, "text", "--from 2025-01-01 --to 2025-01-31");
	char want[256];
	snprintf(want, sizeof want, "%s: 0 (%s)", L("report.messages"), L("report.empty"));
	cr_expect(strstr(text, want), "%s", text);
	cr_expect(strstr(text, L("report.no_recalls")), "%s", text);
	cr_expect(strstr(text, L("report.no_outbreaks")), "%s", text);
	free(text);
	char *html = report(&longan, "html", "--from 2025-01-01 --to 2025-01-31");
	cr_expect(strstr(html, "</html>"));
	free(html);
	/* Refused, with one line naming what and where, exit 2. */
	static const struct {
		const char *args, *says;
	} bad[] = {
		{"--from 2026-08-31 --to 2026-06-01", "--from \"2026-08-31\": the period's first day is after its last"},
		{"--from 2026-06-01 --to 2026-02-30", "--to \"2026-02-30\""},
		{"--from 2026-06-01", "the period is missing"},
		{"--from 2026-06-01 --to 2026-08-31 --origin hanoi", "--origin \"hanoi\": this node has never heard of it"},
		{"--from 2026-06-01 --to 2026-08-31 --origin Can-Tho", "--origin \"Can-Tho\": not an origin"},
		{"--from 2026-06-01 --to 2026-08-31 --format pdf", "--format \"pdf\": text, csv or html"},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		char *out = NULL, *err = NULL;
		int st = th_fsbridge(&out, &err, "report -c %s %s", longan.conf, bad[k].args);
		cr_expect_eq(st, 2, "%s: exit %d", bad[k].args, st);
		cr_expect(strstr(err, bad[k].says), "%s: said \"%s\"", bad[k].args, err);
		cr_expect_eq(strchr(err, '\n'), err + strlen(err) - 1, "%s: one line: %s", bad[k].args, err);
		cr_expect_str_eq(out, "", "%s: nothing on stdout", bad[k].args);
		free(out);
		free(err);
	}
}

/* Chromium prints the HTML report to PDF; its text holds the headings and
 * the figures. The screenshot and the PDF are kept as artefacts. */
Test(reporting, the_html_prints_on_a4_in_a_real_browser)
{
	char html[200], pdf[200], png[200], txt[200];
	snprintf(html, sizeof html, "%s/report.html", dir);
	const char *art = FSB_TOP_DIR "/build/tests/artefacts";
	snprintf(pdf, sizeof pdf, "%s/report.pdf", art);
	snprintf(png, sizeof png, "%s/report.png", art);
	snprintf(txt, sizeof txt, "%s/report.txt", dir);
	cr_assert_eq(th_sh("mkdir -p %s", art), 0);
	char *out = NULL, *err = NULL;
	int st = th_fsbridge(&out, &err, "report -c %s --from 2026-06-01 --to 2026-08-31 --format html -o %s",
			     longan.conf, html);
	cr_assert_eq(st, 0, "%s", err);
	cr_expect(strstr(err, "written"), "%s", err);
	free(out);
	free(err);
	/* No script, no link to anything outside the file. */
	char *page = th_read(html, NULL);
	cr_expect_null(strstr(page, "<script"));
	cr_expect_null(strstr(page, "src="));
	cr_expect_null(strstr(page, "href="));
	cr_expect_null(strstr(page, "@import"));
	cr_expect(strstr(page, "size:A4"));
	cr_expect(strstr(page, "<svg"), "the charts are inline SVG");
	free(page);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run "
		 "--disable-background-networking --user-data-dir=%s/chromium", dir);
	cr_assert_eq(th_sh("%s --no-pdf-header-footer --print-to-pdf=%s file://%s >%s/chromium.log 2>&1",
			   cmd, pdf, html, dir),
		     0, "chromium could not print (%s/chromium.log)", dir);
	cr_assert_eq(th_sh("%s --screenshot=%s --window-size=900,1800 file://%s >>%s/chromium.log 2>&1",
			   cmd, png, html, dir),
		     0, "chromium could not take the screenshot");
	cr_assert_eq(th_sh("pdftotext -layout %s %s", pdf, txt), 0);
	cr_assert_eq(th_sh("pdfinfo %s | grep -q 'Page size:.*(A4)'", pdf), 0,
		     "the PDF is not A4");
	char *t = th_read(txt, NULL);
	/* The headings, in Vietnamese */
	static const char *const headings[] = {
		"report.title", "report.s.surveillance", "report.s.recalls", "report.s.quarantine",
		"report.s.cases", "report.s.chains", "report.s.exchange", "report.nation",
	};
	for (size_t k = 0; k < sizeof headings / sizeof headings[0]; k++) {
		/* pdftotext may break a long heading across lines: its first words */
		char words[48];
		snprintf(words, sizeof words, "%s", fsb_label(FSB_LANG_VI, headings[k]));
		char *cut = strrchr(words, ' ');
		if (strlen(fsb_label(FSB_LANG_VI, headings[k])) > 30 && cut)
			*cut = '\0';
		cr_expect(strstr(t, words), "the PDF lacks \"%s\"", words);
	}
	cr_expect(strstr(t, "01/06/2026"), "the period");
	/* The season's totals: samples, non-compliant and the rate, with a comma */
	int64_t samples = 0, nc = 0;
	size_t k;
	json_t *m;
	json_array_foreach(json_object_get(record, "messages"), k, m) {
		if (strcmp(s(m, "kind"), "surveillance") == 0) {
			samples++;
			nc += json_is_true(json_object_get(m, "nc"));
		}
	}
	char want[64], r[32];
	rate(r, sizeof r, samples, nc);
	*strchr(r, '.') = ',';
	snprintf(want, sizeof want, "%lld", (long long)samples);
	cr_expect(strstr(t, want), "the PDF lacks the samples, %s", want);
	snprintf(want, sizeof want, "%lld", (long long)nc);
	cr_expect(strstr(t, want), "the PDF lacks the non-compliant, %s", want);
	cr_expect(strstr(t, r), "the PDF lacks the rate, %s", r);
	free(t);
}
