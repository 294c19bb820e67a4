/* POST /v1/reorganizations: move, split, merge and dissolve (design.md §7.2
 * bodies), translated into one lt_registry_reorganize call. */
#include <stdlib.h>
#include <string.h>

#include "server.h"

static bool new_unit(struct req *rq, json_t *o, struct lt_new_unit *nu, const char *where)
{
	static const char *const spec[] = {"parent:s!", "name:s", "number:i", NULL};
	memset(nu, 0, sizeof *nu);
	if (!json_is_object(o)) {
		reply_error(rq, LT_EINVAL, "field '%s' must be an object", where);
		return false;
	}
	if (!req_fields(rq, o, spec, where) || !json_field_copy(rq, o, "name", nu->name, sizeof nu->name, where) ||
	    !req_code(rq, json_string_value(json_object_get(o, "parent")), nu->parent, "parent"))
		return false;
	json_int_t num = json_integer_value(json_object_get(o, "number"));
	if (num < 0 || num > 999) {
		reply_error(rq, LT_EINVAL, "field '%s.number' must be from 1 to 999", where);
		return false;
	}
	nu->number = (unsigned)num;
	return true;
}

void h_reorganize(struct req *rq)
{
	static const char *const spec[] = {"kind:s!", "decision:o!", "effective:s", "reorganized:s",   "from:a!",
					   "into:x",  "children:o",  "dry_run:b",   "across_groups:b", NULL};
	static const char *const kinds[] = {"move", "split", "merge", "dissolve"};
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	struct lt_reorg q = {0};
	char(*from)[LT_CODE_BUFSZ] = NULL;
	struct lt_new_unit *into = NULL;
	struct lt_child_place *kids = NULL;
	struct lt_reorg_result res = {0};
	/* "into" is an object for move and merge, an array for split. */
	json_t *jinto = json_object_get(o, "into");
	if (!req_fields(rq, o, spec, NULL) || !json_decision(rq, o, &q.decision) ||
	    !json_field_copy(rq, o, "effective", q.effective, sizeof q.effective, NULL) ||
	    !json_field_copy(rq, o, "reorganized", q.reorganized, sizeof q.reorganized, NULL))
		goto out;
	const char *kind = json_string_value(json_object_get(o, "kind"));
	size_t k = 0;
	while (k < 4 && strcmp(kind, kinds[k]) != 0)
		k++;
	if (k == 4) {
		reply_error(rq, LT_EINVAL, "kind must be move, split, merge or dissolve, not '%.40s'", kind);
		goto out;
	}
	q.kind = (enum lt_reorg_kind)k;
	q.dry_run = json_is_true(json_object_get(o, "dry_run"));
	q.across_groups = json_is_true(json_object_get(o, "across_groups"));

	/* How many units, and which fields each kind takes, are the registry's
	 * rules: everything given is passed on for it to judge. */
	json_t *jfrom = json_object_get(o, "from");
	size_t nf = json_array_size(jfrom);
	from = calloc(nf ? nf : 1, sizeof *from);
	if (!from) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nf; i++) {
		json_t *c = json_array_get(jfrom, i);
		if (!json_is_string(c)) {
			reply_error(rq, LT_EINVAL, "field 'from[%zu]' must be a code string", i);
			goto out;
		}
		if (!req_code(rq, json_string_value(c), from[i], "from"))
			goto out;
	}
	q.from = (const char(*)[LT_CODE_BUFSZ])from;
	q.n_from = nf;

	json_t *jk = json_object_get(o, "children");
	size_t nk = json_object_size(jk);
	kids = calloc(nk ? nk : 1, sizeof *kids);
	if (!kids) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(jk, key, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			reply_error(rq, LT_EINVAL, "children['%.40s'] must be an index into 'into'", key);
			goto out;
		}
		if (!req_code(rq, key, kids[q.n_children].child, "children"))
			goto out;
		kids[q.n_children++].into = (size_t)json_integer_value(v);
	}
	q.children = kids;

	if (json_is_array(jinto)) {
		if (q.kind != LT_REORG_SPLIT) {
			reply_error(rq, LT_EINVAL, "field 'into' of a %s is an object; only a split takes an array",
				    kind);
			goto out;
		}
		size_t ni = json_array_size(jinto);
		into = calloc(ni ? ni : 1, sizeof *into);
		if (!into) {
			reply_error(rq, LT_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < ni; i++) {
			char where[32];
			snprintf(where, sizeof where, "into[%zu]", i);
			if (!new_unit(rq, json_array_get(jinto, i), &into[i], where))
				goto out;
		}
		q.into = into;
		q.n_into = ni;
	} else if (q.kind == LT_REORG_SPLIT && jinto && !json_is_null(jinto)) {
		reply_error(rq, LT_EINVAL, "field 'into' of a split is an array of new units {parent, name}");
		goto out;
	} else if (json_object_get(jinto, "code")) {
		static const char *const code_spec[] = {"code:s!", NULL};
		if (!req_fields(rq, jinto, code_spec, "into") ||
		    !req_code(rq, json_string_value(json_object_get(jinto, "code")), q.into_code, "into.code"))
			goto out;
	} else if (jinto && !json_is_null(jinto)) {
		into = calloc(1, sizeof *into);
		if (!into) {
			reply_error(rq, LT_ENOMEM, "out of memory");
			goto out;
		}
		if (!new_unit(rq, jinto, into, "into"))
			goto out;
		q.into = into;
		q.n_into = 1;
	}

	struct lt_err err = {0};
	int rc = lt_registry_reorganize(rq->srv->reg, &rq->call, &q, &res, &err);
	if (rc)
		reply_err(rq, &err);
	else
		reply_json(rq, q.dry_run ? 200 : 201, lt_reorg_result_to_json(&res, kind, q.dry_run));
out:
	lt_reorg_result_free(&res);
	free(from);
	free(into);
	free(kids);
	json_decref(o);
}
