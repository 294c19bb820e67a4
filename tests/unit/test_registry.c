/* The registry's rules on a temporary SQLite file: the lifecycle of design.md
 * §4 with real codes, lineage, as-of reads, history, and that every refusal
 * leaves the registry's content unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lienthong/registry.h"

struct fx {
	char dir[64];
	char db[128];
	struct lt_registry *r;
};

static const char level1_csv[] =
	"code,name,parent,address,email,phone,fax,website,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,,,,,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng,,,,,,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H47,Ủy ban nhân dân tỉnh Quảng Nam,,,,,,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H47,Sở Nội vụ tỉnh Quảng Nam,000.00.00.H47,\"2 Trần Phú, Tam Kỳ\",sonv@quangnam.gov.vn,0235 3810 001,,,"
	"12/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.00.02.H47,UBND huyện Đại Lộc,000.00.00.H47,,,,,,13/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.01.02.H47,UBND xã Đại Hiệp,000.00.02.H47,,,,,,14/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"001.01.02.H47,Trường tiểu học Đại Hiệp,000.01.02.H47,,,,,,15/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.00.01.H17,Sở Nội vụ thành phố Đà Nẵng,000.00.00.H17,,,,,,16/QĐ-UBND,2021-01-05,UBND TP Đà Nẵng,2021-01-05\n";

static const struct lt_decision merger = {"202/2025/QH15", "2025-06-12", "Quốc hội"};

static int import_text(struct lt_registry *r, const char *text, struct lt_import_report *rep, struct lt_err *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc = lt_registry_import_csv(r, f, rep, err);
	fclose(f);
	return rc;
}

/* The whole registry's content: the export, as of far in the future too, so
 * closed units and the log both count. */
static char *snapshot(struct lt_registry *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct lt_err err;
	assert_int_equal(lt_registry_export_csv(r, f, NULL, NULL, &err), LT_OK);
	assert_int_equal(lt_registry_export_csv(r, f, NULL, "2099-01-01", &err), LT_OK);
	fprintf(f, "last_seq=%lld\n", (long long)lt_store_last_seq(lt_registry_store(r)));
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/lt-reg-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	struct lt_err err = {0};
	assert_int_equal(lt_registry_open(&fx->r, fx->db, &err), LT_OK);
	struct lt_import_report rep;
	int rc = import_text(fx->r, level1_csv, &rep, &err);
	if (rc)
		fprintf(stderr, "import: %s %s\n", err.msg, json_dumps(rep.errors, 0));
	assert_int_equal(rc, LT_OK);
	assert_int_equal(rep.imported, 8);
	lt_import_report_free(&rep);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	lt_registry_close(fx->r);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static struct lt_reorg merge_req(const char (*from)[LT_CODE_BUFSZ], size_t n, const char *into)
{
	struct lt_reorg q = {.kind = LT_REORG_MERGE, .decision = merger, .effective = "2025-07-01",
			     .from = from, .n_from = n};
	snprintf(q.into_code, sizeof q.into_code, "%s", into);
	return q;
}

static void test_merger_quang_nam_into_da_nang(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	const char from[][LT_CODE_BUFSZ] = {"000.00.00.H47"};
	struct lt_reorg q = merge_req(from, 1, "000.00.00.H17");
	struct lt_reorg_result res;
	assert_int_equal(lt_registry_reorganize(fx->r, &q, &res, &err), LT_OK);

	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H47", NULL, &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_CLOSED);
	assert_string_equal(u.valid_to, "2025-07-01");
	assert_string_equal(u.decision.number, "202/2025/QH15");
	struct lt_codelist succ = {0}, pred = {0}, cur = {0};
	assert_int_equal(lt_registry_lineage(fx->r, "000.00.00.H47", &succ, NULL, &err), LT_OK);
	assert_int_equal(succ.n, 1);
	assert_string_equal(succ.codes[0], "000.00.00.H17");
	lt_codelist_free(&succ);

	/* The Sở Nội vụ of Quảng Nam collides with Đà Nẵng's 01: it takes 02. */
	assert_int_equal(lt_registry_resolve(fx->r, "000.00.01.H47", &cur, &err), LT_OK);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.codes[0], "000.00.02.H17");
	lt_codelist_free(&cur);
	assert_int_equal(lt_registry_get(fx->r, "000.00.02.H17", NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ tỉnh Quảng Nam");
	assert_string_equal(u.contact.address, "2 Trần Phú, Tam Kỳ");
	assert_string_equal(u.parent, "000.00.00.H17");
	assert_int_equal(lt_registry_lineage(fx->r, "000.00.02.H17", NULL, &pred, &err), LT_OK);
	assert_int_equal(pred.n, 1);
	assert_string_equal(pred.codes[0], "000.00.01.H47");
	lt_codelist_free(&pred);

	/* The district moved with its commune and school (a three-level subtree). */
	assert_int_equal(lt_registry_resolve(fx->r, "001.01.02.H47", &cur, &err), LT_OK);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.codes[0], "001.01.03.H17");
	lt_codelist_free(&cur);
	assert_int_equal(res.n_moved, 4);
	assert_int_equal(res.closed.n, 5);

	/* As of the day before, the old tree stands. */
	assert_int_equal(lt_registry_get(fx->r, "000.00.01.H47", "2025-06-30", &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_ACTIVE);
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H47", "2025-06-30", &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_ACTIVE);
	assert_int_equal(lt_registry_get(fx->r, "000.00.02.H17", "2025-06-30", &u, &err), LT_ENOTFOUND);
	assert_int_equal(lt_registry_get(fx->r, "000.00.02.H17", "2025-07-01", &u, &err), LT_OK);
	lt_reorg_result_free(&res);

	/* Closed numbers are never reissued: the next unit under H47's former
	 * district... H47 is closed, so issuing there is refused. */
	struct lt_issue is = {.parent = "000.00.00.H47", .name = "Sở mới", .decision = merger};
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "000.00.00.H17"));
	/* Under H17 the next number skips everything ever used (01, 02, 03). */
	snprintf(is.parent, sizeof is.parent, "000.00.00.H17");
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_OK);
	assert_string_equal(u.code, "000.00.04.H17");
	/* Dissolve it, then the number 04 stays used. */
	const char gone[][LT_CODE_BUFSZ] = {"000.00.04.H17"};
	struct lt_reorg d = {.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-08-01",
			     .from = gone, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, &d, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_OK);
	assert_string_equal(u.code, "000.00.05.H17");
	is.number = 4;
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_ECONFLICT);
	assert_non_null(strstr(err.msg, "never reissued"));
}

struct hist {
	char kinds[256];
	char decisions[512];
};

static int on_hist(void *ctx, const struct lt_event *ev)
{
	struct hist *h = ctx;
	json_t *d = json_loads(ev->data, 0, NULL);
	strcat(h->kinds, ev->kind);
	strcat(h->kinds, " ");
	const char *num = json_string_value(json_object_get(json_object_get(json_object_get(d, "unit"), "decision"),
							    "number"));
	strcat(h->decisions, num ? num : "-");
	strcat(h->decisions, " ");
	json_decref(d);
	return 0;
}

static void test_split_move_dissolve_rename_history(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_reorg_result res;
	struct lt_unit u;

	/* Split the district: its commune goes to the second new unit. */
	const char dist[][LT_CODE_BUFSZ] = {"000.00.02.H47"};
	struct lt_new_unit into[2] = {{"000.00.00.H47", "UBND huyện Đại Lộc Bắc", 0},
				      {"000.00.00.H47", "UBND huyện Đại Lộc Nam", 0}};
	struct lt_reorg s = {.kind = LT_REORG_SPLIT, .decision = merger, .effective = "2024-01-01",
			     .from = dist, .n_from = 1, .into = into, .n_into = 2};
	assert_int_equal(lt_registry_reorganize(fx->r, &s, &res, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "000.01.02.H47"));
	struct lt_child_place place = {"000.01.02.H47", 1};
	s.children = &place;
	s.n_children = 1;
	assert_int_equal(lt_registry_reorganize(fx->r, &s, &res, &err), LT_OK);
	assert_int_equal(res.created.n, 4); /* two districts, the commune, the school */
	lt_reorg_result_free(&res);
	struct lt_codelist cur = {0};
	assert_int_equal(lt_registry_resolve(fx->r, "000.00.02.H47", &cur, &err), LT_OK);
	assert_int_equal(cur.n, 2);
	assert_string_equal(cur.codes[0], "000.00.03.H47");
	assert_string_equal(cur.codes[1], "000.00.04.H47");
	lt_codelist_free(&cur);
	assert_int_equal(lt_registry_resolve(fx->r, "001.01.02.H47", &cur, &err), LT_OK);
	assert_string_equal(cur.codes[0], "001.01.04.H47");
	lt_codelist_free(&cur);

	struct hist sh = {0};
	assert_int_equal(lt_registry_history(fx->r, "000.00.02.H47", on_hist, &sh, &err), LT_OK);
	assert_string_equal(sh.kinds, "import split ");
	assert_string_equal(sh.decisions, "13/QĐ-UBND 202/2025/QH15 ");

	/* Move the new Nam district (with commune and school) to Cao Bằng. */
	const char nam[][LT_CODE_BUFSZ] = {"000.00.04.H47"};
	struct lt_new_unit to = {"000.00.00.H14", "", 0};
	struct lt_reorg m = {.kind = LT_REORG_MOVE, .decision = merger, .effective = "2024-06-01",
			     .from = nam, .n_from = 1, .into = &to, .n_into = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, &m, &res, &err), LT_OK);
	assert_int_equal(res.n_moved, 3);
	/* It keeps its own number, 04, which H14 never used. */
	assert_string_equal(res.moved[0].to, "000.00.04.H14");
	lt_reorg_result_free(&res);
	assert_int_equal(lt_registry_get(fx->r, "001.01.04.H14", NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Trường tiểu học Đại Hiệp");
	assert_int_equal(u.level, 4);
	struct hist mh = {0}, nh = {0};
	assert_int_equal(lt_registry_history(fx->r, "001.01.04.H47", on_hist, &mh, &err), LT_OK);
	assert_string_equal(mh.kinds, "split move ");
	assert_int_equal(lt_registry_history(fx->r, "001.01.04.H14", on_hist, &nh, &err), LT_OK);
	assert_string_equal(nh.kinds, "move ");
	assert_string_equal(nh.decisions, "202/2025/QH15 ");

	/* A move into its own subtree is a cycle; one that needs level 5 too deep. */
	const char h14d[][LT_CODE_BUFSZ] = {"000.00.04.H14"};
	struct lt_new_unit down = {"000.01.04.H14", "", 0};
	m.from = h14d;
	m.into = &down;
	assert_int_equal(lt_registry_reorganize(fx->r, &m, &res, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "cycle"));
	struct lt_new_unit deep = {"000.00.01.H17", "", 0};
	m.into = &deep;
	assert_int_equal(lt_registry_reorganize(fx->r, &m, &res, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "level 5"));

	/* Dissolve is refused while children are active. */
	struct lt_reorg d = {.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2024-07-01",
			     .from = h14d, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, &d, &res, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "active child"));

	/* Rename, and the history reads back in order with its decisions. */
	struct lt_decision rd = {"99/QĐ-UBND", "2024-08-01", "UBND tỉnh Cao Bằng"};
	assert_int_equal(lt_registry_rename(fx->r, "000.00.04.H14", "UBND huyện Đại Lộc Nam (Cao Bằng)", &rd,
					    "2024-08-02", &u, &err),
			 LT_OK);
	assert_int_equal(u.version, 2);
}

static void test_history_in_order(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit u;
	struct lt_decision d1 = {"1/QĐ", "2022-01-01", "UBND"}, d2 = {"2/QĐ", "2022-02-01", "UBND"};
	assert_int_equal(lt_registry_rename(fx->r, "000.00.01.H17", "Sở Nội vụ", &d1, "2022-01-02", &u, &err), LT_OK);
	assert_int_equal(lt_registry_rename(fx->r, "000.00.01.H17", "Sở Nội vụ Đà Nẵng", &d2, "2022-02-02", &u, &err),
			 LT_OK);
	struct lt_contact c = {.email = "sonv@danang.gov.vn"};
	assert_int_equal(lt_registry_update(fx->r, "000.00.01.H17", &c, u.version, &u, &err), LT_OK);
	assert_int_equal(lt_registry_update(fx->r, "000.00.01.H17", &c, 1, &u, &err), LT_ECONFLICT);
	/* A change dated before the last one recorded would rewrite the past. */
	assert_int_equal(lt_registry_rename(fx->r, "000.00.01.H17", "Sở cũ", &d1, "2022-01-10", &u, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "before the last recorded change"));
	struct hist h = {0};
	assert_int_equal(lt_registry_history(fx->r, "000.00.01.H17", on_hist, &h, &err), LT_OK);
	assert_string_equal(h.kinds, "import rename rename update ");
	assert_string_equal(h.decisions, "16/QĐ-UBND 1/QĐ 2/QĐ 2/QĐ ");
	/* As of a date between the renames, the first new name. */
	assert_int_equal(lt_registry_get(fx->r, "000.00.01.H17", "2022-01-15", &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ");
}

/* Every refusal leaves the content byte-for-byte unchanged. */
static void test_refusals_change_nothing(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit u;
	struct lt_reorg_result res;
	/* Close a leaf first, so closed codes can be tried below. */
	const char leaf[][LT_CODE_BUFSZ] = {"000.00.01.H17"};
	struct lt_reorg close = {.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-01-01",
				 .from = leaf, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, &close, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	/* Fill every level-3 number under the Sở Nội vụ of Quảng Nam. */
	for (unsigned n = 1; n <= 99; n++) {
		struct lt_issue fill = {.parent = "000.00.01.H47", .name = "Phòng", .decision = merger,
					.effective = "2025-01-01"};
		assert_int_equal(lt_registry_issue(fx->r, &fill, &u, &err), LT_OK);
	}
	char *before = snapshot(fx->r);
	struct lt_issue full = {.parent = "000.00.01.H47", .name = "Phòng thứ 100", .decision = merger};
	assert_int_equal(lt_registry_issue(fx->r, &full, &u, &err), LT_ERULE); /* full number range */
	assert_non_null(strstr(err.msg, "have been used"));
	struct lt_issue reuse = {.parent = "000.00.00.H17", .name = "Sở Nội vụ mới", .number = 1, .decision = merger};
	assert_int_equal(lt_registry_issue(fx->r, &reuse, &u, &err), LT_ECONFLICT); /* closed code */
	snprintf(reuse.parent, sizeof reuse.parent, "000.00.01.H17");
	reuse.number = 0;
	assert_int_equal(lt_registry_issue(fx->r, &reuse, &u, &err), LT_ERULE); /* closed parent */
	assert_int_equal(lt_registry_rename(fx->r, "000.00.01.H17", "Tên mới", &merger, "", &u, &err), LT_ERULE);

	struct lt_issue is = {.parent = "000.00.00.H99", .name = "X", .decision = merger};
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_ENOTFOUND); /* unknown parent */
	snprintf(is.parent, sizeof is.parent, "000.00.00.H17");
	is.decision.number[0] = '\0';
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_EINVAL); /* missing decision */
	assert_non_null(strstr(err.msg, "decision"));
	is.decision = merger;
	snprintf(is.contact.email, sizeof is.contact.email, "not-an-email");
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_EINVAL);
	memset(&is.contact, 0, sizeof is.contact);
	is.number = 100;
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_EINVAL);
	is.number = 1; /* 000.00.01.H17 exists */
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_ECONFLICT);

	/* Full number range: 99 level-3 numbers used under one parent. */
	const char cycle[][LT_CODE_BUFSZ] = {"000.00.00.H47"};
	struct lt_new_unit into = {"000.01.02.H47", "", 0};
	struct lt_reorg m = {.kind = LT_REORG_MOVE, .decision = merger, .effective = "2025-01-01",
			     .from = cycle, .n_from = 1, .into = &into, .n_into = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, &m, &res, &err), LT_ERULE); /* cycle */
	const char closed_after[][LT_CODE_BUFSZ] = {"000.00.02.H47"};
	struct lt_reorg d = {.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-01-01",
			     .from = closed_after, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, &d, &res, &err), LT_ERULE); /* active children */
	d.decision.issuer[0] = '\0';
	assert_int_equal(lt_registry_reorganize(fx->r, &d, &res, &err), LT_EINVAL); /* missing decision */

	/* A unit and its own descendant in one merge would close the descendant twice. */
	const char nested[][LT_CODE_BUFSZ] = {"000.00.02.H47", "000.01.02.H47"};
	struct lt_reorg nm = merge_req(nested, 2, "000.00.00.H17");
	assert_int_equal(lt_registry_reorganize(fx->r, &nm, &res, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "lies inside"));
	/* A reorganisation dated before the unit's last change is refused. */
	struct lt_reorg early = merge_req(cycle, 1, "000.00.00.H17");
	snprintf(early.effective, sizeof early.effective, "2020-01-01");
	assert_int_equal(lt_registry_reorganize(fx->r, &early, &res, &err), LT_ERULE);

	/* Dry runs report and write nothing. */
	struct lt_reorg q = merge_req(cycle, 1, "000.00.00.H17");
	q.dry_run = true;
	assert_int_equal(lt_registry_reorganize(fx->r, &q, &res, &err), LT_OK);
	assert_int_equal(res.closed.n, 5 + 99);
	lt_reorg_result_free(&res);

	/* A bad import writes no row at all, and names every bad row. */
	static const char bad_csv[] =
		"code,name,parent,email,decision_date\n"
		"000.00.09.H14,Sở tốt,,a@b.vn,2024-01-01\n"
		"000.00.9.H14,Mã sai,,,\n"
		"000.00.05.H99,Cha lạ,,,\n"
		"000.00.08.H14,Email sai,,khong-phai-email,\n"
		"000.00.07.H14,Ngày sai,,,2024-02-30\n"
		"000.00.09.H14,Trùng,,,\n"
		"000.00.01.H17,Đã có,,,\n";
	struct lt_import_report rep;
	assert_int_equal(import_text(fx->r, bad_csv, &rep, &err), LT_EINVAL);
	assert_int_equal(rep.imported, 0);
	assert_int_equal(json_array_size(rep.errors), 6);
	const char *want[] = {"bad code", "unknown parent", "bad email", "bad date", "duplicate", "closed code reused"};
	for (size_t i = 0; i < 6; i++) {
		const char *reason = json_string_value(json_object_get(json_array_get(rep.errors, i), "reason"));
		if (!strstr(reason, want[i]))
			fail_msg("error %zu: '%s' lacks '%s'", i, reason, want[i]);
	}
	lt_import_report_free(&rep);

	char *after = snapshot(fx->r);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_closed_code_reuse_refused_on_import(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_reorg_result res;
	const char from[][LT_CODE_BUFSZ] = {"000.00.01.H17"};
	struct lt_reorg d = {.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-01-01",
			     .from = from, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, &d, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	static const char csv[] = "code,name\n000.00.01.H17,Lại là Sở Nội vụ\n";
	struct lt_import_report rep;
	assert_int_equal(import_text(fx->r, csv, &rep, &err), LT_EINVAL);
	const char *reason = json_string_value(json_object_get(json_array_get(rep.errors, 0), "reason"));
	assert_non_null(strstr(reason, "closed code reused"));
	lt_import_report_free(&rep);
}

static int count_unit(void *ctx, const struct lt_unit *u)
{
	(void)u;
	(*(int *)ctx)++;
	return 0;
}

static void test_search_diacritics_and_codes(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	const char *same[] = {"cao bang", "Cao Bằng", "CAO BANG", "cao BẰNG"};
	for (size_t i = 0; i < 4; i++) {
		int n = 0;
		struct lt_search q = {.q = same[i], .status = LT_FILTER_ALL};
		assert_int_equal(lt_registry_search(fx->r, &q, count_unit, &n, NULL, &err), LT_OK);
		assert_int_equal(n, 1);
	}
	int a = 0, b = 0;
	struct lt_search q1 = {.q = "đà nẵng"}, q2 = {.q = "da nang"};
	assert_int_equal(lt_registry_search(fx->r, &q1, count_unit, &a, NULL, &err), LT_OK);
	assert_int_equal(lt_registry_search(fx->r, &q2, count_unit, &b, NULL, &err), LT_OK);
	assert_int_equal(a, 2);
	assert_int_equal(a, b);
	int c = 0;
	struct lt_search q3 = {.q = "02.H47"};
	assert_int_equal(lt_registry_search(fx->r, &q3, count_unit, &c, NULL, &err), LT_OK);
	assert_int_equal(c, 3); /* the district, its commune, its school */
	int d = 0;
	struct lt_search q4 = {.q = "H47", .level = 2};
	assert_int_equal(lt_registry_search(fx->r, &q4, count_unit, &d, NULL, &err), LT_OK);
	assert_int_equal(d, 2);
	/* Paging: one per page, following the cursor, visits all of H47. */
	char cursor[LT_CODE_BUFSZ] = "";
	int total = 0, pages = 0;
	do {
		struct lt_search q = {.q = "H47", .limit = 1, .cursor = cursor};
		assert_int_equal(lt_registry_search(fx->r, &q, count_unit, &total, cursor, &err), LT_OK);
		pages++;
	} while (cursor[0] && pages < 20);
	assert_int_equal(total, 5);
	struct lt_search bad = {.q = "x", .cursor = "'; DROP TABLE units"};
	assert_int_equal(lt_registry_search(fx->r, &bad, count_unit, &total, NULL, &err), LT_EINVAL);
}

static void test_compliance(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit u;
	/* Reorganised 2025-05-01, decision 2025-06-12 (42 days), recorded on the
	 * pinned today 2025-07-03 (21 days after the decision). */
	struct lt_issue is = {.parent = "000.00.00.H14", .name = "Sở mới", .decision = merger,
			      .effective = "2025-07-01", .reorganized = "2025-05-01"};
	assert_int_equal(lt_registry_issue(fx->r, &is, &u, &err), LT_OK);
	/* On time: reorganised and decided the same day, recorded within 7 days. */
	struct lt_decision ok = {"5/QĐ", "2025-07-01", "UBND"};
	struct lt_issue good = {.parent = "000.00.00.H17", .name = "Sở đúng hạn", .decision = ok,
				.effective = "2025-07-01", .reorganized = "2025-07-01"};
	assert_int_equal(lt_registry_issue(fx->r, &good, &u, &err), LT_OK);
	static const char nodecision[] = "code,name\n000.00.09.H17,Đơn vị chưa có quyết định\n";
	struct lt_import_report rep;
	assert_int_equal(import_text(fx->r, nodecision, &rep, &err), LT_OK);
	lt_import_report_free(&rep);
	json_t *all;
	assert_int_equal(lt_registry_compliance(fx->r, NULL, &all, &err), LT_OK);
	char *text = json_dumps(all, JSON_COMPACT);
	assert_int_equal(json_array_size(all), 3);
	assert_non_null(strstr(text, "\"kind\":\"late_decision\""));
	assert_non_null(strstr(text, "\"days\":42"));
	assert_non_null(strstr(text, "\"kind\":\"late_upload\""));
	assert_non_null(strstr(text, "\"days\":21"));
	assert_non_null(strstr(text, "\"kind\":\"pending\",\"code\":\"000.00.09.H17\""));
	assert_null(strstr(text, "Sở đúng hạn"));
	free(text);
	json_decref(all);
	assert_int_equal(lt_registry_compliance(fx->r, "H17", &all, &err), LT_OK);
	assert_int_equal(json_array_size(all), 1);
	json_decref(all);
	assert_int_equal(lt_registry_compliance(fx->r, "X1", &all, &err), LT_EINVAL);
}

int main(void)
{
	setenv("LIENTHONG_TODAY", "2025-07-03", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merger_quang_nam_into_da_nang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_move_dissolve_rename_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_code_reuse_refused_on_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_diacritics_and_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compliance, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
