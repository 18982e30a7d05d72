/* test_mem.c - the growth of arrays shared by the modules. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "mem.h"

struct item {
	uint64_t a, b;
};

Test(mem, grows_by_doubling_and_keeps_what_was_there)
{
	struct item *items = NULL;
	size_t n = 0, cap = 0, grown = 0;
	for (uint64_t i = 0; i < 1000; i++) {
		size_t before = cap;
		cr_assert_eq(fsb_mem_grow(&items, &cap, n, sizeof *items), 0);
		cr_assert_gt(cap, n);
		if (cap != before) {
			cr_expect_eq(cap, before ? before * 2 : 16, "from %zu to %zu", before, cap);
			grown++;
		}
		items[n++] = (struct item){i, ~i};
	}
	/* 16, 32, 64, 128, 256, 512, 1024 */
	cr_expect_eq(grown, 7);
	cr_expect_eq(cap, 1024);
	for (uint64_t i = 0; i < n; i++)
		cr_assert(items[i].a == i && items[i].b == ~i, "element %llu", (unsigned long long)i);
	free(items);
}

Test(mem, room_left_changes_nothing)
{
	struct item *items = NULL;
	size_t cap = 0;
	cr_assert_eq(fsb_mem_grow(&items, &cap, 0, sizeof *items), 0);
	struct item *was = items;
	cr_expect_eq(fsb_mem_grow(&items, &cap, 15, sizeof *items), 0);
	cr_expect_eq(items, was);
	cr_expect_eq(cap, 16);
	free(items);
}

Test(mem, a_size_past_memory_fails_and_leaves_the_array)
{
	struct item *items = NULL;
	size_t cap = 0;
	cr_assert_eq(fsb_mem_grow(&items, &cap, 0, sizeof *items), 0);
	struct item *was = items;
	size_t huge = SIZE_MAX / 8;
	cr_expect_eq(fsb_mem_grow(&items, &cap, cap, huge), FSB_ENOMEM);
	cr_expect_eq(items, was);
	cr_expect_eq(cap, 16);
	free(items);
}
