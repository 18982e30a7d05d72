/* cli.c - helpers shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int fsb_read_file(const char *path, size_t max_bytes, char **buf, size_t *len)
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
