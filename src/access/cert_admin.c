/* Signing certificates bound and revoked on behalf of a caller: the unit's
 * manager or an admin (lt_access_write), each act recorded in the audit
 * trail in the transaction that makes it, as the acts on systems are. */
#include <string.h>

#include "access_impl.h"
#include "lienthong/sign.h"

static int audit_cert(struct lt_store *s, const struct lt_ctx *ctx, const char *action, const char *code,
		      json_t *detail, struct lt_err *err)
{
	char target[64];
	snprintf(target, sizeof target, "unit:%s", code);
	int rc = detail ? lt_audit_record(s, ctx, action, target, detail, err)
			: lt_err_set(err, LT_ENOMEM, "out of memory");
	json_decref(detail);
	return rc;
}

int lt_cert_bind(struct lt_store *s, const struct lt_ctx *ctx, const char *code, const char *pem, struct lt_cert *out,
		 struct lt_err *err)
{
	const struct lt_principal *caller = &ctx->who;
	struct lt_cert c;
	int rc = lt_access_write(caller, code, err);
	if (rc || (rc = lt_store_begin(s, err)))
		return rc;
	/* lt_cert_register's own transaction nests in this one. */
	if ((rc = lt_cert_register(s, ctx, code, pem, &c, err)) == LT_OK)
		rc = audit_cert(s, ctx, "cert.add", c.code,
				json_pack("{s:I,s:s,s:s}", "id", (json_int_t)c.id, "subject", c.subject, "fingerprint",
					  c.fingerprint),
				err);
	if (rc == LT_OK)
		rc = lt_store_commit(s, err);
	else
		lt_store_rollback(s);
	if (rc == LT_OK && out)
		*out = c;
	return rc;
}

int lt_cert_withdraw(struct lt_store *s, const struct lt_ctx *ctx, const char *code, int64_t id, struct lt_err *err)
{
	const struct lt_principal *caller = &ctx->who;
	int rc = lt_access_write(caller, code, err);
	if (rc || (rc = lt_store_begin(s, err)))
		return rc;
	if ((rc = lt_cert_revoke(s, ctx, code, id, err)) == LT_OK)
		rc = audit_cert(s, ctx, "cert.revoke", code, json_pack("{s:I}", "id", (json_int_t)id), err);
	if (rc == LT_OK)
		rc = lt_store_commit(s, err);
	else
		lt_store_rollback(s);
	return rc;
}
