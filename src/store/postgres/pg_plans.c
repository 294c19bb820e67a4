/* Plans and the changes each made, on PostgreSQL. */
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

static const char SQL_PLAN_ADD[] = "INSERT INTO plans (decision_number, decision_date, decision_issuer, decision_kind, "
				   "effective, title, at, actor, body, result) "
				   "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id";
static const char SQL_PLAN_CHANGE_ADD[] = "INSERT INTO plan_changes (change_id, plan_id, step) VALUES ($1,$2,$3)";
static const char SQL_PLANS[] = "SELECT id, decision_number, decision_date, decision_issuer, decision_kind, effective, "
				"title, at, actor, body, result FROM plans WHERE $1::bigint = 0 OR id = $1::bigint "
				"ORDER BY id";
static const char SQL_PLAN_OF_CHANGE[] = "SELECT plan_id FROM plan_changes WHERE change_id = $1";

static int pg_plan_add(struct lt_store *s, struct lt_plan_row *p, const struct lt_plan_change *changes, size_t n,
		       struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	bool own;
	struct lt__pg_conn *c = lt__pg_begin_own(st, &own, err);
	if (!c)
		return err->status ? err->status : LT_EIO;
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
	PGresult *r = NULL;
	int rc = lt__pg_q(c, SQL_PLAN_ADD, 10, v, &r, err, "storing a plan");
	if (rc == LT_OK)
		p->id = lt__pg_i64(r, 0, 0);
	PQclear(r);
	for (size_t i = 0; rc == LT_OK && i < n; i++) {
		char b1[24], b2[24], b3[24];
		const char *w[] = {lt__pg_itoa(b1, changes[i].change_id), lt__pg_itoa(b2, p->id),
				   lt__pg_itoa(b3, changes[i].step)};
		rc = lt__pg_q(c, SQL_PLAN_CHANGE_ADD, 3, w, NULL, err, "storing the changes of a plan");
	}
	return lt__pg_end_own(st, c, own, rc, err);
}

static int pg_plans(struct lt_store *s, int64_t id, lt_plan_cb cb, void *ctx, struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_PLANS, 1, v, &r, err, "reading plans");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_plan_row p;
		memset(&p, 0, sizeof p);
		p.id = lt__pg_i64(r, i, 0);
		char *dst[] = {p.decision.number, p.decision.date, p.decision.issuer, p.decision_kind, p.effective};
		size_t sz[] = {sizeof p.decision.number, sizeof p.decision.date, sizeof p.decision.issuer,
			       sizeof p.decision_kind, sizeof p.effective};
		for (int k = 0; k < 5; k++)
			lt__pg_copy(r, i, k + 1, dst[k], sz[k]);
		p.title = PQgetvalue(r, i, 6); /* borrowed for the callback */
		lt__pg_copy(r, i, 7, p.at, sizeof p.at);
		lt__pg_copy(r, i, 8, p.actor, sizeof p.actor);
		p.body = PQgetvalue(r, i, 9);
		p.result = PQgetvalue(r, i, 10);
		rc = cb(ctx, &p);
	}
	PQclear(r);
	return rc;
}

static int pg_plan_of_change(struct lt_store *s, int64_t change_id, int64_t *plan_id, struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, change_id)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_PLAN_OF_CHANGE, 1, v, &r, err, "reading the plan of a change");
	if (rc == LT_OK && PQntuples(r) > 0)
		*plan_id = lt__pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

void lt__pg_plan_ops(struct lt_store_ops *ops)
{
	ops->plan_add = pg_plan_add;
	ops->plans = pg_plans;
	ops->plan_of_change = pg_plan_of_change;
}
