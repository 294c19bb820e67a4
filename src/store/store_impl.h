/* The table of operations every store backend fills. store.c dispatches the
 * public lt_store_* calls through it; nothing above the store sees a backend. */
#ifndef LT_STORE_IMPL_H
#define LT_STORE_IMPL_H

#include "lienthong/store.h"

struct lt_store_request_ops;
struct lt_store_catalogue_ops;
struct lt_store_campaign_ops;

/* Both backends' /metrics counts (xcounts): the running totals their
 * triggers keep (SQLite schema 15, PostgreSQL 7), in the order of enum
 * lt_delivery_state; the same SQL reads them on either. */
/* clang-format off */
#define LT__XCOUNT(name) "coalesce((SELECT n FROM xcounts WHERE name = '" name "'), 0)"
#define LT__SQL_XCOUNTS                                                                                                \
	"SELECT " LT__XCOUNT("edoc") ", " LT__XCOUNT("status") ", " LT__XCOUNT("bytes") ", "                           \
	LT__XCOUNT("state:pending") ", " LT__XCOUNT("state:processing") ", " LT__XCOUNT("state:done") ", "             \
	LT__XCOUNT("state:fail") ", " LT__XCOUNT("state:refused") ", " LT__XCOUNT("state:merged") ", "                 \
	LT__XCOUNT("state:no_system") ", " LT__XCOUNT("state:expired") ", " LT__XCOUNT("state:relay") ", "             \
	LT__XCOUNT("state:relayed")
/* clang-format on */

struct lt_store_ops {
	const char *name;
	void (*close)(struct lt_store *s);
	int (*begin)(struct lt_store *s, struct lt_err *err);
	int (*commit)(struct lt_store *s, struct lt_err *err);
	void (*rollback)(struct lt_store *s);
	int (*part)(struct lt_store *s, enum lt_store_part what, struct lt_err *err);
	int (*unit_get)(struct lt_store *s, const char *code, struct lt_unit *out, struct lt_err *err);
	int (*unit_put)(struct lt_store *s, const struct lt_unit *u, struct lt_err *err);
	int (*children)(struct lt_store *s, const char *parent, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
			struct lt_err *err);
	int (*subtree)(struct lt_store *s, const char *root, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		       struct lt_err *err);
	int (*search)(struct lt_store *s, const struct lt_search_query *q, lt_unit_cb cb, void *ctx, char *next,
		      struct lt_err *err);
	int (*numbers_used)(struct lt_store *s, const char *parent, unsigned **out, size_t *n, struct lt_err *err);
	int (*lineage_add)(struct lt_store *s, const char *pred, const char *succ, int64_t change_id,
			   struct lt_err *err);
	int (*lineage)(struct lt_store *s, const char *code, bool successors, struct lt_codelist *out,
		       struct lt_err *err);
	int (*change_add)(struct lt_store *s, struct lt_change *c, struct lt_err *err);
	int (*changes)(struct lt_store *s, lt_change_cb cb, void *ctx, struct lt_err *err);
	int (*event_append)(struct lt_store *s, struct lt_event *ev, struct lt_err *err);
	int (*event_append_unit)(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
				 struct lt_err *err);
	int (*events_for)(struct lt_store *s, const char *code, lt_event_cb cb, void *ctx, struct lt_err *err);
	int (*events_after)(struct lt_store *s, int64_t after, int limit, lt_event_cb cb, void *ctx,
			    struct lt_err *err);
	int (*last_seq)(struct lt_store *s, int64_t *out, struct lt_err *err);
	uint64_t (*generation)(struct lt_store *s);
	uint64_t (*generation_now)(struct lt_store *s);
	int notify_bound_ms; /* lt_store_notify_bound_ms */
	int (*event_asof)(struct lt_store *s, const char *code, const char *date, struct lt_event *out,
			  struct lt_err *err);
	int (*events_asof)(struct lt_store *s, const char *parent, bool subtree, const char *date, lt_event_cb cb,
			   void *ctx, struct lt_err *err);
	int (*token_add)(struct lt_store *s, struct lt_token *t, struct lt_err *err);
	int (*token_find)(struct lt_store *s, const char *hash, struct lt_token *out, struct lt_err *err);
	int (*tokens)(struct lt_store *s, lt_token_cb cb, void *ctx, struct lt_err *err);
	int (*token_revoke)(struct lt_store *s, int64_t id, const char *at, struct lt_err *err);
	int (*system_add)(struct lt_store *s, struct lt_system *sys, struct lt_err *err);
	int (*system_get)(struct lt_store *s, int64_t id, struct lt_system *out, struct lt_err *err);
	int (*systems)(struct lt_store *s, lt_system_cb cb, void *ctx, struct lt_err *err);
	int (*system_code_add)(struct lt_store *s, int64_t id, const char *code, struct lt_err *err);
	int (*system_codes)(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err);
	int (*systems_by_primary)(struct lt_store *s, const char *code, lt_system_cb cb, void *ctx, struct lt_err *err);
	int (*system_code_remove)(struct lt_store *s, int64_t id, const char *code, struct lt_err *err);
	int (*system_disable)(struct lt_store *s, int64_t id, const char *at, struct lt_err *err);
	int (*system_secret_set)(struct lt_store *s, int64_t id, const char *sealed, struct lt_err *err);
	int (*system_tokens_revoke)(struct lt_store *s, int64_t id, const char *at, int *n, struct lt_err *err);
	int (*audit_add)(struct lt_store *s, struct lt_audit *a, struct lt_err *err);
	int (*audits)(struct lt_store *s, const char *target, int64_t after, int limit, lt_audit_cb cb, void *ctx,
		      struct lt_err *err);
	int (*xsent)(struct lt_store *s, int64_t system_id, const char *kind, const char *since, int limit,
		     lt_xdoc_cb cb, void *ctx, struct lt_err *err);
	int (*system_rebind)(struct lt_store *s, const char *old_code, const char *new_code, struct lt_err *err);
	int (*xdoc_find)(struct lt_store *s, int64_t system_id, const char *kind, const char *document_id,
			 const char *sha256, struct lt_xdoc *out, struct lt_err *err);
	int (*xdoc_add)(struct lt_store *s, const struct lt_xdoc *d, struct lt_err *err);
	int (*xdoc_get)(struct lt_store *s, const char *id, struct lt_xdoc *out, struct lt_err *err);
	int (*xdoc_for)(struct lt_store *s, const char *id, int64_t system_id, struct lt_xdoc *out, bool *receives,
			struct lt_err *err);
	int (*xdoc_by_document_id)(struct lt_store *s, const char *document_id, const char *from_code,
				   struct lt_xdoc *out, struct lt_err *err);
	int (*xdelivery_add)(struct lt_store *s, struct lt_xdelivery *d, struct lt_err *err);
	int (*xdeliveries)(struct lt_store *s, const char *doc, lt_xdelivery_cb cb, void *ctx, struct lt_err *err);
	int (*xreceivers)(struct lt_store *s, const char *code, lt_xreceiver_cb cb, void *ctx, struct lt_err *err);
	int (*system_subtree_add)(struct lt_store *s, int64_t id, const char *root, struct lt_err *err);
	int (*system_subtrees)(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err);
	int (*xsubtree_receivers)(struct lt_store *s, const char *root, lt_xreceiver_cb cb, void *ctx,
				  struct lt_err *err);
	int (*relay_out_add)(struct lt_store *s, const char *doc, const char *at, struct lt_err *err);
	int (*relay_out_due)(struct lt_store *s, const char *now, int limit, lt_relay_cb cb, void *ctx,
			     struct lt_err *err);
	int (*relay_out_retry)(struct lt_store *s, const char *doc, int tries, const char *next_try, const char *error,
			       struct lt_err *err);
	int (*relay_out_done)(struct lt_store *s, const char *doc, const char *upstream_id, const char *at,
			      struct lt_err *err);
	int (*relay_link_get)(struct lt_store *s, const char *url, int64_t *system_id, struct lt_err *err);
	int (*relay_link_add)(struct lt_store *s, const char *url, int64_t system_id, struct lt_err *err);
	int (*xhold_expire)(struct lt_store *s, const char *before, const char *at, const char *reason, int *n,
			    struct lt_err *err);
	int (*xoperations)(struct lt_store *s, const struct lt_xop_filter *f, lt_xop_cb cb, void *ctx,
			   struct lt_err *err);
	int (*xwaiting)(struct lt_store *s, const char *stuck_before, lt_xwaiting_cb cb, void *ctx, struct lt_err *err);
	int (*xinbox)(struct lt_store *s, int64_t system_id, const char *kind, int64_t after, int limit,
		      lt_xinbox_cb cb, void *ctx, struct lt_err *err);
	int (*xack)(struct lt_store *s, const char *doc, int64_t system_id, const char *state, const char *at, int *n,
		    struct lt_err *err);
	int (*xevents)(struct lt_store *s, int64_t delivery_id, lt_xevent_cb cb, void *ctx, struct lt_err *err);
	int (*xstatus_add)(struct lt_store *s, const struct lt_xstatus *st, struct lt_err *err);
	int (*xstatuses)(struct lt_store *s, const char *ref_doc, lt_xstatus_cb cb, void *ctx, struct lt_err *err);
	int (*xstats)(struct lt_store *s, const char *from, const char *to, const char *by, lt_xstat_cb cb, void *ctx,
		      struct lt_err *err);
	int (*xexpired)(struct lt_store *s, const char *before, lt_xdoc_cb cb, void *ctx, struct lt_err *err);
	int (*xbody_removed)(struct lt_store *s, const char *id, struct lt_err *err);
	int (*xcounts)(struct lt_store *s, int64_t out[LT_XCOUNTS], struct lt_err *err);
	int (*cert_add)(struct lt_store *s, struct lt_cert *c, struct lt_err *err);
	int (*certs)(struct lt_store *s, const char *code, lt_cert_cb cb, void *ctx, struct lt_err *err);
	int (*cert_revoke)(struct lt_store *s, const char *code, int64_t id, const char *at, struct lt_err *err);
	int (*plan_add)(struct lt_store *s, struct lt_plan_row *p, const struct lt_plan_change *changes, size_t n,
			struct lt_err *err);
	int (*plans)(struct lt_store *s, int64_t id, lt_plan_cb cb, void *ctx, struct lt_err *err);
	int (*plan_of_change)(struct lt_store *s, int64_t change_id, int64_t *plan_id, struct lt_err *err);
	int (*bulk)(struct lt_store *s, bool start, size_t rows, bool fresh, struct lt_err *err);
	int (*sort_keys)(struct lt_store *s, lt_key_cb cb, void *ctx, struct lt_err *err);
	int (*ping)(struct lt_store *s, struct lt_err *err);
	int (*integrity_check)(struct lt_store *s, struct lt_err *err);
	int (*snapshot)(struct lt_store *s, const char *dest, lt_snapshot_body_cb cb, void *ctx, int64_t *last_seq,
			struct lt_err *err);
	const struct lt_store_request_ops *requests;    /* request_ops.h */
	const struct lt_store_catalogue_ops *catalogue; /* catalogue_ops.h */
	const struct lt_store_campaign_ops *campaigns;  /* campaign_ops.h */
};

/* Every backend's handle starts with this (zeroed by the backend's open). */
struct lt_store {
	const struct lt_store_ops *ops;
	/* The issue journal, when configured, and what the transaction this
	 * store's writer holds has appended (store_journal.c). */
	struct lt__journal *journal;
	bool replaying;
	bool j_checked, j_events;
	char (*j_codes)[LT_CODE_BUFSZ];
	size_t j_n, j_cap, j_part;
};

/* store_journal.c: the calls that keep the issue journal. */
int lt__sj_begin(struct lt_store *s, struct lt_err *err);
int lt__sj_commit(struct lt_store *s, struct lt_err *err);
void lt__sj_rollback(struct lt_store *s);
int lt__sj_part(struct lt_store *s, enum lt_store_part what, struct lt_err *err);
int lt__sj_numbers_used(struct lt_store *s, const char *parent, unsigned **out, size_t *n, struct lt_err *err);
int lt__sj_event_append(struct lt_store *s, struct lt_event *ev, struct lt_err *err);
int lt__sj_event_append_unit(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
			     struct lt_err *err);

int lt__store_sqlite_open(struct lt_store **out, const char *path, struct lt_err *err);
/* uri: a libpq connection URI (postgresql://…), passed to libpq as it is. */
int lt__store_pg_open(struct lt_store **out, const char *uri, struct lt_err *err);
int lt__store_pg_uri_check(const char *uri, struct lt_err *err);

/* The subtree prefix of a code in reversed form: "000.00.24.H44" → "H44.24."
 * (the non-zero groups, each followed by a dot). buf holds LT_CODE_BUFSZ. */
char *lt__code_rev_prefix(const char *code, char *buf);

/* lt_store_set_cache_mib's value, for the backends. */
int lt__store_cache_mib(void);

#endif
