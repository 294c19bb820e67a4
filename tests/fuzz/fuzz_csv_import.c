/* libFuzzer target for the CSV import: any bytes, as a file, into a fresh
 * in-memory registry. Besides not crashing: a refused import writes nothing,
 * and every refused row carries a reason. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lienthong/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ctx, const struct lt_unit *u)
{
	(void)u;
	(*(int *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 1 << 16)
		return 0;
	struct lt_registry *r;
	struct lt_err err = {0};
	if (lt_registry_open(&r, ":memory:", &err) != LT_OK)
		abort();
	FILE *f = fmemopen((void *)data, size, "r");
	struct lt_import_report rep;
	int rc = lt_registry_import_csv(r, f, &rep, &err);
	fclose(f);
	int n = 0;
	struct lt_search q = {.status = LT_FILTER_ALL, .limit = 500};
	if (lt_registry_search(r, &q, count, &n, NULL, &err) != LT_OK)
		abort();
	if (rc != LT_OK && n != 0)
		abort(); /* all or nothing */
	if (rc == LT_OK && (size_t)n != rep.imported && rep.imported <= 500)
		abort();
	size_t i;
	json_t *e;
	json_array_foreach(rep.errors, i, e) if (!json_string_value(json_object_get(e, "reason"))) abort();
	lt_import_report_free(&rep);
	lt_registry_close(r);
	return 0;
}
