/* The old→current code mapping of a transition (design.md §6), derived from
 * the lineage: every code closed in a range, each with every active unit it
 * leads to now (several reorganisations followed), one row per pair. A code
 * that leads to more than one unit (a split) is ambiguous: a human chooses.
 * Written as CSV, JSON or one SQL transaction; the converter (convert.h)
 * reads the same rows. Who fetched the mapping is recorded, for the
 * campaigns' map_fetched check. */
#ifndef LIENTHONG_TRANSITION_MAP_H
#define LIENTHONG_TRANSITION_MAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lienthong/ctx.h"
#include "lienthong/registry.h"

/* Which closed codes: those closed on or after since ("" for all), whose
 * old code or a current successor is in the subtree of under (the unit
 * itself included; "" for all), closed by a step of plan (0 for any: a
 * plan's closures are the codes it closed, the old codes of the units it
 * moved among them). */
struct lt_map_filter {
	char since[LT_DATE_BUFSZ];
	char under[LT_CODE_BUFSZ];
	int64_t plan;
};

/* One row: old_code → new_code. new_code is "" for a code closed with no
 * active successor (dissolved), which no conversion can settle alone. */
struct lt_map_row {
	char old_code[LT_CODE_BUFSZ];
	char new_code[LT_CODE_BUFSZ];
	char *old_name, *new_name; /* owned */
	char kind[16];             /* the change that closed old_code: move, split, merge, dissolve */
	char effective[LT_DATE_BUFSZ];
	char decision_number[128];
	bool ambiguous; /* old_code leads to more than one active unit */
};

/* Rows in tree order of old_code; a code's rows are adjacent. */
struct lt_map {
	struct lt_map_row *rows;
	size_t n, cap;
	struct lt_map_filter filter;
};
void lt_map_free(struct lt_map *m);

/* Builds the mapping from the registry as it stands now. A filter date or
 * code that is malformed is LT_EINVAL naming the field; a plan that does
 * not exist LT_ENOTFOUND. */
int lt_transition_map(struct lt_registry *r, const struct lt_map_filter *f, struct lt_map *out, struct lt_err *err);

enum lt_map_format { LT_MAP_CSV, LT_MAP_JSON, LT_MAP_SQL };
/* "csv", "json", "sql"; LT_EINVAL otherwise. */
int lt_map_format_parse(const char *text, enum lt_map_format *out, struct lt_err *err);

/* CSV with the header old_code,new_code,old_name,new_name,kind,effective,
 * decision_number,ambiguous (ambiguous is "true" or "false"). */
int lt_map_write_csv(const struct lt_map *m, FILE *out, struct lt_err *err);
/* {"since","under","plan","rows":[{old_code,new_code(null when none),old_name,
 * new_name,kind,effective,decision_number,ambiguous}]}; caller owns it. */
json_t *lt_map_to_json(const struct lt_map *m);
/* One transaction: an UPDATE per unambiguous row, setting column of table
 * from old_code to new_code; ambiguous and successor-less codes as comments
 * naming the candidates, for a human to choose. table and column must pass
 * lt_map_sql_ident; they are written double-quoted. */
int lt_map_write_sql(const struct lt_map *m, FILE *out, const char *table, const char *column, struct lt_err *err);
/* An SQL identifier this writer accepts: a letter or '_' then letters,
 * digits or '_', at most 63 bytes; for a table, one "schema." prefix of the
 * same form. LT_EINVAL naming what (the field) otherwise. */
int lt_map_sql_ident(const char *ident, bool qualified, const char *what, struct lt_err *err);

/* Records that ctx->who fetched the mapping (the filter and format as
 * details), for the campaigns' map_fetched check: an entry in the audit
 * trail, action "transition.map_fetch", target "system:ID" for a connected
 * system's credential, "token:ID" for another bearer token. An anonymous
 * caller or the local CLI has no identity to record: nothing is written. */
int lt_transition_note_read(struct lt_store *s, const struct lt_ctx *ctx, const struct lt_map_filter *f,
			    const char *format, struct lt_err *err);
/* When the connected system last fetched the mapping at or after since
 * (a UTC time or date prefix, "" for ever): at receives the UTC time, ""
 * when it never did. */
int lt_transition_map_fetched(struct lt_store *s, int64_t system_id, const char *since, char at[32],
			      struct lt_err *err);

/* Search lands on old codes: a complete code typed into search (q, spaces
 * around it allowed, lenient forms read) that names a closed unit gives cb
 * that unit, then each active unit it leads to now, whatever status filter
 * the search had; *landed says so and current (when given) receives the
 * active codes. Anything else is no landing (*landed false, cb not called):
 * the search runs as usual. */
int lt_transition_search_land(struct lt_registry *r, const char *q, lt_unit_cb cb, void *ctx,
			      struct lt_codelist *current, bool *landed, struct lt_err *err);

#endif
