/* The catalogue signing key (lienthong/catalogue.h): made once in data_dir
 * and read back the same; a body it signs verifies with its public key, and
 * a changed byte, a missing or malformed header and another registry's key
 * are each refused with the reason a mirror's health shows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <sys/stat.h>

#include "lienthong/catalogue.h"

static const char body[] = "{\"items\":[{\"seq\":1,\"code\":\"000.00.01.H17\"}],\"last_seq\":1}\n";

static struct lt_catkey *open_in(const char *dir, bool create)
{
	struct lt_catkey *k = NULL;
	struct lt_err err = {0};
	if (lt_catkey_open(dir, create, &k, &err) != LT_OK)
		fail_msg("opening the key in %s: %s", dir, err.msg);
	return k;
}

static void test_key_made_once_and_private(void **state)
{
	(void)state;
	char dir[64], path[128];
	fixture_tmpdir(dir, sizeof dir, "catkey");
	struct lt_catkey *none = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_catkey_open(dir, false, &none, &err), LT_ENOTFOUND);
	assert_null(none);
	struct lt_catkey *a = open_in(dir, true), *b = open_in(dir, true), *c = open_in(dir, false);
	char pa[LT_CATKEY_PUB_BUFSZ], pb[LT_CATKEY_PUB_BUFSZ], pc[LT_CATKEY_PUB_BUFSZ];
	char ia[LT_CATKEY_ID_BUFSZ], ib[LT_CATKEY_ID_BUFSZ], ic[LT_CATKEY_ID_BUFSZ];
	lt_catkey_public(a, pa, ia);
	lt_catkey_public(b, pb, ib);
	lt_catkey_public(c, pc, ic);
	assert_string_equal(pa, pb);
	assert_string_equal(pa, pc);
	assert_string_equal(ia, ic);
	assert_int_equal(strlen(pa), 8 + 44);
	assert_int_equal(strncmp(pa, "ed25519:", 8), 0);
	assert_int_equal(strlen(ia), 16);
	char parsed[LT_CATKEY_ID_BUFSZ];
	assert_int_equal(lt_catkey_parse_public(pa, parsed, &err), LT_OK);
	assert_string_equal(parsed, ia);
	struct stat st;
	snprintf(path, sizeof path, "%s/catalogue.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	lt_catkey_free(a);
	lt_catkey_free(b);
	lt_catkey_free(c);
	fixture_rmrf(dir);
}

static void test_sign_verify_and_refusals(void **state)
{
	(void)state;
	char d1[64], d2[64];
	fixture_tmpdir(d1, sizeof d1, "catkey1");
	fixture_tmpdir(d2, sizeof d2, "catkey2");
	struct lt_catkey *mine = open_in(d1, true), *other = open_in(d2, true);
	char pub[LT_CATKEY_PUB_BUFSZ], id[LT_CATKEY_ID_BUFSZ], opub[LT_CATKEY_PUB_BUFSZ], oid[LT_CATKEY_ID_BUFSZ];
	lt_catkey_public(mine, pub, id);
	lt_catkey_public(other, opub, oid);
	assert_string_not_equal(pub, opub);
	char sig[LT_CATKEY_SIG_BUFSZ], osig[LT_CATKEY_SIG_BUFSZ];
	struct lt_err err = {0};
	size_t n = strlen(body);
	assert_int_equal(lt_catkey_sign(mine, body, n, sig, &err), LT_OK);
	assert_int_equal(lt_catkey_sign(other, body, n, osig, &err), LT_OK);
	assert_non_null(strstr(sig, id));

	/* The good case, and the same signature again (Ed25519 is deterministic). */
	assert_int_equal(lt_catkey_verify(pub, body, n, sig, &err), LT_OK);
	char again[LT_CATKEY_SIG_BUFSZ];
	assert_int_equal(lt_catkey_sign(mine, body, n, again, &err), LT_OK);
	assert_string_equal(sig, again);

	/* One byte changed: altered. */
	char changed[sizeof body];
	memcpy(changed, body, sizeof body);
	changed[30] = changed[30] == '7' ? '4' : '7';
	assert_int_equal(lt_catkey_verify(pub, changed, n, sig, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "altered"));
	/* Shorter (a truncated reply): altered. */
	assert_int_equal(lt_catkey_verify(pub, body, n - 1, sig, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "altered"));

	/* No header, or not ours: unsigned. */
	assert_int_equal(lt_catkey_verify(pub, body, n, NULL, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "unsigned"));
	assert_int_equal(lt_catkey_verify(pub, body, n, "rsa whatever", &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "unsigned"));

	/* Another registry's key, claiming its own id: signed by another key. */
	assert_int_equal(lt_catkey_verify(pub, body, n, osig, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "another key"));
	assert_non_null(strstr(err.msg, oid));
	/* Another key's signature under our id: altered. */
	char forged[LT_CATKEY_SIG_BUFSZ];
	snprintf(forged, sizeof forged, "ed25519 keyid=%s %s", id, strstr(osig, "sig="));
	assert_int_equal(lt_catkey_verify(pub, body, n, forged, &err), LT_EAUTH);
	assert_non_null(strstr(err.msg, "altered"));
	/* A signature that is not 64 bytes. */
	snprintf(forged, sizeof forged, "ed25519 keyid=%s sig=AAAA", id);
	assert_int_equal(lt_catkey_verify(pub, body, n, forged, &err), LT_EAUTH);

	/* Bad public keys are the configuration's fault, said as such. */
	assert_int_equal(lt_catkey_verify("ed25519:short", body, n, sig, &err), LT_EINVAL);
	assert_int_equal(lt_catkey_verify("rsa:AAAA", body, n, sig, &err), LT_EINVAL);
	char pid[LT_CATKEY_ID_BUFSZ];
	assert_int_equal(lt_catkey_parse_public("", pid, &err), LT_EINVAL);

	lt_catkey_free(mine);
	lt_catkey_free(other);
	fixture_rmrf(d1);
	fixture_rmrf(d2);
}

static void test_damaged_key_file(void **state)
{
	(void)state;
	char dir[64], path[128];
	fixture_tmpdir(dir, sizeof dir, "catkey3");
	snprintf(path, sizeof path, "%s/catalogue.key", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	struct lt_catkey *k = NULL;
	struct lt_err err = {0};
	assert_int_equal(lt_catkey_open(dir, true, &k, &err), LT_EIO);
	assert_null(k);
	assert_non_null(strstr(err.msg, "Ed25519"));
	fixture_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_made_once_and_private),
		cmocka_unit_test(test_sign_verify_and_refusals),
		cmocka_unit_test(test_damaged_key_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
