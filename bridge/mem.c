/* mem.c - growing the arrays that modules keep (see mem.h). */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define FIRST_CAP 16

int fsb_mem_grow(void *items, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t want = *cap ? *cap * 2 : FIRST_CAP;
	if (want < *cap || want > SIZE_MAX / size)
		return FSB_ENOMEM;
	/* items points to a T *, which is read and written as bytes: C does
	 * not let a T ** be used as a void **. */
	void *old, *more;
	memcpy(&old, items, sizeof old);
	if (!(more = realloc(old, want * size)))
		return FSB_ENOMEM;
	memcpy(items, &more, sizeof more);
	*cap = want;
	return 0;
}
