/* libFuzzer target for signature verification: any bytes as a package must
 * yield a verdict or a refusal, never a crash, and never "valid" without a
 * Signature element. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lienthong/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/lt-fuzz-sign-%d.xml", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct lt_sig_result r;
	struct lt_err err = {0};
	if (lt_sign_verify_dom(path, 0, 0, &r, &err) == LT_OK) {
		if (r.valid && !r.present)
			abort();
		if (r.valid && !memmem(data, size, "Signature", 9))
			abort();
		lt_sig_result_clear(&r);
	}
	return 0;
}
