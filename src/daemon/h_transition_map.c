/* GET /v1/transition/map: the old→current mapping as CSV, JSON or SQL. It is
 * catalogue data, readable by whoever may read the catalogue; a fetch by a
 * credential is recorded for the campaigns' map_fetched check.
 * POST /v1/transition/detect: which catalogue a file's codes fit (the
 * campaign page's upload), the body read as lienthong convert --detect
 * reads a file. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/convert.h"
#include "lienthong/transition_map.h"
#include "server.h"

static bool copy_query(struct req *rq, const char *key, char *dst, size_t size)
{
	const char *v = req_query(rq, key);
	if (!v)
		v = "";
	if (strlen(v) >= size) {
		reply_error_field(rq, LT_EINVAL, key, "%s is too long", key);
		return false;
	}
	snprintf(dst, size, "%s", v);
	return true;
}

void h_transition_map(struct req *rq)
{
	if (!auth_read(rq))
		return;
	struct lt_map_filter f = {0};
	struct lt_err err = {0};
	enum lt_map_format fmt;
	const char *format = req_query(rq, "format"), *table = req_query(rq, "table"),
		   *column = req_query(rq, "column");
	long long plan;
	if (!copy_query(rq, "since", f.since, sizeof f.since) || !copy_query(rq, "under", f.under, sizeof f.under) ||
	    !req_query_int(rq, "plan", 1, INT64_MAX, 0, &plan))
		return;
	f.plan = plan;
	if (lt_map_format_parse(format, &fmt, &err)) {
		reply_err(rq, &err);
		return;
	}
	if (fmt == LT_MAP_SQL &&
	    (lt_map_sql_ident(table, true, "table", &err) || lt_map_sql_ident(column, false, "column", &err))) {
		reply_err(rq, &err);
		return;
	}
	struct lt_map m;
	if (lt_transition_map(rq->srv->reg, &f, &m, &err)) {
		reply_err(rq, &err);
		return;
	}
	json_t *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = LT_OK;
	if (fmt == LT_MAP_JSON) {
		if (!(doc = lt_map_to_json(&m)))
			rc = lt_err_set(&err, LT_ENOMEM, "out of memory");
	} else {
		FILE *out = open_memstream(&text, &len);
		if (!out)
			rc = lt_err_set(&err, LT_ENOMEM, "out of memory");
		else {
			rc = fmt == LT_MAP_CSV ? lt_map_write_csv(&m, out, &err)
					       : lt_map_write_sql(&m, out, table, column, &err);
			if (fclose(out) && rc == LT_OK)
				rc = lt_err_set(&err, LT_ENOMEM, "out of memory");
		}
	}
	lt_map_free(&m);
	if (rc == LT_OK)
		rc = lt_transition_note_read(rq->srv->store, &rq->call, &f, format, &err);
	if (rc) {
		json_decref(doc);
		free(text);
		reply_err(rq, &err);
		return;
	}
	if (doc)
		reply_json(rq, 200, doc);
	else
		reply_raw(rq, 200, fmt == LT_MAP_CSV ? "text/csv; charset=utf-8" : "application/sql; charset=utf-8",
			  text, len);
}

/* The format: ?format=, else the Content-Type's media type. */
static bool detect_format(struct req *rq, enum lt_convert_format *fmt)
{
	struct lt_err err = {0};
	const char *f = req_query(rq, "format");
	if (f && *f) {
		if (lt_convert_format_parse(f, fmt, &err) == LT_OK)
			return true;
		reply_error_field(rq, LT_EINVAL, "format", "%s", err.msg);
		return false;
	}
	const char *ct = req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct && (strncmp(ct, "text/csv", 8) == 0))
		*fmt = LT_CONVERT_CSV;
	else if (ct && (strncmp(ct, "application/json", 16) == 0 || strncmp(ct, "application/x-ndjson", 20) == 0))
		*fmt = LT_CONVERT_JSON;
	else if (ct && (strncmp(ct, "application/xml", 15) == 0 || strncmp(ct, "text/xml", 8) == 0))
		*fmt = LT_CONVERT_XML;
	else {
		reply_error_field(rq, LT_EINVAL, "format",
				  "give format=csv|json|xml, or a Content-Type of text/csv, application/json or "
				  "application/xml");
		return false;
	}
	return true;
}

void h_transition_detect(struct req *rq)
{
	enum lt_convert_format fmt;
	if (!auth_read(rq) || !detect_format(rq, &fmt))
		return;
	if (!rq->body_len) {
		reply_error(rq, LT_EINVAL, "the body is empty: post the file whose codes to look at");
		return;
	}
	FILE *in = fmemopen(rq->body, rq->body_len, "r");
	if (!in) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		return;
	}
	json_t *out = NULL;
	struct lt_err err = {0};
	int rc = lt_convert_detect(rq->srv->reg, in, fmt, &out, &err);
	fclose(in);
	if (rc) {
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, out);
}
