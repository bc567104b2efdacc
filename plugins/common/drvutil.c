/*
 * Helpers shared by the HTTP/1.1 drivers; see drvutil.h.  Pure functions.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "plugins/common/drvutil.h"

int drv_url_host(const char *url, size_t len, const char *scheme, size_t max_len, char *host,
		 size_t host_size)
{
	size_t slen = strlen(scheme), n;
	const char *h, *end;

	if (len == 0 || len > max_len || strlen(url) != len)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
			return -1;
	if (strncasecmp(url, scheme, slen) != 0 || strncmp(url + slen, "://", 3) != 0)
		return -1;
	h = url + slen + 3;
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(end - h)))
		return -1; /* user-info: never send credentials to a disguised host */
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));

		if (!close)
			return -1;
		n = (size_t)(close + 1 - h);
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));

		n = (size_t)((colon ? colon : end) - h);
	}
	if (n == 0 || n >= host_size)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

int drv_http_url_ok(const char *url, size_t max_len)
{
	char host[256];
	size_t n = strlen(url);

	return drv_url_host(url, n, "https", max_len, host, sizeof(host)) == 0 ||
	       drv_url_host(url, n, "http", max_len, host, sizeof(host)) == 0;
}

int drv_text_ok(const char *s, size_t len, size_t max)
{
	return s && len > 0 && len <= max && strlen(s) == len;
}

int drv_host_allowed(const char *host, const char *allowed)
{
	size_t hlen = strlen(host);

	while (allowed && *allowed) {
		size_t n;

		while (*allowed == ',' || *allowed == ' ')
			allowed++;
		n = strcspn(allowed, ", ");
		if (n && hlen >= n && !strncasecmp(host + hlen - n, allowed, n) &&
		    (hlen == n || host[hlen - n - 1] == '.'))
			return 1;
		allowed += n;
	}
	return 0;
}

int64_t drv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t drv_ttl_s(const struct herald_notification *n, int64_t now_ms)
{
	int64_t left;

	if (n->ttl_s < 0 || n->expiration_ms < 0)
		return n->ttl_s;
	left = n->expiration_ms > now_ms ? (n->expiration_ms - now_ms) / 1000 : 0;
	return n->ttl_s < left ? n->ttl_s : left;
}

int drv_expired(const struct herald_notification *n, int64_t now_ms)
{
	return n->expiration_ms >= 0 && now_ms >= n->expiration_ms;
}

char *drv_strndup(const char *s, size_t len)
{
	char *out = malloc(len + 1);

	if (!out)
		return NULL;
	if (len)
		memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

void drv_free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
