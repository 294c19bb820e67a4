/* The issue journal: an append-only text file, one record a line,
 *   c 000.00.05.H14    a code an event was written for (before the commit)
 *   s 1234             the change feed reached this seq (after the commit)
 * read incrementally, since the daemon and a CLI beside it both append (each
 * append is one write(2) under flock, then fdatasync). A torn last line (a
 * crash mid-write) is ignored; any other unreadable line stops the registry
 * from trusting the file. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lienthong/code.h"

#define HEADER "# lienthong issue journal: appended by the registry, never edited; see docs/operations.md\n"

struct entry {
	char parent[LT_CODE_BUFSZ];
	unsigned number;
};

struct lt__journal {
	char path[PATH_MAX];
	int fd;
	int write_errno; /* why it could only be opened for reading; 0 when writable */
	pthread_mutex_t mu;
	off_t off;    /* bytes read so far (complete lines only) */
	int64_t line; /* lines read so far, for messages */
	int64_t mark;
	struct entry *v; /* sorted by parent, then number */
	size_t n, cap;
};

static int entry_cmp(const struct entry *a, const struct entry *b)
{
	int c = strcmp(a->parent, b->parent);
	return c ? c : (a->number > b->number) - (a->number < b->number);
}

/* Index of the first entry not below e. */
static size_t lower_bound(const struct lt__journal *j, const struct entry *e)
{
	size_t lo = 0, hi = j->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (entry_cmp(&j->v[mid], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool to_entry(const char *code, struct entry *e)
{
	struct lt_code c, p;
	if (lt_code_parse(&c, code, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) != LT_OK || lt_code_parent(&c, &p) != LT_OK)
		return false;
	memset(e, 0, sizeof *e);
	lt_code_format(&p, e->parent);
	e->number = lt_code_number(&c);
	return true;
}

static bool known(const struct lt__journal *j, const struct entry *e)
{
	size_t i = lower_bound(j, e);
	return i < j->n && entry_cmp(&j->v[i], e) == 0;
}

static int insert(struct lt__journal *j, const struct entry *e, struct lt_err *err)
{
	size_t i = lower_bound(j, e);
	if (i < j->n && entry_cmp(&j->v[i], e) == 0)
		return LT_OK;
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 256;
		struct entry *v = realloc(j->v, cap * sizeof *v);
		if (!v)
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		j->v = v;
		j->cap = cap;
	}
	memmove(j->v + i + 1, j->v + i, (j->n - i) * sizeof *e);
	j->v[i] = *e;
	j->n++;
	return LT_OK;
}

static int parse_line(struct lt__journal *j, const char *line, struct lt_err *err)
{
	if (line[0] == '#' || line[0] == '\0')
		return LT_OK;
	if (line[0] == 's' && line[1] == ' ') {
		char *end;
		errno = 0;
		long long v = strtoll(line + 2, &end, 10);
		if (!errno && end != line + 2 && *end == '\0' && v >= 0) {
			if (v > j->mark)
				j->mark = v;
			return LT_OK;
		}
	} else if (line[0] == 'c' && line[1] == ' ') {
		struct entry e;
		if (to_entry(line + 2, &e))
			return insert(j, &e, err);
		struct lt_code c;
		if (lt_code_parse(&c, line + 2, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) == LT_OK)
			return LT_OK; /* a level-1 code: no number is allocated for it */
	}
	return lt_err_set(err, LT_EIO,
			  "issue journal %s, line %" PRId64 ": '%.40s' is not a record; the file was edited or "
			  "damaged (docs/operations.md)",
			  j->path, j->line, line);
}

/* Reads the complete lines appended since the last call. */
static int refresh(struct lt__journal *j, struct lt_err *err)
{
	struct stat sb;
	if (fstat(j->fd, &sb) != 0)
		return lt_err_set(err, LT_EIO, "issue journal %s: %s", j->path, strerror(errno));
	if (sb.st_size < j->off)
		return lt_err_set(err, LT_EIO, "issue journal %s shrank: it was truncated or replaced", j->path);
	char buf[65536];
	size_t have = 0;
	off_t at = j->off;
	while (at < sb.st_size) {
		ssize_t r = pread(j->fd, buf + have, sizeof buf - have - 1, at + (off_t)have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return lt_err_set(err, LT_EIO, "reading issue journal %s: %s", j->path, strerror(errno));
		if (r == 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		char *p = buf, *nl;
		while ((nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
			*nl = '\0';
			j->line++;
			int rc = parse_line(j, p, err);
			if (rc)
				return rc;
			p = nl + 1;
		}
		size_t used = (size_t)(p - buf);
		if (used == 0 && have == sizeof buf - 1)
			return lt_err_set(err, LT_EIO, "issue journal %s, line %" PRId64 ": line too long", j->path,
					  j->line + 1);
		at += (off_t)used;
		memmove(buf, p, have - used);
		have -= used;
	}
	j->off = at; /* a torn last line stays unread until it is whole */
	return LT_OK;
}

static int append(struct lt__journal *j, const char *text, size_t n, struct lt_err *err)
{
	if (j->write_errno)
		return lt_err_set(err, LT_EIO,
				  "the issue journal %s cannot be written by this process (%s): a change would go "
				  "unrecorded; give it write access (under systemd: ReadWritePaths=)",
				  j->path, strerror(j->write_errno));
	if (flock(j->fd, LOCK_EX) != 0)
		return lt_err_set(err, LT_EIO, "locking issue journal %s: %s", j->path, strerror(errno));
	int rc = LT_OK;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(j->fd, text + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = lt_err_set(err, LT_EIO, "writing issue journal %s: %s", j->path, strerror(errno));
			break;
		}
		done += (size_t)w;
	}
	if (rc == LT_OK && fdatasync(j->fd) != 0)
		rc = lt_err_set(err, LT_EIO, "syncing issue journal %s: %s", j->path, strerror(errno));
	flock(j->fd, LOCK_UN);
	return rc;
}

int lt__journal_open(struct lt__journal **out, const char *path, struct lt_err *err)
{
	struct lt__journal *j = calloc(1, sizeof *j);
	if (!j)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	if (snprintf(j->path, sizeof j->path, "%s", path) >= (int)sizeof j->path) {
		free(j);
		return lt_err_set(err, LT_EINVAL, "issue_journal: path too long");
	}
	j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	/* Readers (an operator's 'unit show', a daemon whose unit file forgot
	 * the journal's directory) still read it; they fail only on a change. */
	if (j->fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
		j->write_errno = errno;
		j->fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (j->fd < 0) {
		int rc = lt_err_set(err, LT_EIO, "cannot open the issue journal %s: %s", path, strerror(errno));
		free(j);
		return rc;
	}
	pthread_mutex_init(&j->mu, NULL);
	struct stat sb;
	int rc =
		fstat(j->fd, &sb) == 0 ? LT_OK : lt_err_set(err, LT_EIO, "issue journal %s: %s", path, strerror(errno));
	if (rc == LT_OK && sb.st_size == 0 && !j->write_errno)
		rc = append(j, HEADER, strlen(HEADER), err);
	if (rc == LT_OK)
		rc = refresh(j, err);
	if (rc) {
		lt__journal_close(j);
		return rc;
	}
	*out = j;
	return LT_OK;
}

void lt__journal_close(struct lt__journal *j)
{
	if (!j)
		return;
	close(j->fd);
	pthread_mutex_destroy(&j->mu);
	free(j->v);
	free(j);
}

const char *lt__journal_path(const struct lt__journal *j) { return j->path; }

int lt__journal_mark(struct lt__journal *j, int64_t *mark, struct lt_err *err)
{
	pthread_mutex_lock(&j->mu);
	int rc = refresh(j, err);
	*mark = j->mark;
	pthread_mutex_unlock(&j->mu);
	return rc;
}

int lt__journal_claim(struct lt__journal *j, const char (*codes)[LT_CODE_BUFSZ], size_t n, struct lt_err *err)
{
	pthread_mutex_lock(&j->mu);
	int rc = refresh(j, err);
	char *text = NULL;
	size_t len = 0;
	FILE *f = rc ? NULL : open_memstream(&text, &len);
	if (rc == LT_OK && !f)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == LT_OK && i < n; i++) {
		struct entry e;
		if (!to_entry(codes[i], &e) || known(j, &e))
			continue;
		fprintf(f, "c %s\n", codes[i]);
		rc = insert(j, &e, err);
	}
	if (f && fclose(f) != 0 && rc == LT_OK)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK && len)
		rc = append(j, text, len, err);
	free(text);
	/* Our own lines are in the index already: read past them. */
	if (rc == LT_OK)
		rc = refresh(j, err);
	pthread_mutex_unlock(&j->mu);
	return rc;
}

int lt__journal_reached(struct lt__journal *j, int64_t seq, struct lt_err *err)
{
	char line[32];
	int n = snprintf(line, sizeof line, "s %" PRId64 "\n", seq);
	pthread_mutex_lock(&j->mu);
	int rc = append(j, line, (size_t)n, err);
	if (rc == LT_OK)
		rc = refresh(j, err);
	pthread_mutex_unlock(&j->mu);
	return rc;
}

int lt__journal_numbers(struct lt__journal *j, const char *parent, unsigned **v, size_t *n, struct lt_err *err)
{
	pthread_mutex_lock(&j->mu);
	int rc = refresh(j, err);
	struct entry key = {0};
	snprintf(key.parent, sizeof key.parent, "%s", parent);
	size_t i = rc ? j->n : lower_bound(j, &key), extra = 0;
	while (i + extra < j->n && strcmp(j->v[i + extra].parent, parent) == 0)
		extra++;
	if (extra) {
		unsigned *nv = realloc(*v, (*n + extra) * sizeof *nv);
		if (!nv) {
			rc = lt_err_set(err, LT_ENOMEM, "out of memory");
		} else {
			for (size_t k = 0; k < extra; k++)
				nv[*n + k] = j->v[i + k].number;
			*v = nv;
			*n += extra;
		}
	}
	pthread_mutex_unlock(&j->mu);
	return rc;
}
