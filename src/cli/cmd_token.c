/* lienthong token create|list|revoke|check: bearer tokens for the HTTP API. The
 * secret is printed once, on stdout, and only its hash is kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lienthong/access.h"

#define USAGE_CREATE "token create --role admin|manager|system|reader|requester [--scope CODE] [--name NAME]"
#define USAGE_LIST "token list [--json]"
#define USAGE_REVOKE "token revoke ID"
#define USAGE_CHECK "token check [--json] < TOKEN-FILE"

static int token_create(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *role_text = NULL, *scope = NULL, *name = NULL;
	cli_args_init(&a, cli, argc, argv, "token create", USAGE_CREATE);
	while (cli_next(&a))
		if (!cli_opt(&a, "--role", &role_text) && !cli_opt(&a, "--scope", &scope) &&
		    !cli_opt(&a, "--name", &name))
			cli_unknown(&a);
	if (a.stop)
		return a.rc;
	if (!role_text)
		return cli_missing(&a, "give --role");
	struct lt_err err = {0};
	enum lt_role role;
	if (lt_role_parse(role_text, &role, &err))
		return cli_fail(&err);
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	char token[LT_TOKEN_BUFSZ];
	struct lt_token row;
	if (lt_token_issue(lt_registry_store(r), cli_ctx(), role, scope, name, token, &row, &err)) {
		lt_registry_close(r);
		return cli_fail(&err);
	}
	lt_registry_close(r);
	if (cli->json)
		return cli_print_json(json_pack("{s:I,s:s,s:s,s:o,s:o}", "id", (json_int_t)row.id, "token", token,
						"role", row.role, "scope", cli_json_str(row.scope), "name",
						cli_json_str(row.name)));
	printf("%s\n", token);
	return cli_flush();
}

struct list_ctx {
	struct cli *cli;
	json_t *arr;
	struct cli_table table;
};

static int print_token(void *vctx, const struct lt_token *t)
{
	struct list_ctx *ctx = vctx;
	if (ctx->cli->json) {
		json_array_append_new(ctx->arr, json_pack("{s:I,s:s,s:o,s:o,s:o,s:s,s:o}", "id", (json_int_t)t->id,
							  "role", t->role, "scope", cli_json_str(t->scope), "name",
							  cli_json_str(t->name), "system_id",
							  t->system_id > 0 ? json_integer(t->system_id) : json_null(),
							  "created", t->created, "revoked", cli_json_str(t->revoked)));
		return 0;
	}
	char id[32], created[64], revoked[64];
	snprintf(id, sizeof id, "%lld", (long long)t->id);
	const char *row[] = {id,
			     t->role,
			     t->scope,
			     t->name,
			     cli_time(ctx->cli, t->created, created, sizeof created),
			     t->revoked[0] ? cli_time(ctx->cli, t->revoked, revoked, sizeof revoked) : ""};
	cli_table_add(&ctx->table, row);
	return 0;
}

static int token_list(struct cli *cli, int argc, char **argv)
{
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "token list", USAGE_LIST, NULL, &r);
	if (rc)
		return rc;
	struct lt_err err = {0};
	struct list_ctx ctx = {.cli = cli, .arr = json_array()};
	static const char *const header[] = {"ID", "ROLE", "SCOPE", "NAME", "CREATED", "REVOKED"};
	cli_table_init(&ctx.table, 6, header);
	rc = lt_token_list(lt_registry_store(r), &cli_ctx()->who, print_token, &ctx, &err);
	lt_registry_close(r);
	if (rc) {
		json_decref(ctx.arr);
		cli_table_free(&ctx.table);
		return cli_fail(&err);
	}
	if (cli->json) {
		cli_table_free(&ctx.table);
		return cli_print_json(ctx.arr);
	}
	json_decref(ctx.arr);
	if ((rc = cli_table_print(&ctx.table)))
		return rc;
	return cli_flush();
}

static int token_revoke(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *id_text = NULL;
	cli_args_init(&a, cli, argc, argv, "token revoke", USAGE_REVOKE);
	while (cli_next(&a))
		cli_one_positional(&a, &id_text);
	if (a.stop)
		return a.rc;
	long long id = 0;
	if (!lt_text_int(id_text, 1, INT64_MAX, &id))
		return cli_missing(&a, "give the token's ID (see 'lienthong token list')");
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_err err = {0};
	struct lt_token row;
	rc = lt_token_revoke(lt_registry_store(r), cli_ctx(), id, &row, &err);
	lt_registry_close(r);
	if (rc)
		return cli_fail(&err);
	printf("revoked token %lld\n", id);
	if (row.system_id > 0)
		/* The token is only the /v1 credential: the VXP secret still
		 * signs calls, which a revocation alone does not stop. */
		printf("note: system %lld still reaches /vxp with its VXP secret until it is disabled: "
		       "lienthong system disable %lld\n",
		       (long long)row.system_id, (long long)row.system_id);
	return cli_flush();
}

/* The token comes on standard input, never as an argument, so it stays out
 * of the process list and the shell history. Exit 0 when this database
 * authenticates it: scripts/run uses that to show a token that works. */
static int token_check(struct cli *cli, int argc, char **argv)
{
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "token check", USAGE_CHECK, NULL, &r);
	if (rc)
		return rc;
	char token[LT_TOKEN_BUFSZ + 2] = "";
	struct lt_err err = {0};
	if (!fgets(token, sizeof token, stdin)) {
		lt_registry_close(r);
		lt_err_set(&err, LT_EINVAL, "token check reads the token from standard input, which was empty");
		return cli_fail(&err);
	}
	token[strcspn(token, "\r\n")] = '\0';
	struct lt_principal p;
	rc = lt_token_authenticate(lt_registry_store(r), token, &p, &err);
	lt_registry_close(r);
	if (rc)
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(json_pack("{s:I,s:s,s:o,s:o}", "id", (json_int_t)p.token_id, "role",
						lt_role_name(p.role), "scope", cli_json_str(p.scope), "name",
						cli_json_str(p.name)));
	printf("token %lld: %s%s%s%s%s\n", (long long)p.token_id, lt_role_name(p.role), p.scope[0] ? " of " : "",
	       p.scope, p.name[0] ? ", " : "", p.name);
	return cli_flush();
}

int cmd_token(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("token needs a verb: create, list, revoke or check");
	if (strcmp(argv[1], "create") == 0)
		return token_create(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return token_list(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return token_revoke(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return token_check(cli, argc - 1, argv + 1);
	return cli_usage("unknown token verb '%s': use create, list, revoke or check", argv[1]);
}
