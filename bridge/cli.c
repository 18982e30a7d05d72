/* cli.c - helpers shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "error.h"
#include "format.h"
#include "out.h"
#include "store.h"

int fsb_cli_read_file(const char *path, size_t max_bytes, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return FSB_EIO;
	size_t cap = 8192, n = 0;
	char *b = malloc(cap);
	int rc = FSB_ENOMEM;
	if (!b)
		goto out;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > max_bytes + 1) {
				rc = FSB_ETOOBIG;
				goto out;
			}
			char *nb = realloc(b, cap * 2);
			if (!nb)
				goto out;
			b = nb;
			cap *= 2;
		}
		size_t got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = FSB_EIO;
		goto out;
	}
	if (n > max_bytes) {
		rc = FSB_ETOOBIG;
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out:
	free(b);
	if (f != stdin) {
		int saved = errno;
		fclose(f);
		errno = saved;
	}
	return rc;
}

void fsb_cli_print_errors(const char *label, const struct fsb_errlist *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct fsb_fielderr *e = &errs->items[i];
		if (e->path[0])
			fprintf(stderr, "%s: %s: %s\n", label, e->path, e->msg);
		else
			fprintf(stderr, "%s: %s\n", label, e->msg);
	}
	if (errs->dropped)
		fprintf(stderr, "%s: ... and %zu more problems\n", label, errs->dropped);
}

int fsb_cli_load_config(const char *path, struct fsb_config *c)
{
	char err[FSB_CONFIG_ERR_MAX];
	fsb_config_init(c);
	int rc = fsb_config_read(c, path, err, sizeof err);
	if (!rc)
		rc = fsb_config_check(c, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	return rc;
}

/* Opens the store of a parsed command from its -c FILE (loading c) or its
 * --data DIR (c left empty), printing the error on failure. */
static int open_store(const struct fsb_cli_cmd *cmd, int read_only, struct fsb_config *c,
		      struct fsb_store **out)
{
	fsb_config_init(c);
	if (cmd->config_path && fsb_cli_load_config(cmd->config_path, c))
		return FSB_ECONFIG;
	struct fsb_store_opts o = {.read_only = read_only,
				   .origin = cmd->config_path ? c->origin : NULL};
	char err[512];
	int rc = fsb_store_open(cmd->config_path ? c->data_dir : cmd->data_dir, &o, out, err,
				sizeof err);
	if (rc)
		fprintf(stderr, "fsbridge %s: %s\n", cmd->name, err);
	return rc;
}

#define OPTS_MAX 32

/* The command's own options and the shared ones, as one getopt table. */
static int build_options(const struct fsb_cli_cmd *c, struct option *all, char *shorts,
			 size_t shorts_cap)
{
	size_t n = 0;
	for (const struct option *o = c->opts; o && o->name; o++)
		if (n == OPTS_MAX - 4) /* room for the shared three and the end */
			return 1;
		else
			all[n++] = *o;
	if (c->source & FSB_CLI_CONFIG)
		all[n++] = (struct option){"config", required_argument, NULL, 'c'};
	if (c->source & FSB_CLI_DATA)
		all[n++] = (struct option){"data", required_argument, NULL, 'd'};
	all[n++] = (struct option){"help", no_argument, NULL, 'h'};
	all[n] = (struct option){NULL, 0, NULL, 0};
	return snprintf(shorts, shorts_cap, "%s%sh", c->source & FSB_CLI_CONFIG ? "c:" : "",
			c->short_opts ? c->short_opts : "") >= (int)shorts_cap;
}

static int usage_error(const struct fsb_cli_cmd *c, const char *why)
{
	if (why)
		fprintf(stderr, "fsbridge %s: %s\n", c->name, why);
	c->usage(stderr);
	return FSB_EXIT_USAGE;
}

int fsb_cli_parse(struct fsb_cli_cmd *c, int argc, char **argv)
{
	struct option all[OPTS_MAX];
	char shorts[64];
	if (build_options(c, all, shorts, sizeof shorts))
		return usage_error(c, "too many options");
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		int rc;
		switch (ch) {
		case 'c': c->config_path = optarg; break;
		case 'd': c->data_dir = optarg; break;
		case 'h': c->usage(stdout); return FSB_EXIT_OK;
		case '?': return usage_error(c, NULL);
		default: /* one of the command's own */
			if ((rc = c->take ? c->take(c->ctx, ch, optarg) : usage_error(c, NULL)))
				return rc;
		}
	}
	size_t operands = (size_t)(argc - optind);
	if ((c->source & FSB_CLI_DATA) && !!c->config_path == !!c->data_dir)
		return usage_error(c, "give either -c FILE or --data DIR");
	if ((c->source & FSB_CLI_CONFIG) && !(c->source & FSB_CLI_DATA) && !c->config_path)
		return usage_error(c, "-c FILE is required");
	if (operands > c->max_operands)
		return usage_error(c, "unexpected argument");
	if (operands < c->min_operands)
		return usage_error(c, c->missing);
	return -1;
}

int fsb_cli_start(struct fsb_cli_cmd *cmd, int argc, char **argv, struct fsb_config *c,
		  struct fsb_store **out)
{
	*out = NULL;
	int rc = fsb_cli_parse(cmd, argc, argv);
	if (rc >= 0)
		return rc;
	if (open_store(cmd, 1, c, out) == 0)
		return -1;
	fsb_store_close(*out);
	*out = NULL;
	fsb_config_cleanup(c);
	return FSB_EXIT_FAIL;
}

int fsb_cli_kind(const char *cmd, const char *arg, enum fsb_kind *kind)
{
	if ((*kind = fsb_kind_parse(arg)) != FSB_KIND_NONE)
		return 0;
	fprintf(stderr, "fsbridge %s: unknown kind \"%s\" (surveillance, quarantine, recall, followup or certification)\n",
		cmd, arg);
	return FSB_EXIT_USAGE;
}

static int progress_shown;

void fsb_cli_progress(const char *what, uint64_t done, uint64_t total)
{
	static int64_t last;
	if (!isatty(STDERR_FILENO))
		return;
	int64_t now = fsb_fmt_now_ms();
	if (now - last < 200 && done != total)
		return;
	last = now;
	if (total)
		fprintf(stderr, "\r%s: %llu/%llu (%d%%)   ", what, (unsigned long long)done,
			(unsigned long long)total, (int)(done * 100 / total));
	else
		fprintf(stderr, "\r%s: %llu   ", what, (unsigned long long)done);
	progress_shown = 1;
}

void fsb_cli_progress_end(void)
{
	if (progress_shown)
		fprintf(stderr, "\r\033[K");
	progress_shown = 0;
}

int fsb_cli_parse_time(const char *s, int64_t *ms)
{
	if (!fsb_fmt_timestamp(s, ms))
		return 0;
	if (!fsb_fmt_date(s)) {
		int y, m, d;
		sscanf(s, "%d-%d-%d", &y, &m, &d);
		*ms = fsb_fmt_time_ms(y, m, d, 0, 0, 0);
		return 0;
	}
	return -1;
}

int fsb_cli_query_open(const char *name, struct fsb_store *store, struct fsb_view **v,
		       struct fsb_query **q)
{
	*q = NULL;
	int rc = fsb_store_view_open(store, v);
	if (rc)
		fprintf(stderr, "fsbridge %s: %s\n", name, fsb_store_error(store));
	else if ((rc = fsb_query_open(*v, q)))
		fprintf(stderr, "fsbridge %s: %s\n", name, fsb_strerror(rc));
	return rc;
}

int fsb_cli_emit(const char *name, struct fsb_out *o)
{
	return fsb_cli_emit_to(name, o, NULL);
}

/* Writes o into path through path.tmp, renamed once whole: a reader never
 * sees half a file, and a failure leaves what was there. */
static int write_file(const char *path, const struct fsb_out *o)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -1;
	int bad = fwrite(o->buf ? o->buf : "", 1, o->len, f) != o->len;
	bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int fsb_cli_emit_to(const char *name, struct fsb_out *o, const char *path)
{
	int rc = fsb_out_finish(o);
	if (rc) {
		fprintf(stderr, "fsbridge %s: %s\n", name, fsb_strerror(rc));
	} else if (path) {
		if (write_file(path, o)) {
			fprintf(stderr, "fsbridge %s: cannot write %s: %s\n", name, path, strerror(errno));
			rc = FSB_EIO;
		}
	} else if (fwrite(o->buf ? o->buf : "", 1, o->len, stdout) != o->len || fflush(stdout)) {
		fprintf(stderr, "fsbridge %s: cannot write the output\n", name);
		rc = FSB_EIO;
	}
	return rc ? FSB_EXIT_FAIL : FSB_EXIT_OK;
}

struct fsb_case_opts fsb_cli_case_opts(const struct fsb_config *cfg, int timeline)
{
	struct fsb_case_opts o = {.now_ms = fsb_fmt_now_ms(), .ack_alert_ms = cfg->ack_alert_ms,
				  .ack_other_ms = cfg->ack_other_ms, .timeline = timeline};
	return o;
}

int fsb_cli_lang(const char *cmd, const char *arg, enum fsb_lang *lang)
{
	if (fsb_lang_parse(arg, lang) == 0)
		return 0;
	fprintf(stderr, "fsbridge %s: --lang \"%s\": vi or en\n", cmd, arg);
	return FSB_EXIT_USAGE;
}
