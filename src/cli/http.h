/* A small HTTP client over libcurl for the CLI commands that drive a running
 * daemon (send, inbox, fetch, ack, trace). Bodies are streamed both ways:
 * an upload is read from its file as libcurl sends it, a download is written
 * as it arrives; only JSON replies and error bodies are kept in memory, and
 * those are capped.
 *
 * Every call returns an exit code of design.md §7.1 and has already printed
 * "lienthong: <message>" when it is not EXIT_OK: the server's own message for
 * an error reply (4xx → 1, 5xx → 3), or why the daemon could not be reached
 * (3). */
#ifndef LIENTHONG_CLI_HTTP_H
#define LIENTHONG_CLI_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cli.h"

/* The connection options every exchange command takes. */
struct cli_http_opts {
	const char *url;   /* --url; else LIENTHONG_URL; else from the config's listen */
	const char *token; /* --token; else LIENTHONG_TOKEN */
	long long timeout; /* --timeout SECONDS for the whole request; -1 = the command's default */
};

/* Matches --url, --token and --timeout in a parse loop (args.c style). */
bool cli_http_opt(struct cli_args *a, struct cli_http_opts *o);
#define CLI_HTTP_USAGE "[--url URL] [--token TOKEN] [--timeout SECONDS]"

struct cli_http;

/* Resolves the base URL and the token (a missing token is a usage error,
 * printed with the command's usage) and prepares libcurl. default_timeout
 * (seconds, 0 = none) applies unless --timeout was given. */
int cli_http_open(struct cli_http **out, struct cli *cli, const struct cli_args *a, const struct cli_http_opts *o,
		  long default_timeout);
void cli_http_close(struct cli_http *h);

/* method path → JSON reply. body (borrowed, may be NULL) is sent as
 * application/json. *reply (caller owns) is the parsed JSON of a 2xx reply. */
int cli_http_json(struct cli_http *h, const char *method, const char *path, const json_t *body, json_t **reply);

/* POST path with the bytes of f as the body (application/xml), read as they
 * are sent: size is the length when known, or -1 to send chunked (a pipe).
 * name is the file's name, for messages. */
int cli_http_upload(struct cli_http *h, const char *path, FILE *f, int64_t size, const char *name, json_t **reply);

/* GET path; the body of a 2xx reply goes to out as it arrives (named
 * out_name in messages). *bytes is how many were written; sha256 (65 bytes)
 * receives their hex digest. */
int cli_http_download(struct cli_http *h, const char *path, FILE *out, const char *out_name, uint64_t *bytes,
		      char sha256[65]);

/* Checks and normalises a hub document id (32 hex characters, lower-cased
 * into out); prints a usage error and returns EXIT_USAGE when it is not one. */
int cli_doc_id(const struct cli_args *a, const char *text, char out[33]);

#endif
