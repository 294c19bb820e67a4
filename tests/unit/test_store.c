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
#include <sqlite3.h>
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

static void sq_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%.200s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

/* Every row of a query, every column, as one text. */
static char *sq_dump(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	out[0] = '\0';
	while (sqlite3_step(q) == SQLITE_ROW)
		for (int i = 0; i < sqlite3_column_count(q); i++) {
			const char *v = (const char *)sqlite3_column_text(q, i);
			size_t n = strlen(v ? v : "NULL") + 2;
			while (len + n + 1 > cap)
				assert_non_null(out = realloc(out, cap *= 2));
			len += (size_t)snprintf(out + len, cap - len, "%s%c", v ? v : "NULL",
						i + 1 < sqlite3_column_count(q) ? '|' : '\n');
		}
	sqlite3_finalize(q);
	return out;
}

/* The searches the check compares: words and word prefixes of the names,
 * through the full-text index the migration keeps, by rowid. */
static char *fts_rows(sqlite3 *db)
{
	return sq_dump(db, "SELECT 'noi', rowid FROM units_fts WHERE units_fts MATCH 'noi' UNION ALL "
			   "SELECT 'ph*', rowid FROM units_fts WHERE units_fts MATCH 'ph*' UNION ALL "
			   "SELECT 'so tu', rowid FROM units_fts WHERE units_fts MATCH 'so tu' ORDER BY 1, 2");
}

/* The migration that makes the units' code key a named unique index
 * (units_code), on a populated database: every row keeps its rowid and
 * values, every full-text match stays, look-ups by code go through an
 * index, and the triggers and upserts work on the new table. Found by what
 * it creates, not by its number. */
static void test_units_code_migration_keeps_rows_and_search(void **state)
{
	(void)state;
	char dir[64], uri[128];
	fixture_tmpdir(dir, sizeof dir, "migrate");
	snprintf(uri, sizeof uri, "%s/t.db", dir);
	int mv = 0;
	for (int v = 1; lt__sqlite_migration(v); v++)
		if (strstr(lt__sqlite_migration(v), "CREATE UNIQUE INDEX units_code ON units(code)"))
			mv = v;
	assert_true(mv > 1);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(uri, &db), SQLITE_OK);
	sq_ok(db, "CREATE TABLE schema_version (version INTEGER NOT NULL)");
	for (int v = 1; v < mv; v++) {
		char sql[64];
		sq_ok(db, lt__sqlite_migration(v));
		snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d)", v);
		sq_ok(db, sql);
	}
	/* Rowids out of code order, with gaps, as years of issues and closures
	 * leave them. */
	static const char *const words[] = {"so noi vu", "phong tu phap", "so tu phap", "phuong an", "truong hoc"};
	sq_ok(db, "BEGIN");
	for (int i = 0; i < 400; i++) {
		int n = (i * 37) % 400;
		char code[LT_CODE_BUFSZ], rev[LT_CODE_BUFSZ], sql[512];
		snprintf(code, sizeof code, "000.%02d.%02d.H14", n / 90 + 1, n % 90 + 1);
		snprintf(sql, sizeof sql,
			 "INSERT INTO units (code, sort_key, parent, level, name, name_fold, status, valid_from, "
			 "version)"
			 " VALUES ('%s', '%s', '000.00.00.H14', 3, 'Đơn vị %d', '%s %d', %d, '2020-01-01', 1)",
			 code, lt_code_rev(code, rev), i, words[i % 5], i, i % 9 == 0);
		sq_ok(db, sql);
	}
	sq_ok(db, "DELETE FROM units WHERE rowid % 7 = 3");
	sq_ok(db, "COMMIT");
	char *rows = sq_dump(db, "SELECT rowid, * FROM units ORDER BY rowid");
	char *found = fts_rows(db);
	sqlite3_close(db);

	struct lt_store *s;
	struct lt_err err = {0};
	if (lt_store_open(&s, uri, &err) != LT_OK)
		fail_msg("open: %s", err.msg);
	/* The store's own name search, and an upsert naming the new index. */
	int hits = 0;
	struct lt_search_query q = {.text_fold = "phuong", .status = LT_FILTER_ALL, .limit = 1000};
	char next[LT_CURSOR_BUFSZ];
	assert_int_equal(lt_store_search(s, &q, count_unit, &hits, next, &err), LT_OK);
	assert_int_equal(hits, 400 / 5 - 400 / 5 / 7);
	lt_store_close(s);

	assert_int_equal(sqlite3_open(uri, &db), SQLITE_OK);
	char *rows2 = sq_dump(db, "SELECT rowid, * FROM units ORDER BY rowid");
	char *found2 = fts_rows(db);
	assert_string_equal(rows2, rows);
	assert_string_equal(found2, found);
	assert_true(strlen(found) > 100);
	char *check = sq_dump(db, "PRAGMA integrity_check");
	assert_string_equal(check, "ok\n");
	sq_ok(db, "INSERT INTO units_fts(units_fts, rank) VALUES ('integrity-check', 1)");
	/* Look-ups by code, as the stores run them, search an index. */
	static const char *const by_code[] = {
		"SELECT * FROM units WHERE code = ?1",
		"SELECT p.code FROM probe_units p JOIN units u ON u.code = p.code",
		"SELECT * FROM events WHERE code = ?1 AND effective <= ?2 ORDER BY effective DESC, seq DESC LIMIT 1",
	};
	for (size_t i = 0; i < sizeof by_code / sizeof by_code[0]; i++) {
		char sql[256];
		snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", by_code[i]);
		char *plan = sq_dump(db, sql);
		if (!strstr(plan, "USING INDEX units_code") && !strstr(plan, "USING COVERING INDEX units_code") &&
		    !strstr(plan, "USING INDEX events_code"))
			fail_msg("%s has no index by code: %s", by_code[i], plan);
		free(plan);
	}
	/* The triggers came back: a new row is found by its name, a renamed one
	 * by its new name only. */
	sq_ok(db, "INSERT INTO units (code, sort_key, level, name, name_fold, status, valid_from, version)"
		  " VALUES ('000.99.99.H14', 'H14.99.99.000', 3, 'Mới', 'zebra moi', 0, '2020-01-01', 1)");
	sq_ok(db, "UPDATE units SET name_fold = 'ngua van' WHERE code = '000.01.02.H14'");
	char *z = sq_dump(db, "SELECT count(*) FROM units_fts WHERE units_fts MATCH 'zebra' UNION ALL "
			      "SELECT count(*) FROM units_fts WHERE units_fts MATCH 'ngua'");
	assert_string_equal(z, "1\n1\n");
	char *dup = NULL;
	assert_int_not_equal(sqlite3_exec(db,
					  "INSERT INTO units (code, sort_key, level, name, name_fold, status,"
					  " valid_from, version) VALUES ('000.99.99.H14', 'x', 3, 'a', 'a', 0, '', 1)",
					  NULL, NULL, &dup),
			     SQLITE_OK);
	assert_non_null(strstr(dup, "units.code"));
	sqlite3_free(dup);
	sqlite3_close(db);

	assert_int_equal(lt_store_open(&s, uri, &err), LT_OK);
	struct lt_unit u;
	assert_int_equal(lt_store_unit_get(s, "000.99.99.H14", &u, &err), LT_OK);
	snprintf(u.name, sizeof u.name, "Mới (sửa)");
	assert_int_equal(lt_store_unit_put(s, &u, &err), LT_OK);
	assert_int_equal(lt_store_unit_get(s, "000.99.99.H14", &u, &err), LT_OK);
	assert_string_equal(u.name, "Mới (sửa)");
	lt_store_close(s);
	free(rows), free(rows2), free(found), free(found2), free(check), free(z);
	fixture_rmrf(dir);
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
		cmocka_unit_test(test_units_code_migration_keeps_rows_and_search),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
