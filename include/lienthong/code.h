/* Electronic identifier codes of agencies (QĐ 20/2020/QĐ-TTg, QCVN 102:2016):
 * `L4.L3.L2.L1`, e.g. `000.00.04.G14`, read right to left. Pure functions, no I/O.
 * Also the enterprise identifier grammar (10 digits, optional -NNN). */
#ifndef LIENTHONG_CODE_H
#define LIENTHONG_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lienthong/err.h"

#define LT_CODE_LEN 13   /* canonical text length */
#define LT_CODE_BUFSZ 20 /* enough for every lenient form plus NUL */

/* Parse modes. Strict is what new allocations require. */
enum lt_code_flags {
	LT_CODE_STRICT = 0,
	/* Accept forms seen in real traffic: hole codes (`001.00.10.H47`) and a
	 * three-digit level-3 group (`999.010.01.H22`). */
	LT_CODE_LENIENT = 1u << 0,
	/* Accept the `W` group and number 00 of VXP system identifiers, including
	 * their short forms (`00.22.W00`). Implies nothing else. */
	LT_CODE_SYSTEM = 1u << 1,
	/* For an edXML OrganId only (lt_edxml_organ_id_set): an enterprise
	 * identifier is accepted as well. lt_code_parse ignores it. */
	LT_CODE_ENTERPRISE = 1u << 2,
};

/* Properties found while parsing; a canonical code has none. */
enum lt_code_quirks {
	LT_CODE_HOLE = 1u << 0,    /* a deeper group set under an all-zero one */
	LT_CODE_WIDE_L3 = 1u << 1, /* level-3 group written with three digits */
	LT_CODE_SHORT = 1u << 2,   /* fewer than four groups (system IDs) */
	LT_CODE_SYSID = 1u << 3,   /* letter W or number 00 */
};

struct lt_code {
	char letter;     /* 'A'..'K', or 'W' for system identifiers */
	uint8_t l1;      /* level-1 number, 1..99 (0 only for system IDs) */
	uint8_t l2;      /* 0 = no level-2 unit */
	uint16_t l3;     /* 0 = no level-3 unit; <= 99 unless LT_CODE_WIDE_L3 */
	uint16_t l4;     /* 0 = no level-4 unit; <= 999 */
	uint8_t ngroups; /* groups written, 4 for every canonical code */
	uint8_t quirks;  /* enum lt_code_quirks */
};

/* Parses NUL-terminated text. On failure err says which character or group is
 * wrong and why, and *out is untouched. */
int lt_code_parse(struct lt_code *out, const char *text, unsigned flags, struct lt_err *err);

/* Same, for text that is not NUL-terminated (a URL segment, a fuzz input). */
int lt_code_parsen(struct lt_code *out, const char *text, size_t len, unsigned flags, struct lt_err *err);

/* Writes the code's text into buf (LT_CODE_BUFSZ bytes) and returns buf.
 * Lenient forms are written back as they were read. */
char *lt_code_format(const struct lt_code *c, char buf[LT_CODE_BUFSZ]);

/* True when the code needs no lenient flag at all. */
bool lt_code_is_canonical(const struct lt_code *c);

/* Level 1..4: the number of non-zero groups. */
int lt_code_level(const struct lt_code *c);

/* The number of the code's own (leftmost non-zero) group: 7 for 000.00.07.G14. */
unsigned lt_code_number(const struct lt_code *c);

/* The largest number a child at child_level may take: 99, or 999 at level 4.
 * Returns 0 for a level outside 2..4. */
unsigned lt_code_max_number(int child_level);

/* The code with its leftmost non-zero group set to zero. LT_ENOTFOUND for a
 * level-1 code, which has no parent. */
int lt_code_parent(const struct lt_code *c, struct lt_code *parent);

/* Fills out[] with the ancestors, the level-1 code first, and returns how
 * many (level - 1). out must hold 3 codes. */
size_t lt_code_ancestors(const struct lt_code *c, struct lt_code out[3]);

/* True if anc is a proper ancestor of c. */
bool lt_code_is_ancestor(const struct lt_code *anc, const struct lt_code *c);

/* The child of a canonical parent with the given number (fills the next zero
 * group). Refuses a level-4 parent, a non-canonical parent and numbers
 * outside 1..max. */
int lt_code_child(const struct lt_code *parent, unsigned number, struct lt_code *child, struct lt_err *err);

/* The smallest number in 1..max for a child at child_level that is not in
 * used[] (every number ever used under the parent, closed ones included, in
 * any order). LT_ERULE when the range is full. */
int lt_code_next_free(int child_level, const unsigned *used, size_t n_used, unsigned *out, struct lt_err *err);

/* Tree order: by letter, level-1 number, then each deeper group, so a parent
 * sorts right before its subtree. */
int lt_code_cmp(const struct lt_code *a, const struct lt_code *b);
bool lt_code_equal(const struct lt_code *a, const struct lt_code *b);

/* The level-1 group letters and what kind of body each holds. */
struct lt_code_group {
	char letter;
	const char *name_vi; /* Vietnamese description */
	const char *name_en;
	bool legal; /* false for W (system IDs only) */
};
/* NULL for a letter that is no group. */
const struct lt_code_group *lt_code_group(char letter);
/* The table itself, n set to its length. */
const struct lt_code_group *lt_code_groups(size_t *n);

/* Enterprise and cooperative identifiers: 10 digits, optionally `-NNN` for a
 * dependent unit (branch), NNN in 001..999. */
struct lt_enterprise {
	char base[11];   /* the 10 digits */
	uint16_t branch; /* 0 = the enterprise itself */
};
int lt_enterprise_parse(struct lt_enterprise *out, const char *text, struct lt_err *err);
/* buf must hold 15 bytes. */
char *lt_enterprise_format(const struct lt_enterprise *e, char buf[15]);

#endif
