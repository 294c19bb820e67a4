/* lienthong transition map: the old→current mapping from the local database,
 * as CSV, JSON or SQL, to standard output or a file that appears whole. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lienthong/transition_map.h"

#define USAGE_MAP                                                                                                      \
	"transition map [--since DATE] [--under CODE] [--plan ID] [--format csv|json|sql] [--table T --column C] [-o " \
	"FILE]"

static int write_map(const struct lt_map *m, enum lt_map_format fmt, const char *table, const char *column, FILE *out)
{
	struct lt_err err = {0};
	int rc;
	if (fmt == LT_MAP_JSON) {
		json_t *doc = lt_map_to_json(m);
		if (!doc)
			return cli_fail(&(struct lt_err){.status = LT_ENOMEM, .msg = "out of memory"});
		rc = json_dumpf(doc, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF
			     ? LT_OK
			     : lt_err_set(&err, LT_EIO, "writing the mapping failed");
		json_decref(doc);
	} else if (fmt == LT_MAP_CSV) {
		rc = lt_map_write_csv(m, out, &err);
	} else {
		rc = lt_map_write_sql(m, out, table, column, &err);
	}
	return rc ? cli_fail(&err) : EXIT_OK;
}

static int transition_map(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	struct lt_map_filter f = {0};
	const char *format = NULL, *table = NULL, *column = NULL, *out = NULL;
	long long plan = 0;
	cli_args_init(&a, cli, argc, argv, "transition map", USAGE_MAP);
	while (cli_next(&a)) {
		if (!cli_opt_date(&a, "--since", f.since) && !cli_opt_buf(&a, "--under", f.under, sizeof f.under) &&
		    !cli_opt_int(&a, "--plan", 1, INT64_MAX, &plan) && !cli_opt(&a, "--format", &format) &&
		    !cli_opt(&a, "--table", &table) && !cli_opt(&a, "--column", &column) && !cli_opt(&a, "-o", &out) &&
		    !cli_opt(&a, "--output", &out))
			cli_unknown(&a);
	}
	if (a.stop)
		return a.rc;
	f.plan = plan;
	enum lt_map_format fmt;
	struct lt_err err = {0};
	if (!format && cli->json)
		format = "json";
	if (lt_map_format_parse(format, &fmt, &err))
		return cli_missing(&a, err.msg);
	if (fmt == LT_MAP_SQL &&
	    (lt_map_sql_ident(table, true, "--table", &err) || lt_map_sql_ident(column, false, "--column", &err)))
		return cli_missing(&a, err.msg);
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_map m;
	if (lt_transition_map(r, &f, &m, &err)) {
		lt_registry_close(r);
		return cli_fail(&err);
	}
	if (out && strcmp(out, "-") != 0) {
		struct cli_file file;
		if ((rc = cli_file_begin(&file, out)) == EXIT_OK)
			rc = cli_file_end(&file, write_map(&m, fmt, table, column, file.out));
	} else {
		rc = write_map(&m, fmt, table, column, stdout);
		if (rc == EXIT_OK)
			rc = cli_flush();
	}
	lt_map_free(&m);
	lt_registry_close(r);
	return rc;
}

int cmd_transition(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc < 2 ? stderr : stdout, "usage: lienthong %s\n", USAGE_MAP);
		return argc < 2 ? EXIT_USAGE : EXIT_HELP_SHOWN;
	}
	if (strcmp(argv[1], "map") == 0)
		return transition_map(cli, argc - 1, argv + 1);
	return cli_usage("unknown transition command '%s' (transition map)", argv[1]);
}
