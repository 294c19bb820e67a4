/* lienthong org add|show|search: organisations outside the state tree
 * (enterprises, cooperatives, dependent units) held as references. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lienthong/organizations.h"

#define USAGE_ADD                                                                                                      \
	"org add CODE --name NAME [--kind enterprise|cooperative|dependent] [--status active|suspended|dissolved] "    \
	"[--source TEXT] [--address A] [--email E] [--phone P] [--website W] [--json]"
#define USAGE_SHOW "org show CODE [--json]"
#define USAGE_SEARCH "org search QUERY [--json]"

static int print_org(struct cli *cli, const struct lt_org *o)
{
	if (cli->json)
		return cli_print_json(lt_org_to_json(o));
	printf("%s\t%s\t%s\t%s\t%s\n", o->code, o->kind, o->status, o->name, o->source);
	return cli_flush();
}

static int org_add(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	struct lt_org in = {0}, out;
	const char *code = NULL;
	cli_args_init(&a, cli, argc, argv, "org add", USAGE_ADD);
	while (cli_next(&a))
		if (!cli_opt_buf(&a, "--name", in.name, sizeof in.name) &&
		    !cli_opt_buf(&a, "--kind", in.kind, sizeof in.kind) &&
		    !cli_opt_buf(&a, "--status", in.status, sizeof in.status) &&
		    !cli_opt_buf(&a, "--source", in.source, sizeof in.source) &&
		    !cli_opt_buf(&a, "--address", in.address, sizeof in.address) &&
		    !cli_opt_buf(&a, "--email", in.email, sizeof in.email) &&
		    !cli_opt_buf(&a, "--phone", in.phone, sizeof in.phone) &&
		    !cli_opt_buf(&a, "--website", in.website, sizeof in.website))
			cli_one_positional(&a, &code);
	if (a.stop)
		return a.rc;
	if (!code || !in.name[0])
		return cli_missing(&a, "give CODE and --name");
	snprintf(in.code, sizeof in.code, "%.19s", code);
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_err err = {0};
	rc = strlen(code) >= sizeof in.code ? lt_err_set(&err, LT_EINVAL, "code '%.40s' is too long", code)
					    : lt_org_add(lt_registry_store(r), cli_ctx(), &in, &out, &err);
	lt_registry_close(r);
	if (rc)
		return cli_fail(&err);
	return print_org(cli, &out);
}

static int org_show(struct cli *cli, int argc, char **argv)
{
	const char *code = NULL;
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "org show", USAGE_SHOW, &code, &r);
	if (rc)
		return rc;
	struct lt_org o;
	struct lt_err err = {0};
	rc = lt_org_get(lt_registry_store(r), code, &o, &err);
	lt_registry_close(r);
	if (rc)
		return cli_fail(&err);
	return print_org(cli, &o);
}

static int org_search(struct cli *cli, int argc, char **argv)
{
	const char *q = NULL;
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "org search", USAGE_SEARCH, &q, &r);
	if (rc)
		return rc;
	json_t *items = NULL;
	struct lt_err err = {0};
	rc = lt_org_search(lt_registry_store(r), q, 500, &items, &err);
	lt_registry_close(r);
	if (rc)
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(items);
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o)
		printf("%s\t%s\t%s\t%s\n", json_string_value(json_object_get(o, "code")),
		       json_string_value(json_object_get(o, "kind")), json_string_value(json_object_get(o, "status")),
		       json_string_value(json_object_get(o, "name")));
	json_decref(items);
	return cli_flush();
}

int cmd_org(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("org needs a verb: add, show or search");
	if (strcmp(argv[1], "add") == 0)
		return org_add(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return org_show(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "search") == 0)
		return org_search(cli, argc - 1, argv + 1);
	return cli_usage("unknown org verb '%s': use add, show or search", argv[1]);
}
