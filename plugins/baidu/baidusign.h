/*
 * plugins/baidu/baidusign: Baidu Cloud Push v3's request signature and form
 * body (providers.md §6.3).  Pure functions: any thread.
 */
#ifndef HERALD_PLUGINS_BAIDUSIGN_H
#define HERALD_PLUGINS_BAIDUSIGN_H

#include <stddef.h>

#include <herald/driver.h>

/*
 * Append s (n bytes) to out encoded as Java's URLEncoder.encode(s, "UTF-8")
 * does, with '*' as %2A: A-Z a-z 0-9 - _ . kept, space as '+', every other
 * byte %XX in upper-case hex.  out needs 3n + 1 bytes; returns the encoded
 * length (out is NUL-terminated).
 */
size_t baidu_urlencode(char *out, const char *s, size_t n);

/*
 * sign = lower-case hex MD5 of urlencode(method url k1=v1k2=v2... secret), the
 * params (n of them, none named "sign") sorted by name in byte order, raw
 * values.  out gets 32 hex digits and a NUL.  0, or -1 (out of memory).
 */
int baidu_sign(const char *method, const char *url, const struct herald_attr *params, size_t n,
	       const char *secret, char out[33]);

/*
 * The form body: the params sorted by name, then sign, each name=value
 * URL-encoded as above and joined by '&'.  malloc'ed (the caller frees),
 * length in *len; NULL when out of memory.
 */
char *baidu_form(const struct herald_attr *params, size_t n, const char *sign, size_t *len);

#endif
