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

#include <sys/stat.h>

#include <ini.h>

#include "lienthong/code.h"
#include "lienthong/log.h"

enum kind { K_STR, K_INT, K_BOOL, K_ENUM, K_SECRET };

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
static const char *const upstream_choices[] = {"lienthong", "vxp", NULL};
static const char *const publish_choices[] = {"lienthong", "dmdc", NULL};

#define STR(f) K_STR, offsetof(struct lt_config, f), sizeof(((struct lt_config *)0)->f)
#define INT(f) K_INT, offsetof(struct lt_config, f), 0
#define BOOL(f) K_BOOL, offsetof(struct lt_config, f), 0
#define ENUM(f) K_ENUM, offsetof(struct lt_config, f), 0
/* A string that is never printed back: dumps show whether it is set. */
#define SECRET(f) K_SECRET, offsetof(struct lt_config, f), sizeof(((struct lt_config *)0)->f)

static const struct key keys[] = {
	{"listen", STR(listen), "127.0.0.1:8080", 0, 0, NULL, "address and port the daemon listens on"},
	{"db", STR(db), "var/lienthong.db", 0, 0, NULL,
	 "SQLite database file (created 0600, as are its -wal and -shm, whatever the umask), or a postgresql:// URI"},
	{"data_dir", STR(data_dir), "var/data", 0, 0, NULL, "directory for package bodies and sealed keys"},
	{"issue_journal", STR(issue_journal), "", 0, 0, NULL,
	 "file, on another disk than db and its backups, where every code issued and the change feed's progress "
	 "are appended; a registry restored from an older backup then refuses changes until 'lienthong catch-up' "
	 "(docs/operations.md); empty: none"},
	{"hub_code", STR(hub_code), "", 0, 0, NULL,
	 "code of the unit that runs this hub: the hub sends its own packages (a transition campaign's probes) as "
	 "that unit, from a connected system it makes for it (docs/campaigns.md); empty: no probes"},
	{"max_package_bytes", INT(max_package_bytes), "104857600", 1024, INT64_C(1) << 40, NULL,
	 "largest edXML package accepted, in bytes"},
	{"max_request_file_bytes", INT(max_request_file_bytes), "20971520", 1024, INT64_C(1) << 34, NULL,
	 "largest file attached to a change request (a draft or signed decision), in bytes"},
	{"signature_policy", ENUM(signature_policy), "flag", 0, 0, sig_choices,
	 "what an unsigned or badly signed package gets: off, flag or require"},
	{"verify_max_bytes", INT(verify_max_bytes), "268435456", 65536, INT64_C(1) << 40, NULL,
	 "memory, in bytes, that signature verifications may hold at once; each streams its package and holds at "
	 "most 8 MiB whatever the package's size, so past this many at once they wait their turn"},
	{"public_read", BOOL(public_read), "true", 0, 0, NULL, "allow anonymous reads of the public catalogue"},
	{"log_level", ENUM(log_level), "info", 0, 0, log_choices, "error, warn, info or debug"},
	{"threads", INT(threads), "4", 1, 256, NULL, "worker threads of the HTTP server"},
	{"db_cache_mib", INT(db_cache_mib), "32", 1, 65536, NULL,
	 "MiB of database pages the writer keeps in memory (SQLite; each reader keeps 2 MiB and maps the file; "
	 "PostgreSQL caches on its server)"},
	{"lookup_cache_entries", INT(lookup_cache_entries), "131072", 0, INT64_C(1) << 24, NULL,
	 "unit look-up replies kept in memory (about 1 KB each), valid until the registry changes; 0 = none"},
	{"token_cache_entries", INT(token_cache_entries), "4096", 0, INT64_C(1) << 20, NULL,
	 "authenticated bearer tokens whose principal is kept in memory (256 bytes each, keyed by the "
	 "token's SHA-256), valid until a token or system changes; 0 = none"},
	{"max_connections", INT(max_connections), "2048", 1, 100000, NULL, "open connections at most"},
	{"max_connections_per_ip", INT(max_connections_per_ip), "256", 1, 100000, NULL,
	 "open connections at most from one address"},
	{"connection_timeout", INT(connection_timeout), "30", 1, 3600, NULL,
	 "seconds an idle or slow connection is kept"},
	{"max_body_bytes", INT(max_body_bytes), "65536", 1024, INT64_C(1) << 30, NULL,
	 "largest JSON request body of the catalogue API (a unit, a reorganisation), in bytes"},
	{"max_bulk_bytes", INT(max_bulk_bytes), "16777216", 1024, INT64_C(1) << 34, NULL,
	 "largest bulk request body (records posted to /dmdc/Category, a CSV file posted to /v1/imports), in bytes"},
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
	{"display_tz", STR(display_tz), "Asia/Ho_Chi_Minh", 0, 0, NULL,
	 "time zone the command line shows times in, each with its offset: a tz database name or a POSIX TZ "
	 "string (the API always gives UTC)"},
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
	{"local_scope", STR(local_scope), "", 0, 0, NULL,
	 "comma-separated codes of the subtrees this hub serves (`000.00.00.H17,000.00.00.K17`); documents to codes "
	 "outside them, or unknown here, are relayed to `upstream_url`; empty: every code is local"},
	{"upstream_url", STR(upstream_url), "", 0, 0, NULL,
	 "base URL of the hub above this one (`http://national:8080` for lienthong, the VXP endpoint such as "
	 "`https://axis.example/vxp` for vxp); empty: no upstream, no relay"},
	{"upstream_protocol", ENUM(upstream_protocol), "lienthong", 0, 0, upstream_choices,
	 "how the upstream is spoken to: lienthong (its /v1 API with `upstream_token`) or vxp (as the VXP Java SDK, "
	 "with `upstream_system_id` and `upstream_secret`)"},
	{"upstream_system_id", STR(upstream_system_id), "", 0, 0, NULL,
	 "this hub's systemid at a VXP upstream (the code it was registered with there)"},
	{"upstream_secret", SECRET(upstream_secret), "", 0, 0, NULL,
	 "this hub's VXP secret at the upstream; never logged; a config file holding it must not be readable by "
	 "others (mode 0600 or 0640), or give it as LIENTHONG_UPSTREAM_SECRET"},
	{"upstream_token", SECRET(upstream_token), "", 0, 0, NULL,
	 "the bearer token of this hub's connected system at a lienthong upstream; never logged; a config file "
	 "holding it must not be readable by others"},
	{"relay_backoff_max", INT(relay_backoff_max), "300", 1, 86400, NULL,
	 "seconds at most between two tries of a document the upstream did not take (the wait doubles from 1 s)"},
	{"upstream_poll_wait", INT(upstream_poll_wait), "20", 0, 60, NULL,
	 "seconds a poll of a lienthong upstream's inbox may wait for news (its long poll, GET /v1/inbox?wait=); "
	 "0: the worker polls twice a second"},
	{"upstream_public_key", STR(upstream_public_key), "", 0, 0, NULL,
	 "the upstream registry's catalogue key as `lienthong key show` prints it there (`ed25519:<base64>`): the "
	 "mirror then refuses a snapshot or change-feed page that is unsigned, altered or signed by another key, and "
	 "keeps its last good copy; empty: the mirror takes what comes unverified (its health says so)"},
	{"catalogue_max_age", INT(catalogue_max_age), "3600", 10, INT64_C(1) << 31, NULL,
	 "seconds after the last good contact with the upstream's catalogue beyond which /healthz calls the mirror "
	 "stale (look-ups and routing keep using the last good copy)"},
	{"catalogue_poll_seconds", INT(catalogue_poll_seconds), "30", 1, 86400, NULL,
	 "seconds between two looks at the upstream's catalogue: its change feed (lienthong), or its whole "
	 "getAgenciesList (vxp)"},
	{"publish_seconds", INT(publish_seconds), "60", 1, 86400, NULL,
	 "a change inside local_scope is published upstream within this many seconds of its commit, and retried "
	 "until the upstream accepts it"},
	{"upstream_publish_token", SECRET(upstream_publish_token), "", 0, 0, NULL,
	 "the token this hub publishes its catalogue changes with at a lienthong upstream, when not upstream_token "
	 "(the token of this hub's system bound to its subtree there, which may publish inside it): a manager "
	 "token of the upstream scoped to this hub's subtree; never logged; empty: upstream_token"},
	{"catalogue_publish_url", STR(catalogue_publish_url), "", 0, 0, NULL,
	 "base URL changes inside local_scope are published to; empty: upstream_url (when upstream_protocol is "
	 "lienthong)"},
	{"catalogue_publish_protocol", ENUM(catalogue_publish_protocol), "lienthong", 0, 0, publish_choices,
	 "how they are published: lienthong (POST /v1/changes, the change-feed items) or dmdc (POST "
	 "/dmdc/Category/qlvanbandieuhanhcap<level>, the shared catalogue's records)"},
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
	case K_SECRET:
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
	struct stat st;
	int st_rc = fstat(fileno(f), &st);
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
	/* A secret in a file anyone on the machine can read is no secret. */
	bool holds_secret = strcmp(tmp.upstream_secret, cfg->upstream_secret) != 0 ||
			    strcmp(tmp.upstream_token, cfg->upstream_token) != 0 ||
			    strcmp(tmp.upstream_publish_token, cfg->upstream_publish_token) != 0;
	if (holds_secret && (st_rc != 0 || (st.st_mode & S_IROTH)))
		return lt_err_set(err, LT_EINVAL,
				  "%s holds upstream_secret or upstream_token but others may read it: chmod o-r %s "
				  "(or give the secret as LIENTHONG_UPSTREAM_SECRET / LIENTHONG_UPSTREAM_TOKEN)",
				  path, path);
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
		case K_SECRET:
			fprintf(out, "%s = %s\n", k->name, field[0] ? "(set, not shown)" : "");
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

int lt_config_scope_each(const char *scope, int (*fn)(void *arg, const char *code), void *arg)
{
	const char *p = scope;
	while (*p) {
		size_t n = strcspn(p, ",");
		char code[LT_CODE_BUFSZ + 8];
		const char *s = p;
		size_t len = n;
		while (len && isspace((unsigned char)*s))
			s++, len--;
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (len && len < sizeof code) {
			memcpy(code, s, len);
			code[len] = '\0';
			int rc = fn(arg, code);
			if (rc)
				return rc;
		}
		p += n + (p[n] == ',');
	}
	return LT_OK;
}

static int check_root(void *arg, const char *code)
{
	struct lt_err *err = arg;
	struct lt_code c;
	if (lt_code_parse(&c, code, LT_CODE_STRICT, err)) {
		lt_err_prefix(err, "local_scope: '%s': ", code);
		return LT_EINVAL;
	}
	return LT_OK;
}

static bool scope_has_root(const char *scope)
{
	for (const char *p = scope; *p; p++)
		if (!isspace((unsigned char)*p) && *p != ',')
			return true;
	return false;
}

int lt_config_validate(const struct lt_config *cfg, struct lt_err *err)
{
	/* A root too long to be a code would be skipped silently by scope_each. */
	for (const char *p = cfg->local_scope; *p;) {
		size_t n = strcspn(p, ",");
		if (n > LT_CODE_BUFSZ + 6)
			return lt_err_set(err, LT_EINVAL, "local_scope: '%.*s' is not a code", (int)n, p);
		p += n + (p[n] == ',');
	}
	int rc = lt_config_scope_each(cfg->local_scope, check_root, err);
	if (rc)
		return rc;
	const char *url = cfg->upstream_url;
	if (!url[0])
		return LT_OK;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return lt_err_set(err, LT_EINVAL, "upstream_url: '%s' is not an http:// or https:// URL", url);
	if (strchr(url, '?') || strchr(url, '#') || strpbrk(url, " \t\r\n"))
		return lt_err_set(err, LT_EINVAL,
				  "upstream_url: give the base URL alone, without query, fragment or "
				  "blanks");
	if (!scope_has_root(cfg->local_scope))
		return lt_err_set(err, LT_EINVAL,
				  "upstream_url is set but local_scope is empty: name the subtrees "
				  "this hub serves, or everything would be relayed");
	if (cfg->upstream_protocol == LT_UPSTREAM_VXP) {
		struct lt_code c;
		if (!cfg->upstream_system_id[0] || !cfg->upstream_secret[0])
			return lt_err_set(err, LT_EINVAL,
					  "upstream_protocol vxp needs upstream_system_id and "
					  "upstream_secret");
		if (lt_code_parse(&c, cfg->upstream_system_id, LT_CODE_LENIENT | LT_CODE_SYSTEM, err)) {
			lt_err_prefix(err, "upstream_system_id: ");
			return LT_EINVAL;
		}
	} else if (!cfg->upstream_token[0]) {
		return lt_err_set(err, LT_EINVAL,
				  "upstream_protocol lienthong needs upstream_token (the token of this "
				  "hub's connected system at the upstream)");
	}
	return LT_OK;
}
