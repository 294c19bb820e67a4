/* libFuzzer target for the CSV import: any bytes, as a file, into a fresh
 * in-memory registry. Besides not crashing: a refused import writes nothing,
 * every refused row carries a reason, a file with a NUL byte is never
 * accepted, and what was accepted exports to a file that a second registry
 * imports and exports to the same bytes (the export's neutralised cells
 * read back as they were). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Imports are an admin's act. */
static const struct lt_ctx admin = {.who = {.role = LT_ROLE_ADMIN, .name = "fuzz"}};
#define FX_ADMIN (&admin)

static int count(void *ctx, const struct lt_unit *u)
{
	(void)u;
	(*(int *)ctx)++;
	return 0;
}

/* Exports r into a malloc'd buffer (*len bytes). */
static char *export_all(struct lt_registry *r, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	struct lt_err err = {0};
	if (!f || lt_registry_export_csv(r, f, NULL, NULL, &err) != LT_OK)
		abort();
	fclose(f);
	return text;
}

/* The export of an accepted file goes into a fresh registry and out again
 * unchanged. */
static void round_trip(struct lt_registry *r)
{
	size_t len1 = 0, len2 = 0;
	char *one = export_all(r, &len1);
	struct lt_registry *again;
	struct lt_err err = {0};
	if (lt_registry_open(&again, ":memory:", &err) != LT_OK)
		abort();
	FILE *f = fmemopen(one, len1, "r");
	struct lt_import_report rep;
	if (lt_registry_import_csv(again, FX_ADMIN, f, &rep, &err) != LT_OK)
		abort();
	fclose(f);
	lt_import_report_free(&rep);
	char *two = export_all(again, &len2);
	if (len1 != len2 || memcmp(one, two, len1) != 0)
		abort();
	free(one);
	free(two);
	lt_registry_close(again);
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
	int rc = lt_registry_import_csv(r, FX_ADMIN, f, &rep, &err);
	fclose(f);
	int n = 0;
	struct lt_search q = {.status = LT_FILTER_ALL, .limit = 500};
	if (lt_registry_search(r, &q, count, &n, NULL, &err) != LT_OK)
		abort();
	if (rc != LT_OK && n != 0)
		abort(); /* all or nothing */
	if (rc == LT_OK && (size_t)n != rep.imported && rep.imported <= 500)
		abort();
	if (rc == LT_OK && memchr(data, '\0', size))
		abort(); /* a NUL is refused, never cut at */
	if (rc == LT_OK && n > 0)
		round_trip(r);
	size_t i;
	json_t *e;
	json_array_foreach(rep.errors, i, e) if (!json_string_value(json_object_get(e, "reason"))) abort();
	lt_import_report_free(&rep);
	lt_registry_close(r);
	return 0;
}
