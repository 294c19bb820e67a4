/* The store: one interface, several backends (SQLite now; PostgreSQL behind
 * the same table of operations later). It knows rows, not rules: the registry
 * decides what to write, the store writes it inside one transaction.
 *
 * Events carry the unit's full state after the change as JSON text, so the
 * history, as-of reads and the change feed all read one append-only log. */
#ifndef LIENTHONG_STORE_H
#define LIENTHONG_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "lienthong/err.h"
#include "lienthong/unit.h"

struct lt_store;

/* One entry of the append-only event log. data is owned by whoever filled
 * the struct (see lt_event_clear). */
struct lt_event {
	int64_t seq;       /* assigned by the store in commit order, gap-free: lt_store_event_append */
	int64_t change_id; /* the change (a reorganisation, an import) it belongs to */
	char kind[16];     /* issue, update, rename, move, split, merge, dissolve, import */
	char code[LT_CODE_BUFSZ];
	char parent[LT_CODE_BUFSZ];
	char at[32]; /* when it was recorded, UTC */
	char effective[LT_DATE_BUFSZ];
	char *data; /* JSON: {"unit":{…},"successors":[…],"predecessors":[…],…} */
};
void lt_event_clear(struct lt_event *ev);

/* A change record: one per operation that a decision authorises. */
struct lt_change {
	int64_t id;
	char kind[16];
	char effective[LT_DATE_BUFSZ];
	char reorganized[LT_DATE_BUFSZ];
	char recorded[LT_DATE_BUFSZ]; /* the date it reached the catalogue */
	char at[32];
	char actor[128];
	struct lt_decision decision;
	const char *summary; /* JSON text; borrowed on write */
};

enum lt_status_filter { LT_FILTER_ACTIVE, LT_FILTER_CLOSED, LT_FILTER_ALL };

struct lt_search_query {
	const char *text_fold; /* folded words, matched as word prefixes; NULL for none */
	const char *code_rev;  /* prefix of the reversed code ("H14.04"); NULL for none */
	const char *parent;    /* direct parent, NULL for any */
	const char *under;     /* subtree root code (itself excluded), NULL for any */
	int level;             /* 0 = any */
	enum lt_status_filter status;
	const char *cursor; /* where the previous page ended (its next cursor); NULL for the first */
	int limit;
};

/* A search cursor: opaque text the store makes and reads back, printable
 * ASCII without spaces, shorter than LT_CURSOR_BUFSZ. Each backend defines
 * its own (SQLite: the reversed code of the last row for tree order, "@"
 * and its row number for a name search); a cursor it did not make is
 * LT_EINVAL. */
#define LT_CURSOR_BUFSZ 64

typedef int (*lt_unit_cb)(void *ctx, const struct lt_unit *u);
typedef int (*lt_event_cb)(void *ctx, const struct lt_event *ev);
typedef int (*lt_change_cb)(void *ctx, const struct lt_change *c);

/* Opens a store from a path (SQLite) or a postgresql:// URI, creating and
 * migrating the schema. */
int lt_store_open(struct lt_store **out, const char *uri, struct lt_err *err);
/* Memory a store opened afterwards in this process may keep for database
 * pages it read, in MiB (0: LT_STORE_DEFAULT_CACHE_MIB). SQLite: the
 * writer's page cache (readers keep SQLite's own 2 MiB each and map the
 * file); PostgreSQL caches on the server, and ignores it. */
#define LT_STORE_DEFAULT_CACHE_MIB 32
void lt_store_set_cache_mib(int mib);
/* Checks a postgresql:// URI's syntax without connecting (LT_EINVAL naming
 * what is wrong); LT_OK for anything else, which is an SQLite path. */
int lt_store_uri_check(const char *uri, struct lt_err *err);
void lt_store_close(struct lt_store *s);
/* True when processes on other hosts may use the same database (PostgreSQL):
 * what another node has in flight is then not this process's to judge. */
bool lt_store_shared(const struct lt_store *s);

/* One write transaction at a time; readers see the last commit. A commit
 * returns only once the data is durable. */
int lt_store_begin(struct lt_store *s, struct lt_err *err);
int lt_store_commit(struct lt_store *s, struct lt_err *err);
void lt_store_rollback(struct lt_store *s);
/* A part of the current transaction that can fail alone: BEGIN marks it,
 * RELEASE keeps its writes, ROLLBACK undoes only them. Parts do not nest. A
 * failed ROLLBACK means the transaction itself is gone: roll it back. */
enum lt_store_part { LT_PART_BEGIN, LT_PART_RELEASE, LT_PART_ROLLBACK };
int lt_store_part(struct lt_store *s, enum lt_store_part what, struct lt_err *err);

int lt_store_unit_get(struct lt_store *s, const char *code, struct lt_unit *out, struct lt_err *err);
/* Inserts or replaces the unit's row and its search entry. */
int lt_store_unit_put(struct lt_store *s, const struct lt_unit *u, struct lt_err *err);
int lt_store_children(struct lt_store *s, const char *parent, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		      struct lt_err *err);
/* Every subtree unit (not the root), in tree order. */
int lt_store_subtree(struct lt_store *s, const char *root, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		     struct lt_err *err);
/* Calls cb per match, at most q->limit: code searches and listings in tree
 * order (by reversed code); name searches (text_fold) in an order the
 * backend chooses, stable while no unit is written, so pages resume where
 * they stopped. next (LT_CURSOR_BUFSZ) receives the cursor after the last
 * row given to cb, "" when none was. */
int lt_store_search(struct lt_store *s, const struct lt_search_query *q, lt_unit_cb cb, void *ctx, char *next,
		    struct lt_err *err);
/* Every number ever used for a child of parent, from the live table and from
 * the event log both, so a restored or edited table cannot free a number.
 * *out is malloc'd; the caller frees it. */
int lt_store_numbers_used(struct lt_store *s, const char *parent, unsigned **out, size_t *n, struct lt_err *err);

int lt_store_lineage_add(struct lt_store *s, const char *pred, const char *succ, int64_t change_id, struct lt_err *err);
int lt_store_successors(struct lt_store *s, const char *code, struct lt_codelist *out, struct lt_err *err);
int lt_store_predecessors(struct lt_store *s, const char *code, struct lt_codelist *out, struct lt_err *err);

/* c->id, when set, is kept (a change copied from a mirror); else the next
 * is assigned and set. */
int lt_store_change_add(struct lt_store *s, struct lt_change *c, struct lt_err *err);
int lt_store_changes(struct lt_store *s, lt_change_cb cb, void *ctx, struct lt_err *err);

/* Appends ev inside the caller's write transaction, or outside one as a
 * transaction of its own; seq is set on return.
 *
 * The change feed's promise, with any number of writers (threads, daemons,
 * nodes): every event has one seq; seqs are 1, 2, 3… with no gap; and they
 * follow commit order: when an event with seq n can be read, so can every
 * event below n. So a consumer that stores the last seq it read and asks
 * for what follows never skips one. A backend meets it by taking seq from a
 * counter that only one writing transaction holds at a time, until it
 * commits: SQLite, the database's write lock (max(seq) + 1 under BEGIN
 * IMMEDIATE); PostgreSQL, a counter row updated in the transaction (its row
 * lock holds until commit), never a sequence, whose numbers have gaps and
 * commit out of order. Registry writes are rare, so holding the counter
 * to commit costs nothing that matters. */
int lt_store_event_append(struct lt_store *s, struct lt_event *ev, struct lt_err *err);
/* The same for the commonest event, one that records a unit's state and
 * who acted: its data is {"unit": u as lt_unit_to_json writes it, "actor":
 * actor} (ev->data is not read), written by the store itself so an import
 * of many units does not build and print a JSON document per row. */
int lt_store_event_append_unit(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
			       struct lt_err *err);
int lt_store_events_for(struct lt_store *s, const char *code, lt_event_cb cb, void *ctx, struct lt_err *err);
int lt_store_events_after(struct lt_store *s, int64_t after, int limit, lt_event_cb cb, void *ctx, struct lt_err *err);
/* A number that changes whenever the registry's units, lineage or events
 * change. Equal numbers mean nothing was changed in between, so a reply
 * built from the registry under one generation may be served again while
 * it holds. Cheap: no database read on most calls.
 *
 * This handle's own commits change it at once. Another writer's commits
 * (another process, another node) reach it by the backend's notification,
 * within the bound lt_store_notify_bound_ms states: SQLite polls PRAGMA
 * data_version at most that often; PostgreSQL listens for a NOTIFY sent in
 * the writing transaction. */
uint64_t lt_store_generation(struct lt_store *s);
/* lt_store_generation with every commit made before the call counted, for
 * what must not be served stale even for a moment (a token's principal):
 * SQLite looks at other processes' commits now (PRAGMA data_version on the
 * writer when it is free; nothing more while a transaction that looked at
 * its start holds it, as no other process can commit then; otherwise the
 * generation moves, as when it cannot tell). PostgreSQL cannot tell
 * without a round trip to the server, which costs what the read it would
 * spare costs: there every call moves it. */
uint64_t lt_store_generation_now(struct lt_store *s);
/* The longest time, in milliseconds, after another writer's commit before
 * lt_store_generation on this handle changes. */
int lt_store_notify_bound_ms(struct lt_store *s);
/* The sequence number of the last event recorded (0 when none). */
int lt_store_last_seq(struct lt_store *s, int64_t *out, struct lt_err *err);
/* The latest event of code effective on or before date: LT_ENOTFOUND if the
 * code did not exist then. The caller clears *out. */
int lt_store_event_asof(struct lt_store *s, const char *code, const char *date, struct lt_event *out,
			struct lt_err *err);
/* For each code under parent (direct children, or the whole subtree when
 * subtree is true; every code when parent is NULL), its latest event
 * effective on or before date, in tree order. */
int lt_store_events_asof(struct lt_store *s, const char *parent, bool subtree, const char *date, lt_event_cb cb,
			 void *ctx, struct lt_err *err);

/* ---- access: tokens and connected systems ---- */

/* A bearer token as stored: only the SHA-256 of the secret, in hex. */
struct lt_token {
	int64_t id;
	char hash[65];
	char role[16];             /* admin, manager, system, reader */
	char scope[LT_CODE_BUFSZ]; /* manager: the subtree root; else "" */
	char name[128];
	int64_t system_id; /* role system: the system it belongs to */
	char created[32];
	char revoked[32]; /* "" while valid */
	/* lt_store_token_find only, read with the token in one statement (a
	 * request's authentication is one look-up): whether its system
	 * exists, and since when it is disabled ("" while enabled). */
	bool system_found;
	char system_disabled[32];
};

/* A connected system. The VXP secret is kept sealed (access.h). */
struct lt_system {
	int64_t id;
	char name[256];
	char created[32];
	char secret_sealed[256];          /* hex of nonce‖ciphertext‖tag */
	char removed[32];                 /* "" while connected */
	char primary_code[LT_CODE_BUFSZ]; /* the VXP systemid: the first code it was registered for */
	char disabled[32];                /* when it was cut off; "" while it may call */
};

/* One entry of the audit trail: an act on a system or a token. */
struct lt_audit {
	int64_t id;         /* assigned by the store, increasing */
	char at[32];        /* UTC */
	char who[192];      /* "cli:alice", "token 7 (Sở Nội vụ)", "system 3 (QLVB) via VXP" */
	char role[16];      /* the actor's role */
	char action[32];    /* system.add, system.bind, system.unbind, system.disable, … */
	char target[64];    /* "system:3", "token:7" */
	const char *detail; /* JSON object text; borrowed */
};
typedef int (*lt_audit_cb)(void *ctx, const struct lt_audit *a);

typedef int (*lt_token_cb)(void *ctx, const struct lt_token *t);
typedef int (*lt_system_cb)(void *ctx, const struct lt_system *sys);

/* Sets t->id. */
int lt_store_token_add(struct lt_store *s, struct lt_token *t, struct lt_err *err);
int lt_store_token_find(struct lt_store *s, const char *hash, struct lt_token *out, struct lt_err *err);
int lt_store_tokens(struct lt_store *s, lt_token_cb cb, void *ctx, struct lt_err *err);
int lt_store_token_revoke(struct lt_store *s, int64_t id, const char *at, struct lt_err *err);
/* Sets sys->id. */
int lt_store_system_add(struct lt_store *s, struct lt_system *sys, struct lt_err *err);
int lt_store_system_get(struct lt_store *s, int64_t id, struct lt_system *out, struct lt_err *err);
int lt_store_systems(struct lt_store *s, lt_system_cb cb, void *ctx, struct lt_err *err);
/* Binds code to the system. The deliveries that wait for a system to
 * receive for code (state no_system) become this system's, pending, in the
 * same transaction. */
int lt_store_system_code_add(struct lt_store *s, int64_t id, const char *code, struct lt_err *err);
int lt_store_system_codes(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err);
/* Systems whose primary code is code (the VXP systemid). */
int lt_store_systems_by_primary(struct lt_store *s, const char *code, lt_system_cb cb, void *ctx, struct lt_err *err);
/* Unbinds a code from a system; LT_ENOTFOUND when it was not bound. */
int lt_store_system_code_remove(struct lt_store *s, int64_t id, const char *code, struct lt_err *err);
/* Cuts a system off (at = when) or lets it call again (at = ""). */
int lt_store_system_disable(struct lt_store *s, int64_t id, const char *at, struct lt_err *err);
int lt_store_system_secret_set(struct lt_store *s, int64_t id, const char *sealed, struct lt_err *err);
/* Revokes every valid token of a system; *n says how many. */
int lt_store_system_tokens_revoke(struct lt_store *s, int64_t id, const char *at, int *n, struct lt_err *err);
/* Appends to the audit trail inside the caller's transaction; sets a->id. */
int lt_store_audit_add(struct lt_store *s, struct lt_audit *a, struct lt_err *err);
/* Entries after the cursor, oldest first, of one target ("" or NULL: all). */
int lt_store_audits(struct lt_store *s, const char *target, int64_t after, int limit, lt_audit_cb cb, void *ctx,
		    struct lt_err *err);
/* Rebinds every system bound to old_code, and every unrevoked token scoped
 * to it, to new_code (a unit that moved). */
int lt_store_system_rebind(struct lt_store *s, const char *old_code, const char *new_code, struct lt_err *err);

/* ---- exchange: documents, deliveries, statuses ----
 *
 * A delivery's state is kept as its name (lt_delivery_state_name in
 * exchange.h: pending, processing, done, fail, refused, merged, no_system,
 * expired). The exchange's rules over the states are stated once, in
 * exchange.h (lt_delivery_waits, lt_delivery_ack_changes,
 * lt_delivery_ack_counts, lt_delivery_settled); the operations below that
 * apply one say which, and every backend's queries implement exactly it
 * (tests/unit/conformance_exchange.h checks them state by state). */

struct lt_xdoc {
	char id[33];
	char kind[8];          /* edoc, status */
	char document_id[256]; /* an edoc's DocumentId; "" for a status */
	int64_t system_id;     /* the sending system */
	char from_code[LT_CODE_BUFSZ];
	char sha256[65];
	int64_t size;
	char received[32];
	int doctype;         /* BussinessDocType, -1 when none */
	char refers_to[256]; /* the DocumentId revoked/updated/replaced or answered */
	char subject[512];
	char status_code[3]; /* a status package's code */
	bool body_removed;
	char signature[256]; /* the hub's verdict: "trusted: …", "untrusted: …", or "" (policy off) */
};

struct lt_xdelivery {
	int64_t id;
	char doc[33];
	char addressed[LT_CODE_BUFSZ]; /* the To/OrganId as written */
	char routed_to[LT_CODE_BUFSZ]; /* where it goes ("" when refused) */
	int64_t system_id;             /* the receiving system; 0 when none (refused, merged, no_system, expired) */
	char state[12]; /* lt_delivery_state_name(): pending, processing, done, fail, refused, merged, no_system,
			   expired */
	char reason[256];
	char updated[32];
};

struct lt_xevent { /* one transport state change of a delivery */
	char state[12];
	char at[32];
};

struct lt_xstatus { /* a business status, kept on the trace of what it answers */
	char status_doc[33];
	char ref_doc[33]; /* the hub's id of the answered document, "" if never carried */
	char ref_document_id[256];
	char from_code[LT_CODE_BUFSZ];
	char to_code[LT_CODE_BUFSZ];
	char code[3];
	char description[512];
	char at[32]; /* the package's Timestamp */
	char received[32];
};

struct lt_xstat_row {
	char key[64];
	int64_t documents, bytes, deliveries;
	double sent_to_01_s, sent_to_06_s; /* mean seconds, -1 when no status yet */
	int64_t n_01, n_06;
};

typedef int (*lt_xdoc_cb)(void *ctx, const struct lt_xdoc *d);
typedef int (*lt_xdelivery_cb)(void *ctx, const struct lt_xdelivery *d);
typedef int (*lt_xinbox_cb)(void *ctx, const struct lt_xdelivery *dl, const struct lt_xdoc *doc);
typedef int (*lt_xevent_cb)(void *ctx, const struct lt_xevent *e);
typedef int (*lt_xstatus_cb)(void *ctx, const struct lt_xstatus *st);
typedef int (*lt_xstat_cb)(void *ctx, const struct lt_xstat_row *row);

/* The package a system sent before under the same DocumentId (edoc) or the
 * same bytes (status); LT_ENOTFOUND when none. */
int lt_store_xdoc_find(struct lt_store *s, int64_t system_id, const char *kind, const char *document_id,
		       const char *sha256, struct lt_xdoc *out, struct lt_err *err);
int lt_store_xdoc_add(struct lt_store *s, const struct lt_xdoc *d, struct lt_err *err);
int lt_store_xdoc_get(struct lt_store *s, const char *id, struct lt_xdoc *out, struct lt_err *err);
/* The document and whether system_id has a delivery of it (in any state;
 * system 0 has none), in one read: what a system's fetch needs to be
 * judged. */
int lt_store_xdoc_for(struct lt_store *s, const char *id, int64_t system_id, struct lt_xdoc *out, bool *receives,
		      struct lt_err *err);
/* The latest edoc with this DocumentId (sent by from_code when given). */
int lt_store_xdoc_by_document_id(struct lt_store *s, const char *document_id, const char *from_code,
				 struct lt_xdoc *out, struct lt_err *err);
/* Sets d->id. Logs the first transport event. */
int lt_store_xdelivery_add(struct lt_store *s, struct lt_xdelivery *d, struct lt_err *err);
int lt_store_xdeliveries(struct lt_store *s, const char *doc, lt_xdelivery_cb cb, void *ctx, struct lt_err *err);
/* The connected systems that receive for code (bound to it), lowest id first. */
typedef int (*lt_xreceiver_cb)(void *ctx, int64_t system_id);
int lt_store_xreceivers(struct lt_store *s, const char *code, lt_xreceiver_cb cb, void *ctx, struct lt_err *err);
/* ---- federation ---- */
/* Binds root to the system as a subtree: the system receives for root
 * itself (as lt_store_system_code_add, claiming what waited for it) and
 * for every unit under it that has no system of its own. */
int lt_store_system_subtree_add(struct lt_store *s, int64_t id, const char *root, struct lt_err *err);
/* The subtree roots of a system, sorted. */
int lt_store_system_subtrees(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err);
/* The systems bound to root as a subtree, lowest id first. */
int lt_store_xsubtree_receivers(struct lt_store *s, const char *root, lt_xreceiver_cb cb, void *ctx,
				struct lt_err *err);
/* Queues doc for the upstream, due at once (inside the send's transaction). */
int lt_store_relay_out_add(struct lt_store *s, const char *doc, const char *at, struct lt_err *err);
/* Documents queued for the upstream and due by now, earliest first. */
typedef int (*lt_relay_cb)(void *ctx, const char *doc, int tries);
int lt_store_relay_out_due(struct lt_store *s, const char *now, int limit, lt_relay_cb cb, void *ctx,
			   struct lt_err *err);
/* A try that failed: the next at next_try. */
int lt_store_relay_out_retry(struct lt_store *s, const char *doc, int tries, const char *next_try, const char *error,
			     struct lt_err *err);
/* The upstream took doc as upstream_id: its deliveries waiting for the
 * relay (state relay) become relayed, with a transport event at `at`. */
int lt_store_relay_out_done(struct lt_store *s, const char *doc, const char *upstream_id, const char *at,
			    struct lt_err *err);
/* The system that stands for the upstream at url; LT_ENOTFOUND before the first link. */
int lt_store_relay_link_get(struct lt_store *s, const char *url, int64_t *system_id, struct lt_err *err);
int lt_store_relay_link_add(struct lt_store *s, const char *url, int64_t system_id, struct lt_err *err);
/* The system's deliveries that wait (lt_delivery_waits), after the cursor
 * (a delivery id), oldest first. kind NULL for both. */
int lt_store_xinbox(struct lt_store *s, int64_t system_id, const char *kind, int64_t after, int limit, lt_xinbox_cb cb,
		    void *ctx, struct lt_err *err);
/* An acknowledgement: each of the system's deliveries of doc goes to state
 * where lt_delivery_ack_changes says it does (done is final; a repeat is no
 * change), with a transport event; *n counts the system's deliveries of doc
 * that lt_delivery_ack_counts (0: none was ever delivered to it). */
int lt_store_xack(struct lt_store *s, const char *doc, int64_t system_id, const char *state, const char *at, int *n,
		  struct lt_err *err);
int lt_store_xevents(struct lt_store *s, int64_t delivery_id, lt_xevent_cb cb, void *ctx, struct lt_err *err);
int lt_store_xstatus_add(struct lt_store *s, const struct lt_xstatus *st, struct lt_err *err);
int lt_store_xstatuses(struct lt_store *s, const char *ref_doc, lt_xstatus_cb cb, void *ctx, struct lt_err *err);
/* Packages a system sent, oldest first; kind NULL for both. Only those
 * received at or after since (an ISO time as `received` is written; NULL or
 * "": any), and of those the latest limit (0: all). */
int lt_store_xsent(struct lt_store *s, int64_t system_id, const char *kind, const char *since, int limit, lt_xdoc_cb cb,
		   void *ctx, struct lt_err *err);
/* Edoc volume and latencies between two dates of `received` (inclusive,
 * YYYY-MM-DD; "" for open ends), grouped by: day or month of received,
 * sender (from_code) or recipient (routed_to). documents and bytes count
 * each package once per group; deliveries counts those not merged. The
 * latency to 01 (to 06) of a delivery, not merged, is the seconds from the
 * package's received to the first (earliest received) status 01 (06)
 * answering it (ref_doc) from its routed_to code; sent_to_01_s is their
 * mean over the group's deliveries that have one, n_01 how many. */
int lt_store_xstats(struct lt_store *s, const char *from, const char *to, const char *by, lt_xstat_cb cb, void *ctx,
		    struct lt_err *err);
/* Operators' view of deliveries, newest first. A delivery waits
 * (lt_delivery_waits) since it last became pending (routed, or claimed by
 * a system bound later); "" for the others. */
struct lt_xop_filter {
	const char *sender;       /* the sending code, "" for any */
	const char *recipient;    /* the routed-to or addressed code, "" for any */
	const char *state;        /* a state, "waiting" for the three, "" for any */
	const char *since_before; /* only deliveries waiting since before this time, "" for any */
	int64_t before_id;        /* cursor: delivery ids below it, 0 for the start */
};
typedef int (*lt_xop_cb)(void *ctx, const struct lt_xdelivery *dl, const struct lt_xdoc *doc, const char *since);
int lt_store_xoperations(struct lt_store *s, const struct lt_xop_filter *f, lt_xop_cb cb, void *ctx,
			 struct lt_err *err);
/* Per system with waiting deliveries: how many, how many pending since
 * before stuck_before, and the oldest (by waiting since). */
struct lt_xwaiting {
	int64_t system_id;
	int64_t waiting, stuck;
	int64_t oldest_id;
	char oldest_doc[33];
	char oldest_since[32];
};
typedef int (*lt_xwaiting_cb)(void *ctx, const struct lt_xwaiting *w);
int lt_store_xwaiting(struct lt_store *s, const char *stuck_before, lt_xwaiting_cb cb, void *ctx, struct lt_err *err);
/* Retention: packages with a body still kept, every delivery of which is
 * settled (lt_delivery_settled), the latest delivery change (updated)
 * before `before`. */
int lt_store_xexpired(struct lt_store *s, const char *before, lt_xdoc_cb cb, void *ctx, struct lt_err *err);
int lt_store_xbody_removed(struct lt_store *s, const char *id, struct lt_err *err);
/* Deliveries that waited for a system (no_system) since before `before`
 * become expired at `at`, with reason; *n says how many. */
int lt_store_xhold_expire(struct lt_store *s, const char *before, const char *at, const char *reason, int *n,
			  struct lt_err *err);
/* Totals: [edoc packages, status packages, bytes of both, deliveries that
 * wait (lt_delivery_waits), done, refused]. */
/* Documents (edoc, status), their bytes, then the deliveries in each
 * transport state, in the order of enum lt_delivery_state. */
#define LT_XCOUNTS (3 + 10) /* documents, statuses, bytes, then one per enum lt_delivery_state */
int lt_store_xcounts(struct lt_store *s, int64_t out[LT_XCOUNTS], struct lt_err *err);

/* ---- signing certificates bound to codes ---- */

struct lt_cert {
	int64_t id;
	char code[LT_CODE_BUFSZ];
	char fingerprint[65]; /* SHA-256 of the DER, hex */
	char subject[256];
	char not_before[32], not_after[32];
	char added[32];
	char revoked[32]; /* "" while usable */
	char *pem;        /* owned by whoever filled it; NULL when not read */
};
typedef int (*lt_cert_cb)(void *ctx, const struct lt_cert *c);
/* Sets c->id. */
int lt_store_cert_add(struct lt_store *s, struct lt_cert *c, struct lt_err *err);
int lt_store_certs(struct lt_store *s, const char *code, lt_cert_cb cb, void *ctx, struct lt_err *err);
int lt_store_cert_revoke(struct lt_store *s, const char *code, int64_t id, const char *at, struct lt_err *err);

/* ---- plans: one decision, many steps (transition.h) ---- */

struct lt_plan_row {
	int64_t id;
	struct lt_decision decision;
	char decision_kind[128]; /* "Nghị quyết", "Quyết định"…, kept as given */
	char effective[LT_DATE_BUFSZ];
	char at[32];
	char actor[128];
	const char *title;  /* borrowed */
	const char *body;   /* the plan as given, JSON text; borrowed */
	const char *result; /* what it did, JSON text; borrowed */
};
/* A change one step of a plan recorded (a step records one or none). */
struct lt_plan_change {
	int64_t change_id;
	int step;
};
typedef int (*lt_plan_cb)(void *ctx, const struct lt_plan_row *p);
/* Stores a plan with the changes (lt_change ids) its steps recorded, in the
 * current transaction; sets p->id. */
int lt_store_plan_add(struct lt_store *s, struct lt_plan_row *p, const struct lt_plan_change *changes, size_t n,
		      struct lt_err *err);
/* Plans in id order, all (id 0) or the one with that id (none: no call). */
int lt_store_plans(struct lt_store *s, int64_t id, lt_plan_cb cb, void *ctx, struct lt_err *err);
/* The plan a change belongs to; *plan_id 0 when it was made on its own. */
int lt_store_plan_of_change(struct lt_store *s, int64_t change_id, int64_t *plan_id, struct lt_err *err);

/* A bulk load of about rows units inside the current transaction: the
 * search index is filled once at the end rather than row by row, and a
 * backend may build other indexes afresh at the end when the load is large
 * beside what it holds. Call with start true before the rows and false
 * after them; between the two, only look-ups by code are made. fresh says
 * the caller knows (lt_store_sort_keys) that no row's code was ever held by
 * the registry: then only parents are looked up, every unit is inserted,
 * never updated, and no event is read, so a backend may also build its
 * indexes by code afresh at the end. */
int lt_store_bulk(struct lt_store *s, bool start, size_t rows, bool fresh, struct lt_err *err);
/* The sort key (lt_code_rev) of every code the registry has held, a unit's
 * or one in the event log, each once and in ascending byte order, which is
 * tree order: one ordered pass a bulk load merges its staged rows with
 * instead of looking each row's code up. Non-zero from cb stops it. */
typedef int (*lt_key_cb)(void *ctx, const char *sort_key);
int lt_store_sort_keys(struct lt_store *s, lt_key_cb cb, void *ctx, struct lt_err *err);

/* Checks the store answers (for /healthz) and its integrity on demand. */
int lt_store_ping(struct lt_store *s, struct lt_err *err);
int lt_store_integrity_check(struct lt_store *s, struct lt_err *err);

/* The reversed form of a code used for tree order and subtree prefixes:
 * "000.46.24.H44" → "H44.24.46.000". buf holds LT_CODE_BUFSZ bytes. */
char *lt_code_rev(const char *code, char *buf);

/* ---- backups (lienthong/ops.h) ---- */

/* Called for each file under data_dir the snapshot's rows refer to: a
 * package body (kind LT_SNAPSHOT_PACKAGE, id the package's, n 0) or a
 * change request's file (LT_SNAPSHOT_REQUEST_FILE, id the request's, n the
 * file's number). Returns 0 when the caller has copied it, 1 when a package
 * body is gone (retention removed it after the snapshot was taken: the copy
 * then records it as removed too), or a status that stops the snapshot. */
enum lt_snapshot_file { LT_SNAPSHOT_PACKAGE, LT_SNAPSHOT_REQUEST_FILE };
typedef int (*lt_snapshot_body_cb)(void *ctx, enum lt_snapshot_file kind, const char *id, int n, const char *sha256);
/* Writes a consistent copy of the whole store as of one moment to the new
 * file dest while others keep writing, then calls cb for the bodies it
 * refers to. *last_seq is the copy's last event. */
int lt_store_snapshot(struct lt_store *s, const char *dest, lt_snapshot_body_cb cb, void *ctx, int64_t *last_seq,
		      struct lt_err *err);

/* ---- the issue journal (store_journal.c, docs/operations.md) ---- */

/* Keeps the issue journal at path (created when missing): every later
 * commit that appends events records their codes in it before and the seq
 * reached after; events are refused while the store is behind it, and
 * numbers it names are never allocated. */
int lt_store_journal_open(struct lt_store *s, const char *path, struct lt_err *err);
/* *mark: the highest seq the journal records (-1 when none is kept);
 * *last: the store's last seq. Behind when *mark > *last. */
int lt_store_journal_status(struct lt_store *s, int64_t *mark, int64_t *last, struct lt_err *err);
/* On for the events the current transaction copies from a mirror's change
 * feed: they are what the store lacks, so they are taken while behind. */
void lt_store_journal_replaying(struct lt_store *s, bool on);

#endif
