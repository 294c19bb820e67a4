/* XML-DSig on edXML packages (formats.md §2.6, design.md §5): an enveloped
 * signature over the whole package, placed as the last child of
 * edXML:edXMLHeader where real packages carry it; verification that reads
 * both the XML-DSig namespace and the un-namespaced form seen in samples;
 * and the binding of signer certificates to agency codes. */
#ifndef LIENTHONG_SIGN_H
#define LIENTHONG_SIGN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lienthong/ctx.h"
#include "lienthong/store.h"

/* Packages are parsed whole to be signed or verified. Past this size the
 * signer, and the verifier when it is given no budget of its own, say so
 * instead of holding the document in memory. */
#define LT_SIGN_MAX_BYTES (32u * 1024 * 1024)

struct lt_sign_opts {
	bool inclusive_c14n; /* default: exclusive C14N */
};

/* Signs the package in `in` with the PEM key and certificate (RSA →
 * RSA-SHA256, EC P-256 → ECDSA-SHA256) and writes the signed package to
 * out. The certificate file may hold the signer's certificate followed by
 * intermediate CAs; KeyInfo/X509Data carries them all. A placeholder
 * Signature is replaced. */
int lt_sign_file(const char *in, const char *key_pem, const char *cert_pem, const struct lt_sign_opts *opts, FILE *out,
		 struct lt_err *err);

/* What verification found. */
struct lt_sig_result {
	bool present;         /* a Signature element was found */
	bool valid;           /* the signature verifies with the certificate it carries */
	char reason[256];     /* why not, in words */
	char algorithm[96];   /* SignatureMethod */
	char fingerprint[65]; /* SHA-256 of the signer certificate (DER), hex */
	char subject[256];
	char not_before[32], not_after[32]; /* YYYY-MM-DDTHH:MM:SSZ */
	void *cert;                         /* X509 *, owned: lt_sig_result_clear */
	void *chain;                        /* STACK_OF(X509) *: KeyInfo's other certificates (intermediates), owned */
};
void lt_sig_result_clear(struct lt_sig_result *r);

/* The memory, in bytes, that the tree of a package of `bytes` bytes holding
 * `nodes` nodes and `attributes` attributes (as the edXML reader counts them:
 * lt_edxml_package.xml_nodes, .xml_attributes) takes while it is verified.
 * An upper estimate: a package of dense markup costs some forty times its
 * size, one of a large attachment about twice. */
uint64_t lt_sign_dom_cost(uint64_t bytes, uint64_t nodes, uint64_t attributes);

/* Verifies the package's signature with the certificate in its KeyInfo.
 * The signature is the element among edXMLHeader's children that
 * lt_edxml_is_signature names; one anywhere else is content. Only an
 * enveloped signature over the whole package counts: one Reference with
 * URI="", enveloped-signature and canonicalization transforms only, and the
 * algorithms of formats.md §2.6. Returns LT_OK whatever the verdict (see r);
 * an error only when the file cannot be read or parsed, or its signature
 * element is over LT_SIGN_SIG_MAX_BYTES (LT_ETOOBIG, "too large: ...").
 *
 * The package streams: its canonical form is digested as it is parsed, and
 * only the signature element is held, so memory does not grow with the
 * package (about LT_SIGN_STREAM_COST bytes each). `budget` is what all the
 * verifications of the process may hold at once (0: no limit but one per
 * core); one that would pass it waits for others to end. */
#define LT_SIGN_SIG_MAX_BYTES (1024u * 1024)
#define LT_SIGN_STREAM_COST (8u * 1024 * 1024)
int lt_sign_verify_file(const char *path, uint64_t budget, struct lt_sig_result *r, struct lt_err *err);

/* The same verdict from a tree of the whole package verified by xmlsec: the
 * reference the streaming verifier is tested against. `cost` is what the
 * tree will hold (lt_sign_dom_cost; 0: the file's size), `budget` what all
 * verifications may hold at once (0: LT_SIGN_MAX_BYTES); a package whose
 * cost is over it is never parsed (LT_ETOOBIG). */
int lt_sign_verify_dom(const char *path, uint64_t cost, uint64_t budget, struct lt_sig_result *r, struct lt_err *err);

/* Does the signer certificate chain to one of the CA certificates in the
 * PEM file (or files, ':'-separated) at time `at` (0: now)? */
int lt_sign_chain_ok(const struct lt_sig_result *r, const char *ca_pem, int64_t at, struct lt_err *err);

/* True when the certificate names the code: as the whole value, or as a
 * token set off by non-code characters ("MDD:000.00.00.G22"), of its
 * subject's CN, UID, serialNumber, OU or O, or of an e-mail, DNS or URI
 * SAN. Never as part of a longer code. */
bool lt_sign_cert_names(const struct lt_sig_result *r, const char *code);

/* ---- certificates bound to codes ---- */

/* Parses a PEM certificate and checks its dates against today; fills c
 * (fingerprint, subject, dates, pem). */
int lt_cert_parse(const char *pem, struct lt_cert *c, struct lt_err *err);

/* Is the signer bound to the sender code (a registered, unrevoked
 * certificate, valid at `at`), or does it chain to a trusted CA (ca_pem,
 * may be NULL) whose certificate names the code? LT_ERULE with the reason
 * when not. */
int lt_sign_check_binding(struct lt_store *s, const struct lt_sig_result *r, const char *code, const char *ca_pem,
			  int64_t at, struct lt_err *err);

/* For a caller who may write the code (lt_access_write): binds a PEM
 * certificate (valid today) to an active unit's code, in one
 * transaction; several may be active at once so keys can rotate. */
int lt_cert_register(struct lt_store *s, const struct lt_ctx *ctx, const char *code, const char *pem,
		     struct lt_cert *out, struct lt_err *err);
int lt_cert_revoke(struct lt_store *s, const struct lt_ctx *ctx, const char *code, int64_t id, struct lt_err *err);
/* The certificates bound to a unit's code (LT_ENOTFOUND for an unknown
 * code), oldest first. */
int lt_cert_list(struct lt_store *s, const char *code, lt_cert_cb cb, void *ctx, struct lt_err *err);

#endif
