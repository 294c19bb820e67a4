/* lienthong init [--demo]: creates the database and loads the real level-1
 * table as of 2020 (design.md §7.1), then applies the 2025 reforms of
 * data/reform-2025/ as plans with their real decisions, so the table is
 * current and as-of reads show both states. --demo adds a demo tree and the
 * full merger of Quảng Nam into Đà Nẵng, departments merged into their
 * counterparts, so a new user sees closed codes, successors and as-of
 * answers from the first minute. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "lienthong/transition.h"

#define USAGE "init [--demo] [--db PATH|postgresql://URI] [--json]"

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
static int find_data_in(const char *name, char *out, size_t size, bool quiet)
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
		if (access(out, R_OK) == 0 || quiet)
			return access(out, R_OK) == 0 ? EXIT_OK : EXIT_IO;
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
	if (!quiet)
		fprintf(stderr,
			"lienthong: cannot find %s: looked in ./data and beside the executable; set LIENTHONG_DATA "
			"to the data directory\n",
			name);
	return EXIT_IO;
}

static int find_data(const char *name, char *out, size_t size) { return find_data_in(name, out, size, false); }

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

/* The plan files of a directory, by file name. */
struct plan_files {
	char (*path)[PATH_MAX];
	size_t n;
};

static int json_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Lists the .json files of dir in file-name order; a directory that is not there has none. */
static int list_plans(const char *dir, struct plan_files *out)
{
	struct dirent **names;
	memset(out, 0, sizeof *out);
	int n = scandir(dir, &names, json_name, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return EXIT_OK;
		fprintf(stderr, "lienthong: cannot read %s: %s\n", dir, strerror(errno));
		return EXIT_IO;
	}
	out->path = calloc((size_t)n + 1, sizeof *out->path);
	for (int i = 0; i < n; i++) {
		if (out->path)
			snprintf(out->path[out->n++], PATH_MAX, "%s/%s", dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	if (!out->path) {
		fputs("lienthong: out of memory\n", stderr);
		return EXIT_IO;
	}
	return EXIT_OK;
}

static int load_json(const char *path, json_t **out)
{
	json_error_t jerr;
	if ((*out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)))
		return EXIT_OK;
	fprintf(stderr, "lienthong: %s: %s\n", path, jerr.text);
	return jerr.line < 0 ? EXIT_IO : EXIT_REFUSED;
}

static int plans_overlap(const char *a, const char *b, bool *same)
{
	json_t *ja = NULL, *jb = NULL;
	int rc = load_json(a, &ja);
	if (rc == EXIT_OK && (rc = load_json(b, &jb)) == EXIT_OK)
		*same = lt_plan_overlaps(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return rc;
}

/* What init applied, for its report. */
struct applied {
	json_t *plans; /* [{"file","id","decision","closed","moved"}] */
};

static int apply_plan(struct lt_registry *r, const char *path, struct applied *done)
{
	json_t *res = NULL;
	int rc = cli_plan_apply_file(r, path, false, &res);
	if (rc)
		return rc;
	const char *slash = strrchr(path, '/');
	json_array_append_new(done->plans,
			      json_pack("{s:s,s:O,s:O,s:O,s:I,s:I}", "file", slash ? slash + 1 : path, "id",
					json_object_get(res, "id"), "decision", json_object_get(res, "decision"),
					"effective", json_object_get(res, "effective"), "closed",
					(json_int_t)json_array_size(json_object_get(res, "closed")), "moved",
					(json_int_t)json_array_size(json_object_get(res, "moved"))));
	json_decref(res);
	return EXIT_OK;
}

/* The 2025 reform plans in file-name order. With the demo, a plan of
 * data/demo/ (the same decision with the demo tree's departments merged
 * too) takes the place of the reform plan that closes a unit it closes,
 * and one that replaces none comes after them all. */
static int apply_reforms(struct lt_registry *r, bool demo, struct applied *done)
{
	char dir[PATH_MAX], demo_dir[PATH_MAX];
	struct plan_files reform = {0}, extra = {0};
	int rc = EXIT_OK;
	/* A directory that is not there holds no plans: without reform-2025
	 * level 1 stays as of 2020. */
	if (demo && find_data_in("demo", demo_dir, sizeof demo_dir, true) == EXIT_OK)
		rc = list_plans(demo_dir, &extra);
	if (rc == EXIT_OK && find_data_in("reform-2025", dir, sizeof dir, true) == EXIT_OK)
		rc = list_plans(dir, &reform);
	bool *used = calloc(extra.n + 1, sizeof *used);
	if (!used && rc == EXIT_OK) {
		fputs("lienthong: out of memory\n", stderr);
		rc = EXIT_IO;
	}
	for (size_t i = 0; rc == EXIT_OK && i < reform.n; i++) {
		const char *path = reform.path[i];
		for (size_t k = 0; k < extra.n; k++) {
			bool same = false;
			if ((rc = plans_overlap(reform.path[i], extra.path[k], &same)))
				break;
			if (same) {
				path = extra.path[k];
				used[k] = true;
			}
		}
		if (rc == EXIT_OK)
			rc = apply_plan(r, path, done);
	}
	for (size_t k = 0; rc == EXIT_OK && k < extra.n; k++)
		if (!used[k])
			rc = apply_plan(r, extra.path[k], done);
	free(used);
	free(reform.path);
	free(extra.path);
	return rc;
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

static int init(struct cli *cli, bool demo, size_t *n_level1, size_t *n_demo, struct applied *done)
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
	} else if ((rc = load_csv(r, level1, n_level1)) == EXIT_OK &&
		   (!demo || (rc = load_csv(r, demo_csv, n_demo)) == EXIT_OK)) {
		rc = apply_reforms(r, demo, done);
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
	struct applied done = {json_array()};
	rc = init(cli, demo, &n_level1, &n_demo, &done);
	if (rc) {
		/* Never delete a database that was there before: it may be the
		 * one an "already initialised" refusal just protected. */
		if (!existed)
			remove_db(db);
		json_decref(done.plans);
		return rc;
	}
	if (cli->json) {
		rc = cli_print_json(json_pack("{s:s,s:I,s:I,s:O}", "db", db, "level1", (json_int_t)n_level1, "demo",
					      (json_int_t)n_demo, "plans", done.plans));
	} else {
		printf("initialised %s: %zu level-1 units", db, n_level1);
		if (demo)
			printf(" and %zu demo units", n_demo);
		printf(" loaded\n");
		size_t i;
		json_t *p;
		json_array_foreach(done.plans, i, p)
		{
			json_t *d = json_object_get(p, "decision");
			printf("plan %lld (%s): %s %s, effective %s: %lld units closed, %lld moved\n",
			       (long long)json_integer_value(json_object_get(p, "id")),
			       json_string_value(json_object_get(p, "file")),
			       json_string_value(json_object_get(d, "kind")),
			       json_string_value(json_object_get(d, "number")),
			       json_string_value(json_object_get(p, "effective")),
			       (long long)json_integer_value(json_object_get(p, "closed")),
			       (long long)json_integer_value(json_object_get(p, "moved")));
		}
		rc = cli_flush();
	}
	json_decref(done.plans);
	return rc;
}
