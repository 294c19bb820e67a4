/* The access log's writer (access_log.c): request threads hand it lines
 * and go on; one thread writes them. */
#ifndef LT_DAEMON_ACCESS_LOG_H
#define LT_DAEMON_ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>

struct alog;
/* A writer of lines to fd holding at most buffer_bytes not yet written
 * (NULL when out of memory or no thread can start); owns_fd: alog_free
 * closes it. */
struct alog *alog_new(int fd, bool owns_fd, size_t buffer_bytes);
/* Queues line (without its newline) and returns at once, unless the lines
 * not yet written fill the buffer: then it waits for room, so no line is
 * ever dropped. */
void alog_line(struct alog *a, const char *line, size_t len);
/* Writes every queued line, stops the thread and frees the writer. */
void alog_free(struct alog *a);

#endif
