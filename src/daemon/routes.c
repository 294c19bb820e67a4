/* The route table: every path the daemon answers, with the body it takes.
 * /openapi.json describes the same list; a test keeps the two in step. */
#include <string.h>

#include "server.h"

const struct route lt_routes[] = {
	{"GET", "/healthz", h_healthz, BODY_NONE, "health: ready when the store answers", NULL, NULL},
	{"GET", "/metrics", h_metrics, BODY_NONE, "Prometheus metrics", NULL, NULL},
	{"GET", "/openapi.json", h_openapi, BODY_NONE, "this API's description", NULL, NULL},
	{"GET", "/", h_root, BODY_NONE, "the web interface", NULL, NULL},
	{"GET", "/search", h_root, BODY_NONE, "web interface: search", NULL, NULL},
	{"GET", "/tree", h_root, BODY_NONE, "web interface: the tree of units", NULL, NULL},
	{"GET", "/units/{code}", h_root, BODY_NONE, "web interface: a unit", NULL, NULL},
	{"GET", "/documents/{id}", h_root, BODY_NONE, "web interface: a document's trace", NULL, NULL},
	{"GET", "/stats", h_root, BODY_NONE, "web interface: exchange statistics", NULL, NULL},
	{"GET", "/compliance", h_root, BODY_NONE, "web interface: compliance", NULL, NULL},
	{"GET", "/manage", h_root, BODY_NONE, "web interface: management", NULL, NULL},
	{"GET", "/operations", h_root, BODY_NONE, "web interface: documents for operators", NULL, NULL},
	{"GET", "/admin", h_root, BODY_NONE, "web interface: administration", NULL, NULL},
	{"GET", "/requests", h_root, BODY_NONE, "web interface: change requests", NULL, NULL},
	{"GET", "/requests/{id}", h_root, BODY_NONE, "web interface: one change request", NULL, NULL},
	{"GET", "/transitions", h_root, BODY_NONE, "web interface: transition campaigns", NULL, NULL},
	{"GET", "/transitions/{id}", h_root, BODY_NONE, "web interface: one transition campaign", NULL, NULL},
	{"GET", "/assets/{file}", h_web_asset, BODY_NONE, "web interface files", NULL, NULL},
	{"GET", "/vendor/{file}", h_web_asset, BODY_NONE, "web interface libraries from npm", NULL, NULL},
	{"GET", "/v1/me", h_me, BODY_NONE, "who the bearer token belongs to", NULL, NULL},
	{"GET", "/v1/units", h_unit_search, BODY_NONE, "search units", NULL, NULL},
	{"POST", "/v1/units", h_unit_issue, BODY_JSON, "issue a child unit", NULL, NULL},
	{"GET", "/v1/units/{code}", h_unit_get, BODY_NONE, "one unit", NULL, NULL},
	{"PATCH", "/v1/units/{code}", h_unit_patch, BODY_JSON, "update contact data or rename", NULL, NULL},
	{"GET", "/v1/units/{code}/children", h_unit_children, BODY_NONE, "direct children", NULL, NULL},
	{"GET", "/v1/units/{code}/history", h_unit_history, BODY_NONE, "events, oldest first", NULL, NULL},
	{"GET", "/v1/units/{code}/resolve", h_unit_resolve, BODY_NONE, "the active units a code leads to", NULL, NULL},
	{"GET", "/v1/units/{code}/certificates", h_certs_list, BODY_NONE, "signing certificates bound to a code", NULL,
	 NULL},
	{"POST", "/v1/units/{code}/certificates", h_certs_add, BODY_JSON, "bind a signing certificate (PEM)", NULL,
	 NULL},
	{"DELETE", "/v1/units/{code}/certificates/{id}", h_certs_revoke, BODY_NONE, "revoke a signing certificate",
	 NULL, NULL},
	{"POST", "/v1/reorganizations", h_reorganize, BODY_JSON, "move, split, merge or dissolve", NULL, NULL},
	{"POST", "/v1/plans", h_plans_apply, BODY_BULK, "apply a plan: one decision, many steps (dry_run)", NULL, NULL},
	{"GET", "/v1/plans", h_plans_list, BODY_NONE, "plans applied, with their decision", NULL, NULL},
	{"GET", "/v1/plans/{id}", h_plan_get, BODY_NONE, "one plan and the changes it made", NULL, NULL},
	{"GET", "/v1/changes", h_changes, BODY_NONE, "change feed", NULL, NULL},
	{"POST", "/v1/changes", h_publish_in, BODY_BULK, "publish a subtree's changes into this catalogue", NULL, NULL},
	{"GET", "/v1/snapshot", h_snapshot, BODY_NONE, "the whole catalogue as of a seq, signed", NULL, NULL},
	{"POST", "/v1/imports", h_import, BODY_STREAM, "import units from a CSV file (dry run, insert or upsert)",
	 h_import_begin, h_import_data},
	{"GET", "/v1/export", h_export, BODY_NONE, "the active units as CSV, ours or the shared catalogue's", NULL,
	 NULL},
	{"GET", "/v1/reports/compliance", h_compliance, BODY_NONE, "late or pending decisions and uploads", NULL, NULL},
	{"GET", "/v1/transition/map", h_transition_map, BODY_NONE, "old codes to current codes (csv, json, sql)", NULL,
	 NULL},
	{"POST", "/v1/transition/detect", h_transition_detect, BODY_BULK, "which catalogue a file's codes fit best",
	 NULL, NULL},
	{"POST", "/v1/requests", h_requests_create, BODY_JSON, "file a change request", NULL, NULL},
	{"GET", "/v1/requests", h_requests_list, BODY_NONE, "change requests the caller may see", NULL, NULL},
	{"GET", "/v1/requests/events", h_requests_events, BODY_NONE, "feed of request events", NULL, NULL},
	{"GET", "/v1/requests/{id}", h_request_get, BODY_NONE, "a request with its history, comments and files", NULL,
	 NULL},
	{"PATCH", "/v1/requests/{id}", h_request_patch, BODY_JSON, "amend a request", NULL, NULL},
	{"POST", "/v1/requests/{id}/submit", h_request_submit, BODY_NONE, "send a returned request again", NULL, NULL},
	{"POST", "/v1/requests/{id}/comment", h_request_comment, BODY_JSON, "comment on a request", NULL, NULL},
	{"POST", "/v1/requests/{id}/return", h_request_return, BODY_JSON, "return a request to be amended", NULL, NULL},
	{"POST", "/v1/requests/{id}/reject", h_request_reject, BODY_JSON, "reject a request", NULL, NULL},
	{"POST", "/v1/requests/{id}/approve", h_request_approve, BODY_JSON, "approve a request with its decision", NULL,
	 NULL},
	{"POST", "/v1/requests/{id}/files", h_request_file_add, BODY_STREAM, "attach a file to a request",
	 h_request_file_begin, h_request_file_data},
	{"GET", "/v1/requests/{id}/files/{n}", h_request_file_get, BODY_NONE, "a request's file", NULL, NULL},
	{"POST", "/v1/organizations", h_orgs_add, BODY_JSON, "hold an organisation outside the state tree", NULL, NULL},
	{"GET", "/v1/organizations", h_orgs_search, BODY_NONE, "search organisations outside the state tree", NULL,
	 NULL},
	{"GET", "/v1/organizations/{code}", h_org_get, BODY_NONE, "one organisation outside the state tree", NULL,
	 NULL},
	{"GET", "/v1/systems", h_systems_list, BODY_NONE, "connected systems", NULL, NULL},
	{"POST", "/v1/systems", h_systems_add, BODY_JSON, "register a connected system", NULL, NULL},
	{"PATCH", "/v1/systems/{id}", h_system_patch, BODY_JSON, "disable or enable a connected system", NULL, NULL},
	{"POST", "/v1/systems/{id}/codes", h_system_bind, BODY_JSON, "bind a code to a connected system", NULL, NULL},
	{"DELETE", "/v1/systems/{id}/codes/{code}", h_system_unbind, BODY_NONE, "unbind a code from a connected system",
	 NULL, NULL},
	{"POST", "/v1/systems/{id}/token", h_system_token, BODY_NONE, "a new bearer token; the earlier ones revoked",
	 NULL, NULL},
	{"POST", "/v1/systems/{id}/vxp-secret", h_system_secret, BODY_JSON, "keep a given VXP secret or rotate it",
	 NULL, NULL},
	{"GET", "/v1/tokens", h_tokens_list, BODY_NONE, "bearer tokens the caller may manage", NULL, NULL},
	{"POST", "/v1/tokens", h_tokens_add, BODY_JSON, "make a bearer token (shown once)", NULL, NULL},
	{"DELETE", "/v1/tokens/{id}", h_token_revoke, BODY_NONE, "revoke a bearer token", NULL, NULL},
	{"GET", "/v1/audit", h_audit, BODY_NONE, "the audit trail of acts on systems and tokens", NULL, NULL},
	{"POST", "/v1/documents", h_document_send, BODY_STREAM, "send an edXML package", h_document_send_begin,
	 h_document_send_data},
	{"GET", "/v1/documents/{id}", h_document_get, BODY_NONE, "the package bytes", NULL, NULL},
	{"POST", "/v1/documents/{id}/ack", h_document_ack, BODY_JSON, "acknowledge the transport", NULL, NULL},
	{"GET", "/v1/documents/{id}/trace", h_document_trace, BODY_NONE, "per-delivery routing and statuses", NULL,
	 NULL},
	{"GET", "/v1/deliveries", h_deliveries, BODY_NONE, "deliveries and their documents, for operators", NULL, NULL},
	{"GET", "/v1/deliveries/waiting", h_deliveries_waiting, BODY_NONE,
	 "per system: waiting deliveries, the oldest, the stuck", NULL, NULL},
	{"POST", "/v1/transitions", h_transitions_open, BODY_JSON, "open a transition campaign", NULL, NULL},
	{"GET", "/v1/transitions", h_transitions_list, BODY_NONE, "transition campaigns the caller may see", NULL,
	 NULL},
	{"GET", "/v1/transitions/{id}", h_transition_get, BODY_NONE,
	 "a campaign: its codes and each system's measured progress (format=csv for the progress)", NULL, NULL},
	{"POST", "/v1/transitions/{id}/probe", h_transition_probe, BODY_NONE,
	 "send a probe package to every unit in scope with a receiving system", NULL, NULL},
	{"GET", "/v1/transitions/{id}/probe", h_transition_probe_report, BODY_NONE, "the latest probe run's report",
	 NULL, NULL},
	{"GET", "/v1/transition/stale", h_transition_stale, BODY_NONE, "each system's uses of closed codes", NULL,
	 NULL},
	{"GET", "/v1/inbox", h_inbox, BODY_NONE, "the caller's own deliveries that wait", NULL, NULL},
	{"GET", "/v1/stats/exchange", h_stats_exchange, BODY_NONE, "exchange volume and latencies", NULL, NULL},
	{"POST", "/vxp/{operation}", h_vxp, BODY_STREAM, "VXP-compatible axis operations", h_vxp_begin, h_vxp_data},
	{"GET", "/vxp/{operation}", h_vxp_get, BODY_NONE, "VXP downloadEdoc", NULL, NULL},
	{"GET", "/dmdc/Metadata/{cat}", h_dmdc_metadata, BODY_NONE, "shared-catalogue schema", NULL, NULL},
	{"GET", "/dmdc/Category/{cat}", h_dmdc_category_get, BODY_NONE, "shared-catalogue records", NULL, NULL},
	{"POST", "/dmdc/Category/{cat}", h_dmdc_category_post, BODY_BULK, "add shared-catalogue records", NULL, NULL},
};
const size_t lt_n_routes = sizeof lt_routes / sizeof lt_routes[0];

/* Matches path against pattern, copying {x} segments into params. */
static bool match(const char *pattern, const char *path, char params[MAX_PARAMS][128])
{
	int np = 0;
	while (*pattern && *path) {
		if (*pattern == '{') {
			const char *pe = strchr(pattern, '}');
			size_t n = strcspn(path, "/");
			if (!pe || n == 0 || n >= 128 || np == MAX_PARAMS)
				return false;
			memcpy(params[np], path, n);
			params[np++][n] = '\0';
			pattern = pe + 1;
			path += n;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

/* Sets rq->route; replies 404 or 405 (with Allow) when none fits. */
bool route_find(struct req *rq, char *allow, size_t allow_size)
{
	allow[0] = '\0';
	bool path_known = false;
	for (size_t i = 0; i < lt_n_routes; i++) {
		char params[MAX_PARAMS][128];
		if (!match(lt_routes[i].pattern, rq->uri.path, params))
			continue;
		bool head = strcmp(rq->method, "HEAD") == 0 && strcmp(lt_routes[i].method, "GET") == 0;
		if (strcmp(lt_routes[i].method, rq->method) == 0 || head) {
			rq->route = &lt_routes[i];
			rq->route_index = (int)i;
			allow[0] = '\0';
			memcpy(rq->params, params, sizeof params);
			return true;
		}
		size_t n = strlen(allow);
		snprintf(allow + n, allow_size - n, "%s%s", n ? ", " : "", lt_routes[i].method);
		path_known = true;
	}
	if (path_known)
		reply_error(rq, LT_EINVAL, "%s is not allowed on %s (allowed: %s)", rq->method, rq->uri.path, allow);
	else
		reply_error(rq, LT_ENOTFOUND, "no such resource: %.200s", rq->uri.path);
	if (path_known)
		rq->status = MHD_HTTP_METHOD_NOT_ALLOWED;
	else
		allow[0] = '\0';
	return false;
}
