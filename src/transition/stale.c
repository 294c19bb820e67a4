/* Each connected system's uses of closed codes: what the hub recorded
 * when a package was addressed to a closed code (routed through lineage)
 * or sent as one (accepted from a system that speaks for its successor). */
#include <string.h>

#include "campaign_impl.h"
#include "lienthong/access.h"
#include "lienthong/text.h"

struct stale_ctx {
	struct lt_registry *r;
	struct lt_store *s;
	const struct lt_principal *who;
	json_t *items;
	int64_t system_id; /* the system of the open item, 0 before the first */
	json_t *uses;      /* its uses, NULL when the caller may not see it */
	struct lt_err *err;
};

/* Starts the item of a system when the caller may see it. */
static int open_system(struct stale_ctx *c, int64_t id)
{
	c->system_id = id;
	c->uses = NULL;
	struct lt_system sys;
	struct lt_codelist codes = {0};
	int rc = lt_system_load(c->s, id, &sys, &codes, c->err);
	if (rc == LT_ENOTFOUND) {
		memset(c->err, 0, sizeof *c->err);
		return LT_OK;
	}
	bool visible = rc == LT_OK && lt_access_system_visible(c->who, &sys, &codes);
	lt_codelist_free(&codes);
	if (rc || !visible)
		return rc;
	json_t *uses = json_array();
	json_t *o =
		uses ? json_pack("{s:{s:I,s:s},s:o}", "system", "id", (json_int_t)id, "name", sys.name, "uses", uses)
		     : NULL;
	if ((rc = lt__append(c->items, o, c->err)) == LT_OK)
		c->uses = uses;
	return rc;
}

static int stale_one(void *ctx, const struct lt_code_use *u)
{
	struct stale_ctx *c = ctx;
	int rc = u->system_id != c->system_id ? open_system(c, u->system_id) : LT_OK;
	if (rc || !c->uses)
		return rc;
	struct lt_codelist cur = {0};
	struct lt_err e = {0};
	json_t *current = json_array();
	if (current && lt_registry_resolve(c->r, u->code, &cur, &e) == LT_OK)
		for (size_t i = 0; i < cur.n; i++)
			json_array_append_new(current, json_string(cur.codes[i]));
	lt_codelist_free(&cur);
	return lt__append(c->uses,
			  current ? json_pack("{s:s,s:s,s:I,s:s,s:o}", "code", u->code, "as", u->role, "count",
					      (json_int_t)u->count, "last_seen", u->last, "current", current)
				  : NULL,
			  c->err);
}

int lt_transition_stale(struct lt_registry *r, const struct lt_principal *who, const char *since, json_t **out,
			struct lt_err *err)
{
	*out = NULL;
	int rc = lt_access_stale(who, err);
	if (rc)
		return rc;
	char day[LT_DATE_BUFSZ] = "";
	if (since && since[0] && (rc = lt_date_parse(since, day, err)))
		return lt_err_field(err, lt_err_prefix(err, "since: "), "since");
	struct stale_ctx c = {.r = r, .s = lt_registry_store(r), .who = who, .items = json_array(), .err = err};
	if (!c.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	if ((rc = lt_store_code_uses(c.s, day, 0, stale_one, &c, err))) {
		json_decref(c.items);
		return rc;
	}
	*out = json_pack("{s:s?,s:o}", "since", day[0] ? day : NULL, "items", c.items);
	return *out ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
}
