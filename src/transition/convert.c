/* The converter's core: the table of codes (the mapping's closed codes, and
 * every other code met, judged once through the registry), the token rule,
 * and the accounting. Occurrences that need a choice go to a spool file, so
 * a file with millions of them costs disk, not memory. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert_impl.h"
#include "util/grow.h"

int cbuf_put(struct cbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap < b->n + n + 1)
			ncap *= 2;
		char *p = realloc(b->p, ncap);
		if (!p)
			return LT_ENOMEM;
		b->p = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return LT_OK;
}

void cbuf_free(struct cbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

int lt_convert_format_parse(const char *text, enum lt_convert_format *out, struct lt_err *err)
{
	if (text && strcmp(text, "csv") == 0)
		*out = LT_CONVERT_CSV;
	else if (text && strcmp(text, "json") == 0)
		*out = LT_CONVERT_JSON;
	else if (text && strcmp(text, "xml") == 0)
		*out = LT_CONVERT_XML;
	else
		return lt_err_set(err, LT_EINVAL, "format '%.40s' is not one of csv, json, xml", text ? text : "");
	return LT_OK;
}

int lt_convert_format_guess(const char *path, enum lt_convert_format *out, struct lt_err *err)
{
	const char *dot = path ? strrchr(path, '.') : NULL;
	if (dot && strcasecmp(dot, ".csv") == 0)
		*out = LT_CONVERT_CSV;
	else if (dot && (strcasecmp(dot, ".json") == 0 || strcasecmp(dot, ".ndjson") == 0))
		*out = LT_CONVERT_JSON;
	else if (dot && (strcasecmp(dot, ".xml") == 0 || strcasecmp(dot, ".edxml") == 0))
		*out = LT_CONVERT_XML;
	else
		return lt_err_set(err, LT_EINVAL, "cannot tell the format of '%.200s' from its name: give --format",
				  path ? path : "-");
	return LT_OK;
}

/* ---- the token rule ---- */

static bool is_word(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static bool digits(const char *s, size_t len, size_t at, size_t n)
{
	if (at + n > len)
		return false;
	for (size_t k = 0; k < n; k++)
		if (s[at + k] < '0' || s[at + k] > '9')
			return false;
	return true;
}

/* The end of a code shaped token starting at i (NNN.NN[N].NN.XNN), or 0. */
static size_t code_shape(const char *s, size_t len, size_t i)
{
	size_t j = i;
	if (!digits(s, len, j, 3) || j + 3 >= len || s[j + 3] != '.')
		return 0;
	j += 4;
	size_t w = digits(s, len, j, 3) ? 3 : 2;
	if (!digits(s, len, j, w) || j + w >= len || s[j + w] != '.')
		return 0;
	j += w + 1;
	if (!digits(s, len, j, 2) || j + 2 >= len || s[j + 2] != '.')
		return 0;
	j += 3;
	if (j + 3 > len || s[j] < 'A' || s[j] > 'Z' || !digits(s, len, j + 1, 2))
		return 0;
	return j + 3;
}

int lt_convert_scan(const char *s, size_t len,
		    int (*cb)(void *ctx, size_t off, size_t n, const char canon[LT_CODE_BUFSZ]), void *ctx)
{
	size_t i = 0;
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];
		bool starts =
			ch >= '0' && ch <= '9' && (i == 0 || !(is_word((unsigned char)s[i - 1]) || s[i - 1] == '.'));
		if (!starts) {
			i++;
			continue;
		}
		size_t end = code_shape(s, len, i);
		bool alone = end &&
			     (end == len || (!is_word((unsigned char)s[end]) &&
					     !(s[end] == '.' && end + 1 < len && is_word((unsigned char)s[end + 1]))));
		struct lt_code code;
		if (alone && lt_code_parsen(&code, s + i, end - i, LT_CODE_LENIENT, NULL) == LT_OK) {
			char canon[LT_CODE_BUFSZ];
			if (code.quirks & LT_CODE_WIDE_L3) {
				if (code.l3 <= 99)
					code.quirks &= (uint8_t)~LT_CODE_WIDE_L3;
				lt_code_format(&code, canon);
			} else {
				/* What parses formats back to the same text: no need to. */
				memcpy(canon, s + i, end - i);
				canon[end - i] = '\0';
			}
			int rc = cb(ctx, i, end - i, canon);
			if (rc)
				return rc;
			i = end;
			continue;
		}
		/* Not a code: skip the whole token, so nothing inside it is one. */
		while (i < len && (is_word((unsigned char)s[i]) || s[i] == '.'))
			i++;
	}
	return 0;
}

/* ---- the table ---- */

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct entry *slot_for(struct lt_convert *c, const char *code)
{
	size_t i = (size_t)(hash(code) & (c->cap - 1));
	while (c->slots[i].used && strcmp(c->slots[i].code, code) != 0)
		i = (i + 1) & (c->cap - 1);
	return &c->slots[i];
}

static int table_grow(struct lt_convert *c)
{
	if ((c->used + 1) * 2 <= c->cap)
		return LT_OK;
	struct entry *old = c->slots;
	size_t ocap = c->cap;
	c->cap = ocap ? ocap * 2 : 1024;
	c->slots = calloc(c->cap, sizeof *c->slots);
	if (!c->slots) {
		c->slots = old;
		c->cap = ocap;
		return LT_ENOMEM;
	}
	for (size_t i = 0; i < ocap; i++)
		if (old[i].used)
			*slot_for(c, old[i].code) = old[i];
	free(old);
	return LT_OK;
}

/* The entry of code, made when missing (kind then ENTRY_ACTIVE). */
static int entry_get(struct lt_convert *c, const char *code, bool *fresh, struct entry **out)
{
	struct entry *e = slot_for(c, code);
	*fresh = !e->used;
	if (e->used) {
		*out = e;
		return LT_OK;
	}
	if (table_grow(c))
		return LT_ENOMEM;
	e = slot_for(c, code);
	memset(e, 0, sizeof *e);
	snprintf(e->code, sizeof e->code, "%s", code);
	e->used = true;
	e->kind = ENTRY_ACTIVE;
	c->used++;
	*out = e;
	return LT_OK;
}

static int add_target(struct entry *e, const char *code)
{
	char(*t)[LT_CODE_BUFSZ] = realloc(e->targets, (e->n_targets + 1) * sizeof *t);
	if (!t)
		return LT_ENOMEM;
	e->targets = t;
	snprintf(t[e->n_targets++], LT_CODE_BUFSZ, "%s", code);
	return LT_OK;
}

int lt_convert_new(struct lt_convert **out, const struct lt_map *m, const struct lt_convert_opts *o, struct lt_err *err)
{
	*out = NULL;
	struct lt_convert *c = calloc(1, sizeof *c);
	if (!c)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	c->o = *o;
	int rc = table_grow(c);
	for (size_t i = 0; i < m->n && rc == LT_OK; i++) {
		const struct lt_map_row *r = &m->rows[i];
		struct entry *e;
		bool fresh;
		if ((rc = entry_get(c, r->old_code, &fresh, &e)))
			break;
		if (!r->new_code[0]) {
			e->kind = ENTRY_NONE;
			continue;
		}
		if ((rc = add_target(e, r->new_code)))
			break;
		e->kind = e->n_targets > 1 ? ENTRY_SPLIT : ENTRY_MAPPED;
		snprintf(e->chosen, sizeof e->chosen, "%s", e->n_targets == 1 ? r->new_code : "");
	}
	if (rc == LT_OK && !(c->spool = tmpfile()))
		rc = lt_err_set(err, LT_EIO, "cannot create a temporary file for the report");
	if (rc) {
		lt_convert_free(c);
		return rc == LT_ENOMEM ? lt_err_set(err, LT_ENOMEM, "out of memory") : rc;
	}
	*out = c;
	return LT_OK;
}

void lt_convert_free(struct lt_convert *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].targets);
	free(c->slots);
	if (c->spool)
		fclose(c->spool);
	cbuf_free(&c->out);
	free(c);
}

int lt_convert_choose(struct lt_convert *c, const char *old_code, const char *new_code, struct lt_err *err)
{
	struct lt_code a, b;
	char oc[LT_CODE_BUFSZ], nc[LT_CODE_BUFSZ];
	if (lt_code_parse(&a, old_code, LT_CODE_LENIENT, err))
		return lt_err_prefix(err, "--choose %s: ", old_code);
	if (lt_code_parse(&b, new_code, LT_CODE_LENIENT, err))
		return lt_err_prefix(err, "--choose %s=%s: ", old_code, new_code);
	lt_code_format(&a, oc);
	lt_code_format(&b, nc);
	struct entry *e = slot_for(c, oc);
	if (!e->used || (e->kind != ENTRY_SPLIT && e->kind != ENTRY_NONE && e->kind != ENTRY_MAPPED))
		return lt_err_set(err, LT_EINVAL, "--choose %s: %s is not a closed code of this mapping", oc, oc);
	if (e->kind == ENTRY_NONE) {
		bool known = false;
		int rc = c->o.known ? c->o.known(c->o.known_ctx, nc, &known) : LT_OK;
		if (rc)
			return lt_err_set(err, rc, "--choose %s=%s: looking %s up failed", oc, nc, nc);
		if (!known)
			return lt_err_set(err, LT_EINVAL, "--choose %s=%s: %s is not an active unit of the registry",
					  oc, nc, nc);
	} else {
		bool among = false;
		for (size_t i = 0; i < e->n_targets && !among; i++)
			among = strcmp(e->targets[i], nc) == 0;
		if (!among)
			return lt_err_set(err, LT_EINVAL,
					  "--choose %s=%s: %s is not one of the current successors of %s", oc, nc, nc,
					  oc);
	}
	snprintf(e->chosen, sizeof e->chosen, "%s", nc);
	return LT_OK;
}

/* ---- rewriting one piece of text ---- */

struct text_ctx {
	struct lt_convert *c;
	const char *text;
	size_t copied; /* text[0..copied) is in c->out */
	bool changed;
	loc_fn where;
	void *where_ctx;
};

static json_t *entry_candidates(const struct entry *e)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < e->n_targets; i++)
		json_array_append_new(a, json_string(e->targets[i]));
	return a;
}

static int spool_unresolved(struct text_ctx *t, const struct entry *e)
{
	json_t *o = json_pack("{s:s,s:s,s:o}", "code", e->code, "reason",
			      e->kind == ENTRY_SPLIT ? "split" : "no_successor", "candidates", entry_candidates(e));
	if (!o)
		return LT_ENOMEM;
	int rc = t->where ? t->where(t->where_ctx, o) : LT_OK;
	if (rc == LT_OK && (json_dumpf(o, t->c->spool, JSON_COMPACT) || fputc('\n', t->c->spool) == EOF))
		rc = LT_EIO;
	json_decref(o);
	return rc;
}

static int on_code(void *ctx, size_t off, size_t n, const char canon[LT_CODE_BUFSZ])
{
	struct text_ctx *t = ctx;
	struct lt_convert *c = t->c;
	struct entry *e;
	bool fresh;
	int rc = entry_get(c, canon, &fresh, &e);
	if (rc)
		return rc;
	if (fresh && c->o.known) {
		bool known = false;
		if ((rc = c->o.known(c->o.known_ctx, canon, &known)))
			return rc;
		e->kind = known ? ENTRY_ACTIVE : ENTRY_UNKNOWN;
	}
	e->count++;
	if (e->kind == ENTRY_ACTIVE)
		return LT_OK;
	if (e->kind == ENTRY_UNKNOWN) {
		c->counts.unknown++;
		return LT_OK;
	}
	c->counts.occurrences++;
	if (!e->chosen[0]) {
		c->counts.unresolved++;
		return spool_unresolved(t, e);
	}
	if ((rc = cbuf_put(&c->out, t->text + t->copied, off - t->copied)) ||
	    (rc = cbuf_put(&c->out, e->chosen, strlen(e->chosen))))
		return rc;
	t->copied = off + n;
	t->changed = true;
	e->converted++;
	c->counts.converted++;
	return LT_OK;
}

int conv_text(struct lt_convert *c, const char *text, size_t len, bool *changed, loc_fn where, void *where_ctx)
{
	c->out.n = 0;
	struct text_ctx t = {c, text, 0, false, where, where_ctx};
	int rc = lt_convert_scan(text, len, on_code, &t);
	if (rc == LT_OK && t.changed)
		rc = cbuf_put(&c->out, text + t.copied, len - t.copied);
	*changed = t.changed;
	return rc;
}

/* ---- running and reporting ---- */

int lt_convert_run(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err)
{
	int rc;
	c->err = err;
	switch (c->o.format) {
	case LT_CONVERT_CSV:
		rc = conv_run_csv(c, in, out, err);
		break;
	case LT_CONVERT_JSON:
		rc = conv_run_json(c, in, out, err);
		break;
	default:
		rc = conv_run_xml(c, in, out, err);
		break;
	}
	if (rc == LT_OK && (fflush(out) || ferror(out)))
		rc = lt_err_set(err, LT_EIO, "writing the converted file failed");
	if (rc == LT_ENOMEM)
		lt_err_set(err, LT_ENOMEM, "out of memory");
	else if (rc && err && err->status == LT_OK)
		lt_err_set(err, rc, "%s", rc == LT_EIO ? "writing the report's spool failed" : lt_strerror(rc));
	return rc;
}

void lt_convert_counts(const struct lt_convert *c, struct lt_convert_counts *out) { *out = c->counts; }

int lt_convert_each_unresolved(struct lt_convert *c, size_t limit, int (*cb)(void *ctx, const json_t *item), void *ctx,
			       struct lt_err *err)
{
	if (fflush(c->spool) || fseek(c->spool, 0, SEEK_SET))
		return lt_err_set(err, LT_EIO, "reading the report's spool failed");
	int rc = LT_OK;
	size_t n = 0;
	while (rc == LT_OK && (!limit || n < limit)) {
		json_error_t je;
		json_t *o = json_loadf(c->spool, JSON_DISABLE_EOF_CHECK, &je);
		if (!o)
			break;
		rc = cb(ctx, o);
		json_decref(o);
		n++;
	}
	fseek(c->spool, 0, SEEK_END);
	return rc;
}

static const char *format_name(enum lt_convert_format f)
{
	return f == LT_CONVERT_CSV ? "csv" : f == LT_CONVERT_JSON ? "json" : "xml";
}

static json_t *codes_json(const struct lt_convert *c, json_t **unknown)
{
	json_t *codes = json_object();
	*unknown = json_object();
	for (size_t i = 0; i < c->cap; i++) {
		const struct entry *e = &c->slots[i];
		if (!e->used || !e->count || e->kind == ENTRY_ACTIVE)
			continue;
		if (e->kind == ENTRY_UNKNOWN) {
			json_object_set_new(*unknown, e->code, json_integer((json_int_t)e->count));
			continue;
		}
		json_t *o =
			json_pack("{s:I,s:I}", "count", (json_int_t)e->count, "converted", (json_int_t)e->converted);
		if (e->chosen[0])
			json_object_set_new(o, "to", json_string(e->chosen));
		if (e->kind != ENTRY_MAPPED) {
			json_object_set_new(o, "candidates", entry_candidates(e));
			json_object_set_new(o, "reason",
					    json_string(e->kind == ENTRY_SPLIT ? "split" : "no_successor"));
		}
		json_object_set_new(codes, e->code, o);
	}
	return codes;
}

struct item_writer {
	FILE *out;
	size_t n;
};

static int write_next(void *ctx, const json_t *item)
{
	struct item_writer *w = ctx;
	fputs(w->n++ ? ",\n    " : "\n    ", w->out);
	return json_dumpf(item, w->out, JSON_COMPACT | JSON_SORT_KEYS) ? LT_EIO : LT_OK;
}

int lt_convert_report_write(struct lt_convert *c, FILE *out, struct lt_err *err)
{
	json_t *unknown;
	json_t *codes = codes_json(c, &unknown);
	json_t *head = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b}", "input", c->o.input_name ? c->o.input_name : "-",
				 "format", format_name(c->o.format), "occurrences", (json_int_t)c->counts.occurrences,
				 "converted", (json_int_t)c->counts.converted, "unresolved",
				 (json_int_t)c->counts.unresolved, "unknown_occurrences", (json_int_t)c->counts.unknown,
				 "signature_removed", c->counts.signature_removed);
	if (!codes || !unknown || !head) {
		json_decref(codes);
		json_decref(unknown);
		json_decref(head);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	json_object_set_new(head, "codes", codes);
	json_object_set_new(head, "unknown", unknown);
	/* The head's text without its closing brace, then the spooled items. */
	char *text = json_dumps(head, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(head);
	if (!text)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	char *close = strrchr(text, '}');
	while (close > text && (close[-1] == '\n' || close[-1] == ' '))
		close--;
	*close = '\0';
	fprintf(out, "%s,\n  \"ambiguous\": [", text);
	free(text);
	struct item_writer w = {out, 0};
	int rc = lt_convert_each_unresolved(c, 0, write_next, &w, err);
	fputs(w.n ? "\n  ]\n}\n" : "]\n}\n", out);
	if (rc == LT_OK && (fflush(out) || ferror(out)))
		rc = lt_err_set(err, LT_EIO, "writing the report failed");
	return rc;
}

int lt_convert_each_code(const struct lt_convert *c, int (*cb)(void *ctx, const char *code, uint64_t count), void *ctx)
{
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->slots[i].used || !c->slots[i].count)
			continue;
		int rc = cb(ctx, c->slots[i].code, c->slots[i].count);
		if (rc)
			return rc;
	}
	return LT_OK;
}
