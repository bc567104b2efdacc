/*
 * Small helpers shared by broker, client and emulator: identifiers, base64
 * (OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock underneath), time.
 */
#ifndef HERALD_COMMON_UTIL_H
#define HERALD_COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define UTIL_UUID_LEN 36

/* Write a random (version 4) UUID, lowercase, NUL-terminated, into out[37]. */
void util_uuid4(char out[UTIL_UUID_LEN + 1]);

/* Standard base64 of len bytes; caller frees the NUL-terminated result.  NULL on OOM. */
char *util_base64_encode(const void *data, size_t len);

/*
 * Decode standard base64 (with padding).  Returns a malloc'd buffer the caller
 * frees and stores its length in *out_len; NULL if the input is not valid base64.
 */
unsigned char *util_base64_decode(const char *text, size_t text_len, size_t *out_len);

/* A malloc'd copy of len bytes with a NUL after them (data may hold NULs); NULL on OOM. */
char *util_memdup(const void *data, size_t len);

/* printf into a new string the caller frees; NULL on OOM. */
char *util_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For "char **err" out-parameters: *err = util_strdupf(fmt, ...) unless err is NULL. */
void util_set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t util_now_ms(void);

/* Monotonic milliseconds, for intervals. */
int64_t util_mono_ms(void);

/* Number of bytes in s that form valid UTF-8, or -1 if s is not valid UTF-8. */
int util_utf8_valid(const char *s, size_t len);

#endif
