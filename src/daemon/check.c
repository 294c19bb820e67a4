/* lienthongd -n: every check start-up makes, made without binding the port,
 * creating the database or directories, or writing a file, so a
 * configuration that passes -n does not fail at start for a reason -n could
 * have seen. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lienthong/relay.h"
#include "server.h"

/* The directory part of path ("." when none). */
static void dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

static int writable_dir(const char *key, const char *dir, struct lt_err *err)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return lt_err_set(err, LT_EIO, "%s: directory %s: %s", key, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return lt_err_set(err, LT_EIO, "%s: %s is not a directory", key, dir);
	if (access(dir, W_OK | X_OK) != 0)
		return lt_err_set(err, LT_EIO, "%s: cannot write in directory %s: %s", key, dir, strerror(errno));
	return LT_OK;
}

/* A file start-up opens for writing: writable when it exists, else its
 * directory must exist and be writable (start-up creates the file only). */
static int writable_file(const char *key, const char *path, struct lt_err *err)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return lt_err_set(err, LT_EIO, "%s: %s is a directory, not a file", key, path);
		if (access(path, R_OK | W_OK) != 0)
			return lt_err_set(err, LT_EIO, "%s: cannot write %s: %s", key, path, strerror(errno));
		return LT_OK;
	}
	if (errno != ENOENT)
		return lt_err_set(err, LT_EIO, "%s: %s: %s", key, path, strerror(errno));
	char dir[PATH_MAX];
	dir_of(path, dir, sizeof dir);
	return writable_dir(key, dir, err);
}

/* data_dir is created with its parents at start: the nearest existing
 * ancestor must be a writable directory; an existing seal key must load. */
static int check_data_dir(const char *dir, struct lt_err *err)
{
	if (!dir[0])
		return lt_err_set(err, LT_EINVAL, "data_dir is not set: package bodies and the seal key live there");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", dir);
	struct stat st;
	while (stat(path, &st) != 0) {
		if (errno != ENOENT)
			return lt_err_set(err, LT_EIO, "data_dir: %s: %s", path, strerror(errno));
		char parent[PATH_MAX];
		dir_of(path, parent, sizeof parent);
		if (strcmp(parent, path) == 0)
			return lt_err_set(err, LT_EIO, "data_dir: no part of %s exists", dir);
		memcpy(path, parent, sizeof path);
	}
	int rc = writable_dir("data_dir", path, err);
	if (rc || strcmp(path, dir) != 0)
		return rc;
	unsigned char key[LT_SEAL_KEY_BYTES];
	char key_path[PATH_MAX + 16];
	snprintf(key_path, sizeof key_path, "%s/seal.key", dir);
	if (access(key_path, F_OK) == 0 && (rc = lt_seal_key_load(key_path, false, key, err)))
		return lt_err_prefix(err, "data_dir: ");
	return LT_OK;
}

static int check_db(const char *db, struct lt_err *err)
{
	if (!db[0])
		return lt_err_set(err, LT_EINVAL,
				  "db is not set: give the SQLite database file or a postgresql:// URI");
	/* A PostgreSQL URI's syntax is checked here; the server is reached
	 * when the store opens. */
	if (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0)
		return lt_store_uri_check(db, err) ? lt_err_prefix(err, "db: ") : LT_OK;
	if (strcmp(db, ":memory:") == 0 || strncmp(db, "file:", 5) == 0)
		return LT_OK;
	/* SQLite writes its -wal and -shm files beside the database. */
	char dir[PATH_MAX];
	dir_of(db, dir, sizeof dir);
	int rc = writable_file("db", db, err);
	return rc ? rc : writable_dir("db", dir, err);
}

/* trusted_ca: ':'-separated PEM files, each readable. */
static int check_cas(const char *list, struct lt_err *err)
{
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ":");
		char path[PATH_MAX];
		if (n && n < sizeof path) {
			memcpy(path, p, n);
			path[n] = '\0';
			if (access(path, R_OK) != 0)
				return lt_err_set(err, LT_EIO, "trusted_ca: cannot read %s: %s", path, strerror(errno));
		}
		p += n + (p[n] == ':');
	}
	return LT_OK;
}

int daemon_check_config(const struct lt_config *cfg, struct lt_err *err)
{
	struct sockaddr_storage ss;
	int rc;
	if ((rc = server_listen_addr(cfg->listen, &ss, err)) || (rc = check_db(cfg->db, err)) ||
	    (rc = check_data_dir(cfg->data_dir, err)) || (rc = check_cas(cfg->trusted_ca, err)))
		return rc;
	if (cfg->access_log[0] && strcmp(cfg->access_log, "-") != 0 &&
	    (rc = writable_file("access_log", cfg->access_log, err)))
		return rc;
	/* Start-up would open a read-only journal and refuse every change. */
	if (cfg->issue_journal[0] && (rc = writable_file("issue_journal", cfg->issue_journal, err)))
		return rc;
	if (cfg->upstream_url[0] && (rc = lt_relay_supported(cfg->upstream_protocol, err)))
		return rc;
	struct stat st;
	if (cfg->web_dir[0] && (stat(cfg->web_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		return lt_err_set(err, LT_EIO, "web_dir: %s is not a directory", cfg->web_dir);
	return LT_OK;
}
