/*
 * Sealing of secrets at rest; see seal.h.
 *
 * Blob layout: 0x01 | nonce[12] | ciphertext | tag[16].  The nonce is random
 * per blob (96-bit random nonces are safe for far more seals than a broker
 * will ever make under one key).  The key lives only in the struct seal,
 * which is wiped on free.  A struct seal is immutable after seal_open() and
 * may be used from any thread.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/seal.h"
#include "common/util.h"

#define SEAL_VERSION   0x01
#define SEAL_KEY_LEN   32
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN   16
#define SEAL_OVERHEAD  (1 + SEAL_NONCE_LEN + SEAL_TAG_LEN)

struct seal {
	unsigned char key[SEAL_KEY_LEN];
};

/* Make the new key file's directory entry durable too. */
static int seal_fsync_dir(const char *path)
{
	char *dir = strdup(path);
	char *slash;
	int fd, rc = -1;

	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

static int seal_write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int seal_create_key(struct seal *seal, const char *path, char **err)
{
	/* O_EXCL: never truncate or follow someone else's file (or symlink) into a key. */
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	int rc = -1;

	if (fd < 0) {
		int e = errno;
		struct stat sb;

		if (e == EEXIST && lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
			util_set_err(err,
				     "cannot create key file %s: it is a symbolic link to a "
				     "missing file",
				     path);
			return -1;
		}
		util_set_err(err, "cannot create key file %s: %s", path, strerror(e));
		return e == EEXIST ? -EEXIST : -1;
	}
	if (RAND_bytes(seal->key, SEAL_KEY_LEN) != 1) {
		util_set_err(err, "cannot generate a key for %s: no randomness", path);
		goto out;
	}
	/* The umask may have cleared bits but never adds any; still, be explicit. */
	if (fchmod(fd, 0600) < 0 || seal_write_all(fd, seal->key, SEAL_KEY_LEN) < 0 ||
	    fsync(fd) < 0) {
		util_set_err(err, "cannot write key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		util_set_err(err, "cannot write key file %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (seal_fsync_dir(path) < 0) {
		util_set_err(err, "cannot sync the directory of key file %s: %s", path,
			     strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(path);
	return rc;
}

static int seal_load_key(struct seal *seal, int fd, const char *path, char **err)
{
	struct stat sb;
	unsigned char extra;
	size_t got = 0;

	if (fstat(fd, &sb) < 0) {
		util_set_err(err, "cannot stat key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		util_set_err(err, "key file %s is not a regular file", path);
		return -1;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		util_set_err(err,
			     "key file %s is accessible by group or others (mode %04o); "
			     "it must be 0600 or stricter",
			     path, (unsigned int)(sb.st_mode & 07777));
		return -1;
	}
	if (sb.st_size != SEAL_KEY_LEN) {
		util_set_err(err, "key file %s has %lld bytes; a key file holds exactly %d", path,
			     (long long)sb.st_size, SEAL_KEY_LEN);
		return -1;
	}
	while (got < SEAL_KEY_LEN) {
		ssize_t n = read(fd, seal->key + got, SEAL_KEY_LEN - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			util_set_err(err, "cannot read key file %s: %s", path,
				     n < 0 ? strerror(errno) : "file shrank while reading");
			return -1;
		}
		got += (size_t)n;
	}
	if (read(fd, &extra, 1) != 0) {
		util_set_err(err, "key file %s has more than %d bytes", path, SEAL_KEY_LEN);
		return -1;
	}
	return 0;
}

struct seal *seal_open(const char *path, char **err)
{
	struct seal *seal;
	int fd, rc, attempt;
	char *local_err = NULL;

	if (!err)
		err = &local_err;
	*err = NULL;
	seal = OPENSSL_secure_zalloc(sizeof(*seal));
	if (!seal) {
		util_set_err(err, "out of memory");
		goto fail;
	}
	/* Twice: another process may create the file between our open and our create. */
	for (attempt = 0; attempt < 2; attempt++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			rc = seal_load_key(seal, fd, path, err);
			close(fd);
			if (rc < 0)
				goto fail;
			return seal;
		}
		if (errno != ENOENT) {
			util_set_err(err, "cannot open key file %s: %s", path, strerror(errno));
			goto fail;
		}
		rc = seal_create_key(seal, path, err);
		if (rc == 0)
			return seal;
		if (rc != -EEXIST)
			goto fail;
		free(*err);
		*err = NULL;
	}
	util_set_err(err, "cannot open key file %s: it keeps appearing and vanishing", path);
fail:
	free(local_err);
	seal_free(seal);
	return NULL;
}

void seal_free(struct seal *seal)
{
	if (seal)
		OPENSSL_secure_clear_free(seal, sizeof(*seal));
}

int seal_encrypt(struct seal *seal, const void *plain, size_t len, const char *aad,
		 unsigned char **out, size_t *out_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *blob = NULL, *nonce, *ct;
	size_t aad_len = aad ? strlen(aad) : 0;
	int n, rc = -1;

	*out = NULL;
	*out_len = 0;
	if (len > INT_MAX - SEAL_OVERHEAD || aad_len > INT_MAX)
		return -1;
	blob = malloc(len + SEAL_OVERHEAD);
	ctx = EVP_CIPHER_CTX_new();
	if (!blob || !ctx)
		goto out;
	blob[0] = SEAL_VERSION;
	nonce = blob + 1;
	ct = nonce + SEAL_NONCE_LEN;
	if (RAND_bytes(nonce, SEAL_NONCE_LEN) != 1)
		goto out;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, seal->key, nonce) != 1)
		goto out;
	if (aad_len &&
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)aad_len) != 1)
		goto out;
	n = 0;
	if (len && EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) != 1)
		goto out;
	if ((size_t)n != len)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, ct + len, &n) != 1 || n != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, ct + len) != 1)
		goto out;
	*out = blob;
	*out_len = len + SEAL_OVERHEAD;
	blob = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(blob);
	return rc;
}

int seal_decrypt(struct seal *seal, const unsigned char *blob, size_t len, const char *aad,
		 unsigned char **out, size_t *out_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	const unsigned char *nonce, *ct, *tag;
	unsigned char *plain = NULL;
	size_t aad_len = aad ? strlen(aad) : 0, ct_len;
	int n, rc = -1;

	*out = NULL;
	*out_len = 0;
	if (!blob || len < SEAL_OVERHEAD || len > INT_MAX || aad_len > INT_MAX ||
	    blob[0] != SEAL_VERSION)
		return -1;
	nonce = blob + 1;
	ct = nonce + SEAL_NONCE_LEN;
	ct_len = len - SEAL_OVERHEAD;
	tag = ct + ct_len;
	plain = malloc(ct_len + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (!plain || !ctx)
		goto out;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, seal->key, nonce) != 1)
		goto out;
	if (aad_len &&
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)aad_len) != 1)
		goto out;
	n = 0;
	if (ct_len && EVP_DecryptUpdate(ctx, plain, &n, ct, (int)ct_len) != 1)
		goto out;
	if ((size_t)n != ct_len)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, (void *)tag) != 1)
		goto out;
	/* Verifies the tag: nothing decrypted is released unless it matches. */
	if (EVP_DecryptFinal_ex(ctx, plain + ct_len, &n) != 1)
		goto out;
	plain[ct_len] = '\0';
	*out = plain;
	*out_len = ct_len;
	plain = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (plain)
		seal_wipe(plain, ct_len + 1);
	return rc;
}

void seal_wipe(void *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}
