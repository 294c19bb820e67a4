/* The CSV reading the import benchmark's reference programs share
 * (bench/ref_import.c, bench/ref_import_registry.c): the whole file read into
 * memory and split in place, so both pay the same, least, cost for it. */
#ifndef REF_CSV_H
#define REF_CSV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define MAX_COLS 64

struct field {
	const char *p;
	size_t n;
};

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", REF_NAME, what, db ? sqlite3_errmsg(db) : "error");
	exit(3);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(3);
	}
	size_t cap = 1 << 20, n = 0, r;
	char *buf = malloc(cap);
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", REF_NAME);
		exit(3);
	}
	*len = n;
	return buf;
}

/* Splits one record starting at *pos in place (quoted fields are unescaped
 * into the buffer itself). Returns the number of fields, 0 at the end. */
static int next_record(char *buf, size_t len, size_t *pos, struct field *f)
{
	size_t i = *pos;
	int nf = 0;
	if (i >= len)
		return 0;
	for (;;) {
		if (nf == MAX_COLS) {
			fprintf(stderr, "%s: more than %d columns\n", REF_NAME, MAX_COLS);
			exit(2);
		}
		if (i < len && buf[i] == '"') {
			size_t o = ++i;
			f[nf].p = buf + o;
			while (i < len) {
				if (buf[i] == '"') {
					if (i + 1 < len && buf[i + 1] == '"') {
						buf[o++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				buf[o++] = buf[i++];
			}
			f[nf].n = (size_t)(buf + o - f[nf].p);
		} else {
			f[nf].p = buf + i;
			while (i < len && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r')
				i++;
			f[nf].n = (size_t)(buf + i - f[nf].p);
		}
		nf++;
		if (i < len && buf[i] == ',') {
			i++;
			continue;
		}
		if (i < len && buf[i] == '\r')
			i++;
		if (i < len && buf[i] == '\n')
			i++;
		break;
	}
	*pos = i;
	return nf;
}

#endif
