/* XML through libxml2's xmlTextReader (node by node, the document never
 * whole in memory) and xmlTextWriter: text, CDATA and attribute values are
 * rewritten, everything else is copied. No DTD or entity is loaded, and a
 * text node over libxml2's default limit (10 MB) is refused rather than
 * held. The location is an XPath of the element (each step with its
 * position among same-named siblings), then text() or @name. A signed
 * package (an XML-DSig Signature) is refused unless the caller will sign it
 * again, and then the void signature is dropped. */
#include <string.h>

#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>

#include "convert_impl.h"

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

struct name_count {
	char *name;
	size_t n;
};

struct xframe {
	char *name;
	size_t pos;
	struct name_count *kids; /* how many children of each name so far */
	size_t n_kids;
};

struct xml_run {
	struct lt_convert *c;
	xmlTextReaderPtr rd;
	xmlTextWriterPtr w;
	struct xframe *stack;
	size_t depth, cap;
	const char *attr; /* the attribute being rewritten, or NULL for text */
};

static void frame_clear(struct xframe *f)
{
	free(f->name);
	for (size_t i = 0; i < f->n_kids; i++)
		free(f->kids[i].name);
	free(f->kids);
	memset(f, 0, sizeof *f);
}

static int where(void *ctx, json_t *loc)
{
	const struct xml_run *r = ctx;
	struct cbuf b = {0};
	for (size_t i = 0; i < r->depth; i++) {
		char pos[24];
		cbuf_put(&b, "/", 1);
		cbuf_put(&b, r->stack[i].name, strlen(r->stack[i].name));
		int n = snprintf(pos, sizeof pos, "[%zu]", r->stack[i].pos);
		cbuf_put(&b, pos, (size_t)n);
	}
	if (r->attr) {
		cbuf_put(&b, "/@", 2);
		cbuf_put(&b, r->attr, strlen(r->attr));
	} else {
		cbuf_put(&b, "/text()", 7);
	}
	if (!b.p)
		return LT_ENOMEM;
	json_object_set_new(loc, "xpath", json_string(b.p));
	cbuf_free(&b);
	return LT_OK;
}

/* The position of a new child called name under the current element. */
static int child_pos(struct xml_run *r, const char *name, size_t *pos)
{
	*pos = 1;
	if (!r->depth)
		return LT_OK;
	struct xframe *p = &r->stack[r->depth - 1];
	for (size_t i = 0; i < p->n_kids; i++)
		if (strcmp(p->kids[i].name, name) == 0) {
			*pos = ++p->kids[i].n;
			return LT_OK;
		}
	struct name_count *k = realloc(p->kids, (p->n_kids + 1) * sizeof *k);
	if (!k)
		return LT_ENOMEM;
	p->kids = k;
	if (!(k[p->n_kids].name = strdup(name)))
		return LT_ENOMEM;
	k[p->n_kids++].n = 1;
	return LT_OK;
}

static int push(struct xml_run *r, const char *name, size_t pos)
{
	if (r->depth == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		struct xframe *s = realloc(r->stack, ncap * sizeof *s);
		if (!s)
			return LT_ENOMEM;
		memset(s + r->cap, 0, (ncap - r->cap) * sizeof *s);
		r->stack = s;
		r->cap = ncap;
	}
	struct xframe *f = &r->stack[r->depth];
	if (!(f->name = strdup(name)))
		return LT_ENOMEM;
	f->pos = pos;
	r->depth++;
	return LT_OK;
}

/* The converted text of value in r->c->out, or value itself. */
static int rewrite(struct xml_run *r, const xmlChar *value, const char **text)
{
	const char *s = value ? (const char *)value : "";
	bool changed;
	int rc = conv_text(r->c, s, strlen(s), &changed, where, r);
	*text = changed ? r->c->out.p : s;
	return rc;
}

static int wr(int n) { return n < 0 ? LT_EIO : LT_OK; }

static int start_element(struct xml_run *r, struct lt_err *err)
{
	xmlTextReaderPtr rd = r->rd;
	const char *name = (const char *)xmlTextReaderConstName(rd);
	const xmlChar *ns = xmlTextReaderConstNamespaceUri(rd);
	const xmlChar *local = xmlTextReaderConstLocalName(rd);
	if (ns && local && strcmp((const char *)ns, DSIG_NS) == 0 && strcmp((const char *)local, "Signature") == 0) {
		if (!r->c->o.resign_needed)
			return lt_err_set(
				err, LT_ERULE,
				"the file is signed (an XML-DSig Signature at line %d): rewriting its codes voids "
				"the signature; give --resign-needed to convert it without the signature, then "
				"sign it again",
				xmlTextReaderGetParserLineNumber(rd));
		r->c->counts.signature_removed = true;
		return 1; /* skip the subtree */
	}
	size_t pos;
	int rc = child_pos(r, name, &pos);
	bool empty = xmlTextReaderIsEmptyElement(rd) == 1;
	if (rc || (rc = push(r, name, pos)) || (rc = wr(xmlTextWriterStartElement(r->w, (const xmlChar *)name))))
		return rc;
	while (rc == LT_OK && xmlTextReaderMoveToNextAttribute(rd) == 1) {
		const char *an = (const char *)xmlTextReaderConstName(rd), *text;
		r->attr = an;
		rc = rewrite(r, xmlTextReaderConstValue(rd), &text);
		r->attr = NULL;
		if (rc == LT_OK)
			rc = wr(xmlTextWriterWriteAttribute(r->w, (const xmlChar *)an, (const xmlChar *)text));
	}
	xmlTextReaderMoveToElement(rd);
	if (rc == LT_OK && empty) {
		rc = wr(xmlTextWriterEndElement(r->w));
		frame_clear(&r->stack[--r->depth]);
	}
	return rc;
}

static int node(struct xml_run *r, struct lt_err *err)
{
	xmlTextReaderPtr rd = r->rd;
	const char *text;
	int rc;
	switch (xmlTextReaderNodeType(rd)) {
	case XML_READER_TYPE_ELEMENT:
		return start_element(r, err);
	case XML_READER_TYPE_END_ELEMENT:
		if (r->depth)
			frame_clear(&r->stack[--r->depth]);
		return wr(xmlTextWriterFullEndElement(r->w));
	case XML_READER_TYPE_TEXT:
		if ((rc = rewrite(r, xmlTextReaderConstValue(rd), &text)))
			return rc;
		return wr(xmlTextWriterWriteString(r->w, (const xmlChar *)text));
	case XML_READER_TYPE_CDATA:
		if ((rc = rewrite(r, xmlTextReaderConstValue(rd), &text)))
			return rc;
		return wr(xmlTextWriterWriteCDATA(r->w, (const xmlChar *)text));
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		return wr(xmlTextWriterWriteString(r->w, xmlTextReaderConstValue(rd)));
	case XML_READER_TYPE_COMMENT:
		return wr(xmlTextWriterWriteComment(r->w, xmlTextReaderConstValue(rd)));
	case XML_READER_TYPE_PROCESSING_INSTRUCTION:
		return wr(xmlTextWriterWritePI(r->w, xmlTextReaderConstName(rd), xmlTextReaderConstValue(rd)));
	case XML_READER_TYPE_ENTITY_REFERENCE:
		return wr(xmlTextWriterWriteFormatRaw(r->w, "&%s;", (const char *)xmlTextReaderConstName(rd)));
	default:
		return LT_OK; /* the DOCTYPE: no DTD is carried over */
	}
}

static int read_cb(void *ctx, char *buf, int len)
{
	size_t n = fread(buf, 1, (size_t)len, ctx);
	return n == 0 && ferror((FILE *)ctx) ? -1 : (int)n;
}

static int write_cb(void *ctx, const char *buf, int len)
{
	return fwrite(buf, 1, (size_t)len, ctx) == (size_t)len ? len : -1;
}

static void no_errors(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int conv_run_xml(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err)
{
	struct xml_run r = {.c = c};
	xmlSetGenericErrorFunc(NULL, no_errors);
	r.rd = xmlReaderForIO(read_cb, NULL, in, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlOutputBufferPtr ob = r.rd ? xmlOutputBufferCreateIO(write_cb, NULL, out, NULL) : NULL;
	r.w = ob ? xmlNewTextWriter(ob) : NULL;
	if (!r.w) {
		if (ob)
			xmlOutputBufferClose(ob);
		if (r.rd)
			xmlFreeTextReader(r.rd);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	xmlResetLastError();
	int rc = LT_OK, ret = xmlTextReaderRead(r.rd);
	if (ret == 1) {
		const xmlChar *enc = xmlTextReaderConstEncoding(r.rd);
		(void)enc; /* the output is UTF-8 whatever the input's encoding */
		rc = wr(xmlTextWriterStartDocument(r.w, NULL, "UTF-8", NULL));
	}
	while (ret == 1 && rc == LT_OK) {
		rc = node(&r, err);
		if (rc == 1) {
			rc = LT_OK;
			ret = xmlTextReaderNext(r.rd);
		} else {
			ret = xmlTextReaderRead(r.rd);
		}
	}
	if (rc == LT_OK && ret != 0) {
		const xmlError *e = xmlGetLastError();
		rc = lt_err_set(err, LT_EINVAL, "XML syntax error at line %d: %s", e ? e->line : 0,
				e && e->message ? e->message : "unreadable document");
		if (rc && err && err->msg[strlen(err->msg) - 1] == '\n')
			err->msg[strlen(err->msg) - 1] = '\0';
	}
	if (rc == LT_OK)
		rc = wr(xmlTextWriterEndDocument(r.w));
	xmlFreeTextWriter(r.w);
	xmlFreeTextReader(r.rd);
	for (size_t i = 0; i < r.cap; i++)
		frame_clear(&r.stack[i]);
	free(r.stack);
	if (rc == LT_EIO && err && err->status == LT_OK)
		lt_err_set(err, LT_EIO, "writing the converted file failed");
	return rc;
}
