/* The change feed (gap-free, ordered, so a consumer can mirror the catalogue
 * exactly; each page signed with the registry's key) and the compliance
 * report. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/campaigns.h"
#include "server.h"

struct feed {
	json_t *items;
	int64_t upto;
};

static int collect_event(void *ctx, const struct lt_event *ev)
{
	struct feed *f = ctx;
	if (ev->seq > f->upto)
		return 1; /* committed after the snapshot of last_seq: next page */
	json_t *o = lt_event_feed_json(ev);
	return o && json_array_append_new(f->items, o) == 0 ? LT_OK : LT_ENOMEM;
}

void h_changes(struct req *rq)
{
	long long after, limit;
	if (!auth_read(rq) || !req_query_int(rq, "after", 0, INT64_MAX, 0, &after) ||
	    !req_query_int(rq, "limit", 1, 1000, 100, &limit))
		return;
	/* last_seq first: the page then holds nothing newer than what it
	 * announces, and its ETag names exactly what it holds. */
	int64_t last = 0;
	struct lt_err err = {0};
	if (lt_registry_last_seq(rq->srv->reg, &last, &err)) {
		reply_err(rq, &err);
		return;
	}
	/* A system that asks, even one told nothing changed (304), has
	 * refreshed its catalogue. */
	lt_campaign_note_read(rq->srv->reg, &rq->call, LT_READ_CATALOGUE);
	char tag[96];
	snprintf(tag, sizeof tag, "\"f%lld-%lld-%lld\"", after, limit, (long long)last);
	if (reply_etag(rq, tag))
		return;
	struct feed f = {json_array(), last};
	int64_t ignored;
	int rc = lt_registry_changes_after(rq->srv->reg, after, (int)limit, collect_event, &f, &ignored, &err);
	if (rc < 0) {
		json_decref(f.items);
		reply_err(rq, &err);
		return;
	}
	reply_signed_json(rq, 200, json_pack("{s:o,s:I}", "items", f.items, "last_seq", (json_int_t)last));
}

void h_compliance(struct req *rq)
{
	if (!auth_read(rq))
		return;
	const char *l1 = req_query(rq, "level1");
	char code[LT_CODE_BUFSZ] = "";
	if (l1 && *l1 && !req_code(rq, l1, code, "level1"))
		return;
	json_t *items = NULL;
	struct lt_err err = {0};
	if (lt_registry_compliance(rq->srv->reg, code, &items, &err)) {
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, json_pack("{s:s?,s:o}", "level1", code[0] ? code : NULL, "items", items));
}
