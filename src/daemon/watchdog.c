/* Slow clients: libmicrohttpd's timeout counts idleness, so a client that
 * trickles a byte a second keeps its connection forever. The watchdog gives
 * every request head connection_timeout seconds in total and shuts the
 * socket of any that takes longer. */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

/* The list's lock is taken when a connection opens or closes and by the
 * sweep, never per request: a request only stores its connection's two
 * atomics, so the HTTP threads do not queue on each other (twice a request,
 * that lock was where every thread met). */
struct tracked {
	atomic_int fd;
	_Atomic int64_t since;  /* when the current request head began */
	atomic_bool in_request; /* the head is complete: a handler has it */
	struct tracked *prev, *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracked *head;

void watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		     enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct tracked *t = calloc(1, sizeof *t);
		if (!t)
			return;
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		atomic_init(&t->fd, ci ? ci->connect_fd : -1);
		atomic_init(&t->since, now_ns());
		atomic_init(&t->in_request, false);
		pthread_mutex_lock(&lock);
		t->next = head;
		if (head)
			head->prev = t;
		head = t;
		pthread_mutex_unlock(&lock);
		*socket_ctx = t;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_ctx) {
		struct tracked *t = *socket_ctx;
		pthread_mutex_lock(&lock);
		if (t->prev)
			t->prev->next = t->next;
		else
			head = t->next;
		if (t->next)
			t->next->prev = t->prev;
		pthread_mutex_unlock(&lock);
		free(t);
		*socket_ctx = NULL;
	}
}

static struct tracked *of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

void watchdog_head_done(struct MHD_Connection *conn)
{
	struct tracked *t = of(conn);
	if (t)
		atomic_store(&t->in_request, true);
}

void watchdog_request_done(struct MHD_Connection *conn)
{
	struct tracked *t = of(conn);
	if (t) {
		/* since first: the sweep must not see an idle head with the old
		 * request's start */
		atomic_store(&t->since, now_ns());
		atomic_store(&t->in_request, false);
	}
}

/* Shuts the sockets of heads older than limit; the server notices at once
 * and cleans up as for any client that went away. */
void watchdog_sweep(int64_t limit_ns)
{
	int64_t now = now_ns();
	pthread_mutex_lock(&lock);
	for (struct tracked *t = head; t; t = t->next) {
		int fd = atomic_load(&t->fd);
		if (fd >= 0 && !atomic_load(&t->in_request) && now - atomic_load(&t->since) > limit_ns) {
			shutdown(fd, SHUT_RDWR);
			atomic_store(&t->fd, -1);
		}
	}
	pthread_mutex_unlock(&lock);
}
