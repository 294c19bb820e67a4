/* libFuzzer target for the streaming signature verifier and its
 * canonicaliser: any bytes as a package yield a verdict or a refusal, never
 * a crash; and wherever libxml2 parses the bytes into a tree and
 * canonicalises it, the streaming canonical form (inclusive and exclusive,
 * with and without comments, with a PrefixList) is byte for byte the same. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>

#include "lienthong/sign.h"
#include "sign/sign_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	unsigned char *p;
	size_t len, cap;
};

static void sink(void *arg, const void *p, size_t n)
{
	struct out *o = arg;
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->p = realloc(o->p, o->cap);
		if (!o->p)
			abort();
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void silent(void *ctx, const char *msg, ...) { (void)ctx, (void)msg; }

/* libxml2's tree keeps a character or entity reference inside a namespace
 * declaration's value as written ("&#38;") and its canonicaliser prints the
 * value unescaped, where C14N wants the value escaped as any attribute's
 * (&amp;), as the stream does; such documents are no oracle. */
static bool raw_reference_in_ns(xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlNsPtr ns = n->nsDef; ns; ns = ns->next)
			if (ns->href && strchr((const char *)ns->href, '&'))
				return true;
		if (raw_reference_in_ns(n->children))
			return true;
	}
	return false;
}

static void compare(int fd, xmlDocPtr doc, int mode, bool comments, const char *list)
{
	xmlChar *ref = NULL;
	char buf[64];
	snprintf(buf, sizeof buf, "%s", list ? list : "");
	xmlChar *prefixes[4] = {NULL};
	int n = 0;
	for (char *save = NULL, *s = strtok_r(buf, " ", &save); s && n < 3; s = strtok_r(NULL, " ", &save))
		prefixes[n++] = BAD_CAST s;
	int len = xmlC14NDocDumpMemory(doc, NULL, mode, n ? prefixes : NULL, comments, &ref);
	struct out o = {0};
	struct lt_err err = {0};
	int rc = lt__c14n_file(fd, mode == XML_C14N_EXCLUSIVE_1_0, comments, list, sink, &o, &err);
	if (len >= 0 && rc == LT_OK && ((size_t)len != o.len || memcmp(ref, o.p, o.len) != 0)) {
		fprintf(stderr, "c14n differs (mode %d, comments %d, list '%s'):\nlibxml2: %.*s\nours:    %.*s\n", mode,
			comments, list ? list : "", len, (const char *)ref, (int)o.len, (const char *)o.p);
		abort();
	}
	xmlFree(ref);
	free(o.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0]) {
		snprintf(path, sizeof path, "/tmp/lt-fuzz-c14n-%d.xml", (int)getpid());
		xmlSetGenericErrorFunc(NULL, silent);
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct lt_sig_result r;
	struct lt_err err = {0};
	if (lt_sign_verify_file(path, 0, &r, &err) == LT_OK) {
		if (r.valid && !memmem(data, size, "Signature", 9))
			abort();
		lt_sig_result_clear(&r);
	}
	if (size > 65536)
		return 0;
	/* The oracle: libxml2's canonicaliser on its own tree, when the
	 * document has no DTD (which the stream refuses) and parses. */
	xmlDocPtr doc = xmlReadMemory((const char *)data, (int)size, NULL, NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc && !doc->intSubset && !doc->extSubset && !raw_reference_in_ns(doc->children)) {
		FILE *g = fopen(path, "rb");
		int fd = g ? fileno(g) : -1;
		if (fd >= 0) {
			compare(fd, doc, XML_C14N_1_0, false, NULL);
			compare(fd, doc, XML_C14N_1_0, true, NULL);
			compare(fd, doc, XML_C14N_EXCLUSIVE_1_0, false, NULL);
			compare(fd, doc, XML_C14N_EXCLUSIVE_1_0, true, "#default a");
		}
		if (g)
			fclose(g);
	}
	xmlFreeDoc(doc);
	return 0;
}
