/* What the CLI prints for people: tables whose columns line up by the
 * columns a terminal gives each cell (Vietnamese names are longer in bytes
 * than on screen), and times in one zone (display_tz) with their offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lienthong/text.h"

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *header)
{
	memset(t, 0, sizeof *t);
	t->ncols = ncols;
	if (header)
		cli_table_add(t, header);
}

void cli_table_add(struct cli_table *t, const char *const *cells)
{
	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **v = realloc(t->cells, cap * t->ncols * sizeof *v);
		if (!v) {
			t->oom = true;
			return;
		}
		t->cells = v;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		char *c = strdup(cells[i] && cells[i][0] ? cells[i] : "-");
		t->oom |= !c;
		t->cells[t->nrows * t->ncols + i] = c;
	}
	t->nrows++;
}

int cli_table_print(struct cli_table *t)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof *w);
	int rc = t->oom || !w ? EXIT_IO : EXIT_OK;
	for (size_t r = 0; w && r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			size_t cw = cell ? lt_text_width(cell) : 0;
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; rc == EXIT_OK && r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			fputs(cell, stdout);
			if (c + 1 == t->ncols)
				break;
			for (size_t pad = lt_text_width(cell); pad < w[c] + 2; pad++)
				putchar(' ');
		}
		putchar('\n');
	}
	if (rc)
		fprintf(stderr, "lienthong: out of memory\n");
	free(w);
	cli_table_free(t);
	return rc;
}

void cli_table_free(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof *t);
}

/* A zone the C library can read: the tz database name when its file is
 * there; the default's own offset when the system has no tz database. */
static void set_zone(const char *tz)
{
	static char set[sizeof((struct lt_config *)0)->display_tz];
	if (set[0] && strcmp(set, tz) == 0)
		return;
	snprintf(set, sizeof set, "%s", tz);
	const char *use = tz;
	if (strchr(tz, '/')) {
		const char *dir = getenv("TZDIR");
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
		if (access(path, R_OK) != 0 && strcmp(tz, "Asia/Ho_Chi_Minh") == 0)
			use = "<+07>-7";
	}
	setenv("TZ", use, 1);
	tzset();
}

const char *cli_time(const struct cli *cli, const char *utc, char *out, size_t size)
{
	struct tm tm = {0};
	const char *end = utc && *utc ? strptime(utc, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	/* Fractions of a second, then the Z of UTC. */
	if (end && *end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (!end || strcmp(end, "Z") != 0) {
		snprintf(out, size, "%s", utc && *utc ? utc : "-");
		return out;
	}
	time_t t = timegm(&tm);
	set_zone(cli->cfg.display_tz);
	struct tm local;
	char off[8];
	if (!localtime_r(&t, &local) || !strftime(out, size, "%Y-%m-%d %H:%M:%S", &local) ||
	    !strftime(off, sizeof off, "%z", &local)) {
		snprintf(out, size, "%s", utc);
		return out;
	}
	size_t n = strlen(out);
	snprintf(out + n, size - n, " %.3s:%.2s", off, off + 3);
	return out;
}

json_t *cli_json_str(const char *s) { return s && s[0] ? json_string(s) : json_null(); }
