/* Reading the plans applied: their decision, as given, and what they did. */
#include <string.h>

#include "transition_impl.h"

static size_t count(const json_t *result, const char *list) { return json_array_size(json_object_get(result, list)); }

static json_t *plan_json(const struct lt_plan_row *p, bool whole)
{
	json_t *result = json_loads(p->result, 0, NULL);
	json_t *o = json_pack("{s:I,s:{s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:s}", "id", (json_int_t)p->id, "decision",
			      "number", p->decision.number, "date", p->decision.date, "issuer", p->decision.issuer,
			      "kind", p->decision_kind, "effective", p->effective, "title", p->title ? p->title : "",
			      "at", p->at, "actor", p->actor);
	if (!o) {
		json_decref(result);
		return NULL;
	}
	json_object_set_new(o, "steps", json_integer((json_int_t)count(result, "steps")));
	static const char *const lists[] = {"closed", "created", "moved", "renamed"};
	for (int i = 0; i < 4; i++)
		json_object_set_new(o, lists[i], json_integer((json_int_t)count(result, lists[i])));
	if (whole) {
		json_object_set_new(o, "plan", json_loads(p->body, 0, NULL));
		json_object_set_new(o, "result", result);
	} else {
		json_decref(result);
	}
	return o;
}

struct collect {
	json_t *items;
	bool whole;
};

static int collect(void *ctx, const struct lt_plan_row *p)
{
	struct collect *c = ctx;
	json_t *o = plan_json(p, c->whole);
	return o && json_array_append_new(c->items, o) == 0 ? LT_OK : LT_ENOMEM;
}

int lt_plan_list(struct lt_registry *r, json_t **out, struct lt_err *err)
{
	struct collect c = {json_array(), false};
	int rc = lt_store_plans(lt_registry_store(r), 0, collect, &c, err);
	if (rc) {
		json_decref(c.items);
		return rc;
	}
	*out = c.items;
	return LT_OK;
}

int lt_plan_get(struct lt_registry *r, int64_t id, json_t **out, struct lt_err *err)
{
	struct collect c = {json_array(), true};
	int rc = id > 0 ? lt_store_plans(lt_registry_store(r), id, collect, &c, err) : LT_OK;
	if (rc == LT_OK && json_array_size(c.items) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "no plan %lld", (long long)id);
	if (rc == LT_OK)
		*out = json_incref(json_array_get(c.items, 0));
	json_decref(c.items);
	return rc;
}

int lt_plan_of_change(struct lt_registry *r, int64_t change_id, int64_t *plan_id, struct lt_err *err)
{
	return lt_store_plan_of_change(lt_registry_store(r), change_id, plan_id, err);
}

static bool names_in_from(const json_t *plan, const char *code)
{
	size_t i, k;
	json_t *step, *c;
	json_array_foreach(json_object_get(plan, "steps"), i, step)
		json_array_foreach(json_object_get(step, "from"), k,
				   c) if (json_is_string(c) && strcmp(json_string_value(c), code) == 0) return true;
	return false;
}

bool lt_plan_overlaps(const json_t *a, const json_t *b)
{
	size_t i, k;
	json_t *step, *c;
	json_array_foreach(json_object_get(a, "steps"), i, step)
		json_array_foreach(json_object_get(step, "from"), k,
				   c) if (json_is_string(c) && names_in_from(b, json_string_value(c))) return true;
	return false;
}

static int add_code(struct lt_codelist *l, const json_t *v)
{
	struct lt_code c;
	char canon[LT_CODE_BUFSZ];
	if (!json_is_string(v) || lt_code_parse(&c, json_string_value(v), LT_CODE_STRICT, NULL) != LT_OK)
		return LT_OK;
	lt_code_format(&c, canon);
	return lt_codelist_has(l, canon) || lt_codelist_add(l, canon) == 0 ? LT_OK : LT_ENOMEM;
}

int lt_plan_codes(const json_t *plan, struct lt_codelist *writes, struct lt_codelist *reorganises, struct lt_err *err)
{
	size_t i, k;
	json_t *step, *v;
	int rc = LT_OK;
	json_array_foreach(json_object_get(plan, "steps"), i, step)
	{
		json_array_foreach(json_object_get(step, "from"), k, v) rc |= add_code(reorganises, v);
		rc |= add_code(reorganises, json_object_get(step, "code"));
		rc |= add_code(writes, json_object_get(step, "parent"));
		json_t *into = json_object_get(step, "into");
		if (json_is_array(into))
			json_array_foreach(into, k, v) rc |= add_code(writes, json_object_get(v, "parent"));
		else if (json_is_object(into)) {
			rc |= add_code(writes, json_object_get(into, "code"));
			rc |= add_code(writes, json_object_get(into, "parent"));
		}
	}
	return rc ? lt_err_set(err, LT_ENOMEM, "out of memory") : LT_OK;
}
