/* The registry's rules on a temporary SQLite file: the lifecycle of design.md
 * §4 with real codes, lineage, as-of reads, history, and that every refusal
 * leaves the registry's content unchanged. */
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
#include "lienthong/text.h"

struct fx {
	char dir[64];
	char db[128];
	struct lt_registry *r;
};

static const char level1_csv[] =
	"code,name,parent,address,email,phone,fax,website,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,,,,,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng,,,,,,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính "
	"phủ,2020-07-22\n"
	"000.00.00.H47,Ủy ban nhân dân tỉnh Quảng Nam,,,,,,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H47,Sở Nội vụ tỉnh Quảng Nam,000.00.00.H47,\"2 Trần Phú, Tam Kỳ\",sonv@quangnam.gov.vn,0235 3810 "
	"001,,,"
	"12/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.00.02.H47,UBND huyện Đại Lộc,000.00.00.H47,,,,,,13/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.01.02.H47,UBND xã Đại Hiệp,000.00.02.H47,,,,,,14/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"001.01.02.H47,Trường tiểu học Đại Hiệp,000.01.02.H47,,,,,,15/QĐ-UBND,2021-01-05,UBND tỉnh Quảng "
	"Nam,2021-01-05\n"
	"000.00.01.H17,Sở Nội vụ thành phố Đà Nẵng,000.00.00.H17,,,,,,16/QĐ-UBND,2021-01-05,UBND TP Đà "
	"Nẵng,2021-01-05\n";

static const struct lt_decision merger = {"202/2025/QH15", "2025-06-12", "Quốc hội"};

static int import_text(struct lt_registry *r, const char *text, struct lt_import_report *rep, struct lt_err *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc = lt_registry_import_csv(r, FX_ADMIN, f, rep, err);
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
	int64_t last = -1;
	assert_int_equal(lt_store_last_seq(lt_registry_store(r), &last, &err), LT_OK);
	fprintf(f, "last_seq=%lld\n", (long long)last);
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "reg");
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
	fixture_rmrf(fx->dir);
	free(fx);
	return 0;
}

static struct lt_reorg merge_req(const char (*from)[LT_CODE_BUFSZ], size_t n, const char *into)
{
	struct lt_reorg q = {
		.kind = LT_REORG_MERGE, .decision = merger, .effective = "2025-07-01", .from = from, .n_from = n};
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
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err), LT_OK);

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
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "000.00.00.H17"));
	/* Under H17 the next number skips everything ever used (01, 02, 03). */
	snprintf(is.parent, sizeof is.parent, "000.00.00.H17");
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_OK);
	assert_string_equal(u.code, "000.00.04.H17");
	/* Dissolve it, then the number 04 stays used. */
	const char gone[][LT_CODE_BUFSZ] = {"000.00.04.H17"};
	struct lt_reorg d = {
		.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-08-01", .from = gone, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &d, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_OK);
	assert_string_equal(u.code, "000.00.05.H17");
	is.number = 4;
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_ECONFLICT);
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
	const char *num =
		json_string_value(json_object_get(json_object_get(json_object_get(d, "unit"), "decision"), "number"));
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
	struct lt_reorg s = {.kind = LT_REORG_SPLIT,
			     .decision = merger,
			     .effective = "2024-01-01",
			     .from = dist,
			     .n_from = 1,
			     .into = into,
			     .n_into = 2};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &s, &res, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "000.01.02.H47"));
	struct lt_child_place place = {"000.01.02.H47", 1};
	s.children = &place;
	s.n_children = 1;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &s, &res, &err), LT_OK);
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
	struct lt_reorg m = {.kind = LT_REORG_MOVE,
			     .decision = merger,
			     .effective = "2024-06-01",
			     .from = nam,
			     .n_from = 1,
			     .into = &to,
			     .n_into = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_OK);
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
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "cycle"));
	struct lt_new_unit deep = {"000.00.01.H17", "", 0};
	m.into = &deep;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "level 5"));

	/* Dissolve is refused while children are active. */
	struct lt_reorg d = {
		.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2024-07-01", .from = h14d, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &d, &res, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "active child"));

	/* Rename, and the history reads back in order with its decisions. */
	struct lt_decision rd = {"99/QĐ-UBND", "2024-08-01", "UBND tỉnh Cao Bằng"};
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, "000.00.04.H14", "UBND huyện Đại Lộc Nam (Cao Bằng)", &rd,
					    "2024-08-02", 0, &u, &err),
			 LT_OK);
	assert_int_equal(u.version, 2);
}

static void test_history_in_order(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit u;
	struct lt_decision d1 = {"1/QĐ", "2022-01-01", "UBND"}, d2 = {"2/QĐ", "2022-02-01", "UBND"};
	assert_int_equal(
		lt_registry_rename(fx->r, FX_ADMIN, "000.00.01.H17", "Sở Nội vụ", &d1, "2022-01-02", 0, &u, &err),
		LT_OK);
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, "000.00.01.H17", "Sở Nội vụ Đà Nẵng", &d2, "2022-02-02", 0,
					    &u, &err),
			 LT_OK);
	struct lt_contact c = {.email = "sonv@danang.gov.vn"};
	assert_int_equal(lt_registry_update(fx->r, FX_ADMIN, "000.00.01.H17", &c, u.version, &u, &err), LT_OK);
	assert_int_equal(lt_registry_update(fx->r, FX_ADMIN, "000.00.01.H17", &c, 1, &u, &err), LT_EPRECOND);
	assert_int_equal(err.status, LT_EPRECOND);
	/* A change dated before the last one recorded would rewrite the past. */
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, "000.00.01.H17", "Sở cũ", &d1, "2022-01-10", 0, &u, &err),
			 LT_ERULE);
	assert_non_null(strstr(err.msg, "before the last recorded change"));
	struct hist h = {0};
	assert_int_equal(lt_registry_history(fx->r, "000.00.01.H17", on_hist, &h, &err), LT_OK);
	assert_string_equal(h.kinds, "import rename rename update ");
	assert_string_equal(h.decisions, "16/QĐ-UBND 1/QĐ 2/QĐ 2/QĐ ");
	/* As of a date between the renames, the first new name. */
	assert_int_equal(lt_registry_get(fx->r, "000.00.01.H17", "2022-01-15", &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ");
}

/* The expected version is compared inside the write transaction: a change
 * by another writer of the same database (the CLI beside the daemon) between
 * a caller's read and its write fails the precondition, whichever the change. */
static void test_version_checked_in_transaction(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit read, u;
	const char *code = "000.00.01.H47";
	struct lt_decision d = {"7/QĐ-UBND", "2026-01-05", "UBND tỉnh Quảng Nam"};
	assert_int_equal(lt_registry_get(fx->r, code, NULL, &read, &err), LT_OK);
	struct lt_registry *cli = fixture_registry(fx->db, NULL);
	struct lt_contact c = read.contact;
	snprintf(c.phone, sizeof c.phone, "0235 3810 999");
	assert_int_equal(lt_registry_update(cli, FX_ADMIN, code, &c, read.version, &u, &err), LT_OK);
	assert_int_equal(u.version, read.version + 1);

	lt_err_clear(&err);
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, code, "Sở Nội vụ (tên mới)", &d, "2026-01-10",
					    read.version, &u, &err),
			 LT_EPRECOND);
	assert_int_equal(err.status, LT_EPRECOND);
	assert_non_null(strstr(err.msg, "changed since you read it"));
	lt_err_clear(&err);
	c = read.contact;
	snprintf(c.email, sizeof c.email, "lost@quangnam.gov.vn");
	assert_int_equal(lt_registry_update(fx->r, FX_ADMIN, code, &c, read.version, &u, &err), LT_EPRECOND);
	assert_int_equal(err.status, LT_EPRECOND);
	assert_int_equal(lt_registry_get(cli, code, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, read.name);
	assert_string_equal(u.contact.email, read.contact.email);
	assert_string_equal(u.contact.phone, "0235 3810 999");

	/* With the current version both go through. */
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, code, "Sở Nội vụ (tên mới)", &d, "2026-01-10",
					    read.version + 1, &u, &err),
			 LT_OK);
	assert_int_equal(u.version, read.version + 2);
	lt_registry_close(cli);
}

/* The rules of each kind of reorganisation are the library's, whichever
 * front builds the request: a move keeps its name, one limit of units. */
static void test_reorg_shape_rules(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_reorg_result res = {0};
	char *before = snapshot(fx->r);
	const char(*one)[LT_CODE_BUFSZ] = (const char(*)[LT_CODE_BUFSZ]) "000.00.01.H47";
	struct lt_new_unit named = {"000.00.00.H17", "Sở Nội vụ mang tên mới", 0};
	struct lt_reorg move = {
		.kind = LT_REORG_MOVE, .decision = merger, .from = one, .n_from = 1, .into = &named, .n_into = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &move, &res, &err), LT_EINVAL);
	assert_int_equal(err.status, LT_EINVAL);
	assert_non_null(strstr(err.msg, "a move keeps the unit's name"));

	struct lt_child_place kid = {"000.01.02.H47", 0};
	struct lt_new_unit unnamed = {"000.00.00.H17", "", 0};
	struct lt_reorg bad[] = {
		{.kind = LT_REORG_MOVE,
		 .decision = merger,
		 .from = one,
		 .n_from = 1,
		 .into = &unnamed,
		 .n_into = 1,
		 .children = &kid,
		 .n_children = 1},
		{.kind = LT_REORG_MOVE, .decision = merger, .from = one, .n_from = 1, .into_code = "000.00.00.H17"},
		{.kind = LT_REORG_DISSOLVE,
		 .decision = merger,
		 .from = one,
		 .n_from = 1,
		 .into = &unnamed,
		 .n_into = 1},
		{.kind = LT_REORG_MERGE, .decision = merger, .from = one, .n_from = 1},
		{.kind = LT_REORG_DISSOLVE, .decision = merger, .from = one, .n_from = 0},
		{.kind = LT_REORG_DISSOLVE, .decision = merger, .from = one, .n_from = LT_REORG_MAX_UNITS + 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		lt_err_clear(&err);
		int rc = lt_registry_reorganize(fx->r, FX_ADMIN, &bad[i], &res, &err);
		if (rc != LT_EINVAL || err.status != LT_EINVAL)
			fail_msg("case %zu: %d (%s)", i, rc, err.msg);
	}
	char *after = snapshot(fx->r);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* Without a name the move goes through, keeping the name. */
	move.into = &unnamed;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &move, &res, &err), LT_OK);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, res.moved[0].to, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ tỉnh Quảng Nam");
	lt_reorg_result_free(&res);
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
	struct lt_reorg close = {
		.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-01-01", .from = leaf, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &close, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	/* Fill every level-3 number under the Sở Nội vụ of Quảng Nam. */
	for (unsigned n = 1; n <= 99; n++) {
		struct lt_issue fill = {
			.parent = "000.00.01.H47", .name = "Phòng", .decision = merger, .effective = "2025-01-01"};
		assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &fill, &u, &err), LT_OK);
	}
	char *before = snapshot(fx->r);
	struct lt_issue full = {.parent = "000.00.01.H47", .name = "Phòng thứ 100", .decision = merger};
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &full, &u, &err), LT_ERULE); /* full number range */
	assert_non_null(strstr(err.msg, "have been used"));
	struct lt_issue reuse = {.parent = "000.00.00.H17", .name = "Sở Nội vụ mới", .number = 1, .decision = merger};
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &reuse, &u, &err), LT_ECONFLICT); /* closed code */
	snprintf(reuse.parent, sizeof reuse.parent, "000.00.01.H17");
	reuse.number = 0;
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &reuse, &u, &err), LT_ERULE); /* closed parent */
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, "000.00.01.H17", "Tên mới", &merger, "", 0, &u, &err),
			 LT_ERULE);

	struct lt_issue is = {.parent = "000.00.00.H99", .name = "X", .decision = merger};
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_ENOTFOUND); /* unknown parent */
	snprintf(is.parent, sizeof is.parent, "000.00.00.H17");
	is.decision.number[0] = '\0';
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_EINVAL); /* missing decision */
	assert_non_null(strstr(err.msg, "decision"));
	is.decision = merger;
	snprintf(is.contact.email, sizeof is.contact.email, "not-an-email");
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_EINVAL);
	memset(&is.contact, 0, sizeof is.contact);
	is.number = 100;
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_EINVAL);
	is.number = 1; /* 000.00.01.H17 exists */
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_ECONFLICT);

	/* Full number range: 99 level-3 numbers used under one parent. */
	const char cycle[][LT_CODE_BUFSZ] = {"000.00.00.H47"};
	struct lt_new_unit into = {"000.01.02.H47", "", 0};
	struct lt_reorg m = {.kind = LT_REORG_MOVE,
			     .decision = merger,
			     .effective = "2025-01-01",
			     .from = cycle,
			     .n_from = 1,
			     .into = &into,
			     .n_into = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_ERULE); /* cycle */
	const char closed_after[][LT_CODE_BUFSZ] = {"000.00.02.H47"};
	struct lt_reorg d = {.kind = LT_REORG_DISSOLVE,
			     .decision = merger,
			     .effective = "2025-01-01",
			     .from = closed_after,
			     .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &d, &res, &err), LT_ERULE); /* active children */
	d.decision.issuer[0] = '\0';
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &d, &res, &err), LT_EINVAL); /* missing decision */

	/* A unit and its own descendant in one merge would close the descendant twice. */
	const char nested[][LT_CODE_BUFSZ] = {"000.00.02.H47", "000.01.02.H47"};
	struct lt_reorg nm = merge_req(nested, 2, "000.00.00.H17");
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &nm, &res, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "lies inside"));
	/* A reorganisation dated before the unit's last change is refused. */
	struct lt_reorg early = merge_req(cycle, 1, "000.00.00.H17");
	snprintf(early.effective, sizeof early.effective, "2020-01-01");
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &early, &res, &err), LT_ERULE);

	/* Dry runs report and write nothing. */
	struct lt_reorg q = merge_req(cycle, 1, "000.00.00.H17");
	q.dry_run = true;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err), LT_OK);
	assert_int_equal(res.closed.n, 5 + 99);
	lt_reorg_result_free(&res);

	/* A bad import writes no row at all, and names every bad row. */
	static const char bad_csv[] = "code,name,parent,email,decision_date\n"
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

/* Issues a unit under parent effective on the given date. */
static void issue_on(struct fx *fx, const char *parent, const char *name, const char *effective, struct lt_unit *u)
{
	struct lt_err err = {0};
	struct lt_issue is = {.decision = merger};
	snprintf(is.parent, sizeof is.parent, "%s", parent);
	snprintf(is.name, sizeof is.name, "%s", name);
	snprintf(is.effective, sizeof is.effective, "%s", effective);
	int rc = lt_registry_issue(fx->r, FX_ADMIN, &is, u, &err);
	if (rc)
		fail_msg("issue %s under %s: %s", name, parent, err.msg);
}

/* Expects a reorganisation (and its dry run) refused by the date rule, with
 * a message naming the unit and its last change. */
static void expect_dated_refusal(struct fx *fx, struct lt_reorg q, const char *code, const char *last)
{
	struct lt_err err = {0};
	struct lt_reorg_result res;
	for (int dry = 0; dry < 2; dry++) {
		q.dry_run = dry;
		int rc = lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err);
		if (rc != LT_ERULE)
			fail_msg("%s (dry run %d): got %d '%s', wanted the date rule", code, dry, rc,
				 rc ? err.msg : "done");
		if (!strstr(err.msg, "before the last recorded change of") || !strstr(err.msg, code) ||
		    !strstr(err.msg, last))
			fail_msg("the refusal should name %s and its last change (%s): %s", code, last, err.msg);
	}
}

/* A reorganisation dated before the last recorded change of any unit whose
 * history it writes to (not only the from units: moved descendants, the
 * merge target, a new parent, the parent of a new unit) is refused whole. */
static void test_reorg_respects_later_changes(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_reorg_result res;
	struct lt_unit p, c, s, q, x;
	issue_on(fx, "000.00.00.H14", "Ban P", "2025-01-01", &p);
	issue_on(fx, p.code, "Phòng C", "2025-01-02", &c);
	struct lt_decision rd = {"9/QĐ", "2029-12-01", "UBND"};
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, c.code, "Phòng C mới", &rd, "2030-01-01", 0, &c, &err),
			 LT_OK);
	issue_on(fx, "000.00.00.H14", "Ban S", "2025-01-01", &s);
	issue_on(fx, "000.00.00.H14", "Ban X", "2025-01-01", &x);
	issue_on(fx, "000.00.00.H14", "Ban Q", "2026-06-01", &q);
	char *before = snapshot(fx->r);

	/* A descendant moved with its parent: C was renamed effective 2030. */
	char from_p[1][LT_CODE_BUFSZ], from_s[1][LT_CODE_BUFSZ], from_sx[2][LT_CODE_BUFSZ];
	snprintf(from_p[0], LT_CODE_BUFSZ, "%s", p.code);
	snprintf(from_s[0], LT_CODE_BUFSZ, "%s", s.code);
	snprintf(from_sx[0], LT_CODE_BUFSZ, "%s", s.code);
	snprintf(from_sx[1], LT_CODE_BUFSZ, "%s", x.code);
	struct lt_new_unit to_h17 = {"000.00.00.H17", "", 0};
	struct lt_reorg mv = {.kind = LT_REORG_MOVE,
			      .decision = merger,
			      .effective = "2026-01-01",
			      .from = (const char(*)[LT_CODE_BUFSZ])from_p,
			      .n_from = 1,
			      .into = &to_h17,
			      .n_into = 1};
	expect_dated_refusal(fx, mv, c.code, "rename, 2030-01-01");
	/* The same descendant, moved by a merge and by a split. */
	struct lt_reorg mg = merge_req((const char(*)[LT_CODE_BUFSZ])from_p, 1, "000.00.01.H17");
	snprintf(mg.effective, sizeof mg.effective, "2026-01-01");
	expect_dated_refusal(fx, mg, c.code, "rename, 2030-01-01");
	struct lt_new_unit halves[2] = {{"000.00.00.H14", "Ban P1", 0}, {"000.00.00.H14", "Ban P2", 0}};
	struct lt_child_place place = {"", 1};
	snprintf(place.child, sizeof place.child, "%s", c.code);
	struct lt_reorg sp = {.kind = LT_REORG_SPLIT,
			      .decision = merger,
			      .effective = "2026-01-01",
			      .from = (const char(*)[LT_CODE_BUFSZ])from_p,
			      .n_from = 1,
			      .into = halves,
			      .n_into = 2,
			      .children = &place,
			      .n_children = 1};
	expect_dated_refusal(fx, sp, c.code, "rename, 2030-01-01");

	/* New units under Q, which was issued only on 2026-06-01. */
	struct lt_new_unit under_q[2] = {{"", "Ban S1", 0}, {"", "Ban S2", 0}};
	snprintf(under_q[0].parent, LT_CODE_BUFSZ, "%s", q.code);
	snprintf(under_q[1].parent, LT_CODE_BUFSZ, "%s", q.code);
	struct lt_reorg sq = {.kind = LT_REORG_SPLIT,
			      .decision = merger,
			      .effective = "2025-06-01",
			      .from = (const char(*)[LT_CODE_BUFSZ])from_s,
			      .n_from = 1,
			      .into = under_q,
			      .n_into = 2};
	expect_dated_refusal(fx, sq, q.code, "issue, 2026-06-01");
	struct lt_reorg mq = {.kind = LT_REORG_MERGE,
			      .decision = merger,
			      .effective = "2025-06-01",
			      .from = (const char(*)[LT_CODE_BUFSZ])from_sx,
			      .n_from = 2,
			      .into = under_q,
			      .n_into = 1};
	expect_dated_refusal(fx, mq, q.code, "issue, 2026-06-01");
	/* Q as the merge target and as the new parent of a move. */
	struct lt_reorg mt = merge_req((const char(*)[LT_CODE_BUFSZ])from_s, 1, q.code);
	snprintf(mt.effective, sizeof mt.effective, "2025-06-01");
	expect_dated_refusal(fx, mt, q.code, "issue, 2026-06-01");
	struct lt_new_unit to_q = {"", "", 0};
	snprintf(to_q.parent, LT_CODE_BUFSZ, "%s", q.code);
	struct lt_reorg mvq = {.kind = LT_REORG_MOVE,
			       .decision = merger,
			       .effective = "2025-06-01",
			       .from = (const char(*)[LT_CODE_BUFSZ])from_s,
			       .n_from = 1,
			       .into = &to_q,
			       .n_into = 1};
	expect_dated_refusal(fx, mvq, q.code, "issue, 2026-06-01");

	char *after = snapshot(fx->r);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* Dated on or after every change involved, the same changes go through
	 * and as-of reads tell one consistent story. */
	snprintf(mv.effective, sizeof mv.effective, "2030-01-01");
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &mv, &res, &err), LT_OK);
	char moved_c[LT_CODE_BUFSZ] = "";
	for (size_t i = 0; i < res.n_moved; i++)
		if (strcmp(res.moved[i].from, c.code) == 0)
			snprintf(moved_c, sizeof moved_c, "%s", res.moved[i].to);
	lt_reorg_result_free(&res);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, c.code, "2031-01-01", &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_CLOSED);
	assert_int_equal(lt_registry_get(fx->r, moved_c, "2029-12-31", &u, &err), LT_ENOTFOUND);
	assert_int_equal(lt_registry_get(fx->r, moved_c, "2030-01-01", &u, &err), LT_OK);
	assert_string_equal(u.name, "Phòng C mới");
	snprintf(sq.effective, sizeof sq.effective, "2026-06-01");
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &sq, &res, &err), LT_OK);
	assert_int_equal(lt_registry_get(fx->r, res.created.codes[0], "2026-06-01", &u, &err), LT_OK);
	assert_string_equal(u.parent, q.code);
	assert_int_equal(lt_registry_get(fx->r, q.code, "2026-06-01", &u, &err), LT_OK);
	lt_reorg_result_free(&res);
}

static int count_pred(void *ctx, const struct lt_event *ev)
{
	json_t *d = json_loads(ev->data, 0, NULL);
	json_t *p = json_object_get(d, "predecessors");
	if (p)
		*(size_t *)ctx = json_array_size(p);
	json_decref(d);
	return 0;
}

/* A merge of more units than a fixed buffer would hold keeps every one of
 * them as a predecessor, now, as of a date and in the history. */
static void test_merge_keeps_every_predecessor(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	enum { N = 66 };
	char(*from)[LT_CODE_BUFSZ] = calloc(N, sizeof *from);
	for (size_t i = 0; i < N; i++) {
		struct lt_unit u;
		char name[32];
		snprintf(name, sizeof name, "Phòng %zu", i + 1);
		issue_on(fx, "000.00.00.H14", name, "2025-01-01", &u);
		snprintf(from[i], LT_CODE_BUFSZ, "%s", u.code);
	}
	struct lt_reorg q = merge_req((const char(*)[LT_CODE_BUFSZ])from, N, "000.00.01.H17");
	struct lt_reorg_result res;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err), LT_OK);
	assert_int_equal(res.closed.n, N);
	lt_reorg_result_free(&res);
	struct lt_codelist now = {0}, then = {0};
	assert_int_equal(lt_registry_lineage(fx->r, "000.00.01.H17", NULL, &now, &err), LT_OK);
	assert_int_equal(now.n, N);
	assert_int_equal(lt_registry_lineage_asof(fx->r, "000.00.01.H17", "2025-08-01", NULL, &then, &err), LT_OK);
	assert_int_equal(then.n, N);
	for (size_t i = 0; i < N; i++)
		if (!lt_codelist_has(&then, from[i]))
			fail_msg("%s is missing from the predecessors as of 2025-08-01", from[i]);
	lt_codelist_free(&now);
	lt_codelist_free(&then);
	size_t in_history = 0;
	assert_int_equal(lt_registry_history(fx->r, "000.00.01.H17", count_pred, &in_history, &err), LT_OK);
	assert_int_equal(in_history, N);
	free(from);
}

/* A move honours into.number for the unit it moves, by the rules of an
 * issue: in range, and never used under the new parent. */
static void test_move_takes_chosen_number(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_reorg_result res;
	const char dist[][LT_CODE_BUFSZ] = {"000.00.02.H47"};
	struct lt_new_unit to = {"000.00.00.H17", "", 1};
	struct lt_reorg m = {.kind = LT_REORG_MOVE,
			     .decision = merger,
			     .effective = "2025-07-01",
			     .from = dist,
			     .n_from = 1,
			     .into = &to,
			     .n_into = 1};
	char *before = snapshot(fx->r);
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err),
			 LT_ECONFLICT); /* 000.00.01.H17 is active */
	assert_non_null(strstr(err.msg, "000.00.01.H17"));
	to.number = 100;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "into.number"));
	char *after = snapshot(fx->r);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* A closed code's number stays used. */
	const char leaf[][LT_CODE_BUFSZ] = {"000.00.01.H17"};
	struct lt_reorg d = {
		.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-01-01", .from = leaf, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &d, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	to.number = 1;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_ECONFLICT);
	assert_non_null(strstr(err.msg, "never reissued"));

	/* A free number: the moved unit takes it, its subtree keeps theirs. */
	to.number = 42;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_OK);
	assert_int_equal(res.n_moved, 3);
	assert_string_equal(res.moved[0].to, "000.00.42.H17");
	lt_reorg_result_free(&res);
	struct lt_codelist cur = {0};
	assert_int_equal(lt_registry_resolve(fx->r, "001.01.02.H47", &cur, &err), LT_OK);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.codes[0], "001.01.42.H17");
	lt_codelist_free(&cur);
}

static void test_closed_code_reuse_refused_on_import(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_reorg_result res;
	const char from[][LT_CODE_BUFSZ] = {"000.00.01.H17"};
	struct lt_reorg d = {
		.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-01-01", .from = from, .n_from = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &d, &res, &err), LT_OK);
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
	char cursor[LT_CURSOR_BUFSZ] = "";
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

/* ---- name searches page by page against a model of what they match ---- */

struct row {
	char code[LT_CODE_BUFSZ], parent[LT_CODE_BUFSZ], fold[LT_NAME_MAX * 2];
	int level;
	bool closed;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static int collect_row(void *ctx, const struct lt_unit *u)
{
	struct rows *rs = ctx;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
		assert_non_null(rs->v);
	}
	struct row *r = &rs->v[rs->n++];
	snprintf(r->code, sizeof r->code, "%s", u->code);
	snprintf(r->parent, sizeof r->parent, "%s", u->parent);
	lt_text_fold(u->name, r->fold, sizeof r->fold);
	r->level = u->level;
	r->closed = u->status == LT_UNIT_CLOSED;
	return 0;
}

/* Every word of the folded query begins some word of the folded name; words
 * end at spaces and dots, as in the search index. */
static bool words_match(const char *fold, const char *qfold)
{
	const char *w = qfold;
	for (;;) {
		while (*w == ' ' || *w == '.')
			w++;
		if (!*w)
			return true;
		size_t len = strcspn(w, " .");
		bool found = false;
		for (const char *n = fold; *n && !found;) {
			while (*n == ' ' || *n == '.')
				n++;
			size_t nl = strcspn(n, " .");
			found = nl >= len && strncmp(n, w, len) == 0;
			n += nl;
		}
		if (!found)
			return false;
		w += len;
	}
}

static int by_code(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->code, ((const struct row *)b)->code);
}

/* Whether root is an ancestor of r, up the parent links of all (sorted by
 * code). */
static bool is_under(const struct rows *all, const struct row *r, const char *root)
{
	const struct row *at = r;
	for (int depth = 0; at && at->parent[0] && depth < 5; depth++) {
		if (strcmp(at->parent, root) == 0)
			return true;
		struct row key;
		snprintf(key.code, sizeof key.code, "%s", at->parent);
		at = bsearch(&key, all->v, all->n, sizeof *all->v, by_code);
	}
	return false;
}

static void import_ok(struct fx *fx, const char *csv)
{
	struct lt_err err = {0};
	struct lt_import_report rep;
	int rc = import_text(fx->r, csv, &rep, &err);
	if (rc)
		fail_msg("import: %s %s", err.msg, json_dumps(rep.errors, 0));
	lt_import_report_free(&rep);
}

/* Imports a registry where common words ("ủy ban nhân dân") match most
 * names, and where one parent's children (000.01.10.H14) lie in fourteen
 * stretches of rowids, more than a search walks apart, each batch separated
 * by eighty matching units under another province; then moves and closes
 * some. */
static void build_crowd(struct fx *fx)
{
	size_t cap = 1 << 17, len = 0;
	char *csv = malloc(cap);
	assert_non_null(csv);
	const char *prov[] = {"H14", "H17", "H47"};
	len += (size_t)snprintf(csv + len, cap - len, "code,name\n");
	for (int p = 0; p < 3; p++)
		for (int d = 10; d < 22; d++) {
			len += (size_t)snprintf(csv + len, cap - len, "000.00.%02d.%s,%s %d\n", d, prov[p],
						d % 2 ? "Sở Nội vụ số" : "Ủy ban nhân dân huyện", d);
			for (int c = 1; c <= 12; c++)
				len += (size_t)snprintf(csv + len, cap - len, "000.%02d.%02d.%s,%s %d %d\n", c, d,
							prov[p], c % 3 ? "Ủy ban nhân dân phường" : "Trường học", c, d);
		}
	for (int k = 1; k <= 40; k++)
		len += (size_t)snprintf(csv + len, cap - len, "%03d.01.10.H14,Ủy ban nhân dân tổ dân phố %d\n", k, k);
	import_ok(fx, csv);
	for (int b = 0; b < 12; b++) {
		len = (size_t)snprintf(csv, cap, "code,name\n");
		for (int k = 0; k < 6; k++)
			len += (size_t)snprintf(csv + len, cap - len, "%03d.01.10.H14,Ủy ban nhân dân tổ %d\n",
						41 + b * 6 + k, b);
		for (int k = 0; k < 80; k++)
			len += (size_t)snprintf(csv + len, cap - len, "%03d.01.10.H17,Ủy ban nhân dân ấp %d %d\n",
						1 + b * 80 + k, b, k);
		import_ok(fx, csv);
	}
	free(csv);
	struct lt_err err = {0};
	struct lt_reorg_result res;
	/* Moves: out of the crowded parent, and into it from the other province
	 * (each leaves a closed row and writes a new one at the end). */
	const char out1[][LT_CODE_BUFSZ] = {"003.01.10.H14"}, in1[][LT_CODE_BUFSZ] = {"500.01.10.H17"};
	struct lt_new_unit to_other = {"000.02.10.H14", "", 0}, to_crowd = {"000.01.10.H14", "", 0};
	struct lt_reorg m = {.kind = LT_REORG_MOVE,
			     .decision = merger,
			     .effective = "2025-07-03",
			     .from = out1,
			     .n_from = 1,
			     .into = &to_other,
			     .n_into = 1};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	m.from = in1;
	m.into = &to_crowd;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &m, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	const char gone[][LT_CODE_BUFSZ] = {"007.01.10.H14", "050.01.10.H14", "000.05.12.H17"};
	struct lt_reorg d = {
		.kind = LT_REORG_DISSOLVE, .decision = merger, .effective = "2025-07-03", .from = gone, .n_from = 3};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &d, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
}

static void test_search_pages_every_match_once(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	build_crowd(fx);
	/* The model: every unit, read without a query. */
	struct rows all = {0};
	char cursor[LT_CURSOR_BUFSZ] = "";
	do {
		struct lt_search q = {.status = LT_FILTER_ALL, .limit = 500, .cursor = cursor};
		assert_int_equal(lt_registry_search(fx->r, &q, collect_row, &all, cursor, &err), LT_OK);
	} while (cursor[0]);
	assert_true(all.n > 1500);
	struct rows by_codes = {malloc(all.n * sizeof *all.v), all.n, all.n};
	assert_non_null(by_codes.v);
	memcpy(by_codes.v, all.v, all.n * sizeof *all.v);
	qsort(by_codes.v, by_codes.n, sizeof *by_codes.v, by_code);

	const char *texts[] = {"ủy ban nhân dân", "uy", "UY BAN nhan", "so noi vu", "phuong 1", "to", "ap 3", "zzz"};
	struct {
		const char *parent, *under;
		int level;
	} filters[] = {{NULL, NULL, 0},
		       {"000.01.10.H14", NULL, 0},
		       {"000.01.10.H17", NULL, 0},
		       {"000.00.10.H14", NULL, 0},
		       {NULL, "000.00.00.H14", 0},
		       {NULL, "000.00.10.H14", 0},
		       {NULL, "000.01.10.H14", 0},
		       {NULL, NULL, 1},
		       {NULL, NULL, 2},
		       {NULL, NULL, 3},
		       {NULL, NULL, 4},
		       {"000.01.10.H14", "000.00.00.H14", 4},
		       {"000.00.00.H17", NULL, 2}};
	const enum lt_status_filter statuses[] = {LT_FILTER_ACTIVE, LT_FILTER_CLOSED, LT_FILTER_ALL};
	const int limits[] = {1, 7, 50};
	size_t checked = 0, nonempty = 0;
	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
		char qfold[256];
		lt_text_fold(texts[t], qfold, sizeof qfold);
		for (size_t f = 0; f < sizeof filters / sizeof *filters; f++)
			for (size_t s = 0; s < 3; s++) {
				struct rows want = {0};
				for (size_t i = 0; i < all.n; i++) {
					const struct row *r = &all.v[i];
					if (!words_match(r->fold, qfold) ||
					    (filters[f].parent && strcmp(r->parent, filters[f].parent) != 0) ||
					    (filters[f].under && !is_under(&by_codes, r, filters[f].under)) ||
					    (filters[f].level && r->level != filters[f].level) ||
					    (statuses[s] != LT_FILTER_ALL &&
					     r->closed != (statuses[s] == LT_FILTER_CLOSED)))
						continue;
					if (want.n == want.cap) {
						want.cap = want.cap ? want.cap * 2 : 64;
						want.v = realloc(want.v, want.cap * sizeof *want.v);
					}
					want.v[want.n++] = *r;
				}
				nonempty += want.n > 0;
				for (size_t l = 0; l < 3; l++) {
					if (limits[l] == 1 && want.n > 60)
						continue; /* thousands of pages: slow, and nothing new */
					struct rows got = {0};
					int pages = 0;
					cursor[0] = '\0';
					do {
						size_t before = got.n;
						struct lt_search q = {.q = texts[t],
								      .parent = filters[f].parent,
								      .under = filters[f].under,
								      .level = filters[f].level,
								      .status = statuses[s],
								      .limit = limits[l],
								      .cursor = cursor};
						assert_int_equal(
							lt_registry_search(fx->r, &q, collect_row, &got, cursor, &err),
							LT_OK);
						/* Only the last page is short. */
						if (cursor[0])
							assert_int_equal(got.n - before, (size_t)limits[l]);
						else
							assert_true(got.n - before <= (size_t)limits[l]);
					} while (cursor[0] && ++pages < 2000);
					if (got.n != want.n)
						fail_msg("'%s' filter %zu status %zu limit %d: %zu rows, want %zu",
							 texts[t], f, s, limits[l], got.n, want.n);
					/* The same units, each once, in whatever order the
					 * store pages them (its cursors are its own). */
					if (got.n)
						qsort(got.v, got.n, sizeof *got.v, by_code);
					if (want.n)
						qsort(want.v, want.n, sizeof *want.v, by_code);
					for (size_t i = 0; i < got.n; i++)
						if (strcmp(got.v[i].code, want.v[i].code) != 0)
							fail_msg("'%s' filter %zu status %zu limit %d: row %zu is %s, "
								 "want %s",
								 texts[t], f, s, limits[l], i, got.v[i].code,
								 want.v[i].code);
					free(got.v);
					checked++;
				}
				free(want.v);
			}
	}
	assert_true(checked > 700);
	assert_true(nonempty > 100);
	free(all.v);
	free(by_codes.v);
}

static void test_compliance(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit u;
	/* Reorganised 2025-05-01, decision 2025-06-12 (42 days), recorded on the
	 * pinned today 2025-07-03 (21 days after the decision). */
	struct lt_issue is = {.parent = "000.00.00.H14",
			      .name = "Sở mới",
			      .decision = merger,
			      .effective = "2025-07-01",
			      .reorganized = "2025-05-01"};
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &is, &u, &err), LT_OK);
	/* On time: reorganised and decided the same day, recorded within 7 days. */
	struct lt_decision ok = {"5/QĐ", "2025-07-01", "UBND"};
	struct lt_issue good = {.parent = "000.00.00.H17",
				.name = "Sở đúng hạn",
				.decision = ok,
				.effective = "2025-07-01",
				.reorganized = "2025-07-01"};
	assert_int_equal(lt_registry_issue(fx->r, FX_ADMIN, &good, &u, &err), LT_OK);
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

/* History brought in is judged by its own recorded dates, never by the day
 * it was loaded: the merger replayed by `lienthong init --demo` (recorded
 * four days after the resolution) is on time, and imported rows with a
 * reorganisation date are judged by their decision and recorded columns. */
static void test_compliance_of_history_brought_in(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	const char from[][LT_CODE_BUFSZ] = {"000.00.00.H47"};
	struct lt_reorg q = merge_req(from, 1, "000.00.00.H17");
	struct lt_reorg_result res;
	/* A recorded date before the decision, or after today, is no history. */
	snprintf(q.recorded, sizeof q.recorded, "2025-06-01");
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err), LT_EINVAL);
	snprintf(q.recorded, sizeof q.recorded, "2025-07-04");
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err), LT_EINVAL);
	snprintf(q.recorded, sizeof q.recorded, "2025-06-16");
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, "000.00.00.H17", NULL, &u, &err), LT_OK);
	assert_string_equal(u.recorded, "2025-06-16");
	assert_string_equal(u.valid_from, "2020-07-22");
	assert_int_equal(lt_registry_get(fx->r, "000.00.02.H17", NULL, &u, &err), LT_OK);
	assert_string_equal(u.valid_from, "2025-07-01"); /* the merger's effective date, not the day recorded */
	assert_string_equal(u.recorded, "2025-06-16");
	static const char rows[] = "code,name,decision_number,decision_date,decision_issuer,reorganized,recorded\n"
				   "000.00.70.H17,Sở Hợp nhất muộn,5/QĐ,2025-06-20,UBND,2025-05-01,2025-07-01\n"
				   "000.00.71.H17,Sở Đúng hạn,6/QĐ,2025-06-20,UBND,2025-06-01,2025-06-25\n"
				   "000.00.72.H17,Sở Chưa rõ ngày ghi,7/QĐ,2025-01-20,UBND,,\n";
	struct lt_import_report rep;
	assert_int_equal(import_text(fx->r, rows, &rep, &err), LT_OK);
	lt_import_report_free(&rep);
	json_t *all;
	assert_int_equal(lt_registry_compliance(fx->r, "H17", &all, &err), LT_OK);
	char *text = json_dumps(all, JSON_COMPACT);
	/* Only the late import row: 50 days to its decision, 11 to the catalogue. */
	if (json_array_size(all) != 2)
		fail_msg("%s", text);
	assert_non_null(strstr(text, "\"change_kind\":\"import\""));
	assert_non_null(strstr(text, "\"kind\":\"late_decision\",\"code\":\"000.00.70.H17\",\"days\":50"));
	assert_non_null(strstr(text, "\"kind\":\"late_upload\",\"code\":\"000.00.70.H17\",\"days\":11"));
	assert_null(strstr(text, "202/2025/QH15"));
	free(text);
	json_decref(all);
}

int main(void)
{
	setenv("LIENTHONG_TODAY", "2025-07-03", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merger_quang_nam_into_da_nang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_move_dissolve_rename_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorg_respects_later_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_keeps_every_predecessor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_takes_chosen_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_code_reuse_refused_on_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_diacritics_and_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_pages_every_match_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compliance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compliance_of_history_brought_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_checked_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorg_shape_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
