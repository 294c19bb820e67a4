/* CSV import of fields the registry cannot keep as given: a value longer
 * than its field is refused with the field's name and limit, never cut; a
 * decision number or issuer with a control character is refused; a field
 * holding a NUL byte is refused with its line and column, never cut at it;
 * and what is refused leaves nothing behind. */
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
#include "lienthong/store.h"

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
	int rc = lt_registry_import_csv(fx->r, FX_ADMIN, f, &rep, &err);
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
	assert_int_equal(lt_registry_import_csv(fx->r, FX_ADMIN, f, &rep, &err), LT_EINVAL);
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

/* Imports len bytes (NULs included); fills *rep (caller frees). */
static int import_bytes(struct fx *fx, const char *bytes, size_t len, struct lt_import_report *rep, struct lt_err *err)
{
	FILE *f = fmemopen((void *)bytes, len, "r");
	assert_non_null(f);
	int rc = lt_registry_import_csv(fx->r, FX_ADMIN, f, rep, err);
	fclose(f);
	return rc;
}

/* A NUL byte used to end the value where C strings end: "Ủy ban\0<junk>"
 * went in as "Ủy ban" and the import said it succeeded. */
static void test_nul_byte_is_refused_with_line_and_column(void **state)
{
	struct fx *fx = *state;
	static const char csv[] = "code,name,phone,note\n"
				  "000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,\n"
				  "000.00.00.H17,Ủy ban nhân dân\0 tỉnh Lạng Sơn,,\n"
				  "000.00.00.H26,Ủy ban nhân dân thành phố Hà Nội,,ghi\0chú\n"
				  "000.00.00.H47,\0,,\n";
	struct lt_import_report rep;
	struct lt_err err = {0};
	assert_int_equal(import_bytes(fx, csv, sizeof csv - 1, &rep, &err), LT_EINVAL);
	assert_int_equal(rep.imported, 0);
	static const struct {
		long line;
		const char *code, *what;
	} want[] = {
		{3, "000.00.00.H17", "column 2 (name) holds a NUL byte"},
		{4, "000.00.00.H26", "column 4 (note) holds a NUL byte"}, /* an ignored column too */
		{5, "000.00.00.H47", "column 2 (name) holds a NUL byte"}, /* a row that looks empty but for it */
	};
	assert_int_equal(json_array_size(rep.errors), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *e = json_array_get(rep.errors, i);
		const char *reason = json_string_value(json_object_get(e, "reason"));
		assert_int_equal(json_integer_value(json_object_get(e, "line")), want[i].line);
		assert_string_equal(json_string_value(json_object_get(e, "code")), want[i].code);
		if (!strstr(reason, want[i].what))
			fail_msg("line %ld: '%s' lacks '%s'", want[i].line, reason, want[i].what);
	}
	lt_import_report_free(&rep);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H14", NULL, &u, &err), LT_ENOTFOUND);
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H17", NULL, &u, &err), LT_ENOTFOUND);
	/* In the header: the whole file is refused, naming line 1 and the column. */
	static const char head[] = "code,na\0me\n000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng\n";
	memset(&err, 0, sizeof err);
	assert_int_equal(import_bytes(fx, head, sizeof head - 1, &rep, &err), LT_EINVAL);
	assert_int_equal(err.status, LT_EINVAL);
	if (!strstr(err.msg, "line 1, column 2") || !strstr(err.msg, "NUL"))
		fail_msg("%s", err.msg);
	lt_import_report_free(&rep);
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H14", NULL, &u, &err), LT_ENOTFOUND);
	/* A file saved as UTF-16 is all NULs: refused at once. */
	static const char utf16[] = "c\0o\0d\0e\0,\0n\0a\0m\0e\0\n\0";
	memset(&err, 0, sizeof err);
	assert_int_equal(import_bytes(fx, utf16, sizeof utf16 - 1, &rep, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "UTF-16"));
	lt_import_report_free(&rep);
}

/* A row whose code is not UTF-8 is refused and said to be: its error once
 * failed to become JSON and was dropped, and the import of a file whose
 * only row was refused reported success (found by fuzz_csv_import). */
static void test_row_with_bytes_not_utf8_is_reported(void **state)
{
	struct fx *fx = *state;
	static const char csv[] = "code,name,x\n"
				  "00\xC7.00.00.F01,Ki\xE1\xBB\x83m to\xC3\xA1n,2020\x01\0\0\0-07-22\n"
				  "000.00.00.H9\xFF,T\xEAn,\n";
	struct lt_import_report rep;
	struct lt_err err = {0};
	assert_int_equal(import_bytes(fx, csv, sizeof csv - 1, &rep, &err), LT_EINVAL);
	assert_int_equal(rep.imported, 0);
	assert_int_equal(json_array_size(rep.errors), 2);
	json_t *e = json_array_get(rep.errors, 0);
	assert_string_equal(json_string_value(json_object_get(e, "code")), "00\xEF\xBF\xBD.00.00.F01");
	assert_non_null(strstr(json_string_value(json_object_get(e, "reason")), "NUL byte"));
	e = json_array_get(rep.errors, 1);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 3);
	assert_string_equal(json_string_value(json_object_get(e, "code")), "000.00.00.H9\xEF\xBF\xBD");
	lt_import_report_free(&rep);
}

/* Imports text with opts (NULL: insert, applied) as who; fills *rep. */
static int import_opts(struct fx *fx, const struct lt_ctx *who, const char *text, const struct lt_import_opts *opts,
		       struct lt_import_report *rep, struct lt_err *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	int rc = lt_registry_import_csv_opts(fx->r, who, f, opts, rep, err);
	fclose(f);
	return rc;
}

static const char base_csv[] = "code,name\n"
			       "000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng\n"
			       "000.00.01.H14,Văn phòng Ủy ban nhân dân tỉnh Cao Bằng\n"
			       "000.00.02.H14,Sở Nội vụ tỉnh Cao Bằng\n";

/* A refused row names the column as the file names it, never the
 * contract's name for it: a province fixes the file it has. */
static void test_errors_name_the_files_columns(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err = {0};
	assert_int_equal(import_opts(fx, FX_ADMIN, base_csv, NULL, &rep, &err), LT_OK);
	lt_import_report_free(&rep);
	static const char csv[] = "MaDinhDanhCap2,TenDonVi,NgayBanHanhQd,Email,DiaChi\n"
				  "000.00.03.H14,Sở Tài chính,31/02/2025,,\n"
				  "000.00.04.H14,Sở Tư pháp,01/02/2025,not-an-address,\n"
				  "000.00.05.H14,,01/02/2025,,\n"
				  "000.00.06.H14,Sở Xây dựng,01/02/2025,,ok\n";
	assert_int_equal(import_opts(fx, FX_ADMIN, csv, NULL, &rep, &err), LT_EINVAL);
	assert_int_equal(rep.refused, 3);
	static const struct {
		long line;
		const char *column, *kind, *in_reason;
	} want[] = {
		{2, "NgayBanHanhQd", "bad_date", "bad date in NgayBanHanhQd"},
		{3, "Email", "bad_contact", "not-an-address"},
		{4, "TenDonVi", "bad_name", "name"},
	};
	assert_int_equal(json_array_size(rep.errors), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *e = json_array_get(rep.errors, i);
		assert_int_equal(json_integer_value(json_object_get(e, "line")), want[i].line);
		assert_string_equal(json_string_value(json_object_get(e, "column")), want[i].column);
		assert_string_equal(json_string_value(json_object_get(e, "error")), want[i].kind);
		assert_non_null(strstr(json_string_value(json_object_get(e, "reason")), want[i].in_reason));
		assert_false(strstr(json_string_value(json_object_get(e, "reason")), "decision_date"));
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(rep.errors, 0), "name")), "Sở Tài chính");
	assert_true(json_is_null(json_object_get(json_array_get(rep.errors, 2), "name")));
	lt_import_report_free(&rep);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, "000.00.06.H14", NULL, &u, &err), LT_ENOTFOUND);
}

/* Upsert corrects the units the registry holds and counts each row; a dry
 * run does the same and leaves nothing behind; insert refuses what exists. */
static void test_upsert_and_dry_run(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err = {0};
	assert_int_equal(import_opts(fx, FX_ADMIN, base_csv, NULL, &rep, &err), LT_OK);
	assert_int_equal(rep.inserted, 3);
	lt_import_report_free(&rep);
	static const char csv[] = "code,name,address\n"
				  "000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,\n"
				  "000.00.02.H14,Sở Nội vụ tỉnh Cao Bằng (sửa),Số 32\n"
				  "000.00.07.H14,Sở Y tế tỉnh Cao Bằng,\n";
	assert_int_equal(import_opts(fx, FX_ADMIN, csv, NULL, &rep, &err), LT_EINVAL);
	assert_int_equal(rep.refused, 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rep.errors, 0), "error")), "exists");
	lt_import_report_free(&rep);

	struct lt_import_opts dry = {.dry_run = true, .upsert = true};
	assert_int_equal(import_opts(fx, FX_ADMIN, csv, &dry, &rep, &err), LT_OK);
	assert_int_equal(rep.inserted, 1);
	assert_int_equal(rep.updated, 1);
	assert_int_equal(rep.unchanged, 1);
	assert_int_equal(rep.refused, 0);
	assert_int_equal(json_array_size(rep.items), 2);
	json_t *upd = json_array_get(rep.items, 0);
	assert_string_equal(json_string_value(json_object_get(upd, "action")), "update");
	assert_string_equal(json_string_value(json_object_get(upd, "old_name")), "Sở Nội vụ tỉnh Cao Bằng");
	assert_int_equal(json_array_size(json_object_get(upd, "changed")), 2);
	json_t *ins = json_array_get(rep.items, 1);
	assert_string_equal(json_string_value(json_object_get(ins, "parent_name")), "Ủy ban nhân dân tỉnh Cao Bằng");
	lt_import_report_free(&rep);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, "000.00.07.H14", NULL, &u, &err), LT_ENOTFOUND);
	assert_int_equal(lt_registry_get(fx->r, "000.00.02.H14", NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ tỉnh Cao Bằng");

	struct lt_import_opts up = {.upsert = true};
	assert_int_equal(import_opts(fx, FX_ADMIN, csv, &up, &rep, &err), LT_OK);
	assert_int_equal(rep.imported, 2);
	assert_null(rep.items);
	lt_import_report_free(&rep);
	assert_int_equal(lt_registry_get(fx->r, "000.00.02.H14", NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ tỉnh Cao Bằng (sửa)");
	assert_string_equal(u.contact.address, "Số 32");
	assert_int_equal(u.version, 2);
	assert_int_equal(import_opts(fx, FX_ADMIN, csv, &up, &rep, &err), LT_OK);
	assert_int_equal(rep.unchanged, 3);
	assert_int_equal(rep.imported, 0);
	lt_import_report_free(&rep);
}

/* A manager's import is judged row by row against its subtree: one row
 * outside it refuses the file as the caller's refusal (forbidden). */
static void test_manager_scope(void **state)
{
	struct fx *fx = *state;
	struct lt_import_report rep;
	struct lt_err err = {0};
	assert_int_equal(import_opts(fx, FX_ADMIN, base_csv, NULL, &rep, &err), LT_OK);
	lt_import_report_free(&rep);
	assert_int_equal(import_opts(fx, FX_ADMIN, "code,name\n000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng\n", NULL,
				     &rep, &err),
			 LT_OK);
	lt_import_report_free(&rep);
	struct lt_ctx mgr = {.who = {.role = LT_ROLE_MANAGER}};
	snprintf(mgr.who.scope, sizeof mgr.who.scope, "000.00.00.H14");
	static const char csv[] = "code,name\n000.00.08.H14,Sở Công Thương\n000.00.01.H17,Văn phòng\n";
	struct lt_import_opts up = {.upsert = true};
	assert_int_equal(import_opts(fx, &mgr, csv, &up, &rep, &err), LT_EFORBIDDEN);
	assert_int_equal(rep.refused, 1);
	json_t *e = json_array_get(rep.errors, 0);
	assert_string_equal(json_string_value(json_object_get(e, "error")), "forbidden");
	assert_string_equal(json_string_value(json_object_get(e, "code")), "000.00.01.H17");
	lt_import_report_free(&rep);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, "000.00.08.H14", NULL, &u, &err), LT_ENOTFOUND);
}

/* A code on two rows refuses the second, naming the first, whatever comes
 * between them in the file; nothing is written. */
static void test_duplicate_row_names_the_first(void **state)
{
	struct fx *fx = *state;
	static const char csv[] = "code,name\n"
				  "000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng\n"
				  "000.00.01.H14,Văn phòng Ủy ban nhân dân tỉnh Cao Bằng\n"
				  "000.00.02.H14,Sở Nội vụ tỉnh Cao Bằng\n"
				  "000.00.01.H14,Văn phòng (lần hai)\n";
	struct lt_import_report rep;
	struct lt_err err = {0};
	assert_int_equal(import_opts(fx, FX_ADMIN, csv, NULL, &rep, &err), LT_EINVAL);
	assert_int_equal(rep.refused, 1);
	assert_int_equal(rep.imported, 0);
	assert_int_equal(json_array_size(rep.errors), 1);
	json_t *e = json_array_get(rep.errors, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 5);
	assert_string_equal(json_string_value(json_object_get(e, "error")), "duplicate_row");
	assert_string_equal(json_string_value(json_object_get(e, "reason")), "duplicate: the same code is on line 3");
	lt_import_report_free(&rep);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H14", NULL, &u, &err), LT_ENOTFOUND);
}

static int last_summary(void *ctx, const struct lt_change *c)
{
	snprintf(ctx, 1024, "%s", c->summary ? c->summary : "");
	return 0;
}

/* The import's change lists the rows that bring a reorganisation's history
 * in (a reorganised date of their own) in tree order, each once, whatever
 * the file's order. */
static void test_history_in_tree_order(void **state)
{
	struct fx *fx = *state;
	static const char csv[] = "code,name,reorganized\n"
				  "000.00.02.H14,Sở Nội vụ tỉnh Cao Bằng,2021-01-01\n"
				  "000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,\n"
				  "000.01.02.H14,Phòng Tổ chức,2021-02-01\n"
				  "000.00.01.H14,Văn phòng Ủy ban nhân dân tỉnh Cao Bằng,2020-03-01\n";
	struct lt_import_report rep;
	struct lt_err err = {0};
	assert_int_equal(import_opts(fx, FX_ADMIN, csv, NULL, &rep, &err), LT_OK);
	assert_int_equal(rep.inserted, 4);
	lt_import_report_free(&rep);
	char summary[1024] = "";
	assert_int_equal(lt_store_changes(lt_registry_store(fx->r), last_summary, summary, &err), LT_OK);
	json_t *s = json_loads(summary, 0, NULL);
	assert_non_null(s);
	json_t *h = json_object_get(s, "history");
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(json_string_value(json_array_get(h, 0)), "000.00.01.H14");
	assert_string_equal(json_string_value(json_array_get(h, 1)), "000.00.02.H14");
	assert_string_equal(json_string_value(json_array_get(h, 2)), "000.01.02.H14");
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_long_fields_are_refused_not_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_of_a_refused_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_byte_is_refused_with_line_and_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_with_bytes_not_utf8_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_the_files_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upsert_and_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manager_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_row_names_the_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_in_tree_order, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
