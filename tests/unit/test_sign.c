/* XML-DSig on edXML packages (src/sign) with a throw-away CA made by
 * scripts/test-ca at the start: a package signed here verifies, a changed
 * byte or a swapped certificate does not, an unsigned or placeholder-signed
 * package says so, a signature over less than the whole package (URI="#x")
 * is never accepted even when it is cryptographically sound, and the
 * signer's certificate is bound to a code only while it is registered and
 * unrevoked (or chains to a trusted CA naming that code). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/pem.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "lienthong/registry.h"
#include "lienthong/sign.h"
#include "sign/sign_impl.h"

#define G22 "000.00.00.G22"
#define H26 "000.00.00.H26"
#define NS "http://www.mic.gov.vn/TBT/QCVN_102_2016"
#define RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

struct fx {
	char dir[64];
	char ca[128];   /* the CA's directory */
	char path[256]; /* scratch */
	const char *src;
	char sample[512];  /* a good edXML with a placeholder Signature */
	char minimal[512]; /* a good edXML without one */
	struct lt_registry *r;
	struct lt_store *s;
};

static const char units_csv[] =
	"code,name,parent,decision_number,decision_date,decision_issuer,valid_from\n"
	"000.00.00.G22,Văn phòng Chính phủ,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n"
	"000.00.00.H26,Ủy ban nhân dân thành phố Hà Nội,,20/2020/QĐ-TTg,2020-07-22,Thủ tướng Chính phủ,2020-07-22\n";

static int group_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->src = getenv("LT_SOURCE_DIR");
	if (!fx->src)
		fx->src = ".";
	fixture_tmpdir(fx->dir, sizeof fx->dir, "sign");
	snprintf(fx->ca, sizeof fx->ca, "%s/ca", fx->dir);
	/* G22 with an RSA key, an EC key and an expired certificate; H26 for a
	 * certificate that names another code. */
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "sh '%s/scripts/test-ca' '%s' " G22 " --ec " G22 " --expired " G22 " " H26 " >/dev/null", fx->src,
		 fx->ca);
	if (system(cmd) != 0)
		fail_msg("cannot make the test CA: %s", cmd);
	snprintf(fx->sample, sizeof fx->sample, "%s/tests/data/edxml/edoc-vnpt-new.edxml", fx->src);
	snprintf(fx->minimal, sizeof fx->minimal, "%s/tests/data/edxml/edoc-minimal.edxml", fx->src);
	char db[128];
	snprintf(db, sizeof db, "%s/t.db", fx->dir);
	fx->r = fixture_registry(db, units_csv);
	fx->s = lt_registry_store(fx->r);
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *fx = *state;
	lt_registry_close(fx->r);
	fixture_rmrf(fx->dir);
	free(fx);
	return 0;
}

/* ca/<code with _>[_ec|_expired].{key,pem} as test-ca names them. */
static const char *ca_file(struct fx *fx, const char *base, const char *ext)
{
	static char out[4][256];
	static int k;
	char *p = out[k++ % 4];
	snprintf(p, 256, "%s/%s.%s", fx->ca, base, ext);
	return p;
}

#define G22_RSA "000_00_00_G22"
#define G22_EC "000_00_00_G22_ec"
#define G22_OLD "000_00_00_G22_expired"
#define H26_RSA "000_00_00_H26"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot read %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spill(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

/* Replaces the first `from` in the file with `to`. */
static void edit(const char *path, const char *from, const char *to)
{
	char *text = slurp(path);
	char *p = strstr(text, from);
	if (!p)
		fail_msg("'%s' not in %s", from, path);
	size_t head = (size_t)(p - text), nf = strlen(from), nt = strlen(to);
	char *out = malloc(strlen(text) - nf + nt + 1);
	assert_non_null(out);
	memcpy(out, text, head);
	memcpy(out + head, to, nt);
	strcpy(out + head + nt, p + nf);
	spill(path, out);
	free(out);
	free(text);
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Signs `in` into `out` with a key/certificate pair from the CA. */
static void sign_to(struct fx *fx, const char *in, const char *out, const char *who, bool inclusive)
{
	FILE *f = fopen(out, "wb");
	assert_non_null(f);
	struct lt_err err = {0};
	struct lt_sign_opts o = {.inclusive_c14n = inclusive};
	int rc = lt_sign_file(in, ca_file(fx, who, "key"), ca_file(fx, who, "pem"), &o, f, &err);
	fclose(f);
	if (rc != LT_OK)
		fail_msg("signing %s with %s: %s", in, who, err.msg);
}

/* Verifies with the streaming verifier, and checks that the tree verifier
 * (xmlsec on the whole document) gives the same verdict for the same reason. */
static void verify(const char *path, struct lt_sig_result *r)
{
	struct lt_err err = {0};
	int rc = lt_sign_verify_file(path, 0, r, &err);
	if (rc != LT_OK)
		fail_msg("verifying %s: %s", path, err.msg);
	struct lt_sig_result d;
	rc = lt_sign_verify_dom(path, 0, 64u * 1024 * 1024, &d, &err);
	if (rc != LT_OK)
		fail_msg("verifying %s with a tree: %s", path, err.msg);
	if (d.valid != r->valid || d.present != r->present || strcmp(d.reason, r->reason) != 0 ||
	    strcmp(d.fingerprint, r->fingerprint) != 0)
		fail_msg("%s: streaming says %d/%d '%s', the tree %d/%d '%s'", path, r->present, r->valid, r->reason,
			 d.present, d.valid, d.reason);
	lt_sig_result_clear(&d);
}

static void test_sign_then_verify(void **state)
{
	struct fx *fx = *state;
	snprintf(fx->path, sizeof fx->path, "%s/signed.edxml", fx->dir);
	sign_to(fx, fx->sample, fx->path, G22_RSA, false);
	/* The placeholder is gone; one XML-DSig signature took its place, as
	 * the last child of edXMLHeader. */
	char *text = slurp(fx->path);
	assert_int_equal(count(text, "MIIFqTCCBJG"), 0);
	assert_int_equal(count(text, "</Signature>"), 1);
	assert_int_equal(count(text, "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"), 1);
	assert_non_null(strstr(text, "</Signature></edXML:edXMLHeader>"));
	free(text);

	struct lt_sig_result r;
	verify(fx->path, &r);
	assert_true(r.present);
	if (!r.valid)
		fail_msg("a package signed here does not verify: %s", r.reason);
	assert_string_equal(r.algorithm, RSA_SHA256);
	assert_int_equal(strlen(r.fingerprint), 64);
	assert_int_equal(strspn(r.fingerprint, "0123456789abcdef"), 64);
	assert_non_null(strstr(r.subject, G22));
	assert_int_equal(strlen(r.not_before), 20);
	assert_int_equal(strlen(r.not_after), 20);
	assert_non_null(r.cert);
	/* The fingerprint is the certificate's: the same as lt_cert_parse gives. */
	char *pem = slurp(ca_file(fx, G22_RSA, "pem"));
	struct lt_cert c;
	memset(&c, 0, sizeof c);
	struct lt_err err = {0};
	assert_int_equal(lt_cert_parse(pem, &c, &err), LT_OK);
	assert_string_equal(c.fingerprint, r.fingerprint);
	free(pem);
	lt_sig_result_clear(&r);
	assert_null(r.cert);

	/* Signing a signed package again replaces its signature. */
	char again[256];
	snprintf(again, sizeof again, "%s/again.edxml", fx->dir);
	sign_to(fx, fx->path, again, G22_RSA, false);
	text = slurp(again);
	assert_int_equal(count(text, "</Signature>"), 1);
	free(text);
	verify(again, &r);
	assert_true(r.valid);
	lt_sig_result_clear(&r);

	/* EC P-256 and inclusive C14N verify as well. */
	sign_to(fx, fx->minimal, again, G22_EC, true);
	verify(again, &r);
	if (!r.valid)
		fail_msg("EC: %s", r.reason);
	assert_string_equal(r.algorithm, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256");
	lt_sig_result_clear(&r);
}

static void test_tampered_is_invalid(void **state)
{
	struct fx *fx = *state;
	struct lt_sig_result r;
	snprintf(fx->path, sizeof fx->path, "%s/tampered.edxml", fx->dir);
	sign_to(fx, fx->sample, fx->path, G22_RSA, false);
	/* One word of the subject changed after signing. */
	edit(fx->path, "<edXML:Subject>Báo cáo", "<edXML:Subject>Bao cao");
	verify(fx->path, &r);
	assert_true(r.present);
	assert_false(r.valid);
	assert_non_null(strstr(r.reason, "changed after signing"));
	lt_sig_result_clear(&r);

	/* A recipient added after signing. */
	sign_to(fx, fx->sample, fx->path, G22_RSA, false);
	edit(fx->path, "<edXML:OrganId>000.00.01.A53</edXML:OrganId>", "<edXML:OrganId>000.00.00.H26</edXML:OrganId>");
	verify(fx->path, &r);
	assert_false(r.valid);
	lt_sig_result_clear(&r);

	/* Someone else's certificate in KeyInfo: the signature does not verify
	 * with it, so nobody can borrow a registered certificate. */
	sign_to(fx, fx->sample, fx->path, H26_RSA, false);
	char *mine = slurp(ca_file(fx, H26_RSA, "pem")), *theirs = slurp(ca_file(fx, G22_RSA, "pem"));
	char *b1 = strstr(mine, "-----\n") + 6, *b2 = strstr(theirs, "-----\n") + 6;
	*strstr(b1, "\n-----END") = '\0';
	*strstr(b2, "\n-----END") = '\0';
	/* xmlsec writes the certificate base64 in lines of 64, like PEM. */
	char *signed_text = slurp(fx->path);
	assert_non_null(strstr(signed_text, b1));
	free(signed_text);
	edit(fx->path, b1, b2);
	verify(fx->path, &r);
	assert_true(r.present);
	assert_false(r.valid);
	assert_non_null(strstr(r.subject, G22));
	free(mine);
	free(theirs);
	lt_sig_result_clear(&r);
}

static void test_unsigned_and_placeholders(void **state)
{
	struct fx *fx = *state;
	struct lt_sig_result r;
	/* No Signature at all. */
	verify(fx->minimal, &r);
	assert_false(r.present);
	assert_false(r.valid);
	assert_string_equal(r.reason, "the package is not signed");
	assert_null(r.cert);
	lt_sig_result_clear(&r);
	/* The samples' placeholder: un-namespaced, rsa-sha1, a truncated
	 * certificate. Present, never valid. */
	verify(fx->sample, &r);
	assert_true(r.present);
	assert_false(r.valid);
	assert_true(r.reason[0] != '\0');
	lt_sig_result_clear(&r);
	/* An empty element, as another integrator sends. */
	snprintf(fx->path, sizeof fx->path, "%s/empty-sig.edxml", fx->dir);
	char *text = slurp(fx->minimal);
	spill(fx->path, text);
	free(text);
	edit(fx->path, "</edXML:edXMLHeader>", "<edXML:DigitalSignature/></edXML:edXMLHeader>");
	verify(fx->path, &r);
	assert_false(r.valid);
	assert_non_null(strstr(r.reason, "not signed"));
	lt_sig_result_clear(&r);
	/* What is not XML, or declares entities, is an error, not a verdict. */
	struct lt_err err = {0};
	char bad[512];
	snprintf(bad, sizeof bad, "%s/tests/data/edxml/bad-not-xml.edxml", fx->src);
	assert_int_equal(lt_sign_verify_file(bad, 0, &r, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "not well-formed XML"));
	lt_sig_result_clear(&r);
	snprintf(bad, sizeof bad, "%s/tests/data/edxml/bad-billion-laughs.edxml", fx->src);
	memset(&err, 0, sizeof err);
	assert_int_not_equal(lt_sign_verify_file(bad, 0, &r, &err), LT_OK);
	assert_false(r.valid);
	lt_sig_result_clear(&r);
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_verify_file("/nonexistent/package.edxml", 0, &r, &err), LT_EIO);
	lt_sig_result_clear(&r);
}

/* A sound XML-DSig signature over MessageHeader only (Id="x"), made with
 * xmlsec directly, and checked with xmlsec to be cryptographically valid:
 * the hub must still refuse it, since the rest could then be changed. */
/* Fills a signature template with G22's RSA key and certificate, using
 * xmlsec directly (not the code under test). */
static void sign_template(struct fx *fx, xmlNodePtr sig)
{
	xmlNodePtr x509 = xmlSecTmplKeyInfoAddX509Data(xmlSecTmplSignatureEnsureKeyInfo(sig, NULL));
	assert_non_null(x509);
	assert_non_null(xmlSecTmplX509DataAddCertificate(x509));
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	assert_non_null(ctx);
	ctx->signKey = xmlSecCryptoAppKeyLoad(ca_file(fx, G22_RSA, "key"), xmlSecKeyDataFormatPem, NULL, NULL, NULL);
	assert_non_null(ctx->signKey);
	assert_int_equal(xmlSecCryptoAppKeyCertLoad(ctx->signKey, ca_file(fx, G22_RSA, "pem"), xmlSecKeyDataFormatPem),
			 0);
	assert_int_equal(xmlSecDSigCtxSign(ctx, sig), 0);
	xmlSecDSigCtxDestroy(ctx);
}

/* What xmlsec alone, with G22's certificate and no list of accepted
 * transforms, says of a signature. */
static bool plain_xmlsec_verifies(struct fx *fx, xmlNodePtr sig)
{
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	assert_non_null(ctx);
	ctx->signKey =
		xmlSecCryptoAppKeyLoad(ca_file(fx, G22_RSA, "pem"), xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);
	assert_non_null(ctx->signKey);
	bool ok = xmlSecDSigCtxVerify(ctx, sig) == 0 && ctx->status == xmlSecDSigStatusSucceeded;
	xmlSecDSigCtxDestroy(ctx);
	return ok;
}

/* A signature template (exclusive C14N, RSA-SHA256) added to the header of
 * the package in `in`, read into *doc; *mh is its MessageHeader. */
static xmlNodePtr new_template(const char *in, xmlDocPtr *doc, xmlNodePtr *mh)
{
	struct lt_err err = {0};
	assert_int_equal(lt__xmlsec_init(&err), LT_OK);
	*doc = xmlReadFile(in, NULL, XML_PARSE_NONET);
	assert_non_null(*doc);
	*mh = xmlSecFindNode(xmlDocGetRootElement(*doc), BAD_CAST "MessageHeader", BAD_CAST NS);
	assert_non_null(*mh);
	xmlNodePtr sig = xmlSecTmplSignatureCreate(*doc, xmlSecTransformExclC14NId, xmlSecTransformRsaSha256Id, NULL);
	assert_non_null(sig);
	assert_non_null(xmlAddChild((*mh)->parent, sig));
	return sig;
}

static void sign_fragment(struct fx *fx, const char *in, const char *out, bool also_whole)
{
	xmlDocPtr doc;
	xmlNodePtr mh, sig = new_template(in, &doc, &mh);
	xmlAttrPtr id = xmlSetProp(mh, BAD_CAST "Id", BAD_CAST "x");
	assert_non_null(xmlAddID(NULL, doc, BAD_CAST "x", id));
	xmlNodePtr ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL, BAD_CAST "#x", NULL);
	assert_non_null(ref);
	assert_non_null(xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId));
	if (also_whole) {
		xmlNodePtr whole =
			xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL, BAD_CAST "", NULL);
		assert_non_null(whole);
		assert_non_null(xmlSecTmplReferenceAddTransform(whole, xmlSecTransformEnvelopedId));
		assert_non_null(xmlSecTmplReferenceAddTransform(whole, xmlSecTransformExclC14NId));
	}
	sign_template(fx, sig);
	/* Sound: xmlsec itself verifies it with the signer's certificate. */
	assert_true(plain_xmlsec_verifies(fx, sig));
	assert_true(xmlSaveFile(out, doc) > 0);
	xmlFreeDoc(doc);
}

static void test_partial_reference_is_not_accepted(void **state)
{
	struct fx *fx = *state;
	struct lt_sig_result r;
	snprintf(fx->path, sizeof fx->path, "%s/fragment.edxml", fx->dir);
	sign_fragment(fx, fx->minimal, fx->path, false);
	verify(fx->path, &r);
	assert_true(r.present);
	assert_false(r.valid);
	assert_non_null(strstr(r.reason, "one Reference with URI=\"\""));
	lt_sig_result_clear(&r);
	/* Two references, one of them the whole package, are refused too: the
	 * verdict is about one signature over everything. */
	sign_fragment(fx, fx->minimal, fx->path, true);
	verify(fx->path, &r);
	assert_false(r.valid);
	assert_non_null(strstr(r.reason, "URI=\"\""));
	lt_sig_result_clear(&r);
	/* A whole-package signature whose Reference was pointed elsewhere. */
	sign_to(fx, fx->minimal, fx->path, G22_RSA, false);
	edit(fx->path, "URI=\"\"", "URI=\"#x\"");
	verify(fx->path, &r);
	assert_false(r.valid);
	assert_non_null(strstr(r.reason, "URI=\"\""));
	lt_sig_result_clear(&r);
	/* A signature method outside the list (an HMAC keyed with anything
	 * the sender likes) is refused by name. */
	sign_to(fx, fx->minimal, fx->path, G22_RSA, false);
	edit(fx->path, RSA_SHA256, "http://www.w3.org/2000/09/xmldsig#hmac-sha1");
	verify(fx->path, &r);
	assert_false(r.valid);
	assert_non_null(strstr(r.reason, "hmac-sha1' is not accepted"));
	lt_sig_result_clear(&r);
}

/* What XML-DSig's schema orders, xmlsec insists on, and so does the
 * streaming verifier: an element out of place is "cannot be processed",
 * even where the signature would otherwise check out. */
struct grown {
	char *p;
	size_t n;
};

static void grow(void *arg, const void *p, size_t n)
{
	struct grown *b = arg;
	b->p = realloc(b->p, b->n + n + 1);
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* A prefix declared nowhere, on an attribute or an element, is refused:
 * libxml2 recovers by naming the node "prefix:local" in no namespace, and
 * the stream sorted such an attribute by its local name where libxml2's
 * canonicaliser sorts by that whole name (found by fuzz_c14n). A document
 * whose prefixes are all declared still canonicalises as libxml2 does. */
static void test_c14n_undeclared_prefix(void **state)
{
	(void)state;
	static const char *const docs[] = {
		"<r xmlns:a=\"urn:a\"><e z=\"1\" a:b=\"3\" ns0:z=\"2\" id=\"0\">t</e></r>",
		"<r xmlns=\"urn:d\"><b:e z=\"1\">t</b:e></r>",
		"<r xmlns:a=\"urn:a\"><e z=\"1\" a:b=\"3\" xml:lang=\"vi\" id=\"0\">t</e></r>",
	};
	for (size_t d = 0; d < 3; d++) {
		char path[] = "/tmp/lt-test-c14n-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		size_t len = strlen(docs[d]);
		assert_int_equal(write(fd, docs[d], len), (ssize_t)len);
		xmlDocPtr doc = xmlReadMemory(docs[d], (int)len, NULL, NULL, XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		assert_non_null(doc);
		for (int exclusive = 0; exclusive < 2; exclusive++) {
			struct grown got = {0};
			struct lt_err err = {0};
			assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
			int rc = lt__c14n_file(fd, exclusive, false, NULL, grow, &got, &err);
			if (d < 2) {
				assert_int_equal(rc, LT_EINVAL);
			} else {
				xmlChar *want = NULL;
				assert_true(xmlC14NDocDumpMemory(doc, NULL,
								 exclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0,
								 NULL, 0, &want) > 0);
				assert_int_equal(rc, LT_OK);
				assert_string_equal(got.p, (const char *)want);
				xmlFree(want);
			}
			free(got.p);
		}
		xmlFreeDoc(doc);
		close(fd);
		unlink(path);
	}
}

static void test_structure_as_xmlsec(void **state)
{
	struct fx *fx = *state;
	struct lt_sig_result r;
	static const char *const edits[][2] = {
		{"</SignatureValue>", "</SignatureValue><Extra/>"},
		{"</SignedInfo>", "<Extra/></SignedInfo>"},
		{"<DigestValue>", "<Extra/><DigestValue>"},
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		sign_to(fx, fx->minimal, fx->path, G22_RSA, false);
		edit(fx->path, edits[i][0], edits[i][1]);
		verify(fx->path, &r);
		assert_true(r.present);
		assert_false(r.valid);
		if (strcmp(r.reason, "the signature cannot be processed") != 0)
			fail_msg("%s: %s", edits[i][1], r.reason);
		lt_sig_result_clear(&r);
	}
}

static void test_cert_parse(void **state)
{
	struct fx *fx = *state;
	struct lt_cert c;
	struct lt_err err = {0};
	char *pem = slurp(ca_file(fx, G22_RSA, "pem"));
	memset(&c, 0, sizeof c);
	assert_int_equal(lt_cert_parse(pem, &c, &err), LT_OK);
	assert_int_equal(strlen(c.fingerprint), 64);
	assert_non_null(strstr(c.subject, "CN=" G22));
	assert_true(strcmp(c.not_before, c.not_after) < 0);
	free(pem);
	/* Expired: refused with the date it ended. */
	pem = slurp(ca_file(fx, G22_OLD, "pem"));
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_cert_parse(pem, &c, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "expired on 2020-01-02"));
	free(pem);
	/* Garbage of several kinds. */
	pem = slurp(ca_file(fx, G22_RSA, "key"));
	static const char truncated[] = "-----BEGIN CERTIFICATE-----\nMIIFqTCCBJG\n-----END CERTIFICATE-----\n";
	const char *const bad[] = {"", "not a certificate", truncated, pem};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		assert_int_equal(lt_cert_parse(bad[i], &c, &err), LT_EINVAL);
		assert_non_null(strstr(err.msg, "not a PEM certificate"));
	}
	free(pem);
}

static void test_cert_names(void **state)
{
	struct fx *fx = *state;
	struct lt_sig_result r;
	snprintf(fx->path, sizeof fx->path, "%s/names.edxml", fx->dir);
	sign_to(fx, fx->minimal, fx->path, G22_RSA, false);
	verify(fx->path, &r);
	assert_true(r.valid);
	assert_true(lt_sign_cert_names(&r, G22));
	assert_false(lt_sign_cert_names(&r, H26));
	assert_false(lt_sign_cert_names(&r, ""));
	assert_false(lt_sign_cert_names(&r, NULL));
	lt_sig_result_clear(&r);
	/* No certificate, no name. */
	assert_false(lt_sign_cert_names(&r, G22));
}

/* The id of the certificate bound to code with this fingerprint. */
struct find_cert {
	const char *fp;
	struct lt_cert c;
	int n;
};

static int find_cert(void *ctx, const struct lt_cert *c)
{
	struct find_cert *f = ctx;
	if (strcmp(c->fingerprint, f->fp) == 0) {
		f->c = *c;
		f->c.pem = NULL;
		f->n++;
	}
	return 0;
}

static void test_check_binding(void **state)
{
	struct fx *fx = *state;
	struct lt_err err = {0};
	struct lt_sig_result rsa, ec;
	char ec_path[256];
	snprintf(fx->path, sizeof fx->path, "%s/bind-rsa.edxml", fx->dir);
	snprintf(ec_path, sizeof ec_path, "%s/bind-ec.edxml", fx->dir);
	sign_to(fx, fx->minimal, fx->path, G22_RSA, false);
	sign_to(fx, fx->minimal, ec_path, G22_EC, false);
	verify(fx->path, &rsa);
	verify(ec_path, &ec);
	assert_true(rsa.valid && ec.valid);

	/* Nothing registered yet: not bound, and the message says what to do. */
	assert_int_equal(lt_sign_check_binding(fx->s, &rsa, G22, NULL, 0, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "not bound to the sender code"));
	assert_non_null(strstr(err.msg, "/certificates"));

	/* Registered: bound to G22, and to nothing else. */
	char *pem = slurp(ca_file(fx, G22_RSA, "pem"));
	struct lt_cert reg;
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_cert_register(fx->s, FX_ADMIN, G22, pem, &reg, &err), LT_OK);
	assert_true(reg.id > 0);
	assert_string_equal(reg.fingerprint, rsa.fingerprint);
	assert_int_equal(lt_sign_check_binding(fx->s, &rsa, G22, NULL, 0, &err), LT_OK);
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_check_binding(fx->s, &rsa, H26, NULL, 0, &err), LT_ERULE);
	/* At a time outside the certificate's validity, not bound. */
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_check_binding(fx->s, &rsa, G22, NULL, 1577836800 /* 2020-01-01 */, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "not at 2020-01-01T00:00:00Z"));

	/* Another certificate of the same unit that nobody registered. */
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_check_binding(fx->s, &ec, G22, NULL, 0, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "not bound"));

	/* Revoked: refused with the date. */
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_cert_revoke(fx->s, FX_ADMIN, G22, reg.id, &err), LT_OK);
	struct find_cert fc = {rsa.fingerprint, {0}, 0};
	assert_int_equal(lt_store_certs(fx->s, G22, find_cert, &fc, &err), LT_OK);
	assert_int_equal(fc.n, 1);
	assert_true(fc.c.revoked[0] != '\0');
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_check_binding(fx->s, &rsa, G22, NULL, 0, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "was revoked on"));
	/* A trusted CA does not undo a revocation of a registered certificate:
	 * it binds only what it names, and says why when it does not. */
	char ca[256];
	snprintf(ca, sizeof ca, "%s", ca_file(fx, "ca", "pem"));
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_check_binding(fx->s, &ec, H26, ca, 0, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "does not name " H26));
	/* The unregistered EC certificate chains to the CA and names G22. */
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_check_binding(fx->s, &ec, G22, ca, 0, &err), LT_OK);
	/* A CA file that is not there is not trust. */
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_check_binding(fx->s, &ec, G22, "/nonexistent/ca.pem", 0, &err), LT_ERULE);

	/* An invalid signature binds to nothing. */
	struct lt_sig_result bad = ec;
	bad.valid = false;
	snprintf(bad.reason, sizeof bad.reason, "the signature does not match the package");
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_check_binding(fx->s, &bad, G22, ca, 0, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "does not match"));

	/* Registration refuses expired certificates and codes not in the
	 * registry. */
	free(pem);
	pem = slurp(ca_file(fx, G22_OLD, "pem"));
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_cert_register(fx->s, FX_ADMIN, G22, pem, NULL, &err), LT_ERULE);
	assert_non_null(strstr(err.msg, "expired"));
	free(pem);
	pem = slurp(ca_file(fx, G22_EC, "pem"));
	memset(&err, 0, sizeof err);
	assert_int_not_equal(lt_cert_register(fx->s, FX_ADMIN, "000.00.00.H99", pem, NULL, &err), LT_OK);
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_cert_register(fx->s, FX_ADMIN, G22, "garbage", NULL, &err), LT_EINVAL);
	/* Registering the EC one binds it without a CA. */
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_cert_register(fx->s, FX_ADMIN, G22, pem, NULL, &err), LT_OK);
	assert_int_equal(lt_sign_check_binding(fx->s, &ec, G22, NULL, 0, &err), LT_OK);
	free(pem);
	lt_sig_result_clear(&rsa);
	lt_sig_result_clear(&ec);
}

/* Signs `in` into `out` with a Reference URI="" whose transforms are the
 * ones given (an XPath expression when xpath is set), with xmlsec
 * directly, and checks xmlsec finds it sound before anything is changed. */
static void sign_with_transforms(struct fx *fx, const char *in, const char *out, const char *xpath,
				 xmlSecTransformId digest)
{
	xmlDocPtr doc;
	xmlNodePtr mh, sig = new_template(in, &doc, &mh);
	xmlNodePtr ref = xmlSecTmplSignatureAddReference(sig, digest, NULL, BAD_CAST "", NULL);
	assert_non_null(ref);
	assert_non_null(xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId));
	if (xpath) {
		xmlNodePtr t = xmlSecTmplReferenceAddTransform(ref, xmlSecTransformXPathId);
		assert_non_null(t);
		assert_int_equal(xmlSecTmplTransformAddXPath(t, BAD_CAST xpath, NULL), 0);
	}
	assert_non_null(xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId));
	sign_template(fx, sig);
	assert_true(xmlSaveFile(out, doc) > 0);
	xmlFreeDoc(doc);
}

/* A Reference over "the whole package" whose XPath transform leaves the
 * Subject out is cryptographically sound, and a plain xmlsec verifier
 * still calls it good after the Subject changes: the hub must refuse the
 * transform itself. So too a SHA-1 digest under RSA-SHA256. */
static void test_transforms_must_keep_everything(void **state)
{
	struct fx *fx = *state;
	struct lt_sig_result r;
	snprintf(fx->path, sizeof fx->path, "%s/xpath.edxml", fx->dir);
	sign_with_transforms(fx, fx->minimal, fx->path, "not(ancestor-or-self::*[local-name()='Subject'])",
			     xmlSecTransformSha256Id);
	edit(fx->path, "Báo cáo", "Quyết định giải thể");
	/* What a verifier without the list concludes. */
	xmlDocPtr doc = xmlReadFile(fx->path, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	xmlNodePtr sig = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs);
	assert_true(plain_xmlsec_verifies(fx, sig));
	xmlFreeDoc(doc);
	/* What the hub concludes. */
	verify(fx->path, &r);
	assert_true(r.present);
	assert_false(r.valid);
	if (!strstr(r.reason, "transform 'http://www.w3.org/TR/1999/REC-xpath-19991116' is not accepted"))
		fail_msg("reason: %s", r.reason);
	lt_sig_result_clear(&r);

	sign_with_transforms(fx, fx->minimal, fx->path, NULL, xmlSecTransformSha1Id);
	verify(fx->path, &r);
	assert_false(r.valid);
	if (!strstr(r.reason, "digest method 'http://www.w3.org/2000/09/xmldsig#sha1' is not accepted"))
		fail_msg("reason: %s", r.reason);
	lt_sig_result_clear(&r);
	/* The same transforms without XPath, SHA-256: good. */
	sign_with_transforms(fx, fx->minimal, fx->path, NULL, xmlSecTransformSha256Id);
	verify(fx->path, &r);
	if (!r.valid)
		fail_msg("enveloped + exc-c14n: %s", r.reason);
	lt_sig_result_clear(&r);
	/* A canonicalization nobody defined. */
	edit(fx->path, "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"",
	     "<CanonicalizationMethod Algorithm=\"http://example.org/c14n\"");
	verify(fx->path, &r);
	assert_false(r.valid);
	assert_non_null(strstr(r.reason, "canonicalization method 'http://example.org/c14n' is not accepted"));
	lt_sig_result_clear(&r);
}

/* A package with an attachment past libxml2's 10 MB text-node cap (an
 * attachment of 7.5 MB is that much base64) signs and verifies. */
static void test_big_package(void **state)
{
	struct fx *fx = *state;
	char big[256];
	snprintf(big, sizeof big, "%s/big-in.edxml", fx->dir);
	char *text = slurp(fx->minimal);
	size_t n = 11u * 1024 * 1024;
	char *filler = malloc(n + 1);
	assert_non_null(filler);
	memset(filler, 'A', n);
	filler[n] = '\0';
	spill(big, text);
	free(text);
	edit(big, "Báo cáo", filler);
	free(filler);
	snprintf(fx->path, sizeof fx->path, "%s/big.edxml", fx->dir);
	sign_to(fx, big, fx->path, G22_RSA, false);
	struct lt_sig_result r;
	verify(fx->path, &r);
	if (!r.valid)
		fail_msg("an 11 MB package: %s", r.reason);
	lt_sig_result_clear(&r);
	/* Streaming, a budget smaller than the package does not matter. */
	struct lt_err err = {0};
	assert_int_equal(lt_sign_verify_file(fx->path, 1024 * 1024, &r, &err), LT_OK);
	assert_true(r.valid);
	lt_sig_result_clear(&r);
	/* The tree verifier, within a budget, verifies; past it, never parses. */
	uint64_t cost = lt_sign_dom_cost(11u * 1024 * 1024 + 8000, 300, 40);
	assert_int_equal(lt_sign_verify_dom(fx->path, cost, 64u * 1024 * 1024, &r, &err), LT_OK);
	assert_true(r.valid);
	lt_sig_result_clear(&r);
	assert_int_equal(lt_sign_verify_dom(fx->path, cost, cost - 1, &r, &err), LT_ETOOBIG);
	assert_int_equal(err.status, LT_ETOOBIG);
	if (strncmp(err.msg, "too large: ", 11) != 0)
		fail_msg("%s", err.msg);
	assert_false(r.present);
	assert_false(r.valid);
	/* With no cost given, the file's size is the cost. */
	assert_int_equal(lt_sign_verify_dom(fx->path, 0, 1024 * 1024, &r, &err), LT_ETOOBIG);
	unlink(big);
	unlink(fx->path);
}

/* Only the signature element is held while a package streams: one over
 * 1 MiB, or of more nodes than a real one ever has, is refused as too
 * large rather than held (an Object is not signed, so anyone may pad it). */
static void test_signature_element_bounded(void **state)
{
	struct fx *fx = *state;
	const char *pads[] = {"<a/>", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
	size_t counts[] = {20000, 16000}; /* 80 KB of 20,000 elements; 1.1 MB of text */
	for (int k = 0; k < 2; k++) {
		char *pad = malloc(strlen(pads[k]) * counts[k] + 32);
		assert_non_null(pad);
		size_t o = (size_t)sprintf(pad, "<Object>"), w = strlen(pads[k]);
		for (size_t i = 0; i < counts[k]; i++, o += w)
			memcpy(pad + o, pads[k], w);
		strcpy(pad + o, "</Object></Signature>");
		sign_to(fx, fx->minimal, fx->path, G22_RSA, false);
		edit(fx->path, "</Signature>", pad);
		free(pad);
		struct lt_sig_result r;
		struct lt_err err = {0};
		assert_int_equal(lt_sign_verify_file(fx->path, 0, &r, &err), LT_ETOOBIG);
		if (strncmp(err.msg, "too large: the signature element", 32) != 0)
			fail_msg("%s", err.msg);
		assert_false(r.valid);
	}
	/* A real signature with an Object of a few KB still verifies. */
	sign_to(fx, fx->minimal, fx->path, G22_RSA, false);
	edit(fx->path, "</Signature>", "<Object><a/><a/>padding</Object></Signature>");
	struct lt_sig_result r;
	verify(fx->path, &r);
	if (!r.valid)
		fail_msg("%s", r.reason);
	lt_sig_result_clear(&r);
}

/* The estimate counts what a tree holds: markup costs far more than text. */
static void test_dom_cost(void **state)
{
	(void)state;
	assert_int_equal(lt_sign_dom_cost(1000, 0, 0), 2000);
	assert_true(lt_sign_dom_cost(1000, 250, 0) > 30 * 1000);
	assert_true(lt_sign_dom_cost(1000, 100, 100) > lt_sign_dom_cost(1000, 200, 0));
	assert_true(lt_sign_dom_cost(UINT64_MAX / 2, 0, 0) == UINT64_MAX);
	assert_true(lt_sign_dom_cost(1, UINT64_MAX / 100, 0) == UINT64_MAX);
}

/* The package's signature is a child of edXMLHeader; an XML-DSig
 * Signature anywhere else is content, however sound: moved out of the
 * header (the bytes it covers are the same) it signs nothing. */
static void test_signature_lives_in_header(void **state)
{
	struct fx *fx = *state;
	char signed_path[256];
	snprintf(signed_path, sizeof signed_path, "%s/where.edxml", fx->dir);
	sign_to(fx, fx->minimal, signed_path, G22_RSA, false);
	struct lt_sig_result r;
	verify(signed_path, &r);
	assert_true(r.valid);
	lt_sig_result_clear(&r);
	char *text = slurp(signed_path);
	char *a = strstr(text, "<Signature xmlns=");
	char *b = strstr(text, "</Signature>");
	assert_non_null(a);
	assert_non_null(b);
	b += strlen("</Signature>");
	assert_int_equal(strncmp(b, "</edXML:edXMLHeader>", 20), 0);
	size_t sig_len = (size_t)(b - a);
	char *sig = strndup(a, sig_len);
	assert_non_null(sig);
	static const char *const places[] = {"</edXML:edXMLEnvelope>", "</edXML:MessageHeader>", "</edXML>"};
	for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
		/* the text without the signature, then the signature before places[i] */
		char *rest = malloc(strlen(text) + 1);
		assert_non_null(rest);
		memcpy(rest, text, (size_t)(a - text));
		strcpy(rest + (a - text), b);
		char *at = strstr(rest, places[i]);
		assert_non_null(at);
		char *moved = malloc(strlen(rest) + sig_len + 1);
		assert_non_null(moved);
		memcpy(moved, rest, (size_t)(at - rest));
		memcpy(moved + (at - rest), sig, sig_len);
		strcpy(moved + (at - rest) + sig_len, at);
		snprintf(fx->path, sizeof fx->path, "%s/moved.edxml", fx->dir);
		spill(fx->path, moved);
		verify(fx->path, &r);
		if (r.present || r.valid)
			fail_msg("a signature before %s counts as the package's", places[i]);
		assert_non_null(strstr(r.reason, "not signed"));
		lt_sig_result_clear(&r);
		free(moved);
		free(rest);
	}
	free(sig);
	free(text);
	unlink(signed_path);
	unlink(fx->path);
}

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

/* A result holding just the certificate in a PEM file. */
static void load_cert(const char *pem, struct lt_sig_result *r)
{
	memset(r, 0, sizeof *r);
	FILE *f = fopen(pem, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	lt__sig_take_cert(r, x);
}

/* A code names a certificate as a whole token, never as part of a longer
 * code, and only in the attributes that identify the holder. */
static void test_cert_names_tokens(void **state)
{
	struct fx *fx = *state;
	static const struct {
		const char *subj;
		bool names;
	} cases[] = {
		{"/CN=" G22, true},
		{"/CN=Văn phòng Chính phủ/UID=MDD:" G22, true},
		{"/CN=Văn phòng Chính phủ (" G22 ")", true},
		{"/serialNumber=" G22 "/CN=x", true},
		{"/CN=1" G22, false},
		{"/CN=" G22 "1", false},
		{"/CN=" G22 ".1", false},
		{"/CN=G01." G22, false},
		{"/CN=x/L=" G22, false}, /* a locality does not identify the holder */
		{"/CN=x", false},
	};
	char key[256], pem[256];
	snprintf(key, sizeof key, "%s/names.key", fx->dir);
	snprintf(pem, sizeof pem, "%s/names.pem", fx->dir);
	sh("openssl ecparam -name prime256v1 -genkey -noout -out '%s' 2>/dev/null", key);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sh("openssl req -x509 -new -key '%s' -out '%s' -days 2 -utf8 -subj '%s' 2>/dev/null", key, pem,
		   cases[i].subj);
		struct lt_sig_result r;
		load_cert(pem, &r);
		if (lt_sign_cert_names(&r, G22) != cases[i].names)
			fail_msg("%s should%s name %s", cases[i].subj, cases[i].names ? "" : " not", G22);
		lt_sig_result_clear(&r);
	}
	/* A SAN names it too. */
	sh("openssl req -x509 -new -key '%s' -out '%s' -days 2 -subj /CN=x -addext "
	   "'subjectAltName=URI:urn:lienthong:" G22 "' 2>/dev/null",
	   key, pem);
	struct lt_sig_result r;
	load_cert(pem, &r);
	assert_true(lt_sign_cert_names(&r, G22));
	assert_false(lt_sign_cert_names(&r, "000.00.00.G2"));
	lt_sig_result_clear(&r);
}

/* A signer issued by an intermediate CA: KeyInfo carries the intermediate
 * when the certificate file holds it, and the chain to the root then
 * builds; without it, it does not. A certificate whose key usage excludes
 * signing is refused even when it chains. */
static void test_chain_through_intermediate(void **state)
{
	struct fx *fx = *state;
	const char *d = fx->dir;
	sh("cd '%s' && openssl req -new -newkey rsa:2048 -nodes -keyout sub.key -out sub.csr -subj '/CN=sub CA' "
	   "2>/dev/null && printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=keyCertSign,cRLSign\\n' > sub.ext && "
	   "openssl x509 -req -in sub.csr -CA ca/ca.pem -CAkey ca/ca.key -CAcreateserial -out sub.pem -days 30 "
	   "-extfile sub.ext 2>/dev/null && "
	   "openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj '/CN=" G22 "' 2>/dev/null && "
	   "printf 'keyUsage=digitalSignature,nonRepudiation\\n' > leaf.ext && "
	   "openssl x509 -req -in leaf.csr -CA sub.pem -CAkey sub.key -CAcreateserial -out leaf.pem -days 30 "
	   "-extfile leaf.ext 2>/dev/null && cat leaf.pem sub.pem > chain.pem && "
	   "printf 'keyUsage=keyEncipherment\\n' > tls.ext && "
	   "openssl x509 -req -in leaf.csr -CA sub.pem -CAkey sub.key -CAcreateserial -out tls.pem -days 30 "
	   "-extfile tls.ext 2>/dev/null && cat tls.pem sub.pem > tlschain.pem",
	   d);
	char key[256], chain[256], leaf[256], tlschain[256], root[256], out[256];
	snprintf(key, sizeof key, "%s/leaf.key", d);
	snprintf(chain, sizeof chain, "%s/chain.pem", d);
	snprintf(leaf, sizeof leaf, "%s/leaf.pem", d);
	snprintf(tlschain, sizeof tlschain, "%s/tlschain.pem", d);
	snprintf(root, sizeof root, "%s/ca/ca.pem", d);
	snprintf(out, sizeof out, "%s/chained.edxml", d);
	struct lt_err err = {0};
	struct lt_sig_result r;
	const char *files[] = {chain, leaf, tlschain};
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(out, "wb");
		assert_non_null(f);
		assert_int_equal(lt_sign_file(fx->minimal, key, files[i], NULL, f, &err), LT_OK);
		fclose(f);
		char *text = slurp(out);
		assert_int_equal(count(text, "<X509Certificate>"), i == 1 ? 1 : 2);
		free(text);
		verify(out, &r);
		if (!r.valid)
			fail_msg("signed with %s: %s", files[i], r.reason);
		assert_non_null(strstr(r.subject, "CN=" G22)); /* the leaf, not the CA, is the signer */
		memset(&err, 0, sizeof err);
		int rc = lt_sign_chain_ok(&r, root, 0, &err);
		if (i == 0 && rc != LT_OK)
			fail_msg("leaf + intermediate to the root: %s", err.msg);
		if (i == 1) {
			assert_int_equal(rc, LT_ERULE);
			assert_non_null(strstr(err.msg, "does not chain to a trusted CA"));
		}
		if (i == 2) {
			assert_int_equal(rc, LT_ERULE);
			assert_non_null(strstr(err.msg, "key usage does not allow signing"));
		}
		lt_sig_result_clear(&r);
	}
	/* A key that is not the certificate's is caught before signing. */
	FILE *f = fopen(out, "wb");
	assert_non_null(f);
	memset(&err, 0, sizeof err);
	assert_int_equal(lt_sign_file(fx->minimal, ca_file(fx, G22_RSA, "key"), chain, NULL, f, &err), LT_EINVAL);
	fclose(f);
	assert_non_null(strstr(err.msg, "does not belong to the certificate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_then_verify),
		cmocka_unit_test(test_tampered_is_invalid),
		cmocka_unit_test(test_unsigned_and_placeholders),
		cmocka_unit_test(test_partial_reference_is_not_accepted),
		cmocka_unit_test(test_structure_as_xmlsec),
		cmocka_unit_test(test_c14n_undeclared_prefix),
		cmocka_unit_test(test_signature_element_bounded),
		cmocka_unit_test(test_cert_parse),
		cmocka_unit_test(test_cert_names),
		cmocka_unit_test(test_check_binding),
		cmocka_unit_test(test_transforms_must_keep_everything),
		cmocka_unit_test(test_big_package),
		cmocka_unit_test(test_dom_cost),
		cmocka_unit_test(test_signature_lives_in_header),
		cmocka_unit_test(test_cert_names_tokens),
		cmocka_unit_test(test_chain_through_intermediate),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
