/* CSV import of fields the registry cannot keep as given: a value longer
 * than its field is refused with the field's name and limit, never cut; a
 * decision number or issuer with a control character is refused; and what
 * is refused leaves nothing behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lienthong/registry.h"

struct fx {
	char dir[64];
	struct lt_registry *r;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "import");
	char db[128];
	snprintf(db, sizeof db, "%s/t.db", fx->dir);
	fx->r = fixture_registry(db, NULL);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	lt_registry_close(fx->r);
	fixture_rmrf(fx->dir);
	free(fx);
	return 0;
}

/* Imports text; returns the first refusal's reason (static) or NULL. */
static const char *import(struct fx *fx, const char *text, size_t *imported)
{
	static char reason[512];
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	struct lt_import_report rep;
	struct lt_err err = {0};
	int rc = lt_registry_import_csv(fx->r, f, &rep, &err);
	fclose(f);
	*imported = rep.imported;
	const char *why = NULL;
	if (rc != LT_OK) {
		const char *s = json_string_value(json_object_get(json_array_get(rep.errors, 0), "reason"));
		snprintf(reason, sizeof reason, "%s", s ? s : err.msg);
		why = reason;
	}
	lt_import_report_free(&rep);
	return why;
}

static void test_long_fields_are_refused_not_cut(void **state)
{
	struct fx *fx = *state;
	char *row = malloc(4096);
	assert_non_null(row);
	char address[700];
	memset(address, 'a', sizeof address - 1);
	address[sizeof address - 1] = '\0';
	size_t n;
	snprintf(row, 4096, "code,name,address\n000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,%s\n", address);
	const char *why = import(fx, row, &n);
	assert_non_null(why);
	if (!strstr(why, "address is 699 bytes long; at most"))
		fail_msg("reason: %s", why);
	assert_int_equal(n, 0);
	/* A decision number of 70 two-byte letters: refused, not cut mid-letter. */
	char number[200] = "";
	for (int i = 0; i < 70; i++)
		strcat(number, "Đ");
	snprintf(row, 4096,
		 "code,name,decision_number,decision_date,decision_issuer\n"
		 "000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,%s,2020-07-22,Thủ tướng Chính phủ\n",
		 number);
	why = import(fx, row, &n);
	assert_non_null(why);
	assert_non_null(strstr(why, "decision_number is 140 bytes long"));
	/* A control character in the issuer. */
	why = import(fx,
		     "code,name,decision_number,decision_date,decision_issuer\n"
		     "000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,1/QĐ,2020-07-22,UBND\001tỉnh\n",
		     &n);
	assert_non_null(why);
	assert_non_null(strstr(why, "bad decision"));
	/* Nothing of the refused rows is in the registry. */
	struct lt_unit u;
	struct lt_err err = {0};
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H14", NULL, &u, &err), LT_ENOTFOUND);
	/* At the limits, the row goes in whole. */
	address[LT_NAME_MAX - 1] = '\0';
	snprintf(row, 4096, "code,name,address\n000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,%s\n", address);
	why = import(fx, row, &n);
	if (why)
		fail_msg("a %d-byte address: %s", LT_NAME_MAX - 1, why);
	assert_int_equal(n, 1);
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H14", NULL, &u, &err), LT_OK);
	assert_int_equal(strlen(u.contact.address), LT_NAME_MAX - 1);
	free(row);
}

/* A child whose parent row was refused says so, with the parent's line,
 * rather than that the parent is nowhere. */
static void test_child_of_a_refused_row(void **state)
{
	struct fx *fx = *state;
	static const char csv[] = "code,name,email\n"
				  "000.00.01.H14,Văn phòng Ủy ban nhân dân tỉnh Cao Bằng,\n"
				  "000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,khong-phai-email\n";
	FILE *f = fmemopen((void *)csv, strlen(csv), "r");
	assert_non_null(f);
	struct lt_import_report rep;
	struct lt_err err = {0};
	assert_int_equal(lt_registry_import_csv(fx->r, f, &rep, &err), LT_EINVAL);
	fclose(f);
	assert_int_equal(json_array_size(rep.errors), 2);
	json_t *e;
	size_t k;
	json_array_foreach(rep.errors, k, e)
	{
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *reason = json_string_value(json_object_get(e, "reason"));
		const char *want = strcmp(code, "000.00.01.H14") == 0
					   ? "parent refused: 000.00.00.H14, on line 3, was refused itself"
					   : "bad email";
		if (!strstr(reason, want))
			fail_msg("%s: '%s' lacks '%s'", code, reason, want);
	}
	lt_import_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_long_fields_are_refused_not_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_of_a_refused_row, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
