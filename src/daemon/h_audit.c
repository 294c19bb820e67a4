/* GET /v1/audit: the audit trail of acts on connected systems, tokens and certificates,
 * oldest first, read by an admin (the library decides). */
#include <stdlib.h>
#include <string.h>

#include "server.h"

struct ctx {
	json_t *items;
	int64_t last;
};

static int one(void *vctx, const struct lt_audit *a)
{
	struct ctx *c = vctx;
	json_t *d = json_loads(a->detail, 0, NULL);
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)a->id, "at", a->at, "who", a->who,
			      "role", a->role, "action", a->action, "target", a->target, "detail",
			      json_is_object(d) ? d : json_object());
	if (d && !json_is_object(d))
		json_decref(d);
	c->last = a->id;
	return o && json_array_append_new(c->items, o) == 0 ? 0 : LT_ENOMEM;
}

void h_audit(struct req *rq)
{
	long long after, limit;
	if (!req_query_int(rq, "after", 0, INT64_MAX, 0, &after) || !req_query_int(rq, "limit", 1, 1000, 100, &limit))
		return;
	const char *target = req_query(rq, "target");
	struct ctx c = {json_array(), 0};
	struct lt_err err = {0};
	int rc = lt_audit_list(rq->srv->store, &rq->call.who, target, after, (int)limit, one, &c, &err);
	if (rc) {
		json_decref(c.items);
		if (rc == LT_ENOMEM && !err.msg[0])
			lt_err_set(&err, LT_ENOMEM, "out of memory");
		reply_err(rq, &err);
		return;
	}
	bool full = json_array_size(c.items) == (size_t)limit;
	/* A full page may have more after it; a short one is the end. */
	reply_json(rq, 200,
		   json_pack("{s:o,s:o}", "items", c.items, "next_cursor",
			     full ? json_integer((json_int_t)c.last) : json_null()));
}
