/* The import benchmark's reference: SQLite's own bulk insert of the same CSV
 * rows, as plainly as SQLite allows. Reads FILE.csv (RFC 4180: quoted fields,
 * doubled quotes, CR LF or LF), creates one table with the file's columns
 * (the first one, code, is the primary key), and inserts every row with one
 * prepared statement in one transaction, in WAL mode with synchronous=FULL,
 * like the registry's store. Prints the number of rows on stdout.
 *
 *   cc -O2 -o ref_import bench/ref_import.c -lsqlite3
 *   ref_import FILE.csv DB
 *
 * No validation, no second table, no index besides the primary key, no
 * full-text index: this is the floor that lienthong import is compared with. */
#define REF_NAME "ref_import"
#include "ref_csv.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ref_import FILE.csv DB\n");
		return 2;
	}
	size_t len, pos = 0;
	char *buf = slurp(argv[1], &len);
	struct field hdr[MAX_COLS], f[MAX_COLS];
	int ncols = next_record(buf, len, &pos, hdr);
	if (ncols < 1) {
		fprintf(stderr, "ref_import: %s has no header\n", argv[1]);
		return 2;
	}

	sqlite3 *db;
	if (sqlite3_open(argv[2], &db) != SQLITE_OK)
		die(db, "open");
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK)
		die(db, "pragmas");

	char create[4096], insert[4096];
	int cn = snprintf(create, sizeof create, "CREATE TABLE units (");
	int in = snprintf(insert, sizeof insert, "INSERT INTO units VALUES (");
	for (int c = 0; c < ncols; c++) {
		cn += snprintf(create + cn, sizeof create - (size_t)cn, "%s\"%.*s\" TEXT NOT NULL%s", c ? ", " : "",
			       (int)hdr[c].n, hdr[c].p, c == 0 ? " PRIMARY KEY" : "");
		in += snprintf(insert + in, sizeof insert - (size_t)in, "%s?", c ? ", " : "");
	}
	snprintf(create + cn, sizeof create - (size_t)cn, ")");
	snprintf(insert + in, sizeof insert - (size_t)in, ")");
	if (sqlite3_exec(db, create, NULL, NULL, NULL) != SQLITE_OK)
		die(db, "create table");

	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, insert, -1, &st, NULL) != SQLITE_OK)
		die(db, "prepare");
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		die(db, "begin");
	long rows = 0;
	int nf;
	while ((nf = next_record(buf, len, &pos, f)) > 0) {
		if (nf == 1 && f[0].n == 0)
			continue; /* blank line */
		for (int c = 0; c < ncols; c++)
			sqlite3_bind_text(st, c + 1, c < nf ? f[c].p : "", c < nf ? (int)f[c].n : 0, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die(db, "insert");
		sqlite3_reset(st);
		rows++;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die(db, "commit");
	if (sqlite3_close(db) != SQLITE_OK)
		die(db, "close");
	free(buf);
	printf("%ld\n", rows);
	return 0;
}
