/* The mapping's three forms. CSV fields go through the export's writer (so a
 * spreadsheet never runs a name as a formula); SQL names only identifiers
 * the caller's words passed lt_map_sql_ident, and only codes (by grammar,
 * nothing to escape) as values, with names only in comments, cleaned of
 * line breaks. */
#include <ctype.h>
#include <string.h>

#include "lienthong/transition_map.h"

int lt_map_format_parse(const char *text, enum lt_map_format *out, struct lt_err *err)
{
	if (!text || !text[0] || strcmp(text, "csv") == 0)
		*out = LT_MAP_CSV;
	else if (strcmp(text, "json") == 0)
		*out = LT_MAP_JSON;
	else if (strcmp(text, "sql") == 0)
		*out = LT_MAP_SQL;
	else
		return lt_err_field(
			err, lt_err_set(err, LT_EINVAL, "format '%.40s' is not one of csv, json, sql", text), "format");
	return LT_OK;
}

static int write_failed(FILE *out, struct lt_err *err)
{
	if (ferror(out))
		return lt_err_set(err, LT_EIO, "writing the mapping failed");
	return LT_OK;
}

int lt_map_write_csv(const struct lt_map *m, FILE *out, struct lt_err *err)
{
	fputs("old_code,new_code,old_name,new_name,kind,effective,decision_number,ambiguous\n", out);
	for (size_t i = 0; i < m->n; i++) {
		const struct lt_map_row *r = &m->rows[i];
		lt_registry_csv_field(out, r->old_code, false);
		lt_registry_csv_field(out, r->new_code, false);
		lt_registry_csv_field(out, r->old_name, false);
		lt_registry_csv_field(out, r->new_name, false);
		lt_registry_csv_field(out, r->kind, false);
		lt_registry_csv_field(out, r->effective, false);
		lt_registry_csv_field(out, r->decision_number, false);
		lt_registry_csv_field(out, r->ambiguous ? "true" : "false", true);
	}
	return write_failed(out, err);
}

json_t *lt_map_to_json(const struct lt_map *m)
{
	json_t *rows = json_array();
	for (size_t i = 0; rows && i < m->n; i++) {
		const struct lt_map_row *r = &m->rows[i];
		json_t *o = json_pack("{s:s,s:s?,s:s,s:s?,s:s,s:s,s:s,s:b}", "old_code", r->old_code, "new_code",
				      r->new_code[0] ? r->new_code : NULL, "old_name", r->old_name, "new_name",
				      r->new_code[0] ? r->new_name : NULL, "kind", r->kind, "effective", r->effective,
				      "decision_number", r->decision_number, "ambiguous", r->ambiguous);
		if (!o || json_array_append_new(rows, o)) {
			json_decref(rows);
			return NULL;
		}
	}
	if (!rows)
		return NULL;
	json_t *plan = m->filter.plan ? json_integer(m->filter.plan) : json_null();
	return json_pack("{s:s?,s:s?,s:o,s:o}", "since", m->filter.since[0] ? m->filter.since : NULL, "under",
			 m->filter.under[0] ? m->filter.under : NULL, "plan", plan, "rows", rows);
}

static bool ident_part(const char *s, size_t len)
{
	if (len == 0 || len > 63 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

int lt_map_sql_ident(const char *ident, bool qualified, const char *what, struct lt_err *err)
{
	const char *dot = ident ? strchr(ident, '.') : NULL;
	bool ok = ident && ident[0];
	if (ok && dot && qualified)
		ok = ident_part(ident, (size_t)(dot - ident)) && ident_part(dot + 1, strlen(dot + 1));
	else if (ok)
		ok = ident_part(ident, strlen(ident));
	if (ok)
		return LT_OK;
	return lt_err_field(err,
			    lt_err_set(err, LT_EINVAL,
				       "%s '%.64s' is not an SQL identifier: use a letter or '_' then letters, digits "
				       "or '_' (at most 63)%s",
				       what, ident ? ident : "", qualified ? ", optionally after 'schema.'" : ""),
			    what);
}

/* A name in an SQL comment: line breaks would end the comment. */
static void comment_text(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
}

static void quoted_ident(FILE *out, const char *ident)
{
	const char *dot = strchr(ident, '.');
	if (dot)
		fprintf(out, "\"%.*s\".\"%s\"", (int)(dot - ident), ident, dot + 1);
	else
		fprintf(out, "\"%s\"", ident);
}

static void update_line(FILE *out, const char *table, const char *column, const char *to, const char *from)
{
	fputs("UPDATE ", out);
	quoted_ident(out, table);
	fputs(" SET ", out);
	quoted_ident(out, column);
	fprintf(out, " = '%s' WHERE ", to);
	quoted_ident(out, column);
	fprintf(out, " = '%s';\n", from);
}

int lt_map_write_sql(const struct lt_map *m, FILE *out, const char *table, const char *column, struct lt_err *err)
{
	int rc;
	if ((rc = lt_map_sql_ident(table, true, "table", err)) || (rc = lt_map_sql_ident(column, false, "column", err)))
		return rc;
	fputs("-- lienthong transition map: old codes to current codes", out);
	if (m->filter.since[0])
		fprintf(out, ", closed since %s", m->filter.since);
	if (m->filter.under[0])
		fprintf(out, ", under %s", m->filter.under);
	if (m->filter.plan)
		fprintf(out, ", closed by plan %lld", (long long)m->filter.plan);
	fputs("\nBEGIN;\n", out);
	size_t held = 0;
	for (size_t i = 0; i < m->n;) {
		size_t j = i;
		while (j < m->n && strcmp(m->rows[j].old_code, m->rows[i].old_code) == 0)
			j++;
		const struct lt_map_row *r = &m->rows[i];
		if (j - i == 1 && r->new_code[0]) {
			update_line(out, table, column, r->new_code, r->old_code);
		} else {
			held++;
			fprintf(out, "-- NEEDS A CHOICE: %s (", r->old_code);
			comment_text(out, r->old_name);
			if (!r->new_code[0]) {
				fprintf(out, ") closed by %s on %s with no current successor\n", r->kind, r->effective);
			} else {
				fprintf(out, ") leads to %zu current units (%s on %s); uncomment one:\n", j - i,
					r->kind, r->effective);
				for (size_t k = i; k < j; k++) {
					fputs("-- ", out);
					update_line(out, table, column, m->rows[k].new_code, r->old_code);
					fputs("--   (", out);
					comment_text(out, m->rows[k].new_name);
					fputs(")\n", out);
				}
			}
		}
		i = j;
	}
	fputs("COMMIT;\n", out);
	if (held)
		fprintf(out, "-- %zu code%s above need%s a choice\n", held, held == 1 ? "" : "s", held == 1 ? "s" : "");
	return write_failed(out, err);
}
