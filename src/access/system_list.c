/* Reading connected systems and tokens for the fronts, each caller seeing
 * what policy.c lets it see. */
#include <string.h>

#include "access_impl.h"

struct list_ctx {
	struct lt_store *s;
	const struct lt_principal *who;
	lt_system_codes_cb cb;
	void *ctx;
	struct lt_err *err;
};

static int list_one(void *vctx, const struct lt_system *sys)
{
	struct list_ctx *c = vctx;
	struct lt_codelist codes = {0};
	int rc = lt_store_system_codes(c->s, sys->id, &codes, c->err);
	if (rc == LT_OK && lt_access_system_visible(c->who, sys, &codes))
		rc = c->cb(c->ctx, sys, &codes);
	lt_codelist_free(&codes);
	return rc;
}

int lt_system_list(struct lt_store *s, const struct lt_principal *who, lt_system_codes_cb cb, void *ctx,
		   struct lt_err *err)
{
	int rc = lt_access_systems_list(who, err);
	if (rc)
		return rc;
	struct list_ctx c = {s, who, cb, ctx, err};
	return lt_store_systems(s, list_one, &c, err);
}

int lt_system_by_primary(struct lt_store *s, const char *code, lt_system_cb cb, void *ctx, struct lt_err *err)
{
	return lt_store_systems_by_primary(s, code, cb, ctx, err);
}

int lt_principal_json(struct lt_store *s, const struct lt_principal *who, json_t **out, struct lt_err *err)
{
	*out = NULL;
	int rc = lt_access_identified(who, NULL, err);
	if (rc)
		return rc;
	json_t *o =
		json_pack("{s:s,s:s?,s:s,s:I}", "role", lt_role_name(who->role), "scope",
			  who->scope[0] ? who->scope : NULL, "name", who->name, "token_id", (json_int_t)who->token_id);
	if (!o)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	if (who->system_id) {
		struct lt_codelist codes = {0};
		if ((rc = lt_system_load(s, who->system_id, NULL, &codes, err))) {
			json_decref(o);
			return rc;
		}
		json_t *jc = json_array();
		for (size_t i = 0; jc && i < codes.n; i++)
			json_array_append_new(jc, json_string(codes.codes[i]));
		lt_codelist_free(&codes);
		if (!jc || json_object_set_new(o, "system_id", json_integer(who->system_id)) ||
		    json_object_set_new(o, "codes", jc)) {
			json_decref(o);
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		}
	}
	*out = o;
	return LT_OK;
}
