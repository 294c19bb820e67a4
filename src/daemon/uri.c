/* The request target, parsed from the raw bytes the client sent: percent
 * decoding that refuses NUL, double encoding, encoded slashes, dot segments
 * and bytes that are not UTF-8, so no path trick reaches a handler. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uri.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes n bytes of s into a new string; plus_space for query parts. */
static char *decode(const char *s, size_t n, bool plus_space, bool in_path, struct lt_err *err)
{
	char *out = malloc(n + 1);
	if (!out) {
		lt_err_set(err, LT_ENOMEM, "out of memory");
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 1 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				lt_err_set(err, LT_EINVAL, "bad percent-encoding in the request target");
				goto fail;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
			if (c == 0) {
				lt_err_set(err, LT_EINVAL, "the request target holds an encoded NUL byte (%%00)");
				goto fail;
			}
			if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
				lt_err_set(err, LT_EINVAL, "the request target is percent-encoded twice");
				goto fail;
			}
			if (in_path && (c == '/' || c == '\\')) {
				lt_err_set(err, LT_EINVAL, "the path holds an encoded slash");
				goto fail;
			}
		} else if (c == '+' && plus_space) {
			c = ' ';
		} else if (c < 0x20 || c == 0x7f) {
			lt_err_set(err, LT_EINVAL, "the request target holds a control character");
			goto fail;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!lt_text_is_clean_utf8(out)) {
		lt_err_set(err, LT_EINVAL, "the request target is not valid UTF-8");
		goto fail;
	}
	return out;
fail:
	free(out);
	return NULL;
}

int uri_parse(const char *raw, struct uri *u, struct lt_err *err)
{
	memset(u, 0, sizeof *u);
	if (!raw || raw[0] != '/')
		return lt_err_set(err, LT_EINVAL, "the request target must be a path starting with /");
	size_t plen = strcspn(raw, "?#");
	if (!(u->path = decode(raw, plen, false, true, err)))
		return err->status;
	/* Dot segments and backslashes would let a path step outside its route. */
	for (const char *p = u->path; *p;) {
		const char *seg = p + 1;
		size_t n = strcspn(seg, "/");
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return lt_err_set(err, LT_EINVAL, "the path holds a '.' or '..' segment");
		p = seg + n;
	}
	if (strchr(u->path, '\\'))
		return lt_err_set(err, LT_EINVAL, "the path holds a backslash");
	if (raw[plen] != '?')
		return LT_OK;
	const char *q = raw + plen + 1;
	while (*q && *q != '#') {
		size_t n = strcspn(q, "&#");
		if (n) {
			if (u->n_query == URI_MAX_QUERY)
				return lt_err_set(err, LT_EINVAL, "too many query parameters (at most %d)",
						  URI_MAX_QUERY);
			const char *eq = memchr(q, '=', n);
			size_t kn = eq ? (size_t)(eq - q) : n;
			char *k = decode(q, kn, true, false, err);
			if (!k)
				return err->status;
			char *v = eq ? decode(eq + 1, n - kn - 1, true, false, err) : strdup("");
			if (!v) {
				free(k);
				return err->status ? err->status : LT_ENOMEM;
			}
			for (size_t i = 0; i < u->n_query; i++)
				if (strcmp(u->query[i].key, k) == 0) {
					lt_err_set(err, LT_EINVAL, "query parameter %.40s is given twice", k);
					free(k);
					free(v);
					return LT_EINVAL;
				}
			u->query[u->n_query].key = k;
			u->query[u->n_query].val = v;
			u->n_query++;
		}
		q += n;
		if (*q == '&')
			q++;
	}
	return LT_OK;
}

void uri_free(struct uri *u)
{
	free(u->path);
	for (size_t i = 0; i < u->n_query; i++) {
		free(u->query[i].key);
		free(u->query[i].val);
	}
	memset(u, 0, sizeof *u);
}

/* ---- credentials in a request target ---- */

/* Decodes %xx and + where it can (anything else is copied) into out,
 * lowercased when asked. */
static void loose_decode(const char *s, size_t n, bool lower, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		int hi, lo;
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		out[o++] = (char)(lower ? tolower(c) : c);
	}
	out[o] = '\0';
}

bool uri_secret_name(const char *key)
{
	static const char *const words[] = {"token",   "secret",     "passw",         "pwd",     "apikey",   "api_key",
					    "api-key", "credential", "authorization", "session", "signature"};
	char low[128];
	loose_decode(key, strlen(key), true, low, sizeof low);
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strstr(low, words[i]))
			return true;
	return false;
}

/* The length of a bearer token or VXP secret starting at p ("lt_" or
 * "vxp_" and at least 20 URL-safe base64 characters), 0 when none. */
static size_t credential_at(const char *p, size_t n)
{
	size_t pre = n >= 3 && strncmp(p, "lt_", 3) == 0 ? 3 : n >= 4 && strncmp(p, "vxp_", 4) == 0 ? 4 : 0;
	if (!pre)
		return 0;
	size_t k = pre;
	while (k < n && (isalnum((unsigned char)p[k]) || p[k] == '-' || p[k] == '_'))
		k++;
	return k - pre >= 20 ? k : 0;
}

bool uri_secret_value(const char *val)
{
	char dec[512];
	loose_decode(val, strlen(val), false, dec, sizeof dec);
	size_t n = strlen(dec);
	for (size_t i = 0; i < n; i++)
		if ((i == 0 || !isalnum((unsigned char)dec[i - 1])) && credential_at(dec + i, n - i))
			return true;
	return strncasecmp(dec, "bearer ", 7) == 0;
}

/* Appends n bytes of s to out at *o, keeping room for the NUL. */
static void put(char *out, size_t size, size_t *o, const char *s, size_t n)
{
	while (n-- && *o + 1 < size)
		out[(*o)++] = *s++;
	out[*o] = '\0';
}

void uri_redact(const char *raw, char *out, size_t size)
{
	static const char mark[] = "[redacted]";
	size_t o = 0;
	if (!size)
		return;
	out[0] = '\0';
	size_t plen = strcspn(raw, "?");
	/* The path: a credential shaped run anywhere is cut out. */
	for (size_t i = 0; i < plen;) {
		size_t k = (i == 0 || !isalnum((unsigned char)raw[i - 1])) ? credential_at(raw + i, plen - i) : 0;
		if (k) {
			put(out, size, &o, mark, sizeof mark - 1);
			i += k;
		} else {
			put(out, size, &o, raw + i, 1);
			i++;
		}
	}
	if (!raw[plen])
		return;
	put(out, size, &o, "?", 1);
	const char *q = raw + plen + 1;
	while (*q) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		size_t kn = eq ? (size_t)(eq - q) : n;
		char key[128], val[512];
		snprintf(key, sizeof key, "%.*s", (int)(kn < sizeof key ? kn : sizeof key - 1), q);
		size_t vn = eq ? n - kn - 1 : 0;
		snprintf(val, sizeof val, "%.*s", (int)(vn < sizeof val ? vn : sizeof val - 1), eq ? eq + 1 : "");
		if (uri_secret_value(key)) {
			put(out, size, &o, mark, sizeof mark - 1);
		} else if (uri_secret_name(key) || uri_secret_value(val)) {
			put(out, size, &o, q, kn);
			put(out, size, &o, "=", 1);
			put(out, size, &o, mark, sizeof mark - 1);
		} else {
			put(out, size, &o, q, n);
		}
		q += n;
		if (*q == '&') {
			put(out, size, &o, "&", 1);
			q++;
		}
	}
}
