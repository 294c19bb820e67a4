/* Connected systems: registered for the codes they speak for, each with a
 * bearer token (hash only) and a sealed VXP secret, all in one transaction. */
#include <string.h>

#include "access_impl.h"
#include "lienthong/organizations.h"

/* Registering binds codes: the trail records who bound which. */
static int audit_register(struct lt_store *s, const struct lt_ctx *ctx, const struct lt_system *sys,
			  const struct lt_codelist *codes, struct lt_err *err)
{
	json_t *jc = json_array();
	for (size_t i = 0; jc && i < codes->n; i++)
		if (json_array_append_new(jc, json_string(codes->codes[i]))) {
			json_decref(jc);
			jc = NULL;
		}
	json_t *d = jc ? json_pack("{s:s,s:o}", "name", sys->name, "codes", jc) : NULL;
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
	memset(out, 0, sizeof *out);
	const struct lt_principal *caller = &ctx->who;
	int rc = lt_access_system_register(caller, err);
	if (rc)
		return rc;
	size_t nlen = name ? strlen(name) : 0;
	if (nlen == 0 || nlen >= sizeof((struct lt_system *)0)->name || !lt_text_is_clean_utf8(name))
		return lt_err_set(err, LT_EINVAL, "a system needs a name of 1 to 255 bytes of UTF-8 text");
	if (n_codes == 0)
		return lt_err_set(err, LT_EINVAL, "a system speaks for at least one code: give codes");
	if (n_codes > 1000)
		return lt_err_set(err, LT_ETOOBIG, "a system speaks for at most 1000 codes");
	struct lt_codelist canon = {0};
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
	if (canon.n)
		snprintf(sys.primary_code, sizeof sys.primary_code, "%s", canon.codes[0]);
	lt_time_now(sys.created);
	if (rc == LT_OK && (rc = lt__random_text("vxp_", out->vxp_secret, sizeof out->vxp_secret, err)) == LT_OK)
		rc = lt_seal(key, out->vxp_secret, sys.secret_sealed, sizeof sys.secret_sealed, err);
	if (rc == LT_OK && (rc = lt_store_begin(s, err)) == LT_OK) {
		struct lt_token row;
		rc = lt_store_system_add(s, &sys, err);
		for (size_t i = 0; i < canon.n && rc == LT_OK; i++)
			rc = lt_store_system_code_add(s, sys.id, canon.codes[i], err);
		if (rc == LT_OK)
			rc = lt__token_insert(s, LT_ROLE_SYSTEM, "", name, sys.id, out->token, &row, err);
		if (rc == LT_OK)
			rc = audit_register(s, ctx, &sys, &canon, err);
		if (rc == LT_OK)
			rc = lt_store_commit(s, err);
		else
			lt_store_rollback(s);
	}
	lt_codelist_free(&canon);
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
