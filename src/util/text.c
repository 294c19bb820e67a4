/* Folding, dates and field checks. The fold table covers the Latin blocks
 * that Vietnamese uses; it is generated from Unicode's own decompositions. */
#include <errno.h>
#include "lienthong/text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

/* Generated from Unicode NFD decompositions: code point, ASCII base letter. */
static const struct {
	uint16_t cp;
	char base;
} fold_table[] = {
	{0x00C0, 'a'}, {0x00C1, 'a'}, {0x00C2, 'a'}, {0x00C3, 'a'}, {0x00C4, 'a'}, {0x00C5, 'a'}, {0x00C7, 'c'},
	{0x00C8, 'e'}, {0x00C9, 'e'}, {0x00CA, 'e'}, {0x00CB, 'e'}, {0x00CC, 'i'}, {0x00CD, 'i'}, {0x00CE, 'i'},
	{0x00CF, 'i'}, {0x00D1, 'n'}, {0x00D2, 'o'}, {0x00D3, 'o'}, {0x00D4, 'o'}, {0x00D5, 'o'}, {0x00D6, 'o'},
	{0x00D9, 'u'}, {0x00DA, 'u'}, {0x00DB, 'u'}, {0x00DC, 'u'}, {0x00DD, 'y'}, {0x00E0, 'a'}, {0x00E1, 'a'},
	{0x00E2, 'a'}, {0x00E3, 'a'}, {0x00E4, 'a'}, {0x00E5, 'a'}, {0x00E7, 'c'}, {0x00E8, 'e'}, {0x00E9, 'e'},
	{0x00EA, 'e'}, {0x00EB, 'e'}, {0x00EC, 'i'}, {0x00ED, 'i'}, {0x00EE, 'i'}, {0x00EF, 'i'}, {0x00F1, 'n'},
	{0x00F2, 'o'}, {0x00F3, 'o'}, {0x00F4, 'o'}, {0x00F5, 'o'}, {0x00F6, 'o'}, {0x00F9, 'u'}, {0x00FA, 'u'},
	{0x00FB, 'u'}, {0x00FC, 'u'}, {0x00FD, 'y'}, {0x00FF, 'y'}, {0x0100, 'a'}, {0x0101, 'a'}, {0x0102, 'a'},
	{0x0103, 'a'}, {0x0104, 'a'}, {0x0105, 'a'}, {0x0106, 'c'}, {0x0107, 'c'}, {0x0108, 'c'}, {0x0109, 'c'},
	{0x010A, 'c'}, {0x010B, 'c'}, {0x010C, 'c'}, {0x010D, 'c'}, {0x010E, 'd'}, {0x010F, 'd'}, {0x0110, 'd'},
	{0x0111, 'd'}, {0x0112, 'e'}, {0x0113, 'e'}, {0x0114, 'e'}, {0x0115, 'e'}, {0x0116, 'e'}, {0x0117, 'e'},
	{0x0118, 'e'}, {0x0119, 'e'}, {0x011A, 'e'}, {0x011B, 'e'}, {0x011C, 'g'}, {0x011D, 'g'}, {0x011E, 'g'},
	{0x011F, 'g'}, {0x0120, 'g'}, {0x0121, 'g'}, {0x0122, 'g'}, {0x0123, 'g'}, {0x0124, 'h'}, {0x0125, 'h'},
	{0x0128, 'i'}, {0x0129, 'i'}, {0x012A, 'i'}, {0x012B, 'i'}, {0x012C, 'i'}, {0x012D, 'i'}, {0x012E, 'i'},
	{0x012F, 'i'}, {0x0130, 'i'}, {0x0134, 'j'}, {0x0135, 'j'}, {0x0136, 'k'}, {0x0137, 'k'}, {0x0139, 'l'},
	{0x013A, 'l'}, {0x013B, 'l'}, {0x013C, 'l'}, {0x013D, 'l'}, {0x013E, 'l'}, {0x0143, 'n'}, {0x0144, 'n'},
	{0x0145, 'n'}, {0x0146, 'n'}, {0x0147, 'n'}, {0x0148, 'n'}, {0x014C, 'o'}, {0x014D, 'o'}, {0x014E, 'o'},
	{0x014F, 'o'}, {0x0150, 'o'}, {0x0151, 'o'}, {0x0154, 'r'}, {0x0155, 'r'}, {0x0156, 'r'}, {0x0157, 'r'},
	{0x0158, 'r'}, {0x0159, 'r'}, {0x015A, 's'}, {0x015B, 's'}, {0x015C, 's'}, {0x015D, 's'}, {0x015E, 's'},
	{0x015F, 's'}, {0x0160, 's'}, {0x0161, 's'}, {0x0162, 't'}, {0x0163, 't'}, {0x0164, 't'}, {0x0165, 't'},
	{0x0168, 'u'}, {0x0169, 'u'}, {0x016A, 'u'}, {0x016B, 'u'}, {0x016C, 'u'}, {0x016D, 'u'}, {0x016E, 'u'},
	{0x016F, 'u'}, {0x0170, 'u'}, {0x0171, 'u'}, {0x0172, 'u'}, {0x0173, 'u'}, {0x0174, 'w'}, {0x0175, 'w'},
	{0x0176, 'y'}, {0x0177, 'y'}, {0x0178, 'y'}, {0x0179, 'z'}, {0x017A, 'z'}, {0x017B, 'z'}, {0x017C, 'z'},
	{0x017D, 'z'}, {0x017E, 'z'}, {0x01A0, 'o'}, {0x01A1, 'o'}, {0x01AF, 'u'}, {0x01B0, 'u'}, {0x01CD, 'a'},
	{0x01CE, 'a'}, {0x01CF, 'i'}, {0x01D0, 'i'}, {0x01D1, 'o'}, {0x01D2, 'o'}, {0x01D3, 'u'}, {0x01D4, 'u'},
	{0x01D5, 'u'}, {0x01D6, 'u'}, {0x01D7, 'u'}, {0x01D8, 'u'}, {0x01D9, 'u'}, {0x01DA, 'u'}, {0x01DB, 'u'},
	{0x01DC, 'u'}, {0x01DE, 'a'}, {0x01DF, 'a'}, {0x01E0, 'a'}, {0x01E1, 'a'}, {0x01E6, 'g'}, {0x01E7, 'g'},
	{0x01E8, 'k'}, {0x01E9, 'k'}, {0x01EA, 'o'}, {0x01EB, 'o'}, {0x01EC, 'o'}, {0x01ED, 'o'}, {0x01F0, 'j'},
	{0x01F4, 'g'}, {0x01F5, 'g'}, {0x01F8, 'n'}, {0x01F9, 'n'}, {0x01FA, 'a'}, {0x01FB, 'a'}, {0x0200, 'a'},
	{0x0201, 'a'}, {0x0202, 'a'}, {0x0203, 'a'}, {0x0204, 'e'}, {0x0205, 'e'}, {0x0206, 'e'}, {0x0207, 'e'},
	{0x0208, 'i'}, {0x0209, 'i'}, {0x020A, 'i'}, {0x020B, 'i'}, {0x020C, 'o'}, {0x020D, 'o'}, {0x020E, 'o'},
	{0x020F, 'o'}, {0x0210, 'r'}, {0x0211, 'r'}, {0x0212, 'r'}, {0x0213, 'r'}, {0x0214, 'u'}, {0x0215, 'u'},
	{0x0216, 'u'}, {0x0217, 'u'}, {0x0218, 's'}, {0x0219, 's'}, {0x021A, 't'}, {0x021B, 't'}, {0x021E, 'h'},
	{0x021F, 'h'}, {0x0226, 'a'}, {0x0227, 'a'}, {0x0228, 'e'}, {0x0229, 'e'}, {0x022A, 'o'}, {0x022B, 'o'},
	{0x022C, 'o'}, {0x022D, 'o'}, {0x022E, 'o'}, {0x022F, 'o'}, {0x0230, 'o'}, {0x0231, 'o'}, {0x0232, 'y'},
	{0x0233, 'y'}, {0x1E00, 'a'}, {0x1E01, 'a'}, {0x1E02, 'b'}, {0x1E03, 'b'}, {0x1E04, 'b'}, {0x1E05, 'b'},
	{0x1E06, 'b'}, {0x1E07, 'b'}, {0x1E08, 'c'}, {0x1E09, 'c'}, {0x1E0A, 'd'}, {0x1E0B, 'd'}, {0x1E0C, 'd'},
	{0x1E0D, 'd'}, {0x1E0E, 'd'}, {0x1E0F, 'd'}, {0x1E10, 'd'}, {0x1E11, 'd'}, {0x1E12, 'd'}, {0x1E13, 'd'},
	{0x1E14, 'e'}, {0x1E15, 'e'}, {0x1E16, 'e'}, {0x1E17, 'e'}, {0x1E18, 'e'}, {0x1E19, 'e'}, {0x1E1A, 'e'},
	{0x1E1B, 'e'}, {0x1E1C, 'e'}, {0x1E1D, 'e'}, {0x1E1E, 'f'}, {0x1E1F, 'f'}, {0x1E20, 'g'}, {0x1E21, 'g'},
	{0x1E22, 'h'}, {0x1E23, 'h'}, {0x1E24, 'h'}, {0x1E25, 'h'}, {0x1E26, 'h'}, {0x1E27, 'h'}, {0x1E28, 'h'},
	{0x1E29, 'h'}, {0x1E2A, 'h'}, {0x1E2B, 'h'}, {0x1E2C, 'i'}, {0x1E2D, 'i'}, {0x1E2E, 'i'}, {0x1E2F, 'i'},
	{0x1E30, 'k'}, {0x1E31, 'k'}, {0x1E32, 'k'}, {0x1E33, 'k'}, {0x1E34, 'k'}, {0x1E35, 'k'}, {0x1E36, 'l'},
	{0x1E37, 'l'}, {0x1E38, 'l'}, {0x1E39, 'l'}, {0x1E3A, 'l'}, {0x1E3B, 'l'}, {0x1E3C, 'l'}, {0x1E3D, 'l'},
	{0x1E3E, 'm'}, {0x1E3F, 'm'}, {0x1E40, 'm'}, {0x1E41, 'm'}, {0x1E42, 'm'}, {0x1E43, 'm'}, {0x1E44, 'n'},
	{0x1E45, 'n'}, {0x1E46, 'n'}, {0x1E47, 'n'}, {0x1E48, 'n'}, {0x1E49, 'n'}, {0x1E4A, 'n'}, {0x1E4B, 'n'},
	{0x1E4C, 'o'}, {0x1E4D, 'o'}, {0x1E4E, 'o'}, {0x1E4F, 'o'}, {0x1E50, 'o'}, {0x1E51, 'o'}, {0x1E52, 'o'},
	{0x1E53, 'o'}, {0x1E54, 'p'}, {0x1E55, 'p'}, {0x1E56, 'p'}, {0x1E57, 'p'}, {0x1E58, 'r'}, {0x1E59, 'r'},
	{0x1E5A, 'r'}, {0x1E5B, 'r'}, {0x1E5C, 'r'}, {0x1E5D, 'r'}, {0x1E5E, 'r'}, {0x1E5F, 'r'}, {0x1E60, 's'},
	{0x1E61, 's'}, {0x1E62, 's'}, {0x1E63, 's'}, {0x1E64, 's'}, {0x1E65, 's'}, {0x1E66, 's'}, {0x1E67, 's'},
	{0x1E68, 's'}, {0x1E69, 's'}, {0x1E6A, 't'}, {0x1E6B, 't'}, {0x1E6C, 't'}, {0x1E6D, 't'}, {0x1E6E, 't'},
	{0x1E6F, 't'}, {0x1E70, 't'}, {0x1E71, 't'}, {0x1E72, 'u'}, {0x1E73, 'u'}, {0x1E74, 'u'}, {0x1E75, 'u'},
	{0x1E76, 'u'}, {0x1E77, 'u'}, {0x1E78, 'u'}, {0x1E79, 'u'}, {0x1E7A, 'u'}, {0x1E7B, 'u'}, {0x1E7C, 'v'},
	{0x1E7D, 'v'}, {0x1E7E, 'v'}, {0x1E7F, 'v'}, {0x1E80, 'w'}, {0x1E81, 'w'}, {0x1E82, 'w'}, {0x1E83, 'w'},
	{0x1E84, 'w'}, {0x1E85, 'w'}, {0x1E86, 'w'}, {0x1E87, 'w'}, {0x1E88, 'w'}, {0x1E89, 'w'}, {0x1E8A, 'x'},
	{0x1E8B, 'x'}, {0x1E8C, 'x'}, {0x1E8D, 'x'}, {0x1E8E, 'y'}, {0x1E8F, 'y'}, {0x1E90, 'z'}, {0x1E91, 'z'},
	{0x1E92, 'z'}, {0x1E93, 'z'}, {0x1E94, 'z'}, {0x1E95, 'z'}, {0x1E96, 'h'}, {0x1E97, 't'}, {0x1E98, 'w'},
	{0x1E99, 'y'}, {0x1EA0, 'a'}, {0x1EA1, 'a'}, {0x1EA2, 'a'}, {0x1EA3, 'a'}, {0x1EA4, 'a'}, {0x1EA5, 'a'},
	{0x1EA6, 'a'}, {0x1EA7, 'a'}, {0x1EA8, 'a'}, {0x1EA9, 'a'}, {0x1EAA, 'a'}, {0x1EAB, 'a'}, {0x1EAC, 'a'},
	{0x1EAD, 'a'}, {0x1EAE, 'a'}, {0x1EAF, 'a'}, {0x1EB0, 'a'}, {0x1EB1, 'a'}, {0x1EB2, 'a'}, {0x1EB3, 'a'},
	{0x1EB4, 'a'}, {0x1EB5, 'a'}, {0x1EB6, 'a'}, {0x1EB7, 'a'}, {0x1EB8, 'e'}, {0x1EB9, 'e'}, {0x1EBA, 'e'},
	{0x1EBB, 'e'}, {0x1EBC, 'e'}, {0x1EBD, 'e'}, {0x1EBE, 'e'}, {0x1EBF, 'e'}, {0x1EC0, 'e'}, {0x1EC1, 'e'},
	{0x1EC2, 'e'}, {0x1EC3, 'e'}, {0x1EC4, 'e'}, {0x1EC5, 'e'}, {0x1EC6, 'e'}, {0x1EC7, 'e'}, {0x1EC8, 'i'},
	{0x1EC9, 'i'}, {0x1ECA, 'i'}, {0x1ECB, 'i'}, {0x1ECC, 'o'}, {0x1ECD, 'o'}, {0x1ECE, 'o'}, {0x1ECF, 'o'},
	{0x1ED0, 'o'}, {0x1ED1, 'o'}, {0x1ED2, 'o'}, {0x1ED3, 'o'}, {0x1ED4, 'o'}, {0x1ED5, 'o'}, {0x1ED6, 'o'},
	{0x1ED7, 'o'}, {0x1ED8, 'o'}, {0x1ED9, 'o'}, {0x1EDA, 'o'}, {0x1EDB, 'o'}, {0x1EDC, 'o'}, {0x1EDD, 'o'},
	{0x1EDE, 'o'}, {0x1EDF, 'o'}, {0x1EE0, 'o'}, {0x1EE1, 'o'}, {0x1EE2, 'o'}, {0x1EE3, 'o'}, {0x1EE4, 'u'},
	{0x1EE5, 'u'}, {0x1EE6, 'u'}, {0x1EE7, 'u'}, {0x1EE8, 'u'}, {0x1EE9, 'u'}, {0x1EEA, 'u'}, {0x1EEB, 'u'},
	{0x1EEC, 'u'}, {0x1EED, 'u'}, {0x1EEE, 'u'}, {0x1EEF, 'u'}, {0x1EF0, 'u'}, {0x1EF1, 'u'}, {0x1EF2, 'y'},
	{0x1EF3, 'y'}, {0x1EF4, 'y'}, {0x1EF5, 'y'}, {0x1EF6, 'y'}, {0x1EF7, 'y'}, {0x1EF8, 'y'}, {0x1EF9, 'y'},
};

static int fold_cp(uint32_t cp)
{
	size_t lo = 0, hi = sizeof fold_table / sizeof fold_table[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (fold_table[mid].cp == cp)
			return fold_table[mid].base;
		if (fold_table[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Decodes one UTF-8 sequence; returns its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80)
		return *cp = s[0], 1;
	size_t n;
	uint32_t c, min;
	if ((s[0] & 0xE0) == 0xC0)
		n = 2, c = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, c = s[0] & 0x0F, min = 0x800;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

char *lt_text_fold(const char *in, char *out, size_t outsz)
{
	size_t o = 0;
	bool space = true; /* drop leading spaces */
	const unsigned char *s = (const unsigned char *)in;
	if (outsz == 0)
		return out;
	while (*s && o + 1 < outsz) {
		uint32_t cp;
		size_t n = utf8_decode(s, &cp);
		if (n == 0) {
			s++;
			continue;
		}
		char ch = 0;
		if (cp < 0x80) {
			if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
				ch = (char)cp;
			else if (cp >= 'A' && cp <= 'Z')
				ch = (char)(cp - 'A' + 'a');
			else if (cp == '.')
				ch = '.'; /* kept so code fragments survive folding */
		} else if (cp >= 0x300 && cp <= 0x36F) {
			s += n; /* combining marks of decomposed input */
			continue;
		} else {
			ch = (char)fold_cp(cp);
			if (!ch) {
				/* Another script: keep its bytes as they are. */
				if (o + n >= outsz)
					break;
				memcpy(out + o, s, n);
				o += n;
				s += n;
				space = false;
				continue;
			}
		}
		s += n;
		if (!ch) {
			if (!space)
				out[o++] = ' ';
			space = true;
			continue;
		}
		out[o++] = ch;
		space = false;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

bool lt_text_is_clean_utf8(const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	while (*s) {
		uint32_t cp;
		size_t n = utf8_decode(s, &cp);
		if (n == 0 || (cp < 0x20 && cp != '\t') || cp == 0x7F)
			return false;
		s += n;
	}
	return true;
}

char *lt_text_utf8_repair(const char *in, char *out, size_t outsz)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	if (!outsz)
		return out;
	while (*s) {
		uint32_t cp;
		size_t n = utf8_decode(s, &cp);
		const char *put = (const char *)s;
		size_t len = n;
		if (n == 0) {
			put = "\xEF\xBF\xBD";
			len = 3;
			n = 1;
		}
		if (o + len >= outsz)
			break;
		memcpy(out + o, put, len);
		o += len;
		s += n;
	}
	out[o] = '\0';
	return out;
}

/* Bytes a sequence led by c announces: 1 for ASCII, 2-4 for a lead byte, 0
 * for a continuation byte or a byte that never starts one. */
static size_t utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 0;
}

size_t lt_text_cut_whole(char *s, size_t len)
{
	/* Only the last character can be incomplete; look back at most three
	 * continuation bytes for its lead byte. */
	size_t back = 0;
	while (back < 3 && back < len && ((unsigned char)s[len - 1 - back] & 0xC0) == 0x80)
		back++;
	if (back < len) {
		size_t lead = len - 1 - back, want = utf8_seq_len((unsigned char)s[lead]);
		if (want > 1 && want > back + 1)
			len = lead;
	}
	s[len] = '\0';
	return len;
}

char *lt_text_put_uint(char *p, unsigned v, int width)
{
	int n = 1;
	for (unsigned t = v; t >= 10; t /= 10)
		n++;
	if (n < width)
		n = width;
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

size_t lt_text_format(char *dst, size_t n, const char *fmt, ...)
{
	if (n == 0)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	if (w < 0) {
		dst[0] = '\0';
		return 0;
	}
	return lt_text_cut_whole(dst, (size_t)w < n ? (size_t)w : n - 1);
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int lt_date_parse(const char *in, char out[LT_DATE_BUFSZ], struct lt_err *err)
{
	int y, m, d;
	if (!in || strlen(in) != 10)
		goto bad;
	if (digits(in, 4) && (in[4] == '-' || in[4] == '/') && in[7] == in[4] && digits(in + 5, 2) &&
	    digits(in + 8, 2)) {
		y = atoi(in), m = atoi(in + 5), d = atoi(in + 8);
	} else if (digits(in, 2) && in[2] == '/' && in[5] == '/' && digits(in + 3, 2) && digits(in + 6, 4)) {
		d = atoi(in), m = atoi(in + 3), y = atoi(in + 6);
	} else {
		goto bad;
	}
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return lt_err_set(err, LT_EINVAL, "'%s' is not a real calendar date", in);
	/* Without snprintf: an import parses up to four dates a row. */
	char *p = lt_text_put_uint(out, (unsigned)y, 4);
	*p++ = '-';
	p = lt_text_put_uint(p, (unsigned)m, 2);
	*p++ = '-';
	*lt_text_put_uint(p, (unsigned)d, 2) = '\0';
	return LT_OK;
bad:
	return lt_err_set(err, LT_EINVAL, "'%s' is not a date: use YYYY-MM-DD (or DD/MM/YYYY)", in ? in : "");
}

static long days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's algorithm: days since 1970-01-01. */
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

long lt_date_diff(const char *a, const char *b)
{
	return days_from_civil(atoi(b), atoi(b + 5), atoi(b + 8)) - days_from_civil(atoi(a), atoi(a + 5), atoi(a + 8));
}

int lt_date_add_days(const char *date, long days, char out[LT_DATE_BUFSZ], struct lt_err *err)
{
	char d[LT_DATE_BUFSZ];
	if (lt_date_parse(date, d, err))
		return LT_EINVAL;
	/* Back from days since 1970-01-01 to a civil date (Hinnant again). */
	long z = days_from_civil(atoi(d), atoi(d + 5), atoi(d + 8)) + days + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153, dd = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 1 || y > 9999)
		return lt_err_set(err, LT_EINVAL, "date out of range");
	snprintf(out, LT_DATE_BUFSZ, "%04ld-%02ld-%02ld", y, m, dd);
	return LT_OK;
}

void lt_date_today(char out[LT_DATE_BUFSZ])
{
	const char *pin = getenv("LIENTHONG_TODAY");
	if (pin && lt_date_parse(pin, out, NULL) == LT_OK)
		return;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, LT_DATE_BUFSZ, "%Y-%m-%d", &tm);
}

void lt_time_format(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void lt_time_now(char out[32]) { lt_time_format((int64_t)time(NULL), out); }

bool lt_email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@'))
		return false;
	const char *dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || dot[1] == '\0')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == ',' || *p == ';' || *p == '<' || *p == '>')
			return false;
	return true;
}

bool lt_phone_ok(const char *s)
{
	size_t ndig = 0;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			ndig++;
		else if (!strchr(" +-().", *p))
			return false;
	}
	return ndig >= 3 && ndig <= 20;
}

bool lt_text_int(const char *s, long long min, long long max, long long *out)
{
	if (!s)
		return false;
	const char *p = s + (*s == '-' && min < 0);
	if (*p < '0' || *p > '9')
		return false;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool combining(uint32_t c)
{
	return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
	       (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F) || c == 0x200B || c == 0x200C ||
	       c == 0x200D || c == 0xFEFF;
}

static bool wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
	       (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) || (c >= 0x1F900 && c <= 0x1F9FF) ||
	       (c >= 0x20000 && c <= 0x3FFFD);
}

/* One UTF-8 sequence at s into *c; its length, or 0 when it is not one. */
static size_t utf8_next(const unsigned char *s, uint32_t *c)
{
	size_t n = s[0] < 0x80             ? 1
		   : (s[0] & 0xE0) == 0xC0 ? 2
		   : (s[0] & 0xF0) == 0xE0 ? 3
		   : (s[0] & 0xF8) == 0xF0 ? 4
					   : 0;
	if (!n)
		return 0;
	uint32_t v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	*c = v;
	return n;
}

size_t lt_text_width(const char *s)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c;
		size_t n = utf8_next(p, &c);
		if (!n) {
			w++;
			p++;
			continue;
		}
		p += n;
		if (combining(c))
			continue;
		int cw = wcwidth((wchar_t)c);
		w += cw >= 0 ? (size_t)cw : wide(c) ? 2 : 1;
	}
	return w;
}
