/* JSON through yajl, event by event (jansson would load the whole document):
 * every string, member names included, is rewritten and the document
 * written back by yajl's generator, numbers as their original text. Several
 * documents in a row (JSON lines) are taken and kept one per line. The
 * location of a string is its JSON pointer (RFC 6901), kept as a stack of
 * member names and array indexes. */
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "convert_impl.h"

struct frame {
	bool array;
	size_t index;    /* array: the element being read */
	struct cbuf key; /* object: the member being read */
};

struct json_run {
	struct lt_convert *c;
	yajl_gen g;
	FILE *out;
	struct frame *stack;
	size_t depth, cap;
	const char *key_pending; /* a member name's own location is its member */
	int rc;
};

static void print(void *ctx, const char *s, size_t len) { fwrite(s, 1, len, ctx); }

static void pointer_part(struct cbuf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '~')
			cbuf_put(b, "~0", 2);
		else if (s[i] == '/')
			cbuf_put(b, "~1", 2);
		else
			cbuf_put(b, s + i, 1);
	}
}

static int where(void *ctx, json_t *loc)
{
	const struct json_run *r = ctx;
	struct cbuf b = {0};
	cbuf_put(&b, "", 0);
	for (size_t i = 0; i < r->depth; i++) {
		const struct frame *f = &r->stack[i];
		cbuf_put(&b, "/", 1);
		if (f->array) {
			char num[24];
			int n = snprintf(num, sizeof num, "%zu", f->index);
			cbuf_put(&b, num, (size_t)n);
		} else {
			pointer_part(&b, f->key.p ? f->key.p : "", f->key.n);
		}
	}
	int rc = b.p ? LT_OK : LT_ENOMEM;
	if (rc == LT_OK)
		json_object_set_new(loc, "pointer", json_string(b.p));
	if (rc == LT_OK && r->key_pending)
		json_object_set_new(loc, "in", json_string("member name"));
	cbuf_free(&b);
	return rc;
}

static int check_gen(struct json_run *r, yajl_gen_status st)
{
	if (st != yajl_gen_status_ok && r->rc == LT_OK)
		r->rc = st == yajl_max_depth_exceeded ? LT_ETOOBIG : LT_EINVAL;
	return r->rc == LT_OK;
}

/* After a whole value: the next array element, or the next document. */
static int value_done(struct json_run *r)
{
	if (r->depth && r->stack[r->depth - 1].array)
		r->stack[r->depth - 1].index++;
	if (r->depth == 0)
		yajl_gen_reset(r->g, "\n"); /* printed at once: each document ends its line */
	return r->rc == LT_OK;
}

static int on_null(void *ctx)
{
	struct json_run *r = ctx;
	return check_gen(r, yajl_gen_null(r->g)) && value_done(r);
}

static int on_bool(void *ctx, int b)
{
	struct json_run *r = ctx;
	return check_gen(r, yajl_gen_bool(r->g, b)) && value_done(r);
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct json_run *r = ctx;
	return check_gen(r, yajl_gen_number(r->g, s, len)) && value_done(r);
}

static int gen_text(struct json_run *r, const unsigned char *s, size_t len)
{
	bool changed;
	if ((r->rc = conv_text(r->c, (const char *)s, len, &changed, where, r)))
		return 0;
	if (changed)
		return check_gen(r, yajl_gen_string(r->g, (const unsigned char *)r->c->out.p, r->c->out.n));
	return check_gen(r, yajl_gen_string(r->g, s, len));
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct json_run *r = ctx;
	return gen_text(r, s, len) && value_done(r);
}

static int push(struct json_run *r, bool array)
{
	if (r->depth == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		struct frame *p = realloc(r->stack, ncap * sizeof *p);
		if (!p) {
			r->rc = LT_ENOMEM;
			return 0;
		}
		memset(p + r->cap, 0, (ncap - r->cap) * sizeof *p);
		r->stack = p;
		r->cap = ncap;
	}
	struct frame *f = &r->stack[r->depth++];
	f->array = array;
	f->index = 0;
	f->key.n = 0;
	return 1;
}

static int on_start_map(void *ctx)
{
	struct json_run *r = ctx;
	return check_gen(r, yajl_gen_map_open(r->g)) && push(r, false);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct json_run *r = ctx;
	struct frame *f = &r->stack[r->depth - 1];
	f->key.n = 0;
	if (cbuf_put(&f->key, (const char *)s, len)) {
		r->rc = LT_ENOMEM;
		return 0;
	}
	r->key_pending = "";
	int ok = gen_text(r, s, len);
	r->key_pending = NULL;
	return ok;
}

static int on_end_map(void *ctx)
{
	struct json_run *r = ctx;
	r->depth--;
	return check_gen(r, yajl_gen_map_close(r->g)) && value_done(r);
}

static int on_start_array(void *ctx)
{
	struct json_run *r = ctx;
	return check_gen(r, yajl_gen_array_open(r->g)) && push(r, true);
}

static int on_end_array(void *ctx)
{
	struct json_run *r = ctx;
	r->depth--;
	return check_gen(r, yajl_gen_array_close(r->g)) && value_done(r);
}

static const yajl_callbacks callbacks = {
	on_null,      on_bool, NULL,       NULL,           on_number,    on_string,
	on_start_map, on_key,  on_end_map, on_start_array, on_end_array,
};

static int parse_error(yajl_handle h, const unsigned char *buf, size_t n, struct lt_err *err)
{
	unsigned char *msg = yajl_get_error(h, 0, buf, n);
	size_t len = msg ? strlen((const char *)msg) : 0;
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	int rc = lt_err_set(err, LT_EINVAL, "JSON syntax error: %s", msg ? (const char *)msg : "unknown");
	if (msg)
		yajl_free_error(h, msg);
	return rc;
}

int conv_run_json(struct lt_convert *c, FILE *in, FILE *out, struct lt_err *err)
{
	struct json_run r = {.c = c, .out = out};
	r.g = yajl_gen_alloc(NULL);
	yajl_handle h = r.g ? yajl_alloc(&callbacks, NULL, &r) : NULL;
	if (!h) {
		if (r.g)
			yajl_gen_free(r.g);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	yajl_gen_config(r.g, yajl_gen_print_callback, print, (void *)out);
	yajl_config(h, yajl_allow_multiple_values, 1);
	unsigned char buf[65536];
	size_t n;
	int rc = LT_OK;
	yajl_status st = yajl_status_ok;
	while (rc == LT_OK && (n = fread(buf, 1, sizeof buf, in)) > 0) {
		st = yajl_parse(h, buf, n);
		if (st == yajl_status_error)
			rc = parse_error(h, buf, n, err);
		else if (st == yajl_status_client_canceled)
			rc = r.rc ? r.rc : LT_EINVAL;
	}
	if (rc == LT_OK && ferror(in))
		rc = lt_err_set(err, LT_EIO, "reading the input failed");
	if (rc == LT_OK) {
		st = yajl_complete_parse(h);
		if (st == yajl_status_error)
			rc = parse_error(h, NULL, 0, err);
		else if (st == yajl_status_client_canceled)
			rc = r.rc ? r.rc : LT_EINVAL;
	}
	if (rc == LT_ETOOBIG)
		rc = lt_err_set(err, LT_EINVAL, "the JSON document nests deeper than 128 levels");
	else if (rc == LT_EINVAL && err && err->status == LT_OK)
		rc = lt_err_set(err, LT_EINVAL, "the JSON document cannot be written back");
	yajl_free(h);
	yajl_gen_free(r.g);
	for (size_t i = 0; i < r.cap; i++)
		cbuf_free(&r.stack[i].key);
	free(r.stack);
	return rc;
}
