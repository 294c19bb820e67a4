/* Access tables in SQLite: bearer tokens (hashes only) and connected systems
 * with the codes they speak for. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

#define TOKEN_COLS "id, hash, role, scope, name, coalesce(system_id, 0), created, revoked"
#define SYSTEM_COLS "id, name, created, secret_sealed, removed, primary_code, disabled"

static const char SQL_TOKEN_ADD[] = "INSERT INTO tokens (hash, role, scope, name, system_id, created) "
				    "VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), ?6)";
static const char SQL_TOKEN_FIND[] =
	"SELECT t.id, t.hash, t.role, t.scope, t.name, coalesce(t.system_id, 0), t.created, t.revoked, "
	"CASE WHEN s.id IS NULL THEN 0 ELSE 1 END, coalesce(s.disabled, '') FROM tokens t LEFT JOIN systems s ON s.id "
	"= t.system_id "
	"WHERE t.hash = ?1";
static const char SQL_TOKENS[] = "SELECT " TOKEN_COLS " FROM tokens ORDER BY id";
static const char SQL_TOKEN_REVOKE[] = "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked = ''";
static const char SQL_SYSTEM_ADD[] = "INSERT INTO systems (name, created, secret_sealed, primary_code) "
				     "VALUES (?1, ?2, ?3, ?4)";
static const char SQL_SYSTEMS_BY_PRIMARY[] = "SELECT " SYSTEM_COLS " FROM systems WHERE primary_code = ?1 "
					     "AND removed = '' ORDER BY id";
static const char SQL_SYSTEM_CODE_REMOVE[] = "DELETE FROM system_codes WHERE system_id = ?1 AND code = ?2";
static const char SQL_SYSTEM_REPRIMARY[] = "UPDATE systems SET primary_code = ?2 WHERE primary_code = ?1";
static const char SQL_SYSTEM_GET[] = "SELECT " SYSTEM_COLS " FROM systems WHERE id = ?1";
static const char SQL_SYSTEMS[] = "SELECT " SYSTEM_COLS " FROM systems ORDER BY id";
static const char SQL_SYSTEM_CODE_ADD[] = "INSERT OR IGNORE INTO system_codes (system_id, code) VALUES (?1, ?2)";
static const char SQL_SYSTEM_CODES[] = "SELECT code FROM system_codes WHERE system_id = ?1 ORDER BY code";
static const char SQL_SYSTEM_REBIND[] = "INSERT OR IGNORE INTO system_codes (system_id, code, subtree) "
					"SELECT system_id, ?2, subtree FROM system_codes WHERE code = ?1";
static const char SQL_SYSTEM_UNBIND[] = "DELETE FROM system_codes WHERE code = ?1";
static const char SQL_SYSTEM_DISABLE[] = "UPDATE systems SET disabled = ?2 WHERE id = ?1";
static const char SQL_SYSTEM_SECRET[] = "UPDATE systems SET secret_sealed = ?2 WHERE id = ?1";
static const char SQL_SYSTEM_TOKENS_REVOKE[] = "UPDATE tokens SET revoked = ?2 WHERE system_id = ?1 AND revoked = ''";
static const char SQL_TOKEN_RESCOPE[] = "UPDATE tokens SET scope = ?2 WHERE scope = ?1 AND revoked = ''";

/* A row of tokens into *t (an lt__sq_row_fn). */
static int read_token(void *vt, sqlite3_stmt *q)
{
	struct lt_token *t = vt;
	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(q, 0);
	lt__sq_col_copy(q, 1, t->hash, sizeof t->hash);
	lt__sq_col_copy(q, 2, t->role, sizeof t->role);
	lt__sq_col_copy(q, 3, t->scope, sizeof t->scope);
	lt__sq_col_copy(q, 4, t->name, sizeof t->name);
	t->system_id = sqlite3_column_int64(q, 5);
	lt__sq_col_copy(q, 6, t->created, sizeof t->created);
	lt__sq_col_copy(q, 7, t->revoked, sizeof t->revoked);
	return 0;
}

/* A row of systems into *sys (an lt__sq_row_fn). */
static int read_system(void *vsys, sqlite3_stmt *q)
{
	struct lt_system *sys = vsys;
	memset(sys, 0, sizeof *sys);
	sys->id = sqlite3_column_int64(q, 0);
	lt__sq_col_copy(q, 1, sys->name, sizeof sys->name);
	lt__sq_col_copy(q, 2, sys->created, sizeof sys->created);
	lt__sq_col_copy(q, 3, sys->secret_sealed, sizeof sys->secret_sealed);
	lt__sq_col_copy(q, 4, sys->removed, sizeof sys->removed);
	lt__sq_col_copy(q, 5, sys->primary_code, sizeof sys->primary_code);
	lt__sq_col_copy(q, 6, sys->disabled, sizeof sys->disabled);
	return 0;
}

static int sq_token_add(struct lt_store *s, struct lt_token *t, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_TOKEN_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	const char *v[] = {t->hash, t->role, t->scope, t->name};
	for (int i = 0; i < 4; i++)
		lt__sq_bind_text(q, i + 1, v[i]);
	sqlite3_bind_int64(q, 5, t->system_id);
	lt__sq_bind_text(q, 6, t->created);
	int ret = lt__sq_exec(cn, q, err, "storing a token");
	if (ret == LT_OK)
		t->id = sqlite3_last_insert_rowid(cn->db);
	lt__sq_release(st, cn);
	return ret;
}

/* A token with its system's existence and disabled date (SQL_TOKEN_FIND). */
static int read_token_found(void *vt, sqlite3_stmt *q)
{
	struct lt_token *t = vt;
	read_token(t, q);
	t->system_found = sqlite3_column_int(q, 8) != 0;
	lt__sq_col_copy(q, 9, t->system_disabled, sizeof t->system_disabled);
	return 0;
}

static int sq_token_find(struct lt_store *s, const char *hash, struct lt_token *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_TOKEN_FIND, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, hash);
	int ret = lt__sq_one(st, cn, q, read_token_found, out, err, "a token");
	return ret == LT_ENOTFOUND ? lt_err_set(err, LT_ENOTFOUND, "no such token") : ret;
}

struct token_each {
	lt_token_cb cb;
	void *ctx;
};

static int token_row(void *ve, sqlite3_stmt *q)
{
	struct token_each *e = ve;
	struct lt_token t;
	read_token(&t, q);
	return e->cb(e->ctx, &t);
}

static int sq_tokens(struct lt_store *s, lt_token_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_TOKENS, &cn, err);
	if (!q)
		return LT_EIO;
	struct token_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, token_row, &e, err, "tokens");
}

static int sq_token_revoke(struct lt_store *s, int64_t id, const char *at, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_TOKEN_REVOKE, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	lt__sq_bind_text(q, 2, at);
	int ret = lt__sq_exec(cn, q, err, "revoking a token");
	if (ret == LT_OK && sqlite3_changes(cn->db) == 0)
		ret = lt_err_set(err, LT_ENOTFOUND, "no valid token with id %lld", (long long)id);
	if (ret == LT_OK)
		lt__sq_registry_changed(st); /* token caches read the row again */
	lt__sq_release(st, cn);
	return ret;
}

static int sq_system_add(struct lt_store *s, struct lt_system *sys, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_SYSTEM_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, sys->name);
	lt__sq_bind_text(q, 2, sys->created);
	lt__sq_bind_text(q, 3, sys->secret_sealed);
	lt__sq_bind_text(q, 4, sys->primary_code);
	int ret = lt__sq_exec(cn, q, err, "storing a system");
	if (ret == LT_OK)
		sys->id = sqlite3_last_insert_rowid(cn->db);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_system_get(struct lt_store *s, int64_t id, struct lt_system *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_SYSTEM_GET, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	int ret = lt__sq_one(st, cn, q, read_system, out, err, "a system");
	return ret == LT_ENOTFOUND ? lt_err_set(err, LT_ENOTFOUND, "no connected system with id %lld", (long long)id)
				   : ret;
}

struct system_each {
	lt_system_cb cb;
	void *ctx;
};

static int system_row(void *ve, sqlite3_stmt *q)
{
	struct system_each *e = ve;
	struct lt_system sys;
	read_system(&sys, q);
	return e->cb(e->ctx, &sys);
}

static int each_system(struct lt_store *s, const char *sql, const char *code, lt_system_cb cb, void *ctx,
		       struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, sql, &cn, err);
	if (!q)
		return LT_EIO;
	if (code)
		lt__sq_bind_text(q, 1, code);
	struct system_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, system_row, &e, err, "systems");
}

static int sq_systems(struct lt_store *s, lt_system_cb cb, void *ctx, struct lt_err *err)
{
	return each_system(s, SQL_SYSTEMS, NULL, cb, ctx, err);
}

static int sq_systems_by_primary(struct lt_store *s, const char *code, lt_system_cb cb, void *ctx, struct lt_err *err)
{
	return each_system(s, SQL_SYSTEMS_BY_PRIMARY, code, cb, ctx, err);
}

static int sq_system_code_remove(struct lt_store *s, int64_t id, const char *code, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_SYSTEM_CODE_REMOVE, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	lt__sq_bind_text(q, 2, code);
	int ret = lt__sq_exec(cn, q, err, "unbinding a code");
	if (ret == LT_OK && sqlite3_changes(cn->db) == 0)
		ret = lt_err_set(err, LT_ENOTFOUND, "%s is not bound to this system", code);
	lt__sq_release(st, cn);
	return ret;
}

int lt__sq_system_bind(struct lt__sq_store *st, const char *sql, int64_t id, const char *code, struct lt_err *err,
		       const char *what)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, sql, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	lt__sq_bind_text(q, 2, code);
	int ret = lt__sq_exec(cn, q, err, what);
	if (ret == LT_OK)
		ret = lt__sq_xclaim(cn, id, code, err);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_system_code_add(struct lt_store *s, int64_t id, const char *code, struct lt_err *err)
{
	return lt__sq_system_bind(lt__sq(s), SQL_SYSTEM_CODE_ADD, id, code, err, "binding a code to a system");
}

struct code_each {
	struct lt_codelist *out;
	struct lt_err *err;
};

static int code_row(void *ve, sqlite3_stmt *q)
{
	struct code_each *e = ve;
	return lt_codelist_add(e->out, (const char *)sqlite3_column_text(q, 0))
		       ? lt_err_set(e->err, LT_ENOMEM, "out of memory")
		       : LT_OK;
}

int lt__sq_system_codelist(struct lt__sq_store *st, const char *sql, int64_t id, struct lt_codelist *out,
			   struct lt_err *err, const char *what)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, sql, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	struct code_each e = {out, err};
	return lt__sq_rows(st, cn, q, code_row, &e, err, what);
}

static int sq_system_codes(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err)
{
	return lt__sq_system_codelist(lt__sq(s), SQL_SYSTEM_CODES, id, out, err, "a system's codes");
}

static int sq_system_rebind(struct lt_store *s, const char *old_code, const char *new_code, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_SYSTEM_REBIND, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, old_code);
	lt__sq_bind_text(q, 2, new_code);
	int ret = lt__sq_exec(cn, q, err, "rebinding systems to a moved unit");
	/* A manager of the unit keeps managing it under its new code. */
	const char *follow[] = {SQL_SYSTEM_UNBIND, SQL_SYSTEM_REPRIMARY, SQL_TOKEN_RESCOPE};
	for (int i = 0; i < 3 && ret == LT_OK; i++) {
		sqlite3_stmt *d = lt__sq_stmt(cn, follow[i], err);
		if (!d) {
			ret = LT_EIO;
			break;
		}
		lt__sq_bind_text(d, 1, old_code);
		if (i > 0)
			lt__sq_bind_text(d, 2, new_code);
		ret = lt__sq_exec(cn, d, err, "rebinding systems to a moved unit");
	}
	if (ret == LT_OK)
		lt__sq_registry_changed(st); /* re-scoped tokens: token caches read them again */
	lt__sq_release(st, cn);
	return ret;
}

/* Runs an UPDATE of one system's row: ?1 the id, ?2 the text value. */
static int system_update(struct lt_store *s, const char *sql, int64_t id, const char *value, const char *what,
			 struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, sql, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	lt__sq_bind_text(q, 2, value);
	int ret = lt__sq_exec(cn, q, err, what);
	if (ret == LT_OK && sqlite3_changes(cn->db) == 0)
		ret = lt_err_set(err, LT_ENOTFOUND, "no connected system with id %lld", (long long)id);
	if (ret == LT_OK)
		lt__sq_registry_changed(st); /* a disabled system's tokens: token caches read them again */
	lt__sq_release(st, cn);
	return ret;
}

static int sq_system_disable(struct lt_store *s, int64_t id, const char *at, struct lt_err *err)
{
	return system_update(s, SQL_SYSTEM_DISABLE, id, at, "disabling or enabling a system", err);
}

static int sq_system_secret_set(struct lt_store *s, int64_t id, const char *sealed, struct lt_err *err)
{
	return system_update(s, SQL_SYSTEM_SECRET, id, sealed, "storing a system's VXP secret", err);
}

static int sq_system_tokens_revoke(struct lt_store *s, int64_t id, const char *at, int *n, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_SYSTEM_TOKENS_REVOKE, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	lt__sq_bind_text(q, 2, at);
	int ret = lt__sq_exec(cn, q, err, "revoking a system's tokens");
	*n = ret == LT_OK ? sqlite3_changes(cn->db) : 0;
	if (*n > 0)
		lt__sq_registry_changed(st); /* token caches read the rows again */
	lt__sq_release(st, cn);
	return ret;
}

void lt__sq_access_ops(struct lt_store_ops *ops)
{
	ops->token_add = sq_token_add;
	ops->token_find = sq_token_find;
	ops->tokens = sq_tokens;
	ops->token_revoke = sq_token_revoke;
	ops->system_add = sq_system_add;
	ops->system_get = sq_system_get;
	ops->systems = sq_systems;
	ops->system_code_add = sq_system_code_add;
	ops->system_codes = sq_system_codes;
	ops->system_rebind = sq_system_rebind;
	ops->systems_by_primary = sq_systems_by_primary;
	ops->system_code_remove = sq_system_code_remove;
	ops->system_disable = sq_system_disable;
	ops->system_secret_set = sq_system_secret_set;
	ops->system_tokens_revoke = sq_system_tokens_revoke;
	lt__sq_audit_ops(ops);
}
