/* /v1/deliveries: the operators' view of documents and deliveries, and per
 * system what waits and what is stuck. The library decides who sees what
 * (an admin all, a manager its units' deliveries, metadata only). */
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* A code filter from the query, canonical; "" when absent. */
static bool query_code(struct req *rq, const char *key, char out[LT_CODE_BUFSZ])
{
	const char *v = req_query(rq, key);
	out[0] = '\0';
	return !v || !*v || req_code(rq, v, out, key);
}

void h_deliveries(struct req *rq)
{
	char sender[LT_CODE_BUFSZ], recipient[LT_CODE_BUFSZ];
	long long hours, before, limit;
	if (!query_code(rq, "sender", sender) || !query_code(rq, "recipient", recipient) ||
	    !req_query_int(rq, "older_than_hours", 0, 24 * 365 * 10, -1, &hours) ||
	    !req_query_int(rq, "before", 0, INT64_MAX, 0, &before) || !req_query_int(rq, "limit", 1, 1000, 100, &limit))
		return;
	struct lt_delivery_query q = {sender, recipient, req_query(rq, "state"), (int)hours, before, (int)limit};
	json_t *out;
	struct lt_err err = {0};
	if (lt_exchange_deliveries(rq->srv->xch, &rq->call.who, &q, &out, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, out);
}

void h_deliveries_waiting(struct req *rq)
{
	long long hours;
	if (!req_query_int(rq, "stuck_hours", 0, 24 * 365, 24, &hours))
		return;
	json_t *out;
	struct lt_err err = {0};
	if (lt_exchange_waiting(rq->srv->xch, &rq->call.who, (int)hours, &out, &err))
		reply_err(rq, &err);
	else
		reply_json(rq, 200, out);
}
