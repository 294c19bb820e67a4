/* lienthong unit add | update | rename: the changes that touch one unit.
 * The rules (decision required, free numbers, closed codes) are the
 * library's; this file only turns flags into requests. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_unit_print_change(struct cli *cli, const char *verb, const struct lt_unit *u)
{
	if (cli->json)
		return cli_print_json(lt_unit_to_json(u, NULL, NULL));
	printf("%s %s %s\n", verb, u->code, u->name);
	return cli_flush();
}

int cli_unit_add(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct cli_args a;
	struct lt_issue req = {0};
	struct cli_change ch = {0};
	struct cli_contact ct = {0};
	long long number = 0;
	bool parent = false, name = false;
	cli_args_init(&a, cli, argc, argv, "unit add", usage);
	while (cli_next(&a)) {
		if (cli_opt_buf(&a, "--parent", req.parent, sizeof req.parent))
			parent = true;
		else if (cli_opt_buf(&a, "--name", req.name, sizeof req.name))
			name = true;
		else if (!cli_opt_int(&a, "--number", 1, 999, &number) && !cli_change_opt(&a, &ch) &&
			 !cli_contact_opt(&a, &ct))
			cli_unknown(&a);
	}
	if (a.stop)
		return a.rc;
	if (!parent || !name)
		return cli_missing(&a, !parent ? "give --parent CODE" : "give --name NAME");
	req.number = (unsigned)number;
	req.contact = ct.c;
	req.decision = ch.decision;
	memcpy(req.effective, ch.effective, sizeof req.effective);
	memcpy(req.reorganized, ch.reorganized, sizeof req.reorganized);
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_unit u;
	struct lt_err err = {0};
	rc = lt_registry_issue(r, cli_ctx(), &req, &u, &err) ? cli_fail(&err)
							     : cli_unit_print_change(cli, "issued", &u);
	lt_registry_close(r);
	return rc;
}

int cli_unit_update(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct cli_args a;
	struct cli_contact ct = {0};
	long long if_version = 0;
	const char *code = NULL;
	cli_args_init(&a, cli, argc, argv, "unit update", usage);
	while (cli_next(&a)) {
		if (cli_contact_opt(&a, &ct) || cli_opt_int(&a, "--if-version", 1, INT64_MAX, &if_version))
			continue;
		cli_one_positional(&a, &code);
	}
	if (a.stop)
		return a.rc;
	if (!code)
		return cli_missing(&a, "give a code");
	if (!ct.given)
		return cli_missing(&a, "give at least one of --address, --email, --phone, --fax, --website");
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_unit u;
	struct lt_err err = {0};
	if (lt_registry_get(r, code, NULL, &u, &err) == LT_OK) {
		/* Fields not given keep their value. Guarding with the version
		 * just read makes "keep" true even if someone else writes in
		 * between: that write makes this one a conflict, not a loss. */
		struct lt_contact c = u.contact;
		cli_contact_apply(&ct, &c);
		if (lt_registry_update(r, cli_ctx(), u.code, &c, if_version ? if_version : u.version, &u, &err) ==
		    LT_OK) {
			rc = cli_unit_print_change(cli, "updated", &u);
			lt_registry_close(r);
			return rc;
		}
	}
	rc = cli_fail(&err);
	lt_registry_close(r);
	return rc;
}

int cli_unit_rename(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct cli_args a;
	struct cli_change ch = {0};
	char name[LT_NAME_MAX] = "";
	bool named = false;
	const char *code = NULL;
	long long if_version = 0;
	cli_args_init(&a, cli, argc, argv, "unit rename", usage);
	while (cli_next(&a)) {
		if (cli_opt_buf(&a, "--name", name, sizeof name)) {
			named = true;
			continue;
		}
		if (cli_change_opt(&a, &ch) || cli_opt_int(&a, "--if-version", 1, INT64_MAX, &if_version))
			continue;
		cli_one_positional(&a, &code);
	}
	if (a.stop)
		return a.rc;
	if (!code || !named)
		return cli_missing(&a, !code ? "give a code" : "give --name NAME");
	if (ch.reorganized[0])
		return cli_missing(&a, "--reorganized applies to reorganisations and new units, not to a rename");
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_unit u;
	struct lt_err err = {0};
	rc = lt_registry_rename(r, cli_ctx(), code, name, &ch.decision, ch.effective, if_version, &u, &err)
		     ? cli_fail(&err)
		     : cli_unit_print_change(cli, "renamed", &u);
	lt_registry_close(r);
	return rc;
}
