/*
 * Sealing of secrets at rest (provider credentials): AES-256-GCM with a
 * 256-bit key kept in a file that is created 0600 on first use.  A sealed
 * blob is self-describing: version byte, 12-byte random nonce, ciphertext,
 * 16-byte tag.  The associated data binds a blob to the record it belongs to
 * (the application's ARN), so a blob copied to another record does not open.
 */
#ifndef HERALD_COMMON_SEAL_H
#define HERALD_COMMON_SEAL_H

#include <stddef.h>

struct seal;

/*
 * Load the key from path, creating it (0600, O_EXCL, fsync'd) when it does
 * not exist.  A key file that is not exactly 32 bytes, or is readable by
 * group or others, is refused.  NULL with *err (malloc'd) on failure.
 */
struct seal *seal_open(const char *path, char **err);
void seal_free(struct seal *seal);

/* Encrypt; *out is malloc'd (caller frees).  0 or -1. */
int seal_encrypt(struct seal *seal, const void *plain, size_t len, const char *aad,
		 unsigned char **out, size_t *out_len);

/*
 * Decrypt; *out is malloc'd, NUL-terminated for convenience (not counted in
 * *out_len), and should be wiped by the caller (seal_wipe) before free.
 * -1 if the blob was tampered with, sealed under another key or another aad.
 */
int seal_decrypt(struct seal *seal, const unsigned char *blob, size_t len, const char *aad,
		 unsigned char **out, size_t *out_len);

/* Zero and free a buffer that held a secret. */
void seal_wipe(void *p, size_t len);

#endif
