/* Change requests: a unit (or a system speaking for it) reports a change,
 * the agency that manages its codes decides, and the catalogue follows.
 *
 * A request carries a proposal shaped like the change it asks for (a unit
 * body for issue, rename and update; a reorganisation body for move, split,
 * merge and dissolve) and is dry-run at filing, at each amendment and again
 * at approval, so one that could never be applied is refused with the
 * reason. States: submitted → in_review → returned | rejected | applied; a
 * returned request is amended and submitted again. Contact updates need no
 * decision: they are applied at once and recorded as applied requests.
 * Every step is an event of the request's history and of a gap-free feed.
 * Rules of who may do what are in access (lt_access_request_*). */
#ifndef LIENTHONG_REQUESTS_H
#define LIENTHONG_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lienthong/access.h"
#include "lienthong/registry.h"
#include "lienthong/store_requests.h"

struct lt_requests;

struct lt_requests_opts {
	const char *data_dir;    /* files go under data_dir/requests */
	uint64_t max_file_bytes; /* one attached file at most */
};

/* Works on the registry's store; r is borrowed and outlives the handle. */
int lt_requests_open(struct lt_requests **out, struct lt_registry *r, const struct lt_requests_opts *opts,
		     struct lt_err *err);
void lt_requests_close(struct lt_requests *q);

/* What a filer sends. Borrowed. */
struct lt_request_new {
	const char *kind; /* issue, rename, update, move, split, merge, dissolve, plan */
	const char *unit;
	json_t *proposal; /* an object */
	const char *reason;
	const char *reorganized; /* YYYY-MM-DD or NULL/"" */
};

/* Files a request as who. *out (caller owns) is the request object: state
 * submitted, or applied for a contact update. */
int lt_request_create(struct lt_requests *q, const struct lt_ctx *ctx, const struct lt_request_new *n, json_t **out,
		      struct lt_err *err);
/* The request with its history, comments and files. */
int lt_request_show(struct lt_requests *q, const struct lt_principal *who, int64_t id, json_t **out,
		    struct lt_err *err);
/* The requests who may see, in id order: state ("" any), under (a unit's
 * subtree, "" any), ids after `after`, at most limit. *items is an array. */
int lt_request_list(struct lt_requests *q, const struct lt_principal *who, const char *state, const char *under,
		    int64_t after, int limit, json_t **items, struct lt_err *err);

/* A returned request amended by its filer: NULL members are kept. */
struct lt_request_change {
	json_t *proposal;
	const char *reason;
	const char *reorganized;
};
int lt_request_amend(struct lt_requests *q, const struct lt_ctx *ctx, int64_t id, const struct lt_request_change *c,
		     json_t **out, struct lt_err *err);

enum lt_request_act {
	LT_REQUEST_SUBMIT,  /* the filer sends a returned request again */
	LT_REQUEST_COMMENT, /* anyone who may read it; a decider's first comment starts the review */
	LT_REQUEST_RETURN,  /* a decider sends it back with what to fix (text required) */
	LT_REQUEST_REJECT,  /* a decider refuses it (reason required) */
};
int lt_request_act(struct lt_requests *q, const struct lt_ctx *ctx, int64_t id, enum lt_request_act act,
		   const char *text, json_t **out, struct lt_err *err);

struct lt_request_decision {
	struct lt_decision decision;
	char kind[64]; /* the decision's kind, e.g. "quyết định" */
	int file;      /* the request's file that holds the decision; 0 for none */
};
/* Applies the proposal as one change carrying the decision and marks the
 * request applied, in one transaction. When the registry moved on (a
 * touched unit was renamed, moved or closed since filing, or the dry run
 * fails) nothing changes and the request stays open: LT_ECONFLICT or the
 * registry's refusal, with the reason. */
int lt_request_approve(struct lt_requests *q, const struct lt_ctx *ctx, int64_t id, const struct lt_request_decision *d,
		       json_t **out, struct lt_err *err);

/* The events after seq that who may see, oldest first; *last_seq is the
 * last seq read (visible or not), so a follower never reads one twice. */
int lt_request_events(struct lt_requests *q, const struct lt_principal *who, int64_t after, int limit, json_t **items,
		      int64_t *last_seq, struct lt_err *err);

/* ---- files: streamed to data_dir/requests like package bodies ---- */

struct lt_request_upload;
/* Starts a file of request id (name and content type are kept as given,
 * bounded). The filer adds files while the request is open and not under
 * review; a decider while it is open. */
int lt_request_upload_begin(struct lt_requests *q, const struct lt_ctx *ctx, int64_t id, const char *name,
			    const char *content_type, struct lt_request_upload **out, struct lt_err *err);
/* LT_ETOOBIG past max_file_bytes. */
int lt_request_upload_write(struct lt_request_upload *u, const void *data, size_t len, struct lt_err *err);
/* fsync, rename into place, then the row and a "file" event in one
 * transaction. Frees u. *out: the file's metadata object. */
int lt_request_upload_finish(struct lt_request_upload *u, json_t **out, struct lt_err *err);
void lt_request_upload_abort(struct lt_request_upload *u);
/* Opens file n of request id for reading: *fd (caller closes) and meta. */
int lt_request_file_open(struct lt_requests *q, const struct lt_principal *who, int64_t id, int n, int *fd,
			 struct lt_request_file *meta, struct lt_err *err);

#endif
