/* Which catalogue a file is on (the "vintage" of its codes): every distinct
 * code the file holds is looked up, and a sweep over the dates its units
 * opened and closed finds the latest date on which the most of them were
 * active. The file is read once by the converter's own drivers, with an
 * empty mapping and its output discarded. */
#include <stdlib.h>
#include <string.h>

#include "convert_impl.h"

struct span {
	char code[LT_CODE_BUFSZ];
	char from[LT_DATE_BUFSZ], to[LT_DATE_BUFSZ]; /* to "" while active */
};

struct codes {
	struct lt_registry *r;
	struct span *spans;
	size_t n, cap;
	json_t *unknown;
	size_t distinct;
	int rc;
	struct lt_err *err;
};

static int known_any(void *ctx, const char *code, bool *known)
{
	struct lt_unit u;
	int rc = lt_registry_get(ctx, code, NULL, &u, NULL);
	*known = rc == LT_OK;
	return rc == LT_ENOTFOUND || rc == LT_EINVAL ? LT_OK : rc;
}

static int collect(void *ctx, const char *code, uint64_t count)
{
	(void)count;
	struct codes *k = ctx;
	struct lt_unit u;
	k->distinct++;
	int rc = lt_registry_get(k->r, code, NULL, &u, k->err);
	if (rc == LT_ENOTFOUND || rc == LT_EINVAL)
		return json_array_append_new(k->unknown, json_string(code)) ? LT_ENOMEM : LT_OK;
	if (rc)
		return rc;
	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 64;
		struct span *s = realloc(k->spans, ncap * sizeof *s);
		if (!s)
			return LT_ENOMEM;
		k->spans = s;
		k->cap = ncap;
	}
	struct span *s = &k->spans[k->n++];
	snprintf(s->code, sizeof s->code, "%s", u.code);
	snprintf(s->from, sizeof s->from, "%s", u.valid_from[0] ? u.valid_from : "0001-01-01");
	snprintf(s->to, sizeof s->to, "%s", u.status == LT_UNIT_CLOSED ? u.valid_to : "");
	return LT_OK;
}

static int span_cmp(const void *a, const void *b)
{
	return strcmp(((const struct span *)a)->code, ((const struct span *)b)->code);
}

struct change {
	char date[LT_DATE_BUFSZ];
	int delta;
};

static int change_cmp(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->date, ((const struct change *)b)->date);
}

static ssize_t discard(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)size;
}

/* The latest date with the most spans active; "" when there are none. */
static int best_date(const struct span *s, size_t n, char date[LT_DATE_BUFSZ], long *best, struct lt_err *err)
{
	date[0] = '\0';
	*best = 0;
	struct change *ch = calloc(2 * n + 1, sizeof *ch);
	if (!ch)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(ch[m].date, sizeof ch[m].date, "%s", s[i].from);
		ch[m++].delta = 1;
		if (s[i].to[0]) {
			snprintf(ch[m].date, sizeof ch[m].date, "%s", s[i].to);
			ch[m++].delta = -1;
		}
	}
	qsort(ch, m, sizeof *ch, change_cmp);
	long cur = 0;
	int rc = LT_OK;
	for (size_t i = 0; i < m && rc == LT_OK;) {
		size_t j = i;
		while (j < m && strcmp(ch[j].date, ch[i].date) == 0)
			cur += ch[j++].delta;
		/* cur holds from ch[i].date until the next change (or today). */
		if (cur > 0 && cur >= *best) {
			*best = cur;
			if (j < m)
				rc = lt_date_add_days(ch[j].date, -1, date, err);
			else
				lt_date_today(date);
		}
		i = j;
	}
	free(ch);
	return rc;
}

int lt_convert_detect(struct lt_registry *r, FILE *in, enum lt_convert_format fmt, json_t **out, struct lt_err *err)
{
	*out = NULL;
	struct lt_map empty = {0};
	struct lt_convert_opts o = {.format = fmt, .resign_needed = true, .known = known_any, .known_ctx = r};
	struct lt_convert *c;
	int rc = lt_convert_new(&c, &empty, &o, err);
	if (rc)
		return rc;
	FILE *sink = fopencookie(NULL, "w", (cookie_io_functions_t){.write = discard});
	if (!sink) {
		lt_convert_free(c);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	rc = lt_convert_run(c, in, sink, err);
	fclose(sink);
	struct codes k = {.r = r, .unknown = json_array(), .err = err};
	if (rc == LT_OK && !k.unknown)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK)
		rc = lt_convert_each_code(c, collect, &k);
	lt_convert_free(c);
	char date[LT_DATE_BUFSZ] = "", since[LT_DATE_BUFSZ] = "";
	long best = 0;
	if (rc == LT_OK)
		rc = best_date(k.spans, k.n, date, &best, err);
	if (rc == LT_OK && date[0])
		rc = lt_date_add_days(date, 1, since, err);
	/* The mapping the file needs: its codes that are closed now. */
	struct lt_map m = {0};
	json_t *rows = NULL;
	long closed_since = 0;
	if (rc == LT_OK)
		rc = lt_transition_map(r, NULL, &m, err);
	if (rc == LT_OK && !(rows = json_array()))
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == LT_OK && i < k.n; i++)
		if (k.spans[i].to[0] && strcmp(k.spans[i].from, date) <= 0 && strcmp(date, k.spans[i].to) < 0)
			closed_since++;
	if (k.n)
		qsort(k.spans, k.n, sizeof *k.spans, span_cmp);
	for (size_t j = 0; rc == LT_OK && k.n && j < m.n; j++) {
		struct span key;
		snprintf(key.code, sizeof key.code, "%s", m.rows[j].old_code);
		if (!bsearch(&key, k.spans, k.n, sizeof *k.spans, span_cmp))
			continue;
		struct lt_map one = {.rows = &m.rows[j], .n = 1};
		json_t *doc = lt_map_to_json(&one);
		json_t *row = doc ? json_array_get(json_object_get(doc, "rows"), 0) : NULL;
		if (!row || json_array_append(rows, row))
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
		json_decref(doc);
	}
	lt_map_free(&m);
	if (rc == LT_OK) {
		*out = json_pack("{s:s?,s:I,s:I,s:I,s:I,s:s?,s:O,s:O}", "date", date[0] ? date : NULL, "codes",
				 (json_int_t)k.distinct, "known", (json_int_t)k.n, "active_on_date", (json_int_t)best,
				 "closed_since", (json_int_t)closed_since, "since", since[0] ? since : NULL, "unknown",
				 k.unknown, "mapping", rows);
		if (!*out)
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	if (rc == LT_ENOMEM && err && err->status != LT_ENOMEM)
		lt_err_set(err, LT_ENOMEM, "out of memory");
	json_decref(rows);
	json_decref(k.unknown);
	free(k.spans);
	return rc;
}
