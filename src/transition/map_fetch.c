/* Who fetched the mapping, measured by the hub rather than declared by the
 * system: kept in the audit trail, which already records every act of a
 * credential with its time, in both stores. */
#include <string.h>

#include "lienthong/access.h"
#include "lienthong/transition_map.h"

#define FETCH_ACTION "transition.map_fetch"

int lt_transition_note_read(struct lt_store *s, const struct lt_ctx *ctx, const struct lt_map_filter *f,
			    const char *format, struct lt_err *err)
{
	char target[64];
	if (ctx->who.system_id > 0)
		snprintf(target, sizeof target, "system:%lld", (long long)ctx->who.system_id);
	else if (ctx->who.token_id > 0)
		snprintf(target, sizeof target, "token:%lld", (long long)ctx->who.token_id);
	else
		return LT_OK;
	json_t *detail =
		json_pack("{s:s?,s:s?,s:o,s:s}", "since", f && f->since[0] ? f->since : NULL, "under",
			  f && f->under[0] ? f->under : NULL, "plan",
			  f && f->plan ? json_integer(f->plan) : json_null(), "format", format ? format : "csv");
	if (!detail)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int rc = lt_store_begin(s, err);
	if (rc == LT_OK) {
		rc = lt_audit_record(s, ctx, FETCH_ACTION, target, detail, err);
		if (rc == LT_OK)
			rc = lt_store_commit(s, err);
		else
			lt_store_rollback(s);
	}
	json_decref(detail);
	return rc;
}

struct latest {
	const char *since;
	char *at;
	int64_t last_id;
};

static int latest_fetch(void *ctx, const struct lt_audit *a)
{
	struct latest *l = ctx;
	l->last_id = a->id;
	if (strcmp(a->action, FETCH_ACTION) == 0 && strcmp(a->at, l->since) >= 0 && strcmp(a->at, l->at) > 0)
		snprintf(l->at, 32, "%s", a->at);
	return LT_OK;
}

int lt_transition_map_fetched(struct lt_store *s, int64_t system_id, const char *since, char at[32], struct lt_err *err)
{
	at[0] = '\0';
	char target[64];
	snprintf(target, sizeof target, "system:%lld", (long long)system_id);
	struct latest l = {since ? since : "", at, 0};
	int64_t before;
	int rc;
	do {
		before = l.last_id;
		rc = lt_store_audits(s, target, l.last_id, 1000, latest_fetch, &l, err);
	} while (rc == LT_OK && l.last_id != before);
	return rc;
}
