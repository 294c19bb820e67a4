/* CSV through libcsv: each record is gathered, its cells rewritten, and the
 * record written back quoted only where RFC 4180 needs it. Cells keep their
 * spaces (libcsv would trim them); a record ending in CRLF is written with
 * CRLF. The location of a cell is the physical line its record starts on and
 * its field number. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "convert_impl.h"

struct csv_run {
	struct lt_convert *c;
	FILE *out;
	struct cbuf cells; /* the record's cells, each NUL-terminated */
	size_t *offs;      /* where each starts in cells */
	size_t n, cap;
	long line;     /* the physical line the current record starts on */
	long newlines; /* line breaks inside the current record's cells */
	size_t col;    /* the cell being rewritten, 0-based */
	int rc;
};

static int no_space(unsigned char ch)
{
	(void)ch;
	return 0;
}

static void on_field(void *s, size_t len, void *ctx)
{
	struct csv_run *r = ctx;
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

static int where(void *ctx, json_t *loc)
{
	const struct csv_run *r = ctx;
	json_object_set_new(loc, "line", json_integer(r->line));
	json_object_set_new(loc, "column", json_integer((json_int_t)r->col + 1));
	return LT_OK;
}

static void write_cell(FILE *out, const char *s, size_t len)
{
	bool quote = false;
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		fwrite(s, 1, len, out);
		return;
	}
	fputc('"', out);
	for (const char *q; len && (q = memchr(s, '"', len));) {
		size_t n = (size_t)(q - s) + 1;
		fwrite(s, 1, n, out); /* up to and with the quote, then the quote again */
		fputc('"', out);
		s += n;
		len -= n;
	}
	fwrite(s, 1, len, out);
	fputc('"', out);
}

static void on_row(int term, void *ctx)
{
	struct csv_run *r = ctx;
	if (r->rc)
		return;
	for (size_t i = 0; i < r->n && !r->rc; i++) {
		const char *cell = r->cells.p + r->offs[i];
		size_t len = (i + 1 < r->n ? r->offs[i + 1] : r->cells.n) - r->offs[i] - 1;
		bool changed;
		r->col = i;
		r->rc = conv_text(r->c, cell, len, &changed, where, r);
		if (i)
			fputc(',', r->out);
		if (changed)
			write_cell(r->out, r->c->out.p, r->c->out.n);
		else
			write_cell(r->out, cell, len);
	}
	if (term == '\r')
		fputs("\r\n", r->out);
	else if (term != -1)
		fputc('\n', r->out);
	r->line += 1 + r->newlines;
	r->newlines = 0;
	r->n = 0;
	r->cells.n = 0;
}

int conv_run_csv(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err)
{
	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	csv_set_space_func(&p, no_space);
	struct csv_run r = {.c = c, .out = out, .line = 1};
	char buf[65536];
	size_t n;
	int rc = LT_OK;
	while (rc == LT_OK && r.rc == LT_OK && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (csv_parse(&p, buf, n, on_field, on_row, &r) != n)
			rc = lt_err_set(err, LT_EINVAL,
					"CSV syntax error in the record starting on line %ld: %s (check quotes)",
					r.line, csv_strerror(csv_error(&p)));
	if (rc == LT_OK && r.rc == LT_OK && ferror(in))
		rc = lt_err_set(err, LT_EIO, "reading the input failed");
	if (rc == LT_OK && r.rc == LT_OK && csv_fini(&p, on_field, on_row, &r) != 0)
		rc = lt_err_set(err, LT_EINVAL, "CSV syntax error at the end of the file (line %ld): %s", r.line,
				csv_strerror(csv_error(&p)));
	csv_free(&p);
	cbuf_free(&r.cells);
	free(r.offs);
	return rc ? rc : r.rc;
}
