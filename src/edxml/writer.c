/* The writer: the exact prefix layout of formats.md §2.2, because the VPCP side
 * (a .NET XmlSerializer) refuses packages whose edXML: prefixes were optimised
 * away. It runs twice over the package: a dry pass that checks everything the
 * reader would refuse, then the real one, so a refusal never leaves half a
 * package behind. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "edxml/edxml_impl.h"

#define CHUNK (48 * 1024) /* a multiple of 3: no padding until the last piece */
#define P "edXML:"

struct w {
	FILE *f; /* NULL on the dry pass */
	int status;
	struct lt_err *err;
};

static int wfail(struct w *w, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int wfail(struct w *w, int status, const char *fmt, ...)
{
	if (w->status)
		return w->status;
	w->status = status;
	if (w->err) {
		va_list ap;
		va_start(ap, fmt);
		w->err->status = (enum lt_status)status;
		vsnprintf(w->err->msg, sizeof w->err->msg, fmt, ap);
		va_end(ap);
	}
	return status;
}

static void out(struct w *w, const char *s)
{
	if (w->f && !w->status)
		fputs(s, w->f);
}

static void indent(struct w *w, int level)
{
	static const char spaces[] = "                                ";
	if (w->f && !w->status)
		fwrite(spaces, 1, (size_t)level * 2, w->f);
}

/* Decodes one UTF-8 sequence; 0 for a malformed one. */
static size_t utf8_next(const unsigned char *s, unsigned long *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (n == 0)
		return 0;
	unsigned long v = s[0] & (0x7F >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Escapes the five characters of §2.11 and refuses what XML 1.0 cannot
 * carry at all, naming the element. */
static void text(struct w *w, const char *elem, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p && !w->status) {
		unsigned long cp;
		size_t n = utf8_next(p, &cp);
		if (n == 0) {
			wfail(w, LT_EINVAL, "%s: the text is not valid UTF-8", elem);
			return;
		}
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF) {
			wfail(w, LT_EINVAL, "%s: character U+%04lX cannot be written in XML", elem, cp);
			return;
		}
		if (w->f) {
			switch (cp) {
			case '&':
				fputs("&amp;", w->f);
				break;
			case '<':
				fputs("&lt;", w->f);
				break;
			case '>':
				fputs("&gt;", w->f);
				break;
			case '"':
				fputs("&quot;", w->f);
				break;
			case '\'':
				fputs("&apos;", w->f);
				break;
			case '\r':
				fputs("&#13;", w->f);
				break;
			default:
				fwrite(p, 1, n, w->f);
			}
		}
		p += n;
	}
}

/* <prefix:name>value</prefix:name>, or <prefix:name/> when there is none. */
static void leaf_p(struct w *w, int level, const char *prefix, const char *name, const char *value)
{
	if (w->status)
		return;
	indent(w, level);
	if (w->f)
		fprintf(w->f, value && *value ? "<%s%s>" : "<%s%s/>\n", prefix, name);
	if (value && *value) {
		text(w, name, value);
		if (w->f && !w->status)
			fprintf(w->f, "</%s%s>\n", prefix, name);
	}
}

static void leaf(struct w *w, int level, const char *name, const char *value) { leaf_p(w, level, P, name, value); }

static void leaf_int(struct w *w, int level, const char *name, int v)
{
	if (v < 0)
		return;
	char buf[16];
	snprintf(buf, sizeof buf, "%d", v);
	leaf(w, level, name, buf);
}

static void leaf_date(struct w *w, int level, const char *name, const char *v)
{
	char norm[LT_EDXML_DATE_BUFSZ], buf[LT_EDXML_DATE_BUFSZ] = "";
	struct lt_err e;
	if (v && *v) {
		if (lt__edxml_date(v, norm, &e) != LT_OK) {
			wfail(w, LT_EINVAL, "%s: %s", name, e.msg);
			return;
		}
		snprintf(buf, sizeof buf, "%.4s/%.2s/%.2s", norm, norm + 5, norm + 8);
	}
	leaf(w, level, name, buf);
}

static void leaf_time(struct w *w, int level, const char *name, const char *v)
{
	char norm[LT_EDXML_TIME_BUFSZ], buf[LT_EDXML_TIME_BUFSZ] = "";
	struct lt_err e;
	if (v && *v) {
		if (lt__edxml_time(v, norm, &e) != LT_OK) {
			wfail(w, LT_EINVAL, "%s: %s", name, e.msg);
			return;
		}
		snprintf(buf, sizeof buf, "%.4s/%.2s/%.2s %.8s", norm, norm + 5, norm + 8, norm + 11);
	}
	leaf(w, level, name, buf);
}

static void leaf_organ_id(struct w *w, int level, const char *what, const struct lt_edxml_organ_id *id)
{
	struct lt_err e;
	struct lt_code c;
	if (!id->text[0]) {
		wfail(w, LT_EINVAL, "%s: OrganId is missing", what);
		return;
	}
	struct lt_enterprise ent;
	if (lt_code_parse(&c, id->text, LT_CODE_LENIENT | LT_CODE_SYSTEM, &e) != LT_OK &&
	    (!id->enterprise || lt_enterprise_parse(&ent, id->text, NULL) != LT_OK)) {
		wfail(w, LT_EINVAL, "%s: %s is not a valid code: %s", what, id->text, e.msg);
		return;
	}
	leaf(w, level, "OrganId", id->text);
}

static void leaf_docid(struct w *w, int level, const char *what, const struct lt_edxml_docid *d, bool required)
{
	struct lt_edxml_docid check;
	struct lt_err e;
	if (!d->text[0] && required) {
		wfail(w, LT_EINVAL, "%s: DocumentId is missing", what);
		return;
	}
	if (d->text[0] && lt_edxml_docid_parse(&check, d->text, LT_CODE_LENIENT | LT_CODE_SYSTEM, &e) != LT_OK) {
		wfail(w, LT_EINVAL, "%s: %s", what, e.msg);
		return;
	}
	leaf(w, level, "DocumentId", d->text);
}

static void open_el(struct w *w, int level, const char *name)
{
	indent(w, level);
	if (w->f && !w->status)
		fprintf(w->f, "<" P "%s>\n", name);
}

static void close_el(struct w *w, int level, const char *name)
{
	indent(w, level);
	if (w->f && !w->status)
		fprintf(w->f, "</" P "%s>\n", name);
}

static void organ(struct w *w, int level, const char *name, const struct lt_edxml_organ *o)
{
	open_el(w, level, name);
	leaf_organ_id(w, level + 1, name, &o->organ_id);
	leaf(w, level + 1, "OrganizationInCharge", o->organization_in_charge);
	leaf(w, level + 1, "OrganName", o->organ_name);
	leaf(w, level + 1, "OrganAdd", o->organ_add);
	leaf(w, level + 1, "Email", o->email);
	leaf(w, level + 1, "Telephone", o->telephone);
	leaf(w, level + 1, "Fax", o->fax);
	leaf(w, level + 1, "Website", o->website);
	close_el(w, level, name);
}

static void response_for(struct w *w, int level, const struct lt_edxml_response_for *rf, bool need_docid)
{
	open_el(w, level, "ResponseFor");
	leaf_organ_id(w, level + 1, "ResponseFor", &rf->organ_id);
	leaf(w, level + 1, "Code", rf->code);
	leaf_date(w, level + 1, "PromulgationDate", rf->promulgation_date);
	leaf_docid(w, level + 1, "ResponseFor", &rf->document_id, need_docid);
	close_el(w, level, "ResponseFor");
}

/* §2.8 orders Mobile before Email in a status, §2.5 after it in Bussiness. */
static void staff(struct w *w, int level, const struct lt_edxml_staff *s, bool mobile_first)
{
	open_el(w, level, "StaffInfo");
	leaf(w, level + 1, "Department", s->department);
	leaf(w, level + 1, "Staff", s->staff);
	if (mobile_first)
		leaf(w, level + 1, "Mobile", s->mobile);
	leaf(w, level + 1, "Email", s->email);
	if (!mobile_first)
		leaf(w, level + 1, "Mobile", s->mobile);
	close_el(w, level, "StaffInfo");
}

static void edoc_header(struct w *w, const struct lt_edxml_package *p)
{
	const int l = 4;
	if (p->n_to == 0)
		wfail(w, LT_EINVAL, "To is missing: a document needs at least one recipient");
	organ(w, l, "From", &p->from);
	for (size_t i = 0; i < p->n_to; i++)
		organ(w, l, "To", &p->to[i]);
	open_el(w, l, "Code");
	leaf(w, l + 1, "CodeNumber", p->code.number);
	leaf(w, l + 1, "CodeNotation", p->code.notation);
	close_el(w, l, "Code");
	open_el(w, l, "PromulgationInfo");
	leaf(w, l + 1, "Place", p->promulgation.place);
	leaf_date(w, l + 1, "PromulgationDate", p->promulgation.date);
	close_el(w, l, "PromulgationInfo");
	open_el(w, l, "DocumentType");
	leaf_int(w, l + 1, "Type", p->document_type.type);
	leaf_int(w, l + 1, "TypeDetail", p->document_type.type_detail);
	leaf(w, l + 1, "TypeName", p->document_type.type_name);
	close_el(w, l, "DocumentType");
	leaf(w, l, "Subject", p->subject);
	leaf(w, l, "Content", p->content);
	open_el(w, l, "SignerInfo");
	leaf(w, l + 1, "Competence", p->signer.competence);
	leaf(w, l + 1, "Position", p->signer.position);
	leaf(w, l + 1, "FullName", p->signer.full_name);
	close_el(w, l, "SignerInfo");
	leaf_date(w, l, "DueDate", p->due_date);
	if (p->n_to_places) {
		open_el(w, l, "ToPlaces");
		for (size_t i = 0; i < p->n_to_places; i++)
			leaf(w, l + 1, "Place", p->to_places[i]);
		close_el(w, l, "ToPlaces");
	} else {
		leaf(w, l, "ToPlaces", NULL);
	}
	open_el(w, l, "OtherInfo");
	leaf_int(w, l + 1, "Priority", p->other.priority);
	leaf(w, l + 1, "SphereOfPromulgation", p->other.sphere_of_promulgation);
	leaf(w, l + 1, "TyperNotation", p->other.typer_notation);
	leaf_int(w, l + 1, "PromulgationAmount", p->other.promulgation_amount);
	leaf_int(w, l + 1, "PageAmount", p->other.page_amount);
	if (p->other.direction >= 0)
		leaf(w, l + 1, "Direction", p->other.direction ? "true" : "false");
	if (p->other.n_appendixes) {
		open_el(w, l + 1, "Appendixes");
		for (size_t i = 0; i < p->other.n_appendixes; i++)
			leaf(w, l + 2, "Appendix", p->other.appendixes[i]);
		close_el(w, l + 1, "Appendixes");
	} else {
		leaf(w, l + 1, "Appendixes", NULL);
	}
	close_el(w, l, "OtherInfo");
	for (size_t i = 0; i < p->n_response_for; i++)
		response_for(w, l, &p->response_for[i], false);
	leaf_int(w, l, "SteeringType", p->steering_type);
	leaf_docid(w, l, "MessageHeader", &p->document_id, true);
}

static void business(struct w *w, const struct lt_edxml_business *b)
{
	const int l = 4;
	open_el(w, l, "Bussiness");
	leaf_docid(w, l + 1, "Bussiness", &b->document_id,
		   b->doc_type == LT_EDXML_REVOKE || b->doc_type == LT_EDXML_UPDATE);
	leaf_int(w, l + 1, "BussinessDocType", b->doc_type);
	leaf(w, l + 1, "BussinessDocReason", b->doc_reason);
	leaf_int(w, l + 1, "Paper", b->paper);
	if (b->doc_type == LT_EDXML_UPDATE || b->n_receivers || b->document_info >= 0 || b->document_receiver >= 0) {
		open_el(w, l + 1, "BussinessDocumentInfo");
		leaf_int(w, l + 2, "DocumentInfo", b->document_info);
		leaf_int(w, l + 2, "DocumentReceiver", b->document_receiver);
		open_el(w, l + 2, "ReceiverList");
		for (size_t i = 0; i < b->n_receivers; i++) {
			const struct lt_edxml_receiver *rc = &b->receivers[i];
			if (rc->receiver_type != 0 && rc->receiver_type != 1)
				wfail(w, LT_EINVAL, "Receiver %zu: ReceiverType must be 0 (removed) or 1 (added)",
				      i + 1);
			open_el(w, l + 3, "Receiver");
			leaf_organ_id(w, l + 4, "Receiver", &rc->organ_id);
			leaf_int(w, l + 4, "ReceiverType", rc->receiver_type);
			close_el(w, l + 3, "Receiver");
		}
		close_el(w, l + 2, "ReceiverList");
		close_el(w, l + 1, "BussinessDocumentInfo");
	}
	if (b->doc_type == LT_EDXML_REPLACE && b->n_replacements == 0)
		wfail(w, LT_EINVAL, "Bussiness: a replacement needs at least one ReplacementInfo");
	if (b->n_replacements) {
		open_el(w, l + 1, "ReplacementInfoList");
		for (size_t i = 0; i < b->n_replacements; i++) {
			const struct lt_edxml_replacement *rp = &b->replacements[i];
			if (rp->n_organ_ids == 0)
				wfail(w, LT_EINVAL, "ReplacementInfo %zu names no OrganId", i + 1);
			open_el(w, l + 2, "ReplacementInfo");
			leaf_docid(w, l + 3, "ReplacementInfo", &rp->document_id, true);
			open_el(w, l + 3, "OrganIdList");
			for (size_t k = 0; k < rp->n_organ_ids; k++)
				leaf_organ_id(w, l + 4, "OrganIdList", &rp->organ_ids[k]);
			close_el(w, l + 3, "OrganIdList");
			close_el(w, l + 2, "ReplacementInfo");
		}
		close_el(w, l + 1, "ReplacementInfoList");
	}
	staff(w, l + 1, &b->staff, false);
	close_el(w, l, "Bussiness");
}

static void traces(struct w *w, const struct lt_edxml_package *p)
{
	open_el(w, 3, "TraceHeaderList");
	for (size_t i = 0; i < p->n_traces; i++) {
		open_el(w, 4, "TraceHeader");
		leaf_organ_id(w, 5, "TraceHeader", &p->traces[i].organ_id);
		leaf_time(w, 5, "Timestamp", p->traces[i].timestamp);
		close_el(w, 4, "TraceHeader");
	}
	if (p->business.present)
		business(w, &p->business);
	close_el(w, 3, "TraceHeaderList");
}

static void status_header(struct w *w, const struct lt_edxml_package *p)
{
	const int l = 4;
	if (!lt_edxml_status_name(p->status_code))
		wfail(w, LT_EINVAL, "StatusCode '%s' is not one of 01-06, 13, 15, 16", p->status_code);
	if (p->n_response_for == 0)
		wfail(w, LT_EINVAL, "ResponseFor is missing: a status must name the document it is about");
	organ(w, l, "From", &p->from);
	for (size_t i = 0; i < p->n_to; i++)
		organ(w, l, "To", &p->to[i]);
	for (size_t i = 0; i < p->n_response_for; i++)
		response_for(w, l, &p->response_for[i], true);
	staff(w, l, &p->staff, true);
	leaf(w, l, "StatusCode", p->status_code);
	leaf(w, l, "Description", p->description);
	leaf_time(w, l, "Timestamp", p->timestamp);
}

static void manifest(struct w *w, const struct lt_edxml_package *p)
{
	open_el(w, 2, "edXMLBody");
	if (p->n_attachments == 0) {
		indent(w, 3);
		out(w, "<" P "edXMLManifest version=\"1.0\"/>\n");
	} else {
		indent(w, 3);
		out(w, "<" P "edXMLManifest version=\"1.0\">\n");
	}
	for (size_t i = 0; i < p->n_attachments && !w->status; i++) {
		const struct lt_edxml_attachment *a = &p->attachments[i];
		if (!a->content_id || !*a->content_id) {
			wfail(w, LT_EINVAL, "attachment %zu has no ContentId", i + 1);
			return;
		}
		for (size_t j = 0; j < i; j++)
			if (p->attachments[j].content_id && strcmp(p->attachments[j].content_id, a->content_id) == 0)
				wfail(w, LT_EINVAL, "attachments %zu and %zu share ContentId %s", j + 1, i + 1,
				      a->content_id);
		size_t n = strlen(a->content_id) + 5;
		char *cid = malloc(n);
		if (!cid) {
			wfail(w, LT_ENOMEM, "out of memory");
			return;
		}
		snprintf(cid, n, "cid:%s", a->content_id);
		open_el(w, 4, "Reference");
		leaf(w, 5, "ContentId", cid);
		leaf(w, 5, "ContentType", a->content_type);
		leaf(w, 5, "Description", a->description);
		leaf(w, 5, "AttachmentName", a->name);
		close_el(w, 4, "Reference");
		free(cid);
	}
	if (p->n_attachments)
		close_el(w, 3, "edXMLManifest");
	close_el(w, 2, "edXMLBody");
}

/* The file's bytes as one base64 line, CHUNK bytes at a time. */
static void content(struct w *w, const struct lt_edxml_attachment *a, size_t i)
{
	if (!a->path) {
		wfail(w, LT_EINVAL, "attachment %zu (%s) has no file to embed", i + 1,
		      a->name ? a->name : a->content_id);
		return;
	}
	FILE *in = fopen(a->path, "rb");
	if (!in) {
		wfail(w, LT_EIO, "cannot open attachment %s: %s", a->path, strerror(errno));
		return;
	}
	if (!w->f) {
		fclose(in);
		return;
	}
	unsigned char *raw = malloc(CHUNK);
	unsigned char *enc = malloc(CHUNK / 3 * 4 + 1);
	if (!raw || !enc) {
		wfail(w, LT_ENOMEM, "out of memory");
	} else {
		for (;;) {
			size_t n = fread(raw, 1, CHUNK, in);
			if (n > 0) {
				int m = EVP_EncodeBlock(enc, raw, (int)n);
				fwrite(enc, 1, (size_t)m, w->f);
			}
			if (n < CHUNK)
				break;
		}
		if (ferror(in))
			wfail(w, LT_EIO, "cannot read attachment %s: %s", a->path, strerror(errno));
	}
	free(raw);
	free(enc);
	fclose(in);
}

static void attachments(struct w *w, const struct lt_edxml_package *p)
{
	if (p->n_attachments == 0) {
		out(w, "  <AttachmentEncoded/>\n");
		return;
	}
	out(w, "  <AttachmentEncoded>\n");
	for (size_t i = 0; i < p->n_attachments && !w->status; i++) {
		const struct lt_edxml_attachment *a = &p->attachments[i];
		out(w, "    <Attachment>\n");
		leaf_p(w, 3, "", "ContentId", a->content_id);
		leaf_p(w, 3, "", "AttachmentName", a->name);
		leaf_p(w, 3, "", "Description", a->description);
		leaf_p(w, 3, "", "ContentType", a->content_type);
		/* Outside the envelope the edXML prefix is not in scope, so it is
		 * declared again, as producers do. */
		out(w, "      <" P "ContentTransferEncoded xmlns:edXML=\"" LT_EDXML_NS "\">");
		content(w, a, i);
		out(w, "</" P "ContentTransferEncoded>\n");
		out(w, "    </Attachment>\n");
	}
	out(w, "  </AttachmentEncoded>\n");
}

static void package(struct w *w, const struct lt_edxml_package *p)
{
	if (p->kind != LT_EDXML_EDOC && p->kind != LT_EDXML_STATUS) {
		wfail(w, LT_EINVAL, "the package is neither an edoc nor a status");
		return;
	}
	out(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	out(w, "<edXML xmlns=\"" LT_EDXML_NS "\">\n");
	out(w, "  <" P "edXMLEnvelope xmlns:edXML=\"" LT_EDXML_NS "\">\n");
	open_el(w, 2, "edXMLHeader");
	open_el(w, 3, "MessageHeader");
	if (p->kind == LT_EDXML_EDOC)
		edoc_header(w, p);
	else
		status_header(w, p);
	close_el(w, 3, "MessageHeader");
	if (p->kind == LT_EDXML_EDOC)
		traces(w, p);
	close_el(w, 2, "edXMLHeader");
	if (p->kind == LT_EDXML_EDOC)
		manifest(w, p);
	out(w, "  </" P "edXMLEnvelope>\n");
	if (p->kind == LT_EDXML_EDOC)
		attachments(w, p);
	out(w, "</edXML>\n");
}

int lt_edxml_write(const struct lt_edxml_package *p, FILE *f, struct lt_err *err)
{
	struct w dry = {NULL, LT_OK, err};
	package(&dry, p);
	if (dry.status)
		return dry.status;
	struct w real = {f, LT_OK, err};
	package(&real, p);
	if (real.status)
		return real.status;
	if (fflush(f) != 0 || ferror(f))
		return lt_err_set(err, LT_EIO, "cannot write the package: %s", strerror(errno));
	return LT_OK;
}

int lt_edxml_write_fd(const struct lt_edxml_package *p, int fd, struct lt_err *err)
{
	int dupfd = dup(fd);
	if (dupfd < 0)
		return lt_err_set(err, LT_EIO, "cannot write the package: %s", strerror(errno));
	FILE *f = fdopen(dupfd, "w");
	if (!f) {
		close(dupfd);
		return lt_err_set(err, LT_EIO, "cannot write the package: %s", strerror(errno));
	}
	int rc = lt_edxml_write(p, f, err);
	if (fclose(f) != 0 && rc == LT_OK)
		rc = lt_err_set(err, LT_EIO, "cannot write the package: %s", strerror(errno));
	return rc;
}
