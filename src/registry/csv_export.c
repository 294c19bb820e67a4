/* CSV export in the import's own columns, so an export imports back into an
 * empty registry unchanged. Active units only, in tree order; as of a date
 * when asked, from the event log. */
#include <stdlib.h>
#include <string.h>

#include "registry_impl.h"

static const char header[] = "code,name,parent,address,email,phone,fax,website,decision_number,"
			     "decision_date,decision_issuer,valid_from\n";

static int put_unit(void *ctx, const struct lt_unit *u)
{
	FILE *out = ctx;
	if (u->status != LT_UNIT_ACTIVE)
		return LT_OK;
	const char *f[] = {u->code,
			   u->name,
			   u->parent,
			   u->contact.address,
			   u->contact.email,
			   u->contact.phone,
			   u->contact.fax,
			   u->contact.website,
			   u->decision.number,
			   u->decision.date,
			   u->decision.issuer,
			   u->valid_from};
	for (size_t i = 0; i < 12; i++)
		lt_registry_csv_field(out, f[i], i == 11);
	return ferror(out) ? LT_EIO : LT_OK;
}

static int put_event(void *ctx, const struct lt_event *ev)
{
	json_t *data = json_loads(ev->data, 0, NULL);
	struct lt_unit *u = malloc(sizeof *u);
	int rc = u && lt_unit_from_json(json_object_get(data, "unit"), u) == LT_OK ? put_unit(ctx, u) : LT_EIO;
	free(u);
	json_decref(data);
	return rc;
}

struct page {
	FILE *out;
	int rc;
};

static int put_page_unit(void *ctx, const struct lt_unit *u)
{
	struct page *p = ctx;
	return p->rc = put_unit(p->out, u);
}

int lt_registry_export_csv(struct lt_registry *r, FILE *out, const char *root, const char *as_of, struct lt_err *err)
{
	char canon[LT_CODE_BUFSZ] = "", date[LT_DATE_BUFSZ] = "";
	int rc;
	if (root && root[0] && (rc = lt__code_canon(root, canon, err)))
		return rc;
	if (as_of && as_of[0] && lt_date_parse(as_of, date, err))
		return lt_err_prefix(err, "as_of: ");
	fputs(header, out);
	if (date[0]) {
		if (canon[0]) {
			struct lt_event ev = {0};
			if ((rc = lt_store_event_asof(r->store, canon, date, &ev, err)))
				return rc;
			rc = put_event(out, &ev);
			lt_event_clear(&ev);
			if (rc == LT_OK)
				rc = lt_store_events_asof(r->store, canon, true, date, put_event, out, err);
		} else {
			rc = lt_store_events_asof(r->store, NULL, true, date, put_event, out, err);
		}
	} else if (canon[0]) {
		struct lt_unit u;
		if ((rc = lt_store_unit_get(r->store, canon, &u, err)) || (rc = put_unit(out, &u)))
			return rc;
		rc = lt_store_subtree(r->store, canon, LT_FILTER_ACTIVE, put_page_unit, &(struct page){out, 0}, err);
	} else {
		/* Page through the whole table in tree order; the cursor is empty
		 * after the last page. */
		char cursor[LT_CURSOR_BUFSZ] = "";
		do {
			struct lt_search q = {.status = LT_FILTER_ACTIVE, .limit = 500, .cursor = cursor};
			rc = lt_registry_search(r, &q, put_page_unit, &(struct page){out, 0}, cursor, err);
		} while (rc == LT_OK && cursor[0]);
	}
	if (rc == LT_OK && (fflush(out) != 0 || ferror(out)))
		rc = lt_err_set(err, LT_EIO, "writing the export failed");
	if (rc == LT_EIO && err && !err->msg[0])
		lt_err_set(err, LT_EIO, "writing the export failed");
	return rc;
}
