/* lienthong backup and restore: the database, the package bodies and the
 * sealing key of the configured db and data_dir (docs/operations.md). */
#include <stdio.h>

#include "cli.h"
#include "lienthong/ops.h"

#define BACKUP_USAGE "backup DIR [--without-key]"
#define RESTORE_USAGE "restore DIR [--key FILE]"

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *dir = NULL;
	bool without_key = false;
	cli_args_init(&a, cli, argc, argv, "backup", BACKUP_USAGE);
	while (cli_next(&a)) {
		if (cli_flag(&a, "--without-key"))
			without_key = true;
		else
			cli_one_positional(&a, &dir);
	}
	if (a.stop)
		return a.rc;
	if (!dir)
		return cli_missing(&a, "give the directory to write the backup into");
	struct lt_backup_report rep;
	struct lt_err err = {0};
	if (lt_backup(cli->cfg.db, cli->cfg.data_dir, dir, !without_key, &rep, &err))
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(json_pack("{s:s,s:I,s:I,s:I,s:I,s:b}", "dir", dir, "last_seq",
						(json_int_t)rep.last_seq, "bodies", (json_int_t)rep.bodies,
						"body_bytes", (json_int_t)rep.body_bytes, "bodies_removed_meanwhile",
						(json_int_t)rep.bodies_gone, "seal_key", rep.seal_key));
	printf("backup of %s written to %s: change feed at seq %lld, %llu package bodies (%llu bytes)", cli->cfg.db,
	       dir, (long long)rep.last_seq, (unsigned long long)rep.bodies, (unsigned long long)rep.body_bytes);
	if (rep.bodies_gone)
		printf(", %llu removed by retention meanwhile", (unsigned long long)rep.bodies_gone);
	if (rep.request_files)
		printf(", %llu change request files", (unsigned long long)rep.request_files);
	printf("\n%s\n", rep.seal_key
				 ? "the sealing key is in it: keep the backup as secret as data_dir"
				 : "no sealing key in it: restore with --key FILE (data_dir/seal.key, kept apart)");
	return cli_flush();
}

/* Says whether the restored registry is behind its issue journal, so the
 * operator learns it now rather than from the first refused change. */
static int journal_note(struct cli *cli)
{
	if (!cli->cfg.issue_journal[0])
		return cli_flush();
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	int64_t mark, last;
	struct lt_err err = {0};
	if (lt_registry_journal_status(r, &mark, &last, &err))
		rc = cli_fail(&err);
	else if (mark > last)
		printf("the issue journal %s records the change feed up to seq %lld, this backup ends at %lld: changes "
		       "are refused until 'lienthong catch-up URL' has copied the missing events from a mirror\n",
		       cli->cfg.issue_journal, (long long)mark, (long long)last);
	lt_registry_close(r);
	return rc ? rc : cli_flush();
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *dir = NULL, *key = NULL;
	cli_args_init(&a, cli, argc, argv, "restore", RESTORE_USAGE);
	while (cli_next(&a))
		if (!cli_opt(&a, "--key", &key))
			cli_one_positional(&a, &dir);
	if (a.stop)
		return a.rc;
	if (!dir)
		return cli_missing(&a, "give the backup directory to restore from");
	struct lt_restore_report rep;
	struct lt_err err = {0};
	if (lt_restore(dir, cli->cfg.db, cli->cfg.data_dir, key, &rep, &err))
		return cli_fail(&err);
	if (cli->json)
		return cli_print_json(json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b}", "dir", dir, "db", cli->cfg.db,
						"data_dir", cli->cfg.data_dir, "last_seq", (json_int_t)rep.last_seq,
						"bodies", (json_int_t)rep.bodies, "request_files",
						(json_int_t)rep.request_files, "seal_key", rep.seal_key));
	printf("restored %s into %s and %s: change feed at seq %lld, %llu package bodies, %llu change request files\n",
	       dir, cli->cfg.db, cli->cfg.data_dir, (long long)rep.last_seq, (unsigned long long)rep.bodies,
	       (unsigned long long)rep.request_files);
	if (!rep.seal_key)
		printf("no sealing key: VXP secrets cannot be opened until data_dir/seal.key is put back "
		       "(restore --key FILE)\n");
	return journal_note(cli);
}
