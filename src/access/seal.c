/* Sealing secrets the hub must read back (the VXP HMAC key): AES-256-GCM
 * under a key in a file beside, not inside, the database. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "access_impl.h"

#define NONCE 12
#define TAG 16

int lt_seal_key_load(const char *path, bool create, unsigned char key[LT_SEAL_KEY_BYTES], struct lt_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		unsigned char fresh[LT_SEAL_KEY_BYTES];
		if (RAND_bytes(fresh, sizeof fresh) != 1)
			return lt_err_set(err, LT_EIO, "the system random generator failed");
		int wfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (wfd >= 0) {
			ssize_t w = write(wfd, fresh, sizeof fresh);
			int ok = w == (ssize_t)sizeof fresh && fsync(wfd) == 0;
			close(wfd);
			if (!ok) {
				unlink(path);
				return lt_err_set(err, LT_EIO, "cannot write the seal key %s: %s", path,
						  strerror(errno));
			}
		} else if (errno != EEXIST) {
			return lt_err_set(err, LT_EIO, "cannot create the seal key %s: %s", path, strerror(errno));
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return lt_err_set(err, LT_EIO, "cannot open the seal key %s: %s", path, strerror(errno));
	ssize_t n = read(fd, key, LT_SEAL_KEY_BYTES);
	close(fd);
	if (n != LT_SEAL_KEY_BYTES)
		return lt_err_set(err, LT_EIO, "the seal key %s is not %d bytes long", path, LT_SEAL_KEY_BYTES);
	return LT_OK;
}

/* mkdir -p, mode 0700: the directory holds the key. */
static int make_dirs(const char *dir, struct lt_err *err)
{
	char path[1024];
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
		return lt_err_set(err, LT_EINVAL, "data_dir is too long");
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return lt_err_set(err, LT_EIO, "cannot create directory %s: %s", path, strerror(errno));
		if (!c)
			return LT_OK;
		*p = c;
	}
}

int lt_seal_key_in(const char *data_dir, bool create, unsigned char key[LT_SEAL_KEY_BYTES], struct lt_err *err)
{
	if (!data_dir || !*data_dir)
		return lt_err_set(err, LT_EINVAL, "data_dir is not set: the seal key lives there");
	int rc;
	if (create && (rc = make_dirs(data_dir, err)))
		return rc;
	char path[1100];
	snprintf(path, sizeof path, "%s/seal.key", data_dir);
	return lt_seal_key_load(path, create, key, err);
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int from_hex(const char *hex, unsigned char *out, size_t cap, size_t *n)
{
	size_t len = strlen(hex);
	if (len % 2 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*n = len / 2;
	return 0;
}

int lt_seal(const unsigned char key[LT_SEAL_KEY_BYTES], const char *plain, char *out, size_t cap, struct lt_err *err)
{
	size_t n = strlen(plain);
	unsigned char buf[NONCE + 256 + TAG];
	if (n > 256 || cap < 2 * (NONCE + n + TAG) + 1)
		return lt_err_set(err, LT_ETOOBIG, "secret too long to seal");
	if (RAND_bytes(buf, NONCE) != 1)
		return lt_err_set(err, LT_EIO, "the system random generator failed");
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0,
	    ok = cx && EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
		 EVP_EncryptUpdate(cx, buf + NONCE, &len, (const unsigned char *)plain, (int)n) == 1 &&
		 EVP_EncryptFinal_ex(cx, buf + NONCE + len, &fin) == 1 &&
		 EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, TAG, buf + NONCE + n) == 1;
	EVP_CIPHER_CTX_free(cx);
	if (!ok)
		return lt_err_set(err, LT_EIO, "sealing a secret failed");
	to_hex(buf, NONCE + n + TAG, out);
	return LT_OK;
}

int lt_unseal(const unsigned char key[LT_SEAL_KEY_BYTES], const char *sealed, char *out, size_t cap, struct lt_err *err)
{
	unsigned char buf[NONCE + 256 + TAG];
	size_t n;
	if (from_hex(sealed, buf, sizeof buf, &n) || n < NONCE + TAG)
		return lt_err_set(err, LT_EIO, "a sealed secret in the database is damaged");
	size_t plain = n - NONCE - TAG;
	if (cap < plain + 1)
		return lt_err_set(err, LT_ETOOBIG, "sealed secret too long");
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	int ok = cx && EVP_DecryptInit_ex(cx, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
		 EVP_DecryptUpdate(cx, (unsigned char *)out, &len, buf + NONCE, (int)plain) == 1 &&
		 EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_TAG, TAG, buf + NONCE + plain) == 1 &&
		 EVP_DecryptFinal_ex(cx, (unsigned char *)out + len, &fin) == 1;
	EVP_CIPHER_CTX_free(cx);
	if (!ok)
		return lt_err_set(err, LT_EAUTH, "the seal key does not open this secret: was the key file replaced?");
	out[plain] = '\0';
	return LT_OK;
}
