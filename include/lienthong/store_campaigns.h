/* The store's rows for transition campaigns (campaigns.h): campaigns and
 * the codes they cover, probe runs, which system read the catalogue when, the first fetch of a probe, and every use of
 * a closed code by a system. Rows, not rules: src/transition decides what to write. */
#ifndef LIENTHONG_STORE_CAMPAIGNS_H
#define LIENTHONG_STORE_CAMPAIGNS_H

#include <stdbool.h>
#include <stdint.h>

#include "lienthong/store.h"

struct lt_campaign_row {
	int64_t id; /* set by lt_store_campaign_add */
	char name[256];
	int64_t plan_id; /* 0 when opened by since/under */
	char since[LT_DATE_BUFSZ];
	char under[LT_CODE_BUFSZ];
	char baseline[32]; /* the latest closing in scope was recorded then: reads after it count */
	char created[32];
	char actor[192];
};
typedef int (*lt_campaign_row_cb)(void *ctx, const struct lt_campaign_row *c);

/* A code the campaign covers: a closed code and one of its current
 * successors ("" when it has none). */
typedef int (*lt_campaign_code_cb)(void *ctx, const char *old_code, const char *new_code);
/* A system concerned by a campaign: bound to one of its codes (old or new),
 * or that exchanged a document with one since a time. */
typedef int (*lt_campaign_system_cb)(void *ctx, int64_t system_id, bool bound, bool exchanged);

struct lt_probe_row {
	int64_t id; /* set by lt_store_probe_add */
	int64_t campaign_id;
	char at[32];
	char actor[192];
};
/* A unit a probe run concerned: doc is the probe package it was addressed
 * in, "" when it had no receiving system. */
typedef int (*lt_probe_unit_cb)(void *ctx, const char *code, const char *doc);

/* Uses of closed codes, summed per (system, code, role) over the days from
 * a date on: role "recipient" (addressed) or "sender" (sent as). */
struct lt_code_use {
	int64_t system_id;
	char code[LT_CODE_BUFSZ];
	char role[12];
	int64_t count;
	char last[32];
};
typedef int (*lt_code_use_cb)(void *ctx, const struct lt_code_use *u);

int lt_store_campaign_add(struct lt_store *s, struct lt_campaign_row *c, struct lt_err *err);
int lt_store_campaign_get(struct lt_store *s, int64_t id, struct lt_campaign_row *out, struct lt_err *err);
/* Newest first. */
int lt_store_campaigns(struct lt_store *s, lt_campaign_row_cb cb, void *ctx, struct lt_err *err);
int lt_store_campaign_code_add(struct lt_store *s, int64_t campaign_id, const char *old_code, const char *new_code,
			       struct lt_err *err);
int lt_store_campaign_codes(struct lt_store *s, int64_t campaign_id, lt_campaign_code_cb cb, void *ctx,
			    struct lt_err *err);
/* Systems not removed, bound to a code of the campaign (old or new), or
 * that since `after` sent an edoc to one (addressed or routed to) or were
 * delivered one sent as one; lowest id first, skip excluded (0: none). */
int lt_store_campaign_systems(struct lt_store *s, int64_t campaign_id, const char *after, int64_t skip,
			      lt_campaign_system_cb cb, void *ctx, struct lt_err *err);
/* Codes closed (status closed) with valid_to on or after since, every one
 * of the registry; cb gets the code and its valid_to. */
int lt_store_closed_since(struct lt_store *s, const char *since, lt_campaign_code_cb cb, void *ctx, struct lt_err *err);

int lt_store_probe_add(struct lt_store *s, struct lt_probe_row *p, struct lt_err *err);
/* The campaign's latest probe run; LT_ENOTFOUND when none. */
int lt_store_probe_latest(struct lt_store *s, int64_t campaign_id, struct lt_probe_row *out, struct lt_err *err);
int lt_store_probe_unit_add(struct lt_store *s, int64_t probe_id, const char *code, const char *doc,
			    struct lt_err *err);
int lt_store_probe_units(struct lt_store *s, int64_t probe_id, lt_probe_unit_cb cb, void *ctx, struct lt_err *err);

/* The first fetch of a package's body by a system; later ones change
 * nothing. *at gets it ("" when never fetched). */
int lt_store_xfetch_note(struct lt_store *s, const char *doc, int64_t system_id, const char *at, struct lt_err *err);
int lt_store_xfetch_get(struct lt_store *s, const char *doc, int64_t system_id, char at[32], struct lt_err *err);

/* One use of a closed code by a system at `at` (counted on its day). */
int lt_store_code_use_add(struct lt_store *s, int64_t system_id, const char *code, const char *role, const char *at,
			  struct lt_err *err);
/* Uses on day since_day (YYYY-MM-DD) or later, of one system (0: all),
 * by system, code and role. */
int lt_store_code_uses(struct lt_store *s, const char *since_day, int64_t system_id, lt_code_use_cb cb, void *ctx,
		       struct lt_err *err);

/* A system read `what` ("catalogue": the change feed, dmdc, VXP lists) at
 * `at`: the latest is kept. *at gets it ("" when never). */
int lt_store_read_note(struct lt_store *s, int64_t system_id, const char *what, const char *at, struct lt_err *err);
int lt_store_read_get(struct lt_store *s, int64_t system_id, const char *what, char at[32], struct lt_err *err);

/* The connected system the hub sends its own packages (probes) from, for
 * its code; LT_ENOTFOUND when none was made yet. */
int lt_store_hub_sender_get(struct lt_store *s, const char *code, int64_t *system_id, struct lt_err *err);
int lt_store_hub_sender_set(struct lt_store *s, const char *code, int64_t system_id, struct lt_err *err);

#endif
