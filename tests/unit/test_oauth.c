/*
 * broker/oauth.c against a token endpoint served by the test (evhttp): the
 * client-credentials form field by field, the JWT-bearer assertion decoded
 * and verified, one fetch for many concurrent callers and for apps sharing a
 * credential, answers from within while fresh, refresh near expiry,
 * invalidation, failures passed on and backed off, cancellation on free; and
 * interoperation with herald-emulator's real token endpoints (FCM JWT
 * bearer, ADM client credentials) over HTTPS.
 *
 * If herald-emulator is not built, the other tests still run and the
 * program exits 77 (SKIP) so that the missing part is not counted as passed.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "broker/jws.h"
#include "broker/oauth.h"
#include "common/util.h"
#include "tests/unit/run.h"
#include "tests/unit/testsrv.h"

#define SECRET "s3cr&t=+ /x\xc3\xa9"
#define SCOPE  "https://www.googleapis.com/auth/firebase.messaging"
#define ISSUER "sa@demo.iam.gserviceaccount.com"

static struct event_base *base;
static struct oauth_cache *cache;
static struct testsrv *srv;
static EVP_PKEY *rsa;
static struct herald_key *key;
static char token_url[128];
static int emulator_missing;

/* The token endpoint's script and what it saw. */
static struct {
	int fetches;
	int fail;	 /* answer 400 invalid_client */
	int hold;	 /* keep the request unanswered in held */
	long expires_in; /* 0: omit expires_in */
	char form[4096]; /* the last request body */
	char ctype[128]; /* its Content-Type */
	struct evhttp_request *held;
} ep;

static void answer_ok(struct evhttp_request *req)
{
	char body[256];

	if (ep.expires_in)
		snprintf(body, sizeof(body),
			 "{\"access_token\":\"tok-%d\",\"expires_in\":%ld,\"token_type\":"
			 "\"Bearer\"}",
			 ep.fetches, ep.expires_in);
	else
		snprintf(body, sizeof(body), "{\"access_token\":\"tok-%d\"}", ep.fetches);
	testsrv_reply(req, 200, "application/json", body);
}

static void handle(struct evhttp_request *req, void *arg)
{
	char *body = testsrv_body(req);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");

	(void)arg;
	ep.fetches++;
	snprintf(ep.form, sizeof(ep.form), "%s", body ? body : "");
	snprintf(ep.ctype, sizeof(ep.ctype), "%s", ct ? ct : "");
	free(body);
	if (ep.hold)
		ep.held = req;
	else if (ep.fail)
		testsrv_reply(req, 400, "application/json",
			      "{\"error\":\"invalid_client\",\"error_description\":\"Client "
			      "authentication failed\"}");
	else
		answer_ok(req);
}

static int suite_init(void)
{
	char *pem;
	char err[256];
	BIO *b;
	long n;

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	cache = base ? oauth_cache_new(base) : NULL;
	srv = base ? testsrv_new(base, NULL, handle, NULL) : NULL;
	rsa = EVP_RSA_gen(2048);
	b = BIO_new(BIO_s_mem());
	if (!cache || !srv || !rsa || !b ||
	    PEM_write_bio_PrivateKey(b, rsa, NULL, NULL, 0, NULL, NULL) != 1)
		return 1;
	n = BIO_get_mem_data(b, &pem);
	key = jws_key_load(pem, (size_t)n, err, sizeof(err));
	BIO_free(b);
	snprintf(token_url, sizeof(token_url), "http://127.0.0.1:%d/token", testsrv_port(srv));
	return key ? 0 : 1;
}

static int suite_clean(void)
{
	unsigned int left = oauth_cache_entries(cache);

	oauth_cache_free(cache);
	testsrv_free(srv);
	jws_key_free(key);
	EVP_PKEY_free(rsa);
	event_base_free(base);
	return left ? 1 : 0; /* a handle leaked */
}

static void ep_reset(void)
{
	memset(&ep, 0, sizeof(ep));
	ep.expires_in = 3600;
}

/* --- callers --------------------------------------------------------------------------- */

static int app_marker; /* what the tests pass as the app */
#define APP ((struct herald_app *)&app_marker)

struct got {
	int calls, status, wrong_app;
	char token[256], error[256];
};

static void on_token(struct herald_app *app, void *arg, const char *token, int status,
		     const char *error)
{
	struct got *g = arg;

	g->calls++;
	g->wrong_app |= app != APP;
	g->status = status;
	snprintf(g->token, sizeof(g->token), "%s", token ? token : "");
	snprintf(g->error, sizeof(g->error), "%s", error ? error : "");
}

static struct herald_oauth *new_cc(const char *secret)
{
	struct herald_oauth_config cfg = {
		.size = sizeof(cfg),
		.grant = HERALD_OAUTH_CLIENT_CREDENTIALS,
		.token_url = token_url,
		.scope = "messaging:push",
		.client_id = "amzn1.application-oa2-client.0123",
		.client_secret = secret,
	};
	char err[256] = "";
	struct herald_oauth *h = oauth_new(cache, APP, &cfg, NULL, "[test/app]", err, sizeof(err));

	if (!h)
		fprintf(stderr, "oauth_new: %s\n", err);
	return h;
}

/* Ask h for a token and wait for it. */
static void fetch(struct herald_oauth *h, struct got *g)
{
	memset(g, 0, sizeof(*g));
	CU_ASSERT_EQUAL_FATAL(oauth_token(h, on_token, g), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g->calls, 5000), 0);
	CU_ASSERT_EQUAL(g->wrong_app, 0);
}

/* A form field of the last token request, decoded (borrowed until the next call). */
static const char *form_field(const char *name)
{
	static struct evkeyvalq q;
	static int parsed;

	if (parsed)
		evhttp_clear_headers(&q);
	TAILQ_INIT(&q);
	parsed = 1;
	if (evhttp_parse_query_str(ep.form, &q) != 0)
		return NULL;
	return evhttp_find_header(&q, name);
}

static void test_client_credentials(void)
{
	struct herald_oauth *h;
	struct got g;
	const char *s;

	ep_reset();
	h = new_cc(SECRET);
	CU_ASSERT_FATAL(h != NULL);
	fetch(h, &g);
	CU_ASSERT_EQUAL(g.status, 200);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-1");
	CU_ASSERT_STRING_EQUAL(g.error, "");
	CU_ASSERT_STRING_EQUAL(ep.ctype, "application/x-www-form-urlencoded");
	s = form_field("grant_type");
	CU_ASSERT(s && !strcmp(s, "client_credentials"));
	s = form_field("client_id");
	CU_ASSERT(s && !strcmp(s, "amzn1.application-oa2-client.0123"));
	s = form_field("client_secret");
	CU_ASSERT(s && !strcmp(s, SECRET));
	s = form_field("scope");
	CU_ASSERT(s && !strcmp(s, "messaging:push"));
	/* Percent-encoded as a form wants it: nothing of the secret's syntax leaks through. */
	CU_ASSERT_PTR_NOT_NULL(strstr(ep.form, "client_secret=s3cr%26t%3D%2B%20%2Fx%C3%A9"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ep.form, "scope=messaging%3Apush"));

	/* Fresh: answered from within, no second fetch. */
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(oauth_token(h, on_token, &g), 0);
	CU_ASSERT_EQUAL(g.calls, 1);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-1");
	CU_ASSERT_EQUAL(ep.fetches, 1);
	oauth_free(h);
	CU_ASSERT_EQUAL(oauth_cache_entries(cache), 0);
}

static void test_jwt_bearer(void)
{
	struct herald_oauth_config cfg = {
		.size = sizeof(cfg),
		.grant = HERALD_OAUTH_JWT_BEARER,
		.token_url = token_url,
		.scope = SCOPE,
		.key = key,
		.key_id = "kid-1",
		.issuer = ISSUER,
	};
	char err[256] = "", *input;
	struct herald_oauth *h;
	const char *a, *d1, *d2;
	unsigned char *hdr, *cl, *sig;
	size_t hl, cll, sl;
	json_t *jh, *jc;
	EVP_MD_CTX *md;
	long long now = util_now_ms() / 1000;
	struct got g;

	ep_reset();
	h = oauth_new(cache, APP, &cfg, NULL, "[test/app]", err, sizeof(err));
	CU_ASSERT_FATAL(h != NULL);
	fetch(h, &g);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-1");
	a = form_field("grant_type");
	CU_ASSERT(a && !strcmp(a, "urn:ietf:params:oauth:grant-type:jwt-bearer"));
	a = form_field("assertion");
	CU_ASSERT_FATAL(a != NULL);
	d1 = strchr(a, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	CU_ASSERT_FATAL(d1 && d2);
	hdr = testsrv_b64url_decode(a, (size_t)(d1 - a), &hl);
	cl = testsrv_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cll);
	sig = testsrv_b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
	CU_ASSERT_FATAL(hdr && cl && sig);
	jh = json_loads((char *)hdr, 0, NULL);
	jc = json_loads((char *)cl, 0, NULL);
	CU_ASSERT_FATAL(jh && jc);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jh, "alg")), "RS256");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jh, "typ")), "JWT");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jh, "kid")), "kid-1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jc, "iss")), ISSUER);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jc, "scope")), SCOPE);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jc, "aud")), token_url);
	CU_ASSERT(llabs(json_integer_value(json_object_get(jc, "iat")) - now) <= 5);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(jc, "exp")) -
				json_integer_value(json_object_get(jc, "iat")),
			3600);
	input = strndup(a, (size_t)(d2 - a));
	md = EVP_MD_CTX_new();
	CU_ASSERT(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, rsa) == 1 &&
		  EVP_DigestVerify(md, sig, sl, (unsigned char *)input, strlen(input)) == 1);
	EVP_MD_CTX_free(md);
	free(input);
	json_decref(jh);
	json_decref(jc);
	free(hdr);
	free(cl);
	free(sig);
	oauth_free(h);

	/* An explicit audience replaces token_url. */
	ep_reset();
	cfg.audience = "https://oauth2.googleapis.com/token";
	h = oauth_new(cache, APP, &cfg, NULL, "[test/app]", err, sizeof(err));
	CU_ASSERT_FATAL(h != NULL);
	fetch(h, &g);
	a = form_field("assertion");
	CU_ASSERT_FATAL(a && strchr(a, '.'));
	d1 = strchr(a, '.');
	d2 = strchr(d1 + 1, '.');
	cl = testsrv_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cll);
	CU_ASSERT_PTR_NOT_NULL(
		strstr((char *)cl, "\"aud\":\"https://oauth2.googleapis.com/token\""));
	free(cl);
	oauth_free(h);
}

static void test_one_fetch(void)
{
	struct herald_oauth *h = new_cc(SECRET), *h2 = new_cc(SECRET), *other;
	static struct got g[51];
	int all = 0;

	ep_reset();
	CU_ASSERT_FATAL(h && h2);
	CU_ASSERT_EQUAL(oauth_cache_entries(cache), 1); /* one credential, two apps */
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 50; i++)
		CU_ASSERT_EQUAL(oauth_token(i % 2 ? h : h2, on_token, &g[i]), 0);
	for (int i = 0; i < 50; i++)
		all += g[i].calls;
	CU_ASSERT_EQUAL(all, 0); /* nobody answered from within: no token yet */
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g[49].calls, 5000), 0);
	all = 0;
	for (int i = 0; i < 50; i++) {
		all += g[i].calls;
		CU_ASSERT_STRING_EQUAL(g[i].token, "tok-1");
	}
	CU_ASSERT_EQUAL(all, 50);
	CU_ASSERT_EQUAL(ep.fetches, 1);

	/* Another secret is another credential. */
	other = new_cc("another secret");
	CU_ASSERT_FATAL(other != NULL);
	CU_ASSERT_EQUAL(oauth_cache_entries(cache), 2);
	fetch(other, &g[50]);
	CU_ASSERT_STRING_EQUAL(g[50].token, "tok-2");
	CU_ASSERT_EQUAL(ep.fetches, 2);
	oauth_free(other);
	oauth_free(h);
	oauth_free(h2);
	CU_ASSERT_EQUAL(oauth_cache_entries(cache), 0);
}

static void test_refresh(void)
{
	struct herald_oauth *h = new_cc(SECRET);
	struct got g;
	int never = 0;

	ep_reset();
	ep.expires_in = 3; /* short-lived: refreshed once half of it is gone */
	CU_ASSERT_FATAL(h != NULL);
	fetch(h, &g);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-1");
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(oauth_token(h, on_token, &g), 0);
	CU_ASSERT_EQUAL(g.calls, 1); /* still fresh */
	CU_ASSERT_STRING_EQUAL(g.token, "tok-1");
	testsrv_run_until(base, &never, 1700);
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(oauth_token(h, on_token, &g), 0);
	CU_ASSERT_EQUAL(g.calls, 0); /* refreshing */
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g.calls, 5000), 0);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-2");
	CU_ASSERT_EQUAL(ep.fetches, 2);

	/* No expires_in: an hour, so fresh. */
	ep.expires_in = 0;
	oauth_invalidate(h, "tok-2");
	fetch(h, &g);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-3");
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(oauth_token(h, on_token, &g), 0);
	CU_ASSERT_EQUAL(g.calls, 1);
	oauth_free(h);
}

static void test_invalidate(void)
{
	struct herald_oauth *h = new_cc(SECRET);
	struct got g;

	ep_reset();
	CU_ASSERT_FATAL(h != NULL);
	fetch(h, &g);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-1");
	/* Not the current token (an older one): nothing changes. */
	oauth_invalidate(h, "tok-0");
	memset(&g, 0, sizeof(g));
	oauth_token(h, on_token, &g);
	CU_ASSERT_EQUAL(g.calls, 1);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-1");
	/* The current one: dropped, the next call fetches. */
	oauth_invalidate(h, "tok-1");
	memset(&g, 0, sizeof(g));
	oauth_token(h, on_token, &g);
	CU_ASSERT_EQUAL(g.calls, 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g.calls, 5000), 0);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-2");
	CU_ASSERT_EQUAL(ep.fetches, 2);
	oauth_free(h);
}

static void test_failure(void)
{
	struct herald_oauth *h = new_cc("wrong");
	struct got g;

	ep_reset();
	ep.fail = 1;
	CU_ASSERT_FATAL(h != NULL);
	fetch(h, &g);
	CU_ASSERT_EQUAL(g.status, 400);
	CU_ASSERT_STRING_EQUAL(g.token, "");
	CU_ASSERT_STRING_EQUAL(g.error, "invalid_client: Client authentication failed");
	CU_ASSERT_PTR_NULL(strstr(g.error, "wrong"));
	/* Not cached, but backed off: the next fetch waits for the second to pass. */
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL(oauth_token(h, on_token, &g), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL(ep.fetches, 1);
	CU_ASSERT_EQUAL(g.calls, 0);
	ep.fail = 0;
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g.calls, 5000), 0);
	CU_ASSERT_EQUAL(ep.fetches, 2);
	CU_ASSERT_EQUAL(g.status, 200);
	CU_ASSERT_STRING_EQUAL(g.token, "tok-2");
	oauth_free(h);

	/* Unreachable: status 0 and the transport's reason. */
	{
		struct herald_oauth_config cfg = {
			.size = sizeof(cfg),
			.grant = HERALD_OAUTH_CLIENT_CREDENTIALS,
			.token_url = "http://127.0.0.1:1/token",
			.client_id = "id",
			.client_secret = "secret",
		};
		char err[256];

		h = oauth_new(cache, APP, &cfg, NULL, "[test/app]", err, sizeof(err));
		CU_ASSERT_FATAL(h != NULL);
		fetch(h, &g);
		CU_ASSERT_EQUAL(g.status, 0);
		CU_ASSERT_EQUAL(strncmp(g.error, "connect: ", 9), 0);
		oauth_free(h);
	}
}

static void test_bad_config(void)
{
	struct herald_oauth_config cfg = {.size = sizeof(cfg),
					  .grant = HERALD_OAUTH_CLIENT_CREDENTIALS,
					  .token_url = token_url,
					  .client_id = "id"};
	char err[256] = "";

	CU_ASSERT_PTR_NULL(oauth_new(cache, APP, &cfg, NULL, "[t]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "client_secret"));
	cfg.grant = HERALD_OAUTH_JWT_BEARER;
	cfg.key = key;
	CU_ASSERT_PTR_NULL(oauth_new(cache, APP, &cfg, NULL, "[t]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "issuer"));
	cfg.grant = 7;
	CU_ASSERT_PTR_NULL(oauth_new(cache, APP, &cfg, NULL, "[t]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "grant"));
	cfg.grant = HERALD_OAUTH_CLIENT_CREDENTIALS;
	cfg.client_secret = "s";
	cfg.token_url = "ftp://x/token";
	CU_ASSERT_PTR_NULL(oauth_new(cache, APP, &cfg, NULL, "[t]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "token_url"));
	cfg.token_url = token_url;
	cfg.ca_file = "/nonexistent/ca.pem";
	CU_ASSERT_PTR_NULL(oauth_new(cache, APP, &cfg, NULL, "[t]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ca.pem"));
	CU_ASSERT_EQUAL(oauth_cache_entries(cache), 0);
}

/* A callback that frees its own handle (the last one) while others wait on it. */
static struct herald_oauth *self_free;
static void on_token_free(struct herald_app *app, void *arg, const char *token, int status,
			  const char *error)
{
	on_token(app, arg, token, status, error);
	oauth_free(self_free);
}

static void test_free_with_waiters(void)
{
	struct herald_oauth *h1 = new_cc(SECRET), *h2 = new_cc(SECRET);
	struct got g[4], late;

	ep_reset();
	ep.hold = 1;
	CU_ASSERT_FATAL(h1 && h2);
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(oauth_token(h1, on_token, &g[i]), 0);
	CU_ASSERT_EQUAL(oauth_token(h2, on_token, &g[3]), 0);
	while (!ep.held)
		event_base_loop(base, EVLOOP_ONCE);
	oauth_free(h1);
	/* h1's callbacks, from within oauth_free(); h2's still waits. */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(g[i].calls, 1);
		CU_ASSERT_STRING_EQUAL(g[i].error, "cancelled");
		CU_ASSERT_EQUAL(g[i].status, 0);
	}
	CU_ASSERT_EQUAL(g[3].calls, 0);
	answer_ok(ep.held);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g[3].calls, 5000), 0);
	CU_ASSERT_STRING_EQUAL(g[3].token, "tok-1");

	/* The last handle freed from within its own callback, with another waiter queued. */
	oauth_invalidate(h2, "tok-1");
	ep.hold = 0;
	self_free = h2;
	memset(g, 0, sizeof(g));
	CU_ASSERT_EQUAL(oauth_token(h2, on_token_free, &g[0]), 0);
	CU_ASSERT_EQUAL(oauth_token(h2, on_token, &g[1]), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &g[0].calls, 5000), 0);
	CU_ASSERT_STRING_EQUAL(g[0].token, "tok-2");
	CU_ASSERT_EQUAL(g[1].calls, 1);
	CU_ASSERT_STRING_EQUAL(g[1].error, "cancelled");
	CU_ASSERT_EQUAL(oauth_cache_entries(cache), 0);

	/* The last handle freed while its fetch is in flight: nothing arrives later. */
	ep_reset();
	ep.hold = 1;
	h1 = new_cc(SECRET);
	CU_ASSERT_FATAL(h1 != NULL);
	memset(&late, 0, sizeof(late));
	CU_ASSERT_EQUAL(oauth_token(h1, on_token, &late), 0);
	while (!ep.held)
		event_base_loop(base, EVLOOP_ONCE);
	oauth_free(h1);
	CU_ASSERT_EQUAL(late.calls, 1);
	CU_ASSERT_STRING_EQUAL(late.error, "cancelled");
	event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL(late.calls, 1);
	CU_ASSERT_EQUAL(oauth_cache_entries(cache), 0);
}

/* --- herald-emulator's token endpoints ------------------------------------------------- */

/* Start `herald-emulator run` on dir with ephemeral ports: its pid, and its ports. */
static pid_t emulator_start(const char *dir, int *fcm, int *adm)
{
	int fds[2];
	pid_t pid;
	FILE *f;
	char line[512];

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(testsrv_emulator(), "herald-emulator", "run", "-d", dir, "--apns-port", "0",
		      "--fcm-port", "0", "--control-port", "0", "--adm-port", "0", "--wns-port",
		      "0", "--baidu-port", "0", "--mpns-port", "0", "--log-level", "err",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	*fcm = *adm = 0;
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, " fcm="), *q = strstr(line, " adm=");

		if (!strncmp(line, "ports ", 6) && p && q) {
			*fcm = atoi(p + 5);
			*adm = atoi(q + 5);
			break;
		}
	}
	if (f)
		fclose(f);
	return pid;
}

static void test_emulator(void)
{
	char dir[512], err[256] = "", ca[600], url[128];
	char *sa_text = NULL, *emu_conf = NULL;
	json_t *sa = NULL, *conf = NULL;
	struct herald_key *sa_key = NULL;
	struct herald_oauth *h;
	size_t len;
	int fcm = 0, adm = 0, rc;
	pid_t pid = -1;
	struct got g;

	rc = testsrv_emulator_init(dir, sizeof(dir));
	if (rc == 77) {
		emulator_missing = 1;
		fprintf(stderr, "herald-emulator is not built: its token endpoints not tried\n");
		return;
	}
	CU_ASSERT_FATAL(rc == 0);
	sa_text = testsrv_read_file(dir, "fcm-service-account.json", &len);
	emu_conf = testsrv_read_file(dir, "emulator.json", &len);
	sa = sa_text ? json_loads(sa_text, 0, NULL) : NULL;
	conf = emu_conf ? json_loads(emu_conf, 0, NULL) : NULL;
	CU_ASSERT_FATAL(sa && conf);
	{
		const char *pem = json_string_value(json_object_get(sa, "private_key"));

		CU_ASSERT_FATAL(pem != NULL);
		sa_key = jws_key_load(pem, strlen(pem), err, sizeof(err));
		CU_ASSERT_FATAL(sa_key != NULL);
	}
	pid = emulator_start(dir, &fcm, &adm);
	CU_ASSERT_FATAL(pid > 0 && fcm > 0 && adm > 0);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);

	/* FCM v1: the service account's JWT-bearer grant, over HTTPS with the emulator's CA. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/token", fcm);
	{
		struct herald_oauth_config cfg = {
			.size = sizeof(cfg),
			.grant = HERALD_OAUTH_JWT_BEARER,
			.token_url = url,
			.scope = SCOPE,
			.key = sa_key,
			.key_id = json_string_value(json_object_get(sa, "private_key_id")),
			.issuer = json_string_value(json_object_get(sa, "client_email")),
		};

		h = oauth_new(cache, APP, &cfg, ca, "[fcm/app]", err, sizeof(err));
		CU_ASSERT_FATAL(h != NULL);
		fetch(h, &g);
		if (g.status != 200)
			fprintf(stderr, "FCM token: %d %s\n", g.status, g.error);
		CU_ASSERT_EQUAL(g.status, 200);
		CU_ASSERT_EQUAL(strncmp(g.token, "ya29.", 5), 0);
		oauth_free(h);
	}

	/* ADM: client credentials, and a wrong secret refused as the credential's fault. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/auth/O2/token", adm);
	{
		json_t *a = json_object_get(conf, "adm");
		struct herald_oauth_config cfg = {
			.size = sizeof(cfg),
			.grant = HERALD_OAUTH_CLIENT_CREDENTIALS,
			.token_url = url,
			.scope = "messaging:push",
			.client_id = json_string_value(json_object_get(a, "client_id")),
			.client_secret = json_string_value(json_object_get(a, "client_secret")),
			.ca_file = ca,
		};

		h = oauth_new(cache, APP, &cfg, NULL, "[adm/app]", err, sizeof(err));
		CU_ASSERT_FATAL(h != NULL);
		fetch(h, &g);
		CU_ASSERT_EQUAL(g.status, 200);
		CU_ASSERT_EQUAL(strncmp(g.token, "Atc|", 4), 0);
		oauth_free(h);
		cfg.client_secret = "not the secret";
		h = oauth_new(cache, APP, &cfg, NULL, "[adm/app]", err, sizeof(err));
		CU_ASSERT_FATAL(h != NULL);
		fetch(h, &g);
		CU_ASSERT_EQUAL(g.status, 401);
		CU_ASSERT_EQUAL(strncmp(g.error, "invalid_client", 14), 0);
		oauth_free(h);
	}

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	jws_key_free(sa_key);
	json_decref(sa);
	json_decref(conf);
	free(sa_text);
	free(emu_conf);
	testsrv_rm_rf(dir);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"client credentials: the form, field by field; cached", test_client_credentials},
		{"JWT bearer: the assertion decoded and verified", test_jwt_bearer},
		{"50 concurrent callers, two apps: one fetch", test_one_fetch},
		{"refresh near expiry", test_refresh},
		{"invalidate only the current token", test_invalidate},
		{"failures passed on, not cached, backed off", test_failure},
		{"bad configurations refused", test_bad_config},
		{"free with waiters: cancelled from within", test_free_with_waiters},
		{"herald-emulator's FCM and ADM token endpoints", test_emulator},
		CU_TEST_INFO_NULL,
	};
	int rc = fx_run_suite("oauth", suite_init, suite_clean, tests);

	return rc == 0 && emulator_missing ? 77 : rc;
}
