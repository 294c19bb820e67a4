/* Inside the converter: the table of codes it has met, the rewriting of one
 * piece of text, and the format drivers that call it. */
#ifndef LT_TRANSITION_CONVERT_IMPL_H
#define LT_TRANSITION_CONVERT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lienthong/convert.h"

enum entry_kind {
	ENTRY_MAPPED,  /* closed, one current successor */
	ENTRY_SPLIT,   /* closed, several: needs a choice */
	ENTRY_NONE,    /* closed, no successor: needs a choice */
	ENTRY_ACTIVE,  /* known to the registry, not closed */
	ENTRY_UNKNOWN, /* not known to the registry */
};

struct entry {
	char code[LT_CODE_BUFSZ];
	enum entry_kind kind;
	char (*targets)[LT_CODE_BUFSZ];
	size_t n_targets;
	char chosen[LT_CODE_BUFSZ]; /* --choose, or the one target of ENTRY_MAPPED */
	uint64_t count, converted;
	bool used;
};

/* A growable byte buffer. */
struct cbuf {
	char *p;
	size_t n, cap;
};
int cbuf_put(struct cbuf *b, const char *s, size_t n);
void cbuf_free(struct cbuf *b);

/* Renders the location of the text being rewritten, on demand (only an
 * unresolved occurrence needs it): sets fields of loc. */
typedef int (*loc_fn)(void *ctx, json_t *loc);

struct lt_convert {
	struct lt_convert_opts o;
	struct entry *slots; /* open addressing by code */
	size_t cap, used;
	struct lt_convert_counts counts;
	FILE *spool; /* the unresolved occurrences, one JSON object a line */
	struct cbuf out;
	struct lt_err *err;
};

/* Rewrites text[0..len) into c->out (cleared first). *changed says whether
 * any code was replaced; when not, the caller may write the original. */
int conv_text(struct lt_convert *c, const char *text, size_t len, bool *changed, loc_fn where, void *where_ctx);

/* A CSV file read record by record through libcsv, for the two CSV drivers
 * (conversion and --sum). Cells keep their spaces; each record's cells sit
 * NUL-terminated in cells. row is called once per record with libcsv's
 * terminator; after it the record is dropped and line moves past it. */
struct csv_records {
	struct cbuf cells;
	size_t *offs; /* where each cell starts in cells */
	size_t n, cap;
	long line;     /* the physical line the current record starts on */
	long newlines; /* line breaks inside the current record's cells */
	size_t col;    /* the cell being looked at, 0-based, for locations */
	int rc;        /* set by row (or by running out of memory) to stop */
	void (*row)(int term, void *ctx);
	void *ctx;
};
/* Reads in to its end; returns the first failure (syntax, I/O, or rc). */
int conv_csv_read(FILE *in, struct csv_records *rec, struct lt_err *err);
const char *conv_csv_cell(const struct csv_records *rec, size_t i, size_t *len);
/* A loc_fn: the record's line and the current column. ctx is the records. */
int conv_csv_where(void *ctx, json_t *loc);
void conv_csv_free(struct csv_records *rec);

int conv_run_csv(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err);
int conv_run_json(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err);
int conv_run_xml(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err);

#endif
