/* /v1/organizations: organisations outside the state tree (enterprises,
 * cooperatives, their dependent units), held as references. */
#include <string.h>

#include "lienthong/organizations.h"
#include "server.h"

void h_orgs_add(struct req *rq)
{
	static const char *const spec[] = {"code:s!", "name:s!",   "kind:s",   "address:s", "email:s",
					   "phone:s", "website:s", "source:s", "status:s",  NULL};
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	struct lt_org in = {0}, out;
	if (!req_fields(rq, o, spec, NULL) || !json_field_copy(rq, o, "code", in.code, sizeof in.code, NULL) ||
	    !json_field_copy(rq, o, "name", in.name, sizeof in.name, NULL) ||
	    !json_field_copy(rq, o, "kind", in.kind, sizeof in.kind, NULL) ||
	    !json_field_copy(rq, o, "address", in.address, sizeof in.address, NULL) ||
	    !json_field_copy(rq, o, "email", in.email, sizeof in.email, NULL) ||
	    !json_field_copy(rq, o, "phone", in.phone, sizeof in.phone, NULL) ||
	    !json_field_copy(rq, o, "website", in.website, sizeof in.website, NULL) ||
	    !json_field_copy(rq, o, "source", in.source, sizeof in.source, NULL) ||
	    !json_field_copy(rq, o, "status", in.status, sizeof in.status, NULL))
		goto out;
	struct lt_err err = {0};
	if (lt_org_add(rq->srv->store, &rq->call, &in, &out, &err)) {
		reply_err(rq, &err);
		goto out;
	}
	snprintf(rq->location, sizeof rq->location, "/v1/organizations/%s", out.code);
	reply_json(rq, 201, lt_org_to_json(&out));
out:
	json_decref(o);
}

void h_orgs_search(struct req *rq)
{
	long long limit;
	if (!auth_read(rq) || !req_query_int(rq, "limit", 1, 500, 50, &limit))
		return;
	json_t *items = NULL;
	struct lt_err err = {0};
	if (lt_org_search(rq->srv->store, req_query(rq, "q"), (int)limit, &items, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

void h_org_get(struct req *rq)
{
	if (!auth_read(rq))
		return;
	struct lt_org o;
	struct lt_err err = {0};
	if (lt_org_get(rq->srv->store, rq->params[0], &o, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, lt_org_to_json(&o));
}
