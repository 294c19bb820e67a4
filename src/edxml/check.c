/* Rules that need more than one element: what an edoc and a status package
 * must carry (formats.md §2.4, §2.8), what each business action needs (§2.9),
 * and that the package has the skeleton of §2.3 at all. */
#include <string.h>

#include "edxml/edxml_impl.h"

int lt__edxml_check_message(struct lt_edxml_reader *r)
{
	struct lt_edxml_package *p = r->pkg;
	p->kind = p->status_code[0] ? LT_EDXML_STATUS : LT_EDXML_EDOC;
	if (!r->n_from)
		return lt__edxml_fail(r, LT_EINVAL, "From is missing: the package must name its sender");
	if (p->kind == LT_EDXML_STATUS) {
		if (p->n_response_for == 0)
			return lt__edxml_fail(r, LT_EINVAL,
					      "ResponseFor is missing: a status must name the document it is about");
		for (size_t i = 0; i < p->n_response_for; i++) {
			if (p->response_for[i].document_id.text[0])
				continue;
			char path[LT_ERR_MSG_MAX];
			lt__edxml_path(r, path, sizeof path);
			size_t n = strlen(path);
			snprintf(path + n, sizeof path - n, "/ResponseFor[%zu]", i + 1);
			return lt__edxml_fail_at(r, LT_EINVAL, path,
						 "DocumentId is missing: a status must name the document it is about");
		}
		return LT_OK;
	}
	if (p->n_to == 0)
		return lt__edxml_fail(r, LT_EINVAL, "To is missing: a document needs at least one recipient");
	if (!p->document_id.text[0]) {
		/* Some builders leave DocumentId out; its parts are all in the
		 * header, so it is made the way producers make it (§1.7). */
		struct lt_err verr;
		if (lt_edxml_docid_make(&p->document_id, p->from.organ_id.text, p->promulgation.date, p->code.number,
					p->code.notation, r->code_flags, &verr) != LT_OK)
			return lt__edxml_fail(r, LT_EINVAL,
					      "DocumentId is missing, and none can be made from From/OrganId, "
					      "PromulgationInfo/PromulgationDate and Code: %s",
					      verr.msg);
	}
	return LT_OK;
}

int lt__edxml_check_business(struct lt_edxml_reader *r)
{
	const struct lt_edxml_business *b = &r->pkg->business;
	const char *n = r->bus_name;
	switch (b->doc_type) {
	case LT_EDXML_REVOKE:
		if (!b->document_id.text[0])
			return lt__edxml_fail(r, LT_EINVAL,
					      "%sDocType 1 (revocation) needs DocumentId, the document it revokes", n);
		return LT_OK;
	case LT_EDXML_UPDATE:
		if (!b->document_id.text[0])
			return lt__edxml_fail(r, LT_EINVAL,
					      "%sDocType 2 (update) needs DocumentId, the document it updates", n);
		return LT_OK;
	case LT_EDXML_REPLACE:
		if (b->n_replacements == 0)
			return lt__edxml_fail(r, LT_EINVAL,
					      "%sDocType 3 (replacement) needs ReplacementInfoList/ReplacementInfo "
					      "naming the documents it replaces",
					      n);
		return LT_OK;
	default:
		return LT_OK;
	}
}

int lt__edxml_check_document(struct lt_edxml_reader *r)
{
	if (!r->n_root)
		return lt__edxml_fail_at(r, LT_EINVAL, NULL, "no edXML root element");
	if (!r->n_env)
		return lt__edxml_fail_at(r, LT_EINVAL, "edXML", "edXMLEnvelope is missing");
	if (!r->n_hdr)
		return lt__edxml_fail_at(r, LT_EINVAL, "edXMLEnvelope", "edXMLHeader is missing");
	if (!r->n_msg)
		return lt__edxml_fail_at(r, LT_EINVAL, "edXMLEnvelope/edXMLHeader", "MessageHeader is missing");
	return LT_OK;
}
