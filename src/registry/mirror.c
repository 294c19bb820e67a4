/* The read-only mirror of the upstream's catalogue (design.md §10): loaded
 * from a snapshot, then kept by the change feed from the seq it was taken
 * at. Every reply is verified against the upstream's public key before a
 * byte of it is used; a refused or unreachable upstream leaves the last good
 * copy in place and says why in the federation state, which /healthz reads.
 * Units inside local_scope are this hub's own and are never taken from the
 * mirror. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lienthong/access.h"
#include "lienthong/store_catalogue.h"
#include "registry_impl.h"

#define K_SEQ "mirror.seq"
#define K_SYNCED "mirror.synced_at"
#define K_REFUSED "mirror.refused"
#define K_UNREACHABLE "mirror.unreachable"

int lt_registry_set_local_scope(struct lt_registry *r, const char *scope, struct lt_err *err)
{
	r->n_scope = 0;
	const char *p = scope ? scope : "";
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n) {
			char text[64];
			struct lt_code c;
			snprintf(text, sizeof text, "%.*s", (int)(n < 63 ? n : 63), p);
			if (lt_code_parse(&c, text, LT_CODE_STRICT, err) != LT_OK)
				return lt_err_prefix(err, "local_scope: ");
			if (r->n_scope == LT_SCOPE_MAX)
				return lt_err_set(err, LT_EINVAL, "local_scope: more than %d subtree roots",
						  LT_SCOPE_MAX);
			lt_code_format(&c, r->scope[r->n_scope++]);
		}
		p += n;
		p += strspn(p, ", ");
	}
	return LT_OK;
}

bool lt_registry_in_scope(struct lt_registry *r, const char *code)
{
	if (!r->n_scope)
		return true;
	struct lt_code c, root;
	if (lt_code_parse(&c, code, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) != LT_OK)
		return false;
	for (size_t i = 0; i < r->n_scope; i++)
		if (lt_code_parse(&root, r->scope[i], LT_CODE_STRICT, NULL) == LT_OK &&
		    (lt_code_equal(&root, &c) || lt_code_is_ancestor(&root, &c)))
			return true;
	return false;
}

static int add_codes(json_t *arr, struct lt_codelist *l)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (json_is_string(v) && !lt_codelist_has(l, json_string_value(v)))
	{
		if (lt_codelist_add(l, json_string_value(v)))
			return LT_ENOMEM;
	}
	return LT_OK;
}

int lt_mirror_unit_json(struct lt_registry *r, const char *code, json_t **out, struct lt_err *err)
{
	*out = NULL;
	char *text = NULL;
	int rc = lt_store_mirror_get(r->store, code, &text, err);
	if (rc)
		return rc;
	*out = json_loads(text, 0, NULL);
	free(text);
	return *out ? LT_OK : lt_err_set(err, LT_EIO, "the mirror's copy of %s is damaged", code);
}

int lt__mirror_unit(struct lt_registry *r, const char *code, struct lt_unit *out, struct lt_codelist *successors,
		    struct lt_codelist *predecessors, struct lt_err *err)
{
	if (lt_registry_in_scope(r, code))
		return LT_ENOTFOUND;
	json_t *o = NULL;
	int rc = lt_mirror_unit_json(r, code, &o, err);
	if (rc)
		return rc;
	if (lt_unit_from_json(o, out) != LT_OK)
		rc = lt_err_set(err, LT_EIO, "the mirror's copy of %s is damaged", code);
	if (rc == LT_OK && successors)
		rc = add_codes(json_object_get(o, "successors"), successors);
	if (rc == LT_OK && predecessors)
		rc = add_codes(json_object_get(o, "predecessors"), predecessors);
	json_decref(o);
	return rc == LT_ENOMEM ? lt_err_set(err, LT_ENOMEM, "out of memory") : rc;
}

/* Unit objects and feed items both carry a unit whose code must be a code
 * and whose fields must pass the checks this registry's own writes pass:
 * what the mirror stores is served to this hub's clients. */
static int check_unit(json_t *uo, const char *where, struct lt_unit *u, struct lt_err *err)
{
	struct lt_code c;
	char canon[LT_CODE_BUFSZ];
	if (lt_unit_from_json(uo, u) != LT_OK ||
	    lt_code_parse(&c, u->code, LT_CODE_LENIENT | LT_CODE_SYSTEM, NULL) != LT_OK ||
	    strcmp(lt_code_format(&c, canon), u->code) != 0 || u->level != lt_code_level(&c))
		return lt_err_set(err, LT_EINVAL, "%s is not a unit object with a canonical code and its level", where);
	if (lt__name_check(u->name, err) || lt__contact_check(&u->contact, err))
		return lt_err_prefix(err, "%s (%s): ", where, u->code);
	return LT_OK;
}

/* The object the mirror keeps: the unit with its lineage, kept lists
 * merged with what an earlier event recorded. */
static int put_unit(struct lt_registry *r, const struct lt_unit *u, json_t *succ, json_t *pred, bool merge,
		    struct lt_err *err)
{
	struct lt_codelist s = {0}, p = {0};
	int rc = LT_OK;
	if (merge) {
		struct lt_unit old;
		rc = lt__mirror_unit(r, u->code, &old, &s, &p, err);
		if (rc == LT_ENOTFOUND)
			rc = LT_OK;
	}
	if (rc == LT_OK && (add_codes(succ, &s) || add_codes(pred, &p)))
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	json_t *o = rc ? NULL : lt_unit_to_json(u, &s, &p);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (rc == LT_OK && !text)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK)
		rc = lt_store_mirror_put(r->store, u->code, u->parent,
					 u->status == LT_UNIT_CLOSED ? "closed" : "active", text, err);
	free(text);
	json_decref(o);
	lt_codelist_free(&s);
	lt_codelist_free(&p);
	return rc;
}

static int set_int(struct lt_registry *r, const char *key, int64_t v, struct lt_err *err)
{
	char text[24];
	snprintf(text, sizeof text, "%lld", (long long)v);
	return lt_store_fed_set(r->store, key, text, err);
}

/* A good reply: the time it came and no refusal standing. */
static int mark_good(struct lt_registry *r, struct lt_err *err)
{
	char now[32];
	lt_time_now(now);
	int rc = lt_store_fed_set(r->store, K_SYNCED, now, err);
	if (rc == LT_OK)
		rc = lt_store_fed_set(r->store, K_REFUSED, "", err);
	if (rc == LT_OK)
		rc = lt_store_fed_set(r->store, K_UNREACHABLE, "", err);
	return rc;
}

/* The refusal is kept (outside the refused transaction) for the health
 * page, and returned as it was. */
static int refuse(struct lt_registry *r, int rc, struct lt_err *err)
{
	char why[LT_ERR_MSG_MAX + 32];
	snprintf(why, sizeof why, "%s", err->msg);
	struct lt_err ignored = {0};
	lt_store_fed_set(r->store, K_REFUSED, why, &ignored);
	return rc;
}

static int verify(struct lt_registry *r, const char *what, const char *body, size_t len, const char *sig,
		  const char *pub, struct lt_err *err)
{
	if (!pub || !*pub)
		return LT_OK;
	int rc = lt_catkey_verify(pub, body, len, sig, err);
	if (rc)
		return refuse(r, lt_err_prefix(err, "%s refused: ", what), err);
	return LT_OK;
}

int lt_mirror_load_snapshot(struct lt_registry *r, const struct lt_ctx *ctx, const char *body, size_t len,
			    const char *sig, const char *pub, struct lt_err *err)
{
	int rc = lt_access_admin(&ctx->who, err);
	if (rc || (rc = verify(r, "the upstream's snapshot", body, len, sig, pub, err)))
		return rc;
	json_error_t je;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	json_t *units = json_object_get(doc, "units");
	json_int_t seq = json_integer_value(json_object_get(doc, "seq"));
	if (!json_is_array(units) || !json_is_integer(json_object_get(doc, "seq")) || seq < 0) {
		json_decref(doc);
		lt_err_set(err, LT_EINVAL, "the upstream's snapshot refused: it is not {\"seq\":N,\"units\":[…]}");
		return refuse(r, LT_EINVAL, err);
	}
	if ((rc = lt_store_begin(r->store, err))) {
		json_decref(doc);
		return rc;
	}
	rc = lt_store_mirror_clear(r->store, err);
	size_t i;
	json_t *uo;
	json_array_foreach(units, i, uo)
	{
		if (rc)
			break;
		struct lt_unit u;
		char where[64];
		snprintf(where, sizeof where, "unit %zu of the snapshot", i + 1);
		if ((rc = check_unit(uo, where, &u, err)) == LT_OK && !lt_registry_in_scope(r, u.code))
			rc = put_unit(r, &u, json_object_get(uo, "successors"), json_object_get(uo, "predecessors"),
				      false, err);
	}
	if (rc == LT_OK)
		rc = set_int(r, K_SEQ, seq, err);
	if (rc == LT_OK)
		rc = mark_good(r, err);
	json_decref(doc);
	bool refused = rc == LT_EINVAL;
	LT_TXN_END(r, rc, err);
	return refused ? refuse(r, lt_err_prefix(err, "the upstream's snapshot refused: "), err) : rc;
}

static int get_int(struct lt_registry *r, const char *key, int64_t *v, struct lt_err *err)
{
	char *text = NULL;
	*v = 0;
	int rc = lt_store_fed_get(r->store, key, &text, err);
	if (rc == LT_ENOTFOUND)
		return LT_OK;
	if (rc == LT_OK)
		*v = strtoll(text, NULL, 10);
	free(text);
	return rc;
}

int lt_mirror_apply_page(struct lt_registry *r, const struct lt_ctx *ctx, const char *body, size_t len, const char *sig,
			 const char *pub, int64_t *applied, int64_t *upstream_last, struct lt_err *err)
{
	*applied = 0;
	*upstream_last = 0;
	int rc = lt_access_admin(&ctx->who, err);
	if (rc || (rc = verify(r, "the upstream's change feed", body, len, sig, pub, err)))
		return rc;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *items = json_object_get(doc, "items");
	if (!json_is_array(items) || !json_is_integer(json_object_get(doc, "last_seq"))) {
		json_decref(doc);
		lt_err_set(err, LT_EINVAL,
			   "the upstream's change feed refused: the page is not {\"items\":[…],\"last_seq\":N}");
		return refuse(r, LT_EINVAL, err);
	}
	*upstream_last = json_integer_value(json_object_get(doc, "last_seq"));
	if ((rc = lt_store_begin(r->store, err))) {
		json_decref(doc);
		return rc;
	}
	int64_t pos = 0;
	rc = get_int(r, K_SEQ, &pos, err);
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		if (rc)
			break;
		json_int_t seq = json_integer_value(json_object_get(item, "seq"));
		if (seq <= pos)
			continue; /* an older page again: nothing new in it */
		if (seq != pos + 1) {
			rc = lt_err_set(err, LT_EINVAL,
					"the page jumps from seq %lld to %lld: a change feed is gap-free",
					(long long)pos, (long long)seq);
			break;
		}
		struct lt_unit u;
		char where[64];
		snprintf(where, sizeof where, "the unit of event %lld", (long long)seq);
		const char *code = json_string_value(json_object_get(item, "code"));
		if ((rc = check_unit(json_object_get(item, "unit"), where, &u, err)))
			break;
		if (!code || strcmp(code, u.code) != 0) {
			rc = lt_err_set(err, LT_EINVAL, "event %lld names %s but carries the unit %s", (long long)seq,
					code ? code : "no code", u.code);
			break;
		}
		if (!lt_registry_in_scope(r, u.code))
			rc = put_unit(r, &u, json_object_get(item, "successors"), json_object_get(item, "predecessors"),
				      true, err);
		pos = seq;
		(*applied)++;
	}
	if (rc == LT_OK)
		rc = set_int(r, K_SEQ, pos, err);
	if (rc == LT_OK)
		rc = mark_good(r, err);
	json_decref(doc);
	bool refused = rc == LT_EINVAL;
	LT_TXN_END(r, rc, err);
	if (rc)
		*applied = 0;
	return refused ? refuse(r, lt_err_prefix(err, "the upstream's change feed refused: "), err) : rc;
}

int lt_mirror_note_unreachable(struct lt_registry *r, const struct lt_ctx *ctx, const char *why, struct lt_err *err)
{
	int rc = lt_access_admin(&ctx->who, err);
	return rc ? rc : lt_store_fed_set(r->store, K_UNREACHABLE, why && *why ? why : "unreachable", err);
}

static int get_text(struct lt_registry *r, const char *key, char *out, size_t n, struct lt_err *err)
{
	char *text = NULL;
	out[0] = '\0';
	int rc = lt_store_fed_get(r->store, key, &text, err);
	if (rc == LT_ENOTFOUND)
		return LT_OK;
	if (rc == LT_OK)
		snprintf(out, n, "%s", text);
	free(text);
	return rc;
}

/* "YYYY-MM-DDTHH:MM:SSZ" → seconds since the epoch; -1 when it is not one. */
static time_t utc_seconds(const char *at)
{
	struct tm tm = {0};
	const char *end = strptime(at, "%Y-%m-%dT%H:%M:%S", &tm);
	return end ? timegm(&tm) : (time_t)-1;
}

int lt_mirror_status(struct lt_registry *r, struct lt_mirror_status *st, struct lt_err *err)
{
	memset(st, 0, sizeof *st);
	st->age_seconds = -1;
	int rc = get_int(r, K_SEQ, &st->last_seq, err);
	if (rc == LT_OK)
		rc = lt_store_mirror_count(r->store, &st->units, err);
	if (rc == LT_OK)
		rc = get_text(r, K_SYNCED, st->synced_at, sizeof st->synced_at, err);
	if (rc == LT_OK)
		rc = get_text(r, K_REFUSED, st->refused, sizeof st->refused, err);
	if (rc == LT_OK)
		rc = get_text(r, K_UNREACHABLE, st->unreachable, sizeof st->unreachable, err);
	time_t at = st->synced_at[0] ? utc_seconds(st->synced_at) : (time_t)-1;
	if (at != (time_t)-1) {
		time_t now = time(NULL);
		st->age_seconds = now > at ? (int64_t)(now - at) : 0;
	}
	return rc;
}

/* One getAgenciesList item as a unit: the VXP list carries code, pid,
 * name, mail and the QCVN 102 code it replaced (oldCode). */
static int agency_unit(json_t *item, size_t i, struct lt_unit *u, struct lt_err *err)
{
	memset(u, 0, sizeof *u);
	const char *code = json_string_value(json_object_get(item, "code"));
	const char *name = json_string_value(json_object_get(item, "name"));
	const char *mail = json_string_value(json_object_get(item, "mail"));
	struct lt_code c, p;
	if (!code || lt_code_parse(&c, code, LT_CODE_LENIENT, NULL) != LT_OK)
		return lt_err_set(err, LT_EINVAL, "agency %zu of the list has no code", i + 1);
	lt_code_format(&c, u->code);
	u->level = lt_code_level(&c);
	if (u->level > 1 && lt_code_parent(&c, &p) == LT_OK)
		lt_code_format(&p, u->parent);
	snprintf(u->name, sizeof u->name, "%s", name ? name : "");
	if (lt__name_check(u->name, err))
		return lt_err_prefix(err, "agency %s of the list: ", u->code);
	/* A mail the registry would not take is left out, not the agency. */
	snprintf(u->contact.email, sizeof u->contact.email, "%s", mail ? mail : "");
	if (lt__contact_check(&u->contact, NULL))
		u->contact.email[0] = '\0';
	u->status = LT_UNIT_ACTIVE;
	u->version = 1;
	return LT_OK;
}

int lt_mirror_load_agencies(struct lt_registry *r, const struct lt_ctx *ctx, const json_t *data, struct lt_err *err)
{
	int rc = lt_access_admin(&ctx->who, err);
	if (rc)
		return rc;
	if (!json_is_array(data)) {
		lt_err_set(err, LT_EINVAL, "the upstream's agency list refused: it is not an array");
		return refuse(r, LT_EINVAL, err);
	}
	if ((rc = lt_store_begin(r->store, err)))
		return rc;
	rc = lt_store_mirror_clear(r->store, err);
	json_t *old_codes = json_object(); /* old code → the code that replaced it */
	size_t i;
	json_t *item;
	json_array_foreach(data, i, item)
	{
		if (rc)
			break;
		struct lt_unit u;
		if ((rc = agency_unit(item, i, &u, err)) || lt_registry_in_scope(r, u.code))
			continue;
		json_t *pred = json_array();
		const char *old = json_string_value(json_object_get(item, "oldCode"));
		struct lt_code oc;
		char canon[LT_CODE_BUFSZ];
		if (old && *old && lt_code_parse(&oc, old, LT_CODE_LENIENT, NULL) == LT_OK &&
		    strcmp(lt_code_format(&oc, canon), u.code) != 0) {
			json_array_append_new(pred, json_string(canon));
			json_object_set_new(old_codes, canon, json_string(u.code));
		}
		rc = put_unit(r, &u, NULL, pred, false, err);
		json_decref(pred);
	}
	/* An old code the list names, and does not hold itself, resolves to
	 * the agency that replaced it. */
	const char *old;
	json_t *succ;
	json_object_foreach(old_codes, old, succ)
	{
		struct lt_unit u, have;
		struct lt_code c, p;
		if (rc || lt_registry_in_scope(r, old) || lt__mirror_unit(r, old, &have, NULL, NULL, NULL) == LT_OK)
			continue;
		memset(&u, 0, sizeof u);
		if (lt_code_parse(&c, old, LT_CODE_LENIENT, NULL) != LT_OK)
			continue;
		lt_code_format(&c, u.code);
		u.level = lt_code_level(&c);
		if (u.level > 1 && lt_code_parent(&c, &p) == LT_OK)
			lt_code_format(&p, u.parent);
		snprintf(u.name, sizeof u.name, "%s", u.code);
		u.status = LT_UNIT_CLOSED;
		u.version = 1;
		json_t *s = json_pack("[O]", succ);
		rc = put_unit(r, &u, s, NULL, false, err);
		json_decref(s);
	}
	json_decref(old_codes);
	if (rc == LT_OK)
		rc = set_int(r, K_SEQ, 0, err);
	if (rc == LT_OK)
		rc = mark_good(r, err);
	bool refused = rc == LT_EINVAL;
	LT_TXN_END(r, rc, err);
	return refused ? refuse(r, lt_err_prefix(err, "the upstream's agency list refused: "), err) : rc;
}
