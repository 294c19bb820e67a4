/* The inbox long poll (GET /v1/inbox?wait=S): a request that finds nothing
 * is suspended, so it holds no HTTP thread while it waits, and resumed when
 * this hub commits a delivery for its system, when its time is up, or at
 * the recheck interval, which is how deliveries committed by another node
 * or process are found. A resumed request runs its handler again.
 *
 * A wake-up that comes between the handler's read and its suspension would
 * be lost, so every wake-up advances an epoch: a handler remembers the
 * epoch before it reads and is not suspended if it moved meanwhile. */
#include <stdlib.h>
#include <unistd.h>

#include "server.h"

struct waiter {
	struct req *rq;
	int64_t system_id;
	int64_t deadline_ns, recheck_ns;
	struct waiter *next;
};

struct longpoll {
	pthread_mutex_t mu;
	struct waiter *list;
	size_t n;
	uint64_t epoch;
	bool stopping;
	int64_t recheck_ns;
	pthread_t ticker;
	bool ticker_running;
};

static void resume(struct waiter *w)
{
	MHD_resume_connection(w->rq->conn);
	free(w);
}

/* Resumes the waiters keep() refuses, outside the list's lock order
 * concerns: MHD_resume_connection only signals the polling thread. */
static void sweep(struct longpoll *lp, bool (*keep)(const struct waiter *, void *), void *arg)
{
	pthread_mutex_lock(&lp->mu);
	for (struct waiter **pw = &lp->list; *pw;) {
		struct waiter *w = *pw;
		if (keep(w, arg)) {
			pw = &w->next;
			continue;
		}
		*pw = w->next;
		lp->n--;
		resume(w);
	}
	pthread_mutex_unlock(&lp->mu);
}

static bool keep_until_due(const struct waiter *w, void *arg)
{
	int64_t now = *(const int64_t *)arg;
	return now < w->deadline_ns && now < w->recheck_ns;
}

static bool keep_none(const struct waiter *w, void *arg)
{
	(void)w;
	(void)arg;
	return false;
}

static void *ticker(void *arg)
{
	struct longpoll *lp = arg;
	for (;;) {
		usleep(50000);
		pthread_mutex_lock(&lp->mu);
		bool stop = lp->stopping;
		pthread_mutex_unlock(&lp->mu);
		if (stop)
			return NULL;
		int64_t now = now_ns();
		sweep(lp, keep_until_due, &now);
	}
}

struct longpoll *longpoll_new(int recheck_ms)
{
	struct longpoll *lp = calloc(1, sizeof *lp);
	if (!lp)
		return NULL;
	pthread_mutex_init(&lp->mu, NULL);
	lp->recheck_ns = (int64_t)recheck_ms * 1000000;
	lp->ticker_running = pthread_create(&lp->ticker, NULL, ticker, lp) == 0;
	if (!lp->ticker_running) {
		pthread_mutex_destroy(&lp->mu);
		free(lp);
		return NULL;
	}
	return lp;
}

void longpoll_stop(struct longpoll *lp)
{
	if (!lp)
		return;
	pthread_mutex_lock(&lp->mu);
	lp->stopping = true;
	pthread_mutex_unlock(&lp->mu);
	sweep(lp, keep_none, NULL);
}

void longpoll_free(struct longpoll *lp)
{
	if (!lp)
		return;
	longpoll_stop(lp);
	if (lp->ticker_running)
		pthread_join(lp->ticker, NULL);
	pthread_mutex_destroy(&lp->mu);
	free(lp);
}

uint64_t longpoll_epoch(struct longpoll *lp)
{
	pthread_mutex_lock(&lp->mu);
	uint64_t e = lp->epoch;
	pthread_mutex_unlock(&lp->mu);
	return e;
}

bool longpoll_park(struct longpoll *lp, struct req *rq, int64_t system_id, int64_t deadline_ns, uint64_t epoch)
{
	struct waiter *w = calloc(1, sizeof *w);
	if (!w)
		return false;
	w->rq = rq;
	w->system_id = system_id;
	w->deadline_ns = deadline_ns;
	w->recheck_ns = now_ns() + lp->recheck_ns;
	pthread_mutex_lock(&lp->mu);
	if (lp->stopping || lp->epoch != epoch) {
		pthread_mutex_unlock(&lp->mu);
		free(w);
		return false;
	}
	/* Suspended under the lock, so no wake-up can resume it first. */
	rq->suspended = true;
	MHD_suspend_connection(rq->conn);
	w->next = lp->list;
	lp->list = w;
	lp->n++;
	pthread_mutex_unlock(&lp->mu);
	return true;
}

struct wake_set {
	const int64_t *systems;
	size_t n;
};

static bool keep_unless_named(const struct waiter *w, void *arg)
{
	const struct wake_set *ws = arg;
	for (size_t i = 0; i < ws->n; i++)
		if (ws->systems[i] == w->system_id)
			return false;
	return true;
}

void longpoll_wake(void *arg, const int64_t *systems, size_t n)
{
	struct longpoll *lp = arg;
	if (!lp)
		return;
	pthread_mutex_lock(&lp->mu);
	lp->epoch++;
	pthread_mutex_unlock(&lp->mu);
	struct wake_set ws = {systems, n};
	sweep(lp, keep_unless_named, &ws);
}

size_t longpoll_waiting(struct longpoll *lp)
{
	if (!lp)
		return 0;
	pthread_mutex_lock(&lp->mu);
	size_t n = lp->n;
	pthread_mutex_unlock(&lp->mu);
	return n;
}

bool longpoll_stopping(struct longpoll *lp)
{
	pthread_mutex_lock(&lp->mu);
	bool s = lp->stopping;
	pthread_mutex_unlock(&lp->mu);
	return s;
}
