/* Bearer tokens: 32 random bytes shown once, and only their SHA-256 kept,
 * so a copy of the database lets no one in. */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "access_impl.h"

static const char *const role_names[] = {"anonymous", "reader", "system", "manager", "admin", "requester"};

const char *lt_role_name(enum lt_role role)
{
	return role >= LT_ROLE_ANONYMOUS && role <= LT_ROLE_REQUESTER ? role_names[role] : "unknown";
}

int lt_role_parse(const char *text, enum lt_role *out, struct lt_err *err)
{
	for (int i = LT_ROLE_READER; i <= LT_ROLE_REQUESTER; i++)
		if (text && strcmp(text, role_names[i]) == 0) {
			*out = (enum lt_role)i;
			return LT_OK;
		}
	return lt_err_set(err, LT_EINVAL, "unknown role '%s': use admin, manager, system, reader or requester",
			  text ? text : "");
}

int lt__random_text(const char *prefix, char *out, size_t cap, struct lt_err *err)
{
	unsigned char raw[32];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return lt_err_set(err, LT_EIO, "the system random generator failed");
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = (size_t)snprintf(out, cap, "%s", prefix);
	/* 32 bytes → 43 characters of 6 bits each (the last holds 2 bits). */
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < sizeof raw && o + 1 < cap; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 6 && o + 1 < cap) {
			out[o++] = b64url[(acc >> (bits - 6)) & 63];
			bits -= 6;
		}
	}
	if (bits > 0 && o + 1 < cap)
		out[o++] = b64url[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return LT_OK;
}

/* SHA-256 fetched once: the implicit fetch behind EVP_sha256() costs more
 * than hashing a token, and every authenticated request hashes one. */
static EVP_MD *token_md;
static pthread_once_t token_md_once = PTHREAD_ONCE_INIT;
static void token_md_fetch(void) { token_md = EVP_MD_fetch(NULL, "SHA2-256", NULL); }

void lt__token_hash(const char *token, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;
	pthread_once(&token_md_once, token_md_fetch);
	EVP_Digest(token, strlen(token), md, &n, token_md ? token_md : EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

int lt__token_insert(struct lt_store *s, enum lt_role role, const char *scope, const char *name, int64_t system_id,
		     char token[LT_TOKEN_BUFSZ], struct lt_token *row, struct lt_err *err)
{
	memset(row, 0, sizeof *row);
	int rc = lt__random_text("lt_", token, LT_TOKEN_BUFSZ, err);
	if (rc)
		return rc;
	lt__token_hash(token, row->hash);
	snprintf(row->role, sizeof row->role, "%s", lt_role_name(role));
	snprintf(row->scope, sizeof row->scope, "%s", scope ? scope : "");
	snprintf(row->name, sizeof row->name, "%s", name ? name : "");
	row->system_id = system_id;
	lt_time_now(row->created);
	return lt_store_token_add(s, row, err);
}

int lt__token_check(struct lt_store *s, enum lt_role role, const char *scope, int64_t system_id,
		    char canon[LT_CODE_BUFSZ], struct lt_err *err)
{
	canon[0] = '\0';
	if (role == LT_ROLE_MANAGER || role == LT_ROLE_REQUESTER) {
		if (!scope || !*scope)
			return lt_err_field(
				err,
				lt_err_set(err, LT_EINVAL,
					   role == LT_ROLE_MANAGER
						   ? "a manager token needs --scope CODE: the subtree it manages"
						   : "a requester token needs --scope CODE: the unit it files requests "
						     "for"),
				"scope");
		struct lt_code c;
		if (lt_code_parse(&c, scope, LT_CODE_STRICT, err))
			return lt_err_field(err, lt_err_prefix(err, "scope '%s': ", scope), "scope");
		lt_code_format(&c, canon);
		struct lt_unit u;
		if (lt_store_unit_get(s, canon, &u, err))
			return lt_err_field(err, lt_err_prefix(err, "scope: "), "scope");
		if (u.status != LT_UNIT_ACTIVE)
			return lt_err_field(err, lt_err_set(err, LT_ERULE, "scope %s is a closed unit", canon),
					    "scope");
	} else if (scope && *scope) {
		return lt_err_field(err, lt_err_set(err, LT_EINVAL, "only a manager or requester token has a scope"),
				    "scope");
	}
	if (role == LT_ROLE_SYSTEM && system_id <= 0)
		return lt_err_set(err, LT_EINVAL,
				  "a system token belongs to a connected system: use 'lienthong system add'");
	if (role == LT_ROLE_ANONYMOUS)
		return lt_err_set(err, LT_EINVAL, "no token is made for anonymous access");
	return LT_OK;
}

int lt_token_create(struct lt_store *s, enum lt_role role, const char *scope, const char *name, int64_t system_id,
		    char token[LT_TOKEN_BUFSZ], struct lt_token *out, struct lt_err *err)
{
	char canon[LT_CODE_BUFSZ];
	struct lt_token row;
	int rc = lt__token_check(s, role, scope, system_id, canon, err);
	if (rc || (rc = lt_store_begin(s, err)))
		return rc;
	rc = lt__token_insert(s, role, canon, name, system_id, token, &row, err);
	if (rc == LT_OK)
		rc = lt_store_commit(s, err);
	else
		lt_store_rollback(s);
	if (rc == LT_OK && out)
		*out = row;
	return rc;
}

static int principal_of(struct lt_store *s, const char *hash, struct lt_principal *out, struct lt_err *err);

int lt_token_authenticate(struct lt_store *s, const char *token, struct lt_principal *out, struct lt_err *err)
{
	return lt_token_authenticate_cached(s, NULL, token, out, err);
}

int lt_token_authenticate_cached(struct lt_store *s, struct lt_token_cache *c, const char *token,
				 struct lt_principal *out, struct lt_err *err)
{
	memset(out, 0, sizeof *out);
	size_t n = token ? strlen(token) : 0;
	if (n < 10 || n >= LT_TOKEN_BUFSZ || strncmp(token, "lt_", 3) != 0)
		return lt_err_set(err, LT_EAUTH, "the bearer token is malformed: it should start with lt_");
	char hash[65];
	lt__token_hash(token, hash);
	/* Read before the row: a change that commits after this read leaves
	 * the entry stored below under a generation already gone. */
	uint64_t gen = c ? lt_store_generation_now(s) : 0;
	if (c && lt__token_cache_get(c, hash, gen, out))
		return LT_OK;
	int rc = principal_of(s, hash, out, err);
	if (rc == LT_OK && c)
		lt__token_cache_put(c, hash, gen, out);
	return rc;
}

/* The principal of the token whose hash is given, from its row read now. */
static int principal_of(struct lt_store *s, const char *hash, struct lt_principal *out, struct lt_err *err)
{
	struct lt_token row;
	struct lt_err e2 = {0};
	int rc = lt_store_token_find(s, hash, &row, &e2);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(err, LT_EAUTH, "the bearer token is not known here");
	if (rc)
		return lt_err_set(err, rc, "%s", e2.msg);
	if (row.revoked[0])
		return lt_err_set(err, LT_EAUTH, "the bearer token was revoked on %s", row.revoked);
	enum lt_role role = LT_ROLE_ANONYMOUS;
	if (lt_role_parse(row.role, &role, NULL))
		return lt_err_set(err, LT_EIO, "token %lld has the unknown role '%s' in the database",
				  (long long)row.id, row.role);
	/* A disabled system is cut off whatever credential it shows. */
	if (role == LT_ROLE_SYSTEM && !row.system_found)
		return lt_err_set(err, LT_EAUTH, "no connected system with id %lld", (long long)row.system_id);
	if (role == LT_ROLE_SYSTEM && row.system_disabled[0])
		return lt_err_set(err, LT_EAUTH, "the system this token belongs to was disabled on %s",
				  row.system_disabled);
	out->role = role;
	snprintf(out->scope, sizeof out->scope, "%s", row.scope);
	snprintf(out->name, sizeof out->name, "%s", row.name);
	out->token_id = row.id;
	out->system_id = row.system_id;
	return LT_OK;
}

struct find_ctx {
	int64_t id;
	struct lt_token *row;
	bool *found;
};

static int find_id(void *vctx, const struct lt_token *t)
{
	struct find_ctx *c = vctx;
	if (t->id != c->id)
		return 0;
	*c->row = *t;
	*c->found = true;
	return 1;
}

int lt_token_revoke(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, struct lt_token *out, struct lt_err *err)
{
	const struct lt_principal *caller = &ctx->who;
	/* Who holds no power over any token learns nothing of which exist. */
	int rc = caller->role == LT_ROLE_MANAGER ? LT_OK : lt_access_token(caller, LT_ROLE_ADMIN, "", err);
	if (rc)
		return rc;
	struct lt_token row = {0};
	bool found = false;
	struct find_ctx fc = {id, &row, &found};
	char now[32], target[64];
	lt_time_now(now);
	snprintf(target, sizeof target, "token:%lld", (long long)id);
	if ((rc = lt_store_begin(s, err)))
		return rc;
	/* Read in the transaction: the row recorded is the row revoked. */
	if ((rc = lt_store_tokens(s, find_id, &fc, err)) > 0)
		rc = LT_OK; /* found: the walk stopped there */
	if (rc == LT_OK && (!found || row.revoked[0]))
		rc = lt_err_set(err, LT_ENOTFOUND, "no valid token with id %lld", (long long)id);
	enum lt_role role = LT_ROLE_ANONYMOUS;
	if (rc == LT_OK && (rc = lt_role_parse(row.role, &role, err)) == LT_OK)
		rc = lt_access_token(caller, role, row.scope, err);
	if (rc == LT_OK)
		rc = lt_store_token_revoke(s, id, now, err);
	if (rc == LT_OK) {
		json_t *d = json_pack("{s:s,s:s,s:I}", "role", row.role, "name", row.name, "system",
				      (json_int_t)row.system_id);
		rc = d ? lt_audit_record(s, ctx, "token.revoke", target, d, err)
		       : lt_err_set(err, LT_ENOMEM, "out of memory");
		json_decref(d);
	}
	if (rc == LT_OK)
		rc = lt_store_commit(s, err);
	else
		lt_store_rollback(s);
	if (rc == LT_OK && out)
		*out = row;
	return rc;
}
