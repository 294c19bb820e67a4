/* The access log's writer (src/daemon/access_log.c): every line arrives
 * whole and in each thread's order; a sink that stalls does not stall the
 * request threads until the buffer is full, and then they wait rather
 * than lose lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/access_log.h"

#define THREADS 4
#define LINES 3000

struct producer {
	struct alog *a;
	int id, lines, width;
	atomic_bool done;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	char line[512];
	for (int i = 0; i < p->lines; i++) {
		int n = snprintf(line, sizeof line, "t%d %06d %.*s", p->id, i, p->width,
				 "................................................................................"
				 "................................................................................");
		alog_line(p->a, line, (size_t)n);
	}
	atomic_store(&p->done, true);
	return NULL;
}

/* Checks text holds exactly `lines` lines of each of n producers, whole and
 * in order. */
static void check_lines(const char *text, int n, int lines)
{
	int next[THREADS] = {0};
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		int id, i;
		assert_int_equal(sscanf(p, "t%d %d", &id, &i), 2);
		assert_true(id >= 0 && id < n);
		assert_int_equal(i, next[id]);
		next[id]++;
		p = nl + 1;
	}
	for (int k = 0; k < n; k++)
		assert_int_equal(next[k], lines);
}

static char *slurp_fd(int fd)
{
	size_t cap = 1 << 20, n = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	ssize_t r;
	while ((r = read(fd, s + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (cap - n < 4096) {
			cap *= 2;
			s = realloc(s, cap);
			assert_non_null(s);
		}
	}
	s[n] = '\0';
	return s;
}

static void run_producers(struct alog *a, struct producer *p, pthread_t *t, int width)
{
	for (int k = 0; k < THREADS; k++) {
		p[k] = (struct producer){.a = a, .id = k, .lines = LINES, .width = width};
		atomic_init(&p[k].done, false);
		assert_int_equal(pthread_create(&t[k], NULL, produce, &p[k]), 0);
	}
}

static void lines_from_threads_whole_and_in_order_in_a_file(void **state)
{
	(void)state;
	char path[] = "/tmp/lt-access-log-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	int wfd = open(path, O_WRONLY | O_APPEND);
	assert_true(wfd >= 0);
	struct alog *a = alog_new(wfd, true, 8192); /* small: the threads wait for room often */
	assert_non_null(a);
	struct producer p[THREADS];
	pthread_t t[THREADS];
	run_producers(a, p, t, 100);
	for (int k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	alog_free(a); /* writes what is queued */
	char *text = slurp_fd(fd);
	check_lines(text, THREADS, LINES);
	free(text);
	close(fd);
	unlink(path);
}

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *free_log(void *a)
{
	alog_free(a);
	return NULL;
}

/* A pipe nobody reads takes 64 KiB; the producers' 1.4 MB more fit the
 * buffer, so they finish while the sink is stalled (a write under the
 * request, as before, blocked them at the pipe's 64 KiB). */
static void a_stalled_sink_does_not_stall_requests(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	struct alog *a = alog_new(pfd[1], true, 4 * 1024 * 1024);
	assert_non_null(a);
	struct producer p[THREADS];
	pthread_t t[THREADS];
	run_producers(a, p, t, 100);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool all = false;
	while (!all && since(&t0) < 10) {
		all = true;
		for (int k = 0; k < THREADS; k++)
			all = all && atomic_load(&p[k].done);
		usleep(1000);
	}
	assert_true(all);
	for (int k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	/* the sink comes back: every line arrives */
	pthread_t stopper;
	assert_int_equal(pthread_create(&stopper, NULL, free_log, a), 0);
	char *text = slurp_fd(pfd[0]); /* until alog_free closes the pipe */
	pthread_join(stopper, NULL);
	check_lines(text, THREADS, LINES);
	free(text);
	close(pfd[0]);
}

struct reader {
	int fd;
	char *text;
};

static void *read_slowly(void *arg)
{
	struct reader *r = arg;
	usleep(200000); /* stalled while the buffer fills */
	r->text = slurp_fd(r->fd);
	return NULL;
}

/* With the sink stalled and the buffer full, the threads wait; no line is
 * dropped. */
static void a_full_buffer_waits_and_loses_nothing(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	struct alog *a = alog_new(pfd[1], true, 1024);
	assert_non_null(a);
	struct reader r = {pfd[0], NULL};
	pthread_t rt;
	assert_int_equal(pthread_create(&rt, NULL, read_slowly, &r), 0);
	struct producer p[THREADS];
	pthread_t t[THREADS];
	run_producers(a, p, t, 150);
	for (int k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	alog_free(a);
	pthread_join(rt, NULL);
	check_lines(r.text, THREADS, LINES);
	free(r.text);
	close(pfd[0]);
}

/* A line longer than the whole buffer still goes out whole. */
static void a_line_longer_than_the_buffer(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	struct alog *a = alog_new(pfd[1], true, 16);
	assert_non_null(a);
	alog_line(a, "t0 000000 short", 15);
	alog_line(a, "t0 000001 a line well over sixteen bytes", 40);
	alog_line(a, "t0 000002 x", 11);
	alog_free(a);
	char *text = slurp_fd(pfd[0]);
	assert_string_equal(text, "t0 000000 short\nt0 000001 a line well over sixteen bytes\nt0 000002 x\n");
	free(text);
	close(pfd[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_from_threads_whole_and_in_order_in_a_file),
		cmocka_unit_test(a_stalled_sink_does_not_stall_requests),
		cmocka_unit_test(a_full_buffer_waits_and_loses_nothing),
		cmocka_unit_test(a_line_longer_than_the_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
