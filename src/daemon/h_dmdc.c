/* The shared-catalogue API (formats.md §3.6): /dmdc/Metadata and
 * /dmdc/Category for qlvanbandieuhanhcap1…4, with the field names, the
 * dd/MM/yyyy dates and the reply shapes existing consumers already read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/text.h"
#include "lienthong/campaigns.h"
#include "server.h"

/* The level of a category name, or 0 when this hub does not serve it. */
static int category_level(struct req *rq)
{
	const char *cat = rq->params[0];
	static const char prefix[] = "qlvanbandieuhanhcap";
	if (strncmp(cat, prefix, sizeof prefix - 1) == 0 && cat[sizeof prefix - 1] >= '1' &&
	    cat[sizeof prefix - 1] <= '4' && cat[sizeof prefix] == '\0')
		return cat[sizeof prefix - 1] - '0';
	reply_error(rq, LT_ENOTFOUND,
		    "category '%.60s' is not served here; this hub serves qlvanbandieuhanhcap1 to qlvanbandieuhanhcap4",
		    cat);
	return 0;
}

#define N_FIELDS LT_DMDC_NFIELDS
#define fields lt_dmdc_fields

void h_dmdc_metadata(struct req *rq)
{
	int level = category_level(rq);
	if (!level || !auth_read(rq))
		return;
	char code_field[32], code_name[64];
	snprintf(code_field, sizeof code_field, "MaDinhDanhCap%d", level);
	snprintf(code_name, sizeof code_name, "Mã định danh cấp %d", level);
	json_t *a = json_array();
	json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "PropertyCode", code_field, "PropertyName", code_name,
					   "PropertyType", "String"));
	for (size_t i = level == 1 ? 1 : 0; i < N_FIELDS; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "PropertyCode", fields[i].code, "PropertyName",
						   fields[i].name, "PropertyType", fields[i].type));
	reply_json(rq, 200, a);
}

struct cat_ctx {
	json_t *items;
	int level;
};

static int record(void *vctx, const struct lt_unit *u)
{
	struct cat_ctx *ctx = vctx;
	char key[32], date[LT_DATE_BUFSZ];
	snprintf(key, sizeof key, "MaDinhDanhCap%d", ctx->level);
	json_t *o = json_object();
	json_object_set_new(o, key, json_string(u->code));
	for (size_t i = ctx->level > 1 ? 0 : 1; i < N_FIELDS; i++)
		json_object_set_new(o, fields[i].code, json_string(lt_dmdc_value(u, i, date)));
	return json_array_append_new(ctx->items, o) ? LT_ENOMEM : LT_OK;
}

void h_dmdc_category_get(struct req *rq)
{
	int level = category_level(rq);
	if (!level || !auth_read(rq))
		return;
	const char *qp = req_query(rq, "parent");
	char parent[LT_CODE_BUFSZ];
	if (qp && *qp && !req_code(rq, qp, parent, "parent"))
		return;
	struct cat_ctx ctx = {json_array(), level};
	char cursor[LT_CURSOR_BUFSZ] = "";
	struct lt_err err = {0};
	/* Page through the search in tree order; the reply is one array, as the
	 * shared catalogue gives it. */
	for (;;) {
		char next[LT_CURSOR_BUFSZ] = "";
		struct lt_search s = {.level = level,
				      .under = qp && *qp ? parent : NULL,
				      .status = LT_FILTER_ACTIVE,
				      .cursor = cursor[0] ? cursor : NULL,
				      .limit = 500};
		if (lt_registry_search(rq->srv->reg, &s, record, &ctx, next, &err)) {
			json_decref(ctx.items);
			reply_err(rq, &err);
			return;
		}
		if (!next[0])
			break;
		memcpy(cursor, next, sizeof cursor);
	}
	lt_campaign_note_read(rq->srv->reg, &rq->call, LT_READ_CATALOGUE);
	reply_json(rq, 200, ctx.items);
}

static void dmdc_reply(struct req *rq, int status, const char *msg, size_t count)
{
	reply_json(rq, status, json_pack("{s:s,s:I}", "MSG", msg, "Count", (json_int_t)count));
}

/* The records go to the registry as they are; the reply is the shared
 * catalogue's: {"MSG":"Done","Count":n}, or "Data not insert" naming every
 * refused record. */
void h_dmdc_category_post(struct req *rq)
{
	int level = category_level(rq);
	if (!level)
		return;
	json_error_t je;
	json_t *arr = rq->body_len ? json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (!json_is_array(arr)) {
		char msg[300];
		snprintf(msg, sizeof msg, "Data not insert: the body must be a JSON array of records%s%s",
			 arr || !rq->body_len ? "" : ": ", arr || !rq->body_len ? "" : je.text);
		json_decref(arr);
		dmdc_reply(rq, 400, msg, 0);
		return;
	}
	struct lt_import_report rep = {0};
	struct lt_err err = {0};
	int rc = lt_registry_add_records(rq->srv->reg, &rq->call, level, arr, &rep, &err);
	json_decref(arr);
	if (rc == LT_OK) {
		dmdc_reply(rq, 200, "Done", rep.imported);
	} else if (!json_array_size(rep.errors) && (rc == LT_EAUTH || rc == LT_EFORBIDDEN)) {
		reply_err(rq, &err);
	} else {
		char msg[LT_ERR_MSG_MAX];
		char code_key[32];
		snprintf(code_key, sizeof code_key, "MaDinhDanhCap%d", level);
		size_t off = (size_t)snprintf(msg, sizeof msg, "Data not insert");
		json_t *e;
		size_t k;
		json_array_foreach(rep.errors, k, e)
		{
			if (off >= sizeof msg - 1)
				break;
			const char *c = json_string_value(json_object_get(e, "code"));
			const char *why = json_string_value(json_object_get(e, "reason"));
			off += (size_t)snprintf(msg + off, sizeof msg - off, "%sRecord %lld: %s%s%s%s", k ? "; " : ": ",
						(long long)json_integer_value(json_object_get(e, "record")),
						c && *c ? code_key : "", c && *c ? " " : "", c && *c ? c : "",
						c && *c ? " " : "");
			if (off < sizeof msg - 1)
				off += (size_t)snprintf(msg + off, sizeof msg - off, "%s", why ? why : "refused");
		}
		if (!json_array_size(rep.errors))
			snprintf(msg + off, sizeof msg - off, ": %s", err.msg);
		/* The list is cut at the buffer's end: never inside a character,
		 * or the reply could not be written as JSON at all. */
		lt_text_cut_whole(msg, strlen(msg));
		rq->lt_status = rc;
		dmdc_reply(rq, lt_status_http(rc), msg, 0);
	}
	lt_import_report_free(&rep);
}
