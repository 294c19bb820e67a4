/* Plans and the changes each made, in SQLite. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

static const char SQL_PLAN_ADD[] = "INSERT INTO plans (decision_number, decision_date, decision_issuer, decision_kind, "
				   "effective, title, at, actor, body, result) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)";
static const char SQL_PLAN_CHANGE_ADD[] = "INSERT INTO plan_changes (change_id, plan_id, step) VALUES (?1,?2,?3)";
static const char SQL_PLANS[] = "SELECT id, decision_number, decision_date, decision_issuer, decision_kind, effective, "
				"title, at, actor, body, result FROM plans WHERE ?1 = 0 OR id = ?1 ORDER BY id";
static const char SQL_PLAN_OF_CHANGE[] = "SELECT plan_id FROM plan_changes WHERE change_id = ?1";

static int sq_plan_add(struct lt_store *s, struct lt_plan_row *p, const struct lt_plan_change *changes, size_t n,
		       struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn = lt__sq_acquire(st, true, err);
	if (!cn)
		return LT_EIO;
	sqlite3_stmt *q = lt__sq_stmt(cn, SQL_PLAN_ADD, err);
	int ret = LT_EIO;
	if (q) {
		const char *v[] = {p->decision.number,
				   p->decision.date,
				   p->decision.issuer,
				   p->decision_kind,
				   p->effective,
				   p->title ? p->title : "",
				   p->at,
				   p->actor,
				   p->body,
				   p->result};
		for (int i = 0; i < 10; i++)
			lt__sq_bind_text(q, i + 1, v[i]);
		ret = lt__sq_exec(cn, q, err, "storing a plan");
	}
	if (ret == LT_OK)
		p->id = sqlite3_last_insert_rowid(cn->db);
	for (size_t i = 0; ret == LT_OK && i < n; i++) {
		if (!(q = lt__sq_stmt(cn, SQL_PLAN_CHANGE_ADD, err))) {
			ret = LT_EIO;
			break;
		}
		sqlite3_bind_int64(q, 1, changes[i].change_id);
		sqlite3_bind_int64(q, 2, p->id);
		sqlite3_bind_int(q, 3, changes[i].step);
		ret = lt__sq_exec(cn, q, err, "storing the changes of a plan");
	}
	lt__sq_release(st, cn);
	return ret;
}

struct plan_each {
	lt_plan_cb cb;
	void *ctx;
};

static int plan_row(void *ve, sqlite3_stmt *q)
{
	struct plan_each *e = ve;
	struct lt_plan_row p;
	memset(&p, 0, sizeof p);
	p.id = sqlite3_column_int64(q, 0);
	char *dst[] = {p.decision.number, p.decision.date, p.decision.issuer, p.decision_kind, p.effective};
	size_t sz[] = {sizeof p.decision.number, sizeof p.decision.date, sizeof p.decision.issuer,
		       sizeof p.decision_kind, sizeof p.effective};
	for (int i = 0; i < 5; i++)
		lt__sq_col_copy(q, i + 1, dst[i], sz[i]);
	p.title = (const char *)sqlite3_column_text(q, 6); /* borrowed for the callback */
	lt__sq_col_copy(q, 7, p.at, sizeof p.at);
	lt__sq_col_copy(q, 8, p.actor, sizeof p.actor);
	p.body = (const char *)sqlite3_column_text(q, 9);
	p.result = (const char *)sqlite3_column_text(q, 10);
	return e->cb(e->ctx, &p);
}

static int sq_plans(struct lt_store *s, int64_t id, lt_plan_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_PLANS, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	struct plan_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, plan_row, &e, err, "plans");
}

static int plan_id_row(void *ctx, sqlite3_stmt *q)
{
	*(int64_t *)ctx = sqlite3_column_int64(q, 0);
	return LT_OK;
}

static int sq_plan_of_change(struct lt_store *s, int64_t change_id, int64_t *plan_id, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_PLAN_OF_CHANGE, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, change_id);
	int rc = lt__sq_one(st, cn, q, plan_id_row, plan_id, err, "the plan of a change");
	return rc == LT_ENOTFOUND ? LT_OK : rc;
}

void lt__sq_plan_ops(struct lt_store_ops *ops)
{
	ops->plan_add = sq_plan_add;
	ops->plans = sq_plans;
	ops->plan_of_change = sq_plan_of_change;
}
