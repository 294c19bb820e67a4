/* Access control (design.md §7.2): roles, bearer tokens stored only as
 * hashes, the rules of who may read and write what, connected systems, and
 * the sealing of secrets with a key kept outside the database. */
#ifndef LIENTHONG_ACCESS_H
#define LIENTHONG_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lienthong/ctx.h"
#include "lienthong/store.h"

#define LT_TOKEN_BUFSZ 72
#define LT_SEAL_KEY_BYTES 32

int lt_role_parse(const char *text, enum lt_role *out, struct lt_err *err);

/* Who p is, as the audit trail names it: "token 7 (name)", "system 3
 * (name) via VXP", or the CLI's name. */
void lt_principal_describe(const struct lt_principal *p, char *out, size_t cap);

/* Makes a token, stores its hash and writes the secret (shown once) into
 * token, for an admin. A manager needs a scope (an active unit); a system token needs
 * system_id. out (optional) receives the stored row. */
int lt_token_create(struct lt_store *s, enum lt_role role, const char *scope, const char *name, int64_t system_id,
		    char token[LT_TOKEN_BUFSZ], struct lt_token *out, struct lt_err *err);
/* The act of the HTTP API and the CLI: lt_token_create's checks, decided
 * by lt_access_token for caller and recorded in the audit trail
 * ("token.create") in the same transaction. */
int lt_token_issue(struct lt_store *s, const struct lt_ctx *ctx, enum lt_role role, const char *scope, const char *name,
		   char token[LT_TOKEN_BUFSZ], struct lt_token *out, struct lt_err *err);
/* The tokens caller may see (lt_access_token), revoked ones included. */
int lt_token_list(struct lt_store *s, const struct lt_principal *caller, lt_token_cb cb, void *ctx, struct lt_err *err);
/* LT_EAUTH for an unknown, malformed or revoked token. */
int lt_token_authenticate(struct lt_store *s, const char *token, struct lt_principal *out, struct lt_err *err);
/* Principals of tokens already authenticated on one store, each valid
 * while the store's generation (lt_store_generation) stays what it was
 * before its row was read: revoking a token, re-scoping it, disabling or
 * enabling its system bump the generation when they commit, so the next
 * request reads the row again. lt_token_cache_new(0) is NULL: no cache. */
struct lt_token_cache;
struct lt_token_cache *lt_token_cache_new(size_t entries);
void lt_token_cache_free(struct lt_token_cache *c);
/* lt_token_authenticate through cache c (NULL: none); the same rules and
 * messages, applied to the row when it is read. */
int lt_token_authenticate_cached(struct lt_store *s, struct lt_token_cache *c, const char *token,
				 struct lt_principal *out, struct lt_err *err);
/* Authentications answered from the cache and those that read the store. */
void lt_token_cache_counts(struct lt_token_cache *c, uint64_t *hits, uint64_t *misses);
/* Revokes a token (lt_access_token decides), recorded in the audit trail;
 * out (optional) receives the row as it was, so the caller can say that a
 * system's VXP access (its secret) is untouched. */
int lt_token_revoke(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, struct lt_token *out, struct lt_err *err);

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
/* Publishing a unit's state into this catalogue from a hub below (POST
 * /v1/changes): an admin; a connected system whose subtree bindings
 * (subtrees) hold the unit, the root itself only for a contact update; or
 * a manager whose subtree holds it, as lt_access_write decides, or
 * lt_access_reorganise when the publication renames or closes a unit this
 * registry holds. */
int lt_access_publish(const struct lt_principal *p, const struct lt_codelist *subtrees, const char *code,
		      bool reorganise, struct lt_err *err);
/* Anything that needs a credential, whatever its role; what (plural, or
 * NULL) names it in the refusal ("exchange statistics need a bearer
 * token"). */
int lt_access_identified(const struct lt_principal *p, const char *what, struct lt_err *err);
/* A connected system acting for itself (sending, its inbox, acknowledging,
 * what it sent); refusal says what, for anyone else. */
int lt_access_as_system(const struct lt_principal *p, const char *refusal, struct lt_err *err);
/* Importing units (a CSV file, the shared catalogue's records): an admin,
 * or a manager, whose scope is then judged per row (lt_access_write). */
int lt_access_import(const struct lt_principal *p, struct lt_err *err);
/* Applying a plan (transition.h): an admin, or a manager, whose scope is
 * then judged for every unit each step touches, exactly as for the change
 * made alone; a requester files a request of kind plan instead. */
int lt_access_plan(const struct lt_principal *p, struct lt_err *err);
/* Registering a system: an admin, or a manager (each code is then checked
 * with lt_access_write). */
int lt_access_system_register(const struct lt_principal *p, struct lt_err *err);
/* Binding a whole subtree to a system (it then receives, and may send, for
 * every unit under root): the admin, or a manager whose scope holds root. */
int lt_access_subtree(const struct lt_principal *p, const char *root, struct lt_err *err);
/* Taking packages in from the upstream hub: the daemon's relay worker
 * (an admin principal) only. */
int lt_access_relay(const struct lt_principal *p, struct lt_err *err);
/* Listing connected systems: an admin, a manager or a system; each then
 * sees those lt_access_system_visible allows: an admin all, a system
 * itself, a manager those with a code inside its subtree. */
int lt_access_systems_list(const struct lt_principal *p, struct lt_err *err);
bool lt_access_system_visible(const struct lt_principal *p, const struct lt_system *sys,
			      const struct lt_codelist *codes);
/* Reading a document the hub carried: the admin, and its parties (party:
 * the system that sent it or a system it was delivered to), read its body
 * and its trace; a manager reads only the trace (metadata), of a document
 * one of whose codes (sender, addressed or routed-to recipients) lies in
 * its subtree. */
int lt_access_document(const struct lt_principal *p, bool party, const struct lt_codelist *codes, bool body,
		       struct lt_err *err);
/* Managing a connected system (disable, enable, a new token or VXP secret):
 * an admin any system, a manager a system whose every code (codes) lies
 * inside its subtree, so no manager can cut off a system that also speaks
 * for units beyond its scope. */
int lt_access_system(const struct lt_principal *p, const struct lt_codelist *codes, struct lt_err *err);
/* Binding a code to the system sys, or unbinding it: an admin any code; a
 * manager a code inside its subtree; a system only over VXP
 * (registerAgency, deleteAgency), only when agency_ops (vxp_agency_ops) is
 * on, only to itself and only a code strictly below its primary code. */
int lt_access_bind(const struct lt_principal *p, const struct lt_system *sys, const char *code, bool agency_ops,
		   struct lt_err *err);
/* Binding (not unbinding) code to sys, whose codes are codes: the rules of
 * lt_access_bind, and a manager binds only to a system it manages (every
 * code inside its subtree) or to one whose primary code lies above code. */
int lt_access_bind_to(const struct lt_principal *p, const struct lt_system *sys, const struct lt_codelist *codes,
		      const char *code, bool agency_ops, struct lt_err *err);

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

/* The operators' view of documents and deliveries: an admin all, a manager
 * (metadata only) those whose sender or recipient lies in its subtree;
 * codes NULL asks only whether the caller may look at all. */
int lt_access_operations(const struct lt_principal *p, const struct lt_codelist *codes, struct lt_err *err);
/* Creating, revoking or seeing a token of role with scope (canonical, ""
 * for none): an admin any; a manager a requester token for a unit of its
 * subtree; nobody else. */
int lt_access_token(const struct lt_principal *p, enum lt_role role, const char *scope, struct lt_err *err);
/* Adding an organisation outside the state tree (organizations.h): an
 * admin or a manager. */
int lt_access_org_write(const struct lt_principal *p, struct lt_err *err);
/* Connecting a system to an organisation's code (it then receives what is
 * addressed to the organisation): an admin only, for the code lies in no
 * manager's subtree. */
int lt_access_org_connect(const struct lt_principal *p, const char *code, struct lt_err *err);

/* Transition campaigns (campaigns.h): opening one, probing it and reading
 * it, over the units under `under` ("" for the whole registry): an admin
 * any; a manager one whose `under` lies inside its subtree (its root
 * included), never the whole registry. */
int lt_access_campaign(const struct lt_principal *p, const char *under, struct lt_err *err);
/* The uses of closed codes per system: an admin all, a manager those of the
 * systems it sees (lt_access_system_visible). */
int lt_access_stale(const struct lt_principal *p, struct lt_err *err);
/* Making the hub send a package of its own (a probe): an admin, or a
 * manager (whose campaign lt_access_campaign judged). */
int lt_access_hub_send(const struct lt_principal *p, struct lt_err *err);

/* ---- sealing ---- */

/* Loads the 32-byte key from path, creating it (mode 0600) when create is
 * set and the file is missing. */
int lt_seal_key_load(const char *path, bool create, unsigned char key[LT_SEAL_KEY_BYTES], struct lt_err *err);
/* The hub's key: data_dir/seal.key, the directory made when missing. */
int lt_seal_key_in(const char *data_dir, bool create, unsigned char key[LT_SEAL_KEY_BYTES], struct lt_err *err);
/* AES-256-GCM; the result is hex of nonce‖ciphertext‖tag. */
int lt_seal(const unsigned char key[LT_SEAL_KEY_BYTES], const char *plain, char *out, size_t cap, struct lt_err *err);
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
int lt_system_register(struct lt_store *s, const struct lt_ctx *ctx, const char *name,
		       const char (*codes)[LT_CODE_BUFSZ], size_t n_codes, const unsigned char key[LT_SEAL_KEY_BYTES],
		       struct lt_system_created *out, struct lt_err *err);
/* The same, and binds subtree roots as well (lt_access_subtree each): the
 * system receives and sends for every unit under each root that has no
 * system of its own, present or future. codes may then be empty. */
int lt_system_register_subtrees(struct lt_store *s, const struct lt_ctx *ctx, const char *name,
				const char (*codes)[LT_CODE_BUFSZ], size_t n_codes,
				const char (*subtrees)[LT_CODE_BUFSZ], size_t n_subtrees,
				const unsigned char key[LT_SEAL_KEY_BYTES], struct lt_system_created *out,
				struct lt_err *err);
/* Binds an active unit's code to system id, or unbinds it, as caller
 * (lt_access_bind), with the act in the audit trail, in one transaction.
 * Binding a code already bound changes nothing and records nothing;
 * unbinding one that is not bound is LT_ENOTFOUND, and the primary code
 * (the VXP systemid) is never unbound (LT_ERULE). */
int lt_system_bind(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, const char *code, bool agency_ops,
		   struct lt_err *err);
int lt_system_unbind(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, const char *code, bool agency_ops,
		     struct lt_err *err);
/* Cuts a system off (its bearer tokens and VXP calls get 401; its inbox
 * is kept) or lets it call again; asking for the state it is in changes
 * nothing. *changed (optional) says whether it did. */
int lt_system_set_disabled(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, bool disabled, bool *changed,
			   struct lt_err *err);
/* Revokes every token of the system and makes a new one (shown once);
 * *revoked says how many were revoked. The VXP secret is untouched. */
int lt_system_rotate_token(struct lt_store *s, const struct lt_ctx *ctx, int64_t id, char token[LT_TOKEN_BUFSZ],
			   int *revoked, struct lt_err *err);
/* Sets the VXP secret to `secret` (a system built on the SDK keeps the one
 * it has: 16 to 71 bytes of printable ASCII), or to a new random one when
 * secret is NULL; out receives the secret now in force. */
int lt_system_set_secret(struct lt_store *s, const struct lt_ctx *ctx, int64_t id,
			 const unsigned char key[LT_SEAL_KEY_BYTES], const char *secret, char out[LT_TOKEN_BUFSZ],
			 struct lt_err *err);
/* The system and its codes (sys may be NULL); the caller frees codes. */
int lt_system_load(struct lt_store *s, int64_t id, struct lt_system *sys, struct lt_codelist *codes,
		   struct lt_err *err);
/* The systems who may see (lt_access_systems_list, lt_access_system_visible),
 * lowest id first, each with its codes. */
typedef int (*lt_system_codes_cb)(void *ctx, const struct lt_system *sys, const struct lt_codelist *codes);
int lt_system_list(struct lt_store *s, const struct lt_principal *who, lt_system_codes_cb cb, void *ctx,
		   struct lt_err *err);
/* Systems whose primary code (the VXP systemid) is code. */
int lt_system_by_primary(struct lt_store *s, const char *code, lt_system_cb cb, void *ctx, struct lt_err *err);
/* Who the caller is, for itself (GET /v1/me): {role, scope, name,
 * token_id, and for a system system_id and its codes}; LT_EAUTH when it
 * sent no credential. Caller owns *out. */
int lt_principal_json(struct lt_store *s, const struct lt_principal *who, json_t **out, struct lt_err *err);

/* The system's VXP secret, unsealed. */
int lt_system_secret(struct lt_store *s, int64_t id, const unsigned char key[LT_SEAL_KEY_BYTES],
		     char secret[LT_TOKEN_BUFSZ], struct lt_err *err);

/* Binds (lt_cert_register) or revokes a unit's signing certificate for
 * caller, the unit's manager or an admin, recorded in the audit trail
 * ("cert.add", "cert.revoke", target "unit:CODE") in the same transaction. */
int lt_cert_bind(struct lt_store *s, const struct lt_ctx *ctx, const char *code, const char *pem, struct lt_cert *out,
		 struct lt_err *err);
int lt_cert_withdraw(struct lt_store *s, const struct lt_ctx *ctx, const char *code, int64_t id, struct lt_err *err);

/* ---- the audit trail ---- */

/* Appends an entry for an act of ctx->who inside the caller's transaction.
 * detail is a JSON object (borrowed) or NULL; never a secret. */
int lt_audit_record(struct lt_store *s, const struct lt_ctx *ctx, const char *action, const char *target,
		    const json_t *detail, struct lt_err *err);
/* Reading it is for an admin: entries after the cursor, oldest first, of
 * one target ("system:3") or all (NULL). */
int lt_audit_list(struct lt_store *s, const struct lt_principal *caller, const char *target, int64_t after, int limit,
		  lt_audit_cb cb, void *ctx, struct lt_err *err);

#endif
