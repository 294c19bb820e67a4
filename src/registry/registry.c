/* Opening the registry, the checks every change shares, and the reads:
 * one unit, children, lineage, resolve, history, search and the feed. */
#include <stdlib.h>
#include <string.h>

#include "registry_impl.h"

int lt_registry_open(struct lt_registry **out, const char *uri, struct lt_err *err)
{
	struct lt_registry *r = calloc(1, sizeof *r);
	if (!r)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int rc = lt_store_open(&r->store, uri, err);
	if (rc) {
		free(r);
		return rc;
	}
	*out = r;
	return LT_OK;
}

void lt_registry_close(struct lt_registry *r)
{
	if (!r)
		return;
	lt_store_close(r->store);
	free(r);
}

struct lt_store *lt_registry_store(struct lt_registry *r) { return r->store; }

uint64_t lt_registry_generation(struct lt_registry *r) { return lt_store_generation(r->store); }

int lt_registry_last_seq(struct lt_registry *r, int64_t *out, struct lt_err *err)
{
	return lt_store_last_seq(r->store, out, err);
}

int lt_registry_health(struct lt_registry *r, int64_t *last_seq, struct lt_err *err)
{
	int rc = lt_store_ping(r->store, err);
	return rc ? rc : lt_store_last_seq(r->store, last_seq, err);
}

/* ---- shared checks ---- */

int lt__code_canon(const char *in, char out[LT_CODE_BUFSZ], struct lt_err *err)
{
	struct lt_code c;
	int rc = lt_code_parse(&c, in, LT_CODE_STRICT, err);
	if (rc)
		return lt_err_prefix(err, "code '%s': ", in ? in : "");
	lt_code_format(&c, out);
	return LT_OK;
}

int lt__decision_check(const struct lt_decision *in, struct lt_decision *out, struct lt_err *err)
{
	if (!in->number[0] || !in->date[0] || !in->issuer[0]) {
		const char *miss = !in->number[0] ? "number" : !in->date[0] ? "date" : "issuer";
		lt_err_set(err, LT_EINVAL, "a decision is required: give its number, date and issuer (missing %s)",
			   miss);
		return lt_err_field(err, LT_EINVAL,
				    !in->number[0] ? "decision.number"
				    : !in->date[0] ? "decision.date"
						   : "decision.issuer");
	}
	if (!lt_text_is_clean_utf8(in->number) || !lt_text_is_clean_utf8(in->issuer))
		return lt_err_set(err, LT_EINVAL,
				  "decision number and issuer must be valid UTF-8 text without control characters");
	struct lt_decision d = *in;
	if (lt_date_parse(in->date, d.date, err))
		return lt_err_field(err, lt_err_prefix(err, "decision date: "), "decision.date");
	*out = d;
	return LT_OK;
}

int lt__effective_check(const char *in, char out[LT_DATE_BUFSZ], struct lt_err *err)
{
	if (!in || !in[0]) {
		lt_date_today(out);
		return LT_OK;
	}
	if (lt_date_parse(in, out, err))
		return lt_err_field(err, lt_err_prefix(err, "effective date: "), "effective");
	return LT_OK;
}

int lt__name_check(const char *name, struct lt_err *err)
{
	size_t n = strlen(name);
	if (n == 0)
		return lt_err_field(err, lt_err_set(err, LT_EINVAL, "a unit needs a name"), "name");
	if (n >= LT_NAME_MAX - 1)
		return lt_err_field(
			err, lt_err_set(err, LT_EINVAL, "name is %zu bytes long; at most %d", n, LT_NAME_MAX - 2),
			"name");
	if (!lt_text_is_clean_utf8(name))
		return lt_err_field(
			err, lt_err_set(err, LT_EINVAL, "name is not valid UTF-8 text (or holds control characters)"),
			"name");
	char fold[LT_NAME_MAX * 2];
	if (!lt_text_fold(name, fold, sizeof fold)[0])
		return lt_err_field(err, lt_err_set(err, LT_EINVAL, "name has no letters or digits"), "name");
	return LT_OK;
}

int lt__contact_check(const struct lt_contact *c, struct lt_err *err)
{
	const char *fields[] = {c->address, c->email, c->phone, c->fax, c->website};
	const char *names[] = {"address", "email", "phone", "fax", "website"};
	for (int i = 0; i < 5; i++)
		if (!lt_text_is_clean_utf8(fields[i]))
			return lt_err_field(err,
					    lt_err_set(err, LT_EINVAL,
						       "%s is not valid UTF-8 text, or holds a control character",
						       names[i]),
					    names[i]);
	if (c->email[0] && !lt_email_ok(c->email))
		return lt_err_field(
			err,
			lt_err_set(err, LT_EINVAL, "email '%s' is not an address like vanthu@example.gov.vn", c->email),
			"email");
	if (c->phone[0] && !lt_phone_ok(c->phone))
		return lt_err_field(
			err,
			lt_err_set(err, LT_EINVAL,
				   "phone '%s' must have 3 to 20 digits, with only spaces and + - ( ) . between",
				   c->phone),
			"phone");
	if (c->fax[0] && !lt_phone_ok(c->fax))
		return lt_err_field(
			err,
			lt_err_set(err, LT_EINVAL,
				   "fax '%s' must have 3 to 20 digits, with only spaces and + - ( ) . between", c->fax),
			"fax");
	if (c->website[0] && (strchr(c->website, ' ') || !strchr(c->website, '.')))
		return lt_err_field(err,
				    lt_err_set(err, LT_EINVAL, "website '%s' is not a host name or URL", c->website),
				    "website");
	return LT_OK;
}

int lt__change_add(struct lt_registry *r, const struct lt_ctx *ctx, const char *kind, const struct lt_decision *d,
		   const char *effective, const char *reorganized, json_t *summary, int64_t *id, struct lt_err *err)
{
	return lt__change_add_at(r, ctx, kind, d, effective, reorganized, NULL, summary, id, err);
}

int lt__change_add_at(struct lt_registry *r, const struct lt_ctx *ctx, const char *kind, const struct lt_decision *d,
		      const char *effective, const char *reorganized, const char *recorded, json_t *summary,
		      int64_t *id, struct lt_err *err)
{
	struct lt_change c = {0};
	snprintf(c.kind, sizeof c.kind, "%s", kind);
	snprintf(c.effective, sizeof c.effective, "%s", effective);
	snprintf(c.reorganized, sizeof c.reorganized, "%s", reorganized && *reorganized ? reorganized : effective);
	lt_time_now(c.at);
	if (recorded && *recorded)
		snprintf(c.recorded, sizeof c.recorded, "%s", recorded);
	else
		lt_date_today(c.recorded);
	lt_ctx_actor(ctx, c.actor, sizeof c.actor);
	if (d)
		c.decision = *d;
	char *text = summary ? json_dumps(summary, JSON_COMPACT) : NULL;
	c.summary = text;
	int rc = lt_store_change_add(r->store, &c, err);
	free(text);
	json_decref(summary);
	if (rc == LT_OK)
		*id = c.id;
	return rc;
}

int lt__event_add(struct lt_registry *r, const struct lt_ctx *ctx, int64_t change_id, const char *kind,
		  const struct lt_unit *u, const char *effective, json_t *extra, struct lt_err *err)
{
	struct lt_event ev = {0};
	ev.change_id = change_id;
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.code, sizeof ev.code, "%s", u->code);
	snprintf(ev.parent, sizeof ev.parent, "%s", u->parent);
	lt_time_now(ev.at);
	snprintf(ev.effective, sizeof ev.effective, "%s", effective);
	char actor[128];
	lt_ctx_actor(ctx, actor, sizeof actor);
	if (!extra)
		return lt_store_event_append_unit(r->store, &ev, u, actor, err);
	json_t *data = extra;
	json_object_set_new(data, "unit", lt_unit_to_json(u, NULL, NULL));
	json_object_set_new(data, "actor", json_string(actor));
	ev.data = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	if (!ev.data)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int rc = lt_store_event_append(r->store, &ev, err);
	lt_event_clear(&ev);
	return rc;
}

int lt__allocate(struct lt_registry *r, const char *parent, unsigned wanted, char out[LT_CODE_BUFSZ],
		 struct lt_err *err)
{
	struct lt_code p, c;
	int rc = lt_code_parse(&p, parent, LT_CODE_STRICT, err);
	if (rc)
		return rc;
	int child_level = lt_code_level(&p) + 1;
	if (child_level > 4)
		return lt_err_set(err, LT_ERULE, "%s is a level-4 unit: codes have no fifth level", parent);
	unsigned *used = NULL, number = wanted;
	size_t n = 0;
	if ((rc = lt_store_numbers_used(r->store, parent, &used, &n, err)))
		return rc;
	if (wanted) {
		for (size_t i = 0; i < n; i++)
			if (used[i] == wanted) {
				free(used);
				lt_code_child(&p, wanted, &c, NULL);
				char buf[LT_CODE_BUFSZ];
				lt_err_set(err, LT_ECONFLICT,
					   "code %s was already issued once: a code is never reissued, even after it "
					   "closes",
					   lt_code_format(&c, buf));
				return lt_err_field(err, LT_ECONFLICT, "number");
			}
	} else if ((rc = lt_code_next_free(child_level, used, n, &number, err))) {
		free(used);
		return lt_err_prefix(err, "under %s: ", parent);
	}
	free(used);
	if ((rc = lt_code_child(&p, number, &c, err)))
		return rc;
	lt_code_format(&c, out);
	return LT_OK;
}

int lt__get_active(struct lt_registry *r, const char *code, struct lt_unit *out, struct lt_err *err)
{
	int rc = lt_store_unit_get(r->store, code, out, err);
	if (rc)
		return rc;
	if (out->status == LT_UNIT_ACTIVE)
		return LT_OK;
	struct lt_codelist cur = {0};
	char list[256] = "";
	if (lt_registry_resolve(r, code, &cur, NULL) == LT_OK)
		for (size_t i = 0; i < cur.n && strlen(list) + LT_CODE_BUFSZ + 2 < sizeof list; i++) {
			strcat(list, i ? ", " : "");
			strcat(list, cur.codes[i]);
		}
	lt_codelist_free(&cur);
	if (list[0])
		return lt_err_set(err, LT_ERULE, "%s was closed on %s; its successor is %s", code, out->valid_to, list);
	return lt_err_set(err, LT_ERULE, "%s was closed on %s and has no active successor", code, out->valid_to);
}

int lt__check_not_before(struct lt_registry *r, const char *code, const char *effective, struct lt_err *err)
{
	struct lt_event ev = {0};
	int rc = lt_store_event_asof(r->store, code, "9999-12-31", &ev, NULL);
	if (rc == LT_ENOTFOUND)
		return LT_OK;
	if (rc)
		return lt_err_set(err, rc, "reading the history of %s failed", code);
	if (strcmp(effective, ev.effective) < 0)
		rc = lt_err_set(err, LT_ERULE,
				"effective date %s is before the last recorded change of %s (%s, %s): changes "
				"are recorded in the order they take effect",
				effective, code, ev.kind, ev.effective);
	if (rc)
		lt_err_field(err, rc, "effective");
	lt_event_clear(&ev);
	return rc;
}

/* ---- reads ---- */

int lt_registry_get(struct lt_registry *r, const char *code, const char *as_of, struct lt_unit *out, struct lt_err *err)
{
	char canon[LT_CODE_BUFSZ];
	struct lt_code c;
	int rc = lt_code_parse(&c, code, LT_CODE_LENIENT | LT_CODE_SYSTEM, err);
	if (rc)
		return lt_err_prefix(err, "code '%s': ", code);
	lt_code_format(&c, canon);
	if (!as_of || !as_of[0]) {
		/* Outside local_scope the upstream's catalogue is the truth; this
		 * registry's own copy (its level-1 table) answers what it lacks. */
		rc = lt__mirror_unit(r, canon, out, NULL, NULL, err);
		return rc == LT_ENOTFOUND ? lt_store_unit_get(r->store, canon, out, err) : rc;
	}
	char date[LT_DATE_BUFSZ];
	if (lt_date_parse(as_of, date, err))
		return lt_err_prefix(err, "as_of: ");
	struct lt_event ev = {0};
	if ((rc = lt_store_event_asof(r->store, canon, date, &ev, err)))
		return rc;
	json_t *data = json_loads(ev.data, 0, NULL);
	lt_event_clear(&ev);
	rc = lt_unit_from_json(json_object_get(data, "unit"), out);
	json_decref(data);
	if (rc)
		return lt_err_set(err, LT_EIO, "event log entry for %s is damaged", canon);
	return LT_OK;
}

struct asof_ctx {
	lt_unit_cb cb;
	void *ctx;
	enum lt_status_filter f;
};

static int asof_event(void *vctx, const struct lt_event *ev)
{
	struct asof_ctx *a = vctx;
	json_t *data = json_loads(ev->data, 0, NULL);
	struct lt_unit *u = malloc(sizeof *u);
	int rc = u && lt_unit_from_json(json_object_get(data, "unit"), u) == LT_OK ? LT_OK : LT_EIO;
	json_decref(data);
	if (rc == LT_OK && (a->f == LT_FILTER_ALL || (a->f == LT_FILTER_ACTIVE) == (u->status == LT_UNIT_ACTIVE)))
		rc = a->cb(a->ctx, u);
	free(u);
	return rc;
}

int lt_registry_children(struct lt_registry *r, const char *code, enum lt_status_filter f, const char *as_of,
			 lt_unit_cb cb, void *ctx, struct lt_err *err)
{
	struct lt_unit u;
	int rc = lt_registry_get(r, code, as_of, &u, err);
	if (rc)
		return rc;
	if (!as_of || !as_of[0])
		return lt_store_children(r->store, u.code, f, cb, ctx, err);
	char date[LT_DATE_BUFSZ];
	lt_date_parse(as_of, date, NULL);
	struct asof_ctx a = {cb, ctx, f};
	return lt_store_events_asof(r->store, u.code, false, date, asof_event, &a, err);
}

int lt_registry_lineage(struct lt_registry *r, const char *code, struct lt_codelist *successors,
			struct lt_codelist *predecessors, struct lt_err *err)
{
	struct lt_unit mirrored;
	int rc = lt__mirror_unit(r, code, &mirrored, successors, predecessors, err);
	if (rc != LT_ENOTFOUND)
		return rc;
	rc = LT_OK;
	if (successors)
		rc = lt_store_successors(r->store, code, successors, err);
	if (rc == LT_OK && predecessors)
		rc = lt_store_predecessors(r->store, code, predecessors, err);
	return rc;
}

struct lineage_ctx {
	const char *as_of;
	struct lt_codelist *succ, *pred;
	int rc;
};

static int add_codes(json_t *arr, struct lt_codelist *l)
{
	size_t i;
	json_t *c;
	json_array_foreach(arr, i, c)
	{
		const char *code = json_string_value(c);
		if (l && code && !lt_codelist_has(l, code) && lt_codelist_add(l, code))
			return LT_ENOMEM;
	}
	return LT_OK;
}

/* Lineage is recorded on the events of the change that made it, so the
 * lineage as of a date is what the events effective by then say. */
static int lineage_event(void *vctx, const struct lt_event *ev)
{
	struct lineage_ctx *c = vctx;
	if (strcmp(ev->effective, c->as_of) > 0)
		return 0;
	json_t *data = json_loads(ev->data, 0, NULL);
	int rc = add_codes(json_object_get(data, "successors"), c->succ);
	if (rc == LT_OK)
		rc = add_codes(json_object_get(data, "predecessors"), c->pred);
	json_decref(data);
	return rc;
}

int lt_registry_lineage_asof(struct lt_registry *r, const char *code, const char *as_of, struct lt_codelist *successors,
			     struct lt_codelist *predecessors, struct lt_err *err)
{
	if (!as_of || !*as_of)
		return lt_registry_lineage(r, code, successors, predecessors, err);
	char date[LT_DATE_BUFSZ];
	if (lt_date_parse(as_of, date, err))
		return LT_EINVAL;
	struct lineage_ctx c = {date, successors, predecessors, LT_OK};
	int rc = lt_store_events_for(r->store, code, lineage_event, &c, err);
	return rc == LT_ENOMEM ? lt_err_set(err, LT_ENOMEM, "out of memory") : rc;
}

int lt_registry_resolve(struct lt_registry *r, const char *code, struct lt_codelist *current, struct lt_err *err)
{
	struct lt_unit u;
	int rc = lt_registry_get(r, code, NULL, &u, err);
	if (rc)
		return rc;
	/* Breadth-first over successors; seen guards against a malformed cycle. */
	struct lt_codelist queue = {0}, seen = {0};
	if ((rc = lt_codelist_add(&queue, u.code)))
		goto out;
	for (size_t i = 0; i < queue.n && rc == LT_OK; i++) {
		if (lt_codelist_has(&seen, queue.codes[i]))
			continue;
		if ((rc = lt_codelist_add(&seen, queue.codes[i])))
			break;
		struct lt_unit cur;
		if ((rc = lt_registry_get(r, queue.codes[i], NULL, &cur, err)))
			break;
		if (cur.status == LT_UNIT_ACTIVE) {
			if (!lt_codelist_has(current, cur.code))
				rc = lt_codelist_add(current, cur.code);
			continue;
		}
		rc = lt_registry_lineage(r, cur.code, &queue, NULL, err);
	}
out:
	lt_codelist_free(&queue);
	lt_codelist_free(&seen);
	if (rc == LT_ENOMEM)
		lt_err_set(err, LT_ENOMEM, "out of memory");
	return rc;
}

int lt_registry_history(struct lt_registry *r, const char *code, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	struct lt_unit u;
	int rc = lt_registry_get(r, code, NULL, &u, err);
	if (rc)
		return rc;
	return lt_store_events_for(r->store, u.code, cb, ctx, err);
}

struct search_ctx {
	lt_unit_cb cb;
	void *ctx;
	int count;
};

static int search_row(void *vctx, const struct lt_unit *u)
{
	struct search_ctx *s = vctx;
	s->count++;
	return s->cb(s->ctx, u);
}

/* A query is a code fragment when it has no spaces, a letter A-K or W, and
 * digits and dots otherwise: "H14", "G14.04", "04.G14", "000.00.04.G14". */
static bool code_fragment(const char *q, char rev[LT_CODE_BUFSZ])
{
	size_t n = strlen(q), letters = 0;
	if (n == 0 || n >= LT_CODE_BUFSZ)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = q[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c >= 'A' && c <= 'Z')
			letters++;
		else if (!(c >= '0' && c <= '9') && c != '.')
			return false;
	}
	if (letters != 1)
		return false;
	char up[LT_CODE_BUFSZ];
	for (size_t i = 0; i <= n; i++)
		up[i] = (q[i] >= 'a' && q[i] <= 'z') ? (char)(q[i] - 'a' + 'A') : q[i];
	if (up[0] >= 'A' && up[0] <= 'Z') {
		/* Already in reversed order: "G14.04". */
		snprintf(rev, LT_CODE_BUFSZ, "%s", up);
		return true;
	}
	/* Written as a code or its right part: "04.G14" → "G14.04". */
	const char *dot = strrchr(up, '.');
	if (!dot || !(dot[1] >= 'A' && dot[1] <= 'Z'))
		return false;
	lt_code_rev(up, rev);
	/* A full code's trailing zero groups are a prefix of its whole subtree. */
	size_t len = strlen(rev);
	while (len > 4 && rev[len - 1] == '0') {
		size_t k = len;
		while (k > 0 && rev[k - 1] == '0')
			k--;
		if (k == 0 || rev[k - 1] != '.')
			break;
		len = k - 1;
	}
	rev[len] = '\0';
	return true;
}

int lt_registry_search(struct lt_registry *r, const struct lt_search *q, lt_unit_cb cb, void *ctx, char *next_cursor,
		       struct lt_err *err)
{
	struct lt_search_query sq = {0};
	char rev[LT_CODE_BUFSZ], fold[1024], under[LT_CODE_BUFSZ + 2], parent[LT_CODE_BUFSZ];
	int limit = q->limit ? q->limit : 50;
	if (limit < 1 || limit > 500)
		return lt_err_set(err, LT_EINVAL, "limit must be between 1 and 500");
	if (q->level < 0 || q->level > 4)
		return lt_err_set(err, LT_EINVAL, "level must be between 1 and 4");
	if (q->q && q->q[0]) {
		if (strlen(q->q) > 200)
			return lt_err_set(err, LT_EINVAL, "query is longer than 200 bytes");
		if (!lt_text_is_clean_utf8(q->q))
			return lt_err_set(err, LT_EINVAL, "query is not valid UTF-8 text");
		if (code_fragment(q->q, rev))
			sq.code_rev = rev;
		else
			sq.text_fold = lt_text_fold(q->q, fold, sizeof fold);
	}
	if (q->parent && q->parent[0]) {
		if (lt__code_canon(q->parent, parent, err))
			return err ? err->status : LT_EINVAL;
		sq.parent = parent;
	}
	if (q->under && q->under[0]) {
		if (lt__code_canon(q->under, under, err))
			return err ? err->status : LT_EINVAL;
		sq.under = under;
	}
	/* The store makes the cursors and reads them back. */
	if (q->cursor && q->cursor[0])
		sq.cursor = q->cursor;
	sq.level = q->level;
	sq.status = q->status;
	sq.limit = limit;
	struct search_ctx s = {cb, ctx, 0};
	char last[LT_CURSOR_BUFSZ];
	int rc = lt_store_search(r->store, &sq, search_row, &s, last, err);
	if (rc)
		return rc;
	if (next_cursor)
		snprintf(next_cursor, LT_CURSOR_BUFSZ, "%s", s.count == limit ? last : "");
	return LT_OK;
}

int lt_registry_changes_after(struct lt_registry *r, int64_t after, int limit, lt_event_cb cb, void *ctx,
			      int64_t *last_seq, struct lt_err *err)
{
	if (after < 0)
		return lt_err_set(err, LT_EINVAL, "after must be 0 or a sequence number");
	if (limit < 1 || limit > 10000)
		return lt_err_set(err, LT_EINVAL, "limit must be between 1 and 10000");
	int rc;
	if (last_seq && (rc = lt_store_last_seq(r->store, last_seq, err)))
		return rc;
	return lt_store_events_after(r->store, after, limit, cb, ctx, err);
}
