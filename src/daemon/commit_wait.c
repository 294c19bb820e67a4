/* A request whose answer waits for the hub's shared commit is suspended
 * meanwhile (libmicrohttpd's suspend/resume), so a commit that syncs holds
 * no HTTP thread and every request that arrives while it syncs joins the
 * next one. The hub calls commit_wait_done from its commit thread, which
 * may come before the handler has suspended: the state under one lock says
 * which came first. */
#include "server.h"

enum { CW_NONE, CW_SUBMITTED, CW_SUSPENDED, CW_DONE };

static pthread_mutex_t cw_lock = PTHREAD_MUTEX_INITIALIZER;

void commit_wait_begin(struct req *rq)
{
	pthread_mutex_lock(&cw_lock);
	rq->commit_wait = CW_SUBMITTED;
	pthread_mutex_unlock(&cw_lock);
	atomic_fetch_add(&rq->srv->commits_waited, 1);
}

bool commit_wait_started(const struct req *rq) { return rq->commit_wait != CW_NONE; }

void commit_wait_cancel(struct req *rq)
{
	pthread_mutex_lock(&cw_lock);
	rq->commit_wait = CW_DONE;
	pthread_mutex_unlock(&cw_lock);
	atomic_fetch_sub(&rq->srv->commits_waited, 1);
}

bool commit_wait_suspend(struct req *rq)
{
	pthread_mutex_lock(&cw_lock);
	bool wait = rq->commit_wait == CW_SUBMITTED;
	if (wait) {
		rq->commit_wait = CW_SUSPENDED;
		rq->suspended = true;
		MHD_suspend_connection(rq->conn);
	}
	pthread_mutex_unlock(&cw_lock);
	return wait;
}

void commit_wait_done(void *arg)
{
	struct req *rq = arg;
	struct server *srv = rq->srv;
	pthread_mutex_lock(&cw_lock);
	bool resume = rq->commit_wait == CW_SUSPENDED;
	rq->commit_wait = CW_DONE;
	if (resume)
		MHD_resume_connection(rq->conn);
	pthread_mutex_unlock(&cw_lock);
	atomic_fetch_sub(&srv->commits_waited, 1);
}
