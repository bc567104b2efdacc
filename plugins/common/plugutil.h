/*
 * Small helpers the bundled drivers share, compiled into each module (a
 * driver links nothing of the broker): the app's attributes and options by
 * name, response headers, Retry-After.  Pure functions, no state.
 */
#ifndef HERALD_PLUGINS_PLUGUTIL_H
#define HERALD_PLUGINS_PLUGUTIL_H

#include <stdint.h>

#include <herald/driver.h>

/* The value of the app attribute name (borrowed from cfg), or NULL. */
const char *plug_attr(const struct herald_app_config *cfg, const char *name);
/* The value of the driver option name (herald.conf drivers.NAME), or NULL (also for a 1.0 table). */
const char *plug_option(const struct herald_app_config *cfg, const char *name);
/* The value of the response header name (case-insensitive; borrowed from res), or NULL. */
const char *plug_header(const struct herald_http_response *res, const char *name);
/*
 * The response's Retry-After in milliseconds: delta-seconds, or an HTTP-date
 * (RFC 9110) counted from now (Unix seconds); -1 when absent or unreadable.
 */
int64_t plug_retry_after_ms(const struct herald_http_response *res, int64_t now);

#endif
