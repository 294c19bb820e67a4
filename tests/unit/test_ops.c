/* Operations at the store level: the snapshot a backup takes records the
 * bodies retention removed while it ran, and the issue journal claims only
 * the codes of events that can commit, refuses events while the store is
 * behind it (but takes a mirror's copies), and lends its claims to
 * allocation. */
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

struct fx {
	char dir[64];
	char db[128], journal[128];
	struct lt_store *s;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "ops");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	snprintf(fx->journal, sizeof fx->journal, "%s/issue.journal", fx->dir);
	struct lt_err err = {0};
	if (lt_store_open(&fx->s, fx->db, &err) != LT_OK)
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

static int append(struct lt_store *s, const char *code, struct lt_err *err)
{
	struct lt_event ev = {0};
	snprintf(ev.kind, sizeof ev.kind, "issue");
	snprintf(ev.code, sizeof ev.code, "%s", code);
	snprintf(ev.parent, sizeof ev.parent, "000.00.00.H14");
	snprintf(ev.at, sizeof ev.at, "2026-12-07T10:00:00Z");
	snprintf(ev.effective, sizeof ev.effective, "2026-12-07");
	ev.data = strdup("{}");
	int rc = lt_store_event_append(s, &ev, err);
	lt_event_clear(&ev);
	return rc;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* ---- the snapshot ---- */

static void add_doc(struct lt_store *s, const char *id, int64_t system_id)
{
	struct lt_xdoc d = {0};
	snprintf(d.id, sizeof d.id, "%s", id);
	snprintf(d.kind, sizeof d.kind, "edoc");
	snprintf(d.document_id, sizeof d.document_id, "doc-%s", id);
	d.system_id = system_id;
	snprintf(d.from_code, sizeof d.from_code, "000.00.00.G22");
	snprintf(d.sha256, sizeof d.sha256, "%064d", 0);
	d.size = 10;
	snprintf(d.received, sizeof d.received, "2026-12-07T10:00:00Z");
	d.doctype = -1;
	struct lt_err err = {0};
	if (lt_store_xdoc_add(s, &d, &err) != LT_OK)
		fail_msg("xdoc_add: %s", err.msg);
}

struct seen {
	int calls;
};

/* The first body is copied, the second is gone (retention removed it after
 * the snapshot). */
static int body_cb(void *ctx, enum lt_snapshot_file kind, const char *id, int n, const char *sha)
{
	struct seen *s = ctx;
	assert_int_equal(kind, LT_SNAPSHOT_PACKAGE);
	assert_int_equal(n, 0);
	s->calls++;
	assert_int_equal(strlen(sha), 64);
	return strncmp(id, "bb", 2) == 0 ? 1 : 0;
}

static void test_snapshot_records_bodies_gone(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_system sys = {0};
	snprintf(sys.name, sizeof sys.name, "VPCP");
	snprintf(sys.created, sizeof sys.created, "2026-12-07T10:00:00Z");
	snprintf(sys.primary_code, sizeof sys.primary_code, "000.00.00.G22");
	assert_int_equal(lt_store_system_add(fx->s, &sys, &err), LT_OK);
	add_doc(fx->s, "aa000000000000000000000000000000", sys.id);
	add_doc(fx->s, "bb000000000000000000000000000000", sys.id);
	assert_int_equal(append(fx->s, "000.00.01.H14", &err), LT_OK);

	char copy[160];
	snprintf(copy, sizeof copy, "%s/copy.db", fx->dir);
	struct seen seen = {0};
	int64_t last = -1;
	if (lt_store_snapshot(fx->s, copy, body_cb, &seen, &last, &err) != LT_OK)
		fail_msg("snapshot: %s", err.msg);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(last, 1);
	/* A snapshot does not overwrite: the file is new or the call fails. */
	assert_int_equal(lt_store_snapshot(fx->s, copy, body_cb, &seen, &last, &err), LT_EIO);

	struct lt_store *c = NULL;
	assert_int_equal(lt_store_open(&c, copy, &err), LT_OK);
	struct lt_xdoc d;
	assert_int_equal(lt_store_xdoc_get(c, "aa000000000000000000000000000000", &d, &err), LT_OK);
	assert_false(d.body_removed);
	assert_int_equal(lt_store_xdoc_get(c, "bb000000000000000000000000000000", &d, &err), LT_OK);
	assert_true(d.body_removed);
	int64_t seq = -1;
	assert_int_equal(lt_store_last_seq(c, &seq, &err), LT_OK);
	assert_int_equal(seq, 1);
	lt_store_close(c);
	/* The live database is untouched. */
	assert_int_equal(lt_store_xdoc_get(fx->s, "bb000000000000000000000000000000", &d, &err), LT_OK);
	assert_false(d.body_removed);
}

/* ---- the issue journal ---- */

static void test_journal_claims_only_what_commits(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	assert_int_equal(lt_store_journal_open(fx->s, fx->journal, &err), LT_OK);
	assert_int_equal(lt_store_begin(fx->s, &err), LT_OK);
	assert_int_equal(lt_store_part(fx->s, LT_PART_BEGIN, &err), LT_OK);
	assert_int_equal(append(fx->s, "000.00.07.H14", &err), LT_OK);
	assert_int_equal(lt_store_part(fx->s, LT_PART_ROLLBACK, &err), LT_OK);
	assert_int_equal(append(fx->s, "000.00.08.H14", &err), LT_OK);
	assert_int_equal(lt_store_commit(fx->s, &err), LT_OK);
	/* A rolled-back transaction claims nothing. */
	assert_int_equal(lt_store_begin(fx->s, &err), LT_OK);
	assert_int_equal(append(fx->s, "000.00.09.H14", &err), LT_OK);
	lt_store_rollback(fx->s);
	const char *text = slurp(fx->journal);
	assert_null(strstr(text, "c 000.00.07.H14\n"));
	assert_non_null(strstr(text, "c 000.00.08.H14\ns 1\n"));
	assert_null(strstr(text, "c 000.00.09.H14\n"));
	int64_t mark, last;
	assert_int_equal(lt_store_journal_status(fx->s, &mark, &last, &err), LT_OK);
	assert_int_equal(mark, 1);
	assert_int_equal(last, 1);
}

static void test_journal_behind_refuses_but_takes_copies(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	assert_int_equal(lt_store_journal_open(fx->s, fx->journal, &err), LT_OK);
	assert_int_equal(lt_store_begin(fx->s, &err), LT_OK);
	assert_int_equal(append(fx->s, "000.00.03.H14", &err), LT_OK);
	assert_int_equal(append(fx->s, "000.00.04.H14", &err), LT_OK);
	assert_int_equal(lt_store_commit(fx->s, &err), LT_OK);

	/* Another, older database with the same journal. */
	char older[160];
	snprintf(older, sizeof older, "%s/older.db", fx->dir);
	struct lt_store *o = NULL;
	assert_int_equal(lt_store_open(&o, older, &err), LT_OK);
	assert_int_equal(lt_store_journal_open(o, fx->journal, &err), LT_OK);
	assert_int_equal(lt_store_begin(o, &err), LT_OK);
	assert_int_equal(append(o, "000.00.05.H14", &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "behind its issue journal"));
	lt_store_rollback(o);
	assert_int_equal(append(o, "000.00.05.H14", &err), LT_ERULE); /* outside a transaction too */
	int64_t seq = -1;
	assert_int_equal(lt_store_last_seq(o, &seq, &err), LT_OK);
	assert_int_equal(seq, 0);
	/* Numbers the journal claims are used numbers. */
	unsigned *used = NULL;
	size_t n = 0;
	assert_int_equal(lt_store_numbers_used(o, "000.00.00.H14", &used, &n, &err), LT_OK);
	assert_int_equal(n, 2);
	assert_true((used[0] == 3 && used[1] == 4) || (used[0] == 4 && used[1] == 3));
	free(used);
	/* A mirror's copies are what it lacks: taken. */
	assert_int_equal(lt_store_begin(o, &err), LT_OK);
	lt_store_journal_replaying(o, true);
	assert_int_equal(append(o, "000.00.03.H14", &err), LT_OK);
	assert_int_equal(append(o, "000.00.04.H14", &err), LT_OK);
	assert_int_equal(lt_store_commit(o, &err), LT_OK);
	/* Caught up: changes are taken again, and replaying ended with the
	 * transaction. */
	assert_int_equal(append(o, "000.00.05.H14", &err), LT_OK);
	int64_t mark, last;
	assert_int_equal(lt_store_journal_status(o, &mark, &last, &err), LT_OK);
	assert_int_equal(mark, 3);
	assert_int_equal(last, 3);
	lt_store_close(o);
}

static void test_journal_damaged(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	FILE *f = fopen(fx->journal, "w");
	assert_non_null(f);
	fputs("# journal\nc 000.00.03.H14\ns 0\nc 000.00.0", f); /* torn last line */
	fclose(f);
	assert_int_equal(lt_store_journal_open(fx->s, fx->journal, &err), LT_OK);
	int64_t mark, last;
	assert_int_equal(lt_store_journal_status(fx->s, &mark, &last, &err), LT_OK);
	assert_int_equal(mark, 0);
	f = fopen(fx->journal, "a");
	fputs("4.H14\nseq 12\n", f);
	fclose(f);
	assert_int_equal(lt_store_journal_status(fx->s, &mark, &last, &err), LT_EIO);
	assert_non_null(strstr(err.msg, "line 5"));
	assert_int_equal(append(fx->s, "000.00.05.H14", &err), LT_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot_records_bodies_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_claims_only_what_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_behind_refuses_but_takes_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_damaged, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
