/* Campaign rows in PostgreSQL (store_campaigns.h), the same rows and orders
 * as sqlite_campaigns.c. */
#include <string.h>

#include "../campaign_ops.h"
#include "pg_store.h"

static const char SQL_ADD[] = "INSERT INTO campaigns (name, plan_id, since, under, baseline, created, actor) "
			      "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
#define COLS "id, name, plan_id, since, under, baseline, created, actor"
static const char SQL_GET[] = "SELECT " COLS " FROM campaigns WHERE id = $1";
static const char SQL_LIST[] = "SELECT " COLS " FROM campaigns ORDER BY id DESC";
static const char SQL_CODE_ADD[] = "INSERT INTO campaign_codes (campaign_id, old_code, new_code) VALUES ($1, $2, $3) "
				   "ON CONFLICT DO NOTHING";
static const char SQL_CODES[] = "SELECT old_code, new_code FROM campaign_codes WHERE campaign_id = $1 "
				"ORDER BY old_code, new_code";
static const char SQL_SYSTEMS[] =
	"WITH codes(code) AS (SELECT old_code FROM campaign_codes WHERE campaign_id = $1"
	"  UNION SELECT new_code FROM campaign_codes WHERE campaign_id = $1 AND new_code <> ''),"
	" bound(id) AS (SELECT DISTINCT c.system_id FROM system_codes c JOIN codes k ON k.code = c.code),"
	" traded(id) AS (SELECT d.system_id FROM xdocs d JOIN xdeliveries l ON l.doc = d.id"
	"  WHERE d.received >= $2 AND d.kind = 'edoc'"
	"  AND (l.addressed IN (SELECT code FROM codes) OR l.routed_to IN (SELECT code FROM codes))"
	"  UNION SELECT l.system_id FROM xdocs d JOIN xdeliveries l ON l.doc = d.id"
	"  WHERE d.received >= $2 AND d.kind = 'edoc' AND l.system_id <> 0"
	"  AND d.from_code IN (SELECT code FROM codes))"
	"SELECT s.id, s.id IN (SELECT id FROM bound), s.id IN (SELECT id FROM traded) FROM systems s"
	" WHERE s.removed = '' AND s.id <> $3"
	" AND (s.id IN (SELECT id FROM bound) OR s.id IN (SELECT id FROM traded)) ORDER BY s.id";
static const char SQL_CLOSED[] = "SELECT code, valid_to FROM units WHERE status = 1 AND valid_to >= $1 "
				 "ORDER BY sort_key";
static const char SQL_PROBE_ADD[] = "INSERT INTO probes (campaign_id, at, actor) VALUES ($1, $2, $3) RETURNING id";
static const char SQL_PROBE_LATEST[] = "SELECT id, campaign_id, at, actor FROM probes WHERE campaign_id = $1 "
				       "ORDER BY id DESC LIMIT 1";
static const char SQL_PROBE_UNIT_ADD[] = "INSERT INTO probe_units (probe_id, code, doc) VALUES ($1, $2, $3) "
					 "ON CONFLICT (probe_id, code) DO UPDATE SET doc = excluded.doc";
static const char SQL_PROBE_UNITS[] = "SELECT p.code, p.doc FROM probe_units p JOIN units u ON u.code = p.code "
				      "WHERE p.probe_id = $1 ORDER BY u.sort_key";
static const char SQL_FETCH_NOTE[] = "INSERT INTO xfetches (doc, system_id, at) VALUES ($1, $2, $3) "
				     "ON CONFLICT DO NOTHING";
static const char SQL_FETCH_GET[] = "SELECT at FROM xfetches WHERE doc = $1 AND system_id = $2";
static const char SQL_USE_ADD[] =
	"INSERT INTO code_uses (system_id, code, role, day, n, last) VALUES ($1, $2, $3, substr($4, 1, 10), 1, $4) "
	"ON CONFLICT (day, system_id, code, role) DO UPDATE SET n = code_uses.n + 1, "
	"last = greatest(code_uses.last, excluded.last)";
static const char SQL_USES[] = "SELECT system_id, code, role, sum(n), max(last) FROM code_uses "
			       "WHERE day >= $1 AND ($2 = 0 OR system_id = $2) "
			       "GROUP BY system_id, code, role ORDER BY system_id, role, code";
static const char SQL_READ_NOTE[] =
	"INSERT INTO system_reads (system_id, what, at) VALUES ($1, $2, $3) "
	"ON CONFLICT (system_id, what) DO UPDATE SET at = greatest(system_reads.at, excluded.at)";
static const char SQL_READ_GET[] = "SELECT at FROM system_reads WHERE system_id = $1 AND what = $2";
static const char SQL_HUB_GET[] = "SELECT system_id FROM hub_senders WHERE code = $1";
static const char SQL_HUB_SET[] = "INSERT INTO hub_senders (code, system_id) VALUES ($1, $2) "
				  "ON CONFLICT (code) DO UPDATE SET system_id = excluded.system_id";

static int run(struct lt_store *s, const char *sql, int n, const char *const *v, PGresult **r, struct lt_err *err,
	       const char *what)
{
	return lt__pg_run(lt__pg(s), sql, n, v, r, err, what);
}

static int pg_add(struct lt_store *s, struct lt_campaign_row *c, struct lt_err *err)
{
	char plan[24];
	const char *v[] = {c->name, lt__pg_itoa(plan, c->plan_id), c->since, c->under, c->baseline, c->created,
			   c->actor};
	PGresult *r = NULL;
	int rc = run(s, SQL_ADD, 7, v, &r, err, "writing a campaign");
	if (rc == LT_OK)
		c->id = lt__pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

static void campaign_from(const PGresult *r, int i, struct lt_campaign_row *c)
{
	memset(c, 0, sizeof *c);
	c->id = lt__pg_i64(r, i, 0);
	lt__pg_copy(r, i, 1, c->name, sizeof c->name);
	c->plan_id = lt__pg_i64(r, i, 2);
	lt__pg_copy(r, i, 3, c->since, sizeof c->since);
	lt__pg_copy(r, i, 4, c->under, sizeof c->under);
	lt__pg_copy(r, i, 5, c->baseline, sizeof c->baseline);
	lt__pg_copy(r, i, 6, c->created, sizeof c->created);
	lt__pg_copy(r, i, 7, c->actor, sizeof c->actor);
}

static int pg_get(struct lt_store *s, int64_t id, struct lt_campaign_row *out, struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, id)};
	PGresult *r = NULL;
	int rc = run(s, SQL_GET, 1, v, &r, err, "reading a campaign");
	if (rc == LT_OK && PQntuples(r) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "no campaign %lld", (long long)id);
	else if (rc == LT_OK)
		campaign_from(r, 0, out);
	PQclear(r);
	return rc;
}

static int pg_list(struct lt_store *s, lt_campaign_row_cb cb, void *ctx, struct lt_err *err)
{
	PGresult *r = NULL;
	int rc = run(s, SQL_LIST, 0, NULL, &r, err, "reading campaigns");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_campaign_row c;
		campaign_from(r, i, &c);
		rc = cb(ctx, &c);
	}
	PQclear(r);
	return rc;
}

static int pg_code_add(struct lt_store *s, int64_t campaign_id, const char *old_code, const char *new_code,
		       struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, campaign_id), old_code, new_code};
	return run(s, SQL_CODE_ADD, 3, v, NULL, err, "writing a campaign's codes");
}

static int pairs(struct lt_store *s, const char *sql, int n, const char *const *v, lt_campaign_code_cb cb, void *ctx,
		 struct lt_err *err, const char *what)
{
	PGresult *r = NULL;
	int rc = run(s, sql, n, v, &r, err, what);
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++)
		rc = cb(ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return rc;
}

static int pg_codes(struct lt_store *s, int64_t campaign_id, lt_campaign_code_cb cb, void *ctx, struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, campaign_id)};
	return pairs(s, SQL_CODES, 1, v, cb, ctx, err, "reading a campaign's codes");
}

static int pg_systems(struct lt_store *s, int64_t campaign_id, const char *after, int64_t skip,
		      lt_campaign_system_cb cb, void *ctx, struct lt_err *err)
{
	char a[24], b[24];
	const char *v[] = {lt__pg_itoa(a, campaign_id), after, lt__pg_itoa(b, skip)};
	PGresult *r = NULL;
	int rc = run(s, SQL_SYSTEMS, 3, v, &r, err, "reading a campaign's systems");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++)
		rc = cb(ctx, lt__pg_i64(r, i, 0), PQgetvalue(r, i, 1)[0] == 't', PQgetvalue(r, i, 2)[0] == 't');
	PQclear(r);
	return rc;
}

static int pg_closed_since(struct lt_store *s, const char *since, lt_campaign_code_cb cb, void *ctx, struct lt_err *err)
{
	const char *v[] = {since};
	return pairs(s, SQL_CLOSED, 1, v, cb, ctx, err, "reading closed units");
}

static int pg_probe_add(struct lt_store *s, struct lt_probe_row *p, struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, p->campaign_id), p->at, p->actor};
	PGresult *r = NULL;
	int rc = run(s, SQL_PROBE_ADD, 3, v, &r, err, "writing a probe run");
	if (rc == LT_OK)
		p->id = lt__pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_probe_latest(struct lt_store *s, int64_t campaign_id, struct lt_probe_row *out, struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, campaign_id)};
	PGresult *r = NULL;
	int rc = run(s, SQL_PROBE_LATEST, 1, v, &r, err, "reading a probe run");
	if (rc == LT_OK && PQntuples(r) == 0)
		rc = LT_ENOTFOUND;
	else if (rc == LT_OK) {
		memset(out, 0, sizeof *out);
		out->id = lt__pg_i64(r, 0, 0);
		out->campaign_id = lt__pg_i64(r, 0, 1);
		lt__pg_copy(r, 0, 2, out->at, sizeof out->at);
		lt__pg_copy(r, 0, 3, out->actor, sizeof out->actor);
	}
	PQclear(r);
	return rc;
}

static int pg_probe_unit_add(struct lt_store *s, int64_t probe_id, const char *code, const char *doc,
			     struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, probe_id), code, doc};
	return run(s, SQL_PROBE_UNIT_ADD, 3, v, NULL, err, "writing a probe run's units");
}

static int pg_probe_units(struct lt_store *s, int64_t probe_id, lt_probe_unit_cb cb, void *ctx, struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, probe_id)};
	return pairs(s, SQL_PROBE_UNITS, 1, v, cb, ctx, err, "reading a probe run's units");
}

static int pg_xfetch_note(struct lt_store *s, const char *doc, int64_t system_id, const char *at, struct lt_err *err)
{
	char a[24];
	const char *v[] = {doc, lt__pg_itoa(a, system_id), at};
	return run(s, SQL_FETCH_NOTE, 3, v, NULL, err, "recording a fetch");
}

static int get_at(struct lt_store *s, const char *sql, const char *const *v, char at[32], struct lt_err *err,
		  const char *what)
{
	at[0] = '\0';
	PGresult *r = NULL;
	int rc = run(s, sql, 2, v, &r, err, what);
	if (rc == LT_OK && PQntuples(r) > 0)
		lt__pg_copy(r, 0, 0, at, 32);
	PQclear(r);
	return rc;
}

static int pg_xfetch_get(struct lt_store *s, const char *doc, int64_t system_id, char at[32], struct lt_err *err)
{
	char a[24];
	const char *v[] = {doc, lt__pg_itoa(a, system_id)};
	return get_at(s, SQL_FETCH_GET, v, at, err, "reading a fetch");
}

static int pg_code_use_add(struct lt_store *s, int64_t system_id, const char *code, const char *role, const char *at,
			   struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, system_id), code, role, at};
	return run(s, SQL_USE_ADD, 4, v, NULL, err, "recording a use of a closed code");
}

static int pg_code_uses(struct lt_store *s, const char *since_day, int64_t system_id, lt_code_use_cb cb, void *ctx,
			struct lt_err *err)
{
	char a[24];
	const char *v[] = {since_day, lt__pg_itoa(a, system_id)};
	PGresult *r = NULL;
	int rc = run(s, SQL_USES, 2, v, &r, err, "reading uses of closed codes");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_code_use u;
		memset(&u, 0, sizeof u);
		u.system_id = lt__pg_i64(r, i, 0);
		lt__pg_copy(r, i, 1, u.code, sizeof u.code);
		lt__pg_copy(r, i, 2, u.role, sizeof u.role);
		u.count = lt__pg_i64(r, i, 3);
		lt__pg_copy(r, i, 4, u.last, sizeof u.last);
		rc = cb(ctx, &u);
	}
	PQclear(r);
	return rc;
}

static int pg_read_note(struct lt_store *s, int64_t system_id, const char *what, const char *at, struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, system_id), what, at};
	return run(s, SQL_READ_NOTE, 3, v, NULL, err, "recording a read");
}

static int pg_read_get(struct lt_store *s, int64_t system_id, const char *what, char at[32], struct lt_err *err)
{
	char a[24];
	const char *v[] = {lt__pg_itoa(a, system_id), what};
	return get_at(s, SQL_READ_GET, v, at, err, "reading a system's reads");
}

static int pg_hub_sender_get(struct lt_store *s, const char *code, int64_t *system_id, struct lt_err *err)
{
	const char *v[] = {code};
	PGresult *r = NULL;
	int rc = run(s, SQL_HUB_GET, 1, v, &r, err, "reading the hub's sender");
	if (rc == LT_OK && PQntuples(r) == 0)
		rc = LT_ENOTFOUND;
	else if (rc == LT_OK)
		*system_id = lt__pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_hub_sender_set(struct lt_store *s, const char *code, int64_t system_id, struct lt_err *err)
{
	char a[24];
	const char *v[] = {code, lt__pg_itoa(a, system_id)};
	return run(s, SQL_HUB_SET, 2, v, NULL, err, "recording the hub's sender");
}

const struct lt_store_campaign_ops lt__pg_campaign_ops = {
	.add = pg_add,
	.get = pg_get,
	.list = pg_list,
	.code_add = pg_code_add,
	.codes = pg_codes,
	.systems = pg_systems,
	.closed_since = pg_closed_since,
	.probe_add = pg_probe_add,
	.probe_latest = pg_probe_latest,
	.probe_unit_add = pg_probe_unit_add,
	.probe_units = pg_probe_units,
	.xfetch_note = pg_xfetch_note,
	.xfetch_get = pg_xfetch_get,
	.code_use_add = pg_code_use_add,
	.code_uses = pg_code_uses,
	.read_note = pg_read_note,
	.read_get = pg_read_get,
	.hub_sender_get = pg_hub_sender_get,
	.hub_sender_set = pg_hub_sender_set,
};
