/* CSV import: all rows or none. Rows are parsed and checked first, sorted
 * into tree order so every parent comes before its children, then written in
 * one transaction. Every bad row is reported with its line and the reason;
 * one bad row means nothing is written. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lienthong/access.h"
#include "registry_impl.h"
#include "lienthong/text.h"

enum col {
	C_CODE,
	C_NAME,
	C_PARENT,
	C_ADDRESS,
	C_EMAIL,
	C_PHONE,
	C_FAX,
	C_WEBSITE,
	C_DEC_NUMBER,
	C_DEC_DATE,
	C_DEC_ISSUER,
	C_VALID_FROM,
	C_REORGANIZED,
	C_RECORDED,
	C_CODE1,
	C_CODE2,
	C_CODE3,
	C_CODE4, /* MaDinhDanhCap1..4 of the shared catalogue */
	NCOLS
};

/* Contract names first, then the shared-catalogue names of formats.md §3.6. */
static const struct {
	const char *name;
	enum col col;
} column_names[] = {
	{"code", C_CODE},
	{"name", C_NAME},
	{"parent", C_PARENT},
	{"address", C_ADDRESS},
	{"email", C_EMAIL},
	{"phone", C_PHONE},
	{"fax", C_FAX},
	{"website", C_WEBSITE},
	{"decision_number", C_DEC_NUMBER},
	{"decision_date", C_DEC_DATE},
	{"decision_issuer", C_DEC_ISSUER},
	{"valid_from", C_VALID_FROM},
	{"reorganized", C_REORGANIZED},
	{"recorded", C_RECORDED},
	{"MaDinhDanh", C_CODE},
	{"MaDinhDanhCap1", C_CODE1},
	{"MaDinhDanhCap2", C_CODE2},
	{"MaDinhDanhCap3", C_CODE3},
	{"MaDinhDanhCap4", C_CODE4},
	{"TenDonVi", C_NAME},
	{"DiaChi", C_ADDRESS},
	{"Email", C_EMAIL},
	{"SoDienThoai", C_PHONE},
	{"Fax", C_FAX},
	{"Website", C_WEBSITE},
	{"QdBanHanhQdSuaDoi", C_DEC_NUMBER},
	{"NgayBanHanhQd", C_DEC_DATE},
	{"CoQuanBanHanhQd", C_DEC_ISSUER},
	{"MaDinhDanhCha", C_PARENT},
};

#define MAX_FIELDS 64

struct row {
	long line;
	char *f[NCOLS]; /* owned; NULL when the column is absent */
	char sort_key[LT_CODE_BUFSZ];
	char code[LT_CODE_BUFSZ];
	size_t nul_col; /* 1-based column of the first field holding a NUL byte, or 0 */
	bool bad;
};

struct parse {
	int map[MAX_FIELDS];        /* CSV column index → enum col, or -1 */
	char names[MAX_FIELDS][64]; /* the header's names, for messages */
	size_t nul_header_col;      /* as row.nul_col, in the header */
	size_t ncols;
	bool header_done;
	size_t field;
	long line;
	struct row cur;
	struct row *rows;
	size_t n, cap;
	struct lt_import_report *rep;
	bool oom;
	bool too_many_fields;
};

void lt_import_report_free(struct lt_import_report *rep)
{
	json_decref(rep->errors);
	json_decref(rep->warnings);
	memset(rep, 0, sizeof *rep);
}

/* Every refused row is reported: a code or reason that is not UTF-8 (the
 * file's bytes, quoted) is repaired for JSON rather than the row's error
 * being dropped, which once let such a row vanish from an import reported
 * as good. */
static void report(struct lt_import_report *rep, long line, const char *code, const char *reason)
{
	char c[256], why[512];
	lt_text_utf8_repair(code ? code : "", c, sizeof c);
	lt_text_utf8_repair(reason, why, sizeof why);
	json_t *e = json_pack("{s:I,s:s,s:s}", "line", (json_int_t)line, "code", c, "reason", why);
	json_array_append_new(rep->errors, e);
}

static void row_free(struct row *r)
{
	for (int i = 0; i < NCOLS; i++)
		free(r->f[i]);
	memset(r, 0, sizeof *r);
}

static void on_field(void *s, size_t len, void *data)
{
	struct parse *p = data;
	size_t idx = p->field++;
	/* A NUL would cut the value where C strings end, silently: the field
	 * is refused instead, wherever it is. */
	if (len && memchr(s, '\0', len)) {
		size_t *at = p->header_done ? &p->cur.nul_col : &p->nul_header_col;
		if (!*at)
			*at = idx + 1;
		if (!p->header_done && idx < MAX_FIELDS) {
			p->map[idx] = -1;
			p->ncols = idx + 1;
		}
		return;
	}
	if (!p->header_done) {
		if (idx >= MAX_FIELDS) {
			p->too_many_fields = true;
			return;
		}
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)len, (const char *)s);
		/* A UTF-8 byte-order mark before the first header name. */
		const char *nm = (idx == 0 && strncmp(name, "\xEF\xBB\xBF", 3) == 0) ? name + 3 : name;
		snprintf(p->names[idx], sizeof p->names[idx], "%s", nm);
		p->map[idx] = -1;
		for (size_t i = 0; i < sizeof column_names / sizeof column_names[0]; i++)
			if (strcasecmp(nm, column_names[i].name) == 0)
				p->map[idx] = (int)column_names[i].col;
		if (p->map[idx] < 0) {
			char msg[200];
			char shown[128];
			snprintf(msg, sizeof msg, "column '%s' is not one lienthong knows; it was ignored",
				 lt_text_utf8_repair(nm, shown, sizeof shown));
			json_array_append_new(p->rep->warnings, json_string(msg));
		}
		p->ncols = idx + 1;
		return;
	}
	if (idx >= p->ncols || p->map[idx] < 0)
		return;
	char *v = malloc(len + 1);
	if (!v) {
		p->oom = true;
		return;
	}
	memcpy(v, s, len);
	v[len] = '\0';
	lt__csv_cell_value(v, len);
	free(p->cur.f[p->map[idx]]);
	p->cur.f[p->map[idx]] = v;
}

static void on_row(int c, void *data)
{
	(void)c;
	struct parse *p = data;
	p->line++;
	if (!p->header_done) {
		p->header_done = true;
		p->field = 0;
		return;
	}
	bool empty = !p->cur.nul_col;
	for (int i = 0; i < NCOLS; i++)
		if (p->cur.f[i] && p->cur.f[i][0])
			empty = false;
	if (p->cur.nul_col) {
		size_t col = p->cur.nul_col;
		char msg[160];
		snprintf(
			msg, sizeof msg,
			"column %zu (%s) holds a NUL byte, which no value may contain (a file saved as UTF-16? save it "
			"as UTF-8)",
			col, col <= p->ncols && p->names[col - 1][0] ? p->names[col - 1] : "past the header");
		report(p->rep, p->line, p->cur.f[C_CODE], msg);
		p->cur.bad = true;
	}
	if (p->field != p->ncols && !empty) {
		char msg[128];
		snprintf(msg, sizeof msg, "row has %zu fields, the header has %zu", p->field, p->ncols);
		report(p->rep, p->line, p->cur.f[C_CODE], msg);
	}
	if (empty) {
		row_free(&p->cur);
	} else {
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 256;
			void *nv = realloc(p->rows, cap * sizeof *p->rows);
			if (!nv) {
				p->oom = true;
				row_free(&p->cur);
				p->field = 0;
				return;
			}
			p->rows = nv;
			p->cap = cap;
		}
		p->cur.line = p->line;
		p->rows[p->n++] = p->cur;
		memset(&p->cur, 0, sizeof p->cur);
	}
	p->field = 0;
}

static const char *fv(const struct row *r, enum col c) { return r->f[c] ? r->f[c] : ""; }

/* Checks what can be checked from the row alone; fills r->code. */
static bool check_row(struct row *r, struct lt_import_report *rep)
{
	struct lt_err e = {0};
	char buf[LT_CODE_BUFSZ];
	const char *code = fv(r, C_CODE);
	for (int c = C_CODE4; !code[0] && c >= C_CODE1; c--)
		code = fv(r, (enum col)c);
	if (!code[0])
		return report(rep, r->line, "", "bad code: the row has no code"), false;
	struct lt_code pc;
	if (lt_code_parse(&pc, code, LT_CODE_STRICT, &e)) {
		char msg[LT_ERR_MSG_MAX + 16];
		snprintf(msg, sizeof msg, "bad code: %s", e.msg);
		return report(rep, r->line, code, msg), false;
	}
	lt_code_format(&pc, r->code);
	lt_code_rev(r->code, r->sort_key);
	struct lt_code parent;
	const char *given = fv(r, C_PARENT);
	if (given[0]) {
		if (lt_code_parent(&pc, &parent) != LT_OK || strcmp(lt_code_format(&parent, buf), given) != 0) {
			char msg[160];
			snprintf(msg, sizeof msg, "parent %s does not match the code, whose parent is %s", given,
				 lt_code_parent(&pc, &parent) == LT_OK ? lt_code_format(&parent, buf) : "none");
			return report(rep, r->line, r->code, msg), false;
		}
	}
	if (lt__name_check(fv(r, C_NAME), &e))
		return report(rep, r->line, r->code, e.msg), false;
	/* A field longer than the registry keeps is refused, never cut. */
	static const struct {
		enum col col;
		const char *name;
		size_t max;
	} sized[] = {
		{C_ADDRESS, "address", sizeof(((struct lt_contact *)0)->address)},
		{C_EMAIL, "email", sizeof(((struct lt_contact *)0)->email)},
		{C_PHONE, "phone", sizeof(((struct lt_contact *)0)->phone)},
		{C_FAX, "fax", sizeof(((struct lt_contact *)0)->fax)},
		{C_WEBSITE, "website", sizeof(((struct lt_contact *)0)->website)},
		{C_DEC_NUMBER, "decision_number", sizeof(((struct lt_decision *)0)->number)},
		{C_DEC_ISSUER, "decision_issuer", sizeof(((struct lt_decision *)0)->issuer)},
	};
	for (size_t i = 0; i < sizeof sized / sizeof sized[0]; i++) {
		size_t n = strlen(fv(r, sized[i].col));
		if (n >= sized[i].max) {
			char msg[160];
			snprintf(msg, sizeof msg, "%s is %zu bytes long; at most %zu", sized[i].name, n,
				 sized[i].max - 1);
			return report(rep, r->line, r->code, msg), false;
		}
	}
	/* A row may carry no decision, or part of one (a catalogue loaded
	 * before decisions were kept); what it carries must be clean text. */
	if (!lt_text_is_clean_utf8(fv(r, C_DEC_NUMBER)) || !lt_text_is_clean_utf8(fv(r, C_DEC_ISSUER)))
		return report(rep, r->line, r->code,
			      "bad decision: decision_number and decision_issuer must be valid UTF-8 text without "
			      "control characters"),
		       false;
	struct lt_contact c = {0};
	snprintf(c.address, sizeof c.address, "%s", fv(r, C_ADDRESS));
	snprintf(c.email, sizeof c.email, "%s", fv(r, C_EMAIL));
	snprintf(c.phone, sizeof c.phone, "%s", fv(r, C_PHONE));
	snprintf(c.fax, sizeof c.fax, "%s", fv(r, C_FAX));
	snprintf(c.website, sizeof c.website, "%s", fv(r, C_WEBSITE));
	if (lt__contact_check(&c, &e)) {
		char msg[LT_ERR_MSG_MAX + 16];
		snprintf(msg, sizeof msg, "bad %s", e.msg);
		return report(rep, r->line, r->code, msg), false;
	}
	static const enum col dates[] = {C_DEC_DATE, C_VALID_FROM, C_REORGANIZED, C_RECORDED};
	static const char *date_names[] = {"decision_date", "valid_from", "reorganized", "recorded"};
	for (int i = 0; i < 4; i++) {
		char d[LT_DATE_BUFSZ];
		if (fv(r, dates[i])[0] && lt_date_parse(fv(r, dates[i]), d, &e)) {
			char msg[LT_ERR_MSG_MAX + 32];
			snprintf(msg, sizeof msg, "bad date in %s: %s", date_names[i], e.msg);
			return report(rep, r->line, r->code, msg), false;
		}
	}
	return true;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->sort_key, y->sort_key);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static void date_or(const char *in, const char *fallback, char out[LT_DATE_BUFSZ])
{
	if (!in[0] || lt_date_parse(in, out, NULL) != LT_OK)
		snprintf(out, LT_DATE_BUFSZ, "%s", fallback);
}

/* The line of a refused row of the file with this code, or 0: the rows are
 * sorted by sort key, so a binary search finds it. */
static long refused_line(const struct row *rows, size_t n, const char *code)
{
	char key[LT_CODE_BUFSZ];
	lt_code_rev(code, key);
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(rows[mid].sort_key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strcmp(rows[lo].sort_key, key) == 0; lo++)
		if (rows[lo].bad)
			return rows[lo].line;
	return 0;
}

/* Writes one checked row, or reports why the registry refuses it; rows/n
 * is the whole sorted file, to say when a parent was refused itself. */
static int import_row(struct lt_registry *r, const struct lt_ctx *ctx, int64_t change_id, const struct row *row,
		      const struct row *rows, size_t n, struct lt_import_report *rep, struct lt_unit *u, bool *refused,
		      struct lt_err *err)
{
	char msg[LT_ERR_MSG_MAX + 64];
	*refused = true;
	struct lt_err denied = {0};
	if (lt_access_write(&ctx->who, row->code, &denied))
		return report(rep, row->line, row->code, denied.msg), LT_OK;
	int rc = lt_store_unit_get(r->store, row->code, u, NULL);
	if (rc == LT_OK) {
		if (u->status == LT_UNIT_CLOSED)
			snprintf(msg, sizeof msg, "closed code reused: %s was closed on %s and is never reissued",
				 row->code, u->valid_to);
		else
			snprintf(msg, sizeof msg, "duplicate: %s is already in the registry (%s)", row->code, u->name);
		return report(rep, row->line, row->code, msg), LT_OK;
	}
	struct lt_event ev = {0};
	if (lt_store_event_asof(r->store, row->code, "9999-12-31", &ev, NULL) == LT_OK) {
		lt_event_clear(&ev);
		snprintf(msg, sizeof msg, "closed code reused: %s was issued before and is never reissued", row->code);
		return report(rep, row->line, row->code, msg), LT_OK;
	}
	struct lt_code c, pc;
	lt_code_parse(&c, row->code, LT_CODE_STRICT, NULL);
	memset(u, 0, sizeof *u);
	if (lt_code_parent(&c, &pc) == LT_OK) {
		struct lt_unit parent;
		lt_code_format(&pc, u->parent);
		rc = lt_store_unit_get(r->store, u->parent, &parent, err);
		if (rc == LT_ENOTFOUND) {
			long at = refused_line(rows, n, u->parent);
			if (at)
				snprintf(msg, sizeof msg, "parent refused: %s, on line %ld, was refused itself",
					 u->parent, at);
			else
				snprintf(msg, sizeof msg,
					 "unknown parent: %s is neither in the registry nor in the file", u->parent);
			return report(rep, row->line, row->code, msg), LT_OK;
		}
		if (rc)
			return rc;
		if (parent.status == LT_UNIT_CLOSED) {
			snprintf(msg, sizeof msg, "parent %s was closed on %s", u->parent, parent.valid_to);
			return report(rep, row->line, row->code, msg), LT_OK;
		}
	}
	*refused = false;
	char today[LT_DATE_BUFSZ];
	lt_date_today(today);
	snprintf(u->code, sizeof u->code, "%s", row->code);
	u->level = lt_code_level(&c);
	snprintf(u->name, sizeof u->name, "%s", fv(row, C_NAME));
	snprintf(u->contact.address, sizeof u->contact.address, "%s", fv(row, C_ADDRESS));
	snprintf(u->contact.email, sizeof u->contact.email, "%s", fv(row, C_EMAIL));
	snprintf(u->contact.phone, sizeof u->contact.phone, "%s", fv(row, C_PHONE));
	snprintf(u->contact.fax, sizeof u->contact.fax, "%s", fv(row, C_FAX));
	snprintf(u->contact.website, sizeof u->contact.website, "%s", fv(row, C_WEBSITE));
	snprintf(u->decision.number, sizeof u->decision.number, "%s", fv(row, C_DEC_NUMBER));
	date_or(fv(row, C_DEC_DATE), "", u->decision.date);
	snprintf(u->decision.issuer, sizeof u->decision.issuer, "%s", fv(row, C_DEC_ISSUER));
	date_or(fv(row, C_VALID_FROM), u->decision.date[0] ? u->decision.date : today, u->valid_from);
	date_or(fv(row, C_REORGANIZED), "", u->reorganized);
	date_or(fv(row, C_RECORDED), today, u->recorded);
	u->status = LT_UNIT_ACTIVE;
	u->version = 1;
	if ((rc = lt_store_unit_put(r->store, u, err)))
		return rc;
	return lt__event_add(r, ctx, change_id, "import", u, u->valid_from, NULL, err);
}

static int cmp_error_line(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "line"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "line"));
	return (x > y) - (x < y);
}

/* Errors read best in line order; rows were checked in tree order. */
static void sort_errors(json_t *errors)
{
	size_t n = json_array_size(errors);
	json_t **v = n > 1 ? malloc(n * sizeof *v) : NULL;
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(errors, i));
	qsort(v, n, sizeof *v, cmp_error_line);
	json_array_clear(errors);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(errors, v[i]);
	free(v);
}

int lt_registry_import_csv(struct lt_registry *r, const struct lt_ctx *ctx, FILE *in, struct lt_import_report *rep,
			   struct lt_err *err)
{
	memset(rep, 0, sizeof *rep);
	rep->errors = json_array();
	rep->warnings = json_array();
	int denied = lt_access_import(&ctx->who, err);
	if (denied)
		return denied;
	struct parse p = {.rep = rep};
	struct csv_parser csv;
	if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	char buf[65536];
	size_t n;
	int rc = LT_OK;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
		if (csv_parse(&csv, buf, n, on_field, on_row, &p) != n) {
			rc = lt_err_set(err, LT_EINVAL, "CSV syntax error near line %ld: %s (check quotes)", p.line + 1,
					csv_strerror(csv_error(&csv)));
			break;
		}
	}
	if (rc == LT_OK && ferror(in))
		rc = lt_err_set(err, LT_EIO, "reading the CSV file failed");
	if (rc == LT_OK && csv_fini(&csv, on_field, on_row, &p) != 0)
		rc = lt_err_set(err, LT_EINVAL, "CSV syntax error at the end of the file: %s",
				csv_strerror(csv_error(&csv)));
	csv_free(&csv);
	row_free(&p.cur);
	if (rc == LT_OK && p.oom)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory while reading the CSV file");
	if (rc == LT_OK && p.nul_header_col)
		rc = lt_err_set(
			err, LT_EINVAL,
			"line 1, column %zu: the header holds a NUL byte, which no name may contain (a file saved "
			"as UTF-16? save it as UTF-8)",
			p.nul_header_col);
	if (rc == LT_OK && p.too_many_fields)
		rc = lt_err_set(err, LT_EINVAL, "the header has more than %d columns", MAX_FIELDS);
	if (rc == LT_OK && !p.header_done)
		rc = lt_err_set(err, LT_EINVAL, "the file is empty: it needs a header row");
	bool has_code = false, has_name = false;
	for (size_t i = 0; i < p.ncols; i++) {
		has_code |= p.map[i] == C_CODE || (p.map[i] >= C_CODE1 && p.map[i] <= C_CODE4);
		has_name |= p.map[i] == C_NAME;
	}
	if (rc == LT_OK && (!has_code || !has_name))
		rc = lt_err_set(err, LT_EINVAL,
				"the header needs a code column (code or MaDinhDanh…) and a name "
				"column (name or TenDonVi)");
	rep->rows = p.n;
	for (size_t i = 0; rc == LT_OK && i < p.n; i++)
		if (!p.rows[i].bad)
			p.rows[i].bad = !check_row(&p.rows[i], rep);
	if (rc == LT_OK) {
		if (p.n)
			qsort(p.rows, p.n, sizeof *p.rows, cmp_rows);
		for (size_t i = 1; i < p.n; i++)
			if (!p.rows[i].bad && !p.rows[i - 1].bad && strcmp(p.rows[i].code, p.rows[i - 1].code) == 0) {
				char msg[96];
				snprintf(msg, sizeof msg, "duplicate: the same code is on line %ld",
					 p.rows[i - 1].line);
				report(rep, p.rows[i].line, p.rows[i].code, msg);
				p.rows[i].bad = true;
			}
	}
	struct lt_unit *u = malloc(sizeof *u);
	if (rc == LT_OK && !u)
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK && (rc = lt_store_begin(r->store, err)) == LT_OK) {
		int64_t change_id = 0;
		rc = lt__change_add(r, ctx, "import", NULL, "", NULL, json_pack("{s:I}", "rows", (json_int_t)p.n),
				    &change_id, err);
		if (rc == LT_OK)
			rc = lt_store_bulk(r->store, true, err);
		/* Rows whose parent was refused are refused too, so one bad
		 * parent explains its subtree. */
		for (size_t i = 0; rc == LT_OK && i < p.n; i++) {
			bool refused = p.rows[i].bad;
			if (!refused)
				rc = import_row(r, ctx, change_id, &p.rows[i], p.rows, p.n, rep, u, &refused, err);
			if (!refused)
				rep->imported++;
			else
				p.rows[i].bad = true; /* its children say so */
		}
		if (rc == LT_OK)
			rc = lt_store_bulk(r->store, false, err);
		/* Counted from the rows, not from the report: a row is refused
		 * whether or not its reason could be written down. */
		size_t refused = 0;
		for (size_t i = 0; i < p.n; i++)
			refused += p.rows[i].bad;
		if (rc == LT_OK && (refused || json_array_size(rep->errors) > 0)) {
			rc = lt_err_set(err, LT_EINVAL, "%zu of %zu rows are refused; nothing was imported",
					refused ? refused : json_array_size(rep->errors), p.n);
			rep->imported = 0;
		}
		LT_TXN_END(r, rc, err);
	}
	if (rc)
		rep->imported = 0;
	free(u);
	for (size_t i = 0; i < p.n; i++)
		row_free(&p.rows[i]);
	free(p.rows);
	sort_errors(rep->errors);
	return rc;
}
