/* lienthong unit: the dispatcher of the unit sub-commands, and the reads
 * (show, history, resolve, children, search). Reads print the unit objects
 * of design.md §7.2 with --json, so a script sees what the HTTP API serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lienthong/transition_map.h"

/* ---- show ---- */

static int collect_child(void *ctx, const struct lt_unit *u)
{
	json_array_append_new(ctx, json_pack("{s:s,s:s}", "code", u->code, "name", u->name));
	return LT_OK;
}

/* Lineage as it stood on as_of. The store keeps links, not their dates, so
 * the as-of view drops what had not happened yet: an active unit had no
 * successors then, and a predecessor counts only once it had closed. */
static int lineage_asof(struct lt_registry *r, const struct lt_unit *u, const char *as_of, struct lt_codelist *succ,
			struct lt_codelist *pred, struct lt_err *err)
{
	int rc = lt_registry_lineage(r, u->code, succ, pred, err);
	if (rc || !as_of || !as_of[0])
		return rc;
	if (u->status == LT_UNIT_ACTIVE)
		succ->n = 0;
	size_t keep = 0;
	for (size_t i = 0; i < pred->n; i++) {
		struct lt_unit p;
		if (lt_registry_get(r, pred->codes[i], as_of, &p, NULL) == LT_OK && p.status == LT_UNIT_CLOSED)
			memmove(pred->codes[keep++], pred->codes[i], LT_CODE_BUFSZ);
	}
	pred->n = keep;
	return LT_OK;
}

static const char *str_field(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void print_codes(const char *label, json_t *codes)
{
	size_t i;
	json_t *c;
	printf("%-13s", label);
	if (!json_array_size(codes))
		fputs(" -", stdout);
	json_array_foreach(codes, i, c) { printf("%s%s", i ? ", " : " ", json_string_value(c)); }
	putchar('\n');
}

/* A decision as one phrase: "1234/QĐ-UBND of 2021-03-15, Ủy ban nhân dân tỉnh Cao Bằng". */
static void print_decision(json_t *d)
{
	if (!json_is_object(d)) {
		fputs("-", stdout);
		return;
	}
	printf("%s of %s, %s", str_field(d, "number"), str_field(d, "date"), str_field(d, "issuer"));
}

static void print_unit(json_t *o, const char *as_of)
{
	if (as_of && as_of[0])
		printf("%-13s %s\n", "as of", as_of);
	printf("%-13s %s\n", "code", str_field(o, "code"));
	printf("%-13s %s\n", "name", str_field(o, "name"));
	printf("%-13s %lld\n", "level", (long long)json_integer_value(json_object_get(o, "level")));
	printf("%-13s %s\n", "parent", json_is_string(json_object_get(o, "parent")) ? str_field(o, "parent") : "-");
	if (strcmp(str_field(o, "status"), "active") == 0)
		printf("%-13s active since %s\n", "status", str_field(o, "valid_from"));
	else
		printf("%-13s closed on %s (valid from %s)\n", "status", str_field(o, "valid_to"),
		       str_field(o, "valid_from"));
	static const char *const contact[] = {"address", "email", "phone", "fax", "website"};
	for (size_t i = 0; i < sizeof contact / sizeof contact[0]; i++)
		if (str_field(o, contact[i])[0])
			printf("%-13s %s\n", contact[i], str_field(o, contact[i]));
	printf("%-13s ", "decision");
	print_decision(json_object_get(o, "decision"));
	putchar('\n');
	print_codes("successors", json_object_get(o, "successors"));
	print_codes("predecessors", json_object_get(o, "predecessors"));
	json_t *kids = json_object_get(o, "children");
	printf("%-13s %zu active\n", "children", json_array_size(kids));
	size_t i;
	json_t *k;
	json_array_foreach(kids, i, k) { printf("  %s  %s\n", str_field(k, "code"), str_field(k, "name")); }
	printf("%-13s %lld\n", "version", (long long)json_integer_value(json_object_get(o, "version")));
}

static int unit_show(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct cli_args a;
	const char *code = NULL, *as_of = NULL;
	cli_args_init(&a, cli, argc, argv, "unit show", usage);
	while (cli_next(&a)) {
		if (cli_opt(&a, "--as-of", &as_of))
			continue;
		cli_one_positional(&a, &code);
	}
	if (a.stop)
		return a.rc;
	if (!code)
		return cli_missing(&a, "give a code");
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_unit u;
	struct lt_codelist succ = {0}, pred = {0};
	struct lt_err err = {0};
	json_t *kids = json_array();
	if (lt_registry_get(r, code, as_of, &u, &err) || lineage_asof(r, &u, as_of, &succ, &pred, &err) ||
	    lt_registry_children(r, u.code, LT_FILTER_ACTIVE, as_of, collect_child, kids, &err)) {
		rc = cli_fail(&err);
		json_decref(kids);
	} else {
		json_t *o = lt_unit_to_json(&u, &succ, &pred);
		json_object_set_new(o, "children", kids);
		if (cli->json) {
			rc = cli_print_json(o);
		} else {
			print_unit(o, as_of);
			json_decref(o);
			rc = cli_flush();
		}
	}
	lt_codelist_free(&succ);
	lt_codelist_free(&pred);
	lt_registry_close(r);
	return rc;
}

/* ---- history ---- */

static int history_event(void *ctx, const struct lt_event *ev)
{
	json_t *o = lt_event_history_json(ev);
	return o && json_array_append_new(ctx, o) == 0 ? LT_OK : LT_ENOMEM;
}

/* One event's lineage and rename, as one cell. */
static char *history_notes(json_t *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	if (json_is_string(json_object_get(e, "old_name")))
		fprintf(f, "renamed from '%s'", str_field(e, "old_name"));
	static const char *const keys[] = {"successors", "predecessors"};
	for (size_t k = 0; k < 2; k++) {
		json_t *list = json_object_get(e, keys[k]);
		if (!json_array_size(list))
			continue;
		fprintf(f, "%s%s: ", ftell(f) > 0 ? "; " : "", keys[k]);
		size_t i;
		json_t *c;
		json_array_foreach(list, i, c) fprintf(f, "%s%s", i ? ", " : "", json_string_value(c));
	}
	fclose(f);
	return text;
}

static int print_history(struct cli *cli, json_t *events)
{
	struct cli_table t;
	static const char *const header[] = {"SEQ", "EFFECTIVE", "WRITTEN", "KIND", "NAME", "DECISION", "LINEAGE"};
	cli_table_init(&t, 7, header);
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e)
	{
		char seq[32], at[64], decision[1024] = "";
		snprintf(seq, sizeof seq, "%lld", (long long)json_integer_value(json_object_get(e, "seq")));
		json_t *d = json_object_get(e, "decision");
		if (json_is_object(d))
			snprintf(decision, sizeof decision, "%s of %s, %s", str_field(d, "number"),
				 str_field(d, "date"), str_field(d, "issuer"));
		char *notes = history_notes(e);
		const char *row[] = {seq,
				     str_field(e, "effective"),
				     cli_time(cli, str_field(e, "at"), at, sizeof at),
				     str_field(e, "kind"),
				     str_field(e, "name"),
				     decision,
				     notes ? notes : ""};
		cli_table_add(&t, row);
		free(notes);
	}
	return cli_table_print(&t);
}

static int unit_history(struct cli *cli, int argc, char **argv, const char *usage)
{
	const char *code = NULL;
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "unit history", usage, &code, &r);
	if (rc)
		return rc;
	struct lt_err err = {0};
	json_t *events = json_array();
	if (lt_registry_history(r, code, history_event, events, &err)) {
		rc = cli_fail(&err);
		json_decref(events);
	} else if (cli->json) {
		rc = cli_print_json(events);
	} else {
		rc = print_history(cli, events);
		json_decref(events);
		if (rc == EXIT_OK)
			rc = cli_flush();
	}
	lt_registry_close(r);
	return rc;
}

/* ---- resolve ---- */

static int unit_resolve(struct cli *cli, int argc, char **argv, const char *usage)
{
	const char *code = NULL;
	struct lt_registry *r;
	int rc = cli_open_simple(cli, argc, argv, "unit resolve", usage, &code, &r);
	if (rc)
		return rc;
	struct lt_err err = {0};
	struct lt_unit u;
	struct lt_codelist cur = {0};
	if (lt_registry_get(r, code, NULL, &u, &err) || lt_registry_resolve(r, u.code, &cur, &err)) {
		rc = cli_fail(&err);
	} else {
		const char *status = u.status == LT_UNIT_ACTIVE ? "active" : "closed";
		if (cli->json) {
			json_t *list = json_array();
			for (size_t i = 0; i < cur.n; i++)
				json_array_append_new(list, json_string(cur.codes[i]));
			rc = cli_print_json(
				json_pack("{s:s,s:s,s:o}", "code", u.code, "status", status, "current", list));
		} else {
			printf("%s\t%s\t", u.code, status);
			if (!cur.n)
				fputs("no active successor", stdout);
			for (size_t i = 0; i < cur.n; i++)
				printf("%s%s", i ? ", " : "→ ", cur.codes[i]);
			putchar('\n');
			rc = cli_flush();
		}
	}
	lt_codelist_free(&cur);
	lt_registry_close(r);
	return rc;
}

/* ---- children and search: lists of units ---- */

static bool status_opt(struct cli_args *a, enum lt_status_filter *f)
{
	const char *v;
	if (!cli_opt(a, "--status", &v))
		return false;
	if (a->stop)
		return true;
	if (strcmp(v, "active") == 0)
		*f = LT_FILTER_ACTIVE;
	else if (strcmp(v, "closed") == 0)
		*f = LT_FILTER_CLOSED;
	else if (strcmp(v, "all") == 0)
		*f = LT_FILTER_ALL;
	else {
		a->stop = true;
		a->rc = cli_usage("%s: --status is active, closed or all, not '%s'", a->cmd, v);
	}
	return true;
}

static int collect_unit(void *ctx, const struct lt_unit *u)
{
	json_array_append_new(ctx, lt_unit_to_json(u, NULL, NULL));
	return LT_OK;
}

static void print_units(json_t *items)
{
	size_t i;
	json_t *u;
	json_array_foreach(items, i, u)
	{
		printf("%s\t%s\t%s\n", str_field(u, "code"), str_field(u, "status"), str_field(u, "name"));
	}
}

static int unit_children(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct cli_args a;
	const char *code = NULL, *as_of = NULL;
	enum lt_status_filter f = LT_FILTER_ACTIVE;
	cli_args_init(&a, cli, argc, argv, "unit children", usage);
	while (cli_next(&a)) {
		if (cli_opt(&a, "--as-of", &as_of) || status_opt(&a, &f))
			continue;
		cli_one_positional(&a, &code);
	}
	if (a.stop)
		return a.rc;
	if (!code)
		return cli_missing(&a, "give the parent's code");
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc)
		return rc;
	struct lt_err err = {0};
	json_t *items = json_array();
	if (lt_registry_children(r, code, f, as_of, collect_unit, items, &err)) {
		rc = cli_fail(&err);
		json_decref(items);
	} else if (cli->json) {
		rc = cli_print_json(json_pack("{s:o}", "items", items));
	} else {
		print_units(items);
		json_decref(items);
		rc = cli_flush();
	}
	lt_registry_close(r);
	return rc;
}

static int unit_search(struct cli *cli, int argc, char **argv, const char *usage)
{
	struct cli_args a;
	struct lt_search q = {.status = LT_FILTER_ACTIVE};
	long long level = 0, limit = 0;
	/* The words of the query may come unquoted: "unit search Sở Nội vụ". */
	size_t qlen = 0;
	for (int i = 1; i < argc; i++)
		qlen += strlen(argv[i]) + 1;
	char *words = calloc(1, qlen + 1);
	if (!words) {
		fputs("lienthong: out of memory\n", stderr);
		return EXIT_IO;
	}
	cli_args_init(&a, cli, argc, argv, "unit search", usage);
	while (cli_next(&a)) {
		const char *p;
		if (cli_opt_int(&a, "--level", 0, 99, &level) || cli_opt(&a, "--parent", &q.parent) ||
		    cli_opt(&a, "--under", &q.under) || status_opt(&a, &q.status) ||
		    cli_opt_int(&a, "--limit", 1, 100000, &limit) || cli_opt(&a, "--cursor", &q.cursor))
			continue;
		if ((p = cli_positional(&a))) {
			if (words[0])
				strcat(words, " ");
			strcat(words, p);
		} else {
			cli_unknown(&a);
		}
	}
	if (a.stop) {
		free(words);
		return a.rc;
	}
	q.q = words;
	q.level = (int)level;
	q.limit = (int)limit;
	struct lt_registry *r;
	int rc = cli_open(cli, false, &r);
	if (rc) {
		free(words);
		return rc;
	}
	struct lt_err err = {0};
	char next[LT_CURSOR_BUFSZ] = "";
	json_t *items = json_array();
	/* A complete closed code lands on its unit and its successors. */
	struct lt_codelist current = {0};
	bool landed = false;
	if (!(q.cursor && q.cursor[0]) &&
	    lt_transition_search_land(r, words, collect_unit, items, &current, &landed, &err)) {
		rc = cli_fail(&err);
		json_decref(items);
	} else if (!landed && lt_registry_search(r, &q, collect_unit, items, next, &err)) {
		rc = cli_fail(&err);
		json_decref(items);
	} else if (cli->json) {
		json_t *doc = json_pack("{s:o,s:o}", "items", items, "next_cursor",
					next[0] ? json_string(next) : json_null());
		if (doc && landed) {
			json_t *cur = json_array();
			for (size_t i = 0; i < current.n; i++)
				json_array_append_new(cur, json_string(current.codes[i]));
			json_object_set_new(
				doc, "landed",
				json_pack("{s:s,s:o}", "code",
					  json_string_value(json_object_get(json_array_get(items, 0), "code")),
					  "current", cur));
		}
		rc = cli_print_json(doc);
	} else {
		if (landed)
			fprintf(stderr, "%s is closed; it leads to %zu active unit%s\n",
				json_string_value(json_object_get(json_array_get(items, 0), "code")), current.n,
				current.n == 1 ? "" : "s");
		print_units(items);
		json_decref(items);
		/* On stderr, so the list on stdout stays one unit per line. */
		if (next[0])
			fprintf(stderr, "more: --cursor %s\n", next);
		rc = cli_flush();
	}
	lt_codelist_free(&current);
	free(words);
	lt_registry_close(r);
	return rc;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*fn)(struct cli *, int, char **, const char *);
	const char *usage;
} verbs[] = {
	{"show", unit_show, "unit show CODE [--as-of DATE] [--json]"},
	{"history", unit_history, "unit history CODE [--json]"},
	{"resolve", unit_resolve, "unit resolve CODE [--json]"},
	{"children", unit_children, "unit children CODE [--status active|closed|all] [--as-of DATE] [--json]"},
	{"search", unit_search,
	 "unit search [QUERY...] [--level N] [--parent CODE] [--under CODE] [--status active|closed|all] "
	 "[--limit N] [--cursor C] [--json]"},
	{"add", cli_unit_add,
	 "unit add --parent CODE --name NAME [--number N] DECISION [--effective DATE] [CONTACT] [--json]"},
	{"update", cli_unit_update, "unit update CODE CONTACT [--if-version N] [--json]"},
	{"rename", cli_unit_rename,
	 "unit rename CODE --name NAME DECISION [--effective DATE] [--if-version N] [--json]"},
	{"move", cli_unit_move, "unit move CODE --to PARENT DECISION [--effective DATE] [--dry-run] [--json]"},
	{"split", cli_unit_split,
	 "unit split CODE --into PARENT:NAME --into PARENT:NAME... [--child CHILD=INDEX...] DECISION "
	 "[--effective DATE] [--dry-run] [--json]"},
	{"merge", cli_unit_merge,
	 "unit merge CODE... (--into-code CODE | --into-parent PARENT --into-name NAME) DECISION "
	 "[--effective DATE] [--dry-run] [--json]"},
	{"dissolve", cli_unit_dissolve, "unit dissolve CODE... DECISION [--effective DATE] [--dry-run] [--json]"},
};

static void unit_usage(FILE *out)
{
	fputs("usage:\n", out);
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		fprintf(out, "  lienthong %s\n", verbs[i].usage);
	fputs("\nDECISION: --decision-number X --decision-date DATE --decision-issuer Y [--reorganized DATE]\n"
	      "CONTACT:  --address A --email E --phone P --fax F --website W\n"
	      "split: INDEX counts the --into units from 0\n",
	      out);
}

int cmd_unit(struct cli *cli, int argc, char **argv)
{
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--json") == 0; i++)
		cli->json = true;
	if (i >= argc) {
		unit_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
		unit_usage(stdout);
		return EXIT_OK;
	}
	for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++)
		if (strcmp(argv[i], verbs[k].name) == 0)
			return verbs[k].fn(cli, argc - i, argv + i, verbs[k].usage);
	return cli_usage("unknown sub-command 'unit %s'", argv[i]);
}
