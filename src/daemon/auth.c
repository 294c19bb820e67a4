/* The caller's identity from its bearer token, and whether it may read the
 * catalogue (public_read is the daemon's setting); every change is judged
 * by the core call that makes it. */
#include <string.h>
#include <strings.h>

#include "server.h"

bool auth_identify(struct req *rq)
{
	memset(&rq->call.who, 0, sizeof rq->call.who);
	const char *h = req_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h)
		return true;
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		reply_error(rq, LT_EAUTH, "the Authorization header must be 'Bearer <token>'");
		return false;
	}
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	struct lt_err err = {0};
	if (lt_token_authenticate_cached(rq->srv->store, rq->srv->tcache, tok, &rq->call.who, &err)) {
		reply_err(rq, &err);
		return false;
	}
	return true;
}

static bool check(struct req *rq, int rc, const struct lt_err *err)
{
	if (rc == LT_OK)
		return true;
	reply_err(rq, err);
	return false;
}

bool auth_read(struct req *rq)
{
	struct lt_err err = {0};
	return check(rq, lt_access_read(&rq->call.who, rq->srv->cfg.public_read, &err), &err);
}
