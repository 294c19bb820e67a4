/* One CSV cell as the export writes it and the import reads it back.
 *
 * A spreadsheet runs a cell that begins with = + - @ (or a tab or carriage
 * return before one) as a formula, so an exported name such as
 * "=HYPERLINK(…)" would execute on the desk of whoever opens the file. The
 * export therefore puts one apostrophe before every value that begins with
 * one of = + - @ TAB CR, or with an apostrophe itself; spreadsheets show
 * such a cell as text. The import removes one apostrophe from a cell that
 * begins with an apostrophe followed by one of those six characters, and
 * nothing else: every value comes back as it was, and an apostrophe at the
 * start of a value from another tool ("'Ban …") is left alone. */
#include <string.h>

#include "registry_impl.h"

static bool triggers(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' || c == '\'';
}

void lt_registry_csv_field(FILE *out, const char *value, bool last)
{
	const char *lead = triggers(value[0]) ? "'" : "";
	if (strpbrk(value, ",\"\r\n")) {
		fputc('"', out);
		fputs(lead, out);
		for (const char *s = value; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	} else {
		fputs(lead, out);
		fputs(value, out);
	}
	fputc(last ? '\n' : ',', out);
}

size_t lt__csv_cell_value(char *v, size_t len)
{
	/* Surrounding blanks are a copy-paste artefact, never data. */
	size_t a = 0, b = len;
	while (a < b && (v[a] == ' ' || v[a] == '\t'))
		a++;
	while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t' || v[b - 1] == '\r'))
		b--;
	if (b - a >= 2 && v[a] == '\'' && triggers(v[a + 1]))
		a++;
	memmove(v, v + a, b - a);
	v[b - a] = '\0';
	return b - a;
}
