/* The mapping built from the lineage: the registry lists the closed units in
 * tree order, each is resolved to the active units it leads to now, and the
 * change that closed it (its last event) names the kind. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/transition.h"
#include "lienthong/transition_map.h"
#include "util/grow.h"

void lt_map_free(struct lt_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->rows[i].old_name);
		free(m->rows[i].new_name);
	}
	free(m->rows);
	m->rows = NULL;
	m->n = m->cap = 0;
}

struct closed_list {
	struct lt_unit *units;
	size_t n, cap;
	const char *since;
};

static int collect_closed(void *ctx, const struct lt_unit *u)
{
	struct closed_list *l = ctx;
	if (u->status != LT_UNIT_CLOSED || (l->since[0] && strcmp(u->valid_to, l->since) < 0))
		return LT_OK;
	if (lt__grow(&l->units, l->n, &l->cap, sizeof *l->units))
		return LT_ENOMEM;
	l->units[l->n++] = *u;
	return LT_OK;
}

/* True when code is root or inside its subtree. */
static bool within(const char *code, const struct lt_code *root)
{
	struct lt_code c;
	if (lt_code_parse(&c, code, LT_CODE_LENIENT, NULL))
		return false;
	return lt_code_equal(&c, root) || lt_code_is_ancestor(root, &c);
}

static int add_row(struct lt_map *m, const struct lt_unit *old, const char *kind, const struct lt_unit *cur,
		   bool ambiguous)
{
	if (lt__grow(&m->rows, m->n, &m->cap, sizeof *m->rows))
		return LT_ENOMEM;
	struct lt_map_row *row = &m->rows[m->n];
	memset(row, 0, sizeof *row);
	snprintf(row->old_code, sizeof row->old_code, "%s", old->code);
	snprintf(row->new_code, sizeof row->new_code, "%s", cur ? cur->code : "");
	row->old_name = strdup(old->name);
	row->new_name = strdup(cur ? cur->name : "");
	if (!row->old_name || !row->new_name) {
		free(row->old_name);
		free(row->new_name);
		return LT_ENOMEM;
	}
	snprintf(row->kind, sizeof row->kind, "%s", kind);
	snprintf(row->effective, sizeof row->effective, "%s", old->valid_to);
	snprintf(row->decision_number, sizeof row->decision_number, "%s", old->decision.number);
	row->ambiguous = ambiguous;
	m->n++;
	return LT_OK;
}

/* The rows of one closed unit, when it passes the subtree filter. */
static int map_unit(struct lt_registry *r, struct lt_map *m, const struct lt_unit *old, const struct lt_code *root,
		    int64_t plan, struct lt_err *err)
{
	struct lt_codelist cur = {0};
	int rc = lt_registry_resolve(r, old->code, &cur, err);
	if (rc)
		return rc;
	bool keep = !root || within(old->code, root);
	for (size_t i = 0; i < cur.n && !keep; i++)
		keep = within(cur.codes[i], root);
	if (!keep)
		goto out;
	/* The closing change is the unit's last event. */
	struct lt_event ev = {0};
	char kind[16] = "";
	int64_t change = 0, by_plan = 0;
	rc = lt_store_event_asof(lt_registry_store(r), old->code, "9999-12-31", &ev, err);
	if (rc == LT_OK) {
		snprintf(kind, sizeof kind, "%s", ev.kind);
		change = ev.change_id;
	}
	lt_event_clear(&ev);
	if (rc && rc != LT_ENOTFOUND)
		goto out;
	rc = LT_OK;
	if (plan && (!change || (rc = lt_plan_of_change(r, change, &by_plan, err)) || by_plan != plan))
		goto out;
	if (cur.n == 0) {
		rc = add_row(m, old, kind, NULL, false);
		goto out;
	}
	for (size_t i = 0; i < cur.n && rc == LT_OK; i++) {
		struct lt_unit u;
		if ((rc = lt_registry_get(r, cur.codes[i], NULL, &u, err)) == LT_OK)
			rc = add_row(m, old, kind, &u, cur.n > 1);
	}
out:
	lt_codelist_free(&cur);
	if (rc == LT_ENOMEM)
		lt_err_set(err, LT_ENOMEM, "out of memory");
	return rc;
}

int lt_transition_map(struct lt_registry *r, const struct lt_map_filter *f, struct lt_map *out, struct lt_err *err)
{
	memset(out, 0, sizeof *out);
	struct lt_map_filter filt = {0};
	struct lt_code root;
	bool has_root = false;
	if (f && f->since[0] && lt_date_parse(f->since, filt.since, err))
		return lt_err_field(err, lt_err_prefix(err, "since: "), "since");
	if (f && f->plan) {
		json_t *p = NULL;
		int prc = lt_plan_get(r, f->plan, &p, err);
		json_decref(p);
		if (prc)
			return lt_err_field(err, prc, "plan");
		filt.plan = f->plan;
	}
	if (f && f->under[0]) {
		if (lt_code_parse(&root, f->under, LT_CODE_LENIENT, err))
			return lt_err_field(err, lt_err_prefix(err, "under '%s': ", f->under), "under");
		lt_code_format(&root, filt.under);
		has_root = true;
	}
	out->filter = filt;
	/* Every closed unit, page by page: the list holds fixed-size units of
	 * the closed codes only, so it is as large as the mapping itself. */
	struct closed_list l = {.since = filt.since};
	char cursor[LT_CURSOR_BUFSZ] = "";
	int rc;
	do {
		char next[LT_CURSOR_BUFSZ] = "";
		struct lt_search q = {.status = LT_FILTER_CLOSED, .cursor = cursor, .limit = 500};
		rc = lt_registry_search(r, &q, collect_closed, &l, next, err);
		snprintf(cursor, sizeof cursor, "%s", next);
	} while (rc == LT_OK && cursor[0]);
	for (size_t i = 0; i < l.n && rc == LT_OK; i++)
		rc = map_unit(r, out, &l.units[i], has_root ? &root : NULL, filt.plan, err);
	free(l.units);
	if (rc == LT_ENOMEM)
		lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc) {
		lt_map_free(out);
		out->filter = filt;
	}
	return rc;
}
