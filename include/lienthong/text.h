/* Text helpers shared by the registry and the fronts: Vietnamese folding for
 * search, the date forms seen in real data, and light contact-field checks. */
#ifndef LIENTHONG_TEXT_H
#define LIENTHONG_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lienthong/err.h"

/* Folds UTF-8 text for diacritics-insensitive search: Vietnamese letters lose
 * their marks (đ/Đ become d), ASCII is lower-cased, punctuation becomes a
 * space and runs of spaces collapse. Writes at most outsz bytes including NUL
 * and returns out. Invalid UTF-8 bytes are dropped. */
char *lt_text_fold(const char *in, char *out, size_t outsz);

/* True if s is valid UTF-8 with no control characters other than tab. */
bool lt_text_is_clean_utf8(const char *s);
/* Copies in to out (outsz bytes, always terminated, cut at a whole
 * character) with each byte that begins no valid UTF-8 sequence replaced by
 * U+FFFD, so text from a file can be quoted in JSON whatever it holds. */
char *lt_text_utf8_repair(const char *in, char *out, size_t outsz);

/* snprintf into a fixed field without ever splitting a UTF-8 character: when
 * the result does not fit it ends at the last whole character, so the field
 * stays valid UTF-8 (a JSON reply built from it cannot fail). An incomplete
 * sequence already at the end of the input is dropped too, which repairs
 * fields that older versions cut with plain snprintf. Returns the length
 * written (n must be at least 1). */
size_t lt_text_format(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Ends s (of length len) before an incomplete UTF-8 character at its end;
 * returns the new length. */
size_t lt_text_cut_whole(char *s, size_t len);
/* Writes v in decimal at p, at least width digits with leading zeros, as
 * "%0*u" does (no NUL); returns the end. For the hot paths that format codes
 * and dates a row at a time, where snprintf's format parsing was most of the
 * cost. */
char *lt_text_put_uint(char *p, unsigned v, int width);

/* The columns a terminal gives s: its UTF-8 decoded, each character as
 * wcwidth says, combining marks (Vietnamese tone marks typed as NFD) zero,
 * wide East Asian characters two, and where the C library knows no width
 * (its locale is not UTF-8) one; a byte that is not UTF-8 counts one. */
size_t lt_text_width(const char *s);
/* Reads s as a whole decimal number from min to max into *out: digits only
 * (a '-' first when min is negative), no sign, space or overflow that
 * strtoll would pass or saturate. */
bool lt_text_int(const char *s, long long min, long long max, long long *out);

#define LT_DATE_BUFSZ 11

/* Parses YYYY-MM-DD, YYYY/MM/DD or DD/MM/YYYY (the forms of formats.md
 * §2.10 and the shared catalogue) into YYYY-MM-DD, checking the calendar. */
int lt_date_parse(const char *in, char out[LT_DATE_BUFSZ], struct lt_err *err);

/* Days from a to b (b - a), both YYYY-MM-DD. */
long lt_date_diff(const char *a, const char *b);

/* Today's date in UTC, or LIENTHONG_TODAY when set (tests pin the clock). */
void lt_date_today(char out[LT_DATE_BUFSZ]);
/* date (any accepted form) moved by days, as YYYY-MM-DD. */
int lt_date_add_days(const char *date, long days, char out[LT_DATE_BUFSZ], struct lt_err *err);

/* The current UTC time as YYYY-MM-DDTHH:MM:SSZ, the hub's timestamps. */
void lt_time_now(char out[32]);
/* Seconds since the epoch as such a timestamp. */
void lt_time_format(int64_t t, char out[32]);

/* Light checks: an address with one @ and a dotted domain; digits, spaces and
 * + - ( ) . for phone and fax. */
bool lt_email_ok(const char *s);
bool lt_phone_ok(const char *s);

#endif
