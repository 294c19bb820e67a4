/* A store conformance case: the exchange statistics read from running
 * totals (SQLite 15, PostgreSQL 7) give exactly what the aggregate over every
 * stored row gave before them, on a varied history: several days across a
 * month's end, senders and recipients, edoc and status packages, a document
 * delivered twice to one code, merged, held, claimed and re-routed
 * deliveries, acknowledgements, statuses 01 and 06 from recipients and from
 * others, a later status received earlier than the first, and `from`/`to`
 * at and around every edge. Then the totals are dropped and the migration
 * run again on the stored rows: its backfill gives the same answers.
 *
 * The reference is the aggregate each backend ran until the totals (kept
 * here, not in the store). The counts /metrics reports come from totals
 * too, and equal counting the rows. Include after <cmocka.h> and <libpq-fe.h>. */
#ifndef LT_TEST_CONFORMANCE_XSTATS_H
#define LT_TEST_CONFORMANCE_XSTATS_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/store.h"

#define CX_SQ_LAT(code)                                                                                                \
	"(SELECT min(unixepoch(s.received)) FROM xstatuses s WHERE s.ref_doc = dels.doc AND s.code = '" code           \
	"' AND s.from_code = dels.routed_to) - unixepoch(dels.sent)"
static const char CX_SQ_REFERENCE[] =
	"WITH docs AS (SELECT d.*, CASE ?3 WHEN 'day' THEN substr(d.received, 1, 10) "
	"  WHEN 'month' THEN substr(d.received, 1, 7) WHEN 'sender' THEN d.from_code END AS k "
	"  FROM xdocs d WHERE d.kind = 'edoc' AND (?1 = '' OR substr(d.received, 1, 10) >= ?1) "
	"  AND (?2 = '' OR substr(d.received, 1, 10) <= ?2)), "
	"dels AS (SELECT l.*, docs.received AS sent, CASE ?3 WHEN 'recipient' THEN l.routed_to ELSE docs.k END AS k "
	"  FROM xdeliveries l JOIN docs ON docs.id = l.doc WHERE l.state <> 'merged'), "
	"lat AS (SELECT dels.k, " CX_SQ_LAT("01") " AS l01, " CX_SQ_LAT(
		"06") " AS l06 FROM dels) "
		      "SELECT k, "
		      "  CASE WHEN ?3 = 'recipient' THEN (SELECT count(DISTINCT doc) FROM dels WHERE dels.k = g.k) "
		      "       ELSE (SELECT count(*) FROM docs WHERE docs.k = g.k) END, "
		      "  CASE WHEN ?3 = 'recipient' THEN (SELECT coalesce(sum(d2.size), 0) FROM xdocs d2 WHERE d2.id "
		      "IN "
		      "       (SELECT doc FROM dels WHERE dels.k = g.k)) "
		      "       ELSE (SELECT coalesce(sum(size), 0) FROM docs WHERE docs.k = g.k) END, "
		      "  (SELECT count(*) FROM dels WHERE dels.k = g.k), "
		      "  (SELECT avg(l01) FROM lat WHERE lat.k = g.k), (SELECT count(l01) FROM lat WHERE lat.k = g.k), "
		      "  (SELECT avg(l06) FROM lat WHERE lat.k = g.k), (SELECT count(l06) FROM lat WHERE lat.k = g.k) "
		      "FROM (SELECT DISTINCT k FROM docs WHERE ?3 <> 'recipient' UNION "
		      "      SELECT DISTINCT k FROM dels WHERE ?3 = 'recipient') g WHERE k IS NOT NULL ORDER BY k";

#define CX_PG_EPOCH(x) "floor(extract(epoch FROM (" x ")::timestamptz))"
#define CX_PG_LAT(code)                                                                                                \
	"(SELECT min(" CX_PG_EPOCH("s.received") ") FROM xstatuses s WHERE s.ref_doc = dels.doc AND s.code = '" code   \
						 "' AND s.from_code = dels.routed_to) - " CX_PG_EPOCH("dels.sent")
static const char CX_PG_REFERENCE[] =
	"WITH docs AS (SELECT d.*, CASE $3::text WHEN 'day' THEN substr(d.received, 1, 10) "
	"  WHEN 'month' THEN substr(d.received, 1, 7) WHEN 'sender' THEN d.from_code END AS k "
	"  FROM xdocs d WHERE d.kind = 'edoc' AND ($1::text = '' OR substr(d.received, 1, 10) >= $1::text) "
	"  AND ($2::text = '' OR substr(d.received, 1, 10) <= $2::text)), "
	"dels AS (SELECT l.*, docs.received AS sent, CASE $3::text WHEN 'recipient' THEN l.routed_to ELSE docs.k END "
	"  AS k FROM xdeliveries l JOIN docs ON docs.id = l.doc WHERE l.state <> 'merged'), "
	"lat AS (SELECT dels.k, " CX_PG_LAT("01") " AS l01, " CX_PG_LAT(
		"06") " AS l06 FROM dels) "
		      "SELECT k, "
		      "  CASE WHEN $3::text = 'recipient' THEN (SELECT count(DISTINCT doc) FROM dels WHERE dels.k = "
		      "g.k) "
		      "       ELSE (SELECT count(*) FROM docs WHERE docs.k = g.k) END, "
		      "  CASE WHEN $3::text = 'recipient' THEN (SELECT coalesce(sum(d2.size), 0) FROM xdocs d2 WHERE "
		      "d2.id IN "
		      "       (SELECT doc FROM dels WHERE dels.k = g.k)) "
		      "       ELSE (SELECT coalesce(sum(size), 0) FROM docs WHERE docs.k = g.k) END, "
		      "  (SELECT count(*) FROM dels WHERE dels.k = g.k), "
		      "  (SELECT avg(l01)::float8 FROM lat WHERE lat.k = g.k), (SELECT count(l01) FROM lat WHERE lat.k "
		      "= g.k), "
		      "  (SELECT avg(l06)::float8 FROM lat WHERE lat.k = g.k), (SELECT count(l06) FROM lat WHERE lat.k "
		      "= g.k) "
		      "FROM (SELECT DISTINCT k FROM docs WHERE $3::text <> 'recipient' UNION "
		      "      SELECT DISTINCT k FROM dels WHERE $3::text = 'recipient') g WHERE k IS NOT NULL ORDER BY "
		      "k";

struct cx_text {
	char s[8192];
};

/* One row as both sides print it: means to the millisecond, -1 for none. */
static void cx_row(struct cx_text *t, const char *key, long long docs, long long bytes, long long dels, double m01,
		   long long n01, double m06, long long n06)
{
	size_t len = strlen(t->s);
	snprintf(t->s + len, sizeof t->s - len, "%s%s:%lld:%lld:%lld:%.3f:%lld:%.3f:%lld", len ? "," : "", key, docs,
		 bytes, dels, m01, n01, m06, n06);
}

static int cx_stat_cb(void *ctx, const struct lt_xstat_row *r)
{
	cx_row(ctx, r->key, (long long)r->documents, (long long)r->bytes, (long long)r->deliveries, r->sent_to_01_s,
	       (long long)r->n_01, r->sent_to_06_s, (long long)r->n_06);
	return 0;
}

static void cx_reference_sqlite(const char *path, const char *from, const char *to, const char *by, struct cx_text *t)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, CX_SQ_REFERENCE, -1, &q, NULL) != SQLITE_OK)
		fail_msg("the reference aggregate on %s: %s", path, sqlite3_errmsg(db));
	const char *v[] = {from, to, by};
	for (int i = 0; i < 3; i++)
		sqlite3_bind_text(q, i + 1, v[i], -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		cx_row(t, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1),
		       sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3),
		       sqlite3_column_type(q, 4) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 4),
		       sqlite3_column_int64(q, 5),
		       sqlite3_column_type(q, 6) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 6),
		       sqlite3_column_int64(q, 7));
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void cx_reference_pg(const char *uri, const char *from, const char *to, const char *by, struct cx_text *t)
{
	PGconn *pg = PQconnectdb(uri);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("connecting to %s: %s", uri, PQerrorMessage(pg));
	const char *v[] = {from, to, by};
	PGresult *r = PQexecParams(pg, CX_PG_REFERENCE, 3, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("the reference aggregate: %s", PQerrorMessage(pg));
	for (int i = 0; i < PQntuples(r); i++)
		cx_row(t, PQgetvalue(r, i, 0), atoll(PQgetvalue(r, i, 1)), atoll(PQgetvalue(r, i, 2)),
		       atoll(PQgetvalue(r, i, 3)), PQgetisnull(r, i, 4) ? -1 : strtod(PQgetvalue(r, i, 4), NULL),
		       atoll(PQgetvalue(r, i, 5)), PQgetisnull(r, i, 6) ? -1 : strtod(PQgetvalue(r, i, 6), NULL),
		       atoll(PQgetvalue(r, i, 7)));
	PQclear(r);
	PQfinish(pg);
}

/* The counts /metrics reports, from the totals, equal counting the rows. */
static void cx_counts_compare(struct lt_store *s, bool pg, const char *uri)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM xdocs WHERE kind = 'edoc'), (SELECT count(*) FROM xdocs WHERE kind = "
		"'status'), (SELECT coalesce(sum(size), 0) FROM xdocs), (SELECT count(*) FROM xdeliveries WHERE state "
		"= "
		"'pending'), (SELECT count(*) FROM xdeliveries WHERE state = 'processing'), (SELECT count(*) FROM "
		"xdeliveries WHERE state = 'done'), (SELECT count(*) FROM xdeliveries WHERE state = 'fail'), (SELECT "
		"count(*) FROM xdeliveries WHERE state = 'refused'), (SELECT count(*) FROM xdeliveries WHERE state = "
		"'merged'), (SELECT count(*) FROM xdeliveries WHERE state = 'no_system'), (SELECT count(*) FROM "
		"xdeliveries WHERE state = 'expired'), (SELECT count(*) FROM xdeliveries WHERE state = 'relay'), "
		"(SELECT count(*) FROM xdeliveries WHERE state = 'relayed')";
	int64_t got[LT_XCOUNTS], want[LT_XCOUNTS];
	struct lt_err err = {0};
	assert_int_equal(lt_store_xcounts(s, got, &err), LT_OK);
	if (pg) {
		PGconn *c = PQconnectdb(uri);
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("counting: %s", PQerrorMessage(c));
		for (int i = 0; i < LT_XCOUNTS; i++)
			want[i] = atoll(PQgetvalue(r, 0, i));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = NULL;
		sqlite3_stmt *q = NULL;
		if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
			fail_msg("counting: %s", sqlite3_errmsg(db));
		for (int i = 0; i < LT_XCOUNTS; i++)
			want[i] = sqlite3_column_int64(q, i);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	for (int i = 0; i < LT_XCOUNTS; i++)
		if (got[i] != want[i])
			fail_msg("count %d: %lld from the totals, %lld rows", i, (long long)got[i], (long long)want[i]);
}

/* Every grouping over every window of interest: the totals' answer is the
 * reference's, character for character. Returns how many answers were not
 * empty, so a caller can tell the history was seen. */
static int cx_compare(struct lt_store *s, bool pg, const char *uri)
{
	static const char *const bys[] = {"day", "month", "sender", "recipient"};
	static const char *const windows[][2] = {
		{"", ""},
		{"2026-02-27", ""},
		{"2026-02-28", ""},
		{"", "2026-02-28"},
		{"2026-03-01", "2026-03-01"},
		{"2026-03-01", "2026-03-02"},
		{"2026-02-28", "2026-03-03"},
		{"2026-03-04", ""},
		{"", "2026-02-26"},
	};
	int seen = 0;
	for (size_t b = 0; b < sizeof bys / sizeof bys[0]; b++)
		for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
			struct cx_text got = {{0}}, want = {{0}};
			struct lt_err err = {0};
			assert_int_equal(
				lt_store_xstats(s, windows[w][0], windows[w][1], bys[b], cx_stat_cb, &got, &err),
				LT_OK);
			if (pg)
				cx_reference_pg(uri, windows[w][0], windows[w][1], bys[b], &want);
			else
				cx_reference_sqlite(uri, windows[w][0], windows[w][1], bys[b], &want);
			if (strcmp(got.s, want.s) != 0)
				fail_msg("by %s from '%s' to '%s':\n  totals    %s\n  aggregate %s", bys[b],
					 windows[w][0], windows[w][1], got.s, want.s);
			seen += got.s[0] != 0;
		}
	cx_counts_compare(s, pg, uri);
	return seen;
}

static void cx_sql(bool pg, const char *uri, const char *sql)
{
	if (pg) {
		PGconn *c = PQconnectdb(uri);
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return;
	}
	sqlite3 *db = NULL;
	char *msg = NULL;
	if (sqlite3_open(uri, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Drops the totals and their triggers and forgets the migration that made
 * them (SQLite's latest; PostgreSQL's 7 and those after it), so the next
 * open runs it again over the rows stored. */
static void cx_forget_totals(bool pg, const char *uri)
{
	static const char sq[] =
		"DROP TRIGGER xstat_doc_add; DROP TRIGGER xstat_del_add; DROP TRIGGER xstat_del_move;"
		"DROP TRIGGER xstat_status_add; DROP TABLE xstat_docs; DROP TABLE xstat_dels; DROP INDEX xdocs_sent;"
		"DROP TRIGGER xcount_doc; DROP TRIGGER xcount_del_add; DROP TRIGGER xcount_del_state;"
		"DROP TABLE xcounts;"
		"DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)";
	static const char pq[] =
		"DROP TABLE xstat_docs; DROP TABLE xstat_dels; DROP TABLE xcounts;"
		"DROP TRIGGER xstat_del ON xdeliveries; DROP TRIGGER xstat_doc ON xdocs;"
		"DROP TRIGGER xstat_status ON xstatuses; DROP INDEX xdocs_sent;"
		"DROP FUNCTION xstat_del_trg(); DROP FUNCTION xstat_doc_trg(); DROP FUNCTION xstat_status_trg();"
		"DROP FUNCTION xstat_del(bigint, xdeliveries);"
		"DELETE FROM schema_version WHERE version >= 7"; /* the later ones run again too: they allow it */
	cx_sql(pg, uri, pg ? pq : sq);
}

#endif
