/* helpers.c - shared test helpers. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char *th_read(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	int rc = fsb_cli_read_file(path, 64u << 20, &buf, &n);
	cr_assert_eq(rc, 0, "cannot read %s", path);
	if (len)
		*len = n;
	return buf;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **th_examples(size_t *n)
{
	DIR *d = opendir(EXAMPLES_DIR);
	cr_assert_not_null(d, "cannot open %s", EXAMPLES_DIR);
	char **list = calloc(256, sizeof *list);
	size_t k = 0;
	struct dirent *e;
	while ((e = readdir(d)) && k < 255) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
			list[k++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(list, k, sizeof *list, cmp);
	*n = k;
	return list;
}

void th_free_list(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

static void free_params(struct criterion_test_params *p)
{
	cr_free(p->params);
}

struct criterion_test_params th_example_params(void)
{
	size_t n;
	char **list = th_examples(&n);
	struct th_example *ex = cr_malloc(n * sizeof *ex);
	for (size_t i = 0; i < n; i++)
		snprintf(ex[i].name, sizeof ex[i].name, "%s", list[i]);
	th_free_list(list);
	return cr_make_param_array(struct th_example, ex, n, free_params);
}

struct fsb_message *th_load_example(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", EXAMPLES_DIR, name);
	size_t len;
	char *text = th_read(path, &len);
	struct fsb_errlist errs;
	fsb_errlist_init(&errs);
	struct fsb_message *m = NULL;
	int rc = fsb_message_from_json(text, len, FSB_KIND_NONE, &m, &errs);
	free(text);
	if (rc)
		th_dump_errors(&errs);
	cr_assert_eq(rc, 0, "%s does not parse", name);
	return m;
}

int th_has_error(const struct fsb_errlist *errs, const char *path, const char *msg)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strcmp(errs->items[i].path, path) == 0 && strstr(errs->items[i].msg, msg))
			return 1;
	return 0;
}

void th_dump_errors(const struct fsb_errlist *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "  %s: %s\n", errs->items[i].path, errs->items[i].msg);
}

uint64_t th_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

void th_tmpdir(char dir[64])
{
	snprintf(dir, 64, "/tmp/fsb-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
}

void th_rmtree(const char *dir)
{
	cr_expect_eq(th_sh("rm -rf '%s'", dir), 0);
}

void th_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0, "cannot create %s", path);
	cr_assert_eq(write(fd, data, len), (ssize_t)len, "cannot write %s", path);
	close(fd);
}

int th_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void th_node_conf(const char *dir, const char *origin, char path[160])
{
	char conf[2048];
	snprintf(path, 160, "%s/%s.conf", dir, origin);
	snprintf(conf, sizeof conf,
		 "[node]\norigin = %s\ndata_dir = %s\n"
		 "[signing]\nkey = %s/%s.key\ncert = %s/%s.crt\n"
		 "[trust]\nca = %s/ca.crt\ncrl = %s/ca.crl\n"
		 "[exchange]\nuri = tcp://127.0.0.1:1883\nclient_id = %s-bridge\n"
		 "[local]\nuri = tcp://127.0.0.1:1883\nroot = %s/foodsafety\n",
		 origin, origin, PKI, origin, PKI, origin, PKI, PKI, origin, origin);
	th_write(path, conf, strlen(conf));
}

int th_fsbridge(char **out, char **err, const char *fmt, ...)
{
	char args[3000], dir[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	th_tmpdir(dir);
	int st = th_sh("%s %s >%s/out 2>%s/err", FSB_BIN, args, dir, dir);
	char p[128];
	snprintf(p, sizeof p, "%s/out", dir);
	if (out)
		*out = th_read(p, NULL);
	snprintf(p, sizeof p, "%s/err", dir);
	if (err)
		*err = th_read(p, NULL);
	th_rmtree(dir);
	return st;
}

void th_pki_copy(const char *dir)
{
	cr_assert_eq(th_sh("cp -a %s/. %s/ && sed -i 's#%s/#%s/#g' %s/ca.db/openssl.cnf", PKI, dir, PKI,
			   dir, dir),
		     0, "cannot copy the test PKI into %s", dir);
}

void th_pki_revoke(const char *dir, const char *name)
{
	cr_assert_eq(th_sh("cd %s && openssl ca -config ca.db/openssl.cnf -revoke %s.crt "
			   "-crl_reason keyCompromise >/dev/null 2>&1 && "
			   "openssl ca -config ca.db/openssl.cnf -gencrl -out ca.crl.new >/dev/null 2>&1",
			   dir, name),
		     0, "cannot revoke %s in %s", name, dir);
}
