/* Operating a registry: backups, restores, and the issue journal that keeps
 * a restored registry from issuing again a code it issued after the backup
 * (docs/operations.md). */
#ifndef LIENTHONG_OPS_H
#define LIENTHONG_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lienthong/ctx.h"
#include "lienthong/err.h"

/* What a backup directory holds (docs/operations.md):
 *   lienthong.db           the database as of one commit
 *   packages/xx/<id>.xml   every package body its rows refer to
 *   requests/<id>/<n>      every change request's file they refer to
 *   seal.key               the sealing key, unless left out
 *   SHA256SUMS             the digest of every file above (sha256sum -c)
 *   backup.json            written last: the backup is complete */
#define LT_BACKUP_DB "lienthong.db"
#define LT_BACKUP_SUMS "SHA256SUMS"
#define LT_BACKUP_META "backup.json"

struct lt_backup_report {
	int64_t last_seq; /* the copy's last event of the change feed */
	uint64_t bodies;  /* package bodies copied */
	uint64_t body_bytes;
	uint64_t bodies_gone;   /* removed by retention while the backup ran */
	uint64_t request_files; /* change requests' files copied (their bytes in body_bytes) */
	bool seal_key;          /* the sealing key is in the backup */
};

/* Backs up the store at db and the bodies and sealing key under data_dir
 * into dir, which must not exist or be empty. Consistent while a daemon
 * writes: the database is copied as of one commit first, then the bodies
 * its rows refer to. with_key false leaves data_dir/seal.key out. */
int lt_backup(const char *db, const char *data_dir, const char *dir, bool with_key, struct lt_backup_report *rep,
	      struct lt_err *err);

struct lt_restore_report {
	int64_t last_seq;
	uint64_t bodies;
	uint64_t request_files;
	bool seal_key; /* a sealing key was put in place (from the backup or key_file) */
};

/* Restores the backup in dir into a fresh location: db must not exist and
 * data_dir must hold no package bodies. Every file is checked against
 * SHA256SUMS before it is put in place, the database last. key_file (may be
 * NULL) is the sealing key to use when the backup holds none. */
int lt_restore(const char *dir, const char *db, const char *data_dir, const char *key_file,
	       struct lt_restore_report *rep, struct lt_err *err);

/* ---- the issue journal and catching up (docs/operations.md) ---- */

struct lt_registry;

/* Keeps the issue journal (config key issue_journal) at path for r; NULL
 * or "" keeps none. Changes are then refused while the database is behind
 * the journal, and no number the journal names is allocated again. */
int lt_registry_journal_open(struct lt_registry *r, const char *path, struct lt_err *err);
/* *mark: the seq the journal records (-1 when none is kept); *last: the
 * database's. The registry is behind when *mark > *last. */
int lt_registry_journal_status(struct lt_registry *r, int64_t *mark, int64_t *last, struct lt_err *err);

/* Applies one page of a mirror's change feed (the items array of
 * GET /v1/changes) in one transaction: every item this registry holds must
 * be its own event, the others must follow its last seq without a gap.
 * Each is written under its seq with the unit's state, lineage and change
 * record it carries (its actor is upstream's). For an admin (ctx->who).
 * *applied counts the new events. */
int lt_registry_catch_up(struct lt_registry *r, const struct lt_ctx *ctx, json_t *items, int64_t *applied,
			 struct lt_err *err);

#endif
