/* The disk's own durable-commit ceiling, the exchange benchmark's reference:
 *
 *   commit_ceiling sqlite DB SECONDS   single-row INSERTs, each its own
 *                                      transaction, in SQLite WAL mode with
 *                                      synchronous=FULL (what the hub's store
 *                                      uses): commits per second
 *   commit_ceiling body DIR SECONDS    what the hub does per package before
 *                                      its rows (upload.c place_body): write
 *                                      a 100 KB spool file, fsync it, rename
 *                                      it into DIR/xx/ (xx one of 256), fsync
 *                                      DIR/xx and DIR: files per second
 *
 * One thread, one after the other, on the filesystem of DB/DIR. Prints
 * "<count> <seconds>". */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_sqlite(const char *path, double seconds)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "commit_ceiling: cannot open %s\n", path);
		return 1;
	}
	char *msg = NULL;
	if (sqlite3_exec(db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, at TEXT, v TEXT)",
			 NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "commit_ceiling: %s\n", msg ? msg : "setup failed");
		return 1;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT INTO t(at, v) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ'), ?)", -1, &st,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "commit_ceiling: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	static const char row[] = "pending 000.00.00.G22 -> 000.00.00.H17 0123456789abcdef0123456789abcdef";
	long n = 0;
	double t0 = now(), t = t0;
	while (t - t0 < seconds) {
		sqlite3_bind_text(st, 1, row, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "commit_ceiling: %s\n", sqlite3_errmsg(db));
			return 1;
		}
		sqlite3_reset(st);
		n++;
		t = now();
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("%ld %.6f\n", n, t - t0);
	return 0;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int run_body(const char *dir, double seconds)
{
	static char buf[102400];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)('A' + i % 26);
	char tmp[4096], sub[4096], final[4200];
	for (int i = 0; i < 256; i++) {
		snprintf(sub, sizeof sub, "%s/%02x", dir, i);
		mkdir(sub, 0750);
	}
	snprintf(tmp, sizeof tmp, "%s/spool.tmp", dir);
	long n = 0;
	double t0 = now(), t = t0;
	while (t - t0 < seconds) {
		snprintf(sub, sizeof sub, "%s/%02lx", dir, (n * 167) % 256);
		snprintf(final, sizeof final, "%s/%ld.xml", sub, n);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || fsync(fd) != 0 ||
		    rename(tmp, final) != 0 || fsync_path(sub) != 0 || fsync_path(dir) != 0) {
			fprintf(stderr, "commit_ceiling: cannot write %s\n", final);
			return 1;
		}
		close(fd);
		n++;
		t = now();
	}
	printf("%ld %.6f\n", n, t - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[1], "sqlite") != 0 && strcmp(argv[1], "body") != 0)) {
		fprintf(stderr, "usage: commit_ceiling sqlite DB SECONDS | body DIR SECONDS\n");
		return 2;
	}
	double seconds = atof(argv[3]);
	return strcmp(argv[1], "sqlite") == 0 ? run_sqlite(argv[2], seconds) : run_body(argv[2], seconds);
}
