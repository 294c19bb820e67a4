/* lienthong catch-up URL: copies the events this registry lacks from the
 * change feed (GET /v1/changes) of a registry that read them, page by page,
 * each page one transaction (docs/operations.md). The feed may be public, so
 * the token is optional, unlike the exchange commands' (http.c). */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "lienthong/ops.h"

#define USAGE "catch-up URL [--token TOKEN] [--timeout SECONDS]"
#define PAGE 500
#define REPLY_MAX ((size_t)256 << 20)

struct buf {
	char *p;
	size_t n;
	bool overflow;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	if (b->n + n > REPLY_MAX) {
		b->overflow = true;
		return 0;
	}
	char *p = realloc(b->p, b->n + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->n, data, n);
	b->p = p;
	b->n += n;
	p[b->n] = '\0';
	return n;
}

/* One page of the feed after seq; *reply owned by the caller. */
static int get_page(CURL *curl, const char *base, struct curl_slist *hdrs, long timeout, int64_t after, json_t **reply)
{
	char url[2300];
	snprintf(url, sizeof url, "%s/v1/changes?after=%lld&limit=%d", base, (long long)after, PAGE);
	struct buf b = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode cc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	int rc = EXIT_OK;
	if (cc != CURLE_OK) {
		fprintf(stderr, "lienthong: catch-up: %s: %s\n", url,
			b.overflow  ? "the reply is too large for a page of the change feed"
			: errbuf[0] ? errbuf
				    : curl_easy_strerror(cc));
		rc = EXIT_IO;
	} else if (status != 200) {
		json_t *e = b.p ? json_loads(b.p, 0, NULL) : NULL;
		const char *msg = json_string_value(json_object_get(json_object_get(e, "error"), "message"));
		fprintf(stderr, "lienthong: catch-up: %s answered HTTP %ld%s%s\n", url, status, msg ? ": " : "",
			msg ? msg : "");
		json_decref(e);
		rc = status >= 500 ? EXIT_IO : EXIT_REFUSED;
	} else if (!(*reply = b.p ? json_loads(b.p, 0, NULL) : NULL) ||
		   !json_is_array(json_object_get(*reply, "items"))) {
		fprintf(stderr, "lienthong: catch-up: %s: the reply is not a page of the change feed\n", url);
		json_decref(*reply);
		*reply = NULL;
		rc = EXIT_IO;
	}
	free(b.p);
	return rc;
}

static int status_line(struct cli *cli, const char *url, int64_t applied, int64_t mark, int64_t last, int64_t mirror)
{
	bool behind = mark > last;
	if (cli->json)
		return cli_print_json(json_pack("{s:s,s:I,s:I,s:I,s:o,s:b}", "url", url, "applied", (json_int_t)applied,
						"last_seq", (json_int_t)last, "mirror_last_seq", (json_int_t)mirror,
						"journal_seq", mark < 0 ? json_null() : json_integer(mark), "behind",
						behind));
	printf("caught up from %s: %lld events applied, the change feed is at seq %lld\n", url, (long long)applied,
	       (long long)last);
	if (mirror < last)
		printf("the mirror's feed ends at seq %lld, before this registry's: it has nothing this registry "
		       "lacks\n",
		       (long long)mirror);
	if (mark < 0)
		printf("no issue journal is kept (issue_journal): nothing tells how far this registry had gone\n");
	else if (behind)
		printf("still behind the issue journal, which records seq %lld: changes stay refused until a mirror "
		       "that has those events is caught up from\n",
		       (long long)mark);
	else
		printf("the issue journal records seq %lld: changes are taken again\n", (long long)mark);
	return cli_flush();
}

static int run(struct cli *cli, struct lt_registry *r, CURL *curl, const char *base, struct curl_slist *hdrs,
	       long timeout, int64_t *applied)
{
	struct lt_err err = {0};
	for (;;) {
		int64_t mark, last;
		if (lt_registry_journal_status(r, &mark, &last, &err))
			return cli_fail(&err);
		/* From the last event held, so the feed is checked to be this
		 * registry's own before anything is copied from it. */
		json_t *page = NULL;
		int rc = get_page(curl, base, hdrs, timeout, last > 0 ? last - 1 : 0, &page);
		if (rc)
			return rc;
		json_t *items = json_object_get(page, "items");
		int64_t n = 0, mirror = json_integer_value(json_object_get(page, "last_seq"));
		rc = lt_registry_catch_up(r, cli_ctx(), items, &n, &err);
		json_decref(page);
		if (rc)
			return cli_fail(&err);
		*applied += n;
		if (n == 0)
			return status_line(cli, base, *applied, mark, last, mirror);
	}
}

int cmd_catch_up(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	const char *url = NULL, *token = NULL;
	long long timeout = 120;
	cli_args_init(&a, cli, argc, argv, "catch-up", USAGE);
	while (cli_next(&a))
		if (!cli_opt(&a, "--token", &token) && !cli_opt_int(&a, "--timeout", 1, 86400, &timeout))
			cli_one_positional(&a, &url);
	if (a.stop)
		return a.rc;
	if (!url)
		return cli_missing(&a, "give the URL of a mirror's API (its change feed is URL/v1/changes)");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return cli_usage("catch-up: '%s' is not an http:// or https:// URL", url);
	char base[2048];
	if (cli_copy(base, sizeof base, url, "the URL"))
		return EXIT_REFUSED;
	for (size_t n = strlen(base); n > 0 && base[n - 1] == '/';)
		base[--n] = '\0';
	if (!token || !*token)
		token = getenv("LIENTHONG_TOKEN");
	char auth[600] = "";
	if (token && *token) {
		for (const char *p = token; *p; p++)
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
				return cli_usage("catch-up: the token contains a space or a character that is not "
						 "printable ASCII");
		if (snprintf(auth, sizeof auth, "Authorization: Bearer %s", token) >= (int)sizeof auth)
			return cli_usage("catch-up: the token is too long to be one");
	}
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	CURL *curl = NULL;
	struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (hdrs && auth[0])
		hdrs = curl_slist_append(hdrs, auth);
	if (!hdrs || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(curl = curl_easy_init())) {
		fputs("lienthong: cannot initialise libcurl\n", stderr);
		rc = EXIT_IO;
	} else {
		int64_t applied = 0;
		rc = run(cli, r, curl, base, hdrs, (long)timeout, &applied);
		if (rc && applied)
			fprintf(stderr,
				"lienthong: catch-up: %lld events were applied before that (each page is whole)\n",
				(long long)applied);
	}
	if (curl)
		curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	curl_global_cleanup();
	lt_registry_close(r);
	return rc;
}
