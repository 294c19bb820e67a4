/* The catalogue as a registry publishes it to other hubs: signed replies,
 * the full snapshot, and changes published into it by a hub below. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lienthong/log.h"
#include "server.h"

void reply_signed_json(struct req *rq, int status, json_t *body)
{
	size_t n = 0;
	char *text = body ? json_reply_text(body, &n) : NULL;
	json_decref(body);
	struct lt_err err = {0};
	if (!text) {
		reply_error(rq, LT_ENOMEM, "out of memory");
		return;
	}
	if (lt_catkey_sign(rq->srv->catkey, text, n, rq->signature, &err)) {
		free(text);
		reply_err(rq, &err);
		return;
	}
	reply_raw(rq, status, "application/json; charset=utf-8", text, n);
}

/* A file in data_dir that is gone once closed: the snapshot is written
 * there, not held in memory. */
static FILE *scratch(struct req *rq)
{
	int fd = open(rq->srv->cfg.data_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		char path[1100];
		snprintf(path, sizeof path, "%s/snapshot-XXXXXX", rq->srv->cfg.data_dir);
		fd = mkstemp(path);
		if (fd >= 0)
			unlink(path);
	}
	FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
	if (!f && fd >= 0)
		close(fd);
	return f;
}

void h_snapshot(struct req *rq)
{
	if (!auth_read(rq))
		return;
	FILE *f = scratch(rq);
	if (!f) {
		reply_error(rq, LT_EIO, "cannot make a scratch file in data_dir for the snapshot");
		return;
	}
	struct lt_err err = {0};
	int64_t seq = 0;
	int rc = lt_registry_snapshot_write(rq->srv->reg, f, &seq, &err);
	struct stat sb;
	if (rc == LT_OK && fstat(fileno(f), &sb) != 0)
		rc = lt_err_set(&err, LT_EIO, "cannot read back the snapshot");
	/* Signed over the bytes as they lie in the file, mapped rather than
	 * read into memory. */
	void *map = rc == LT_OK ? mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0) : MAP_FAILED;
	if (rc == LT_OK && map == MAP_FAILED)
		rc = lt_err_set(&err, LT_EIO, "cannot map the snapshot to sign it");
	if (rc == LT_OK)
		rc = lt_catkey_sign(rq->srv->catkey, map, (size_t)sb.st_size, rq->signature, &err);
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	int fd = rc == LT_OK ? dup(fileno(f)) : -1;
	fclose(f);
	if (rc == LT_OK && (fd < 0 || lseek(fd, 0, SEEK_SET) != 0))
		rc = lt_err_set(&err, LT_EIO, "cannot send the snapshot");
	if (rc) {
		if (fd >= 0)
			close(fd);
		rq->signature[0] = '\0';
		reply_err(rq, &err);
		return;
	}
	lt_log_debug("snapshot as of seq %lld: %lld bytes", (long long)seq, (long long)sb.st_size);
	rq->body_fd = fd;
	rq->body_fd_size = (uint64_t)sb.st_size;
	rq->ctype = "application/json; charset=utf-8";
	rq->status = 200;
}

/* POST /v1/changes: a hub below publishes the changes of its subtree. */
void h_publish_in(struct req *rq)
{
	static const char *const spec[] = {"items:a!", NULL};
	json_t *o = req_json_object(rq);
	if (!o)
		return;
	if (!req_fields(rq, o, spec, "body")) {
		json_decref(o);
		return;
	}
	struct lt_err err = {0};
	int64_t accepted = 0;
	json_t *items = json_object_get(o, "items");
	int rc = lt_registry_publish_in(rq->srv->reg, &rq->call, items, &accepted, &err);
	size_t n = json_array_size(items);
	json_decref(o);
	if (rc) {
		reply_err(rq, &err);
		return;
	}
	char at[32];
	lt_time_now(at);
	reply_json(rq, 200,
		   json_pack("{s:I,s:I,s:s}", "items", (json_int_t)n, "accepted", (json_int_t)accepted, "accepted_at",
			     at));
}
