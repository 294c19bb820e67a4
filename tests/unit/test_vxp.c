/* The VXP layer's authentication (src/vxp/auth.c) against a temporary
 * registry: the HMAC is checked over XroadVnpt-sign-header exactly as it
 * arrived, in whatever key order the SDK's HashMap chose, and the values a
 * call acts on come from that signed JSON (formats.md §3.2, §3.7). Every
 * refusal is LT_EAUTH with a sentence that says why. Also the SDK's
 * unpadded hash-file and the two forms of sendEdoc's `to`, sendEdoc's
 * checks before its body, a parameter signed in two spellings, catalogue
 * lists over a damaged stored row, and failure envelopes, which never read
 * as success. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "lienthong/vxp.h"

#define G22 "000.00.00.G22"
#define TS "22112026T230514+0662" /* the SDK's frozen, zone-less timestamp */

#define VN_OFFSET 420 /* minutes: the clocks of the SDK clients, UTC+7 */

struct fx {
	char dir[64];
	char db[128];
	char data[128];
	struct lt_registry *r;
	struct lt_store *s;
	unsigned char key[LT_SEAL_KEY_BYTES];
	int64_t g22_id;
	char g22_secret[LT_TOKEN_BUFSZ];
};

static const char units_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.G22,Văn phòng Chính phủ,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H14,Ủy ban nhân dân tỉnh Cao Bằng,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H26,Ủy ban nhân dân thành phố Hà Nội,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n";

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fixture_tmpdir(fx->dir, sizeof fx->dir, "vxp");
	snprintf(fx->db, sizeof fx->db, "%s/t.db", fx->dir);
	snprintf(fx->data, sizeof fx->data, "%s/data", fx->dir);
	struct lt_err err = {0};
	fx->r = fixture_registry(fx->db, units_csv);
	fx->s = lt_registry_store(fx->r);
	assert_int_equal(lt_seal_key_in(fx->data, true, fx->key, &err), LT_OK);
	/* One connected system for G22; H26 stays unconnected. */
	struct lt_principal admin = {.role = LT_ROLE_ADMIN};
	const char codes[][LT_CODE_BUFSZ] = {G22};
	struct lt_system_created made;
	assert_int_equal(lt_system_register(fx->s, FX_CTX(&admin), "văn thư VPCP", codes, 1, fx->key, &made, &err),
			 LT_OK);
	fx->g22_id = made.id;
	snprintf(fx->g22_secret, sizeof fx->g22_secret, "%s", made.vxp_secret);
	assert_true(strlen(fx->g22_secret) > 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	lt_registry_close(fx->r);
	fixture_rmrf(fx->dir);
	free(fx);
	return 0;
}

/* ---- a request's headers, as the HTTP layer would hand them over ---- */

#define MAX_HDR 16

struct hdrs {
	const char *name[MAX_HDR];
	char *value[MAX_HDR];
	int n;
};

static const char *hdr_get(void *ctx, const char *name)
{
	struct hdrs *h = ctx;
	for (int i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], name) == 0)
			return h->value[i];
	return NULL;
}

static void hdr_set(struct hdrs *h, const char *name, const char *value)
{
	for (int i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], name) == 0) {
			free(h->value[i]);
			h->value[i] = strdup(value);
			return;
		}
	assert_true(h->n < MAX_HDR);
	h->name[h->n] = name;
	h->value[h->n++] = strdup(value);
}

static void hdr_free(struct hdrs *h)
{
	for (int i = 0; i < h->n; i++)
		free(h->value[i]);
	memset(h, 0, sizeof *h);
}

static void hmac_hex(const char *secret, const char *text, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	assert_non_null(
		HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)text, strlen(text), md, &n));
	assert_int_equal(n, 32);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Headers of a call signed with `secret` over exactly `sign`. */
static void signed_call(struct hdrs *h, const char *sign, const char *secret)
{
	char mac[65];
	hmac_hex(secret, sign, mac);
	hdr_set(h, "XroadVnpt-sign-header", sign);
	hdr_set(h, "XroadVnpt-hash-header", mac);
}

static int auth(struct fx *fx, struct hdrs *h, int64_t max_skew, struct lt_vxp_call *call, struct lt_err *err)
{
	memset(err, 0, sizeof *err);
	return lt_vxp_authenticate(fx->s, fx->key, hdr_get, h, max_skew, VN_OFFSET, call, err);
}

/* The refusal every bad call must get: LT_EAUTH, a message containing
 * `words`, and nothing left in the call. */
static void assert_refused(struct fx *fx, struct hdrs *h, int64_t max_skew, const char *words)
{
	struct lt_vxp_call call;
	struct lt_err err;
	int rc = auth(fx, h, max_skew, &call, &err);
	if (rc != LT_EAUTH || !strstr(err.msg, words))
		fail_msg("expected LT_EAUTH mentioning \"%s\", got %d: %s", words, rc, err.msg);
	assert_int_equal(err.status, LT_EAUTH);
	assert_null(call.params);
	assert_int_equal(call.ctx.who.system_id, 0);
	lt_vxp_call_clear(&call);
}

/* The inbox list call in the order the SDK's HashMap gave it (§3.7): not
 * insertion order, not sorted. */
static const char LIST_SIGN[] = "{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-servicetype\":\"eDoc\","
				"\"XroadVnpt-messagetype\":\"edoc\",\"XroadVnpt-timestamp\":\"" TS "\","
				"\"XroadVnpt-Content-Type\":\"application/json\"}";

static void list_headers(struct hdrs *h)
{
	hdr_set(h, "XroadVnpt-systemid", G22);
	hdr_set(h, "XroadVnpt-servicetype", "eDoc");
	hdr_set(h, "XroadVnpt-messagetype", "edoc");
	hdr_set(h, "XroadVnpt-timestamp", TS);
	hdr_set(h, "XroadVnpt-Content-Type", "application/json");
	hdr_set(h, "Content-Type", "application/json");
}

static void test_authenticates_in_sdk_order(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	list_headers(&h);
	signed_call(&h, LIST_SIGN, fx->g22_secret);
	struct lt_vxp_call call;
	struct lt_err err;
	assert_int_equal(auth(fx, &h, 0, &call, &err), LT_OK);
	assert_int_equal(call.ctx.who.role, LT_ROLE_SYSTEM);
	assert_int_equal(call.ctx.who.system_id, fx->g22_id);
	assert_string_equal(call.ctx.who.name, "văn thư VPCP");
	assert_string_equal(call.systemid, G22);
	/* The parameters are the signed keys without their prefix; names match
	 * without regard to case, values keep theirs. */
	assert_int_equal(json_object_size(call.params), 5);
	assert_string_equal(lt_vxp_param(&call, "messagetype"), "edoc");
	assert_string_equal(lt_vxp_param(&call, "MessageType"), "edoc");
	assert_string_equal(lt_vxp_param(&call, "content-type"), "application/json");
	assert_string_equal(lt_vxp_param(&call, "timestamp"), TS);
	assert_null(lt_vxp_param(&call, "docId"));
	lt_vxp_call_clear(&call);
	assert_null(call.params);
	hdr_free(&h);
}

static void test_params_come_from_signed_json(void **state)
{
	struct fx *fx = *state;
	/* updateStatus as the SDK orders it, with docId signed in that case, a
	 * Vietnamese description, whitespace the client's serialiser chose, and
	 * no loose copies at all: the signed string alone carries the values. */
	const char *sign =
		"{\"XroadVnpt-systemid\": \"" G22 "\", \"XroadVnpt-docId\": \"0123456789abcdef0123456789abcdef\","
		" \"XroadVnpt-timestamp\": \"" TS "\", \"XroadVnpt-Content-Type\": \"application/json\","
		" \"XroadVnpt-status\": \"done\", \"XroadVnpt-description\": \"Đã nhận văn bản\"}";
	struct hdrs h = {0};
	signed_call(&h, sign, fx->g22_secret);
	struct lt_vxp_call call;
	struct lt_err err;
	assert_int_equal(auth(fx, &h, 0, &call, &err), LT_OK);
	assert_string_equal(lt_vxp_param(&call, "docId"), "0123456789abcdef0123456789abcdef");
	assert_string_equal(lt_vxp_param(&call, "docid"), "0123456789abcdef0123456789abcdef"); /* Bkav */
	assert_string_equal(lt_vxp_param(&call, "status"), "done");
	assert_string_equal(lt_vxp_param(&call, "description"), "Đã nhận văn bản");
	lt_vxp_call_clear(&call);

	/* A loose header that agrees with its signed value is fine too, and a
	 * loose header nobody signed is not a parameter. */
	hdr_set(&h, "XroadVnpt-status", "done");
	hdr_set(&h, "XroadVnpt-description", "Đã nhận văn bản");
	hdr_set(&h, "XroadVnpt-filePath", "/srv/evil");
	assert_int_equal(auth(fx, &h, 0, &call, &err), LT_OK);
	assert_null(lt_vxp_param(&call, "filePath"));
	lt_vxp_call_clear(&call);
	hdr_free(&h);
}

static void test_one_changed_byte_is_refused(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	list_headers(&h);
	signed_call(&h, LIST_SIGN, fx->g22_secret);
	/* The same MAC over a sign-header with one byte changed. */
	char *changed = strdup(LIST_SIGN);
	char *p = strstr(changed, "\"edoc\"");
	assert_non_null(p);
	p[1] = 'E';
	hdr_set(&h, "XroadVnpt-sign-header", changed);
	hdr_set(&h, "XroadVnpt-messagetype", "Edoc");
	assert_refused(fx, &h, 0, "no connected system " G22 " with a secret that makes this signature");
	/* And the MAC itself with one digit changed. */
	char mac[65];
	hmac_hex(fx->g22_secret, LIST_SIGN, mac);
	mac[10] = mac[10] == '0' ? '1' : '0';
	hdr_set(&h, "XroadVnpt-sign-header", LIST_SIGN);
	hdr_set(&h, "XroadVnpt-messagetype", "edoc");
	hdr_set(&h, "XroadVnpt-hash-header", mac);
	assert_refused(fx, &h, 0, "vxp_secret");
	free(changed);
	hdr_free(&h);
}

static void test_wrong_secret_is_refused(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	list_headers(&h);
	signed_call(&h, LIST_SIGN, "not-the-secret-of-this-system");
	assert_refused(fx, &h, 0, "check the systemid and the vxp_secret");
	/* An empty key is not the secret either. */
	signed_call(&h, LIST_SIGN, "");
	assert_refused(fx, &h, 0, "vxp_secret");
	hdr_free(&h);
}

static void test_unknown_systemid_is_refused(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	/* A real unit with no connected system, signed with G22's secret. */
	const char *sign = "{\"XroadVnpt-systemid\":\"000.00.00.H26\",\"XroadVnpt-timestamp\":\"" TS "\"}";
	signed_call(&h, sign, fx->g22_secret);
	assert_refused(fx, &h, 0, "no connected system 000.00.00.H26");
	/* Not a code at all. */
	sign = "{\"XroadVnpt-systemid\":\"vpcp\",\"XroadVnpt-timestamp\":\"" TS "\"}";
	signed_call(&h, sign, fx->g22_secret);
	assert_refused(fx, &h, 0, "systemid 'vpcp' is not a code");
	/* No systemid signed. */
	sign = "{\"XroadVnpt-timestamp\":\"" TS "\"}";
	signed_call(&h, sign, fx->g22_secret);
	assert_refused(fx, &h, 0, "carry no systemid");
	hdr_free(&h);
}

static void test_loose_header_disagreeing_is_refused(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	list_headers(&h);
	signed_call(&h, LIST_SIGN, fx->g22_secret);
	hdr_set(&h, "XroadVnpt-messagetype", "status");
	assert_refused(fx, &h, 0, "header XroadVnpt-messagetype does not match its signed value");
	/* The case of a header name does not matter, its value does. */
	hdr_set(&h, "XroadVnpt-messagetype", "edoc");
	hdr_set(&h, "xroadvnpt-SYSTEMID", "000.00.00.H14");
	assert_refused(fx, &h, 0, "does not match its signed value");
	hdr_free(&h);
}

static void test_mangled_values_name_the_explicit_port(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	/* With an explicit port the SDK writes one byte per character: Latin-1
	 * bytes that are not UTF-8, while the MAC covers the UTF-8. */
	const char *utf8 = "{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-description\":\"caf\xc3\xa9\"}";
	const char *latin1 = "{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-description\":\"caf\xe9\"}";
	signed_call(&h, utf8, fx->g22_secret);
	hdr_set(&h, "XroadVnpt-sign-header", latin1);
	assert_refused(fx, &h, 0, "XroadVnpt-sign-header is not UTF-8");
	assert_refused(fx, &h, 0, "explicit port");
	/* Beyond Latin-1 the SDK writes '?': valid text, wrong MAC. */
	const char *vi =
		"{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-description\":\"\xc4\x90\xc3\xa3 nh\xe1\xba\xadn\"}";
	const char *qm = "{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-description\":\"?\xc3\xa3 nh?n\"}";
	signed_call(&h, vi, fx->g22_secret);
	hdr_set(&h, "XroadVnpt-sign-header", qm);
	assert_refused(fx, &h, 0, "explicit port");
	/* A loose copy mangled the same way while the sign-header survived. */
	signed_call(&h, vi, fx->g22_secret);
	hdr_set(&h, "XroadVnpt-description", "?\xc3\xa3 nh?n");
	assert_refused(fx, &h, 0, "explicit port");
	hdr_free(&h);
}

static void test_malformed_hash_header_is_refused(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	list_headers(&h);
	char mac[65];
	hmac_hex(fx->g22_secret, LIST_SIGN, mac);
	hdr_set(&h, "XroadVnpt-sign-header", LIST_SIGN);
	static const char *const bad[] = {
		"",
		"zz",
		"0123",                                                              /* short */
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",   /* 63 */
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", /* 65 */
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",  /* not hex */
		"0x23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",  /* sscanf would take 0x */
		" 123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",  /* nor a space */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		hdr_set(&h, "XroadVnpt-hash-header", bad[i]);
		assert_refused(fx, &h, 0, "XroadVnpt-hash-header must be 64 hex digits");
	}
	/* Upper-case hex is still hex. */
	for (char *p = mac; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	hdr_set(&h, "XroadVnpt-hash-header", mac);
	struct lt_vxp_call call;
	struct lt_err err;
	assert_int_equal(auth(fx, &h, 0, &call, &err), LT_OK);
	lt_vxp_call_clear(&call);
	/* Either header missing. */
	struct hdrs none = {0};
	hdr_set(&none, "XroadVnpt-sign-header", LIST_SIGN);
	assert_refused(fx, &none, 0, "missing XroadVnpt-sign-header or XroadVnpt-hash-header");
	hdr_free(&none);
	hdr_set(&none, "XroadVnpt-hash-header", mac);
	assert_refused(fx, &none, 0, "sign the call as the VXP SDK does");
	hdr_free(&none);
	hdr_free(&h);
}

static void test_non_object_sign_header_is_refused(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	static const char *const bad[] = {
		"[\"XroadVnpt-systemid\",\"000.00.00.G22\"]",
		"\"000.00.00.G22\"",
		"42",
		"{\"XroadVnpt-systemid\":\"000.00.00.G22\"",
		"{\"XroadVnpt-systemid\":\"000.00.00.G22\",\"XroadVnpt-systemid\":\"000.00.00.H26\"}",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		signed_call(&h, bad[i], fx->g22_secret);
		assert_refused(fx, &h, 0, "XroadVnpt-sign-header is not a JSON object");
	}
	hdr_free(&h);
}

static void test_non_string_value_is_refused(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	static const char *const bad[] = {
		"{\"XroadVnpt-systemid\":\"000.00.00.G22\",\"XroadVnpt-count\":5}",
		"{\"XroadVnpt-systemid\":\"000.00.00.G22\",\"XroadVnpt-to\":[\"000.00.00.H26\"]}",
		"{\"XroadVnpt-systemid\":null}",
		"{\"XroadVnpt-systemid\":\"000.00.00.G22\",\"XroadVnpt-x\":{}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		signed_call(&h, bad[i], fx->g22_secret);
		assert_refused(fx, &h, 0, "with a text value");
	}
	/* A signed key without the prefix is refused the same way. */
	signed_call(&h, "{\"XroadVnpt-systemid\":\"000.00.00.G22\",\"systemid\":\"000.00.00.H26\"}", fx->g22_secret);
	assert_refused(fx, &h, 0, "signed key 'systemid' is not an XroadVnpt- header");
	hdr_free(&h);
}

/* The SDK's timestamp of instant t on a clock in Việt Nam (UTC+7). */
static void sdk_timestamp(time_t t, char out[32])
{
	struct tm tm;
	t += VN_OFFSET * 60;
	gmtime_r(&t, &tm);
	snprintf(out, 32, "%02d%02d%04dT%02d%02d%02d+0123", tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

static void test_stale_timestamp_is_refused_when_asked(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	char ts[32], sign[256];
	struct lt_vxp_call call;
	struct lt_err err;
	/* Off (0) by default: the SDK freezes its timestamp for hours. */
	list_headers(&h);
	signed_call(&h, LIST_SIGN, fx->g22_secret);
	assert_int_equal(auth(fx, &h, 0, &call, &err), LT_OK);
	lt_vxp_call_clear(&call);
	assert_refused(fx, &h, 300, "beyond vxp_max_clock_skew (300 s)");
	hdr_free(&h);
	/* Two hours old against a five-minute window. */
	sdk_timestamp(time(NULL) - 7200, ts);
	snprintf(sign, sizeof sign, "{\"XroadVnpt-timestamp\":\"%s\",\"XroadVnpt-systemid\":\"" G22 "\"}", ts);
	signed_call(&h, sign, fx->g22_secret);
	assert_refused(fx, &h, 300, "vxp_max_clock_skew");
	/* Fresh is fine. */
	sdk_timestamp(time(NULL) - 5, ts);
	snprintf(sign, sizeof sign, "{\"XroadVnpt-timestamp\":\"%s\",\"XroadVnpt-systemid\":\"" G22 "\"}", ts);
	signed_call(&h, sign, fx->g22_secret);
	assert_int_equal(auth(fx, &h, 300, &call, &err), LT_OK);
	lt_vxp_call_clear(&call);
	/* Unreadable or missing, when a window is asked for. */
	signed_call(&h, "{\"XroadVnpt-timestamp\":\"yesterday\",\"XroadVnpt-systemid\":\"" G22 "\"}", fx->g22_secret);
	assert_refused(fx, &h, 300, "timestamp 'yesterday' is not ddMMyyyyTHHmmss+SSSS");
	signed_call(&h, "{\"XroadVnpt-systemid\":\"" G22 "\"}", fx->g22_secret);
	assert_refused(fx, &h, 300, "is not ddMMyyyyTHHmmss+SSSS");
	hdr_free(&h);
}

/* ---- hash-file ---- */

static void test_hash_file_unpadded(void **state)
{
	(void)state;
	/* Find a body whose digest has bytes below 0x10, first among them, so
	 * the SDK's per-byte %x drops digits. */
	unsigned char sha[32];
	char body[32];
	int leading = 0;
	for (int i = 0; i < 100000; i++) {
		snprintf(body, sizeof body, "<edXML>%d</edXML>", i);
		unsigned int n = 0;
		assert_int_equal(EVP_Digest(body, strlen(body), sha, &n, EVP_sha256(), NULL), 1);
		leading = 0;
		for (int k = 0; k < 32; k++)
			leading += sha[k] < 0x10;
		if (sha[0] < 0x10 && leading >= 3)
			break;
	}
	assert_true(sha[0] < 0x10 && leading >= 3);
	char unpadded[65] = "", padded[65];
	size_t o = 0;
	for (int k = 0; k < 32; k++) {
		o += (size_t)snprintf(unpadded + o, sizeof unpadded - o, "%x", sha[k]);
		snprintf(padded + 2 * k, 3, "%02x", sha[k]);
	}
	assert_int_equal(strlen(unpadded), 64 - leading);
	assert_true(lt_vxp_hash_file_matches(sha, unpadded));
	assert_true(lt_vxp_hash_file_matches(sha, padded));
	/* Hex digits in upper case are the same digest. */
	char upper[65];
	for (size_t k = 0; k <= strlen(padded); k++)
		upper[k] = (char)(padded[k] >= 'a' && padded[k] <= 'f' ? padded[k] - 32 : padded[k]);
	assert_true(lt_vxp_hash_file_matches(sha, upper));
	/* Anything else is not. */
	assert_false(lt_vxp_hash_file_matches(sha, NULL));
	assert_false(lt_vxp_hash_file_matches(sha, ""));
	char cut[65];
	snprintf(cut, sizeof cut, "%.*s", (int)strlen(padded) - 1, padded);
	assert_false(lt_vxp_hash_file_matches(sha, cut));
	snprintf(cut, sizeof cut, "%s", unpadded + 1);
	assert_false(lt_vxp_hash_file_matches(sha, cut));
	char other[65];
	snprintf(other, sizeof other, "%s", padded);
	other[63] = other[63] == '0' ? '1' : '0';
	assert_false(lt_vxp_hash_file_matches(sha, other));
	/* The padded form with its leading zero dropped is neither form. */
	assert_false(lt_vxp_hash_file_matches(sha, padded + 1));
}

/* ---- sendEdoc's `to` ---- */

static void test_parse_to(void **state)
{
	(void)state;
	struct lt_codelist to = {0};
	struct lt_err err = {0};
	/* An array, as JSON text. */
	assert_int_equal(lt_vxp_parse_to("[\"000.00.00.G22\",\"000.00.00.H14\"]", &to, &err), LT_OK);
	assert_int_equal(to.n, 2);
	assert_string_equal(to.codes[0], "000.00.00.G22");
	assert_string_equal(to.codes[1], "000.00.00.H14");
	lt_codelist_free(&to);
	memset(&to, 0, sizeof to);
	/* One code as a JSON string, quotes included. */
	assert_int_equal(lt_vxp_parse_to("\"000.00.00.G22\"", &to, &err), LT_OK);
	assert_int_equal(to.n, 1);
	assert_string_equal(to.codes[0], "000.00.00.G22");
	lt_codelist_free(&to);
	memset(&to, 0, sizeof to);
	/* Garbage of each kind, each with a reason. */
	static const struct {
		const char *text, *words;
	} bad[] = {
		{"000.00.00.G22", "'to' is not JSON text"}, /* the quotes forgotten */
		{"[\"000.00.00.G22\"", "'to' is not JSON text"},
		{"", "'to' is not JSON text"},
		{"{\"to\":\"000.00.00.G22\"}", "'to' must be a code or an array of codes"},
		{"42", "'to' must be a code or an array of codes"},
		{"[\"000.00.00.G22\",\"khong-phai-ma\"]", "'to'[1]: "},
		{"\"khong-phai-ma\"", "'to'[0]: "},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		int rc = lt_vxp_parse_to(bad[i].text, &to, &err);
		if (rc != LT_EINVAL || !strstr(err.msg, bad[i].words))
			fail_msg("to=%s: expected LT_EINVAL with \"%s\", got %d: %s", bad[i].text, bad[i].words, rc,
				 err.msg);
		lt_codelist_free(&to);
		memset(&to, 0, sizeof to);
	}
}

/* An element that is not text is refused like a bad code: LT_EINVAL in err
 * too (the HTTP layer answers from err), naming the element. */
static void test_parse_to_names_an_element_that_is_not_text(void **state)
{
	(void)state;
	static const struct {
		const char *text, *words;
	} bad[] = {
		{"[1]", "'to'[0] is a number"},
		{"[null]", "'to'[0] is null"},
		{"[\"000.00.00.G22\",7]", "'to'[1] is a number"},
		{"[\"000.00.00.G22\",{}]", "'to'[1] is an object"},
		{"[[\"000.00.00.G22\"]]", "'to'[0] is an array"},
		{"[true]", "'to'[0] is a boolean"},
		{"[\"000.00.00.G22\",\"khong-phai-ma\"]", "'to'[1]: "},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct lt_codelist to = {0};
		struct lt_err err = {0};
		int rc = lt_vxp_parse_to(bad[i].text, &to, &err);
		if (rc != LT_EINVAL || err.status != LT_EINVAL || !strstr(err.msg, bad[i].words))
			fail_msg("to=%s: expected LT_EINVAL in rc and err with \"%s\", got %d/%d: %s", bad[i].text,
				 bad[i].words, rc, err.status, err.msg);
		lt_codelist_free(&to);
		/* Without an err to fill, the same answer. */
		memset(&to, 0, sizeof to);
		assert_int_equal(lt_vxp_parse_to(bad[i].text, &to, NULL), LT_EINVAL);
		lt_codelist_free(&to);
	}
}

/* ---- sendEdoc's parameters ---- */

/* SHA-256("abc") as the SDK writes it: no zero padding. */
#define ABC_SDK "ba7816bf8f1cfea414140de5dae2223b0361a396177a9cb410ff61f2015ad"

static void call_with(struct lt_vxp_call *call, const char *params_json)
{
	memset(call, 0, sizeof *call);
	json_error_t je;
	call->params = json_loads(params_json, 0, &je);
	assert_non_null(call->params);
}

static void test_send_check_requires_hash_file(void **state)
{
	(void)state;
	struct lt_vxp_call call;
	struct lt_err err;
	static const struct {
		const char *params, *words;
	} bad[] = {
		/* The SDK always signs hash-file (§3.7); a call without it is not one
		 * of the SDK's, and nothing could check the upload. */
		{"{\"systemid\":\"" G22 "\",\"from\":\"" G22 "\",\"messagetype\":\"edoc\"}", "needs hash-file"},
		{"{\"systemid\":\"" G22 "\",\"hash-file\":\"\"}", "needs hash-file"},
		{"{\"systemid\":\"" G22 "\",\"hash-file\":\"not-a-digest\"}", "is not a SHA-256 in hex"},
		{"{\"systemid\":\"" G22 "\",\"hash-file\":\"abc\"}", "is not a SHA-256 in hex"},
		{"{\"hash-file\":\"" ABC_SDK "\",\"to\":\"[1]\"}", "'to'[0] is a number"},
		{"{\"hash-file\":\"" ABC_SDK "\",\"to\":\"G22\"}", "'to' is not JSON text"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		call_with(&call, bad[i].params);
		memset(&err, 0, sizeof err);
		int rc = lt_vxp_send_check(&call, &err);
		if (rc != LT_EINVAL || err.status != LT_EINVAL || !strstr(err.msg, bad[i].words))
			fail_msg("%s: expected LT_EINVAL with \"%s\", got %d: %s", bad[i].params, bad[i].words, rc,
				 err.msg);
		lt_vxp_call_clear(&call);
	}
	/* The SDK's unpadded form, the padded one, upper case; `to` in both of
	 * the SDK's forms, or absent. */
	static const char *const good[] = {
		"{\"hash-file\":\"" ABC_SDK "\"}",
		"{\"hash-file\":\"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\","
		"\"to\":\"[\\\"000.00.00.G22\\\",\\\"000.00.00.H14\\\"]\"}",
		"{\"Hash-File\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\","
		"\"to\":\"\\\"000.00.00.G22\\\"\"}",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		call_with(&call, good[i]);
		memset(&err, 0, sizeof err);
		if (lt_vxp_send_check(&call, &err) != LT_OK)
			fail_msg("%s: %s", good[i], err.msg);
		lt_vxp_call_clear(&call);
	}
}

/* The SDK signs docId (§3.7), Bkav docid: either works alone, both with one
 * value work, both with different values are refused rather than guessed,
 * once the signature holds, even with loose copies of both (which HTTP
 * cannot tell apart). */
static void test_parameter_spelt_in_two_cases(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	struct lt_vxp_call call;
	struct lt_err err;
	const char *both = "{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-docId\":\"aaa\","
			   "\"XroadVnpt-timestamp\":\"" TS "\",\"XroadVnpt-docid\":\"bbb\","
			   "\"XroadVnpt-status\":\"done\"}";
	signed_call(&h, both, fx->g22_secret);
	for (int loose = 0; loose < 2; loose++) {
		if (loose) {
			hdr_set(&h, "XroadVnpt-docId", "aaa");
			hdr_set(&h, "XroadVnpt-docid", "bbb"); /* the same header for HTTP */
		}
		int rc = auth(fx, &h, 0, &call, &err);
		if (rc != LT_EINVAL || err.status != LT_EINVAL || !strstr(err.msg, "docId 'aaa'") ||
		    !strstr(err.msg, "docid 'bbb'") || !strstr(err.msg, "sign each parameter once"))
			fail_msg("loose=%d: expected LT_EINVAL naming both spellings, got %d: %s", loose, rc, err.msg);
		assert_null(call.params);
	}
	hdr_free(&h);
	/* Not before the signature: a wrong secret is still a 401. */
	signed_call(&h, both, "not-the-secret");
	assert_refused(fx, &h, 0, "vxp_secret");
	hdr_free(&h);
	/* One value under both spellings is one parameter. */
	const char *same =
		"{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-docid\":\"aaa\",\"XroadVnpt-docId\":\"aaa\"}";
	signed_call(&h, same, fx->g22_secret);
	assert_int_equal(auth(fx, &h, 0, &call, &err), LT_OK);
	assert_string_equal(lt_vxp_param(&call, "docId"), "aaa");
	lt_vxp_call_clear(&call);
	hdr_free(&h);
	/* Bkav's alone. */
	signed_call(&h, "{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-docid\":\"ccc\"}", fx->g22_secret);
	assert_int_equal(auth(fx, &h, 0, &call, &err), LT_OK);
	assert_string_equal(lt_vxp_param(&call, "docId"), "ccc");
	lt_vxp_call_clear(&call);
	hdr_free(&h);
}

static void test_systemid_spelt_in_two_cases_is_refused(void **state)
{
	struct fx *fx = *state;
	struct hdrs h = {0};
	/* Signed with G22's own secret: the HMAC alone would pass. */
	const char *sign = "{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-SystemId\":\"000.00.00.H26\","
			   "\"XroadVnpt-timestamp\":\"" TS "\"}";
	signed_call(&h, sign, fx->g22_secret);
	assert_refused(fx, &h, 0, "sign it once");
	/* The same value twice is one parameter. */
	sign = "{\"XroadVnpt-systemid\":\"" G22 "\",\"XroadVnpt-SystemId\":\"" G22 "\",\"XroadVnpt-timestamp\":\"" TS
	       "\"}";
	signed_call(&h, sign, fx->g22_secret);
	struct lt_vxp_call call;
	struct lt_err err;
	assert_int_equal(auth(fx, &h, 0, &call, &err), LT_OK);
	lt_vxp_call_clear(&call);
	hdr_free(&h);
}

/* ---- lists built from stored text ---- */

/* A stored field that is not UTF-8 (a damaged row) makes jansson refuse
 * the row: the list fails with a reason in err, never LT_OK with the row
 * missing, never a status-less err that reads as "success". */
static void test_agencies_with_a_damaged_row_fail_honestly(void **state)
{
	struct fx *fx = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE units SET email = CAST(X'6D61FF6C' AS TEXT) WHERE code = '000.00.00.H14'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	for (int which = LT_VXP_AGENCIES; which <= LT_VXP_SYNCHRONIZE; which++) {
		json_t *data = NULL;
		struct lt_err err = {0};
		int rc = lt_vxp_agencies(fx->r, (enum lt_vxp_agencies)which, &data, &err);
		if (rc == LT_OK) {
			/* A store that repairs text as it reads it is fine too, as long
			 * as every unit is listed. */
			assert_int_equal(json_array_size(data), 3);
			json_decref(data);
			continue;
		}
		assert_null(data);
		assert_int_equal(err.status, rc);
		assert_int_equal(rc, LT_EIO);
		assert_non_null(strstr(err.msg, "000.00.00.H14"));
		json_t *env = lt_vxp_fail(&err);
		assert_non_null(env);
		assert_string_equal(json_string_value(json_object_get(env, "status")), "FAIL");
		assert_string_equal(json_string_value(json_object_get(env, "ErrorCode")), "500");
		assert_string_equal(json_string_value(json_object_get(env, "ErrorDesc")), err.msg);
		json_decref(env);
	}
}

/* ---- the reply envelope ---- */

static void test_envelope(void **state)
{
	(void)state;
	json_t *ok = lt_vxp_ok();
	assert_string_equal(json_string_value(json_object_get(ok, "status")), "OK");
	assert_string_equal(json_string_value(json_object_get(ok, "ErrorCode")), "0");
	assert_true(json_is_string(json_object_get(ok, "ErrorDesc")));
	json_decref(ok);
	struct lt_err err = {0};
	lt_err_set(&err, LT_EAUTH, "no connected system");
	json_t *f = lt_vxp_fail(&err);
	assert_string_equal(json_string_value(json_object_get(f, "status")), "FAIL");
	assert_string_equal(json_string_value(json_object_get(f, "ErrorCode")), "401");
	assert_string_equal(json_string_value(json_object_get(f, "ErrorDesc")), "no connected system");
	json_decref(f);
}

static void assert_fail_envelope(json_t *f, const char *code)
{
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "status")), "FAIL");
	assert_string_equal(json_string_value(json_object_get(f, "ErrorCode")), code);
	const char *desc = json_string_value(json_object_get(f, "ErrorDesc"));
	assert_non_null(desc);
	assert_true(desc[0]);
	if (strcasestr(desc, "success"))
		fail_msg("a failure envelope says \"%s\"", desc);
	json_decref(f);
}

/* Whatever it is given, the failure envelope is a failure. */
static void test_failure_envelope_never_says_success(void **state)
{
	(void)state;
	/* An err nobody filled: a callback that returned a status but wrote no
	 * reason. */
	struct lt_err blank = {0};
	assert_fail_envelope(lt_vxp_fail(&blank), "500");
	/* A status without a message. */
	struct lt_err bare = {.status = LT_ENOTFOUND};
	assert_fail_envelope(lt_vxp_fail(&bare), "404");
	/* A message cut inside a multi-byte character, or with stray bytes:
	 * jansson refuses it, the envelope still goes out with '?' for them. */
	struct lt_err cut = {0};
	lt_err_set(&cut, LT_EINVAL, "unknown VXP operation 'g\xe1\xba' \xff");
	json_t *f = lt_vxp_fail(&cut);
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "ErrorDesc")), "unknown VXP operation 'g?"
										"?' ?");
	assert_fail_envelope(f, "400");
	/* From an HTTP status, as the server's own refusals come. */
	assert_fail_envelope(lt_vxp_fail_http(405, "PUT is not allowed on /vxp/sendEdoc"), "405");
	assert_fail_envelope(lt_vxp_fail_http(413, NULL), "413");
	assert_fail_envelope(lt_vxp_fail_http(200, "not a failure?"), "500");
	assert_fail_envelope(lt_vxp_fail_http(0, ""), "500");
	f = lt_vxp_fail_http(400, "\xc4\x90\xc3\xa3 x\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 y");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "ErrorDesc")), "\xc4\x90\xc3\xa3 x?? ??? ???? y");
	json_decref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_authenticates_in_sdk_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_params_come_from_signed_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_changed_byte_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secret_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_systemid_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loose_header_disagreeing_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mangled_values_name_the_explicit_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_hash_header_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_object_sign_header_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_string_value_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_timestamp_is_refused_when_asked, setup, teardown),
		cmocka_unit_test(test_hash_file_unpadded),
		cmocka_unit_test(test_parse_to),
		cmocka_unit_test(test_parse_to_names_an_element_that_is_not_text),
		cmocka_unit_test(test_send_check_requires_hash_file),
		cmocka_unit_test_setup_teardown(test_parameter_spelt_in_two_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_systemid_spelt_in_two_cases_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agencies_with_a_damaged_row_fail_honestly, setup, teardown),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_failure_envelope_never_says_success),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
