/* Federation in PostgreSQL: subtree bindings, the queue of documents
 * waiting for the upstream, and the system that stands for the upstream
 * link; the same rules as sqlite_relay.c. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/text.h"
#include "pg_store.h"

static const char SQL_SUBTREE_ADD[] = "INSERT INTO system_codes (system_id, code, subtree) VALUES ($1, $2, 1) "
				      "ON CONFLICT (code, system_id) DO UPDATE SET subtree = 1";
static const char SQL_SUBTREES[] = "SELECT code FROM system_codes WHERE system_id = $1 AND subtree = 1 ORDER BY code";
static const char SQL_SUBTREE_RECEIVERS[] = "SELECT c.system_id FROM system_codes c JOIN systems s ON s.id = "
					    "c.system_id WHERE c.code = $1 AND c.subtree = 1 AND s.removed = '' "
					    "ORDER BY c.system_id";
static const char SQL_OUT_ADD[] = "INSERT INTO relay_out (doc, queued, next_try) VALUES ($1, $2, $2) "
				  "ON CONFLICT DO NOTHING";
static const char SQL_OUT_DUE[] = "SELECT doc, tries FROM relay_out WHERE upstream_id = '' AND next_try <= $1 "
				  "ORDER BY next_try, queued, doc LIMIT $2::integer";
static const char SQL_OUT_RETRY[] = "UPDATE relay_out SET tries = $2::integer, next_try = $3, last_error = $4 "
				    "WHERE doc = $1 AND upstream_id = ''";
static const char SQL_OUT_DONE[] = "UPDATE relay_out SET upstream_id = $2, relayed = $3, last_error = '' "
				   "WHERE doc = $1 AND upstream_id = ''";
static const char SQL_OUT_DELIVERIES[] =
	"WITH u AS (UPDATE xdeliveries SET state = 'relayed', updated = $3, reason = CASE reason WHEN '' THEN '' "
	"ELSE reason || '; ' END || 'relayed upstream as ' || $2 || ' on ' || $3 WHERE doc = $1 AND state = 'relay' "
	"RETURNING id) INSERT INTO xevents (delivery_id, state, at) SELECT id, 'relayed', $3 FROM u ORDER BY id";
static const char SQL_LINK_GET[] = "SELECT system_id FROM relay_links WHERE url = $1";
static const char SQL_LINK_ADD[] = "INSERT INTO relay_links (url, system_id) VALUES ($1, $2)";

static int pg_system_subtree_add(struct lt_store *s, int64_t id, const char *root, struct lt_err *err)
{
	return lt__pg_system_bind(lt__pg(s), SQL_SUBTREE_ADD, id, root, err, "binding a subtree to a system");
}

static int pg_system_subtrees(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err)
{
	return lt__pg_system_codelist(lt__pg(s), SQL_SUBTREES, id, out, err, "reading a system's subtrees");
}

static int pg_xsubtree_receivers(struct lt_store *s, const char *root, lt_xreceiver_cb cb, void *ctx,
				 struct lt_err *err)
{
	const char *v[] = {root};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_SUBTREE_RECEIVERS, 1, v, &r, err,
			    "reading the systems receiving for a subtree");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++)
		rc = cb(ctx, lt__pg_i64(r, i, 0));
	PQclear(r);
	return rc;
}

static int pg_relay_out_add(struct lt_store *s, const char *doc, const char *at, struct lt_err *err)
{
	const char *v[] = {doc, at};
	return lt__pg_run(lt__pg(s), SQL_OUT_ADD, 2, v, NULL, err, "queueing a document for the upstream");
}

static int pg_relay_out_due(struct lt_store *s, const char *now, int limit, lt_relay_cb cb, void *ctx,
			    struct lt_err *err)
{
	char b[24];
	const char *v[] = {now, lt__pg_itoa(b, limit)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_OUT_DUE, 2, v, &r, err, "reading the documents due upstream");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++)
		rc = cb(ctx, PQgetvalue(r, i, 0), (int)lt__pg_i64(r, i, 1));
	PQclear(r);
	return rc;
}

static int pg_relay_out_retry(struct lt_store *s, const char *doc, int tries, const char *next_try, const char *error,
			      struct lt_err *err)
{
	char b[24];
	const char *v[] = {doc, lt__pg_itoa(b, tries), next_try, error};
	return lt__pg_run(lt__pg(s), SQL_OUT_RETRY, 4, v, NULL, err, "rescheduling a document for the upstream");
}

static int pg_relay_out_done(struct lt_store *s, const char *doc, const char *upstream_id, const char *at,
			     struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	const char *v[] = {doc, upstream_id, at};
	bool own;
	struct lt__pg_conn *c = lt__pg_begin_own(st, &own, err);
	if (!c)
		return err->status;
	PGresult *r = NULL;
	int rc = lt__pg_q(c, SQL_OUT_DONE, 3, v, &r, err, "recording a document relayed upstream");
	/* Already recorded (a second node, a retry): nothing more to do. */
	if (rc == LT_OK && lt__pg_changed(r) > 0)
		rc = lt__pg_q(c, SQL_OUT_DELIVERIES, 3, v, NULL, err, "recording a document relayed upstream");
	PQclear(r);
	return lt__pg_end_own(st, c, own, rc, err);
}

static int pg_relay_link_get(struct lt_store *s, const char *url, int64_t *system_id, struct lt_err *err)
{
	const char *v[] = {url};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_LINK_GET, 1, v, &r, err, "reading the upstream link");
	if (rc == LT_OK && PQntuples(r) == 0)
		rc = lt_err_set(err, LT_ENOTFOUND, "no link to %s yet", url);
	else if (rc == LT_OK)
		*system_id = lt__pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_relay_link_add(struct lt_store *s, const char *url, int64_t system_id, struct lt_err *err)
{
	char b[24];
	const char *v[] = {url, lt__pg_itoa(b, system_id)};
	return lt__pg_run(lt__pg(s), SQL_LINK_ADD, 2, v, NULL, err, "recording the upstream link");
}

void lt__pg_relay_ops(struct lt_store_ops *ops)
{
	ops->system_subtree_add = pg_system_subtree_add;
	ops->system_subtrees = pg_system_subtrees;
	ops->xsubtree_receivers = pg_xsubtree_receivers;
	ops->relay_out_add = pg_relay_out_add;
	ops->relay_out_due = pg_relay_out_due;
	ops->relay_out_retry = pg_relay_out_retry;
	ops->relay_out_done = pg_relay_out_done;
	ops->relay_link_get = pg_relay_link_get;
	ops->relay_link_add = pg_relay_link_add;
}
