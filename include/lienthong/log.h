/* Logging to stderr with levels. The level is checked before anything is
 * formatted, so a debug line costs nothing when debug is off. */
#ifndef LIENTHONG_LOG_H
#define LIENTHONG_LOG_H

enum lt_log_level { LT_LOG_ERROR = 0, LT_LOG_WARN, LT_LOG_INFO, LT_LOG_DEBUG };

void lt_log_set_level(enum lt_log_level level);
enum lt_log_level lt_log_get_level(void);
/* "error", "warn", "info", "debug"; returns -1 for anything else. */
int lt_log_level_parse(const char *name);

/* Names the request this thread serves in its log lines ("[req ID]"), until
 * called again with NULL. */
void lt_log_request(const char *id);

/* lt_log_warn appends strerror(errno), like warn(3); the x forms do not. */
void lt_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
