/* Attachment content as it streams past: base64 decoded through one fixed
 * buffer into a file or the caller's sink and hashed on the way, so memory
 * does not grow with the attachment. At the end the manifest and the
 * AttachmentEncoded side are joined by ContentId (formats.md §2.7). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "edxml/edxml_impl.h"

#define ATTACH_PATH_FMT "AttachmentEncoded/Attachment[%zu]"
#define MANIFEST_PATH_FMT "edXMLEnvelope/edXMLBody/edXMLManifest/Reference[%zu]"
#define SAFE_NAME_MAX 120

/* One more than each base64 character's value, 0 for every other byte: a
 * table, because attachment content is most of a package's bytes and goes
 * through here one by one. */
static const unsigned char b64_plus1[256] = {
	['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
	['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
	['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static int b64_value(unsigned char c) { return (int)b64_plus1[c] - 1; }

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int flush(struct lt_edxml_reader *r)
{
	struct lt__edxml_b64 *d = &r->dec;
	if (d->out_len == 0)
		return LT_OK;
	struct lt__edxml_body *b = &r->bodies[r->cur_body];
	if (d->nhead < sizeof d->head) {
		size_t k = sizeof d->head - d->nhead;
		if (k > d->out_len)
			k = d->out_len;
		memcpy(d->head + d->nhead, d->out, k);
		d->nhead += k;
	}
	if (!r->no_attachment_digests)
		EVP_DigestUpdate(d->sha, d->out, d->out_len);
	if (d->fd >= 0 && write_all(d->fd, d->out, d->out_len) != 0)
		return lt__edxml_fail(r, LT_EIO, "cannot write %s/%s: %s", r->attach_dir, d->part, strerror(errno));
	if (r->has_sink && r->sink.write) {
		struct lt_err serr = {0};
		int rc = r->sink.write(r->sink.arg, b->seq, d->out, d->out_len, &serr);
		if (rc != LT_OK)
			return lt__edxml_fail(r, rc, "%s", serr.msg[0] ? serr.msg : lt_strerror(rc));
	}
	b->size += d->out_len;
	d->out_len = 0;
	return LT_OK;
}

int lt__edxml_content_begin(struct lt_edxml_reader *r)
{
	struct lt__edxml_b64 *d = &r->dec;
	struct lt__edxml_body *b = &r->bodies[r->cur_body];
	b->has_content = true;
	d->nq = d->pad = 0;
	d->nhead = d->out_len = 0;
	d->part[0] = '\0';
	if (!r->no_attachment_digests && EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL) != 1)
		return lt__edxml_fail(r, LT_ENOMEM, "cannot start SHA-256");
	if (r->dirfd >= 0) {
		snprintf(d->part, sizeof d->part, "%zu.part", b->seq + 1);
		d->fd = openat(r->dirfd, d->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (d->fd < 0) {
			int e = errno;
			d->part[0] = '\0';
			return lt__edxml_fail(r, LT_EIO, "cannot create %s/%zu.part: %s", r->attach_dir, b->seq + 1,
					      strerror(e));
		}
	}
	return LT_OK;
}

int lt__edxml_content_data(struct lt_edxml_reader *r, const unsigned char *s, size_t len)
{
	struct lt__edxml_b64 *d = &r->dec;
	struct lt__edxml_body *b = &r->bodies[r->cur_body];
	for (size_t i = 0; i < len; i++) {
		/* Whole groups of four plain characters, the bulk of any
		 * attachment, decoded straight into the output; anything else
		 * (whitespace, padding, a bad byte, a group split across calls)
		 * takes the checked path below, one character at a time. */
		if (d->nq == 0 && !d->pad && len - i >= 4) {
			if (sizeof d->out - d->out_len < 3 && flush(r) != LT_OK)
				return r->status;
			size_t groups = (len - i) / 4, room = (sizeof d->out - d->out_len) / 3;
			size_t want = groups < room ? groups : room;
			size_t got = lt__edxml_b64_groups(s + i, want, d->out + d->out_len, true);
			d->out_len += 3 * got;
			size_t done = 4 * got;
			b->encoded += done;
			i += done;
			if (got == want) {
				/* Out of input or of room: look again from s[i]
				 * (the loop's i++ is undone), flushing first. */
				i--;
				continue;
			}
		}
		unsigned char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		b->encoded++;
		if (c == '=') {
			if (d->nq < 2)
				return lt__edxml_fail(r, LT_EINVAL, "not base64: '=' at character %llu pads too much",
						      (unsigned long long)b->encoded);
			d->pad++;
			d->quad[d->nq++] = 0;
		} else {
			int v = b64_value(c);
			if (v < 0)
				return lt__edxml_fail(r, LT_EINVAL, "not base64: byte 0x%02x at character %llu", c,
						      (unsigned long long)b->encoded);
			if (d->pad)
				return lt__edxml_fail(r, LT_EINVAL,
						      "not base64: data after '=' padding at character %llu",
						      (unsigned long long)b->encoded);
			d->quad[d->nq++] = (unsigned char)v;
		}
		if (d->nq < 4)
			continue;
		unsigned char o[3] = {
			(unsigned char)(d->quad[0] << 2 | d->quad[1] >> 4),
			(unsigned char)(d->quad[1] << 4 | d->quad[2] >> 2),
			(unsigned char)(d->quad[2] << 6 | d->quad[3]),
		};
		size_t k = 3 - (size_t)d->pad;
		if (sizeof d->out - d->out_len < k && flush(r) != LT_OK)
			return r->status;
		memcpy(d->out + d->out_len, o, k);
		d->out_len += k;
		d->nq = 0;
		/* pad stays set, so data after a padded group is refused. */
	}
	return LT_OK;
}

static bool has_suffix_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int lt__edxml_content_end(struct lt_edxml_reader *r)
{
	struct lt__edxml_b64 *d = &r->dec;
	struct lt__edxml_body *b = &r->bodies[r->cur_body];
	if (d->nq != 0)
		return lt__edxml_fail(r, LT_EINVAL,
				      "the base64 content ends inside a group: %d character%s left over (truncated?)",
				      d->nq, d->nq == 1 ? "" : "s");
	if (flush(r) != LT_OK)
		return r->status;
	unsigned int n = 0;
	if (!r->no_attachment_digests)
		EVP_DigestFinal_ex(d->sha, b->sha256, &n);
	b->magic_zip = d->nhead == 4 && memcmp(d->head, "PK\x03\x04", 4) == 0;
	if (d->fd >= 0) {
		int rc = close(d->fd);
		d->fd = -1;
		if (rc != 0)
			return lt__edxml_fail(r, LT_EIO, "cannot write %s/%s: %s", r->attach_dir, d->part,
					      strerror(errno));
	}
	if (r->has_sink && r->sink.end) {
		struct lt_err serr = {0};
		int rc = r->sink.end(r->sink.arg, b->seq, &serr);
		if (rc != LT_OK)
			return lt__edxml_fail(r, rc, "%s", serr.msg[0] ? serr.msg : lt_strerror(rc));
	}
	return LT_OK;
}

/* A file name from untrusted text: no separators, no control bytes, no
 * leading dot; UTF-8 is kept so Vietnamese names stay readable. */
static void safe_name(const char *in, char *out, size_t size)
{
	size_t o = 0;
	for (const unsigned char *s = (const unsigned char *)in; *s && o + 1 < size; s++) {
		unsigned char c = *s;
		bool bad = c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':' || (o == 0 && c == '.');
		out[o++] = bad ? '_' : (char)c;
	}
	/* Do not cut a UTF-8 sequence in half. */
	while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) {
		size_t start = o - 1;
		while (start > 0 && ((unsigned char)out[start] & 0xC0) == 0x80)
			start--;
		unsigned char lead = (unsigned char)out[start];
		size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
		if (o - start >= need)
			break;
		o = start;
	}
	if (o == 0)
		out[o++] = '_';
	out[o] = '\0';
}

static bool zip_type(const char *type)
{
	return type && strncasecmp(type, "application/zip", 15) == 0 &&
	       (type[15] == '\0' || type[15] == ';' || type[15] == ' ');
}

int lt__edxml_body_close(struct lt_edxml_reader *r)
{
	struct lt__edxml_body *b = &r->bodies[r->cur_body];
	if (!b->content_id)
		return lt__edxml_fail(r, LT_EINVAL,
				      "ContentId is missing: the attachment cannot be matched to the manifest");
	if (!b->has_content)
		return lt__edxml_fail(r, LT_EINVAL, "ContentTransferEncoded is missing: the attachment has no content");
	if (r->dirfd < 0)
		return LT_OK;
	/* Name the file after the attachment: its own AttachmentName, else the
	 * manifest's (normally read by now), else its ContentId. */
	const char *name = b->name;
	for (size_t i = 0; !name && i < r->n_refs; i++)
		if (strcmp(r->refs[i].content_id, b->content_id) == 0)
			name = r->refs[i].name;
	char safe[SAFE_NAME_MAX], file[SAFE_NAME_MAX + 32];
	safe_name(name ? name : b->content_id, safe, sizeof safe);
	bool zipped = b->magic_zip || zip_type(b->content_type);
	snprintf(file, sizeof file, "%zu-%s%s", b->seq + 1, safe, zipped && !has_suffix_ci(safe, ".zip") ? ".zip" : "");
	if (linkat(r->dirfd, r->dec.part, r->dirfd, file, 0) != 0) {
		int e = errno;
		return lt__edxml_fail(r, LT_EIO, "cannot name the decoded file %s/%s: %s", r->attach_dir, file,
				      strerror(e));
	}
	unlinkat(r->dirfd, r->dec.part, 0);
	r->dec.part[0] = '\0';
	size_t dl = strlen(r->attach_dir);
	size_t n = dl + 1 + strlen(file) + 1;
	char *path = lt__edxml_alloc(r->pkg, n);
	if (!path) {
		unlinkat(r->dirfd, file, 0);
		return lt__edxml_fail(r, LT_ENOMEM, "out of memory");
	}
	snprintf(path, n, "%s/%s", r->attach_dir, file);
	b->path = path;
	b->file = path + dl + 1;
	return LT_OK;
}

void lt__edxml_dec_release(struct lt_edxml_reader *r)
{
	struct lt__edxml_b64 *d = &r->dec;
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	if (d->part[0] && r->dirfd >= 0)
		unlinkat(r->dirfd, d->part, 0);
	d->part[0] = '\0';
}

void lt__edxml_bodies_discard(struct lt_edxml_reader *r)
{
	if (r->dirfd < 0)
		return;
	for (size_t i = 0; i < r->n_bodies; i++) {
		if (r->bodies[i].file)
			unlinkat(r->dirfd, r->bodies[i].file, 0);
		r->bodies[i].file = NULL;
	}
}

static void fill(struct lt_edxml_attachment *a, const struct lt__edxml_body *b)
{
	a->path = b->path;
	a->encoded_size = b->encoded;
	a->size = b->size;
	memcpy(a->sha256, b->sha256, sizeof a->sha256);
	a->seq = b->seq;
	a->zipped = b->magic_zip || zip_type(a->content_type) || zip_type(b->content_type) ||
		    (a->name && has_suffix_ci(a->name, ".zip"));
}

static int no_room(struct lt_edxml_reader *r)
{
	return lt__edxml_fail_at(r, lt__edxml_pool_over(r->pkg) ? LT_ETOOBIG : LT_ENOMEM, NULL,
				 "no room for the attachment list: the header data exceed %zu bytes", r->lim.max_meta);
}

int lt__edxml_join(struct lt_edxml_reader *r)
{
	struct lt_edxml_package *p = r->pkg;
	char path[128];
	for (size_t i = 0; i < r->n_refs; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->refs[i].content_id, r->refs[j].content_id) == 0) {
				snprintf(path, sizeof path, MANIFEST_PATH_FMT, r->refs[i].ordinal);
				return lt__edxml_fail_at(r, LT_EINVAL, path,
							 "ContentId '%.60s' is listed twice (also Reference[%zu])",
							 r->refs[i].content_id, r->refs[j].ordinal);
			}
	for (size_t i = 0; i < r->n_bodies; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->bodies[i].content_id, r->bodies[j].content_id) == 0) {
				snprintf(path, sizeof path, ATTACH_PATH_FMT, i + 1);
				return lt__edxml_fail_at(r, LT_EINVAL, path,
							 "ContentId '%.60s' repeats Attachment[%zu]",
							 r->bodies[i].content_id, j + 1);
			}

	if (r->n_refs + r->n_bodies == 0)
		return LT_OK;
	bool *used = lt__edxml_alloc(p, r->n_bodies + 1);
	if (!used)
		return no_room(r);
	for (size_t i = 0; i < r->n_refs; i++) {
		const struct lt__edxml_ref *ref = &r->refs[i];
		size_t j = 0;
		while (j < r->n_bodies && strcmp(r->bodies[j].content_id, ref->content_id) != 0)
			j++;
		if (j == r->n_bodies) {
			snprintf(path, sizeof path, MANIFEST_PATH_FMT, ref->ordinal);
			return lt__edxml_fail_at(r, LT_EINVAL, path,
						 "attachment '%.60s' is listed in the manifest but absent from "
						 "AttachmentEncoded",
						 ref->content_id);
		}
		const struct lt__edxml_body *b = &r->bodies[j];
		used[j] = true;
		struct lt_edxml_attachment *a = lt__edxml_push(p, &p->attachments, &p->n_attachments, sizeof *a);
		if (!a)
			return no_room(r);
		a->content_id = ref->content_id;
		a->name = ref->name ? ref->name : b->name;
		a->content_type = ref->content_type ? ref->content_type : b->content_type;
		a->description = ref->description ? ref->description : b->description;
		a->listed = true;
		fill(a, b);
	}
	/* An attachment the manifest does not list is kept: its own metadata
	 * names it, and refusing would lose a document over bookkeeping. */
	for (size_t j = 0; j < r->n_bodies; j++) {
		if (used[j])
			continue;
		const struct lt__edxml_body *b = &r->bodies[j];
		struct lt_edxml_attachment *a = lt__edxml_push(p, &p->attachments, &p->n_attachments, sizeof *a);
		if (!a)
			return no_room(r);
		a->content_id = b->content_id;
		a->name = b->name;
		a->content_type = b->content_type;
		a->description = b->description;
		a->listed = false;
		fill(a, b);
	}
	return LT_OK;
}
