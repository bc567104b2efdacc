/*
 * The ADM send body and its md5 checksum; see admmsg.h.  Pure functions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "plugins/adm/admmsg.h"

static int cmp_keys(const void *a, const void *b)
{
	/* strcmp orders by unsigned bytes: the UTF-8 byte order ADM's checksum uses. */
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int adm_md5(const json_t *data, char out[25])
{
	size_t n = json_object_size(data), i = 0;
	const char **keys = NULL, *key;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *md = NULL;
	json_t *v;
	int rc = -1;

	if (!json_is_object(data) || (n && !(keys = malloc(n * sizeof(*keys)))))
		goto out;
	json_object_foreach ((json_t *)data, key, v) {
		if (!json_is_string(v))
			goto out;
		keys[i++] = key;
	}
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_keys);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		v = json_object_get(data, keys[i]);
		if ((i && EVP_DigestUpdate(md, ",", 1) != 1) ||
		    EVP_DigestUpdate(md, keys[i], strlen(keys[i])) != 1 ||
		    EVP_DigestUpdate(md, ":", 1) != 1 ||
		    EVP_DigestUpdate(md, json_string_value(v), json_string_length(v)) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 16)
		goto out;
	EVP_EncodeBlock((unsigned char *)out, digest, 16);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(keys);
	return rc;
}

/* The payload as the ADM message object (new reference), or NULL with why. */
static json_t *message_of(const unsigned char *payload, size_t len, char *why, size_t why_size)
{
	json_t *root = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *text, *data;

	if (json_is_object(root) &&
	    (json_object_get(root, "data") || json_object_get(root, "notification")))
		return root;
	json_decref(root);
	/* Text (the "default" message): ADM delivers string maps only. */
	text = json_stringn((const char *)payload, len);
	if (!text) {
		snprintf(why, why_size, "the ADM message is not UTF-8 text");
		return NULL;
	}
	data = json_pack("{s:o}", "default", text);
	root = data ? json_pack("{s:o}", "data", data) : NULL;
	if (!root)
		snprintf(why, why_size, "out of memory");
	return root;
}

int adm_body(const unsigned char *payload, size_t len, int64_t ttl_s, char **body, size_t *body_len,
	     char md5[25], char *why, size_t why_size)
{
	json_t *msg = message_of(payload, len, why, why_size), *data;
	int rc = -1;

	if (!msg)
		return -1;
	data = json_object_get(msg, "data");
	if (!data) {
		/* A notification only: ADM checks it against the empty map. */
		json_t *empty = json_object();
		int bad = !empty || adm_md5(empty, md5) != 0;

		json_decref(empty);
		if (bad) {
			snprintf(why, why_size, "out of memory");
			goto out;
		}
	} else if (adm_md5(data, md5) != 0) {
		snprintf(why, why_size, "the ADM message's data must be an object of strings");
		goto out;
	} else if (json_object_set_new(msg, "md5", json_string(md5)) != 0) {
		snprintf(why, why_size, "out of memory");
		goto out;
	}
	if (ttl_s >= 0) {
		int64_t e = ttl_s < ADM_EXPIRES_MIN   ? ADM_EXPIRES_MIN
			    : ttl_s > ADM_EXPIRES_MAX ? ADM_EXPIRES_MAX
						      : ttl_s;

		if (json_object_set_new(msg, "expiresAfter", json_integer(e)) != 0) {
			snprintf(why, why_size, "out of memory");
			goto out;
		}
	}
	*body = json_dumps(msg, JSON_COMPACT);
	if (!*body) {
		snprintf(why, why_size, "out of memory");
		goto out;
	}
	*body_len = strlen(*body);
	rc = 0;
out:
	json_decref(msg);
	return rc;
}
