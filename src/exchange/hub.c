/* Opening the hub, and the group commit: concurrent uploads and
 * acknowledgements queue their writes and one thread writes a whole batch in
 * one transaction, so a burst of them costs one fsync instead of one each
 * (design.md §5). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exchange_impl.h"
#include "lienthong/config.h"
#include "lienthong/log.h"
#include "lienthong/store_campaigns.h"
#include "lienthong/text.h"

void lt__xpath_body(const struct lt_exchange *x, const char *id, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/packages/%.2s/%s.xml", x->data_dir, id, id);
}

int lt__list_append(struct lt__list *c, json_t *o)
{
	if (!o)
		return lt__xfail(c->err);
	return json_array_append_new(c->items, o) ? lt_err_set(c->err, LT_ENOMEM, "out of memory") : LT_OK;
}

json_t *lt__xpack(struct lt_err *err, const char *what, const char *fmt, ...)
{
	json_error_t je;
	va_list ap;
	va_start(ap, fmt);
	json_t *o = json_vpack_ex(&je, 0, fmt, ap);
	va_end(ap);
	if (!o) {
		bool oom = json_error_code(&je) == json_error_out_of_memory;
		lt_err_set(err, oom ? LT_ENOMEM : LT_EIO, "cannot build %s: %s", what, oom ? "out of memory" : je.text);
	}
	return o;
}

/* Writes one delivery row of job j, and keeps a copy for the reply. */
static int add_row(struct lt_store *store, struct lt__job *j, struct lt_xdelivery *d, struct lt_err *err)
{
	int rc = lt_store_xdelivery_add(store, d, err);
	if (rc || j->written_lost)
		return rc;
	if (j->n_written == j->cap_written) {
		size_t cap = j->cap_written ? j->cap_written * 2 : 16;
		struct lt_xdelivery *nv = realloc(j->written, cap * sizeof *nv);
		if (!nv) {
			j->written_lost = true;
			return LT_OK;
		}
		j->written = nv;
		j->cap_written = cap;
	}
	j->written[j->n_written++] = *d;
	return LT_OK;
}

struct fan_ctx {
	struct lt_exchange *x;
	struct lt__job *job;
	struct lt_store *store;
	struct lt_xdelivery row; /* the routed recipient, copied once per receiving system */
	int64_t hub;             /* the hub's own system (own.c), 0 when none */
	size_t n;
	int64_t sender;   /* the sending system */
	bool subtree;     /* receivers found through a subtree binding */
	const char *root; /* that binding's root */
	struct lt_err *err;
};

/* Remembered for on_deliveries; a full array only loses wake-ups that the
 * waiters' periodic recheck makes up for. */
static void note_woken(struct lt_exchange *x, int64_t system_id)
{
	if (!x->on_deliveries)
		return;
	for (size_t i = x->n_woken; i-- > 0 && i + 8 >= x->n_woken;)
		if (x->woken[i] == system_id)
			return;
	if (x->n_woken == x->cap_woken) {
		size_t cap = x->cap_woken ? x->cap_woken * 2 : 64;
		int64_t *nv = realloc(x->woken, cap * sizeof *nv);
		if (!nv)
			return;
		x->woken = nv;
		x->cap_woken = cap;
	}
	x->woken[x->n_woken++] = system_id;
}

static int fan_one(void *vctx, int64_t system_id)
{
	struct fan_ctx *c = vctx;
	struct lt_xdelivery d = c->row;
	d.system_id = system_id;
	/* What reaches the hub's own system (the answers to its probes) is
	 * read by the hub from the trace; nobody fetches it, so it is done at
	 * once rather than waiting in an inbox forever. */
	if (c->hub && system_id == c->hub)
		lt__dl_set(&d, LT_DELIVERY_DONE);
	c->n++;
	if (c->subtree && system_id == c->sender) {
		/* A hub bound to a subtree sends what it could not deliver in its
		 * own subtree: what lies there it delivered itself. Sending it back
		 * would deliver it twice. */
		struct lt_xdelivery back = c->row;
		lt__dl_set(&back, LT_DELIVERY_MERGED);
		back.system_id = 0;
		size_t o = strlen(back.reason);
		lt_text_format(back.reason + o, sizeof back.reason - o,
			       "%sthe sending hub serves %s and delivers inside it itself", o ? "; " : "", c->root);
		return add_row(c->store, c->job, &back, c->err);
	}
	int rc = add_row(c->store, c->job, &d, c->err);
	if (rc == LT_OK && lt__dl_is(&d, LT_DELIVERY_PENDING))
		note_woken(c->x, system_id);
	return rc;
}

/* No system of its own receives for d->routed_to: the systems bound to the
 * nearest enclosing subtree do (a provincial hub for its province), the
 * most specific binding first. */
static int fan_subtree(struct lt_exchange *x, struct fan_ctx *c, struct lt_err *err)
{
	struct lt_code code, anc[3];
	if (lt_code_parse(&code, c->row.routed_to, LT_CODE_LENIENT, NULL))
		return LT_OK; /* an organisation's code: no subtree */
	size_t n = lt_code_ancestors(&code, anc);
	c->subtree = true;
	char root[LT_CODE_BUFSZ];
	/* The code itself first: a root bound as a subtree is found by
	 * lt_store_xreceivers already, so only its ancestors remain. */
	for (size_t i = n; i-- > 0 && c->n == 0;) {
		c->root = lt_code_format(&anc[i], root);
		int rc = lt_store_xsubtree_receivers(x->store, root, fan_one, c, err);
		if (rc)
			return rc;
	}
	return LT_OK;
}

/* A routed recipient becomes one delivery per system that receives for its
 * code, each with its own inbox entry and acknowledgement; with none, one
 * delivery that waits (no_system) for a system to be bound, up to
 * hold_days. The bindings are read in the batch transaction: a binding
 * that commits before it gets the rows here, one that commits after it
 * claims the waiting row (lt_store_system_code_add), none falls between.
 * A recipient for the upstream is one row, relay, that the relay worker
 * settles. */
static int add_deliveries(struct lt_exchange *x, struct lt__job *j, struct lt_xdelivery *d, struct lt_err *err)
{
	if (!lt__dl_is(d, LT_DELIVERY_PENDING)) {
		d->system_id = 0;
		return add_row(x->store, j, d, err);
	}
	struct fan_ctx c = {x,
			    j,
			    x->store,
			    *d,
			    strcmp(d->routed_to, x->hub_code) == 0 ? lt__hub_system(x) : 0,
			    0,
			    j->doc.system_id,
			    false,
			    "",
			    err};
	int rc = lt_store_xreceivers(x->store, d->routed_to, fan_one, &c, err);
	if (rc == LT_OK && c.n == 0)
		rc = fan_subtree(x, &c, err);
	if (rc || c.n)
		return rc;
	size_t o = strlen(d->reason);
	lt_text_format(d->reason + o, sizeof d->reason - o,
		       "%sno connected system receives for %s: the document waits "
		       "up to %d days for one",
		       o ? "; " : "", d->routed_to, x->hold_days);
	lt__dl_set(d, LT_DELIVERY_NO_SYSTEM);
	d->system_id = 0;
	return add_row(x->store, j, d, err);
}

/* One package's rows inside the batch transaction. Returns non-zero when
 * the store fails for this job; a refusal (409) is the job's result, not a
 * failure. */
static int apply_send(struct lt_exchange *x, struct lt__job *j)
{
	struct lt_xdoc prev;
	struct lt_err e = {0};
	int rc = lt_store_xdoc_find(x->store, j->doc.system_id, j->doc.kind, j->doc.document_id, j->doc.sha256, &prev,
				    &e);
	if (rc == LT_OK) {
		if (strcmp(prev.sha256, j->doc.sha256) == 0) {
			lt_text_format(j->replay_of, sizeof j->replay_of, "%s", prev.id);
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
	bool relay = false;
	for (size_t i = 0; i < j->n_deliveries; i++) {
		relay = relay || lt__dl_is(&j->deliveries[i], LT_DELIVERY_RELAY);
		if ((rc = add_deliveries(x, j, &j->deliveries[i], &j->err)))
			return rc;
	}
	for (size_t i = 0; i < j->n_statuses; i++)
		if ((rc = lt_store_xstatus_add(x->store, &j->statuses[i], &j->err)))
			return rc;
	/* Queued with the document: committed together, or neither. */
	if (relay && (rc = lt_store_relay_out_add(x->store, j->doc.id, j->doc.received, &j->err)))
		return rc;
	for (size_t i = 0; i < j->n_uses; i++)
		if ((rc = lt_store_code_use_add(x->store, j->doc.system_id, j->uses[i].code, j->uses[i].role,
						j->doc.received, &j->err)))
			return rc;
	return LT_OK;
}

/* Moves one body from its spool name to its final one, making packages/xx
 * on first use; the job fails alone when it cannot. */
static void place_body(struct lt__job *j)
{
	int rc = rename(j->body_tmp, j->body_final);
	if (rc != 0 && errno == ENOENT) {
		char sub[PATH_MAX];
		snprintf(sub, sizeof sub, "%.*s", (int)(strrchr(j->body_final, '/') - j->body_final), j->body_final);
		if (mkdir(sub, 0750) == 0 || errno == EEXIST)
			rc = rename(j->body_tmp, j->body_final);
	}
	if (rc != 0)
		j->rc = lt_err_set(&j->err, LT_EIO, "cannot store the package durably: %s", strerror(errno));
	else
		j->body_tmp[0] = '\0'; /* the spool name is free again: nobody unlinks it */
}

/* Makes the batch's bodies durable before any row names them: every one
 * moved to its final name, then one syncfs of the filesystem under
 * packages/ carries all their bytes and all the new names (packages/xx
 * included) at once, where an fdatasync per body and an fsync per
 * directory cost a device flush each. A body that could not be moved
 * fails its job; a sync that fails fails every job with a body. */
static void sync_bodies(struct lt_exchange *x, struct lt__job *batch)
{
	size_t n = 0;
	for (struct lt__job *j = batch; j; j = j->next)
		if (j->body) {
			place_body(j);
			n++;
		}
	if (!n)
		return;
	if (syncfs(x->packages_fd) != 0) {
		int e = errno;
		for (struct lt__job *j = batch; j; j = j->next)
			if (j->body && !j->rc)
				j->rc = lt_err_set(&j->err, LT_EIO, "cannot store the package durably: %s",
						   strerror(e));
	}
	if (x->pause_ms > 0)
		nanosleep(&(struct timespec){x->pause_ms / 1000, (long)(x->pause_ms % 1000) * 1000000L}, NULL);
	pthread_mutex_lock(&x->lock);
	x->body_syncs++;
	x->bodies_synced += n;
	pthread_mutex_unlock(&x->lock);
}

/* Writes what is queued in one transaction, each job in its own savepoint:
 * one that the store refuses (a constraint, a row it cannot take) is undone
 * and fails alone, and the others still commit. Only a failure of the
 * transaction itself (begin, commit, a savepoint that cannot be undone)
 * fails the whole batch. The transaction begins before the queue is taken,
 * so jobs queued while it waited for the store's writer lock (held by an
 * administrator's write, or by retention) join this batch rather than wait
 * for the next commit. The batch's package bodies are made durable first
 * (sync_bodies), so no committed row names a body a crash could lose. */
static void write_batch(struct lt_exchange *x)
{
	struct lt_err err = {0};
	int rc = lt_store_begin(x->store, &err);
	pthread_mutex_lock(&x->lock);
	struct lt__job *batch = x->queue;
	x->queue = NULL;
	x->tail = &x->queue;
	pthread_mutex_unlock(&x->lock);

	if (rc == LT_OK)
		sync_bodies(x, batch);
	unsigned long long n = 0;
	for (struct lt__job *j = batch; j && rc == LT_OK; j = j->next, n++) {
		if (j->rc)
			continue; /* its body could not be stored */
		if ((rc = lt_store_part(x->store, LT_PART_BEGIN, &err)))
			break;
		int jrc = j->kind == LT__JOB_ACK ? lt__apply_ack(x, j) : apply_send(x, j);
		if (jrc == LT_OK) {
			rc = lt_store_part(x->store, LT_PART_RELEASE, &err);
			continue;
		}
		j->rc = jrc;
		j->replay_of[0] = '\0';
		j->n_written = 0; /* undone with the savepoint */
		rc = lt_store_part(x->store, LT_PART_ROLLBACK, &err);
	}
	if (rc == LT_OK)
		rc = lt_store_commit(x->store, &err);
	else
		lt_store_rollback(x->store);
	if (rc == LT_OK && x->n_woken)
		x->on_deliveries(x->on_deliveries_arg, x->woken, x->n_woken);
	x->n_woken = 0;

	pthread_mutex_lock(&x->lock);
	if (rc == LT_OK) {
		x->commits++;
		x->committed_jobs += n;
	}
	/* A waiting caller may free its job as soon as the lock is let go;
	 * an asynchronous one is freed only after its callback, so those are
	 * collected here and called after. */
	struct lt__job *async = NULL, **atail = &async;
	for (struct lt__job *j = batch; j; j = j->next) {
		if (rc && j->rc == LT_OK) {
			j->rc = rc;
			j->err = err;
			j->replay_of[0] = '\0';
		}
		j->done = true;
		if (j->on_done) {
			j->async_next = NULL;
			*atail = j;
			atail = &j->async_next;
		}
	}
	pthread_cond_broadcast(&x->finished);
	pthread_mutex_unlock(&x->lock);
	while (async) {
		struct lt__job *next = async->async_next;
		async->on_done(async->on_done_arg);
		async = next;
	}
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
		pthread_mutex_unlock(&x->lock);
		write_batch(x);
		pthread_mutex_lock(&x->lock);
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

int lt__commit_jobs(struct lt_exchange *x, struct lt__job *jobs)
{
	pthread_mutex_lock(&x->lock);
	if (x->stopping) {
		pthread_mutex_unlock(&x->lock);
		for (struct lt__job *j = jobs; j; j = j->next)
			j->rc = lt_err_set(&j->err, LT_ENOTREADY, "the hub is shutting down: send again shortly");
		return jobs->rc;
	}
	/* Appended at the end, so a batch commits in arrival order. Once
	 * queued, the last job's next links to other threads' jobs: only the
	 * first n are this caller's. */
	size_t n = 0;
	struct lt__job *last = jobs;
	for (struct lt__job *j = jobs; j; j = j->next, n++) {
		j->done = false;
		last = j;
	}
	*x->tail = jobs;
	x->tail = &last->next;
	pthread_cond_signal(&x->wake);
	for (;;) {
		bool all = true;
		struct lt__job *j = jobs;
		for (size_t i = 0; i < n && all; i++, j = j->next)
			all = j->done;
		if (all)
			break;
		pthread_cond_wait(&x->finished, &x->lock);
	}
	pthread_mutex_unlock(&x->lock);
	return jobs->rc;
}

void lt__commit_job_async(struct lt_exchange *x, struct lt__job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&x->lock);
	if (x->stopping) {
		pthread_mutex_unlock(&x->lock);
		job->rc = lt_err_set(&job->err, LT_ENOTREADY, "the hub is shutting down: send again shortly");
		job->done = true;
		job->on_done(job->on_done_arg);
		return;
	}
	job->done = false;
	*x->tail = job;
	x->tail = &job->next;
	pthread_cond_signal(&x->wake);
	pthread_mutex_unlock(&x->lock);
}

int lt__commit_job(struct lt_exchange *x, struct lt__job *job)
{
	job->next = NULL;
	return lt__commit_jobs(x, job);
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

int lt__xsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* A 32-hex-digit hub id followed by ".xml": the only names the hub writes
 * under packages/; anything else there is left alone. */
static bool body_name(const char *name, char id[LT_DOC_ID_BUFSZ])
{
	size_t n = strlen(name);
	if (n != 36 || strcmp(name + 32, ".xml") != 0)
		return false;
	for (size_t i = 0; i < 32; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	memcpy(id, name, 32);
	id[32] = '\0';
	return true;
}

/* On a shared store (several nodes on one database, data_dir shared by
 * them), a spool file or a body without a row may be another node's upload
 * in flight: written now, renamed into place just before its commit. Such a
 * file is touched while its upload runs and named by a row within seconds
 * after, so one untouched for SWEEP_GRACE_S belongs to no live upload; only
 * those are removed. Alone on its store, the daemon starting has nothing in
 * flight, and removes every orphan at once. */
#define SWEEP_GRACE_S 3600

static bool settled(const struct lt_exchange *x, const char *file)
{
	if (!lt_store_shared(x->store))
		return true;
	struct stat sb;
	return stat(file, &sb) == 0 && time(NULL) - sb.st_mtime >= SWEEP_GRACE_S;
}

/* Removes the bodies under packages/<dir> that no row refers to. A store
 * error stops the sweep: a file is only removed when the store said so. */
static int sweep_bodies(struct lt_exchange *x, const char *dir, size_t *removed, struct lt_err *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/packages/%s", x->data_dir, dir);
	DIR *d = opendir(path);
	if (!d)
		return LT_OK; /* gone meanwhile, or not a directory */
	int rc = LT_OK;
	struct dirent *de;
	while (rc == LT_OK && (de = readdir(d))) {
		char id[LT_DOC_ID_BUFSZ];
		if (!body_name(de->d_name, id) || strncmp(id, dir, 2) != 0)
			continue;
		struct lt_xdoc doc;
		struct lt_err e = {0};
		int got = lt_store_xdoc_get(x->store, id, &doc, &e);
		if (got != LT_OK && got != LT_ENOTFOUND) {
			rc = lt_err_set(err, got, "%s", e.msg);
			break;
		}
		/* No row (renamed, never committed), or a row whose body retention
		 * removed (the rows go first; a crash can leave the file). */
		if (got == LT_ENOTFOUND || doc.body_removed) {
			char file[PATH_MAX];
			lt__xpath_body(x, id, file);
			if ((got == LT_OK || settled(x, file)) && unlink(file) == 0)
				(*removed)++;
		}
	}
	closedir(d);
	return rc;
}

/* What a crash (SIGKILL, power loss) leaves behind: spool files of uploads
 * in flight, and bodies renamed into place whose rows never committed. Run
 * before the hub takes any upload, so nothing of this daemon's is in flight;
 * another node's is left alone (settled). */
static int sweep_orphans(struct lt_exchange *x, size_t *spool, size_t *bodies, struct lt_err *err)
{
	*spool = *bodies = 0;
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/tmp", x->data_dir);
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, "upload-", 7) != 0)
				continue;
			char file[PATH_MAX + 300];
			snprintf(file, sizeof file, "%s/%s", path, de->d_name);
			if (settled(x, file) && unlink(file) == 0)
				(*spool)++;
		}
		closedir(d);
	}
	snprintf(path, sizeof path, "%s/packages", x->data_dir);
	if (!(d = opendir(path)))
		return lt_err_set(err, LT_EIO, "cannot read %s: %s", path, strerror(errno));
	int rc = LT_OK;
	struct dirent *de;
	while (rc == LT_OK && (de = readdir(d))) {
		const char *n = de->d_name;
		bool hex2 = strlen(n) == 2 && strspn(n, "0123456789abcdef") == 2;
		if (hex2)
			rc = sweep_bodies(x, n, bodies, err);
	}
	closedir(d);
	return rc;
}

static int scope_add(void *vlist, const char *code)
{
	struct lt_code c;
	char canon[LT_CODE_BUFSZ];
	if (lt_code_parse(&c, code, LT_CODE_STRICT, NULL))
		return LT_OK; /* lt_config_validate refuses it before the hub opens */
	return lt_codelist_add(vlist, lt_code_format(&c, canon)) ? LT_ENOMEM : LT_OK;
}

bool lt_exchange_in_scope(const struct lt_exchange *x, const char *code)
{
	if (x->scope.n == 0)
		return true;
	struct lt_code c, root;
	if (lt_code_parse(&c, code, LT_CODE_LENIENT, NULL))
		return false;
	for (size_t i = 0; i < x->scope.n; i++)
		if (lt_code_parse(&root, x->scope.codes[i], LT_CODE_STRICT, NULL) == LT_OK &&
		    (lt_code_equal(&root, &c) || lt_code_is_ancestor(&root, &c)))
			return true;
	return false;
}

int lt_exchange_open(struct lt_exchange **out, struct lt_registry *reg, const struct lt_exchange_opts *opts,
		     struct lt_err *err)
{
	struct lt_exchange *x = calloc(1, sizeof *x);
	if (!x)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	x->packages_fd = -1;
	x->reg = reg;
	x->store = lt_registry_store(reg);
	snprintf(x->data_dir, sizeof x->data_dir, "%s", opts->data_dir);
	x->max_package_bytes = opts->max_package_bytes ? opts->max_package_bytes : LT_EDXML_DEFAULT_MAX_BYTES;
	x->retention_days = opts->retention_days;
	x->hold_days = opts->hold_days > 0 ? opts->hold_days : LT_EXCHANGE_DEFAULT_HOLD_DAYS;
	x->signature_policy = opts->signature_policy;
	x->verify_max_bytes = opts->verify_max_bytes;
	x->on_deliveries = opts->on_deliveries;
	x->on_deliveries_arg = opts->on_deliveries_arg;
	snprintf(x->trusted_ca, sizeof x->trusted_ca, "%s", opts->trusted_ca ? opts->trusted_ca : "");
	x->upstream = opts->upstream;
	if (opts->local_scope && lt_config_scope_each(opts->local_scope, scope_add, &x->scope)) {
		lt_codelist_free(&x->scope);
		free(x);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	if (opts->hub_code && opts->hub_code[0]) {
		struct lt_code hc;
		if (lt_code_parse(&hc, opts->hub_code, LT_CODE_LENIENT, err) != LT_OK) {
			int st = lt_err_prefix(err, "hub_code: ");
			lt_codelist_free(&x->scope);
			free(x);
			return st;
		}
		lt_code_format(&hc, x->hub_code);
	}
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/tmp", x->data_dir);
	int rc = mkdir_p(dir, err);
	snprintf(dir, sizeof dir, "%s/packages", x->data_dir);
	if (rc == LT_OK)
		rc = mkdir_p(dir, err);
	/* packages/ itself must be durable before a body is (the batch's
	 * syncfs covers what is below it, on the filesystem packages_fd is on). */
	if (rc == LT_OK && (lt__xsync_dir(dir) != 0 || lt__xsync_dir(x->data_dir) != 0))
		rc = lt_err_set(err, LT_EIO, "cannot sync %s: %s", dir, strerror(errno));
	if (rc == LT_OK && (x->packages_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = lt_err_set(err, LT_EIO, "cannot open %s: %s", dir, strerror(errno));
	const char *pause = getenv("LIENTHONG_TEST_COMMIT_PAUSE_MS");
	x->pause_ms = pause ? atoi(pause) : 0;
	if (rc) {
		lt_codelist_free(&x->scope);
		free(x);
		return rc;
	}
	/* Orphans only waste space, so a sweep that cannot finish does not keep
	 * the hub from starting; it says why and runs again at the next start. */
	size_t spool = 0, bodies = 0;
	struct lt_err se = {0};
	if (sweep_orphans(x, &spool, &bodies, &se) != LT_OK)
		lt_log_warnx("exchange: the start-up sweep of %s stopped: %s", x->data_dir, se.msg);
	if (spool || bodies)
		lt_log_info("exchange: removed %zu spool files and %zu package bodies left by an interrupted run",
			    spool, bodies);
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wake, NULL);
	pthread_cond_init(&x->finished, NULL);
	x->tail = &x->queue;
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
	if (x->commits)
		lt_log_info("exchange: %llu sends and acknowledgements written in %llu group commits",
			    x->committed_jobs, x->commits);
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->wake);
	pthread_cond_destroy(&x->finished);
	lt_codelist_free(&x->scope);
	if (x->packages_fd >= 0)
		close(x->packages_fd);
	free(x->woken);
	free(x);
}

_Static_assert(LT_XCOUNTS == 3 + LT_DELIVERY_STATES, "the store counts one value per delivery state");

int lt_exchange_counts(struct lt_exchange *x, struct lt_exchange_counts *out, struct lt_err *err)
{
	int64_t v[LT_XCOUNTS] = {0};
	memset(out, 0, sizeof *out);
	int rc = lt_store_xcounts(x->store, v, err);
	if (rc)
		return rc;
	out->documents = (uint64_t)v[0];
	out->statuses = (uint64_t)v[1];
	out->bytes = (uint64_t)v[2];
	for (int i = 0; i < LT_DELIVERY_STATES; i++)
		out->deliveries[i] = (uint64_t)v[3 + i];
	out->replays = atomic_load(&x->replays);
	out->rejected = atomic_load(&x->rejected);
	pthread_mutex_lock(&x->lock);
	out->commits = x->commits;
	out->committed_jobs = x->committed_jobs;
	out->body_syncs = x->body_syncs;
	out->bodies_synced = x->bodies_synced;
	pthread_mutex_unlock(&x->lock);
	return LT_OK;
}
