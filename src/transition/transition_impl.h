/* Internals of the plan engine: a plan as parsed, before any code an
 * earlier step makes is known. */
#ifndef LT_TRANSITION_IMPL_H
#define LT_TRANSITION_IMPL_H

#include "lienthong/transition.h"

/* A code a step takes: a literal (step < 0) or the unit an earlier step
 * made ({"step":I} or, for a split, {"step":I,"part":K}). */
struct slot {
	char code[LT_CODE_BUFSZ];
	int step, part;
};

/* The reorganisation kinds first, in enum lt_reorg_kind's order. */
enum step_kind { SK_MOVE, SK_SPLIT, SK_MERGE, SK_DISSOLVE, SK_ISSUE, SK_RENAME, SK_N };
extern const char *const lt__step_kinds[SK_N];

struct pstep {
	enum step_kind kind;
	bool ok; /* passed the checks made before anything is written */
	struct slot *from;
	size_t n_from;
	bool has_into_code;
	struct slot into_code;
	struct slot *into_parent; /* per into: its parent */
	struct lt_new_unit *into; /* names and numbers; parents filled at apply time */
	size_t n_into;
	struct lt_child_place *children;
	size_t n_children;
	bool across_groups;
	struct slot code;   /* rename */
	struct slot parent; /* issue */
	char name[LT_NAME_MAX];
	unsigned number;
	struct lt_contact contact;
};

struct plan {
	struct lt_decision d;
	char kind[128];
	char effective[LT_DATE_BUFSZ];
	char reorganized[LT_DATE_BUFSZ];
	char recorded[LT_DATE_BUFSZ]; /* the day the catalogue recorded it; "": today */
	char title[LT_NAME_MAX];
	struct pstep *steps;
	size_t n;
};

/* Appends {"step","field","code","reason"} to refusals (step < 0: null). */
void lt__plan_refuse(json_t *refusals, int step, const char *field, int status, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Parses plan into p, appending a refusal for each fault found without
 * reading the registry; a step with one is marked !ok. LT_ENOMEM only. */
int lt__plan_parse(const json_t *plan, struct plan *p, json_t *refusals, struct lt_err *err);
void lt__plan_free(struct plan *p);

#endif
