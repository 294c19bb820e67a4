/* The rows of a CSV import on their way to the registry, kept in a private
 * SQLite database on disk (not the registry's store: it holds for either
 * backend) so an import's memory does not grow with its file. The rows come
 * back in tree order (sort key, then line), as often as needed; a row can be
 * marked refused on the way, and the refused row of a code looked up, which
 * is how a child learns its parent was refused. */
#ifndef LT_IMPORT_STAGE_H
#define LT_IMPORT_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "lienthong/err.h"

#define LT__STAGE_FIELDS 18

struct lt__stage;

struct lt__stage_row {
	int64_t id; /* the stage's own, for lt__stage_refuse */
	long line;
	int code_col;
	bool bad;
	bool known; /* lt__stage_known named its code */
	const char *code;
	const char *sort_key;
	const char *f[LT__STAGE_FIELDS]; /* NULL: the file lacks the column */
};

int lt__stage_open(struct lt__stage **out, struct lt_err *err);
void lt__stage_close(struct lt__stage *s);
/* Copies the row in (its id is ignored). */
int lt__stage_put(struct lt__stage *s, const struct lt__stage_row *r, struct lt_err *err);
/* Ends the loading: from now on the rows come back in tree order. */
int lt__stage_sorted(struct lt__stage *s, struct lt_err *err);
/* Steps through the rows in tree order, from the first after a rewind: 1
 * with *r filled (its strings valid until the next call), 0 at the end, or
 * an error status. */
int lt__stage_rewind(struct lt__stage *s);
int lt__stage_next(struct lt__stage *s, struct lt__stage_row *r, struct lt_err *err);
int lt__stage_refuse(struct lt__stage *s, int64_t id, struct lt_err *err);
/* The first line of a refused row whose sort key is this, or 0. */
long lt__stage_refused_line(struct lt__stage *s, const char *sort_key);
/* Once sorted: marks the rows of this sort key as the registry's. Called
 * with the registry's keys in ascending order (lt_store_sort_keys), its
 * look-ups go through the stage's index in that order, each page read once:
 * a merge of the two lists. *rows counts the rows it marks. */
int lt__stage_known(struct lt__stage *s, const char *sort_key, size_t *rows, struct lt_err *err);
/* How many rows are refused. */
int lt__stage_refused(struct lt__stage *s, size_t *n, struct lt_err *err);

#endif
