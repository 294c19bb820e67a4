/* Operating a registry: backups, restores, and the issue journal that keeps
 * a restored registry from issuing again a code it issued after the backup
 * (docs/operations.md). */
#ifndef LIENTHONG_OPS_H
#define LIENTHONG_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "lienthong/err.h"

/* What a backup directory holds (docs/operations.md):
 *   lienthong.db           the database as of one commit
 *   packages/xx/<id>.xml   every package body its rows refer to
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
	uint64_t bodies_gone; /* removed by retention while the backup ran */
	bool seal_key;        /* the sealing key is in the backup */
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
	bool seal_key; /* a sealing key was put in place (from the backup or key_file) */
};

/* Restores the backup in dir into a fresh location: db must not exist and
 * data_dir must hold no package bodies. Every file is checked against
 * SHA256SUMS before it is put in place, the database last. key_file (may be
 * NULL) is the sealing key to use when the backup holds none. */
int lt_restore(const char *dir, const char *db, const char *data_dir, const char *key_file,
	       struct lt_restore_report *rep, struct lt_err *err);

#endif
