/* Parsing agency identifier codes. Every refusal names the character or group
 * at fault, because the people who read these messages are typing codes from
 * a printed decision. */
#include "lienthong/code.h"

#include <string.h>

#define MAX_GROUPS 5 /* one more than legal, to report "too many groups" */

struct group {
	const char *s;
	size_t len;
	size_t pos; /* 1-based position of its first character */
};

static const char *level_name(int idx_from_right)
{
	static const char *names[] = {"level-1", "level-2", "level-3", "level-4"};
	return idx_from_right < 4 ? names[idx_from_right] : "extra";
}

static int check_chars(const char *s, size_t len, struct lt_err *err)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x80)
			return lt_err_set(err, LT_EINVAL,
					  "non-ASCII character at position %zu: codes use plain ASCII digits, "
					  "upper-case letters and dots",
					  i + 1);
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f')
			return lt_err_set(err, LT_EINVAL,
					  "whitespace at position %zu: remove spaces around and inside the code",
					  i + 1);
		if (ch < 0x20 || ch == 0x7f)
			return lt_err_set(err, LT_EINVAL, "control character at position %zu", i + 1);
		if (ch == ',' || ch == '-' || ch == '/' || ch == '_' || ch == ':')
			return lt_err_set(err, LT_EINVAL,
					  "'%c' at position %zu: groups are separated by dots, as in 000.00.00.G22", ch,
					  i + 1);
	}
	return LT_OK;
}

/* More than four groups is most often a stray dot (a code copied with the
 * full stop of its sentence): name the dot rather than count the groups. */
static int too_many_groups(const char *s, size_t len, struct lt_err *err)
{
	if (s[0] == '.')
		return lt_err_set(err, LT_EINVAL, "the code starts with a dot: remove it");
	if (s[len - 1] == '.')
		return lt_err_set(err, LT_EINVAL, "the code ends with a dot at position %zu: remove it", len);
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			return lt_err_set(err, LT_EINVAL, "two dots in a row at position %zu", i + 1);
	return lt_err_set(err, LT_EINVAL, "too many groups: a code has four groups, L4.L3.L2.L1");
}

static int split_groups(const char *s, size_t len, struct group g[MAX_GROUPS], size_t *n, struct lt_err *err)
{
	size_t count = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (count == MAX_GROUPS)
			return too_many_groups(s, len, err);
		g[count].s = s + start;
		g[count].len = i - start;
		g[count].pos = start + 1;
		count++;
		start = i + 1;
	}
	if (count == MAX_GROUPS)
		return too_many_groups(s, len, err);
	*n = count;
	return LT_OK;
}

static bool all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

static unsigned digits_value(const char *s, size_t len)
{
	unsigned v = 0;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

static int parse_level1(const struct group *g, unsigned flags, struct lt_code *c, struct lt_err *err)
{
	if (g->len == 0)
		return lt_err_set(err, LT_EINVAL,
				  "the code ends with a dot: the last group must be the level-1 "
				  "letter and number, as in G22");
	char letter = g->s[0];
	if (letter >= 'a' && letter <= 'z')
		return lt_err_set(err, LT_EINVAL, "level-1 letter '%c' at position %zu must be upper case ('%c')",
				  letter, g->pos, letter - 'a' + 'A');
	if (letter < 'A' || letter > 'Z')
		return lt_err_set(err, LT_EINVAL,
				  "level-1 group '%.*s' at position %zu must start with a letter (A to K), as in G22",
				  (int)g->len, g->s, g->pos);
	if (g->len >= 3 && all_digits(g->s + 1, 2) && g->len > 3)
		return lt_err_set(err, LT_EINVAL, "unexpected characters '%.*s' after the level-1 group %.3s",
				  (int)(g->len - 3), g->s + 3, g->s);
	if (g->len != 3 || !all_digits(g->s + 1, 2))
		return lt_err_set(
			err, LT_EINVAL,
			"level-1 group '%.*s' at position %zu must be a letter and exactly two digits, as in G22",
			(int)g->len, g->s, g->pos);
	const struct lt_code_group *grp = lt_code_group(letter);
	if (!grp)
		return lt_err_set(err, LT_EINVAL, "unknown level-1 group letter '%c': legal groups are A to K", letter);
	unsigned num = digits_value(g->s + 1, 2);
	if (!grp->legal && !(flags & LT_CODE_SYSTEM))
		return lt_err_set(err, LT_EINVAL, "letter %c is reserved for system identifiers, not agencies", letter);
	if (num == 0 && !(flags & LT_CODE_SYSTEM))
		return lt_err_set(err, LT_EINVAL, "level-1 number %c00 is not used by any agency: numbers run 01 to 99",
				  letter);
	c->letter = letter;
	c->l1 = (uint8_t)num;
	if (!grp->legal || num == 0)
		c->quirks |= LT_CODE_SYSID;
	return LT_OK;
}

/* Width rules per level, counted from the right: L2 two digits, L3 two (three
 * when lenient), L4 three. */
static int parse_digit_group(const struct group *g, int idx, unsigned flags, struct lt_code *c, struct lt_err *err)
{
	const char *lname = level_name(idx);
	if (g->len == 0)
		return lt_err_set(err, LT_EINVAL,
				  "%s group at position %zu is empty: write zeros for a level "
				  "with no unit",
				  lname, g->pos);
	if (!all_digits(g->s, g->len))
		return lt_err_set(err, LT_EINVAL, "%s group '%.*s' at position %zu must contain only digits 0-9", lname,
				  (int)g->len, g->s, g->pos);
	size_t want = idx == 3 ? 3 : 2;
	bool wide_ok = idx == 2 && g->len == 3 && (flags & LT_CODE_LENIENT);
	if (g->len != want && !wide_ok)
		return lt_err_set(err, LT_EINVAL, "%s group '%.*s' at position %zu has %zu digit%s, expected %zu",
				  lname, (int)g->len, g->s, g->pos, g->len, g->len == 1 ? "" : "s", want);
	unsigned v = digits_value(g->s, g->len);
	switch (idx) {
	case 1:
		c->l2 = (uint8_t)v;
		break;
	case 2:
		c->l3 = (uint16_t)v;
		if (wide_ok)
			c->quirks |= LT_CODE_WIDE_L3;
		break;
	default:
		c->l4 = (uint16_t)v;
		break;
	}
	return LT_OK;
}

int lt_code_parsen(struct lt_code *out, const char *text, size_t len, unsigned flags, struct lt_err *err)
{
	if (!text || len == 0)
		return lt_err_set(err, LT_EINVAL, "empty code: expected the form 000.00.00.G22");
	if (len > 64)
		return lt_err_set(err, LT_EINVAL, "code is %zu characters long: a code has 13, as in 000.00.00.G22",
				  len);
	int rc = check_chars(text, len, err);
	if (rc)
		return rc;
	struct group g[MAX_GROUPS];
	size_t n = 0;
	if ((rc = split_groups(text, len, g, &n, err)))
		return rc;

	struct lt_code c = {0};
	if ((rc = parse_level1(&g[n - 1], flags, &c, err)))
		return rc;
	size_t min_groups = (c.quirks & LT_CODE_SYSID) ? 2 : 4;
	if (n < min_groups)
		return lt_err_set(err, LT_EINVAL, "expected four groups separated by dots (000.00.00.G22), found %zu%s",
				  n, n == 1 ? ": the level-1 group alone is written 000.00.00.X99" : "");
	for (size_t i = 1; i < n; i++)
		if ((rc = parse_digit_group(&g[n - 1 - i], (int)i, flags, &c, err)))
			return rc;
	c.ngroups = (uint8_t)n;
	if (n < 4)
		c.quirks |= LT_CODE_SHORT;

	/* A hole: a deeper group set while a shallower one is zero. */
	int hole_deep = 0, hole_zero = 0; /* levels of the set group and of the zero above it */
	if (c.l2 == 0 && (c.l3 || c.l4))
		hole_deep = c.l3 ? 3 : 4, hole_zero = 2;
	else if (c.l3 == 0 && c.l4)
		hole_deep = 4, hole_zero = 3;
	if (hole_deep) {
		if (!(flags & LT_CODE_LENIENT))
			return lt_err_set(err, LT_EINVAL,
					  "non-canonical code: the level-%d group is set while the level-%d group "
					  "is zero (a hole, as in 001.00.10.H47); accepted only in lenient mode",
					  hole_deep, hole_zero);
		c.quirks |= LT_CODE_HOLE;
	}
	*out = c;
	return LT_OK;
}

int lt_code_parse(struct lt_code *out, const char *text, unsigned flags, struct lt_err *err)
{
	return lt_code_parsen(out, text, text ? strlen(text) : 0, flags, err);
}
