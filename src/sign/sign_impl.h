/* Internals of the signature module. */
#ifndef LT_SIGN_IMPL_H
#define LT_SIGN_IMPL_H

#include <openssl/x509.h>

#include "lienthong/sign.h"

/* Initialises libxmlsec once per process; LT_EIO when it cannot. */
int lt__xmlsec_init(struct lt_err *err);
/* Fills the certificate fields of r from cert (taking ownership). */
void lt__sig_take_cert(struct lt_sig_result *r, X509 *cert);
/* ASN1_TIME → "YYYY-MM-DDTHH:MM:SSZ". */
void lt__asn1_time(const ASN1_TIME *t, char out[32]);

#endif
