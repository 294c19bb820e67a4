/* Formatting, levels and the parent/child arithmetic of agency codes. The tree
 * lives entirely in the text of a code, so none of this needs the registry. */
#include "lienthong/code.h"
#include "lienthong/text.h"

#include <stdlib.h>

char *lt_code_format(const struct lt_code *c, char buf[LT_CODE_BUFSZ])
{
	unsigned l1 = c->l1, l2 = c->l2, l3 = c->l3, l4 = c->l4;
	int w3 = (c->quirks & LT_CODE_WIDE_L3) ? 3 : 2;
	char *p = buf;
	if (c->ngroups != 2 && c->ngroups != 3) {
		p = lt_text_put_uint(p, l4 % 1000, 3);
		*p++ = '.';
	}
	if (c->ngroups != 2) {
		p = lt_text_put_uint(p, l3 % 1000, w3);
		*p++ = '.';
	}
	p = lt_text_put_uint(p, l2 % 100, 2);
	*p++ = '.';
	*p++ = c->letter;
	p = lt_text_put_uint(p, l1 % 100, 2);
	*p = '\0';
	return buf;
}

bool lt_code_is_canonical(const struct lt_code *c) { return c->quirks == 0 && c->ngroups == 4; }

int lt_code_level(const struct lt_code *c) { return 1 + (c->l2 != 0) + (c->l3 != 0) + (c->l4 != 0); }

unsigned lt_code_number(const struct lt_code *c)
{
	if (c->l4)
		return c->l4;
	if (c->l3)
		return c->l3;
	if (c->l2)
		return c->l2;
	return c->l1;
}

unsigned lt_code_max_number(int child_level)
{
	switch (child_level) {
	case 2:
	case 3:
		return 99;
	case 4:
		return 999;
	default:
		return 0;
	}
}

int lt_code_parent(const struct lt_code *c, struct lt_code *parent)
{
	struct lt_code p = *c;
	if (p.l4)
		p.l4 = 0;
	else if (p.l3)
		p.l3 = 0;
	else if (p.l2)
		p.l2 = 0;
	else
		return LT_ENOTFOUND;
	/* Zeroing the leftmost group can remove the hole that made it odd. */
	bool hole = (p.l2 == 0 && (p.l3 || p.l4)) || (p.l3 == 0 && p.l4);
	if (!hole)
		p.quirks &= (uint8_t)~LT_CODE_HOLE;
	/* A wide level-3 group that became 0 is written 00 again. */
	if (p.l3 == 0)
		p.quirks &= (uint8_t)~LT_CODE_WIDE_L3;
	*parent = p;
	return LT_OK;
}

size_t lt_code_ancestors(const struct lt_code *c, struct lt_code out[3])
{
	struct lt_code chain[4];
	size_t n = 0;
	struct lt_code cur = *c;
	while (n < 3 && lt_code_parent(&cur, &chain[n]) == LT_OK) {
		cur = chain[n];
		n++;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = chain[n - 1 - i];
	return n;
}

bool lt_code_is_ancestor(const struct lt_code *anc, const struct lt_code *c)
{
	struct lt_code cur = *c, p;
	while (lt_code_parent(&cur, &p) == LT_OK) {
		if (lt_code_equal(&p, anc))
			return true;
		cur = p;
	}
	return false;
}

int lt_code_child(const struct lt_code *parent, unsigned number, struct lt_code *child, struct lt_err *err)
{
	char buf[LT_CODE_BUFSZ];
	if (!lt_code_is_canonical(parent))
		return lt_err_set(err, LT_EINVAL, "%s is not a canonical code: no new code is issued under it",
				  lt_code_format(parent, buf));
	int level = lt_code_level(parent);
	if (level >= 4)
		return lt_err_set(err, LT_ERULE, "%s is a level-4 unit: codes have no fifth level",
				  lt_code_format(parent, buf));
	unsigned max = lt_code_max_number(level + 1);
	if (number < 1 || number > max)
		return lt_err_set(err, LT_EINVAL, "number %u is outside 1..%u for a level-%d unit", number, max,
				  level + 1);
	struct lt_code c = *parent;
	if (level == 1)
		c.l2 = (uint8_t)number;
	else if (level == 2)
		c.l3 = (uint16_t)number;
	else
		c.l4 = (uint16_t)number;
	*child = c;
	return LT_OK;
}

int lt_code_next_free(int child_level, const unsigned *used, size_t n_used, unsigned *out, struct lt_err *err)
{
	unsigned max = lt_code_max_number(child_level);
	if (!max)
		return lt_err_set(err, LT_EINVAL, "no child level %d: children are levels 2 to 4", child_level);
	unsigned char taken[1000] = {0};
	for (size_t i = 0; i < n_used; i++)
		if (used[i] >= 1 && used[i] <= max)
			taken[used[i]] = 1;
	for (unsigned n = 1; n <= max; n++) {
		if (!taken[n]) {
			*out = n;
			return LT_OK;
		}
	}
	return lt_err_set(err, LT_ERULE,
			  "all %u level-%d numbers under this parent have been used (closed codes are never "
			  "reissued)",
			  max, child_level);
}

static int cmp_u(unsigned a, unsigned b) { return (a > b) - (a < b); }

int lt_code_cmp(const struct lt_code *a, const struct lt_code *b)
{
	int r;
	if ((r = cmp_u((unsigned char)a->letter, (unsigned char)b->letter)) || (r = cmp_u(a->l1, b->l1)) ||
	    (r = cmp_u(a->l2, b->l2)) || (r = cmp_u(a->l3, b->l3)) || (r = cmp_u(a->l4, b->l4)) ||
	    (r = cmp_u(b->ngroups, a->ngroups)))
		return r;
	return cmp_u(a->quirks, b->quirks);
}

bool lt_code_equal(const struct lt_code *a, const struct lt_code *b) { return lt_code_cmp(a, b) == 0; }
