/* Signing and verifying edXML packages with xmlsec1 (OpenSSL backend). The
 * signature is enveloped over the whole document (Reference URI=""), and is
 * the last child of edXML:edXMLHeader, where real packages carry it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "lienthong/edxml.h"
#include "lienthong/log.h"
#include "sign_impl.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

/* xmlsec reports every mismatch on stderr; the verdict already says why,
 * so its messages go to the debug log only. */
static void quiet(const char *file, int line, const char *func, const char *obj, const char *subj, int reason,
		  const char *msg)
{
	(void)file;
	(void)line;
	lt_log_debug("xmlsec: %s %s %s %d %s", func ? func : "", obj ? obj : "", subj ? subj : "", reason,
		     msg ? msg : "");
}

static void init(void)
{
	xmlInitParser();
	if (xmlSecInit() < 0 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0)
		init_rc = LT_EIO;
	xmlSecErrorsSetCallback(quiet);
}

int lt__xmlsec_init(struct lt_err *err)
{
	pthread_once(&once, init);
	return init_rc ? lt_err_set(err, LT_EIO, "the XML security library cannot start") : LT_OK;
}

/* Parsing never resolves entities nor loads DTDs or anything from the net. */
static xmlDocPtr parse(const char *path, struct lt_err *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		lt_err_set(err, LT_EIO, "cannot read %s", path);
		return NULL;
	}
	if ((uint64_t)sb.st_size > LT_SIGN_MAX_BYTES) {
		lt_err_set(err, LT_ETOOBIG, "%s is over %u bytes, too large to sign or verify in memory", path,
			   LT_SIGN_MAX_BYTES);
		return NULL;
	}
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	if (!doc)
		lt_err_set(err, LT_EINVAL, "%s is not well-formed XML", path);
	else if (doc->intSubset && doc->intSubset->entities) {
		xmlFreeDoc(doc);
		doc = NULL;
		lt_err_set(err, LT_EINVAL, "%s declares entities; packages must not", path);
	}
	return doc;
}

static bool is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static xmlNodePtr find_header(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	/* edXML/edXMLEnvelope/edXMLHeader, or edXMLEnvelope at the root. */
	for (xmlNodePtr e = root; e; e = NULL) {
		xmlNodePtr env = is(e, "edXMLEnvelope") ? e : NULL;
		for (xmlNodePtr c = e->children; c && !env; c = c->next)
			if (is(c, "edXMLEnvelope"))
				env = c;
		for (xmlNodePtr c = env ? env->children : NULL; c; c = c->next)
			if (is(c, "edXMLHeader") && c->ns && xmlStrcmp(c->ns->href, BAD_CAST LT_EDXML_NS) == 0)
				return c;
	}
	return NULL;
}

/* The Signature element: XML-DSig's, anywhere, or the un-namespaced form
 * of the samples (which falls into the QCVN namespace) under the header. */
static xmlNodePtr find_signature(xmlDocPtr doc, xmlNodePtr header, bool *foreign)
{
	*foreign = false;
	xmlNodePtr n = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs);
	if (n)
		return n;
	for (xmlNodePtr c = header ? header->children : NULL; c; c = c->next)
		if (is(c, "Signature") || is(c, "DigitalSignature")) {
			*foreign = true;
			return c;
		}
	return NULL;
}

/* Moves a sample-style Signature into the XML-DSig namespace so a standard
 * verifier can read it. */
static void adopt_dsig_ns(xmlNodePtr sig)
{
	xmlNsPtr ns = xmlNewNs(sig, xmlSecDSigNs, NULL);
	for (xmlNodePtr n = sig; n;) {
		if (n->type == XML_ELEMENT_NODE && (!n->ns || xmlStrcmp(n->ns->href, BAD_CAST LT_EDXML_NS) == 0))
			n->ns = ns;
		if (n->children) {
			n = n->children;
			continue;
		}
		while (n && n != sig && !n->next)
			n = n->parent;
		if (!n || n == sig)
			break;
		n = n->next;
	}
}

int lt_sign_file(const char *in, const char *key_pem, const char *cert_pem, const struct lt_sign_opts *opts,
		 FILE *out, struct lt_err *err)
{
	int rc = lt__xmlsec_init(err);
	if (rc)
		return rc;
	/* The key's type picks the algorithm. */
	FILE *kf = fopen(key_pem, "r");
	EVP_PKEY *pk = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
	if (kf)
		fclose(kf);
	if (!pk)
		return lt_err_set(err, LT_EINVAL, "%s is not a PEM private key", key_pem);
	int type = EVP_PKEY_get_base_id(pk);
	EVP_PKEY_free(pk);
	xmlSecTransformId method = type == EVP_PKEY_RSA ? xmlSecTransformRsaSha256Id
				   : type == EVP_PKEY_EC ? xmlSecTransformEcdsaSha256Id
							 : NULL;
	if (!method)
		return lt_err_set(err, LT_EINVAL, "%s: only RSA and EC (P-256) keys sign packages", key_pem);
	xmlDocPtr doc = parse(in, err);
	if (!doc)
		return err->status;
	xmlNodePtr header = find_header(doc), sig = NULL;
	xmlSecDSigCtxPtr ctx = NULL;
	rc = LT_EIO;
	if (!header) {
		rc = lt_err_set(err, LT_EINVAL, "%s is not an edXML package: no edXMLEnvelope/edXMLHeader", in);
		goto out;
	}
	bool foreign;
	xmlNodePtr old;
	while ((old = find_signature(doc, header, &foreign))) {
		xmlUnlinkNode(old);
		xmlFreeNode(old);
	}
	xmlSecTransformId c14n = opts && opts->inclusive_c14n ? xmlSecTransformInclC14NId : xmlSecTransformExclC14NId;
	sig = xmlSecTmplSignatureCreate(doc, c14n, method, NULL);
	if (!sig || !xmlAddChild(header, sig))
		goto fail;
	xmlNodePtr ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL, BAD_CAST "", NULL);
	xmlNodePtr ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
	xmlNodePtr x509 = ki ? xmlSecTmplKeyInfoAddX509Data(ki) : NULL;
	if (!ref || !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ||
	    !xmlSecTmplReferenceAddTransform(ref, c14n) || !x509 ||
	    !xmlSecTmplX509DataAddCertificate(x509))
		goto fail;
	ctx = xmlSecDSigCtxCreate(NULL);
	if (!ctx)
		goto fail;
	ctx->signKey = xmlSecCryptoAppKeyLoad(key_pem, xmlSecKeyDataFormatPem, NULL, NULL, NULL);
	if (!ctx->signKey) {
		rc = lt_err_set(err, LT_EINVAL, "cannot load the key %s", key_pem);
		goto out;
	}
	if (xmlSecCryptoAppKeyCertLoad(ctx->signKey, cert_pem, xmlSecKeyDataFormatPem) < 0) {
		rc = lt_err_set(err, LT_EINVAL, "cannot load the certificate %s", cert_pem);
		goto out;
	}
	if (xmlSecDSigCtxSign(ctx, sig) < 0) {
		rc = lt_err_set(err, LT_EINVAL, "signing failed: does %s belong to %s?", key_pem, cert_pem);
		goto out;
	}
	if (xmlDocDump(out, doc) < 0 || fflush(out) != 0) {
		rc = lt_err_set(err, LT_EIO, "cannot write the signed package");
		goto out;
	}
	rc = LT_OK;
	goto out;
fail:
	rc = lt_err_set(err, LT_EIO, "cannot build the signature template");
out:
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	xmlFreeDoc(doc);
	return rc;
}

void lt_sig_result_clear(struct lt_sig_result *r)
{
	if (r->cert)
		X509_free(r->cert);
	memset(r, 0, sizeof *r);
}

static bool allowed_method(const char *alg)
{
	static const char *const ok[] = {
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
		"http://www.w3.org/2000/09/xmldsig#rsa-sha1", /* legacy producers: verification only */
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(alg, ok[i]) == 0)
			return true;
	return false;
}

/* The signer certificate from KeyInfo/X509Data/X509Certificate. */
static X509 *keyinfo_cert(xmlNodePtr sig)
{
	xmlNodePtr c = xmlSecFindNode(sig, xmlSecNodeX509Certificate, xmlSecDSigNs);
	if (!c)
		return NULL;
	xmlChar *text = xmlNodeGetContent(c);
	if (!text)
		return NULL;
	size_t n = strlen((char *)text), o = 0;
	unsigned char *raw = malloc(n + 4);
	char *clean = malloc(n + 1);
	X509 *x = NULL;
	if (raw && clean) {
		for (size_t i = 0; i < n; i++)
			if (text[i] > ' ')
				clean[o++] = (char)text[i];
		clean[o] = '\0';
		int len = EVP_DecodeBlock(raw, (unsigned char *)clean, (int)o);
		while (len > 0 && o > 0 && clean[o - 1] == '=') {
			len--;
			o--;
		}
		const unsigned char *p = raw;
		if (len > 0)
			x = d2i_X509(NULL, &p, len);
	}
	free(raw);
	free(clean);
	xmlFree(text);
	return x;
}

int lt_sign_verify_file(const char *path, struct lt_sig_result *r, struct lt_err *err)
{
	memset(r, 0, sizeof *r);
	int rc = lt__xmlsec_init(err);
	if (rc)
		return rc;
	xmlDocPtr doc = parse(path, err);
	if (!doc)
		return err->status;
	bool foreign = false;
	xmlNodePtr header = find_header(doc);
	xmlNodePtr sig = find_signature(doc, header, &foreign);
	xmlSecDSigCtxPtr ctx = NULL;
	if (!sig || !sig->children) {
		snprintf(r->reason, sizeof r->reason, "the package is not signed");
		r->present = sig != NULL;
		goto out;
	}
	r->present = true;
	if (foreign)
		adopt_dsig_ns(sig);
	xmlNodePtr method = xmlSecFindNode(sig, xmlSecNodeSignatureMethod, xmlSecDSigNs);
	xmlChar *alg = method ? xmlGetProp(method, BAD_CAST "Algorithm") : NULL;
	snprintf(r->algorithm, sizeof r->algorithm, "%s", alg ? (char *)alg : "");
	xmlFree(alg);
	if (!allowed_method(r->algorithm)) {
		snprintf(r->reason, sizeof r->reason, "signature method '%.80s' is not accepted", r->algorithm);
		goto out;
	}
	/* Only a signature over the whole package counts. */
	int refs = 0;
	bool whole = false;
	for (xmlNodePtr si = xmlSecFindNode(sig, xmlSecNodeSignedInfo, xmlSecDSigNs), c = si ? si->children : NULL; c;
	     c = c->next) {
		if (!is(c, "Reference"))
			continue;
		refs++;
		xmlChar *uri = xmlGetProp(c, BAD_CAST "URI");
		whole = uri && uri[0] == '\0';
		xmlFree(uri);
	}
	if (refs != 1 || !whole) {
		snprintf(r->reason, sizeof r->reason, "the signature must have one Reference with URI=\"\" (the whole package)");
		goto out;
	}
	X509 *cert = keyinfo_cert(sig);
	if (!cert) {
		snprintf(r->reason, sizeof r->reason, "KeyInfo carries no usable X509Certificate (a placeholder?)");
		goto out;
	}
	lt__sig_take_cert(r, cert);
	EVP_PKEY *pub = X509_get_pubkey(cert);
	xmlSecKeyDataPtr data = pub ? xmlSecOpenSSLEvpKeyAdopt(pub) : NULL;
	if (!data) {
		EVP_PKEY_free(pub);
		snprintf(r->reason, sizeof r->reason, "the signer certificate's key is not usable");
		goto out;
	}
	ctx = xmlSecDSigCtxCreate(NULL);
	if (!ctx || !(ctx->signKey = xmlSecKeyCreate()) || xmlSecKeySetValue(ctx->signKey, data) < 0) {
		xmlSecKeyDataDestroy(data);
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
		goto out;
	}
	/* The key is the certificate's (signKey is set, so KeyInfo is not used
	 * to look one up); whether that certificate may speak for the sender
	 * is decided afterwards against the registry. */
	if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
		snprintf(r->reason, sizeof r->reason, "the signature cannot be processed");
		goto out;
	}
	if (ctx->status == xmlSecDSigStatusSucceeded) {
		r->valid = true;
	} else {
		snprintf(r->reason, sizeof r->reason,
			 "the signature does not match the package: it was changed after signing, or signed with another "
			 "key");
	}
out:
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	xmlFreeDoc(doc);
	return rc;
}
