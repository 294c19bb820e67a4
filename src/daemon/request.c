/* Reading a request (its URI, query, headers and JSON body) strictly, and
 * writing replies. Every refusal is a 4xx with a sentence saying what to fix;
 * nothing here decides a domain rule. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/log.h"
#include "server.h"

const char *req_query(const struct req *rq, const char *key)
{
	for (size_t i = 0; i < rq->uri.n_query; i++)
		if (strcmp(rq->uri.query[i].key, key) == 0)
			return rq->uri.query[i].val;
	return NULL;
}

const char *req_header(const struct req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

char *json_reply_text(const json_t *o, size_t *len)
{
	char *s = json_dumps(o, JSON_COMPACT);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	/* A trailing newline makes curl output readable in the docs. */
	char *t = realloc(s, n + 2);
	if (t) {
		s = t;
		s[n++] = '\n';
		s[n] = '\0';
	}
	*len = n;
	return s;
}

void reply_json(struct req *rq, int status, json_t *body)
{
	json_decref(rq->json);
	free(rq->raw);
	rq->raw = NULL;
	rq->json = body;
	rq->status = status;
}

void reply_raw(struct req *rq, int status, const char *ctype, char *data, size_t len)
{
	json_decref(rq->json);
	rq->json = NULL;
	free(rq->raw);
	rq->raw = data;
	rq->raw_len = len;
	rq->ctype = ctype;
	rq->status = status;
}

static void reply_error_v(struct req *rq, int lt_status, const char *field, const char *fmt, va_list ap)
{
	char msg[LT_ERR_MSG_MAX];
	vsnprintf(msg, sizeof msg, fmt, ap);
	rq->lt_status = lt_status;
	if (lt_status == LT_EAUTH)
		rq->www_auth = true;
	/* "field" only when known: the contract {"code","message"} is unchanged. */
	reply_json(rq, lt_status_http(lt_status),
		   json_pack("{s:{s:s,s:s,s:s*}}", "error", "code", lt_status_name(lt_status), "message", msg, "field",
			     field && *field ? field : NULL));
}

void reply_error(struct req *rq, int lt_status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error_v(rq, lt_status, NULL, fmt, ap);
	va_end(ap);
}

void reply_error_field(struct req *rq, int lt_status, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error_v(rq, lt_status, field, fmt, ap);
	va_end(ap);
}

void reply_err(struct req *rq, const struct lt_err *err)
{
	if (err->status == LT_OK) {
		/* A failure whose err was never filled: the library broke its
		 * contract. Said loudly (the integration tests look for "BUG:"),
		 * never passed off as an I/O error. */
		lt_log_errorx("BUG: %s %s failed without a status", rq->method, rq->uri.path ? rq->uri.path : "?");
		reply_error(rq, LT_EIO, "internal error: the request failed without a reason; please report it");
		return;
	}
	reply_error_field(rq, err->status, err->field, "%s", err->msg[0] ? err->msg : lt_strerror(err->status));
}

/* If-None-Match holds a list of tags or "*". */
static bool etag_listed(const char *header, const char *etag)
{
	if (!header)
		return false;
	if (strcmp(header, "*") == 0)
		return true;
	size_t n = strlen(etag);
	for (const char *p = header; (p = strstr(p, etag)) != NULL; p += n) {
		bool start = p == header || p[-1] == ' ' || p[-1] == ',' || (p - header >= 2 && p[-1] == '/');
		bool end = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
		if (start && end)
			return true;
	}
	return false;
}

bool reply_etag(struct req *rq, const char *etag)
{
	if (etag != rq->etag)
		snprintf(rq->etag, sizeof rq->etag, "%s", etag);
	if (etag_listed(req_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH), rq->etag)) {
		reply_raw(rq, MHD_HTTP_NOT_MODIFIED, NULL, NULL, 0);
		return true;
	}
	return false;
}

json_t *req_json_object(struct req *rq)
{
	const char *ct = req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	/* The media type exactly, parameters (charset) allowed after it. */
	if (ct && (strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' '))) {
		reply_error(rq, LT_EINVAL, "send the body as application/json, not %.60s", ct);
		return NULL;
	}
	if (!rq->body_len) {
		reply_error(rq, LT_EINVAL, "this request needs a JSON object body");
		return NULL;
	}
	json_error_t je;
	json_t *o = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		reply_error(rq, LT_EINVAL, "the body is not valid JSON: %s at line %d column %d", je.text, je.line,
			    je.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		reply_error(rq, LT_EINVAL, "the body must be a JSON object");
		return NULL;
	}
	return o;
}

static bool type_ok(json_t *v, char t)
{
	switch (t) {
	case 's':
		return json_is_string(v);
	case 'i':
		return json_is_integer(v);
	case 'o':
		return json_is_object(v);
	case 'a':
		return json_is_array(v);
	case 'b':
		return json_is_boolean(v);
	case 'x':
		return json_is_object(v) || json_is_array(v);
	default:
		return false;
	}
}

static const char *type_name(char t)
{
	return t == 's'   ? "a string"
	       : t == 'i' ? "an integer"
	       : t == 'o' ? "an object"
	       : t == 'a' ? "an array"
	       : t == 'x' ? "an object or an array"
			  : "true or false";
}

bool req_fields(struct req *rq, json_t *o, const char *const *spec, const char *where)
{
	const char *key;
	json_t *v;
	const char *pre = where ? where : "", *dot = where ? "." : "";
	json_object_foreach(o, key, v)
	{
		const char *const *f = spec;
		for (; *f; f++) {
			size_t n = strcspn(*f, ":");
			if (strlen(key) == n && strncmp(*f, key, n) == 0)
				break;
		}
		char path[64];
		snprintf(path, sizeof path, "%s%s%s", pre, dot, key);
		if (!*f) {
			reply_error_field(rq, LT_EINVAL, path, "unknown field '%s%s%.64s'", pre, dot, key);
			return false;
		}
		char t = (*f)[strcspn(*f, ":") + 1];
		if (!json_is_null(v) && !type_ok(v, t)) {
			reply_error_field(rq, LT_EINVAL, path, "field '%s%s%s' must be %s", pre, dot, key,
					  type_name(t));
			return false;
		}
	}
	for (const char *const *f = spec; *f; f++) {
		if (!strchr(*f, '!'))
			continue;
		char name[64];
		size_t n = strcspn(*f, ":");
		snprintf(name, sizeof name, "%.*s", (int)n, *f);
		json_t *fv = json_object_get(o, name);
		if (!fv || json_is_null(fv)) {
			char path[64];
			snprintf(path, sizeof path, "%s%s%s", pre, dot, name);
			reply_error_field(rq, LT_EINVAL, path, "field '%s%s%s' is required", pre, dot, name);
			return false;
		}
	}
	return true;
}

bool req_code(struct req *rq, const char *text, char out[LT_CODE_BUFSZ], const char *what)
{
	struct lt_code c;
	struct lt_err err = {0};
	if (!text || lt_code_parse(&c, text, LT_CODE_STRICT, &err) != LT_OK) {
		/* A code in the path is no field of a form. */
		reply_error_field(rq, LT_EINVAL, text == rq->params[0] ? NULL : what,
				  "%s '%.40s' is not a valid code: %s", what, text ? text : "", err.msg);
		return false;
	}
	lt_code_format(&c, out);
	return true;
}

bool req_query_int(struct req *rq, const char *key, long long min, long long max, long long def, long long *out)
{
	const char *v = req_query(rq, key);
	if (!v || !*v) {
		*out = def;
		return true;
	}
	long long n;
	if (!lt_text_int(v, min, max, &n)) {
		reply_error_field(rq, LT_EINVAL, key, "query parameter %s must be a whole number from %lld to %lld",
				  key, min, max);
		return false;
	}
	*out = n;
	return true;
}

bool req_query_date(struct req *rq, const char *key, char out[LT_DATE_BUFSZ])
{
	const char *v = req_query(rq, key);
	out[0] = '\0';
	if (!v || !*v)
		return true;
	struct lt_err err = {0};
	if (lt_date_parse(v, out, &err)) {
		reply_error(rq, LT_EINVAL, "query parameter %s: %s", key, err.msg);
		return false;
	}
	return true;
}

bool req_query_status(struct req *rq, enum lt_status_filter def, enum lt_status_filter *out)
{
	const char *v = req_query(rq, "status");
	if (!v || !*v)
		*out = def;
	else if (strcmp(v, "active") == 0)
		*out = LT_FILTER_ACTIVE;
	else if (strcmp(v, "closed") == 0)
		*out = LT_FILTER_CLOSED;
	else if (strcmp(v, "all") == 0)
		*out = LT_FILTER_ALL;
	else {
		reply_error(rq, LT_EINVAL, "status must be active, closed or all");
		return false;
	}
	return true;
}
