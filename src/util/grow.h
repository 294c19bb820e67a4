/* Growing a caller's array by doubling, shared by the library's lists. */
#ifndef LT_UTIL_GROW_H
#define LT_UTIL_GROW_H

#include <stdlib.h>

/* Makes room for one more element in *arr (n used, *cap allocated, elem bytes
 * each). Returns 0, or -1 with *arr untouched when memory runs out. */
static inline int lt__grow(void *arr, size_t n, size_t *cap, size_t elem)
{
	void **p = arr;
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *q = realloc(*p, ncap * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

#endif
