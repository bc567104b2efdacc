/*
 * The driver ABI 1.1 host services (struct herald_host: http_*, key_*,
 * jwt_sign, oauth_*) as the plugin host hands them to drivers: each takes
 * the driver's struct herald_app and finds through broker/plugin.h the loop,
 * the default CA file (drivers.ca_file) and the "[driver/app]" log prefix,
 * then calls the module doing the work: broker/http1.h (HTTP/1.1),
 * broker/http2.h (HTTP/2), broker/jws.h, broker/oauth.h.
 *
 * Completions reach the driver as herald_http_done_fn / herald_token_fn with
 * its app.  A pool or handle belongs to the app's instance: the driver frees
 * it before free_instance() returns, and pending requests are then answered
 * "cancelled" while the app is still valid.
 *
 * Threading: the event-loop thread only.  Ownership as in <herald/driver.h>.
 */
#ifndef HERALD_BROKER_HOSTSVC_H
#define HERALD_BROKER_HOSTSVC_H

#include <stddef.h>

#include <herald/driver.h>

struct herald_http_pool *hostsvc_http_pool_new(struct herald_app *app,
					       const struct herald_http_pool_config *cfg, char *err,
					       size_t err_size);
int hostsvc_http_request(struct herald_http_pool *pool, const struct herald_http_request *req,
			 herald_http_done_fn done, void *arg);
void hostsvc_http_pool_free(struct herald_http_pool *pool);

struct herald_key *hostsvc_key_load(struct herald_app *app, const void *pem, size_t pem_len,
				    char *err, size_t err_size);
void hostsvc_key_free(struct herald_key *key);
int hostsvc_jwt_sign(const struct herald_key *key, const char *header_json, const char *claims_json,
		     char *out, size_t out_size);

struct herald_oauth *hostsvc_oauth_new(struct herald_app *app,
				       const struct herald_oauth_config *cfg, char *err,
				       size_t err_size);
int hostsvc_oauth_token(struct herald_oauth *oauth, herald_token_fn done, void *arg);
void hostsvc_oauth_invalidate(struct herald_oauth *oauth, const char *access_token);
void hostsvc_oauth_free(struct herald_oauth *oauth);

/*
 * After app's free_instance(): close the pools and OAuth2 handles the driver
 * forgot, without calling it back (logged as a driver fault).
 */
void hostsvc_app_release(struct herald_app *app);

#endif
