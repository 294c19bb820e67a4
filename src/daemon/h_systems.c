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
	return json_pack("{s:I,s:s,s:s,s:o,s:s,s:b,s:s?}", "id", (json_int_t)sys->id, "name", sys->name, "primary_code",
			 sys->primary_code, "codes", jc, "created", sys->created, "disabled", sys->disabled[0] != '\0',
			 "disabled_at", sys->disabled[0] ? sys->disabled : NULL);
}

static int list_one(void *items, const struct lt_system *sys, const struct lt_codelist *codes)
{
	return json_array_append_new(items, system_json(sys, codes)) ? LT_ENOMEM : LT_OK;
}

void h_systems_list(struct req *rq)
{
	struct lt_err err = {0};
	json_t *items = json_array();
	if (lt_system_list(rq->srv->store, &rq->call.who, list_one, items, &err)) {
		json_decref(items);
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

/* A JSON array of codes into a new array of canonical codes (*out, the
 * caller frees); false once it replied 400. */
static bool code_field(struct req *rq, json_t *jc, const char *field, bool orgs, char (**out)[LT_CODE_BUFSZ], size_t *n)
{
	*out = NULL;
	*n = json_array_size(jc);
	if (jc && !json_is_array(jc)) {
		reply_error(rq, LT_EINVAL, "field '%s' must be an array of codes", field);
		return false;
	}
	if (*n > 1000) {
		reply_error(rq, LT_EINVAL, "field '%s' lists at most 1000 codes", field);
		return false;
	}
	if (*n == 0)
		return true;
	char(*codes)[LT_CODE_BUFSZ] = calloc(*n, sizeof *codes);
	if (!codes) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		return false;
	}
	for (size_t i = 0; i < *n; i++) {
		json_t *c = json_array_get(jc, i);
		if (!json_is_string(c)) {
			reply_error(rq, LT_EINVAL, "field '%s[%zu]' must be a code string", field, i);
			free(codes);
			return false;
		}
		if (orgs && lt_org_code(json_string_value(c))) /* an organisation's: checked by the library */
			snprintf(codes[i], sizeof codes[i], "%s", json_string_value(c));
		else if (!req_code(rq, json_string_value(c), codes[i], field)) {
			free(codes);
			return false;
		}
	}
	*out = codes;
	return true;
}

void h_systems_add(struct req *rq)
{
	static const char *const spec[] = {"name:s!", "codes:a", "subtrees:a", NULL};
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	char(*codes)[LT_CODE_BUFSZ] = NULL, (*roots)[LT_CODE_BUFSZ] = NULL;
	size_t n = 0, n_roots = 0;
	if (!req_fields(rq, o, spec, NULL))
		goto out;
	json_t *jc = json_object_get(o, "codes"), *js = json_object_get(o, "subtrees");
	if (!code_field(rq, jc, "codes", true, &codes, &n) || !code_field(rq, js, "subtrees", false, &roots, &n_roots))
		goto out;
	if (n + n_roots == 0) {
		reply_error(rq, LT_EINVAL,
			    "field 'codes' must list 1 to 1000 codes the system speaks for (or 'subtrees' the "
			    "subtrees it serves)");
		goto out;
	}
	struct lt_system_created made;
	struct lt_err err = {0};
	int rc =
		lt_system_register_subtrees(rq->srv->store, &rq->call, json_string_value(json_object_get(o, "name")),
					    (const char(*)[LT_CODE_BUFSZ])codes, n, (const char(*)[LT_CODE_BUFSZ])roots,
					    n_roots, rq->srv->seal_key, &made, &err);
	if (rc) {
		reply_err(rq, &err);
		goto out;
	}
	json_t *empty = json_array();
	reply_json(rq, 201,
		   json_pack("{s:I,s:s,s:O,s:O,s:s,s:s}", "id", (json_int_t)made.id, "name",
			     json_string_value(json_object_get(o, "name")), "codes", jc ? jc : empty, "subtrees",
			     js ? js : empty, "token", made.token, "vxp_secret", made.vxp_secret));
	json_decref(empty);
out:
	free(codes);
	free(roots);
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
	if (lt_system_load(rq->srv->store, id, &sys, &codes, &err)) {
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
		int rc = lt_system_set_disabled(rq->srv->store, &rq->call, id,
						json_is_true(json_object_get(o, "disabled")), NULL, &err);
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
		int rc = lt_system_bind(rq->srv->store, &rq->call, id, json_string_value(json_object_get(o, "code")),
					rq->srv->cfg.vxp_agency_ops, &err);
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
	int rc = lt_system_unbind(rq->srv->store, &rq->call, id, rq->params[1], rq->srv->cfg.vxp_agency_ops, &err);
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
	int rc = lt_system_rotate_token(rq->srv->store, &rq->call, id, token, &revoked, &err);
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
		int rc = lt_system_set_secret(rq->srv->store, &rq->call, id, rq->srv->seal_key, given, secret, &err);
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
