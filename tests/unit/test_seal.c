/*
 * Unit tests of common/seal.c: round trips, tamper detection, key binding and
 * aad binding, and the key file's creation and checks.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/fixture.h"

static char dir[256];
static char key_path[300];

static int suite_init(void)
{
	if (fx_tmpdir(dir, sizeof(dir)) < 0)
		return -1;
	snprintf(key_path, sizeof(key_path), "%s/seal.key", dir);
	return 0;
}

static int suite_clean(void)
{
	fx_rm_rf(dir);
	return 0;
}

/* Write a file of len bytes with the given mode at dir/name; returns its path (static). */
static const char *write_file(const char *name, size_t len, mode_t mode)
{
	static char path[320];
	unsigned char buf[64] = {0};
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(len <= sizeof(buf));
	CU_ASSERT_FATAL(write(fd, buf, len) == (ssize_t)len);
	CU_ASSERT_FATAL(fchmod(fd, mode) == 0);
	close(fd);
	return path;
}

static void test_key_file_created(void)
{
	char *err = NULL;
	struct seal *seal;
	struct stat sb;
	unsigned char first[32], again[32];
	FILE *f;

	unlink(key_path);
	seal = seal_open(key_path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL_FATAL(stat(key_path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(sb.st_size, 32);
	seal_free(seal);

	/* Opening again loads the same key rather than making a new one. */
	f = fopen(key_path, "rb");
	CU_ASSERT_FATAL(f && fread(first, 1, 32, f) == 32);
	fclose(f);
	seal = seal_open(key_path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	seal_free(seal);
	f = fopen(key_path, "rb");
	CU_ASSERT_FATAL(f && fread(again, 1, 32, f) == 32);
	fclose(f);
	CU_ASSERT_EQUAL(memcmp(first, again, 32), 0);
}

static void test_round_trip(void)
{
	static const char secret[] = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----";
	const char *aad = "arn:aws:sns:us-east-1:000000000000:app/GCM/a";
	unsigned char *blob = NULL, *plain = NULL;
	size_t blob_len = 0, plain_len = 0;
	struct seal *seal = seal_open(key_path, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	CU_ASSERT_EQUAL_FATAL(seal_encrypt(seal, secret, strlen(secret), aad, &blob, &blob_len), 0);
	CU_ASSERT_EQUAL(blob_len, 1 + 12 + strlen(secret) + 16);
	CU_ASSERT_EQUAL(blob[0], 0x01);
	/* The secret does not appear in the clear. */
	CU_ASSERT_PTR_NULL(memmem(blob, blob_len, "PRIVATE", 7));
	CU_ASSERT_EQUAL_FATAL(seal_decrypt(seal, blob, blob_len, aad, &plain, &plain_len), 0);
	CU_ASSERT_EQUAL(plain_len, strlen(secret));
	CU_ASSERT_STRING_EQUAL((char *)plain, secret);
	seal_wipe(plain, plain_len);
	free(blob);
	seal_free(seal);
}

static void test_nonce_is_fresh(void)
{
	unsigned char *a = NULL, *b = NULL;
	size_t alen, blen;
	struct seal *seal = seal_open(key_path, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	CU_ASSERT_EQUAL_FATAL(seal_encrypt(seal, "same", 4, "x", &a, &alen), 0);
	CU_ASSERT_EQUAL_FATAL(seal_encrypt(seal, "same", 4, "x", &b, &blen), 0);
	CU_ASSERT_EQUAL(alen, blen);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, alen), 0);
	free(a);
	free(b);
	seal_free(seal);
}

static void test_empty_plaintext(void)
{
	unsigned char *blob = NULL, *plain = NULL;
	size_t blob_len = 0, plain_len = 99;
	struct seal *seal = seal_open(key_path, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	CU_ASSERT_EQUAL_FATAL(seal_encrypt(seal, "", 0, "aad", &blob, &blob_len), 0);
	CU_ASSERT_EQUAL(blob_len, 1 + 12 + 16);
	CU_ASSERT_EQUAL_FATAL(seal_decrypt(seal, blob, blob_len, "aad", &plain, &plain_len), 0);
	CU_ASSERT_EQUAL(plain_len, 0);
	CU_ASSERT_PTR_NOT_NULL(plain);
	CU_ASSERT_EQUAL(plain[0], '\0');
	seal_wipe(plain, 1);
	/* Empty plaintext is still authenticated. */
	blob[blob_len - 1] ^= 1;
	CU_ASSERT_EQUAL(seal_decrypt(seal, blob, blob_len, "aad", &plain, &plain_len), -1);
	free(blob);
	seal_free(seal);
}

static void test_tamper_any_byte(void)
{
	const char *msg = "a credential";
	unsigned char *blob = NULL, *plain = NULL;
	size_t blob_len = 0, plain_len, i;
	int bit, opened = 0;
	struct seal *seal = seal_open(key_path, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	CU_ASSERT_EQUAL_FATAL(seal_encrypt(seal, msg, strlen(msg), "aad", &blob, &blob_len), 0);
	for (i = 0; i < blob_len; i++) {
		for (bit = 0; bit < 8; bit++) {
			blob[i] ^= (unsigned char)(1 << bit);
			if (seal_decrypt(seal, blob, blob_len, "aad", &plain, &plain_len) == 0) {
				opened++;
				seal_wipe(plain, plain_len);
			}
			CU_ASSERT_PTR_NULL(plain);
			blob[i] ^= (unsigned char)(1 << bit);
		}
	}
	CU_ASSERT_EQUAL(opened, 0);
	/* Truncated blobs, down to nothing. */
	for (i = 0; i < blob_len; i++)
		CU_ASSERT_EQUAL(seal_decrypt(seal, blob, i, "aad", &plain, &plain_len), -1);
	CU_ASSERT_EQUAL(seal_decrypt(seal, NULL, 0, "aad", &plain, &plain_len), -1);
	/* The untouched blob still opens. */
	CU_ASSERT_EQUAL(seal_decrypt(seal, blob, blob_len, "aad", &plain, &plain_len), 0);
	seal_wipe(plain, plain_len);
	free(blob);
	seal_free(seal);
}

static void test_unknown_version(void)
{
	unsigned char *blob = NULL, *plain = NULL;
	size_t blob_len, plain_len;
	struct seal *seal = seal_open(key_path, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	CU_ASSERT_EQUAL_FATAL(seal_encrypt(seal, "x", 1, "aad", &blob, &blob_len), 0);
	blob[0] = 0x02;
	CU_ASSERT_EQUAL(seal_decrypt(seal, blob, blob_len, "aad", &plain, &plain_len), -1);
	free(blob);
	seal_free(seal);
}

static void test_wrong_aad(void)
{
	unsigned char *blob = NULL, *plain = NULL;
	size_t blob_len, plain_len;
	struct seal *seal = seal_open(key_path, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	CU_ASSERT_EQUAL_FATAL(seal_encrypt(seal, "secret", 6, "app/GCM/a", &blob, &blob_len), 0);
	CU_ASSERT_EQUAL(seal_decrypt(seal, blob, blob_len, "app/GCM/b", &plain, &plain_len), -1);
	CU_ASSERT_EQUAL(seal_decrypt(seal, blob, blob_len, "app/GCM/a ", &plain, &plain_len), -1);
	CU_ASSERT_EQUAL(seal_decrypt(seal, blob, blob_len, "", &plain, &plain_len), -1);
	CU_ASSERT_EQUAL(seal_decrypt(seal, blob, blob_len, NULL, &plain, &plain_len), -1);
	CU_ASSERT_PTR_NULL(plain);
	free(blob);
	seal_free(seal);
}

static void test_other_key(void)
{
	char other[320];
	unsigned char *blob = NULL, *plain = NULL;
	size_t blob_len, plain_len;
	struct seal *seal = seal_open(key_path, NULL);
	struct seal *seal2;

	snprintf(other, sizeof(other), "%s/other.key", dir);
	unlink(other);
	seal2 = seal_open(other, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seal);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seal2);
	CU_ASSERT_EQUAL_FATAL(seal_encrypt(seal, "secret", 6, "aad", &blob, &blob_len), 0);
	CU_ASSERT_EQUAL(seal_decrypt(seal2, blob, blob_len, "aad", &plain, &plain_len), -1);
	CU_ASSERT_PTR_NULL(plain);
	free(blob);
	seal_free(seal);
	seal_free(seal2);
}

static void expect_refused(const char *path, const char *needle)
{
	char *err = NULL;
	struct seal *seal = seal_open(path, &err);

	CU_ASSERT_PTR_NULL(seal);
	seal_free(seal);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	/* The message names the file and the problem. */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
	free(err);
}

static void test_refuse_wrong_size(void)
{
	struct stat sb;
	const char *path = write_file("short.key", 31, 0600);

	expect_refused(path, "31 bytes");
	path = write_file("long.key", 33, 0600);
	expect_refused(path, "33 bytes");
	path = write_file("empty.key", 0, 0600);
	expect_refused(path, "0 bytes");
	/* A refused key file is left alone, never replaced. */
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_size, 0);
}

static void test_refuse_open_mode(void)
{
	expect_refused(write_file("public.key", 32, 0644), "group or others");
	expect_refused(write_file("group.key", 32, 0640), "group or others");
	expect_refused(write_file("gw.key", 32, 0620), "group or others");
}

static void test_accept_0400(void)
{
	const char *path = write_file("ro.key", 32, 0400);
	char *err = NULL;
	struct seal *seal = seal_open(path, &err);

	CU_ASSERT_PTR_NOT_NULL(seal);
	CU_ASSERT_PTR_NULL(err);
	free(err);
	seal_free(seal);
}

static void test_refuse_missing_dir(void)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/no/such/dir/seal.key", dir);
	expect_refused(path, "cannot create");
}

static void test_symlinks(void)
{
	char link[320], target[320];
	char *err = NULL;
	struct seal *seal;
	struct stat sb;

	/* A link to a good key file is followed (admins keep keys elsewhere)... */
	snprintf(link, sizeof(link), "%s/linked.key", dir);
	unlink(link);
	CU_ASSERT_EQUAL_FATAL(symlink(key_path, link), 0);
	seal = seal_open(link, &err);
	CU_ASSERT_PTR_NOT_NULL(seal);
	seal_free(seal);
	free(err);
	err = NULL;

	/* ...but a dangling link is never followed to create a key where it points. */
	snprintf(link, sizeof(link), "%s/dangling.key", dir);
	snprintf(target, sizeof(target), "%s/elsewhere.key", dir);
	unlink(link);
	unlink(target);
	CU_ASSERT_EQUAL_FATAL(symlink(target, link), 0);
	expect_refused(link, "cannot create");
	CU_ASSERT_NOT_EQUAL(stat(target, &sb), 0);
}

static void test_refuse_directory(void)
{
	expect_refused(dir, "not a regular file");
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"key file created 0600 with 32 bytes", test_key_file_created},
		{"round trip", test_round_trip},
		{"fresh nonce per seal", test_nonce_is_fresh},
		{"empty plaintext", test_empty_plaintext},
		{"tamper any bit or truncate fails", test_tamper_any_byte},
		{"unknown version fails", test_unknown_version},
		{"wrong aad fails", test_wrong_aad},
		{"another key fails", test_other_key},
		{"refuse key file of wrong size", test_refuse_wrong_size},
		{"refuse key file open to group/others", test_refuse_open_mode},
		{"accept key file 0400", test_accept_0400},
		{"refuse key file in missing dir", test_refuse_missing_dir},
		{"symlinks: followed to a key, never to create one", test_symlinks},
		{"refuse a directory as key file", test_refuse_directory},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("seal", suite_init, suite_clean, tests);
}
