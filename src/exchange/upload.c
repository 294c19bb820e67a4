/* Sending: an upload is streamed to a spool file while the edXML reader
 * checks it; when it ends the package is routed, made durable by the shared
 * commit (its file synced with the batch's other files, then the rows) and
 * answered. Nothing is stored for a refusal. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "exchange_impl.h"
#include "lienthong/config.h"
#include "lienthong/organizations.h"
#include "lienthong/sign.h"
#include "lienthong/text.h"

struct route_set {
	struct lt_xdelivery *v;
	size_t n, cap;
	bool inbound; /* the package came from the upstream */
	/* Closed codes the package used, each once per role. */
	struct lt__use *uses;
	size_t n_uses, cap_uses;
};

struct lt_upload {
	struct lt_exchange *x;
	struct lt_principal who;
	struct lt_edxml_reader *rd;
	int fd;
	char tmp[PATH_MAX]; /* the spool file; "" once renamed to its final name */
	uint64_t bytes;
	int failed; /* sticky status of the first failure */
	struct lt_err fail_err;
	bool inbound; /* fetched from the upstream by the relay worker */
	/* Between lt_upload_submit and lt_upload_result: the package, its
	 * rows queued for the commit, the body's final path ("" once it is
	 * the store's or gone; the body is there once tmp is "") and the
	 * outcome so far. */
	struct lt_edxml_package *p;
	struct route_set *rs;
	struct lt__job job;
	char final[PATH_MAX];
	int rc;
	struct lt_err err;
};

static int upload_new(struct lt_exchange *x, const struct lt_principal *sender, struct lt_upload **out,
		      struct lt_err *err);

int lt_upload_begin_inbound(struct lt_exchange *x, const struct lt_ctx *ctx, int64_t link_system,
			    struct lt_upload **out, struct lt_err *err)
{
	/* Only the daemon's relay worker takes packages in from the upstream. */
	int denied = lt_access_relay(&ctx->who, err);
	if (denied)
		return denied;
	struct lt_principal link = {.role = LT_ROLE_SYSTEM, .system_id = link_system};
	lt_text_format(link.name, sizeof link.name, "%s", ctx->who.name);
	int rc = upload_new(x, &link, out, err);
	if (rc == LT_OK)
		(*out)->inbound = true;
	return rc;
}

int lt_upload_begin(struct lt_exchange *x, const struct lt_ctx *ctx, struct lt_upload **out, struct lt_err *err)
{
	int denied = lt_access_as_system(
		&ctx->who, "only a connected system sends documents: use the bearer token from 'lienthong system add'",
		err);
	if (denied)
		return denied;
	return upload_new(x, &ctx->who, out, err);
}

int lt_upload_begin_hub(struct lt_exchange *x, const struct lt_ctx *ctx, struct lt_upload **out, struct lt_err *err)
{
	int64_t id = 0;
	int rc = lt_exchange_hub_sender(x, ctx, &id, err);
	if (rc)
		return rc;
	struct lt_principal hub = {.role = LT_ROLE_SYSTEM, .system_id = id};
	lt_text_format(hub.name, sizeof hub.name, "hub %s for %s", x->hub_code, ctx->who.name);
	return upload_new(x, &hub, out, err);
}

static int upload_new(struct lt_exchange *x, const struct lt_principal *sender, struct lt_upload **out,
		      struct lt_err *err)
{
	struct lt_upload *u = calloc(1, sizeof *u);
	if (!u)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	u->x = x;
	u->who = *sender;
	snprintf(u->tmp, sizeof u->tmp, "%s/tmp/upload-XXXXXX", x->data_dir);
	u->fd = mkstemp(u->tmp);
	if (u->fd < 0) {
		int e = errno;
		free(u);
		return lt_err_set(err, LT_EIO, "cannot create a spool file in %s/tmp: %s", x->data_dir, strerror(e));
	}
	/* Organisations outside the state tree receive under their enterprise codes. */
	struct lt_edxml_read_opts opts = {.limits = {.max_bytes = x->max_package_bytes},
					  .code_flags = LT_CODE_ENTERPRISE,
					  .no_attachment_digests = true};
	int rc = lt_edxml_reader_new(&u->rd, &opts, err);
	if (rc) {
		lt_upload_abort(u);
		return rc;
	}
	*out = u;
	return LT_OK;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int lt_upload_feed(struct lt_upload *u, const void *buf, size_t len, struct lt_err *err)
{
	if (u->failed)
		return lt_err_set(err, u->failed, "%s", u->fail_err.msg);
	u->bytes += len;
	int rc;
	if (u->bytes > u->x->max_package_bytes)
		rc = lt_err_set(&u->fail_err, LT_ETOOBIG, "the package is over the hub's limit of %llu bytes",
				(unsigned long long)u->x->max_package_bytes);
	else if (write_all(u->fd, buf, len) != 0)
		rc = lt_err_set(&u->fail_err, LT_EIO, "cannot write the spool file: %s", strerror(errno));
	else
		rc = lt_edxml_reader_feed(u->rd, buf, len, &u->fail_err);
	if (rc) {
		u->failed = rc;
		return lt_err_set(err, rc, "%s", u->fail_err.msg);
	}
	return LT_OK;
}

void lt_upload_abort(struct lt_upload *u)
{
	if (!u)
		return;
	lt_edxml_reader_free(u->rd);
	lt_edxml_package_free(u->p);
	if (u->rs) {
		free(u->rs->v);
		free(u->rs->uses);
	}
	free(u->rs);
	free(u->job.statuses);
	free(u->job.written);
	if (u->fd >= 0)
		close(u->fd);
	/* After the rename another upload may hold the same spool name. */
	if (u->tmp[0])
		unlink(u->tmp);
	free(u);
}

/* ---- routing ---- */

static int note_use(struct route_set *rs, const char *code, const char *role)
{
	for (size_t i = 0; i < rs->n_uses; i++)
		if (strcmp(rs->uses[i].code, code) == 0 && strcmp(rs->uses[i].role, role) == 0)
			return LT_OK;
	if (rs->n_uses == rs->cap_uses) {
		size_t cap = rs->cap_uses ? rs->cap_uses * 2 : 4;
		struct lt__use *nv = realloc(rs->uses, cap * sizeof *nv);
		if (!nv)
			return LT_ENOMEM;
		rs->uses = nv;
		rs->cap_uses = cap;
	}
	struct lt__use *u = &rs->uses[rs->n_uses++];
	lt_text_format(u->code, sizeof u->code, "%s", code);
	u->role = role;
	return LT_OK;
}

static int add_delivery(struct route_set *rs, const char *doc, const char *addressed, const char *routed,
			enum lt_delivery_state state, const char *reason, const char *now)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].addressed, addressed) == 0 && strcmp(rs->v[i].routed_to, routed) == 0)
			return LT_OK; /* the same recipient listed twice */
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 8;
		struct lt_xdelivery *nv = realloc(rs->v, cap * sizeof *nv);
		if (!nv)
			return LT_ENOMEM;
		rs->v = nv;
		rs->cap = cap;
	}
	struct lt_xdelivery *d = &rs->v[rs->n++];
	memset(d, 0, sizeof *d);
	lt_text_format(d->doc, sizeof d->doc, "%s", doc);
	lt_text_format(d->addressed, sizeof d->addressed, "%s", addressed);
	lt_text_format(d->routed_to, sizeof d->routed_to, "%s", routed);
	lt__dl_set(d, state);
	lt_text_format(d->reason, sizeof d->reason, "%s", reason);
	lt_text_format(d->updated, sizeof d->updated, "%s", now);
	/* A code reached through two addressed codes is delivered once. */
	for (size_t i = 0; i + 1 < rs->n && state == LT_DELIVERY_PENDING; i++)
		if (lt__dl_is(&rs->v[i], LT_DELIVERY_PENDING) && strcmp(rs->v[i].routed_to, routed) == 0) {
			lt__dl_set(d, LT_DELIVERY_MERGED);
			lt_text_format(d->reason, sizeof d->reason, "delivered once, with the copy addressed to %s",
				       rs->v[i].addressed);
			break;
		}
	return LT_OK;
}

/* Routes one recipient code through lineage. A code the registry does not
 * know is refused for itself, and the other recipients still get the
 * package: the sender learns from the reply which one to correct. Which
 * systems receive for a routed code is settled when the rows are written
 * (apply_send), in the transaction that bindings serialise with. */
static int found_one(void *vyes, int64_t system_id)
{
	(void)system_id;
	*(bool *)vyes = true;
	return LT_OK;
}

/* Does a subtree binding here cover code (a unit this registry need not
 * know: the provincial hub bound to its province knows its own units)? */
static int subtree_covers(struct lt_exchange *x, const char *code, bool *yes, struct lt_err *err)
{
	*yes = false;
	struct lt_code c, anc[3];
	char root[LT_CODE_BUFSZ];
	if (lt_code_parse(&c, code, LT_CODE_STRICT, NULL))
		return LT_OK;
	size_t n = lt_code_ancestors(&c, anc);
	for (size_t i = 0; i < n && !*yes; i++) {
		int rc = lt_store_xsubtree_receivers(x->store, lt_code_format(&anc[i], root), found_one, yes, err);
		if (rc)
			return rc;
	}
	return LT_OK;
}

static int route_one_local(struct lt_exchange *x, struct route_set *rs, const char *doc, const char *code,
			   const char *now, struct lt_err *err);

/* Routes one recipient on a hub that may have an upstream: outside
 * local_scope, or unknown here, it is for the upstream (relay); a package
 * that came from the upstream gives no delivery to such a recipient, the
 * upstream delivers it. */
static int route_one(struct lt_exchange *x, struct route_set *rs, const char *doc, const char *code, const char *now,
		     struct lt_err *err)
{
	if (!x->upstream || lt_org_code(code))
		return route_one_local(x, rs, doc, code, now, err);
	bool local = lt_exchange_in_scope(x, code);
	if (local) {
		struct lt_unit u;
		struct lt_err e = {0};
		int rc = lt_registry_get(x->reg, code, NULL, &u, &e);
		if (rc && rc != LT_ENOTFOUND)
			return lt_err_set(err, rc, "%s", e.msg);
		local = rc == LT_OK;
	}
	if (local)
		return route_one_local(x, rs, doc, code, now, err);
	if (rs->inbound)
		return LT_OK;
	char reason[256];
	lt_text_format(reason, sizeof reason, "%s is outside this hub's local_scope: for the upstream hub", code);
	return add_delivery(rs, doc, code, code, LT_DELIVERY_RELAY, reason, now)
		       ? lt_err_set(err, LT_ENOMEM, "out of memory")
		       : LT_OK;
}

static int route_one_local(struct lt_exchange *x, struct route_set *rs, const char *doc, const char *code,
			   const char *now, struct lt_err *err)
{
	struct lt_unit u;
	struct lt_err e = {0};
	char reason[256];
	if (lt_org_code(code)) {
		/* An organisation outside the state tree: no lineage to follow. */
		struct lt_org o;
		int orc = lt_store_org_get(x->store, code, &o, &e);
		if (orc && orc != LT_ENOTFOUND)
			return lt_err_set(err, orc, "%s", e.msg);
		if (orc == LT_OK && strcmp(o.status, "active") == 0)
			return add_delivery(rs, doc, code, code, LT_DELIVERY_PENDING, "", now) ? LT_ENOMEM : LT_OK;
		if (orc)
			lt_text_format(reason, sizeof reason, "%s is not an organisation held by the registry", code);
		else
			lt_text_format(reason, sizeof reason, "organisation %s is %s", code, o.status);
		return add_delivery(rs, doc, code, "", LT_DELIVERY_REFUSED, reason, now)
			       ? lt_err_set(err, LT_ENOMEM, "out of memory")
			       : LT_OK;
	}
	int rc = lt_registry_get(x->reg, code, NULL, &u, &e);
	bool covered = false;
	int crc = rc == LT_ENOTFOUND ? subtree_covers(x, code, &covered, err) : LT_OK;
	if (crc)
		return crc;
	if (covered)
		return add_delivery(rs, doc, code, code, LT_DELIVERY_PENDING, "", now)
			       ? lt_err_set(err, LT_ENOMEM, "out of memory")
			       : LT_OK;
	if (rc == LT_ENOTFOUND) {
		lt_text_format(reason, sizeof reason, "%s is not a code of the registry", code);
		return add_delivery(rs, doc, code, "", LT_DELIVERY_REFUSED, reason, now)
			       ? lt_err_set(err, LT_ENOMEM, "out of memory")
			       : LT_OK;
	}
	if (rc)
		return lt_err_set(err, rc, "%s", e.msg);
	if (u.status == LT_UNIT_ACTIVE)
		return add_delivery(rs, doc, code, code, LT_DELIVERY_PENDING, "", now)
			       ? lt_err_set(err, LT_ENOMEM, "out of memory")
			       : LT_OK;
	/* Still addressed by its old code: the campaign of its reform shows it. */
	if (note_use(rs, code, "recipient"))
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	struct lt_codelist cur = {0};
	if ((rc = lt_registry_resolve(x->reg, code, &cur, &e))) {
		lt_codelist_free(&cur);
		return lt_err_set(err, rc, "%s", e.msg);
	}
	if (cur.n == 0) {
		lt_text_format(reason, sizeof reason, "%s closed on %s and has no active successor", code, u.valid_to);
		rc = add_delivery(rs, doc, code, "", LT_DELIVERY_REFUSED, reason, now);
	}
	for (size_t i = 0; i < cur.n && rc == LT_OK; i++) {
		lt_text_format(reason, sizeof reason, "%s closed on %s; routed to its successor %s", code, u.valid_to,
			       cur.codes[i]);
		rc = add_delivery(rs, doc, code, cur.codes[i], LT_DELIVERY_PENDING, reason, now);
	}
	lt_codelist_free(&cur);
	return rc == LT_ENOMEM ? lt_err_set(err, LT_ENOMEM, "out of memory") : rc;
}

static const char *organ_code(const struct lt_edxml_organ_id *id, char buf[LT_CODE_BUFSZ])
{
	if (id->enterprise)
		return memcpy(buf, id->text, sizeof id->text);
	return lt_code_format(&id->code, buf);
}

/* A revocation (13) reaches whoever the original reached. */
struct orig_ctx {
	struct lt_exchange *x;
	struct route_set *rs;
	const char *doc, *now;
	struct lt_err *err;
};

static int route_again(void *vctx, const struct lt_xdelivery *d)
{
	struct orig_ctx *c = vctx;
	if (!d->routed_to[0] || lt__dl_is(d, LT_DELIVERY_MERGED))
		return LT_OK;
	return route_one(c->x, c->rs, c->doc, d->routed_to, c->now, c->err);
}

/* *yes: the system may send as code: bound to it, bound to a subtree
 * holding it, or (*old set) bound to an active successor of it. A system
 * whose unit was merged or moved follows its unit to the new code
 * (lt_store_system_rebind) but may still write the old one in From for a
 * while: that is accepted, and recorded as a use of a closed code, so the
 * campaign of the reform sees who has not converted yet. A store that
 * cannot tell (the database restarting under the send) is that failure,
 * never a "no": a 403 would tell the client its system may not send as its
 * own code, where a 503 tells it to send again. */
static int speaks_for(struct lt_exchange *x, int64_t system_id, const char *code, bool *yes, bool *old,
		      struct lt_err *err)
{
	struct lt_codelist codes = {0};
	*old = false;
	int rc = lt_store_system_codes(x->store, system_id, &codes, err);
	*yes = rc == LT_OK && lt_codelist_has(&codes, code);
	if (rc == LT_OK && !*yes && !lt_org_code(code)) {
		struct lt_unit u;
		struct lt_codelist cur = {0};
		struct lt_err e = {0};
		if (lt_registry_get(x->reg, code, NULL, &u, &e) == LT_OK && u.status == LT_UNIT_CLOSED &&
		    lt_registry_resolve(x->reg, code, &cur, &e) == LT_OK)
			for (size_t i = 0; i < cur.n && !*yes; i++)
				*yes = *old = lt_codelist_has(&codes, cur.codes[i]);
		lt_codelist_free(&cur);
	}
	lt_codelist_free(&codes);
	struct lt_code c, root;
	if (rc || *yes || lt_code_parse(&c, code, LT_CODE_LENIENT, NULL))
		return rc;
	struct lt_codelist roots = {0};
	if ((rc = lt_store_system_subtrees(x->store, system_id, &roots, err)) == LT_OK)
		for (size_t i = 0; i < roots.n && !*yes; i++)
			*yes = lt_code_parse(&root, roots.codes[i], LT_CODE_STRICT, NULL) == LT_OK &&
			       lt_code_is_ancestor(&root, &c);
	lt_codelist_free(&roots);
	return rc;
}

/* Does code stand for the unit `of`: the same code, or the active unit that
 * carries its work since a move or a merger (lineage)? */
static int same_unit(struct lt_exchange *x, const char *of, const char *code, bool *yes, struct lt_err *err)
{
	*yes = strcmp(of, code) == 0;
	if (*yes || !of[0])
		return LT_OK;
	struct lt_codelist cur = {0};
	struct lt_err e = {0};
	int rc = lt_registry_resolve(x->reg, of, &cur, &e);
	if (rc == LT_OK)
		*yes = lt_codelist_has(&cur, code);
	lt_codelist_free(&cur);
	return rc == LT_OK || rc == LT_ENOTFOUND ? LT_OK : lt_err_set(err, rc, "%s", e.msg);
}

struct party_ctx {
	struct lt_exchange *x;
	const char *code;
	bool lineage; /* second pass: through lineage as well */
	bool found;
	struct lt_err *err;
};

static int is_recipient(void *vctx, const struct lt_xdelivery *d)
{
	struct party_ctx *c = vctx;
	if (c->found || lt__dl_is(d, LT_DELIVERY_REFUSED))
		return LT_OK;
	if (strcmp(d->routed_to, c->code) == 0 || strcmp(d->addressed, c->code) == 0) {
		c->found = true;
		return LT_OK;
	}
	return c->lineage ? same_unit(c->x, d->routed_to, c->code, &c->found, c->err) : LT_OK;
}

/* Is code one of the document's recipients: a code it was addressed or routed
 * to, or the unit that carries such a recipient's work since? The plain
 * comparison runs first so lineage is only consulted when it is needed. */
static int recipient_of(struct lt_exchange *x, const struct lt_xdoc *doc, const char *code, bool *yes,
			struct lt_err *err)
{
	struct party_ctx c = {x, code, false, false, err};
	int rc = lt_store_xdeliveries(x->store, doc->id, is_recipient, &c, err);
	if (rc == LT_OK && !c.found) {
		c.lineage = true;
		rc = lt_store_xdeliveries(x->store, doc->id, is_recipient, &c, err);
	}
	*yes = c.found;
	return rc;
}

/* The document a status answers, matched by its DocumentId and its parties,
 * never by the DocumentId alone (anyone can write one): a revocation (13)
 * must come from the document's sender, every other status from one of its
 * recipients. *carried is false when the hub never carried the document; the
 * status is then relayed with no trace to join. A status from a third party
 * about a document the hub carried is refused, so nobody can write on
 * someone else's trace or answer in a recipient's name. */
static int find_answered(struct lt_exchange *x, const char *docid, const char *rf_code, const char *from, bool revoke,
			 struct lt_xdoc *orig, bool *carried, struct lt_err *err)
{
	*carried = false;
	if (!docid[0])
		return LT_OK;
	struct lt_err e = {0};
	int rc = lt_store_xdoc_by_document_id(x->store, docid, revoke ? from : rf_code, orig, &e);
	if (rc == LT_ENOTFOUND && revoke) {
		/* The sender may have moved since: its document is under the old code. */
		rc = lt_store_xdoc_by_document_id(x->store, docid, NULL, orig, &e);
		bool sender = false;
		int urc = rc == LT_OK ? same_unit(x, orig->from_code, from, &sender, err) : LT_OK;
		if (urc)
			return urc;
		if (rc == LT_OK && !sender)
			return lt_err_set(err, LT_EFORBIDDEN,
					  "a revocation (status 13) of %s comes from its sender %s, not from %s", docid,
					  orig->from_code, from);
	}
	if (rc == LT_ENOTFOUND)
		return LT_OK;
	if (rc)
		return lt_err_set(err, rc, "%s", e.msg);
	if (!revoke) {
		bool yes = false;
		if ((rc = recipient_of(x, orig, from, &yes, err)))
			return rc;
		if (!yes)
			return lt_err_set(err, LT_EFORBIDDEN,
					  "a status about %s (hub id %s) comes from one of its recipients, and %s is "
					  "not one: check From/OrganId and ResponseFor/DocumentId",
					  docid, orig->id, from);
	}
	*carried = true;
	return LT_OK;
}

static int route_status(struct lt_exchange *x, const struct lt_edxml_package *p, struct lt__job *j,
			struct route_set *rs, struct lt_err *err)
{
	if (p->n_response_for == 0)
		return lt_err_set(err, LT_EINVAL,
				  "edXMLEnvelope/edXMLHeader/MessageHeader/ResponseFor: a status "
				  "package must name the document it answers");
	if (!lt_edxml_status_name(p->status_code))
		return lt_err_set(err, LT_EINVAL,
				  "edXMLEnvelope/edXMLHeader/MessageHeader/StatusCode: '%s' is not "
				  "one of 01-06, 13, 15, 16",
				  p->status_code);
	const struct lt_edxml_response_for *rf = &p->response_for[0];
	char rf_code[LT_CODE_BUFSZ];
	organ_code(&rf->organ_id, rf_code);
	const char *docid = rf->document_id.text;
	char buf[LT_CODE_BUFSZ];
	lt_text_format(j->doc.refers_to, sizeof j->doc.refers_to, "%s", docid);
	lt_text_format(j->doc.status_code, sizeof j->doc.status_code, "%s", p->status_code);
	bool revoke = strcmp(p->status_code, "13") == 0, carried = false;
	struct lt_xdoc orig;
	int rc = find_answered(x, docid, rf_code, j->doc.from_code, revoke, &orig, &carried, err);
	if (rc)
		return rc;
	/* 13 (revocation) goes from the sender to every recipient; every other
	 * status goes back to the sender of the document. */
	if (revoke && carried) {
		struct orig_ctx oc = {x, rs, j->doc.id, j->doc.received, err};
		rc = lt_store_xdeliveries(x->store, orig.id, route_again, &oc, err);
	} else if (revoke && p->n_to) {
		for (size_t i = 0; i < p->n_to && rc == LT_OK; i++)
			rc = route_one(x, rs, j->doc.id, organ_code(&p->to[i].organ_id, buf), j->doc.received, err);
	} else {
		rc = route_one(x, rs, j->doc.id, rf_code, j->doc.received, err);
	}
	if (rc)
		return rc;
	/* The status joins the trace of the document it answers, for each
	 * recipient it reached. */
	for (size_t i = 0; i < rs->n; i++) {
		if (!lt__dl_is(&rs->v[i], LT_DELIVERY_PENDING) && !lt__dl_is(&rs->v[i], LT_DELIVERY_RELAY))
			continue;
		struct lt_xstatus *nv = realloc(j->statuses, (j->n_statuses + 1) * sizeof *nv);
		if (!nv)
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		j->statuses = nv;
		struct lt_xstatus *st = &nv[j->n_statuses++];
		memset(st, 0, sizeof *st);
		lt_text_format(st->status_doc, sizeof st->status_doc, "%s", j->doc.id);
		lt_text_format(st->ref_doc, sizeof st->ref_doc, "%s", carried ? orig.id : "");
		lt_text_format(st->ref_document_id, sizeof st->ref_document_id, "%s", docid);
		lt_text_format(st->from_code, sizeof st->from_code, "%s", j->doc.from_code);
		lt_text_format(st->to_code, sizeof st->to_code, "%s", rs->v[i].routed_to);
		lt_text_format(st->code, sizeof st->code, "%s", p->status_code);
		lt_text_format(st->description, sizeof st->description, "%s", p->description ? p->description : "");
		lt_text_format(st->at, sizeof st->at, "%s", p->timestamp[0] ? p->timestamp : j->doc.received);
		lt_text_format(st->received, sizeof st->received, "%s", j->doc.received);
	}
	return LT_OK;
}

static int route_edoc(struct lt_exchange *x, const struct lt_edxml_package *p, struct lt__job *j, struct route_set *rs,
		      struct lt_err *err)
{
	char buf[LT_CODE_BUFSZ];
	if (!p->document_id.text[0])
		return lt_err_set(err, LT_EINVAL, "edXMLEnvelope/edXMLHeader/MessageHeader/DocumentId: missing");
	if (p->n_to == 0)
		return lt_err_set(err, LT_EINVAL, "edXMLEnvelope/edXMLHeader/MessageHeader/To: no recipient");
	lt_text_format(j->doc.document_id, sizeof j->doc.document_id, "%s", p->document_id.text);
	lt_text_format(j->doc.subject, sizeof j->doc.subject, "%s", p->subject ? p->subject : "");
	int rc = LT_OK;
	for (size_t i = 0; i < p->n_to && rc == LT_OK; i++)
		rc = route_one(x, rs, j->doc.id, organ_code(&p->to[i].organ_id, buf), j->doc.received, err);
	const struct lt_edxml_business *b = &p->business;
	if (b->present && b->doc_type > LT_EDXML_NEW) {
		j->doc.doctype = b->doc_type;
		lt_text_format(j->doc.refers_to, sizeof j->doc.refers_to, "%s", b->document_id.text);
		/* An update reaches the recipients it adds and removes as well;
		 * a replacement, every unit whose copy it replaces (§2.9). */
		for (size_t i = 0; b->doc_type == LT_EDXML_UPDATE && i < b->n_receivers && rc == LT_OK; i++)
			rc = route_one(x, rs, j->doc.id, organ_code(&b->receivers[i].organ_id, buf), j->doc.received,
				       err);
		for (size_t i = 0; b->doc_type == LT_EDXML_REPLACE && i < b->n_replacements && rc == LT_OK; i++)
			for (size_t k = 0; k < b->replacements[i].n_organ_ids && rc == LT_OK; k++)
				rc = route_one(x, rs, j->doc.id, organ_code(&b->replacements[i].organ_ids[k], buf),
					       j->doc.received, err);
	}
	return rc;
}

/* The signature policy of design.md §5: verify against the certificate
 * bound to the sender's code (or a trusted CA naming it); `flag` records
 * the verdict on the trace, `require` refuses what is not trusted. Whether
 * there is a signature at all the reader saw while the package streamed
 * in, so an unsigned package is never parsed again; a signed one is
 * verified as it streams from its spool file, holding only its signature
 * element (verify_max_bytes bounds what concurrent verifications hold). */
static int judge_signature(struct lt_exchange *x, struct lt_upload *u, const struct lt_edxml_package *p,
			   struct lt_xdoc *d, struct lt_err *err)
{
	struct lt_sig_result sr;
	struct lt_err e = {0};
	char why[200] = "";
	bool trusted = false;
	int vrc = LT_OK;
	memset(&sr, 0, sizeof sr);
	if (!p->signature)
		lt_text_format(why, sizeof why, "the package is not signed");
	else if ((vrc = lt_sign_verify_file(u->tmp, x->verify_max_bytes, &sr, &e)) != LT_OK)
		lt_text_format(why, sizeof why, "not verified: %s", e.msg);
	else if (!sr.present)
		lt_text_format(why, sizeof why, "the package is not signed");
	else if (!sr.valid)
		lt_text_format(why, sizeof why, "%s", sr.reason);
	else if (lt_sign_check_binding(x->store, &sr, d->from_code, x->trusted_ca, 0, &e) != LT_OK)
		lt_text_format(why, sizeof why, "%s", e.msg);
	else
		trusted = true;
	if (trusted)
		lt_text_format(d->signature, sizeof d->signature, "trusted: %s", sr.subject);
	else
		lt_text_format(d->signature, sizeof d->signature, "untrusted: %s", why);
	lt_sig_result_clear(&sr);
	if (!trusted && x->signature_policy == LT_SIG_REQUIRE && vrc == LT_ETOOBIG)
		return lt_err_set(
			err, LT_ETOOBIG,
			"the hub requires a trusted signature and cannot verify this one: %s; sign it again with a "
			"smaller signature element (fewer certificates in KeyInfo, no Object)",
			why);
	if (!trusted && x->signature_policy == LT_SIG_REQUIRE)
		return lt_err_set(err, LT_ERULE, "the hub requires a trusted signature and this package has none: %s",
				  why);
	return LT_OK;
}

/* Everything up to the commit: the package read to its end, checked,
 * signed or not, routed, its body durable; then its rows queued. The
 * outcome of a refusal before the commit is kept for lt_upload_result. */
int lt_upload_submit(struct lt_upload *u, void (*done)(void *arg), void *arg)
{
	struct lt_exchange *x = u->x;
	struct lt_err *err = &u->err;
	struct lt__job *job = &u->job;
	memset(job, 0, sizeof *job);
	u->final[0] = '\0';
	u->rs = calloc(1, sizeof *u->rs);
	int rc = !u->rs      ? lt_err_set(err, LT_ENOMEM, "out of memory")
		 : u->failed ? lt_err_set(err, u->failed, "%s", u->fail_err.msg)
			     : LT_OK;
	if (rc == LT_OK && u->bytes == 0)
		rc = lt_err_set(err, LT_EINVAL, "the body is empty: send an edXML package");
	if (rc == LT_OK)
		rc = lt_edxml_reader_finish(u->rd, &u->p, err);
	if (rc)
		goto out;
	struct lt_edxml_package *p = u->p;
	struct route_set *rs = u->rs;
	unsigned char raw[16];
	if (RAND_bytes(raw, sizeof raw) != 1) {
		rc = lt_err_set(err, LT_EIO, "the system random generator failed");
		goto out;
	}
	struct lt_xdoc *d = &job->doc;
	for (int i = 0; i < 16; i++)
		snprintf(d->id + 2 * i, 3, "%02x", raw[i]);
	lt_text_format(d->kind, sizeof d->kind, "%s", p->kind == LT_EDXML_STATUS ? "status" : "edoc");
	d->system_id = u->who.system_id;
	organ_code(&p->from.organ_id, d->from_code);
	lt_edxml_hash_hex(p->sha256, d->sha256);
	d->size = (int64_t)u->bytes;
	d->doctype = -1;
	lt_time_now(d->received);
	if (u->inbound && lt_exchange_in_scope(x, d->from_code)) {
		/* The upstream brings what others send here; a package in the
		 * name of a local unit did not come from it. */
		rc = lt_err_set(err, LT_EFORBIDDEN,
				"a package from the upstream hub cannot come from %s, a unit inside this hub's "
				"local_scope",
				d->from_code);
		goto out;
	}
	bool bound = u->inbound, old_from = false;
	if (!u->inbound && (rc = speaks_for(x, u->who.system_id, d->from_code, &bound, &old_from, err)))
		goto out;
	if (!bound) {
		rc = lt_err_set(err, LT_EFORBIDDEN,
				"this system is not bound to %s (From/OrganId), so it cannot send as that unit",
				d->from_code);
		goto out;
	}
	if (old_from && note_use(rs, d->from_code, "sender")) {
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
		goto out;
	}
	if (x->signature_policy != LT_SIG_OFF && (rc = judge_signature(x, u, p, d, err)))
		goto out;
	rs->inbound = u->inbound;
	rc = p->kind == LT_EDXML_STATUS ? route_status(x, p, job, rs, err) : route_edoc(x, p, job, rs, err);
	if (rc)
		goto out;
	size_t live = 0;
	char why[LT_ERR_MSG_MAX] = "";
	for (size_t i = 0; i < rs->n; i++) {
		live += lt__dl_is(&rs->v[i], LT_DELIVERY_PENDING) || lt__dl_is(&rs->v[i], LT_DELIVERY_RELAY);
		size_t o = strlen(why);
		if (lt__dl_is(&rs->v[i], LT_DELIVERY_REFUSED) && o + 3 < sizeof why)
			lt_text_format(why + o, sizeof why - o, "%s%s", o ? "; " : "", rs->v[i].reason);
	}
	if (live == 0) {
		rc = lt_err_set(err, LT_ERULE, "no recipient can receive this package: %s",
				why[0] ? why : "none is named");
		goto out;
	}
	job->deliveries = rs->v;
	job->n_deliveries = rs->n;
	job->uses = rs->uses;
	job->n_uses = rs->n_uses;
	/* The commit thread moves the body into place and syncs it with the
	 * batch's other bodies, before the rows that name it commit. */
	lt__xpath_body(x, d->id, u->final);
	job->body = true;
	job->body_fd = u->fd;
	job->body_tmp = u->tmp;
	job->body_final = u->final;
	if (!done) {
		rc = lt__commit_job(x, job);
		if (rc)
			*err = job->err;
		goto out;
	}
	u->rc = LT_OK;
	job->on_done = done;
	job->on_done_arg = arg;
	lt__commit_job_async(x, job);
	return LT_OK;
out:
	u->rc = rc;
	return rc;
}

int lt_upload_result(struct lt_upload *u, json_t **reply, bool *replayed, struct lt_err *err)
{
	struct lt_exchange *x = u->x;
	struct lt__job *job = &u->job;
	*replayed = false;
	*reply = NULL;
	int rc = u->rc;
	if (rc)
		*err = u->err;
	else if (job->rc)
		*err = job->err, rc = job->rc;
	if (rc == LT_OK && job->replay_of[0]) {
		*replayed = true;
		atomic_fetch_add(&x->replays, 1);
		if (!u->tmp[0])
			unlink(u->final);
		u->final[0] = '\0';
		rc = lt__send_reply(x, job->replay_of, reply, err);
	} else if (rc == LT_OK) {
		u->final[0] = '\0'; /* committed: the body stays */
		rc = job->written_lost ? lt__send_reply(x, job->doc.id, reply, err)
				       : lt__send_reply_rows(&job->doc, job->written, job->n_written, reply, err);
	}
	if (rc) {
		atomic_fetch_add(&x->rejected, 1);
		if (u->final[0] && !u->tmp[0]) /* moved into place, never named by a row */
			unlink(u->final);
	}
	lt_upload_abort(u);
	return rc;
}

int lt_upload_finish(struct lt_upload *u, json_t **reply, bool *replayed, struct lt_err *err)
{
	lt_upload_submit(u, NULL, NULL);
	return lt_upload_result(u, reply, replayed, err);
}
