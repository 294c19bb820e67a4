/* Administering a connected system after it is registered: binding and
 * unbinding codes, cutting it off and letting it back, a new bearer token,
 * a kept or a new VXP secret. Each act is decided by policy.c and recorded
 * in the audit trail in its own transaction. */
#include <string.h>

#include <openssl/crypto.h>

#include "access_impl.h"

static void target_of(int64_t id, char out[64]) { snprintf(out, 64, "system:%lld", (long long)id); }

/* The system and its codes; the caller frees codes. */
int lt_system_load(struct lt_store *s, int64_t id, struct lt_system *sys, struct lt_codelist *codes, struct lt_err *err)
{
	memset(codes, 0, sizeof *codes);
	if (id <= 0)
		return lt_err_set(err, LT_EINVAL, "a system id is a positive number (see 'lienthong system list')");
	struct lt_system tmp;
	int rc = lt_store_system_get(s, id, sys ? sys : &tmp, err);
	if (rc == LT_OK)
		rc = lt_store_system_codes(s, id, codes, err);
	if (rc)
		lt_codelist_free(codes);
	return rc;
}

/* Commits when rc is LT_OK, else rolls back; returns the outcome. */
static int finish(struct lt_store *s, int rc, struct lt_err *err)
{
	if (rc == LT_OK)
		return lt_store_commit(s, err);
	lt_store_rollback(s);
	return rc;
}

static int audit_code(struct lt_store *s, const struct lt_ctx *ctx, const char *action, int64_t id, const char *code,
		      struct lt_err *err)
{
	char target[64];
	target_of(id, target);
	json_t *d = json_pack("{s:s}", "code", code);
	if (!d)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int rc = lt_audit_record(s, ctx, action, target, d, err);
	json_decref(d);
	return rc;
}

static int canon_code(const char *text, char out[LT_CODE_BUFSZ], struct lt_err *err)
{
	struct lt_code c;
	if (!text || !*text)
		return lt_err_set(err, LT_EINVAL, "give the code to bind or unbind");
	if (lt_code_parse(&c, text, LT_CODE_STRICT, err))
		return lt_err_prefix(err, "code '%.40s': ", text);
	lt_code_format(&c, out);
	return LT_OK;
}

/* Runs act inside one write transaction, so what it checks (the caller's
 * rights over the system's codes, whether a code is bound, the unit's
 * state) still holds when it writes; the CLI may write the same database
 * at the same time. act sets *wrote when it changed something: otherwise
 * the transaction is rolled back and nothing is recorded. */
struct act {
	const struct lt_ctx *ctx;
	const struct lt_principal *caller;
	int64_t id;
	const char *code;
	bool agency_ops, disabled;
	const char *sealed; /* set_secret: the new sealed secret */
	bool rotate;        /* set_secret: a new random one, not a kept one */
	char *token;        /* rotate_token: out */
	int revoked;        /* rotate_token: out */
	bool wrote;
};

static int run(struct lt_store *s, int (*act)(struct lt_store *, struct act *, struct lt_err *), struct act *a,
	       struct lt_err *err)
{
	a->wrote = false;
	int rc = lt_store_begin(s, err);
	if (rc)
		return rc;
	rc = act(s, a, err);
	if (rc == LT_OK && !a->wrote) {
		lt_store_rollback(s);
		return LT_OK;
	}
	return finish(s, rc, err);
}

static int bind_act(struct lt_store *s, struct act *a, struct lt_err *err)
{
	struct lt_system sys;
	struct lt_codelist codes;
	struct lt_unit u;
	int rc = lt_system_load(s, a->id, &sys, &codes, err);
	if (rc)
		return rc;
	bool bound = lt_codelist_has(&codes, a->code);
	rc = lt_access_bind_to(a->caller, &sys, &codes, a->code, a->agency_ops, err);
	lt_codelist_free(&codes);
	if (rc)
		return rc;
	if ((rc = lt_store_unit_get(s, a->code, &u, err)))
		return rc == LT_ENOTFOUND
			       ? lt_err_set(
					 err, LT_ENOTFOUND,
					 "%s is not in the registry: its manager issues the code first; binding only "
					 "connects an existing unit",
					 a->code)
			       : rc;
	if (u.status != LT_UNIT_ACTIVE)
		return lt_err_set(err, LT_ERULE, "%s is closed: bind its successor instead", a->code);
	if (bound)
		return LT_OK;
	if ((rc = lt_store_system_code_add(s, a->id, a->code, err)) == LT_OK &&
	    (rc = audit_code(s, a->ctx, "system.bind", a->id, a->code, err)) == LT_OK)
		a->wrote = true;
	return rc;
}

int lt_system_bind(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, const char *code_text, bool agency_ops,
		   struct lt_err *err)
{
	char code[LT_CODE_BUFSZ];
	int rc = canon_code(code_text, code, err);
	if (rc)
		return rc;
	struct act a = {.ctx = ctx, .caller = &ctx->who, .id = id, .code = code, .agency_ops = agency_ops};
	return run(s, bind_act, &a, err);
}

static int unbind_act(struct lt_store *s, struct act *a, struct lt_err *err)
{
	struct lt_system sys;
	struct lt_codelist codes;
	int rc = lt_system_load(s, a->id, &sys, &codes, err);
	if (rc)
		return rc;
	lt_codelist_free(&codes);
	if ((rc = lt_access_bind(a->caller, &sys, a->code, a->agency_ops, err)))
		return rc;
	if (strcmp(a->code, sys.primary_code) == 0)
		return lt_err_set(err, LT_ERULE,
				  "%s is this system's primary code, its VXP systemid: it stays bound (to cut the "
				  "system off, disable it)",
				  a->code);
	if ((rc = lt_store_system_code_remove(s, a->id, a->code, err)) == LT_OK &&
	    (rc = audit_code(s, a->ctx, "system.unbind", a->id, a->code, err)) == LT_OK)
		a->wrote = true;
	return rc;
}

int lt_system_unbind(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, const char *code_text, bool agency_ops,
		     struct lt_err *err)
{
	char code[LT_CODE_BUFSZ];
	int rc = canon_code(code_text, code, err);
	if (rc)
		return rc;
	struct act a = {.ctx = ctx, .caller = &ctx->who, .id = id, .code = code, .agency_ops = agency_ops};
	return run(s, unbind_act, &a, err);
}

/* Loads the system and asks whether caller may manage it. */
static int manageable(struct lt_store *s, const struct lt_principal *caller, int64_t id, struct lt_system *sys,
		      struct lt_err *err)
{
	struct lt_codelist codes;
	int rc = lt_system_load(s, id, sys, &codes, err);
	if (rc == LT_OK)
		rc = lt_access_system(caller, &codes, err);
	lt_codelist_free(&codes);
	return rc;
}

static int disable_act(struct lt_store *s, struct act *a, struct lt_err *err)
{
	struct lt_system sys;
	int rc = manageable(s, a->caller, a->id, &sys, err);
	if (rc || (sys.disabled[0] != '\0') == a->disabled)
		return rc;
	char now[32] = "", target[64];
	if (a->disabled)
		lt_time_now(now);
	target_of(a->id, target);
	if ((rc = lt_store_system_disable(s, a->id, now, err)) == LT_OK &&
	    (rc = lt_audit_record(s, a->ctx, a->disabled ? "system.disable" : "system.enable", target, NULL, err)) ==
		    LT_OK)
		a->wrote = true;
	return rc;
}

int lt_system_set_disabled(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, bool disabled, bool *changed,
			   struct lt_err *err)
{
	struct act a = {.ctx = ctx, .caller = &ctx->who, .id = id, .disabled = disabled};
	int rc = run(s, disable_act, &a, err);
	if (changed)
		*changed = rc == LT_OK && a.wrote;
	return rc;
}

static int rotate_act(struct lt_store *s, struct act *a, struct lt_err *err)
{
	struct lt_system sys;
	struct lt_token row;
	int rc = manageable(s, a->caller, a->id, &sys, err);
	if (rc)
		return rc;
	char now[32], target[64];
	lt_time_now(now);
	target_of(a->id, target);
	if ((rc = lt_store_system_tokens_revoke(s, a->id, now, &a->revoked, err)) ||
	    (rc = lt__token_insert(s, LT_ROLE_SYSTEM, "", sys.name, a->id, a->token, &row, err)))
		return rc;
	json_t *d = json_pack("{s:i,s:I}", "revoked", a->revoked, "token", (json_int_t)row.id);
	rc = d ? lt_audit_record(s, a->ctx, "system.rotate_token", target, d, err)
	       : lt_err_set(err, LT_ENOMEM, "out of memory");
	json_decref(d);
	a->wrote = rc == LT_OK;
	return rc;
}

int lt_system_rotate_token(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, char token[LT_TOKEN_BUFSZ],
			   int *revoked, struct lt_err *err)
{
	token[0] = '\0';
	struct act a = {.ctx = ctx, .caller = &ctx->who, .id = id, .token = token};
	int rc = run(s, rotate_act, &a, err);
	*revoked = rc == LT_OK ? a.revoked : 0;
	if (rc)
		OPENSSL_cleanse(token, LT_TOKEN_BUFSZ);
	return rc;
}

/* What the SDK's HMAC key may be here: printable ASCII without spaces, so
 * it survives a configuration file and a shell, long enough not to be
 * guessed from one captured signature. */
static int check_secret(const char *secret, struct lt_err *err)
{
	size_t n = strlen(secret);
	if (n < 16 || n >= LT_TOKEN_BUFSZ)
		return lt_err_set(err, LT_EINVAL, "a VXP secret is 16 to %d bytes long; this one has %zu",
				  LT_TOKEN_BUFSZ - 1, n);
	for (size_t i = 0; i < n; i++)
		if (secret[i] < 0x21 || secret[i] > 0x7e)
			return lt_err_set(err, LT_EINVAL,
					  "a VXP secret is printable ASCII without spaces; byte %zu is not", i + 1);
	return LT_OK;
}

static int secret_act(struct lt_store *s, struct act *a, struct lt_err *err)
{
	struct lt_system sys;
	char target[64];
	int rc = manageable(s, a->caller, a->id, &sys, err);
	if (rc)
		return rc;
	target_of(a->id, target);
	if ((rc = lt_store_system_secret_set(s, a->id, a->sealed, err)) == LT_OK &&
	    (rc = lt_audit_record(s, a->ctx, a->rotate ? "system.rotate_secret" : "system.set_secret", target, NULL,
				  err)) == LT_OK)
		a->wrote = true;
	return rc;
}

int lt_system_set_secret(struct lt_store *s, const struct lt_ctx *ctx, int64_t id,
			 const unsigned char key[LT_SEAL_KEY_BYTES], const char *secret, char out[LT_TOKEN_BUFSZ],
			 struct lt_err *err)
{
	char sealed[sizeof((struct lt_system *)0)->secret_sealed];
	int rc;
	out[0] = '\0';
	if (id <= 0)
		return lt_err_set(err, LT_EINVAL, "a system id is a positive number (see 'lienthong system list')");
	if (secret) {
		if ((rc = check_secret(secret, err)))
			return rc;
		snprintf(out, LT_TOKEN_BUFSZ, "%s", secret);
	} else if ((rc = lt__random_text("vxp_", out, LT_TOKEN_BUFSZ, err))) {
		return rc;
	}
	struct act a = {.ctx = ctx, .caller = &ctx->who, .id = id, .sealed = sealed, .rotate = secret == NULL};
	rc = lt_seal(key, out, sealed, sizeof sealed, err);
	if (rc == LT_OK)
		rc = run(s, secret_act, &a, err);
	if (rc)
		OPENSSL_cleanse(out, LT_TOKEN_BUFSZ);
	return rc;
}
