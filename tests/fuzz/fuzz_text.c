/* libFuzzer target for the text helpers: folding must stay within its buffer
 * and produce clean output; dates that parse must print back the same date. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char small[8], big[4096];
	lt_text_fold(s, small, sizeof small);
	lt_text_fold(s, big, sizeof big);
	if (strlen(small) >= sizeof small)
		abort();
	char again[4096];
	/* Folding is idempotent for ASCII results. */
	bool ascii = true;
	for (const char *p = big; *p; p++)
		ascii &= (unsigned char)*p < 0x80;
	if (ascii && strcmp(lt_text_fold(big, again, sizeof again), big) != 0)
		abort();
	char d[LT_DATE_BUFSZ], d2[LT_DATE_BUFSZ];
	if (lt_date_parse(s, d, NULL) == LT_OK) {
		if (lt_date_parse(d, d2, NULL) != LT_OK || strcmp(d, d2) != 0 || lt_date_diff(d, d2) != 0)
			abort();
	}
	(void)lt_text_is_clean_utf8(s);
	(void)lt_email_ok(s);
	(void)lt_phone_ok(s);
	free(s);
	return 0;
}
