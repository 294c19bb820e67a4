/* The whole catalogue as of one seq of the change feed (GET /v1/snapshot):
 * what a mirror loads first, before it follows the feed from that seq.
 * Written unit by unit to a file, so memory does not grow with the
 * catalogue. It is consistent without holding a read transaction across
 * the pages: the last seq is read before and after, and since every change
 * appends an event in its own transaction, equal seqs mean no change
 * committed in between. */
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "lienthong/catalogue.h"
#include "registry_impl.h"

struct snap {
	struct lt_registry *r;
	FILE *out;
	size_t n;
	struct lt_err *err;
};

static int write_unit(void *ctx, const struct lt_unit *u)
{
	struct snap *s = ctx;
	struct lt_codelist succ = {0}, pred = {0};
	int rc = lt_registry_lineage(s->r, u->code, &succ, &pred, s->err);
	json_t *o = rc ? NULL : lt_unit_to_json(u, &succ, &pred);
	lt_codelist_free(&succ);
	lt_codelist_free(&pred);
	if (rc)
		return rc;
	if (!o || fputs(s->n++ ? ",\n" : "\n", s->out) == EOF || json_dumpf(o, s->out, JSON_COMPACT) != 0)
		rc = lt_err_set(s->err, LT_EIO, "cannot write the snapshot");
	json_decref(o);
	return rc;
}

static int one_pass(struct lt_registry *r, FILE *out, int64_t seq, struct lt_err *err)
{
	struct snap s = {r, out, 0, err};
	if (fprintf(out, "{\"seq\":%lld,\"units\":[", (long long)seq) < 0)
		return lt_err_set(err, LT_EIO, "cannot write the snapshot");
	char cursor[LT_CURSOR_BUFSZ] = "";
	for (;;) {
		char next[LT_CURSOR_BUFSZ] = "";
		struct lt_search q = {.status = LT_FILTER_ALL, .limit = 500, .cursor = cursor[0] ? cursor : NULL};
		int rc = lt_registry_search(r, &q, write_unit, &s, next, err);
		if (rc)
			return lt_err_agree(err, rc);
		if (!next[0])
			break;
		memcpy(cursor, next, sizeof cursor);
	}
	if (fputs("]}\n", out) == EOF || fflush(out) != 0)
		return lt_err_set(err, LT_EIO, "cannot write the snapshot");
	return LT_OK;
}

int lt_registry_snapshot_write(struct lt_registry *r, FILE *out, int64_t *seq, struct lt_err *err)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		int64_t before = 0, after = 0;
		int rc = lt_store_last_seq(r->store, &before, err);
		if (rc)
			return rc;
		if (fseek(out, 0, SEEK_SET) != 0 || ftruncate(fileno(out), 0) != 0)
			return lt_err_set(err, LT_EIO, "cannot rewind the snapshot file");
		if ((rc = one_pass(r, out, before, err)) || (rc = lt_store_last_seq(r->store, &after, err)))
			return rc;
		if (after == before) {
			*seq = before;
			return LT_OK;
		}
	}
	return lt_err_set(err, LT_ENOTREADY,
			  "the catalogue kept changing while the snapshot was written: ask again, or follow the "
			  "change feed");
}
