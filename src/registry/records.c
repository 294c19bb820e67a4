/* Records of the shared catalogue (qlvanbandieuhanhcap1…4): each record is a
 * new unit issued on its decision, added by a caller who may write its code,
 * all records or none. They go through the CSV import, so they meet exactly
 * the checks of an import; the CSV text is this file's business, not the
 * caller's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lienthong/access.h"
#include "registry_impl.h"

/* The record fields after MaDinhDanhCap<level> are the shared catalogue's
 * (lt_dmdc_fields); MaDinhDanhCha is absent at level 1. */
#define N_RECORD_FIELDS LT_DMDC_NFIELDS
#define record_fields(i) (lt_dmdc_fields[i].code)

/* A unit is issued on a decision (design.md §4): each record issues one,
 * so all three fields are required, unlike a CSV import of units that
 * exist already. */
static const char *const decision_fields[] = {"QdBanHanhQdSuaDoi", "NgayBanHanhQd", "CoQuanBanHanhQd"};

/* Names record k (1-based) in the report and err; returns status. */
static int refuse(struct lt_import_report *rep, struct lt_err *err, int status, size_t k, const char *code,
		  const char *reason)
{
	json_array_append_new(rep->errors, json_pack("{s:I,s:s,s:s}", "record", (json_int_t)k, "code", code ? code : "",
						     "reason", reason));
	return lt_err_set(err, status, "record %zu: %s", k, reason);
}

static int check_record(const struct lt_principal *who, int level, const char *code_key, json_t *rec, size_t k,
			char canon[LT_CODE_BUFSZ], struct lt_import_report *rep, struct lt_err *err)
{
	char why[LT_ERR_MSG_MAX];
	if (!json_is_object(rec))
		return refuse(rep, err, LT_EINVAL, k, NULL, "not an object");
	const char *key;
	json_t *v;
	json_object_foreach(rec, key, v)
	{
		bool known = strcmp(key, code_key) == 0;
		for (size_t i = 0; i < N_RECORD_FIELDS && !known; i++)
			known = strcmp(key, record_fields(i)) == 0 && (level > 1 || i > 0);
		if (!known || !(json_is_string(v) || json_is_null(v))) {
			snprintf(why, sizeof why, "%s %.60s", known ? "field must be a string:" : "unknown field", key);
			return refuse(rep, err, LT_EINVAL, k, NULL, why);
		}
	}
	const char *code = json_string_value(json_object_get(rec, code_key));
	struct lt_code c;
	struct lt_err e = {0};
	if (!code || lt_code_parse(&c, code, LT_CODE_STRICT, &e) || lt_code_level(&c) != level) {
		snprintf(why, sizeof why, "%s %.40s is not a level-%d code%s%s", code_key, code ? code : "(missing)",
			 level, e.msg[0] ? ": " : "", e.msg);
		return refuse(rep, err, LT_EINVAL, k, NULL, why);
	}
	lt_code_format(&c, canon);
	for (size_t i = 0; i < 3; i++) {
		const char *dv = json_string_value(json_object_get(rec, decision_fields[i]));
		if (!dv || !*dv) {
			snprintf(why, sizeof why,
				 "%s is required (the decision behind the code: QdBanHanhQdSuaDoi, NgayBanHanhQd, "
				 "CoQuanBanHanhQd)",
				 decision_fields[i]);
			return refuse(rep, err, LT_EINVAL, k, canon, why);
		}
	}
	if (lt_access_write(who, canon, &e))
		return refuse(rep, err, (int)e.status, k, canon, e.msg);
	return LT_OK;
}

/* The records as CSV in the shared-catalogue column names; checked first. */
static int records_csv(const struct lt_principal *who, int level, const json_t *records, char **csv, size_t *len,
		       struct lt_import_report *rep, struct lt_err *err)
{
	char code_key[32];
	snprintf(code_key, sizeof code_key, "MaDinhDanhCap%d", level);
	FILE *f = open_memstream(csv, len);
	if (!f)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	lt_registry_csv_field(f, code_key, false);
	for (size_t i = 0; i < N_RECORD_FIELDS; i++)
		lt_registry_csv_field(f, record_fields(i), i + 1 == N_RECORD_FIELDS);
	int rc = LT_OK;
	size_t k;
	json_t *rec;
	json_array_foreach(records, k, rec)
	{
		char canon[LT_CODE_BUFSZ];
		if ((rc = check_record(who, level, code_key, rec, k + 1, canon, rep, err)))
			break;
		lt_registry_csv_field(f, canon, false);
		for (size_t i = 0; i < N_RECORD_FIELDS; i++) {
			const char *fv = json_string_value(json_object_get(rec, record_fields(i)));
			lt_registry_csv_field(f, fv ? fv : "", i + 1 == N_RECORD_FIELDS);
		}
	}
	if (fclose(f) != 0 && rc == LT_OK)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	return rc;
}

int lt_registry_add_records(struct lt_registry *r, const struct lt_ctx *ctx, int level, const json_t *records,
			    struct lt_import_report *rep, struct lt_err *err)
{
	memset(rep, 0, sizeof *rep);
	rep->errors = json_array();
	rep->warnings = json_array();
	if (!rep->errors || !rep->warnings)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	const struct lt_principal *who = &ctx->who;
	int rc;
	/* Only an admin or a manager adds units; a manager's scope is judged
	 * per record below. */
	if ((rc = lt_access_import(who, err)))
		return rc;
	if (level < 1 || level > 4)
		return lt_err_set(err, LT_EINVAL, "level %d: records are of levels 1 to 4", level);
	if (!json_is_array(records) || json_array_size(records) == 0)
		return lt_err_set(err, LT_EINVAL, "no records: send a JSON array of one or more records");
	char *csv = NULL;
	size_t len = 0;
	rc = records_csv(who, level, records, &csv, &len, rep, err);
	FILE *in = rc == LT_OK ? fmemopen(csv, len, "r") : NULL;
	if (rc == LT_OK && !in)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK) {
		struct lt_import_report imp;
		rc = lt_registry_import_csv(r, ctx, in, &imp, err);
		/* Line 1 of the CSV is its header: line k+1 is record k. */
		size_t i;
		json_t *e;
		json_array_foreach(imp.errors, i, e)
		{
			json_int_t line = json_integer_value(json_object_get(e, "line"));
			json_array_append_new(rep->errors, json_pack("{s:I,s:O,s:O}", "record", line - 1, "code",
								     json_object_get(e, "code"), "reason",
								     json_object_get(e, "reason")));
		}
		json_array_extend(rep->warnings, imp.warnings);
		rep->rows = imp.rows;
		rep->imported = imp.imported;
		lt_import_report_free(&imp);
	}
	if (in)
		fclose(in);
	free(csv);
	return rc;
}
