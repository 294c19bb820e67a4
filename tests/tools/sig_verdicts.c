/* For the differential signature test: reads package paths, one a line, and
 * prints for each "valid|invalid|error<TAB>reason" from the streaming
 * verifier (the hub's), so hundreds of packages need one process. */
#include <stdio.h>
#include <string.h>

#include "lienthong/sign.h"

int main(void)
{
	char path[4096];
	while (fgets(path, sizeof path, stdin)) {
		path[strcspn(path, "\n")] = '\0';
		if (!path[0])
			continue;
		struct lt_sig_result r;
		struct lt_err err = {0};
		if (lt_sign_verify_file(path, 0, &r, &err) != LT_OK) {
			printf("error\t%s\n", err.msg);
		} else {
			printf("%s\t%s\n", r.valid ? "valid" : "invalid", r.reason);
			lt_sig_result_clear(&r);
		}
		fflush(stdout);
	}
	return 0;
}
