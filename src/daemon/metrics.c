/* Prometheus metrics: requests by route and status, latency histograms by
 * route, failures by library status. Lock-free counters, so counting never
 * slows a request down. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/relay.h"
#include "catalogue_sync.h"
#include "server.h"

static const int statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 431, 500, 503, 0};
#define N_STATUS (sizeof statuses / sizeof statuses[0]) /* the last slot: any other */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKET (sizeof bounds / sizeof bounds[0])
#define N_LTSTATUS 11

struct route_metrics {
	atomic_ullong by_status[N_STATUS];
	atomic_ullong bucket[N_BUCKET + 1];
	atomic_ullong sum_ns;
	atomic_ullong count;
};

struct metrics {
	size_t n_routes; /* lt_n_routes + 1 for unmatched */
	struct route_metrics *r;
	atomic_ullong failures[N_LTSTATUS]; /* by -lt_status */
};

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->n_routes = lt_n_routes + 1;
	m->r = calloc(m->n_routes, sizeof *m->r);
	if (!m->r) {
		free(m);
		return NULL;
	}
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m) {
		free(m->r);
		free(m);
	}
}

void metrics_observe(struct metrics *m, int route_index, int http_status, int64_t ns, int lt_status)
{
	struct route_metrics *r = &m->r[route_index >= 0 ? (size_t)route_index : lt_n_routes];
	size_t s = 0;
	while (statuses[s] && statuses[s] != http_status)
		s++;
	atomic_fetch_add(&r->by_status[s], 1);
	double secs = (double)ns / 1e9;
	size_t b = 0;
	while (b < N_BUCKET && secs > bounds[b])
		b++;
	atomic_fetch_add(&r->bucket[b], 1);
	atomic_fetch_add(&r->sum_ns, (unsigned long long)(ns > 0 ? ns : 0));
	atomic_fetch_add(&r->count, 1);
	if (lt_status < 0 && -lt_status < N_LTSTATUS)
		atomic_fetch_add(&m->failures[-lt_status], 1);
}

struct buf {
	char *p;
	size_t n, cap;
	bool failed; /* a piece could not be written: the text is not whole */
};

__attribute__((format(printf, 2, 3))) static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->failed = true;
			return;
		}
		if (b->p && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 8192) + (size_t)k;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

static const char *route_label(size_t i, char *buf, size_t n)
{
	if (i >= lt_n_routes)
		return "unmatched";
	snprintf(buf, n, "%s %s", lt_routes[i].method, lt_routes[i].pattern);
	return buf;
}

static int oldest_put(void *ctx, int64_t system_id, int64_t seconds)
{
	char key[24];
	snprintf(key, sizeof key, "%lld", (long long)system_id);
	return json_object_set_new(ctx, key, json_integer((json_int_t)seconds)) ? LT_ENOMEM : 0;
}

/* Every system has its line, 0 when nothing waits for it. */
char *metrics_render(struct metrics *m, struct server *srv, size_t *len, struct lt_err *err)
{
	struct buf b = {0};
	char label[160];
	put(&b, "# HELP lienthong_http_requests_total HTTP requests by route and status.\n"
		"# TYPE lienthong_http_requests_total counter\n");
	for (size_t i = 0; i < m->n_routes; i++)
		for (size_t s = 0; s < N_STATUS; s++) {
			unsigned long long v = atomic_load(&m->r[i].by_status[s]);
			if (!v)
				continue;
			char st[8];
			snprintf(st, sizeof st, "%d", statuses[s]);
			put(&b, "lienthong_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
			    route_label(i, label, sizeof label), statuses[s] ? st : "other", v);
		}
	put(&b, "# HELP lienthong_http_request_duration_seconds Time from request line to reply.\n"
		"# TYPE lienthong_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < m->n_routes; i++) {
		unsigned long long count = atomic_load(&m->r[i].count);
		if (!count)
			continue;
		const char *rl = route_label(i, label, sizeof label);
		unsigned long long cum = 0;
		for (size_t k = 0; k < N_BUCKET; k++) {
			cum += atomic_load(&m->r[i].bucket[k]);
			put(&b, "lienthong_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", rl,
			    bounds[k], cum);
		}
		put(&b, "lienthong_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", rl, count);
		put(&b, "lienthong_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", rl,
		    (double)atomic_load(&m->r[i].sum_ns) / 1e9);
		put(&b, "lienthong_http_request_duration_seconds_count{route=\"%s\"} %llu\n", rl, count);
	}
	put(&b, "# HELP lienthong_failures_total Refused or failed requests by library status.\n"
		"# TYPE lienthong_failures_total counter\n");
	for (int s = 1; s < N_LTSTATUS; s++)
		put(&b, "lienthong_failures_total{status=\"%s\"} %llu\n", lt_status_name(-s),
		    atomic_load(&m->failures[s]));
	put(&b,
	    "# HELP lienthong_store_errors_total Store (database) errors seen by requests.\n"
	    "# TYPE lienthong_store_errors_total counter\n"
	    "lienthong_store_errors_total %llu\n",
	    atomic_load(&m->failures[-LT_EIO]) + atomic_load(&m->failures[-LT_ENOTREADY]));
	put(&b,
	    "# HELP lienthong_http_requests_in_flight Requests being served.\n"
	    "# TYPE lienthong_http_requests_in_flight gauge\nlienthong_http_requests_in_flight %d\n",
	    atomic_load(&srv->active));
	put(&b,
	    "# HELP lienthong_inbox_long_polls Inbox requests suspended while they wait for a delivery.\n"
	    "# TYPE lienthong_inbox_long_polls gauge\nlienthong_inbox_long_polls %zu\n",
	    longpoll_waiting(srv->longpoll));
	int64_t last_seq = 0;
	struct lt_exchange_counts xc;
	if (lt_registry_last_seq(srv->reg, &last_seq, err) || lt_exchange_counts(srv->xch, &xc, err)) {
		free(b.p);
		return NULL;
	}
	put(&b,
	    "# HELP lienthong_registry_last_seq Last sequence number of the event log.\n"
	    "# TYPE lienthong_registry_last_seq gauge\nlienthong_registry_last_seq %lld\n",
	    (long long)last_seq);
	put(&b,
	    "# HELP lienthong_exchange_documents Documents and status packages accepted.\n"
	    "# TYPE lienthong_exchange_documents gauge\n"
	    "lienthong_exchange_documents{kind=\"edoc\"} %llu\nlienthong_exchange_documents{kind=\"status\"} %llu\n"
	    "# HELP lienthong_exchange_bytes Bytes of accepted packages.\n# TYPE lienthong_exchange_bytes gauge\n"
	    "lienthong_exchange_bytes %llu\n"
	    "# HELP lienthong_exchange_replays_total Sends answered with the first reply (retries).\n"
	    "# TYPE lienthong_exchange_replays_total counter\nlienthong_exchange_replays_total %llu\n"
	    "# HELP lienthong_exchange_rejected_total Packages refused.\n"
	    "# TYPE lienthong_exchange_rejected_total counter\nlienthong_exchange_rejected_total %llu\n"
	    "# HELP lienthong_exchange_commits_total Group commits of sends and acknowledgements.\n"
	    "# TYPE lienthong_exchange_commits_total counter\nlienthong_exchange_commits_total %llu\n"
	    "# HELP lienthong_exchange_committed_total Sends and acknowledgements the group commits carried.\n"
	    "# TYPE lienthong_exchange_committed_total counter\nlienthong_exchange_committed_total %llu\n"
	    "# HELP lienthong_exchange_body_syncs_total Rounds of package-body syncs (one per group commit that "
	    "carried bodies).\n"
	    "# TYPE lienthong_exchange_body_syncs_total counter\nlienthong_exchange_body_syncs_total %llu\n"
	    "# HELP lienthong_exchange_bodies_synced_total Package bodies those rounds made durable.\n"
	    "# TYPE lienthong_exchange_bodies_synced_total counter\nlienthong_exchange_bodies_synced_total %llu\n",
	    (unsigned long long)xc.documents, (unsigned long long)xc.statuses, (unsigned long long)xc.bytes,
	    (unsigned long long)xc.replays, (unsigned long long)xc.rejected, (unsigned long long)xc.commits,
	    (unsigned long long)xc.committed_jobs, (unsigned long long)xc.body_syncs,
	    (unsigned long long)xc.bodies_synced);
	/* The state label takes the transport states' names as the API, the
	 * trace and the web interface give them (pending, not waiting). */
	put(&b, "# HELP lienthong_exchange_deliveries Deliveries by transport state.\n"
		"# TYPE lienthong_exchange_deliveries gauge\n");
	for (int i = 0; i < LT_DELIVERY_STATES; i++)
		put(&b, "lienthong_exchange_deliveries{state=\"%s\"} %llu\n",
		    lt_delivery_state_name((enum lt_delivery_state)i), (unsigned long long)xc.deliveries[i]);
	json_t *oldest = json_object();
	struct lt_err e2 = {0};
	if (oldest && lt_exchange_oldest_waiting(srv->xch, oldest_put, oldest, &e2) == LT_OK) {
		put(&b, "# HELP lienthong_delivery_oldest_waiting_seconds Age of each system's oldest waiting delivery "
			"(0: none waits).\n# TYPE lienthong_delivery_oldest_waiting_seconds gauge\n");
		const char *key;
		json_t *v;
		json_object_foreach(oldest, key, v)
		{
			put(&b, "lienthong_delivery_oldest_waiting_seconds{system=\"%s\"} %lld\n", key,
			    (long long)json_integer_value(v));
		}
	}
	json_decref(oldest);
	if (srv->relay) {
		struct lt_relay_counts rc;
		lt_relay_counts(srv->relay, &rc);
		put(&b,
		    "# HELP lienthong_relay_documents_total Packages the relay worker moved: sent upstream, or taken "
		    "in from it.\n# TYPE lienthong_relay_documents_total counter\n"
		    "lienthong_relay_documents_total{direction=\"out\"} %llu\n"
		    "lienthong_relay_documents_total{direction=\"in\"} %llu\n"
		    "# HELP lienthong_relay_failures_total Tries of the relay worker that failed (retried with "
		    "back-off).\n"
		    "# TYPE lienthong_relay_failures_total counter\n"
		    "lienthong_relay_failures_total{direction=\"out\"} %llu\n"
		    "lienthong_relay_failures_total{direction=\"in\"} %llu\n",
		    (unsigned long long)rc.relayed, (unsigned long long)rc.fetched,
		    (unsigned long long)rc.relay_failures, (unsigned long long)rc.fetch_failures);
	}
	int64_t late_decision = 0, late_update = 0;
	if (lt_registry_requests_overdue(srv->reg, &late_decision, &late_update, &(struct lt_err){0}) == LT_OK)
		put(&b,
		    "# HELP lienthong_requests_overdue Change requests past a deadline (the compliance report's).\n"
		    "# TYPE lienthong_requests_overdue gauge\n"
		    "lienthong_requests_overdue{deadline=\"decision\"} %lld\n"
		    "lienthong_requests_overdue{deadline=\"update\"} %lld\n",
		    (long long)late_decision, (long long)late_update);
	struct lt_mirror_status ms;
	if (catalogue_mirror_on(&srv->cfg) && lt_mirror_status(srv->reg, &ms, &(struct lt_err){0}) == LT_OK)
		put(&b,
		    "# HELP lienthong_catalogue_mirror_age_seconds Seconds since the mirror of the upstream's "
		    "catalogue "
		    "last had a good reply (-1: never).\n"
		    "# TYPE lienthong_catalogue_mirror_age_seconds gauge\nlienthong_catalogue_mirror_age_seconds %lld\n"
		    "# HELP lienthong_catalogue_mirror_last_seq The upstream's change-feed seq the mirror holds.\n"
		    "# TYPE lienthong_catalogue_mirror_last_seq gauge\nlienthong_catalogue_mirror_last_seq %lld\n"
		    "# HELP lienthong_catalogue_mirror_refused 1 while the upstream's last reply was refused (bad "
		    "signature, malformed).\n"
		    "# TYPE lienthong_catalogue_mirror_refused gauge\nlienthong_catalogue_mirror_refused %d\n",
		    (long long)ms.age_seconds, (long long)ms.last_seq, ms.refused[0] != '\0');
	if (b.failed || !b.p) {
		free(b.p);
		lt_err_set(err, LT_ENOMEM, "out of memory while writing the metrics");
		return NULL;
	}
	*len = b.n;
	return b.p;
}
