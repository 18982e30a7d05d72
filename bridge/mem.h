/* mem.h - growing the arrays that modules keep, in one place.
 *
 * Several modules keep a dynamic array (peers, streams, waiting messages,
 * rejects of a turn) as a pointer, a count and a capacity. fsb_mem_grow()
 * makes room for one more element the same way for all of them: the
 * capacity doubles (from 16), the size is checked for overflow, and on
 * failure nothing changes, so the caller's array stays valid.
 */
#ifndef FSB_MEM_H
#define FSB_MEM_H

#include <stddef.h>

/* Makes room for element n of the array whose pointer is at `items` (a
 * pointer to the caller's `T *`), of *cap elements of `size` bytes each.
 * Returns 0 when n < *cap already or after growing (*cap updated), or
 * FSB_ENOMEM with the array and *cap unchanged. */
int fsb_mem_grow(void *items, size_t *cap, size_t n, size_t size);

#endif
