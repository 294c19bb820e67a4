/* The plan engine (transition.h) on a temporary SQLite file: a province
 * merger with its departments as one plan, references to units earlier
 * steps make, every refusal listed with its step, all or nothing, a dry run
 * that is exactly the apply, the letter-group rule and who may apply. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/store.h"
#include "lienthong/transition.h"

struct fx {
	char dir[64];
	char db[128];
	struct lt_registry *r;
};

static const char tree_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H47,Ủy ban nhân dân tỉnh Quảng Nam,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.K17,Hội đồng nhân dân thành phố Đà Nẵng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.K47,Hội đồng nhân dân tỉnh Quảng Nam,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H47,Sở Nội vụ tỉnh Quảng Nam,000.00.00.H47,12/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.00.02.H47,UBND huyện Đại Lộc,000.00.00.H47,13/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.01.02.H47,UBND xã Đại Hiệp,000.00.02.H47,14/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.00.01.H17,Sở Nội vụ thành phố Đà Nẵng,000.00.00.H17,16/QĐ-UBND,2021-01-05,UBND TP Đà Nẵng,2021-01-05\n";

#define DECISION                                                                                                            \
	"\"decision\":{\"number\":\"202/2025/QH15\",\"date\":\"2025-06-12\",\"issuer\":\"Quốc hội\",\"kind\":\"Nghị " \
	"quyết\"},\"effective\":\"2025-07-01\",\"title\":\"Quảng Nam vào Đà Nẵng\""

/* The merger as it really happens: the department into its counterpart,
 * the committees and the councils pairwise, the survivor renamed, a new
 * unit under it. */
static const char merger_plan[] =
	"{" DECISION ",\"steps\":["
	"{\"kind\":\"merge\",\"from\":[\"000.00.01.H47\"],\"into\":{\"code\":\"000.00.01.H17\"}},"
	"{\"kind\":\"merge\",\"from\":[\"000.00.00.H47\"],\"into\":{\"code\":\"000.00.00.H17\"}},"
	"{\"kind\":\"merge\",\"from\":[\"000.00.00.K47\"],\"into\":{\"code\":\"000.00.00.K17\"}},"
	"{\"kind\":\"rename\",\"code\":{\"step\":0},\"name\":\"Sở Nội vụ thành phố Đà Nẵng (mới)\"},"
	"{\"kind\":\"issue\",\"parent\":{\"step\":1},\"name\":\"Ban Quản lý dự án\",\"note\":\"an annotation\"}"
	"]}";

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "plan");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	fx->r = fixture_registry(fx->db, tree_csv);
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

/* The registry's whole content: both exports and the feed's end. */
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
	json_t *plans = NULL;
	assert_int_equal(lt_plan_list(r, &plans, &err), LT_OK);
	fprintf(f, "last_seq=%lld plans=%zu\n", (long long)last, json_array_size(plans));
	json_decref(plans);
	fclose(f);
	return buf;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *o = json_loads(text, 0, &e);
	if (!o)
		fail_msg("test plan: %s at %d", e.text, e.position);
	return o;
}

static int apply(struct fx *fx, const struct lt_ctx *ctx, const char *text, bool dry_run, json_t **res,
		 json_t **refusals, struct lt_err *err)
{
	json_t *plan = parse(text);
	int rc = lt_plan_apply(fx->r, ctx, plan, dry_run, res, refusals, err);
	json_decref(plan);
	return rc;
}

static const char *status_of(struct fx *fx, const char *code)
{
	struct lt_unit u;
	struct lt_err err;
	assert_int_equal(lt_registry_get(fx->r, code, NULL, &u, &err), LT_OK);
	return u.status == LT_UNIT_ACTIVE ? "active" : "closed";
}

static bool listed(const json_t *list, const char *key, const char *code)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) if (strcmp(json_string_value(json_object_get(v, key)), code) == 0) return true;
	return false;
}

static void test_merger_with_departments(void **state)
{
	struct fx *fx = *state;
	json_t *res = NULL, *refusals = NULL;
	struct lt_err err = {0};
	int rc = apply(fx, FX_ADMIN, merger_plan, false, &res, &refusals, &err);
	if (rc)
		fail_msg("%s %s", err.msg, json_dumps(refusals, 0));
	assert_int_equal(json_integer_value(json_object_get(res, "id")), 1);
	/* The department merged into its counterpart, not moved beside it. */
	assert_string_equal(status_of(fx, "000.00.01.H47"), "closed");
	struct lt_codelist cur = {0};
	assert_int_equal(lt_registry_resolve(fx->r, "000.00.01.H47", &cur, &err), LT_OK);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.codes[0], "000.00.01.H17");
	lt_codelist_free(&cur);
	assert_int_equal(lt_registry_resolve(fx->r, "000.00.00.K47", &cur, &err), LT_OK);
	assert_string_equal(cur.codes[0], "000.00.00.K17");
	lt_codelist_free(&cur);
	/* The district moved under Đà Nẵng with its commune. */
	assert_int_equal(lt_registry_resolve(fx->r, "000.01.02.H47", &cur, &err), LT_OK);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.codes[0], "000.01.02.H17");
	lt_codelist_free(&cur);
	assert_true(listed(json_object_get(res, "moved"), "from", "000.00.02.H47"));
	assert_true(listed(json_object_get(res, "closed"), "code", "000.00.00.K47"));
	/* The rename names the unit step 0 merged into; the issue the one of step 1. */
	json_t *ren = json_array_get(json_object_get(res, "renamed"), 0);
	assert_string_equal(json_string_value(json_object_get(ren, "code")), "000.00.01.H17");
	assert_string_equal(json_string_value(json_object_get(ren, "old_name")), "Sở Nội vụ thành phố Đà Nẵng");
	json_t *steps = json_object_get(res, "steps");
	json_t *issued = json_array_get(json_object_get(json_array_get(steps, 4), "created"), 0);
	assert_string_equal(json_string_value(json_object_get(issued, "parent")), "000.00.00.H17");
	assert_string_equal(json_string_value(json_object_get(issued, "name")), "Ban Quản lý dự án");
	/* Names beside codes in what it reports. */
	json_t *closed0 = json_array_get(json_object_get(json_array_get(steps, 0), "closed"), 0);
	assert_string_equal(json_string_value(json_object_get(closed0, "name")), "Sở Nội vụ tỉnh Quảng Nam");
	json_decref(res);

	/* Stored with its decision, its kind as given. */
	json_t *list = NULL;
	assert_int_equal(lt_plan_list(fx->r, &list, &err), LT_OK);
	assert_int_equal(json_array_size(list), 1);
	json_t *d = json_object_get(json_array_get(list, 0), "decision");
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "Nghị quyết");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "steps")), 5);
	json_decref(list);
	json_t *one = NULL;
	assert_int_equal(lt_plan_get(fx->r, 1, &one, &err), LT_OK);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(json_object_get(one, "plan"), "steps"), 4), "note")),
			    "an annotation");
	json_decref(one);
	assert_int_equal(lt_plan_get(fx->r, 2, &one, &err), LT_ENOTFOUND);

	/* Which plan closed K47: through the change id its closing event carries. */
	struct lt_event ev = {0};
	assert_int_equal(lt_store_event_asof(lt_registry_store(fx->r), "000.00.00.K47", "2099-01-01", &ev, &err),
			 LT_OK);
	int64_t plan_id = -1;
	assert_true(ev.change_id > 0);
	assert_int_equal(lt_plan_of_change(fx->r, ev.change_id, &plan_id, &err), LT_OK);
	assert_int_equal(plan_id, 1);
	lt_event_clear(&ev);
	/* A change made alone belongs to no plan. */
	struct lt_unit u;
	struct lt_decision dd = {"1/QĐ-UBND", "2025-08-01", "UBND TP Đà Nẵng"};
	assert_int_equal(
		lt_registry_rename(fx->r, FX_ADMIN, "000.00.00.K17", "HĐND thành phố", &dd, "2025-08-01", 0, &u, &err),
		LT_OK);
	assert_int_equal(lt_store_event_asof(lt_registry_store(fx->r), "000.00.00.K17", "2099-01-01", &ev, &err),
			 LT_OK);
	assert_int_equal(lt_plan_of_change(fx->r, ev.change_id, &plan_id, &err), LT_OK);
	assert_int_equal(plan_id, 0);
	lt_event_clear(&ev);
}

/* The dry run runs the same code and rolls back: it writes nothing and
 * reports exactly what the apply then does. */
static void test_dry_run_equals_apply(void **state)
{
	struct fx *fx = *state;
	char *before = snapshot(fx->r);
	json_t *dry = NULL, *done = NULL;
	struct lt_err err = {0};
	assert_int_equal(apply(fx, FX_ADMIN, merger_plan, true, &dry, NULL, &err), LT_OK);
	assert_true(json_is_null(json_object_get(dry, "id")));
	assert_true(json_is_true(json_object_get(dry, "dry_run")));
	char *after = snapshot(fx->r);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(apply(fx, FX_ADMIN, merger_plan, false, &done, NULL, &err), LT_OK);
	json_object_del(dry, "id");
	json_object_del(dry, "dry_run");
	json_object_del(done, "id");
	json_object_del(done, "dry_run");
	assert_true(json_equal(dry, done));
	assert_true(json_array_size(json_object_get(done, "moved")) >= 2);
	json_decref(dry);
	json_decref(done);
	free(before);
}

/* A refusal in the last step leaves everything as it was; every refusal
 * is listed with its step, the ones found before the registry is read
 * and the registry's own alike. */
static void test_all_or_nothing(void **state)
{
	struct fx *fx = *state;
	char *before = snapshot(fx->r);
	static const char plan[] =
		"{" DECISION ",\"steps\":["
		"{\"kind\":\"merge\",\"from\":[\"000.00.01.H47\"],\"into\":{\"code\":\"000.00.01.H17\"}},"
		"{\"kind\":\"merge\",\"from\":[\"000.00.00.H47\"],\"into\":{\"code\":\"000.00.00.H17\"},"
		"\"decision\":{}},"
		"{\"kind\":\"dissolve\",\"from\":[\"000.00.00.H17\"]},"
		"{\"kind\":\"merge\",\"from\":[\"000.00.00.K47\"],\"into\":{\"code\":\"000.00.00.K17\"}},"
		"{\"kind\":\"rename\",\"code\":\"000.00.99.H17\",\"name\":\"Không có\"}"
		"]}";
	json_t *res = NULL, *refusals = NULL;
	struct lt_err err = {0};
	int rc = apply(fx, FX_ADMIN, plan, false, &res, &refusals, &err);
	assert_int_not_equal(rc, LT_OK);
	assert_int_equal(rc, err.status);
	assert_null(res);
	assert_non_null(strstr(err.msg, "3 refusals"));
	assert_int_equal(json_array_size(refusals), 3);
	json_t *r0 = json_array_get(refusals, 0), *r1 = json_array_get(refusals, 1), *r2 = json_array_get(refusals, 2);
	assert_int_equal(json_integer_value(json_object_get(r0, "step")), 1);
	assert_string_equal(json_string_value(json_object_get(r0, "field")), "decision");
	assert_int_equal(json_integer_value(json_object_get(r1, "step")), 2);
	assert_non_null(strstr(json_string_value(json_object_get(r1, "reason")), "active child"));
	assert_int_equal(json_integer_value(json_object_get(r2, "step")), 4);
	assert_string_equal(json_string_value(json_object_get(r2, "code")), "not_found");
	json_decref(refusals);
	char *after = snapshot(fx->r);
	assert_string_equal(before, after);
	free(after);
	free(before);
	/* The plan itself: its decision and steps. */
	assert_int_not_equal(
		apply(fx, FX_ADMIN, "{\"decision\":{\"number\":\"1\"},\"steps\":[]}", false, &res, &refusals, &err),
		LT_OK);
	assert_true(json_array_size(refusals) >= 4); /* date, issuer, kind, effective, steps */
	assert_true(json_is_null(json_object_get(json_array_get(refusals, 0), "step")));
	json_decref(refusals);
}

static void test_references(void **state)
{
	struct fx *fx = *state;
	json_t *res = NULL, *refusals = NULL;
	struct lt_err err = {0};
	/* A split's parts, named by part; a later step moves one of them. */
	static const char plan[] =
		"{" DECISION ",\"steps\":["
		"{\"kind\":\"split\",\"from\":[\"000.00.02.H47\"],\"into\":[{\"parent\":\"000.00.00.H47\",\"name\":"
		"\"UBND "
		"huyện Đại Lộc A\"},{\"parent\":\"000.00.00.H47\",\"name\":\"UBND huyện Đại Lộc B\"}],"
		"\"children\":{\"000.01.02.H47\":1}},"
		"{\"kind\":\"move\",\"from\":[{\"step\":0,\"part\":1}],\"into\":{\"parent\":\"000.00.00.H17\"}},"
		"{\"kind\":\"rename\",\"code\":{\"step\":1},\"name\":\"UBND huyện Đại Lộc mới\"}"
		"]}";
	int rc = apply(fx, FX_ADMIN, plan, false, &res, &refusals, &err);
	if (rc)
		fail_msg("%s %s", err.msg, json_dumps(refusals, 0));
	json_t *steps = json_object_get(res, "steps");
	const char *moved_to = json_string_value(json_object_get(json_array_get(steps, 1), "unit"));
	assert_non_null(moved_to);
	assert_non_null(strstr(moved_to, ".H17"));
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, moved_to, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "UBND huyện Đại Lộc mới");
	/* The commune went with part 1, so it is under the moved unit now. */
	struct lt_codelist cur = {0};
	assert_int_equal(lt_registry_resolve(fx->r, "000.01.02.H47", &cur, &err), LT_OK);
	assert_int_equal(cur.n, 1);
	assert_int_equal(lt_registry_get(fx->r, cur.codes[0], NULL, &u, &err), LT_OK);
	assert_string_equal(u.parent, moved_to);
	lt_codelist_free(&cur);
	json_decref(res);

	/* Bad references: forward, to itself, part where there is none, none
	 * where a split needs one, a dissolution's, a refused step's. */
	static const char bad[] =
		"{" DECISION ",\"steps\":["
		"{\"kind\":\"rename\",\"code\":{\"step\":1},\"name\":\"x\"},"
		"{\"kind\":\"rename\",\"code\":{\"step\":1},\"name\":\"x\"},"
		"{\"kind\":\"merge\",\"from\":[\"000.00.00.K47\"],\"into\":{\"code\":\"000.00.00.K17\"}},"
		"{\"kind\":\"rename\",\"code\":{\"step\":2,\"part\":0},\"name\":\"x\"},"
		"{\"kind\":\"split\",\"from\":[\"000.00.01.H17\"],\"into\":[{\"parent\":\"000.00.00.H17\",\"name\":"
		"\"a\"},"
		"{\"parent\":\"000.00.00.H17\",\"name\":\"b\"}]},"
		"{\"kind\":\"rename\",\"code\":{\"step\":4},\"name\":\"x\"},"
		"{\"kind\":\"dissolve\",\"from\":[\"000.00.00.K17\"]},"
		"{\"kind\":\"rename\",\"code\":{\"step\":6},\"name\":\"x\"},"
		"{\"kind\":\"merge\",\"from\":[\"000.00.99.H47\"],\"into\":{\"code\":\"000.00.00.H17\"}},"
		"{\"kind\":\"rename\",\"code\":{\"step\":8},\"name\":\"x\"},"
		"{\"kind\":\"rename\",\"code\":\"bad code\",\"name\":\"x\"}"
		"]}";
	char *before = snapshot(fx->r);
	assert_int_not_equal(apply(fx, FX_ADMIN, bad, false, &res, &refusals, &err), LT_OK);
	static const int steps_refused[] = {0, 1, 3, 5, 7, 8, 9, 10};
	size_t n = sizeof steps_refused / sizeof steps_refused[0];
	char *got = json_dumps(refusals, JSON_INDENT(1));
	for (size_t i = 0; i < n; i++)
		if (json_integer_value(json_object_get(json_array_get(refusals, i), "step")) != steps_refused[i])
			fail_msg("refusals: %s", got);
	free(got);
	if (json_array_size(refusals) != n)
		fail_msg("refusals: %s", json_dumps(refusals, JSON_INDENT(1)));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(refusals, i), "step")),
				 steps_refused[i]);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(refusals, 6), "reason")),
			       "step 8 was refused"));
	json_decref(refusals);
	char *after = snapshot(fx->r);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* An HĐND (K) into a UBND (H) only when the step says so. */
static void test_across_groups(void **state)
{
	struct fx *fx = *state;
	json_t *res = NULL, *refusals = NULL;
	struct lt_err err = {0};
	static const char plan[] =
		"{" DECISION ",\"steps\":[{\"kind\":\"merge\",\"from\":[\"000.00.00.K47\"],\"into\":{\"code\":"
		"\"000.00.00.H47\"}}]}";
	assert_int_equal(apply(fx, FX_ADMIN, plan, false, &res, &refusals, &err), LT_ERULE);
	assert_string_equal(json_string_value(json_object_get(json_array_get(refusals, 0), "field")), "across_groups");
	assert_string_equal(err.field, "across_groups");
	json_decref(refusals);
	assert_string_equal(status_of(fx, "000.00.00.K47"), "active");
	static const char allowed[] =
		"{" DECISION ",\"steps\":[{\"kind\":\"merge\",\"from\":[\"000.00.00.K47\"],\"into\":{\"code\":"
		"\"000.00.00.H47\"},\"across_groups\":true}]}";
	assert_int_equal(apply(fx, FX_ADMIN, allowed, false, &res, &refusals, &err), LT_OK);
	json_decref(res);
	assert_string_equal(status_of(fx, "000.00.00.K47"), "closed");
	/* The same rule for a reorganisation made alone. */
	const char from[][LT_CODE_BUFSZ] = {"000.00.00.K17"};
	struct lt_reorg q = {.kind = LT_REORG_MERGE,
			     .decision = {"202/2025/QH15", "2025-06-12", "Quốc hội"},
			     .effective = "2025-07-01",
			     .from = from,
			     .n_from = 1,
			     .into_code = "000.00.00.H17"};
	struct lt_reorg_result rr;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &rr, &err), LT_ERULE);
	q.across_groups = true;
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &rr, &err), LT_OK);
	lt_reorg_result_free(&rr);
}

/* A manager applies a plan only inside its scope; a requester, a reader
 * and an anonymous caller not at all. Nothing written on any refusal. */
static void test_who_may_apply(void **state)
{
	struct fx *fx = *state;
	char *before = snapshot(fx->r);
	json_t *res = NULL, *refusals = NULL;
	struct lt_err err = {0};
	struct lt_principal mgr = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H47", .token_id = 7};
	assert_int_equal(apply(fx, FX_CTX(&mgr), merger_plan, false, &res, &refusals, &err), LT_EFORBIDDEN);
	assert_true(json_array_size(refusals) >= 1);
	json_decref(refusals);
	struct lt_principal req = {.role = LT_ROLE_REQUESTER, .scope = "000.00.00.H47"};
	assert_int_equal(apply(fx, FX_CTX(&req), merger_plan, true, &res, &refusals, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "request of kind plan"));
	struct lt_principal reader = {.role = LT_ROLE_READER};
	assert_int_equal(apply(fx, FX_CTX(&reader), merger_plan, true, &res, &refusals, &err), LT_EFORBIDDEN);
	struct lt_principal anon = {.role = LT_ROLE_ANONYMOUS};
	assert_int_equal(apply(fx, FX_CTX(&anon), merger_plan, true, &res, &refusals, &err), LT_EAUTH);
	char *after = snapshot(fx->r);
	assert_string_equal(before, after);
	free(after);
	free(before);
	/* Inside its scope it may. */
	static const char inside[] =
		"{" DECISION ",\"steps\":[{\"kind\":\"merge\",\"from\":[\"000.00.02.H47\"],\"into\":{\"code\":"
		"\"000.00.01.H47\"}},{\"kind\":\"rename\",\"code\":{\"step\":0},\"name\":\"Sở Nội vụ mới\"}]}";
	int rc = apply(fx, FX_CTX(&mgr), inside, false, &res, &refusals, &err);
	if (rc)
		fail_msg("%s %s", err.msg, json_dumps(refusals, 0));
	json_t *list = NULL;
	assert_int_equal(lt_plan_list(fx->r, &list, &err), LT_OK);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "actor")),
			    "http:manager:token-7");
	json_decref(list);
	json_decref(res);
}

/* A plan of many steps is one transaction and stays quick. */
static void test_many_steps(void **state)
{
	struct fx *fx = *state;
	enum { G = 4, N = 360 };
	json_t *plan = parse("{" DECISION ",\"steps\":[]}");
	json_t *steps = json_object_get(plan, "steps");
	for (int i = 0; i < G; i++)
		json_array_append_new(
			steps, json_pack("{s:s,s:s,s:s}", "kind", "issue", "parent", "000.00.00.H17", "name", "Phòng"));
	for (int i = 0; i < N; i++)
		json_array_append_new(steps, json_pack("{s:s,s:{s:i},s:s+}", "kind", "issue", "parent", "step", i % G,
						       "name", "Đơn vị ", i % 2 ? "lẻ" : "chẵn"));
	/* Pairs under one parent merged: unit b + j into b + j + G. */
	for (int b = 0; b < N; b += 2 * G)
		for (int j = 0; j < G; j++)
			json_array_append_new(steps,
					      json_pack("{s:s,s:[{s:i}],s:{s:{s:i}}}", "kind", "merge", "from", "step",
							G + b + j, "into", "code", "step", G + b + j + G));
	json_t *res = NULL, *refusals = NULL;
	struct lt_err err = {0};
	int rc = lt_plan_apply(fx->r, FX_ADMIN, plan, false, &res, &refusals, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(json_array_size(json_object_get(res, "steps")), G + N + N / 2);
	assert_int_equal(json_array_size(json_object_get(res, "closed")), N / 2);
	json_decref(res);
	json_decref(plan);
}

int main(void)
{
	setenv("LIENTHONG_TODAY", "2025-07-03", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merger_with_departments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_equals_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_references, setup, teardown),
		cmocka_unit_test_setup_teardown(test_across_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_who_may_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_steps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
