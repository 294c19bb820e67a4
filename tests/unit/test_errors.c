/* The error path: whatever fails (a caller's callback, the database, the
 * input), the status returned and err->status agree and err says why; the
 * table maps every status to one HTTP status and one exit code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <sqlite3.h>

#include "lienthong/config.h"
#include "lienthong/err.h"

static const char csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H14,Văn phòng UBND tỉnh Cao Bằng,000.00.00.H14,12/QĐ-UBND,2021-01-05,UBND tỉnh Cao Bằng,2021-01-05\n"
	"000.00.02.H14,Sở Nội vụ tỉnh Cao Bằng,000.00.00.H14,12/QĐ-UBND,2021-01-05,UBND tỉnh Cao Bằng,2021-01-05\n";

struct fx {
	char dir[64];
	char db[128];
	struct lt_registry *r;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "errors");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	fx->r = fixture_registry(fx->db, csv);
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

/* A failure: a status below zero that err carries, with words. */
static void assert_failed(int rc, const struct lt_err *err, int want)
{
	if (rc != want || (int)err->status != rc || !err->msg[0])
		fail_msg("returned %d, err %d '%s'; wanted %d with words", rc, (int)err->status, err->msg, want);
}

static int unit_fails(void *ctx, const struct lt_unit *u)
{
	(void)ctx;
	(void)u;
	return LT_ENOMEM;
}

static int event_fails(void *ctx, const struct lt_event *ev)
{
	(void)ctx;
	(void)ev;
	return LT_ENOMEM;
}

/* A callback cannot fill err: the iterator that it stopped does. */
static void test_callback_failures_fill_err(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	assert_failed(lt_registry_children(fx->r, "000.00.00.H14", LT_FILTER_ACTIVE, NULL, unit_fails, NULL, &err),
		      &err, LT_ENOMEM);
	assert_non_null(strstr(err.msg, "out of memory"));
	lt_err_clear(&err);
	assert_failed(
		lt_registry_children(fx->r, "000.00.00.H14", LT_FILTER_ACTIVE, "2025-01-01", unit_fails, NULL, &err),
		&err, LT_ENOMEM);
	lt_err_clear(&err);
	struct lt_search s = {.parent = "000.00.00.H14", .status = LT_FILTER_ACTIVE, .limit = 10};
	char next[LT_CURSOR_BUFSZ];
	assert_failed(lt_registry_search(fx->r, &s, unit_fails, NULL, next, &err), &err, LT_ENOMEM);
	lt_err_clear(&err);
	struct lt_search byname = {.q = "Sở Nội vụ", .status = LT_FILTER_ACTIVE, .limit = 10};
	assert_failed(lt_registry_search(fx->r, &byname, unit_fails, NULL, next, &err), &err, LT_ENOMEM);
	lt_err_clear(&err);
	assert_failed(lt_registry_history(fx->r, "000.00.01.H14", event_fails, NULL, &err), &err, LT_ENOMEM);
	lt_err_clear(&err);
	int64_t last = 0;
	assert_failed(lt_registry_changes_after(fx->r, 0, 10, event_fails, NULL, &last, &err), &err, LT_ENOMEM);
	/* An err left by an earlier refusal of another status does not
	 * describe this failure. */
	lt_err_set(&err, LT_ENOTFOUND, "an earlier, tolerated refusal");
	assert_failed(lt_registry_history(fx->r, "000.00.01.H14", event_fails, NULL, &err), &err, LT_ENOMEM);
	assert_null(strstr(err.msg, "earlier"));
}

static void sql(const char *db, const char *stmt)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(h, stmt, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", stmt, msg);
	sqlite3_close(h);
}

/* A database that fails under the registry: each call says so with a
 * status that agrees with err, and leaks nothing (the ASan build checks). */
static void test_store_failures_reported(void **state)
{
	struct fx *fx = *state;
	lt_registry_close(fx->r);
	fx->r = NULL;
	sql(fx->db, "ALTER TABLE events RENAME TO events_gone; ALTER TABLE units RENAME TO units_gone");
	struct lt_registry *r = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_registry_open(&r, fx->db, &err), LT_OK);
	int64_t last = 12345;
	assert_failed(lt_store_last_seq(lt_registry_store(r), &last, &err), &err, LT_EIO);
	assert_int_equal(last, 12345);
	lt_err_clear(&err);
	/* Its statement cannot be prepared: what was allocated for the answer
	 * is freed (it leaked). */
	unsigned *used = NULL;
	size_t n_used = 0;
	assert_failed(lt_store_numbers_used(lt_registry_store(r), "000.00.00.H14", &used, &n_used, &err), &err, LT_EIO);
	assert_null(used);
	lt_err_clear(&err);
	struct lt_issue is = {.parent = "000.00.00.H14",
			      .name = "Sở Tư pháp tỉnh Cao Bằng",
			      .decision = {"1/QĐ-UBND", "2026-01-05", "UBND tỉnh Cao Bằng"}};
	struct lt_unit u;
	int rc = lt_registry_issue(r, FX_ADMIN, &is, &u, &err);
	assert_true(rc < 0);
	assert_int_equal(rc, (int)err.status);
	assert_true(err.msg[0] != '\0');
	lt_err_clear(&err);
	rc = lt_registry_children(r, "000.00.00.H14", LT_FILTER_ALL, NULL, unit_fails, NULL, &err);
	assert_true(rc < 0);
	assert_int_equal(rc, (int)err.status);
	lt_registry_close(r);
	sql(fx->db, "ALTER TABLE events_gone RENAME TO events; ALTER TABLE units_gone RENAME TO units");
	fx->r = fixture_registry(fx->db, NULL);
}

static void test_err_agree(void **state)
{
	(void)state;
	struct lt_err err = {0};
	assert_int_equal(lt_err_agree(&err, LT_OK), LT_OK);
	assert_int_equal(err.status, LT_OK);
	assert_int_equal(lt_err_agree(&err, 1), 1); /* a callback's "stop", not a failure */
	assert_int_equal(err.status, LT_OK);
	assert_int_equal(lt_err_agree(&err, LT_EIO), LT_EIO);
	assert_int_equal(err.status, LT_EIO);
	assert_string_equal(err.msg, lt_strerror(LT_EIO));
	lt_err_set(&err, LT_ERULE, "a rule said no");
	assert_int_equal(lt_err_agree(&err, LT_ERULE), LT_ERULE);
	assert_string_equal(err.msg, "a rule said no");
	/* A generic return over a precise account: the account wins. */
	lt_err_set(&err, LT_ENOTREADY, "database error while preparing a statement: database is locked");
	assert_int_equal(lt_err_agree(&err, LT_EIO), LT_ENOTREADY);
	assert_int_equal(err.status, LT_ENOTREADY);
	assert_int_equal(lt_err_agree(NULL, LT_EIO), LT_EIO);
}

/* A configuration refusal: status and err agree. */
/* The field a failure concerns: kept until the next failure is set. */
static void test_err_field(void **state)
{
	(void)state;
	struct lt_err err = {0};
	assert_int_equal(lt_err_field(&err, lt_err_set(&err, LT_EINVAL, "email 'x' is not an address"), "email"),
			 LT_EINVAL);
	assert_string_equal(err.field, "email");
	assert_int_equal(lt_err_prefix(&err, "unit: "), LT_EINVAL);
	assert_string_equal(err.field, "email");
	assert_int_equal(lt_err_set(&err, LT_ENOTFOUND, "no unit"), LT_ENOTFOUND);
	assert_string_equal(err.field, "");
	assert_int_equal(lt_err_field(NULL, LT_ERULE, "name"), LT_ERULE);
	lt_err_field(&err, LT_ENOTFOUND, "code");
	lt_err_clear(&err);
	assert_string_equal(err.field, "");
}

static void test_config_errors_agree(void **state)
{
	(void)state;
	struct lt_config cfg;
	lt_config_defaults(&cfg);
	struct lt_err err = {0};
	assert_failed(lt_config_set(&cfg, "threads", "0", &err), &err, LT_EINVAL);
	lt_err_clear(&err);
	assert_failed(lt_config_set(&cfg, "no_such_key", "1", &err), &err, LT_EINVAL);
	lt_err_clear(&err);
	assert_failed(lt_config_load_file(&cfg, "/nonexistent/lienthong.ini", &err), &err,
		      lt_config_load_file(&cfg, "/nonexistent/lienthong.ini", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_callback_failures_fill_err, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failures_reported, setup, teardown),
		cmocka_unit_test(test_err_agree),
		cmocka_unit_test(test_config_errors_agree),
		cmocka_unit_test(test_err_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
