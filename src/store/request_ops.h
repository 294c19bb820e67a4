/* The table of request and organisation operations (store_requests.h)
 * each store backend fills; lt_store_ops points at it. */
#ifndef LT_STORE_REQUEST_OPS_H
#define LT_STORE_REQUEST_OPS_H

#include "lienthong/store_requests.h"

struct lt_store_request_ops {
	int (*put)(struct lt_store *s, struct lt_request_row *r, struct lt_err *err);
	int (*get)(struct lt_store *s, int64_t id, struct lt_request_row *out, struct lt_err *err);
	int (*list)(struct lt_store *s, const struct lt_request_query *q, lt_request_cb cb, void *ctx,
		    struct lt_err *err);
	int (*event_add)(struct lt_store *s, struct lt_request_event *ev, struct lt_err *err);
	int (*events)(struct lt_store *s, int64_t request_id, int64_t after, int limit, lt_request_event_cb cb,
		      void *ctx, struct lt_err *err);
	int (*file_add)(struct lt_store *s, struct lt_request_file *f, struct lt_err *err);
	int (*files)(struct lt_store *s, int64_t request_id, lt_request_file_cb cb, void *ctx, struct lt_err *err);
	int (*file_get)(struct lt_store *s, int64_t request_id, int n, struct lt_request_file *out, struct lt_err *err);
	int (*file_role)(struct lt_store *s, int64_t request_id, int n, const char *role, struct lt_err *err);
	int (*org_add)(struct lt_store *s, const struct lt_org *o, struct lt_err *err);
	int (*org_get)(struct lt_store *s, const char *code, struct lt_org *out, struct lt_err *err);
	int (*orgs)(struct lt_store *s, const char *code_prefix, const char *name_fold, int limit, lt_org_cb cb,
		    void *ctx, struct lt_err *err);
};

#endif
