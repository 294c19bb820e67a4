/* The import benchmark's floors: the least any importer must do to turn the
 * same CSV into the structures the registry must keep for every unit, with
 * SQLite directly and no checks. Where bench/ref_import.c stores the rows in
 * one table with one primary key, this writes the registry's `units` table
 * exactly as the SQLite store's migrations leave it (unique index on code,
 * unique sort_key, the parent and level indexes, the level-by-rowid index,
 * the FTS5 index of the folded name and its triggers), the rows in tree
 * order (by sort_key, the order the registry writes and its searches rely
 * on), every secondary index and the full-text index built after the rows.
 * With --events it also writes the append-only event log: one `import` event
 * per unit holding the unit's state as JSON (the keys the store writes), the
 * log's three indexes built after the rows, and the import's one change row.
 *
 * name_fold is the library's own fold (lt_text_fold) and sort_key its own
 * reversed code (lt_code_rev), so the full-text index holds the same terms;
 * the level comes from the code's zero groups, the parent from the file.
 * WAL, synchronous=FULL and one transaction as ref_import; the page cache is
 * the registry's (CACHE_MIB, default LT_STORE_DEFAULT_CACHE_MIB). The rows
 * are read into memory and sorted there, which the real import may not do
 * (its memory is bounded): the floor is the least work, not a design.
 * Prints the number of rows on stdout, and on stderr the CPU time of each
 * phase (reading and sorting, the rows, the indexes, the full-text index,
 * the event log's indexes, the commit).
 *
 *   cmake --build build --target bench_ref_import_registry
 *   bench_ref_import_registry [--events] FILE.csv DB [CACHE_MIB] */
#define REF_NAME "ref_import_registry"
#include "ref_csv.h"

#include <sys/resource.h>
#include <time.h>

#include "lienthong/store.h"
#include "lienthong/text.h"

/* The columns the registry takes from the file, in the order of `cols`. */
enum {
	K_CODE,
	K_NAME,
	K_PARENT,
	K_ADDRESS,
	K_EMAIL,
	K_PHONE,
	K_FAX,
	K_WEBSITE,
	K_DNUM,
	K_DDATE,
	K_DISSUER,
	K_FROM,
	K_N
};
static const char *const cols[K_N] = {
	"code", "name",    "parent",          "address",       "email",           "phone",
	"fax",  "website", "decision_number", "decision_date", "decision_issuer", "valid_from"};

struct rec {
	struct field f[K_N];
	char key[LT_CODE_BUFSZ];
};

/* The units table as migration 16 rebuilt it (code keyed by the named unique
 * index units_code, which a fresh bulk load builds after its rows as the
 * others), the indexes and FTS5 table of migrations 1 and 7 (prefix indexes
 * 1 to 7), the triggers created once the rows are in. */
static const char UNITS_TABLE[] =
	"CREATE TABLE units ("
	"  code TEXT NOT NULL,"
	"  sort_key TEXT NOT NULL UNIQUE,"
	"  parent TEXT NOT NULL DEFAULT '',"
	"  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),"
	"  name TEXT NOT NULL,"
	"  name_fold TEXT NOT NULL,"
	"  address TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
	"  phone TEXT NOT NULL DEFAULT '', fax TEXT NOT NULL DEFAULT '', website TEXT NOT NULL DEFAULT '',"
	"  status INTEGER NOT NULL CHECK (status IN (0, 1)),"
	"  valid_from TEXT NOT NULL, valid_to TEXT NOT NULL DEFAULT '',"
	"  decision_number TEXT NOT NULL DEFAULT '', decision_date TEXT NOT NULL DEFAULT '',"
	"  decision_issuer TEXT NOT NULL DEFAULT '',"
	"  reorganized TEXT NOT NULL DEFAULT '', recorded TEXT NOT NULL DEFAULT '',"
	"  version INTEGER NOT NULL);"
	"CREATE VIRTUAL TABLE units_fts USING fts5(name_fold, content='units', content_rowid='rowid',"
	"  tokenize='unicode61 remove_diacritics 0', prefix='1 2 3 4 5 6 7');";
static const char UNITS_INDEXES[] = "CREATE UNIQUE INDEX units_code ON units(code);"
				    "CREATE INDEX units_parent ON units(parent, sort_key);"
				    "CREATE INDEX units_level ON units(level, sort_key);"
				    "CREATE INDEX units_level_rowid ON units(level);";
static const char UNITS_FTS[] =
	"INSERT INTO units_fts(rowid, name_fold) SELECT rowid, name_fold FROM units;"
	"CREATE TRIGGER units_ai AFTER INSERT ON units BEGIN"
	"  INSERT INTO units_fts(rowid, name_fold) VALUES (new.rowid, new.name_fold); END;"
	"CREATE TRIGGER units_ad AFTER DELETE ON units BEGIN"
	"  INSERT INTO units_fts(units_fts, rowid, name_fold) VALUES ('delete', old.rowid, old.name_fold); END;"
	"CREATE TRIGGER units_au AFTER UPDATE OF name_fold ON units BEGIN"
	"  INSERT INTO units_fts(units_fts, rowid, name_fold) VALUES ('delete', old.rowid, old.name_fold);"
	"  INSERT INTO units_fts(rowid, name_fold) VALUES (new.rowid, new.name_fold); END;";
/* Migration 1's change and event tables. */
static const char EVENTS_TABLE[] =
	"CREATE TABLE changes ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, effective TEXT NOT NULL,"
	"  reorganized TEXT NOT NULL DEFAULT '', recorded TEXT NOT NULL DEFAULT '', at TEXT NOT NULL,"
	"  actor TEXT NOT NULL DEFAULT '',"
	"  decision_number TEXT NOT NULL DEFAULT '', decision_date TEXT NOT NULL DEFAULT '',"
	"  decision_issuer TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL DEFAULT '{}');"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  change_id INTEGER NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL,"
	"  parent TEXT NOT NULL DEFAULT '', sort_key TEXT NOT NULL,"
	"  at TEXT NOT NULL, effective TEXT NOT NULL, data TEXT NOT NULL);";
static const char EVENTS_INDEXES[] = "CREATE INDEX events_code ON events(code, effective, seq);"
				     "CREATE INDEX events_parent ON events(parent, code);"
				     "CREATE INDEX events_sort ON events(sort_key);"
				     "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
				     "  SELECT RAISE(ABORT, 'the event log is append-only'); END;"
				     "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN"
				     "  SELECT RAISE(ABORT, 'the event log is append-only'); END;";

static const char UNIT_INSERT[] =
	"INSERT INTO units (code, sort_key, parent, level, name, name_fold, address, email, phone, fax, website,"
	" status, valid_from, decision_number, decision_date, decision_issuer, recorded, version)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?13, ?14, ?15, ?16, 1)";
static const char EVENT_INSERT[] = "INSERT INTO events (seq, change_id, kind, code, parent, sort_key, at, effective,"
				   " data) VALUES (?1, 1, 'import', ?2, ?3, ?4, ?5, ?6, ?7)";

static void run(sqlite3 *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, what);
}

/* Prints the CPU time (user + system) since the last phase ended. */
static void phase(const char *name)
{
	static double last;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double now = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	fprintf(stderr, "%s: %-14s %.3f s CPU\n", REF_NAME, name, now - last);
	last = now;
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const struct rec *const *)a)->key, (*(const struct rec *const *)b)->key);
}

/* 1 plus the groups of the code (L4.L3.L2.L1) in front of level 1 that are
 * not all zeros. */
static int level_of(const struct field *code)
{
	int level = 1, zero = 1, groups = 0;
	for (size_t i = 0; i < code->n && groups < 3; i++) {
		if (code->p[i] == '.') {
			level += !zero;
			zero = 1;
			groups++;
		} else if (code->p[i] != '0') {
			zero = 0;
		}
	}
	return level;
}

/* A growing JSON text: the event's data, built without a JSON library. */
struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 1024;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			fprintf(stderr, "%s: out of memory\n", REF_NAME);
			exit(3);
		}
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void put_lit(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_str(struct buf *b, const char *s, size_t n)
{
	put(b, "\"", 1);
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(b, s + from, i - from);
		char esc[8];
		int k = c == '"' || c == '\\' ? snprintf(esc, sizeof esc, "\\%c", c)
					      : snprintf(esc, sizeof esc, "\\u%04x", c);
		put(b, esc, (size_t)k);
		from = i + 1;
	}
	put(b, s + from, n - from);
	put(b, "\"", 1);
}

/* A key and a string value, or null when the text is empty and nullable. */
static void put_kv(struct buf *b, const char *key, const struct field *v, int nullable)
{
	put_lit(b, key);
	if (nullable && v->n == 0)
		put_lit(b, "null");
	else
		put_str(b, v->p, v->n);
}

/* The unit's state as the store's event writer spells it. */
static void event_data(struct buf *b, const struct field *f, int level, const char *today)
{
	static const struct field none = {"", 0};
	struct field rec = {today, strlen(today)};
	b->n = 0;
	put_kv(b, "{\"unit\":{\"code\":", &f[K_CODE], 0);
	put_kv(b, ",\"name\":", &f[K_NAME], 0);
	char lv[32];
	put(b, lv, (size_t)snprintf(lv, sizeof lv, ",\"level\":%d", level));
	put_kv(b, ",\"parent\":", &f[K_PARENT], 1);
	put_lit(b, ",\"status\":\"active\"");
	put_kv(b, ",\"address\":", &f[K_ADDRESS], 0);
	put_kv(b, ",\"email\":", &f[K_EMAIL], 0);
	put_kv(b, ",\"phone\":", &f[K_PHONE], 0);
	put_kv(b, ",\"fax\":", &f[K_FAX], 0);
	put_kv(b, ",\"website\":", &f[K_WEBSITE], 0);
	if (f[K_DNUM].n || f[K_DDATE].n) {
		put_kv(b, ",\"decision\":{\"number\":", &f[K_DNUM], 0);
		put_kv(b, ",\"date\":", &f[K_DDATE], 1);
		put_kv(b, ",\"issuer\":", &f[K_DISSUER], 0);
		put_lit(b, "}");
	} else {
		put_lit(b, ",\"decision\":null");
	}
	put_kv(b, ",\"valid_from\":", &f[K_FROM], 0);
	put_kv(b, ",\"valid_to\":", &none, 1);
	put_kv(b, ",\"reorganized\":", &none, 1);
	put_kv(b, ",\"recorded\":", &rec, 1);
	put_lit(b, ",\"version\":1},\"actor\":\"cli:root\"}");
}

static void bind(sqlite3_stmt *st, int i, const struct field *f)
{
	sqlite3_bind_text(st, i, f->p, (int)f->n, SQLITE_STATIC);
}

int main(int argc, char **argv)
{
	int events = argc > 1 && strcmp(argv[1], "--events") == 0;
	if (argc - events < 3 || argc - events > 4) {
		fprintf(stderr, "usage: %s [--events] FILE.csv DB [CACHE_MIB]\n", REF_NAME);
		return 2;
	}
	const char *csv = argv[1 + events], *path = argv[2 + events];
	long cache_mib = argc - events == 4 ? strtol(argv[3 + events], NULL, 10) : LT_STORE_DEFAULT_CACHE_MIB;
	size_t len, pos = 0;
	char *text = slurp(csv, &len);
	struct field hdr[MAX_COLS], f[MAX_COLS];
	int ncols = next_record(text, len, &pos, hdr), at[K_N];
	for (int k = 0; k < K_N; k++) {
		at[k] = -1;
		for (int c = 0; c < ncols; c++)
			if (hdr[c].n == strlen(cols[k]) && memcmp(hdr[c].p, cols[k], hdr[c].n) == 0)
				at[k] = c;
	}
	if (at[K_CODE] < 0 || at[K_NAME] < 0) {
		fprintf(stderr, "%s: %s has no code or no name column\n", REF_NAME, csv);
		return 2;
	}

	size_t n = 0, cap = 1024;
	struct rec *recs = malloc(cap * sizeof *recs);
	int nf;
	while (recs && (nf = next_record(text, len, &pos, f)) > 0) {
		if (nf == 1 && f[0].n == 0)
			continue; /* blank line */
		if (n == cap) {
			struct rec *more = realloc(recs, (cap *= 2) * sizeof *recs);
			if (!more)
				free(recs);
			recs = more;
			if (!recs)
				break;
		}
		struct rec *r = &recs[n++];
		for (int k = 0; k < K_N; k++)
			r->f[k] = at[k] >= 0 && at[k] < nf ? f[at[k]] : (struct field){"", 0};
		char code[LT_CODE_BUFSZ];
		size_t cn = r->f[K_CODE].n < sizeof code - 1 ? r->f[K_CODE].n : sizeof code - 1;
		memcpy(code, r->f[K_CODE].p, cn);
		code[cn] = '\0';
		lt_code_rev(code, r->key);
	}
	struct rec **order = recs ? malloc((n ? n : 1) * sizeof *order) : NULL;
	if (!order) {
		fprintf(stderr, "%s: out of memory\n", REF_NAME);
		return 3;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = &recs[i];
	qsort(order, n, sizeof *order, by_key);
	phase("read and sort");

	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(db, "open");
	char pragmas[160];
	snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-%ld;",
		 cache_mib * 1024);
	run(db, pragmas, "pragmas");
	run(db, UNITS_TABLE, "creating the units table");
	if (events)
		run(db, EVENTS_TABLE, "creating the event log");

	sqlite3_stmt *ust, *est = NULL;
	if (sqlite3_prepare_v2(db, UNIT_INSERT, -1, &ust, NULL) != SQLITE_OK ||
	    (events && sqlite3_prepare_v2(db, EVENT_INSERT, -1, &est, NULL) != SQLITE_OK))
		die(db, "prepare");
	char today[16], now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	struct buf data = {0};
	char fold[4 * 256];
	run(db, "BEGIN", "begin");
	if (events) {
		char change[256];
		snprintf(change, sizeof change,
			 "INSERT INTO changes (id, kind, effective, at, actor, recorded)"
			 " VALUES (1, 'import', '%s', '%s', 'cli:root', '%s')",
			 today, now, today);
		run(db, change, "writing the change");
	}
	for (size_t i = 0; i < n; i++) {
		const struct rec *r = order[i];
		const struct field *from = r->f[K_FROM].n ? &r->f[K_FROM] : r->f[K_DDATE].n ? &r->f[K_DDATE] : NULL;
		struct field today_f = {today, strlen(today)}, key = {r->key, strlen(r->key)};
		struct field fv[K_N];
		memcpy(fv, r->f, sizeof fv);
		fv[K_FROM] = from ? *from : today_f;
		int level = level_of(&fv[K_CODE]);
		char name[4 * 256];
		size_t nn = fv[K_NAME].n < sizeof name - 1 ? fv[K_NAME].n : sizeof name - 1;
		memcpy(name, fv[K_NAME].p, nn);
		name[nn] = '\0';
		lt_text_fold(name, fold, sizeof fold);

		bind(ust, 1, &fv[K_CODE]);
		bind(ust, 2, &key);
		bind(ust, 3, &fv[K_PARENT]);
		sqlite3_bind_int(ust, 4, level);
		bind(ust, 5, &fv[K_NAME]);
		sqlite3_bind_text(ust, 6, fold, -1, SQLITE_STATIC);
		for (int k = K_ADDRESS; k <= K_WEBSITE; k++)
			bind(ust, 7 + (k - K_ADDRESS), &fv[k]);
		bind(ust, 12, &fv[K_FROM]);
		bind(ust, 13, &fv[K_DNUM]);
		bind(ust, 14, &fv[K_DDATE]);
		bind(ust, 15, &fv[K_DISSUER]);
		bind(ust, 16, &today_f);
		if (sqlite3_step(ust) != SQLITE_DONE)
			die(db, "inserting a unit");
		sqlite3_reset(ust);
		if (events) {
			event_data(&data, fv, level, today);
			sqlite3_bind_int64(est, 1, (sqlite3_int64)i + 1);
			bind(est, 2, &fv[K_CODE]);
			bind(est, 3, &fv[K_PARENT]);
			bind(est, 4, &key);
			sqlite3_bind_text(est, 5, now, -1, SQLITE_STATIC);
			bind(est, 6, &fv[K_FROM]);
			sqlite3_bind_text(est, 7, data.p, (int)data.n, SQLITE_STATIC);
			if (sqlite3_step(est) != SQLITE_DONE)
				die(db, "appending an event");
			sqlite3_reset(est);
		}
	}
	sqlite3_finalize(ust);
	sqlite3_finalize(est);
	phase("rows");
	run(db, UNITS_INDEXES, "indexing the units");
	phase("indexes");
	run(db, UNITS_FTS, "indexing the names");
	phase("full-text");
	if (events) {
		run(db, EVENTS_INDEXES, "indexing the event log");
		phase("event indexes");
	}
	run(db, "COMMIT", "commit");
	phase("commit");
	if (sqlite3_close(db) != SQLITE_OK)
		die(db, "close");
	free(data.p);
	free(order);
	free(recs);
	free(text);
	printf("%zu\n", n);
	return 0;
}
