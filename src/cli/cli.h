/* Shared pieces of the lienthong CLI: the global options every sub-command
 * sees and the exit codes of design.md §7.1. */
#ifndef LIENTHONG_CLI_H
#define LIENTHONG_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lienthong/config.h"
#include "lienthong/err.h"
#include "lienthong/registry.h"

enum { EXIT_OK = LT_EXIT_OK, EXIT_REFUSED = LT_EXIT_REFUSED, EXIT_USAGE = LT_EXIT_USAGE, EXIT_IO = LT_EXIT_IO };
/* A sub-command's --help was printed: nothing more is done (no database is
 * opened, no input read), and main exits 0. Not 0 itself, so that every
 * "if (rc) return rc;" after a parse stops there. */
enum { EXIT_HELP_SHOWN = 256 };

struct cli {
	struct lt_config cfg;
	bool json;
};

/* Each sub-command gets argv starting at its own name. */
int cmd_code(struct cli *cli, int argc, char **argv);
int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_import(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_unit(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_plan(struct cli *cli, int argc, char **argv);
int cmd_token(struct cli *cli, int argc, char **argv);
int cmd_system(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_org(struct cli *cli, int argc, char **argv);
int cmd_sign(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
/* The exchange hub over the daemon's HTTP API (cmd_exchange.c, http.c). */
int cmd_send(struct cli *cli, int argc, char **argv);
int cmd_inbox(struct cli *cli, int argc, char **argv);
int cmd_fetch(struct cli *cli, int argc, char **argv);
int cmd_ack(struct cli *cli, int argc, char **argv);
int cmd_trace(struct cli *cli, int argc, char **argv);
/* Operations: backup, restore (cmd_backup.c). */
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
/* catch-up URL: a mirror's change feed into a restored registry (cmd_catchup.c). */
int cmd_catch_up(struct cli *cli, int argc, char **argv);
/* key show: the catalogue signing key's public half (cmd_key.c). */
int cmd_key(struct cli *cli, int argc, char **argv);
/* The transition mapping (cmd_transition.c) and the converter (cmd_convert.c). */
int cmd_transition(struct cli *cli, int argc, char **argv);
int cmd_convert(struct cli *cli, int argc, char **argv);

/* Prints "lienthong: <msg>" to stderr and returns the exit code for err. */
int cli_fail(const struct lt_err *err);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- argument parsing shared by the sub-commands (args.c) ---- */

/* One pass over a sub-command's argv (argv[0] is its own name). cli_next
 * steps to the next argument and handles what every sub-command takes:
 * --json, --help and "--" (the rest is positional). The matchers below accept
 * "--opt VALUE" and "--opt=VALUE"; when one fails it prints why and sets
 * stop and rc, so a parse loop ends with `if (a.stop) return a.rc;`. */
struct cli_args {
	struct cli *cli;
	int argc;
	char **argv;
	int i;             /* index of the argument being looked at */
	const char *arg;   /* argv[i] */
	const char *cmd;   /* "unit add", for messages */
	const char *usage; /* "unit add --parent CODE ...", for --help and usage errors */
	bool rest;         /* after "--": every argument is positional */
	bool stop;         /* parsing is over: help was printed or an error was */
	int rc;            /* the exit code when stop is set */
};

void cli_args_init(struct cli_args *a, struct cli *cli, int argc, char **argv, const char *cmd, const char *usage);
bool cli_next(struct cli_args *a);
/* The current argument if it is positional (not an option), else NULL. */
const char *cli_positional(const struct cli_args *a);
/* Takes the current argument as the one operand *slot, or reports it as unknown. */
void cli_one_positional(struct cli_args *a, const char **slot);
/* Ends the parse with a usage error for the current argument. */
void cli_unknown(struct cli_args *a);
/* Prints "<cmd>: <why>" and the command's usage line; returns EXIT_USAGE. */
int cli_missing(const struct cli_args *a, const char *why);

bool cli_flag(struct cli_args *a, const char *name);
/* *val points into argv (or is "" after a missing value, with stop set). */
bool cli_opt(struct cli_args *a, const char *name, const char **val);
/* Copies the value into buf; a value that does not fit is refused (exit 1). */
bool cli_opt_buf(struct cli_args *a, const char *name, char *buf, size_t size);
/* A date option (YYYY-MM-DD or DD/MM/YYYY; the library checks the calendar). */
bool cli_opt_date(struct cli_args *a, const char *name, char buf[LT_DATE_BUFSZ]);
/* A whole number in [min, max]; anything else is a usage error. */
bool cli_opt_int(struct cli_args *a, const char *name, long long min, long long max, long long *out);

/* Copies src into dst (size bytes); refuses (exit 1, printed) what does not
 * fit, naming it by what. Returns EXIT_OK or the exit code. */
int cli_copy(char *dst, size_t size, const char *src, const char *what);

/* The decision flags every change of design.md §4 carries:
 * --decision-number, --decision-date, --decision-issuer, --effective and
 * --reorganized (the day the reorganisation happened, for the compliance
 * report; it defaults to the effective date). */
struct cli_change {
	struct lt_decision decision;
	char effective[LT_DATE_BUFSZ];
	char reorganized[LT_DATE_BUFSZ];
};
bool cli_change_opt(struct cli_args *a, struct cli_change *c);

/* The contact flags --address, --email, --phone, --fax, --website; given
 * says which were on the command line, so an update keeps the others. */
struct cli_contact {
	struct lt_contact c;
	unsigned given;
};
bool cli_contact_opt(struct cli_args *a, struct cli_contact *c);
/* Overwrites the fields of *out that were given. */
void cli_contact_apply(const struct cli_contact *in, struct lt_contact *out);

/* ---- steps every registry command repeats (args.c) ---- */

/* Opens the registry at cfg.db. Unless create is set, a database file that
 * does not exist is an error (run init first) rather than silently created.
 * On failure prints why and returns the exit code. */
int cli_open(struct cli *cli, bool create, struct lt_registry **r);
/* Who acts from the CLI: "cli:<local account>". */
void cli_actor(char *out, size_t size);
/* The CLI acts as an admin (whoever can write the database file can do
 * anything), named as the local account in the audit trail. */
struct lt_principal;
void cli_principal(struct lt_principal *p);
/* The context every changing core call of this command is given: the
 * CLI's principal (cli_principal), no request id. */
struct lt_ctx;
const struct lt_ctx *cli_ctx(void);
/* Parses a command that takes no options: one CODE when code is given,
 * nothing otherwise; then opens the registry. EXIT_OK with *r open, or
 * the exit code (printed) with nothing open. */
int cli_open_simple(struct cli *cli, int argc, char **argv, const char *name, const char *usage, const char **code,
		    struct lt_registry **r);
/* Prints v (stolen) with two-space indent and a newline; EXIT_IO when
 * standard output fails. */
int cli_print_json(json_t *v);
/* Flushes standard output; EXIT_IO (printed) when that fails. */
int cli_flush(void);

/* A file that appears whole or not at all: cli_file_begin opens a
 * temporary beside path; cli_file_end, given the writer's exit code,
 * flushes, syncs and renames it into place, or removes it. Both print why
 * they fail and return the exit code. */
struct cli_file {
	FILE *out;
	char *tmp; /* owned until cli_file_end */
	const char *path;
};
int cli_file_begin(struct cli_file *f, const char *path);
int cli_file_end(struct cli_file *f, int rc);

/* Prints an import report's bad rows to stderr as "line N: CODE: reason"
 * (prefixed with "<prefix>: " when prefix is set) and its warnings (cmd_import.c). */
/* A table for people: cells (NULL or "" shown as "-") in columns aligned by
 * the width a terminal gives them (lt_text_width), two spaces apart; print
 * writes it to stdout and frees it. */
struct cli_table {
	size_t ncols, nrows, cap;
	char **cells;
	bool oom;
};
void cli_table_init(struct cli_table *t, size_t ncols, const char *const *header);
void cli_table_add(struct cli_table *t, const char *const *cells);
int cli_table_print(struct cli_table *t);
void cli_table_free(struct cli_table *t);

/* A UTC stamp of the store ("2026-12-07T14:09:28Z") as people read it: in
 * the zone display_tz, with its offset ("2026-12-07 21:09:28 +07:00"); text
 * that is no such stamp comes back as it is ("-" when empty). Returns out. */
const char *cli_time(const struct cli *cli, const char *utc, char *out, size_t size);

/* A string for --json, or null when it is absent (""): absent values are
 * null, as the API gives them, never "". */
json_t *cli_json_str(const char *s);

void cli_print_import_errors(const struct lt_import_report *rep, const char *prefix, bool warnings);

/* ---- unit sub-commands: cmd_unit.c (reads), cmd_unit_edit.c, cmd_unit_reorg.c ---- */
/* Applies the plan in the JSON file path (cmd_plan.c): *result (caller
 * owns) on EXIT_OK; otherwise every refusal printed, with the exit code. */
int cli_plan_apply_file(struct lt_registry *r, const char *path, bool dry_run, json_t **result);
void cli_print_plan_refusals(const json_t *refusals, const char *path);

int cli_unit_add(struct cli *cli, int argc, char **argv, const char *usage);
int cli_unit_update(struct cli *cli, int argc, char **argv, const char *usage);
int cli_unit_rename(struct cli *cli, int argc, char **argv, const char *usage);
int cli_unit_move(struct cli *cli, int argc, char **argv, const char *usage);
int cli_unit_split(struct cli *cli, int argc, char **argv, const char *usage);
int cli_unit_merge(struct cli *cli, int argc, char **argv, const char *usage);
int cli_unit_dissolve(struct cli *cli, int argc, char **argv, const char *usage);
/* Prints a unit changed by add, update or rename: the unit object with
 * --json, else one line "<verb> CODE NAME". */
int cli_unit_print_change(struct cli *cli, const char *verb, const struct lt_unit *u);

#endif
