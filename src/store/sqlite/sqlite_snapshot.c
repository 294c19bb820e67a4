/* An online backup of the SQLite store: SQLite's backup API copies every
 * page in one step under one read transaction, so the copy is the database
 * as of one commit while the daemon keeps writing (WAL: readers do not block
 * the writer). The copy is then made self-contained (no -wal file), its
 * package rows are reconciled with the bodies the caller could copy, and
 * the caller copies the change requests' files it names. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_store.h"

static int copy_fail(sqlite3 *db, struct lt_err *err, const char *what, const char *dest)
{
	return lt_err_set(err, LT_EIO, "backup: %s %s: %s", what, dest, db ? sqlite3_errmsg(db) : "out of memory");
}

/* Asks the caller to copy each body the copy's rows refer to; a body that
 * is gone is recorded as removed in the copy, as retention records it in
 * the live database (rows first, then the file). */
static int reconcile_bodies(sqlite3 *dst, const char *dest, lt_snapshot_body_cb cb, void *ctx, struct lt_err *err)
{
	sqlite3_stmt *q = NULL, *mark = NULL;
	int ret = LT_OK;
	if (sqlite3_prepare_v2(dst, "SELECT id, sha256 FROM xdocs WHERE body_removed = 0 ORDER BY id", -1, &q, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(dst, "UPDATE xdocs SET body_removed = 1 WHERE id = ?1", -1, &mark, NULL) != SQLITE_OK) {
		ret = copy_fail(dst, err, "reading the packages of", dest);
		goto out;
	}
	if (sqlite3_exec(dst, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		ret = copy_fail(dst, err, "writing", dest);
		goto out;
	}
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(q, 0);
		const char *sha = (const char *)sqlite3_column_text(q, 1);
		int got = cb(ctx, LT_SNAPSHOT_PACKAGE, id ? id : "", 0, sha ? sha : "");
		if (got < 0) {
			ret = got;
			break;
		}
		if (got == 1) {
			sqlite3_bind_text(mark, 1, id, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(mark) != SQLITE_DONE) {
				ret = copy_fail(dst, err, "writing", dest);
				break;
			}
			sqlite3_reset(mark);
		}
	}
	if (ret == LT_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = copy_fail(dst, err, "reading the packages of", dest);
	sqlite3_reset(q);
	if (sqlite3_exec(dst, ret == LT_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK && ret == LT_OK)
		ret = copy_fail(dst, err, "writing", dest);
out:
	sqlite3_finalize(q);
	sqlite3_finalize(mark);
	return ret;
}

/* A change request's files are never removed: each one the copy names is
 * handed to the caller, which must copy it. */
static int request_files(sqlite3 *dst, const char *dest, lt_snapshot_body_cb cb, void *ctx, struct lt_err *err)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(dst, "SELECT request_id, n, sha256 FROM request_files ORDER BY request_id, n", -1, &q,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		return copy_fail(dst, err, "reading the request files of", dest);
	}
	int rc, ret = LT_OK;
	while (ret == LT_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		char id[32];
		snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(q, 0));
		const char *sha = (const char *)sqlite3_column_text(q, 2);
		int got = cb(ctx, LT_SNAPSHOT_REQUEST_FILE, id, sqlite3_column_int(q, 1), sha ? sha : "");
		if (got < 0)
			ret = got;
		else if (got != 0)
			ret = lt_err_set(err, LT_EIO, "backup: request %s's file %d is missing", id,
					 sqlite3_column_int(q, 1));
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = copy_fail(dst, err, "reading the request files of", dest);
	sqlite3_finalize(q);
	return ret;
}

static int64_t last_seq_of(sqlite3 *db)
{
	sqlite3_stmt *q;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM events", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

int lt__sq_snapshot(struct lt_store *s, const char *dest, lt_snapshot_body_cb cb, void *ctx, int64_t *last_seq,
		    struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	sqlite3 *dst = NULL;
	/* Created here, new and for its owner only: it holds what the live
	 * database holds. An empty file is an empty SQLite database. */
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return lt_err_set(err, LT_EIO, "backup: cannot create %s: %s", dest, strerror(errno));
	close(fd);
	if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		int rc = copy_fail(dst, err, "cannot open", dest);
		sqlite3_close(dst);
		unlink(dest);
		return rc;
	}
	struct lt__sq_conn *src = lt__sq_acquire(st, false, err);
	if (!src) {
		sqlite3_close(dst);
		unlink(dest);
		return LT_EIO;
	}
	int ret = LT_OK;
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src->db, "main");
	if (!b) {
		ret = copy_fail(dst, err, "cannot start copying to", dest);
	} else {
		/* -1: every page in one step, under one read transaction of the
		 * source, so no commit in between can show half in the copy. */
		int rc = sqlite3_backup_step(b, -1);
		if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE)
			ret = copy_fail(dst, err, "copying the database to", dest);
	}
	lt__sq_release(st, src);
	/* A backup is one file: the copy of a WAL database is switched to a
	 * rollback journal, which also syncs it. */
	if (ret == LT_OK &&
	    sqlite3_exec(dst, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK)
		ret = copy_fail(dst, err, "finishing", dest);
	if (ret == LT_OK && (*last_seq = last_seq_of(dst)) < 0)
		ret = copy_fail(dst, err, "reading the event log of", dest);
	if (ret == LT_OK)
		ret = reconcile_bodies(dst, dest, cb, ctx, err);
	if (ret == LT_OK)
		ret = request_files(dst, dest, cb, ctx, err);
	if (sqlite3_close(dst) != SQLITE_OK && ret == LT_OK)
		ret = lt_err_set(err, LT_EIO, "backup: closing %s failed", dest);
	if (ret == LT_OK) {
		fd = open(dest, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) != 0)
			ret = lt_err_set(err, LT_EIO, "backup: cannot sync %s: %s", dest, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (ret != LT_OK)
		unlink(dest);
	return ret;
}
