/* Receiving: inboxes, the package bytes, transport acknowledgements, and
 * the reply of a send rebuilt from the stored rows. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exchange_impl.h"

static int reply_recipient(void *vctx, const struct lt_xdelivery *d)
{
	struct lt__list *c = vctx;
	/* The state a send announced: the transport states after it read as
	 * pending, so a replay gets the first reply even after
	 * acknowledgements; refused, merged and a wait for a system (or its
	 * end) are said as they are. */
	enum lt_delivery_state s = LT_DELIVERY_PENDING;
	bool transport = lt_delivery_state_parse(d->state, &s, NULL) == LT_OK && lt_delivery_ack_state(s);
	return lt__list_append(c,
			       lt__xpack(c->err, "the reply's recipient list", "{s:s,s:s?,s:o,s:s,s:s?}", "code",
					 d->addressed, "routed_to", d->routed_to[0] ? d->routed_to : NULL, "system",
					 d->system_id ? json_integer(d->system_id) : json_null(), "state",
					 transport ? "pending" : d->state, "reason", d->reason[0] ? d->reason : NULL));
}

static int send_reply(const struct lt_xdoc *d, json_t *items, json_t **out, struct lt_err *err)
{
	*out = lt__xpack(err, "the reply to a send", "{s:s,s:s,s:s?,s:s,s:o}", "id", d->id, "kind", d->kind,
			 "document_id", d->document_id[0] ? d->document_id : NULL, "sha256", d->sha256, "recipients",
			 items);
	return *out ? LT_OK : lt__xfail(err);
}

int lt__send_reply(struct lt_exchange *x, const char *id, json_t **out, struct lt_err *err)
{
	struct lt_xdoc d;
	int rc = lt_store_xdoc_get(x->store, id, &d, err);
	if (rc)
		return rc;
	struct lt__list c = {json_array(), err};
	if (!c.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	if ((rc = lt_store_xdeliveries(x->store, id, reply_recipient, &c, err))) {
		json_decref(c.items);
		return rc;
	}
	return send_reply(&d, c.items, out, err);
}

int lt__send_reply_rows(const struct lt_xdoc *d, const struct lt_xdelivery *rows, size_t n, json_t **out,
			struct lt_err *err)
{
	struct lt__list c = {json_array(), err};
	if (!c.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int rc = reply_recipient(&c, &rows[i]);
		if (rc) {
			json_decref(c.items);
			return rc;
		}
	}
	return send_reply(d, c.items, out, err);
}

static int inbox_item(void *vctx, const struct lt_xdelivery *dl, const struct lt_xdoc *d)
{
	struct lt__list *c = vctx;
	char what[80];
	snprintf(what, sizeof what, "the inbox item of document %s", d->id);
	return lt__list_append(
		c, lt__xpack(c->err, what, "{s:I,s:s,s:s,s:s?,s:s,s:s,s:s,s:s?,s:I,s:s,s:s,s:s,s:s*,s:s*,s:s*}",
			     "delivery", (json_int_t)dl->id, "id", d->id, "kind", d->kind, "document_id",
			     d->document_id[0] ? d->document_id : NULL, "from", d->from_code, "to", dl->addressed,
			     "routed_to", dl->routed_to, "subject", d->subject[0] ? d->subject : NULL, "size",
			     (json_int_t)d->size, "sha256", d->sha256, "received", d->received, "state", dl->state,
			     "status_code", d->status_code[0] ? d->status_code : NULL, "refers_to",
			     d->refers_to[0] ? d->refers_to : NULL, "reason", dl->reason[0] ? dl->reason : NULL));
}

int lt_exchange_inbox(struct lt_exchange *x, const struct lt_principal *who, const struct lt_inbox_query *q,
		      json_t **out, struct lt_err *err)
{
	int denied = lt_access_as_system(who, "an inbox belongs to a connected system: use its bearer token", err);
	if (denied)
		return denied;
	if (q->kind && strcmp(q->kind, "edoc") != 0 && strcmp(q->kind, "status") != 0)
		return lt_err_set(err, LT_EINVAL, "kind must be edoc or status");
	int limit = q->limit > 0 && q->limit <= 500 ? q->limit : 100;
	struct lt__list c = {json_array(), err};
	if (!c.items)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int rc = lt_store_xinbox(x->store, who->system_id, q->kind, q->after, limit, inbox_item, &c, err);
	if (rc) {
		json_decref(c.items);
		return rc;
	}
	size_t n = json_array_size(c.items);
	json_t *next = n == (size_t)limit ? json_copy(json_object_get(json_array_get(c.items, n - 1), "delivery"))
					  : json_null();
	*out = lt__xpack(err, "the inbox", "{s:o,s:o}", "items", c.items, "next_cursor", next);
	return *out ? LT_OK : lt__xfail(err);
}

/* The codes of a document's parties, for a manager's scope. */
static int party_of(void *vctx, const struct lt_xdelivery *d)
{
	struct lt_codelist *codes = vctx;
	const char *cs[] = {d->addressed, d->routed_to};
	for (int i = 0; i < 2; i++)
		if (cs[i][0] && !lt_codelist_has(codes, cs[i]) && lt_codelist_add(codes, cs[i]))
			return LT_ENOMEM;
	return LT_OK;
}

int lt__read_doc(struct lt_exchange *x, const struct lt_principal *who, const char *id, bool body, struct lt_xdoc *d,
		 struct lt_err *err)
{
	/* A system, the usual reader, is judged from one read: the document
	 * and whether it has a delivery of it. */
	bool system = who->role == LT_ROLE_SYSTEM, receives = false;
	int rc = system ? lt_store_xdoc_for(x->store, id, who->system_id, d, &receives, err)
			: lt_store_xdoc_get(x->store, id, d, err);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(err, LT_ENOTFOUND, "no document with id %s", id);
	if (rc)
		return rc;
	struct lt_codelist codes = {0};
	/* A manager looks over the parties' codes, read from the deliveries. */
	if (who->role == LT_ROLE_MANAGER) {
		if (lt_codelist_add(&codes, d->from_code))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
		if (rc == LT_OK && (rc = lt_store_xdeliveries(x->store, d->id, party_of, &codes, err)) == LT_ENOMEM)
			lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	bool party = system && (receives || d->system_id == who->system_id);
	if (rc == LT_OK && (rc = lt_access_document(who, party, &codes, body, err)))
		lt_err_prefix(err, "document %s: ", d->id);
	lt_codelist_free(&codes);
	return rc;
}

int lt_exchange_open_body(struct lt_exchange *x, const struct lt_principal *who, const char *id, int *fd,
			  uint64_t *size, struct lt_err *err)
{
	struct lt_xdoc d;
	int rc = lt__read_doc(x, who, id, true, &d, err);
	if (rc)
		return rc;
	if (d.body_removed)
		return lt_err_set(err, LT_ENOTFOUND,
				  "the body of document %s was removed after the retention period; its trace remains",
				  id);
	char path[PATH_MAX];
	lt__xpath_body(x, id, path);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (*fd < 0 || fstat(*fd, &sb) != 0) {
		if (*fd >= 0)
			close(*fd);
		return lt_err_set(err, LT_EIO, "the body of document %s cannot be read", id);
	}
	*size = (uint64_t)sb.st_size;
	lt__note_fetch(x, who, &d);
	return LT_OK;
}

struct ack_ctx {
	int64_t system_id;
	int mine_n, done; /* the caller's live deliveries, and how many are done */
};

static int count_done(void *vctx, const struct lt_xdelivery *d)
{
	struct ack_ctx *c = vctx;
	if (d->system_id != c->system_id)
		return LT_OK;
	c->mine_n++;
	c->done += lt__dl_is(d, LT_DELIVERY_DONE);
	return LT_OK;
}

int lt__apply_ack(struct lt_exchange *x, struct lt__job *j)
{
	int rc = lt_store_xack(x->store, j->ack_doc, j->ack_system, j->ack_state, j->ack_at, &j->ack_n, &j->err);
	if (rc)
		return rc;
	if (j->ack_n == 0) {
		/* Nothing was written; which refusal depends on whether the
		 * document exists (looked up only now: it is the rare case). */
		struct lt_xdoc d;
		struct lt_err e = {0};
		rc = lt_store_xdoc_get(x->store, j->ack_doc, &d, &e);
		if (rc == LT_OK)
			j->rc = lt_err_set(&j->err, LT_EFORBIDDEN, "document %s was not delivered to this system",
					   j->ack_doc);
		else if (rc == LT_ENOTFOUND)
			j->rc = lt_err_set(&j->err, LT_ENOTFOUND, "no document with id %s", j->ack_doc);
		else
			return lt_err_set(&j->err, rc, "%s", e.msg);
		return LT_OK;
	}
	/* done is final (the store leaves done deliveries alone): a later
	 * processing or fail is answered with the state they are still in,
	 * read in the same transaction as the update. */
	if (j->ack_to == LT_DELIVERY_DONE)
		return LT_OK;
	struct ack_ctx ac = {j->ack_system, 0, 0};
	rc = lt_store_xdeliveries(x->store, j->ack_doc, count_done, &ac, &j->err);
	j->ack_mine = ac.mine_n;
	j->ack_done = ac.done;
	return rc;
}

struct lt_ack {
	struct lt__job job;
	char id[LT_DOC_ID_BUFSZ];
	char state[16];
};

int lt_exchange_ack_submit(struct lt_exchange *x, const struct lt_ctx *ctx, const char *id, const char *state,
			   void (*done)(void *arg), void *arg, struct lt_ack **out, struct lt_err *err)
{
	*out = NULL;
	const struct lt_principal *who = &ctx->who;
	enum lt_delivery_state to;
	if (lt_delivery_state_parse(state, &to, NULL) != LT_OK || !lt_delivery_ack_state(to))
		return lt_err_set(err, LT_EINVAL, "state must be done, fail or processing");
	int denied = lt_access_as_system(who, "only a receiving system acknowledges a document", err);
	if (denied)
		return denied;
	struct lt_ack *a = calloc(1, sizeof *a);
	if (!a)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	lt_text_format(a->id, sizeof a->id, "%s", id);
	lt_text_format(a->state, sizeof a->state, "%s", state);
	/* Written by the group commit, in one transaction with the sends and
	 * acknowledgements that other threads queued meanwhile: one fsync for
	 * all of them, and the reply only once it returned. */
	struct lt__job *job = &a->job;
	job->kind = LT__JOB_ACK;
	job->ack_doc = a->id;
	job->ack_state = a->state;
	job->ack_to = to;
	job->ack_system = who->system_id;
	lt_time_now(job->ack_at);
	*out = a;
	if (!done) {
		lt__commit_job(x, job);
		return LT_OK;
	}
	job->on_done = done;
	job->on_done_arg = arg;
	lt__commit_job_async(x, job);
	return LT_OK;
}

int lt_exchange_ack_result(struct lt_ack *a, json_t **out, struct lt_err *err)
{
	struct lt__job *job = &a->job;
	int rc = job->rc;
	if (rc) {
		if (err)
			*err = job->err;
	} else {
		bool final = job->ack_mine > 0 && job->ack_done == job->ack_mine;
		*out = lt__xpack(err, "the reply to an acknowledgement", "{s:s,s:s,s:i}", "id", a->id, "state",
				 final ? "done" : a->state, "deliveries", job->ack_n);
		rc = *out ? LT_OK : lt__xfail(err);
	}
	free(a);
	return rc;
}

void lt_exchange_ack_free(struct lt_ack *a) { free(a); }

int lt_exchange_ack(struct lt_exchange *x, const struct lt_ctx *ctx, const char *id, const char *state, json_t **out,
		    struct lt_err *err)
{
	struct lt_ack *a;
	int rc = lt_exchange_ack_submit(x, ctx, id, state, NULL, NULL, &a, err);
	return rc ? rc : lt_exchange_ack_result(a, out, err);
}
