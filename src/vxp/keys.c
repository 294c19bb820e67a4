/* Which operation a signature authorises. The HMAC covers the signed keys,
 * not the path nor the body, so a captured signature would otherwise serve
 * any operation. Each operation takes the signed keys the SDK sends for it
 * (formats.md §3.3, §3.7); keys leaked from the same client object's
 * earlier calls may come along. The SDK keeps two such objects: the agency
 * one (the catalogue calls, registerAgency, deleteAgency) and the document
 * one, so a call that changes a binding never carries a document key. */
#include <string.h>
#include <strings.h>

#include "lienthong/vxp.h"

struct op_keys {
	const char *op;
	const char *required[5];
	bool agency_only; /* no key but the agency object's own */
};

static const struct op_keys ops[] = {
	{"getAgenciesList", {NULL}, false},
	{"getAgenciesListQD20", {NULL}, false},
	{"getSynchronizeUnit", {NULL}, false},
	{"registerAgency", {NULL}, true},
	{"deleteAgency", {"AgencyCode", NULL}, true},
	{"sendEdoc", {"servicetype", "messagetype", "from", NULL}, false},
	{"getReceivedEdocList", {"servicetype", "messagetype", NULL}, false},
	{"getSentEdocList", {"servicetype", "messagetype", NULL}, false},
	/* The SDK signs what its caller passes, often {}: the operation names
	 * the kind, and a count is all a replay could learn. */
	{"countReceiveEdoc", {NULL}, false},
	{"countReceiveStatus", {NULL}, false},
	{"getEdoc", {"docId", "filePath", NULL}, false},
	{"downloadEdoc", {"docId", "filePath", NULL}, false},
	{"updateStatus", {"docId", "status", NULL}, false},
};

/* Every key an agency object ever signs. */
static const char *const agency_keys[] = {"systemid", "timestamp", "Content-Type", "AgencyCode", NULL};

static bool is_agency_key(const char *k)
{
	for (int i = 0; agency_keys[i]; i++)
		if (strcasecmp(k, agency_keys[i]) == 0)
			return true;
	return false;
}

int lt_vxp_keys_check(const struct lt_vxp_call *c, const char *op, struct lt_err *err)
{
	const struct op_keys *o = NULL;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0] && !o; i++)
		if (strcmp(ops[i].op, op) == 0)
			o = &ops[i];
	if (!o)
		return lt_err_set(err, LT_ENOTFOUND, "unknown VXP operation '%.60s'", op);
	/* sendEdoc's hash-file is checked with its own wording (it binds the
	 * body), not here. */
	for (int i = 0; o->required[i]; i++)
		if (!lt_vxp_param(c, o->required[i]))
			return lt_err_set(
				err, LT_EAUTH,
				"this signature does not authorise %s: it signs no %s, which the VXP SDK signs "
				"for %s (a signature made for one operation is not accepted for another)",
				op, o->required[i], op);
	const char *k;
	json_t *v;
	json_object_foreach(c->params, k, v)
	{
		if (o->agency_only && !is_agency_key(k))
			return lt_err_set(
				err, LT_EAUTH,
				"this signature does not authorise %s: it signs %.40s, a key of the document "
				"calls, which the VXP SDK never signs for %s (a signature made for one operation "
				"is not accepted for another)",
				op, k, op);
	}
	return LT_OK;
}
