/* Transition campaigns (design.md §6; issue 19): after a reform, every
 * connected system must convert its data and stop using the closed codes.
 * A campaign lists the systems concerned with what the hub measures itself
 * (never what a system declares): when it fetched the mapping, when it
 * last read the catalogue, whether it acknowledged a probe, and its uses
 * of closed codes, as a recipient and as a sender. A probe run sends a real
 * package from the hub's code to every active unit in scope that has a
 * receiving system, and reports who received, fetched, acknowledged and
 * answered it. Who may do what is lt_access_campaign's (access.h). */
#ifndef LIENTHONG_CAMPAIGNS_H
#define LIENTHONG_CAMPAIGNS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lienthong/ctx.h"
#include "lienthong/exchange.h"
#include "lienthong/registry.h"

/* What a campaign covers: the codes a plan closed (plan, lt_plan_get), or
 * the codes closed on or after since (YYYY-MM-DD): one of the two; within
 * under (a code, "" or NULL for the whole registry: the closed code or one
 * of its current successors lies in that subtree, root included). */
struct lt_campaign_spec {
	const char *name;
	int64_t plan; /* 0: none */
	const char *since;
	const char *under;
};

/* Opens a campaign for ctx->who (lt_access_campaign over under), in one
 * transaction: the campaign and every code it covers, each closed code with
 * each current successor. LT_EINVAL for a missing name, neither or both of
 * plan and since, a bad date or code; LT_ENOTFOUND for an unknown plan or
 * under; LT_ERULE when no code closed in range. *out is the campaign
 * (lt_campaign_get's shape without systems). */
int lt_campaign_open(struct lt_registry *r, struct lt_exchange *x, const struct lt_ctx *ctx,
		     const struct lt_campaign_spec *spec, json_t **out, struct lt_err *err);
/* The campaigns who may see, newest first: {"items":[…]}. */
int lt_campaign_list(struct lt_registry *r, const struct lt_principal *who, json_t **out, struct lt_err *err);
/* One campaign: its codes (old → new, with names) and every system
 * concerned (bound to one of its codes, or that exchanged a document with
 * one in the last 90 days) with the checks measured for it. */
int lt_campaign_get(struct lt_registry *r, struct lt_exchange *x, const struct lt_principal *who, int64_t id,
		    json_t **out, struct lt_err *err);
/* The systems of lt_campaign_get's reply (c) as CSV, one row each. */
int lt_campaign_csv(const json_t *c, FILE *out, struct lt_err *err);

/* Sends a probe run for ctx->who: one package from the hub's code
 * (hub_code) to every active unit in scope (the subtree of under, root
 * included, and the current successors of the campaign's codes) with a
 * receiving system, marked as a probe (docs/campaigns.md); *out is the
 * report of lt_campaign_probe_report. LT_ERULE when the hub has no code. */
int lt_campaign_probe(struct lt_registry *r, struct lt_exchange *x, const struct lt_ctx *ctx, int64_t id, json_t **out,
		      struct lt_err *err);
/* The latest probe run, per unit: no receiving system, or per receiving
 * system delivered, fetched (when), acknowledged (when) and status 01
 * received (when). LT_ENOTFOUND when none was sent. */
int lt_campaign_probe_report(struct lt_registry *r, struct lt_exchange *x, const struct lt_principal *who, int64_t id,
			     json_t **out, struct lt_err *err);

/* Each system's uses of closed codes on or after since (YYYY-MM-DD, "" for
 * all): {"since", "items":[{system:{id,name}, uses:[{code, as, count,
 * last_seen, current:[…]}]}]}; an admin sees every system, a manager those
 * it sees (lt_access_stale). */
int lt_transition_stale(struct lt_registry *r, const struct lt_principal *who, const char *since, json_t **out,
			struct lt_err *err);

/* What a connected system read, for a campaign's checks: the catalogue
 * (the change feed, the shared catalogue's records, VXP getAgenciesList).
 * (The mapping's fetches are recorded by its route: transition_map.h.)
 * Called by the routes that serve them with the caller; records only for a
 * system (role system), at most once a minute per system and kind (the
 * first read after a campaign opens always), so a hot read path costs a
 * memory look-up. Failing to record is logged, never the reader's
 * failure. */
enum lt_read_kind { LT_READ_CATALOGUE };
void lt_campaign_note_read(struct lt_registry *r, const struct lt_ctx *ctx, enum lt_read_kind what);

#endif
