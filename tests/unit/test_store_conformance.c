/* The store's contract, one set of cases run against every backend: SQLite
 * always, PostgreSQL when LT_TEST_PG holds the URI of a cluster to use
 * (ctest runs this binary a second time under scripts/pg-tmp, which starts
 * a throw-away cluster and sets it). Each case gets a fresh, empty store:
 * a new SQLite file, or a new PostgreSQL database on that cluster.
 *
 * Besides each operation on its own: two writers at once (the feed stays
 * gap-free and in commit order, and a reader storing the last seq never
 * skips one), the same document sent twice at once (one document), and a
 * name search giving the same units on both backends for the same data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <libpq-fe.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lienthong/exchange.h"
#include "lienthong/registry.h"
#include "lienthong/store.h"
#include "lienthong/store_catalogue.h"
#include "lienthong/store_campaigns.h"
#include "lienthong/store_requests.h"
#include "lienthong/text.h"

#include "conformance_xstats.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

enum backend { SQLITE, PG };

struct fx {
	enum backend b;
	char dir[64];
	char uri[1024];
	struct lt_store *s;
};

static const char *pg_base; /* LT_TEST_PG */
static int n_databases;

/* A URI for a new, empty database on the test cluster. */
static void pg_new_database(char *uri, size_t n)
{
	char name[64];
	snprintf(name, sizeof name, "ltc_%d_%d", (int)getpid(), ++n_databases);
	PGconn *pg = PQconnectdb(pg_base);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("connecting to %s: %s", pg_base, PQerrorMessage(pg));
	char sql[128];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	PGresult *r = PQexec(pg, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(pg));
	PQclear(r);
	PQfinish(pg);
	snprintf(uri, n, "%s%sdbname=%s", pg_base, strchr(pg_base, '?') ? "&" : "?", name);
}

static struct lt_store *open_store(const char *uri)
{
	struct lt_store *s = NULL;
	struct lt_err err = {0};
	if (lt_store_open(&s, uri, &err) != LT_OK)
		fail_msg("opening %s: %s", uri, err.msg);
	return s;
}

static int setup_backend(void **state, enum backend b)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->b = b;
	fixture_tmpdir(fx->dir, sizeof fx->dir, "conform");
	if (b == SQLITE)
		snprintf(fx->uri, sizeof fx->uri, "%s/t.db", fx->dir);
	else
		pg_new_database(fx->uri, sizeof fx->uri);
	fx->s = open_store(fx->uri);
	*state = fx;
	return 0;
}

static int setup_sqlite(void **state) { return setup_backend(state, SQLITE); }
static int setup_pg(void **state) { return setup_backend(state, PG); }

static int teardown(void **state)
{
	struct fx *fx = *state;
	lt_store_close(fx->s);
	fixture_rmrf(fx->dir);
	free(fx);
	return 0;
}

/* Runs call with &err as its last argument and checks its status. */
#define EXPECT(status, call_with_err)                                                                                  \
	do {                                                                                                           \
		int rc_ = (call_with_err);                                                                             \
		if (rc_ != (status))                                                                                   \
			fail_msg("%s gave %d (%s), expected %d", #call_with_err, rc_, err.msg, (status));              \
	} while (0)

static struct lt_unit unit(const char *code, const char *parent, int level, const char *name)
{
	struct lt_unit u;
	memset(&u, 0, sizeof u);
	snprintf(u.code, sizeof u.code, "%s", code);
	snprintf(u.parent, sizeof u.parent, "%s", parent);
	u.level = level;
	snprintf(u.name, sizeof u.name, "%s", name);
	snprintf(u.valid_from, sizeof u.valid_from, "2020-01-01");
	u.status = LT_UNIT_ACTIVE;
	u.version = 1;
	return u;
}

static void put(struct lt_store *s, struct lt_unit u)
{
	struct lt_err err = {0};
	EXPECT(LT_OK, lt_store_unit_put(s, &u, &err));
}

/* Codes seen by a callback, comma-separated. */
struct seen {
	char text[4096];
	int n;
	int64_t last_rowid;
	char next[LT_CURSOR_BUFSZ];
};

static void seen_add(struct seen *w, const char *s)
{
	size_t len = strlen(w->text);
	snprintf(w->text + len, sizeof w->text - len, "%s%s", w->n++ ? "," : "", s);
}

static int unit_cb(void *ctx, const struct lt_unit *u)
{
	struct seen *w = ctx;
	seen_add(w, u->code);
	return 0;
}

static int event_cb(void *ctx, const struct lt_event *ev)
{
	struct seen *w = ctx;
	char item[128];
	snprintf(item, sizeof item, "%lld:%s:%s", (long long)ev->seq, ev->kind, ev->code);
	seen_add(w, item);
	return 0;
}

/* A small tree: a province, two departments, a level-3 office, a commune,
 * with names that exercise folding, punctuation and word prefixes. */
#define P "000.00.00.H14"
#define D4 "000.00.04.H14"
#define D5 "000.00.05.H14"
#define O1 "000.01.05.H14"
#define C31 "000.00.31.H14"
#define Q "000.00.00.H47"

static void tree(struct lt_store *s)
{
	put(s, unit(P, "", 1, "Ủy ban nhân dân tỉnh Cao Bằng"));
	put(s, unit(D4, P, 2, "Sở Tư pháp tỉnh Cao Bằng"));
	put(s, unit(D5, P, 2, "Sở Y tế – Cao Bằng"));
	put(s, unit(O1, D5, 3, "Bệnh viện Đa khoa (tỉnh) Cao Bằng"));
	put(s, unit(C31, P, 2, "UBND thành phố Cao Bằng"));
	put(s, unit(Q, "", 1, "Ủy ban nhân dân tỉnh Quảng Nam"));
}

static void test_units(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	tree(fx->s);
	struct lt_unit u;
	EXPECT(LT_OK, lt_store_unit_get(fx->s, D5, &u, &err));
	assert_string_equal(u.name, "Sở Y tế – Cao Bằng");
	assert_string_equal(u.parent, P);
	assert_int_equal(u.level, 2);
	/* A rewrite keeps the row (and its place in name-search order). */
	struct lt_unit v = unit(D5, P, 2, "Sở Y tế tỉnh Cao Bằng");
	v.status = LT_UNIT_CLOSED;
	v.version = 2;
	snprintf(v.contact.email, sizeof v.contact.email, "syt@caobang.gov.vn");
	put(fx->s, v);
	EXPECT(LT_OK, lt_store_unit_get(fx->s, D5, &u, &err));
	assert_int_equal(u.status, LT_UNIT_CLOSED);
	assert_int_equal(u.version, 2);
	assert_string_equal(u.contact.email, "syt@caobang.gov.vn");
	EXPECT(LT_ENOTFOUND, lt_store_unit_get(fx->s, "000.00.99.H14", &u, &err));
	assert_non_null(strstr(err.msg, "000.00.99.H14"));

	struct seen w = {0};
	EXPECT(LT_OK, lt_store_children(fx->s, P, LT_FILTER_ALL, unit_cb, &w, &err));
	assert_string_equal(w.text, D4 "," D5 "," C31);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_children(fx->s, P, LT_FILTER_ACTIVE, unit_cb, &w, &err));
	assert_string_equal(w.text, D4 "," C31);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_children(fx->s, P, LT_FILTER_CLOSED, unit_cb, &w, &err));
	assert_string_equal(w.text, D5);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_subtree(fx->s, P, LT_FILTER_ALL, unit_cb, &w, &err));
	assert_string_equal(w.text, D4 "," D5 "," O1 "," C31);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_subtree(fx->s, D5, LT_FILTER_ALL, unit_cb, &w, &err));
	assert_string_equal(w.text, O1);

	unsigned *nums = NULL;
	size_t n = 0;
	EXPECT(LT_OK, lt_store_numbers_used(fx->s, P, &nums, &n, &err));
	assert_int_equal(n, 3);
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += nums[i];
	assert_int_equal(sum, 4 + 5 + 31);
	free(nums);
}

/* Runs a search and returns the codes it found. */
static struct seen search(struct lt_store *s, struct lt_search_query q)
{
	struct seen w = {0};
	struct lt_err err = {0};
	EXPECT(LT_OK, lt_store_search(s, &q, unit_cb, &w, w.next, &err));
	return w;
}

static struct lt_search_query words(const char *text)
{
	return (struct lt_search_query){.text_fold = text, .status = LT_FILTER_ALL, .limit = 50};
}

static void test_search(void **state)
{
	struct fx *fx = *state;
	tree(fx->s);
	/* Diacritics-insensitive words and prefixes, in row order. */
	assert_string_equal(search(fx->s, words("cao bang")).text, P "," D4 "," D5 "," O1 "," C31);
	assert_string_equal(search(fx->s, words("ca ba")).text, P "," D4 "," D5 "," O1 "," C31);
	assert_string_equal(search(fx->s, words("uy ban")).text, P "," Q);
	assert_string_equal(search(fx->s, words("bang cao")).text, P "," D4 "," D5 "," O1 "," C31);
	assert_string_equal(search(fx->s, words("tinh")).text, P "," D4 "," O1 "," Q);
	assert_string_equal(search(fx->s, words("da khoa")).text, O1);
	assert_string_equal(search(fx->s, words("ubnd")).text, C31);
	assert_string_equal(search(fx->s, words("ang")).text, ""); /* a word's inside is no prefix */
	assert_string_equal(search(fx->s, words("quang.nam")).text, Q);
	assert_string_equal(search(fx->s, words("y te")).text, D5);
	/* A word of punctuation alone finds nothing; beside a real word it is
	 * ignored. */
	assert_string_equal(search(fx->s, words("\xe2\x80\x93")).text, "");
	assert_string_equal(search(fx->s, words("y \xe2\x80\x93")).text, D5);
	/* Filters. */
	struct lt_search_query q = words("cao");
	q.parent = P;
	assert_string_equal(search(fx->s, q).text, D4 "," D5 "," C31);
	q = words("cao");
	q.under = D5;
	assert_string_equal(search(fx->s, q).text, O1);
	q = words("cao");
	q.level = 2;
	assert_string_equal(search(fx->s, q).text, D4 "," D5 "," C31);
	q = words("cao");
	q.status = LT_FILTER_CLOSED;
	assert_string_equal(search(fx->s, q).text, "");
	/* Pages by row number. */
	q = words("cao");
	q.limit = 2;
	struct seen page = search(fx->s, q);
	assert_string_equal(page.text, P "," D4);
	assert_true(page.next[0] == '@');
	q.cursor = page.next;
	assert_string_equal(search(fx->s, q).text, D5 "," O1);
	/* The rewrite of a unit keeps its place in that order. */
	put(fx->s, unit(P, "", 1, "Ủy ban nhân dân tỉnh Cao Bằng (mới)"));
	q.cursor = NULL;
	assert_string_equal(search(fx->s, q).text, P "," D4);
	q.cursor = "H14.05";
	struct seen bad = {0};
	struct lt_err err = {0};
	EXPECT(LT_EINVAL, lt_store_search(fx->s, &q, unit_cb, &bad, bad.next, &err));
	/* Without words: code prefixes and tree order, with its own cursor. */
	char rev[LT_CODE_BUFSZ];
	q = (struct lt_search_query){.code_rev = "H14.05", .status = LT_FILTER_ALL, .limit = 50};
	assert_string_equal(search(fx->s, q).text, D5 "," O1);
	q = (struct lt_search_query){.status = LT_FILTER_ALL, .level = 1, .limit = 50};
	assert_string_equal(search(fx->s, q).text, P "," Q);
	q = (struct lt_search_query){.status = LT_FILTER_ALL, .cursor = lt_code_rev(D5, rev), .limit = 2};
	assert_string_equal(search(fx->s, q).text, O1 "," C31);
	q = (struct lt_search_query){.text_fold = " . ", .status = LT_FILTER_ALL, .under = P, .limit = 50};
	assert_string_equal(search(fx->s, q).text, D4 "," D5 "," O1 "," C31);
}

static int code_count(const struct lt_codelist *l) { return (int)l->n; }

static void test_lineage_and_changes(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_change c = {0};
	snprintf(c.kind, sizeof c.kind, "merge");
	snprintf(c.effective, sizeof c.effective, "2025-07-01");
	snprintf(c.at, sizeof c.at, "2025-06-30T10:00:00Z");
	snprintf(c.actor, sizeof c.actor, "cli:test");
	snprintf(c.decision.number, sizeof c.decision.number, "1/QĐ");
	c.summary = "{\"n\":2}";
	EXPECT(LT_OK, lt_store_change_add(fx->s, &c, &err));
	assert_true(c.id > 0);
	int64_t first = c.id;
	c.id = 0; /* a new change: the store assigns the next id */
	EXPECT(LT_OK, lt_store_change_add(fx->s, &c, &err));
	assert_true(c.id > first);
	EXPECT(LT_OK, lt_store_lineage_add(fx->s, D4, C31, first, &err));
	EXPECT(LT_OK, lt_store_lineage_add(fx->s, D5, C31, first, &err));
	EXPECT(LT_OK, lt_store_lineage_add(fx->s, D5, C31, first, &err)); /* again: nothing new */
	struct lt_codelist l = {0};
	EXPECT(LT_OK, lt_store_predecessors(fx->s, C31, &l, &err));
	assert_int_equal(code_count(&l), 2);
	assert_string_equal(l.codes[0], D4);
	assert_string_equal(l.codes[1], D5);
	lt_codelist_free(&l);
	memset(&l, 0, sizeof l);
	EXPECT(LT_OK, lt_store_successors(fx->s, D5, &l, &err));
	assert_int_equal(code_count(&l), 1);
	assert_string_equal(l.codes[0], C31);
	lt_codelist_free(&l);
}

static int change_cb(void *ctx, const struct lt_change *c)
{
	struct seen *w = ctx;
	char item[256];
	snprintf(item, sizeof item, "%s/%s/%s/%s", c->kind, c->effective, c->decision.number, c->summary);
	seen_add(w, item);
	return 0;
}

static void test_changes_list(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_change c = {0};
	snprintf(c.kind, sizeof c.kind, "split");
	snprintf(c.effective, sizeof c.effective, "2025-07-01");
	snprintf(c.at, sizeof c.at, "2025-06-30T10:00:00Z");
	snprintf(c.decision.number, sizeof c.decision.number, "2/QĐ-UBND");
	EXPECT(LT_OK, lt_store_change_add(fx->s, &c, &err));
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_changes(fx->s, change_cb, &w, &err));
	assert_string_equal(w.text, "split/2025-07-01/2/QĐ-UBND/{}");
}

static struct lt_event event(const char *kind, const char *code, const char *parent, const char *effective,
			     const char *data)
{
	struct lt_event ev;
	memset(&ev, 0, sizeof ev);
	ev.change_id = 1;
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.code, sizeof ev.code, "%s", code);
	snprintf(ev.parent, sizeof ev.parent, "%s", parent);
	snprintf(ev.at, sizeof ev.at, "2026-01-01T00:00:00Z");
	snprintf(ev.effective, sizeof ev.effective, "%s", effective);
	ev.data = (char *)data;
	return ev;
}

static void append(struct lt_store *s, struct lt_event ev, int64_t want_seq)
{
	struct lt_err err = {0};
	EXPECT(LT_OK, lt_store_event_append(s, &ev, &err));
	assert_int_equal(ev.seq, want_seq);
}

static void test_events(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t last = -1;
	EXPECT(LT_OK, lt_store_last_seq(fx->s, &last, &err));
	assert_int_equal(last, 0);
	append(fx->s, event("issue", D4, P, "2020-01-01", "{\"v\":1}"), 1);
	append(fx->s, event("issue", D5, P, "2020-01-01", "{\"v\":1}"), 2);
	append(fx->s, event("update", D4, P, "2024-01-01", "{\"v\":2}"), 3);
	append(fx->s, event("issue", O1, D5, "2021-01-01", "{}"), 4);
	append(fx->s, event("issue", Q, "", "2020-01-01", "{}"), 5);
	EXPECT(LT_OK, lt_store_last_seq(fx->s, &last, &err));
	assert_int_equal(last, 5);

	struct seen w = {0};
	EXPECT(LT_OK, lt_store_events_for(fx->s, D4, event_cb, &w, &err));
	assert_string_equal(w.text, "1:issue:" D4 ",3:update:" D4);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_events_after(fx->s, 2, 2, event_cb, &w, &err));
	assert_string_equal(w.text, "3:update:" D4 ",4:issue:" O1);

	struct lt_event ev = {0};
	EXPECT(LT_OK, lt_store_event_asof(fx->s, D4, "2023-12-31", &ev, &err));
	assert_int_equal(ev.seq, 1);
	assert_string_equal(ev.data, "{\"v\":1}");
	lt_event_clear(&ev);
	EXPECT(LT_OK, lt_store_event_asof(fx->s, D4, "2024-01-01", &ev, &err));
	assert_int_equal(ev.seq, 3);
	lt_event_clear(&ev);
	EXPECT(LT_ENOTFOUND, lt_store_event_asof(fx->s, O1, "2020-06-01", &ev, &err));

	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_events_asof(fx->s, P, false, "2022-01-01", event_cb, &w, &err));
	assert_string_equal(w.text, "1:issue:" D4 ",2:issue:" D5);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_events_asof(fx->s, P, true, "2025-01-01", event_cb, &w, &err));
	assert_string_equal(w.text, "3:update:" D4 ",2:issue:" D5 ",4:issue:" O1);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_events_asof(fx->s, NULL, false, "2020-12-31", event_cb, &w, &err));
	assert_string_equal(w.text, "1:issue:" D4 ",2:issue:" D5 ",5:issue:" Q);
}

/* An event of a unit's state written by the store (the import's path) holds
 * the very text the registry's own JSON writer makes of the unit and actor,
 * whatever the values: quotes, backslashes, Vietnamese, a decision or none,
 * a date or none. */
static void test_event_of_a_unit(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit u[3];
	memset(u, 0, sizeof u);
	for (int i = 0; i < 3; i++) {
		snprintf(u[i].code, sizeof u[i].code, "%s", i == 0 ? D4 : i == 1 ? D5 : Q);
		snprintf(u[i].parent, sizeof u[i].parent, "%s", i == 2 ? "" : P);
		u[i].level = i == 2 ? 1 : 2;
		u[i].status = i == 1 ? LT_UNIT_CLOSED : LT_UNIT_ACTIVE;
		u[i].version = i + 1;
		snprintf(u[i].valid_from, sizeof u[i].valid_from, "2020-0%d-01", i + 1);
	}
	snprintf(u[0].name, sizeof u[0].name, "Sở \"Tư pháp\" \\ Cao Bằng / tỉnh");
	snprintf(u[0].contact.address, sizeof u[0].contact.address, "Số 1\tđường Hoàng Đình Giong");
	snprintf(u[0].contact.email, sizeof u[0].contact.email, "vanthu@example.gov.vn");
	snprintf(u[0].decision.number, sizeof u[0].decision.number, "20/2020/QĐ-TTg");
	snprintf(u[0].decision.issuer, sizeof u[0].decision.issuer, "Thủ tướng Chính phủ");
	snprintf(u[0].recorded, sizeof u[0].recorded, "2026-12-07");
	snprintf(u[1].name, sizeof u[1].name, "Phòng Nội vụ");
	snprintf(u[1].decision.date, sizeof u[1].decision.date, "2019-05-04");
	snprintf(u[1].valid_to, sizeof u[1].valid_to, "2025-07-01");
	snprintf(u[1].reorganized, sizeof u[1].reorganized, "2025-06-30");
	snprintf(u[2].name, sizeof u[2].name, "Ủy ban nhân dân tỉnh");
	for (int i = 0; i < 3; i++) {
		struct lt_event ev = event("import", u[i].code, u[i].parent, u[i].valid_from, NULL);
		EXPECT(LT_OK, lt_store_event_append_unit(fx->s, &ev, &u[i], i ? "cli:root" : "token:7 \"x\"", &err));
		assert_int_equal(ev.seq, i + 1);
		struct lt_event got = {0};
		EXPECT(LT_OK, lt_store_event_asof(fx->s, u[i].code, "9999-12-31", &got, &err));
		json_t *want = json_pack("{s:o,s:s}", "unit", lt_unit_to_json(&u[i], NULL, NULL), "actor",
					 i ? "cli:root" : "token:7 \"x\"");
		char *text = json_dumps(want, JSON_COMPACT);
		assert_string_equal(got.data, text);
		assert_string_equal(got.kind, "import");
		assert_string_equal(got.effective, u[i].valid_from);
		free(text);
		json_decref(want);
		lt_event_clear(&got);
	}
}

/* A rolled-back transaction leaves nothing, its event number included; a
 * part rolled back alone undoes only its own writes. */
static void test_transactions(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	uint64_t g0 = lt_store_generation(fx->s);
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	put(fx->s, unit(P, "", 1, "Tỉnh Cao Bằng"));
	append(fx->s, event("issue", P, "", "2020-01-01", "{}"), 1);
	struct lt_unit u;
	EXPECT(LT_OK, lt_store_unit_get(fx->s, P, &u, &err)); /* its own writes */
	lt_store_rollback(fx->s);
	EXPECT(LT_ENOTFOUND, lt_store_unit_get(fx->s, P, &u, &err));

	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	put(fx->s, unit(P, "", 1, "Tỉnh Cao Bằng"));
	append(fx->s, event("issue", P, "", "2020-01-01", "{}"), 1);
	EXPECT(LT_OK, lt_store_part(fx->s, LT_PART_BEGIN, &err));
	put(fx->s, unit(D4, P, 2, "Sở Tư pháp"));
	EXPECT(LT_OK, lt_store_part(fx->s, LT_PART_ROLLBACK, &err));
	EXPECT(LT_OK, lt_store_part(fx->s, LT_PART_BEGIN, &err));
	put(fx->s, unit(D5, P, 2, "Sở Y tế"));
	EXPECT(LT_OK, lt_store_part(fx->s, LT_PART_RELEASE, &err));
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	assert_true(lt_store_generation(fx->s) != g0);
	EXPECT(LT_OK, lt_store_unit_get(fx->s, P, &u, &err));
	EXPECT(LT_OK, lt_store_unit_get(fx->s, D5, &u, &err));
	EXPECT(LT_ENOTFOUND, lt_store_unit_get(fx->s, D4, &u, &err));
	/* A failed statement inside a part: the part rolls back, the rest
	 * commits. */
	struct lt_cert c = {0};
	snprintf(c.code, sizeof c.code, P);
	snprintf(c.fingerprint, sizeof c.fingerprint, "ab");
	c.pem = "pem";
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	EXPECT(LT_OK, lt_store_cert_add(fx->s, &c, &err));
	EXPECT(LT_OK, lt_store_part(fx->s, LT_PART_BEGIN, &err));
	EXPECT(LT_ECONFLICT, lt_store_cert_add(fx->s, &c, &err));
	EXPECT(LT_OK, lt_store_part(fx->s, LT_PART_ROLLBACK, &err));
	append(fx->s, event("update", P, "", "2020-01-01", "{}"), 2);
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	int64_t last;
	EXPECT(LT_OK, lt_store_last_seq(fx->s, &last, &err));
	assert_int_equal(last, 2);
	EXPECT(LT_OK, lt_store_integrity_check(fx->s, &err));
	EXPECT(LT_OK, lt_store_ping(fx->s, &err));
}

/* Another handle on the same database (another process, another node)
 * sees a commit's new generation within a bounded time. */
static void test_generation_across_handles(void **state)
{
	struct fx *fx = *state;
	struct lt_store *other = open_store(fx->uri);
	uint64_t g = lt_store_generation(fx->s);
	usleep(60 * 1000);
	g = lt_store_generation(fx->s);
	put(other, unit(P, "", 1, "Tỉnh Cao Bằng"));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long ms = 0;
	while (lt_store_generation(fx->s) == g && ms < 2000) {
		usleep(5 * 1000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	}
	assert_true(ms < 100);
	lt_store_close(other);
}

/* What a principal is read from (a token revoked, a system disabled or
 * enabled) moves the generation token caches are keyed by, for this
 * handle's commits and another handle's (a CLI beside the daemon, a second
 * node) alike, by the next lt_store_generation_now. In SQLite nothing else
 * moves it (a token made, this handle's reads); in PostgreSQL every call
 * does. */
static void test_access_changes_move_generation(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_system sys = {0};
	snprintf(sys.name, sizeof sys.name, "QLVB");
	snprintf(sys.created, sizeof sys.created, "2026-01-01T00:00:00Z");
	EXPECT(LT_OK, lt_store_system_add(fx->s, &sys, &err));
	struct lt_token t = {0};
	snprintf(t.hash, sizeof t.hash, "%064d", 7);
	snprintf(t.role, sizeof t.role, "system");
	t.system_id = sys.id;
	snprintf(t.created, sizeof t.created, "2026-01-01T00:00:00Z");
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	EXPECT(LT_OK, lt_store_token_add(fx->s, &t, &err));
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	uint64_t g = lt_store_generation_now(fx->s);
	if (fx->b == SQLITE)
		assert_int_equal(lt_store_generation_now(fx->s), g);
	else
		assert_true(lt_store_generation_now(fx->s) != g);
	g = lt_store_generation_now(fx->s);

	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	EXPECT(LT_OK, lt_store_system_disable(fx->s, sys.id, "2026-02-01T00:00:00Z", &err));
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	assert_true(lt_store_generation_now(fx->s) != g);

	struct lt_store *other = open_store(fx->uri);
	g = lt_store_generation_now(fx->s);
	EXPECT(LT_OK, lt_store_begin(other, &err));
	EXPECT(LT_OK, lt_store_system_disable(other, sys.id, "", &err)); /* enabled again */
	EXPECT(LT_OK, lt_store_commit(other, &err));
	assert_true(lt_store_generation_now(fx->s) != g);

	g = lt_store_generation_now(fx->s);
	EXPECT(LT_OK, lt_store_begin(other, &err));
	EXPECT(LT_OK, lt_store_token_revoke(other, t.id, "2026-03-01T00:00:00Z", &err));
	EXPECT(LT_OK, lt_store_commit(other, &err));
	assert_true(lt_store_generation_now(fx->s) != g);
	lt_store_close(other);
}

static int token_cb(void *ctx, const struct lt_token *t)
{
	struct seen *w = ctx;
	char item[256];
	snprintf(item, sizeof item, "%lld/%s/%s/%lld/%s", (long long)t->id, t->role, t->scope, (long long)t->system_id,
		 t->revoked);
	seen_add(w, item);
	return 0;
}

static int system_cb(void *ctx, const struct lt_system *s)
{
	struct seen *w = ctx;
	char item[256];
	snprintf(item, sizeof item, "%lld/%s/%s/%s", (long long)s->id, s->name, s->primary_code, s->disabled);
	seen_add(w, item);
	return 0;
}

static int audit_cb(void *ctx, const struct lt_audit *a)
{
	struct seen *w = ctx;
	char item[256];
	snprintf(item, sizeof item, "%s/%s/%s", a->action, a->target, a->detail);
	seen_add(w, item);
	w->last_rowid = a->id;
	return 0;
}

static void test_tokens_systems_audit(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_system sys = {0};
	snprintf(sys.name, sizeof sys.name, "QLVB Cao Bằng");
	snprintf(sys.created, sizeof sys.created, "2026-01-01T00:00:00Z");
	snprintf(sys.secret_sealed, sizeof sys.secret_sealed, "00ff");
	snprintf(sys.primary_code, sizeof sys.primary_code, D4);
	EXPECT(LT_OK, lt_store_system_add(fx->s, &sys, &err));
	assert_true(sys.id > 0);
	EXPECT(LT_OK, lt_store_system_code_add(fx->s, sys.id, D4, &err));
	EXPECT(LT_OK, lt_store_system_code_add(fx->s, sys.id, D5, &err));
	EXPECT(LT_OK, lt_store_system_code_add(fx->s, sys.id, D5, &err)); /* again: nothing new */
	struct lt_codelist l = {0};
	EXPECT(LT_OK, lt_store_system_codes(fx->s, sys.id, &l, &err));
	assert_int_equal(code_count(&l), 2);
	lt_codelist_free(&l);
	EXPECT(LT_OK, lt_store_system_code_remove(fx->s, sys.id, D5, &err));
	EXPECT(LT_ENOTFOUND, lt_store_system_code_remove(fx->s, sys.id, D5, &err));

	struct lt_token t = {0};
	snprintf(t.hash, sizeof t.hash, "%064d", 1);
	snprintf(t.role, sizeof t.role, "system");
	t.system_id = sys.id;
	snprintf(t.created, sizeof t.created, "2026-01-01T00:00:00Z");
	EXPECT(LT_OK, lt_store_token_add(fx->s, &t, &err));
	struct lt_token m = {0};
	snprintf(m.hash, sizeof m.hash, "%064d", 2);
	snprintf(m.role, sizeof m.role, "manager");
	snprintf(m.scope, sizeof m.scope, D4);
	snprintf(m.created, sizeof m.created, "2026-01-01T00:00:00Z");
	EXPECT(LT_OK, lt_store_token_add(fx->s, &m, &err));
	EXPECT(LT_ECONFLICT, lt_store_token_add(fx->s, &m, &err)); /* the same hash */
	struct lt_token found;
	EXPECT(LT_OK, lt_store_token_find(fx->s, m.hash, &found, &err));
	assert_int_equal(found.id, m.id);
	assert_int_equal(found.system_id, 0);
	assert_false(found.system_found);
	EXPECT(LT_ENOTFOUND, lt_store_token_find(fx->s, "nope", &found, &err));
	/* A system token is read with its system's state, in one look-up. */
	EXPECT(LT_OK, lt_store_token_find(fx->s, t.hash, &found, &err));
	assert_int_equal(found.system_id, sys.id);
	assert_true(found.system_found);
	assert_string_equal(found.system_disabled, "");

	/* The unit moved: its systems and managers follow it. */
	EXPECT(LT_OK, lt_store_system_rebind(fx->s, D4, "000.00.06.H14", &err));
	EXPECT(LT_OK, lt_store_system_get(fx->s, sys.id, &sys, &err));
	assert_string_equal(sys.primary_code, "000.00.06.H14");
	memset(&l, 0, sizeof l);
	EXPECT(LT_OK, lt_store_system_codes(fx->s, sys.id, &l, &err));
	assert_int_equal(code_count(&l), 1);
	assert_string_equal(l.codes[0], "000.00.06.H14");
	lt_codelist_free(&l);

	EXPECT(LT_OK, lt_store_system_disable(fx->s, sys.id, "2026-02-01T00:00:00Z", &err));
	EXPECT(LT_ENOTFOUND, lt_store_system_disable(fx->s, 999, "x", &err));
	EXPECT(LT_OK, lt_store_token_find(fx->s, t.hash, &found, &err));
	assert_true(found.system_found);
	assert_string_equal(found.system_disabled, "2026-02-01T00:00:00Z");
	EXPECT(LT_OK, lt_store_system_secret_set(fx->s, sys.id, "aa11", &err));
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_systems_by_primary(fx->s, "000.00.06.H14", system_cb, &w, &err));
	char want[256];
	snprintf(want, sizeof want, "%lld/QLVB Cao Bằng/000.00.06.H14/2026-02-01T00:00:00Z", (long long)sys.id);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_systems(fx->s, system_cb, &w, &err));
	assert_string_equal(w.text, want);
	EXPECT(LT_OK, lt_store_system_get(fx->s, sys.id, &sys, &err));
	assert_string_equal(sys.secret_sealed, "aa11");

	int n = -1;
	EXPECT(LT_OK, lt_store_system_tokens_revoke(fx->s, sys.id, "2026-03-01T00:00:00Z", &n, &err));
	assert_int_equal(n, 1);
	EXPECT(LT_ENOTFOUND, lt_store_token_revoke(fx->s, t.id, "2026-03-02T00:00:00Z", &err));
	EXPECT(LT_OK, lt_store_token_revoke(fx->s, m.id, "2026-03-02T00:00:00Z", &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_tokens(fx->s, token_cb, &w, &err));
	snprintf(want, sizeof want,
		 "%lld/system//%lld/2026-03-01T00:00:00Z,%lld/manager/000.00.06.H14/0/2026-03-02T00:00:00Z",
		 (long long)t.id, (long long)sys.id, (long long)m.id);
	assert_string_equal(w.text, want);

	struct lt_audit a = {0};
	snprintf(a.at, sizeof a.at, "2026-01-01T00:00:00Z");
	snprintf(a.who, sizeof a.who, "cli:test");
	snprintf(a.role, sizeof a.role, "admin");
	snprintf(a.action, sizeof a.action, "system.add");
	snprintf(a.target, sizeof a.target, "system:1");
	a.detail = "{\"name\":\"QLVB\"}";
	EXPECT(LT_OK, lt_store_audit_add(fx->s, &a, &err));
	snprintf(a.action, sizeof a.action, "token.revoke");
	snprintf(a.target, sizeof a.target, "token:2");
	a.detail = NULL;
	EXPECT(LT_OK, lt_store_audit_add(fx->s, &a, &err));
	snprintf(a.action, sizeof a.action, "system.disable");
	snprintf(a.target, sizeof a.target, "system:1");
	EXPECT(LT_OK, lt_store_audit_add(fx->s, &a, &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_audits(fx->s, "system:1", 0, 10, audit_cb, &w, &err));
	assert_string_equal(w.text, "system.add/system:1/{\"name\":\"QLVB\"},system.disable/system:1/{}");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_audits(fx->s, NULL, 0, 1, audit_cb, &w, &err));
	int64_t cursor = w.last_rowid;
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_audits(fx->s, "", cursor, 10, audit_cb, &w, &err));
	assert_string_equal(w.text, "token.revoke/token:2/{},system.disable/system:1/{}");
}

static int cert_cb(void *ctx, const struct lt_cert *c)
{
	struct seen *w = ctx;
	char item[256];
	snprintf(item, sizeof item, "%s/%s/%s/%s", c->fingerprint, c->subject, c->revoked, c->pem);
	seen_add(w, item);
	return 0;
}

static void test_certs(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_cert c = {0};
	snprintf(c.code, sizeof c.code, D4);
	snprintf(c.fingerprint, sizeof c.fingerprint, "aa");
	snprintf(c.subject, sizeof c.subject, "CN=Sở Tư pháp");
	snprintf(c.not_before, sizeof c.not_before, "2026-01-01");
	snprintf(c.not_after, sizeof c.not_after, "2027-01-01");
	snprintf(c.added, sizeof c.added, "2026-01-02T00:00:00Z");
	c.pem = "-----BEGIN CERTIFICATE-----";
	EXPECT(LT_OK, lt_store_cert_add(fx->s, &c, &err));
	int64_t first = c.id;
	EXPECT(LT_ECONFLICT, lt_store_cert_add(fx->s, &c, &err));
	assert_non_null(strstr(err.msg, "already bound"));
	snprintf(c.fingerprint, sizeof c.fingerprint, "bb");
	EXPECT(LT_OK, lt_store_cert_add(fx->s, &c, &err));
	EXPECT(LT_OK, lt_store_cert_revoke(fx->s, D4, first, "2026-05-01T00:00:00Z", &err));
	EXPECT(LT_ENOTFOUND, lt_store_cert_revoke(fx->s, D4, first, "2026-05-01T00:00:00Z", &err));
	EXPECT(LT_ENOTFOUND, lt_store_cert_revoke(fx->s, D5, c.id, "2026-05-01T00:00:00Z", &err));
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_certs(fx->s, D4, cert_cb, &w, &err));
	assert_string_equal(w.text, "aa/CN=Sở Tư pháp/2026-05-01T00:00:00Z/-----BEGIN CERTIFICATE-----,"
				    "bb/CN=Sở Tư pháp//-----BEGIN CERTIFICATE-----");
}

/* ---- the exchange ---- */

static int64_t add_system(struct lt_store *s, const char *name, const char *code)
{
	struct lt_err err = {0};
	struct lt_system sys = {0};
	snprintf(sys.name, sizeof sys.name, "%s", name);
	snprintf(sys.created, sizeof sys.created, "2026-01-01T00:00:00Z");
	snprintf(sys.secret_sealed, sizeof sys.secret_sealed, "00");
	snprintf(sys.primary_code, sizeof sys.primary_code, "%s", code);
	EXPECT(LT_OK, lt_store_system_add(s, &sys, &err));
	if (code)
		EXPECT(LT_OK, lt_store_system_code_add(s, sys.id, code, &err));
	return sys.id;
}

static struct lt_xdoc xdoc(const char *id, const char *kind, int64_t system_id, const char *document_id,
			   const char *received)
{
	struct lt_xdoc d;
	memset(&d, 0, sizeof d);
	snprintf(d.id, sizeof d.id, "%s", id);
	snprintf(d.kind, sizeof d.kind, "%s", kind);
	snprintf(d.document_id, sizeof d.document_id, "%s", document_id);
	d.system_id = system_id;
	snprintf(d.from_code, sizeof d.from_code, D4);
	snprintf(d.sha256, sizeof d.sha256, "sha-%s", id);
	d.size = 100;
	snprintf(d.received, sizeof d.received, "%s", received);
	d.doctype = 1;
	snprintf(d.subject, sizeof d.subject, "Công văn %s", id);
	return d;
}

static int64_t deliver(struct lt_store *s, const char *doc, const char *to, int64_t system_id, const char *state,
		       const char *at)
{
	struct lt_err err = {0};
	struct lt_xdelivery d = {0};
	snprintf(d.doc, sizeof d.doc, "%s", doc);
	snprintf(d.addressed, sizeof d.addressed, "%s", to);
	snprintf(d.routed_to, sizeof d.routed_to, "%s", to);
	d.system_id = system_id;
	snprintf(d.state, sizeof d.state, "%s", state);
	snprintf(d.updated, sizeof d.updated, "%s", at);
	EXPECT(LT_OK, lt_store_xdelivery_add(s, &d, &err));
	assert_true(d.id > 0);
	return d.id;
}

static int inbox_cb(void *ctx, const struct lt_xdelivery *dl, const struct lt_xdoc *doc)
{
	struct seen *w = ctx;
	char item[128];
	snprintf(item, sizeof item, "%s:%s:%s", doc->id, dl->state, doc->kind);
	seen_add(w, item);
	w->last_rowid = dl->id;
	return 0;
}

static int xevent_cb(void *ctx, const struct lt_xevent *e)
{
	struct seen *w = ctx;
	seen_add(w, e->state);
	return 0;
}

static int xdoc_cb(void *ctx, const struct lt_xdoc *d)
{
	struct seen *w = ctx;
	seen_add(w, d->id);
	return 0;
}

static int xdel_cb(void *ctx, const struct lt_xdelivery *d)
{
	struct seen *w = ctx;
	char item[128];
	snprintf(item, sizeof item, "%s:%s:%lld", d->routed_to, d->state, (long long)d->system_id);
	seen_add(w, item);
	return 0;
}

static int receiver_cb(void *ctx, int64_t id)
{
	struct seen *w = ctx;
	char item[32];
	snprintf(item, sizeof item, "%lld", (long long)id);
	seen_add(w, item);
	return 0;
}

static int status_cb(void *ctx, const struct lt_xstatus *st)
{
	struct seen *w = ctx;
	char item[128];
	snprintf(item, sizeof item, "%s:%s:%s", st->status_doc, st->code, st->description);
	seen_add(w, item);
	return 0;
}

static int stat_cb(void *ctx, const struct lt_xstat_row *r)
{
	struct seen *w = ctx;
	char item[192];
	snprintf(item, sizeof item, "%s:%lld:%lld:%lld:%.1f:%lld:%.1f:%lld", r->key, (long long)r->documents,
		 (long long)r->bytes, (long long)r->deliveries, r->sent_to_01_s, (long long)r->n_01, r->sent_to_06_s,
		 (long long)r->n_06);
	seen_add(w, item);
	return 0;
}

static void test_exchange(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4), b = add_system(fx->s, "B", D5), b2 = add_system(fx->s, "B2", D5);
	struct lt_xdoc d1 = xdoc("d1", "edoc", a, "DOC-1", "2026-03-01T08:00:00Z");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d1, &err));
	struct lt_xdoc dup = xdoc("d1b", "edoc", a, "DOC-1", "2026-03-01T08:00:01Z");
	EXPECT(LT_ECONFLICT, lt_store_xdoc_add(fx->s, &dup, &err)); /* same system, same DocumentId */
	struct lt_xdoc st1 = xdoc("s1", "status", b, "", "2026-03-01T08:10:00Z");
	snprintf(st1.status_code, sizeof st1.status_code, "01");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &st1, &err));
	struct lt_xdoc got;
	EXPECT(LT_OK, lt_store_xdoc_find(fx->s, a, "edoc", "DOC-1", NULL, &got, &err));
	assert_string_equal(got.id, "d1");
	assert_string_equal(got.subject, "Công văn d1");
	EXPECT(LT_ENOTFOUND, lt_store_xdoc_find(fx->s, b, "edoc", "DOC-1", NULL, &got, &err));
	EXPECT(LT_OK, lt_store_xdoc_find(fx->s, b, "status", NULL, "sha-s1", &got, &err));
	assert_string_equal(got.id, "s1");
	EXPECT(LT_OK, lt_store_xdoc_get(fx->s, "s1", &got, &err));
	assert_string_equal(got.status_code, "01");
	EXPECT(LT_ENOTFOUND, lt_store_xdoc_get(fx->s, "nope", &got, &err));
	EXPECT(LT_OK, lt_store_xdoc_by_document_id(fx->s, "DOC-1", D4, &got, &err));
	assert_string_equal(got.id, "d1");
	EXPECT(LT_OK, lt_store_xdoc_by_document_id(fx->s, "DOC-1", NULL, &got, &err));
	EXPECT(LT_ENOTFOUND, lt_store_xdoc_by_document_id(fx->s, "DOC-1", D5, &got, &err));

	struct seen w = {0};
	EXPECT(LT_OK, lt_store_xreceivers(fx->s, D5, receiver_cb, &w, &err));
	char want[256];
	snprintf(want, sizeof want, "%lld,%lld", (long long)b, (long long)b2);
	assert_string_equal(w.text, want);

	int64_t l1 = deliver(fx->s, "d1", D5, b, "pending", "2026-03-01T08:00:00Z");
	deliver(fx->s, "d1", D5, b2, "pending", "2026-03-01T08:00:00Z");
	deliver(fx->s, "d1", C31, 0, "no_system", "2026-03-01T08:00:00Z");
	deliver(fx->s, "d1", Q, 0, "refused", "2026-03-01T08:00:00Z");
	deliver(fx->s, "s1", D4, a, "pending", "2026-03-01T08:10:00Z");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xdeliveries(fx->s, "d1", xdel_cb, &w, &err));
	snprintf(want, sizeof want, D5 ":pending:%lld," D5 ":pending:%lld," C31 ":no_system:0," Q ":refused:0",
		 (long long)b, (long long)b2);
	assert_string_equal(w.text, want);

	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xinbox(fx->s, b, NULL, 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "d1:pending:edoc");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xinbox(fx->s, a, "edoc", 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "");
	EXPECT(LT_OK, lt_store_xinbox(fx->s, a, "status", 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "s1:pending:status");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xinbox(fx->s, b, NULL, l1, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "");

	/* Acknowledgements: each system its own; done is final; a repeat
	 * changes nothing; a stranger has none. */
	int n = -1;
	EXPECT(LT_OK, lt_store_xack(fx->s, "d1", b, "processing", "2026-03-01T09:00:00Z", &n, &err));
	assert_int_equal(n, 1);
	EXPECT(LT_OK, lt_store_xack(fx->s, "d1", b, "done", "2026-03-01T10:00:00Z", &n, &err));
	EXPECT(LT_OK, lt_store_xack(fx->s, "d1", b, "processing", "2026-03-01T11:00:00Z", &n, &err));
	assert_int_equal(n, 1);
	EXPECT(LT_OK, lt_store_xack(fx->s, "d1", a, "done", "2026-03-01T11:00:00Z", &n, &err));
	assert_int_equal(n, 0);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xevents(fx->s, l1, xevent_cb, &w, &err));
	assert_string_equal(w.text, "pending,processing,done");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xinbox(fx->s, b, NULL, 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xinbox(fx->s, b2, NULL, 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "d1:pending:edoc");

	/* A system bound to the code that waited claims its deliveries. */
	int64_t c = add_system(fx->s, "C", C31);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xinbox(fx->s, c, NULL, 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "d1:pending:edoc");

	/* What waits with no system expires. */
	deliver(fx->s, "d1", "000.00.00.H17", 0, "no_system", "2026-03-01T08:00:00Z");
	EXPECT(LT_OK,
	       lt_store_xhold_expire(fx->s, "2026-04-01", "2026-04-02T00:00:00Z", "nobody receives for %s", &n, &err));
	assert_int_equal(n, 1);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xdeliveries(fx->s, "d1", xdel_cb, &w, &err));
	assert_non_null(strstr(w.text, "000.00.00.H17:expired:0"));

	struct lt_xstatus xs = {0};
	snprintf(xs.status_doc, sizeof xs.status_doc, "s1");
	snprintf(xs.ref_doc, sizeof xs.ref_doc, "d1");
	snprintf(xs.ref_document_id, sizeof xs.ref_document_id, "DOC-1");
	snprintf(xs.from_code, sizeof xs.from_code, D5);
	snprintf(xs.to_code, sizeof xs.to_code, D4);
	snprintf(xs.code, sizeof xs.code, "01");
	snprintf(xs.description, sizeof xs.description, "Đã đến");
	snprintf(xs.at, sizeof xs.at, "2026-03-01T08:10:00Z");
	snprintf(xs.received, sizeof xs.received, "2026-03-01T08:10:00Z");
	EXPECT(LT_OK, lt_store_xstatus_add(fx->s, &xs, &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xstatuses(fx->s, "d1", status_cb, &w, &err));
	assert_string_equal(w.text, "s1:01:Đã đến");

	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsent(fx->s, a, NULL, NULL, 0, xdoc_cb, &w, &err));
	assert_string_equal(w.text, "d1");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsent(fx->s, b, "status", NULL, 0, xdoc_cb, &w, &err));
	assert_string_equal(w.text, "s1");

	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xstats(fx->s, "", "", "day", stat_cb, &w, &err));
	assert_string_equal(w.text, "2026-03-01:1:100:5:600.0:2:-1.0:0");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xstats(fx->s, "2026-03-02", "", "recipient", stat_cb, &w, &err));
	assert_string_equal(w.text, "");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xstats(fx->s, "", "", "recipient", stat_cb, &w, &err));
	assert_string_equal(w.text, "000.00.00.H17:1:100:1:-1.0:0:-1.0:0,000.00.00.H47:1:100:1:-1.0:0:-1.0:0,"
				    "000.00.05.H14:1:100:2:600.0:2:-1.0:0,000.00.31.H14:1:100:1:-1.0:0:-1.0:0");

	int64_t counts[LT_XCOUNTS];
	EXPECT(LT_OK, lt_store_xcounts(fx->s, counts, &err));
	assert_int_equal(counts[0], 1);
	assert_int_equal(counts[1], 1);
	assert_int_equal(counts[2], 200);
	/* Deliveries by state, in the order of enum lt_delivery_state. */
	assert_int_equal(counts[3 + LT_DELIVERY_PENDING] + counts[3 + LT_DELIVERY_PROCESSING] +
				 counts[3 + LT_DELIVERY_FAIL],
			 3); /* b2, c, and a's status */
	assert_int_equal(counts[3 + LT_DELIVERY_DONE], 1);
	assert_int_equal(counts[3 + LT_DELIVERY_REFUSED], 1);
	assert_int_equal(counts[3 + LT_DELIVERY_MERGED] + counts[3 + LT_DELIVERY_NO_SYSTEM], 0);
	assert_int_equal(counts[3 + LT_DELIVERY_EXPIRED], 1); /* H17's, which waited with no system */

	/* Retention: only a document none of whose deliveries waits. */
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xexpired(fx->s, "2027-01-01", xdoc_cb, &w, &err));
	assert_string_equal(w.text, "");
	EXPECT(LT_OK, lt_store_xack(fx->s, "d1", b2, "done", "2026-03-02T00:00:00Z", &n, &err));
	EXPECT(LT_OK, lt_store_xack(fx->s, "d1", c, "done", "2026-03-03T00:00:00Z", &n, &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xexpired(fx->s, "2026-04-01", xdoc_cb, &w, &err));
	assert_string_equal(w.text, ""); /* the expiry above changed it on 2026-04-02 */
	EXPECT(LT_OK, lt_store_xexpired(fx->s, "2026-05-01", xdoc_cb, &w, &err));
	assert_string_equal(w.text, "d1");
	EXPECT(LT_OK, lt_store_xbody_removed(fx->s, "d1", &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xexpired(fx->s, "2026-05-01", xdoc_cb, &w, &err));
	assert_string_equal(w.text, "");
	EXPECT(LT_OK, lt_store_xdoc_get(fx->s, "d1", &got, &err));
	assert_true(got.body_removed);
}

/* ---- change requests and organisations ---- */

static int request_cb(void *ctx, const struct lt_request_row *r)
{
	struct seen *w = ctx;
	char item[128];
	snprintf(item, sizeof item, "%lld:%s:%s", (long long)r->id, r->unit, r->state);
	seen_add(w, item);
	return 0;
}

static int request_event_cb(void *ctx, const struct lt_request_event *ev)
{
	struct seen *w = ctx;
	char item[128];
	snprintf(item, sizeof item, "%lld:%lld:%s:%s", (long long)ev->seq, (long long)ev->request_id, ev->kind,
		 ev->data);
	seen_add(w, item);
	return 0;
}

static int request_file_cb(void *ctx, const struct lt_request_file *f)
{
	struct seen *w = ctx;
	char item[128];
	snprintf(item, sizeof item, "%d:%s:%s", f->n, f->name, f->role);
	seen_add(w, item);
	return 0;
}

static int org_cb(void *ctx, const struct lt_org *o)
{
	struct seen *w = ctx;
	seen_add(w, o->code);
	return 0;
}

static struct lt_request_row request(const char *unit, const char *state)
{
	struct lt_request_row r;
	memset(&r, 0, sizeof r);
	snprintf(r.kind, sizeof r.kind, "rename");
	snprintf(r.unit, sizeof r.unit, "%s", unit);
	snprintf(r.state, sizeof r.state, "%s", state);
	snprintf(r.filed, sizeof r.filed, "2026-05-01T00:00:00Z");
	snprintf(r.updated, sizeof r.updated, "2026-05-01T00:00:00Z");
	r.filer_token = 7;
	r.doc = "{\"proposal\":{}}";
	return r;
}

/* A system's sent list by window: since and the latest limit, oldest
 * first, the same on both backends (getSentEdocList's bound). */
static void test_sent_window(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4);
	static const char *const at[] = {"2026-03-01T08:00:00Z", "2026-03-02T08:00:00Z", "2026-03-03T08:00:00Z",
					 "2026-03-03T08:00:00Z", "2026-03-05T08:00:00Z"};
	for (int i = 0; i < 5; i++) {
		char id[8], docid[16];
		snprintf(id, sizeof id, "w%d", i);
		snprintf(docid, sizeof docid, "W-%d", i);
		struct lt_xdoc d = xdoc(id, "edoc", a, docid, at[i]);
		EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d, &err));
	}
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_xsent(fx->s, a, "edoc", NULL, 0, xdoc_cb, &w, &err));
	assert_string_equal(w.text, "w0,w1,w2,w3,w4");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsent(fx->s, a, "edoc", "2026-03-02T08:00:00Z", 0, xdoc_cb, &w, &err));
	assert_string_equal(w.text, "w1,w2,w3,w4");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsent(fx->s, a, NULL, "", 3, xdoc_cb, &w, &err));
	assert_string_equal(w.text, "w2,w3,w4"); /* the latest three, in order, ties in arrival order */
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsent(fx->s, a, "edoc", "2026-03-04T00:00:00Z", 3, xdoc_cb, &w, &err));
	assert_string_equal(w.text, "w4");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsent(fx->s, a, "status", NULL, 0, xdoc_cb, &w, &err));
	assert_string_equal(w.text, "");
}

/* The plan the database chose for the store's own sent-list statement,
 * with system `system_id` and a page of 5, one line per plan node. */
static void sent_plan(const struct fx *fx, int64_t system_id, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	char sid[24];
	snprintf(sid, sizeof sid, "%lld", (long long)system_id);
	if (fx->b == PG) {
		PGconn *c = PQconnectdb(fx->uri);
		char sql[4096];
		snprintf(sql, sizeof sql, "EXPLAIN %s", lt__pg_sql_sent);
		const char *v[] = {sid, "edoc", "", "5"};
		PGresult *r = PQexecParams(c, sql, 4, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("EXPLAIN of the sent list: %s", PQerrorMessage(c));
		for (int i = 0; i < PQntuples(r); i++)
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s\n", PQgetvalue(r, i, 0));
		PQclear(r);
		PQfinish(c);
		return;
	}
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	char sql[4096];
	snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", lt__sq_sql_sent);
	if (sqlite3_open(fx->uri, &db) != SQLITE_OK || sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("EXPLAIN of the sent list: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(q, 1, system_id);
	sqlite3_bind_text(q, 2, "edoc", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, "", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, 5);
	while (sqlite3_step(q) == SQLITE_ROW)
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s\n", (const char *)sqlite3_column_text(q, 3));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* A page of a system's sent list (getSentEdocList) costs what the page
 * holds, not what the system ever sent: for a system with 4,000 documents
 * the store's own statement walks the index on (system_id, received) from
 * its latest end, on both databases, instead of reading and sorting every
 * document the system sent. Checked on the plan rather than by a clock, so
 * a busy machine cannot decide it. */
static void test_sent_page_cost(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4), b = add_system(fx->s, "B", D5);
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	for (int i = 0; i < 4006; i++) {
		char id[16], at[32];
		snprintf(id, sizeof id, "p%d", i);
		snprintf(at, sizeof at, "2026-03-%02dT%02d:%02d:%02dZ", 1 + i / 3600 % 28, i / 60 % 60, i % 60, i % 60);
		struct lt_xdoc d = xdoc(id, i % 7 == 3 ? "status" : "edoc", i < 4000 ? a : b, id, at);
		EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d, &err));
	}
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	/* PostgreSQL plans by statistics its autovacuum keeps, which a bulk
	 * load this quick would outrun. */
	if (fx->b == PG)
		cx_sql(true, fx->uri, "ANALYZE xdocs");
	else
		cx_sql(false, fx->uri, "ANALYZE");
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_xsent(fx->s, a, "edoc", "", 5, xdoc_cb, &w, &err));
	assert_int_equal(w.n, 5);
	char plan[8192];
	sent_plan(fx, a, plan, sizeof plan);
	if (!strstr(plan, "xdocs_sent"))
		fail_msg("the sent list does not use the index xdocs_sent:\n%s", plan);
	/* SQLite names a sort of the rows it read "TEMP B-TREE FOR ORDER BY";
	 * the only one allowed is the outer re-ordering of the page itself,
	 * which comes after the index scan in the plan. */
	if (fx->b != PG) {
		const char *idx = strstr(plan, "xdocs_sent"), *sort = strstr(plan, "TEMP B-TREE");
		if (sort && sort < idx)
			fail_msg("the sent list sorts before it reads the index:\n%s", plan);
	}
}

/* The plan PostgreSQL gives sql (prepared, so $n typed as the store's
 * statement is) with the values v, under plan_cache_mode mode: custom (what
 * a statement's first runs get) or generic (what it settles on). */
static void pg_plan(const struct fx *fx, const char *sql, int n, const char *const *v, const char *mode, char *out,
		    size_t cap)
{
	PGconn *c = PQconnectdb(fx->uri);
	char set[80];
	snprintf(set, sizeof set, "SET plan_cache_mode = %s", mode);
	PQclear(PQexec(c, set));
	PGresult *r = PQprepare(c, "p", sql, n, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("PREPARE: %s", PQerrorMessage(c));
	PQclear(r);
	char ex[256] = "EXPLAIN EXECUTE p(";
	for (int i = 0; i < n; i++) {
		char *q = PQescapeLiteral(c, v[i], strlen(v[i]));
		snprintf(ex + strlen(ex), sizeof ex - strlen(ex), "%s%s", i ? ", " : "", q);
		PQfreemem(q);
	}
	snprintf(ex + strlen(ex), sizeof ex - strlen(ex), ")");
	r = PQexec(c, ex);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", ex, PQerrorMessage(c));
	size_t k = 0;
	out[0] = 0;
	for (int i = 0; i < PQntuples(r); i++)
		k += (size_t)snprintf(out + k, k < cap ? cap - k : 0, "%s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	PQfinish(c);
}

static void pg_scalar(const struct fx *fx, const char *sql, char *out, size_t cap)
{
	PGconn *c = PQconnectdb(fx->uri);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
}

/* A new hub's tables have no statistics until autovacuum reads them (a
 * minute or more, the whole of a benchmark), and the exchange's hot
 * statements must not then read rows in proportion to the history: an
 * acknowledgement goes to the document's rows for the system through one
 * index (not every delivery the system ever had, intersected with the
 * document's), an inbox page reads each delivery's document by its key
 * (not an index of every document, per delivery), and so does a new
 * delivery for its totals. Both plan kinds. */
static void test_pg_exchange_plans(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4), b = add_system(fx->s, "B", D5);
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	for (int i = 0; i < 600; i++) {
		char id[16];
		snprintf(id, sizeof id, "h%d", i);
		struct lt_xdoc d = xdoc(id, "edoc", a, id, "2026-03-01T08:00:00Z");
		EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d, &err));
		deliver(fx->s, id, D5, b, i % 3 ? "done" : "pending", "2026-03-01T08:00:00Z");
	}
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	char sid[24], plan[8192];
	snprintf(sid, sizeof sid, "%lld", (long long)b);
	static const char *const modes[] = {"force_custom_plan", "force_generic_plan"};
	for (int m = 0; m < 2; m++) {
		const char *ack[] = {sid, "h7", "done", "2026-03-01T09:00:00Z"};
		pg_plan(fx, lt__pg_sql_ack, 4, ack, modes[m], plan, sizeof plan);
		if (!strstr(plan, "xdeliveries_doc_system") || strstr(plan, "BitmapAnd") ||
		    strstr(plan, "xdeliveries_inbox") || strstr(plan, "Seq Scan on xdeliveries"))
			fail_msg("%s: an acknowledgement does not find its rows by document and system:\n%s", modes[m],
				 plan);
		const char *inbox[] = {sid, "edoc", "0", "50"};
		pg_plan(fx, lt__pg_sql_inbox, 4, inbox, modes[m], plan, sizeof plan);
		if (!strstr(plan, "xdocs_pkey") || !strstr(plan, "(id = l.doc)") || strstr(plan, "Seq Scan on xdocs") ||
		    strstr(plan, "xdocs_edoc_key"))
			fail_msg("%s: an inbox page does not read each document by its key:\n%s", modes[m], plan);
		const char *add[] = {"h7", D5, D5, "pending", "", "2026-03-01T09:00:00Z", sid};
		pg_plan(fx, lt__pg_sql_del_add, 7, add, modes[m], plan, sizeof plan);
		if (!strstr(plan, "xdocs_pkey") || strstr(plan, "Seq Scan on xdocs") ||
		    strstr(plan, "xdocs_edoc_key") || strstr(plan, "Seq Scan on xdeliveries"))
			fail_msg("%s: a new delivery does not read its document by its key:\n%s", modes[m], plan);
	}
	/* The totals every delivery updates sit on a page kept mostly empty,
	 * so it is pruned as it goes (see the migration). */
	char ff[256];
	pg_scalar(fx, "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'xcounts'", ff, sizeof ff);
	assert_string_equal(ff, "fillfactor=10");
	/* The statements still do their work. */
	int n = -1;
	EXPECT(LT_OK, lt_store_xack(fx->s, "h0", b, "done", "2026-03-01T09:00:00Z", &n, &err));
	assert_int_equal(n, 1);
	EXPECT(LT_OK, lt_store_xack(fx->s, "h1", b, "done", "2026-03-01T09:00:00Z", &n, &err));
	assert_int_equal(n, 1);
	EXPECT(LT_OK, lt_store_xack(fx->s, "h1", a, "done", "2026-03-01T09:00:00Z", &n, &err));
	assert_int_equal(n, 0);
}

/* A system that receives for many of the codes a package names has one
 * delivery per code: an acknowledgement settles every one of them that
 * waits (more than any fixed batch), counts the done ones too, leaves the
 * done and the refused alone and logs one event per change, on both
 * backends alike. */
static void test_ack_many_deliveries(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4), b = add_system(fx->s, "B", D5);
	struct lt_xdoc d = xdoc("m1", "edoc", a, "MANY-1", "2026-03-01T08:00:00Z");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d, &err));
	int64_t first = 0, done_one = 0, refused = 0;
	for (int i = 0; i < 20; i++) {
		int64_t id = deliver(fx->s, "m1", D5, b,
				     i == 3   ? "done"
				     : i == 7 ? "refused"
					      : "pending",
				     "2026-03-01T08:00:00Z");
		first = first ? first : id;
		done_one = i == 3 ? id : done_one;
		refused = i == 7 ? id : refused;
	}
	int n = -1;
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	EXPECT(LT_OK, lt_store_xack(fx->s, "m1", b, "processing", "2026-03-01T09:00:00Z", &n, &err));
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	assert_int_equal(n, 19); /* 18 waiting and the done one; not the refused */
	EXPECT(LT_OK, lt_store_xack(fx->s, "m1", b, "done", "2026-03-01T10:00:00Z", &n, &err));
	assert_int_equal(n, 19);
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_xdeliveries(fx->s, "m1", xdel_cb, &w, &err));
	assert_int_equal(w.n, 20);
	char want[4096] = "";
	for (int i = 0; i < 20; i++)
		snprintf(want + strlen(want), sizeof want - strlen(want), "%s" D5 ":%s:%lld", i ? "," : "",
			 i == 7 ? "refused" : "done", (long long)b);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xevents(fx->s, first, xevent_cb, &w, &err));
	assert_string_equal(w.text, "pending,processing,done");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xevents(fx->s, done_one, xevent_cb, &w, &err));
	assert_string_equal(w.text, "done");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xevents(fx->s, refused, xevent_cb, &w, &err));
	assert_string_equal(w.text, "refused");
	/* Another system has none of them, and a repeat changes nothing. */
	EXPECT(LT_OK, lt_store_xack(fx->s, "m1", a, "done", "2026-03-01T11:00:00Z", &n, &err));
	assert_int_equal(n, 0);
	EXPECT(LT_OK, lt_store_xack(fx->s, "m1", b, "done", "2026-03-01T11:00:00Z", &n, &err));
	assert_int_equal(n, 19);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xevents(fx->s, first, xevent_cb, &w, &err));
	assert_string_equal(w.text, "pending,processing,done");
}

/* A document with whether a system has a delivery of it, in any state, in
 * one read (a system's fetch): its sender has none, a stranger none, a
 * recipient one even once done, and system 0 (no system) none; a document
 * that does not exist is not found. */
static void test_xdoc_for(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4), b = add_system(fx->s, "B", D5), b2 = add_system(fx->s, "B2", D5);
	struct lt_xdoc d = xdoc("f1", "edoc", a, "FOR-1", "2026-03-01T08:00:00Z"), got;
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d, &err));
	deliver(fx->s, "f1", D5, b, "done", "2026-03-01T08:00:00Z");
	deliver(fx->s, "f1", Q, 0, "refused", "2026-03-01T08:00:00Z");
	bool receives = false;
	EXPECT(LT_OK, lt_store_xdoc_for(fx->s, "f1", b, &got, &receives, &err));
	assert_true(receives);
	assert_string_equal(got.id, "f1");
	assert_string_equal(got.document_id, "FOR-1");
	assert_int_equal(got.system_id, a);
	EXPECT(LT_OK, lt_store_xdoc_for(fx->s, "f1", a, &got, &receives, &err));
	assert_false(receives);
	EXPECT(LT_OK, lt_store_xdoc_for(fx->s, "f1", b2, &got, &receives, &err));
	assert_false(receives);
	EXPECT(LT_OK, lt_store_xdoc_for(fx->s, "f1", 0, &got, &receives, &err));
	assert_false(receives); /* the refused row is no system's: 0 is nobody */
	receives = true;
	EXPECT(LT_ENOTFOUND, lt_store_xdoc_for(fx->s, "nope", b, &got, &receives, &err));
	assert_false(receives);
}

static void test_requests_and_orgs(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_request_row r1 = request(D5, "submitted"), r2 = request(O1, "submitted"), r3 = request(Q, "rejected");
	EXPECT(LT_OK, lt_store_request_put(fx->s, &r1, &err));
	EXPECT(LT_OK, lt_store_request_put(fx->s, &r2, &err));
	EXPECT(LT_OK, lt_store_request_put(fx->s, &r3, &err));
	assert_true(r1.id > 0 && r2.id > r1.id && r3.id > r2.id);
	snprintf(r2.state, sizeof r2.state, "in_review");
	r2.doc = "{\"proposal\":{},\"reason\":\"x\"}";
	EXPECT(LT_OK, lt_store_request_put(fx->s, &r2, &err));
	struct lt_request_row missing = request(D4, "submitted");
	missing.id = 999;
	EXPECT(LT_ENOTFOUND, lt_store_request_put(fx->s, &missing, &err));
	struct lt_request_row got;
	EXPECT(LT_OK, lt_store_request_get(fx->s, r2.id, &got, &err));
	assert_string_equal(got.state, "in_review");
	assert_string_equal(got.doc, "{\"proposal\":{},\"reason\":\"x\"}");
	assert_int_equal(got.filer_token, 7);
	lt_request_row_clear(&got);
	EXPECT(LT_ENOTFOUND, lt_store_request_get(fx->s, 999, &got, &err));

	char want[512];
	struct seen w = {0};
	struct lt_request_query q = {.under = D5};
	EXPECT(LT_OK, lt_store_requests(fx->s, &q, request_cb, &w, &err));
	snprintf(want, sizeof want, "%lld:" D5 ":submitted,%lld:" O1 ":in_review", (long long)r1.id, (long long)r2.id);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	q = (struct lt_request_query){.open_only = true, .after = r1.id};
	EXPECT(LT_OK, lt_store_requests(fx->s, &q, request_cb, &w, &err));
	snprintf(want, sizeof want, "%lld:" O1 ":in_review", (long long)r2.id);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	q = (struct lt_request_query){.state = "rejected", .limit = 5};
	EXPECT(LT_OK, lt_store_requests(fx->s, &q, request_cb, &w, &err));
	assert_int_equal(w.n, 1);

	struct lt_request_event ev = {.request_id = r1.id};
	snprintf(ev.kind, sizeof ev.kind, "filed");
	snprintf(ev.state, sizeof ev.state, "submitted");
	snprintf(ev.unit, sizeof ev.unit, D5);
	snprintf(ev.who, sizeof ev.who, "token 7");
	snprintf(ev.at, sizeof ev.at, "2026-05-01T00:00:00Z");
	EXPECT(LT_OK, lt_store_request_event_add(fx->s, &ev, &err));
	assert_int_equal(ev.seq, 1);
	ev.request_id = r2.id;
	ev.data = "{\"c\":1}";
	EXPECT(LT_OK, lt_store_request_event_add(fx->s, &ev, &err));
	assert_int_equal(ev.seq, 2);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_request_events(fx->s, 0, 0, 0, request_event_cb, &w, &err));
	snprintf(want, sizeof want, "1:%lld:filed:{},2:%lld:filed:{\"c\":1}", (long long)r1.id, (long long)r2.id);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_request_events(fx->s, r2.id, 0, 10, request_event_cb, &w, &err));
	assert_int_equal(w.n, 1);

	struct lt_request_file f = {.request_id = r1.id, .size = 10};
	snprintf(f.name, sizeof f.name, "to-trinh.pdf");
	snprintf(f.content_type, sizeof f.content_type, "application/pdf");
	snprintf(f.role, sizeof f.role, "attachment");
	EXPECT(LT_OK, lt_store_request_file_add(fx->s, &f, &err));
	assert_int_equal(f.n, 1);
	snprintf(f.name, sizeof f.name, "quyet-dinh.pdf");
	EXPECT(LT_OK, lt_store_request_file_add(fx->s, &f, &err));
	assert_int_equal(f.n, 2);
	EXPECT(LT_OK, lt_store_request_file_role(fx->s, r1.id, 2, "decision", &err));
	EXPECT(LT_ENOTFOUND, lt_store_request_file_role(fx->s, r1.id, 3, "decision", &err));
	struct lt_request_file fg;
	EXPECT(LT_OK, lt_store_request_file_get(fx->s, r1.id, 2, &fg, &err));
	assert_string_equal(fg.role, "decision");
	EXPECT(LT_ENOTFOUND, lt_store_request_file_get(fx->s, r2.id, 1, &fg, &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_request_files(fx->s, r1.id, request_file_cb, &w, &err));
	assert_string_equal(w.text, "1:to-trinh.pdf:attachment,2:quyet-dinh.pdf:decision");

	struct lt_org o;
	memset(&o, 0, sizeof o);
	snprintf(o.code, sizeof o.code, "0101234567");
	snprintf(o.kind, sizeof o.kind, "enterprise");
	snprintf(o.name, sizeof o.name, "Công ty Cổ phần 50%% Hà Nội");
	snprintf(o.source, sizeof o.source, "national business registry");
	snprintf(o.status, sizeof o.status, "active");
	snprintf(o.added, sizeof o.added, "2026-05-01T00:00:00Z");
	snprintf(o.updated, sizeof o.updated, "2026-05-01T00:00:00Z");
	EXPECT(LT_OK, lt_store_org_add(fx->s, &o, &err));
	EXPECT(LT_ECONFLICT, lt_store_org_add(fx->s, &o, &err));
	snprintf(o.code, sizeof o.code, "0101234567-001");
	snprintf(o.parent, sizeof o.parent, "0101234567");
	snprintf(o.kind, sizeof o.kind, "dependent");
	snprintf(o.name, sizeof o.name, "Chi nhánh Đà Nẵng");
	EXPECT(LT_OK, lt_store_org_add(fx->s, &o, &err));
	struct lt_org og;
	EXPECT(LT_OK, lt_store_org_get(fx->s, "0101234567-001", &og, &err));
	assert_string_equal(og.parent, "0101234567");
	EXPECT(LT_ENOTFOUND, lt_store_org_get(fx->s, "0109999999", &og, &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_orgs(fx->s, "0101", NULL, 10, org_cb, &w, &err));
	assert_string_equal(w.text, "0101234567,0101234567-001");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_orgs(fx->s, NULL, "da nang", 10, org_cb, &w, &err));
	assert_string_equal(w.text, "0101234567-001");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_orgs(fx->s, "", "phan 50", 10, org_cb, &w, &err));
	assert_string_equal(w.text, "0101234567");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_orgs(fx->s, "", "5%", 10, org_cb, &w, &err)); /* % is a character, not a pattern */
	assert_string_equal(w.text, "");
	EXPECT(LT_OK, lt_store_orgs(fx->s, "0_", "", 10, org_cb, &w, &err));
	assert_string_equal(w.text, "");
}

/* A begin inside this thread's transaction is a savepoint: its rollback
 * undoes only its own writes, its commit waits for the outer one. */
static void test_nested_transactions(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_unit u;
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	put(fx->s, unit(P, "", 1, "Tỉnh Cao Bằng"));
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	put(fx->s, unit(D4, P, 2, "Sở Tư pháp"));
	lt_store_rollback(fx->s);
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	put(fx->s, unit(D5, P, 2, "Sở Y tế"));
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	EXPECT(LT_OK, lt_store_unit_get(fx->s, D5, &u, &err)); /* inside: seen */
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	EXPECT(LT_OK, lt_store_unit_get(fx->s, P, &u, &err));
	EXPECT(LT_OK, lt_store_unit_get(fx->s, D5, &u, &err));
	EXPECT(LT_ENOTFOUND, lt_store_unit_get(fx->s, D4, &u, &err));
	/* An outer rollback takes the committed inner change with it. */
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	put(fx->s, unit(C31, P, 2, "UBND thành phố"));
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	lt_store_rollback(fx->s);
	EXPECT(LT_ENOTFOUND, lt_store_unit_get(fx->s, C31, &u, &err));
}

/* What waited for a system of a unit that closed follows its successor:
 * handed at once to a system already receiving for it, claimed by the
 * first one bound to it later; two held rows of one document that meet in
 * one successor make one delivery and a merged row. */
static void test_held_deliveries_follow_lineage(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4), b = add_system(fx->s, "B", C31);
	struct lt_xdoc d1 = xdoc("d1", "edoc", a, "DOC-1", "2026-03-01T08:00:00Z");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d1, &err));
	deliver(fx->s, "d1", D5, 0, "no_system", "2026-03-01T08:00:00Z");
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_xinbox(fx->s, b, NULL, 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "");
	EXPECT(LT_OK, lt_store_lineage_add(fx->s, D5, C31, 1, &err)); /* D5 closed into C31 */
	EXPECT(LT_OK, lt_store_xinbox(fx->s, b, NULL, 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "d1:pending:edoc");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xdeliveries(fx->s, "d1", xdel_cb, &w, &err));
	char want[256];
	snprintf(want, sizeof want, C31 ":pending:%lld", (long long)b);
	assert_string_equal(w.text, want);

	struct lt_xdoc d2 = xdoc("d2", "edoc", a, "DOC-2", "2026-03-02T08:00:00Z");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d2, &err));
	deliver(fx->s, "d2", "000.00.07.H14", 0, "no_system", "2026-03-02T08:00:00Z");
	deliver(fx->s, "d2", "000.00.08.H14", 0, "no_system", "2026-03-02T08:00:00Z");
	EXPECT(LT_OK, lt_store_lineage_add(fx->s, "000.00.07.H14", "000.00.09.H14", 2, &err));
	EXPECT(LT_OK, lt_store_lineage_add(fx->s, "000.00.08.H14", "000.00.09.H14", 2, &err));
	int64_t c = add_system(fx->s, "C", "000.00.09.H14");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xdeliveries(fx->s, "d2", xdel_cb, &w, &err));
	snprintf(want, sizeof want, "000.00.09.H14:pending:%lld,000.00.09.H14:merged:0", (long long)c);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xinbox(fx->s, c, NULL, 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "d2:pending:edoc");
}

static void xs_doc(struct lt_store *s, const char *id, const char *kind, int64_t system_id, const char *from,
		   int64_t size, const char *received)
{
	struct lt_err err = {0};
	struct lt_xdoc d = xdoc(id, kind, system_id, id, received);
	snprintf(d.from_code, sizeof d.from_code, "%s", from);
	d.size = size;
	EXPECT(LT_OK, lt_store_xdoc_add(s, &d, &err));
}

static void xs_status(struct lt_store *s, const char *ref_doc, const char *from, const char *code, const char *received)
{
	static int n;
	struct lt_err err = {0};
	struct lt_xstatus x = {0};
	snprintf(x.status_doc, sizeof x.status_doc, "st%d", ++n);
	snprintf(x.ref_doc, sizeof x.ref_doc, "%s", ref_doc);
	snprintf(x.ref_document_id, sizeof x.ref_document_id, "%s", ref_doc);
	snprintf(x.from_code, sizeof x.from_code, "%s", from);
	snprintf(x.to_code, sizeof x.to_code, D4);
	snprintf(x.code, sizeof x.code, "%s", code);
	snprintf(x.at, sizeof x.at, "%s", received);
	snprintf(x.received, sizeof x.received, "%s", received);
	EXPECT(LT_OK, lt_store_xstatus_add(s, &x, &err));
}

/* The statistics from running totals equal the aggregate over every row
 * (conformance_xstats.h), through a varied history, after the migration's
 * backfill, and with the triggers it recreated. */
static void test_stats_totals(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int n = 0;
	int64_t a = add_system(fx->s, "A", D4), b = add_system(fx->s, "B", D5), b2 = add_system(fx->s, "B2", D5);
	int64_t q = add_system(fx->s, "Q", Q);
	/* Across a month's end; one document delivered twice to D5. */
	xs_doc(fx->s, "e1", "edoc", a, D4, 100, "2026-02-27T23:59:59Z");
	deliver(fx->s, "e1", D5, b, "pending", "2026-02-27T23:59:59Z");
	deliver(fx->s, "e1", D5, b2, "pending", "2026-02-27T23:59:59Z");
	deliver(fx->s, "e1", Q, q, "refused", "2026-02-27T23:59:59Z");
	xs_status(fx->s, "e1", D5, "01", "2026-02-28T00:09:59Z");
	xs_status(fx->s, "e1", D5, "01", "2026-02-28T00:04:59Z"); /* received earlier: the first one now */
	xs_status(fx->s, "e1", D5, "01", "2026-02-28T00:20:00Z");
	xs_status(fx->s, "e1", D5, "06", "2026-03-02T00:00:00Z");
	xs_status(fx->s, "e1", Q, "01", "2026-02-28T01:00:00Z");
	xs_status(fx->s, "e1", P, "01", "2026-02-28T01:00:00Z");  /* not a recipient */
	xs_status(fx->s, "e1", D5, "03", "2026-02-28T00:00:30Z"); /* neither 01 nor 06 */
	EXPECT(LT_OK, lt_store_xack(fx->s, "e1", b, "done", "2026-02-28T02:00:00Z", &n, &err));
	/* Held for closed codes, one status waiting for the successor; then a
	 * binding claims one row and merges its twin, re-routing both. */
	xs_doc(fx->s, "e2", "edoc", b, D5, 250, "2026-02-28T10:00:00Z");
	deliver(fx->s, "e2", D4, a, "pending", "2026-02-28T10:00:00Z");
	deliver(fx->s, "e2", "000.00.07.H14", 0, "no_system", "2026-02-28T10:00:00Z");
	deliver(fx->s, "e2", "000.00.08.H14", 0, "no_system", "2026-02-28T10:00:00Z");
	xs_status(fx->s, "e2", "000.00.09.H14", "06", "2026-03-01T10:00:00Z");
	xs_status(fx->s, "e2", "000.00.07.H14", "01", "2026-02-28T10:00:05Z");
	xs_status(fx->s, "e2", D4, "01", "2026-02-28T10:00:07Z");
	EXPECT(LT_OK, lt_store_lineage_add(fx->s, "000.00.07.H14", "000.00.09.H14", 2, &err));
	EXPECT(LT_OK, lt_store_lineage_add(fx->s, "000.00.08.H14", "000.00.09.H14", 2, &err));
	add_system(fx->s, "C", "000.00.09.H14");
	/* Another sender, another day; a document without deliveries. */
	xs_doc(fx->s, "e3", "edoc", q, Q, 75, "2026-03-01T00:00:00Z");
	deliver(fx->s, "e3", D4, a, "pending", "2026-03-01T00:00:00Z");
	deliver(fx->s, "e3", D5, b, "pending", "2026-03-01T00:00:00Z");
	deliver(fx->s, "e3", D5, b2, "processing", "2026-03-01T00:00:00Z");
	xs_status(fx->s, "e3", D5, "06", "2026-03-01T00:01:40Z");
	xs_doc(fx->s, "e4", "edoc", a, D4, 300, "2026-03-01T12:00:00Z");
	/* A status before its delivery; a held row that expires. */
	xs_doc(fx->s, "e5", "edoc", a, D4, 1000, "2026-03-03T08:00:00Z");
	xs_status(fx->s, "e5", D5, "01", "2026-03-03T08:00:42Z");
	deliver(fx->s, "e5", D5, b, "pending", "2026-03-03T08:00:00Z");
	deliver(fx->s, "e5", "000.00.06.H14", 0, "no_system", "2026-03-03T08:00:00Z");
	EXPECT(LT_OK, lt_store_xhold_expire(fx->s, "2026-04-01", "2026-04-02T00:00:00Z", "nobody for %s", &n, &err));
	/* Status packages travel too, but are not counted. */
	xs_doc(fx->s, "s1", "status", b, D5, 40, "2026-03-01T09:00:00Z");
	deliver(fx->s, "s1", D4, a, "pending", "2026-03-01T09:00:00Z");
	xs_status(fx->s, "s1", D4, "01", "2026-03-01T09:01:00Z");

	bool pg = fx->b == PG;
	assert_true(cx_compare(fx->s, pg, fx->uri) > 10);
	struct cx_text t = {{0}};
	EXPECT(LT_OK, lt_store_xstats(fx->s, "", "", "recipient", cx_stat_cb, &t, &err));
	assert_string_equal(t.s, "000.00.00.H47:1:100:1:3601.000:1:-1.000:0,"
				 "000.00.04.H14:2:325:2:7.000:1:-1.000:0,"
				 "000.00.05.H14:3:1175:5:214.000:3:86450.500:4,"
				 "000.00.06.H14:1:1000:1:-1.000:0:-1.000:0,"
				 "000.00.09.H14:1:250:1:-1.000:0:86400.000:1");

	/* The migration again over the rows stored: the backfill answers alike,
	 * and the triggers it made keep counting. */
	lt_store_close(fx->s);
	cx_forget_totals(pg, fx->uri);
	fx->s = open_store(fx->uri);
	assert_true(cx_compare(fx->s, pg, fx->uri) > 10);
	xs_doc(fx->s, "e6", "edoc", b, D5, 60, "2026-03-01T23:00:00Z");
	deliver(fx->s, "e6", D4, a, "pending", "2026-03-01T23:00:00Z");
	xs_status(fx->s, "e6", D4, "01", "2026-03-01T23:00:10Z");
	xs_status(fx->s, "e1", D5, "01", "2026-02-28T00:00:01Z");
	assert_true(cx_compare(fx->s, pg, fx->uri) > 10);

	/* The answer is read from the totals alone: with every delivery and
	 * status gone behind the store's back (its triggers dropped first), it
	 * does not change. */
	struct cx_text before = {{0}}, after = {{0}};
	EXPECT(LT_OK, lt_store_xstats(fx->s, "", "", "recipient", cx_stat_cb, &before, &err));
	lt_store_close(fx->s);
	cx_sql(pg, fx->uri,
	       pg ? "DROP TRIGGER xstat_del ON xdeliveries; DROP TRIGGER xstat_status ON xstatuses; "
		    "DELETE FROM xevents; DELETE FROM xstatuses; DELETE FROM xdeliveries"
		  : "DROP TRIGGER xstat_del_add; DROP TRIGGER xstat_del_move; DROP TRIGGER xstat_status_add; "
		    "DELETE FROM xevents; DELETE FROM xstatuses; DELETE FROM xdeliveries");
	fx->s = open_store(fx->uri);
	EXPECT(LT_OK, lt_store_xstats(fx->s, "", "", "recipient", cx_stat_cb, &after, &err));
	assert_string_equal(after.s, before.s);
	assert_non_null(strstr(after.s, "000.00.05.H14:3:1175:5:"));
}

/* A system with no code: a subtree system before its binding, or the link. */
static int64_t add_bare_system(struct lt_store *s, const char *name)
{
	struct lt_err err = {0};
	struct lt_system sys = {0};
	snprintf(sys.name, sizeof sys.name, "%s", name);
	snprintf(sys.created, sizeof sys.created, "2026-01-01T00:00:00Z");
	EXPECT(LT_OK, lt_store_system_add(s, &sys, &err));
	return sys.id;
}

static int due_cb(void *ctx, const char *doc, int tries)
{
	struct seen *w = ctx;
	char item[64];
	snprintf(item, sizeof item, "%s:%d", doc, tries);
	seen_add(w, item);
	return 0;
}

/* Federation: subtree bindings (also an exact binding of the root, and
 * claiming what waited for it), the relay queue (due, retried, done once,
 * its relay deliveries becoming relayed with an event), the upstream link. */
static void test_federation(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4), p = add_bare_system(fx->s, "P14");
	struct lt_xdoc d1 = xdoc("d1", "edoc", a, "DOC-1", "2026-03-01T08:00:00Z");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d1, &err));
	deliver(fx->s, "d1", "000.00.00.H14", 0, "no_system", "2026-03-01T08:00:00Z");
	EXPECT(LT_OK, lt_store_system_subtree_add(fx->s, p, "000.00.00.H14", &err));
	EXPECT(LT_OK, lt_store_system_subtree_add(fx->s, p, "000.00.00.H14", &err)); /* again: no change */
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_xinbox(fx->s, p, NULL, 0, 10, inbox_cb, &w, &err));
	assert_string_equal(w.text, "d1:pending:edoc");
	struct lt_codelist roots = {0}, codes = {0};
	EXPECT(LT_OK, lt_store_system_subtrees(fx->s, p, &roots, &err));
	assert_int_equal(roots.n, 1);
	assert_string_equal(roots.codes[0], "000.00.00.H14");
	EXPECT(LT_OK, lt_store_system_codes(fx->s, p, &codes, &err));
	assert_int_equal(codes.n, 1);
	lt_codelist_free(&roots);
	lt_codelist_free(&codes);
	EXPECT(LT_OK, lt_store_system_subtrees(fx->s, a, &roots, &err));
	assert_int_equal(roots.n, 0);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsubtree_receivers(fx->s, "000.00.00.H14", receiver_cb, &w, &err));
	char want[256];
	snprintf(want, sizeof want, "%lld", (long long)p);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsubtree_receivers(fx->s, D4, receiver_cb, &w, &err)); /* a plain binding */
	assert_string_equal(w.text, "");
	/* A moved root keeps its subtree under the new code. */
	EXPECT(LT_OK, lt_store_system_subtree_add(fx->s, p, D5, &err));
	EXPECT(LT_OK, lt_store_system_rebind(fx->s, D5, "000.00.09.H17", &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xsubtree_receivers(fx->s, "000.00.09.H17", receiver_cb, &w, &err));
	assert_string_equal(w.text, want);

	struct lt_xdoc d2 = xdoc("d2", "edoc", a, "DOC-2", "2026-03-01T09:00:00Z");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d2, &err));
	deliver(fx->s, "d2", "000.00.00.H17", 0, "relay", "2026-03-01T09:00:00Z");
	deliver(fx->s, "d2", "000.00.00.H26", 0, "relay", "2026-03-01T09:00:00Z");
	EXPECT(LT_OK, lt_store_relay_out_add(fx->s, "d2", "2026-03-01T09:00:00Z", &err));
	EXPECT(LT_OK, lt_store_relay_out_add(fx->s, "d2", "2026-03-01T09:00:00Z", &err)); /* once */
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_relay_out_due(fx->s, "2026-03-01T08:59:59Z", 10, due_cb, &w, &err));
	assert_string_equal(w.text, "");
	EXPECT(LT_OK, lt_store_relay_out_due(fx->s, "2026-03-01T09:00:00Z", 10, due_cb, &w, &err));
	assert_string_equal(w.text, "d2:0");
	EXPECT(LT_OK, lt_store_relay_out_retry(fx->s, "d2", 3, "2026-03-01T09:00:04Z", "refused", &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_relay_out_due(fx->s, "2026-03-01T09:00:03Z", 10, due_cb, &w, &err));
	assert_string_equal(w.text, "");
	EXPECT(LT_OK, lt_store_relay_out_due(fx->s, "2026-03-01T09:00:05Z", 10, due_cb, &w, &err));
	assert_string_equal(w.text, "d2:3");
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	EXPECT(LT_OK, lt_store_relay_out_done(fx->s, "d2", "UP-1", "2026-03-01T09:00:06Z", &err));
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	EXPECT(LT_OK, lt_store_relay_out_done(fx->s, "d2", "UP-2", "2026-03-01T09:00:07Z", &err)); /* no-op */
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_relay_out_due(fx->s, "2026-03-02T00:00:00Z", 10, due_cb, &w, &err));
	assert_string_equal(w.text, "");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xdeliveries(fx->s, "d2", xdel_cb, &w, &err));
	assert_string_equal(w.text, "000.00.00.H17:relayed:0,000.00.00.H26:relayed:0");

	int64_t link = 0;
	EXPECT(LT_ENOTFOUND, lt_store_relay_link_get(fx->s, "http://n:8080", &link, &err));
	int64_t l = add_bare_system(fx->s, "upstream http://n:8080");
	EXPECT(LT_OK, lt_store_relay_link_add(fx->s, "http://n:8080", l, &err));
	EXPECT(LT_OK, lt_store_relay_link_get(fx->s, "http://n:8080", &link, &err));
	assert_int_equal(link, l);
	EXPECT(LT_ECONFLICT, lt_store_relay_link_add(fx->s, "http://n:8080", l, &err));
}

/* A change copied from a mirror keeps its id; the next one assigned comes
 * after it. */
static void test_change_copied_keeps_its_id(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_change c = {0};
	snprintf(c.kind, sizeof c.kind, "issue");
	snprintf(c.effective, sizeof c.effective, "2025-07-01");
	snprintf(c.at, sizeof c.at, "2025-06-30T10:00:00Z");
	c.id = 41;
	EXPECT(LT_OK, lt_store_change_add(fx->s, &c, &err));
	assert_int_equal(c.id, 41);
	c.id = 0;
	EXPECT(LT_OK, lt_store_change_add(fx->s, &c, &err));
	assert_int_equal(c.id, 42);
	c.id = 41;
	EXPECT(LT_ECONFLICT, lt_store_change_add(fx->s, &c, &err));
}

/* The catalogue across hubs: the mirror's rows (replaced, counted,
 * emptied, and rolled back with their transaction), the named federation
 * values, and the upstream's acceptances, a later one winning. */
static void test_catalogue_federation(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	char *text = NULL;
	int64_t n = -1;
	EXPECT(LT_ENOTFOUND, lt_store_mirror_get(fx->s, "000.00.01.H17", &text, &err));
	assert_null(text);
	EXPECT(LT_OK, lt_store_mirror_count(fx->s, &n, &err));
	assert_int_equal(n, 0);
	EXPECT(LT_OK, lt_store_mirror_put(fx->s, "000.00.01.H17", "000.00.00.H17", "active", "{\"v\":1}", &err));
	EXPECT(LT_OK, lt_store_mirror_put(fx->s, "000.00.01.H17", "000.00.00.H17", "closed", "{\"v\":2}", &err));
	EXPECT(LT_OK, lt_store_mirror_put(fx->s, "000.00.00.H17", "", "active", "{\"v\":3}", &err));
	EXPECT(LT_OK, lt_store_mirror_get(fx->s, "000.00.01.H17", &text, &err));
	assert_string_equal(text, "{\"v\":2}");
	free(text);
	EXPECT(LT_OK, lt_store_mirror_count(fx->s, &n, &err));
	assert_int_equal(n, 2);
	/* A refused snapshot rolls back: the last good copy stays. */
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	EXPECT(LT_OK, lt_store_mirror_clear(fx->s, &err));
	EXPECT(LT_OK, lt_store_fed_set(fx->s, "mirror.seq", "99", &err));
	lt_store_rollback(fx->s);
	EXPECT(LT_OK, lt_store_mirror_count(fx->s, &n, &err));
	assert_int_equal(n, 2);
	EXPECT(LT_ENOTFOUND, lt_store_fed_get(fx->s, "mirror.seq", &text, &err));
	EXPECT(LT_OK, lt_store_mirror_clear(fx->s, &err));
	EXPECT(LT_OK, lt_store_mirror_count(fx->s, &n, &err));
	assert_int_equal(n, 0);

	EXPECT(LT_OK, lt_store_fed_set(fx->s, "mirror.seq", "12", &err));
	EXPECT(LT_OK, lt_store_fed_set(fx->s, "mirror.seq", "13", &err));
	EXPECT(LT_OK, lt_store_fed_set(fx->s, "mirror.refused", "", &err));
	EXPECT(LT_OK, lt_store_fed_get(fx->s, "mirror.seq", &text, &err));
	assert_string_equal(text, "13");
	free(text);
	EXPECT(LT_OK, lt_store_fed_get(fx->s, "mirror.refused", &text, &err));
	assert_string_equal(text, "");
	free(text);

	char at[32] = "";
	EXPECT(LT_ENOTFOUND, lt_store_upload_get(fx->s, 7, at, &err));
	EXPECT(LT_OK, lt_store_upload_set(fx->s, 7, "2026-12-01T10:00:00Z", &err));
	EXPECT(LT_OK, lt_store_upload_set(fx->s, 7, "2026-12-02T10:00:00Z", &err));
	EXPECT(LT_OK, lt_store_upload_set(fx->s, 7, "2026-11-30T10:00:00Z", &err));
	EXPECT(LT_OK, lt_store_upload_get(fx->s, 7, at, &err));
	assert_string_equal(at, "2026-12-02T10:00:00Z");
	EXPECT(LT_ENOTFOUND, lt_store_upload_get(fx->s, 8, at, &err));
}

static int xop_cb(void *ctx, const struct lt_xdelivery *dl, const struct lt_xdoc *doc, const char *since)
{
	struct seen *w = ctx;
	char item[160];
	snprintf(item, sizeof item, "%s:%s:%s:%s", doc->id, dl->routed_to, dl->state, since);
	seen_add(w, item);
	w->last_rowid = dl->id;
	return 0;
}

static int xwaiting_cb(void *ctx, const struct lt_xwaiting *x)
{
	struct seen *w = ctx;
	char item[160];
	snprintf(item, sizeof item, "%lld:%lld:%lld:%s:%s", (long long)x->system_id, (long long)x->waiting,
		 (long long)x->stuck, x->oldest_doc, x->oldest_since);
	seen_add(w, item);
	return 0;
}

/* The operators' views: deliveries newest first with their filters and
 * cursor, and per system what waits, what is stuck and the oldest. */
static void test_operators_views(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	int64_t a = add_system(fx->s, "A", D4), b = add_system(fx->s, "B", D5);
	struct lt_xdoc d1 = xdoc("d1", "edoc", a, "DOC-1", "2026-03-01T08:00:00Z");
	struct lt_xdoc d2 = xdoc("d2", "edoc", a, "DOC-2", "2026-03-02T08:00:00Z");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d1, &err));
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d2, &err));
	deliver(fx->s, "d1", D5, b, "pending", "2026-03-01T08:00:00Z");
	deliver(fx->s, "d2", D5, b, "pending", "2026-03-02T08:00:00Z");
	deliver(fx->s, "d2", C31, 0, "no_system", "2026-03-02T08:00:00Z");
	int n;
	EXPECT(LT_OK, lt_store_xack(fx->s, "d1", b, "processing", "2026-03-01T09:00:00Z", &n, &err));
	struct seen w = {0};
	struct lt_xop_filter f = {0};
	EXPECT(LT_OK, lt_store_xoperations(fx->s, &f, xop_cb, &w, &err));
	assert_string_equal(w.text, "d2:" C31 ":no_system:,d2:" D5 ":pending:2026-03-02T08:00:00Z,d1:" D5
				    ":processing:2026-03-01T08:00:00Z");
	memset(&w, 0, sizeof w);
	f = (struct lt_xop_filter){.state = "waiting", .since_before = "2026-03-01T12:00:00Z"};
	EXPECT(LT_OK, lt_store_xoperations(fx->s, &f, xop_cb, &w, &err));
	assert_string_equal(w.text, "d1:" D5 ":processing:2026-03-01T08:00:00Z");
	memset(&w, 0, sizeof w);
	f = (struct lt_xop_filter){.recipient = C31, .sender = D4};
	EXPECT(LT_OK, lt_store_xoperations(fx->s, &f, xop_cb, &w, &err));
	assert_int_equal(w.n, 1);
	f = (struct lt_xop_filter){.state = "pending", .before_id = w.last_rowid};
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xoperations(fx->s, &f, xop_cb, &w, &err));
	assert_string_equal(w.text, "d2:" D5 ":pending:2026-03-02T08:00:00Z");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xwaiting(fx->s, "2026-03-02T00:00:00Z", xwaiting_cb, &w, &err));
	char want[160];
	snprintf(want, sizeof want, "%lld:2:0:d1:2026-03-01T08:00:00Z", (long long)b);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_xwaiting(fx->s, "2026-03-03T00:00:00Z", xwaiting_cb, &w, &err));
	snprintf(want, sizeof want, "%lld:2:1:d1:2026-03-01T08:00:00Z", (long long)b);
	assert_string_equal(w.text, want);
}

/* ---- transition campaigns (store_campaigns.h) ---- */

static int camp_row_cb(void *ctx, const struct lt_campaign_row *c)
{
	char item[320];
	snprintf(item, sizeof item, "%s|%s|%s|%s", c->name, c->since, c->under, c->baseline);
	seen_add(ctx, item);
	return LT_OK;
}

static int camp_pair_cb(void *ctx, const char *a, const char *b)
{
	char item[64];
	snprintf(item, sizeof item, "%s>%s", a, b);
	seen_add(ctx, item);
	return LT_OK;
}

static int camp_sys_cb(void *ctx, int64_t id, bool bound, bool exchanged)
{
	char item[64];
	snprintf(item, sizeof item, "%lld:%d%d", (long long)id, bound, exchanged);
	seen_add(ctx, item);
	return LT_OK;
}

static int camp_use_cb(void *ctx, const struct lt_code_use *u)
{
	char item[128];
	snprintf(item, sizeof item, "%lld:%s:%s:%lld:%s", (long long)u->system_id, u->code, u->role,
		 (long long)u->count, u->last);
	seen_add(ctx, item);
	return LT_OK;
}

static void test_campaigns(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	tree(fx->s);
	struct lt_unit q = unit(Q, "", 1, "Ủy ban nhân dân tỉnh Quảng Nam");
	q.status = LT_UNIT_CLOSED;
	snprintf(q.valid_to, sizeof q.valid_to, "2025-07-01");
	put(fx->s, q);
	struct seen w = {0};
	EXPECT(LT_OK, lt_store_closed_since(fx->s, "2025-01-01", camp_pair_cb, &w, &err));
	assert_string_equal(w.text, Q ">2025-07-01");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_closed_since(fx->s, "2025-07-02", camp_pair_cb, &w, &err));
	assert_int_equal(w.n, 0);

	struct lt_campaign_row c = {.plan_id = 0};
	snprintf(c.name, sizeof c.name, "Sáp nhập");
	snprintf(c.since, sizeof c.since, "2025-07-01");
	snprintf(c.under, sizeof c.under, P);
	snprintf(c.baseline, sizeof c.baseline, "2025-07-02T00:00:00Z");
	snprintf(c.created, sizeof c.created, "2026-01-01T00:00:00Z");
	snprintf(c.actor, sizeof c.actor, "cli:test");
	EXPECT(LT_OK, lt_store_campaign_add(fx->s, &c, &err));
	struct lt_campaign_row c2 = c;
	snprintf(c2.name, sizeof c2.name, "Đợt hai");
	EXPECT(LT_OK, lt_store_campaign_add(fx->s, &c2, &err));
	assert_true(c2.id > c.id && c.id > 0);
	struct lt_campaign_row got;
	EXPECT(LT_OK, lt_store_campaign_get(fx->s, c.id, &got, &err));
	assert_string_equal(got.name, "Sáp nhập");
	assert_string_equal(got.under, P);
	EXPECT(LT_ENOTFOUND, lt_store_campaign_get(fx->s, c2.id + 10, &got, &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_campaigns(fx->s, camp_row_cb, &w, &err));
	assert_string_equal(w.text, "Đợt hai|2025-07-01|" P "|2025-07-02T00:00:00Z,Sáp nhập|2025-07-01|" P
				    "|2025-07-02T00:00:00Z");
	EXPECT(LT_OK, lt_store_campaign_code_add(fx->s, c.id, Q, P, &err));
	EXPECT(LT_OK, lt_store_campaign_code_add(fx->s, c.id, Q, P, &err)); /* the same pair twice: once */
	EXPECT(LT_OK, lt_store_campaign_code_add(fx->s, c.id, "000.00.09.H47", "", &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_campaign_codes(fx->s, c.id, camp_pair_cb, &w, &err));
	assert_string_equal(w.text, "000.00.00.H47>" P ",000.00.09.H47>");

	/* Systems: bound to the successor; one that sent to the old code; one
	 * that received from it; one that did neither; one removed. */
	int64_t bound = add_system(fx->s, "Tỉnh", P), sender = add_system(fx->s, "Gửi", D4),
		receiver = add_system(fx->s, "Nhận", C31), other = add_system(fx->s, "Khác", D5);
	(void)other;
	struct lt_xdoc d1 = xdoc("c1", "edoc", sender, "DOC-C1", "2026-03-01T08:00:00Z");
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d1, &err));
	struct lt_xdelivery dl = {.system_id = bound,
				  .addressed = Q,
				  .routed_to = P,
				  .state = "pending",
				  .updated = "2026-03-01T08:00:00Z"};
	snprintf(dl.doc, sizeof dl.doc, "c1");
	EXPECT(LT_OK, lt_store_xdelivery_add(fx->s, &dl, &err));
	struct lt_xdoc d2 = xdoc("c2", "edoc", bound, "DOC-C2", "2026-03-02T08:00:00Z");
	snprintf(d2.from_code, sizeof d2.from_code, Q);
	EXPECT(LT_OK, lt_store_xdoc_add(fx->s, &d2, &err));
	deliver(fx->s, "c2", C31, receiver, "pending", "2026-03-02T08:00:00Z");
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_campaign_systems(fx->s, c.id, "2026-01-01", 0, camp_sys_cb, &w, &err));
	char want[256];
	snprintf(want, sizeof want, "%lld:10,%lld:01,%lld:01", (long long)bound, (long long)sender,
		 (long long)receiver);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w); /* too long ago to count, and the bound one skipped */
	EXPECT(LT_OK, lt_store_campaign_systems(fx->s, c.id, "2026-04-01", bound, camp_sys_cb, &w, &err));
	assert_int_equal(w.n, 0);

	/* Probes. */
	struct lt_probe_row pr = {.campaign_id = c.id, .at = "2026-03-03T00:00:00Z", .actor = "cli:test"};
	EXPECT(LT_ENOTFOUND, lt_store_probe_latest(fx->s, c.id, &pr, &err));
	EXPECT(LT_OK, lt_store_probe_add(fx->s, &pr, &err));
	struct lt_probe_row pr2 = pr;
	EXPECT(LT_OK, lt_store_probe_add(fx->s, &pr2, &err));
	struct lt_probe_row latest;
	EXPECT(LT_OK, lt_store_probe_latest(fx->s, c.id, &latest, &err));
	assert_int_equal(latest.id, pr2.id);
	EXPECT(LT_OK, lt_store_probe_unit_add(fx->s, pr2.id, D5, "c1", &err));
	EXPECT(LT_OK, lt_store_probe_unit_add(fx->s, pr2.id, P, "", &err));
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_probe_units(fx->s, pr2.id, camp_pair_cb, &w, &err));
	assert_string_equal(w.text, P ">," D5 ">c1"); /* tree order */

	/* The first fetch is kept. */
	char at[32];
	EXPECT(LT_OK, lt_store_xfetch_get(fx->s, "c1", bound, at, &err));
	assert_string_equal(at, "");
	EXPECT(LT_OK, lt_store_xfetch_note(fx->s, "c1", bound, "2026-03-04T00:00:00Z", &err));
	EXPECT(LT_OK, lt_store_xfetch_note(fx->s, "c1", bound, "2026-03-05T00:00:00Z", &err));
	EXPECT(LT_OK, lt_store_xfetch_get(fx->s, "c1", bound, at, &err));
	assert_string_equal(at, "2026-03-04T00:00:00Z");

	/* Uses of closed codes, counted per day, summed from a day on. */
	EXPECT(LT_OK, lt_store_code_use_add(fx->s, sender, Q, "recipient", "2026-03-01T08:00:00Z", &err));
	EXPECT(LT_OK, lt_store_code_use_add(fx->s, sender, Q, "recipient", "2026-03-01T09:00:00Z", &err));
	EXPECT(LT_OK, lt_store_code_use_add(fx->s, sender, Q, "recipient", "2026-03-05T09:00:00Z", &err));
	EXPECT(LT_OK, lt_store_code_use_add(fx->s, bound, Q, "sender", "2026-03-02T08:00:00Z", &err));
	assert_int_not_equal(lt_store_code_use_add(fx->s, bound, Q, "neither", "2026-03-02T08:00:00Z", &err), LT_OK);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_code_uses(fx->s, "", 0, camp_use_cb, &w, &err));
	snprintf(want, sizeof want, "%lld:%s:sender:1:2026-03-02T08:00:00Z,%lld:%s:recipient:3:2026-03-05T09:00:00Z",
		 (long long)bound, Q, (long long)sender, Q);
	assert_string_equal(w.text, want);
	memset(&w, 0, sizeof w);
	EXPECT(LT_OK, lt_store_code_uses(fx->s, "2026-03-02", sender, camp_use_cb, &w, &err));
	snprintf(want, sizeof want, "%lld:%s:recipient:1:2026-03-05T09:00:00Z", (long long)sender, Q);
	assert_string_equal(w.text, want);

	/* Reads: the latest is kept, an earlier one never goes back, per system. */
	EXPECT(LT_OK, lt_store_read_get(fx->s, bound, "catalogue", at, &err));
	assert_string_equal(at, "");
	EXPECT(LT_OK, lt_store_read_note(fx->s, bound, "catalogue", "2026-03-06T00:00:00Z", &err));
	EXPECT(LT_OK, lt_store_read_note(fx->s, bound, "catalogue", "2026-03-05T00:00:00Z", &err));
	EXPECT(LT_OK, lt_store_read_note(fx->s, sender, "catalogue", "2026-03-07T00:00:00Z", &err));
	EXPECT(LT_OK, lt_store_read_get(fx->s, bound, "catalogue", at, &err));
	assert_string_equal(at, "2026-03-06T00:00:00Z");
	EXPECT(LT_OK, lt_store_read_get(fx->s, sender, "catalogue", at, &err));
	assert_string_equal(at, "2026-03-07T00:00:00Z");

	/* The hub's sender. */
	int64_t hub = 0;
	EXPECT(LT_ENOTFOUND, lt_store_hub_sender_get(fx->s, "000.00.00.G06", &hub, &err));
	EXPECT(LT_OK, lt_store_hub_sender_set(fx->s, "000.00.00.G06", other, &err));
	EXPECT(LT_OK, lt_store_hub_sender_get(fx->s, "000.00.00.G06", &hub, &err));
	assert_int_equal(hub, other);
}

/* ---- concurrency: two writers on two handles (two nodes) ---- */

struct writer {
	struct lt_store *s;
	int id, n;
	int failed;
	char why[256];
};

enum { WRITES = 40 };

/* Each transaction reads the numbers used, then writes a unit and its
 * event: the registry's own shape of work. */
static void *write_events(void *arg)
{
	struct writer *w = arg;
	for (int i = 0; i < w->n && !w->failed; i++) {
		struct lt_err err = {0};
		char code[LT_CODE_BUFSZ];
		snprintf(code, sizeof code, "000.%02d.%02d.H14", w->id + 1, i + 1);
		unsigned *nums = NULL;
		size_t nn = 0;
		struct lt_unit u = unit(code, P, 3, "Đơn vị");
		struct lt_event ev = event("issue", code, P, "2026-01-01", "{}");
		if (lt_store_begin(w->s, &err) || lt_store_numbers_used(w->s, P, &nums, &nn, &err) ||
		    lt_store_unit_put(w->s, &u, &err) || lt_store_event_append(w->s, &ev, &err) ||
		    lt_store_commit(w->s, &err)) {
			lt_store_rollback(w->s);
			w->failed = 1;
			snprintf(w->why, sizeof w->why, "%s", err.msg);
		}
		free(nums);
	}
	return NULL;
}

struct follower {
	struct lt_store *s;
	_Atomic int stop;
	int64_t last;
	int skipped, failed;
};

static int follow_cb(void *ctx, const struct lt_event *ev)
{
	struct follower *f = ctx;
	if (ev->seq != f->last + 1)
		f->skipped++;
	f->last = ev->seq;
	return 0;
}

/* A consumer that stores the last seq and asks for what follows. */
static void *follow(void *arg)
{
	struct follower *f = arg;
	int idle = 0;
	while (f->last < 2 * WRITES) {
		struct lt_err err = {0};
		int64_t before = f->last;
		if (lt_store_events_after(f->s, f->last, 7, follow_cb, f, &err) != LT_OK) {
			f->failed = 1;
			break;
		}
		if (f->last == before) {
			if (atomic_load(&f->stop) && ++idle > 1000)
				break; /* the writers are done and nothing more comes */
			usleep(500);
		}
	}
	return NULL;
}

static void test_two_writers_feed_order(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	put(fx->s, unit(P, "", 1, "Tỉnh Cao Bằng"));
	struct lt_store *other = open_store(fx->uri), *reader = open_store(fx->uri);
	struct writer w1 = {fx->s, 0, WRITES, 0, ""}, w2 = {other, 1, WRITES, 0, ""};
	struct follower f = {.s = reader};
	pthread_t t1, t2, tf;
	pthread_create(&tf, NULL, follow, &f);
	pthread_create(&t1, NULL, write_events, &w1);
	pthread_create(&t2, NULL, write_events, &w2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	if (w1.failed || w2.failed)
		fail_msg("a writer failed: %s%s", w1.why, w2.why);
	atomic_store(&f.stop, 1);
	pthread_join(tf, NULL);
	assert_false(f.failed);
	assert_int_equal(f.skipped, 0);
	assert_int_equal(f.last, 2 * WRITES);
	int64_t last;
	EXPECT(LT_OK, lt_store_last_seq(fx->s, &last, &err));
	assert_int_equal(last, 2 * WRITES);
	EXPECT(LT_OK, lt_store_integrity_check(fx->s, &err));
	lt_store_close(other);
	lt_store_close(reader);
}

struct sender {
	struct lt_store *s;
	int64_t system_id;
	pthread_barrier_t *go;
	const char *document_id;
	char id[33];
	char got[33];
	int rc;
};

/* What the exchange does for a send: find the DocumentId, else add it, in
 * one transaction. */
static void *send_once(void *arg)
{
	struct sender *x = arg;
	struct lt_err err = {0};
	pthread_barrier_wait(x->go);
	struct lt_xdoc found;
	x->rc = lt_store_begin(x->s, &err);
	if (x->rc)
		return NULL;
	int rc = lt_store_xdoc_find(x->s, x->system_id, "edoc", x->document_id, NULL, &found, &err);
	if (rc == LT_ENOTFOUND) {
		struct lt_xdoc d = xdoc(x->id, "edoc", x->system_id, x->document_id, "2026-03-01T08:00:00Z");
		rc = lt_store_xdoc_add(x->s, &d, &err);
		snprintf(x->got, sizeof x->got, "%s", x->id);
	} else if (rc == LT_OK) {
		snprintf(x->got, sizeof x->got, "%s", found.id);
	}
	x->rc = rc ? rc : lt_store_commit(x->s, &err);
	if (rc)
		lt_store_rollback(x->s);
	return NULL;
}

static void test_idempotent_sends_racing(void **state)
{
	struct fx *fx = *state;
	int64_t a = add_system(fx->s, "A", D4);
	struct lt_store *other = open_store(fx->uri);
	for (int round = 0; round < 5; round++) {
		struct lt_err err = {0};
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, 2);
		char document_id[32];
		snprintf(document_id, sizeof document_id, "RACE-%d", round);
		struct sender x1 = {fx->s, a, &go, document_id, "", "", 0},
			      x2 = {other, a, &go, document_id, "", "", 0};
		snprintf(x1.id, sizeof x1.id, "r%d-one", round);
		snprintf(x2.id, sizeof x2.id, "r%d-two", round);
		pthread_t t1, t2;
		pthread_create(&t1, NULL, send_once, &x1);
		pthread_create(&t2, NULL, send_once, &x2);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		pthread_barrier_destroy(&go);
		assert_int_equal(x1.rc, LT_OK);
		assert_int_equal(x2.rc, LT_OK);
		assert_string_equal(x1.got, x2.got); /* one document, the same reply */
		struct seen w = {0};
		EXPECT(LT_OK, lt_store_xsent(fx->s, a, "edoc", NULL, 0, xdoc_cb, &w, &err));
		assert_int_equal(w.n, round + 1);
	}
	lt_store_close(other);
}

/* PostgreSQL only: the server drops every connection (a restart, a
 * failover, an administrator): the next calls reconnect by themselves. */
static void test_dropped_connections_reconnect(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	put(fx->s, unit(P, "", 1, "Tỉnh Cao Bằng"));
	struct lt_unit u;
	EXPECT(LT_OK, lt_store_unit_get(fx->s, P, &u, &err));
	PGconn *pg = PQconnectdb(fx->uri);
	assert_int_equal(PQstatus(pg), CONNECTION_OK);
	PQclear(PQexec(pg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
			   "AND pid <> pg_backend_pid()"));
	for (int i = 0; i < 200; i++) {
		PGresult *r = PQexec(pg, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
					 "AND pid <> pg_backend_pid()");
		bool gone = strcmp(PQgetvalue(r, 0, 0), "0") == 0;
		PQclear(r);
		if (gone)
			break;
		usleep(10 * 1000);
	}
	PQfinish(pg);
	EXPECT(LT_OK, lt_store_unit_get(fx->s, P, &u, &err));
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	append(fx->s, event("issue", P, "", "2020-01-01", "{}"), 1);
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));
	EXPECT(LT_OK, lt_store_ping(fx->s, &err));
}

/* The same name searches on both backends over the same units give the
 * same units in the same order. */
static void test_search_equal_between_backends(void **state)
{
	struct fx *fx = *state; /* PostgreSQL */
	char dir[64], path[128];
	fixture_tmpdir(dir, sizeof dir, "conform-eq");
	snprintf(path, sizeof path, "%s/t.db", dir);
	struct lt_store *sq = open_store(path);
	static const char *const names[] = {"Ủy ban nhân dân tỉnh Cao Bằng",
					    "Sở Tư pháp",
					    "Sở Y tế – Cao Bằng",
					    "Bệnh viện Đa khoa (tỉnh)",
					    "UBND thành phố Cao Bằng",
					    "Phường Hợp Giang",
					    "Xã Chu Trinh",
					    "Trường THPT Chuyên \"Cao Bằng\"",
					    "Trung tâm Y tế huyện Hà Quảng",
					    "Phòng Giáo dục & Đào tạo",
					    "Chi cục Thuế khu vực I",
					    "Ban Quản lý dự án đầu tư xây dựng",
					    "Đài Phát thanh – Truyền hình",
					    "Thư viện tỉnh",
					    "Công an tỉnh Cao Bằng",
					    "Sở Nông nghiệp và PTNT",
					    "Văn phòng UBND tỉnh",
					    "Xã Ngũ Lão",
					    "Thị trấn Nước Hai",
					    "Phường Sông Bằng",
					    "Bảo tàng tỉnh (cũ)",
					    "Nhà xuất bản Ω",
					    "Ἀθῆναι văn phòng",
					    "Sở Tài nguyên/Môi trường",
					    "Kho bạc Nhà nước — Cao Bằng",
					    "Trạm Y tế xã Đức Long"};
	enum { N = sizeof names / sizeof names[0] };
	for (int i = 0; i < N; i++) {
		char code[LT_CODE_BUFSZ];
		snprintf(code, sizeof code, "000.%02d.%02d.H14", i % 3, i + 1);
		struct lt_unit u = unit(code, i % 3 ? "000.00.00.H14" : "", i % 3 ? 2 : 1, names[i]);
		u.status = i % 5 == 0 ? LT_UNIT_CLOSED : LT_UNIT_ACTIVE;
		put(sq, u);
		put(fx->s, u);
	}
	static const char *const queries[] = {"cao",
					      "cao bang",
					      "y te",
					      "ban",
					      "b",
					      "ph",
					      "phuong song",
					      "xa",
					      "tinh cao",
					      "so",
					      "\"cao",
					      "o",
					      "van phong",
					      "giao duc dao tao",
					      "tai nguyen moi",
					      "nha nuoc",
					      "ngu lao",
					      "ω",
					      "thpt",
					      "ubnd tinh",
					      "x",
					      "th",
					      "dai phat",
					      "i",
					      "1",
					      "a.b",
					      "cao.bang"};
	int compared = 0;
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
		for (int variant = 0; variant < 4; variant++) {
			char fold[256];
			lt_text_fold(queries[i], fold, sizeof fold);
			struct lt_search_query q = words(fold);
			if (variant == 1)
				q.status = LT_FILTER_ACTIVE;
			if (variant == 2)
				q.level = 2;
			if (variant == 3)
				q.parent = "000.00.00.H14";
			struct seen a = search(sq, q), b = search(fx->s, q);
			if (strcmp(a.text, b.text) != 0)
				fail_msg("%s (variant %d): SQLite found %s, PostgreSQL %s", queries[i], variant, a.text,
					 b.text);
			compared += a.n;
		}
	assert_true(compared > 100); /* the queries do find things */
	lt_store_close(sq);
	fixture_rmrf(dir);
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown)
#define PG_(t) cmocka_unit_test_setup_teardown(t, setup_pg, teardown)
/* Long lists (a subtree, the children of a unit) are handed out as they are
 * read, never held whole: the heap grows by far less than the list while
 * its callbacks run. Callbacks may call the store again (a unit's parent
 * here), inside a transaction too; one that stops the list has its status
 * returned and leaves the store usable; many threads listing at once, each
 * calling the store from its callbacks, never starve the connections. */
#define LONG_L2 40 /* level-2 units under P, each with 99 level-3 units */

static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}

struct probe {
	struct lt_store *s;
	size_t base, peak, bytes;
	int n, stop_at;
};

static int probe_cb(void *ctx, const struct lt_unit *u)
{
	struct probe *p = ctx;
	size_t now = heap_in_use();
	if (now > p->base && now - p->base > p->peak)
		p->peak = now - p->base;
	p->bytes += strlen(u->code) + strlen(u->name) + strlen(u->contact.address) + strlen(u->parent);
	struct lt_unit parent;
	struct lt_err err = {0};
	if (p->n++ % 16 == 0 && lt_store_unit_get(p->s, u->parent, &parent, &err) != LT_OK)
		fail_msg("reading %s from a list's callback: %s", u->parent, err.msg);
	return p->stop_at && p->n == p->stop_at ? LT_ECONFLICT : 0;
}

static void *list_in_thread(void *arg)
{
	struct probe *p = arg;
	struct lt_err err = {0};
	int rc = lt_store_children(p->s, "000.00.07.H14", LT_FILTER_ALL, probe_cb, p, &err);
	return (void *)(intptr_t)(rc == LT_OK && p->n == 99);
}

static void test_long_lists_stream(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	put(fx->s, unit(P, "", 1, "Ủy ban nhân dân tỉnh Cao Bằng"));
	char address[301];
	memset(address, 'x', 300);
	address[300] = '\0';
	for (int i = 1; i <= LONG_L2; i++) {
		char code[LT_CODE_BUFSZ], sub[LT_CODE_BUFSZ];
		snprintf(code, sizeof code, "000.00.%02d.H14", i);
		put(fx->s, unit(code, P, 2, "Sở thử nghiệm danh sách dài của tỉnh Cao Bằng"));
		for (int k = 1; k <= 99; k++) {
			snprintf(sub, sizeof sub, "000.%02d.%02d.H14", k, i);
			struct lt_unit u =
				unit(sub, code, 3, "Phòng thử nghiệm danh sách dài thuộc Sở của tỉnh Cao Bằng");
			snprintf(u.contact.address, sizeof u.contact.address, "%s", address);
			put(fx->s, u);
		}
	}
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));

	/* Once first, so that what a backend caches for itself (SQLite's page
	 * cache, a few MB at most whatever the list) is in place. */
	struct probe warm = {.s = fx->s};
	EXPECT(LT_OK, lt_store_subtree(fx->s, P, LT_FILTER_ALL, probe_cb, &warm, &err));
	struct probe p = {.s = fx->s};
	p.base = heap_in_use();
	EXPECT(LT_OK, lt_store_subtree(fx->s, P, LT_FILTER_ALL, probe_cb, &p, &err));
	assert_int_equal(p.n, LONG_L2 * 100);
	assert_true(p.bytes > 1000000);
	if (p.peak > p.bytes / 8)
		fail_msg("the heap grew by %zu bytes while a list of %zu bytes was handed out: held whole", p.peak,
			 p.bytes);

	/* Stopped by its callback: that status, and the store goes on. */
	struct probe stop = {.s = fx->s, .stop_at = 10};
	EXPECT(LT_ECONFLICT, lt_store_subtree(fx->s, P, LT_FILTER_ALL, probe_cb, &stop, &err));
	assert_int_equal(stop.n, 10);
	struct probe again = {.s = fx->s};
	EXPECT(LT_OK, lt_store_children(fx->s, P, LT_FILTER_ALL, probe_cb, &again, &err));
	assert_int_equal(again.n, LONG_L2);

	/* Inside a transaction: the callbacks' calls go to it. */
	EXPECT(LT_OK, lt_store_begin(fx->s, &err));
	struct probe in_txn = {.s = fx->s};
	EXPECT(LT_OK, lt_store_children(fx->s, "000.00.03.H14", LT_FILTER_ALL, probe_cb, &in_txn, &err));
	assert_int_equal(in_txn.n, 99);
	put(fx->s, unit("000.00.99.H14", P, 2, "Sở thêm trong giao dịch"));
	EXPECT(LT_OK, lt_store_commit(fx->s, &err));

	/* More threads listing at once than the pool has connections. */
	enum { THREADS = 24 };
	pthread_t t[THREADS];
	struct probe tp[THREADS];
	for (int i = 0; i < THREADS; i++) {
		tp[i] = (struct probe){.s = fx->s};
		pthread_create(&t[i], NULL, list_in_thread, &tp[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		void *ok;
		pthread_join(t[i], &ok);
		assert_true(ok);
	}
}

#define CASES(X)                                                                                                       \
	X(test_units), X(test_search), X(test_lineage_and_changes), X(test_changes_list), X(test_events),              \
		X(test_event_of_a_unit), X(test_transactions), X(test_generation_across_handles),                      \
		X(test_tokens_systems_audit), X(test_certs), X(test_exchange), X(test_two_writers_feed_order),         \
		X(test_idempotent_sends_racing), X(test_requests_and_orgs), X(test_nested_transactions),               \
		X(test_held_deliveries_follow_lineage), X(test_change_copied_keeps_its_id), X(test_operators_views),   \
		X(test_sent_window), X(test_federation), X(test_catalogue_federation), X(test_long_lists_stream),      \
		X(test_campaigns), X(test_stats_totals), X(test_sent_page_cost), X(test_ack_many_deliveries),          \
		X(test_xdoc_for), X(test_access_changes_move_generation)

int main(void)
{
	const struct CMUnitTest sqlite_cases[] = {CASES(BOTH)};
	int failed = cmocka_run_group_tests_name("store conformance: SQLite", sqlite_cases, NULL, NULL);
	pg_base = getenv("LT_TEST_PG");
	if (!pg_base || !*pg_base) {
		printf("store conformance: PostgreSQL SKIPPED: LT_TEST_PG is not set (ctest runs this suite again "
		       "under scripts/pg-tmp, which starts a throw-away cluster and sets it)\n");
		return failed;
	}
	const struct CMUnitTest pg_cases[] = {CASES(PG_), PG_(test_search_equal_between_backends),
					      PG_(test_pg_exchange_plans), PG_(test_dropped_connections_reconnect)};
	return failed + cmocka_run_group_tests_name("store conformance: PostgreSQL", pg_cases, NULL, NULL);
}
