/* Internals of the exchange hub shared by its files. */
#ifndef LT_EXCHANGE_IMPL_H
#define LT_EXCHANGE_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "lienthong/exchange.h"
#include "lienthong/text.h"

/* A delivery row's state, which the store keeps as its name. */
static inline bool lt__dl_is(const struct lt_xdelivery *d, enum lt_delivery_state s)
{
	return strcmp(d->state, lt_delivery_state_name(s)) == 0;
}
static inline void lt__dl_set(struct lt_xdelivery *d, enum lt_delivery_state s)
{
	lt_text_format(d->state, sizeof d->state, "%s", lt_delivery_state_name(s));
}

/* What a job asks of the group commit: the rows of an accepted package, or
 * a transport acknowledgement. */
enum lt__job_kind { LT__JOB_SEND, LT__JOB_ACK };

/* A closed code a package used, as a recipient or as its sender: recorded
 * for the sending system with the package's rows (transition campaigns). */
struct lt__use {
	char code[LT_CODE_BUFSZ];
	const char *role; /* "recipient", "sender" */
};

/* One write waiting for the group commit, owned by the thread that waits
 * for it. */
struct lt__job {
	enum lt__job_kind kind;
	/* LT__JOB_SEND: the package's rows. */
	struct lt_xdoc doc;
	struct lt_xdelivery *deliveries;
	size_t n_deliveries;
	struct lt_xstatus *statuses;
	size_t n_statuses;
	struct lt__use *uses;
	size_t n_uses;
	/* SEND: the body, written to its spool file but not yet durable. The
	 * commit thread moves it from body_tmp to body_final and syncs it with
	 * the batch's other bodies before the rows commit; it empties body_tmp
	 * once the spool name is free again (the body is then at body_final). */
	bool body;
	int body_fd;
	char *body_tmp, *body_final;
	/* LT__JOB_ACK: the caller's deliveries of ack_doc go to ack_state. */
	const char *ack_doc, *ack_state;
	enum lt_delivery_state ack_to; /* ack_state's */
	int64_t ack_system;
	char ack_at[32];
	/* Filled by the committer. */
	bool done;
	int rc;
	struct lt_err err;
	char replay_of[LT_DOC_ID_BUFSZ]; /* SEND: set when the package was accepted before */
	/* SEND: the delivery rows written, in order, for the reply to be built
	 * from rather than read back; written_lost when one could not be kept
	 * (the reply then reads them back). */
	struct lt_xdelivery *written;
	size_t n_written, cap_written;
	bool written_lost;
	int ack_n;              /* ACK: the caller's deliveries of the document */
	int ack_mine, ack_done; /* ACK other than done: live ones, and how many are done */
	/* Set by lt__commit_job_async: called by the commit thread once the
	 * job is done, instead of waking a waiting caller. */
	void (*on_done)(void *arg);
	void *on_done_arg;
	struct lt__job *next, *async_next;
};

struct lt_exchange {
	struct lt_registry *reg;
	struct lt_store *store;
	char data_dir[PATH_MAX];
	uint64_t max_package_bytes;
	int retention_days;
	int hold_days;
	int signature_policy;
	uint64_t verify_max_bytes;
	char trusted_ca[PATH_MAX];
	/* Federation: the subtree roots served here, and whether an upstream
	 * takes what lies outside them. */
	struct lt_codelist scope;
	bool upstream;
	char hub_code[LT_CODE_BUFSZ]; /* what the hub sends its own packages as; "" for none */
	_Atomic int64_t hub_system;   /* its system, once known (0: not looked up or made yet) */
	/* Group commit: uploads and acknowledgements queue jobs; one thread
	 * commits them together. */
	pthread_mutex_t lock;
	pthread_cond_t wake, finished;
	struct lt__job *queue, **tail;
	unsigned long long commits, committed_jobs; /* logged at close */
	bool stopping;
	pthread_t committer;
	/* The systems the batch being written gives deliveries to, for
	 * on_deliveries; the commit thread's alone. */
	void (*on_deliveries)(void *arg, const int64_t *systems, size_t n);
	void *on_deliveries_arg;
	int64_t *woken;
	size_t n_woken, cap_woken;
	bool committer_running;
	atomic_ullong replays, rejected;
	/* data_dir/packages, open for the batch's syncfs. */
	int packages_fd;
	/* Rounds of body syncs and the bodies they carried (commit thread,
	 * read under lock). */
	unsigned long long body_syncs, bodies_synced;
	/* Tests only (LIENTHONG_TEST_COMMIT_PAUSE_MS): the commit thread waits
	 * this long between a batch's bodies and its commit. */
	int pause_ms;
};

/* data_dir/packages/ab/<id>.xml */
void lt__xpath_body(const struct lt_exchange *x, const char *id, char out[PATH_MAX]);
/* fsync of a directory, so the names in it are durable; -1 with errno. */
int lt__xsync_dir(const char *path);
/* Hands the job to the committer and waits until it is durable (or failed);
 * the job's rc and err say how it went. */
int lt__commit_job(struct lt_exchange *x, struct lt__job *job);
/* Queues one job and returns at once: job->on_done(job->on_done_arg) runs
 * on the commit thread when it is done (its rc and err then set). */
void lt__commit_job_async(struct lt_exchange *x, struct lt__job *job);
/* The same for a list of jobs (linked by next), queued together so they
 * share a batch; returns the first job's status, each job has its own. */
int lt__commit_jobs(struct lt_exchange *x, struct lt__job *jobs);
/* The hub's own system when it is known or stored (0 when none was made). */
int64_t lt__hub_system(struct lt_exchange *x);
/* Records the first fetch of one of the hub's own packages by who (own.c). */
void lt__note_fetch(struct lt_exchange *x, const struct lt_principal *who, const struct lt_xdoc *d);
/* An acknowledgement inside the batch transaction (receive.c). */
int lt__apply_ack(struct lt_exchange *x, struct lt__job *j);
/* The reply of a send, rebuilt from the stored rows. */
int lt__send_reply(struct lt_exchange *x, const char *id, json_t **out, struct lt_err *err);
/* The same reply from the document and the delivery rows just committed. */
int lt__send_reply_rows(const struct lt_xdoc *d, const struct lt_xdelivery *rows, size_t n, json_t **out,
			struct lt_err *err);
/* json_pack that says why it failed: NULL with err filled ("cannot build
 * <what>: …"), for a stored field that is not valid UTF-8 or no memory. */
json_t *lt__xpack(struct lt_err *err, const char *what, const char *fmt, ...);
/* The status to return after lt__xpack gave NULL (err may be NULL). */
static inline int lt__xfail(const struct lt_err *err) { return err && err->status ? (int)err->status : LT_EIO; }

/* The array a row callback appends to, and where it says why it could not. */
struct lt__list {
	json_t *items;
	struct lt_err *err;
};
/* Appends o (stolen; NULL means lt__xpack failed) to c->items. */
int lt__list_append(struct lt__list *c, json_t *o);
/* Reads document id into *d when this caller may read its trace, or its
 * body too (body): LT_ENOTFOUND when there is none. Its parties are found
 * here, the rule is lt_access_document's. */
int lt__read_doc(struct lt_exchange *x, const struct lt_principal *who, const char *id, bool body, struct lt_xdoc *d,
		 struct lt_err *err);

#endif
