/* Load client of the exchange benchmarks (bench/exchange.py, bench/signatures.py):
 * libcurl multi, one connection per agent, every agent in a closed loop.
 *
 *   xload URL MANIFEST > result.json
 *
 * MANIFEST, one directive per line:
 *   S LANE TOKEN FILE   a package FILE sent with POST /v1/documents by the
 *                       system whose bearer token is TOKEN; the lines of one
 *                       LANE (a small integer) are sent in order, one at a
 *                       time, on the lane's own connection
 *   R TOKEN             a receiving system: polls GET /v1/inbox?kind=edoc,
 *                       fetches each item (GET /v1/documents/{id}) and
 *                       acknowledges it (POST /v1/documents/{id}/ack
 *                       {"state":"done"}), on its own connection
 *   P MS                a receiver whose inbox was empty polls again after
 *                       MS milliseconds (default 20)
 *   W SECONDS           receivers long-poll instead: each has a second
 *                       connection that keeps GET /v1/inbox?wait=SECONDS&after=
 *                       (the last delivery it saw) pending, asked again as soon
 *                       as it answers, and hands the new items to the
 *                       receiver's fetch-and-acknowledge connection
 *   D SECONDS           once every lane has finished, receivers keep going
 *                       until every accepted delivery is acknowledged, or
 *                       for SECONDS at most (default 60)
 *   L SECONDS           senders stop starting packages after SECONDS
 *                       (default: no limit)
 *
 * Prints one JSON object: counts, the status codes seen, the times of the
 * send and drain phases, and latency percentiles in milliseconds: send (POST
 * to 201), fetch, ack, end to end (e2e: 201 received by the sender -> the
 * long-poll reply that shows the recipient the item, 0 when it came first;
 * without W, the fetch complete) and e2e_fetched (201 -> the recipient's
 * fetch complete). Exits 1 on a usage or setup error only;
 * the caller judges the counts. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LANES 256
#define MAX_RECV 256

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "xload: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "xload: out of memory\n");
		exit(1);
	}
	return p;
}

/* ---- growable arrays of doubles (latencies, in seconds) ---- */

struct vec {
	double *v;
	size_t n, cap;
};

static void vpush(struct vec *a, double x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->v[a->n++] = x;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The same nearest-rank percentile as bench/benchlib.py. */
static double pct(struct vec *a, double p)
{
	if (!a->n)
		return 0;
	long k = (long)(p / 100.0 * a->n + 0.5 + 0.5) - 1;
	if (k < 0)
		k = 0;
	if ((size_t)k >= a->n)
		k = (long)a->n - 1;
	return a->v[k];
}

static void print_lat(const char *name, struct vec *a, int comma)
{
	qsort(a->v, a->n, sizeof *a->v, dcmp);
	double sum = 0;
	for (size_t i = 0; i < a->n; i++)
		sum += a->v[i];
	printf("  \"%s\": {\"n\": %zu, \"mean_ms\": %.3f, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, "
	       "\"max_ms\": %.3f}%s\n",
	       name, a->n, a->n ? sum / a->n * 1e3 : 0, pct(a, 50) * 1e3, pct(a, 90) * 1e3, pct(a, 99) * 1e3,
	       a->n ? a->v[a->n - 1] * 1e3 : 0, comma ? "," : "");
}

/* ---- hub id -> time the sender saw its 201 ---- */

struct slot {
	char id[33];
	double accepted; /* < 0: not accepted yet */
};

static struct slot *tab;
static size_t tab_cap, tab_n;

static uint64_t hash_id(const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < 32; i++)
		h = (h ^ (unsigned char)id[i]) * 1099511628211ULL;
	return h;
}

static struct slot *lookup(const char *id)
{
	if (tab_n * 2 >= tab_cap) {
		size_t ncap = tab_cap ? tab_cap * 2 : 4096;
		struct slot *nt = calloc(ncap, sizeof *nt);
		if (!nt)
			exit(1);
		for (size_t i = 0; i < tab_cap; i++)
			if (tab[i].id[0]) {
				size_t k = hash_id(tab[i].id) & (ncap - 1);
				while (nt[k].id[0])
					k = (k + 1) & (ncap - 1);
				nt[k] = tab[i];
			}
		free(tab);
		tab = nt;
		tab_cap = ncap;
	}
	size_t k = hash_id(id) & (tab_cap - 1);
	while (tab[k].id[0] && memcmp(tab[k].id, id, 32) != 0)
		k = (k + 1) & (tab_cap - 1);
	if (!tab[k].id[0]) {
		memcpy(tab[k].id, id, 32);
		tab[k].id[32] = '\0';
		tab[k].accepted = -1;
		tab_n++;
	}
	return &tab[k];
}

/* ---- agents ---- */

struct buf {
	char *p;
	size_t n, cap;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t len = size * nmemb;
	if (b->n + len + 1 > b->cap) {
		b->cap = (b->n + len + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

static size_t on_discard(char *data, size_t size, size_t nmemb, void *ud)
{
	(void)data;
	*(uint64_t *)ud += size * nmemb;
	return size * nmemb;
}

enum { A_SEND, A_RECV, A_POLL };
enum { R_IDLE, R_INBOX, R_FETCH, R_ACK, R_WAIT };

struct agent {
	int kind;
	char auth[300];
	CURL *h;
	struct curl_slist *hdr;
	struct buf body;
	double started;
	/* sender */
	char **files;
	size_t n_files, next_file;
	char *payload;
	/* receiver */
	int state;
	char (*ids)[33];
	size_t n_ids, cap_ids, at;
	double wake;
	uint64_t fetched_bytes;
	/* long poll (W): the receiver's poller, or the receiver it feeds */
	struct agent *poller, *worker;
	long long after; /* the last delivery id the poller saw */
};

static const char *base_url;
static CURLM *multi;
static long poll_ms = 20;
static long wait_s; /* W: the long poll's wait, 0: poll every poll_ms */
static double drain_s = 60, send_limit_s = -1;

/* counts */
static long sends_started, sends_accepted, sends_refused, sends_failed, deliveries_expected;
static long inbox_polls, inbox_empty, fetches, fetch_errors, acks, ack_errors;
static uint64_t bytes_sent, bytes_fetched;
static long status_hist[600];
static char first_error[512];
static struct vec lat_send, lat_fetch, lat_ack, lat_e2e, lat_e2e_fetched, lat_inbox;
static long e2e_early; /* seen in an inbox before the sender's 201 arrived */
static long acked_at_senders_done;
static double t_start, t_last_accept, t_last_ack, t_senders_done;

static void note_error(const char *what, long code, const char *body)
{
	if (!first_error[0])
		snprintf(first_error, sizeof first_error, "%s: HTTP %ld %.300s", what, code, body ? body : "");
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "xload: cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = xmalloc((size_t)n);
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "xload: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void prepare(struct agent *a, const char *url)
{
	curl_easy_reset(a->h);
	curl_easy_setopt(a->h, CURLOPT_URL, url);
	curl_easy_setopt(a->h, CURLOPT_PRIVATE, a);
	curl_easy_setopt(a->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(a->h, CURLOPT_TIMEOUT, 120L);
	a->body.n = 0;
	if (a->body.p)
		a->body.p[0] = '\0';
	a->started = now();
}

static void start_send(struct agent *a)
{
	char url[1024];
	size_t len;
	snprintf(url, sizeof url, "%s/v1/documents", base_url);
	free(a->payload);
	a->payload = read_file(a->files[a->next_file++], &len);
	prepare(a, url);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, a->hdr);
	curl_easy_setopt(a->h, CURLOPT_POSTFIELDS, a->payload);
	curl_easy_setopt(a->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(a->h, CURLOPT_WRITEDATA, &a->body);
	bytes_sent += len;
	sends_started++;
	curl_multi_add_handle(multi, a->h);
}

static void start_inbox(struct agent *a)
{
	char url[1024];
	if (a->kind == A_POLL)
		snprintf(url, sizeof url, "%s/v1/inbox?kind=edoc&limit=500&wait=%ld&after=%lld", base_url, wait_s,
			 a->after);
	else if (wait_s)
		snprintf(url, sizeof url, "%s/v1/inbox?kind=edoc&limit=100&wait=%ld", base_url, wait_s);
	else
		snprintf(url, sizeof url, "%s/v1/inbox?kind=edoc&limit=100", base_url);
	prepare(a, url);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, a->hdr);
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(a->h, CURLOPT_WRITEDATA, &a->body);
	a->state = R_INBOX;
	inbox_polls++;
	curl_multi_add_handle(multi, a->h);
}

static void start_fetch(struct agent *a)
{
	char url[1024];
	snprintf(url, sizeof url, "%s/v1/documents/%s", base_url, a->ids[a->at]);
	prepare(a, url);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, a->hdr);
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, on_discard);
	a->fetched_bytes = 0;
	curl_easy_setopt(a->h, CURLOPT_WRITEDATA, &a->fetched_bytes);
	a->state = R_FETCH;
	curl_multi_add_handle(multi, a->h);
}

static void start_ack(struct agent *a)
{
	char url[1024];
	snprintf(url, sizeof url, "%s/v1/documents/%s/ack", base_url, a->ids[a->at]);
	prepare(a, url);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, a->hdr);
	curl_easy_setopt(a->h, CURLOPT_POSTFIELDS, "{\"state\":\"done\"}");
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(a->h, CURLOPT_WRITEDATA, &a->body);
	a->state = R_ACK;
	curl_multi_add_handle(multi, a->h);
}

/* The value of the first "key":"…" after p, into out (at most 32 chars). */
static const char *json_str(const char *p, const char *key, char out[33])
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	const char *s = strstr(p, pat);
	if (!s)
		return NULL;
	s += strlen(pat);
	size_t n = 0;
	while (s[n] && s[n] != '"' && n < 32)
		n++;
	memcpy(out, s, n);
	out[n] = '\0';
	return s + n;
}

static int count_of(const char *s, const char *pat)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, pat)); p += strlen(pat))
		n++;
	return n;
}

static int senders_left;

static void next_send(struct agent *a, double t)
{
	if (a->next_file < a->n_files && (send_limit_s < 0 || t - t_start < send_limit_s)) {
		start_send(a);
	} else {
		a->state = R_IDLE;
		if (--senders_left == 0) {
			t_senders_done = t;
			acked_at_senders_done = acks;
		}
	}
}

static void done_send(struct agent *a, long code, CURLcode cc, double t)
{
	if (code >= 0 && code < 600)
		status_hist[code]++;
	if (cc != CURLE_OK) {
		sends_failed++;
		note_error("send", -1, curl_easy_strerror(cc));
	} else if (code == 201 || code == 200) {
		char id[33];
		sends_accepted++;
		t_last_accept = t;
		vpush(&lat_send, t - a->started);
		deliveries_expected += count_of(a->body.p ? a->body.p : "", "\"state\":\"pending\"");
		if (a->body.p && json_str(a->body.p, "id", id) && strlen(id) == 32)
			lookup(id)->accepted = t;
	} else {
		sends_refused++;
		note_error("send", code, a->body.p);
	}
	next_send(a, t);
}

/* Latency from the sender's 201 to t; an item the recipient saw before
 * the 201 reached the sender counts 0. */
static void e2e_from_201(struct vec *v, const char *id, double t)
{
	struct slot *s = lookup(id);
	if (s->accepted >= 0) {
		vpush(v, t - s->accepted);
	} else {
		vpush(v, 0.0);
		e2e_early += v == &lat_e2e;
	}
}

static void push_id(struct agent *a, const char *id)
{
	if (a->n_ids == a->cap_ids) {
		a->cap_ids = a->cap_ids ? a->cap_ids * 2 : 128;
		a->ids = xrealloc(a->ids, a->cap_ids * sizeof *a->ids);
	}
	memcpy(a->ids[a->n_ids++], id, 33);
}

static void recv_next(struct agent *a, double t)
{
	if (a->at < a->n_ids) {
		start_fetch(a);
	} else if (a->poller) {
		a->state = R_IDLE; /* its poller hands it the next items */
	} else if (a->n_ids > 0 || wait_s) {
		start_inbox(a); /* there may be more waiting; a long poll waits in the hub */
	} else {
		a->state = R_WAIT;
		a->wake = t + poll_ms / 1000.0;
	}
}

/* A long poll answered: its new items go to the receiver, and the next
 * long poll (after the last delivery seen) starts at once. */
static void done_poll(struct agent *a, long code, CURLcode cc, double t)
{
	if (code >= 0 && code < 600)
		status_hist[code]++;
	struct agent *w = a->worker;
	size_t before = w->n_ids;
	if (cc == CURLE_OK && code == 200 && a->body.p) {
		vpush(&lat_inbox, t - a->started);
		const char *p = a->body.p;
		char id[33];
		while ((p = strstr(p, "\"delivery\":"))) {
			p += strlen("\"delivery\":");
			long long dl = strtoll(p, NULL, 10);
			if (!(p = json_str(p, "id", id)) || strlen(id) != 32)
				continue;
			if (dl > a->after)
				a->after = dl;
			e2e_from_201(&lat_e2e, id, t); /* each delivery is listed once: after= */
			push_id(w, id);
		}
	} else {
		note_error("inbox", code, cc == CURLE_OK ? a->body.p : curl_easy_strerror(cc));
		a->state = R_WAIT;
		a->wake = t + poll_ms / 1000.0;
		return;
	}
	if (w->n_ids == before)
		inbox_empty++;
	else if (w->state == R_IDLE)
		recv_next(w, t);
	start_inbox(a);
}

static void done_recv(struct agent *a, long code, CURLcode cc, double t)
{
	if (code >= 0 && code < 600)
		status_hist[code]++;
	switch (a->state) {
	case R_INBOX:
		a->n_ids = a->at = 0;
		if (cc == CURLE_OK && code == 200 && a->body.p) {
			vpush(&lat_inbox, t - a->started);
			const char *p = a->body.p;
			char id[33];
			while ((p = json_str(p, "id", id))) {
				if (strlen(id) != 32)
					continue;
				push_id(a, id);
			}
		} else {
			note_error("inbox", code, cc == CURLE_OK ? a->body.p : curl_easy_strerror(cc));
		}
		if (!a->n_ids)
			inbox_empty++;
		recv_next(a, t);
		break;
	case R_FETCH:
		if (cc == CURLE_OK && code == 200) {
			fetches++;
			bytes_fetched += a->fetched_bytes;
			vpush(&lat_fetch, t - a->started);
			e2e_from_201(&lat_e2e_fetched, a->ids[a->at], t);
			if (!a->poller) /* polling lists an item again until it is acknowledged: its fetch ends it */
				e2e_from_201(&lat_e2e, a->ids[a->at], t);
			start_ack(a);
		} else {
			fetch_errors++;
			note_error("fetch", code, cc == CURLE_OK ? "" : curl_easy_strerror(cc));
			a->at++;
			recv_next(a, t);
		}
		break;
	case R_ACK:
		if (cc == CURLE_OK && code == 200) {
			acks++;
			t_last_ack = t;
			vpush(&lat_ack, t - a->started);
		} else {
			ack_errors++;
			note_error("ack", code, cc == CURLE_OK ? a->body.p : curl_easy_strerror(cc));
		}
		a->at++;
		recv_next(a, t);
		break;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: xload URL MANIFEST > result.json\n");
		return 1;
	}
	base_url = argv[1];
	FILE *m = fopen(argv[2], "r");
	if (!m) {
		fprintf(stderr, "xload: cannot open %s\n", argv[2]);
		return 1;
	}
	static struct agent lanes[MAX_LANES], recvs[MAX_RECV], polls[MAX_RECV];
	int n_lanes = 0, n_recv = 0;
	char line[4096];
	while (fgets(line, sizeof line, m)) {
		char tok[256], path[3000];
		int lane;
		double x;
		if (sscanf(line, "S %d %255s %2999s", &lane, tok, path) == 3) {
			if (lane < 0 || lane >= MAX_LANES) {
				fprintf(stderr, "xload: lane %d out of range\n", lane);
				return 1;
			}
			struct agent *a = &lanes[lane];
			if (lane >= n_lanes)
				n_lanes = lane + 1;
			snprintf(a->auth, sizeof a->auth, "Authorization: Bearer %s", tok);
			a->files = xrealloc(a->files, (a->n_files + 1) * sizeof *a->files);
			a->files[a->n_files++] = strdup(path);
		} else if (sscanf(line, "R %255s", tok) == 1) {
			if (n_recv == MAX_RECV) {
				fprintf(stderr, "xload: too many receivers\n");
				return 1;
			}
			snprintf(recvs[n_recv++].auth, sizeof recvs[0].auth, "Authorization: Bearer %s", tok);
		} else if (sscanf(line, "P %lf", &x) == 1) {
			poll_ms = (long)x;
		} else if (sscanf(line, "W %lf", &x) == 1) {
			wait_s = (long)x;
		} else if (sscanf(line, "D %lf", &x) == 1) {
			drain_s = x;
		} else if (sscanf(line, "L %lf", &x) == 1) {
			send_limit_s = x;
		}
	}
	fclose(m);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)(n_lanes + 2 * n_recv + 8));
	t_start = now();
	for (int i = 0; i < n_lanes; i++) {
		struct agent *a = &lanes[i];
		a->kind = A_SEND;
		a->h = curl_easy_init();
		a->hdr = curl_slist_append(NULL, a->auth);
		a->hdr = curl_slist_append(a->hdr, "Content-Type: application/xml");
		a->hdr = curl_slist_append(a->hdr, "Expect:");
		if (a->n_files) {
			senders_left++;
			start_send(a);
		}
	}
	for (int i = 0; i < n_recv; i++) {
		struct agent *a = &recvs[i];
		a->kind = A_RECV;
		a->h = curl_easy_init();
		a->hdr = curl_slist_append(NULL, a->auth);
		a->hdr = curl_slist_append(a->hdr, "Content-Type: application/json");
		a->hdr = curl_slist_append(a->hdr, "Expect:");
		if (!wait_s) {
			start_inbox(a);
			continue;
		}
		struct agent *p = &polls[i];
		*p = *a;
		p->kind = A_POLL;
		p->h = curl_easy_init();
		p->body = (struct buf){0};
		p->worker = a;
		a->poller = p;
		a->state = R_IDLE;
		start_inbox(p);
	}
	if (!senders_left)
		t_senders_done = t_start;

	for (;;) {
		double t = now();
		if (!senders_left) {
			bool drained = n_recv == 0 || acks + ack_errors + fetch_errors >= deliveries_expected;
			if (drained || t - t_senders_done > drain_s)
				break;
		}
		/* receivers whose empty-inbox pause is over */
		for (int i = 0; i < n_recv; i++) {
			if (recvs[i].state == R_WAIT && t >= recvs[i].wake)
				start_inbox(&recvs[i]);
			if (polls[i].kind == A_POLL && polls[i].state == R_WAIT && t >= polls[i].wake)
				start_inbox(&polls[i]);
		}
		int running = 0;
		curl_multi_perform(multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *h = msg->easy_handle;
			CURLcode cc = msg->data.result;
			struct agent *a;
			long code = -1;
			curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&a);
			if (cc == CURLE_OK)
				curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			curl_multi_remove_handle(multi, h);
			double te = now();
			if (a->kind == A_SEND)
				done_send(a, code, cc, te);
			else if (a->kind == A_POLL)
				done_poll(a, code, cc, te);
			else
				done_recv(a, code, cc, te);
		}
		curl_multi_poll(multi, NULL, 0, 5, NULL);
	}
	double t_end = now();

	printf("{\n");
	printf("  \"lanes\": %d, \"receivers\": %d,\n", n_lanes, n_recv);
	printf("  \"sends_started\": %ld, \"accepted\": %ld, \"refused\": %ld, \"failed\": %ld,\n", sends_started,
	       sends_accepted, sends_refused, sends_failed);
	printf("  \"deliveries_expected\": %ld, \"fetched\": %ld, \"acked\": %ld, \"fetch_errors\": %ld, "
	       "\"ack_errors\": %ld,\n",
	       deliveries_expected, fetches, acks, fetch_errors, ack_errors);
	printf("  \"inbox_polls\": %ld, \"inbox_empty\": %ld, \"e2e_seen_before_201\": %ld, "
	       "\"acked_at_senders_done\": %ld,\n",
	       inbox_polls, inbox_empty, e2e_early, acked_at_senders_done);
	printf("  \"bytes_sent\": %llu, \"bytes_fetched\": %llu,\n", (unsigned long long)bytes_sent,
	       (unsigned long long)bytes_fetched);
	printf("  \"send_phase_s\": %.4f, \"last_accept_s\": %.4f, \"last_ack_s\": %.4f, \"total_s\": %.4f,\n",
	       t_senders_done - t_start, t_last_accept > 0 ? t_last_accept - t_start : 0,
	       t_last_ack > 0 ? t_last_ack - t_start : 0, t_end - t_start);
	printf("  \"status\": {");
	int first = 1;
	for (int i = 0; i < 600; i++)
		if (status_hist[i]) {
			printf("%s\"%d\": %ld", first ? "" : ", ", i, status_hist[i]);
			first = 0;
		}
	printf("},\n");
	printf("  \"first_error\": \"");
	for (const char *p = first_error; *p; p++) {
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar((unsigned char)*p < 0x20 ? ' ' : *p);
	}
	printf("\",\n");
	print_lat("send", &lat_send, 1);
	print_lat("inbox", &lat_inbox, 1);
	print_lat("fetch", &lat_fetch, 1);
	print_lat("ack", &lat_ack, 1);
	print_lat("e2e", &lat_e2e, 1);
	print_lat("e2e_fetched", &lat_e2e_fetched, 0);
	printf("}\n");

	for (int i = 0; i < n_lanes; i++) {
		curl_easy_cleanup(lanes[i].h);
		curl_slist_free_all(lanes[i].hdr);
	}
	for (int i = 0; i < n_recv; i++) {
		curl_easy_cleanup(recvs[i].h);
		curl_slist_free_all(recvs[i].hdr);
	}
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return 0;
}
