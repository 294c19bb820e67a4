/* A request's proposal: the body of the change it asks for, parsed into the
 * registry's shapes, the codes it touches, and its application. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/transition.h"
#include "requests_impl.h"

const char *const lt__request_kinds[RK_N] = {"issue", "rename", "update", "move", "split", "merge", "dissolve", "plan"};

static const char *const contact_keys[] = {"address", "email", "phone", "fax", "website"};

static int oom(struct lt_err *err) { return lt_err_set(err, LT_ENOMEM, "out of memory"); }

/* Refuses fields outside allowed (a NULL-terminated list). */
static int only(json_t *o, const char *const *allowed, const char *where, struct lt_err *err)
{
	if (!json_is_object(o))
		return lt_err_set(err, LT_EINVAL, "'%s' must be an object", where);
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (!allowed[i])
			return lt_err_set(err, LT_EINVAL, "'%s' takes no field '%.60s'", where, key);
	}
	return LT_OK;
}

static int str(json_t *o, const char *key, char *dst, size_t size, bool required, const char *where, struct lt_err *err)
{
	json_t *v = json_object_get(o, key);
	dst[0] = '\0';
	if (!v || json_is_null(v))
		return required ? lt_err_set(err, LT_EINVAL, "'%s.%s' is required", where, key) : LT_OK;
	if (!json_is_string(v))
		return lt_err_set(err, LT_EINVAL, "'%s.%s' must be a string", where, key);
	size_t n = json_string_length(v);
	if (n >= size || strlen(json_string_value(v)) != n)
		return lt_err_set(err, LT_EINVAL, "'%s.%s' is too long (at most %zu bytes) or holds a NUL", where, key,
				  size - 1);
	memcpy(dst, json_string_value(v), n + 1);
	return LT_OK;
}

static int code_of(const char *text, char out[LT_CODE_BUFSZ], const char *where, struct lt_err *err)
{
	struct lt_code c;
	if (!text || lt_code_parse(&c, text, LT_CODE_STRICT, err) != LT_OK)
		return lt_err_prefix(err, "'%s' is not a valid code: ", where);
	lt_code_format(&c, out);
	return LT_OK;
}

static int code_field(json_t *o, const char *key, char out[LT_CODE_BUFSZ], const char *where, struct lt_err *err)
{
	json_t *v = json_object_get(o, key);
	char w[64];
	snprintf(w, sizeof w, "%s.%s", where, key);
	if (!json_is_string(v))
		return lt_err_set(err, LT_EINVAL, "'%s' is required: a code", w);
	return code_of(json_string_value(v), out, w, err);
}

static int number(json_t *o, unsigned *out, const char *where, struct lt_err *err)
{
	json_t *v = json_object_get(o, "number");
	*out = 0;
	if (!v || json_is_null(v))
		return LT_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 999)
		return lt_err_set(err, LT_EINVAL, "'%s.number' must be from 1 to 999", where);
	*out = (unsigned)json_integer_value(v);
	return LT_OK;
}

static int parse_issue(json_t *o, struct proposal *p, struct lt_err *err)
{
	static const char *const keys[] = {"parent", "name",  "number", "effective", "address",
					   "email",  "phone", "fax",    "website",   NULL};
	struct lt_issue *is = &p->issue;
	char *dst[] = {is->contact.address, is->contact.email, is->contact.phone, is->contact.fax, is->contact.website};
	size_t sz[] = {sizeof is->contact.address, sizeof is->contact.email, sizeof is->contact.phone,
		       sizeof is->contact.fax, sizeof is->contact.website};
	int rc;
	if ((rc = only(o, keys, "proposal", err)) ||
	    (rc = str(o, "name", is->name, sizeof is->name, true, "proposal", err)) ||
	    (rc = str(o, "effective", p->effective, sizeof p->effective, false, "proposal", err)) ||
	    (rc = number(o, &is->number, "proposal", err)))
		return rc;
	for (int i = 0; i < 5; i++)
		if ((rc = str(o, contact_keys[i], dst[i], sz[i], false, "proposal", err)))
			return rc;
	if (json_object_get(o, "parent")) {
		if ((rc = code_field(o, "parent", is->parent, "proposal", err)))
			return rc;
	} else {
		memcpy(is->parent, p->unit, sizeof is->parent);
	}
	return lt_codelist_add(&p->writes, is->parent) ? oom(err) : LT_OK;
}

static int parse_rename(json_t *o, struct proposal *p, struct lt_err *err)
{
	static const char *const keys[] = {"name", "effective", NULL};
	int rc;
	if ((rc = only(o, keys, "proposal", err)) ||
	    (rc = str(o, "name", p->name, sizeof p->name, true, "proposal", err)) ||
	    (rc = str(o, "effective", p->effective, sizeof p->effective, false, "proposal", err)))
		return rc;
	return lt_codelist_add(&p->reorgs, p->unit) ? oom(err) : LT_OK;
}

static int parse_update(json_t *o, struct proposal *p, struct lt_err *err)
{
	static const char *const keys[] = {"address", "email", "phone", "fax", "website", NULL};
	int rc = only(o, keys, "proposal", err);
	if (rc)
		return rc;
	char *dst[] = {p->contact.address, p->contact.email, p->contact.phone, p->contact.fax, p->contact.website};
	size_t sz[] = {sizeof p->contact.address, sizeof p->contact.email, sizeof p->contact.phone,
		       sizeof p->contact.fax, sizeof p->contact.website};
	for (int i = 0; i < 5; i++) {
		if ((rc = str(o, contact_keys[i], dst[i], sz[i], false, "proposal", err)))
			return rc;
		if (json_object_get(o, contact_keys[i]))
			p->contact_given |= 1u << i;
	}
	if (!p->contact_given)
		return lt_err_set(err, LT_EINVAL,
				  "an update proposes contact data: give address, email, phone, fax or website");
	return lt_codelist_add(&p->writes, p->unit) ? oom(err) : LT_OK;
}

static int new_unit(json_t *o, struct lt_new_unit *nu, const char *where, bool name_required, struct lt_err *err)
{
	static const char *const keys[] = {"parent", "name", "number", NULL};
	int rc;
	if ((rc = only(o, keys, where, err)) || (rc = code_field(o, "parent", nu->parent, where, err)) ||
	    (rc = str(o, "name", nu->name, sizeof nu->name, name_required, where, err)) ||
	    (rc = number(o, &nu->number, where, err)))
		return rc;
	return LT_OK;
}

static int parse_reorg(json_t *o, struct proposal *p, struct lt_err *err)
{
	static const char *const keys[] = {"kind", "from", "into", "children", "effective", NULL};
	struct lt_reorg *g = &p->reorg;
	const char *kind = lt__request_kinds[p->kind];
	int rc;
	if ((rc = only(o, keys, "proposal", err)) ||
	    (rc = str(o, "effective", p->effective, sizeof p->effective, false, "proposal", err)))
		return rc;
	json_t *jk = json_object_get(o, "kind");
	if (jk && (!json_is_string(jk) || strcmp(json_string_value(jk), kind) != 0))
		return lt_err_set(err, LT_EINVAL, "'proposal.kind' must be the request's kind, %s", kind);
	g->kind = p->kind == RK_MOVE    ? LT_REORG_MOVE
		  : p->kind == RK_SPLIT ? LT_REORG_SPLIT
		  : p->kind == RK_MERGE ? LT_REORG_MERGE
					: LT_REORG_DISSOLVE;
	json_t *jfrom = json_object_get(o, "from");
	size_t nf = json_array_size(jfrom);
	if (!json_is_array(jfrom) || nf == 0 || nf > 100)
		return lt_err_set(err, LT_EINVAL, "'proposal.from' must list 1 to 100 codes");
	if (!(p->from = calloc(nf, sizeof *p->from)))
		return oom(err);
	for (size_t i = 0; i < nf; i++) {
		json_t *c = json_array_get(jfrom, i);
		if ((rc = code_of(json_string_value(c), p->from[i], "proposal.from", err)))
			return rc;
		if (lt_codelist_add(&p->reorgs, p->from[i]))
			return oom(err);
	}
	g->from = (const char(*)[LT_CODE_BUFSZ])p->from;
	g->n_from = nf;
	json_t *jinto = json_object_get(o, "into"), *jkids = json_object_get(o, "children");
	if (jkids && p->kind != RK_SPLIT)
		return lt_err_set(err, LT_EINVAL, "'proposal.children' places the children of a split only");
	if (p->kind == RK_DISSOLVE) {
		if (jinto)
			return lt_err_set(err, LT_EINVAL, "a dissolve takes no 'proposal.into'");
		return LT_OK;
	}
	if (p->kind == RK_SPLIT) {
		size_t ni = json_array_size(jinto);
		if (!json_is_array(jinto) || ni < 2 || ni > 100)
			return lt_err_set(err, LT_EINVAL,
					  "a split needs 'proposal.into': 2 to 100 new units {parent, name}");
		size_t nk = json_object_size(jkids);
		if (!(p->into = calloc(ni, sizeof *p->into)) || !(p->kids = calloc(nk ? nk : 1, sizeof *p->kids)))
			return oom(err);
		for (size_t i = 0; i < ni; i++) {
			char where[32];
			snprintf(where, sizeof where, "proposal.into[%zu]", i);
			if ((rc = new_unit(json_array_get(jinto, i), &p->into[i], where, true, err)))
				return rc;
			if (lt_codelist_add(&p->writes, p->into[i].parent))
				return oom(err);
		}
		g->into = p->into;
		g->n_into = ni;
		if (jkids && !json_is_object(jkids))
			return lt_err_set(err, LT_EINVAL,
					  "'proposal.children' must map child codes to indexes of 'into'");
		const char *key;
		json_t *v;
		json_object_foreach(jkids, key, v)
		{
			if (!json_is_integer(v) || json_integer_value(v) < 0 || (size_t)json_integer_value(v) >= ni)
				return lt_err_set(err, LT_EINVAL,
						  "'proposal.children.%.40s' must be an index into 'into'", key);
			if ((rc = code_of(key, p->kids[g->n_children].child, "proposal.children", err)))
				return rc;
			p->kids[g->n_children++].into = (size_t)json_integer_value(v);
		}
		g->children = p->kids;
		return LT_OK;
	}
	if (!json_is_object(jinto))
		return lt_err_set(err, LT_EINVAL, "a %s needs 'proposal.into': an object", kind);
	if (json_object_get(jinto, "code")) {
		static const char *const code_keys[] = {"code", NULL};
		if (p->kind != RK_MERGE)
			return lt_err_set(err, LT_EINVAL,
					  "'proposal.into.code' (an existing unit) is for a merge only");
		if ((rc = only(jinto, code_keys, "proposal.into", err)) ||
		    (rc = code_field(jinto, "code", g->into_code, "proposal.into", err)))
			return rc;
		return lt_codelist_add(&p->writes, g->into_code) ? oom(err) : LT_OK;
	}
	if (!(p->into = calloc(1, sizeof *p->into)))
		return oom(err);
	if ((rc = new_unit(jinto, p->into, "proposal.into", p->kind == RK_MERGE, err)))
		return rc;
	if (p->kind == RK_MOVE && p->into->name[0])
		return lt_err_set(err, LT_EINVAL, "a move keeps the unit's name: propose a rename separately");
	g->into = p->into;
	g->n_into = 1;
	return lt_codelist_add(&p->writes, p->into->parent) ? oom(err) : LT_OK;
}

/* A plan's steps are judged whole when it is tried (the filing's dry run);
 * here only the codes it names, for who may file and decide it. */
static int parse_plan(json_t *o, struct proposal *p, struct lt_err *err)
{
	if (!json_is_array(json_object_get(o, "steps")))
		return lt_err_field(err, lt_err_set(err, LT_EINVAL, "a plan's 'steps' must be an array of changes"),
				    "proposal.steps");
	const char *eff = json_string_value(json_object_get(o, "effective"));
	if (eff && lt_date_parse(eff, p->effective, err))
		return lt_err_field(err, lt_err_prefix(err, "effective: "), "proposal.effective");
	p->plan = json_incref(o);
	return lt_plan_codes(o, &p->writes, &p->reorgs, err);
}

int lt__proposal_parse(const char *kind, const char *unit, json_t *o, struct proposal *p, struct lt_err *err)
{
	memset(p, 0, sizeof *p);
	int k = 0;
	while (k < RK_N && (!kind || strcmp(kind, lt__request_kinds[k]) != 0))
		k++;
	if (k == RK_N)
		return lt_err_set(
			err, LT_EINVAL,
			"kind must be issue, rename, update, move, split, merge, dissolve or plan, not '%.40s'",
			kind ? kind : "");
	p->kind = (enum req_kind)k;
	int rc = code_of(unit, p->unit, "unit", err);
	if (rc)
		return rc;
	if (!json_is_object(o))
		return lt_err_set(err, LT_EINVAL, "'proposal' must be an object shaped like the change asked for");
	if (json_object_get(o, "decision"))
		return lt_err_set(err, LT_EINVAL,
				  "a proposal carries no decision: the managing agency gives it when "
				  "it approves the request");
	switch (p->kind) {
	case RK_ISSUE:
		return parse_issue(o, p, err);
	case RK_RENAME:
		return parse_rename(o, p, err);
	case RK_UPDATE:
		return parse_update(o, p, err);
	case RK_PLAN:
		return parse_plan(o, p, err);
	default:
		return parse_reorg(o, p, err);
	}
}

void lt__proposal_free(struct proposal *p)
{
	free(p->from);
	free(p->into);
	free(p->kids);
	json_decref(p->plan);
	lt_codelist_free(&p->writes);
	lt_codelist_free(&p->reorgs);
	memset(p, 0, sizeof *p);
}

static json_t *base_entry(struct lt_registry *r, const char *code)
{
	struct lt_unit u;
	if (lt_registry_get(r, code, NULL, &u, NULL) != LT_OK)
		return json_null();
	return json_pack("{s:s,s:s,s:s}", "name", u.name, "parent", u.parent, "status",
			 u.status == LT_UNIT_ACTIVE ? "active" : "closed");
}

json_t *lt__proposal_base(struct lt_registry *r, const struct proposal *p)
{
	json_t *o = json_object();
	const struct lt_codelist *lists[] = {&p->reorgs, &p->writes};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			if (!json_object_get(o, lists[l]->codes[i]))
				json_object_set_new(o, lists[l]->codes[i], base_entry(r, lists[l]->codes[i]));
	return o;
}

/* The plan with the decision the approval gives, applied in the caller's
 * transaction. */
static int apply_plan(struct lt_registry *r, const struct lt_ctx *ctx, struct proposal *p, const struct lt_decision *d,
		      const char *d_kind, const char *reorganized, json_t **result, struct lt_err *err)
{
	json_t *plan = json_deep_copy(p->plan), *refusals = NULL;
	if (!plan)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	json_object_set_new(plan, "decision",
			    json_pack("{s:s,s:s,s:s,s:s}", "number", d->number, "date", d->date, "issuer", d->issuer,
				      "kind", d_kind ? d_kind : ""));
	if (reorganized && reorganized[0] && !json_object_get(plan, "reorganized"))
		json_object_set_new(plan, "reorganized", json_string(reorganized));
	int rc = lt_plan_apply_in(r, ctx, plan, result, &refusals, err);
	json_decref(plan);
	json_decref(refusals);
	if (rc == LT_OK) {
		/* The plan's id, not a change's: the request names it as such. */
		json_object_set(*result, "plan", json_object_get(*result, "id"));
		json_object_del(*result, "id");
		json_object_set_new(*result, "kind", json_string("plan"));
	}
	return rc;
}

int lt__proposal_apply(struct lt_registry *r, const struct lt_ctx *ctx, struct proposal *p, const struct lt_decision *d,
		       const char *d_kind, const char *reorganized, json_t **result, struct lt_err *err)
{
	struct lt_unit u;
	int rc;
	*result = NULL;
	switch (p->kind) {
	case RK_ISSUE:
		p->issue.decision = *d;
		snprintf(p->issue.effective, sizeof p->issue.effective, "%s", p->effective);
		snprintf(p->issue.reorganized, sizeof p->issue.reorganized, "%s", reorganized ? reorganized : "");
		if ((rc = lt_registry_issue(r, ctx, &p->issue, &u, err)))
			return rc;
		*result = json_pack("{s:s,s:[s]}", "kind", "issue", "created", u.code);
		return LT_OK;
	case RK_RENAME:
		if ((rc = lt_registry_rename(r, ctx, p->unit, p->name, d, p->effective, 0, &u, err)))
			return rc;
		*result = json_pack("{s:s,s:s,s:s}", "kind", "rename", "renamed", u.code, "name", u.name);
		return LT_OK;
	case RK_UPDATE: {
		if ((rc = lt_registry_get(r, p->unit, NULL, &u, err)))
			return rc;
		char *dst[] = {u.contact.address, u.contact.email, u.contact.phone, u.contact.fax, u.contact.website};
		const char *src[] = {p->contact.address, p->contact.email, p->contact.phone, p->contact.fax,
				     p->contact.website};
		size_t sz[] = {sizeof u.contact.address, sizeof u.contact.email, sizeof u.contact.phone,
			       sizeof u.contact.fax, sizeof u.contact.website};
		for (int i = 0; i < 5; i++)
			if (p->contact_given & (1u << i))
				snprintf(dst[i], sz[i], "%s", src[i]);
		struct lt_contact merged = u.contact;
		if ((rc = lt_registry_update(r, ctx, p->unit, &merged, u.version, &u, err)))
			return rc;
		*result = json_pack("{s:s,s:s}", "kind", "update", "updated", u.code);
		return LT_OK;
	}
	case RK_PLAN:
		return apply_plan(r, ctx, p, d, d_kind, reorganized, result, err);
	default: {
		struct lt_reorg_result res = {0};
		p->reorg.decision = *d;
		snprintf(p->reorg.effective, sizeof p->reorg.effective, "%s", p->effective);
		snprintf(p->reorg.reorganized, sizeof p->reorg.reorganized, "%s", reorganized ? reorganized : "");
		p->reorg.dry_run = false;
		if ((rc = lt_registry_reorganize(r, ctx, &p->reorg, &res, err)))
			return rc;
		*result = lt_reorg_result_to_json(&res, lt__request_kinds[p->kind], false);
		lt_reorg_result_free(&res);
		return LT_OK;
	}
	}
}
