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

int lt_token_list(struct lt_store *s, const struct lt_principal *who, lt_token_cb cb, void *ctx, struct lt_err *err)
{
	int rc = lt_access_admin(who, err);
	return rc ? rc : lt_store_tokens(s, cb, ctx, err);
}
