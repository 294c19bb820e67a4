/* Unit tests for src/util: the status table (design.md §7.1 exit codes, §7.2
 * HTTP statuses), lt_err, and the configuration table with its INI file and
 * LIENTHONG_<KEY> overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lienthong/config.h"
#include "lienthong/err.h"
#include "lienthong/log.h"
#include "lienthong/text.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- status table ------------------------------------------------------- */

static void test_status_mapping(void **state)
{
	(void)state;
	static const struct {
		int status;
		int http;
		int exit_code;
		const char *name;
	} rows[] = {
		{LT_OK, 200, 0, "ok"},
		{LT_EINVAL, 400, 1, "bad_request"},
		{LT_ENOTFOUND, 404, 1, "not_found"},
		{LT_ECONFLICT, 409, 1, "conflict"},
		{LT_ERULE, 422, 1, "rule_refused"},
		{LT_EIO, 500, 3, "io_error"},
		{LT_ENOMEM, 500, 3, "out_of_memory"},
		{LT_ETOOBIG, 413, 1, "too_large"},
		{LT_EAUTH, 401, 1, "unauthorized"},
		{LT_EFORBIDDEN, 403, 1, "forbidden"},
		{LT_ENOTREADY, 503, 3, "not_ready"},
		{LT_EPRECOND, 412, 1, "precondition_failed"},
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		int s = rows[i].status;
		if (lt_status_http(s) != rows[i].http)
			fail_msg("status %d: http %d, want %d", s, lt_status_http(s), rows[i].http);
		if (lt_status_exit(s) != rows[i].exit_code)
			fail_msg("status %d: exit %d, want %d", s, lt_status_exit(s), rows[i].exit_code);
		assert_string_equal(lt_status_name(s), rows[i].name);
		assert_non_null(lt_strerror(s));
		assert_true(strlen(lt_strerror(s)) > 0);
		/* Names and phrases are distinct, so a client can tell them apart. */
		for (size_t k = 0; k < i; k++) {
			assert_string_not_equal(lt_status_name(s), lt_status_name(rows[k].status));
			assert_string_not_equal(lt_strerror(s), lt_strerror(rows[k].status));
		}
	}
	assert_string_equal(lt_strerror(LT_ENOTFOUND), "not found");

	/* An unknown status is a server-side failure, never a success. */
	static const int unknown[] = {-12, -99, 1, 42, -2147483647 - 1};
	for (size_t i = 0; i < ARRAY_LEN(unknown); i++) {
		assert_int_equal(lt_status_http(unknown[i]), 500);
		assert_int_equal(lt_status_exit(unknown[i]), 3);
		assert_non_null(lt_strerror(unknown[i]));
		assert_string_not_equal(lt_status_name(unknown[i]), "ok");
	}
}

/* ---- lt_err ------------------------------------------------------------- */

/* Dates in both accepted forms come out as YYYY-MM-DD, every digit in place,
 * and what is not a real calendar date is refused. */
static void test_date_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} good[] = {{"2020-05-04", "2020-05-04"}, {"04/05/2020", "2020-05-04"}, {"2020/12/31", "2020-12-31"},
		    {"1900-01-01", "1900-01-01"}, {"9999-12-31", "9999-12-31"}, {"29/02/2024", "2024-02-29"},
		    {"2007-10-09", "2007-10-09"}};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char out[LT_DATE_BUFSZ];
		memset(out, 'x', sizeof out);
		assert_int_equal(lt_date_parse(good[i].in, out, NULL), LT_OK);
		assert_string_equal(out, good[i].out);
	}
	static const char *const bad[] = {"2023-02-29",  "1899-12-31", "2020-13-01", "2020-00-10", "2020-5-04",
					  "2020-05-04x", "",           "32/01/2020", "2020.05.04"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[LT_DATE_BUFSZ];
		struct lt_err e = {0};
		if (lt_date_parse(bad[i], out, &e) != LT_EINVAL)
			fail_msg("'%s' was taken as a date", bad[i]);
	}
}

static void test_err_set(void **state)
{
	(void)state;
	struct lt_err err = {0};
	assert_int_equal(lt_err_set(&err, LT_ENOTFOUND, "no unit %s at level %d", "000.00.04.G14", 2), LT_ENOTFOUND);
	assert_int_equal((int)err.status, LT_ENOTFOUND);
	assert_string_equal(err.msg, "no unit 000.00.04.G14 at level 2");

	/* Without an err the status still comes back. */
	assert_int_equal(lt_err_set(NULL, LT_ECONFLICT, "x %d", 1), LT_ECONFLICT);

	/* A message over the cap is cut, NUL-terminated, not overflowed. */
	char big[2 * LT_ERR_MSG_MAX];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(lt_err_set(&err, LT_EIO, "%s", big), LT_EIO);
	assert_int_equal(strlen(err.msg), LT_ERR_MSG_MAX - 1);

	lt_err_clear(&err);
	assert_int_equal((int)err.status, LT_OK);
	assert_string_equal(err.msg, "");
	lt_err_clear(NULL);
}

static void test_err_prefix(void **state)
{
	(void)state;
	struct lt_err err = {0};
	lt_err_set(&err, LT_EINVAL, "bad code");
	assert_int_equal(lt_err_prefix(&err, "line %d: ", 12), LT_EINVAL);
	assert_string_equal(err.msg, "line 12: bad code");
	assert_int_equal((int)err.status, LT_EINVAL);
	assert_int_equal(lt_err_prefix(&err, "%s:", "file.csv"), LT_EINVAL);
	assert_string_equal(err.msg, "file.csv:line 12: bad code");

	/* The status is kept whatever it is. */
	lt_err_set(&err, LT_ERULE, "refused");
	assert_int_equal(lt_err_prefix(&err, "unit %s: ", "000.00.00.G14"), LT_ERULE);
	assert_string_equal(err.msg, "unit 000.00.00.G14: refused");

	/* Long prefix plus long message: cut, terminated, the prefix first. */
	char big[LT_ERR_MSG_MAX];
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	lt_err_set(&err, LT_EIO, "%s", big);
	assert_int_equal(lt_err_prefix(&err, "%s", "ctx: "), LT_EIO);
	assert_int_equal(strlen(err.msg), LT_ERR_MSG_MAX - 1);
	assert_memory_equal(err.msg, "ctx: mmm", 8);

	lt_err_prefix(NULL, "ignored %d", 1); /* must not crash */
}

/* ---- config: defaults, set, dump ---------------------------------------- */

static void test_config_defaults(void **state)
{
	(void)state;
	struct lt_config cfg;
	memset(&cfg, 0x77, sizeof cfg);
	lt_config_defaults(&cfg);
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	assert_string_equal(cfg.db, "var/lienthong.db");
	assert_string_equal(cfg.data_dir, "var/data");
	assert_int_equal(cfg.max_package_bytes, 104857600);
	assert_int_equal(cfg.signature_policy, LT_SIG_FLAG);
	assert_true(cfg.public_read);
	assert_int_equal(cfg.log_level, LT_LOG_INFO);
	assert_int_equal(cfg.threads, 4);
	assert_int_equal(cfg.max_connections, 2048);
	assert_int_equal(cfg.max_connections_per_ip, 256);
	assert_int_equal(cfg.connection_timeout, 30);
	assert_int_equal(cfg.max_body_bytes, 65536);
	assert_int_equal(cfg.max_bulk_bytes, 16777216);
	assert_int_equal(cfg.vxp_max_clock_skew, 0);
	assert_int_equal(cfg.retention_days, 0);
	assert_string_equal(cfg.access_log, "-");
	assert_string_equal(cfg.trusted_ca, "");
	assert_string_equal(cfg.web_dir, "");
}

static char *dump_text(const struct lt_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	lt_config_dump(cfg, f);
	fclose(f);
	return text;
}

static void test_config_dump_and_help(void **state)
{
	(void)state;
	struct lt_config cfg;
	lt_config_defaults(&cfg);
	char *text = dump_text(&cfg);
	static const char *lines[] = {
		"listen = 127.0.0.1:8080\n", "db = var/lienthong.db\n", "max_package_bytes = 104857600\n",
		"signature_policy = flag\n", "public_read = true\n",    "log_level = info\n",
		"access_log = -\n",          "retention_days = 0\n",
	};
	for (size_t i = 0; i < ARRAY_LEN(lines); i++)
		if (!strstr(text, lines[i]))
			fail_msg("dump lacks \"%s\":\n%s", lines[i], text);
	free(text);

	/* Every default, dumped and read back through lt_config_set, is the same. */
	struct lt_config back;
	lt_config_defaults(&back);
	text = dump_text(&cfg);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *eq = strstr(line, " = ");
		assert_non_null(eq);
		*eq = '\0';
		struct lt_err err = {0};
		if (lt_config_set(&back, line, eq + 3, &err) != LT_OK)
			fail_msg("dumped key %s does not read back: %s", line, err.msg);
	}
	free(text);
	assert_memory_equal(&back, &cfg, sizeof cfg);

	char *help = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);
	lt_config_help(f, true);
	fclose(f);
	assert_non_null(strstr(help, "| `listen` | `127.0.0.1:8080` |"));
	assert_non_null(strstr(help, "| `signature_policy` | `flag` |"));
	free(help);
	f = open_memstream(&help, &len);
	lt_config_help(f, false);
	fclose(f);
	assert_non_null(strstr(help, "max_package_bytes"));
	assert_non_null(strstr(help, "(default 104857600)"));
	free(help);
}

static void test_config_set(void **state)
{
	(void)state;
	struct lt_config cfg;
	lt_config_defaults(&cfg);
	struct lt_err err = {0};

	static const struct {
		const char *v;
		bool want;
	} bools[] = {{"true", true}, {"false", false}, {"YES", true}, {"no", false},
		     {"On", true},   {"off", false},   {"1", true},   {"0", false}};
	for (size_t i = 0; i < ARRAY_LEN(bools); i++) {
		assert_int_equal(lt_config_set(&cfg, "public_read", bools[i].v, &err), LT_OK);
		assert_int_equal(cfg.public_read, bools[i].want);
	}
	assert_int_equal(lt_config_set(&cfg, "signature_policy", "require", &err), LT_OK);
	assert_int_equal(cfg.signature_policy, LT_SIG_REQUIRE);
	assert_int_equal(lt_config_set(&cfg, "signature_policy", "off", &err), LT_OK);
	assert_int_equal(cfg.signature_policy, LT_SIG_OFF);
	assert_int_equal(lt_config_set(&cfg, "log_level", "debug", &err), LT_OK);
	assert_int_equal(cfg.log_level, LT_LOG_DEBUG);
	assert_int_equal(lt_config_set(&cfg, "threads", "1", &err), LT_OK);
	assert_int_equal(cfg.threads, 1);
	assert_int_equal(lt_config_set(&cfg, "threads", "256", &err), LT_OK);
	assert_int_equal(cfg.threads, 256);
	assert_int_equal(lt_config_set(&cfg, "max_package_bytes", "1099511627776", &err), LT_OK);
	assert_int_equal(cfg.max_package_bytes, INT64_C(1) << 40);
	assert_int_equal(lt_config_set(&cfg, "db", "postgresql://u@h/lienthong", &err), LT_OK);
	assert_string_equal(cfg.db, "postgresql://u@h/lienthong");
	assert_int_equal(lt_config_set(&cfg, "access_log", "", &err), LT_OK);
	assert_string_equal(cfg.access_log, "");

	char long_listen[sizeof cfg.listen + 1];
	memset(long_listen, 'a', sizeof long_listen - 1);
	long_listen[sizeof long_listen - 1] = '\0';

	struct {
		const char *key, *value, *want;
	} bad[] = {
		{"nope", "1", "unknown key 'nope'"},
		{"LISTEN", "x", "unknown key 'LISTEN'"},
		{"public_read", "maybe", "public_read: 'maybe' is not true/false"},
		{"public_read", "", "public_read: '' is not true/false"},
		{"signature_policy", "bogus", "signature_policy: 'bogus' is not one of off, flag, require"},
		{"signature_policy", "FLAG", "is not one of off, flag, require"},
		{"log_level", "trace", "log_level: 'trace' is not one of error, warn, info, debug"},
		{"threads", "0", "threads: '0' is not a whole number in 1..256"},
		{"threads", "257", "threads: '257' is not a whole number in 1..256"},
		{"threads", "4x", "threads: '4x' is not a whole number"},
		{"threads", "", "threads: '' is not a whole number"},
		{"threads", "4.5", "is not a whole number"},
		{"threads", "99999999999999999999999", "is not a whole number"},
		{"max_package_bytes", "1023", "is not a whole number in 1024..1099511627776"},
		{"max_package_bytes", "-5", "is not a whole number"},
		{"listen", long_listen, "listen: value longer than 127 bytes"},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct lt_config before;
		memcpy(&before, &cfg, sizeof cfg);
		int rc = lt_config_set(&cfg, bad[i].key, bad[i].value, &err);
		if (rc != LT_EINVAL || !strstr(err.msg, bad[i].want))
			fail_msg("%s=%s: status %d msg \"%s\", want \"%s\"", bad[i].key, bad[i].value, rc, err.msg,
				 bad[i].want);
		assert_memory_equal(&cfg, &before, sizeof cfg);
		assert_int_equal(lt_config_set(&cfg, bad[i].key, bad[i].value, NULL), LT_EINVAL);
	}
	/* The longest string that fits. */
	long_listen[sizeof cfg.listen - 1] = '\0';
	assert_int_equal(lt_config_set(&cfg, "listen", long_listen, &err), LT_OK);
	assert_int_equal(strlen(cfg.listen), sizeof cfg.listen - 1);
}

/* ---- config: files ------------------------------------------------------ */

/* Writes text to a new temporary file; path must hold 64 bytes. */
static void write_temp(char path[64], const char *text)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, 64, "%s/lt_test_util_XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_config_file_top_level(void **state)
{
	(void)state;
	char path[64];
	write_temp(path, "; a comment\n"
			 "# another comment\n"
			 "\n"
			 "listen = 0.0.0.0:9090\n"
			 "db=/srv/lienthong/registry.db\n"
			 "  max_package_bytes = 2048   ; inline comment\n"
			 "signature_policy = require\n"
			 "public_read = false\n"
			 "threads = 16\n");
	struct lt_config cfg;
	lt_config_defaults(&cfg);
	struct lt_err err = {0};
	int rc = lt_config_load_file(&cfg, path, &err);
	unlink(path);
	if (rc != LT_OK)
		fail_msg("load: %s", err.msg);
	assert_string_equal(cfg.listen, "0.0.0.0:9090");
	assert_string_equal(cfg.db, "/srv/lienthong/registry.db");
	assert_int_equal(cfg.max_package_bytes, 2048);
	assert_int_equal(cfg.signature_policy, LT_SIG_REQUIRE);
	assert_false(cfg.public_read);
	assert_int_equal(cfg.threads, 16);
	/* Keys not in the file keep their defaults. */
	assert_string_equal(cfg.data_dir, "var/data");
	assert_int_equal(cfg.connection_timeout, 30);
}

static void set_ok(struct lt_config *cfg, const char *k, const char *v)
{
	struct lt_err err = {0};
	if (lt_config_set(cfg, k, v, &err) != LT_OK)
		fail_msg("%s = %s: %s", k, v, err.msg);
}

static void expect_invalid(const struct lt_config *cfg, const char *needle)
{
	struct lt_err err = {0};
	assert_int_equal(lt_config_validate(cfg, &err), LT_EINVAL);
	assert_int_equal(err.status, LT_EINVAL);
	if (!strstr(err.msg, needle))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, needle);
}

/* The upstream keys are judged together: each refusal names what is missing. */
static void test_config_upstream_validate(void **state)
{
	(void)state;
	struct lt_config cfg;
	struct lt_err err = {0};
	lt_config_defaults(&cfg);
	assert_int_equal(lt_config_validate(&cfg, &err), LT_OK);
	assert_int_equal(cfg.upstream_protocol, LT_UPSTREAM_LIENTHONG);

	set_ok(&cfg, "local_scope", "000.00.00.H17, 000.00.00.K17");
	assert_int_equal(lt_config_validate(&cfg, &err), LT_OK);
	set_ok(&cfg, "local_scope", "000.00.00.H17,H17");
	expect_invalid(&cfg, "local_scope: 'H17'");
	set_ok(&cfg, "local_scope", "000.00.00.H17,000.00.00.H1777777777777777777777");
	expect_invalid(&cfg, "local_scope");

	set_ok(&cfg, "local_scope", "");
	set_ok(&cfg, "upstream_url", "http://127.0.0.1:9/");
	set_ok(&cfg, "upstream_token", "t0k");
	expect_invalid(&cfg, "local_scope is empty");
	set_ok(&cfg, "local_scope", "000.00.00.H17");
	assert_int_equal(lt_config_validate(&cfg, &err), LT_OK);
	set_ok(&cfg, "upstream_url", "ftp://x");
	expect_invalid(&cfg, "not an http");
	set_ok(&cfg, "upstream_url", "http://x/?a=1");
	expect_invalid(&cfg, "without query");
	set_ok(&cfg, "upstream_url", "https://axis.example/vxp");
	set_ok(&cfg, "upstream_token", "");
	expect_invalid(&cfg, "needs upstream_token");

	set_ok(&cfg, "upstream_protocol", "vxp");
	assert_int_equal(cfg.upstream_protocol, LT_UPSTREAM_VXP);
	expect_invalid(&cfg, "needs upstream_system_id and upstream_secret");
	set_ok(&cfg, "upstream_system_id", "000.00.00.H17");
	expect_invalid(&cfg, "upstream_secret");
	set_ok(&cfg, "upstream_secret", "s3cr3t-value");
	assert_int_equal(lt_config_validate(&cfg, &err), LT_OK);
	set_ok(&cfg, "upstream_system_id", "not a code");
	expect_invalid(&cfg, "upstream_system_id");
	assert_int_equal(lt_config_set(&cfg, "upstream_protocol", "soap", &err), LT_EINVAL);

	/* Secrets are never printed back. */
	char *text = dump_text(&cfg);
	assert_null(strstr(text, "s3cr3t-value"));
	assert_non_null(strstr(text, "upstream_secret = (set, not shown)\n"));
	assert_non_null(strstr(text, "upstream_token = \n"));
	free(text);
}

/* A config file holding a secret must not be readable by others. */
static void test_config_secret_file_mode(void **state)
{
	(void)state;
	char path[64];
	write_temp(path, "upstream_token = abc\n");
	struct lt_config cfg;
	lt_config_defaults(&cfg);
	struct lt_err err = {0};
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(lt_config_load_file(&cfg, path, &err), LT_EINVAL);
	assert_non_null(strstr(err.msg, "others may read it"));
	assert_null(strstr(err.msg, "abc"));
	assert_string_equal(cfg.upstream_token, "");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(lt_config_load_file(&cfg, path, &err), LT_OK);
	assert_string_equal(cfg.upstream_token, "abc");
	/* Without a secret the mode is the operator's business. */
	unlink(path);
	write_temp(path, "upstream_url = http://h:1\n");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(lt_config_load_file(&cfg, path, &err), LT_OK);
	unlink(path);
}

static void test_config_file_section(void **state)
{
	(void)state;
	char path[64];
	write_temp(path, "listen = 10.0.0.1:80\r\n"
			 "[lienthong]\r\n"
			 "db = other.db\r\n"
			 "signature_policy = off\r\n"
			 "public_read = yes\r\n"
			 "data_dir = /var/lib/lienthong\r\n");
	struct lt_config cfg;
	lt_config_defaults(&cfg);
	cfg.public_read = false;
	struct lt_err err = {0};
	int rc = lt_config_load_file(&cfg, path, &err);
	unlink(path);
	if (rc != LT_OK)
		fail_msg("load: %s", err.msg);
	assert_string_equal(cfg.listen, "10.0.0.1:80");
	assert_string_equal(cfg.db, "other.db");
	assert_int_equal(cfg.signature_policy, LT_SIG_OFF);
	assert_true(cfg.public_read);
	assert_string_equal(cfg.data_dir, "/var/lib/lienthong");

	/* An empty file changes nothing. */
	write_temp(path, "");
	struct lt_config before;
	memcpy(&before, &cfg, sizeof cfg);
	assert_int_equal(lt_config_load_file(&cfg, path, &err), LT_OK);
	unlink(path);
	assert_memory_equal(&cfg, &before, sizeof cfg);
}

static void test_config_file_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int line;
		const char *want;
	} rows[] = {
		{"threads = 5\nthreads = many\n", 2, "threads: 'many' is not a whole number"},
		{"listen = 1.2.3.4:5\nbogus = 1\n", 2, "unknown key 'bogus'"},
		{"listen = 1.2.3.4:5\n[server]\nthreads = 3\n", 3, "unknown section [server]"},
		{"db = x.db\n[lienthong]\nsignature_policy = bogus\n", 3, "signature_policy: 'bogus' is not one of"},
		{"\n\n\npublic_read = perhaps\n", 4, "public_read: 'perhaps' is not true/false"},
		{"listen = 1.2.3.4:5\nthis line has no equals sign\n", 2, "syntax error"},
		{"[lienthong\nthreads = 3\n", 1, "syntax error"},
		/* The first error is the one reported, with its own line. */
		{"listen = 1.2.3.4:5\nno equals here\nthreads = 5\nbogus = 1\n", 2, "syntax error"},
		{"bogus = 1\nno equals here\n", 1, "unknown key 'bogus'"},
		{"threads = 5\nthreads = 0\nthreads = 9999\n", 2, "threads: '0' is not"},
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char path[64];
		write_temp(path, rows[i].text);
		struct lt_config cfg, before;
		lt_config_defaults(&cfg);
		cfg.threads = 7;
		memcpy(&before, &cfg, sizeof cfg);
		struct lt_err err = {0};
		int rc = lt_config_load_file(&cfg, path, &err);
		char where[96];
		snprintf(where, sizeof where, "%s:%d: ", path, rows[i].line);
		if (rc != LT_EINVAL || strncmp(err.msg, where, strlen(where)) != 0 || !strstr(err.msg, rows[i].want))
			fail_msg("row %zu: status %d msg \"%s\", want \"%s...%s\"", i, rc, err.msg, where,
				 rows[i].want);
		assert_int_equal((int)err.status, LT_EINVAL);
		/* Nothing of the file is applied, not even its good lines. */
		assert_memory_equal(&cfg, &before, sizeof cfg);
		/* Without an err the caller still learns that it failed. */
		assert_int_equal(lt_config_load_file(&cfg, path, NULL), LT_EINVAL);
		assert_memory_equal(&cfg, &before, sizeof cfg);
		unlink(path);
	}
}

/* A value longer than inih's line buffer must not be cut silently or turn
 * into a confusing error on the wrong line; one that just fits is read. */
static void test_config_file_long_line(void **state)
{
	(void)state;
	char text[1200], path[64];
	char value[600];
	memset(value, 'd', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	snprintf(text, sizeof text, "listen = 1.2.3.4:5\ndb = /%s\nthreads = 3\n", value);
	write_temp(path, text);
	struct lt_config cfg, before;
	lt_config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof cfg);
	struct lt_err err = {0};
	int rc = lt_config_load_file(&cfg, path, &err);
	unlink(path);
	char where[96];
	snprintf(where, sizeof where, "%s:2: line longer than ", path);
	if (rc != LT_EINVAL || strncmp(err.msg, where, strlen(where)) != 0)
		fail_msg("status %d msg \"%s\"", rc, err.msg);
	assert_memory_equal(&cfg, &before, sizeof cfg);

	/* The limit the message names is exact, last line or not. */
	int max = atoi(err.msg + strlen(where));
	assert_true(max > 20 && max + 2 < (int)sizeof value);
	for (int final_nl = 0; final_nl <= 1; final_nl++) {
		for (int len = max - 1; len <= max + 1; len++) {
			/* "db = /ddd": 6 characters before the value's d's */
			snprintf(text, sizeof text, "threads = 3\ndb = /%.*s%s", len - 6, value, final_nl ? "\n" : "");
			write_temp(path, text);
			lt_config_defaults(&cfg);
			rc = lt_config_load_file(&cfg, path, &err);
			unlink(path);
			if (len <= max) {
				if (rc != LT_OK)
					fail_msg("a line of %d characters refused: %s", len, err.msg);
				assert_int_equal(strlen(cfg.db), (size_t)len - 5);
				assert_int_equal(cfg.threads, 3);
			} else if (rc != LT_EINVAL) {
				fail_msg("a line of %d characters (newline %d) accepted, db length %zu", len, final_nl,
					 strlen(cfg.db));
			}
		}
	}
}

/* Indented keys are keys, not continuations of the previous value. */
static void test_config_file_indented(void **state)
{
	(void)state;
	char path[64];
	write_temp(path, "[lienthong]\n"
			 "    listen = 10.0.0.2:81\n"
			 "    db = indented.db\n"
			 "\tthreads = 9\n"
			 "  \n"
			 "    public_read = off\n");
	struct lt_config cfg;
	lt_config_defaults(&cfg);
	struct lt_err err = {0};
	int rc = lt_config_load_file(&cfg, path, &err);
	unlink(path);
	if (rc != LT_OK)
		fail_msg("load: %s", err.msg);
	assert_string_equal(cfg.listen, "10.0.0.2:81");
	assert_string_equal(cfg.db, "indented.db");
	assert_int_equal(cfg.threads, 9);
	assert_false(cfg.public_read);
}

static void test_config_file_missing(void **state)
{
	(void)state;
	struct lt_config cfg, before;
	lt_config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof cfg);
	struct lt_err err = {0};
	assert_int_equal(lt_config_load_file(&cfg, "/nonexistent/lienthong.ini", &err), LT_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/lienthong.ini"));
	assert_memory_equal(&cfg, &before, sizeof cfg);
	assert_int_equal(lt_status_exit(err.status), 3);
}

/* ---- config: environment ------------------------------------------------ */

static const char *const env_vars[] = {
	"LIENTHONG_LISTEN",
	"LIENTHONG_DB",
	"LIENTHONG_DATA_DIR",
	"LIENTHONG_MAX_PACKAGE_BYTES",
	"LIENTHONG_SIGNATURE_POLICY",
	"LIENTHONG_PUBLIC_READ",
	"LIENTHONG_LOG_LEVEL",
	"LIENTHONG_THREADS",
	"LIENTHONG_MAX_CONNECTIONS",
	"LIENTHONG_MAX_CONNECTIONS_PER_IP",
	"LIENTHONG_CONNECTION_TIMEOUT",
	"LIENTHONG_MAX_BODY_BYTES",
	"LIENTHONG_VXP_MAX_CLOCK_SKEW",
	"LIENTHONG_RETENTION_DAYS",
	"LIENTHONG_ACCESS_LOG",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(env_vars); i++)
		unsetenv(env_vars[i]);
	return 0;
}

static void test_config_env(void **state)
{
	(void)state;
	struct lt_config cfg, before;
	lt_config_defaults(&cfg);
	struct lt_err err = {0};

	/* No variables: nothing changes. */
	memcpy(&before, &cfg, sizeof cfg);
	assert_int_equal(lt_config_load_env(&cfg, &err), LT_OK);
	assert_memory_equal(&cfg, &before, sizeof cfg);

	setenv("LIENTHONG_LISTEN", "0.0.0.0:9999", 1);
	setenv("LIENTHONG_DB", "postgresql://lt@db/lienthong", 1);
	setenv("LIENTHONG_PUBLIC_READ", "false", 1);
	setenv("LIENTHONG_SIGNATURE_POLICY", "require", 1);
	setenv("LIENTHONG_MAX_PACKAGE_BYTES", "4096", 1);
	setenv("LIENTHONG_MAX_CONNECTIONS_PER_IP", "8", 1);
	setenv("LIENTHONG_ACCESS_LOG", "", 1);
	int rc = lt_config_load_env(&cfg, &err);
	if (rc != LT_OK)
		fail_msg("env: %s", err.msg);
	assert_string_equal(cfg.listen, "0.0.0.0:9999");
	assert_string_equal(cfg.db, "postgresql://lt@db/lienthong");
	assert_false(cfg.public_read);
	assert_int_equal(cfg.signature_policy, LT_SIG_REQUIRE);
	assert_int_equal(cfg.max_package_bytes, 4096);
	assert_int_equal(cfg.max_connections_per_ip, 8);
	assert_int_equal(cfg.max_connections, 2048);
	assert_string_equal(cfg.access_log, "");
	assert_string_equal(cfg.data_dir, "var/data");
	clear_env(NULL);

	/* Lower-case or prefix-less names are not ours. */
	setenv("lienthong_listen", "1.1.1.1:1", 1);
	setenv("LISTEN", "1.1.1.1:1", 1);
	lt_config_defaults(&cfg);
	assert_int_equal(lt_config_load_env(&cfg, &err), LT_OK);
	assert_string_equal(cfg.listen, "127.0.0.1:8080");
	unsetenv("lienthong_listen");
	unsetenv("LISTEN");
}

static void test_config_env_over_file(void **state)
{
	(void)state;
	char path[64];
	write_temp(path, "listen = 10.0.0.1:80\nthreads = 16\n");
	setenv("LIENTHONG_THREADS", "2", 1);
	struct lt_config cfg;
	lt_config_defaults(&cfg);
	struct lt_err err = {0};
	assert_int_equal(lt_config_load_file(&cfg, path, &err), LT_OK);
	assert_int_equal(lt_config_load_env(&cfg, &err), LT_OK);
	unlink(path);
	assert_string_equal(cfg.listen, "10.0.0.1:80");
	assert_int_equal(cfg.threads, 2);
}

static void test_config_env_bad(void **state)
{
	(void)state;
	static const struct {
		const char *var, *value, *want;
	} rows[] = {
		{"LIENTHONG_SIGNATURE_POLICY", "bogus", "signature_policy: 'bogus' is not one of"},
		{"LIENTHONG_PUBLIC_READ", "sometimes", "public_read: 'sometimes' is not true/false"},
		{"LIENTHONG_THREADS", "0", "threads: '0' is not a whole number in 1..256"},
		{"LIENTHONG_MAX_PACKAGE_BYTES", "1e9", "max_package_bytes: '1e9' is not a whole number"},
		{"LIENTHONG_LOG_LEVEL", "", "log_level: '' is not one of"},
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		clear_env(NULL);
		/* A good variable next to the bad one is not applied either. */
		setenv("LIENTHONG_LISTEN", "0.0.0.0:1", 1);
		setenv(rows[i].var, rows[i].value, 1);
		struct lt_config cfg, before;
		lt_config_defaults(&cfg);
		memcpy(&before, &cfg, sizeof cfg);
		struct lt_err err = {0};
		int rc = lt_config_load_env(&cfg, &err);
		char head[96];
		snprintf(head, sizeof head, "environment %s: ", rows[i].var);
		if (rc != LT_EINVAL || strncmp(err.msg, head, strlen(head)) != 0 || !strstr(err.msg, rows[i].want))
			fail_msg("%s=%s: status %d msg \"%s\"", rows[i].var, rows[i].value, rc, err.msg);
		assert_memory_equal(&cfg, &before, sizeof cfg);
		assert_int_equal(lt_config_load_env(&cfg, NULL), LT_EINVAL);
		assert_memory_equal(&cfg, &before, sizeof cfg);
	}
}

/* ---- UTF-8-safe copies into fixed fields -------------------------------- */

/* An error message that quotes a long Vietnamese name is cut at a whole
 * character, wherever the limit falls, by lt_err_set and lt_err_prefix. */
static void test_err_messages_stay_utf8(void **state)
{
	(void)state;
	char name[LT_ERR_MSG_MAX * 2];
	for (size_t shift = 0; shift < 3; shift++) {
		size_t n = 0;
		for (size_t i = 0; i < shift; i++)
			name[n++] = 'x';
		while (n + 3 < sizeof name) {
			memcpy(name + n, "ẵ", 3); /* three bytes, so the cut falls inside one */
			n += 3;
		}
		name[n] = '\0';
		struct lt_err err = {0};
		lt_err_set(&err, LT_EINVAL, "no unit named %s", name);
		assert_true(lt_text_is_clean_utf8(err.msg));
		assert_true(strlen(err.msg) >= LT_ERR_MSG_MAX - 4);
		lt_err_set(&err, LT_EINVAL, "%s", "Ủy ban nhân dân");
		for (int k = 0; k < 60; k++)
			lt_err_prefix(&err, "Nẵng %d: ", k);
		assert_true(lt_text_is_clean_utf8(err.msg));
	}
}

static void test_text_format_utf8_boundary(void **state)
{
	(void)state;
	/* "ệ" is three bytes (E1 BB 87): a 6-byte field holds one whole "ệ"
	 * plus two bytes of the next; those two must go. */
	char out[6];
	assert_int_equal(lt_text_format(out, sizeof out, "%s", "ệệệ"), 3);
	assert_string_equal(out, "ệ");
	assert_true(lt_text_is_clean_utf8(out));
	/* Every size from 1 to past the whole text cuts at a character boundary:
	 * 1, 2, 3 and 4-byte characters mixed. */
	const char *mix = "aĐệ\xf0\x9f\x93\x84"
			  "b Trần Thị Ánh 𝔸ố";
	size_t whole = strlen(mix);
	for (size_t n = 1; n <= whole + 2; n++) {
		char buf[64];
		size_t len = lt_text_format(buf, n, "%s", mix);
		assert_int_equal(len, strlen(buf));
		assert_true(len < n);
		assert_true(lt_text_is_clean_utf8(buf));
		assert_memory_equal(buf, mix, len);
		/* Nothing whole was dropped: the next character would not fit. */
		if (len < whole) {
			size_t next = 1;
			while (((unsigned char)mix[len + next] & 0xC0) == 0x80)
				next++;
			assert_true(len + next > n - 1);
		}
	}
	/* Formats like snprintf; an input cut mid-character by an older
	 * version (a stored row) is repaired; invalid bytes elsewhere are left. */
	char f[32];
	assert_int_equal(lt_text_format(f, sizeof f, "trusted: %s", "Bộ"), 13);
	assert_string_equal(f, "trusted: Bộ");
	assert_int_equal(lt_text_format(f, sizeof f, "%s", "Hà Nộ\xe1\xbb"), 8);
	assert_string_equal(f, "Hà Nộ");
	assert_int_equal(lt_text_format(f, sizeof f, "%s", ""), 0);
	assert_string_equal(f, "");
	assert_int_equal(lt_text_format(f, 1, "%s", "ệ"), 0);
	assert_string_equal(f, "");
}

/* Numbers in paths, queries, arguments and config: strtoll alone passes
 * signs and spaces and saturates past 64 bits (a system id of twenty 9s
 * was read as the largest id). */
static void test_text_int(void **state)
{
	(void)state;
	long long v = 7;
	assert_true(lt_text_int("42", 1, 100, &v));
	assert_int_equal(v, 42);
	assert_true(lt_text_int("-5", -10, 10, &v));
	assert_int_equal(v, -5);
	assert_true(lt_text_int("9223372036854775807", 0, INT64_MAX, &v));
	const char *bad[] = {
		"", "+5", " 5", "5 ", "0x10", "1e3", "-", "99999999999999999999", "-99999999999999999999", "5\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		assert_false(lt_text_int(bad[i], -100, INT64_MAX, &v));
		assert_int_equal(v, 7);
	}
	assert_false(lt_text_int("-1", 0, 10, &v));   /* no sign below a min of 0 */
	assert_false(lt_text_int("101", 1, 100, &v)); /* past max */
	assert_false(lt_text_int(NULL, 1, 100, &v));
}

static void test_utf8_repair(void **state)
{
	(void)state;
	char out[16];
	assert_string_equal(lt_text_utf8_repair("Đà Nẵng", out, sizeof out), "Đà Nẵng");
	assert_string_equal(lt_text_utf8_repair("a\xC7.b\xFF", out, sizeof out), "a\xEF\xBF\xBD.b\xEF\xBF\xBD");
	assert_true(lt_text_is_clean_utf8(lt_text_utf8_repair("\xE1\xBB", out, sizeof out)));
	/* Cut at a whole character: "ẵ" (3 bytes) and the terminator do not fit after "N" in 4. */
	assert_string_equal(lt_text_utf8_repair("Nẵng", out, 4), "N");
	assert_string_equal(lt_text_utf8_repair("abc", out, 1), "");
}

/* Columns on a terminal, not bytes: what the CLI's tables align by. */
static void test_text_width(void **state)
{
	(void)state;
	assert_int_equal(lt_text_width(""), 0);
	assert_int_equal(lt_text_width("ops"), 3);
	assert_int_equal(lt_text_width("Sở Nội vụ tỉnh Cao Bằng"), 23);               /* precomposed */
	assert_int_equal(lt_text_width("So\xCC\x9B\xCC\x89 No\xCC\x82\xCC\xA3i"), 6); /* "Sở Nội", NFD */
	assert_int_equal(lt_text_width("\xE4\xB8\xAD\xE6\x96\x87"), 4);               /* two wide characters */
	assert_int_equal(lt_text_width("a\xFF"
				       "b"),
			 3); /* a stray byte counts one */
}

int main(void)
{
	clear_env(NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_mapping),
		cmocka_unit_test(test_err_set),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_err_prefix),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_dump_and_help),
		cmocka_unit_test(test_config_set),
		cmocka_unit_test(test_config_file_top_level),
		cmocka_unit_test(test_config_file_section),
		cmocka_unit_test(test_config_upstream_validate),
		cmocka_unit_test(test_config_secret_file_mode),
		cmocka_unit_test(test_config_file_errors),
		cmocka_unit_test(test_config_file_long_line),
		cmocka_unit_test(test_config_file_indented),
		cmocka_unit_test(test_config_file_missing),
		cmocka_unit_test_teardown(test_config_env, clear_env),
		cmocka_unit_test_teardown(test_config_env_over_file, clear_env),
		cmocka_unit_test_teardown(test_config_env_bad, clear_env),
		cmocka_unit_test(test_text_format_utf8_boundary),
		cmocka_unit_test(test_err_messages_stay_utf8),
		cmocka_unit_test(test_text_int),
		cmocka_unit_test(test_utf8_repair),
		cmocka_unit_test(test_text_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
