/* The SQLite store: WAL, synchronous=FULL, foreign keys, a busy timeout and
 * statements prepared once. One connection serialised by a recursive mutex
 * that a write transaction holds from begin to commit, so a transaction's own
 * reads see its writes and nobody else's half-done work. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

enum stmt_id {
	S_UNIT_GET,
	S_UNIT_PUT,
	S_CHILDREN,
	S_SUBTREE,
	S_NUMBERS,
	S_LINEAGE_ADD,
	S_SUCCESSORS,
	S_PREDECESSORS,
	S_CHANGE_ADD,
	S_CHANGES,
	S_EVENT_ADD,
	S_EVENTS_FOR,
	S_EVENTS_AFTER,
	S_LAST_SEQ,
	S_EVENT_ASOF,
	S_EVENTS_ASOF_CHILDREN,
	S_EVENTS_ASOF_SUBTREE,
	S_EVENTS_ASOF_ALL,
	S_COUNT
};

#define UNIT_COLS                                                                                            \
	"code, parent, level, name, address, email, phone, fax, website, status, valid_from, valid_to, "     \
	"decision_number, decision_date, decision_issuer, reorganized, recorded, version"
#define EVENT_COLS "seq, change_id, kind, code, parent, at, effective, data"

/* Status filter as SQL: ?F is 0 active, 1 closed, 2 all. */
#define STATUS_FILTER "(?3 = 2 OR status = ?3)"

static const char *const stmt_sql[S_COUNT] = {
	[S_UNIT_GET] = "SELECT " UNIT_COLS " FROM units WHERE code = ?1",
	[S_UNIT_PUT] = "INSERT INTO units (" UNIT_COLS ", sort_key, name_fold) VALUES "
		       "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20) "
		       "ON CONFLICT(code) DO UPDATE SET parent=?2, level=?3, name=?4, address=?5, email=?6, "
		       "phone=?7, fax=?8, website=?9, status=?10, valid_from=?11, valid_to=?12, "
		       "decision_number=?13, decision_date=?14, decision_issuer=?15, reorganized=?16, "
		       "recorded=?17, version=?18, sort_key=?19, name_fold=?20",
	[S_CHILDREN] = "SELECT " UNIT_COLS " FROM units WHERE parent = ?1 AND ?2 = ?2 AND " STATUS_FILTER
		       " ORDER BY sort_key",
	[S_SUBTREE] = "SELECT " UNIT_COLS " FROM units WHERE sort_key GLOB ?1 AND code <> ?2 AND " STATUS_FILTER
		      " ORDER BY sort_key",
	[S_NUMBERS] = "SELECT code FROM units WHERE parent = ?1 UNION SELECT code FROM events WHERE parent = ?1",
	[S_LINEAGE_ADD] = "INSERT OR IGNORE INTO lineage (pred, succ, change_id) VALUES (?1, ?2, ?3)",
	[S_SUCCESSORS] = "SELECT succ FROM lineage WHERE pred = ?1 ORDER BY succ",
	[S_PREDECESSORS] = "SELECT pred FROM lineage WHERE succ = ?1 ORDER BY pred",
	[S_CHANGE_ADD] = "INSERT INTO changes (kind, effective, reorganized, at, actor, decision_number, "
			 "decision_date, decision_issuer, summary, recorded) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
	[S_CHANGES] = "SELECT id, kind, effective, reorganized, at, actor, decision_number, decision_date, "
		      "decision_issuer, summary, recorded FROM changes ORDER BY id",
	[S_EVENT_ADD] = "INSERT INTO events (change_id, kind, code, parent, sort_key, at, effective, data) "
			"VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
	[S_EVENTS_FOR] = "SELECT " EVENT_COLS " FROM events WHERE code = ?1 ORDER BY seq",
	[S_EVENTS_AFTER] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[S_LAST_SEQ] = "SELECT coalesce(max(seq), 0) FROM events",
	[S_EVENT_ASOF] = "SELECT " EVENT_COLS " FROM events WHERE code = ?1 AND effective <= ?2 "
			 "ORDER BY effective DESC, seq DESC LIMIT 1",
	[S_EVENTS_ASOF_CHILDREN] = "SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
				   "ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE parent = ?1 AND "
				   "effective <= ?2) WHERE rn = 1 ORDER BY sort_key",
	[S_EVENTS_ASOF_SUBTREE] = "SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
				  "ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE sort_key GLOB ?1 AND "
				  "code <> ?3 AND effective <= ?2) WHERE rn = 1 ORDER BY sort_key",
	[S_EVENTS_ASOF_ALL] = "SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
			      "ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE effective <= ?2 "
			      "AND ?1 = ?1) WHERE rn = 1 ORDER BY sort_key",
};

struct sqlite_store {
	struct lt_store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	pthread_mutex_t lock;
	int in_txn;
};

static struct sqlite_store *S(struct lt_store *s) { return (struct sqlite_store *)(void *)s; }

static int db_fail(struct sqlite_store *st, struct lt_err *err, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);
	int status = (code & 0xff) == SQLITE_FULL ? LT_EIO : (code & 0xff) == SQLITE_BUSY ? LT_ENOTREADY : LT_EIO;
	return lt_err_set(err, status, "database error while %s: %s", what, sqlite3_errmsg(st->db));
}

static sqlite3_stmt *stmt(struct sqlite_store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->stmt[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void lock(struct sqlite_store *st) { pthread_mutex_lock(&st->lock); }
static void unlock(struct sqlite_store *st) { pthread_mutex_unlock(&st->lock); }

static void bind_text(sqlite3_stmt *s, int i, const char *v) { sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT); }

static void col_copy(sqlite3_stmt *s, int i, char *dst, size_t n)
{
	const unsigned char *v = sqlite3_column_text(s, i);
	snprintf(dst, n, "%s", v ? (const char *)v : "");
}

static void read_unit(sqlite3_stmt *s, struct lt_unit *u)
{
	memset(u, 0, sizeof *u);
	col_copy(s, 0, u->code, sizeof u->code);
	col_copy(s, 1, u->parent, sizeof u->parent);
	u->level = sqlite3_column_int(s, 2);
	col_copy(s, 3, u->name, sizeof u->name);
	col_copy(s, 4, u->contact.address, sizeof u->contact.address);
	col_copy(s, 5, u->contact.email, sizeof u->contact.email);
	col_copy(s, 6, u->contact.phone, sizeof u->contact.phone);
	col_copy(s, 7, u->contact.fax, sizeof u->contact.fax);
	col_copy(s, 8, u->contact.website, sizeof u->contact.website);
	u->status = sqlite3_column_int(s, 9) ? LT_UNIT_CLOSED : LT_UNIT_ACTIVE;
	col_copy(s, 10, u->valid_from, sizeof u->valid_from);
	col_copy(s, 11, u->valid_to, sizeof u->valid_to);
	col_copy(s, 12, u->decision.number, sizeof u->decision.number);
	col_copy(s, 13, u->decision.date, sizeof u->decision.date);
	col_copy(s, 14, u->decision.issuer, sizeof u->decision.issuer);
	col_copy(s, 15, u->reorganized, sizeof u->reorganized);
	col_copy(s, 16, u->recorded, sizeof u->recorded);
	u->version = sqlite3_column_int64(s, 17);
}

static int read_event(sqlite3_stmt *s, struct lt_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->seq = sqlite3_column_int64(s, 0);
	ev->change_id = sqlite3_column_int64(s, 1);
	col_copy(s, 2, ev->kind, sizeof ev->kind);
	col_copy(s, 3, ev->code, sizeof ev->code);
	col_copy(s, 4, ev->parent, sizeof ev->parent);
	col_copy(s, 5, ev->at, sizeof ev->at);
	col_copy(s, 6, ev->effective, sizeof ev->effective);
	const unsigned char *d = sqlite3_column_text(s, 7);
	ev->data = strdup(d ? (const char *)d : "{}");
	return ev->data ? LT_OK : LT_ENOMEM;
}

/* Runs a unit query and calls cb per row; a non-zero cb result stops early
 * and is returned. */
static int each_unit(struct sqlite_store *st, sqlite3_stmt *s, lt_unit_cb cb, void *ctx, struct lt_err *err)
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
		ret = db_fail(st, err, "reading units");
	sqlite3_reset(s);
	return ret;
}

static int each_event(struct sqlite_store *st, sqlite3_stmt *s, lt_event_cb cb, void *ctx, struct lt_err *err)
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
		ret = db_fail(st, err, "reading events");
	sqlite3_reset(s);
	return ret;
}

static void sq_close(struct lt_store *s)
{
	struct sqlite_store *st = S(s);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static int sq_begin(struct lt_store *s, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	if (st->in_txn) {
		unlock(st);
		return lt_err_set(err, LT_EIO, "internal error: nested store transaction");
	}
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = db_fail(st, err, "starting a transaction");
		unlock(st);
		return rc;
	}
	st->in_txn = 1;
	return LT_OK;
}

static int sq_commit(struct lt_store *s, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	int rc = LT_OK;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_fail(st, err, "committing");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	st->in_txn = 0;
	unlock(st);
	return rc;
}

static void sq_rollback(struct lt_store *s)
{
	struct sqlite_store *st = S(s);
	if (!st->in_txn)
		return;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = 0;
	unlock(st);
}

static int sq_unit_get(struct lt_store *s, const char *code, struct lt_unit *out, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_UNIT_GET);
	bind_text(q, 1, code);
	int rc = sqlite3_step(q), ret = LT_OK;
	if (rc == SQLITE_ROW)
		read_unit(q, out);
	else if (rc == SQLITE_DONE)
		ret = lt_err_set(err, LT_ENOTFOUND, "no unit with code %s in the registry", code);
	else
		ret = db_fail(st, err, "reading a unit");
	sqlite3_reset(q);
	unlock(st);
	return ret;
}

static int sq_unit_put(struct lt_store *s, const struct lt_unit *u, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	char rev[LT_CODE_BUFSZ], fold[LT_NAME_MAX * 2];
	lock(st);
	sqlite3_stmt *q = stmt(st, S_UNIT_PUT);
	const char *vals[] = {u->code, u->parent};
	for (int i = 0; i < 2; i++)
		bind_text(q, i + 1, vals[i]);
	sqlite3_bind_int(q, 3, u->level);
	const char *texts[] = {u->name, u->contact.address, u->contact.email, u->contact.phone,
			       u->contact.fax, u->contact.website};
	for (int i = 0; i < 6; i++)
		bind_text(q, 4 + i, texts[i]);
	sqlite3_bind_int(q, 10, u->status == LT_UNIT_CLOSED);
	const char *rest[] = {u->valid_from, u->valid_to, u->decision.number, u->decision.date,
			      u->decision.issuer, u->reorganized, u->recorded};
	for (int i = 0; i < 7; i++)
		bind_text(q, 11 + i, rest[i]);
	sqlite3_bind_int64(q, 18, u->version);
	bind_text(q, 19, lt_code_rev(u->code, rev));
	bind_text(q, 20, lt_text_fold(u->name, fold, sizeof fold));
	int ret = sqlite3_step(q) == SQLITE_DONE ? LT_OK : db_fail(st, err, "writing a unit");
	sqlite3_reset(q);
	unlock(st);
	return ret;
}

static int sq_children(struct lt_store *s, const char *parent, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		       struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_CHILDREN);
	bind_text(q, 1, parent);
	sqlite3_bind_int(q, 2, 0);
	sqlite3_bind_int(q, 3, (int)f);
	int ret = each_unit(st, q, cb, ctx, err);
	unlock(st);
	return ret;
}

static int sq_subtree(struct lt_store *s, const char *root, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		      struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	char prefix[LT_CODE_BUFSZ + 2];
	lt__code_rev_prefix(root, prefix);
	strcat(prefix, "*");
	lock(st);
	sqlite3_stmt *q = stmt(st, S_SUBTREE);
	bind_text(q, 1, prefix);
	bind_text(q, 2, root);
	sqlite3_bind_int(q, 3, (int)f);
	int ret = each_unit(st, q, cb, ctx, err);
	unlock(st);
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
	struct sqlite_store *st = S(s);
	char sql[1024];
	char *fts = NULL;
	int n = snprintf(sql, sizeof sql, "SELECT " UNIT_COLS " FROM units WHERE 1");
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
	snprintf(sql + n, sizeof sql - (size_t)n, " ORDER BY sort_key LIMIT ?8");

	lock(st);
	sqlite3_stmt *q;
	/* Prepared per shape; SQLite's own cache keeps this cheap. */
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
		int rc = db_fail(st, err, "preparing a search");
		unlock(st);
		free(fts);
		return rc;
	}
	char glob[LT_CODE_BUFSZ + 4], under[LT_CODE_BUFSZ + 4];
	if (fts && *fts)
		bind_text(q, 1, fts);
	if (qy->code_rev) {
		snprintf(glob, sizeof glob, "%s*", qy->code_rev);
		bind_text(q, 2, glob);
	}
	if (qy->parent)
		bind_text(q, 3, qy->parent);
	if (qy->under) {
		lt__code_rev_prefix(qy->under, under);
		strcat(under, "*");
		bind_text(q, 4, under);
		bind_text(q, 9, qy->under);
	}
	if (qy->level)
		sqlite3_bind_int(q, 5, qy->level);
	if (qy->status != LT_FILTER_ALL)
		sqlite3_bind_int(q, 6, qy->status == LT_FILTER_CLOSED);
	if (qy->after)
		bind_text(q, 7, qy->after);
	sqlite3_bind_int(q, 8, qy->limit > 0 ? qy->limit : 50);
	int ret = each_unit(st, q, cb, ctx, err);
	sqlite3_finalize(q);
	unlock(st);
	free(fts);
	return ret;
}

static int sq_numbers_used(struct lt_store *s, const char *parent, unsigned **out, size_t *count,
			   struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	size_t cap = 16, n = 0;
	unsigned *v = malloc(cap * sizeof *v);
	if (!v)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	lock(st);
	sqlite3_stmt *q = stmt(st, S_NUMBERS);
	bind_text(q, 1, parent);
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
	int ret = rc == SQLITE_DONE ? LT_OK : db_fail(st, err, "reading used numbers");
	unlock(st);
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
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_LINEAGE_ADD);
	bind_text(q, 1, pred);
	bind_text(q, 2, succ);
	sqlite3_bind_int64(q, 3, change_id);
	int ret = sqlite3_step(q) == SQLITE_DONE ? LT_OK : db_fail(st, err, "writing lineage");
	sqlite3_reset(q);
	unlock(st);
	return ret;
}

static int sq_lineage(struct lt_store *s, const char *code, bool successors, struct lt_codelist *out,
		      struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, successors ? S_SUCCESSORS : S_PREDECESSORS);
	bind_text(q, 1, code);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (lt_codelist_add(out, (const char *)sqlite3_column_text(q, 0))) {
			ret = lt_err_set(err, LT_ENOMEM, "out of memory");
			break;
		}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = db_fail(st, err, "reading lineage");
	sqlite3_reset(q);
	unlock(st);
	return ret;
}

static int sq_change_add(struct lt_store *s, struct lt_change *c, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_CHANGE_ADD);
	const char *v[] = {c->kind, c->effective, c->reorganized, c->at, c->actor, c->decision.number,
			   c->decision.date, c->decision.issuer, c->summary ? c->summary : "{}", c->recorded};
	for (int i = 0; i < 10; i++)
		bind_text(q, i + 1, v[i]);
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_DONE)
		c->id = sqlite3_last_insert_rowid(st->db);
	else
		ret = db_fail(st, err, "recording a change");
	sqlite3_reset(q);
	unlock(st);
	return ret;
}

static int sq_changes(struct lt_store *s, lt_change_cb cb, void *ctx, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_CHANGES);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_change c = {0};
		c.id = sqlite3_column_int64(q, 0);
		col_copy(q, 1, c.kind, sizeof c.kind);
		col_copy(q, 2, c.effective, sizeof c.effective);
		col_copy(q, 3, c.reorganized, sizeof c.reorganized);
		col_copy(q, 4, c.at, sizeof c.at);
		col_copy(q, 5, c.actor, sizeof c.actor);
		col_copy(q, 6, c.decision.number, sizeof c.decision.number);
		col_copy(q, 7, c.decision.date, sizeof c.decision.date);
		col_copy(q, 8, c.decision.issuer, sizeof c.decision.issuer);
		c.summary = (const char *)sqlite3_column_text(q, 9);
		col_copy(q, 10, c.recorded, sizeof c.recorded);
		if ((ret = cb(ctx, &c)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = db_fail(st, err, "reading changes");
	sqlite3_reset(q);
	unlock(st);
	return ret;
}

static int sq_event_append(struct lt_store *s, struct lt_event *ev, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	char rev[LT_CODE_BUFSZ];
	lock(st);
	sqlite3_stmt *q = stmt(st, S_EVENT_ADD);
	sqlite3_bind_int64(q, 1, ev->change_id);
	bind_text(q, 2, ev->kind);
	bind_text(q, 3, ev->code);
	bind_text(q, 4, ev->parent);
	bind_text(q, 5, lt_code_rev(ev->code, rev));
	bind_text(q, 6, ev->at);
	bind_text(q, 7, ev->effective);
	bind_text(q, 8, ev->data);
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_DONE)
		ev->seq = sqlite3_last_insert_rowid(st->db);
	else
		ret = db_fail(st, err, "appending to the event log");
	sqlite3_reset(q);
	unlock(st);
	return ret;
}

static int sq_events_for(struct lt_store *s, const char *code, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_EVENTS_FOR);
	bind_text(q, 1, code);
	int ret = each_event(st, q, cb, ctx, err);
	unlock(st);
	return ret;
}

static int sq_events_after(struct lt_store *s, int64_t after, int limit, lt_event_cb cb, void *ctx,
			   struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_EVENTS_AFTER);
	sqlite3_bind_int64(q, 1, after);
	sqlite3_bind_int(q, 2, limit);
	int ret = each_event(st, q, cb, ctx, err);
	unlock(st);
	return ret;
}

static int64_t sq_last_seq(struct lt_store *s)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_LAST_SEQ);
	int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	sqlite3_reset(q);
	unlock(st);
	return v;
}

static int sq_event_asof(struct lt_store *s, const char *code, const char *date, struct lt_event *out,
			 struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	sqlite3_stmt *q = stmt(st, S_EVENT_ASOF);
	bind_text(q, 1, code);
	bind_text(q, 2, date);
	int rc = sqlite3_step(q), ret;
	if (rc == SQLITE_ROW)
		ret = read_event(q, out) == LT_OK ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
	else if (rc == SQLITE_DONE)
		ret = lt_err_set(err, LT_ENOTFOUND, "%s did not exist on %s", code, date);
	else
		ret = db_fail(st, err, "reading the event log");
	sqlite3_reset(q);
	unlock(st);
	return ret;
}

static int sq_events_asof(struct lt_store *s, const char *parent, bool subtree, const char *date, lt_event_cb cb,
			  void *ctx, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	char prefix[LT_CODE_BUFSZ + 2];
	lock(st);
	sqlite3_stmt *q;
	if (!parent) {
		q = stmt(st, S_EVENTS_ASOF_ALL);
		bind_text(q, 1, "");
	} else if (subtree) {
		q = stmt(st, S_EVENTS_ASOF_SUBTREE);
		lt__code_rev_prefix(parent, prefix);
		strcat(prefix, "*");
		bind_text(q, 1, prefix);
		bind_text(q, 3, parent);
	} else {
		q = stmt(st, S_EVENTS_ASOF_CHILDREN);
		bind_text(q, 1, parent);
	}
	bind_text(q, 2, date);
	int ret = each_event(st, q, cb, ctx, err);
	unlock(st);
	return ret;
}

static int sq_ping(struct lt_store *s, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	lock(st);
	int ret = sqlite3_exec(st->db, "SELECT 1 FROM schema_version LIMIT 1", NULL, NULL, NULL) == SQLITE_OK
			  ? LT_OK
			  : lt_err_set(err, LT_ENOTREADY, "database does not answer: %s", sqlite3_errmsg(st->db));
	unlock(st);
	return ret;
}

static int integrity_row(void *ctx, int ncol, char **vals, char **names)
{
	(void)ncol;
	(void)names;
	char *res = ctx;
	if (!res[0])
		snprintf(res, 256, "%s", vals[0] ? vals[0] : "");
	return 0;
}

static int sq_integrity_check(struct lt_store *s, struct lt_err *err)
{
	struct sqlite_store *st = S(s);
	char res[256] = "";
	lock(st);
	int rc = sqlite3_exec(st->db, "PRAGMA integrity_check", integrity_row, res, NULL);
	unlock(st);
	if (rc != SQLITE_OK)
		return db_fail(st, err, "checking integrity");
	if (strcmp(res, "ok") != 0)
		return lt_err_set(err, LT_EIO, "database integrity check failed: %s", res);
	return LT_OK;
}

static const struct lt_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.unit_get = sq_unit_get,
	.unit_put = sq_unit_put,
	.children = sq_children,
	.subtree = sq_subtree,
	.search = sq_search,
	.numbers_used = sq_numbers_used,
	.lineage_add = sq_lineage_add,
	.lineage = sq_lineage,
	.change_add = sq_change_add,
	.changes = sq_changes,
	.event_append = sq_event_append,
	.events_for = sq_events_for,
	.events_after = sq_events_after,
	.last_seq = sq_last_seq,
	.event_asof = sq_event_asof,
	.events_asof = sq_events_asof,
	.ping = sq_ping,
	.integrity_check = sq_integrity_check,
};

int lt__store_sqlite_open(struct lt_store **out, const char *path, struct lt_err *err)
{
	struct sqlite_store *st = calloc(1, sizeof *st);
	if (!st)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	st->base.ops = &sqlite_ops;
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		lt_err_set(err, LT_EIO, "cannot open database %s: %s", path,
			   st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);
	static const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";
	char *msg = NULL;
	if (sqlite3_exec(st->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		lt_err_set(err, LT_EIO, "cannot set up database %s: %s", path, msg ? msg : "");
		sqlite3_free(msg);
		goto fail;
	}
	if (lt__sqlite_migrate(st->db, err))
		goto fail;
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			lt_err_set(err, LT_EIO, "internal error preparing statement %d: %s", i,
				   sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	*out = &st->base;
	return LT_OK;
fail:
	sq_close(&st->base);
	return err ? err->status : LT_EIO;
}
