/* Schema migrations of the SQLite store. Each entry moves the schema from
 * version i to i+1 and runs in its own transaction; never edit a released
 * entry, append a new one. */
#include "sqlite_store.h"

/* clang-format off */
/* Seconds from a document's arrival (sent) to the first status code its
 * recipient rcp sent back about it (NULL when none yet). */
#define XSTAT_LAT(code, doc, rcp, sent)                                                                                \
	"((SELECT min(unixepoch(s.received)) FROM xstatuses s WHERE s.ref_doc = " doc " AND s.code = " code           \
	" AND s.from_code = " rcp ") - unixepoch(" sent "))"
/* Adds (sign 1) or takes away (-1) delivery row r's part of the totals; its
 * document counts for its recipient when no other row carries it there. */
#define XSTAT_DEL(sign, r)                                                                                             \
	"INSERT INTO xstat_dels SELECT day, sender, recipient, " sign " * first, " sign " * first * size, " sign ", "   \
	sign " * coalesce(l01, 0), " sign " * (l01 IS NOT NULL), " sign " * coalesce(l06, 0), "                        \
	sign " * (l06 IS NOT NULL) FROM (SELECT substr(d.received, 1, 10) AS day, d.from_code AS sender, "             \
	r ".routed_to AS recipient, d.size, NOT EXISTS (SELECT 1 FROM xdeliveries t WHERE t.doc = " r ".doc "          \
	"AND t.routed_to = " r ".routed_to AND t.state <> 'merged' AND t.id <> " r ".id) AS first, "                   \
	XSTAT_LAT("'01'", r ".doc", r ".routed_to", "d.received") " AS l01, "                                          \
	XSTAT_LAT("'06'", r ".doc", r ".routed_to", "d.received") " AS l06 "                                           \
	"FROM xdocs d WHERE d.id = " r ".doc AND d.kind = 'edoc' AND " r ".state <> 'merged') WHERE true "             \
	"ON CONFLICT (day, sender, recipient) DO UPDATE SET documents = documents + excluded.documents, "               \
	"bytes = bytes + excluded.bytes, deliveries = deliveries + excluded.deliveries, s01 = s01 + excluded.s01, "    \
	"n01 = n01 + excluded.n01, s06 = s06 + excluded.s06, n06 = n06 + excluded.n06;"
/* clang-format on */

/* A migration is one string run at once, in one transaction: 15's (triggers
 * with their statements spelled out) is longer than the 4,095 characters
 * ISO C asks every compiler to accept, which GCC and Clang exceed. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
static const char *const migrations[] = {
	/* 1: units, search index, lineage, changes and the append-only event log. */
	"CREATE TABLE units ("
	"  code TEXT PRIMARY KEY,"
	"  sort_key TEXT NOT NULL UNIQUE," /* reversed code: tree order and subtree prefixes */
	"  parent TEXT NOT NULL DEFAULT '',"
	"  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),"
	"  name TEXT NOT NULL,"
	"  name_fold TEXT NOT NULL,"
	"  address TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
	"  phone TEXT NOT NULL DEFAULT '', fax TEXT NOT NULL DEFAULT '', website TEXT NOT NULL DEFAULT '',"
	"  status INTEGER NOT NULL CHECK (status IN (0, 1)),"
	"  valid_from TEXT NOT NULL, valid_to TEXT NOT NULL DEFAULT '',"
	"  decision_number TEXT NOT NULL DEFAULT '', decision_date TEXT NOT NULL DEFAULT '',"
	"  decision_issuer TEXT NOT NULL DEFAULT '',"
	"  reorganized TEXT NOT NULL DEFAULT '', recorded TEXT NOT NULL DEFAULT '',"
	"  version INTEGER NOT NULL);"
	"CREATE INDEX units_parent ON units(parent, sort_key);"
	"CREATE INDEX units_level ON units(level, sort_key);"
	"CREATE VIRTUAL TABLE units_fts USING fts5(name_fold, content='units', content_rowid='rowid',"
	"  tokenize='unicode61 remove_diacritics 0', prefix='1 2 3');"
	"CREATE TRIGGER units_ai AFTER INSERT ON units BEGIN"
	"  INSERT INTO units_fts(rowid, name_fold) VALUES (new.rowid, new.name_fold); END;"
	"CREATE TRIGGER units_ad AFTER DELETE ON units BEGIN"
	"  INSERT INTO units_fts(units_fts, rowid, name_fold) VALUES ('delete', old.rowid, old.name_fold); END;"
	"CREATE TRIGGER units_au AFTER UPDATE OF name_fold ON units BEGIN"
	"  INSERT INTO units_fts(units_fts, rowid, name_fold) VALUES ('delete', old.rowid, old.name_fold);"
	"  INSERT INTO units_fts(rowid, name_fold) VALUES (new.rowid, new.name_fold); END;"
	"CREATE TABLE lineage ("
	"  pred TEXT NOT NULL, succ TEXT NOT NULL, change_id INTEGER NOT NULL,"
	"  PRIMARY KEY (pred, succ)) WITHOUT ROWID;"
	"CREATE INDEX lineage_succ ON lineage(succ);"
	"CREATE TABLE changes ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, effective TEXT NOT NULL,"
	"  reorganized TEXT NOT NULL DEFAULT '', recorded TEXT NOT NULL DEFAULT '', at TEXT NOT NULL,"
	"  actor TEXT NOT NULL DEFAULT '',"
	"  decision_number TEXT NOT NULL DEFAULT '', decision_date TEXT NOT NULL DEFAULT '',"
	"  decision_issuer TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL DEFAULT '{}');"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY," /* no AUTOINCREMENT and no deletes: gap-free */
	"  change_id INTEGER NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL,"
	"  parent TEXT NOT NULL DEFAULT '', sort_key TEXT NOT NULL,"
	"  at TEXT NOT NULL, effective TEXT NOT NULL, data TEXT NOT NULL);"
	"CREATE INDEX events_code ON events(code, effective, seq);"
	"CREATE INDEX events_parent ON events(parent, code);"
	"CREATE INDEX events_sort ON events(sort_key);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
	"  SELECT RAISE(ABORT, 'the event log is append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN"
	"  SELECT RAISE(ABORT, 'the event log is append-only'); END;",
	/* 2: bearer tokens (hashes only) and connected systems with their codes. */
	"CREATE TABLE systems ("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, created TEXT NOT NULL,"
	"  secret_sealed TEXT NOT NULL, removed TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE system_codes ("
	"  system_id INTEGER NOT NULL REFERENCES systems(id), code TEXT NOT NULL,"
	"  PRIMARY KEY (code, system_id)) WITHOUT ROWID;"
	"CREATE INDEX system_codes_system ON system_codes(system_id);"
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'system', 'reader')),"
	"  scope TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',"
	"  system_id INTEGER REFERENCES systems(id), created TEXT NOT NULL, revoked TEXT NOT NULL DEFAULT '');",
	/* 3: the exchange hub: documents, deliveries with their transport log,
	 * business statuses. */
	"CREATE TABLE xdocs ("
	"  id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('edoc', 'status')),"
	"  document_id TEXT NOT NULL, system_id INTEGER NOT NULL REFERENCES systems(id),"
	"  from_code TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, received TEXT NOT NULL,"
	"  doctype INTEGER NOT NULL DEFAULT -1, refers_to TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '', status_code TEXT NOT NULL DEFAULT '',"
	"  body_removed INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX xdocs_key ON xdocs(system_id, kind, document_id);"
	"CREATE INDEX xdocs_sha ON xdocs(system_id, sha256);"
	"CREATE INDEX xdocs_docid ON xdocs(document_id, from_code);"
	"CREATE INDEX xdocs_received ON xdocs(received);"
	"CREATE TABLE xdeliveries ("
	"  id INTEGER PRIMARY KEY, doc TEXT NOT NULL REFERENCES xdocs(id), addressed TEXT NOT NULL,"
	"  routed_to TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL);"
	"CREATE INDEX xdeliveries_doc ON xdeliveries(doc);"
	"CREATE INDEX xdeliveries_inbox ON xdeliveries(routed_to, state, id);"
	"CREATE TABLE xevents ("
	"  delivery_id INTEGER NOT NULL REFERENCES xdeliveries(id), state TEXT NOT NULL, at TEXT NOT NULL);"
	"CREATE INDEX xevents_delivery ON xevents(delivery_id);"
	"CREATE TABLE xstatuses ("
	"  id INTEGER PRIMARY KEY, status_doc TEXT NOT NULL, ref_doc TEXT NOT NULL, ref_document_id TEXT NOT NULL,"
	"  from_code TEXT NOT NULL, to_code TEXT NOT NULL, code TEXT NOT NULL, description TEXT NOT NULL,"
	"  at TEXT NOT NULL, received TEXT NOT NULL);"
	"CREATE INDEX xstatuses_ref ON xstatuses(ref_doc, id);",
	/* 4: a system's primary code, its VXP systemid. */
	"ALTER TABLE systems ADD COLUMN primary_code TEXT NOT NULL DEFAULT '';"
	"UPDATE systems SET primary_code = (SELECT min(code) FROM system_codes WHERE system_id = systems.id);"
	"CREATE INDEX systems_primary ON systems(primary_code);",
	/* 5: signing certificates bound to codes, and each package's signature verdict. */
	"CREATE TABLE certs ("
	"  id INTEGER PRIMARY KEY, code TEXT NOT NULL, fingerprint TEXT NOT NULL, subject TEXT NOT NULL,"
	"  not_before TEXT NOT NULL, not_after TEXT NOT NULL, pem TEXT NOT NULL, added TEXT NOT NULL,"
	"  revoked TEXT NOT NULL DEFAULT '', UNIQUE (code, fingerprint));"
	"ALTER TABLE xdocs ADD COLUMN signature TEXT NOT NULL DEFAULT '';",
	/* 6: the idempotency keys are unique in the table itself, not only by the
	 * committer's lookup: an edoc by (system, DocumentId), a status package
	 * by (system, bytes). Statuses carry no DocumentId of their own, hence
	 * the partial indexes. The plain xdocs_key index is covered by the new
	 * one for every lookup made (kind = 'edoc'). */
	"CREATE UNIQUE INDEX xdocs_edoc_key ON xdocs(system_id, kind, document_id) WHERE kind = 'edoc';"
	"CREATE UNIQUE INDEX xdocs_status_key ON xdocs(system_id, sha256) WHERE kind = 'status';"
	"DROP INDEX xdocs_key;",
	/* 7: the search index answers a word of up to seven letters (the longest
	 * Vietnamese syllable, "nghieng") from a prefix index of its own. A word
	 * longer than the longest prefix index is answered by merging the lists
	 * of every term it begins, in full, before the first row comes out: 0.3
	 * to 0.8 ms for "phuong" or "nhan" in 100,000 units, most of what a page
	 * of a name search costs once it stops at the page's limit. The
	 * triggers of migration 1 name the table and carry over.
	 * And a level's units in rowid order (the index ends in the rowid), the
	 * order of the search index's lists: a name search filtered by level
	 * steps through both side by side instead of looking up the row of
	 * every match to read its level. */
	"DROP TABLE units_fts;"
	"CREATE VIRTUAL TABLE units_fts USING fts5(name_fold, content='units', content_rowid='rowid',"
	"  tokenize='unicode61 remove_diacritics 0', prefix='1 2 3 4 5 6 7');"
	"INSERT INTO units_fts(units_fts) VALUES ('rebuild');"
	"CREATE INDEX units_level_rowid ON units(level);",
	/* 8: a delivery belongs to the system that receives it, not to its code:
	 * two systems bound to one code each get their own row, inbox entry and
	 * acknowledgement. A delivery in flight goes to the first system bound
	 * to its code today and a copy (with its transport log) to every other
	 * one, so none loses what it could read before; one whose code no
	 * system receives for waits as no_system, from when it was last
	 * changed. */
	"ALTER TABLE xdeliveries ADD COLUMN system_id INTEGER NOT NULL DEFAULT 0;"
	"UPDATE xdeliveries SET system_id = coalesce((SELECT min(c.system_id) FROM system_codes c JOIN systems s"
	"  ON s.id = c.system_id WHERE c.code = xdeliveries.routed_to AND s.removed = ''), 0)"
	"  WHERE routed_to <> '' AND state NOT IN ('refused', 'merged');"
	"INSERT INTO xdeliveries (doc, addressed, routed_to, state, reason, updated, system_id)"
	"  SELECT l.doc, l.addressed, l.routed_to, l.state, l.reason, l.updated, c.system_id FROM xdeliveries l"
	"  JOIN system_codes c ON c.code = l.routed_to JOIN systems s ON s.id = c.system_id AND s.removed = ''"
	"  WHERE l.system_id <> 0 AND c.system_id > l.system_id ORDER BY l.id, c.system_id;"
	"INSERT INTO xevents (delivery_id, state, at) SELECT n.id, e.state, e.at FROM xdeliveries n"
	"  JOIN xdeliveries o ON o.doc = n.doc AND o.addressed = n.addressed AND o.routed_to = n.routed_to"
	"  AND o.system_id <> 0 AND o.system_id < n.system_id AND o.id < n.id"
	"  AND NOT EXISTS (SELECT 1 FROM xdeliveries p WHERE p.doc = o.doc AND p.addressed = o.addressed"
	"    AND p.routed_to = o.routed_to AND p.id < o.id)"
	"  JOIN xevents e ON e.delivery_id = o.id ORDER BY n.id, e.rowid;"
	"UPDATE xdeliveries SET state = 'no_system', reason = 'no connected system receives for ' || routed_to"
	"  WHERE system_id = 0 AND routed_to <> '' AND state IN ('pending', 'processing', 'fail');"
	"DROP INDEX xdeliveries_inbox;"
	"CREATE INDEX xdeliveries_inbox ON xdeliveries(system_id, state, id);"
	"CREATE INDEX xdeliveries_waiting ON xdeliveries(routed_to) WHERE state = 'no_system';",
	/* 9: a connected system can be cut off (disabled holds when, "" while
	 * it may call), and the audit trail of acts on systems and tokens:
	 * who did what to which target, written in the act's own
	 * transaction, never changed afterwards. */
	"ALTER TABLE systems ADD COLUMN disabled TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,"
	"  action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX audit_target ON audit(target, id);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
	"  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
	"  SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
	/* 10: change requests: a unit asks, the managing agency decides. The
	 * requester role joins the tokens' roles (SQLite changes a CHECK only
	 * by copying the table; nothing references tokens). A request's
	 * events are its history and the feed, append-only and gap-free like
	 * the registry's; comments are events; files are kept under data_dir
	 * and only described here. */
	"CREATE TABLE tokens_new ("
	"  id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'system', 'reader', 'requester')),"
	"  scope TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',"
	"  system_id INTEGER REFERENCES systems(id), created TEXT NOT NULL, revoked TEXT NOT NULL DEFAULT '');"
	"INSERT INTO tokens_new (id, hash, role, scope, name, system_id, created, revoked)"
	"  SELECT id, hash, role, scope, name, system_id, created, revoked FROM tokens;"
	"DROP TABLE tokens;"
	"ALTER TABLE tokens_new RENAME TO tokens;"
	"CREATE TABLE requests ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, unit TEXT NOT NULL, sort_key TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('submitted', 'in_review', 'returned', 'rejected', 'applied')),"
	"  reorganized TEXT NOT NULL DEFAULT '', decision_date TEXT NOT NULL DEFAULT '',"
	"  applied TEXT NOT NULL DEFAULT '', filer_token INTEGER NOT NULL DEFAULT 0,"
	"  filer_system INTEGER NOT NULL DEFAULT 0, filed TEXT NOT NULL, updated TEXT NOT NULL,"
	"  doc TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX requests_state ON requests(state, id);"
	"CREATE INDEX requests_sort ON requests(sort_key);"
	"CREATE TABLE request_events ("
	"  seq INTEGER PRIMARY KEY," /* no AUTOINCREMENT and no deletes: gap-free */
	"  request_id INTEGER NOT NULL REFERENCES requests(id), kind TEXT NOT NULL, state TEXT NOT NULL,"
	"  unit TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX request_events_request ON request_events(request_id, seq);"
	"CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events BEGIN"
	"  SELECT RAISE(ABORT, 'the request history is append-only'); END;"
	"CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events BEGIN"
	"  SELECT RAISE(ABORT, 'the request history is append-only'); END;"
	"CREATE TABLE request_files ("
	"  request_id INTEGER NOT NULL REFERENCES requests(id), n INTEGER NOT NULL, name TEXT NOT NULL,"
	"  content_type TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('attachment', 'decision')), added TEXT NOT NULL, who TEXT NOT NULL,"
	"  PRIMARY KEY (request_id, n)) WITHOUT ROWID;"
	/* Organisations outside the state tree (enterprises, cooperatives and
	 * their dependent units), held as references under the codes the
	 * national business registry gave them: no decisions, no lineage. */
	"CREATE TABLE organizations ("
	"  code TEXT PRIMARY KEY, parent TEXT NOT NULL DEFAULT '',"
	"  kind TEXT NOT NULL CHECK (kind IN ('enterprise', 'cooperative', 'dependent')),"
	"  name TEXT NOT NULL, name_fold TEXT NOT NULL, address TEXT NOT NULL DEFAULT '',"
	"  email TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '', website TEXT NOT NULL DEFAULT '',"
	"  source TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'dissolved')),"
	"  added TEXT NOT NULL, updated TEXT NOT NULL);"
	"CREATE INDEX organizations_parent ON organizations(parent, code);",
	/* 11: plans: one decision (its kind kept as given: a resolution is not a
	 * decision) applied as many changes in one transaction, and which
	 * changes each made, so the mapping and the campaigns can name the plan
	 * behind a closure. */
	"CREATE TABLE plans ("
	"  id INTEGER PRIMARY KEY, decision_number TEXT NOT NULL, decision_date TEXT NOT NULL,"
	"  decision_issuer TEXT NOT NULL, decision_kind TEXT NOT NULL, effective TEXT NOT NULL,"
	"  title TEXT NOT NULL DEFAULT '', at TEXT NOT NULL, actor TEXT NOT NULL,"
	"  body TEXT NOT NULL, result TEXT NOT NULL);"
	"CREATE TABLE plan_changes ("
	"  change_id INTEGER PRIMARY KEY, plan_id INTEGER NOT NULL REFERENCES plans(id), step INTEGER NOT NULL);"
	"CREATE INDEX plan_changes_plan ON plan_changes(plan_id, step);",
	/* 12 (issue 19, campaigns): a campaign per reform and the codes it
	 * covers (each closed code with a current successor); probe runs and
	 * the units each concerned; the first fetch of a package by a system;
	 * each system's uses of closed codes, one row per day so a window
	 * (since=) sums whole days; the last time a system read the catalogue
	 * (its fetches of the mapping are in the audit trail); and the system
	 * the hub sends its own packages from. */
	"CREATE TABLE campaigns ("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, plan_id INTEGER NOT NULL DEFAULT 0,"
	"  since TEXT NOT NULL DEFAULT '', under TEXT NOT NULL DEFAULT '', baseline TEXT NOT NULL,"
	"  created TEXT NOT NULL, actor TEXT NOT NULL);"
	"CREATE TABLE campaign_codes ("
	"  campaign_id INTEGER NOT NULL REFERENCES campaigns(id), old_code TEXT NOT NULL, new_code TEXT NOT NULL,"
	"  PRIMARY KEY (campaign_id, old_code, new_code)) WITHOUT ROWID;"
	"CREATE TABLE probes ("
	"  id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL REFERENCES campaigns(id), at TEXT NOT NULL,"
	"  actor TEXT NOT NULL);"
	"CREATE INDEX probes_campaign ON probes(campaign_id, id);"
	"CREATE TABLE probe_units ("
	"  probe_id INTEGER NOT NULL REFERENCES probes(id), code TEXT NOT NULL, doc TEXT NOT NULL,"
	"  PRIMARY KEY (probe_id, code)) WITHOUT ROWID;"
	"CREATE TABLE xfetches ("
	"  doc TEXT NOT NULL, system_id INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (doc, system_id)) WITHOUT "
	"ROWID;"
	"CREATE TABLE code_uses ("
	"  system_id INTEGER NOT NULL, code TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('recipient', 'sender')),"
	"  day TEXT NOT NULL, n INTEGER NOT NULL, last TEXT NOT NULL,"
	"  PRIMARY KEY (day, system_id, code, role)) WITHOUT ROWID;"
	"CREATE TABLE system_reads ("
	"  system_id INTEGER NOT NULL, what TEXT NOT NULL CHECK (what IN ('catalogue')), at TEXT NOT NULL,"
	"  PRIMARY KEY (system_id, what)) WITHOUT ROWID;"
	"CREATE TABLE hub_senders (code TEXT PRIMARY KEY, system_id INTEGER NOT NULL REFERENCES systems(id));",
	/* 13: federation. A system bound to a subtree receives for every unit
	 * under its root that has no system of its own, present or future
	 * (system_codes.subtree). What goes upstream waits in relay_out,
	 * written with the document; the upstream link is a system of its own
	 * (relay_links), without codes or tokens, that inbound documents are
	 * recorded under, so its idempotency keys make a refetch one document. */
	"ALTER TABLE system_codes ADD COLUMN subtree INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX system_codes_subtree ON system_codes(code) WHERE subtree = 1;"
	"CREATE TABLE relay_out ("
	"  doc TEXT PRIMARY KEY REFERENCES xdocs(id), queued TEXT NOT NULL, next_try TEXT NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0, upstream_id TEXT NOT NULL DEFAULT '', relayed TEXT NOT NULL DEFAULT '',"
	"  last_error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX relay_out_due ON relay_out(next_try) WHERE upstream_id = '';"
	"CREATE TABLE relay_links (url TEXT PRIMARY KEY, system_id INTEGER NOT NULL REFERENCES systems(id));",
	/* 14: the catalogue across hubs: the read-only mirror of the upstream's
	 * catalogue (each unit's object as the upstream serves it), named values
	 * of the federation's progress (the mirror's last seq and health, the
	 * publication cursor) and when the upstream accepted each change this
	 * registry published, which the compliance report judges. */
	"CREATE TABLE mirror_units ("
	"  code TEXT PRIMARY KEY, parent TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, data TEXT NOT NULL);"
	"CREATE INDEX mirror_units_parent ON mirror_units(parent, code);"
	"CREATE TABLE federation_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE change_uploads (change_id INTEGER PRIMARY KEY, accepted TEXT NOT NULL);",
	/* 15: the exchange statistics as running totals per day (of the
	 * document's arrival), sender and recipient, kept by triggers in the
	 * transaction that writes a document, a delivery or a status, so a
	 * statistics call reads days rather than every delivery stored.
	 * xstat_docs counts edoc documents; xstat_dels, per recipient (a
	 * delivery's routed_to), the deliveries that are not merged, the
	 * documents and bytes they carry (a document once per recipient however
	 * many of its rows route there) and, per delivery, the seconds from the
	 * document's arrival to its recipient's first status 01 and 06 (sum and
	 * count, so the mean is exact). Each trigger compares with the rows
	 * other than its own, so one statement changing many rows stays right.
	 * The totals are backfilled from the rows already stored. */
	/* clang-format off */
	"CREATE TABLE xstat_docs ("
	"  day TEXT NOT NULL, sender TEXT NOT NULL, documents INTEGER NOT NULL, bytes INTEGER NOT NULL,"
	"  PRIMARY KEY (day, sender)) WITHOUT ROWID;"
	"CREATE TABLE xstat_dels ("
	"  day TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL, documents INTEGER NOT NULL,"
	"  bytes INTEGER NOT NULL, deliveries INTEGER NOT NULL, s01 INTEGER NOT NULL, n01 INTEGER NOT NULL,"
	"  s06 INTEGER NOT NULL, n06 INTEGER NOT NULL, PRIMARY KEY (day, sender, recipient)) WITHOUT ROWID;"
	"INSERT INTO xstat_docs SELECT substr(received, 1, 10), from_code, count(*), sum(size) FROM xdocs"
	"  WHERE kind = 'edoc' GROUP BY 1, 2;"
	"INSERT INTO xstat_dels SELECT day, sender, recipient, count(*), sum(size), sum(n), sum(s01), sum(n01),"
	"  sum(s06), sum(n06) FROM (SELECT substr(p.received, 1, 10) AS day, p.from_code AS sender,"
	"  p.routed_to AS recipient, p.size, count(*) AS n, coalesce(sum(p.l01), 0) AS s01, count(p.l01) AS n01,"
	"  coalesce(sum(p.l06), 0) AS s06, count(p.l06) AS n06 FROM (SELECT l.doc, l.routed_to, d.received,"
	"  d.from_code, d.size, "
	XSTAT_LAT("'01'", "l.doc", "l.routed_to", "d.received") " AS l01, "
	XSTAT_LAT("'06'", "l.doc", "l.routed_to", "d.received") " AS l06"
	"  FROM xdeliveries l JOIN xdocs d ON d.id = l.doc WHERE d.kind = 'edoc' AND l.state <> 'merged') p"
	"  GROUP BY p.doc, p.routed_to) GROUP BY day, sender, recipient;"
	"CREATE TRIGGER xstat_doc_add AFTER INSERT ON xdocs WHEN new.kind = 'edoc' BEGIN"
	"  INSERT INTO xstat_docs VALUES (substr(new.received, 1, 10), new.from_code, 1, new.size)"
	"  ON CONFLICT (day, sender) DO UPDATE SET documents = documents + 1, bytes = bytes + excluded.bytes; END;"
	"CREATE TRIGGER xstat_del_add AFTER INSERT ON xdeliveries BEGIN "
	XSTAT_DEL("1", "new")
	" END;"
	"CREATE TRIGGER xstat_del_move AFTER UPDATE OF doc, routed_to, state ON xdeliveries"
	"  WHEN old.doc IS NOT new.doc OR old.routed_to IS NOT new.routed_to"
	"  OR (old.state = 'merged') <> (new.state = 'merged') BEGIN "
	XSTAT_DEL("-1", "old")
	"  DELETE FROM xstat_dels WHERE deliveries = 0 AND recipient = old.routed_to"
	"  AND (day, sender) IN (SELECT substr(received, 1, 10), from_code FROM xdocs WHERE id = old.doc); "
	XSTAT_DEL("1", "new")
	" END;"
	"CREATE TRIGGER xstat_status_add AFTER INSERT ON xstatuses WHEN new.code IN ('01', '06') BEGIN"
	"  UPDATE xstat_dels SET s01 = s01 + (new.code = '01') * x.k * x.ds, n01 = n01 + (new.code = '01') * x.k * x.dn,"
	"  s06 = s06 + (new.code = '06') * x.k * x.ds, n06 = n06 + (new.code = '06') * x.k * x.dn"
	"  FROM (SELECT day, sender, k, CASE WHEN sent IS NULL OR nv IS NULL THEN 0 WHEN o IS NULL THEN nv - sent"
	"  WHEN nv < o THEN nv - o ELSE 0 END AS ds, (sent IS NOT NULL AND nv IS NOT NULL AND o IS NULL) AS dn"
	"  FROM (SELECT substr(d.received, 1, 10) AS day, d.from_code AS sender, unixepoch(d.received) AS sent,"
	"  unixepoch(new.received) AS nv, (SELECT min(unixepoch(s.received)) FROM xstatuses s"
	"  WHERE s.ref_doc = new.ref_doc AND s.code = new.code AND s.from_code = new.from_code AND s.id <> new.id) AS o,"
	"  (SELECT count(*) FROM xdeliveries l WHERE l.doc = new.ref_doc AND l.routed_to = new.from_code"
	"  AND l.state <> 'merged') AS k FROM xdocs d WHERE d.id = new.ref_doc AND d.kind = 'edoc')) x"
	"  WHERE xstat_dels.day = x.day AND xstat_dels.sender = x.sender AND xstat_dels.recipient = new.from_code"
	"  AND x.k > 0; END;"
	/* The totals /metrics reports (documents by kind, bytes, deliveries
	 * by state), kept the same way: a scrape reads a dozen rows rather
	 * than counting every row stored. */
	"CREATE TABLE xcounts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO xcounts SELECT kind, count(*) FROM xdocs GROUP BY kind;"
	"INSERT INTO xcounts SELECT 'bytes', coalesce(sum(size), 0) FROM xdocs;"
	"INSERT INTO xcounts SELECT 'state:' || state, count(*) FROM xdeliveries GROUP BY state;"
	"CREATE TRIGGER xcount_doc AFTER INSERT ON xdocs BEGIN INSERT INTO xcounts VALUES (new.kind, 1),"
	"  ('bytes', new.size) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n; END;"
	"CREATE TRIGGER xcount_del_add AFTER INSERT ON xdeliveries BEGIN INSERT INTO xcounts"
	"  VALUES ('state:' || new.state, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER xcount_del_state AFTER UPDATE OF state ON xdeliveries WHEN old.state IS NOT new.state BEGIN"
	"  INSERT INTO xcounts VALUES ('state:' || old.state, -1), ('state:' || new.state, 1)"
	"  ON CONFLICT (name) DO UPDATE SET n = n + excluded.n; END;"
	/* A system's sent documents, newest first (getSentEdocList): read as
	 * far as the page goes, not every document the system ever sent. */
	"CREATE INDEX xdocs_sent ON xdocs(system_id, received);",
	/* 16: units keyed by a named unique index on code instead of an
	 * inline PRIMARY KEY, whose automatic index cannot be dropped. A bulk
	 * load of fresh codes drops units_code and events_code and builds them
	 * after its rows, one sort each, rather than inserting each row at a
	 * random place in B-trees that outgrow the page cache (sqlite_units.c:
	 * sq_bulk). The table is copied with its rowids, which name searches
	 * and the full-text index (content='units', kept as it is) refer to;
	 * its indexes and the triggers of migration 1 are made again as they
	 * were. */
	"CREATE TABLE units_new ("
	"  code TEXT NOT NULL,"
	"  sort_key TEXT NOT NULL UNIQUE,"
	"  parent TEXT NOT NULL DEFAULT '',"
	"  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),"
	"  name TEXT NOT NULL,"
	"  name_fold TEXT NOT NULL,"
	"  address TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
	"  phone TEXT NOT NULL DEFAULT '', fax TEXT NOT NULL DEFAULT '', website TEXT NOT NULL DEFAULT '',"
	"  status INTEGER NOT NULL CHECK (status IN (0, 1)),"
	"  valid_from TEXT NOT NULL, valid_to TEXT NOT NULL DEFAULT '',"
	"  decision_number TEXT NOT NULL DEFAULT '', decision_date TEXT NOT NULL DEFAULT '',"
	"  decision_issuer TEXT NOT NULL DEFAULT '',"
	"  reorganized TEXT NOT NULL DEFAULT '', recorded TEXT NOT NULL DEFAULT '',"
	"  version INTEGER NOT NULL);"
	"INSERT INTO units_new (rowid, code, sort_key, parent, level, name, name_fold, address, email, phone, fax,"
	"  website, status, valid_from, valid_to, decision_number, decision_date, decision_issuer, reorganized,"
	"  recorded, version)"
	"  SELECT rowid, code, sort_key, parent, level, name, name_fold, address, email, phone, fax, website, status,"
	"  valid_from, valid_to, decision_number, decision_date, decision_issuer, reorganized, recorded, version"
	"  FROM units ORDER BY rowid;"
	"DROP TABLE units;"
	"ALTER TABLE units_new RENAME TO units;"
	"CREATE UNIQUE INDEX units_code ON units(code);"
	"CREATE INDEX units_parent ON units(parent, sort_key);"
	"CREATE INDEX units_level ON units(level, sort_key);"
	"CREATE INDEX units_level_rowid ON units(level);"
	"CREATE TRIGGER units_ai AFTER INSERT ON units BEGIN"
	"  INSERT INTO units_fts(rowid, name_fold) VALUES (new.rowid, new.name_fold); END;"
	"CREATE TRIGGER units_ad AFTER DELETE ON units BEGIN"
	"  INSERT INTO units_fts(units_fts, rowid, name_fold) VALUES ('delete', old.rowid, old.name_fold); END;"
	"CREATE TRIGGER units_au AFTER UPDATE OF name_fold ON units BEGIN"
	"  INSERT INTO units_fts(units_fts, rowid, name_fold) VALUES ('delete', old.rowid, old.name_fold);"
	"  INSERT INTO units_fts(rowid, name_fold) VALUES (new.rowid, new.name_fold); END;",
	/* clang-format on */
};
#pragma GCC diagnostic pop

const char *lt__sqlite_migration(int version)
{
	int latest = (int)(sizeof migrations / sizeof migrations[0]);
	return version >= 1 && version <= latest ? migrations[version - 1] : NULL;
}

int lt__sqlite_migrate(sqlite3 *db, struct lt_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", NULL, NULL,
			 &msg) != SQLITE_OK)
		goto fail;
	for (;;) {
		sqlite3_stmt *st;
		int version = 0;
		if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &st, NULL) != SQLITE_OK)
			return lt_err_set(err, LT_EIO, "reading the schema version: %s", sqlite3_errmsg(db));
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		int latest = (int)(sizeof migrations / sizeof migrations[0]);
		if (version > latest)
			return lt_err_set(err, LT_EIO,
					  "the database has schema version %d, newer than this build (%d): "
					  "upgrade lienthong",
					  version, latest);
		if (version == latest)
			return LT_OK;
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
		if (sqlite3_exec(db, migrations[version], NULL, NULL, &msg) != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
		char sql[96];
		snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d)", version + 1);
		if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
fail:
	lt_err_set(err, LT_EIO, "migrating the database schema: %s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return LT_EIO;
}
