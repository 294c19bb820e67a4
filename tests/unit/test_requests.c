/* Change requests on a temporary registry: the whole district→province
 * story, the refusals of each role, a request the registry moved past,
 * contact updates applied at once, the deadlines of the compliance report,
 * and the files kept with a request. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lienthong/access.h"
#include "lienthong/edxml.h"
#include "lienthong/organizations.h"
#include "lienthong/registry.h"
#include "lienthong/requests.h"
#include "lienthong/transition.h"

#define P "000.00.00.H14"
#define D "000.00.01.H14"
#define C1 "000.01.01.H14"
#define C2 "000.02.01.H14"
#define E "000.00.02.H14"
#define EC "000.01.02.H14"

static const char units_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H14,Ủy ban nhân dân huyện Hà Quảng,000.00.00.H14,1/QĐ-UBND,2021-01-05,UBND tỉnh,2021-01-05\n"
	"000.01.01.H14,Ủy ban nhân dân xã Trường Hà,000.00.01.H14,2/QĐ-UBND,2021-01-05,UBND tỉnh,2021-01-05\n"
	"000.02.01.H14,Ủy ban nhân dân xã Sóc Hà,000.00.01.H14,2/QĐ-UBND,2021-01-05,UBND tỉnh,2021-01-05\n"
	"000.00.02.H14,Ủy ban nhân dân huyện Bảo Lạc,000.00.00.H14,1/QĐ-UBND,2021-01-05,UBND tỉnh,2021-01-05\n"
	"000.01.02.H14,Ủy ban nhân dân xã Bảo Toàn,000.00.02.H14,2/QĐ-UBND,2021-01-05,UBND tỉnh,2021-01-05\n";

struct fx {
	char dir[64];
	char db[128];
	struct lt_registry *r;
	struct lt_requests *q;
	struct lt_principal requester, manager, manager2, reader;
};

static void principal(struct fx *fx, enum lt_role role, const char *scope, struct lt_principal *out)
{
	char token[LT_TOKEN_BUFSZ];
	struct lt_err err = {0};
	if (lt_token_create(lt_registry_store(fx->r), role, scope, "t", 0, token, NULL, &err))
		fail_msg("token: %s", err.msg);
	assert_int_equal(lt_token_authenticate(lt_registry_store(fx->r), token, out, &err), LT_OK);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "req");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	fx->r = fixture_registry(fx->db, units_csv);
	struct lt_requests_opts o = {fx->dir, 1000};
	struct lt_err err = {0};
	assert_int_equal(lt_requests_open(&fx->q, fx->r, &o, &err), LT_OK);
	principal(fx, LT_ROLE_REQUESTER, D, &fx->requester);
	principal(fx, LT_ROLE_MANAGER, P, &fx->manager);
	principal(fx, LT_ROLE_MANAGER, P, &fx->manager2);
	principal(fx, LT_ROLE_READER, NULL, &fx->reader);
	unsetenv("LIENTHONG_TODAY");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	lt_requests_close(fx->q);
	lt_registry_close(fx->r);
	fixture_rmrf(fx->dir);
	free(fx);
	unsetenv("LIENTHONG_TODAY");
	return 0;
}

static int64_t file_request(struct fx *fx, const struct lt_principal *who, const char *kind, const char *unit,
			    const char *proposal, const char *reorganized, int expect)
{
	json_t *p = json_loads(proposal, 0, NULL);
	assert_non_null(p);
	struct lt_request_new n = {kind, unit, p, "lý do", reorganized};
	json_t *out = NULL;
	struct lt_err err = {0};
	int rc = lt_request_create(fx->q, FX_CTX(who), &n, &out, &err);
	json_decref(p);
	if (rc != expect)
		fail_msg("filing %s: %d %s", kind, rc, err.msg);
	int64_t id = rc ? 0 : json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	return id;
}

static const char *state_of(struct fx *fx, int64_t id, char buf[16])
{
	json_t *o = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_request_show(fx->q, &fx->manager, id, &o, &err), LT_OK);
	snprintf(buf, 16, "%s", json_string_value(json_object_get(o, "state")));
	json_decref(o);
	return buf;
}

static struct lt_request_decision decision(void)
{
	struct lt_request_decision d = {.decision = {"15/QĐ-UBND", "", "UBND tỉnh Cao Bằng"}, .kind = "quyết định"};
	lt_date_today(d.decision.date);
	return d;
}

static void test_merge_story(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	char buf[16];
	int64_t id = file_request(
		fx, &fx->requester, "merge", D,
		"{\"from\":[\"" C1 "\",\"" C2 "\"],\"into\":{\"parent\":\"" D "\",\"name\":\"Xã Hà\"}}", NULL, LT_OK);
	assert_string_equal(state_of(fx, id, buf), "submitted");
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, C1, NULL, &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_ACTIVE); /* filing changed nothing */

	json_t *o = NULL;
	assert_int_equal(
		lt_request_act(fx->q, FX_CTX(&fx->manager), id, LT_REQUEST_RETURN, "ghi rõ tên xã mới", &o, &err),
		LT_OK);
	json_decref(o);
	assert_string_equal(state_of(fx, id, buf), "returned");
	/* A returned request is with the requester: the manager cannot approve it. */
	struct lt_request_decision d = decision();
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->manager), id, &d, NULL, &err), LT_ECONFLICT);

	json_t *np = json_loads(
		"{\"from\":[\"" C1 "\",\"" C2 "\"],\"into\":{\"parent\":\"" D "\",\"name\":\"Xã Hà Quảng\"}}", 0, NULL);
	struct lt_request_change c = {np, "đã sửa tên", NULL};
	assert_int_equal(lt_request_amend(fx->q, FX_CTX(&fx->requester), id, &c, NULL, &err), LT_OK);
	json_decref(np);
	assert_int_equal(lt_request_act(fx->q, FX_CTX(&fx->requester), id, LT_REQUEST_SUBMIT, NULL, NULL, &err), LT_OK);
	assert_int_equal(lt_request_act(fx->q, FX_CTX(&fx->manager), id, LT_REQUEST_COMMENT, "đang xem", NULL, &err),
			 LT_OK);
	assert_string_equal(state_of(fx, id, buf), "in_review");
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->manager), id, &d, &o, &err), LT_OK);
	json_t *created = json_object_get(json_object_get(o, "result"), "created");
	assert_int_equal(json_array_size(created), 1);
	json_decref(o);

	assert_int_equal(lt_registry_get(fx->r, C1, NULL, &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_CLOSED);
	assert_string_equal(u.decision.number, "15/QĐ-UBND");

	assert_int_equal(lt_request_show(fx->q, &fx->requester, id, &o, &err), LT_OK);
	const char *want[] = {"filed", "returned", "amended", "submitted", "comment", "applied"};
	json_t *h = json_object_get(o, "history");
	assert_int_equal(json_array_size(h), 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(h, i), "kind")), want[i]);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "decision"), "kind")), "quyết định");
	assert_int_equal(json_array_size(json_object_get(o, "comments")), 2);
	json_decref(o);

	/* The feed: every step, gap-free. */
	int64_t last = 0;
	assert_int_equal(lt_request_events(fx->q, &fx->manager, 0, 100, &o, &last, &err), LT_OK);
	assert_int_equal(json_array_size(o), 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(o, i), "seq")), (json_int_t)i + 1);
	assert_int_equal(last, 6);
	json_decref(o);
	/* A closed request takes no more acts. */
	assert_int_equal(lt_request_act(fx->q, FX_CTX(&fx->manager), id, LT_REQUEST_REJECT, "muộn", NULL, &err),
			 LT_ECONFLICT);
}

/* A request of kind plan: filed by a requester inside its scope (its dry
 * run is the plan engine's), refused outside it, applied through the plan
 * engine on approval with the decision and its kind. */
static void test_plan_request(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	static const char plan[] = "{\"effective\":\"2025-07-01\",\"title\":\"Sắp xếp xã\",\"steps\":["
				   "{\"kind\":\"merge\",\"from\":[\"" C1 "\",\"" C2 "\"],\"into\":{\"parent\":\"" D
				   "\",\"name\":\"Xã Hà\"}},"
				   "{\"kind\":\"rename\",\"code\":{\"step\":0},\"name\":\"Xã Hà Quảng\"}]}";
	/* Outside the requester's scope, and a plan its own dry run refuses. */
	file_request(fx, &fx->requester, "plan", D,
		     "{\"effective\":\"2025-07-01\",\"steps\":[{\"kind\":\"dissolve\",\"from\":[\"" EC "\"]}]}", NULL,
		     LT_EFORBIDDEN);
	file_request(fx, &fx->requester, "plan", D,
		     "{\"effective\":\"2025-07-01\",\"steps\":[{\"kind\":\"dissolve\",\"from\":[\"" D "\"]}]}", NULL,
		     LT_ERULE);
	file_request(fx, &fx->requester, "plan", D, "{\"steps\":{}}", NULL, LT_EINVAL);
	int64_t id = file_request(fx, &fx->requester, "plan", D, plan, NULL, LT_OK);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, C1, NULL, &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_ACTIVE); /* filing changed nothing */
	json_t *o = NULL;
	struct lt_request_decision d = decision();
	snprintf(d.kind, sizeof d.kind, "Nghị quyết");
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->manager), id, &d, &o, &err), LT_OK);
	json_t *res = json_object_get(o, "result");
	assert_string_equal(json_string_value(json_object_get(res, "kind")), "plan");
	int64_t plan_id = json_integer_value(json_object_get(res, "plan"));
	assert_true(plan_id > 0);
	assert_false(json_is_integer(json_object_get(o, "change_id"))); /* a plan is not one change */
	json_decref(o);
	assert_int_equal(lt_registry_get(fx->r, C1, NULL, &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_CLOSED);
	struct lt_codelist cur = {0};
	assert_int_equal(lt_registry_resolve(fx->r, C1, &cur, &err), LT_OK);
	assert_int_equal(lt_registry_get(fx->r, cur.codes[0], NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Xã Hà Quảng");
	lt_codelist_free(&cur);
	assert_int_equal(lt_plan_get(fx->r, plan_id, &o, &err), LT_OK);
	json_t *dec = json_object_get(o, "decision");
	assert_string_equal(json_string_value(json_object_get(dec, "kind")), "Nghị quyết");
	assert_string_equal(json_string_value(json_object_get(dec, "number")), "15/QĐ-UBND");
	json_decref(o);
}

static void test_refusals(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	/* Writing directly. */
	assert_int_equal(lt_access_write(&fx->requester, C1, &err), LT_EFORBIDDEN);
	/* Outside its scope. */
	file_request(fx, &fx->requester, "rename", EC, "{\"name\":\"Xã Mới\"}", NULL, LT_EFORBIDDEN);
	file_request(fx, &fx->requester, "merge", D,
		     "{\"from\":[\"" C1 "\",\"" EC "\"],\"into\":{\"code\":\"" C2 "\"}}", NULL, LT_EFORBIDDEN);
	file_request(fx, &fx->reader, "rename", C1, "{\"name\":\"Xã Mới\"}", NULL, LT_EFORBIDDEN);
	/* Malformed and never-applicable proposals. */
	file_request(fx, &fx->requester, "rename", C1, "{\"name\":\"Xã Mới\",\"decision\":{}}", NULL, LT_EINVAL);
	file_request(fx, &fx->requester, "teleport", C1, "{}", NULL, LT_EINVAL);
	file_request(fx, &fx->requester, "dissolve", D, "{\"from\":[\"" D "\"]}", NULL, LT_ERULE);
	file_request(fx, &fx->manager, "dissolve", D, "{\"from\":[\"" D "\"]}", NULL, LT_ERULE);
	file_request(fx, &fx->requester, "rename", C1, "{\"name\":\"Xã Mới\"}", "2999-01-01", LT_EINVAL);
	json_t *items = NULL;
	assert_int_equal(lt_request_list(fx->q, &fx->manager, "", "", 0, 100, &items, &err), LT_OK);
	assert_int_equal(json_array_size(items), 0); /* nothing refused was stored */
	json_decref(items);

	int64_t id = file_request(fx, &fx->requester, "rename", C1, "{\"name\":\"Xã Trường Hà Mới\"}", NULL, LT_OK);
	struct lt_request_decision d = decision();
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->requester), id, &d, NULL, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_request_act(fx->q, FX_CTX(&fx->requester), id, LT_REQUEST_RETURN, "x", NULL, &err),
			 LT_EFORBIDDEN);
	assert_int_equal(lt_request_list(fx->q, &fx->reader, "", "", 0, 100, &items, &err), LT_EFORBIDDEN);
	/* A manager does not decide what it filed itself. */
	int64_t own = file_request(fx, &fx->manager, "rename", C2, "{\"name\":\"Xã Sóc Hà Mới\"}", NULL, LT_OK);
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->manager), own, &d, NULL, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->manager2), own, &d, NULL, &err), LT_OK);
	/* A requester of another district neither sees nor lists it. */
	struct lt_principal other;
	principal(fx, LT_ROLE_REQUESTER, E, &other);
	json_t *o = NULL;
	assert_int_equal(lt_request_show(fx->q, &other, id, &o, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_request_list(fx->q, &other, "", "", 0, 100, &items, &err), LT_OK);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	assert_int_equal(lt_request_list(fx->q, &fx->requester, "submitted", D, 0, 100, &items, &err), LT_OK);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
}

static void test_registry_moved_on(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	char buf[16];
	int64_t id = file_request(fx, &fx->requester, "rename", C1, "{\"name\":\"Xã Trường Hà Mới\"}", NULL, LT_OK);
	struct lt_request_decision d = decision();
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, C1, "Xã Trường Hà Khác", &d.decision, NULL, 0, NULL, &err),
			 LT_OK);
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->manager), id, &d, NULL, &err), LT_ECONFLICT);
	assert_non_null(strstr(err.msg, "renamed"));
	assert_string_equal(state_of(fx, id, buf), "submitted");
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, C1, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Xã Trường Hà Khác");
}

static void test_contact_update_applied_at_once(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	char buf[16];
	int64_t id =
		file_request(fx, &fx->requester, "update", C1, "{\"email\":\"vanthu@truongha.gov.vn\"}", NULL, LT_OK);
	assert_string_equal(state_of(fx, id, buf), "applied");
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, C1, NULL, &u, &err), LT_OK);
	assert_string_equal(u.contact.email, "vanthu@truongha.gov.vn");
	file_request(fx, &fx->requester, "update", C1, "{\"email\":\"not an address\"}", NULL, LT_EINVAL);
}

static void test_deadlines(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	setenv("LIENTHONG_TODAY", "2026-01-01", 1);
	int64_t id = file_request(fx, &fx->requester, "rename", C1, "{\"name\":\"Xã Mới\"}", "2026-01-01", LT_OK);
	int64_t dec = -1, upd = -1;
	assert_int_equal(lt_registry_requests_overdue(fx->r, &dec, &upd, &err), LT_OK);
	assert_int_equal(dec, 0);
	setenv("LIENTHONG_TODAY", "2026-02-01", 1); /* 31 days later */
	json_t *rep = NULL;
	assert_int_equal(lt_registry_compliance(fx->r, "H14", &rep, &err), LT_OK);
	size_t i, found = 0;
	json_t *f;
	json_array_foreach(rep, i,
			   f) if (strcmp(json_string_value(json_object_get(f, "kind")), "request_late_decision") == 0)
	{
		assert_int_equal(json_integer_value(json_object_get(f, "request")), id);
		assert_int_equal(json_integer_value(json_object_get(f, "days")), 31);
		assert_string_equal(json_string_value(json_object_get(f, "agency")), "H14");
		found++;
	}
	assert_int_equal(found, 1);
	json_decref(rep);
	assert_int_equal(lt_registry_requests_overdue(fx->r, &dec, &upd, &err), LT_OK);
	assert_int_equal(dec, 1);
	/* Approved with a decision dated 10 days before the catalogue followed. */
	struct lt_request_decision d = decision();
	snprintf(d.decision.date, sizeof d.decision.date, "2026-01-22");
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->manager), id, &d, NULL, &err), LT_OK);
	assert_int_equal(lt_registry_requests_overdue(fx->r, &dec, &upd, &err), LT_OK);
	assert_int_equal(dec, 0);
	assert_int_equal(upd, 1);
}

static void test_files(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t id = file_request(fx, &fx->requester, "rename", C1, "{\"name\":\"Xã Mới\"}", NULL, LT_OK);
	struct lt_request_upload *u = NULL;
	assert_int_equal(
		lt_request_upload_begin(fx->q, FX_CTX(&fx->requester), id, "du-thao.pdf", "application/pdf", &u, &err),
		LT_OK);
	assert_int_equal(lt_request_upload_write(u, "%PDF-1.4 ", 9, &err), LT_OK);
	assert_int_equal(lt_request_upload_write(u, "draft", 5, &err), LT_OK);
	json_t *o = NULL;
	assert_int_equal(lt_request_upload_finish(u, &o, &err), LT_OK);
	assert_int_equal(json_integer_value(json_object_get(o, "n")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "size")), 14);
	json_decref(o);
	int fd = -1;
	struct lt_request_file meta;
	assert_int_equal(lt_request_file_open(fx->q, &fx->manager, id, 1, &fd, &meta, &err), LT_OK);
	char buf[32] = "";
	assert_int_equal(read(fd, buf, sizeof buf), 14);
	close(fd);
	assert_memory_equal(buf, "%PDF-1.4 draft", 14);
	assert_string_equal(meta.content_type, "application/pdf");
	/* Over max_request_file_bytes (1000 here). */
	char big[1200];
	memset(big, 'x', sizeof big);
	assert_int_equal(lt_request_upload_begin(fx->q, FX_CTX(&fx->requester), id, "lon.bin", NULL, &u, &err), LT_OK);
	assert_int_equal(lt_request_upload_write(u, big, sizeof big, &err), LT_ETOOBIG);
	lt_request_upload_abort(u);
	assert_int_equal(lt_request_upload_begin(fx->q, FX_CTX(&fx->requester), id, "../x", NULL, &u, &err), LT_EINVAL);
	struct lt_principal other;
	principal(fx, LT_ROLE_REQUESTER, E, &other);
	assert_int_equal(lt_request_upload_begin(fx->q, FX_CTX(&other), id, "a.pdf", NULL, &u, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_request_file_open(fx->q, &other, id, 1, &fd, &meta, &err), LT_EFORBIDDEN);
	/* The decision file marks the approval. */
	assert_int_equal(
		lt_request_upload_begin(fx->q, FX_CTX(&fx->manager), id, "qd.pdf", "application/pdf", &u, &err), LT_OK);
	assert_int_equal(lt_request_upload_write(u, "QD", 2, &err), LT_OK);
	assert_int_equal(lt_request_upload_finish(u, NULL, &err), LT_OK);
	struct lt_request_decision d = decision();
	d.file = 2;
	assert_int_equal(lt_request_approve(fx->q, FX_CTX(&fx->manager), id, &d, NULL, &err), LT_OK);
	assert_int_equal(lt_store_request_file_get(lt_registry_store(fx->r), id, 2, &meta, &err), LT_OK);
	assert_string_equal(meta.role, "decision");
	/* Nothing more is added to an applied request by its filer. */
	assert_int_equal(lt_request_upload_begin(fx->q, FX_CTX(&fx->requester), id, "a.pdf", NULL, &u, &err),
			 LT_ECONFLICT);
}

static void test_file_cap_and_spool_cleanup(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t id = file_request(fx, &fx->requester, "rename", C1, "{\"name\":\"Xã Mới\"}", NULL, LT_OK);
	struct lt_request_upload *u = NULL;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(
			lt_request_upload_begin(fx->q, FX_CTX(&fx->requester), id, "a.txt", "text/plain", &u, &err),
			LT_OK);
		assert_int_equal(lt_request_upload_write(u, "x", 1, &err), LT_OK);
		assert_int_equal(lt_request_upload_finish(u, NULL, &err), LT_OK);
	}
	assert_int_equal(lt_request_upload_begin(fx->q, FX_CTX(&fx->requester), id, "b.txt", NULL, &u, &err),
			 LT_ETOOBIG);
	/* A spool file left by a crash goes when the requests are opened again. */
	char spool[256];
	snprintf(spool, sizeof spool, "%s/requests/tmp/upload-left", fx->dir);
	FILE *f = fopen(spool, "w");
	assert_non_null(f);
	fclose(f);
	lt_requests_close(fx->q);
	struct lt_requests_opts o = {fx->dir, 1000};
	assert_int_equal(lt_requests_open(&fx->q, fx->r, &o, &err), LT_OK);
	assert_int_equal(access(spool, F_OK), -1);
}

static void test_nested_rollback(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_store *s = lt_registry_store(fx->r);
	struct lt_request_decision d = decision();
	assert_int_equal(lt_store_begin(s, &err), LT_OK);
	assert_int_equal(lt_registry_rename(fx->r, FX_ADMIN, C1, "Tên tạm", &d.decision, NULL, 0, NULL, &err), LT_OK);
	lt_store_rollback(s);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->r, C1, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Ủy ban nhân dân xã Trường Hà");
}

static void test_organizations(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_store *s = lt_registry_store(fx->r);
	struct lt_org in = {.code = "0101234567-001", .name = "Chi nhánh"}, out;
	assert_int_equal(lt_org_add(s, FX_CTX(&fx->manager), &in, &out, &err), LT_ERULE); /* its enterprise first */
	struct lt_org ent = {.code = "0101234567", .name = "Công ty Cổ phần Thương mại"};
	assert_int_equal(lt_org_add(s, FX_CTX(&fx->requester), &ent, NULL, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_org_add(s, FX_CTX(&fx->manager), &ent, &out, &err), LT_OK);
	assert_string_equal(out.kind, "enterprise");
	assert_string_equal(out.source, LT_ORG_SOURCE_DEFAULT);
	assert_int_equal(lt_org_add(s, FX_CTX(&fx->manager), &ent, NULL, &err), LT_ECONFLICT);
	assert_int_equal(lt_org_add(s, FX_CTX(&fx->manager), &in, &out, &err), LT_OK);
	assert_string_equal(out.parent, "0101234567");
	assert_string_equal(out.kind, "dependent");
	const char *bad[] = {"010123456", "0101234567-000", "000.00.00.H14", "0101234567-01a"};
	for (size_t i = 0; i < 4; i++) {
		struct lt_org b = {.name = "X"};
		snprintf(b.code, sizeof b.code, "%s", bad[i]);
		assert_int_equal(lt_org_add(s, FX_CTX(&fx->manager), &b, NULL, &err), LT_EINVAL);
	}
	struct lt_org wrong = {.code = "0109999999", .name = "X", .kind = "dependent"};
	assert_int_equal(lt_org_add(s, FX_CTX(&fx->manager), &wrong, NULL, &err), LT_EINVAL);
	json_t *items = NULL;
	assert_int_equal(lt_org_search(s, "0101234567", 10, &items, &err), LT_OK);
	assert_int_equal(json_array_size(items), 2);
	json_decref(items);
	assert_int_equal(lt_org_search(s, "chi nhanh", 10, &items, &err), LT_OK);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	/* An OrganId takes an enterprise code only when the caller asks for it. */
	struct lt_edxml_organ_id id;
	assert_int_not_equal(lt_edxml_organ_id_set(&id, "0101234567-001", LT_CODE_LENIENT, &err), LT_OK);
	assert_int_equal(lt_edxml_organ_id_set(&id, "0101234567-001", LT_CODE_LENIENT | LT_CODE_ENTERPRISE, &err),
			 LT_OK);
	assert_true(id.enterprise);
	assert_string_equal(id.text, "0101234567-001");
	assert_int_equal(lt_edxml_organ_id_set(&id, "000.00.00.H14", LT_CODE_LENIENT | LT_CODE_ENTERPRISE, &err),
			 LT_OK);
	assert_false(id.enterprise);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge_story, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_moved_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contact_update_applied_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_cap_and_spool_cleanup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_organizations, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
