/* The catalogue across hubs in PostgreSQL: the mirror of the upstream's
 * catalogue, the federation's named values and the upstream's acceptances
 * (migration 6, SQLite's 14). */
#include <stdlib.h>
#include <string.h>

#include "../catalogue_ops.h"
#include "pg_store.h"

static const char SQL_MIRROR_PUT[] = "INSERT INTO mirror_units (code, parent, status, data) VALUES ($1, $2, $3, $4) "
				     "ON CONFLICT (code) DO UPDATE SET parent = $2, status = $3, data = $4";
static const char SQL_MIRROR_GET[] = "SELECT data FROM mirror_units WHERE code = $1";
static const char SQL_MIRROR_CLEAR[] = "DELETE FROM mirror_units";
static const char SQL_MIRROR_COUNT[] = "SELECT count(*) FROM mirror_units";
static const char SQL_FED_GET[] = "SELECT value FROM federation_state WHERE key = $1";
static const char SQL_FED_SET[] =
	"INSERT INTO federation_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2";
static const char SQL_UPLOAD_SET[] =
	"INSERT INTO change_uploads (change_id, accepted) VALUES ($1::bigint, $2) "
	"ON CONFLICT (change_id) DO UPDATE SET accepted = greatest(change_uploads.accepted, $2)";
static const char SQL_UPLOAD_GET[] = "SELECT accepted FROM change_uploads WHERE change_id = $1::bigint";

static int write_mirror(struct lt_store *s, const char *sql, int n, const char *const *v, struct lt_err *err,
			const char *what)
{
	struct lt__pg_store *st = lt__pg(s);
	struct lt__pg_conn *c = lt__pg_acquire(st, err);
	int rc = c ? lt__pg_q(c, sql, n, v, NULL, err, what) : err->status;
	/* Look-ups answer from the mirror: cached replies must go with it. */
	if (rc == LT_OK)
		lt__pg_registry_changed(st, c);
	lt__pg_release(st, c);
	return rc;
}

static int read_text(struct lt_store *s, const char *sql, const char *key, char **out, struct lt_err *err,
		     const char *what)
{
	const char *v[] = {key};
	PGresult *q = NULL;
	*out = NULL;
	int rc = lt__pg_run(lt__pg(s), sql, 1, v, &q, err, what);
	if (rc == LT_OK && PQntuples(q) == 0)
		rc = LT_ENOTFOUND;
	else if (rc == LT_OK && !(*out = strdup(PQgetvalue(q, 0, 0))))
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	PQclear(q);
	return rc;
}

static int pg_mirror_put(struct lt_store *s, const char *code, const char *parent, const char *status, const char *data,
			 struct lt_err *err)
{
	const char *v[] = {code, parent, status, data};
	return write_mirror(s, SQL_MIRROR_PUT, 4, v, err, "writing the catalogue mirror");
}

static int pg_mirror_get(struct lt_store *s, const char *code, char **data, struct lt_err *err)
{
	return read_text(s, SQL_MIRROR_GET, code, data, err, "reading the catalogue mirror");
}

static int pg_mirror_clear(struct lt_store *s, struct lt_err *err)
{
	return write_mirror(s, SQL_MIRROR_CLEAR, 0, NULL, err, "emptying the catalogue mirror");
}

static int pg_mirror_count(struct lt_store *s, int64_t *n, struct lt_err *err)
{
	PGresult *q = NULL;
	*n = 0;
	int rc = lt__pg_run(lt__pg(s), SQL_MIRROR_COUNT, 0, NULL, &q, err, "reading the catalogue mirror");
	if (rc == LT_OK)
		*n = lt__pg_i64(q, 0, 0);
	PQclear(q);
	return rc;
}

static int pg_fed_get(struct lt_store *s, const char *key, char **value, struct lt_err *err)
{
	return read_text(s, SQL_FED_GET, key, value, err, "reading the federation state");
}

static int pg_fed_set(struct lt_store *s, const char *key, const char *value, struct lt_err *err)
{
	const char *v[] = {key, value};
	return lt__pg_run(lt__pg(s), SQL_FED_SET, 2, v, NULL, err, "writing the federation state");
}

static int pg_upload_set(struct lt_store *s, int64_t change_id, const char *at, struct lt_err *err)
{
	char id[24];
	const char *v[] = {lt__pg_itoa(id, change_id), at};
	return lt__pg_run(lt__pg(s), SQL_UPLOAD_SET, 2, v, NULL, err, "recording the upstream's acceptance");
}

static int pg_upload_get(struct lt_store *s, int64_t change_id, char at[32], struct lt_err *err)
{
	char id[24];
	const char *v[] = {lt__pg_itoa(id, change_id)};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_UPLOAD_GET, 1, v, &q, err, "reading the upstream's acceptances");
	if (rc == LT_OK && PQntuples(q) == 0)
		rc = LT_ENOTFOUND;
	else if (rc == LT_OK)
		lt__pg_copy(q, 0, 0, at, 32);
	PQclear(q);
	return rc;
}

const struct lt_store_catalogue_ops lt__pg_catalogue_ops = {
	.mirror_put = pg_mirror_put,
	.mirror_get = pg_mirror_get,
	.mirror_clear = pg_mirror_clear,
	.mirror_count = pg_mirror_count,
	.fed_get = pg_fed_get,
	.fed_set = pg_fed_set,
	.upload_set = pg_upload_set,
	.upload_get = pg_upload_get,
};
