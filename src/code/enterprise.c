/* Enterprise and cooperative identifiers: the 10-digit enterprise code, with
 * `-NNN` for a dependent unit. Kept apart from agency codes because the two
 * grammars share nothing. */
#include "lienthong/code.h"

#include <stdio.h>
#include <string.h>

int lt_enterprise_parse(struct lt_enterprise *out, const char *text, struct lt_err *err)
{
	size_t len = text ? strlen(text) : 0;
	if (len == 0)
		return lt_err_set(err, LT_EINVAL, "empty enterprise identifier: expected 10 digits, as in 0100109106");
	size_t i = 0;
	while (i < len && text[i] >= '0' && text[i] <= '9')
		i++;
	if (i != 10)
		return lt_err_set(err, LT_EINVAL, "an enterprise identifier starts with exactly 10 digits, found %zu%s",
				  i, i < len ? " before a non-digit" : "");
	struct lt_enterprise e = {0};
	memcpy(e.base, text, 10);
	if (i < len) {
		if (text[i] != '-' || len - i != 4)
			return lt_err_set(err, LT_EINVAL,
					  "after the 10 digits only '-NNN' (a dependent unit, 001 to 999) may follow");
		unsigned b = 0;
		for (size_t k = i + 1; k < len; k++) {
			if (text[k] < '0' || text[k] > '9')
				return lt_err_set(err, LT_EINVAL, "dependent-unit suffix must be three digits");
			b = b * 10 + (unsigned)(text[k] - '0');
		}
		if (b == 0)
			return lt_err_set(err, LT_EINVAL,
					  "dependent-unit suffix -000 is not used: they run 001 to 999");
		e.branch = (uint16_t)b;
	}
	*out = e;
	return LT_OK;
}

char *lt_enterprise_format(const struct lt_enterprise *e, char buf[15])
{
	if (e->branch)
		snprintf(buf, 15, "%.10s-%03u", e->base, (unsigned)e->branch);
	else
		snprintf(buf, 15, "%.10s", e->base);
	return buf;
}
