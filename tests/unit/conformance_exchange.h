/* A store conformance case any backend runs: its exchange queries apply
 * the delivery-state rules exchange.h states (lt_delivery_waits,
 * lt_delivery_ack_changes, lt_delivery_ack_counts, lt_delivery_settled),
 * state by state. Include after <cmocka.h>; call with a handle on an empty
 * database. */
#ifndef LT_TEST_CONFORMANCE_EXCHANGE_H
#define LT_TEST_CONFORMANCE_EXCHANGE_H

#include <stdio.h>
#include <string.h>

#include "lienthong/exchange.h"
#include "lienthong/store.h"

struct ce_states {
	char state[LT_DELIVERY_STATES * 2][12];
	int n;
};

static int ce_collect(void *vctx, const struct lt_xdelivery *d)
{
	struct ce_states *c = vctx;
	snprintf(c->state[c->n++], sizeof c->state[0], "%s", d->state);
	return 0;
}

static int ce_inbox(void *vctx, const struct lt_xdelivery *d, const struct lt_xdoc *doc)
{
	(void)doc;
	return ce_collect(vctx, d);
}

static int ce_doc(void *vctx, const struct lt_xdoc *d)
{
	struct ce_states *c = vctx;
	snprintf(c->state[c->n++], sizeof c->state[0], "%s", d->subject);
	return 0;
}

/* One package (id from tag) with one delivery in state s to system sys,
 * last changed at `updated`. */
static void ce_package(struct lt_store *s, int64_t sys, const char *tag, enum lt_delivery_state st, const char *updated,
		       char id[33])
{
	struct lt_err err = {0};
	struct lt_xdoc d = {.kind = "edoc",
			    .system_id = sys,
			    .from_code = "000.00.00.H14",
			    .size = 10,
			    .received = "2026-01-01T00:00:00Z",
			    .doctype = -1};
	snprintf(d.id, sizeof d.id, "%032zx", strlen(tag) * 1000 + (size_t)tag[0] * 10 + (size_t)st);
	snprintf(d.document_id, sizeof d.document_id, "000.00.00.H14,2026/01/01,%s-%d", tag, (int)st);
	snprintf(d.sha256, sizeof d.sha256, "%064d", (int)st);
	snprintf(d.subject, sizeof d.subject, "%s", lt_delivery_state_name(st));
	struct lt_xdelivery dl = {.system_id = sys, .addressed = "000.00.00.H17", .routed_to = "000.00.00.H17"};
	snprintf(dl.doc, sizeof dl.doc, "%s", d.id);
	snprintf(dl.state, sizeof dl.state, "%s", lt_delivery_state_name(st));
	snprintf(dl.updated, sizeof dl.updated, "%s", updated);
	assert_int_equal(lt_store_begin(s, &err), LT_OK);
	assert_int_equal(lt_store_xdoc_add(s, &d, &err), LT_OK);
	assert_int_equal(lt_store_xdelivery_add(s, &dl, &err), LT_OK);
	assert_int_equal(lt_store_commit(s, &err), LT_OK);
	memcpy(id, d.id, 33);
}

static bool ce_has(const struct ce_states *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->state[i], name) == 0)
			return true;
	return false;
}

static void conformance_exchange_state_rules(struct lt_store *s)
{
	struct lt_err err = {0};
	struct lt_system sys = {.name = "QLVB", .created = "2026-01-01T00:00:00Z", .primary_code = "000.00.00.H17"};
	assert_int_equal(lt_store_begin(s, &err), LT_OK);
	assert_int_equal(lt_store_system_add(s, &sys, &err), LT_OK);
	assert_int_equal(lt_store_commit(s, &err), LT_OK);

	/* The inbox, the pending total and retention, one package per state. */
	char id[LT_DELIVERY_STATES][33];
	for (int st = 0; st < LT_DELIVERY_STATES; st++)
		ce_package(s, sys.id, "inbox", (enum lt_delivery_state)st, "2026-01-02T00:00:00Z", id[st]);
	struct ce_states in = {0};
	assert_int_equal(lt_store_xinbox(s, sys.id, NULL, 0, 500, ce_inbox, &in, &err), LT_OK);
	struct ce_states old = {0};
	assert_int_equal(lt_store_xexpired(s, "2026-02-01T00:00:00Z", ce_doc, &old, &err), LT_OK);
	struct ce_states recent = {0};
	assert_int_equal(lt_store_xexpired(s, "2026-01-01T12:00:00Z", ce_doc, &recent, &err), LT_OK);
	assert_int_equal(recent.n, 0); /* changed after `before`: kept whatever the state */
	int64_t counts[LT_XCOUNTS];
	assert_int_equal(lt_store_xcounts(s, counts, &err), LT_OK);
	for (int st = 0; st < LT_DELIVERY_STATES; st++) {
		enum lt_delivery_state e = (enum lt_delivery_state)st;
		const char *name = lt_delivery_state_name(e);
		if (ce_has(&in, name) != lt_delivery_waits(e))
			fail_msg("a delivery in state %s is %sin the inbox", name, ce_has(&in, name) ? "" : "not ");
		if (ce_has(&old, name) != lt_delivery_settled(e))
			fail_msg("a package whose delivery is %s is %sfor retention", name,
				 ce_has(&old, name) ? "" : "not ");
		/* One delivery in each state, counted under its own name's index. */
		if (counts[3 + st] != 1)
			fail_msg("%lld deliveries counted in state %s, not 1", (long long)counts[3 + st], name);
	}

	/* Acknowledgements: every state a delivery can be in, by every state
	 * an acknowledgement can ask for. */
	const enum lt_delivery_state acks[] = {LT_DELIVERY_DONE, LT_DELIVERY_FAIL, LT_DELIVERY_PROCESSING};
	for (int a = 0; a < 3; a++)
		for (int st = 0; st < LT_DELIVERY_STATES; st++) {
			enum lt_delivery_state from = (enum lt_delivery_state)st, to = acks[a];
			char tag[16], doc[33];
			snprintf(tag, sizeof tag, "ack%*d", a + 1, a);
			ce_package(s, sys.id, tag, from, "2026-01-02T00:00:00Z", doc);
			int n = -1;
			assert_int_equal(lt_store_begin(s, &err), LT_OK);
			assert_int_equal(lt_store_xack(s, doc, sys.id, lt_delivery_state_name(to),
						       "2026-01-03T00:00:00Z", &n, &err),
					 LT_OK);
			assert_int_equal(lt_store_commit(s, &err), LT_OK);
			struct ce_states after = {0};
			assert_int_equal(lt_store_xdeliveries(s, doc, ce_collect, &after, &err), LT_OK);
			assert_int_equal(after.n, 1);
			const char *want = lt_delivery_state_name(lt_delivery_ack_changes(from, to) ? to : from);
			if (strcmp(after.state[0], want) != 0)
				fail_msg("ack %s of a %s delivery left it %s, not %s", lt_delivery_state_name(to),
					 lt_delivery_state_name(from), after.state[0], want);
			if ((n > 0) != lt_delivery_ack_counts(from))
				fail_msg("ack %s of a %s delivery counted %d", lt_delivery_state_name(to),
					 lt_delivery_state_name(from), n);
		}
}

#endif
