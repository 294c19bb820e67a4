/* Which VXP operation a signature authorises (src/vxp/keys.c): the signed
 * key set must be the one the SDK sends for the operation called, keys
 * leaked from the same service object's earlier calls allowed, so a
 * signature captured from one operation is refused by another. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lienthong/vxp.h"

/* A call whose signed keys are the given "name=value" pairs plus systemid,
 * timestamp and Content-Type, as every SDK call signs. */
static struct lt_vxp_call call_of(const char *const *kv)
{
	struct lt_vxp_call c = {0};
	c.params = json_pack("{s:s,s:s,s:s}", "systemid", "000.00.00.H17", "timestamp", "22112026T230514+0662",
			     "Content-Type", "application/json");
	for (; kv && *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		char k[64];
		snprintf(k, sizeof k, "%.*s", (int)(eq - *kv), *kv);
		json_object_set_new(c.params, k, json_string(eq + 1));
	}
	return c;
}

static int check(const char *op, const char *const *kv)
{
	struct lt_vxp_call c = call_of(kv);
	struct lt_err err = {0};
	int rc = lt_vxp_keys_check(&c, op, &err);
	assert_int_equal(rc, err.status);
	if (rc)
		assert_non_null(strstr(err.msg, op));
	lt_vxp_call_clear(&c);
	return rc;
}

static const char *const list[] = {"servicetype=eDoc", "messagetype=edoc", NULL};
static const char *const send[] = {"servicetype=eDoc", "messagetype=edoc", "hash-file=ab", "from=000.00.00.H17", NULL};
static const char *const get[] = {"docId=0123", "filePath=/tmp/e", NULL};
static const char *const ack[] = {"docId=0123", "status=done", NULL};
static const char *const bkav_ack[] = {"docid=0123", "status=done", NULL};
static const char *const del[] = {"AgencyCode=000.00.01.H17", NULL};
/* The document object after a few calls: every key leaked into a list call. */
static const char *const leaky_list[] = {"servicetype=eDoc", "messagetype=edoc", "docId=0123",         "status=done",
					 "filePath=/tmp/e",  "hash-file=ab",     "from=000.00.00.H17", NULL};

static void test_each_operation_takes_its_own_keys(void **state)
{
	(void)state;
	assert_int_equal(check("getAgenciesList", NULL), LT_OK);
	assert_int_equal(check("getAgenciesListQD20", NULL), LT_OK);
	assert_int_equal(check("getSynchronizeUnit", NULL), LT_OK);
	assert_int_equal(check("registerAgency", NULL), LT_OK);
	assert_int_equal(check("deleteAgency", del), LT_OK);
	assert_int_equal(check("getReceivedEdocList", list), LT_OK);
	assert_int_equal(check("getSentEdocList", list), LT_OK);
	assert_int_equal(check("countReceiveEdoc", list), LT_OK);
	assert_int_equal(check("countReceiveStatus", list), LT_OK);
	assert_int_equal(check("countReceiveEdoc", NULL), LT_OK);
	assert_int_equal(check("sendEdoc", send), LT_OK);
	assert_int_equal(check("getEdoc", get), LT_OK);
	assert_int_equal(check("downloadEdoc", get), LT_OK);
	assert_int_equal(check("updateStatus", ack), LT_OK);
	assert_int_equal(check("updateStatus", bkav_ack), LT_OK);
	/* Leaked keys come along. */
	assert_int_equal(check("getReceivedEdocList", leaky_list), LT_OK);
	assert_int_equal(check("countReceiveEdoc", leaky_list), LT_OK);
	assert_int_equal(check("getAgenciesList", leaky_list), LT_OK);
	assert_int_equal(check("noSuchOperation", list), LT_ENOTFOUND);
}

static void test_a_signature_does_not_serve_another_operation(void **state)
{
	(void)state;
	/* A list call's signature. */
	assert_int_equal(check("registerAgency", list), LT_EAUTH);
	assert_int_equal(check("deleteAgency", list), LT_EAUTH);
	assert_int_equal(check("updateStatus", list), LT_EAUTH);
	assert_int_equal(check("getEdoc", list), LT_EAUTH);
	assert_int_equal(check("downloadEdoc", list), LT_EAUTH);
	assert_int_equal(check("sendEdoc", list), LT_EAUTH);
	/* updateStatus's, getEdoc's, deleteAgency's. */
	assert_int_equal(check("getEdoc", ack), LT_EAUTH);
	assert_int_equal(check("updateStatus", get), LT_EAUTH);
	assert_int_equal(check("registerAgency", ack), LT_EAUTH);
	assert_int_equal(check("deleteAgency", get), LT_EAUTH);
	assert_int_equal(check("getEdoc", del), LT_EAUTH);
	assert_int_equal(check("getReceivedEdocList", del), LT_EAUTH);
	/* A document key never reaches the agency object: even with
	 * AgencyCode present, a leaky document call is not deleteAgency. */
	static const char *const mixed[] = {"AgencyCode=000.00.01.H17", "docId=0123", NULL};
	assert_int_equal(check("deleteAgency", mixed), LT_EAUTH);
	assert_int_equal(check("registerAgency", leaky_list), LT_EAUTH);
	/* What no key set can tell apart: the SDK signs registerAgency with
	 * exactly getAgenciesList's keys and values (and its body unsigned),
	 * hence vxp_agency_ops off by default (docs/vxp.md). */
	assert_int_equal(check("registerAgency", NULL), check("getAgenciesList", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_operation_takes_its_own_keys),
		cmocka_unit_test(test_a_signature_does_not_serve_another_operation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
