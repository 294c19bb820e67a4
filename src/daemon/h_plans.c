/* POST /v1/plans, GET /v1/plans[/{id}]: a plan (one decision, many steps)
 * handed to lt_plan_apply whole; a refusal answers with every refusal the
 * engine listed. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/transition.h"
#include "server.h"

void h_plans_apply(struct req *rq)
{
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	const char *q = req_query(rq, "dry_run");
	if (q && strcmp(q, "true") != 0 && strcmp(q, "false") != 0 && strcmp(q, "1") != 0 && strcmp(q, "0") != 0) {
		reply_error(rq, LT_EINVAL, "dry_run must be true or false, not '%.20s'", q);
		json_decref(o);
		return;
	}
	bool dry_run = q && (strcmp(q, "true") == 0 || strcmp(q, "1") == 0);
	json_t *res = NULL, *refusals = NULL;
	struct lt_err err = {0};
	int rc = lt_plan_apply(rq->srv->reg, &rq->call, o, dry_run, &res, &refusals, &err);
	json_decref(o);
	if (rc == LT_OK) {
		if (!dry_run) {
			snprintf(rq->location, sizeof rq->location, "/v1/plans/%lld",
				 (long long)json_integer_value(json_object_get(res, "id")));
		}
		reply_json(rq, dry_run ? 200 : 201, res);
		return;
	}
	reply_err(rq, &err);
	if (refusals && rq->json)
		json_object_set_new(json_object_get(rq->json, "error"), "refusals", refusals);
	else
		json_decref(refusals);
}

void h_plans_list(struct req *rq)
{
	if (!auth_read(rq))
		return;
	json_t *items = NULL;
	struct lt_err err = {0};
	if (lt_plan_list(rq->srv->reg, &items, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

void h_plan_get(struct req *rq)
{
	if (!auth_read(rq))
		return;
	long long id;
	if (!lt_text_int(rq->params[0], 1, INT64_MAX, &id) || rq->params[0][0] == '0') {
		reply_error(rq, LT_EINVAL, "'%.40s' is not a plan id (a positive number)", rq->params[0]);
		return;
	}
	json_t *out = NULL;
	struct lt_err err = {0};
	if (lt_plan_get(rq->srv->reg, id, &out, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, out);
}
