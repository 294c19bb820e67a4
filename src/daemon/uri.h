/* The request target, decoded strictly (uri.c). */
#ifndef LT_DAEMON_URI_H
#define LT_DAEMON_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "lienthong/err.h"
#include "lienthong/text.h"

#define URI_MAX_QUERY 16

struct uri {
	char *path;
	struct { char *key, *val; } query[URI_MAX_QUERY];
	size_t n_query;
};

/* Fills u (owned: uri_free, also after a failure). */
int uri_parse(const char *raw, struct uri *u, struct lt_err *err);
void uri_free(struct uri *u);

#endif
