/* Opening the hub, and the group commit: concurrent uploads queue their rows
 * and one thread writes a whole batch in one transaction, so a burst of
 * sends costs one fsync instead of one each (design.md §5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exchange_impl.h"

void lt__xpath_body(const struct lt_exchange *x, const char *id, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/packages/%.2s/%s.xml", x->data_dir, id, id);
}

/* One job inside the batch transaction. Returns non-zero only when the store
 * fails, which fails the whole batch. */
static int apply(struct lt_exchange *x, struct lt__job *j)
{
	struct lt_xdoc prev;
	struct lt_err e = {0};
	int rc = lt_store_xdoc_find(x->store, j->doc.system_id, j->doc.kind, j->doc.document_id, j->doc.sha256, &prev,
				    &e);
	if (rc == LT_OK) {
		if (strcmp(prev.sha256, j->doc.sha256) == 0) {
			snprintf(j->replay_of, sizeof j->replay_of, "%s", prev.id);
			return LT_OK;
		}
		j->rc = lt_err_set(&j->err, LT_ECONFLICT,
				   "DocumentId %s was already sent by this system (hub id %s) with other content: "
				   "a new document needs a new DocumentId",
				   j->doc.document_id, prev.id);
		return LT_OK;
	}
	if (rc != LT_ENOTFOUND)
		return lt_err_set(&j->err, rc, "%s", e.msg);
	if ((rc = lt_store_xdoc_add(x->store, &j->doc, &j->err)))
		return rc;
	for (size_t i = 0; i < j->n_deliveries; i++)
		if ((rc = lt_store_xdelivery_add(x->store, &j->deliveries[i], &j->err)))
			return rc;
	for (size_t i = 0; i < j->n_statuses; i++)
		if ((rc = lt_store_xstatus_add(x->store, &j->statuses[i], &j->err)))
			return rc;
	return LT_OK;
}

static void *committer(void *arg)
{
	struct lt_exchange *x = arg;
	pthread_mutex_lock(&x->lock);
	for (;;) {
		while (!x->queue && !x->stopping)
			pthread_cond_wait(&x->wake, &x->lock);
		if (!x->queue && x->stopping)
			break;
		struct lt__job *batch = x->queue;
		x->queue = NULL;
		pthread_mutex_unlock(&x->lock);

		struct lt_err err = {0};
		int rc = lt_store_begin(x->store, &err);
		for (struct lt__job *j = batch; j && rc == LT_OK; j = j->next)
			if ((rc = apply(x, j)))
				err = j->err;
		if (rc == LT_OK)
			rc = lt_store_commit(x->store, &err);
		else
			lt_store_rollback(x->store);

		pthread_mutex_lock(&x->lock);
		for (struct lt__job *j = batch; j; j = j->next) {
			if (rc) {
				j->rc = rc;
				j->err = err;
				j->replay_of[0] = '\0';
			}
			j->done = true;
		}
		pthread_cond_broadcast(&x->finished);
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

int lt__commit_job(struct lt_exchange *x, struct lt__job *job)
{
	pthread_mutex_lock(&x->lock);
	if (x->stopping) {
		pthread_mutex_unlock(&x->lock);
		return lt_err_set(&job->err, LT_ENOTREADY, "the hub is shutting down: send again shortly");
	}
	/* Appended at the end, so a batch commits in arrival order. */
	struct lt__job **p = &x->queue;
	while (*p)
		p = &(*p)->next;
	job->next = NULL;
	*p = job;
	pthread_cond_signal(&x->wake);
	while (!job->done)
		pthread_cond_wait(&x->finished, &x->lock);
	pthread_mutex_unlock(&x->lock);
	return job->rc;
}

static int mkdir_p(const char *path, struct lt_err *err)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return lt_err_set(err, LT_EIO, "cannot create %s: %s", buf, strerror(errno));
		if (!c)
			return LT_OK;
		*p = c;
	}
}

int lt_exchange_open(struct lt_exchange **out, struct lt_registry *reg, const struct lt_exchange_opts *opts,
		     struct lt_err *err)
{
	struct lt_exchange *x = calloc(1, sizeof *x);
	if (!x)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	x->reg = reg;
	x->store = lt_registry_store(reg);
	snprintf(x->data_dir, sizeof x->data_dir, "%s", opts->data_dir);
	x->max_package_bytes = opts->max_package_bytes ? opts->max_package_bytes : LT_EDXML_DEFAULT_MAX_BYTES;
	x->retention_days = opts->retention_days;
	x->signature_policy = opts->signature_policy;
	snprintf(x->trusted_ca, sizeof x->trusted_ca, "%s", opts->trusted_ca ? opts->trusted_ca : "");
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/tmp", x->data_dir);
	int rc = mkdir_p(dir, err);
	snprintf(dir, sizeof dir, "%s/packages", x->data_dir);
	if (rc == LT_OK)
		rc = mkdir_p(dir, err);
	if (rc) {
		free(x);
		return rc;
	}
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wake, NULL);
	pthread_cond_init(&x->finished, NULL);
	if (pthread_create(&x->committer, NULL, committer, x) != 0) {
		lt_exchange_close(x);
		return lt_err_set(err, LT_EIO, "cannot start the commit thread");
	}
	x->committer_running = true;
	*out = x;
	return LT_OK;
}

void lt_exchange_close(struct lt_exchange *x)
{
	if (!x)
		return;
	pthread_mutex_lock(&x->lock);
	x->stopping = true;
	pthread_cond_broadcast(&x->wake);
	pthread_mutex_unlock(&x->lock);
	if (x->committer_running)
		pthread_join(x->committer, NULL);
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->wake);
	pthread_cond_destroy(&x->finished);
	free(x);
}

void lt_exchange_counts(struct lt_exchange *x, struct lt_exchange_counts *out)
{
	int64_t v[6] = {0};
	memset(out, 0, sizeof *out);
	if (lt_store_xcounts(x->store, v, NULL) == LT_OK) {
		out->documents = (uint64_t)v[0];
		out->statuses = (uint64_t)v[1];
		out->bytes = (uint64_t)v[2];
		out->deliveries_pending = (uint64_t)v[3];
		out->deliveries_done = (uint64_t)v[4];
		out->deliveries_refused = (uint64_t)v[5];
	}
	out->replays = atomic_load(&x->replays);
	out->rejected = atomic_load(&x->rejected);
}
