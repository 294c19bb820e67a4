/* The context of one call into the core: who acts (the principal) and the
 * request it serves. Every registry, exchange and access call that changes
 * something takes one, so the shared handles (registry, store, exchange)
 * hold no per-caller state and any number of threads (or hub nodes) may
 * write at once; the core decides from ctx->who what the caller may do
 * (access/policy.c) and records ctx->who as the actor of what it writes.
 *
 * The transaction is not in the context: a store binds the transaction a
 * call opens to the calling thread (lt_store_begin to commit), so a core
 * call runs its own transaction whole and never shares one with another
 * caller. */
#ifndef LIENTHONG_CTX_H
#define LIENTHONG_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lienthong/code.h"

/* A requester reads the catalogue and files change requests for its scope
 * (requests.h); it changes nothing directly. */
enum lt_role {
	LT_ROLE_ANONYMOUS = 0,
	LT_ROLE_READER,
	LT_ROLE_SYSTEM,
	LT_ROLE_MANAGER,
	LT_ROLE_ADMIN,
	LT_ROLE_REQUESTER
};

const char *lt_role_name(enum lt_role role);

/* Who is calling: filled from a bearer token, a signed VXP call, or the
 * CLI's local account (an admin named "cli:<user>"). Owns nothing. */
struct lt_principal {
	enum lt_role role;
	char scope[LT_CODE_BUFSZ]; /* manager, requester: subtree root */
	int64_t token_id;
	int64_t system_id; /* role system */
	char name[128];    /* the token's name; the CLI's "cli:<user>" */
	bool via_vxp;      /* a system authenticated by a signed VXP call, not a bearer token */
};

#define LT_REQUEST_ID_BUFSZ 40

struct lt_ctx {
	struct lt_principal who;
	/* The request this call serves, as the logs name it ("" when none: a
	 * CLI command, a test). */
	char request_id[LT_REQUEST_ID_BUFSZ];
};

/* The actor recorded with a registry change (the change feed's "actor"):
 * "http:<role>:token-<id>" for a bearer token, "vxp:system-<id>" for a
 * signed VXP call, else the principal's name ("cli:alice"); role and ids
 * only, since the feed is public and token names need not be. */
void lt_ctx_actor(const struct lt_ctx *ctx, char *out, size_t cap);

#endif
