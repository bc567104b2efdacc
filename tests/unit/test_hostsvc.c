/*
 * broker/hostsvc.c with real apps of the plugin host (tests/drivers'
 * good.so): completions reach the driver's callback with its app, the host's
 * drivers.ca_file is the default CA of pools and token fetches, apps holding
 * one credential share the host's token cache, a pool freed with requests
 * pending answers them "cancelled" while the app is still valid, and bad
 * pool configurations are refused with a reason.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "broker/hostsvc.h"
#include "broker/oauth.h"
#include "broker/plugin.h"
#include "tests/unit/run.h"
#include "tests/unit/testsrv.h"

static struct event_base *base;
static struct plugin_host *host;
static struct testsrv *srv, *tls_srv;
static struct herald_app *app1, *app2;
static char tmp[256], emu_dir[512];
static int emu_rc = -1;
static int fetches;

static void handle(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);

	(void)arg;
	if (!strcmp(uri, "/token")) {
		fetches++;
		testsrv_reply(req, 200, "application/json",
			      "{\"access_token\":\"shared\",\"expires_in\":3600}");
	} else if (!strcmp(uri, "/hold")) {
		/* never answered */
	} else {
		testsrv_reply(req, 200, "text/plain", "hello");
	}
}

static int suite_init(void)
{
	const char *b = getenv("HERALD_BUILDDIR"), *t = getenv("TMPDIR");
	char cmd[1200], drv[400], copies[400], *err = NULL, aerr[256];
	char *dirs[1] = {drv};
	unsigned int refused = 0;
	struct plugin_gen *g;
	struct herald_app_config cfg = {
		.size = sizeof(cfg),
		.platform = "APNS",
		.name = "ios",
		.arn = "arn:aws:sns:us-east-1:000000000000:app/APNS/ios",
	};

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmp, sizeof(tmp), "%s/herald-hostsvc.XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(tmp))
		return 1;
	snprintf(drv, sizeof(drv), "%s/drivers", tmp);
	snprintf(copies, sizeof(copies), "%s/copies", tmp);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s/tests/drivers/.libs/good.so' '%s/'",
		 drv, b ? b : ".", drv);
	if (system(cmd) != 0)
		return 1;
	emu_rc = testsrv_emulator_init(emu_dir, sizeof(emu_dir));
	base = event_base_new();
	host = base ? plugin_host_new(base, copies, &err) : NULL;
	free(err);
	srv = base ? testsrv_new(base, NULL, handle, NULL) : NULL;
	if (!host || !srv || emu_rc != 0 || !(tls_srv = testsrv_new(base, emu_dir, handle, NULL)))
		return 1;
	/* drivers.ca_file: the emulator's CA, for everything a driver does not give one. */
	snprintf(cmd, sizeof(cmd), "%s/ca.pem", emu_dir);
	if (plugin_host_set_driver_conf(host, NULL, cmd) < 0)
		return 1;
	g = plugin_load_generation(host, dirs, 1, &refused);
	if (!g || refused)
		return 1;
	plugin_switch(host, g);
	app1 = plugin_gen_app_create(g, &cfg, aerr, sizeof(aerr));
	cfg.name = "ios2";
	cfg.arn = "arn:aws:sns:us-east-1:000000000000:app/APNS/ios2";
	app2 = plugin_gen_app_create(g, &cfg, aerr, sizeof(aerr));
	return app1 && app2 ? 0 : 1;
}

static int suite_clean(void)
{
	char cmd[400];

	plugin_host_free(host);
	testsrv_free(srv);
	testsrv_free(tls_srv);
	if (base)
		event_base_free(base);
	if (emu_rc == 0)
		testsrv_rm_rf(emu_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : 1;
}

struct got {
	int calls, status;
	struct herald_app *app;
	char text[256];
};

static void on_http(struct herald_app *app, void *arg, const struct herald_http_response *res)
{
	struct got *g = arg;

	g->calls++;
	g->app = app;
	g->status = res->status;
	snprintf(g->text, sizeof(g->text), "%s",
		 res->status ? (const char *)res->body : res->error);
	/* The app is valid here, even when its pool is being freed. */
	CU_ASSERT_STRING_EQUAL(plugin_app_name(app), app == app1 ? "ios" : "ios2");
}

static void on_token(struct herald_app *app, void *arg, const char *token, int status,
		     const char *error)
{
	struct got *g = arg;

	g->calls++;
	g->app = app;
	g->status = status;
	snprintf(g->text, sizeof(g->text), "%s", token ? token : error);
}

static int request(struct herald_http_pool *pool, struct testsrv *s, const char *path,
		   struct got *g)
{
	char url[128];
	struct herald_http_request req = {.size = sizeof(req), .method = "GET", .url = url};

	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", s == tls_srv ? "https" : "http",
		 testsrv_port(s), path);
	memset(g, 0, sizeof(*g));
	return hostsvc_http_request(pool, &req, on_http, g);
}

static void test_http(void)
{
	/* An older, smaller table: only the members up to max_connections. */
	struct herald_http_pool_config cfg = {
		.size = offsetof(struct herald_http_pool_config, max_connections) +
			sizeof(unsigned int),
		.version = HERALD_HTTP_1_1,
	};
	char err[256] = "";
	struct herald_http_pool *pool = hostsvc_http_pool_new(app2, &cfg, err, sizeof(err));
	struct got g;

	CU_ASSERT_FATAL(pool != NULL);
	/* HTTPS verified with drivers.ca_file, which the pool was not given. */
	CU_ASSERT_EQUAL(request(pool, tls_srv, "/hello", &g), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g.calls, 10000), 0);
	CU_ASSERT_EQUAL(g.status, 200);
	CU_ASSERT_STRING_EQUAL(g.text, "hello");
	CU_ASSERT_PTR_EQUAL(g.app, app2);
	hostsvc_http_pool_free(pool);

	cfg.version = 3;
	CU_ASSERT_PTR_NULL(hostsvc_http_pool_new(app1, &cfg, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown HTTP version 3"));
	cfg.size = 8;
	CU_ASSERT_PTR_NULL(hostsvc_http_pool_new(app1, &cfg, err, sizeof(err)));
}

static void test_cancel_on_free(void)
{
	struct herald_http_pool_config cfg = {.size = sizeof(cfg), .version = HERALD_HTTP_1_1};
	char err[256];
	struct herald_http_pool *pool = hostsvc_http_pool_new(app1, &cfg, err, sizeof(err));
	struct got g;

	CU_ASSERT_FATAL(pool != NULL);
	CU_ASSERT_EQUAL(request(pool, srv, "/hold", &g), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	hostsvc_http_pool_free(pool);
	CU_ASSERT_EQUAL(g.calls, 1);
	CU_ASSERT_PTR_EQUAL(g.app, app1);
	CU_ASSERT_STRING_EQUAL(g.text, "cancelled");
}

static void test_oauth_shared(void)
{
	char url[128], err[256] = "";
	struct herald_oauth_config cfg = {
		.size = sizeof(cfg),
		.grant = HERALD_OAUTH_CLIENT_CREDENTIALS,
		.token_url = url,
		.client_id = "id",
		.client_secret = "secret",
	};
	struct herald_oauth *o1, *o2;
	struct got g1, g2;

	/* Over HTTPS with drivers.ca_file: the token fetch uses the host's default too. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/token", testsrv_port(tls_srv));
	o1 = hostsvc_oauth_new(app1, &cfg, err, sizeof(err));
	o2 = hostsvc_oauth_new(app2, &cfg, err, sizeof(err));
	CU_ASSERT_FATAL(o1 && o2);
	CU_ASSERT_PTR_EQUAL(plugin_app_oauth(app1), plugin_app_oauth(app2));
	CU_ASSERT_EQUAL(oauth_cache_entries(plugin_app_oauth(app1)), 1);
	memset(&g1, 0, sizeof(g1));
	memset(&g2, 0, sizeof(g2));
	CU_ASSERT_EQUAL(hostsvc_oauth_token(o1, on_token, &g1), 0);
	CU_ASSERT_EQUAL(hostsvc_oauth_token(o2, on_token, &g2), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g2.calls, 10000), 0);
	CU_ASSERT_EQUAL(g1.calls, 1);
	CU_ASSERT_STRING_EQUAL(g1.text, "shared");
	CU_ASSERT_STRING_EQUAL(g2.text, "shared");
	CU_ASSERT_PTR_EQUAL(g1.app, app1);
	CU_ASSERT_PTR_EQUAL(g2.app, app2);
	CU_ASSERT_EQUAL(fetches, 1);
	hostsvc_oauth_invalidate(o1, "shared");
	hostsvc_oauth_free(o1);
	hostsvc_oauth_free(o2);
	CU_ASSERT_EQUAL(oauth_cache_entries(plugin_app_oauth(app1)), 0);
}

/* What a driver forgot to free in free_instance() is closed without calling it back. */
static void test_release_forgotten(void)
{
	struct herald_http_pool_config cfg = {.size = sizeof(cfg), .version = HERALD_HTTP_1_1};
	char url[128], err[256] = "";
	struct herald_oauth_config ocfg = {
		.size = sizeof(ocfg),
		.grant = HERALD_OAUTH_CLIENT_CREDENTIALS,
		.token_url = url,
		.client_id = "forgotten",
		.client_secret = "secret",
	};
	struct herald_http_pool *pool = hostsvc_http_pool_new(app1, &cfg, err, sizeof(err));
	struct herald_oauth *o;
	struct got g, t;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hold", testsrv_port(srv));
	o = hostsvc_oauth_new(app1, &ocfg, err, sizeof(err));
	CU_ASSERT_FATAL(pool && o);
	CU_ASSERT_EQUAL(request(pool, srv, "/hold", &g), 0);
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL(hostsvc_oauth_token(o, on_token, &t), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL(oauth_cache_entries(plugin_app_oauth(app1)), 1);
	hostsvc_app_release(app1);
	CU_ASSERT_EQUAL(g.calls, 0);
	CU_ASSERT_EQUAL(t.calls, 0);
	CU_ASSERT_EQUAL(oauth_cache_entries(plugin_app_oauth(app1)), 0);
	/* A second release finds nothing (and logs nothing). */
	hostsvc_app_release(app1);
}

static void test_keys(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIO *b = BIO_new(BIO_s_mem());
	char err[256] = "", out[512], *pem;
	struct herald_key *key;
	long n;

	CU_ASSERT_FATAL(k && b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1);
	n = BIO_get_mem_data(b, &pem);
	key = hostsvc_key_load(app1, pem, (size_t)n, err, sizeof(err));
	CU_ASSERT_FATAL(key != NULL);
	CU_ASSERT(hostsvc_jwt_sign(key, "{\"alg\":\"ES256\"}", "{\"iss\":\"T\"}", out,
				   sizeof(out)) > 0);
	CU_ASSERT_EQUAL(hostsvc_jwt_sign(key, "{\"alg\":\"RS256\"}", "{}", out, sizeof(out)),
			HERALD_EINVAL);
	hostsvc_key_free(key);
	CU_ASSERT_PTR_NULL(hostsvc_key_load(app1, "junk", 4, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a PEM private key"));
	BIO_free(b);
	EVP_PKEY_free(k);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"HTTP/1.1 pool: the app passed back, drivers.ca_file default", test_http},
		{"pool freed with a request pending: cancelled, app valid", test_cancel_on_free},
		{"OAuth2: apps with one credential share one fetch", test_oauth_shared},
		{"key_load and jwt_sign", test_keys},
		{"pools and OAuth2 handles a driver forgot: closed silently",
		 test_release_forgotten},
		CU_TEST_INFO_NULL,
	};

	if (!testsrv_emulator()) {
		fprintf(stderr, "SKIP: herald-emulator is not built (its CA is needed)\n");
		return 77;
	}
	return fx_run_suite("hostsvc", suite_init, suite_clean, tests);
}
