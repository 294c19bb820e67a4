/* CSV in and out for managers: POST /v1/imports streams a text/csv body into
 * the registry's import (dry run or applied, insert or upsert) and answers
 * with its report; GET /v1/export gives the units as CSV, ours or the shared
 * catalogue's. Every rule and check is the registry's. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

struct import_req {
	struct lt_import *im;
	struct lt_import_opts opts;
};

static void import_req_free(void *v)
{
	struct import_req *q = v;
	lt_registry_import_abort(q->im);
	free(q);
}

/* "true"/"false" (or absent: def) into *out; replies 400 naming key otherwise. */
static bool query_bool(struct req *rq, const char *key, bool def, bool *out)
{
	const char *v = req_query(rq, key);
	if (!v || !*v)
		*out = def;
	else if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else {
		reply_error_field(rq, LT_EINVAL, key, "query parameter %s must be true or false", key);
		return false;
	}
	return true;
}

/* A CSV body is text/csv (any parameters, such as charset=utf-8). */
static bool is_csv(const char *ctype)
{
	if (!ctype)
		return false;
	while (*ctype == ' ')
		ctype++;
	size_t n = strcspn(ctype, "; ");
	return n == 8 && strncasecmp(ctype, "text/csv", 8) == 0;
}

bool h_import_begin(struct req *rq)
{
	struct lt_import_opts opts = {0};
	if (!query_bool(rq, "dry_run", false, &opts.dry_run))
		return false;
	const char *mode = req_query(rq, "mode");
	if (mode && *mode && strcmp(mode, "upsert") == 0)
		opts.upsert = true;
	else if (mode && *mode && strcmp(mode, "insert") != 0) {
		reply_error_field(rq, LT_EINVAL, "mode", "query parameter mode must be insert or upsert");
		return false;
	}
	if (!is_csv(req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		reply_error(rq, LT_EINVAL, "send the file as the body with Content-Type: text/csv");
		return false;
	}
	uint64_t max = (uint64_t)rq->srv->cfg.max_bulk_bytes;
	rq->body_limit = (size_t)max;
	rq->body_allowance = 0;
	const char *cl = req_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > max) {
		reply_error(rq, LT_ETOOBIG, "the file is %s bytes; max_bulk_bytes is %llu", cl,
			    (unsigned long long)max);
		return false;
	}
	struct import_req *q = calloc(1, sizeof *q);
	if (!q) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		return false;
	}
	q->opts = opts;
	struct lt_err err = {0};
	if (lt_registry_import_begin(rq->srv->reg, &rq->call, &q->opts, &q->im, &err)) {
		free(q);
		reply_err(rq, &err);
		return false;
	}
	rq->ctx = q;
	rq->ctx_free = import_req_free;
	return true;
}

void h_import_data(struct req *rq, const char *data, size_t len)
{
	struct import_req *q = rq->ctx;
	/* A failure is kept by the import and answered at the end. */
	lt_registry_import_feed(q->im, data, len);
}

void h_import(struct req *rq)
{
	struct import_req *q = rq->ctx;
	struct lt_import *im = q->im;
	q->im = NULL;
	struct lt_import_report rep;
	struct lt_err err = {0};
	int rc = lt_registry_import_finish(im, &rep, &err);
	json_t *report = lt_import_report_to_json(&rep, &q->opts, rc == LT_OK);
	lt_import_report_free(&rep);
	if (rc == LT_OK) {
		reply_json(rq, 200, report);
		return;
	}
	/* The refusal in the contract's shape, with the report beside it: the
	 * rows, their columns and reasons are what the caller needs to fix. */
	reply_err(rq, &err);
	json_object_set_new(rq->json, "report", report);
}

void h_export(struct req *rq)
{
	if (!auth_read(rq))
		return;
	struct lt_err err = {0};
	enum lt_export_format format;
	if (lt_export_format_parse(req_query(rq, "format"), &format, &err)) {
		reply_err(rq, &err);
		return;
	}
	const char *under = req_query(rq, "under");
	char canon[LT_CODE_BUFSZ] = "", as_of[LT_DATE_BUFSZ];
	if (under && *under && !req_code(rq, under, canon, "under"))
		return;
	if (!req_query_date(rq, "as_of", as_of))
		return;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		return;
	}
	int rc = lt_registry_export(rq->srv->reg, out, format, canon, as_of, &err);
	if (fclose(out) != 0 && rc == LT_OK)
		rc = lt_err_set(&err, LT_ENOMEM, "out of memory");
	if (rc) {
		free(buf);
		reply_err(rq, &err);
		return;
	}
	reply_raw(rq, 200, "text/csv; charset=utf-8", buf, len);
}
