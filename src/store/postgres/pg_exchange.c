/* The exchange hub's tables on PostgreSQL: documents, deliveries with their
 * transport log, and business statuses. The same rules as the SQLite
 * backend's statements, in PostgreSQL's dialect. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/text.h"
#include "pg_store.h"

#define XDOC_COLS                                                                                                      \
	"d.id, d.kind, d.document_id, d.system_id, d.from_code, d.sha256, d.size, d.received, d.doctype, "             \
	"d.refers_to, d.subject, d.status_code, d.body_removed, d.signature"
#define XDOC_NCOLS 14
#define XDEL_COLS "l.id, l.doc, l.addressed, l.routed_to, l.state, l.reason, l.updated, l.system_id"
#define WAITING "('pending', 'processing', 'fail')"

static const char SQL_FIND_EDOC[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.system_id = $1 AND d.kind = 'edoc' "
				    "AND d.document_id = $2 ORDER BY d.received LIMIT 1";
static const char SQL_FIND_STATUS[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.system_id = $1 AND "
				      "d.kind = 'status' AND d.sha256 = $2 LIMIT 1";
static const char SQL_DOC_ADD[] = "INSERT INTO xdocs (id, kind, document_id, system_id, from_code, sha256, size, "
				  "received, doctype, refers_to, subject, status_code, signature) VALUES "
				  "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)";
static const char SQL_DOC_GET[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.id = $1";
static const char SQL_DOC_FOR[] = "SELECT " XDOC_COLS ", EXISTS (SELECT 1 FROM xdeliveries l WHERE l.doc = d.id "
				  "AND l.system_id = $2 AND $2 <> 0)::int FROM xdocs d WHERE d.id = $1";
static const char SQL_DOC_BY_DOCID[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.kind = 'edoc' AND "
				       "d.document_id = $1 AND ($2 = '' OR d.from_code = $2) "
				       "ORDER BY d.received DESC, d.n DESC LIMIT 1";
/* The delivery, its first transport event and its part of the running
 * totals in one statement (migration 9 took the insert off the row
 * trigger, whose PL/pgSQL call and lookups cost the server about 0.1 ms per
 * row; updates still go through it). As the trigger did: its state counted
 * for /metrics; unless merged, a delivery of a document for the day, sender
 * and recipient, the document itself only when no other row carries it to
 * that recipient (the statement's snapshot does not see the new row), and
 * the recipient's first statuses 01 and 06 already stored. The document is
 * read by its key behind a fence (OFFSET 0): without statistics the planner
 * had scanned the index of every document (xdocs_edoc_key) for it. */
#define EPOCH(x) "floor(extract(epoch FROM (" x ")::timestamptz))"
/* clang-format off */
const char lt__pg_sql_del_add[] =
	"WITH l AS (INSERT INTO xdeliveries (doc, addressed, routed_to, state, reason, updated, system_id) "
	"VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id, state, updated), "
	"e AS (INSERT INTO xevents (delivery_id, state, at) SELECT id, state, updated FROM l), "
	"c AS (INSERT INTO xcounts SELECT 'state:' || state, 1 FROM l "
	"ON CONFLICT (name) DO UPDATE SET n = xcounts.n + 1), "
	"s AS (INSERT INTO xstat_dels SELECT day, sender, $3, fresh, fresh * size, 1, coalesce(l01, 0), "
	"(l01 IS NOT NULL)::int, coalesce(l06, 0), (l06 IS NOT NULL)::int "
	"FROM (SELECT substr(d.received, 1, 10) AS day, d.from_code AS sender, d.size, "
	"(NOT EXISTS (SELECT 1 FROM xdeliveries t WHERE t.doc = $1 AND t.routed_to = $3 "
	"AND t.state <> 'merged'))::int AS fresh, "
	"f.f01 - " EPOCH("d.received") " AS l01, f.f06 - " EPOCH("d.received") " AS l06 "
	"FROM (SELECT received, from_code, size, kind FROM xdocs WHERE id = $1 OFFSET 0) d, "
	"LATERAL (SELECT min(" EPOCH("x.received") ") FILTER (WHERE x.code = '01') AS f01, "
	"min(" EPOCH("x.received") ") FILTER (WHERE x.code = '06') AS f06 FROM xstatuses x "
	"WHERE x.ref_doc = $1 AND x.from_code = $3 AND x.code IN ('01', '06')) f "
	"WHERE d.kind = 'edoc' AND $4 <> 'merged') y "
	"ON CONFLICT (day, sender, recipient) DO UPDATE SET documents = xstat_dels.documents + excluded.documents, "
	"bytes = xstat_dels.bytes + excluded.bytes, deliveries = xstat_dels.deliveries + 1, "
	"s01 = xstat_dels.s01 + excluded.s01, n01 = xstat_dels.n01 + excluded.n01, "
	"s06 = xstat_dels.s06 + excluded.s06, n06 = xstat_dels.n06 + excluded.n06) "
	"SELECT id FROM l";
/* clang-format on */
static const char SQL_RECEIVERS[] = "SELECT c.system_id FROM system_codes c JOIN systems s ON s.id = c.system_id "
				    "WHERE c.code = $1 AND s.removed = '' ORDER BY c.system_id";
static const char SQL_DELS[] = "SELECT " XDEL_COLS " FROM xdeliveries l WHERE l.doc = $1 ORDER BY l.id";
/* Each delivery's document by its key (the subquery is not flattened, so
 * the planner cannot choose another way): a new hub's tables have no
 * statistics until autovacuum gets to them, and without them the planner
 * had joined by scanning an index of every document per delivery. */
const char lt__pg_sql_inbox[] =
	"SELECT " XDEL_COLS ", " XDOC_COLS " FROM xdeliveries l CROSS JOIN LATERAL (SELECT * FROM xdocs d1 "
	"WHERE d1.id = l.doc OFFSET 0) d WHERE l.system_id = $1 AND l.state IN " WAITING " "
	"AND l.id > $3 AND ($2 = '' OR d.kind = $2) ORDER BY l.id LIMIT $4";
/* Done is final, and a repeated acknowledgement changes nothing further
 * (see the SQLite backend). One statement: the rows are locked first (FOR
 * UPDATE, so two nodes acknowledging one document at once apply one after
 * the other), the waiting ones changed and logged, and the count of those
 * found (done ones included) is its answer. The rows are found by their
 * document and system together (xdeliveries_doc_system). */
const char lt__pg_sql_ack[] =
	"WITH w AS (SELECT id, state FROM xdeliveries WHERE doc = $2 AND system_id = $1 AND "
	"state IN ('pending', 'processing', 'fail', 'done') FOR UPDATE), "
	"u AS (UPDATE xdeliveries x SET state = $3, updated = $4 FROM w WHERE x.id = w.id "
	"AND w.state IN " WAITING " AND w.state <> $3 RETURNING x.id), "
	"e AS (INSERT INTO xevents (delivery_id, state, at) SELECT id, $3, $4 FROM u ORDER BY id) "
	"SELECT count(*) FROM w";
/* A binding claims what waited for a system to receive for its code, or
 * for a unit the code carries on since a move, merger or split (lineage,
 * followed back), routed to the bound code; a held row whose document the
 * system already has for that code, or that another held row of the same
 * document brings, is merged instead (the SQLite backend's rules). */
#define PRED                                                                                                           \
	"WITH RECURSIVE pred(code) AS (SELECT $2::text COLLATE \"C\" UNION SELECT l.pred FROM lineage l JOIN pred p "  \
	"ON l.succ = p.code) "
#define HELD_FOR "x.state = 'no_system' AND x.routed_to IN (SELECT code FROM pred)"
#define TWIN                                                                                                           \
	"EXISTS (SELECT 1 FROM xdeliveries t WHERE t.doc = x.doc AND t.id <> x.id AND "                                \
	"((t.system_id = $1 AND t.routed_to = $2 AND t.state IN ('pending', 'processing', 'fail', 'done')) OR "        \
	"(t.id < x.id AND t.state = 'no_system' AND t.routed_to IN (SELECT code FROM pred))))"
static const char SQL_TWIN[] =
	PRED ", u AS (UPDATE xdeliveries x SET state = 'merged', system_id = 0, updated = $3, routed_to = $2, "
	     "reason = x.reason || '; ' || x.routed_to || ' is now ' || $2 || ': delivered once, with the copy for ' "
	     "|| $2 WHERE " HELD_FOR " AND " TWIN " RETURNING x.id) "
	     "INSERT INTO xevents (delivery_id, state, at) SELECT id, 'merged', $3 FROM u ORDER BY id";
static const char SQL_CLAIM[] =
	PRED ", u AS (UPDATE xdeliveries x SET state = 'pending', system_id = $1, updated = $3, routed_to = $2, "
	     "reason = x.reason || '; ' || CASE x.routed_to WHEN $2 THEN '' ELSE x.routed_to || ' is now ' || $2 || "
	     "'; ' END || 'a system was bound to ' || $2 || ' on ' || $3 WHERE " HELD_FOR " RETURNING x.id) "
	     "INSERT INTO xevents (delivery_id, state, at) SELECT id, 'pending', $3 FROM u ORDER BY id";
/* The system that receives first for a code, as routing orders them. */
static const char SQL_FIRST_RECEIVER[] =
	"SELECT c.system_id FROM system_codes c JOIN systems s ON s.id = "
	"c.system_id WHERE c.code = $1 AND s.removed = '' ORDER BY c.system_id LIMIT 1";
static const char SQL_HOLD_EXPIRE[] =
	"WITH u AS (UPDATE xdeliveries SET state = 'expired', updated = $2, "
	"reason = reason || '; ' || replace($3, '%s', routed_to) WHERE state = 'no_system' AND updated < $1 "
	"RETURNING id) INSERT INTO xevents (delivery_id, state, at) SELECT id, 'expired', $2 FROM u ORDER BY id";
static const char SQL_EVENTS[] = "SELECT state, at FROM xevents WHERE delivery_id = $1 ORDER BY id";
/* The latest $4 (NULL: all) of those received since $3, oldest first. */
const char lt__pg_sql_sent[] = "SELECT * FROM (SELECT " XDOC_COLS ", d.n AS o FROM xdocs d WHERE d.system_id = $1 "
			       "AND ($2 = '' OR d.kind = $2) AND d.received >= $3 ORDER BY d.received DESC, d.n DESC "
			       "LIMIT $4::bigint) s ORDER BY received, o";
static const char SQL_STATUS_ADD[] = "INSERT INTO xstatuses (status_doc, ref_doc, ref_document_id, from_code, "
				     "to_code, code, description, at, received) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)";
static const char SQL_STATUSES[] = "SELECT status_doc, ref_doc, ref_document_id, from_code, to_code, code, "
				   "description, at, received FROM xstatuses WHERE ref_doc = $1 ORDER BY id";
static const char SQL_EXPIRED[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.body_removed = 0 "
				  "AND NOT EXISTS (SELECT 1 FROM xdeliveries l WHERE l.doc = d.id AND "
				  "l.state NOT IN ('done', 'refused', 'merged', 'expired', 'relayed')) "
				  "AND (SELECT max(l.updated) FROM xdeliveries l WHERE l.doc = d.id) < $1 ORDER BY d.n";
static const char SQL_BODY_REMOVED[] = "UPDATE xdocs SET body_removed = 1 WHERE id = $1";
/* The running totals, in the order of enum lt_delivery_state (store_impl.h). */
static const char SQL_COUNTS[] = LT__SQL_XCOUNTS;
/* As the SQLite backend's: the running totals (schema 7), the key chosen by $3. */
/* clang-format off */
#define XSTAT_KEY(recipient)                                                                                           \
	"CASE $3::text WHEN 'day' THEN day WHEN 'month' THEN substr(day, 1, 7) WHEN 'sender' THEN sender "             \
	"WHEN 'recipient' THEN " recipient " END"
#define XSTAT_DAYS "($1::text = '' OR day >= $1::text) AND ($2::text = '' OR day <= $2::text)"
static const char SQL_STATS[] =
	"SELECT g.k, CASE WHEN $3::text = 'recipient' THEN l.n ELSE g.n END, "
	"CASE WHEN $3::text = 'recipient' THEN l.b ELSE g.b END, coalesce(l.dl, 0), "
	"CASE WHEN l.n01 > 0 THEN l.s01::float8 / l.n01 END, coalesce(l.n01, 0), "
	"CASE WHEN l.n06 > 0 THEN l.s06::float8 / l.n06 END, coalesce(l.n06, 0) "
	"FROM (SELECT " XSTAT_KEY("NULL") " AS k, sum(documents) AS n, sum(bytes) AS b FROM xstat_docs "
	"      WHERE $3::text <> 'recipient' AND " XSTAT_DAYS " GROUP BY 1 HAVING sum(documents) > 0 "
	"      UNION ALL SELECT recipient, 0, 0 FROM xstat_dels WHERE $3::text = 'recipient' AND " XSTAT_DAYS
	"      GROUP BY 1 HAVING sum(deliveries) > 0) g "
	"LEFT JOIN (SELECT " XSTAT_KEY("recipient") " AS k, sum(documents) AS n, sum(bytes) AS b, "
	"      sum(deliveries) AS dl, sum(s01) AS s01, sum(n01) AS n01, sum(s06) AS s06, sum(n06) AS n06 "
	"      FROM xstat_dels WHERE " XSTAT_DAYS " GROUP BY 1) l ON l.k = g.k ORDER BY g.k";
/* clang-format on */

/* Operators' views (the SQLite backend's rules). A waiting delivery's
 * "since" is when it last became pending: its routing, or the binding that
 * claimed it. */
#define XOP_SINCE                                                                                                      \
	"CASE WHEN l.state IN " WAITING " THEN coalesce((SELECT max(e.at) FROM xevents e "                             \
	"WHERE e.delivery_id = l.id AND e.state = 'pending'), l.updated) ELSE '' END"
static const char SQL_XOPS[] =
	"SELECT " XDEL_COLS ", " XDOC_COLS ", " XOP_SINCE " AS since FROM xdeliveries l JOIN xdocs d ON d.id = l.doc "
	"WHERE ($1::text = '' OR d.from_code = $1) AND ($2::text = '' OR l.routed_to = $2 OR l.addressed = $2) "
	"AND ($3::text = '' OR l.state = $3 OR ($3 = 'waiting' AND l.state IN " WAITING ")) "
	"AND ($5::bigint = 0 OR l.id < $5::bigint) AND ($4::text = '' OR (l.state IN " WAITING " AND " XOP_SINCE
	" <= $4)) ORDER BY l.id DESC";
/* The oldest of each system: the row of the least since (then the least
 * id). */
static const char SQL_XWAITING[] =
	"WITH w AS (SELECT l.id, l.doc, l.system_id, l.state, " XOP_SINCE " AS since FROM xdeliveries l "
	"WHERE l.state IN " WAITING " AND l.system_id > 0) "
	"SELECT system_id, count(*), count(*) FILTER (WHERE state = 'pending' AND since <= $1::text), min(since), "
	"(array_agg(id ORDER BY since, id))[1], (array_agg(doc ORDER BY since, id))[1] FROM w "
	"GROUP BY system_id ORDER BY system_id";

static void read_doc(const PGresult *r, int i, int o, struct lt_xdoc *d)
{
	memset(d, 0, sizeof *d);
	lt__pg_copy(r, i, o + 0, d->id, sizeof d->id);
	lt__pg_copy(r, i, o + 1, d->kind, sizeof d->kind);
	lt__pg_copy(r, i, o + 2, d->document_id, sizeof d->document_id);
	d->system_id = lt__pg_i64(r, i, o + 3);
	lt__pg_copy(r, i, o + 4, d->from_code, sizeof d->from_code);
	lt__pg_copy(r, i, o + 5, d->sha256, sizeof d->sha256);
	d->size = lt__pg_i64(r, i, o + 6);
	lt__pg_copy(r, i, o + 7, d->received, sizeof d->received);
	d->doctype = (int)lt__pg_i64(r, i, o + 8);
	lt__pg_copy(r, i, o + 9, d->refers_to, sizeof d->refers_to);
	lt__pg_copy(r, i, o + 10, d->subject, sizeof d->subject);
	lt__pg_copy(r, i, o + 11, d->status_code, sizeof d->status_code);
	d->body_removed = lt__pg_i64(r, i, o + 12) != 0;
	lt__pg_copy(r, i, o + 13, d->signature, sizeof d->signature);
}

static void read_delivery(const PGresult *r, int i, struct lt_xdelivery *d)
{
	memset(d, 0, sizeof *d);
	d->id = lt__pg_i64(r, i, 0);
	lt__pg_copy(r, i, 1, d->doc, sizeof d->doc);
	lt__pg_copy(r, i, 2, d->addressed, sizeof d->addressed);
	lt__pg_copy(r, i, 3, d->routed_to, sizeof d->routed_to);
	lt__pg_copy(r, i, 4, d->state, sizeof d->state);
	lt__pg_copy(r, i, 5, d->reason, sizeof d->reason);
	lt__pg_copy(r, i, 6, d->updated, sizeof d->updated);
	d->system_id = lt__pg_i64(r, i, 7);
}

/* Runs sql for one document; *flag (when not NULL) gets the column after
 * the document's, a yes or no the statement adds (SQL_DOC_FOR). */
static int one_doc(struct lt_store *s, const char *sql, int n, const char *const *v, struct lt_xdoc *out, bool *flag,
		   struct lt_err *err, const char *what)
{
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), sql, n, v, &r, err, what);
	if (rc == LT_OK && PQntuples(r) == 0) {
		rc = lt_err_set(err, LT_ENOTFOUND, "no such document");
	} else if (rc == LT_OK) {
		read_doc(r, 0, 0, out);
		if (flag)
			*flag = lt__pg_i64(r, 0, XDOC_NCOLS) != 0;
	}
	PQclear(r);
	return rc;
}

static int each_doc(struct lt_store *s, const char *sql, int n, const char *const *v, lt_xdoc_cb cb, void *ctx,
		    struct lt_err *err, const char *what)
{
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), sql, n, v, &r, err, what);
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_xdoc d;
		read_doc(r, i, 0, &d);
		rc = cb(ctx, &d);
	}
	PQclear(r);
	return rc;
}

static int pg_xdoc_find(struct lt_store *s, int64_t system_id, const char *kind, const char *document_id,
			const char *sha256, struct lt_xdoc *out, struct lt_err *err)
{
	bool edoc = strcmp(kind, "edoc") == 0;
	char b[24];
	const char *v[] = {lt__pg_itoa(b, system_id), edoc ? document_id : sha256};
	return one_doc(s, edoc ? SQL_FIND_EDOC : SQL_FIND_STATUS, 2, v, out, NULL, err, "looking up a document");
}

static int pg_xdoc_add(struct lt_store *s, const struct lt_xdoc *d, struct lt_err *err)
{
	char sid[24], size[24], type[24];
	const char *v[] = {d->id,
			   d->kind,
			   d->document_id,
			   lt__pg_itoa(sid, d->system_id),
			   d->from_code,
			   d->sha256,
			   lt__pg_itoa(size, d->size),
			   d->received,
			   lt__pg_itoa(type, d->doctype),
			   d->refers_to,
			   d->subject,
			   d->status_code,
			   d->signature};
	return lt__pg_run(lt__pg(s), SQL_DOC_ADD, 13, v, NULL, err, "storing a document");
}

static int pg_xdoc_get(struct lt_store *s, const char *id, struct lt_xdoc *out, struct lt_err *err)
{
	const char *v[] = {id};
	return one_doc(s, SQL_DOC_GET, 1, v, out, NULL, err, "reading a document");
}

static int pg_xdoc_for(struct lt_store *s, const char *id, int64_t system_id, struct lt_xdoc *out, bool *receives,
		       struct lt_err *err)
{
	char sid[24];
	const char *v[] = {id, lt__pg_itoa(sid, system_id)};
	*receives = false;
	return one_doc(s, SQL_DOC_FOR, 2, v, out, receives, err, "reading a document");
}

static int pg_xdoc_by_document_id(struct lt_store *s, const char *document_id, const char *from_code,
				  struct lt_xdoc *out, struct lt_err *err)
{
	const char *v[] = {document_id, from_code ? from_code : ""};
	return one_doc(s, SQL_DOC_BY_DOCID, 2, v, out, NULL, err, "looking up a document");
}

static int pg_xdelivery_add(struct lt_store *s, struct lt_xdelivery *d, struct lt_err *err)
{
	char sid[24];
	const char *v[] = {
		d->doc, d->addressed, d->routed_to, d->state, d->reason, d->updated, lt__pg_itoa(sid, d->system_id)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), lt__pg_sql_del_add, 7, v, &r, err, "storing a delivery");
	if (rc == LT_OK)
		d->id = lt__pg_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_xdeliveries(struct lt_store *s, const char *doc, lt_xdelivery_cb cb, void *ctx, struct lt_err *err)
{
	const char *v[] = {doc};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_DELS, 1, v, &r, err, "reading deliveries");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_xdelivery d;
		read_delivery(r, i, &d);
		rc = cb(ctx, &d);
	}
	PQclear(r);
	return rc;
}

static int pg_xreceivers(struct lt_store *s, const char *code, lt_xreceiver_cb cb, void *ctx, struct lt_err *err)
{
	const char *v[] = {code};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_RECEIVERS, 1, v, &r, err, "reading the systems receiving for a code");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++)
		rc = cb(ctx, lt__pg_i64(r, i, 0));
	PQclear(r);
	return rc;
}

int lt__pg_xclaim(struct lt__pg_conn *c, int64_t system_id, const char *code, struct lt_err *err)
{
	char at[32], sid[24];
	lt_time_now(at);
	const char *v[] = {lt__pg_itoa(sid, system_id), code, at};
	int rc = lt__pg_q(c, SQL_TWIN, 3, v, NULL, err, "handing waiting deliveries to a system");
	return rc ? rc : lt__pg_q(c, SQL_CLAIM, 3, v, NULL, err, "handing waiting deliveries to a system");
}

int lt__pg_xhand_over(struct lt__pg_conn *c, const char *code, struct lt_err *err)
{
	const char *v[] = {code};
	PGresult *r = NULL;
	int rc = lt__pg_q(c, SQL_FIRST_RECEIVER, 1, v, &r, err, "finding the system that receives for a successor");
	int64_t system_id = rc == LT_OK && PQntuples(r) ? lt__pg_i64(r, 0, 0) : 0;
	PQclear(r);
	return rc == LT_OK && system_id ? lt__pg_xclaim(c, system_id, code, err) : rc;
}

static int pg_xinbox(struct lt_store *s, int64_t system_id, const char *kind, int64_t after, int limit, lt_xinbox_cb cb,
		     void *ctx, struct lt_err *err)
{
	char sid[24], a[24], l[24];
	const char *v[] = {lt__pg_itoa(sid, system_id), kind ? kind : "", lt__pg_itoa(a, after), lt__pg_itoa(l, limit)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), lt__pg_sql_inbox, 4, v, &r, err, "reading an inbox");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_xdelivery d;
		struct lt_xdoc doc;
		read_delivery(r, i, &d);
		read_doc(r, i, 8, &doc);
		rc = cb(ctx, &d, &doc);
	}
	PQclear(r);
	return rc;
}

static int pg_xack(struct lt_store *s, const char *doc, int64_t system_id, const char *state, const char *at, int *n,
		   struct lt_err *err)
{
	struct lt__pg_store *st = lt__pg(s);
	char sid[24];
	const char *v[] = {lt__pg_itoa(sid, system_id), doc, state, at};
	*n = 0;
	/* One statement, yet under the write lock like every other write
	 * (outside a transaction: the CLI's). */
	bool own;
	struct lt__pg_conn *c = lt__pg_begin_own(st, &own, err);
	if (!c)
		return err->status;
	PGresult *r = NULL;
	int rc = lt__pg_q(c, lt__pg_sql_ack, 4, v, &r, err, "acknowledging a delivery");
	if (rc == LT_OK)
		*n = (int)lt__pg_i64(r, 0, 0);
	PQclear(r);
	return lt__pg_end_own(st, c, own, rc, err);
}

static int pg_xevents(struct lt_store *s, int64_t delivery_id, lt_xevent_cb cb, void *ctx, struct lt_err *err)
{
	char b[24];
	const char *v[] = {lt__pg_itoa(b, delivery_id)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_EVENTS, 1, v, &r, err, "reading transport events");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_xevent e = {0};
		lt__pg_copy(r, i, 0, e.state, sizeof e.state);
		lt__pg_copy(r, i, 1, e.at, sizeof e.at);
		rc = cb(ctx, &e);
	}
	PQclear(r);
	return rc;
}

static int pg_xsent(struct lt_store *s, int64_t system_id, const char *kind, const char *since, int limit,
		    lt_xdoc_cb cb, void *ctx, struct lt_err *err)
{
	char b[24], l[24];
	const char *v[] = {lt__pg_itoa(b, system_id), kind ? kind : "", since ? since : "",
			   limit > 0 ? lt__pg_itoa(l, limit) : NULL};
	return each_doc(s, lt__pg_sql_sent, 4, v, cb, ctx, err, "reading sent documents");
}

static int pg_xstatus_add(struct lt_store *s, const struct lt_xstatus *x, struct lt_err *err)
{
	const char *v[] = {x->status_doc,  x->ref_doc, x->ref_document_id, x->from_code, x->to_code, x->code,
			   x->description, x->at,      x->received};
	return lt__pg_run(lt__pg(s), SQL_STATUS_ADD, 9, v, NULL, err, "storing a status");
}

static int pg_xstatuses(struct lt_store *s, const char *ref_doc, lt_xstatus_cb cb, void *ctx, struct lt_err *err)
{
	const char *v[] = {ref_doc};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_STATUSES, 1, v, &r, err, "reading statuses");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_xstatus x;
		memset(&x, 0, sizeof x);
		char *dst[] = {x.status_doc,  x.ref_doc, x.ref_document_id, x.from_code, x.to_code, x.code,
			       x.description, x.at,      x.received};
		size_t sz[] = {sizeof x.status_doc,  sizeof x.ref_doc, sizeof x.ref_document_id,
			       sizeof x.from_code,   sizeof x.to_code, sizeof x.code,
			       sizeof x.description, sizeof x.at,      sizeof x.received};
		for (int k = 0; k < 9; k++)
			lt__pg_copy(r, i, k, dst[k], sz[k]);
		rc = cb(ctx, &x);
	}
	PQclear(r);
	return rc;
}

static int pg_xstats(struct lt_store *s, const char *from, const char *to, const char *by, lt_xstat_cb cb, void *ctx,
		     struct lt_err *err)
{
	const char *v[] = {from ? from : "", to ? to : "", by};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_STATS, 3, v, &r, err, "computing statistics");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_xstat_row row = {0};
		lt__pg_copy(r, i, 0, row.key, sizeof row.key);
		row.documents = lt__pg_i64(r, i, 1);
		row.bytes = lt__pg_i64(r, i, 2);
		row.deliveries = lt__pg_i64(r, i, 3);
		row.sent_to_01_s = PQgetisnull(r, i, 4) ? -1 : strtod(PQgetvalue(r, i, 4), NULL);
		row.n_01 = lt__pg_i64(r, i, 5);
		row.sent_to_06_s = PQgetisnull(r, i, 6) ? -1 : strtod(PQgetvalue(r, i, 6), NULL);
		row.n_06 = lt__pg_i64(r, i, 7);
		rc = cb(ctx, &row);
	}
	PQclear(r);
	return rc;
}

static int pg_xexpired(struct lt_store *s, const char *before, lt_xdoc_cb cb, void *ctx, struct lt_err *err)
{
	const char *v[] = {before};
	return each_doc(s, SQL_EXPIRED, 1, v, cb, ctx, err, "finding expired bodies");
}

static int pg_xbody_removed(struct lt_store *s, const char *id, struct lt_err *err)
{
	const char *v[] = {id};
	return lt__pg_run(lt__pg(s), SQL_BODY_REMOVED, 1, v, NULL, err, "marking a body removed");
}

static int pg_xhold_expire(struct lt_store *s, const char *before, const char *at, const char *reason, int *n,
			   struct lt_err *err)
{
	const char *v[] = {before, at, reason};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_HOLD_EXPIRE, 3, v, &r, err, "expiring deliveries that waited for a system");
	*n = rc == LT_OK ? lt__pg_changed(r) : 0;
	PQclear(r);
	return rc;
}

static int pg_xcounts(struct lt_store *s, int64_t out[LT_XCOUNTS], struct lt_err *err)
{
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_COUNTS, 0, NULL, &r, err, "counting documents");
	for (int i = 0; rc == LT_OK && i < LT_XCOUNTS; i++)
		out[i] = lt__pg_i64(r, 0, i);
	PQclear(r);
	return rc;
}

static int pg_xoperations(struct lt_store *s, const struct lt_xop_filter *f, lt_xop_cb cb, void *ctx,
			  struct lt_err *err)
{
	char before[24];
	const char *v[] = {f->sender ? f->sender : "", f->recipient ? f->recipient : "", f->state ? f->state : "",
			   f->since_before ? f->since_before : "", lt__pg_itoa(before, f->before_id)};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_XOPS, 5, v, &r, err, "reading deliveries");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_xdelivery d;
		struct lt_xdoc doc;
		char since[32];
		read_delivery(r, i, &d);
		read_doc(r, i, 8, &doc);
		lt__pg_copy(r, i, 22, since, sizeof since);
		rc = cb(ctx, &d, &doc, since);
	}
	PQclear(r);
	return rc;
}

static int pg_xwaiting(struct lt_store *s, const char *stuck_before, lt_xwaiting_cb cb, void *ctx, struct lt_err *err)
{
	const char *v[] = {stuck_before ? stuck_before : ""};
	PGresult *r = NULL;
	int rc = lt__pg_run(lt__pg(s), SQL_XWAITING, 1, v, &r, err, "reading the waiting deliveries");
	for (int i = 0; rc == LT_OK && i < PQntuples(r); i++) {
		struct lt_xwaiting w = {0};
		w.system_id = lt__pg_i64(r, i, 0);
		w.waiting = lt__pg_i64(r, i, 1);
		w.stuck = lt__pg_i64(r, i, 2);
		lt__pg_copy(r, i, 3, w.oldest_since, sizeof w.oldest_since);
		w.oldest_id = lt__pg_i64(r, i, 4);
		lt__pg_copy(r, i, 5, w.oldest_doc, sizeof w.oldest_doc);
		rc = cb(ctx, &w);
	}
	PQclear(r);
	return rc;
}

void lt__pg_exchange_ops(struct lt_store_ops *ops)
{
	ops->xoperations = pg_xoperations;
	ops->xwaiting = pg_xwaiting;
	ops->xdoc_find = pg_xdoc_find;
	ops->xdoc_add = pg_xdoc_add;
	ops->xdoc_get = pg_xdoc_get;
	ops->xdoc_for = pg_xdoc_for;
	ops->xdoc_by_document_id = pg_xdoc_by_document_id;
	ops->xdelivery_add = pg_xdelivery_add;
	ops->xdeliveries = pg_xdeliveries;
	ops->xinbox = pg_xinbox;
	ops->xreceivers = pg_xreceivers;
	ops->xhold_expire = pg_xhold_expire;
	ops->xack = pg_xack;
	ops->xevents = pg_xevents;
	ops->xstatus_add = pg_xstatus_add;
	ops->xstatuses = pg_xstatuses;
	ops->xstats = pg_xstats;
	ops->xexpired = pg_xexpired;
	ops->xbody_removed = pg_xbody_removed;
	ops->xcounts = pg_xcounts;
	ops->xsent = pg_xsent;
}
