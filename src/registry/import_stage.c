/* The import's rows on disk (import_stage.h). A private, unnamed SQLite
 * database: SQLite deletes its file on close, and with no journal, no sync
 * and a small page cache it spills to that file as it grows, so 1,000,000
 * rows cost disk, not memory. Its one transaction is never committed: the
 * rows live as long as the import. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_stage.h"

/* Pages the stage keeps in memory (KiB): enough for the sort of its index
 * to run in large steps, bounded whatever the file's size. */
#define STAGE_CACHE_KIB 4096

struct lt__stage {
	sqlite3 *db;
	sqlite3_stmt *put, *each, *refuse, *refused_line, *known;
	/* A row's fields packed into one value (pack): one bind and one column
	 * a row rather than eighteen, which were most of the stage's cost. */
	unsigned char *buf;
	size_t cap;
};

static const char COLS[] = "line, code_col, bad, code, sort_key, f";

static int fail(struct lt__stage *s, struct lt_err *err, const char *what)
{
	return lt_err_set(err, LT_EIO, "import staging: %s: %s", what, s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

void lt__stage_close(struct lt__stage *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->each);
	sqlite3_finalize(s->refuse);
	sqlite3_finalize(s->refused_line);
	sqlite3_finalize(s->known);
	sqlite3_close(s->db);
	free(s->buf);
	free(s);
}

int lt__stage_open(struct lt__stage **out, struct lt_err *err)
{
	*out = NULL;
	struct lt__stage *s = calloc(1, sizeof *s);
	if (!s)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	char sql[1024];
	int rc = LT_OK;
	if (sqlite3_open_v2("", &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = fail(s, err, "opening its file");
		goto out;
	}
	snprintf(sql, sizeof sql,
		 "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE; PRAGMA cache_size=-%d;"
		 "CREATE TABLE r (line INTEGER NOT NULL, code_col INTEGER NOT NULL, bad INTEGER NOT NULL,"
		 " code TEXT NOT NULL, sort_key TEXT NOT NULL, f BLOB NOT NULL, known INTEGER NOT NULL DEFAULT 0); "
		 "BEGIN",
		 STAGE_CACHE_KIB);
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		rc = fail(s, err, "creating its table");
		goto out;
	}
	snprintf(sql, sizeof sql, "INSERT INTO r (%s) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", COLS);
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->put, NULL) != SQLITE_OK)
		rc = fail(s, err, "preparing");
out:
	if (rc)
		lt__stage_close(s);
	else
		*out = s;
	return rc;
}

/* The fields one after another, each a byte saying whether the file has
 * the column, then its text and a NUL: unpacked in place, every present
 * field is a C string inside the value SQLite hands back. Returns the length,
 * or 0 when out of memory. */
static size_t pack(struct lt__stage *s, const char *const f[LT__STAGE_FIELDS])
{
	size_t need = LT__STAGE_FIELDS;
	for (int i = 0; i < LT__STAGE_FIELDS; i++)
		need += f[i] ? strlen(f[i]) + 1 : 0;
	if (need > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		while (cap < need)
			cap *= 2;
		unsigned char *nb = realloc(s->buf, cap);
		if (!nb)
			return 0;
		s->buf = nb;
		s->cap = cap;
	}
	unsigned char *p = s->buf;
	for (int i = 0; i < LT__STAGE_FIELDS; i++) {
		*p++ = f[i] != NULL;
		if (f[i]) {
			size_t n = strlen(f[i]) + 1;
			memcpy(p, f[i], n);
			p += n;
		}
	}
	return (size_t)(p - s->buf);
}

/* pack's inverse; false when the value is not one pack wrote. */
static bool unpack(const unsigned char *p, size_t len, const char *f[LT__STAGE_FIELDS])
{
	const unsigned char *end = p + len;
	for (int i = 0; i < LT__STAGE_FIELDS; i++) {
		if (p >= end)
			return false;
		f[i] = NULL;
		if (*p++) {
			const unsigned char *nul = memchr(p, '\0', (size_t)(end - p));
			if (!nul)
				return false;
			f[i] = (const char *)p;
			p = nul + 1;
		}
	}
	return p == end;
}

int lt__stage_put(struct lt__stage *s, const struct lt__stage_row *r, struct lt_err *err)
{
	sqlite3_stmt *q = s->put;
	sqlite3_bind_int64(q, 1, r->line);
	sqlite3_bind_int(q, 2, r->code_col);
	sqlite3_bind_int(q, 3, r->bad);
	sqlite3_bind_text(q, 4, r->code ? r->code : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, r->sort_key ? r->sort_key : "", -1, SQLITE_STATIC);
	size_t len = pack(s, r->f);
	if (!len)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	sqlite3_bind_blob(q, 6, s->buf, (int)len, SQLITE_STATIC);
	int rc = sqlite3_step(q) == SQLITE_DONE ? LT_OK : fail(s, err, "writing a row");
	sqlite3_reset(q);
	return rc;
}

int lt__stage_sorted(struct lt__stage *s, struct lt_err *err)
{
	/* One sort when the loading ends, rather than an index kept in order
	 * row by row. */
	char sql[512];
	if (sqlite3_exec(s->db, "CREATE INDEX r_order ON r(sort_key, line)", NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, err, "sorting the rows");
	snprintf(sql, sizeof sql, "SELECT rowid, %s, known FROM r INDEXED BY r_order ORDER BY sort_key, line", COLS);
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->each, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "UPDATE r SET bad = 1 WHERE rowid = ?1", -1, SQLITE_PREPARE_PERSISTENT,
			       &s->refuse, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "SELECT line FROM r WHERE sort_key = ?1 AND bad = 1 ORDER BY line LIMIT 1", -1,
			       SQLITE_PREPARE_PERSISTENT, &s->refused_line, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "UPDATE r INDEXED BY r_order SET known = 1 WHERE sort_key = ?1", -1,
			       SQLITE_PREPARE_PERSISTENT, &s->known, NULL) != SQLITE_OK)
		return fail(s, err, "preparing");
	return LT_OK;
}

int lt__stage_rewind(struct lt__stage *s)
{
	if (s->each)
		sqlite3_reset(s->each);
	return LT_OK;
}

int lt__stage_next(struct lt__stage *s, struct lt__stage_row *r, struct lt_err *err)
{
	if (!s->each)
		return lt_err_set(err, LT_EIO, "internal error: the import's rows are not sorted yet");
	int rc = sqlite3_step(s->each);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s->each);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return fail(s, err, "reading the rows back");
	sqlite3_stmt *q = s->each;
	r->id = sqlite3_column_int64(q, 0);
	r->line = (long)sqlite3_column_int64(q, 1);
	r->code_col = sqlite3_column_int(q, 2);
	r->bad = sqlite3_column_int(q, 3) != 0;
	r->code = (const char *)sqlite3_column_text(q, 4);
	r->sort_key = (const char *)sqlite3_column_text(q, 5);
	r->known = sqlite3_column_int(q, 7) != 0;
	const unsigned char *f = sqlite3_column_blob(q, 6);
	if (!f || !unpack(f, (size_t)sqlite3_column_bytes(q, 6), r->f))
		return lt_err_set(err, LT_EIO, "import staging: a row read back is damaged");
	return 1;
}

int lt__stage_refuse(struct lt__stage *s, int64_t id, struct lt_err *err)
{
	sqlite3_bind_int64(s->refuse, 1, id);
	int rc = sqlite3_step(s->refuse) == SQLITE_DONE ? LT_OK : fail(s, err, "marking a row refused");
	sqlite3_reset(s->refuse);
	return rc;
}

int lt__stage_known(struct lt__stage *s, const char *sort_key, size_t *rows, struct lt_err *err)
{
	if (!s->known)
		return lt_err_set(err, LT_EIO, "internal error: the import's rows are not sorted yet");
	sqlite3_bind_text(s->known, 1, sort_key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s->known) == SQLITE_DONE ? LT_OK : fail(s, err, "marking the registry's codes");
	if (rc == LT_OK)
		*rows += (size_t)sqlite3_changes(s->db);
	sqlite3_reset(s->known);
	return rc;
}

long lt__stage_refused_line(struct lt__stage *s, const char *sort_key)
{
	long line = 0;
	sqlite3_bind_text(s->refused_line, 1, sort_key, -1, SQLITE_STATIC);
	if (sqlite3_step(s->refused_line) == SQLITE_ROW)
		line = (long)sqlite3_column_int64(s->refused_line, 0);
	sqlite3_reset(s->refused_line);
	return line;
}

int lt__stage_refused(struct lt__stage *s, size_t *n, struct lt_err *err)
{
	sqlite3_stmt *q;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM r WHERE bad = 1", -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "counting refused rows");
	int rc = sqlite3_step(q) == SQLITE_ROW ? LT_OK : fail(s, err, "counting refused rows");
	if (rc == LT_OK)
		*n = (size_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc;
}
