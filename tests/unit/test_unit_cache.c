/* The daemon's reply cache of GET /v1/units/{code} (src/daemon/unit_cache.c):
 * two codes that hash to the same slot both stay (a miss costs three
 * database round trips on PostgreSQL), a reply holds for its generation
 * only, an older reply never replaces a newer one, and a full cache still
 * keeps what was put last. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/unit_cache.h"

static const int OWNER = 0; /* the registry a reply was read from: any address */

static void put(struct unit_cache *c, const char *code, uint64_t gen, const char *body)
{
	unit_cache_put(c, &OWNER, code, gen, "\"v1\"", body, strlen(body) + 1);
}

/* The reply cached for code at gen, or NULL. */
static char *get(struct unit_cache *c, const char *code, uint64_t gen)
{
	char etag[48], *body = NULL;
	size_t len = 0;
	if (!unit_cache_get(c, &OWNER, code, gen, etag, &body, &len))
		return NULL;
	assert_string_equal(etag, "\"v1\"");
	assert_int_equal(len, strlen(body) + 1);
	return body;
}

static void expect(struct unit_cache *c, const char *code, uint64_t gen, const char *want)
{
	char *body = get(c, code, gen);
	if (!want) {
		if (body)
			fail_msg("%s at generation %llu: a hit (%s), expected a miss", code, (unsigned long long)gen,
				 body);
		return;
	}
	if (!body)
		fail_msg("%s at generation %llu: a miss, expected %s", code, (unsigned long long)gen, want);
	assert_string_equal(body, want);
	free(body);
}

/* Pairs of codes whose first slot in a cache of 64 is the same (FNV-1a of
 * the code, modulo 64): direct-mapped, each evicted the other. */
static const char *const SAME_SLOT[][2] = {
	{"000.00.01.H14", "000.00.55.H17"}, {"000.00.03.H14", "000.00.40.H17"}, {"000.00.04.H14", "000.00.58.H17"},
	{"000.00.05.H14", "000.00.20.H17"}, {"000.00.06.H14", "000.00.52.H17"},
};

static void test_two_codes_of_one_slot_both_stay(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof SAME_SLOT / sizeof SAME_SLOT[0]; i++) {
		struct unit_cache *c = unit_cache_new(64);
		assert_non_null(c);
		put(c, SAME_SLOT[i][0], 1, "A");
		put(c, SAME_SLOT[i][1], 1, "B");
		expect(c, SAME_SLOT[i][0], 1, "A");
		expect(c, SAME_SLOT[i][1], 1, "B");
		unit_cache_free(c);
	}
	/* And in a cache of two slots, any two codes. */
	struct unit_cache *c = unit_cache_new(2);
	for (int i = 1; i <= 20; i++) {
		char a[32], b[32];
		snprintf(a, sizeof a, "000.00.%02d.H14", i);
		snprintf(b, sizeof b, "000.00.%02d.H14", 40 + i);
		put(c, a, (uint64_t)i, "A");
		put(c, b, (uint64_t)i, "B");
		expect(c, a, (uint64_t)i, "A");
		expect(c, b, (uint64_t)i, "B");
	}
	unit_cache_free(c);
}

static void test_generations(void **state)
{
	(void)state;
	struct unit_cache *c = unit_cache_new(64);
	put(c, "000.00.05.H14", 1, "one");
	expect(c, "000.00.05.H14", 1, "one");
	expect(c, "000.00.05.H14", 2, NULL); /* the registry changed since */
	put(c, "000.00.05.H14", 3, "three");
	put(c, "000.00.05.H14", 2, "two"); /* a slow reader's older reply */
	expect(c, "000.00.05.H14", 3, "three");
	expect(c, "000.00.06.H14", 3, NULL);
	unit_cache_free(c);
}

static void test_full_cache_keeps_the_last(void **state)
{
	(void)state;
	struct unit_cache *c = unit_cache_new(4);
	char code[32], body[32];
	for (int i = 1; i <= 50; i++) {
		snprintf(code, sizeof code, "000.00.%02d.H14", i);
		snprintf(body, sizeof body, "unit %d", i);
		put(c, code, 7, body);
		expect(c, code, 7, body);
	}
	unit_cache_free(c);
	/* No cache (lookup_cache_entries = 0): every look-up misses. */
	assert_null(unit_cache_new(0));
	put(NULL, "000.00.05.H14", 1, "x");
	expect(NULL, "000.00.05.H14", 1, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_codes_of_one_slot_both_stay),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_full_cache_keeps_the_last),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
