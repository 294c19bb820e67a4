/* A unit of the registry: an agency with its code, data, status and the
 * decision behind its last change. Fixed-size fields, so a struct lt_unit
 * owns nothing and can be copied freely. */
#ifndef LIENTHONG_UNIT_H
#define LIENTHONG_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lienthong/code.h"
#include "lienthong/text.h"

#define LT_NAME_MAX 512
#define LT_FIELD_MAX 256

enum lt_unit_status { LT_UNIT_ACTIVE = 0, LT_UNIT_CLOSED = 1 };

struct lt_decision {
	char number[128];
	char date[LT_DATE_BUFSZ];
	char issuer[LT_FIELD_MAX];
};

struct lt_contact {
	char address[LT_NAME_MAX];
	char email[LT_FIELD_MAX];
	char phone[64];
	char fax[64];
	char website[LT_FIELD_MAX];
};

struct lt_unit {
	char code[LT_CODE_BUFSZ];
	char parent[LT_CODE_BUFSZ]; /* "" for a level-1 unit */
	int level;
	char name[LT_NAME_MAX];
	struct lt_contact contact;
	enum lt_unit_status status;
	char valid_from[LT_DATE_BUFSZ];
	char valid_to[LT_DATE_BUFSZ]; /* "" while active */
	struct lt_decision decision;
	/* The compliance dates of design.md §4: when the reorganisation happened,
	 * and when the change reached the catalogue. */
	char reorganized[LT_DATE_BUFSZ];
	char recorded[LT_DATE_BUFSZ];
	int64_t version; /* bumped on every change; the HTTP ETag */
};

/* A growable list of codes. Owns its array: free with lt_codelist_free. */
struct lt_codelist {
	char (*codes)[LT_CODE_BUFSZ];
	size_t n, cap;
};
int lt_codelist_add(struct lt_codelist *l, const char *code);
bool lt_codelist_has(const struct lt_codelist *l, const char *code);
void lt_codelist_free(struct lt_codelist *l);

/* True when every field of the decision is set and its date is valid. */
bool lt_decision_complete(const struct lt_decision *d);

#endif
