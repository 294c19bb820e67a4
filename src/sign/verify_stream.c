/* Verifying the enveloped signature of a package while it streams. Two SAX
 * passes over the file, neither building a tree of the package:
 *   1. up to the end of the signature element: it is captured as text
 *      (under start tags of its ancestors carrying their namespace
 *      declarations and xml:* attributes, so SignedInfo canonicalises as in
 *      the whole document) and parsed as a small tree;
 *   2. the whole package, canonicalised on the fly (c14n_stream.c) as the
 *      Reference's transforms say, less the signature element, into the
 *      DigestMethod's digest.
 * Then SignedInfo is canonicalised (libxml2, on the small tree) and its
 * SignatureValue checked with the KeyInfo certificate's key (OpenSSL). The
 * first pass is short for real packages, whose header comes first. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "lienthong/edxml.h"
#include "sign_impl.h"

#define DICT_LIMIT (1024 * 1024)
#define EXC_C14N_NS "http://www.w3.org/2001/10/xml-exc-c14n#"
#define XML_NS "http://www.w3.org/XML/1998/namespace"

struct text {
	char *p;
	size_t len, cap;
	bool over;
};

static void add(struct text *t, const void *s, size_t n)
{
	if (t->over)
		return;
	if (t->len + n + 1 > LT_SIGN_SIG_MAX_BYTES) {
		t->over = true;
		return;
	}
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (!p) {
			t->over = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void adds(struct text *t, const char *s) { add(t, s, strlen(s)); }

static void add_escaped(struct text *t, const xmlChar *s, size_t n, bool attr)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = s[i] == '&'            ? "&amp;"
				  : s[i] == '<'          ? "&lt;"
				  : s[i] == '>'          ? "&gt;"
				  : s[i] == '\r'         ? "&#13;"
				  : attr && s[i] == '"'  ? "&quot;"
				  : attr && s[i] == '\t' ? "&#9;"
				  : attr && s[i] == '\n' ? "&#10;"
							 : NULL;
		if (!rep)
			continue;
		add(t, s + run, i - run);
		adds(t, rep);
		run = i + 1;
	}
	add(t, s + run, n - run);
}

static void add_qname(struct text *t, const xmlChar *prefix, const xmlChar *local)
{
	if (prefix) {
		adds(t, (const char *)prefix);
		add(t, ":", 1);
	}
	adds(t, (const char *)local);
}

/* A start tag with its namespace declarations and either all its
 * attributes or (for ancestors) only the xml:* ones. */
static void add_start(struct text *t, const xmlChar *local, const xmlChar *prefix, int nns, const xmlChar **ns,
		      int nattr, const xmlChar **attrs, bool xml_only)
{
	add(t, "<", 1);
	add_qname(t, prefix, local);
	for (int i = 0; i < nns; i++) {
		adds(t, ns[2 * i] ? " xmlns:" : " xmlns");
		if (ns[2 * i])
			adds(t, (const char *)ns[2 * i]);
		add(t, "=\"", 2);
		const xmlChar *u = ns[2 * i + 1] ? ns[2 * i + 1] : BAD_CAST "";
		add_escaped(t, u, strlen((const char *)u), true);
		add(t, "\"", 1);
	}
	for (int i = 0; i < nattr; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (xml_only && !(a[2] && strcmp((const char *)a[2], XML_NS) == 0))
			continue;
		add(t, " ", 1);
		add_qname(t, a[1], a[0]);
		add(t, "=\"", 2);
		add_escaped(t, a[3], (size_t)(a[4] - a[3]), true);
		add(t, "\"", 1);
	}
	add(t, ">", 1);
}

/* ---- one SAX pass ----------------------------------------------------------- */

struct pass {
	xmlParserCtxtPtr ctxt;
	int status;
	char msg[200];
	bool stopped; /* by us, with everything we wanted */
	unsigned depth;
	uint64_t ordinal; /* elements started so far */
	/* Where the signature lives, as lt__dsig_find_header/_signature see it. */
	unsigned env_depth, hdr_depth;
	bool env_closed, hdr_closed, found;
	uint64_t sig_ordinal;
	/* pass 1 */
	bool capture_mode;
	struct text anc[3], sig;
	unsigned sig_depth;
	size_t sig_nodes; /* elements, attributes, texts, comments and PIs captured */
	/* pass 2 */
	struct lt__c14n *c14n;
	uint64_t skip_ordinal; /* 0: nothing skipped */
};

static void fail(struct pass *p, int status, const char *msg)
{
	if (p->status)
		return;
	p->status = status;
	snprintf(p->msg, sizeof p->msg, "%s", msg);
	xmlStopParser(p->ctxt);
}

static bool edxml_ns(const xmlChar *uri) { return !uri || strcmp((const char *)uri, LT_EDXML_NS) == 0; }

/* Mirrors lt__dsig_find_header and lt__dsig_find_signature: the root if it
 * is edXMLEnvelope, else its first edXMLEnvelope child; that one's first
 * edXMLHeader child (edXML namespace or none); that one's first child that
 * lt_edxml_is_signature names. */
static bool locate(struct pass *p, const xmlChar *local, const xmlChar *uri)
{
	const char *name = (const char *)local;
	unsigned d = p->depth;
	if (!p->env_depth && (d == 1 || (d == 2 && !p->env_closed)) && strcmp(name, "edXMLEnvelope") == 0) {
		p->env_depth = d;
		return false;
	}
	if (d == 1) /* the root is not the envelope: only its first such child may be */
		return false;
	if (p->env_depth && !p->env_closed && !p->hdr_depth && d == p->env_depth + 1 &&
	    strcmp(name, "edXMLHeader") == 0 && edxml_ns(uri)) {
		p->hdr_depth = d;
		return false;
	}
	if (p->hdr_depth && !p->hdr_closed && !p->found && d == p->hdr_depth + 1 &&
	    lt_edxml_is_signature(name, (const char *)uri)) {
		p->found = true;
		p->sig_ordinal = p->ordinal;
		return true;
	}
	return false;
}

/* A capture past LT_SIGN_SIG_MAX_BYTES in all (the signature element and
 * its ancestors' start tags), or past SIG_MAX_NODES nodes, ends the pass:
 * the small tree built from it then costs at most a few MiB
 * (lt_sign_dom_cost). */
#define SIG_MAX_NODES 16384
static void check_size(struct pass *p)
{
	if (!p->sig_depth) /* ancestors count only once they are the signature's */
		return;
	size_t total = p->sig.len;
	bool over = p->sig.over || p->sig_nodes > SIG_MAX_NODES;
	for (unsigned i = 0; i + 1 < p->sig_depth && i < 3; i++) {
		over |= p->anc[i].over;
		total += p->anc[i].len;
	}
	if (over || total + 64 > LT_SIGN_SIG_MAX_BYTES)
		fail(p, LT_ETOOBIG, "signature");
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
		     const xmlChar **ns, int nattr, int ndefaulted, const xmlChar **attrs)
{
	(void)ndefaulted;
	struct pass *p = ctx;
	if (p->status || p->stopped)
		return;
	p->depth++;
	p->ordinal++;
	if (p->capture_mode) {
		if (p->sig_depth) {
			add_start(&p->sig, local, prefix, nns, ns, nattr, attrs, false);
			p->sig_nodes += 1 + (size_t)nattr + (size_t)nns;
		} else if (locate(p, local, uri)) {
			p->sig_depth = p->depth;
			add_start(&p->sig, local, prefix, nns, ns, nattr, attrs, false);
			p->sig_nodes += 1 + (size_t)nattr + (size_t)nns;
		} else if (p->depth <= 3) {
			struct text *a = &p->anc[p->depth - 1];
			a->len = 0;
			a->over = false;
			add_start(a, local, prefix, nns, ns, nattr, attrs, true);
		}
		check_size(p);
		return;
	}
	if (p->skip_ordinal == p->ordinal)
		lt__c14n_skip_next(p->c14n);
	lt__c14n_start(p->c14n, local, prefix, nns, ns, nattr, attrs);
	if (p->c14n->status)
		fail(p, p->c14n->status, "c14n");
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	(void)uri;
	struct pass *p = ctx;
	if (p->status || p->stopped)
		return;
	if (p->capture_mode && p->sig_depth) {
		add(&p->sig, "</", 2);
		add_qname(&p->sig, prefix, local);
		add(&p->sig, ">", 1);
		check_size(p);
		if (!p->status && p->depth == p->sig_depth) {
			p->stopped = true;
			xmlStopParser(p->ctxt);
		}
	} else if (!p->capture_mode) {
		lt__c14n_end(p->c14n, local, prefix);
	}
	if (p->depth == p->env_depth)
		p->env_closed = true;
	if (p->depth == p->hdr_depth)
		p->hdr_closed = true;
	p->depth--;
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
	struct pass *p = ctx;
	if (p->status || p->stopped)
		return;
	if (!p->capture_mode)
		lt__c14n_text(p->c14n, s, len);
	else if (p->sig_depth) {
		add_escaped(&p->sig, s, (size_t)len, false);
		p->sig_nodes++;
		check_size(p);
	}
}

static void on_comment(void *ctx, const xmlChar *s)
{
	struct pass *p = ctx;
	if (p->status || p->stopped)
		return;
	if (!p->capture_mode) {
		lt__c14n_comment(p->c14n, s);
	} else if (p->sig_depth) {
		p->sig_nodes++;
		adds(&p->sig, "<!--");
		adds(&p->sig, (const char *)s);
		adds(&p->sig, "-->");
		check_size(p);
	}
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	struct pass *p = ctx;
	if (p->status || p->stopped)
		return;
	if (!p->capture_mode) {
		lt__c14n_pi(p->c14n, target, data);
	} else if (p->sig_depth) {
		p->sig_nodes++;
		adds(&p->sig, "<?");
		adds(&p->sig, (const char *)target);
		if (data && *data) {
			adds(&p->sig, " ");
			adds(&p->sig, (const char *)data);
		}
		adds(&p->sig, "?>");
		check_size(p);
	}
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name, (void)ext, (void)sys;
	fail(ctx, LT_EINVAL, "a DOCTYPE is not allowed in a package: DTDs and entity declarations are never read");
}

/* libxml2 halts itself on a fatal error; its message is not the user's. */
static void on_error(void *ctx, xmlErrorPtr e)
{
	struct pass *p = ctx;
	if (p->status || p->stopped || e->level < XML_ERR_FATAL)
		return;
	p->status = LT_EINVAL;
	snprintf(p->msg, sizeof p->msg, "%s",
		 e->code == XML_ERR_NO_MEMORY ? "the package uses too many distinct names, or memory ran out"
					      : "the package is not well-formed XML");
}

/* Runs one pass over the file; LT_OK when it got what it wanted. */
static int run(struct pass *p, int fd, size_t piece, struct lt_err *err)
{
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_text;
	sax.comment = on_comment;
	sax.processingInstruction = on_pi;
	sax.internalSubset = on_doctype;
	sax.externalSubset = on_doctype;
	sax.serror = on_error;
	if (lseek(fd, 0, SEEK_SET) != 0)
		return lt_err_set(err, LT_EIO, "cannot read the package: %s", strerror(errno));
	char *buf = malloc(piece);
	p->ctxt = buf ? xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL) : NULL;
	if (!p->ctxt) {
		free(buf);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	/* NOENT: with no DTD (refused above) only the predefined entities
	 * exist, and libxml2 then hands attribute values over decoded rather
	 * than with "&#38;" left for a tree builder to resolve. */
	xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_NOENT);
	if (p->ctxt->dict)
		xmlDictSetLimit(p->ctxt->dict, DICT_LIMIT);
	int rc = LT_OK;
	for (;;) {
		ssize_t n = read(fd, buf, piece);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = lt_err_set(err, LT_EIO, "cannot read the package: %s", strerror(errno));
			break;
		}
		xmlParseChunk(p->ctxt, buf, (int)n, n == 0);
		if (p->status || p->stopped || n == 0)
			break;
	}
	if (rc == LT_OK && p->status == LT_ETOOBIG)
		rc = lt_err_set(err, LT_ETOOBIG, "too large: the signature element is over %u bytes or %u nodes",
				LT_SIGN_SIG_MAX_BYTES, SIG_MAX_NODES);
	else if (rc == LT_OK && p->status == LT_ENOMEM)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	else if (rc == LT_OK && p->status)
		rc = lt_err_set(err, LT_EINVAL, "%s", p->msg);
	else if (rc == LT_OK && !p->stopped && !p->ctxt->wellFormed)
		rc = lt_err_set(err, LT_EINVAL, "the package is not well-formed XML");
	free(buf);
	xmlFreeParserCtxt(p->ctxt);
	p->ctxt = NULL;
	return rc;
}

/* ---- the signature's small tree ------------------------------------------- */

static xmlDocPtr signature_doc(struct pass *p)
{
	struct text t = {0};
	unsigned above = p->sig_depth - 1;
	for (unsigned i = 0; i < above; i++)
		add(&t, p->anc[i].p, p->anc[i].len);
	add(&t, p->sig.p, p->sig.len);
	/* Closing tags: the ancestors' names, read back from their start tags. */
	for (unsigned i = above; i-- > 0;) {
		const char *s = p->anc[i].p + 1;
		size_t n = strcspn(s, " >");
		add(&t, "</", 2);
		add(&t, s, n);
		add(&t, ">", 1);
	}
	xmlDocPtr doc = t.over ? NULL
			       : xmlReadMemory(t.p, (int)t.len, NULL, "UTF-8",
					       XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	free(t.p);
	return doc;
}

static int visible(void *user, xmlNodePtr node, xmlNodePtr parent)
{
	xmlNodePtr n = node && node->type != XML_NAMESPACE_DECL ? node : parent;
	for (; n; n = n->parent)
		if (n == (xmlNodePtr)user)
			return 1;
	return 0;
}

/* The InclusiveNamespaces PrefixList under a transform or method node. */
static xmlChar *prefix_list(xmlNodePtr n)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, BAD_CAST "InclusiveNamespaces") == 0 && c->ns &&
		    xmlStrcmp(c->ns->href, BAD_CAST EXC_C14N_NS) == 0)
			return xmlGetProp(c, BAD_CAST "PrefixList");
	return NULL;
}

struct c14n_mode {
	bool exclusive, comments;
	int libxml_mode;
};

static struct c14n_mode mode_of(xmlSecTransformId id)
{
	struct c14n_mode m = {false, false, XML_C14N_1_0};
	m.exclusive = id == xmlSecTransformExclC14NId || id == xmlSecTransformExclC14NWithCommentsId;
	m.comments = id == xmlSecTransformInclC14NWithCommentsId || id == xmlSecTransformExclC14NWithCommentsId ||
		     id == xmlSecTransformInclC14N11WithCommentsId;
	m.libxml_mode = m.exclusive ? XML_C14N_EXCLUSIVE_1_0
			: id == xmlSecTransformInclC14N11Id || id == xmlSecTransformInclC14N11WithCommentsId
				? XML_C14N_1_1
				: XML_C14N_1_0;
	return m;
}

static const EVP_MD *md_of(xmlSecTransformId id)
{
	return id == xmlSecTransformSha1Id     ? EVP_sha1()
	       : id == xmlSecTransformSha256Id ? EVP_sha256()
	       : id == xmlSecTransformSha384Id ? EVP_sha384()
	       : id == xmlSecTransformSha512Id ? EVP_sha512()
					       : NULL;
}

/* Base64 of a DigestValue or SignatureValue, whitespace allowed; -1 when
 * it is not base64. */
static int unbase64(xmlNodePtr n, unsigned char *out, size_t cap)
{
	xmlChar *text = n ? xmlNodeGetContent(n) : NULL;
	size_t len = text ? strlen((char *)text) : 0, o = 0;
	char *clean = malloc(len + 1);
	int got = -1;
	if (clean) {
		for (size_t i = 0; i < len; i++)
			if (!strchr(" \t\r\n", text[i]))
				clean[o++] = (char)text[i];
		clean[o] = '\0';
		if (o % 4 == 0 && o / 4 * 3 <= cap) {
			got = EVP_DecodeBlock(out, (unsigned char *)clean, (int)o);
			for (size_t k = o; got > 0 && k > 0 && clean[k - 1] == '='; k--)
				got--;
		}
	}
	free(clean);
	xmlFree(text);
	return o == 0 ? -1 : got;
}

/* The next element child of n from c on (c itself if it is one). */
static xmlNodePtr element_from(xmlNodePtr c)
{
	while (c && c->type != XML_ELEMENT_NODE)
		c = c->next;
	return c;
}

static bool dsig(xmlNodePtr n, const char *name)
{
	return n && xmlStrcmp(n->name, BAD_CAST name) == 0 && n->ns &&
	       xmlStrcmp(n->ns->href, BAD_CAST LT_XMLDSIG_NS) == 0;
}

/* The element order XML-DSig's schema fixes and xmlsec insists on:
 * Signature = SignedInfo, SignatureValue, KeyInfo?, Object*;
 * SignedInfo = CanonicalizationMethod, SignatureMethod, Reference+;
 * Reference = Transforms?, DigestMethod, DigestValue. */
static bool structure_ok(xmlNodePtr sig)
{
	xmlNodePtr si = element_from(sig->children);
	xmlNodePtr c = si ? element_from(si->next) : NULL;
	if (!dsig(si, "SignedInfo") || !dsig(c, "SignatureValue"))
		return false;
	c = element_from(c->next);
	if (dsig(c, "KeyInfo"))
		c = element_from(c->next);
	for (; c; c = element_from(c->next))
		if (!dsig(c, "Object"))
			return false;
	c = element_from(si->children);
	if (!dsig(c, "CanonicalizationMethod") || !dsig(c = element_from(c->next), "SignatureMethod"))
		return false;
	int refs = 0;
	for (c = element_from(c->next); c; c = element_from(c->next), refs++) {
		if (!dsig(c, "Reference"))
			return false;
		xmlNodePtr r = element_from(c->children);
		if (dsig(r, "Transforms"))
			r = element_from(r->next);
		if (!dsig(r, "DigestMethod") || !dsig(r = element_from(r->next), "DigestValue") ||
		    element_from(r->next))
			return false;
	}
	return refs > 0;
}

struct reference {
	const EVP_MD *md;
	bool enveloped;
	struct c14n_mode mode;
	xmlChar *prefixes;
	unsigned char digest[EVP_MAX_MD_SIZE + 3]; /* base64 decodes in threes */
	int digest_len;
};

/* The Reference's transforms in order: enveloped-signature, then one
 * canonicalization (none: inclusive C14N 1.0, as XML-DSig converts a node
 * set). Other orders, which xmlsec would run through a reparse, are not
 * taken. */
static bool reference_of(xmlNodePtr sig, struct reference *ref)
{
	char name[256];
	xmlNodePtr si = lt__dsig_child(sig, "SignedInfo"), r = lt__dsig_child(si, "Reference");
	xmlNodePtr transforms = lt__dsig_child(r, "Transforms");
	int c14ns = 0;
	for (xmlNodePtr t = transforms ? transforms->children : NULL; t; t = t->next) {
		if (t->type != XML_ELEMENT_NODE)
			continue;
		const struct alg *a = lt__dsig_find_alg(t, ALG_TRANSFORM, name, sizeof name);
		if (!a)
			return false;
		if (a->use == ALG_TRANSFORM) {
			if (ref->enveloped || c14ns)
				return false;
			ref->enveloped = true;
		} else {
			if (c14ns++)
				return false;
			ref->mode = mode_of(a->id);
			if (ref->mode.exclusive)
				ref->prefixes = prefix_list(t);
		}
	}
	const struct alg *d = lt__dsig_find_alg(lt__dsig_child(r, "DigestMethod"), ALG_DIGEST, name, sizeof name);
	ref->md = d ? md_of(d->id) : NULL;
	ref->digest_len = unbase64(lt__dsig_child(r, "DigestValue"), ref->digest, sizeof ref->digest);
	return ref->md && ref->digest_len > 0;
}

static void digest_sink(void *arg, const void *p, size_t n) { EVP_DigestUpdate(arg, p, n); }

/* SignedInfo canonicalised as its CanonicalizationMethod says, within the
 * small tree (the same namespaces and xml:* attributes in scope). */
static xmlOutputBufferPtr signed_info_c14n(xmlDocPtr doc, xmlNodePtr si)
{
	char name[256];
	xmlNodePtr cm = lt__dsig_child(si, "CanonicalizationMethod");
	const struct alg *a = lt__dsig_find_alg(cm, ALG_C14N, name, sizeof name);
	if (!a)
		return NULL;
	struct c14n_mode m = mode_of(a->id);
	xmlChar *list = m.exclusive ? prefix_list(cm) : NULL;
	xmlChar *prefixes[64];
	size_t n = 0;
	for (char *save = NULL, *s = list ? strtok_r((char *)list, " \t\r\n", &save) : NULL; s && n < 63;
	     s = strtok_r(NULL, " \t\r\n", &save))
		prefixes[n++] = BAD_CAST s;
	prefixes[n] = NULL;
	xmlOutputBufferPtr out = xmlAllocOutputBuffer(NULL);
	if (out && xmlC14NExecute(doc, visible, si, m.libxml_mode, n ? prefixes : NULL, m.comments, out) < 0) {
		xmlOutputBufferClose(out);
		out = NULL;
	}
	xmlFree(list);
	return out;
}

/* XML-DSig's ECDSA value is r||s, each as long as the group order; OpenSSL
 * wants DER. */
static unsigned char *ecdsa_der(EVP_PKEY *pk, const unsigned char *raw, int len, size_t *der_len)
{
	int bits = EVP_PKEY_get_bits(pk), half = (bits + 7) / 8;
	if (len != 2 * half)
		return NULL;
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, half, NULL), *ss = BN_bin2bn(raw + half, half, NULL);
	unsigned char *der = NULL;
	if (s && r && ss && ECDSA_SIG_set0(s, r, ss) == 1) {
		r = ss = NULL;
		int n = i2d_ECDSA_SIG(s, &der);
		*der_len = n > 0 ? (size_t)n : 0;
		if (n <= 0)
			der = NULL;
	}
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return der;
}

enum { SIG_GOOD, SIG_BAD, SIG_ERROR };

static int check_value(xmlNodePtr sig, xmlOutputBufferPtr c14n, EVP_PKEY *pk)
{
	char name[256];
	xmlNodePtr si = lt__dsig_child(sig, "SignedInfo");
	const struct alg *m = lt__dsig_find_alg(lt__dsig_child(si, "SignatureMethod"), ALG_METHOD, name, sizeof name);
	xmlSecTransformId id = m->id;
	bool ec = id == xmlSecTransformEcdsaSha256Id || id == xmlSecTransformEcdsaSha384Id;
	const EVP_MD *md = id == xmlSecTransformRsaSha1Id                                           ? EVP_sha1()
			   : id == xmlSecTransformRsaSha384Id || id == xmlSecTransformEcdsaSha384Id ? EVP_sha384()
			   : id == xmlSecTransformRsaSha512Id                                       ? EVP_sha512()
												    : EVP_sha256();
	if (EVP_PKEY_get_base_id(pk) != (ec ? EVP_PKEY_EC : EVP_PKEY_RSA))
		return SIG_ERROR;
	size_t cap = 2048;
	unsigned char *raw = malloc(cap), *der = NULL;
	int len = raw ? unbase64(lt__dsig_child(sig, "SignatureValue"), raw, cap) : -1;
	const unsigned char *value = raw;
	size_t value_len = len > 0 ? (size_t)len : 0;
	int verdict = SIG_ERROR;
	if (len > 0 && ec) {
		der = ecdsa_der(pk, raw, len, &value_len);
		value = der;
		if (!der)
			verdict = SIG_BAD;
	}
	EVP_MD_CTX *ctx = value ? EVP_MD_CTX_new() : NULL;
	if (len > 0 && value && ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1) {
		int ok = EVP_DigestVerify(ctx, value, value_len, xmlOutputBufferGetContent(c14n),
					  xmlOutputBufferGetSize(c14n));
		verdict = ok == 1 ? SIG_GOOD : SIG_BAD;
	}
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	free(raw);
	ERR_clear_error();
	return verdict;
}

/* Pass 2: the package's canonical form digested, the signature left out.
 * URI="" is the document without its comments (XML-DSig 4.3.3.3), so a
 * #WithComments canonicalization has none to keep here. */
static int digest_package(int fd, struct pass *found, struct reference *ref, bool *match, struct lt_err *err)
{
	struct lt__c14n *c = malloc(sizeof *c);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = LT_OK;
	if (!c || !md || EVP_DigestInit_ex(md, ref->md ? ref->md : EVP_sha256(), NULL) != 1 ||
	    lt__c14n_init(c, ref->mode.exclusive, false, (const char *)ref->prefixes, digest_sink, md)) {
		free(c);
		EVP_MD_CTX_free(md);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	struct pass p = {0};
	p.c14n = c;
	p.skip_ordinal = ref->enveloped ? found->sig_ordinal : 0;
	rc = run(&p, fd, 256 * 1024, err);
	if (rc == LT_EINVAL && c->status == LT_EINVAL) {
		/* A relative namespace URI or an undeclared prefix: a verdict (cannot
		 * be processed), not an error. */
		rc = LT_OK;
		*err = (struct lt_err){0};
		*match = false;
		ref->md = NULL;
	} else if (rc == LT_OK) {
		lt__c14n_flush(c);
		unsigned char got[EVP_MAX_MD_SIZE];
		unsigned int n = 0;
		EVP_DigestFinal_ex(md, got, &n);
		*match = (int)n == ref->digest_len && CRYPTO_memcmp(got, ref->digest, n) == 0;
	}
	lt__c14n_free(c);
	free(c);
	EVP_MD_CTX_free(md);
	return rc;
}

int lt__c14n_file(int fd, bool exclusive, bool comments, const char *prefixes,
		  void (*sink)(void *arg, const void *p, size_t n), void *arg, struct lt_err *err)
{
	struct lt__c14n *c = malloc(sizeof *c);
	if (!c || lt__c14n_init(c, exclusive, comments, prefixes, sink, arg)) {
		if (c)
			lt__c14n_free(c);
		free(c);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	struct pass p = {0};
	p.c14n = c;
	int rc = run(&p, fd, 64 * 1024, err);
	if (rc == LT_OK)
		lt__c14n_flush(c);
	lt__c14n_free(c);
	free(c);
	return rc;
}

static void verdict(struct lt_sig_result *r, int v)
{
	if (v == SIG_GOOD)
		r->valid = true;
	else if (v == SIG_ERROR)
		snprintf(r->reason, sizeof r->reason, "the signature cannot be processed");
	else
		snprintf(r->reason, sizeof r->reason,
			 "the signature does not match the package: it was changed after signing, or signed with "
			 "another key");
}

static int verify_fd(int fd, struct lt_sig_result *r, struct lt_err *err)
{
	struct pass a = {0};
	a.capture_mode = true;
	int rc = run(&a, fd, 16 * 1024, err);
	xmlDocPtr doc = NULL;
	xmlOutputBufferPtr si_c14n = NULL;
	struct reference ref = {0};
	bool foreign = false, match = false;
	xmlNodePtr sig = NULL;
	if (rc)
		goto out;
	if (!a.found) {
		snprintf(r->reason, sizeof r->reason, "the package is not signed");
		goto out;
	}
	doc = signature_doc(&a);
	sig = doc ? lt__dsig_find_signature(lt__dsig_find_header(doc), &foreign) : NULL;
	r->present = true;
	/* Whatever the verdict, the package must parse to its end. */
	if (!sig || !sig->children) {
		snprintf(r->reason, sizeof r->reason, "the package is not signed");
		rc = digest_package(fd, &a, &ref, &match, err);
		goto out;
	}
	X509 *cert = lt__dsig_signer(sig, foreign, r);
	if (!cert) {
		rc = digest_package(fd, &a, &ref, &match, err);
		goto out;
	}
	bool shape = structure_ok(sig) && reference_of(sig, &ref);
	rc = digest_package(fd, &a, &ref, &match, err);
	if (rc)
		goto out;
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	xmlNodePtr si = lt__dsig_child(sig, "SignedInfo");
	si_c14n = shape && ref.md ? signed_info_c14n(doc, si) : NULL;
	if (!pk) {
		snprintf(r->reason, sizeof r->reason, "the signer certificate's key is not usable");
	} else if (!si_c14n) {
		verdict(r, SIG_ERROR);
	} else {
		int v = check_value(sig, si_c14n, pk);
		verdict(r, v == SIG_GOOD && !match ? SIG_BAD : v);
	}
out:
	if (si_c14n)
		xmlOutputBufferClose(si_c14n);
	xmlFree(ref.prefixes);
	xmlFreeDoc(doc);
	for (int i = 0; i < 3; i++)
		free(a.anc[i].p);
	free(a.sig.p);
	ERR_clear_error();
	return rc;
}

int lt_sign_verify_file(const char *path, uint64_t budget, struct lt_sig_result *r, struct lt_err *err)
{
	memset(r, 0, sizeof *r);
	int rc = lt__xmlsec_init(err);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lt_err_set(err, LT_EIO, "cannot read the package: %s", strerror(errno));
	lt__sign_gate_enter(LT_SIGN_STREAM_COST, budget ? budget : UINT64_MAX);
	rc = verify_fd(fd, r, err);
	lt__sign_gate_leave(LT_SIGN_STREAM_COST);
	close(fd);
	if (rc)
		lt_sig_result_clear(r);
	return rc;
}
