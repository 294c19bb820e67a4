/* libFuzzer target for the identifier-code parsers. Besides not crashing, it
 * checks the properties the rest of the system relies on: what parses
 * formats back to the same text, and parent/child arithmetic agrees. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned modes[] = {LT_CODE_STRICT, LT_CODE_LENIENT, LT_CODE_LENIENT | LT_CODE_SYSTEM};
	for (size_t m = 0; m < 3; m++) {
		struct lt_code c;
		struct lt_err err;
		if (lt_code_parsen(&c, (const char *)data, size, modes[m], &err) != LT_OK) {
			if (err.msg[0] == '\0')
				abort(); /* every refusal must say why */
			continue;
		}
		char buf[LT_CODE_BUFSZ];
		lt_code_format(&c, buf);
		if (strlen(buf) != size || memcmp(buf, data, size) != 0)
			abort(); /* round trip */
		struct lt_code p, back;
		if (lt_code_parent(&c, &p) == LT_OK) {
			if (lt_code_level(&p) != lt_code_level(&c) - 1)
				abort();
			if (lt_code_is_canonical(&c) &&
			    (lt_code_child(&p, lt_code_number(&c), &back, NULL) != LT_OK || !lt_code_equal(&back, &c)))
				abort();
			if (!lt_code_is_ancestor(&p, &c))
				abort();
		}
	}
	/* The enterprise grammar wants a NUL-terminated string. */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct lt_enterprise e;
	if (lt_enterprise_parse(&e, s, NULL) == LT_OK) {
		char buf[15];
		if (strcmp(lt_enterprise_format(&e, buf), s) != 0)
			abort();
	}
	free(s);
	return 0;
}
