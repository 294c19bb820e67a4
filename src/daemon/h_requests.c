/* /v1/requests: change requests (requests.h), each route translated into
 * one call of the requests module, which decides who may do what. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "server.h"

static bool request_id(struct req *rq, int64_t *id)
{
	long long v;
	if (!lt_text_int(rq->params[0], 1, INT64_MAX, &v) || rq->params[0][0] == '0') {
		reply_error(rq, LT_EINVAL, "'%.40s' is not a request id (a positive number)", rq->params[0]);
		return false;
	}
	*id = v;
	return true;
}

static void reply_request(struct req *rq, int rc, int status, json_t *out, const struct lt_err *err)
{
	if (rc) {
		reply_err(rq, err);
		return;
	}
	snprintf(rq->location, sizeof rq->location, "/v1/requests/%lld",
		 (long long)json_integer_value(json_object_get(out, "id")));
	reply_json(rq, status, out);
}

static const char *field(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

void h_requests_create(struct req *rq)
{
	static const char *const spec[] = {"kind:s!", "unit:s!", "proposal:o!", "reason:s", "reorganized:s", NULL};
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	if (req_fields(rq, o, spec, NULL)) {
		struct lt_request_new n = {field(o, "kind"), field(o, "unit"), json_object_get(o, "proposal"),
					   field(o, "reason"), field(o, "reorganized")};
		json_t *out = NULL;
		struct lt_err err = {0};
		int rc = lt_request_create(rq->srv->requests, &rq->call, &n, &out, &err);
		reply_request(rq, rc, 201, out, &err);
	}
	json_decref(o);
}

void h_requests_list(struct req *rq)
{
	long long after, limit;
	if (!req_query_int(rq, "after", 0, INT64_MAX, 0, &after) || !req_query_int(rq, "limit", 1, 500, 100, &limit))
		return;
	json_t *items = NULL;
	struct lt_err err = {0};
	if (lt_request_list(rq->srv->requests, &rq->call.who, req_query(rq, "state"), req_query(rq, "under"), after,
			    (int)limit, &items, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

void h_requests_events(struct req *rq)
{
	long long after, limit;
	if (!req_query_int(rq, "after", 0, INT64_MAX, 0, &after) || !req_query_int(rq, "limit", 1, 1000, 100, &limit))
		return;
	json_t *items = NULL;
	int64_t last = 0;
	struct lt_err err = {0};
	if (lt_request_events(rq->srv->requests, &rq->call.who, after, (int)limit, &items, &last, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, json_pack("{s:o,s:I}", "items", items, "last_seq", (json_int_t)last));
}

void h_request_get(struct req *rq)
{
	int64_t id;
	if (!request_id(rq, &id))
		return;
	json_t *out = NULL;
	struct lt_err err = {0};
	if (lt_request_show(rq->srv->requests, &rq->call.who, id, &out, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, out);
}

void h_request_patch(struct req *rq)
{
	static const char *const spec[] = {"proposal:o", "reason:s", "reorganized:s", NULL};
	int64_t id;
	if (!request_id(rq, &id))
		return;
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	if (req_fields(rq, o, spec, NULL)) {
		struct lt_request_change c = {json_object_get(o, "proposal"), field(o, "reason"),
					      field(o, "reorganized")};
		json_t *out = NULL;
		struct lt_err err = {0};
		int rc = lt_request_amend(rq->srv->requests, &rq->call, id, &c, &out, &err);
		reply_request(rq, rc, 200, out, &err);
	}
	json_decref(o);
}

static void act(struct req *rq, enum lt_request_act what, const char *key)
{
	int64_t id;
	if (!request_id(rq, &id))
		return;
	json_t *o = NULL;
	const char *text = NULL;
	if (key) {
		char spec_entry[32];
		snprintf(spec_entry, sizeof spec_entry, "%s:s!", key);
		const char *const spec[] = {spec_entry, NULL};
		if (!(o = req_json_object(rq)))
			return;
		if (!req_fields(rq, o, spec, NULL)) {
			json_decref(o);
			return;
		}
		text = field(o, key);
	}
	json_t *out = NULL;
	struct lt_err err = {0};
	int rc = lt_request_act(rq->srv->requests, &rq->call, id, what, text, &out, &err);
	reply_request(rq, rc, 200, out, &err);
	json_decref(o);
}

void h_request_submit(struct req *rq) { act(rq, LT_REQUEST_SUBMIT, NULL); }
void h_request_comment(struct req *rq) { act(rq, LT_REQUEST_COMMENT, "comment"); }
void h_request_return(struct req *rq) { act(rq, LT_REQUEST_RETURN, "comment"); }
void h_request_reject(struct req *rq) { act(rq, LT_REQUEST_REJECT, "reason"); }

void h_request_approve(struct req *rq)
{
	static const char *const spec[] = {"decision:o!", "file:i", NULL};
	static const char *const dspec[] = {"number:s!", "date:s!", "issuer:s!", "kind:s", NULL};
	int64_t id;
	if (!request_id(rq, &id))
		return;
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	struct lt_request_decision d = {0};
	json_t *jd = json_object_get(o, "decision");
	json_int_t file = json_integer_value(json_object_get(o, "file"));
	if (!req_fields(rq, o, spec, NULL) || !req_fields(rq, jd, dspec, "decision") ||
	    !json_field_copy(rq, jd, "number", d.decision.number, sizeof d.decision.number, "decision") ||
	    !json_field_copy(rq, jd, "date", d.decision.date, sizeof d.decision.date, "decision") ||
	    !json_field_copy(rq, jd, "issuer", d.decision.issuer, sizeof d.decision.issuer, "decision") ||
	    !json_field_copy(rq, jd, "kind", d.kind, sizeof d.kind, "decision"))
		goto out;
	if (file < 0 || file > 100000) {
		reply_error(rq, LT_EINVAL, "field 'file' is the number of one of the request's files");
		goto out;
	}
	d.file = (int)file;
	json_t *res = NULL;
	struct lt_err err = {0};
	int rc = lt_request_approve(rq->srv->requests, &rq->call, id, &d, &res, &err);
	reply_request(rq, rc, 200, res, &err);
out:
	json_decref(o);
}

struct file_upload {
	struct lt_request_upload *u;
	struct lt_err err; /* the first failure, answered at the end */
	int rc;
};

static void file_upload_free(void *v)
{
	struct file_upload *f = v;
	lt_request_upload_abort(f->u);
	free(f);
}

bool h_request_file_begin(struct req *rq)
{
	int64_t id;
	if (!request_id(rq, &id))
		return false;
	uint64_t max = (uint64_t)rq->srv->cfg.max_request_file_bytes;
	rq->body_limit = (size_t)max;
	rq->body_allowance = 0;
	const char *cl = req_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > max) {
		reply_error(rq, LT_ETOOBIG, "the file is %s bytes; max_request_file_bytes is %llu", cl,
			    (unsigned long long)max);
		return false;
	}
	struct file_upload *f = calloc(1, sizeof *f);
	if (!f) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		return false;
	}
	struct lt_err err = {0};
	if (lt_request_upload_begin(rq->srv->requests, &rq->call, id, req_query(rq, "name"),
				    req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE), &f->u, &err)) {
		free(f);
		reply_err(rq, &err);
		return false;
	}
	rq->ctx = f;
	rq->ctx_free = file_upload_free;
	return true;
}

void h_request_file_data(struct req *rq, const char *data, size_t len)
{
	struct file_upload *f = rq->ctx;
	if (f->rc == LT_OK)
		f->rc = lt_request_upload_write(f->u, data, len, &f->err);
}

void h_request_file_add(struct req *rq)
{
	struct file_upload *f = rq->ctx;
	if (f->rc) {
		reply_err(rq, &f->err);
		return;
	}
	struct lt_request_upload *u = f->u;
	f->u = NULL;
	json_t *out = NULL;
	struct lt_err err = {0};
	if (lt_request_upload_finish(u, &out, &err)) {
		reply_err(rq, &err);
		return;
	}
	snprintf(rq->location, sizeof rq->location, "/v1/requests/%s/files/%lld", rq->params[0],
		 (long long)json_integer_value(json_object_get(out, "n")));
	reply_json(rq, 201, out);
}

void h_request_file_get(struct req *rq)
{
	int64_t id;
	if (!request_id(rq, &id))
		return;
	long long n;
	if (!lt_text_int(rq->params[1], 1, 100000, &n)) {
		reply_error(rq, LT_EINVAL, "'%.40s' is not a file number", rq->params[1]);
		return;
	}
	int fd = -1;
	struct lt_request_file meta;
	struct lt_err err = {0};
	if (lt_request_file_open(rq->srv->requests, &rq->call.who, id, (int)n, &fd, &meta, &err)) {
		reply_err(rq, &err);
		return;
	}
	rq->body_fd = fd;
	rq->body_fd_size = (uint64_t)meta.size;
	/* The type the filer gave is kept and listed, but served only when a
	 * browser cannot run it: an uploaded HTML page must not run as the hub. */
	static const char *const safe[] = {"application/pdf", "image/png", "image/jpeg", "text/plain"};
	rq->ctype = "application/octet-stream";
	for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
		if (strcasecmp(meta.content_type, safe[i]) == 0)
			rq->ctype = safe[i];
	rq->status = 200;
}
