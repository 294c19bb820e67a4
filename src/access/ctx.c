/* The actor a registry change records, from the call's principal. */
#include <stdio.h>

#include "access_impl.h"

void lt_ctx_actor(const struct lt_ctx *ctx, char *out, size_t cap)
{
	const struct lt_principal *p = &ctx->who;
	if (p->via_vxp)
		snprintf(out, cap, "vxp:system-%lld", (long long)p->system_id);
	else if (p->token_id > 0)
		snprintf(out, cap, "http:%s:token-%lld", lt_role_name(p->role), (long long)p->token_id);
	else if (p->name[0])
		snprintf(out, cap, "%s", p->name);
	else
		snprintf(out, cap, "%s", lt_role_name(p->role));
}
