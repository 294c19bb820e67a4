/* What every registry sub-command shares: options as "--opt VALUE" or
 * "--opt=VALUE", the decision and contact flags of design.md §4, opening the
 * registry and printing JSON. Each cmd_*.c then says only what is its own. */
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "lienthong/access.h"
#include "lienthong/ops.h"

void cli_args_init(struct cli_args *a, struct cli *cli, int argc, char **argv, const char *cmd, const char *usage)
{
	memset(a, 0, sizeof *a);
	a->cli = cli;
	a->argc = argc;
	a->argv = argv;
	a->cmd = cmd;
	a->usage = usage;
}

static void stop(struct cli_args *a, int rc)
{
	a->stop = true;
	a->rc = rc;
}

bool cli_next(struct cli_args *a)
{
	while (!a->stop && ++a->i < a->argc) {
		a->arg = a->argv[a->i];
		if (a->rest)
			return true;
		if (strcmp(a->arg, "--") == 0) {
			a->rest = true;
		} else if (strcmp(a->arg, "--json") == 0) {
			/* Accepted after the sub-command too, since that is where
			 * people type it. */
			a->cli->json = true;
		} else if (strcmp(a->arg, "-h") == 0 || strcmp(a->arg, "--help") == 0) {
			printf("usage: lienthong %s\n", a->usage);
			stop(a, EXIT_HELP_SHOWN);
		} else {
			return true;
		}
	}
	return false;
}

const char *cli_positional(const struct cli_args *a)
{
	if (a->rest || a->arg[0] != '-' || strcmp(a->arg, "-") == 0)
		return a->arg;
	return NULL;
}

void cli_one_positional(struct cli_args *a, const char **slot)
{
	const char *p = cli_positional(a);
	if (p && !*slot)
		*slot = p;
	else
		cli_unknown(a);
}

void cli_unknown(struct cli_args *a)
{
	if (cli_positional(a))
		stop(a, cli_usage("%s: unexpected argument '%s'", a->cmd, a->arg));
	else
		stop(a, cli_usage("%s: unknown option %s", a->cmd, a->arg));
}

int cli_missing(const struct cli_args *a, const char *why)
{
	fprintf(stderr, "lienthong: %s: %s\nusage: lienthong %s\n", a->cmd, why, a->usage);
	return EXIT_USAGE;
}

bool cli_flag(struct cli_args *a, const char *name)
{
	if (a->rest || strcmp(a->arg, name) != 0)
		return false;
	return true;
}

bool cli_opt(struct cli_args *a, const char *name, const char **val)
{
	size_t n = strlen(name);
	if (a->rest || strncmp(a->arg, name, n) != 0 || (a->arg[n] != '\0' && a->arg[n] != '='))
		return false;
	if (a->arg[n] == '=') {
		*val = a->arg + n + 1;
		return true;
	}
	if (a->i + 1 >= a->argc) {
		*val = "";
		stop(a, cli_usage("%s: %s needs a value", a->cmd, name));
		return true;
	}
	*val = a->argv[++a->i];
	return true;
}

int cli_copy(char *dst, size_t size, const char *src, const char *what)
{
	size_t n = strlen(src);
	if (n >= size) {
		/* Too long for the record is bad input, like any other the
		 * library refuses, hence exit 1 rather than a usage error. */
		struct lt_err err;
		lt_err_set(&err, LT_EINVAL, "%s is %zu bytes long; at most %zu", what, n, size - 1);
		return cli_fail(&err);
	}
	memcpy(dst, src, n + 1);
	return EXIT_OK;
}

bool cli_opt_buf(struct cli_args *a, const char *name, char *buf, size_t size)
{
	const char *v;
	if (!cli_opt(a, name, &v))
		return false;
	int rc;
	if (!a->stop && (rc = cli_copy(buf, size, v, name)))
		stop(a, rc);
	return true;
}

bool cli_opt_date(struct cli_args *a, const char *name, char buf[LT_DATE_BUFSZ])
{
	const char *v;
	if (!cli_opt(a, name, &v))
		return false;
	if (a->stop)
		return true;
	if (strlen(v) >= LT_DATE_BUFSZ) {
		struct lt_err err;
		lt_err_set(&err, LT_EINVAL, "%s: '%s' is not a date like 2025-07-01", name, v);
		stop(a, cli_fail(&err));
		return true;
	}
	snprintf(buf, LT_DATE_BUFSZ, "%s", v);
	return true;
}

bool cli_opt_int(struct cli_args *a, const char *name, long long min, long long max, long long *out)
{
	const char *v;
	if (!cli_opt(a, name, &v))
		return false;
	if (a->stop)
		return true;
	long long n;
	if (!lt_text_int(v, min, max, &n))
		stop(a,
		     cli_usage("%s: %s wants a whole number from %lld to %lld, not '%s'", a->cmd, name, min, max, v));
	else
		*out = n;
	return true;
}

bool cli_change_opt(struct cli_args *a, struct cli_change *c)
{
	return cli_opt_buf(a, "--decision-number", c->decision.number, sizeof c->decision.number) ||
	       cli_opt_date(a, "--decision-date", c->decision.date) ||
	       cli_opt_buf(a, "--decision-issuer", c->decision.issuer, sizeof c->decision.issuer) ||
	       cli_opt_date(a, "--effective", c->effective) || cli_opt_date(a, "--reorganized", c->reorganized);
}

static const struct {
	const char *flag;
	size_t offset, size;
} contact_fields[] = {
	{"--address", offsetof(struct lt_contact, address), sizeof((struct lt_contact *)0)->address},
	{"--email", offsetof(struct lt_contact, email), sizeof((struct lt_contact *)0)->email},
	{"--phone", offsetof(struct lt_contact, phone), sizeof((struct lt_contact *)0)->phone},
	{"--fax", offsetof(struct lt_contact, fax), sizeof((struct lt_contact *)0)->fax},
	{"--website", offsetof(struct lt_contact, website), sizeof((struct lt_contact *)0)->website},
};

bool cli_contact_opt(struct cli_args *a, struct cli_contact *c)
{
	for (size_t i = 0; i < sizeof contact_fields / sizeof contact_fields[0]; i++)
		if (cli_opt_buf(a, contact_fields[i].flag, (char *)&c->c + contact_fields[i].offset,
				contact_fields[i].size)) {
			c->given |= 1u << i;
			return true;
		}
	return false;
}

void cli_contact_apply(const struct cli_contact *in, struct lt_contact *out)
{
	for (size_t i = 0; i < sizeof contact_fields / sizeof contact_fields[0]; i++)
		if (in->given & (1u << i))
			memcpy((char *)out + contact_fields[i].offset, (const char *)&in->c + contact_fields[i].offset,
			       contact_fields[i].size);
}

/* A database given as a URI is not a file we can look for. */
static bool is_file_path(const char *db) { return !strstr(db, "://") && strcmp(db, ":memory:") != 0; }

int cli_open(struct cli *cli, bool create, struct lt_registry **r)
{
	const char *db = cli->cfg.db;
	struct lt_err err = {0};
	if (!create && is_file_path(db) && access(db, F_OK) != 0) {
		fprintf(stderr, "lienthong: database %s does not exist: run 'lienthong init' first (or set db)\n", db);
		return EXIT_IO;
	}
	if (lt_registry_open(r, db, &err))
		return cli_fail(&err);
	if (lt_registry_journal_open(*r, cli->cfg.issue_journal, &err)) {
		lt_registry_close(*r);
		*r = NULL;
		return cli_fail(&err);
	}
	return EXIT_OK;
}

void cli_actor(char *out, size_t size)
{
	struct passwd *pw = getpwuid(getuid());
	snprintf(out, size, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
}

void cli_principal(struct lt_principal *p)
{
	memset(p, 0, sizeof *p);
	p->role = LT_ROLE_ADMIN;
	cli_actor(p->name, sizeof p->name);
}

const struct lt_ctx *cli_ctx(void)
{
	/* One command per process, on one thread: made once. */
	static struct lt_ctx ctx;
	static bool made;
	if (!made) {
		cli_principal(&ctx.who);
		made = true;
	}
	return &ctx;
}

int cli_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "lienthong: writing to standard output: %s\n", strerror(errno));
		return EXIT_IO;
	}
	return EXIT_OK;
}

int cli_open_simple(struct cli *cli, int argc, char **argv, const char *name, const char *usage, const char **code,
		    struct lt_registry **r)
{
	struct cli_args a;
	cli_args_init(&a, cli, argc, argv, name, usage);
	while (cli_next(&a))
		if (code)
			cli_one_positional(&a, code);
		else
			cli_unknown(&a);
	if (a.stop)
		return a.rc;
	if (code && !*code)
		return cli_missing(&a, "give a code");
	return cli_open(cli, false, r);
}

int cli_file_begin(struct cli_file *f, const char *path)
{
	size_t n = strlen(path);
	f->path = path;
	f->out = NULL;
	f->tmp = NULL;
	/* A device or a pipe (-o /dev/null, a FIFO) is written as it is: a
	 * temporary renamed over it would replace the device itself. */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		if ((f->out = fopen(path, "wb")))
			return EXIT_OK;
		fprintf(stderr, "lienthong: cannot write %s: %s\n", path, strerror(errno));
		return EXIT_IO;
	}
	f->tmp = malloc(n + 16);
	if (!f->tmp) {
		fputs("lienthong: out of memory\n", stderr);
		return EXIT_IO;
	}
	snprintf(f->tmp, n + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(f->tmp);
	f->out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (f->out)
		return EXIT_OK;
	fprintf(stderr, "lienthong: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(f->tmp);
	}
	free(f->tmp);
	f->tmp = NULL;
	return EXIT_IO;
}

int cli_file_end(struct cli_file *f, int rc)
{
	if (!f->tmp) { /* a device or a pipe: nothing to rename or remove */
		bool bad = fflush(f->out) != 0 || ferror(f->out);
		if ((fclose(f->out) != 0 || bad) && rc == EXIT_OK) {
			fprintf(stderr, "lienthong: writing %s: %s\n", f->path, strerror(errno));
			rc = EXIT_IO;
		}
		f->out = NULL;
		return rc;
	}
	if (rc) {
		fclose(f->out);
	} else if (fflush(f->out) != 0 || fsync(fileno(f->out)) != 0 || ferror(f->out) || fclose(f->out) != 0) {
		fprintf(stderr, "lienthong: writing %s: %s\n", f->path, strerror(errno));
		rc = EXIT_IO;
	} else if (rename(f->tmp, f->path) != 0) {
		fprintf(stderr, "lienthong: cannot write %s: %s\n", f->path, strerror(errno));
		rc = EXIT_IO;
	}
	if (rc)
		unlink(f->tmp);
	free(f->tmp);
	f->tmp = NULL;
	f->out = NULL;
	return rc;
}

int cli_print_json(json_t *v)
{
	if (!v) {
		fputs("lienthong: out of memory\n", stderr);
		return EXIT_IO;
	}
	int rc = json_dumpf(v, stdout, JSON_INDENT(2));
	json_decref(v);
	if (rc == 0)
		putchar('\n');
	return cli_flush();
}
