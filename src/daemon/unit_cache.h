/* A cache of GET /v1/units/{code} replies, valid for one registry
 * generation (unit_cache.c). */
#ifndef LT_DAEMON_UNIT_CACHE_H
#define LT_DAEMON_UNIT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lienthong/code.h"

/* On a hit, a copy of the reply (*body, caller frees) and its ETag. */
bool unit_cache_get(const void *owner, const char *code, uint64_t gen, char etag[48], char **body, size_t *len);
/* Keeps a copy of the reply built under generation gen. */
void unit_cache_put(const void *owner, const char *code, uint64_t gen, const char *etag, const char *body, size_t len);

#endif
