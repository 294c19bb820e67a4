/* /v1/systems: connected systems. Registering one returns its bearer token
 * and VXP secret once; listing shows what the caller may manage. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/organizations.h"
#include "server.h"

struct list_ctx {
	struct req *rq;
	json_t *items;
	struct lt_err *err;
};

static int list_one(void *vctx, const struct lt_system *sys)
{
	struct list_ctx *ctx = vctx;
	struct req *rq = ctx->rq;
	struct lt_codelist codes = {0};
	int rc = lt_store_system_codes(rq->srv->store, sys->id, &codes, ctx->err);
	if (rc)
		return rc;
	bool visible = rq->who.role == LT_ROLE_ADMIN || rq->who.system_id == sys->id;
	for (size_t i = 0; !visible && rq->who.role == LT_ROLE_MANAGER && i < codes.n; i++)
		visible = lt_access_write(&rq->who, codes.codes[i], NULL) == LT_OK;
	if (visible) {
		json_t *jc = json_array();
		for (size_t i = 0; i < codes.n; i++)
			json_array_append_new(jc, json_string(codes.codes[i]));
		json_array_append_new(ctx->items, json_pack("{s:I,s:s,s:o,s:s}", "id", (json_int_t)sys->id, "name",
							     sys->name, "codes", jc, "created", sys->created));
	}
	lt_codelist_free(&codes);
	return 0;
}

void h_systems_list(struct req *rq)
{
	if (rq->who.role == LT_ROLE_ANONYMOUS || rq->who.role == LT_ROLE_READER) {
		reply_error(rq, rq->who.role == LT_ROLE_ANONYMOUS ? LT_EAUTH : LT_EFORBIDDEN,
			    "connected systems are listed to admins, managers and the systems themselves");
		return;
	}
	struct lt_err err = {0};
	struct list_ctx ctx = {rq, json_array(), &err};
	if (lt_store_systems(rq->srv->store, list_one, &ctx, &err)) {
		json_decref(ctx.items);
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, json_pack("{s:o}", "items", ctx.items));
}

void h_systems_add(struct req *rq)
{
	static const char *const spec[] = {"name:s!", "codes:a!", NULL};
	if (rq->who.role != LT_ROLE_ADMIN && rq->who.role != LT_ROLE_MANAGER) {
		reply_error(rq, rq->who.role == LT_ROLE_ANONYMOUS ? LT_EAUTH : LT_EFORBIDDEN,
			    "registering a system needs an admin token, or a manager token for codes in its subtree");
		return;
	}
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	char(*codes)[LT_CODE_BUFSZ] = NULL;
	if (!req_fields(rq, o, spec, NULL))
		goto out;
	json_t *jc = json_object_get(o, "codes");
	size_t n = json_array_size(jc);
	if (n == 0 || n > 1000) {
		reply_error(rq, LT_EINVAL, "field 'codes' must list 1 to 1000 codes the system speaks for");
		goto out;
	}
	codes = calloc(n, sizeof *codes);
	if (!codes) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(jc, i);
		if (!json_is_string(c)) {
			reply_error(rq, LT_EINVAL, "field 'codes[%zu]' must be a code string", i);
			goto out;
		}
		if (lt_org_code(json_string_value(c))) /* an organisation's: checked by the library */
			snprintf(codes[i], sizeof codes[i], "%s", json_string_value(c));
		else if (!req_code(rq, json_string_value(c), codes[i], "codes"))
			goto out;
	}
	struct lt_system_created made;
	struct lt_err err = {0};
	write_begin(rq);
	int rc = lt_system_register(rq->srv->store, &rq->who, json_string_value(json_object_get(o, "name")),
				    (const char(*)[LT_CODE_BUFSZ])codes, n, rq->srv->seal_key, &made, &err);
	write_end(rq);
	if (rc) {
		reply_err(rq, &err);
		goto out;
	}
	reply_json(rq, 201,
		   json_pack("{s:I,s:s,s:O,s:s,s:s}", "id", (json_int_t)made.id, "name",
			     json_string_value(json_object_get(o, "name")), "codes", jc, "token", made.token, "vxp_secret",
			     made.vxp_secret));
out:
	free(codes);
	json_decref(o);
}
