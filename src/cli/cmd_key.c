/* lienthong key show: the public half of the registry's catalogue signing
 * key (data_dir/catalogue.key), which a hub mirroring this registry sets as
 * its upstream_public_key. The key is made here when the daemon has not
 * made it yet, so it can be handed out before the first start. */
#include <string.h>

#include "cli.h"
#include "lienthong/catalogue.h"

#define USAGE "key show [--json]"

int cmd_key(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *verb = NULL;
	cli_args_init(&a, cli, argc, argv, "key", USAGE);
	while (cli_next(&a))
		cli_one_positional(&a, &verb);
	if (a.stop)
		return a.rc;
	if (!verb || strcmp(verb, "show") != 0)
		return cli_missing(&a, verb ? "the only verb is 'show'" : "a verb is needed");
	struct lt_catkey *k = NULL;
	struct lt_err err = {0};
	if (lt_catkey_open(cli->cfg.data_dir, true, &k, &err))
		return cli_fail(&err);
	char pub[LT_CATKEY_PUB_BUFSZ], id[LT_CATKEY_ID_BUFSZ];
	lt_catkey_public(k, pub, id);
	lt_catkey_free(k);
	if (cli->json)
		return cli_print_json(
			json_pack("{s:s,s:s,s:s}", "public_key", pub, "key_id", id, "algorithm", "ed25519"));
	printf("%s\n", pub);
	return cli_flush();
}
