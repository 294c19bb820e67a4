/* Internals of the SQLite store backend: connections, their statement
 * caches, and the helpers every table file (units, access…) shares.
 *
 * One writer connection, held by a recursive mutex from begin to commit, so
 * a transaction's own reads see its writes; a pool of read-only connections
 * for everyone else, so readers never queue behind a writer (WAL). */
#ifndef LT_SQLITE_STORE_H
#define LT_SQLITE_STORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>

#include "../store_impl.h"

#define LT__SQ_CACHE 256  /* prepared statements per connection: room for every static SQL text of the store */
#define LT__SQ_READERS 16 /* read connections at most, opened on demand */

struct lt__sq_conn {
	sqlite3 *db;
	struct {
		const char *sql; /* the static string is the key */
		sqlite3_stmt *stmt;
	} cache[LT__SQ_CACHE];
};

struct lt__sq_store {
	struct lt_store base;
	char *path;
	struct lt__sq_conn writer;
	pthread_mutex_t wlock; /* recursive: held begin→commit */
	int in_txn;
	int nested; /* begins inside this thread's transaction: savepoints */
	struct lt__sq_conn readers[LT__SQ_READERS];
	int n_readers; /* 0: every read goes to the writer (":memory:") */
	bool reader_busy[LT__SQ_READERS];
	pthread_mutex_t plock;
	pthread_cond_t pcond;
	/* The registry's generation (lt_store_generation): bumped when a
	 * transaction that wrote units, lineage, events, tokens or systems
	 * commits (dirty marks it), and when another process is seen to have
	 * written. */
	_Atomic uint64_t gen;
	bool gen_dirty; /* under wlock */
	/* PRAGMA data_version on the writer, which moves only for other
	 * connections' commits: this process writes through the writer
	 * alone, so only another process's commits move it. Under wlock. */
	sqlite3_stmt *watch_q;
	int64_t watch_version;       /* -1 before the first look */
	_Atomic int64_t watch_at_ms; /* when it last looked */
	_Atomic bool txn_looked;     /* a transaction holds the writer and looked as it began */
	pthread_mutex_t watch_mu;    /* lt_store_generation_now: one look at a time */
	sqlite3_stmt *part_q[2];     /* SAVEPOINT and RELEASE lt_part on the writer (sq_part) */
};

static inline struct lt__sq_store *lt__sq(struct lt_store *s) { return (struct lt__sq_store *)(void *)s; }

/* A connection for one call: the writer for writes and for reads inside this
 * thread's transaction, else a reader. Always paired with lt__sq_release. */
struct lt__sq_conn *lt__sq_acquire(struct lt__sq_store *st, bool write, struct lt_err *err);
void lt__sq_release(struct lt__sq_store *st, struct lt__sq_conn *c);

/* A connection and its cached statement for sql together; on failure
 * nothing is held (release *cp after use). */
sqlite3_stmt *lt__sq_use(struct lt__sq_store *st, bool write, const char *sql, struct lt__sq_conn **cp,
			 struct lt_err *err);
/* The cached statement for sql (a static string), reset and unbound; NULL
 * with err filled when it cannot be prepared. */
sqlite3_stmt *lt__sq_stmt(struct lt__sq_conn *c, const char *sql, struct lt_err *err);
int lt__sq_fail(struct lt__sq_conn *c, struct lt_err *err, const char *what);
void lt__sq_bind_text(sqlite3_stmt *s, int i, const char *v);
void lt__sq_col_copy(sqlite3_stmt *s, int i, char *dst, size_t n);
/* Steps q to its end, calling row(ctx, q) per row; a non-zero return
 * stops early and is returned. A failing step is reported as "reading
 * <what>". Either way q is reset and cn released. */
typedef int (*lt__sq_row_fn)(void *ctx, sqlite3_stmt *q);
int lt__sq_rows(struct lt__sq_store *st, struct lt__sq_conn *cn, sqlite3_stmt *q, lt__sq_row_fn row, void *ctx,
		struct lt_err *err, const char *what);
/* Steps q once: row(ctx, q) for the row and LT_OK, or LT_ENOTFOUND with err
 * untouched (the caller words it) when there is none. Resets q, releases cn. */
int lt__sq_one(struct lt__sq_store *st, struct lt__sq_conn *cn, sqlite3_stmt *q, lt__sq_row_fn row, void *ctx,
	       struct lt_err *err, const char *what);
/* Marks that the registry (units, lineage, events) changed: at commit, or
 * at once for a write outside a transaction. Called with the writer held. */
void lt__sq_registry_changed(struct lt__sq_store *st);
/* Runs a statement that returns no rows (reset afterwards). */
int lt__sq_exec(struct lt__sq_conn *c, sqlite3_stmt *s, struct lt_err *err, const char *what);

int lt__sqlite_migrate(sqlite3 *db, struct lt_err *err);
/* The SQL that moves the schema to version (1-based), NULL past the last:
 * lets a test replay one migration over a database shaped as before it. */
const char *lt__sqlite_migration(int version);
/* A system's sent list (lt_store_xsent); the conformance test checks its plan. */
extern const char lt__sq_sql_sent[];
/* A binding of system id (sql: ?1 the system, ?2 a code or subtree root),
 * then what waited for that code claimed (lt__sq_xclaim); what names the
 * write in an error. */
int lt__sq_system_bind(struct lt__sq_store *st, const char *sql, int64_t id, const char *code, struct lt_err *err,
		       const char *what);
/* The codes sql lists for system id (?1), its one column, into out. */
int lt__sq_system_codelist(struct lt__sq_store *st, const char *sql, int64_t id, struct lt_codelist *out,
			   struct lt_err *err, const char *what);
/* On the writer, inside the binding's transaction: the deliveries waiting
 * for a system to receive for code (no_system) become system_id's. */
int lt__sq_xclaim(struct lt__sq_conn *cn, int64_t system_id, const char *code, struct lt_err *err);
/* On the writer, when a unit closes with code as a successor: what waited
 * for the closed unit goes to the first system receiving for code, if any
 * (a later binding of code claims it otherwise). */
int lt__sq_xhand_over(struct lt__sq_conn *cn, const char *code, struct lt_err *err);

/* A transaction ended: a bulk load that did not reach its end (an error
 * between lt_store_bulk's calls) is over on this thread too, its dropped
 * indexes back with the rollback. */
void lt__sq_bulk_over(void);

/* The operations of each table file, gathered into one table by sqlite_store.c. */
void lt__sq_units_ops(struct lt_store_ops *ops);
void lt__sq_access_ops(struct lt_store_ops *ops);
void lt__sq_audit_ops(struct lt_store_ops *ops);
void lt__sq_exchange_ops(struct lt_store_ops *ops);
void lt__sq_relay_ops(struct lt_store_ops *ops);
void lt__sq_cert_ops(struct lt_store_ops *ops);
void lt__sq_plan_ops(struct lt_store_ops *ops);
/* lt_store_snapshot (sqlite_snapshot.c). */
int lt__sq_snapshot(struct lt_store *s, const char *dest, lt_snapshot_body_cb cb, void *ctx, int64_t *last_seq,
		    struct lt_err *err);
extern const struct lt_store_request_ops lt__sq_request_ops;     /* sqlite_requests.c */
extern const struct lt_store_catalogue_ops lt__sq_catalogue_ops; /* sqlite_catalogue.c */
extern const struct lt_store_campaign_ops lt__sq_campaign_ops;   /* sqlite_campaigns.c */

#endif
