/* CSV through libcsv: each record is gathered, its cells rewritten, and the
 * record written back quoted only where RFC 4180 needs it. Cells keep their
 * spaces (libcsv would trim them); a record ending in CRLF is written with
 * CRLF. The location of a cell is the physical line its record starts on and
 * its field number. */
#include <string.h>

#include "convert_impl.h"

struct csv_run {
	struct lt_convert *c;
	FILE *out;
	struct csv_records rec;
};

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
	struct csv_records *rec = &r->rec;
	for (size_t i = 0; i < rec->n && !rec->rc; i++) {
		size_t len;
		const char *cell = conv_csv_cell(rec, i, &len);
		bool changed;
		rec->col = i;
		rec->rc = conv_text(r->c, cell, len, &changed, conv_csv_where, rec);
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
}

int conv_run_csv(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err)
{
	struct csv_run r = {.c = c, .out = out, .rec = {.row = on_row}};
	r.rec.ctx = &r;
	int rc = conv_csv_read(in, &r.rec, err);
	conv_csv_free(&r.rec);
	return rc;
}
