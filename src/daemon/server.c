/* The HTTP server on libmicrohttpd: a pool of epoll threads, connection and
 * per-IP limits, header and body caps, timeouts; each request gets a
 * context from its first byte to its last, which the access log and the
 * metrics read when it completes. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "access_log.h"
#include "lienthong/log.h"
#include "server.h"

#define HEADER_MEMORY (32 * 1024) /* request line and headers at most */
/* After a 413 sent mid-body: how much more to read, and for how long,
 * before closing, so the client can see the reply first. */
#define DRAIN_BYTES (1024 * 1024)
#define DRAIN_NS INT64_C(2000000000)

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The request heads a thread is reading: begun (the request line seen) and
 * not yet complete. A connection is served by one thread from its accept
 * to its close, so when a thread has exactly one head open, a message
 * libmicrohttpd logs about a head, on that thread, is about that one. */
struct head_track {
	atomic_int open;
	_Atomic(struct req *) last; /* the latest begun, while it is still open */
};

static _Thread_local struct head_track tl_heads;

static void head_begin(struct req *rq)
{
	rq->head = &tl_heads;
	atomic_fetch_add(&tl_heads.open, 1);
	atomic_store(&tl_heads.last, rq);
}

static void head_end(struct req *rq)
{
	struct head_track *h = rq->head;
	if (!h)
		return;
	rq->head = NULL;
	struct req *self = rq;
	atomic_compare_exchange_strong(&h->last, &self, NULL);
	atomic_fetch_sub(&h->open, 1);
}

/* 16 hex digits, random: unique across the nodes of one hub without
 * coordination, and no count of the requests served leaks. The random
 * bytes are drawn for 32 ids at a time per thread: one RAND_bytes per
 * request was a few percent of a request's CPU. */
static void request_id_new(char out[LT_REQUEST_ID_BUFSZ])
{
	static _Thread_local unsigned char pool[256];
	static _Thread_local size_t used = sizeof pool;
	unsigned char b[8];
	if (used == sizeof pool && RAND_bytes(pool, sizeof pool) == 1)
		used = 0;
	if (used < sizeof pool) {
		memcpy(b, pool + used, sizeof b);
		used += sizeof b;
	} else {
		static _Atomic uint64_t fallback;
		uint64_t v = atomic_fetch_add(&fallback, 1) ^ (uint64_t)now_ns();
		memcpy(b, &v, sizeof b);
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof b; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * sizeof b] = '\0';
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct server *srv = cls;
	struct req *rq = calloc(1, sizeof *rq);
	if (!rq)
		return NULL;
	rq->srv = srv;
	rq->conn = conn;
	rq->route_index = -1;
	rq->t_start_ns = now_ns();
	request_id_new(rq->call.request_id);
	rq->raw_uri = strdup(uri ? uri : "");
	rq->body_fd = -1;
	head_begin(rq);
	atomic_fetch_add(&srv->active, 1);
	return rq;
}

static void req_free(struct req *rq)
{
	if (rq->ctx_free)
		rq->ctx_free(rq->ctx);
	if (rq->body_fd >= 0)
		close(rq->body_fd);
	if (rq->stream_cb && rq->stream_free)
		rq->stream_free(rq->stream_cls);
	uri_free(&rq->uri);
	free(rq->raw_uri);
	free(rq->body);
	free(rq->raw);
	json_decref(rq->json);
	free(rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct req *rq = *con_cls;
	if (!rq)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !rq->status)
		rq->status = 0; /* closed before a reply: logged as 0 */
	head_end(rq);
	watchdog_request_done(conn);
	metrics_observe(srv->metrics, rq->route_index, rq->status, now_ns() - rq->t_start_ns, rq->lt_status);
	access_log_write(srv, rq);
	req_free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->active, 1);
}

/* VXP clients parse only the envelope of formats.md §3.4, so a refusal on
 * a /vxp/ path goes out in it, whichever layer made it. */
static bool vxp_prefix(const char *p)
{
	return p && strncmp(p, "/vxp", 4) == 0 && (p[4] == '\0' || p[4] == '/' || p[4] == '?');
}

static bool vxp_refusal(const struct req *rq)
{
	return rq->status >= 400 && (vxp_prefix(rq->uri.path) || vxp_prefix(rq->raw_uri));
}

/* The text of a JSON reply with a trailing newline (it makes curl output
 * readable in the docs). For a VXP refusal whose envelope could not be
 * built (out of memory), a fixed envelope in fallback, not owned. */
static char *json_text(struct req *rq, bool vxp, char *fallback, size_t size, size_t *len, bool *owned)
{
	char *s = rq->json ? json_reply_text(rq->json, len) : NULL;
	if (!s) {
		if (!vxp)
			return NULL;
		int n = snprintf(fallback, size,
				 "{\"status\":\"FAIL\",\"ErrorCode\":\"%d\",\"ErrorDesc\":\"the hub could not build "
				 "its reply; retry later\"%s}\n",
				 rq->status, h_vxp_is_send(rq) ? ",\"DocId\":\"\"" : "");
		*len = n > 0 && (size_t)n < size ? (size_t)n : 0;
		*owned = false;
		return fallback;
	}
	*owned = true;
	return s;
}

/* Every reply, page or API: scripts, styles and images only from the hub
 * itself (no inline script or style; data: images only, which the web
 * interface's load-holding placeholder and empty favicon are), no framing
 * of the management pages, and no Referer carrying a unit or document URL
 * to another site. */
#define CSP                                                                                                            \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "          \
	"font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static void security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

static enum MHD_Result queue(struct req *rq)
{
	struct MHD_Response *resp;
	const char *ctype = NULL;
	bool vxp = vxp_refusal(rq);
	if (vxp)
		h_vxp_envelope(rq);
	if (rq->json || vxp) {
		char fallback[192];
		size_t n;
		bool owned;
		char *s = json_text(rq, vxp, fallback, sizeof fallback, &n, &owned);
		if (!s)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(n, s, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
		if (!resp && owned)
			free(s);
		rq->sent_bytes = n;
		ctype = "application/json; charset=utf-8";
	} else if (rq->stream_cb) {
		resp = MHD_create_response_from_callback(rq->stream_size, 65536, rq->stream_cb, rq->stream_cls,
							 rq->stream_free);
		if (resp)
			rq->stream_cb = NULL; /* MHD owns the state now */
		rq->sent_bytes = rq->stream_size;
		ctype = rq->ctype;
	} else if (rq->body_fd >= 0) {
		/* MHD reads the file as it sends and closes it. */
		resp = MHD_create_response_from_fd64(rq->body_fd_size, rq->body_fd);
		if (resp)
			rq->body_fd = -1;
		rq->sent_bytes = rq->body_fd_size;
		ctype = rq->ctype;
	} else {
		resp = MHD_create_response_from_buffer(rq->raw_len, rq->raw ? rq->raw : (void *)"",
						       rq->raw ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (resp)
			rq->raw = NULL;
		rq->sent_bytes = rq->raw_len;
		ctype = rq->ctype;
	}
	if (!resp)
		return MHD_NO;
	if (ctype && rq->status != MHD_HTTP_NOT_MODIFIED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (rq->etag[0]) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, rq->etag);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	if (rq->signature[0])
		MHD_add_response_header(resp, LT_CATKEY_HEADER, rq->signature);
	if (rq->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rq->location);
	if (rq->allow[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rq->allow);
	if (rq->www_auth)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"lienthong\"");
	/* Not ready (the database restarting, a failover): worth a retry soon;
	 * the store reconnects by itself. */
	if (rq->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	MHD_add_response_header(resp, "X-Request-Id", rq->call.request_id);
	security_headers(resp);
	if (rq->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(rq->conn, (unsigned)rq->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static size_t body_limit(const struct server *srv, enum body_kind k)
{
	return k == BODY_JSON     ? (size_t)srv->cfg.max_body_bytes
	       : k == BODY_BULK   ? (size_t)srv->cfg.max_bulk_bytes
	       : k == BODY_STREAM ? (size_t)srv->cfg.max_package_bytes
				  : 0;
}

struct head_scan {
	struct MHD_Connection *conn;
	int lengths, codings;
	char nul_in[64]; /* the name of a header holding a NUL byte */
};

#if MHD_VERSION <= 0x00097500
struct key_seek {
	const char *at;
	bool found;
};

static enum MHD_Result is_key(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	(void)value;
	struct key_seek *k = cls;
	k->found = k->found || key == k->at;
	return k->found ? MHD_NO : MHD_YES;
}
#endif

/* Whether a header value was cut at a NUL byte the client sent. Newer
 * libmicrohttpd reports a value's length past such a byte; 0.9.75 measures
 * it with strlen, but parses the head in place, turning each line's CR and
 * LF into NULs: the byte after the value's end is then one of those, or
 * (after a bare LF) the first byte of the next header's name, or the empty
 * line that ends the head. Anything else is the rest of a value after a
 * NUL. Both reads stay inside the line, which ends in CR, LF or both. */
static bool value_cut(struct MHD_Connection *conn, const char *value, size_t value_size)
{
	size_t n = strlen(value);
	if (n != value_size)
		return true;
#if MHD_VERSION > 0x00097500
	/* Another parser: its length is the only evidence (the NUL test in
	 * test_daemon_abuse.py says whether it suffices). */
	(void)conn;
	return false;
#else
	const char *after = value + n + 1;
	if (*after == '\0' || *after == '\r' || *after == '\n')
		return false;
	struct key_seek k = {after, false};
	MHD_get_connection_values(conn, MHD_HEADER_KIND, is_key, &k);
	return !k.found;
#endif
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				   const char *value, size_t value_size)
{
	(void)kind;
	struct head_scan *h = cls;
	/* Every reader of a value as a C string would see it cut short at a
	 * NUL: "Bearer <token>\0junk" would authenticate as the token. */
	if (!h->nul_in[0] && (strlen(key) != key_size || (value && value_cut(h->conn, value, value_size))))
		snprintf(h->nul_in, sizeof h->nul_in, "%.60s", key);
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		h->lengths++;
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		h->codings++;
	return MHD_YES;
}

/* What HTTP/1.1 requires of a request head that libmicrohttpd lets through:
 * a Host, one Content-Length, no transfer coding but chunked, never both
 * framings (RFC 9112 §6.1: a request framed two ways is how a second
 * request is smuggled inside the first), and no NUL byte in a header. A
 * refusal of the framing closes the connection: what follows on it cannot
 * be told apart from a body. */
static bool head_ok(struct req *rq, const char *version)
{
	struct head_scan h = {.conn = rq->conn};
	MHD_get_connection_values_n(rq->conn, MHD_HEADER_KIND, scan_header, &h);
	if (h.nul_in[0]) {
		rq->close = true;
		reply_error(rq, LT_EINVAL, "the header %s holds a NUL byte", h.nul_in);
		return false;
	}
	if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && !req_header(rq, MHD_HTTP_HEADER_HOST)) {
		reply_error(rq, LT_EINVAL, "an HTTP/1.1 request needs a Host header");
		return false;
	}
	if (h.lengths > 1) {
		rq->close = true;
		reply_error(rq, LT_EINVAL, "the request has more than one Content-Length");
		return false;
	}
	/* The library reads the first Transfer-Encoding; the last coding of
	 * them all is what frames the body (RFC 9112 §6.3). */
	if (h.codings > 1) {
		rq->close = true;
		reply_error(rq, LT_EINVAL, "the request has more than one Transfer-Encoding header: send one, chunked");
		return false;
	}
	const char *te = req_header(rq, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (te && h.lengths) {
		rq->close = true;
		reply_error(rq, LT_EINVAL, "the request has both Content-Length and Transfer-Encoding: send one");
		return false;
	}
	if (te && strcasecmp(te, "chunked") != 0) {
		rq->close = true;
		reply_error(rq, LT_EINVAL, "Transfer-Encoding %.40s is not supported: send chunked or a Content-Length",
			    te);
		rq->status = MHD_HTTP_NOT_IMPLEMENTED;
		return false;
	}
	return true;
}

/* An SDK whose endpoint is configured with a trailing slash ("…/vxp/")
 * calls "/vxp//op": that empty segment, and no other, is dropped, so the
 * strict matching of every other path stays as it is. */
static void vxp_endpoint_slash(char *path)
{
	if (strncmp(path, "/vxp//", 6) == 0 && path[6] != '/' && path[6] != '\0')
		memmove(path + 4, path + 5, strlen(path + 5) + 1);
}

/* Everything that can be decided from the request head. Returns false with
 * a reply set when the request ends here. */
static bool prepare(struct req *rq, const char *version)
{
	struct lt_err err = {0};
	if (!head_ok(rq, version))
		return false;
	if (!rq->raw_uri || uri_parse(rq->raw_uri, &rq->uri, &err)) {
		reply_err(rq, &err);
		return false;
	}
	/* A credential in the URL is refused, whatever the path: proxies,
	 * logs and histories along the way keep URLs. */
	for (size_t i = 0; i < rq->uri.n_query; i++)
		if (uri_secret_name(rq->uri.query[i].key) || uri_secret_value(rq->uri.query[i].key) ||
		    uri_secret_value(rq->uri.query[i].val)) {
			reply_error(
				rq, LT_EAUTH,
				"a credential in the URL (query parameter '%.40s') is refused: send the token in the "
				"Authorization header, and revoke this one, which the URL may have left in logs",
				uri_secret_value(rq->uri.query[i].key) ? "[redacted]" : rq->uri.query[i].key);
			return false;
		}
	vxp_endpoint_slash(rq->uri.path);
	if (!route_find(rq, rq->allow, sizeof rq->allow))
		return false;
	rq->body_limit = body_limit(rq->srv, rq->route->body);
	/* sendEdoc's body is the package plus the SDK's CRLF; the messages
	 * state the configured limit. */
	rq->body_allowance = rq->route->body == BODY_STREAM ? 2 : 0;
	const char *cl = req_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		/* A plain decimal number: strtoull alone would take "+5" or " 5". */
		if (!*cl || cl[strspn(cl, "0123456789")]) {
			rq->close = true;
			reply_error(rq, LT_EINVAL, "Content-Length '%.30s' is not a plain decimal number", cl);
			return false;
		}
		errno = 0;
		unsigned long long n = strtoull(cl, NULL, 10);
		if (errno == ERANGE)
			n = ULLONG_MAX;
		if (n > rq->body_limit + rq->body_allowance) {
			if (rq->body_limit)
				reply_error(rq, LT_ETOOBIG, "the body is %llu bytes; %s %s takes at most %zu", n,
					    rq->method, rq->route->pattern, rq->body_limit);
			else
				reply_error(rq, LT_ETOOBIG, "%s %s takes no body", rq->method, rq->route->pattern);
			return false;
		}
	}
	return auth_identify(rq);
}

static void reply_too_big(struct req *rq)
{
	reply_error(rq, LT_ETOOBIG, "the body is over the %zu bytes %s %s takes", rq->body_limit, rq->method,
		    rq->route->pattern);
}

static bool send_all(int fd, const char *p, size_t n)
{
	int waits = 0;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && waits++ < 10) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			poll(&pf, 1, 50);
		} else {
			return false;
		}
	}
	return true;
}

/* Writes rq's reply (a refusal already set) straight on the socket and
 * shuts the sending side: for the moments libmicrohttpd takes no reply from
 * us (the daemon speaks plain HTTP, never TLS). Whatever libmicrohttpd
 * then tries to send fails, and it closes the connection. */
static bool reply_on_socket(struct req *rq)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	bool vxp = vxp_refusal(rq);
	if (vxp)
		h_vxp_envelope(rq);
	char fallback[192], head[768];
	size_t n;
	bool owned;
	char *body = json_text(rq, vxp, fallback, sizeof fallback, &n, &owned);
	if (!body)
		return false;
	const char *phrase = MHD_get_reason_phrase_for((unsigned)rq->status);
	int hn = snprintf(head, sizeof head,
			  "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n"
			  "Content-Length: %zu\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: " CSP
			  "\r\nReferrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n\r\n",
			  rq->status, phrase ? phrase : "", n);
	bool sent = hn > 0 && (size_t)hn < sizeof head && send_all(ci->connect_fd, head, (size_t)hn) &&
		    (strcmp(rq->method, "HEAD") == 0 || send_all(ci->connect_fd, body, n));
	if (owned)
		free(body);
	if (!sent)
		return false;
	shutdown(ci->connect_fd, SHUT_WR); /* the reply is complete: the client sees its end */
	rq->sent_bytes = n;
	return true;
}

/* libmicrohttpd (0.9.x) takes a reply only before the body or after all of
 * it: MHD_queue_response refuses one while the body is being read. So the
 * 413 of a body that keeps coming is written straight on the socket, and
 * the connection is closed after a short drain, not at once, so that the
 * client reads the reply before the close resets the connection. */
static bool answer_early(struct req *rq)
{
	reply_too_big(rq);
	if (!reply_on_socket(rq))
		return false;
	rq->answered_early = true;
	rq->early_at = rq->body_len;
	rq->early_ns = now_ns();
	return true;
}

/* A body past its limit: dropped, and answered 413 when it ends, unless it
 * keeps coming well beyond the limit. */
static enum MHD_Result over_limit(struct req *rq)
{
	rq->body_too_big = true;
	if (rq->answered_early)
		return rq->body_len - rq->early_at > DRAIN_BYTES || now_ns() - rq->early_ns > DRAIN_NS ? MHD_NO
												       : MHD_YES;
	size_t grace = rq->route->body == BODY_STREAM ? 65536 : rq->body_limit * 3 + 65536;
	if (rq->body_len <= rq->body_limit + rq->body_allowance + grace)
		return MHD_YES;
	return answer_early(rq) ? MHD_YES : MHD_NO;
}

static void run(struct req *rq)
{
	if (rq->body_too_big) {
		reply_too_big(rq);
		return;
	}
	rq->route->fn(rq);
	if (rq->suspended)
		return;
	if (!rq->status)
		reply_error(rq, LT_EIO, "internal error: the handler gave no reply");
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			     const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)url;
	struct req *rq = *con_cls;
	if (!rq)
		return MHD_NO;
	if (!rq->started) {
		rq->started = true;
		rq->conn = conn;
		head_end(rq);
		watchdog_head_done(conn);
		snprintf(rq->method, sizeof rq->method, "%s", method);
		if (!prepare(rq, version))
			return queue(rq);
		if (rq->route->body == BODY_STREAM && !rq->route->stream_begin(rq))
			return queue(rq);
		return MHD_YES;
	}
	if (*upload_data_size && rq->route->body == BODY_STREAM) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		rq->body_len += n;
		if (rq->body_too_big || rq->body_len > rq->body_limit + rq->body_allowance)
			return over_limit(rq);
		rq->route->stream_data(rq, upload_data, n);
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (rq->body_too_big || rq->body_len + n > rq->body_limit) {
			/* Chunked bodies have no length up front. */
			rq->body_len += n;
			return over_limit(rq);
		}
		if (rq->body_len + n + 1 > rq->body_cap) {
			size_t cap = rq->body_cap ? rq->body_cap : 4096;
			while (cap < rq->body_len + n + 1)
				cap *= 2;
			char *nb = realloc(rq->body, cap);
			if (!nb)
				return MHD_NO;
			rq->body = nb;
			rq->body_cap = cap;
		}
		memcpy(rq->body + rq->body_len, upload_data, n);
		rq->body_len += n;
		rq->body[rq->body_len] = '\0';
		return MHD_YES;
	}
	if (rq->answered_early)
		return MHD_NO; /* its reply is out: close */
	if (rq->status)
		return MHD_YES; /* already answered */
	run(rq);
	if (rq->suspended) {
		rq->suspended = false; /* resumed, the handler runs again */
		return MHD_YES;
	}
	return queue(rq);
}

/* Whatever the core logs while it serves this request names it. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct req *rq = *con_cls;
	lt_log_request(rq ? rq->call.request_id : NULL);
	enum MHD_Result r = serve(cls, conn, url, method, version, upload_data, upload_data_size, con_cls);
	lt_log_request(NULL);
	return r;
}

void access_log_write(struct server *srv, struct req *rq)
{
	if (!srv->access_log)
		return;
	char ts[32];
	lt_time_now(ts);
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "-";
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
				  sizeof addr);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
				  sizeof addr);
	}
	char uri[512];
	uri_redact(rq->raw_uri ? rq->raw_uri : "", uri, sizeof uri);
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:i,s:I,s:f,s:s,s:I,s:s}", "ts", ts, "remote", addr, "method",
			      rq->method[0] ? rq->method : "-", "uri", uri, "route",
			      rq->route ? rq->route->pattern : NULL, "status", rq->status, "bytes",
			      (json_int_t)rq->sent_bytes, "ms", (double)((now_ns() - rq->t_start_ns) / 1000) / 1000.0,
			      "role", lt_role_name(rq->call.who.role), "token", (json_int_t)rq->call.who.token_id,
			      "request_id", rq->call.request_id);
	/* Invalid UTF-8 in a URI makes jansson refuse the line; log it escaped. */
	if (!o)
		o = json_pack("{s:s,s:s,s:s,s:i}", "ts", ts, "remote", addr, "uri", "(not UTF-8)", "status",
			      rq->status);
	/* ms is whole microseconds over 1000: at 15 significant digits it is
	 * written with at most three decimals (0.123, not 0.12300000000000001). */
	char *line = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(o);
	if (line) {
		alog_line(srv->access_log, line, strlen(line));
		free(line);
	}
}

/* libmicrohttpd judges Content-Length itself, before any callback sees the
 * head, and answers a value that is not a plain decimal number with its
 * own HTML page (0.9.75 even sends its status line twice). It logs why
 * first, on the thread serving the connection: when that thread has one
 * head open, the head is known, and our JSON refusal goes out on its
 * socket instead; the library's own reply then finds the socket shut and
 * the connection closes. When the head cannot be told (several open on
 * the thread), the library's reply stands: still a 400 and a close. */
static void library_refusal(const char *msg)
{
	static const char malformed[] = "Failed to parse `Content-Length' header";
	static const char too_large[] = "Too large value of 'Content-Length' header";
	bool bad = strncmp(msg, malformed, sizeof malformed - 1) == 0;
	if (!bad && strncmp(msg, too_large, sizeof too_large - 1) != 0)
		return;
	struct req *rq = atomic_load(&tl_heads.last);
	if (atomic_load(&tl_heads.open) != 1 || !rq || rq->status)
		return;
	rq->close = true;
	if (bad)
		reply_error(rq, LT_EINVAL, "Content-Length is not a plain decimal number");
	else
		reply_error(rq, LT_ETOOBIG, "Content-Length is too large a number");
	if (!reply_on_socket(rq))
		rq->status = 0; /* nothing went out: the library's reply is the one */
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	lt_log_debug("http: %s", msg);
	library_refusal(msg);
}

int server_listen_addr(const char *text, struct sockaddr_storage *ss, struct lt_err *err)
{
	memset(ss, 0, sizeof *ss);
	char host[128];
	const char *colon = strrchr(text, ':');
	if (!colon)
		return lt_err_set(err, LT_EINVAL, "listen '%s' needs a port: host:port", text);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535)
		return lt_err_set(err, LT_EINVAL, "listen '%s': the port must be a number from 0 to 65535", text);
	size_t hn = (size_t)(colon - text);
	if (hn >= sizeof host)
		return lt_err_set(err, LT_EINVAL, "listen '%s': host too long", text);
	memcpy(host, text, hn);
	host[hn] = '\0';
	if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
		host[hn - 1] = '\0';
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return lt_err_set(err, LT_EINVAL, "listen '%s': bad IPv6 address", text);
		return LT_OK;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if (!hn || strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return lt_err_set(err, LT_EINVAL, "listen '%s': give an IP address (or localhost)", text);
	return LT_OK;
}

static void *watchdog_loop(void *arg)
{
	struct server *srv = arg;
	int64_t limit = srv->cfg.connection_timeout * INT64_C(1000000000);
	while (!atomic_load(&srv->stopping)) {
		usleep(250000);
		watchdog_sweep(limit);
	}
	return NULL;
}

/* libmicrohttpd 0.9.75 races with itself when a thread-pool daemon on epoll
 * is quiesced: MHD_quiesce_daemon marks each worker quiesced and then takes
 * the listening socket out of its epoll set, while the worker, woken
 * meanwhile, takes it out too on seeing the mark; whichever comes second
 * gets ENOENT and panics ("Failed to remove listen FD from epoll set"),
 * aborting a clean stop. The socket is out of the set either way and the
 * code after the panic records just that, so while stopping that one panic
 * is logged and returned from. Any other panic aborts, as the library's
 * default does. The handler is process-wide, hence the flag. */
static atomic_bool mhd_stopping;

static void mhd_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
	(void)cls;
	if (atomic_load(&mhd_stopping) && reason && strstr(reason, "remove listen FD from epoll set")) {
		lt_log_warnx("libmicrohttpd while stopping (%s:%u): %s", file ? file : "?", line, reason);
		return;
	}
	lt_log_errorx("libmicrohttpd fatal error (%s:%u): %s", file ? file : "?", line, reason ? reason : "");
	abort();
}

int server_start(struct server *srv, struct lt_err *err)
{
	MHD_set_panic_func(mhd_panic, NULL);
	atomic_store(&mhd_stopping, false);
	struct sockaddr_storage ss;
	if (server_listen_addr(srv->cfg.listen, &ss, err))
		return err->status;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->cfg.threads,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned)srv->cfg.max_connections,
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)srv->cfg.max_connections_per_ip,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->cfg.connection_timeout,
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
				    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
				    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
				    watchdog_notify, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, MHD_OPTION_END);
	if (!srv->mhd)
		return lt_err_set(err, LT_EIO, "cannot listen on %s (in use, or not an address of this machine?)",
				  srv->cfg.listen);
	srv->watchdog_running = pthread_create(&srv->watchdog, NULL, watchdog_loop, srv) == 0;
	return LT_OK;
}

int server_port(struct server *srv)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : 0;
}

void server_stop(struct server *srv, int grace_seconds)
{
	if (!srv->mhd)
		return;
	atomic_store(&srv->stopping, true);
	if (srv->watchdog_running)
		pthread_join(srv->watchdog, NULL);
	/* Long polls answer now rather than hold the stop for their wait. */
	longpoll_stop(srv->longpoll);
	atomic_store(&mhd_stopping, true);
	MHD_socket fd = MHD_quiesce_daemon(srv->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	/* In-flight requests finish; idle keep-alive connections are closed. */
	for (int i = 0; i < grace_seconds * 100 && atomic_load(&srv->active) > 0; i++)
		usleep(10000);
	/* A request suspended for a commit is closed by the stop below: its
	 * commit must be over first, or the hub would call back into a freed
	 * request. The commit thread runs until the hub closes, after this. */
	while (atomic_load(&srv->commits_waited) > 0)
		usleep(10000);
	MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
}
