/* Units as values: code lists, decisions and the JSON form of design.md §7.2. */
#include <stdlib.h>
#include <string.h>

#include "registry_impl.h"
#include "util/grow.h"

int lt_codelist_add(struct lt_codelist *l, const char *code)
{
	if (lt__grow(&l->codes, l->n, &l->cap, sizeof *l->codes))
		return LT_ENOMEM;
	snprintf(l->codes[l->n++], LT_CODE_BUFSZ, "%s", code);
	return LT_OK;
}

bool lt_codelist_has(const struct lt_codelist *l, const char *code)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->codes[i], code) == 0)
			return true;
	return false;
}

void lt_codelist_free(struct lt_codelist *l)
{
	free(l->codes);
	memset(l, 0, sizeof *l);
}

bool lt_decision_complete(const struct lt_decision *d)
{
	char tmp[LT_DATE_BUFSZ];
	return d->number[0] && d->issuer[0] && lt_date_parse(d->date, tmp, NULL) == LT_OK;
}

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *codelist_json(const struct lt_codelist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; l && i < l->n; i++)
		json_array_append_new(a, json_string(l->codes[i]));
	return a;
}

json_t *lt_unit_to_json(const struct lt_unit *u, const struct lt_codelist *successors,
			const struct lt_codelist *predecessors)
{
	json_t *o = json_object();
	json_object_set_new(o, "code", json_string(u->code));
	json_object_set_new(o, "name", json_string(u->name));
	json_object_set_new(o, "level", json_integer(u->level));
	json_object_set_new(o, "parent", str_or_null(u->parent));
	json_object_set_new(o, "status", json_string(u->status == LT_UNIT_ACTIVE ? "active" : "closed"));
	json_object_set_new(o, "address", json_string(u->contact.address));
	json_object_set_new(o, "email", json_string(u->contact.email));
	json_object_set_new(o, "phone", json_string(u->contact.phone));
	json_object_set_new(o, "fax", json_string(u->contact.fax));
	json_object_set_new(o, "website", json_string(u->contact.website));
	json_object_set_new(o, "decision",
			    u->decision.number[0] || u->decision.date[0]
				    ? json_pack("{s:s,s:o,s:s}", "number", u->decision.number, "date",
						str_or_null(u->decision.date), "issuer", u->decision.issuer)
				    : json_null());
	json_object_set_new(o, "valid_from", json_string(u->valid_from));
	json_object_set_new(o, "valid_to", str_or_null(u->valid_to));
	json_object_set_new(o, "reorganized", str_or_null(u->reorganized));
	json_object_set_new(o, "recorded", str_or_null(u->recorded));
	if (successors)
		json_object_set_new(o, "successors", codelist_json(successors));
	if (predecessors)
		json_object_set_new(o, "predecessors", codelist_json(predecessors));
	json_object_set_new(o, "version", json_integer(u->version));
	return o;
}

static void get_str(json_t *o, const char *key, char *dst, size_t n)
{
	const char *v = json_string_value(json_object_get(o, key));
	snprintf(dst, n, "%s", v ? v : "");
}

int lt_unit_from_json(json_t *o, struct lt_unit *u)
{
	if (!json_is_object(o))
		return LT_EINVAL;
	memset(u, 0, sizeof *u);
	get_str(o, "code", u->code, sizeof u->code);
	get_str(o, "parent", u->parent, sizeof u->parent);
	u->level = (int)json_integer_value(json_object_get(o, "level"));
	get_str(o, "name", u->name, sizeof u->name);
	get_str(o, "address", u->contact.address, sizeof u->contact.address);
	get_str(o, "email", u->contact.email, sizeof u->contact.email);
	get_str(o, "phone", u->contact.phone, sizeof u->contact.phone);
	get_str(o, "fax", u->contact.fax, sizeof u->contact.fax);
	get_str(o, "website", u->contact.website, sizeof u->contact.website);
	const char *st = json_string_value(json_object_get(o, "status"));
	u->status = st && strcmp(st, "closed") == 0 ? LT_UNIT_CLOSED : LT_UNIT_ACTIVE;
	json_t *d = json_object_get(o, "decision");
	get_str(d, "number", u->decision.number, sizeof u->decision.number);
	get_str(d, "date", u->decision.date, sizeof u->decision.date);
	get_str(d, "issuer", u->decision.issuer, sizeof u->decision.issuer);
	get_str(o, "valid_from", u->valid_from, sizeof u->valid_from);
	get_str(o, "valid_to", u->valid_to, sizeof u->valid_to);
	get_str(o, "reorganized", u->reorganized, sizeof u->reorganized);
	get_str(o, "recorded", u->recorded, sizeof u->recorded);
	u->version = json_integer_value(json_object_get(o, "version"));
	return u->code[0] ? LT_OK : LT_EINVAL;
}
