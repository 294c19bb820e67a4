/* Zipped attachments (formats.md §2.7): the VNPT builder and the .NET library
 * zip each file. Entries are listed and extracted with libzip into a
 * descriptor the caller chose, and extraction stops at the caller's cap
 * whatever size the archive declares. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "lienthong/edxml.h"

#define ZIP_CHUNK (64 * 1024)

struct lt_edxml_zip {
	zip_t *za;
	size_t n;
};

int lt_edxml_zip_open(const char *path, struct lt_edxml_zip **out, struct lt_err *err)
{
	*out = NULL;
	int zerr = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (!za) {
		zip_error_t e;
		zip_error_init_with_code(&e, zerr);
		int status = zerr == ZIP_ER_NOENT                                                  ? LT_ENOTFOUND
			     : zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ || zerr == ZIP_ER_MEMORY ? LT_EIO
												   : LT_EINVAL;
		lt_err_set(err, status, "%s is not a readable ZIP archive: %s", path, zip_error_strerror(&e));
		zip_error_fini(&e);
		return status;
	}
	zip_int64_t n = zip_get_num_entries(za, 0);
	struct lt_edxml_zip *z = calloc(1, sizeof *z);
	if (!z) {
		zip_discard(za);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	z->za = za;
	z->n = n > 0 ? (size_t)n : 0;
	*out = z;
	return LT_OK;
}

size_t lt_edxml_zip_count(const struct lt_edxml_zip *z) { return z ? z->n : 0; }

int lt_edxml_zip_entry(struct lt_edxml_zip *z, size_t i, const char **name, uint64_t *size, struct lt_err *err)
{
	if (i >= z->n)
		return lt_err_set(err, LT_ENOTFOUND, "the archive has %zu entries, not %zu", z->n, i + 1);
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(z->za, i, 0, &st) != 0)
		return lt_err_set(err, LT_EINVAL, "entry %zu: %s", i + 1, zip_strerror(z->za));
	if (name)
		*name = (st.valid & ZIP_STAT_NAME) ? st.name : "";
	if (size)
		*size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
	return LT_OK;
}

int lt_edxml_zip_extract(struct lt_edxml_zip *z, size_t i, int fd, uint64_t max_bytes, struct lt_err *err)
{
	if (i >= z->n)
		return lt_err_set(err, LT_ENOTFOUND, "the archive has %zu entries, not %zu", z->n, i + 1);
	zip_file_t *zf = zip_fopen_index(z->za, i, 0);
	if (!zf)
		return lt_err_set(err, LT_EINVAL, "entry %zu cannot be opened: %s", i + 1, zip_strerror(z->za));
	char *buf = malloc(ZIP_CHUNK);
	int rc = LT_OK;
	uint64_t total = 0;
	if (!buf) {
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		zip_int64_t n = zip_fread(zf, buf, ZIP_CHUNK);
		if (n < 0) {
			rc = lt_err_set(err, LT_EINVAL, "entry %zu is damaged: %s", i + 1,
					zip_error_strerror(zip_file_get_error(zf)));
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max_bytes) {
			rc = lt_err_set(err, LT_ETOOBIG, "entry %zu unpacks to more than %llu bytes", i + 1,
					(unsigned long long)max_bytes);
			goto out;
		}
		const char *p = buf;
		size_t left = (size_t)n;
		while (left > 0) {
			ssize_t w = write(fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = lt_err_set(err, LT_EIO, "cannot write entry %zu: %s", i + 1, strerror(errno));
				goto out;
			}
			p += w;
			left -= (size_t)w;
		}
	}
out:
	free(buf);
	zip_fclose(zf);
	return rc;
}

void lt_edxml_zip_close(struct lt_edxml_zip *z)
{
	if (!z)
		return;
	zip_discard(z->za);
	free(z);
}
