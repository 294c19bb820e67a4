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

int conv_run_csv(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err);
int conv_run_json(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err);
int conv_run_xml(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err);

#endif
