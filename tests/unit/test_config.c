/* test_config.c - the node configuration: reading, every error with its
 * FILE:LINE, the printed effective configuration, and `fsbridge check`. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "helpers.h"

/* A valid configuration for longan using the test PKI; tests change lines. */
static const char base_conf[] =
	"; test node\n"
	"[node]\n"
	"origin   = longan                ; the slug\n"
	"data_dir = var/longan\n"
	"\n"
	"[signing]\n"
	"key  = " PKI "/longan.key\n"
	"cert = " PKI "/longan.crt\n"
	"\n"
	"[trust]\n"
	"ca  = " PKI "/ca.crt\n"
	"crl = " PKI "/ca.crl\n"
	"\n"
	"[exchange]\n"
	"uri       = tcp://127.0.0.1:1883\n"
	"client_id = longan-bridge\n"
	"\n"
	"[local]\n"
	"uri  = tcp://127.0.0.1:1883\n"
	"root = longan/foodsafety\n";

/* Writes conf to DIR/longan.conf and returns that path in path[128]. */
static void write_conf(const char *dir, const char *conf, char path[128])
{
	snprintf(path, 128, "%s/longan.conf", dir);
	th_write(path, conf, strlen(conf));
}

/* base_conf with the line starting with `key` replaced by `line` (or
 * removed when line is ""), or `line` appended when no line matches. */
static char *edit_conf(const char *key, const char *line)
{
	char *out = calloc(1, sizeof base_conf + strlen(line) + 2);
	const char *p = base_conf;
	int done = 0;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = (size_t)(eol - p) + 1;
		if (!done && key[0] && strncmp(p, key, strlen(key)) == 0) {
			if (line[0]) {
				strcat(out, line);
				strcat(out, "\n");
			}
			done = 1;
		} else {
			strncat(out, p, n);
		}
		p += n;
	}
	if (!done) {
		strcat(out, line);
		strcat(out, "\n");
	}
	return out;
}

Test(config, reads_every_key)
{
	char dir[64], path[128], err[FSB_CONFIG_ERR_MAX] = "";
	th_tmpdir(dir);
	write_conf(dir, base_conf, path);
	struct fsb_config c;
	fsb_config_init(&c);
	cr_assert_eq(fsb_config_read(&c, path, err, sizeof err), 0, "%s", err);
	cr_assert_eq(fsb_config_check(&c, err, sizeof err), 0, "%s", err);
	cr_expect_str_eq(c.origin, "longan");
	char want[256];
	snprintf(want, sizeof want, "%s/var/longan", dir);
	cr_expect_str_eq(c.data_dir, want);
	cr_expect_str_eq(c.key_path, PKI "/longan.key");
	cr_expect_eq(c.n_ca, 1);
	cr_expect_str_eq(c.crl_files[0], PKI "/ca.crl");
	cr_expect_str_eq(c.exchange_client_id, "longan-bridge");
	cr_expect_str_eq(c.local_root, "longan/foodsafety");
	cr_expect_eq(c.max_clock_skew_ms, 300000);
	cr_expect_eq(c.max_message_bytes, 262144);
	cr_expect_eq(c.exchange_mqtt_version, 0, "auto when not given");
	fsb_config_cleanup(&c);
	th_rmtree(dir);
}

/* [exchange] mqtt_version takes auto, 5 or 3.1.1. */
Test(config, mqtt_version_is_auto_5_or_311)
{
	static const struct {
		const char *value;
		int want;
	} cases[] = {{"auto", 0}, {"5", 5}, {"3.1.1", 4}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char dir[64], path[128], line[64], err[FSB_CONFIG_ERR_MAX] = "";
		th_tmpdir(dir);
		snprintf(line, sizeof line, "client_id = longan-bridge\nmqtt_version = %s", cases[i].value);
		char *conf = edit_conf("client_id", line);
		write_conf(dir, conf, path);
		struct fsb_config c;
		fsb_config_init(&c);
		cr_assert_eq(fsb_config_read(&c, path, err, sizeof err), 0, "%s", err);
		cr_expect_eq(c.exchange_mqtt_version, cases[i].want, "%s", cases[i].value);
		fsb_config_cleanup(&c);
		free(conf);
		th_rmtree(dir);
	}
}

Test(config, lists_none_and_relative_paths)
{
	char dir[64], path[128], err[FSB_CONFIG_ERR_MAX] = "";
	th_tmpdir(dir);
	char *a = edit_conf("ca ", "ca  = " PKI "/ca.crt, ../other/./ca2.crt");
	/* edit_conf works on base_conf; the second edit is made by hand */
	char *b = calloc(1, strlen(a) + 64);
	const char *crl = strstr(a, "crl = ");
	strncat(b, a, (size_t)(crl - a));
	strcat(b, "crl = none,none\n[limits]\nmax_message_bytes = 65536\n[trust]\n");
	strcat(b, strchr(crl, '\n') + 1);
	write_conf(dir, b, path);
	struct fsb_config c;
	fsb_config_init(&c);
	int rc = fsb_config_read(&c, path, err, sizeof err);
	/* [trust] appears twice: inih merges sections, so this reads fine. */
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(fsb_config_check(&c, err, sizeof err), 0, "%s", err);
	cr_expect_eq(c.n_ca, 2);
	char want[256];
	snprintf(want, sizeof want, "%s", dir);
	*strrchr(want, '/') = '\0';
	strcat(want, "/other/ca2.crt");
	cr_expect_str_eq(c.ca_files[1], want);
	cr_expect_eq(c.n_crl, 2);
	cr_expect_null(c.crl_files[0]);
	cr_expect_null(c.crl_files[1]);
	cr_expect_eq(c.max_message_bytes, 65536);
	fsb_config_cleanup(&c);
	free(a);
	free(b);
	th_rmtree(dir);
}

struct bad_case {
	char key[24];   /* line prefix to replace ("" appends) */
	char line[120]; /* replacement ("" removes) */
	int read_fails; /* 1: fsb_config_read fails; 0: fsb_config_check does */
	char want[200]; /* expected error, after "FILE" */
};

static struct bad_case bad_cases[] = {
	{"origin", "origin = Long An", 1, ":3: [node] origin: \"Long An\" must be 1 to 32 characters of a-z, 0-9 and '-'"},
	{"origin", "orign = longan", 1, ":3: unknown key 'orign' in [node]"},
	{"origin", "origin = ", 1, ":3: [node] origin: empty value"},
	{"data_dir", "origin = cantho", 1, ":4: [node] origin given twice (indented lines continue the one above)"},
	{"[local]", "[locale]", 1, ":19: unknown section [locale]"},
	{"uri  =", "uri  = http://127.0.0.1:1883", 1, ":19: [local] uri: \"http://127.0.0.1:1883\" must start with tcp://, ssl://, mqtt:// or mqtts://"},
	{"root", "root = longan/#", 1, ":20: [local] root: \"longan/#\" must be a topic without wildcards or leading or trailing '/'"},
	{"", "[trust]\nmax_clock_skew = soon", 1, ":22: [trust] max_clock_skew: \"soon\" is not a number of seconds from 0 to 86400"},
	{"", "[limits]\nmax_message_bytes = 100", 1, ":22: [limits] max_message_bytes: \"100\" is not a size from 1024 to 16777216 bytes"},
	{"client_id", "client_id longan-bridge", 1, ":16: syntax error (expected [section] or key = value)"},
	{"client_id", "  client_id = longan-bridge", 1, ":16: indented line (continuation lines are not supported)"},
	{"client_id", "client_id = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, ""},
	{"crl", "", 0, ": [trust] crl: required (one CRL per CA, or \"none\" said explicitly: without a CRL revoked certificates are accepted)"},
	{"crl", "crl = none, none", 0, ": [trust] crl: 1 CA file but 2 CRL entries; give one CRL per CA, or \"none\""},
	{"origin", "", 0, ": [node] origin: required"},
	{"client_id", "", 0, ": [exchange] client_id: required"},
	{"", "[exchange]\ntls_cert = a.crt", 0, ": [exchange] tls_key: required with tls_cert"},
	{"uri       =", "uri = ssl://127.0.0.1:8883", 0, ": [exchange] tls_ca: required for ssl://127.0.0.1:8883"},
	{"", "stray = 1", 1, ":21: unknown key 'stray' in [local]"},
	{"client_id", "mqtt_version = 4", 1, ":16: [exchange] mqtt_version: \"4\" must be auto, 5 or 3.1.1"},
	{"", "[http]\nmax_connections = 8\nmax_live_feeds = 8", 0, ": [http] max_live_feeds: 8, not below max_connections (8); pages need connections of their own"},
};

ParameterizedTestParameters(config, errors_name_file_and_line)
{
	return cr_make_param_array(struct bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

ParameterizedTest(struct bad_case *bc, config, errors_name_file_and_line)
{
	char dir[64], path[128], err[FSB_CONFIG_ERR_MAX] = "";
	th_tmpdir(dir);
	char *conf = edit_conf(bc->key, bc->line);
	if (!bc->want[0]) {
		/* a line too long for inih: refused, never silently cut */
		char *long_conf = edit_conf(bc->key, "client_id = ");
		free(conf);
		conf = calloc(1, strlen(long_conf) + 300);
		const char *at = strstr(long_conf, "client_id = ") + strlen("client_id = ");
		strncat(conf, long_conf, (size_t)(at - long_conf));
		for (int i = 0; i < 200; i++)
			strcat(conf, "x");
		strcat(conf, at);
		free(long_conf);
		bc->read_fails = 1;
		strcpy(bc->want, ":16: line longer than 199 bytes");
	}
	write_conf(dir, conf, path);
	struct fsb_config c;
	fsb_config_init(&c);
	int rc = fsb_config_read(&c, path, err, sizeof err);
	if (!bc->read_fails) {
		cr_assert_eq(rc, 0, "read failed: %s", err);
		rc = fsb_config_check(&c, err, sizeof err);
	}
	cr_expect_eq(rc, FSB_ECONFIG);
	char want[400];
	snprintf(want, sizeof want, "%s%s", path, bc->want);
	cr_expect_str_eq(err, want);
	fsb_config_cleanup(&c);
	free(conf);
	th_rmtree(dir);
}

Test(config, unreadable_file)
{
	struct fsb_config c;
	char err[FSB_CONFIG_ERR_MAX];
	fsb_config_init(&c);
	cr_expect_eq(fsb_config_read(&c, "/nonexistent/node.conf", err, sizeof err), FSB_EIO);
	cr_expect_str_eq(err, "/nonexistent/node.conf: cannot read: No such file or directory");
	fsb_config_cleanup(&c);
}

/* Runs `fsbridge check -c path`, capturing stdout and stderr. */
static int run_check(const char *dir, const char *path, char **out, char **err)
{
	int st = th_sh("%s check -c %s >%s/out 2>%s/err", FSB_BIN, path, dir, dir);
	char p[160];
	snprintf(p, sizeof p, "%s/out", dir);
	*out = th_read(p, NULL);
	snprintf(p, sizeof p, "%s/err", dir);
	*err = th_read(p, NULL);
	return st;
}

static char *replace_all(const char *s, const char *from, const char *to)
{
	char *out = calloc(1, strlen(s) * 4 + 1);
	for (const char *p = s; *p;) {
		if (strncmp(p, from, strlen(from)) == 0) {
			strcat(out, to);
			p += strlen(from);
		} else {
			strncat(out, p++, 1);
		}
	}
	return out;
}

Test(config, check_prints_the_effective_config)
{
	char dir[64], path[128];
	th_tmpdir(dir);
	write_conf(dir, base_conf, path);
	char *out, *err;
	cr_assert_eq(run_check(dir, path, &out, &err), 0, "%s", err);
	cr_expect_str_empty(err);
	char *tmpl = th_read(FSB_TOP_DIR "/tests/unit/expected/check-longan.out", NULL);
	char *a = replace_all(tmpl, "@DIR@", dir);
	char *want = replace_all(a, "@PKI@", PKI);
	cr_expect_str_eq(out, want);
	/* What it prints reads back to the same configuration. */
	char again[160];
	snprintf(again, sizeof again, "%s/again.conf", dir);
	th_write(again, out, strlen(out));
	char *out2, *err2;
	cr_assert_eq(run_check(dir, again, &out2, &err2), 0, "%s", err2);
	char *want2 = replace_all(want, "longan.conf\n", "again.conf\n");
	cr_expect_str_eq(out2, want2);
	free(want2);
	free(out2);
	free(err2);
	free(want);
	free(a);
	free(tmpl);
	free(out);
	free(err);
	th_rmtree(dir);
}

struct check_case {
	char key[24];
	char line[200];
	char want[200]; /* substring of the one stderr line */
};

static struct check_case check_cases[] = {
	{"origin", "origin = cantho", "[signing] cert: " PKI "/longan.crt does not name origin \"cantho\""},
	{"cert", "cert = " PKI "/cantho.crt", "private key " PKI "/longan.key does not match certificate " PKI "/cantho.crt"},
	{"key", "key = " PKI "/ca.db/index.txt", "cannot load private key " PKI "/ca.db/index.txt"},
	{"cert", "cert = " PKI "/nonexistent.crt", "cannot load certificate " PKI "/nonexistent.crt"},
	{"ca ", "ca = " PKI "-other/ca.crt", "CRL " PKI "/ca.crl was not issued by the CA in " PKI "-other/ca.crt"},
	{"crl", "crl = none", ""}, /* explicit: accepted */
	{"ca ", "ca = " PKI "/longan.crt", PKI "/longan.crt is not a CA certificate"},
	{"ca ", "ca = " PKI "-other/ca.crt\ncrl = " PKI "-other/ca.crl\n", "does not chain to a trusted CA"},
};

ParameterizedTestParameters(config, check_refuses)
{
	return cr_make_param_array(struct check_case, check_cases, sizeof check_cases / sizeof check_cases[0]);
}

ParameterizedTest(struct check_case *cc, config, check_refuses)
{
	char dir[64], path[128];
	th_tmpdir(dir);
	char *conf = edit_conf(cc->key, cc->line);
	if (strstr(cc->line, "\ncrl =")) { /* the line brings its own crl */
		char *c2 = calloc(1, strlen(conf) + 1);
		const char *crl = strstr(conf, "crl = " PKI "/ca.crl");
		strncat(c2, conf, (size_t)(crl - conf));
		strcat(c2, strchr(crl, '\n') + 1);
		free(conf);
		conf = c2;
	}
	write_conf(dir, conf, path);
	char *out, *err;
	int st = run_check(dir, path, &out, &err);
	if (!cc->want[0]) {
		cr_expect_eq(st, 0, "%s", err);
	} else {
		cr_expect_eq(st, 1);
		cr_expect(strstr(err, cc->want), "stderr: %s", err);
		cr_expect_eq(strchr(err, '\n'), err + strlen(err) - 1, "not one line: %s", err);
		cr_expect_str_empty(out);
	}
	free(out);
	free(err);
	free(conf);
	th_rmtree(dir);
}

Test(config, check_refuses_loose_key)
{
	char dir[64], path[128], line[160];
	th_tmpdir(dir);
	cr_assert_eq(th_sh("cp %s/longan.key %s/k.key && chmod 644 %s/k.key", PKI, dir, dir), 0);
	snprintf(line, sizeof line, "key = %s/k.key", dir);
	char *conf = edit_conf("key", line);
	write_conf(dir, conf, path);
	char *out, *err;
	cr_expect_eq(run_check(dir, path, &out, &err), 1);
	char want[300];
	snprintf(want, sizeof want, "key file %s/k.key is accessible by group or others (mode 0644); run: chmod 600 %s/k.key\n",
		 dir, dir);
	cr_expect_str_eq(err, want);
	free(out);
	free(err);
	free(conf);
	th_rmtree(dir);
}

Test(config, check_usage)
{
	cr_expect_eq(th_sh("%s check >/dev/null 2>&1", FSB_BIN), 2);
	cr_expect_eq(th_sh("%s check -c a b >/dev/null 2>&1", FSB_BIN), 2);
}

/* A key pair whose certificate is not an fsbridge signing certificate: the
 * TLS client one, one without any extended key usage, an expired one. */
Test(config, check_refuses_a_certificate_that_is_not_for_signing)
{
	static const struct {
		const char *name, *origin, *want;
	} cases[] = {
		{"longan-client", "longan", "signer certificate is for TLS (extended key usage clientAuth)"},
		{"longan-noeku", "longan", "signer certificate lacks the fsbridge signing extended key usage"},
		{"cantho-expired", "cantho", "valid 2020-01-01T00:00:00.000Z to 2020-12-31T23:59:59.000Z, not at arrival"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char dir[64], path[128], conf[1024];
		th_tmpdir(dir);
		snprintf(conf, sizeof conf,
			 "[node]\norigin = %s\ndata_dir = var/%s\n"
			 "[signing]\nkey = %s/%s.key\ncert = %s/%s.crt\n"
			 "[trust]\nca = %s/ca.crt\ncrl = %s/ca.crl\n"
			 "[exchange]\nuri = tcp://127.0.0.1:1883\nclient_id = x\n"
			 "[local]\nuri = tcp://127.0.0.1:1883\nroot = x/foodsafety\n",
			 cases[i].origin, cases[i].origin, PKI, cases[i].name, PKI, cases[i].name, PKI, PKI);
		write_conf(dir, conf, path);
		char *out, *err;
		cr_expect_eq(run_check(dir, path, &out, &err), 1, "%s: %s", cases[i].name, err);
		cr_expect(strstr(err, "[signing] cert: ") && strstr(err, cases[i].want), "%s: stderr: %s",
			  cases[i].name, err);
		free(out);
		free(err);
		th_rmtree(dir);
	}
}
