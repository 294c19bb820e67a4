/* The registry's tables in SQLite: units and their search index, lineage,
 * changes and the append-only event log. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

#define UNIT_COLS                                                                                            \
	"code, parent, level, name, address, email, phone, fax, website, status, valid_from, valid_to, "     \
	"decision_number, decision_date, decision_issuer, reorganized, recorded, version"
#define UNIT_SEL UNIT_COLS ", rowid"
#define EVENT_COLS "seq, change_id, kind, code, parent, at, effective, data"

/* Status filter as SQL: ?F is 0 active, 1 closed, 2 all. */
#define STATUS_FILTER "(?3 = 2 OR status = ?3)"

static const char SQL_UNIT_GET[] = "SELECT " UNIT_SEL " FROM units WHERE code = ?1";
static const char SQL_UNIT_PUT[] = "INSERT INTO units (" UNIT_COLS ", sort_key, name_fold) VALUES "
		       "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20) "
		       "ON CONFLICT(code) DO UPDATE SET parent=?2, level=?3, name=?4, address=?5, email=?6, "
		       "phone=?7, fax=?8, website=?9, status=?10, valid_from=?11, valid_to=?12, "
		       "decision_number=?13, decision_date=?14, decision_issuer=?15, reorganized=?16, "
		       "recorded=?17, version=?18, sort_key=?19, name_fold=?20";
static const char SQL_NUMBERS[] = "SELECT code FROM units WHERE parent = ?1 UNION SELECT code FROM events WHERE parent = ?1";
static const char SQL_LINEAGE_ADD[] = "INSERT OR IGNORE INTO lineage (pred, succ, change_id) VALUES (?1, ?2, ?3)";
static const char SQL_SUCCESSORS[] = "SELECT succ FROM lineage WHERE pred = ?1 ORDER BY succ";
static const char SQL_PREDECESSORS[] = "SELECT pred FROM lineage WHERE succ = ?1 ORDER BY pred";
static const char SQL_CHANGE_ADD[] = "INSERT INTO changes (kind, effective, reorganized, at, actor, decision_number, "
			 "decision_date, decision_issuer, summary, recorded) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)";
static const char SQL_CHANGES[] = "SELECT id, kind, effective, reorganized, at, actor, decision_number, decision_date, "
		      "decision_issuer, summary, recorded FROM changes ORDER BY id";
static const char SQL_CHILDREN[] = "SELECT " UNIT_SEL " FROM units WHERE parent = ?1 AND ?2 = ?2 AND " STATUS_FILTER
				   " ORDER BY sort_key";
static const char SQL_SUBTREE[] = "SELECT " UNIT_SEL " FROM units WHERE sort_key GLOB ?1 AND code <> ?2 AND "
				  STATUS_FILTER " ORDER BY sort_key";
static const char SQL_EVENT_ADD[] = "INSERT INTO events (change_id, kind, code, parent, sort_key, at, effective, data) "
			"VALUES (?1,?2,?3,?4,?5,?6,?7,?8)";
static const char SQL_EVENTS_FOR[] = "SELECT " EVENT_COLS " FROM events WHERE code = ?1 ORDER BY seq";
static const char SQL_EVENTS_AFTER[] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2";
static const char SQL_LAST_SEQ[] = "SELECT coalesce(max(seq), 0) FROM events";
static const char SQL_EVENT_ASOF[] = "SELECT " EVENT_COLS " FROM events WHERE code = ?1 AND effective <= ?2 "
			 "ORDER BY effective DESC, seq DESC LIMIT 1";
static const char SQL_EVENTS_ASOF_CHILDREN[] = "SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
				   "ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE parent = ?1 AND "
				   "effective <= ?2) WHERE rn = 1 ORDER BY sort_key";
static const char SQL_EVENTS_ASOF_SUBTREE[] = "SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
				  "ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE sort_key GLOB ?1 AND "
				  "code <> ?3 AND effective <= ?2) WHERE rn = 1 ORDER BY sort_key";
static const char SQL_EVENTS_ASOF_ALL[] = "SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
			      "ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE effective <= ?2 "
			      "AND ?1 = ?1) WHERE rn = 1 ORDER BY sort_key";

static void read_unit(sqlite3_stmt *s, struct lt_unit *u)
{
	memset(u, 0, sizeof *u);
	lt__sq_col_copy(s, 0, u->code, sizeof u->code);
	lt__sq_col_copy(s, 1, u->parent, sizeof u->parent);
	u->level = sqlite3_column_int(s, 2);
	lt__sq_col_copy(s, 3, u->name, sizeof u->name);
	lt__sq_col_copy(s, 4, u->contact.address, sizeof u->contact.address);
	lt__sq_col_copy(s, 5, u->contact.email, sizeof u->contact.email);
	lt__sq_col_copy(s, 6, u->contact.phone, sizeof u->contact.phone);
	lt__sq_col_copy(s, 7, u->contact.fax, sizeof u->contact.fax);
	lt__sq_col_copy(s, 8, u->contact.website, sizeof u->contact.website);
	u->status = sqlite3_column_int(s, 9) ? LT_UNIT_CLOSED : LT_UNIT_ACTIVE;
	lt__sq_col_copy(s, 10, u->valid_from, sizeof u->valid_from);
	lt__sq_col_copy(s, 11, u->valid_to, sizeof u->valid_to);
	lt__sq_col_copy(s, 12, u->decision.number, sizeof u->decision.number);
	lt__sq_col_copy(s, 13, u->decision.date, sizeof u->decision.date);
	lt__sq_col_copy(s, 14, u->decision.issuer, sizeof u->decision.issuer);
	lt__sq_col_copy(s, 15, u->reorganized, sizeof u->reorganized);
	lt__sq_col_copy(s, 16, u->recorded, sizeof u->recorded);
	u->version = sqlite3_column_int64(s, 17);
	u->rowid = sqlite3_column_int64(s, 18);
}

static int read_event(sqlite3_stmt *s, struct lt_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->seq = sqlite3_column_int64(s, 0);
	ev->change_id = sqlite3_column_int64(s, 1);
	lt__sq_col_copy(s, 2, ev->kind, sizeof ev->kind);
	lt__sq_col_copy(s, 3, ev->code, sizeof ev->code);
	lt__sq_col_copy(s, 4, ev->parent, sizeof ev->parent);
	lt__sq_col_copy(s, 5, ev->at, sizeof ev->at);
	lt__sq_col_copy(s, 6, ev->effective, sizeof ev->effective);
	const unsigned char *d = sqlite3_column_text(s, 7);
	ev->data = strdup(d ? (const char *)d : "{}");
	return ev->data ? LT_OK : LT_ENOMEM;
}

/* Runs a unit query and calls cb per row; a non-zero cb result stops early
 * and is returned. */
static int each_unit(struct lt__sq_conn *cn, sqlite3_stmt *s, lt_unit_cb cb, void *ctx, struct lt_err *err)
{
	struct lt_unit *u = malloc(sizeof *u);
	if (!u)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_unit(s, u);
		if ((ret = cb(ctx, u)) != 0)
			break;
	}
	free(u);
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading units");
	sqlite3_reset(s);
	return ret;
}

static int each_event(struct lt__sq_conn *cn, sqlite3_stmt *s, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lt_event ev;
		if (read_event(s, &ev) != LT_OK) {
			ret = lt_err_set(err, LT_ENOMEM, "out of memory");
			break;
		}
		ret = cb(ctx, &ev);
		lt_event_clear(&ev);
		if (ret)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading events");
	sqlite3_reset(s);
	return ret;
}

static int sq_unit_get(struct lt_store *s, const char *code, struct lt_unit *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_UNIT_GET, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	int rc = sqlite3_step(q), ret = LT_OK;
	if (rc == SQLITE_ROW)
		read_unit(q, out);
	else if (rc == SQLITE_DONE)
		ret = lt_err_set(err, LT_ENOTFOUND, "no unit with code %s in the registry", code);
	else
		ret = lt__sq_fail(cn, err, "reading a unit");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_unit_put(struct lt_store *s, const struct lt_unit *u, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	char rev[LT_CODE_BUFSZ], fold[LT_NAME_MAX * 2];
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_UNIT_PUT, &cn, err);
	if (!q)
		return LT_EIO;
	const char *vals[] = {u->code, u->parent};
	for (int i = 0; i < 2; i++)
		lt__sq_bind_text(q, i + 1, vals[i]);
	sqlite3_bind_int(q, 3, u->level);
	const char *texts[] = {u->name, u->contact.address, u->contact.email, u->contact.phone,
			       u->contact.fax, u->contact.website};
	for (int i = 0; i < 6; i++)
		lt__sq_bind_text(q, 4 + i, texts[i]);
	sqlite3_bind_int(q, 10, u->status == LT_UNIT_CLOSED);
	const char *rest[] = {u->valid_from, u->valid_to, u->decision.number, u->decision.date,
			      u->decision.issuer, u->reorganized, u->recorded};
	for (int i = 0; i < 7; i++)
		lt__sq_bind_text(q, 11 + i, rest[i]);
	sqlite3_bind_int64(q, 18, u->version);
	lt__sq_bind_text(q, 19, lt_code_rev(u->code, rev));
	lt__sq_bind_text(q, 20, lt_text_fold(u->name, fold, sizeof fold));
	int ret = sqlite3_step(q) == SQLITE_DONE ? LT_OK : lt__sq_fail(cn, err, "writing a unit");
	sqlite3_reset(q);
	if (ret == LT_OK)
		lt__sq_registry_changed(st);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_children(struct lt_store *s, const char *parent, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		       struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_CHILDREN, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, parent);
	sqlite3_bind_int(q, 2, 0);
	sqlite3_bind_int(q, 3, (int)f);
	int ret = each_unit(cn, q, cb, ctx, err);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_subtree(struct lt_store *s, const char *root, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		      struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	char prefix[LT_CODE_BUFSZ + 2];
	lt__code_rev_prefix(root, prefix);
	strcat(prefix, "*");
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_SUBTREE, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, prefix);
	lt__sq_bind_text(q, 2, root);
	sqlite3_bind_int(q, 3, (int)f);
	int ret = each_unit(cn, q, cb, ctx, err);
	lt__sq_release(st, cn);
	return ret;
}

/* Turns folded words into an FTS5 query of quoted word prefixes, so user
 * text can never inject FTS syntax. */
static char *fts_query(const char *fold)
{
	size_t n = strlen(fold);
	char *q = malloc(n * 2 + 8), *o = q;
	if (!q)
		return NULL;
	const char *p = fold;
	while (*p) {
		while (*p == ' ' || *p == '.')
			p++;
		if (!*p)
			break;
		*o++ = '"';
		while (*p && *p != ' ' && *p != '.') {
			if (*p == '"')
				*o++ = '"';
			*o++ = *p++;
		}
		*o++ = '"';
		*o++ = '*';
		*o++ = ' ';
	}
	*o = '\0';
	return q;
}

static int sq_search(struct lt_store *s, const struct lt_search_query *qy, lt_unit_cb cb, void *ctx,
		     struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	char sql[1024];
	char *fts = NULL;
	int n = snprintf(sql, sizeof sql, "SELECT " UNIT_SEL " FROM units WHERE 1");
	if (qy->text_fold && *qy->text_fold) {
		fts = fts_query(qy->text_fold);
		if (!fts)
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		if (*fts)
			n += snprintf(sql + n, sizeof sql - (size_t)n,
				      " AND rowid IN (SELECT rowid FROM units_fts WHERE units_fts MATCH ?1)");
	}
	if (qy->code_rev)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND sort_key GLOB ?2");
	if (qy->parent)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND parent = ?3");
	if (qy->under)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND sort_key GLOB ?4 AND code <> ?9");
	if (qy->level)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND level = ?5");
	if (qy->status != LT_FILTER_ALL)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND status = ?6");
	if (qy->after)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND sort_key > ?7");
	if (qy->by_rowid && qy->after_rowid)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND rowid > ?10");
	/* Name matches come in the index's own order: sorting every match into
	 * tree order first would read them all before the first page. */
	snprintf(sql + n, sizeof sql - (size_t)n, qy->by_rowid ? " ORDER BY rowid LIMIT ?8" : " ORDER BY sort_key LIMIT ?8");

	struct lt__sq_conn *cn = lt__sq_acquire(st, false, err);
	if (!cn) {
		free(fts);
		return LT_EIO;
	}
	sqlite3_stmt *q;
	/* Prepared per shape: the shapes are few and preparing is cheap next to
	 * a full-text match. */
	if (sqlite3_prepare_v2(cn->db, sql, -1, &q, NULL) != SQLITE_OK) {
		int rc = lt__sq_fail(cn, err, "preparing a search");
		lt__sq_release(st, cn);
		free(fts);
		return rc;
	}
	char glob[LT_CODE_BUFSZ + 4], under[LT_CODE_BUFSZ + 4];
	if (fts && *fts)
		lt__sq_bind_text(q, 1, fts);
	if (qy->code_rev) {
		snprintf(glob, sizeof glob, "%s*", qy->code_rev);
		lt__sq_bind_text(q, 2, glob);
	}
	if (qy->parent)
		lt__sq_bind_text(q, 3, qy->parent);
	if (qy->under) {
		lt__code_rev_prefix(qy->under, under);
		strcat(under, "*");
		lt__sq_bind_text(q, 4, under);
		lt__sq_bind_text(q, 9, qy->under);
	}
	if (qy->level)
		sqlite3_bind_int(q, 5, qy->level);
	if (qy->status != LT_FILTER_ALL)
		sqlite3_bind_int(q, 6, qy->status == LT_FILTER_CLOSED);
	if (qy->after)
		lt__sq_bind_text(q, 7, qy->after);
	sqlite3_bind_int(q, 8, qy->limit > 0 ? qy->limit : 50);
	if (qy->by_rowid && qy->after_rowid)
		sqlite3_bind_int64(q, 10, qy->after_rowid);
	int ret = each_unit(cn, q, cb, ctx, err);
	sqlite3_finalize(q);
	lt__sq_release(st, cn);
	free(fts);
	return ret;
}

static int sq_numbers_used(struct lt_store *s, const char *parent, unsigned **out, size_t *count,
			   struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	size_t cap = 16, n = 0;
	unsigned *v = malloc(cap * sizeof *v);
	if (!v)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_NUMBERS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, parent);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_code c;
		const char *code = (const char *)sqlite3_column_text(q, 0);
		if (!code || lt_code_parse(&c, code, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) != LT_OK)
			continue;
		if (n == cap) {
			unsigned *nv = realloc(v, (cap *= 2) * sizeof *v);
			if (!nv) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = lt_code_number(&c);
	}
	sqlite3_reset(q);
	int ret = rc == SQLITE_DONE ? LT_OK : lt__sq_fail(cn, err, "reading used numbers");
	lt__sq_release(st, cn);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	*count = n;
	return LT_OK;
}

static int sq_lineage_add(struct lt_store *s, const char *pred, const char *succ, int64_t change_id,
			  struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_LINEAGE_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, pred);
	lt__sq_bind_text(q, 2, succ);
	sqlite3_bind_int64(q, 3, change_id);
	int ret = sqlite3_step(q) == SQLITE_DONE ? LT_OK : lt__sq_fail(cn, err, "writing lineage");
	sqlite3_reset(q);
	if (ret == LT_OK)
		lt__sq_registry_changed(st);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_lineage(struct lt_store *s, const char *code, bool successors, struct lt_codelist *out,
		      struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, successors ? SQL_SUCCESSORS : SQL_PREDECESSORS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (lt_codelist_add(out, (const char *)sqlite3_column_text(q, 0))) {
			ret = lt_err_set(err, LT_ENOMEM, "out of memory");
			break;
		}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading lineage");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_change_add(struct lt_store *s, struct lt_change *c, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_CHANGE_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	const char *v[] = {c->kind, c->effective, c->reorganized, c->at, c->actor, c->decision.number,
			   c->decision.date, c->decision.issuer, c->summary ? c->summary : "{}", c->recorded};
	for (int i = 0; i < 10; i++)
		lt__sq_bind_text(q, i + 1, v[i]);
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_DONE)
		c->id = sqlite3_last_insert_rowid(cn->db);
	else
		ret = lt__sq_fail(cn, err, "recording a change");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_changes(struct lt_store *s, lt_change_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_CHANGES, &cn, err);
	if (!q)
		return LT_EIO;
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_change c = {0};
		c.id = sqlite3_column_int64(q, 0);
		lt__sq_col_copy(q, 1, c.kind, sizeof c.kind);
		lt__sq_col_copy(q, 2, c.effective, sizeof c.effective);
		lt__sq_col_copy(q, 3, c.reorganized, sizeof c.reorganized);
		lt__sq_col_copy(q, 4, c.at, sizeof c.at);
		lt__sq_col_copy(q, 5, c.actor, sizeof c.actor);
		lt__sq_col_copy(q, 6, c.decision.number, sizeof c.decision.number);
		lt__sq_col_copy(q, 7, c.decision.date, sizeof c.decision.date);
		lt__sq_col_copy(q, 8, c.decision.issuer, sizeof c.decision.issuer);
		c.summary = (const char *)sqlite3_column_text(q, 9);
		lt__sq_col_copy(q, 10, c.recorded, sizeof c.recorded);
		if ((ret = cb(ctx, &c)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading changes");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_event_append(struct lt_store *s, struct lt_event *ev, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	char rev[LT_CODE_BUFSZ];
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_EVENT_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, ev->change_id);
	lt__sq_bind_text(q, 2, ev->kind);
	lt__sq_bind_text(q, 3, ev->code);
	lt__sq_bind_text(q, 4, ev->parent);
	lt__sq_bind_text(q, 5, lt_code_rev(ev->code, rev));
	lt__sq_bind_text(q, 6, ev->at);
	lt__sq_bind_text(q, 7, ev->effective);
	lt__sq_bind_text(q, 8, ev->data);
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_DONE)
		ev->seq = sqlite3_last_insert_rowid(cn->db);
	else
		ret = lt__sq_fail(cn, err, "appending to the event log");
	sqlite3_reset(q);
	if (ret == LT_OK)
		lt__sq_registry_changed(st);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_events_for(struct lt_store *s, const char *code, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_EVENTS_FOR, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	int ret = each_event(cn, q, cb, ctx, err);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_events_after(struct lt_store *s, int64_t after, int limit, lt_event_cb cb, void *ctx,
			   struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_EVENTS_AFTER, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, after);
	sqlite3_bind_int(q, 2, limit);
	int ret = each_event(cn, q, cb, ctx, err);
	lt__sq_release(st, cn);
	return ret;
}

static int64_t sq_last_seq(struct lt_store *s)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_LAST_SEQ, &cn, NULL);
	if (!q)
		return -1;
	int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return v;
}

static int sq_event_asof(struct lt_store *s, const char *code, const char *date, struct lt_event *out,
			 struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_EVENT_ASOF, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	lt__sq_bind_text(q, 2, date);
	int rc = sqlite3_step(q), ret;
	if (rc == SQLITE_ROW)
		ret = read_event(q, out) == LT_OK ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
	else if (rc == SQLITE_DONE)
		ret = lt_err_set(err, LT_ENOTFOUND, "%s did not exist on %s", code, date);
	else
		ret = lt__sq_fail(cn, err, "reading the event log");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_events_asof(struct lt_store *s, const char *parent, bool subtree, const char *date, lt_event_cb cb,
			  void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	char prefix[LT_CODE_BUFSZ + 2];
	const char *sql = !parent ? SQL_EVENTS_ASOF_ALL : subtree ? SQL_EVENTS_ASOF_SUBTREE : SQL_EVENTS_ASOF_CHILDREN;
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, sql, &cn, err);
	if (!q)
		return LT_EIO;
	if (!parent) {
		lt__sq_bind_text(q, 1, "");
	} else if (subtree) {
		lt__code_rev_prefix(parent, prefix);
		strcat(prefix, "*");
		lt__sq_bind_text(q, 1, prefix);
		lt__sq_bind_text(q, 3, parent);
	} else {
		lt__sq_bind_text(q, 1, parent);
	}
	lt__sq_bind_text(q, 2, date);
	int ret = each_event(cn, q, cb, ctx, err);
	lt__sq_release(st, cn);
	return ret;
}


/* The per-row index trigger makes SQLite open a savepoint for every insert
 * and the full-text index write a segment for each; a bulk load drops it and
 * indexes the new rows in one statement. DDL is transactional, so a failed
 * load restores the trigger with everything else. Must match migration 1. */
static const char UNITS_AI[] = "CREATE TRIGGER units_ai AFTER INSERT ON units BEGIN"
			       "  INSERT INTO units_fts(rowid, name_fold) VALUES (new.rowid, new.name_fold); END;";
static _Thread_local sqlite3_int64 bulk_from;

static int sq_bulk(struct lt_store *s, bool start, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn = lt__sq_acquire(st, true, err);
	int ret = LT_OK;
	if (start) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(cn->db, "SELECT coalesce(max(rowid), 0) FROM units", -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			bulk_from = sqlite3_column_int64(q, 0);
		else
			ret = lt__sq_fail(cn, err, "starting a bulk load");
		sqlite3_finalize(q);
		if (ret == LT_OK && sqlite3_exec(cn->db, "DROP TRIGGER units_ai", NULL, NULL, NULL) != SQLITE_OK)
			ret = lt__sq_fail(cn, err, "starting a bulk load");
	} else {
		char sql[160];
		snprintf(sql, sizeof sql,
			 "INSERT INTO units_fts(rowid, name_fold) SELECT rowid, name_fold FROM units WHERE rowid > %lld",
			 (long long)bulk_from);
		if (sqlite3_exec(cn->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(cn->db, UNITS_AI, NULL, NULL, NULL) != SQLITE_OK)
			ret = lt__sq_fail(cn, err, "indexing a bulk load");
	}
	lt__sq_release(st, cn);
	return ret;
}

void lt__sq_units_ops(struct lt_store_ops *ops)
{
	ops->bulk = sq_bulk;
	ops->unit_get = sq_unit_get;
	ops->unit_put = sq_unit_put;
	ops->children = sq_children;
	ops->subtree = sq_subtree;
	ops->search = sq_search;
	ops->numbers_used = sq_numbers_used;
	ops->lineage_add = sq_lineage_add;
	ops->lineage = sq_lineage;
	ops->change_add = sq_change_add;
	ops->changes = sq_changes;
	ops->event_append = sq_event_append;
	ops->events_for = sq_events_for;
	ops->events_after = sq_events_after;
	ops->last_seq = sq_last_seq;
	ops->event_asof = sq_event_asof;
	ops->events_asof = sq_events_asof;
}
