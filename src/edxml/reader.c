/* The streaming reader: libxml2's push parser with our own SAX callbacks, so no
 * tree is ever built and attachment text arrives in pieces. It keeps the
 * element stack for paths, enforces the caps, and refuses any DOCTYPE, which
 * is where entity expansion and external entities would come from. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edxml/edxml_impl.h"

#define FEED_PIECE (64 * 1024)
#define DICT_LIMIT (1024 * 1024)
#define SOAP_NS "http://schemas.xmlsoap.org/soap/envelope/"

/* ---- failures and paths ------------------------------------------------------ */

char *lt__edxml_path(const struct lt_edxml_reader *r, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	if (r->depth == 1)
		snprintf(buf, size, "%s", r->frames[0].name);
	for (unsigned i = 1; i < r->depth && o < size; i++) {
		const struct lt__edxml_frame *f = &r->frames[i];
		bool idx = f->elem >= 0 && lt__edxml_elems[f->elem].repeat;
		int n = idx ? snprintf(buf + o, size - o, "%s%s[%u]", i > 1 ? "/" : "", f->name, f->index)
			    : snprintf(buf + o, size - o, "%s%s", i > 1 ? "/" : "", f->name);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

static int fail_v(struct lt_edxml_reader *r, int status, const char *path, const char *fmt, va_list ap)
{
	if (r->status)
		return r->status;
	char msg[LT_ERR_MSG_MAX];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (path && *path)
		lt_err_set(&r->err, status, "%s: %s", path, msg);
	else
		lt_err_set(&r->err, status, "%s", msg);
	r->status = status;
	if (r->ctxt && !r->in_libxml_error)
		xmlStopParser(r->ctxt);
	return status;
}

int lt__edxml_fail(struct lt_edxml_reader *r, int status, const char *fmt, ...)
{
	char path[LT_ERR_MSG_MAX];
	lt__edxml_path(r, path, sizeof path);
	va_list ap;
	va_start(ap, fmt);
	int rc = fail_v(r, status, path, fmt, ap);
	va_end(ap);
	return rc;
}

int lt__edxml_fail_at(struct lt_edxml_reader *r, int status, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = fail_v(r, status, path, fmt, ap);
	va_end(ap);
	return rc;
}

static int give(const struct lt_edxml_reader *r, struct lt_err *err)
{
	if (err)
		*err = r->err;
	return r->status;
}

/* ---- SAX callbacks ------------------------------------------------------------ */

static bool ns_ok(const xmlChar *uri)
{
	/* Unqualified children are taken too: a few builders drop the default
	 * namespace below the root, and nothing else could be meant. */
	return !uri || strcmp((const char *)uri, LT_EDXML_NS) == 0;
}

bool lt_edxml_is_signature(const char *local, const char *ns)
{
	if (ns && strcmp(ns, LT_XMLDSIG_NS) == 0)
		return strcmp(local, "Signature") == 0;
	return ns_ok((const xmlChar *)ns) &&
	       (strcmp(local, "Signature") == 0 || strcmp(local, "DigitalSignature") == 0);
}

static int check_root(struct lt_edxml_reader *r, const char *name, const xmlChar *uri)
{
	const char *u = (const char *)uri;
	if (u && strcmp(u, LT_EDXML_NS) == 0 && strcmp(name, "edXML") == 0)
		return LT_OK;
	if (u && strcmp(u, SOAP_NS) == 0)
		return lt__edxml_fail(r, LT_EINVAL,
				      "a SOAP envelope is the legacy edXML form (Dialect B), which is not "
				      "read: send the QCVN 102:2016 file form with root edXML");
	if (strcmp(name, "edXML") == 0)
		return lt__edxml_fail(r, LT_EINVAL, "the root element is in %s%s%s, not in namespace " LT_EDXML_NS,
				      u ? "namespace '" : "no namespace", u ? u : "", u ? "'" : "");
	return lt__edxml_fail(r, LT_EINVAL, "the root element is %s, not edXML in namespace " LT_EDXML_NS, name);
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
		     const xmlChar **ns, int nattr, int ndefaulted, const xmlChar **attrs)
{
	(void)prefix, (void)ns, (void)ndefaulted, (void)attrs;
	struct lt_edxml_reader *r = ctx;
	if (r->status)
		return;
	r->in_text = false;
	r->pkg->xml_nodes++;
	r->pkg->xml_attributes += (uint64_t)nattr + (uint64_t)nns;
	if (r->depth >= r->lim.max_depth) {
		lt__edxml_fail(r, LT_ETOOBIG, "elements nest deeper than %u levels", r->lim.max_depth);
		return;
	}
	const char *name = (const char *)local;
	int pctx = r->depth ? r->frames[r->depth - 1].ctx : X_DOC;
	int ei = -1;
	if (pctx != X_SKIP && pctx != X_LEAF && pctx != X_CONTENT && ns_ok(uri))
		ei = lt__edxml_lookup(pctx, name);
	/* Only where the signature lives: a child of edXMLHeader. */
	if (pctx == X_HDR && lt_edxml_is_signature(name, (const char *)uri))
		r->pkg->signature = true;

	struct lt__edxml_frame *f = &r->frames[r->depth];
	/* Cut as snprintf would, without its format machinery on every element. */
	size_t nl = strnlen(name, sizeof f->name - 1);
	memcpy(f->name, name, nl);
	f->name[nl] = '\0';
	f->elem = (short)ei;
	f->ctx = ei >= 0 ? lt__edxml_elems[ei].child : X_SKIP;
	f->index = 0;
	uint16_t *seen = r->seen + (size_t)r->depth * lt__edxml_nelems;
	memset(seen + lt__edxml_nelems, 0, lt__edxml_nelems * sizeof *seen);
	r->depth++;

	if (pctx == X_DOC && check_root(r, name, uri) != LT_OK)
		return;
	if (ei < 0)
		return;
	const struct lt__edxml_elem *e = &lt__edxml_elems[ei];
	if (seen[ei] < UINT16_MAX)
		seen[ei]++;
	f->index = seen[ei];
	if (!e->repeat && seen[ei] > 1) {
		lt__edxml_fail(r, LT_EINVAL, "%s appears more than once", name);
		return;
	}
	if (e->child == X_LEAF) {
		r->text_len = 0;
	} else if (e->open != O_NONE) {
		lt__edxml_open(r, e);
	}
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	(void)local, (void)prefix, (void)uri;
	struct lt_edxml_reader *r = ctx;
	if (r->status || r->depth == 0)
		return;
	r->in_text = false;
	const struct lt__edxml_frame *f = &r->frames[r->depth - 1];
	if (f->elem >= 0) {
		const struct lt__edxml_elem *e = &lt__edxml_elems[f->elem];
		if (e->child == X_LEAF) {
			if (!r->text) {
				char empty[1] = "";
				lt__edxml_leaf(r, e, empty);
			} else {
				r->text[r->text_len] = '\0';
				lt__edxml_leaf(r, e, lt__edxml_trim(r->text));
			}
		} else {
			lt__edxml_close(r, e);
		}
	}
	/* On failure the frame stays, so the path names the element. */
	if (!r->status)
		r->depth--;
}

static void append_text(struct lt_edxml_reader *r, const xmlChar *s, size_t len)
{
	if (len > r->lim.max_text - r->text_len) {
		lt__edxml_fail(r, LT_ETOOBIG, "the text is longer than %zu bytes", r->lim.max_text);
		return;
	}
	if (r->text_len + len + 1 > r->text_cap) {
		size_t cap = r->text_cap ? r->text_cap : 256;
		while (cap < r->text_len + len + 1)
			cap *= 2;
		if (cap > r->lim.max_text + 1)
			cap = r->lim.max_text + 1;
		char *t = realloc(r->text, cap);
		if (!t) {
			lt__edxml_fail(r, LT_ENOMEM, "out of memory");
			return;
		}
		r->text = t;
		r->text_cap = cap;
	}
	memcpy(r->text + r->text_len, s, len);
	r->text_len += len;
}

static void on_chars(void *ctx, const xmlChar *s, int len)
{
	struct lt_edxml_reader *r = ctx;
	if (r->status || r->depth == 0 || len <= 0)
		return;
	/* A text run may come in several calls; a tree holds it as one node. */
	if (!r->in_text)
		r->pkg->xml_nodes++;
	r->in_text = true;
	int c = r->frames[r->depth - 1].ctx;
	if (c == X_LEAF)
		append_text(r, s, (size_t)len);
	else if (c == X_CONTENT)
		lt__edxml_content_data(r, s, (size_t)len);
}

/* Comments and processing instructions carry nothing the reader reads, but a
 * tree would hold each as a node. */
static void on_comment(void *ctx, const xmlChar *value)
{
	(void)value;
	struct lt_edxml_reader *r = ctx;
	if (r->status)
		return;
	r->in_text = false;
	r->pkg->xml_nodes++;
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	(void)target;
	on_comment(ctx, data);
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name, (void)ext, (void)sys;
	struct lt_edxml_reader *r = ctx;
	lt__edxml_fail(r, LT_EINVAL,
		       "a DOCTYPE is not allowed in a package: DTDs and entity declarations are never read");
}

static void record_error(struct lt_edxml_reader *r, xmlErrorPtr e);

/* libxml2 halts itself after a fatal error; stopping it from here would free
 * the input under a function still using it (xmlSwitchToEncoding does, when
 * a declared encoding fails), so the error is only recorded. */
static void on_error(void *ctx, xmlErrorPtr e)
{
	struct lt_edxml_reader *r = ctx;
	if (!e || e->level < XML_ERR_ERROR || r->status || e->code == XML_ERR_USER_STOP)
		return;
	r->in_libxml_error = true;
	record_error(r, e);
	r->in_libxml_error = false;
}

static void record_error(struct lt_edxml_reader *r, xmlErrorPtr e)
{
	char msg[256];
	snprintf(msg, sizeof msg, "%s", e->message ? e->message : "unknown error");
	lt__edxml_trim(msg);
	if (e->code == XML_ERR_NO_MEMORY) {
		if (r->ctxt && r->ctxt->dict && xmlDictGetUsage(r->ctxt->dict) + 4096 >= DICT_LIMIT)
			lt__edxml_fail(r, LT_ETOOBIG,
				       "line %d: the package uses too many distinct element and attribute names",
				       e->line);
		else
			lt__edxml_fail(r, LT_ENOMEM, "out of memory");
		return;
	}
	/* Encoding errors come without a parser context, hence without a line. */
	char line[32] = "";
	if (e->line > 0)
		snprintf(line, sizeof line, "line %d: ", e->line);
	if (r->finished && r->depth > 0)
		lt__edxml_fail(r, LT_EINVAL, "%sthe package ends before this element is closed (truncated?): %s", line,
			       msg);
	else
		lt__edxml_fail(r, LT_EINVAL, "%snot well-formed XML: %s", line, msg);
}

static void ignore_generic(void *ctx, const char *msg, ...) { (void)ctx, (void)msg; }

/* libxml2 reports some errors (encodings, I/O) on its per-thread global
 * channels, which print to stderr by default. The library never prints, so
 * for the length of each call into libxml2 they come to the reader. */
struct quiet {
	xmlGenericErrorFunc gen;
	void *gen_ctx;
	xmlStructuredErrorFunc st;
	void *st_ctx;
};

static void quiet_begin(struct lt_edxml_reader *r, struct quiet *q)
{
	q->gen = xmlGenericError;
	q->gen_ctx = xmlGenericErrorContext;
	q->st = xmlStructuredError;
	q->st_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, ignore_generic);
	xmlSetStructuredErrorFunc(r, on_error);
}

static void quiet_end(const struct quiet *q)
{
	xmlSetGenericErrorFunc(q->gen_ctx, q->gen);
	xmlSetStructuredErrorFunc(q->st_ctx, q->st);
}

/* ---- the push reader ------------------------------------------------------------ */

static void limits_resolve(struct lt_edxml_limits *l, const struct lt_edxml_limits *in)
{
	*l = in ? *in : (struct lt_edxml_limits){0};
	if (!l->max_bytes)
		l->max_bytes = LT_EDXML_DEFAULT_MAX_BYTES;
	if (!l->max_text)
		l->max_text = LT_EDXML_DEFAULT_MAX_TEXT;
	if (!l->max_meta)
		l->max_meta = LT_EDXML_DEFAULT_MAX_META;
	if (!l->max_depth)
		l->max_depth = LT_EDXML_DEFAULT_MAX_DEPTH;
	if (l->max_depth > LT__EDXML_HARD_DEPTH)
		l->max_depth = LT__EDXML_HARD_DEPTH;
}

int lt_edxml_reader_new(struct lt_edxml_reader **out, const struct lt_edxml_read_opts *opts, struct lt_err *err)
{
	*out = NULL;
	struct lt_edxml_reader *r = calloc(1, sizeof *r);
	if (!r)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	r->dirfd = -1;
	r->dec.fd = -1;
	r->guard.line = 1;
	limits_resolve(&r->lim, opts ? &opts->limits : NULL);
	r->code_flags = LT_CODE_LENIENT | (opts ? opts->code_flags : 0);
	if (opts && opts->sink) {
		r->sink = *opts->sink;
		r->has_sink = true;
	}
	r->pkg = lt_edxml_package_new(LT_EDXML_EDOC);
	r->frames = calloc(r->lim.max_depth, sizeof *r->frames);
	r->seen = calloc((size_t)(r->lim.max_depth + 1) * lt__edxml_nelems, sizeof *r->seen);
	r->sha = EVP_MD_CTX_new();
	r->dec.sha = EVP_MD_CTX_new();
	if (!r->pkg || !r->frames || !r->seen || !r->sha || !r->dec.sha ||
	    EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL) != 1) {
		lt_edxml_reader_free(r);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	/* The reader decides what a package says; nothing is assumed. */
	struct lt_edxml_business *b = &r->pkg->business;
	b->present = false;
	b->doc_type = b->paper = -1;
	lt__edxml_pool_cap(r->pkg, r->lim.max_meta);
	r->no_attachment_digests = opts && opts->no_attachment_digests;
	if (opts && opts->attach_dir) {
		r->attach_dir = strdup(opts->attach_dir);
		if (!r->attach_dir) {
			lt_edxml_reader_free(r);
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		}
		r->dirfd = open(opts->attach_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (r->dirfd < 0) {
			int e = errno;
			lt_err_set(err, LT_EIO, "cannot open attachment directory %s: %s", opts->attach_dir,
				   strerror(e));
			lt_edxml_reader_free(r);
			return LT_EIO;
		}
	}
	xmlInitParser();
	*out = r;
	return LT_OK;
}

static int start_parser(struct lt_edxml_reader *r, const char *first, size_t n)
{
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_chars;
	sax.cdataBlock = on_chars;
	sax.comment = on_comment;
	sax.processingInstruction = on_pi;
	sax.internalSubset = on_doctype;
	sax.externalSubset = on_doctype;
	sax.serror = on_error;
	r->ctxt = xmlCreatePushParserCtxt(&sax, r, first, (int)n, NULL);
	if (!r->ctxt)
		return lt__edxml_fail(r, LT_ENOMEM, "out of memory");
	/* NONET, and neither NOENT nor DTDLOAD nor HUGE: no entity is
	 * substituted, no DTD fetched, and libxml2 keeps its own token caps. */
	xmlCtxtUseOptions(r->ctxt, XML_PARSE_NONET);
	/* Names are interned for the whole parse; a real package uses about a
	 * hundred, so a small dictionary bounds a package of invented names. */
	if (r->ctxt->dict)
		xmlDictSetLimit(r->ctxt->dict, DICT_LIMIT);
	return LT_OK;
}

int lt_edxml_reader_feed(struct lt_edxml_reader *r, const void *buf, size_t len, struct lt_err *err)
{
	if (r->status)
		return give(r, err);
	if (r->finished)
		return lt_err_set(err, LT_EINVAL, "the package was already finished");
	if (len > r->lim.max_bytes - r->fed) {
		lt__edxml_fail_at(r, LT_ETOOBIG, NULL, "the package is larger than %llu bytes",
				  (unsigned long long)r->lim.max_bytes);
		return give(r, err);
	}
	if (len == 0)
		return LT_OK;
	EVP_DigestUpdate(r->sha, buf, len);
	r->fed += len;
	const char *p = buf;
	struct quiet q;
	quiet_begin(r, &q);
	/* Pieces keep libxml2's input buffer small whatever the caller hands in. */
	while (len > 0 && !r->status) {
		size_t n = len < FEED_PIECE ? len : FEED_PIECE, k = 0;
		if (lt__edxml_guard_scan(r, (const unsigned char *)p, n) != LT_OK)
			break;
		if (!r->ctxt) {
			/* The first bytes go in with the context, which takes them as
			 * input and detects the encoding from them. */
			k = n < 4 ? n : 4;
			if (start_parser(r, p, k) != LT_OK)
				break;
		}
		int rc = xmlParseChunk(r->ctxt, p + k, (int)(n - k), 0);
		if (rc != 0 && !r->status)
			lt__edxml_fail(r, LT_EINVAL, "not well-formed XML (libxml2 error %d)", rc);
		p += n;
		len -= n;
	}
	quiet_end(&q);
	return r->status ? give(r, err) : LT_OK;
}

int lt_edxml_reader_finish(struct lt_edxml_reader *r, struct lt_edxml_package **out, struct lt_err *err)
{
	*out = NULL;
	if (r->handed_over)
		return lt_err_set(err, LT_EINVAL, "the package was already finished");
	if (!r->status && !r->finished) {
		r->finished = true;
		if (r->fed == 0 || !r->ctxt) {
			lt__edxml_fail_at(r, LT_EINVAL, NULL, "the package is empty");
		} else {
			struct quiet q;
			quiet_begin(r, &q);
			int rc = xmlParseChunk(r->ctxt, NULL, 0, 1);
			quiet_end(&q);
			if (!r->status && (rc != 0 || !r->ctxt->wellFormed))
				lt__edxml_fail(r, LT_EINVAL, "not well-formed XML (libxml2 error %d)", rc);
			if (!r->status && r->depth > 0)
				lt__edxml_fail(r, LT_EINVAL,
					       "the package ends before this element is closed (truncated?)");
		}
		if (!r->status)
			lt__edxml_check_document(r);
		if (!r->status)
			lt__edxml_join(r);
	}
	if (r->status)
		return give(r, err);
	struct lt_edxml_package *p = r->pkg;
	p->size = r->fed;
	unsigned int n = 0;
	EVP_DigestFinal_ex(r->sha, p->sha256, &n);
	lt__edxml_pool_cap(p, 0);
	r->pkg = NULL;
	r->handed_over = true;
	*out = p;
	return LT_OK;
}

void lt_edxml_reader_free(struct lt_edxml_reader *r)
{
	if (!r)
		return;
	lt__edxml_dec_release(r);
	if (!r->handed_over)
		lt__edxml_bodies_discard(r);
	if (r->ctxt) {
		if (r->ctxt->myDoc)
			xmlFreeDoc(r->ctxt->myDoc);
		xmlFreeParserCtxt(r->ctxt);
	}
	lt_edxml_package_free(r->pkg);
	if (r->dirfd >= 0)
		close(r->dirfd);
	EVP_MD_CTX_free(r->sha);
	EVP_MD_CTX_free(r->dec.sha);
	free(r->attach_dir);
	free(r->frames);
	free(r->seen);
	free(r->text);
	free(r);
}

/* ---- whole inputs -------------------------------------------------------------- */

int lt_edxml_read_mem(const void *buf, size_t len, const struct lt_edxml_read_opts *opts, struct lt_edxml_package **out,
		      struct lt_err *err)
{
	*out = NULL;
	struct lt_edxml_reader *r;
	int rc = lt_edxml_reader_new(&r, opts, err);
	if (rc != LT_OK)
		return rc;
	rc = lt_edxml_reader_feed(r, buf, len, err);
	if (rc == LT_OK)
		rc = lt_edxml_reader_finish(r, out, err);
	lt_edxml_reader_free(r);
	return rc;
}

int lt_edxml_read_fd(int fd, const struct lt_edxml_read_opts *opts, struct lt_edxml_package **out, struct lt_err *err)
{
	*out = NULL;
	struct lt_edxml_limits lim;
	limits_resolve(&lim, opts ? &opts->limits : NULL);
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		if (pos >= 0 && st.st_size > pos && (uint64_t)(st.st_size - pos) > lim.max_bytes)
			return lt_err_set(err, LT_ETOOBIG, "the package is %llu bytes: the limit is %llu",
					  (unsigned long long)(st.st_size - pos), (unsigned long long)lim.max_bytes);
	}
	struct lt_edxml_reader *r;
	int rc = lt_edxml_reader_new(&r, opts, err);
	if (rc != LT_OK)
		return rc;
	char *buf = malloc(FEED_PIECE);
	if (!buf) {
		lt_edxml_reader_free(r);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	for (;;) {
		ssize_t n = read(fd, buf, FEED_PIECE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = lt_err_set(err, LT_EIO, "cannot read the package: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			rc = lt_edxml_reader_finish(r, out, err);
			break;
		}
		rc = lt_edxml_reader_feed(r, buf, (size_t)n, err);
		if (rc != LT_OK)
			break;
	}
	free(buf);
	lt_edxml_reader_free(r);
	return rc;
}

int lt_edxml_read_file(const char *path, const struct lt_edxml_read_opts *opts, struct lt_edxml_package **out,
		       struct lt_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return lt_err_set(err, e == ENOENT ? LT_ENOTFOUND : LT_EIO, "cannot open %s: %s", path, strerror(e));
	}
	int rc = lt_edxml_read_fd(fd, opts, out, err);
	close(fd);
	return rc;
}
