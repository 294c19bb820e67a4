/* The web interface's files (design.md §7.2 `GET /`): every view's URL
 * serves index.html, which routes in the browser; /assets/ and /vendor/
 * serve files by plain names only, so no request can name a path outside
 * the web directory. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server.h"

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".json", "application/json; charset=utf-8"},
		{".woff2", "font/woff2"},
		{".map", "application/json"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* The web directory: the setting, or web/ beside the build directory of
 * the running binary (build/lienthongd → web/). */
static const char *web_dir(struct server *srv)
{
	static char dir[PATH_MAX];
	if (srv->cfg.web_dir[0])
		return srv->cfg.web_dir;
	if (!dir[0]) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n > 0) {
			exe[n] = '\0';
			char *slash = strrchr(exe, '/');
			if (slash)
				*slash = '\0';
			snprintf(dir, sizeof dir, "%s/../web", exe);
		} else {
			snprintf(dir, sizeof dir, "web");
		}
	}
	return dir;
}

static bool plain_name(const char *s)
{
	if (!*s || *s == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

static void serve(struct req *rq, const char *sub, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s%s%s", web_dir(rq->srv), sub, *sub ? "/" : "", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		reply_error(rq, LT_ENOTFOUND, "no such file: %s%s%s", sub, *sub ? "/" : "", name);
		return;
	}
	char tag[64];
	snprintf(tag, sizeof tag, "\"w%llx-%llx\"", (unsigned long long)sb.st_mtime, (unsigned long long)sb.st_size);
	if (reply_etag(rq, tag)) {
		close(fd);
		return;
	}
	rq->body_fd = fd;
	rq->body_fd_size = (uint64_t)sb.st_size;
	rq->ctype = content_type(name);
	rq->status = 200;
}

void h_root(struct req *rq) { serve(rq, "", "index.html"); }

void h_web_asset(struct req *rq)
{
	const char *sub = strncmp(rq->uri.path, "/vendor/", 8) == 0 ? "vendor" : "assets";
	if (!plain_name(rq->params[0])) {
		reply_error(rq, LT_EINVAL, "not a file name: %.60s", rq->params[0]);
		return;
	}
	serve(rq, sub, rq->params[0]);
}
