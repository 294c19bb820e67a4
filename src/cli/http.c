/* The CLI's HTTP client (http.h): one libcurl handle, the base URL and the
 * bearer token, and the mapping of replies to exit codes. Uploads are read
 * from the file as libcurl sends them and downloads written as they arrive,
 * so a package of any size passes through in bounded memory. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "http.h"
#include "lienthong/version.h"

#define DEFAULT_URL "http://127.0.0.1:8080"
#define JSON_REPLY_MAX ((size_t)64 << 20) /* a reply larger than this is not one we asked for */
#define ERROR_BODY_MAX ((size_t)64 << 10) /* kept of an error reply; the rest is dropped */
#define CONNECT_TIMEOUT 10L               /* seconds */
#define STALL_SECONDS 120L                /* no byte moved for this long: give up */

struct cli_http {
	CURL *curl;
	const struct cli_args *a;
	char base[2048]; /* no trailing slash */
	char auth[600];  /* "Authorization: Bearer ..." */
	long timeout;    /* seconds, 0 = none */
	char errbuf[CURL_ERROR_SIZE];
};

bool cli_http_opt(struct cli_args *a, struct cli_http_opts *o)
{
	return cli_opt(a, "--url", &o->url) || cli_opt(a, "--token", &o->token) ||
	       cli_opt_int(a, "--timeout", 0, 86400, &o->timeout);
}

/* ---- opening: base URL and token ---- */

/* The URL the daemon's own listen address answers on: a wildcard host is
 * reached on the loopback address. */
static int url_from_listen(const char *listen, char *out, size_t size)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || !colon[1])
		return -1;
	size_t hn = (size_t)(colon - listen);
	char host[256];
	if (hn >= sizeof host)
		return -1;
	memcpy(host, listen, hn);
	host[hn] = '\0';
	const char *h = host;
	if (!hn || strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)
		h = "127.0.0.1";
	else if (strcmp(host, "[::]") == 0)
		h = "[::1]";
	int n = snprintf(out, size, "http://%s:%s", h, colon + 1);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

static int resolve_url(struct cli_http *h, struct cli *cli, const struct cli_http_opts *o)
{
	const char *url = o->url;
	const char *from = "--url";
	if (!url || !*url) {
		url = getenv("LIENTHONG_URL");
		from = "LIENTHONG_URL";
	}
	if (url && *url) {
		if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
			return cli_usage("%s '%s' is not an http:// or https:// URL", from, url);
		int n = snprintf(h->base, sizeof h->base, "%s", url);
		if (n < 0 || (size_t)n >= sizeof h->base)
			return cli_usage("%s is too long", from);
	} else if (!cli->cfg.listen[0] || url_from_listen(cli->cfg.listen, h->base, sizeof h->base) != 0) {
		snprintf(h->base, sizeof h->base, "%s", DEFAULT_URL);
	}
	for (const char *p = h->base; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return cli_usage("the daemon's URL '%s' contains a space or a control character", h->base);
	size_t n = strlen(h->base);
	while (n > 0 && h->base[n - 1] == '/')
		h->base[--n] = '\0';
	return EXIT_OK;
}

static int resolve_token(struct cli_http *h, const struct cli_args *a, const struct cli_http_opts *o)
{
	const char *tok = o->token;
	if (!tok || !*tok)
		tok = getenv("LIENTHONG_TOKEN");
	if (!tok || !*tok)
		return cli_missing(a, "no bearer token: give --token TOKEN or set LIENTHONG_TOKEN "
				      "(a system's token is printed once by 'lienthong system add')");
	size_t n = strlen(tok);
	/* The token goes into a header line: nothing that could end or split it. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)tok[i] <= ' ' || (unsigned char)tok[i] >= 0x7f)
			return cli_usage("%s: the token contains a space or a character that is not printable ASCII",
					 a->cmd);
	int w = snprintf(h->auth, sizeof h->auth, "Authorization: Bearer %s", tok);
	if (w < 0 || (size_t)w >= sizeof h->auth)
		return cli_usage("%s: the token is %zu characters long; that is no bearer token", a->cmd, n);
	return EXIT_OK;
}

int cli_http_open(struct cli_http **out, struct cli *cli, const struct cli_args *a, const struct cli_http_opts *o,
		  long default_timeout)
{
	*out = NULL;
	struct cli_http *h = calloc(1, sizeof *h);
	if (!h) {
		fputs("lienthong: out of memory\n", stderr);
		return EXIT_IO;
	}
	h->a = a;
	h->timeout = o->timeout >= 0 ? (long)o->timeout : default_timeout;
	int rc = resolve_url(h, cli, o);
	if (rc == EXIT_OK)
		rc = resolve_token(h, a, o);
	if (rc) {
		free(h);
		return rc;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h->curl = curl_easy_init())) {
		fputs("lienthong: cannot initialise libcurl\n", stderr);
		free(h);
		return EXIT_IO;
	}
	*out = h;
	return EXIT_OK;
}

void cli_http_close(struct cli_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_global_cleanup();
	free(h);
}

/* ---- one request ---- */

struct membuf {
	char *p;
	size_t n, cap, max;
	bool overflow;
};

static void membuf_add(struct membuf *m, const char *data, size_t n)
{
	if (m->n + n > m->max) {
		m->overflow = true;
		n = m->max > m->n ? m->max - m->n : 0;
	}
	if (!n)
		return;
	if (m->n + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->n + n + 1)
			cap *= 2;
		char *np = realloc(m->p, cap);
		if (!np) {
			m->overflow = true;
			return;
		}
		m->p = np;
		m->cap = cap;
	}
	memcpy(m->p + m->n, data, n);
	m->n += n;
	m->p[m->n] = '\0';
}

/* What one request reads from and writes to. */
struct xfer {
	struct cli_http *h;
	/* upload */
	FILE *in;
	const char *in_name;
	int in_errno;
	bool in_failed;
	/* download: the body of a 2xx reply goes to out, anything else to buf */
	FILE *out;
	const char *out_name;
	int out_errno;
	bool out_failed;
	uint64_t out_bytes;
	EVP_MD_CTX *sha;
	struct membuf buf;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t want = size * nmemb;
	size_t n = fread(dst, 1, want, x->in);
	if (n < want && ferror(x->in)) {
		x->in_errno = errno;
		x->in_failed = true;
		return CURL_READFUNC_ABORT;
	}
	return n;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(x->h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->out && status >= 200 && status < 300) {
		if (n && fwrite(data, 1, n, x->out) != n) {
			x->out_errno = errno;
			x->out_failed = true;
			return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
		}
		if (x->sha)
			EVP_DigestUpdate(x->sha, data, n);
		x->out_bytes += n;
		return n;
	}
	membuf_add(&x->buf, data, n);
	if (x->buf.overflow && status >= 200 && status < 300)
		return 0; /* a JSON reply we cannot hold: stop rather than guess */
	return n;
}

/* The message of an error reply {"error":{"code","message"}}, or NULL. */
static const char *error_message(json_t *reply)
{
	json_t *e = json_object_get(reply, "error");
	const char *m = json_string_value(json_object_get(e, "message"));
	return m && *m ? m : NULL;
}

/* Prints why a reply with an error status refused the request and returns
 * its exit code: 4xx is a refusal (1), 5xx or anything else a failure (3). */
static int report_status(struct cli_http *h, long status, const struct membuf *body)
{
	int rc = status >= 400 && status < 500 ? EXIT_REFUSED : EXIT_IO;
	json_t *reply = body->n ? json_loadb(body->p, body->n, 0, NULL) : NULL;
	const char *msg = error_message(reply);
	if (msg) {
		fprintf(stderr, "lienthong: %s\n", msg);
	} else {
		/* Not one of ours: a proxy in between, or not a lienthongd. */
		char snippet[201] = "";
		size_t k = 0;
		for (size_t i = 0; body->p && i < body->n && k < sizeof snippet - 1; i++)
			snippet[k++] = isprint((unsigned char)body->p[i]) ? body->p[i] : ' ';
		snippet[k] = '\0';
		fprintf(stderr, "lienthong: %s answered HTTP %ld%s%s\n", h->base, status, k ? ": " : "", snippet);
	}
	if (status == 401 && msg)
		fputs("lienthong: check --token or LIENTHONG_TOKEN\n", stderr);
	json_decref(reply);
	return rc;
}

/* Appends a header line; on failure frees the list and says so. */
static bool add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *t = curl_slist_append(*list, line);
	if (!t) {
		curl_slist_free_all(*list);
		*list = NULL;
		fputs("lienthong: out of memory\n", stderr);
		return false;
	}
	*list = t;
	return true;
}

/* Runs the request prepared on h->curl (URL, method, body) with x as its
 * reader and writer. On success with want_json, *reply is the parsed body. */
static int perform(struct cli_http *h, const char *path, struct curl_slist *extra, struct xfer *x, json_t **reply)
{
	CURL *c = h->curl;
	char url[4096];
	int n = snprintf(url, sizeof url, "%s%s", h->base, path);
	if (n < 0 || (size_t)n >= sizeof url) {
		fputs("lienthong: the request URL is too long\n", stderr);
		return EXIT_USAGE;
	}
	struct curl_slist *hdrs = extra;
	if (!add_header(&hdrs, h->auth) || !add_header(&hdrs, "Accept: application/json"))
		return EXIT_IO;
	char ua[64];
	snprintf(ua, sizeof ua, "lienthong/%s", LIENTHONG_VERSION);

	x->h = h;
	x->buf.max = x->out ? ERROR_BODY_MAX : JSON_REPLY_MAX;
	h->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	if (x->in) {
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
	}

	CURLcode res = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);

	int rc = EXIT_OK;
	if (x->in_failed) {
		fprintf(stderr, "lienthong: reading %s: %s\n", x->in_name, strerror(x->in_errno));
		rc = EXIT_IO;
	} else if (x->out_failed) {
		fprintf(stderr, "lienthong: writing %s: %s\n", x->out_name, strerror(x->out_errno));
		rc = EXIT_IO;
	} else if (status >= 400 && (res == CURLE_OK || x->buf.n)) {
		/* The server may refuse an upload before reading it all and close
		 * the connection: its reply still says why. */
		rc = report_status(h, status, &x->buf);
	} else if (res != CURLE_OK) {
		const char *why = h->errbuf[0] ? h->errbuf : curl_easy_strerror(res);
		if (res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST)
			fprintf(stderr,
				"lienthong: cannot reach the daemon at %s: %s (is lienthongd running? "
				"set --url or LIENTHONG_URL)\n",
				h->base, why);
		else if (res == CURLE_OPERATION_TIMEDOUT)
			fprintf(stderr, "lienthong: %s%s: timed out: %s\n", h->base, path, why);
		else if (res == CURLE_WRITE_ERROR && x->buf.overflow)
			fprintf(stderr, "lienthong: %s%s: the reply is larger than %zu bytes\n", h->base, path,
				JSON_REPLY_MAX);
		else
			fprintf(stderr, "lienthong: %s%s: %s\n", h->base, path, why);
		rc = EXIT_IO;
	} else if (status < 200 || status >= 300) {
		rc = report_status(h, status, &x->buf);
	} else if (reply) {
		json_error_t je;
		*reply = x->buf.n ? json_loadb(x->buf.p, x->buf.n, 0, &je) : NULL;
		if (!*reply) {
			fprintf(stderr, "lienthong: %s%s: the reply is not JSON%s%s\n", h->base, path,
				x->buf.n ? ": " : "", x->buf.n ? je.text : " (empty)");
			rc = EXIT_IO;
		}
	}
	free(x->buf.p);
	x->buf.p = NULL;
	return rc;
}

int cli_http_json(struct cli_http *h, const char *method, const char *path, const json_t *body, json_t **reply)
{
	*reply = NULL;
	CURL *c = h->curl;
	curl_easy_reset(c);
	char *text = NULL;
	struct curl_slist *extra = NULL;
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text) {
			fputs("lienthong: out of memory\n", stderr);
			return EXIT_IO;
		}
		if (!add_header(&extra, "Content-Type: application/json")) {
			free(text);
			return EXIT_IO;
		}
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
	}
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "POST") == 0 && body)
		curl_easy_setopt(c, CURLOPT_POST, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	struct xfer x = {0};
	int rc = perform(h, path, extra, &x, reply);
	free(text);
	return rc;
}

int cli_http_upload(struct cli_http *h, const char *path, FILE *f, int64_t size, const char *name, json_t **reply)
{
	*reply = NULL;
	CURL *c = h->curl;
	curl_easy_reset(c);
	/* Expect: 100-continue lets the daemon refuse (a bad token, a size over
	 * its limit) before a byte of the body is sent. */
	struct curl_slist *extra = NULL;
	if (!add_header(&extra, "Content-Type: application/xml") || !add_header(&extra, "Expect: 100-continue"))
		return EXIT_IO;
	/* A pipe: chunked, since the length is not known up front. */
	if (size < 0 && !add_header(&extra, "Transfer-Encoding: chunked"))
		return EXIT_IO;
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
	struct xfer x = {.in = f, .in_name = name};
	return perform(h, path, extra, &x, reply);
}

int cli_http_download(struct cli_http *h, const char *path, FILE *out, const char *out_name, uint64_t *bytes,
		      char sha256[65])
{
	*bytes = 0;
	sha256[0] = '\0';
	CURL *c = h->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	struct xfer x = {.out = out, .out_name = out_name, .sha = EVP_MD_CTX_new()};
	if (!x.sha || EVP_DigestInit_ex(x.sha, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(x.sha);
		fputs("lienthong: cannot start SHA-256\n", stderr);
		return EXIT_IO;
	}
	int rc = perform(h, path, NULL, &x, NULL);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (rc == EXIT_OK && EVP_DigestFinal_ex(x.sha, md, &mdlen) == 1 && mdlen == 32) {
		for (unsigned i = 0; i < 32; i++)
			snprintf(sha256 + 2 * i, 3, "%02x", md[i]);
	}
	EVP_MD_CTX_free(x.sha);
	*bytes = x.out_bytes;
	return rc;
}

int cli_doc_id(const struct cli_args *a, const char *text, char out[33])
{
	if (!text)
		return cli_missing(a, "give the document's hub ID (printed by 'lienthong send' and 'lienthong inbox')");
	size_t n = strlen(text);
	bool ok = n == 32;
	for (size_t i = 0; ok && i < n; i++)
		ok = isxdigit((unsigned char)text[i]) != 0;
	if (!ok) {
		fprintf(stderr,
			"lienthong: %s: '%.80s' is not a hub document ID (32 hex characters, as printed by "
			"'lienthong send' and 'lienthong inbox')\nusage: lienthong %s\n",
			a->cmd, text, a->usage);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)text[i]);
	out[n] = '\0';
	return EXIT_OK;
}
