/* /v1/tokens: bearer tokens over HTTP. Made with a role, a scope and a name
 * (the secret is in the reply once, never again), listed and revoked; who
 * may is decided, and every act recorded, by the library. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "server.h"

static json_t *token_json(const struct lt_token *t)
{
	return json_pack("{s:I,s:s,s:s?,s:s?,s:o,s:s,s:s?}", "id", (json_int_t)t->id, "role", t->role, "scope",
			 t->scope[0] ? t->scope : NULL, "name", t->name[0] ? t->name : NULL, "system_id",
			 t->system_id > 0 ? json_integer((json_int_t)t->system_id) : json_null(), "created", t->created,
			 "revoked", t->revoked[0] ? t->revoked : NULL);
}

static int list_one(void *vctx, const struct lt_token *t)
{
	json_t *o = token_json(t);
	return o && json_array_append_new(vctx, o) == 0 ? 0 : LT_ENOMEM;
}

void h_tokens_list(struct req *rq)
{
	json_t *items = json_array();
	struct lt_err err = {0};
	int rc = lt_token_list(rq->srv->store, &rq->call.who, list_one, items, &err);
	if (rc) {
		json_decref(items);
		if (rc == LT_ENOMEM && !err.msg[0])
			lt_err_set(&err, LT_ENOMEM, "out of memory");
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

void h_tokens_add(struct req *rq)
{
	static const char *const spec[] = {"role:s!", "scope:s", "name:s", NULL};
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	if (!req_fields(rq, o, spec, NULL)) {
		json_decref(o);
		return;
	}
	struct lt_err err = {0};
	enum lt_role role;
	char token[LT_TOKEN_BUFSZ];
	struct lt_token row;
	if (lt_role_parse(json_string_value(json_object_get(o, "role")), &role, &err)) {
		reply_err(rq, &err);
		json_decref(o);
		return;
	}
	int rc = lt_token_issue(rq->srv->store, &rq->call, role, json_string_value(json_object_get(o, "scope")),
				json_string_value(json_object_get(o, "name")), token, &row, &err);
	json_decref(o);
	if (rc) {
		reply_err(rq, &err);
		return;
	}
	json_t *r = token_json(&row);
	json_object_set_new(r, "token", json_string(token));
	OPENSSL_cleanse(token, sizeof token);
	reply_json(rq, 201, r);
}

void h_token_revoke(struct req *rq)
{
	char *end;
	long long id = strtoll(rq->params[0], &end, 10);
	if (!rq->params[0][0] || *end || id <= 0) {
		reply_error(rq, LT_EINVAL, "'%.40s' is not a token id (a positive number, see GET /v1/tokens)",
			    rq->params[0]);
		return;
	}
	struct lt_err err = {0};
	struct lt_token row;
	int rc = lt_token_revoke(rq->srv->store, &rq->call, id, &row, &err);
	if (rc) {
		reply_err(rq, &err);
		return;
	}
	/* The row as it was: mark it as it now is. */
	lt_time_now(row.revoked);
	json_t *r = token_json(&row);
	if (row.system_id > 0)
		json_object_set_new(
			r, "note",
			json_string("a system's token alone is revoked: its VXP secret still signs calls until "
				    "the system is disabled (PATCH /v1/systems/{id} {\"disabled\":true})"));
	reply_json(rq, 200, r);
}
