/* Tokens made and listed on behalf of a caller (the HTTP API, the CLI):
 * policy.c decides who may, and a token made this way is recorded in the
 * audit trail in the transaction that stores it, as a revocation is. */
#include <string.h>

#include <openssl/crypto.h>

#include "access_impl.h"

int lt_token_issue(struct lt_store *s, const struct lt_ctx *ctx, enum lt_role role, const char *scope, const char *name,
		   char token[LT_TOKEN_BUFSZ], struct lt_token *out, struct lt_err *err)
{
	const struct lt_principal *caller = &ctx->who;
	token[0] = '\0';
	/* Refused before anything is read, so a caller without the right
	 * learns nothing of which units exist. */
	int rc = caller->role == LT_ROLE_MANAGER ? LT_OK : lt_access_token(caller, LT_ROLE_ADMIN, "", err);
	if (rc)
		return rc;
	if (role == LT_ROLE_SYSTEM)
		return lt_err_set(
			err, LT_EINVAL,
			"a system token belongs to a connected system: register the system (POST /v1/systems, "
			"'lienthong system add') or rotate its token");
	if (name && strlen(name) >= sizeof((struct lt_token *)0)->name)
		return lt_err_set(err, LT_EINVAL, "a token's name is at most %zu bytes",
				  sizeof((struct lt_token *)0)->name - 1);
	char canon[LT_CODE_BUFSZ], target[64];
	struct lt_token row;
	if ((rc = lt_store_begin(s, err)))
		return rc;
	if ((rc = lt__token_check(s, role, scope, 0, canon, err)) == LT_OK &&
	    (rc = lt_access_token(caller, role, canon, err)) == LT_OK &&
	    (rc = lt__token_insert(s, role, canon, name, 0, token, &row, err)) == LT_OK) {
		snprintf(target, sizeof target, "token:%lld", (long long)row.id);
		json_t *d = json_pack("{s:s,s:s,s:s}", "role", row.role, "scope", row.scope, "name", row.name);
		rc = d ? lt_audit_record(s, ctx, "token.create", target, d, err)
		       : lt_err_set(err, LT_ENOMEM, "out of memory");
		json_decref(d);
	}
	if (rc == LT_OK)
		rc = lt_store_commit(s, err);
	else
		lt_store_rollback(s);
	if (rc) {
		OPENSSL_cleanse(token, LT_TOKEN_BUFSZ);
		token[0] = '\0';
	} else if (out) {
		*out = row;
	}
	return rc;
}

struct list_ctx {
	const struct lt_principal *caller;
	lt_token_cb cb;
	void *ctx;
};

static int visible(void *vctx, const struct lt_token *t)
{
	struct list_ctx *c = vctx;
	enum lt_role role;
	if (lt_role_parse(t->role, &role, NULL) || lt_access_token(c->caller, role, t->scope, NULL))
		return 0;
	return c->cb(c->ctx, t);
}

int lt_token_list(struct lt_store *s, const struct lt_principal *caller, lt_token_cb cb, void *ctx, struct lt_err *err)
{
	int rc = caller->role == LT_ROLE_MANAGER ? LT_OK : lt_access_token(caller, LT_ROLE_ADMIN, "", err);
	if (rc)
		return rc;
	struct list_ctx c = {caller, cb, ctx};
	return lt_store_tokens(s, visible, &c, err);
}
