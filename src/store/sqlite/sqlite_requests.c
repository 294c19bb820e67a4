/* Change requests in SQLite: the requests, their append-only events and
 * the metadata of their files. */
#include <stdlib.h>
#include <string.h>

#include "../request_ops.h"
#include "sqlite_store.h"

#define REQUEST_COLS                                                                                                   \
	"id, kind, unit, state, reorganized, decision_date, applied, filer_token, filer_system, filed, updated, doc"
#define EVENT_COLS "seq, request_id, kind, state, unit, who, at, data"
#define FILE_COLS "request_id, n, name, content_type, size, sha256, role, added, who"

static const char SQL_INSERT[] = "INSERT INTO requests (kind, unit, sort_key, state, reorganized, decision_date, "
				 "applied, filer_token, filer_system, filed, updated, doc) "
				 "VALUES (?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)";
static const char SQL_UPDATE[] = "UPDATE requests SET kind = ?2, unit = ?3, sort_key = ?4, state = ?5, "
				 "reorganized = ?6, decision_date = ?7, applied = ?8, filer_token = ?9, "
				 "filer_system = ?10, filed = ?11, updated = ?12, doc = ?13 WHERE id = ?1";
static const char SQL_GET[] = "SELECT " REQUEST_COLS " FROM requests WHERE id = ?1";
/* ?2 state or '' for any; ?3 subtree GLOB or '' for any, ?4 its root's own
 * reversed code; ?5 open states only. */
static const char SQL_LIST[] = "SELECT " REQUEST_COLS " FROM requests WHERE id > ?1 AND (?2 = '' OR state = ?2) "
			       "AND (?3 = '' OR sort_key GLOB ?3 OR sort_key = ?4) AND (?5 = 0 OR state IN "
			       "('submitted', 'in_review', 'returned')) ORDER BY id LIMIT ?6";
static const char SQL_EVENT_ADD[] = "INSERT INTO request_events (request_id, kind, state, unit, who, at, data) "
				    "VALUES (?1,?2,?3,?4,?5,?6,?7)";
static const char SQL_EVENTS_ONE[] = "SELECT " EVENT_COLS " FROM request_events WHERE request_id = ?1 AND seq > ?2 "
				     "ORDER BY seq LIMIT ?3";
static const char SQL_EVENTS_ALL[] = "SELECT " EVENT_COLS " FROM request_events WHERE seq > ?2 AND ?1 = ?1 "
				     "ORDER BY seq LIMIT ?3";
static const char SQL_FILE_ADD[] = "INSERT INTO request_files (request_id, n, name, content_type, size, sha256, "
				   "role, added, who) SELECT ?1, coalesce(max(n), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 "
				   "FROM request_files WHERE request_id = ?1 RETURNING n";
static const char SQL_FILES[] = "SELECT " FILE_COLS " FROM request_files WHERE request_id = ?1 ORDER BY n";
static const char SQL_FILE_GET[] = "SELECT " FILE_COLS " FROM request_files WHERE request_id = ?1 AND n = ?2";
static const char SQL_FILE_ROLE[] = "UPDATE request_files SET role = ?3 WHERE request_id = ?1 AND n = ?2";

static char *col_dup(sqlite3_stmt *q, int i)
{
	const unsigned char *v = sqlite3_column_text(q, i);
	return strdup(v ? (const char *)v : "{}");
}

static int read_request(void *vr, sqlite3_stmt *q)
{
	struct lt_request_row *r = vr;
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(q, 0);
	lt__sq_col_copy(q, 1, r->kind, sizeof r->kind);
	lt__sq_col_copy(q, 2, r->unit, sizeof r->unit);
	lt__sq_col_copy(q, 3, r->state, sizeof r->state);
	lt__sq_col_copy(q, 4, r->reorganized, sizeof r->reorganized);
	lt__sq_col_copy(q, 5, r->decision_date, sizeof r->decision_date);
	lt__sq_col_copy(q, 6, r->applied, sizeof r->applied);
	r->filer_token = sqlite3_column_int64(q, 7);
	r->filer_system = sqlite3_column_int64(q, 8);
	lt__sq_col_copy(q, 9, r->filed, sizeof r->filed);
	lt__sq_col_copy(q, 10, r->updated, sizeof r->updated);
	r->doc = col_dup(q, 11);
	return r->doc ? 0 : LT_ENOMEM;
}

static int read_event(void *vev, sqlite3_stmt *q)
{
	struct lt_request_event *ev = vev;
	memset(ev, 0, sizeof *ev);
	ev->seq = sqlite3_column_int64(q, 0);
	ev->request_id = sqlite3_column_int64(q, 1);
	lt__sq_col_copy(q, 2, ev->kind, sizeof ev->kind);
	lt__sq_col_copy(q, 3, ev->state, sizeof ev->state);
	lt__sq_col_copy(q, 4, ev->unit, sizeof ev->unit);
	lt__sq_col_copy(q, 5, ev->who, sizeof ev->who);
	lt__sq_col_copy(q, 6, ev->at, sizeof ev->at);
	ev->data = col_dup(q, 7);
	return ev->data ? 0 : LT_ENOMEM;
}

static int read_file(void *vf, sqlite3_stmt *q)
{
	struct lt_request_file *f = vf;
	memset(f, 0, sizeof *f);
	f->request_id = sqlite3_column_int64(q, 0);
	f->n = sqlite3_column_int(q, 1);
	lt__sq_col_copy(q, 2, f->name, sizeof f->name);
	lt__sq_col_copy(q, 3, f->content_type, sizeof f->content_type);
	f->size = sqlite3_column_int64(q, 4);
	lt__sq_col_copy(q, 5, f->sha256, sizeof f->sha256);
	lt__sq_col_copy(q, 6, f->role, sizeof f->role);
	lt__sq_col_copy(q, 7, f->added, sizeof f->added);
	lt__sq_col_copy(q, 8, f->who, sizeof f->who);
	return 0;
}

static int sq_put(struct lt_store *s, struct lt_request_row *r, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, r->id ? SQL_UPDATE : SQL_INSERT, &cn, err);
	if (!q)
		return LT_EIO;
	char rev[LT_CODE_BUFSZ];
	if (r->id)
		sqlite3_bind_int64(q, 1, r->id);
	lt__sq_bind_text(q, 2, r->kind);
	lt__sq_bind_text(q, 3, r->unit);
	lt__sq_bind_text(q, 4, lt_code_rev(r->unit, rev));
	lt__sq_bind_text(q, 5, r->state);
	lt__sq_bind_text(q, 6, r->reorganized);
	lt__sq_bind_text(q, 7, r->decision_date);
	lt__sq_bind_text(q, 8, r->applied);
	sqlite3_bind_int64(q, 9, r->filer_token);
	sqlite3_bind_int64(q, 10, r->filer_system);
	lt__sq_bind_text(q, 11, r->filed);
	lt__sq_bind_text(q, 12, r->updated);
	lt__sq_bind_text(q, 13, r->doc ? r->doc : "{}");
	int ret = LT_OK;
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "writing a request");
	else if (!r->id)
		r->id = sqlite3_last_insert_rowid(cn->db);
	else if (sqlite3_changes(cn->db) == 0)
		ret = lt_err_set(err, LT_ENOTFOUND, "no request %lld", (long long)r->id);
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_get(struct lt_store *s, int64_t id, struct lt_request_row *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_GET, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	memset(out, 0, sizeof *out);
	return lt__sq_one(st, cn, q, read_request, out, err, "a request");
}

struct each {
	lt_request_cb request;
	lt_request_event_cb event;
	lt_request_file_cb file;
	void *ctx;
};

static int each_request(void *vctx, sqlite3_stmt *q)
{
	struct each *e = vctx;
	struct lt_request_row r;
	int rc = read_request(&r, q);
	if (rc == 0)
		rc = e->request(e->ctx, &r);
	lt_request_row_clear(&r);
	return rc;
}

static int sq_list(struct lt_store *s, const struct lt_request_query *rq, lt_request_cb cb, void *ctx,
		   struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_LIST, &cn, err);
	if (!q)
		return LT_EIO;
	char prefix[LT_CODE_BUFSZ + 2] = "", rev[LT_CODE_BUFSZ] = "";
	if (rq->under && rq->under[0]) {
		char p[LT_CODE_BUFSZ];
		snprintf(prefix, sizeof prefix, "%s*", lt__code_rev_prefix(rq->under, p));
		lt_code_rev(rq->under, rev);
	}
	sqlite3_bind_int64(q, 1, rq->after);
	lt__sq_bind_text(q, 2, rq->state);
	lt__sq_bind_text(q, 3, prefix);
	lt__sq_bind_text(q, 4, rev);
	sqlite3_bind_int(q, 5, rq->open_only);
	sqlite3_bind_int(q, 6, rq->limit > 0 ? rq->limit : -1);
	struct each e = {.request = cb, .ctx = ctx};
	return lt__sq_rows(st, cn, q, each_request, &e, err, "requests");
}

static int sq_event_add(struct lt_store *s, struct lt_request_event *ev, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_EVENT_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, ev->request_id);
	lt__sq_bind_text(q, 2, ev->kind);
	lt__sq_bind_text(q, 3, ev->state);
	lt__sq_bind_text(q, 4, ev->unit);
	lt__sq_bind_text(q, 5, ev->who);
	lt__sq_bind_text(q, 6, ev->at);
	lt__sq_bind_text(q, 7, ev->data ? ev->data : "{}");
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_DONE)
		ev->seq = sqlite3_last_insert_rowid(cn->db);
	else
		ret = lt__sq_fail(cn, err, "appending to a request's history");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int each_event(void *vctx, sqlite3_stmt *q)
{
	struct each *e = vctx;
	struct lt_request_event ev;
	int rc = read_event(&ev, q);
	if (rc == 0)
		rc = e->event(e->ctx, &ev);
	lt_request_event_clear(&ev);
	return rc;
}

static int sq_events(struct lt_store *s, int64_t request_id, int64_t after, int limit, lt_request_event_cb cb,
		     void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, request_id > 0 ? SQL_EVENTS_ONE : SQL_EVENTS_ALL, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, request_id);
	sqlite3_bind_int64(q, 2, after);
	sqlite3_bind_int(q, 3, limit > 0 ? limit : -1);
	struct each e = {.event = cb, .ctx = ctx};
	return lt__sq_rows(st, cn, q, each_event, &e, err, "request events");
}

static int sq_file_add(struct lt_store *s, struct lt_request_file *f, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_FILE_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, f->request_id);
	lt__sq_bind_text(q, 2, f->name);
	lt__sq_bind_text(q, 3, f->content_type);
	sqlite3_bind_int64(q, 4, f->size);
	lt__sq_bind_text(q, 5, f->sha256);
	lt__sq_bind_text(q, 6, f->role);
	lt__sq_bind_text(q, 7, f->added);
	lt__sq_bind_text(q, 8, f->who);
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_ROW) {
		f->n = sqlite3_column_int(q, 0);
		if (sqlite3_step(q) != SQLITE_DONE)
			ret = lt__sq_fail(cn, err, "recording a request's file");
	} else {
		ret = lt__sq_fail(cn, err, "recording a request's file");
	}
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int each_file(void *vctx, sqlite3_stmt *q)
{
	struct each *e = vctx;
	struct lt_request_file f;
	read_file(&f, q);
	return e->file(e->ctx, &f);
}

static int sq_files(struct lt_store *s, int64_t request_id, lt_request_file_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_FILES, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, request_id);
	struct each e = {.file = cb, .ctx = ctx};
	return lt__sq_rows(st, cn, q, each_file, &e, err, "request files");
}

static int sq_file_get(struct lt_store *s, int64_t request_id, int n, struct lt_request_file *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_FILE_GET, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, request_id);
	sqlite3_bind_int(q, 2, n);
	int ret = lt__sq_one(st, cn, q, read_file, out, err, "a request's file");
	return ret == LT_ENOTFOUND
		       ? lt_err_set(err, LT_ENOTFOUND, "request %lld has no file %d", (long long)request_id, n)
		       : ret;
}

static int sq_file_role(struct lt_store *s, int64_t request_id, int n, const char *role, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_FILE_ROLE, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, request_id);
	sqlite3_bind_int(q, 2, n);
	lt__sq_bind_text(q, 3, role);
	int ret = LT_OK;
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "marking a request's file");
	else if (sqlite3_changes(cn->db) == 0)
		ret = lt_err_set(err, LT_ENOTFOUND, "request %lld has no file %d", (long long)request_id, n);
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

#define ORG_COLS "code, parent, kind, name, address, email, phone, website, source, status, added, updated"
static const char SQL_ORG_ADD[] = "INSERT INTO organizations (code, parent, kind, name, name_fold, address, email, "
				  "phone, website, source, status, added, updated) "
				  "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)";
static const char SQL_ORG_GET[] = "SELECT " ORG_COLS " FROM organizations WHERE code = ?1";
/* instr, not LIKE: the folded words are matched as they are, % and _ included. */
static const char SQL_ORGS[] = "SELECT " ORG_COLS " FROM organizations WHERE (?1 = '' OR substr(code, 1, length(?1)) "
			       "= ?1) AND (?2 = '' OR instr(name_fold, ?2) > 0) ORDER BY code LIMIT ?3";

static int read_org(void *vo, sqlite3_stmt *q)
{
	struct lt_org *o = vo;
	memset(o, 0, sizeof *o);
	lt__sq_col_copy(q, 0, o->code, sizeof o->code);
	lt__sq_col_copy(q, 1, o->parent, sizeof o->parent);
	lt__sq_col_copy(q, 2, o->kind, sizeof o->kind);
	lt__sq_col_copy(q, 3, o->name, sizeof o->name);
	lt__sq_col_copy(q, 4, o->address, sizeof o->address);
	lt__sq_col_copy(q, 5, o->email, sizeof o->email);
	lt__sq_col_copy(q, 6, o->phone, sizeof o->phone);
	lt__sq_col_copy(q, 7, o->website, sizeof o->website);
	lt__sq_col_copy(q, 8, o->source, sizeof o->source);
	lt__sq_col_copy(q, 9, o->status, sizeof o->status);
	lt__sq_col_copy(q, 10, o->added, sizeof o->added);
	lt__sq_col_copy(q, 11, o->updated, sizeof o->updated);
	return 0;
}

static int sq_org_add(struct lt_store *s, const struct lt_org *o, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_ORG_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	char fold[LT_NAME_MAX * 2];
	const char *v[] = {o->code,    o->parent, o->kind,   o->name,    lt_text_fold(o->name, fold, sizeof fold),
			   o->address, o->email,  o->phone,  o->website, o->source,
			   o->status,  o->added,  o->updated};
	for (int i = 0; i < 13; i++)
		lt__sq_bind_text(q, i + 1, v[i]);
	int ret = LT_OK, rc = sqlite3_step(q);
	if (rc == SQLITE_CONSTRAINT)
		ret = lt_err_set(err, LT_ECONFLICT, "organisation %s is held already", o->code);
	else if (rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "adding an organisation");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_org_get(struct lt_store *s, const char *code, struct lt_org *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_ORG_GET, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	return lt__sq_one(st, cn, q, read_org, out, err, "an organisation");
}

struct org_each {
	lt_org_cb cb;
	void *ctx;
};

static int each_org(void *vctx, sqlite3_stmt *q)
{
	struct org_each *e = vctx;
	struct lt_org o;
	read_org(&o, q);
	return e->cb(e->ctx, &o);
}

static int sq_orgs(struct lt_store *s, const char *code_prefix, const char *name_fold, int limit, lt_org_cb cb,
		   void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_ORGS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code_prefix);
	lt__sq_bind_text(q, 2, name_fold);
	sqlite3_bind_int(q, 3, limit > 0 ? limit : -1);
	struct org_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, each_org, &e, err, "organisations");
}

const struct lt_store_request_ops lt__sq_request_ops = {
	.put = sq_put,
	.get = sq_get,
	.list = sq_list,
	.event_add = sq_event_add,
	.events = sq_events,
	.file_add = sq_file_add,
	.files = sq_files,
	.file_get = sq_file_get,
	.file_role = sq_file_role,
	.org_add = sq_org_add,
	.org_get = sq_org_get,
	.orgs = sq_orgs,
};
