/* The search words of a name on PostgreSQL, split exactly as the SQLite
 * backend's full-text index splits them: by SQLite's own unicode61
 * tokenizer (remove_diacritics 0, as in its migration 7), reached through
 * the fts5 API of a private in-memory SQLite handle. One tokenizer, so a
 * name search means the same on both backends, punctuation and other
 * scripts included, not a second reading of the Unicode tables. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

static fts5_api *api;
static fts5_tokenizer tokenizer;
static void *tokenizer_data;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The handle stays open for the process: the tokenizer belongs to it. */
static void find_tokenizer(void)
{
	static sqlite3 *db;
	sqlite3_stmt *q = NULL;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_pointer(q, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(q);
	if (api && api->xFindTokenizer(api, "unicode61", &tokenizer_data, &tokenizer) != SQLITE_OK)
		api = NULL;
out:
	sqlite3_finalize(q);
}

struct words {
	char *buf;
	size_t len, cap;
	bool oom;
};

static int add_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
	(void)flags;
	(void)start;
	(void)end;
	struct words *w = ctx;
	if (w->len + (size_t)n + 2 > w->cap) {
		size_t cap = (w->cap + (size_t)n + 2) * 2;
		char *b = realloc(w->buf, cap);
		if (!b) {
			w->oom = true;
			return SQLITE_NOMEM;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, tok, (size_t)n);
	w->len += (size_t)n;
	w->buf[w->len++] = ' ';
	w->buf[w->len] = '\0';
	return SQLITE_OK;
}

char *lt__pg_words(const char *fold)
{
	pthread_once(&once, find_tokenizer);
	if (!api)
		return NULL;
	static const char *args[] = {"remove_diacritics", "0"};
	Fts5Tokenizer *t = NULL;
	if (tokenizer.xCreate(tokenizer_data, (const char **)args, 2, &t) != SQLITE_OK)
		return NULL;
	struct words w = {malloc(64), 1, 64, false};
	if (w.buf) {
		strcpy(w.buf, " ");
		tokenizer.xTokenize(t, &w, FTS5_TOKENIZE_DOCUMENT, fold, (int)strlen(fold), add_token);
	}
	tokenizer.xDelete(t);
	if (w.oom) {
		free(w.buf);
		return NULL;
	}
	return w.buf;
}
