/* Connected systems: registered for the codes they speak for, each with a
 * bearer token (hash only) and a sealed VXP secret, all in one transaction. */
#include <string.h>

#include "access_impl.h"
#include "lienthong/organizations.h"

/* Registering binds codes: the trail records who bound which. */
static json_t *code_array(const struct lt_codelist *codes)
{
	json_t *jc = json_array();
	for (size_t i = 0; jc && i < codes->n; i++)
		if (json_array_append_new(jc, json_string(codes->codes[i]))) {
			json_decref(jc);
			jc = NULL;
		}
	return jc;
}

static int audit_register(struct lt_store *s, const struct lt_ctx *ctx, const struct lt_system *sys,
			  const struct lt_codelist *codes, const struct lt_codelist *subtrees, struct lt_err *err)
{
	json_t *jc = code_array(codes), *js = code_array(subtrees);
	json_t *d = jc && js ? json_pack("{s:s,s:O,s:O}", "name", sys->name, "codes", jc, "subtrees", js) : NULL;
	json_decref(jc);
	json_decref(js);
	if (!d)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	char target[64];
	snprintf(target, sizeof target, "system:%lld", (long long)sys->id);
	int rc = lt_audit_record(s, ctx, "system.add", target, d, err);
	json_decref(d);
	return rc;
}

int lt_system_register(struct lt_store *s, const struct lt_ctx *ctx, const char *name,
		       const char (*codes)[LT_CODE_BUFSZ], size_t n_codes, const unsigned char key[LT_SEAL_KEY_BYTES],
		       struct lt_system_created *out, struct lt_err *err)
{
	return lt_system_register_subtrees(s, ctx, name, codes, n_codes, NULL, 0, key, out, err);
}

/* A subtree root: a strict code of an active unit the caller may bind as a
 * subtree. */
static int check_root(struct lt_store *s, const struct lt_principal *caller, const char *text, char root[LT_CODE_BUFSZ],
		      struct lt_err *err)
{
	struct lt_code c;
	struct lt_unit u;
	int rc;
	if ((rc = lt_code_parse(&c, text, LT_CODE_STRICT, err)))
		return lt_err_prefix(err, "subtree '%s': ", text);
	lt_code_format(&c, root);
	if ((rc = lt_access_subtree(caller, root, err)) || (rc = lt_store_unit_get(s, root, &u, err)))
		return rc;
	if (u.status != LT_UNIT_ACTIVE)
		return lt_err_set(err, LT_ERULE, "subtree %s: the unit is closed: bind its successor", root);
	return LT_OK;
}

int lt_system_register_subtrees(struct lt_store *s, const struct lt_ctx *ctx, const char *name,
				const char (*codes)[LT_CODE_BUFSZ], size_t n_codes,
				const char (*subtrees)[LT_CODE_BUFSZ], size_t n_subtrees,
				const unsigned char key[LT_SEAL_KEY_BYTES], struct lt_system_created *out,
				struct lt_err *err)
{
	memset(out, 0, sizeof *out);
	const struct lt_principal *caller = &ctx->who;
	int rc = lt_access_system_register(caller, err);
	if (rc)
		return rc;
	size_t nlen = name ? strlen(name) : 0;
	if (nlen == 0 || nlen >= sizeof((struct lt_system *)0)->name || !lt_text_is_clean_utf8(name))
		return lt_err_set(err, LT_EINVAL, "a system needs a name of 1 to 255 bytes of UTF-8 text");
	if (n_codes + n_subtrees == 0)
		return lt_err_set(err, LT_EINVAL, "a system speaks for at least one code: give codes or subtrees");
	if (n_codes > 1000 || n_subtrees > 1000)
		return lt_err_set(err, LT_ETOOBIG, "a system speaks for at most 1000 codes and 1000 subtrees");
	struct lt_codelist canon = {0}, roots = {0};
	for (size_t i = 0; i < n_subtrees && rc == LT_OK; i++) {
		char root[LT_CODE_BUFSZ];
		if ((rc = check_root(s, caller, subtrees[i], root, err)) == LT_OK && !lt_codelist_has(&roots, root) &&
		    lt_codelist_add(&roots, root))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n_codes && rc == LT_OK; i++) {
		struct lt_code c;
		char code[LT_CODE_BUFSZ];
		struct lt_unit u;
		struct lt_org org;
		if (lt_org_code(codes[i])) {
			/* An organisation outside the state tree receives under its enterprise code. */
			if ((rc = lt_access_org_connect(caller, codes[i], err)) ||
			    (rc = lt_org_get(s, codes[i], &org, err)))
				break;
			if (strcmp(org.status, "active") != 0) {
				rc = lt_err_set(err, LT_ERULE, "organisation %s is %s", org.code, org.status);
				break;
			}
			if (!lt_codelist_has(&canon, org.code) && lt_codelist_add(&canon, org.code))
				rc = lt_err_set(err, LT_ENOMEM, "out of memory");
			continue;
		}
		if ((rc = lt_code_parse(&c, codes[i], LT_CODE_STRICT, err))) {
			lt_err_prefix(err, "code '%s': ", codes[i]);
			break;
		}
		lt_code_format(&c, code);
		if ((rc = lt_access_write(caller, code, err)))
			break;
		if ((rc = lt_store_unit_get(s, code, &u, err)))
			break;
		if (u.status != LT_UNIT_ACTIVE) {
			rc = lt_err_set(err, LT_ERULE, "%s is closed: connect the system to its successor", code);
			break;
		}
		if (!lt_codelist_has(&canon, code) && lt_codelist_add(&canon, code))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	struct lt_system sys = {0};
	snprintf(sys.name, sizeof sys.name, "%s", name);
	if (canon.n || roots.n)
		snprintf(sys.primary_code, sizeof sys.primary_code, "%s", canon.n ? canon.codes[0] : roots.codes[0]);
	lt_time_now(sys.created);
	if (rc == LT_OK && (rc = lt__random_text("vxp_", out->vxp_secret, sizeof out->vxp_secret, err)) == LT_OK)
		rc = lt_seal(key, out->vxp_secret, sys.secret_sealed, sizeof sys.secret_sealed, err);
	if (rc == LT_OK && (rc = lt_store_begin(s, err)) == LT_OK) {
		struct lt_token row;
		rc = lt_store_system_add(s, &sys, err);
		for (size_t i = 0; i < canon.n && rc == LT_OK; i++)
			rc = lt_store_system_code_add(s, sys.id, canon.codes[i], err);
		for (size_t i = 0; i < roots.n && rc == LT_OK; i++)
			rc = lt_store_system_subtree_add(s, sys.id, roots.codes[i], err);
		if (rc == LT_OK)
			rc = lt__token_insert(s, LT_ROLE_SYSTEM, "", name, sys.id, out->token, &row, err);
		if (rc == LT_OK)
			rc = audit_register(s, ctx, &sys, &canon, &roots, err);
		if (rc == LT_OK)
			rc = lt_store_commit(s, err);
		else
			lt_store_rollback(s);
	}
	lt_codelist_free(&canon);
	lt_codelist_free(&roots);
	if (rc == LT_OK)
		out->id = sys.id;
	else
		memset(out, 0, sizeof *out);
	return rc;
}

int lt_system_secret(struct lt_store *s, int64_t id, const unsigned char key[LT_SEAL_KEY_BYTES],
		     char secret[LT_TOKEN_BUFSZ], struct lt_err *err)
{
	struct lt_system sys;
	int rc = lt_store_system_get(s, id, &sys, err);
	if (rc)
		return rc;
	return lt_unseal(key, sys.secret_sealed, secret, LT_TOKEN_BUFSZ, err);
}
