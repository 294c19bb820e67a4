/* Principals of authenticated tokens, kept by their SHA-256 (never the
 * token itself) under the store generation read before their row: every
 * request of a system used to read its token's row, a read transaction
 * that after each commit revalidates SQLite's page cache, about a tenth of
 * the daemon's CPU under the exchange's load. A slot is chosen by the
 * hash's leading bits; a newer entry takes it over, so the cache never
 * grows past the size it was made with. One mutex: a look-up holds it for
 * a comparison and a copy. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "access_impl.h"

struct slot {
	char hash[65]; /* "" when empty */
	uint64_t gen;
	struct lt_principal who;
};

struct lt_token_cache {
	pthread_mutex_t mu;
	size_t n;
	uint64_t hits, misses;
	struct slot slots[];
};

struct lt_token_cache *lt_token_cache_new(size_t entries)
{
	if (entries == 0 || entries > SIZE_MAX / sizeof(struct slot) - 1)
		return NULL;
	struct lt_token_cache *c = calloc(1, sizeof *c + entries * sizeof(struct slot));
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->n = entries;
	return c;
}

void lt_token_cache_free(struct lt_token_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* The hash is SHA-256 in hex: its first 15 digits are as good as random. */
static struct slot *slot_of(struct lt_token_cache *c, const char *hash)
{
	uint64_t v = 0;
	for (int i = 0; i < 15 && hash[i]; i++)
		v = v << 4 | (uint64_t)(hash[i] <= '9' ? hash[i] - '0' : (hash[i] | 0x20) - 'a' + 10);
	return &c->slots[v % c->n];
}

bool lt__token_cache_get(struct lt_token_cache *c, const char *hash, uint64_t gen, struct lt_principal *out)
{
	pthread_mutex_lock(&c->mu);
	struct slot *s = slot_of(c, hash);
	bool hit = s->gen == gen && s->hash[0] && strcmp(s->hash, hash) == 0;
	if (hit) {
		*out = s->who;
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void lt__token_cache_put(struct lt_token_cache *c, const char *hash, uint64_t gen, const struct lt_principal *p)
{
	pthread_mutex_lock(&c->mu);
	struct slot *s = slot_of(c, hash);
	/* An entry read under a newer generation is never replaced by an
	 * older one: a request that read its row before a revocation must not
	 * put back what the one after it stored. */
	if (!(s->hash[0] && s->gen > gen)) {
		memcpy(s->hash, hash, sizeof s->hash);
		s->hash[64] = '\0';
		s->gen = gen;
		s->who = *p;
	}
	pthread_mutex_unlock(&c->mu);
}

void lt_token_cache_counts(struct lt_token_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = *misses = 0;
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->mu);
}
