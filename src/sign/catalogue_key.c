/* The registry's catalogue signing key (lienthong/catalogue.h): Ed25519
 * because its signatures are small, deterministic and need no parameters a
 * mirror written by others could get wrong; OpenSSL does the arithmetic. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "lienthong/access.h"
#include "lienthong/catalogue.h"

struct lt_catkey {
	EVP_PKEY *pkey;
};

#define RAW_PUB 32
#define RAW_SIG 64

static void key_id(const unsigned char raw[RAW_PUB], char id[LT_CATKEY_ID_BUFSZ])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	SHA256(raw, RAW_PUB, d);
	for (int i = 0; i < 8; i++)
		snprintf(id + 2 * i, 3, "%02x", d[i]);
}

static int write_new(const char *path, struct lt_err *err)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey)
		return lt_err_set(err, LT_EIO, "cannot generate the catalogue signing key");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		EVP_PKEY_free(pkey);
		/* Another process made it first: theirs is the key. */
		return errno == EEXIST ? LT_OK
				       : lt_err_set(err, LT_EIO, "cannot create the catalogue key %s: %s", path,
						    strerror(errno));
	}
	FILE *f = fdopen(fd, "w");
	int ok = f && PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1 && fflush(f) == 0 && fsync(fd) == 0;
	if (f)
		fclose(f);
	else
		close(fd);
	EVP_PKEY_free(pkey);
	if (!ok) {
		unlink(path);
		return lt_err_set(err, LT_EIO, "cannot write the catalogue key %s", path);
	}
	return LT_OK;
}

int lt_catkey_open(const char *data_dir, bool create, struct lt_catkey **out, struct lt_err *err)
{
	*out = NULL;
	if (!data_dir || !*data_dir)
		return lt_err_set(err, LT_EINVAL, "data_dir is not set: the catalogue key lives there");
	char path[1100];
	if (snprintf(path, sizeof path, "%s/catalogue.key", data_dir) >= (int)sizeof path)
		return lt_err_set(err, LT_EINVAL, "data_dir is too long");
	int rc;
	if (create) {
		/* The directory is made as the seal key makes it (0700). */
		unsigned char seal[LT_SEAL_KEY_BYTES];
		if ((rc = lt_seal_key_in(data_dir, true, seal, err)))
			return rc;
		if (access(path, F_OK) != 0 && (rc = write_new(path, err)))
			return rc;
	}
	FILE *f = fopen(path, "r");
	if (!f)
		return lt_err_set(err, errno == ENOENT ? LT_ENOTFOUND : LT_EIO,
				  "cannot open the catalogue key %s: %s%s", path, strerror(errno),
				  errno == ENOENT ? " (the daemon makes it when it first starts)" : "");
	EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return lt_err_set(err, LT_EIO, "%s is not an Ed25519 private key in PEM", path);
	}
	struct lt_catkey *k = calloc(1, sizeof *k);
	if (!k) {
		EVP_PKEY_free(pkey);
		return lt_err_set(err, LT_ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	*out = k;
	return LT_OK;
}

void lt_catkey_free(struct lt_catkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

void lt_catkey_public(const struct lt_catkey *k, char pub[LT_CATKEY_PUB_BUFSZ], char id[LT_CATKEY_ID_BUFSZ])
{
	unsigned char raw[RAW_PUB];
	size_t n = sizeof raw;
	pub[0] = id[0] = '\0';
	if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &n) != 1 || n != RAW_PUB)
		return;
	memcpy(pub, "ed25519:", 8);
	EVP_EncodeBlock((unsigned char *)pub + 8, raw, RAW_PUB);
	key_id(raw, id);
}

int lt_catkey_sign(const struct lt_catkey *k, const void *body, size_t len, char out[LT_CATKEY_SIG_BUFSZ],
		   struct lt_err *err)
{
	unsigned char sig[RAW_SIG], raw[RAW_PUB];
	size_t n = sizeof sig, pn = sizeof raw;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
		 EVP_DigestSign(md, sig, &n, body ? body : "", len) == 1 && n == RAW_SIG &&
		 EVP_PKEY_get_raw_public_key(k->pkey, raw, &pn) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return lt_err_set(err, LT_EIO, "signing the catalogue reply failed");
	char id[LT_CATKEY_ID_BUFSZ], b64[100];
	key_id(raw, id);
	EVP_EncodeBlock((unsigned char *)b64, sig, RAW_SIG);
	snprintf(out, LT_CATKEY_SIG_BUFSZ, "ed25519 keyid=%s sig=%s", id, b64);
	return LT_OK;
}

/* Base64 of exactly want bytes (EVP_DecodeBlock counts the padding in). */
static bool unbase64(const char *text, size_t tlen, unsigned char *out, size_t want)
{
	unsigned char buf[128];
	if (tlen == 0 || tlen % 4 || tlen / 4 * 3 > sizeof buf)
		return false;
	int n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)tlen);
	size_t pad = (text[tlen - 1] == '=') + (text[tlen - 2] == '=');
	if (n < 0 || (size_t)n - pad != want)
		return false;
	memcpy(out, buf, want);
	return true;
}

static int raw_public(const char *pub, unsigned char raw[RAW_PUB], struct lt_err *err)
{
	if (!pub || strncmp(pub, "ed25519:", 8) != 0 || !unbase64(pub + 8, strlen(pub + 8), raw, RAW_PUB))
		return lt_err_set(err, LT_EINVAL,
				  "'%.80s' is not a catalogue public key: it is written ed25519:<base64 of 32 bytes>, "
				  "as 'lienthong key show' prints it",
				  pub ? pub : "");
	return LT_OK;
}

int lt_catkey_parse_public(const char *pub, char id[LT_CATKEY_ID_BUFSZ], struct lt_err *err)
{
	unsigned char raw[RAW_PUB];
	int rc = raw_public(pub, raw, err);
	if (rc == LT_OK)
		key_id(raw, id);
	return rc;
}

int lt_catkey_verify(const char *pub, const void *body, size_t len, const char *header, struct lt_err *err)
{
	unsigned char raw[RAW_PUB], sig[RAW_SIG];
	int rc = raw_public(pub, raw, err);
	if (rc)
		return rc;
	char want[LT_CATKEY_ID_BUFSZ], id[LT_CATKEY_ID_BUFSZ] = "";
	key_id(raw, want);
	if (!header || !*header)
		return lt_err_set(err, LT_EAUTH, "unsigned: the reply carries no " LT_CATKEY_HEADER " header");
	const char *k = strstr(header, "keyid="), *s = strstr(header, "sig=");
	if (strncmp(header, "ed25519 ", 8) != 0 || !k || !s)
		return lt_err_set(err, LT_EAUTH,
				  "unsigned: the " LT_CATKEY_HEADER " header is not 'ed25519 keyid=… sig=…'");
	size_t idlen = strcspn(k + 6, " ");
	if (idlen < sizeof id)
		memcpy(id, k + 6, idlen), id[idlen] = '\0';
	if (strcmp(id, want) != 0)
		return lt_err_set(err, LT_EAUTH,
				  "signed by another key: key id %.16s, while upstream_public_key has key id %s", id,
				  want);
	if (!unbase64(s + 4, strcspn(s + 4, " "), sig, RAW_SIG))
		return lt_err_set(err, LT_EAUTH, "altered: the signature is not 64 bytes of base64");
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, RAW_PUB);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = pk && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
		 EVP_DigestVerify(md, sig, RAW_SIG, body ? body : "", len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	if (!ok)
		return lt_err_set(err, LT_EAUTH, "altered: the signature (key id %s) does not match the bytes received",
				  want);
	return LT_OK;
}
