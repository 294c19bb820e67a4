/* lienthong report compliance: units whose code-amending decision or
 * catalogue update is late or still pending (design.md §4 deadlines). The
 * findings come from the library; this file only prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lienthong/catalogue.h"

#define USAGE "report compliance [--level1 CODE] [--json]"

/* One line per finding: kind, code, days, name, then whatever else the
 * finding carries as key=value, so new fields show up without a CLI change. */
static void print_finding(json_t *f)
{
	const char *kind = json_string_value(json_object_get(f, "kind"));
	const char *code = json_string_value(json_object_get(f, "code"));
	const char *name = json_string_value(json_object_get(f, "name"));
	json_t *days = json_object_get(f, "days");
	printf("%s\t%s\t", kind ? kind : "?", code ? code : "?");
	if (json_is_integer(days))
		printf("%lld days", (long long)json_integer_value(days));
	else
		fputs("-", stdout);
	if (name && name[0])
		printf("\t%s", name);
	const char *key;
	json_t *v;
	json_object_foreach(f, key, v)
	{
		if (!strcmp(key, "kind") || !strcmp(key, "code") || !strcmp(key, "name") || !strcmp(key, "days"))
			continue;
		if (json_is_string(v))
			printf("\t%s=%s", key, json_string_value(v));
		else if (json_is_integer(v))
			printf("\t%s=%lld", key, (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			printf("\t%s=%s", key, json_is_true(v) ? "true" : "false");
		else if (!json_is_null(v)) {
			char *text = json_dumps(v, JSON_COMPACT);
			printf("\t%s=%s", key, text ? text : "?");
			free(text);
		}
	}
	putchar('\n');
}

static int report_compliance(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *level1 = NULL;
	cli_args_init(&a, cli, argc, argv, "report compliance", USAGE);
	while (cli_next(&a))
		if (!cli_opt(&a, "--level1", &level1))
			cli_unknown(&a);
	if (a.stop)
		return a.rc;
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	json_t *findings = NULL;
	struct lt_err err = {0};
	/* A hub that publishes upstream is judged on the upstream's
	 * acceptance, as its daemon judges it. */
	if (lt_registry_federate(r, &cli->cfg, &err) != LT_OK ||
	    lt_registry_compliance(r, level1, &findings, &err) != LT_OK) {
		rc = cli_fail(&err);
	} else if (cli->json) {
		rc = cli_print_json(findings);
		findings = NULL;
	} else {
		size_t i;
		json_t *f;
		json_array_foreach(findings, i, f) { print_finding(f); }
		if (!json_array_size(findings))
			puts("no late or pending decisions");
		rc = cli_flush();
	}
	json_decref(findings);
	lt_registry_close(r);
	return rc;
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--json") == 0; i++)
		cli->json = true;
	if (i >= argc)
		return cli_usage("usage: lienthong %s", USAGE);
	if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
		printf("usage: lienthong %s\n", USAGE);
		return EXIT_OK;
	}
	if (strcmp(argv[i], "compliance") == 0)
		return report_compliance(cli, argc - i, argv + i);
	return cli_usage("unknown sub-command 'report %s'", argv[i]);
}
