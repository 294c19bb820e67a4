/* The relay worker's side of a VXP upstream (the national axis): every
 * call as the Java SDK SDKVXP 2.0.1 puts it on the wire, so the axis
 * cannot tell this hub from any document-management system on the SDK.
 * Parameters are XroadVnpt- headers; the signed key list and the sign
 * string follow java.util.HashMap's iteration order over the keys the SDK
 * inserts (systemid and timestamp at construction, Content-Type, then the
 * call's own), the HMAC-SHA256 keyed with the secret covers that string;
 * the timestamp is taken once per client and reused. Unlike the SDK, keys
 * do not leak from one call into the next. sendEdoc posts the raw file and
 * a CRLF as application/octet-stream, with hash-file the SHA-256 of the
 * file without it, each byte in unpadded hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "relay_impl.h"

#define MAX_KEYS 12

struct vxp_call {
	const char *keys[MAX_KEYS];
	const char *values[MAX_KEYS];
	int n;
};

static uint32_t java_hash(const char *s)
{
	uint32_t h = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = 31 * h + *p; /* the keys are ASCII: one UTF-16 unit per byte */
	return h;
}

/* The iteration order of a HashMap holding the keys inserted in order:
 * by bucket (hash spread, masked by the capacity), insertion order within
 * one. */
static void hashmap_order(const struct vxp_call *c, int order[MAX_KEYS])
{
	unsigned cap = 16;
	while (c->n > (int)(cap * 3 / 4))
		cap *= 2;
	int k = 0;
	for (unsigned b = 0; b < cap; b++)
		for (int i = 0; i < c->n; i++) {
			uint32_t h = java_hash(c->keys[i]);
			if (((h ^ (h >> 16)) & (cap - 1)) == b)
				order[k++] = i;
		}
}

static void put(struct vxp_call *c, const char *k, const char *v)
{
	if (c->n < MAX_KEYS) {
		c->keys[c->n] = k;
		c->values[c->n++] = v;
	}
}

void lt__relay_vxp_timestamp(char out[32], int utc_offset)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t t = ts.tv_sec + (time_t)utc_offset * 60;
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 32, "%d%m%YT%H%M%S", &tm);
	snprintf(out + n, 32 - n, "+%04ld", ts.tv_nsec / 1000000L);
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* Appends a header line; on failure frees the whole list and keeps NULL. */
static struct curl_slist *add(struct curl_slist *h, const char *line, bool *failed)
{
	if (*failed)
		return NULL;
	struct curl_slist *n = curl_slist_append(h, line);
	if (!n) {
		curl_slist_free_all(h);
		*failed = true;
	}
	return n;
}

/* The headers of one call, signed. */
static struct curl_slist *sign(struct lt_relay *r, const struct vxp_call *params, const char *ctype, bool send_edoc,
			       bool expect, struct lt_err *err)
{
	struct vxp_call c = {.n = 0};
	put(&c, "systemid", r->system_id);
	put(&c, "timestamp", r->timestamp);
	put(&c, "Content-Type", ctype);
	for (int i = 0; i < params->n; i++)
		put(&c, params->keys[i], params->values[i]);
	int order[MAX_KEYS];
	hashmap_order(&c, order);
	struct curl_slist *h = NULL;
	bool failed = false;
	char *sign = NULL, line[1200], names[512] = "";
	size_t sl = 0;
	FILE *sf = open_memstream(&sign, &sl);
	if (!sf) {
		lt_err_set(err, LT_ENOMEM, "out of memory");
		return NULL;
	}
	fputc('{', sf);
	for (int j = 0; j < c.n; j++) {
		int i = order[j];
		json_t *v = json_string(c.values[i]);
		char *enc = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		fprintf(sf, "%s\"XroadVnpt-%s\":%s", j ? "," : "", c.keys[i], enc ? enc : "\"\"");
		free(enc);
		json_decref(v);
		snprintf(line, sizeof line, "XroadVnpt-%s: %s", c.keys[i], c.values[i]);
		h = add(h, line, &failed);
		size_t o = strlen(names);
		snprintf(names + o, sizeof names - o, "%s%s", j ? ";" : "", c.keys[i]);
	}
	fputc('}', sf);
	fclose(sf);
	unsigned char mac[32];
	unsigned int ml = 0;
	char machex[65];
	HMAC(EVP_sha256(), r->secret, (int)strlen(r->secret), (const unsigned char *)sign, sl, mac, &ml);
	hex(mac, ml, machex);
	snprintf(line, sizeof line, "Content-Type: %s", ctype);
	h = add(h, line, &failed);
	snprintf(line, sizeof line, "XroadVnpt-sign-header-key: %s", names);
	h = add(h, line, &failed);
	char *sh = malloc(strlen(sign) + 40);
	if (sh) {
		sprintf(sh, "XroadVnpt-sign-header: %s", sign);
		h = add(h, sh, &failed);
		free(sh);
	} else {
		curl_slist_free_all(h);
		h = NULL;
		failed = true;
	}
	free(sign);
	snprintf(line, sizeof line, "XroadVnpt-hash-header: %s", machex);
	h = add(h, line, &failed);
	h = add(h, "User-Agent: JAVASDKAgent/1.0.0 XRoad/VPCP", &failed);
	h = add(h, "XroadVnpt-version: 3.0.201608", &failed);
	if (send_edoc) {
		h = add(h, "Cache-Control: no-cache", &failed);
		h = add(h, "Pragma: no-cache", &failed);
		h = add(h, "Accept: text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", &failed);
		h = add(h, "Connection: keep-alive", &failed);
	} else {
		h = add(h, "Accept:", &failed);
		h = add(h, "Connection: Keep-Alive", &failed);
	}
	h = add(h, expect ? "Expect: 100-continue" : "Expect:", &failed);
	if (failed)
		lt_err_set(err, LT_ENOMEM, "out of memory");
	return failed ? NULL : h;
}

/* The VXP envelope: ErrorCode "0" is success (§3.4). */
static int envelope(const struct lt__rbuf *b, long code, const char *op, json_t **out, struct lt_err *err)
{
	json_t *o = b->p ? json_loads(b->p, 0, NULL) : NULL;
	const char *ec = json_string_value(json_object_get(o, "ErrorCode"));
	if (code == 200 && o && ec && strcmp(ec, "0") == 0) {
		*out = o;
		return LT_OK;
	}
	const char *desc = json_string_value(json_object_get(o, "ErrorDesc"));
	lt_err_set(err, LT_EIO, "upstream refused %s: HTTP %ld, ErrorCode %s%s%.300s", op, code, ec ? ec : "(none)",
		   desc ? ": " : "", desc ? desc : "");
	json_decref(o);
	return LT_EIO;
}

static int call(struct lt_relay *r, CURL *h, const char *op, const struct vxp_call *p, const char *body,
		struct lt__rbuf *b, json_t **out, struct lt_err *err)
{
	bool expect = body && body[0];
	struct curl_slist *hdr = sign(r, p, "application/json", false, expect, err);
	if (!hdr)
		return LT_ENOMEM;
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip,deflate");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, lt__relay_to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	char path[64];
	snprintf(path, sizeof path, "/%s", op);
	long code = 0;
	int rc = lt__relay_perform(r, h, path, hdr, r->poll_wait + 600, &code, err);
	return rc ? rc : envelope(b, code, op, out, err);
}

/* sendEdoc's body: the file, then CRLF. */
struct body {
	FILE *f;
	int tail; /* bytes of the CRLF written */
};

static size_t read_body(char *dst, size_t size, size_t n, void *vb)
{
	struct body *b = vb;
	size_t got = fread(dst, 1, size * n, b->f);
	while (got < size * n && feof(b->f) && b->tail < 2)
		dst[got++] = "\r\n"[b->tail++];
	return got;
}

static int vxp_send(struct lt_relay *r, CURL *h, const struct lt_xdoc *doc, char up[LT__UPSTREAM_ID_BUFSZ],
		    struct lt_err *err)
{
	char path[PATH_MAX];
	lt__xpath_body(r->x, doc->id, path);
	struct body bd = {fopen(path, "rb"), 0};
	struct stat sb;
	if (!bd.f || fstat(fileno(bd.f), &sb) != 0) {
		if (bd.f)
			fclose(bd.f);
		return lt_err_set(err, LT_EIO, "cannot open the package of %s", doc->id);
	}
	/* hash-file: Integer.toHexString per byte, no zero padding. */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[65536], sha[32];
	size_t got;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while ((got = fread(buf, 1, sizeof buf, bd.f)) > 0)
		EVP_DigestUpdate(md, buf, got);
	EVP_DigestFinal_ex(md, sha, NULL);
	EVP_MD_CTX_free(md);
	rewind(bd.f);
	char hash_file[65] = "";
	for (int i = 0; i < 32; i++)
		sprintf(hash_file + strlen(hash_file), "%x", sha[i]);
	struct vxp_call p = {.n = 0};
	put(&p, "servicetype", "eDoc");
	put(&p, "messagetype", doc->kind);
	put(&p, "hash-file", hash_file);
	put(&p, "from", doc->from_code);
	struct curl_slist *hdr = sign(r, &p, "application/octet-stream", true, false, err);
	struct lt__rbuf b = {.max = 1u << 20};
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(h, CURLOPT_READDATA, &bd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sb.st_size + 2);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, lt__relay_to_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	long code = 0;
	json_t *o = NULL;
	int rc = hdr ? lt__relay_perform(r, h, "/sendEdoc", hdr, 600, &code, err) : LT_ENOMEM;
	fclose(bd.f);
	if (rc == LT_OK)
		rc = envelope(&b, code, "sendEdoc", &o, err);
	free(b.p);
	if (rc)
		return rc;
	json_t *id = json_object_get(o, "DocId");
	if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) < LT__UPSTREAM_ID_BUFSZ)
		lt_text_format(up, LT__UPSTREAM_ID_BUFSZ, "%s", json_string_value(id));
	else if (json_is_integer(id))
		snprintf(up, LT__UPSTREAM_ID_BUFSZ, "%lld", (long long)json_integer_value(id));
	else
		rc = lt_err_set(err, LT_EIO, "the upstream's reply to sendEdoc carries no DocId");
	json_decref(o);
	return rc;
}

/* An id the axis gave, safe in a header: letters, digits and -_.: only. */
static bool doc_id(const char *id)
{
	size_t n = strlen(id);
	return n > 0 && n < LT__UPSTREAM_ID_BUFSZ &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == n;
}

static int vxp_list(struct lt_relay *r, CURL *h, long long after, struct lt__relay_ids *ids, long long *next,
		    struct lt_err *err)
{
	(void)after;
	*next = 0;
	static const char *const types[] = {"edoc", "status"};
	for (int t = 0; t < 2; t++) {
		struct vxp_call p = {.n = 0};
		put(&p, "servicetype", "eDoc");
		put(&p, "messagetype", types[t]);
		struct lt__rbuf b = {.max = 16u << 20};
		json_t *o = NULL;
		if (t)
			curl_easy_reset(h);
		int rc = call(r, h, "getReceivedEdocList", &p, NULL, &b, &o, err);
		free(b.p);
		if (rc)
			return rc;
		json_t *data = json_object_get(o, "data");
		for (size_t i = 0; i < json_array_size(data) && ids->n < LT__RELAY_PAGE * 2; i++) {
			json_t *id = json_object_get(json_array_get(data, i), "docId");
			char text[LT__UPSTREAM_ID_BUFSZ];
			if (json_is_integer(id))
				snprintf(text, sizeof text, "%lld", (long long)json_integer_value(id));
			else
				lt_text_format(text, sizeof text, "%s",
					       json_is_string(id) ? json_string_value(id) : "");
			if (doc_id(text))
				lt_text_format(ids->id[ids->n++], LT__UPSTREAM_ID_BUFSZ, "%s", text);
		}
		json_decref(o);
	}
	return LT_OK;
}

static int vxp_fetch(struct lt_relay *r, CURL *h, const char *id, struct lt_upload *u, struct lt_err *err)
{
	if (!doc_id(id))
		return lt_err_set(err, LT_EINVAL, "'%.40s' is not an upstream document id", id);
	char where[PATH_MAX];
	snprintf(where, sizeof where, "%s/tmp", r->x->data_dir);
	struct vxp_call p = {.n = 0};
	put(&p, "docId", id);
	put(&p, "filePath", where);
	struct lt__rbuf b = {.max = (size_t)(r->x->max_package_bytes / 3 * 4 + (1u << 16))};
	json_t *o = NULL;
	int rc = call(r, h, "getEdoc", &p, "{}", &b, &o, err);
	free(b.p);
	if (rc)
		return rc;
	const char *data = json_string_value(json_object_get(o, "data"));
	if (!data) {
		json_decref(o);
		return lt_err_set(err, LT_EIO, "the upstream's getEdoc reply carries no base64 data");
	}
	/* Decoded piece by piece into the upload, never whole. */
	EVP_ENCODE_CTX *dc = EVP_ENCODE_CTX_new();
	unsigned char out[49152 + 64];
	int outl = 0;
	size_t n = strlen(data);
	EVP_DecodeInit(dc);
	for (size_t o2 = 0; o2 < n && rc == LT_OK; o2 += 65536) {
		int len = (int)(n - o2 < 65536 ? n - o2 : 65536);
		if (EVP_DecodeUpdate(dc, out, &outl, (const unsigned char *)data + o2, len) < 0)
			rc = lt_err_set(err, LT_EINVAL, "the upstream's getEdoc data is not base64");
		else if (outl > 0)
			lt_upload_feed(u, out, (size_t)outl, NULL);
	}
	if (rc == LT_OK && EVP_DecodeFinal(dc, out, &outl) < 0)
		rc = lt_err_set(err, LT_EINVAL, "the upstream's getEdoc data is not base64");
	else if (rc == LT_OK && outl > 0)
		lt_upload_feed(u, out, (size_t)outl, NULL);
	EVP_ENCODE_CTX_free(dc);
	json_decref(o);
	return rc;
}

static int vxp_ack(struct lt_relay *r, CURL *h, const char *id, const char *state, struct lt_err *err)
{
	if (!doc_id(id))
		return lt_err_set(err, LT_EINVAL, "'%.40s' is not an upstream document id", id);
	struct vxp_call p = {.n = 0};
	put(&p, "docId", id);
	put(&p, "status", state);
	struct lt__rbuf b = {.max = 1u << 20};
	json_t *o = NULL;
	int rc = call(r, h, "updateStatus", &p, "{}", &b, &o, err);
	free(b.p);
	json_decref(o);
	return rc;
}

const struct lt__relay_proto lt__relay_vxp = {vxp_send, vxp_list, vxp_fetch, vxp_ack};

/* The catalogue mirror's view of a VXP upstream: its whole list of
 * agencies, signed as the SDK signs getAgenciesList (no keys of its own). */
int lt_relay_vxp_agencies(struct lt_relay *r, json_t **data, struct lt_err *err)
{
	*data = NULL;
	if (r->proto != &lt__relay_vxp)
		return lt_err_set(err, LT_EINVAL, "the upstream is not spoken to over VXP");
	CURL *h = curl_easy_init();
	if (!h)
		return lt_err_set(err, LT_ENOMEM, "cannot start an HTTP client");
	struct vxp_call p = {.n = 0};
	struct lt__rbuf b = {.max = 256u << 20};
	json_t *o = NULL;
	int rc = call(r, h, "getAgenciesList", &p, NULL, &b, &o, err);
	free(b.p);
	curl_easy_cleanup(h);
	if (rc)
		return rc;
	json_t *list = json_object_get(o, "data");
	if (!json_is_array(list))
		rc = lt_err_set(err, LT_EINVAL, "the upstream's getAgenciesList has no data array");
	else
		*data = json_incref(list);
	json_decref(o);
	return rc;
}
