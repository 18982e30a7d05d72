/* config.c - reading the node configuration with inih.
 *
 * Keys are looked up in one table (section, key, kind, where it goes), not a
 * strcmp chain, so adding a key is adding a row. inih reports the line of
 * the first handler that refuses a value, which is how every error here
 * names its line. inih cuts lines at 200 bytes and treats indented lines as
 * continuations, so both are refused up front rather than misread.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "error.h"
#include "format.h"
#include "bounds.h"

#define LINE_MAX_BYTES 199 /* inih's INI_MAX_LINE, less the newline */
/* A node configuration is a few dozen lines; anything far larger is not
 * one (and /dev/zero would never end). */
#define CONFIG_MAX_BYTES (64u * 1024u)

enum kind {
	K_SLUG, K_PATH, K_PATHS, K_CRLS, K_URI, K_TEXT, K_TOPIC, K_SECONDS, K_BYTES, K_COUNT,
	K_MQTT_VERSION,
};

/* The values of mqtt_version, as written and as kept (transport.h's). */
static const struct {
	const char *name;
	int value;
} mqtt_versions[] = {{"auto", 0}, {"5", 5}, {"3.1.1", 4}};

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)

static const struct key {
	const char *section, *name;
	enum kind kind;
	size_t offset;
	int required;
	long long min, max; /* K_SECONDS, K_BYTES, K_COUNT */
	const char *def;    /* a string key's default, as printed; NULL: none */
} keys[] = {
	{"node", "origin", K_SLUG, offsetof(struct fsb_config, origin), 1, 0, 0, NULL},
	{"node", "data_dir", K_PATH, offsetof(struct fsb_config, data_dir), 1, 0, 0, NULL},
	{"node", "unit", K_TEXT, offsetof(struct fsb_config, unit), 0, 0, 0, NULL},
	{"signing", "key", K_PATH, offsetof(struct fsb_config, key_path), 1, 0, 0, NULL},
	{"signing", "cert", K_PATH, offsetof(struct fsb_config, cert_path), 1, 0, 0, NULL},
	{"trust", "ca", K_PATHS, offsetof(struct fsb_config, ca_files), 1, 0, 0, NULL},
	{"trust", "crl", K_CRLS, offsetof(struct fsb_config, crl_files), 1, 0, 0, NULL},
	{"trust", "max_clock_skew", K_SECONDS, offsetof(struct fsb_config, max_clock_skew_ms), 0, 0, 86400, NULL},
	{"exchange", "uri", K_URI, offsetof(struct fsb_config, exchange_uri), 1, 0, 0, NULL},
	{"exchange", "client_id", K_TEXT, offsetof(struct fsb_config, exchange_client_id), 1, 0, 0, NULL},
	{"exchange", "mqtt_version", K_MQTT_VERSION, offsetof(struct fsb_config, exchange_mqtt_version), 0, 0, 0, NULL},
	{"exchange", "tls_ca", K_PATH, offsetof(struct fsb_config, tls_ca), 0, 0, 0, NULL},
	{"exchange", "tls_cert", K_PATH, offsetof(struct fsb_config, tls_cert), 0, 0, 0, NULL},
	{"exchange", "tls_key", K_PATH, offsetof(struct fsb_config, tls_key), 0, 0, 0, NULL},
	{"local", "uri", K_URI, offsetof(struct fsb_config, local_uri), 1, 0, 0, NULL},
	{"local", "root", K_TOPIC, offsetof(struct fsb_config, local_root), 1, 0, 0, NULL},
	{"limits", "max_message_bytes", K_BYTES, offsetof(struct fsb_config, max_message_bytes), 0, KIB, 16 * MIB, NULL},
	{"limits", "inbound_bytes", K_BYTES, offsetof(struct fsb_config, inbound_bytes), 0, 64 * KIB, GIB, NULL},
	{"limits", "inbound_wait", K_SECONDS, offsetof(struct fsb_config, inbound_wait_ms), 0, 0, 60, NULL},
	{"limits", "reorder_bytes", K_BYTES, offsetof(struct fsb_config, reorder_bytes), 0, 64 * KIB, GIB, NULL},
	{"limits", "reorder_stream_bytes", K_BYTES, offsetof(struct fsb_config, reorder_stream_bytes), 0, 16 * KIB, GIB, NULL},
	{"limits", "max_streams", K_COUNT, offsetof(struct fsb_config, max_streams), 0, 2, 1000000, NULL},
	{"limits", "reject_bytes", K_BYTES, offsetof(struct fsb_config, reject_bytes), 0, MIB, 64 * GIB, NULL},
	{"sync", "resend_per_second", K_COUNT, offsetof(struct fsb_config, resend_per_second), 0, 1, 1000000, NULL},
	{"sync", "resend_bytes_per_second", K_BYTES, offsetof(struct fsb_config, resend_bytes_per_second), 0, 64 * KIB, GIB, NULL},
	{"sync", "resend_memory", K_SECONDS, offsetof(struct fsb_config, resend_memory_ms), 0, 1, 86400, NULL},
	{"sync", "resend_jobs", K_COUNT, offsetof(struct fsb_config, resend_jobs), 0, 1, 65536, NULL},
	{"cases", "acknowledge_alert", K_SECONDS, offsetof(struct fsb_config, ack_alert_ms), 0, 1, 90 * 86400, NULL},
	{"cases", "acknowledge_other", K_SECONDS, offsetof(struct fsb_config, ack_other_ms), 0, 1, 90 * 86400, NULL},
	{"http", "listen", K_TEXT, offsetof(struct fsb_config, http_listen), 0, 0, 0, FSB_DEFAULT_HTTP_LISTEN},
	{"http", "max_connections", K_COUNT, offsetof(struct fsb_config, http_max_connections), 0, 1, 10000, NULL},
	{"http", "max_live_feeds", K_COUNT, offsetof(struct fsb_config, http_max_live), 0, 1, 10000, NULL},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

struct reader {
	struct fsb_config *c;
	char dir[PATH_MAX];     /* the config file's directory */
	char msg[FSB_CONFIG_ERR_MAX];
	unsigned char seen[N_KEYS];
};

void fsb_config_init(struct fsb_config *c)
{
	memset(c, 0, sizeof *c);
	c->max_clock_skew_ms = FSB_DEFAULT_MAX_SKEW_MS;
	c->max_message_bytes = FSB_CODEC_DEFAULT_MAX_BYTES;
	c->inbound_bytes = FSB_DEFAULT_INBOUND_BYTES;
	c->inbound_wait_ms = FSB_DEFAULT_INBOUND_WAIT_MS;
	c->reorder_bytes = FSB_DEFAULT_REORDER_BYTES;
	c->reorder_stream_bytes = FSB_DEFAULT_REORDER_STREAM_BYTES;
	c->max_streams = FSB_DEFAULT_MAX_STREAMS;
	c->reject_bytes = FSB_DEFAULT_REJECT_BYTES;
	c->resend_per_second = FSB_DEFAULT_RESEND_PER_SECOND;
	c->resend_bytes_per_second = FSB_DEFAULT_RESEND_BYTES_PER_SECOND;
	c->resend_memory_ms = FSB_DEFAULT_RESEND_MEMORY_MS;
	c->resend_jobs = FSB_DEFAULT_RESEND_JOBS;
	c->ack_alert_ms = FSB_DEFAULT_ACK_ALERT_MS;
	c->ack_other_ms = FSB_DEFAULT_ACK_OTHER_MS;
	c->http_max_connections = FSB_DEFAULT_HTTP_CONNECTIONS;
	c->http_max_live = FSB_DEFAULT_HTTP_LIVE_FEEDS;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

void fsb_config_cleanup(struct fsb_config *c)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		void *field = (char *)c + keys[i].offset;
		if (keys[i].kind == K_PATHS || keys[i].kind == K_CRLS)
			free_list(*(char ***)field, keys[i].kind == K_PATHS ? c->n_ca : c->n_crl);
		else if (keys[i].kind != K_SECONDS && keys[i].kind != K_BYTES &&
			 keys[i].kind != K_COUNT && keys[i].kind != K_MQTT_VERSION)
			free(*(char **)field); /* the rest are strings */
	}
	free(c->path);
	memset(c, 0, sizeof *c);
}

static int refuse(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first problem; returning 0 makes inih report the line. */
static int refuse(struct reader *r, const char *fmt, ...)
{
	if (!r->msg[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->msg, sizeof r->msg, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* Removes "." and "dir/.." components in place; p is absolute. Done on the
 * text, since data_dir need not exist yet for realpath(). */
static void tidy_path(char *p)
{
	char *out = p;
	const char *in = p;
	while (*in) {
		while (*in == '/')
			in++;
		size_t n = strcspn(in, "/");
		if (n == 0)
			break;
		if (n == 1 && in[0] == '.') {
			/* skip */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > p && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, n);
			out += n;
		}
		in += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

static char *make_path(const struct reader *r, const char *v)
{
	size_t n = strlen(r->dir) + strlen(v) + 2;
	char *p = malloc(n);
	if (!p)
		return NULL;
	if (v[0] == '/')
		snprintf(p, n, "%s", v);
	else
		snprintf(p, n, "%s/%s", r->dir, v);
	tidy_path(p);
	return p;
}

/* Splits a comma-separated value into trimmed, non-empty items. */
static size_t split(char *v, char **items, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(v, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		char *end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		items[n++] = tok;
	}
	return n;
}

static int parse_number(const char *v, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static int set_list(struct reader *r, const struct key *k, const char *value, char ***field)
{
	char buf[LINE_MAX_BYTES + 1], *items[16];
	snprintf(buf, sizeof buf, "%s", value);
	size_t n = split(buf, items, 16);
	if (n == 0)
		return refuse(r, "[%s] %s: empty list", k->section, k->name);
	char **list = calloc(n, sizeof *list);
	if (!list)
		return refuse(r, "out of memory");
	*field = list;
	if (k->kind == K_PATHS)
		r->c->n_ca = n;
	else
		r->c->n_crl = n;
	for (size_t i = 0; i < n; i++) {
		if (k->kind == K_CRLS && strcmp(items[i], "none") == 0)
			continue; /* NULL: this CA has no CRL, said explicitly */
		if (!(list[i] = make_path(r, items[i])))
			return refuse(r, "out of memory");
	}
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	const struct key *k = NULL;
	int section_known = 0;
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		section_known = 1;
		if (strcmp(keys[i].name, name) == 0)
			k = &keys[i];
	}
	if (!section_known)
		return refuse(r, section[0] ? "unknown section [%s]" : "key outside any section%s",
			      section);
	if (!k)
		return refuse(r, "unknown key '%s' in [%s]", name, section);
	if (r->seen[k - keys]++)
		return refuse(r, "[%s] %s given twice (indented lines continue the one above)",
			      section, name);
	if (!value[0])
		return refuse(r, "[%s] %s: empty value", section, name);
	void *field = (char *)r->c + k->offset;
	long long x;
	const char *why;
	switch (k->kind) {
	case K_SLUG:
		if ((why = fsb_fmt_slug(value)))
			return refuse(r, "[%s] %s: \"%s\" %s", section, name, value, why);
		break;
	case K_URI:
		if (strncmp(value, "tcp://", 6) && strncmp(value, "ssl://", 6) &&
		    strncmp(value, "mqtt://", 7) && strncmp(value, "mqtts://", 8))
			return refuse(r, "[%s] %s: \"%s\" must start with tcp://, ssl://, mqtt:// or mqtts://",
				      section, name, value);
		break;
	case K_TOPIC:
		if (strpbrk(value, "+#") || value[0] == '/' || value[strlen(value) - 1] == '/')
			return refuse(r, "[%s] %s: \"%s\" must be a topic without wildcards or leading or trailing '/'",
				      section, name, value);
		break;
	case K_SECONDS:
	case K_BYTES:
	case K_COUNT:
		if (parse_number(value, k->min, k->max, &x))
			return refuse(r, "[%s] %s: \"%s\" is not a %s from %lld to %lld%s", section, name,
				      value, k->kind == K_SECONDS ? "number of seconds"
					     : k->kind == K_BYTES ? "size" : "number",
				      k->min, k->max, k->kind == K_BYTES ? " bytes" : "");
		if (k->kind == K_SECONDS)
			*(int64_t *)field = x * 1000;
		else
			*(size_t *)field = (size_t)x;
		return 1;
	case K_PATHS:
	case K_CRLS:
		return set_list(r, k, value, field);
	case K_MQTT_VERSION:
		for (size_t i = 0; i < sizeof mqtt_versions / sizeof mqtt_versions[0]; i++)
			if (strcmp(value, mqtt_versions[i].name) == 0) {
				*(int *)field = mqtt_versions[i].value;
				return 1;
			}
		return refuse(r, "[%s] %s: \"%s\" must be auto, 5 or 3.1.1", section, name, value);
	case K_PATH:
	case K_TEXT:
		break;
	}
	char *copy = k->kind == K_PATH ? make_path(r, value) : strdup(value);
	if (!copy)
		return refuse(r, "out of memory");
	*(char **)field = copy;
	return 1;
}

/* The first line inih would cut or misread, or 0. */
static int first_bad_line(FILE *f, const char **why)
{
	char buf[4096];
	int line = 1;
	size_t len = 0;
	int fresh = 1;
	while (fgets(buf, sizeof buf, f)) {
		size_t n = strlen(buf);
		if (fresh && (buf[0] == ' ' || buf[0] == '\t') && buf[strspn(buf, " \t\r\n")] != '\0' &&
		    buf[strspn(buf, " \t")] != ';' && buf[strspn(buf, " \t")] != '#') {
			*why = "indented line (continuation lines are not supported)";
			return line;
		}
		len += n;
		fresh = n > 0 && buf[n - 1] == '\n';
		if (fresh) {
			if (len - 1 > LINE_MAX_BYTES) {
				*why = "line longer than 199 bytes";
				return line;
			}
			line++;
			len = 0;
		}
	}
	if (len > LINE_MAX_BYTES) {
		*why = "line longer than 199 bytes";
		return line;
	}
	return 0;
}

int fsb_config_read(struct fsb_config *c, const char *path, char *err, size_t errlen)
{
	struct reader r = {.c = c};
	FILE *f = fopen(path, "r");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return FSB_EIO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)CONFIG_MAX_BYTES) {
		if (!S_ISREG(st.st_mode))
			snprintf(err, errlen, "%s: not a regular file", path);
		else
			snprintf(err, errlen, "%s: %lld bytes; a node configuration is at most %u",
				 path, (long long)st.st_size, CONFIG_MAX_BYTES);
		fclose(f);
		return FSB_ECONFIG;
	}
	char abs[PATH_MAX];
	if (!realpath(path, abs)) {
		snprintf(err, errlen, "%s: cannot resolve: %s", path, strerror(errno));
		fclose(f);
		return FSB_EIO;
	}
	free(c->path);
	c->path = strdup(abs);
	snprintf(r.dir, sizeof r.dir, "%s", abs);
	*strrchr(r.dir, '/') = '\0';
	const char *why = NULL;
	int line = first_bad_line(f, &why);
	if (line) {
		snprintf(err, errlen, "%s:%d: %s", path, line, why);
		fclose(f);
		return FSB_ECONFIG;
	}
	rewind(f);
	line = ini_parse_file(f, handler, &r);
	fclose(f);
	if (line == -2) {
		snprintf(err, errlen, "%s: out of memory", path);
		return FSB_ENOMEM;
	}
	if (line != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 r.msg[0] ? r.msg : "syntax error (expected [section] or key = value)");
		return FSB_ECONFIG;
	}
	return 0;
}

int fsb_config_check(const struct fsb_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const void *field = (const char *)c + keys[i].offset;
		if (keys[i].required && !*(void *const *)field) {
			snprintf(err, errlen, "%s: [%s] %s: required%s", c->path, keys[i].section,
				 keys[i].name,
				 keys[i].kind == K_CRLS
					 ? " (one CRL per CA, or \"none\" said explicitly: without a CRL revoked certificates are accepted)"
					 : "");
			return FSB_ECONFIG;
		}
	}
	if (c->n_crl != c->n_ca) {
		snprintf(err, errlen, "%s: [trust] crl: %zu CA file%s but %zu CRL entr%s; give one CRL per CA, or \"none\"",
			 c->path, c->n_ca, c->n_ca == 1 ? "" : "s", c->n_crl, c->n_crl == 1 ? "y" : "ies");
		return FSB_ECONFIG;
	}
	if (!!c->tls_cert != !!c->tls_key) {
		snprintf(err, errlen, "%s: [exchange] %s: required with %s", c->path,
			 c->tls_cert ? "tls_key" : "tls_cert", c->tls_cert ? "tls_cert" : "tls_key");
		return FSB_ECONFIG;
	}
	unsigned char addr[4];
	unsigned port;
	const char *why = c->http_listen ? fsb_fmt_listen(c->http_listen, addr, &port) : NULL;
	if (why) {
		snprintf(err, errlen, "%s: [http] listen: \"%s\": %s", c->path, c->http_listen, why);
		return FSB_ECONFIG;
	}
	/* Live feeds hold their connections: pages need some left. */
	if (c->http_max_live >= c->http_max_connections) {
		snprintf(err, errlen, "%s: [http] max_live_feeds: %zu, not below max_connections (%zu); "
				      "pages need connections of their own", c->path, c->http_max_live,
			 c->http_max_connections);
		return FSB_ECONFIG;
	}
	/* A message must fit wherever it may have to wait. */
	const struct {
		const char *name;
		size_t value, floor;
		const char *floor_is;
	} fits[] = {
		{"inbound_bytes", c->inbound_bytes, c->max_message_bytes, "max_message_bytes"},
		{"reorder_stream_bytes", c->reorder_stream_bytes, 2 * c->max_message_bytes,
		 "twice max_message_bytes"},
		{"reorder_bytes", c->reorder_bytes, c->reorder_stream_bytes, "reorder_stream_bytes"},
	};
	for (size_t i = 0; i < sizeof fits / sizeof fits[0]; i++)
		if (fits[i].value < fits[i].floor) {
			snprintf(err, errlen, "%s: [limits] %s: %zu bytes; it must be at least %s (%zu)",
				 c->path, fits[i].name, fits[i].value, fits[i].floor_is, fits[i].floor);
			return FSB_ECONFIG;
		}
	int tls = strncmp(c->exchange_uri, "ssl://", 6) == 0 || strncmp(c->exchange_uri, "mqtts://", 8) == 0;
	if (tls && !c->tls_ca) {
		snprintf(err, errlen, "%s: [exchange] tls_ca: required for %s", c->path, c->exchange_uri);
		return FSB_ECONFIG;
	}
	return 0;
}

static void print_value(FILE *out, const char *name, const char *v)
{
	if (v)
		fprintf(out, "%-23s = %s\n", name, v);
}

void fsb_config_print(const struct fsb_config *c, FILE *out)
{
	fprintf(out, "; effective configuration of %s\n", c->path);
	const char *section = "";
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];
		const void *field = (const char *)c + k->offset;
		if (strcmp(section, k->section) != 0) {
			fprintf(out, "%s[%s]\n", section[0] ? "\n" : "", k->section);
			section = k->section;
		}
		switch (k->kind) {
		case K_SECONDS:
			fprintf(out, "%-23s = %lld\n", k->name, (long long)(*(const int64_t *)field / 1000));
			break;
		case K_BYTES:
		case K_COUNT:
			fprintf(out, "%-23s = %zu\n", k->name, *(const size_t *)field);
			break;
		case K_MQTT_VERSION:
			for (size_t j = 0; j < sizeof mqtt_versions / sizeof mqtt_versions[0]; j++)
				if (mqtt_versions[j].value == *(const int *)field)
					print_value(out, k->name, mqtt_versions[j].name);
			break;
		case K_PATHS:
		case K_CRLS: {
			char *const *list = *(char **const *)field;
			size_t n = k->kind == K_PATHS ? c->n_ca : c->n_crl;
			if (!list)
				break;
			fprintf(out, "%-23s = ", k->name);
			for (size_t j = 0; j < n; j++)
				fprintf(out, "%s%s", j ? ", " : "", list[j] ? list[j] : "none");
			fputc('\n', out);
			break;
		}
		default:
			print_value(out, k->name, *(char *const *)field ? *(char *const *)field : k->def);
			break;
		}
	}
}
