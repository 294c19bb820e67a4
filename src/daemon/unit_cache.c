/* The serialized replies of GET /v1/units/{code}, kept while the registry's
 * generation (lt_registry_generation) holds: a look-up that hits costs a hash,
 * a lock and a copy instead of three read transactions and a JSON build.
 * Direct-mapped, one lock per slot, so threads rarely meet; a slot is
 * simply overwritten by the next code that hashes to it. Sized by the
 * lookup_cache_entries setting; NULL (0 entries) caches nothing. */
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

static struct slot *slot_for(struct unit_cache *c, const char *code)
{
	if (!c)
		return NULL;
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)code; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &c->slots[h % c->n];
}

bool unit_cache_get(struct unit_cache *c, const void *owner, const char *code, uint64_t gen, char etag[48], char **body,
		    size_t *len)
{
	struct slot *s = slot_for(c, code);
	if (!s)
		return false;
	bool hit = false;
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
	return hit;
}

void unit_cache_put(struct unit_cache *c, const void *owner, const char *code, uint64_t gen, const char *etag,
		    const char *body, size_t len)
{
	struct slot *s = slot_for(c, code);
	if (!s || strlen(code) >= sizeof s->code || strlen(etag) >= sizeof s->etag)
		return;
	char *copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, body, len);
	pthread_mutex_lock(&s->mu);
	/* An older generation never replaces a newer one. */
	if (s->body && s->owner == owner && s->gen > gen) {
		pthread_mutex_unlock(&s->mu);
		free(copy);
		return;
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
