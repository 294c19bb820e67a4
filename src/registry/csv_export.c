/* CSV export in the import's own columns or in the shared catalogue's, so an
 * export imports back into an empty registry unchanged. Active units only,
 * in tree order; as of a date when asked, from the event log. */
#include <stdlib.h>
#include <string.h>

#include "registry_impl.h"

static const char header[] = "code,name,parent,address,email,phone,fax,website,decision_number,"
			     "decision_date,decision_issuer,valid_from\n";

struct sink {
	FILE *out;
	enum lt_export_format format;
};

static void put_header(const struct sink *k)
{
	if (k->format == LT_EXPORT_CSV) {
		fputs(header, k->out);
		return;
	}
	for (int level = 1; level <= 4; level++) {
		char name[32];
		snprintf(name, sizeof name, "MaDinhDanhCap%d", level);
		lt_registry_csv_field(k->out, name, false);
	}
	for (size_t i = 0; i < LT_DMDC_NFIELDS; i++)
		lt_registry_csv_field(k->out, lt_dmdc_fields[i].code, i + 1 == LT_DMDC_NFIELDS);
}

static void put_dmdc(FILE *out, const struct lt_unit *u)
{
	for (int level = 1; level <= 4; level++)
		lt_registry_csv_field(out, level == u->level ? u->code : "", false);
	for (size_t i = 0; i < LT_DMDC_NFIELDS; i++) {
		char date[LT_DATE_BUFSZ];
		lt_registry_csv_field(out, lt_dmdc_value(u, i, date), i + 1 == LT_DMDC_NFIELDS);
	}
}

static int put_unit(void *ctx, const struct lt_unit *u)
{
	const struct sink *k = ctx;
	FILE *out = k->out;
	if (u->status != LT_UNIT_ACTIVE)
		return LT_OK;
	if (k->format == LT_EXPORT_DMDC) {
		put_dmdc(out, u);
		return ferror(out) ? LT_EIO : LT_OK;
	}
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
	const struct sink *out;
	int rc;
};

static int put_page_unit(void *ctx, const struct lt_unit *u)
{
	struct page *p = ctx;
	return p->rc = put_unit((void *)p->out, u);
}

int lt_export_format_parse(const char *text, enum lt_export_format *out, struct lt_err *err)
{
	if (!text || !*text || strcmp(text, "csv") == 0)
		*out = LT_EXPORT_CSV;
	else if (strcmp(text, "dmdc") == 0)
		*out = LT_EXPORT_DMDC;
	else
		return lt_err_field(err, lt_err_set(err, LT_EINVAL, "format '%.40s' is not one of csv, dmdc", text),
				    "format");
	return LT_OK;
}

int lt_registry_export_csv(struct lt_registry *r, FILE *out, const char *root, const char *as_of, struct lt_err *err)
{
	return lt_registry_export(r, out, LT_EXPORT_CSV, root, as_of, err);
}

int lt_registry_export(struct lt_registry *r, FILE *out, enum lt_export_format format, const char *root,
		       const char *as_of, struct lt_err *err)
{
	const struct sink k = {out, format};
	char canon[LT_CODE_BUFSZ] = "", date[LT_DATE_BUFSZ] = "";
	int rc;
	if (root && root[0] && (rc = lt__code_canon(root, canon, err)))
		return rc;
	if (as_of && as_of[0] && lt_date_parse(as_of, date, err))
		return lt_err_prefix(err, "as_of: ");
	put_header(&k);
	if (date[0]) {
		if (canon[0]) {
			struct lt_event ev = {0};
			if ((rc = lt_store_event_asof(r->store, canon, date, &ev, err)))
				return rc;
			rc = put_event((void *)&k, &ev);
			lt_event_clear(&ev);
			if (rc == LT_OK)
				rc = lt_store_events_asof(r->store, canon, true, date, put_event, (void *)&k, err);
		} else {
			rc = lt_store_events_asof(r->store, NULL, true, date, put_event, (void *)&k, err);
		}
	} else if (canon[0]) {
		struct lt_unit u;
		if ((rc = lt_store_unit_get(r->store, canon, &u, err)) || (rc = put_unit((void *)&k, &u)))
			return rc;
		rc = lt_store_subtree(r->store, canon, LT_FILTER_ACTIVE, put_page_unit, &(struct page){&k, 0}, err);
	} else {
		/* Page through the whole table in tree order; the cursor is empty
		 * after the last page. */
		char cursor[LT_CURSOR_BUFSZ] = "";
		do {
			struct lt_search q = {.status = LT_FILTER_ACTIVE, .limit = 500, .cursor = cursor};
			rc = lt_registry_search(r, &q, put_page_unit, &(struct page){&k, 0}, cursor, err);
		} while (rc == LT_OK && cursor[0]);
	}
	if (rc == LT_OK && (fflush(out) != 0 || ferror(out)))
		rc = lt_err_set(err, LT_EIO, "writing the export failed");
	if (rc == LT_EIO && err && !err->msg[0])
		lt_err_set(err, LT_EIO, "writing the export failed");
	return rc;
}
