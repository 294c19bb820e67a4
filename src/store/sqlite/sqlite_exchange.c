/* The exchange hub's tables in SQLite: documents, deliveries with their
 * transport log, and business statuses. The state lists in the queries
 * below are the rules exchange.h states over enum lt_delivery_state (which
 * rule each applies is named beside it); tests/unit/conformance_exchange.h
 * holds them to it. */
#include <stdlib.h>
#include <string.h>

#include "lienthong/exchange.h"
#include "lienthong/text.h"
#include "sqlite_store.h"

#define XDOC_COLS                                                                                                      \
	"d.id, d.kind, d.document_id, d.system_id, d.from_code, d.sha256, d.size, d.received, d.doctype, "             \
	"d.refers_to, d.subject, d.status_code, d.body_removed, d.signature"
#define XDOC_NCOLS 14
#define XDEL_COLS "l.id, l.doc, l.addressed, l.routed_to, l.state, l.reason, l.updated, l.system_id"

static const char SQL_FIND_EDOC[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.system_id = ?1 AND d.kind = 'edoc' "
				    "AND d.document_id = ?2 ORDER BY d.received LIMIT 1";
static const char SQL_FIND_STATUS[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.system_id = ?1 AND "
				      "d.kind = 'status' AND d.sha256 = ?2 LIMIT 1";
static const char SQL_DOC_ADD[] = "INSERT INTO xdocs (id, kind, document_id, system_id, from_code, sha256, size, "
				  "received, doctype, refers_to, subject, status_code, signature) VALUES "
				  "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)";
static const char SQL_DOC_GET[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.id = ?1";
static const char SQL_DOC_FOR[] = "SELECT " XDOC_COLS ", EXISTS (SELECT 1 FROM xdeliveries l WHERE l.doc = d.id "
				  "AND l.system_id = ?2 AND ?2 <> 0) FROM xdocs d WHERE d.id = ?1";
static const char SQL_DOC_BY_DOCID[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.kind = 'edoc' AND "
				       "d.document_id = ?1 AND (?2 = '' OR d.from_code = ?2) "
				       "ORDER BY d.received DESC LIMIT 1";
static const char SQL_DEL_ADD[] = "INSERT INTO xdeliveries (doc, addressed, routed_to, state, reason, updated, "
				  "system_id) VALUES (?1,?2,?3,?4,?5,?6,?7)";
/* Disabled systems still receive: their inbox is kept for when they are
 * enabled again. */
static const char SQL_RECEIVERS[] = "SELECT c.system_id FROM system_codes c JOIN systems s ON s.id = c.system_id "
				    "WHERE c.code = ?1 AND s.removed = '' ORDER BY c.system_id";
static const char SQL_EVENT_ADD[] = "INSERT INTO xevents (delivery_id, state, at) VALUES (?1, ?2, ?3)";
static const char SQL_DELS[] = "SELECT " XDEL_COLS " FROM xdeliveries l WHERE l.doc = ?1 ORDER BY l.id";
/* lt_delivery_waits */
static const char SQL_INBOX[] = "SELECT " XDEL_COLS ", " XDOC_COLS " FROM xdeliveries l JOIN xdocs d ON d.id = l.doc "
				"WHERE l.system_id = ?1 AND l.state IN ('pending', 'processing', 'fail') "
				"AND l.id > ?3 AND (?2 = '' OR d.kind = ?2) ORDER BY l.id LIMIT ?4";
/* An acknowledgement reads the system's deliveries of the document once and
 * applies lt_delivery_ack_counts (the count) and lt_delivery_ack_changes
 * (the update) to each in C: one indexed read and, per changed delivery, an
 * update by rowid and its event. Three statements with a state list each
 * (the count, the events, the update), each building a temporary table for
 * its list, took over a quarter of the commit thread's time under the
 * exchange benchmark. An acknowledgement repeated (a client's retry) changes
 * nothing further, and done is final: a late processing or fail (a retry
 * that crossed the done, a second worker) must not put a finished document
 * back in the inbox nor restart its retention period. */
static const char SQL_ACK_MINE[] = "SELECT id, state FROM xdeliveries WHERE doc = ?1 AND system_id = ?2 ORDER BY id";
static const char SQL_ACK_SET[] = "UPDATE xdeliveries SET state = ?2, updated = ?3 WHERE id = ?1";
/* A binding claims what waited for a system to receive for its code, or
 * for a unit the code carries on since a move, merger or split (lineage,
 * followed back): the closed code can no longer be bound, so its waiting
 * documents would otherwise expire. They are routed to the bound code. */
#define HELD_FOR                                                                                                       \
	"state = 'no_system' AND routed_to IN (WITH RECURSIVE pred(code) AS (SELECT ?2 UNION "                         \
	"SELECT l.pred FROM lineage l JOIN pred p ON l.succ = p.code) SELECT code FROM pred)"
/* A held row whose document the system already has for the bound code (the
 * package named a unit and the one it merged into), or that another held
 * row of the same document brings it: merged, delivered once, as routing
 * does for a closed code and its successor. */
#define TWIN                                                                                                           \
	"EXISTS (SELECT 1 FROM xdeliveries t WHERE t.doc = xdeliveries.doc AND t.id <> xdeliveries.id AND "            \
	"((t.system_id = ?1 AND t.routed_to = ?2 AND t.state IN ('pending', 'processing', 'fail', 'done')) OR "        \
	"(t.id < xdeliveries.id AND t.state = 'no_system' AND t.routed_to IN (SELECT code FROM pred))))"
#define PRED                                                                                                           \
	"WITH RECURSIVE pred(code) AS (SELECT ?2 UNION SELECT l.pred FROM lineage l JOIN pred p ON l.succ = p.code) "
static const char SQL_TWIN_EVENTS[] = "INSERT INTO xevents (delivery_id, state, at) " PRED
				      "SELECT id, 'merged', ?3 FROM xdeliveries WHERE " HELD_FOR " AND " TWIN;
static const char SQL_TWIN[] = PRED "UPDATE xdeliveries SET state = 'merged', system_id = 0, updated = ?3, "
				    "routed_to = ?2, reason = reason || '; ' || routed_to || ' is now ' || ?2 || "
				    "': delivered once, with the copy for ' || ?2 WHERE " HELD_FOR " AND " TWIN;
static const char SQL_CLAIM_EVENTS[] = "INSERT INTO xevents (delivery_id, state, at) SELECT id, 'pending', ?3 FROM "
				       "xdeliveries WHERE " HELD_FOR " AND ?1 = ?1";
static const char SQL_CLAIM[] =
	"UPDATE xdeliveries SET state = 'pending', system_id = ?1, updated = ?3, routed_to = ?2, "
	"reason = reason || '; ' || CASE routed_to WHEN ?2 THEN '' ELSE routed_to || ' is now ' || "
	"?2 || '; ' END || 'a system was bound to ' || ?2 || ' on ' || ?3 WHERE " HELD_FOR;
/* The system that receives first for a code, as routing orders them. */
static const char SQL_FIRST_RECEIVER[] =
	"SELECT c.system_id FROM system_codes c JOIN systems s ON s.id = "
	"c.system_id WHERE c.code = ?1 AND s.removed = '' ORDER BY c.system_id LIMIT 1";
static const char SQL_HOLD_EVENTS[] = "INSERT INTO xevents (delivery_id, state, at) SELECT id, 'expired', ?2 FROM "
				      "xdeliveries WHERE state = 'no_system' AND updated < ?1 AND ?3 = ?3";
static const char SQL_HOLD_EXPIRE[] =
	"UPDATE xdeliveries SET state = 'expired', updated = ?2, reason = "
	"reason || '; ' || replace(?3, '%s', routed_to) WHERE state = 'no_system' AND updated < ?1";
static const char SQL_EVENTS[] = "SELECT state, at FROM xevents WHERE delivery_id = ?1 ORDER BY rowid";
/* The latest ?4 (-1: all) of those received since ?3, oldest first. */
const char lt__sq_sql_sent[] =
	"SELECT * FROM (SELECT " XDOC_COLS ", d.rowid AS o FROM xdocs d WHERE d.system_id = ?1 "
	"AND (?2 = '' OR d.kind = ?2) AND d.received >= ?3 ORDER BY d.received DESC, d.rowid DESC "
	"LIMIT ?4) ORDER BY received, o";
static const char SQL_STATUS_ADD[] = "INSERT INTO xstatuses (status_doc, ref_doc, ref_document_id, from_code, "
				     "to_code, code, description, at, received) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)";
static const char SQL_STATUSES[] = "SELECT status_doc, ref_doc, ref_document_id, from_code, to_code, code, "
				   "description, at, received FROM xstatuses WHERE ref_doc = ?1 ORDER BY id";
/* lt_delivery_settled. The period runs from the last acknowledgement (a delivery's `updated`),
 * not from arrival: a document processed for weeks keeps its body for the
 * whole period after its last recipient finished. A merged delivery waits
 * for nothing (its twin carries the document), nor does an expired one. */
static const char SQL_EXPIRED[] = "SELECT " XDOC_COLS " FROM xdocs d WHERE d.body_removed = 0 "
				  "AND NOT EXISTS (SELECT 1 FROM xdeliveries l WHERE l.doc = d.id AND "
				  "l.state NOT IN ('done', 'refused', 'merged', 'expired', 'relayed')) "
				  "AND (SELECT max(l.updated) FROM xdeliveries l WHERE l.doc = d.id) < ?1";
static const char SQL_BODY_REMOVED[] = "UPDATE xdocs SET body_removed = 1 WHERE id = ?1";
/* The running totals, in the order of enum lt_delivery_state (store_impl.h). Its pending total
 * is lt_delivery_waits. */
static const char SQL_COUNTS[] = LT__SQL_XCOUNTS;

/* Statistics: the group key is chosen by ?3 so one statement serves all.
 * It reads the running totals (schema 15), one row per day, sender and
 * recipient, whatever the number of deliveries stored: documents and bytes
 * by the documents themselves, or, by recipient, those its deliveries
 * carry. Latencies run from a document's arrival to the first status 01
 * and 06 each recipient sent back: their mean is sum over count. */
/* clang-format off */
#define XSTAT_KEY(recipient)                                                                                           \
	"CASE ?3 WHEN 'day' THEN day WHEN 'month' THEN substr(day, 1, 7) WHEN 'sender' THEN sender "                   \
	"WHEN 'recipient' THEN " recipient " END"
#define XSTAT_DAYS "(?1 = '' OR day >= ?1) AND (?2 = '' OR day <= ?2)"
static const char SQL_STATS[] =
	"SELECT g.k, CASE WHEN ?3 = 'recipient' THEN l.n ELSE g.n END, "
	"CASE WHEN ?3 = 'recipient' THEN l.b ELSE g.b END, coalesce(l.dl, 0), "
	"CASE WHEN l.n01 > 0 THEN l.s01 * 1.0 / l.n01 END, coalesce(l.n01, 0), "
	"CASE WHEN l.n06 > 0 THEN l.s06 * 1.0 / l.n06 END, coalesce(l.n06, 0) "
	"FROM (SELECT " XSTAT_KEY("NULL") " AS k, sum(documents) AS n, sum(bytes) AS b FROM xstat_docs "
	"      WHERE ?3 <> 'recipient' AND " XSTAT_DAYS " GROUP BY 1 HAVING sum(documents) > 0 "
	"      UNION ALL SELECT recipient, 0, 0 FROM xstat_dels WHERE ?3 = 'recipient' AND " XSTAT_DAYS
	"      GROUP BY 1 HAVING sum(deliveries) > 0) g "
	"LEFT JOIN (SELECT " XSTAT_KEY("recipient") " AS k, sum(documents) AS n, sum(bytes) AS b, "
	"      sum(deliveries) AS dl, sum(s01) AS s01, sum(n01) AS n01, sum(s06) AS s06, sum(n06) AS n06 "
	"      FROM xstat_dels WHERE " XSTAT_DAYS " GROUP BY 1) l ON l.k = g.k ORDER BY g.k";
/* clang-format on */

static void read_doc(sqlite3_stmt *q, int o, struct lt_xdoc *d)
{
	memset(d, 0, sizeof *d);
	lt__sq_col_copy(q, o + 0, d->id, sizeof d->id);
	lt__sq_col_copy(q, o + 1, d->kind, sizeof d->kind);
	lt__sq_col_copy(q, o + 2, d->document_id, sizeof d->document_id);
	d->system_id = sqlite3_column_int64(q, o + 3);
	lt__sq_col_copy(q, o + 4, d->from_code, sizeof d->from_code);
	lt__sq_col_copy(q, o + 5, d->sha256, sizeof d->sha256);
	d->size = sqlite3_column_int64(q, o + 6);
	lt__sq_col_copy(q, o + 7, d->received, sizeof d->received);
	d->doctype = sqlite3_column_int(q, o + 8);
	lt__sq_col_copy(q, o + 9, d->refers_to, sizeof d->refers_to);
	lt__sq_col_copy(q, o + 10, d->subject, sizeof d->subject);
	lt__sq_col_copy(q, o + 11, d->status_code, sizeof d->status_code);
	d->body_removed = sqlite3_column_int(q, o + 12) != 0;
	lt__sq_col_copy(q, o + 13, d->signature, sizeof d->signature);
}

static void read_delivery(sqlite3_stmt *q, struct lt_xdelivery *d)
{
	memset(d, 0, sizeof *d);
	d->id = sqlite3_column_int64(q, 0);
	lt__sq_col_copy(q, 1, d->doc, sizeof d->doc);
	lt__sq_col_copy(q, 2, d->addressed, sizeof d->addressed);
	lt__sq_col_copy(q, 3, d->routed_to, sizeof d->routed_to);
	lt__sq_col_copy(q, 4, d->state, sizeof d->state);
	lt__sq_col_copy(q, 5, d->reason, sizeof d->reason);
	lt__sq_col_copy(q, 6, d->updated, sizeof d->updated);
	d->system_id = sqlite3_column_int64(q, 7);
}

/* Runs a one-row document query. */
/* Steps q for one document; *flag (when not NULL) gets the column after
 * the document's, a yes or no the statement adds (SQL_DOC_FOR). */
static int one_doc(struct lt__sq_store *st, struct lt__sq_conn *cn, sqlite3_stmt *q, struct lt_xdoc *out, bool *flag,
		   struct lt_err *err, const char *what)
{
	int rc = sqlite3_step(q), ret = LT_OK;
	if (rc == SQLITE_ROW) {
		read_doc(q, 0, out);
		if (flag)
			*flag = sqlite3_column_int(q, XDOC_NCOLS) != 0;
	} else if (rc == SQLITE_DONE) {
		ret = lt_err_set(err, LT_ENOTFOUND, "no such document");
	} else {
		ret = lt__sq_fail(cn, err, what);
	}
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xdoc_find(struct lt_store *s, int64_t system_id, const char *kind, const char *document_id,
			const char *sha256, struct lt_xdoc *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	bool edoc = strcmp(kind, "edoc") == 0;
	sqlite3_stmt *q = lt__sq_use(st, false, edoc ? SQL_FIND_EDOC : SQL_FIND_STATUS, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, system_id);
	lt__sq_bind_text(q, 2, edoc ? document_id : sha256);
	return one_doc(st, cn, q, out, NULL, err, "looking up a document");
}

static int sq_xdoc_add(struct lt_store *s, const struct lt_xdoc *d, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_DOC_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	const char *t1[] = {d->id, d->kind, d->document_id};
	for (int i = 0; i < 3; i++)
		lt__sq_bind_text(q, i + 1, t1[i]);
	sqlite3_bind_int64(q, 4, d->system_id);
	lt__sq_bind_text(q, 5, d->from_code);
	lt__sq_bind_text(q, 6, d->sha256);
	sqlite3_bind_int64(q, 7, d->size);
	lt__sq_bind_text(q, 8, d->received);
	sqlite3_bind_int(q, 9, d->doctype);
	lt__sq_bind_text(q, 10, d->refers_to);
	lt__sq_bind_text(q, 11, d->subject);
	lt__sq_bind_text(q, 12, d->status_code);
	lt__sq_bind_text(q, 13, d->signature);
	int ret = lt__sq_exec(cn, q, err, "storing a document");
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xdoc_get(struct lt_store *s, const char *id, struct lt_xdoc *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_DOC_GET, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, id);
	return one_doc(st, cn, q, out, NULL, err, "reading a document");
}

static int sq_xdoc_for(struct lt_store *s, const char *id, int64_t system_id, struct lt_xdoc *out, bool *receives,
		       struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	*receives = false;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_DOC_FOR, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, id);
	sqlite3_bind_int64(q, 2, system_id);
	return one_doc(st, cn, q, out, receives, err, "reading a document");
}

static int sq_xdoc_by_document_id(struct lt_store *s, const char *document_id, const char *from_code,
				  struct lt_xdoc *out, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_DOC_BY_DOCID, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, document_id);
	lt__sq_bind_text(q, 2, from_code ? from_code : "");
	return one_doc(st, cn, q, out, NULL, err, "looking up a document");
}

static int sq_xdelivery_add(struct lt_store *s, struct lt_xdelivery *d, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_DEL_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	const char *t[] = {d->doc, d->addressed, d->routed_to, d->state, d->reason, d->updated};
	for (int i = 0; i < 6; i++)
		lt__sq_bind_text(q, i + 1, t[i]);
	sqlite3_bind_int64(q, 7, d->system_id);
	int ret = lt__sq_exec(cn, q, err, "storing a delivery");
	if (ret == LT_OK) {
		d->id = sqlite3_last_insert_rowid(cn->db);
		sqlite3_stmt *e = lt__sq_stmt(cn, SQL_EVENT_ADD, err);
		if (!e) {
			ret = LT_EIO;
		} else {
			sqlite3_bind_int64(e, 1, d->id);
			lt__sq_bind_text(e, 2, d->state);
			lt__sq_bind_text(e, 3, d->updated);
			ret = lt__sq_exec(cn, e, err, "logging a delivery");
		}
	}
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xdeliveries(struct lt_store *s, const char *doc, lt_xdelivery_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_DELS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, doc);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_xdelivery d;
		read_delivery(q, &d);
		if ((ret = cb(ctx, &d)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading deliveries");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

struct receivers_each {
	lt_xreceiver_cb cb;
	void *ctx;
};

static int receiver_row(void *ve, sqlite3_stmt *q)
{
	struct receivers_each *e = ve;
	return e->cb(e->ctx, sqlite3_column_int64(q, 0));
}

static int sq_xreceivers(struct lt_store *s, const char *code, lt_xreceiver_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_RECEIVERS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	struct receivers_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, receiver_row, &e, err, "the systems receiving for a code");
}

int lt__sq_xclaim(struct lt__sq_conn *cn, int64_t system_id, const char *code, struct lt_err *err)
{
	char at[32];
	lt_time_now(at);
	const char *const sql[] = {SQL_TWIN_EVENTS, SQL_TWIN, SQL_CLAIM_EVENTS, SQL_CLAIM};
	int ret = LT_OK;
	for (int i = 0; i < 4 && ret == LT_OK; i++) {
		sqlite3_stmt *q = lt__sq_stmt(cn, sql[i], err);
		if (!q)
			return LT_EIO;
		sqlite3_bind_int64(q, 1, system_id);
		lt__sq_bind_text(q, 2, code);
		lt__sq_bind_text(q, 3, at);
		ret = lt__sq_exec(cn, q, err, "handing waiting deliveries to a system");
	}
	return ret;
}

int lt__sq_xhand_over(struct lt__sq_conn *cn, const char *code, struct lt_err *err)
{
	sqlite3_stmt *q = lt__sq_stmt(cn, SQL_FIRST_RECEIVER, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, code);
	int rc = sqlite3_step(q);
	int64_t system_id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return lt__sq_fail(cn, err, "finding the system that receives for a successor");
	return system_id ? lt__sq_xclaim(cn, system_id, code, err) : LT_OK;
}

static int sq_xinbox(struct lt_store *s, int64_t system_id, const char *kind, int64_t after, int limit, lt_xinbox_cb cb,
		     void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_INBOX, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, system_id);
	lt__sq_bind_text(q, 2, kind ? kind : "");
	sqlite3_bind_int64(q, 3, after);
	sqlite3_bind_int(q, 4, limit);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_xdelivery d;
		struct lt_xdoc doc;
		read_delivery(q, &d);
		read_doc(q, 8, &doc);
		if ((ret = cb(ctx, &d, &doc)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading an inbox");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

/* One acknowledgement statement (the event, then the state) for delivery `id`. */
static int ack_run(struct lt__sq_conn *cn, const char *sql, int64_t id, const char *state, const char *at,
		   struct lt_err *err)
{
	sqlite3_stmt *q = lt__sq_stmt(cn, sql, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, id);
	lt__sq_bind_text(q, 2, state);
	lt__sq_bind_text(q, 3, at);
	return lt__sq_exec(cn, q, err, "acknowledging a delivery");
}

static int ack_apply(struct lt__sq_conn *cn, const int64_t *ids, size_t n, const char *state, const char *at,
		     struct lt_err *err)
{
	int ret = LT_OK;
	for (size_t i = 0; i < n && ret == LT_OK; i++)
		if ((ret = ack_run(cn, SQL_EVENT_ADD, ids[i], state, at, err)) == LT_OK)
			ret = ack_run(cn, SQL_ACK_SET, ids[i], state, at, err);
	return ret;
}

static int sq_xack(struct lt_store *s, const char *doc, int64_t system_id, const char *state, const char *at, int *n,
		   struct lt_err *err)
{
	*n = 0;
	enum lt_delivery_state to;
	if (lt_delivery_state_parse(state, &to, err))
		return LT_EINVAL;
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_ACK_MINE, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, doc);
	sqlite3_bind_int64(q, 2, system_id);
	/* Usually one; a system that receives for many of the codes a package
	 * names (a province's system, a package to every unit of a city) has
	 * one delivery per code. */
	int64_t one[8], *ids = one;
	size_t changed = 0, cap = 8;
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		enum lt_delivery_state from;
		if (lt_delivery_state_parse((const char *)sqlite3_column_text(q, 1), &from, NULL))
			continue; /* a state this build does not know changes nothing */
		*n += lt_delivery_ack_counts(from);
		if (!lt_delivery_ack_changes(from, to))
			continue;
		if (changed == cap) {
			int64_t *nv = ids == one ? malloc(2 * cap * sizeof *nv) : realloc(ids, 2 * cap * sizeof *nv);
			if (!nv) {
				ret = lt_err_set(err, LT_ENOMEM, "out of memory");
				break;
			}
			if (ids == one)
				memcpy(nv, one, sizeof one);
			ids = nv;
			cap *= 2;
		}
		ids[changed++] = sqlite3_column_int64(q, 0);
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "acknowledging a delivery");
	sqlite3_reset(q);
	if (ret == LT_OK)
		ret = ack_apply(cn, ids, changed, state, at, err);
	if (ids != one)
		free(ids);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xevents(struct lt_store *s, int64_t delivery_id, lt_xevent_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_EVENTS, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, delivery_id);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_xevent e = {0};
		lt__sq_col_copy(q, 0, e.state, sizeof e.state);
		lt__sq_col_copy(q, 1, e.at, sizeof e.at);
		if ((ret = cb(ctx, &e)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading transport events");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xsent(struct lt_store *s, int64_t system_id, const char *kind, const char *since, int limit,
		    lt_xdoc_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, lt__sq_sql_sent, &cn, err);
	if (!q)
		return LT_EIO;
	sqlite3_bind_int64(q, 1, system_id);
	lt__sq_bind_text(q, 2, kind ? kind : "");
	lt__sq_bind_text(q, 3, since ? since : "");
	sqlite3_bind_int(q, 4, limit > 0 ? limit : -1);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_xdoc d;
		read_doc(q, 0, &d);
		if ((ret = cb(ctx, &d)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading sent documents");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xstatus_add(struct lt_store *s, const struct lt_xstatus *x, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_STATUS_ADD, &cn, err);
	if (!q)
		return LT_EIO;
	const char *t[] = {x->status_doc,  x->ref_doc, x->ref_document_id, x->from_code, x->to_code, x->code,
			   x->description, x->at,      x->received};
	for (int i = 0; i < 9; i++)
		lt__sq_bind_text(q, i + 1, t[i]);
	int ret = lt__sq_exec(cn, q, err, "storing a status");
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xstatuses(struct lt_store *s, const char *ref_doc, lt_xstatus_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_STATUSES, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, ref_doc);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_xstatus x;
		memset(&x, 0, sizeof x);
		char *dst[] = {x.status_doc,  x.ref_doc, x.ref_document_id, x.from_code, x.to_code, x.code,
			       x.description, x.at,      x.received};
		size_t sz[] = {sizeof x.status_doc,  sizeof x.ref_doc, sizeof x.ref_document_id,
			       sizeof x.from_code,   sizeof x.to_code, sizeof x.code,
			       sizeof x.description, sizeof x.at,      sizeof x.received};
		for (int i = 0; i < 9; i++)
			lt__sq_col_copy(q, i, dst[i], sz[i]);
		if ((ret = cb(ctx, &x)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "reading statuses");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xstats(struct lt_store *s, const char *from, const char *to, const char *by, lt_xstat_cb cb, void *ctx,
		     struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_STATS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, from);
	lt__sq_bind_text(q, 2, to);
	lt__sq_bind_text(q, 3, by);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_xstat_row r = {0};
		lt__sq_col_copy(q, 0, r.key, sizeof r.key);
		r.documents = sqlite3_column_int64(q, 1);
		r.bytes = sqlite3_column_int64(q, 2);
		r.deliveries = sqlite3_column_int64(q, 3);
		r.sent_to_01_s = sqlite3_column_type(q, 4) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 4);
		r.n_01 = sqlite3_column_int64(q, 5);
		r.sent_to_06_s = sqlite3_column_type(q, 6) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 6);
		r.n_06 = sqlite3_column_int64(q, 7);
		if ((ret = cb(ctx, &r)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "computing statistics");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xexpired(struct lt_store *s, const char *before, lt_xdoc_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_EXPIRED, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, before);
	int rc, ret = LT_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lt_xdoc d;
		read_doc(q, 0, &d);
		if ((ret = cb(ctx, &d)) != 0)
			break;
	}
	if (ret == LT_OK && rc != SQLITE_DONE)
		ret = lt__sq_fail(cn, err, "finding expired bodies");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xbody_removed(struct lt_store *s, const char *id, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, true, SQL_BODY_REMOVED, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, id);
	int ret = lt__sq_exec(cn, q, err, "marking a body removed");
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xhold_expire(struct lt_store *s, const char *before, const char *at, const char *reason, int *n,
			   struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn = lt__sq_acquire(st, true, err);
	if (!cn)
		return LT_EIO;
	int ret = LT_OK;
	*n = 0;
	const char *const sql[] = {SQL_HOLD_EVENTS, SQL_HOLD_EXPIRE};
	for (int i = 0; i < 2 && ret == LT_OK; i++) {
		sqlite3_stmt *q = lt__sq_stmt(cn, sql[i], err);
		if (!q) {
			ret = LT_EIO;
			break;
		}
		lt__sq_bind_text(q, 1, before);
		lt__sq_bind_text(q, 2, at);
		lt__sq_bind_text(q, 3, reason);
		ret = lt__sq_exec(cn, q, err, "expiring deliveries that waited for a system");
	}
	if (ret == LT_OK)
		*n = sqlite3_changes(cn->db);
	lt__sq_release(st, cn);
	return ret;
}

static int sq_xcounts(struct lt_store *s, int64_t out[LT_XCOUNTS], struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_COUNTS, &cn, err);
	if (!q)
		return LT_EIO;
	int ret = LT_OK;
	if (sqlite3_step(q) == SQLITE_ROW)
		for (int i = 0; i < LT_XCOUNTS; i++)
			out[i] = sqlite3_column_int64(q, i);
	else
		ret = lt__sq_fail(cn, err, "counting documents");
	sqlite3_reset(q);
	lt__sq_release(st, cn);
	return ret;
}

/* Savepoints live here rather than with the transactions in sqlite_store.c
 * because the group commit is their one user: one job of a batch that fails
 * is undone alone. They run on the writer, inside its transaction. */
/* A job's savepoint in the commit thread's batch: SAVEPOINT and RELEASE are
 * prepared once on the writer (lt__sq_store.part_q, outside its statement
 * cache), where sqlite3_exec parsed their text for every job, two to
 * three a package with its acknowledgements. The rare rollback is two
 * statements, run as text. */
static int sq_part(struct lt_store *s, enum lt_store_part what, struct lt_err *err)
{
	static const char *const sql[] = {"SAVEPOINT lt_part", "RELEASE lt_part",
					  "ROLLBACK TO lt_part; RELEASE lt_part"};
	static const char *const doing[] = {"starting a savepoint", "releasing a savepoint",
					    "rolling back to a savepoint"};
	struct lt__sq_store *st = lt__sq(s);
	if ((unsigned)what > LT_PART_ROLLBACK)
		return lt_err_set(err, LT_EINVAL, "internal error: unknown savepoint operation %d", (int)what);
	struct lt__sq_conn *cn = lt__sq_acquire(st, true, err);
	if (!cn)
		return LT_EIO;
	int ret = LT_OK;
	if (!st->in_txn) {
		ret = lt_err_set(err, LT_EIO, "internal error: a savepoint outside a transaction");
	} else if (what == LT_PART_ROLLBACK) {
		if (sqlite3_exec(cn->db, sql[what], NULL, NULL, NULL) != SQLITE_OK)
			ret = lt__sq_fail(cn, err, doing[what]);
	} else {
		sqlite3_stmt **q = &st->part_q[what];
		if (!*q && sqlite3_prepare_v2(cn->db, sql[what], -1, q, NULL) != SQLITE_OK)
			*q = NULL;
		ret = *q ? lt__sq_exec(cn, *q, err, doing[what]) : lt__sq_fail(cn, err, doing[what]);
	}
	lt__sq_release(st, cn);
	return ret;
}

/* Operators' views. A waiting delivery's "since" is when it last became
 * pending: its routing, or the binding that claimed it. */
#define XOP_SINCE                                                                                                      \
	"CASE WHEN l.state IN ('pending', 'processing', 'fail') THEN coalesce((SELECT max(e.at) FROM xevents e "       \
	"WHERE e.delivery_id = l.id AND e.state = 'pending'), l.updated) ELSE '' END"
static const char SQL_XOPS[] =
	"SELECT " XDEL_COLS ", " XDOC_COLS ", " XOP_SINCE " AS since FROM xdeliveries l JOIN xdocs d ON d.id = l.doc "
	"WHERE (?1 = '' OR d.from_code = ?1) AND (?2 = '' OR l.routed_to = ?2 OR l.addressed = ?2) "
	"AND (?3 = '' OR l.state = ?3 OR (?3 = 'waiting' AND l.state IN ('pending', 'processing', 'fail'))) "
	"AND (?5 = 0 OR l.id < ?5) AND (?4 = '' OR (l.state IN ('pending', 'processing', 'fail') AND " XOP_SINCE
	" <= ?4)) ORDER BY l.id DESC";
/* SQLite takes the bare id and doc of the row holding min(since). */
static const char SQL_XWAITING[] =
	"WITH w AS (SELECT l.id, l.doc, l.system_id, l.state, " XOP_SINCE " AS since FROM xdeliveries l "
	"WHERE l.state IN ('pending', 'processing', 'fail') AND l.system_id > 0) "
	"SELECT system_id, count(*), sum(state = 'pending' AND since <= ?1), min(since), id, doc FROM w "
	"GROUP BY system_id ORDER BY system_id";

struct xop_each {
	lt_xop_cb cb;
	void *ctx;
};

static int xop_row(void *ve, sqlite3_stmt *q)
{
	struct xop_each *e = ve;
	struct lt_xdelivery d;
	struct lt_xdoc doc;
	char since[32];
	read_delivery(q, &d);
	read_doc(q, 8, &doc);
	lt__sq_col_copy(q, 22, since, sizeof since);
	return e->cb(e->ctx, &d, &doc, since);
}

struct xwaiting_each {
	lt_xwaiting_cb cb;
	void *ctx;
};

static int xwaiting_row(void *ve, sqlite3_stmt *q)
{
	struct xwaiting_each *e = ve;
	struct lt_xwaiting w = {0};
	w.system_id = sqlite3_column_int64(q, 0);
	w.waiting = sqlite3_column_int64(q, 1);
	w.stuck = sqlite3_column_int64(q, 2);
	lt__sq_col_copy(q, 3, w.oldest_since, sizeof w.oldest_since);
	w.oldest_id = sqlite3_column_int64(q, 4);
	lt__sq_col_copy(q, 5, w.oldest_doc, sizeof w.oldest_doc);
	return e->cb(e->ctx, &w);
}

static int sq_xoperations(struct lt_store *s, const struct lt_xop_filter *f, lt_xop_cb cb, void *ctx,
			  struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_XOPS, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, f->sender ? f->sender : "");
	lt__sq_bind_text(q, 2, f->recipient ? f->recipient : "");
	lt__sq_bind_text(q, 3, f->state ? f->state : "");
	lt__sq_bind_text(q, 4, f->since_before ? f->since_before : "");
	sqlite3_bind_int64(q, 5, f->before_id);
	struct xop_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, xop_row, &e, err, "deliveries");
}

static int sq_xwaiting(struct lt_store *s, const char *stuck_before, lt_xwaiting_cb cb, void *ctx, struct lt_err *err)
{
	struct lt__sq_store *st = lt__sq(s);
	struct lt__sq_conn *cn;
	sqlite3_stmt *q = lt__sq_use(st, false, SQL_XWAITING, &cn, err);
	if (!q)
		return LT_EIO;
	lt__sq_bind_text(q, 1, stuck_before);
	struct xwaiting_each e = {cb, ctx};
	return lt__sq_rows(st, cn, q, xwaiting_row, &e, err, "the waiting deliveries");
}

void lt__sq_exchange_ops(struct lt_store_ops *ops)
{
	ops->xoperations = sq_xoperations;
	ops->xwaiting = sq_xwaiting;
	ops->part = sq_part;
	ops->xdoc_find = sq_xdoc_find;
	ops->xdoc_add = sq_xdoc_add;
	ops->xdoc_get = sq_xdoc_get;
	ops->xdoc_for = sq_xdoc_for;
	ops->xdoc_by_document_id = sq_xdoc_by_document_id;
	ops->xdelivery_add = sq_xdelivery_add;
	ops->xdeliveries = sq_xdeliveries;
	ops->xinbox = sq_xinbox;
	ops->xreceivers = sq_xreceivers;
	ops->xhold_expire = sq_xhold_expire;
	ops->xack = sq_xack;
	ops->xevents = sq_xevents;
	ops->xstatus_add = sq_xstatus_add;
	ops->xstatuses = sq_xstatuses;
	ops->xstats = sq_xstats;
	ops->xexpired = sq_xexpired;
	ops->xbody_removed = sq_xbody_removed;
	ops->xcounts = sq_xcounts;
	ops->xsent = sq_xsent;
}
