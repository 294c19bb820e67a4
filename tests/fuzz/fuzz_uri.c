/* libFuzzer target for the daemon's request-target parser: any bytes must
 * parse or be refused with a message, never crash, and a parsed path must
 * hold no NUL, dot segment or backslash. The access log's redaction of the
 * same bytes never overruns and leaves no credential-named value. */
#include <stdint.h>
#include <stdio.h>
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
	/* The access log's copy: always a string within its buffer, and no
	 * query value named like a credential survives it. */
	char small[16], log[512];
	uri_redact(raw, small, sizeof small);
	uri_redact(raw, log, sizeof log);
	if (strlen(small) >= sizeof small || strlen(log) >= sizeof log)
		abort();
	if (strlen(raw) < 200 && !strchr(raw, '#')) {
		const char *q = strchr(log, '?');
		for (const char *p = q; p && *p; p = strchr(p + 1, '&')) {
			char key[128];
			size_t kn = strcspn(p + 1, "=&");
			snprintf(key, sizeof key, "%.*s", (int)(kn < sizeof key ? kn : sizeof key - 1), p + 1);
			const char *v = p + 1 + kn;
			if (*v == '=' && uri_secret_name(key) && strncmp(v + 1, "[redacted]", 10) != 0)
				abort();
		}
	}
	free(raw);
	return 0;
}
