/* Transition campaigns (campaigns.h): opening and reading one, its probe
 * runs, and the uses of closed codes. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/campaigns.h"
#include "server.h"

static bool campaign_id(struct req *rq, int64_t *id)
{
	char *end;
	long long v = strtoll(rq->params[0], &end, 10);
	if (*end || v <= 0) {
		reply_error(rq, LT_ENOTFOUND, "no campaign %.40s: campaign ids are positive integers", rq->params[0]);
		return false;
	}
	*id = v;
	return true;
}

static void reply_result(struct req *rq, int status, int rc, json_t *out, const struct lt_err *err)
{
	if (rc)
		reply_err(rq, err);
	else
		reply_json(rq, status, out);
}

void h_transitions_open(struct req *rq)
{
	static const char *const spec[] = {"name:s!", "plan:i", "since:s", "under:s", NULL};
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	if (req_fields(rq, o, spec, NULL)) {
		json_int_t plan = json_integer_value(json_object_get(o, "plan"));
		if (json_object_get(o, "plan") && plan <= 0) {
			reply_error_field(rq, LT_EINVAL, "plan",
					  "plan is the id of a plan (GET /v1/plans), a positive number");
			json_decref(o);
			return;
		}
		struct lt_campaign_spec cs = {json_string_value(json_object_get(o, "name")), (int64_t)plan,
					      json_string_value(json_object_get(o, "since")),
					      json_string_value(json_object_get(o, "under"))};
		struct lt_err err = {0};
		json_t *out = NULL;
		int rc = lt_campaign_open(rq->srv->reg, rq->srv->xch, &rq->call, &cs, &out, &err);
		if (rc == LT_OK)
			snprintf(rq->location, sizeof rq->location, "/v1/transitions/%lld",
				 (long long)json_integer_value(json_object_get(out, "id")));
		reply_result(rq, 201, rc, out, &err);
	}
	json_decref(o);
}

void h_transitions_list(struct req *rq)
{
	struct lt_err err = {0};
	json_t *out = NULL;
	int rc = lt_campaign_list(rq->srv->reg, &rq->call.who, &out, &err);
	reply_result(rq, 200, rc, out, &err);
}

void h_transition_get(struct req *rq)
{
	int64_t id;
	if (!campaign_id(rq, &id))
		return;
	const char *format = req_query(rq, "format");
	if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		reply_error_field(rq, LT_EINVAL, "format", "format must be json or csv, not '%.20s'", format);
		return;
	}
	struct lt_err err = {0};
	json_t *out = NULL;
	int rc = lt_campaign_get(rq->srv->reg, rq->srv->xch, &rq->call.who, id, &out, &err);
	if (rc || !format || strcmp(format, "csv") != 0) {
		reply_result(rq, 200, rc, out, &err);
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		json_decref(out);
		reply_error(rq, LT_ENOMEM, "out of memory");
		return;
	}
	rc = lt_campaign_csv(out, f, &err);
	json_decref(out);
	if (fclose(f) != 0 && rc == LT_OK)
		rc = lt_err_set(&err, LT_ENOMEM, "out of memory");
	if (rc) {
		free(buf);
		reply_err(rq, &err);
		return;
	}
	reply_raw(rq, 200, "text/csv; charset=utf-8", buf, len);
}

void h_transition_probe(struct req *rq)
{
	int64_t id;
	if (!campaign_id(rq, &id))
		return;
	struct lt_err err = {0};
	json_t *out = NULL;
	int rc = lt_campaign_probe(rq->srv->reg, rq->srv->xch, &rq->call, id, &out, &err);
	reply_result(rq, 201, rc, out, &err);
}

void h_transition_probe_report(struct req *rq)
{
	int64_t id;
	if (!campaign_id(rq, &id))
		return;
	struct lt_err err = {0};
	json_t *out = NULL;
	int rc = lt_campaign_probe_report(rq->srv->reg, rq->srv->xch, &rq->call.who, id, &out, &err);
	reply_result(rq, 200, rc, out, &err);
}

void h_transition_stale(struct req *rq)
{
	char since[LT_DATE_BUFSZ];
	if (!req_query_date(rq, "since", since))
		return;
	struct lt_err err = {0};
	json_t *out = NULL;
	int rc = lt_transition_stale(rq->srv->reg, &rq->call.who, since, &out, &err);
	reply_result(rq, 200, rc, out, &err);
}
