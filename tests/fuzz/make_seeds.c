/* make_seeds.c - seeds for the fuzzers: every example sealed as an
 * envelope with the test PKI, a signed checkpoint and sync request, the
 * JSON examples as they are, and the demo configurations.
 *
 *   make_seeds PKI_DIR EXAMPLES_DIR CONFIG_DIR OUT_DIR
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "format.h"
#include "seal.h"

static void put(const char *dir, const char *sub, const char *name, const void *data, size_t len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		fprintf(stderr, "make_seeds: cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: make_seeds PKI_DIR EXAMPLES_DIR CONFIG_DIR OUT_DIR\n");
		return 2;
	}
	const char *pki = argv[1], *examples = argv[2], *configs = argv[3], *out = argv[4];
	char key[512], crt[512], err[512], path[1024];
	snprintf(key, sizeof key, "%s/longan.key", pki);
	snprintf(crt, sizeof crt, "%s/longan.crt", pki);
	struct fsb_signer *s;
	if (fsb_signer_open(key, crt, &s, err, sizeof err)) {
		fprintf(stderr, "make_seeds: %s\n", err);
		return 1;
	}
	char when[FSB_TIME_MAX + 1];
	fsb_fmt_time(fsb_fmt_now_ms(), when);
	DIR *d = opendir(examples);
	struct dirent *e;
	uint64_t seq = 1;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof path, "%s/%s", examples, e->d_name);
		char *text;
		size_t len;
		struct fsb_message *m = NULL;
		struct fsb_errlist errs;
		fsb_errlist_init(&errs);
		if (fsb_cli_read_file(path, 1 << 20, &text, &len) ||
		    fsb_message_from_json(text, len, FSB_KIND_NONE, &m, &errs))
			continue;
		put(out, "json", e->d_name, text, len);
		struct fsb_stamp st = {.origin = "longan", .seq = seq++, .issued_at = when};
		uint8_t *env, hash[FSB_SHA256_LEN];
		size_t env_len;
		if (fsb_seal_message(s, m, &st, &env, &env_len, hash, NULL) == 0) {
			put(out, "envelope", e->d_name, env, env_len);
			free(env);
		}
		fsb_message_free(m);
		free(text);
	}
	if (d)
		closedir(d);
	struct fsb_stream_state heads[2] = {{"longan", 7, {1}}, {"cantho", 3, {2}}};
	struct fsb_control cp = {.type = FSB_CONTROL_CHECKPOINT, .streams = heads, .n_streams = 2,
				 .log_index = 10};
	strcpy(cp.origin, "longan");
	strcpy(cp.issued_at, when);
	struct fsb_control sr = {.type = FSB_CONTROL_SYNC, .from_seq = 4, .to_seq = 9};
	strcpy(sr.origin, "longan");
	strcpy(sr.issued_at, when);
	strcpy(sr.sync_origin, "cantho");
	strcpy(sr.responder, "cantho");
	uint8_t *env;
	size_t env_len;
	if (fsb_seal_control(s, &cp, &env, &env_len) == 0) {
		put(out, "envelope", "checkpoint", env, env_len);
		free(env);
	}
	if (fsb_seal_control(s, &sr, &env, &env_len) == 0) {
		put(out, "envelope", "sync", env, env_len);
		free(env);
	}
	fsb_signer_close(s);
	const char *names[] = {"longan.conf", "cantho.conf"};
	for (int i = 0; i < 2; i++) {
		char *text;
		size_t len;
		snprintf(path, sizeof path, "%s/%s", configs, names[i]);
		if (fsb_cli_read_file(path, 1 << 20, &text, &len) == 0) {
			put(out, "config", names[i], text, len);
			free(text);
		}
	}
	return 0;
}
