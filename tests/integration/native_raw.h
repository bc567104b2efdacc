/*
 * Raw native-protocol frames on a Unix socket, for tests that must send what
 * libherald never would (malformed, oversize, half-sent frames) and read the
 * broker's answers without libherald's checks.  CUnit assertions inside.
 */
#ifndef HERALD_TESTS_NATIVE_RAW_H
#define HERALD_TESTS_NATIVE_RAW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Connect to path (fatal assertion on failure); receives time out after 20 s. */
int raw_connect(const char *path);
/* Send a header announcing declared bytes, then len bytes of payload. */
void raw_send(int fd, const void *payload, size_t len, uint32_t declared);
/* The next answer frame as JSON (new reference), or NULL on EOF, timeout or garbage. */
json_t *raw_recv(int fd);
/* The next answer must be an error with this id, code, status and exact message. */
void raw_expect_error(int fd, uint32_t id, const char *code, int status, const char *msg);

/* The same tests also talk through libherald: */
struct herald;
struct herald_error;
/* herald_connect(path), fatal assertion on failure. */
struct herald *lib_connect(const char *path);
/* herald_call returning the parsed result (new reference), or NULL with *e filled. */
json_t *lib_call(struct herald *h, const char *op, const char *args, struct herald_error *e);

#endif
