/* The VXP date parameters (src/vxp/dates.c): fromDate and toDate in the
 * client's wall clock become UTC; a field that is not digits or outside
 * its calendar range is refused naming the parameter, never wrapped into
 * another date or overflowed (1/1/-2147483648 once killed the ASan
 * daemon). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lienthong/vxp.h"

static void assert_date(const char *text, int offset, const char *want)
{
	char out[LT_VXP_DATE_BUFSZ];
	struct lt_err err = {0};
	int rc = lt_vxp_date("fromDate", text, offset, out, &err);
	if (rc != LT_OK)
		fail_msg("'%s': %s", text ? text : "(null)", err.msg);
	assert_string_equal(out, want);
}

static void test_dates_in_the_clients_clock(void **state)
{
	(void)state;
	assert_date(NULL, 420, "");
	assert_date("", 420, "");
	assert_date("23/11/2026 08:05:09", 420, "2026-11-23T01:05:09");
	assert_date("23/11/2026 08:05:09", 0, "2026-11-23T08:05:09");
	assert_date("01/01/2026 03:00:00", 420, "2025-12-31T20:00:00");
	assert_date("31/12/2026 23:59:59", -720, "2027-01-01T11:59:59");
	assert_date("1/2/2026", 0, "2026-02-01T00:00:00");
	assert_date("29/02/2024 10:30", 0, "2024-02-29T10:30:00");
	assert_date("31/12/9999 23:59:59", 0, "9999-12-31T23:59:59");
	/* Past the calendar's end in UTC: pinned to it (fuzz_vxp found a
	 * 20-character year 10000). */
	assert_date("31/12/9999 23:59:00", -720, "9999-12-31T23:59:59");
	assert_date("31/12/9999 13:00:00", -660, "9999-12-31T23:59:59");
	assert_date("01/01/0001 00:00:00", 0, "0001-01-01T00:00:00");
	assert_date("01/01/0001 00:00:00", 420, "0000-12-31T17:00:00");
}

static void test_out_of_range_is_refused(void **state)
{
	(void)state;
	const char *bad[] = {"1/1/-2147483648",
			     "1/1/2147483648",
			     "99999999999/1/2026",
			     "1/99999999999/2026",
			     "1/1/99999",
			     "0/1/2026",
			     "32/1/2026",
			     "29/02/2026",
			     "31/04/2026",
			     "1/13/2026",
			     "1/0/2026",
			     "1/1/0",
			     "1/1/2026 24:00:00",
			     "1/1/2026 23:60:00",
			     "1/1/2026 23:59:60",
			     "1/1/2026 -1:00:00",
			     "1/1/2026 1:2:3:4",
			     "1/1/2026 ",
			     "1/1/2026x",
			     "+1/1/2026",
			     " 1/1/2026",
			     "1/1",
			     "1-1-2026",
			     "01/01/2026T00:00:00",
			     "1/1/2026 00:00:00 ",
			     "\xd9\xa1/1/2026",
			     "//",
			     "a/b/c"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[LT_VXP_DATE_BUFSZ] = "x";
		struct lt_err err = {0};
		int rc = lt_vxp_date("toDate", bad[i], 420, out, &err);
		if (rc != LT_EINVAL)
			fail_msg("'%s' was read as '%s'", bad[i], out);
		assert_int_equal(err.status, LT_EINVAL);
		assert_non_null(strstr(err.msg, "toDate"));
		assert_string_equal(out, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates_in_the_clients_clock),
		cmocka_unit_test(test_out_of_range_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
