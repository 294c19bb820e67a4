/* The value grammars of an edXML header (formats.md §2.10): the date and
 * timestamp forms real producers write, integers, ContentIds and DocumentIds.
 * Pure functions; messages say what was expected. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edxml/edxml_impl.h"
#include "lienthong/text.h"

#define DATE_FORMS "use yyyy/MM/dd (dd/MM/yyyy and yyyy-MM-dd are also read)"

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The three date shapes, without the calendar check: digits in place and
 * matching separators. Fills y, m, d. */
static bool date_shape(const char *s, size_t len, int *y, int *m, int *d)
{
	if (len != 10)
		return false;
	if (all_digits(s, 4) && (s[4] == '/' || s[4] == '-') && s[7] == s[4] && all_digits(s + 5, 2) &&
	    all_digits(s + 8, 2)) {
		*y = atoi(s);
		*m = (s[5] - '0') * 10 + (s[6] - '0');
		*d = (s[8] - '0') * 10 + (s[9] - '0');
		return true;
	}
	if (all_digits(s, 2) && s[2] == '/' && s[5] == '/' && all_digits(s + 3, 2) && all_digits(s + 6, 4)) {
		*d = (s[0] - '0') * 10 + (s[1] - '0');
		*m = (s[3] - '0') * 10 + (s[4] - '0');
		*y = atoi(s + 6);
		return true;
	}
	return false;
}

int lt__edxml_date(const char *in, char out[LT_EDXML_DATE_BUFSZ], struct lt_err *err)
{
	int y, m, d;
	/* A .NET serialiser writes a date as a date-time; its date is the date. */
	char full[LT_EDXML_TIME_BUFSZ];
	if (strlen(in) > 10 && lt__edxml_time(in, full, NULL) == LT_OK) {
		memcpy(out, full, 10);
		out[10] = '\0';
		return LT_OK;
	}
	if (!date_shape(in, strlen(in), &y, &m, &d))
		return lt_err_set(err, LT_EINVAL, "'%.40s' is not a date: " DATE_FORMS, in);
	char tmp[LT_DATE_BUFSZ];
	if (lt_date_parse(in, tmp, NULL) != LT_OK)
		return lt_err_set(err, LT_EINVAL, "'%s' is not a real calendar date", in);
	memcpy(out, tmp, LT_EDXML_DATE_BUFSZ);
	return LT_OK;
}

static bool two_digits(const char *s, int max, int *v)
{
	if (!all_digits(s, 2))
		return false;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return *v <= max;
}

int lt__edxml_time(const char *in, char out[LT_EDXML_TIME_BUFSZ], struct lt_err *err)
{
	size_t len = strlen(in);
	char date[LT_EDXML_DATE_BUFSZ], head[11];
	int hh = 0, mm = 0, ss = 0;
	if (len < 10)
		goto bad;
	memcpy(head, in, 10);
	head[10] = '\0';
	int y, m, d;
	if (!date_shape(head, 10, &y, &m, &d))
		goto bad;
	if (len > 10) {
		const char *t = in + 10;
		if ((*t != ' ' && *t != 'T') || len < 16)
			goto bad;
		t++;
		if (!two_digits(t, 23, &hh) || t[2] != ':' || !two_digits(t + 3, 59, &mm))
			goto bad;
		t += 5;
		if (*t == ':') {
			if (!two_digits(t + 1, 60, &ss))
				goto bad;
			t += 3;
		}
		/* Fractions of a second carry nothing the hub uses. */
		if (*t == '.') {
			t++;
			size_t nd = 0;
			while (t[nd] >= '0' && t[nd] <= '9')
				nd++;
			if (nd == 0 || nd > 9)
				goto bad;
			t += nd;
		}
		/* A zone (Z, +07:00) is dropped: producers otherwise write local
		 * time with none, and the normalised form has none either. */
		int zh, zm;
		if (*t == 'Z')
			t++;
		else if ((*t == '+' || *t == '-') && two_digits(t + 1, 14, &zh) && t[3] == ':' &&
			 two_digits(t + 4, 59, &zm))
			t += 6;
		if (*t != '\0')
			goto bad;
	}
	if (lt_date_parse(head, date, NULL) != LT_OK)
		return lt_err_set(err, LT_EINVAL, "'%s' is not a real calendar date", in);
	snprintf(out, LT_EDXML_TIME_BUFSZ,
		 "%s"
		 "T%02d:%02d:%02d",
		 date, hh, mm, ss);
	return LT_OK;
bad:
	return lt_err_set(err, LT_EINVAL, "'%.40s' is not a timestamp: use yyyy/MM/dd HH:mm:ss", in);
}

int lt__edxml_int(const char *in, long min, long max, const char *hint, int *out, struct lt_err *err)
{
	const char *s = in;
	if (*s == '-' || *s == '+')
		s++;
	if (*s == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
		return lt_err_set(err, LT_EINVAL, "'%.40s' is not a whole number", in);
	long v = strtol(in, NULL, 10);
	if (v < min || v > max) {
		if (hint)
			return lt_err_set(err, LT_EINVAL, "%ld is not one of %s", v, hint);
		return lt_err_set(err, LT_EINVAL, "%ld is out of range: expected %ld to %ld", v, min, max);
	}
	*out = (int)v;
	return LT_OK;
}

int lt__edxml_bool(const char *in, int *out, struct lt_err *err)
{
	if (strcmp(in, "true") == 0 || strcmp(in, "1") == 0 || strcmp(in, "True") == 0)
		*out = 1;
	else if (strcmp(in, "false") == 0 || strcmp(in, "0") == 0 || strcmp(in, "False") == 0)
		*out = 0;
	else
		return lt_err_set(err, LT_EINVAL, "'%.40s' is not a boolean: use true or false", in);
	return LT_OK;
}

char *lt__edxml_strip_cid(char *s)
{
	if (strncasecmp(s, "cid:", 4) == 0)
		s += 4;
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

static bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char *lt__edxml_trim(char *s)
{
	while (space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && space(s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

int lt_edxml_docid_parse(struct lt_edxml_docid *out, const char *text, unsigned flags, struct lt_err *err)
{
	size_t len = strlen(text);
	if (len == 0)
		return lt_err_set(err, LT_EINVAL, "empty DocumentId: expected OrganId,yyyy/MM/dd,Number/Notation");
	if (len >= LT_EDXML_DOCID_BUFSZ)
		return lt_err_set(err, LT_EINVAL, "DocumentId is %zu bytes long: at most %d", len,
				  LT_EDXML_DOCID_BUFSZ - 1);
	const char *c1 = strchr(text, ',');
	const char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	if (!c2)
		return lt_err_set(err, LT_EINVAL,
				  "'%.60s' is not a DocumentId: expected OrganId,yyyy/MM/dd,Number/Notation "
				  "as in 000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
				  text);
	struct lt_edxml_docid d;
	memset(&d, 0, sizeof d);
	char organ[LT_EDXML_DOCID_BUFSZ];
	size_t on = (size_t)(c1 - text);
	memcpy(organ, text, on);
	organ[on] = '\0';
	char *o = lt__edxml_trim(organ);
	struct lt_err cerr;
	if (lt_edxml_organ_id_set(&d.organ_id, o, flags, &cerr) != LT_OK)
		return lt_err_set(err, LT_EINVAL, "DocumentId issuer %.20s is not a valid code: %s", o, cerr.msg);
	int y, m, dd;
	size_t dn = (size_t)(c2 - c1 - 1);
	/* Only the shape is checked: real packages carry placeholder dates such
	 * as 2014/02/30, and the identifier is compared as written anyway. */
	if (!date_shape(c1 + 1, dn, &y, &m, &dd) || m < 1 || m > 12 || dd < 1 || dd > 31)
		return lt_err_set(err, LT_EINVAL, "DocumentId date '%.*s' is not a date: " DATE_FORMS,
				  (int)(dn > 20 ? 20 : dn), c1 + 1);
	snprintf(d.date, sizeof d.date, "%04d-%02d-%02d", y, m, dd);
	const char *code = c2 + 1;
	if (*code == '\0')
		return lt_err_set(err, LT_EINVAL, "DocumentId '%.60s' has no Number/Notation after the date", text);
	memcpy(d.code, code, strlen(code) + 1);
	memcpy(d.text, text, len + 1);
	*out = d;
	return LT_OK;
}

int lt_edxml_docid_make(struct lt_edxml_docid *out, const char *organ_id, const char *date, const char *number,
			const char *notation, unsigned flags, struct lt_err *err)
{
	char norm[LT_EDXML_DATE_BUFSZ];
	if (!organ_id || !*organ_id)
		return lt_err_set(err, LT_EINVAL, "a DocumentId needs the issuer's OrganId");
	if (!date || !*date)
		return lt_err_set(err, LT_EINVAL, "a DocumentId needs the promulgation date");
	if (!number || !*number)
		return lt_err_set(err, LT_EINVAL, "a DocumentId needs the CodeNumber");
	int rc = lt__edxml_date(date, norm, err);
	if (rc != LT_OK)
		return rc;
	char text[LT_EDXML_DOCID_BUFSZ + 64];
	int n = snprintf(text, sizeof text, "%s,%.4s/%.2s/%.2s,%s%s%s", organ_id, norm, norm + 5, norm + 8, number,
			 notation && *notation ? "/" : "", notation ? notation : "");
	if (n < 0 || (size_t)n >= LT_EDXML_DOCID_BUFSZ)
		return lt_err_set(err, LT_EINVAL, "the DocumentId would be longer than %d bytes",
				  LT_EDXML_DOCID_BUFSZ - 1);
	return lt_edxml_docid_parse(out, text, flags, err);
}
