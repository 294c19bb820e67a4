/* Signer certificates: what a certificate says (fingerprint, subject,
 * dates), whether it chains to a trusted CA, whether it names a code, and
 * whether it is bound to the code a package is sent from. */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lienthong/access.h"
#include "sign_impl.h"

void lt__asn1_time(const ASN1_TIME *t, char out[32])
{
	struct tm tm;
	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		out[0] = '\0';
}

static void fingerprint(X509 *x, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	X509_digest(x, EVP_sha256(), md, &n);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void lt__sig_take_cert(struct lt_sig_result *r, X509 *cert)
{
	if (r->cert)
		X509_free(r->cert);
	r->cert = cert;
	fingerprint(cert, r->fingerprint);
	X509_NAME_oneline(X509_get_subject_name(cert), r->subject, sizeof r->subject);
	lt__asn1_time(X509_get0_notBefore(cert), r->not_before);
	lt__asn1_time(X509_get0_notAfter(cert), r->not_after);
}

int lt_cert_parse(const char *pem, struct lt_cert *c, struct lt_err *err)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!x)
		return lt_err_set(err, LT_EINVAL, "not a PEM certificate (-----BEGIN CERTIFICATE-----)");
	fingerprint(x, c->fingerprint);
	X509_NAME_oneline(X509_get_subject_name(x), c->subject, sizeof c->subject);
	lt__asn1_time(X509_get0_notBefore(x), c->not_before);
	lt__asn1_time(X509_get0_notAfter(x), c->not_after);
	int rc = LT_OK;
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		rc = lt_err_set(err, LT_ERULE, "the certificate expired on %s", c->not_after);
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0)
		rc = lt_err_set(err, LT_ERULE, "the certificate is not valid before %s", c->not_before);
	X509_free(x);
	return rc;
}

int lt_sign_chain_ok(const struct lt_sig_result *r, const char *ca_pem, int64_t at, struct lt_err *err)
{
	if (!r->cert)
		return lt_err_set(err, LT_ERULE, "no signer certificate");
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = store && ctx ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
	char files[4096];
	snprintf(files, sizeof files, "%s", ca_pem);
	for (char *save = NULL, *f = strtok_r(files, ":", &save); f && rc == LT_OK; f = strtok_r(NULL, ":", &save))
		if (X509_STORE_load_file(store, f) != 1)
			rc = lt_err_set(err, LT_EIO, "cannot read the CA certificate %s", f);
	/* KeyInfo's other certificates are untrusted intermediates: they may
	 * complete a path to a trusted root, never be one. */
	if (rc == LT_OK && X509_STORE_CTX_init(ctx, store, r->cert, r->chain) == 1) {
		if (at > 0)
			X509_STORE_CTX_set_time(ctx, 0, (time_t)at);
		if (X509_verify_cert(ctx) != 1)
			rc = lt_err_set(err, LT_ERULE, "the signer certificate does not chain to a trusted CA: %s",
					X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	} else if (rc == LT_OK) {
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	/* A certificate whose key usage excludes signing (a TLS server's,
	 * say) does not sign documents, whoever issued it. */
	uint32_t ku = X509_get_key_usage(r->cert);
	if (rc == LT_OK && ku != UINT32_MAX && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		rc = lt_err_set(err, LT_ERULE, "the signer certificate's key usage does not allow signing");
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

/* code occurs in s as a token: not preceded or followed by a character
 * that could continue a code (digits, letters, '.'). */
static bool names_token(const char *s, size_t n, const char *code)
{
	size_t k = strlen(code);
	for (size_t i = 0; i + k <= n; i++) {
		if (memcmp(s + i, code, k) != 0)
			continue;
		bool before = i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.');
		bool after = i + k < n && (isalnum((unsigned char)s[i + k]) || s[i + k] == '.');
		if (!before && !after)
			return true;
	}
	return false;
}

bool lt_sign_cert_names(const struct lt_sig_result *r, const char *code)
{
	if (!r->cert || !code || !*code)
		return false;
	static const int nids[] = {NID_commonName, NID_userId, NID_serialNumber, NID_organizationalUnitName,
				   NID_organizationName};
	X509_NAME *name = X509_get_subject_name(r->cert);
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), wanted = 0;
		for (size_t j = 0; j < sizeof nids / sizeof nids[0]; j++)
			wanted |= nid == nids[j];
		if (!wanted)
			continue;
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		bool hit = n > 0 && names_token((char *)utf8, (size_t)n, code);
		OPENSSL_free(utf8);
		if (hit)
			return true;
	}
	GENERAL_NAMES *sans = X509_get_ext_d2i(r->cert, NID_subject_alt_name, NULL, NULL);
	bool hit = false;
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && !hit; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type == GEN_DNS || g->type == GEN_URI || g->type == GEN_EMAIL) {
			const ASN1_STRING *s = g->d.ia5;
			hit = s &&
			      names_token((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), code);
		}
	}
	GENERAL_NAMES_free(sans);
	return hit;
}

struct bind_ctx {
	const struct lt_sig_result *r;
	char at[32];
	bool bound;
	char why[200];
};

static int match_cert(void *vctx, const struct lt_cert *c)
{
	struct bind_ctx *b = vctx;
	if (strcmp(c->fingerprint, b->r->fingerprint) != 0)
		return 0;
	if (c->revoked[0])
		snprintf(b->why, sizeof b->why, "the signer certificate was revoked on %s", c->revoked);
	else if (strcmp(b->at, c->not_before) < 0 || strcmp(b->at, c->not_after) > 0)
		snprintf(b->why, sizeof b->why, "the signer certificate is valid from %s to %s, not at %s",
			 c->not_before, c->not_after, b->at);
	else
		b->bound = true;
	return b->bound ? 1 : 0;
}

int lt_sign_check_binding(struct lt_store *s, const struct lt_sig_result *r, const char *code, const char *ca_pem,
			  int64_t at, struct lt_err *err)
{
	if (!r->valid)
		return lt_err_set(err, LT_ERULE, "%s", r->reason[0] ? r->reason : "no valid signature");
	struct bind_ctx b = {r, "", false, ""};
	time_t when = at > 0 ? (time_t)at : time(NULL);
	struct tm tm;
	gmtime_r(&when, &tm);
	strftime(b.at, sizeof b.at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	int rc = lt_store_certs(s, code, match_cert, &b, err);
	if (rc < 0)
		return rc;
	if (b.bound)
		return LT_OK;
	if (ca_pem && *ca_pem) {
		struct lt_err cerr = {0};
		if (lt_sign_chain_ok(r, ca_pem, (int64_t)when, &cerr) == LT_OK) {
			if (lt_sign_cert_names(r, code))
				return LT_OK;
			return lt_err_set(err, LT_ERULE,
					  "the signer certificate (%s) chains to a trusted CA but does not name %s",
					  r->subject, code);
		}
		if (!b.why[0])
			snprintf(b.why, sizeof b.why, "%s", cerr.msg);
	}
	return lt_err_set(err, LT_ERULE, "%s",
			  b.why[0] ? b.why
				   : "the signer certificate is not bound to the sender code: register it with "
				     "POST /v1/units/{code}/certificates");
}

int lt_cert_register(struct lt_store *s, const struct lt_ctx *ctx, const char *code, const char *pem,
		     struct lt_cert *out, struct lt_err *err)
{
	struct lt_cert c;
	memset(&c, 0, sizeof c);
	int denied = lt_access_write(&ctx->who, code, err);
	if (denied)
		return denied;
	if (!pem || strlen(pem) > 65536)
		return lt_err_set(err, LT_EINVAL, "give one PEM certificate (at most 64 KiB)");
	int rc = lt_cert_parse(pem, &c, err);
	if (rc)
		return rc;
	struct lt_unit u;
	if ((rc = lt_store_unit_get(s, code, &u, err)))
		return rc;
	if (u.status != LT_UNIT_ACTIVE)
		return lt_err_set(err, LT_ERULE, "%s is closed: bind the certificate to its successor", code);
	snprintf(c.code, sizeof c.code, "%s", code);
	lt_time_now(c.added);
	c.pem = (char *)pem;
	if ((rc = lt_store_begin(s, err)))
		return rc;
	rc = lt_store_cert_add(s, &c, err);
	if (rc == LT_OK)
		rc = lt_store_commit(s, err);
	else
		lt_store_rollback(s);
	c.pem = NULL;
	if (rc == LT_OK && out)
		*out = c;
	return rc;
}

int lt_cert_revoke(struct lt_store *s, const struct lt_ctx *ctx, const char *code, int64_t id, struct lt_err *err)
{
	int denied = lt_access_write(&ctx->who, code, err);
	if (denied)
		return denied;
	char now[32];
	lt_time_now(now);
	int rc = lt_store_begin(s, err);
	if (rc)
		return rc;
	rc = lt_store_cert_revoke(s, code, id, now, err);
	if (rc == LT_OK)
		return lt_store_commit(s, err);
	lt_store_rollback(s);
	return rc;
}

int lt_cert_list(struct lt_store *s, const char *code, lt_cert_cb cb, void *ctx, struct lt_err *err)
{
	struct lt_unit u;
	int rc = lt_store_unit_get(s, code, &u, err);
	return rc ? rc : lt_store_certs(s, code, cb, ctx, err);
}
