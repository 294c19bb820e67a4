/* The request target, decoded strictly (uri.c). */
#ifndef LT_DAEMON_URI_H
#define LT_DAEMON_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "lienthong/err.h"
#include "lienthong/text.h"

#define URI_MAX_QUERY 16

struct uri {
	char *path;
	struct {
		char *key, *val;
	} query[URI_MAX_QUERY];
	size_t n_query;
};

/* Fills u (owned: uri_free, also after a failure). */
int uri_parse(const char *raw, struct uri *u, struct lt_err *err);
void uri_free(struct uri *u);

/* Credentials have no place in a URL, which logs, proxies and browser
 * histories keep. A query parameter named like one (token, secret,
 * password, api_key, …), and a value shaped like a bearer token or VXP
 * secret ("lt_…", "vxp_…", "Bearer …"), percent-encoded or not. */
bool uri_secret_name(const char *key);
bool uri_secret_value(const char *val);
/* raw with every such value (and any credential-shaped run in the path)
 * replaced by "[redacted]", cut to size. */
void uri_redact(const char *raw, char *out, size_t size);

#endif
