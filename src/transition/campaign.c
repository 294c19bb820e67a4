/* Opening a transition campaign and reading it: the codes a reform closed
 * (in a subtree, since a date) and every connected system concerned, with
 * what the hub measured of each (design.md §6). */
#include <stdlib.h>
#include <string.h>

#include "campaign_impl.h"
#include "lienthong/access.h"
#include "lienthong/text.h"
#include "lienthong/transition.h"
#include "lienthong/transition_map.h"

/* Systems that exchanged with a campaign's codes this recently count. */
#define TRADE_DAYS 90

int lt__append(json_t *a, json_t *o, struct lt_err *err)
{
	if (!o || json_array_append_new(a, o))
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	return LT_OK;
}

static bool in_subtree(const char *root, const char *code)
{
	struct lt_code a, c;
	return lt_code_parse(&a, root, LT_CODE_LENIENT, NULL) == LT_OK &&
	       lt_code_parse(&c, code, LT_CODE_LENIENT, NULL) == LT_OK &&
	       (lt_code_equal(&a, &c) || lt_code_is_ancestor(&a, &c));
}

/* ---- opening ---- */

struct pair {
	char old_code[LT_CODE_BUFSZ], new_code[LT_CODE_BUFSZ];
};

struct gather {
	struct lt_registry *r;
	const char *under;
	struct pair *v;
	size_t n, cap;
	char baseline[32];
	struct lt_err *err;
};

static int add_pair(struct gather *g, const char *old_code, const char *new_code)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct pair *nv = realloc(g->v, cap * sizeof *nv);
		if (!nv)
			return lt_err_set(g->err, LT_ENOMEM, "out of memory");
		g->v = nv;
		g->cap = cap;
	}
	lt_text_format(g->v[g->n].old_code, LT_CODE_BUFSZ, "%s", old_code);
	lt_text_format(g->v[g->n].new_code, LT_CODE_BUFSZ, "%s", new_code);
	g->n++;
	return LT_OK;
}

static int latest_at(void *ctx, const struct lt_event *ev)
{
	char *baseline = ctx;
	if (strcmp(ev->at, baseline) > 0)
		lt_text_format(baseline, 32, "%s", ev->at);
	return LT_OK;
}

static int gather_closed(void *ctx, const char *code, const char *valid_to)
{
	(void)valid_to;
	struct gather *g = ctx;
	struct lt_codelist cur = {0};
	int rc = lt_registry_resolve(g->r, code, &cur, g->err);
	bool in = !g->under[0] || in_subtree(g->under, code);
	for (size_t i = 0; rc == LT_OK && !in && i < cur.n; i++)
		in = in_subtree(g->under, cur.codes[i]);
	if (rc == LT_OK && in) {
		if (cur.n == 0)
			rc = add_pair(g, code, "");
		for (size_t i = 0; rc == LT_OK && i < cur.n; i++)
			rc = add_pair(g, code, cur.codes[i]);
		/* Reads count once the change was in the catalogue: after its
		 * latest event was recorded. */
		if (rc == LT_OK)
			rc = lt_registry_history(g->r, code, latest_at, g->baseline, g->err);
	}
	lt_codelist_free(&cur);
	return rc;
}

static json_t *campaign_json(const struct lt_campaign_row *c)
{
	return json_pack("{s:I,s:s,s:o,s:s?,s:s?,s:s,s:s,s:s}", "id", (json_int_t)c->id, "name", c->name, "plan",
			 c->plan_id ? json_integer(c->plan_id) : json_null(), "since", c->since[0] ? c->since : NULL,
			 "under", c->under[0] ? c->under : NULL, "baseline", c->baseline, "created", c->created,
			 "actor", c->actor);
}

/* The codes a plan closed: those its steps closed, and the old codes of
 * the units it moved. */
static int gather_plan(struct lt_registry *r, int64_t plan, struct gather *g, struct lt_err *err)
{
	json_t *p = NULL;
	int rc = lt_plan_get(r, plan, &p, err);
	if (rc)
		return rc == LT_ENOTFOUND ? lt_err_field(err, rc, "plan") : rc;
	json_t *result = json_object_get(p, "result");
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(result, "closed"), i, e)
	{
		const char *code = json_string_value(json_object_get(e, "code"));
		if (code && (rc = gather_closed(g, code, "")))
			break;
	}
	json_array_foreach(json_object_get(result, "moved"), i, e)
	{
		const char *code = json_string_value(json_object_get(e, "from"));
		if (rc == LT_OK && code && (rc = gather_closed(g, code, "")))
			break;
	}
	json_decref(p);
	return rc;
}

int lt_campaign_open(struct lt_registry *r, struct lt_exchange *x, const struct lt_ctx *ctx,
		     const struct lt_campaign_spec *spec, json_t **out, struct lt_err *err)
{
	(void)x;
	*out = NULL;
	struct lt_campaign_row c;
	memset(&c, 0, sizeof c);
	if (!spec->name || !spec->name[0])
		return lt_err_field(err, lt_err_set(err, LT_EINVAL, "name: a campaign needs a name"), "name");
	if (strlen(spec->name) >= sizeof c.name)
		return lt_err_set(err, LT_EINVAL, "name: at most %zu bytes", sizeof c.name - 1);
	lt_text_format(c.name, sizeof c.name, "%s", spec->name);
	bool since = spec->since && spec->since[0];
	if (since == (spec->plan > 0))
		return lt_err_field(
			err,
			lt_err_set(err, LT_EINVAL,
				   "a campaign follows a plan (\"plan\": its id) or the codes closed since a "
				   "date (\"since\": YYYY-MM-DD): give one of the two"),
			since ? "plan" : "since");
	int rc = since ? lt_date_parse(spec->since, c.since, err) : LT_OK;
	if (rc)
		return lt_err_field(err, lt_err_prefix(err, "since: "), "since");
	c.plan_id = spec->plan;
	if (spec->under && spec->under[0]) {
		struct lt_code code;
		if ((rc = lt_code_parse(&code, spec->under, LT_CODE_LENIENT, err)))
			return lt_err_field(err, lt_err_prefix(err, "under: "), "under");
		lt_code_format(&code, c.under);
		struct lt_unit u;
		if ((rc = lt_registry_get(r, c.under, NULL, &u, err)))
			return rc;
	}
	if ((rc = lt_access_campaign(&ctx->who, c.under, err)))
		return rc;
	struct lt_store *s = lt_registry_store(r);
	struct gather g = {.r = r, .under = c.under, .err = err};
	rc = c.plan_id ? gather_plan(r, c.plan_id, &g, err) : lt_store_closed_since(s, c.since, gather_closed, &g, err);
	if (rc)
		goto out;
	if (g.n == 0) {
		if (c.plan_id)
			rc = lt_err_set(err, LT_ERULE, "plan %lld closed no code%s%s: nothing to convert",
					(long long)c.plan_id, c.under[0] ? " under " : "", c.under);
		else
			rc = lt_err_set(err, LT_ERULE, "no code closed on or after %s%s%s: nothing to convert", c.since,
					c.under[0] ? " under " : "", c.under);
		goto out;
	}
	lt_text_format(c.baseline, sizeof c.baseline, "%s", g.baseline);
	lt_time_now(c.created);
	lt_ctx_actor(ctx, c.actor, sizeof c.actor);
	if ((rc = lt_store_begin(s, err)))
		goto out;
	rc = lt_store_campaign_add(s, &c, err);
	for (size_t i = 0; i < g.n && rc == LT_OK; i++)
		rc = lt_store_campaign_code_add(s, c.id, g.v[i].old_code, g.v[i].new_code, err);
	if (rc == LT_OK) {
		json_t *d = json_pack("{s:s,s:I,s:s,s:s,s:I}", "name", c.name, "plan", (json_int_t)c.plan_id, "since",
				      c.since, "under", c.under, "codes", (json_int_t)g.n);
		char target[64];
		snprintf(target, sizeof target, "campaign:%lld", (long long)c.id);
		rc = d ? lt_audit_record(s, ctx, "campaign.open", target, d, err)
		       : lt_err_set(err, LT_ENOMEM, "out of memory");
		json_decref(d);
	}
	if (rc == LT_OK)
		rc = lt_store_commit(s, err);
	else
		lt_store_rollback(s);
	if (rc == LT_OK) {
		lt__reads_forget();
		*out = campaign_json(&c);
		if (!*out || json_object_set_new(*out, "codes", json_integer((json_int_t)g.n)))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
out:
	free(g.v);
	return rc;
}

/* ---- reading ---- */

int lt__campaign_load(struct lt_store *s, const struct lt_principal *who, int64_t id, struct lt_campaign_row *out,
		      struct lt_err *err)
{
	int rc = lt_store_campaign_get(s, id, out, err);
	if (rc == LT_OK)
		rc = lt_access_campaign(who, out->under, err);
	return rc;
}

struct list_ctx {
	const struct lt_principal *who;
	json_t *items;
	struct lt_err *err;
};

static int list_one(void *ctx, const struct lt_campaign_row *c)
{
	struct list_ctx *l = ctx;
	struct lt_err e = {0};
	if (lt_access_campaign(l->who, c->under, &e) != LT_OK)
		return LT_OK;
	return lt__append(l->items, campaign_json(c), l->err);
}

int lt_campaign_list(struct lt_registry *r, const struct lt_principal *who, json_t **out, struct lt_err *err)
{
	*out = NULL;
	int rc = lt_access_campaign(who, who->role == LT_ROLE_MANAGER ? who->scope : "", err);
	if (rc)
		return rc;
	struct list_ctx l = {who, json_array(), err};
	if (!l.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	if ((rc = lt_store_campaigns(lt_registry_store(r), list_one, &l, err))) {
		json_decref(l.items);
		return rc;
	}
	*out = json_pack("{s:o}", "items", l.items);
	return *out ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
}

struct codes_ctx {
	struct lt_registry *r;
	json_t *items;
	struct lt_codelist olds;
	struct lt_err *err;
};

static const char *unit_name(struct lt_registry *r, const char *code, struct lt_unit *u)
{
	struct lt_err e = {0};
	return code[0] && lt_registry_get(r, code, NULL, u, &e) == LT_OK ? u->name : NULL;
}

static int code_one(void *ctx, const char *old_code, const char *new_code)
{
	struct codes_ctx *c = ctx;
	struct lt_unit a, b;
	const char *an = unit_name(c->r, old_code, &a), *bn = unit_name(c->r, new_code, &b);
	if (!lt_codelist_has(&c->olds, old_code) && lt_codelist_add(&c->olds, old_code))
		return lt_err_set(c->err, LT_ENOMEM, "out of memory");
	return lt__append(c->items,
			  json_pack("{s:s,s:s?,s:s?,s:s?,s:s?}", "old_code", old_code, "old_name", an, "new_code",
				    new_code[0] ? new_code : NULL, "new_name", bn, "closed", an ? a.valid_to : NULL),
			  c->err);
}

/* A check on old codes: how many uses, of which codes, the last when. */
struct uses_sum {
	int64_t count;
	char last[32];
	json_t *codes;
};

struct sys_ctx {
	struct lt_registry *r;
	struct lt_store *s;
	const struct lt_campaign_row *c;
	const struct lt_codelist *olds;
	json_t *probe; /* {"<system id>": {state, at}} from the latest probe, or NULL */
	json_t *items;
	struct uses_sum as_to, as_from;
	struct lt_err *err;
};

static int use_one(void *ctx, const struct lt_code_use *u)
{
	struct sys_ctx *c = ctx;
	if (!lt_codelist_has(c->olds, u->code))
		return LT_OK;
	struct uses_sum *sum = strcmp(u->role, "sender") == 0 ? &c->as_from : &c->as_to;
	sum->count += u->count;
	if (strcmp(u->last, sum->last) > 0)
		lt_text_format(sum->last, sizeof sum->last, "%s", u->last);
	return lt__append(sum->codes, json_string(u->code), c->err);
}

static json_t *uses_json(struct uses_sum *u)
{
	json_t *o = json_pack("{s:I,s:O,s:s?}", "count", (json_int_t)u->count, "codes", u->codes, "last_seen",
			      u->last[0] ? u->last : NULL);
	return o;
}

/* A read counts when it came after the change reached the catalogue: the
 * mapping's fetches are in the audit trail (transition_map.h), the
 * catalogue's reads in system_reads (reads.c). */
static int read_after(struct sys_ctx *c, int64_t id, const char *what, char at[32])
{
	if (strcmp(what, "map") == 0)
		return lt_transition_map_fetched(c->s, id, c->c->baseline, at, c->err);
	int rc = lt_store_read_get(c->s, id, what, at, c->err);
	if (rc == LT_OK && strcmp(at, c->c->baseline) < 0)
		at[0] = '\0';
	return rc;
}

static int system_one(void *ctx, int64_t id, bool bound, bool exchanged)
{
	struct sys_ctx *c = ctx;
	struct lt_system sys;
	struct lt_codelist codes = {0};
	int rc = lt_system_load(c->s, id, &sys, &codes, c->err);
	if (rc)
		return rc;
	char map[32], cat[32];
	if ((rc = read_after(c, id, "map", map)) || (rc = read_after(c, id, "catalogue", cat))) {
		lt_codelist_free(&codes);
		return rc;
	}
	json_t *jcodes = json_array();
	for (size_t i = 0; jcodes && i < codes.n; i++)
		json_array_append_new(jcodes, json_string(codes.codes[i]));
	lt_codelist_free(&codes);
	memset(&c->as_to, 0, sizeof c->as_to);
	memset(&c->as_from, 0, sizeof c->as_from);
	c->as_to.codes = json_array();
	c->as_from.codes = json_array();
	if (!c->as_to.codes || !c->as_from.codes || !jcodes)
		rc = lt_err_set(c->err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK)
		rc = lt_store_code_uses(c->s, "", id, use_one, c, c->err);
	char key[24];
	snprintf(key, sizeof key, "%lld", (long long)id);
	json_t *probe = c->probe ? json_object_get(c->probe, key) : NULL;
	const char *acked = probe ? json_string_value(json_object_get(probe, "acknowledged")) : NULL;
	json_t *o = NULL;
	if (rc == LT_OK) {
		bool ready = map[0] && cat[0] && acked && c->as_to.count == 0 && c->as_from.count == 0;
		o = json_pack("{s:I,s:s,s:s?,s:O,s:b,s:b,s:s?,s:s?,s:s?,s:O?,s:o,s:o,s:b}", "id", (json_int_t)id,
			      "name", sys.name, "disabled", sys.disabled[0] ? sys.disabled : NULL, "codes", jcodes,
			      "bound", bound, "exchanged", exchanged, "map_fetched", map[0] ? map : NULL,
			      "catalogue_refreshed", cat[0] ? cat : NULL, "probe_acked", acked, "probe", probe,
			      "old_codes_addressed", uses_json(&c->as_to), "old_codes_sent_as", uses_json(&c->as_from),
			      "ready", ready);
		if (!o)
			rc = lt_err_set(c->err, LT_ENOMEM, "out of memory");
	}
	json_decref(jcodes);
	json_decref(c->as_to.codes);
	json_decref(c->as_from.codes);
	return rc ? rc : lt__append(c->items, o, c->err);
}

/* Per receiving system, its delivery of the latest probe: the state and,
 * once acknowledged (done), when. */
static int probe_by_system(struct lt_registry *r, struct lt_exchange *x, const struct lt_principal *who, int64_t id,
			   json_t **out, struct lt_err *err)
{
	*out = NULL;
	json_t *rep = NULL;
	int rc = lt_campaign_probe_report(r, x, who, id, &rep, err);
	if (rc == LT_ENOTFOUND) {
		memset(err, 0, sizeof *err);
		return LT_OK;
	}
	if (rc)
		return rc;
	json_t *by = json_object();
	size_t i, k;
	json_t *unit, *rcv;
	json_array_foreach(json_object_get(rep, "units"), i, unit)
	{
		json_array_foreach(json_object_get(unit, "systems"), k, rcv)
		{
			char key[24];
			snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(rcv, "id")));
			json_t *prev = json_object_get(by, key);
			/* A system receiving for several units acknowledged the probe
			 * when it acknowledged every copy. */
			if (prev && json_is_null(json_object_get(prev, "acknowledged")))
				continue;
			json_object_set_new(by, key,
					    json_pack("{s:O,s:O}", "state", json_object_get(rcv, "state"),
						      "acknowledged", json_object_get(rcv, "acknowledged")));
		}
	}
	json_decref(rep);
	*out = by;
	return by ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
}

int lt_campaign_get(struct lt_registry *r, struct lt_exchange *x, const struct lt_principal *who, int64_t id,
		    json_t **out, struct lt_err *err)
{
	*out = NULL;
	struct lt_store *s = lt_registry_store(r);
	struct lt_campaign_row c;
	int rc = lt__campaign_load(s, who, id, &c, err);
	if (rc)
		return rc;
	struct codes_ctx cc = {r, json_array(), {0}, err};
	struct sys_ctx sc = {.r = r, .s = s, .c = &c, .olds = &cc.olds, .items = json_array(), .err = err};
	json_t *o = campaign_json(&c);
	if (!cc.items || !sc.items || !o)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK)
		rc = lt_store_campaign_codes(s, id, code_one, &cc, err);
	if (rc == LT_OK)
		rc = probe_by_system(r, x, who, id, &sc.probe, err);
	char today[LT_DATE_BUFSZ], after[LT_DATE_BUFSZ];
	lt_date_today(today);
	if (rc == LT_OK)
		rc = lt_date_add_days(today, -TRADE_DAYS, after, err);
	if (rc == LT_OK)
		rc = lt_store_campaign_systems(s, id, after, lt_exchange_hub_system(x), system_one, &sc, err);
	json_t *plan = NULL;
	if (rc == LT_OK && c.plan_id && (rc = lt_plan_get(r, c.plan_id, &plan, err)) == LT_OK &&
	    json_object_set_new(o, "plan",
				json_pack("{s:I,s:O?,s:O?,s:O?}", "id", (json_int_t)c.plan_id, "title",
					  json_object_get(plan, "title"), "decision", json_object_get(plan, "decision"),
					  "effective", json_object_get(plan, "effective"))))
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	json_decref(plan);
	if (rc == LT_OK && (json_object_set(o, "changes", cc.items) || json_object_set(o, "systems", sc.items) ||
			    json_object_set_new(o, "hub_code", json_string(lt_exchange_hub_code(x)))))
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	json_decref(cc.items);
	json_decref(sc.items);
	json_decref(sc.probe);
	lt_codelist_free(&cc.olds);
	if (rc)
		json_decref(o);
	else
		*out = o;
	return rc;
}

/* ---- CSV ---- */

static const char *text_of(const json_t *v, char *buf, size_t cap)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_array(v)) {
		size_t i, o = 0;
		json_t *e;
		buf[0] = '\0';
		json_array_foreach(v, i, e) o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, "%s%s", i ? " " : "",
								  json_string_value(e) ? json_string_value(e) : "");
		return buf;
	}
	return "";
}

int lt_campaign_csv(const json_t *c, FILE *out, struct lt_err *err)
{
	static const char *const cols[] = {"system_id",
					   "system",
					   "codes",
					   "bound",
					   "exchanged",
					   "map_fetched",
					   "catalogue_refreshed",
					   "probe_acked",
					   "old_codes_addressed",
					   "old_codes_addressed_codes",
					   "old_codes_addressed_last_seen",
					   "old_codes_sent_as",
					   "old_codes_sent_as_codes",
					   "old_codes_sent_as_last_seen",
					   "ready"};
	size_t n = sizeof cols / sizeof cols[0];
	for (size_t i = 0; i < n; i++)
		lt_registry_csv_field(out, cols[i], i + 1 == n);
	size_t k;
	json_t *sys;
	json_array_foreach(json_object_get(c, "systems"), k, sys)
	{
		json_t *to = json_object_get(sys, "old_codes_addressed"),
		       *from = json_object_get(sys, "old_codes_sent_as");
		const json_t *v[] = {json_object_get(sys, "id"),
				     json_object_get(sys, "name"),
				     json_object_get(sys, "codes"),
				     json_object_get(sys, "bound"),
				     json_object_get(sys, "exchanged"),
				     json_object_get(sys, "map_fetched"),
				     json_object_get(sys, "catalogue_refreshed"),
				     json_object_get(sys, "probe_acked"),
				     json_object_get(to, "count"),
				     json_object_get(to, "codes"),
				     json_object_get(to, "last_seen"),
				     json_object_get(from, "count"),
				     json_object_get(from, "codes"),
				     json_object_get(from, "last_seen"),
				     json_object_get(sys, "ready")};
		for (size_t i = 0; i < n; i++) {
			char buf[4096];
			lt_registry_csv_field(out, text_of(v[i], buf, sizeof buf), i + 1 == n);
		}
	}
	return ferror(out) ? lt_err_set(err, LT_EIO, "cannot write the CSV") : LT_OK;
}
