/* The elements of a Dialect A package (formats.md §2.3-2.8) as one table:
 * where each may appear, whether it repeats, and how its text is checked and
 * stored. The reader knows no element name that is not here; anything else is
 * skipped. */
#include <limits.h>
#include <string.h>

#include "edxml/edxml_impl.h"

#define PKG struct lt_edxml_package
/* clang-format off */
#define CONT(par, nm, ch, op) {par, nm, NULL, ch, op, 0, false, 0, 0, 0, NULL}
#define CONT2(par, nm, alt, ch, op) {par, nm, alt, ch, op, 0, false, 0, 0, 0, NULL}
#define LIST(par, nm, ch, op) {par, nm, NULL, ch, op, 0, true, 0, 0, 0, NULL}
#define LEAF(par, nm, kind, type, member) \
	{par, nm, NULL, X_LEAF, O_NONE, kind, false, offsetof(type, member), 0, 0, NULL}
#define LEAF2(par, nm, alt, kind, type, member) \
	{par, nm, alt, X_LEAF, O_NONE, kind, false, offsetof(type, member), 0, 0, NULL}
#define INT(par, nm, type, member, lo, hi, hint) \
	{par, nm, NULL, X_LEAF, O_NONE, V_INT, false, offsetof(type, member), lo, hi, hint}
#define INT2(par, nm, alt, type, member, lo, hi, hint) \
	{par, nm, alt, X_LEAF, O_NONE, V_INT, false, offsetof(type, member), lo, hi, hint}
#define ITEM(par, nm, kind) {par, nm, NULL, X_LEAF, O_NONE, kind, true, 0, 0, 0, NULL}
/* clang-format on */

#define ORGAN struct lt_edxml_organ
#define RESP struct lt_edxml_response_for
#define STAFF struct lt_edxml_staff
#define TRACE struct lt_edxml_trace
#define RCV struct lt_edxml_receiver
#define REPL struct lt_edxml_replacement
#define REF struct lt__edxml_ref
#define BODY struct lt__edxml_body

const struct lt__edxml_elem lt__edxml_elems[] = {
	CONT(X_DOC, "edXML", X_ROOT, O_ROOT),
	CONT(X_ROOT, "edXMLEnvelope", X_ENV, O_ENV),
	CONT(X_ROOT, "AttachmentEncoded", X_ATTENC, O_NONE),
	CONT(X_ENV, "edXMLHeader", X_HDR, O_HDR),
	CONT(X_ENV, "edXMLBody", X_BODY, O_BODY),
	CONT(X_HDR, "MessageHeader", X_MSG, O_MSG),
	CONT(X_HDR, "TraceHeaderList", X_TRACES, O_TRACES),

	/* MessageHeader of an edoc (§2.4) and of a status (§2.8) */
	CONT(X_MSG, "From", X_ORGAN, O_FROM),
	LIST(X_MSG, "To", X_ORGAN, O_TO),
	CONT(X_MSG, "Code", X_CODE, O_NONE),
	CONT(X_MSG, "PromulgationInfo", X_PROM, O_NONE),
	CONT(X_MSG, "DocumentType", X_DTYPE, O_NONE),
	LEAF(X_MSG, "Subject", V_STR, PKG, subject),
	LEAF(X_MSG, "Content", V_STR, PKG, content),
	CONT(X_MSG, "SignerInfo", X_SIGNER, O_NONE),
	LEAF(X_MSG, "DueDate", V_DATE, PKG, due_date),
	CONT(X_MSG, "ToPlaces", X_TOPLACES, O_NONE),
	CONT(X_MSG, "OtherInfo", X_OTHER, O_NONE),
	LIST(X_MSG, "ResponseFor", X_RESP, O_RESP),
	INT(X_MSG, "SteeringType", PKG, steering_type, 0, 9999, NULL),
	LEAF(X_MSG, "DocumentId", V_DOCID, PKG, document_id),
	CONT(X_MSG, "StaffInfo", X_STAFF, O_STAFF),
	LEAF(X_MSG, "StatusCode", V_STATUS, PKG, status_code),
	LEAF(X_MSG, "Description", V_STR, PKG, description),
	LEAF(X_MSG, "Timestamp", V_TIME, PKG, timestamp),

	LEAF(X_ORGAN, "OrganId", V_ORGAN_ID, ORGAN, organ_id),
	LEAF(X_ORGAN, "OrganizationInCharge", V_STR, ORGAN, organization_in_charge),
	LEAF(X_ORGAN, "OrganName", V_STR, ORGAN, organ_name),
	LEAF(X_ORGAN, "OrganAdd", V_STR, ORGAN, organ_add),
	LEAF(X_ORGAN, "Email", V_STR, ORGAN, email),
	LEAF(X_ORGAN, "Telephone", V_STR, ORGAN, telephone),
	LEAF(X_ORGAN, "Fax", V_STR, ORGAN, fax),
	LEAF(X_ORGAN, "Website", V_STR, ORGAN, website),

	LEAF(X_CODE, "CodeNumber", V_STR, PKG, code.number),
	LEAF(X_CODE, "CodeNotation", V_STR, PKG, code.notation),
	LEAF(X_PROM, "Place", V_STR, PKG, promulgation.place),
	LEAF(X_PROM, "PromulgationDate", V_DATE, PKG, promulgation.date),
	INT(X_DTYPE, "Type", PKG, document_type.type, 0, 9999, NULL),
	INT(X_DTYPE, "TypeDetail", PKG, document_type.type_detail, 0, 9999, NULL),
	LEAF(X_DTYPE, "TypeName", V_STR, PKG, document_type.type_name),
	LEAF(X_SIGNER, "Competence", V_STR, PKG, signer.competence),
	LEAF(X_SIGNER, "Position", V_STR, PKG, signer.position),
	LEAF(X_SIGNER, "FullName", V_STR, PKG, signer.full_name),
	ITEM(X_TOPLACES, "Place", V_LIST_STR),
	INT(X_OTHER, "Priority", PKG, other.priority, 0, 99, NULL),
	LEAF(X_OTHER, "SphereOfPromulgation", V_STR, PKG, other.sphere_of_promulgation),
	LEAF(X_OTHER, "TyperNotation", V_STR, PKG, other.typer_notation),
	INT(X_OTHER, "PromulgationAmount", PKG, other.promulgation_amount, 0, INT_MAX, NULL),
	INT(X_OTHER, "PageAmount", PKG, other.page_amount, 0, INT_MAX, NULL),
	LEAF(X_OTHER, "Direction", V_BOOL, PKG, other.direction),
	CONT(X_OTHER, "Appendixes", X_APPXS, O_NONE),
	ITEM(X_APPXS, "Appendix", V_LIST_STR),

	LEAF(X_RESP, "OrganId", V_ORGAN_ID, RESP, organ_id),
	LEAF(X_RESP, "Code", V_STR, RESP, code),
	LEAF(X_RESP, "PromulgationDate", V_DATE, RESP, promulgation_date),
	LEAF(X_RESP, "DocumentId", V_DOCID, RESP, document_id),

	LEAF(X_STAFF, "Department", V_STR, STAFF, department),
	LEAF(X_STAFF, "Staff", V_STR, STAFF, staff),
	LEAF(X_STAFF, "Email", V_STR, STAFF, email),
	LEAF(X_STAFF, "Mobile", V_STR, STAFF, mobile),

	/* TraceHeaderList (§2.5): both spellings of the Bussiness names */
	LIST(X_TRACES, "TraceHeader", X_TRACE, O_TRACE),
	CONT2(X_TRACES, "Bussiness", "Business", X_BUS, O_BUS),
	LEAF(X_TRACE, "OrganId", V_ORGAN_ID, TRACE, organ_id),
	LEAF(X_TRACE, "Timestamp", V_TIME, TRACE, timestamp),
	LEAF(X_BUS, "DocumentId", V_DOCID, PKG, business.document_id),
	INT2(X_BUS, "BussinessDocType", "BusinessDocType", PKG, business.doc_type, 0, 3,
	     "0 (new), 1 (revocation), 2 (update), 3 (replacement)"),
	LEAF2(X_BUS, "BussinessDocReason", "BusinessDocReason", V_STR, PKG, business.doc_reason),
	INT(X_BUS, "Paper", PKG, business.paper, 0, INT_MAX, NULL),
	CONT2(X_BUS, "BussinessDocumentInfo", "BusinessDocumentInfo", X_BINFO, O_NONE),
	CONT(X_BUS, "ReplacementInfoList", X_REPLLIST, O_NONE),
	CONT(X_BUS, "StaffInfo", X_STAFF, O_STAFF),
	INT(X_BINFO, "DocumentInfo", PKG, business.document_info, 0, 99, NULL),
	INT(X_BINFO, "DocumentReceiver", PKG, business.document_receiver, 0, 99, NULL),
	CONT(X_BINFO, "ReceiverList", X_RCVLIST, O_NONE),
	LIST(X_RCVLIST, "Receiver", X_RCV, O_RCV),
	LEAF(X_RCV, "OrganId", V_ORGAN_ID, RCV, organ_id),
	INT(X_RCV, "ReceiverType", RCV, receiver_type, 0, 1, "0 (removed) or 1 (added)"),
	LIST(X_REPLLIST, "ReplacementInfo", X_REPL, O_REPL),
	LEAF(X_REPL, "DocumentId", V_DOCID, REPL, document_id),
	CONT(X_REPL, "OrganIdList", X_ORGLIST, O_NONE),
	ITEM(X_ORGLIST, "OrganId", V_LIST_ORGAN),

	/* manifest and attachments (§2.7) */
	CONT(X_BODY, "edXMLManifest", X_MANIFEST, O_NONE),
	LIST(X_MANIFEST, "Reference", X_REF, O_REF),
	LEAF(X_REF, "ContentId", V_CID, REF, content_id),
	LEAF(X_REF, "ContentType", V_STR, REF, content_type),
	LEAF(X_REF, "Description", V_STR, REF, description),
	LEAF(X_REF, "AttachmentName", V_STR, REF, name),
	LIST(X_ATTENC, "Attachment", X_ATT, O_ATT),
	LEAF(X_ATT, "ContentId", V_CID, BODY, content_id),
	LEAF(X_ATT, "AttachmentName", V_STR, BODY, name),
	LEAF(X_ATT, "Description", V_STR, BODY, description),
	LEAF(X_ATT, "ContentType", V_STR, BODY, content_type),
	CONT(X_ATT, "ContentTransferEncoded", X_CONTENT, O_CONTENT),
};

const size_t lt__edxml_nelems = sizeof lt__edxml_elems / sizeof lt__edxml_elems[0];

int lt__edxml_lookup(int ctx, const char *name)
{
	for (size_t i = 0; i < lt__edxml_nelems; i++) {
		const struct lt__edxml_elem *e = &lt__edxml_elems[i];
		if (e->parent == ctx && (strcmp(e->name, name) == 0 || (e->alt && strcmp(e->alt, name) == 0)))
			return (int)i;
	}
	return -1;
}
