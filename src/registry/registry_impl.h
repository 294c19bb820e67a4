/* Internals shared by the registry's files. */
#ifndef LT_REGISTRY_IMPL_H
#define LT_REGISTRY_IMPL_H

#include "lienthong/catalogue.h"
#include "lienthong/registry.h"

struct lt_registry {
	struct lt_store *store;
	/* local_scope (lt_registry_set_local_scope): set once at start-up. */
	char scope[LT_SCOPE_MAX][LT_CODE_BUFSZ];
	size_t n_scope;
	bool publishing; /* changes in scope are published upstream (lt_registry_set_publishing) */
};

/* The mirror's copy of a code outside local_scope, for the reads that fall
 * back on it: LT_ENOTFOUND (err untouched) when the code is inside the
 * scope or not mirrored. successors and predecessors may be NULL. */
int lt__mirror_unit(struct lt_registry *r, const char *code, struct lt_unit *out, struct lt_codelist *successors,
		    struct lt_codelist *predecessors, struct lt_err *err);

/* Checks a decision is complete and normalises its date. */
int lt__decision_check(const struct lt_decision *in, struct lt_decision *out, struct lt_err *err);
/* Normalises an effective date; "" means today. */
int lt__effective_check(const char *in, char out[LT_DATE_BUFSZ], struct lt_err *err);
/* Checks a name and contact fields: clean UTF-8, lengths, email and phone forms. */
int lt__name_check(const char *name, struct lt_err *err);
int lt__contact_check(const struct lt_contact *c, struct lt_err *err);

/* Records a change (the decision behind one operation), ctx->who as its
 * actor; sets *id. */
int lt__change_add(struct lt_registry *r, const struct lt_ctx *ctx, const char *kind, const struct lt_decision *d,
		   const char *effective, const char *reorganized, json_t *summary, int64_t *id, struct lt_err *err);
/* The same, recorded on a given day (history brought in); NULL: today. */
int lt__change_add_at(struct lt_registry *r, const struct lt_ctx *ctx, const char *kind, const struct lt_decision *d,
		      const char *effective, const char *reorganized, const char *recorded, json_t *summary,
		      int64_t *id, struct lt_err *err);

/* Appends an event carrying the unit's state after the change; extra (may be
 * NULL) is merged into the event data and its reference is stolen. */
int lt__event_add(struct lt_registry *r, const struct lt_ctx *ctx, int64_t change_id, const char *kind,
		  const struct lt_unit *u, const char *effective, json_t *extra, struct lt_err *err);

/* A child code under parent: the wanted number if it was never used, else
 * (wanted == 0) the smallest never-used number. */
int lt__allocate(struct lt_registry *r, const char *parent, unsigned wanted, char out[LT_CODE_BUFSZ],
		 struct lt_err *err);

/* Looks a unit up and requires it active; the message names its successors
 * when it is closed. */
int lt__get_active(struct lt_registry *r, const char *code, struct lt_unit *out, struct lt_err *err);

/* Refuses a change to code effective before the unit's latest recorded
 * change, which would make as-of reads show a state that never stood. */
int lt__check_not_before(struct lt_registry *r, const char *code, const char *effective, struct lt_err *err);

/* The value of a field as the CSV parser hands it (v[0..len), writable,
 * v[len] included): surrounding blanks dropped, and the apostrophe that
 * lt_registry_csv_field put before a formula-like value removed. In place;
 * returns the new length. */
size_t lt__csv_cell_value(char *v, size_t len);

/* Parses a code strictly into canonical text. */
int lt__code_canon(const char *in, char out[LT_CODE_BUFSZ], struct lt_err *err);

/* Ends a transaction: commit when rc is LT_OK, otherwise roll back. */
#define LT_TXN_END(r, rc, err)                                                                                         \
	do {                                                                                                           \
		if ((rc) == LT_OK)                                                                                     \
			(rc) = lt_store_commit((r)->store, (err));                                                     \
		else                                                                                                   \
			lt_store_rollback((r)->store);                                                                 \
	} while (0)

#endif
