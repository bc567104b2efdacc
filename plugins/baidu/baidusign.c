/*
 * Baidu Cloud Push v3 signature and form body; see baidusign.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "plugins/baidu/baidusign.h"

size_t baidu_urlencode(char *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.') {
			out[o++] = (char)c;
		} else if (c == ' ') {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

static int cmp_params(const void *a, const void *b)
{
	return strcmp(((const struct herald_attr *)a)->name, ((const struct herald_attr *)b)->name);
}

/* A sorted copy of params (the array only), or NULL. */
static struct herald_attr *sorted(const struct herald_attr *params, size_t n)
{
	struct herald_attr *s = malloc((n ? n : 1) * sizeof(*s));

	if (!s)
		return NULL;
	if (n) {
		memcpy(s, params, n * sizeof(*s));
		qsort(s, n, sizeof(*s), cmp_params);
	}
	return s;
}

int baidu_sign(const char *method, const char *url, const struct herald_attr *params, size_t n,
	       const char *secret, char out[33])
{
	struct herald_attr *p = sorted(params, n);
	size_t len = strlen(method) + strlen(url) + strlen(secret), o;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char *base = NULL, *enc = NULL;
	int rc = -1;

	if (!p)
		return -1;
	for (size_t i = 0; i < n; i++)
		len += strlen(p[i].name) + 1 + strlen(p[i].value);
	base = malloc(len + 1);
	enc = malloc(3 * len + 1);
	if (!base || !enc)
		goto out;
	o = (size_t)sprintf(base, "%s%s", method, url);
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(base + o, "%s=%s", p[i].name, p[i].value);
	o += (size_t)sprintf(base + o, "%s", secret);
	o = baidu_urlencode(enc, base, o);
	if (EVP_Digest(enc, o, digest, &dlen, EVP_md5(), NULL) != 1 || dlen != 16)
		goto out;
	for (unsigned int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
	rc = 0;
out:
	if (base)
		explicit_bzero(base, len); /* it holds the secret */
	if (enc)
		explicit_bzero(enc, 3 * len);
	free(base);
	free(enc);
	free(p);
	return rc;
}

char *baidu_form(const struct herald_attr *params, size_t n, const char *sign, size_t *len)
{
	struct herald_attr *p = sorted(params, n);
	size_t size = 3 * strlen(sign) + sizeof("&sign="), o = 0;
	char *out;

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		size += 3 * (strlen(p[i].name) + strlen(p[i].value)) + 2;
	out = malloc(size);
	if (out) {
		for (size_t i = 0; i < n; i++) {
			o += baidu_urlencode(out + o, p[i].name, strlen(p[i].name));
			out[o++] = '=';
			o += baidu_urlencode(out + o, p[i].value, strlen(p[i].value));
			out[o++] = '&';
		}
		o += (size_t)sprintf(out + o, "sign=");
		o += baidu_urlencode(out + o, sign, strlen(sign));
		*len = o;
	}
	free(p);
	return out;
}
