/* The trace of a document: per recipient, where it was routed, its
 * transport timeline and its business-status timeline; and the statistics. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exchange_impl.h"
#include "lienthong/log.h"
#include "lienthong/text.h"

struct trace_ctx {
	struct lt_exchange *x;
	json_t *recipients;
	json_t *statuses; /* every status answering this document */
	struct lt_err *err;
};

static int collect_event(void *vctx, const struct lt_xevent *e)
{
	struct lt__list *c = vctx;
	return lt__list_append(c, lt__xpack(c->err, "a transport event", "{s:s,s:s}", "state", e->state, "at", e->at));
}

static int collect_status(void *vctx, const struct lt_xstatus *s)
{
	struct lt__list *c = vctx;
	char what[80];
	snprintf(what, sizeof what, "status %s on the trace", s->status_doc);
	return lt__list_append(c, lt__xpack(c->err, what, "{s:s,s:s?,s:s,s:s,s:s,s:s,s:s,s:s*}", "code", s->code,
					    "name", lt_edxml_status_name(s->code), "from", s->from_code, "to",
					    s->to_code, "at", s->at, "received", s->received, "status_id",
					    s->status_doc, "description", s->description[0] ? s->description : NULL));
}

static int trace_recipient(void *vctx, const struct lt_xdelivery *d)
{
	struct trace_ctx *c = vctx;
	struct lt__list ev = {json_array(), c->err};
	if (!ev.items)
		return lt_err_set(c->err, LT_ENOMEM, "out of memory");
	int rc = lt_store_xevents(c->x->store, d->id, collect_event, &ev, c->err);
	if (rc) {
		json_decref(ev.items);
		return rc;
	}
	json_t *transport = ev.items;
	/* Business statuses sent by this recipient (its routed-to code), or by
	 * the addressed code for producers that still answer with the old one. */
	json_t *mine = json_array();
	if (!mine) {
		json_decref(transport);
		return lt_err_set(c->err, LT_ENOMEM, "out of memory");
	}
	size_t i;
	json_t *s;
	json_array_foreach(c->statuses, i, s)
	{
		const char *from = json_string_value(json_object_get(s, "from"));
		const char *code = json_string_value(json_object_get(s, "code"));
		bool ours = from && (strcmp(from, d->routed_to) == 0 || strcmp(from, d->addressed) == 0);
		if (ours && strcmp(code, "13") != 0 && json_array_append(mine, s))
			rc = lt_err_set(c->err, LT_ENOMEM, "out of memory");
	}
	if (rc) {
		json_decref(transport);
		json_decref(mine);
		return rc;
	}
	/* The receiving system by id and name: a system removed since keeps its
	 * id on the trace. */
	struct lt_system sys = {0};
	struct lt_err e = {0};
	json_t *system = json_null();
	if (d->system_id) {
		int grc = lt_store_system_get(c->x->store, d->system_id, &sys, &e);
		if (grc != LT_OK && grc != LT_ENOTFOUND) {
			json_decref(transport);
			json_decref(mine);
			return lt_err_set(c->err, grc, "%s", e.msg);
		}
		system = lt__xpack(c->err, "a receiving system of the trace", "{s:I,s:s?}", "id",
				   (json_int_t)d->system_id, "name", sys.name[0] ? sys.name : NULL);
		if (!system) {
			json_decref(transport);
			json_decref(mine);
			return lt__xfail(c->err);
		}
	}
	struct lt__list rec = {c->recipients, c->err};
	return lt__list_append(&rec,
			       lt__xpack(c->err, "a recipient of the trace", "{s:s,s:s?,s:o,s:s,s:s?,s:o,s:o}", "code",
					 d->addressed, "routed_to", d->routed_to[0] ? d->routed_to : NULL, "system",
					 system, "state", d->state, "reason", d->reason[0] ? d->reason : NULL,
					 "transport", transport, "statuses", mine));
}

/* Sender-side statuses (a revocation, 13) stay on the document itself, once
 * per status package: the hub keeps one row per recipient it reached, which
 * the entry lists as `reached`. */
static int sender_statuses(json_t *statuses, json_t **out, struct lt_err *err)
{
	json_t *own = json_array(), *by_id = json_object();
	int rc = own && by_id ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
	size_t i;
	json_t *s;
	json_array_foreach(statuses, i, s)
	{
		if (rc || strcmp(json_string_value(json_object_get(s, "code")), "13") != 0)
			continue;
		const char *sid = json_string_value(json_object_get(s, "status_id"));
		json_t *to = json_object_get(s, "to");
		json_t *entry = json_object_get(by_id, sid);
		if (!entry) {
			entry = json_copy(s);
			bool ok = entry && json_object_set_new(entry, "reached", json_array()) == 0;
			if (!ok)
				json_decref(entry);
			/* json_array_append_new takes the entry even when it fails. */
			if (!ok || json_array_append_new(own, entry) || json_object_set(by_id, sid, entry)) {
				rc = lt_err_set(err, LT_ENOMEM, "out of memory");
				break;
			}
			json_object_del(entry, "to");
		}
		json_t *reached = json_object_get(entry, "reached");
		if (to && json_string_length(to) && json_array_append(reached, to))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	json_decref(by_id);
	if (rc) {
		json_decref(own);
		return rc;
	}
	*out = own;
	return LT_OK;
}

/* Sets key to a value lt__xpack built (NULL: it failed and said why). */
static int set_packed(json_t *o, const char *key, json_t *value, struct lt_err *err)
{
	if (!value)
		return lt__xfail(err);
	return json_object_set_new(o, key, value) ? lt_err_set(err, LT_ENOMEM, "out of memory") : LT_OK;
}

int lt_exchange_trace(struct lt_exchange *x, const struct lt_principal *who, const char *id, json_t **out,
		      struct lt_err *err)
{
	struct lt_xdoc d;
	int rc = lt__read_doc(x, who, id, false, &d, err);
	if (rc)
		return rc;
	struct trace_ctx c = {x, json_array(), json_array(), err};
	struct lt__list st = {c.statuses, err};
	rc = c.recipients && c.statuses ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK)
		rc = lt_store_xstatuses(x->store, id, collect_status, &st, err);
	if (rc == LT_OK)
		rc = lt_store_xdeliveries(x->store, id, trace_recipient, &c, err);
	json_t *own = NULL;
	if (rc == LT_OK)
		rc = sender_statuses(c.statuses, &own, err);
	json_decref(c.statuses);
	if (rc) {
		json_decref(c.recipients);
		return rc;
	}
	json_t *o = lt__xpack(err, "the trace", "{s:s,s:s,s:s?,s:s,s:s?,s:s,s:I,s:s,s:b,s:o,s:o}", "id", d.id, "kind",
			      d.kind, "document_id", d.document_id[0] ? d.document_id : NULL, "from", d.from_code,
			      "subject", d.subject[0] ? d.subject : NULL, "received", d.received, "size",
			      (json_int_t)d.size, "sha256", d.sha256, "body_removed", d.body_removed, "recipients",
			      c.recipients, "sender_statuses", own);
	if (!o)
		return lt__xfail(err);
	if (d.doctype > 0) {
		static const char *const names[] = {"new", "revoke", "update", "replace"};
		rc = set_packed(o, "business",
				lt__xpack(err, "the trace's business type", "{s:s,s:s}", "type", names[d.doctype & 3],
					  "refers_to", d.refers_to),
				err);
	}
	if (rc == LT_OK && d.signature[0]) {
		bool trusted = strncmp(d.signature, "trusted:", 8) == 0;
		const char *colon = strchr(d.signature, ':');
		rc = set_packed(o, "signature",
				lt__xpack(err, "the trace's signature verdict", "{s:b,s:s}", "trusted", trusted,
					  trusted ? "signer" : "reason", colon ? colon + 2 : d.signature),
				err);
	}
	if (rc == LT_OK && d.status_code[0])
		rc = set_packed(o, "status",
				lt__xpack(err, "the trace's status", "{s:s,s:s}", "code", d.status_code, "refers_to",
					  d.refers_to),
				err);
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return LT_OK;
}

static int stat_row(void *vctx, const struct lt_xstat_row *r)
{
	struct lt__list *c = vctx;
	return lt__list_append(c, lt__xpack(c->err, "a row of the statistics", "{s:s,s:I,s:I,s:I,s:o,s:o,s:I,s:I}",
					    "key", r->key, "documents", (json_int_t)r->documents, "bytes",
					    (json_int_t)r->bytes, "deliveries", (json_int_t)r->deliveries,
					    "sent_to_01_seconds", r->n_01 ? json_real(r->sent_to_01_s) : json_null(),
					    "sent_to_06_seconds", r->n_06 ? json_real(r->sent_to_06_s) : json_null(),
					    "answered_01", (json_int_t)r->n_01, "answered_06", (json_int_t)r->n_06));
}

int lt_exchange_stats(struct lt_exchange *x, const struct lt_principal *who, const char *from, const char *to,
		      const char *by, json_t **out, struct lt_err *err)
{
	int denied = lt_access_identified(who, "exchange statistics", err);
	if (denied)
		return denied;
	if (!by || !*by)
		by = "day";
	if (strcmp(by, "day") && strcmp(by, "month") && strcmp(by, "sender") && strcmp(by, "recipient"))
		return lt_err_set(err, LT_EINVAL, "by must be day, month, sender or recipient");
	struct lt__list c = {json_array(), err};
	if (!c.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int rc = lt_store_xstats(x->store, from ? from : "", to ? to : "", by, stat_row, &c, err);
	if (rc) {
		json_decref(c.items);
		return rc;
	}
	*out = lt__xpack(err, "the statistics", "{s:s,s:s?,s:s?,s:o}", "by", by, "from", from && *from ? from : NULL,
			 "to", to && *to ? to : NULL, "items", c.items);
	return *out ? LT_OK : lt__xfail(err);
}

struct expire_ctx {
	struct lt_exchange *x;
	char (*ids)[LT_DOC_ID_BUFSZ];
	size_t n, cap;
	struct lt_err *err;
};

static int expire_one(void *vctx, const struct lt_xdoc *d)
{
	struct expire_ctx *c = vctx;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char(*nv)[LT_DOC_ID_BUFSZ] = realloc(c->ids, cap * sizeof *nv);
		if (!nv)
			return lt_err_set(c->err, LT_ENOMEM, "out of memory");
		c->ids = nv;
		c->cap = cap;
	}
	lt_text_format(c->ids[c->n++], LT_DOC_ID_BUFSZ, "%s", d->id);
	return LT_OK;
}

/* Deliveries that waited hold_days for a system to receive for their code
 * end as expired, in one transaction; their package can then expire too. */
static int expire_held(struct lt_exchange *x, const char *today, struct lt_err *err)
{
	char before[LT_DATE_BUFSZ], at[32], reason[160];
	if (lt_date_add_days(today, -x->hold_days, before, err))
		return LT_EINVAL;
	lt_time_now(at);
	/* %s is the store's: each row's routed-to code. */
	lt_text_format(reason, sizeof reason, "no connected system received for %%s within %d days", x->hold_days);
	int n = 0, rc = lt_store_begin(x->store, err);
	if (rc)
		return rc;
	if ((rc = lt_store_xhold_expire(x->store, before, at, reason, &n, err)) == LT_OK)
		rc = lt_store_commit(x->store, err);
	else
		lt_store_rollback(x->store);
	if (rc == LT_OK && n)
		lt_log_info("exchange: %d deliveries expired after waiting %d days for a receiving system", n,
			    x->hold_days);
	return rc;
}

int lt_exchange_expire(struct lt_exchange *x, const struct lt_ctx *ctx, const char *today, size_t *removed,
		       struct lt_err *err)
{
	*removed = 0;
	int denied = lt_access_admin(&ctx->who, err);
	if (denied)
		return denied;
	int hrc = expire_held(x, today, err);
	if (hrc)
		return hrc;
	if (x->retention_days <= 0)
		return LT_OK;
	char before[LT_DATE_BUFSZ];
	if (lt_date_add_days(today, -x->retention_days, before, err))
		return LT_EINVAL;
	struct expire_ctx c = {x, NULL, 0, 0, err};
	int rc = lt_store_xexpired(x->store, before, expire_one, &c, err);
	if (rc == LT_OK && c.n && (rc = lt_store_begin(x->store, err)) == LT_OK) {
		for (size_t i = 0; i < c.n && rc == LT_OK; i++)
			rc = lt_store_xbody_removed(x->store, c.ids[i], err);
		if (rc == LT_OK)
			rc = lt_store_commit(x->store, err);
		else
			lt_store_rollback(x->store);
	}
	/* The rows first: a body without a row is only wasted space, a row
	 * pointing at a missing body would be a lie. */
	for (size_t i = 0; rc == LT_OK && i < c.n; i++) {
		char path[PATH_MAX];
		lt__xpath_body(x, c.ids[i], path);
		unlink(path);
	}
	*removed = rc == LT_OK ? c.n : 0;
	free(c.ids);
	return rc;
}

int lt_exchange_sent(struct lt_exchange *x, const struct lt_principal *who, const char *kind, const char *doc_id,
		     const char *since, int limit, lt_xdoc_cb cb, void *ctx, struct lt_err *err)
{
	int denied = lt_access_as_system(who, "only a connected system lists what it sent", err);
	if (denied)
		return denied;
	/* A doc_id filters only when it names a document this system sent: the
	 * SDK leaks ids of received documents into later calls. */
	struct lt_xdoc one;
	if (doc_id && lt_store_xdoc_get(x->store, doc_id, &one, NULL) == LT_OK && one.system_id == who->system_id)
		return cb(ctx, &one);
	return lt_store_xsent(x->store, who->system_id, kind, since, limit, cb, ctx, err);
}

int lt_exchange_doc_deliveries(struct lt_exchange *x, const char *doc, lt_xdelivery_cb cb, void *ctx,
			       struct lt_err *err)
{
	return lt_store_xdeliveries(x->store, doc, cb, ctx, err);
}

int lt_exchange_doc_statuses(struct lt_exchange *x, const char *doc, lt_xstatus_cb cb, void *ctx, struct lt_err *err)
{
	return lt_store_xstatuses(x->store, doc, cb, ctx, err);
}
