/* What each element of the table does to the package: containers set up the
 * object their children fill and check it on close; leaves check their text
 * by kind (code, date, number...) and store it. */
#include <string.h>

#include "edxml/edxml_impl.h"

static int out_of_room(struct lt_edxml_reader *r)
{
	if (lt__edxml_pool_over(r->pkg))
		return lt__edxml_fail(r, LT_ETOOBIG, "the package's header data exceed %zu bytes", r->lim.max_meta);
	return lt__edxml_fail(r, LT_ENOMEM, "out of memory");
}

/* The object whose fields the children of a ctx element fill. */
static void *base(struct lt_edxml_reader *r, int ctx)
{
	switch (ctx) {
	case X_ORGAN:
		return r->cur_organ;
	case X_RESP:
		return r->cur_resp;
	case X_STAFF:
		return r->cur_staff;
	case X_TRACE:
		return r->cur_trace;
	case X_RCV:
		return r->cur_rcv;
	case X_REPL:
		return r->cur_repl;
	case X_REF:
		return &r->refs[r->cur_ref];
	case X_ATT:
		return &r->bodies[r->cur_body];
	default:
		return r->pkg;
	}
}

int lt__edxml_open(struct lt_edxml_reader *r, const struct lt__edxml_elem *e)
{
	struct lt_edxml_package *p = r->pkg;
	const struct lt__edxml_frame *f = &r->frames[r->depth - 1];
	switch ((enum lt__edxml_open)e->open) {
	case O_NONE:
	case O_TRACES:
	case O_BODY:
		return LT_OK;
	case O_ROOT:
		r->n_root++;
		return LT_OK;
	case O_ENV:
		r->n_env++;
		return LT_OK;
	case O_HDR:
		r->n_hdr++;
		return LT_OK;
	case O_MSG:
		r->n_msg++;
		return LT_OK;
	case O_FROM:
		r->n_from++;
		r->cur_organ = &p->from;
		return LT_OK;
	case O_TO:
		r->cur_organ = lt_edxml_add_to(p);
		return r->cur_organ ? LT_OK : out_of_room(r);
	case O_RESP:
		r->cur_resp = lt_edxml_add_response_for(p);
		return r->cur_resp ? LT_OK : out_of_room(r);
	case O_STAFF:
		r->cur_staff = e->parent == X_MSG ? &p->staff : &p->business.staff;
		return LT_OK;
	case O_TRACE:
		r->cur_trace = lt_edxml_add_trace(p);
		return r->cur_trace ? LT_OK : out_of_room(r);
	case O_BUS:
		p->business.present = true;
		snprintf(r->bus_name, sizeof r->bus_name, "%s", f->name);
		return LT_OK;
	case O_RCV:
		r->cur_rcv = lt_edxml_add_receiver(p);
		return r->cur_rcv ? LT_OK : out_of_room(r);
	case O_REPL:
		r->cur_repl = lt_edxml_add_replacement(p);
		return r->cur_repl ? LT_OK : out_of_room(r);
	case O_REF: {
		struct lt__edxml_ref *ref = lt__edxml_push(p, &r->refs, &r->n_refs, sizeof *ref);
		if (!ref)
			return out_of_room(r);
		ref->ordinal = f->index;
		r->cur_ref = r->n_refs - 1;
		return LT_OK;
	}
	case O_ATT: {
		struct lt__edxml_body *b = lt__edxml_push(p, &r->bodies, &r->n_bodies, sizeof *b);
		if (!b)
			return out_of_room(r);
		b->seq = r->n_bodies - 1;
		r->cur_body = r->n_bodies - 1;
		return LT_OK;
	}
	case O_CONTENT:
		return lt__edxml_content_begin(r);
	}
	return LT_OK;
}

static bool no_organ(const struct lt_edxml_organ_id *id) { return id->text[0] == '\0'; }

int lt__edxml_close(struct lt_edxml_reader *r, const struct lt__edxml_elem *e)
{
	const char *name = r->frames[r->depth - 1].name;
	switch ((enum lt__edxml_open)e->open) {
	case O_FROM:
	case O_TO:
		if (no_organ(&r->cur_organ->organ_id))
			return lt__edxml_fail(r, LT_EINVAL, "OrganId is missing: every %s names its agency by code",
					      name);
		return LT_OK;
	case O_RESP:
		if (no_organ(&r->cur_resp->organ_id))
			return lt__edxml_fail(r, LT_EINVAL, "OrganId is missing: the agency that issued the document");
		return LT_OK;
	case O_TRACE:
		if (no_organ(&r->cur_trace->organ_id))
			return lt__edxml_fail(r, LT_EINVAL, "OrganId is missing: the system that relayed the package");
		return LT_OK;
	case O_RCV:
		if (no_organ(&r->cur_rcv->organ_id))
			return lt__edxml_fail(r, LT_EINVAL, "OrganId is missing: the recipient added or removed");
		if (r->cur_rcv->receiver_type < 0)
			return lt__edxml_fail(r, LT_EINVAL, "ReceiverType is missing: 0 (removed) or 1 (added)");
		return LT_OK;
	case O_REPL:
		if (!r->cur_repl->document_id.text[0])
			return lt__edxml_fail(r, LT_EINVAL, "DocumentId is missing: the document being replaced");
		if (r->cur_repl->n_organ_ids == 0)
			return lt__edxml_fail(r, LT_EINVAL, "OrganIdList names no OrganId: for whom is it replaced?");
		return LT_OK;
	case O_MSG:
		return lt__edxml_check_message(r);
	case O_BUS:
		return lt__edxml_check_business(r);
	case O_REF:
		if (!r->refs[r->cur_ref].content_id)
			return lt__edxml_fail(r, LT_EINVAL,
					      "ContentId is missing: the manifest cannot name the attachment");
		return LT_OK;
	case O_ATT:
		return lt__edxml_body_close(r);
	case O_CONTENT:
		return lt__edxml_content_end(r);
	default:
		return LT_OK;
	}
}

static int store_str(struct lt_edxml_reader *r, const char **field, const char *text)
{
	if (!*text)
		return LT_OK;
	const char *s = lt_edxml_strdup(r->pkg, text);
	if (!s)
		return out_of_room(r);
	*field = s;
	return LT_OK;
}

static int add_item(struct lt_edxml_reader *r, const struct lt__edxml_elem *e, const char *text)
{
	struct lt_edxml_package *p = r->pkg;
	struct lt_err verr;
	if (e->value == V_LIST_ORGAN) {
		struct lt_edxml_organ_id id;
		if (lt_edxml_organ_id_set(&id, text, r->code_flags, &verr) != LT_OK)
			return lt__edxml_fail(r, LT_EINVAL, "%.40s is not a valid code: %s", text, verr.msg);
		struct lt_edxml_organ_id *slot = lt_edxml_add_replacement_organ(p, r->cur_repl);
		if (!slot)
			return out_of_room(r);
		*slot = id;
		return LT_OK;
	}
	int rc = e->parent == X_TOPLACES ? lt_edxml_add_to_place(p, text) : lt_edxml_add_appendix(p, text);
	return rc == LT_OK ? LT_OK : out_of_room(r);
}

int lt__edxml_leaf(struct lt_edxml_reader *r, const struct lt__edxml_elem *e, char *text)
{
	/* void *, so each kind can take its own type: the table's offsets come
	 * from offsetof on that type, so the alignment is right. */
	void *field = (unsigned char *)base(r, e->parent) + e->offset;
	struct lt_err verr;
	int rc = LT_OK;
	/* An empty element says nothing: the field keeps its "absent" value and
	 * the container's check decides whether that is allowed. */
	if (!*text && e->value != V_STATUS)
		return LT_OK;
	switch ((enum lt__edxml_value)e->value) {
	case V_STR:
		return store_str(r, (const char **)field, text);
	case V_CID:
		return store_str(r, (const char **)field, lt__edxml_trim(lt__edxml_strip_cid(text)));
	case V_ORGAN_ID:
		if (lt_edxml_organ_id_set((struct lt_edxml_organ_id *)field, text, r->code_flags, &verr) != LT_OK)
			return lt__edxml_fail(r, LT_EINVAL, "%.40s is not a valid code: %s", text, verr.msg);
		return LT_OK;
	case V_DATE:
		rc = lt__edxml_date(text, (char *)field, &verr);
		break;
	case V_TIME:
		rc = lt__edxml_time(text, (char *)field, &verr);
		break;
	case V_INT:
		rc = lt__edxml_int(text, e->min, e->max, e->hint, (int *)field, &verr);
		break;
	case V_BOOL:
		rc = lt__edxml_bool(text, (int *)field, &verr);
		break;
	case V_DOCID:
		rc = lt_edxml_docid_parse((struct lt_edxml_docid *)field, text, r->code_flags, &verr);
		break;
	case V_STATUS:
		if (!lt_edxml_status_name(text))
			return lt__edxml_fail(r, LT_EINVAL,
					      "'%.20s' is not a status code: expected 01-06, 13, 15 or 16", text);
		memcpy(field, text, 3);
		return LT_OK;
	case V_LIST_STR:
	case V_LIST_ORGAN:
		return add_item(r, e, text);
	}
	if (rc != LT_OK)
		return lt__edxml_fail(r, rc, "%s", verr.msg);
	return LT_OK;
}
