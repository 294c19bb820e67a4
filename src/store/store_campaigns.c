/* Dispatch of the campaign store calls to the backend. */
#include "campaign_ops.h"
#include "store_impl.h"

#define CDISPATCH(call) return s->ops->campaigns->call

int lt_store_campaign_add(struct lt_store *s, struct lt_campaign_row *c, struct lt_err *err)
{
	CDISPATCH(add(s, c, err));
}
int lt_store_campaign_get(struct lt_store *s, int64_t id, struct lt_campaign_row *out, struct lt_err *err)
{
	CDISPATCH(get(s, id, out, err));
}
int lt_store_campaigns(struct lt_store *s, lt_campaign_row_cb cb, void *ctx, struct lt_err *err)
{
	CDISPATCH(list(s, cb, ctx, err));
}
int lt_store_campaign_code_add(struct lt_store *s, int64_t campaign_id, const char *old_code, const char *new_code,
			       struct lt_err *err)
{
	CDISPATCH(code_add(s, campaign_id, old_code, new_code, err));
}
int lt_store_campaign_codes(struct lt_store *s, int64_t campaign_id, lt_campaign_code_cb cb, void *ctx,
			    struct lt_err *err)
{
	CDISPATCH(codes(s, campaign_id, cb, ctx, err));
}
int lt_store_campaign_systems(struct lt_store *s, int64_t campaign_id, const char *after, int64_t skip,
			      lt_campaign_system_cb cb, void *ctx, struct lt_err *err)
{
	CDISPATCH(systems(s, campaign_id, after, skip, cb, ctx, err));
}
int lt_store_closed_since(struct lt_store *s, const char *since, lt_campaign_code_cb cb, void *ctx, struct lt_err *err)
{
	CDISPATCH(closed_since(s, since, cb, ctx, err));
}
int lt_store_probe_add(struct lt_store *s, struct lt_probe_row *p, struct lt_err *err)
{
	CDISPATCH(probe_add(s, p, err));
}
int lt_store_probe_latest(struct lt_store *s, int64_t campaign_id, struct lt_probe_row *out, struct lt_err *err)
{
	CDISPATCH(probe_latest(s, campaign_id, out, err));
}
int lt_store_probe_unit_add(struct lt_store *s, int64_t probe_id, const char *code, const char *doc, struct lt_err *err)
{
	CDISPATCH(probe_unit_add(s, probe_id, code, doc, err));
}
int lt_store_probe_units(struct lt_store *s, int64_t probe_id, lt_probe_unit_cb cb, void *ctx, struct lt_err *err)
{
	CDISPATCH(probe_units(s, probe_id, cb, ctx, err));
}
int lt_store_xfetch_note(struct lt_store *s, const char *doc, int64_t system_id, const char *at, struct lt_err *err)
{
	CDISPATCH(xfetch_note(s, doc, system_id, at, err));
}
int lt_store_xfetch_get(struct lt_store *s, const char *doc, int64_t system_id, char at[32], struct lt_err *err)
{
	CDISPATCH(xfetch_get(s, doc, system_id, at, err));
}
int lt_store_code_use_add(struct lt_store *s, int64_t system_id, const char *code, const char *role, const char *at,
			  struct lt_err *err)
{
	CDISPATCH(code_use_add(s, system_id, code, role, at, err));
}
int lt_store_code_uses(struct lt_store *s, const char *since_day, int64_t system_id, lt_code_use_cb cb, void *ctx,
		       struct lt_err *err)
{
	CDISPATCH(code_uses(s, since_day, system_id, cb, ctx, err));
}
int lt_store_read_note(struct lt_store *s, int64_t system_id, const char *what, const char *at, struct lt_err *err)
{
	CDISPATCH(read_note(s, system_id, what, at, err));
}
int lt_store_read_get(struct lt_store *s, int64_t system_id, const char *what, char at[32], struct lt_err *err)
{
	CDISPATCH(read_get(s, system_id, what, at, err));
}
int lt_store_hub_sender_get(struct lt_store *s, const char *code, int64_t *system_id, struct lt_err *err)
{
	CDISPATCH(hub_sender_get(s, code, system_id, err));
}
int lt_store_hub_sender_set(struct lt_store *s, const char *code, int64_t system_id, struct lt_err *err)
{
	CDISPATCH(hub_sender_set(s, code, system_id, err));
}
