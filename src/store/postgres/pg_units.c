/* The registry's tables on PostgreSQL: units and their search words,
 * lineage, changes and the append-only event log. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/registry.h"
#include "lienthong/text.h"
#include "pg_store.h"

#define UNIT_COLS                                                                                                      \
	"code, parent, level, name, address, email, phone, fax, website, status, valid_from, valid_to, "               \
	"decision_number, decision_date, decision_issuer, reorganized, recorded, version"
#define UNIT_SEL UNIT_COLS ", id"
#define EVENT_COLS "seq, change_id, kind, code, parent, at, effective, data"
#define STATUS_FILTER "($2::integer = 2 OR status = $2::integer)"

static const char SQL_UNIT_GET[] = "SELECT " UNIT_SEL " FROM units WHERE code = $1";
static const char SQL_UNIT_PUT[] =
	"INSERT INTO units (" UNIT_COLS ", sort_key, name_fold, name_words) VALUES "
	"($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21) "
	"ON CONFLICT (code) DO UPDATE SET parent = EXCLUDED.parent, level = EXCLUDED.level, name = EXCLUDED.name, "
	"address = EXCLUDED.address, email = EXCLUDED.email, phone = EXCLUDED.phone, fax = EXCLUDED.fax, "
	"website = EXCLUDED.website, status = EXCLUDED.status, valid_from = EXCLUDED.valid_from, "
	"valid_to = EXCLUDED.valid_to, decision_number = EXCLUDED.decision_number, "
	"decision_date = EXCLUDED.decision_date, decision_issuer = EXCLUDED.decision_issuer, "
	"reorganized = EXCLUDED.reorganized, recorded = EXCLUDED.recorded, version = EXCLUDED.version, "
	"sort_key = EXCLUDED.sort_key, name_fold = EXCLUDED.name_fold, name_words = EXCLUDED.name_words";
static const char SQL_CHILDREN[] =
	"SELECT " UNIT_SEL " FROM units WHERE parent = $1 AND " STATUS_FILTER " ORDER BY sort_key";
static const char SQL_SUBTREE[] =
	"SELECT " UNIT_SEL " FROM units WHERE sort_key LIKE $1 AND code <> $3 AND " STATUS_FILTER " ORDER BY sort_key";
static const char SQL_NUMBERS[] = "SELECT code FROM units WHERE parent = $1 UNION SELECT code FROM events "
				  "WHERE parent = $1";
static const char SQL_LINEAGE_ADD[] = "INSERT INTO lineage (pred, succ, change_id) VALUES ($1, $2, $3) "
				      "ON CONFLICT DO NOTHING";
static const char SQL_SUCCESSORS[] = "SELECT succ FROM lineage WHERE pred = $1 ORDER BY succ";
static const char SQL_PREDECESSORS[] = "SELECT pred FROM lineage WHERE succ = $1 ORDER BY pred";
static const char SQL_CHANGE_ADD[] = "INSERT INTO changes (kind, effective, reorganized, at, actor, decision_number, "
				     "decision_date, decision_issuer, summary, recorded) VALUES "
				     "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id";
/* A change copied from a mirror keeps its id; the identity then moves past
 * it, so the next change assigned here does not take it again. */
static const char SQL_CHANGE_COPY[] =
	"WITH i AS (INSERT INTO changes (kind, effective, reorganized, at, actor, decision_number, decision_date, "
	"decision_issuer, summary, recorded, id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id) "
	"SELECT id, setval(pg_get_serial_sequence('changes', 'id'), greatest(id, (SELECT coalesce(max(id), 0) "
	"FROM changes))) FROM i";
static const char SQL_CHANGES[] = "SELECT id, kind, effective, reorganized, at, actor, decision_number, "
				  "decision_date, decision_issuer, summary, recorded FROM changes ORDER BY id";
/* The counter row is locked by the UPDATE until this transaction ends: the
 * next writer waits for it, so numbers are given in commit order, and a
 * rollback gives the number back. */
static const char SQL_EVENT_ADD[] =
	"WITH n AS (UPDATE feed_counter SET seq = seq + 1 WHERE one = 1 RETURNING seq) "
	"INSERT INTO events (seq, change_id, kind, code, parent, sort_key, at, effective, data) "
	"SELECT n.seq, $1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text FROM n "
	"RETURNING seq";
static const char SQL_EVENTS_FOR[] = "SELECT " EVENT_COLS " FROM events WHERE code = $1 ORDER BY seq";
static const char SQL_EVENTS_AFTER[] = "SELECT " EVENT_COLS " FROM events WHERE seq > $1 ORDER BY seq LIMIT $2";
static const char SQL_LAST_SEQ[] = "SELECT coalesce(max(seq), 0) FROM events";
/* The registry's sort keys after $1, a page at a time: a bulk load reads
 * them inside its transaction, where rows are not streamed but read whole,
 * so a page bounds what is held. Both lists come from an index in order. */
static const char SQL_SORT_KEYS[] = "SELECT k FROM (SELECT sort_key AS k FROM units WHERE sort_key > $1 "
				    "UNION SELECT sort_key FROM events WHERE sort_key > $1) x ORDER BY k LIMIT $2";
#define SORT_KEYS_PAGE 10000
static const char SQL_EVENT_ASOF[] = "SELECT " EVENT_COLS " FROM events WHERE code = $1 AND effective <= $2 "
				     "ORDER BY effective DESC, seq DESC LIMIT 1";
#define ASOF_LATEST(where)                                                                                             \
	"SELECT " EVENT_COLS " FROM (SELECT *, row_number() OVER (PARTITION BY code ORDER BY effective DESC, "         \
	"seq DESC) AS rn FROM events WHERE " where " AND effective <= $1) e WHERE rn = 1 ORDER BY sort_key"
static const char SQL_EVENTS_ASOF_CHILDREN[] = ASOF_LATEST("parent = $2");
static const char SQL_EVENTS_ASOF_SUBTREE[] = ASOF_LATEST("sort_key LIKE $2 AND code <> $3");
static const char SQL_EVENTS_ASOF_ALL[] = ASOF_LATEST("true");

static void read_unit(const PGresult *r, int i, struct lt_unit *u)
{
	memset(u, 0, sizeof *u);
	lt__pg_copy(r, i, 0, u->code, sizeof u->code);
	lt__pg_copy(r, i, 1, u->parent, sizeof u->parent);
	u->level = (int)lt__pg_i64(r, i, 2);
	lt__pg_copy(r, i, 3, u->name, sizeof u->name);
	lt__pg_copy(r, i, 4, u->contact.address, sizeof u->contact.address);
	lt__pg_copy(r, i, 5, u->contact.email, sizeof u->contact.email);
	lt__pg_copy(r, i, 6, u->contact.phone, sizeof u->contact.phone);
	lt__pg_copy(r, i, 7, u->contact.fax, sizeof u->contact.fax);
	lt__pg_copy(r, i, 8, u->contact.website, sizeof u->contact.website);
	u->status = lt__pg_i64(r, i, 9) ? LT_UNIT_CLOSED : LT_UNIT_ACTIVE;
	lt__pg_copy(r, i, 10, u->valid_from, sizeof u->valid_from);
	lt__pg_copy(r, i, 11, u->valid_to, sizeof u->valid_to);
	lt__pg_copy(r, i, 12, u->decision.number, sizeof u->decision.number);
	lt__pg_copy(r, i, 13, u->decision.date, sizeof u->decision.date);
	lt__pg_copy(r, i, 14, u->decision.issuer, sizeof u->decision.issuer);
	lt__pg_copy(r, i, 15, u->reorganized, sizeof u->reorganized);
	lt__pg_copy(r, i, 16, u->recorded, sizeof u->recorded);
	u->version = lt__pg_i64(r, i, 17);
	/* Column 18, the row number, orders name searches and makes their
	 * cursors (pg_search); it stays inside this backend. */
}

static int read_event(const PGresult *r, int i, struct lt_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->seq = lt__pg_i64(r, i, 0);
	ev->change_id = lt__pg_i64(r, i, 1);
	lt__pg_copy(r, i, 2, ev->kind, sizeof ev->kind);
	lt__pg_copy(r, i, 3, ev->code, sizeof ev->code);
	lt__pg_copy(r, i, 4, ev->parent, sizeof ev->parent);
	lt__pg_copy(r, i, 5, ev->at, sizeof ev->at);
	lt__pg_copy(r, i, 6, ev->effective, sizeof ev->effective);
	ev->data = strdup(PQgetvalue(r, i, 7));
	return ev->data ? LT_OK : LT_ENOMEM;
}

/* Units as they stream (lt__pg_stream), one row at a time; a non-zero cb
 * result stops the list and is returned. */
struct unit_rows {
	lt_unit_cb cb;
	void *ctx;
	struct lt_unit u;
};

static int unit_row(const PGresult *r, int row, void *ctx, struct lt_err *err)
{
	(void)err;
	struct unit_rows *ur = ctx;
	read_unit(r, row, &ur->u);
	return ur->cb(ur->ctx, &ur->u);
}

static int stream_units(struct lt_store *s, const char *sql, int n, const char *const *v, lt_unit_cb cb, void *ctx,
			struct lt_err *err)
{
	struct unit_rows *ur = malloc(sizeof *ur);
	if (!ur)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	ur->cb = cb;
	ur->ctx = ctx;
	int rc = lt__pg_stream(lt__pg(s), sql, n, v, unit_row, ur, err, "reading units");
	free(ur);
	return rc;
}

static int each_event(PGresult *r, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	int ret = LT_OK;
	for (int i = 0; ret == LT_OK && i < PQntuples(r); i++) {
		struct lt_event ev;
		if (read_event(r, i, &ev) != LT_OK) {
			ret = lt_err_set(err, LT_ENOMEM, "out of memory");
			break;
		}
		ret = cb(ctx, &ev);
		lt_event_clear(&ev);
	}
	PQclear(r);
	return ret;
}

/* A LIKE pattern matching what starts with prefix. */
static void like_prefix(const char *prefix, char *out, size_t n)
{
	size_t o = 0;
	for (const char *p = prefix; *p && o + 3 < n; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o++] = '%';
	out[o] = '\0';
}

static int pg_unit_get(struct lt_store *s, const char *code, struct lt_unit *out, struct lt_err *err)
{
	PGresult *r;
	const char *v[] = {code};
	int rc = lt__pg_run(lt__pg(s), SQL_UNIT_GET, 1, v, &r, err, "reading a unit");
	if (rc)
		return rc;
	if (PQntuples(r) == 1)
		read_unit(r, 0, out);
	else
		rc = lt_err_set(err, LT_ENOTFOUND, "no unit with code %s in the registry", code);
	PQclear(r);
	return rc;
}

static int pg_unit_put(struct lt_store *s, const struct lt_unit *u, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	char rev[LT_CODE_BUFSZ], fold[LT_NAME_MAX * 2], level[24], status[24], version[24];
	lt_text_fold(u->name, fold, sizeof fold);
	char *words = lt__pg_words(fold);
	if (!words)
		return lt_err_set(err, LT_ENOMEM, "out of memory while indexing a unit's name");
	const char *v[] = {u->code,
			   u->parent,
			   lt__pg_itoa(level, u->level),
			   u->name,
			   u->contact.address,
			   u->contact.email,
			   u->contact.phone,
			   u->contact.fax,
			   u->contact.website,
			   lt__pg_itoa(status, u->status == LT_UNIT_CLOSED),
			   u->valid_from,
			   u->valid_to,
			   u->decision.number,
			   u->decision.date,
			   u->decision.issuer,
			   u->reorganized,
			   u->recorded,
			   lt__pg_itoa(version, u->version),
			   lt_code_rev(u->code, rev),
			   fold,
			   words};
	struct lt__pg_conn *c = lt__pg_acquire(st, err);
	int rc = c ? lt__pg_q(c, SQL_UNIT_PUT, 21, v, NULL, err, "writing a unit") : err->status;
	if (rc == LT_OK)
		lt__pg_registry_changed(st, c);
	lt__pg_release(st, c);
	free(words);
	return rc;
}

static int pg_children(struct lt_store *s, const char *parent, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		       struct lt_err *err)
{
	char fb[24];
	const char *v[] = {parent, lt__pg_itoa(fb, f)};
	return stream_units(s, SQL_CHILDREN, 2, v, cb, ctx, err);
}

static int pg_subtree(struct lt_store *s, const char *root, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		      struct lt_err *err)
{
	char prefix[LT_CODE_BUFSZ + 2], like[2 * LT_CODE_BUFSZ + 4], fb[24];
	like_prefix(lt__code_rev_prefix(root, prefix), like, sizeof like);
	const char *v[] = {like, lt__pg_itoa(fb, f), root};
	return stream_units(s, SQL_SUBTREE, 3, v, cb, ctx, err);
}

/* The query text grows by conditions, each with its parameters. */
struct query {
	char sql[2048];
	size_t len;
	const char *v[48];
	char own[48][2 * LT_CODE_BUFSZ + 8]; /* storage for numbers and patterns */
	int n;
};

static void add(struct query *q, const char *text)
{
	q->len += lt_text_format(q->sql + q->len, sizeof q->sql - q->len, "%s", text);
}

/* Appends cond with its "$$" replaced by the next parameter, value v. */
static int add_param(struct query *q, const char *cond, const char *v)
{
	if (q->n == 48)
		return LT_ETOOBIG;
	q->n++;
	const char *mark = strstr(cond, "$$");
	q->len += lt_text_format(q->sql + q->len, sizeof q->sql - q->len, "%.*s$%d%s", (int)(mark - cond), cond, q->n,
				 mark + 2);
	q->v[q->n - 1] = v;
	return LT_OK;
}

static char *slot(struct query *q) { return q->own[q->n]; }

/* A word of the query as a LIKE pattern on name_words: its tokens in a
 * row, the last one a prefix (SQLite's "word"* phrase). NULL when the word
 * has no token (a lone dash), which the full-text query ignores. */
static char *word_pattern(const char *word, size_t len)
{
	char *w = strndup(word, len);
	char *toks = w ? lt__pg_words(w) : NULL;
	free(w);
	if (!toks)
		return NULL;
	size_t n = strlen(toks);
	if (n <= 1) {
		free(toks);
		return NULL;
	}
	char *pat = malloc(2 * n + 2);
	if (pat) {
		size_t o = 0;
		pat[o++] = '%';
		for (size_t i = 0; i + 1 < n; i++) { /* the final space dropped: a prefix */
			if (toks[i] == '%' || toks[i] == '_' || toks[i] == '\\')
				pat[o++] = '\\';
			pat[o++] = toks[i];
		}
		pat[o++] = '%';
		pat[o] = '\0';
	}
	free(toks);
	return pat;
}

#define MAX_WORDS 32

static int pg_search(struct lt_store *s, const struct lt_search_query *qy, lt_unit_cb cb, void *ctx, char *next,
		     struct lt_err *err)
{
	struct query *q = calloc(1, sizeof *q);
	char *pats[MAX_WORDS] = {0};
	int npats = 0, words = 0, ret = LT_OK;
	if (!q)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	/* Words as SQLite's name search cuts them (spaces and dots); the
	 * filters then are parent, subtree, level and status, the order the
	 * row number's. Any text (words or not) orders by the row number,
	 * cursor "@" and the last row's id; else tree order, cursor the last
	 * row's reversed code, as the SQLite backend's. */
	bool by_row = qy->text_fold && *qy->text_fold;
	int64_t after_row = 0;
	const char *after = NULL;
	if (qy->cursor && *qy->cursor) {
		long long row;
		if (by_row && qy->cursor[0] == '@' && lt_text_int(qy->cursor + 1, 1, INT64_MAX, &row))
			after_row = row;
		else if (!by_row && strlen(qy->cursor) < LT_CODE_BUFSZ &&
			 strspn(qy->cursor, "ABCDEFGHIJKW0123456789.") == strlen(qy->cursor))
			after = qy->cursor;
		else
			ret = lt_err_set(err, LT_EINVAL, "cursor is not one this server gave out for this query");
	}
	for (const char *p = qy->text_fold ? qy->text_fold : ""; *p;) {
		size_t len = strcspn(p, " .");
		if (len) {
			words++;
			char *pat = word_pattern(p, len);
			if (pat && npats == MAX_WORDS) {
				free(pat);
				ret = lt_err_set(err, LT_EINVAL, "a name search takes at most %d words", MAX_WORDS);
				break;
			}
			if (pat)
				pats[npats++] = pat;
		}
		p += len;
		p += strspn(p, " .");
	}
	bool by_name = words > 0;
	add(q, "SELECT " UNIT_SEL " FROM units WHERE true");
	if (by_name && npats == 0)
		add(q, " AND false"); /* only words without a token: SQLite's index finds nothing */
	for (int i = 0; i < npats && ret == LT_OK; i++)
		ret = add_param(q, " AND name_words LIKE $$", pats[i]);
	if (!by_name && qy->code_rev) {
		like_prefix(qy->code_rev, slot(q), sizeof q->own[0]);
		ret = ret ? ret : add_param(q, " AND sort_key LIKE $$", slot(q));
	}
	if (qy->parent)
		ret = ret ? ret : add_param(q, " AND parent = $$", qy->parent);
	if (qy->under) {
		char prefix[LT_CODE_BUFSZ + 2];
		like_prefix(lt__code_rev_prefix(qy->under, prefix), slot(q), sizeof q->own[0]);
		ret = ret ? ret : add_param(q, " AND sort_key LIKE $$", slot(q));
		ret = ret ? ret : add_param(q, " AND code <> $$", qy->under);
	}
	if (qy->level)
		ret = ret ? ret : add_param(q, " AND level = $$::integer", lt__pg_itoa(slot(q), qy->level));
	if (qy->status != LT_FILTER_ALL)
		ret = ret ? ret
			  : add_param(q, " AND status = $$::integer",
				      lt__pg_itoa(slot(q), qy->status == LT_FILTER_CLOSED));
	if (after)
		ret = ret ? ret : add_param(q, " AND sort_key > $$", after);
	if (after_row > 0)
		ret = ret ? ret : add_param(q, " AND id > $$::bigint", lt__pg_itoa(slot(q), after_row));
	add(q, by_row ? " ORDER BY id" : " ORDER BY sort_key");
	ret = ret ? ret : add_param(q, " LIMIT $$::bigint", lt__pg_itoa(slot(q), qy->limit > 0 ? qy->limit : 50));
	if (ret == LT_ETOOBIG)
		ret = lt_err_set(err, LT_EINVAL, "too many search conditions");
	PGresult *r = NULL;
	if (ret == LT_OK) {
		struct lt__pg_store *st = lt__pg(s);
		struct lt__pg_conn *c = lt__pg_acquire(st, err);
		ret = c ? lt__pg_q_text(c, q->sql, q->n, q->v, &r, err, "searching units") : err->status;
		lt__pg_release(st, c);
	}
	for (int i = 0; i < npats; i++)
		free(pats[i]);
	free(q);
	next[0] = '\0';
	if (ret)
		return ret;
	struct lt_unit *u = malloc(sizeof *u);
	ret = u ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
	int i = 0;
	for (; ret == LT_OK && i < PQntuples(r); i++) {
		read_unit(r, i, u);
		ret = cb(ctx, u);
	}
	if (i > 0 && by_row)
		snprintf(next, LT_CURSOR_BUFSZ, "@%lld", (long long)lt__pg_i64(r, i - 1, 18));
	else if (i > 0)
		lt_code_rev(PQgetvalue(r, i - 1, 0), next);
	free(u);
	PQclear(r);
	return ret;
}

static int pg_numbers_used(struct lt_store *s, const char *parent, unsigned **out, size_t *count, struct lt_err *err)
{
	PGresult *r;
	const char *v[] = {parent};
	int rc = lt__pg_run(lt__pg(s), SQL_NUMBERS, 1, v, &r, err, "reading used numbers");
	if (rc)
		return rc;
	unsigned *nums = malloc(((size_t)PQntuples(r) + 1) * sizeof *nums);
	size_t n = 0;
	for (int i = 0; nums && i < PQntuples(r); i++) {
		struct lt_code c;
		if (lt_code_parse(&c, PQgetvalue(r, i, 0), LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) == LT_OK)
			nums[n++] = lt_code_number(&c);
	}
	PQclear(r);
	if (!nums)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	*out = nums;
	*count = n;
	return LT_OK;
}

static int pg_lineage_add(struct lt_store *s, const char *pred, const char *succ, int64_t change_id, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	char id[24];
	const char *v[] = {pred, succ, lt__pg_itoa(id, change_id)};
	bool own;
	struct lt__pg_conn *c = lt__pg_begin_own(st, &own, err);
	if (!c)
		return err->status;
	int rc = lt__pg_q(c, SQL_LINEAGE_ADD, 3, v, NULL, err, "writing lineage");
	/* A document waiting for a system of pred now waits for succ's. */
	if (rc == LT_OK)
		rc = lt__pg_xhand_over(c, succ, err);
	if (rc == LT_OK)
		lt__pg_registry_changed(st, c);
	return lt__pg_end_own(st, c, own, rc, err);
}

static int pg_lineage(struct lt_store *s, const char *code, bool successors, struct lt_codelist *out,
		      struct lt_err *err)
{
	PGresult *r = NULL;
	const char *v[] = {code};
	int rc =
		lt__pg_run(lt__pg(s), successors ? SQL_SUCCESSORS : SQL_PREDECESSORS, 1, v, &r, err, "reading lineage");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++)
		if (lt_codelist_add(out, PQgetvalue(r, i, 0)))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	PQclear(r);
	return rc;
}

static int pg_change_add(struct lt_store *s, struct lt_change *c, struct lt_err *err)
{
	char id[24];
	const char *v[] = {c->kind,
			   c->effective,
			   c->reorganized,
			   c->at,
			   c->actor,
			   c->decision.number,
			   c->decision.date,
			   c->decision.issuer,
			   c->summary ? c->summary : "{}",
			   c->recorded,
			   lt__pg_itoa(id, c->id)};
	PGresult *r;
	int rc = c->id > 0 ? lt__pg_run(lt__pg(s), SQL_CHANGE_COPY, 11, v, &r, err, "recording a change")
			   : lt__pg_run(lt__pg(s), SQL_CHANGE_ADD, 10, v, &r, err, "recording a change");
	if (rc == LT_OK) {
		c->id = lt__pg_i64(r, 0, 0);
		PQclear(r);
	}
	return rc;
}

struct change_rows {
	lt_change_cb cb;
	void *ctx;
};

static int change_row(const PGresult *r, int i, void *ctx, struct lt_err *err)
{
	(void)err;
	struct change_rows *cr = ctx;
	struct lt_change c = {0};
	c.id = lt__pg_i64(r, i, 0);
	lt__pg_copy(r, i, 1, c.kind, sizeof c.kind);
	lt__pg_copy(r, i, 2, c.effective, sizeof c.effective);
	lt__pg_copy(r, i, 3, c.reorganized, sizeof c.reorganized);
	lt__pg_copy(r, i, 4, c.at, sizeof c.at);
	lt__pg_copy(r, i, 5, c.actor, sizeof c.actor);
	lt__pg_copy(r, i, 6, c.decision.number, sizeof c.decision.number);
	lt__pg_copy(r, i, 7, c.decision.date, sizeof c.decision.date);
	lt__pg_copy(r, i, 8, c.decision.issuer, sizeof c.decision.issuer);
	c.summary = PQgetvalue(r, i, 9);
	lt__pg_copy(r, i, 10, c.recorded, sizeof c.recorded);
	return cr->cb(cr->ctx, &c);
}

static int pg_changes(struct lt_store *s, lt_change_cb cb, void *ctx, struct lt_err *err)
{
	struct change_rows cr = {cb, ctx};
	return lt__pg_stream(lt__pg(s), SQL_CHANGES, 0, NULL, change_row, &cr, err, "reading changes");
}

static int pg_event_append(struct lt_store *s, struct lt_event *ev, struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	char rev[LT_CODE_BUFSZ], id[24];
	const char *v[] = {lt__pg_itoa(id, ev->change_id), ev->kind, ev->code,      ev->parent,
			   lt_code_rev(ev->code, rev),     ev->at,   ev->effective, ev->data ? ev->data : "{}"};
	struct lt__pg_conn *c = lt__pg_acquire(st, err);
	PGresult *r = NULL;
	int rc = c ? lt__pg_q(c, SQL_EVENT_ADD, 8, v, &r, err, "appending to the event log") : err->status;
	if (rc == LT_OK) {
		ev->seq = lt__pg_i64(r, 0, 0);
		PQclear(r);
		lt__pg_registry_changed(st, c);
	}
	lt__pg_release(st, c);
	return rc;
}

/* The event's data built here with the registry's own writer: one
 * statement per event either way, and the text is what lt__event_add has
 * always stored. */
static int pg_event_append_unit(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
				struct lt_err *err)
{
	json_t *data = json_pack("{s:o,s:s}", "unit", lt_unit_to_json(u, NULL, NULL), "actor", actor ? actor : "");
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	if (!text)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	char *was = ev->data;
	ev->data = text;
	int rc = pg_event_append(s, ev, err);
	ev->data = was;
	free(text);
	return rc;
}

static int pg_events_for(struct lt_store *s, const char *code, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	PGresult *r;
	const char *v[] = {code};
	int rc = lt__pg_run(lt__pg(s), SQL_EVENTS_FOR, 1, v, &r, err, "reading events");
	return rc ? rc : each_event(r, cb, ctx, err);
}

static int pg_events_after(struct lt_store *s, int64_t after, int limit, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	char a[24], l[24];
	const char *v[] = {lt__pg_itoa(a, after), lt__pg_itoa(l, limit)};
	PGresult *r;
	int rc = lt__pg_run(lt__pg(s), SQL_EVENTS_AFTER, 2, v, &r, err, "reading events");
	return rc ? rc : each_event(r, cb, ctx, err);
}

static int pg_sort_keys(struct lt_store *s, lt_key_cb cb, void *ctx, struct lt_err *err)
{
	char after[LT_CODE_BUFSZ] = "", lim[24];
	const char *v[] = {after, lt__pg_itoa(lim, SORT_KEYS_PAGE)};
	for (;;) {
		PGresult *r;
		int rc = lt__pg_run(lt__pg(s), SQL_SORT_KEYS, 2, v, &r, err, "reading the registry's codes");
		if (rc)
			return rc;
		int n = PQntuples(r);
		for (int i = 0; rc == LT_OK && i < n; i++)
			rc = cb(ctx, PQgetvalue(r, i, 0));
		if (n > 0)
			snprintf(after, sizeof after, "%s", PQgetvalue(r, n - 1, 0));
		PQclear(r);
		if (rc || n < SORT_KEYS_PAGE)
			return rc;
	}
}

static int pg_last_seq(struct lt_store *s, int64_t *out, struct lt_err *err)
{
	PGresult *r;
	int rc = lt__pg_run(lt__pg(s), SQL_LAST_SEQ, 0, NULL, &r, err, "reading the last event's number");
	if (rc == LT_OK) {
		*out = lt__pg_i64(r, 0, 0);
		PQclear(r);
	}
	return rc;
}

static int pg_event_asof(struct lt_store *s, const char *code, const char *date, struct lt_event *out,
			 struct lt_err *err)
{
	PGresult *r;
	const char *v[] = {code, date};
	int rc = lt__pg_run(lt__pg(s), SQL_EVENT_ASOF, 2, v, &r, err, "reading the event log");
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "%s did not exist on %s", code, date);
	else if (read_event(r, 0, out) != LT_OK)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	PQclear(r);
	return rc;
}

static int pg_events_asof(struct lt_store *s, const char *parent, bool subtree, const char *date, lt_event_cb cb,
			  void *ctx, struct lt_err *err)
{
	char prefix[LT_CODE_BUFSZ + 2], like[2 * LT_CODE_BUFSZ + 4];
	const char *v[3] = {date, parent, parent};
	const char *sql = SQL_EVENTS_ASOF_CHILDREN;
	int n = 2;
	if (!parent) {
		sql = SQL_EVENTS_ASOF_ALL;
		n = 1;
	} else if (subtree) {
		like_prefix(lt__code_rev_prefix(parent, prefix), like, sizeof like);
		v[1] = like;
		sql = SQL_EVENTS_ASOF_SUBTREE;
		n = 3;
	}
	PGresult *r;
	int rc = lt__pg_run(lt__pg(s), sql, n, v, &r, err, "reading the event log");
	return rc ? rc : each_event(r, cb, ctx, err);
}

void lt__pg_units_ops(struct lt_store_ops *ops)
{
	ops->unit_get = pg_unit_get;
	ops->unit_put = pg_unit_put;
	ops->children = pg_children;
	ops->subtree = pg_subtree;
	ops->search = pg_search;
	ops->numbers_used = pg_numbers_used;
	ops->lineage_add = pg_lineage_add;
	ops->lineage = pg_lineage;
	ops->change_add = pg_change_add;
	ops->changes = pg_changes;
	ops->event_append = pg_event_append;
	ops->event_append_unit = pg_event_append_unit;
	ops->events_for = pg_events_for;
	ops->events_after = pg_events_after;
	ops->last_seq = pg_last_seq;
	ops->sort_keys = pg_sort_keys;
	ops->event_asof = pg_event_asof;
	ops->events_asof = pg_events_asof;
}
