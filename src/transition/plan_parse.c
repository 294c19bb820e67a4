/* Reading a plan: its decision, its effective date and each step's shape,
 * judged before the registry is read, every fault named with its step and
 * field. What each kind of change takes beyond its shape (how many units,
 * which are active, who may touch them) is the registry's rule, judged when
 * the step is applied. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "transition_impl.h"

const char *const lt__step_kinds[SK_N] = {"move", "split", "merge", "dissolve", "issue", "rename"};

void lt__plan_refuse(json_t *refusals, int step, const char *field, int status, const char *fmt, ...)
{
	char msg[LT_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_array_append_new(
		refusals, json_pack("{s:o,s:s?,s:s,s:s}", "step", step < 0 ? json_null() : json_integer(step), "field",
				    field && *field ? field : NULL, "code", lt_status_name(status), "reason", msg));
}

/* Annotations a plan file may carry for its readers (where a fact comes
 * from, how sure it is): kept in the stored plan, never acted on. */
static bool annotation(const char *key)
{
	static const char *const keys[] = {"note", "source", "confidence", "assumption", NULL};
	for (int i = 0; keys[i]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

struct reader {
	struct plan *p;
	json_t *refusals;
	int step;
	bool ok;
};

static void fault(struct reader *rd, const char *field, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fault(struct reader *rd, const char *field, int status, const char *fmt, ...)
{
	char msg[LT_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	lt__plan_refuse(rd->refusals, rd->step, field, status, "%s", msg);
	rd->ok = false;
}

/* A string field copied into dst; absent is "" unless required. */
static void text(struct reader *rd, const json_t *o, const char *key, char *dst, size_t size, bool required,
		 const char *field)
{
	json_t *v = json_object_get(o, key);
	dst[0] = '\0';
	if (!v || json_is_null(v)) {
		if (required)
			fault(rd, field, LT_EINVAL, "field '%s' is required", field);
		return;
	}
	if (!json_is_string(v)) {
		fault(rd, field, LT_EINVAL, "field '%s' must be a string", field);
		return;
	}
	const char *s = json_string_value(v);
	if (strlen(s) >= size) {
		fault(rd, field, LT_EINVAL, "field '%s' is %zu bytes long; at most %zu", field, strlen(s), size - 1);
		return;
	}
	if (!lt_text_is_clean_utf8(s)) {
		fault(rd, field, LT_EINVAL, "field '%s' is not valid UTF-8 text, or holds a control character", field);
		return;
	}
	memcpy(dst, s, strlen(s) + 1);
}

/* A code, or a reference to the unit an earlier step made. */
static void slot(struct reader *rd, const json_t *v, struct slot *out, const char *field)
{
	memset(out, 0, sizeof *out);
	out->step = out->part = -1;
	if (json_is_string(v)) {
		struct lt_code c;
		struct lt_err e = {0};
		if (lt_code_parse(&c, json_string_value(v), LT_CODE_STRICT, &e) != LT_OK) {
			fault(rd, field, LT_EINVAL, "%s: code '%.40s': %s", field, json_string_value(v), e.msg);
			return;
		}
		lt_code_format(&c, out->code);
		return;
	}
	json_t *js = json_object_get(v, "step"), *jp = json_object_get(v, "part");
	if (!json_is_object(v) || !json_is_integer(js) || json_object_size(v) != (jp ? 2u : 1u) ||
	    (jp && !json_is_integer(jp))) {
		fault(rd, field, LT_EINVAL,
		      "%s must be a code, or {\"step\": I} (for a split {\"step\": I, \"part\": K}) naming the unit "
		      "an earlier step made",
		      field);
		return;
	}
	json_int_t i = json_integer_value(js);
	if (i < 0 || i >= rd->step) {
		fault(rd, field, LT_EINVAL, "%s refers to step %lld: only an earlier step (0 to %d) can be named",
		      field, (long long)i, rd->step - 1);
		return;
	}
	const struct pstep *ref = &rd->p->steps[i];
	if (ref->kind == SK_DISSOLVE) {
		fault(rd, field, LT_EINVAL, "%s refers to step %lld, a dissolution, which makes no unit", field,
		      (long long)i);
		return;
	}
	if (ref->kind == SK_SPLIT) {
		json_int_t k = jp ? json_integer_value(jp) : -1;
		if (k < 0 || (size_t)k >= ref->n_into) {
			fault(rd, field, LT_EINVAL,
			      "%s refers to step %lld, a split into %zu units: say which with \"part\" (0 to %zu)",
			      field, (long long)i, ref->n_into, ref->n_into ? ref->n_into - 1 : 0);
			return;
		}
		out->part = (int)k;
	} else if (jp) {
		fault(rd, field, LT_EINVAL, "%s: \"part\" names a unit of a split; step %lld is a %s", field,
		      (long long)i, lt__step_kinds[ref->kind]);
		return;
	}
	out->step = (int)i;
}

static void number(struct reader *rd, const json_t *o, unsigned *out, const char *field)
{
	json_t *v = json_object_get(o, "number");
	*out = 0;
	if (!v)
		return;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 999) {
		fault(rd, field, LT_EINVAL, "field '%s' must be a whole number from 1 to 999", field);
		return;
	}
	*out = (unsigned)json_integer_value(v);
}

/* Unknown fields are refused, so a misspelt one never passes unnoticed. */
static void known_fields(struct reader *rd, const json_t *o, const char *const *allowed, const char *where)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		bool ok = annotation(key);
		for (int i = 0; !ok && allowed[i]; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (ok)
			continue;
		char field[96];
		snprintf(field, sizeof field, "%s%s%.60s", where, *where ? "." : "", key);
		if (!*where && (!strcmp(key, "decision") || !strcmp(key, "effective") || !strcmp(key, "reorganized")))
			fault(rd, field, LT_EINVAL,
			      "a step takes the plan's decision and dates: leave '%s' out of the step", key);
		else
			fault(rd, field, LT_EINVAL, "unknown field '%s'", field);
	}
}

/* A new unit {parent, name, number} of a merge or split. */
static void new_unit(struct reader *rd, const json_t *o, struct slot *parent, struct lt_new_unit *nu, const char *where)
{
	static const char *const allowed[] = {"parent", "name", "number", NULL};
	char field[64];
	memset(nu, 0, sizeof *nu);
	parent->step = parent->part = -1;
	if (!json_is_object(o)) {
		fault(rd, where, LT_EINVAL, "field '%s' must be an object {\"parent\", \"name\"}", where);
		return;
	}
	known_fields(rd, o, allowed, where);
	snprintf(field, sizeof field, "%s.parent", where);
	if (!json_object_get(o, "parent"))
		fault(rd, field, LT_EINVAL, "field '%s' is required", field);
	else
		slot(rd, json_object_get(o, "parent"), parent, field);
	snprintf(field, sizeof field, "%s.name", where);
	text(rd, o, "name", nu->name, sizeof nu->name, false, field);
	snprintf(field, sizeof field, "%s.number", where);
	number(rd, o, &nu->number, field);
}

static void parse_into(struct reader *rd, const json_t *o, struct pstep *s)
{
	json_t *v = json_object_get(o, "into");
	if (!v || json_is_null(v))
		return; /* the registry says which kinds need it */
	if (json_is_array(v)) {
		if (s->kind != SK_SPLIT) {
			fault(rd, "into", LT_EINVAL, "field 'into' of a %s is an object; only a split takes an array",
			      lt__step_kinds[s->kind]);
			return;
		}
		size_t n = json_array_size(v);
		if (n > LT_REORG_MAX_UNITS) {
			fault(rd, "into", LT_EINVAL, "field 'into' lists %zu new units; at most %d", n,
			      LT_REORG_MAX_UNITS);
			return;
		}
		s->into = calloc(n ? n : 1, sizeof *s->into);
		s->into_parent = calloc(n ? n : 1, sizeof *s->into_parent);
		if (!s->into || !s->into_parent)
			return;
		s->n_into = n;
		for (size_t i = 0; i < n; i++) {
			char where[32];
			snprintf(where, sizeof where, "into[%zu]", i);
			new_unit(rd, json_array_get(v, i), &s->into_parent[i], &s->into[i], where);
		}
		return;
	}
	if (s->kind == SK_SPLIT) {
		fault(rd, "into", LT_EINVAL, "field 'into' of a split is an array of new units {parent, name}");
		return;
	}
	if (json_is_object(v) && json_object_get(v, "code")) {
		if (json_object_size(v) != 1)
			fault(rd, "into", LT_EINVAL,
			      "field 'into' names an existing unit {\"code\"} or a new one {\"parent\", \"name\"}, "
			      "not both");
		s->has_into_code = true;
		slot(rd, json_object_get(v, "code"), &s->into_code, "into.code");
		return;
	}
	s->into = calloc(1, sizeof *s->into);
	s->into_parent = calloc(1, sizeof *s->into_parent);
	if (!s->into || !s->into_parent)
		return;
	s->n_into = 1;
	new_unit(rd, v, &s->into_parent[0], &s->into[0], "into");
}

static void parse_children(struct reader *rd, const json_t *o, struct pstep *s)
{
	json_t *v = json_object_get(o, "children");
	if (!v)
		return;
	if (!json_is_object(v)) {
		fault(rd, "children", LT_EINVAL, "field 'children' maps a child's code to an index into 'into'");
		return;
	}
	s->children = calloc(json_object_size(v) + 1, sizeof *s->children);
	if (!s->children)
		return;
	const char *key;
	json_t *idx;
	json_object_foreach(v, key, idx)
	{
		struct lt_code c;
		struct lt_err e = {0};
		if (lt_code_parse(&c, key, LT_CODE_STRICT, &e) != LT_OK) {
			fault(rd, "children", LT_EINVAL, "children: code '%.40s': %s", key, e.msg);
			continue;
		}
		if (!json_is_integer(idx) || json_integer_value(idx) < 0) {
			fault(rd, "children", LT_EINVAL, "children['%.40s'] must be an index into 'into'", key);
			continue;
		}
		lt_code_format(&c, s->children[s->n_children].child);
		s->children[s->n_children++].into = (size_t)json_integer_value(idx);
	}
}

static void parse_step(struct reader *rd, const json_t *o, struct pstep *s)
{
	static const char *const reorg_fields[] = {"kind", "from", "into", "children", "across_groups", NULL};
	static const char *const issue_fields[] = {"kind",  "parent", "name", "number",  "address",
						   "email", "phone",  "fax",  "website", NULL};
	static const char *const rename_fields[] = {"kind", "code", "name", NULL};
	rd->ok = true;
	if (!json_is_object(o)) {
		fault(rd, NULL, LT_EINVAL, "a step must be an object with a \"kind\"");
		return;
	}
	const char *kind = json_string_value(json_object_get(o, "kind"));
	int k = 0;
	while (kind && k < SK_N && strcmp(kind, lt__step_kinds[k]) != 0)
		k++;
	if (!kind || k == SK_N) {
		fault(rd, "kind", LT_EINVAL, "kind must be move, split, merge, dissolve, issue or rename, not '%.40s'",
		      kind ? kind : "");
		s->kind = SK_DISSOLVE; /* makes nothing a later step could name */
		return;
	}
	s->kind = (enum step_kind)k;
	s->code.step = s->parent.step = s->into_code.step = -1;
	if (s->kind == SK_ISSUE) {
		known_fields(rd, o, issue_fields, "");
		if (!json_object_get(o, "parent"))
			fault(rd, "parent", LT_EINVAL, "field 'parent' is required");
		else
			slot(rd, json_object_get(o, "parent"), &s->parent, "parent");
		text(rd, o, "name", s->name, sizeof s->name, true, "name");
		number(rd, o, &s->number, "number");
		struct lt_contact *c = &s->contact;
		text(rd, o, "address", c->address, sizeof c->address, false, "address");
		text(rd, o, "email", c->email, sizeof c->email, false, "email");
		text(rd, o, "phone", c->phone, sizeof c->phone, false, "phone");
		text(rd, o, "fax", c->fax, sizeof c->fax, false, "fax");
		text(rd, o, "website", c->website, sizeof c->website, false, "website");
		return;
	}
	if (s->kind == SK_RENAME) {
		known_fields(rd, o, rename_fields, "");
		if (!json_object_get(o, "code"))
			fault(rd, "code", LT_EINVAL, "field 'code' is required");
		else
			slot(rd, json_object_get(o, "code"), &s->code, "code");
		text(rd, o, "name", s->name, sizeof s->name, true, "name");
		return;
	}
	known_fields(rd, o, reorg_fields, "");
	json_t *ag = json_object_get(o, "across_groups");
	if (ag && !json_is_boolean(ag))
		fault(rd, "across_groups", LT_EINVAL, "field 'across_groups' must be true or false");
	s->across_groups = json_is_true(ag);
	json_t *from = json_object_get(o, "from");
	if (!json_is_array(from)) {
		fault(rd, "from", LT_EINVAL, "field 'from' must be an array of codes");
	} else if (json_array_size(from) > LT_REORG_MAX_UNITS) {
		fault(rd, "from", LT_EINVAL, "field 'from' lists %zu units; at most %d", json_array_size(from),
		      LT_REORG_MAX_UNITS);
	} else {
		s->n_from = json_array_size(from);
		s->from = calloc(s->n_from ? s->n_from : 1, sizeof *s->from);
		for (size_t i = 0; s->from && i < s->n_from; i++) {
			char field[32];
			snprintf(field, sizeof field, "from[%zu]", i);
			slot(rd, json_array_get(from, i), &s->from[i], field);
		}
	}
	parse_into(rd, o, s);
	parse_children(rd, o, s);
}

static bool oom_in(const struct pstep *s)
{
	return (s->n_from && !s->from) || (s->n_into && (!s->into || !s->into_parent));
}

int lt__plan_parse(const json_t *o, struct plan *p, json_t *refusals, struct lt_err *err)
{
	static const char *const plan_fields[] = {"decision", "effective", "reorganized", "recorded",
						  "title",    "steps",     NULL};
	static const char *const decision_fields[] = {"number", "date", "issuer", "kind", NULL};
	struct reader rd = {.p = p, .refusals = refusals, .step = -1, .ok = true};
	memset(p, 0, sizeof *p);
	if (!json_is_object(o)) {
		fault(&rd, NULL, LT_EINVAL, "a plan is an object {\"decision\", \"effective\", \"title\", \"steps\"}");
		return LT_OK;
	}
	known_fields(&rd, o, plan_fields, "");
	json_t *d = json_object_get(o, "decision");
	if (!json_is_object(d)) {
		fault(&rd, "decision", LT_EINVAL,
		      "a plan carries one decision {\"number\", \"date\", \"issuer\", \"kind\"}");
	} else {
		known_fields(&rd, d, decision_fields, "decision");
		text(&rd, d, "number", p->d.number, sizeof p->d.number, true, "decision.number");
		text(&rd, d, "issuer", p->d.issuer, sizeof p->d.issuer, true, "decision.issuer");
		text(&rd, d, "kind", p->kind, sizeof p->kind, true, "decision.kind");
		char date[64];
		text(&rd, d, "date", date, sizeof date, true, "decision.date");
		struct lt_err e = {0};
		if (date[0] && lt_date_parse(date, p->d.date, &e) != LT_OK)
			fault(&rd, "decision.date", LT_EINVAL, "decision.date: %s", e.msg);
	}
	char date[64];
	struct lt_err e = {0};
	text(&rd, o, "effective", date, sizeof date, true, "effective");
	if (date[0] && lt_date_parse(date, p->effective, &e) != LT_OK)
		fault(&rd, "effective", LT_EINVAL, "effective: %s", e.msg);
	text(&rd, o, "reorganized", date, sizeof date, false, "reorganized");
	if (date[0] && lt_date_parse(date, p->reorganized, &e) != LT_OK)
		fault(&rd, "reorganized", LT_EINVAL, "reorganized: %s", e.msg);
	/* History brought in (init's reforms) keeps the day it reached the
	 * catalogue, so the compliance report judges it by its own dates. */
	text(&rd, o, "recorded", date, sizeof date, false, "recorded");
	if (date[0] && lt_date_parse(date, p->recorded, &e) != LT_OK)
		fault(&rd, "recorded", LT_EINVAL, "recorded: %s", e.msg);
	text(&rd, o, "title", p->title, sizeof p->title, false, "title");
	json_t *steps = json_object_get(o, "steps");
	size_t n = json_array_size(steps);
	if (!json_is_array(steps) || n == 0 || n > LT_PLAN_MAX_STEPS) {
		fault(&rd, "steps", LT_EINVAL, "field 'steps' must list 1 to %d steps", LT_PLAN_MAX_STEPS);
		return LT_OK;
	}
	if (!(p->steps = calloc(n, sizeof *p->steps)))
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		rd.step = (int)i;
		parse_step(&rd, json_array_get(steps, i), &p->steps[i]);
		if (oom_in(&p->steps[i]) ||
		    (json_object_get(json_array_get(steps, i), "children") && !p->steps[i].children &&
		     json_is_object(json_object_get(json_array_get(steps, i), "children"))))
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		p->steps[i].ok = rd.ok;
	}
	return LT_OK;
}

void lt__plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->steps[i].from);
		free(p->steps[i].into);
		free(p->steps[i].into_parent);
		free(p->steps[i].children);
	}
	free(p->steps);
	memset(p, 0, sizeof *p);
}
