/* lienthong audit: the audit trail of acts on connected systems and tokens
 * (who, role, action, target, detail, when), oldest first. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lienthong/access.h"

#define USAGE "audit [--target system:ID|token:ID] [--after ID] [--limit N] [--json]"

struct ctx {
	struct cli *cli;
	json_t *arr;
	struct cli_table table;
};

static int one(void *vctx, const struct lt_audit *a)
{
	struct ctx *c = vctx;
	if (!c->cli->json) {
		char id[32], at[64];
		snprintf(id, sizeof id, "%lld", (long long)a->id);
		const char *row[] = {
			id,        cli_time(c->cli, a->at, at, sizeof at),       a->who, a->role, a->action,
			a->target, strcmp(a->detail, "{}") == 0 ? "" : a->detail};
		cli_table_add(&c->table, row);
		return 0;
	}
	json_t *d = json_loads(a->detail, 0, NULL);
	json_t *o =
		json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)a->id, "at", a->at, "who", a->who, "role",
			  a->role, "action", a->action, "target", a->target, "detail", d ? d : json_object());
	return o && json_array_append_new(c->arr, o) == 0 ? 0 : LT_ENOMEM;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *target = NULL;
	long long after = 0, limit = 1000;
	cli_args_init(&a, cli, argc, argv, "audit", USAGE);
	while (cli_next(&a))
		if (!cli_opt(&a, "--target", &target) && !cli_opt_int(&a, "--after", 0, LLONG_MAX, &after) &&
		    !cli_opt_int(&a, "--limit", 1, 1000, &limit))
			cli_unknown(&a);
	if (a.stop)
		return a.rc;
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_principal me;
	struct lt_err err = {0};
	struct ctx c = {.cli = cli, .arr = json_array()};
	static const char *const header[] = {"ID", "AT", "WHO", "ROLE", "ACTION", "TARGET", "DETAIL"};
	cli_table_init(&c.table, 7, header);
	cli_principal(&me);
	rc = lt_audit_list(lt_registry_store(r), &me, target, after, (int)limit, one, &c, &err);
	lt_registry_close(r);
	if (rc) {
		json_decref(c.arr);
		cli_table_free(&c.table);
		if (rc == LT_ENOMEM && !err.msg[0])
			lt_err_set(&err, LT_ENOMEM, "out of memory");
		return cli_fail(&err);
	}
	if (cli->json) {
		cli_table_free(&c.table);
		return cli_print_json(c.arr);
	}
	json_decref(c.arr);
	if ((rc = cli_table_print(&c.table)))
		return rc;
	return cli_flush();
}
