/* The CSV record reader both CSV drivers share: libcsv without its space
 * trimming, each record gathered before the driver sees it, and the physical
 * line each record starts on kept for locations (a quoted cell may span lines;
 * a lone CR counts as a line break as a CRLF does). */
#include <csv.h>
#include <stdlib.h>

#include "convert_impl.h"

static int no_space(unsigned char ch)
{
	(void)ch;
	return 0;
}

static void on_field(void *s, size_t len, void *ctx)
{
	struct csv_records *r = ctx;
	if (r->rc)
		return;
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 32;
		size_t *p = realloc(r->offs, ncap * sizeof *p);
		if (!p) {
			r->rc = LT_ENOMEM;
			return;
		}
		r->offs = p;
		r->cap = ncap;
	}
	r->offs[r->n++] = r->cells.n;
	const char *text = s ? s : "";
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n')))
			r->newlines++;
	if (cbuf_put(&r->cells, text, len) || cbuf_put(&r->cells, "", 1))
		r->rc = LT_ENOMEM;
}

static void on_row(int term, void *ctx)
{
	struct csv_records *r = ctx;
	if (r->rc)
		return;
	r->row(term, r->ctx);
	r->line += 1 + r->newlines;
	r->newlines = 0;
	r->n = 0;
	r->cells.n = 0;
}

const char *conv_csv_cell(const struct csv_records *rec, size_t i, size_t *len)
{
	*len = (i + 1 < rec->n ? rec->offs[i + 1] : rec->cells.n) - rec->offs[i] - 1;
	return rec->cells.p + rec->offs[i];
}

int conv_csv_where(void *ctx, json_t *loc)
{
	const struct csv_records *r = ctx;
	json_object_set_new(loc, "line", json_integer(r->line));
	json_object_set_new(loc, "column", json_integer((json_int_t)r->col + 1));
	return LT_OK;
}

int conv_csv_read(FILE *in, struct csv_records *rec, struct lt_err *err)
{
	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	csv_set_space_func(&p, no_space);
	rec->line = 1;
	char buf[65536];
	size_t n;
	int rc = LT_OK;
	while (rc == LT_OK && rec->rc == LT_OK && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (csv_parse(&p, buf, n, on_field, on_row, rec) != n)
			rc = lt_err_set(err, LT_EINVAL,
					"CSV syntax error in the record starting on line %ld: %s (check quotes)",
					rec->line, csv_strerror(csv_error(&p)));
	if (rc == LT_OK && rec->rc == LT_OK && ferror(in))
		rc = lt_err_set(err, LT_EIO, "reading the input failed");
	if (rc == LT_OK && rec->rc == LT_OK && csv_fini(&p, on_field, on_row, rec) != 0)
		rc = lt_err_set(err, LT_EINVAL, "CSV syntax error at the end of the file (line %ld): %s", rec->line,
				csv_strerror(csv_error(&p)));
	csv_free(&p);
	return rc ? rc : rec->rc;
}

void conv_csv_free(struct csv_records *rec)
{
	cbuf_free(&rec->cells);
	free(rec->offs);
	rec->offs = NULL;
	rec->n = rec->cap = 0;
}
