/* What the converter's fuzz targets share: a small mapping (a merger, a
 * split, a dissolution) and one run of a format's driver over the input,
 * with the properties every run keeps: a refusal says why, and every closed
 * code met is either converted or left for a choice. */
#ifndef LT_FUZZ_CONVERT_H
#define LT_FUZZ_CONVERT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lienthong/convert.h"

static struct lt_map_row fuzz_rows[] = {
	{"000.00.00.H47", "000.00.00.H17", (char *)"a", (char *)"b", "merge", "2025-07-01", "1", false},
	{"000.00.02.H47", "000.00.02.H17", (char *)"a", (char *)"b", "split", "2025-07-01", "1", true},
	{"000.00.02.H47", "000.00.03.H17", (char *)"a", (char *)"b", "split", "2025-07-01", "1", true},
	{"000.00.09.H47", "", (char *)"a", (char *)"", "dissolve", "2025-07-01", "1", false},
};

static int fuzz_known_cb(void *ctx, const char *code, bool *known)
{
	(void)ctx;
	*known = code[LT_CODE_LEN - 3] == 'G';
	return LT_OK;
}

static void fuzz_convert(const uint8_t *data, size_t size, enum lt_convert_format fmt)
{
	const struct lt_map m = {fuzz_rows, sizeof fuzz_rows / sizeof fuzz_rows[0], 0, {"", "", 0}};
	struct lt_convert_opts o = {.format = fmt, .resign_needed = size & 1, .known = fuzz_known_cb};
	struct lt_convert *c;
	struct lt_err err = {0};
	if (lt_convert_new(&c, &m, &o, &err))
		abort();
	FILE *in = fmemopen((void *)data, size, "r");
	char *out = NULL;
	size_t len = 0;
	FILE *o_f = open_memstream(&out, &len);
	if (size == 0 || !in || !o_f) {
		if (in)
			fclose(in);
		if (o_f)
			fclose(o_f);
		free(out);
		lt_convert_free(c);
		return;
	}
	int rc = lt_convert_run(c, in, o_f, &err);
	if (rc != LT_OK && err.msg[0] == '\0')
		abort(); /* every refusal says why */
	struct lt_convert_counts n;
	lt_convert_counts(c, &n);
	if (n.converted + n.unresolved != n.occurrences)
		abort();
	FILE *sink = fopen("/dev/null", "w");
	if (sink && lt_convert_report_write(c, sink, &err) != LT_OK)
		abort();
	if (sink)
		fclose(sink);
	fclose(in);
	fclose(o_f);
	free(out);
	lt_convert_free(c);
}

#endif
