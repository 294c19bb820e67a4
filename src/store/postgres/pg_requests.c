/* Change requests and organisations on PostgreSQL: the requests, their
 * append-only history, the metadata of their files. The same rows and
 * answers as sqlite_requests.c. */
#include <stdlib.h>
#include <string.h>

#include "../request_ops.h"
#include "lienthong/text.h"
#include "pg_store.h"

#define REQUEST_COLS                                                                                                   \
	"id, kind, unit, state, reorganized, decision_date, applied, filer_token, filer_system, filed, updated, doc"
#define EVENT_COLS "seq, request_id, kind, state, unit, who, at, data"
#define FILE_COLS "request_id, n, name, content_type, size, sha256, role, added, who"
#define ORG_COLS "code, parent, kind, name, address, email, phone, website, source, status, added, updated"

static const char SQL_INSERT[] = "INSERT INTO requests (kind, unit, sort_key, state, reorganized, decision_date, "
				 "applied, filer_token, filer_system, filed, updated, doc) "
				 "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id";
static const char SQL_UPDATE[] = "UPDATE requests SET kind = $1, unit = $2, sort_key = $3, state = $4, "
				 "reorganized = $5, decision_date = $6, applied = $7, filer_token = $8, "
				 "filer_system = $9, filed = $10, updated = $11, doc = $12 WHERE id = $13";
static const char SQL_GET[] = "SELECT " REQUEST_COLS " FROM requests WHERE id = $1";
/* $2 state or '' for any; $3 subtree LIKE or '' for any, $4 its root's own
 * reversed code; $5 open states only. */
static const char SQL_LIST[] = "SELECT " REQUEST_COLS " FROM requests WHERE id > $1 AND ($2 = '' OR state = $2) "
			       "AND ($3::text = '' OR sort_key LIKE $3 OR sort_key = $4) AND (NOT $5::boolean OR "
			       "state IN ('submitted', 'in_review', 'returned')) ORDER BY id LIMIT $6";
/* Numbered by the counter row, as the registry's events: gap-free, in
 * commit order. */
static const char SQL_EVENT_ADD[] =
	"WITH n AS (UPDATE request_feed_counter SET seq = seq + 1 WHERE one = 1 RETURNING seq) "
	"INSERT INTO request_events (seq, request_id, kind, state, unit, who, at, data) "
	"SELECT n.seq, $1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text FROM n RETURNING seq";
static const char SQL_EVENTS_ONE[] = "SELECT " EVENT_COLS " FROM request_events WHERE request_id = $1 AND seq > $2 "
				     "ORDER BY seq LIMIT $3";
static const char SQL_EVENTS_ALL[] = "SELECT " EVENT_COLS " FROM request_events WHERE seq > $2 AND $1::bigint IS NOT "
				     "NULL ORDER BY seq LIMIT $3";
/* The request's row is locked first, so two files added at once get two
 * numbers. */
static const char SQL_FILE_ADD[] =
	"WITH r AS (SELECT id FROM requests WHERE id = $1 FOR UPDATE) "
	"INSERT INTO request_files (request_id, n, name, content_type, size, sha256, role, added, who) "
	"SELECT r.id, coalesce((SELECT max(n) FROM request_files WHERE request_id = r.id), 0) + 1, $2::text, $3::text, "
	"$4::bigint, $5::text, $6::text, $7::text, $8::text FROM r RETURNING n";
static const char SQL_FILES[] = "SELECT " FILE_COLS " FROM request_files WHERE request_id = $1 ORDER BY n";
static const char SQL_FILE_GET[] = "SELECT " FILE_COLS " FROM request_files WHERE request_id = $1 AND n = $2";
static const char SQL_FILE_ROLE[] = "UPDATE request_files SET role = $3 WHERE request_id = $1 AND n = $2";
static const char SQL_ORG_ADD[] = "INSERT INTO organizations (code, parent, kind, name, name_fold, address, email, "
				  "phone, website, source, status, added, updated) "
				  "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)";
static const char SQL_ORG_GET[] = "SELECT " ORG_COLS " FROM organizations WHERE code = $1";
/* strpos, not LIKE: the folded words are matched as they are, % and _
 * included (SQLite's instr). */
static const char SQL_ORGS[] = "SELECT " ORG_COLS " FROM organizations WHERE ($1::text = '' OR "
			       "left(code, length($1::text)) = $1::text) AND ($2::text = '' OR "
			       "strpos(name_fold, $2::text) > 0) ORDER BY code LIMIT $3";

static int read_request(const PGresult *q, int i, struct lt_request_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = lt__pg_i64(q, i, 0);
	lt__pg_copy(q, i, 1, r->kind, sizeof r->kind);
	lt__pg_copy(q, i, 2, r->unit, sizeof r->unit);
	lt__pg_copy(q, i, 3, r->state, sizeof r->state);
	lt__pg_copy(q, i, 4, r->reorganized, sizeof r->reorganized);
	lt__pg_copy(q, i, 5, r->decision_date, sizeof r->decision_date);
	lt__pg_copy(q, i, 6, r->applied, sizeof r->applied);
	r->filer_token = lt__pg_i64(q, i, 7);
	r->filer_system = lt__pg_i64(q, i, 8);
	lt__pg_copy(q, i, 9, r->filed, sizeof r->filed);
	lt__pg_copy(q, i, 10, r->updated, sizeof r->updated);
	r->doc = strdup(PQgetvalue(q, i, 11));
	return r->doc ? LT_OK : LT_ENOMEM;
}

static int read_event(const PGresult *q, int i, struct lt_request_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->seq = lt__pg_i64(q, i, 0);
	ev->request_id = lt__pg_i64(q, i, 1);
	lt__pg_copy(q, i, 2, ev->kind, sizeof ev->kind);
	lt__pg_copy(q, i, 3, ev->state, sizeof ev->state);
	lt__pg_copy(q, i, 4, ev->unit, sizeof ev->unit);
	lt__pg_copy(q, i, 5, ev->who, sizeof ev->who);
	lt__pg_copy(q, i, 6, ev->at, sizeof ev->at);
	ev->data = strdup(PQgetvalue(q, i, 7));
	return ev->data ? LT_OK : LT_ENOMEM;
}

static void read_file(const PGresult *q, int i, struct lt_request_file *f)
{
	memset(f, 0, sizeof *f);
	f->request_id = lt__pg_i64(q, i, 0);
	f->n = (int)lt__pg_i64(q, i, 1);
	lt__pg_copy(q, i, 2, f->name, sizeof f->name);
	lt__pg_copy(q, i, 3, f->content_type, sizeof f->content_type);
	f->size = lt__pg_i64(q, i, 4);
	lt__pg_copy(q, i, 5, f->sha256, sizeof f->sha256);
	lt__pg_copy(q, i, 6, f->role, sizeof f->role);
	lt__pg_copy(q, i, 7, f->added, sizeof f->added);
	lt__pg_copy(q, i, 8, f->who, sizeof f->who);
}

static void read_org(const PGresult *q, int i, struct lt_org *o)
{
	memset(o, 0, sizeof *o);
	lt__pg_copy(q, i, 0, o->code, sizeof o->code);
	lt__pg_copy(q, i, 1, o->parent, sizeof o->parent);
	lt__pg_copy(q, i, 2, o->kind, sizeof o->kind);
	lt__pg_copy(q, i, 3, o->name, sizeof o->name);
	lt__pg_copy(q, i, 4, o->address, sizeof o->address);
	lt__pg_copy(q, i, 5, o->email, sizeof o->email);
	lt__pg_copy(q, i, 6, o->phone, sizeof o->phone);
	lt__pg_copy(q, i, 7, o->website, sizeof o->website);
	lt__pg_copy(q, i, 8, o->source, sizeof o->source);
	lt__pg_copy(q, i, 9, o->status, sizeof o->status);
	lt__pg_copy(q, i, 10, o->added, sizeof o->added);
	lt__pg_copy(q, i, 11, o->updated, sizeof o->updated);
}

static int pg_put(struct lt_store *s, struct lt_request_row *r, struct lt_err *err)
{
	char rev[LT_CODE_BUFSZ], tok[24], sys[24], id[24];
	const char *v[] = {r->kind,
			   r->unit,
			   lt_code_rev(r->unit, rev),
			   r->state,
			   r->reorganized,
			   r->decision_date,
			   r->applied,
			   lt__pg_itoa(tok, r->filer_token),
			   lt__pg_itoa(sys, r->filer_system),
			   r->filed,
			   r->updated,
			   r->doc ? r->doc : "{}",
			   lt__pg_itoa(id, r->id)};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), r->id ? SQL_UPDATE : SQL_INSERT, r->id ? 13 : 12, v, &q, err,
			    "writing a request");
	if (rc == LT_OK && !r->id)
		r->id = lt__pg_i64(q, 0, 0);
	else if (rc == LT_OK && lt__pg_changed(q) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "no request %lld", (long long)r->id);
	PQclear(q);
	return rc;
}

static int pg_get(struct lt_store *s, int64_t id, struct lt_request_row *out, struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, id)};
	PGresult *q = NULL;
	memset(out, 0, sizeof *out);
	int rc = lt__pg_run(lt__pg(s), SQL_GET, 1, v, &q, err, "reading a request");
	if (rc == LT_OK)
		rc = PQntuples(q) == 0                  ? LT_ENOTFOUND
		     : read_request(q, 0, out) == LT_OK ? LT_OK
							: lt_err_set(err, LT_ENOMEM, "out of memory");
	PQclear(q);
	return rc;
}

static int pg_list(struct lt_store *s, const struct lt_request_query *rq, lt_request_cb cb, void *ctx,
		   struct lt_err *err)
{
	char like[2 * LT_CODE_BUFSZ + 4] = "", rev[LT_CODE_BUFSZ] = "", after[24], limit[24];
	if (rq->under && rq->under[0]) {
		char p[LT_CODE_BUFSZ + 2];
		lt__code_rev_prefix(rq->under, p);
		size_t o = 0;
		for (const char *c = p; *c && o + 3 < sizeof like; c++) {
			if (*c == '%' || *c == '_' || *c == '\\')
				like[o++] = '\\';
			like[o++] = *c;
		}
		like[o++] = '%';
		like[o] = '\0';
		lt_code_rev(rq->under, rev);
	}
	const char *v[] = {lt__pg_itoa(after, rq->after),
			   rq->state ? rq->state : "",
			   like,
			   rev,
			   rq->open_only ? "true" : "false",
			   rq->limit > 0 ? lt__pg_itoa(limit, rq->limit) : NULL};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_LIST, 6, v, &q, err, "reading requests");
	for (int i = 0; rc == LT_OK && i < PQntuples(q); i++) {
		struct lt_request_row r;
		rc = read_request(q, i, &r) == LT_OK ? cb(ctx, &r) : lt_err_set(err, LT_ENOMEM, "out of memory");
		lt_request_row_clear(&r);
	}
	PQclear(q);
	return rc;
}

static int pg_event_add(struct lt_store *s, struct lt_request_event *ev, struct lt_err *err)
{
	char id[24];
	const char *v[] = {lt__pg_itoa(id, ev->request_id), ev->kind, ev->state, ev->unit, ev->who, ev->at,
			   ev->data ? ev->data : "{}"};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_EVENT_ADD, 7, v, &q, err, "appending to a request's history");
	if (rc == LT_OK)
		ev->seq = lt__pg_i64(q, 0, 0);
	PQclear(q);
	return rc;
}

static int pg_events(struct lt_store *s, int64_t request_id, int64_t after, int limit, lt_request_event_cb cb,
		     void *ctx, struct lt_err *err)
{
	char id[24], a[24], l[24];
	const char *v[] = {lt__pg_itoa(id, request_id), lt__pg_itoa(a, after),
			   limit > 0 ? lt__pg_itoa(l, limit) : NULL};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), request_id > 0 ? SQL_EVENTS_ONE : SQL_EVENTS_ALL, 3, v, &q, err,
			    "reading request events");
	for (int i = 0; rc == LT_OK && i < PQntuples(q); i++) {
		struct lt_request_event ev;
		rc = read_event(q, i, &ev) == LT_OK ? cb(ctx, &ev) : lt_err_set(err, LT_ENOMEM, "out of memory");
		lt_request_event_clear(&ev);
	}
	PQclear(q);
	return rc;
}

static int pg_file_add(struct lt_store *s, struct lt_request_file *f, struct lt_err *err)
{
	char id[24], size[24];
	const char *v[] = {lt__pg_itoa(id, f->request_id),
			   f->name,
			   f->content_type,
			   lt__pg_itoa(size, f->size),
			   f->sha256,
			   f->role,
			   f->added,
			   f->who};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_FILE_ADD, 8, v, &q, err, "recording a request's file");
	if (rc == LT_OK && PQntuples(q) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "no request %lld", (long long)f->request_id);
	else if (rc == LT_OK)
		f->n = (int)lt__pg_i64(q, 0, 0);
	PQclear(q);
	return rc;
}

static int pg_files(struct lt_store *s, int64_t request_id, lt_request_file_cb cb, void *ctx, struct lt_err *err)
{
	char id[24];
	const char *v[] = {lt__pg_itoa(id, request_id)};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_FILES, 1, v, &q, err, "reading request files");
	for (int i = 0; rc == LT_OK && i < PQntuples(q); i++) {
		struct lt_request_file f;
		read_file(q, i, &f);
		rc = cb(ctx, &f);
	}
	PQclear(q);
	return rc;
}

static int pg_file_get(struct lt_store *s, int64_t request_id, int n, struct lt_request_file *out, struct lt_err *err)
{
	char id[24], nb[24];
	const char *v[] = {lt__pg_itoa(id, request_id), lt__pg_itoa(nb, n)};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_FILE_GET, 2, v, &q, err, "reading a request's file");
	if (rc == LT_OK && PQntuples(q) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "request %lld has no file %d", (long long)request_id, n);
	else if (rc == LT_OK)
		read_file(q, 0, out);
	PQclear(q);
	return rc;
}

static int pg_file_role(struct lt_store *s, int64_t request_id, int n, const char *role, struct lt_err *err)
{
	char id[24], nb[24];
	const char *v[] = {lt__pg_itoa(id, request_id), lt__pg_itoa(nb, n), role};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_FILE_ROLE, 3, v, &q, err, "marking a request's file");
	if (rc == LT_OK && lt__pg_changed(q) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "request %lld has no file %d", (long long)request_id, n);
	PQclear(q);
	return rc;
}

static int pg_org_add(struct lt_store *s, const struct lt_org *o, struct lt_err *err)
{
	char fold[LT_NAME_MAX * 2];
	const char *v[] = {o->code,    o->parent, o->kind,   o->name,    lt_text_fold(o->name, fold, sizeof fold),
			   o->address, o->email,  o->phone,  o->website, o->source,
			   o->status,  o->added,  o->updated};
	int rc = lt__pg_run(lt__pg(s), SQL_ORG_ADD, 13, v, NULL, err, "adding an organisation");
	return rc == LT_ECONFLICT ? lt_err_set(err, LT_ECONFLICT, "organisation %s is held already", o->code) : rc;
}

static int pg_org_get(struct lt_store *s, const char *code, struct lt_org *out, struct lt_err *err)
{
	const char *v[] = {code};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_ORG_GET, 1, v, &q, err, "reading an organisation");
	if (rc == LT_OK && PQntuples(q) == 0)
		rc = LT_ENOTFOUND;
	else if (rc == LT_OK)
		read_org(q, 0, out);
	PQclear(q);
	return rc;
}

static int pg_orgs(struct lt_store *s, const char *code_prefix, const char *name_fold, int limit, lt_org_cb cb,
		   void *ctx, struct lt_err *err)
{
	char l[24];
	const char *v[] = {code_prefix ? code_prefix : "", name_fold ? name_fold : "",
			   limit > 0 ? lt__pg_itoa(l, limit) : NULL};
	PGresult *q = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_ORGS, 3, v, &q, err, "reading organisations");
	for (int i = 0; rc == LT_OK && i < PQntuples(q); i++) {
		struct lt_org o;
		read_org(q, i, &o);
		rc = cb(ctx, &o);
	}
	PQclear(q);
	return rc;
}

const struct lt_store_request_ops lt__pg_request_ops = {
	.put = pg_put,
	.get = pg_get,
	.list = pg_list,
	.event_add = pg_event_add,
	.events = pg_events,
	.file_add = pg_file_add,
	.files = pg_files,
	.file_get = pg_file_get,
	.file_role = pg_file_role,
	.org_add = pg_org_add,
	.org_get = pg_org_get,
	.orgs = pg_orgs,
};
