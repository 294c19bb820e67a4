/* lienthong export: the active units as CSV (design.md §4 columns, or the
 * shared catalogue's with --format dmdc), the whole table or one subtree,
 * now or as of a date. With -o the file appears
 * whole or not at all: a failed export never leaves half a file behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define USAGE "export [--format csv|dmdc] [--under CODE] [--as-of DATE] [-o FILE]"

static int export_to_file(struct lt_registry *r, const char *path, enum lt_export_format format, const char *under,
			  const char *as_of)
{
	struct cli_file f;
	int rc = cli_file_begin(&f, path);
	if (rc)
		return rc;
	struct lt_err err = {0};
	if (lt_registry_export(r, f.out, format, under, as_of, &err) != LT_OK)
		rc = cli_fail(&err);
	return cli_file_end(&f, rc);
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *under = NULL, *as_of = NULL, *out = NULL, *fmt = NULL;
	cli_args_init(&a, cli, argc, argv, "export", USAGE);
	while (cli_next(&a)) {
		if (!cli_opt(&a, "--under", &under) && !cli_opt(&a, "--as-of", &as_of) && !cli_opt(&a, "-o", &out) &&
		    !cli_opt(&a, "--format", &fmt) && !cli_opt(&a, "--output", &out))
			cli_unknown(&a);
	}
	if (a.stop)
		return a.rc;
	enum lt_export_format format;
	struct lt_err ferr = {0};
	if (lt_export_format_parse(fmt, &format, &ferr))
		return cli_fail(&ferr);
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	if (out && strcmp(out, "-") != 0) {
		rc = export_to_file(r, out, format, under, as_of);
	} else {
		struct lt_err err = {0};
		rc = lt_registry_export(r, stdout, format, under, as_of, &err) == LT_OK ? cli_flush() : cli_fail(&err);
	}
	lt_registry_close(r);
	return rc;
}
