/* A closed code typed into search is someone holding an old letter or an
 * old database row: show them that unit and where its work went, instead of
 * "no unit found" under the default filter of active units. */
#include <string.h>

#include "lienthong/transition_map.h"

int lt_transition_search_land(struct lt_registry *r, const char *q, lt_unit_cb cb, void *ctx,
			      struct lt_codelist *current, bool *landed, struct lt_err *err)
{
	*landed = false;
	if (!q)
		return LT_OK;
	while (*q == ' ')
		q++;
	size_t len = strlen(q);
	while (len && q[len - 1] == ' ')
		len--;
	struct lt_code code;
	if (lt_code_parsen(&code, q, len, LT_CODE_LENIENT, NULL) || code.ngroups != 4)
		return LT_OK;
	if (code.quirks & LT_CODE_WIDE_L3 && code.l3 <= 99)
		code.quirks &= (uint8_t)~LT_CODE_WIDE_L3;
	char canon[LT_CODE_BUFSZ];
	lt_code_format(&code, canon);
	struct lt_unit u;
	int rc = lt_registry_get(r, canon, NULL, &u, err);
	if (rc == LT_ENOTFOUND) {
		lt_err_clear(err);
		return LT_OK;
	}
	if (rc || u.status != LT_UNIT_CLOSED)
		return rc;
	struct lt_codelist cur = {0};
	if ((rc = lt_registry_resolve(r, canon, &cur, err)))
		return rc;
	*landed = true;
	rc = cb(ctx, &u);
	for (size_t i = 0; i < cur.n && rc == LT_OK; i++) {
		struct lt_unit s;
		if ((rc = lt_registry_get(r, cur.codes[i], NULL, &s, err)) == LT_OK)
			rc = cb(ctx, &s);
		if (rc == LT_OK && current)
			rc = lt_codelist_add(current, cur.codes[i]);
	}
	lt_codelist_free(&cur);
	if (rc < 0 && err && err->status == LT_OK)
		lt_err_set(err, rc, "%s", lt_strerror(rc));
	return rc;
}
