/* lienthong convert --sum COLUMN… IN.csv: converts a reporting CSV and adds
 * up the rows of units that are now one. */
#include <stdio.h>
#include <string.h>

#include "convert_cli.h"

int convert_sum(struct lt_convert *cv, const struct convert_args *o)
{
	FILE *in;
	int rc = convert_open_input(o->in, &in);
	if (rc)
		return rc;
	struct lt_err err = {0};
	if (o->out && strcmp(o->out, "-") != 0) {
		struct cli_file f;
		if ((rc = cli_file_begin(&f, o->out)) == EXIT_OK)
			rc = cli_file_end(&f, lt_convert_run_sum(cv, in, f.out, o->columns, o->n_columns, &err)
						      ? convert_fail(&err)
						      : EXIT_OK);
	} else {
		rc = lt_convert_run_sum(cv, in, stdout, o->columns, o->n_columns, &err) ? convert_fail(&err)
											: cli_flush();
	}
	if (in != stdin)
		fclose(in);
	if (rc)
		return rc;
	struct lt_convert_counts n;
	lt_convert_counts(cv, &n);
	fprintf(stderr, "lienthong: %s: %llu rows in, %llu rows out\n", o->in, (unsigned long long)n.rows_in,
		(unsigned long long)n.rows_out);
	return convert_finish(cv, o->in, o->report);
}
