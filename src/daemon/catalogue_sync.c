/* The daemon's two catalogue workers (docs/catalogue-mirror.md): the mirror
 * follows the upstream's catalogue (a snapshot, then its change feed), the
 * publisher sends the changes inside local_scope up. Both only move bytes
 * over HTTP: verification, what is kept and the cursors are the library's
 * (src/registry/mirror.c, publish.c), and both keep their state in the
 * store, so a restart picks up where they were. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "catalogue_sync.h"
#include "lienthong/log.h"
#include "lienthong/relay.h"

#define REPLY_MAX ((size_t)512 << 20)
#define PAGE 1000

static const struct lt_ctx mirror_ctx = {.who = {.role = LT_ROLE_ADMIN, .name = "lienthongd:mirror"}};
static const struct lt_ctx publish_ctx = {.who = {.role = LT_ROLE_ADMIN, .name = "lienthongd:publish"}};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool stop; /* read by the mirror between pages, without the lock */
	bool mirror_on, publish_on;
	pthread_t mirror, publish;
} sync_state = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false, 0, 0};

/* Sleeps ms unless stopped meanwhile; false when stopping. */
static bool pause_ms(int64_t ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&sync_state.lock);
	if (!atomic_load(&sync_state.stop))
		pthread_cond_timedwait(&sync_state.cond, &sync_state.lock, &until);
	bool go = !atomic_load(&sync_state.stop);
	pthread_mutex_unlock(&sync_state.lock);
	return go;
}

struct reply {
	long status;
	char *body;
	size_t len;
	bool overflow;
	char signature[LT_CATKEY_SIG_BUFSZ + 8];
	char err[CURL_ERROR_SIZE];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb;
	if (r->len + n > REPLY_MAX) {
		r->overflow = true;
		return 0;
	}
	char *p = realloc(r->body, r->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + r->len, data, n);
	r->body = p;
	r->len += n;
	p[r->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb, name = strlen(LT_CATKEY_HEADER);
	if (n > name + 1 && strncasecmp(data, LT_CATKEY_HEADER, name) == 0 && data[name] == ':') {
		const char *v = data + name + 1;
		size_t len = n - name - 1;
		while (len && (*v == ' ' || *v == '\t'))
			v++, len--;
		while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
			len--;
		if (len < sizeof r->signature)
			memcpy(r->signature, v, len), r->signature[len] = '\0';
	}
	return n;
}

/* One request; a transport failure leaves status 0 and err set. */
static void call(const char *method, const char *url, const char *token, const char *json, long timeout,
		 struct reply *out)
{
	memset(out, 0, sizeof *out);
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(out->err, sizeof out->err, "cannot start an HTTP client");
		return;
	}
	struct curl_slist *h = NULL;
	char auth[320];
	if (token && *token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (json)
		h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, out->err);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json ? json : "");
	}
	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	else if (!out->err[0])
		snprintf(out->err, sizeof out->err, "%s",
			 out->overflow ? "the reply is too large" : curl_easy_strerror(cc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* Why a reply is not a 200, in words: the transport's, or the server's
 * own error message. */
static void failure(const char *url, const struct reply *r, char *why, size_t n)
{
	if (!r->status) {
		snprintf(why, n, "%s: %s", url, r->err);
		return;
	}
	json_t *e = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(json_object_get(e, "error"), "message"));
	if (!msg)
		msg = json_string_value(json_object_get(e, "MSG"));
	snprintf(why, n, "%s answered HTTP %ld%s%s", url, r->status, msg ? ": " : "", msg ? msg : "");
	json_decref(e);
}

/* ---- the mirror ---- */

static void mirror_round(struct server *srv)
{
	const struct lt_config *cfg = &srv->cfg;
	struct lt_mirror_status st;
	struct lt_err err = {0};
	if (lt_mirror_status(srv->reg, &st, &err)) {
		lt_log_warnx("catalogue mirror: %s", err.msg);
		return;
	}
	char url[1200], why[LT_ERR_MSG_MAX];
	struct reply r;
	if (cfg->upstream_protocol == LT_UPSTREAM_VXP) {
		/* A VXP axis has no change feed: its whole list, each time. */
		json_t *data = NULL;
		if (!srv->relay || lt_relay_vxp_agencies(srv->relay, &data, &err))
			lt_mirror_note_unreachable(srv->reg, &mirror_ctx, srv->relay ? err.msg : "no relay", &err);
		else if (lt_mirror_load_agencies(srv->reg, &mirror_ctx, data, &err))
			lt_log_warnx("catalogue mirror: %s", err.msg);
		json_decref(data);
		return;
	}
	if (!st.synced_at[0]) {
		snprintf(url, sizeof url, "%s/v1/snapshot", cfg->upstream_url);
		call("GET", url, cfg->upstream_token, NULL, 300, &r);
		if (r.status != 200) {
			failure(url, &r, why, sizeof why);
			lt_mirror_note_unreachable(srv->reg, &mirror_ctx, why, &err);
		} else if (lt_mirror_load_snapshot(srv->reg, &mirror_ctx, r.body, r.len, r.signature,
						   cfg->upstream_public_key, &err)) {
			lt_log_warnx("catalogue mirror: %s", err.msg);
		} else {
			lt_log_info("catalogue mirror: loaded the upstream's snapshot");
		}
		reply_free(&r);
		return;
	}
	for (int64_t pos = st.last_seq; !atomic_load(&sync_state.stop);) {
		snprintf(url, sizeof url, "%s/v1/changes?after=%lld&limit=%d", cfg->upstream_url, (long long)pos, PAGE);
		call("GET", url, cfg->upstream_token, NULL, 60, &r);
		int64_t applied = 0, upstream_last = 0;
		int rc = LT_OK;
		if (r.status != 200) {
			failure(url, &r, why, sizeof why);
			lt_mirror_note_unreachable(srv->reg, &mirror_ctx, why, &err);
			rc = LT_EIO;
		} else if ((rc = lt_mirror_apply_page(srv->reg, &mirror_ctx, r.body, r.len, r.signature,
						      cfg->upstream_public_key, &applied, &upstream_last, &err))) {
			lt_log_warnx("catalogue mirror: %s", err.msg);
		}
		reply_free(&r);
		if (rc || applied == 0 || pos + applied >= upstream_last)
			return;
		pos += applied;
	}
}

static void *mirror_loop(void *arg)
{
	struct server *srv = arg;
	do
		mirror_round(srv);
	while (pause_ms(srv->cfg.catalogue_poll_seconds * 1000));
	return NULL;
}

/* ---- publication ---- */

/* A dmdc record of formats.md §3.6 for a unit's state. */
static json_t *dmdc_record(json_t *unit)
{
	int level = (int)json_integer_value(json_object_get(unit, "level"));
	char key[32], date[16] = "";
	snprintf(key, sizeof key, "MaDinhDanhCap%d", level);
	json_t *d = json_object_get(unit, "decision");
	const char *iso = json_string_value(json_object_get(d, "date"));
	if (iso && strlen(iso) == 10)
		snprintf(date, sizeof date, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	json_t *o = json_object();
	json_object_set(o, key, json_object_get(unit, "code"));
	if (level > 1)
		json_object_set(o, "MaDinhDanhCha", json_object_get(unit, "parent"));
	static const char *const pairs[][2] = {{"TenDonVi", "name"},     {"DiaChi", "address"}, {"Email", "email"},
					       {"SoDienThoai", "phone"}, {"Fax", "fax"},        {"Website", "website"}};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		json_object_set(o, pairs[i][0], json_object_get(unit, pairs[i][1]));
	json_object_set(o, "QdBanHanhQdSuaDoi", json_object_get(d, "number"));
	json_object_set_new(o, "NgayBanHanhQd", json_string(date));
	json_object_set(o, "CoQuanBanHanhQd", json_object_get(d, "issuer"));
	return o;
}

/* Sends items up; *accepted_at is the upstream's time of acceptance. */
static int send_items(struct server *srv, json_t *items, char accepted_at[32], char *why, size_t n)
{
	const struct lt_config *cfg = &srv->cfg;
	const char *base = cfg->catalogue_publish_url[0] ? cfg->catalogue_publish_url : cfg->upstream_url;
	const char *token = cfg->upstream_publish_token[0] ? cfg->upstream_publish_token : cfg->upstream_token;
	char url[1200];
	struct reply r;
	lt_time_now(accepted_at);
	if (cfg->catalogue_publish_protocol == LT_PUBLISH_DMDC) {
		/* The shared catalogue takes records one category (level) at a
		 * time and gives no time of its own. Its POST adds units and
		 * has no update: an issued unit is what it can take, and one it
		 * holds already (409, a retry after a lost reply) is taken. */
		size_t i;
		json_t *item;
		json_array_foreach(items, i, item)
		{
			json_t *unit = json_object_get(item, "unit");
			const char *kind = json_string_value(json_object_get(item, "kind"));
			if (!kind || strcmp(kind, "issue") != 0)
				continue;
			snprintf(url, sizeof url, "%s/dmdc/Category/qlvanbandieuhanhcap%d", base,
				 (int)json_integer_value(json_object_get(unit, "level")));
			json_t *arr = json_pack("[o]", dmdc_record(unit));
			char *text = json_dumps(arr, JSON_COMPACT);
			json_decref(arr);
			call("POST", url, token, text ? text : "[]", 60, &r);
			free(text);
			bool ok = r.status == 200 || r.status == 409;
			if (!ok)
				failure(url, &r, why, n);
			reply_free(&r);
			if (!ok)
				return LT_EIO;
		}
		lt_time_now(accepted_at);
		return LT_OK;
	}
	snprintf(url, sizeof url, "%s/v1/changes", base);
	json_t *body = json_pack("{s:O}", "items", items);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	call("POST", url, token, text ? text : "{}", 60, &r);
	free(text);
	int rc = LT_OK;
	if (r.status != 200) {
		failure(url, &r, why, n);
		rc = LT_EIO;
	} else {
		json_t *o = json_loadb(r.body, r.len, 0, NULL);
		const char *at = json_string_value(json_object_get(o, "accepted_at"));
		if (at && strlen(at) < 32)
			snprintf(accepted_at, 32, "%s", at);
		json_decref(o);
	}
	reply_free(&r);
	return rc;
}

/* One pass: every pending change, in pages; false when it failed. */
static bool publish_round(struct server *srv)
{
	struct lt_err err = {0};
	for (;;) {
		json_t *items = NULL;
		int64_t upto = 0, cursor = 0;
		char why[LT_ERR_MSG_MAX] = "";
		if (lt_publish_status(srv->reg, &cursor, why, &err) ||
		    lt_publish_pending(srv->reg, 200, &items, &upto, &err)) {
			lt_log_warnx("catalogue publication: %s", err.msg);
			return false;
		}
		if (upto <= cursor) {
			json_decref(items);
			return true;
		}
		char at[32] = "";
		int rc = json_array_size(items) ? send_items(srv, items, at, why, sizeof why) : LT_OK;
		if (rc == LT_OK)
			rc = lt_publish_accepted(srv->reg, &publish_ctx, items, upto, at, &err);
		else {
			lt_log_warnx("catalogue publication: %s", why);
			lt_publish_note_failure(srv->reg, why, &err);
		}
		if (rc == LT_OK && json_array_size(items))
			lt_log_info("catalogue publication: %zu changes accepted upstream (up to seq %lld)",
				    json_array_size(items), (long long)upto);
		json_decref(items);
		if (rc)
			return false;
	}
}

static void *publish_loop(void *arg)
{
	struct server *srv = arg;
	/* Looked at every second (a change is a few rows to read), or when a
	 * try failed, after a back-off doubling up to publish_seconds. */
	int64_t wait = 1000, cap = srv->cfg.publish_seconds * 1000;
	uint64_t seen = 0;
	bool failed = true;
	do {
		uint64_t gen = lt_registry_generation(srv->reg);
		if (gen == seen && !failed) {
			wait = 1000;
			continue;
		}
		seen = gen;
		failed = !publish_round(srv);
		wait = failed ? (wait * 2 > cap ? cap : wait * 2) : 1000;
	} while (pause_ms(wait));
	return NULL;
}

/* ---- start and stop ---- */

int catalogue_sync_check(const struct lt_config *cfg, struct lt_err *err)
{
	char id[LT_CATKEY_ID_BUFSZ];
	if (cfg->upstream_public_key[0] && lt_catkey_parse_public(cfg->upstream_public_key, id, err))
		return lt_err_prefix(err, "upstream_public_key: ");
	const char *purl = cfg->catalogue_publish_url;
	if (purl[0] && strncmp(purl, "http://", 7) != 0 && strncmp(purl, "https://", 8) != 0)
		return lt_err_set(err, LT_EINVAL, "catalogue_publish_url: '%s' is not an http:// or https:// URL",
				  purl);
	if (purl[0] && !cfg->local_scope[0])
		return lt_err_set(err, LT_EINVAL,
				  "catalogue_publish_url is set but local_scope is empty: name the subtrees whose "
				  "changes are published");
	if (cfg->catalogue_publish_protocol == LT_PUBLISH_DMDC && !purl[0])
		return lt_err_set(err, LT_EINVAL, "catalogue_publish_protocol dmdc needs catalogue_publish_url");
	return LT_OK;
}

bool catalogue_mirror_on(const struct lt_config *cfg) { return cfg->upstream_url[0] != '\0'; }

bool catalogue_publishes(const struct lt_config *cfg) { return lt_catalogue_publishes(cfg); }

int catalogue_sync_start(struct server *srv, struct lt_err *err)
{
	const struct lt_config *cfg = &srv->cfg;
	int rc = lt_registry_federate(srv->reg, cfg, err);
	if (rc)
		return rc;
	bool mirror = catalogue_mirror_on(cfg);
	if (!mirror && !catalogue_publishes(cfg))
		return LT_OK;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return lt_err_set(err, LT_EIO, "cannot start the HTTP client library");
	atomic_store(&sync_state.stop, false);
	if (mirror && pthread_create(&sync_state.mirror, NULL, mirror_loop, srv) != 0)
		return lt_err_set(err, LT_EIO, "cannot start the catalogue mirror thread");
	sync_state.mirror_on = mirror;
	if (catalogue_publishes(cfg) && pthread_create(&sync_state.publish, NULL, publish_loop, srv) != 0)
		return lt_err_set(err, LT_EIO, "cannot start the catalogue publication thread");
	sync_state.publish_on = catalogue_publishes(cfg);
	return LT_OK;
}

void catalogue_sync_stop(void)
{
	if (!sync_state.mirror_on && !sync_state.publish_on)
		return;
	pthread_mutex_lock(&sync_state.lock);
	atomic_store(&sync_state.stop, true);
	pthread_cond_broadcast(&sync_state.cond);
	pthread_mutex_unlock(&sync_state.lock);
	if (sync_state.mirror_on)
		pthread_join(sync_state.mirror, NULL);
	if (sync_state.publish_on)
		pthread_join(sync_state.publish, NULL);
	sync_state.mirror_on = sync_state.publish_on = false;
	curl_global_cleanup();
}

json_t *catalogue_health(struct server *srv)
{
	const struct lt_config *cfg = &srv->cfg;
	if (!catalogue_mirror_on(cfg) && !catalogue_publishes(cfg))
		return NULL;
	json_t *o = json_object();
	struct lt_err err = {0};
	struct lt_mirror_status ms;
	if (catalogue_mirror_on(cfg) && lt_mirror_status(srv->reg, &ms, &err) == LT_OK) {
		bool stale = ms.age_seconds < 0 || ms.age_seconds > cfg->catalogue_max_age;
		const char *status = !ms.synced_at[0] ? "empty" : stale ? "stale" : "ok";
		json_object_set_new(
			o, "catalogue_mirror",
			json_pack("{s:s,s:b,s:b,s:I,s:I,s:s?,s:I,s:I,s:s?,s:s?}", "status", status, "stale", stale,
				  "verified",
				  cfg->upstream_public_key[0] && cfg->upstream_protocol == LT_UPSTREAM_LIENTHONG,
				  "last_seq", (json_int_t)ms.last_seq, "units", (json_int_t)ms.units, "synced_at",
				  ms.synced_at[0] ? ms.synced_at : NULL, "age_seconds", (json_int_t)ms.age_seconds,
				  "max_age_seconds", (json_int_t)cfg->catalogue_max_age, "refused",
				  ms.refused[0] ? ms.refused : NULL, "unreachable",
				  ms.unreachable[0] ? ms.unreachable : NULL));
	}
	int64_t cursor = 0;
	char why[LT_ERR_MSG_MAX];
	if (catalogue_publishes(cfg) && lt_publish_status(srv->reg, &cursor, why, &err) == LT_OK)
		json_object_set_new(
			o, "catalogue_publication",
			json_pack("{s:I,s:s?}", "published_seq", (json_int_t)cursor, "failing", why[0] ? why : NULL));
	return o;
}
