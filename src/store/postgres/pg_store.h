/* Internals of the PostgreSQL store backend: the connection pool, the
 * transaction a thread holds, prepared statements, and the helpers every
 * table file (pg_units.c, pg_access.c, pg_exchange.c) shares.
 *
 * A call outside a transaction takes a pooled connection, runs one
 * statement (prepared once per connection), keeps the whole result and
 * gives the connection back before any callback runs: a callback that
 * calls the store again never needs a second connection. The lists that
 * grow with the registry stream instead (lt__pg_stream). A transaction
 * holds its connection from begin to commit, and this thread's calls in
 * between go to it, so its reads see its writes. docs/internals/
 * store-postgres.md says which isolation each kind of call runs at. */
#ifndef LT_PG_STORE_H
#define LT_PG_STORE_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "../store_impl.h"

#define LT__PG_POOL 16   /* connections at most, opened on demand */
#define LT__PG_STMTS 160 /* prepared statements per connection: every static SQL text of the backend */

struct lt__pg_conn {
	PGconn *pg;
	const char *prepared[LT__PG_STMTS]; /* the static SQL text is the key; its index names it */
	int n_prepared;
	bool busy;
	bool dirty; /* this transaction wrote units, lineage or events */
	int nested; /* begins inside this thread's transaction: savepoints */
};

struct lt__pg_store {
	struct lt_store base;
	char *uri;
	struct lt__pg_conn conns[LT__PG_POOL];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* The registry's generation: bumped at once by this process's commits
	 * that wrote the registry, and when a notification of another's
	 * (LISTEN lt_registry, sent by a statement trigger) is read. */
	_Atomic uint64_t gen;
	PGconn *listener;
	int64_t listen_tried_ms; /* the last attempt to (re)connect it */
	pthread_mutex_t listen_mu;
	atomic_bool listening;          /* the listener was up at the last read */
	_Atomic int64_t listen_read_ms; /* when its socket was last read */
	atomic_int streaming;           /* connections lent to lt__pg_stream */
};

static inline struct lt__pg_store *lt__pg(struct lt_store *s) { return (struct lt__pg_store *)(void *)s; }

/* A connection for one call: this thread's transaction's, else a pooled
 * one (waiting for one when all are busy). Pair with lt__pg_release. */
struct lt__pg_conn *lt__pg_acquire(struct lt__pg_store *st, struct lt_err *err);
void lt__pg_release(struct lt__pg_store *st, struct lt__pg_conn *c);

/* A system's sent list (lt_store_xsent); the conformance test checks its plan. */
extern const char lt__pg_sql_sent[];
/* An inbox's page and an acknowledgement (lt_store_xinbox, lt_store_xack); the
 * conformance test checks their plans on tables without statistics. */
extern const char lt__pg_sql_inbox[];
extern const char lt__pg_sql_ack[];
/* A delivery with its totals (lt_store_xdelivery_add); its plan is checked too. */
extern const char lt__pg_sql_del_add[];

/* Runs sql, a static string prepared once per connection, with n text
 * parameters (NULL for SQL NULL) on c; *res gets the result (PQclear it)
 * on LT_OK. A failure is worded "database error while <what>": a broken
 * connection is LT_ENOTREADY, a constraint LT_ECONFLICT, the rest LT_EIO. */
int lt__pg_q(struct lt__pg_conn *c, const char *sql, int n, const char *const *v, PGresult **res, struct lt_err *err,
	     const char *what);
/* The same for a text built per call (not prepared). */
int lt__pg_q_text(struct lt__pg_conn *c, const char *sql, int n, const char *const *v, PGresult **res,
		  struct lt_err *err, const char *what);
/* acquire + lt__pg_q + release; res may be NULL when the rows do not
 * matter. */
int lt__pg_run(struct lt__pg_store *st, const char *sql, int n, const char *const *v, PGresult **res,
	       struct lt_err *err, const char *what);

/* A row of a result (row 0 of a single-row one); non-zero stops the list
 * and is returned. */
typedef int (*lt__pg_row_cb)(const PGresult *r, int row, void *ctx, struct lt_err *err);
/* Runs sql like lt__pg_run and hands its rows to cb one by one without
 * holding the whole result: for the lists that grow with the registry (a
 * subtree, the changes). One statement: every row from one snapshot. */
int lt__pg_stream(struct lt__pg_store *st, const char *sql, int n, const char *const *v, lt__pg_row_cb cb, void *ctx,
		  struct lt_err *err, const char *what);

/* Several statements that must apply together: in this thread's
 * transaction when it has one, else in one of their own (*own says which;
 * lt__pg_end commits it when ok, else rolls it back). */
struct lt__pg_conn *lt__pg_begin_own(struct lt__pg_store *st, bool *own, struct lt_err *err);
int lt__pg_end_own(struct lt__pg_store *st, struct lt__pg_conn *c, bool own, int rc, struct lt_err *err);

/* Marks that the registry changed on c (bumps the generation at commit,
 * or at once outside a transaction). */
void lt__pg_registry_changed(struct lt__pg_store *st, struct lt__pg_conn *c);

/* Text of a row's column, cut at a character boundary to fit dst. */
void lt__pg_copy(const PGresult *r, int row, int col, char *dst, size_t n);
int64_t lt__pg_i64(const PGresult *r, int row, int col);
/* Decimal text of v in buf (24 bytes), for a parameter. */
const char *lt__pg_itoa(char buf[24], int64_t v);
/* Rows changed by an INSERT, UPDATE or DELETE. */
int lt__pg_changed(const PGresult *r);

/* The search words of a folded name as the SQLite backend's full-text
 * index splits them (its unicode61 tokenizer, called here): " w1 w2 … "
 * with a space before and after each. malloc'd; NULL when out of memory. */
char *lt__pg_words(const char *fold);

int lt__pg_migrate(struct lt__pg_conn *c, struct lt_err *err);

void lt__pg_units_ops(struct lt_store_ops *ops);
void lt__pg_access_ops(struct lt_store_ops *ops);
void lt__pg_exchange_ops(struct lt_store_ops *ops);
void lt__pg_relay_ops(struct lt_store_ops *ops);
extern const struct lt_store_request_ops lt__pg_request_ops;     /* pg_requests.c */
extern const struct lt_store_catalogue_ops lt__pg_catalogue_ops; /* pg_catalogue.c */
void lt__pg_plan_ops(struct lt_store_ops *ops);
extern const struct lt_store_campaign_ops lt__pg_campaign_ops; /* pg_campaigns.c */

/* The store's own part of the claiming of waiting deliveries by a newly
 * bound system (pg_exchange.c), on c inside the binding's transaction. */
int lt__pg_xclaim(struct lt__pg_conn *c, int64_t system_id, const char *code, struct lt_err *err);
/* A binding of system id (sql: $1 the system, $2 a code or subtree root) in
 * the caller's transaction or one of its own, then what waited for that
 * code claimed (lt__pg_xclaim) (pg_access.c). */
int lt__pg_system_bind(struct lt__pg_store *st, const char *sql, int64_t id, const char *code, struct lt_err *err,
		       const char *what);
/* The codes sql lists for system id ($1), its one column, into out. */
int lt__pg_system_codelist(struct lt__pg_store *st, const char *sql, int64_t id, struct lt_codelist *out,
			   struct lt_err *err, const char *what);
/* On c, when a unit closes with code as a successor: what waited for the
 * closed unit goes to the first system receiving for code, if any. */
int lt__pg_xhand_over(struct lt__pg_conn *c, const char *code, struct lt_err *err);

#endif
