/* The registry: the lifecycle of units and their codes (design.md §3–§4).
 * Every change is one store transaction that writes the new state and its
 * events together; a refusal writes nothing. Reads can be asked "as of" a
 * date and then answer from the event log. */
#ifndef LIENTHONG_REGISTRY_H
#define LIENTHONG_REGISTRY_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "lienthong/ctx.h"
#include "lienthong/store.h"
#include "lienthong/unit.h"

struct lt_registry;

/* Opens (creating if needed) the registry on a store URI. */
int lt_registry_open(struct lt_registry **out, const char *uri, struct lt_err *err);
void lt_registry_close(struct lt_registry *r);
struct lt_store *lt_registry_store(struct lt_registry *r);

/* ---- reads ---- */

/* A number that changes whenever the registry changes, by this process or
 * another on the same database, within the bound its store states
 * (lt_store_generation): a reply built under one generation may be served
 * again while it holds. */
uint64_t lt_registry_generation(struct lt_registry *r);
/* The sequence number of the last event of the change feed (0 when none). */
int lt_registry_last_seq(struct lt_registry *r, int64_t *out, struct lt_err *err);
/* Whether the store answers (for /healthz), and its last_seq. */
int lt_registry_health(struct lt_registry *r, int64_t *last_seq, struct lt_err *err);

/* One unit, now (as_of NULL or "") or as it stood on as_of. */
int lt_registry_get(struct lt_registry *r, const char *code, const char *as_of, struct lt_unit *out,
		    struct lt_err *err);
int lt_registry_children(struct lt_registry *r, const char *code, enum lt_status_filter f, const char *as_of,
			 lt_unit_cb cb, void *ctx, struct lt_err *err);
int lt_registry_lineage(struct lt_registry *r, const char *code, struct lt_codelist *successors,
			struct lt_codelist *predecessors, struct lt_err *err);
/* Lineage as recorded by the changes effective on or before as_of (NULL or
 * "": now). */
int lt_registry_lineage_asof(struct lt_registry *r, const char *code, const char *as_of, struct lt_codelist *successors,
			     struct lt_codelist *predecessors, struct lt_err *err);
/* Follows successors to the active units; an active code resolves to itself;
 * a closed code without active successors resolves to none. */
int lt_registry_resolve(struct lt_registry *r, const char *code, struct lt_codelist *current, struct lt_err *err);
int lt_registry_history(struct lt_registry *r, const char *code, lt_event_cb cb, void *ctx, struct lt_err *err);

struct lt_search {
	const char *q;      /* words of a name (any diacritics) or a code fragment */
	const char *parent; /* direct parent */
	const char *under;  /* subtree root */
	int level;
	enum lt_status_filter status;
	const char *cursor; /* from the previous page */
	int limit;          /* 1..500 */
};
/* Calls cb per match: in tree order for code searches and listings, in
 * the store's order for name searches (lt_store_search); next_cursor
 * (LT_CURSOR_BUFSZ, opaque) is set to where the page ended when it is full,
 * else "". */
int lt_registry_search(struct lt_registry *r, const struct lt_search *q, lt_unit_cb cb, void *ctx, char *next_cursor,
		       struct lt_err *err);

/* ---- changes ----
 *
 * Each takes the call's context: ctx->who must be allowed the change
 * (access/policy.c: lt_access_write for an issue, a contact update and the
 * units a reorganisation creates or merges into; lt_access_reorganise for
 * a rename and the units a reorganisation takes from), and is recorded as
 * its actor (lt_ctx_actor) in the change and its events. */

struct lt_issue {
	char parent[LT_CODE_BUFSZ];
	char name[LT_NAME_MAX];
	unsigned number; /* 0 = next free */
	struct lt_contact contact;
	struct lt_decision decision;
	char effective[LT_DATE_BUFSZ];
	char reorganized[LT_DATE_BUFSZ]; /* optional */
};
int lt_registry_issue(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_issue *req,
		      struct lt_unit *created, struct lt_err *err);

/* Contact data; no decision needed. if_version (0 = any) guards against lost
 * updates: it is compared inside the write transaction, so a change made in
 * between by any writer of the database (the daemon, the CLI) makes this one
 * LT_EPRECOND, never a lost update. */
int lt_registry_update(struct lt_registry *r, const struct lt_ctx *ctx, const char *code, const struct lt_contact *c,
		       int64_t if_version, struct lt_unit *out, struct lt_err *err);
/* A new name on a decision; if_version as for lt_registry_update. */
int lt_registry_rename(struct lt_registry *r, const struct lt_ctx *ctx, const char *code, const char *name,
		       const struct lt_decision *d, const char *effective, int64_t if_version, struct lt_unit *out,
		       struct lt_err *err);

enum lt_reorg_kind { LT_REORG_MOVE, LT_REORG_SPLIT, LT_REORG_MERGE, LT_REORG_DISSOLVE };

struct lt_new_unit {
	char parent[LT_CODE_BUFSZ];
	char name[LT_NAME_MAX];
	unsigned number; /* 0 = next free */
};

struct lt_child_place {
	char child[LT_CODE_BUFSZ];
	size_t into; /* index into lt_reorg.into */
};

/* The most units one reorganisation names in from, and creates in into. */
#define LT_REORG_MAX_UNITS 1000

/* A reorganisation (design.md §7.2 bodies). Arrays are borrowed. What each
 * kind takes: move one unit into {parent, number} (its name stays: a rename
 * is a change of its own); merge two or more into a new unit {parent, name}
 * or one or more into an existing into_code; split one into two or more new
 * units, children placed by index; dissolve, no into. */
struct lt_reorg {
	enum lt_reorg_kind kind;
	struct lt_decision decision;
	char effective[LT_DATE_BUFSZ];
	char reorganized[LT_DATE_BUFSZ]; /* optional; defaults to effective */
	/* Optional; defaults to today. History brought in (lienthong init's
	 * demo) says when the catalogue recorded it, and the compliance report
	 * judges it by that date; never from the API. */
	char recorded[LT_DATE_BUFSZ];
	const char (*from)[LT_CODE_BUFSZ];
	size_t n_from;
	char into_code[LT_CODE_BUFSZ];  /* merge into an existing unit */
	const struct lt_new_unit *into; /* merge into a new unit (1), split (2+), move (parent only) */
	size_t n_into;
	const struct lt_child_place *children; /* split: which new unit takes which child */
	size_t n_children;
	bool dry_run;       /* compute and report, then roll back */
	bool across_groups; /* a merge may join units of different letter groups (an HĐND into a UBND) */
};

struct lt_moved {
	char from[LT_CODE_BUFSZ];
	char to[LT_CODE_BUFSZ];
};

/* What a reorganisation did. Owns its arrays: free with lt_reorg_result_free. */
struct lt_reorg_result {
	int64_t id;
	struct lt_codelist created, closed;
	struct lt_moved *moved;
	size_t n_moved, cap_moved;
	json_t *names; /* a dry run's {code: name} of every code above; NULL otherwise */
};
void lt_reorg_result_free(struct lt_reorg_result *res);

/* {"id","kind","dry_run","created":[],"closed":[],"moved":{old:new}}, and
 * for a dry run "names":{code:name} of each code it names; caller owns it. */
json_t *lt_reorg_result_to_json(const struct lt_reorg_result *res, const char *kind, bool dry_run);

int lt_registry_reorganize(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_reorg *req,
			   struct lt_reorg_result *res, struct lt_err *err);

/* ---- several changes in one transaction (the plans of transition.h) ----
 *
 * lt_registry_txn_begin opens the transaction the *_in calls write in; they
 * check and write exactly as the calls above do (the same rules, the same
 * authorisation, the same events) but neither open nor end it, and ignore
 * lt_reorg.dry_run. A part (LT_PART_BEGIN, then RELEASE or ROLLBACK) lets one
 * change fail alone inside the transaction. lt_registry_txn_end commits when
 * commit is true, else rolls back (and returns LT_OK). */
int lt_registry_txn_begin(struct lt_registry *r, struct lt_err *err);
int lt_registry_txn_part(struct lt_registry *r, enum lt_store_part what, struct lt_err *err);
int lt_registry_txn_end(struct lt_registry *r, bool commit, struct lt_err *err);
/* *change_id (may be NULL) gets the id of the change recorded. */
int lt_registry_issue_in(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_issue *req,
			 struct lt_unit *created, int64_t *change_id, struct lt_err *err);
int lt_registry_rename_in(struct lt_registry *r, const struct lt_ctx *ctx, const char *code, const char *name,
			  const struct lt_decision *d, const char *effective, struct lt_unit *out, int64_t *change_id,
			  struct lt_err *err);
int lt_registry_reorganize_in(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_reorg *req,
			      struct lt_reorg_result *res, struct lt_err *err);

/* ---- feed, compliance, import, export ---- */

int lt_registry_changes_after(struct lt_registry *r, int64_t after, int limit, lt_event_cb cb, void *ctx,
			      int64_t *last_seq, struct lt_err *err);

/* The compliance report of design.md §4: an array of findings, each
 * {"kind":"late_decision"|"late_upload"|"pending", "code", "name", …, "days"}.
 * level1 ("" or NULL for all) filters by level-1 unit. Caller owns *out. */
int lt_registry_compliance(struct lt_registry *r, const char *level1, json_t **out, struct lt_err *err);
/* Change requests (requests.h) past a deadline, as the report lists them
 * (kinds request_late_decision and request_late_update): the counts. */
int lt_registry_requests_overdue(struct lt_registry *r, int64_t *decision, int64_t *update, struct lt_err *err);

/* Import report: what each row did, and every bad row and why. */
struct lt_import_report {
	size_t rows;     /* data rows of the file */
	size_t imported; /* inserted + updated */
	size_t inserted, updated, unchanged, refused;
	/* [{"line":N,"code":"…","name":"…"|null,"column":"NgayBanHanhQd"|null,
	 *   "error":"bad_date","reason":"…"}], in line order: column is the
	 * file's own name of the column at fault, error a machine kind (docs/api.md). */
	json_t *errors;
	json_t *warnings; /* e.g. ignored columns */
	/* A dry run's preview, in line order: {"line","action":"insert","code",
	 * "name","parent","parent_name"} or {"line","action":"update","code",
	 * "name","old_name","changed":[columns]}; NULL when not a dry run. */
	json_t *items;
};
void lt_import_report_free(struct lt_import_report *rep);

/* upsert: a row of a unit the registry holds corrects its name, contact data
 * and decision (the columns the file has), or is counted unchanged; without
 * it such a row is refused. dry_run: everything is checked and done, then
 * rolled back. */
struct lt_import_opts {
	bool dry_run;
	bool upsert;
};

/* All-or-nothing CSV import (design.md §4 columns, or the shared-catalogue
 * names), as ctx->who (an admin, or a manager inside its subtree). On
 * refusal rep->errors names each bad row and nothing is written; the status
 * is LT_EFORBIDDEN when a row lies outside the caller's scope. opts may be
 * NULL (insert, applied). */
int lt_registry_import_csv(struct lt_registry *r, const struct lt_ctx *ctx, FILE *in, struct lt_import_report *rep,
			   struct lt_err *err);
int lt_registry_import_csv_opts(struct lt_registry *r, const struct lt_ctx *ctx, FILE *in,
				const struct lt_import_opts *opts, struct lt_import_report *rep, struct lt_err *err);

/* The same, fed piece by piece as the file arrives (a request body): begin
 * refuses a caller who may not import before any byte is read; feed parses
 * (a failure is kept and returned by finish); finish checks, writes and
 * frees; abort frees an import not finished. ctx must outlive the import. */
struct lt_import;
int lt_registry_import_begin(struct lt_registry *r, const struct lt_ctx *ctx, const struct lt_import_opts *opts,
			     struct lt_import **out, struct lt_err *err);
int lt_registry_import_feed(struct lt_import *im, const void *data, size_t len);
int lt_registry_import_finish(struct lt_import *im, struct lt_import_report *rep, struct lt_err *err);
void lt_registry_import_abort(struct lt_import *im);

/* {"ok","dry_run","mode","rows","inserted","updated","unchanged","refused",
 * "imported","errors","warnings","items"}: the reply of POST /v1/imports and
 * of lienthong import --json. Caller owns it. */
json_t *lt_import_report_to_json(const struct lt_import_report *rep, const struct lt_import_opts *opts, bool ok);

/* Records of the shared catalogue's category qlvanbandieuhanhcap<level>
 * (formats.md §3.6 field names: MaDinhDanhCap<level>, MaDinhDanhCha,
 * TenDonVi, DiaChi, Email, SoDienThoai, Fax, Website, QdBanHanhQdSuaDoi,
 * NgayBanHanhQd, CoQuanBanHanhQd; strings or null), each a new unit issued
 * on its decision (all three decision fields required), added by ctx->who (an
 * admin, or a manager whose subtree holds every code), all or nothing with
 * the checks of lt_registry_import_csv. A refused record is named in
 * rep->errors as {"record": k (1-based), "code", "reason"}; a refusal of the
 * caller or of the whole array names none. Caller frees rep. */
int lt_registry_add_records(struct lt_registry *r, const struct lt_ctx *ctx, int level, const json_t *records,
			    struct lt_import_report *rep, struct lt_err *err);

/* Writes one CSV field (then ',' or, when last, '\n') as the export writes
 * it and the import reads it back unchanged: quoted when it must be (RFC
 * 4180), and a value a spreadsheet would run as a formula (one beginning
 * with = + - @ TAB CR) or one beginning with an apostrophe gets an
 * apostrophe in front. Whoever builds a CSV for lt_registry_import_csv
 * writes its fields with this. */
void lt_registry_csv_field(FILE *out, const char *value, bool last);

/* Writes the active units (of the subtree under root, when given; as they
 * stood on as_of, when given) as CSV in tree order, each field written by
 * lt_registry_csv_field. */
int lt_registry_export_csv(struct lt_registry *r, FILE *out, const char *root, const char *as_of, struct lt_err *err);

/* The shared catalogue's fields of a unit after its MaDinhDanhCap<level>
 * (formats.md §3.6), in its order: code (PropertyCode), Vietnamese name
 * (PropertyName) and type. MaDinhDanhCha, first, is absent at level 1. */
struct lt_dmdc_field {
	const char *code, *name, *type;
};
#define LT_DMDC_NFIELDS 10
extern const struct lt_dmdc_field lt_dmdc_fields[LT_DMDC_NFIELDS];
/* Field i of u as the shared catalogue writes it (dates dd/MM/yyyy, written
 * into date). */
const char *lt_dmdc_value(const struct lt_unit *u, size_t i, char date[LT_DATE_BUFSZ]);
/* YYYY-MM-DD → dd/MM/yyyy; "" when iso is no date. */
void lt_dmdc_date(const char *iso, char out[LT_DATE_BUFSZ]);

/* Export formats: ours (the import's contract columns) or the shared
 * catalogue's (MaDinhDanhCap1…4, the code in its level's column, then the
 * lt_dmdc_fields), both read back by the import. */
enum lt_export_format { LT_EXPORT_CSV, LT_EXPORT_DMDC };
/* "csv" or "dmdc"; LT_EINVAL naming both otherwise. */
int lt_export_format_parse(const char *text, enum lt_export_format *out, struct lt_err *err);
int lt_registry_export(struct lt_registry *r, FILE *out, enum lt_export_format format, const char *root,
		       const char *as_of, struct lt_err *err);

/* JSON of a unit, with its lineage when r is given (design.md §7.2 unit
 * object). Caller owns the result. */
json_t *lt_unit_to_json(const struct lt_unit *u, const struct lt_codelist *successors,
			const struct lt_codelist *predecessors);
int lt_unit_from_json(json_t *o, struct lt_unit *u);

/* An event as the history shows it: seq, kind, code, effective, at, name,
 * status, decision (null for a contact update), successors, predecessors,
 * old_name on a rename. Caller owns the result. */
json_t *lt_event_history_json(const struct lt_event *ev);
/* An event as the change feed carries it: seq, kind, code, at, effective,
 * change_id and the recorded data (the unit's full state after the change,
 * successors, predecessors), so a mirror needs nothing else. */
json_t *lt_event_feed_json(const struct lt_event *ev);

#endif
