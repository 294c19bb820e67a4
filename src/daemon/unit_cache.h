/* A cache of GET /v1/units/{code} replies, valid for one registry
 * generation (unit_cache.c). */
#ifndef LT_DAEMON_UNIT_CACHE_H
#define LT_DAEMON_UNIT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lienthong/code.h"

struct unit_cache;
/* A cache of `entries` slots (NULL for 0 or out of memory: every call
 * then misses); unit_cache_free releases it and the replies it holds. */
struct unit_cache *unit_cache_new(size_t entries);
void unit_cache_free(struct unit_cache *c);
/* On a hit, a copy of the reply (*body, caller frees) and its ETag. */
bool unit_cache_get(struct unit_cache *c, const void *owner, const char *code, uint64_t gen, char etag[48], char **body,
		    size_t *len);
/* Keeps a copy of the reply built under generation gen. */
void unit_cache_put(struct unit_cache *c, const void *owner, const char *code, uint64_t gen, const char *etag,
		    const char *body, size_t len);

#endif
