/* The hub's own packages: the connected system it sends them from (a probe
 * of a transition campaign comes from the hub's code, like any package
 * from a unit), and the first fetch of each by its receivers, which a
 * probe's report shows. */
#include <stdlib.h>
#include <string.h>

#include "exchange_impl.h"
#include "lienthong/log.h"
#include "lienthong/store_campaigns.h"
#include "lienthong/text.h"

const char *lt_exchange_hub_code(const struct lt_exchange *x) { return x->hub_code; }
int64_t lt_exchange_hub_system(struct lt_exchange *x) { return lt__hub_system(x); }

int64_t lt__hub_system(struct lt_exchange *x)
{
	int64_t id = atomic_load(&x->hub_system);
	if (id || !x->hub_code[0])
		return id;
	/* Another node (or an earlier run) may have made it. */
	struct lt_err e = {0};
	if (lt_store_hub_sender_get(x->store, x->hub_code, &id, &e) == LT_OK)
		atomic_store(&x->hub_system, id);
	return id;
}

int lt_exchange_hub_sender(struct lt_exchange *x, const struct lt_ctx *ctx, int64_t *id, struct lt_err *err)
{
	int rc = lt_access_hub_send(&ctx->who, err);
	if (rc)
		return rc;
	if (!x->hub_code[0])
		return lt_err_set(err, LT_ERULE,
				  "the hub has no code to send its own packages as: set hub_code in the configuration "
				  "to the code of the unit that runs it");
	if ((*id = lt__hub_system(x)))
		return LT_OK;
	struct lt_unit u;
	if ((rc = lt_registry_get(x->reg, x->hub_code, NULL, &u, err)))
		return rc == LT_ENOTFOUND
			       ? lt_err_set(err, LT_ERULE, "hub_code %s is not a code of the registry", x->hub_code)
			       : rc;
	if (u.status != LT_UNIT_ACTIVE)
		return lt_err_set(err, LT_ERULE, "hub_code %s is closed: set hub_code to its successor", x->hub_code);
	struct lt_system sys = {0};
	lt_text_format(sys.name, sizeof sys.name, "Trục liên thông (gói của trục, %s)", x->hub_code);
	lt_text_format(sys.primary_code, sizeof sys.primary_code, "%s", x->hub_code);
	lt_time_now(sys.created);
	/* No token and no sealed secret: nobody authenticates as it. */
	if ((rc = lt_store_begin(x->store, err)))
		return rc;
	int64_t found = 0;
	struct lt_err e = {0};
	int grc = lt_store_hub_sender_get(x->store, x->hub_code, &found, &e);
	if (grc == LT_OK)
		sys.id = found;
	else if (grc != LT_ENOTFOUND)
		rc = lt_err_set(err, grc, "%s", e.msg);
	else if ((rc = lt_store_system_add(x->store, &sys, err)) == LT_OK &&
		 (rc = lt_store_system_code_add(x->store, sys.id, x->hub_code, err)) == LT_OK &&
		 (rc = lt_store_hub_sender_set(x->store, x->hub_code, sys.id, err)) == LT_OK) {
		json_t *d = json_pack("{s:s,s:I}", "code", x->hub_code, "system", (json_int_t)sys.id);
		char target[64];
		snprintf(target, sizeof target, "system:%lld", (long long)sys.id);
		rc = d ? lt_audit_record(x->store, ctx, "system.hub_sender", target, d, err)
		       : lt_err_set(err, LT_ENOMEM, "out of memory");
		json_decref(d);
	}
	if (rc == LT_OK)
		rc = lt_store_commit(x->store, err);
	else
		lt_store_rollback(x->store);
	if (rc == LT_OK) {
		atomic_store(&x->hub_system, sys.id);
		*id = sys.id;
	}
	return rc;
}

/* Whether a package's body was fetched matters only for the hub's own
 * packages (a probe's report): only those cost a write. */
void lt__note_fetch(struct lt_exchange *x, const struct lt_principal *who, const struct lt_xdoc *d)
{
	if (who->role != LT_ROLE_SYSTEM || !who->system_id || !x->hub_code[0] || strcmp(d->from_code, x->hub_code) != 0)
		return;
	int64_t hub = lt__hub_system(x);
	if (!hub || d->system_id != hub)
		return;
	char at[32];
	lt_time_now(at);
	struct lt_err e = {0};
	if (lt_store_xfetch_note(x->store, d->id, who->system_id, at, &e) != LT_OK)
		lt_log_warnx("exchange: cannot record the fetch of %s by system %lld: %s", d->id,
			     (long long)who->system_id, e.msg);
}
