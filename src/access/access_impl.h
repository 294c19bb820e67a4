/* Internals shared by the files of the access module. */
#ifndef LT_ACCESS_IMPL_H
#define LT_ACCESS_IMPL_H

#include <stdio.h>

#include "lienthong/access.h"

/* prefix followed by 43 base64url characters of 32 random bytes. */
int lt__random_text(const char *prefix, char *out, size_t cap, struct lt_err *err);
/* SHA-256 of the token text, as lowercase hex. */
void lt__token_hash(const char *token, char hex[65]);
/* Whether a token of role, scope and system_id may be made: the scope of a
 * manager or requester an active unit (canonical in canon), no scope for
 * the others, a system token for a system. Reads the store. */
int lt__token_check(struct lt_store *s, enum lt_role role, const char *scope, int64_t system_id,
		    char canon[LT_CODE_BUFSZ], struct lt_err *err);
/* Makes and stores a token inside the caller's transaction. */
int lt__token_insert(struct lt_store *s, enum lt_role role, const char *scope, const char *name, int64_t system_id,
		     char token[LT_TOKEN_BUFSZ], struct lt_token *row, struct lt_err *err);
/* The cache behind lt_token_authenticate_cached (token_cache.c): *out
 * receives the principal kept for hash when it was stored at generation
 * gen; put keeps p for hash at gen. */
bool lt__token_cache_get(struct lt_token_cache *c, const char *hash, uint64_t gen, struct lt_principal *out);
void lt__token_cache_put(struct lt_token_cache *c, const char *hash, uint64_t gen, const struct lt_principal *p);

#endif
