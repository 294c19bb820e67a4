/* Dispatch of the public store calls to the backend chosen by the URI. */
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "store_impl.h"

static _Atomic int cache_mib = LT_STORE_DEFAULT_CACHE_MIB;

void lt_store_set_cache_mib(int mib) { cache_mib = mib > 0 ? mib : LT_STORE_DEFAULT_CACHE_MIB; }

int lt__store_cache_mib(void) { return cache_mib; }

int lt_store_open(struct lt_store **out, const char *uri, struct lt_err *err)
{
	if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
		return lt__store_pg_open(out, uri, err);
	return lt__store_sqlite_open(out, uri, err);
}

int lt_store_uri_check(const char *uri, struct lt_err *err)
{
	if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
		return lt__store_pg_uri_check(uri, err);
	return LT_OK;
}

bool lt_store_shared(const struct lt_store *s) { return strcmp(s->ops->name, "postgresql") == 0; }

void lt_store_close(struct lt_store *s)
{
	if (s) {
		lt__journal_close(s->journal);
		free(s->j_codes);
		s->ops->close(s);
	}
}

void lt_event_clear(struct lt_event *ev)
{
	if (ev) {
		free(ev->data);
		ev->data = NULL;
	}
}

char *lt_code_rev(const char *code, char *buf)
{
	/* Split on dots and write the groups in reverse order. */
	const char *g[5];
	size_t len[5], n = 0;
	const char *p = code;
	while (n < 5) {
		const char *dot = strchr(p, '.');
		g[n] = p;
		len[n] = dot ? (size_t)(dot - p) : strlen(p);
		n++;
		if (!dot)
			break;
		p = dot + 1;
	}
	size_t o = 0;
	for (size_t i = n; i-- > 0;) {
		if (o + len[i] + 2 > LT_CODE_BUFSZ)
			break;
		memcpy(buf + o, g[i], len[i]);
		o += len[i];
		if (i)
			buf[o++] = '.';
	}
	buf[o] = '\0';
	return buf;
}

char *lt__code_rev_prefix(const char *code, char *buf)
{
	char rev[LT_CODE_BUFSZ];
	lt_code_rev(code, rev);
	/* Drop all-zero groups from the end, keeping the dot after the last kept one. */
	size_t n = strlen(rev);
	for (;;) {
		char *dot = n ? memrchr(rev, '.', n) : NULL;
		if (!dot)
			break;
		const char *grp = dot + 1;
		size_t glen = n - (size_t)(grp - rev);
		if (glen == 0 || strspn(grp, "0") < glen)
			break;
		n = (size_t)(dot - rev);
		rev[n] = '\0';
	}
	memcpy(buf, rev, n);
	buf[n] = '.';
	buf[n + 1] = '\0';
	return buf;
}

/* Whatever a backend or a caller's callback returned, the status and err
 * agree (lt_err_agree): err is cleared first, so what it holds afterwards
 * is this call's account. */
#define DISPATCH(call)                                                                                                 \
	do {                                                                                                           \
		lt_err_clear(err);                                                                                     \
		return lt_err_agree(err, s->ops->call);                                                                \
	} while (0)

/* The same for the calls that go through the issue journal first
 * (store_journal.c): transactions, events and allocation. */
#define JOURNALED(call)                                                                                                \
	do {                                                                                                           \
		lt_err_clear(err);                                                                                     \
		return lt_err_agree(err, call);                                                                        \
	} while (0)

int lt_store_begin(struct lt_store *s, struct lt_err *err) { JOURNALED(lt__sj_begin(s, err)); }
int lt_store_commit(struct lt_store *s, struct lt_err *err) { JOURNALED(lt__sj_commit(s, err)); }
void lt_store_rollback(struct lt_store *s) { lt__sj_rollback(s); }
int lt_store_part(struct lt_store *s, enum lt_store_part what, struct lt_err *err)
{
	JOURNALED(lt__sj_part(s, what, err));
}
int lt_store_unit_get(struct lt_store *s, const char *code, struct lt_unit *out, struct lt_err *err)
{
	DISPATCH(unit_get(s, code, out, err));
}
int lt_store_unit_put(struct lt_store *s, const struct lt_unit *u, struct lt_err *err)
{
	DISPATCH(unit_put(s, u, err));
}
int lt_store_children(struct lt_store *s, const char *parent, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		      struct lt_err *err)
{
	DISPATCH(children(s, parent, f, cb, ctx, err));
}
int lt_store_subtree(struct lt_store *s, const char *root, enum lt_status_filter f, lt_unit_cb cb, void *ctx,
		     struct lt_err *err)
{
	DISPATCH(subtree(s, root, f, cb, ctx, err));
}
int lt_store_search(struct lt_store *s, const struct lt_search_query *q, lt_unit_cb cb, void *ctx, char *next,
		    struct lt_err *err)
{
	next[0] = '\0';
	DISPATCH(search(s, q, cb, ctx, next, err));
}
int lt_store_numbers_used(struct lt_store *s, const char *parent, unsigned **out, size_t *n, struct lt_err *err)
{
	JOURNALED(lt__sj_numbers_used(s, parent, out, n, err));
}
int lt_store_lineage_add(struct lt_store *s, const char *pred, const char *succ, int64_t change_id, struct lt_err *err)
{
	DISPATCH(lineage_add(s, pred, succ, change_id, err));
}
int lt_store_successors(struct lt_store *s, const char *code, struct lt_codelist *out, struct lt_err *err)
{
	DISPATCH(lineage(s, code, true, out, err));
}
int lt_store_predecessors(struct lt_store *s, const char *code, struct lt_codelist *out, struct lt_err *err)
{
	DISPATCH(lineage(s, code, false, out, err));
}
int lt_store_change_add(struct lt_store *s, struct lt_change *c, struct lt_err *err)
{
	DISPATCH(change_add(s, c, err));
}
int lt_store_changes(struct lt_store *s, lt_change_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(changes(s, cb, ctx, err));
}
int lt_store_event_append(struct lt_store *s, struct lt_event *ev, struct lt_err *err)
{
	JOURNALED(lt__sj_event_append(s, ev, err));
}
int lt_store_event_append_unit(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
			       struct lt_err *err)
{
	JOURNALED(lt__sj_event_append_unit(s, ev, u, actor, err));
}
int lt_store_events_for(struct lt_store *s, const char *code, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(events_for(s, code, cb, ctx, err));
}
int lt_store_events_after(struct lt_store *s, int64_t after, int limit, lt_event_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(events_after(s, after, limit, cb, ctx, err));
}
int lt_store_last_seq(struct lt_store *s, int64_t *out, struct lt_err *err) { DISPATCH(last_seq(s, out, err)); }
uint64_t lt_store_generation(struct lt_store *s) { return s->ops->generation(s); }
uint64_t lt_store_generation_now(struct lt_store *s) { return s->ops->generation_now(s); }
int lt_store_notify_bound_ms(struct lt_store *s) { return s->ops->notify_bound_ms; }
int lt_store_event_asof(struct lt_store *s, const char *code, const char *date, struct lt_event *out,
			struct lt_err *err)
{
	DISPATCH(event_asof(s, code, date, out, err));
}
int lt_store_events_asof(struct lt_store *s, const char *parent, bool subtree, const char *date, lt_event_cb cb,
			 void *ctx, struct lt_err *err)
{
	DISPATCH(events_asof(s, parent, subtree, date, cb, ctx, err));
}
int lt_store_ping(struct lt_store *s, struct lt_err *err) { DISPATCH(ping(s, err)); }
int lt_store_integrity_check(struct lt_store *s, struct lt_err *err) { DISPATCH(integrity_check(s, err)); }

int lt_store_token_add(struct lt_store *s, struct lt_token *t, struct lt_err *err) { DISPATCH(token_add(s, t, err)); }
int lt_store_token_find(struct lt_store *s, const char *hash, struct lt_token *out, struct lt_err *err)
{
	DISPATCH(token_find(s, hash, out, err));
}
int lt_store_tokens(struct lt_store *s, lt_token_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(tokens(s, cb, ctx, err));
}
int lt_store_token_revoke(struct lt_store *s, int64_t id, const char *at, struct lt_err *err)
{
	DISPATCH(token_revoke(s, id, at, err));
}
int lt_store_system_add(struct lt_store *s, struct lt_system *sys, struct lt_err *err)
{
	DISPATCH(system_add(s, sys, err));
}
int lt_store_system_get(struct lt_store *s, int64_t id, struct lt_system *out, struct lt_err *err)
{
	DISPATCH(system_get(s, id, out, err));
}
int lt_store_systems(struct lt_store *s, lt_system_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(systems(s, cb, ctx, err));
}
int lt_store_system_code_add(struct lt_store *s, int64_t id, const char *code, struct lt_err *err)
{
	DISPATCH(system_code_add(s, id, code, err));
}
int lt_store_system_codes(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err)
{
	DISPATCH(system_codes(s, id, out, err));
}
int lt_store_system_rebind(struct lt_store *s, const char *old_code, const char *new_code, struct lt_err *err)
{
	DISPATCH(system_rebind(s, old_code, new_code, err));
}

int lt_store_xdoc_find(struct lt_store *s, int64_t system_id, const char *kind, const char *document_id,
		       const char *sha256, struct lt_xdoc *out, struct lt_err *err)
{
	DISPATCH(xdoc_find(s, system_id, kind, document_id, sha256, out, err));
}
int lt_store_xdoc_add(struct lt_store *s, const struct lt_xdoc *d, struct lt_err *err)
{
	DISPATCH(xdoc_add(s, d, err));
}
int lt_store_xdoc_get(struct lt_store *s, const char *id, struct lt_xdoc *out, struct lt_err *err)
{
	DISPATCH(xdoc_get(s, id, out, err));
}
int lt_store_xdoc_for(struct lt_store *s, const char *id, int64_t system_id, struct lt_xdoc *out, bool *receives,
		      struct lt_err *err)
{
	DISPATCH(xdoc_for(s, id, system_id, out, receives, err));
}
int lt_store_xdoc_by_document_id(struct lt_store *s, const char *document_id, const char *from_code,
				 struct lt_xdoc *out, struct lt_err *err)
{
	DISPATCH(xdoc_by_document_id(s, document_id, from_code, out, err));
}
int lt_store_xdelivery_add(struct lt_store *s, struct lt_xdelivery *d, struct lt_err *err)
{
	DISPATCH(xdelivery_add(s, d, err));
}
int lt_store_xdeliveries(struct lt_store *s, const char *doc, lt_xdelivery_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(xdeliveries(s, doc, cb, ctx, err));
}
int lt_store_system_subtree_add(struct lt_store *s, int64_t id, const char *root, struct lt_err *err)
{
	DISPATCH(system_subtree_add(s, id, root, err));
}
int lt_store_system_subtrees(struct lt_store *s, int64_t id, struct lt_codelist *out, struct lt_err *err)
{
	DISPATCH(system_subtrees(s, id, out, err));
}
int lt_store_xsubtree_receivers(struct lt_store *s, const char *root, lt_xreceiver_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(xsubtree_receivers(s, root, cb, ctx, err));
}
int lt_store_relay_out_add(struct lt_store *s, const char *doc, const char *at, struct lt_err *err)
{
	DISPATCH(relay_out_add(s, doc, at, err));
}
int lt_store_relay_out_due(struct lt_store *s, const char *now, int limit, lt_relay_cb cb, void *ctx,
			   struct lt_err *err)
{
	DISPATCH(relay_out_due(s, now, limit, cb, ctx, err));
}
int lt_store_relay_out_retry(struct lt_store *s, const char *doc, int tries, const char *next_try, const char *error,
			     struct lt_err *err)
{
	DISPATCH(relay_out_retry(s, doc, tries, next_try, error, err));
}
int lt_store_relay_out_done(struct lt_store *s, const char *doc, const char *upstream_id, const char *at,
			    struct lt_err *err)
{
	DISPATCH(relay_out_done(s, doc, upstream_id, at, err));
}
int lt_store_relay_link_get(struct lt_store *s, const char *url, int64_t *system_id, struct lt_err *err)
{
	DISPATCH(relay_link_get(s, url, system_id, err));
}
int lt_store_relay_link_add(struct lt_store *s, const char *url, int64_t system_id, struct lt_err *err)
{
	DISPATCH(relay_link_add(s, url, system_id, err));
}
int lt_store_xreceivers(struct lt_store *s, const char *code, lt_xreceiver_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(xreceivers(s, code, cb, ctx, err));
}
int lt_store_xhold_expire(struct lt_store *s, const char *before, const char *at, const char *reason, int *n,
			  struct lt_err *err)
{
	DISPATCH(xhold_expire(s, before, at, reason, n, err));
}
int lt_store_xoperations(struct lt_store *s, const struct lt_xop_filter *f, lt_xop_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(xoperations(s, f, cb, ctx, err));
}
int lt_store_xwaiting(struct lt_store *s, const char *stuck_before, lt_xwaiting_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(xwaiting(s, stuck_before, cb, ctx, err));
}
int lt_store_xinbox(struct lt_store *s, int64_t system_id, const char *kind, int64_t after, int limit, lt_xinbox_cb cb,
		    void *ctx, struct lt_err *err)
{
	DISPATCH(xinbox(s, system_id, kind, after, limit, cb, ctx, err));
}
int lt_store_xack(struct lt_store *s, const char *doc, int64_t system_id, const char *state, const char *at, int *n,
		  struct lt_err *err)
{
	DISPATCH(xack(s, doc, system_id, state, at, n, err));
}
int lt_store_xevents(struct lt_store *s, int64_t delivery_id, lt_xevent_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(xevents(s, delivery_id, cb, ctx, err));
}
int lt_store_xstatus_add(struct lt_store *s, const struct lt_xstatus *st, struct lt_err *err)
{
	DISPATCH(xstatus_add(s, st, err));
}
int lt_store_xstatuses(struct lt_store *s, const char *ref_doc, lt_xstatus_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(xstatuses(s, ref_doc, cb, ctx, err));
}
int lt_store_xstats(struct lt_store *s, const char *from, const char *to, const char *by, lt_xstat_cb cb, void *ctx,
		    struct lt_err *err)
{
	DISPATCH(xstats(s, from, to, by, cb, ctx, err));
}
int lt_store_xexpired(struct lt_store *s, const char *before, lt_xdoc_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(xexpired(s, before, cb, ctx, err));
}
int lt_store_xbody_removed(struct lt_store *s, const char *id, struct lt_err *err)
{
	DISPATCH(xbody_removed(s, id, err));
}
int lt_store_xcounts(struct lt_store *s, int64_t out[LT_XCOUNTS], struct lt_err *err)
{
	DISPATCH(xcounts(s, out, err));
}
int lt_store_systems_by_primary(struct lt_store *s, const char *code, lt_system_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(systems_by_primary(s, code, cb, ctx, err));
}
int lt_store_system_code_remove(struct lt_store *s, int64_t id, const char *code, struct lt_err *err)
{
	DISPATCH(system_code_remove(s, id, code, err));
}
int lt_store_system_disable(struct lt_store *s, int64_t id, const char *at, struct lt_err *err)
{
	DISPATCH(system_disable(s, id, at, err));
}
int lt_store_system_secret_set(struct lt_store *s, int64_t id, const char *sealed, struct lt_err *err)
{
	DISPATCH(system_secret_set(s, id, sealed, err));
}
int lt_store_system_tokens_revoke(struct lt_store *s, int64_t id, const char *at, int *n, struct lt_err *err)
{
	DISPATCH(system_tokens_revoke(s, id, at, n, err));
}
int lt_store_audit_add(struct lt_store *s, struct lt_audit *a, struct lt_err *err) { DISPATCH(audit_add(s, a, err)); }
int lt_store_audits(struct lt_store *s, const char *target, int64_t after, int limit, lt_audit_cb cb, void *ctx,
		    struct lt_err *err)
{
	DISPATCH(audits(s, target, after, limit, cb, ctx, err));
}
int lt_store_xsent(struct lt_store *s, int64_t system_id, const char *kind, const char *since, int limit, lt_xdoc_cb cb,
		   void *ctx, struct lt_err *err)
{
	DISPATCH(xsent(s, system_id, kind, since, limit, cb, ctx, err));
}
int lt_store_cert_add(struct lt_store *s, struct lt_cert *c, struct lt_err *err) { DISPATCH(cert_add(s, c, err)); }
int lt_store_certs(struct lt_store *s, const char *code, lt_cert_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(certs(s, code, cb, ctx, err));
}
int lt_store_plan_add(struct lt_store *s, struct lt_plan_row *p, const struct lt_plan_change *changes, size_t n,
		      struct lt_err *err)
{
	DISPATCH(plan_add(s, p, changes, n, err));
}
int lt_store_plans(struct lt_store *s, int64_t id, lt_plan_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(plans(s, id, cb, ctx, err));
}
int lt_store_plan_of_change(struct lt_store *s, int64_t change_id, int64_t *plan_id, struct lt_err *err)
{
	*plan_id = 0;
	DISPATCH(plan_of_change(s, change_id, plan_id, err));
}
int lt_store_cert_revoke(struct lt_store *s, const char *code, int64_t id, const char *at, struct lt_err *err)
{
	DISPATCH(cert_revoke(s, code, id, at, err));
}
int lt_store_bulk(struct lt_store *s, bool start, size_t rows, bool fresh, struct lt_err *err)
{
	DISPATCH(bulk(s, start, rows, fresh, err));
}
int lt_store_sort_keys(struct lt_store *s, lt_key_cb cb, void *ctx, struct lt_err *err)
{
	DISPATCH(sort_keys(s, cb, ctx, err));
}
int lt_store_snapshot(struct lt_store *s, const char *dest, lt_snapshot_body_cb cb, void *ctx, int64_t *last_seq,
		      struct lt_err *err)
{
	DISPATCH(snapshot(s, dest, cb, ctx, last_seq, err));
}
