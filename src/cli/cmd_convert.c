/* lienthong convert: rewrites the closed codes of a CSV, JSON or XML file to
 * their current codes. The mapping comes from the local database, as for
 * export: the tool runs where the registry (or a copy of it, a mirror) is,
 * with no daemon or credential needed. Exit 0 when every closed code was
 * converted, 1 when some need a choice (--choose), 2 usage, 3 I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "convert_cli.h"
#include "lienthong/convert.h"

#define USAGE                                                                                                          \
	"convert [--since DATE | --plan ID] [--under CODE] [--choose OLD=NEW]... [--format csv|json|xml] "             \
	"[--resign-needed] IN "                                                                                        \
	"[-o OUT] [--report R.json]\n       lienthong convert --detect IN [--format csv|json|xml]\n       "            \
	"lienthong convert --sum COLUMN... [--since DATE] [--choose OLD=NEW]... IN.csv [-o OUT] [--report R.json]"

#define MAX_CHOICES 1000

int convert_known(void *ctx, const char *code, bool *known)
{
	struct lt_unit u;
	int rc = lt_registry_get(ctx, code, NULL, &u, NULL);
	*known = rc == LT_OK;
	return rc == LT_ENOTFOUND || rc == LT_EINVAL ? LT_OK : rc;
}

int convert_open_input(const char *path, FILE **in)
{
	if (strcmp(path, "-") == 0) {
		*in = stdin;
		return EXIT_OK;
	}
	*in = fopen(path, "rb");
	if (*in)
		return EXIT_OK;
	perror(path);
	fprintf(stderr, "lienthong: cannot read %s\n", path);
	return EXIT_IO;
}

static int print_unresolved(void *ctx, const json_t *item)
{
	const char *in = ctx;
	const json_t *loc;
	char where[512] = "";
	if ((loc = json_object_get(item, "line")))
		snprintf(where, sizeof where, "line %lld, column %lld", (long long)json_integer_value(loc),
			 (long long)json_integer_value(json_object_get(item, "column")));
	else if ((loc = json_object_get(item, "pointer")))
		snprintf(where, sizeof where, "%s", json_string_value(loc));
	else if ((loc = json_object_get(item, "xpath")))
		snprintf(where, sizeof where, "%s", json_string_value(loc));
	char cands[256] = "";
	const json_t *c = json_object_get(item, "candidates");
	for (size_t i = 0; i < json_array_size(c) && strlen(cands) + LT_CODE_BUFSZ + 3 < sizeof cands; i++) {
		strcat(cands, i ? ", " : "");
		strcat(cands, json_string_value(json_array_get(c, i)));
	}
	const char *code = json_string_value(json_object_get(item, "code"));
	if (cands[0])
		fprintf(stderr, "%s: %s: %s was split into %s: choose with --choose %s=CODE\n", in, where, code, cands,
			code);
	else
		fprintf(stderr, "%s: %s: %s was closed with no successor: choose with --choose %s=CODE\n", in, where,
			code, code);
	return LT_OK;
}

int convert_finish(struct lt_convert *cv, const char *in_name, const char *report)
{
	struct lt_convert_counts n;
	struct lt_err err = {0};
	lt_convert_counts(cv, &n);
	if (report) {
		struct cli_file f;
		int rc = cli_file_begin(&f, report);
		if (rc == EXIT_OK)
			rc = cli_file_end(&f, lt_convert_report_write(cv, f.out, &err) ? cli_fail(&err) : EXIT_OK);
		if (rc)
			return rc;
	}
	fprintf(stderr,
		"lienthong: %s: %llu occurrence%s of closed codes: %llu converted, %llu need%s a choice; %llu "
		"occurrence%s "
		"of codes the registry does not know%s\n",
		in_name, (unsigned long long)n.occurrences, n.occurrences == 1 ? "" : "s",
		(unsigned long long)n.converted, (unsigned long long)n.unresolved, n.unresolved == 1 ? "s" : "",
		(unsigned long long)n.unknown, n.unknown == 1 ? "" : "s",
		n.signature_removed ? "; the signature was removed: sign the file again" : "");
	if (n.unresolved) {
		if (lt_convert_each_unresolved(cv, 20, print_unresolved, (void *)in_name, &err))
			return cli_fail(&err);
		if (n.unresolved > 20)
			fprintf(stderr, "lienthong: … and %llu more%s\n", (unsigned long long)(n.unresolved - 20),
				report ? " (all in the report)" : " (--report FILE lists them all)");
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

static int add_choice(struct cli_args *a, const char **choices, size_t *n)
{
	const char *v;
	if (!cli_opt(a, "--choose", &v))
		return 0;
	if (a->stop)
		return 1;
	if (*n == MAX_CHOICES || !strchr(v, '=')) {
		a->rc = cli_missing(a, *n == MAX_CHOICES ? "too many --choose" : "--choose takes OLD=NEW");
		a->stop = true;
		return 1;
	}
	choices[(*n)++] = v;
	return 1;
}

static int convert_apply_choices(struct lt_convert *cv, const struct cli_args *a, const char **choices, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char old[64];
		const char *eq = strchr(choices[i], '=');
		snprintf(old, sizeof old, "%.*s", (int)(eq - choices[i]) < 63 ? (int)(eq - choices[i]) : 63,
			 choices[i]);
		struct lt_err err = {0};
		if (lt_convert_choose(cv, old, eq + 1, &err))
			return cli_missing(a, err.msg);
	}
	return EXIT_OK;
}

int cmd_convert(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	struct convert_args o = {0};
	const char *choices[MAX_CHOICES];
	size_t n_choices = 0;
	long long plan = 0;
	const char *columns[CONVERT_MAX_SUM];
	cli_args_init(&a, cli, argc, argv, "convert", USAGE);
	while (cli_next(&a)) {
		if (add_choice(&a, choices, &n_choices))
			continue;
		if (cli_flag(&a, "--sum")) {
			o.sum = true;
			continue;
		}
		const char *pos = cli_positional(&a);
		if (pos && o.sum && o.in) {
			/* After --sum, the operands are its columns and then IN:
			 * the last operand is IN. */
			if (o.n_columns == CONVERT_MAX_SUM) {
				a.rc = cli_missing(&a, "too many --sum columns");
				a.stop = true;
				break;
			}
			columns[o.n_columns++] = o.in;
			o.in = pos;
			continue;
		}
		if (!cli_opt_date(&a, "--since", o.filter.since) && !cli_opt_int(&a, "--plan", 1, INT64_MAX, &plan) &&
		    !cli_opt_buf(&a, "--under", o.filter.under, sizeof o.filter.under) &&
		    !cli_opt(&a, "--format", &o.format) && !cli_opt(&a, "-o", &o.out) &&
		    !cli_opt(&a, "--output", &o.out) && !cli_opt(&a, "--report", &o.report) &&
		    !(cli_flag(&a, "--resign-needed") && (o.resign = true)) &&
		    !(cli_flag(&a, "--detect") && (o.detect = true)))
			cli_one_positional(&a, &o.in);
	}
	if (a.stop)
		return a.rc;
	o.columns = columns;
	o.filter.plan = plan;
	if (!o.in)
		return cli_missing(&a, "give the input file (- for standard input)");
	if (o.sum && !o.n_columns)
		return cli_missing(&a, "--sum needs at least one column name before the input file");
	if (o.detect && (o.sum || n_choices || o.out))
		return cli_missing(&a, "--detect only reads: it takes no --sum, --choose or -o");
	enum lt_convert_format fmt;
	struct lt_err err = {0};
	if ((o.format ? lt_convert_format_parse(o.format, &fmt, &err)
		      : lt_convert_format_guess(strcmp(o.in, "-") == 0 ? NULL : o.in, &fmt, &err)))
		return cli_missing(&a, err.msg);
	if (o.sum && fmt != LT_CONVERT_CSV)
		return cli_missing(&a, "--sum works on CSV files");
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	if (o.detect) {
		rc = convert_detect(cli, r, &a, o.in, fmt);
		lt_registry_close(r);
		return rc;
	}
	struct lt_map m;
	if (lt_transition_map(r, &o.filter, &m, &err)) {
		lt_registry_close(r);
		return cli_fail(&err);
	}
	struct lt_convert_opts copts = {
		.format = fmt, .resign_needed = o.resign, .known = convert_known, .known_ctx = r, .input_name = o.in};
	struct lt_convert *cv = NULL;
	rc = lt_convert_new(&cv, &m, &copts, &err) ? cli_fail(&err) : EXIT_OK;
	lt_map_free(&m);
	if (rc == EXIT_OK)
		rc = convert_apply_choices(cv, &a, choices, n_choices);
	if (rc == EXIT_OK)
		rc = o.sum ? convert_sum(cv, &o) : convert_file(cv, &o);
	lt_convert_free(cv);
	lt_registry_close(r);
	return rc;
}

int convert_file(struct lt_convert *cv, const struct convert_args *o)
{
	FILE *in;
	int rc = convert_open_input(o->in, &in);
	if (rc)
		return rc;
	struct lt_err err = {0};
	if (o->out && strcmp(o->out, "-") != 0) {
		struct cli_file f;
		if ((rc = cli_file_begin(&f, o->out)) == EXIT_OK)
			rc = cli_file_end(&f, lt_convert_run(cv, in, f.out, &err) ? convert_fail(&err) : EXIT_OK);
	} else {
		rc = lt_convert_run(cv, in, stdout, &err) ? convert_fail(&err) : cli_flush();
	}
	if (in != stdin)
		fclose(in);
	return rc ? rc : convert_finish(cv, o->in, o->report);
}

int convert_fail(const struct lt_err *err)
{
	/* A file that cannot be read as its format is an input failure (3),
	 * not the "choice needed" of exit 1; a signed package refused is 1. */
	int rc = cli_fail(err);
	return err->status == LT_EINVAL ? EXIT_IO : rc;
}
