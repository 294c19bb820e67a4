/* The relay worker of a hub with an upstream (design: federation): sends
 * upstream what waits in the relay queue, and takes in what the upstream
 * holds for this hub, committing it locally before acknowledging it there.
 * Two threads, one per direction, each with its own HTTP client. */
#ifndef LIENTHONG_RELAY_H
#define LIENTHONG_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "lienthong/err.h"
#include "lienthong/exchange.h"

struct lt_relay_opts {
	const char *url;       /* the upstream's base URL */
	int protocol;          /* enum lt_upstream_protocol */
	const char *token;     /* lienthong: bearer token of this hub's system there */
	const char *system_id; /* vxp: systemid */
	const char *secret;    /* vxp: HMAC key */
	int backoff_max;       /* seconds, cap of the doubling wait between tries */
	int poll_wait;         /* seconds a long poll of the upstream inbox may wait */
	int utc_offset;        /* vxp: minutes east of UTC of the timestamp it signs */
};

struct lt_relay;

/* Finds or makes the system that stands for the upstream at opts->url
 * (no codes, no token: nobody can call as it), then starts both threads. */
int lt_relay_start(struct lt_relay **out, struct lt_exchange *x, const struct lt_relay_opts *opts, struct lt_err *err);
/* Stops the threads (an HTTP call in flight is cut short) and frees. NULL-safe. */
void lt_relay_stop(struct lt_relay *r);

/* LT_OK when this build's relay worker speaks protocol (enum
 * lt_upstream_protocol); start-up and `lienthongd -n` ask it alike. */
int lt_relay_supported(int protocol, struct lt_err *err);

/* Counters for /metrics and the logs. */
struct lt_relay_counts {
	uint64_t relayed, relay_failures, fetched, fetch_failures;
};
void lt_relay_counts(const struct lt_relay *r, struct lt_relay_counts *out);

/* A VXP upstream's getAgenciesList data (caller owns): the catalogue
 * mirror's snapshot of such an upstream. LT_EINVAL when the relay does not
 * speak VXP. */
int lt_relay_vxp_agencies(struct lt_relay *r, json_t **data, struct lt_err *err);

/* The wait before try number tries+1 after tries failures: 1 s doubling,
 * capped at cap seconds. */
int lt_relay_backoff(int tries, int cap);

#endif
