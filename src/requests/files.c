/* A request's files (the draft decision, the founding decision…): streamed
 * to a spool file under data_dir/requests/tmp, hashed on the way, then made
 * durable (fsync, rename, fsync of the directory) before the row that names
 * them commits. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "requests_impl.h"

struct lt_request_upload {
	struct lt_requests *q;
	struct lt_principal who;
	int64_t id;
	char name[256];
	char ctype[128];
	char tmp[PATH_MAX];
	int fd;
	uint64_t size;
	EVP_MD_CTX *md;
};

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static void file_path(const struct lt_requests *q, int64_t id, int n, char out[PATH_MAX + 64])
{
	snprintf(out, PATH_MAX + 64, "%s/%lld/%d", q->dir, (long long)id, n);
}

/* Enough for the drafts, decisions and annexes of one change. */
#define MAX_FILES 100

static int count_file(void *ctx, const struct lt_request_file *f)
{
	(void)f;
	++*(int *)ctx;
	return 0;
}

/* Who may add a file: the filing side while the request waits for it
 * (submitted or returned), the deciding side while it is open; and only
 * while the request holds fewer than MAX_FILES. */
static int may_add(struct lt_requests *q, const struct lt_principal *who, int64_t id, struct lt_err *err)
{
	struct lt_request_row row;
	int rc = lt_store_request_get(q->store, id, &row, err);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(err, LT_ENOTFOUND, "no request %lld", (long long)id);
	if (rc)
		return rc;
	json_t *doc = json_loads(row.doc, 0, NULL);
	struct proposal p;
	struct lt_codelist codes = {0};
	if (who->role == LT_ROLE_SYSTEM)
		rc = lt_store_system_codes(q->store, who->system_id, &codes, err);
	if (rc == LT_OK)
		rc = lt_access_request_read(who, row.unit, &codes, row.filer_token, err);
	if (rc == LT_OK)
		rc = lt__proposal_parse(row.kind, row.unit, json_object_get(doc, "proposal"), &p, err);
	if (rc == LT_OK) {
		bool decider = lt_access_request_decide(who, row.unit, false, row.filer_token, NULL) == LT_OK;
		for (size_t i = 0; decider && i < p.reorgs.n; i++)
			decider =
				lt_access_request_decide(who, p.reorgs.codes[i], true, row.filer_token, NULL) == LT_OK;
		bool waits = strcmp(row.state, "submitted") == 0 || strcmp(row.state, "returned") == 0;
		bool open = waits || strcmp(row.state, "in_review") == 0;
		if (!(decider ? open : waits))
			rc = lt_err_set(err, LT_ECONFLICT, "request %lld is %s: no file can be added to it now",
					(long long)id, row.state);
		lt__proposal_free(&p);
	}
	int n = 0;
	if (rc == LT_OK && (rc = lt_store_request_files(q->store, id, count_file, &n, err)) == LT_OK && n >= MAX_FILES)
		rc = lt_err_set(err, LT_ETOOBIG, "request %lld holds %d files already, the most it takes",
				(long long)id, MAX_FILES);
	lt_codelist_free(&codes);
	json_decref(doc);
	lt_request_row_clear(&row);
	return rc;
}

int lt_request_upload_begin(struct lt_requests *q, const struct lt_ctx *ctx, int64_t id, const char *name,
			    const char *content_type, struct lt_request_upload **out, struct lt_err *err)
{
	const struct lt_principal *who = &ctx->who;
	if (!name || !name[0] || strlen(name) > 255 || !lt_text_is_clean_utf8(name) || strchr(name, '/') ||
	    strchr(name, '\t'))
		return lt_err_set(err, LT_EINVAL,
				  "a file needs a name (?name=) of 1 to 255 bytes of text, without '/'");
	const char *ct = content_type && content_type[0] ? content_type : "application/octet-stream";
	if (strlen(ct) > 127 || !lt_text_is_clean_utf8(ct))
		return lt_err_set(err, LT_EINVAL, "the Content-Type is too long or not text");
	int rc = may_add(q, who, id, err);
	if (rc)
		return rc;
	struct lt_request_upload *u = calloc(1, sizeof *u);
	if (!u || !(u->md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1) {
		if (u)
			EVP_MD_CTX_free(u->md);
		free(u);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	u->q = q;
	u->who = *who;
	u->id = id;
	snprintf(u->name, sizeof u->name, "%s", name);
	snprintf(u->ctype, sizeof u->ctype, "%s", ct);
	snprintf(u->tmp, sizeof u->tmp, "%.4000s/tmp/upload-XXXXXX", q->dir);
	u->fd = mkstemp(u->tmp);
	if (u->fd < 0) {
		rc = lt_err_set(err, LT_EIO, "cannot spool the file: %s", strerror(errno));
		u->tmp[0] = '\0';
		lt_request_upload_abort(u);
		return rc;
	}
	*out = u;
	return LT_OK;
}

int lt_request_upload_write(struct lt_request_upload *u, const void *data, size_t len, struct lt_err *err)
{
	if (u->size + len > u->q->max_file_bytes)
		return lt_err_set(err, LT_ETOOBIG, "the file is larger than max_request_file_bytes (%llu bytes)",
				  (unsigned long long)u->q->max_file_bytes);
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(u->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return lt_err_set(err, LT_EIO, "cannot spool the file: %s", strerror(errno));
		p += n;
		left -= (size_t)n;
	}
	EVP_DigestUpdate(u->md, data, len);
	u->size += len;
	return LT_OK;
}

void lt_request_upload_abort(struct lt_request_upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (u->tmp[0])
		unlink(u->tmp);
	EVP_MD_CTX_free(u->md);
	free(u);
}

int lt_request_upload_finish(struct lt_request_upload *u, json_t **out, struct lt_err *err)
{
	struct lt_requests *q = u->q;
	struct lt_request_file f = {.request_id = u->id, .size = (int64_t)u->size};
	unsigned char md[32];
	unsigned mdn = 0;
	EVP_DigestFinal_ex(u->md, md, &mdn);
	for (unsigned i = 0; i < 32; i++)
		snprintf(f.sha256 + 2 * i, 3, "%02x", md[i]);
	snprintf(f.name, sizeof f.name, "%s", u->name);
	snprintf(f.content_type, sizeof f.content_type, "%s", u->ctype);
	snprintf(f.role, sizeof f.role, "attachment");
	lt_time_now(f.added);
	lt__who_text(&u->who, f.who, sizeof f.who);
	char dir[PATH_MAX + 64], final[PATH_MAX + 64];
	snprintf(dir, sizeof dir, "%s/%lld", q->dir, (long long)u->id);
	if (fsync(u->fd) != 0 || (mkdir(dir, 0750) != 0 && errno != EEXIST)) {
		int rc = lt_err_set(err, LT_EIO, "cannot store the file durably: %s", strerror(errno));
		lt_request_upload_abort(u);
		return rc;
	}
	int rc = lt_store_begin(q->store, err);
	if (rc) {
		lt_request_upload_abort(u);
		return rc;
	}
	/* The state is checked again under the write transaction. */
	if ((rc = may_add(q, &u->who, u->id, err)) == LT_OK &&
	    (rc = lt_store_request_file_add(q->store, &f, err)) == LT_OK) {
		file_path(q, u->id, f.n, final);
		if (rename(u->tmp, final) != 0 || sync_dir(dir) != 0)
			rc = lt_err_set(err, LT_EIO, "cannot store the file durably: %s", strerror(errno));
		else
			u->tmp[0] = '\0';
	}
	struct lt_request_row row = {0};
	if (rc == LT_OK && (rc = lt_store_request_get(q->store, u->id, &row, err)) == LT_OK) {
		struct lt_request_event ev = {.request_id = u->id};
		snprintf(ev.kind, sizeof ev.kind, "file");
		snprintf(ev.state, sizeof ev.state, "%s", row.state);
		snprintf(ev.unit, sizeof ev.unit, "%s", row.unit);
		snprintf(ev.who, sizeof ev.who, "%s", f.who);
		snprintf(ev.at, sizeof ev.at, "%s", f.added);
		json_t *data = json_pack("{s:i,s:s,s:I}", "file", f.n, "name", f.name, "size", (json_int_t)f.size);
		ev.data = json_dumps(data, JSON_COMPACT);
		json_decref(data);
		rc = ev.data ? lt_store_request_event_add(q->store, &ev, err)
			     : lt_err_set(err, LT_ENOMEM, "out of memory");
		free(ev.data);
	}
	lt_request_row_clear(&row);
	if (rc == LT_OK)
		rc = lt_store_commit(q->store, err);
	else
		lt_store_rollback(q->store);
	if (rc && !u->tmp[0]) {
		file_path(q, u->id, f.n, final);
		unlink(final);
	}
	if (rc == LT_OK && out)
		*out = json_pack("{s:I,s:i,s:s,s:s,s:I,s:s,s:s,s:s}", "request", (json_int_t)u->id, "n", f.n, "name",
				 f.name, "content_type", f.content_type, "size", (json_int_t)f.size, "sha256", f.sha256,
				 "role", f.role, "added", f.added);
	lt_request_upload_abort(u);
	return rc;
}

int lt_request_file_open(struct lt_requests *q, const struct lt_principal *who, int64_t id, int n, int *fd,
			 struct lt_request_file *meta, struct lt_err *err)
{
	struct lt_request_row row;
	int rc = lt_store_request_get(q->store, id, &row, err);
	if (rc == LT_ENOTFOUND)
		return lt_err_set(err, LT_ENOTFOUND, "no request %lld", (long long)id);
	if (rc)
		return rc;
	struct lt_codelist codes = {0};
	if (who->role == LT_ROLE_SYSTEM)
		rc = lt_store_system_codes(q->store, who->system_id, &codes, err);
	if (rc == LT_OK)
		rc = lt_access_request_read(who, row.unit, &codes, row.filer_token, err);
	lt_codelist_free(&codes);
	lt_request_row_clear(&row);
	if (rc == LT_OK)
		rc = lt_store_request_file_get(q->store, id, n, meta, err);
	if (rc)
		return rc;
	char path[PATH_MAX + 64];
	file_path(q, id, n, path);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return lt_err_set(err, LT_EIO, "file %d of request %lld is missing from storage: %s", n, (long long)id,
				  strerror(errno));
	return LT_OK;
}
