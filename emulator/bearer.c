/* Issued access tokens and response helpers for the HTTP/1.1 providers; see bearer.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "common/util.h"
#include "emulator/bearer.h"
#include "emulator/jwt.h"

struct bearer_store {
	json_t *tokens; /* token -> expiry (monotonic ms) */
};

struct bearer_store *bearer_store_new(void)
{
	struct bearer_store *bs = calloc(1, sizeof(*bs));

	if (bs && !(bs->tokens = json_object())) {
		free(bs);
		return NULL;
	}
	return bs;
}

void bearer_store_free(struct bearer_store *bs)
{
	if (!bs)
		return;
	json_decref(bs->tokens);
	free(bs);
}

static void prune(struct bearer_store *bs)
{
	int64_t now = util_mono_ms();
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe (bs->tokens, tmp, key, v)
		if (json_integer_value(v) <= now)
			json_object_del(bs->tokens, key);
	if (json_object_size(bs->tokens) >= BEARER_MAX_TOKENS)
		json_object_clear(bs->tokens); /* still full: holders simply ask again */
}

int bearer_issue(struct bearer_store *bs, const char *prefix, int lifetime_s, char *out,
		 size_t outlen)
{
	unsigned char rnd[32];
	char *b64;
	int n;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || !(b64 = jwt_b64url_encode(rnd, sizeof(rnd))))
		return -1;
	n = snprintf(out, outlen, "%s%s", prefix, b64);
	free(b64);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	prune(bs);
	return json_object_set_new(bs->tokens, out,
				   json_integer(util_mono_ms() + lifetime_s * 1000LL));
}

int bearer_check(const struct bearer_store *bs, const char *authorization)
{
	json_t *exp;

	if (!authorization || strncasecmp(authorization, "bearer ", 7) != 0)
		return 0;
	exp = json_object_get(bs->tokens, authorization + 7);
	return exp && json_integer_value(exp) > util_mono_ms();
}

void bearer_revoke_all(struct bearer_store *bs)
{
	json_object_clear(bs->tokens);
}

void bearer_respond_json(struct h2_req *req, int status, const json_t *obj,
			 const struct h2_out_header *extra, size_t n_extra, unsigned delay_ms)
{
	struct h2_out_header hdrs[8] = {{"content-type", "application/json"}};
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	size_t n = 1;

	for (size_t i = 0; i < n_extra && n < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		hdrs[n++] = extra[i];
	h2_respond(req, status, hdrs, n, text ? text : "{}", text ? strlen(text) : 2, delay_ms);
	free(text);
}

void bearer_random_hex(char *out, size_t nbytes)
{
	unsigned char b[32];

	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	if (RAND_bytes(b, (int)nbytes) != 1)
		memset(b, 0, sizeof(b));
	for (size_t i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * nbytes] = '\0';
}
