/* What the store keeps for the catalogue across hubs (design.md §10): the
 * read-only mirror of an upstream's catalogue, a few named values of the
 * federation's progress (the mirror's last seq and health, the publication
 * cursor), and when the upstream accepted each change this registry
 * published to it. */
#ifndef LIENTHONG_STORE_CATALOGUE_H
#define LIENTHONG_STORE_CATALOGUE_H

#include <stdint.h>

#include "lienthong/store.h"

/* One mirrored unit: data is its unit object (design.md §7.2, successors
 * and predecessors included) as JSON text. */
int lt_store_mirror_put(struct lt_store *s, const char *code, const char *parent, const char *status, const char *data,
			struct lt_err *err);
/* *data (caller frees) or LT_ENOTFOUND with err untouched. */
int lt_store_mirror_get(struct lt_store *s, const char *code, char **data, struct lt_err *err);
/* Empties the mirror (a snapshot replaces it whole). */
int lt_store_mirror_clear(struct lt_store *s, struct lt_err *err);
int lt_store_mirror_count(struct lt_store *s, int64_t *n, struct lt_err *err);

/* A named value: *value (caller frees) or LT_ENOTFOUND with err untouched. */
int lt_store_fed_get(struct lt_store *s, const char *key, char **value, struct lt_err *err);
int lt_store_fed_set(struct lt_store *s, const char *key, const char *value, struct lt_err *err);

/* When the upstream accepted change_id ("YYYY-MM-DDTHH:MM:SSZ"); a later
 * acceptance of the same change replaces it. */
int lt_store_upload_set(struct lt_store *s, int64_t change_id, const char *at, struct lt_err *err);
/* LT_ENOTFOUND (err untouched) while not accepted. */
int lt_store_upload_get(struct lt_store *s, int64_t change_id, char at[32], struct lt_err *err);

#endif
