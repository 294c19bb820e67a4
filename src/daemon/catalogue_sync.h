/* The catalogue workers of lienthongd (catalogue_sync.c): the mirror of
 * the upstream's catalogue and the publication of this hub's changes. */
#ifndef LT_DAEMON_CATALOGUE_SYNC_H
#define LT_DAEMON_CATALOGUE_SYNC_H

#include "server.h"

/* The catalogue keys together (a public key that parses, a publication URL
 * with its scope); start-up and lienthongd -n. */
int catalogue_sync_check(const struct lt_config *cfg, struct lt_err *err);
/* Sets local_scope on the registry and starts the workers the
 * configuration asks for. */
int catalogue_sync_start(struct server *srv, struct lt_err *err);
/* Whether the configuration has a mirror of the upstream's catalogue, and
 * publishes this hub's changes. */
bool catalogue_mirror_on(const struct lt_config *cfg);
bool catalogue_publishes(const struct lt_config *cfg);
/* The mirror's and the publication's state for /healthz (NULL when
 * neither is configured; caller owns). */
json_t *catalogue_health(struct server *srv);
/* Wakes and joins them. */
void catalogue_sync_stop(void);

#endif
