/* Federation in SQLite: subtree bindings, the queue of documents waiting
 * for the upstream, and the system that stands for the upstream link. */
#include <string.h>

#include "lienthong/text.h"
#include "sqlite_store.h"

static const char SQL_SUBTREE_ADD[] = "INSERT INTO system_codes (system_id, code, subtree) VALUES (?1, ?2, 1) "
				      "ON CONFLICT (code, system_id) DO UPDATE SET subtree = 1";
static const char SQL_SUBTREES[] = "SELECT code FROM system_codes WHERE system_id = ?1 AND subtree = 1 ORDER BY code";
/* Disabled systems still receive, as for a plain binding. */
static const char SQL_SUBTREE_RECEIVERS[] = "SELECT c.system_id FROM system_codes c JOIN systems s ON s.id = "
					    "c.system_id WHERE c.code = ?1 AND c.subtree = 1 AND s.removed = '' "
					    "ORDER BY c.system_id";
static const char SQL_OUT_ADD[] = "INSERT OR IGNORE INTO relay_out (doc, queued, next_try) VALUES (?1, ?2, ?2)";
static const char SQL_OUT_DUE[] = "SELECT doc, tries FROM relay_out WHERE upstream_id = '' AND next_try <= ?1 "
				  "ORDER BY next_try, queued, doc LIMIT ?2";
static const char SQL_OUT_RETRY[] = "UPDATE relay_out SET tries = ?2, next_try = ?3, last_error = ?4 "
				    "WHERE doc = ?1 AND upstream_id = ''";
static const char SQL_OUT_DONE[] = "UPDATE relay_out SET upstream_id = ?2, relayed = ?3, last_error = '' "
				   "WHERE doc = ?1 AND upstream_id = ''";
static const char SQL_OUT_EVENTS[] = "INSERT INTO xevents (delivery_id, state, at) SELECT id, 'relayed', ?3 FROM "
				     "xdeliveries WHERE doc = ?1 AND state = 'relay' AND ?2 = ?2";
static const char SQL_OUT_DELIVERIES[] =
	"UPDATE xdeliveries SET state = 'relayed', updated = ?3, reason = CASE reason WHEN '' THEN '' "
	"ELSE reason || '; ' END || 'relayed upstream as ' || ?2 || ' on ' || ?3 WHERE doc = ?1 AND state = 'relay'";
static const char SQL_LINK_GET[] = "SELECT system_id FROM relay_links WHERE url = ?1";
static const char SQL_LINK_ADD[] = "INSERT INTO relay_links (url, system_id) VALUES (?1, ?2)";

static int sq_system_subtree_add(struct lt_store *s, int64_t id, const char *root, struct lt_err *err)
{
	return lt__sq_system_bind(lt__sq(s), SQL_SUBTREE_ADD, id, root, err, "binding a subtree to a system");
}

static int sq_system_subtrees(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err)
{
	return lt__sq_system_codelist(lt__sq(s), SQL_SUBTREES, id, out, err, "a system's subtrees");
}

struct receivers_each {
	lt_xreceiver_cb cb;
	void *ctx;
};

static int receiver_row(void *ve, sqlite3_stmt *q)
{
	struct receivers_each *e = ve;
	return e->cb(e->ctx, sqlite3_column_int64(q, 0));
}

static int sq_xsubtree_receivers(struct lt_store *s, const char *root, lt_xreceiver_cb cb, void *ctx,
				 struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_SUBTREE_RECEIVERS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, root);
	struct receivers_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, receiver_row, &e, err, "the systems receiving for a subtree");
}

static int sq_relay_out_add(struct lt_store *s, const char *doc, const char *at, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_OUT_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, doc);
	lt__sq_bind_text(q, 2, at);
	int ret = lt__sq_exec(cn, q, err, "queueing a document for the upstream");
	lt__sq_release(st, cn);
	return ret;
}

struct due_each {
	lt_relay_cb cb;
	void *ctx;
};

static int due_row(void *ve, sqlite3_stmt *q)
{
	struct due_each *e = ve;
	return e->cb(e->ctx, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int(q, 1));
}

static int sq_relay_out_due(struct lt_store *s, const char *now, int limit, lt_relay_cb cb, void *ctx,
			    struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_OUT_DUE, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, now);
	sqlite3_bind_int(q, 2, limit);
	struct due_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, due_row, &e, err, "the documents due upstream");
}

static int sq_relay_out_retry(struct lt_store *s, const char *doc, int tries, const char *next_try, const char *error,
			      struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_OUT_RETRY, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, doc);
	sqlite3_bind_int(q, 2, tries);
	lt__sq_bind_text(q, 3, next_try);
	lt__sq_bind_text(q, 4, error);
	int ret = lt__sq_exec(cn, q, err, "rescheduling a document for the upstream");
	lt__sq_release(st, cn);
	return ret;
}

static int sq_relay_out_done(struct lt_store *s, const char *doc, const char *upstream_id, const char *at,
			     struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn = lt__sq_acquire(st, true, err);
	if (!cn)
		return LT_EIO;
	const char *const sql[] = {SQL_OUT_DONE, SQL_OUT_EVENTS, SQL_OUT_DELIVERIES};
	int ret = LT_OK;
	for (int i = 0; i < 3 && ret == LT_OK; i++) {
		sqlite3_stmt *q = lt__sq_stmt(cn, sql[i], err);
		if (!q) {
			ret = LT_EIO;
			break;
		}
		lt__sq_bind_text(q, 1, doc);
		lt__sq_bind_text(q, 2, upstream_id);
		lt__sq_bind_text(q, 3, at);
		ret = lt__sq_exec(cn, q, err, "recording a document relayed upstream");
		/* Already recorded (a second node, a retry): nothing more to do. */
		if (i == 0 && ret == LT_OK && sqlite3_changes(cn->db) == 0)
			break;
	}
	lt__sq_release(st, cn);
	return ret;
}

static int id_row(void *vid, sqlite3_stmt *q)
{
	*(int64_t *)vid = sqlite3_column_int64(q, 0);
	return LT_OK;
}

static int sq_relay_link_get(struct lt_store *s, const char *url, int64_t *system_id, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_LINK_GET, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, url);
	int rc = lt__sq_one(st, cn, q, id_row, system_id, err, "the upstream link");
	return rc == LT_ENOTFOUND ? lt_err_set(err, LT_ENOTFOUND, "no link to %s yet", url) : rc;
}

static int sq_relay_link_add(struct lt_store *s, const char *url, int64_t system_id, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_LINK_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, url);
	sqlite3_bind_int64(q, 2, system_id);
	int ret = lt__sq_exec(cn, q, err, "recording the upstream link");
	lt__sq_release(st, cn);
	return ret;
}

void lt__sq_relay_ops(struct lt_store_ops *ops)
{
	ops->system_subtree_add = sq_system_subtree_add;
	ops->system_subtrees = sq_system_subtrees;
	ops->xsubtree_receivers = sq_xsubtree_receivers;
	ops->relay_out_add = sq_relay_out_add;
	ops->relay_out_due = sq_relay_out_due;
	ops->relay_out_retry = sq_relay_out_retry;
	ops->relay_out_done = sq_relay_out_done;
	ops->relay_link_get = sq_relay_link_get;
	ops->relay_link_add = sq_relay_link_add;
}
