/* lienthong plan apply FILE.json [--dry-run] | list | show ID: plans, one
 * decision with many steps (transition.h). The file is handed to the
 * library whole; this prints what it did, names beside codes, or every
 * refusal with its step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lienthong/transition.h"

#define USAGE "plan apply FILE.json [--dry-run] [--json] | plan list [--json] | plan show ID [--json]"

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void print_decision(const json_t *plan)
{
	const json_t *d = json_object_get(plan, "decision");
	printf("%s %s (%s, %s), effective %s", str(d, "kind"), str(d, "number"), str(d, "date"), str(d, "issuer"),
	       str(plan, "effective"));
	if (str(plan, "title")[0])
		printf(": %s", str(plan, "title"));
	printf("\n");
}

static bool moved_as(const json_t *o, const char *key, const char *code)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(o, "moved"), i, v) if (strcmp(str(v, key), code) == 0) return true;
	return false;
}

/* The changes of one step, one line each; a moved unit once, as moved,
 * though its old code closed and its new one was created. */
static void print_changes(const json_t *o)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(o, "renamed"), i, v)
		printf("  renamed  %s  %s → %s\n", str(v, "code"), str(v, "old_name"), str(v, "name"));
	json_array_foreach(json_object_get(o, "moved"), i, v)
		printf("  moved    %s → %s  %s\n", str(v, "from"), str(v, "to"), str(v, "name"));
	json_array_foreach(json_object_get(o, "closed"), i, v) if (!moved_as(o, "from", str(v, "code")))
		printf("  closed   %s  %s\n", str(v, "code"), str(v, "name"));
	json_array_foreach(json_object_get(o, "created"), i, v) if (!moved_as(o, "to", str(v, "code")))
		printf("  created  %s  %s\n", str(v, "code"), str(v, "name"));
}

static void print_result(const json_t *res)
{
	size_t i;
	json_t *step;
	json_array_foreach(json_object_get(res, "steps"), i, step)
	{
		printf("step %lld: %s", (long long)json_integer_value(json_object_get(step, "step")),
		       str(step, "kind"));
		if (str(step, "unit")[0])
			printf(" → %s", str(step, "unit"));
		printf("\n");
		print_changes(step);
	}
	printf("%zu closed, %zu created, %zu moved, %zu renamed\n", json_array_size(json_object_get(res, "closed")),
	       json_array_size(json_object_get(res, "created")), json_array_size(json_object_get(res, "moved")),
	       json_array_size(json_object_get(res, "renamed")));
}

void cli_print_plan_refusals(const json_t *refusals, const char *path)
{
	size_t i;
	json_t *v;
	json_array_foreach(refusals, i, v)
	{
		json_t *step = json_object_get(v, "step");
		fprintf(stderr, "%s: ", path);
		if (json_is_integer(step))
			fprintf(stderr, "step %lld", (long long)json_integer_value(step));
		else
			fprintf(stderr, "plan");
		if (str(v, "field")[0])
			fprintf(stderr, " (%s)", str(v, "field"));
		fprintf(stderr, ": %s\n", str(v, "reason"));
	}
}

int cli_plan_apply_file(struct lt_registry *r, const char *path, bool dry_run, json_t **result)
{
	json_error_t jerr;
	json_t *plan = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!plan) {
		bool io = jerr.line < 0; /* the file could not be read at all */
		fprintf(stderr, "lienthong: %s: %s%s\n", path, jerr.line > 0 ? "not valid JSON: " : "", jerr.text);
		return io ? EXIT_IO : EXIT_REFUSED;
	}
	json_t *refusals = NULL;
	struct lt_err err = {0};
	int rc = lt_plan_apply(r, cli_ctx(), plan, dry_run, result, &refusals, &err);
	json_decref(plan);
	if (rc) {
		cli_print_plan_refusals(refusals, path);
		json_decref(refusals);
		lt_err_prefix(&err, "%s: ", path);
		return cli_fail(&err);
	}
	return EXIT_OK;
}

static int plan_apply(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	bool dry_run = false;
	const char *path = NULL;
	cli_args_init(&a, cli, argc, argv, "plan apply", USAGE);
	while (cli_next(&a)) {
		if (cli_flag(&a, "--dry-run"))
			dry_run = true;
		else
			cli_one_positional(&a, &path);
	}
	if (a.stop)
		return a.rc;
	if (!path)
		return cli_missing(&a, "give the plan file");
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	json_t *res = NULL;
	rc = cli_plan_apply_file(r, path, dry_run, &res);
	lt_registry_close(r);
	if (rc)
		return rc;
	if (cli->json)
		return cli_print_json(res);
	if (dry_run)
		printf("dry run, nothing written: ");
	else
		printf("plan %lld applied: ", (long long)json_integer_value(json_object_get(res, "id")));
	print_decision(res);
	print_result(res);
	json_decref(res);
	return cli_flush();
}

static int plan_list(struct cli *cli, int argc, char **argv)
{
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "plan list", USAGE, NULL, &r);
	if (rc)
		return rc;
	json_t *items = NULL;
	struct lt_err err = {0};
	rc = lt_plan_list(r, &items, &err);
	lt_registry_close(r);
	if (rc)
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(items);
	size_t i;
	json_t *p;
	json_array_foreach(items, i, p)
	{
		printf("%lld\t", (long long)json_integer_value(json_object_get(p, "id")));
		print_decision(p);
		printf("\t%lld steps: %lld closed, %lld created, %lld moved, %lld renamed\n",
		       (long long)json_integer_value(json_object_get(p, "steps")),
		       (long long)json_integer_value(json_object_get(p, "closed")),
		       (long long)json_integer_value(json_object_get(p, "created")),
		       (long long)json_integer_value(json_object_get(p, "moved")),
		       (long long)json_integer_value(json_object_get(p, "renamed")));
	}
	json_decref(items);
	return cli_flush();
}

static int plan_show(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *id_text = NULL;
	cli_args_init(&a, cli, argc, argv, "plan show", USAGE);
	while (cli_next(&a))
		cli_one_positional(&a, &id_text);
	if (a.stop)
		return a.rc;
	long long id;
	if (!id_text)
		return cli_missing(&a, "give the plan's id");
	if (!lt_text_int(id_text, 1, INT64_MAX, &id))
		return cli_usage("'%s' is not a plan id (a positive number)", id_text);
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	json_t *p = NULL;
	struct lt_err err = {0};
	rc = lt_plan_get(r, id, &p, &err);
	lt_registry_close(r);
	if (rc)
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(p);
	printf("plan %lld: ", id);
	print_decision(p);
	printf("applied %s by %s\n", str(p, "at"), str(p, "actor"));
	print_result(json_object_get(p, "result"));
	json_decref(p);
	return cli_flush();
}

int cmd_plan(struct cli *cli, int argc, char **argv)
{
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--json") == 0; i++)
		cli->json = true;
	if (i >= argc)
		return cli_usage("plan needs a sub-command: %s", USAGE);
	if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
		printf("usage: lienthong %s\n", USAGE);
		return EXIT_OK;
	}
	if (strcmp(argv[i], "apply") == 0)
		return plan_apply(cli, argc - i, argv + i);
	if (strcmp(argv[i], "list") == 0)
		return plan_list(cli, argc - i, argv + i);
	if (strcmp(argv[i], "show") == 0)
		return plan_show(cli, argc - i, argv + i);
	return cli_usage("unknown sub-command 'plan %s'", argv[i]);
}
