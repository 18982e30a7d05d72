/* test_fuzz_regressions.c - every saved fuzzer input, replayed through its
 * target under the unit tests (and their sanitizer build). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/targets.h"
#include "helpers.h"

static size_t replay(const char *target, int (*fn)(const uint8_t *, size_t))
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/%s", FSB_TOP_DIR, target);
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "no %s", dir);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t len;
		char *data = th_read(path, &len);
		cr_expect_eq(fn((const uint8_t *)data, len), 0, "%s", path);
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

Test(fuzz_regressions, envelope)
{
	setenv("FSB_FUZZ_PKI", PKI, 1);
	cr_expect_gt(replay("envelope", fsb_fuzz_envelope), 0);
}

Test(fuzz_regressions, json)
{
	cr_expect_gt(replay("json", fsb_fuzz_json), 0);
}

Test(fuzz_regressions, config)
{
	cr_expect_gt(replay("config", fsb_fuzz_config), 0);
}

Test(fuzz_regressions, sequence)
{
	cr_expect_gt(replay("sequence", fsb_fuzz_sequence), 0);
}

Test(fuzz_regressions, web)
{
	setenv("FSB_FUZZ_PKI", PKI, 1);
	cr_expect_gt(replay("web", fsb_fuzz_web), 0);
}
