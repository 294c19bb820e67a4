/* The SQLite store's connection pool: reads nested inside another read's
 * callback (lineage inside a list, a trace inside an inbox) never wait for
 * the pool, so threads that each hold a reader and ask for one more cannot
 * starve each other, however many there are. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "conformance_exchange.h"
#include "conformance_feed.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lienthong/store.h"
#include "store/sqlite/sqlite_store.h"

struct fx {
	char dir[64];
	struct lt_store *s;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "store");
	char uri[128];
	snprintf(uri, sizeof uri, "%s/t.db", fx->dir);
	struct lt_err err = {0};
	if (lt_store_open(&fx->s, uri, &err) != LT_OK)
		fail_msg("open: %s", err.msg);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	lt_store_close(fx->s);
	fixture_rmrf(fx->dir);
	free(fx);
	return 0;
}

/* One thread nests more reads than the pool has connections: every one is
 * served, the ones past the pool by connections of their own, and all go
 * back (the pool is whole again afterwards). */
static void test_nested_reads_past_the_pool(void **state)
{
	struct fx *fx = *state;
	struct lt__sq_store *st = lt__sq(fx->s);
	struct lt_err err = {0};
	enum { N = LT__SQ_READERS + 4 };
	struct lt__sq_conn *held[N];
	for (int i = 0; i < N; i++) {
		held[i] = lt__sq_acquire(st, false, &err);
		if (!held[i])
			fail_msg("read %d: %s", i, err.msg);
		/* Each one really reads. */
		sqlite3_stmt *q = lt__sq_stmt(held[i], "SELECT count(*) FROM sqlite_master", &err);
		assert_non_null(q);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	}
	for (int i = N - 1; i >= 0; i--)
		lt__sq_release(st, held[i]);
	for (int i = 0; i < LT__SQ_READERS; i++)
		assert_false(st->reader_busy[i]);
}

struct worker {
	struct lt__sq_store *st;
	pthread_barrier_t *all_hold_one;
	int ok;
};

static void *nest(void *arg)
{
	struct worker *w = arg;
	struct lt_err err = {0};
	struct lt__sq_conn *outer = lt__sq_acquire(w->st, false, &err);
	pthread_barrier_wait(w->all_hold_one);
	/* Every pooled reader is held now; before the fix this waited forever. */
	struct lt__sq_conn *inner = outer ? lt__sq_acquire(w->st, false, &err) : NULL;
	w->ok = outer && inner;
	lt__sq_release(w->st, inner);
	lt__sq_release(w->st, outer);
	return NULL;
}

static void test_threads_holding_every_reader_nest(void **state)
{
	struct fx *fx = *state;
	enum { T = LT__SQ_READERS };
	pthread_t th[T];
	struct worker w[T];
	pthread_barrier_t b;
	assert_int_equal(pthread_barrier_init(&b, NULL, T), 0);
	for (int i = 0; i < T; i++) {
		w[i] = (struct worker){lt__sq(fx->s), &b, 0};
		assert_int_equal(pthread_create(&th[i], NULL, nest, &w[i]), 0);
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	for (int i = 0; i < T; i++) {
		if (pthread_timedjoin_np(th[i], NULL, &until) != 0)
			fail_msg("thread %d is still waiting for a reader: the pool deadlocked", i);
		assert_true(w[i].ok);
	}
	pthread_barrier_destroy(&b);
}

/* Five handles on one SQLite file, as five processes would open it: four
 * write the event log at once while the fifth follows the feed. */
static void test_feed_order_with_concurrent_writers(void **state)
{
	struct fx *fx = *state;
	enum { N = 5 };
	struct lt_store *h[N];
	char uri[128];
	snprintf(uri, sizeof uri, "%s/t.db", fx->dir);
	struct lt_err err = {0};
	h[0] = fx->s;
	for (int i = 1; i < N; i++)
		if (lt_store_open(&h[i], uri, &err) != LT_OK)
			fail_msg("open %d: %s", i, err.msg);
	conformance_feed_concurrent_writers(h, N);
	for (int i = 1; i < N; i++)
		lt_store_close(h[i]);
}

/* An event appended outside a transaction is a transaction of its own: it
 * takes the next seq and is read at once. */
static void test_event_outside_a_transaction_is_its_own(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_event ev = {.kind = "update",
			      .code = "000.00.01.H47",
			      .at = "2026-12-07T12:00:00Z",
			      .effective = "2026-12-07",
			      .data = "{}"};
	assert_int_equal(lt_store_event_append(fx->s, &ev, &err), LT_OK);
	assert_int_equal(ev.seq, 1);
	assert_int_equal(lt_store_event_append(fx->s, &ev, &err), LT_OK);
	assert_int_equal(ev.seq, 2);
	int64_t last = -1;
	assert_int_equal(lt_store_last_seq(fx->s, &last, &err), LT_OK);
	assert_int_equal(last, 2);
}

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put_unit(struct lt_store *s, const char *code, const char *name)
{
	struct lt_unit u = {.level = 1, .status = LT_UNIT_ACTIVE, .version = 1, .valid_from = "2020-07-22"};
	snprintf(u.code, sizeof u.code, "%s", code);
	snprintf(u.name, sizeof u.name, "%s", name);
	struct lt_err err = {0};
	assert_int_equal(lt_store_begin(s, &err), LT_OK);
	assert_int_equal(lt_store_unit_put(s, &u, &err), LT_OK);
	assert_int_equal(lt_store_commit(s, &err), LT_OK);
}

static int count_unit(void *ctx, const struct lt_unit *u)
{
	(void)u;
	(*(int *)ctx)++;
	return 0;
}

/* The store makes the cursors and reads them back: a page's next cursor
 * resumes after it, and text it did not make is refused, whatever the
 * caller built it from. */
static void test_cursors_are_the_stores(void **state)
{
	struct fx *fx = *state;
	put_unit(fx->s, "000.00.00.H14", "Ủy ban nhân dân tỉnh Cao Bằng");
	put_unit(fx->s, "000.00.00.H17", "Ủy ban nhân dân thành phố Đà Nẵng");
	put_unit(fx->s, "000.00.00.H47", "Ủy ban nhân dân tỉnh Quảng Nam");
	struct lt_err err = {0};
	char next[LT_CURSOR_BUFSZ];
	const char *folds[] = {NULL, "uy ban"};
	for (int k = 0; k < 2; k++) {
		int n = 0, pages = 0;
		char cursor[LT_CURSOR_BUFSZ] = "";
		do {
			struct lt_search_query q = {.text_fold = folds[k],
						    .status = LT_FILTER_ALL,
						    .limit = 2,
						    .cursor = cursor[0] ? cursor : NULL};
			assert_int_equal(lt_store_search(fx->s, &q, count_unit, &n, next, &err), LT_OK);
			assert_true(strlen(next) < LT_CURSOR_BUFSZ);
			for (const char *p = next; *p; p++)
				assert_true(*p > ' ' && *p < 127);
			memcpy(cursor, next, sizeof cursor);
		} while (next[0] && ++pages < 10);
		assert_int_equal(n, 3);
	}
	const char *bad[] = {
		"@", "@0", "@12x", "h14", "H14 ", "000.00.00.H14'--", "@-3", "@+3", "@ 3", "@99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		for (int k = 0; k < 2; k++) {
			int n = 0;
			struct lt_search_query q = {
				.text_fold = folds[k], .status = LT_FILTER_ALL, .limit = 2, .cursor = bad[i]};
			if (lt_store_search(fx->s, &q, count_unit, &n, next, &err) != LT_EINVAL)
				fail_msg("cursor '%s' (%s search) was taken", bad[i], k ? "name" : "code");
			assert_int_equal(n, 0);
		}
	/* A name search's cursor is not a code search's, nor the reverse. */
	int n = 0;
	struct lt_search_query by_code = {.status = LT_FILTER_ALL, .limit = 2, .cursor = "@1"};
	assert_int_equal(lt_store_search(fx->s, &by_code, count_unit, &n, next, &err), LT_EINVAL);
	struct lt_search_query by_name = {.text_fold = "uy", .status = LT_FILTER_ALL, .limit = 2, .cursor = "H14"};
	assert_int_equal(lt_store_search(fx->s, &by_name, count_unit, &n, next, &err), LT_EINVAL);
}

/* Another handle's commit (another process, as the CLI beside the daemon)
 * changes this handle's generation within the bound the store states. */
static void test_generation_follows_another_writer_within_its_bound(void **state)
{
	struct fx *fx = *state;
	char uri[128];
	snprintf(uri, sizeof uri, "%s/t.db", fx->dir);
	struct lt_store *other;
	struct lt_err err = {0};
	assert_int_equal(lt_store_open(&other, uri, &err), LT_OK);
	int bound = lt_store_notify_bound_ms(fx->s);
	assert_true(bound > 0 && bound <= 1000);
	uint64_t g0 = lt_store_generation(fx->s);
	usleep((useconds_t)(bound + 10) * 1000); /* settled: no change pending */
	assert_int_equal(lt_store_generation(fx->s), g0);
	put_unit(other, "000.00.00.H14", "Ủy ban nhân dân tỉnh Cao Bằng");
	int64_t t0 = ms_now(), seen = -1;
	while (ms_now() - t0 < 5000) {
		if (lt_store_generation(fx->s) != g0) {
			seen = ms_now() - t0;
			break;
		}
		usleep(1000);
	}
	lt_store_close(other);
	assert_true(seen >= 0);
	/* The bound, with room for a loaded machine's scheduling. */
	if (seen > bound + 250)
		fail_msg("seen after %lld ms; the store states %d ms", (long long)seen, bound);
}

/* The SQLite queries apply the delivery-state rules of exchange.h. */
static void test_exchange_state_rules(void **state)
{
	struct fx *fx = *state;
	conformance_exchange_state_rules(fx->s);
}

/* The writer's page cache is the configured size (db_cache_mib), not
 * SQLite's or a fixed one: the daemon's memory is bounded by its settings. */
static void test_writer_cache_is_configured(void **state)
{
	struct fx *fx = *state;
	char uri[128];
	snprintf(uri, sizeof uri, "%s/c.db", fx->dir);
	struct lt_err err = {0};
	for (int mib = 8; mib <= 16; mib += 8) {
		lt_store_set_cache_mib(mib);
		struct lt_store *s;
		if (lt_store_open(&s, uri, &err) != LT_OK)
			fail_msg("open: %s", err.msg);
		struct lt__sq_store *st = lt__sq(s);
		struct lt__sq_conn *w = lt__sq_acquire(st, true, &err);
		assert_non_null(w);
		sqlite3_stmt *q = lt__sq_stmt(w, "PRAGMA cache_size", &err);
		assert_non_null(q);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), -mib * 1024);
		sqlite3_reset(q);
		lt__sq_release(st, w);
		lt_store_close(s);
	}
	lt_store_set_cache_mib(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_feed_order_with_concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_outside_a_transaction_is_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursors_are_the_stores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exchange_state_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_follows_another_writer_within_its_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nested_reads_past_the_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_holding_every_reader_nest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_cache_is_configured, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
