/* Access control (design.md §7.2): roles, bearer tokens stored only as
 * hashes, the rules of who may read and write what, connected systems, and
 * the sealing of secrets with a key kept outside the database. */
#ifndef LIENTHONG_ACCESS_H
#define LIENTHONG_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lienthong/store.h"

/* A requester reads the catalogue and files change requests for its scope
 * (requests.h); it changes nothing directly. */
enum lt_role { LT_ROLE_ANONYMOUS = 0, LT_ROLE_READER, LT_ROLE_SYSTEM, LT_ROLE_MANAGER, LT_ROLE_ADMIN, LT_ROLE_REQUESTER };

#define LT_TOKEN_BUFSZ 72
#define LT_SEAL_KEY_BYTES 32

const char *lt_role_name(enum lt_role role);
int lt_role_parse(const char *text, enum lt_role *out, struct lt_err *err);

/* Who is calling: filled from a bearer token, or anonymous. Owns nothing. */
struct lt_principal {
	enum lt_role role;
	char scope[LT_CODE_BUFSZ]; /* manager, requester: subtree root */
	int64_t token_id;
	int64_t system_id;         /* role system */
	char name[128];
};

/* Makes a token, stores its hash and writes the secret (shown once) into
 * token. A manager needs a scope (an active unit); a system token needs
 * system_id. out (optional) receives the stored row. */
int lt_token_create(struct lt_store *s, enum lt_role role, const char *scope, const char *name,
		    int64_t system_id, char token[LT_TOKEN_BUFSZ], struct lt_token *out, struct lt_err *err);
/* LT_EAUTH for an unknown, malformed or revoked token. */
int lt_token_authenticate(struct lt_store *s, const char *token, struct lt_principal *out, struct lt_err *err);
int lt_token_revoke(struct lt_store *s, int64_t id, struct lt_err *err);

/* ---- the rules ---- */

/* Reading the public catalogue: anyone when public_read, else any token. */
int lt_access_read(const struct lt_principal *p, bool public_read, struct lt_err *err);
/* Changing the unit with this code, or creating one under it: an admin
 * anywhere, a manager inside its subtree (its root included). */
int lt_access_write(const struct lt_principal *p, const char *code, struct lt_err *err);
/* Renaming or reorganising the unit with this code: an admin anywhere, a
 * manager strictly below its root. The root itself (a level-1 unit, as
 * a manager's scope usually is) belongs to whoever keeps the level above,
 * the admin for the level-1 table (design.md §1). */
int lt_access_reorganise(const struct lt_principal *p, const char *code, struct lt_err *err);
int lt_access_admin(const struct lt_principal *p, struct lt_err *err);
/* Reading a document the hub carried: the admin, and its parties (party:
 * the system that sent it or a system it was delivered to), read its body
 * and its trace; a manager reads only the trace (metadata), of a document
 * one of whose codes (sender, addressed or routed-to recipients) lies in
 * its subtree. */
int lt_access_document(const struct lt_principal *p, bool party, const struct lt_codelist *codes, bool body,
		       struct lt_err *err);

/* Change requests (requests.h). Filing one about code: an admin anywhere,
 * a manager or requester inside its subtree (its root included), a system
 * for a code it is bound to (system_codes: the caller's codes). */
int lt_access_request_file(const struct lt_principal *p, const char *code, const struct lt_codelist *system_codes,
			   struct lt_err *err);
/* Reading a request about code (filer_token: the token that filed it): as
 * filing, and whoever filed it. */
int lt_access_request_read(const struct lt_principal *p, const char *code, const struct lt_codelist *system_codes,
			   int64_t filer_token, struct lt_err *err);
/* Deciding (review, return, reject, approve) a request that touches code:
 * an admin or a manager allowed the direct change (lt_access_reorganise
 * when reorganise, else lt_access_write), never the token that filed it. */
int lt_access_request_decide(const struct lt_principal *p, const char *code, bool reorganise, int64_t filer_token,
			     struct lt_err *err);

/* Adding an organisation outside the state tree (organizations.h): an
 * admin or a manager. */
int lt_access_org_write(const struct lt_principal *p, struct lt_err *err);

/* ---- sealing ---- */

/* Loads the 32-byte key from path, creating it (mode 0600) when create is
 * set and the file is missing. */
int lt_seal_key_load(const char *path, bool create, unsigned char key[LT_SEAL_KEY_BYTES], struct lt_err *err);
/* The hub's key: data_dir/seal.key, the directory made when missing. */
int lt_seal_key_in(const char *data_dir, bool create, unsigned char key[LT_SEAL_KEY_BYTES], struct lt_err *err);
/* AES-256-GCM; the result is hex of nonce‖ciphertext‖tag. */
int lt_seal(const unsigned char key[LT_SEAL_KEY_BYTES], const char *plain, char *out, size_t cap,
	    struct lt_err *err);
/* The inverse; LT_EAUTH when the key does not open it. */
int lt_unseal(const unsigned char key[LT_SEAL_KEY_BYTES], const char *sealed, char *out, size_t cap,
	      struct lt_err *err);

/* ---- connected systems ---- */

struct lt_system_created {
	int64_t id;
	char token[LT_TOKEN_BUFSZ];      /* bearer token, shown once */
	char vxp_secret[LT_TOKEN_BUFSZ]; /* HMAC key of the VXP API, shown once */
};

/* Registers a system for active units' codes (borrowed), in one transaction:
 * the system, its codes, its token and its sealed VXP secret. The caller
 * must be allowed to write each code (lt_access_write). */
int lt_system_register(struct lt_store *s, const struct lt_principal *caller, const char *name,
		       const char (*codes)[LT_CODE_BUFSZ], size_t n_codes, const unsigned char key[LT_SEAL_KEY_BYTES],
		       struct lt_system_created *out, struct lt_err *err);
/* The system's VXP secret, unsealed. */
int lt_system_secret(struct lt_store *s, int64_t id, const unsigned char key[LT_SEAL_KEY_BYTES],
		     char secret[LT_TOKEN_BUFSZ], struct lt_err *err);

#endif
