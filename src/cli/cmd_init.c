/* lienthong init [--demo]: creates the database and loads the real level-1
 * table (design.md §7.1). --demo adds a demo tree and replays the real 2025
 * merger of Quảng Nam into Đà Nẵng, so a new user sees closed codes,
 * successors and as-of answers from the first minute. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define USAGE "init [--demo] [--db PATH|postgresql://URI] [--json]"

/* The merger of Resolution 202/2025/QH15: Quảng Nam joins Đà Nẵng, which
 * keeps its code. */
static const char merger_from[][LT_CODE_BUFSZ] = {"000.00.00.H47"};
#define MERGER_INTO "000.00.00.H17"

/* mkdir -p of the directory that holds the database file. */
static int make_parent_dirs(const char *db)
{
	char dir[sizeof((struct lt_config *)0)->db];
	snprintf(dir, sizeof dir, "%s", db);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return EXIT_OK;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "lienthong: cannot create directory %s: %s\n", dir, strerror(errno));
			return EXIT_IO;
		}
		*p = c;
		if (!c)
			break;
	}
	return EXIT_OK;
}

/* Finds a file of data/: in $LIENTHONG_DATA (a directory, or a file whose
 * directory is used, so it may name level1.csv itself), else data/ under
 * the working directory, else data/ beside the executable's directory
 * (build/lienthong → data/) or share/lienthong/data/ of its prefix
 * (/usr/bin/lienthong → /usr/share/lienthong/data/), so init works from a
 * checkout and from an install alike. */
static int find_data(const char *name, char *out, size_t size)
{
	const char *env = getenv("LIENTHONG_DATA");
	struct stat st;
	if (env && env[0]) {
		if (stat(env, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(out, size, "%s/%s", env, name);
		} else {
			const char *slash = strrchr(env, '/');
			if (slash)
				snprintf(out, size, "%.*s/%s", (int)(slash - env), env, name);
			else
				snprintf(out, size, "%s", name);
		}
		if (access(out, R_OK) == 0)
			return EXIT_OK;
		fprintf(stderr, "lienthong: LIENTHONG_DATA is %s, but %s cannot be read: %s\n", env, out,
			strerror(errno));
		return EXIT_IO;
	}
	snprintf(out, size, "data/%s", name);
	if (access(out, R_OK) == 0)
		return EXIT_OK;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, size, "%s/../data/%s", exe, name);
			if (access(out, R_OK) == 0)
				return EXIT_OK;
			/* An installation: PREFIX/bin/lienthong, PREFIX/share/lienthong/data. */
			snprintf(out, size, "%s/../share/lienthong/data/%s", exe, name);
			if (access(out, R_OK) == 0)
				return EXIT_OK;
		}
	}
	fprintf(stderr,
		"lienthong: cannot find %s: looked in ./data and beside the executable; set LIENTHONG_DATA to "
		"the data directory\n",
		name);
	return EXIT_IO;
}

static int count_unit(void *ctx, const struct lt_unit *u)
{
	(void)u;
	(*(size_t *)ctx)++;
	return LT_OK;
}

/* Imports one CSV file; prints its bad rows on refusal. */
static int load_csv(struct lt_registry *r, const char *path, size_t *imported)
{
	FILE *in = fopen(path, "r");
	if (!in) {
		fprintf(stderr, "lienthong: cannot open %s: %s\n", path, strerror(errno));
		return EXIT_IO;
	}
	struct lt_import_report rep = {0};
	struct lt_err err = {0};
	int rc = EXIT_OK;
	if (lt_registry_import_csv(r, cli_ctx(), in, &rep, &err) != LT_OK) {
		/* The shipped files carry provenance columns the import
		 * ignores; warnings about them would only be noise here. */
		cli_print_import_errors(&rep, path, false);
		lt_err_prefix(&err, "%s: ", path);
		rc = cli_fail(&err);
	}
	*imported = rep.imported;
	lt_import_report_free(&rep);
	fclose(in);
	return rc;
}

static int apply_merger(struct lt_registry *r, struct lt_reorg_result *res)
{
	struct lt_reorg q = {.kind = LT_REORG_MERGE, .from = merger_from, .n_from = 1};
	snprintf(q.into_code, sizeof q.into_code, "%s", MERGER_INTO);
	snprintf(q.decision.number, sizeof q.decision.number, "202/2025/QH15");
	snprintf(q.decision.date, sizeof q.decision.date, "2025-06-12");
	snprintf(q.decision.issuer, sizeof q.decision.issuer, "Quốc hội");
	snprintf(q.effective, sizeof q.effective, "2025-07-01");
	/* Replayed history keeps the day the catalogue recorded it, within
	 * the 7 days after the resolution, so the compliance report does not
	 * call the merger late for the day the demo was loaded. */
	snprintf(q.recorded, sizeof q.recorded, "2025-06-16");
	struct lt_err err = {0};
	if (lt_registry_reorganize(r, cli_ctx(), &q, res, &err) != LT_OK) {
		lt_err_prefix(&err, "demo merger of %s into %s: ", merger_from[0], MERGER_INTO);
		return cli_fail(&err);
	}
	return EXIT_OK;
}

/* Removes a database file this run created, with SQLite's side files, so a
 * failed init can simply be run again. */
static void remove_db(const char *db)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char path[sizeof((struct lt_config *)0)->db + 16];
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
		unlink(path);
	}
}

static int init(struct cli *cli, bool demo, size_t *n_level1, size_t *n_demo, struct lt_reorg_result *merger)
{
	char level1[PATH_MAX], demo_csv[PATH_MAX];
	int rc;
	if ((rc = find_data("level1.csv", level1, sizeof level1)) ||
	    (demo && (rc = find_data("demo.csv", demo_csv, sizeof demo_csv))))
		return rc;
	struct lt_registry *r;
	if ((rc = cli_open(cli, true, &r)))
		return rc;
	size_t n = 0;
	struct lt_err err = {0};
	struct lt_search all = {.status = LT_FILTER_ALL, .limit = 1};
	if (lt_registry_search(r, &all, count_unit, &n, NULL, &err) != LT_OK) {
		rc = cli_fail(&err);
	} else if (n) {
		lt_err_set(&err, LT_ECONFLICT,
			   "%s is already initialised (it holds units); init only fills an empty database",
			   cli->cfg.db);
		rc = cli_fail(&err);
	} else if ((rc = load_csv(r, level1, n_level1)) == EXIT_OK && demo &&
		   (rc = load_csv(r, demo_csv, n_demo)) == EXIT_OK) {
		rc = apply_merger(r, merger);
	}
	lt_registry_close(r);
	return rc;
}

int cmd_init(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	bool demo = false;
	cli_args_init(&a, cli, argc, argv, "init", USAGE);
	while (cli_next(&a)) {
		if (cli_flag(&a, "--demo"))
			demo = true;
		else if (cli_opt_buf(&a, "--db", cli->cfg.db, sizeof cli->cfg.db))
			; /* the database to create, over the configured one */
		else
			cli_unknown(&a);
	}
	if (a.stop)
		return a.rc;

	const char *db = cli->cfg.db;
	bool is_file = !strstr(db, "://");
	bool existed = !is_file || access(db, F_OK) == 0;
	int rc;
	if (is_file && (rc = make_parent_dirs(db)))
		return rc;
	size_t n_level1 = 0, n_demo = 0;
	struct lt_reorg_result merger = {0};
	rc = init(cli, demo, &n_level1, &n_demo, &merger);
	if (rc) {
		/* Never delete a database that was there before: it may be the
		 * one an "already initialised" refusal just protected. */
		if (!existed)
			remove_db(db);
		lt_reorg_result_free(&merger);
		return rc;
	}
	if (cli->json) {
		json_t *o = json_pack("{s:s,s:I,s:I}", "db", db, "level1", (json_int_t)n_level1, "demo",
				      (json_int_t)n_demo);
		if (demo) {
			json_t *moved = json_object();
			for (size_t i = 0; i < merger.n_moved; i++)
				json_object_set_new(moved, merger.moved[i].from, json_string(merger.moved[i].to));
			json_object_set_new(o, "merger",
					    json_pack("{s:s,s:s,s:s,s:o}", "from", merger_from[0], "into", MERGER_INTO,
						      "effective", "2025-07-01", "moved", moved));
		}
		rc = cli_print_json(o);
	} else {
		if (demo)
			printf("initialised %s: %zu level-1 units and %zu demo units loaded; merger of %s "
			       "into %s "
			       "(202/2025/QH15, effective 2025-07-01) applied, %zu units moved\n",
			       db, n_level1, n_demo, merger_from[0], MERGER_INTO, merger.n_moved);
		else
			printf("initialised %s: %zu level-1 units loaded\n", db, n_level1);
		rc = cli_flush();
	}
	lt_reorg_result_free(&merger);
	return rc;
}
