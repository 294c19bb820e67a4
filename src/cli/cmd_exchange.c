/* lienthong send|inbox|fetch|ack|trace: the exchange hub driven by hand over
 * the daemon's HTTP API (design.md §5, §7.2), with a connected system's
 * bearer token. The daemon does the work; these commands stream the bytes
 * and print the replies, as lines or, with --json, as the daemon sent them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "http.h"
#include "lienthong/edxml.h"
#include "lienthong/exchange.h"

#define USAGE_SEND "send FILE|- [--json] " CLI_HTTP_USAGE
#define USAGE_INBOX "inbox [--kind edoc|status] [--limit N] [--cursor C] [--wait S] [--all] [--json] " CLI_HTTP_USAGE
#define USAGE_FETCH "fetch ID [-o FILE] [--json] " CLI_HTTP_USAGE
#define USAGE_ACK "ack ID --state done|fail|processing [--json] " CLI_HTTP_USAGE
#define USAGE_TRACE "trace ID [--json] " CLI_HTTP_USAGE

/* JSON calls get a minute by default; package transfers have no overall
 * limit (a stall still ends them), since a large one may take a while. */
#define JSON_TIMEOUT 60L

static const char *str(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : dflt;
}

/* ---- send ---- */

static void print_recipient_line(json_t *r)
{
	const char *reason = str(r, "reason", NULL);
	printf("  %-15s -> %-15s %s", str(r, "code", "?"), str(r, "routed_to", "-"), str(r, "state", "?"));
	if (json_is_integer(json_object_get(r, "system")))
		printf(" (system %lld)", (long long)json_integer_value(json_object_get(r, "system")));
	if (reason)
		printf("  (%s)", reason);
	printf("\n");
}

int cmd_send(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	struct cli_http_opts ho = {.timeout = -1};
	const char *file = NULL;
	cli_args_init(&a, cli, argc, argv, "send", USAGE_SEND);
	while (cli_next(&a))
		if (!cli_http_opt(&a, &ho))
			cli_one_positional(&a, &file);
	if (a.stop)
		return a.rc;
	if (!file)
		return cli_missing(&a, "give the edXML package to send (a file, or - for standard input)");

	struct cli_http *h;
	int rc = cli_http_open(&h, cli, &a, &ho, 0);
	if (rc)
		return rc;
	bool is_stdin = strcmp(file, "-") == 0;
	const char *name = is_stdin ? "standard input" : file;
	FILE *f = is_stdin ? stdin : fopen(file, "rb");
	struct stat sb;
	if (!f || fstat(fileno(f), &sb) != 0) {
		fprintf(stderr, "lienthong: cannot open %s: %s\n", name, strerror(errno));
		if (f && !is_stdin)
			fclose(f);
		cli_http_close(h);
		return EXIT_IO;
	}
	if (S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "lienthong: cannot send %s: it is a directory\n", name);
		if (!is_stdin)
			fclose(f);
		cli_http_close(h);
		return EXIT_IO;
	}
	/* A regular file has a length to announce; a pipe is sent chunked. */
	int64_t size = S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1;
	json_t *reply = NULL;
	rc = cli_http_upload(h, "/v1/documents", f, size, name, &reply);
	if (!is_stdin)
		fclose(f);
	cli_http_close(h);
	if (rc)
		return rc;
	if (cli->json)
		return cli_print_json(reply);
	printf("id: %s\n", str(reply, "id", "?"));
	printf("kind: %s\n", str(reply, "kind", "?"));
	const char *docid = str(reply, "document_id", NULL);
	if (docid)
		printf("document_id: %s\n", docid);
	printf("sha256: %s\n", str(reply, "sha256", "?"));
	json_t *recipients = json_object_get(reply, "recipients");
	if (json_array_size(recipients)) {
		printf("recipients:\n");
		size_t i;
		json_t *r;
		json_array_foreach(recipients, i, r) print_recipient_line(r);
	}
	json_decref(reply);
	return cli_flush();
}

/* ---- inbox ---- */

static void print_inbox_item(json_t *it)
{
	const char *to = str(it, "to", "?"), *routed = str(it, "routed_to", NULL);
	char dest[64];
	if (routed && strcmp(routed, to) != 0)
		snprintf(dest, sizeof dest, "%s (for %s)", routed, to);
	else
		snprintf(dest, sizeof dest, "%s", to);
	printf("%s  %-6s %-15s -> %-31s %-10s %10lld  %s", str(it, "id", "?"), str(it, "kind", "?"),
	       str(it, "from", "?"), dest, str(it, "state", "?"),
	       (long long)json_integer_value(json_object_get(it, "size")), str(it, "received", "?"));
	const char *code = str(it, "status_code", NULL);
	if (code) {
		const char *name = lt_edxml_status_name(code);
		printf("  status %s%s%s", code, name ? " " : "", name ? name : "");
		const char *about = str(it, "refers_to", NULL);
		if (about)
			printf(" about %s", about);
	} else {
		const char *docid = str(it, "document_id", NULL), *subject = str(it, "subject", NULL);
		if (docid)
			printf("  %s", docid);
		if (subject)
			printf("  %s", subject);
	}
	printf("\n");
}

int cmd_inbox(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	struct cli_http_opts ho = {.timeout = -1};
	const char *kind = NULL, *cursor = NULL;
	long long limit = 0, wait = 0;
	bool all = false;
	cli_args_init(&a, cli, argc, argv, "inbox", USAGE_INBOX);
	while (cli_next(&a)) {
		if (cli_flag(&a, "--all"))
			all = true;
		else if (!cli_opt(&a, "--kind", &kind) && !cli_opt_int(&a, "--limit", 1, 500, &limit) &&
			 !cli_opt(&a, "--cursor", &cursor) && !cli_opt_int(&a, "--wait", 0, 60, &wait) &&
			 !cli_http_opt(&a, &ho))
			cli_unknown(&a);
	}
	if (a.stop)
		return a.rc;
	if (kind && strcmp(kind, "edoc") != 0 && strcmp(kind, "status") != 0)
		return cli_missing(&a, "--kind is edoc or status");
	if (cursor && (!*cursor || strspn(cursor, "0123456789") != strlen(cursor)))
		return cli_missing(&a, "--cursor is the next_cursor of the previous page (a number)");

	struct cli_http *h;
	/* A long poll must not time out before the daemon answers it. */
	int rc = cli_http_open(&h, cli, &a, &ho, wait ? wait + JSON_TIMEOUT : JSON_TIMEOUT);
	if (rc)
		return rc;
	json_t *items = json_array(); /* every page, for --all --json */
	json_t *next = json_null();
	char after[32] = "";
	if (cursor)
		snprintf(after, sizeof after, "%s", cursor);
	for (;;) {
		char path[256];
		int n = snprintf(path, sizeof path, "/v1/inbox?");
		if (kind)
			n += snprintf(path + n, sizeof path - (size_t)n, "kind=%s&", kind);
		if (limit)
			n += snprintf(path + n, sizeof path - (size_t)n, "limit=%lld&", limit);
		if (after[0])
			n += snprintf(path + n, sizeof path - (size_t)n, "cursor=%s&", after);
		if (wait && !after[0]) /* only an empty first page waits */
			n += snprintf(path + n, sizeof path - (size_t)n, "wait=%lld&", wait);
		path[n - 1] = '\0'; /* the last '&' or the '?' */
		json_t *page = NULL;
		if ((rc = cli_http_json(h, "GET", path, NULL, &page)))
			break;
		json_t *got = json_object_get(page, "items");
		json_decref(next);
		next = json_incref(json_object_get(page, "next_cursor"));
		if (!next)
			next = json_null();
		if (!all && cli->json) {
			json_decref(items);
			items = NULL;
			rc = cli_print_json(page);
			break;
		}
		size_t i;
		json_t *it;
		json_array_foreach(got, i, it)
		{
			if (cli->json)
				json_array_append(items, it);
			else
				print_inbox_item(it);
		}
		size_t count = json_array_size(got);
		json_decref(page);
		if (!all || !count || json_is_null(next))
			break;
		char prev[32];
		memcpy(prev, after, sizeof prev);
		if (json_is_integer(next))
			snprintf(after, sizeof after, "%lld", (long long)json_integer_value(next));
		if (!json_is_integer(next) || strcmp(prev, after) == 0) {
			/* Not a cursor we can pass on, or one that would page forever. */
			fprintf(stderr, "lienthong: the daemon's next_cursor does not move on; stopping\n");
			rc = EXIT_IO;
			break;
		}
	}
	cli_http_close(h);
	if (rc || !items) {
		json_decref(items);
		json_decref(next);
		return rc;
	}
	if (cli->json) {
		/* --all: every page as one, with nothing left to follow. */
		json_decref(next);
		return cli_print_json(json_pack("{s:o,s:n}", "items", items, "next_cursor"));
	}
	json_decref(items);
	rc = cli_flush(); /* the lines before the hint, in a shared terminal or log */
	if (rc == EXIT_OK && !all && json_is_integer(next)) {
		fprintf(stderr, "(more: lienthong inbox --cursor %lld, or --all)\n",
			(long long)json_integer_value(next));
	}
	json_decref(next);
	return rc;
}

/* ---- fetch ---- */

/* Downloads into a temporary file beside path, renamed into place only
 * when every byte arrived: a failed fetch leaves nothing behind. */
static int fetch_to_file(struct cli_http *h, const char *url_path, const char *path, uint64_t *bytes, char sha[65])
{
	struct cli_file f;
	int rc = cli_file_begin(&f, path);
	if (rc)
		return rc;
	return cli_file_end(&f, cli_http_download(h, url_path, f.out, path, bytes, sha));
}

int cmd_fetch(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	struct cli_http_opts ho = {.timeout = -1};
	const char *id_text = NULL, *out = NULL;
	cli_args_init(&a, cli, argc, argv, "fetch", USAGE_FETCH);
	while (cli_next(&a))
		if (!cli_opt(&a, "-o", &out) && !cli_opt(&a, "--output", &out) && !cli_http_opt(&a, &ho))
			cli_one_positional(&a, &id_text);
	if (a.stop)
		return a.rc;
	char id[33];
	int rc = cli_doc_id(&a, id_text, id);
	if (rc)
		return rc;
	if (out && !*out)
		return cli_missing(&a, "-o needs a file name");
	bool to_file = out && strcmp(out, "-") != 0;
	struct cli_http *h;
	if ((rc = cli_http_open(&h, cli, &a, &ho, 0)))
		return rc;
	char path[64];
	snprintf(path, sizeof path, "/v1/documents/%s", id);
	uint64_t bytes = 0;
	char sha[65];
	if (to_file)
		rc = fetch_to_file(h, path, out, &bytes, sha);
	else if ((rc = cli_http_download(h, path, stdout, "standard output", &bytes, sha)) == EXIT_OK)
		rc = cli_flush();
	cli_http_close(h);
	if (rc || !to_file)
		return rc;
	/* The bytes went to a file, so standard output can say what arrived. */
	if (cli->json)
		return cli_print_json(json_pack("{s:s,s:s,s:I,s:s}", "id", id, "file", out, "size", (json_int_t)bytes,
						"sha256", sha));
	printf("%s: %llu bytes, sha256 %s\n", out, (unsigned long long)bytes, sha);
	return cli_flush();
}

/* ---- ack ---- */

int cmd_ack(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	struct cli_http_opts ho = {.timeout = -1};
	const char *id_text = NULL, *state = NULL;
	cli_args_init(&a, cli, argc, argv, "ack", USAGE_ACK);
	while (cli_next(&a))
		if (!cli_opt(&a, "--state", &state) && !cli_http_opt(&a, &ho))
			cli_one_positional(&a, &id_text);
	if (a.stop)
		return a.rc;
	char id[33];
	int rc = cli_doc_id(&a, id_text, id);
	if (rc)
		return rc;
	if (!state)
		return cli_missing(&a, "give --state done, fail or processing");
	enum lt_delivery_state to;
	if (lt_delivery_state_parse(state, &to, NULL) != LT_OK || !lt_delivery_ack_state(to))
		return cli_missing(&a, "--state is done, fail or processing");
	struct cli_http *h;
	if ((rc = cli_http_open(&h, cli, &a, &ho, JSON_TIMEOUT)))
		return rc;
	char path[80];
	snprintf(path, sizeof path, "/v1/documents/%s/ack", id);
	json_t *body = json_pack("{s:s}", "state", state), *reply = NULL;
	rc = body ? cli_http_json(h, "POST", path, body, &reply)
		  : (fputs("lienthong: out of memory\n", stderr), EXIT_IO);
	json_decref(body);
	cli_http_close(h);
	if (rc)
		return rc;
	if (cli->json)
		return cli_print_json(reply);
	long long n = (long long)json_integer_value(json_object_get(reply, "deliveries"));
	printf("%s: %s (%lld deliver%s)\n", str(reply, "id", id), str(reply, "state", state), n, n == 1 ? "y" : "ies");
	json_decref(reply);
	return cli_flush();
}

/* ---- trace ---- */

/* "<received>  status 01 arrived from CODE (dated <at>) "description"" */
static void print_status_line(const char *indent, json_t *s)
{
	const char *code = str(s, "code", "?");
	const char *name = str(s, "name", lt_edxml_status_name(code));
	printf("%s%-20s  status %s %s from %s", indent, str(s, "received", str(s, "at", "?")), code,
	       name ? name : "(unknown)", str(s, "from", "?"));
	const char *at = str(s, "at", NULL);
	if (at)
		printf(" (dated %s)", at);
	const char *desc = str(s, "description", NULL);
	if (desc)
		printf("  \"%s\"", desc);
	printf("\n");
}

/* One recipient's timeline: its transport states and the business statuses
 * it answered, merged in the order the hub saw them (a status's own
 * timestamp is the producer's clock, so it is shown but not sorted on). */
static void print_timeline(json_t *transport, json_t *statuses)
{
	size_t i = 0, k = 0, nt = json_array_size(transport), ns = json_array_size(statuses);
	while (i < nt || k < ns) {
		json_t *e = json_array_get(transport, i), *s = json_array_get(statuses, k);
		if (e && (!s || strcmp(str(e, "at", ""), str(s, "received", str(s, "at", ""))) <= 0)) {
			printf("    %-20s  transport %s\n", str(e, "at", "?"), str(e, "state", "?"));
			i++;
		} else {
			print_status_line("    ", s);
			k++;
		}
	}
}

static void print_trace(json_t *t)
{
	printf("id: %s\n", str(t, "id", "?"));
	printf("kind: %s\n", str(t, "kind", "?"));
	const char *docid = str(t, "document_id", NULL), *subject = str(t, "subject", NULL);
	if (docid)
		printf("document_id: %s\n", docid);
	printf("from: %s\n", str(t, "from", "?"));
	if (subject)
		printf("subject: %s\n", subject);
	printf("received: %s\n", str(t, "received", "?"));
	printf("size: %lld bytes%s\n", (long long)json_integer_value(json_object_get(t, "size")),
	       json_is_true(json_object_get(t, "body_removed")) ? " (body removed after the retention period)" : "");
	printf("sha256: %s\n", str(t, "sha256", "?"));
	json_t *biz = json_object_get(t, "business");
	if (biz)
		printf("business: %s of %s\n", str(biz, "type", "?"), str(biz, "refers_to", "?"));
	json_t *st = json_object_get(t, "status");
	if (st) {
		const char *code = str(st, "code", "?");
		const char *name = lt_edxml_status_name(code);
		printf("status: %s%s%s about %s\n", code, name ? " " : "", name ? name : "", str(st, "refers_to", "?"));
	}
	json_t *sig = json_object_get(t, "signature");
	if (sig) {
		if (json_is_true(json_object_get(sig, "trusted")))
			printf("signature: trusted, signed by %s\n", str(sig, "signer", "?"));
		else
			printf("signature: not trusted: %s\n", str(sig, "reason", "?"));
	}
	size_t i, k;
	json_t *r, *e;
	json_array_foreach(json_object_get(t, "recipients"), i, r)
	{
		const char *code = str(r, "code", "?"), *routed = str(r, "routed_to", NULL);
		printf("recipient %s", code);
		if (routed && strcmp(routed, code) != 0)
			printf(" -> routed to %s", routed);
		else if (!routed)
			printf(" -> not routed");
		printf(": %s", str(r, "state", "?"));
		const char *reason = str(r, "reason", NULL);
		if (reason)
			printf(" (%s)", reason);
		printf("\n");
		json_t *sys = json_object_get(r, "system");
		if (json_is_object(sys))
			printf("    received by system %lld %s\n",
			       (long long)json_integer_value(json_object_get(sys, "id")), str(sys, "name", ""));
		print_timeline(json_object_get(r, "transport"), json_object_get(r, "statuses"));
	}
	json_t *own = json_object_get(t, "sender_statuses");
	if (json_array_size(own)) {
		printf("sender statuses:\n");
		json_array_foreach(own, k, e) print_status_line("    ", e);
	}
}

int cmd_trace(struct cli *cli, int argc, char **argv)
{
	struct cli_args a;
	struct cli_http_opts ho = {.timeout = -1};
	const char *id_text = NULL;
	cli_args_init(&a, cli, argc, argv, "trace", USAGE_TRACE);
	while (cli_next(&a))
		if (!cli_http_opt(&a, &ho))
			cli_one_positional(&a, &id_text);
	if (a.stop)
		return a.rc;
	char id[33];
	int rc = cli_doc_id(&a, id_text, id);
	if (rc)
		return rc;
	struct cli_http *h;
	if ((rc = cli_http_open(&h, cli, &a, &ho, JSON_TIMEOUT)))
		return rc;
	char path[80];
	snprintf(path, sizeof path, "/v1/documents/%s/trace", id);
	json_t *reply = NULL;
	rc = cli_http_json(h, "GET", path, NULL, &reply);
	cli_http_close(h);
	if (rc)
		return rc;
	if (cli->json)
		return cli_print_json(reply);
	print_trace(reply);
	json_decref(reply);
	return cli_flush();
}
