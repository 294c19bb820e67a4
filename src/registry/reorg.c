/* Reorganisations: move, split, merge and dissolve (design.md §4). A closing
 * unit never orphans its children: they move under the successor, each with
 * a new code and a successor link, their own subtrees with them. The whole
 * operation is one transaction; a dry run computes it and rolls back. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/access.h"
#include "registry_impl.h"
#include "util/grow.h"

static const char *kind_names[] = {"move", "split", "merge", "dissolve"};

struct reorg {
	struct lt_registry *r;
	const struct lt_ctx *ctx;
	const struct lt_reorg *req;
	const char *kind;
	struct lt_decision d;
	char effective[LT_DATE_BUFSZ];
	char reorganized[LT_DATE_BUFSZ];
	char recorded[LT_DATE_BUFSZ]; /* today, or the day history brought in says */
	int64_t change_id;
	struct lt_reorg_result *res;
	struct lt_err *err;
};

void lt_reorg_result_free(struct lt_reorg_result *res)
{
	lt_codelist_free(&res->created);
	lt_codelist_free(&res->closed);
	free(res->moved);
	json_decref(res->names);
	memset(res, 0, sizeof *res);
}

static int oom(struct lt_err *err) { return lt_err_set(err, LT_ENOMEM, "out of memory"); }

static int add_moved(struct lt_reorg_result *res, const char *from, const char *to)
{
	if (lt__grow(&res->moved, res->n_moved, &res->cap_moved, sizeof *res->moved))
		return LT_ENOMEM;
	snprintf(res->moved[res->n_moved].from, LT_CODE_BUFSZ, "%s", from);
	snprintf(res->moved[res->n_moved].to, LT_CODE_BUFSZ, "%s", to);
	res->n_moved++;
	return LT_OK;
}

/* A snapshot of a unit's active children, taken before anything moves. */
struct unit_list {
	struct lt_unit *v;
	size_t n, cap;
};

static int collect_unit(void *ctx, const struct lt_unit *u)
{
	struct unit_list *l = ctx;
	if (lt__grow(&l->v, l->n, &l->cap, sizeof *l->v))
		return LT_ENOMEM;
	l->v[l->n++] = *u;
	return LT_OK;
}

static int active_children(struct reorg *g, const char *code, struct unit_list *out)
{
	int rc = lt_store_children(g->r->store, code, LT_FILTER_ACTIVE, collect_unit, out, g->err);
	return rc == LT_ENOMEM ? oom(g->err) : rc;
}

/* The deepest level present in the active subtree of u (u's own level if none). */
static int subtree_depth(struct reorg *g, const struct lt_unit *u, int *depth)
{
	struct unit_list l = {0};
	int rc = lt_store_subtree(g->r->store, u->code, LT_FILTER_ACTIVE, collect_unit, &l, g->err);
	*depth = u->level;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].level > *depth)
			*depth = l.v[i].level;
	free(l.v);
	return rc == LT_ENOMEM ? oom(g->err) : rc;
}

/* Refuses placing the subtree of u (now at its level) directly under a unit
 * of parent_level when the result would need a fifth level. */
static int check_fits(struct reorg *g, const struct lt_unit *u, int parent_level)
{
	int depth, rc = subtree_depth(g, u, &depth);
	if (rc)
		return rc;
	int deepest = parent_level + 1 + (depth - u->level);
	if (deepest > 4)
		return lt_err_set(g->err, LT_ERULE,
				  "%s and its subtree are %d levels deep: under a level-%d unit they would need "
				  "level %d, and codes stop at level 4",
				  u->code, depth - u->level + 1, parent_level, deepest);
	return LT_OK;
}

/* A change dated before the last one recorded for a unit would make as-of
 * reads show a state that never stood: a moved descendant still active after
 * its later rename, or a new unit under a parent that did not exist yet. So
 * every unit whose history this change writes to, and the parent of every
 * unit it creates, is held to the rule the from units are. role tells the
 * reader why a unit they did not name in from is involved. */
static int check_dated(struct reorg *g, const char *code, const char *role)
{
	int rc = lt__check_not_before(g->r, code, g->effective, g->err);
	if (rc)
		lt_err_prefix(g->err, "%s: ", role);
	return rc;
}

static json_t *codes_json(const char *const *codes, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(codes[i]));
	return a;
}

/* Closes u with the given successors (none for a dissolution). */
static int close_unit(struct reorg *g, struct lt_unit *u, const char *const *succ, size_t n_succ)
{
	int rc;
	u->status = LT_UNIT_CLOSED;
	snprintf(u->valid_to, sizeof u->valid_to, "%s", g->effective);
	u->decision = g->d;
	snprintf(u->reorganized, sizeof u->reorganized, "%s", g->reorganized);
	memcpy(u->recorded, g->recorded, sizeof u->recorded);
	u->version++;
	if ((rc = lt_store_unit_put(g->r->store, u, g->err)))
		return rc;
	for (size_t i = 0; i < n_succ; i++)
		if ((rc = lt_store_lineage_add(g->r->store, u->code, succ[i], g->change_id, g->err)))
			return rc;
	if ((rc = lt__event_add(g->r, g->ctx, g->change_id, g->kind, u, g->effective,
				json_pack("{s:o}", "successors", codes_json(succ, n_succ)), g->err)))
		return rc;
	return lt_codelist_add(&g->res->closed, u->code) ? oom(g->err) : LT_OK;
}

/* Fills the fields every unit created by this reorganisation shares. */
static void init_created(struct reorg *g, struct lt_unit *u, const struct lt_unit *parent)
{
	snprintf(u->parent, sizeof u->parent, "%s", parent->code);
	u->level = parent->level + 1;
	u->status = LT_UNIT_ACTIVE;
	snprintf(u->valid_from, sizeof u->valid_from, "%s", g->effective);
	u->valid_to[0] = '\0';
	u->decision = g->d;
	snprintf(u->reorganized, sizeof u->reorganized, "%s", g->reorganized);
	memcpy(u->recorded, g->recorded, sizeof u->recorded);
	u->version = 1;
}

/* Issues a brand-new unit (the target of a merge or one part of a split). */
static int new_unit(struct reorg *g, const struct lt_new_unit *spec, struct lt_unit *out)
{
	struct lt_unit p;
	int rc;
	if ((rc = lt__get_active(g->r, spec->parent, &p, g->err)) ||
	    (rc = check_dated(g, p.code, "the parent of a new unit")) ||
	    (rc = lt__allocate(g->r, p.code, spec->number, out->code, g->err)))
		return rc;
	snprintf(out->name, sizeof out->name, "%s", spec->name);
	memset(&out->contact, 0, sizeof out->contact);
	init_created(g, out, &p);
	if ((rc = lt_store_unit_put(g->r->store, out, g->err)) ||
	    (rc = lt__event_add(g->r, g->ctx, g->change_id, g->kind, out, g->effective, NULL, g->err)))
		return rc;
	return lt_codelist_add(&g->res->created, out->code) ? oom(g->err) : LT_OK;
}

/* Moves the active unit old, with its whole active subtree, under parent:
 * old closes with the new code as successor. It takes number when that is
 * not 0 (refused unless never used under the new parent, as for an issue);
 * otherwise it keeps its own number when that was never used there. The
 * parent's date is not checked here: an existing parent is checked by the
 * caller, before anything is written; any other was created by this very
 * change, on its date. */
static int move_subtree(struct reorg *g, struct lt_unit *old, const struct lt_unit *parent, unsigned number)
{
	struct unit_list kids = {0};
	struct lt_unit nu = *old;
	int rc;
	if ((rc = check_dated(g, old->code, "in a subtree that moves")) || (rc = active_children(g, old->code, &kids)))
		goto out;
	struct lt_code oc;
	lt_code_parse(&oc, old->code, LT_CODE_LENIENT, NULL);
	if (number)
		rc = lt__allocate(g->r, parent->code, number, nu.code, g->err);
	else if (lt__allocate(g->r, parent->code, lt_code_number(&oc), nu.code, NULL) != LT_OK)
		rc = lt__allocate(g->r, parent->code, 0, nu.code, g->err);
	if (rc)
		goto out;
	init_created(g, &nu, parent);
	const char *pred = old->code, *succ = nu.code;
	if ((rc = lt_store_unit_put(g->r->store, &nu, g->err)) ||
	    (rc = lt__event_add(g->r, g->ctx, g->change_id, g->kind, &nu, g->effective,
				json_pack("{s:o}", "predecessors", codes_json(&pred, 1)), g->err)))
		goto out;
	if (lt_codelist_add(&g->res->created, nu.code) || add_moved(g->res, old->code, nu.code)) {
		rc = oom(g->err);
		goto out;
	}
	/* Systems follow their unit (design.md §4). */
	if ((rc = lt_store_system_rebind(g->r->store, old->code, nu.code, g->err)))
		goto out;
	if ((rc = close_unit(g, old, &succ, 1)))
		goto out;
	for (size_t i = 0; i < kids.n && rc == LT_OK; i++)
		rc = move_subtree(g, &kids.v[i], &nu, 0);
out:
	free(kids.v);
	return rc;
}

/* Records the successor side of a merge on an existing target: every unit
 * of from (canonical codes, as loaded) is a predecessor. */
static int mark_predecessors(struct reorg *g, struct lt_unit *target, const struct lt_unit *from)
{
	size_t n = g->req->n_from;
	const char **preds = calloc(n, sizeof *preds);
	if (!preds)
		return oom(g->err);
	for (size_t i = 0; i < n; i++)
		preds[i] = from[i].code;
	target->decision = g->d;
	snprintf(target->reorganized, sizeof target->reorganized, "%s", g->reorganized);
	memcpy(target->recorded, g->recorded, sizeof target->recorded);
	target->version++;
	int rc = lt_store_unit_put(g->r->store, target, g->err);
	if (rc == LT_OK)
		rc = lt__event_add(g->r, g->ctx, g->change_id, g->kind, target, g->effective,
				   json_pack("{s:o}", "predecessors", codes_json(preds, n)), g->err);
	free(preds);
	return rc;
}

/* Loads and checks the units of "from": each active, each once. */
static int load_from(struct reorg *g, struct lt_unit *units)
{
	const struct lt_reorg *q = g->req;
	for (size_t i = 0; i < q->n_from; i++) {
		char canon[LT_CODE_BUFSZ];
		int rc;
		if ((rc = lt__code_canon(q->from[i], canon, g->err)) ||
		    (rc = lt__get_active(g->r, canon, &units[i], g->err)))
			return rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(units[k].code, canon) == 0)
				return lt_err_set(g->err, LT_EINVAL, "%s is listed twice in from", canon);
		if ((rc = lt__check_not_before(g->r, canon, g->effective, g->err)))
			return rc;
	}
	/* A unit's subtree moves with it; naming a descendant as well would close
	 * it twice. Dissolution is the exception: it closes the deepest first. */
	for (size_t i = 0; q->kind != LT_REORG_DISSOLVE && i < q->n_from; i++)
		for (size_t k = 0; k < q->n_from; k++) {
			struct lt_code a, b;
			lt_code_parse(&a, units[k].code, LT_CODE_LENIENT, NULL);
			lt_code_parse(&b, units[i].code, LT_CODE_LENIENT, NULL);
			if (i != k && lt_code_is_ancestor(&a, &b))
				return lt_err_set(g->err, LT_EINVAL,
						  "%s lies inside %s, which this change also closes: list only %s "
						  "(its subtree goes with it)",
						  units[i].code, units[k].code, units[k].code);
		}
	return LT_OK;
}

/* Refuses a target that is one of the closing units or inside their subtrees. */
static int check_outside(struct reorg *g, const struct lt_unit *target, const struct lt_unit *from, size_t n)
{
	struct lt_code t, f;
	lt_code_parse(&t, target->code, LT_CODE_LENIENT, NULL);
	for (size_t i = 0; i < n; i++) {
		lt_code_parse(&f, from[i].code, LT_CODE_LENIENT, NULL);
		if (lt_code_equal(&t, &f))
			return lt_err_set(g->err, LT_ERULE, "%s cannot be both closed and the target", target->code);
		if (lt_code_is_ancestor(&f, &t))
			return lt_err_set(g->err, LT_ERULE,
					  "cycle: %s lies inside the subtree of %s, which this change closes",
					  target->code, from[i].code);
	}
	return LT_OK;
}

static int children_into(struct reorg *g, const struct lt_unit *from, const struct lt_unit *target)
{
	struct unit_list kids = {0};
	int rc = active_children(g, from->code, &kids);
	for (size_t i = 0; i < kids.n && rc == LT_OK; i++)
		rc = check_fits(g, &kids.v[i], target->level);
	for (size_t i = 0; i < kids.n && rc == LT_OK; i++)
		rc = move_subtree(g, &kids.v[i], target, 0);
	free(kids.v);
	return rc;
}

static int do_move(struct reorg *g, struct lt_unit *from)
{
	const struct lt_reorg *q = g->req;
	if (q->n_from != 1 || q->n_into != 1 || !q->into[0].parent[0])
		return lt_err_set(g->err, LT_EINVAL, "a move takes one unit in from and into {\"parent\": code}");
	struct lt_unit parent;
	char canon[LT_CODE_BUFSZ];
	int rc;
	if ((rc = lt__code_canon(q->into[0].parent, canon, g->err)) ||
	    (rc = lt__get_active(g->r, canon, &parent, g->err)))
		return rc;
	if (strcmp(from->parent, parent.code) == 0)
		return lt_err_set(g->err, LT_ERULE, "%s is already under %s", from->code, parent.code);
	if ((rc = check_outside(g, &parent, from, 1)) || (rc = check_fits(g, from, parent.level)) ||
	    (rc = check_dated(g, parent.code, "the new parent")))
		return rc;
	/* Checked here, before anything is written, in the words of an issue;
	 * whether the number was ever used is the allocator's to say. */
	unsigned number = q->into[0].number, max = lt_code_max_number(parent.level + 1);
	if (number > max)
		return lt_err_set(g->err, LT_EINVAL, "into.number %u is outside 1..%u for a level-%d unit", number, max,
				  parent.level + 1);
	return move_subtree(g, from, &parent, number);
}

/* A merge joins units of one letter group (design.md §3: UBND are H,
 * HĐND K, Party committees A); joining an HĐND into a UBND is a real case
 * but rare enough that the request must say it means it. */
static int check_groups(struct reorg *g, const char *target, const struct lt_unit *from, size_t n)
{
	if (g->req->across_groups)
		return LT_OK;
	struct lt_code t, f;
	lt_code_parse(&t, target, LT_CODE_LENIENT, NULL);
	for (size_t i = 0; i < n; i++) {
		lt_code_parse(&f, from[i].code, LT_CODE_LENIENT, NULL);
		if (f.letter != t.letter)
			return lt_err_field(g->err,
					    lt_err_set(g->err, LT_ERULE,
						       "%s (group %c) would merge into %s (group %c): a merge across "
						       "letter groups needs \"across_groups\": true",
						       from[i].code, f.letter, target, t.letter),
					    "across_groups");
	}
	return LT_OK;
}

static int do_merge(struct reorg *g, struct lt_unit *from)
{
	const struct lt_reorg *q = g->req;
	struct lt_unit target;
	int rc;
	bool existing = q->into_code[0] != '\0';
	if (existing == (q->n_into > 0))
		return lt_err_set(g->err, LT_EINVAL,
				  "a merge goes into an existing unit {\"code\"} or a new one {\"parent\",\"name\"}");
	if (existing) {
		char canon[LT_CODE_BUFSZ];
		if ((rc = lt__code_canon(q->into_code, canon, g->err)) ||
		    (rc = lt__get_active(g->r, canon, &target, g->err)) ||
		    (rc = check_outside(g, &target, from, q->n_from)) ||
		    (rc = check_groups(g, target.code, from, q->n_from)) ||
		    (rc = check_dated(g, target.code, "the merge target")))
			return rc;
	} else {
		if (q->n_into != 1)
			return lt_err_set(g->err, LT_EINVAL, "a merge has exactly one successor");
		if (q->n_from < 2)
			return lt_err_set(
				g->err, LT_EINVAL,
				"a merge into a new unit joins two or more units; to move one unit, use move");
		struct lt_unit parent;
		char canon[LT_CODE_BUFSZ];
		if ((rc = lt__name_check(q->into[0].name, g->err)) ||
		    (rc = lt__code_canon(q->into[0].parent, canon, g->err)) ||
		    (rc = lt__get_active(g->r, canon, &parent, g->err)) ||
		    (rc = check_outside(g, &parent, from, q->n_from)) ||
		    (rc = check_groups(g, parent.code, from, q->n_from)))
			return rc;
		if ((rc = new_unit(g, &q->into[0], &target)))
			return rc;
	}
	const char *succ = target.code;
	for (size_t i = 0; i < q->n_from; i++) {
		/* Re-read: an earlier step may have changed nothing here, but the
		 * version must be the stored one. */
		if ((rc = lt_store_unit_get(g->r->store, from[i].code, &from[i], g->err)) ||
		    (rc = children_into(g, &from[i], &target)) || (rc = close_unit(g, &from[i], &succ, 1)))
			return rc;
	}
	if (existing) {
		if ((rc = lt_store_unit_get(g->r->store, target.code, &target, g->err)))
			return rc;
		return mark_predecessors(g, &target, from);
	}
	return LT_OK;
}

static int do_split(struct reorg *g, struct lt_unit *from)
{
	const struct lt_reorg *q = g->req;
	if (q->n_from != 1)
		return lt_err_set(g->err, LT_EINVAL, "a split closes exactly one unit");
	if (q->n_into < 2)
		return lt_err_set(g->err, LT_EINVAL, "a split creates two or more units in into");
	struct unit_list kids = {0};
	struct lt_unit *created = calloc(q->n_into, sizeof *created);
	const char **succ = calloc(q->n_into, sizeof *succ);
	int rc = created && succ ? LT_OK : oom(g->err);
	if (rc == LT_OK)
		rc = active_children(g, from->code, &kids);
	/* Every active child placed exactly once, and nothing else named. */
	for (size_t i = 0; i < q->n_children && rc == LT_OK; i++) {
		bool found = false;
		for (size_t k = 0; k < kids.n; k++)
			found |= strcmp(kids.v[k].code, q->children[i].child) == 0;
		if (!found)
			rc = lt_err_set(g->err, LT_EINVAL, "children: %s is not an active child of %s",
					q->children[i].child, from->code);
		else if (q->children[i].into >= q->n_into)
			rc = lt_err_set(g->err, LT_EINVAL, "children: %s goes to into[%zu], but into has %zu units",
					q->children[i].child, q->children[i].into, q->n_into);
		for (size_t k = 0; k < i && rc == LT_OK; k++)
			if (strcmp(q->children[k].child, q->children[i].child) == 0)
				rc = lt_err_set(g->err, LT_EINVAL, "children: %s is placed twice",
						q->children[i].child);
	}
	for (size_t k = 0; k < kids.n && rc == LT_OK; k++) {
		bool placed = false;
		for (size_t i = 0; i < q->n_children; i++)
			placed |= strcmp(kids.v[k].code, q->children[i].child) == 0;
		if (!placed)
			rc = lt_err_set(g->err, LT_ERULE,
					"%s has active child %s that the split does not place: say which new unit "
					"takes it in \"children\"",
					from->code, kids.v[k].code);
	}
	for (size_t i = 0; i < q->n_into && rc == LT_OK; i++) {
		struct lt_unit parent;
		char canon[LT_CODE_BUFSZ];
		if ((rc = lt__name_check(q->into[i].name, g->err)) ||
		    (rc = lt__code_canon(q->into[i].parent, canon, g->err)) ||
		    (rc = lt__get_active(g->r, canon, &parent, g->err)) || (rc = check_outside(g, &parent, from, 1)))
			break;
		for (size_t k = 0; k < q->n_children && rc == LT_OK; k++)
			if (q->children[k].into == i)
				for (size_t c = 0; c < kids.n && rc == LT_OK; c++)
					if (strcmp(kids.v[c].code, q->children[k].child) == 0)
						rc = check_fits(g, &kids.v[c], parent.level + 1);
	}
	for (size_t i = 0; i < q->n_into && rc == LT_OK; i++) {
		rc = new_unit(g, &q->into[i], &created[i]);
		succ[i] = created[i].code;
	}
	for (size_t i = 0; i < q->n_children && rc == LT_OK; i++)
		for (size_t k = 0; k < kids.n && rc == LT_OK; k++)
			if (strcmp(kids.v[k].code, q->children[i].child) == 0)
				rc = move_subtree(g, &kids.v[k], &created[q->children[i].into], 0);
	if (rc == LT_OK && (rc = lt_store_unit_get(g->r->store, from->code, from, g->err)) == LT_OK)
		rc = close_unit(g, from, succ, q->n_into);
	free(kids.v);
	free(created);
	free(succ);
	return rc;
}

static int do_dissolve(struct reorg *g, struct lt_unit *from)
{
	int rc = LT_OK;
	/* Deepest first, so a unit and its children can be dissolved together. */
	for (int level = 4; level >= 1 && rc == LT_OK; level--)
		for (size_t i = 0; i < g->req->n_from && rc == LT_OK; i++) {
			if (from[i].level != level)
				continue;
			struct unit_list kids = {0};
			if ((rc = active_children(g, from[i].code, &kids)) == LT_OK && kids.n)
				rc = lt_err_set(g->err, LT_ERULE,
						"%s still has %zu active child unit%s (first: %s): move or dissolve "
						"them first",
						from[i].code, kids.n, kids.n == 1 ? "" : "s", kids.v[0].code);
			free(kids.v);
			if (rc == LT_OK &&
			    (rc = lt_store_unit_get(g->r->store, from[i].code, &from[i], g->err)) == LT_OK)
				rc = close_unit(g, &from[i], NULL, 0);
		}
	return rc;
}

/* What each kind takes, judged before anything is read, whichever front
 * built the request. */
static int check_shape(const struct lt_reorg *q, const char *kind, struct lt_err *err)
{
	if (q->n_from == 0 || q->n_from > LT_REORG_MAX_UNITS)
		return lt_err_set(err, LT_EINVAL, "field 'from' must list 1 to %d codes, not %zu", LT_REORG_MAX_UNITS,
				  q->n_from);
	if (q->n_into > LT_REORG_MAX_UNITS)
		return lt_err_set(err, LT_EINVAL, "field 'into' lists %zu new units; at most %d", q->n_into,
				  LT_REORG_MAX_UNITS);
	if (q->n_children && q->kind != LT_REORG_SPLIT)
		return lt_err_set(err, LT_EINVAL,
				  "'children' places the children of a split; a %s moves them with their parent", kind);
	if (q->into_code[0] && q->kind != LT_REORG_MERGE)
		return lt_err_set(err, LT_EINVAL, "'into.code' (an existing unit) is for a merge only");
	if (q->kind == LT_REORG_DISSOLVE && q->n_into)
		return lt_err_set(err, LT_EINVAL, "a dissolve takes no 'into'");
	if (q->kind != LT_REORG_DISSOLVE && !q->n_into && !q->into_code[0])
		return lt_err_set(err, LT_EINVAL, "a %s needs 'into'", kind);
	/* A name changes by a rename, on its own decision and in its own
	 * history entry, never as a side effect of a move. */
	if (q->kind == LT_REORG_MOVE && q->n_into == 1 && q->into[0].name[0])
		return lt_err_set(
			err, LT_EINVAL,
			"a move keeps the unit's name: leave out 'into.name' and rename it as a change of its own");
	return LT_OK;
}

/* A manager reorganises only strictly below its root, and places new units
 * and merges only inside its subtree. */
static int may_reorganise(const struct lt_principal *who, const struct lt_reorg *q, struct lt_err *err)
{
	int rc = LT_OK;
	for (size_t i = 0; rc == LT_OK && i < q->n_from; i++)
		rc = lt_access_reorganise(who, q->from[i], err);
	for (size_t i = 0; rc == LT_OK && q->into && i < q->n_into; i++)
		rc = lt_access_write(who, q->into[i].parent, err);
	if (rc == LT_OK && q->into_code[0])
		rc = lt_access_write(who, q->into_code, err);
	return rc;
}

static json_t *request_summary(const struct lt_reorg *q)
{
	json_t *from = json_array();
	for (size_t i = 0; i < q->n_from; i++)
		json_array_append_new(from, json_string(q->from[i]));
	json_t *o = json_pack("{s:s,s:o}", "kind", kind_names[q->kind], "from", from);
	if (q->into_code[0])
		json_object_set_new(o, "into", json_string(q->into_code));
	return o;
}

static int name_code(struct reorg *g, const char *code)
{
	if (json_object_get(g->res->names, code))
		return LT_OK;
	struct lt_unit u;
	int rc = lt_store_unit_get(g->r->store, code, &u, g->err);
	if (rc)
		return rc;
	return json_object_set_new(g->res->names, code, json_string(u.name)) ? oom(g->err) : LT_OK;
}

/* A dry run names every code it shows, so a preview reads as units. */
static int name_codes(struct reorg *g)
{
	struct lt_reorg_result *res = g->res;
	if (!(res->names = json_object()))
		return oom(g->err);
	int rc = LT_OK;
	for (size_t i = 0; rc == LT_OK && i < res->created.n; i++)
		rc = name_code(g, res->created.codes[i]);
	for (size_t i = 0; rc == LT_OK && i < res->closed.n; i++)
		rc = name_code(g, res->closed.codes[i]);
	for (size_t i = 0; rc == LT_OK && i < res->n_moved; i++)
		if ((rc = name_code(g, res->moved[i].from)) == LT_OK)
			rc = name_code(g, res->moved[i].to);
	return rc;
}

/* Everything judged before the transaction: kind, decision, dates, the
 * caller's right and the request's shape. Fills g. */
static int reorg_prepare(struct reorg *g, struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_reorg *q,
			 struct lt_reorg_result *res, struct lt_err *err)
{
	*g = (struct reorg){.r = r, .ctx = ctx, .req = q, .res = res, .err = err};
	memset(res, 0, sizeof *res);
	if ((unsigned)q->kind > LT_REORG_DISSOLVE)
		return lt_err_set(err, LT_EINVAL, "kind must be move, split, merge or dissolve");
	g->kind = kind_names[q->kind];
	int rc;
	if ((rc = lt__decision_check(&q->decision, &g->d, err)) ||
	    (rc = lt__effective_check(q->effective, g->effective, err)))
		return rc;
	if (q->reorganized[0] && lt_date_parse(q->reorganized, g->reorganized, err))
		return lt_err_field(err, lt_err_prefix(err, "reorganized: "), "reorganized");
	if (!q->reorganized[0])
		memcpy(g->reorganized, g->effective, sizeof g->reorganized);
	char today[LT_DATE_BUFSZ];
	lt_date_today(today);
	if (q->recorded[0] && lt_date_parse(q->recorded, g->recorded, err))
		return lt_err_prefix(err, "recorded: ");
	if (!q->recorded[0])
		memcpy(g->recorded, today, sizeof g->recorded);
	if (q->recorded[0] && (strcmp(g->recorded, today) > 0 || strcmp(g->recorded, g->d.date) < 0))
		return lt_err_set(err, LT_EINVAL, "recorded %s must lie between the decision's date %s and today",
				  g->recorded, g->d.date);
	return (rc = may_reorganise(&ctx->who, q, err)) ? rc : check_shape(q, g->kind, err);
}

/* The writes, inside the caller's transaction. */
static int reorg_apply(struct reorg *g)
{
	const struct lt_reorg *q = g->req;
	struct lt_unit *from = calloc(q->n_from, sizeof *from);
	if (!from)
		return oom(g->err);
	int rc;
	if ((rc = load_from(g, from)) ||
	    (rc = lt__change_add_at(g->r, g->ctx, g->kind, &g->d, g->effective, g->reorganized, g->recorded,
				    request_summary(q), &g->change_id, g->err)))
		goto done;
	g->res->id = g->change_id;
	switch (q->kind) {
	case LT_REORG_MOVE:
		rc = do_move(g, from);
		break;
	case LT_REORG_MERGE:
		rc = do_merge(g, from);
		break;
	case LT_REORG_SPLIT:
		rc = do_split(g, from);
		break;
	case LT_REORG_DISSOLVE:
		rc = do_dissolve(g, from);
		break;
	}
done:
	free(from);
	return rc;
}

int lt_registry_reorganize_in(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_reorg *q,
			      struct lt_reorg_result *res, struct lt_err *err)
{
	struct reorg g;
	int rc = reorg_prepare(&g, r, ctx, q, res, err);
	if (rc == LT_OK)
		rc = reorg_apply(&g);
	if (rc)
		lt_reorg_result_free(res);
	return rc;
}

int lt_registry_reorganize(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_reorg *q,
			   struct lt_reorg_result *res, struct lt_err *err)
{
	struct reorg g;
	int rc;
	if ((rc = reorg_prepare(&g, r, ctx, q, res, err)))
		return rc;
	if ((rc = lt_store_begin(r->store, err)))
		return rc;
	rc = reorg_apply(&g);
	if (rc == LT_OK && q->dry_run) {
		/* Read inside the transaction, where the new units exist. */
		rc = name_codes(&g);
		lt_store_rollback(r->store);
		if (rc)
			lt_reorg_result_free(res);
		return rc;
	}
	LT_TXN_END(r, rc, err);
	if (rc)
		lt_reorg_result_free(res);
	return rc;
}
