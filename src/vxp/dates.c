/* The dates VXP clients send as parameters (fromDate, toDate:
 * dd/MM/yyyy HH:mm:ss in the client's wall clock), read strictly: every
 * field is a bounded run of digits in its calendar range, and the shift to
 * UTC is done in 64-bit day arithmetic, so no value a client signs can
 * overflow anything. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lienthong/vxp.h"

/* Reads 1..max digits into *v; the position after them, NULL when none. */
static const char *digits(const char *p, int max, int *v)
{
	int n = 0, x = 0;
	while (n < max && p[n] >= '0' && p[n] <= '9') {
		x = x * 10 + (p[n] - '0');
		n++;
	}
	if (n == 0 || (p[n] >= '0' && p[n] <= '9'))
		return NULL;
	*v = x;
	return p + n;
}

static int month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's civil calendar algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int lt_vxp_date(const char *name, const char *text, int utc_offset, char out[LT_VXP_DATE_BUFSZ], struct lt_err *err)
{
	out[0] = '\0';
	if (!text || !*text)
		return LT_OK;
	int d, m, y, h = 0, mi = 0, s = 0;
	const char *p = digits(text, 2, &d);
	p = p && *p == '/' ? digits(p + 1, 2, &m) : NULL;
	p = p && *p == '/' ? digits(p + 1, 4, &y) : NULL;
	if (p && *p == ' ') {
		p = digits(p + 1, 2, &h);
		p = p && *p == ':' ? digits(p + 1, 2, &mi) : NULL;
		if (p && *p == ':')
			p = digits(p + 1, 2, &s);
	}
	if (!p || *p || y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m) || h > 23 || mi > 59 || s > 59)
		return lt_err_set(err, LT_EINVAL,
				  "%s '%.40s' is not a date dd/MM/yyyy HH:mm:ss (year 1 to 9999, the time optional)",
				  name, text);
	int64_t secs = (days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s) - (int64_t)utc_offset * 60;
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400, yy;
	int mm, dd;
	civil_from_days(days, &yy, &mm, &dd);
	/* The last day of the calendar can cross into year 10000 in UTC
	 * (31/12/9999 23:59 at UTC-12): such a bound lies beyond every time the
	 * hub holds, so it is pinned to the calendar's end, which compares the
	 * same, in the 19 characters every other date has. (The first day
	 * crosses only into year 0, which prints in four digits.) */
	if (yy > 9999) {
		snprintf(out, LT_VXP_DATE_BUFSZ, "9999-12-31T23:59:59");
		return LT_OK;
	}
	snprintf(out, LT_VXP_DATE_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d", (int)yy, mm, dd, (int)(rem / 3600),
		 (int)(rem / 60 % 60), (int)(rem % 60));
	return LT_OK;
}
