/* The serialized replies of GET /v1/units/{code}, kept while the registry's
 * generation (lt_store_generation) holds: a look-up that hits costs a hash,
 * a lock and a copy instead of three read transactions and a JSON build.
 * Direct-mapped, one lock per slot, so threads rarely meet; a slot is
 * simply overwritten by the next code that hashes to it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "unit_cache.h"

#define SLOTS 16384 /* at most ~16 MB of replies of about 1 KB */

struct slot {
	pthread_mutex_t mu;
	const void *owner; /* the store the reply was read from */
	uint64_t gen;
	char code[LT_CODE_BUFSZ];
	char etag[48];
	char *body; /* owned */
	size_t len;
};

static struct slot *slots;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	struct slot *s = calloc(SLOTS, sizeof *s);
	if (!s)
		return; /* no cache: every look-up takes the full path */
	for (size_t i = 0; i < SLOTS; i++)
		pthread_mutex_init(&s[i].mu, NULL);
	slots = s;
}

static struct slot *slot_for(const char *code)
{
	pthread_once(&once, init);
	if (!slots)
		return NULL;
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)code; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &slots[h % SLOTS];
}

bool unit_cache_get(const void *owner, const char *code, uint64_t gen, char etag[48], char **body, size_t *len)
{
	struct slot *s = slot_for(code);
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

void unit_cache_put(const void *owner, const char *code, uint64_t gen, const char *etag, const char *body, size_t len)
{
	struct slot *s = slot_for(code);
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
