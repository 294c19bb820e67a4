/* The catalogue across hubs in SQLite: the mirror of the upstream's
 * catalogue, the federation's named values and the upstream's acceptances
 * (migration 14). */
#include <stdlib.h>
#include <string.h>

#include "../catalogue_ops.h"
#include "sqlite_store.h"

static const char SQL_MIRROR_PUT[] = "INSERT INTO mirror_units (code, parent, status, data) VALUES (?1, ?2, ?3, ?4) "
				     "ON CONFLICT(code) DO UPDATE SET parent = ?2, status = ?3, data = ?4";
static const char SQL_MIRROR_GET[] = "SELECT data FROM mirror_units WHERE code = ?1";
static const char SQL_MIRROR_CLEAR[] = "DELETE FROM mirror_units";
static const char SQL_MIRROR_COUNT[] = "SELECT count(*) FROM mirror_units";
static const char SQL_FED_GET[] = "SELECT value FROM federation_state WHERE key = ?1";
static const char SQL_FED_SET[] =
	"INSERT INTO federation_state (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2";
static const char SQL_UPLOAD_SET[] = "INSERT INTO change_uploads (change_id, accepted) VALUES (?1, ?2) "
				     "ON CONFLICT(change_id) DO UPDATE SET accepted = max(accepted, ?2)";
static const char SQL_UPLOAD_GET[] = "SELECT accepted FROM change_uploads WHERE change_id = ?1";

static int write_texts(struct lt_store *s, const char *sql, int n, const char *const *v, bool changed,
		       struct lt_err *err, const char *what)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, sql, &cn, err);
	if (!q)
		return LT_EIO;
	for (int i = 0; i < n; i++)
		lt__sq_bind_text(q, i + 1, v[i]);
	int ret = lt__sq_exec(cn, q, err, what);
	/* Look-ups answer from the mirror: cached replies must go with it. */
	if (ret == LT_OK && changed)
		lt__sq_registry_changed(st);
	lt__sq_release(st, cn);
	return ret;
}

static int take_text(void *ctx, sqlite3_stmt *q)
{
	const unsigned char *t = sqlite3_column_text(q, 0);
	char *copy = strdup(t ? (const char *)t : "");
	*(char **)ctx = copy;
	return copy ? LT_OK : LT_ENOMEM;
}

static int read_text(struct lt_store *s, const char *sql, const char *key, char **out, struct lt_err *err,
		     const char *what)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	*out = NULL;
	sqlite3_stmt *q = lt__sq_use(st, false, sql, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, key);
	int rc = lt__sq_one(st, cn, q, take_text, out, err, what);
	return rc == LT_ENOMEM ? lt_err_set(err, LT_ENOMEM, "out of memory") : rc;
}

static int sq_mirror_put(struct lt_store *s, const char *code, const char *parent, const char *status, const char *data,
			 struct lt_err *err)
{
	const char *v[] = {code, parent, status, data};
	return write_texts(s, SQL_MIRROR_PUT, 4, v, true, err, "writing the catalogue mirror");
}

static int sq_mirror_get(struct lt_store *s, const char *code, char **data, struct lt_err *err)
{
	return read_text(s, SQL_MIRROR_GET, code, data, err, "the catalogue mirror");
}

static int sq_mirror_clear(struct lt_store *s, struct lt_err *err)
{
	return write_texts(s, SQL_MIRROR_CLEAR, 0, NULL, true, err, "emptying the catalogue mirror");
}

static int take_count(void *ctx, sqlite3_stmt *q)
{
	*(int64_t *)ctx = sqlite3_column_int64(q, 0);
	return LT_OK;
}

static int sq_mirror_count(struct lt_store *s, int64_t *n, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	*n = 0;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_MIRROR_COUNT, &cn, err);
	if (!q)
		return LT_EIO;
	return lt__sq_one(st, cn, q, take_count, n, err, "the catalogue mirror");
}

static int sq_fed_get(struct lt_store *s, const char *key, char **value, struct lt_err *err)
{
	return read_text(s, SQL_FED_GET, key, value, err, "the federation state");
}

static int sq_fed_set(struct lt_store *s, const char *key, const char *value, struct lt_err *err)
{
	const char *v[] = {key, value};
	return write_texts(s, SQL_FED_SET, 2, v, false, err, "writing the federation state");
}

static int sq_upload_set(struct lt_store *s, int64_t change_id, const char *at, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_UPLOAD_SET, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, change_id);
	lt__sq_bind_text(q, 2, at);
	int ret = lt__sq_exec(cn, q, err, "recording the upstream's acceptance");
	lt__sq_release(st, cn);
	return ret;
}

static int take_at(void *ctx, sqlite3_stmt *q)
{
	lt__sq_col_copy(q, 0, ctx, 32);
	return LT_OK;
}

static int sq_upload_get(struct lt_store *s, int64_t change_id, char at[32], struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_UPLOAD_GET, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, change_id);
	return lt__sq_one(st, cn, q, take_at, at, err, "the upstream's acceptances");
}

const struct lt_store_catalogue_ops lt__sq_catalogue_ops = {
	.mirror_put = sq_mirror_put,
	.mirror_get = sq_mirror_get,
	.mirror_clear = sq_mirror_clear,
	.mirror_count = sq_mirror_count,
	.fed_get = sq_fed_get,
	.fed_set = sq_fed_set,
	.upload_set = sq_upload_set,
	.upload_get = sq_upload_get,
};
