/* The mapping from the lineage: a code followed through several
 * reorganisations to the unit that carries its work now, a split's rows
 * marked ambiguous, a dissolution with no successor, the since and under
 * filters, the SQL form and its identifiers, the landing of a closed code
 * in search, and the record of who fetched the mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "lienthong/access.h"
#include "lienthong/convert.h"
#include "lienthong/transition_map.h"

static const char csv[] =
	"code,name,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,20/2020/QĐ-TTg,2020-07-22,Thủ tướng,2020-07-22\n"
	"000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng,20/2020/QĐ-TTg,2020-07-22,Thủ tướng,2020-07-22\n"
	"000.00.00.H47,Ủy ban nhân dân tỉnh Quảng Nam,20/2020/QĐ-TTg,2020-07-22,Thủ tướng,2020-07-22\n"
	"000.00.01.H47,Sở Nội vụ tỉnh Quảng Nam,12/QĐ,2021-01-05,UBND,2021-01-05\n"
	"000.00.02.H47,Sở Y tế tỉnh Quảng Nam,12/QĐ,2021-01-05,UBND,2021-01-05\n"
	"000.00.03.H47,Ban Dân tộc tỉnh Quảng Nam,12/QĐ,2021-01-05,UBND,2021-01-05\n"
	"000.00.01.H17,Sở Nội vụ thành phố Đà Nẵng,12/QĐ,2021-01-05,UBND,2021-01-05\n";

static const struct lt_decision d1 = {"01/2024/QĐ", "2024-05-01", "UBND"};
static const struct lt_decision d2 = {"202/2025/QH15", "2025-06-12", "Quốc hội"};

struct fx {
	char dir[64], db[128];
	struct lt_registry *r;
};

static void reorg(struct fx *fx, struct lt_reorg q)
{
	struct lt_reorg_result res;
	struct lt_err err = {0};
	if (lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err))
		fail_msg("reorganisation: %s", err.msg);
	lt_reorg_result_free(&res);
}

/* 2024: Sở Nội vụ QN moves under Cao Bằng (000.00.01.H47 → a H14 code).
 * 2025: that unit merges into Sở Nội vụ ĐN; Sở Y tế QN splits in two under
 * Đà Nẵng; Ban Dân tộc is dissolved; Quảng Nam merges into Đà Nẵng. */
static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "tmap");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	fx->r = fixture_registry(fx->db, csv);
	const char a[][LT_CODE_BUFSZ] = {"000.00.01.H47"};
	struct lt_new_unit cb = {"000.00.00.H14", "", 0};
	reorg(fx, (struct lt_reorg){.kind = LT_REORG_MOVE,
				    .decision = d1,
				    .effective = "2024-06-01",
				    .from = a,
				    .n_from = 1,
				    .into = &cb,
				    .n_into = 1});
	const char moved[][LT_CODE_BUFSZ] = {"000.00.01.H14"};
	struct lt_reorg m = {
		.kind = LT_REORG_MERGE, .decision = d2, .effective = "2025-07-01", .from = moved, .n_from = 1};
	snprintf(m.into_code, sizeof m.into_code, "000.00.01.H17");
	reorg(fx, m);
	const char y[][LT_CODE_BUFSZ] = {"000.00.02.H47"};
	struct lt_new_unit parts[] = {{"000.00.00.H17", "Sở Y tế thành phố Đà Nẵng", 0},
				      {"000.00.00.H17", "Sở An toàn thực phẩm", 0}};
	reorg(fx, (struct lt_reorg){.kind = LT_REORG_SPLIT,
				    .decision = d2,
				    .effective = "2025-07-01",
				    .from = y,
				    .n_from = 1,
				    .into = parts,
				    .n_into = 2});
	const char dt[][LT_CODE_BUFSZ] = {"000.00.03.H47"};
	reorg(fx,
	      (struct lt_reorg){
		      .kind = LT_REORG_DISSOLVE, .decision = d2, .effective = "2025-07-01", .from = dt, .n_from = 1});
	const char qn[][LT_CODE_BUFSZ] = {"000.00.00.H47"};
	struct lt_reorg q = {
		.kind = LT_REORG_MERGE, .decision = d2, .effective = "2025-07-01", .from = qn, .n_from = 1};
	snprintf(q.into_code, sizeof q.into_code, "000.00.00.H17");
	reorg(fx, q);
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

static const struct lt_map_row *row_of(const struct lt_map *m, const char *old, size_t k)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->rows[i].old_code, old) == 0 && k-- == 0)
			return &m->rows[i];
	return NULL;
}

static void test_lineage_followed(void **state)
{
	struct fx *fx = *state;
	struct lt_map m;
	struct lt_err err = {0};
	assert_int_equal(lt_transition_map(fx->r, NULL, &m, &err), LT_OK);
	/* Two reorganisations: the 2020 code leads to Sở Nội vụ ĐN. */
	const struct lt_map_row *r = row_of(&m, "000.00.01.H47", 0);
	assert_non_null(r);
	assert_string_equal(r->new_code, "000.00.01.H17");
	assert_string_equal(r->new_name, "Sở Nội vụ thành phố Đà Nẵng");
	assert_string_equal(r->kind, "move");
	assert_string_equal(r->effective, "2024-06-01");
	assert_string_equal(r->decision_number, "01/2024/QĐ");
	assert_false(r->ambiguous);
	assert_string_equal(row_of(&m, "000.00.01.H14", 0)->new_code, "000.00.01.H17");
	/* A split: a row per successor, both ambiguous. */
	const struct lt_map_row *s0 = row_of(&m, "000.00.02.H47", 0), *s1 = row_of(&m, "000.00.02.H47", 1);
	assert_non_null(s1);
	assert_true(s0->ambiguous && s1->ambiguous);
	assert_string_not_equal(s0->new_code, s1->new_code);
	assert_string_equal(s0->kind, "split");
	/* A dissolution: one row, no successor. */
	const struct lt_map_row *d = row_of(&m, "000.00.03.H47", 0);
	assert_string_equal(d->new_code, "");
	assert_string_equal(d->kind, "dissolve");
	assert_string_equal(row_of(&m, "000.00.00.H47", 0)->new_code, "000.00.00.H17");
	assert_int_equal(m.n, 6);

	/* The CSV form. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_int_equal(lt_map_write_csv(&m, f, &err), LT_OK);
	fclose(f);
	assert_true(strncmp(text, "old_code,new_code,old_name,new_name,kind,effective,decision_number,ambiguous\n",
			    77) == 0);
	assert_non_null(strstr(text, "000.00.01.H47,000.00.01.H17,Sở Nội vụ tỉnh Quảng Nam,Sở Nội vụ thành phố Đà "
				     "Nẵng,move,2024-06-01,01/2024/QĐ,false\n"));
	free(text);
	lt_map_free(&m);
}

static void test_filters(void **state)
{
	struct fx *fx = *state;
	struct lt_map m;
	struct lt_err err = {0};
	struct lt_map_filter f = {.since = "2025-01-01"};
	assert_int_equal(lt_transition_map(fx->r, &f, &m, &err), LT_OK);
	assert_null(row_of(&m, "000.00.01.H47", 0)); /* closed in 2024 */
	assert_non_null(row_of(&m, "000.00.01.H14", 0));
	lt_map_free(&m);
	/* under: the old code in the subtree, or its successor. */
	struct lt_map_filter u = {.under = "000.00.00.H14"};
	assert_int_equal(lt_transition_map(fx->r, &u, &m, &err), LT_OK);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.rows[0].old_code, "000.00.01.H14");
	lt_map_free(&m);
	struct lt_map_filter t = {.under = "000.00.00.H17"};
	assert_int_equal(lt_transition_map(fx->r, &t, &m, &err), LT_OK);
	assert_int_equal(m.n, 5); /* all but the dissolved unit, whose successors are none */
	lt_map_free(&m);
	struct lt_map_filter bad = {.since = "2025-13-01"};
	assert_int_equal(lt_transition_map(fx->r, &bad, &m, &err), LT_EINVAL);
	assert_string_equal(err.field, "since");
	struct lt_map_filter badu = {.under = "H17"};
	assert_int_equal(lt_transition_map(fx->r, &badu, &m, &err), LT_EINVAL);
	assert_string_equal(err.field, "under");
}

static void test_sql(void **state)
{
	struct fx *fx = *state;
	struct lt_map m;
	struct lt_err err = {0};
	assert_int_equal(lt_transition_map(fx->r, NULL, &m, &err), LT_OK);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_int_equal(lt_map_write_sql(&m, f, "app.don_vi", "ma_dinh_danh", &err), LT_OK);
	fclose(f);
	assert_non_null(strstr(text, "\nBEGIN;\n"));
	assert_non_null(strstr(text, "UPDATE \"app\".\"don_vi\" SET \"ma_dinh_danh\" = '000.00.00.H17' WHERE "
				     "\"ma_dinh_danh\" = '000.00.00.H47';\n"));
	/* The split and the dissolution are comments, never statements. */
	assert_non_null(strstr(text, "-- NEEDS A CHOICE: 000.00.02.H47"));
	assert_non_null(strstr(text, "-- UPDATE \"app\".\"don_vi\" SET \"ma_dinh_danh\" = "));
	assert_non_null(strstr(text, "-- NEEDS A CHOICE: 000.00.03.H47"));
	assert_null(strstr(text, "\nUPDATE \"app\".\"don_vi\" SET \"ma_dinh_danh\" = '000.00.02.H17'"));
	assert_non_null(strstr(text, "COMMIT;\n"));
	free(text);
	/* Identifiers: nothing that could end the statement. */
	f = open_memstream(&text, &len);
	assert_int_equal(lt_map_write_sql(&m, f, "t; DROP TABLE x", "c", &err), LT_EINVAL);
	assert_string_equal(err.field, "table");
	assert_int_equal(lt_map_write_sql(&m, f, "t", "a.b", &err), LT_EINVAL);
	assert_string_equal(err.field, "column");
	assert_int_equal(lt_map_write_sql(&m, f, "t\"x", "c", &err), LT_EINVAL);
	assert_int_equal(lt_map_write_sql(&m, f, "1t", "c", &err), LT_EINVAL);
	assert_int_equal(lt_map_write_sql(&m, f, "a.b.c", "c", &err), LT_EINVAL);
	fclose(f);
	free(text);
	lt_map_free(&m);
}

static int collect_code(void *ctx, const struct lt_unit *u) { return lt_codelist_add(ctx, u->code); }

static void test_search_landing(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_codelist got = {0}, cur = {0};
	bool landed;
	assert_int_equal(lt_transition_search_land(fx->r, " 000.00.01.H47 ", collect_code, &got, &cur, &landed, &err),
			 LT_OK);
	assert_true(landed);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.codes[0], "000.00.01.H47");
	assert_string_equal(got.codes[1], "000.00.01.H17");
	assert_int_equal(cur.n, 1);
	lt_codelist_free(&got);
	lt_codelist_free(&cur);
	/* An active code, a prefix, a name, an unknown code: no landing. */
	const char *no[] = {"000.00.00.H17", "000.00.00.H4", "Quảng Nam", "000.00.09.H47", ""};
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		assert_int_equal(lt_transition_search_land(fx->r, no[i], collect_code, &got, NULL, &landed, &err),
				 LT_OK);
		assert_false(landed);
		assert_int_equal(got.n, 0);
	}
}

static void test_fetch_recorded(void **state)
{
	struct fx *fx = *state;
	struct lt_store *s = lt_registry_store(fx->r);
	struct lt_err err = {0};
	char at[32];
	assert_int_equal(lt_transition_map_fetched(s, 7, "", at, &err), LT_OK);
	assert_string_equal(at, "");
	struct lt_map_filter f = {.since = "2025-07-01"};
	struct lt_ctx sys = {.who = {.role = LT_ROLE_SYSTEM, .system_id = 7, .token_id = 3, .name = "QLVB"}};
	assert_int_equal(lt_transition_note_read(s, &sys, &f, "csv", &err), LT_OK);
	/* An anonymous reader and the CLI leave nothing. */
	struct lt_ctx anon = {0};
	assert_int_equal(lt_transition_note_read(s, &anon, &f, "csv", &err), LT_OK);
	assert_int_equal(lt_transition_map_fetched(s, 7, "", at, &err), LT_OK);
	assert_int_equal(strlen(at), 20);
	assert_int_equal(lt_transition_map_fetched(s, 7, "9999", at, &err), LT_OK);
	assert_string_equal(at, "");
	assert_int_equal(lt_transition_map_fetched(s, 8, "", at, &err), LT_OK);
	assert_string_equal(at, "");
}

static json_t *detect(struct fx *fx, const char *text, int want_rc)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	json_t *out = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_convert_detect(fx->r, f, LT_CONVERT_CSV, &out, &err), want_rc);
	fclose(f);
	return out;
}

static void test_detect(void **state)
{
	struct fx *fx = *state;
	/* Both codes of Quảng Nam and Đà Nẵng's: all three were active until
	 * the department moved in 2024. */
	json_t *d = detect(fx, "ma\n000.00.01.H47\n000.00.00.H47\n000.00.00.H17\n999.99.99.H99\n", LT_OK);
	assert_string_equal(json_string_value(json_object_get(d, "date")), "2024-05-31");
	assert_int_equal(json_integer_value(json_object_get(d, "codes")), 4);
	assert_int_equal(json_integer_value(json_object_get(d, "known")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "active_on_date")), 3);
	assert_int_equal(json_integer_value(json_object_get(d, "closed_since")), 2);
	assert_string_equal(json_string_value(json_object_get(d, "since")), "2024-06-01");
	assert_int_equal(json_array_size(json_object_get(d, "unknown")), 1);
	assert_int_equal(json_array_size(json_object_get(d, "mapping")), 2);
	json_decref(d);
	/* No code at all, and a broken file. */
	d = detect(fx, "a,b\n1,2\n", LT_OK);
	assert_true(json_is_null(json_object_get(d, "date")));
	assert_int_equal(json_array_size(json_object_get(d, "mapping")), 0);
	json_decref(d);
	assert_null(detect(fx, "a\n\"open\n", LT_EINVAL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lineage_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_landing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
