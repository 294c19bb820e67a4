/* Campaign rows in SQLite (store_campaigns.h). */
#include <string.h>

#include "../campaign_ops.h"
#include "sqlite_store.h"

static const char SQL_ADD[] = "INSERT INTO campaigns (name, plan_id, since, under, baseline, created, actor) "
			      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
#define COLS "id, name, plan_id, since, under, baseline, created, actor"
static const char SQL_GET[] = "SELECT " COLS " FROM campaigns WHERE id = ?1";
static const char SQL_LIST[] = "SELECT " COLS " FROM campaigns ORDER BY id DESC";
static const char SQL_CODE_ADD[] = "INSERT OR IGNORE INTO campaign_codes (campaign_id, old_code, new_code) "
				   "VALUES (?1, ?2, ?3)";
static const char SQL_CODES[] = "SELECT old_code, new_code FROM campaign_codes WHERE campaign_id = ?1 "
				"ORDER BY old_code, new_code";
/* The codes (old and new), the systems bound to one, and those that sent
 * an edoc to one or were delivered one sent as one since ?2. */
static const char SQL_SYSTEMS[] =
	"WITH codes(code) AS (SELECT old_code FROM campaign_codes WHERE campaign_id = ?1"
	"  UNION SELECT new_code FROM campaign_codes WHERE campaign_id = ?1 AND new_code <> ''),"
	" bound(id) AS (SELECT DISTINCT c.system_id FROM system_codes c JOIN codes k ON k.code = c.code),"
	" traded(id) AS (SELECT d.system_id FROM xdocs d JOIN xdeliveries l ON l.doc = d.id"
	"  WHERE d.received >= ?2 AND d.kind = 'edoc'"
	"  AND (l.addressed IN (SELECT code FROM codes) OR l.routed_to IN (SELECT code FROM codes))"
	"  UNION SELECT l.system_id FROM xdocs d JOIN xdeliveries l ON l.doc = d.id"
	"  WHERE d.received >= ?2 AND d.kind = 'edoc' AND l.system_id <> 0"
	"  AND d.from_code IN (SELECT code FROM codes))"
	"SELECT s.id, s.id IN (SELECT id FROM bound), s.id IN (SELECT id FROM traded) FROM systems s"
	" WHERE s.removed = '' AND s.id <> ?3"
	" AND (s.id IN (SELECT id FROM bound) OR s.id IN (SELECT id FROM traded)) ORDER BY s.id";
static const char SQL_CLOSED[] = "SELECT code, valid_to FROM units WHERE status = 1 AND valid_to >= ?1 "
				 "ORDER BY sort_key";
static const char SQL_PROBE_ADD[] = "INSERT INTO probes (campaign_id, at, actor) VALUES (?1, ?2, ?3)";
static const char SQL_PROBE_LATEST[] = "SELECT id, campaign_id, at, actor FROM probes WHERE campaign_id = ?1 "
				       "ORDER BY id DESC LIMIT 1";
static const char SQL_PROBE_UNIT_ADD[] = "INSERT OR REPLACE INTO probe_units (probe_id, code, doc) VALUES (?1, ?2, ?3)";
static const char SQL_PROBE_UNITS[] = "SELECT p.code, p.doc FROM probe_units p JOIN units u ON u.code = p.code "
				      "WHERE p.probe_id = ?1 ORDER BY u.sort_key";
static const char SQL_FETCH_NOTE[] = "INSERT OR IGNORE INTO xfetches (doc, system_id, at) VALUES (?1, ?2, ?3)";
static const char SQL_FETCH_GET[] = "SELECT at FROM xfetches WHERE doc = ?1 AND system_id = ?2";
static const char SQL_USE_ADD[] =
	"INSERT INTO code_uses (system_id, code, role, day, n, last) VALUES (?1, ?2, ?3, substr(?4, 1, 10), 1, ?4) "
	"ON CONFLICT (day, system_id, code, role) DO UPDATE SET n = n + 1, last = max(last, excluded.last)";
static const char SQL_USES[] = "SELECT system_id, code, role, sum(n), max(last) FROM code_uses "
			       "WHERE day >= ?1 AND (?2 = 0 OR system_id = ?2) "
			       "GROUP BY system_id, code, role ORDER BY system_id, role, code";
static const char SQL_READ_NOTE[] = "INSERT INTO system_reads (system_id, what, at) VALUES (?1, ?2, ?3) "
				    "ON CONFLICT (system_id, what) DO UPDATE SET at = max(at, excluded.at)";
static const char SQL_READ_GET[] = "SELECT at FROM system_reads WHERE system_id = ?1 AND what = ?2";
static const char SQL_HUB_GET[] = "SELECT system_id FROM hub_senders WHERE code = ?1";
static const char SQL_HUB_SET[] = "INSERT OR REPLACE INTO hub_senders (code, system_id) VALUES (?1, ?2)";

/* A write of one statement; *id gets the new rowid when id is set. */
static int write1(struct lt_store *s, const char *sql, sqlite3_stmt **qp, struct lt__sq_conn **cp, struct lt_err *err)
{
	*qp = lt__sq_use(lt__sq(s), true, sql, cp, err);
	return *qp ? LT_OK : LT_EIO;
}

static int finish_write(struct lt_store *s, struct lt__sq_conn *cn, sqlite3_stmt *q, int64_t *id, struct lt_err *err,
			const char *what)
{
	int rc = lt__sq_exec(cn, q, err, what);
	if (rc == LT_OK && id)
		*id = sqlite3_last_insert_rowid(cn->db);
	lt__sq_release(lt__sq(s), cn);
	return rc;
}

static int sq_add(struct lt_store *s, struct lt_campaign_row *c, struct lt_err *err)
{
	sqlite3_stmt *q;
	struct lt__sq_conn *cn;
	if (write1(s, SQL_ADD, &q, &cn, err))
		return LT_EIO;
	lt__sq_bind_text(q, 1, c->name);
	sqlite3_bind_int64(q, 2, c->plan_id);
	lt__sq_bind_text(q, 3, c->since);
	lt__sq_bind_text(q, 4, c->under);
	lt__sq_bind_text(q, 5, c->baseline);
	lt__sq_bind_text(q, 6, c->created);
	lt__sq_bind_text(q, 7, c->actor);
	return finish_write(s, cn, q, &c->id, err, "writing a campaign");
}

struct each {
	union {
		lt_campaign_row_cb row;
		lt_campaign_code_cb pair;
		lt_campaign_system_cb sys;
		lt_code_use_cb use;
	} cb;
	void *ctx;
	void *out;
};

static void campaign_from(sqlite3_stmt *q, struct lt_campaign_row *c)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(q, 0);
	lt__sq_col_copy(q, 1, c->name, sizeof c->name);
	c->plan_id = sqlite3_column_int64(q, 2);
	lt__sq_col_copy(q, 3, c->since, sizeof c->since);
	lt__sq_col_copy(q, 4, c->under, sizeof c->under);
	lt__sq_col_copy(q, 5, c->baseline, sizeof c->baseline);
	lt__sq_col_copy(q, 6, c->created, sizeof c->created);
	lt__sq_col_copy(q, 7, c->actor, sizeof c->actor);
}

static int campaign_one(void *ve, sqlite3_stmt *q)
{
	campaign_from(q, ((struct each *)ve)->out);
	return LT_OK;
}

static int sq_get(struct lt_store *s, int64_t id, struct lt_campaign_row *out, struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_GET, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	struct each e = {.out = out};
	int rc = lt__sq_one(lt__sq(s), cn, q, campaign_one, &e, err, "a campaign");
	return rc == LT_ENOTFOUND ? lt_err_set(err, LT_ENOTFOUND, "no campaign %lld", (long long)id) : rc;
}

static int campaign_row(void *ve, sqlite3_stmt *q)
{
	struct each *e = ve;
	struct lt_campaign_row c;
	campaign_from(q, &c);
	return e->cb.row(e->ctx, &c);
}

static int sq_list(struct lt_store *s, lt_campaign_row_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_LIST, &cn, err);
	if (!q)
		return LT_EIO;
	struct each e = {.cb.row = cb, .ctx = ctx};
	return lt__sq_rows(lt__sq(s), cn, q, campaign_row, &e, err, "campaigns");
}

static int sq_code_add(struct lt_store *s, int64_t campaign_id, const char *old_code, const char *new_code,
		       struct lt_err *err)
{
	sqlite3_stmt *q;
	struct lt__sq_conn *cn;
	if (write1(s, SQL_CODE_ADD, &q, &cn, err))
		return LT_EIO;
	sqlite3_bind_int64(q, 1, campaign_id);
	lt__sq_bind_text(q, 2, old_code);
	lt__sq_bind_text(q, 3, new_code);
	return finish_write(s, cn, q, NULL, err, "writing a campaign's codes");
}

static int pair_row(void *ve, sqlite3_stmt *q)
{
	struct each *e = ve;
	return e->cb.pair(e->ctx, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1));
}

static int sq_codes(struct lt_store *s, int64_t campaign_id, lt_campaign_code_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_CODES, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, campaign_id);
	struct each e = {.cb.pair = cb, .ctx = ctx};
	return lt__sq_rows(lt__sq(s), cn, q, pair_row, &e, err, "a campaign's codes");
}

static int system_row(void *ve, sqlite3_stmt *q)
{
	struct each *e = ve;
	return e->cb.sys(e->ctx, sqlite3_column_int64(q, 0), sqlite3_column_int(q, 1) != 0,
			 sqlite3_column_int(q, 2) != 0);
}

static int sq_systems(struct lt_store *s, int64_t campaign_id, const char *after, int64_t skip,
		      lt_campaign_system_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_SYSTEMS, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, campaign_id);
	lt__sq_bind_text(q, 2, after);
	sqlite3_bind_int64(q, 3, skip);
	struct each e = {.cb.sys = cb, .ctx = ctx};
	return lt__sq_rows(lt__sq(s), cn, q, system_row, &e, err, "a campaign's systems");
}

static int sq_closed_since(struct lt_store *s, const char *since, lt_campaign_code_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_CLOSED, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, since);
	struct each e = {.cb.pair = cb, .ctx = ctx};
	return lt__sq_rows(lt__sq(s), cn, q, pair_row, &e, err, "closed units");
}

static int sq_probe_add(struct lt_store *s, struct lt_probe_row *p, struct lt_err *err)
{
	sqlite3_stmt *q;
	struct lt__sq_conn *cn;
	if (write1(s, SQL_PROBE_ADD, &q, &cn, err))
		return LT_EIO;
	sqlite3_bind_int64(q, 1, p->campaign_id);
	lt__sq_bind_text(q, 2, p->at);
	lt__sq_bind_text(q, 3, p->actor);
	return finish_write(s, cn, q, &p->id, err, "writing a probe run");
}

static int probe_one(void *ve, sqlite3_stmt *q)
{
	struct lt_probe_row *p = ((struct each *)ve)->out;
	memset(p, 0, sizeof *p);
	p->id = sqlite3_column_int64(q, 0);
	p->campaign_id = sqlite3_column_int64(q, 1);
	lt__sq_col_copy(q, 2, p->at, sizeof p->at);
	lt__sq_col_copy(q, 3, p->actor, sizeof p->actor);
	return LT_OK;
}

static int sq_probe_latest(struct lt_store *s, int64_t campaign_id, struct lt_probe_row *out, struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_PROBE_LATEST, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, campaign_id);
	struct each e = {.out = out};
	return lt__sq_one(lt__sq(s), cn, q, probe_one, &e, err, "a probe run");
}

static int sq_probe_unit_add(struct lt_store *s, int64_t probe_id, const char *code, const char *doc,
			     struct lt_err *err)
{
	sqlite3_stmt *q;
	struct lt__sq_conn *cn;
	if (write1(s, SQL_PROBE_UNIT_ADD, &q, &cn, err))
		return LT_EIO;
	sqlite3_bind_int64(q, 1, probe_id);
	lt__sq_bind_text(q, 2, code);
	lt__sq_bind_text(q, 3, doc);
	return finish_write(s, cn, q, NULL, err, "writing a probe run's units");
}

static int sq_probe_units(struct lt_store *s, int64_t probe_id, lt_probe_unit_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_PROBE_UNITS, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, probe_id);
	struct each e = {.cb.pair = cb, .ctx = ctx};
	return lt__sq_rows(lt__sq(s), cn, q, pair_row, &e, err, "a probe run's units");
}

static int sq_xfetch_note(struct lt_store *s, const char *doc, int64_t system_id, const char *at, struct lt_err *err)
{
	sqlite3_stmt *q;
	struct lt__sq_conn *cn;
	if (write1(s, SQL_FETCH_NOTE, &q, &cn, err))
		return LT_EIO;
	lt__sq_bind_text(q, 1, doc);
	sqlite3_bind_int64(q, 2, system_id);
	lt__sq_bind_text(q, 3, at);
	return finish_write(s, cn, q, NULL, err, "recording a fetch");
}

static int text_one(void *ve, sqlite3_stmt *q)
{
	lt__sq_col_copy(q, 0, ((struct each *)ve)->out, 32);
	return LT_OK;
}

static int get_at(struct lt_store *s, const char *sql, const char *key, int64_t id, bool id_first, char at[32],
		  struct lt_err *err, const char *what)
{
	at[0] = '\0';
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, sql, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, id_first ? 1 : 2, id);
	lt__sq_bind_text(q, id_first ? 2 : 1, key);
	struct each e = {.out = at};
	int rc = lt__sq_one(lt__sq(s), cn, q, text_one, &e, err, what);
	return rc == LT_ENOTFOUND ? LT_OK : rc;
}

static int sq_xfetch_get(struct lt_store *s, const char *doc, int64_t system_id, char at[32], struct lt_err *err)
{
	return get_at(s, SQL_FETCH_GET, doc, system_id, false, at, err, "a fetch");
}

static int sq_code_use_add(struct lt_store *s, int64_t system_id, const char *code, const char *role, const char *at,
			   struct lt_err *err)
{
	sqlite3_stmt *q;
	struct lt__sq_conn *cn;
	if (write1(s, SQL_USE_ADD, &q, &cn, err))
		return LT_EIO;
	sqlite3_bind_int64(q, 1, system_id);
	lt__sq_bind_text(q, 2, code);
	lt__sq_bind_text(q, 3, role);
	lt__sq_bind_text(q, 4, at);
	return finish_write(s, cn, q, NULL, err, "recording a use of a closed code");
}

static int use_row(void *ve, sqlite3_stmt *q)
{
	struct each *e = ve;
	struct lt_code_use u;
	memset(&u, 0, sizeof u);
	u.system_id = sqlite3_column_int64(q, 0);
	lt__sq_col_copy(q, 1, u.code, sizeof u.code);
	lt__sq_col_copy(q, 2, u.role, sizeof u.role);
	u.count = sqlite3_column_int64(q, 3);
	lt__sq_col_copy(q, 4, u.last, sizeof u.last);
	return e->cb.use(e->ctx, &u);
}

static int sq_code_uses(struct lt_store *s, const char *since_day, int64_t system_id, lt_code_use_cb cb, void *ctx,
			struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_USES, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, since_day);
	sqlite3_bind_int64(q, 2, system_id);
	struct each e = {.cb.use = cb, .ctx = ctx};
	return lt__sq_rows(lt__sq(s), cn, q, use_row, &e, err, "uses of closed codes");
}

static int sq_read_note(struct lt_store *s, int64_t system_id, const char *what, const char *at, struct lt_err *err)
{
	sqlite3_stmt *q;
	struct lt__sq_conn *cn;
	if (write1(s, SQL_READ_NOTE, &q, &cn, err))
		return LT_EIO;
	sqlite3_bind_int64(q, 1, system_id);
	lt__sq_bind_text(q, 2, what);
	lt__sq_bind_text(q, 3, at);
	return finish_write(s, cn, q, NULL, err, "recording a read");
}

static int sq_read_get(struct lt_store *s, int64_t system_id, const char *what, char at[32], struct lt_err *err)
{
	return get_at(s, SQL_READ_GET, what, system_id, true, at, err, "a system's reads");
}

static int id_one(void *ve, sqlite3_stmt *q)
{
	*(int64_t *)((struct each *)ve)->out = sqlite3_column_int64(q, 0);
	return LT_OK;
}

static int sq_hub_sender_get(struct lt_store *s, const char *code, int64_t *system_id, struct lt_err *err)
{
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(lt__sq(s), false, SQL_HUB_GET, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	struct each e = {.out = system_id};
	return lt__sq_one(lt__sq(s), cn, q, id_one, &e, err, "the hub's sender");
}

static int sq_hub_sender_set(struct lt_store *s, const char *code, int64_t system_id, struct lt_err *err)
{
	sqlite3_stmt *q;
	struct lt__sq_conn *cn;
	if (write1(s, SQL_HUB_SET, &q, &cn, err))
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	sqlite3_bind_int64(q, 2, system_id);
	return finish_write(s, cn, q, NULL, err, "recording the hub's sender");
}

const struct lt_store_campaign_ops lt__sq_campaign_ops = {
	.add = sq_add,
	.get = sq_get,
	.list = sq_list,
	.code_add = sq_code_add,
	.codes = sq_codes,
	.systems = sq_systems,
	.closed_since = sq_closed_since,
	.probe_add = sq_probe_add,
	.probe_latest = sq_probe_latest,
	.probe_unit_add = sq_probe_unit_add,
	.probe_units = sq_probe_units,
	.xfetch_note = sq_xfetch_note,
	.xfetch_get = sq_xfetch_get,
	.code_use_add = sq_code_use_add,
	.code_uses = sq_code_uses,
	.read_note = sq_read_note,
	.read_get = sq_read_get,
	.hub_sender_get = sq_hub_sender_get,
	.hub_sender_set = sq_hub_sender_set,
};
