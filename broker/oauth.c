/*
 * The OAuth2 token cache; see oauth.h.
 *
 * An entry owns copies of everything a fetch needs (the client secret wiped
 * on free, its own reference to the key), its token, its HTTP/1.1 pool (one
 * request at a time) and the callbacks waiting for the fetch.  Handles count
 * as references; so does a delivery in progress, so that a callback freeing
 * the last handle does not free the entry under the loop delivering to it.
 *
 * Delivery takes the waiting list as a whole (callers arriving meanwhile wait
 * for the next fetch, or are answered from the cache), and copies the token
 * and error first: a callback may invalidate the token or free the handle.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "broker/http1.h"
#include "broker/jws.h"
#include "broker/oauth.h"
#include "common/log.h"
#include "common/util.h"

#define OAUTH_MARGIN_MS	   60000  /* refresh when less than this remains (or a tenth) */
#define OAUTH_DEFAULT_LIFE 3600	  /* expires_in when the answer has none */
#define OAUTH_LIFE_MAX	   604800 /* a week: longer answers are clamped */
#define OAUTH_JWT_MAX	   8192
#define OAUTH_STALE_OK_MS  10000 /* a failed refresh hands out the old token if this remains */

struct oauth_waiter {
	struct oauth_waiter *next;
	struct herald_oauth *h;
	herald_token_fn done;
	void *arg;
};

struct oauth_entry {
	struct oauth_cache *cache;
	struct oauth_entry *prev, *next;
	unsigned int refs;
	unsigned char id[32];
	int grant;
	char *token_url, *scope, *client_id, *client_secret, *key_id, *issuer, *audience;
	struct herald_key *key;
	char log_prefix[128];
	struct http1_pool *pool;
	struct event *backoff; /* starts the fetch a failure postponed */
	bool fetching, dying;
	int64_t next_fetch_ms; /* monotonic: no fetch before this */
	char *token;	       /* the current access token, or NULL */
	int64_t token_born_ms, token_dies_ms;
	struct oauth_waiter *waiters, **tail;
	struct oauth_waiter **batch; /* the list being delivered, or NULL */
};

struct herald_oauth {
	struct oauth_entry *e;
	struct herald_app *app;
	struct herald_oauth *prev, *next; /* in the cache's handles */
	struct oauth_cache *c;
};

struct oauth_cache {
	struct event_base *base;
	struct oauth_entry *entries;
	struct herald_oauth *handles;
};

/* --- entries --------------------------------------------------------------------------- */

static void oauth_secret_free(char *s)
{
	if (s)
		OPENSSL_clear_free(s, strlen(s));
}

/* Free e, unlinked from its cache. */
static void oauth_entry_destroy(struct oauth_entry *e)
{
	/* A fetch in flight is cancelled from within; oauth_fetch_done ignores it. */
	e->dying = true;
	http1_pool_free(e->pool);
	if (e->backoff)
		event_free(e->backoff);
	free(e->token_url);
	free(e->scope);
	free(e->client_id);
	oauth_secret_free(e->client_secret);
	free(e->key_id);
	free(e->issuer);
	free(e->audience);
	jws_key_free(e->key);
	oauth_secret_free(e->token);
	free(e);
}

static void oauth_entry_free(struct oauth_entry *e)
{
	struct oauth_cache *c = e->cache;

	if (e->prev)
		e->prev->next = e->next;
	else
		c->entries = e->next;
	if (e->next)
		e->next->prev = e->prev;
	oauth_entry_destroy(e);
}

static void oauth_entry_unref(struct oauth_entry *e)
{
	if (--e->refs == 0)
		oauth_entry_free(e);
}

static void oauth_drop_token(struct oauth_entry *e)
{
	oauth_secret_free(e->token);
	e->token = NULL;
}

/* Is the token fresh enough to hand out without a refresh? */
static bool oauth_fresh(const struct oauth_entry *e, int64_t now)
{
	int64_t life = e->token_dies_ms - e->token_born_ms, margin = life / 10;

	if (!e->token)
		return false;
	if (margin < OAUTH_MARGIN_MS)
		margin = OAUTH_MARGIN_MS;
	if (margin > life / 2)
		margin = life / 2;
	return e->token_dies_ms - now > margin;
}

/*
 * Answer every waiter with (token, status, error).  The strings are copied
 * first: a callback may change the entry.
 */
static void oauth_deliver(struct oauth_entry *e, const char *token, int status, const char *error)
{
	struct oauth_waiter *batch = e->waiters, *w;
	char *tok = token ? strdup(token) : NULL, *err = error ? strdup(error) : NULL;

	if ((token && !tok) || (error && !err)) {
		oauth_secret_free(tok);
		free(err);
		tok = NULL;
		err = NULL;
		status = 0;
		error = "out of memory";
	}
	e->waiters = NULL;
	e->tail = &e->waiters;
	e->refs++;
	e->batch = &batch;
	while ((w = batch)) {
		batch = w->next;
		w->done(w->h->app, w->arg, tok, tok ? 200 : status, tok ? NULL : err ? err : error);
		free(w);
	}
	e->batch = NULL;
	oauth_secret_free(tok);
	free(err);
	oauth_entry_unref(e);
}

/* --- fetching -------------------------------------------------------------------------- */

/* Append "&name=value" (no "&" first), value percent-encoded; 0 or -1 if out is too small. */
static int oauth_form_add(char *out, size_t out_size, size_t *pos, const char *name,
			  const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t p = *pos;
	int n = snprintf(out + p, out_size - p, "%s%s=", p ? "&" : "", name);

	if (n < 0 || (size_t)n >= out_size - p)
		return -1;
	p += (size_t)n;
	for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
		if (p + 4 > out_size)
			return -1;
		if ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') ||
		    (*v >= '0' && *v <= '9') || *v == '-' || *v == '.' || *v == '_' || *v == '~') {
			out[p++] = (char)*v;
		} else {
			out[p++] = '%';
			out[p++] = hex[*v >> 4];
			out[p++] = hex[*v & 15];
		}
	}
	out[p] = '\0';
	*pos = p;
	return 0;
}

/* The RFC 7523 assertion for e, signed now, into out: 0 or -1. */
static int oauth_assertion(struct oauth_entry *e, char *out, size_t out_size)
{
	int64_t iat = util_now_ms() / 1000;
	json_t *hdr = json_pack("{s:s, s:s}", "alg", jws_key_alg(e->key), "typ", "JWT");
	json_t *claims = json_pack("{s:s, s:s, s:I, s:I}", "iss", e->issuer, "aud",
				   e->audience ? e->audience : e->token_url, "iat", (json_int_t)iat,
				   "exp", (json_int_t)(iat + OAUTH_ASSERTION_S));
	char *h = NULL, *c = NULL;
	int rc = -1;

	if (!hdr || !claims)
		goto out;
	if (e->key_id && json_object_set_new(hdr, "kid", json_string(e->key_id)) < 0)
		goto out;
	if (e->scope && json_object_set_new(claims, "scope", json_string(e->scope)) < 0)
		goto out;
	h = json_dumps(hdr, JSON_COMPACT);
	c = json_dumps(claims, JSON_COMPACT);
	if (h && c && jws_sign(e->key, h, c, out, out_size) > 0)
		rc = 0;
out:
	free(h);
	free(c);
	json_decref(hdr);
	json_decref(claims);
	return rc;
}

/* The form body of e's token request into out: 0 or -1. */
static int oauth_form(struct oauth_entry *e, char *out, size_t out_size)
{
	char jwt[OAUTH_JWT_MAX];
	size_t pos = 0;
	int rc = -1;

	*out = '\0';
	if (e->grant == HERALD_OAUTH_CLIENT_CREDENTIALS) {
		if (oauth_form_add(out, out_size, &pos, "grant_type", "client_credentials") < 0 ||
		    oauth_form_add(out, out_size, &pos, "client_id", e->client_id) < 0 ||
		    oauth_form_add(out, out_size, &pos, "client_secret", e->client_secret) < 0)
			return -1;
		if (e->scope && oauth_form_add(out, out_size, &pos, "scope", e->scope) < 0)
			return -1;
		return 0;
	}
	if (oauth_assertion(e, jwt, sizeof(jwt)) == 0 &&
	    oauth_form_add(out, out_size, &pos, "grant_type",
			   "urn:ietf:params:oauth:grant-type:jwt-bearer") == 0 &&
	    oauth_form_add(out, out_size, &pos, "assertion", jwt) == 0)
		rc = 0;
	OPENSSL_cleanse(jwt, sizeof(jwt));
	return rc;
}

/* Does the token only hold what may go in an Authorization header? */
static bool oauth_token_ok(const char *t, size_t n)
{
	if (n == 0 || n > OAUTH_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~')
			return false;
	return true;
}

/* Why the answer res carries no token, into why (never quoting the body beyond error fields). */
static void oauth_answer_error(const struct herald_http_response *res, json_t *doc, char *why,
			       size_t why_size)
{
	const char *error = json_string_value(json_object_get(doc, "error"));
	const char *desc = json_string_value(json_object_get(doc, "error_description"));

	if (res->status == 0)
		snprintf(why, why_size, "%s", res->error ? res->error : "no answer");
	else if (error && desc)
		snprintf(why, why_size, "%.128s: %.384s", error, desc);
	else if (error)
		snprintf(why, why_size, "%.128s", error);
	else if (res->status == 200)
		snprintf(why, why_size, "the token endpoint's answer holds no valid access_token");
	else
		snprintf(why, why_size, "HTTP %d from the token endpoint", res->status);
}

static void oauth_fetch_done(void *arg, const struct herald_http_response *res)
{
	struct oauth_entry *e = arg;
	json_t *doc = NULL, *tok, *exp;
	int64_t now = util_mono_ms(), life = OAUTH_DEFAULT_LIFE;
	char why[600];

	if (e->dying)
		return;
	e->fetching = false;
	if (res->status)
		doc = json_loadb((const char *)res->body, res->body_len, 0, NULL);
	tok = json_object_get(doc, "access_token");
	if (res->status == 200 && json_is_string(tok) &&
	    oauth_token_ok(json_string_value(tok), json_string_length(tok))) {
		char *copy = strdup(json_string_value(tok));

		exp = json_object_get(doc, "expires_in");
		if (json_is_integer(exp))
			life = json_integer_value(exp);
		else if (json_is_string(exp))
			life = strtoll(json_string_value(exp), NULL, 10);
		if (life < 1)
			life = 1;
		if (life > OAUTH_LIFE_MAX)
			life = OAUTH_LIFE_MAX;
		json_decref(doc);
		if (copy) {
			oauth_drop_token(e);
			e->token = copy;
			e->token_born_ms = now;
			e->token_dies_ms = now + life * 1000;
			e->next_fetch_ms = 0;
			oauth_deliver(e, e->token, 200, NULL);
			return;
		}
		snprintf(why, sizeof(why), "out of memory");
	} else {
		oauth_answer_error(res, doc, why, sizeof(why));
		json_decref(doc);
	}
	e->next_fetch_ms = now + OAUTH_BACKOFF_MS;
	log_warning("%s OAuth2 token from %s: %s%d, %s", e->log_prefix, e->token_url,
		    res->status ? "HTTP " : "status ", res->status, why);
	if (e->token && e->token_dies_ms - now > OAUTH_STALE_OK_MS)
		oauth_deliver(e, e->token, 200, NULL);
	else
		oauth_deliver(e, NULL, res->status, why);
}

/* Start the one fetch for e's waiters: 0, or -1 (nothing started). */
static int oauth_fetch(struct oauth_entry *e)
{
	static const struct herald_http_header hdrs[] = {
		{"Content-Type", "application/x-www-form-urlencoded"},
		{"Accept", "application/json"},
	};
	char form[OAUTH_JWT_MAX + 2048];
	struct herald_http_request req = {
		.size = sizeof(req),
		.method = "POST",
		.url = e->token_url,
		.headers = hdrs,
		.n_headers = sizeof(hdrs) / sizeof(hdrs[0]),
		.body = form,
	};
	int rc = -1;

	if (oauth_form(e, form, sizeof(form)) < 0) {
		log_err("%s OAuth2: cannot build the token request for %s", e->log_prefix,
			e->token_url);
	} else {
		req.body_len = strlen(form);
		rc = http1_request(e->pool, &req, oauth_fetch_done, e) == 0 ? 0 : -1;
	}
	OPENSSL_cleanse(form, sizeof(form));
	if (rc == 0)
		e->fetching = true;
	return rc;
}

/* Fetch now, or once the back-off after a failure ends: 0 or -1. */
static int oauth_fetch_soon(struct oauth_entry *e)
{
	int64_t wait = e->next_fetch_ms - util_mono_ms();
	struct timeval tv;

	if (e->fetching || evtimer_pending(e->backoff, NULL))
		return 0;
	if (wait <= 0)
		return oauth_fetch(e);
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	return evtimer_add(e->backoff, &tv) == 0 ? 0 : -1;
}

static void oauth_backoff_end(evutil_socket_t fd, short what, void *arg)
{
	struct oauth_entry *e = arg;

	(void)fd;
	(void)what;
	if (e->waiters && oauth_fetch(e) < 0)
		oauth_deliver(e, NULL, 0, "cannot start the token request");
}

/* --- handles --------------------------------------------------------------------------- */

/* Hash one field into md, length-prefixed so that fields cannot run into each other. */
static void oauth_id_add(EVP_MD_CTX *md, const void *data, size_t len)
{
	uint64_t n = data ? (uint64_t)len : UINT64_MAX;

	EVP_DigestUpdate(md, &n, sizeof(n));
	if (data)
		EVP_DigestUpdate(md, data, len);
}

static void oauth_id_str(EVP_MD_CTX *md, const char *s)
{
	oauth_id_add(md, s, s ? strlen(s) : 0);
}

/* The credential's identity: 0, or -1. */
static int oauth_id(const struct herald_oauth_config *cfg, const char *ca, unsigned char id[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char fp[32];
	unsigned int len = 0;
	int rc = -1;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	oauth_id_add(md, &cfg->grant, sizeof(cfg->grant));
	oauth_id_str(md, cfg->token_url);
	oauth_id_str(md, cfg->scope);
	oauth_id_str(md, ca);
	if (cfg->grant == HERALD_OAUTH_CLIENT_CREDENTIALS) {
		oauth_id_str(md, cfg->client_id);
		oauth_id_str(md, cfg->client_secret);
	} else {
		if (jws_key_fingerprint(cfg->key, fp) < 0)
			goto out;
		oauth_id_add(md, fp, sizeof(fp));
		oauth_id_str(md, cfg->key_id);
		oauth_id_str(md, cfg->issuer);
		oauth_id_str(md, cfg->audience);
	}
	if (EVP_DigestFinal_ex(md, id, &len) == 1 && len == 32)
		rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Check cfg; NULL or the reason. */
static const char *oauth_config_check(const struct herald_oauth_config *cfg)
{
	if (!cfg->token_url ||
	    (strncmp(cfg->token_url, "https://", 8) != 0 && strncmp(cfg->token_url, "http://", 7)))
		return "token_url must be an https:// (or http://) URL";
	if (cfg->grant == HERALD_OAUTH_CLIENT_CREDENTIALS) {
		if (!cfg->client_id || !*cfg->client_id || !cfg->client_secret ||
		    !*cfg->client_secret)
			return "the client-credentials grant needs client_id and client_secret";
		return NULL;
	}
	if (cfg->grant == HERALD_OAUTH_JWT_BEARER) {
		if (!cfg->key)
			return "the JWT-bearer grant needs a key";
		if (!cfg->issuer || !*cfg->issuer)
			return "the JWT-bearer grant needs an issuer (the service account's "
			       "client_email)";
		return NULL;
	}
	return "unknown grant (want HERALD_OAUTH_CLIENT_CREDENTIALS or HERALD_OAUTH_JWT_BEARER)";
}

static char *oauth_strdup(const char *s, bool *oom)
{
	char *c = s ? strdup(s) : NULL;

	if (s && !c)
		*oom = true;
	return c;
}

static struct oauth_entry *oauth_entry_new(struct oauth_cache *c,
					   const struct herald_oauth_config *cfg, const char *ca,
					   const unsigned char id[32], const char *log_prefix,
					   char *err, size_t err_size)
{
	struct herald_http_pool_config pc = {
		.size = sizeof(pc),
		.version = HERALD_HTTP_1_1,
		.max_connections = 1,
		.max_queued = 1,
		.ca_file = ca,
	};
	struct oauth_entry *e = calloc(1, sizeof(*e));
	bool oom = false;

	if (!e) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	e->cache = c;
	memcpy(e->id, id, 32);
	e->grant = cfg->grant;
	e->tail = &e->waiters;
	snprintf(e->log_prefix, sizeof(e->log_prefix), "%s", log_prefix ? log_prefix : "[oauth]");
	e->token_url = oauth_strdup(cfg->token_url, &oom);
	e->scope = oauth_strdup(cfg->scope, &oom);
	e->client_id = oauth_strdup(cfg->client_id, &oom);
	e->client_secret = oauth_strdup(cfg->client_secret, &oom);
	e->key_id = oauth_strdup(cfg->key_id, &oom);
	e->issuer = oauth_strdup(cfg->issuer, &oom);
	e->audience = oauth_strdup(cfg->audience, &oom);
	if (cfg->key && !(e->key = jws_key_dup(cfg->key)))
		oom = true;
	e->backoff = evtimer_new(c->base, oauth_backoff_end, e);
	if (oom || !e->backoff) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	e->pool = http1_pool_new(c->base, &pc, NULL, e->log_prefix, err, err_size);
	if (!e->pool)
		goto fail;
	e->next = c->entries;
	if (e->next)
		e->next->prev = e;
	c->entries = e;
	return e;
fail:
	oauth_entry_destroy(e);
	return NULL;
}

struct herald_oauth *oauth_new(struct oauth_cache *c, struct herald_app *app,
			       const struct herald_oauth_config *in, const char *default_ca,
			       const char *log_prefix, char *err, size_t err_size)
{
	struct herald_oauth_config cfg = {0};
	struct oauth_entry *e;
	struct herald_oauth *h;
	unsigned char id[32];
	const char *why;

	if (!in || in->size < offsetof(struct herald_oauth_config, ca_file)) {
		snprintf(err, err_size, "OAuth2 configuration missing or too small");
		return NULL;
	}
	memcpy(&cfg, in, in->size < sizeof(cfg) ? in->size : sizeof(cfg));
	if (!cfg.ca_file)
		cfg.ca_file = default_ca;
	if ((why = oauth_config_check(&cfg))) {
		snprintf(err, err_size, "%s", why);
		return NULL;
	}
	if (oauth_id(&cfg, cfg.ca_file, id) < 0) {
		snprintf(err, err_size, "cannot hash the credential");
		return NULL;
	}
	for (e = c->entries; e; e = e->next)
		if (!memcmp(e->id, id, sizeof(id)))
			break;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (!e) {
		/* Its pool checks the CA file. */
		e = oauth_entry_new(c, &cfg, cfg.ca_file, id, log_prefix, err, err_size);
		if (!e) {
			free(h);
			return NULL;
		}
	}
	e->refs++;
	h->e = e;
	h->app = app;
	h->c = c;
	h->next = c->handles;
	if (h->next)
		h->next->prev = h;
	c->handles = h;
	return h;
}

int oauth_token(struct herald_oauth *h, herald_token_fn done, void *arg)
{
	struct oauth_entry *e;
	struct oauth_waiter *w;

	if (!h || !done)
		return HERALD_EINVAL;
	e = h->e;
	if (oauth_fresh(e, util_mono_ms())) {
		done(h->app, arg, e->token, 200, NULL);
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return HERALD_ENOMEM;
	w->h = h;
	w->done = done;
	w->arg = arg;
	*e->tail = w;
	e->tail = &w->next;
	if (oauth_fetch_soon(e) < 0) {
		/* Only this waiter can be here: any other would have a fetch under way. */
		struct oauth_waiter **pp = &e->waiters;

		while (*pp != w)
			pp = &(*pp)->next;
		*pp = NULL;
		e->tail = pp;
		free(w);
		return HERALD_EIO;
	}
	return 0;
}

void oauth_invalidate(struct herald_oauth *h, const char *access_token)
{
	if (h && access_token && h->e->token && !strcmp(h->e->token, access_token))
		oauth_drop_token(h->e);
}

/* Move h's waiters from the list at *pp to *out. */
static void oauth_take_waiters(struct oauth_waiter **pp, struct herald_oauth *h,
			       struct oauth_waiter ***tail, struct oauth_waiter ***out)
{
	while (*pp) {
		struct oauth_waiter *w = *pp;

		if (w->h != h) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->next = NULL;
		**out = w;
		*out = &w->next;
	}
	if (tail)
		*tail = pp;
}

/* Free h; its waiters hear "cancelled" if notify, else nothing. */
static void oauth_handle_free(struct herald_oauth *h, bool notify)
{
	struct oauth_waiter *mine = NULL, **out = &mine, *w;
	struct oauth_entry *e;

	if (!h)
		return;
	e = h->e;
	oauth_take_waiters(&e->waiters, h, &e->tail, &out);
	if (e->batch)
		oauth_take_waiters(e->batch, h, NULL, &out);
	if (h->prev)
		h->prev->next = h->next;
	else
		h->c->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	while ((w = mine)) {
		mine = w->next;
		if (notify)
			w->done(h->app, w->arg, NULL, 0, "cancelled");
		free(w);
	}
	free(h);
	oauth_entry_unref(e);
}

void oauth_free(struct herald_oauth *h)
{
	oauth_handle_free(h, true);
}

unsigned int oauth_release_app(struct oauth_cache *c, struct herald_app *app)
{
	unsigned int n = 0;
	struct herald_oauth *h, *next;

	for (h = c->handles; h; h = next) {
		next = h->next;
		if (h->app == app) {
			oauth_handle_free(h, false);
			n++;
		}
	}
	return n;
}

/* --- the cache ------------------------------------------------------------------------- */

struct oauth_cache *oauth_cache_new(struct event_base *base)
{
	struct oauth_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->base = base;
	return c;
}

void oauth_cache_free(struct oauth_cache *c)
{
	if (!c)
		return;
	if (c->entries)
		log_err("OAuth2 cache freed with %u credential(s) still held by drivers",
			oauth_cache_entries(c));
	while (c->entries)
		oauth_entry_free(c->entries);
	free(c);
}

unsigned int oauth_cache_entries(const struct oauth_cache *c)
{
	unsigned int n = 0;

	for (const struct oauth_entry *e = c->entries; e; e = e->next)
		n++;
	return n;
}
