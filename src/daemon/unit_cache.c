/* The serialized replies of GET /v1/units/{code}, kept while the registry's
 * generation (lt_registry_generation) holds: a look-up that hits costs a hash,
 * a lock and a copy instead of three read transactions and a JSON build.
 * Two-way: a code may sit in either of two slots, so two codes that hash
 * to the same slot both stay (direct-mapped, some 4% of 10,000 codes in
 * 131,072 slots kept evicting each other, and on PostgreSQL each such
 * miss is three round trips). One lock per slot, never two held at once,
 * so threads rarely meet. Sized by the lookup_cache_entries setting; NULL
 * (0 entries) caches nothing. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "unit_cache.h"

struct slot {
	pthread_mutex_t mu;
	const void *owner; /* the registry the reply was read from */
	uint64_t gen;
	char code[LT_CODE_BUFSZ];
	char etag[48];
	char *body; /* owned */
	size_t len;
};

struct unit_cache {
	size_t n;
	struct slot slots[];
};

struct unit_cache *unit_cache_new(size_t entries)
{
	if (entries == 0)
		return NULL;
	struct unit_cache *c = calloc(1, sizeof *c + entries * sizeof c->slots[0]);
	if (!c)
		return NULL;
	c->n = entries;
	for (size_t i = 0; i < entries; i++)
		pthread_mutex_init(&c->slots[i].mu, NULL);
	return c;
}

void unit_cache_free(struct unit_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		pthread_mutex_destroy(&c->slots[i].mu);
		free(c->slots[i].body);
	}
	free(c);
}

/* The code's two slots: the second is another slot whatever the hash. */
static void slots_for(struct unit_cache *c, const char *code, struct slot *two[2])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)code; *p; p++)
		h = (h ^ *p) * 16777619u;
	size_t a = h % c->n;
	two[0] = &c->slots[a];
	two[1] = c->n > 1 ? &c->slots[(a + 1 + (h >> 16) % (c->n - 1)) % c->n] : two[0];
}

bool unit_cache_get(struct unit_cache *c, const void *owner, const char *code, uint64_t gen, char etag[48], char **body,
		    size_t *len)
{
	if (!c)
		return false;
	struct slot *two[2];
	slots_for(c, code, two);
	bool hit = false;
	for (int i = 0; i < 2 && !hit; i++) {
		struct slot *s = two[i];
		pthread_mutex_lock(&s->mu);
		if (s->body && s->owner == owner && s->gen == gen && strcmp(s->code, code) == 0) {
			*body = malloc(s->len);
			if (*body) {
				memcpy(*body, s->body, s->len);
				*len = s->len;
				memcpy(etag, s->etag, sizeof s->etag);
				hit = true;
			}
		}
		pthread_mutex_unlock(&s->mu);
	}
	return hit;
}

/* Whether a slot may take code's reply of generation gen: it holds that
 * code, or nothing, or a reply of an older generation (never current
 * again). *newer: it holds code at a newer generation, which an older
 * reply must not replace. */
static bool slot_takes(const struct slot *s, const void *owner, const char *code, uint64_t gen, bool *newer)
{
	bool same = s->body && s->owner == owner && strcmp(s->code, code) == 0;
	*newer = same && s->gen > gen;
	return !s->body || s->owner != owner || same || s->gen < gen;
}

void unit_cache_put(struct unit_cache *c, const void *owner, const char *code, uint64_t gen, const char *etag,
		    const char *body, size_t len)
{
	if (!c || strlen(code) >= sizeof c->slots[0].code || strlen(etag) >= sizeof c->slots[0].etag)
		return;
	struct slot *two[2];
	slots_for(c, code, two);
	char *copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, body, len);
	/* The first slot that may take it; when both hold other codes of
	 * this generation, the second is given up. */
	struct slot *s = NULL;
	for (int i = 0; i < 2 && !s; i++) {
		bool newer;
		pthread_mutex_lock(&two[i]->mu);
		if (slot_takes(two[i], owner, code, gen, &newer) || i == 1) {
			if (newer) {
				pthread_mutex_unlock(&two[i]->mu);
				free(copy);
				return;
			}
			s = two[i]; /* locked */
		} else {
			pthread_mutex_unlock(&two[i]->mu);
		}
	}
	free(s->body);
	s->body = copy;
	s->len = len;
	s->owner = owner;
	s->gen = gen;
	strcpy(s->code, code);
	strcpy(s->etag, etag);
	pthread_mutex_unlock(&s->mu);
}
