/* The operators' view of the hub: deliveries with their documents'
 * metadata (never a body), filtered by sender, recipient, state and age;
 * per system, what waits and for how long, and what is stuck (pending and
 * never fetched for hours); the same age for /metrics. Who sees what is
 * lt_access_operations'. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange_impl.h"

/* Seconds since the epoch of a hub timestamp (YYYY-MM-DDTHH:MM:SSZ); -1
 * when it is not one. */
static int64_t epoch_of(const char *ts)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = ts && *ts ? strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	return end && !*end ? (int64_t)timegm(&tm) : -1;
}

static bool state_known(const char *s)
{
	static const char *const states[] = {"waiting", "pending",   "processing", "done",  "fail",   "refused",
					     "merged",  "no_system", "expired",    "relay", "relayed"};
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

/* May who see this delivery? Its sender and its recipient decide. */
static int visible(const struct lt_principal *who, const struct lt_xdelivery *dl, const struct lt_xdoc *doc, bool *yes,
		   struct lt_err *err)
{
	*yes = who->role == LT_ROLE_ADMIN;
	if (*yes)
		return LT_OK;
	struct lt_codelist codes = {0};
	if (lt_codelist_add(&codes, doc->from_code) || lt_codelist_add(&codes, dl->routed_to) ||
	    lt_codelist_add(&codes, dl->addressed)) {
		lt_codelist_free(&codes);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	*yes = lt_access_operations(who, &codes, NULL) == LT_OK;
	lt_codelist_free(&codes);
	return LT_OK;
}

struct ops_ctx {
	const struct lt_principal *who;
	int64_t now;
	int limit;
	json_t *items;
	int64_t last;
	bool full;
	struct lt_err *err;
};

static int one_delivery(void *vctx, const struct lt_xdelivery *dl, const struct lt_xdoc *doc, const char *since)
{
	struct ops_ctx *c = vctx;
	bool yes;
	int rc = visible(c->who, dl, doc, &yes, c->err);
	if (rc || !yes)
		return rc;
	if (json_array_size(c->items) == (size_t)c->limit) {
		c->full = true; /* one more is there: the page has a next */
		return 1;
	}
	int64_t t = epoch_of(since);
	json_t *o = json_pack(
		"{s:I,s:s,s:s,s:s*,s:s*,s:s,s:I,s:s,s:s,s:s*,s:o,s:s,s:s,s:s*,s:o}", "delivery_id", (json_int_t)dl->id,
		"document", doc->id, "kind", doc->kind, "document_id", doc->document_id[0] ? doc->document_id : NULL,
		"subject", doc->subject[0] ? doc->subject : NULL, "from", doc->from_code, "sender_system",
		(json_int_t)doc->system_id, "received", doc->received, "addressed", dl->addressed, "routed_to",
		dl->routed_to[0] ? dl->routed_to : NULL, "system_id",
		dl->system_id > 0 ? json_integer((json_int_t)dl->system_id) : json_null(), "state", dl->state,
		"updated", dl->updated, "waiting_since", since[0] ? since : NULL, "waiting_seconds",
		t >= 0 ? json_integer((json_int_t)(c->now > t ? c->now - t : 0)) : json_null());
	if (!o || json_array_append_new(c->items, o))
		return lt_err_set(c->err, LT_ENOMEM, "out of memory");
	c->last = dl->id;
	return 0;
}

int lt_exchange_deliveries(struct lt_exchange *x, const struct lt_principal *who, const struct lt_delivery_query *q,
			   json_t **out, struct lt_err *err)
{
	*out = NULL;
	int rc = lt_access_operations(who, NULL, err);
	if (rc)
		return rc;
	if (q->state && *q->state && !state_known(q->state))
		return lt_err_field(err,
				    lt_err_set(err, LT_EINVAL,
					       "state '%.20s' is not one of waiting, pending, processing, done, fail, "
					       "refused, merged, no_system, expired",
					       q->state),
				    "state");
	if (q->limit < 1 || q->limit > 1000)
		return lt_err_set(err, LT_EINVAL, "limit must be 1 to 1000");
	char before[32] = "";
	int64_t now = (int64_t)time(NULL);
	if (q->older_than_hours >= 0)
		lt_time_format(now - (int64_t)q->older_than_hours * 3600, before);
	struct lt_xop_filter f = {q->sender, q->recipient, q->state, before, q->before};
	struct ops_ctx c = {who, now, q->limit, json_array(), 0, false, err};
	if (!c.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	rc = lt_store_xoperations(x->store, &f, one_delivery, &c, err);
	if (rc < 0) {
		json_decref(c.items);
		return rc;
	}
	*out = json_pack("{s:o,s:o}", "items", c.items, "next_cursor",
			 c.full ? json_integer((json_int_t)c.last) : json_null());
	return *out ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
}

struct waiting_ctx {
	struct lt_exchange *x;
	const struct lt_principal *who;
	int64_t now;
	json_t *items;
	struct lt_err *err;
};

static int one_system(void *vctx, const struct lt_xwaiting *w)
{
	struct waiting_ctx *c = vctx;
	struct lt_system sys;
	struct lt_codelist codes = {0};
	int rc = lt_store_system_get(c->x->store, w->system_id, &sys, c->err);
	if (rc == LT_OK)
		rc = lt_store_system_codes(c->x->store, w->system_id, &codes, c->err);
	/* A manager sees the systems it may manage: all their codes are its. */
	bool yes = rc == LT_OK && lt_access_system(c->who, &codes, NULL) == LT_OK;
	lt_codelist_free(&codes);
	if (rc || !yes)
		return rc;
	int64_t t = epoch_of(w->oldest_since);
	json_t *o = json_pack("{s:I,s:s,s:b,s:I,s:I,s:{s:I,s:s,s:s,s:o}}", "system_id", (json_int_t)w->system_id,
			      "name", sys.name, "disabled", sys.disabled[0] != '\0', "waiting", (json_int_t)w->waiting,
			      "stuck", (json_int_t)w->stuck, "oldest", "delivery_id", (json_int_t)w->oldest_id,
			      "document", w->oldest_doc, "since", w->oldest_since, "seconds",
			      t >= 0 ? json_integer((json_int_t)(c->now > t ? c->now - t : 0)) : json_null());
	if (!o || json_array_append_new(c->items, o))
		return lt_err_set(c->err, LT_ENOMEM, "out of memory");
	return 0;
}

int lt_exchange_waiting(struct lt_exchange *x, const struct lt_principal *who, int stuck_hours, json_t **out,
			struct lt_err *err)
{
	*out = NULL;
	int rc = lt_access_operations(who, NULL, err);
	if (rc)
		return rc;
	if (stuck_hours < 0 || stuck_hours > 24 * 365)
		return lt_err_field(err, lt_err_set(err, LT_EINVAL, "stuck_hours must be 0 to 8760"), "stuck_hours");
	char before[32];
	int64_t now = (int64_t)time(NULL);
	lt_time_format(now - (int64_t)stuck_hours * 3600, before);
	struct waiting_ctx c = {x, who, now, json_array(), err};
	if (!c.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	if ((rc = lt_store_xwaiting(x->store, before, one_system, &c, err)) < 0) {
		json_decref(c.items);
		return rc;
	}
	*out = json_pack("{s:i,s:o}", "stuck_hours", stuck_hours, "items", c.items);
	return *out ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
}

struct oldest_ctx {
	lt_oldest_cb cb;
	void *ctx;
	int64_t now;
	int64_t *seen; /* the systems reported with a waiting delivery */
	size_t n, cap;
};

static int oldest_one(void *vctx, const struct lt_xwaiting *w)
{
	struct oldest_ctx *c = vctx;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		int64_t *nv = realloc(c->seen, cap * sizeof *nv);
		if (!nv)
			return LT_ENOMEM;
		c->seen = nv;
		c->cap = cap;
	}
	c->seen[c->n++] = w->system_id;
	int64_t t = epoch_of(w->oldest_since);
	return c->cb(c->ctx, w->system_id, t >= 0 && c->now > t ? c->now - t : 0);
}

/* Every other connected system: nothing waits, 0. */
static int oldest_zero(void *vctx, const struct lt_system *sys)
{
	struct oldest_ctx *c = vctx;
	for (size_t i = 0; i < c->n; i++)
		if (c->seen[i] == sys->id)
			return 0;
	return c->cb(c->ctx, sys->id, 0);
}

int lt_exchange_oldest_waiting(struct lt_exchange *x, lt_oldest_cb cb, void *ctx, struct lt_err *err)
{
	char now_text[32];
	struct oldest_ctx c = {cb, ctx, (int64_t)time(NULL), NULL, 0, 0};
	lt_time_format(c.now, now_text);
	int rc = lt_store_xwaiting(x->store, now_text, oldest_one, &c, err);
	if (rc == LT_ENOMEM)
		lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK)
		rc = lt_store_systems(x->store, oldest_zero, &c, err);
	free(c.seen);
	return rc;
}
