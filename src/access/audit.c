/* The audit trail: who bound, unbound, disabled, enabled or re-keyed a
 * connected system or revoked a token, and when. An entry is written in the
 * transaction of the act itself, so an act without its entry never commits. */
#include <stdlib.h>
#include <string.h>

#include "access_impl.h"

void lt_principal_describe(const struct lt_principal *p, char *out, size_t cap)
{
	if (p->via_vxp)
		snprintf(out, cap, "system %lld (%s) via VXP", (long long)p->system_id, p->name);
	else if (p->token_id > 0)
		snprintf(out, cap, "token %lld (%s)", (long long)p->token_id, p->name[0] ? p->name : "unnamed");
	else
		snprintf(out, cap, "%s", p->name[0] ? p->name : lt_role_name(p->role));
}

int lt_audit_record(struct lt_store *s, const struct lt_ctx *ctx, const char *action, const char *target,
		    const json_t *detail, struct lt_err *err)
{
	const struct lt_principal *who = &ctx->who;
	struct lt_audit a;
	memset(&a, 0, sizeof a);
	lt_time_now(a.at);
	lt_principal_describe(who, a.who, sizeof a.who);
	snprintf(a.role, sizeof a.role, "%s", lt_role_name(who->role));
	snprintf(a.action, sizeof a.action, "%s", action);
	snprintf(a.target, sizeof a.target, "%s", target);
	char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (detail && !text)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	a.detail = text ? text : "{}";
	int rc = lt_store_audit_add(s, &a, err);
	free(text);
	return rc;
}

int lt_audit_list(struct lt_store *s, const struct lt_principal *caller, const char *target, int64_t after, int limit,
		  lt_audit_cb cb, void *ctx, struct lt_err *err)
{
	int rc = lt_access_admin(caller, err);
	if (rc)
		return rc;
	if (limit < 1 || limit > 1000)
		return lt_err_set(err, LT_EINVAL, "limit must be 1 to 1000");
	if (after < 0)
		return lt_err_set(err, LT_EINVAL, "the cursor must be an entry id (0 for the start)");
	return lt_store_audits(s, target, after, limit, cb, ctx, err);
}
