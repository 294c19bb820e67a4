/* Authenticating a VXP call as the real SDK makes it (formats.md §3.2,
 * §3.7): the HMAC covers the XroadVnpt-sign-header string byte for byte as
 * it arrived, in whatever key order the client's HashMap chose, and the
 * values a call acts on come from that signed JSON. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lienthong/vxp.h"

#define PREFIX "XroadVnpt-"
#define PREFIX_LEN 10

void lt_vxp_call_clear(struct lt_vxp_call *c)
{
	json_decref(c->params);
	memset(c, 0, sizeof *c);
}

const char *lt_vxp_param(const struct lt_vxp_call *c, const char *name)
{
	/* The spelling asked for (the SDK's) first; authentication refuses
	 * two spellings with different values, so any other is the same. */
	json_t *exact = json_object_get(c->params, name);
	if (exact)
		return json_string_value(exact);
	const char *key;
	json_t *v;
	json_object_foreach(c->params, key, v)
	{
		if (strcasecmp(key, name) == 0)
			return json_string_value(v);
	}
	return NULL;
}

/* Two signed keys that differ only in case and carry different values
 * (docId and docid): HTTP header names ignore case, so the loose copies
 * cannot tell them apart, and an operation would act on whichever it met
 * first. Finds such a pair among the keys named `name` in any case (among
 * all keys when name is NULL). The values are strings. */
static bool clash(json_t *params, const char *name, const char **a, const char **b)
{
	const char *k1, *k2;
	json_t *v1, *v2;
	json_object_foreach(params, k1, v1)
	{
		if (name && strcasecmp(k1, name) != 0)
			continue;
		json_object_foreach(params, k2, v2)
		{
			if (strcmp(k1, k2) != 0 && strcasecmp(k1, k2) == 0 &&
			    strcmp(json_string_value(v1), json_string_value(v2)) != 0) {
				*a = k1;
				*b = k2;
				return true;
			}
		}
	}
	return false;
}

json_t *lt_vxp_ok(void) { return json_pack("{s:s,s:s,s:s}", "status", "OK", "ErrorCode", "0", "ErrorDesc", "Success"); }

/* Copies s with every byte that does not start a valid UTF-8 sequence
 * replaced by '?', so the text can go into JSON. */
static void utf8_scrub(const char *s, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	while (*p && o + 1 < size) {
		size_t n = 0;
		unsigned char c = p[0];
		if (c < 0x80)
			n = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		bool ok = n > 0;
		for (size_t i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		/* Overlong forms, surrogates and code points beyond U+10FFFF. */
		if (ok && n == 3)
			ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
		if (ok && n == 4)
			ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] >= 0x90);
		if (!ok || o + n >= size) {
			if (ok)
				break; /* no room for the whole character */
			out[o++] = '?';
			p++;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}

json_t *lt_vxp_fail_http(int http_status, const char *msg)
{
	char code[16];
	/* A refusal must never read as success, whatever the caller passed. */
	if (http_status < 400 || http_status > 599)
		http_status = 500;
	snprintf(code, sizeof code, "%d", http_status);
	if (!msg || !*msg)
		msg = "the hub failed without giving a reason; retry later, and report it to the hub's operator if "
		      "it persists";
	json_t *o = json_pack("{s:s,s:s,s:s}", "status", "FAIL", "ErrorCode", code, "ErrorDesc", msg);
	if (o)
		return o;
	char clean[2 * LT_ERR_MSG_MAX];
	utf8_scrub(msg, clean, sizeof clean);
	return json_pack("{s:s,s:s,s:s}", "status", "FAIL", "ErrorCode", code, "ErrorDesc", clean);
}

json_t *lt_vxp_fail(const struct lt_err *err)
{
	int st = err && err->status != LT_OK ? (int)err->status : LT_EIO;
	return lt_vxp_fail_http(lt_status_http(st), err && err->msg[0] ? err->msg : lt_strerror(st));
}

bool lt_vxp_hash_file_matches(const unsigned char sha[32], const char *given)
{
	/* The Java SDK's unpadded per-byte hex, or the usual zero-padded form
	 * other clients send. */
	char sdk[65], padded[65];
	size_t o = 0;
	for (int i = 0; i < 32; i++) {
		o += (size_t)snprintf(sdk + o, sizeof sdk - o, "%x", sha[i]);
		snprintf(padded + 2 * i, 3, "%02x", sha[i]);
	}
	return given && (strcasecmp(sdk, given) == 0 || strcasecmp(padded, given) == 0);
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int lt_vxp_parse_to(const char *text, struct lt_codelist *out, struct lt_err *err)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
	if (!v)
		return lt_err_set(err, LT_EINVAL, "'to' is not JSON text: give [\"code\", …] or \"code\"");
	int rc = LT_OK;
	if (json_is_string(v)) {
		json_t *a = json_array();
		json_array_append(a, v);
		json_decref(v);
		v = a;
	}
	size_t i;
	json_t *c;
	if (!json_is_array(v))
		rc = lt_err_set(err, LT_EINVAL, "'to' must be a code or an array of codes");
	json_array_foreach(v, i, c)
	{
		struct lt_code code;
		char canon[LT_CODE_BUFSZ];
		if (rc)
			break;
		if (!json_is_string(c)) {
			rc = lt_err_set(err, LT_EINVAL, "'to'[%zu] is %s, not a code: give [\"code\", …] or \"code\"",
					i, json_kind(c));
			break;
		}
		if (lt_code_parse(&code, json_string_value(c), LT_CODE_LENIENT, err)) {
			lt_err_prefix(err, "'to'[%zu]: ", i);
			rc = LT_EINVAL;
			if (err)
				err->status = LT_EINVAL;
			break;
		}
		lt_code_format(&code, canon);
		if (lt_codelist_add(out, canon))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	json_decref(v);
	return rc;
}

/* 32 to 64 hex digits: the SDK drops the leading zero of each byte below
 * 0x10, so its SHA-256 is usually 58 to 64 digits long. */
static bool hash_file_form(const char *s)
{
	size_t n = strlen(s);
	return n >= 32 && n <= 64 && strspn(s, "0123456789abcdefABCDEF") == n;
}

int lt_vxp_send_check(const struct lt_vxp_call *c, struct lt_err *err)
{
	const char *hash = lt_vxp_param(c, "hash-file");
	const char *to = lt_vxp_param(c, "to");
	int rc = LT_OK;
	if (!hash || !*hash)
		return lt_err_set(err, LT_EINVAL,
				  "sendEdoc needs hash-file: sign XroadVnpt-hash-file with the SHA-256 of the file in "
				  "hex, as the VXP SDK does");
	if (!hash_file_form(hash))
		return lt_err_set(err, LT_EINVAL, "hash-file '%.70s' is not a SHA-256 in hex (32 to 64 hex digits)",
				  hash);
	if (to && *to) {
		struct lt_codelist codes = {0};
		rc = lt_vxp_parse_to(to, &codes, err);
		lt_codelist_free(&codes);
	}
	return rc;
}

/* ddMMyyyy'T'HHmmss+SSSS in the client's local time (§3.2), utc_offset
 * minutes east of UTC; the +SSSS is milliseconds, not a zone. */
static int timestamp_age(const char *ts, int utc_offset, int64_t *age)
{
	int d, mo, y, h, mi, s;
	if (!ts || sscanf(ts, "%2d%2d%4dT%2d%2d%2d", &d, &mo, &y, &h, &mi, &s) != 6)
		return -1;
	struct tm tm = {.tm_mday = d, .tm_mon = mo - 1, .tm_year = y - 1900, .tm_hour = h, .tm_min = mi, .tm_sec = s};
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || d < 1 || d > 31 || mo < 1 || mo > 12)
		return -1;
	*age = (int64_t)time(NULL) - ((int64_t)t - (int64_t)utc_offset * 60);
	return 0;
}

struct find_ctx {
	struct lt_store *s;
	const unsigned char *key;
	const char *signed_text;
	const unsigned char *mac;
	bool found;
	struct lt_system sys;
};

/* Tries each system registered under the systemid: the one whose secret
 * makes the same MAC is the caller. */
static int try_system(void *vctx, const struct lt_system *sys)
{
	struct find_ctx *c = vctx;
	char secret[LT_TOKEN_BUFSZ];
	if (lt_unseal(c->key, sys->secret_sealed, secret, sizeof secret, NULL) != LT_OK)
		return 0;
	unsigned char md[32];
	unsigned int n = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)c->signed_text, strlen(c->signed_text),
	     md, &n);
	OPENSSL_cleanse(secret, sizeof secret);
	if (n == 32 && CRYPTO_memcmp(md, c->mac, 32) == 0) {
		c->found = true;
		c->sys = *sys;
		return 1;
	}
	return 0;
}

static int count_system(void *ctx, const struct lt_system *sys)
{
	(void)sys;
	++*(int *)ctx;
	return 0;
}

static bool has_system(struct lt_store *s, const char *code)
{
	int n = 0;
	lt_system_by_primary(s, code, count_system, &n, NULL);
	return n > 0;
}

static int hex32(const char *hex, unsigned char out[32])
{
	if (!hex || strlen(hex) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

int lt_vxp_authenticate(struct lt_store *s, const unsigned char key[LT_SEAL_KEY_BYTES], lt_vxp_header_fn hdr,
			void *hdr_ctx, int64_t max_skew, int utc_offset, struct lt_vxp_call *out, struct lt_err *err)
{
	memset(out, 0, sizeof *out);
	out->utc_offset = utc_offset;
	const char *sign = hdr(hdr_ctx, PREFIX "sign-header");
	const char *mac_hex = hdr(hdr_ctx, PREFIX "hash-header");
	if (!sign || !mac_hex)
		return lt_err_set(
			err, LT_EAUTH,
			"missing XroadVnpt-sign-header or XroadVnpt-hash-header: sign the call as the VXP SDK does");
	if (!lt_text_is_clean_utf8(sign))
		return lt_err_set(
			err, LT_EAUTH,
			"XroadVnpt-sign-header is not UTF-8: the SDK's HTTP client mangles non-ASCII values when "
			"the endpoint URL has an explicit port; publish the endpoint without a port (or over "
			"HTTPS)");
	unsigned char mac[32];
	if (hex32(mac_hex, mac))
		return lt_err_set(err, LT_EAUTH, "XroadVnpt-hash-header must be 64 hex digits of HMAC-SHA256");
	json_error_t je;
	json_t *signed_obj = json_loads(sign, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(signed_obj)) {
		json_decref(signed_obj);
		return lt_err_set(err, LT_EAUTH, "XroadVnpt-sign-header is not a JSON object: %s", je.text);
	}
	/* Strip the prefix; every value must be a string. */
	json_t *params = json_object();
	const char *k;
	json_t *v;
	int rc = LT_OK;
	json_object_foreach(signed_obj, k, v)
	{
		if (strncasecmp(k, PREFIX, PREFIX_LEN) != 0 || !json_is_string(v)) {
			rc = lt_err_set(err, LT_EAUTH,
					"signed key '%.60s' is not an XroadVnpt- header with a text value", k);
			break;
		}
		json_object_set(params, k + PREFIX_LEN, v);
	}
	json_decref(signed_obj);
	out->params = params;
	const char *clash_a = NULL, *clash_b = NULL;
	bool clashes = rc == LT_OK && clash(params, NULL, &clash_a, &clash_b);
	const char *systemid = rc ? NULL : lt_vxp_param(out, "systemid");
	if (rc == LT_OK && !systemid)
		rc = lt_err_set(err, LT_EAUTH, "the signed headers carry no systemid");
	else if (clashes &&
		 (clash(params, "systemid", &clash_a, &clash_b) || clash(params, "timestamp", &clash_a, &clash_b)))
		/* Then even which system is calling is in doubt. */
		rc = lt_err_set(err, LT_EAUTH, "the call signs %.40s '%.40s' and %.40s '%.40s': sign it once", clash_a,
				json_string_value(json_object_get(params, clash_a)), clash_b,
				json_string_value(json_object_get(params, clash_b)));
	/* A loose header that disagrees with what was signed is refused:
	 * values are taken from the signed JSON, never from the loose copy. */
	json_object_foreach(params, k, v)
	{
		if (rc)
			break;
		char name[160];
		snprintf(name, sizeof name, PREFIX "%s", k);
		const char *a, *b;
		if (clashes && clash(params, k, &a, &b))
			continue; /* refused below, once the signature holds */
		const char *loose = hdr(hdr_ctx, name);
		if (loose && strcmp(loose, json_string_value(v)) != 0) {
			bool mangled = !lt_text_is_clean_utf8(loose) || strchr(loose, '?');
			rc = lt_err_set(err, LT_EAUTH,
					mangled ? "header %s does not match its signed value: a non-ASCII value was "
						  "mangled in transit (the SDK does this when the endpoint URL has an "
						  "explicit port; publish it without a port, or over HTTPS)"
						: "header %s does not match its signed value",
					name);
		}
	}
	if (rc == LT_OK) {
		struct lt_code c;
		if (lt_code_parse(&c, systemid, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) != LT_OK) {
			rc = lt_err_set(err, LT_EAUTH, "systemid '%.40s' is not a code", systemid);
		} else {
			lt_code_format(&c, out->systemid);
			struct find_ctx fc = {s, key, sign, mac, false, {0}};
			struct lt_err e2 = {0};
			int frc = lt_system_by_primary(s, out->systemid, try_system, &fc, &e2);
			if (frc < 0)
				rc = lt_err_set(err, frc, "%s", e2.msg);
			else if (!fc.found && strchr(sign, '?') && frc == 0 && has_system(s, out->systemid))
				/* The SDK writes '?' for characters beyond Latin-1 when the
				 * endpoint has an explicit port, while it signed the UTF-8. */
				rc = lt_err_set(
					err, LT_EAUTH,
					"the signature does not match, and a signed value contains '?': a non-ASCII "
					"value was probably mangled in transit (the SDK does this when the endpoint "
					"URL "
					"has an explicit port; publish it without a port, or over HTTPS)");
			else if (!fc.found)
				rc = lt_err_set(
					err, LT_EAUTH,
					"no connected system %s with a secret that makes this signature: check the "
					"systemid and the vxp_secret from 'lienthong system add'",
					out->systemid);
			else if (fc.sys.disabled[0])
				rc = lt_err_set(
					err, LT_EAUTH,
					"connected system %s was disabled on %s: its calls are refused until an admin "
					"enables it again",
					out->systemid, fc.sys.disabled);
			else {
				out->ctx.who.via_vxp = true;
				out->ctx.who.role = LT_ROLE_SYSTEM;
				out->ctx.who.system_id = fc.sys.id;
				snprintf(out->ctx.who.name, sizeof out->ctx.who.name, "%s", fc.sys.name);
			}
		}
	}
	if (rc == LT_OK && max_skew > 0) {
		int64_t age;
		const char *ts = lt_vxp_param(out, "timestamp");
		if (timestamp_age(ts, utc_offset, &age))
			rc = lt_err_set(err, LT_EAUTH, "timestamp '%.40s' is not ddMMyyyyTHHmmss+SSSS", ts ? ts : "");
		else if (age > max_skew || age < -max_skew)
			rc = lt_err_set(
				err, LT_EAUTH,
				"timestamp %s is %lld s from the hub's clock, beyond vxp_max_clock_skew (%lld s)", ts,
				(long long)age, (long long)max_skew);
	}
	if (rc == LT_OK && clashes)
		rc = lt_err_set(err, LT_EINVAL,
				"the call signs %.40s '%.40s' and %.40s '%.40s': sign each parameter once (names are "
				"read without regard to case; the VXP SDK writes docId, Bkav docid)",
				clash_a, json_string_value(json_object_get(params, clash_a)), clash_b,
				json_string_value(json_object_get(params, clash_b)));
	if (rc) {
		lt_vxp_call_clear(out);
		return rc;
	}
	return LT_OK;
}
