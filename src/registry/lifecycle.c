/* Issue, contact update and rename: the changes that touch one unit. Each is
 * one transaction: the unit row, its change record and its event, or nothing. */
#include <string.h>

#include "lienthong/access.h"
#include "registry_impl.h"

/* An issue as checked before the transaction: canonical parent, decision
 * and dates. */
struct issue_ready {
	char parent[LT_CODE_BUFSZ], effective[LT_DATE_BUFSZ], reorganized[LT_DATE_BUFSZ];
	struct lt_decision d;
};

static int issue_check(const struct lt_ctx *ctx, const struct lt_issue *req, struct issue_ready *ir, struct lt_err *err)
{
	int rc;
	memset(ir, 0, sizeof *ir);
	if ((rc = lt__code_canon(req->parent, ir->parent, err)) || (rc = lt_access_write(&ctx->who, ir->parent, err)) ||
	    (rc = lt__name_check(req->name, err)) || (rc = lt__contact_check(&req->contact, err)) ||
	    (rc = lt__decision_check(&req->decision, &ir->d, err)) ||
	    (rc = lt__effective_check(req->effective, ir->effective, err)))
		return rc;
	if (req->reorganized[0] && lt_date_parse(req->reorganized, ir->reorganized, err))
		return lt_err_field(err, lt_err_prefix(err, "reorganized: "), "reorganized");
	return LT_OK;
}

/* The writes of an issue, inside the caller's transaction. */
static int issue_write(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_issue *req,
		       const struct issue_ready *ir, struct lt_unit *u, int64_t *change_id, struct lt_err *err)
{
	struct lt_unit p;
	int rc;
	memset(u, 0, sizeof *u);
	if ((rc = lt__get_active(r, ir->parent, &p, err)) ||
	    (rc = lt__check_not_before(r, ir->parent, ir->effective, err)))
		return rc;
	if (req->number > lt_code_max_number(p.level + 1)) {
		rc = lt_err_set(err, LT_EINVAL, "number %u is outside 1..%u for a level-%d unit", req->number,
				lt_code_max_number(p.level + 1), p.level + 1);
		return lt_err_field(err, rc, "number");
	}
	if ((rc = lt__allocate(r, ir->parent, req->number, u->code, err)))
		return rc;
	snprintf(u->parent, sizeof u->parent, "%s", ir->parent);
	u->level = p.level + 1;
	snprintf(u->name, sizeof u->name, "%s", req->name);
	u->contact = req->contact;
	u->status = LT_UNIT_ACTIVE;
	snprintf(u->valid_from, sizeof u->valid_from, "%s", ir->effective);
	u->decision = ir->d;
	snprintf(u->reorganized, sizeof u->reorganized, "%s", ir->reorganized);
	lt_date_today(u->recorded);
	u->version = 1;
	int64_t id = 0;
	if ((rc = lt__change_add(r, ctx, "issue", &ir->d, ir->effective, ir->reorganized,
				 json_pack("{s:[s]}", "created", u->code), &id, err)) ||
	    (rc = lt_store_unit_put(r->store, u, err)) ||
	    (rc = lt__event_add(r, ctx, id, "issue", u, ir->effective, NULL, err)))
		return rc;
	if (change_id)
		*change_id = id;
	return LT_OK;
}

int lt_registry_issue_in(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_issue *req,
			 struct lt_unit *created, int64_t *change_id, struct lt_err *err)
{
	struct issue_ready ir;
	struct lt_unit u;
	int rc = issue_check(ctx, req, &ir, err);
	if (rc == LT_OK)
		rc = issue_write(r, ctx, req, &ir, &u, change_id, err);
	if (rc == LT_OK && created)
		*created = u;
	return rc;
}

int lt_registry_issue(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_issue *req,
		      struct lt_unit *created, struct lt_err *err)
{
	struct issue_ready ir;
	struct lt_unit u;
	int rc;
	if ((rc = issue_check(ctx, req, &ir, err)) || (rc = lt_store_begin(r->store, err)))
		return rc;
	rc = issue_write(r, ctx, req, &ir, &u, NULL, err);
	LT_TXN_END(r, rc, err);
	if (rc == LT_OK && created)
		*created = u;
	return rc;
}

/* Inside the write transaction: nobody can change the unit between this
 * comparison and the write. */
static int version_check(const struct lt_unit *u, int64_t if_version, struct lt_err *err)
{
	if (!if_version || if_version == u->version)
		return LT_OK;
	return lt_err_set(err, LT_EPRECOND,
			  "%s changed since you read it (version %lld, you had %lld): reload and try again", u->code,
			  (long long)u->version, (long long)if_version);
}

int lt_registry_update(struct lt_registry *r, const struct lt_ctx *ctx, const char *code, const struct lt_contact *c,
		       int64_t if_version, struct lt_unit *out, struct lt_err *err)
{
	char canon[LT_CODE_BUFSZ], today[LT_DATE_BUFSZ];
	int rc;
	if ((rc = lt__code_canon(code, canon, err)) || (rc = lt_access_write(&ctx->who, canon, err)) ||
	    (rc = lt__contact_check(c, err)))
		return rc;
	if ((rc = lt_store_begin(r->store, err)))
		return rc;
	struct lt_unit u;
	if ((rc = lt__get_active(r, canon, &u, err)))
		goto done;
	if ((rc = version_check(&u, if_version, err)))
		goto done;
	u.contact = *c;
	u.version++;
	lt_date_today(today);
	/* A contact change takes effect now, or with the last change when that
	 * is dated in the future, so it never jumps ahead of it in as-of reads. */
	struct lt_event last = {0};
	if (lt_store_event_asof(r->store, canon, "9999-12-31", &last, NULL) == LT_OK &&
	    strcmp(last.effective, today) > 0)
		snprintf(today, sizeof today, "%s", last.effective);
	lt_event_clear(&last);
	/* Contact data needs no decision, so the change has none: it is kept
	 * out of the compliance report by its kind. */
	if ((rc = lt_store_unit_put(r->store, &u, err)) ||
	    (rc = lt__event_add(r, ctx, 0, "update", &u, today, NULL, err)))
		goto done;
done:
	LT_TXN_END(r, rc, err);
	if (rc == LT_OK && out)
		*out = u;
	return rc;
}

struct rename_ready {
	char canon[LT_CODE_BUFSZ], effective[LT_DATE_BUFSZ];
	struct lt_decision d;
};

static int rename_check(const struct lt_ctx *ctx, const char *code, const char *name, const struct lt_decision *dec,
			const char *effective_in, struct rename_ready *rr, struct lt_err *err)
{
	int rc;
	if ((rc = lt__code_canon(code, rr->canon, err)) || (rc = lt_access_reorganise(&ctx->who, rr->canon, err)) ||
	    (rc = lt__name_check(name, err)) || (rc = lt__decision_check(dec, &rr->d, err)) ||
	    (rc = lt__effective_check(effective_in, rr->effective, err)))
		return rc;
	return LT_OK;
}

/* The writes of a rename, inside the caller's transaction. */
static int rename_write(struct lt_registry *r, const struct lt_ctx *ctx, const char *name,
			const struct rename_ready *rr, int64_t if_version, struct lt_unit *u, int64_t *change_id,
			struct lt_err *err)
{
	int64_t id = 0;
	int rc;
	if ((rc = lt__get_active(r, rr->canon, u, err)) || (rc = version_check(u, if_version, err)) ||
	    (rc = lt__check_not_before(r, rr->canon, rr->effective, err)))
		return rc;
	if (strcmp(u->name, name) == 0)
		return lt_err_set(err, LT_ERULE, "%s is already named '%s'", rr->canon, name);
	json_t *extra = json_pack("{s:s}", "old_name", u->name);
	snprintf(u->name, sizeof u->name, "%s", name);
	u->decision = rr->d;
	lt_date_today(u->recorded);
	u->reorganized[0] = '\0';
	u->version++;
	if ((rc = lt__change_add(r, ctx, "rename", &rr->d, rr->effective, NULL,
				 json_pack("{s:s}", "renamed", rr->canon), &id, err)) ||
	    (rc = lt_store_unit_put(r->store, u, err))) {
		json_decref(extra);
		return rc;
	}
	if ((rc = lt__event_add(r, ctx, id, "rename", u, rr->effective, extra, err)) == LT_OK && change_id)
		*change_id = id;
	return rc;
}

int lt_registry_rename_in(struct lt_registry *r, const struct lt_ctx *ctx, const char *code, const char *name,
			  const struct lt_decision *dec, const char *effective, struct lt_unit *out, int64_t *change_id,
			  struct lt_err *err)
{
	struct rename_ready rr;
	struct lt_unit u;
	int rc = rename_check(ctx, code, name, dec, effective, &rr, err);
	if (rc == LT_OK)
		rc = rename_write(r, ctx, name, &rr, 0, &u, change_id, err);
	if (rc == LT_OK && out)
		*out = u;
	return rc;
}

int lt_registry_rename(struct lt_registry *r, const struct lt_ctx *ctx, const char *code, const char *name,
		       const struct lt_decision *dec, const char *effective_in, int64_t if_version, struct lt_unit *out,
		       struct lt_err *err)
{
	struct rename_ready rr;
	struct lt_unit u;
	int rc;
	if ((rc = rename_check(ctx, code, name, dec, effective_in, &rr, err)) || (rc = lt_store_begin(r->store, err)))
		return rc;
	rc = rename_write(r, ctx, name, &rr, if_version, &u, NULL, err);
	LT_TXN_END(r, rc, err);
	if (rc == LT_OK && out)
		*out = u;
	return rc;
}

int lt_registry_txn_begin(struct lt_registry *r, struct lt_err *err) { return lt_store_begin(r->store, err); }

int lt_registry_txn_part(struct lt_registry *r, enum lt_store_part what, struct lt_err *err)
{
	return lt_store_part(r->store, what, err);
}

int lt_registry_txn_end(struct lt_registry *r, bool commit, struct lt_err *err)
{
	int rc = commit ? LT_OK : LT_ERULE;
	LT_TXN_END(r, rc, err);
	return commit ? rc : LT_OK;
}
