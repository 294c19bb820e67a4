/* POST /vxp/{operation} and GET /vxp/downloadEdoc: the VXP-compatible axis
 * API. This file moves bytes between HTTP and src/vxp: it reads the signed
 * headers, holds back sendEdoc's trailing CRLF while streaming, and streams
 * getEdoc's base64 reply; every decision is made in the library. It also
 * puts the server's own refusals on /vxp/ paths into the envelope. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lienthong/vxp.h"
#include "server.h"

enum op {
	OP_AGENCIES,
	OP_AGENCIES_QD20,
	OP_SYNC,
	OP_REGISTER,
	OP_DELETE,
	OP_SEND,
	OP_RECEIVED,
	OP_SENT,
	OP_GET_EDOC,
	OP_DOWNLOAD,
	OP_COUNT_EDOC,
	OP_COUNT_STATUS,
	OP_UPDATE_STATUS,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"getAgenciesList",  "getAgenciesListQD20", "getSynchronizeUnit", "registerAgency", "deleteAgency",
	"sendEdoc",         "getReceivedEdocList", "getSentEdocList",    "getEdoc",        "downloadEdoc",
	"countReceiveEdoc", "countReceiveStatus",  "updateStatus",
};

#define SMALL_BODY 65536

struct vxp_req {
	enum op op;
	struct lt_vxp_call call;
	struct lt_upload *upload;
	EVP_MD_CTX *sha;       /* over everything fed to the upload */
	unsigned char held[2]; /* the last bytes seen: a trailing CRLF may be the SDK's, not the file's */
	size_t nheld;
	bool feed_failed;
	char *body;
	size_t len;
	bool too_big;
	struct lt_ack *ack; /* updateStatus while its commit is waited for */
};

static void vxp_req_free(void *p)
{
	struct vxp_req *v = p;
	if (!v)
		return;
	lt_vxp_call_clear(&v->call);
	lt_upload_abort(v->upload);
	lt_exchange_ack_free(v->ack);
	EVP_MD_CTX_free(v->sha);
	free(v->body);
	free(v);
}

/* Every outcome goes out in the envelope of §3.4, with an HTTP status a
 * plain client can act on too. */
static void reply_fail(struct req *rq, const struct lt_err *err)
{
	int st = err->status != LT_OK ? (int)err->status : LT_EIO;
	rq->lt_status = st;
	rq->www_auth = false; /* the SDK does not do bearer auth */
	/* NULL when out of memory: the server then sends a fixed envelope. */
	reply_json(rq, lt_status_http(st), lt_vxp_fail(err));
}

static void reply_fail_msg(struct req *rq, int status, const char *msg)
{
	struct lt_err err = {0};
	lt_err_set(&err, status, "%s", msg);
	reply_fail(rq, &err);
}

static void reply_ok(struct req *rq, const char *key, json_t *value)
{
	json_t *o = lt_vxp_ok();
	if (!o)
		json_decref(value);
	/* json_object_set_new takes value even when it fails. */
	if (!o || (key && json_object_set_new(o, key, value))) {
		json_decref(o);
		reply_fail_msg(rq, LT_ENOMEM, "out of memory: the hub could not build its reply; retry later");
		return;
	}
	reply_json(rq, 200, o);
}

/* The operation a /vxp/ path names: its last segment. */
bool h_vxp_is_send(const struct req *rq)
{
	const char *p = rq->uri.path ? rq->uri.path : rq->raw_uri;
	if (!p)
		return false;
	size_t n = strcspn(p, "?#");
	const char *seg = p + n;
	while (seg > p && seg[-1] != '/')
		seg--;
	return (size_t)(p + n - seg) == 8 && strncmp(seg, "sendEdoc", 8) == 0;
}

void h_vxp_envelope(struct req *rq)
{
	json_t *j = rq->json;
	if (!json_is_string(json_object_get(j, "status")) || !json_is_string(json_object_get(j, "ErrorCode"))) {
		const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
		char generic[96];
		if (!msg) {
			/* The generic reply could not be built either (its message
			 * was not UTF-8): say at least what the status means. */
			const char *phrase = MHD_get_reason_phrase_for((unsigned)rq->status);
			snprintf(generic, sizeof generic, "the request was refused: HTTP %d %s", rq->status,
				 phrase ? phrase : "");
			msg = generic;
		}
		json_t *env = lt_vxp_fail_http(rq->status, msg);
		json_decref(rq->json);
		rq->json = env;
		free(rq->raw);
		rq->raw = NULL;
		rq->raw_len = 0;
		rq->www_auth = false;
	}
	/* The SDK reads sendEdoc's DocId without checking it is there: a
	 * refusal without it comes out as a result of nulls, the hub's
	 * ErrorCode and ErrorDesc lost. */
	if (rq->json && h_vxp_is_send(rq) && !json_object_get(rq->json, "DocId") &&
	    json_object_set_new(rq->json, "DocId", json_string(""))) {
		json_decref(rq->json);
		rq->json = NULL; /* the server sends its fixed envelope, which has DocId */
	}
}

static const char *header(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(((struct req *)ctx)->conn, MHD_HEADER_KIND, name);
}

static bool find_op(struct req *rq, enum op *out)
{
	for (int i = 0; i < OP_COUNT; i++)
		if (strcmp(rq->params[0], op_names[i]) == 0) {
			*out = (enum op)i;
			return true;
		}
	struct lt_err err = {0};
	lt_err_set(&err, LT_ENOTFOUND, "unknown VXP operation '%.60s'", rq->params[0]);
	reply_fail(rq, &err);
	return false;
}

static bool authenticate(struct req *rq, struct lt_vxp_call *call, enum op op)
{
	struct lt_err err = {0};
	if (lt_vxp_authenticate(rq->srv->store, rq->srv->seal_key, header, rq, rq->srv->cfg.vxp_max_clock_skew,
				(int)rq->srv->cfg.vxp_utc_offset, call, &err) ||
	    lt_vxp_keys_check(call, op_names[op], &err)) {
		reply_fail(rq, &err);
		return false;
	}
	/* The VXP call is this request: one id in the logs for both. */
	memcpy(call->ctx.request_id, rq->call.request_id, sizeof call->ctx.request_id);
	rq->call.who = call->ctx.who;
	return true;
}

bool h_vxp_begin(struct req *rq)
{
	enum op op;
	if (!find_op(rq, &op))
		return false;
	struct vxp_req *v = calloc(1, sizeof *v);
	if (!v) {
		reply_fail_msg(rq, LT_ENOMEM, "out of memory; retry later");
		return false;
	}
	v->op = op;
	rq->ctx = v;
	rq->ctx_free = vxp_req_free;
	if (op != OP_SEND) {
		/* Only sendEdoc takes a package: the server enforces this
		 * smaller limit on the others, chunked bodies included. */
		rq->body_limit = SMALL_BODY;
		rq->body_allowance = 0;
		const char *cl = req_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > SMALL_BODY) {
			struct lt_err err = {0};
			lt_err_set(&err, LT_ETOOBIG, "the body is %.20s bytes; %s takes a body of at most %d bytes", cl,
				   op_names[op], SMALL_BODY);
			reply_fail(rq, &err);
			return false;
		}
	}
	if (!authenticate(rq, &v->call, op))
		return false;
	if (op == OP_SEND) {
		struct lt_err err = {0};
		/* Refused before the body is read, so nothing is uploaded. */
		if (lt_vxp_send_check(&v->call, &err)) {
			reply_fail(rq, &err);
			return false;
		}
		v->sha = EVP_MD_CTX_new();
		if (!v->sha || EVP_DigestInit_ex(v->sha, EVP_sha256(), NULL) != 1) {
			reply_fail_msg(rq, LT_ENOMEM, "out of memory; retry later");
			return false;
		}
		if (lt_upload_begin(rq->srv->xch, &v->call.ctx, &v->upload, &err)) {
			reply_fail(rq, &err);
			return false;
		}
	}
	return true;
}

static void store(struct vxp_req *v, const void *p, size_t n)
{
	if (!n || v->feed_failed)
		return;
	if (lt_upload_feed(v->upload, p, n, NULL) != LT_OK)
		v->feed_failed = true; /* the upload remembers why */
}

static void feed(struct vxp_req *v, const void *p, size_t n)
{
	if (!n)
		return;
	EVP_DigestUpdate(v->sha, p, n);
	store(v, p, n);
}

void h_vxp_data(struct req *rq, const char *data, size_t len)
{
	struct vxp_req *v = rq->ctx;
	if (v->op != OP_SEND) {
		if (v->too_big || v->len + len > SMALL_BODY) {
			v->too_big = true;
			return;
		}
		char *nb = realloc(v->body, v->len + len + 1);
		if (!nb) {
			v->too_big = true;
			return;
		}
		v->body = nb;
		memcpy(v->body + v->len, data, len);
		v->len += len;
		v->body[v->len] = '\0';
		return;
	}
	/* Hold the last two bytes back until the next piece shows they were
	 * not the end. */
	if (len >= 2) {
		feed(v, v->held, v->nheld);
		feed(v, data, len - 2);
		memcpy(v->held, data + len - 2, 2);
		v->nheld = 2;
	} else if (len == 1) {
		if (v->nheld == 2) {
			feed(v, v->held, 1);
			v->held[0] = v->held[1];
			v->nheld = 1;
		}
		v->held[v->nheld++] = (unsigned char)data[0];
	}
}

/* Answers a send whose commit is over: after lt_upload_submit, at once or
 * resumed. */
static void send_edoc_answer(struct req *rq, struct vxp_req *v)
{
	struct lt_err err = {0};
	json_t *reply = NULL;
	bool replayed = false;
	struct lt_upload *u = v->upload;
	v->upload = NULL;
	if (lt_upload_result(u, &reply, &replayed, &err)) {
		reply_fail(rq, &err);
		return;
	}
	json_t *o = lt_vxp_send_reply(reply, &err);
	json_decref(reply);
	if (!o)
		reply_fail(rq, &err);
	else
		reply_json(rq, 200, o);
}

/* Runs twice when the commit is waited for: once to check and submit, and
 * again, resumed, to answer. */
static void send_edoc(struct req *rq, struct vxp_req *v)
{
	if (commit_wait_started(rq)) {
		send_edoc_answer(rq, v);
		return;
	}
	struct lt_err err = {0};
	bool crlf = v->nheld == 2 && v->held[0] == '\r' && v->held[1] == '\n';
	unsigned char without[32], with[32];
	unsigned int n = 0;
	if (crlf) {
		/* Whether that CRLF is the SDK's or the file's own ending, only
		 * hash-file can tell: digest both ways. */
		EVP_MD_CTX *plus = EVP_MD_CTX_new();
		bool ok = plus && EVP_MD_CTX_copy_ex(plus, v->sha) == 1 && EVP_DigestUpdate(plus, v->held, 2) == 1 &&
			  EVP_DigestFinal_ex(plus, with, &n) == 1;
		EVP_MD_CTX_free(plus);
		if (!ok) {
			reply_fail_msg(rq, LT_ENOMEM, "out of memory while hashing the package; retry later");
			return;
		}
	} else {
		feed(v, v->held, v->nheld);
	}
	EVP_DigestFinal_ex(v->sha, without, &n);
	const char *given = lt_vxp_param(&v->call, "hash-file"); /* present: lt_vxp_send_check */
	if (!v->feed_failed) {
		if (lt_vxp_hash_file_matches(without, given)) {
			/* The SDK's CRLF, or no CRLF at all: stored as it is. */
		} else if (crlf && lt_vxp_hash_file_matches(with, given)) {
			store(v, v->held, 2); /* the file itself ends in CRLF */
		} else {
			lt_err_set(&err, LT_EINVAL,
				   "hash-file %.70s does not match the SHA-256 of the file received (with or without "
				   "a trailing CRLF)",
				   given ? given : "");
			reply_fail(rq, &err);
			return;
		}
	}
	commit_wait_begin(rq);
	if (lt_upload_submit(v->upload, commit_wait_done, rq) != LT_OK)
		commit_wait_cancel(rq);
	else if (commit_wait_suspend(rq))
		return;
	send_edoc_answer(rq, v);
}

/* getEdoc streams {"status":"OK",…,"data":"<base64 of the file>"} without
 * holding the file or its encoding in memory. */
struct b64_stream {
	int fd;
	int phase; /* 0 prefix, 1 data, 2 suffix, 3 done */
	size_t off;
	char out[65536 + 4];
	size_t out_len, out_off;
};

static const char b64_prefix[] = "{\"status\":\"OK\",\"ErrorCode\":\"0\",\"ErrorDesc\":\"Success\",\"data\":\"";
static const char b64_suffix[] = "\"}\n";

static ssize_t b64_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct b64_stream *s = cls;
	for (;;) {
		if (s->out_off < s->out_len) {
			size_t n = s->out_len - s->out_off < max ? s->out_len - s->out_off : max;
			memcpy(buf, s->out + s->out_off, n);
			s->out_off += n;
			return (ssize_t)n;
		}
		s->out_off = s->out_len = 0;
		if (s->phase == 0) {
			memcpy(s->out, b64_prefix, sizeof b64_prefix - 1);
			s->out_len = sizeof b64_prefix - 1;
			s->phase = 1;
		} else if (s->phase == 1) {
			unsigned char in[49152]; /* a multiple of 3: no padding mid-stream */
			size_t got = 0;
			while (got < sizeof in) {
				ssize_t r = read(s->fd, in + got, sizeof in - got);
				if (r < 0)
					return MHD_CONTENT_READER_END_WITH_ERROR;
				if (r == 0)
					break;
				got += (size_t)r;
			}
			if (got == 0)
				s->phase = 2;
			else
				s->out_len = (size_t)EVP_EncodeBlock((unsigned char *)s->out, in, (int)got);
		} else if (s->phase == 2) {
			memcpy(s->out, b64_suffix, sizeof b64_suffix - 1);
			s->out_len = sizeof b64_suffix - 1;
			s->phase = 3;
		} else {
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
	}
}

static void b64_free(void *cls)
{
	struct b64_stream *s = cls;
	close(s->fd);
	free(s);
}

static void get_edoc(struct req *rq, struct vxp_req *v, bool raw)
{
	struct lt_err err = {0};
	const char *id = lt_vxp_param(&v->call, "docId");
	int fd;
	uint64_t size;
	if (!id || !*id) {
		lt_err_set(&err, LT_EINVAL, "give docId");
		reply_fail(rq, &err);
		return;
	}
	if (lt_exchange_open_body(rq->srv->xch, &v->call.ctx.who, id, &fd, &size, &err)) {
		reply_fail(rq, &err);
		return;
	}
	if (raw) {
		rq->body_fd = fd;
		rq->body_fd_size = size;
		rq->ctype = "application/octet-stream";
		rq->status = 200;
		return;
	}
	struct b64_stream *s = calloc(1, sizeof *s);
	if (!s) {
		close(fd);
		reply_fail_msg(rq, LT_ENOMEM, "out of memory; retry later");
		return;
	}
	s->fd = fd;
	rq->stream_cb = b64_read;
	rq->stream_cls = s;
	rq->stream_free = b64_free;
	rq->stream_size = (sizeof b64_prefix - 1) + (size + 2) / 3 * 4 + (sizeof b64_suffix - 1);
	rq->ctype = "application/json; charset=utf-8";
	rq->status = 200;
}

static void run_op(struct req *rq, struct vxp_req *v)
{
	struct lt_err err = {0};
	json_t *data = NULL;
	int rc = LT_OK;
	const char *mt = lt_vxp_param(&v->call, "messagetype");
	switch (v->op) {
	case OP_AGENCIES:
	case OP_AGENCIES_QD20:
	case OP_SYNC:
		rc = lt_vxp_agencies(rq->srv->reg,
				     v->op == OP_AGENCIES ? LT_VXP_AGENCIES
				     : v->op == OP_SYNC   ? LT_VXP_SYNCHRONIZE
							  : LT_VXP_AGENCIES_QD20,
				     &data, &err);
		break;
	case OP_REGISTER: {
		json_error_t je;
		json_t *body = v->len ? json_loadb(v->body, v->len, 0, &je) : NULL;
		if (!json_is_object(body))
			rc = lt_err_set(&err, LT_EINVAL,
					"registerAgency takes a JSON object {code, pcode, name, mail}");
		else {
			rc = lt_vxp_register_agency(rq->srv->reg, &v->call, body, rq->srv->cfg.vxp_agency_ops, &err);
		}
		json_decref(body);
		break;
	}
	case OP_DELETE:
		rc = lt_vxp_delete_agency(rq->srv->reg, &v->call, rq->srv->cfg.vxp_agency_ops, &err);
		break;
	case OP_RECEIVED:
	case OP_COUNT_EDOC:
	case OP_COUNT_STATUS:
		rc = lt_vxp_received(rq->srv->xch, &v->call,
				     v->op == OP_COUNT_EDOC     ? "edoc"
				     : v->op == OP_COUNT_STATUS ? "status"
								: mt,
				     &data, &err);
		if (rc == LT_OK && v->op != OP_RECEIVED) {
			size_t n = json_array_size(data);
			json_decref(data);
			reply_ok(rq, "count", json_integer((json_int_t)n));
			return;
		}
		break;
	case OP_SENT:
		rc = lt_vxp_sent(rq->srv->xch, &v->call, mt, (int)rq->srv->cfg.vxp_sent_days,
				 (int)rq->srv->cfg.vxp_sent_max, &data, &err);
		break;
	case OP_UPDATE_STATUS:
		/* Run twice when the commit is waited for, as sendEdoc. */
		if (!commit_wait_started(rq)) {
			commit_wait_begin(rq);
			rc = lt_vxp_update_status_submit(rq->srv->xch, &v->call, commit_wait_done, rq, &v->ack, &err);
			if (rc) {
				commit_wait_cancel(rq);
				break;
			}
			if (commit_wait_suspend(rq))
				return;
		}
		rc = lt_vxp_update_status_result(v->ack, &err);
		v->ack = NULL;
		break;
	case OP_GET_EDOC:
	case OP_DOWNLOAD:
		get_edoc(rq, v, v->op == OP_DOWNLOAD);
		return;
	case OP_SEND:
	case OP_COUNT:
		break;
	}
	if (rc)
		reply_fail(rq, &err);
	else
		reply_ok(rq, data ? "data" : NULL, data);
}

void h_vxp(struct req *rq)
{
	struct vxp_req *v = rq->ctx;
	if (v->op == OP_SEND) {
		send_edoc(rq, v);
		return;
	}
	if (v->too_big) {
		struct lt_err err = {0};
		lt_err_set(&err, LT_ETOOBIG, "%s takes a body of at most %d bytes", op_names[v->op], SMALL_BODY);
		reply_fail(rq, &err);
		return;
	}
	run_op(rq, v);
}

/* GET is what downloadEdoc uses; the SDK sends its other calls as POST. */
void h_vxp_get(struct req *rq)
{
	enum op op;
	if (!find_op(rq, &op))
		return;
	struct vxp_req *v = calloc(1, sizeof *v);
	if (!v) {
		reply_fail_msg(rq, LT_ENOMEM, "out of memory; retry later");
		return;
	}
	v->op = op;
	rq->ctx = v;
	rq->ctx_free = vxp_req_free;
	if (!authenticate(rq, &v->call, op))
		return;
	if (op == OP_SEND) {
		struct lt_err err = {0};
		lt_err_set(&err, LT_EINVAL, "sendEdoc is a POST");
		reply_fail(rq, &err);
		return;
	}
	run_op(rq, v);
}
