/* The SQLite store: WAL, synchronous=FULL, foreign keys, a busy timeout and
 * statements prepared once per connection. This file owns the connections
 * and transactions; the table files (sqlite_units.c, sqlite_access.c) own
 * their SQL. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "sqlite_store.h"
#include "lienthong/text.h"

/* The store whose write transaction this thread holds, so its reads go to
 * the writer connection and see their own writes. */
static _Thread_local struct lt__sq_store *tl_txn;

int lt__sq_fail(struct lt__sq_conn *c, struct lt_err *err, const char *what)
{
	int code = sqlite3_extended_errcode(c->db) & 0xff;
	int status = code == SQLITE_BUSY || code == SQLITE_LOCKED ? LT_ENOTREADY : LT_EIO;
	if (code == SQLITE_CONSTRAINT)
		status = LT_ECONFLICT;
	return lt_err_set(err, status, "database error while %s: %s", what, sqlite3_errmsg(c->db));
}

sqlite3_stmt *lt__sq_stmt(struct lt__sq_conn *c, const char *sql, struct lt_err *err)
{
	size_t h = ((uintptr_t)sql >> 3) % LT__SQ_CACHE;
	for (size_t i = 0; i < LT__SQ_CACHE; i++) {
		size_t k = (h + i) % LT__SQ_CACHE;
		if (c->cache[k].sql == sql) {
			sqlite3_reset(c->cache[k].stmt);
			sqlite3_clear_bindings(c->cache[k].stmt);
			return c->cache[k].stmt;
		}
		if (!c->cache[k].sql) {
			sqlite3_stmt *s;
			if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
				lt__sq_fail(c, err, "preparing a statement");
				return NULL;
			}
			c->cache[k].sql = sql;
			c->cache[k].stmt = s;
			return s;
		}
	}
	lt_err_set(err, LT_EIO, "internal error: statement cache full");
	return NULL;
}

sqlite3_stmt *lt__sq_use(struct lt__sq_store *st, bool write, const char *sql, struct lt__sq_conn **cp,
			 struct lt_err *err)
{
	*cp = lt__sq_acquire(st, write, err);
	if (!*cp)
		return NULL;
	sqlite3_stmt *q = lt__sq_stmt(*cp, sql, err);
	if (!q) {
		lt__sq_release(st, *cp);
		*cp = NULL;
	}
	return q;
}

void lt__sq_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* Cut at a character boundary: a long Vietnamese subject must still give
 * valid UTF-8, or every JSON reply that carries it fails. */
void lt__sq_col_copy(sqlite3_stmt *s, int i, char *dst, size_t n)
{
	const unsigned char *v = sqlite3_column_text(s, i);
	lt_text_format(dst, n, "%s", v ? (const char *)v : "");
}

int lt__sq_exec(struct lt__sq_conn *c, sqlite3_stmt *s, struct lt_err *err, const char *what)
{
	int ret = sqlite3_step(s) == SQLITE_DONE ? LT_OK : lt__sq_fail(c, err, what);
	sqlite3_reset(s);
	return ret;
}

static int fail_reading(struct lt__sq_conn *cn, struct lt_err *err, const char *what)
{
	char doing[96];
	snprintf(doing, sizeof doing, "reading %s", what);
	return lt__sq_fail(cn, err, doing);
}

int lt__sq_rows(struct lt__sq_store *st, struct lt__sq_conn *cn, sqlite3_stmt *q, lt__sq_row_fn row, void *ctx,
		struct lt_err *err, const char *what)
{
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if ((ret = row(ctx, q)) != 0)
			break;
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = fail_reading(cn, err, what);
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

int lt__sq_one(struct lt__sq_store *st, struct lt__sq_conn *cn, sqlite3_stmt *q, lt__sq_row_fn row, void *ctx,
	       struct lt_err *err, const char *what)
{
	int rc = sqlite3_step(q), ret = LT_ENOTFOUND;
	if (rc == SQLITE_ROW) {
		ret = row(ctx, q);
	} else if (rc != SQLITE_DONE) {
		ret = fail_reading(cn, err, what);
	}
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static void conn_close(struct lt__sq_conn *c)
{
	for (int i = 0; i < LT__SQ_CACHE; i++)
		if (c->cache[i].stmt)
			sqlite3_finalize(c->cache[i].stmt);
	memset(c->cache, 0, sizeof c->cache);
	sqlite3_close(c->db);
	c->db = NULL;
}

/* The database holds token hashes and the sealed VXP secrets. SQLite would
 * create it 0644 less the umask, and gives its -wal and -shm the database
 * file's mode: so the file is created here first, 0600 whatever the umask,
 * and the others follow it. An existing file keeps its mode. */
static int create_private(const char *path, struct lt_err *err)
{
	if (!*path || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return LT_OK;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == EEXIST
			       ? LT_OK
			       : lt_err_set(err, LT_EIO, "cannot create database %s: %s", path, strerror(errno));
	/* open() applies the umask to 0600 too; 0600 is what it must be. */
	int rc = fchmod(fd, 0600) == 0
			 ? LT_OK
			 : lt_err_set(err, LT_EIO, "cannot make database %s private: %s", path, strerror(errno));
	close(fd);
	return rc;
}

static int conn_open(struct lt__sq_conn *c, const char *path, bool readonly, struct lt_err *err)
{
	int made = readonly ? LT_OK : create_private(path, err);
	if (made)
		return made;
	int flags =
		(readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
		lt_err_set(err, LT_EIO, "cannot open database %s: %s", path,
			   c->db ? sqlite3_errmsg(c->db) : "out of memory");
		conn_close(c);
		return LT_EIO;
	}
	sqlite3_busy_timeout(c->db, 5000);
	sqlite3_extended_result_codes(c->db, 1);
	/* Readers map the file: page reads become memory reads. */
	char pragmas[256];
	if (readonly)
		snprintf(pragmas, sizeof pragmas, "PRAGMA foreign_keys=ON; PRAGMA mmap_size=268435456;");
	else
		snprintf(pragmas, sizeof pragmas,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
			 "PRAGMA cache_size=-%d;",
			 lt__store_cache_mib() * 1024);
	char *msg = NULL;
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		lt_err_set(err, LT_EIO, "cannot set up database %s: %s", path, msg ? msg : "");
		sqlite3_free(msg);
		conn_close(c);
		return LT_EIO;
	}
	return LT_OK;
}

/* Reader connections this thread holds. A callback that reads while its
 * caller's statement is still stepping (lineage inside a list, say) holds
 * two; if every thread did that with the pool empty, all would wait for
 * each other. So only a thread holding none waits: a nested read takes a
 * free reader or, when none is left, a connection of its own for the call. */
static _Thread_local int tl_readers;

static bool pooled(struct lt__sq_store *st, struct lt__sq_conn *c)
{
	return c >= st->readers && c < st->readers + LT__SQ_READERS;
}

struct lt__sq_conn *lt__sq_acquire(struct lt__sq_store *st, bool write, struct lt_err *err)
{
	if (write || tl_txn == st || st->n_readers == 0) {
		pthread_mutex_lock(&st->wlock);
		return &st->writer;
	}
	pthread_mutex_lock(&st->plock);
	for (;;) {
		for (int i = 0; i < st->n_readers; i++) {
			if (st->reader_busy[i])
				continue;
			st->reader_busy[i] = true;
			pthread_mutex_unlock(&st->plock);
			struct lt__sq_conn *c = &st->readers[i];
			if (!c->db && conn_open(c, st->path, true, err) != LT_OK) {
				pthread_mutex_lock(&st->plock);
				st->reader_busy[i] = false;
				pthread_cond_signal(&st->pcond);
				pthread_mutex_unlock(&st->plock);
				return NULL;
			}
			tl_readers++;
			return c;
		}
		if (tl_readers > 0)
			break;
		pthread_cond_wait(&st->pcond, &st->plock);
	}
	pthread_mutex_unlock(&st->plock);
	struct lt__sq_conn *c = calloc(1, sizeof *c); /* freed by lt__sq_release */
	if (!c) {
		lt_err_set(err, LT_ENOMEM, "out of memory");
		return NULL;
	}
	if (conn_open(c, st->path, true, err) != LT_OK) {
		free(c);
		return NULL;
	}
	tl_readers++;
	return c;
}

void lt__sq_release(struct lt__sq_store *st, struct lt__sq_conn *c)
{
	if (!c)
		return;
	if (c == &st->writer) {
		pthread_mutex_unlock(&st->wlock);
		return;
	}
	tl_readers--;
	if (!pooled(st, c)) {
		conn_close(c);
		free(c);
		return;
	}
	/* A read statement left mid-way would pin an old snapshot. */
	for (int i = 0; i < LT__SQ_CACHE; i++)
		if (c->cache[i].stmt)
			sqlite3_reset(c->cache[i].stmt);
	pthread_mutex_lock(&st->plock);
	st->reader_busy[c - st->readers] = false;
	pthread_cond_signal(&st->pcond);
	pthread_mutex_unlock(&st->plock);
}

static void sq_close(struct lt_store *s)
{
	struct lt__sq_store *st = lt__sq(s);
	for (int i = 0; i < LT__SQ_READERS; i++)
		if (st->readers[i].db)
			conn_close(&st->readers[i]);
	sqlite3_finalize(st->watch_q);
	for (int i = 0; i < 2; i++)
		sqlite3_finalize(st->part_q[i]);
	if (st->writer.db)
		conn_close(&st->writer);
	pthread_mutex_destroy(&st->watch_mu);
	pthread_mutex_destroy(&st->wlock);
	pthread_mutex_destroy(&st->plock);
	pthread_cond_destroy(&st->pcond);
	free(st->path);
	free(st);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bumps the generation when another process committed since the last
 * look (watch_q), or when that cannot be told. Under wlock, outside any
 * transaction or at the start of one; nothing for ":memory:", which no
 * other process can open. */
static void writer_watch(struct lt__sq_store *st)
{
	if (st->n_readers == 0)
		return;
	if (!st->watch_q &&
	    sqlite3_prepare_v2(st->writer.db, "PRAGMA data_version", -1, &st->watch_q, NULL) != SQLITE_OK)
		st->watch_q = NULL;
	if (st->watch_q && sqlite3_step(st->watch_q) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st->watch_q, 0);
		if (st->watch_version >= 0 && v != st->watch_version)
			atomic_fetch_add(&st->gen, 1);
		st->watch_version = v;
	} else {
		atomic_fetch_add(&st->gen, 1); /* cannot tell: assume a change */
	}
	if (st->watch_q)
		sqlite3_reset(st->watch_q);
	atomic_store(&st->watch_at_ms, now_ms());
}

static int sq_begin(struct lt_store *s, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	pthread_mutex_lock(&st->wlock);
	if (st->in_txn) {
		/* The lock is recursive, so only the thread holding the
		 * transaction gets here: a change run inside a caller's
		 * transaction (a request approved together with the change it
		 * asked for) becomes a savepoint, committed or rolled back by
		 * the outermost commit. */
		char sql[48];
		snprintf(sql, sizeof sql, "SAVEPOINT lt_nest%d", st->nested);
		if (st->nested >= 8 || sqlite3_exec(st->writer.db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			pthread_mutex_unlock(&st->wlock);
			return lt_err_set(err, LT_EIO, "internal error: store transactions nested too deep");
		}
		st->nested++;
		return LT_OK;
	}
	if (sqlite3_exec(st->writer.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = lt__sq_fail(&st->writer, err, "starting a transaction");
		pthread_mutex_unlock(&st->wlock);
		return rc;
	}
	st->in_txn = 1;
	tl_txn = st;
	writer_watch(st);
	atomic_store(&st->txn_looked, true);
	return LT_OK;
}

void lt__sq_registry_changed(struct lt__sq_store *st)
{
	if (st->in_txn)
		st->gen_dirty = true;
	else
		atomic_fetch_add(&st->gen, 1);
}

static void txn_end(struct lt__sq_store *st)
{
	lt__sq_bulk_over();
	atomic_store(&st->txn_looked, false);
	st->gen_dirty = false;
	st->in_txn = 0;
	tl_txn = NULL;
	pthread_mutex_unlock(&st->wlock);
}

static int sq_commit(struct lt_store *s, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	int rc = LT_OK;
	if (st->nested > 0) {
		char sql[48];
		snprintf(sql, sizeof sql, "RELEASE lt_nest%d", --st->nested);
		if (sqlite3_exec(st->writer.db, sql, NULL, NULL, NULL) != SQLITE_OK)
			rc = lt__sq_fail(&st->writer, err, "committing a nested change");
		pthread_mutex_unlock(&st->wlock);
		return rc;
	}
	if (sqlite3_exec(st->writer.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = lt__sq_fail(&st->writer, err, "committing");
		sqlite3_exec(st->writer.db, "ROLLBACK", NULL, NULL, NULL);
	} else if (st->gen_dirty) {
		/* After the commit, never before: a reader that saw the old
		 * generation must not have read the new rows under it. */
		atomic_fetch_add(&st->gen, 1);
	}
	txn_end(st);
	return rc;
}

static void sq_rollback(struct lt_store *s)
{
	struct lt__sq_store *st = lt__sq(s);
	if (!st->in_txn || tl_txn != st)
		return;
	if (st->nested > 0) {
		char sql[80];
		st->nested--;
		snprintf(sql, sizeof sql, "ROLLBACK TO lt_nest%d; RELEASE lt_nest%d", st->nested, st->nested);
		sqlite3_exec(st->writer.db, sql, NULL, NULL, NULL);
		pthread_mutex_unlock(&st->wlock);
		return;
	}
	sqlite3_exec(st->writer.db, "ROLLBACK", NULL, NULL, NULL);
	txn_end(st);
}

static int sq_ping(struct lt_store *s, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *c = lt__sq_acquire(st, false, err);
	if (!c)
		return LT_ENOTREADY;
	static const char sql[] = "SELECT max(version) FROM schema_version";
	sqlite3_stmt *q = lt__sq_stmt(c, sql, err);
	int ret = q && sqlite3_step(q) == SQLITE_ROW
			  ? LT_OK
			  : lt_err_set(err, LT_ENOTREADY, "database does not answer: %s", sqlite3_errmsg(c->db));
	if (q)
		sqlite3_reset(q);
	lt__sq_release(st, c);
	return ret;
}

static int integrity_row(void *ctx, int ncol, char **vals, char **names)
{
	(void)ncol;
	(void)names;
	char *res = ctx;
	if (!res[0])
		snprintf(res, 256, "%s", vals[0] ? vals[0] : "");
	return 0;
}

static int sq_integrity_check(struct lt_store *s, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	char res[256] = "";
	struct lt__sq_conn *c = lt__sq_acquire(st, true, err);
	int rc = sqlite3_exec(c->db, "PRAGMA integrity_check", integrity_row, res, NULL);
	int ret = rc == SQLITE_OK ? LT_OK : lt__sq_fail(c, err, "checking integrity");
	lt__sq_release(st, c);
	if (ret == LT_OK && strcmp(res, "ok") != 0)
		return lt_err_set(err, LT_EIO, "database integrity check failed: %s", res);
	return ret;
}

/* Writes by this process bump the generation as they commit. Writes by
 * another process (a CLI beside the daemon) are noticed through the
 * writer's data_version (writer_watch): at the start of every transaction,
 * and at most every LT__SQ_WATCH_MS by whichever caller finds it due while
 * the writer is free. While another thread holds the writer, no other
 * process can commit until it is done (its transaction holds SQLite's
 * write lock, and its begin looked), and the next due caller looks. So
 * they show within that time; this process's own commits, which a separate
 * connection's data_version would count too, bump nothing. */
#define LT__SQ_WATCH_MS 50

/* Looks (writer_watch) when the writer is free; false when another thread
 * holds it. */
static bool watch_if_free(struct lt__sq_store *st)
{
	if (pthread_mutex_trylock(&st->wlock) != 0)
		return false;
	if (!st->in_txn) /* this thread's own transaction looked when it began */
		writer_watch(st);
	pthread_mutex_unlock(&st->wlock);
	return true;
}

static uint64_t sq_generation(struct lt_store *s)
{
	struct lt__sq_store *st = lt__sq(s);
	if (st->n_readers > 0 && now_ms() - atomic_load(&st->watch_at_ms) >= LT__SQ_WATCH_MS)
		watch_if_free(st);
	return atomic_load(&st->gen);
}

static uint64_t sq_generation_now(struct lt_store *s)
{
	struct lt__sq_store *st = lt__sq(s);
	if (st->n_readers == 0)
		return atomic_load(&st->gen); /* ":memory:": no other process */
	pthread_mutex_lock(&st->watch_mu);
	if (!watch_if_free(st) && !atomic_load(&st->txn_looked)) {
		/* Held outside a transaction that looked (beginning one, or one
		 * statement of its own): cannot tell. */
		atomic_fetch_add(&st->gen, 1);
	}
	pthread_mutex_unlock(&st->watch_mu);
	return atomic_load(&st->gen);
}

static struct lt_store_ops sqlite_ops;
static pthread_once_t sqlite_ops_once = PTHREAD_ONCE_INIT;

static void sqlite_ops_fill(void)
{
	/* Memory statistics take a global mutex on every allocation. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite_ops.name = "sqlite";
	sqlite_ops.close = sq_close;
	sqlite_ops.begin = sq_begin;
	sqlite_ops.commit = sq_commit;
	sqlite_ops.rollback = sq_rollback;
	sqlite_ops.ping = sq_ping;
	sqlite_ops.generation = sq_generation;
	sqlite_ops.generation_now = sq_generation_now;
	sqlite_ops.notify_bound_ms = LT__SQ_WATCH_MS;
	sqlite_ops.integrity_check = sq_integrity_check;
	lt__sq_units_ops(&sqlite_ops);
	lt__sq_access_ops(&sqlite_ops);
	lt__sq_exchange_ops(&sqlite_ops);
	lt__sq_relay_ops(&sqlite_ops);
	lt__sq_cert_ops(&sqlite_ops);
	lt__sq_plan_ops(&sqlite_ops);
	sqlite_ops.snapshot = lt__sq_snapshot;
	sqlite_ops.requests = &lt__sq_request_ops;
	sqlite_ops.catalogue = &lt__sq_catalogue_ops;
	sqlite_ops.campaigns = &lt__sq_campaign_ops;
}

int lt__store_sqlite_open(struct lt_store **out, const char *path, struct lt_err *err)
{
	pthread_once(&sqlite_ops_once, sqlite_ops_fill);
	struct lt__sq_store *st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		free(st);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	st->base.ops = &sqlite_ops;
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->wlock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&st->plock, NULL);
	pthread_cond_init(&st->pcond, NULL);
	st->watch_version = -1;
	pthread_mutex_init(&st->watch_mu, NULL);
	/* An in-memory or temporary database is private to one connection. */
	st->n_readers =
		(!*path || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) ? 0 : LT__SQ_READERS;
	if (conn_open(&st->writer, path, false, err) != LT_OK || lt__sqlite_migrate(st->writer.db, err) != LT_OK)
		goto fail;
	*out = &st->base;
	return LT_OK;
fail:
	sq_close(&st->base);
	return err ? err->status : LT_EIO;
}
