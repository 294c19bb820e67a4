/* CSV import: all rows or none. The file is parsed as it arrives (a daemon
 * streams the request body in), its rows checked, sorted into tree order so
 * every parent comes before its children, then written in one transaction.
 * Every bad row is reported with its line, the file's own name of the column
 * at fault, a machine kind and the reason; one bad row means nothing is
 * written. An upsert also takes rows of units the registry holds: a row equal
 * to the unit is counted unchanged, a different one corrects the unit. A dry
 * run does all of it and rolls back. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_stage.h"
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
	int64_t id; /* in the stage */
	long line;
	const char *f[NCOLS]; /* into the parser's row buffer or the stage; NULL when the column is absent */
	enum col code_col;    /* the column the code came from */
	char sort_key[LT_CODE_BUFSZ];
	char code[LT_CODE_BUFSZ];
	size_t nul_col; /* 1-based column of the first field holding a NUL byte, or 0 */
	bool bad;
	bool known; /* the registry held its code when the import began (merge_known) */
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
	/* The current row's values, one after another: one buffer for every
	 * row rather than an allocation per field. off[c] - 1 is where column
	 * c starts (0: absent). */
	char *buf;
	size_t len, cap;
	size_t off[NCOLS];
	struct lt__stage *stage; /* every row read, on disk */
	size_t n;
	bool header_ok; /* a header the rows can be checked against */
	struct lt_import_report *rep;
	const char *colname[NCOLS]; /* the file's name of each column, NULL when absent */
	bool oom;
	bool too_many_fields;
	bool stage_failed;
	struct lt_err stage_err;
	/* The codes of the good rows that bring the history of a
	 * reorganisation in (a reorganisation date of their own), gathered as
	 * the rows arrive so the stage is read once, not once more for them. */
	json_t *history;
};

struct lt_import {
	struct lt_registry *r;
	const struct lt_ctx *ctx;
	struct lt_import_opts opts;
	struct csv_parser csv;
	struct parse p;
	struct lt_import_report rep;
	int rc; /* the first failure while feeding */
	struct lt_err err;
	/* The last unit written at each level: rows come in tree order, so a
	 * row's parent is most often the last one written a level up, and
	 * needs no look-up. */
	struct lt_unit last[4];
	bool have_last[4];
	/* The import's date, read once: a row without dates of its own is
	 * recorded and valid from the day the import ran. */
	char today[LT_DATE_BUFSZ];
	/* The staged rows were merged with the registry's codes (merge_known):
	 * a row not marked known has a code the registry never held, and needs
	 * no look-up to say so. */
	bool merged;
};

/* Remembers u as written (u->level 1..4). */
static void remember(struct lt_import *im, const struct lt_unit *u)
{
	if (u->level >= 1 && u->level <= 4) {
		im->last[u->level - 1] = *u;
		im->have_last[u->level - 1] = true;
	}
}

/* The contract's name of each column, for a column the file lacks. */
static const char *const contract_name[NCOLS] = {
	[C_CODE] = "code",
	[C_NAME] = "name",
	[C_PARENT] = "parent",
	[C_ADDRESS] = "address",
	[C_EMAIL] = "email",
	[C_PHONE] = "phone",
	[C_FAX] = "fax",
	[C_WEBSITE] = "website",
	[C_DEC_NUMBER] = "decision_number",
	[C_DEC_DATE] = "decision_date",
	[C_DEC_ISSUER] = "decision_issuer",
	[C_VALID_FROM] = "valid_from",
	[C_REORGANIZED] = "reorganized",
	[C_RECORDED] = "recorded",
	[C_CODE1] = "MaDinhDanhCap1",
	[C_CODE2] = "MaDinhDanhCap2",
	[C_CODE3] = "MaDinhDanhCap3",
	[C_CODE4] = "MaDinhDanhCap4",
};

/* A refused row names the column as the file names it (NgayBanHanhQd, not
 * decision_date), so whoever fixes the file finds it. */
static const char *col_name(const struct parse *p, enum col c)
{
	return p->colname[c] ? p->colname[c] : contract_name[c];
}

void lt_import_report_free(struct lt_import_report *rep)
{
	json_decref(rep->errors);
	json_decref(rep->warnings);
	json_decref(rep->items);
	memset(rep, 0, sizeof *rep);
}

/* Every refused row is reported: a code, name or reason that is not UTF-8
 * (the file's bytes, quoted) is repaired for JSON rather than the row's
 * error being dropped, which once let such a row vanish from an import
 * reported as good. column and name may be NULL (JSON null). */
static void report_at(struct lt_import_report *rep, long line, const char *code, const char *name, const char *column,
		      const char *kind, const char *reason)
{
	char c[256], why[512], nm[LT_NAME_MAX], col[128];
	lt_text_utf8_repair(code ? code : "", c, sizeof c);
	lt_text_utf8_repair(reason, why, sizeof why);
	json_t *e =
		json_pack("{s:I,s:s,s:o,s:o,s:s,s:s}", "line", (json_int_t)line, "code", c, "name",
			  name && *name ? json_string(lt_text_utf8_repair(name, nm, sizeof nm)) : json_null(), "column",
			  column ? json_string(lt_text_utf8_repair(column, col, sizeof col)) : json_null(), "error",
			  kind, "reason", why);
	json_array_append_new(rep->errors, e);
}

/* snprintf's "%s" without its format parsing: rows copy a dozen fields
 * each, and the profile showed vfprintf among the import's largest costs. */
static void copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *fv(const struct row *r, enum col c) { return r->f[c] ? r->f[c] : ""; }

/* A row's refusal, the column named as the file names it (NULL: no one column). */
static void refuse(const struct parse *p, const struct row *r, const char *code, int col, const char *kind,
		   const char *reason)
{
	report_at(p->rep, r->line, code, fv(r, C_NAME), col < 0 ? NULL : col_name(p, (enum col)col), kind, reason);
}

static void row_reset(struct parse *p)
{
	memset(&p->cur, 0, sizeof p->cur);
	memset(p->off, 0, sizeof p->off);
	p->len = 0;
}

static bool check_row(const struct parse *p, struct row *r);

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
		copy(p->names[idx], sizeof p->names[idx], nm);
		p->map[idx] = -1;
		for (size_t i = 0; i < sizeof column_names / sizeof column_names[0]; i++)
			if (strcasecmp(nm, column_names[i].name) == 0)
				p->map[idx] = (int)column_names[i].col;
		if (p->map[idx] >= 0 && !p->colname[p->map[idx]])
			p->colname[p->map[idx]] = p->names[idx];
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
	if (p->len + len + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 1024;
		while (cap < p->len + len + 1)
			cap *= 2;
		char *nb = realloc(p->buf, cap);
		if (!nb) {
			p->oom = true;
			return;
		}
		p->buf = nb;
		p->cap = cap;
	}
	char *v = p->buf + p->len;
	memcpy(v, s, len);
	v[len] = '\0';
	lt__csv_cell_value(v, len);
	p->off[p->map[idx]] = p->len + 1;
	p->len += len + 1;
}

/* The header names a code and a name column, and nothing makes it unreadable. */
static bool header_usable(const struct parse *p)
{
	if (p->nul_header_col || p->too_many_fields)
		return false;
	bool has_code = false, has_name = false;
	for (size_t i = 0; i < p->ncols; i++) {
		has_code |= p->map[i] == C_CODE || (p->map[i] >= C_CODE1 && p->map[i] <= C_CODE4);
		has_name |= p->map[i] == C_NAME;
	}
	return has_code && has_name;
}

static void on_row(int c, void *data)
{
	(void)c;
	struct parse *p = data;
	p->line++;
	if (!p->header_done) {
		p->header_done = true;
		p->header_ok = header_usable(p);
		p->field = 0;
		return;
	}
	for (int i = 0; i < NCOLS; i++)
		p->cur.f[i] = p->off[i] ? p->buf + p->off[i] - 1 : NULL;
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
		p->cur.line = p->line;
		refuse(p, &p->cur, p->cur.f[C_CODE], -1, "nul_byte", msg);
		if (col <= p->ncols && p->names[col - 1][0]) {
			/* The column by its name in the file, whichever it is. */
			json_t *e = json_array_get(p->rep->errors, json_array_size(p->rep->errors) - 1);
			char shown[128];
			json_object_set_new(e, "column",
					    json_string(lt_text_utf8_repair(p->names[col - 1], shown, sizeof shown)));
		}
		p->cur.bad = true;
	}
	if (p->field != p->ncols && !empty) {
		char msg[128];
		snprintf(msg, sizeof msg, "row has %zu fields, the header has %zu", p->field, p->ncols);
		p->cur.line = p->line;
		refuse(p, &p->cur, p->cur.f[C_CODE], -1, "field_count", msg);
		p->cur.bad = true;
	}
	if (!empty) {
		p->n++;
		p->cur.line = p->line;
		/* Checked as it arrives, so the stage holds the verdict and the
		 * key; a file whose header is unusable is refused as a whole. */
		if (p->header_ok && !p->stage_failed) {
			if (!p->cur.bad)
				p->cur.bad = !check_row(p, &p->cur);
			if (!p->cur.bad && p->cur.f[C_REORGANIZED] && p->cur.f[C_REORGANIZED][0] &&
			    json_array_append_new(p->history, json_string(p->cur.code)))
				p->oom = true;
			struct lt__stage_row sr = {.line = p->cur.line,
						   .code_col = (int)p->cur.code_col,
						   .bad = p->cur.bad,
						   .code = p->cur.code,
						   .sort_key = p->cur.sort_key};
			memcpy(sr.f, p->cur.f, sizeof sr.f);
			if (lt__stage_put(p->stage, &sr, &p->stage_err))
				p->stage_failed = true;
		}
	}
	row_reset(p);
	p->field = 0;
}

/* The column the file gives codes in, for a row that has none. */
static int code_column(const struct parse *p)
{
	if (p->colname[C_CODE])
		return C_CODE;
	for (int c = C_CODE1; c <= C_CODE4; c++)
		if (p->colname[c])
			return c;
	return C_CODE;
}

/* The column of a contact field lt__contact_check named. */
static int contact_column(const char *field)
{
	static const struct {
		const char *field;
		enum col col;
	} map[] = {
		{"address", C_ADDRESS}, {"email", C_EMAIL}, {"phone", C_PHONE}, {"fax", C_FAX}, {"website", C_WEBSITE}};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(field, map[i].field) == 0)
			return (int)map[i].col;
	return -1;
}

/* Checks what can be checked from the row alone; fills r->code. */
static bool check_row(const struct parse *p, struct row *r)
{
	struct lt_err e = {0};
	char buf[LT_CODE_BUFSZ];
	r->code_col = C_CODE;
	const char *code = fv(r, C_CODE);
	for (int c = C_CODE4; !code[0] && c >= C_CODE1; c--) {
		code = fv(r, (enum col)c);
		r->code_col = (enum col)c;
	}
	if (!code[0])
		return refuse(p, r, "", code_column(p), "no_code", "bad code: the row has no code"), false;
	struct lt_code pc;
	if (lt_code_parse(&pc, code, LT_CODE_STRICT, &e)) {
		char msg[LT_ERR_MSG_MAX + 16];
		snprintf(msg, sizeof msg, "bad code: %s", e.msg);
		return refuse(p, r, code, (int)r->code_col, "bad_code", msg), false;
	}
	lt_code_format(&pc, r->code);
	lt_code_rev(r->code, r->sort_key);
	struct lt_code parent;
	const char *given = fv(r, C_PARENT);
	if (given[0]) {
		if (lt_code_parent(&pc, &parent) != LT_OK || strcmp(lt_code_format(&parent, buf), given) != 0) {
			char msg[200];
			snprintf(msg, sizeof msg, "%s %s does not match the code, whose parent is %s",
				 col_name(p, C_PARENT), given,
				 lt_code_parent(&pc, &parent) == LT_OK ? lt_code_format(&parent, buf) : "none");
			return refuse(p, r, r->code, C_PARENT, "parent_mismatch", msg), false;
		}
	}
	if (lt__name_check(fv(r, C_NAME), &e))
		return refuse(p, r, r->code, C_NAME, "bad_name", e.msg), false;
	/* A field longer than the registry keeps is refused, never cut. */
	static const struct {
		enum col col;
		size_t max;
	} sized[] = {
		{C_ADDRESS, sizeof(((struct lt_contact *)0)->address)},
		{C_EMAIL, sizeof(((struct lt_contact *)0)->email)},
		{C_PHONE, sizeof(((struct lt_contact *)0)->phone)},
		{C_FAX, sizeof(((struct lt_contact *)0)->fax)},
		{C_WEBSITE, sizeof(((struct lt_contact *)0)->website)},
		{C_DEC_NUMBER, sizeof(((struct lt_decision *)0)->number)},
		{C_DEC_ISSUER, sizeof(((struct lt_decision *)0)->issuer)},
	};
	for (size_t i = 0; i < sizeof sized / sizeof sized[0]; i++) {
		size_t n = strlen(fv(r, sized[i].col));
		if (n >= sized[i].max) {
			char msg[200];
			snprintf(msg, sizeof msg, "%s is %zu bytes long; at most %zu", col_name(p, sized[i].col), n,
				 sized[i].max - 1);
			return refuse(p, r, r->code, (int)sized[i].col, "too_long", msg), false;
		}
	}
	/* A row may carry no decision, or part of one (a catalogue loaded
	 * before decisions were kept); what it carries must be clean text. */
	for (int c = C_DEC_NUMBER; c <= C_DEC_ISSUER; c++)
		if (c != C_DEC_DATE && !lt_text_is_clean_utf8(fv(r, (enum col)c))) {
			char msg[200];
			snprintf(msg, sizeof msg,
				 "bad decision: %s must be valid UTF-8 text without control characters",
				 col_name(p, (enum col)c));
			return refuse(p, r, r->code, c, "bad_text", msg), false;
		}
	struct lt_contact c = {0};
	copy(c.address, sizeof c.address, fv(r, C_ADDRESS));
	copy(c.email, sizeof c.email, fv(r, C_EMAIL));
	copy(c.phone, sizeof c.phone, fv(r, C_PHONE));
	copy(c.fax, sizeof c.fax, fv(r, C_FAX));
	copy(c.website, sizeof c.website, fv(r, C_WEBSITE));
	if (lt__contact_check(&c, &e)) {
		char msg[LT_ERR_MSG_MAX + 16];
		snprintf(msg, sizeof msg, "bad %s", e.msg);
		return refuse(p, r, r->code, contact_column(e.field), "bad_contact", msg), false;
	}
	static const enum col dates[] = {C_DEC_DATE, C_VALID_FROM, C_REORGANIZED, C_RECORDED};
	for (int i = 0; i < 4; i++) {
		char d[LT_DATE_BUFSZ];
		if (fv(r, dates[i])[0] && lt_date_parse(fv(r, dates[i]), d, &e)) {
			char msg[LT_ERR_MSG_MAX + 160];
			snprintf(msg, sizeof msg, "bad date in %s: %s", col_name(p, dates[i]), e.msg);
			return refuse(p, r, r->code, (int)dates[i], "bad_date", msg), false;
		}
	}
	return true;
}

static void date_or(const char *in, const char *fallback, char out[LT_DATE_BUFSZ])
{
	if (!in[0] || lt_date_parse(in, out, NULL) != LT_OK)
		copy(out, LT_DATE_BUFSZ, fallback);
}

/* The line of a refused row of the file with this code, or 0. */
static long refused_line(struct lt__stage *stage, const char *code)
{
	char key[LT_CODE_BUFSZ];
	return lt__stage_refused_line(stage, lt_code_rev(code, key));
}

enum action { A_REFUSED, A_INSERTED, A_UPDATED, A_UNCHANGED };

/* The fields a row may correct on a unit the registry holds: the name, the
 * contact data and the decision on record. A column the file lacks leaves
 * its field as it is. The code (and so the parent) is the row's key; dates
 * of the unit's history are not the file's to rewrite. */
static const enum col correctable[] = {C_NAME,    C_ADDRESS,    C_EMAIL,    C_PHONE,     C_FAX,
				       C_WEBSITE, C_DEC_NUMBER, C_DEC_DATE, C_DEC_ISSUER};

static char *unit_field(struct lt_unit *u, enum col c, size_t *size)
{
	switch (c) {
#define F(col, member)                                                                                                 \
	case col:                                                                                                      \
		*size = sizeof u->member;                                                                              \
		return u->member
		F(C_NAME, name);
		F(C_ADDRESS, contact.address);
		F(C_EMAIL, contact.email);
		F(C_PHONE, contact.phone);
		F(C_FAX, contact.fax);
		F(C_WEBSITE, contact.website);
		F(C_DEC_NUMBER, decision.number);
		F(C_DEC_DATE, decision.date);
		F(C_DEC_ISSUER, decision.issuer);
#undef F
	default:
		*size = 0;
		return NULL;
	}
}

/* Corrects u from the row; *changed lists the file's names of the columns
 * that differ (empty: the row equals the unit). */
static int correct_unit(struct lt_import *im, int64_t change_id, const struct row *row, struct lt_unit *u,
			json_t *changed, struct lt_err *err)
{
	for (size_t i = 0; i < sizeof correctable / sizeof correctable[0]; i++) {
		enum col c = correctable[i];
		if (!im->p.colname[c])
			continue;
		char want[LT_NAME_MAX];
		if (c == C_DEC_DATE)
			date_or(fv(row, c), "", want);
		else
			copy(want, sizeof want, fv(row, c));
		size_t size;
		char *have = unit_field(u, c, &size);
		if (strcmp(have, want) != 0) {
			copy(have, size, want);
			json_array_append_new(changed, json_string(col_name(&im->p, c)));
		}
	}
	if (!json_array_size(changed))
		return LT_OK;
	u->version++;
	/* A correction takes effect now, or with the unit's last change when
	 * that is dated later, so it never jumps ahead of it in as-of reads. */
	char effective[LT_DATE_BUFSZ];
	copy(effective, sizeof effective, im->today);
	struct lt_event last = {0};
	if (lt_store_event_asof(im->r->store, u->code, "9999-12-31", &last, NULL) == LT_OK &&
	    strcmp(last.effective, effective) > 0)
		copy(effective, sizeof effective, last.effective);
	lt_event_clear(&last);
	int rc = lt_store_unit_put(im->r->store, u, err);
	if (rc == LT_OK)
		rc = lt__event_add(im->r, im->ctx, change_id, "import", u, effective,
				   json_pack("{s:O}", "corrected", changed), err);
	return rc;
}

/* Writes one checked row, or reports why the registry refuses it; the
 * stage says when a parent was refused itself. */
static int import_row(struct lt_import *im, int64_t change_id, const struct row *row, struct lt_unit *u,
		      enum action *act, struct lt_err *err)
{
	const struct parse *p = &im->p;
	char msg[LT_ERR_MSG_MAX + 64];
	*act = A_REFUSED;
	struct lt_err denied = {0};
	if (lt_access_write(&im->ctx->who, row->code, &denied))
		return refuse(p, row, row->code, (int)row->code_col, "forbidden", denied.msg), LT_OK;
	json_t *item = NULL;
	bool fresh = im->merged && !row->known;
	int rc = fresh ? LT_ENOTFOUND : lt_store_unit_get(im->r->store, row->code, u, NULL);
	if (rc == LT_OK) {
		if (u->status == LT_UNIT_CLOSED) {
			snprintf(msg, sizeof msg, "closed code reused: %s was closed on %s and is never reissued",
				 row->code, u->valid_to);
			return refuse(p, row, row->code, (int)row->code_col, "closed", msg), LT_OK;
		}
		if (!im->opts.upsert) {
			snprintf(msg, sizeof msg,
				 "duplicate: %s is already in the registry (%s); import in upsert mode to correct it",
				 row->code, u->name);
			return refuse(p, row, row->code, (int)row->code_col, "exists", msg), LT_OK;
		}
		json_t *changed = json_array();
		if (!changed)
			return lt_err_set(err, LT_ENOMEM, "out of memory");
		char was[LT_NAME_MAX];
		copy(was, sizeof was, u->name);
		if ((rc = correct_unit(im, change_id, row, u, changed, err))) {
			json_decref(changed);
			return rc;
		}
		*act = json_array_size(changed) ? A_UPDATED : A_UNCHANGED;
		remember(im, u);
		if (*act == A_UPDATED && im->rep.items)
			item = json_pack("{s:I,s:s,s:s,s:s,s:s,s:O}", "line", (json_int_t)row->line, "action", "update",
					 "code", u->code, "name", u->name, "old_name", was, "changed", changed);
		json_decref(changed);
		if (item)
			json_array_append_new(im->rep.items, item);
		return LT_OK;
	}
	struct lt_event ev = {0};
	if (!fresh && lt_store_event_asof(im->r->store, row->code, "9999-12-31", &ev, NULL) == LT_OK) {
		lt_event_clear(&ev);
		snprintf(msg, sizeof msg, "closed code reused: %s was issued before and is never reissued", row->code);
		return refuse(p, row, row->code, (int)row->code_col, "closed", msg), LT_OK;
	}
	struct lt_code c, pc;
	lt_code_parse(&c, row->code, LT_CODE_STRICT, NULL);
	memset(u, 0, sizeof *u);
	struct lt_unit found;
	const struct lt_unit *parent = NULL;
	int parent_col = p->colname[C_PARENT] ? C_PARENT : (int)row->code_col;
	if (lt_code_parent(&c, &pc) == LT_OK) {
		lt_code_format(&pc, u->parent);
		int lv = lt_code_level(&pc);
		if (lv >= 1 && lv <= 4 && im->have_last[lv - 1] && strcmp(im->last[lv - 1].code, u->parent) == 0) {
			parent = &im->last[lv - 1];
			rc = LT_OK;
		} else {
			rc = lt_store_unit_get(im->r->store, u->parent, &found, err);
			parent = &found;
		}
		if (rc == LT_ENOTFOUND) {
			long at = refused_line(p->stage, u->parent);
			if (at)
				snprintf(msg, sizeof msg, "parent refused: %s, on line %ld, was refused itself",
					 u->parent, at);
			else
				snprintf(msg, sizeof msg,
					 "unknown parent: %s is neither in the registry nor in the file", u->parent);
			return refuse(p, row, row->code, parent_col, at ? "parent_refused" : "unknown_parent", msg),
			       LT_OK;
		}
		if (rc)
			return rc;
		if (parent->status == LT_UNIT_CLOSED) {
			snprintf(msg, sizeof msg, "parent %s (%s) was closed on %s", u->parent, parent->name,
				 parent->valid_to);
			return refuse(p, row, row->code, parent_col, "parent_closed", msg), LT_OK;
		}
	}
	*act = A_INSERTED;
	const char *today = im->today;
	copy(u->code, sizeof u->code, row->code);
	u->level = lt_code_level(&c);
	copy(u->name, sizeof u->name, fv(row, C_NAME));
	copy(u->contact.address, sizeof u->contact.address, fv(row, C_ADDRESS));
	copy(u->contact.email, sizeof u->contact.email, fv(row, C_EMAIL));
	copy(u->contact.phone, sizeof u->contact.phone, fv(row, C_PHONE));
	copy(u->contact.fax, sizeof u->contact.fax, fv(row, C_FAX));
	copy(u->contact.website, sizeof u->contact.website, fv(row, C_WEBSITE));
	copy(u->decision.number, sizeof u->decision.number, fv(row, C_DEC_NUMBER));
	date_or(fv(row, C_DEC_DATE), "", u->decision.date);
	copy(u->decision.issuer, sizeof u->decision.issuer, fv(row, C_DEC_ISSUER));
	date_or(fv(row, C_VALID_FROM), u->decision.date[0] ? u->decision.date : today, u->valid_from);
	date_or(fv(row, C_REORGANIZED), "", u->reorganized);
	date_or(fv(row, C_RECORDED), today, u->recorded);
	u->status = LT_UNIT_ACTIVE;
	u->version = 1;
	if (im->rep.items)
		json_array_append_new(im->rep.items,
				      json_pack("{s:I,s:s,s:s,s:s,s:o,s:o}", "line", (json_int_t)row->line, "action",
						"insert", "code", u->code, "name", u->name, "parent",
						u->parent[0] ? json_string(u->parent) : json_null(), "parent_name",
						parent && parent->name[0] ? json_string(parent->name) : json_null()));
	if ((rc = lt_store_unit_put(im->r->store, u, err)))
		return rc;
	remember(im, u);
	return lt__event_add(im->r, im->ctx, change_id, "import", u, u->valid_from, NULL, err);
}

static int cmp_error_line(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "line"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "line"));
	return (x > y) - (x < y);
}

/* Errors and previews read best in line order; rows were checked in tree order. */
static void sort_by_line(json_t *errors)
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

static void rows_free(struct parse *p)
{
	lt__stage_close(p->stage);
	p->stage = NULL;
	free(p->buf);
	p->buf = NULL;
	json_decref(p->history);
	p->history = NULL;
	p->n = p->len = p->cap = 0;
}

void lt_registry_import_abort(struct lt_import *im)
{
	if (!im)
		return;
	csv_free(&im->csv);
	rows_free(&im->p);
	lt_import_report_free(&im->rep);
	free(im);
}

int lt_registry_import_begin(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_import_opts *opts,
			     struct lt_import **out, struct lt_err *err)
{
	*out = NULL;
	int denied = lt_access_import(&ctx->who, err);
	if (denied)
		return denied;
	struct lt_import *im = calloc(1, sizeof *im);
	if (!im)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	im->r = r;
	im->ctx = ctx;
	lt_date_today(im->today);
	if (opts)
		im->opts = *opts;
	im->rep.errors = json_array();
	im->rep.warnings = json_array();
	im->rep.items = im->opts.dry_run ? json_array() : NULL;
	im->p.rep = &im->rep;
	if (csv_init(&im->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		lt_import_report_free(&im->rep);
		free(im);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	im->p.history = json_array();
	int rc = lt__stage_open(&im->p.stage, err);
	if (rc) {
		lt_registry_import_abort(im);
		return rc;
	}
	if (!im->rep.errors || !im->rep.warnings || !im->p.history || (im->opts.dry_run && !im->rep.items)) {
		lt_registry_import_abort(im);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	*out = im;
	return LT_OK;
}

int lt_registry_import_feed(struct lt_import *im, const void *data, size_t len)
{
	if (im->rc || !len)
		return im->rc;
	if (csv_parse(&im->csv, data, len, on_field, on_row, &im->p) != len)
		im->rc = lt_err_set(&im->err, LT_EINVAL, "CSV syntax error near line %ld: %s (check quotes)",
				    im->p.line + 1, csv_strerror(csv_error(&im->csv)));
	else if (im->p.oom)
		im->rc = lt_err_set(&im->err, LT_ENOMEM, "out of memory while reading the CSV file");
	else if (im->p.stage_failed)
		im->rc = lt_err_set(&im->err, im->p.stage_err.status, "%s", im->p.stage_err.msg);
	return im->rc;
}

/* Checks the parsed file as a whole: what makes every row unreadable. */
static int check_file(struct lt_import *im, struct lt_err *err)
{
	struct parse *p = &im->p;
	if (csv_fini(&im->csv, on_field, on_row, p) != 0)
		return lt_err_set(err, LT_EINVAL, "CSV syntax error at the end of the file: %s",
				  csv_strerror(csv_error(&im->csv)));
	if (p->oom)
		return lt_err_set(err, LT_ENOMEM, "out of memory while reading the CSV file");
	if (p->stage_failed)
		return lt_err_set(err, p->stage_err.status, "%s", p->stage_err.msg);
	if (p->nul_header_col)
		return lt_err_set(err, LT_EINVAL,
				  "line 1, column %zu: the header holds a NUL byte, which no name may contain (a file "
				  "saved as UTF-16? save it as UTF-8)",
				  p->nul_header_col);
	if (p->too_many_fields)
		return lt_err_set(err, LT_EINVAL, "the header has more than %d columns", MAX_FIELDS);
	if (!p->header_done)
		return lt_err_set(err, LT_EINVAL, "the file is empty: it needs a header row");
	bool has_code = false, has_name = false;
	for (size_t i = 0; i < p->ncols; i++) {
		has_code |= p->map[i] == C_CODE || (p->map[i] >= C_CODE1 && p->map[i] <= C_CODE4);
		has_name |= p->map[i] == C_NAME;
	}
	if (!has_code || !has_name)
		return lt_err_set(err, LT_EINVAL,
				  "the header needs a code column (code or MaDinhDanh…) and a name "
				  "column (name or TenDonVi)");
	return LT_OK;
}

/* A row as the stage hands it back. */
static void row_from_stage(struct row *r, const struct lt__stage_row *sr)
{
	memset(r, 0, sizeof *r);
	r->id = sr->id;
	r->line = sr->line;
	r->code_col = (enum col)sr->code_col;
	r->bad = sr->bad;
	r->known = sr->known;
	copy(r->code, sizeof r->code, sr->code);
	copy(r->sort_key, sizeof r->sort_key, sr->sort_key);
	memcpy(r->f, sr->f, sizeof r->f);
}

static int cmp_tree_order(const void *a, const void *b)
{
	char x[LT_CODE_BUFSZ], y[LT_CODE_BUFSZ];
	lt_code_rev(json_string_value(*(json_t *const *)a), x);
	lt_code_rev(json_string_value(*(json_t *const *)b), y);
	return strcmp(x, y);
}

/* The codes of the rows that bring the history of a reorganisation in, in
 * tree order and each once, which the compliance report judges by their own
 * dates. A code on two rows is refused as a duplicate (write_rows), which
 * refuses the import and this summary with it. */
static json_t *history_codes(json_t *codes)
{
	size_t n = json_array_size(codes);
	json_t *out = json_array();
	json_t **v = n > 1 ? malloc(n * sizeof *v) : NULL;
	if (!out || (n > 1 && !v)) {
		free(v);
		json_decref(out);
		return NULL;
	}
	if (n <= 1) {
		json_array_extend(out, codes);
		return out;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(codes, i);
	qsort(v, n, sizeof *v, cmp_tree_order);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || !json_equal(v[i], v[i - 1]))
			json_array_append(out, v[i]);
	free(v);
	return out;
}

struct marking {
	struct lt__stage *stage;
	size_t rows;
	struct lt_err *err;
};

static int mark_known(void *ctx, const char *sort_key)
{
	struct marking *m = ctx;
	return lt__stage_known(m->stage, sort_key, &m->rows, m->err);
}

/* An import at least as large as the registry's event log (which has an
 * event for every code it ever held) learns which of its codes the registry
 * holds in one ordered pass over both, rather than two look-ups a row (the
 * unit by code, the event log by code): both lists are in tree order, so
 * the pass reads each page once where the look-ups went to random places
 * in B-trees that outgrow the page cache. A smaller import keeps the
 * look-ups, which then cost less than reading the registry. *fresh: no row
 * has a code the registry held. */
static int merge_known(struct lt_import *im, bool *fresh, struct lt_err *err)
{
	*fresh = false;
	int64_t held = 0;
	int rc = lt_store_last_seq(im->r->store, &held, err);
	if (rc || (int64_t)im->p.n < held)
		return rc;
	struct marking m = {.stage = im->p.stage, .err = err};
	if ((rc = lt_store_sort_keys(im->r->store, mark_known, &m, err)))
		return rc;
	im->merged = true;
	*fresh = m.rows == 0;
	return LT_OK;
}

/* Writes the checked rows inside the open transaction, counting them. */
static int write_rows(struct lt_import *im, struct lt_err *err)
{
	struct parse *p = &im->p;
	struct lt_import_report *rep = &im->rep;
	struct lt_unit *u = malloc(sizeof *u);
	if (!u)
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	int64_t change_id = 0;
	json_t *history = history_codes(p->history);
	int rc = history ? LT_OK : lt_err_set(err, LT_ENOMEM, "out of memory");
	if (rc == LT_OK)
		rc = lt__change_add(im->r, im->ctx, "import", NULL, "", NULL,
				    json_pack("{s:I,s:s,s:O}", "rows", (json_int_t)p->n, "mode",
					      im->opts.upsert ? "upsert" : "insert", "history", history),
				    &change_id, err);
	json_decref(history);
	bool fresh = false;
	if (rc == LT_OK)
		rc = merge_known(im, &fresh, err);
	if (rc == LT_OK)
		rc = lt_store_bulk(im->r->store, true, p->n, fresh, err);
	/* Rows whose parent was refused are refused too, so one bad parent
	 * explains its subtree. A second row of a code comes right after the
	 * first in tree order and is refused, naming the first. */
	struct lt__stage_row sr;
	struct row row;
	char first_code[LT_CODE_BUFSZ] = "";
	long first_line = 0;
	int more = 0;
	while (rc == LT_OK && (more = lt__stage_next(p->stage, &sr, err)) == 1) {
		if (sr.bad)
			continue;
		row_from_stage(&row, &sr);
		if (first_line && strcmp(row.code, first_code) == 0) {
			char msg[96];
			snprintf(msg, sizeof msg, "duplicate: the same code is on line %ld", first_line);
			refuse(p, &row, row.code, (int)row.code_col, "duplicate_row", msg);
			rc = lt__stage_refuse(p->stage, row.id, err);
			continue;
		}
		copy(first_code, sizeof first_code, row.code);
		first_line = row.line;
		enum action act = A_REFUSED;
		rc = import_row(im, change_id, &row, u, &act, err);
		rep->inserted += act == A_INSERTED;
		rep->updated += act == A_UPDATED;
		rep->unchanged += act == A_UNCHANGED;
		if (rc == LT_OK && act == A_REFUSED)
			rc = lt__stage_refuse(p->stage, row.id, err); /* its children say so */
	}
	if (rc == LT_OK && more != 0 && more != 1)
		rc = more;
	lt__stage_rewind(p->stage);
	if (rc == LT_OK)
		rc = lt_store_bulk(im->r->store, false, p->n, fresh, err);
	free(u);
	return rc;
}

int lt_registry_import_finish(struct lt_import *im, struct lt_import_report *rep, struct lt_err *err)
{
	memset(rep, 0, sizeof *rep);
	struct parse *p = &im->p;
	int rc = im->rc;
	if (rc && err)
		*err = im->err;
	if (rc == LT_OK)
		rc = check_file(im, err);
	im->rep.rows = p->n;
	if (rc == LT_OK)
		rc = lt__stage_sorted(p->stage, err);
	if (rc == LT_OK && (rc = lt_store_begin(im->r->store, err)) == LT_OK) {
		rc = write_rows(im, err);
		/* Counted from the rows, not from the report: a row is refused
		 * whether or not its reason could be written down. */
		size_t refused = 0, forbidden = 0;
		if (rc == LT_OK)
			rc = lt__stage_refused(p->stage, &refused, err);
		size_t k;
		json_t *e;
		json_array_foreach(im->rep.errors, k, e) forbidden +=
			strcmp(json_string_value(json_object_get(e, "error")), "forbidden") == 0;
		im->rep.refused = refused;
		if (rc == LT_OK && (refused || json_array_size(im->rep.errors) > 0)) {
			size_t bad = refused ? refused : json_array_size(im->rep.errors);
			/* A row outside the caller's scope makes it a refusal of
			 * the caller, whatever else is wrong. */
			if (forbidden)
				rc = lt_err_set(err, LT_EFORBIDDEN,
						"%zu of %zu rows are refused, %zu of them outside your scope; nothing "
						"was imported",
						bad, p->n, forbidden);
			else
				rc = lt_err_set(err, LT_EINVAL, "%zu of %zu rows are refused; nothing was imported",
						bad, p->n);
		}
		if (rc == LT_OK && im->opts.dry_run)
			lt_store_rollback(im->r->store);
		else
			LT_TXN_END(im->r, rc, err);
	}
	im->rep.imported = im->rep.inserted + im->rep.updated;
	/* What a refused import reports as written is nothing; a dry run keeps
	 * what the good rows would do. */
	if (rc && !im->opts.dry_run)
		im->rep.imported = im->rep.inserted = im->rep.updated = im->rep.unchanged = 0;
	if (rc && im->opts.dry_run)
		im->rep.imported = 0;
	sort_by_line(im->rep.errors);
	sort_by_line(im->rep.items);
	*rep = im->rep;
	memset(&im->rep, 0, sizeof im->rep);
	lt_registry_import_abort(im);
	return rc;
}

int lt_registry_import_csv_opts(struct lt_registry *r, const struct lt_ctx *ctx, FILE *in,
				const struct lt_import_opts *opts, struct lt_import_report *rep, struct lt_err *err)
{
	memset(rep, 0, sizeof *rep);
	struct lt_import *im;
	int rc = lt_registry_import_begin(r, ctx, opts, &im, err);
	if (rc) {
		rep->errors = json_array();
		rep->warnings = json_array();
		return rc;
	}
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (lt_registry_import_feed(im, buf, n))
			break;
	if (im->rc == LT_OK && ferror(in)) {
		im->rc = lt_err_set(&im->err, LT_EIO, "reading the CSV file failed");
	}
	return lt_registry_import_finish(im, rep, err);
}

int lt_registry_import_csv(struct lt_registry *r, const struct lt_ctx *ctx, FILE *in, struct lt_import_report *rep,
			   struct lt_err *err)
{
	return lt_registry_import_csv_opts(r, ctx, in, NULL, rep, err);
}

json_t *lt_import_report_to_json(const struct lt_import_report *rep, const struct lt_import_opts *opts, bool ok)
{
	json_t *o = json_pack("{s:b,s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "ok", ok, "dry_run", opts && opts->dry_run,
			      "mode", opts && opts->upsert ? "upsert" : "insert", "rows", (json_int_t)rep->rows,
			      "inserted", (json_int_t)rep->inserted, "updated", (json_int_t)rep->updated, "unchanged",
			      (json_int_t)rep->unchanged, "refused", (json_int_t)rep->refused, "imported",
			      (json_int_t)rep->imported);
	if (!o)
		return NULL;
	json_object_set_new(o, "errors", rep->errors ? json_incref(rep->errors) : json_array());
	json_object_set_new(o, "warnings", rep->warnings ? json_incref(rep->warnings) : json_array());
	json_object_set_new(o, "items", rep->items ? json_incref(rep->items) : json_null());
	return o;
}
