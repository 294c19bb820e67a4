/* Dispatch of the request store calls to the backend. */
#include <stdlib.h>

#include "request_ops.h"
#include "store_impl.h"

#define RDISPATCH(call) return s->ops->requests->call

void lt_request_row_clear(struct lt_request_row *r)
{
	if (r) {
		free(r->doc);
		r->doc = NULL;
	}
}

void lt_request_event_clear(struct lt_request_event *ev)
{
	if (ev) {
		free(ev->data);
		ev->data = NULL;
	}
}

int lt_store_request_put(struct lt_store *s, struct lt_request_row *r, struct lt_err *err)
{
	RDISPATCH(put(s, r, err));
}
int lt_store_request_get(struct lt_store *s, int64_t id, struct lt_request_row *out, struct lt_err *err)
{
	RDISPATCH(get(s, id, out, err));
}
int lt_store_requests(struct lt_store *s, const struct lt_request_query *q, lt_request_cb cb, void *ctx,
		      struct lt_err *err)
{
	RDISPATCH(list(s, q, cb, ctx, err));
}
int lt_store_request_event_add(struct lt_store *s, struct lt_request_event *ev, struct lt_err *err)
{
	RDISPATCH(event_add(s, ev, err));
}
int lt_store_request_events(struct lt_store *s, int64_t request_id, int64_t after, int limit, lt_request_event_cb cb,
			    void *ctx, struct lt_err *err)
{
	RDISPATCH(events(s, request_id, after, limit, cb, ctx, err));
}
int lt_store_request_file_add(struct lt_store *s, struct lt_request_file *f, struct lt_err *err)
{
	RDISPATCH(file_add(s, f, err));
}
int lt_store_request_files(struct lt_store *s, int64_t request_id, lt_request_file_cb cb, void *ctx, struct lt_err *err)
{
	RDISPATCH(files(s, request_id, cb, ctx, err));
}
int lt_store_request_file_get(struct lt_store *s, int64_t request_id, int n, struct lt_request_file *out,
			      struct lt_err *err)
{
	RDISPATCH(file_get(s, request_id, n, out, err));
}
int lt_store_request_file_role(struct lt_store *s, int64_t request_id, int n, const char *role, struct lt_err *err)
{
	RDISPATCH(file_role(s, request_id, n, role, err));
}
int lt_store_org_add(struct lt_store *s, const struct lt_org *o, struct lt_err *err) { RDISPATCH(org_add(s, o, err)); }
int lt_store_org_get(struct lt_store *s, const char *code, struct lt_org *out, struct lt_err *err)
{
	RDISPATCH(org_get(s, code, out, err));
}
int lt_store_orgs(struct lt_store *s, const char *code_prefix, const char *name_fold, int limit, lt_org_cb cb,
		  void *ctx, struct lt_err *err)
{
	RDISPATCH(orgs(s, code_prefix, name_fold, limit, cb, ctx, err));
}
