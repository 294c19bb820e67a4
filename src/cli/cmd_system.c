/* lienthong system add|list|bind|unbind|disable|enable|rotate-token|
 * set-secret|rotate-secret: connected systems (design.md §5). A bearer token
 * or VXP secret is printed once; every change is recorded in the audit
 * trail as the local account's act. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "lienthong/access.h"

#define USAGE_ADD "system add --name NAME (--code CODE | --subtree CODE)... [--json]"
#define USAGE_LIST "system list [--json]"
#define VERBS "add, list, bind, unbind, disable, enable, rotate-token, set-secret or rotate-secret"

static int system_add(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *name = NULL, *code = NULL;
	struct lt_codelist codes = {0}, roots = {0};
	cli_args_init(&a, cli, argc, argv, "system add", USAGE_ADD);
	while (cli_next(&a)) {
		bool is_code = cli_opt(&a, "--code", &code), is_root = !is_code && cli_opt(&a, "--subtree", &code);
		if (is_code || is_root) {
			if (!a.stop && lt_codelist_add(is_code ? &codes : &roots, code)) {
				lt_codelist_free(&codes);
				lt_codelist_free(&roots);
				return cli_usage("out of memory");
			}
		} else if (!cli_opt(&a, "--name", &name)) {
			cli_unknown(&a);
		}
	}
	if (a.stop || !name || codes.n + roots.n == 0) {
		lt_codelist_free(&codes);
		lt_codelist_free(&roots);
		return a.stop ? a.rc : cli_missing(&a, "give --name and at least one --code or --subtree");
	}
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc) {
		lt_codelist_free(&codes);
		lt_codelist_free(&roots);
		return rc;
	}
	struct lt_err err = {0};
	unsigned char key[LT_SEAL_KEY_BYTES];
	struct lt_system_created out;
	rc = lt_seal_key_in(cli->cfg.data_dir, true, key, &err);
	if (rc == LT_OK)
		rc = lt_system_register_subtrees(lt_registry_store(r), cli_ctx(), name,
						 (const char(*)[LT_CODE_BUFSZ])codes.codes, codes.n,
						 (const char(*)[LT_CODE_BUFSZ])roots.codes, roots.n, key, &out, &err);
	lt_registry_close(r);
	lt_codelist_free(&codes);
	lt_codelist_free(&roots);
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
	json_t *arr;
	struct cli_table table;
};

static int print_system(void *vctx, const struct lt_system *sys, const struct lt_codelist *list)
{
	struct list_ctx *ctx = vctx;
	const struct lt_codelist codes = *list;
	if (ctx->cli->json) {
		json_t *jc = json_array();
		for (size_t i = 0; i < codes.n; i++)
			json_array_append_new(jc, json_string(codes.codes[i]));
		/* Absent values are null, as the API gives them. */
		json_array_append_new(
			ctx->arr,
			json_pack("{s:I,s:s,s:o,s:o,s:s,s:b,s:o}", "id", (json_int_t)sys->id, "name", sys->name,
				  "primary_code", sys->primary_code[0] ? json_string(sys->primary_code) : json_null(),
				  "codes", jc, "created", sys->created, "disabled", sys->disabled[0] != 0,
				  "disabled_at", sys->disabled[0] ? json_string(sys->disabled) : json_null()));
		return 0;
	}
	char id[32], created[64], disabled[64], *joined = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&joined, &len);
	for (size_t i = 0; f && i < codes.n; i++)
		fprintf(f, "%s%s", i ? " " : "", codes.codes[i]);
	if (f)
		fclose(f);
	snprintf(id, sizeof id, "%lld", (long long)sys->id);
	const char *row[] = {id, sys->name, cli_time(ctx->cli, sys->created, created, sizeof created),
			     sys->disabled[0] ? cli_time(ctx->cli, sys->disabled, disabled, sizeof disabled) : "",
			     joined ? joined : ""};
	cli_table_add(&ctx->table, row);
	free(joined);
	return 0;
}

static int system_list(struct cli *cli, int argc, char **argv)
{
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "system list", USAGE_LIST, NULL, &r);
	if (rc)
		return rc;
	struct lt_err err = {0};
	struct list_ctx ctx = {.cli = cli, .arr = json_array()};
	static const char *const header[] = {"ID", "NAME", "CREATED", "DISABLED", "CODES"};
	cli_table_init(&ctx.table, 5, header);
	rc = lt_system_list(lt_registry_store(r), &cli_ctx()->who, print_system, &ctx, &err);
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

/* ---- acts on one system: ID, and for bind/unbind a CODE ---- */

struct one {
	long long id;
	const char *code;
	struct lt_registry *r;
};

/* Parses "VERB ID [CODE]" and opens the registry; EXIT_OK with o->r open. */
static int open_one(struct cli *cli, int argc, char **argv, const char *cmd, const char *usage, bool with_code,
		    struct one *o)
{
	struct cli_args a;
	const char *id_text = NULL;
	memset(o, 0, sizeof *o);
	cli_args_init(&a, cli, argc, argv, cmd, usage);
	while (cli_next(&a)) {
		const char *pos = cli_positional(&a);
		if (pos && !id_text)
			id_text = pos;
		else if (pos && with_code && !o->code)
			o->code = pos;
		else
			cli_unknown(&a);
	}
	if (a.stop)
		return a.rc;
	long long id = 0;
	if (!lt_text_int(id_text, 1, INT64_MAX, &id))
		return cli_missing(&a, "give the system's ID (see 'lienthong system list')");
	o->id = id;
	if (with_code && !o->code)
		return cli_missing(&a, "give the CODE");
	return cli_open(cli, false, &o->r);
}

static int system_bind(struct cli *cli, int argc, char **argv, bool bind)
{
	struct one o;
	int rc = bind ? open_one(cli, argc, argv, "system bind", "system bind ID CODE", true, &o)
		      : open_one(cli, argc, argv, "system unbind", "system unbind ID CODE", true, &o);
	if (rc)
		return rc;
	struct lt_err err = {0};
	struct lt_store *s = lt_registry_store(o.r);
	rc = bind ? lt_system_bind(s, cli_ctx(), o.id, o.code, cli->cfg.vxp_agency_ops, &err)
		  : lt_system_unbind(s, cli_ctx(), o.id, o.code, cli->cfg.vxp_agency_ops, &err);
	lt_registry_close(o.r);
	if (rc)
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(
			json_pack("{s:I,s:s,s:b}", "id", (json_int_t)o.id, "code", o.code, "bound", bind));
	printf("%s %s %s system %lld\n", bind ? "bound" : "unbound", o.code, bind ? "to" : "from", o.id);
	return cli_flush();
}

static int system_disable(struct cli *cli, int argc, char **argv, bool disable)
{
	struct one o;
	int rc = disable ? open_one(cli, argc, argv, "system disable", "system disable ID", false, &o)
			 : open_one(cli, argc, argv, "system enable", "system enable ID", false, &o);
	if (rc)
		return rc;
	struct lt_err err = {0};
	bool changed = false;
	rc = lt_system_set_disabled(lt_registry_store(o.r), cli_ctx(), o.id, disable, &changed, &err);
	lt_registry_close(o.r);
	if (rc)
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(
			json_pack("{s:I,s:b,s:b}", "id", (json_int_t)o.id, "disabled", disable, "changed", changed));
	printf(disable ? "system %lld is disabled%s: its token and VXP calls get 401; its inbox is kept\n"
		       : "system %lld is enabled%s\n",
	       o.id, changed ? "" : " (it already was)");
	return cli_flush();
}

static int system_rotate_token(struct cli *cli, int argc, char **argv)
{
	struct one o;
	int rc = open_one(cli, argc, argv, "system rotate-token", "system rotate-token ID [--json]", false, &o);
	if (rc)
		return rc;
	struct lt_err err = {0};
	char token[LT_TOKEN_BUFSZ];
	int revoked = 0;
	rc = lt_system_rotate_token(lt_registry_store(o.r), cli_ctx(), o.id, token, &revoked, &err);
	lt_registry_close(o.r);
	if (rc)
		return cli_fail(&err);
	const char *note = "the VXP secret is unchanged: VXP access continues until the system is disabled "
			   "('lienthong system disable') or its secret rotated";
	if (cli->json)
		return cli_print_json(json_pack("{s:I,s:s,s:i,s:s}", "id", (json_int_t)o.id, "token", token, "revoked",
						revoked, "note", note));
	printf("token: %s\n", token);
	fprintf(stderr, "revoked %d earlier token(s) of system %lld; %s\n", revoked, o.id, note);
	return cli_flush();
}

/* One line of standard input, without its line end; a secret never goes on
 * the command line, where ps and shell history would keep it. */
static int read_secret(char *buf, size_t size)
{
	if (!fgets(buf, (int)size, stdin))
		return cli_usage("set-secret reads the secret from standard input: none was given");
	size_t n = strlen(buf);
	if (n + 1 == size && buf[n - 1] != '\n')
		return cli_usage("the secret on standard input is longer than %zu bytes", size - 2);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (!n)
		return cli_usage("set-secret reads the secret from standard input: the line is empty");
	return EXIT_OK;
}

static int system_secret(struct cli *cli, int argc, char **argv, bool keep)
{
	struct one o;
	int rc =
		keep ? open_one(cli, argc, argv, "system set-secret", "system set-secret ID < SECRET", false, &o)
		     : open_one(cli, argc, argv, "system rotate-secret", "system rotate-secret ID [--json]", false, &o);
	if (rc)
		return rc;
	char given[256], secret[LT_TOKEN_BUFSZ];
	unsigned char key[LT_SEAL_KEY_BYTES];
	struct lt_err err = {0};
	if (keep && (rc = read_secret(given, sizeof given))) {
		lt_registry_close(o.r);
		return rc;
	}
	rc = lt_seal_key_in(cli->cfg.data_dir, false, key, &err);
	if (rc == LT_OK)
		rc = lt_system_set_secret(lt_registry_store(o.r), cli_ctx(), o.id, key, keep ? given : NULL, secret,
					  &err);
	lt_registry_close(o.r);
	OPENSSL_cleanse(given, sizeof given);
	OPENSSL_cleanse(key, sizeof key);
	if (rc)
		return cli_fail(&err);
	if (keep) {
		OPENSSL_cleanse(secret, sizeof secret);
		if (cli->json)
			return cli_print_json(json_pack("{s:I,s:b}", "id", (json_int_t)o.id, "secret_set", true));
		printf("system %lld now signs VXP calls with the secret given\n", o.id);
		return cli_flush();
	}
	json_t *j = cli->json ? json_pack("{s:I,s:s}", "id", (json_int_t)o.id, "vxp_secret", secret) : NULL;
	if (!cli->json)
		printf("vxp_secret: %s\n", secret);
	OPENSSL_cleanse(secret, sizeof secret);
	return cli->json ? cli_print_json(j) : cli_flush();
}

int cmd_system(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("system needs a verb: " VERBS);
	const char *v = argv[1];
	argc--;
	argv++;
	if (strcmp(v, "add") == 0)
		return system_add(cli, argc, argv);
	if (strcmp(v, "list") == 0)
		return system_list(cli, argc, argv);
	if (strcmp(v, "bind") == 0 || strcmp(v, "unbind") == 0)
		return system_bind(cli, argc, argv, v[0] == 'b');
	if (strcmp(v, "disable") == 0 || strcmp(v, "enable") == 0)
		return system_disable(cli, argc, argv, v[0] == 'd');
	if (strcmp(v, "rotate-token") == 0)
		return system_rotate_token(cli, argc, argv);
	if (strcmp(v, "set-secret") == 0 || strcmp(v, "rotate-secret") == 0)
		return system_secret(cli, argc, argv, v[0] == 's');
	return cli_usage("unknown system verb '%s': use " VERBS, v);
}
