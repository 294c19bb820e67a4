/* The table of catalogue-federation operations (store_catalogue.h) each
 * store backend fills; lt_store_ops points at it. */
#ifndef LT_STORE_CATALOGUE_OPS_H
#define LT_STORE_CATALOGUE_OPS_H

#include "lienthong/store_catalogue.h"

struct lt_store_catalogue_ops {
	int (*mirror_put)(struct lt_store *s, const char *code, const char *parent, const char *status,
			  const char *data, struct lt_err *err);
	int (*mirror_get)(struct lt_store *s, const char *code, char **data, struct lt_err *err);
	int (*mirror_clear)(struct lt_store *s, struct lt_err *err);
	int (*mirror_count)(struct lt_store *s, int64_t *n, struct lt_err *err);
	int (*fed_get)(struct lt_store *s, const char *key, char **value, struct lt_err *err);
	int (*fed_set)(struct lt_store *s, const char *key, const char *value, struct lt_err *err);
	int (*upload_set)(struct lt_store *s, int64_t change_id, const char *at, struct lt_err *err);
	int (*upload_get)(struct lt_store *s, int64_t change_id, char at[32], struct lt_err *err);
};

#endif
