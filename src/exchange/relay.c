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

#include <curl/curl.h>

#include "exchange_impl.h"
#include "lienthong/config.h"
#include "lienthong/log.h"
#include "lienthong/relay.h"
#include "lienthong/store.h"

#define DUE_BATCH 32
#define INBOX_PAGE 50
#define REPLY_MAX (1u << 20)

struct lt_relay {
	struct lt_exchange *x;
	char url[1024];
	char auth[300]; /* "Authorization: Bearer …" */
	int backoff_max, poll_wait;
	int64_t link; /* the system standing for the upstream */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stop;
	pthread_t out_thread, in_thread;
	bool out_running, in_running;
	atomic_ullong relayed, relay_failures, fetched, fetch_failures;
};

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

static void time_in(int seconds, char out[32])
{
	time_t t = time(NULL) + seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- HTTP ---- */

struct buf {
	char *p;
	size_t n;
};

static size_t to_buf(char *data, size_t size, size_t n, void *vb)
{
	struct buf *b = vb;
	size_t len = size * n;
	if (b->n + len > REPLY_MAX)
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

/* A request to the upstream: path under its base URL. The caller sets the
 * body and the sink on h before; the reply's status is *code. */
static int perform(struct lt_relay *r, CURL *h, const char *path, struct curl_slist *extra, long timeout, long *code,
		   struct lt_err *err)
{
	char url[1400];
	size_t ul = strlen(r->url);
	snprintf(url, sizeof url, "%.*s%s", (int)(ul && r->url[ul - 1] == '/' ? ul - 1 : ul), r->url, path);
	struct curl_slist *hdr = curl_slist_append(extra, r->auth);
	if (hdr)
		hdr = curl_slist_append(hdr, "Expect:");
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

/* The upstream's error message, or the status alone. */
static void reply_error(const struct buf *b, long code, const char *what, struct lt_err *err)
{
	json_t *o = b->p ? json_loads(b->p, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
	lt_err_set(err, LT_EIO, "upstream refused %s: HTTP %ld%s%.300s", what, code, m ? ": " : "", m ? m : "");
	json_decref(o);
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

static int send_one(struct lt_relay *r, CURL *h, const char *doc, char upstream_id[LT_DOC_ID_BUFSZ], struct lt_err *err)
{
	char path[PATH_MAX];
	lt__xpath_body(r->x, doc, path);
	FILE *f = fopen(path, "rb");
	struct stat sb;
	if (!f || fstat(fileno(f), &sb) != 0) {
		if (f)
			fclose(f);
		return lt_err_set(err, LT_EIO, "cannot open the package of %s: %s", doc, strerror(errno));
	}
	struct buf b = {0};
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READDATA, f);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sb.st_size);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/xml");
	long code = 0;
	int rc = perform(r, h, "/v1/documents", hdr, 600, &code, err);
	fclose(f);
	if (rc == LT_OK && code != 201 && code != 200)
		reply_error(&b, code, "a relayed document", err), rc = LT_EIO;
	if (rc == LT_OK) {
		json_t *o = json_loads(b.p ? b.p : "", 0, NULL);
		const char *id = json_string_value(json_object_get(o, "id"));
		if (id && strlen(id) < LT_DOC_ID_BUFSZ)
			lt_text_format(upstream_id, LT_DOC_ID_BUFSZ, "%s", id);
		else
			rc = lt_err_set(err, LT_EIO, "the upstream's reply to a send names no document id");
		json_decref(o);
	}
	free(b.p);
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
			char up[LT_DOC_ID_BUFSZ] = "";
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
			time_in(wait, next);
			lt_log_warnx("relay: %s, try %d: %s; next try in %d s", d.doc[i], tries, e.msg, wait);
			struct lt_err e2 = {0};
			if (lt_store_relay_out_retry(r->x->store, d.doc[i], tries, next, e.msg, &e2))
				lt_log_warnx("relay: rescheduling %s: %s", d.doc[i], e2.msg);
			/* The upstream cannot be reached: the others would fail alike,
			 * so the worker waits as long as this document does. */
			if (strstr(e.msg, "upstream /v1/documents:")) {
				nap(r, wait * 1000L);
				break;
			}
		}
	}
	curl_easy_cleanup(h);
	return NULL;
}

/* ---- inbound ---- */

struct fetch {
	struct lt_upload *u;
};

static size_t to_upload(char *data, size_t size, size_t n, void *vf)
{
	struct fetch *f = vf;
	/* A refusal is remembered by the upload and reported by its finish. */
	lt_upload_feed(f->u, data, size * n, NULL);
	return size * n;
}

/* Fetches one package and commits it here. *permanent is set when trying
 * again cannot help (the package itself is refused). */
static int fetch_one(struct lt_relay *r, CURL *h, const char *id, bool *permanent, struct lt_err *err)
{
	*permanent = false;
	struct fetch f = {NULL};
	int rc = lt_upload_begin_inbound(r->x, &relay_ctx, r->link, &f.u, err);
	if (rc)
		return rc;
	char path[80];
	snprintf(path, sizeof path, "/v1/documents/%s", id);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_upload);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
	long code = 0;
	rc = perform(r, h, path, NULL, 600, &code, err);
	if (rc == LT_OK && code != 200)
		rc = lt_err_set(err, LT_EIO, "upstream %s: HTTP %ld", path, code);
	if (rc) {
		lt_upload_abort(f.u);
		return rc;
	}
	json_t *reply = NULL;
	bool replayed = false;
	rc = lt_upload_finish(f.u, &reply, &replayed, err);
	json_decref(reply);
	*permanent = rc != LT_OK && rc != LT_EIO && rc != LT_ENOTREADY && rc != LT_ENOMEM;
	return rc;
}

static int ack(struct lt_relay *r, CURL *h, const char *id, const char *state, struct lt_err *err)
{
	char path[96], body[64];
	snprintf(path, sizeof path, "/v1/documents/%s/ack", id);
	snprintf(body, sizeof body, "{\"state\":\"%s\"}", state);
	struct buf b = {0};
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	long code = 0;
	int rc = perform(r, h, path, hdr, 60, &code, err);
	if (rc == LT_OK && code != 200)
		reply_error(&b, code, "an acknowledgement", err), rc = LT_EIO;
	free(b.p);
	return rc;
}

/* One page of the upstream inbox; *next is its cursor, 0 at the end. */
static int inbox_page(struct lt_relay *r, CURL *h, long long after, json_t **items, long long *next, struct lt_err *err)
{
	char path[128];
	snprintf(path, sizeof path, "/v1/inbox?limit=%d&wait=%d%s%lld", INBOX_PAGE, r->poll_wait,
		 after ? "&after=" : "", after ? after : 0LL);
	if (!after)
		path[strlen(path) - 1] = '\0';
	struct buf b = {0};
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	long code = 0;
	int rc = perform(r, h, path, NULL, r->poll_wait + 60, &code, err);
	if (rc == LT_OK && code != 200)
		reply_error(&b, code, "the inbox poll", err), rc = LT_EIO;
	json_t *o = rc == LT_OK ? json_loads(b.p ? b.p : "", 0, NULL) : NULL;
	free(b.p);
	if (rc)
		return rc;
	*items = json_incref(json_object_get(o, "items"));
	json_t *nc = json_object_get(o, "next_cursor");
	*next = json_is_integer(nc) ? (long long)json_integer_value(nc) : 0;
	json_decref(o);
	if (!json_is_array(*items)) {
		json_decref(*items);
		*items = NULL;
		return lt_err_set(err, LT_EIO, "the upstream's inbox reply has no items");
	}
	return LT_OK;
}

static void *in_loop(void *vr)
{
	struct lt_relay *r = vr;
	CURL *h = curl_easy_init();
	long long cursor = 0;
	int failures = 0;
	while (h && !atomic_load(&r->stop)) {
		json_t *items = NULL;
		long long next = 0;
		struct lt_err err = {0};
		if (inbox_page(r, h, cursor, &items, &next, &err)) {
			if (atomic_load(&r->stop))
				break;
			int wait = lt_relay_backoff(++failures, r->backoff_max);
			lt_log_warnx("relay: %s; next poll in %d s", err.msg, wait);
			nap(r, wait * 1000L);
			continue;
		}
		failures = 0;
		size_t n = json_array_size(items);
		bool transient = false;
		const char *prev = "";
		for (size_t i = 0; i < n && !transient && !atomic_load(&r->stop); i++) {
			const char *id = json_string_value(json_object_get(json_array_get(items, i), "id"));
			if (!id || strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32 || strcmp(id, prev) == 0)
				continue;
			prev = id;
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
			} else {
				atomic_fetch_add(&r->fetched, 1);
			}
			struct lt_err ea = {0};
			if (ack(r, h, id, rc ? "fail" : "done", &ea)) {
				lt_log_warnx("relay: acknowledging %s upstream: %s", id, ea.msg);
				transient = true;
			}
		}
		json_decref(items);
		if (transient) {
			nap(r, 1000);
			continue;
		}
		/* Past what failed for good; from the start again once the inbox
		 * is read to its end. */
		cursor = next;
		if (n == 0 || !next)
			nap(r, n == 0 ? 500 : 0);
	}
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
	if (protocol == LT_UPSTREAM_LIENTHONG)
		return LT_OK;
	return lt_err_set(err, LT_EINVAL,
			  "upstream_protocol vxp: this build's relay worker speaks to a lienthong upstream only; set "
			  "upstream_protocol = lienthong");
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
	lt_text_format(r->url, sizeof r->url, "%s", opts->url);
	snprintf(r->auth, sizeof r->auth, "Authorization: Bearer %s", opts->token ? opts->token : "");
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
	memset(r->auth, 0, sizeof r->auth);
	free(r);
}
