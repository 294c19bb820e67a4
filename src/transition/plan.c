/* Applying a plan: every step through the registry's own calls for that
 * change (so its rules, its authorisation and its events are the ones a
 * change made alone gets), all in one transaction. Each step runs in a part
 * of the transaction of its own, so a refused step is undone alone and the
 * steps after it are still tried: the caller learns every refusal at once.
 * Any refusal, or a dry run, rolls the whole transaction back. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/access.h"
#include "transition_impl.h"

/* What an applied step made, for the steps after it to name. */
struct made {
	bool done;
	char (*units)[LT_CODE_BUFSZ];
	size_t n;
};

struct run {
	struct lt_registry *r;
	const struct lt_ctx *ctx;
	const struct plan *p;
	struct made *made;
	json_t *refusals;
	json_t *steps, *closed, *created, *moved, *renamed; /* the result's lists */
	struct lt_plan_change *changes;
	size_t n_changes;
	struct lt_err *err;
};

static int oom(struct lt_err *err) { return lt_err_set(err, LT_ENOMEM, "out of memory"); }

static const char *unit_name(struct run *x, const char *code, char *buf, size_t size)
{
	struct lt_unit u;
	buf[0] = '\0';
	if (lt_store_unit_get(lt_registry_store(x->r), code, &u, NULL) == LT_OK)
		snprintf(buf, size, "%s", u.name);
	return buf;
}

/* A slot's code: the literal, or what the step it names made. false (and a
 * refusal) when that step was refused. */
static bool resolve(struct run *x, int step, const struct slot *s, char out[LT_CODE_BUFSZ], const char *field)
{
	if (s->step < 0) {
		memcpy(out, s->code, LT_CODE_BUFSZ);
		return true;
	}
	const struct made *m = &x->made[s->step];
	size_t k = s->part < 0 ? 0 : (size_t)s->part;
	if (!m->done || k >= m->n) {
		lt__plan_refuse(x->refusals, step, field, LT_ERULE,
				"%s names the unit step %d makes, but step %d was refused", field, s->step, s->step);
		return false;
	}
	memcpy(out, m->units[k], LT_CODE_BUFSZ);
	return true;
}

static int made_add(struct made *m, const char *code)
{
	char(*v)[LT_CODE_BUFSZ] = realloc(m->units, (m->n + 1) * sizeof *v);
	if (!v)
		return LT_ENOMEM;
	m->units = v;
	snprintf(m->units[m->n++], LT_CODE_BUFSZ, "%s", code);
	return LT_OK;
}

/* Adds {code,name} entries to the step's list and the plan's. */
static void list_units(struct run *x, json_t *step_list, json_t *plan_list, const struct lt_codelist *codes, int step,
		       bool with_parent)
{
	for (size_t i = 0; i < codes->n; i++) {
		char name[LT_NAME_MAX];
		struct lt_unit u;
		json_t *o = json_pack("{s:s,s:s}", "code", codes->codes[i], "name",
				      unit_name(x, codes->codes[i], name, sizeof name));
		if (with_parent && lt_store_unit_get(lt_registry_store(x->r), codes->codes[i], &u, NULL) == LT_OK)
			json_object_set_new(o, "parent", json_string(u.parent));
		json_array_append(step_list, o);
		json_object_set_new(o, "step", json_integer(step));
		json_array_append_new(plan_list, o);
	}
}

static int reorg_step(struct run *x, int i, const struct pstep *s, json_t *out, int64_t *change_id)
{
	struct lt_reorg q = {
		.kind = (enum lt_reorg_kind)s->kind, .decision = x->p->d, .across_groups = s->across_groups};
	memcpy(q.effective, x->p->effective, sizeof q.effective);
	memcpy(q.reorganized, x->p->reorganized, sizeof q.reorganized);
	memcpy(q.recorded, x->p->recorded, sizeof q.recorded);
	char(*from)[LT_CODE_BUFSZ] = calloc(s->n_from + 1, sizeof *from);
	struct lt_new_unit *into = calloc(s->n_into + 1, sizeof *into);
	struct lt_reorg_result res = {0};
	int rc = from && into ? LT_OK : oom(x->err);
	bool resolved = rc == LT_OK;
	for (size_t k = 0; resolved && k < s->n_from; k++) {
		char field[32];
		snprintf(field, sizeof field, "from[%zu]", k);
		resolved = resolve(x, i, &s->from[k], from[k], field);
	}
	for (size_t k = 0; resolved && k < s->n_into; k++) {
		char field[32];
		snprintf(field, sizeof field, s->kind == SK_SPLIT ? "into[%zu].parent" : "into.parent", k);
		into[k] = s->into[k];
		resolved = resolve(x, i, &s->into_parent[k], into[k].parent, field);
	}
	if (resolved && s->has_into_code)
		resolved = resolve(x, i, &s->into_code, q.into_code, "into.code");
	if (rc == LT_OK && !resolved)
		rc = LT_ERULE; /* the refusal is listed */
	if (rc == LT_OK) {
		q.from = (const char(*)[LT_CODE_BUFSZ])from;
		q.n_from = s->n_from;
		q.into = s->n_into ? into : NULL;
		q.n_into = s->n_into;
		q.children = s->children;
		q.n_children = s->n_children;
		rc = lt_registry_reorganize_in(x->r, x->ctx, &q, &res, x->err);
	}
	struct made *m = &x->made[i];
	if (rc == LT_OK) {
		*change_id = res.id;
		/* The unit a later step may name. */
		if (s->kind == SK_MERGE)
			rc = made_add(m, q.into_code[0] ? q.into_code : res.created.codes[0]);
		else if (s->kind == SK_SPLIT)
			for (size_t k = 0; k < s->n_into && rc == LT_OK; k++)
				rc = made_add(m, res.created.codes[k]);
		else if (s->kind == SK_MOVE)
			for (size_t k = 0; k < res.n_moved && rc == LT_OK; k++)
				if (strcmp(res.moved[k].from, from[0]) == 0)
					rc = made_add(m, res.moved[k].to);
		if (rc)
			rc = oom(x->err);
	}
	if (rc == LT_OK) {
		json_t *closed = json_array(), *created = json_array(), *moved = json_array();
		list_units(x, closed, x->closed, &res.closed, i, false);
		list_units(x, created, x->created, &res.created, i, true);
		for (size_t k = 0; k < res.n_moved; k++) {
			char name[LT_NAME_MAX];
			json_t *o = json_pack("{s:s,s:s,s:s}", "from", res.moved[k].from, "to", res.moved[k].to, "name",
					      unit_name(x, res.moved[k].to, name, sizeof name));
			json_array_append(moved, o);
			json_object_set_new(o, "step", json_integer(i));
			json_array_append_new(x->moved, o);
		}
		json_object_set_new(out, "closed", closed);
		json_object_set_new(out, "created", created);
		json_object_set_new(out, "moved", moved);
	}
	lt_reorg_result_free(&res);
	free(from);
	free(into);
	return rc;
}

static int issue_step(struct run *x, int i, const struct pstep *s, json_t *out, int64_t *change_id)
{
	struct lt_issue q = {.number = s->number, .contact = s->contact, .decision = x->p->d};
	memcpy(q.effective, x->p->effective, sizeof q.effective);
	memcpy(q.reorganized, x->p->reorganized, sizeof q.reorganized);
	snprintf(q.name, sizeof q.name, "%s", s->name);
	if (!resolve(x, i, &s->parent, q.parent, "parent"))
		return LT_ERULE;
	struct lt_unit u;
	int rc = lt_registry_issue_in(x->r, x->ctx, &q, &u, change_id, x->err);
	if (rc)
		return rc;
	if (made_add(&x->made[i], u.code))
		return oom(x->err);
	json_t *o = json_pack("{s:s,s:s,s:s}", "code", u.code, "name", u.name, "parent", u.parent);
	json_object_set_new(out, "created", json_pack("[O]", o));
	json_object_set_new(o, "step", json_integer(i));
	json_array_append_new(x->created, o);
	return LT_OK;
}

static int rename_step(struct run *x, int i, const struct pstep *s, json_t *out, int64_t *change_id)
{
	char code[LT_CODE_BUFSZ], old[LT_NAME_MAX];
	if (!resolve(x, i, &s->code, code, "code"))
		return LT_ERULE;
	unit_name(x, code, old, sizeof old);
	struct lt_unit u;
	int rc = lt_registry_rename_in(x->r, x->ctx, code, s->name, &x->p->d, x->p->effective, &u, change_id, x->err);
	if (rc)
		return rc;
	if (made_add(&x->made[i], u.code))
		return oom(x->err);
	json_t *o = json_pack("{s:s,s:s,s:s}", "code", u.code, "old_name", old, "name", u.name);
	json_object_set_new(out, "renamed", json_pack("[O]", o));
	json_object_set_new(o, "step", json_integer(i));
	json_array_append_new(x->renamed, o);
	return LT_OK;
}

/* One step in a part of the transaction of its own. LT_OK also when the
 * step was refused (listed); another status stops the plan. */
static int run_step(struct run *x, int i)
{
	const struct pstep *s = &x->p->steps[i];
	int rc = lt_registry_txn_part(x->r, LT_PART_BEGIN, x->err);
	if (rc)
		return rc;
	json_t *out = json_pack("{s:i,s:s}", "step", i, "kind", lt__step_kinds[s->kind]);
	int64_t change_id = 0;
	lt_err_clear(x->err);
	if (s->kind == SK_ISSUE)
		rc = issue_step(x, i, s, out, &change_id);
	else if (s->kind == SK_RENAME)
		rc = rename_step(x, i, s, out, &change_id);
	else
		rc = reorg_step(x, i, s, out, &change_id);
	if (rc == LT_OK) {
		x->made[i].done = true;
		if (x->made[i].n == 1)
			json_object_set_new(out, "unit", json_string(x->made[i].units[0]));
		json_array_append_new(x->steps, out);
		if (change_id) {
			x->changes[x->n_changes].change_id = change_id;
			x->changes[x->n_changes++].step = i;
		}
		return lt_registry_txn_part(x->r, LT_PART_RELEASE, x->err);
	}
	json_decref(out);
	if (rc == LT_ENOMEM || rc == LT_EIO || rc == LT_ENOTREADY) {
		lt_registry_txn_part(x->r, LT_PART_ROLLBACK, NULL);
		return rc;
	}
	/* A refusal from the registry (those found here are listed already). */
	if (x->err->status != LT_OK)
		lt__plan_refuse(x->refusals, i, x->err->field, x->err->status, "%s", x->err->msg);
	return lt_registry_txn_part(x->r, LT_PART_ROLLBACK, x->err);
}

static json_t *decision_json(const struct plan *p)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "number", p->d.number, "date", p->d.date, "issuer", p->d.issuer, "kind",
			 p->kind);
}

/* The status the whole refusal answers with: the first refusal's. */
static int refusal_status(const json_t *refusals)
{
	static const int statuses[] = {LT_EINVAL, LT_ENOTFOUND, LT_ECONFLICT, LT_ERULE, LT_EAUTH, LT_EFORBIDDEN};
	const char *code = json_string_value(json_object_get(json_array_get(refusals, 0), "code"));
	for (size_t i = 0; code && i < sizeof statuses / sizeof statuses[0]; i++)
		if (strcmp(code, lt_status_name(statuses[i])) == 0)
			return statuses[i];
	return LT_ERULE;
}

static long long step_key(const json_t *refusal)
{
	json_t *s = json_object_get(refusal, "step");
	return json_is_integer(s) ? json_integer_value(s) : -1;
}

/* In step order (the plan's own first), each step's in the order found:
 * those found before the registry was read, then the registry's. */
static void sort_refusals(json_t *refusals)
{
	size_t n = json_array_size(refusals);
	for (size_t i = 1; i < n; i++)
		for (size_t k = i;
		     k > 0 && step_key(json_array_get(refusals, k - 1)) > step_key(json_array_get(refusals, k)); k--) {
			json_t *a = json_incref(json_array_get(refusals, k - 1));
			json_array_set(refusals, k - 1, json_array_get(refusals, k));
			json_array_set_new(refusals, k, a);
		}
}

static int refused(json_t *refusals, json_t **out, struct lt_err *err)
{
	sort_refusals(refusals);
	json_t *first = json_array_get(refusals, 0);
	json_t *step = json_object_get(first, "step");
	char where[32] = "the plan";
	if (json_is_integer(step))
		snprintf(where, sizeof where, "step %lld", (long long)json_integer_value(step));
	size_t n = json_array_size(refusals);
	int status = refusal_status(refusals);
	lt_err_set(err, status, "the plan was refused (%zu refusal%s; nothing was written); first, %s: %s", n,
		   n == 1 ? "" : "s", where, json_string_value(json_object_get(first, "reason")));
	const char *field = json_string_value(json_object_get(first, "field"));
	if (field)
		lt_err_field(err, status, field);
	if (out)
		*out = json_incref(refusals);
	return status;
}

static int store_plan(struct run *x, const json_t *plan, json_t *result, int64_t *id)
{
	struct lt_plan_row row = {.decision = x->p->d};
	snprintf(row.decision_kind, sizeof row.decision_kind, "%s", x->p->kind);
	memcpy(row.effective, x->p->effective, sizeof row.effective);
	lt_time_now(row.at);
	lt_ctx_actor(x->ctx, row.actor, sizeof row.actor);
	row.title = x->p->title;
	char *body = json_dumps(plan, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *res = json_dumps(result, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = body && res ? LT_OK : oom(x->err);
	row.body = body;
	row.result = res;
	if (rc == LT_OK)
		rc = lt_store_plan_add(lt_registry_store(x->r), &row, x->changes, x->n_changes, x->err);
	*id = row.id;
	free(body);
	free(res);
	return rc;
}

/* The whole run. own_txn: this call opens and ends the transaction
 * (rolled back for a dry run or a refusal); otherwise it writes in the
 * caller's, which the caller ends. */
static int run_plan(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *plan, bool dry_run, bool own_txn,
		    json_t **result, json_t **refusals_out, struct lt_err *err)
{
	*result = NULL;
	if (refusals_out)
		*refusals_out = NULL;
	int rc = lt_access_plan(&ctx->who, err);
	if (rc)
		return rc;
	struct plan p;
	json_t *refusals = json_array();
	struct run x = {.r = r, .ctx = ctx, .p = &p, .refusals = refusals, .err = err};
	if ((rc = lt__plan_parse(plan, &p, refusals, err)))
		goto out;
	if (!p.n) {
		rc = refused(refusals, refusals_out, err);
		goto out;
	}
	x.made = calloc(p.n, sizeof *x.made);
	x.changes = calloc(p.n, sizeof *x.changes);
	x.steps = json_array();
	x.closed = json_array();
	x.created = json_array();
	x.moved = json_array();
	x.renamed = json_array();
	if (!x.made || !x.changes) {
		rc = oom(err);
		goto out;
	}
	if (own_txn && (rc = lt_registry_txn_begin(r, err)))
		goto out;
	/* Steps refused before the registry was read are skipped, so the
	 * refusals the registry would give the others are still listed. */
	for (size_t i = 0; i < p.n && rc == LT_OK; i++)
		if (p.steps[i].ok)
			rc = run_step(&x, (int)i);
	if (rc != LT_OK || json_array_size(refusals) || (own_txn && dry_run)) {
		if (own_txn)
			lt_registry_txn_end(r, false, NULL);
		if (rc == LT_OK && json_array_size(refusals))
			rc = refused(refusals, refusals_out, err);
		if (rc)
			goto out;
	}
	json_t *res = json_pack("{s:n,s:b,s:o,s:s,s:s,s:O,s:O,s:O,s:O,s:O}", "id", "dry_run", dry_run, "decision",
				decision_json(&p), "effective", p.effective, "title", p.title, "steps", x.steps,
				"closed", x.closed, "created", x.created, "moved", x.moved, "renamed", x.renamed);
	if (!res) {
		rc = oom(err);
		if (own_txn && !dry_run)
			lt_registry_txn_end(r, false, NULL);
		goto out;
	}
	if (!dry_run) {
		int64_t id = 0;
		json_object_del(res, "id");
		json_object_del(res, "dry_run");
		rc = store_plan(&x, plan, res, &id);
		if (own_txn) {
			if (rc == LT_OK)
				rc = lt_registry_txn_end(r, true, err);
			else
				lt_registry_txn_end(r, false, NULL);
		}
		if (rc) {
			json_decref(res);
			goto out;
		}
		json_object_set_new(res, "id", json_integer(id));
		json_object_set_new(res, "dry_run", json_false());
	}
	*result = res;
out:
	for (size_t i = 0; x.made && i < p.n; i++)
		free(x.made[i].units);
	free(x.made);
	free(x.changes);
	json_decref(x.steps);
	json_decref(x.closed);
	json_decref(x.created);
	json_decref(x.moved);
	json_decref(x.renamed);
	json_decref(refusals);
	lt__plan_free(&p);
	return rc;
}

int lt_plan_apply(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *plan, bool dry_run, json_t **result,
		  json_t **refusals, struct lt_err *err)
{
	return run_plan(r, ctx, plan, dry_run, true, result, refusals, err);
}

int lt_plan_apply_in(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *plan, json_t **result,
		     json_t **refusals, struct lt_err *err)
{
	return run_plan(r, ctx, plan, false, false, result, refusals, err);
}
