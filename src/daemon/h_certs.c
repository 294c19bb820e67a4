/* /v1/units/{code}/certificates: signing certificates bound to a code
 * (several at once, so keys can rotate), added and revoked by the unit's
 * manager. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lienthong/sign.h"
#include "server.h"

static json_t *cert_json(const struct lt_cert *c)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s?}", "id", (json_int_t)c->id, "code", c->code, "fingerprint",
			 c->fingerprint, "subject", c->subject, "not_before", c->not_before, "not_after", c->not_after,
			 "added", c->added, "revoked", c->revoked[0] ? c->revoked : NULL);
}

static int collect(void *ctx, const struct lt_cert *c)
{
	return json_array_append_new(ctx, cert_json(c)) ? LT_ENOMEM : LT_OK;
}

void h_certs_list(struct req *rq)
{
	char code[LT_CODE_BUFSZ];
	if (!auth_read(rq) || !req_code(rq, rq->params[0], code, "code"))
		return;
	struct lt_err err = {0};
	json_t *items = json_array();
	if (lt_cert_list(rq->srv->store, code, collect, items, &err)) {
		json_decref(items);
		reply_err(rq, &err);
		return;
	}
	reply_json(rq, 200, json_pack("{s:s,s:o}", "code", code, "items", items));
}

void h_certs_add(struct req *rq)
{
	char code[LT_CODE_BUFSZ];
	if (!req_code(rq, rq->params[0], code, "code"))
		return;
	/* The PEM as the body, or {"pem": "…"}. */
	const char *ct = req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	json_t *o = NULL;
	const char *pem = rq->body;
	if (ct && strncasecmp(ct, "application/json", 16) == 0) {
		static const char *const spec[] = {"pem:s!", NULL};
		if (!(o = req_json_object(rq)))
			return;
		if (!req_fields(rq, o, spec, NULL)) {
			json_decref(o);
			return;
		}
		pem = json_string_value(json_object_get(o, "pem"));
	}
	if (!pem || !*pem) {
		reply_error(rq, LT_EINVAL, "send the certificate as PEM (-----BEGIN CERTIFICATE-----)");
		json_decref(o);
		return;
	}
	struct lt_cert c;
	struct lt_err err = {0};
	int rc = lt_cert_bind(rq->srv->store, &rq->call, code, pem, &c, &err);
	json_decref(o);
	if (rc) {
		reply_err(rq, &err);
		return;
	}
	snprintf(rq->location, sizeof rq->location, "/v1/units/%s/certificates", code);
	reply_json(rq, 201, cert_json(&c));
}

void h_certs_revoke(struct req *rq)
{
	char code[LT_CODE_BUFSZ];
	if (!req_code(rq, rq->params[0], code, "code"))
		return;
	long long id;
	if (!lt_text_int(rq->params[1], 1, INT64_MAX, &id)) {
		reply_error(rq, LT_EINVAL, "'%.30s' is not a certificate id", rq->params[1]);
		return;
	}
	struct lt_err err = {0};
	int rc = lt_cert_withdraw(rq->srv->store, &rq->call, code, id, &err);
	if (rc)
		reply_err(rq, &err);
	else
		reply_json(rq, 200, json_pack("{s:s,s:I,s:b}", "code", code, "id", (json_int_t)id, "revoked", true));
}
