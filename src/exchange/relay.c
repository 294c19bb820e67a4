/* The relay worker (relay.h): one thread sends upstream what the relay
 * queue holds, one takes in what the upstream holds for this hub. Nothing
 * is lost or doubled across a crash on either side: the queue row is
 * written with the document and cleared only after the upstream answered
 * (a send repeated after a crash is the same DocumentId from the same
 * system, which the upstream answers with its first reply), and a package
 * taken in is committed here before it is acknowledged there (one fetched
 * again is the same package from the same link system: a replay). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "lienthong/config.h"
#include "lienthong/log.h"
#include "lienthong/store.h"
#include "relay_impl.h"

#define DUE_BATCH 32

/* The daemon's own worker, named as such wherever it is recorded. */
static const struct lt_ctx relay_ctx = {.who = {.role = LT_ROLE_ADMIN, .name = "lienthongd:relay"}};

int lt_relay_backoff(int tries, int cap)
{
	if (cap < 1)
		cap = 1;
	if (tries < 1)
		return 1;
	if (tries > 30)
		return cap;
	long long w = 1LL << (tries - 1);
	return w > cap ? cap : (int)w;
}

void lt_relay_counts(const struct lt_relay *r, struct lt_relay_counts *out)
{
	memset(out, 0, sizeof *out);
	if (!r)
		return;
	out->relayed = atomic_load(&r->relayed);
	out->relay_failures = atomic_load(&r->relay_failures);
	out->fetched = atomic_load(&r->fetched);
	out->fetch_failures = atomic_load(&r->fetch_failures);
}

/* Sleeps up to ms, or until stop. */
static void nap(struct lt_relay *r, long ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	if (!atomic_load(&r->stop))
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
	pthread_mutex_unlock(&r->lock);
}

/* ---- HTTP ---- */

size_t lt__relay_to_buf(char *data, size_t size, size_t n, void *vb)
{
	struct lt__rbuf *b = vb;
	size_t len = size * n;
	if (b->n + len > b->max)
		return 0;
	char *np = realloc(b->p, b->n + len + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, data, len);
	b->p = np;
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

static int progress(void *vr, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	return atomic_load(&((struct lt_relay *)vr)->stop) ? 1 : 0;
}

int lt__relay_perform(struct lt_relay *r, CURL *h, const char *path, struct curl_slist *hdr, long timeout, long *code,
		      struct lt_err *err)
{
	char url[1400];
	size_t ul = strlen(r->url);
	snprintf(url, sizeof url, "%.*s%s", (int)(ul && r->url[ul - 1] == '/' ? ul - 1 : ul), r->url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	*code = 0;
	if (cc != CURLE_OK)
		return lt_err_set(err, LT_EIO, "upstream %s: %s", path, curl_easy_strerror(cc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
	return LT_OK;
}

/* ---- outbound ---- */

struct due {
	char doc[DUE_BATCH][LT_DOC_ID_BUFSZ];
	int tries[DUE_BATCH];
	int n;
};

static int due_one(void *vd, const char *doc, int tries)
{
	struct due *d = vd;
	if (d->n < DUE_BATCH) {
		lt_text_format(d->doc[d->n], sizeof d->doc[0], "%s", doc);
		d->tries[d->n++] = tries;
	}
	return LT_OK;
}

static int send_one(struct lt_relay *r, CURL *h, const char *doc, char up[LT__UPSTREAM_ID_BUFSZ], struct lt_err *err)
{
	struct lt_xdoc d;
	int rc = lt_store_xdoc_get(r->x->store, doc, &d, err);
	if (rc == LT_OK) {
		curl_easy_reset(h);
		rc = r->proto->send(r, h, &d, up, err);
	}
	return rc;
}

static int record_done(struct lt_relay *r, const char *doc, const char *upstream_id, struct lt_err *err)
{
	struct lt_store *s = r->x->store;
	char at[32];
	lt_time_now(at);
	int rc = lt_store_begin(s, err);
	if (rc)
		return rc;
	rc = lt_store_relay_out_done(s, doc, upstream_id, at, err);
	if (rc == LT_OK)
		return lt_store_commit(s, err);
	lt_store_rollback(s);
	return rc;
}

static void *out_loop(void *vr)
{
	struct lt_relay *r = vr;
	CURL *h = curl_easy_init();
	while (h && !atomic_load(&r->stop)) {
		struct due d = {.n = 0};
		char now[32];
		struct lt_err err = {0};
		lt_time_now(now);
		if (lt_store_relay_out_due(r->x->store, now, DUE_BATCH, due_one, &d, &err)) {
			lt_log_warnx("relay: reading the queue: %s", err.msg);
			nap(r, 1000);
			continue;
		}
		if (d.n == 0) {
			nap(r, 200);
			continue;
		}
		for (int i = 0; i < d.n && !atomic_load(&r->stop); i++) {
			char up[LT__UPSTREAM_ID_BUFSZ] = "";
			struct lt_err e = {0};
			int rc = send_one(r, h, d.doc[i], up, &e);
			if (rc == LT_OK && (rc = record_done(r, d.doc[i], up, &e)) == LT_OK) {
				atomic_fetch_add(&r->relayed, 1);
				lt_log_debug("relay: %s relayed upstream as %s", d.doc[i], up);
				continue;
			}
			if (atomic_load(&r->stop))
				break;
			atomic_fetch_add(&r->relay_failures, 1);
			int tries = d.tries[i] + 1, wait = lt_relay_backoff(tries, r->backoff_max);
			char next[32];
			lt_time_format((int64_t)time(NULL) + wait, next);
			lt_log_warnx("relay: %s, try %d: %s; next try in %d s", d.doc[i], tries, e.msg, wait);
			struct lt_err e2 = {0};
			if (lt_store_relay_out_retry(r->x->store, d.doc[i], tries, next, e.msg, &e2))
				lt_log_warnx("relay: rescheduling %s: %s", d.doc[i], e2.msg);
			/* The upstream cannot be reached: the others would fail alike,
			 * so the worker waits as long as this document does. */
			if (strstr(e.msg, "upstream /")) {
				nap(r, wait * 1000L);
				break;
			}
		}
	}
	curl_easy_cleanup(h);
	return NULL;
}

/* ---- inbound ---- */

/* Fetches one package and commits it here. *permanent is set when trying
 * again cannot help (the package itself is refused). */
static int fetch_one(struct lt_relay *r, CURL *h, const char *id, bool *permanent, struct lt_err *err)
{
	*permanent = false;
	struct lt_upload *u = NULL;
	int rc = lt_upload_begin_inbound(r->x, &relay_ctx, r->link, &u, err);
	if (rc)
		return rc;
	curl_easy_reset(h);
	if ((rc = r->proto->fetch(r, h, id, u, err))) {
		lt_upload_abort(u);
		return rc;
	}
	json_t *reply = NULL;
	bool replayed = false;
	rc = lt_upload_finish(u, &reply, &replayed, err);
	json_decref(reply);
	*permanent = rc != LT_OK && rc != LT_EIO && rc != LT_ENOTREADY && rc != LT_ENOMEM;
	return rc;
}

/* Packages this hub refused for good, in this run: acknowledged as fail
 * upstream, which may list them again (VXP keeps a failed one listed). */
#define REFUSED_KEPT 256
struct refused {
	char id[REFUSED_KEPT][LT__UPSTREAM_ID_BUFSZ];
	unsigned n;
};

static bool was_refused(const struct refused *f, const char *id)
{
	for (unsigned i = 0; i < f->n && i < REFUSED_KEPT; i++)
		if (strcmp(f->id[i], id) == 0)
			return true;
	return false;
}

static void *in_loop(void *vr)
{
	struct lt_relay *r = vr;
	CURL *h = curl_easy_init();
	struct refused *refused = calloc(1, sizeof *refused);
	struct lt__relay_ids *ids = calloc(1, sizeof *ids);
	long long cursor = 0;
	int failures = 0;
	while (h && refused && ids && !atomic_load(&r->stop)) {
		long long next = 0;
		struct lt_err err = {0};
		ids->n = 0;
		curl_easy_reset(h);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int lrc = r->proto->list(r, h, cursor, ids, &next, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* An upstream that long-polls held the call until there was news
		 * or its wait ran out; one that does not (VXP) answered at once. */
		bool waited = t1.tv_sec - t0.tv_sec >= 1;
		if (lrc) {
			if (atomic_load(&r->stop))
				break;
			int wait = lt_relay_backoff(++failures, r->backoff_max);
			lt_log_warnx("relay: %s; next poll in %d s", err.msg, wait);
			nap(r, wait * 1000L);
			continue;
		}
		failures = 0;
		bool transient = false;
		int fresh = 0;
		for (int i = 0; i < ids->n && !transient && !atomic_load(&r->stop); i++) {
			const char *id = ids->id[i];
			if ((i && strcmp(id, ids->id[i - 1]) == 0) || was_refused(refused, id))
				continue;
			fresh++;
			bool permanent = false;
			struct lt_err e = {0};
			int rc = fetch_one(r, h, id, &permanent, &e);
			if (rc && !permanent) {
				atomic_fetch_add(&r->fetch_failures, 1);
				lt_log_warnx("relay: taking in %s: %s", id, e.msg);
				transient = true;
				break;
			}
			if (rc) {
				atomic_fetch_add(&r->fetch_failures, 1);
				lt_log_warnx("relay: the upstream's package %s is refused here: %s", id, e.msg);
				lt_text_format(refused->id[refused->n++ % REFUSED_KEPT], LT__UPSTREAM_ID_BUFSZ, "%s",
					       id);
			} else {
				atomic_fetch_add(&r->fetched, 1);
			}
			struct lt_err ea = {0};
			curl_easy_reset(h);
			if (r->proto->ack(r, h, id, rc ? "fail" : "done", &ea)) {
				lt_log_warnx("relay: acknowledging %s upstream: %s", id, ea.msg);
				transient = true;
			}
		}
		if (transient) {
			nap(r, 1000);
			continue;
		}
		/* Past what failed for good; from the start again once the inbox
		 * is read to its end. */
		cursor = next;
		if (fresh == 0 && !waited)
			nap(r, 500);
	}
	free(ids);
	free(refused);
	curl_easy_cleanup(h);
	return NULL;
}

/* ---- start and stop ---- */

static int link_system(struct lt_relay *r, struct lt_err *err)
{
	struct lt_store *s = r->x->store;
	int rc = lt_store_begin(s, err);
	if (rc)
		return rc;
	rc = lt_store_relay_link_get(s, r->url, &r->link, err);
	if (rc == LT_ENOTFOUND) {
		struct lt_system sys = {0};
		lt_text_format(sys.name, sizeof sys.name, "upstream %s", r->url);
		lt_time_now(sys.created);
		if ((rc = lt_store_system_add(s, &sys, err)) == LT_OK &&
		    (rc = lt_store_relay_link_add(s, r->url, sys.id, err)) == LT_OK)
			r->link = sys.id;
	}
	if (rc == LT_OK)
		return lt_store_commit(s, err);
	lt_store_rollback(s);
	return rc;
}

int lt_relay_supported(int protocol, struct lt_err *err)
{
	if (protocol == LT_UPSTREAM_LIENTHONG || protocol == LT_UPSTREAM_VXP)
		return LT_OK;
	return lt_err_set(err, LT_EINVAL, "upstream_protocol: unknown protocol %d", protocol);
}

int lt_relay_start(struct lt_relay **out, struct lt_exchange *x, const struct lt_relay_opts *opts, struct lt_err *err)
{
	*out = NULL;
	int rc = lt_relay_supported(opts->protocol, err);
	if (rc)
		return rc;
	struct lt_relay *r = calloc(1, sizeof *r);
	if (!r)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	r->x = x;
	r->proto = opts->protocol == LT_UPSTREAM_VXP ? &lt__relay_vxp : &lt__relay_v1;
	lt_text_format(r->url, sizeof r->url, "%s", opts->url);
	snprintf(r->auth, sizeof r->auth, "Authorization: Bearer %s", opts->token ? opts->token : "");
	lt_text_format(r->system_id, sizeof r->system_id, "%s", opts->system_id ? opts->system_id : "");
	lt_text_format(r->secret, sizeof r->secret, "%s", opts->secret ? opts->secret : "");
	lt__relay_vxp_timestamp(r->timestamp, opts->utc_offset);
	r->backoff_max = opts->backoff_max > 0 ? opts->backoff_max : 300;
	r->poll_wait = opts->poll_wait >= 0 ? opts->poll_wait : 20;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	rc = link_system(r, err);
	if (rc == LT_OK && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		rc = lt_err_set(err, LT_EIO, "cannot initialise the HTTP client");
	if (rc == LT_OK && pthread_create(&r->out_thread, NULL, out_loop, r) == 0)
		r->out_running = true;
	else if (rc == LT_OK)
		rc = lt_err_set(err, LT_EIO, "cannot start the relay thread");
	if (rc == LT_OK && pthread_create(&r->in_thread, NULL, in_loop, r) == 0)
		r->in_running = true;
	else if (rc == LT_OK)
		rc = lt_err_set(err, LT_EIO, "cannot start the relay thread");
	if (rc) {
		lt_relay_stop(r);
		return rc;
	}
	lt_log_info("relay: upstream %s (link system %lld)", r->url, (long long)r->link);
	*out = r;
	return LT_OK;
}

void lt_relay_stop(struct lt_relay *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	atomic_store(&r->stop, true);
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	if (r->out_running)
		pthread_join(r->out_thread, NULL);
	if (r->in_running)
		pthread_join(r->in_thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	OPENSSL_cleanse(r->auth, sizeof r->auth);
	OPENSSL_cleanse(r->secret, sizeof r->secret);
	free(r);
}
