/* Operational routes: health, metrics, the API description, the caller's
 * identity, and the front page. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/version.h"
#include "catalogue_sync.h"
#include "server.h"

extern const char lt_openapi_json[];
extern const size_t lt_openapi_json_len;

json_t *unit_json(struct req *rq, const struct lt_unit *u, const char *as_of)
{
	struct lt_codelist succ = {0}, pred = {0};
	struct lt_err err = {0};
	if (lt_registry_lineage_asof(rq->srv->reg, u->code, as_of, &succ, &pred, &err)) {
		lt_codelist_free(&succ);
		lt_codelist_free(&pred);
		reply_err(rq, &err);
		return NULL;
	}
	json_t *o = lt_unit_to_json(u, &succ, &pred);
	lt_codelist_free(&succ);
	lt_codelist_free(&pred);
	return o;
}

void h_healthz(struct req *rq)
{
	struct lt_err err = {0};
	if (atomic_load(&rq->srv->stopping)) {
		reply_error(rq, LT_ENOTREADY, "shutting down");
		return;
	}
	int64_t last = 0;
	if (lt_registry_health(rq->srv->reg, &last, &err)) {
		reply_error(rq, LT_ENOTREADY, "the store does not answer: %s", err.msg);
		return;
	}
	json_t *o =
		json_pack("{s:s,s:s,s:I}", "status", "ok", "version", LIENTHONG_VERSION, "last_seq", (json_int_t)last);
	/* The mirror and the publication upstream, when configured: a stale or
	 * refused mirror still serves its last good copy, so the hub is up. */
	json_t *cat = catalogue_health(rq->srv);
	if (cat)
		json_object_update(o, cat);
	json_decref(cat);
	reply_json(rq, 200, o);
}

void h_metrics(struct req *rq)
{
	size_t n = 0;
	struct lt_err err = {0};
	char *text = metrics_render(rq->srv->metrics, rq->srv, &n, &err);
	if (!text) {
		reply_err(rq, &err);
		return;
	}
	reply_raw(rq, 200, "text/plain; version=0.0.4; charset=utf-8", text, n);
}

void h_openapi(struct req *rq)
{
	char *copy = malloc(lt_openapi_json_len);
	if (!copy) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		return;
	}
	memcpy(copy, lt_openapi_json, lt_openapi_json_len);
	reply_raw(rq, 200, "application/json; charset=utf-8", copy, lt_openapi_json_len);
}

void h_me(struct req *rq)
{
	json_t *o = NULL;
	struct lt_err err = {0};
	if (lt_principal_json(rq->srv->store, &rq->call.who, &o, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, o);
}
