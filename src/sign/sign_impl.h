/* Internals of the signature module. */
#ifndef LT_SIGN_IMPL_H
#define LT_SIGN_IMPL_H

#include <libxml/tree.h>
#include <openssl/x509.h>
#include <xmlsec/transforms.h>

#include "lienthong/sign.h"

/* Initialises libxmlsec once per process; LT_EIO when it cannot. */
int lt__xmlsec_init(struct lt_err *err);
/* Fills the certificate fields of r from cert (taking ownership). */
void lt__sig_take_cert(struct lt_sig_result *r, X509 *cert);
/* ASN1_TIME → "YYYY-MM-DDTHH:MM:SSZ". */
void lt__asn1_time(const ASN1_TIME *t, char out[32]);

/* ---- the shape of a signature (xmldsig.c), shared by both verifiers ---- */

/* What a signature may use (the allow-list of formats.md §2.6). */
enum alg_use { ALG_METHOD, ALG_C14N, ALG_TRANSFORM, ALG_DIGEST };
struct alg {
	xmlSecTransformId id;
	enum alg_use use;
	bool legacy;
};
/* The Algorithm of node n (copied into name) if it is one of `use`
 * (canonicalizations also count as Reference transforms); NULL if not. */
const struct alg *lt__dsig_find_alg(xmlNodePtr n, enum alg_use use, char *name, size_t cap);
bool lt__dsig_is(xmlNodePtr n, const char *name);
xmlNodePtr lt__dsig_child(xmlNodePtr parent, const char *name);
/* edXML/edXMLEnvelope/edXMLHeader, or edXMLEnvelope/edXMLHeader at the root. */
xmlNodePtr lt__dsig_find_header(xmlDocPtr doc);
/* The first child of the header that lt_edxml_is_signature names; *foreign
 * when it is not in the XML-DSig namespace (the samples' form). */
xmlNodePtr lt__dsig_find_signature(xmlNodePtr header, bool *foreign);
/* Moves a sample-style Signature into the XML-DSig namespace. */
void lt__dsig_adopt_ns(xmlNodePtr sig);
/* The algorithms and the one whole-document Reference; r->reason when not. */
bool lt__dsig_signed_info_ok(xmlNodePtr sig, struct lt_sig_result *r);
/* KeyInfo's certificates: the signer's in *leaf, the others in *rest. */
void lt__dsig_keyinfo_certs(xmlNodePtr sig, X509 **leaf, STACK_OF(X509) * *rest);
/* What both verifiers check before the signature's value: SignedInfo's shape
 * and the KeyInfo certificates (taken into r). Returns the signer's
 * certificate, owned by r, or NULL with r->reason saying why not. */
X509 *lt__dsig_signer(xmlNodePtr sig, bool foreign, struct lt_sig_result *r);
/* At most one verification per core, and together within budget bytes. */
void lt__sign_gate_enter(uint64_t cost, uint64_t budget);
void lt__sign_gate_leave(uint64_t cost);

/* ---- streaming canonicalisation (c14n_stream.c) ---- */

struct lt__c14n_ns;
struct lt__c14n {
	bool exclusive, comments;
	int status; /* LT_EINVAL: a relative namespace URI or an undeclared prefix; LT_ENOMEM */
	unsigned depth, skip_depth;
	bool after_root;
	char **list; /* the exclusive PrefixList; "" for #default */
	size_t n_list, cap_list;
	struct lt__c14n_ns *scope, *rendered;
	size_t n_scope, cap_scope, n_rendered, cap_rendered;
	const char **pick;
	size_t cap_pick;
	int *order;
	size_t cap_order;
	void (*sink)(void *arg, const void *p, size_t n);
	void *arg;
	size_t len;
	unsigned char buf[16384];
};
int lt__c14n_init(struct lt__c14n *c, bool exclusive, bool comments, const char *prefix_list,
		  void (*sink)(void *arg, const void *p, size_t n), void *arg);
void lt__c14n_free(struct lt__c14n *c);
/* SAX2's arguments: ns as prefix/URI pairs, attrs as 5-tuples. */
void lt__c14n_start(struct lt__c14n *c, const xmlChar *local, const xmlChar *prefix, int nns, const xmlChar **ns,
		    int nattr, const xmlChar **attrs);
void lt__c14n_end(struct lt__c14n *c, const xmlChar *local, const xmlChar *prefix);
void lt__c14n_text(struct lt__c14n *c, const xmlChar *s, int len);
void lt__c14n_comment(struct lt__c14n *c, const xmlChar *s);
void lt__c14n_pi(struct lt__c14n *c, const xmlChar *target, const xmlChar *data);
/* The next element started, and everything in it, is left out. */
void lt__c14n_skip_next(struct lt__c14n *c);
void lt__c14n_flush(struct lt__c14n *c);
bool lt__c14n_uri_ok(const char *uri);
/* The canonical form of a whole file, through the verifier's own pass (for
 * tests: it must equal libxml2's of the same document). */
int lt__c14n_file(int fd, bool exclusive, bool comments, const char *prefixes,
		  void (*sink)(void *arg, const void *p, size_t n), void *arg, struct lt_err *err);

#endif
