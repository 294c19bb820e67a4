/* CSV cells between export and import (src/registry/csv_cell.c): a value a
 * spreadsheet would run as a formula (= + - @ TAB CR first) leaves the
 * export neutralised by an apostrophe, and whatever the export writes the
 * import reads back as it was. Property-style: thousands of random cells
 * drawn from the characters that matter (the six triggers, the apostrophe,
 * quotes, commas, line ends, blanks, Vietnamese letters), through the cell
 * writer and libcsv; then random units through a registry, export, a
 * second registry and export again. The random seed is printed, and
 * LT_TEST_SEED replays a run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lienthong/registry.h"
#include "registry/registry_impl.h"

static unsigned seed;

static unsigned next(void)
{
	/* xorshift: the same cells for the same seed on every libc */
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

static const char *const pieces[] = {"=", "+", "-", "@", "\t", "\r", "'", "\"", ",", "\n",          " ",   "a",  "Z",
				     "0", "9", "ạ", "Đ", "ư",  "(",  ")", "/",  "!", "=SUM(A1:A9)", "+84", "''", "'="};
#define N_PIECES (sizeof pieces / sizeof pieces[0])

/* A random value of up to 8 pieces. The import drops blanks around a value
 * (a copy-paste artefact, documented), so a value that begins with a space
 * or ends with a blank is outside what a round trip keeps; one that begins
 * with a tab is inside, because the export's apostrophe protects it. */
static void random_cell(char *out, size_t cap)
{
	for (;;) {
		out[0] = '\0';
		size_t n = next() % 9;
		for (size_t i = 0; i < n; i++)
			strncat(out, pieces[next() % N_PIECES], cap - strlen(out) - 1);
		size_t len = strlen(out);
		if (len && (out[0] == ' ' || strchr(" \t\r", out[len - 1])))
			continue;
		return;
	}
}

struct parsed {
	char **cells;
	size_t n, cap;
	bool raw_trigger; /* a raw field (what a spreadsheet sees) began with a formula trigger */
	size_t rows;
};

static void on_field(void *s, size_t len, void *data)
{
	struct parsed *p = data;
	char *v = malloc(len + 1);
	assert_non_null(v);
	memcpy(v, s, len);
	v[len] = '\0';
	if (len && strchr("=+-@\t\r", v[0]))
		p->raw_trigger = true;
	lt__csv_cell_value(v, len);
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->cells = realloc(p->cells, p->cap * sizeof *p->cells);
		assert_non_null(p->cells);
	}
	p->cells[p->n++] = v;
}

static void on_row(int c, void *data)
{
	(void)c;
	((struct parsed *)data)->rows++;
}

static void parse(const char *text, size_t len, struct parsed *p)
{
	memset(p, 0, sizeof *p);
	struct csv_parser csv;
	assert_int_equal(csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL), 0);
	assert_int_equal(csv_parse(&csv, text, len, on_field, on_row, p), len);
	assert_int_equal(csv_fini(&csv, on_field, on_row, p), 0);
	csv_free(&csv);
}

static void parsed_free(struct parsed *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->cells[i]);
	free(p->cells);
}

static void pick_seed(void)
{
	const char *env = getenv("LT_TEST_SEED");
	seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL) | 1u;
	printf("LT_TEST_SEED=%u\n", seed);
}

/* Cell by cell: written, parsed as the import parses, decoded: the same. */
static void test_cells_round_trip(void **state)
{
	(void)state;
	pick_seed();
	enum { ROWS = 2000, COLS = 5 };
	static char cells[ROWS * COLS][256];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	for (size_t i = 0; i < ROWS * COLS; i++) {
		random_cell(cells[i], sizeof cells[i]);
		lt_registry_csv_field(f, cells[i], i % COLS == COLS - 1);
	}
	/* and the cells that must be exact, whatever the dice said */
	static const char *const fixed[] = {
		"=1+2", "+84 24 3825 3451", "-5", "@SUM(A1)", "\tx", "\r=x", "'", "'=x", "''=x", "'Ban", "=", "x=y", "",
		"'\tx"};
	size_t nfixed = sizeof fixed / sizeof fixed[0];
	for (size_t i = 0; i < nfixed; i++)
		lt_registry_csv_field(f, fixed[i], i == nfixed - 1);
	assert_int_equal(fclose(f), 0);
	struct parsed p;
	parse(text, len, &p);
	assert_int_equal(p.rows, ROWS + 1);
	assert_int_equal(p.n, ROWS * COLS + nfixed);
	assert_false(p.raw_trigger);
	for (size_t i = 0; i < ROWS * COLS; i++)
		if (strcmp(p.cells[i], cells[i]) != 0)
			fail_msg("cell %zu: wrote '%s', read back '%s' (LT_TEST_SEED=%s)", i, cells[i], p.cells[i],
				 getenv("LT_TEST_SEED") ? getenv("LT_TEST_SEED") : "see above");
	for (size_t i = 0; i < nfixed; i++)
		assert_string_equal(p.cells[ROWS * COLS + i], fixed[i]);
	/* How they look in the file: an apostrophe before each trigger. */
	assert_non_null(
		strstr(text, ",'+84 24 3825 3451,'-5,'@SUM(A1),'\tx,\"'\r=x\",'',''=x,'''=x,''Ban,'=,x=y,,''\tx\n"));
	parsed_free(&p);
	free(text);
}

/* A cell from another tool that begins with an apostrophe keeps it unless
 * what follows is a trigger: only the export's own mark is removed. */
static void test_foreign_apostrophes(void **state)
{
	(void)state;
	static const struct {
		const char *raw, *value;
	} cases[] = {
		{"'Ban quản lý", "'Ban quản lý"},
		{"'", "'"},
		{"''", "'"},
		{"'=1", "=1"},
		{"' =1", "' =1"},
		{"  '+84 1  ", "+84 1"},
		{"'-", "-"},
		{"'@", "@"},
		{"x'=1", "x'=1"},
		{"'\t", "'"},
		{"=1", "=1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char v[64];
		snprintf(v, sizeof v, "%s", cases[i].raw);
		size_t n = lt__csv_cell_value(v, strlen(v));
		assert_int_equal(n, strlen(v));
		if (strcmp(v, cases[i].value) != 0)
			fail_msg("'%s' read as '%s', not '%s'", cases[i].raw, v, cases[i].value);
	}
}

static void export_text(struct lt_registry *r, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	assert_non_null(f);
	struct lt_err err = {0};
	if (lt_registry_export_csv(r, f, NULL, NULL, &err) != LT_OK)
		fail_msg("export: %s", err.msg);
	assert_int_equal(fclose(f), 0);
}

static void import_text(struct lt_registry *r, const char *text, size_t len)
{
	FILE *f = fmemopen((void *)text, len, "r");
	assert_non_null(f);
	struct lt_import_report rep;
	struct lt_err err = {0};
	int rc = lt_registry_import_csv(r, FX_ADMIN, f, &rep, &err);
	fclose(f);
	if (rc != LT_OK) {
		char *why = json_dumps(rep.errors, 0);
		fail_msg("import: %s %s\n%.2000s", err.msg, why ? why : "", text);
	}
	lt_import_report_free(&rep);
}

/* A registry value: clean text, as a unit may hold, often formula-like. */
static void random_text(char *out, size_t cap)
{
	static const char *const first[] = {"=",      "+",  "-", "@", "'", "'=", "''", "=HYPERLINK(\"http://x\",\"y\")",
					    "Ủy ban", "\"", ""};
	static const char *const rest[] = {"a", "ạ", "Đ", " ", ",", "\"", "'", "=", "+", "-", "@", "1", "(", ")"};
	do {
		snprintf(out, cap, "%s", first[next() % (sizeof first / sizeof first[0])]);
		size_t n = next() % 6;
		for (size_t i = 0; i < n; i++)
			strncat(out, rest[next() % (sizeof rest / sizeof rest[0])], cap - strlen(out) - 1);
		/* blanks around a value are dropped on import (documented) */
	} while (!strpbrk(out, "aạĐ1Ủ") || out[0] == ' ' || out[strlen(out) - 1] == ' ');
}

/* Units whose name, address, phone and decision look like formulas go in,
 * out, into a second registry and out again: the same units, the same file,
 * and no cell of it a spreadsheet would run. */
static void test_registry_round_trip(void **state)
{
	(void)state;
	char dir[64], db1[128], db2[128];
	fixture_tmpdir(dir, sizeof dir, "csv");
	snprintf(db1, sizeof db1, "%s/a.db", dir);
	snprintf(db2, sizeof db2, "%s/b.db", dir);
	enum { UNITS = 40 };
	static char name[UNITS][128], address[UNITS][128], number[UNITS][64], issuer[UNITS][128];
	static const char *const phones[] = {"+84 24 3825 3451", "-0243", "(024) 3825", "+84-24-1"};
	char *in = NULL;
	size_t in_len = 0;
	FILE *f = open_memstream(&in, &in_len);
	assert_non_null(f);
	fputs("code,name,address,phone,decision_number,decision_date,decision_issuer,valid_from\n", f);
	for (int i = 0; i < UNITS; i++) {
		char code[32];
		snprintf(code, sizeof code, "000.00.00.G%02d", i + 1);
		random_text(name[i], sizeof name[i]);
		random_text(address[i], sizeof address[i]);
		random_text(number[i], sizeof number[i]);
		random_text(issuer[i], sizeof issuer[i]);
		lt_registry_csv_field(f, code, false);
		lt_registry_csv_field(f, name[i], false);
		lt_registry_csv_field(f, address[i], false);
		lt_registry_csv_field(f, phones[i % 4], false);
		lt_registry_csv_field(f, number[i], false);
		lt_registry_csv_field(f, "2020-07-22", false);
		lt_registry_csv_field(f, issuer[i], false);
		lt_registry_csv_field(f, "2020-07-22", true);
	}
	assert_int_equal(fclose(f), 0);
	struct lt_registry *a = fixture_registry(db1, NULL), *b = fixture_registry(db2, NULL);
	import_text(a, in, in_len);
	char *out1 = NULL, *out2 = NULL;
	size_t len1 = 0, len2 = 0;
	export_text(a, &out1, &len1);
	struct parsed p;
	parse(out1, len1, &p);
	assert_false(p.raw_trigger);
	parsed_free(&p);
	import_text(b, out1, len1);
	export_text(b, &out2, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(out1, out2, len1);
	for (int i = 0; i < UNITS; i++) {
		char code[32];
		snprintf(code, sizeof code, "000.00.00.G%02d", i + 1);
		struct lt_unit u;
		struct lt_err err = {0};
		assert_int_equal(lt_registry_get(b, code, NULL, &u, &err), LT_OK);
		assert_string_equal(u.name, name[i]);
		assert_string_equal(u.contact.address, address[i]);
		assert_string_equal(u.contact.phone, phones[i % 4]);
		assert_string_equal(u.decision.number, number[i]);
		assert_string_equal(u.decision.issuer, issuer[i]);
	}
	/* A phone number in the file: the apostrophe a spreadsheet hides. */
	assert_non_null(strstr(out1, ",'+84 24 3825 3451,"));
	lt_registry_close(a);
	lt_registry_close(b);
	free(in);
	free(out1);
	free(out2);
	fixture_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_round_trip),
		cmocka_unit_test(test_foreign_apostrophes),
		cmocka_unit_test(test_registry_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
