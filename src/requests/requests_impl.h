/* Internals shared by the files of the requests module. */
#ifndef LT_REQUESTS_IMPL_H
#define LT_REQUESTS_IMPL_H

#include <limits.h>

#include "lienthong/requests.h"

struct lt_requests {
	struct lt_registry *reg;
	struct lt_store *store;
	char dir[PATH_MAX]; /* data_dir/requests */
	uint64_t max_file_bytes;
};

enum req_kind { RK_ISSUE, RK_RENAME, RK_UPDATE, RK_MOVE, RK_SPLIT, RK_MERGE, RK_DISSOLVE, RK_PLAN, RK_N };
extern const char *const lt__request_kinds[RK_N];

/* A proposal parsed into the registry's request shapes. Owns its arrays. */
struct proposal {
	enum req_kind kind;
	char unit[LT_CODE_BUFSZ];
	struct lt_issue issue;         /* issue */
	char name[LT_NAME_MAX];        /* rename */
	char effective[LT_DATE_BUFSZ]; /* issue, rename, reorganisations */
	struct lt_contact contact;     /* update: the fields given */
	unsigned contact_given;        /* bit i: contact field i */
	struct lt_reorg reorg;         /* move, split, merge, dissolve */
	char (*from)[LT_CODE_BUFSZ];
	struct lt_new_unit *into;
	struct lt_child_place *kids;
	json_t *plan; /* plan: its steps, effective date and title, without the decision */
	/* Every code it touches: writes need lt_access_write, reorgs
	 * lt_access_reorganise (a rename or the units reorganised). */
	struct lt_codelist writes, reorgs;
};

/* Parses the proposal of a request of kind about unit; LT_EINVAL naming the
 * field when it is malformed. */
int lt__proposal_parse(const char *kind, const char *unit, json_t *o, struct proposal *p, struct lt_err *err);
void lt__proposal_free(struct proposal *p);
/* Runs the proposal through the registry with decision d (NULL for a
 * contact update) of kind d_kind (a plan records it) inside the caller's
 * transaction; *result (caller owns) describes what it did. */
int lt__proposal_apply(struct lt_registry *r, const struct lt_ctx *ctx, struct proposal *p, const struct lt_decision *d,
		       const char *d_kind, const char *reorganized, json_t **result, struct lt_err *err);
/* Each touched code as the registry has it now: {code: {name, parent, status}}. */
json_t *lt__proposal_base(struct lt_registry *r, const struct proposal *p);

/* "requester:token-7", "system:3:token-9", "cli" for the events. */
void lt__who_text(const struct lt_principal *p, char *out, size_t cap);

#endif
