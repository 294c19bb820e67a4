/* The reference of sig_verify_vs_xmlsec (bench/signatures.py): bare
 * in-process xmlsec verifying signed packages held in memory, as a program
 * that only wants a verdict would: xmlReadMemory, the first ds:Signature,
 * xmlSecDSigCtxVerify with the signer's key loaded once from its
 * certificate. No checks of algorithms, no certificate parsing, no memory
 * budget: the floor the hub's verifier is measured against.
 *   bench_sig_verify_ref SECONDS CERT.pem FILE...
 * Verifies the files round robin until SECONDS of this process's CPU time
 * have passed; prints {"verifications","cpu_s","per_core_s","invalid"}. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libxml/parser.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	if (f && fseek(f, 0, SEEK_END) == 0 && (*len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)*len)) && fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

static int verify(const char *buf, long len, xmlSecKeyPtr key)
{
	xmlDocPtr doc = xmlReadMemory(buf, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
	xmlNodePtr sig = doc ? xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs) : NULL;
	xmlSecDSigCtxPtr ctx = sig ? xmlSecDSigCtxCreate(NULL) : NULL;
	int ok = 0;
	if (ctx && (ctx->signKey = xmlSecKeyDuplicate(key)) && xmlSecDSigCtxVerify(ctx, sig) == 0)
		ok = ctx->status == xmlSecDSigStatusSucceeded;
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	xmlFreeDoc(doc);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_sig_verify_ref SECONDS CERT.pem FILE...\n");
		return 2;
	}
	double seconds = atof(argv[1]);
	int n = argc - 3;
	xmlInitParser();
	if (xmlSecInit() < 0 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		fprintf(stderr, "xmlsec does not start\n");
		return 1;
	}
	xmlSecKeyPtr key = xmlSecCryptoAppKeyLoad(argv[2], xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);
	char **bufs = calloc((size_t)n, sizeof *bufs);
	long *lens = calloc((size_t)n, sizeof *lens);
	if (!key || !bufs || !lens) {
		fprintf(stderr, "cannot load the key of %s\n", argv[2]);
		return 1;
	}
	for (int i = 0; i < n; i++)
		if (!(bufs[i] = slurp(argv[3 + i], &lens[i]))) {
			fprintf(stderr, "cannot read %s\n", argv[3 + i]);
			return 1;
		}
	long done = 0, invalid = 0;
	double t0 = cpu_s(), t = t0;
	while (t - t0 < seconds) {
		invalid += !verify(bufs[done % n], lens[done % n], key);
		done++;
		t = cpu_s();
	}
	printf("{\"verifications\": %ld, \"cpu_s\": %.4f, \"per_core_s\": %.2f, \"invalid\": %ld}\n", done, t - t0,
	       (double)done / (t - t0), invalid);
	return invalid ? 1 : 0;
}
