/* lienthong code check: validates codes and explains each one. Enterprise
 * identifiers (10 digits, optional -NNN) are recognised too. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "lienthong/code.h"

static json_t *describe_code(const char *text, unsigned flags, int *bad)
{
	json_t *o = json_object();
	json_object_set_new(o, "input", json_string(text));
	struct lt_err err = {0};
	/* Only digits with at most one -NNN suffix look like an enterprise code;
	 * anything else gets the agency parser's more specific reasons. */
	size_t digits = strspn(text, "0123456789");
	bool enterprise = digits > 0 && (text[digits] == '\0' ||
					 (text[digits] == '-' && text[digits + 1] &&
					  strspn(text + digits + 1, "0123456789") == strlen(text + digits + 1)));
	if (enterprise) {
		struct lt_enterprise e;
		if (lt_enterprise_parse(&e, text, &err) == LT_OK) {
			char buf[15];
			json_object_set_new(o, "valid", json_true());
			json_object_set_new(o, "kind", json_string("enterprise"));
			json_object_set_new(o, "code", json_string(lt_enterprise_format(&e, buf)));
			json_object_set_new(o, "dependent_unit", e.branch ? json_integer(e.branch) : json_null());
			return o;
		}
	} else {
		struct lt_code c;
		if (lt_code_parse(&c, text, flags, &err) == LT_OK) {
			char buf[LT_CODE_BUFSZ], pbuf[LT_CODE_BUFSZ];
			struct lt_code p;
			const struct lt_code_group *g = lt_code_group(c.letter);
			json_object_set_new(o, "valid", json_true());
			json_object_set_new(o, "kind", json_string("agency"));
			json_object_set_new(o, "code", json_string(lt_code_format(&c, buf)));
			json_object_set_new(o, "level", json_integer(lt_code_level(&c)));
			json_object_set_new(o, "parent",
					    lt_code_parent(&c, &p) == LT_OK ? json_string(lt_code_format(&p, pbuf))
									    : json_null());
			json_object_set_new(o, "group",
					    json_pack("{s:s%,s:s,s:s}", "letter", &c.letter, (size_t)1, "name",
						      g->name_vi, "name_en", g->name_en));
			json_object_set_new(o, "canonical", json_boolean(lt_code_is_canonical(&c)));
			json_t *q = json_array();
			if (c.quirks & LT_CODE_HOLE)
				json_array_append_new(q, json_string("hole"));
			if (c.quirks & LT_CODE_WIDE_L3)
				json_array_append_new(q, json_string("wide_level3"));
			if (c.quirks & LT_CODE_SHORT)
				json_array_append_new(q, json_string("short"));
			if (c.quirks & LT_CODE_SYSID)
				json_array_append_new(q, json_string("system_id"));
			json_object_set_new(o, "quirks", q);
			return o;
		}
	}
	*bad = 1;
	json_object_set_new(o, "valid", json_false());
	json_object_set_new(o, "error", json_string(err.msg));
	return o;
}

static void print_text(json_t *o)
{
	const char *input = json_string_value(json_object_get(o, "input"));
	if (!json_is_true(json_object_get(o, "valid"))) {
		printf("%s\tinvalid: %s\n", input, json_string_value(json_object_get(o, "error")));
		return;
	}
	if (strcmp(json_string_value(json_object_get(o, "kind")), "enterprise") == 0) {
		json_t *b = json_object_get(o, "dependent_unit");
		if (json_is_integer(b))
			printf("%s\tenterprise, dependent unit %03lld\n", input, (long long)json_integer_value(b));
		else
			printf("%s\tenterprise\n", input);
		return;
	}
	json_t *parent = json_object_get(o, "parent");
	json_t *g = json_object_get(o, "group");
	printf("%s\tlevel %lld\tparent %s\tgroup %s (%s)%s\n", input,
	       (long long)json_integer_value(json_object_get(o, "level")),
	       json_is_string(parent) ? json_string_value(parent) : "-",
	       json_string_value(json_object_get(g, "letter")), json_string_value(json_object_get(g, "name")),
	       json_is_true(json_object_get(o, "canonical")) ? "" : "\tnon-canonical");
}

#define CODE_USAGE "code check CODE... [--json] [--lenient] [--system]"

static int code_check(struct cli *cli, int argc, char **argv)
{
	unsigned flags = LT_CODE_STRICT;
	int ncodes = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--lenient") == 0)
			flags |= LT_CODE_LENIENT;
		else if (strcmp(argv[i], "--system") == 0)
			flags |= LT_CODE_SYSTEM;
		else if (strcmp(argv[i], "--json") == 0)
			cli->json = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return printf("usage: lienthong " CODE_USAGE "\n"), EXIT_HELP_SHOWN;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return cli_usage("code check: unknown option %s", argv[i]);
		else
			ncodes++;
	}
	if (!ncodes)
		return cli_usage("code check: give at least one code");
	int bad = 0;
	json_t *all = json_array();
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] == '-')
			continue;
		json_t *o = describe_code(argv[i], flags, &bad);
		if (cli->json)
			json_array_append_new(all, o);
		else {
			print_text(o);
			json_decref(o);
		}
	}
	if (cli->json) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	json_decref(all);
	return bad ? EXIT_REFUSED : EXIT_OK;
}

int cmd_code(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("usage: lienthong " CODE_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return printf("usage: lienthong " CODE_USAGE "\n"), EXIT_HELP_SHOWN;
	if (strcmp(argv[1], "check") == 0)
		return code_check(cli, argc - 2, argv + 2);
	return cli_usage("unknown sub-command 'code %s'", argv[1]);
}
