/* Internals of the exchange hub shared by its files. */
#ifndef LT_EXCHANGE_IMPL_H
#define LT_EXCHANGE_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "lienthong/exchange.h"

/* One accepted package waiting for the group commit. */
struct lt__job {
	struct lt_xdoc doc;
	struct lt_xdelivery *deliveries;
	size_t n_deliveries;
	struct lt_xstatus *statuses;
	size_t n_statuses;
	/* Filled by the committer. */
	bool done;
	int rc;
	struct lt_err err;
	char replay_of[LT_DOC_ID_BUFSZ]; /* set when the package was accepted before */
	struct lt__job *next;
};

struct lt_exchange {
	struct lt_registry *reg;
	struct lt_store *store;
	char data_dir[PATH_MAX];
	uint64_t max_package_bytes;
	int retention_days;
	int signature_policy;
	char trusted_ca[PATH_MAX];
	/* Group commit: uploads queue jobs; one thread commits them together. */
	pthread_mutex_t lock;
	pthread_cond_t wake, finished;
	struct lt__job *queue;
	bool stopping;
	pthread_t committer;
	bool committer_running;
	atomic_ullong replays, rejected;
};

/* data_dir/packages/ab/<id>.xml */
void lt__xpath_body(const struct lt_exchange *x, const char *id, char out[PATH_MAX]);
/* Hands the job to the committer and waits until it is durable (or failed). */
int lt__commit_job(struct lt_exchange *x, struct lt__job *job);
/* The reply of a send, rebuilt from the stored rows. */
int lt__send_reply(struct lt_exchange *x, const char *id, json_t **out, struct lt_err *err);
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
/* May this caller read the document (sender, a recipient's system, admin)? */
int lt__may_read(struct lt_exchange *x, const struct lt_principal *who, const struct lt_xdoc *d, struct lt_err *err);

#endif
