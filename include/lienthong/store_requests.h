/* The rows of change requests (requests.h) as the store keeps them: the
 * request, its append-only events (the history and the feed) and the
 * metadata of its files. The store knows rows; src/requests decides. */
#ifndef LIENTHONG_STORE_REQUESTS_H
#define LIENTHONG_STORE_REQUESTS_H

#include <stdint.h>

#include "lienthong/store.h"

/* A request. doc is owned by whoever filled the struct (lt_request_row_clear). */
struct lt_request_row {
	int64_t id;
	char kind[16]; /* issue, rename, update, move, split, merge, dissolve, plan */
	char unit[LT_CODE_BUFSZ];
	char state[16];                    /* submitted, in_review, returned, rejected, applied */
	char reorganized[LT_DATE_BUFSZ];   /* "" when not given */
	char decision_date[LT_DATE_BUFSZ]; /* of the approving decision; "" before */
	char applied[LT_DATE_BUFSZ];       /* the date the catalogue followed; "" before */
	int64_t filer_token;               /* the token that filed it; 0 for the CLI */
	int64_t filer_system;              /* a system's request: its id */
	char filed[32], updated[32];
	char *doc; /* JSON: proposal, reason, filed_by, decision, dry_run, result */
};
void lt_request_row_clear(struct lt_request_row *r);

/* One step of a request. data is owned as above. */
struct lt_request_event {
	int64_t seq; /* gap-free, assigned by the store */
	int64_t request_id;
	char kind[16];  /* filed, reviewed, comment, returned, amended, submitted, file, rejected, applied */
	char state[16]; /* the request's state after the step */
	char unit[LT_CODE_BUFSZ];
	char who[192];
	char at[32];
	char *data; /* JSON object */
};
void lt_request_event_clear(struct lt_request_event *ev);

struct lt_request_file {
	int64_t request_id;
	int n; /* 1, 2, … within the request */
	char name[256];
	char content_type[128];
	int64_t size;
	char sha256[65];
	char role[16]; /* attachment, decision */
	char added[32];
	char who[192];
};

/* An organisation outside the state tree (organizations.h). */
struct lt_org {
	char code[LT_CODE_BUFSZ];   /* 0101234567 or 0101234567-001 */
	char parent[LT_CODE_BUFSZ]; /* a dependent unit's enterprise; else "" */
	char kind[16];              /* enterprise, cooperative, dependent */
	char name[LT_NAME_MAX];
	char address[LT_NAME_MAX];
	char email[LT_FIELD_MAX];
	char phone[64];
	char website[LT_FIELD_MAX];
	char source[128]; /* where the code comes from: the national business registry */
	char status[16];  /* active, suspended, dissolved */
	char added[32], updated[32];
};

typedef int (*lt_org_cb)(void *ctx, const struct lt_org *o);

struct lt_request_query {
	const char *state; /* NULL or "": any */
	const char *under; /* NULL or "": any unit; else the unit or a unit below it */
	bool open_only;    /* submitted, in_review or returned */
	int64_t after;     /* ids above this */
	int limit;
};

typedef int (*lt_request_cb)(void *ctx, const struct lt_request_row *r);
typedef int (*lt_request_event_cb)(void *ctx, const struct lt_request_event *ev);
typedef int (*lt_request_file_cb)(void *ctx, const struct lt_request_file *f);

/* Inserts (id 0: *id is set) or replaces the request. */
int lt_store_request_put(struct lt_store *s, struct lt_request_row *r, struct lt_err *err);
/* LT_ENOTFOUND (err untouched) when there is none. The caller clears *out. */
int lt_store_request_get(struct lt_store *s, int64_t id, struct lt_request_row *out, struct lt_err *err);
/* In id order. */
int lt_store_requests(struct lt_store *s, const struct lt_request_query *q, lt_request_cb cb, void *ctx,
		      struct lt_err *err);
/* Appends ev (seq is set on return). */
int lt_store_request_event_add(struct lt_store *s, struct lt_request_event *ev, struct lt_err *err);
/* The events of one request (request_id > 0) or of all, after seq, in order. */
int lt_store_request_events(struct lt_store *s, int64_t request_id, int64_t after, int limit, lt_request_event_cb cb,
			    void *ctx, struct lt_err *err);
/* Sets f->n to the next number of the request's files. */
int lt_store_request_file_add(struct lt_store *s, struct lt_request_file *f, struct lt_err *err);
int lt_store_request_files(struct lt_store *s, int64_t request_id, lt_request_file_cb cb, void *ctx,
			   struct lt_err *err);
int lt_store_request_file_get(struct lt_store *s, int64_t request_id, int n, struct lt_request_file *out,
			      struct lt_err *err);
/* Marks file n of the request as the approving decision's. */
int lt_store_request_file_role(struct lt_store *s, int64_t request_id, int n, const char *role, struct lt_err *err);

/* LT_ECONFLICT when the code is held already. */
int lt_store_org_add(struct lt_store *s, const struct lt_org *o, struct lt_err *err);
/* LT_ENOTFOUND (err untouched) when there is none. */
int lt_store_org_get(struct lt_store *s, const char *code, struct lt_org *out, struct lt_err *err);
/* Codes starting with code_prefix (NULL: any) and names whose folded form
 * holds name_fold (NULL: any), in code order, at most limit. */
int lt_store_orgs(struct lt_store *s, const char *code_prefix, const char *name_fold, int limit, lt_org_cb cb,
		  void *ctx, struct lt_err *err);

#endif
