/*
 * The fake host the driver tests stand on: requests are recorded and only
 * answered by fakehost_run(), timers fire on the fake clock in due order,
 * outcomes and counters are recorded, keys and JWTs are real (the APNs test
 * vector of providers.md §1.5 verifies), the OAuth script rotates on
 * invalidation.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "tests/plugins/fakehost.h"
#include "tests/unit/run.h"

/* The throw-away APNs test key of providers.md §1.5. */
static const char test_p8[] = "-----BEGIN PRIVATE KEY-----\n"
			      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZ/twsmkGZXoaGsy1\n"
			      "Vmm35dnP5POblmUR9mG1rdz9p1qhRANCAARrrsZaIV3w5FBm9AkFjcAvC1iOUVLE\n"
			      "v3wiIynF1efTjADEzX95H1jIaa6K5dujOog+XpAZzhUNwI5ijDQA/5DO\n"
			      "-----END PRIVATE KEY-----\n";
static const char vector_jwt[] =
	"eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyM0RFRkcifQ."
	"eyJpc3MiOiJERUYxMjNHSElKIiwiaWF0IjoxNzAwMDAwMDAwfQ."
	"fMl0P8KXEszZlJIpgEc6h0PONcJoh1q9Y5_hwK8UDisrRoc7mzi4YtVsqRH4Mue9Gi7jeFGQckr7Sef05RljJA";

struct seen {
	int calls, status;
	char error[64];
	char body[64];
	char token[64];
};

static void on_done(struct herald_app *app, void *arg, const struct herald_http_response *res)
{
	struct seen *s = arg;

	s->calls++;
	s->status = res->status;
	snprintf(s->error, sizeof(s->error), "%s", res->error ? res->error : "");
	snprintf(s->body, sizeof(s->body), "%.*s", (int)res->body_len, (const char *)res->body);
}

static void test_http_deferred(void)
{
	struct fakehost *fh = fakehost_new();
	struct herald_host *h = fakehost_host(fh);
	struct herald_http_pool_config pc = {
		.size = sizeof(pc), .version = HERALD_HTTP_2, .origin = "https://x.test:2197"};
	struct herald_http_header hd[] = {{"apns-topic", "a.b"}};
	struct herald_http_request rq = {.size = sizeof(rq),
					 .method = "POST",
					 .url = "https://x.test:2197/3/device/ab",
					 .headers = hd,
					 .n_headers = 1,
					 .body = "{}",
					 .body_len = 2};
	struct seen s1 = {0}, s2 = {0};
	char err[128];
	struct herald_http_pool *p = h->http_pool_new(fakehost_app(fh), &pc, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(h->http_request(p, &rq, on_done, &s1), 0);
	rq.url = "https://other.test/3/device/ab";
	CU_ASSERT_EQUAL(h->http_request(p, &rq, on_done, &s2), HERALD_EINVAL);
	rq.url = "https://x.test:2197/3/device/cd";
	CU_ASSERT_EQUAL(h->http_request(p, &rq, on_done, &s2), 0);
	CU_ASSERT_EQUAL(s1.calls, 0);
	fakehost_respond(fh, 410, "{\"reason\":\"Unregistered\"}", "apns-id", "x", NULL);
	CU_ASSERT_EQUAL(fakehost_run(fh), 1);
	CU_ASSERT_EQUAL(s1.calls, 1);
	CU_ASSERT_EQUAL(s1.status, 410);
	CU_ASSERT_STRING_EQUAL(s1.body, "{\"reason\":\"Unregistered\"}");
	CU_ASSERT_EQUAL(fakehost_pending(fh), 1);
	CU_ASSERT_EQUAL(fakehost_nrequests(fh), 2);
	CU_ASSERT_STRING_EQUAL(fakehost_header(fakehost_request(fh, 0), "APNS-TOPIC"), "a.b");
	CU_ASSERT_STRING_EQUAL(fakehost_request(fh, 1)->url, "https://x.test:2197/3/device/cd");
	h->http_pool_free(p);
	CU_ASSERT_EQUAL(s2.calls, 1);
	CU_ASSERT_EQUAL(s2.status, 0);
	CU_ASSERT_STRING_EQUAL(s2.error, "cancelled");
	CU_ASSERT_EQUAL(fakehost_pools_live(fh), 0);
	CU_ASSERT_EQUAL(fakehost_misuses(fh), 0);
	fakehost_free(fh);
}

static int order[4], norder;

static void on_timer(struct herald_app *app, void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

static void test_timers(void)
{
	struct fakehost *fh = fakehost_new();
	struct herald_host *h = fakehost_host(fh);
	struct herald_app *app = fakehost_app(fh);
	struct herald_timer *t;

	norder = 0;
	h->timer_add(app, 300, on_timer, (void *)3);
	h->timer_add(app, 100, on_timer, (void *)1);
	t = h->timer_add(app, 200, on_timer, (void *)2);
	CU_ASSERT_EQUAL(fakehost_next_timer(fh), 100);
	h->timer_cancel(app, t);
	fakehost_advance(fh, 99);
	CU_ASSERT_EQUAL(norder, 0);
	fakehost_advance(fh, 500);
	CU_ASSERT_EQUAL(norder, 2);
	CU_ASSERT_EQUAL(order[0], 1);
	CU_ASSERT_EQUAL(order[1], 3);
	CU_ASSERT_EQUAL(fakehost_now(fh), 599);
	CU_ASSERT_EQUAL(fakehost_next_timer(fh), -1);
	h->timer_cancel(app, t);
	CU_ASSERT_EQUAL(fakehost_misuses(fh), 1);
	fakehost_free(fh);
}

static void test_outcomes_counters(void)
{
	struct fakehost *fh = fakehost_new();
	struct herald_host *h = fakehost_host(fh);
	struct herald_app *app = fakehost_app(fh);
	struct herald_outcome o = {.size = sizeof(o),
				   .kind = HERALD_OUTCOME_TOKEN_REPLACED,
				   .invalid_since_ms = -1,
				   .canonical_token = "new",
				   .retry_after_ms = -1,
				   .status = 200};

	h->send_done(app, 7, &o);
	h->send_done(app, 7, &o);
	CU_ASSERT_EQUAL(fakehost_noutcomes(fh), 1);
	CU_ASSERT_EQUAL(fakehost_duplicates(fh), 1);
	CU_ASSERT_STRING_EQUAL(fakehost_outcome(fh, 7)->canonical_token, "new");
	CU_ASSERT_PTR_NULL(fakehost_outcome(fh, 8));
	h->counter_add(app, "sent", 2);
	h->counter_add(app, "sent", 3);
	h->counter_add(app, "Bad-Name", 1);
	CU_ASSERT_EQUAL(fakehost_counter(fh, "sent"), 5);
	CU_ASSERT_EQUAL(fakehost_misuses(fh), 1);
	h->log(app, HERALD_LOG_WARNING, "certificate expires in %d days", 12);
	CU_ASSERT_TRUE(fakehost_logged(fh, HERALD_LOG_WARNING, "expires in 12 days"));
	CU_ASSERT_FALSE(fakehost_logged(fh, HERALD_LOG_ERR, "expires"));
	fakehost_free(fh);
}

static void test_jwt(void)
{
	struct fakehost *fh = fakehost_new();
	struct herald_host *h = fakehost_host(fh);
	char err[128], jwt[512], *hdr = NULL, *claims = NULL;
	struct herald_key *k;
	int n;

	CU_ASSERT_EQUAL(fakehost_jwt_verify(vector_jwt, test_p8, NULL, NULL), 0);
	CU_ASSERT_PTR_NULL(h->key_load(fakehost_app(fh), "junk", 4, err, sizeof(err)));
	k = h->key_load(fakehost_app(fh), test_p8, strlen(test_p8), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	n = h->jwt_sign(k, "{\"alg\":\"ES256\",\"kid\":\"ABC123DEFG\"}",
			"{\"iss\":\"DEF123GHIJ\",\"iat\":1700000000}", jwt, sizeof(jwt));
	CU_ASSERT_EQUAL(n, (int)strlen(jwt));
	CU_ASSERT_EQUAL(strlen(strrchr(jwt, '.') + 1), 86);
	CU_ASSERT_EQUAL(fakehost_jwt_verify(jwt, test_p8, &hdr, &claims), 0);
	CU_ASSERT_STRING_EQUAL(claims, "{\"iss\":\"DEF123GHIJ\",\"iat\":1700000000}");
	jwt[n - 2] = jwt[n - 2] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(fakehost_jwt_verify(jwt, test_p8, NULL, NULL), -1);
	CU_ASSERT_EQUAL(h->jwt_sign(k, "{\"alg\":\"RS256\"}", "{}", jwt, sizeof(jwt)),
			HERALD_EINVAL);
	CU_ASSERT_EQUAL(h->jwt_sign(k, "{\"alg\":\"ES256\"}", "{}", jwt, 20), HERALD_EINVAL);
	h->key_free(k);
	CU_ASSERT_EQUAL(fakehost_keys_live(fh), 0);
	free(hdr);
	free(claims);
	fakehost_free(fh);
}

static void on_token(struct herald_app *app, void *arg, const char *token, int status,
		     const char *error)
{
	struct seen *s = arg;

	s->calls++;
	s->status = status;
	snprintf(s->token, sizeof(s->token), "%s", token ? token : "(none)");
	snprintf(s->error, sizeof(s->error), "%s", error ? error : "");
}

static void test_oauth(void)
{
	struct fakehost *fh = fakehost_new();
	struct herald_host *h = fakehost_host(fh);
	struct herald_key *k;
	struct herald_oauth *o;
	struct seen s = {0};
	char err[128];

	k = h->key_load(fakehost_app(fh), test_p8, strlen(test_p8), err, sizeof(err));
	struct herald_oauth_config c = {.size = sizeof(c),
					.grant = HERALD_OAUTH_JWT_BEARER,
					.token_url = "https://t.test/token",
					.scope = "s",
					.key = k,
					.issuer = "me@x"};
	o = h->oauth_new(fakehost_app(fh), &c, err, sizeof(err));
	h->key_free(k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(fakehost_oauth_config(fh)->issuer, "me@x");
	fakehost_oauth(fh, false, 0, NULL, "t1", "t2", NULL);
	CU_ASSERT_EQUAL(h->oauth_token(o, on_token, &s), 0);
	CU_ASSERT_EQUAL(s.calls, 0);
	fakehost_run(fh);
	CU_ASSERT_STRING_EQUAL(s.token, "t1");
	h->oauth_invalidate(o, "t1");
	CU_ASSERT_EQUAL(fakehost_oauth_invalidations(fh), 1);
	CU_ASSERT_STRING_EQUAL(fakehost_oauth_invalidated(fh), "t1");
	h->oauth_token(o, on_token, &s);
	fakehost_run(fh);
	CU_ASSERT_STRING_EQUAL(s.token, "t2");
	fakehost_oauth(fh, true, 400, "invalid_grant", NULL);
	h->oauth_token(o, on_token, &s);
	CU_ASSERT_EQUAL(s.calls, 3);
	CU_ASSERT_STRING_EQUAL(s.token, "(none)");
	CU_ASSERT_EQUAL(s.status, 400);
	fakehost_oauth(fh, false, 0, NULL, "t1", NULL);
	h->oauth_token(o, on_token, &s);
	h->oauth_free(o);
	CU_ASSERT_EQUAL(s.calls, 4);
	CU_ASSERT_STRING_EQUAL(s.error, "cancelled");
	CU_ASSERT_EQUAL(fakehost_oauth_live(fh), 0);
	fakehost_free(fh);
}

static CU_TestInfo tests[] = {
	{"requests are answered only by fakehost_run, in order", test_http_deferred},
	{"timers fire on the fake clock in due order", test_timers},
	{"outcomes, duplicates, counters and logs are recorded", test_outcomes_counters},
	{"keys and JWTs are real (providers.md test vector)", test_jwt},
	{"the OAuth script rotates on invalidation and cancels on free", test_oauth},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return fx_run_suite("fakehost", NULL, NULL, tests);
}
