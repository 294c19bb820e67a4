/* The per-call context: the core decides from ctx->who whether a change is
 * allowed (whatever front calls it), and records ctx->who as the change's
 * actor, even when several threads change one shared registry at once (no
 * actor is kept on the registry, and no lock serialises the callers). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/access.h"
#include "lienthong/registry.h"
#include "lienthong/sign.h"

struct fx {
	char dir[64];
	char db[128];
	struct lt_registry *r;
};

static const char csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H47,Ủy ban nhân dân tỉnh Quảng Nam,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H47,Sở Nội vụ tỉnh Quảng Nam,000.00.00.H47,12/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.00.02.H47,UBND huyện Đại Lộc,000.00.00.H47,13/QĐ-UBND,2021-01-05,UBND tỉnh Quảng Nam,2021-01-05\n"
	"000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n";

static const struct lt_decision dec = {"7/QĐ-UBND", "2026-01-05", "UBND tỉnh Quảng Nam"};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "ctx");
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

static int64_t last_seq(struct lt_registry *r)
{
	int64_t n = -1;
	struct lt_err err = {0};
	assert_int_equal(lt_registry_last_seq(r, &n, &err), LT_OK);
	return n;
}

static struct lt_ctx manager_of(const char *scope, int64_t token)
{
	struct lt_ctx c = {.who = {.role = LT_ROLE_MANAGER, .token_id = token}};
	snprintf(c.who.scope, sizeof c.who.scope, "%s", scope);
	snprintf(c.who.name, sizeof c.who.name, "manager of %s", scope);
	return c;
}

/* What a handler or a CLI command no longer checks, the core does: each
 * refusal is the policy's status, and writes nothing. */
static void test_core_refuses_outside_the_principal(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t before = last_seq(fx->r);
	struct lt_ctx anon = {0}, reader = {.who = {.role = LT_ROLE_READER, .token_id = 3}};
	struct lt_ctx mgr = manager_of("000.00.00.H47", 4), dn = manager_of("000.00.00.H17", 5);
	struct lt_issue is = {.parent = "000.00.00.H47", .name = "Sở Tư pháp tỉnh Quảng Nam", .decision = dec};
	struct lt_unit u;

	assert_int_equal(lt_registry_issue(fx->r, &anon, &is, &u, &err), LT_EAUTH);
	assert_int_equal(err.status, LT_EAUTH);
	assert_int_equal(lt_registry_issue(fx->r, &reader, &is, &u, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_registry_issue(fx->r, &dn, &is, &u, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "outside"));
	struct lt_contact c = {.email = "vanthu@quangnam.gov.vn"};
	assert_int_equal(lt_registry_update(fx->r, &dn, "000.00.01.H47", &c, 0, &u, &err), LT_EFORBIDDEN);
	/* A manager's own root is renamed by the level above. */
	assert_int_equal(lt_registry_rename(fx->r, &mgr, "000.00.00.H47", "Tỉnh Quảng Nam", &dec, "", 0, &u, &err),
			 LT_EFORBIDDEN);
	const char from[][LT_CODE_BUFSZ] = {"000.00.02.H47"};
	struct lt_new_unit into = {.parent = "000.00.00.H17"};
	struct lt_reorg move = {
		.kind = LT_REORG_MOVE, .decision = dec, .from = from, .n_from = 1, .into = &into, .n_into = 1};
	struct lt_reorg_result res;
	assert_int_equal(lt_registry_reorganize(fx->r, &mgr, &move, &res, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "000.00.00.H17"));
	FILE *f = fmemopen((void *)csv, strlen(csv), "r");
	struct lt_import_report rep;
	assert_int_equal(lt_registry_import_csv(fx->r, &reader, f, &rep, &err), LT_EFORBIDDEN);
	lt_import_report_free(&rep);
	fclose(f);
	assert_int_equal(lt_cert_revoke(lt_registry_store(fx->r), &dn, "000.00.01.H47", 1, &err), LT_EFORBIDDEN);
	char token[LT_TOKEN_BUFSZ];
	assert_int_equal(
		lt_token_issue(lt_registry_store(fx->r), &reader, LT_ROLE_READER, NULL, "x", token, NULL, &err),
		LT_EFORBIDDEN);
	assert_int_equal(last_seq(fx->r), before);

	/* Inside its subtree the same manager may. */
	assert_int_equal(lt_registry_issue(fx->r, &mgr, &is, &u, &err), LT_OK);
	assert_int_equal(last_seq(fx->r), before + 1);
}

struct writer {
	struct lt_registry *r;
	struct lt_ctx ctx;
	pthread_barrier_t *go;
	int n, failed;
	char codes[8][LT_CODE_BUFSZ];
};

static void *write_units(void *arg)
{
	struct writer *w = arg;
	pthread_barrier_wait(w->go);
	for (int i = 0; i < w->n; i++) {
		struct lt_issue is = {.parent = "000.00.00.H47", .decision = dec};
		snprintf(is.name, sizeof is.name, "Phòng %d của token %lld", i, (long long)w->ctx.who.token_id);
		struct lt_unit u;
		struct lt_err err = {0};
		if (lt_registry_issue(w->r, &w->ctx, &is, &u, &err) != LT_OK) {
			fprintf(stderr, "issue: %s\n", err.msg);
			w->failed++;
			continue;
		}
		snprintf(w->codes[i], sizeof w->codes[i], "%s", u.code);
	}
	return NULL;
}

struct actors {
	char (*code)[LT_CODE_BUFSZ];
	char (*actor)[128];
	size_t n;
};

static int collect(void *vctx, const struct lt_event *ev)
{
	struct actors *a = vctx;
	json_t *d = json_loads(ev->data, 0, NULL);
	assert_non_null(d);
	snprintf(a->code[a->n], LT_CODE_BUFSZ, "%s", ev->code);
	snprintf(a->actor[a->n], 128, "%s", json_string_value(json_object_get(d, "actor")));
	a->n++;
	json_decref(d);
	return 0;
}

/* Four threads issue units through one registry at once, each as its own
 * principal: every event names the principal that made it. With the actor a
 * field of the shared registry, a change could carry another caller's. */
static void test_concurrent_writers_record_their_own_actor(void **state)
{
	struct fx *fx = *state;
	enum { T = 4, N = 8 };
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, T);
	struct writer w[T];
	pthread_t th[T];
	int64_t before = last_seq(fx->r);
	for (int t = 0; t < T; t++) {
		memset(&w[t], 0, sizeof w[t]);
		w[t].r = fx->r;
		w[t].ctx = manager_of("000.00.00.H47", 100 + t);
		w[t].go = &go;
		w[t].n = N;
		assert_int_equal(pthread_create(&th[t], NULL, write_units, &w[t]), 0);
	}
	for (int t = 0; t < T; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(w[t].failed, 0);
	}
	pthread_barrier_destroy(&go);
	static char code[T * N][LT_CODE_BUFSZ], actor[T * N][128];
	struct actors a = {code, actor, 0};
	int64_t last = 0;
	struct lt_err err = {0};
	assert_true(lt_registry_changes_after(fx->r, before, 1000, collect, &a, &last, &err) >= 0);
	assert_int_equal(a.n, T * N);
	for (int t = 0; t < T; t++) {
		char want[64];
		snprintf(want, sizeof want, "http:manager:token-%d", 100 + t);
		for (int i = 0; i < N; i++) {
			size_t k = 0;
			while (k < a.n && strcmp(a.code[k], w[t].codes[i]) != 0)
				k++;
			assert_true(k < a.n);
			assert_string_equal(a.actor[k], want);
		}
	}
}

/* The actor names role and ids only: the change feed is public. */
static void test_actor_names(void **state)
{
	(void)state;
	char out[128];
	struct lt_ctx t = {.who = {.role = LT_ROLE_ADMIN, .token_id = 7, .name = "secret name"}};
	lt_ctx_actor(&t, out, sizeof out);
	assert_string_equal(out, "http:admin:token-7");
	struct lt_ctx v = {.who = {.role = LT_ROLE_SYSTEM, .system_id = 3, .via_vxp = true, .name = "QLVB"}};
	lt_ctx_actor(&v, out, sizeof out);
	assert_string_equal(out, "vxp:system-3");
	struct lt_ctx c = {.who = {.role = LT_ROLE_ADMIN, .name = "cli:alice"}};
	lt_ctx_actor(&c, out, sizeof out);
	assert_string_equal(out, "cli:alice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_core_refuses_outside_the_principal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers_record_their_own_actor, setup, teardown),
		cmocka_unit_test(test_actor_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
