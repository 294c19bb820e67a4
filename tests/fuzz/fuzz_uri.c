/* libFuzzer target for the daemon's request-target parser: any bytes must
 * parse or be refused with a message, never crash, and a parsed path must
 * hold no NUL, dot segment or backslash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/daemon/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = malloc(size + 1);
	if (!raw)
		return 0;
	memcpy(raw, data, size);
	raw[size] = '\0';
	struct uri u;
	struct lt_err err = {0};
	if (uri_parse(raw, &u, &err) == LT_OK) {
		if (strstr(u.path, "/../") || strstr(u.path, "/./") || strchr(u.path, '\\'))
			abort();
		size_t n = strlen(u.path);
		if ((n >= 3 && strcmp(u.path + n - 3, "/..") == 0) || (n >= 2 && strcmp(u.path + n - 2, "/.") == 0))
			abort();
		if (!lt_text_is_clean_utf8(u.path))
			abort();
	} else if (!err.msg[0]) {
		abort();
	}
	uri_free(&u);
	free(raw);
	return 0;
}
