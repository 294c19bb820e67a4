/* Issue, contact update and rename: the changes that touch one unit. Each is
 * one transaction: the unit row, its change record and its event, or nothing. */
#include <string.h>

#include "lienthong/access.h"
#include "registry_impl.h"

int lt_registry_issue(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_issue *req,
		      struct lt_unit *created, struct lt_err *err)
{
	char parent[LT_CODE_BUFSZ], effective[LT_DATE_BUFSZ], reorganized[LT_DATE_BUFSZ] = "";
	struct lt_decision d;
	int rc;
	if ((rc = lt__code_canon(req->parent, parent, err)) || (rc = lt_access_write(&ctx->who, parent, err)) ||
	    (rc = lt__name_check(req->name, err)) || (rc = lt__contact_check(&req->contact, err)) ||
	    (rc = lt__decision_check(&req->decision, &d, err)) ||
	    (rc = lt__effective_check(req->effective, effective, err)))
		return rc;
	if (req->reorganized[0] && lt_date_parse(req->reorganized, reorganized, err))
		return lt_err_field(err, lt_err_prefix(err, "reorganized: "), "reorganized");
	if ((rc = lt_store_begin(r->store, err)))
		return rc;
	struct lt_unit p, u = {0};
	int64_t change_id = 0;
	if ((rc = lt__get_active(r, parent, &p, err)) || (rc = lt__check_not_before(r, parent, effective, err)))
		goto done;
	if (req->number > lt_code_max_number(p.level + 1)) {
		rc = lt_err_set(err, LT_EINVAL, "number %u is outside 1..%u for a level-%d unit", req->number,
				lt_code_max_number(p.level + 1), p.level + 1);
		lt_err_field(err, rc, "number");
		goto done;
	}
	if ((rc = lt__allocate(r, parent, req->number, u.code, err)))
		goto done;
	snprintf(u.parent, sizeof u.parent, "%s", parent);
	u.level = p.level + 1;
	snprintf(u.name, sizeof u.name, "%s", req->name);
	u.contact = req->contact;
	u.status = LT_UNIT_ACTIVE;
	snprintf(u.valid_from, sizeof u.valid_from, "%s", effective);
	u.decision = d;
	snprintf(u.reorganized, sizeof u.reorganized, "%s", reorganized);
	lt_date_today(u.recorded);
	u.version = 1;
	if ((rc = lt__change_add(r, ctx, "issue", &d, effective, reorganized, json_pack("{s:[s]}", "created", u.code),
				 &change_id, err)) ||
	    (rc = lt_store_unit_put(r->store, &u, err)) ||
	    (rc = lt__event_add(r, ctx, change_id, "issue", &u, effective, NULL, err)))
		goto done;
done:
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

int lt_registry_rename(struct lt_registry *r, const struct lt_ctx *ctx, const char *code, const char *name,
		       const struct lt_decision *dec, const char *effective_in, int64_t if_version, struct lt_unit *out,
		       struct lt_err *err)
{
	char canon[LT_CODE_BUFSZ], effective[LT_DATE_BUFSZ];
	struct lt_decision d;
	int rc;
	if ((rc = lt__code_canon(code, canon, err)) || (rc = lt_access_reorganise(&ctx->who, canon, err)) ||
	    (rc = lt__name_check(name, err)) || (rc = lt__decision_check(dec, &d, err)) ||
	    (rc = lt__effective_check(effective_in, effective, err)))
		return rc;
	if ((rc = lt_store_begin(r->store, err)))
		return rc;
	struct lt_unit u;
	int64_t change_id = 0;
	if ((rc = lt__get_active(r, canon, &u, err)) || (rc = version_check(&u, if_version, err)) ||
	    (rc = lt__check_not_before(r, canon, effective, err)))
		goto done;
	if (strcmp(u.name, name) == 0) {
		rc = lt_err_set(err, LT_ERULE, "%s is already named '%s'", canon, name);
		goto done;
	}
	json_t *extra = json_pack("{s:s}", "old_name", u.name);
	snprintf(u.name, sizeof u.name, "%s", name);
	u.decision = d;
	lt_date_today(u.recorded);
	u.reorganized[0] = '\0';
	u.version++;
	if ((rc = lt__change_add(r, ctx, "rename", &d, effective, NULL, json_pack("{s:s}", "renamed", canon),
				 &change_id, err)) ||
	    (rc = lt_store_unit_put(r->store, &u, err))) {
		json_decref(extra);
		goto done;
	}
	rc = lt__event_add(r, ctx, change_id, "rename", &u, effective, extra, err);
done:
	LT_TXN_END(r, rc, err);
	if (rc == LT_OK && out)
		*out = u;
	return rc;
}
