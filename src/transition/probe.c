/* Probe runs: the hub sends a real edXML package, from its own code, to
 * every active unit in a campaign's scope that has a receiving system, and
 * reports per unit who received, fetched, acknowledged and answered it
 * (status 01). A probe is marked in its header (Code/CodeNotation LT-THAMDO,
 * the subject's "[THĂM DÒ]" prefix) so a receiving system can file it away
 * instead of registering it as incoming correspondence (docs/campaigns.md). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign_impl.h"
#include "lienthong/access.h"
#include "lienthong/edxml.h"
#include "lienthong/text.h"

/* Recipients per probe package: one header stays small enough for any
 * receiving system to parse. */
#define PROBE_TO_MAX 100
#define PROBE_NOTATION "LT-THAMDO"

struct scope {
	struct lt_codelist units;
	struct lt_err *err;
};

static int scope_add(void *ctx, const struct lt_unit *u)
{
	struct scope *sc = ctx;
	if (u->status != LT_UNIT_ACTIVE || lt_codelist_has(&sc->units, u->code))
		return LT_OK;
	return lt_codelist_add(&sc->units, u->code) ? lt_err_set(sc->err, LT_ENOMEM, "out of memory") : LT_OK;
}

struct succ_ctx {
	struct lt_registry *r;
	struct scope *sc;
};

static int scope_successor(void *ctx, const char *old_code, const char *new_code)
{
	(void)old_code;
	struct succ_ctx *c = ctx;
	struct lt_unit u;
	struct lt_err e = {0};
	if (!new_code[0] || lt_registry_get(c->r, new_code, NULL, &u, &e) != LT_OK)
		return LT_OK;
	return scope_add(c->sc, &u);
}

static int count_receiver(void *ctx, int64_t system_id)
{
	int64_t *c = ctx;
	if (system_id != c[1])
		c[0]++;
	return LT_OK;
}

/* One package from the hub to units [0, n), sent as the hub's system;
 * doc receives the hub's id of it. */
static int send_one(struct lt_registry *r, struct lt_exchange *x, const struct lt_ctx *ctx,
		    const struct lt_campaign_row *c, char (*units)[LT_CODE_BUFSZ], size_t n, const char *number,
		    char doc[LT_DOC_ID_BUFSZ], struct lt_err *err)
{
	const char *hub = lt_exchange_hub_code(x);
	struct lt_unit u;
	int rc = lt_registry_get(r, hub, NULL, &u, err);
	if (rc)
		return rc;
	struct lt_edxml_package *p = lt_edxml_package_new(LT_EDXML_EDOC);
	if (!p)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	char today[LT_DATE_BUFSZ], subject[512], content[512];
	lt_date_today(today);
	rc = lt_edxml_organ_id_set(&p->from.organ_id, hub, LT_CODE_STRICT, err);
	p->from.organ_name = lt_edxml_strdup(p, u.name);
	for (size_t i = 0; i < n && rc == LT_OK; i++) {
		struct lt_edxml_organ *to = lt_edxml_add_to(p);
		if (!to) {
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
			break;
		}
		if ((rc = lt_edxml_organ_id_set(&to->organ_id, units[i], LT_CODE_STRICT, err)) == LT_OK &&
		    (rc = lt_registry_get(r, units[i], NULL, &u, err)) == LT_OK)
			to->organ_name = lt_edxml_strdup(p, u.name);
	}
	if (rc == LT_OK)
		rc = lt_edxml_docid_make(&p->document_id, hub, today, number, PROBE_NOTATION, LT_CODE_STRICT, err);
	lt_text_format(subject, sizeof subject, "[THĂM DÒ] Kiểm tra gửi nhận sau chuyển đổi mã định danh: %s", c->name);
	lt_text_format(content, sizeof content,
		       "Gói thăm dò của trục liên thông (chiến dịch %lld). Hệ thống nhận: tải về, xác nhận đã "
		       "nhận (trạng thái 01), rồi lưu riêng, không vào sổ văn bản đến.",
		       (long long)c->id);
	p->code.number = lt_edxml_strdup(p, number);
	p->code.notation = PROBE_NOTATION;
	p->promulgation.place = "Trục liên thông";
	lt_text_format(p->promulgation.date, sizeof p->promulgation.date, "%s", today);
	p->document_type.type = 1;
	p->document_type.type_detail = 0;
	p->document_type.type_name = "Gói thăm dò";
	p->subject = lt_edxml_strdup(p, subject);
	p->content = lt_edxml_strdup(p, content);
	p->other.sphere_of_promulgation = "Thăm dò chuyển đổi mã định danh";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = rc == LT_OK ? open_memstream(&buf, &len) : NULL;
	if (rc == LT_OK && !f)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK) {
		rc = lt_edxml_write(p, f, err);
		if (fclose(f) != 0 && rc == LT_OK)
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	lt_edxml_package_free(p);
	struct lt_upload *up = NULL;
	if (rc == LT_OK)
		rc = lt_upload_begin_hub(x, ctx, &up, err);
	if (rc == LT_OK && (rc = lt_upload_feed(up, buf, len, err)) != LT_OK)
		lt_upload_abort(up);
	free(buf);
	json_t *reply = NULL;
	bool replayed = false;
	if (rc == LT_OK && (rc = lt_upload_finish(up, &reply, &replayed, err)) == LT_OK)
		lt_text_format(doc, LT_DOC_ID_BUFSZ, "%s", json_string_value(json_object_get(reply, "id")));
	json_decref(reply);
	return rc;
}

int lt_campaign_probe(struct lt_registry *r, struct lt_exchange *x, const struct lt_ctx *ctx, int64_t id, json_t **out,
		      struct lt_err *err)
{
	*out = NULL;
	struct lt_store *s = lt_registry_store(r);
	struct lt_campaign_row c;
	int64_t hub = 0;
	int rc = lt__campaign_load(s, &ctx->who, id, &c, err);
	if (rc == LT_OK)
		rc = lt_exchange_hub_sender(x, ctx, &hub, err);
	if (rc)
		return rc;
	struct scope sc = {{0}, err};
	struct lt_unit root;
	if (c.under[0] && lt_registry_get(r, c.under, NULL, &root, err) == LT_OK)
		rc = scope_add(&sc, &root);
	if (rc == LT_OK && c.under[0])
		rc = lt_store_subtree(s, c.under, LT_FILTER_ACTIVE, scope_add, &sc, err);
	struct succ_ctx su = {r, &sc};
	if (rc == LT_OK)
		rc = lt_store_campaign_codes(s, id, scope_successor, &su, err);
	/* Units with a receiving system other than the hub's own go in the
	 * packages; the others are reported as having none. */
	size_t n = sc.units.n, n_sent = 0;
	char(*docs)[LT_DOC_ID_BUFSZ] = calloc(n ? n : 1, sizeof *docs);
	char(*with)[LT_CODE_BUFSZ] = calloc(n ? n : 1, sizeof *with);
	size_t *idx = calloc(n ? n : 1, sizeof *idx);
	if (rc == LT_OK && (!docs || !with || !idx))
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == LT_OK; i++) {
		if (strcmp(sc.units.codes[i], lt_exchange_hub_code(x)) == 0)
			continue;
		int64_t cnt[2] = {0, hub};
		rc = lt_store_xreceivers(s, sc.units.codes[i], count_receiver, cnt, err);
		if (rc == LT_OK && cnt[0]) {
			memcpy(with[n_sent], sc.units.codes[i], LT_CODE_BUFSZ);
			idx[n_sent++] = i;
		}
	}
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%H%M%S", &tm);
	for (size_t k = 0; k * PROBE_TO_MAX < n_sent && rc == LT_OK; k++) {
		char number[64], doc[LT_DOC_ID_BUFSZ] = "";
		size_t m = n_sent - k * PROBE_TO_MAX < PROBE_TO_MAX ? n_sent - k * PROBE_TO_MAX : PROBE_TO_MAX;
		snprintf(number, sizeof number, "%lld.%s.%zu", (long long)c.id, stamp, k + 1);
		rc = send_one(r, x, ctx, &c, with + k * PROBE_TO_MAX, m, number, doc, err);
		for (size_t i = 0; i < m && rc == LT_OK; i++)
			memcpy(docs[idx[k * PROBE_TO_MAX + i]], doc, LT_DOC_ID_BUFSZ);
	}
	/* The packages are committed by now; the run and its units are one
	 * transaction of their own. */
	struct lt_probe_row pr = {.campaign_id = id};
	lt_time_now(pr.at);
	lt_ctx_actor(ctx, pr.actor, sizeof pr.actor);
	if (rc == LT_OK && (rc = lt_store_begin(s, err)) == LT_OK) {
		rc = lt_store_probe_add(s, &pr, err);
		for (size_t i = 0; i < n && rc == LT_OK; i++)
			if (strcmp(sc.units.codes[i], lt_exchange_hub_code(x)) != 0)
				rc = lt_store_probe_unit_add(s, pr.id, sc.units.codes[i], docs[i], err);
		if (rc == LT_OK) {
			char target[64];
			snprintf(target, sizeof target, "campaign:%lld", (long long)id);
			json_t *d = json_pack("{s:I,s:I,s:I}", "probe", (json_int_t)pr.id, "units", (json_int_t)n,
					      "sent", (json_int_t)n_sent);
			rc = d ? lt_audit_record(s, ctx, "campaign.probe", target, d, err)
			       : lt_err_set(err, LT_ENOMEM, "out of memory");
			json_decref(d);
		}
		if (rc == LT_OK)
			rc = lt_store_commit(s, err);
		else
			lt_store_rollback(s);
	}
	free(docs);
	free(with);
	free(idx);
	lt_codelist_free(&sc.units);
	return rc ? rc : lt_campaign_probe_report(r, x, &ctx->who, id, out, err);
}

/* ---- the report ---- */

struct report {
	struct lt_registry *r;
	struct lt_store *s;
	json_t *units;
	char doc[LT_DOC_ID_BUFSZ]; /* the package whose rows are loaded */
	json_t *deliveries;        /* its deliveries, [{routed_to, system_id, state, updated}] */
	json_t *statuses;          /* its 01s: {"<from code>": received} */
	int64_t counts[6];         /* no_system, delivered, fetched, acknowledged, answered, not_delivered */
	struct lt_err *err;
};

static int keep_delivery(void *ctx, const struct lt_xdelivery *d)
{
	struct report *rp = ctx;
	if (!d->system_id)
		return LT_OK;
	return lt__append(rp->deliveries,
			  json_pack("{s:s,s:I,s:s,s:s}", "routed_to", d->routed_to, "system_id",
				    (json_int_t)d->system_id, "state", d->state, "updated", d->updated),
			  rp->err);
}

static int keep_status(void *ctx, const struct lt_xstatus *st)
{
	struct report *rp = ctx;
	if (strcmp(st->code, "01") != 0 || json_object_get(rp->statuses, st->from_code))
		return LT_OK;
	return json_object_set_new(rp->statuses, st->from_code, json_string(st->received))
		       ? lt_err_set(rp->err, LT_ENOMEM, "out of memory")
		       : LT_OK;
}

static int load_doc(struct report *rp, const char *doc)
{
	if (strcmp(rp->doc, doc) == 0)
		return LT_OK;
	json_decref(rp->deliveries);
	json_decref(rp->statuses);
	rp->deliveries = json_array();
	rp->statuses = json_object();
	lt_text_format(rp->doc, sizeof rp->doc, "%s", doc);
	if (!rp->deliveries || !rp->statuses)
		return lt_err_set(rp->err, LT_ENOMEM, "out of memory");
	int rc = lt_store_xdeliveries(rp->s, doc, keep_delivery, rp, rp->err);
	return rc ? rc : lt_store_xstatuses(rp->s, doc, keep_status, rp, rp->err);
}

/* How far a unit's probe went, furthest first. */
static const char *const stages[] = {"no_system", "delivered", "fetched", "acknowledged", "answered", "not_delivered"};

static int report_unit(void *ctx, const char *code, const char *doc)
{
	struct report *rp = ctx;
	struct lt_unit u;
	struct lt_err e = {0};
	const char *name = lt_registry_get(rp->r, code, NULL, &u, &e) == LT_OK ? u.name : NULL;
	json_t *systems = json_array();
	if (!systems)
		return lt_err_set(rp->err, LT_ENOMEM, "out of memory");
	int stage = 0, rc = LT_OK;
	const char *answered = NULL;
	if (doc[0]) {
		stage = 5;
		if ((rc = load_doc(rp, doc))) {
			json_decref(systems);
			return rc;
		}
		answered = json_string_value(json_object_get(rp->statuses, code));
		size_t i;
		json_t *d;
		json_array_foreach(rp->deliveries, i, d)
		{
			if (strcmp(json_string_value(json_object_get(d, "routed_to")), code) != 0)
				continue;
			int64_t sid = json_integer_value(json_object_get(d, "system_id"));
			const char *state = json_string_value(json_object_get(d, "state"));
			struct lt_system sys;
			char fetched[32] = "";
			if ((rc = lt_store_system_get(rp->s, sid, &sys, rp->err)) ||
			    (rc = lt_store_xfetch_get(rp->s, doc, sid, fetched, rp->err)))
				break;
			bool done = strcmp(state, "done") == 0;
			int st = answered ? 4 : done ? 3 : fetched[0] ? 2 : 1;
			if (stage == 5 || st > stage)
				stage = st;
			rc = lt__append(systems,
					json_pack("{s:I,s:s,s:s,s:b,s:s?,s:s?}", "id", (json_int_t)sid, "name",
						  sys.name, "state", state, "delivered", true, "fetched",
						  fetched[0] ? fetched : NULL, "acknowledged",
						  done ? json_string_value(json_object_get(d, "updated")) : NULL),
					rp->err);
			if (rc)
				break;
		}
	}
	if (rc) {
		json_decref(systems);
		return rc;
	}
	rp->counts[stage]++;
	/* "o" takes systems whether the pack succeeds or not. */
	return lt__append(rp->units,
			  json_pack("{s:s,s:s?,s:s,s:s?,s:s?,s:o}", "code", code, "name", name, "result", stages[stage],
				    "doc", doc[0] ? doc : NULL, "status_01", answered, "systems", systems),
			  rp->err);
}

int lt_campaign_probe_report(struct lt_registry *r, struct lt_exchange *x, const struct lt_principal *who, int64_t id,
			     json_t **out, struct lt_err *err)
{
	(void)x;
	*out = NULL;
	struct lt_store *s = lt_registry_store(r);
	struct lt_campaign_row c;
	struct lt_probe_row pr;
	int rc = lt__campaign_load(s, who, id, &c, err);
	if (rc)
		return rc;
	if ((rc = lt_store_probe_latest(s, id, &pr, err)) == LT_ENOTFOUND)
		return lt_err_set(err, LT_ENOTFOUND,
				  "campaign %lld has sent no probe yet: POST /v1/transitions/%lld/probe", (long long)id,
				  (long long)id);
	if (rc)
		return rc;
	struct report rp = {.r = r, .s = s, .units = json_array(), .err = err};
	if (!rp.units)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	rc = lt_store_probe_units(s, pr.id, report_unit, &rp, err);
	json_decref(rp.deliveries);
	json_decref(rp.statuses);
	if (rc) {
		json_decref(rp.units);
		return rc;
	}
	json_t *counts = json_object();
	for (size_t i = 0; counts && i < 6; i++)
		json_object_set_new(counts, stages[i], json_integer(rp.counts[i]));
	*out = json_pack("{s:I,s:I,s:s,s:s,s:o*,s:o}", "campaign", (json_int_t)id, "probe", (json_int_t)pr.id, "at",
			 pr.at, "actor", pr.actor, "counts", counts, "units", rp.units);
	return *out ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
}
