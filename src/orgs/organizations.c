/* Organisations outside the state tree, held as references. */
#include <string.h>

#include "lienthong/organizations.h"

bool lt_org_code(const char *text)
{
	struct lt_enterprise e;
	return text && lt_enterprise_parse(&e, text, NULL) == LT_OK;
}

static int text_field(const char *v, const char *what, bool required, struct lt_err *err)
{
	if (required && !v[0])
		return lt_err_set(err, LT_EINVAL, "an organisation needs a %s", what);
	if (!lt_text_is_clean_utf8(v))
		return lt_err_set(err, LT_EINVAL, "%s is not valid UTF-8 text, or holds a control character", what);
	return LT_OK;
}

static int one_of(const char *v, const char *const *allowed, const char *what, struct lt_err *err)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(v, allowed[i]) == 0)
			return LT_OK;
	return lt_err_set(err, LT_EINVAL, "%s '%.40s' is not one of the allowed values", what, v);
}

int lt_org_add(struct lt_store *s, const struct lt_ctx *ctx, const struct lt_org *in, struct lt_org *out,
	       struct lt_err *err)
{
	const struct lt_principal *who = &ctx->who;
	static const char *const kinds[] = {"enterprise", "cooperative", "dependent", NULL};
	static const char *const statuses[] = {"active", "suspended", "dissolved", NULL};
	int rc = lt_access_org_write(who, err);
	if (rc)
		return rc;
	struct lt_enterprise e;
	if (lt_enterprise_parse(&e, in->code, err))
		return lt_err_prefix(err, "code '%.20s': ", in->code);
	struct lt_org o = *in;
	char canon[15];
	lt_enterprise_format(&e, canon);
	snprintf(o.code, sizeof o.code, "%s", canon);
	o.parent[0] = '\0';
	if (e.branch) {
		snprintf(o.parent, sizeof o.parent, "%.10s", e.base);
		if (!o.kind[0])
			snprintf(o.kind, sizeof o.kind, "dependent");
	} else if (!o.kind[0]) {
		snprintf(o.kind, sizeof o.kind, "enterprise");
	}
	if (!o.status[0])
		snprintf(o.status, sizeof o.status, "active");
	if (!o.source[0])
		snprintf(o.source, sizeof o.source, "%s", LT_ORG_SOURCE_DEFAULT);
	if ((rc = one_of(o.kind, kinds, "kind", err)) || (rc = one_of(o.status, statuses, "status", err)) ||
	    (rc = text_field(o.name, "name", true, err)) || (rc = text_field(o.address, "address", false, err)) ||
	    (rc = text_field(o.source, "source", false, err)) || (rc = text_field(o.website, "website", false, err)))
		return rc;
	if ((strcmp(o.kind, "dependent") == 0) != (e.branch != 0))
		return lt_err_set(err, LT_EINVAL,
				  "a dependent unit has a -NNN code, and only a dependent unit has one");
	if (o.email[0] && !lt_email_ok(o.email))
		return lt_err_set(err, LT_EINVAL, "email '%s' is not an address", o.email);
	if (o.phone[0] && !lt_phone_ok(o.phone))
		return lt_err_set(err, LT_EINVAL, "phone '%s' must have 3 to 20 digits", o.phone);
	lt_time_now(o.added);
	snprintf(o.updated, sizeof o.updated, "%s", o.added);
	if ((rc = lt_store_begin(s, err)))
		return rc;
	struct lt_org parent;
	if (o.parent[0] && (rc = lt_store_org_get(s, o.parent, &parent, err)) == LT_ENOTFOUND)
		rc = lt_err_set(err, LT_ERULE, "%s is a dependent unit of %s, which is not held here: add it first",
				o.code, o.parent);
	if (rc == LT_OK)
		rc = lt_store_org_add(s, &o, err);
	if (rc == LT_OK)
		rc = lt_store_commit(s, err);
	else
		lt_store_rollback(s);
	if (rc == LT_OK && out)
		*out = o;
	return rc;
}

int lt_org_get(struct lt_store *s, const char *code, struct lt_org *out, struct lt_err *err)
{
	struct lt_enterprise e;
	if (lt_enterprise_parse(&e, code, err))
		return lt_err_prefix(err, "code '%.20s': ", code ? code : "");
	char canon[15];
	int rc = lt_store_org_get(s, lt_enterprise_format(&e, canon), out, err);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(err, LT_ENOTFOUND, "no organisation %s is held here", canon);
	return rc;
}

json_t *lt_org_to_json(const struct lt_org *o)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "code", o->code, "kind", o->kind, "name",
			      o->name, "address", o->address, "email", o->email, "phone", o->phone, "website",
			      o->website, "source", o->source, "status", o->status, "added", o->added);
	json_object_set_new(j, "parent", o->parent[0] ? json_string(o->parent) : json_null());
	return j;
}

static int collect(void *ctx, const struct lt_org *o)
{
	json_array_append_new(ctx, lt_org_to_json(o));
	return 0;
}

int lt_org_search(struct lt_store *s, const char *q, int limit, json_t **items, struct lt_err *err)
{
	const char *text = q ? q : "";
	bool code = text[0] && strspn(text, "0123456789-") == strlen(text);
	char fold[512] = "";
	if (!code && text[0]) {
		if (strlen(text) > 200 || !lt_text_is_clean_utf8(text))
			return lt_err_set(err, LT_EINVAL, "q must be up to 200 bytes of text");
		lt_text_fold(text, fold, sizeof fold);
	}
	json_t *arr = json_array();
	int rc = lt_store_orgs(s, code ? text : "", fold, limit > 0 && limit <= 500 ? limit : 50, collect, arr, err);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*items = arr;
	return LT_OK;
}
