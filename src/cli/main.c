/* lienthong: the command-line front. It parses arguments and prints results;
 * every rule it applies lives in the library. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lienthong/log.h"
#include "lienthong/store.h"
#include "lienthong/version.h"

static const struct {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	const char *help;
} commands[] = {
	{"code", cmd_code, "code check CODE... [--json] [--lenient]   validate identifier codes"},
	{"init", cmd_init, "init [--demo] [--db DB]                  create the database, load level 1"},
	{"import", cmd_import, "import FILE.csv [--dry-run] [--upsert]   load CSV, all or nothing"},
	{"export", cmd_export, "export [--format csv|dmdc] [--under CODE] [--as-of DATE] [-o FILE]   units as CSV"},
	{"unit", cmd_unit, "unit VERB [ARGS]                         read and change units (unit --help)"},
	{"plan", cmd_plan, "plan apply FILE.json [--dry-run] | list | show ID   one decision, many steps"},
	{"token", cmd_token, "token create --role ROLE [--scope CODE] [--name NAME] | list | revoke ID | check"},
	{"system", cmd_system, "system add --name NAME --code CODE... | list   connected systems"},
	{"system", cmd_system, "system bind|unbind ID CODE | disable|enable|rotate-token|rotate-secret ID"},
	{"system", cmd_system, "system set-secret ID < SECRET            keep a VXP secret the system has"},
	{"audit", cmd_audit, "audit [--target system:ID] [--json]      who bound, disabled, re-keyed what"},
	{"org", cmd_org, "org add CODE --name NAME | show CODE | search QUERY   enterprises and cooperatives"},
	{"sign", cmd_sign, "sign --key KEY.pem --cert CERT.pem FILE   XML-DSig a package (to stdout)"},
	{"verify", cmd_verify, "verify [--ca CA.pem] [--code CODE] FILE    check a package's signature"},
	{"report", cmd_report, "report compliance [--level1 CODE]        late or pending decisions"},
	{"send", cmd_send, "send FILE [--json]                       send an edXML package through the daemon"},
	{"inbox", cmd_inbox,
	 "inbox [--kind edoc|status] [--limit N] [--wait S] [--all] [--json]   what waits for this system"},
	{"fetch", cmd_fetch, "fetch ID [-o FILE]                       a package's bytes (to stdout or FILE)"},
	{"ack", cmd_ack, "ack ID --state done|fail|processing      acknowledge a received package"},
	{"trace", cmd_trace, "trace ID [--json]                        per-recipient routing and statuses"},
	{"backup", cmd_backup, "backup DIR [--without-key]               online backup: database, bodies, sealing key"},
	{"restore", cmd_restore,
	 "restore DIR [--key FILE]                 restore a backup into a fresh db and data_dir"},
	{"key", cmd_key,
	 "key show [--json]                        the catalogue signing key's public half, for mirrors"},
	{"transition", cmd_transition,
	 "transition map [--since D] [--under CODE] [--plan ID] [--format csv|json|sql]   old→current codes"},
	{"convert", cmd_convert,
	 "convert [--since D | --plan ID] [--choose OLD=NEW]... IN [-o OUT] [--report R]   rewrite old codes"},
	{"catch-up", cmd_catch_up,
	 "catch-up URL [--token TOKEN]             copy the events a restored registry lacks from a mirror"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: lienthong [-c FILE] [--db PATH|postgresql://URI] [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %s\n", commands[i].help);
	fprintf(out, "\nexit codes: 0 ok, 1 refused (invalid code, conflict), 2 usage, 3 I/O or database\n");
}

int cli_fail(const struct lt_err *err)
{
	if (err->status == LT_OK) {
		/* A failure must never exit 0, even when the library did not say why. */
		fprintf(stderr, "lienthong: BUG: the command failed without a status; please report it\n");
		return LT_EXIT_IO;
	}
	fprintf(stderr, "lienthong: %s\n", err->msg[0] ? err->msg : lt_strerror(err->status));
	return lt_status_exit(err->status);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lienthong: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n(run 'lienthong --help' for usage)\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	struct lt_err err = {0};
	lt_config_defaults(&cli.cfg);
	const char *conf = NULL, *db = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			cli.json = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return usage(stdout), EXIT_OK;
		else if (strcmp(argv[i], "--version") == 0)
			return printf("lienthong %s\n", LIENTHONG_VERSION), EXIT_OK;
		else
			return cli_usage("unknown option %s", argv[i]);
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (conf && lt_config_load_file(&cli.cfg, conf, &err))
		return cli_fail(&err);
	if (lt_config_load_env(&cli.cfg, &err))
		return cli_fail(&err);
	/* --db, the one setting given on the command line, wins over the file
	 * and the environment. */
	int copied;
	if (db && (copied = cli_copy(cli.cfg.db, sizeof cli.cfg.db, db, "--db")))
		return copied;
	lt_log_set_level((enum lt_log_level)cli.cfg.log_level);
	/* The CLI's store keeps the page cache the configuration gives, as the
	 * daemon's does: a large import's memory is bounded by it. */
	lt_store_set_cache_mib((int)cli.cfg.db_cache_mib);
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(argv[i], commands[k].name) == 0) {
			int rc = commands[k].fn(&cli, argc - i, argv + i);
			return rc == EXIT_HELP_SHOWN ? EXIT_OK : rc;
		}
	return cli_usage("unknown command '%s'", argv[i]);
}
