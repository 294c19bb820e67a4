/* --sum: a reporting CSV (one row per unit, figures in named columns) after a
 * merger has several rows for what is now one unit. Each record's cells are
 * converted; records equal in every cell but the summed ones become one,
 * first-seen order kept, the named columns added up. The groups stay in
 * memory: a reporting file has a row per unit, not millions. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "convert_impl.h"

struct group {
	char *key;     /* the codes of the record, converted, joined by \x1f */
	char **cells;  /* every cell, converted; summed ones replaced at the end */
	bool renamed;  /* cells come from a record whose codes were converted */
	int64_t *isum; /* per summed column */
	double *dsum;
	bool *fractional;
	bool *has; /* a value was added (else the cell stays empty) */
};

struct sum_run {
	struct lt_convert *c;
	const char *const *names;
	size_t n_names;
	size_t *sum_col; /* the column index of each summed name */
	size_t ncols;
	bool header_done;
	struct csv_records rec;
	struct group *groups;
	size_t n_groups, cap_groups;
	size_t *slots; /* hash of key → group index + 1 */
	size_t n_slots;
	char **header;
	struct lt_err *err;
};

static int summed(const struct sum_run *r, size_t col)
{
	for (size_t k = 0; k < r->n_names; k++)
		if (r->sum_col[k] == col)
			return (int)k;
	return -1;
}

static int take_header(struct sum_run *r)
{
	r->ncols = r->rec.n;
	if (!(r->header = calloc(r->rec.n, sizeof *r->header)))
		return LT_ENOMEM;
	for (size_t i = 0; i < r->rec.n; i++)
		if (!(r->header[i] = strdup(r->rec.cells.p + r->rec.offs[i])))
			return LT_ENOMEM;
	for (size_t k = 0; k < r->n_names; k++) {
		size_t i = 0;
		while (i < r->rec.n && strcmp(r->header[i], r->names[k]) != 0)
			i++;
		if (i == r->rec.n)
			return lt_err_set(r->err, LT_EINVAL, "--sum %s: the header has no column of that name",
					  r->names[k]);
		r->sum_col[k] = i;
	}
	r->header_done = true;
	return LT_OK;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int rehash(struct sum_run *r)
{
	size_t n = r->n_slots ? r->n_slots * 2 : 1024;
	size_t *s = calloc(n, sizeof *s);
	if (!s)
		return LT_ENOMEM;
	for (size_t g = 0; g < r->n_groups; g++) {
		size_t i = (size_t)(hash(r->groups[g].key) & (n - 1));
		while (s[i])
			i = (i + 1) & (n - 1);
		s[i] = g + 1;
	}
	free(r->slots);
	r->slots = s;
	r->n_slots = n;
	return LT_OK;
}

static int add_number(struct sum_run *r, struct group *g, size_t k, const char *text)
{
	const char *s = text;
	while (*s == ' ')
		s++;
	if (!*s)
		return LT_OK; /* an empty cell adds nothing */
	g->has[k] = true;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	while (*end == ' ')
		end++;
	if (!*end && errno == 0) {
		g->isum[k] += v;
		g->dsum[k] += (double)v;
		return LT_OK;
	}
	errno = 0;
	double d = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (*end || errno)
		return lt_err_set(r->err, LT_EINVAL, "line %ld, column %s: '%.40s' is not a number", r->rec.line,
				  r->names[k], text);
	g->dsum[k] += d;
	g->fractional[k] = true;
	return LT_OK;
}

static int key_code(void *ctx, size_t off, size_t n, const char canon[LT_CODE_BUFSZ])
{
	(void)off;
	(void)n;
	struct cbuf *key = ctx;
	return cbuf_put(key, canon, strlen(canon)) || cbuf_put(key, "\x1f", 1) ? LT_ENOMEM : LT_OK;
}

/* The record's key: the codes of its cells, so the rows of units now one
 * meet; a record without a code is a group of its own cells. */
static int record_key(struct sum_run *r, char **cells, struct cbuf *key)
{
	for (size_t i = 0; i < r->rec.n; i++)
		if (summed(r, i) < 0 && lt_convert_scan(cells[i], strlen(cells[i]), key_code, key))
			return LT_ENOMEM;
	if (key->n)
		return LT_OK;
	for (size_t i = 0; i < r->rec.n; i++)
		if (summed(r, i) < 0 && (cbuf_put(key, cells[i], strlen(cells[i])) || cbuf_put(key, "\x1e", 1)))
			return LT_ENOMEM;
	return cbuf_put(key, "", 0);
}

/* A merged group shows the other cells (a name) of the unit that carries
 * on: the record whose codes needed no conversion, when there is one. */
static void keep_survivor(struct sum_run *r, struct group *g, char **cells, bool converted)
{
	if (converted || !g->renamed)
		return;
	for (size_t i = 0; i < r->rec.n; i++) {
		char *t = g->cells[i];
		g->cells[i] = cells[i];
		cells[i] = t;
	}
	g->renamed = false;
}

static int take_record(struct sum_run *r)
{
	if (r->rec.n != r->ncols)
		return lt_err_set(r->err, LT_EINVAL, "line %ld has %zu fields, the header %zu", r->rec.line, r->rec.n,
				  r->ncols);
	struct cbuf key = {0};
	bool converted = false;
	char **cells = calloc(r->rec.n, sizeof *cells);
	int rc = cells ? LT_OK : LT_ENOMEM;
	for (size_t i = 0; i < r->rec.n && rc == LT_OK; i++) {
		const char *cell = r->rec.cells.p + r->rec.offs[i];
		bool changed = false;
		r->rec.col = i;
		if (summed(r, i) < 0 && (rc = conv_text(r->c, cell, strlen(cell), &changed, conv_csv_where, &r->rec)))
			break;
		converted |= changed;
		if (!(cells[i] = strdup(changed ? r->c->out.p : cell)))
			rc = LT_ENOMEM;
	}
	if (rc == LT_OK)
		rc = record_key(r, cells, &key);
	if (rc == LT_OK && (r->n_groups + 1) * 2 > r->n_slots)
		rc = rehash(r);
	size_t slot = 0, gi = 0;
	if (rc == LT_OK) {
		slot = (size_t)(hash(key.p) & (r->n_slots - 1));
		while (r->slots[slot] && strcmp(r->groups[r->slots[slot] - 1].key, key.p) != 0)
			slot = (slot + 1) & (r->n_slots - 1);
		gi = r->slots[slot];
	}
	if (rc == LT_OK && !gi) {
		if (r->n_groups == r->cap_groups) {
			size_t ncap = r->cap_groups ? r->cap_groups * 2 : 64;
			struct group *g = realloc(r->groups, ncap * sizeof *g);
			if (!g)
				rc = LT_ENOMEM;
			else
				r->groups = g, r->cap_groups = ncap;
		}
		if (rc == LT_OK) {
			struct group *g = &r->groups[r->n_groups];
			memset(g, 0, sizeof *g);
			g->key = key.p;
			key.p = NULL;
			g->cells = cells;
			g->renamed = converted;
			cells = NULL;
			g->isum = calloc(r->n_names, sizeof *g->isum);
			g->dsum = calloc(r->n_names, sizeof *g->dsum);
			g->fractional = calloc(r->n_names, sizeof *g->fractional);
			g->has = calloc(r->n_names, sizeof *g->has);
			r->n_groups++;
			if (!g->isum || !g->dsum || !g->fractional || !g->has)
				rc = LT_ENOMEM;
			r->slots[slot] = gi = r->n_groups;
		}
	}
	if (rc == LT_OK && cells)
		keep_survivor(r, &r->groups[gi - 1], cells, converted);
	for (size_t k = 0; rc == LT_OK && k < r->n_names; k++)
		rc = add_number(r, &r->groups[gi - 1], k, r->rec.cells.p + r->rec.offs[r->sum_col[k]]);
	if (cells)
		for (size_t i = 0; i < r->rec.n; i++)
			free(cells[i]);
	free(cells);
	cbuf_free(&key);
	return rc;
}

static void on_row(int term, void *ctx)
{
	(void)term;
	struct sum_run *r = ctx;
	r->c->counts.rows_in += r->header_done;
	r->rec.rc = r->header_done ? take_record(r) : take_header(r);
}

static void write_cell(FILE *out, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', out);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', out);
			fputc(*s, out);
		}
		fputc('"', out);
	} else {
		fputs(s, out);
	}
	fputc(last ? '\n' : ',', out);
}

static void write_groups(struct sum_run *r, FILE *out)
{
	for (size_t i = 0; i < r->ncols; i++)
		write_cell(out, r->header[i], i + 1 == r->ncols);
	for (size_t g = 0; g < r->n_groups; g++) {
		const struct group *gr = &r->groups[g];
		for (size_t i = 0; i < r->ncols; i++) {
			int k = summed(r, i);
			char num[64] = "";
			if (k >= 0 && gr->has[k] && gr->fractional[k])
				snprintf(num, sizeof num, "%.15g", gr->dsum[k]);
			else if (k >= 0 && gr->has[k])
				snprintf(num, sizeof num, "%" PRId64, gr->isum[k]);
			write_cell(out, k >= 0 ? num : gr->cells[i], i + 1 == r->ncols);
		}
	}
	r->c->counts.rows_out = r->n_groups;
}

int lt_convert_run_sum(struct lt_convert *c, FILE *in, FILE *out, const char *const *columns, size_t n_columns,
		       struct lt_err *err)
{
	if (n_columns == 0)
		return lt_err_set(err, LT_EINVAL, "--sum needs at least one column");
	struct sum_run r = {.c = c, .names = columns, .n_names = n_columns, .rec = {.row = on_row}, .err = err};
	r.rec.ctx = &r;
	c->err = err;
	r.sum_col = calloc(n_columns, sizeof *r.sum_col);
	int rc = r.sum_col ? LT_OK : LT_ENOMEM;
	if (rc == LT_OK)
		rc = conv_csv_read(in, &r.rec, err);
	if (rc == LT_OK && !r.header_done)
		rc = lt_err_set(err, LT_EINVAL, "the file is empty: --sum needs a header row");
	if (rc == LT_OK) {
		write_groups(&r, out);
		if (fflush(out) || ferror(out))
			rc = lt_err_set(err, LT_EIO, "writing the converted file failed");
	}
	if (rc == LT_ENOMEM)
		lt_err_set(err, LT_ENOMEM, "out of memory");
	conv_csv_free(&r.rec);
	for (size_t g = 0; g < r.n_groups; g++) {
		for (size_t i = 0; i < r.ncols; i++)
			free(r.groups[g].cells[i]);
		free(r.groups[g].cells);
		free(r.groups[g].key);
		free(r.groups[g].isum);
		free(r.groups[g].dsum);
		free(r.groups[g].fractional);
		free(r.groups[g].has);
	}
	free(r.groups);
	free(r.slots);
	for (size_t i = 0; r.header && i < r.ncols; i++)
		free(r.header[i]);
	free(r.header);
	free(r.sum_col);
	return rc;
}
