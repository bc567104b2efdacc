/*
 * Shared pieces of the emulated HTTP/1.1 providers (ADM, WNS, Baidu, MPNS):
 * a store of issued OAuth access tokens with their expiry, and small
 * response helpers over h2_respond (which serves HTTP/1.1 and HTTP/2 alike).
 * Owned by the event loop; not thread-safe.
 */
#ifndef HERALD_EMULATOR_BEARER_H
#define HERALD_EMULATOR_BEARER_H

#include <stddef.h>

#include <jansson.h>

#include "emulator/h2.h"

#define BEARER_MAX_TOKENS 10000

struct bearer_store;

struct bearer_store *bearer_store_new(void);
void bearer_store_free(struct bearer_store *bs);
/*
 * Issue a random token "<prefix><base64url>" valid for lifetime_s seconds
 * into out (at least 96 bytes).  Returns 0, -1 on failure.
 */
int bearer_issue(struct bearer_store *bs, const char *prefix, int lifetime_s, char *out,
		 size_t outlen);
/* 1 if authorization is "Bearer <an unexpired token issued here>" (scheme case-insensitive). */
int bearer_check(const struct bearer_store *bs, const char *authorization);
void bearer_revoke_all(struct bearer_store *bs);

/* Answer with a JSON document (obj may be NULL: "{}"); extra headers may be NULL/0. */
void bearer_respond_json(struct h2_req *req, int status, const json_t *obj,
			 const struct h2_out_header *extra, size_t n_extra, unsigned delay_ms);

/* Random lower-case hex into out (2 * nbytes + 1 bytes, nbytes <= 32). */
void bearer_random_hex(char *out, size_t nbytes);

#endif
