/* The store's side of the issue journal (journal.h): the public calls that
 * begin, end and write a transaction pass through here, so every backend
 * and every write path (a unit issued, a reorganisation, an import, init)
 * keeps it the same way.
 *
 * The codes of a transaction's events are claimed in the journal before
 * its commit, so a crash between the two wastes numbers rather than
 * forgets them; the seq reached is recorded after the commit, so the
 * journal never claims events the database does not hold. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "lienthong/log.h"
#include "store_impl.h"

/* The store whose transaction this thread holds (one at a time: the
 * backend's writer lock serialises them). */
static _Thread_local struct lt_store *tl_txn;

int lt_store_journal_open(struct lt_store *s, const char *path, struct lt_err *err)
{
	if (!path || !*path)
		return LT_OK;
	if (s->journal)
		return lt_err_set(err, LT_EINVAL, "internal error: the issue journal is already open");
	return lt__journal_open(&s->journal, path, err);
}

int lt_store_journal_status(struct lt_store *s, int64_t *mark, int64_t *last, struct lt_err *err)
{
	*mark = -1;
	int rc = s->ops->last_seq(s, last, err);
	if (rc)
		return rc;
	return s->journal ? lt__journal_mark(s->journal, mark, err) : LT_OK;
}

void lt_store_journal_replaying(struct lt_store *s, bool on) { s->replaying = on; }

static void txn_reset(struct lt_store *s)
{
	s->j_n = s->j_part = 0;
	s->j_checked = s->j_events = false;
}

int lt__sj_begin(struct lt_store *s, struct lt_err *err)
{
	int rc = s->ops->begin(s, err);
	if (rc == LT_OK) {
		tl_txn = s;
		txn_reset(s);
	}
	return rc;
}

static void txn_end(struct lt_store *s)
{
	txn_reset(s);
	s->replaying = false;
	if (tl_txn == s)
		tl_txn = NULL;
}

static void record_reached(struct lt_store *s)
{
	struct lt_err e = {0};
	int64_t last = 0;
	/* The commit stands either way; the codes were claimed before it, so
	 * a lagging mark can only let a restore go unnoticed for this one
	 * commit, never reissue its codes. */
	if (s->ops->last_seq(s, &last, &e) != LT_OK || lt__journal_reached(s->journal, last, &e) != LT_OK)
		lt_log_warnx("issue journal %s: the seq reached was not recorded: %s", lt__journal_path(s->journal),
			     e.msg);
}

int lt__sj_commit(struct lt_store *s, struct lt_err *err)
{
	bool journal = s->journal && tl_txn == s && s->j_events;
	if (journal && lt__journal_claim(s->journal, (const char(*)[LT_CODE_BUFSZ])s->j_codes, s->j_n, err)) {
		txn_end(s);
		s->ops->rollback(s);
		return lt_err_prefix(err, "nothing was changed: ");
	}
	/* Reset while this thread still holds the writer: the backend's commit
	 * lets the next transaction in. */
	txn_end(s);
	int rc = s->ops->commit(s, err);
	if (rc == LT_OK && journal)
		record_reached(s);
	return rc;
}

void lt__sj_rollback(struct lt_store *s)
{
	if (tl_txn == s)
		txn_end(s);
	s->ops->rollback(s);
}

int lt__sj_part(struct lt_store *s, enum lt_store_part what, struct lt_err *err)
{
	int rc = s->ops->part(s, what, err);
	if (rc == LT_OK && tl_txn == s) {
		if (what == LT_PART_BEGIN)
			s->j_part = s->j_n;
		else if (what == LT_PART_ROLLBACK)
			s->j_n = s->j_part; /* those events are gone: their codes are not claimed */
	}
	return rc;
}

int lt__sj_numbers_used(struct lt_store *s, const char *parent, unsigned **out, size_t *n, struct lt_err *err)
{
	int rc = s->ops->numbers_used(s, parent, out, n, err);
	if (rc == LT_OK && s->journal && (rc = lt__journal_numbers(s->journal, parent, out, n, err)) != LT_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int behind(struct lt_store *s, struct lt_err *err)
{
	int64_t mark, last;
	int rc = lt_store_journal_status(s, &mark, &last, err);
	if (rc || mark <= last)
		return rc;
	return lt_err_set(err, LT_ERULE,
			  "the registry is behind its issue journal %s: the journal records the change feed up to "
			  "seq %" PRId64 " but the database ends at seq %" PRId64
			  " (restored from an older backup?); codes issued since could be issued again, so no change "
			  "is taken until 'lienthong catch-up URL' copies the missing events from a mirror of this "
			  "registry",
			  lt__journal_path(s->journal), mark, last);
}

static int pend(struct lt_store *s, const char *code, struct lt_err *err)
{
	if (s->j_n == s->j_cap) {
		size_t cap = s->j_cap ? s->j_cap * 2 : 16;
		char(*v)[LT_CODE_BUFSZ] = realloc(s->j_codes, cap * sizeof *v);
		if (!v)
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		s->j_codes = v;
		s->j_cap = cap;
	}
	snprintf(s->j_codes[s->j_n++], LT_CODE_BUFSZ, "%s", code);
	return LT_OK;
}

/* One event, written by the backend's op for its kind: unit NULL, as it is;
 * else with the unit and actor as its data. */
static int append(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
		  struct lt_err *err)
{
	return u ? s->ops->event_append_unit(s, ev, u, actor, err) : s->ops->event_append(s, ev, err);
}

static int journaled_append(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
			    struct lt_err *err)
{
	if (!s->journal)
		return append(s, ev, u, actor, err);
	bool in_txn = tl_txn == s;
	int rc = LT_OK;
	if (!(in_txn && (s->replaying || s->j_checked)) && (rc = behind(s, err)))
		return rc;
	if (!in_txn) {
		/* A write of its own: claimed, written, then the seq reached. */
		const char(*one)[LT_CODE_BUFSZ] = (const char(*)[LT_CODE_BUFSZ]) & ev->code;
		if ((rc = lt__journal_claim(s->journal, one, 1, err)) || (rc = append(s, ev, u, actor, err)))
			return rc;
		record_reached(s);
		return LT_OK;
	}
	s->j_checked = true;
	if ((rc = pend(s, ev->code, err)))
		return rc;
	rc = append(s, ev, u, actor, err);
	if (rc == LT_OK)
		s->j_events = true;
	else
		s->j_n--;
	return rc;
}

int lt__sj_event_append(struct lt_store *s, struct lt_event *ev, struct lt_err *err)
{
	return journaled_append(s, ev, NULL, NULL, err);
}

int lt__sj_event_append_unit(struct lt_store *s, struct lt_event *ev, const struct lt_unit *u, const char *actor,
			     struct lt_err *err)
{
	return journaled_append(s, ev, u, actor, err);
}
