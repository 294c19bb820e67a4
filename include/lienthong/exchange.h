/* The exchange hub (design.md §5): accepts edXML packages from connected
 * systems, stores them durably, routes each recipient code through lineage,
 * and keeps deliveries, transport acknowledgements and business statuses
 * for inboxes, traces and statistics. */
#ifndef LIENTHONG_EXCHANGE_H
#define LIENTHONG_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lienthong/access.h"
#include "lienthong/edxml.h"
#include "lienthong/registry.h"

#define LT_DOC_ID_BUFSZ 33 /* 32 hex characters */
#define LT_EXCHANGE_DEFAULT_HOLD_DAYS 30

struct lt_exchange;

/* ---- delivery states and the rules over them ----
 *
 * The one statement of the exchange's rules; a store stores a state as its
 * name (lt_delivery_state_name) and each backend implements these rules in
 * its own queries (store.h says which operation applies which), checked by
 * the conformance case in tests/unit/conformance_exchange.h. */
enum lt_delivery_state {
	LT_DELIVERY_PENDING,    /* waits for its system to fetch it */
	LT_DELIVERY_PROCESSING, /* its system said it is working on it */
	LT_DELIVERY_DONE,       /* its system finished it: final */
	LT_DELIVERY_FAIL,       /* its system could not process it; it stays in the inbox */
	LT_DELIVERY_REFUSED,    /* the recipient cannot be delivered to (unknown, closed without successor) */
	LT_DELIVERY_MERGED,     /* a second address of a unit another delivery already carries it to */
	LT_DELIVERY_NO_SYSTEM,  /* waits for a system to be bound to the routed-to code */
	LT_DELIVERY_EXPIRED,    /* waited hold_days for a system in vain */
	LT_DELIVERY_RELAY,      /* outside local_scope: queued for the upstream hub */
	LT_DELIVERY_RELAYED,    /* the upstream hub took it: its trace goes on there */
};
#define LT_DELIVERY_STATES 10

/* "pending", "processing", "done", "fail", "refused", "merged", "no_system",
 * "expired": the names the API, the trace and the store use. */
const char *lt_delivery_state_name(enum lt_delivery_state s);
/* LT_EINVAL for a name that is no state. */
int lt_delivery_state_parse(const char *name, enum lt_delivery_state *out, struct lt_err *err);
/* In its system's inbox: pending, processing, fail (lt_store_xinbox; the
 * pending count of /metrics). */
bool lt_delivery_waits(enum lt_delivery_state s);
/* What a transport acknowledgement of a delivery in state from to state to
 * (done, fail or processing) does: it changes a waiting delivery to another
 * state, and nothing else: done is final, a repeat is no change
 * (lt_store_xack). Whether the delivery is the acknowledger's own is the
 * acknowledgement's count either way, as long as it was ever delivered
 * (waiting or done). */
bool lt_delivery_ack_changes(enum lt_delivery_state from, enum lt_delivery_state to);
bool lt_delivery_ack_counts(enum lt_delivery_state s);
/* Waits for nothing any more: done, refused, merged, expired. A package
 * none of whose deliveries waits, the last of them changed longer ago than
 * the retention period, loses its body (lt_store_xexpired); its trace and
 * statistics stay. */
bool lt_delivery_settled(enum lt_delivery_state s);
/* Whether an acknowledgement may set it: done, fail, processing. */
bool lt_delivery_ack_state(enum lt_delivery_state s);

struct lt_exchange_opts {
	const char *data_dir; /* package bodies live in data_dir/packages */
	uint64_t max_package_bytes;
	int retention_days;        /* 0: keep acknowledged bodies */
	int signature_policy;      /* enum lt_sig_policy: off, flag, require */
	const char *trusted_ca;    /* CA PEM file(s) for signer binding; may be NULL */
	int hold_days;             /* days a delivery waits for a receiving system; 0: the default, 30 */
	uint64_t verify_max_bytes; /* memory signature verifications may hold at once; 0: no limit */
	/* Called by the commit thread after each commit that gave systems new
	 * deliveries, with those systems (a system may repeat, and one whose
	 * row a savepoint then undid may be named: a wake-up, not a promise).
	 * It runs while the next batch waits, so it must be quick and must not
	 * call back into the hub. May be NULL. */
	void (*on_deliveries)(void *arg, const int64_t *systems, size_t n);
	void *on_deliveries_arg;
	/* Federation: with an upstream, a recipient outside local_scope (comma-
	 * separated roots) or unknown here is queued for the relay worker. */
	const char *local_scope;
	bool upstream;
	const char *hub_code; /* the registry code the hub sends its own packages (probes) as; NULL or "": none */
};

/* Starts the hub over an open registry (borrowed; it must outlive the hub):
 * makes the spool directories, removes what a crash left in them (spool
 * files, bodies no row refers to) and starts the group-commit thread. One
 * data_dir belongs to one hub. */
int lt_exchange_open(struct lt_exchange **out, struct lt_registry *reg, const struct lt_exchange_opts *opts,
		     struct lt_err *err);
void lt_exchange_close(struct lt_exchange *x);

/* ---- sending: an upload streamed in pieces ---- */

struct lt_upload;

/* Begins an upload from ctx->who (a connected system: role system). */
int lt_upload_begin(struct lt_exchange *x, const struct lt_ctx *ctx, struct lt_upload **out, struct lt_err *err);
int lt_upload_feed(struct lt_upload *u, const void *buf, size_t len, struct lt_err *err);
/* Validates, checks the sender may speak for From, routes (one delivery per
 * system bound to each routed code, or one no_system delivery; a code the
 * registry does not know is refused for itself), commits (shared fsync with
 * concurrent uploads) and fills *reply (caller owns) with
 * {id, document_id, kind, recipients:[{code, routed_to, system, state, reason}]}.
 * LT_ERULE when no recipient can be delivered.
 * *replayed is set when the same package was accepted before: the reply is
 * the first one. The upload is consumed either way. */
int lt_upload_finish(struct lt_upload *u, json_t **reply, bool *replayed, struct lt_err *err);
/* lt_upload_finish in two steps, so that a server holds no thread while
 * the commit it shares with concurrent sends is synced. lt_upload_submit
 * does everything up to the commit and queues it: LT_OK means done(arg)
 * will be called, on the hub's commit thread, once the commit is over (it
 * must only wake the caller); anything else, a refusal or failure before
 * the commit, and done is never called. Either way lt_upload_result then
 * gives what lt_upload_finish would have, and consumes the upload. */
int lt_upload_submit(struct lt_upload *u, void (*done)(void *arg), void *arg);
int lt_upload_result(struct lt_upload *u, json_t **reply, bool *replayed, struct lt_err *err);
/* An upload of a package the relay worker fetched from the upstream hub,
 * recorded under link_system (the system standing for the upstream:
 * lt_relay_link). Its sender must lie outside local_scope; only its
 * recipients inside it get deliveries (the upstream delivers the others);
 * a package fetched again is the first one (*replayed). */
int lt_upload_begin_inbound(struct lt_exchange *x, const struct lt_ctx *ctx, int64_t link_system,
			    struct lt_upload **out, struct lt_err *err);
/* Is code inside this hub's local_scope (true when none is set)? */
bool lt_exchange_in_scope(const struct lt_exchange *x, const char *code);
/* Abandons an upload (a client that went away). NULL-safe. */
void lt_upload_abort(struct lt_upload *u);

/* ---- the hub's own packages (probes of a transition campaign) ----
 *
 * The hub sends as its code (hub_code) from a connected system of its own,
 * made on first use, bound to that code and holding no credential: nobody
 * can call as it. *id gets it. For whom lt_access_hub_send allows; LT_ERULE
 * when no hub_code is configured or it is not an active unit. */
int lt_exchange_hub_sender(struct lt_exchange *x, const struct lt_ctx *ctx, int64_t *id, struct lt_err *err);
/* Begins an upload sent by the hub's own system (lt_exchange_hub_sender),
 * on behalf of ctx->who (lt_access_hub_send); then lt_upload_feed and
 * lt_upload_finish as for any upload. */
int lt_upload_begin_hub(struct lt_exchange *x, const struct lt_ctx *ctx, struct lt_upload **out, struct lt_err *err);
/* The hub's code ("" when none is configured), and its own system (0 when
 * none was made yet). */
const char *lt_exchange_hub_code(const struct lt_exchange *x);
int64_t lt_exchange_hub_system(struct lt_exchange *x);

/* ---- receiving ---- */

struct lt_inbox_query {
	const char *kind; /* "edoc", "status" or NULL for both */
	int64_t after;    /* cursor: the last delivery id seen */
	int limit;        /* 1..500 */
};
/* The caller's own deliveries that wait: {"items":[…],"next_cursor":…}. */
int lt_exchange_inbox(struct lt_exchange *x, const struct lt_principal *who, const struct lt_inbox_query *q,
		      json_t **out, struct lt_err *err);
/* Opens the package bytes for a caller allowed to read them (its sending
 * system, a system it was delivered to, or an admin: lt_access_document);
 * *fd is the caller's to close. */
int lt_exchange_open_body(struct lt_exchange *x, const struct lt_principal *who, const char *id, int *fd,
			  uint64_t *size, struct lt_err *err);
/* Transport acknowledgement of the caller's own deliveries (never another
 * system's, even for the same code): done, fail or processing. A document stays in the inbox until done, and done is
 * final: a later fail or processing changes nothing and the reply says "done". */
int lt_exchange_ack(struct lt_exchange *x, const struct lt_ctx *ctx, const char *id, const char *state, json_t **out,
		    struct lt_err *err);
/* lt_exchange_ack in two steps, as lt_upload_submit and lt_upload_result:
 * LT_OK from submit gives *out, and (done non-NULL) done(arg) will be
 * called on the commit thread once the commit is over; result then gives
 * the reply and frees *out. A refused call gives no *out. */
struct lt_ack;
int lt_exchange_ack_submit(struct lt_exchange *x, const struct lt_ctx *ctx, const char *id, const char *state,
			   void (*done)(void *arg), void *arg, struct lt_ack **out, struct lt_err *err);
int lt_exchange_ack_result(struct lt_ack *a, json_t **out, struct lt_err *err);
/* An acknowledgement never answered (NULL-safe); only once its commit is over. */
void lt_exchange_ack_free(struct lt_ack *a);

/* Per delivery: routed-to code, receiving system, transport state and its
 * timeline, and the business-status timeline. Also for a manager whose
 * subtree holds the sender or a recipient (lt_access_document). */
int lt_exchange_trace(struct lt_exchange *x, const struct lt_principal *who, const char *id, json_t **out,
		      struct lt_err *err);
/* For any caller with a credential: volume per day, month, sender or recipient between two dates (inclusive,
 * YYYY-MM-DD; empty for open ends): counts, bytes, latencies sent→01, →06. */
int lt_exchange_stats(struct lt_exchange *x, const struct lt_principal *who, const char *from, const char *to,
		      const char *by, json_t **out, struct lt_err *err);
/* What a system (who) sent, oldest first, of kind ("edoc", "status", NULL
 * for both), received at or after since (NULL: any), the latest limit of
 * them (0: all); only doc_id when it names a package who sent (an id of
 * anything else is ignored: the SDK passes received ids along). */
int lt_exchange_sent(struct lt_exchange *x, const struct lt_principal *who, const char *kind, const char *doc_id,
		     const char *since, int limit, lt_xdoc_cb cb, void *ctx, struct lt_err *err);
/* The deliveries of a package, and the business statuses answering it, for
 * a caller lt_exchange_sent or lt_exchange_trace already let see it. */
int lt_exchange_doc_deliveries(struct lt_exchange *x, const char *doc, lt_xdelivery_cb cb, void *ctx,
			       struct lt_err *err);
int lt_exchange_doc_statuses(struct lt_exchange *x, const char *doc, lt_xstatus_cb cb, void *ctx, struct lt_err *err);
/* The operators' view (admin; a manager sees the deliveries whose sender or
 * recipient lies in its subtree): deliveries with their document's
 * metadata, newest first, filtered; *out is {"items", "next_cursor"}. */
struct lt_delivery_query {
	const char *sender, *recipient; /* canonical codes, or NULL */
	const char *state;              /* a transport state, "waiting", or NULL */
	int older_than_hours;           /* waiting at least this long; -1 for any */
	int64_t before;                 /* cursor: a delivery id, 0 for the newest */
	int limit;
};
int lt_exchange_deliveries(struct lt_exchange *x, const struct lt_principal *who, const struct lt_delivery_query *q,
			   json_t **out, struct lt_err *err);
/* Per connected system the caller may manage: its waiting deliveries, the
 * oldest with its age, and how many are stuck (pending, not fetched, for
 * stuck_hours or more); *out is {"stuck_hours", "items"}. */
int lt_exchange_waiting(struct lt_exchange *x, const struct lt_principal *who, int stuck_hours, json_t **out,
			struct lt_err *err);
/* Per connected system, the age in seconds of its oldest waiting delivery
 * (0 when none waits), for /metrics. */
typedef int (*lt_oldest_cb)(void *ctx, int64_t system_id, int64_t seconds);
int lt_exchange_oldest_waiting(struct lt_exchange *x, lt_oldest_cb cb, void *ctx, struct lt_err *err);

/* Totals for /metrics. */
struct lt_exchange_counts {
	uint64_t documents, statuses, bytes, replays, rejected;
	uint64_t deliveries[LT_DELIVERY_STATES]; /* by enum lt_delivery_state */
	/* Since start: group commits, and the sends and acknowledgements they
	 * carried (their ratio is how many share one sync); the rounds of
	 * package-body syncs (one per batch that carried bodies) and the
	 * bodies they made durable. */
	uint64_t commits, committed_jobs;
	uint64_t body_syncs, bodies_synced;
};
int lt_exchange_counts(struct lt_exchange *x, struct lt_exchange_counts *out, struct lt_err *err);

/* The hub's housekeeping, for an admin (the daemon's retention thread acts
 * as one): marks expired the deliveries that waited hold_days for a
 * system; then removes the bodies none of whose deliveries waits any more
 * (lt_delivery_settled), the last changed longer ago than the retention
 * period; traces and statistics stay. *removed says how many bodies. */
int lt_exchange_expire(struct lt_exchange *x, const struct lt_ctx *ctx, const char *today, size_t *removed,
		       struct lt_err *err);

#endif
