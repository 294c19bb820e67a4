/* The table of campaign operations (store_campaigns.h) each store backend
 * fills; lt_store_ops points at it. */
#ifndef LT_STORE_CAMPAIGN_OPS_H
#define LT_STORE_CAMPAIGN_OPS_H

#include "lienthong/store_campaigns.h"

struct lt_store_campaign_ops {
	int (*add)(struct lt_store *s, struct lt_campaign_row *c, struct lt_err *err);
	int (*get)(struct lt_store *s, int64_t id, struct lt_campaign_row *out, struct lt_err *err);
	int (*list)(struct lt_store *s, lt_campaign_row_cb cb, void *ctx, struct lt_err *err);
	int (*code_add)(struct lt_store *s, int64_t campaign_id, const char *old_code, const char *new_code,
			struct lt_err *err);
	int (*codes)(struct lt_store *s, int64_t campaign_id, lt_campaign_code_cb cb, void *ctx, struct lt_err *err);
	int (*systems)(struct lt_store *s, int64_t campaign_id, const char *after, int64_t skip,
		       lt_campaign_system_cb cb, void *ctx, struct lt_err *err);
	int (*closed_since)(struct lt_store *s, const char *since, lt_campaign_code_cb cb, void *ctx,
			    struct lt_err *err);
	int (*probe_add)(struct lt_store *s, struct lt_probe_row *p, struct lt_err *err);
	int (*probe_latest)(struct lt_store *s, int64_t campaign_id, struct lt_probe_row *out, struct lt_err *err);
	int (*probe_unit_add)(struct lt_store *s, int64_t probe_id, const char *code, const char *doc,
			      struct lt_err *err);
	int (*probe_units)(struct lt_store *s, int64_t probe_id, lt_probe_unit_cb cb, void *ctx, struct lt_err *err);
	int (*xfetch_note)(struct lt_store *s, const char *doc, int64_t system_id, const char *at, struct lt_err *err);
	int (*xfetch_get)(struct lt_store *s, const char *doc, int64_t system_id, char at[32], struct lt_err *err);
	int (*code_use_add)(struct lt_store *s, int64_t system_id, const char *code, const char *role, const char *at,
			    struct lt_err *err);
	int (*code_uses)(struct lt_store *s, const char *since_day, int64_t system_id, lt_code_use_cb cb, void *ctx,
			 struct lt_err *err);
	int (*read_note)(struct lt_store *s, int64_t system_id, const char *what, const char *at, struct lt_err *err);
	int (*read_get)(struct lt_store *s, int64_t system_id, const char *what, char at[32], struct lt_err *err);
	int (*hub_sender_get)(struct lt_store *s, const char *code, int64_t *system_id, struct lt_err *err);
	int (*hub_sender_set)(struct lt_store *s, const char *code, int64_t system_id, struct lt_err *err);
};

#endif
