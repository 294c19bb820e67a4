/* A store conformance case any backend runs: the change feed's promise
 * under several writers (lt_store_event_append). Include after <cmocka.h>;
 * call with n >= 2 handles, each opened on the same, empty database (a
 * SQLite file, a PostgreSQL database): handle 0 reads as a feed consumer
 * does while the others write at once, each in its own thread. */
#ifndef LT_TEST_CONFORMANCE_FEED_H
#define LT_TEST_CONFORMANCE_FEED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lienthong/store.h"

enum { CF_TXNS = 25, CF_PER_TXN = 3 };

struct cf_writer {
	struct lt_store *s;
	int id, failed;
	pthread_barrier_t *go;
};

static void *cf_write(void *arg)
{
	struct cf_writer *w = arg;
	pthread_barrier_wait(w->go);
	for (int i = 0; i < CF_TXNS; i++) {
		struct lt_err err = {0};
		int rc = lt_store_begin(w->s, &err);
		for (int k = 0; rc == LT_OK && k < CF_PER_TXN; k++) {
			char data[96];
			snprintf(data, sizeof data, "{\"w\":%d,\"i\":%d,\"k\":%d}", w->id, i, k);
			struct lt_event ev = {.change_id = 0,
					      .kind = "update",
					      .code = "000.00.01.H47",
					      .parent = "000.00.00.H47",
					      .at = "2026-12-07T12:00:00Z",
					      .effective = "2026-12-07",
					      .data = data};
			rc = lt_store_event_append(w->s, &ev, &err);
		}
		if (rc == LT_OK)
			rc = lt_store_commit(w->s, &err);
		else
			lt_store_rollback(w->s);
		if (rc != LT_OK) {
			fprintf(stderr, "writer %d, transaction %d: %s\n", w->id, i, err.msg);
			w->failed++;
		}
	}
	return NULL;
}

struct cf_seen {
	int64_t last; /* the consumer's stored position */
	int64_t n, cap;
	int (*wik)[3];      /* per seq (index seq - 1): writer, transaction, place in it */
	int64_t skipped_at; /* the first seq read past a gap, 0 when none */
};

static int cf_read(void *vctx, const struct lt_event *ev)
{
	struct cf_seen *c = vctx;
	if (ev->seq != c->last + 1 && !c->skipped_at)
		c->skipped_at = ev->seq;
	c->last = ev->seq;
	json_t *d = json_loads(ev->data, 0, NULL);
	if (!d || c->n >= c->cap) {
		json_decref(d);
		return LT_EIO;
	}
	c->wik[c->n][0] = (int)json_integer_value(json_object_get(d, "w"));
	c->wik[c->n][1] = (int)json_integer_value(json_object_get(d, "i"));
	c->wik[c->n][2] = (int)json_integer_value(json_object_get(d, "k"));
	c->n++;
	json_decref(d);
	return 0;
}

/* While the writers commit, a consumer polls from its last seq: it must
 * never find a seq above one it has not seen (a later commit with a lower
 * seq would be skipped for good). At the end the log holds every event once,
 * seq 1..N without a gap, each transaction's events together and each
 * writer's transactions in the order it committed them. */
static void conformance_feed_concurrent_writers(struct lt_store **h, int n)
{
	assert_true(n >= 2);
	int writers = n - 1;
	int64_t total = (int64_t)writers * CF_TXNS * CF_PER_TXN;
	struct cf_seen seen = {.cap = total};
	seen.wik = calloc((size_t)total, sizeof *seen.wik);
	assert_non_null(seen.wik);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, (unsigned)writers);
	struct cf_writer *w = calloc((size_t)writers, sizeof *w);
	pthread_t *th = calloc((size_t)writers, sizeof *th);
	assert_non_null(w);
	assert_non_null(th);
	for (int i = 0; i < writers; i++) {
		w[i] = (struct cf_writer){.s = h[i + 1], .id = i, .go = &go};
		assert_int_equal(pthread_create(&th[i], NULL, cf_write, &w[i]), 0);
	}
	struct lt_err err = {0};
	/* Poll until everything is read; the writers finish long before the
	 * bound (each transaction takes milliseconds). */
	for (long round = 0; seen.last < total && round < 2000000; round++)
		assert_int_equal(lt_store_events_after(h[0], seen.last, 7, cf_read, &seen, &err), LT_OK);
	for (int i = 0; i < writers; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failed, 0);
	}
	pthread_barrier_destroy(&go);
	assert_int_equal(seen.skipped_at, 0);
	assert_int_equal(seen.n, total);
	int64_t last = 0;
	assert_int_equal(lt_store_last_seq(h[0], &last, &err), LT_OK);
	assert_int_equal(last, total);
	int *next = calloc((size_t)writers, sizeof *next);
	assert_non_null(next);
	for (int64_t i = 0; i < total; i += CF_PER_TXN) {
		int wr = seen.wik[i][0], txn = seen.wik[i][1];
		assert_true(wr >= 0 && wr < writers);
		assert_int_equal(txn, next[wr]);
		next[wr]++;
		for (int k = 0; k < CF_PER_TXN; k++) {
			assert_int_equal(seen.wik[i + k][0], wr);
			assert_int_equal(seen.wik[i + k][1], txn);
			assert_int_equal(seen.wik[i + k][2], k);
		}
	}
	free(next);
	free(th);
	free(w);
	free(seen.wik);
}

#endif
