/* The audit trail in SQLite: an append-only table (triggers refuse UPDATE
 * and DELETE), written inside the transaction of the act it records. */
#include <string.h>

#include "sqlite_store.h"

static const char SQL_AUDIT_ADD[] = "INSERT INTO audit (at, who, role, action, target, detail) "
				    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_AUDITS[] = "SELECT id, at, who, role, action, target, detail FROM audit "
				 "WHERE id > ?1 AND (?2 = '' OR target = ?2) ORDER BY id LIMIT ?3";

static int sq_audit_add(struct lt_store *s, struct lt_audit *a, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_AUDIT_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	const char *v[] = {a->at, a->who, a->role, a->action, a->target, a->detail ? a->detail : "{}"};
	for (int i = 0; i < 6; i++)
		lt__sq_bind_text(q, i + 1, v[i]);
	int ret = lt__sq_exec(cn, q, err, "writing the audit trail");
	if (ret == LT_OK)
		a->id = sqlite3_last_insert_rowid(cn->db);
	lt__sq_release(st, cn);
	return ret;
}

struct audit_each {
	lt_audit_cb cb;
	void *ctx;
};

static int audit_row(void *ve, sqlite3_stmt *q)
{
	struct audit_each *e = ve;
	struct lt_audit a;
	memset(&a, 0, sizeof a);
	a.id = sqlite3_column_int64(q, 0);
	lt__sq_col_copy(q, 1, a.at, sizeof a.at);
	lt__sq_col_copy(q, 2, a.who, sizeof a.who);
	lt__sq_col_copy(q, 3, a.role, sizeof a.role);
	lt__sq_col_copy(q, 4, a.action, sizeof a.action);
	lt__sq_col_copy(q, 5, a.target, sizeof a.target);
	const unsigned char *d = sqlite3_column_text(q, 6);
	a.detail = d ? (const char *)d : "{}";
	return e->cb(e->ctx, &a);
}

static int sq_audits(struct lt_store *s, const char *target, int64_t after, int limit, lt_audit_cb cb, void *ctx,
		     struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_AUDITS, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, after);
	lt__sq_bind_text(q, 2, target ? target : "");
	sqlite3_bind_int(q, 3, limit);
	struct audit_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, audit_row, &e, err, "the audit trail");
}

void lt__sq_audit_ops(struct lt_store_ops *ops)
{
	ops->audit_add = sq_audit_add;
	ops->audits = sq_audits;
}
