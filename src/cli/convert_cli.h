/* The pieces of lienthong convert shared by its three modes: convert,
 * --detect (cmd_convert_detect.c) and --sum (cmd_convert_sum.c). */
#ifndef LIENTHONG_CLI_CONVERT_H
#define LIENTHONG_CLI_CONVERT_H

#include "cli.h"
#include "lienthong/convert.h"

#define CONVERT_MAX_SUM 64

struct convert_args {
	struct lt_map_filter filter;
	const char *in, *out, *report, *format;
	bool resign, detect, sum;
	const char **columns; /* --sum */
	size_t n_columns;
};

/* lt_convert_known_fn over the local registry (ctx is the registry). */
int convert_known(void *ctx, const char *code, bool *known);
/* Opens IN ("-": standard input); prints why and returns EXIT_IO on failure. */
int convert_open_input(const char *path, FILE **in);
/* The failure of a run: a file that cannot be read as its format exits 3. */
int convert_fail(const struct lt_err *err);
/* Writes --report, prints the summary and the first unresolved
 * occurrences; EXIT_REFUSED when some need a choice. */
int convert_finish(struct lt_convert *cv, const char *in_name, const char *report);
int convert_file(struct lt_convert *cv, const struct convert_args *o);
int convert_sum(struct lt_convert *cv, const struct convert_args *o);
int convert_detect(struct cli *cli, struct lt_registry *r, const struct cli_args *a, const char *in,
		   enum lt_convert_format fmt);

#endif
