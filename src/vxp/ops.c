/* The VXP operations (formats.md §3.3) answered from the registry and the
 * exchange hub: the catalogue calls from units, lineage and the change log;
 * the document calls from inboxes, sent documents and acknowledgements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "lienthong/text.h"
#include "lienthong/vxp.h"

/* A reply row jansson refused to build: the stored text it came from is
 * not valid UTF-8 (or memory ran out). The caller gets an honest failure
 * naming the row, never a list with the row silently missing. */
static int row_failed(struct lt_err *err, const char *what, const json_error_t *je)
{
	return lt_err_set(err, LT_EIO,
			  "%s cannot be written as JSON (%s): a stored field is damaged; report it to the hub's "
			  "operator",
			  what, je->text[0] ? je->text : "out of memory");
}

/* ---- catalogue ---- */

struct agencies_ctx {
	struct lt_registry *r;
	enum lt_vxp_agencies which;
	json_t *data;
	struct lt_err *err;
};

static int last_event(void *ctx, const struct lt_event *ev)
{
	struct lt_event *last = ctx;
	free(last->data);
	*last = *ev;
	last->data = NULL;
	return 0;
}

static int agency(void *vctx, const struct lt_unit *u)
{
	struct agencies_ctx *c = vctx;
	struct lt_codelist succ = {0}, pred = {0};
	int rc = lt_registry_lineage(c->r, u->code, &succ, &pred, c->err);
	if (rc)
		return rc;
	const char *old = pred.n ? pred.codes[0] : "";
	json_t *o;
	json_error_t je = {0};
	if (c->which == LT_VXP_AGENCIES) {
		o = json_pack_ex(&je, 0, "{s:s,s:s,s:s,s:s,s:s,s:s}", "id", u->code, "pid", u->parent, "code", u->code,
				 "name", u->name, "mail", u->contact.email, "oldCode", old);
	} else if (c->which == LT_VXP_AGENCIES_QD20) {
		o = json_pack_ex(&je, 0, "{s:s,s:s,s:s,s:s,s:s}", "id", u->code, "code", u->code, "name", u->name,
				 "mail", u->contact.email, "code102", old);
	} else {
		/* version, deleted and modifyDate come from the change log. */
		struct lt_event last = {0};
		rc = lt_registry_history(c->r, u->code, last_event, &last, c->err);
		if (rc) {
			lt_codelist_free(&succ);
			lt_codelist_free(&pred);
			return rc;
		}
		char center[LT_CODE_BUFSZ] = "";
		struct lt_code code;
		if (lt_code_parse(&code, u->code, LT_CODE_LENIENT, NULL) == LT_OK) {
			/* The level-1 unit it belongs to. */
			struct lt_code top = code;
			while (lt_code_level(&top) > 1 && lt_code_parent(&top, &top) == LT_OK)
				;
			lt_code_format(&top, center);
		}
		o = json_pack_ex(&je, 0, "{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:b,s:s,s:b}", "id", u->code, "pid", u->parent,
				 "code", u->code, "name", u->name, "mail", u->contact.email, "version",
				 (json_int_t)last.seq, "centerCode", center, "deleted", u->status == LT_UNIT_CLOSED,
				 "modifyDate", last.at, "isAgency", true);
	}
	lt_codelist_free(&succ);
	lt_codelist_free(&pred);
	if (!o) {
		char what[64];
		snprintf(what, sizeof what, "unit %s", u->code);
		return row_failed(c->err, what, &je);
	}
	return json_array_append_new(c->data, o) ? lt_err_set(c->err, LT_ENOMEM, "out of memory") : LT_OK;
}

int lt_vxp_agencies(struct lt_registry *r, enum lt_vxp_agencies which, json_t **data, struct lt_err *err)
{
	struct agencies_ctx c = {r, which, json_array(), err};
	if (!c.data)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	char cursor[LT_CURSOR_BUFSZ] = "";
	/* getSynchronizeUnit reports closed units too, as deleted. */
	enum lt_status_filter f = which == LT_VXP_SYNCHRONIZE ? LT_FILTER_ALL : LT_FILTER_ACTIVE;
	for (;;) {
		char next[LT_CURSOR_BUFSZ] = "";
		struct lt_search q = {.status = f, .cursor = cursor[0] ? cursor : NULL, .limit = 500};
		int rc = lt_registry_search(r, &q, agency, &c, next, err);
		if (rc) {
			json_decref(c.data);
			return rc;
		}
		if (!next[0])
			break;
		memcpy(cursor, next, sizeof cursor);
	}
	*data = c.data;
	return LT_OK;
}

static int canon_code(const char *text, char out[LT_CODE_BUFSZ], struct lt_err *err)
{
	struct lt_code c;
	if (!text || !*text)
		return lt_err_set(err, LT_EINVAL, "give the agency code");
	if (lt_code_parse(&c, text, LT_CODE_LENIENT, err))
		return lt_err_prefix(err, "code '%.40s': ", text);
	lt_code_format(&c, out);
	return LT_OK;
}

int lt_vxp_register_agency(struct lt_registry *r, const struct lt_vxp_call *c, json_t *body, bool agency_ops,
			   struct lt_err *err)
{
	char code[LT_CODE_BUFSZ];
	int rc = canon_code(json_string_value(json_object_get(body, "code")), code, err);
	if (rc)
		return rc;
	return lt_system_bind(lt_registry_store(r), &c->ctx, c->ctx.who.system_id, code, agency_ops, err);
}

int lt_vxp_delete_agency(struct lt_registry *r, const struct lt_vxp_call *c, bool agency_ops, struct lt_err *err)
{
	char code[LT_CODE_BUFSZ];
	int rc = canon_code(lt_vxp_param(c, "AgencyCode"), code, err);
	if (rc)
		return rc;
	return lt_system_unbind(lt_registry_store(r), &c->ctx, c->ctx.who.system_id, code, agency_ops, err);
}

/* ---- documents ---- */

json_t *lt_vxp_send_reply(const json_t *sent, struct lt_err *err)
{
	json_t *rows = json_array(), *o = lt_vxp_ok();
	size_t i;
	json_t *r;
	int rc = rows && o ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
	json_array_foreach(json_object_get(sent, "recipients"), i, r)
	{
		if (rc)
			break;
		json_error_t je = {0};
		json_t *row =
			json_pack_ex(&je, 0, "{s:O,s:O,s:O,s:O}", "code", json_object_get(r, "code"), "routedTo",
				     json_object_get(r, "routed_to") ? json_object_get(r, "routed_to") : json_null(),
				     "state", json_object_get(r, "state"), "reason",
				     json_object_get(r, "reason") ? json_object_get(r, "reason") : json_null());
		if (!row)
			rc = row_failed(err, "a recipient of the reply", &je);
		else if (json_array_append_new(rows, row))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	if (rc == LT_OK &&
	    (json_object_set(o, "DocId", json_object_get(sent, "id")) || json_object_set(o, "recipients", rows)))
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	json_decref(rows);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *kind_of(const char *messagetype)
{
	return messagetype && strcasecmp(messagetype, "status") == 0 ? "status" : "edoc";
}

int lt_vxp_received(struct lt_exchange *x, const struct lt_vxp_call *c, const char *messagetype, json_t **data,
		    struct lt_err *err)
{
	const char *kind = kind_of(messagetype);
	char from[LT_VXP_DATE_BUFSZ], to[LT_VXP_DATE_BUFSZ];
	int drc = lt_vxp_date("fromDate", lt_vxp_param(c, "fromDate"), c->utc_offset, from, err);
	if (drc == LT_OK)
		drc = lt_vxp_date("toDate", lt_vxp_param(c, "toDate"), c->utc_offset, to, err);
	if (drc)
		return drc;
	json_t *out = json_array();
	if (!out)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int64_t after = 0;
	for (;;) {
		struct lt_inbox_query q = {kind, after, 500};
		json_t *page = NULL;
		int rc = lt_exchange_inbox(x, &c->ctx.who, &q, &page, err);
		if (rc) {
			json_decref(out);
			return rc;
		}
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(page, "items"), i, it)
		{
			const char *id = json_string_value(json_object_get(it, "id"));
			const char *received = json_string_value(json_object_get(it, "received"));
			const char *state = json_string_value(json_object_get(it, "state"));
			if (!received)
				received = "";
			if (!state)
				state = "";
			if ((from[0] && strcmp(received, from) < 0) || (to[0] && strncmp(received, to, 19) > 0))
				continue;
			json_error_t je = {0};
			json_t *when = json_object_get(it, "received");
			json_t *row = json_pack_ex(
				&je, 0, "{s:O,s:s,s:s,s:O,s:O,s:O,s:O,s:s,s:s}", "docId", json_object_get(it, "id"),
				"serviceType", "eDoc", "messageType", kind, "created_time", when, "updated_time", when,
				"from", json_object_get(it, "from"), "to", json_object_get(it, "routed_to"), "status",
				state, "status_desc", strcmp(state, "pending") == 0 ? "waiting for download" : state);
			if (!row) {
				char what[64];
				snprintf(what, sizeof what, "document %.32s", id ? id : "?");
				rc = row_failed(err, what, &je);
			} else if (json_array_append_new(out, row)) {
				rc = lt_err_set(err, LT_ENOMEM, "out of memory");
			}
			if (rc) {
				json_decref(page);
				json_decref(out);
				return rc;
			}
		}
		json_t *next = json_object_get(page, "next_cursor");
		after = json_is_integer(next) ? json_integer_value(next) : 0;
		json_decref(page);
		if (!after)
			break;
	}
	*data = out;
	return LT_OK;
}

struct sent_ctx {
	struct lt_exchange *x;
	const struct lt_xdoc *doc;
	json_t *statuses;
	json_t *out;
	struct lt_err *err;
};

static int keep_status(void *vctx, const struct lt_xstatus *st)
{
	struct sent_ctx *c = vctx;
	json_error_t je = {0};
	json_t *o = json_pack_ex(&je, 0, "{s:s,s:s,s:s}", "from", st->from_code, "code", st->code, "at", st->received);
	if (!o) {
		char what[80];
		snprintf(what, sizeof what, "a status of document %.32s", c->doc->id);
		return row_failed(c->err, what, &je);
	}
	return json_array_append_new(c->statuses, o) ? lt_err_set(c->err, LT_ENOMEM, "out of memory") : LT_OK;
}

static int sent_row(void *vctx, const struct lt_xdelivery *d)
{
	struct sent_ctx *c = vctx;
	if (strcmp(d->state, lt_delivery_state_name(LT_DELIVERY_MERGED)) == 0)
		return 0;
	/* The latest business status this recipient sent back. */
	const char *code = "", *at = "";
	size_t i;
	json_t *st;
	json_array_foreach(c->statuses, i, st)
	{
		if (strcmp(json_string_value(json_object_get(st, "from")), d->routed_to) == 0) {
			code = json_string_value(json_object_get(st, "code"));
			at = json_string_value(json_object_get(st, "at"));
		}
	}
	const char *name = lt_edxml_status_name(code);
	const char *notation = strrchr(c->doc->document_id, ',');
	json_error_t je = {0};
	json_t *o = json_pack_ex(&je, 0, "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "serviceType",
				 "eDoc", "senderDocId", c->doc->id, "receiverDocId", c->doc->id, "fromCode",
				 c->doc->from_code, "toCode", d->routed_to[0] ? d->routed_to : d->addressed, "title",
				 c->doc->subject, "notation", notation ? notation + 1 : "", "messageType", c->doc->kind,
				 "sentTime", c->doc->received, "receivedTime",
				 strcmp(d->state, lt_delivery_state_name(LT_DELIVERY_DONE)) == 0 ? d->updated : "",
				 "sendStatus", d->state, "sendStatusDesc", d->reason[0] ? d->reason : d->state,
				 "receiveStatus", code, "receiveStatusDesc", name ? name : "");
	(void)at;
	if (!o) {
		char what[64];
		snprintf(what, sizeof what, "document %.32s", c->doc->id);
		return row_failed(c->err, what, &je);
	}
	return json_array_append_new(c->out, o) ? lt_err_set(c->err, LT_ENOMEM, "out of memory") : LT_OK;
}

static int sent_doc(void *vctx, const struct lt_xdoc *d)
{
	struct sent_ctx *c = vctx;
	c->doc = d;
	c->statuses = json_array();
	if (!c->statuses)
		return lt_err_set(c->err, LT_ENOMEM, "out of memory");
	int rc = lt_exchange_doc_statuses(c->x, d->id, keep_status, c, c->err);
	if (rc == LT_OK)
		rc = lt_exchange_doc_deliveries(c->x, d->id, sent_row, c, c->err);
	json_decref(c->statuses);
	return rc;
}

int lt_vxp_sent(struct lt_exchange *x, const struct lt_vxp_call *c, const char *messagetype, int days, int max,
		json_t **data, struct lt_err *err)
{
	char since[32] = ""; /* written as `received` is */
	if (days > 0)
		lt_time_format((int64_t)time(NULL) - (int64_t)days * 86400, since);
	struct sent_ctx ctx = {x, NULL, NULL, json_array(), err};
	if (!ctx.out)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	/* A docId filters only when it names a document this system sent: the
	 * SDK leaks docIds of received documents into later calls. */
	int rc = lt_exchange_sent(x, &c->ctx.who, kind_of(messagetype), lt_vxp_param(c, "docId"), since, max, sent_doc,
				  &ctx, err);
	if (rc) {
		json_decref(ctx.out);
		return rc;
	}
	*data = ctx.out;
	return LT_OK;
}

int lt_vxp_update_status_submit(struct lt_exchange *x, const struct lt_vxp_call *c, void (*done)(void *arg), void *arg,
				struct lt_ack **out, struct lt_err *err)
{
	*out = NULL;
	const char *id = lt_vxp_param(c, "docId");
	const char *status = lt_vxp_param(c, "status");
	if (!id || !*id)
		return lt_err_set(err, LT_EINVAL, "updateStatus needs docId");
	if (!status)
		return lt_err_set(err, LT_EINVAL, "updateStatus needs status: done, fail or processing");
	char state[16];
	snprintf(state, sizeof state, "%s", status);
	for (char *p = state; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	return lt_exchange_ack_submit(x, &c->ctx, id, state, done, arg, out, err);
}

int lt_vxp_update_status(struct lt_exchange *x, const struct lt_vxp_call *c, struct lt_err *err)
{
	struct lt_ack *a;
	int rc = lt_vxp_update_status_submit(x, c, NULL, NULL, &a, err);
	return rc ? rc : lt_vxp_update_status_result(a, err);
}

int lt_vxp_update_status_result(struct lt_ack *a, struct lt_err *err)
{
	json_t *out = NULL;
	int rc = lt_exchange_ack_result(a, &out, err);
	json_decref(out);
	return rc;
}
