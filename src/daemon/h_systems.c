/* /v1/systems: connected systems. Registering one returns its bearer token
 * and VXP secret once; listing shows what the caller may manage; the acts
 * on one system (bind, unbind, disable, enable, a new token, a kept or new
 * VXP secret) are decided and recorded in the audit trail by the library. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lienthong/organizations.h"
#include "server.h"

static json_t *system_json(const struct lt_system *sys, const struct lt_codelist *codes)
{
	json_t *jc = json_array();
	for (size_t i = 0; i < codes->n; i++)
		json_array_append_new(jc, json_string(codes->codes[i]));
	return json_pack("{s:I,s:s,s:s,s:o,s:s,s:b,s:s?}", "id", (json_int_t)sys->id, "name", sys->name,
			 "primary_code", sys->primary_code, "codes", jc, "created", sys->created, "disabled",
			 sys->disabled[0] != '\0', "disabled_at", sys->disabled[0] ? sys->disabled : NULL);
}

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
	if (visible)
		json_array_append_new(ctx->items, system_json(sys, &codes));
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

/* The {id} of /v1/systems/{id}/…; replies 400 when it is not a number. */
static bool system_id(struct req *rq, int64_t *id)
{
	long long v;
	if (!lt_text_int(rq->params[0], 1, INT64_MAX, &v)) {
		reply_error(rq, LT_EINVAL, "'%.40s' is not a system id (a positive number, see GET /v1/systems)",
			    rq->params[0]);
		return false;
	}
	*id = v;
	return true;
}

/* Replies 200 with the system as it is now. */
static void reply_system(struct req *rq, int64_t id)
{
	struct lt_system sys;
	struct lt_codelist codes = {0};
	struct lt_err err = {0};
	if (lt_store_system_get(rq->srv->store, id, &sys, &err) ||
	    lt_store_system_codes(rq->srv->store, id, &codes, &err)) {
		lt_codelist_free(&codes);
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, system_json(&sys, &codes));
	lt_codelist_free(&codes);
}

void h_system_patch(struct req *rq)
{
	static const char *const spec[] = {"disabled:b!", NULL};
	int64_t id;
	if (!system_id(rq, &id))
		return;
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	if (req_fields(rq, o, spec, NULL)) {
		struct lt_err err = {0};
		write_begin(rq);
		int rc = lt_system_set_disabled(rq->srv->store, &rq->who, id, json_is_true(json_object_get(o, "disabled")),
						NULL, &err);
		write_end(rq);
		if (rc)
			reply_err(rq, &err);
		else
			reply_system(rq, id);
	}
	json_decref(o);
}

void h_system_bind(struct req *rq)
{
	static const char *const spec[] = {"code:s!", NULL};
	int64_t id;
	if (!system_id(rq, &id))
		return;
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	if (req_fields(rq, o, spec, NULL)) {
		struct lt_err err = {0};
		write_begin(rq);
		int rc = lt_system_bind(rq->srv->store, &rq->who, id, json_string_value(json_object_get(o, "code")),
					rq->srv->cfg.vxp_agency_ops, &err);
		write_end(rq);
		if (rc)
			reply_err(rq, &err);
		else
			reply_system(rq, id);
	}
	json_decref(o);
}

void h_system_unbind(struct req *rq)
{
	int64_t id;
	if (!system_id(rq, &id))
		return;
	struct lt_err err = {0};
	write_begin(rq);
	int rc = lt_system_unbind(rq->srv->store, &rq->who, id, rq->params[1], rq->srv->cfg.vxp_agency_ops, &err);
	write_end(rq);
	if (rc)
		reply_err(rq, &err);
	else
		reply_system(rq, id);
}

void h_system_token(struct req *rq)
{
	int64_t id;
	if (!system_id(rq, &id))
		return;
	struct lt_err err = {0};
	char token[LT_TOKEN_BUFSZ];
	int revoked = 0;
	write_begin(rq);
	int rc = lt_system_rotate_token(rq->srv->store, &rq->who, id, token, &revoked, &err);
	write_end(rq);
	if (rc) {
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 201,
		   json_pack("{s:I,s:s,s:i,s:s}", "id", (json_int_t)id, "token", token, "revoked", revoked, "note",
			     "the earlier tokens are revoked; the VXP secret is unchanged, so VXP access continues "
			     "until the system is disabled (PATCH {\"disabled\":true}) or its secret is rotated"));
	OPENSSL_cleanse(token, sizeof token);
}

void h_system_secret(struct req *rq)
{
	static const char *const spec[] = {"secret:s", NULL};
	int64_t id;
	if (!system_id(rq, &id))
		return;
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	if (req_fields(rq, o, spec, NULL)) {
		struct lt_err err = {0};
		char secret[LT_TOKEN_BUFSZ];
		const char *given = json_string_value(json_object_get(o, "secret"));
		write_begin(rq);
		int rc = lt_system_set_secret(rq->srv->store, &rq->who, id, rq->srv->seal_key, given, secret, &err);
		write_end(rq);
		if (rc)
			reply_err(rq, &err);
		else if (given) /* the caller has it: never echoed */
			reply_json(rq, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "secret_set", true));
		else
			reply_json(rq, 200, json_pack("{s:I,s:s}", "id", (json_int_t)id, "vxp_secret", secret));
		OPENSSL_cleanse(secret, sizeof secret);
	}
	json_decref(o);
}
