/* lienthong system add|list: connected systems (design.md §5). The bearer
 * token and the VXP secret are printed once. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lienthong/access.h"

#define USAGE_ADD "system add --name NAME --code CODE [--code CODE...] [--json]"
#define USAGE_LIST "system list [--json]"

static int system_add(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *name = NULL, *code = NULL;
	struct lt_codelist codes = {0};
	cli_args_init(&a, cli, argc, argv, "system add", USAGE_ADD);
	while (cli_next(&a)) {
		if (cli_opt(&a, "--code", &code)) {
			if (!a.stop && lt_codelist_add(&codes, code)) {
				lt_codelist_free(&codes);
				return cli_usage("out of memory");
			}
		} else if (!cli_opt(&a, "--name", &name)) {
			cli_unknown(&a);
		}
	}
	if (a.stop || !name || codes.n == 0) {
		lt_codelist_free(&codes);
		return a.stop ? a.rc : cli_missing(&a, "give --name and at least one --code");
	}
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc) {
		lt_codelist_free(&codes);
		return rc;
	}
	struct lt_err err = {0};
	unsigned char key[LT_SEAL_KEY_BYTES];
	struct lt_principal admin = {.role = LT_ROLE_ADMIN};
	struct lt_system_created out;
	rc = lt_seal_key_in(cli->cfg.data_dir, true, key, &err);
	if (rc == LT_OK)
		rc = lt_system_register(lt_registry_store(r), &admin, name, (const char(*)[LT_CODE_BUFSZ])codes.codes,
					codes.n, key, &out, &err);
	lt_registry_close(r);
	lt_codelist_free(&codes);
	if (rc)
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(json_pack("{s:I,s:s,s:s}", "id", (json_int_t)out.id, "token", out.token,
						"vxp_secret", out.vxp_secret));
	printf("id: %lld\ntoken: %s\nvxp_secret: %s\n", (long long)out.id, out.token, out.vxp_secret);
	return cli_flush();
}

struct list_ctx {
	struct cli *cli;
	struct lt_store *s;
	json_t *arr;
	struct lt_err *err;
};

static int print_system(void *vctx, const struct lt_system *sys)
{
	struct list_ctx *ctx = vctx;
	struct lt_codelist codes = {0};
	int rc = lt_store_system_codes(ctx->s, sys->id, &codes, ctx->err);
	if (rc)
		return rc;
	json_t *jc = json_array();
	for (size_t i = 0; i < codes.n; i++)
		json_array_append_new(jc, json_string(codes.codes[i]));
	if (ctx->cli->json) {
		json_array_append_new(ctx->arr, json_pack("{s:I,s:s,s:o,s:s}", "id", (json_int_t)sys->id, "name",
							  sys->name, "codes", jc, "created", sys->created));
	} else {
		printf("%-5lld %-30s", (long long)sys->id, sys->name);
		for (size_t i = 0; i < codes.n; i++)
			printf(" %s", codes.codes[i]);
		printf("\n");
		json_decref(jc);
	}
	lt_codelist_free(&codes);
	return 0;
}

static int system_list(struct cli *cli, int argc, char **argv)
{
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "system list", USAGE_LIST, NULL, &r);
	if (rc)
		return rc;
	struct lt_err err = {0};
	struct list_ctx ctx = {cli, lt_registry_store(r), json_array(), &err};
	rc = lt_store_systems(ctx.s, print_system, &ctx, &err);
	lt_registry_close(r);
	if (rc) {
		json_decref(ctx.arr);
		return cli_fail(&err);
	}
	if (cli->json)
		return cli_print_json(ctx.arr);
	json_decref(ctx.arr);
	return cli_flush();
}

int cmd_system(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("system needs a verb: add or list");
	if (strcmp(argv[1], "add") == 0)
		return system_add(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return system_list(cli, argc - 1, argv + 1);
	return cli_usage("unknown system verb '%s': use add or list", argv[1]);
}
