/* Error log lines: "2026-11-23T10:00:00Z lienthong[pid] level: message". One
 * write(2) per line so lines from several threads never interleave. */
#include "lienthong/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int current_level = LT_LOG_INFO;
static const char *level_names[] = {"error", "warn", "info", "debug"};
static _Thread_local const char *tl_request;

void lt_log_request(const char *id) { tl_request = id && *id ? id : NULL; }

void lt_log_set_level(enum lt_log_level level) { atomic_store(&current_level, (int)level); }
enum lt_log_level lt_log_get_level(void) { return (enum lt_log_level)atomic_load(&current_level); }

int lt_log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (name && strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

static void emit(enum lt_log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	int k = tl_request ? snprintf(line + n, sizeof line - n, "lienthong[%ld] %s: [req %s] ", (long)getpid(),
				      level_names[level], tl_request)
			   : snprintf(line + n, sizeof line - n, "lienthong[%ld] %s: ", (long)getpid(),
				      level_names[level]);
	if (k > 0)
		n += (size_t)k;
	k = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (k > 0)
		n = n + (size_t)k < sizeof line ? n + (size_t)k : sizeof line - 1;
	if (errnum && n < sizeof line - 1) {
		k = snprintf(line + n, sizeof line - n, ": %s", strerror(errnum));
		if (k > 0)
			n = n + (size_t)k < sizeof line ? n + (size_t)k : sizeof line - 1;
	}
	if (n >= sizeof line - 1)
		n = sizeof line - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}

#define DEFINE_LOG(fn, level, with_errno)                                                                              \
	void fn(const char *fmt, ...)                                                                                  \
	{                                                                                                              \
		int saved = errno;                                                                                     \
		if (atomic_load(&current_level) < (level))                                                             \
			return;                                                                                        \
		va_list ap;                                                                                            \
		va_start(ap, fmt);                                                                                     \
		emit((level), (with_errno) ? saved : 0, fmt, ap);                                                      \
		va_end(ap);                                                                                            \
		errno = saved;                                                                                         \
	}

DEFINE_LOG(lt_log_errorx, LT_LOG_ERROR, 0)
DEFINE_LOG(lt_log_warn, LT_LOG_WARN, 1)
DEFINE_LOG(lt_log_warnx, LT_LOG_WARN, 0)
DEFINE_LOG(lt_log_info, LT_LOG_INFO, 0)
DEFINE_LOG(lt_log_debug, LT_LOG_DEBUG, 0)
