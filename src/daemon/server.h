/* lienthongd internals: the server, one request's context, the route table
 * and the helpers handlers use to read a request and write a reply. Handlers
 * only translate between HTTP and the library; no rule lives here. */
#ifndef LT_DAEMON_SERVER_H
#define LT_DAEMON_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <microhttpd.h>

#include "lienthong/access.h"
#include "lienthong/catalogue.h"
#include "lienthong/config.h"
#include "lienthong/exchange.h"
#include "lienthong/registry.h"
#include "lienthong/requests.h"
#include "uri.h"

struct server;
struct req;

/* BODY_STREAM bodies are handed to the route's stream callbacks as they
 * arrive (an edXML package can be 100 MiB); the others are collected. */
enum body_kind { BODY_NONE, BODY_JSON, BODY_BULK, BODY_STREAM };

typedef void (*handler_fn)(struct req *rq);

struct route {
	const char *method;
	const char *pattern; /* "/v1/units/{code}/children": {x} matches one segment */
	handler_fn fn;
	enum body_kind body;
	const char *summary; /* for /openapi.json consistency tests and docs */
	/* BODY_STREAM: begin may reply (and so end the request); data gets
	 * each piece; fn runs at the end. */
	bool (*stream_begin)(struct req *rq);
	void (*stream_data)(struct req *rq, const char *data, size_t len);
};

extern const struct route lt_routes[];
extern const size_t lt_n_routes;

#define MAX_PARAMS 4

struct req {
	struct server *srv;
	struct MHD_Connection *conn;
	char method[16];
	char *raw_uri;                /* as received; owned */
	struct uri uri;               /* decoded path and query; owned */
	char params[MAX_PARAMS][128]; /* {x} segments of the matched route */
	const struct route *route;
	int route_index; /* into lt_routes; -1 unmatched */
	/* What every core call is given: who calls (call.who, from auth.c) and
	 * this request's id, which the access log, the error log lines and the
	 * X-Request-Id reply header carry. */
	struct lt_ctx call;
	/* Request body, capped by the route's limit (the one its messages
	 * state) plus body_allowance (sendEdoc's CRLF); a stream route's begin
	 * may lower both. */
	char *body;
	size_t body_len, body_cap, body_limit, body_allowance;
	bool body_too_big;
	bool started;
	struct head_track *head; /* while the head is read: the thread's count (server.c) */
	/* A body that kept coming past its limit was answered 413 straight on
	 * the socket (libmicrohttpd queues no reply mid-body); the connection
	 * closes after a short drain. */
	bool answered_early;
	size_t early_at; /* body_len when that reply went out */
	int64_t early_ns;
	/* Reply. */
	int status;
	json_t *json; /* owned until sent */
	char *raw;    /* owned; raw bytes with ctype */
	size_t raw_len;
	const char *ctype;
	char etag[96];
	char signature[LT_CATKEY_SIG_BUFSZ]; /* X-Lienthong-Signature over the body (lienthong/catalogue.h) */
	char location[256];
	char allow[64];
	bool www_auth;
	bool close; /* close the connection after the reply */
	size_t sent_bytes;
	int64_t t_start_ns;
	int lt_status; /* library status of a failure, for metrics */
	int body_fd;   /* >= 0: reply with this file's bytes (owned) */
	uint64_t body_fd_size;
	/* A reply produced piece by piece (getEdoc's base64). */
	MHD_ContentReaderCallback stream_cb;
	void *stream_cls;
	MHD_ContentReaderFreeCallback stream_free;
	uint64_t stream_size;
	/* Suspended (longpoll.c, commit_wait.c) from the handler's suspension
	 * until serve() has returned without a reply; the long poll's
	 * wait_deadline_ns is set on its first run. */
	bool suspended;
	int64_t wait_deadline_ns;
	int commit_wait; /* commit_wait.c's state */
	void *ctx;       /* a handler's state across calls, freed by ctx_free */
	void (*ctx_free)(void *ctx);
};

struct metrics;

struct server {
	struct lt_config cfg;
	struct lt_registry *reg;
	struct lt_store *store;
	struct lt_exchange *xch;
	struct lt_relay *relay; /* with an upstream: the relay worker */
	struct lt_requests *requests;
	unsigned char seal_key[LT_SEAL_KEY_BYTES];
	struct lt_catkey *catkey; /* signs what the registry publishes */
	struct MHD_Daemon *mhd;
	struct alog *access_log; /* NULL: none */
	struct metrics *metrics;
	struct unit_cache *ucache;     /* GET /v1/units/{code} replies; may be NULL */
	struct lt_token_cache *tcache; /* authenticated bearer tokens; may be NULL */
	struct longpoll *longpoll;     /* suspended GET /v1/inbox?wait= requests */
	atomic_int commits_waited;     /* requests whose commit the hub has not answered yet */
	atomic_int active;
	atomic_bool stopping;
	pthread_t watchdog;
	bool watchdog_running;
};

/* ---- longpoll.c ---- */
struct longpoll;
/* recheck_ms: how often a waiter looks again on its own, which bounds how
 * late it sees a delivery another node or process committed. */
#define LONGPOLL_RECHECK_MS 1000
#define INBOX_MAX_WAIT 60 /* seconds a GET /v1/inbox?wait= may ask for */
struct longpoll *longpoll_new(int recheck_ms);
/* Resumes every waiter and parks no more (before the HTTP server stops). */
void longpoll_stop(struct longpoll *lp);
void longpoll_free(struct longpoll *lp);
uint64_t longpoll_epoch(struct longpoll *lp);
/* Suspends rq until a wake-up for system_id, the deadline or the recheck;
 * false (nothing suspended) when a wake-up came since epoch was read, or
 * the server stops: the handler then reads again or answers. */
bool longpoll_park(struct longpoll *lp, struct req *rq, int64_t system_id, int64_t deadline_ns, uint64_t epoch);
/* The exchange's on_deliveries. */
void longpoll_wake(void *arg, const int64_t *systems, size_t n);
size_t longpoll_waiting(struct longpoll *lp);
bool longpoll_stopping(struct longpoll *lp);

/* ---- commit_wait.c ---- */
/* Before lt_upload_submit (or the like) with commit_wait_done as its
 * callback; then, if the submit queued the commit, commit_wait_suspend:
 * true when the handler must return and will run again once the commit is
 * over, false when it is over already. A submit that queued nothing calls
 * commit_wait_cancel. commit_wait_started tells the second run. */
void commit_wait_begin(struct req *rq);
bool commit_wait_started(const struct req *rq);
void commit_wait_cancel(struct req *rq);
bool commit_wait_suspend(struct req *rq);
void commit_wait_done(void *arg);

/* ---- server.c ---- */
int server_start(struct server *srv, struct lt_err *err);
void server_stop(struct server *srv, int grace_seconds);
int server_port(struct server *srv);
/* The listen key: "host:port", "[v6]:port" or ":port", port 0..65535. */
struct sockaddr_storage;
int server_listen_addr(const char *text, struct sockaddr_storage *ss, struct lt_err *err);

/* What start-up would refuse in cfg, found without binding, creating or
 * writing anything: the listen address, the database, data and log paths,
 * the CA files and the web directory (check.c, for lienthongd -n). */
int daemon_check_config(const struct lt_config *cfg, struct lt_err *err);

/* Sets rq->route from method and path; replies 404 or 405 when none fits
 * (routes.c). */
bool route_find(struct req *rq, char *allow, size_t allow_size);

/* ---- request reading (request.c) ---- */
const char *req_query(const struct req *rq, const char *key);
const char *req_header(const struct req *rq, const char *name);
/* Parses the body as a JSON object; on failure replies 400 and returns NULL. */
json_t *req_json_object(struct req *rq);
/* Checks an object against the fields a route takes: unknown fields, wrong
 * types and missing required ones are refused with 400 naming the field.
 * spec is "name:type[!]" entries (types s string, i integer, o object, a
 * array, b boolean; ! required) ending with NULL. */
bool req_fields(struct req *rq, json_t *o, const char *const *spec, const char *where);
/* Canonical code from a path parameter or field; replies 400 on failure. */
bool req_code(struct req *rq, const char *text, char out[LT_CODE_BUFSZ], const char *what);
/* A whole number query parameter in [min, max], def when absent. */
bool req_query_int(struct req *rq, const char *key, long long min, long long max, long long def, long long *out);
/* A query date (YYYY-MM-DD or dd/MM/yyyy), "" when absent. */
bool req_query_date(struct req *rq, const char *key, char out[LT_DATE_BUFSZ]);
/* status=active|closed|all */
bool req_query_status(struct req *rq, enum lt_status_filter def, enum lt_status_filter *out);

/* ---- replies (request.c) ---- */
/* The bytes of a JSON reply as sent: compact, with a trailing newline;
 * malloc'd (caller frees), NULL when o cannot be written. */
char *json_reply_text(const json_t *o, size_t *len);
void reply_json(struct req *rq, int status, json_t *body);                             /* steals body */
void reply_raw(struct req *rq, int status, const char *ctype, char *data, size_t len); /* steals data */
/* {"error":{"code","message"}} with the HTTP status of the library status. */
void reply_error(struct req *rq, int lt_status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void reply_err(struct req *rq, const struct lt_err *err);
/* The same with "field": the input field the refusal concerns. */
void reply_error_field(struct req *rq, int lt_status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A JSON reply whose exact bytes are signed with the registry's catalogue
 * key (X-Lienthong-Signature, lienthong/catalogue.h); steals body. */
void reply_signed_json(struct req *rq, int status, json_t *body);
/* Sets the ETag; true (and a 304 queued) when If-None-Match already has it. */
bool reply_etag(struct req *rq, const char *etag);

/* ---- access (auth.c) ---- */
/* Fills rq->call.who from the Authorization header; replies 401 on a bad one. */
bool auth_identify(struct req *rq);
bool auth_read(struct req *rq);

/* The unit object of design.md §7.2 with its lineage (as of a date when
 * as_of is set); NULL (and a reply) on failure. */
json_t *unit_json(struct req *rq, const struct lt_unit *u, const char *as_of);

/* JSON body helpers shared by the handlers (h_units.c): a string field
 * into a fixed buffer (400 when too long), and the decision object. */
bool json_field_copy(struct req *rq, json_t *o, const char *key, char *dst, size_t size, const char *where);
bool json_decision(struct req *rq, json_t *o, struct lt_decision *d);

/* ---- metrics.c ---- */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
void metrics_observe(struct metrics *m, int route_index, int http_status, int64_t ns, int lt_status);
/* Prometheus text; caller frees. NULL (err filled) when the store or memory
 * fails: a scrape then fails rather than reporting zeros. */
char *metrics_render(struct metrics *m, struct server *srv, size_t *len, struct lt_err *err);

/* ---- slow clients (watchdog.c) ---- */
void watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		     enum MHD_ConnectionNotificationCode code);
void watchdog_head_done(struct MHD_Connection *conn);
void watchdog_request_done(struct MHD_Connection *conn);
void watchdog_sweep(int64_t limit_ns);

/* ---- access log (server.c) ---- */
void access_log_write(struct server *srv, struct req *rq);

int64_t now_ns(void);

/* ---- handlers: one file per resource ---- */
void h_healthz(struct req *rq);
void h_metrics(struct req *rq);
void h_openapi(struct req *rq);
void h_root(struct req *rq);
void h_web_asset(struct req *rq);
void h_certs_list(struct req *rq);
void h_certs_add(struct req *rq);
void h_certs_revoke(struct req *rq);
void h_me(struct req *rq);
void h_unit_get(struct req *rq);
void h_unit_children(struct req *rq);
void h_unit_history(struct req *rq);
void h_unit_resolve(struct req *rq);
void h_unit_search(struct req *rq);
void h_unit_issue(struct req *rq);
void h_unit_patch(struct req *rq);
void h_reorganize(struct req *rq);
void h_plans_apply(struct req *rq);
void h_plans_list(struct req *rq);
void h_plan_get(struct req *rq);
void h_changes(struct req *rq);
void h_snapshot(struct req *rq);
void h_publish_in(struct req *rq);
void h_compliance(struct req *rq);
void h_transition_map(struct req *rq);
void h_transition_detect(struct req *rq);
void h_systems_list(struct req *rq);
void h_systems_add(struct req *rq);
void h_system_patch(struct req *rq);
void h_system_bind(struct req *rq);
void h_system_unbind(struct req *rq);
void h_system_token(struct req *rq);
void h_system_secret(struct req *rq);
void h_audit(struct req *rq);
void h_deliveries(struct req *rq);
void h_deliveries_waiting(struct req *rq);
void h_tokens_list(struct req *rq);
void h_tokens_add(struct req *rq);
void h_token_revoke(struct req *rq);
void h_dmdc_metadata(struct req *rq);
bool h_document_send_begin(struct req *rq);
void h_document_send_data(struct req *rq, const char *data, size_t len);
void h_document_send(struct req *rq);
void h_document_get(struct req *rq);
void h_document_ack(struct req *rq);
void h_document_trace(struct req *rq);
void h_inbox(struct req *rq);
void h_stats_exchange(struct req *rq);
bool h_vxp_begin(struct req *rq);
void h_vxp_data(struct req *rq, const char *data, size_t len);
void h_vxp(struct req *rq);
void h_vxp_get(struct req *rq);
/* Turns a refusal on a /vxp/ path into the VXP envelope of formats.md §3.4
 * (VXP clients parse nothing else); leaves rq->json NULL only when out of
 * memory. */
void h_vxp_envelope(struct req *rq);
/* Whether the request's path names sendEdoc, whose failures carry DocId. */
bool h_vxp_is_send(const struct req *rq);
void h_dmdc_category_get(struct req *rq);
void h_requests_create(struct req *rq);
void h_requests_list(struct req *rq);
void h_requests_events(struct req *rq);
void h_request_get(struct req *rq);
void h_request_patch(struct req *rq);
void h_request_submit(struct req *rq);
void h_request_comment(struct req *rq);
void h_request_return(struct req *rq);
void h_request_reject(struct req *rq);
void h_request_approve(struct req *rq);
bool h_request_file_begin(struct req *rq);
void h_request_file_data(struct req *rq, const char *data, size_t len);
void h_request_file_add(struct req *rq);
void h_request_file_get(struct req *rq);
void h_orgs_add(struct req *rq);
void h_orgs_search(struct req *rq);
void h_org_get(struct req *rq);
void h_dmdc_category_post(struct req *rq);
bool h_import_begin(struct req *rq);
void h_import_data(struct req *rq, const char *data, size_t len);
void h_import(struct req *rq);
void h_export(struct req *rq);
void h_transitions_open(struct req *rq);
void h_transitions_list(struct req *rq);
void h_transition_get(struct req *rq);
void h_transition_probe(struct req *rq);
void h_transition_probe_report(struct req *rq);
void h_transition_stale(struct req *rq);

#endif
