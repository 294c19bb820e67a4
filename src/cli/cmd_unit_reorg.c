/* lienthong unit move | split | merge | dissolve: reorganisations
 * (design.md §4 and the §7.2 bodies). Each builds one struct lt_reorg and
 * prints what the library did: codes created, closed and moved. --dry-run
 * asks the library to compute it all and roll back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What every reorganisation takes besides its own operands. */
struct reorg_args {
	struct cli_args a;
	struct cli_change ch;
	bool dry_run;
	char (*codes)[LT_CODE_BUFSZ]; /* the positional codes: "from" */
	size_t n_codes;
};

static void reorg_args_init(struct reorg_args *ra, struct cli *cli, int argc, char **argv, const char *cmd,
			    const char *usage)
{
	memset(ra, 0, sizeof *ra);
	cli_args_init(&ra->a, cli, argc, argv, cmd, usage);
	/* At most one code per argument, so this is always enough. */
	ra->codes = calloc((size_t)argc + 1, sizeof *ra->codes);
}

/* Consumes the shared flags and the positional codes; false when the
 * argument is the command's own. */
static bool reorg_common(struct reorg_args *ra)
{
	struct cli_args *a = &ra->a;
	if (cli_change_opt(a, &ra->ch))
		return true;
	if (cli_flag(a, "--dry-run")) {
		ra->dry_run = true;
		return true;
	}
	const char *p = cli_positional(a);
	if (!p)
		return false;
	int rc = cli_copy(ra->codes[ra->n_codes], LT_CODE_BUFSZ, p, "a code");
	if (rc) {
		a->stop = true;
		a->rc = rc;
	}
	ra->n_codes++;
	return true;
}

static void fill_request(const struct reorg_args *ra, enum lt_reorg_kind kind, struct lt_reorg *q)
{
	memset(q, 0, sizeof *q);
	q->kind = kind;
	q->decision = ra->ch.decision;
	memcpy(q->effective, ra->ch.effective, sizeof q->effective);
	memcpy(q->reorganized, ra->ch.reorganized, sizeof q->reorganized);
	q->from = (const char(*)[LT_CODE_BUFSZ])ra->codes;
	q->n_from = ra->n_codes;
	q->dry_run = ra->dry_run;
}

static const char *name_of(const struct lt_reorg_result *res, const char *code)
{
	const char *n = json_string_value(json_object_get(res->names, code));
	return n ? n : "";
}

static const char *sep(const struct lt_reorg_result *res, const char *code)
{
	return name_of(res, code)[0] ? "\t" : "";
}

static int print_result(struct cli *cli, const char *kind, const struct lt_reorg_result *res, bool dry_run)
{
	if (cli->json) {
		return cli_print_json(lt_reorg_result_to_json(res, kind, dry_run));
	}
	if (dry_run)
		printf("%s: dry run, nothing written\n", kind);
	else
		printf("%s: change %lld\n", kind, (long long)res->id);
	/* A dry run names each unit beside its code (res->names). */
	for (size_t i = 0; i < res->closed.n; i++)
		printf("closed\t%s%s%s\n", res->closed.codes[i], sep(res, res->closed.codes[i]),
		       name_of(res, res->closed.codes[i]));
	for (size_t i = 0; i < res->created.n; i++)
		printf("created\t%s%s%s\n", res->created.codes[i], sep(res, res->created.codes[i]),
		       name_of(res, res->created.codes[i]));
	for (size_t i = 0; i < res->n_moved; i++)
		printf("moved\t%s → %s%s%s\n", res->moved[i].from, res->moved[i].to, sep(res, res->moved[i].from),
		       name_of(res, res->moved[i].from));
	return cli_flush();
}

static int run(struct cli *cli, const char *kind, const struct lt_reorg *q)
{
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_reorg_result res = {0};
	struct lt_err err = {0};
	if (lt_registry_reorganize(r, cli_ctx(), q, &res, &err) == LT_OK)
		rc = print_result(cli, kind, &res, q->dry_run);
	else
		rc = cli_fail(&err);
	lt_reorg_result_free(&res);
	lt_registry_close(r);
	return rc;
}

/* Ends a parse: the exit code when it stopped (help or an error), else -1. */
static int parse_end(struct reorg_args *ra)
{
	if (!ra->codes) {
		fputs("lienthong: out of memory\n", stderr);
		return EXIT_IO;
	}
	return ra->a.stop ? ra->a.rc : -1;
}

int cli_unit_move(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct reorg_args ra;
	struct lt_new_unit into = {0};
	bool to = false;
	reorg_args_init(&ra, cli, argc, argv, "unit move", usage);
	while (ra.codes && cli_next(&ra.a)) {
		if (cli_opt_buf(&ra.a, "--to", into.parent, sizeof into.parent))
			to = true;
		else if (!reorg_common(&ra))
			cli_unknown(&ra.a);
	}
	int rc = parse_end(&ra);
	if (rc < 0) {
		if (ra.n_codes != 1)
			rc = cli_missing(&ra.a, "give exactly one code to move");
		else if (!to)
			rc = cli_missing(&ra.a, "give --to PARENT");
		else {
			struct lt_reorg q;
			fill_request(&ra, LT_REORG_MOVE, &q);
			q.into = &into;
			q.n_into = 1;
			rc = run(cli, "move", &q);
		}
	}
	free(ra.codes);
	return rc;
}

/* --into PARENT:NAME: the code has no colon, so the first one splits. */
static bool into_opt(struct cli_args *a, struct lt_new_unit **into, size_t *n)
{
	const char *v;
	if (!cli_opt(a, "--into", &v))
		return false;
	if (a->stop)
		return true;
	const char *colon = strchr(v, ':');
	if (!colon || colon == v || !colon[1]) {
		a->stop = true;
		a->rc = cli_usage("%s: --into wants PARENT:NAME, not '%s'", a->cmd, v);
		return true;
	}
	struct lt_new_unit *p = realloc(*into, (*n + 1) * sizeof **into);
	if (!p) {
		a->stop = true;
		a->rc = EXIT_IO;
		fputs("lienthong: out of memory\n", stderr);
		return true;
	}
	*into = p;
	memset(&p[*n], 0, sizeof p[*n]);
	size_t plen = (size_t)(colon - v);
	int rc = EXIT_OK;
	if (plen >= sizeof p[*n].parent) {
		struct lt_err err;
		lt_err_set(&err, LT_EINVAL, "--into: '%.*s' is not a code", (int)plen, v);
		rc = cli_fail(&err);
	} else {
		memcpy(p[*n].parent, v, plen);
		rc = cli_copy(p[*n].name, sizeof p[*n].name, colon + 1, "--into name");
	}
	if (rc) {
		a->stop = true;
		a->rc = rc;
	}
	(*n)++;
	return true;
}

/* --child CODE=INDEX: INDEX counts the --into units from 0, as "children"
 * does in the HTTP body. */
static bool child_opt(struct cli_args *a, struct lt_child_place **kids, size_t *n)
{
	const char *v;
	if (!cli_opt(a, "--child", &v))
		return false;
	if (a->stop)
		return true;
	const char *eq = strrchr(v, '=');
	char *end = NULL;
	long idx = eq ? strtol(eq + 1, &end, 10) : -1;
	if (!eq || eq == v || !eq[1] || *end || idx < 0) {
		a->stop = true;
		a->rc = cli_usage("%s: --child wants CODE=INDEX (INDEX counts the --into units from 0), not '%s'",
				  a->cmd, v);
		return true;
	}
	struct lt_child_place *p = realloc(*kids, (*n + 1) * sizeof **kids);
	if (!p) {
		a->stop = true;
		a->rc = EXIT_IO;
		fputs("lienthong: out of memory\n", stderr);
		return true;
	}
	*kids = p;
	memset(&p[*n], 0, sizeof p[*n]);
	size_t clen = (size_t)(eq - v);
	if (clen >= sizeof p[*n].child) {
		struct lt_err err;
		lt_err_set(&err, LT_EINVAL, "--child: '%.*s' is not a code", (int)clen, v);
		a->stop = true;
		a->rc = cli_fail(&err);
	} else {
		memcpy(p[*n].child, v, clen);
	}
	p[*n].into = (size_t)idx;
	(*n)++;
	return true;
}

int cli_unit_split(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct reorg_args ra;
	struct lt_new_unit *into = NULL;
	struct lt_child_place *kids = NULL;
	size_t n_into = 0, n_kids = 0;
	reorg_args_init(&ra, cli, argc, argv, "unit split", usage);
	while (ra.codes && cli_next(&ra.a)) {
		if (!into_opt(&ra.a, &into, &n_into) && !child_opt(&ra.a, &kids, &n_kids) && !reorg_common(&ra))
			cli_unknown(&ra.a);
	}
	int rc = parse_end(&ra);
	if (rc < 0) {
		if (ra.n_codes != 1)
			rc = cli_missing(&ra.a, "give exactly one code to split");
		else if (n_into < 2)
			rc = cli_missing(&ra.a, "give --into PARENT:NAME at least twice");
		else {
			struct lt_reorg q;
			fill_request(&ra, LT_REORG_SPLIT, &q);
			q.into = into;
			q.n_into = n_into;
			q.children = kids;
			q.n_children = n_kids;
			rc = run(cli, "split", &q);
		}
	}
	free(into);
	free(kids);
	free(ra.codes);
	return rc;
}

int cli_unit_merge(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct reorg_args ra;
	struct lt_new_unit into = {0};
	char into_code[LT_CODE_BUFSZ] = "";
	bool has_code = false, has_parent = false, has_name = false;
	reorg_args_init(&ra, cli, argc, argv, "unit merge", usage);
	while (ra.codes && cli_next(&ra.a)) {
		if (cli_opt_buf(&ra.a, "--into-code", into_code, sizeof into_code))
			has_code = true;
		else if (cli_opt_buf(&ra.a, "--into-parent", into.parent, sizeof into.parent))
			has_parent = true;
		else if (cli_opt_buf(&ra.a, "--into-name", into.name, sizeof into.name))
			has_name = true;
		else if (!reorg_common(&ra))
			cli_unknown(&ra.a);
	}
	int rc = parse_end(&ra);
	if (rc < 0) {
		if (!ra.n_codes)
			rc = cli_missing(&ra.a, "give the codes to merge");
		else if (has_code == (has_parent || has_name))
			rc = cli_missing(&ra.a,
					 "give either --into-code CODE or --into-parent PARENT --into-name NAME");
		else if (!has_code && !(has_parent && has_name))
			rc = cli_missing(&ra.a, "a new unit needs both --into-parent and --into-name");
		else {
			struct lt_reorg q;
			fill_request(&ra, LT_REORG_MERGE, &q);
			if (has_code) {
				memcpy(q.into_code, into_code, sizeof q.into_code);
			} else {
				q.into = &into;
				q.n_into = 1;
			}
			rc = run(cli, "merge", &q);
		}
	}
	free(ra.codes);
	return rc;
}

int cli_unit_dissolve(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct reorg_args ra;
	reorg_args_init(&ra, cli, argc, argv, "unit dissolve", usage);
	while (ra.codes && cli_next(&ra.a)) {
		if (!reorg_common(&ra))
			cli_unknown(&ra.a);
	}
	int rc = parse_end(&ra);
	if (rc < 0) {
		if (!ra.n_codes)
			rc = cli_missing(&ra.a, "give the codes to dissolve");
		else {
			struct lt_reorg q;
			fill_request(&ra, LT_REORG_DISSOLVE, &q);
			rc = run(cli, "dissolve", &q);
		}
	}
	free(ra.codes);
	return rc;
}
