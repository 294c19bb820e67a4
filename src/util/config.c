/* The typed configuration table. Adding a key means adding one row here and a
 * field in struct lt_config; parsing, overrides, help and docs follow. */
#include "lienthong/config.h"
#include "lienthong/text.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "lienthong/log.h"

enum kind { K_STR, K_INT, K_BOOL, K_ENUM };

struct key {
	const char *name;
	enum kind kind;
	size_t offset;
	size_t size; /* for strings */
	const char *def;
	int64_t min, max;           /* for integers */
	const char *const *choices; /* for enums, NULL-terminated */
	const char *help;
};

static const char *const sig_choices[] = {"off", "flag", "require", NULL};
static const char *const log_choices[] = {"error", "warn", "info", "debug", NULL};

#define STR(f) K_STR, offsetof(struct lt_config, f), sizeof(((struct lt_config *)0)->f)
#define INT(f) K_INT, offsetof(struct lt_config, f), 0
#define BOOL(f) K_BOOL, offsetof(struct lt_config, f), 0
#define ENUM(f) K_ENUM, offsetof(struct lt_config, f), 0

static const struct key keys[] = {
	{"listen", STR(listen), "127.0.0.1:8080", 0, 0, NULL, "address and port the daemon listens on"},
	{"db", STR(db), "var/lienthong.db", 0, 0, NULL,
	 "SQLite database file (created 0600, as are its -wal and -shm, whatever the umask), or a postgresql:// URI"},
	{"data_dir", STR(data_dir), "var/data", 0, 0, NULL, "directory for package bodies and sealed keys"},
	{"issue_journal", STR(issue_journal), "", 0, 0, NULL,
	 "file, on another disk than db and its backups, where every code issued and the change feed's progress "
	 "are appended; a registry restored from an older backup then refuses changes until 'lienthong catch-up' "
	 "(docs/operations.md); empty: none"},
	{"max_package_bytes", INT(max_package_bytes), "104857600", 1024, INT64_C(1) << 40, NULL,
	 "largest edXML package accepted, in bytes"},
	{"max_request_file_bytes", INT(max_request_file_bytes), "20971520", 1024, INT64_C(1) << 34, NULL,
	 "largest file attached to a change request (a draft or signed decision), in bytes"},
	{"signature_policy", ENUM(signature_policy), "flag", 0, 0, sig_choices,
	 "what an unsigned or badly signed package gets: off, flag or require"},
	{"verify_max_bytes", INT(verify_max_bytes), "268435456", 65536, INT64_C(1) << 40, NULL,
	 "memory, in bytes, that signature verifications may hold at once (each parses its package whole: about "
	 "twice its size, up to forty times for dense markup); a signed package that needs more is not verified"},
	{"public_read", BOOL(public_read), "true", 0, 0, NULL, "allow anonymous reads of the public catalogue"},
	{"log_level", ENUM(log_level), "info", 0, 0, log_choices, "error, warn, info or debug"},
	{"threads", INT(threads), "4", 1, 256, NULL, "worker threads of the HTTP server"},
	{"db_cache_mib", INT(db_cache_mib), "32", 1, 65536, NULL,
	 "MiB of database pages the writer keeps in memory (SQLite; each reader keeps 2 MiB and maps the file; "
	 "PostgreSQL caches on its server)"},
	{"lookup_cache_entries", INT(lookup_cache_entries), "131072", 0, INT64_C(1) << 24, NULL,
	 "unit look-up replies kept in memory (about 1 KB each), valid until the registry changes; 0 = none"},
	{"max_connections", INT(max_connections), "2048", 1, 100000, NULL, "open connections at most"},
	{"max_connections_per_ip", INT(max_connections_per_ip), "256", 1, 100000, NULL,
	 "open connections at most from one address"},
	{"connection_timeout", INT(connection_timeout), "30", 1, 3600, NULL,
	 "seconds an idle or slow connection is kept"},
	{"max_body_bytes", INT(max_body_bytes), "65536", 1024, INT64_C(1) << 30, NULL,
	 "largest JSON request body of the catalogue API (a unit, a reorganisation), in bytes"},
	{"max_bulk_bytes", INT(max_bulk_bytes), "16777216", 1024, INT64_C(1) << 34, NULL,
	 "largest bulk request body (records posted to /dmdc/Category), in bytes"},
	{"vxp_max_clock_skew", INT(vxp_max_clock_skew), "0", 0, INT64_C(1) << 31, NULL,
	 "refuse VXP calls whose timestamp is further off than this many seconds; 0 = off"},
	{"vxp_agency_ops", BOOL(vxp_agency_ops), "off", 0, 0, NULL,
	 "let a connected system bind and unbind, over VXP registerAgency and deleteAgency, units strictly below "
	 "its own code (the SDK signs neither call's code); off: an admin or the unit's manager binds them"},
	{"vxp_utc_offset", INT(vxp_utc_offset), "420", -720, 840, NULL,
	 "minutes east of UTC of the VXP clients' clocks, whose timestamp, fromDate and toDate carry no zone; 420 = "
	 "Viet Nam (UTC+7)"},
	{"vxp_sent_days", INT(vxp_sent_days), "30", 0, 36500, NULL,
	 "getSentEdocList lists what the caller sent in this many days; 0 = since the first (the SDK's call has no "
	 "dates or pages of its own, so the list is bounded here)"},
	{"vxp_sent_max", INT(vxp_sent_max), "500", 1, 100000, NULL,
	 "getSentEdocList lists at most this many of the caller's latest documents"},
	{"retention_days", INT(retention_days), "0", 0, 36500, NULL,
	 "days after which acknowledged package bodies are removed; 0 = keep"},
	{"hold_days", INT(hold_days), "30", 1, 36500, NULL,
	 "days a document addressed to a unit with no connected system waits for one to be bound before it is "
	 "marked expired"},
	{"trusted_ca", STR(trusted_ca), "", 0, 0, NULL,
	 "PEM file(s), ':'-separated, of CAs whose certificates may sign for the code they name"},
	{"web_dir", STR(web_dir), "", 0, 0, NULL,
	 "directory of the web interface; empty: the web/ folder beside the binary's build directory"},
	{"access_log", STR(access_log), "-", 0, 0, NULL, "access log file, '-' for stderr, empty for none"},
};

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static int set_key(struct lt_config *cfg, const struct key *k, const char *value, struct lt_err *err)
{
	char *field = (char *)cfg + k->offset;
	switch (k->kind) {
	case K_STR:
		if (strlen(value) >= k->size)
			return lt_err_set(err, LT_EINVAL, "%s: value longer than %zu bytes", k->name, k->size - 1);
		memcpy(field, value, strlen(value) + 1);
		return LT_OK;
	case K_INT: {
		long long v;
		if (!lt_text_int(value, k->min, k->max, &v))
			return lt_err_set(err, LT_EINVAL, "%s: '%s' is not a whole number in %" PRId64 "..%" PRId64,
					  k->name, value, k->min, k->max);
		*(int64_t *)(void *)field = v;
		return LT_OK;
	}
	case K_BOOL:
		if (parse_bool(value, (bool *)(void *)field))
			return lt_err_set(err, LT_EINVAL, "%s: '%s' is not true/false", k->name, value);
		return LT_OK;
	case K_ENUM:
		for (int i = 0; k->choices[i]; i++)
			if (strcmp(value, k->choices[i]) == 0)
				return *(int *)(void *)field = i, LT_OK;
		{
			char list[256] = "";
			for (int i = 0; k->choices[i]; i++) {
				strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
				strncat(list, k->choices[i], sizeof list - strlen(list) - 1);
			}
			return lt_err_set(err, LT_EINVAL, "%s: '%s' is not one of %s", k->name, value, list);
		}
	}
	return LT_EINVAL;
}

int lt_config_set(struct lt_config *cfg, const char *key, const char *value, struct lt_err *err)
{
	const struct key *k = find_key(key);
	if (!k)
		return lt_err_set(err, LT_EINVAL, "unknown key '%s' (see lienthongd --help for the list)", key);
	return set_key(cfg, k, value, err);
}

void lt_config_defaults(struct lt_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		int rc = set_key(cfg, &keys[i], keys[i].def, NULL);
		(void)rc; /* defaults are valid by construction; the unit test checks it */
	}
}

struct ini_ctx {
	struct lt_config *cfg;
	struct lt_err *err;
	FILE *f;
	int line;        /* lines read so far, counted as inih counts them */
	int failed_line; /* line of the first refused key or value, 0 if none */
	int long_line;   /* line too long for inih's buffer, 0 if none */
	int max_len;     /* the longest line inih takes whole */
};

/* Feeds inih one line at a time, so that a refusal knows its own line, a line
 * too long for inih's buffer is refused rather than cut in two, and leading
 * blanks are dropped: inih would read an indented line as the continuation
 * of the previous value (`db` set to "threads = 4"). */
static char *read_line(char *buf, int size, void *stream)
{
	struct ini_ctx *ctx = stream;
	if (ctx->long_line || !fgets(buf, size, ctx->f))
		return NULL;
	ctx->line++;
	ctx->max_len = size - 1;
	size_t n = strlen(buf);
	if (n == (size_t)size - 1 && buf[n - 1] != '\n') {
		int ch = getc(ctx->f);
		if (ch != EOF && ch != '\n') {
			ctx->long_line = ctx->line;
			return NULL;
		}
	}
	size_t skip = strspn(buf, " \t");
	memmove(buf, buf + skip, n - skip + 1);
	return buf;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *ctx = user;
	if (ctx->failed_line)
		return 0;
	if (section[0] && strcmp(section, "lienthong") != 0) {
		lt_err_set(ctx->err, LT_EINVAL, "unknown section [%s]: keys go at the top or under [lienthong]",
			   section);
		ctx->failed_line = ctx->line;
		return 0;
	}
	if (lt_config_set(ctx->cfg, name, value, ctx->err)) {
		ctx->failed_line = ctx->line;
		return 0;
	}
	return 1;
}

int lt_config_load_file(struct lt_config *cfg, const char *path, struct lt_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return lt_err_set(err, LT_EIO, "cannot open config file %s: %s", path, strerror(errno));
	struct lt_config tmp = *cfg;
	struct ini_ctx ctx = {&tmp, err, f, 0, 0, 0, 0};
	int line = ini_parse_stream(read_line, &ctx, on_ini, &ctx);
	fclose(f);
	if (line == 0)
		line = ctx.long_line;
	if (line != 0) {
		/* inih reports the first error; say what it was. */
		if (line == ctx.long_line)
			lt_err_set(err, LT_EINVAL, "line longer than %d characters", ctx.max_len);
		else if (line != ctx.failed_line)
			lt_err_set(err, LT_EINVAL, "syntax error");
		lt_err_prefix(err, "%s:%d: ", path, line);
		return LT_EINVAL;
	}
	*cfg = tmp;
	return LT_OK;
}

int lt_config_load_env(struct lt_config *cfg, struct lt_err *err)
{
	struct lt_config tmp = *cfg;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char var[64] = "LIENTHONG_";
		size_t n = strlen(var);
		for (const char *p = keys[i].name; *p && n < sizeof var - 1; p++)
			var[n++] = (char)toupper((unsigned char)*p);
		var[n] = '\0';
		const char *v = getenv(var);
		int rc = v ? set_key(&tmp, &keys[i], v, err) : LT_OK;
		if (rc) {
			lt_err_prefix(err, "environment %s: ", var);
			return rc;
		}
	}
	*cfg = tmp;
	return LT_OK;
}

void lt_config_dump(const struct lt_config *cfg, FILE *out)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const struct key *k = &keys[i];
		const char *field = (const char *)cfg + k->offset;
		switch (k->kind) {
		case K_STR:
			fprintf(out, "%s = %s\n", k->name, field);
			break;
		case K_INT:
			fprintf(out, "%s = %" PRId64 "\n", k->name, *(const int64_t *)(const void *)field);
			break;
		case K_BOOL:
			fprintf(out, "%s = %s\n", k->name, *(const bool *)(const void *)field ? "true" : "false");
			break;
		case K_ENUM:
			fprintf(out, "%s = %s\n", k->name, k->choices[*(const int *)(const void *)field]);
			break;
		}
	}
}

void lt_config_help(FILE *out, bool md)
{
	if (md)
		fprintf(out, "| key | default | meaning |\n|---|---|---|\n");
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (md)
			fprintf(out, "| `%s` | `%s` | %s |\n", keys[i].name, keys[i].def, keys[i].help);
		else
			fprintf(out, "  %-24s %s (default %s)\n", keys[i].name, keys[i].help, keys[i].def);
	}
}
