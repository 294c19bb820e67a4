/* The issue journal (docs/operations.md): a file the operator keeps apart
 * from the database and its backups, appended and synced as the registry
 * commits. It records every code an event was written for ("c CODE", before
 * the commit) and how far the change feed has gone ("s SEQ", after it). A
 * database restored from an older backup is behind the journal: the store
 * then refuses new events until the missing ones are copied back from a
 * mirror (lienthong catch-up), and never allocates a number the journal
 * names. */
#ifndef LT_STORE_JOURNAL_H
#define LT_STORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lienthong/code.h"
#include "lienthong/err.h"

struct lt__journal;

/* Opens (creating, mode 0600) and reads the journal at path. */
int lt__journal_open(struct lt__journal **out, const char *path, struct lt_err *err);
void lt__journal_close(struct lt__journal *j);
const char *lt__journal_path(const struct lt__journal *j);

/* Reads what other processes appended; *mark is the highest seq recorded
 * (0 when none). */
int lt__journal_mark(struct lt__journal *j, int64_t *mark, struct lt_err *err);

/* Appends the codes not yet recorded, then syncs: before their commit. */
int lt__journal_claim(struct lt__journal *j, const char (*codes)[LT_CODE_BUFSZ], size_t n, struct lt_err *err);
/* Appends "s SEQ" and syncs: after the commit that reached seq. */
int lt__journal_reached(struct lt__journal *j, int64_t seq, struct lt_err *err);

/* Adds to *v (malloc'd, *n entries, grown as needed) every number the
 * journal records under parent. */
int lt__journal_numbers(struct lt__journal *j, const char *parent, unsigned **v, size_t *n, struct lt_err *err);

#endif
