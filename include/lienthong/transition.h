/* Transition: a reform applied as one decision (design.md §4 "Plans", §6).
 *
 * A plan is {"decision":{number,date,issuer,kind},"effective","title",
 * "steps":[…]}; each step is a reorganisation body (move, split, merge,
 * dissolve, without decision and effective date), {"kind":"issue","parent",
 * "name"} or {"kind":"rename","code","name"}. Wherever a step takes a code
 * it may name instead the unit an earlier step made: {"step":I} (for a
 * split, {"step":I,"part":K}). The whole plan is checked, every refusal
 * listed with its step, then applied in one transaction: all or nothing. A
 * dry run runs the very same code and rolls back, so it reports exactly
 * what the apply then does. */
#ifndef LIENTHONG_TRANSITION_H
#define LIENTHONG_TRANSITION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lienthong/ctx.h"
#include "lienthong/registry.h"

/* The most steps one plan takes. */
#define LT_PLAN_MAX_STEPS 5000

/* Applies (or, dry_run, computes) plan on behalf of ctx->who
 * (lt_access_plan, then each step's own rules and scope).
 *
 * On LT_OK *result is {"id" (null on a dry run), "dry_run", "decision",
 * "effective", "title", "steps":[{"step","kind","unit"?,"closed":[{code,
 * name}],"created":[{code,name,parent}],"moved":[{from,to,name}],
 * "renamed":[{code,old_name,name}]}], and the same four lists over the whole
 * plan}. On a refusal nothing is written, err says how many refusals and
 * the first, and *refusals (when not NULL) is [{"step" (null for the plan
 * itself),"field","code","reason"}]. Caller owns both. */
int lt_plan_apply(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *plan, bool dry_run, json_t **result,
		  json_t **refusals, struct lt_err *err);

/* The same inside a transaction the caller holds (lt_registry_txn_begin):
 * applied and stored, never a dry run; on a refusal the caller must roll
 * its transaction back. A change request of kind plan is approved so. */
int lt_plan_apply_in(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *plan, json_t **result,
		     json_t **refusals, struct lt_err *err);

/* The codes a plan names (not the references to earlier steps' units):
 * those it writes under or into (issue and new-unit parents, merge
 * targets) in writes, those it reorganises or renames in reorganises, as a
 * change made alone would be judged (lt_access_write, lt_access_reorganise).
 * Malformed entries are skipped: lt_plan_apply judges them. */
int lt_plan_codes(const json_t *plan, struct lt_codelist *writes, struct lt_codelist *reorganises, struct lt_err *err);

/* Whether two plans close a same unit: a code both name (as a code, not a
 * reference) in a step's "from". */
bool lt_plan_overlaps(const json_t *a, const json_t *b);

/* Plans applied, oldest first: [{"id","decision":{number,date,issuer,
 * kind},"effective","title","at","actor","steps","closed","created",
 * "moved","renamed"}] (the last five are counts). */
int lt_plan_list(struct lt_registry *r, json_t **out, struct lt_err *err);
/* One plan: the list's fields, the plan as given ("plan") and what it did
 * ("result", as lt_plan_apply returned it). LT_ENOTFOUND when none. */
int lt_plan_get(struct lt_registry *r, int64_t id, json_t **out, struct lt_err *err);

/* The plan whose step recorded change change_id (the change_id of an event
 * of the change feed, of a lineage link): *plan_id 0 when the change was
 * made on its own. The mapping and the campaigns name a closure's plan by
 * this. */
int lt_plan_of_change(struct lt_registry *r, int64_t change_id, int64_t *plan_id, struct lt_err *err);

#endif
