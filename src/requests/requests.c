/* The request workflow: filing (with its dry run), amending, the decider's
 * acts, approval (the change and the request's new state in one
 * transaction), reads and the events feed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "requests_impl.h"

#define TEXT_MAX 4000

static int oom(struct lt_err *err) { return lt_err_set(err, LT_ENOMEM, "out of memory"); }

int lt_requests_open(struct lt_requests **out, struct lt_registry *r, const struct lt_requests_opts *opts,
		     struct lt_err *err)
{
	struct lt_requests *q = calloc(1, sizeof *q);
	if (!q)
		return oom(err);
	q->reg = r;
	q->store = lt_registry_store(r);
	q->max_file_bytes = opts && opts->max_file_bytes ? opts->max_file_bytes : 20u << 20;
	const char *dd = opts && opts->data_dir && opts->data_dir[0] ? opts->data_dir : ".";
	if ((size_t)snprintf(q->dir, sizeof q->dir, "%s/requests", dd) >= sizeof q->dir) {
		free(q);
		return lt_err_set(err, LT_EINVAL, "data_dir is too long");
	}
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s/tmp", q->dir);
	if ((mkdir(dd, 0750) && errno != EEXIST) || (mkdir(q->dir, 0750) && errno != EEXIST) ||
	    (mkdir(tmp, 0750) && errno != EEXIST)) {
		int e = errno;
		free(q);
		return lt_err_set(err, LT_EIO, "cannot make %s/requests: %s", dd, strerror(e));
	}
	/* Spool files of uploads a crash cut short: no row names them. */
	DIR *d = opendir(tmp);
	for (struct dirent *e; d && (e = readdir(d));)
		if (strncmp(e->d_name, "upload-", 7) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	*out = q;
	return LT_OK;
}

void lt_requests_close(struct lt_requests *q) { free(q); }

void lt__who_text(const struct lt_principal *p, char *out, size_t cap)
{
	if (p->role == LT_ROLE_SYSTEM)
		snprintf(out, cap, "system:%lld:token-%lld", (long long)p->system_id, (long long)p->token_id);
	else if (p->token_id > 0)
		snprintf(out, cap, "%s:token-%lld", lt_role_name(p->role), (long long)p->token_id);
	else
		snprintf(out, cap, "%s:%s", lt_role_name(p->role), p->name[0] ? p->name : "cli");
}

static bool is_open(const char *state)
{
	return strcmp(state, "submitted") == 0 || strcmp(state, "in_review") == 0 || strcmp(state, "returned") == 0;
}

/* The codes a system speaks for (empty for any other caller). */
static int caller_codes(struct lt_requests *q, const struct lt_principal *who, struct lt_codelist *codes,
			struct lt_err *err)
{
	memset(codes, 0, sizeof *codes);
	if (who->role != LT_ROLE_SYSTEM)
		return LT_OK;
	return lt_store_system_codes(q->store, who->system_id, codes, err);
}

static int may_file(struct lt_requests *q, const struct lt_principal *who, const struct proposal *p, struct lt_err *err)
{
	struct lt_codelist codes;
	int rc = caller_codes(q, who, &codes, err);
	if (rc == LT_OK)
		rc = lt_access_request_file(who, p->unit, &codes, err);
	const struct lt_codelist *lists[] = {&p->writes, &p->reorgs};
	for (int l = 0; l < 2 && rc == LT_OK; l++)
		for (size_t i = 0; i < lists[l]->n && rc == LT_OK; i++)
			rc = lt_access_request_file(who, lists[l]->codes[i], &codes, err);
	lt_codelist_free(&codes);
	return rc;
}

static int may_read(struct lt_requests *q, const struct lt_principal *who, const struct lt_request_row *row,
		    struct lt_err *err)
{
	struct lt_codelist codes;
	int rc = caller_codes(q, who, &codes, err);
	if (rc == LT_OK)
		rc = lt_access_request_read(who, row->unit, &codes, row->filer_token, err);
	lt_codelist_free(&codes);
	return rc;
}

static int may_decide(const struct lt_principal *who, const struct lt_request_row *row, const struct proposal *p,
		      struct lt_err *err)
{
	int rc = lt_access_request_decide(who, row->unit, false, row->filer_token, err);
	for (size_t i = 0; i < p->writes.n && rc == LT_OK; i++)
		rc = lt_access_request_decide(who, p->writes.codes[i], false, row->filer_token, err);
	for (size_t i = 0; i < p->reorgs.n && rc == LT_OK; i++)
		rc = lt_access_request_decide(who, p->reorgs.codes[i], true, row->filer_token, err);
	return rc;
}

static int load(struct lt_requests *q, int64_t id, struct lt_request_row *row, json_t **doc, struct lt_err *err)
{
	int rc = lt_store_request_get(q->store, id, row, err);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(err, LT_ENOTFOUND, "no request %lld", (long long)id);
	if (rc)
		return rc;
	*doc = json_loads(row->doc, 0, NULL);
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		lt_request_row_clear(row);
		return lt_err_set(err, LT_EIO, "request %lld is stored damaged", (long long)id);
	}
	return LT_OK;
}

static int parse_of(const struct lt_request_row *row, json_t *doc, struct proposal *p, struct lt_err *err)
{
	return lt__proposal_parse(row->kind, row->unit, json_object_get(doc, "proposal"), p, err);
}

/* Writes row with doc and appends an event of kind with data (stolen), in
 * the caller's transaction. */
static int save(struct lt_requests *q, const struct lt_principal *who, struct lt_request_row *row, json_t *doc,
		const char *kind, json_t *data, struct lt_err *err)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	if (!text) {
		json_decref(data);
		return oom(err);
	}
	free(row->doc);
	row->doc = text;
	lt_time_now(row->updated);
	int rc = lt_store_request_put(q->store, row, err);
	if (rc) {
		json_decref(data);
		return rc;
	}
	struct lt_request_event ev = {.request_id = row->id};
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.state, sizeof ev.state, "%s", row->state);
	snprintf(ev.unit, sizeof ev.unit, "%s", row->unit);
	lt__who_text(who, ev.who, sizeof ev.who);
	snprintf(ev.at, sizeof ev.at, "%s", row->updated);
	ev.data = json_dumps(data ? data : json_object(), JSON_COMPACT);
	json_decref(data);
	if (!ev.data)
		return oom(err);
	rc = lt_store_request_event_add(q->store, &ev, err);
	free(ev.data);
	return rc;
}

/* The registry change a request carries at filing (a contact update applied
 * at once, or a dry run rolled back) was allowed by the request's own rule
 * (may_file, lt_access_request_file); the registry would judge the filer
 * by its write rules, which a requester never passes. So it runs as the
 * hub on the filer's behalf, named for the filer in what it records. An
 * approval runs as the decider itself (may_decide asks the same rules the
 * registry does). */
static void on_behalf(const struct lt_ctx *ctx, struct lt_ctx *out)
{
	char actor[96];
	lt_ctx_actor(ctx, actor, sizeof actor);
	memset(out, 0, sizeof *out);
	out->who.role = LT_ROLE_ADMIN;
	snprintf(out->who.name, sizeof out->who.name, "request by %s", actor);
	memcpy(out->request_id, ctx->request_id, sizeof out->request_id);
}

/* Runs the proposal in a part of the caller's transaction that is rolled
 * back: what it would do, or why it cannot. A stand-in decision dated today
 * lets the registry's own checks run before the real one exists. */
static int dry_run(struct lt_requests *q, const struct lt_ctx *ctx, struct proposal *p, const char *reorganized,
		   json_t **result, struct lt_err *err)
{
	struct lt_decision d = {.number = "dry-run", .issuer = "dry-run"};
	lt_date_today(d.date);
	int rc = lt_store_begin(q->store, err);
	if (rc)
		return rc;
	rc = lt__proposal_apply(q->reg, ctx, p, &d, "dry-run", reorganized, result, err);
	lt_store_rollback(q->store);
	if (rc)
		return lt_err_prefix(err, "the proposal cannot be applied: ");
	return LT_OK;
}

static int check_text(const char *text, const char *what, bool required, struct lt_err *err)
{
	if (!text || !text[0])
		return required ? lt_err_set(err, LT_EINVAL, "'%s' is required", what) : LT_OK;
	if (strlen(text) > TEXT_MAX || !lt_text_is_clean_utf8(text))
		return lt_err_set(err, LT_EINVAL,
				  "'%s' must be UTF-8 text of at most %d bytes, without control characters", what,
				  TEXT_MAX);
	return LT_OK;
}

static int check_reorganized(const char *in, char out[LT_DATE_BUFSZ], struct lt_err *err)
{
	out[0] = '\0';
	if (!in || !in[0])
		return LT_OK;
	if (lt_date_parse(in, out, err))
		return lt_err_field(err, lt_err_prefix(err, "reorganized: "), "reorganized");
	char today[LT_DATE_BUFSZ];
	lt_date_today(today);
	if (strcmp(out, today) > 0)
		return lt_err_set(err, LT_EINVAL,
				  "reorganized %s lies in the future: it is the date the unit was "
				  "reorganised",
				  out);
	return LT_OK;
}

static json_t *request_json(const struct lt_request_row *row, json_t *doc)
{
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)row->id, "kind", row->kind, "unit",
			      row->unit, "state", row->state, "filed", row->filed, "updated", row->updated);
	const char *keys[] = {"reason", "proposal", "filed_by", "decision", "dry_run", "result", "change_id"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(doc, keys[i]);
		json_object_set(o, keys[i], v ? v : json_null());
	}
	json_object_set_new(o, "reorganized", row->reorganized[0] ? json_string(row->reorganized) : json_null());
	json_object_set_new(o, "applied", row->applied[0] ? json_string(row->applied) : json_null());
	char due[LT_DATE_BUFSZ];
	json_t *dl = json_object();
	if (row->reorganized[0] && lt_date_add_days(row->reorganized, 30, due, NULL) == LT_OK)
		json_object_set_new(dl, "decision_due", json_string(due));
	if (row->decision_date[0] && lt_date_add_days(row->decision_date, 7, due, NULL) == LT_OK)
		json_object_set_new(dl, "update_due", json_string(due));
	json_object_set_new(o, "deadlines", dl);
	return o;
}

int lt_request_create(struct lt_requests *q, const struct lt_ctx *ctx, const struct lt_request_new *n, json_t **out,
		      struct lt_err *err)
{
	const struct lt_principal *who = &ctx->who;
	struct proposal p;
	char reorganized[LT_DATE_BUFSZ];
	int rc = lt__proposal_parse(n->kind, n->unit, n->proposal, &p, err);
	if (rc == LT_OK)
		rc = may_file(q, who, &p, err);
	if (rc == LT_OK)
		rc = check_text(n->reason, "reason", p.kind != RK_UPDATE, err);
	if (rc == LT_OK)
		rc = check_reorganized(n->reorganized, reorganized, err);
	if (rc) {
		lt__proposal_free(&p);
		return rc;
	}
	struct lt_request_row row = {.filer_token = who->token_id,
				     .filer_system = who->role == LT_ROLE_SYSTEM ? who->system_id : 0};
	snprintf(row.kind, sizeof row.kind, "%s", lt__request_kinds[p.kind]);
	snprintf(row.unit, sizeof row.unit, "%s", p.unit);
	snprintf(row.reorganized, sizeof row.reorganized, "%s", reorganized);
	snprintf(row.state, sizeof row.state, "submitted");
	lt_time_now(row.filed);
	char whotext[192];
	lt__who_text(who, whotext, sizeof whotext);
	json_t *doc = json_pack("{s:O,s:s,s:{s:s,s:I,s:I,s:s}}", "proposal", n->proposal, "reason",
				n->reason ? n->reason : "", "filed_by", "role", lt_role_name(who->role), "token",
				(json_int_t)who->token_id, "system", (json_int_t)row.filer_system, "who", whotext);
	json_t *result = NULL;
	if (!doc) {
		lt__proposal_free(&p);
		return oom(err);
	}
	struct lt_ctx filer;
	on_behalf(ctx, &filer);
	if ((rc = lt_store_begin(q->store, err)))
		goto out;
	if (p.kind == RK_UPDATE) {
		/* Contact data needs no decision: applied now, recorded as asked. */
		if ((rc = lt__proposal_apply(q->reg, &filer, &p, NULL, NULL, NULL, &result, err)) == LT_OK) {
			snprintf(row.state, sizeof row.state, "applied");
			lt_date_today(row.applied);
			json_object_set(doc, "result", result);
		}
	} else if ((rc = dry_run(q, &filer, &p, reorganized, &result, err)) == LT_OK) {
		json_object_set(doc, "dry_run", result);
		json_object_set_new(doc, "base", lt__proposal_base(q->reg, &p));
	}
	if (rc == LT_OK)
		rc = save(q, who, &row, doc, "filed", json_pack("{s:s}", "reason", n->reason ? n->reason : ""), err);
	if (rc == LT_OK && p.kind == RK_UPDATE)
		rc = save(q, who, &row, doc, "applied", json_pack("{s:O}", "result", result), err);
	if (rc == LT_OK)
		rc = lt_store_commit(q->store, err);
	else
		lt_store_rollback(q->store);
	if (rc == LT_OK && out)
		*out = request_json(&row, doc);
out:
	json_decref(result);
	json_decref(doc);
	lt_request_row_clear(&row);
	lt__proposal_free(&p);
	return rc;
}

struct show_ctx {
	json_t *history, *comments, *files;
};

static int on_history(void *vctx, const struct lt_request_event *ev)
{
	struct show_ctx *c = vctx;
	json_t *data = json_loads(ev->data, 0, NULL);
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)ev->seq, "kind", ev->kind, "state", ev->state,
			      "who", ev->who, "at", ev->at);
	if (json_is_object(data))
		json_object_update_missing(o, data);
	json_decref(data);
	if (strcmp(ev->kind, "comment") == 0 || strcmp(ev->kind, "returned") == 0)
		json_array_append_new(c->comments, json_pack("{s:s,s:s,s:O}", "who", ev->who, "at", ev->at, "comment",
							     json_object_get(o, "comment")));
	json_array_append_new(c->history, o);
	return 0;
}

static json_t *file_json(const struct lt_request_file *f)
{
	return json_pack("{s:i,s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "n", f->n, "name", f->name, "content_type",
			 f->content_type, "size", (json_int_t)f->size, "sha256", f->sha256, "role", f->role, "added",
			 f->added, "who", f->who);
}

static int on_file(void *vctx, const struct lt_request_file *f)
{
	struct show_ctx *c = vctx;
	json_array_append_new(c->files, file_json(f));
	return 0;
}

int lt_request_show(struct lt_requests *q, const struct lt_principal *who, int64_t id, json_t **out, struct lt_err *err)
{
	struct lt_request_row row;
	json_t *doc;
	int rc = load(q, id, &row, &doc, err);
	if (rc)
		return rc;
	struct show_ctx c = {json_array(), json_array(), json_array()};
	if ((rc = may_read(q, who, &row, err)) == LT_OK &&
	    (rc = lt_store_request_events(q->store, id, 0, 0, on_history, &c, err)) == LT_OK &&
	    (rc = lt_store_request_files(q->store, id, on_file, &c, err)) == LT_OK) {
		*out = request_json(&row, doc);
		json_object_set_new(*out, "history", c.history);
		json_object_set_new(*out, "comments", c.comments);
		json_object_set_new(*out, "files", c.files);
		c.history = c.comments = c.files = NULL;
	}
	json_decref(c.history);
	json_decref(c.comments);
	json_decref(c.files);
	json_decref(doc);
	lt_request_row_clear(&row);
	return rc;
}

struct list_ctx {
	struct lt_requests *q;
	const struct lt_principal *who;
	json_t *items;
	int limit;
};

static int on_list(void *vctx, const struct lt_request_row *row)
{
	struct list_ctx *c = vctx;
	if (may_read(c->q, c->who, row, NULL) != LT_OK)
		return 0;
	json_t *doc = json_loads(row->doc, 0, NULL);
	json_array_append_new(c->items, request_json(row, doc));
	json_decref(doc);
	return (int)json_array_size(c->items) >= c->limit ? 1 : 0;
}

int lt_request_list(struct lt_requests *q, const struct lt_principal *who, const char *state, const char *under,
		    int64_t after, int limit, json_t **items, struct lt_err *err)
{
	static const char *const states[] = {"submitted", "in_review", "returned", "rejected", "applied", "open"};
	size_t k = 0;
	while (state && state[0] && k < 6 && strcmp(state, states[k]) != 0)
		k++;
	if (k == 6)
		return lt_err_set(err, LT_EINVAL,
				  "state must be submitted, in_review, returned, rejected, applied or open");
	if (who->role == LT_ROLE_ANONYMOUS)
		return lt_err_set(err, LT_EAUTH, "requests are listed with a bearer token");
	if (who->role == LT_ROLE_READER)
		return lt_err_set(err, LT_EFORBIDDEN, "a reader token does not see change requests");
	char canon[LT_CODE_BUFSZ] = "";
	struct lt_code c;
	if (under && under[0]) {
		if (lt_code_parse(&c, under, LT_CODE_STRICT, err))
			return lt_err_prefix(err, "under: ");
		lt_code_format(&c, canon);
	}
	bool open = state && strcmp(state, "open") == 0;
	struct lt_request_query rq = {.state = open ? "" : state, .under = canon, .open_only = open, .after = after};
	struct list_ctx ctx = {q, who, json_array(), limit > 0 && limit <= 500 ? limit : 100};
	int rc = lt_store_requests(q->store, &rq, on_list, &ctx, err);
	if (rc < 0) {
		json_decref(ctx.items);
		return rc;
	}
	*items = ctx.items;
	return LT_OK;
}

/* Loads a request, its proposal and checks who may act on it in state. */
struct acting {
	struct lt_request_row row;
	json_t *doc;
	struct proposal p;
};

static void acting_free(struct acting *a)
{
	lt_request_row_clear(&a->row);
	json_decref(a->doc);
	lt__proposal_free(&a->p);
}

static int acting_load(struct lt_requests *q, const struct lt_principal *who, int64_t id, struct acting *a,
		       struct lt_err *err)
{
	memset(a, 0, sizeof *a);
	int rc = load(q, id, &a->row, &a->doc, err);
	if (rc)
		return rc;
	if ((rc = may_read(q, who, &a->row, err)) || (rc = parse_of(&a->row, a->doc, &a->p, err)))
		acting_free(a);
	return rc;
}

static int wrong_state(const struct acting *a, const char *act, struct lt_err *err)
{
	return lt_err_set(err, LT_ECONFLICT, "request %lld is %s: it cannot be %s now", (long long)a->row.id,
			  a->row.state, act);
}

int lt_request_amend(struct lt_requests *q, const struct lt_ctx *ctx, int64_t id, const struct lt_request_change *c,
		     json_t **out, struct lt_err *err)
{
	const struct lt_principal *who = &ctx->who;
	struct acting a;
	int rc = acting_load(q, who, id, &a, err);
	if (rc)
		return rc;
	struct proposal np = {0};
	char reorganized[LT_DATE_BUFSZ];
	json_t *result = NULL;
	if ((rc = may_file(q, who, &a.p, err)))
		goto out;
	if (strcmp(a.row.state, "returned") != 0 && strcmp(a.row.state, "submitted") != 0) {
		rc = wrong_state(&a, "amended (only a submitted or returned request is)", err);
		goto out;
	}
	json_t *proposal = c->proposal ? c->proposal : json_object_get(a.doc, "proposal");
	if ((rc = lt__proposal_parse(a.row.kind, a.row.unit, proposal, &np, err)) ||
	    (rc = may_file(q, who, &np, err)) || (rc = check_text(c->reason, "reason", false, err)) ||
	    (rc = check_reorganized(c->reorganized ? c->reorganized : a.row.reorganized, reorganized, err)))
		goto out;
	if ((rc = lt_store_begin(q->store, err)))
		goto out;
	struct lt_ctx filer;
	on_behalf(ctx, &filer);
	if ((rc = dry_run(q, &filer, &np, reorganized, &result, err)) == LT_OK) {
		json_object_set(a.doc, "proposal", proposal);
		if (c->reason && c->reason[0])
			json_object_set_new(a.doc, "reason", json_string(c->reason));
		json_object_set(a.doc, "dry_run", result);
		json_object_set_new(a.doc, "base", lt__proposal_base(q->reg, &np));
		snprintf(a.row.reorganized, sizeof a.row.reorganized, "%s", reorganized);
		json_t *data = json_pack("{s:O}", "proposal", proposal);
		if (c->reason && c->reason[0])
			json_object_set_new(data, "reason", json_string(c->reason));
		rc = save(q, who, &a.row, a.doc, "amended", data, err);
	}
	if (rc == LT_OK)
		rc = lt_store_commit(q->store, err);
	else
		lt_store_rollback(q->store);
	if (rc == LT_OK && out)
		*out = request_json(&a.row, a.doc);
out:
	json_decref(result);
	lt__proposal_free(&np);
	acting_free(&a);
	return rc;
}

int lt_request_act(struct lt_requests *q, const struct lt_ctx *ctx, int64_t id, enum lt_request_act act,
		   const char *text, json_t **out, struct lt_err *err)
{
	const struct lt_principal *who = &ctx->who;
	static const char *const names[] = {"submitted", "comment", "returned", "rejected"};
	if ((unsigned)act > LT_REQUEST_REJECT)
		return lt_err_set(err, LT_EINVAL, "unknown act on a request");
	struct acting a;
	int rc = acting_load(q, who, id, &a, err);
	if (rc)
		return rc;
	const char *key = act == LT_REQUEST_REJECT ? "reason" : "comment";
	bool decider = may_decide(who, &a.row, &a.p, NULL) == LT_OK;
	if (act == LT_REQUEST_SUBMIT)
		rc = may_file(q, who, &a.p, err);
	else if (act != LT_REQUEST_COMMENT)
		rc = may_decide(who, &a.row, &a.p, err);
	if (rc == LT_OK)
		rc = check_text(text, key, act != LT_REQUEST_SUBMIT, err);
	if (rc)
		goto out;
	const char *next = a.row.state;
	switch (act) {
	case LT_REQUEST_SUBMIT:
		if (strcmp(a.row.state, "returned") != 0)
			rc = wrong_state(&a, "submitted again (only a returned request is)", err);
		next = "submitted";
		break;
	case LT_REQUEST_COMMENT:
		if (!is_open(a.row.state))
			rc = wrong_state(&a, "commented on", err);
		/* The managing agency's first word on it starts the review. */
		if (decider && strcmp(a.row.state, "submitted") == 0)
			next = "in_review";
		break;
	case LT_REQUEST_RETURN:
	case LT_REQUEST_REJECT:
		if (strcmp(a.row.state, "submitted") != 0 && strcmp(a.row.state, "in_review") != 0)
			rc = wrong_state(&a, act == LT_REQUEST_RETURN ? "returned" : "rejected", err);
		next = act == LT_REQUEST_RETURN ? "returned" : "rejected";
		break;
	}
	if (rc)
		goto out;
	char state[16];
	snprintf(state, sizeof state, "%s", next);
	snprintf(a.row.state, sizeof a.row.state, "%s", state);
	json_t *data = json_object();
	if (text && text[0])
		json_object_set_new(data, key, json_string(text));
	if (act == LT_REQUEST_REJECT)
		json_object_set_new(a.doc, "rejection", json_string(text));
	if ((rc = lt_store_begin(q->store, err)) == LT_OK) {
		rc = save(q, who, &a.row, a.doc, names[act], data, err);
		data = NULL;
		if (rc == LT_OK)
			rc = lt_store_commit(q->store, err);
		else
			lt_store_rollback(q->store);
	}
	json_decref(data);
	if (rc == LT_OK && out)
		*out = request_json(&a.row, a.doc);
out:
	acting_free(&a);
	return rc;
}

/* Has a unit the proposal was based on been renamed, moved or closed? */
static int check_base(struct lt_requests *q, json_t *doc, const struct proposal *p, struct lt_err *err)
{
	json_t *base = json_object_get(doc, "base");
	json_t *now = lt__proposal_base(q->reg, p);
	const char *code;
	json_t *was;
	int rc = LT_OK;
	json_object_foreach(base, code, was)
	{
		json_t *is = json_object_get(now, code);
		if (json_is_null(was) || !is || json_equal(was, is))
			continue;
		const char *wn = json_string_value(json_object_get(was, "name"));
		const char *in = json_string_value(json_object_get(is, "name"));
		const char *ws = json_string_value(json_object_get(was, "status"));
		const char *is_ = json_string_value(json_object_get(is, "status"));
		if (ws && is_ && strcmp(ws, is_) != 0)
			rc = lt_err_set(err, LT_ECONFLICT,
					"the registry moved on since the request was filed: %s is now %s", code, is_);
		else if (wn && in && strcmp(wn, in) != 0)
			rc = lt_err_set(
				err, LT_ECONFLICT,
				"the registry moved on since the request was filed: %s was renamed from '%s' to "
				"'%s'; return the request so that it is amended",
				code, wn, in);
		else
			rc = lt_err_set(
				err, LT_ECONFLICT,
				"the registry moved on since the request was filed: %s was moved to a new parent; "
				"return the request so that it is amended",
				code);
		break;
	}
	json_decref(now);
	return rc;
}

int lt_request_approve(struct lt_requests *q, const struct lt_ctx *ctx, int64_t id, const struct lt_request_decision *d,
		       json_t **out, struct lt_err *err)
{
	const struct lt_principal *who = &ctx->who;
	struct acting a;
	int rc = acting_load(q, who, id, &a, err);
	if (rc)
		return rc;
	json_t *result = NULL;
	struct lt_request_file f;
	if ((rc = may_decide(who, &a.row, &a.p, err)))
		goto out;
	if (strcmp(a.row.state, "submitted") != 0 && strcmp(a.row.state, "in_review") != 0) {
		rc = wrong_state(&a, "approved (only a submitted request or one in review is)", err);
		goto out;
	}
	if (!lt_decision_complete(&d->decision)) {
		rc = lt_err_set(err, LT_EINVAL, "an approval carries the decision: its number, date and issuer");
		goto out;
	}
	if (strlen(d->kind) >= sizeof d->kind || (d->kind[0] && !lt_text_is_clean_utf8(d->kind))) {
		rc = lt_err_set(err, LT_EINVAL, "the decision's kind must be short UTF-8 text");
		goto out;
	}
	if (d->file && (rc = lt_store_request_file_get(q->store, id, d->file, &f, err)))
		goto out;
	if ((rc = lt_store_begin(q->store, err)))
		goto out;
	if ((rc = check_base(q, a.doc, &a.p, err)) == LT_OK)
		rc = lt__proposal_apply(q->reg, ctx, &a.p, &d->decision, d->kind, a.row.reorganized, &result, err);
	if (rc)
		lt_err_prefix(err, "approval refused, the request stays open: ");
	if (rc == LT_OK) {
		char date[LT_DATE_BUFSZ];
		lt_date_parse(d->decision.date, date, NULL);
		json_t *dj = json_pack("{s:s,s:s,s:s,s:s}", "number", d->decision.number, "date", date, "issuer",
				       d->decision.issuer, "kind", d->kind);
		if (d->file)
			json_object_set_new(dj, "file", json_integer(d->file));
		json_object_set_new(a.doc, "decision", dj);
		json_object_set(a.doc, "result", result);
		if (json_is_integer(json_object_get(result, "id")))
			json_object_set(a.doc, "change_id", json_object_get(result, "id"));
		snprintf(a.row.state, sizeof a.row.state, "applied");
		snprintf(a.row.decision_date, sizeof a.row.decision_date, "%s", date);
		lt_date_today(a.row.applied);
		if (d->file)
			rc = lt_store_request_file_role(q->store, id, d->file, "decision", err);
		if (rc == LT_OK)
			rc = save(q, who, &a.row, a.doc, "applied",
				  json_pack("{s:O,s:O}", "decision", dj, "result", result), err);
	}
	if (rc == LT_OK)
		rc = lt_store_commit(q->store, err);
	else
		lt_store_rollback(q->store);
	if (rc == LT_OK && out)
		*out = request_json(&a.row, a.doc);
out:
	json_decref(result);
	acting_free(&a);
	return rc;
}

struct feed_ctx {
	struct lt_requests *q;
	const struct lt_principal *who;
	json_t *items;
	int64_t last;
	struct lt_request_row row; /* the request of the last event seen */
	bool visible;
};

static int on_feed(void *vctx, const struct lt_request_event *ev)
{
	struct feed_ctx *c = vctx;
	c->last = ev->seq;
	if (c->row.id != ev->request_id) {
		lt_request_row_clear(&c->row);
		if (lt_store_request_get(c->q->store, ev->request_id, &c->row, NULL) != LT_OK)
			return 0;
		c->visible = may_read(c->q, c->who, &c->row, NULL) == LT_OK;
	}
	if (!c->visible)
		return 0;
	json_t *data = json_loads(ev->data, 0, NULL);
	json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)ev->seq, "request",
			      (json_int_t)ev->request_id, "kind", ev->kind, "state", ev->state, "unit", ev->unit,
			      "request_kind", c->row.kind, "who", ev->who, "at", ev->at);
	if (json_is_object(data))
		json_object_update_missing(o, data);
	json_decref(data);
	json_array_append_new(c->items, o);
	return 0;
}

int lt_request_events(struct lt_requests *q, const struct lt_principal *who, int64_t after, int limit, json_t **items,
		      int64_t *last_seq, struct lt_err *err)
{
	if (who->role == LT_ROLE_ANONYMOUS)
		return lt_err_set(err, LT_EAUTH, "the request events are read with a bearer token");
	if (who->role == LT_ROLE_READER)
		return lt_err_set(err, LT_EFORBIDDEN, "a reader token does not see change requests");
	struct feed_ctx c = {.q = q, .who = who, .items = json_array(), .last = after};
	int rc =
		lt_store_request_events(q->store, 0, after, limit > 0 && limit <= 1000 ? limit : 100, on_feed, &c, err);
	lt_request_row_clear(&c.row);
	if (rc) {
		json_decref(c.items);
		return rc;
	}
	*items = c.items;
	*last_seq = c.last;
	return LT_OK;
}
