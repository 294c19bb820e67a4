/* The compliance report of design.md §4: a code-amending decision is due
 * within 30 days of the reorganisation, and the change must reach the
 * catalogue within 7 days of the decision. Reads the change records (one per
 * decision this registry carried out) and the units that have no decision on
 * record at all. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/store_catalogue.h"
#include "lienthong/store_requests.h"
#include "registry_impl.h"

#define DECISION_DAYS 30
#define UPLOAD_DAYS 7

struct report {
	struct lt_registry *r;
	char level1[8]; /* "H14", or "" for every unit */
	json_t *out;
	json_t *history; /* [{"change","code"}]: units an import brought in with their history */
};

/* The level-1 group ("H14") of a code. */
static const char *level1_of(const char *code)
{
	const char *dot = strrchr(code, '.');
	return dot ? dot + 1 : code;
}

static bool wanted(const struct report *rep, const char *code)
{
	return !rep->level1[0] || strcmp(level1_of(code), rep->level1) == 0;
}

/* The codes a change touched, from its summary and its events. */
static json_t *change_codes(const struct lt_change *c)
{
	json_t *sum = json_loads(c->summary ? c->summary : "{}", 0, NULL);
	json_t *codes = json_array();
	const char *keys[] = {"from", "created", "renamed", "into"};
	for (size_t k = 0; k < 4; k++) {
		json_t *v = json_object_get(sum, keys[k]);
		if (json_is_string(v))
			json_array_append(codes, v);
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) json_array_append(codes, item);
	}
	json_decref(sum);
	return codes;
}

/* One finding: the change's common fields, what is late and by how much. */
static void add_finding(struct report *rep, json_t *base, const char *kind, long days, int limit)
{
	json_t *f = json_deep_copy(base);
	json_object_set_new(f, "kind", json_string(kind));
	json_object_set_new(f, "code", json_incref(json_array_get(json_object_get(f, "codes"), 0)));
	json_object_set_new(f, "days", json_integer(days));
	json_object_set_new(f, "limit_days", json_integer(limit));
	json_array_append_new(rep->out, f);
}

/* Judges one finding's dates: the decision 30 days after the
 * reorganisation, the catalogue 7 days after the decision. */
static void judge(struct report *rep, json_t *base, const char *reorganized, const char *decided, const char *recorded)
{
	long decision_days = reorganized[0] ? lt_date_diff(reorganized, decided) : 0;
	long upload_days = recorded[0] ? lt_date_diff(decided, recorded) : 0;
	if (decision_days > DECISION_DAYS)
		add_finding(rep, base, "late_decision", decision_days, DECISION_DAYS);
	if (upload_days > UPLOAD_DAYS)
		add_finding(rep, base, "late_upload", upload_days, UPLOAD_DAYS);
}

/* History an import brought in (rows with a reorganisation date of their
 * own) is judged by the dates its rows gave, never by the day of the
 * import: the change record of an import carries no decision. Its codes
 * are gathered here and judged once the change records are read. */
static int on_import(struct report *rep, const struct lt_change *c)
{
	json_t *sum = json_loads(c->summary ? c->summary : "{}", 0, NULL);
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(sum, "history"), i, item)
	{
		const char *code = json_string_value(item);
		if (code && wanted(rep, code))
			json_array_append_new(rep->history,
					      json_pack("{s:I,s:s}", "change", (json_int_t)c->id, "code", code));
	}
	json_decref(sum);
	return LT_OK;
}

static int judge_history(struct report *rep, struct lt_err *err)
{
	size_t i;
	json_t *item;
	json_array_foreach(rep->history, i, item)
	{
		const char *code = json_string_value(json_object_get(item, "code"));
		struct lt_unit u;
		int rc = lt_store_unit_get(rep->r->store, code, &u, err);
		if (rc == LT_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		if (u.status != LT_UNIT_ACTIVE || !u.decision.date[0])
			continue;
		json_t *base = json_pack("{s:O,s:s,s:[s],s:{s:s,s:s,s:s},s:s,s:s}", "change",
					 json_object_get(item, "change"), "change_kind", "import", "codes", code,
					 "decision", "number", u.decision.number, "date", u.decision.date, "issuer",
					 u.decision.issuer, "reorganized", u.reorganized, "recorded", u.recorded);
		if (!base)
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		judge(rep, base, u.reorganized, u.decision.date, u.recorded);
		json_decref(base);
	}
	return LT_OK;
}

static int on_change(void *ctx, const struct lt_change *c)
{
	struct report *rep = ctx;
	if (strcmp(c->kind, "import") == 0)
		return on_import(rep, c);
	if (!c->decision.date[0])
		return LT_OK;
	json_t *codes = change_codes(c);
	bool any = false;
	size_t i;
	json_t *item;
	json_array_foreach(codes, i, item) any |= wanted(rep, json_string_value(item));
	if (!any) {
		json_decref(codes);
		return LT_OK;
	}
	/* A hub that publishes upstream has reached the shared catalogue when
	 * the upstream accepted the change, not when it recorded it here;
	 * until then the days run to today. */
	char accepted[32] = "", reached[LT_DATE_BUFSZ];
	snprintf(reached, sizeof reached, "%s", c->recorded);
	const char *first = json_string_value(json_array_get(codes, 0));
	bool upstream = rep->r->publishing && first && lt_registry_in_scope(rep->r, first);
	if (upstream) {
		struct lt_err ignored = {0};
		int rc = lt_store_upload_get(rep->r->store, c->id, accepted, &ignored);
		if (rc != LT_OK && rc != LT_ENOTFOUND)
			accepted[0] = '\0';
		if (accepted[0])
			snprintf(reached, sizeof reached, "%.10s", accepted);
		else
			lt_date_today(reached);
	}
	json_t *base =
		json_pack("{s:I,s:s,s:O,s:{s:s,s:s,s:s},s:s,s:s}", "change", (json_int_t)c->id, "change_kind", c->kind,
			  "codes", codes, "decision", "number", c->decision.number, "date", c->decision.date, "issuer",
			  c->decision.issuer, "reorganized", c->reorganized, "recorded", c->recorded);
	if (upstream)
		json_object_set_new(base, "accepted_upstream", accepted[0] ? json_string(accepted) : json_null());
	json_decref(codes);
	judge(rep, base, c->reorganized, c->decision.date, reached);
	json_decref(base);
	return LT_OK;
}

static int on_unit(void *ctx, const struct lt_unit *u)
{
	struct report *rep = ctx;
	if (u->decision.number[0] || !wanted(rep, u->code))
		return LT_OK;
	char today[LT_DATE_BUFSZ];
	lt_date_today(today);
	const char *since = u->reorganized[0] ? u->reorganized : u->valid_from;
	json_array_append_new(rep->out,
			      json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "kind", "pending", "code", u->code, "name",
					u->name, "since", since, "days", (json_int_t)lt_date_diff(since, today),
					"reason", "no decision on record for this unit"));
	return LT_OK;
}

/* A change request is late when its decision has not come 30 days after
 * the reorganisation, or when the catalogue followed its decision more than
 * 7 days later. kind is "request_late_decision" or "request_late_update";
 * days how long it waited. */
static const char *request_late(const struct lt_request_row *q, const char *today, long *days)
{
	if (strcmp(q->state, "rejected") == 0)
		return NULL;
	bool open = strcmp(q->state, "applied") != 0;
	if (open && q->reorganized[0] && (*days = lt_date_diff(q->reorganized, today)) > DECISION_DAYS)
		return "request_late_decision";
	if (!open && q->reorganized[0] && q->decision_date[0] &&
	    (*days = lt_date_diff(q->reorganized, q->decision_date)) > DECISION_DAYS)
		return "request_late_decision";
	if (!open && q->decision_date[0] && q->applied[0] &&
	    (*days = lt_date_diff(q->decision_date, q->applied)) > UPLOAD_DAYS)
		return "request_late_update";
	return NULL;
}

static int on_request(void *ctx, const struct lt_request_row *q)
{
	struct report *rep = ctx;
	char today[LT_DATE_BUFSZ];
	lt_date_today(today);
	long days = 0;
	const char *kind = request_late(q, today, &days);
	if (!kind || !wanted(rep, q->unit))
		return LT_OK;
	bool decision = strcmp(kind, "request_late_decision") == 0;
	json_array_append_new(rep->out,
			      json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:i}", "kind", kind, "request",
					(json_int_t)q->id, "request_kind", q->kind, "code", q->unit, "agency",
					level1_of(q->unit), "state", q->state, "reorganized", q->reorganized, "days",
					(json_int_t)days, "limit_days", decision ? DECISION_DAYS : UPLOAD_DAYS));
	return LT_OK;
}

struct overdue {
	int64_t decision, update;
};

static int count_request(void *ctx, const struct lt_request_row *q)
{
	struct overdue *o = ctx;
	char today[LT_DATE_BUFSZ];
	lt_date_today(today);
	long days;
	const char *kind = request_late(q, today, &days);
	if (kind && strcmp(kind, "request_late_decision") == 0)
		o->decision++;
	else if (kind)
		o->update++;
	return LT_OK;
}

int lt_registry_requests_overdue(struct lt_registry *r, int64_t *decision, int64_t *update, struct lt_err *err)
{
	struct overdue o = {0};
	struct lt_request_query q = {0};
	int rc = lt_store_requests(r->store, &q, count_request, &o, err);
	*decision = o.decision;
	*update = o.update;
	return rc;
}

int lt_registry_compliance(struct lt_registry *r, const char *level1, json_t **out, struct lt_err *err)
{
	struct report rep = {.r = r, .out = json_array(), .history = json_array()};
	if (level1 && level1[0]) {
		char canon[LT_CODE_BUFSZ];
		struct lt_code c;
		/* Accept "H14" or a full code; only the level-1 group counts. */
		if (strlen(level1) == 3 && lt_code_group(level1[0]) && level1[1] >= '0' && level1[1] <= '9' &&
		    level1[2] >= '0' && level1[2] <= '9')
			snprintf(rep.level1, sizeof rep.level1, "%s", level1);
		else if (lt_code_parse(&c, level1, LT_CODE_STRICT, err) == LT_OK)
			snprintf(rep.level1, sizeof rep.level1, "%s", level1_of(lt_code_format(&c, canon)));
		else {
			json_decref(rep.out);
			json_decref(rep.history);
			return lt_err_prefix(err, "level1: ");
		}
	}
	int rc = lt_store_changes(r->store, on_change, &rep, err);
	if (rc == LT_OK)
		rc = judge_history(&rep, err);
	json_decref(rep.history);
	struct lt_request_query rq = {0};
	if (rc == LT_OK)
		rc = lt_store_requests(r->store, &rq, on_request, &rep, err);
	char cursor[LT_CURSOR_BUFSZ] = "";
	while (rc == LT_OK) {
		struct lt_search q = {.status = LT_FILTER_ACTIVE, .limit = 500, .cursor = cursor};
		if ((rc = lt_registry_search(r, &q, on_unit, &rep, cursor, err)) || !cursor[0])
			break;
	}
	if (rc) {
		json_decref(rep.out);
		return rc;
	}
	*out = rep.out;
	return LT_OK;
}
