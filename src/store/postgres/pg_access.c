/* Tokens, connected systems, the audit trail and signing certificates on
 * PostgreSQL. */
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

#define TOKEN_COLS "id, hash, role, scope, name, coalesce(system_id, 0), created, revoked"
#define SYSTEM_COLS "id, name, created, secret_sealed, removed, primary_code, disabled"

static const char SQL_TOKEN_ADD[] = "INSERT INTO tokens (hash, role, scope, name, system_id, created) "
				    "VALUES ($1, $2, $3, $4, nullif($5::bigint, 0), $6) RETURNING id";
static const char SQL_TOKEN_FIND[] =
	"SELECT t.id, t.hash, t.role, t.scope, t.name, coalesce(t.system_id, 0), t.created, t.revoked, "
	"CASE WHEN s.id IS NULL THEN 0 ELSE 1 END, coalesce(s.disabled, '') FROM tokens t LEFT JOIN systems s ON s.id "
	"= t.system_id "
	"WHERE t.hash = $1";
static const char SQL_TOKENS[] = "SELECT " TOKEN_COLS " FROM tokens ORDER BY id";
static const char SQL_TOKEN_REVOKE[] = "UPDATE tokens SET revoked = $2 WHERE id = $1 AND revoked = ''";
static const char SQL_SYSTEM_ADD[] = "INSERT INTO systems (name, created, secret_sealed, primary_code) "
				     "VALUES ($1, $2, $3, $4) RETURNING id";
static const char SQL_SYSTEMS_BY_PRIMARY[] = "SELECT " SYSTEM_COLS " FROM systems WHERE primary_code = $1 "
					     "AND removed = '' ORDER BY id";
static const char SQL_SYSTEM_CODE_REMOVE[] = "DELETE FROM system_codes WHERE system_id = $1 AND code = $2";
static const char SQL_SYSTEM_GET[] = "SELECT " SYSTEM_COLS " FROM systems WHERE id = $1";
static const char SQL_SYSTEMS[] = "SELECT " SYSTEM_COLS " FROM systems ORDER BY id";
static const char SQL_SYSTEM_CODE_ADD[] = "INSERT INTO system_codes (system_id, code) VALUES ($1, $2) "
					  "ON CONFLICT DO NOTHING";
static const char SQL_SYSTEM_CODES[] = "SELECT code FROM system_codes WHERE system_id = $1 ORDER BY code";
/* A moved unit: its systems and managers follow it to the new code. */
static const char SQL_SYSTEM_REBIND[] =
	"INSERT INTO system_codes (system_id, code, subtree) SELECT system_id, $2, subtree FROM "
	"system_codes WHERE code = $1 ON CONFLICT DO NOTHING";
static const char SQL_SYSTEM_UNBIND[] = "DELETE FROM system_codes WHERE code = $1 AND $2::text IS NOT NULL";
static const char SQL_SYSTEM_REPRIMARY[] = "UPDATE systems SET primary_code = $2 WHERE primary_code = $1";
static const char SQL_TOKEN_RESCOPE[] = "UPDATE tokens SET scope = $2 WHERE scope = $1 AND revoked = ''";
static const char SQL_SYSTEM_DISABLE[] = "UPDATE systems SET disabled = $2 WHERE id = $1";
static const char SQL_SYSTEM_SECRET[] = "UPDATE systems SET secret_sealed = $2 WHERE id = $1";
static const char SQL_SYSTEM_TOKENS_REVOKE[] = "UPDATE tokens SET revoked = $2 WHERE system_id = $1 AND revoked = ''";
static const char SQL_AUDIT_ADD[] = "INSERT INTO audit (at, who, role, action, target, detail) "
				    "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
static const char SQL_AUDITS[] = "SELECT id, at, who, role, action, target, detail FROM audit "
				 "WHERE id > $1 AND ($2 = '' OR target = $2) ORDER BY id LIMIT $3";
static const char SQL_CERT_ADD[] = "INSERT INTO certs (code, fingerprint, subject, not_before, not_after, pem, added) "
				   "VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id";
static const char SQL_CERTS[] = "SELECT id, code, fingerprint, subject, not_before, not_after, added, revoked, pem "
				"FROM certs WHERE code = $1 ORDER BY id";
static const char SQL_CERT_REVOKE[] = "UPDATE certs SET revoked = $3 WHERE code = $1 AND id = $2 AND revoked = ''";

/* Runs an INSERT … RETURNING id and stores the id. */
static int insert_id(struct lt_store *s, const char *sql, int n, const char *const *v, int64_t *id, struct lt_err *err,
		     const char *what)
{
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), sql, n, v, &r, err, what);
	if (rc == LT_OK)
		*id = lt__pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* Runs an UPDATE or DELETE; *n gets how many rows it changed. */
static int change(struct lt_store *s, const char *sql, int n, const char *const *v, int *changed, struct lt_err *err,
		  const char *what)
{
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), sql, n, v, &r, err, what);
	*changed = rc == LT_OK ? lt__pg_changed(r) : 0;
	PQclear(r);
	return rc;
}

static void read_token(const PGresult *r, int i, struct lt_token *t)
{
	memset(t, 0, sizeof *t);
	t->id = lt__pg_i64(r, i, 0);
	lt__pg_copy(r, i, 1, t->hash, sizeof t->hash);
	lt__pg_copy(r, i, 2, t->role, sizeof t->role);
	lt__pg_copy(r, i, 3, t->scope, sizeof t->scope);
	lt__pg_copy(r, i, 4, t->name, sizeof t->name);
	t->system_id = lt__pg_i64(r, i, 5);
	lt__pg_copy(r, i, 6, t->created, sizeof t->created);
	lt__pg_copy(r, i, 7, t->revoked, sizeof t->revoked);
}

static void read_system(const PGresult *r, int i, struct lt_system *sys)
{
	memset(sys, 0, sizeof *sys);
	sys->id = lt__pg_i64(r, i, 0);
	lt__pg_copy(r, i, 1, sys->name, sizeof sys->name);
	lt__pg_copy(r, i, 2, sys->created, sizeof sys->created);
	lt__pg_copy(r, i, 3, sys->secret_sealed, sizeof sys->secret_sealed);
	lt__pg_copy(r, i, 4, sys->removed, sizeof sys->removed);
	lt__pg_copy(r, i, 5, sys->primary_code, sizeof sys->primary_code);
	lt__pg_copy(r, i, 6, sys->disabled, sizeof sys->disabled);
}

static int pg_token_add(struct lt_store *s, struct lt_token *t, struct lt_err *err)
{
	char sid[24];
	const char *v[] = {t->hash, t->role, t->scope, t->name, lt__pg_itoa(sid, t->system_id), t->created};
	return insert_id(s, SQL_TOKEN_ADD, 6, v, &t->id, err, "storing a token");
}

static int pg_token_find(struct lt_store *s, const char *hash, struct lt_token *out, struct lt_err *err)
{
	PGresult *r = NULL;
	const char *v[] = {hash};
	int rc = lt__pg_run(lt__pg(s), SQL_TOKEN_FIND, 1, v, &r, err, "reading a token");
	if (rc == LT_OK && PQntuples(r) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "no such token");
	else if (rc == LT_OK) {
		read_token(r, 0, out);
		out->system_found = lt__pg_i64(r, 0, 8) != 0;
		lt__pg_copy(r, 0, 9, out->system_disabled, sizeof out->system_disabled);
	}
	PQclear(r);
	return rc;
}

static int pg_tokens(struct lt_store *s, lt_token_cb cb, void *ctx, struct lt_err *err)
{
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_TOKENS, 0, NULL, &r, err, "reading tokens");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_token t;
		read_token(r, i, &t);
		rc = cb(ctx, &t);
	}
	PQclear(r);
	return rc;
}

static int pg_token_revoke(struct lt_store *s, int64_t id, const char *at, struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id), at};
	int n;
	int rc = change(s, SQL_TOKEN_REVOKE, 2, v, &n, err, "revoking a token");
	return rc == LT_OK && n == 0 ? lt_err_set(err, LT_ENOTFOUND, "no valid token with id %lld", (long long)id) : rc;
}

static int pg_system_add(struct lt_store *s, struct lt_system *sys, struct lt_err *err)
{
	const char *v[] = {sys->name, sys->created, sys->secret_sealed, sys->primary_code};
	return insert_id(s, SQL_SYSTEM_ADD, 4, v, &sys->id, err, "storing a system");
}

static int pg_system_get(struct lt_store *s, int64_t id, struct lt_system *out, struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_SYSTEM_GET, 1, v, &r, err, "reading a system");
	if (rc == LT_OK && PQntuples(r) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "no connected system with id %lld", (long long)id);
	else if (rc == LT_OK)
		read_system(r, 0, out);
	PQclear(r);
	return rc;
}

static int each_system(struct lt_store *s, const char *sql, const char *code, lt_system_cb cb, void *ctx,
		       struct lt_err *err)
{
	PGresult *r = NULL;
	const char *v[] = {code};
	int rc = lt__pg_run(lt__pg(s), sql, code ? 1 : 0, v, &r, err, "reading systems");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_system sys;
		read_system(r, i, &sys);
		rc = cb(ctx, &sys);
	}
	PQclear(r);
	return rc;
}

static int pg_systems(struct lt_store *s, lt_system_cb cb, void *ctx, struct lt_err *err)
{
	return each_system(s, SQL_SYSTEMS, NULL, cb, ctx, err);
}

static int pg_systems_by_primary(struct lt_store *s, const char *code, lt_system_cb cb, void *ctx, struct lt_err *err)
{
	return each_system(s, SQL_SYSTEMS_BY_PRIMARY, code, cb, ctx, err);
}

static int pg_system_code_remove(struct lt_store *s, int64_t id, const char *code, struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id), code};
	int n;
	int rc = change(s, SQL_SYSTEM_CODE_REMOVE, 2, v, &n, err, "unbinding a code");
	return rc == LT_OK && n == 0 ? lt_err_set(err, LT_ENOTFOUND, "%s is not bound to this system", code) : rc;
}

/* The binding and the claiming of what waited for it apply together. */
int lt__pg_system_bind(struct lt__pg_store *st, const char *sql, int64_t id, const char *code, struct lt_err *err,
		       const char *what)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id), code};
	bool own;
	struct lt__pg_conn *c = lt__pg_begin_own(st, &own, err);
	if (!c)
		return err->status;
	int rc = lt__pg_q(c, sql, 2, v, NULL, err, what);
	if (rc == LT_OK)
		rc = lt__pg_xclaim(c, id, code, err);
	return lt__pg_end_own(st, c, own, rc, err);
}

int lt__pg_system_codelist(struct lt__pg_store *st, const char *sql, int64_t id, struct lt_codelist *out,
			   struct lt_err *err, const char *what)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id)};
	PGresult *r = NULL;
	int rc = lt__pg_run(st, sql, 1, v, &r, err, what);
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++)
		if (lt_codelist_add(out, PQgetvalue(r, i, 0)))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	PQclear(r);
	return rc;
}

static int pg_system_code_add(struct lt_store *s, int64_t id, const char *code, struct lt_err *err)
{
	return lt__pg_system_bind(lt__pg(s), SQL_SYSTEM_CODE_ADD, id, code, err, "binding a code to a system");
}

static int pg_system_codes(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err)
{
	return lt__pg_system_codelist(lt__pg(s), SQL_SYSTEM_CODES, id, out, err, "reading a system's codes");
}

static int pg_system_rebind(struct lt_store *s, const char *old_code, const char *new_code, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	const char *v[] = {old_code, new_code};
	bool own;
	struct lt__pg_conn *c = lt__pg_begin_own(st, &own, err);
	if (!c)
		return err->status;
	const char *sql[] = {SQL_SYSTEM_REBIND, SQL_SYSTEM_UNBIND, SQL_SYSTEM_REPRIMARY, SQL_TOKEN_RESCOPE};
	int rc = LT_OK;
	for (int i = 0; i < 4 && rc == LT_OK; i++)
		rc = lt__pg_q(c, sql[i], 2, v, NULL, err, "rebinding systems to a moved unit");
	return lt__pg_end_own(st, c, own, rc, err);
}

static int system_update(struct lt_store *s, const char *sql, int64_t id, const char *value, const char *what,
			 struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id), value};
	int n;
	int rc = change(s, sql, 2, v, &n, err, what);
	return rc == LT_OK && n == 0 ? lt_err_set(err, LT_ENOTFOUND, "no connected system with id %lld", (long long)id)
				     : rc;
}

static int pg_system_disable(struct lt_store *s, int64_t id, const char *at, struct lt_err *err)
{
	return system_update(s, SQL_SYSTEM_DISABLE, id, at, "disabling or enabling a system", err);
}

static int pg_system_secret_set(struct lt_store *s, int64_t id, const char *sealed, struct lt_err *err)
{
	return system_update(s, SQL_SYSTEM_SECRET, id, sealed, "storing a system's VXP secret", err);
}

static int pg_system_tokens_revoke(struct lt_store *s, int64_t id, const char *at, int *n, struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id), at};
	return change(s, SQL_SYSTEM_TOKENS_REVOKE, 2, v, n, err, "revoking a system's tokens");
}

static int pg_audit_add(struct lt_store *s, struct lt_audit *a, struct lt_err *err)
{
	const char *v[] = {a->at, a->who, a->role, a->action, a->target, a->detail ? a->detail : "{}"};
	return insert_id(s, SQL_AUDIT_ADD, 6, v, &a->id, err, "writing the audit trail");
}

static int pg_audits(struct lt_store *s, const char *target, int64_t after, int limit, lt_audit_cb cb, void *ctx,
		     struct lt_err *err)
{
	char a[24], l[24];
	const char *v[] = {lt__pg_itoa(a, after), target ? target : "", lt__pg_itoa(l, limit)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_AUDITS, 3, v, &r, err, "reading the audit trail");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_audit e;
		memset(&e, 0, sizeof e);
		e.id = lt__pg_i64(r, i, 0);
		lt__pg_copy(r, i, 1, e.at, sizeof e.at);
		lt__pg_copy(r, i, 2, e.who, sizeof e.who);
		lt__pg_copy(r, i, 3, e.role, sizeof e.role);
		lt__pg_copy(r, i, 4, e.action, sizeof e.action);
		lt__pg_copy(r, i, 5, e.target, sizeof e.target);
		e.detail = PQgetvalue(r, i, 6);
		rc = cb(ctx, &e);
	}
	PQclear(r);
	return rc;
}

static int pg_cert_add(struct lt_store *s, struct lt_cert *c, struct lt_err *err)
{
	const char *v[] = {c->code, c->fingerprint, c->subject, c->not_before, c->not_after, c->pem, c->added};
	int rc = insert_id(s, SQL_CERT_ADD, 7, v, &c->id, err, "storing a certificate");
	return rc == LT_ECONFLICT ? lt_err_set(err, LT_ECONFLICT, "this certificate is already bound to %s", c->code)
				  : rc;
}

static int pg_certs(struct lt_store *s, const char *code, lt_cert_cb cb, void *ctx, struct lt_err *err)
{
	const char *v[] = {code};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_CERTS, 1, v, &r, err, "reading certificates");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_cert c;
		memset(&c, 0, sizeof c);
		c.id = lt__pg_i64(r, i, 0);
		char *dst[] = {c.code, c.fingerprint, c.subject, c.not_before, c.not_after, c.added, c.revoked};
		size_t sz[] = {sizeof c.code,      sizeof c.fingerprint, sizeof c.subject, sizeof c.not_before,
			       sizeof c.not_after, sizeof c.added,       sizeof c.revoked};
		for (int k = 0; k < 7; k++)
			lt__pg_copy(r, i, k + 1, dst[k], sz[k]);
		c.pem = PQgetvalue(r, i, 8); /* borrowed for the callback */
		rc = cb(ctx, &c);
	}
	PQclear(r);
	return rc;
}

static int pg_cert_revoke(struct lt_store *s, const char *code, int64_t id, const char *at, struct lt_err *err)
{
	char b[24];
	const char *v[] = {code, lt__pg_itoa(b, id), at};
	int n;
	int rc = change(s, SQL_CERT_REVOKE, 3, v, &n, err, "revoking a certificate");
	return rc == LT_OK && n == 0
		       ? lt_err_set(err, LT_ENOTFOUND, "no usable certificate %lld bound to %s", (long long)id, code)
		       : rc;
}

void lt__pg_access_ops(struct lt_store_ops *ops)
{
	ops->token_add = pg_token_add;
	ops->token_find = pg_token_find;
	ops->tokens = pg_tokens;
	ops->token_revoke = pg_token_revoke;
	ops->system_add = pg_system_add;
	ops->system_get = pg_system_get;
	ops->systems = pg_systems;
	ops->system_code_add = pg_system_code_add;
	ops->system_codes = pg_system_codes;
	ops->system_rebind = pg_system_rebind;
	ops->systems_by_primary = pg_systems_by_primary;
	ops->system_code_remove = pg_system_code_remove;
	ops->system_disable = pg_system_disable;
	ops->system_secret_set = pg_system_secret_set;
	ops->system_tokens_revoke = pg_system_tokens_revoke;
	ops->audit_add = pg_audit_add;
	ops->audits = pg_audits;
	ops->cert_add = pg_cert_add;
	ops->certs = pg_certs;
	ops->cert_revoke = pg_cert_revoke;
}
