/* libFuzzer target for the VXP authentication parser: the input is split on
 * NUL bytes into the XroadVnpt-sign-header, the hash-header, and a loose
 * header value, plus a `to` list; nothing may crash, leak or authenticate
 * (the store knows no system). The same text also goes through sendEdoc's
 * parameter check (the sign-header read as the signed parameters) and into
 * failure envelopes, which must always be built and always say FAIL. The
 * fourth part and the signed fromDate/toDate go through the date parser,
 * which reads a date in range or refuses it, at any allowed offset. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lienthong/vxp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct lt_registry *reg;
static const unsigned char key[LT_SEAL_KEY_BYTES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char path[64];
	snprintf(path, sizeof path, "/tmp/lt-fuzz-vxp-%d.db", (int)getpid());
	unlink(path);
	if (lt_registry_open(&reg, path, NULL) != LT_OK)
		abort();
	return 0;
}

struct parts {
	const char *v[4];
};

static const char *hdr(void *ctx, const char *name)
{
	struct parts *p = ctx;
	if (strcmp(name, "XroadVnpt-sign-header") == 0)
		return p->v[0];
	if (strcmp(name, "XroadVnpt-hash-header") == 0)
		return p->v[1];
	if (strncmp(name, "XroadVnpt-", 10) == 0)
		return p->v[2];
	return NULL;
}

static void check_date(const char *text, int offset)
{
	char out[LT_VXP_DATE_BUFSZ] = "x";
	struct lt_err err = {0};
	int rc = lt_vxp_date("fromDate", text, offset, out, &err);
	if (rc == LT_OK ? out[0] && strlen(out) != 19 : err.status != rc || !err.msg[0] || out[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 5);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(buf + size, 0, 5);
	struct parts p = {{NULL, NULL, NULL, NULL}};
	char *s = buf;
	for (int i = 0; i < 4; i++) {
		p.v[i] = s;
		s += strlen(s) + 1;
		if (s > buf + size)
			s = buf + size;
	}
	if (!*p.v[2])
		p.v[2] = NULL;
	struct lt_vxp_call call;
	struct lt_err err = {0};
	int rc = lt_vxp_authenticate(lt_registry_store(reg), key, hdr, &p, 60, 420, &call, &err);
	if (rc == LT_OK)
		abort(); /* no system exists: nothing can authenticate */
	if (!err.msg[0])
		abort();
	struct lt_codelist to = {0};
	lt_vxp_parse_to(p.v[3], &to, NULL);
	lt_codelist_free(&to);
	memset(&to, 0, sizeof to);
	struct lt_err terr = {0};
	rc = lt_vxp_parse_to(p.v[3], &to, &terr);
	lt_codelist_free(&to);
	if (rc != LT_OK && (terr.status != rc || !terr.msg[0]))
		abort(); /* a refusal the HTTP layer could not answer from err */
	unsigned char sha[32] = {0};
	lt_vxp_hash_file_matches(sha, p.v[3]);
	/* A date parameter, at any offset vxp_utc_offset allows: read in
	 * range as 19 characters, or refused with its reason. */
	check_date(p.v[3], (int)(size % 1561) - 720);
	/* sendEdoc's check over whatever object of strings the sign-header is. */
	json_error_t je;
	struct lt_vxp_call sc = {0};
	sc.params = json_loads(p.v[0], JSON_REJECT_DUPLICATES, &je);
	bool strings = json_is_object(sc.params);
	const char *k;
	json_t *v;
	json_object_foreach(sc.params, k, v) { strings = strings && json_is_string(v); }
	if (strings) {
		struct lt_err serr = {0};
		rc = lt_vxp_send_check(&sc, &serr);
		if (rc != LT_OK && (serr.status != rc || !serr.msg[0]))
			abort();
		/* The parameters the operations read, as signed (any case). */
		check_date(lt_vxp_param(&sc, "fromDate"), 420);
		check_date(lt_vxp_param(&sc, "toDate"), -720);
		lt_vxp_param(&sc, p.v[2] ? p.v[2] : "docId");
	}
	lt_vxp_call_clear(&sc);
	/* Envelopes from any message, UTF-8 or not. */
	struct lt_err ferr = {0};
	lt_err_set(&ferr, LT_EINVAL, "%s", p.v[3]);
	json_t *envs[2] = {lt_vxp_fail(&ferr), lt_vxp_fail_http(size % 700, p.v[2] ? p.v[2] : p.v[3])};
	for (int i = 0; i < 2; i++) {
		const char *desc = json_string_value(json_object_get(envs[i], "ErrorDesc"));
		const char *code = json_string_value(json_object_get(envs[i], "ErrorCode"));
		if (!envs[i] || strcmp(json_string_value(json_object_get(envs[i], "status")), "FAIL") != 0 || !desc ||
		    !*desc || !code || code[0] < '4')
			abort();
		json_decref(envs[i]);
	}
	free(buf);
	return 0;
}
