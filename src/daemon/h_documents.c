/* The exchange routes: send (streamed), fetch, acknowledge, trace, inbox and
 * statistics, each translated into one call of the exchange module. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

static void upload_free(void *u) { lt_upload_abort(u); }

bool h_document_send_begin(struct req *rq)
{
	struct lt_upload *u;
	struct lt_err err = {0};
	if (lt_upload_begin(rq->srv->xch, &rq->call, &u, &err)) {
		reply_err(rq, &err);
		return false;
	}
	rq->ctx = u;
	rq->ctx_free = upload_free;
	return true;
}

void h_document_send_data(struct req *rq, const char *data, size_t len)
{
	/* A failure is remembered by the upload and answered at the end; the
	 * rest of the body is read and dropped so the client gets the reply. */
	lt_upload_feed(rq->ctx, data, len, NULL);
}

/* Runs twice when the commit is waited for: once to submit, and again,
 * resumed, to answer. */
void h_document_send(struct req *rq)
{
	struct lt_upload *u = rq->ctx;
	if (!commit_wait_started(rq)) {
		commit_wait_begin(rq);
		if (lt_upload_submit(u, commit_wait_done, rq) != LT_OK)
			commit_wait_cancel(rq);
		else if (commit_wait_suspend(rq))
			return;
	}
	rq->ctx = NULL;
	rq->ctx_free = NULL;
	json_t *reply = NULL;
	bool replayed = false;
	struct lt_err err = {0};
	if (lt_upload_result(u, &reply, &replayed, &err)) {
		reply_err(rq, &err);
		return;
	}
	snprintf(rq->location, sizeof rq->location, "/v1/documents/%s",
		 json_string_value(json_object_get(reply, "id")));
	reply_json(rq, 201, reply);
}

/* A hub id is 32 lower-case hex characters; anything else is refused before
 * it reaches a file name. */
static bool doc_id(struct req *rq, const char **id)
{
	const char *p = rq->params[0];
	if (strlen(p) != 32 || strspn(p, "0123456789abcdef") != 32) {
		reply_error(rq, LT_EINVAL, "'%.40s' is not a document id (32 hex characters)", p);
		return false;
	}
	*id = p;
	return true;
}

void h_document_get(struct req *rq)
{
	const char *id;
	if (!doc_id(rq, &id))
		return;
	struct lt_err err = {0};
	int fd;
	uint64_t size;
	if (lt_exchange_open_body(rq->srv->xch, &rq->call.who, id, &fd, &size, &err)) {
		reply_err(rq, &err);
		return;
	}
	char tag[48];
	snprintf(tag, sizeof tag, "\"%s\"", id); /* a package never changes */
	if (reply_etag(rq, tag)) {
		close(fd);
		return;
	}
	rq->body_fd = fd;
	rq->body_fd_size = size;
	rq->ctype = "application/xml";
	rq->status = 200;
}

static void ack_free(void *a) { lt_exchange_ack_free(a); }

/* Runs twice when the commit is waited for, as h_document_send. */
void h_document_ack(struct req *rq)
{
	static const char *const spec[] = {"state:s!", NULL};
	if (!commit_wait_started(rq)) {
		const char *id;
		if (!doc_id(rq, &id))
			return;
		json_t *o = req_json_object(rq);
		if (!o)
			return;
		if (!req_fields(rq, o, spec, NULL)) {
			json_decref(o);
			return;
		}
		struct lt_ack *a = NULL;
		struct lt_err err = {0};
		commit_wait_begin(rq);
		int rc = lt_exchange_ack_submit(rq->srv->xch, &rq->call, id,
						json_string_value(json_object_get(o, "state")), commit_wait_done, rq,
						&a, &err);
		json_decref(o);
		if (rc) {
			commit_wait_cancel(rq);
			reply_err(rq, &err);
			return;
		}
		rq->ctx = a;
		rq->ctx_free = ack_free;
		if (commit_wait_suspend(rq))
			return;
	}
	struct lt_ack *a = rq->ctx;
	rq->ctx = NULL;
	rq->ctx_free = NULL;
	json_t *out = NULL;
	struct lt_err err = {0};
	if (lt_exchange_ack_result(a, &out, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, out);
}

void h_document_trace(struct req *rq)
{
	const char *id;
	if (!doc_id(rq, &id))
		return;
	json_t *out = NULL;
	struct lt_err err = {0};
	if (lt_exchange_trace(rq->srv->xch, &rq->call.who, id, &out, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, out);
}

/* With wait=S (1..60) an empty inbox is not answered at once: the request
 * is suspended (longpoll.c) until a delivery for the caller's system
 * commits or S seconds pass, then read again. */
void h_inbox(struct req *rq)
{
	long long after, limit, wait;
	if (!req_query_int(rq, "after", 0, INT64_MAX, 0, &after) || !req_query_int(rq, "limit", 1, 500, 100, &limit) ||
	    !req_query_int(rq, "wait", 0, INBOX_MAX_WAIT, 0, &wait))
		return;
	const char *kind = req_query(rq, "kind");
	struct lt_inbox_query q = {kind && *kind ? kind : NULL, after, (int)limit};
	const char *cursor = req_query(rq, "cursor");
	if (cursor && *cursor) {
		long long c;
		if (!lt_text_int(cursor, 0, INT64_MAX, &c)) {
			reply_error(rq, LT_EINVAL, "cursor must be the next_cursor of the previous page");
			return;
		}
		q.after = c;
	}
	struct longpoll *lp = rq->srv->longpoll;
	if (wait > 0 && !rq->wait_deadline_ns)
		rq->wait_deadline_ns = now_ns() + wait * INT64_C(1000000000);
	for (;;) {
		uint64_t epoch = longpoll_epoch(lp);
		json_t *out = NULL;
		struct lt_err err = {0};
		if (lt_exchange_inbox(rq->srv->xch, &rq->call.who, &q, &out, &err)) {
			reply_err(rq, &err);
			return;
		}
		bool empty = json_array_size(json_object_get(out, "items")) == 0;
		if (!empty || !wait || rq->call.who.system_id <= 0 || now_ns() >= rq->wait_deadline_ns ||
		    longpoll_stopping(lp)) {
			reply_json(rq, 200, out);
			return;
		}
		if (longpoll_park(lp, rq, rq->call.who.system_id, rq->wait_deadline_ns, epoch)) {
			json_decref(out);
			return;
		}
		if (longpoll_epoch(lp) == epoch && !longpoll_stopping(lp)) {
			reply_json(rq, 200, out); /* could not be suspended: no memory */
			return;
		}
		json_decref(out);
	}
}

void h_stats_exchange(struct req *rq)
{
	char from[LT_DATE_BUFSZ], to[LT_DATE_BUFSZ];
	if (!req_query_date(rq, "from", from) || !req_query_date(rq, "to", to))
		return;
	json_t *out = NULL;
	struct lt_err err = {0};
	if (lt_exchange_stats(rq->srv->xch, &rq->call.who, from, to, req_query(rq, "by"), &out, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, out);
}
