/* lienthong import FILE.csv: loads units from CSV, all or nothing
 * (design.md §4). On refusal every bad row is named on stderr, so a
 * province can fix its file in one pass instead of one error per run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define USAGE "import FILE.csv [--json]   (FILE may be - for standard input)"

void cli_print_import_errors(const struct lt_import_report *rep, const char *prefix, bool warnings)
{
	const char *sep = prefix ? ": " : "";
	if (!prefix)
		prefix = "";
	size_t i;
	json_t *e;
	json_array_foreach(rep->errors, i, e)
	{
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *reason = json_string_value(json_object_get(e, "reason"));
		json_int_t line = json_integer_value(json_object_get(e, "line"));
		if (code && code[0])
			fprintf(stderr, "%s%sline %lld: %s: %s\n", prefix, sep, (long long)line, code,
				reason ? reason : "refused");
		else
			fprintf(stderr, "%s%sline %lld: %s\n", prefix, sep, (long long)line,
				reason ? reason : "refused");
	}
	if (!warnings)
		return;
	json_array_foreach(rep->warnings, i, e)
	{
		/* Warnings have no fixed shape yet: a sentence, or an object like
		 * the errors. */
		if (json_is_string(e)) {
			fprintf(stderr, "%s%swarning: %s\n", prefix, sep, json_string_value(e));
			continue;
		}
		const char *reason = json_string_value(json_object_get(e, "reason"));
		json_t *line = json_object_get(e, "line");
		if (reason && json_is_integer(line))
			fprintf(stderr, "%s%swarning: line %lld: %s\n", prefix, sep,
				(long long)json_integer_value(line), reason);
		else if (reason)
			fprintf(stderr, "%s%swarning: %s\n", prefix, sep, reason);
		else {
			char *text = json_dumps(e, JSON_COMPACT);
			fprintf(stderr, "%s%swarning: %s\n", prefix, sep, text ? text : "?");
			free(text);
		}
	}
}

static json_t *report_json(const char *file, const struct lt_import_report *rep, bool ok)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "ok", json_boolean(ok));
	json_object_set_new(o, "rows", json_integer((json_int_t)rep->rows));
	json_object_set_new(o, "imported", json_integer((json_int_t)rep->imported));
	json_object_set_new(o, "errors", rep->errors ? json_incref(rep->errors) : json_array());
	json_object_set_new(o, "warnings", rep->warnings ? json_incref(rep->warnings) : json_array());
	return o;
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *file = NULL, *p;
	cli_args_init(&a, cli, argc, argv, "import", USAGE);
	while (cli_next(&a)) {
		if ((p = cli_positional(&a)) && !file)
			file = p;
		else
			cli_unknown(&a);
	}
	if (a.stop)
		return a.rc;
	if (!file)
		return cli_missing(&a, "give the CSV file to import");

	FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!in) {
		fprintf(stderr, "lienthong: cannot open %s: %s\n", file, strerror(errno));
		return EXIT_IO;
	}
	/* Unlike the reads, an import may create the database: a file that
	 * holds the level-1 rows too can bootstrap a registry by itself. */
	struct lt_registry *r = NULL;
	int rc = cli_open(cli, true, &r);
	if (rc) {
		if (in != stdin)
			fclose(in);
		return rc;
	}
	struct lt_import_report rep = {0};
	struct lt_err err = {0};
	int st = lt_registry_import_csv(r, cli_ctx(), in, &rep, &err);
	if (in != stdin)
		fclose(in);
	lt_registry_close(r);

	if (cli->json)
		rc = cli_print_json(report_json(file, &rep, st == LT_OK));
	else
		cli_print_import_errors(&rep, NULL, true);
	if (st != LT_OK) {
		if (!err.msg[0])
			lt_err_set(&err, st, "import refused: %zu bad row%s, nothing imported",
				   json_array_size(rep.errors), json_array_size(rep.errors) == 1 ? "" : "s");
		rc = cli_fail(&err);
	} else if (!cli->json) {
		printf("imported %zu unit%s\n", rep.imported, rep.imported == 1 ? "" : "s");
		rc = cli_flush();
	}
	lt_import_report_free(&rep);
	return rc;
}
