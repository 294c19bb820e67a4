/* Signing certificates bound to codes, in SQLite. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

static const char SQL_CERT_ADD[] = "INSERT INTO certs (code, fingerprint, subject, not_before, not_after, pem, added) "
				   "VALUES (?1,?2,?3,?4,?5,?6,?7)";
static const char SQL_CERTS[] = "SELECT id, code, fingerprint, subject, not_before, not_after, added, revoked, pem "
				"FROM certs WHERE code = ?1 ORDER BY id";
static const char SQL_CERT_REVOKE[] = "UPDATE certs SET revoked = ?3 WHERE code = ?1 AND id = ?2 AND revoked = ''";

static int sq_cert_add(struct lt_store *s, struct lt_cert *c, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn = lt__sq_acquire(st, true, err);
	sqlite3_stmt *q = lt__sq_stmt(cn, SQL_CERT_ADD, err);
	if (!q) {
		lt__sq_release(st, cn);
		return LT_EIO;
	}
	const char *v[] = {c->code, c->fingerprint, c->subject, c->not_before, c->not_after, c->pem, c->added};
	for (int i = 0; i < 7; i++)
		lt__sq_bind_text(q, i + 1, v[i]);
	int ret = lt__sq_exec(cn, q, err, "storing a certificate");
	if (ret == LT_ECONFLICT)
		ret = lt_err_set(err, LT_ECONFLICT, "this certificate is already bound to %s", c->code);
	else if (ret == LT_OK)
		c->id = sqlite3_last_insert_rowid(cn->db);
	lt__sq_release(st, cn);
	return ret;
}

struct cert_each {
	lt_cert_cb cb;
	void *ctx;
};

static int cert_row(void *ve, sqlite3_stmt *q)
{
	struct cert_each *e = ve;
	struct lt_cert c;
	memset(&c, 0, sizeof c);
	c.id = sqlite3_column_int64(q, 0);
	char *dst[] = {c.code, c.fingerprint, c.subject, c.not_before, c.not_after, c.added, c.revoked};
	size_t sz[] = {sizeof c.code,      sizeof c.fingerprint, sizeof c.subject, sizeof c.not_before,
		       sizeof c.not_after, sizeof c.added,       sizeof c.revoked};
	for (int i = 0; i < 7; i++)
		lt__sq_col_copy(q, i + 1, dst[i], sz[i]);
	c.pem = (char *)sqlite3_column_text(q, 8); /* borrowed for the callback */
	return e->cb(e->ctx, &c);
}

static int sq_certs(struct lt_store *s, const char *code, lt_cert_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_CERTS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	struct cert_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, cert_row, &e, err, "certificates");
}

static int sq_cert_revoke(struct lt_store *s, const char *code, int64_t id, const char *at, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn = lt__sq_acquire(st, true, err);
	sqlite3_stmt *q = lt__sq_stmt(cn, SQL_CERT_REVOKE, err);
	if (!q) {
		lt__sq_release(st, cn);
		return LT_EIO;
	}
	lt__sq_bind_text(q, 1, code);
	sqlite3_bind_int64(q, 2, id);
	lt__sq_bind_text(q, 3, at);
	int ret = lt__sq_exec(cn, q, err, "revoking a certificate");
	if (ret == LT_OK && sqlite3_changes(cn->db) == 0)
		ret = lt_err_set(err, LT_ENOTFOUND, "no usable certificate %lld bound to %s", (long long)id, code);
	lt__sq_release(st, cn);
	return ret;
}

void lt__sq_cert_ops(struct lt_store_ops *ops)
{
	ops->cert_add = sq_cert_add;
	ops->certs = sq_certs;
	ops->cert_revoke = sq_cert_revoke;
}
