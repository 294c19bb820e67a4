/* Unit tests for the agency identifier code grammar (formats.md §1, design.md
 * §3): parsing in every mode, the refusal messages, formatting, the tree
 * arithmetic and the enterprise identifier grammar. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/code.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------ */

/* Parses text that must be accepted in the given mode. */
static struct lt_code must_parse(const char *text, unsigned flags)
{
	struct lt_code c;
	struct lt_err err = {0};
	int rc = lt_code_parse(&c, text, flags, &err);
	if (rc != LT_OK)
		fail_msg("'%s' (flags %u) refused: %s", text, flags, err.msg);
	return c;
}

static void assert_formats_as(const struct lt_code *c, const char *want)
{
	char buf[LT_CODE_BUFSZ];
	assert_string_equal(lt_code_format(c, buf), want);
}

/* A code with every byte set, so that "out is untouched" can be checked. */
static struct lt_code sentinel_code(void)
{
	struct lt_code c;
	memset(&c, 0xA5, sizeof c);
	return c;
}

/* Field by field: struct copies need not keep the padding bytes. */
static void assert_untouched(const struct lt_code *c)
{
	struct lt_code s = sentinel_code();
	if (c->letter != s.letter || c->l1 != s.l1 || c->l2 != s.l2 || c->l3 != s.l3 || c->l4 != s.l4 ||
	    c->ngroups != s.ngroups || c->quirks != s.quirks)
		fail_msg("the output code was written on failure");
}

/* ---- the examples of formats.md §1.2 and §1.4 ---------------------------- */

struct example {
	const char *text;
	int level;
	const char *parent; /* NULL for level 1 */
	char letter;
	unsigned number; /* lt_code_number */
};

static const struct example examples[] = {
	/* §1.2 */
	{"000.00.00.H14", 1, NULL, 'H', 14},
	{"000.00.04.G14", 2, "000.00.00.G14", 'G', 4},
	{"000.46.24.H44", 3, "000.00.24.H44", 'H', 46},
	{"000.00.24.H44", 2, "000.00.00.H44", 'H', 24},
	{"000.00.11.H53", 2, "000.00.00.H53", 'H', 11},
	{"000.00.01.A53", 2, "000.00.00.A53", 'A', 1},
	{"000.00.00.G22", 1, NULL, 'G', 22},
	/* §1.3 and §1.4 */
	{"000.00.00.K41", 1, NULL, 'K', 41},
	{"000.00.00.K57", 1, NULL, 'K', 57},
	{"000.00.00.K14", 1, NULL, 'K', 14},
	{"000.00.00.H57", 1, NULL, 'H', 57},
	{"000.00.00.H22", 1, NULL, 'H', 22},
	{"000.00.00.H29", 1, NULL, 'H', 29},
	{"000.00.00.H38", 1, NULL, 'H', 38},
	{"000.00.00.H47", 1, NULL, 'H', 47},
	{"000.00.00.H63", 1, NULL, 'H', 63},
	{"000.00.00.H01", 1, NULL, 'H', 1},
	{"000.00.18.G12", 2, "000.00.00.G12", 'G', 18},
	{"000.00.34.G12", 2, "000.00.00.G12", 'G', 34},
	{"000.00.01.G12", 2, "000.00.00.G12", 'G', 1},
	{"000.00.58.G12", 2, "000.00.00.G12", 'G', 58},
	{"000.00.00.G66", 1, NULL, 'G', 66},
	{"000.00.00.G13", 1, NULL, 'G', 13},
	{"000.00.00.G01", 1, NULL, 'G', 1},
	{"000.00.00.G40", 1, NULL, 'G', 40},
	{"000.00.00.B01", 1, NULL, 'B', 1},
	{"000.00.00.C01", 1, NULL, 'C', 1},
	{"000.00.00.D01", 1, NULL, 'D', 1},
	{"000.00.00.E01", 1, NULL, 'E', 1},
	{"000.00.00.F01", 1, NULL, 'F', 1},
	{"000.00.00.I01", 1, NULL, 'I', 1},
	{"000.00.00.I06", 1, NULL, 'I', 6},
	{"000.00.00.J28", 1, NULL, 'J', 28},
	{"000.00.00.C99", 1, NULL, 'C', 99},
	{"000.00.00.A99", 1, NULL, 'A', 99},
	/* level 4, derived by the rule of §1.2 */
	{"001.46.24.H44", 4, "000.46.24.H44", 'H', 1},
	{"999.99.99.K99", 4, "000.99.99.K99", 'K', 999},
	{"123.45.67.G14", 4, "000.45.67.G14", 'G', 123},
};

static void test_examples_parse_strictly(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(examples); i++) {
		const struct example *ex = &examples[i];
		struct lt_code c = must_parse(ex->text, LT_CODE_STRICT);
		if (lt_code_level(&c) != ex->level)
			fail_msg("%s: level %d, want %d", ex->text, lt_code_level(&c), ex->level);
		assert_int_equal(c.letter, ex->letter);
		assert_int_equal(lt_code_number(&c), ex->number);
		assert_int_equal(c.ngroups, 4);
		assert_int_equal(c.quirks, 0);
		assert_true(lt_code_is_canonical(&c));
		assert_formats_as(&c, ex->text);

		struct lt_code p = sentinel_code();
		int rc = lt_code_parent(&c, &p);
		if (!ex->parent) {
			assert_int_equal(rc, LT_ENOTFOUND);
			assert_untouched(&p);
			continue;
		}
		assert_int_equal(rc, LT_OK);
		char buf[LT_CODE_BUFSZ];
		if (strcmp(lt_code_format(&p, buf), ex->parent) != 0)
			fail_msg("%s: parent %s, want %s", ex->text, buf, ex->parent);
		assert_int_equal(lt_code_level(&p), ex->level - 1);
		assert_true(lt_code_is_canonical(&p));
		assert_true(lt_code_is_ancestor(&p, &c));
		/* The parent's text parses to the same struct. */
		struct lt_code p2 = must_parse(ex->parent, LT_CODE_STRICT);
		assert_true(lt_code_equal(&p, &p2));
	}
}

static void test_example_fields(void **state)
{
	(void)state;
	struct lt_code c = must_parse("123.45.67.G14", LT_CODE_STRICT);
	assert_int_equal(c.letter, 'G');
	assert_int_equal(c.l1, 14);
	assert_int_equal(c.l2, 67);
	assert_int_equal(c.l3, 45);
	assert_int_equal(c.l4, 123);

	c = must_parse("000.46.24.H44", LT_CODE_STRICT);
	assert_int_equal(c.l1, 44);
	assert_int_equal(c.l2, 24);
	assert_int_equal(c.l3, 46);
	assert_int_equal(c.l4, 0);

	/* Strict parses are also accepted unchanged by every other mode. */
	static const unsigned modes[] = {LT_CODE_LENIENT, LT_CODE_SYSTEM, LT_CODE_LENIENT | LT_CODE_SYSTEM};
	for (size_t i = 0; i < ARRAY_LEN(examples); i++) {
		struct lt_code s = must_parse(examples[i].text, LT_CODE_STRICT);
		for (size_t m = 0; m < ARRAY_LEN(modes); m++) {
			struct lt_code o = must_parse(examples[i].text, modes[m]);
			assert_true(lt_code_equal(&s, &o));
			assert_int_equal(o.quirks, 0);
		}
	}
}

/* parsen reads exactly len bytes: a URL segment need not end in NUL. */
static void test_parsen(void **state)
{
	(void)state;
	const char *seg = "000.00.04.G14/children";
	struct lt_code c;
	struct lt_err err = {0};
	assert_int_equal(lt_code_parsen(&c, seg, 13, LT_CODE_STRICT, &err), LT_OK);
	assert_formats_as(&c, "000.00.04.G14");

	/* One byte short, one byte long. */
	c = sentinel_code();
	assert_int_equal(lt_code_parsen(&c, seg, 12, LT_CODE_STRICT, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "exactly two digits"));
	assert_untouched(&c);
	assert_int_equal(lt_code_parsen(&c, seg, 14, LT_CODE_STRICT, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "'/' at position 14"));
	assert_untouched(&c);

	/* Zero length, even with text behind the pointer. */
	assert_int_equal(lt_code_parsen(&c, seg, 0, LT_CODE_STRICT, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "empty code"));
	assert_untouched(&c);

	/* An embedded NUL is a control character, not the end of the code. */
	static const char nul[] = "000.00.00\0.H14";
	assert_int_equal(lt_code_parsen(&c, nul, sizeof nul - 1, LT_CODE_STRICT, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "control character at position 10"));
	assert_untouched(&c);

	/* A refusal without an lt_err still returns the status. */
	assert_int_equal(lt_code_parse(&c, "000.00.00.h14", LT_CODE_STRICT, NULL), LT_EINVAL);
	assert_int_equal(lt_code_parse(&c, NULL, LT_CODE_STRICT, NULL), LT_EINVAL);
	assert_untouched(&c);
}

/* ---- malformed input ----------------------------------------------------- */

struct bad {
	const char *text; /* NULL is a test case of its own */
	unsigned flags;
	int status;
	const char *want; /* must appear in err.msg */
	bool strict_only; /* accepted by LENIENT|SYSTEM */
};

#define S LT_CODE_STRICT
#define L LT_CODE_LENIENT
#define Y LT_CODE_SYSTEM
#define E LT_EINVAL

static const struct bad bad_codes[] = {
	/* lengths */
	{"000.00.00.H1", S, E, "'H1' at position 11 must be a letter and exactly two digits", false},
	{"000.00.00.H140", S, E, "unexpected characters '0' after the level-1 group H14", false},
	{"000.00.00.G9", S, E, "'G9' at position 11 must be a letter and exactly two digits", false},
	{"000.00.00.G", S, E, "'G' at position 11 must be a letter and exactly two digits", false},
	{"0000.00.00.H14", S, E, "level-4 group '0000' at position 1 has 4 digits, expected 3", false},
	{"000.0000.00.H14", S, E, "level-3 group '0000' at position 5 has 4 digits, expected 2", false},
	{"000.00.0000.H14", S, E, "level-2 group '0000' at position 8 has 4 digits, expected 2", false},
	{"999.0100.01.H22", L, E, "level-3 group '0100' at position 5 has 4 digits", false},
	{"0.00.00.H14", S, E, "level-4 group '0' at position 1 has 1 digit, expected 3", false},
	{"00.00.00.H14", S, E, "level-4 group '00' at position 1 has 2 digits, expected 3", false},
	{"000.0.00.H14", S, E, "level-3 group '0' at position 5 has 1 digit, expected 2", false},
	{"000.00.0.H14", S, E, "level-2 group '0' at position 8 has 1 digit, expected 2", false},
	{"000.00.000.H14", L, E, "level-2 group '000' at position 8 has 3 digits, expected 2", false},
	{"000.000.00.H14", S, E, "level-3 group '000' at position 5 has 3 digits, expected 2", true},
	{"999.010.01.H22", S, E, "level-3 group '010' at position 5 has 3 digits, expected 2", true},
	/* letters */
	{"000.00.00.h14", S, E, "level-1 letter 'h' at position 11 must be upper case ('H')", false},
	{"000.00.04.g14", S, E, "level-1 letter 'g' at position 11 must be upper case ('G')", false},
	{"000.00.00.L14", S, E, "unknown level-1 group letter 'L'", false},
	{"000.00.00.X14", S, E, "unknown level-1 group letter 'X'", false},
	{"000.00.00.Z14", S, E, "unknown level-1 group letter 'Z'", false},
	{"000.00.00.1H4", S, E, "'1H4' at position 11 must start with a letter", false},
	{"000.00.00.0014", S, E, "'0014' at position 11 must start with a letter", false},
	{"000.00.00.HAB", S, E, "'HAB' at position 11 must be a letter and exactly two digits", false},
	{"000.00.00.G2O", S, E, "'G2O' at position 11 must be a letter and exactly two digits", false},
	{"000.00.00.AA1", S, E, "'AA1' at position 11 must be a letter and exactly two digits", false},
	/* number 00 and W */
	{"000.00.00.G00", S, E, "level-1 number G00 is not used by any agency", true},
	{"000.00.00.H00", S, E, "level-1 number H00 is not used by any agency", true},
	{"000.00.00.W00", S, E, "letter W is reserved for system identifiers", true},
	{"000.00.00.W22", S, E, "letter W is reserved for system identifiers", true},
	{"00.22.W00", S, E, "letter W is reserved for system identifiers", true},
	/* whitespace and control characters */
	{" 000.00.00.H14", S, E, "whitespace at position 1", false},
	{"000.00.00.H14 ", S, E, "whitespace at position 14", false},
	{"000.00 .00.H14", S, E, "whitespace at position 7", false},
	{"000.00.00\t.H14", S, E, "whitespace at position 10", false},
	{"000.00.00.H14\n", S, E, "whitespace at position 14", false},
	{"000.00.00.H14\r\n", S, E, "whitespace at position 14", false},
	{"000.00.00.H1\x01", S, E, "control character at position 13", false},
	{"000.00.00\x7f.H14", S, E, "control character at position 10", false},
	{"\x1b[0m000.00.00.H14", S, E, "control character at position 1", false},
	/* empty */
	{"", S, E, "empty code", false},
	{NULL, S, E, "empty code", false},
	/* non-ASCII */
	{"\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC\x90.00.00.H14", S, E, "non-ASCII character at position 1", false},
	{"000.00.00.H\xEF\xBC\x91\x34", S, E, "non-ASCII character at position 12", false},
	{"\xD9\xA0\x30\x30.00.00.H14", S, E, "non-ASCII character at position 1", false},
	{"000.00.00.\xC4\x90\x31\x34", S, E, "non-ASCII character at position 11", false},
	{"000.00.00.H14\xC2\xA0", S, E, "non-ASCII character at position 14", false},
	/* trailing garbage and stray dots */
	{"000.00.00.H14x", S, E, "unexpected characters 'x' after the level-1 group H14", false},
	{"000.00.00.H14;", S, E, "unexpected characters ';' after the level-1 group H14", false},
	{"000.00.00.H14.", S, E, "ends with a dot at position 14", false},
	{"000.00.00.H14...", S, E, "ends with a dot at position 16", false},
	{"000.00.00.", S, E, "ends with a dot", false},
	{"000.00.00.H14.5", S, E, "too many groups", false},
	{".000.00.00.H14", S, E, "starts with a dot", false},
	{".00.00.H14", S, E, "level-4 group at position 1 is empty", false},
	{"000..00.00.H14", S, E, "two dots in a row at position 4", false},
	{"000.00..H14", S, E, "level-2 group at position 8 is empty", false},
	{"000..00.H14", S, E, "level-3 group at position 5 is empty", false},
	/* other separators */
	{"000,00,00,H14", S, E, "',' at position 4: groups are separated by dots", false},
	{"000-00-00-H14", S, E, "'-' at position 4: groups are separated by dots", false},
	{"000/00/00/H14", S, E, "'/' at position 4: groups are separated by dots", false},
	{"000_00_00_H14", S, E, "'_' at position 4: groups are separated by dots", false},
	{"000:00:00:H14", S, E, "':' at position 4: groups are separated by dots", false},
	{"000.00.00.G22,2015/09/30", S, E, "',' at position 14", false},
	{"VN:GOV:000.00.00.G22:vpcpdvcprovider", S, E, "':' at position 3", false},
	/* letters in digit groups */
	{"000.0a.00.H14", S, E, "level-3 group '0a' at position 5 must contain only digits", false},
	{"000.00.0x.H14", S, E, "level-2 group '0x' at position 8 must contain only digits", false},
	{"O00.00.00.H14", S, E, "level-4 group 'O00' at position 1 must contain only digits", false},
	{"000.0O.00.H14", S, E, "level-3 group '0O' at position 5 must contain only digits", false},
	/* group counts */
	{"000.00.00.00.H14", S, E, "too many groups", false},
	{"1.011442.000.00.00.H38", S, E, "too many groups", false},
	{"00.00.H14", S, E, "expected four groups separated by dots (000.00.00.G22), found 3", false},
	{"00.H14", S, E, "found 2", false},
	{"H14", S, E, "found 1: the level-1 group alone is written 000.00.00.X99", false},
	{"00.22.H14", L | Y, E, "found 3", false},
	{"W00", L | Y, E, "found 1", false},
	{"0100109106", S, E, "'0100109106' at position 1 must start with a letter", false},
	/* holes */
	{"001.00.10.H47", S, E, "the level-4 group is set while the level-3 group is zero (a hole", true},
	{"000.01.00.H47", S, E, "the level-3 group is set while the level-2 group is zero (a hole", true},
	{"001.01.00.H47", S, E, "the level-3 group is set while the level-2 group is zero (a hole", true},
	{"001.00.00.H47", S, E, "the level-4 group is set while the level-2 group is zero (a hole", true},
	{"001.00.41.W00", Y, E, "accepted only in lenient mode", true},
	/* length cap */
	{"00000000000000000000000000000000000000000000000000000000000000000", S, E, "code is 65 characters long",
	 false},
	{"000.00.00.H14000.00.00.H14000.00.00.H14000.00.00.H14000.00.00.H14000.00.00.H14", S, E,
	 "code is 78 characters long", false},
};

#undef S
#undef L
#undef Y
#undef E

static void check_refusal(const struct bad *b, unsigned flags)
{
	struct lt_code c = sentinel_code();
	struct lt_err err;
	memset(&err, 0, sizeof err);
	int rc = lt_code_parse(&c, b->text, flags, &err);
	const char *shown = b->text ? b->text : "(NULL)";
	if (rc != b->status)
		fail_msg("'%s' (flags %u): status %d, want %d (msg: %s)", shown, flags, rc, b->status, err.msg);
	if ((int)err.status != b->status)
		fail_msg("'%s': err.status %d, want %d", shown, (int)err.status, b->status);
	if (!strstr(err.msg, b->want))
		fail_msg("'%s' (flags %u): message \"%s\" lacks \"%s\"", shown, flags, err.msg, b->want);
	assert_untouched(&c);
}

static void test_malformed_table(void **state)
{
	(void)state;
	assert_true(ARRAY_LEN(bad_codes) >= 45);
	for (size_t i = 0; i < ARRAY_LEN(bad_codes); i++) {
		const struct bad *b = &bad_codes[i];
		check_refusal(b, b->flags);
		/* Anything not about strictness is refused in every mode, for the
		 * same reason. */
		if (!b->strict_only) {
			check_refusal(b, b->flags | LT_CODE_LENIENT);
			check_refusal(b, b->flags | LT_CODE_SYSTEM);
			check_refusal(b, b->flags | LT_CODE_LENIENT | LT_CODE_SYSTEM);
		} else {
			struct lt_code c;
			if (lt_code_parse(&c, b->text, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) != LT_OK)
				fail_msg("'%s' should be accepted by LENIENT|SYSTEM", b->text);
			assert_false(lt_code_is_canonical(&c));
		}
	}
}

/* Every refusal explains itself on one line, without truncation. */
static void test_malformed_messages_specific(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_codes); i++) {
		struct lt_code c;
		struct lt_err err = {0};
		assert_int_equal(lt_code_parse(&c, bad_codes[i].text, bad_codes[i].flags, &err), LT_EINVAL);
		assert_true(strlen(err.msg) > 20);
		assert_true(strlen(err.msg) < LT_ERR_MSG_MAX - 1); /* never truncated */
		/* A message is one line: it goes in a CLI line and a JSON field. */
		assert_null(strchr(err.msg, '\n'));
	}
}

/* ---- lenient and system modes ------------------------------------------- */

static void test_lenient_hole(void **state)
{
	(void)state;
	struct lt_code c = must_parse("001.00.10.H47", LT_CODE_LENIENT);
	assert_int_equal(c.quirks, LT_CODE_HOLE);
	assert_false(lt_code_is_canonical(&c));
	assert_int_equal(lt_code_level(&c), 3);
	assert_int_equal(lt_code_number(&c), 1);
	assert_int_equal(c.l4, 1);
	assert_int_equal(c.l3, 0);
	assert_int_equal(c.l2, 10);
	assert_formats_as(&c, "001.00.10.H47");

	struct lt_code p;
	assert_int_equal(lt_code_parent(&c, &p), LT_OK);
	assert_formats_as(&p, "000.00.10.H47");
	assert_true(lt_code_is_canonical(&p)); /* zeroing l4 removes the hole */
	assert_int_equal(lt_code_level(&p), 2);
	struct lt_code want = must_parse("000.00.10.H47", LT_CODE_STRICT);
	assert_true(lt_code_equal(&p, &want));
	assert_true(lt_code_is_ancestor(&p, &c));

	struct lt_code anc[3];
	assert_int_equal(lt_code_ancestors(&c, anc), 2);
	assert_formats_as(&anc[0], "000.00.00.H47");
	assert_formats_as(&anc[1], "000.00.10.H47");

	/* A hole whose parent is still a hole. */
	c = must_parse("001.01.00.H47", LT_CODE_LENIENT);
	assert_int_equal(c.quirks, LT_CODE_HOLE);
	assert_int_equal(lt_code_level(&c), 3);
	assert_formats_as(&c, "001.01.00.H47");
	assert_int_equal(lt_code_parent(&c, &p), LT_OK);
	assert_formats_as(&p, "000.01.00.H47");
	assert_int_equal(p.quirks, LT_CODE_HOLE);
	struct lt_code gp;
	assert_int_equal(lt_code_parent(&p, &gp), LT_OK);
	assert_formats_as(&gp, "000.00.00.H47");
	assert_int_equal(gp.quirks, 0);

	c = must_parse("000.01.00.H47", LT_CODE_LENIENT);
	assert_int_equal(lt_code_level(&c), 2);
	assert_formats_as(&c, "000.01.00.H47");
}

static void test_lenient_wide_l3(void **state)
{
	(void)state;
	struct lt_code c = must_parse("999.010.01.H22", LT_CODE_LENIENT);
	assert_int_equal(c.quirks, LT_CODE_WIDE_L3);
	assert_false(lt_code_is_canonical(&c));
	assert_int_equal(c.l4, 999);
	assert_int_equal(c.l3, 10);
	assert_int_equal(c.l2, 1);
	assert_int_equal(c.l1, 22);
	assert_int_equal(lt_code_level(&c), 4);
	assert_formats_as(&c, "999.010.01.H22");

	struct lt_code p;
	assert_int_equal(lt_code_parent(&c, &p), LT_OK);
	assert_formats_as(&p, "000.010.01.H22");
	/* Its parent in turn has no level-3 unit: 00, canonical again, and an
	 * ancestor of both. */
	struct lt_code gp;
	assert_int_equal(lt_code_parent(&p, &gp), LT_OK);
	assert_formats_as(&gp, "000.00.01.H22");
	assert_true(lt_code_is_canonical(&gp));
	assert_true(lt_code_is_ancestor(&gp, &p));
	assert_true(lt_code_is_ancestor(&gp, &c));

	/* Three digits over 99 are kept as written. */
	c = must_parse("000.150.01.H22", LT_CODE_LENIENT);
	assert_int_equal(c.l3, 150);
	assert_formats_as(&c, "000.150.01.H22");

	/* Both quirks at once. */
	c = must_parse("001.000.10.H47", LT_CODE_LENIENT);
	assert_int_equal(c.quirks, LT_CODE_HOLE | LT_CODE_WIDE_L3);
	assert_formats_as(&c, "001.000.10.H47");

	/* Lenient widens only level 3. */
	struct lt_err err = {0};
	assert_int_equal(lt_code_parse(&c, "0001.00.10.H47", LT_CODE_LENIENT, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "level-4 group '0001'"));
}

static void test_system_ids(void **state)
{
	(void)state;
	struct lt_code c = must_parse("00.22.W00", LT_CODE_SYSTEM);
	assert_int_equal(c.letter, 'W');
	assert_int_equal(c.l1, 0);
	assert_int_equal(c.l2, 22);
	assert_int_equal(c.l3, 0);
	assert_int_equal(c.ngroups, 3);
	assert_int_equal(c.quirks, LT_CODE_SHORT | LT_CODE_SYSID);
	assert_false(lt_code_is_canonical(&c));
	assert_formats_as(&c, "00.22.W00");

	c = must_parse("02.44.W00", LT_CODE_SYSTEM);
	assert_int_equal(c.l2, 44);
	assert_int_equal(c.l3, 2);
	assert_int_equal(c.ngroups, 3);
	assert_formats_as(&c, "02.44.W00");

	c = must_parse("22.W00", LT_CODE_SYSTEM);
	assert_int_equal(c.ngroups, 2);
	assert_formats_as(&c, "22.W00");

	c = must_parse("001.00.41.W00", LT_CODE_SYSTEM | LT_CODE_LENIENT);
	assert_int_equal(c.quirks, LT_CODE_SYSID | LT_CODE_HOLE);
	assert_int_equal(c.ngroups, 4);
	assert_formats_as(&c, "001.00.41.W00");

	c = must_parse("001.03.41.W00", LT_CODE_SYSTEM);
	assert_int_equal(c.quirks, LT_CODE_SYSID);
	assert_formats_as(&c, "001.03.41.W00");

	c = must_parse("000.00.00.W00", LT_CODE_SYSTEM);
	assert_formats_as(&c, "000.00.00.W00");

	/* Number 00 of a legal letter is a system ID too. */
	c = must_parse("000.00.00.G00", LT_CODE_SYSTEM);
	assert_int_equal(c.letter, 'G');
	assert_int_equal(c.l1, 0);
	assert_int_equal(c.quirks, LT_CODE_SYSID);
	assert_formats_as(&c, "000.00.00.G00");

	/* A system ID is never a parent for new codes. */
	struct lt_code child;
	struct lt_err err = {0};
	c = must_parse("00.22.W00", LT_CODE_SYSTEM);
	assert_int_equal(lt_code_child(&c, 1, &child, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "00.22.W00 is not a canonical code"));
}

/* ---- exhaustive round trip ---------------------------------------------- */

static void test_round_trip_exhaustive(void **state)
{
	(void)state;
	static const unsigned l1s[] = {1, 14, 99};
	static const unsigned l3s[] = {0, 1, 50, 99};
	static const unsigned l4s[] = {0, 1, 500, 999};
	size_t n = 0;
	struct lt_code prev = {0};
	bool have_prev = false;
	for (char letter = 'A'; letter <= 'K'; letter++) {
		for (size_t a = 0; a < ARRAY_LEN(l1s); a++) {
			for (unsigned l2 = 0; l2 <= 99; l2++) {
				for (size_t b = 0; b < ARRAY_LEN(l3s); b++) {
					for (size_t d = 0; d < ARRAY_LEN(l4s); d++) {
						unsigned l3 = l3s[b], l4 = l4s[d];
						if ((l2 == 0 && (l3 || l4)) || (l3 == 0 && l4))
							continue; /* holes are not canonical */
						char text[32];
						snprintf(text, sizeof text, "%03u.%02u.%02u.%c%02u", l4, l3, l2, letter,
							 l1s[a]);
						struct lt_code c;
						struct lt_err err;
						if (lt_code_parse(&c, text, LT_CODE_STRICT, &err) != LT_OK)
							fail_msg("%s refused: %s", text, err.msg);
						char buf[LT_CODE_BUFSZ];
						if (strcmp(lt_code_format(&c, buf), text) != 0)
							fail_msg("%s formats as %s", text, buf);
						if (c.letter != letter || c.l1 != l1s[a] || c.l2 != l2 || c.l3 != l3 ||
						    c.l4 != l4 || c.ngroups != 4 || c.quirks != 0)
							fail_msg("%s: wrong fields", text);
						int level = 1 + (l2 != 0) + (l3 != 0) + (l4 != 0);
						assert_int_equal(lt_code_level(&c), level);
						assert_true(lt_code_is_canonical(&c));
						/* The other modes read it the same way. */
						struct lt_code o;
						assert_int_equal(
							lt_code_parse(&o, text, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL),
							LT_OK);
						assert_true(lt_code_equal(&c, &o));
						/* Walking up and down again gives the code back. */
						struct lt_code p, back;
						if (level > 1) {
							assert_int_equal(lt_code_parent(&c, &p), LT_OK);
							assert_int_equal(lt_code_level(&p), level - 1);
							assert_int_equal(
								lt_code_child(&p, lt_code_number(&c), &back, NULL),
								LT_OK);
							assert_true(lt_code_equal(&back, &c));
							assert_true(lt_code_cmp(&p, &c) < 0);
							assert_true(lt_code_is_ancestor(&p, &c));
						}
						/* Generated in tree order. */
						if (have_prev && lt_code_cmp(&prev, &c) >= 0)
							fail_msg("%s does not sort after %s", text,
								 lt_code_format(&prev, buf));
						prev = c;
						have_prev = true;
						n++;
					}
				}
			}
		}
	}
	assert_true(n > 40000);
}

/* ---- children and parents ----------------------------------------------- */

static void test_child_parent_inverse(void **state)
{
	(void)state;
	static const char *parents[] = {"000.00.00.G14", "000.00.00.A01", "000.00.00.K99",
					"000.00.04.G14", "000.00.01.H01", "000.00.99.H99",
					"000.46.24.H44", "000.01.01.A01", "000.99.99.K99"};
	static const unsigned numbers[] = {1, 2, 9, 10, 50, 98, 99, 100, 500, 998, 999};
	for (size_t i = 0; i < ARRAY_LEN(parents); i++) {
		struct lt_code p = must_parse(parents[i], LT_CODE_STRICT);
		int level = lt_code_level(&p);
		unsigned max = lt_code_max_number(level + 1);
		assert_int_equal(max, level == 3 ? 999 : 99);
		for (size_t k = 0; k < ARRAY_LEN(numbers); k++) {
			unsigned num = numbers[k];
			struct lt_code c = sentinel_code(), back;
			struct lt_err err = {0};
			int rc = lt_code_child(&p, num, &c, &err);
			if (num > max) {
				assert_int_equal(rc, LT_EINVAL);
				assert_untouched(&c);
				continue;
			}
			if (rc != LT_OK)
				fail_msg("child %u of %s refused: %s", num, parents[i], err.msg);
			assert_int_equal(lt_code_level(&c), level + 1);
			assert_int_equal(lt_code_number(&c), num);
			assert_true(lt_code_is_canonical(&c));
			assert_int_equal(lt_code_parent(&c, &back), LT_OK);
			assert_true(lt_code_equal(&back, &p));
			assert_true(lt_code_is_ancestor(&p, &c));
			assert_false(lt_code_is_ancestor(&c, &p));
			/* The child's text is canonical and parses back to it. */
			char buf[LT_CODE_BUFSZ];
			lt_code_format(&c, buf);
			assert_int_equal(strlen(buf), LT_CODE_LEN);
			struct lt_code again = must_parse(buf, LT_CODE_STRICT);
			assert_true(lt_code_equal(&again, &c));
		}
	}

	/* Boundary texts. */
	struct lt_code c, p = must_parse("000.00.00.G14", LT_CODE_STRICT);
	assert_int_equal(lt_code_child(&p, 1, &c, NULL), LT_OK);
	assert_formats_as(&c, "000.00.01.G14");
	assert_int_equal(lt_code_child(&p, 99, &c, NULL), LT_OK);
	assert_formats_as(&c, "000.00.99.G14");
	p = c;
	assert_int_equal(lt_code_child(&p, 1, &c, NULL), LT_OK);
	assert_formats_as(&c, "000.01.99.G14");
	assert_int_equal(lt_code_child(&p, 99, &c, NULL), LT_OK);
	assert_formats_as(&c, "000.99.99.G14");
	p = c;
	assert_int_equal(lt_code_child(&p, 1, &c, NULL), LT_OK);
	assert_formats_as(&c, "001.99.99.G14");
	assert_int_equal(lt_code_child(&p, 999, &c, NULL), LT_OK);
	assert_formats_as(&c, "999.99.99.G14");
}

static void test_child_refusals(void **state)
{
	(void)state;
	struct lt_code l1 = must_parse("000.00.00.G14", LT_CODE_STRICT);
	struct lt_code l2 = must_parse("000.00.04.G14", LT_CODE_STRICT);
	struct lt_code l3 = must_parse("000.46.24.H44", LT_CODE_STRICT);
	struct lt_code l4 = must_parse("001.46.24.H44", LT_CODE_STRICT);
	struct lt_code hole = must_parse("000.01.00.H47", LT_CODE_LENIENT);
	struct lt_code wide = must_parse("000.010.01.H22", LT_CODE_LENIENT);
	struct {
		const struct lt_code *parent;
		unsigned number;
		int status;
		const char *want;
	} rows[] = {
		{&l1, 0, LT_EINVAL, "number 0 is outside 1..99 for a level-2 unit"},
		{&l1, 100, LT_EINVAL, "number 100 is outside 1..99 for a level-2 unit"},
		{&l2, 0, LT_EINVAL, "number 0 is outside 1..99 for a level-3 unit"},
		{&l2, 100, LT_EINVAL, "number 100 is outside 1..99 for a level-3 unit"},
		{&l3, 0, LT_EINVAL, "number 0 is outside 1..999 for a level-4 unit"},
		{&l3, 1000, LT_EINVAL, "number 1000 is outside 1..999 for a level-4 unit"},
		{&l3, 4000000000u, LT_EINVAL, "outside 1..999"},
		{&l4, 1, LT_ERULE, "001.46.24.H44 is a level-4 unit: codes have no fifth level"},
		{&hole, 1, LT_EINVAL, "000.01.00.H47 is not a canonical code"},
		{&wide, 1, LT_EINVAL, "000.010.01.H22 is not a canonical code"},
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct lt_code c = sentinel_code();
		struct lt_err err = {0};
		int rc = lt_code_child(rows[i].parent, rows[i].number, &c, &err);
		if (rc != rows[i].status || !strstr(err.msg, rows[i].want))
			fail_msg("row %zu: status %d msg \"%s\", want %d \"%s\"", i, rc, err.msg, rows[i].status,
				 rows[i].want);
		assert_int_equal((int)err.status, rows[i].status);
		assert_untouched(&c);
		assert_int_equal(lt_code_child(rows[i].parent, rows[i].number, &c, NULL), rows[i].status);
	}

	/* No parent above level 1. */
	struct lt_code p = sentinel_code();
	assert_int_equal(lt_code_parent(&l1, &p), LT_ENOTFOUND);
	assert_untouched(&p);

	assert_int_equal(lt_code_max_number(1), 0);
	assert_int_equal(lt_code_max_number(2), 99);
	assert_int_equal(lt_code_max_number(3), 99);
	assert_int_equal(lt_code_max_number(4), 999);
	assert_int_equal(lt_code_max_number(5), 0);
	assert_int_equal(lt_code_max_number(0), 0);
	assert_int_equal(lt_code_max_number(-1), 0);
}

/* ---- ancestors, order --------------------------------------------------- */

static void test_ancestors(void **state)
{
	(void)state;
	struct lt_code c = must_parse("123.45.67.G14", LT_CODE_STRICT), out[3];
	assert_int_equal(lt_code_ancestors(&c, out), 3);
	assert_formats_as(&out[0], "000.00.00.G14");
	assert_formats_as(&out[1], "000.00.67.G14");
	assert_formats_as(&out[2], "000.45.67.G14");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(lt_code_level(&out[i]), (int)i + 1);
		assert_true(lt_code_is_ancestor(&out[i], &c));
		assert_true(lt_code_is_canonical(&out[i]));
	}

	c = must_parse("000.46.24.H44", LT_CODE_STRICT);
	assert_int_equal(lt_code_ancestors(&c, out), 2);
	assert_formats_as(&out[0], "000.00.00.H44");
	assert_formats_as(&out[1], "000.00.24.H44");

	c = must_parse("000.00.04.G14", LT_CODE_STRICT);
	assert_int_equal(lt_code_ancestors(&c, out), 1);
	assert_formats_as(&out[0], "000.00.00.G14");

	c = must_parse("000.00.00.G14", LT_CODE_STRICT);
	assert_int_equal(lt_code_ancestors(&c, out), 0);
}

static void test_is_ancestor(void **state)
{
	(void)state;
	struct {
		const char *anc, *c;
		bool want;
	} rows[] = {
		{"000.00.00.G14", "000.00.04.G14", true},
		{"000.00.00.G14", "000.46.04.G14", true},
		{"000.00.00.G14", "999.99.99.G14", true},
		{"000.00.04.G14", "123.45.04.G14", true},
		{"000.45.04.G14", "123.45.04.G14", true},
		{"000.00.04.G14", "000.00.04.G14", false}, /* not a proper ancestor */
		{"000.00.04.G14", "000.00.00.G14", false}, /* the other way round */
		{"000.00.04.G14", "000.00.05.G14", false}, /* sibling */
		{"000.00.04.G14", "000.01.05.G14", false}, /* nephew */
		{"000.01.04.G14", "001.02.04.G14", false}, /* cousin */
		{"000.00.00.H14", "000.00.04.G14", false}, /* other letter */
		{"000.00.00.G13", "000.00.04.G14", false}, /* other level-1 number */
		{"000.00.00.K14", "000.00.04.H14", false},
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct lt_code a = must_parse(rows[i].anc, LT_CODE_STRICT);
		struct lt_code c = must_parse(rows[i].c, LT_CODE_STRICT);
		if (lt_code_is_ancestor(&a, &c) != rows[i].want)
			fail_msg("is_ancestor(%s, %s) should be %s", rows[i].anc, rows[i].c,
				 rows[i].want ? "true" : "false");
	}
}

static int cmp_codes(const void *a, const void *b) { return lt_code_cmp(a, b); }

static void test_cmp_tree_order(void **state)
{
	(void)state;
	static const char *sorted[] = {
		"000.00.00.A01", "000.00.00.A99", "000.00.00.B01", "000.00.00.G01", "000.00.01.G01", "000.01.01.G01",
		"001.01.01.G01", "002.01.01.G01", "999.01.01.G01", "000.02.01.G01", "000.99.01.G01", "000.00.02.G01",
		"000.00.10.G01", "000.00.99.G01", "000.00.00.G02", "000.00.00.G14", "000.00.04.G14", "000.46.04.G14",
		"000.00.05.G14", "000.00.00.G22", "000.00.00.H01", "000.00.00.H14", "000.00.24.H44", "000.46.24.H44",
		"000.00.00.I06", "000.00.00.J28", "000.00.00.K01", "000.00.00.K99",
	};
	enum { N = ARRAY_LEN(sorted) };
	struct lt_code codes[N];
	/* Fill in a scrambled order (a multiplier coprime with N). */
	bool seen[N] = {0};
	for (size_t i = 0; i < N; i++) {
		size_t k = (i * 11) % N;
		assert_false(seen[k]);
		seen[k] = true;
		codes[i] = must_parse(sorted[k], LT_CODE_STRICT);
	}
	qsort(codes, N, sizeof codes[0], cmp_codes);
	for (size_t i = 0; i < N; i++) {
		char buf[LT_CODE_BUFSZ];
		if (strcmp(lt_code_format(&codes[i], buf), sorted[i]) != 0)
			fail_msg("position %zu: %s, want %s", i, buf, sorted[i]);
	}
	/* A total order: antisymmetric and consistent with equality. */
	for (size_t i = 0; i < N; i++) {
		for (size_t k = 0; k < N; k++) {
			int r = lt_code_cmp(&codes[i], &codes[k]);
			int s = lt_code_cmp(&codes[k], &codes[i]);
			assert_int_equal(r < 0, i < k);
			assert_int_equal(r > 0, i > k);
			assert_int_equal(r<0, s> 0);
			assert_int_equal(lt_code_equal(&codes[i], &codes[k]), i == k);
		}
	}
	/* The same value read twice is equal; the lenient form of a text is not
	 * the canonical one. */
	struct lt_code a = must_parse("000.00.04.G14", LT_CODE_STRICT);
	struct lt_code b = must_parse("000.00.04.G14", LT_CODE_LENIENT);
	assert_int_equal(lt_code_cmp(&a, &b), 0);
	assert_true(lt_code_equal(&a, &b));
	a = must_parse("999.10.01.H22", LT_CODE_STRICT);
	b = must_parse("999.010.01.H22", LT_CODE_LENIENT);
	assert_false(lt_code_equal(&a, &b));
}

/* ---- next free number --------------------------------------------------- */

static void test_next_free(void **state)
{
	(void)state;
	unsigned out = 12345;
	struct lt_err err = {0};

	assert_int_equal(lt_code_next_free(2, NULL, 0, &out, &err), LT_OK);
	assert_int_equal(out, 1);
	assert_int_equal(lt_code_next_free(4, NULL, 0, &out, &err), LT_OK);
	assert_int_equal(out, 1);

	static const unsigned seq[] = {1, 2, 3};
	assert_int_equal(lt_code_next_free(2, seq, 3, &out, &err), LT_OK);
	assert_int_equal(out, 4);

	/* Gaps are filled with the smallest number never used, in any order. */
	static const unsigned gap[] = {5, 3, 1, 2, 7};
	assert_int_equal(lt_code_next_free(3, gap, ARRAY_LEN(gap), &out, &err), LT_OK);
	assert_int_equal(out, 4);
	static const unsigned no1[] = {2, 3, 99};
	assert_int_equal(lt_code_next_free(2, no1, ARRAY_LEN(no1), &out, &err), LT_OK);
	assert_int_equal(out, 1);
	static const unsigned dup[] = {1, 1, 1, 2, 2};
	assert_int_equal(lt_code_next_free(2, dup, ARRAY_LEN(dup), &out, &err), LT_OK);
	assert_int_equal(out, 3);

	/* Out-of-range numbers in used[] are ignored. */
	static const unsigned odd[] = {0, 100, 1000, 4000000000u};
	assert_int_equal(lt_code_next_free(2, odd, ARRAY_LEN(odd), &out, &err), LT_OK);
	assert_int_equal(out, 1);
	static const unsigned odd4[] = {999, 1000, 5000, 0};
	assert_int_equal(lt_code_next_free(4, odd4, ARRAY_LEN(odd4), &out, &err), LT_OK);
	assert_int_equal(out, 1);

	/* Closed numbers are in used[]: with 1..98 used, whether live or closed,
	 * only 99 is left; then nothing. */
	unsigned used[1000];
	for (unsigned i = 0; i < 98; i++)
		used[i] = i + 1;
	assert_int_equal(lt_code_next_free(2, used, 98, &out, &err), LT_OK);
	assert_int_equal(out, 99);
	used[98] = 99;
	for (int level = 2; level <= 3; level++) {
		out = 12345;
		assert_int_equal(lt_code_next_free(level, used, 99, &out, &err), LT_ERULE);
		assert_int_equal((int)err.status, LT_ERULE);
		assert_non_null(strstr(err.msg, "all 99 level-"));
		assert_non_null(strstr(err.msg, "never reissued"));
		assert_int_equal(out, 12345);
		assert_int_equal(lt_code_next_free(level, used, 99, &out, NULL), LT_ERULE);
	}
	/* Numbers above 99 do not help a level-2 parent, and 100 is no child. */
	used[99] = 100;
	assert_int_equal(lt_code_next_free(2, used, 100, &out, &err), LT_ERULE);

	/* Level 4 runs to 999. */
	assert_int_equal(lt_code_next_free(4, used, 99, &out, &err), LT_OK);
	assert_int_equal(out, 100);
	for (unsigned i = 0; i < 999; i++)
		used[i] = 999 - i; /* descending */
	assert_int_equal(lt_code_next_free(4, used, 998, &out, &err), LT_OK);
	assert_int_equal(out, 1);
	assert_int_equal(lt_code_next_free(4, used, 999, &out, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "all 999 level-4 numbers"));
	used[500] = 0; /* 499 removed */
	assert_int_equal(lt_code_next_free(4, used, 999, &out, &err), LT_OK);
	assert_int_equal(out, 499);

	/* Only children have numbers. */
	for (int level = -1; level <= 5; level++) {
		if (level >= 2 && level <= 4)
			continue;
		out = 12345;
		assert_int_equal(lt_code_next_free(level, NULL, 0, &out, &err), LT_EINVAL);
		assert_non_null(strstr(err.msg, "children are levels 2 to 4"));
		assert_int_equal(out, 12345);
	}
}

/* ---- groups ------------------------------------------------------------- */

static void test_groups(void **state)
{
	(void)state;
	for (char l = 'A'; l <= 'K'; l++) {
		const struct lt_code_group *g = lt_code_group(l);
		assert_non_null(g);
		assert_int_equal(g->letter, l);
		assert_true(g->legal);
		assert_non_null(g->name_vi);
		assert_non_null(g->name_en);
		assert_true(strlen(g->name_vi) > 0 && strlen(g->name_en) > 0);
	}
	const struct lt_code_group *w = lt_code_group('W');
	assert_non_null(w);
	assert_false(w->legal);
	static const char none[] = {'Z', 'L', 'X', 'V', 'a', 'g', 'w', '0', '\0', '.', '@', '[', (char)0xC4};
	for (size_t i = 0; i < sizeof none; i++)
		assert_null(lt_code_group(none[i]));

	size_t n = 0;
	const struct lt_code_group *all = lt_code_groups(&n);
	assert_int_equal(n, 12);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(lt_code_group(all[i].letter), &all[i]);
		for (size_t k = i + 1; k < n; k++)
			assert_int_not_equal(all[i].letter, all[k].letter);
	}
	assert_string_equal(lt_code_group('G')->name_en, "Ministries and Government agencies");
	assert_string_equal(lt_code_group('H')->name_en, "Provincial People's Committees");
}

/* ---- enterprises -------------------------------------------------------- */

static void test_enterprise_ok(void **state)
{
	(void)state;
	struct lt_enterprise e;
	struct lt_err err = {0};
	char buf[15];

	assert_int_equal(lt_enterprise_parse(&e, "0100109106", &err), LT_OK);
	assert_string_equal(e.base, "0100109106");
	assert_int_equal(e.branch, 0);
	assert_string_equal(lt_enterprise_format(&e, buf), "0100109106");

	assert_int_equal(lt_enterprise_parse(&e, "0100109106-001", &err), LT_OK);
	assert_string_equal(e.base, "0100109106");
	assert_int_equal(e.branch, 1);
	assert_string_equal(lt_enterprise_format(&e, buf), "0100109106-001");

	static const char *ok[] = {"0100109106-999", "0000000000", "9999999999-010", "0312345678-100"};
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		assert_int_equal(lt_enterprise_parse(&e, ok[i], &err), LT_OK);
		assert_string_equal(lt_enterprise_format(&e, buf), ok[i]);
	}
	assert_int_equal(lt_enterprise_parse(&e, "0100109106-999", NULL), LT_OK);
	assert_int_equal(e.branch, 999);
}

static void test_enterprise_refusals(void **state)
{
	(void)state;
	struct {
		const char *text;
		const char *want;
	} rows[] = {
		{"010010910", "exactly 10 digits, found 9"},
		{"01001091061", "exactly 10 digits, found 11"},
		{"01001091AB", "exactly 10 digits, found 8 before a non-digit"},
		{"ABCDEFGHIJ", "found 0 before a non-digit"},
		{"0100109106-000", "-000 is not used"},
		{"0100109106-01", "only '-NNN'"},
		{"0100109106-0001", "only '-NNN'"},
		{"0100109106-", "only '-NNN'"},
		{"0100109106-0a1", "suffix must be three digits"},
		{"0100109106-00\xD9", "suffix must be three digits"},
		{"0100109106_001", "only '-NNN'"},
		{"0100109106 ", "only '-NNN'"},
		{" 0100109106", "found 0 before a non-digit"},
		{"0100109106\n", "only '-NNN'"},
		{"", "empty enterprise identifier"},
		{NULL, "empty enterprise identifier"},
		{"000.00.00.G22", "found 3 before a non-digit"},
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct lt_enterprise e;
		memset(&e, 0x5A, sizeof e);
		struct lt_enterprise before = e;
		struct lt_err err = {0};
		int rc = lt_enterprise_parse(&e, rows[i].text, &err);
		const char *shown = rows[i].text ? rows[i].text : "(NULL)";
		if (rc != LT_EINVAL || !strstr(err.msg, rows[i].want))
			fail_msg("'%s': status %d msg \"%s\", want \"%s\"", shown, rc, err.msg, rows[i].want);
		assert_memory_equal(&e, &before, sizeof e);
		assert_int_equal(lt_enterprise_parse(&e, rows[i].text, NULL), LT_EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_parse_strictly),
		cmocka_unit_test(test_example_fields),
		cmocka_unit_test(test_parsen),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_malformed_messages_specific),
		cmocka_unit_test(test_lenient_hole),
		cmocka_unit_test(test_lenient_wide_l3),
		cmocka_unit_test(test_system_ids),
		cmocka_unit_test(test_round_trip_exhaustive),
		cmocka_unit_test(test_child_parent_inverse),
		cmocka_unit_test(test_child_refusals),
		cmocka_unit_test(test_ancestors),
		cmocka_unit_test(test_is_ancestor),
		cmocka_unit_test(test_cmp_tree_order),
		cmocka_unit_test(test_next_free),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_enterprise_ok),
		cmocka_unit_test(test_enterprise_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
