/* Publication of the catalogue up the hierarchy (design.md §10): a hub
 * sends every change inside its local_scope to the registry above it,
 * which takes it as its own change. The hub below keeps a durable cursor
 * (the last seq of its change feed the upstream accepted) and, per change,
 * the time the upstream accepted it: the compliance report's 7-day rule is
 * judged on that time. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/access.h"
#include "lienthong/config.h"
#include "lienthong/store_catalogue.h"
#include "registry_impl.h"

#define K_CURSOR "publish.seq"
#define K_FAILED "publish.failed"

void lt_registry_set_publishing(struct lt_registry *r, bool on) { r->publishing = on; }

bool lt_catalogue_publishes(const struct lt_config *cfg)
{
	return cfg->catalogue_publish_url[0] ||
	       (cfg->upstream_url[0] && cfg->upstream_protocol == LT_UPSTREAM_LIENTHONG);
}

int lt_registry_federate(struct lt_registry *r, const struct lt_config *cfg, struct lt_err *err)
{
	int rc = lt_registry_set_local_scope(r, cfg->local_scope, err);
	if (rc == LT_OK)
		lt_registry_set_publishing(r, lt_catalogue_publishes(cfg));
	return rc;
}

bool lt_registry_publishing(struct lt_registry *r) { return r->publishing; }

static int cursor_get(struct lt_registry *r, int64_t *v, struct lt_err *err)
{
	char *text = NULL;
	*v = 0;
	int rc = lt_store_fed_get(r->store, K_CURSOR, &text, err);
	if (rc == LT_ENOTFOUND)
		return LT_OK;
	if (rc == LT_OK)
		*v = strtoll(text, NULL, 10);
	free(text);
	return rc;
}

struct pending {
	struct lt_registry *r;
	json_t *items;
	int64_t upto;
};

static int take_event(void *ctx, const struct lt_event *ev)
{
	struct pending *p = ctx;
	p->upto = ev->seq;
	if (!lt_registry_in_scope(p->r, ev->code))
		return LT_OK;
	json_t *o = lt_event_feed_json(ev);
	return o && json_array_append_new(p->items, o) == 0 ? LT_OK : LT_ENOMEM;
}

int lt_publish_pending(struct lt_registry *r, int limit, json_t **items, int64_t *upto, struct lt_err *err)
{
	*items = NULL;
	int64_t cursor = 0;
	int rc = cursor_get(r, &cursor, err);
	if (rc)
		return rc;
	struct pending p = {r, json_array(), cursor};
	if (!p.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	rc = lt_store_events_after(r->store, cursor, limit, take_event, &p, err);
	if (rc < 0 || rc == LT_ENOMEM) {
		json_decref(p.items);
		return rc == LT_ENOMEM ? lt_err_set(err, LT_ENOMEM, "out of memory") : rc;
	}
	*items = p.items;
	*upto = p.upto;
	return LT_OK;
}

int lt_publish_accepted(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *items, int64_t upto,
			const char *accepted_at, struct lt_err *err)
{
	int rc = lt_access_admin(&ctx->who, err);
	if (rc || (rc = lt_store_begin(r->store, err)))
		return rc;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		json_int_t change = json_integer_value(json_object_get(item, "change_id"));
		if (rc == LT_OK && change > 0 && accepted_at && *accepted_at)
			rc = lt_store_upload_set(r->store, change, accepted_at, err);
	}
	char text[24];
	snprintf(text, sizeof text, "%lld", (long long)upto);
	if (rc == LT_OK)
		rc = lt_store_fed_set(r->store, K_CURSOR, text, err);
	if (rc == LT_OK)
		rc = lt_store_fed_set(r->store, K_FAILED, "", err);
	LT_TXN_END(r, rc, err);
	return rc;
}

int lt_publish_status(struct lt_registry *r, int64_t *cursor, char why[LT_ERR_MSG_MAX], struct lt_err *err)
{
	why[0] = '\0';
	int rc = cursor_get(r, cursor, err);
	char *text = NULL;
	if (rc == LT_OK && (rc = lt_store_fed_get(r->store, K_FAILED, &text, err)) == LT_OK)
		snprintf(why, LT_ERR_MSG_MAX, "%s", text);
	free(text);
	return rc == LT_ENOTFOUND ? LT_OK : rc;
}

int lt_publish_note_failure(struct lt_registry *r, const char *why, struct lt_err *err)
{
	return lt_store_fed_set(r->store, K_FAILED, why && *why ? why : "failed", err);
}

/* ---- the upstream's side ---- */

static bool same_state(const struct lt_unit *a, const struct lt_unit *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->parent, b->parent) == 0 && a->status == b->status &&
	       memcmp(&a->contact, &b->contact, sizeof a->contact) == 0 &&
	       strcmp(a->decision.number, b->decision.number) == 0 && strcmp(a->decision.date, b->decision.date) == 0 &&
	       strcmp(a->decision.issuer, b->decision.issuer) == 0 && strcmp(a->valid_from, b->valid_from) == 0 &&
	       strcmp(a->valid_to, b->valid_to) == 0;
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static bool event_kind(const char *kind)
{
	static const char *const kinds[] = {"issue", "update", "rename",   "move",
					    "split", "merge",  "dissolve", "import"};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

/* The fields of a published item, held to the checks this registry's own
 * writes pass. */
static int read_item(json_t *item, size_t k, struct lt_unit *u, char effective[LT_DATE_BUFSZ], struct lt_err *err)
{
	struct lt_code c;
	char canon[LT_CODE_BUFSZ];
	const char *kind = str(item, "kind");
	if (!json_is_object(item) || lt_unit_from_json(json_object_get(item, "unit"), u) != LT_OK ||
	    strcmp(u->code, str(item, "code")) != 0 || lt_code_parse(&c, u->code, LT_CODE_LENIENT, NULL) != LT_OK ||
	    strcmp(lt_code_format(&c, canon), u->code) != 0 || u->level != lt_code_level(&c) || !event_kind(kind))
		return lt_err_set(err, LT_EINVAL,
				  "item %zu is not a change-feed item (code, kind, effective and the unit's state with "
				  "its canonical code and level)",
				  k + 1);
	if (lt_date_parse(str(item, "effective"), effective, NULL) != LT_OK)
		return lt_err_set(err, LT_EINVAL, "item %zu (%s): effective is not a date", k + 1, u->code);
	if (lt__name_check(u->name, err) || lt__contact_check(&u->contact, err))
		return lt_err_prefix(err, "item %zu (%s): ", k + 1, u->code);
	return LT_OK;
}

static int add_links(struct lt_registry *r, json_t *codes, const char *code, bool successors, int64_t change_id,
		     struct lt_err *err)
{
	struct lt_codelist have = {0};
	int rc = successors ? lt_store_successors(r->store, code, &have, err)
			    : lt_store_predecessors(r->store, code, &have, err);
	size_t i;
	json_t *v;
	json_array_foreach(codes, i, v)
	{
		const char *other = json_string_value(v);
		struct lt_code c;
		if (rc || !other || lt_codelist_has(&have, other))
			continue;
		if (lt_code_parse(&c, other, LT_CODE_STRICT, NULL) != LT_OK)
			rc = lt_err_set(err, LT_EINVAL, "the lineage of %s names '%.40s', not a code", code, other);
		else
			rc = successors ? lt_store_lineage_add(r->store, code, other, change_id, err)
					: lt_store_lineage_add(r->store, other, code, change_id, err);
	}
	lt_codelist_free(&have);
	return rc;
}

/* One published change becomes one change record here, whatever number of
 * items it brought: the key is the publisher's change id. */
static int change_for(struct lt_registry *r, const struct lt_ctx *ctx, json_t *item, const struct lt_unit *u,
		      const char *effective, json_t *ids, int64_t *id, struct lt_err *err)
{
	char key[32];
	snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(item, "change_id")));
	json_t *have = json_object_get(ids, key);
	if (have) {
		*id = json_integer_value(have);
		return LT_OK;
	}
	const char *kind = str(item, "kind");
	json_t *sum = json_object();
	bool closed = u->status == LT_UNIT_CLOSED;
	if (strcmp(kind, "issue") == 0)
		json_object_set_new(sum, "created", json_pack("[s]", u->code));
	else if (strcmp(kind, "rename") == 0)
		json_object_set_new(sum, "renamed", json_string(u->code));
	else if (strcmp(kind, "update") != 0)
		json_object_set_new(sum, closed ? "from" : "into",
				    closed ? json_pack("[s]", u->code) : json_string(u->code));
	json_object_set_new(sum, "published_from", json_string(key));
	int rc = lt__change_add(r, ctx, kind, u->decision.number[0] ? &u->decision : NULL, effective, u->reorganized,
				sum, id, err);
	if (rc == LT_OK)
		json_object_set_new(ids, key, json_integer(*id));
	return rc;
}

static int publish_one(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_codelist *subtrees,
		       json_t *item, size_t k, json_t *ids, int64_t *accepted, struct lt_err *err)
{
	struct lt_unit u, old;
	char effective[LT_DATE_BUFSZ];
	int rc = read_item(item, k, &u, effective, err);
	if (rc)
		return rc;
	rc = lt_store_unit_get(r->store, u.code, &old, err);
	bool exists = rc == LT_OK;
	if (rc && rc != LT_ENOTFOUND)
		return rc;
	bool reorganise = exists && (strcmp(old.name, u.name) != 0 || old.status != u.status);
	if ((rc = lt_access_publish(&ctx->who, subtrees, u.code, reorganise, err)))
		return rc;
	if (exists && same_state(&old, &u))
		return LT_OK; /* published before: a retry after a lost reply */
	if (exists && old.status == LT_UNIT_CLOSED && u.status == LT_UNIT_ACTIVE)
		return lt_err_set(err, LT_ECONFLICT, "%s is closed here: a closed code never reopens", u.code);
	if (!exists && u.parent[0]) {
		struct lt_unit parent;
		rc = lt_store_unit_get(r->store, u.parent, &parent, err);
		if (rc == LT_ENOTFOUND)
			return lt_err_set(err, LT_ERULE, "%s: its parent %s is not in this catalogue", u.code,
					  u.parent);
		if (rc)
			return rc;
	}
	if (exists && strcmp(old.parent, u.parent) != 0)
		return lt_err_set(err, LT_ERULE, "%s: a published change cannot give a unit another parent", u.code);
	/* A contact update needs no decision and makes no change record here
	 * either, as the registry's own updates make none. */
	int64_t change_id = 0;
	if (strcmp(str(item, "kind"), "update") != 0 &&
	    (rc = change_for(r, ctx, item, &u, effective, ids, &change_id, err)))
		return rc;
	u.version = exists ? old.version + 1 : 1;
	lt_date_today(u.recorded);
	json_t *extra = json_object();
	json_t *succ = json_object_get(item, "successors"), *pred = json_object_get(item, "predecessors");
	if (json_is_array(succ))
		json_object_set(extra, "successors", succ);
	if (json_is_array(pred))
		json_object_set(extra, "predecessors", pred);
	if (exists && strcmp(old.name, u.name) != 0)
		json_object_set_new(extra, "old_name", json_string(old.name));
	if ((rc = lt_store_unit_put(r->store, &u, err)) ||
	    (rc = lt__event_add(r, ctx, change_id, str(item, "kind"), &u, effective, extra, err)))
		return rc;
	if ((json_is_array(succ) && (rc = add_links(r, succ, u.code, true, change_id, err))) ||
	    (json_is_array(pred) && (rc = add_links(r, pred, u.code, false, change_id, err))))
		return rc;
	(*accepted)++;
	return LT_OK;
}

int lt_registry_publish_in(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *items, int64_t *accepted,
			   struct lt_err *err)
{
	*accepted = 0;
	int rc = lt_access_identified(&ctx->who, "publications", err);
	if (rc)
		return rc;
	if (!json_is_array(items))
		return lt_err_set(err, LT_EINVAL, "items must be an array of change-feed items");
	if (json_array_size(items) > 1000)
		return lt_err_set(err, LT_ETOOBIG, "at most 1000 items in one publication");
	struct lt_codelist subtrees = {0};
	if (ctx->who.role == LT_ROLE_SYSTEM &&
	    (rc = lt_store_system_subtrees(r->store, ctx->who.system_id, &subtrees, err)))
		return rc;
	rc = lt_store_begin(r->store, err);
	if (rc) {
		lt_codelist_free(&subtrees);
		return rc;
	}
	json_t *ids = json_object();
	size_t k;
	json_t *item;
	json_array_foreach(items, k, item)
	{
		if ((rc = publish_one(r, ctx, &subtrees, item, k, ids, accepted, err)))
			break;
	}
	json_decref(ids);
	lt_codelist_free(&subtrees);
	LT_TXN_END(r, rc, err);
	if (rc)
		*accepted = 0;
	return rc;
}
