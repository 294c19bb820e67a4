/* The trace of a document: per recipient, where it was routed, its
 * transport timeline and its business-status timeline; and the statistics. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exchange_impl.h"

struct trace_ctx {
	struct lt_exchange *x;
	json_t *recipients;
	json_t *statuses; /* every status answering this document */
	struct lt_err *err;
};

static int collect_event(void *ctx, const struct lt_xevent *e)
{
	return json_array_append_new(ctx, json_pack("{s:s,s:s}", "state", e->state, "at", e->at)) ? LT_ENOMEM : LT_OK;
}

static int collect_status(void *ctx, const struct lt_xstatus *s)
{
	json_t *o = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s,s:s}", "code", s->code, "name", lt_edxml_status_name(s->code),
			      "from", s->from_code, "to", s->to_code, "at", s->at, "received", s->received,
			      "status_id", s->status_doc);
	if (s->description[0])
		json_object_set_new(o, "description", json_string(s->description));
	return json_array_append_new(ctx, o) ? LT_ENOMEM : LT_OK;
}

static int trace_recipient(void *vctx, const struct lt_xdelivery *d)
{
	struct trace_ctx *c = vctx;
	json_t *transport = json_array();
	int rc = lt_store_xevents(c->x->store, d->id, collect_event, transport, c->err);
	if (rc) {
		json_decref(transport);
		return rc;
	}
	/* Business statuses sent by this recipient (its routed-to code), or by
	 * the addressed code for producers that still answer with the old one. */
	json_t *mine = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(c->statuses, i, s)
	{
		const char *from = json_string_value(json_object_get(s, "from"));
		const char *code = json_string_value(json_object_get(s, "code"));
		bool ours = from && (strcmp(from, d->routed_to) == 0 || strcmp(from, d->addressed) == 0);
		if (ours && strcmp(code, "13") != 0)
			json_array_append(mine, s);
	}
	json_t *o = json_pack("{s:s,s:s?,s:s,s:s?,s:o,s:o}", "code", d->addressed, "routed_to",
			      d->routed_to[0] ? d->routed_to : NULL, "state", d->state, "reason",
			      d->reason[0] ? d->reason : NULL, "transport", transport, "statuses", mine);
	return json_array_append_new(c->recipients, o) ? LT_ENOMEM : LT_OK;
}

int lt_exchange_trace(struct lt_exchange *x, const struct lt_principal *who, const char *id, json_t **out,
		      struct lt_err *err)
{
	struct lt_xdoc d;
	int rc = lt_store_xdoc_get(x->store, id, &d, err);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(err, LT_ENOTFOUND, "no document with id %s", id);
	if (rc || (rc = lt__may_read(x, who, &d, err)))
		return rc;
	struct trace_ctx c = {x, json_array(), json_array(), err};
	rc = lt_store_xstatuses(x->store, id, collect_status, c.statuses, err);
	if (rc == LT_OK)
		rc = lt_store_xdeliveries(x->store, id, trace_recipient, &c, err);
	if (rc) {
		json_decref(c.recipients);
		json_decref(c.statuses);
		return rc;
	}
	/* Sender-side statuses (a revocation, 13) stay on the document itself. */
	json_t *own = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(c.statuses, i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "code")), "13") == 0)
			json_array_append(own, s);
	}
	json_decref(c.statuses);
	*out = json_pack("{s:s,s:s,s:s?,s:s,s:s?,s:s,s:I,s:s,s:b,s:o,s:o}", "id", d.id, "kind", d.kind, "document_id",
			 d.document_id[0] ? d.document_id : NULL, "from", d.from_code, "subject",
			 d.subject[0] ? d.subject : NULL, "received", d.received, "size", (json_int_t)d.size, "sha256",
			 d.sha256, "body_removed", d.body_removed, "recipients", c.recipients, "sender_statuses", own);
	if (d.doctype > 0) {
		static const char *const names[] = {"new", "revoke", "update", "replace"};
		json_object_set_new(*out, "business", json_pack("{s:s,s:s}", "type", names[d.doctype & 3], "refers_to",
								 d.refers_to));
	}
	if (d.signature[0]) {
		bool trusted = strncmp(d.signature, "trusted:", 8) == 0;
		const char *colon = strchr(d.signature, ':');
		json_object_set_new(*out, "signature",
				    json_pack("{s:b,s:s}", "trusted", trusted, trusted ? "signer" : "reason",
					      colon ? colon + 2 : d.signature));
	}
	if (d.status_code[0])
		json_object_set_new(*out, "status",
				    json_pack("{s:s,s:s}", "code", d.status_code, "refers_to", d.refers_to));
	return LT_OK;
}

static int stat_row(void *ctx, const struct lt_xstat_row *r)
{
	json_t *o = json_pack("{s:s,s:I,s:I,s:I}", "key", r->key, "documents", (json_int_t)r->documents, "bytes",
			      (json_int_t)r->bytes, "deliveries", (json_int_t)r->deliveries);
	json_object_set_new(o, "sent_to_01_seconds", r->n_01 ? json_real(r->sent_to_01_s) : json_null());
	json_object_set_new(o, "sent_to_06_seconds", r->n_06 ? json_real(r->sent_to_06_s) : json_null());
	json_object_set_new(o, "answered_01", json_integer(r->n_01));
	json_object_set_new(o, "answered_06", json_integer(r->n_06));
	return json_array_append_new(ctx, o) ? LT_ENOMEM : LT_OK;
}

int lt_exchange_stats(struct lt_exchange *x, const char *from, const char *to, const char *by, json_t **out,
		      struct lt_err *err)
{
	if (!by || !*by)
		by = "day";
	if (strcmp(by, "day") && strcmp(by, "month") && strcmp(by, "sender") && strcmp(by, "recipient"))
		return lt_err_set(err, LT_EINVAL, "by must be day, month, sender or recipient");
	json_t *items = json_array();
	int rc = lt_store_xstats(x->store, from ? from : "", to ? to : "", by, stat_row, items, err);
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:s,s:s?,s:s?,s:o}", "by", by, "from", from && *from ? from : NULL, "to",
			 to && *to ? to : NULL, "items", items);
	return LT_OK;
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
	snprintf(c->ids[c->n++], LT_DOC_ID_BUFSZ, "%s", d->id);
	return LT_OK;
}

int lt_exchange_expire(struct lt_exchange *x, const char *today, size_t *removed, struct lt_err *err)
{
	*removed = 0;
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
