/* Catching up from a mirror: the events a registry restored from an older
 * backup lacks are copied from the change feed of a registry that read
 * them (a mirror, the upstream, the old daemon itself while it still runs).
 * Each feed item carries the unit's whole state after the change, its
 * lineage and its change id, so applying it rebuilds the row, the lineage,
 * the change record and the event under the same seq. One page is one
 * transaction. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/access.h"
#include "lienthong/ops.h"
#include "registry_impl.h"

int lt_registry_journal_open(struct lt_registry *r, const char *path, struct lt_err *err)
{
	return lt_store_journal_open(r->store, path, err);
}

int lt_registry_journal_status(struct lt_registry *r, int64_t *mark, int64_t *last, struct lt_err *err)
{
	return lt_store_journal_status(r->store, mark, last, err);
}

static int max_change(void *ctx, const struct lt_change *c)
{
	int64_t *max = ctx;
	if (c->id > *max)
		*max = c->id;
	return LT_OK;
}

static int keep_event(void *ctx, const struct lt_event *ev)
{
	json_t **out = ctx;
	*out = lt_event_feed_json(ev);
	return *out ? 1 : LT_ENOMEM;
}

static const char *str(const json_t *item, const char *key)
{
	const char *v = json_string_value(json_object_get(item, key));
	return v ? v : "";
}

/* An item this registry holds already must be its own event, whole: else
 * the feed is another registry's, and copying from it would mix histories. */
static int check_same(struct lt_registry *r, json_t *item, int64_t seq, struct lt_err *err)
{
	json_t *mine = NULL;
	int rc = lt_store_events_after(r->store, seq - 1, 1, keep_event, &mine, err);
	if (rc < 0)
		return rc;
	if (rc == LT_ENOMEM || (rc == 1 && !mine))
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	if (!json_equal(mine, item))
		rc = lt_err_set(err, LT_ECONFLICT,
				"the feed's event %lld (%s %s at %s) is not this registry's (%s %s at %s): it is "
				"not a mirror of this registry",
				(long long)seq, str(item, "kind"), str(item, "code"), str(item, "at"),
				str(mine, "kind"), str(mine, "code"), str(mine, "at"));
	else
		rc = LT_OK;
	json_decref(mine);
	return rc;
}

static int add_lineage(struct lt_registry *r, json_t *item, const char *code, int64_t change_id, struct lt_err *err)
{
	size_t i;
	json_t *v;
	int rc = LT_OK;
	json_array_foreach(json_object_get(item, "successors"), i, v) if (rc == LT_OK && json_is_string(v)) rc =
		lt_store_lineage_add(r->store, code, json_string_value(v), change_id, err);
	json_array_foreach(json_object_get(item, "predecessors"), i, v) if (rc == LT_OK && json_is_string(v)) rc =
		lt_store_lineage_add(r->store, json_string_value(v), code, change_id, err);
	return rc;
}

/* The summary of each change the page brings, rebuilt from its events in
 * the shape the registry writes (the feed does not carry it): an issue's
 * created code, a rename's code, a reorganisation's closed units and the
 * existing unit they went into, an import's row count. The compliance
 * report reads the codes from it. */
static json_t *summaries(json_t *items, int64_t max_change_id)
{
	json_t *all = json_object();
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		json_int_t id = json_integer_value(json_object_get(item, "change_id"));
		if (id <= max_change_id)
			continue;
		char key[32];
		snprintf(key, sizeof key, "%lld", (long long)id);
		json_t *sum = json_object_get(all, key);
		if (!sum)
			json_object_set_new(all, key, sum = json_object());
		const char *kind = str(item, "kind"), *code = str(item, "code");
		json_t *unit = json_object_get(item, "unit");
		bool closed = strcmp(str(unit, "status"), "closed") == 0;
		if (strcmp(kind, "issue") == 0) {
			if (!json_object_get(sum, "created"))
				json_object_set_new(sum, "created", json_array());
			json_array_append_new(json_object_get(sum, "created"), json_string(code));
		} else if (strcmp(kind, "rename") == 0) {
			json_object_set_new(sum, "renamed", json_string(code));
		} else if (strcmp(kind, "import") == 0) {
			json_object_set_new(sum, "rows",
					    json_integer(json_integer_value(json_object_get(sum, "rows")) + 1));
		} else if (strcmp(kind, "update") != 0) {
			json_object_set_new(sum, "kind", json_string(kind));
			if (!json_object_get(sum, "from"))
				json_object_set_new(sum, "from", json_array());
			if (closed)
				json_array_append_new(json_object_get(sum, "from"), json_string(code));
			else if (json_integer_value(json_object_get(unit, "version")) > 1)
				json_object_set_new(sum, "into", json_string(code));
		}
	}
	return all;
}

static int add_change(struct lt_registry *r, const json_t *item, const struct lt_unit *u, int64_t id, json_t *sum,
		      struct lt_err *err)
{
	struct lt_change c = {0};
	c.id = id;
	snprintf(c.kind, sizeof c.kind, "%s", str(item, "kind"));
	snprintf(c.effective, sizeof c.effective, "%s", str(item, "effective"));
	snprintf(c.reorganized, sizeof c.reorganized, "%s", u->reorganized[0] ? u->reorganized : c.effective);
	snprintf(c.recorded, sizeof c.recorded, "%s", u->recorded);
	snprintf(c.at, sizeof c.at, "%s", str(item, "at"));
	snprintf(c.actor, sizeof c.actor, "%s", str(item, "actor"));
	c.decision = u->decision;
	char *summary = sum ? json_dumps(sum, JSON_COMPACT) : NULL;
	c.summary = summary;
	int rc = summary ? lt_store_change_add(r->store, &c, err) : lt_err_set(err, LT_ENOMEM, "out of memory");
	free(summary);
	return rc;
}

static int apply(struct lt_registry *r, json_t *item, int64_t seq, int64_t *max_change_id, json_t *sums,
		 struct lt_err *err)
{
	static const char *const header[] = {"seq", "kind", "code", "at", "effective", "change_id"};
	struct lt_unit u;
	char code[LT_CODE_BUFSZ], date[LT_DATE_BUFSZ];
	struct lt_code c;
	const char *kind = str(item, "kind"), *at = str(item, "at");
	if (lt_code_parse(&c, str(item, "code"), LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) != LT_OK ||
	    lt_unit_from_json(json_object_get(item, "unit"), &u) != LT_OK || strcmp(u.code, str(item, "code")) != 0 ||
	    !kind[0] || strlen(kind) >= sizeof((struct lt_event *)0)->kind || !at[0] || strlen(at) >= 32 ||
	    lt_date_parse(str(item, "effective"), date, NULL) != LT_OK)
		return lt_err_set(err, LT_EINVAL,
				  "the feed's event %lld is not a change-feed item (seq, kind, code, at, effective and "
				  "the unit's state)",
				  (long long)seq);
	lt_code_format(&c, code);
	/* What the mirror sends becomes rows this registry serves: held to the
	 * rules its own writes are. */
	if (u.level != lt_code_level(&c))
		return lt_err_set(err, LT_EINVAL, "the feed's event %lld gives %s level %d: its code says %d",
				  (long long)seq, code, u.level, lt_code_level(&c));
	if (lt__name_check(u.name, err) || lt__contact_check(&u.contact, err))
		return lt_err_prefix(err, "the feed's event %lld for %s: ", (long long)seq, code);
	json_int_t change_id = json_integer_value(json_object_get(item, "change_id"));
	int rc = LT_OK;
	if (change_id > *max_change_id) {
		char key[32];
		snprintf(key, sizeof key, "%lld", (long long)change_id);
		if ((rc = add_change(r, item, &u, change_id, json_object_get(sums, key), err)))
			return rc;
		*max_change_id = change_id;
	}
	json_t *data = json_deep_copy(item);
	for (size_t i = 0; data && i < sizeof header / sizeof header[0]; i++)
		json_object_del(data, header[i]);
	struct lt_event ev = {0};
	ev.change_id = change_id;
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.code, sizeof ev.code, "%s", code);
	snprintf(ev.parent, sizeof ev.parent, "%s", u.parent);
	snprintf(ev.at, sizeof ev.at, "%s", at);
	snprintf(ev.effective, sizeof ev.effective, "%s", date);
	ev.data = data ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	if (!ev.data)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	rc = lt_store_event_append(r->store, &ev, err);
	lt_event_clear(&ev);
	if (rc == LT_OK && ev.seq != seq)
		rc = lt_err_set(err, LT_EIO, "internal error: the feed's event %lld was written as %lld",
				(long long)seq, (long long)ev.seq);
	if (rc == LT_OK)
		rc = lt_store_unit_put(r->store, &u, err);
	if (rc == LT_OK)
		rc = add_lineage(r, item, code, change_id, err);
	return rc;
}

int lt_registry_catch_up(struct lt_registry *r, const struct lt_ctx *ctx, json_t *items, int64_t *applied,
			 struct lt_err *err)
{
	*applied = 0;
	int denied = lt_access_admin(&ctx->who, err);
	if (denied)
		return denied;
	if (!json_is_array(items))
		return lt_err_set(err, LT_EINVAL, "the change feed's reply has no items array");
	int rc = lt_store_begin(r->store, err);
	if (rc)
		return rc;
	lt_store_journal_replaying(r->store, true);
	int64_t last = 0, max_change_id = 0;
	rc = lt_store_last_seq(r->store, &last, err);
	if (rc == LT_OK)
		rc = lt_store_changes(r->store, max_change, &max_change_id, err);
	json_t *sums = rc ? NULL : summaries(items, max_change_id);
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		if (rc)
			break;
		json_int_t seq = json_integer_value(json_object_get(item, "seq"));
		if (seq <= 0)
			rc = lt_err_set(err, LT_EINVAL, "item %zu of the change feed has no seq", i);
		else if (seq <= last)
			rc = check_same(r, item, seq, err);
		else if (seq != last + 1)
			rc = lt_err_set(err, LT_ECONFLICT,
					"the change feed jumps from seq %lld to %lld: a feed is gap-free, so this is "
					"not one",
					(long long)last, (long long)seq);
		else if ((rc = apply(r, item, seq, &max_change_id, sums, err)) == LT_OK) {
			last = seq;
			(*applied)++;
		}
	}
	json_decref(sums);
	LT_TXN_END(r, rc, err);
	if (rc)
		*applied = 0;
	return rc;
}
