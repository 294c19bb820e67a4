/* Organisations outside the state tree: enterprises, cooperatives and their
 * dependent units, under the 10-digit enterprise code (optional -NNN) that
 * the national business registry gives them. The registry only holds them
 * as references (with their source and status) so they can be found and
 * receive documents through a system bound to their code; the state tree's
 * rules (never reissue, decisions, lineage) do not apply to them. */
#ifndef LIENTHONG_ORGANIZATIONS_H
#define LIENTHONG_ORGANIZATIONS_H

#include <stdbool.h>

#include <jansson.h>

#include "lienthong/access.h"
#include "lienthong/store_requests.h"

/* The source recorded when none is given. */
#define LT_ORG_SOURCE_DEFAULT "Hệ thống thông tin quốc gia về đăng ký doanh nghiệp"

/* Is text an enterprise identifier (10 digits, optional -NNN)? */
bool lt_org_code(const char *text);

/* Adds an organisation as who (lt_access_org_write). in->code must be an
 * enterprise identifier (LT_EINVAL names what is wrong); kind defaults to
 * enterprise (dependent for a -NNN code, whose enterprise must be held);
 * status to active, source to LT_ORG_SOURCE_DEFAULT. LT_ECONFLICT when the
 * code is held already. out (optional) receives the stored row. */
int lt_org_add(struct lt_store *s, const struct lt_ctx *ctx, const struct lt_org *in, struct lt_org *out,
	       struct lt_err *err);
int lt_org_get(struct lt_store *s, const char *code, struct lt_org *out, struct lt_err *err);
/* A code fragment (digits and '-') or words of a name; *items (caller
 * owns) is an array of organisation objects. */
int lt_org_search(struct lt_store *s, const char *q, int limit, json_t **items, struct lt_err *err);
json_t *lt_org_to_json(const struct lt_org *o);

#endif
