/* The catalogue across hubs (design.md §10): what a registry publishes is
 * signed with its own Ed25519 key, so a hub that mirrors it can tell the
 * upstream's data from anything altered on the way or sent by someone else.
 *
 * What is signed: the exact bytes of a reply body (a change-feed page, a
 * snapshot), nothing else. How it travels: the reply header
 *   X-Lienthong-Signature: ed25519 keyid=<16 hex> sig=<base64>
 * where sig is the 64-byte Ed25519 signature (RFC 8032, pure Ed25519) of the
 * body bytes and keyid the first 8 bytes, in hex, of the SHA-256 of the
 * 32-byte public key. A public key is written "ed25519:<base64 of its 32
 * bytes>" (lienthong key show; the mirror's upstream_public_key). */
#ifndef LIENTHONG_CATALOGUE_H
#define LIENTHONG_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lienthong/ctx.h"
#include "lienthong/err.h"

#define LT_CATKEY_HEADER "X-Lienthong-Signature"
/* "ed25519:" and 44 base64 characters. */
#define LT_CATKEY_PUB_BUFSZ 64
#define LT_CATKEY_ID_BUFSZ 17
/* "ed25519 keyid=<16> sig=<88>" */
#define LT_CATKEY_SIG_BUFSZ 128

struct lt_catkey;

/* The registry's signing key, kept in data_dir/catalogue.key (PKCS#8 PEM,
 * mode 0600) beside the sealing key; created when create is true and there
 * is none. */
int lt_catkey_open(const char *data_dir, bool create, struct lt_catkey **out, struct lt_err *err);
void lt_catkey_free(struct lt_catkey *k);
/* "ed25519:<base64>", and its key id. */
void lt_catkey_public(const struct lt_catkey *k, char pub[LT_CATKEY_PUB_BUFSZ], char id[LT_CATKEY_ID_BUFSZ]);
/* The header value (without the name) that signs these bytes. */
int lt_catkey_sign(const struct lt_catkey *k, const void *body, size_t len, char out[LT_CATKEY_SIG_BUFSZ],
		   struct lt_err *err);

/* Checks a public key's text; fills its key id. */
int lt_catkey_parse_public(const char *pub, char id[LT_CATKEY_ID_BUFSZ], struct lt_err *err);
/* Whether header (NULL when the reply had none) signs body with pub.
 * LT_EAUTH names what is wrong in words a health page can show: unsigned,
 * signed by another key (with both ids), or altered (the signature does not
 * match the bytes). */
int lt_catkey_verify(const char *pub, const void *body, size_t len, const char *header, struct lt_err *err);

/* ---- the registry's side (src/registry/mirror.c, snapshot.c, publish.c) ---- */

struct lt_registry;

/* The whole catalogue as of one seq of the change feed:
 * {"seq":N,"units":[unit objects with successors and predecessors]} and a
 * newline, written to out (rewound and truncated first); *seq is N. */
int lt_registry_snapshot_write(struct lt_registry *r, FILE *out, int64_t *seq, struct lt_err *err);

/* The subtree roots this hub serves (local_scope: codes separated by
 * commas; "" = every code, no upstream). Codes outside it are looked up in
 * the mirror first, and only changes inside it are published upstream. */
#define LT_SCOPE_MAX 32
int lt_registry_set_local_scope(struct lt_registry *r, const char *scope, struct lt_err *err);
/* True when no local_scope is set, or code lies in one of its subtrees. */
bool lt_registry_in_scope(struct lt_registry *r, const char *code);

/* ---- the mirror of the upstream's catalogue ----
 * Writes take a context whose principal is an admin (the daemon's own
 * mirror worker). pub is the upstream's public key; "" takes unsigned data
 * (no upstream_public_key configured). A refused reply writes nothing to
 * the mirror and is recorded for the health page. */

/* Replaces the mirror with a snapshot body. */
int lt_mirror_load_snapshot(struct lt_registry *r, const struct lt_ctx *ctx, const char *body, size_t len,
			    const char *sig, const char *pub, struct lt_err *err);
/* Applies a change-feed page that follows the mirror's last seq; *applied
 * counts its new items, *upstream_last is the page's last_seq. */
int lt_mirror_apply_page(struct lt_registry *r, const struct lt_ctx *ctx, const char *body, size_t len, const char *sig,
			 const char *pub, int64_t *applied, int64_t *upstream_last, struct lt_err *err);
/* Replaces the mirror with a VXP upstream's getAgenciesList data (items
 * {code, pid, name, mail, oldCode}): each agency outside local_scope an
 * active unit, each oldCode it names a closed unit resolving to it. The VXP
 * list is not signed: nothing is verified but its shape. */
int lt_mirror_load_agencies(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *data, struct lt_err *err);
/* Records that the upstream could not be reached (or answered an error):
 * the mirror keeps its last good copy. */
int lt_mirror_note_unreachable(struct lt_registry *r, const struct lt_ctx *ctx, const char *why, struct lt_err *err);

struct lt_mirror_status {
	int64_t last_seq;                 /* the upstream's seq the mirror holds; 0 before the first snapshot */
	int64_t units;                    /* mirrored units */
	char synced_at[32];               /* last good contact: a verified snapshot or page ("" never) */
	int64_t age_seconds;              /* since synced_at; -1 never */
	char refused[LT_ERR_MSG_MAX];     /* why the last reply was refused ("" when the last one was good) */
	char unreachable[LT_ERR_MSG_MAX]; /* why the upstream could not be reached ("" when it could) */
};
int lt_mirror_status(struct lt_registry *r, struct lt_mirror_status *st, struct lt_err *err);
/* A mirrored unit's object (caller owns), or LT_ENOTFOUND. */
int lt_mirror_unit_json(struct lt_registry *r, const char *code, json_t **out, struct lt_err *err);

/* ---- publication upstream (src/registry/publish.c) ---- */

/* On when this registry publishes its changes upstream: the compliance
 * report then judges the 7-day rule on the upstream's acceptance. */
void lt_registry_set_publishing(struct lt_registry *r, bool on);
bool lt_registry_publishing(struct lt_registry *r);
/* Whether a configuration publishes its changes upstream (a lienthong
 * upstream, or catalogue_publish_url). */
struct lt_config;
bool lt_catalogue_publishes(const struct lt_config *cfg);
/* local_scope and publishing from the configuration: what the daemon and
 * the CLI's compliance report both judge by. */
int lt_registry_federate(struct lt_registry *r, const struct lt_config *cfg, struct lt_err *err);

/* The next changes inside local_scope this registry has not yet had
 * accepted upstream: change-feed items after the publication cursor, at
 * most limit, the items array in *items (caller owns; empty when nothing
 * waits) and the seq of the last event looked at in *upto (items outside
 * the scope are passed over). */
int lt_publish_pending(struct lt_registry *r, int limit, json_t **items, int64_t *upto, struct lt_err *err);
/* The upstream accepted everything up to upto at accepted_at: the cursor
 * moves and the changes among items record that time, in one transaction. */
int lt_publish_accepted(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *items, int64_t upto,
			const char *accepted_at, struct lt_err *err);
/* The publication cursor and, when the last attempt failed, why. */
int lt_publish_status(struct lt_registry *r, int64_t *cursor, char why[LT_ERR_MSG_MAX], struct lt_err *err);
int lt_publish_note_failure(struct lt_registry *r, const char *why, struct lt_err *err);

/* The upstream's side: change-feed items published by a hub below (POST
 * /v1/changes), each the unit's whole state after a change, applied as
 * this registry's own changes in one transaction, all or nothing. ctx->who
 * must be allowed every unit (lt_access_publish). An item whose state this
 * registry holds already changes nothing (a retried publication).
 * *accepted counts the items that changed something. */
int lt_registry_publish_in(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *items, int64_t *accepted,
			   struct lt_err *err);

#endif
