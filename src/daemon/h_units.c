/* /v1/units: reads (one unit, children, history, resolve, search) and the
 * changes that need no reorganisation (issue, contact update, rename). */
#include <stdlib.h>
#include <string.h>

#include "lienthong/transition_map.h"
#include "server.h"
#include "unit_cache.h"

static const char *const decision_spec[] = {"number:s!", "date:s!", "issuer:s!", NULL};

bool json_field_copy(struct req *rq, json_t *o, const char *key, char *dst, size_t size, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return true;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n >= size || strlen(s) != n) {
		reply_error(rq, LT_EINVAL, "field '%s%s%s' is too long (at most %zu bytes) or holds a NUL",
			    where ? where : "", where ? "." : "", key, size - 1);
		return false;
	}
	memcpy(dst, s, n + 1);
	return true;
}

bool json_decision(struct req *rq, json_t *o, struct lt_decision *d)
{
	json_t *jd = json_object_get(o, "decision");
	memset(d, 0, sizeof *d);
	if (!jd || json_is_null(jd))
		return true;
	return req_fields(rq, jd, decision_spec, "decision") &&
	       json_field_copy(rq, jd, "number", d->number, sizeof d->number, "decision") &&
	       json_field_copy(rq, jd, "date", d->date, sizeof d->date, "decision") &&
	       json_field_copy(rq, jd, "issuer", d->issuer, sizeof d->issuer, "decision");
}

static const char *const contact_keys[] = {"address", "email", "phone", "fax", "website"};

static bool json_contact(struct req *rq, json_t *o, struct lt_contact *c, unsigned *given)
{
	char *dst[] = {c->address, c->email, c->phone, c->fax, c->website};
	size_t sz[] = {sizeof c->address, sizeof c->email, sizeof c->phone, sizeof c->fax, sizeof c->website};
	*given = 0;
	for (int i = 0; i < 5; i++) {
		if (json_object_get(o, contact_keys[i]))
			*given |= 1u << i;
		if (!json_field_copy(rq, o, contact_keys[i], dst[i], sz[i], NULL))
			return false;
	}
	return true;
}

static bool path_code(struct req *rq, char code[LT_CODE_BUFSZ])
{
	return auth_read(rq) && req_code(rq, rq->params[0], code, "code");
}

static void set_unit_etag(struct req *rq, const struct lt_unit *u, const char *as_of)
{
	char tag[96];
	if (as_of && *as_of)
		snprintf(tag, sizeof tag, "\"v%lld-%s\"", (long long)u->version, as_of);
	else
		snprintf(tag, sizeof tag, "\"v%lld\"", (long long)u->version);
	snprintf(rq->etag, sizeof rq->etag, "%s", tag);
}

static const char JSON_TYPE[] = "application/json; charset=utf-8";

/* Today's view of a unit is served from the reply cache while the
 * registry's generation holds; as-of views are built each time. */
void h_unit_get(struct req *rq)
{
	char code[LT_CODE_BUFSZ], as_of[LT_DATE_BUFSZ];
	if (!path_code(rq, code) || !req_query_date(rq, "as_of", as_of))
		return;
	const void *owner = rq->srv->reg;
	uint64_t gen = lt_registry_generation(rq->srv->reg);
	char *body = NULL;
	size_t len = 0;
	if (!as_of[0] && unit_cache_get(rq->srv->ucache, owner, code, gen, rq->etag, &body, &len)) {
		if (reply_etag(rq, rq->etag))
			free(body);
		else
			reply_raw(rq, 200, JSON_TYPE, body, len);
		return;
	}
	struct lt_unit u;
	struct lt_err err = {0};
	if (lt_registry_get(rq->srv->reg, code, as_of, &u, &err)) {
		reply_err(rq, &err);
		return;
	}
	set_unit_etag(rq, &u, as_of);
	if (reply_etag(rq, rq->etag))
		return;
	json_t *o = unit_json(rq, &u, as_of);
	if (!o)
		return;
	if (as_of[0] || !(body = json_reply_text(o, &len))) {
		reply_json(rq, 200, o);
		return;
	}
	json_decref(o);
	unit_cache_put(rq->srv->ucache, owner, u.code, gen, rq->etag, body, len);
	reply_raw(rq, 200, JSON_TYPE, body, len);
}

static int collect_unit(void *ctx, const struct lt_unit *u)
{
	return json_array_append_new(ctx, lt_unit_to_json(u, NULL, NULL)) ? LT_ENOMEM : LT_OK;
}

static int count_unit(void *ctx, const struct lt_unit *u)
{
	(void)u;
	++*(json_int_t *)ctx;
	return LT_OK;
}

void h_unit_children(struct req *rq)
{
	char code[LT_CODE_BUFSZ], as_of[LT_DATE_BUFSZ];
	enum lt_status_filter f;
	if (!path_code(rq, code) || !req_query_date(rq, "as_of", as_of) || !req_query_status(rq, LT_FILTER_ACTIVE, &f))
		return;
	struct lt_unit u;
	struct lt_err err = {0};
	json_t *items = json_array();
	if (lt_registry_get(rq->srv->reg, code, as_of, &u, &err) ||
	    lt_registry_children(rq->srv->reg, code, f, as_of, collect_unit, items, &err)) {
		json_decref(items);
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, json_pack("{s:s,s:o}", "code", code, "items", items));
}

static int collect_history(void *ctx, const struct lt_event *ev)
{
	json_t *o = lt_event_history_json(ev);
	return o && json_array_append_new(ctx, o) == 0 ? LT_OK : LT_ENOMEM;
}

void h_unit_history(struct req *rq)
{
	char code[LT_CODE_BUFSZ];
	if (!path_code(rq, code))
		return;
	struct lt_err err = {0};
	json_t *items = json_array();
	if (lt_registry_history(rq->srv->reg, code, collect_history, items, &err)) {
		json_decref(items);
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, json_pack("{s:s,s:o}", "code", code, "items", items));
}

void h_unit_resolve(struct req *rq)
{
	char code[LT_CODE_BUFSZ];
	if (!path_code(rq, code))
		return;
	struct lt_unit u;
	struct lt_codelist cur = {0};
	struct lt_err err = {0};
	if (lt_registry_get(rq->srv->reg, code, NULL, &u, &err) ||
	    lt_registry_resolve(rq->srv->reg, code, &cur, &err)) {
		lt_codelist_free(&cur);
		reply_err(rq, &err);
		return;
	}
	json_t *jc = json_array();
	for (size_t i = 0; i < cur.n; i++)
		json_array_append_new(jc, json_string(cur.codes[i]));
	lt_codelist_free(&cur);
	reply_json(rq, 200,
		   json_pack("{s:s,s:s,s:o}", "code", code, "status", u.status == LT_UNIT_ACTIVE ? "active" : "closed",
			     "current", jc));
}

/* The units of a page that have children of their own (under the same
 * status filter): the tree offers to open only those. One look-up of at most
 * one row per unit. */
static int mark_children(struct req *rq, json_t *items, enum lt_status_filter f, struct lt_err *err)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		json_int_t n = 0;
		char next[LT_CURSOR_BUFSZ] = "";
		struct lt_search c = {
			.parent = json_string_value(json_object_get(it, "code")), .status = f, .limit = 1};
		int rc = lt_registry_search(rq->srv->reg, &c, count_unit, &n, next, err);
		if (rc)
			return rc;
		json_object_set_new(it, "has_children", json_boolean(n > 0));
	}
	return LT_OK;
}

/* How many units a listing of level 1 holds: the home page says it. The
 * level-1 table is small (about a hundred units), so counting is cheap. */
static int count_level1(struct req *rq, enum lt_status_filter f, json_int_t *total, struct lt_err *err)
{
	char cursor[LT_CURSOR_BUFSZ] = "";
	*total = 0;
	int rc;
	do {
		struct lt_search c = {.level = 1, .status = f, .limit = 500, .cursor = cursor[0] ? cursor : NULL};
		char next[LT_CURSOR_BUFSZ] = "";
		rc = lt_registry_search(rq->srv->reg, &c, count_unit, total, next, err);
		memcpy(cursor, next, sizeof cursor);
	} while (rc == LT_OK && cursor[0]);
	return rc;
}

/* A complete closed code lands on its unit and current successors, whatever
 * the filters (lt_transition_search_land); true when it replied. */
static bool land_on_old_code(struct req *rq, const char *q, json_t *items)
{
	struct lt_codelist current = {0};
	struct lt_err err = {0};
	bool landed = false;
	int rc = lt_transition_search_land(rq->srv->reg, q, collect_unit, items, &current, &landed, &err);
	if (rc || !landed) {
		lt_codelist_free(&current);
		if (rc) {
			json_decref(items);
			reply_err(rq, &err);
		}
		return rc != LT_OK;
	}
	json_t *cur = json_array();
	for (size_t i = 0; i < current.n; i++)
		json_array_append_new(cur, json_string(current.codes[i]));
	lt_codelist_free(&current);
	json_t *first = json_array_get(items, 0);
	reply_json(rq, 200,
		   json_pack("{s:o,s:n,s:{s:O,s:o}}", "items", items, "next_cursor", "landed", "code",
			     json_object_get(first, "code"), "current", cur));
	return true;
}

void h_unit_search(struct req *rq)
{
	if (!auth_read(rq))
		return;
	long long level, limit;
	enum lt_status_filter f;
	char parent[LT_CODE_BUFSZ], under[LT_CODE_BUFSZ];
	const char *qp = req_query(rq, "parent"), *qu = req_query(rq, "under");
	if (!req_query_int(rq, "level", 0, 4, 0, &level) || !req_query_int(rq, "limit", 1, 500, 50, &limit) ||
	    !req_query_status(rq, LT_FILTER_ACTIVE, &f) || (qp && *qp && !req_code(rq, qp, parent, "parent")) ||
	    (qu && *qu && !req_code(rq, qu, under, "under")))
		return;
	const char *q = req_query(rq, "q");
	if (q && strlen(q) > 200) {
		reply_error(rq, LT_EINVAL, "q is too long (at most 200 bytes)");
		return;
	}
	struct lt_search s = {.q = q,
			      .parent = qp && *qp ? parent : NULL,
			      .under = qu && *qu ? under : NULL,
			      .level = (int)level,
			      .status = f,
			      .cursor = req_query(rq, "cursor"),
			      .limit = (int)limit};
	char next[LT_CURSOR_BUFSZ] = "";
	struct lt_err err = {0};
	json_t *items = json_array();
	const char *hc = req_query(rq, "has_children");
	if (hc && *hc && strcmp(hc, "true") != 0 && strcmp(hc, "false") != 0) {
		json_decref(items);
		reply_error_field(rq, LT_EINVAL, "has_children", "query parameter has_children must be true or false");
		return;
	}
	const char *cursor = req_query(rq, "cursor");
	if (!(cursor && *cursor) && land_on_old_code(rq, q, items))
		return;
	if (lt_registry_search(rq->srv->reg, &s, collect_unit, items, next, &err) ||
	    (hc && strcmp(hc, "true") == 0 && mark_children(rq, items, f, &err))) {
		json_decref(items);
		reply_err(rq, &err);
		return;
	}
	json_t *reply = json_pack("{s:o,s:s?}", "items", items, "next_cursor", next[0] ? next : NULL);
	/* A page of a unit's children should say how many there are ("50 of
	 * 999", not "50+"). Counted only for a plain listing by parent, whose
	 * matches are exactly the parent's children under the status filter; a
	 * family is at most 999 units, so counting is cheap on every page. */
	if (s.parent && !(q && *q) && !s.under && !s.level) {
		json_int_t total = 0;
		int rc = lt_registry_children(rq->srv->reg, s.parent, f, NULL, count_unit, &total, &err);
		if (rc && rc != LT_ENOTFOUND) {
			json_decref(reply);
			reply_err(rq, &err);
			return;
		}
		json_object_set_new(reply, "total", json_integer(total));
	}
	if (s.level == 1 && !(q && *q) && !s.parent && !s.under) {
		json_int_t total = 0;
		if (count_level1(rq, f, &total, &err)) {
			json_decref(reply);
			reply_err(rq, &err);
			return;
		}
		json_object_set_new(reply, "total", json_integer(total));
	}
	reply_json(rq, 200, reply);
}

static void reply_unit_changed(struct req *rq, int status, const struct lt_unit *u)
{
	json_t *o = unit_json(rq, u, NULL);
	if (!o)
		return;
	set_unit_etag(rq, u, NULL);
	snprintf(rq->location, sizeof rq->location, "/v1/units/%s", u->code);
	reply_json(rq, status, o);
}

void h_unit_issue(struct req *rq)
{
	static const char *const spec[] = {"parent:s!",     "name:s!",  "decision:o!", "effective:s",
					   "reorganized:s", "number:i", "address:s",   "email:s",
					   "phone:s",       "fax:s",    "website:s",   NULL};
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	struct lt_issue is = {0};
	unsigned given;
	if (!req_fields(rq, o, spec, NULL) || !json_decision(rq, o, &is.decision) ||
	    !json_contact(rq, o, &is.contact, &given) ||
	    !json_field_copy(rq, o, "name", is.name, sizeof is.name, NULL) ||
	    !json_field_copy(rq, o, "effective", is.effective, sizeof is.effective, NULL) ||
	    !json_field_copy(rq, o, "reorganized", is.reorganized, sizeof is.reorganized, NULL) ||
	    !req_code(rq, json_string_value(json_object_get(o, "parent")), is.parent, "parent"))
		goto out;
	json_int_t num = json_integer_value(json_object_get(o, "number"));
	if (num < 0 || num > 999) {
		reply_error(rq, LT_EINVAL, "field 'number' must be from 1 to 999 (or absent for the next free one)");
		goto out;
	}
	is.number = (unsigned)num;
	struct lt_unit u;
	struct lt_err err = {0};
	int rc = lt_registry_issue(rq->srv->reg, &rq->call, &is, &u, &err);
	if (rc)
		reply_err(rq, &err);
	else
		reply_unit_changed(rq, 201, &u);
out:
	json_decref(o);
}

/* If-Match: "v7" guards a change against a lost update. */
static bool if_match_version(struct req *rq, int64_t *version)
{
	const char *h = req_header(rq, MHD_HTTP_HEADER_IF_MATCH);
	*version = 0;
	if (!h)
		return true;
	long long v;
	char tail;
	if (sscanf(h, "\"v%lld\"%c", &v, &tail) != 1 || v <= 0) {
		reply_error(rq, LT_EINVAL, "If-Match must be the unit's ETag, like \"v3\"");
		return false;
	}
	*version = v;
	return true;
}

void h_unit_patch(struct req *rq)
{
	static const char *const spec[] = {"name:s",  "decision:o", "effective:s", "version:i", "address:s",
					   "email:s", "phone:s",    "fax:s",       "website:s", NULL};
	char code[LT_CODE_BUFSZ];
	if (!req_code(rq, rq->params[0], code, "code"))
		return;
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	int64_t version;
	struct lt_contact c = {0};
	struct lt_decision d;
	char name[LT_NAME_MAX] = "", effective[LT_DATE_BUFSZ] = "";
	unsigned given;
	if (!req_fields(rq, o, spec, NULL) || !if_match_version(rq, &version) || !json_decision(rq, o, &d) ||
	    !json_contact(rq, o, &c, &given) || !json_field_copy(rq, o, "name", name, sizeof name, NULL) ||
	    !json_field_copy(rq, o, "effective", effective, sizeof effective, NULL))
		goto out;
	if (json_is_integer(json_object_get(o, "version")))
		version = json_integer_value(json_object_get(o, "version"));
	bool rename = json_object_get(o, "name") != NULL;
	if (!rename && (json_object_get(o, "decision") || json_object_get(o, "effective"))) {
		reply_error(rq, LT_EINVAL,
			    "a contact update takes no decision or effective date; a rename does (send name)");
		goto out;
	}
	if (rename == (given != 0)) {
		reply_error(rq, LT_EINVAL,
			    rename ? "send a rename (name, decision, effective) or a contact update, not both"
				   : "nothing to change: send contact fields, or a name with a decision");
		goto out;
	}
	struct lt_unit u;
	struct lt_err err = {0};
	int rc;
	if (rename) {
		rc = lt_registry_rename(rq->srv->reg, &rq->call, code, name, &d, effective, version, &u, &err);
	} else if ((rc = lt_registry_get(rq->srv->reg, code, NULL, &u, &err)) == LT_OK) {
		char *dst[] = {u.contact.address, u.contact.email, u.contact.phone, u.contact.fax, u.contact.website};
		const char *src[] = {c.address, c.email, c.phone, c.fax, c.website};
		size_t sz[] = {sizeof u.contact.address, sizeof u.contact.email, sizeof u.contact.phone,
			       sizeof u.contact.fax, sizeof u.contact.website};
		for (int i = 0; i < 5; i++)
			if (given & (1u << i))
				snprintf(dst[i], sz[i], "%s", src[i]);
		struct lt_contact merged = u.contact;
		rc = lt_registry_update(rq->srv->reg, &rq->call, code, &merged, version ? version : u.version, &u,
					&err);
	}
	if (rc)
		reply_err(rq, &err);
	else
		reply_unit_changed(rq, 200, &u);
out:
	json_decref(o);
}
