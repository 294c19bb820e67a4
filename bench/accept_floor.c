/* The floor of durable acceptance, the reference of exchange_accept_vs_floor:
 * the least work that accepting the exchange benchmark's packages durably
 * needs, at the same concurrency, without HTTP or parsing.
 *
 *   accept_floor DIR LANES FANOUT FILE...
 *
 * LANES threads share the FILEs (each a package, read into memory first)
 * as the benchmark's senders do. Per package a lane writes the bytes to a
 * spool file under DIR/tmp, fsyncs it, renames it into DIR/packages/xx/
 * (xx one of 256) and fsyncs that directory (and DIR/packages the first
 * time), then queues one document row and FANOUT delivery rows and waits.
 * One committer thread writes whatever is queued in one transaction of a
 * SQLite database in WAL mode with synchronous=FULL (what the hub's store
 * uses) and wakes the lanes it carried: the group commit. Prints
 * "<packages> <seconds> <commits>". */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct job {
	int n; /* the package's number */
	bool done;
	struct job *next;
};

static const char *dir;
static int fanout, nfiles;
static char **data;
static size_t *sizes;
static int next_file;
static bool synced_sub[256], synced_top;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, finished = PTHREAD_COND_INITIALIZER;
static struct job *queue, **tail = &queue;
static bool stopping;
static sqlite3 *db;
static long commits;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "accept_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : strerror(errno));
	exit(1);
}

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static void place(int n)
{
	char tmp[4096], sub[4096], final[4200];
	snprintf(tmp, sizeof tmp, "%s/tmp/upload-XXXXXX", dir);
	int fd = mkstemp(tmp);
	if (fd < 0)
		die("mkstemp");
	const char *p = data[n % nfiles];
	size_t left = sizes[n % nfiles];
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w <= 0)
			die("write");
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0)
		die("fsync");
	close(fd);
	unsigned x = (unsigned)n * 2654435761u >> 24;
	snprintf(sub, sizeof sub, "%s/packages/%02x", dir, x);
	snprintf(final, sizeof final, "%s/%08d.xml", sub, n);
	if (rename(tmp, final) != 0 || sync_dir(sub) != 0)
		die("rename");
	pthread_mutex_lock(&mu);
	bool first = !synced_sub[x] || !synced_top;
	synced_sub[x] = synced_top = true;
	pthread_mutex_unlock(&mu);
	if (first) {
		snprintf(sub, sizeof sub, "%s/packages", dir);
		if (sync_dir(sub) != 0)
			die("fsync packages");
	}
}

static void *lane(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		int n = next_file < nfiles ? next_file++ : -1;
		pthread_mutex_unlock(&mu);
		if (n < 0)
			return NULL;
		place(n);
		struct job j = {n, false, NULL};
		pthread_mutex_lock(&mu);
		*tail = &j;
		tail = &j.next;
		pthread_cond_signal(&wake);
		while (!j.done)
			pthread_cond_wait(&finished, &mu);
		pthread_mutex_unlock(&mu);
	}
}

static void *committer(void *arg)
{
	(void)arg;
	sqlite3_stmt *doc, *del;
	if (sqlite3_prepare_v2(db, "INSERT INTO docs (id, size) VALUES (?1, ?2)", -1, &doc, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO deliveries (doc, recipient, state) VALUES (?1, ?2, 'pending')", -1,
			       &del, NULL) != SQLITE_OK)
		die("prepare");
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!queue && !stopping)
			pthread_cond_wait(&wake, &mu);
		if (!queue)
			break;
		pthread_mutex_unlock(&mu);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			die("begin");
		pthread_mutex_lock(&mu);
		struct job *batch = queue;
		queue = NULL;
		tail = &queue;
		pthread_mutex_unlock(&mu);
		for (struct job *j = batch; j; j = j->next) {
			sqlite3_bind_int(doc, 1, j->n);
			sqlite3_bind_int64(doc, 2, (sqlite3_int64)sizes[j->n % nfiles]);
			if (sqlite3_step(doc) != SQLITE_DONE)
				die("insert doc");
			sqlite3_reset(doc);
			for (int r = 0; r < fanout; r++) {
				sqlite3_bind_int(del, 1, j->n);
				sqlite3_bind_int(del, 2, r);
				if (sqlite3_step(del) != SQLITE_DONE)
					die("insert delivery");
				sqlite3_reset(del);
			}
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("commit");
		pthread_mutex_lock(&mu);
		commits++;
		for (struct job *j = batch; j; j = j->next)
			j->done = true;
		pthread_cond_broadcast(&finished);
	}
	pthread_mutex_unlock(&mu);
	sqlite3_finalize(doc);
	sqlite3_finalize(del);
	return NULL;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)len);
	*n = p ? fread(p, 1, (size_t)len, f) : 0;
	fclose(f);
	return p;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: accept_floor DIR LANES FANOUT FILE...\n");
		return 2;
	}
	dir = argv[1];
	int lanes = atoi(argv[2]);
	fanout = atoi(argv[3]);
	nfiles = argc - 4;
	data = calloc((size_t)nfiles, sizeof *data);
	sizes = calloc((size_t)nfiles, sizeof *sizes);
	for (int i = 0; i < nfiles; i++)
		if (!(data[i] = slurp(argv[i + 4], &sizes[i])))
			die(argv[i + 4]);
	char path[4096];
	snprintf(path, sizeof path, "%s/tmp", dir);
	mkdir(path, 0750);
	snprintf(path, sizeof path, "%s/packages", dir);
	mkdir(path, 0750);
	for (int x = 0; x < 256; x++) {
		snprintf(path, sizeof path, "%s/packages/%02x", dir, x);
		mkdir(path, 0750);
	}
	snprintf(path, sizeof path, "%s/floor.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			 "CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, size INTEGER NOT NULL);"
			 "CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, doc INTEGER NOT NULL, "
			 "recipient INTEGER NOT NULL, state TEXT NOT NULL);"
			 "CREATE INDEX IF NOT EXISTS deliveries_doc ON deliveries(doc);",
			 NULL, NULL, NULL) != SQLITE_OK)
		die("open");
	pthread_t c, *t = calloc((size_t)lanes, sizeof *t);
	double t0 = now();
	pthread_create(&c, NULL, committer, NULL);
	for (int i = 0; i < lanes; i++)
		pthread_create(&t[i], NULL, lane, NULL);
	for (int i = 0; i < lanes; i++)
		pthread_join(t[i], NULL);
	double dt = now() - t0;
	pthread_mutex_lock(&mu);
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	pthread_join(c, NULL);
	sqlite3_close(db);
	printf("%d %.4f %ld\n", nfiles, dt, commits);
	return 0;
}
