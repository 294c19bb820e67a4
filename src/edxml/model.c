/* The package in memory: one pool per package holds every string and list, so
 * a package, however it was built, goes with one free, and the reader can cap
 * what a hostile package makes it keep. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "edxml/edxml_impl.h"

#define BLOCK_MIN 4096

struct block {
	struct block *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct lt__edxml_pool {
	struct block *head;
	size_t total; /* bytes of blocks */
	size_t cap;
	bool over;
};

void *lt__edxml_alloc(struct lt_edxml_package *p, size_t n)
{
	struct lt__edxml_pool *pool = p->pool;
	const size_t a = alignof(max_align_t);
	n = (n + a - 1) / a * a;
	if (n == 0)
		n = a;
	struct block *b = pool->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > BLOCK_MIN ? n : BLOCK_MIN;
		if (pool->cap && pool->total + size > pool->cap) {
			pool->over = true;
			return NULL;
		}
		b = malloc(sizeof *b + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		/* A large allocation gets a block of its own behind the head, so
		 * the head keeps its free space for the small strings that follow. */
		if (pool->head && size > BLOCK_MIN) {
			b->next = pool->head->next;
			pool->head->next = b;
		} else {
			b->next = pool->head;
			pool->head = b;
		}
		pool->total += size;
	}
	void *m = b->data + b->used;
	b->used += n;
	memset(m, 0, n);
	return m;
}

void lt__edxml_pool_cap(struct lt_edxml_package *p, size_t cap) { p->pool->cap = cap; }

bool lt__edxml_pool_over(const struct lt_edxml_package *p) { return p->pool->over; }

/* Capacity is implied by the count (4, then powers of two), so the public
 * structs need no capacity fields. */
void *lt__edxml_push(struct lt_edxml_package *p, void *arr, size_t *n, size_t elem)
{
	void **a = arr;
	size_t k = *n;
	if (k == 0 || (k >= 4 && (k & (k - 1)) == 0)) {
		size_t ncap = k == 0 ? 4 : k * 2;
		void *grown = lt__edxml_alloc(p, ncap * elem);
		if (!grown)
			return NULL;
		if (k)
			memcpy(grown, *a, k * elem);
		*a = grown;
	}
	unsigned char *slot = (unsigned char *)*a + k * elem;
	memset(slot, 0, elem);
	*n = k + 1;
	return slot;
}

struct lt_edxml_package *lt_edxml_package_new(enum lt_edxml_kind kind)
{
	struct lt_edxml_package *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->pool = calloc(1, sizeof *p->pool);
	if (!p->pool) {
		free(p);
		return NULL;
	}
	p->kind = kind;
	p->document_type.type = p->document_type.type_detail = -1;
	p->other.priority = p->other.promulgation_amount = p->other.page_amount = -1;
	p->other.direction = -1;
	p->steering_type = -1;
	p->business.doc_type = p->business.paper = -1;
	p->business.document_info = p->business.document_receiver = -1;
	if (kind == LT_EDXML_EDOC) {
		p->business.present = true;
		p->business.doc_type = LT_EDXML_NEW;
		p->business.paper = 0;
	}
	return p;
}

void lt_edxml_package_free(struct lt_edxml_package *p)
{
	if (!p)
		return;
	struct block *b = p->pool->head;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(p->pool);
	free(p);
}

const char *lt_edxml_strdup(struct lt_edxml_package *p, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = lt__edxml_alloc(p, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

struct lt_edxml_organ *lt_edxml_add_to(struct lt_edxml_package *p)
{
	return lt__edxml_push(p, &p->to, &p->n_to, sizeof *p->to);
}

struct lt_edxml_response_for *lt_edxml_add_response_for(struct lt_edxml_package *p)
{
	return lt__edxml_push(p, &p->response_for, &p->n_response_for, sizeof *p->response_for);
}

struct lt_edxml_trace *lt_edxml_add_trace(struct lt_edxml_package *p)
{
	return lt__edxml_push(p, &p->traces, &p->n_traces, sizeof *p->traces);
}

struct lt_edxml_receiver *lt_edxml_add_receiver(struct lt_edxml_package *p)
{
	struct lt_edxml_receiver *r = lt__edxml_push(p, &p->business.receivers, &p->business.n_receivers, sizeof *r);
	if (r)
		r->receiver_type = -1;
	return r;
}

struct lt_edxml_replacement *lt_edxml_add_replacement(struct lt_edxml_package *p)
{
	return lt__edxml_push(p, &p->business.replacements, &p->business.n_replacements,
			      sizeof *p->business.replacements);
}

struct lt_edxml_organ_id *lt_edxml_add_replacement_organ(struct lt_edxml_package *p, struct lt_edxml_replacement *r)
{
	return lt__edxml_push(p, &r->organ_ids, &r->n_organ_ids, sizeof *r->organ_ids);
}

static void uuid4(char out[37])
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof b) != 1) {
		/* Uniqueness within one package is all a ContentId needs, so a weak
		 * source is acceptable when the CSPRNG is unavailable. */
		static unsigned counter;
		for (size_t i = 0; i < sizeof b; i++)
			b[i] = (unsigned char)(rand() ^ (int)(counter++ * 131u));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

struct lt_edxml_attachment *lt_edxml_add_attachment(struct lt_edxml_package *p)
{
	size_t seq = p->n_attachments;
	struct lt_edxml_attachment *a = lt__edxml_push(p, &p->attachments, &p->n_attachments, sizeof *a);
	if (!a)
		return NULL;
	char id[37];
	uuid4(id);
	a->content_id = lt_edxml_strdup(p, id);
	if (!a->content_id) {
		p->n_attachments--;
		return NULL;
	}
	a->seq = seq;
	a->listed = true;
	return a;
}

static int add_string(struct lt_edxml_package *p, const char ***arr, size_t *n, const char *s)
{
	const char *copy = lt_edxml_strdup(p, s ? s : "");
	if (!copy)
		return LT_ENOMEM;
	const char **slot = lt__edxml_push(p, arr, n, sizeof *slot);
	if (!slot)
		return LT_ENOMEM;
	*slot = copy;
	return LT_OK;
}

int lt_edxml_add_to_place(struct lt_edxml_package *p, const char *place)
{
	return add_string(p, &p->to_places, &p->n_to_places, place);
}

int lt_edxml_add_appendix(struct lt_edxml_package *p, const char *appendix)
{
	return add_string(p, &p->other.appendixes, &p->other.n_appendixes, appendix);
}

int lt_edxml_organ_id_set(struct lt_edxml_organ_id *id, const char *text, unsigned flags, struct lt_err *err)
{
	struct lt_code c;
	struct lt_enterprise e;
	int rc = lt_code_parse(&c, text, flags, err);
	if (rc != LT_OK && (flags & LT_CODE_ENTERPRISE) && lt_enterprise_parse(&e, text, NULL) == LT_OK) {
		memset(id, 0, sizeof *id);
		lt_enterprise_format(&e, id->text);
		id->enterprise = true;
		return LT_OK;
	}
	if (rc != LT_OK)
		return rc;
	/* Lenient forms are at most 14 characters, so the text always fits. */
	snprintf(id->text, sizeof id->text, "%s", text);
	id->code = c;
	id->enterprise = false;
	return LT_OK;
}

static const struct {
	const char *code, *name;
} status_names[] = {
	{"01", "arrived"},
	{"02", "refused"},
	{"03", "accepted"},
	{"04", "assigned"},
	{"05", "processing"},
	{"06", "finished"},
	{"13", "revocation requested"},
	{"15", "change accepted"},
	{"16", "change refused"},
};

const char *lt_edxml_status_name(const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
		if (strcmp(status_names[i].code, code) == 0)
			return status_names[i].name;
	return NULL;
}
