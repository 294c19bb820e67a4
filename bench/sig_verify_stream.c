/* The hub's streaming verifier (lt_sign_verify_file, as the upload path
 * calls it on its spool file) over the same signed packages as
 * bench_sig_verify_ref, for sig_verify_vs_xmlsec (bench/signatures.py).
 *   bench_sig_verify_stream SECONDS FILE...
 * Verifies the files round robin until SECONDS of this process's CPU time
 * have passed; prints {"verifications","cpu_s","per_core_s","invalid"}. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lienthong/sign.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_sig_verify_stream SECONDS FILE...\n");
		return 2;
	}
	double seconds = atof(argv[1]);
	int n = argc - 2;
	long done = 0, invalid = 0;
	double t0 = cpu_s(), t = t0;
	while (t - t0 < seconds) {
		struct lt_sig_result r;
		struct lt_err err = {0};
		const char *path = argv[2 + done % n];
		if (lt_sign_verify_file(path, 0, &r, &err) != LT_OK) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			return 1;
		}
		invalid += !r.valid;
		lt_sig_result_clear(&r);
		done++;
		t = cpu_s();
	}
	printf("{\"verifications\": %ld, \"cpu_s\": %.4f, \"per_core_s\": %.2f, \"invalid\": %ld}\n", done, t - t0,
	       (double)done / (t - t0), invalid);
	return invalid ? 1 : 0;
}
