/*
 * The 1.1 host services; see hostsvc.h.
 *
 * An HTTP pool is a transport (HTTP/1.1 or HTTP/2, the same three calls
 * behind struct hostsvc_transport) and the app its completions are for.
 * Each request carries a small struct hostsvc_call from http_request() to
 * its completion, which passes the app to the driver's callback.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/hostsvc.h"
#include "broker/http1.h"
#include "broker/http2.h"
#include "broker/jws.h"
#include "broker/oauth.h"
#include "broker/plugin.h"
#include "common/log.h"

typedef void (*hostsvc_done_fn)(void *arg, const struct herald_http_response *res);

/* One HTTP implementation, as both http1.h and http2.h shape it. */
struct hostsvc_transport {
	void *(*pool_new)(struct event_base *base, const struct herald_http_pool_config *cfg,
			  const char *default_ca, const char *log_prefix, char *err,
			  size_t err_size);
	int (*request)(void *pool, const struct herald_http_request *req, hostsvc_done_fn done,
		       void *arg);
	void (*pool_free)(void *pool);
};

struct herald_http_pool {
	struct herald_app *app;
	const struct hostsvc_transport *t;
	void *impl;
	struct herald_http_pool *prev, *next; /* in hostsvc_pools */
	bool orphaned;			      /* freed by hostsvc_app_release(): answer nobody */
};

/*
 * Every pool a driver holds, so that those a driver forgot to free in
 * free_instance() can be closed without calling into freed memory.  Loop
 * thread only, like every host service.
 */
static struct herald_http_pool *hostsvc_pools;

struct hostsvc_call {
	struct herald_http_pool *pool;
	herald_http_done_fn done;
	void *arg;
};

static void *hostsvc_h1_new(struct event_base *base, const struct herald_http_pool_config *cfg,
			    const char *default_ca, const char *log_prefix, char *err,
			    size_t err_size)
{
	return http1_pool_new(base, cfg, default_ca, log_prefix, err, err_size);
}

static int hostsvc_h1_request(void *pool, const struct herald_http_request *req,
			      hostsvc_done_fn done, void *arg)
{
	return http1_request(pool, req, done, arg);
}

static void hostsvc_h1_free(void *pool)
{
	http1_pool_free(pool);
}

static const struct hostsvc_transport hostsvc_http1 = {hostsvc_h1_new, hostsvc_h1_request,
						       hostsvc_h1_free};

static void *hostsvc_h2_new(struct event_base *base, const struct herald_http_pool_config *cfg,
			    const char *default_ca, const char *log_prefix, char *err,
			    size_t err_size)
{
	return http2_pool_new(base, cfg, default_ca, log_prefix, err, err_size);
}

static int hostsvc_h2_request(void *pool, const struct herald_http_request *req,
			      hostsvc_done_fn done, void *arg)
{
	return http2_request(pool, req, done, arg);
}

static void hostsvc_h2_free(void *pool)
{
	http2_pool_free(pool);
}

static const struct hostsvc_transport hostsvc_http2 = {hostsvc_h2_new, hostsvc_h2_request,
						       hostsvc_h2_free};

/* "[driver/app]" for app's log lines. */
static void hostsvc_prefix(const struct herald_app *app, char *out, size_t out_size)
{
	snprintf(out, out_size, "[%s/%s]", plugin_app_driver_name(app), plugin_app_name(app));
}

struct herald_http_pool *hostsvc_http_pool_new(struct herald_app *app,
					       const struct herald_http_pool_config *cfg, char *err,
					       size_t err_size)
{
	const struct hostsvc_transport *t;
	struct herald_http_pool *pool;
	char prefix[128];

	if (!app || !cfg || cfg->size < offsetof(struct herald_http_pool_config, max_connections)) {
		snprintf(err, err_size, "http_pool_new: no app or no configuration");
		return NULL;
	}
	if (cfg->version == HERALD_HTTP_1_1)
		t = &hostsvc_http1;
	else if (cfg->version == HERALD_HTTP_2)
		t = &hostsvc_http2;
	else {
		snprintf(err, err_size,
			 "unknown HTTP version %d (want HERALD_HTTP_1_1 or HERALD_HTTP_2)",
			 cfg->version);
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	hostsvc_prefix(app, prefix, sizeof(prefix));
	pool->impl = t->pool_new(plugin_app_base(app), cfg, plugin_app_ca_file(app), prefix, err,
				 err_size);
	if (!pool->impl) {
		free(pool);
		return NULL;
	}
	pool->app = app;
	pool->t = t;
	pool->next = hostsvc_pools;
	if (pool->next)
		pool->next->prev = pool;
	hostsvc_pools = pool;
	return pool;
}

static void hostsvc_http_done(void *arg, const struct herald_http_response *res)
{
	struct hostsvc_call *call = arg;

	if (!call->pool->orphaned)
		call->done(call->pool->app, call->arg, res);
	free(call);
}

int hostsvc_http_request(struct herald_http_pool *pool, const struct herald_http_request *req,
			 herald_http_done_fn done, void *arg)
{
	struct hostsvc_call *call;
	int rc;

	if (!pool || !req || !done)
		return HERALD_EINVAL;
	call = malloc(sizeof(*call));
	if (!call)
		return HERALD_ENOMEM;
	*call = (struct hostsvc_call){pool, done, arg};
	rc = pool->t->request(pool->impl, req, hostsvc_http_done, call);
	if (rc < 0)
		free(call);
	return rc;
}

void hostsvc_http_pool_free(struct herald_http_pool *pool)
{
	if (!pool)
		return;
	if (pool->prev)
		pool->prev->next = pool->next;
	else
		hostsvc_pools = pool->next;
	if (pool->next)
		pool->next->prev = pool->prev;
	pool->t->pool_free(pool->impl);
	free(pool);
}

void hostsvc_app_release(struct herald_app *app)
{
	unsigned int n = 0;
	struct herald_http_pool *p, *next;

	for (p = hostsvc_pools; p; p = next) {
		next = p->next;
		if (p->app == app) {
			p->orphaned = true;
			hostsvc_http_pool_free(p);
			n++;
		}
	}
	n += oauth_release_app(plugin_app_oauth(app), app);
	if (n)
		log_warning("[%s/%s] the driver left %u HTTP pool(s) or OAuth2 handle(s) open "
			    "after free_instance(); closed them",
			    plugin_app_driver_name(app), plugin_app_name(app), n);
}

struct herald_key *hostsvc_key_load(struct herald_app *app, const void *pem, size_t pem_len,
				    char *err, size_t err_size)
{
	(void)app;
	return jws_key_load(pem, pem_len, err, err_size);
}

void hostsvc_key_free(struct herald_key *key)
{
	jws_key_free(key);
}

int hostsvc_jwt_sign(const struct herald_key *key, const char *header_json, const char *claims_json,
		     char *out, size_t out_size)
{
	return jws_sign(key, header_json, claims_json, out, out_size);
}

struct herald_oauth *hostsvc_oauth_new(struct herald_app *app,
				       const struct herald_oauth_config *cfg, char *err,
				       size_t err_size)
{
	char prefix[128];

	if (!app) {
		snprintf(err, err_size, "oauth_new: no app");
		return NULL;
	}
	hostsvc_prefix(app, prefix, sizeof(prefix));
	return oauth_new(plugin_app_oauth(app), app, cfg, plugin_app_ca_file(app), prefix, err,
			 err_size);
}

int hostsvc_oauth_token(struct herald_oauth *oauth, herald_token_fn done, void *arg)
{
	return oauth_token(oauth, done, arg);
}

void hostsvc_oauth_invalidate(struct herald_oauth *oauth, const char *access_token)
{
	oauth_invalidate(oauth, access_token);
}

void hostsvc_oauth_free(struct herald_oauth *oauth)
{
	oauth_free(oauth);
}
