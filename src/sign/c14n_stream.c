/* Canonical XML (1.0 inclusive and exclusive, with or without comments) of a
 * document as it streams past in SAX2 events, so a digest can be computed
 * without a tree. Only whole documents are canonicalised here, less one
 * skipped subtree (the enveloped signature); every ancestor of an output
 * element is output too, which is what keeps the namespace rules local: a
 * declaration is rendered where its value differs from what the nearest
 * output ancestor rendered for that prefix (inclusive: every declaration;
 * exclusive: the prefixes the element and its attributes use, and those of
 * the InclusiveNamespaces PrefixList). C14N 1.1 differs from 1.0 only for
 * xml:* attributes of omitted ancestors, of which a whole document has none,
 * so the same output serves both. */
#include <stdlib.h>
#include <string.h>

#include <libxml/uri.h>

#include "sign_impl.h"

struct lt__c14n_ns {
	char *prefix; /* "" for the default namespace */
	char *uri;    /* "" when undeclared */
	unsigned depth;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static void fail(struct lt__c14n *c, int status)
{
	if (!c->status)
		c->status = status;
}

static void flush(struct lt__c14n *c)
{
	if (c->len)
		c->sink(c->arg, c->buf, c->len);
	c->len = 0;
}

static void put(struct lt__c14n *c, const void *p, size_t n)
{
	if (c->len + n > sizeof c->buf) {
		flush(c);
		if (n > sizeof c->buf) {
			c->sink(c->arg, p, n);
			return;
		}
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

static void puts_(struct lt__c14n *c, const char *s) { put(c, s, strlen(s)); }

/* Text: & < > and CR escaped. Attribute values: & < " TAB LF CR. Runs
 * without any of them (base64, most text) are found by table and copied
 * whole: this is the loop every byte of a package goes through. */
static const char special[2][256] = {
	{['&'] = 1, ['<'] = 1, ['>'] = 1, ['\r'] = 1},
	{['&'] = 1, ['<'] = 1, ['"'] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1},
};

static void escaped(struct lt__c14n *c, const unsigned char *s, size_t n, bool attr)
{
	const char *tbl = special[attr];
	size_t run = 0, i = 0;
	for (;;) {
		while (i + 4 <= n && !(tbl[s[i]] | tbl[s[i + 1]] | tbl[s[i + 2]] | tbl[s[i + 3]]))
			i += 4;
		while (i < n && !tbl[s[i]])
			i++;
		if (i >= n)
			break;
		put(c, s + run, i - run);
		switch (s[i]) {
		case '&':
			puts_(c, "&amp;");
			break;
		case '<':
			puts_(c, "&lt;");
			break;
		case '>':
			puts_(c, "&gt;");
			break;
		case '"':
			puts_(c, "&quot;");
			break;
		case '\t':
			puts_(c, "&#x9;");
			break;
		case '\n':
			puts_(c, "&#xA;");
			break;
		default:
			puts_(c, "&#xD;");
			break;
		}
		run = ++i;
	}
	put(c, s + run, n - run);
}

static void qname(struct lt__c14n *c, const xmlChar *prefix, const xmlChar *local)
{
	if (prefix && *prefix) {
		puts_(c, (const char *)prefix);
		put(c, ":", 1);
	}
	puts_(c, (const char *)local);
}

static const char *lookup(const struct lt__c14n_ns *v, size_t n, const char *prefix)
{
	for (size_t i = n; i-- > 0;)
		if (strcmp(v[i].prefix, prefix) == 0)
			return v[i].uri;
	return "";
}

static int push(struct lt__c14n_ns **v, size_t *n, size_t *cap, const char *prefix, const char *uri, unsigned depth)
{
	if (grow((void **)v, cap, *n + 1, sizeof **v))
		return -1;
	char *p = strdup(prefix), *u = strdup(uri);
	if (!p || !u) {
		free(p);
		free(u);
		return -1;
	}
	(*v)[(*n)++] = (struct lt__c14n_ns){p, u, depth};
	return 0;
}

static void pop(struct lt__c14n_ns *v, size_t *n, unsigned depth)
{
	while (*n > 0 && v[*n - 1].depth >= depth) {
		(*n)--;
		free(v[*n].prefix);
		free(v[*n].uri);
	}
}

/* libxml2's canonicaliser, which xmlsec uses, refuses relative namespace
 * URIs (C14N 1.0 leaves them undefined) anywhere in the document. */
bool lt__c14n_uri_ok(const char *uri)
{
	if (!*uri)
		return true;
	xmlURIPtr u = xmlParseURI(uri);
	bool ok = u && u->scheme && *u->scheme;
	xmlFreeURI(u);
	return ok;
}

int lt__c14n_init(struct lt__c14n *c, bool exclusive, bool comments, const char *prefix_list,
		  void (*sink)(void *arg, const void *p, size_t n), void *arg)
{
	memset(c, 0, sizeof *c);
	c->exclusive = exclusive;
	c->comments = comments;
	c->sink = sink;
	c->arg = arg;
	const char *s = prefix_list ? prefix_list : "";
	while (*s) {
		size_t sp = strspn(s, " \t\r\n");
		s += sp;
		size_t n = strcspn(s, " \t\r\n");
		if (!n)
			break;
		if (grow((void **)&c->list, &c->cap_list, c->n_list + 1, sizeof *c->list)) {
			lt__c14n_free(c);
			return -1;
		}
		/* "#default" names the default namespace, whose prefix here is "". */
		c->list[c->n_list] = n == 8 && strncmp(s, "#default", 8) == 0 ? strdup("") : strndup(s, n);
		if (!c->list[c->n_list]) {
			lt__c14n_free(c);
			return -1;
		}
		c->n_list++;
		s += n;
	}
	return 0;
}

void lt__c14n_free(struct lt__c14n *c)
{
	pop(c->scope, &c->n_scope, 0);
	pop(c->rendered, &c->n_rendered, 0);
	free(c->scope);
	free(c->rendered);
	for (size_t i = 0; i < c->n_list; i++)
		free(c->list[i]);
	free(c->list);
	free(c->pick);
	free(c->order);
	memset(c, 0, sizeof *c);
}

/* Adds prefix to the candidates of this element once. */
static int candidate(struct lt__c14n *c, size_t *n, const char *prefix)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(c->pick[i], prefix) == 0)
			return 0;
	if (grow((void **)&c->pick, &c->cap_pick, *n + 1, sizeof *c->pick))
		return -1;
	c->pick[(*n)++] = prefix;
	return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* SAX2's attributes come as 5-tuples: local, prefix, URI, value, value end;
 * canonical order is by namespace URI (none first), then local name. */
static void sort_attrs(int *order, int n, const xmlChar **attrs)
{
	/* Insertion sort: a tag's attributes are few, and qsort's comparison
	 * could not see the array without global state. */
	for (int i = 1; i < n; i++) {
		int v = order[i], j = i;
		while (j > 0) {
			const xmlChar **x = attrs + 5 * order[j - 1], **y = attrs + 5 * v;
			int d = strcmp(x[2] ? (const char *)x[2] : "", y[2] ? (const char *)y[2] : "");
			if (!d)
				d = strcmp((const char *)x[0], (const char *)y[0]);
			if (d <= 0)
				break;
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
}

void lt__c14n_start(struct lt__c14n *c, const xmlChar *local, const xmlChar *prefix, int nns, const xmlChar **ns,
		    int nattr, const xmlChar **attrs)
{
	if (c->status)
		return;
	unsigned depth = ++c->depth;
	for (int i = 0; i < nns; i++) {
		const char *p = ns[2 * i] ? (const char *)ns[2 * i] : "",
			   *u = ns[2 * i + 1] ? (const char *)ns[2 * i + 1] : "";
		if (!lt__c14n_uri_ok(u)) {
			fail(c, LT_EINVAL);
			return;
		}
		if (push(&c->scope, &c->n_scope, &c->cap_scope, p, u, depth)) {
			fail(c, LT_ENOMEM);
			return;
		}
	}
	/* A prefix declared nowhere is a namespace error libxml2 recovers from
	 * by naming the node "prefix:local" in no namespace; such a document has
	 * no canonical form, and guessing one would let two readers disagree. */
	bool undeclared = prefix && strcmp((const char *)prefix, "xml") != 0 &&
			  !*lookup(c->scope, c->n_scope, (const char *)prefix);
	for (int i = 0; i < nattr && !undeclared; i++)
		undeclared = attrs[5 * i + 1] && !attrs[5 * i + 2];
	if (undeclared) {
		fail(c, LT_EINVAL);
		return;
	}
	if (c->skip_depth)
		return;
	size_t n = 0;
	int bad = 0;
	if (!c->exclusive) {
		for (int i = 0; i < nns; i++)
			bad |= candidate(c, &n, ns[2 * i] ? (const char *)ns[2 * i] : "");
	} else {
		bad |= candidate(c, &n, prefix ? (const char *)prefix : "");
		for (int i = 0; i < nattr; i++)
			if (attrs[5 * i + 1] && strcmp((const char *)attrs[5 * i + 1], "xml") != 0)
				bad |= candidate(c, &n, (const char *)attrs[5 * i + 1]);
		for (size_t i = 0; i < c->n_list; i++)
			bad |= candidate(c, &n, c->list[i]);
	}
	if (bad) {
		fail(c, LT_ENOMEM);
		return;
	}
	if (n > 1) /* with none, pick may still be NULL */
		qsort(c->pick, n, sizeof *c->pick, cmp_str);
	put(c, "<", 1);
	qname(c, prefix, local);
	for (size_t i = 0; i < n; i++) {
		const char *p = c->pick[i];
		const char *u = lookup(c->scope, c->n_scope, p);
		/* A prefix of the PrefixList that is not in scope has no node. */
		if (c->exclusive && *p && !*u)
			continue;
		if (strcmp(lookup(c->rendered, c->n_rendered, p), u) == 0)
			continue;
		if (push(&c->rendered, &c->n_rendered, &c->cap_rendered, p, u, depth)) {
			fail(c, LT_ENOMEM);
			return;
		}
		puts_(c, *p ? " xmlns:" : " xmlns");
		puts_(c, p);
		put(c, "=\"", 2);
		escaped(c, (const unsigned char *)u, strlen(u), true);
		put(c, "\"", 1);
	}
	if (nattr > 0) {
		if (grow((void **)&c->order, &c->cap_order, (size_t)nattr, sizeof *c->order)) {
			fail(c, LT_ENOMEM);
			return;
		}
		for (int i = 0; i < nattr; i++)
			c->order[i] = i;
		sort_attrs(c->order, nattr, attrs);
		for (int k = 0; k < nattr; k++) {
			const xmlChar **a = attrs + 5 * c->order[k];
			put(c, " ", 1);
			qname(c, a[1], a[0]);
			put(c, "=\"", 2);
			escaped(c, a[3], (size_t)(a[4] - a[3]), true);
			put(c, "\"", 1);
		}
	}
	put(c, ">", 1);
}

void lt__c14n_end(struct lt__c14n *c, const xmlChar *local, const xmlChar *prefix)
{
	if (c->status || c->depth == 0)
		return;
	if (!c->skip_depth) {
		put(c, "</", 2);
		qname(c, prefix, local);
		put(c, ">", 1);
	}
	pop(c->scope, &c->n_scope, c->depth);
	pop(c->rendered, &c->n_rendered, c->depth);
	if (c->skip_depth == c->depth)
		c->skip_depth = 0;
	c->depth--;
	if (c->depth == 0)
		c->after_root = true;
}

void lt__c14n_text(struct lt__c14n *c, const xmlChar *s, int len)
{
	if (c->status || c->skip_depth || c->depth == 0 || len <= 0)
		return;
	escaped(c, s, (size_t)len, false);
}

/* Outside the document element, a comment or PI is set off by a newline:
 * after it before the root, before it after the root. */
static void around(struct lt__c14n *c, bool before)
{
	if (c->depth == 0 && before == c->after_root)
		put(c, "\n", 1);
}

void lt__c14n_comment(struct lt__c14n *c, const xmlChar *s)
{
	if (c->status || c->skip_depth || !c->comments)
		return;
	around(c, true);
	put(c, "<!--", 4);
	puts_(c, (const char *)s);
	put(c, "-->", 3);
	around(c, false);
}

void lt__c14n_pi(struct lt__c14n *c, const xmlChar *target, const xmlChar *data)
{
	if (c->status || c->skip_depth)
		return;
	around(c, true);
	put(c, "<?", 2);
	puts_(c, (const char *)target);
	if (data && *data) {
		put(c, " ", 1);
		puts_(c, (const char *)data);
	}
	put(c, "?>", 2);
	around(c, false);
}

void lt__c14n_skip_next(struct lt__c14n *c) { c->skip_depth = c->depth + 1; }

void lt__c14n_flush(struct lt__c14n *c) { flush(c); }
