/* Internals of the relay worker shared by its loops (relay.c) and the two
 * upstream protocols (relay_v1.c: lienthong's /v1; relay_vxp.c: as the VXP
 * Java SDK). */
#ifndef LT_RELAY_IMPL_H
#define LT_RELAY_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include <curl/curl.h>

#include "exchange_impl.h"
#include "lienthong/relay.h"

#define LT__UPSTREAM_ID_BUFSZ 65
#define LT__RELAY_PAGE 50

/* Ids of packages waiting upstream for this hub, one poll's worth. */
struct lt__relay_ids {
	char id[LT__RELAY_PAGE * 2][LT__UPSTREAM_ID_BUFSZ];
	int n;
};

struct lt_relay;

struct lt__relay_proto {
	/* Sends the stored package doc; fills the upstream's id for it. */
	int (*send)(struct lt_relay *r, CURL *h, const struct lt_xdoc *doc, char up[LT__UPSTREAM_ID_BUFSZ],
		    struct lt_err *err);
	/* What waits upstream, after cursor (protocols without one ignore it). */
	int (*list)(struct lt_relay *r, CURL *h, long long after, struct lt__relay_ids *ids, long long *next,
		    struct lt_err *err);
	/* Streams one package into u (lt_upload_feed); the caller finishes it. */
	int (*fetch)(struct lt_relay *r, CURL *h, const char *id, struct lt_upload *u, struct lt_err *err);
	/* Transport acknowledgement upstream: done or fail. */
	int (*ack)(struct lt_relay *r, CURL *h, const char *id, const char *state, struct lt_err *err);
};

extern const struct lt__relay_proto lt__relay_v1, lt__relay_vxp;

struct lt_relay {
	struct lt_exchange *x;
	const struct lt__relay_proto *proto;
	char url[1024];
	char auth[300];     /* v1: "Authorization: Bearer …" */
	char system_id[64]; /* vxp */
	char secret[256];   /* vxp */
	char timestamp[32]; /* vxp: frozen per client, as the SDK's */
	int backoff_max, poll_wait;
	int64_t link; /* the system standing for the upstream */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stop;
	pthread_t out_thread, in_thread;
	bool out_running, in_running;
	atomic_ullong relayed, relay_failures, fetched, fetch_failures;
};

/* A reply read into memory, up to max bytes. */
struct lt__rbuf {
	char *p;
	size_t n, max;
};
size_t lt__relay_to_buf(char *data, size_t size, size_t n, void *vb);
/* One request: base URL + path, the caller's headers (taken), a timeout;
 * the status in *code. A transport failure says "upstream <path>: …". */
int lt__relay_perform(struct lt_relay *r, CURL *h, const char *path, struct curl_slist *hdr, long timeout, long *code,
		      struct lt_err *err);

/* The SDK's timestamp, taken once per client object: ddMMyyyy'T'HHmmss+SSSS
 * in the clients' local time (utc_offset minutes east of UTC). */
void lt__relay_vxp_timestamp(char out[32], int utc_offset);

#endif
