/* test_demo.c - `make demo`, run as a newcomer would (tests/demo/demo.sh,
 * in a directory of its own): the exchange, the season and the report, and
 * at its end the web view serving the exchanged messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/helpers.h"

Test(demo, ends_with_the_web_view_serving_the_exchanged_messages)
{
	char dir[64];
	th_tmpdir(dir);
	/* stdin is not a terminal: the demo stops its servers when it ends */
	int st = th_sh("FSB_DEMO_DIR=%s/demo %s/tests/demo/demo.sh %s %s </dev/null >%s/demo.out 2>&1",
		       dir, FSB_TOP_DIR, FSB_BIN, FSB_SEASON, dir);
	char path[128];
	snprintf(path, sizeof path, "%s/demo.out", dir);
	char *out = th_read(path, NULL);
	cr_expect_eq(st, 0, "the demo failed:\n%s", out);
	static const char *const want[] = {
		"The web view beside the nodes",
		"/healthz -> {\"status\":\"ok\",\"origin\":\"longan\"",
		"the newest messages, as the feed at http://127.0.0.1:",
		" from cantho", /* the other province's messages, as Long An holds them */
		"a recall:         http://127.0.0.1:",
		"QR code per product",
		"Done.",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect(strstr(out, want[i]), "the demo does not say \"%s\":\n%s", want[i], out);
	cr_expect_null(strstr(out, "demo failed"), "%s", out);
	free(out);
	th_rmtree(dir);
}
