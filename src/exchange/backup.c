/* Backup and restore of a whole hub: the database, the package bodies under
 * data_dir/packages and the sealing key (docs/operations.md).
 *
 * A backup copies the database first, as of one commit, then the bodies the
 * copy's rows refer to. Bodies are written and synced before the row that
 * names them commits, and removed only after their row says so, so every
 * body the copy names exists unless retention removed it meanwhile; the copy
 * then records that removal too. Bodies committed after the copy are not
 * its business. Every file goes into SHA256SUMS; backup.json, written last,
 * marks the backup complete. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "exchange_impl.h"
#include "lienthong/access.h"
#include "lienthong/edxml.h"
#include "lienthong/ops.h"
#include "lienthong/store.h"
#include "lienthong/text.h"
#include "lienthong/version.h"

#define BODY_FMT "packages/%.2s/%s.xml"
#define REQUEST_FILE_FMT "requests/%s/%d"

static int mkdir_one(const char *path, mode_t mode, struct lt_err *err)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return lt_err_set(err, LT_EIO, "cannot create directory %s: %s", path, strerror(errno));
	return LT_OK;
}

static int mkdir_parents(const char *file, struct lt_err *err)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s", file) >= (int)sizeof path)
		return lt_err_set(err, LT_EINVAL, "path too long: %s", file);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir_one(path, 0700, err);
		*p = '/';
		if (rc)
			return rc;
	}
	return LT_OK;
}

static int sync_dir_of(const char *file)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", file);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	return lt__xsync_dir(dir);
}

/* Copies src to dst (through dst.tmp, synced, then renamed), hashing the
 * bytes on the way. LT_ENOTFOUND, with err untouched, when src is gone. */
static int copy_hashed(const char *src, const char *dst, mode_t mode, char sha[65], uint64_t *bytes, struct lt_err *err)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		if (errno == ENOENT)
			return LT_ENOTFOUND;
		return lt_err_set(err, LT_EIO, "cannot open %s: %s", src, strerror(errno));
	}
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", dst) >= (int)sizeof tmp) {
		close(in);
		return lt_err_set(err, LT_EINVAL, "path too long: %s", dst);
	}
	int rc = mkdir_parents(dst, err);
	int out = rc ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (rc == LT_OK && out < 0)
		rc = lt_err_set(err, LT_EIO, "cannot create %s: %s", tmp, strerror(errno));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (rc == LT_OK && (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1))
		rc = lt_err_set(err, LT_ENOMEM, "cannot start a SHA-256 digest");
	uint64_t total = 0;
	char buf[65536];
	while (rc == LT_OK) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = lt_err_set(err, LT_EIO, "reading %s: %s", src, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		for (ssize_t off = 0; off < n && rc == LT_OK;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				rc = lt_err_set(err, LT_EIO, "writing %s: %s", tmp, strerror(errno));
			else
				off += w;
		}
		total += (uint64_t)n;
	}
	close(in);
	if (rc == LT_OK && fsync(out) != 0)
		rc = lt_err_set(err, LT_EIO, "cannot sync %s: %s", tmp, strerror(errno));
	if (out >= 0 && close(out) != 0 && rc == LT_OK)
		rc = lt_err_set(err, LT_EIO, "writing %s: %s", tmp, strerror(errno));
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;
	if (rc == LT_OK && EVP_DigestFinal_ex(md, d, &dn) != 1)
		rc = lt_err_set(err, LT_EIO, "cannot finish a SHA-256 digest");
	EVP_MD_CTX_free(md);
	if (rc == LT_OK && rename(tmp, dst) != 0)
		rc = lt_err_set(err, LT_EIO, "cannot rename %s to %s: %s", tmp, dst, strerror(errno));
	if (rc == LT_OK && sync_dir_of(dst) != 0)
		rc = lt_err_set(err, LT_EIO, "cannot sync the directory of %s: %s", dst, strerror(errno));
	if (rc != LT_OK) {
		if (out >= 0)
			unlink(tmp);
		return rc;
	}
	for (unsigned i = 0; i < dn && i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", d[i]);
	if (bytes)
		*bytes = total;
	return LT_OK;
}

static int join(char *out, size_t n, const char *dir, const char *rel, struct lt_err *err)
{
	if (snprintf(out, n, "%s/%s", dir, rel) >= (int)n)
		return lt_err_set(err, LT_EINVAL, "path too long: %s/%s", dir, rel);
	return LT_OK;
}

/* ---- backup ---- */

struct backup {
	const char *data_dir, *dir;
	FILE *sums;
	struct lt_backup_report *rep;
	struct lt_err *err;
};

static int add_sum(struct backup *b, const char *sha, const char *rel)
{
	if (fprintf(b->sums, "%s  %s\n", sha, rel) < 0)
		return lt_err_set(b->err, LT_EIO, "writing %s/%s: %s", b->dir, LT_BACKUP_SUMS, strerror(errno));
	return LT_OK;
}

/* A change request's file: never removed, so one the copy names and
 * data_dir lacks is damage, not retention. */
static int backup_request_file(struct backup *b, const char *id, int n_file, const char *want)
{
	char rel[128], src[PATH_MAX], dst[PATH_MAX], sha[65];
	snprintf(rel, sizeof rel, REQUEST_FILE_FMT, id, n_file);
	int rc = join(src, sizeof src, b->data_dir, rel, b->err);
	if (rc == LT_OK)
		rc = join(dst, sizeof dst, b->dir, rel, b->err);
	uint64_t n = 0;
	if (rc == LT_OK)
		rc = copy_hashed(src, dst, 0600, sha, &n, b->err);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(b->err, LT_EIO, "file %d of change request %s is missing (%s): data_dir is damaged",
				  n_file, id, src);
	if (rc)
		return rc;
	if (strcmp(sha, want) != 0)
		return lt_err_set(b->err, LT_EIO,
				  "file %d of change request %s does not match its recorded SHA-256: %s is damaged",
				  n_file, id, src);
	b->rep->request_files++;
	b->rep->body_bytes += n;
	return add_sum(b, sha, rel);
}

static int backup_body(void *ctx, enum lt_snapshot_file kind, const char *id, int n_file, const char *want)
{
	struct backup *b = ctx;
	char rel[128], src[PATH_MAX], dst[PATH_MAX], sha[65];
	if (kind == LT_SNAPSHOT_REQUEST_FILE)
		return backup_request_file(b, id, n_file, want);
	snprintf(rel, sizeof rel, BODY_FMT, id, id);
	int rc = join(src, sizeof src, b->data_dir, rel, b->err);
	if (rc == LT_OK)
		rc = join(dst, sizeof dst, b->dir, rel, b->err);
	uint64_t n = 0;
	if (rc == LT_OK)
		rc = copy_hashed(src, dst, 0600, sha, &n, b->err);
	if (rc == LT_ENOTFOUND) {
		b->rep->bodies_gone++;
		return 1;
	}
	if (rc)
		return rc;
	if (strcmp(sha, want) != 0)
		return lt_err_set(b->err, LT_EIO,
				  "the body of package %s does not match its recorded SHA-256 (%s, recorded %s): "
				  "%s is damaged",
				  id, sha, want, src);
	b->rep->bodies++;
	b->rep->body_bytes += n;
	return add_sum(b, sha, rel);
}

/* Empty (or absent); with spool, also when it holds only the spool folder
 * "tmp" a daemon makes at start. */
static int dir_is_empty(const char *path, bool spool, bool *empty)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? (*empty = true, 0) : -1;
	struct dirent *de;
	*empty = true;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    !(spool && strcmp(de->d_name, "tmp") == 0))
			*empty = false;
	closedir(d);
	return 0;
}

static int write_meta(const char *dir, const struct lt_backup_report *rep, struct lt_err *err)
{
	char now[32], path[PATH_MAX], tmp[PATH_MAX];
	lt_time_now(now);
	json_t *m = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:b}", "format", "lienthong-backup", "version", 1,
			      "lienthong", LIENTHONG_VERSION, "created", now, "last_seq", (json_int_t)rep->last_seq,
			      "bodies", (json_int_t)rep->bodies, "body_bytes", (json_int_t)rep->body_bytes,
			      "bodies_removed_meanwhile", (json_int_t)rep->bodies_gone, "seal_key", rep->seal_key);
	if (m)
		json_object_set_new(m, "request_files", json_integer((json_int_t)rep->request_files));
	int rc = join(path, sizeof path, dir, LT_BACKUP_META, err);
	if (rc == LT_OK)
		rc = join(tmp, sizeof tmp, dir, LT_BACKUP_META ".tmp", err);
	if (rc == LT_OK && (!m || json_dump_file(m, tmp, JSON_INDENT(2)) != 0))
		rc = lt_err_set(err, LT_EIO, "cannot write %s", tmp);
	json_decref(m);
	int fd = rc ? -1 : open(tmp, O_RDONLY | O_CLOEXEC);
	if (rc == LT_OK && (fd < 0 || fsync(fd) != 0 || rename(tmp, path) != 0 || lt__xsync_dir(dir) != 0))
		rc = lt_err_set(err, LT_EIO, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

static int backup_run(struct backup *b, const char *db, bool with_key)
{
	struct lt_err *err = b->err;
	char path[PATH_MAX], sha[65];
	int rc = join(path, sizeof path, b->dir, LT_BACKUP_SUMS ".tmp", err);
	if (rc)
		return rc;
	if (!(b->sums = fopen(path, "w")))
		return lt_err_set(err, LT_EIO, "cannot create %s: %s", path, strerror(errno));
	struct lt_store *s = NULL;
	char dbcopy[PATH_MAX];
	if ((rc = join(dbcopy, sizeof dbcopy, b->dir, LT_BACKUP_DB, err)) || (rc = lt_store_open(&s, db, err)))
		return rc;
	rc = lt_store_snapshot(s, dbcopy, backup_body, b, &b->rep->last_seq, err);
	lt_store_close(s);
	if (rc)
		return rc;
	/* Hashed once closed: with the rows of removed bodies reconciled. */
	unsigned char d[LT_EDXML_SHA256_LEN];
	if ((rc = lt_edxml_hash_file(dbcopy, d, NULL, err)))
		return rc;
	lt_edxml_hash_hex(d, sha);
	uint64_t n;
	if ((rc = add_sum(b, sha, LT_BACKUP_DB)))
		return rc;
	if (with_key) {
		char key[PATH_MAX], dst[PATH_MAX];
		if ((rc = join(key, sizeof key, b->data_dir, "seal.key", err)) ||
		    (rc = join(dst, sizeof dst, b->dir, "seal.key", err)))
			return rc;
		rc = copy_hashed(key, dst, 0600, sha, &n, err);
		if (rc == LT_OK) {
			b->rep->seal_key = true;
			rc = add_sum(b, sha, "seal.key");
		} else if (rc == LT_ENOTFOUND) {
			rc = LT_OK; /* no daemon ever ran here: no secret is sealed */
		}
		if (rc)
			return rc;
		/* The catalogue signing key goes with it: restored without it, the
		 * registry would sign with a new key its mirrors refuse. */
		if ((rc = join(key, sizeof key, b->data_dir, "catalogue.key", err)) ||
		    (rc = join(dst, sizeof dst, b->dir, "catalogue.key", err)))
			return rc;
		rc = copy_hashed(key, dst, 0600, sha, &n, err);
		if (rc == LT_OK)
			rc = add_sum(b, sha, "catalogue.key");
		else if (rc == LT_ENOTFOUND)
			rc = LT_OK;
		if (rc)
			return rc;
	}
	if (fflush(b->sums) != 0 || fsync(fileno(b->sums)) != 0)
		return lt_err_set(err, LT_EIO, "writing %s: %s", path, strerror(errno));
	fclose(b->sums);
	b->sums = NULL;
	char final[PATH_MAX];
	if ((rc = join(final, sizeof final, b->dir, LT_BACKUP_SUMS, err)))
		return rc;
	if (rename(path, final) != 0)
		return lt_err_set(err, LT_EIO, "cannot rename %s: %s", path, strerror(errno));
	return write_meta(b->dir, b->rep, err);
}

int lt_backup(const char *db, const char *data_dir, const char *dir, bool with_key, struct lt_backup_report *rep,
	      struct lt_err *err)
{
	memset(rep, 0, sizeof *rep);
	if (!dir || !*dir)
		return lt_err_set(err, LT_EINVAL, "give the directory to write the backup into");
	/* A PostgreSQL cluster has online backups of its own, taken while it
	 * runs (the store's snapshot says the same). */
	if (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0)
		return lt_err_set(err, LT_EINVAL,
				  "backup: the database is PostgreSQL: back it up with its own tools (pg_basebackup or "
				  "pg_dump) and copy data_dir's packages/ and requests/ beside it");
	if (access(db, F_OK) != 0)
		return lt_err_set(err, LT_EIO, "database %s does not exist: nothing to back up", db);
	bool empty;
	if (dir_is_empty(dir, false, &empty) != 0)
		return lt_err_set(err, LT_EIO, "cannot read %s: %s", dir, strerror(errno));
	if (!empty)
		return lt_err_set(err, LT_ECONFLICT, "%s is not empty: a backup goes into a new or empty directory",
				  dir);
	int rc = mkdir_parents(dir, err);
	if (rc == LT_OK)
		rc = mkdir_one(dir, 0700, err);
	if (rc)
		return rc;
	struct backup b = {data_dir, dir, NULL, rep, err};
	rc = backup_run(&b, db, with_key);
	if (b.sums)
		fclose(b.sums);
	return rc;
}

/* ---- restore ---- */

static bool hexstr(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

/* requests/<digits>/<digits> */
static bool request_rel(const char *rel)
{
	if (strncmp(rel, "requests/", 9) != 0)
		return false;
	const char *p = rel + 9;
	size_t a = strspn(p, "0123456789");
	if (a == 0 || a > 19 || p[a] != '/')
		return false;
	p += a + 1;
	size_t b = strspn(p, "0123456789");
	return b > 0 && b <= 9 && p[b] == '\0';
}

/* The only names a backup holds: nothing in SHA256SUMS may point outside
 * the destination. */
static bool body_rel(const char *rel)
{
	return strlen(rel) == 48 && strncmp(rel, "packages/", 9) == 0 && rel[11] == '/' &&
	       strncmp(rel + 9, rel + 12, 2) == 0 && strcmp(rel + 44, ".xml") == 0 &&
	       strspn(rel + 12, "0123456789abcdef") == 32;
}

struct restore {
	const char *dir, *db, *data_dir, *key_file;
	char db_tmp[PATH_MAX];
	bool have_db;
	struct lt_restore_report *rep;
	struct lt_err *err;
};

static int restore_file(struct restore *r, const char *src, const char *dst, const char *want)
{
	char sha[65];
	int rc = copy_hashed(src, dst, 0600, sha, NULL, r->err);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(r->err, LT_EIO, "the backup is incomplete: %s is missing", src);
	if (rc)
		return rc;
	if (strcmp(sha, want) != 0) {
		unlink(dst);
		return lt_err_set(r->err, LT_EIO, "%s does not match its SHA-256 in %s/%s: the backup is damaged", src,
				  r->dir, LT_BACKUP_SUMS);
	}
	return LT_OK;
}

static int same_bytes(const char *a, const char *b, bool *same, struct lt_err *err)
{
	unsigned char ka[LT_SEAL_KEY_BYTES], kb[LT_SEAL_KEY_BYTES];
	if (lt_seal_key_load(a, false, ka, err) || lt_seal_key_load(b, false, kb, err))
		return LT_EIO;
	*same = memcmp(ka, kb, sizeof ka) == 0;
	return LT_OK;
}

static int restore_key(struct restore *r, const char *from, const char *want)
{
	char dst[PATH_MAX];
	int rc = join(dst, sizeof dst, r->data_dir, "seal.key", r->err);
	if (rc)
		return rc;
	if (access(dst, F_OK) == 0) {
		bool same = false;
		if ((rc = same_bytes(from, dst, &same, r->err)))
			return rc;
		if (!same)
			return lt_err_set(r->err, LT_ECONFLICT,
					  "%s holds another sealing key than the backup's: the restored VXP secrets "
					  "could not be opened with it; restore into a data_dir without seal.key",
					  dst);
		r->rep->seal_key = true;
		return LT_OK;
	}
	if (want) {
		rc = restore_file(r, from, dst, want);
	} else {
		unsigned char k[LT_SEAL_KEY_BYTES];
		char sha[65];
		if ((rc = lt_seal_key_load(from, false, k, r->err)) == LT_OK)
			rc = copy_hashed(from, dst, 0600, sha, NULL, r->err);
	}
	if (rc == LT_OK)
		r->rep->seal_key = true;
	return rc;
}

static int restore_line(struct restore *r, char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0)
		return LT_OK;
	if (n < 67 || line[64] != ' ' || line[65] != ' ')
		return lt_err_set(r->err, LT_EIO, "%s/%s: a line is not '<sha256>  <file>': the backup is damaged",
				  r->dir, LT_BACKUP_SUMS);
	line[64] = '\0';
	const char *sha = line, *rel = line + 66;
	if (!hexstr(sha, 64))
		return lt_err_set(r->err, LT_EIO, "%s/%s: '%s' is not a SHA-256", r->dir, LT_BACKUP_SUMS, sha);
	char src[PATH_MAX], dst[PATH_MAX];
	int rc = join(src, sizeof src, r->dir, rel, r->err);
	if (rc)
		return rc;
	if (strcmp(rel, LT_BACKUP_DB) == 0) {
		r->have_db = true;
		return restore_file(r, src, r->db_tmp, sha);
	}
	if (strcmp(rel, "seal.key") == 0)
		return restore_key(r, src, sha);
	if (strcmp(rel, "catalogue.key") == 0) {
		/* A key already in data_dir is the one its mirrors know: kept. */
		if ((rc = join(dst, sizeof dst, r->data_dir, rel, r->err)))
			return rc;
		return access(dst, F_OK) == 0 ? LT_OK : restore_file(r, src, dst, sha);
	}
	bool request = request_rel(rel);
	if (!request && !body_rel(rel))
		return lt_err_set(r->err, LT_EIO, "%s/%s names '%s', which no backup holds: refused", r->dir,
				  LT_BACKUP_SUMS, rel);
	if ((rc = join(dst, sizeof dst, r->data_dir, rel, r->err)) || (rc = restore_file(r, src, dst, sha)))
		return rc;
	if (request)
		r->rep->request_files++;
	else
		r->rep->bodies++;
	return LT_OK;
}

static int read_meta(struct restore *r)
{
	char path[PATH_MAX];
	int rc = join(path, sizeof path, r->dir, LT_BACKUP_META, r->err);
	if (rc)
		return rc;
	json_error_t je;
	json_t *m = json_load_file(path, 0, &je);
	if (!m)
		return lt_err_set(r->err, LT_EIO,
				  "%s is not a complete backup: %s cannot be read (%s); a backup that was "
				  "interrupted has none",
				  r->dir, path, je.text);
	const char *fmt = json_string_value(json_object_get(m, "format"));
	json_int_t version = json_integer_value(json_object_get(m, "version"));
	r->rep->last_seq = json_integer_value(json_object_get(m, "last_seq"));
	rc = fmt && strcmp(fmt, "lienthong-backup") == 0 && version == 1
		     ? LT_OK
		     : lt_err_set(r->err, LT_EINVAL, "%s is not a lienthong backup of a version this build reads",
				  path);
	json_decref(m);
	return rc;
}

static int check_fresh(struct restore *r)
{
	char path[PATH_MAX];
	if (access(r->db, F_OK) == 0)
		return lt_err_set(r->err, LT_ECONFLICT,
				  "database %s exists: a backup is restored into a fresh location (move the old one "
				  "away first)",
				  r->db);
	snprintf(path, sizeof path, "%s-wal", r->db);
	if (access(path, F_OK) == 0)
		return lt_err_set(r->err, LT_ECONFLICT, "%s exists: remove the old database's files first", path);
	int rc = join(path, sizeof path, r->data_dir, "packages", r->err);
	bool empty = true;
	if (rc == LT_OK && dir_is_empty(path, true, &empty) != 0)
		return lt_err_set(r->err, LT_EIO, "cannot read %s: %s", path, strerror(errno));
	if (rc == LT_OK && !empty)
		return lt_err_set(r->err, LT_ECONFLICT,
				  "%s holds package bodies: a backup is restored into a fresh data_dir", path);
	if (rc == LT_OK)
		rc = join(path, sizeof path, r->data_dir, "requests", r->err);
	if (rc == LT_OK && dir_is_empty(path, true, &empty) != 0)
		return lt_err_set(r->err, LT_EIO, "cannot read %s: %s", path, strerror(errno));
	if (rc == LT_OK && !empty)
		return lt_err_set(r->err, LT_ECONFLICT,
				  "%s holds change requests' files: a backup is restored into a fresh data_dir", path);
	return rc;
}

static int restore_run(struct restore *r)
{
	int rc = read_meta(r);
	if (rc == LT_OK)
		rc = check_fresh(r);
	if (rc == LT_OK && snprintf(r->db_tmp, sizeof r->db_tmp, "%s.restoring", r->db) >= (int)sizeof r->db_tmp)
		rc = lt_err_set(r->err, LT_EINVAL, "path too long: %s", r->db);
	char path[PATH_MAX];
	if (rc == LT_OK)
		rc = join(path, sizeof path, r->dir, LT_BACKUP_SUMS, r->err);
	if (rc)
		return rc;
	if ((rc = mkdir_parents(r->db, r->err)) || (rc = mkdir_parents(path, r->err)))
		return rc;
	char dd[PATH_MAX];
	if ((rc = join(dd, sizeof dd, r->data_dir, ".", r->err)) || (rc = mkdir_parents(dd, r->err)))
		return rc;
	FILE *f = fopen(path, "r");
	if (!f)
		return lt_err_set(r->err, LT_EIO, "cannot open %s: %s", path, strerror(errno));
	char line[PATH_MAX + 80];
	while (rc == LT_OK && fgets(line, sizeof line, f))
		rc = restore_line(r, line);
	fclose(f);
	if (rc == LT_OK && !r->have_db)
		rc = lt_err_set(r->err, LT_EIO, "%s names no %s: the backup is damaged", path, LT_BACKUP_DB);
	if (rc == LT_OK && !r->rep->seal_key && r->key_file)
		rc = restore_key(r, r->key_file, NULL);
	if (rc == LT_OK && !r->rep->seal_key) {
		char key[PATH_MAX];
		if (join(key, sizeof key, r->data_dir, "seal.key", NULL) == LT_OK && access(key, F_OK) == 0)
			r->rep->seal_key = true;
	}
	if (rc)
		return rc;
	/* Brought to this build's schema and checked before it takes the
	 * database's name: a database at db is a whole restore. */
	struct lt_store *s = NULL;
	if ((rc = lt_store_open(&s, r->db_tmp, r->err)) == LT_OK) {
		rc = lt_store_integrity_check(s, r->err);
		lt_store_close(s);
	}
	if (rc == LT_OK && rename(r->db_tmp, r->db) != 0)
		rc = lt_err_set(r->err, LT_EIO, "cannot rename %s to %s: %s", r->db_tmp, r->db, strerror(errno));
	if (rc == LT_OK && sync_dir_of(r->db) != 0)
		rc = lt_err_set(r->err, LT_EIO, "cannot sync the directory of %s: %s", r->db, strerror(errno));
	return rc;
}

int lt_restore(const char *dir, const char *db, const char *data_dir, const char *key_file,
	       struct lt_restore_report *rep, struct lt_err *err)
{
	memset(rep, 0, sizeof *rep);
	if (!dir || !*dir)
		return lt_err_set(err, LT_EINVAL, "give the backup directory to restore from");
	if (!db || !*db || strncmp(db, "postgres", 8) == 0 || strcmp(db, ":memory:") == 0)
		return lt_err_set(err, LT_EINVAL, "db must be an SQLite file path to restore into");
	struct restore r = {dir, db, data_dir, key_file, "", false, rep, err};
	int rc = restore_run(&r);
	if (rc != LT_OK && r.db_tmp[0]) {
		char side[PATH_MAX + 8];
		unlink(r.db_tmp);
		snprintf(side, sizeof side, "%s-wal", r.db_tmp);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", r.db_tmp);
		unlink(side);
	}
	return rc;
}
