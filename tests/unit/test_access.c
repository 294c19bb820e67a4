/* Access control on a temporary registry: tokens are stored only as hashes
 * and refused once revoked, the roles decide exactly what they should,
 * sealed secrets open only with their key, and systems follow a unit that
 * moves. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lienthong/access.h"
#include "lienthong/config.h"
#include "lienthong/registry.h"
#include "lienthong/relay.h"

struct fx {
	char dir[64];
	char db[128];
	struct lt_registry *r;
	struct lt_store *s;
	unsigned char key[LT_SEAL_KEY_BYTES];
};

static const char units_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H17,Ủy ban nhân dân thành phố Đà Nẵng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.01.H14,Sở Nội vụ tỉnh Cao Bằng,000.00.00.H14,1/QĐ-UBND,2021-01-05,UBND tỉnh Cao Bằng,2021-01-05\n"
	"000.01.01.H14,Phòng Tổ chức,000.00.01.H14,2/QĐ-UBND,2021-01-05,UBND tỉnh Cao Bằng,2021-01-05\n";

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "acc");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	struct lt_err err = {0};
	fx->r = fixture_registry(fx->db, units_csv);
	fx->s = lt_registry_store(fx->r);
	char keydir[128];
	snprintf(keydir, sizeof keydir, "%s/data/keys", fx->dir);
	assert_int_equal(lt_seal_key_in(keydir, true, fx->key, &err), LT_OK);
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

struct find_hash {
	const char *token;
	bool seen_plain;
	int n;
};

static int scan_token(void *ctx, const struct lt_token *t)
{
	struct find_hash *fh = ctx;
	fh->n++;
	if (strstr(t->hash, fh->token + 3) || strstr(t->name, fh->token))
		fh->seen_plain = true;
	return 0;
}

static void test_tokens(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	char tok[LT_TOKEN_BUFSZ];
	struct lt_token row;
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_ADMIN, NULL, "ops", 0, tok, &row, &err), LT_OK);
	assert_int_equal(strncmp(tok, "lt_", 3), 0);
	assert_int_equal(strlen(tok), 46);
	struct lt_principal p;
	assert_int_equal(lt_token_authenticate(fx->s, tok, &p, &err), LT_OK);
	assert_int_equal(p.role, LT_ROLE_ADMIN);
	assert_int_equal(p.token_id, row.id);

	/* Only the hash is stored: the secret appears nowhere in the table. */
	struct find_hash fh = {tok, false, 0};
	assert_int_equal(lt_store_tokens(fx->s, scan_token, &fh, &err), LT_OK);
	assert_int_equal(fh.n, 1);
	assert_false(fh.seen_plain);

	/* A token one character off, a malformed one, and a revoked one. */
	char wrong[LT_TOKEN_BUFSZ];
	snprintf(wrong, sizeof wrong, "%s", tok);
	wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
	assert_int_equal(lt_token_authenticate(fx->s, wrong, &p, &err), LT_EAUTH);
	assert_int_equal(lt_token_authenticate(fx->s, "Bearer x", &p, &err), LT_EAUTH);
	assert_int_equal(lt_token_authenticate(fx->s, "", &p, &err), LT_EAUTH);
	struct lt_principal cli = {.role = LT_ROLE_ADMIN, .name = "cli:test"}, mgr = {.role = LT_ROLE_MANAGER};
	assert_int_equal(lt_token_revoke(fx->s, FX_CTX(&mgr), row.id, NULL, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_token_authenticate(fx->s, tok, &p, &err), LT_OK);
	struct lt_token was;
	assert_int_equal(lt_token_revoke(fx->s, FX_CTX(&cli), row.id, &was, &err), LT_OK);
	assert_int_equal(was.id, row.id);
	assert_int_equal(lt_token_authenticate(fx->s, tok, &p, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "revoked"));
	assert_int_equal(lt_token_revoke(fx->s, FX_CTX(&cli), row.id, NULL, &err), LT_ENOTFOUND);

	/* Scope rules. */
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_MANAGER, NULL, NULL, 0, tok, NULL, &err), LT_EINVAL);
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_MANAGER, "000.00.00.H99", NULL, 0, tok, NULL, &err),
			 LT_ENOTFOUND);
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_MANAGER, "000.00.0.H14", NULL, 0, tok, NULL, &err), LT_EINVAL);
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_READER, "000.00.00.H14", NULL, 0, tok, NULL, &err), LT_EINVAL);
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_SYSTEM, NULL, NULL, 0, tok, NULL, &err), LT_EINVAL);
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_MANAGER, "000.00.00.H14", "cb", 0, tok, NULL, &err), LT_OK);
	assert_int_equal(lt_token_authenticate(fx->s, tok, &p, &err), LT_OK);
	assert_string_equal(p.scope, "000.00.00.H14");

	enum lt_role r;
	assert_int_equal(lt_role_parse("manager", &r, &err), LT_OK);
	assert_int_equal(r, LT_ROLE_MANAGER);
	assert_int_equal(lt_role_parse("root", &r, &err), LT_EINVAL);
	assert_int_equal(lt_role_parse("anonymous", &r, &err), LT_EINVAL);
}

/* The daemon's token cache: a principal read once answers the next
 * requests, and whatever changes it (a revocation, a disabled system, a
 * change by another process) is refused at the next request; this
 * process's other commits keep the cache (the store's generation does not
 * move for them). */
static void test_token_cache(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_principal admin = {.role = LT_ROLE_ADMIN, .name = "cli:test"}, p;
	struct lt_token_cache *c = lt_token_cache_new(64);
	assert_non_null(c);
	assert_null(lt_token_cache_new(0));
	uint64_t hits, misses;

	const char codes[][LT_CODE_BUFSZ] = {"000.00.01.H14"};
	struct lt_system_created made;
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&admin), "QLVB", codes, 1, fx->key, &made, &err), LT_OK);
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_OK);
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_OK);
	assert_int_equal(p.role, LT_ROLE_SYSTEM);
	assert_int_equal(p.system_id, made.id);
	lt_token_cache_counts(c, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);

	/* This process's commits that change no principal keep the cache. */
	uint64_t gen = lt_store_generation(fx->s);
	char tok[LT_TOKEN_BUFSZ];
	struct lt_token row;
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_READER, NULL, "r", 0, tok, &row, &err), LT_OK);
	usleep(80 * 1000); /* past the store's look at other processes' commits */
	assert_int_equal(lt_store_generation(fx->s), gen);
	assert_int_equal(lt_store_generation_now(fx->s), gen);
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_OK);
	lt_token_cache_counts(c, &hits, &misses);
	assert_int_equal(hits, 2);

	/* Disabled, then enabled again: refused, then let in, at once. */
	assert_int_equal(lt_system_set_disabled(fx->s, FX_CTX(&admin), made.id, true, NULL, &err), LT_OK);
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "disabled"));
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_EAUTH);
	assert_int_equal(lt_system_set_disabled(fx->s, FX_CTX(&admin), made.id, false, NULL, &err), LT_OK);
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_OK);
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_OK);

	/* Revoked through this store: refused at the next request. */
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, tok, &p, &err), LT_OK);
	assert_int_equal(lt_token_revoke(fx->s, FX_CTX(&admin), row.id, NULL, &err), LT_OK);
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, tok, &p, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "revoked"));

	/* Revoked by another process (a CLI beside the daemon: its own
	 * connection to the file): refused at the next request too. */
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_OK);
	struct lt_store *other = NULL;
	assert_int_equal(lt_store_open(&other, fx->db, &err), LT_OK);
	int n = 0;
	assert_int_equal(lt_store_begin(other, &err), LT_OK);
	assert_int_equal(lt_store_system_tokens_revoke(other, made.id, "2026-12-07T00:00:00Z", &n, &err), LT_OK);
	assert_int_equal(lt_store_commit(other, &err), LT_OK);
	lt_store_close(other);
	assert_int_equal(n, 1);
	assert_int_equal(lt_token_authenticate_cached(fx->s, c, made.token, &p, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "revoked"));
	lt_token_cache_free(c);
}

static void test_policy(void **state)
{
	(void)state;
	struct lt_err err = {0};
	struct lt_principal anon = {0}, reader = {.role = LT_ROLE_READER}, sys = {.role = LT_ROLE_SYSTEM},
			    admin = {.role = LT_ROLE_ADMIN}, mgr = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H14"},
			    mgr2 = {.role = LT_ROLE_MANAGER, .scope = "000.00.01.H14"};
	assert_int_equal(lt_access_read(&anon, true, &err), LT_OK);
	assert_int_equal(lt_access_read(&anon, false, &err), LT_EAUTH);
	assert_int_equal(lt_access_read(&reader, false, &err), LT_OK);

	assert_int_equal(lt_access_write(&admin, "000.00.00.H17", &err), LT_OK);
	assert_int_equal(lt_access_write(&anon, "000.00.00.H14", &err), LT_EAUTH);
	assert_int_equal(lt_access_write(&reader, "000.00.00.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_write(&sys, "000.00.00.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_write(&mgr, "000.00.00.H14", &err), LT_OK);
	assert_int_equal(lt_access_write(&mgr, "001.01.01.H14", &err), LT_OK);
	assert_int_equal(lt_access_write(&mgr, "000.00.00.H17", &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "000.00.00.H14"));
	assert_int_equal(lt_access_write(&mgr, "garbage", &err), LT_EFORBIDDEN);
	/* A level-2 manager reaches its own subtree only, not its siblings. */
	assert_int_equal(lt_access_write(&mgr2, "000.01.01.H14", &err), LT_OK);
	assert_int_equal(lt_access_write(&mgr2, "000.00.02.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_write(&mgr2, "000.00.00.H14", &err), LT_EFORBIDDEN);
	/* Renaming or reorganising: strictly below the root for a manager. */
	assert_int_equal(lt_access_reorganise(&mgr, "000.00.00.H14", &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "own root"));
	assert_int_equal(lt_access_reorganise(&mgr, "000.00.03.H14", &err), LT_OK);
	assert_int_equal(lt_access_reorganise(&mgr, "000.00.00.H17", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_reorganise(&admin, "000.00.00.H14", &err), LT_OK);
	assert_int_equal(lt_access_reorganise(&reader, "000.00.03.H14", &err), LT_EFORBIDDEN);

	assert_int_equal(lt_access_admin(&admin, &err), LT_OK);
	assert_int_equal(lt_access_admin(&mgr, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_admin(&anon, &err), LT_EAUTH);

	/* Tokens: an admin any; a manager requester tokens of its subtree only. */
	struct lt_principal requester = {.role = LT_ROLE_REQUESTER, .scope = "000.00.01.H14"};
	assert_int_equal(lt_access_token(&admin, LT_ROLE_ADMIN, "", &err), LT_OK);
	assert_int_equal(lt_access_token(&admin, LT_ROLE_MANAGER, "000.00.00.H17", &err), LT_OK);
	assert_int_equal(lt_access_token(&mgr, LT_ROLE_REQUESTER, "000.00.01.H14", &err), LT_OK);
	assert_int_equal(lt_access_token(&mgr, LT_ROLE_REQUESTER, "000.00.00.H14", &err), LT_OK);
	assert_int_equal(lt_access_token(&mgr2, LT_ROLE_REQUESTER, "000.00.02.H14", &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "000.00.02.H14"));
	assert_int_equal(lt_access_token(&mgr, LT_ROLE_REQUESTER, "000.00.00.H17", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_token(&mgr, LT_ROLE_REQUESTER, "", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_token(&mgr, LT_ROLE_MANAGER, "000.00.01.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_token(&mgr, LT_ROLE_READER, "", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_token(&mgr, LT_ROLE_ADMIN, "", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_token(&requester, LT_ROLE_REQUESTER, "000.00.01.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_token(&reader, LT_ROLE_READER, "", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_token(&sys, LT_ROLE_REQUESTER, "000.00.01.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_token(&anon, LT_ROLE_READER, "", &err), LT_EAUTH);

	/* The operators' view: an admin all; a manager its units' deliveries. */
	struct lt_codelist mine = {0}, theirs = {0};
	assert_int_equal(lt_codelist_add(&mine, "000.00.00.G22"), 0);
	assert_int_equal(lt_codelist_add(&mine, "000.00.04.H14"), 0);
	assert_int_equal(lt_codelist_add(&theirs, "000.00.00.G22"), 0);
	assert_int_equal(lt_codelist_add(&theirs, "000.00.00.H26"), 0);
	assert_int_equal(lt_access_operations(&admin, &theirs, &err), LT_OK);
	assert_int_equal(lt_access_operations(&mgr, NULL, &err), LT_OK);
	assert_int_equal(lt_access_operations(&mgr, &mine, &err), LT_OK);
	assert_int_equal(lt_access_operations(&mgr, &theirs, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_operations(&mgr2, &mine, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_operations(&reader, NULL, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_operations(&sys, NULL, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_operations(&requester, NULL, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_operations(&anon, NULL, &err), LT_EAUTH);
	lt_codelist_free(&mine);
	lt_codelist_free(&theirs);

	/* Transition campaigns: an admin any; a manager under its subtree,
	 * never the whole registry; nobody else. */
	assert_int_equal(lt_access_campaign(&admin, "", &err), LT_OK);
	assert_int_equal(lt_access_campaign(&admin, "000.00.00.H17", &err), LT_OK);
	assert_int_equal(lt_access_campaign(&mgr, "000.00.00.H14", &err), LT_OK);
	assert_int_equal(lt_access_campaign(&mgr, "000.00.31.H14", &err), LT_OK);
	assert_int_equal(lt_access_campaign(&mgr, "000.00.00.H17", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_campaign(&mgr, "", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_campaign(&mgr2, "000.00.00.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_campaign(&reader, "000.00.00.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_campaign(&sys, "000.00.00.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_campaign(&requester, "000.00.01.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_campaign(&anon, "000.00.00.H14", &err), LT_EAUTH);
	assert_int_equal(lt_access_stale(&mgr, &err), LT_OK);
	assert_int_equal(lt_access_stale(&sys, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_hub_send(&admin, &err), LT_OK);
	assert_int_equal(lt_access_hub_send(&reader, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_hub_send(&anon, &err), LT_EAUTH);
}

/* Federation: who may bind a subtree, who may take packages in from the
 * upstream; and the relay's back-off. */
static void test_policy_federation(void **state)
{
	(void)state;
	struct lt_err err = {0};
	struct lt_principal anon = {0}, sys = {.role = LT_ROLE_SYSTEM}, admin = {.role = LT_ROLE_ADMIN},
			    mgr = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H14"},
			    mgr2 = {.role = LT_ROLE_MANAGER, .scope = "000.00.05.H14"};
	assert_int_equal(lt_access_subtree(&admin, "000.00.00.H17", &err), LT_OK);
	assert_int_equal(lt_access_subtree(&mgr, "000.00.00.H14", &err), LT_OK);
	assert_int_equal(lt_access_subtree(&mgr, "000.00.05.H14", &err), LT_OK);
	assert_int_equal(lt_access_subtree(&mgr2, "000.00.00.H14", &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "subtree 000.00.00.H14"));
	assert_int_equal(lt_access_subtree(&mgr, "000.00.00.H17", &err), LT_EFORBIDDEN);
	assert_int_equal(err.status, LT_EFORBIDDEN);
	assert_int_equal(lt_access_subtree(&sys, "000.00.00.H14", &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_subtree(&anon, "000.00.00.H14", &err), LT_EAUTH);
	assert_int_equal(lt_access_relay(&admin, &err), LT_OK);
	assert_int_equal(lt_access_relay(&sys, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_relay(&mgr, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_relay(&anon, &err), LT_EAUTH);
	static const int want[] = {1, 1, 2, 4, 8, 16, 32, 60, 60};
	for (int t = 0; t < 9; t++)
		assert_int_equal(lt_relay_backoff(t, 60), want[t]);
	assert_int_equal(lt_relay_backoff(1000, 300), 300);
	assert_int_equal(lt_relay_backoff(3, 0), 1);
	assert_int_equal(lt_relay_supported(LT_UPSTREAM_LIENTHONG, &err), LT_OK);
	assert_int_equal(lt_relay_supported(LT_UPSTREAM_VXP, &err), LT_OK);
	assert_int_equal(lt_relay_supported(7, &err), LT_EINVAL);
}

static void test_seal(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	char sealed[256], back[128];
	assert_int_equal(lt_seal(fx->key, "vxp_secret-value", sealed, sizeof sealed, &err), LT_OK);
	assert_null(strstr(sealed, "secret"));
	assert_int_equal(lt_unseal(fx->key, sealed, back, sizeof back, &err), LT_OK);
	assert_string_equal(back, "vxp_secret-value");
	/* Same plaintext, fresh nonce: two seals differ. */
	char again[256];
	assert_int_equal(lt_seal(fx->key, "vxp_secret-value", again, sizeof again, &err), LT_OK);
	assert_string_not_equal(sealed, again);
	/* One flipped bit, or another key: refused. */
	sealed[30] = sealed[30] == '0' ? '1' : '0';
	assert_int_equal(lt_unseal(fx->key, sealed, back, sizeof back, &err), LT_EAUTH);
	unsigned char other[LT_SEAL_KEY_BYTES];
	memcpy(other, fx->key, sizeof other);
	other[0] ^= 1;
	assert_int_equal(lt_unseal(other, again, back, sizeof back, &err), LT_EAUTH);
	assert_int_equal(lt_unseal(fx->key, "zz", back, sizeof back, &err), LT_EIO);

	/* The key file is made once, private, and read back the same. */
	char keydir[128], path[160];
	snprintf(keydir, sizeof keydir, "%s/data/keys", fx->dir);
	snprintf(path, sizeof path, "%s/seal.key", keydir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	unsigned char k2[LT_SEAL_KEY_BYTES];
	assert_int_equal(lt_seal_key_in(keydir, false, k2, &err), LT_OK);
	assert_memory_equal(k2, fx->key, sizeof k2);
	char missing[160];
	snprintf(missing, sizeof missing, "%s/nowhere", fx->dir);
	assert_int_equal(lt_seal_key_in(missing, false, k2, &err), LT_EIO);
}

static void test_systems_follow_their_unit(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_principal admin = {.role = LT_ROLE_ADMIN}, mgr = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H14"};
	const char codes[][LT_CODE_BUFSZ] = {"000.00.01.H14", "000.01.01.H14"};
	struct lt_system_created made;
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&mgr), "QLVB Sở Nội vụ", codes, 2, fx->key, &made, &err),
			 LT_OK);
	assert_true(made.id > 0);
	char secret[LT_TOKEN_BUFSZ];
	assert_int_equal(lt_system_secret(fx->s, made.id, fx->key, secret, &err), LT_OK);
	assert_string_equal(secret, made.vxp_secret);
	struct lt_principal p;
	assert_int_equal(lt_token_authenticate(fx->s, made.token, &p, &err), LT_OK);
	assert_int_equal(p.role, LT_ROLE_SYSTEM);
	assert_int_equal(p.system_id, made.id);

	/* Outside the manager's subtree, unknown, empty, or nameless: refused, and nothing written. */
	const char other[][LT_CODE_BUFSZ] = {"000.00.00.H17"};
	const char unknown[][LT_CODE_BUFSZ] = {"000.00.09.H14"};
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&mgr), "x", other, 1, fx->key, &made, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&admin), "x", unknown, 1, fx->key, &made, &err),
			 LT_ENOTFOUND);
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&admin), "x", other, 0, fx->key, &made, &err), LT_EINVAL);
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&admin), "", other, 1, fx->key, &made, &err), LT_EINVAL);
	/* The Sở's manager. */
	char mtok[LT_TOKEN_BUFSZ];
	assert_int_equal(lt_token_create(fx->s, LT_ROLE_MANAGER, "000.00.01.H14", "Sở Nội vụ", 0, mtok, NULL, &err),
			 LT_OK);

	/* The Sở moves under Đà Nẵng: its system is bound to the new codes. */
	struct lt_new_unit into = {.parent = "000.00.00.H17"};
	const char from[][LT_CODE_BUFSZ] = {"000.00.01.H14"};
	struct lt_reorg q = {.kind = LT_REORG_MOVE,
			     .decision = {"5/QĐ-UBND", "2026-01-10", "UBND"},
			     .effective = "2026-01-10",
			     .from = from,
			     .n_from = 1,
			     .into = &into,
			     .n_into = 1};
	struct lt_reorg_result res = {0};
	assert_int_equal(lt_registry_reorganize(fx->r, FX_ADMIN, &q, &res, &err), LT_OK);
	struct lt_codelist bound = {0};
	assert_int_equal(lt_store_system_codes(fx->s, 1, &bound, &err), LT_OK);
	assert_int_equal(bound.n, 2);
	for (size_t i = 0; i < res.n_moved; i++) {
		assert_true(lt_codelist_has(&bound, res.moved[i].to));
		assert_false(lt_codelist_has(&bound, res.moved[i].from));
	}
	lt_codelist_free(&bound);
	/* Its manager now manages the new code, and can act there. */
	assert_int_equal(lt_token_authenticate(fx->s, mtok, &p, &err), LT_OK);
	assert_int_equal(p.role, LT_ROLE_MANAGER);
	assert_string_equal(p.scope, res.moved[0].to);
	assert_int_equal(lt_access_write(&p, res.moved[0].to, &err), LT_OK);
	lt_reorg_result_free(&res);
}

struct trail {
	int n;
	char last[8][32];
	char who[8][192];
};

static int keep_entry(void *vctx, const struct lt_audit *a)
{
	struct trail *t = vctx;
	if (t->n < 8) {
		snprintf(t->last[t->n], sizeof t->last[0], "%s", a->action);
		snprintf(t->who[t->n], sizeof t->who[0], "%s", a->who);
	}
	t->n++;
	return 0;
}

static int trail_of(struct fx *fx, const char *target, struct trail *t)
{
	struct lt_principal admin = {.role = LT_ROLE_ADMIN};
	memset(t, 0, sizeof *t);
	return lt_audit_list(fx->s, &admin, target, 0, 100, keep_entry, t, NULL);
}

/* Who may bind a code to a system: the rules of lt_access_bind, then the
 * acts themselves, each in the trail, and refusals nowhere in it. */
static void test_binding(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_principal admin = {.role = LT_ROLE_ADMIN, .name = "cli:test"},
			    mgr = {.role = LT_ROLE_MANAGER, .scope = "000.00.01.H14", .token_id = 5, .name = "Sở"},
			    other_mgr = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H17", .token_id = 6},
			    reader = {.role = LT_ROLE_READER};
	const char codes[][LT_CODE_BUFSZ] = {"000.00.00.H14"};
	struct lt_system_created made;
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&admin), "QLVB Cao Bằng", codes, 1, fx->key, &made, &err),
			 LT_OK);
	struct lt_principal bearer, vxp;
	assert_int_equal(lt_token_authenticate(fx->s, made.token, &bearer, &err), LT_OK);
	vxp = bearer;
	vxp.token_id = 0;
	vxp.via_vxp = true;
	struct lt_system sys;
	assert_int_equal(lt_store_system_get(fx->s, made.id, &sys, &err), LT_OK);

	/* The policy alone. */
	assert_int_equal(lt_access_bind(&admin, &sys, "000.00.00.H17", false, &err), LT_OK);
	assert_int_equal(lt_access_bind(&mgr, &sys, "000.01.01.H14", false, &err), LT_OK);
	assert_int_equal(lt_access_bind(&other_mgr, &sys, "000.01.01.H14", false, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_bind(&reader, &sys, "000.01.01.H14", true, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_bind(&bearer, &sys, "000.01.01.H14", true, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "/v1"));
	assert_int_equal(lt_access_bind(&vxp, &sys, "000.01.01.H14", false, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "vxp_agency_ops"));
	assert_int_equal(lt_access_bind(&vxp, &sys, "000.01.01.H14", true, &err), LT_OK);
	assert_int_equal(lt_access_bind(&vxp, &sys, "000.00.00.H14", true, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_access_bind(&vxp, &sys, "000.00.00.H17", true, &err), LT_EFORBIDDEN);
	struct lt_system stranger = sys;
	stranger.id = sys.id + 1;
	assert_int_equal(lt_access_bind(&vxp, &stranger, "000.01.01.H14", true, &err), LT_EFORBIDDEN);
	/* Binding to a system: a manager's own subtree's, or one above the code. */
	struct lt_codelist own = {0}, wide = {0};
	assert_int_equal(lt_codelist_add(&own, "000.00.00.H14"), 0);
	assert_int_equal(lt_codelist_add(&wide, "000.00.00.H14"), 0);
	assert_int_equal(lt_codelist_add(&wide, "000.00.00.H17"), 0);
	struct lt_principal province = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H14"};
	assert_int_equal(lt_access_bind_to(&mgr, &sys, &own, "000.01.01.H14", false, &err), LT_OK);
	assert_int_equal(lt_access_bind_to(&province, &sys, &wide, "000.01.01.H14", false, &err), LT_OK);
	struct lt_system danang = sys;
	snprintf(danang.primary_code, sizeof danang.primary_code, "000.00.00.H17");
	assert_int_equal(lt_access_bind_to(&province, &danang, &wide, "000.01.01.H14", false, &err), LT_EFORBIDDEN);
	assert_non_null(strstr(err.msg, "000.00.00.H17"));
	assert_int_equal(lt_access_bind_to(&admin, &danang, &wide, "000.01.01.H14", false, &err), LT_OK);
	assert_int_equal(lt_access_bind_to(&other_mgr, &danang, &wide, "000.01.01.H14", false, &err), LT_EFORBIDDEN);
	lt_codelist_free(&own);
	lt_codelist_free(&wide);

	/* The acts: refused ones leave no entry. */
	struct trail t;
	char target[64];
	snprintf(target, sizeof target, "system:%lld", (long long)made.id);
	assert_int_equal(lt_system_bind(fx->s, FX_CTX(&other_mgr), made.id, "000.01.01.H14", false, &err),
			 LT_EFORBIDDEN);
	assert_int_equal(lt_system_bind(fx->s, FX_CTX(&vxp), made.id, "000.01.01.H14", false, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_system_bind(fx->s, FX_CTX(&mgr), made.id, "000.09.01.H14", false, &err), LT_ENOTFOUND);
	assert_int_equal(lt_system_bind(fx->s, FX_CTX(&mgr), made.id, "000.01.01.H14x", false, &err), LT_EINVAL);
	assert_int_equal(lt_system_bind(fx->s, FX_CTX(&mgr), made.id + 9, "000.01.01.H14", false, &err), LT_ENOTFOUND);
	assert_int_equal(trail_of(fx, target, &t), LT_OK);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.last[0], "system.add");
	assert_string_equal(t.who[0], "cli:test");
	assert_int_equal(lt_system_bind(fx->s, FX_CTX(&mgr), made.id, "000.01.01.H14", false, &err), LT_OK);
	assert_int_equal(lt_system_bind(fx->s, FX_CTX(&mgr), made.id, "000.01.01.H14", false, &err), LT_OK);
	assert_int_equal(lt_system_unbind(fx->s, FX_CTX(&mgr), made.id, "000.01.01.H14", false, &err), LT_OK);
	assert_int_equal(lt_system_unbind(fx->s, FX_CTX(&mgr), made.id, "000.01.01.H14", false, &err), LT_ENOTFOUND);
	assert_int_equal(lt_system_bind(fx->s, FX_CTX(&vxp), made.id, "000.00.01.H14", true, &err), LT_OK);
	assert_int_equal(lt_system_unbind(fx->s, FX_CTX(&admin), made.id, "000.00.00.H14", false, &err), LT_ERULE);
	assert_int_equal(trail_of(fx, target, &t), LT_OK);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.last[1], "system.bind");
	assert_string_equal(t.who[1], "token 5 (Sở)");
	assert_string_equal(t.last[2], "system.unbind");
	assert_string_equal(t.last[3], "system.bind");
	assert_non_null(strstr(t.who[3], "via VXP"));
	/* Reading the trail is for an admin. */
	assert_int_equal(lt_audit_list(fx->s, &mgr, NULL, 0, 10, keep_entry, &t, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_audit_list(fx->s, &admin, NULL, 0, 0, keep_entry, &t, &err), LT_EINVAL);
}

/* Cutting a system off, a new token, a kept or a new secret. */
static void test_system_admin(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_principal admin = {.role = LT_ROLE_ADMIN, .name = "cli:test"},
			    mgr = {.role = LT_ROLE_MANAGER, .scope = "000.00.01.H14"},
			    top = {.role = LT_ROLE_MANAGER, .scope = "000.00.00.H14"};
	const char codes[][LT_CODE_BUFSZ] = {"000.00.01.H14", "000.00.00.H17"};
	struct lt_system_created made;
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&admin), "QLVB", codes, 2, fx->key, &made, &err), LT_OK);
	struct lt_principal p;
	bool changed = true;
	/* A manager whose subtree holds only some of its codes may not. */
	assert_int_equal(lt_system_set_disabled(fx->s, FX_CTX(&mgr), made.id, true, &changed, &err), LT_EFORBIDDEN);
	assert_false(changed);
	assert_int_equal(lt_system_set_disabled(fx->s, FX_CTX(&top), made.id, true, &changed, &err), LT_EFORBIDDEN);
	assert_int_equal(lt_system_set_disabled(fx->s, FX_CTX(&admin), made.id, true, &changed, &err), LT_OK);
	assert_true(changed);
	assert_int_equal(lt_token_authenticate(fx->s, made.token, &p, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "disabled"));
	assert_int_equal(lt_system_set_disabled(fx->s, FX_CTX(&admin), made.id, true, &changed, &err), LT_OK);
	assert_false(changed);
	assert_int_equal(lt_system_set_disabled(fx->s, FX_CTX(&admin), made.id, false, &changed, &err), LT_OK);
	assert_int_equal(lt_token_authenticate(fx->s, made.token, &p, &err), LT_OK);

	/* One code only, in the manager's subtree: it may. */
	const char one[][LT_CODE_BUFSZ] = {"000.01.01.H14"};
	struct lt_system_created small;
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&admin), "QLVB phòng", one, 1, fx->key, &small, &err), LT_OK);
	char tok[LT_TOKEN_BUFSZ];
	int revoked = -1;
	assert_int_equal(lt_system_rotate_token(fx->s, FX_CTX(&mgr), small.id, tok, &revoked, &err), LT_OK);
	assert_int_equal(revoked, 1);
	assert_int_equal(lt_token_authenticate(fx->s, small.token, &p, &err), LT_EAUTH);
	assert_int_equal(lt_token_authenticate(fx->s, tok, &p, &err), LT_OK);
	assert_int_equal(p.system_id, small.id);

	char secret[LT_TOKEN_BUFSZ], now[LT_TOKEN_BUFSZ];
	assert_int_equal(lt_system_set_secret(fx->s, FX_CTX(&mgr), small.id, fx->key, "short", secret, &err),
			 LT_EINVAL);
	assert_int_equal(
		lt_system_set_secret(fx->s, FX_CTX(&mgr), small.id, fx->key, "has a space in it!", secret, &err),
		LT_EINVAL);
	assert_int_equal(lt_system_secret(fx->s, small.id, fx->key, now, &err), LT_OK);
	assert_string_equal(now, small.vxp_secret);
	assert_int_equal(
		lt_system_set_secret(fx->s, FX_CTX(&mgr), small.id, fx->key, "the-secret-it-already-has", secret, &err),
		LT_OK);
	assert_int_equal(lt_system_secret(fx->s, small.id, fx->key, now, &err), LT_OK);
	assert_string_equal(now, "the-secret-it-already-has");
	assert_int_equal(lt_system_set_secret(fx->s, FX_CTX(&admin), small.id, fx->key, NULL, secret, &err), LT_OK);
	assert_int_equal(strncmp(secret, "vxp_", 4), 0);
	assert_int_equal(lt_system_secret(fx->s, small.id, fx->key, now, &err), LT_OK);
	assert_string_equal(now, secret);

	struct trail t;
	char target[64];
	snprintf(target, sizeof target, "system:%lld", (long long)small.id);
	assert_int_equal(trail_of(fx, target, &t), LT_OK);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.last[1], "system.rotate_token");
	assert_string_equal(t.last[2], "system.set_secret");
	assert_string_equal(t.last[3], "system.rotate_secret");
	snprintf(target, sizeof target, "system:%lld", (long long)made.id);
	assert_int_equal(trail_of(fx, target, &t), LT_OK);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.last[1], "system.disable");
	assert_string_equal(t.last[2], "system.enable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_federation),
		cmocka_unit_test_setup_teardown(test_seal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_systems_follow_their_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_cache, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
