/* The content hash of a package: SHA-256 over its bytes, streamed, so the hub
 * can tell a retried send from a different document with the same id. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lienthong/edxml.h"

#define HASH_CHUNK (64 * 1024)

int lt_edxml_hash_fd(int fd, unsigned char out[LT_EDXML_SHA256_LEN], uint64_t *size, struct lt_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(HASH_CHUNK);
	int rc = LT_OK;
	uint64_t total = 0;
	if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = lt_err_set(err, LT_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, HASH_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = lt_err_set(err, LT_EIO, "cannot read the package: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	unsigned int len = 0;
	EVP_DigestFinal_ex(ctx, out, &len);
	if (size)
		*size = total;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

int lt_edxml_hash_file(const char *path, unsigned char out[LT_EDXML_SHA256_LEN], uint64_t *size, struct lt_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return lt_err_set(err, e == ENOENT ? LT_ENOTFOUND : LT_EIO, "cannot open %s: %s", path, strerror(e));
	}
	int rc = lt_edxml_hash_fd(fd, out, size, err);
	close(fd);
	return rc;
}

char *lt_edxml_hash_hex(const unsigned char sha[LT_EDXML_SHA256_LEN], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < LT_EDXML_SHA256_LEN; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	out[64] = '\0';
	return out;
}
