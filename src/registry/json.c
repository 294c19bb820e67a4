/* Registry results as JSON: events in the history's shape (what a reader
 * wants to see) and in the change feed's (everything a mirror needs to
 * rebuild the unit), and what a reorganisation did. */
#include <string.h>

#include "registry_impl.h"

/* One event as the history shows it. The decision is the one the event's
 * unit carried; a contact update needs none and keeps the last one on the
 * unit, so it is shown as none rather than misattributed. */
json_t *lt_event_history_json(const struct lt_event *ev)
{
	json_t *data = json_loads(ev->data, 0, NULL);
	json_t *unit = json_object_get(data, "unit");
	json_t *o = json_object();
	json_object_set_new(o, "seq", json_integer(ev->seq));
	json_object_set_new(o, "change_id", ev->change_id ? json_integer(ev->change_id) : json_null());
	json_object_set_new(o, "kind", json_string(ev->kind));
	json_object_set_new(o, "code", json_string(ev->code));
	json_object_set_new(o, "effective", json_string(ev->effective));
	json_object_set_new(o, "at", json_string(ev->at));
	json_object_set_new(o, "name", json_incref(json_object_get(unit, "name")));
	json_object_set_new(o, "status", json_incref(json_object_get(unit, "status")));
	json_t *d = json_object_get(unit, "decision");
	json_object_set_new(o, "decision",
			    strcmp(ev->kind, "update") != 0 && json_is_object(d) ? json_incref(d) : json_null());
	json_t *s = json_object_get(data, "successors"), *p = json_object_get(data, "predecessors");
	json_object_set_new(o, "successors", json_is_array(s) ? json_incref(s) : json_array());
	json_object_set_new(o, "predecessors", json_is_array(p) ? json_incref(p) : json_array());
	json_t *old = json_object_get(data, "old_name");
	if (json_is_string(old))
		json_object_set_new(o, "old_name", json_incref(old));
	json_decref(data);
	return o;
}

json_t *lt_event_feed_json(const struct lt_event *ev)
{
	json_t *data = json_loads(ev->data, 0, NULL);
	if (!json_is_object(data)) {
		json_decref(data);
		data = json_object();
	}
	json_t *o = json_object();
	json_object_set_new(o, "seq", json_integer(ev->seq));
	json_object_set_new(o, "kind", json_string(ev->kind));
	json_object_set_new(o, "code", json_string(ev->code));
	json_object_set_new(o, "at", json_string(ev->at));
	json_object_set_new(o, "effective", json_string(ev->effective));
	json_object_set_new(o, "change_id", ev->change_id ? json_integer(ev->change_id) : json_null());
	const char *key;
	json_t *v;
	/* unit, successors, predecessors, old_name…: whatever the change recorded. */
	json_object_foreach(data, key, v)
	{
		if (!json_object_get(o, key))
			json_object_set(o, key, v);
	}
	json_decref(data);
	return o;
}

static json_t *codes_json(const struct lt_codelist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->codes[i]));
	return a;
}

json_t *lt_reorg_result_to_json(const struct lt_reorg_result *res, const char *kind, bool dry_run)
{
	json_t *moved = json_object();
	for (size_t i = 0; i < res->n_moved; i++)
		json_object_set_new(moved, res->moved[i].from, json_string(res->moved[i].to));
	/* A dry run's change was rolled back, so it has no id. */
	json_t *o = json_pack("{s:o,s:s,s:b,s:o,s:o,s:o}", "id", dry_run ? json_null() : json_integer(res->id), "kind",
			      kind, "dry_run", dry_run, "created", codes_json(&res->created), "closed",
			      codes_json(&res->closed), "moved", moved);
	if (o && dry_run && res->names)
		json_object_set(o, "names", res->names);
	return o;
}
