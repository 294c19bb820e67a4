/* Delivery states and the rules over them, stated once (exchange.h); each
 * store backend implements them in its queries. */
#include <string.h>

#include "lienthong/exchange.h"

static const char *const names[LT_DELIVERY_STATES] = {"pending", "processing", "done",    "fail",  "refused",
						      "merged",  "no_system",  "expired", "relay", "relayed"};

const char *lt_delivery_state_name(enum lt_delivery_state s)
{
	return (unsigned)s < LT_DELIVERY_STATES ? names[s] : "unknown";
}

int lt_delivery_state_parse(const char *name, enum lt_delivery_state *out, struct lt_err *err)
{
	for (int i = 0; name && i < LT_DELIVERY_STATES; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum lt_delivery_state)i;
			return LT_OK;
		}
	return lt_err_set(err, LT_EINVAL, "'%.40s' is not a delivery state", name ? name : "");
}

bool lt_delivery_waits(enum lt_delivery_state s)
{
	return s == LT_DELIVERY_PENDING || s == LT_DELIVERY_PROCESSING || s == LT_DELIVERY_FAIL;
}

bool lt_delivery_ack_state(enum lt_delivery_state s)
{
	return s == LT_DELIVERY_DONE || s == LT_DELIVERY_FAIL || s == LT_DELIVERY_PROCESSING;
}

bool lt_delivery_ack_changes(enum lt_delivery_state from, enum lt_delivery_state to)
{
	return lt_delivery_waits(from) && lt_delivery_ack_state(to) && from != to;
}

bool lt_delivery_ack_counts(enum lt_delivery_state s) { return lt_delivery_waits(s) || s == LT_DELIVERY_DONE; }

bool lt_delivery_settled(enum lt_delivery_state s)
{
	return s == LT_DELIVERY_DONE || s == LT_DELIVERY_REFUSED || s == LT_DELIVERY_MERGED ||
	       s == LT_DELIVERY_EXPIRED || s == LT_DELIVERY_RELAYED;
}
