/* The converter of design.md §6: rewrites every occurrence of a closed code in
 * a CSV, JSON or XML file to its current code, streaming (memory bounded by
 * the mapping and the number of distinct codes seen, never by the file), and
 * accounts for each code: how many were converted, every occurrence that
 * needs a human choice (a split, a code closed with no successor) with its
 * location, and codes the registry does not know.
 *
 * A code is found by the code grammar, lenient forms included (a hole, a
 * three-digit level 3), as a token of its own: a code glued to letters,
 * digits, '_' or a dotted continuation ("1.011442.000.00.00.H38",
 * "000.00.00.H470") is part of a longer token and left alone. */
#ifndef LIENTHONG_CONVERT_H
#define LIENTHONG_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lienthong/transition_map.h"

enum lt_convert_format { LT_CONVERT_CSV, LT_CONVERT_JSON, LT_CONVERT_XML };
/* "csv", "json", "xml"; LT_EINVAL otherwise. */
int lt_convert_format_parse(const char *text, enum lt_convert_format *out, struct lt_err *err);
/* From a file name's extension (.csv .json .ndjson .xml .edxml); LT_EINVAL
 * when it says nothing. */
int lt_convert_format_guess(const char *path, enum lt_convert_format *out, struct lt_err *err);

/* Whether the registry knows a code the mapping does not hold (an active
 * unit): LT_OK with *known set, or a failure status. */
typedef int (*lt_convert_known_fn)(void *ctx, const char *code, bool *known);

struct lt_convert_opts {
	enum lt_convert_format format;
	/* XML: a file carrying an XML-DSig signature is refused (LT_ERULE)
	 * unless set, because rewriting it voids the signature; when set the
	 * signature is dropped and the report says so, to be signed again. */
	bool resign_needed;
	lt_convert_known_fn known; /* NULL: codes outside the mapping are not judged */
	void *known_ctx;
	const char *input_name; /* for the report */
};

struct lt_convert;

/* A converter for the mapping's rows (copied: m may be freed after). */
int lt_convert_new(struct lt_convert **out, const struct lt_map *m, const struct lt_convert_opts *o,
		   struct lt_err *err);
void lt_convert_free(struct lt_convert *c);

/* Settles a code that needs a choice: old must be a code of the mapping and
 * new one of its current successors (or, for a code closed with no
 * successor, a code the registry knows). LT_EINVAL naming the reason. */
int lt_convert_choose(struct lt_convert *c, const char *old_code, const char *new_code, struct lt_err *err);

/* Reads in, writes the converted file to out. A file that cannot be read
 * as the format is LT_EINVAL naming where; a failed read or write LT_EIO.
 * Once run, the counts below hold. */
int lt_convert_run(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err);

struct lt_convert_counts {
	uint64_t occurrences; /* of closed codes */
	uint64_t converted;
	uint64_t unresolved; /* left as they were: a choice is needed */
	uint64_t unknown;    /* occurrences of codes the registry does not know */
	bool signature_removed;
	uint64_t rows_in, rows_out; /* lt_convert_run_sum: records read and written */
};
void lt_convert_counts(const struct lt_convert *c, struct lt_convert_counts *out);

/* The report: {"input","format","occurrences","converted","unresolved",
 * "codes":{OLD:{"count","converted","to"|"candidates","reason"}},
 * "ambiguous":[{"code","reason","candidates",<location>}],
 * "unknown":{CODE:count},"signature_removed"}. A CSV location is "line"
 * (the physical line where the record starts) and "column" (the field,
 * 1-based); JSON's "pointer" (RFC 6901); XML's "xpath". Written as it is
 * read back from a spool, so its size costs no memory. */
int lt_convert_report_write(struct lt_convert *c, FILE *out, struct lt_err *err);
/* Calls cb for each occurrence left unresolved, as the report's
 * "ambiguous" items (borrowed), at most limit (0: all). */
int lt_convert_each_unresolved(struct lt_convert *c, size_t limit, int (*cb)(void *ctx, const json_t *item), void *ctx,
			       struct lt_err *err);

/* Like lt_convert_run for a reporting CSV: after conversion, records whose
 * other cells are equal (the codes of merged units now the same) become one,
 * each named column summed (integers stay integers). A column named that the
 * header lacks, or a value there that is not a number, is LT_EINVAL naming
 * it. A record with a code that needs a choice is kept as it is and
 * reported: a split cannot be apportioned. */
int lt_convert_run_sum(struct lt_convert *c, FILE *in, FILE *out, const char *const *columns, size_t n_columns,
		       struct lt_err *err);

/* Calls cb for every distinct code met by the run, with its occurrences. */
int lt_convert_each_code(const struct lt_convert *c, int (*cb)(void *ctx, const char *code, uint64_t count), void *ctx);

/* Which catalogue a file's codes fit best: reads in (format fmt), then
 * finds the latest date on which the most of its distinct codes were
 * active. *out (caller owns): {"date","codes","known","active_on_date",
 * "closed_since","since","unknown":[…],"mapping":[rows as
 * lt_map_to_json's]}; "since" is the --since a conversion then takes. */
int lt_convert_detect(struct lt_registry *r, FILE *in, enum lt_convert_format fmt, json_t **out, struct lt_err *err);

/* The code tokens of text, by the rule above: cb gets each one's offset,
 * length and canonical text (a three-digit level 3 of at most 99 written
 * with two). Returns cb's first non-zero return, else 0. */
int lt_convert_scan(const char *text, size_t len,
		    int (*cb)(void *ctx, size_t off, size_t n, const char canon[LT_CODE_BUFSZ]), void *ctx);

#endif
