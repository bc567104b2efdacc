/*
 * plugins/common/drvutil: small pure helpers the HTTP/1.1 drivers (ADM, WNS,
 * MPNS, Baidu) share beyond plugutil.h's: URLs and the host allow-list of
 * channel URIs, credential text, the TTL left, secret copies.  No state: any thread may
 * call them.  Linked into each driver module (hidden, never exported).
 */
#ifndef HERALD_PLUGINS_DRVUTIL_H
#define HERALD_PLUGINS_DRVUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <herald/driver.h>

/*
 * Is url an absolute URL of scheme ("https" or "http") with a host, no
 * user-info, no control characters or spaces, and at most max_len bytes?
 * The host (without port) is written NUL-terminated to host (host_size
 * bytes; too long a host fails).  0 or -1.
 */
int drv_url_host(const char *url, size_t len, const char *scheme, size_t max_len, char *host,
		 size_t host_size);

/* Is url an http or https URL with a host, of at most max_len bytes? */
int drv_http_url_ok(const char *url, size_t max_len);

/* Is s (len bytes, as a credential arrives) 1 to max bytes of text with no NUL inside? */
int drv_text_ok(const char *s, size_t len, size_t max);

/*
 * Is host one of the comma-separated suffixes of allowed ("notify.windows.com,
 * 127.0.0.1"): equal to one, or ending in "." followed by one?  Case-insensitive.
 */
int drv_host_allowed(const char *host, const char *allowed);

/* The wall clock, milliseconds since the Unix epoch. */
int64_t drv_now_ms(void);

/*
 * The TTL to hand the provider, seconds: n->ttl_s bounded by what is left
 * until n->expiration_ms (a message that waited keeps its deadline, as SNS
 * passes the remaining TTL); -1 when n->ttl_s is -1: no TTL applies, the
 * driver sends none and the provider's default holds (expiration_ms is then
 * only the broker's own expiry, for drv_expired()).
 */
int64_t drv_ttl_s(const struct herald_notification *n, int64_t now_ms);

/* Has n's expiration_ms passed (a message to drop rather than send)? */
int drv_expired(const struct herald_notification *n, int64_t now_ms);

/* A NUL-terminated copy of len bytes of s (which may be NULL when len is 0); NULL on ENOMEM. */
char *drv_strndup(const char *s, size_t len);

/* Wipe and free a copy of a secret (NULL is fine). */
void drv_free_secret(char *s);

#endif
