/* The PostgreSQL store: a pool of libpq connections, statements prepared
 * once per connection, transactions, the registry's generation through
 * LISTEN/NOTIFY. The table files own their SQL. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../request_ops.h"
#include "lienthong/text.h"
#include "pg_store.h"

/* The store whose transaction this thread holds, and its connection. */
static _Thread_local struct lt__pg_store *tl_store;
static _Thread_local struct lt__pg_conn *tl_conn;

/* Every write transaction takes this lock first, as SQLite's BEGIN
 * IMMEDIATE takes its one write lock: the core's rules were written for one
 * writer at a time (read the numbers used, then issue; find the package,
 * then add it) and stay true across nodes. A transaction-scoped advisory
 * lock, released by COMMIT or ROLLBACK, and so by a connection that dies. */
#define LT__PG_WRITE_LOCK "SELECT pg_advisory_xact_lock(7305940117)"

static int fail(PGconn *pg, const PGresult *r, struct lt_err *err, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(pg);
	int status = LT_EIO;
	if (PQstatus(pg) != CONNECTION_OK || (state && strncmp(state, "08", 2) == 0) ||
	    (state && (strcmp(state, "57P01") == 0 || strcmp(state, "57P03") == 0)))
		status = LT_ENOTREADY; /* the server went away or is starting: worth a retry */
	else if (state && strncmp(state, "23", 2) == 0)
		status = LT_ECONFLICT;
	else if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
		status = LT_ENOTREADY;
	char clean[400];
	lt_text_format(clean, sizeof clean, "%s", msg && *msg ? msg : "no answer");
	size_t n = strlen(clean);
	while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
		clean[--n] = '\0';
	return lt_err_set(err, status, "database error while %s: %s", what, clean);
}

void lt__pg_copy(const PGresult *r, int row, int col, char *dst, size_t n)
{
	lt_text_format(dst, n, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

int64_t lt__pg_i64(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

const char *lt__pg_itoa(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%lld", (long long)v);
	return buf;
}

int lt__pg_changed(const PGresult *r)
{
	const char *t = PQcmdTuples((PGresult *)r);
	return t && *t ? atoi(t) : 0;
}

static int check(PGconn *pg, PGresult *r, PGresult **res, struct lt_err *err, const char *what)
{
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		int rc = fail(pg, r, err, what);
		PQclear(r);
		return rc;
	}
	if (res)
		*res = r;
	else
		PQclear(r);
	return LT_OK;
}

/* The name of sql's prepared statement on c (name: 16 bytes), preparing it
 * the first time. */
static int prepared(struct lt__pg_conn *c, const char *sql, int n, char *name, struct lt_err *err, const char *what)
{
	int k = 0;
	while (k < c->n_prepared && c->prepared[k] != sql)
		k++;
	snprintf(name, 16, "lt%d", k);
	if (k == c->n_prepared) {
		if (k == LT__PG_STMTS)
			return lt_err_set(err, LT_EIO, "internal error: statement cache full");
		PGresult *p = PQprepare(c->pg, name, sql, n, NULL);
		int rc = check(c->pg, p, NULL, err, what);
		if (rc)
			return rc;
		c->prepared[c->n_prepared++] = sql;
	}
	return LT_OK;
}

int lt__pg_q(struct lt__pg_conn *c, const char *sql, int n, const char *const *v, PGresult **res, struct lt_err *err,
	     const char *what)
{
	char name[16];
	int rc = prepared(c, sql, n, name, err, what);
	return rc ? rc : check(c->pg, PQexecPrepared(c->pg, name, n, v, NULL, NULL, 0), res, err, what);
}

int lt__pg_q_text(struct lt__pg_conn *c, const char *sql, int n, const char *const *v, PGresult **res,
		  struct lt_err *err, const char *what)
{
	/* Without parameters, the simple protocol: several statements at once. */
	PGresult *r = n ? PQexecParams(c->pg, sql, n, NULL, v, NULL, NULL, 0) : PQexec(c->pg, sql);
	return check(c->pg, r, res, err, what);
}

static int simple(struct lt__pg_conn *c, const char *sql, struct lt_err *err, const char *what)
{
	return check(c->pg, PQexec(c->pg, sql), NULL, err, what);
}

/* The server's notices ("already exists, skipping") are not the user's
 * business; errors come back with their statement. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A new connection's session: UTF-8 text both ways whatever the server's
 * default, and no statement left waiting on a lock for ever. */
/* A connection with bounds of its own: a server that does not answer (a
 * failover under way) fails the call in seconds, as LT_ENOTREADY, rather
 * than holding it for the TCP timeout; keepalives find a peer that vanished
 * under an idle or running statement. What the URI sets wins. */
static PGconn *connect_to(const char *uri)
{
	static const char *const keys[] = {"connect_timeout",  "keepalives_idle", "keepalives_interval",
					   "keepalives_count", "dbname",          NULL};
	const char *const values[] = {"5", "30", "10", "3", uri, NULL};
	return PQconnectdbParams(keys, values, 1);
}

static int conn_open(struct lt__pg_store *st, struct lt__pg_conn *c, struct lt_err *err)
{
	c->pg = connect_to(st->uri);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		char msg[300];
		lt_text_format(msg, sizeof msg, "%s", PQerrorMessage(c->pg));
		size_t n = strlen(msg);
		while (n && msg[n - 1] == '\n')
			msg[--n] = '\0';
		PQfinish(c->pg);
		c->pg = NULL;
		return lt_err_set(err, LT_ENOTREADY, "cannot connect to the PostgreSQL database: %s", msg);
	}
	c->n_prepared = 0;
	PQsetNoticeProcessor(c->pg, quiet, NULL);
	return simple(c, "SET client_encoding = 'UTF8'; SET lock_timeout = '30s'", err, "setting up a connection");
}

static void conn_close(struct lt__pg_conn *c)
{
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	c->n_prepared = 0;
}

/* An idle pooled connection has nothing to read (it listens to nothing):
 * what is there is the server's goodbye, a FATAL message before the end of
 * the stream, which may still be on its way. Either way the connection is
 * done with; a rare harmless message (a setting the server reports after a
 * reload) only costs a new connection. */
static bool idle_alive(PGconn *pg)
{
	struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
	return PQstatus(pg) == CONNECTION_OK && poll(&p, 1, 0) == 0;
}

struct lt__pg_conn *lt__pg_acquire(struct lt__pg_store *st, struct lt_err *err)
{
	if (tl_store == st)
		return tl_conn;
	pthread_mutex_lock(&st->mu);
	struct lt__pg_conn *c = NULL;
	for (;;) {
		/* An open idle connection first, then room for a new one. */
		for (int i = 0; i < LT__PG_POOL && !c; i++)
			if (!st->conns[i].busy && st->conns[i].pg)
				c = &st->conns[i];
		for (int i = 0; i < LT__PG_POOL && !c; i++)
			if (!st->conns[i].busy)
				c = &st->conns[i];
		if (c)
			break;
		pthread_cond_wait(&st->cv, &st->mu);
	}
	c->busy = true;
	pthread_mutex_unlock(&st->mu);
	/* A connection the server dropped (a restart, a failover) is opened
	 * afresh: the caller gets LT_ENOTREADY only if that fails too. The
	 * server's goodbye waits on the socket of an idle connection; reading
	 * it tells before a statement is lost on it. */
	if (c->pg && !idle_alive(c->pg))
		conn_close(c);
	if (!c->pg && conn_open(st, c, err) != LT_OK) {
		conn_close(c);
		lt__pg_release(st, c);
		return NULL;
	}
	return c;
}

void lt__pg_release(struct lt__pg_store *st, struct lt__pg_conn *c)
{
	if (!c || c == tl_conn)
		return;
	pthread_mutex_lock(&st->mu);
	c->busy = false;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

int lt__pg_run(struct lt__pg_store *st, const char *sql, int n, const char *const *v, PGresult **res,
	       struct lt_err *err, const char *what)
{
	struct lt__pg_conn *c = lt__pg_acquire(st, err);
	if (!c)
		return err ? err->status : LT_ENOTREADY;
	int rc = lt__pg_q(c, sql, n, v, res, err, what);
	lt__pg_release(st, c);
	return rc;
}

/* Rows one at a time (libpq's single-row mode) on a connection of its own,
 * held until the last row: the callbacks run while it streams, so a
 * callback that calls the store takes another pooled connection. At most
 * half the pool streams at once, so those calls always find one (each
 * streaming call needs one more at a time; the other half, and every
 * connection a buffered call gives back, serve them). Inside this thread's
 * transaction, or when half the pool streams already, the rows are read
 * whole first (a callback's calls then go to the transaction's connection,
 * which must be free). */
int lt__pg_stream(struct lt__pg_store *st, const char *sql, int n, const char *const *v, lt__pg_row_cb cb, void *ctx,
		  struct lt_err *err, const char *what)
{
	PGresult *r = NULL;
	int rc;
	if (tl_store == st || atomic_fetch_add(&st->streaming, 1) >= LT__PG_POOL / 2) {
		if (tl_store != st)
			atomic_fetch_sub(&st->streaming, 1);
		rc = lt__pg_run(st, sql, n, v, &r, err, what);
		for (int i = 0; rc == LT_OK && i < PQntuples(r); i++)
			rc = cb(r, i, ctx, err);
		PQclear(r);
		return rc;
	}
	struct lt__pg_conn *c = lt__pg_acquire(st, err);
	char name[16];
	rc = c ? prepared(c, sql, n, name, err, what) : (err ? err->status : LT_ENOTREADY);
	if (rc == LT_OK && (!PQsendQueryPrepared(c->pg, name, n, v, NULL, NULL, 0) || !PQsetSingleRowMode(c->pg)))
		rc = fail(c->pg, NULL, err, what);
	bool stopped = false; /* by the callback or an error: the rest is cancelled, then drained */
	while (c && (r = PQgetResult(c->pg))) {
		ExecStatusType s = PQresultStatus(r);
		if (s == PGRES_SINGLE_TUPLE && rc == LT_OK)
			rc = cb(r, 0, ctx, err);
		else if (s != PGRES_SINGLE_TUPLE && s != PGRES_TUPLES_OK && rc == LT_OK)
			rc = fail(c->pg, r, err, what);
		PQclear(r);
		if (rc != LT_OK && !stopped) {
			stopped = true;
			PGcancel *cancel = PQgetCancel(c->pg);
			char msg[256];
			if (cancel)
				PQcancel(cancel, msg, sizeof msg);
			PQfreeCancel(cancel);
		}
	}
	/* A cancel may reach the server after the statement ended, and then
	 * cancel whatever runs next on that backend: never the next call's. */
	if (c && (stopped || PQstatus(c->pg) != CONNECTION_OK))
		conn_close(c);
	lt__pg_release(st, c);
	atomic_fetch_sub(&st->streaming, 1);
	return rc;
}

void lt__pg_registry_changed(struct lt__pg_store *st, struct lt__pg_conn *c)
{
	if (c == tl_conn && tl_store == st)
		c->dirty = true;
	else
		atomic_fetch_add(&st->gen, 1);
}

static int pg_begin(struct lt_store *s, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	if (tl_store == st) {
		/* A change run inside a caller's transaction (a request approved
		 * together with the change it asked for) becomes a savepoint,
		 * committed or rolled back by the outermost commit. */
		char sql[48];
		snprintf(sql, sizeof sql, "SAVEPOINT lt_nest%d", tl_conn->nested);
		if (tl_conn->nested >= 8)
			return lt_err_set(err, LT_EIO, "internal error: store transactions nested too deep");
		int rc = simple(tl_conn, sql, err, "starting a nested change");
		if (rc == LT_OK)
			tl_conn->nested++;
		return rc;
	}
	if (tl_store)
		return lt_err_set(err, LT_EIO, "internal error: a transaction on two stores at once");
	struct lt__pg_conn *c = lt__pg_acquire(st, err);
	if (!c)
		return err ? err->status : LT_ENOTREADY;
	int rc = simple(c, "BEGIN ISOLATION LEVEL READ COMMITTED", err, "starting a transaction");
	if (rc == LT_OK && (rc = simple(c, LT__PG_WRITE_LOCK, err, "waiting for the write lock")) != LT_OK)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	if (rc) {
		lt__pg_release(st, c);
		return rc;
	}
	c->dirty = false;
	c->nested = 0;
	tl_store = st;
	tl_conn = c;
	return LT_OK;
}

static void txn_end(struct lt__pg_store *st)
{
	struct lt__pg_conn *c = tl_conn;
	tl_store = NULL;
	tl_conn = NULL;
	c->dirty = false;
	lt__pg_release(st, c);
}

static int pg_commit(struct lt_store *s, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	if (tl_store != st)
		return lt_err_set(err, LT_EIO, "internal error: commit without a transaction");
	struct lt__pg_conn *c = tl_conn;
	if (c->nested > 0) {
		char sql[48];
		snprintf(sql, sizeof sql, "RELEASE SAVEPOINT lt_nest%d", --c->nested);
		return simple(c, sql, err, "committing a nested change");
	}
	/* COMMIT returns once the WAL is flushed (synchronous_commit on, the
	 * default): a 2xx after it is durable. A COMMIT whose answer is lost
	 * with the connection may or may not have applied: LT_ENOTREADY, and
	 * the caller's retry finds out (the exchange's idempotency keys). */
	PGresult *r = PQexec(c->pg, "COMMIT");
	int rc = LT_OK;
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = fail(c->pg, r, err, "committing");
	else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
		rc = lt_err_set(err, LT_EIO, "database error while committing: the transaction had failed");
	PQclear(r);
	if (rc == LT_OK && c->dirty)
		atomic_fetch_add(&st->gen, 1); /* after the commit, never before */
	txn_end(st);
	return rc;
}

static void pg_rollback(struct lt_store *s)
{
	struct lt__pg_store *st = lt__pg(s);
	if (tl_store != st)
		return;
	if (tl_conn->nested > 0) {
		char sql[96];
		tl_conn->nested--;
		snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT lt_nest%d; RELEASE SAVEPOINT lt_nest%d",
			 tl_conn->nested, tl_conn->nested);
		PQclear(PQexec(tl_conn->pg, sql));
		return;
	}
	PQclear(PQexec(tl_conn->pg, "ROLLBACK"));
	txn_end(st);
}

static int pg_part(struct lt_store *s, enum lt_store_part what, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	if (tl_store != st)
		return lt_err_set(err, LT_EIO, "internal error: a transaction part outside a transaction");
	static const char *const sql[] = {"SAVEPOINT lt_part", "RELEASE SAVEPOINT lt_part",
					  "ROLLBACK TO SAVEPOINT lt_part; RELEASE SAVEPOINT lt_part"};
	return simple(tl_conn, sql[what], err, "marking a part of a transaction");
}

struct lt__pg_conn *lt__pg_begin_own(struct lt__pg_store *st, bool *own, struct lt_err *err)
{
	*own = tl_store != st;
	if (!*own)
		return tl_conn;
	struct lt__pg_conn *c = lt__pg_acquire(st, err);
	if (!c)
		return NULL;
	if (simple(c, "BEGIN ISOLATION LEVEL READ COMMITTED", err, "starting a transaction") != LT_OK) {
		lt__pg_release(st, c);
		return NULL;
	}
	if (simple(c, LT__PG_WRITE_LOCK, err, "waiting for the write lock") != LT_OK) {
		PQclear(PQexec(c->pg, "ROLLBACK"));
		lt__pg_release(st, c);
		return NULL;
	}
	return c;
}

int lt__pg_end_own(struct lt__pg_store *st, struct lt__pg_conn *c, bool own, int rc, struct lt_err *err)
{
	if (!own)
		return rc;
	if (rc == LT_OK) {
		rc = simple(c, "COMMIT", err, "committing");
		if (rc == LT_OK && c->dirty)
			atomic_fetch_add(&st->gen, 1);
	} else {
		PQclear(PQexec(c->pg, "ROLLBACK"));
	}
	c->dirty = false;
	lt__pg_release(st, c);
	return rc;
}

static void pg_close(struct lt_store *s)
{
	struct lt__pg_store *st = lt__pg(s);
	for (int i = 0; i < LT__PG_POOL; i++)
		conn_close(&st->conns[i]);
	if (st->listener)
		PQfinish(st->listener);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->listen_mu);
	free(st->uri);
	free(st);
}

static int pg_ping(struct lt_store *s, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	static const char sql[] = "SELECT max(version) FROM schema_version";
	int rc = lt__pg_run(st, sql, 0, NULL, NULL, err, "checking the database answers");
	return rc == LT_OK ? LT_OK : lt_err_set(err, LT_ENOTREADY, "database does not answer: %s", err->msg);
}

/* PostgreSQL checks its own pages (checksums, when the cluster has them);
 * what is checked here is the store's own invariants: the event log has no
 * gap and the feed counter is its last number. */
static int pg_integrity_check(struct lt_store *s, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	static const char sql[] = "SELECT (SELECT count(*) FROM events), (SELECT coalesce(max(seq), 0) FROM events), "
				  "(SELECT seq FROM feed_counter)";
	PGresult *r;
	int rc = lt__pg_run(st, sql, 0, NULL, &r, err, "checking integrity");
	if (rc)
		return rc;
	int64_t n = lt__pg_i64(r, 0, 0), max = lt__pg_i64(r, 0, 1), counter = lt__pg_i64(r, 0, 2);
	PQclear(r);
	if (n != max || counter != max)
		return lt_err_set(
			err, LT_EIO,
			"database integrity check failed: %lld events numbered up to %lld, feed counter at %lld",
			(long long)n, (long long)max, (long long)counter);
	return LT_OK;
}

/* Another process's (or node's) registry writes arrive as notifications
 * on the listening connection: a non-blocking read of its socket, no
 * query, at most every LT__PG_LISTEN_READ_MS (a read per call was a system
 * call per cached look-up). Writes of this process bump the generation at
 * commit. Bound: a change shows once its notification has crossed the
 * network, a round trip after the writer's commit, and the next read. When
 * the listener is lost the generation moves on every call until it is back
 * (every reply rebuilt: slower, never stale). */
#define LT__PG_LISTEN_READ_MS 1
static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t pg_generation(struct lt_store *s)
{
	struct lt__pg_store *st = lt__pg(s);
	int64_t now = now_ms();
	if (atomic_load(&st->listening) && now - atomic_load(&st->listen_read_ms) < LT__PG_LISTEN_READ_MS)
		return atomic_load(&st->gen);
	if (pthread_mutex_trylock(&st->listen_mu) != 0)
		return atomic_load(&st->gen);
	bool changed = false;
	if ((!st->listener || PQstatus(st->listener) != CONNECTION_OK) && now - st->listen_tried_ms < 1000) {
		changed = true; /* a try a second at most: connecting may take a while */
	} else if (!st->listener || PQstatus(st->listener) != CONNECTION_OK) {
		st->listen_tried_ms = now;
		if (st->listener)
			PQfinish(st->listener);
		st->listener = connect_to(st->uri);
		PQsetNoticeProcessor(st->listener, quiet, NULL);
		PGresult *r =
			PQstatus(st->listener) == CONNECTION_OK ? PQexec(st->listener, "LISTEN lt_registry") : NULL;
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
			PQfinish(st->listener);
			st->listener = NULL;
		}
		PQclear(r);
		changed = true; /* what happened while nobody listened is unknown */
	} else if (PQconsumeInput(st->listener)) {
		PGnotify *n;
		while ((n = PQnotifies(st->listener))) {
			changed = true;
			PQfreemem(n);
		}
	} else {
		changed = true;
	}
	if (changed)
		atomic_fetch_add(&st->gen, 1);
	atomic_store(&st->listening, st->listener && PQstatus(st->listener) == CONNECTION_OK);
	atomic_store(&st->listen_read_ms, now);
	pthread_mutex_unlock(&st->listen_mu);
	return atomic_load(&st->gen);
}

/* Another node's commit is known here only once its notification has
 * crossed the network, and asking the server whether there was one costs
 * the round trip that the read it would spare costs: so every call is a
 * new generation, and what is keyed by it is read again each time. */
static uint64_t pg_generation_now(struct lt_store *s) { return atomic_fetch_add(&lt__pg(s)->gen, 1) + 1; }

/* The backup's copy is an SQLite file of the whole store (lienthong
 * backup); a PostgreSQL cluster is backed up by its own tools, which copy it
 * consistently while it runs: said plainly rather than half done. */
static int pg_snapshot(struct lt_store *s, const char *dest, lt_snapshot_body_cb cb, void *ctx, int64_t *last_seq,
		       struct lt_err *err)
{
	(void)s;
	(void)dest;
	(void)cb;
	(void)ctx;
	(void)last_seq;
	return lt_err_set(err, LT_EINVAL,
			  "backup: the database is PostgreSQL: back it up with its own tools (pg_basebackup or "
			  "pg_dump) and copy data_dir's packages/ and requests/ beside it");
}

/* A bulk load needs nothing special: the search words are a column of the
 * row, written with it. */
static int pg_bulk(struct lt_store *s, bool start, size_t rows, bool fresh, struct lt_err *err)
{
	(void)s;
	(void)start;
	(void)rows;
	(void)fresh;
	(void)err;
	return LT_OK;
}

static struct lt_store_ops pg_ops;
static pthread_once_t pg_ops_once = PTHREAD_ONCE_INIT;

static void pg_ops_fill(void)
{
	pg_ops.name = "postgresql";
	pg_ops.close = pg_close;
	pg_ops.begin = pg_begin;
	pg_ops.commit = pg_commit;
	pg_ops.rollback = pg_rollback;
	pg_ops.part = pg_part;
	pg_ops.ping = pg_ping;
	pg_ops.generation = pg_generation;
	pg_ops.generation_now = pg_generation_now;
	pg_ops.notify_bound_ms = LT__PG_LISTEN_READ_MS;
	pg_ops.integrity_check = pg_integrity_check;
	pg_ops.bulk = pg_bulk;
	pg_ops.snapshot = pg_snapshot;
	lt__pg_units_ops(&pg_ops);
	lt__pg_access_ops(&pg_ops);
	lt__pg_exchange_ops(&pg_ops);
	lt__pg_relay_ops(&pg_ops);
	pg_ops.requests = &lt__pg_request_ops;
	pg_ops.catalogue = &lt__pg_catalogue_ops;
	lt__pg_plan_ops(&pg_ops);
	pg_ops.campaigns = &lt__pg_campaign_ops;
}

int lt__store_pg_uri_check(const char *uri, struct lt_err *err)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(uri, &msg);
	if (opts) {
		PQconninfoFree(opts);
		return LT_OK;
	}
	char clean[300];
	lt_text_format(clean, sizeof clean, "%s", msg ? msg : "out of memory");
	size_t n = strlen(clean);
	while (n && clean[n - 1] == '\n')
		clean[--n] = '\0';
	PQfreemem(msg);
	return lt_err_set(err, LT_EINVAL, "not a PostgreSQL connection URI: %s", clean);
}

int lt__store_pg_open(struct lt_store **out, const char *uri, struct lt_err *err)
{
	pthread_once(&pg_ops_once, pg_ops_fill);
	int bad = lt__store_pg_uri_check(uri, err);
	if (bad)
		return bad;
	struct lt__pg_store *st = calloc(1, sizeof *st);
	if (!st || !(st->uri = strdup(uri))) {
		free(st);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	st->base.ops = &pg_ops;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	pthread_mutex_init(&st->listen_mu, NULL);
	struct lt__pg_conn *c = lt__pg_acquire(st, err);
	int rc = c ? lt__pg_migrate(c, err) : err ? err->status : LT_ENOTREADY;
	lt__pg_release(st, c);
	if (rc) {
		pg_close(&st->base);
		return rc;
	}
	pg_generation(&st->base); /* start listening now: changes from here on are seen */
	*out = &st->base;
	return LT_OK;
}
