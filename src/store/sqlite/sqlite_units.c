/* The registry's tables in SQLite: units and their search index, lineage,
 * changes and the append-only event log. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

#define UNIT_COLS                                                                                                      \
	"code, parent, level, name, address, email, phone, fax, website, status, valid_from, valid_to, "               \
	"decision_number, decision_date, decision_issuer, reorganized, recorded, version"
#define UNIT_SEL UNIT_COLS ", rowid"
#define EVENT_COLS "seq, change_id, kind, code, parent, at, effective, data"

/* Status filter as SQL: ?F is 0 active, 1 closed, 2 all. */
#define STATUS_FILTER "(?3 = 2 OR status = ?3)"

static const char SQL_UNIT_GET[] = "SELECT " UNIT_SEL " FROM units WHERE code = ?1";
/* A parent during a bulk load of fresh codes, whose index by code is built
 * at its end (sq_bulk): found by its sort key, a bijection of the code. */
static const char SQL_UNIT_GET_BY_KEY[] = "SELECT " UNIT_SEL " FROM units WHERE sort_key = ?2 AND code = ?1";
/* A fresh code's row in such a load: nothing to update, and no index by
 * code for an upsert to name; the unique sort key still refuses a second
 * row of a code. */
#define UNIT_INSERT                                                                                                    \
	"INSERT INTO units (" UNIT_COLS ", sort_key, name_fold) VALUES "                                               \
	"(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"
static const char SQL_UNIT_INSERT[] = UNIT_INSERT;
static const char SQL_UNIT_PUT[] =
	UNIT_INSERT " ON CONFLICT(code) DO UPDATE SET parent=?2, level=?3, name=?4, address=?5, email=?6, "
		    "phone=?7, fax=?8, website=?9, status=?10, valid_from=?11, valid_to=?12, "
		    "decision_number=?13, decision_date=?14, decision_issuer=?15, reorganized=?16, "
		    "recorded=?17, version=?18, sort_key=?19, name_fold=?20";
static const char SQL_NUMBERS[] =
	"SELECT code FROM units WHERE parent = ?1 UNION SELECT code FROM events WHERE parent = ?1";
static const char SQL_LINEAGE_ADD[] = "INSERT OR IGNORE INTO lineage (pred, succ, change_id) VALUES (?1, ?2, ?3)";
static const char SQL_SUCCESSORS[] = "SELECT succ FROM lineage WHERE pred = ?1 ORDER BY succ";
static const char SQL_PREDECESSORS[] = "SELECT pred FROM lineage WHERE succ = ?1 ORDER BY pred";
static const char SQL_CHANGE_ADD[] =
	"INSERT INTO changes (kind, effective, reorganized, at, actor, decision_number, "
	"decision_date, decision_issuer, summary, recorded, id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)";
static const char SQL_CHANGES[] = "SELECT id, kind, effective, reorganized, at, actor, decision_number, decision_date, "
				  "decision_issuer, summary, recorded FROM changes ORDER BY id";
static const char SQL_CHILDREN[] =
	"SELECT " UNIT_SEL " FROM units WHERE parent = ?1 AND ?2 = ?2 AND " STATUS_FILTER " ORDER BY sort_key";
static const char SQL_SUBTREE[] =
	"SELECT " UNIT_SEL " FROM units WHERE sort_key GLOB ?1 AND code <> ?2 AND " STATUS_FILTER " ORDER BY sort_key";
/* The feed's counter is the log's last seq, read and advanced under the
 * database's write lock, which the transaction (BEGIN IMMEDIATE, or this
 * one statement outside one) holds until it commits: so seq follows commit
 * order and has no gap (lt_store_event_append). */
static const char SQL_EVENT_ADD[] =
	"INSERT INTO events (seq, change_id, kind, code, parent, sort_key, at, effective, data) "
	"VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM events),?1,?2,?3,?4,?5,?6,?7,?8)";
/* The unit's object as lt_unit_to_json writes it, key for key, and the
 * actor (lt_store_event_append_unit). */
static const char SQL_EVENT_ADD_UNIT[] =
	"INSERT INTO events (seq, change_id, kind, code, parent, sort_key, at, effective, data) "
	"VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM events),?1,?2,?3,?4,?5,?6,?7,"
	"json_object('unit', json_object('code', ?3, 'name', ?8, 'level', ?9, 'parent', nullif(?4, ''),"
	" 'status', ?10, 'address', ?11, 'email', ?12, 'phone', ?13, 'fax', ?14, 'website', ?15,"
	" 'decision', iif(?16 <> '' OR ?17 <> '', json_object('number', ?16, 'date', nullif(?17, ''), 'issuer', ?18),"
	" NULL), 'valid_from', ?19, 'valid_to', nullif(?20, ''), 'reorganized', nullif(?21, ''),"
	" 'recorded', nullif(?22, ''), 'version', ?23), 'actor', ?24))";
static const char SQL_EVENTS_FOR[] = "SELECT " EVENT_COLS " FROM events WHERE code = ?1 ORDER BY seq";
static const char SQL_EVENTS_AFTER[] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2";
static const char SQL_LAST_SEQ[] = "SELECT coalesce(max(seq), 0) FROM events";
static const char SQL_EVENT_ASOF[] = "SELECT " EVENT_COLS " FROM events WHERE code = ?1 AND effective <= ?2 "
				     "ORDER BY effective DESC, seq DESC LIMIT 1";
static const char SQL_EVENTS_ASOF_CHILDREN[] =
	"SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
	"ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE parent = ?1 AND "
	"effective <= ?2) WHERE rn = 1 ORDER BY sort_key";
static const char SQL_EVENTS_ASOF_SUBTREE[] =
	"SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
	"ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE sort_key GLOB ?1 AND "
	"code <> ?3 AND effective <= ?2) WHERE rn = 1 ORDER BY sort_key";
static const char SQL_EVENTS_ASOF_ALL[] = "SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code "
					  "ORDER BY effective DESC, seq DESC) AS rn FROM events WHERE effective <= ?2 "
					  "AND ?1 = ?1) WHERE rn = 1 ORDER BY sort_key";

/* A name search walks the full-text index in rowid order, the order FTS5
 * keeps its lists in, and joins each match to its row: the filters apply as
 * it steps and LIMIT stops the walk at the page's last row. CROSS JOIN keeps
 * SQLite from driving the join from a units index, which would read every
 * match before the first row. ?2 and ?3 bound the walk to (?2, ?3]: past the
 * cursor, within one stretch of the rows a filter allows; ?4 to ?6 and ?8
 * are the parent, subtree and status filters, NULL or 2 for none. A level
 * filter walks another way (level_walk). */
#define U_SEL                                                                                                          \
	"u.code, u.parent, u.level, u.name, u.address, u.email, u.phone, u.fax, u.website, u.status, "                 \
	"u.valid_from, u.valid_to, u.decision_number, u.decision_date, u.decision_issuer, u.reorganized, "             \
	"u.recorded, u.version, u.rowid"
static const char SQL_NAME_SEARCH[] =
	"SELECT " U_SEL " FROM units_fts f CROSS JOIN units u ON u.rowid = f.rowid "
	"WHERE units_fts MATCH ?1 AND f.rowid > ?2 AND f.rowid <= ?3 AND (?4 IS NULL OR u.parent = ?4) "
	"AND (?5 IS NULL OR (u.sort_key GLOB ?5 AND u.code <> ?6)) AND (?8 = 2 OR u.status = ?8) "
	"ORDER BY f.rowid LIMIT ?9";
/* The units a parent or subtree filter allows, by rowid, from an index that
 * holds it: the walk then covers only the stretches of rowids where they lie
 * instead of stepping through every match outside. Imports write in tree
 * order, so a parent's children and a subtree each sit in one narrow
 * stretch, and units issued or moved later in a few more at the end. ?2
 * caps the rows read (-1: none). */
static const char SQL_PARENT_ROWS[] = "SELECT rowid FROM units WHERE parent = ?1 LIMIT ?2";
/* Without the root itself: level 1 comes first, far from its subtree. */
static const char SQL_SUBTREE_ROWS[] = "SELECT rowid FROM units WHERE sort_key GLOB ?1 AND sort_key <> ?3 LIMIT ?2";
/* A subtree larger than this is walked whole: reading it would cost more
 * than its stretches save. */
#define SUBTREE_ROWS_CAP 16384
/* Each stretch is one more run of the statements, about as dear as
 * stepping through a few dozen matches, so only gaps wider than RUN_GAP
 * rowids split a stretch, and only the widest SEARCH_RUNS - 1 of them. */
#define SEARCH_RUNS 8
#define RUN_GAP 64
/* A level filter rejects most matches of a common word (level 2 or 4 is a
 * twentieth of the units), and the join above pays a row lookup for each:
 * 6-16 ms for "phuong" or "uy ban nhan dan" at level 4 in 100,000 units.
 * Instead the matches and the level's units (units_level_rowid, migration
 * 7) are stepped side by side, both in rowid order, and only the rows in
 * both are read: 1.6-5.5 ms. */
static const char SQL_MATCH_ROWS[] = "SELECT rowid FROM units_fts WHERE units_fts MATCH ?1 AND rowid > ?2 "
				     "AND rowid <= ?3 ORDER BY rowid";
static const char SQL_LEVEL_ROWS[] = "SELECT rowid FROM units INDEXED BY units_level_rowid WHERE level = ?1 "
				     "AND rowid > ?2 AND rowid <= ?3 ORDER BY rowid";
static const char SQL_MATCH_ROW[] = "SELECT " UNIT_SEL " FROM units WHERE rowid = ?1 AND (?4 IS NULL OR parent = ?4) "
				    "AND (?5 IS NULL OR (sort_key GLOB ?5 AND code <> ?6)) AND (?8 = 2 OR status = ?8)";
/* Behind the next match, the level's units take one step (a sparse level
 * is then past it), then more while the match is at most LEVEL_STEPS rowids
 * ahead, else a seek, which costs about as much: a dense level (level 3)
 * would otherwise step through every row between two matches. */
#define LEVEL_STEPS 8

/* Returns the row's rowid (column 18 of UNIT_SEL), which orders name
 * searches and makes their cursors; it stays inside this backend. */
static int64_t read_unit(sqlite3_stmt *s, struct lt_unit *u)
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
	return sqlite3_column_int64(s, 18);
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
 * and is returned. *last_row (may be NULL) gets the rowid of each row cb is
 * given. */
static int each_unit(struct lt__sq_conn *cn, sqlite3_stmt *s, lt_unit_cb cb, void *ctx, int64_t *last_row,
		     struct lt_err *err)
{
	struct lt_unit *u = malloc(sizeof *u);
	if (!u)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t row = read_unit(s, u);
		if (last_row)
			*last_row = row;
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

/* A bulk load of fresh codes runs on this thread (sq_bulk): its writer has
 * no index by code until the load ends. Other threads read committed
 * state, which has them. */
static _Thread_local bool bulk_fresh;

static int sq_unit_get(struct lt_store *s, const char *code, struct lt_unit *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, bulk_fresh ? SQL_UNIT_GET_BY_KEY : SQL_UNIT_GET, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	if (bulk_fresh) {
		char rev[LT_CODE_BUFSZ];
		lt__sq_bind_text(q, 2, lt_code_rev(code, rev));
	}
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

/* Binds without SQLite's copy of the text (lt__sq_bind_text's
 * SQLITE_TRANSIENT: a malloc and a copy per value), for the inserts an
 * import runs for every row: v lives until the statement's step, after which
 * the statement is reset and its bindings cleared (unbind). */
static void bind_static(sqlite3_stmt *q, int i, const char *v)
{
	sqlite3_bind_text(q, i, v ? v : "", -1, SQLITE_STATIC);
}

static void unbind(sqlite3_stmt *q)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

static int sq_unit_put(struct lt_store *s, const struct lt_unit *u, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	char rev[LT_CODE_BUFSZ], fold[LT_NAME_MAX * 2];
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, bulk_fresh ? SQL_UNIT_INSERT : SQL_UNIT_PUT, &cn, err);
	if (!q)
		return LT_EIO;
	const char *vals[] = {u->code, u->parent};
	for (int i = 0; i < 2; i++)
		bind_static(q, i + 1, vals[i]);
	sqlite3_bind_int(q, 3, u->level);
	const char *texts[] = {u->name,          u->contact.address, u->contact.email,
			       u->contact.phone, u->contact.fax,     u->contact.website};
	for (int i = 0; i < 6; i++)
		bind_static(q, 4 + i, texts[i]);
	sqlite3_bind_int(q, 10, u->status == LT_UNIT_CLOSED);
	const char *rest[] = {u->valid_from,      u->valid_to,    u->decision.number, u->decision.date,
			      u->decision.issuer, u->reorganized, u->recorded};
	for (int i = 0; i < 7; i++)
		bind_static(q, 11 + i, rest[i]);
	sqlite3_bind_int64(q, 18, u->version);
	bind_static(q, 19, lt_code_rev(u->code, rev));
	bind_static(q, 20, lt_text_fold(u->name, fold, sizeof fold));
	int ret = sqlite3_step(q) == SQLITE_DONE ? LT_OK : lt__sq_fail(cn, err, "writing a unit");
	unbind(q);
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
	int ret = each_unit(cn, q, cb, ctx, NULL, err);
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
	int ret = each_unit(cn, q, cb, ctx, NULL, err);
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

static int cmp_rowid(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Reads the rowids sql (one of the *_ROWS statements) finds for a and b,
 * sorted into *out (malloc'd); *n > cap when the cap cut them short. */
static int allowed_rows(struct lt__sq_conn *cn, const char *sql, const char *a, const char *b, int cap, int64_t **out,
			size_t *n, struct lt_err *err)
{
	sqlite3_stmt *q = lt__sq_stmt(cn, sql, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, a);
	sqlite3_bind_int(q, 2, cap < 0 ? -1 : cap + 1);
	if (b)
		lt__sq_bind_text(q, 3, b);
	size_t len = 0, size = 256;
	int64_t *v = malloc(size * sizeof *v);
	int rc = SQLITE_NOMEM, ret = LT_OK;
	while (v && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (len == size) {
			int64_t *nv = realloc(v, (size *= 2) * sizeof *v);
			if (!nv) {
				free(v);
				v = NULL;
				break;
			}
			v = nv;
		}
		v[len++] = sqlite3_column_int64(q, 0);
	}
	if (!v)
		ret = lt_err_set(err, LT_ENOMEM, "out of memory");
	else if (rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "bounding a search");
	sqlite3_reset(q);
	if (ret) {
		free(v);
		return ret;
	}
	qsort(v, len, sizeof *v, cmp_rowid);
	*out = v;
	*n = len;
	return LT_OK;
}

/* A stretch of rowids to walk: (lo, hi]. */
struct span {
	int64_t lo, hi;
};

/* Cuts the sorted rows v[0..n) (n > 0) at their widest gaps into at most
 * SEARCH_RUNS stretches; returns how many. */
static int spans_of(const int64_t *v, size_t n, struct span sp[SEARCH_RUNS])
{
	size_t cut[SEARCH_RUNS - 1]; /* gap after v[cut[i]], widest first */
	int ncut = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		int64_t gap = v[i + 1] - v[i];
		if (gap <= RUN_GAP || (ncut == SEARCH_RUNS - 1 && gap <= v[cut[ncut - 1] + 1] - v[cut[ncut - 1]]))
			continue;
		int k = ncut < SEARCH_RUNS - 1 ? ncut++ : ncut - 1;
		while (k > 0 && v[cut[k - 1] + 1] - v[cut[k - 1]] < gap) {
			cut[k] = cut[k - 1];
			k--;
		}
		cut[k] = i;
	}
	size_t at[SEARCH_RUNS - 1];
	for (int i = 0; i < ncut; i++)
		at[i] = cut[i];
	for (int i = 1; i < ncut; i++)
		for (int k = i; k > 0 && at[k - 1] > at[k]; k--) {
			size_t t = at[k];
			at[k] = at[k - 1];
			at[k - 1] = t;
		}
	size_t start = 0;
	for (int i = 0; i < ncut; i++) {
		sp[i] = (struct span){v[start] - 1, v[at[i]]};
		start = at[i] + 1;
	}
	sp[ncut] = (struct span){v[start] - 1, v[n - 1]};
	return ncut + 1;
}

/* A page as it is given out: how many rows, and where the last one stands
 * (its rowid, its code) for the next page's cursor. */
struct counted {
	lt_unit_cb cb;
	void *ctx;
	int n;
	int64_t last_row;
	char last_code[LT_CODE_BUFSZ];
};

static int count_row(void *vctx, const struct lt_unit *u)
{
	struct counted *c = vctx;
	c->n++;
	memcpy(c->last_code, u->code, sizeof c->last_code);
	return c->cb(c->ctx, u);
}

/* Binds the filters the way SQL_NAME_SEARCH and SQL_MATCH_ROW number
 * them. */
static void bind_filters(sqlite3_stmt *q, const struct lt_search_query *qy, const char *under)
{
	if (qy->parent)
		lt__sq_bind_text(q, 4, qy->parent);
	if (qy->under) {
		lt__sq_bind_text(q, 5, under);
		lt__sq_bind_text(q, 6, qy->under);
	}
	sqlite3_bind_int(q, 8, (int)qy->status);
}

/* Steps q, a rowid statement; *at is its rowid, or 0 at its end. */
static int next_rowid(struct lt__sq_conn *cn, sqlite3_stmt *q, int64_t *at, struct lt_err *err)
{
	int rc = sqlite3_step(q);
	*at = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? LT_OK : lt__sq_fail(cn, err, "reading a search");
}

/* The rows of (lo, hi] that match and have the level, in rowid order, until
 * c holds limit: the matches and the level's units stepped side by side. */
static int level_walk(struct lt__sq_conn *cn, const struct lt_search_query *qy, const char *fts, const char *under,
		      int64_t lo, int64_t hi, int limit, struct counted *c, struct lt_err *err)
{
	sqlite3_stmt *m = lt__sq_stmt(cn, SQL_MATCH_ROWS, err), *l = m ? lt__sq_stmt(cn, SQL_LEVEL_ROWS, err) : NULL,
		     *r = l ? lt__sq_stmt(cn, SQL_MATCH_ROW, err) : NULL;
	if (!r) {
		if (m)
			sqlite3_reset(m);
		if (l)
			sqlite3_reset(l);
		return LT_EIO;
	}
	lt__sq_bind_text(m, 1, fts);
	sqlite3_bind_int64(m, 2, lo);
	sqlite3_bind_int64(m, 3, hi);
	sqlite3_bind_int(l, 1, qy->level);
	sqlite3_bind_int64(l, 2, lo);
	sqlite3_bind_int64(l, 3, hi);
	bind_filters(r, qy, under);
	int64_t a, b;
	int ret = next_rowid(cn, m, &a, err);
	if (ret == LT_OK)
		ret = next_rowid(cn, l, &b, err);
	struct lt_unit *u = NULL;
	while (ret == LT_OK && a && b && c->n < limit) {
		if (a < b) {
			ret = next_rowid(cn, m, &a, err);
			continue;
		}
		if (b < a) {
			ret = next_rowid(cn, l, &b, err);
			while (ret == LT_OK && b && b < a) {
				if (a - b > LEVEL_STEPS) {
					sqlite3_reset(l);
					sqlite3_bind_int64(l, 2, a - 1);
					ret = next_rowid(cn, l, &b, err);
					break;
				}
				ret = next_rowid(cn, l, &b, err);
			}
			continue;
		}
		sqlite3_bind_int64(r, 1, a);
		int rc = sqlite3_step(r);
		if (rc == SQLITE_ROW) {
			if (!u && !(u = malloc(sizeof *u)))
				ret = lt_err_set(err, LT_ENOMEM, "out of memory");
			else {
				c->last_row = read_unit(r, u);
				ret = count_row(c, u);
			}
		} else if (rc != SQLITE_DONE) {
			ret = lt__sq_fail(cn, err, "reading units");
		}
		sqlite3_reset(r);
		if (ret == LT_OK)
			ret = next_rowid(cn, m, &a, err);
		if (ret == LT_OK)
			ret = next_rowid(cn, l, &b, err);
	}
	free(u);
	sqlite3_reset(m);
	sqlite3_reset(l);
	return ret;
}

static int name_search(struct lt__sq_conn *cn, const struct lt_search_query *qy, const char *fts, int64_t after,
		       struct counted *c, struct lt_err *err)
{
	int limit = qy->limit > 0 ? qy->limit : 50;
	char under[LT_CODE_BUFSZ + 4] = "", root[LT_CODE_BUFSZ];
	if (qy->under) {
		lt__code_rev_prefix(qy->under, under);
		strcat(under, "*");
		lt_code_rev(qy->under, root);
	}
	/* One filter's units are enough to place the walk; every filter is
	 * checked on each row. A parent has at most 999 children. */
	int64_t *rows = NULL;
	size_t n = 0;
	bool placed = false;
	int ret = LT_OK;
	if (qy->parent) {
		ret = allowed_rows(cn, SQL_PARENT_ROWS, qy->parent, NULL, -1, &rows, &n, err);
		placed = ret == LT_OK;
	} else if (qy->under) {
		ret = allowed_rows(cn, SQL_SUBTREE_ROWS, under, root, SUBTREE_ROWS_CAP, &rows, &n, err);
		if (!(placed = ret == LT_OK && n <= SUBTREE_ROWS_CAP)) {
			free(rows);
			rows = NULL;
		}
	}
	if (ret)
		return ret;
	struct span sp[SEARCH_RUNS] = {{0, INT64_MAX}};
	int nsp = 1;
	if (placed) {
		nsp = n ? spans_of(rows, n, sp) : 0;
		free(rows);
	}
	sqlite3_stmt *q = NULL;
	if (!qy->level) {
		if (!(q = lt__sq_stmt(cn, SQL_NAME_SEARCH, err)))
			return LT_EIO;
		lt__sq_bind_text(q, 1, fts);
		bind_filters(q, qy, under);
	}
	for (int i = 0; i < nsp && c->n < limit && ret == LT_OK; i++) {
		int64_t lo = sp[i].lo > after ? sp[i].lo : after;
		if (lo >= sp[i].hi)
			continue;
		if (qy->level) {
			ret = level_walk(cn, qy, fts, under, lo, sp[i].hi, limit, c, err);
			continue;
		}
		sqlite3_bind_int64(q, 2, lo);
		sqlite3_bind_int64(q, 3, sp[i].hi);
		sqlite3_bind_int(q, 9, limit - c->n);
		ret = each_unit(cn, q, count_row, c, &c->last_row, err);
	}
	return ret;
}

/* A filtered name search runs more than one statement (a parent's or a
 * subtree's rowids, then the walk; a level's rowids beside the matches) in
 * one read transaction, so a unit moved meanwhile (its old row closed, a new
 * row at the end) is seen in one state or the other, never lost between. */
static int sq_name_search(struct lt__sq_store *st, const struct lt_search_query *qy, const char *fts, int64_t after,
			  struct counted *c, struct lt_err *err)
{
	struct lt__sq_conn *cn = lt__sq_acquire(st, false, err);
	if (!cn)
		return LT_EIO;
	/* Inside this thread's write transaction the writer already gives one
	 * view. */
	bool own = sqlite3_get_autocommit(cn->db) && (qy->parent || qy->under || qy->level);
	int ret = LT_OK;
	if (own && sqlite3_exec(cn->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		ret = lt__sq_fail(cn, err, "starting a search");
	if (ret == LT_OK)
		ret = name_search(cn, qy, fts, after, c, err);
	if (own && !sqlite3_get_autocommit(cn->db) && sqlite3_exec(cn->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (ret == LT_OK)
			ret = lt__sq_fail(cn, err, "ending a search");
		sqlite3_exec(cn->db, "ROLLBACK", NULL, NULL, NULL);
	}
	lt__sq_release(st, cn);
	return ret;
}

/* This backend's cursors: "@" and the last rowid for a name search (rowid
 * order), the last row's reversed code for the others (tree order). */
static int read_cursor(const char *cursor, bool by_row, int64_t *after_row, const char **after, struct lt_err *err)
{
	*after_row = 0;
	*after = NULL;
	if (!cursor || !*cursor)
		return LT_OK;
	long long row;
	if (by_row && cursor[0] == '@' && lt_text_int(cursor + 1, 1, INT64_MAX, &row)) {
		*after_row = row;
		return LT_OK;
	}
	if (!by_row && strlen(cursor) < LT_CODE_BUFSZ && strspn(cursor, "ABCDEFGHIJKW0123456789.") == strlen(cursor)) {
		*after = cursor;
		return LT_OK;
	}
	*after_row = 0;
	return lt_err_set(err, LT_EINVAL, "cursor is not one this server gave out for this query");
}

static void make_cursor(const struct counted *c, bool by_row, char *next)
{
	if (!c->n)
		next[0] = '\0';
	else if (by_row)
		snprintf(next, LT_CURSOR_BUFSZ, "@%lld", (long long)c->last_row);
	else
		lt_code_rev(c->last_code, next);
}

static int sq_search(struct lt_store *s, const struct lt_search_query *qy, lt_unit_cb cb, void *ctx, char *next,
		     struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	bool by_row = qy->text_fold && *qy->text_fold;
	int64_t after_row;
	const char *after;
	int rc = read_cursor(qy->cursor, by_row, &after_row, &after, err);
	if (rc)
		return rc;
	struct counted c = {cb, ctx, 0, 0, ""};
	if (by_row) {
		char *fts = fts_query(qy->text_fold);
		if (!fts)
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		if (*fts) {
			int ret = sq_name_search(st, qy, fts, after_row, &c, err);
			free(fts);
			make_cursor(&c, true, next);
			return ret;
		}
		/* Text without a word ("..."): no match condition, the rest as
		 * for a name search, in rowid order. */
		free(fts);
	}
	char sql[1024];
	int n = snprintf(sql, sizeof sql, "SELECT " UNIT_SEL " FROM units WHERE 1");
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
	if (after)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND sort_key > ?7");
	if (by_row && after_row)
		n += snprintf(sql + n, sizeof sql - (size_t)n, " AND rowid > ?10");
	snprintf(sql + n, sizeof sql - (size_t)n, by_row ? " ORDER BY rowid LIMIT ?8" : " ORDER BY sort_key LIMIT ?8");

	struct lt__sq_conn *cn = lt__sq_acquire(st, false, err);
	if (!cn)
		return LT_EIO;
	sqlite3_stmt *q;
	/* Prepared per shape: the shapes are few and preparing is cheap next to
	 * reading a page. */
	if (sqlite3_prepare_v2(cn->db, sql, -1, &q, NULL) != SQLITE_OK) {
		rc = lt__sq_fail(cn, err, "preparing a search");
		lt__sq_release(st, cn);
		return rc;
	}
	char glob[LT_CODE_BUFSZ + 4], under[LT_CODE_BUFSZ + 4];
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
	if (after)
		lt__sq_bind_text(q, 7, after);
	sqlite3_bind_int(q, 8, qy->limit > 0 ? qy->limit : 50);
	if (by_row && after_row)
		sqlite3_bind_int64(q, 10, after_row);
	int ret = each_unit(cn, q, count_row, &c, &c.last_row, err);
	make_cursor(&c, by_row, next);
	sqlite3_finalize(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_numbers_used(struct lt_store *s, const char *parent, unsigned **out, size_t *count, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	size_t cap = 16, n = 0;
	unsigned *v = malloc(cap * sizeof *v);
	if (!v)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_NUMBERS, &cn, err);
	if (!q) {
		free(v);
		return LT_EIO;
	}
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

static int sq_lineage_add(struct lt_store *s, const char *pred, const char *succ, int64_t change_id, struct lt_err *err)
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
	/* A document waiting for a system of pred now waits for succ's. */
	if (ret == LT_OK)
		ret = lt__sq_xhand_over(cn, succ, err);
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
	const char *v[] = {c->kind,
			   c->effective,
			   c->reorganized,
			   c->at,
			   c->actor,
			   c->decision.number,
			   c->decision.date,
			   c->decision.issuer,
			   c->summary ? c->summary : "{}",
			   c->recorded};
	for (int i = 0; i < 10; i++)
		lt__sq_bind_text(q, i + 1, v[i]);
	if (c->id > 0) /* a change copied from a mirror keeps its id; NULL assigns the next */
		sqlite3_bind_int64(q, 11, c->id);
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

/* Parameters 1-7 of both event inserts: change, kind, code, parent, sort key
 * (into rev, which must live until the step), at, effective. */
static void bind_event_head(sqlite3_stmt *q, const struct lt_event *ev, char rev[LT_CODE_BUFSZ])
{
	sqlite3_bind_int64(q, 1, ev->change_id);
	bind_static(q, 2, ev->kind);
	bind_static(q, 3, ev->code);
	bind_static(q, 4, ev->parent);
	bind_static(q, 5, lt_code_rev(ev->code, rev));
	bind_static(q, 6, ev->at);
	bind_static(q, 7, ev->effective);
}

/* Runs a bound event insert: the new sequence number into ev, the registry
 * marked changed, the connection given back. */
static int run_event_insert(struct lt__sq_store *st, struct lt__sq_conn *cn, sqlite3_stmt *q, struct lt_event *ev,
			    struct lt_err *err)
{
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_DONE)
		ev->seq = sqlite3_last_insert_rowid(cn->db);
	else
		ret = lt__sq_fail(cn, err, "appending to the event log");
	unbind(q);
	if (ret == LT_OK)
		lt__sq_registry_changed(st);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_event_append(struct lt_store *s, struct lt_event *ev, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_EVENT_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	char rev[LT_CODE_BUFSZ];
	bind_event_head(q, ev, rev);
	bind_static(q, 8, ev->data);
	return run_event_insert(st, cn, q, ev, err);
}

static int sq_event_append_unit(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
				struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_EVENT_ADD_UNIT, &cn, err);
	if (!q)
		return LT_EIO;
	char rev[LT_CODE_BUFSZ];
	bind_event_head(q, ev, rev);
	bind_static(q, 8, u->name);
	sqlite3_bind_int(q, 9, u->level);
	bind_static(q, 10, u->status == LT_UNIT_ACTIVE ? "active" : "closed");
	const char *texts[] = {u->contact.address, u->contact.email,   u->contact.phone, u->contact.fax,
			       u->contact.website, u->decision.number, u->decision.date, u->decision.issuer,
			       u->valid_from,      u->valid_to,        u->reorganized,   u->recorded};
	for (int i = 0; i < 12; i++)
		bind_static(q, 11 + i, texts[i]);
	sqlite3_bind_int64(q, 23, u->version);
	bind_static(q, 24, actor);
	return run_event_insert(st, cn, q, ev, err);
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

static int sq_events_after(struct lt_store *s, int64_t after, int limit, lt_event_cb cb, void *ctx, struct lt_err *err)
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

static int sq_last_seq(struct lt_store *s, int64_t *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_LAST_SEQ, &cn, err);
	if (!q)
		return LT_EIO;
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	else
		ret = lt__sq_fail(cn, err, "reading the last event's number");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
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
/* The level index of name searches, kept row by row, made an import of
 * 100,000 units 0.3 s slower, about a tenth, where building it afresh at the
 * end takes 0.05 s: four values of level, so the rows go to four places in
 * it, none of them its end. Must match migration 7. */
static const char LEVEL_INDEX[] = "CREATE INDEX units_level_rowid ON units(level)";
/* The indexes no look-up of a bulk load uses: an import at least as large
 * as what the registry holds builds them afresh at the end, one sort each,
 * instead of placing every row in each of them (the units by parent and by
 * level, the events by parent and in tree order). Must match migration 1. */
static const char SECONDARY_DROP[] =
	"DROP INDEX units_parent; DROP INDEX units_level; DROP INDEX events_parent; DROP INDEX events_sort;";
static const char SECONDARY_CREATE[] =
	"CREATE INDEX units_parent ON units(parent, sort_key); CREATE INDEX units_level ON units(level, sort_key);"
	"CREATE INDEX events_parent ON events(parent, code); CREATE INDEX events_sort ON events(sort_key);";
/* The indexes by code, for a bulk load of fresh codes as large as the
 * registry: rows come in tree order, so they would go into these at random
 * places, and past a few hundred thousand units those B-trees outgrow the
 * page cache and each insert reads pages back (the 1 M import took 14 times
 * the 100 k one). Built afresh at the end, one sort each; a second row of a
 * code is refused by the unique sort key before that. Must match migrations
 * 1 and 16. */
static const char CODE_DROP[] = "DROP INDEX units_code; DROP INDEX events_code;";
static const char CODE_CREATE[] =
	"CREATE UNIQUE INDEX units_code ON units(code); CREATE INDEX events_code ON events(code, effective, seq);";
static _Thread_local sqlite3_int64 bulk_from;
static _Thread_local bool bulk_rebuild;

void lt__sq_bulk_over(void)
{
	bulk_rebuild = false;
	bulk_fresh = false;
}

static sqlite3_int64 one_int(sqlite3 *db, const char *sql, bool *ok)
{
	sqlite3_stmt *q = NULL;
	sqlite3_int64 v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	else
		*ok = false;
	sqlite3_finalize(q);
	return v;
}

static int sq_bulk(struct lt_store *s, bool start, size_t rows, bool fresh, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn = lt__sq_acquire(st, true, err);
	if (!cn)
		return LT_EIO;
	int ret = LT_OK;
	if (start) {
		bool ok = true;
		bulk_from = one_int(cn->db, "SELECT coalesce(max(rowid), 0) FROM units", &ok);
		sqlite3_int64 events = one_int(cn->db, "SELECT coalesce(max(seq), 0) FROM events", &ok);
		bulk_rebuild = (sqlite3_int64)rows >= events && rows >= 1000;
		if (!ok)
			ret = lt__sq_fail(cn, err, "starting a bulk load");
		if (ret == LT_OK && sqlite3_exec(cn->db, "DROP TRIGGER units_ai; DROP INDEX units_level_rowid", NULL,
						 NULL, NULL) != SQLITE_OK)
			ret = lt__sq_fail(cn, err, "starting a bulk load");
		if (ret == LT_OK && bulk_rebuild && sqlite3_exec(cn->db, SECONDARY_DROP, NULL, NULL, NULL) != SQLITE_OK)
			ret = lt__sq_fail(cn, err, "starting a bulk load");
		if (ret == LT_OK && bulk_rebuild && fresh) {
			if (sqlite3_exec(cn->db, CODE_DROP, NULL, NULL, NULL) != SQLITE_OK)
				ret = lt__sq_fail(cn, err, "starting a bulk load");
			else
				bulk_fresh = true;
		}
	} else {
		char sql[160];
		snprintf(
			sql, sizeof sql,
			"INSERT INTO units_fts(rowid, name_fold) SELECT rowid, name_fold FROM units WHERE rowid > %lld",
			(long long)bulk_from);
		if (sqlite3_exec(cn->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(cn->db, UNITS_AI, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(cn->db, LEVEL_INDEX, NULL, NULL, NULL) != SQLITE_OK ||
		    (bulk_rebuild && sqlite3_exec(cn->db, SECONDARY_CREATE, NULL, NULL, NULL) != SQLITE_OK) ||
		    (bulk_fresh && sqlite3_exec(cn->db, CODE_CREATE, NULL, NULL, NULL) != SQLITE_OK))
			ret = lt__sq_fail(cn, err, "indexing a bulk load");
		bulk_rebuild = false;
		bulk_fresh = false;
	}
	lt__sq_release(st, cn);
	return ret;
}

/* Both lists come in order from an index (the units' unique sort key,
 * events_sort), and SQLite merges them as they step (a compound SELECT
 * ordered by its column): no sort, no temporary B-tree. */
static const char SQL_SORT_KEYS[] = "SELECT sort_key FROM units UNION SELECT sort_key FROM events ORDER BY 1";

static int sq_sort_keys(struct lt_store *s, lt_key_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_SORT_KEYS, &cn, err);
	if (!q)
		return LT_EIO;
	int rc, ret = LT_OK;
	while (ret == LT_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
		ret = cb(ctx, (const char *)sqlite3_column_text(q, 0));
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading the registry's codes");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

void lt__sq_units_ops(struct lt_store_ops *ops)
{
	ops->bulk = sq_bulk;
	ops->sort_keys = sq_sort_keys;
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
	ops->event_append_unit = sq_event_append_unit;
	ops->events_for = sq_events_for;
	ops->events_after = sq_events_after;
	ops->last_seq = sq_last_seq;
	ops->event_asof = sq_event_asof;
	ops->events_asof = sq_events_asof;
}
