/* Parsing speed of the hub's streaming edXML reader against libxml2's bare
 * SAX2 push parse of the same bytes (bench/edxml.py, figure
 * edxml_parse_vs_libxml2).
 *
 *   bench_edxml_parse SECONDS FILE...
 *
 * All are fed the packages in 64 KiB pieces, as an upload arrives, and
 * take turns in rounds of every file until each has used SECONDS of CPU:
 * the bare parse, the bare parse plus the package's SHA-256 (the floor of
 * a reader that hashes as the hub must), and the reader. The
 * reader is set up as the hub's upload sets it (its limits, enterprise
 * codes, no attachment directory, no attachment digests), so it does all
 * the hub's parse-time work: the SHA-256 of the bytes, the header's fields,
 * attachment base64 checked while it streams. Prints one JSON object with MB/s for each. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <openssl/evp.h>

#include "lienthong/edxml.h"

#define PIECE 65536

struct file {
	char *p;
	size_t n;
};

/* CPU time, not wall time: the benchmark machine is shared, and a parse is
 * single-threaded CPU work, so time spent descheduled is not the parser's. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, struct file *f)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return -1;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f->p = malloc((size_t)n + 1);
	f->n = f->p ? fread(f->p, 1, (size_t)n, fp) : 0;
	fclose(fp);
	return f->p && f->n == (size_t)n ? 0 : -1;
}

static void no_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri, int nb_ns,
		     const xmlChar **ns, int nb_attr, int nb_def, const xmlChar **attrs)
{
	(void)ctx, (void)localname, (void)prefix, (void)uri, (void)nb_ns, (void)ns, (void)nb_attr, (void)nb_def;
	(void)attrs;
}

static void no_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	(void)ctx, (void)localname, (void)prefix, (void)uri;
}

static void no_chars(void *ctx, const xmlChar *ch, int len) { (void)ctx, (void)ch, (void)len; }

static int bare_sax(const struct file *f)
{
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = no_start;
	sax.endElementNs = no_end;
	sax.characters = no_chars;
	sax.cdataBlock = no_chars;
	xmlParserCtxtPtr c = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
	if (!c)
		return -1;
	/* The reader's options (src/edxml/reader.c), so both parse alike. */
	xmlCtxtUseOptions(c, XML_PARSE_NONET);
	int rc = 0;
	for (size_t o = 0; o < f->n && rc == 0; o += PIECE) {
		size_t k = f->n - o < PIECE ? f->n - o : PIECE;
		rc = xmlParseChunk(c, f->p + o, (int)k, 0);
	}
	if (rc == 0)
		rc = xmlParseChunk(c, NULL, 0, 1);
	if (rc == 0 && !c->wellFormed)
		rc = -1;
	xmlFreeParserCtxt(c);
	return rc;
}

/* The floor for any reader that must also hash the package as the hub
 * does: the bare parse plus SHA-256 of the same pieces. */
static int sax_and_hash(const struct file *f)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned n;
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		return -1;
	for (size_t o = 0; o < f->n; o += PIECE)
		EVP_DigestUpdate(md, f->p + o, f->n - o < PIECE ? f->n - o : PIECE);
	EVP_DigestFinal_ex(md, out, &n);
	EVP_MD_CTX_free(md);
	return bare_sax(f);
}

static int ours(const struct file *f)
{
	struct lt_err err = {0};
	struct lt_edxml_reader *r;
	struct lt_edxml_read_opts opts = {.limits = {.max_bytes = LT_EDXML_DEFAULT_MAX_BYTES},
					  .code_flags = LT_CODE_ENTERPRISE,
					  .no_attachment_digests = true};
	if (lt_edxml_reader_new(&r, &opts, &err))
		return -1;
	int rc = 0;
	for (size_t o = 0; o < f->n && rc == 0; o += PIECE) {
		size_t k = f->n - o < PIECE ? f->n - o : PIECE;
		rc = lt_edxml_reader_feed(r, f->p + o, k, &err);
	}
	struct lt_edxml_package *p = NULL;
	if (rc == 0)
		rc = lt_edxml_reader_finish(r, &p, &err);
	if (rc)
		fprintf(stderr, "bench_edxml_parse: the reader refused a package: %s\n", err.msg);
	lt_edxml_package_free(p);
	lt_edxml_reader_free(r);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_edxml_parse SECONDS FILE...\n");
		return 2;
	}
	double budget = atof(argv[1]);
	int nf = argc - 2;
	struct file *fs = calloc((size_t)nf, sizeof *fs);
	size_t total = 0;
	for (int i = 0; i < nf; i++) {
		if (!fs || load(argv[i + 2], &fs[i])) {
			fprintf(stderr, "bench_edxml_parse: cannot read %s\n", argv[i + 2]);
			return 1;
		}
		total += fs[i].n;
	}
	xmlInitParser();
	int (*const run[3])(const struct file *) = {bare_sax, sax_and_hash, ours};
	double t[3] = {0};
	long rounds = 0;
	while (t[0] < budget || t[1] < budget || t[2] < budget) {
		for (int k = 0; k < 3; k++) {
			int which = (int)((rounds + k) % 3); /* rotate who goes first */
			double t0 = now();
			for (int i = 0; i < nf; i++)
				if (run[which](&fs[i]) != 0)
					return 1;
			t[which] += now() - t0;
		}
		rounds++;
	}
	double mb = (double)total * (double)rounds / 1e6;
	printf("{\"files\": %d, \"bytes\": %zu, \"rounds\": %ld, \"libxml2_sax_mb_s\": %.2f, "
	       "\"libxml2_sax_sha256_mb_s\": %.2f, \"reader_mb_s\": %.2f}\n",
	       nf, total, rounds, mb / t[0], mb / t[1], mb / t[2]);
	for (int i = 0; i < nf; i++)
		free(fs[i].p);
	free(fs);
	xmlCleanupParser();
	return 0;
}
