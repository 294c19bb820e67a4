/* Signing and verifying edXML packages with xmlsec1 (OpenSSL backend). The
 * signature is enveloped over the whole document (Reference URI=""), and is
 * the last child of edXML:edXMLHeader, where real packages carry it. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
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

/* Parsing never resolves entities nor loads DTDs or anything from the net.
 * XML_PARSE_HUGE lifts libxml2's 10 MB cap on one text node, which an
 * attachment of 7.5 MB already reaches in base64; the size cap above is
 * what bounds memory. Messages do not name the file: the hub verifies
 * spool files whose paths are nobody's business. */
static xmlDocPtr parse(const char *path, uint64_t max_bytes, struct lt_err *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		lt_err_set(err, LT_EIO, "cannot read the package: %s", strerror(errno));
		return NULL;
	}
	if ((uint64_t)sb.st_size > max_bytes) {
		lt_err_set(err, LT_ETOOBIG,
			   "too large: the package is over %llu bytes, too large to sign or verify in "
			   "memory",
			   (unsigned long long)max_bytes);
		return NULL;
	}
	xmlDocPtr doc =
		xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR | XML_PARSE_HUGE);
	if (!doc)
		lt_err_set(err, LT_EINVAL, "the package is not well-formed XML");
	else if (doc->intSubset && doc->intSubset->entities) {
		xmlFreeDoc(doc);
		doc = NULL;
		lt_err_set(err, LT_EINVAL, "the package declares entities; packages must not");
	}
	return doc;
}

bool lt__dsig_is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

xmlNodePtr lt__dsig_find_header(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	/* edXML/edXMLEnvelope/edXMLHeader, or edXMLEnvelope at the root. */
	for (xmlNodePtr e = root; e; e = NULL) {
		xmlNodePtr env = lt__dsig_is(e, "edXMLEnvelope") ? e : NULL;
		for (xmlNodePtr c = e->children; c && !env; c = c->next)
			if (lt__dsig_is(c, "edXMLEnvelope"))
				env = c;
		for (xmlNodePtr c = env ? env->children : NULL; c; c = c->next)
			if (lt__dsig_is(c, "edXMLHeader") &&
			    (!c->ns || xmlStrcmp(c->ns->href, BAD_CAST LT_EDXML_NS) == 0))
				return c;
	}
	return NULL;
}

/* The signature: a child of the header that the edXML reader would take for
 * one, so that the hub's streaming decision and the verifier agree. *foreign
 * tells the samples' un-namespaced form (which falls into the QCVN
 * namespace) from XML-DSig's. */
xmlNodePtr lt__dsig_find_signature(xmlNodePtr header, bool *foreign)
{
	*foreign = false;
	for (xmlNodePtr c = header ? header->children : NULL; c; c = c->next) {
		const char *ns = c->ns ? (const char *)c->ns->href : NULL;
		if (c->type == XML_ELEMENT_NODE && lt_edxml_is_signature((const char *)c->name, ns)) {
			*foreign = !ns || strcmp(ns, LT_XMLDSIG_NS) != 0;
			return c;
		}
	}
	return NULL;
}

/* Moves a sample-style Signature into the XML-DSig namespace so a standard
 * verifier can read it. */
void lt__dsig_adopt_ns(xmlNodePtr sig)
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

/* Reads every certificate of a PEM file: the signer's first, then any
 * intermediate CAs, which KeyInfo carries so a verifier that trusts only
 * the root can build the chain. Returns a new stack (caller frees with
 * sk_X509_pop_free) or NULL with err set. */
static STACK_OF(X509) * read_certs(const char *cert_pem, struct lt_err *err)
{
	FILE *f = fopen(cert_pem, "r");
	if (!f) {
		lt_err_set(err, LT_EIO, "cannot read the certificate %s: %s", cert_pem, strerror(errno));
		return NULL;
	}
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *x;
	while (certs && (x = PEM_read_X509(f, NULL, NULL, NULL)))
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			break;
		}
	ERR_clear_error(); /* the read that ends the loop leaves "no start line" behind */
	fclose(f);
	if (!certs || sk_X509_num(certs) == 0) {
		sk_X509_pop_free(certs, X509_free);
		lt_err_set(err, LT_EINVAL, "%s holds no PEM certificate", cert_pem);
		return NULL;
	}
	return certs;
}

/* Puts the certificates into the signing key, so X509Data gets them all. */
static int add_certs(xmlSecKeyPtr key, STACK_OF(X509) * certs, const char *cert_pem, struct lt_err *err)
{
	for (int i = 0; i < sk_X509_num(certs); i++) {
		unsigned char *der = NULL;
		int n = i2d_X509(sk_X509_value(certs, i), &der);
		int bad = n <= 0 ||
			  xmlSecCryptoAppKeyCertLoadMemory(key, der, (xmlSecSize)n, xmlSecKeyDataFormatCertDer) < 0;
		OPENSSL_free(der);
		if (bad)
			return lt_err_set(err, LT_EINVAL, "cannot load certificate %d of %s", i + 1, cert_pem);
	}
	return LT_OK;
}

int lt_sign_file(const char *in, const char *key_pem, const char *cert_pem, const struct lt_sign_opts *opts, FILE *out,
		 struct lt_err *err)
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
	xmlSecTransformId method = type == EVP_PKEY_RSA  ? xmlSecTransformRsaSha256Id
				   : type == EVP_PKEY_EC ? xmlSecTransformEcdsaSha256Id
							 : NULL;
	STACK_OF(X509) *certs = method ? read_certs(cert_pem, err) : NULL;
	if (!method)
		rc = lt_err_set(err, LT_EINVAL, "%s: only RSA and EC (P-256) keys sign packages", key_pem);
	else if (!certs)
		rc = err->status;
	else if (X509_check_private_key(sk_X509_value(certs, 0), pk) != 1)
		rc = lt_err_set(err, LT_EINVAL, "%s does not belong to the certificate %s (the first one in the file)",
				key_pem, cert_pem);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	if (rc) {
		sk_X509_pop_free(certs, X509_free);
		return rc;
	}
	xmlDocPtr doc = parse(in, LT_SIGN_MAX_BYTES, err);
	if (!doc) {
		sk_X509_pop_free(certs, X509_free);
		return lt_err_set(err, err->status, "%s: %s", in, err->msg);
	}
	xmlNodePtr header = lt__dsig_find_header(doc), sig = NULL;
	xmlSecDSigCtxPtr ctx = NULL;
	rc = LT_EIO;
	if (!header) {
		rc = lt_err_set(err, LT_EINVAL, "%s is not an edXML package: no edXMLEnvelope/edXMLHeader", in);
		goto out;
	}
	bool foreign;
	xmlNodePtr old;
	while ((old = lt__dsig_find_signature(header, &foreign))) {
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
	    !xmlSecTmplReferenceAddTransform(ref, c14n) || !x509 || !xmlSecTmplX509DataAddCertificate(x509))
		goto fail;
	ctx = xmlSecDSigCtxCreate(NULL);
	if (!ctx)
		goto fail;
	ctx->signKey = xmlSecCryptoAppKeyLoad(key_pem, xmlSecKeyDataFormatPem, NULL, NULL, NULL);
	if (!ctx->signKey) {
		rc = lt_err_set(err, LT_EINVAL, "cannot load the key %s", key_pem);
		goto out;
	}
	if ((rc = add_certs(ctx->signKey, certs, cert_pem, err)))
		goto out;
	if (xmlSecDSigCtxSign(ctx, sig) < 0) {
		rc = lt_err_set(err, LT_EINVAL, "signing %s failed", in);
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
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

void lt_sig_result_clear(struct lt_sig_result *r)
{
	if (r->cert)
		X509_free(r->cert);
	if (r->chain)
		sk_X509_pop_free((STACK_OF(X509) *)r->chain, X509_free);
	memset(r, 0, sizeof *r);
}

/* What a signature may use. Everything else, above all the XPath and XSLT
 * transforms that let a Reference over "the whole package" leave parts of
 * it out, is refused by name before xmlsec runs, and xmlsec is told the
 * same lists so nothing slips past the names. SHA-1 is accepted only with
 * RSA-SHA1, for legacy producers. */

static size_t algs(struct alg *a)
{
	size_t n = 0;
	a[n++] = (struct alg){xmlSecTransformRsaSha256Id, ALG_METHOD, false};
	a[n++] = (struct alg){xmlSecTransformRsaSha384Id, ALG_METHOD, false};
	a[n++] = (struct alg){xmlSecTransformRsaSha512Id, ALG_METHOD, false};
	a[n++] = (struct alg){xmlSecTransformEcdsaSha256Id, ALG_METHOD, false};
	a[n++] = (struct alg){xmlSecTransformEcdsaSha384Id, ALG_METHOD, false};
	a[n++] = (struct alg){xmlSecTransformRsaSha1Id, ALG_METHOD, true};
	a[n++] = (struct alg){xmlSecTransformInclC14NId, ALG_C14N, false};
	a[n++] = (struct alg){xmlSecTransformInclC14NWithCommentsId, ALG_C14N, false};
	a[n++] = (struct alg){xmlSecTransformInclC14N11Id, ALG_C14N, false};
	a[n++] = (struct alg){xmlSecTransformInclC14N11WithCommentsId, ALG_C14N, false};
	a[n++] = (struct alg){xmlSecTransformExclC14NId, ALG_C14N, false};
	a[n++] = (struct alg){xmlSecTransformExclC14NWithCommentsId, ALG_C14N, false};
	a[n++] = (struct alg){xmlSecTransformEnvelopedId, ALG_TRANSFORM, false};
	a[n++] = (struct alg){xmlSecTransformSha256Id, ALG_DIGEST, false};
	a[n++] = (struct alg){xmlSecTransformSha384Id, ALG_DIGEST, false};
	a[n++] = (struct alg){xmlSecTransformSha512Id, ALG_DIGEST, false};
	a[n++] = (struct alg){xmlSecTransformSha1Id, ALG_DIGEST, true};
	return n;
}
#define MAX_ALGS 24

/* The Algorithm of node n if it is one of `use` (c14n methods also count
 * as Reference transforms); NULL otherwise. */
static struct alg alg_table[MAX_ALGS];
static size_t alg_count;
static pthread_once_t alg_once = PTHREAD_ONCE_INIT;

static void alg_build(void) { alg_count = algs(alg_table); }

/* The Algorithm of node n (copied into name) if it is one of `use`
 * (canonicalizations also count as Reference transforms); NULL if not. */
const struct alg *lt__dsig_find_alg(xmlNodePtr n, enum alg_use use, char *name, size_t cap)
{
	pthread_once(&alg_once, alg_build);
	xmlChar *href = n ? xmlGetProp(n, BAD_CAST "Algorithm") : NULL;
	snprintf(name, cap, "%s", href ? (char *)href : "");
	xmlFree(href);
	for (size_t i = 0; i < alg_count; i++) {
		bool fits = alg_table[i].use == use || (use == ALG_TRANSFORM && alg_table[i].use == ALG_C14N);
		if (fits && xmlStrcmp(alg_table[i].id->href, BAD_CAST name) == 0)
			return &alg_table[i];
	}
	return NULL;
}

static int enable_algs(xmlSecDSigCtxPtr ctx)
{
	pthread_once(&alg_once, alg_build);
	const struct alg *a = alg_table;
	size_t n = alg_count;
	/* Only URI="": no same-document fragments, no external resources. */
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	for (size_t i = 0; i < n; i++) {
		bool in_ref = a[i].use != ALG_METHOD, in_si = a[i].use == ALG_METHOD || a[i].use == ALG_C14N;
		if ((in_ref && xmlSecDSigCtxEnableReferenceTransform(ctx, a[i].id) < 0) ||
		    (in_si && xmlSecDSigCtxEnableSignatureTransform(ctx, a[i].id) < 0))
			return -1;
	}
	return 0;
}

xmlNodePtr lt__dsig_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
		if (lt__dsig_is(c, name))
			return c;
	return NULL;
}

/* Checks the shape of SignedInfo: the algorithms, and one Reference with
 * URI="" whose transforms keep the whole package. Fills r->reason and
 * returns false when it is not acceptable. */
bool lt__dsig_signed_info_ok(xmlNodePtr sig, struct lt_sig_result *r)
{
	char name[256];
	xmlNodePtr si = lt__dsig_child(sig, "SignedInfo");
	const struct alg *m = lt__dsig_find_alg(lt__dsig_child(si, "SignatureMethod"), ALG_METHOD, name, sizeof name);
	snprintf(r->algorithm, sizeof r->algorithm, "%s", name);
	if (!m) {
		snprintf(r->reason, sizeof r->reason, "signature method '%.80s' is not accepted", name);
		return false;
	}
	if (!lt__dsig_find_alg(lt__dsig_child(si, "CanonicalizationMethod"), ALG_C14N, name, sizeof name)) {
		snprintf(r->reason, sizeof r->reason, "canonicalization method '%.80s' is not accepted", name);
		return false;
	}
	int refs = 0;
	xmlNodePtr ref = NULL;
	for (xmlNodePtr c = si ? si->children : NULL; c; c = c->next)
		if (lt__dsig_is(c, "Reference")) {
			refs++;
			ref = c;
		}
	xmlChar *uri = ref ? xmlGetProp(ref, BAD_CAST "URI") : NULL;
	bool whole = uri && uri[0] == '\0';
	xmlFree(uri);
	if (refs != 1 || !whole) {
		snprintf(r->reason, sizeof r->reason,
			 "the signature must have one Reference with URI=\"\" (the whole package)");
		return false;
	}
	xmlNodePtr transforms = lt__dsig_child(ref, "Transforms");
	for (xmlNodePtr t = transforms ? transforms->children : NULL; t; t = t->next) {
		if (t->type != XML_ELEMENT_NODE)
			continue;
		if (!lt__dsig_is(t, "Transform") || !lt__dsig_find_alg(t, ALG_TRANSFORM, name, sizeof name)) {
			snprintf(r->reason, sizeof r->reason,
				 "transform '%.80s' is not accepted: only enveloped-signature and canonicalization, "
				 "so that the signature covers the whole package",
				 name);
			return false;
		}
	}
	const struct alg *d = lt__dsig_find_alg(lt__dsig_child(ref, "DigestMethod"), ALG_DIGEST, name, sizeof name);
	if (!d || (d->legacy && !m->legacy)) {
		snprintf(r->reason, sizeof r->reason, "digest method '%.80s' is not accepted%s", name,
			 d ? " with this signature method (SHA-1 only with legacy RSA-SHA1)" : "");
		return false;
	}
	return true;
}

/* The certificates of KeyInfo/X509Data: the signer's in *leaf, the rest
 * (intermediates a chain may need) in *rest. The signer is the one that
 * issued none of the others. Caller owns both. */
void lt__dsig_keyinfo_certs(xmlNodePtr sig, X509 **leaf, STACK_OF(X509) * *rest)
{
	*leaf = NULL;
	*rest = sk_X509_new_null();
	STACK_OF(X509) *all = sk_X509_new_null();
	if (!all || !*rest)
		goto out;
	for (xmlNodePtr c = xmlSecFindNode(sig, xmlSecNodeX509Certificate, xmlSecDSigNs); c;
	     c = xmlSecFindSibling(c->next, xmlSecNodeX509Certificate, xmlSecDSigNs)) {
		xmlChar *text = xmlNodeGetContent(c);
		size_t n = text ? strlen((char *)text) : 0, o = 0;
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
		if (x && !sk_X509_push(all, x))
			X509_free(x);
	}
	int pick = sk_X509_num(all) > 0 ? 0 : -1;
	for (int i = 0; i < sk_X509_num(all) && sk_X509_num(all) > 1; i++) {
		bool issuer = false;
		for (int j = 0; j < sk_X509_num(all) && !issuer; j++)
			issuer = i != j && X509_check_issued(sk_X509_value(all, i), sk_X509_value(all, j)) == X509_V_OK;
		if (!issuer) {
			pick = i;
			break;
		}
	}
	for (int i = 0; i < sk_X509_num(all); i++) {
		X509 *x = sk_X509_value(all, i);
		if (i == pick)
			*leaf = x;
		else if (!sk_X509_push(*rest, x))
			X509_free(x);
	}
	sk_X509_free(all);
	all = NULL;
out:
	sk_X509_pop_free(all, X509_free);
	ERR_clear_error();
}

/* Measured with libxml2 2.9 on x86-64: an element node with its name costs
 * about 125 bytes, a text node about 120, an attribute (its node, value node
 * and text) about 225; text and the parser's buffers, twice the bytes. */
uint64_t lt_sign_dom_cost(uint64_t bytes, uint64_t nodes, uint64_t attributes)
{
	if (bytes > UINT64_MAX / 4 || nodes > UINT64_MAX / 512 || attributes > UINT64_MAX / 1024)
		return UINT64_MAX; /* no real file, but an estimate never wraps to a small one */
	return 2 * bytes + 128 * nodes + 224 * attributes;
}

/* A tree of a package costs up to forty times its size, so verifications
 * run at most one per core at a time, whatever the number of uploads, and
 * together hold no more than the budget. One past the budget waits for the
 * others to end; alone it always runs, as its cost was checked against the
 * budget before. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static long gate_busy;
static uint64_t gate_held;

void lt__sign_gate_enter(uint64_t cost, uint64_t budget)
{
	long cap = sysconf(_SC_NPROCESSORS_ONLN);
	if (cap < 1)
		cap = 1;
	pthread_mutex_lock(&gate_mu);
	while (gate_busy >= cap || (gate_busy > 0 && gate_held + cost > budget))
		pthread_cond_wait(&gate_cv, &gate_mu);
	gate_busy++;
	gate_held += cost;
	pthread_mutex_unlock(&gate_mu);
}

void lt__sign_gate_leave(uint64_t cost)
{
	pthread_mutex_lock(&gate_mu);
	gate_busy--;
	gate_held -= cost;
	/* Waiters wait on different sums: each looks again. */
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

X509 *lt__dsig_signer(xmlNodePtr sig, bool foreign, struct lt_sig_result *r)
{
	if (foreign)
		lt__dsig_adopt_ns(sig);
	if (!lt__dsig_signed_info_ok(sig, r))
		return NULL;
	X509 *cert;
	STACK_OF(X509) * rest;
	lt__dsig_keyinfo_certs(sig, &cert, &rest);
	r->chain = rest;
	if (!cert) {
		snprintf(r->reason, sizeof r->reason, "KeyInfo carries no usable X509Certificate (a placeholder?)");
		return NULL;
	}
	lt__sig_take_cert(r, cert);
	return cert;
}

static int verify_doc(xmlDocPtr doc, struct lt_sig_result *r, struct lt_err *err)
{
	bool foreign = false;
	xmlNodePtr sig = lt__dsig_find_signature(lt__dsig_find_header(doc), &foreign);
	if (!sig || !sig->children) {
		snprintf(r->reason, sizeof r->reason, "the package is not signed");
		r->present = sig != NULL;
		return LT_OK;
	}
	r->present = true;
	X509 *cert = lt__dsig_signer(sig, foreign, r);
	if (!cert)
		return LT_OK;
	EVP_PKEY *pub = X509_get_pubkey(cert);
	xmlSecKeyDataPtr data = pub ? xmlSecOpenSSLEvpKeyAdopt(pub) : NULL;
	if (!data) {
		EVP_PKEY_free(pub);
		snprintf(r->reason, sizeof r->reason, "the signer certificate's key is not usable");
		return LT_OK;
	}
	int rc = LT_OK;
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	if (!ctx || !(ctx->signKey = xmlSecKeyCreate()) || xmlSecKeySetValue(ctx->signKey, data) < 0 ||
	    enable_algs(ctx) < 0) {
		if (!ctx || !ctx->signKey || xmlSecKeyGetValue(ctx->signKey) != data)
			xmlSecKeyDataDestroy(data);
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	} else if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
		/* The key is the certificate's (signKey is set, so KeyInfo is not
		 * used to look one up); whether that certificate may speak for the
		 * sender is decided afterwards against the registry. */
		snprintf(r->reason, sizeof r->reason, "the signature cannot be processed");
	} else if (ctx->status == xmlSecDSigStatusSucceeded) {
		r->valid = true;
	} else {
		snprintf(r->reason, sizeof r->reason,
			 "the signature does not match the package: it was changed after signing, or signed with "
			 "another "
			 "key");
	}
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	return rc;
}

int lt_sign_verify_dom(const char *path, uint64_t cost, uint64_t budget, struct lt_sig_result *r, struct lt_err *err)
{
	memset(r, 0, sizeof *r);
	int rc = lt__xmlsec_init(err);
	if (rc)
		return rc;
	if (!budget)
		budget = LT_SIGN_MAX_BYTES;
	struct stat sb;
	if (stat(path, &sb) != 0)
		return lt_err_set(err, LT_EIO, "cannot read the package: %s", strerror(errno));
	if (!cost)
		cost = (uint64_t)sb.st_size;
	if (cost > budget)
		return lt_err_set(
			err, LT_ETOOBIG,
			"too large: verifying this package of %llu bytes would hold about %llu bytes in memory, "
			"over the verification budget of %llu bytes",
			(unsigned long long)sb.st_size, (unsigned long long)cost, (unsigned long long)budget);
	lt__sign_gate_enter(cost, budget);
	xmlDocPtr doc = parse(path, UINT64_MAX, err);
	rc = doc ? verify_doc(doc, r, err) : err->status;
	xmlFreeDoc(doc);
	lt__sign_gate_leave(cost);
	return rc;
}
