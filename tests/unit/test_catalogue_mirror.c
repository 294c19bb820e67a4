/* The catalogue across hubs in the library (src/registry/mirror.c,
 * publish.c): a mirror registry with local_scope H14 follows an upstream
 * registry's signed change feed; look-ups and resolve outside the scope
 * answer from it, inside from the registry's own units; unsigned, altered,
 * gapped or malformed pages and a caller that is not the daemon are refused
 * with nothing written and the reason kept; publication takes the changes
 * in scope from a durable cursor, and the upstream takes them once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include "lienthong/access.h"
#include "lienthong/catalogue.h"

#define H14 "000.00.00.H14"
#define H17 "000.00.00.H17"
#define NV17 "000.00.01.H17"
#define TP17 "000.00.02.H17"
#define NV14 "000.00.01.H14"

static const char upstream_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H17,Sở Nội vụ thành phố Đà Nẵng,000.00.00.H17,1/QĐ-UBND,2021-01-05,UBND TP Đà Nẵng,2021-01-05\n"
	"000.00.02.H17,Sở Tư pháp thành phố Đà Nẵng,000.00.00.H17,1/QĐ-UBND,2021-01-05,UBND TP Đà Nẵng,2021-01-05\n"
	"000.00.01.H14,Sở Nội vụ tỉnh Cao Bằng (trung ương),000.00.00.H14,1/QĐ-UBND,2021-01-05,UBND tỉnh Cao "
	"Bằng,2021-01-05\n";

static const char province_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H14,Sở Nội vụ tỉnh Cao Bằng,000.00.00.H14,1/QĐ-UBND,2021-01-05,UBND tỉnh Cao Bằng,2021-01-05\n";

#define DAEMON (&(const struct lt_ctx){.who = {.role = LT_ROLE_ADMIN, .name = "lienthongd:mirror"}})
#define MANAGER(root) (&(const struct lt_ctx){.who = {.role = LT_ROLE_MANAGER, .scope = root, .name = "m"}})

struct fx {
	char dir[64], up_db[128], p_db[128];
	struct lt_registry *up, *p;
	struct lt_catkey *key;
	char pub[LT_CATKEY_PUB_BUFSZ];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "catmirror");
	snprintf(fx->up_db, sizeof fx->up_db, "%s/up.db", fx->dir);
	snprintf(fx->p_db, sizeof fx->p_db, "%s/p.db", fx->dir);
	fx->up = fixture_registry(fx->up_db, upstream_csv);
	fx->p = fixture_registry(fx->p_db, province_csv);
	struct lt_err err = {0};
	assert_int_equal(lt_registry_set_local_scope(fx->p, H14, &err), LT_OK);
	assert_int_equal(lt_catkey_open(fx->dir, true, &fx->key, &err), LT_OK);
	char id[LT_CATKEY_ID_BUFSZ];
	lt_catkey_public(fx->key, fx->pub, id);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	lt_registry_close(fx->up);
	lt_registry_close(fx->p);
	lt_catkey_free(fx->key);
	fixture_rmrf(fx->dir);
	free(fx);
	return 0;
}

static int collect(void *ctx, const struct lt_event *ev)
{
	json_array_append_new(ctx, lt_event_feed_json(ev));
	return LT_OK;
}

/* The upstream's feed after seq, as its daemon writes and signs it. */
static char *page(struct fx *fx, int64_t after, char sig[LT_CATKEY_SIG_BUFSZ], size_t *len)
{
	json_t *items = json_array();
	int64_t last = 0;
	struct lt_err err = {0};
	assert_true(lt_registry_changes_after(fx->up, after, 1000, collect, items, &last, &err) >= 0);
	assert_int_equal(lt_registry_last_seq(fx->up, &last, &err), LT_OK);
	json_t *o = json_pack("{s:o,s:I}", "items", items, "last_seq", (json_int_t)last);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	*len = strlen(text);
	assert_int_equal(lt_catkey_sign(fx->key, text, *len, sig, &err), LT_OK);
	return text;
}

static int64_t follow(struct fx *fx)
{
	struct lt_mirror_status st;
	struct lt_err err = {0};
	assert_int_equal(lt_mirror_status(fx->p, &st, &err), LT_OK);
	char sig[LT_CATKEY_SIG_BUFSZ];
	size_t len;
	char *body = page(fx, st.last_seq, sig, &len);
	int64_t applied = 0, last = 0;
	int rc = lt_mirror_apply_page(fx->p, DAEMON, body, len, sig, fx->pub, &applied, &last, &err);
	free(body);
	if (rc)
		fail_msg("applying the page: %s", err.msg);
	return applied;
}

static void refused(struct fx *fx, const char *words)
{
	struct lt_mirror_status st;
	struct lt_err err = {0};
	assert_int_equal(lt_mirror_status(fx->p, &st, &err), LT_OK);
	if (!strstr(st.refused, words))
		fail_msg("refusal '%s' does not say '%s'", st.refused, words);
}

static void test_scope(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	assert_true(lt_registry_in_scope(fx->p, NV14));
	assert_true(lt_registry_in_scope(fx->p, H14));
	assert_false(lt_registry_in_scope(fx->p, NV17));
	assert_true(lt_registry_in_scope(fx->up, NV17)); /* no scope: every code is local */
	assert_int_equal(lt_registry_set_local_scope(fx->up, "000.00.00.H17, 000.00.00.K17", &err), LT_OK);
	assert_true(lt_registry_in_scope(fx->up, NV17));
	assert_true(lt_registry_in_scope(fx->up, "000.00.03.K17"));
	assert_false(lt_registry_in_scope(fx->up, NV14));
	assert_int_equal(lt_registry_set_local_scope(fx->up, "000.00.00.H17,H14", &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "local_scope"));
}

static void test_mirror_follows_and_answers(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->p, NV17, NULL, &u, &err), LT_ENOTFOUND);
	assert_true(follow(fx) > 0);
	/* Outside the scope: the mirror. */
	assert_int_equal(lt_registry_get(fx->p, NV17, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ thành phố Đà Nẵng");
	/* Inside: this registry's own, never the upstream's copy. */
	assert_int_equal(lt_registry_get(fx->p, NV14, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ tỉnh Cao Bằng");
	struct lt_mirror_status st;
	assert_int_equal(lt_mirror_status(fx->p, &st, &err), LT_OK);
	assert_int_equal(st.units, 3); /* H17 and its two departments */
	assert_string_equal(st.refused, "");
	assert_true(st.synced_at[0]);
	assert_true(st.age_seconds >= 0 && st.age_seconds < 60);

	/* A merge upstream: the closed code resolves to its successor here. */
	const char from[][LT_CODE_BUFSZ] = {NV17};
	struct lt_reorg q = {.kind = LT_REORG_MERGE,
			     .decision = {"9/QĐ-UBND", "2026-01-05", "UBND TP Đà Nẵng"},
			     .effective = "2026-01-10",
			     .from = from,
			     .n_from = 1};
	snprintf(q.into_code, sizeof q.into_code, "%s", TP17);
	struct lt_reorg_result res = {0};
	assert_int_equal(lt_registry_reorganize(fx->up, FX_ADMIN, &q, &res, &err), LT_OK);
	lt_reorg_result_free(&res);
	assert_true(follow(fx) > 0);
	assert_int_equal(follow(fx), 0); /* nothing new */
	struct lt_codelist cur = {0};
	assert_int_equal(lt_registry_resolve(fx->p, NV17, &cur, &err), LT_OK);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.codes[0], TP17);
	lt_codelist_free(&cur);
	assert_int_equal(lt_registry_get(fx->p, NV17, NULL, &u, &err), LT_OK);
	assert_int_equal(u.status, LT_UNIT_CLOSED);
}

static void test_refusals_keep_the_last_copy(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	assert_true(follow(fx) > 0);
	struct lt_mirror_status before;
	assert_int_equal(lt_mirror_status(fx->p, &before, &err), LT_OK);
	struct lt_unit u;
	assert_int_equal(lt_registry_rename(fx->up, FX_ADMIN, NV17, "Sở Nội vụ Đà Nẵng mới",
					    &(struct lt_decision){"3/QĐ-UBND", "2026-02-01", "UBND TP Đà Nẵng"},
					    "2026-02-01", 0, &u, &err),
			 LT_OK);
	char sig[LT_CATKEY_SIG_BUFSZ];
	size_t len;
	int64_t applied, last;
	char *body = page(fx, before.last_seq, sig, &len);

	assert_int_equal(lt_mirror_apply_page(fx->p, DAEMON, body, len, NULL, fx->pub, &applied, &last, &err),
			 LT_EAUTH);
	refused(fx, "unsigned");
	char *bad = strdup(body);
	*strstr(bad, "mới") = 'M';
	assert_int_equal(lt_mirror_apply_page(fx->p, DAEMON, bad, len, sig, fx->pub, &applied, &last, &err), LT_EAUTH);
	refused(fx, "altered");
	free(bad);
	/* Only the daemon's own worker writes the mirror. */
	assert_int_equal(lt_mirror_apply_page(fx->p, MANAGER(H14), body, len, sig, fx->pub, &applied, &last, &err),
			 LT_EFORBIDDEN);
	free(body);

	/* Well signed but not a feed continuing the mirror's: a gap, a
	 * malformed unit, not a page at all. */
	const char *forged[] = {
		"{\"items\":[{\"seq\":9999,\"code\":\"000.00.02.H17\",\"unit\":{}}],\"last_seq\":9999}",
		"{\"items\":[{\"seq\":%lld,\"code\":\"000.00.02.H17\",\"unit\":{\"code\":\"000.00.02.H17\","
		"\"level\":2,\"name\":\"\"}}],\"last_seq\":9999}",
		"[1,2,3]",
	};
	const char *words[] = {"gap-free", "name", "not {"};
	for (size_t i = 0; i < 3; i++) {
		char text[512];
		snprintf(text, sizeof text, forged[i], (long long)before.last_seq + 1);
		assert_int_equal(lt_catkey_sign(fx->key, text, strlen(text), sig, &err), LT_OK);
		assert_int_equal(
			lt_mirror_apply_page(fx->p, DAEMON, text, strlen(text), sig, fx->pub, &applied, &last, &err),
			LT_EINVAL);
		refused(fx, words[i]);
	}
	struct lt_mirror_status after;
	assert_int_equal(lt_mirror_status(fx->p, &after, &err), LT_OK);
	assert_int_equal(after.last_seq, before.last_seq);
	assert_int_equal(lt_registry_get(fx->p, NV17, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ thành phố Đà Nẵng");
	/* The genuine page again: taken, the refusal cleared. */
	assert_int_equal(follow(fx), 1);
	refused(fx, "");
	assert_int_equal(lt_mirror_status(fx->p, &after, &err), LT_OK);
	assert_string_equal(after.refused, "");
	assert_int_equal(lt_registry_get(fx->p, NV17, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ Đà Nẵng mới");
}

static int count_one(void *ctx, const struct lt_change *c)
{
	(void)c;
	(*(int64_t *)ctx)++;
	return LT_OK;
}

static int64_t count_changes(struct lt_registry *r)
{
	int64_t n = 0;
	struct lt_err err = {0};
	assert_int_equal(lt_store_changes(lt_registry_store(r), count_one, &n, &err), LT_OK);
	return n;
}

static void test_publication(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	lt_registry_set_publishing(fx->p, true);
	json_t *items = NULL;
	int64_t upto = 0, accepted = 0;
	/* The province's own history: its units in scope, nothing else. */
	assert_int_equal(lt_publish_pending(fx->p, 100, &items, &upto, &err), LT_OK);
	assert_int_equal(json_array_size(items), 2);
	assert_int_equal(lt_publish_accepted(fx->p, DAEMON, items, upto, "2026-12-01T08:00:00Z", &err), LT_OK);
	json_decref(items);
	assert_int_equal(lt_publish_pending(fx->p, 100, &items, &upto, &err), LT_OK);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);

	struct lt_issue iss = {.parent = NV14,
			       .name = "Phòng Công chức",
			       .decision = {"5/QĐ-UBND", "2026-10-01", "UBND tỉnh Cao Bằng"},
			       .effective = "2026-10-01"};
	struct lt_unit created;
	assert_int_equal(lt_registry_issue(fx->p, FX_ADMIN, &iss, &created, &err), LT_OK);
	assert_int_equal(lt_publish_pending(fx->p, 100, &items, &upto, &err), LT_OK);
	assert_int_equal(json_array_size(items), 1);

	/* The upstream: not a manager of another province, nor a reader. */
	const struct lt_ctx reader = {.who = {.role = LT_ROLE_READER}};
	assert_int_equal(lt_registry_publish_in(fx->up, MANAGER(H17), items, &accepted, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_registry_publish_in(fx->up, &reader, items, &accepted, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_registry_publish_in(fx->up, &(const struct lt_ctx){0}, items, &accepted, &err), LT_EAUTH);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->up, created.code, NULL, &u, &err), LT_ENOTFOUND);
	assert_int_equal(lt_registry_publish_in(fx->up, MANAGER(H14), items, &accepted, &err), LT_OK);
	assert_int_equal(accepted, 1);
	assert_int_equal(lt_registry_publish_in(fx->up, MANAGER(H14), items, &accepted, &err), LT_OK);
	assert_int_equal(accepted, 0);
	assert_int_equal(lt_registry_get(fx->up, created.code, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Phòng Công chức");
	assert_string_equal(u.decision.number, "5/QĐ-UBND");
	json_decref(items);

	/* A contact update travels too, and makes no change record upstream
	 * (it has no decision to judge). */
	int64_t before = count_changes(fx->up);
	struct lt_contact contact = {.email = "pcc@caobang.gov.vn"};
	assert_int_equal(lt_registry_update(fx->p, FX_ADMIN, created.code, &contact, 0, &u, &err), LT_OK);
	assert_int_equal(lt_publish_pending(fx->p, 100, &items, &upto, &err), LT_OK);
	assert_int_equal(json_array_size(items), 2);
	assert_int_equal(lt_registry_publish_in(fx->up, MANAGER(H14), items, &accepted, &err), LT_OK);
	assert_int_equal(accepted, 1);
	assert_int_equal(count_changes(fx->up), before);
	assert_int_equal(lt_registry_get(fx->up, created.code, NULL, &u, &err), LT_OK);
	assert_string_equal(u.contact.email, "pcc@caobang.gov.vn");
	json_decref(items);
	assert_int_equal(lt_publish_pending(fx->p, 100, &items, &upto, &err), LT_OK);

	/* Not yet accepted: the report counts the days to today. */
	json_t *report = NULL;
	assert_int_equal(lt_registry_compliance(fx->p, H14, &report, &err), LT_OK);
	size_t i;
	json_t *f, *found = NULL;
	json_array_foreach(report, i, f) if (strcmp(json_string_value(json_object_get(f, "kind")), "late_upload") == 0)
		found = f;
	assert_non_null(found);
	assert_true(json_is_null(json_object_get(found, "accepted_upstream")));
	json_decref(report);
	/* Accepted 2026-10-20: 19 days after the decision. */
	assert_int_equal(lt_publish_accepted(fx->p, DAEMON, items, upto, "2026-10-20T09:00:00Z", &err), LT_OK);
	json_decref(items);
	assert_int_equal(lt_registry_compliance(fx->p, H14, &report, &err), LT_OK);
	found = NULL;
	json_array_foreach(report, i, f) if (strcmp(json_string_value(json_object_get(f, "kind")), "late_upload") == 0)
		found = f;
	assert_non_null(found);
	assert_string_equal(json_string_value(json_object_get(found, "accepted_upstream")), "2026-10-20T09:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(found, "days")), 19);
	json_decref(report);
	int64_t cursor = 0;
	char why[LT_ERR_MSG_MAX];
	assert_int_equal(lt_publish_status(fx->p, &cursor, why, &err), LT_OK);
	assert_int_equal(cursor, upto);
	assert_string_equal(why, "");
}

/* A VXP upstream's getAgenciesList as the mirror: agencies outside the
 * scope, each oldCode a closed unit resolving to its agency, a mail the
 * registry would not take left out; a list with an agency that has no code
 * is refused whole and the copy kept. */
static void test_vxp_agencies(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	json_t *data = json_loads("["
				  "{\"id\":\"000.00.01.H17\",\"pid\":\"000.00.00.H17\",\"code\":\"000.00.01.H17\","
				  "\"name\":\"Sở Nội vụ thành phố Đà Nẵng\",\"mail\":\"not a mail\","
				  "\"oldCode\":\"000.00.31.H17\"},"
				  "{\"code\":\"000.00.02.H17\",\"name\":\"Sở Tư pháp\",\"mail\":\"stp@danang.gov.vn\"},"
				  "{\"code\":\"000.00.01.H14\",\"name\":\"Sở Nội vụ (trung ương)\",\"mail\":\"\"}]",
				  0, NULL);
	assert_non_null(data);
	assert_int_equal(lt_mirror_load_agencies(fx->p, DAEMON, data, &err), LT_OK);
	json_decref(data);
	struct lt_unit u;
	assert_int_equal(lt_registry_get(fx->p, NV17, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ thành phố Đà Nẵng");
	assert_string_equal(u.contact.email, "");
	assert_string_equal(u.parent, H17);
	assert_int_equal(lt_registry_get(fx->p, TP17, NULL, &u, &err), LT_OK);
	assert_string_equal(u.contact.email, "stp@danang.gov.vn");
	assert_int_equal(u.level, 2);
	/* Inside the scope: this registry's own. */
	assert_int_equal(lt_registry_get(fx->p, NV14, NULL, &u, &err), LT_OK);
	assert_string_equal(u.name, "Sở Nội vụ tỉnh Cao Bằng");
	/* The old code resolves to the agency that replaced it. */
	struct lt_codelist cur = {0};
	assert_int_equal(lt_registry_resolve(fx->p, "000.00.31.H17", &cur, &err), LT_OK);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.codes[0], NV17);
	lt_codelist_free(&cur);
	struct lt_mirror_status st;
	assert_int_equal(lt_mirror_status(fx->p, &st, &err), LT_OK);
	assert_int_equal(st.units, 3);

	/* One agency without a code: refused whole, the copy kept. */
	data = json_loads("[{\"code\":\"000.00.03.H17\",\"name\":\"Sở mới\"},{\"name\":\"Không mã\"}]", 0, NULL);
	assert_int_equal(lt_mirror_load_agencies(fx->p, DAEMON, data, &err), LT_EINVAL);
	json_decref(data);
	refused(fx, "no code");
	assert_int_equal(lt_registry_get(fx->p, "000.00.03.H17", NULL, &u, &err), LT_ENOTFOUND);
	assert_int_equal(lt_registry_get(fx->p, TP17, NULL, &u, &err), LT_OK);
	json_t *empty = json_array();
	assert_int_equal(lt_mirror_load_agencies(fx->p, MANAGER(H14), empty, &err), LT_EFORBIDDEN);
	json_decref(empty);
}

/* Who may publish a unit into a catalogue (lt_access_publish). */
static void test_publish_policy(void **state)
{
	(void)state;
	struct lt_err err = {0};
	struct lt_codelist subtrees = {0};
	assert_int_equal(lt_codelist_add(&subtrees, H17), LT_OK);
	const struct lt_principal sys = {.role = LT_ROLE_SYSTEM, .system_id = 3};
	assert_int_equal(lt_access_publish(&sys, &subtrees, NV17, false, &err), LT_OK);
	assert_int_equal(lt_access_publish(&sys, &subtrees, NV17, true, &err), LT_OK);
	assert_int_equal(lt_access_publish(&sys, &subtrees, H17, false, &err), LT_OK);
	assert_int_equal(lt_access_publish(&sys, &subtrees, H17, true, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_publish(&sys, &subtrees, NV14, false, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, NV14));
	assert_int_equal(lt_access_publish(&sys, NULL, NV17, false, &err), LT_EFORBIDDEN);
	lt_codelist_free(&subtrees);
	const struct lt_principal m17 = {.role = LT_ROLE_MANAGER, .scope = H17};
	assert_int_equal(lt_access_publish(&m17, NULL, NV17, true, &err), LT_OK);
	assert_int_equal(lt_access_publish(&m17, NULL, H17, false, &err), LT_OK);
	assert_int_equal(lt_access_publish(&m17, NULL, H17, true, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_publish(&m17, NULL, NV14, false, &err), LT_EFORBIDDEN);
	const struct lt_principal reader = {.role = LT_ROLE_READER}, req = {.role = LT_ROLE_REQUESTER, .scope = H17},
				  anon = {0}, admin = {.role = LT_ROLE_ADMIN};
	assert_int_equal(lt_access_publish(&reader, NULL, NV17, false, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_publish(&req, NULL, NV17, false, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_publish(&anon, NULL, NV17, false, &err), LT_EAUTH);
	assert_int_equal(lt_access_publish(&admin, NULL, H17, true, &err), LT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_follows_and_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_keep_the_last_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publication, setup, teardown),
		cmocka_unit_test(test_publish_policy),
		cmocka_unit_test_setup_teardown(test_vxp_agencies, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
