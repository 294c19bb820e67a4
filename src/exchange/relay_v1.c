/* The relay worker's side of a lienthong upstream: its /v1 API with this
 * hub's bearer token, as any connected system calls it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relay_impl.h"

#define REPLY_MAX (1u << 20)

/* The upstream's error message, or the status alone. */
static int reply_error(const struct lt__rbuf *b, long code, const char *what, struct lt_err *err)
{
	json_t *o = b->p ? json_loads(b->p, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
	lt_err_set(err, LT_EIO, "upstream refused %s: HTTP %ld%s%.300s", what, code, m ? ": " : "", m ? m : "");
	json_decref(o);
	return LT_EIO;
}

static struct curl_slist *headers(struct lt_relay *r, const char *ctype)
{
	struct curl_slist *h = curl_slist_append(NULL, r->auth);
	if (h && ctype)
		h = curl_slist_append(h, ctype);
	return h ? curl_slist_append(h, "Expect:") : NULL;
}

static int v1_send(struct lt_relay *r, CURL *h, const struct lt_xdoc *doc, char up[LT__UPSTREAM_ID_BUFSZ],
		   struct lt_err *err)
{
	char path[PATH_MAX];
	lt__xpath_body(r->x, doc->id, path);
	FILE *f = fopen(path, "rb");
	struct stat sb;
	if (!f || fstat(fileno(f), &sb) != 0) {
		if (f)
			fclose(f);
		return lt_err_set(err, LT_EIO, "cannot open the package of %s", doc->id);
	}
	struct lt__rbuf b = {.max = REPLY_MAX};
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READDATA, f);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sb.st_size);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, lt__relay_to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	long code = 0;
	int rc = lt__relay_perform(r, h, "/v1/documents", headers(r, "Content-Type: application/xml"), 600, &code, err);
	fclose(f);
	if (rc == LT_OK && code != 201 && code != 200)
		rc = reply_error(&b, code, "a relayed document", err);
	if (rc == LT_OK) {
		json_t *o = json_loads(b.p ? b.p : "", 0, NULL);
		const char *id = json_string_value(json_object_get(o, "id"));
		if (id && strlen(id) < LT__UPSTREAM_ID_BUFSZ)
			lt_text_format(up, LT__UPSTREAM_ID_BUFSZ, "%s", id);
		else
			rc = lt_err_set(err, LT_EIO, "the upstream's reply to a send names no document id");
		json_decref(o);
	}
	free(b.p);
	return rc;
}

static bool hub_id(const char *id) { return id && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32; }

static int v1_list(struct lt_relay *r, CURL *h, long long after, struct lt__relay_ids *ids, long long *next,
		   struct lt_err *err)
{
	char path[128];
	int o = snprintf(path, sizeof path, "/v1/inbox?limit=%d&wait=%d", LT__RELAY_PAGE, r->poll_wait);
	if (after)
		snprintf(path + o, sizeof path - (size_t)o, "&after=%lld", after);
	struct lt__rbuf b = {.max = REPLY_MAX};
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, lt__relay_to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	long code = 0;
	int rc = lt__relay_perform(r, h, path, headers(r, NULL), r->poll_wait + 60, &code, err);
	if (rc == LT_OK && code != 200)
		rc = reply_error(&b, code, "the inbox poll", err);
	json_t *page = rc == LT_OK ? json_loads(b.p ? b.p : "", 0, NULL) : NULL;
	free(b.p);
	if (rc)
		return rc;
	json_t *items = json_object_get(page, "items"), *nc = json_object_get(page, "next_cursor");
	*next = json_is_integer(nc) ? (long long)json_integer_value(nc) : 0;
	if (!json_is_array(items)) {
		json_decref(page);
		return lt_err_set(err, LT_EIO, "the upstream's inbox reply has no items");
	}
	for (size_t i = 0; i < json_array_size(items) && ids->n < LT__RELAY_PAGE; i++) {
		const char *id = json_string_value(json_object_get(json_array_get(items, i), "id"));
		if (hub_id(id))
			lt_text_format(ids->id[ids->n++], LT__UPSTREAM_ID_BUFSZ, "%s", id);
	}
	json_decref(page);
	return LT_OK;
}

static size_t to_upload(char *data, size_t size, size_t n, void *vu)
{
	/* A refusal is remembered by the upload and reported by its finish. */
	lt_upload_feed(vu, data, size * n, NULL);
	return size * n;
}

static int v1_fetch(struct lt_relay *r, CURL *h, const char *id, struct lt_upload *u, struct lt_err *err)
{
	if (!hub_id(id))
		return lt_err_set(err, LT_EINVAL, "'%.40s' is not an upstream document id", id);
	char path[80];
	snprintf(path, sizeof path, "/v1/documents/%s", id);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_upload);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, u);
	long code = 0;
	int rc = lt__relay_perform(r, h, path, headers(r, NULL), 600, &code, err);
	if (rc == LT_OK && code != 200)
		rc = lt_err_set(err, LT_EIO, "upstream %s: HTTP %ld", path, code);
	return rc;
}

static int v1_ack(struct lt_relay *r, CURL *h, const char *id, const char *state, struct lt_err *err)
{
	if (!hub_id(id))
		return lt_err_set(err, LT_EINVAL, "'%.40s' is not an upstream document id", id);
	char path[96], body[64];
	snprintf(path, sizeof path, "/v1/documents/%s/ack", id);
	snprintf(body, sizeof body, "{\"state\":\"%s\"}", state);
	struct lt__rbuf b = {.max = REPLY_MAX};
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, lt__relay_to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	long code = 0;
	int rc = lt__relay_perform(r, h, path, headers(r, "Content-Type: application/json"), 60, &code, err);
	if (rc == LT_OK && code != 200)
		rc = reply_error(&b, code, "an acknowledgement", err);
	free(b.p);
	return rc;
}

const struct lt__relay_proto lt__relay_v1 = {v1_send, v1_list, v1_fetch, v1_ack};
