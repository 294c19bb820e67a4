/* lienthong import FILE.csv: loads units from CSV, all or nothing
 * (design.md §4), inserting new units or, with --upsert, also correcting
 * those it holds; --dry-run shows what would happen, each unit by code and
 * name. On refusal every bad row is named on stderr with the file's column,
 * so a province can fix its file in one pass instead of one error per run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define USAGE "import FILE.csv [--dry-run] [--upsert] [--json]   (FILE may be - for standard input)"

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
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *reason = json_string_value(json_object_get(e, "reason"));
		json_int_t line = json_integer_value(json_object_get(e, "line"));
		if (code && code[0] && name)
			fprintf(stderr, "%s%sline %lld: %s (%s): %s\n", prefix, sep, (long long)line, code, name,
				reason ? reason : "refused");
		else if (code && code[0])
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

static json_t *report_json(const char *file, const struct lt_import_report *rep, const struct lt_import_opts *opts,
			   bool ok)
{
	json_t *o = lt_import_report_to_json(rep, opts, ok);
	json_object_set_new(o, "file", json_string(file));
	return o;
}

/* The dry run's preview: each unit by code and name, what would happen to it. */
static void print_preview(const struct lt_import_report *rep)
{
	size_t i;
	json_t *it;
	json_array_foreach(rep->items, i, it)
	{
		const char *action = json_string_value(json_object_get(it, "action"));
		const char *code = json_string_value(json_object_get(it, "code"));
		const char *name = json_string_value(json_object_get(it, "name"));
		long long line = (long long)json_integer_value(json_object_get(it, "line"));
		if (strcmp(action, "insert") == 0) {
			const char *pn = json_string_value(json_object_get(it, "parent_name"));
			const char *pc = json_string_value(json_object_get(it, "parent"));
			printf("line %lld: insert %s %s", line, code, name);
			if (pc)
				printf(", under %s %s", pc, pn ? pn : "");
			putchar('\n');
		} else {
			printf("line %lld: update %s %s:", line, code, name);
			size_t k;
			json_t *c;
			json_array_foreach(json_object_get(it, "changed"), k, c)
				printf("%s %s", k ? "," : "", json_string_value(c));
			const char *old = json_string_value(json_object_get(it, "old_name"));
			if (old && strcmp(old, name) != 0)
				printf(" (was %s)", old);
			putchar('\n');
		}
	}
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *file = NULL, *p;
	struct lt_import_opts opts = {0};
	cli_args_init(&a, cli, argc, argv, "import", USAGE);
	while (cli_next(&a)) {
		if (cli_flag(&a, "--dry-run"))
			opts.dry_run = true;
		else if (cli_flag(&a, "--upsert"))
			opts.upsert = true;
		else if ((p = cli_positional(&a)) && !file)
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
	int st = lt_registry_import_csv_opts(r, cli_ctx(), in, &opts, &rep, &err);
	if (in != stdin)
		fclose(in);
	lt_registry_close(r);

	if (cli->json)
		rc = cli_print_json(report_json(file, &rep, &opts, st == LT_OK));
	else
		cli_print_import_errors(&rep, NULL, true);
	if (st != LT_OK) {
		if (!err.msg[0])
			lt_err_set(&err, st, "import refused: %zu bad row%s, nothing imported",
				   json_array_size(rep.errors), json_array_size(rep.errors) == 1 ? "" : "s");
		rc = cli_fail(&err);
	} else if (!cli->json) {
		if (opts.dry_run)
			print_preview(&rep);
		if (opts.dry_run)
			printf("dry run, nothing written: ");
		else
			printf("imported %zu unit%s: ", rep.imported, rep.imported == 1 ? "" : "s");
		printf("%zu inserted, %zu updated, %zu unchanged\n", rep.inserted, rep.updated, rep.unchanged);
		rc = cli_flush();
	}
	lt_import_report_free(&rep);
	return rc;
}
