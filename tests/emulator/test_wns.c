/*
 * Unit tests of emulator/wns.c: the token endpoints' checks (login.live.com
 * and Microsoft Entra) and every header and payload rule of a notification.
 */
#include "config.h"

#include <string.h>

#include "emulator/wns.h"
#include "tests/emulator/keys.h"

#define SID	    "ms-app://s-1-15-2-1-2-3"
#define TENANT	    "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define ENTRA_ID    "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
#define ENTRA_SCOPE "https://wns.windows.com/.default"

static struct emu_config cfg;

static int suite_init(void)
{
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.wns_sid, SID);
	strcpy(cfg.wns_secret, "s3cret");
	strcpy(cfg.wns_entra_tenant, TENANT);
	strcpy(cfg.wns_entra_client_id, ENTRA_ID);
	strcpy(cfg.wns_entra_secret, "entra-s3cret");
	return 0;
}

static int suite_clean(void)
{
	return 0;
}

static void token(const char *grant, const char *scope, const char *id, const char *secret,
		  const char *error)
{
	struct wns_oauth_error e = {0};
	int rc = wns_check_token(&cfg, grant, scope, id, secret, &e);

	if (!error) {
		CU_ASSERT_EQUAL(rc, 0);
		return;
	}
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(e.http, 400); /* WNS answers 400 for every authentication failure */
	CU_ASSERT_STRING_EQUAL(e.error, error);
}

static void test_token(void)
{
	token("client_credentials", "notify.windows.com", SID, "s3cret", NULL);
	token("client_credentials", "s.notify.live.net", SID, "s3cret", NULL);
	token("client_credentials", "notify.windows.com", SID, "S3cret", "invalid_client");
	token("client_credentials", "notify.windows.com", "ms-app://s-1-15-2-9", "s3cret",
	      "invalid_client");
	token("client_credentials", "notify.windows.com", NULL, "s3cret", "invalid_client");
	token("client_credentials", "wns.windows.com", SID, "s3cret", "invalid_scope");
	token("password", "notify.windows.com", SID, "s3cret", "unsupported_grant_type");
	token(NULL, "notify.windows.com", SID, "s3cret", "unsupported_grant_type");
}

#define ENTRA_PATH "/" TENANT "/oauth2/v2.0/token"

static void entra_at(const char *path, const char *grant, const char *scope, const char *id,
		     const char *secret, int http, const char *error)
{
	struct wns_oauth_error e = {0};
	int rc = wns_check_entra_token(&cfg, path, grant, scope, id, secret, &e);

	if (!error) {
		CU_ASSERT_EQUAL(rc, 0);
		return;
	}
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(e.http, http);
	CU_ASSERT_STRING_EQUAL(e.error, error);
}

static void entra(const char *grant, const char *scope, const char *id, const char *secret,
		  int http, const char *error)
{
	entra_at(ENTRA_PATH, grant, scope, id, secret, http, error);
}

static void test_entra_token(void)
{
	entra("client_credentials", ENTRA_SCOPE, ENTRA_ID, "entra-s3cret", 0, NULL);
	entra("client_credentials", ENTRA_SCOPE, ENTRA_ID, "wrong", 401, "invalid_client");
	entra("client_credentials", ENTRA_SCOPE, NULL, "entra-s3cret", 401, "invalid_client");
	/* The Entra app is its own identity: the package SID and its secret are not it. */
	entra("client_credentials", ENTRA_SCOPE, SID, "s3cret", 401, "invalid_client");
	entra("client_credentials", ENTRA_SCOPE, ENTRA_ID, "s3cret", 401, "invalid_client");
	/* The tenant in the URL is the emulator's, in any case, and nobody else's. */
	entra_at("/72F988BF-86F1-41AF-91AB-2D7CD011DB47/oauth2/v2.0/token", "client_credentials",
		 ENTRA_SCOPE, ENTRA_ID, "entra-s3cret", 0, NULL);
	entra_at("/00000000-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token", "client_credentials",
		 ENTRA_SCOPE, ENTRA_ID, "entra-s3cret", 400, "invalid_request");
	entra_at("/72f988bf-86f1-41af-91ab-2d7cd011db4/oauth2/v2.0/token", "client_credentials",
		 ENTRA_SCOPE, ENTRA_ID, "entra-s3cret", 400, "invalid_request");
	entra_at("/contoso.onmicrosoft.com/oauth2/v2.0/token", "client_credentials", ENTRA_SCOPE,
		 ENTRA_ID, "entra-s3cret", 400, "invalid_request");
	/* The classic scopes are not Entra's. */
	entra("client_credentials", "notify.windows.com", ENTRA_ID, "entra-s3cret", 400,
	      "invalid_scope");
	entra("client_credentials", NULL, ENTRA_ID, "entra-s3cret", 400, "invalid_scope");
	entra("authorization_code", ENTRA_SCOPE, ENTRA_ID, "entra-s3cret", 400,
	      "unsupported_grant_type");
	/* A directory from an older init has no Entra identity: nothing is accepted. */
	cfg.wns_entra_tenant[0] = '\0';
	entra("client_credentials", ENTRA_SCOPE, ENTRA_ID, "entra-s3cret", 400, "invalid_request");
	strcpy(cfg.wns_entra_tenant, TENANT);
	/* And Entra's scope is not the classic endpoint's. */
	token("client_credentials", "https://wns.windows.com/.default", SID, "s3cret",
	      "invalid_scope");
}

static void test_entra_path(void)
{
	CU_ASSERT_TRUE(wns_entra_path("/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"));
	CU_ASSERT_TRUE(wns_entra_path("/contoso.onmicrosoft.com/oauth2/v2.0/token"));
	CU_ASSERT_FALSE(wns_entra_path("//oauth2/v2.0/token"));
	CU_ASSERT_FALSE(wns_entra_path("/t/oauth2/token")); /* the v1 endpoint */
	CU_ASSERT_FALSE(wns_entra_path("/t/oauth2/v2.0/token?x=1"));
	CU_ASSERT_FALSE(wns_entra_path("/a/b/oauth2/v2.0/token"));
	CU_ASSERT_FALSE(wns_entra_path("/t%2F/oauth2/v2.0/token"));
	CU_ASSERT_FALSE(wns_entra_path("/accesstoken.srf"));
}

#define TOAST "<toast><visual><binding template=\"ToastGeneric\"/></visual></toast>"

static struct wns_request base_req(const char *type, const char *ctype, const char *body)
{
	return (struct wns_request){
		.type = type, .content_type = ctype, .body = body, .body_len = strlen(body)};
}

static void verdict(struct wns_request r, int want)
{
	const char *why = NULL;

	CU_ASSERT_EQUAL(wns_check_notification(&r, &why), want);
	if (want)
		CU_ASSERT_PTR_NOT_NULL(why);
}

static void test_notification(void)
{
	struct wns_request r;
	char big[WNS_MAX_PAYLOAD + 2];

	verdict(base_req("wns/toast", "text/xml", TOAST), 0);
	verdict(base_req("wns/toast", "text/xml; charset=utf-8",
			 "\xef\xbb\xbf<?xml version=\"1.0\"?>\n" TOAST),
		0);
	verdict(base_req("wns/tile", "text/xml", "<tile><visual/></tile>"), 0);
	verdict(base_req("wns/badge", "text/xml", "<badge value=\"7\"/>"), 0);
	verdict(base_req("wns/raw", "application/octet-stream", "\x01\x02 anything"), 0);
	/* Type and content type. */
	verdict(base_req(NULL, "text/xml", TOAST), 400);
	verdict(base_req("wns/Toast", "text/xml", TOAST), 400);
	verdict(base_req("wns/toast", NULL, TOAST), 400);
	verdict(base_req("wns/toast", "application/octet-stream", TOAST), 400);
	verdict(base_req("wns/raw", "text/xml", "x"), 400);
	verdict(base_req("wns/toast", "text/xmlx", TOAST), 400);
	/* The payload's root element is the type's. */
	verdict(base_req("wns/tile", "text/xml", TOAST), 400);
	verdict(base_req("wns/badge", "text/xml", "<badges/>"), 400);
	verdict(base_req("wns/toast", "text/xml", ""), 400);
	/* Optional headers. */
	r = base_req("wns/tile", "text/xml", "<tile/>");
	r.cache_policy = "no-cache";
	r.tag = "abcdefABCDEF1234";
	r.group = "g1";
	r.ttl = "0";
	r.request_for_status = "TRUE";
	r.suppress_popup = "false";
	verdict(r, 0);
	r.cache_policy = "always";
	verdict(r, 400);
	r.cache_policy = NULL;
	r.tag = "abcdefABCDEF12345"; /* 17 */
	verdict(r, 400);
	r.tag = "a-b";
	verdict(r, 400);
	r.tag = NULL;
	r.group = "";
	verdict(r, 400);
	r.group = NULL;
	r.ttl = "-1";
	verdict(r, 400);
	r.ttl = "+5";
	verdict(r, 400);
	r.ttl = "60s";
	verdict(r, 400);
	r.ttl = NULL;
	r.request_for_status = "yes";
	verdict(r, 400);
	r.request_for_status = NULL;
	r.match = "type:wns/toast;all";
	verdict(r, 400); /* DELETE only */
	r = base_req("wns/toast", "text/xml", TOAST);
	r.cache_policy = "cache"; /* not for toasts */
	verdict(r, 400);
	/* Size: 5000 bytes pass, 5001 are 413. */
	memset(big, 'x', sizeof(big));
	big[WNS_MAX_PAYLOAD + 1] = '\0';
	r = base_req("wns/raw", "application/octet-stream", big);
	verdict(r, 413);
	r.body_len = WNS_MAX_PAYLOAD;
	verdict(r, 0);
}

/* Windows App SDK apps (Entra tokens) get toast and raw notifications only. */
static void test_entra_types(void)
{
	struct wns_request r = base_req("wns/toast", "text/xml", TOAST);

	r.entra = 1;
	verdict(r, 0);
	r = base_req("wns/raw", "application/octet-stream", "bytes");
	r.entra = 1;
	verdict(r, 0);
	r = base_req("wns/tile", "text/xml", "<tile/>");
	verdict(r, 0);
	r.entra = 1;
	verdict(r, 400);
	r = base_req("wns/badge", "text/xml", "<badge value=\"1\"/>");
	verdict(r, 0);
	r.entra = 1;
	verdict(r, 400);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"token endpoint", test_token},
		{"notification rules", test_notification},
		{"Entra token endpoint", test_entra_token},
		{"Entra token path", test_entra_path},
		{"Entra apps: toast and raw only", test_entra_types},
		CU_TEST_INFO_NULL,
	};

	return keys_run_suite("wns", suite_init, suite_clean, tests);
}
