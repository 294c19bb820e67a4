/* The access log is written by a thread of its own. A request thread only
 * copies its line into a buffer: a write that blocks (a file system that
 * throttles dirty pages, a pipe to a log collector that stalls) held, with
 * a lock shared by every HTTP thread, all of them, and every request in
 * flight waited. Now such a stall is absorbed by the buffer, and only when
 * the buffer is full do requests wait, so no line is dropped. The lines
 * go out at once after a quiet spell, and while they keep coming in batches,
 * one write for all those of GATHER_MS: a line reaches the file at most that
 * long after its request (and a daemon killed by SIGKILL loses at most
 * those). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access_log.h"

/* A pipe or a terminal takes a write of at most PIPE_BUF bytes whole; cut
 * at a line's end below that, another writer's lines (the daemon's own log
 * on stderr) never land inside one of ours. */
#define ATOMIC_WRITE 4096
/* How long a line may wait for others to share its write, when lines keep
 * coming. */
#define GATHER_MS 20

struct alog {
	pthread_mutex_t mu;
	pthread_cond_t data, room;
	char *buf, *out; /* lines queued; lines being written */
	size_t len, cap, out_cap;
	bool stopping;
	bool idle, gathering; /* the writer waits for a first line; for more */
	int waiting;          /* request threads waiting for room */
	int fd;
	bool owns_fd, regular;
	pthread_t thread;
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else {
			return; /* nowhere to write: the lines are lost, the daemon goes on */
		}
	}
}

static void write_lines(struct alog *a, const char *p, size_t n)
{
	if (a->regular) { /* appends to a file go in whole, whatever their size */
		write_all(a->fd, p, n);
		return;
	}
	while (n) {
		size_t k = n;
		if (k > ATOMIC_WRITE) {
			k = ATOMIC_WRITE;
			while (k && p[k - 1] != '\n')
				k--;
			if (!k) { /* one line longer than that: whole */
				const char *nl = memchr(p, '\n', n);
				k = nl ? (size_t)(nl - p) + 1 : n;
			}
		}
		write_all(a->fd, p, k);
		p += k;
		n -= k;
	}
}

static void add_ms(struct timespec *t, long ms)
{
	t->tv_nsec += ms * 1000000L;
	t->tv_sec += t->tv_nsec / 1000000000L;
	t->tv_nsec %= 1000000000L;
}

static bool later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Under load, lines are gathered for GATHER_MS (or until half the buffer
 * is used) before one write: the request threads wake the writer once a
 * batch, not once a line, and it takes a core only that often. */
static void *writer(void *arg)
{
	struct alog *a = arg;
	struct timespec last = {0, 0}; /* when the last batch went out */
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->len && !a->stopping) {
			a->idle = true;
			pthread_cond_wait(&a->data, &a->mu);
			a->idle = false;
		}
		if (!a->len)
			break; /* stopping, and everything is out */
		/* A line after a quiet spell goes out at once; while lines keep
		 * coming, one write per GATHER_MS. */
		struct timespec now, until = last;
		clock_gettime(CLOCK_MONOTONIC, &now);
		add_ms(&until, GATHER_MS);
		a->gathering = true;
		while (!a->stopping && a->len < a->cap / 2 && later(&until, &now) &&
		       pthread_cond_timedwait(&a->data, &a->mu, &until) != ETIMEDOUT)
			clock_gettime(CLOCK_MONOTONIC, &now);
		a->gathering = false;
		clock_gettime(CLOCK_MONOTONIC, &last);
		char *batch = a->buf;
		size_t n = a->len, cap = a->cap;
		a->buf = a->out;
		a->cap = a->out_cap;
		a->out = batch;
		a->out_cap = cap;
		a->len = 0;
		if (a->waiting)
			pthread_cond_broadcast(&a->room);
		pthread_mutex_unlock(&a->mu);
		write_lines(a, batch, n);
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* What alog_new made, once no writer thread runs; the fd is the caller's
 * business (alog_free closes one it owns). */
static void release(struct alog *a)
{
	pthread_cond_destroy(&a->room);
	pthread_cond_destroy(&a->data);
	pthread_mutex_destroy(&a->mu);
	free(a->buf);
	free(a->out);
	free(a);
}

struct alog *alog_new(int fd, bool owns_fd, size_t buffer_bytes)
{
	struct alog *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->cap = a->out_cap = buffer_bytes ? buffer_bytes : 1;
	a->buf = malloc(a->cap);
	a->out = malloc(a->cap);
	struct stat sb;
	a->fd = fd;
	a->owns_fd = owns_fd;
	a->regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->data, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&a->room, NULL);
	if (!a->buf || !a->out || pthread_create(&a->thread, NULL, writer, a) != 0) {
		release(a);
		return NULL;
	}
	return a;
}

void alog_line(struct alog *a, const char *line, size_t len)
{
	size_t need = len + 1;
	pthread_mutex_lock(&a->mu);
	/* A line longer than the whole buffer waits for an empty one and
	 * grows it (each buffer keeps its own size). */
	while (a->len && a->len + need > a->cap) {
		a->waiting++;
		if (a->gathering)
			pthread_cond_signal(&a->data);
		pthread_cond_wait(&a->room, &a->mu);
		a->waiting--;
	}
	if (need > a->cap) {
		char *nb = realloc(a->buf, need);
		if (!nb) {
			pthread_mutex_unlock(&a->mu);
			return;
		}
		a->buf = nb;
		a->cap = need;
	}
	memcpy(a->buf + a->len, line, len);
	a->buf[a->len + len] = '\n';
	a->len += need;
	if (a->idle || (a->gathering && a->len >= a->cap / 2))
		pthread_cond_signal(&a->data);
	pthread_mutex_unlock(&a->mu);
}

void alog_free(struct alog *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = true;
	pthread_cond_signal(&a->data);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	if (a->owns_fd)
		close(a->fd);
	release(a);
}
