/* lienthong convert --detect IN: the date whose catalogue the file's codes
 * fit best, how many of them closed since, and the mapping they need. */
#include <stdio.h>
#include <string.h>

#include "convert_cli.h"

static void print_text(const json_t *d, const char *in)
{
	const char *date = json_string_value(json_object_get(d, "date"));
	long long codes = json_integer_value(json_object_get(d, "codes"));
	long long known = json_integer_value(json_object_get(d, "known"));
	long long active = json_integer_value(json_object_get(d, "active_on_date"));
	long long closed = json_integer_value(json_object_get(d, "closed_since"));
	if (!date) {
		printf("%s: none of its %lld code%s is in the registry\n", in, codes, codes == 1 ? "" : "s");
		return;
	}
	printf("%s fits the catalogue of %s: %lld of its %lld known codes were active then (%lld codes in all)\n", in,
	       date, active, known, codes);
	printf("closed since: %lld\n", closed);
	const json_t *rows = json_object_get(d, "mapping");
	size_t i;
	const json_t *row;
	json_array_foreach(rows, i, row)
	{
		const char *to = json_string_value(json_object_get(row, "new_code"));
		printf("  %s -> %s%s\n", json_string_value(json_object_get(row, "old_code")),
		       to ? to : "(no successor)",
		       json_is_true(json_object_get(row, "ambiguous")) ? "  (split: needs --choose)" : "");
	}
	const json_t *unknown = json_object_get(d, "unknown");
	if (json_array_size(unknown))
		printf("unknown to the registry: %zu code%s\n", json_array_size(unknown),
		       json_array_size(unknown) == 1 ? "" : "s");
	if (json_array_size(rows))
		printf("convert with: lienthong convert --since %s %s -o OUT\n",
		       json_string_value(json_object_get(d, "since")), in);
}

int convert_detect(struct cli *cli, struct lt_registry *r, const struct cli_args *a, const char *in,
		   enum lt_convert_format fmt)
{
	(void)a;
	FILE *f;
	int rc = convert_open_input(in, &f);
	if (rc)
		return rc;
	json_t *d = NULL;
	struct lt_err err = {0};
	rc = lt_convert_detect(r, f, fmt, &d, &err) ? convert_fail(&err) : EXIT_OK;
	if (f != stdin)
		fclose(f);
	if (rc)
		return rc;
	if (cli->json)
		return cli_print_json(d);
	print_text(d, in);
	json_decref(d);
	return cli_flush();
}
