/* lt_registry_add_records: the shared catalogue's records added by a caller,
 * with the rules the /dmdc/Category handler used to hold (a decision for
 * every record, the caller's scope per record, the fields of the level). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include "lienthong/access.h"

static const char level1_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H47,Ủy ban nhân dân tỉnh Quảng Nam,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H47,Sở Nội vụ tỉnh Quảng Nam,000.00.00.H47,12/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n";

struct fx {
	char dir[64];
	char db[128];
	struct lt_registry *r;
	struct lt_principal admin, manager, reader, anonymous;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "records");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	fx->r = fixture_registry(fx->db, level1_csv);
	fx->admin.role = LT_ROLE_ADMIN;
	fx->manager.role = LT_ROLE_MANAGER;
	snprintf(fx->manager.scope, sizeof fx->manager.scope, "000.00.00.H47");
	fx->reader.role = LT_ROLE_READER;
	fx->anonymous.role = LT_ROLE_ANONYMOUS;
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

static json_t *record(const char *code, const char *name)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "MaDinhDanhCap2", code, "MaDinhDanhCha", "000.00.00.H47",
			 "TenDonVi", name, "QdBanHanhQdSuaDoi", "7/QĐ-UBND", "NgayBanHanhQd", "05/01/2026",
			 "CoQuanBanHanhQd", "UBND tỉnh Quảng Nam");
}

/* Adds records (stolen) and checks the status agrees with err. */
static int add(struct fx *fx, const struct lt_principal *who, int level, json_t *records, struct lt_import_report *rep,
	       struct lt_err *err)
{
	lt_err_clear(err);
	int rc = lt_registry_add_records(fx->r, FX_CTX(who), level, records, rep, err);
	json_decref(records);
	assert_int_equal(rc, (int)err->status);
	if (rc)
		assert_true(err->msg[0] != '\0');
	return rc;
}

static int64_t seq(struct fx *fx)
{
	int64_t last = -1;
	struct lt_err err = {0};
	assert_int_equal(lt_store_last_seq(lt_registry_store(fx->r), &last, &err), LT_OK);
	return last;
}

static const char *reason_of(const struct lt_import_report *rep, size_t i, json_int_t *record_no)
{
	json_t *e = json_array_get(rep->errors, i);
	assert_non_null(e);
	*record_no = json_integer_value(json_object_get(e, "record"));
	return json_string_value(json_object_get(e, "reason"));
}

static void test_added_with_decision(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err;
	assert_int_equal(
		add(fx, &fx->manager, 2,
		    json_pack("[o,o]", record("000.00.02.H47", "Sở Tư pháp"), record("000.00.03.H47", "Sở Y tế")), &rep,
		    &err),
		LT_OK);
	assert_int_equal(rep.imported, 2);
	lt_import_report_free(&rep);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, "000.00.03.H47", NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Y tế");
	assert_string_equal(u.decision.number, "7/QĐ-UBND");
	assert_string_equal(u.decision.date, "2026-01-05");
}

static void test_callers_refused_before_records(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err;
	int64_t before = seq(fx);
	assert_int_equal(add(fx, &fx->anonymous, 2, json_pack("[o]", record("000.00.02.H47", "A")), &rep, &err),
			 LT_EAUTH);
	assert_int_equal(json_array_size(rep.errors), 0);
	lt_import_report_free(&rep);
	assert_int_equal(add(fx, &fx->reader, 2, json_pack("[o]", record("000.00.02.H47", "A")), &rep, &err),
			 LT_EFORBIDDEN);
	assert_int_equal(json_array_size(rep.errors), 0);
	lt_import_report_free(&rep);
	assert_int_equal(seq(fx), before);
}

static void test_scope_judged_per_record(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err;
	int64_t before = seq(fx);
	json_t *outside = record("000.00.05.H14", "Sở ngoài phạm vi");
	json_object_set_new(outside, "MaDinhDanhCha", json_string("000.00.00.H14"));
	assert_int_equal(
		add(fx, &fx->manager, 2, json_pack("[o,o]", record("000.00.02.H47", "A"), outside), &rep, &err),
		LT_EFORBIDDEN);
	json_int_t k;
	assert_non_null(strstr(reason_of(&rep, 0, &k), "outside this manager's subtree"));
	assert_int_equal(k, 2);
	lt_import_report_free(&rep);
	assert_int_equal(seq(fx), before);
	/* The admin may add it. */
	outside = record("000.00.05.H14", "Sở ngoài phạm vi");
	json_object_set_new(outside, "MaDinhDanhCha", json_string("000.00.00.H14"));
	assert_int_equal(add(fx, &fx->admin, 2, json_pack("[o]", outside), &rep, &err), LT_OK);
	lt_import_report_free(&rep);
}

static void test_bad_records_named(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err;
	int64_t before = seq(fx);
	static const char *const decision[] = {"QdBanHanhQdSuaDoi", "NgayBanHanhQd", "CoQuanBanHanhQd"};
	for (size_t i = 0; i < 3; i++) {
		json_t *rec = record("000.00.02.H47", "A");
		if (i == 1)
			json_object_del(rec, decision[i]);
		else
			json_object_set_new(rec, decision[i], i ? json_null() : json_string(""));
		assert_int_equal(add(fx, &fx->admin, 2, json_pack("[o]", rec), &rep, &err), LT_EINVAL);
		json_int_t k;
		const char *why = reason_of(&rep, 0, &k);
		assert_non_null(strstr(why, decision[i]));
		assert_non_null(strstr(why, "required"));
		lt_import_report_free(&rep);
	}
	struct {
		json_t *rec;
		int level;
		const char *says;
	} bad[] = {
		{json_string("x"), 2, "not an object"},
		{json_pack("{s:s,s:s}", "MaDinhDanhCap2", "000.00.02.H47", "Colour", "red"), 2, "unknown field Colour"},
		{json_pack("{s:s,s:i}", "MaDinhDanhCap2", "000.00.02.H47", "TenDonVi", 5), 2, "must be a string"},
		{json_pack("{s:s,s:s}", "MaDinhDanhCap2", "000.01.02.H47", "TenDonVi", "x"), 2, "not a level-2 code"},
		{json_pack("{s:s}", "TenDonVi", "x"), 2, "(missing)"},
		{json_pack("{s:s,s:s}", "MaDinhDanhCap1", "000.00.00.H99", "MaDinhDanhCha", ""), 1, "unknown field"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(add(fx, &fx->admin, bad[i].level, json_pack("[o]", bad[i].rec), &rep, &err),
				 LT_EINVAL);
		json_int_t k;
		const char *why = reason_of(&rep, 0, &k);
		if (!strstr(why, bad[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, why, bad[i].says);
		assert_int_equal(k, 1);
		lt_import_report_free(&rep);
	}
	assert_int_equal(add(fx, &fx->admin, 2, json_array(), &rep, &err), LT_EINVAL);
	lt_import_report_free(&rep);
	assert_int_equal(add(fx, &fx->admin, 5, json_pack("[o]", record("000.00.02.H47", "A")), &rep, &err), LT_EINVAL);
	lt_import_report_free(&rep);
	assert_int_equal(seq(fx), before);
}

/* The import's own refusals come back by record number, not CSV line. */
static void test_import_refusal_by_record(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err;
	int64_t before = seq(fx);
	assert_int_equal(add(fx, &fx->admin, 2,
			     json_pack("[o,o,o]", record("000.00.02.H47", "A"), record("000.00.03.H47", "B"),
				       record("000.00.01.H47", "Trùng mã")),
			     &rep, &err),
			 LT_EINVAL);
	assert_int_equal(json_array_size(rep.errors), 1);
	json_int_t k;
	reason_of(&rep, 0, &k);
	assert_int_equal(k, 3);
	assert_int_equal(rep.imported, 0);
	lt_import_report_free(&rep);
	assert_int_equal(seq(fx), before);
}

/* A record's text arrives as it was sent, whatever a spreadsheet would make
 * of it: the CSV the records travel through is the registry's own. */
static void test_text_kept_as_sent(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err;
	static const char *const names[] = {"=HYPERLINK(\"x\")", "'Sở có nháy", "@Sở", "-Sở, \"trích\""};
	json_t *recs = json_array();
	for (size_t i = 0; i < 4; i++) {
		char code[LT_CODE_BUFSZ];
		snprintf(code, sizeof code, "000.00.%02zu.H47", i + 10);
		json_array_append_new(recs, record(code, names[i]));
	}
	assert_int_equal(add(fx, &fx->admin, 2, recs, &rep, &err), LT_OK);
	lt_import_report_free(&rep);
	for (size_t i = 0; i < 4; i++) {
		char code[LT_CODE_BUFSZ];
		snprintf(code, sizeof code, "000.00.%02zu.H47", i + 10);
		struct lt_unit u;
		assert_int_equal(lt_registry_get(fx->r, code, NULL, &u, &err), LT_OK);
		assert_string_equal(u.name, names[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_added_with_decision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callers_refused_before_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_judged_per_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_refusal_by_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_kept_as_sent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
