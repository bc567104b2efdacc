/*
 * The fake heraldd of the driver unit tests; see fakehost.h.  Keys and JWTs
 * are real (OpenSSL), everything else is recorded and scripted.  No threads;
 * file-static state only for log(NULL, ...), which has no app to find its
 * fakehost through (the last one created gets the line).
 */
#include "tests/plugins/fakehost.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct herald_app {
	struct fakehost *fh;
};

struct herald_timer {
	struct fakehost *fh;
	uint64_t due, seq;
	herald_timer_fn fn;
	void *arg;
	struct herald_timer *next;
};

struct herald_http_pool {
	struct fakehost *fh;
	size_t index;
};

struct herald_key {
	struct fakehost *fh;
	EVP_PKEY *pkey;
};

struct herald_oauth {
	struct fakehost *fh;
	bool freed;
	struct herald_oauth *next; /* every handle, freed ones too, until fakehost_free() */
};

struct pending {
	struct herald_http_pool *pool;
	herald_http_done_fn done;
	void *arg;
	struct pending *next;
};

struct scripted {
	int status;
	char *body;
	char **hn, **hv;
	size_t nh;
	char *error;
	int unprocessed;
	struct scripted *next;
};

struct oauth_wait {
	struct herald_oauth *oauth;
	herald_token_fn done;
	void *arg;
	struct oauth_wait *next;
};

struct logline {
	int priority;
	char *text;
};

struct counter {
	char *name;
	int64_t value;
};

struct fakehost {
	struct herald_host host;
	struct herald_app app;

	struct fakehost_request *reqs;
	size_t nreqs;
	struct fakehost_pool *pools;
	struct herald_http_pool **pool_handles;
	size_t npools;
	struct pending *pending, **pending_tail;
	struct scripted *script, **script_tail;
	char *pool_fail;
	int refuse_rc;

	struct herald_timer *timers;
	uint64_t now, timer_seq;

	struct fakehost_outcome *outcomes;
	size_t noutcomes, duplicates;
	struct logline *logs;
	size_t nlogs;
	struct counter *counters;
	size_t ncounters;
	size_t misuses;

	size_t keys_live;
	struct herald_oauth *oauths;
	struct oauth_wait *waits, **waits_tail;
	bool oauth_sync;
	int oauth_status;
	char *oauth_error;
	char **oauth_tokens;
	size_t oauth_ntokens;
	size_t invalidations;
	char *invalidated;
	struct herald_oauth_config oauth_cfg;
	bool have_oauth_cfg;
};

static struct fakehost *last_fakehost; /* for log(NULL, ...) only */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "fakehost: out of memory\n");
		abort();
	}
	return p;
}

static void *xrealloc(void *p, size_t n, size_t size)
{
	p = realloc(p, (n ? n : 1) * size);
	if (!p) {
		fprintf(stderr, "fakehost: out of memory\n");
		abort();
	}
	return p;
}

/* A NUL-terminated copy of len bytes (NULL stays NULL). */
static char *xmemdup(const void *s, size_t len)
{
	char *p;

	if (!s)
		return NULL;
	p = xcalloc(len + 1, 1);
	memcpy(p, s, len);
	return p;
}

static char *xstrdup(const char *s)
{
	return s ? xmemdup(s, strlen(s)) : NULL;
}

static void misuse(struct fakehost *fh, const char *what)
{
	fh->misuses++;
	fprintf(stderr, "fakehost: host contract breached: %s\n", what);
}

/* --- log, timers, counters, send_done ------------------------------------------------------ */

static void fh_log(struct herald_app *app, int priority, const char *fmt, ...)
{
	struct fakehost *fh = app ? app->fh : last_fakehost;
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (getenv("FAKEHOST_VERBOSE"))
		fprintf(stderr, "fakehost log <%d> %s\n", priority, line);
	if (!fh)
		return;
	fh->logs = xrealloc(fh->logs, fh->nlogs + 1, sizeof(*fh->logs));
	fh->logs[fh->nlogs++] = (struct logline){.priority = priority, .text = xstrdup(line)};
}

static struct herald_timer *fh_timer_add(struct herald_app *app, uint64_t after_ms,
					 herald_timer_fn fn, void *arg)
{
	struct fakehost *fh = app->fh;
	struct herald_timer *t = xcalloc(1, sizeof(*t));

	*t = (struct herald_timer){.fh = fh,
				   .due = fh->now + after_ms,
				   .seq = fh->timer_seq++,
				   .fn = fn,
				   .arg = arg,
				   .next = fh->timers};
	fh->timers = t;
	return t;
}

static void fh_timer_cancel(struct herald_app *app, struct herald_timer *timer)
{
	struct fakehost *fh = app->fh;

	for (struct herald_timer **pp = &fh->timers; *pp; pp = &(*pp)->next)
		if (*pp == timer) {
			*pp = timer->next;
			free(timer);
			return;
		}
	misuse(fh, "timer_cancel() of a timer that is not pending");
}

static void fh_counter_add(struct herald_app *app, const char *name, int64_t delta)
{
	struct fakehost *fh = app->fh;
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > HERALD_COUNTER_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != len) {
		misuse(fh, "counter name not [a-z0-9_]{1,48}");
		return;
	}
	for (size_t i = 0; i < fh->ncounters; i++)
		if (!strcmp(fh->counters[i].name, name)) {
			fh->counters[i].value += delta;
			return;
		}
	fh->counters = xrealloc(fh->counters, fh->ncounters + 1, sizeof(*fh->counters));
	fh->counters[fh->ncounters++] = (struct counter){.name = xstrdup(name), .value = delta};
}

static void fh_send_done(struct herald_app *app, uint64_t id, const struct herald_outcome *o)
{
	struct fakehost *fh = app->fh;
	struct fakehost_outcome *r;

	if (!o || o->size < HERALD_OUTCOME_SIZE_1_0) {
		misuse(fh, "send_done() with a malformed outcome table");
		return;
	}
	if (fakehost_outcome(fh, id)) {
		fh->duplicates++;
		return;
	}
	fh->outcomes = xrealloc(fh->outcomes, fh->noutcomes + 1, sizeof(*fh->outcomes));
	r = &fh->outcomes[fh->noutcomes++];
	*r = (struct fakehost_outcome){
		.id = id,
		.kind = o->kind,
		.invalid_since_ms = o->invalid_since_ms,
		.canonical_token = xstrdup(o->canonical_token),
		.retry_after_ms = o->retry_after_ms,
		.status = o->status,
		.response = xmemdup(o->response, o->response ? o->response_len : 0),
		.response_len = o->response ? o->response_len : 0,
		.size = o->size,
	};
}

/* --- HTTP ---------------------------------------------------------------------------------- */

static struct herald_http_pool *fh_pool_new(struct herald_app *app,
					    const struct herald_http_pool_config *cfg, char *err,
					    size_t err_size)
{
	struct fakehost *fh = app->fh;
	struct fakehost_pool *p;
	struct herald_http_pool *h;

	if (fh->pool_fail) {
		snprintf(err, err_size, "%s", fh->pool_fail);
		free(fh->pool_fail);
		fh->pool_fail = NULL;
		return NULL;
	}
	if (cfg->version != HERALD_HTTP_1_1 && cfg->version != HERALD_HTTP_2) {
		snprintf(err, err_size, "unknown HTTP version %d", cfg->version);
		return NULL;
	}
	if (cfg->version == HERALD_HTTP_2 && (!cfg->origin || strncmp(cfg->origin, "https://", 8) ||
					      !cfg->origin[8] || strchr(cfg->origin + 8, '/'))) {
		snprintf(err, err_size, "bad origin (want https://host[:port])");
		return NULL;
	}
	if (!cfg->client_cert != !cfg->client_key) {
		snprintf(err, err_size,
			 "a client certificate needs its key, and a key its certificate");
		return NULL;
	}
	fh->pools = xrealloc(fh->pools, fh->npools + 1, sizeof(*fh->pools));
	fh->pool_handles = xrealloc(fh->pool_handles, fh->npools + 1, sizeof(*fh->pool_handles));
	p = &fh->pools[fh->npools];
	*p = (struct fakehost_pool){
		.version = cfg->version,
		.origin = xstrdup(cfg->origin),
		.ca_file = xstrdup(cfg->ca_file),
		.client_cert = xmemdup(cfg->client_cert, cfg->client_cert_len),
		.client_cert_len = cfg->client_cert ? cfg->client_cert_len : 0,
		.client_key = xmemdup(cfg->client_key, cfg->client_key_len),
		.client_key_len = cfg->client_key ? cfg->client_key_len : 0,
		.max_connections = cfg->max_connections,
		.max_streams = cfg->max_streams,
		.max_queued = cfg->max_queued,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.request_timeout_ms = cfg->request_timeout_ms,
		.ping_interval_ms = cfg->ping_interval_ms,
	};
	h = xcalloc(1, sizeof(*h));
	*h = (struct herald_http_pool){.fh = fh, .index = fh->npools};
	fh->pool_handles[fh->npools++] = h;
	return h;
}

static int fh_request(struct herald_http_pool *pool, const struct herald_http_request *req,
		      herald_http_done_fn done, void *arg)
{
	struct fakehost *fh = pool->fh;
	struct fakehost_pool *p = &fh->pools[pool->index];
	struct fakehost_request *r;
	struct pending *pd;

	if (p->freed) {
		misuse(fh, "http_request() on a freed pool");
		return HERALD_EINVAL;
	}
	if (!req || !req->method || !req->url || !done)
		return HERALD_EINVAL;
	if (p->version == HERALD_HTTP_2) {
		size_t n = strlen(p->origin);

		if (strncmp(req->url, p->origin, n) || req->url[n] != '/')
			return HERALD_EINVAL;
	}
	for (size_t i = 0; i < req->n_headers; i++) {
		const char *name = req->headers[i].name;

		if (!name || !req->headers[i].value || name[0] == ':' ||
		    !strcasecmp(name, "host") || !strcasecmp(name, "content-length")) {
			misuse(fh, "http_request() with a forbidden or NULL header");
			return HERALD_EINVAL;
		}
	}
	if (fh->refuse_rc)
		return fh->refuse_rc;
	fh->reqs = xrealloc(fh->reqs, fh->nreqs + 1, sizeof(*fh->reqs));
	r = &fh->reqs[fh->nreqs++];
	*r = (struct fakehost_request){
		.pool = (int)pool->index,
		.method = xstrdup(req->method),
		.url = xstrdup(req->url),
		.hnames = xcalloc(req->n_headers, sizeof(char *)),
		.hvalues = xcalloc(req->n_headers, sizeof(char *)),
		.n_headers = req->n_headers,
		.body = xmemdup(req->body ? req->body : "", req->body ? req->body_len : 0),
		.body_len = req->body ? req->body_len : 0,
		.timeout_ms = req->timeout_ms,
	};
	for (size_t i = 0; i < req->n_headers; i++) {
		r->hnames[i] = xstrdup(req->headers[i].name);
		r->hvalues[i] = xstrdup(req->headers[i].value);
	}
	pd = xcalloc(1, sizeof(*pd));
	*pd = (struct pending){.pool = pool, .done = done, .arg = arg};
	*fh->pending_tail = pd;
	fh->pending_tail = &pd->next;
	return 0;
}

static void answer(struct fakehost *fh, struct pending *pd, const struct scripted *s)
{
	struct herald_http_header *hs = xcalloc(s->nh, sizeof(*hs));
	struct herald_http_response res = {
		.size = sizeof(res),
		.status = s->status,
		.headers = hs,
		.n_headers = s->nh,
		.body = (const unsigned char *)(s->body ? s->body : ""),
		.body_len = s->body ? strlen(s->body) : 0,
		.error = s->status ? NULL : s->error,
		.unprocessed = s->unprocessed,
	};

	for (size_t i = 0; i < s->nh; i++)
		hs[i] = (struct herald_http_header){.name = s->hn[i], .value = s->hv[i]};
	pd->done(&fh->app, pd->arg, &res);
	free(hs);
}

static void fh_pool_free(struct herald_http_pool *pool)
{
	struct fakehost *fh;
	struct scripted cancelled = {.status = 0, .error = "cancelled", .unprocessed = 1};
	struct pending **pp;

	if (!pool)
		return;
	fh = pool->fh;
	if (fh->pools[pool->index].freed) {
		misuse(fh, "http_pool_free() twice");
		return;
	}
	fh->pools[pool->index].freed = true;
	pp = &fh->pending;
	while (*pp) {
		struct pending *pd = *pp;

		if (pd->pool != pool) {
			pp = &pd->next;
			continue;
		}
		*pp = pd->next;
		if (fh->pending_tail == &pd->next)
			fh->pending_tail = pp;
		answer(fh, pd, &cancelled);
		free(pd);
		pp = &fh->pending; /* the callback may have changed the list */
	}
}

static void script_push(struct fakehost *fh, struct scripted *s)
{
	*fh->script_tail = s;
	fh->script_tail = &s->next;
}

void fakehost_respond(struct fakehost *fh, int status, const char *body, ...)
{
	struct scripted *s = xcalloc(1, sizeof(*s));
	const char *name;
	va_list ap;

	s->status = status;
	s->body = xstrdup(body);
	va_start(ap, body);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);

		s->hn = xrealloc(s->hn, s->nh + 1, sizeof(char *));
		s->hv = xrealloc(s->hv, s->nh + 1, sizeof(char *));
		s->hn[s->nh] = xstrdup(name);
		s->hv[s->nh++] = xstrdup(value);
	}
	va_end(ap);
	script_push(fh, s);
}

void fakehost_fail(struct fakehost *fh, const char *error, int unprocessed)
{
	struct scripted *s = xcalloc(1, sizeof(*s));

	s->error = xstrdup(error);
	s->unprocessed = unprocessed;
	script_push(fh, s);
}

static void scripted_free(struct scripted *s)
{
	for (size_t i = 0; i < s->nh; i++) {
		free(s->hn[i]);
		free(s->hv[i]);
	}
	free(s->hn);
	free(s->hv);
	free(s->body);
	free(s->error);
	free(s);
}

static void deliver_token(struct fakehost *fh, herald_token_fn done, void *arg);

int fakehost_run(struct fakehost *fh)
{
	int n = 0;

	for (;;) {
		struct pending *pd;
		struct scripted *s;

		while (fh->waits) {
			struct oauth_wait *w = fh->waits;

			fh->waits = w->next;
			if (!fh->waits)
				fh->waits_tail = &fh->waits;
			deliver_token(fh, w->done, w->arg);
			free(w);
		}
		if (!fh->pending || !fh->script)
			break;
		pd = fh->pending;
		fh->pending = pd->next;
		if (!fh->pending)
			fh->pending_tail = &fh->pending;
		s = fh->script;
		fh->script = s->next;
		if (!fh->script)
			fh->script_tail = &fh->script;
		answer(fh, pd, s);
		free(pd);
		scripted_free(s);
		n++;
	}
	return n;
}

size_t fakehost_pending(struct fakehost *fh)
{
	size_t n = 0;

	for (struct pending *pd = fh->pending; pd; pd = pd->next)
		n++;
	return n;
}

void fakehost_pool_fail(struct fakehost *fh, const char *error)
{
	free(fh->pool_fail);
	fh->pool_fail = xstrdup(error);
}

void fakehost_request_refuse(struct fakehost *fh, int rc)
{
	fh->refuse_rc = rc;
}

size_t fakehost_nrequests(struct fakehost *fh)
{
	return fh->nreqs;
}

const struct fakehost_request *fakehost_request(struct fakehost *fh, size_t i)
{
	return i < fh->nreqs ? &fh->reqs[i] : NULL;
}

const char *fakehost_header(const struct fakehost_request *req, const char *name)
{
	for (size_t i = 0; req && i < req->n_headers; i++)
		if (!strcasecmp(req->hnames[i], name))
			return req->hvalues[i];
	return NULL;
}

int fakehost_header_count(const struct fakehost_request *req, const char *name)
{
	int n = 0;

	for (size_t i = 0; req && i < req->n_headers; i++)
		n += !strcasecmp(req->hnames[i], name);
	return n;
}

size_t fakehost_npools(struct fakehost *fh)
{
	return fh->npools;
}

const struct fakehost_pool *fakehost_pool(struct fakehost *fh, size_t i)
{
	return i < fh->npools ? &fh->pools[i] : NULL;
}

size_t fakehost_pools_live(struct fakehost *fh)
{
	size_t n = 0;

	for (size_t i = 0; i < fh->npools; i++)
		n += !fh->pools[i].freed;
	return n;
}

/* --- timers -------------------------------------------------------------------------------- */

void fakehost_advance(struct fakehost *fh, uint64_t ms)
{
	uint64_t target = fh->now + ms;

	for (;;) {
		struct herald_timer **best = NULL;

		for (struct herald_timer **pp = &fh->timers; *pp; pp = &(*pp)->next)
			if ((*pp)->due <= target &&
			    (!best || (*pp)->due < (*best)->due ||
			     ((*pp)->due == (*best)->due && (*pp)->seq < (*best)->seq)))
				best = pp;
		if (!best)
			break;
		struct herald_timer *t = *best;

		*best = t->next;
		fh->now = t->due;
		t->fn(&fh->app, t->arg);
		free(t);
	}
	fh->now = target;
}

uint64_t fakehost_now(struct fakehost *fh)
{
	return fh->now;
}

size_t fakehost_timers_pending(struct fakehost *fh)
{
	size_t n = 0;

	for (struct herald_timer *t = fh->timers; t; t = t->next)
		n++;
	return n;
}

int64_t fakehost_next_timer(struct fakehost *fh)
{
	int64_t next = -1;

	for (struct herald_timer *t = fh->timers; t; t = t->next)
		if (next < 0 || (int64_t)(t->due - fh->now) < next)
			next = (int64_t)(t->due - fh->now);
	return next;
}

/* --- outcomes, logs, counters -------------------------------------------------------------- */

const struct fakehost_outcome *fakehost_outcome(struct fakehost *fh, uint64_t id)
{
	for (size_t i = 0; i < fh->noutcomes; i++)
		if (fh->outcomes[i].id == id)
			return &fh->outcomes[i];
	return NULL;
}

size_t fakehost_noutcomes(struct fakehost *fh)
{
	return fh->noutcomes;
}

size_t fakehost_duplicates(struct fakehost *fh)
{
	return fh->duplicates;
}

bool fakehost_logged(struct fakehost *fh, int max_priority, const char *needle)
{
	for (size_t i = 0; i < fh->nlogs; i++)
		if (fh->logs[i].priority <= max_priority && strstr(fh->logs[i].text, needle))
			return true;
	return false;
}

bool fakehost_log_contains(struct fakehost *fh, const char *needle)
{
	return fakehost_logged(fh, HERALD_LOG_DEBUG, needle);
}

size_t fakehost_nlogs(struct fakehost *fh)
{
	return fh->nlogs;
}

const char *fakehost_log_line(struct fakehost *fh, size_t i)
{
	return i < fh->nlogs ? fh->logs[i].text : NULL;
}

int64_t fakehost_counter(struct fakehost *fh, const char *name)
{
	for (size_t i = 0; i < fh->ncounters; i++)
		if (!strcmp(fh->counters[i].name, name))
			return fh->counters[i].value;
	return 0;
}

size_t fakehost_misuses(struct fakehost *fh)
{
	return fh->misuses;
}

/* --- keys and JWT -------------------------------------------------------------------------- */

static const char b64url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of in into out (NUL-terminated); its length, or -1 if too small. */
static long b64url_encode(const unsigned char *in, size_t len, char *out, size_t out_size)
{
	size_t need = (len * 4 + 2) / 3, o = 0;

	if (need + 1 > out_size)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64url_chars[(v >> 18) & 63];
		out[o++] = b64url_chars[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = b64url_chars[(v >> 6) & 63];
		if (i + 2 < len)
			out[o++] = b64url_chars[v & 63];
	}
	out[o] = '\0';
	return (long)o;
}

/* Decode len base64url characters (no padding) into a malloc'ed buffer; NULL if malformed. */
static unsigned char *b64url_decode(const char *in, size_t len, size_t *out_len)
{
	unsigned char *out = xcalloc(len * 3 / 4 + 3, 1);
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	if (len % 4 == 1) {
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		const char *c = memchr(b64url_chars, in[i], 64);

		if (!c || !in[i]) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)(c - b64url_chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	*out_len = o;
	return out;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static EVP_PKEY *pem_private_key(const void *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey;

	if (!bio)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	return pkey;
}

/* "ES256", "RS256" or NULL when the key is neither a P-256 EC key nor an RSA key of 2048+ bits. */
static const char *key_alg(EVP_PKEY *pkey)
{
	char group[64];

	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL) ||
		    strcmp(group, "prime256v1"))
			return NULL;
		return "ES256";
	}
	if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= 2048)
		return "RS256";
	return NULL;
}

static struct herald_key *fh_key_load(struct herald_app *app, const void *pem, size_t pem_len,
				      char *err, size_t err_size)
{
	struct fakehost *fh = app->fh;
	EVP_PKEY *pkey = pem ? pem_private_key(pem, pem_len) : NULL;
	struct herald_key *k;

	if (!pkey) {
		snprintf(err, err_size, "not a PEM private key");
		return NULL;
	}
	if (!key_alg(pkey)) {
		snprintf(err, err_size, "the key is neither EC P-256 nor RSA of 2048 bits or more");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	*k = (struct herald_key){.fh = fh, .pkey = pkey};
	fh->keys_live++;
	return k;
}

static void fh_key_free(struct herald_key *key)
{
	if (!key)
		return;
	key->fh->keys_live--;
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* The "alg" of a JWS header text, malloc'ed, or NULL. */
static char *header_alg(const char *header_json, size_t len)
{
	json_t *h = json_loadb(header_json, len, 0, NULL);
	const char *alg = json_string_value(json_object_get(h, "alg"));
	char *copy = xstrdup(alg);

	json_decref(h);
	return copy;
}

static int fh_jwt_sign(const struct herald_key *key, const char *header_json,
		       const char *claims_json, char *out, size_t out_size)
{
	char *alg = header_alg(header_json, strlen(header_json));
	const char *want = key_alg(key->pkey);
	EVP_MD_CTX *md = NULL;
	unsigned char der[512], raw[64];
	const unsigned char *sig = der, *p = der;
	size_t der_len = sizeof(der), sig_len, o;
	ECDSA_SIG *es = NULL;
	long n;
	int rc = HERALD_EINVAL;

	if (!alg || !want || strcmp(alg, want))
		goto out;
	n = b64url_encode((const unsigned char *)header_json, strlen(header_json), out, out_size);
	if (n < 0 || (size_t)n + 1 >= out_size)
		goto out;
	o = (size_t)n;
	out[o++] = '.';
	n = b64url_encode((const unsigned char *)claims_json, strlen(claims_json), out + o,
			  out_size - o);
	if (n < 0)
		goto out;
	o += (size_t)n;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(md, der, &der_len, (const unsigned char *)out, o) != 1)
		goto out;
	sig_len = der_len;
	if (!strcmp(alg, "ES256")) {
		const BIGNUM *r, *s;

		es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
		if (!es)
			goto out;
		ECDSA_SIG_get0(es, &r, &s);
		if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
			goto out;
		sig = raw;
		sig_len = 64;
	}
	if (o + 1 >= out_size)
		goto out;
	out[o++] = '.';
	n = b64url_encode(sig, sig_len, out + o, out_size - o);
	if (n < 0)
		goto out;
	rc = (int)(o + (size_t)n);
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	free(alg);
	return rc;
}

int fakehost_jwt_verify(const char *jwt, const char *key_pem, char **header, char **claims)
{
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	unsigned char *h = NULL, *c = NULL, *sig = NULL, *der = NULL;
	size_t hl, cl, sl;
	char *alg = NULL;
	EVP_PKEY *pkey = pem_private_key(key_pem, strlen(key_pem));
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	int rc = -1, der_len;

	if (!pkey || !d2 || strchr(d2 + 1, '.'))
		goto out;
	h = b64url_decode(jwt, (size_t)(d1 - jwt), &hl);
	c = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
	sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
	if (!h || !c || !sig)
		goto out;
	alg = header_alg((const char *)h, hl);
	if (!alg || !key_alg(pkey) || strcmp(alg, key_alg(pkey)))
		goto out;
	if (!strcmp(alg, "ES256")) {
		unsigned char *q;

		if (sl != 64)
			goto out;
		es = ECDSA_SIG_new();
		if (!es ||
		    !ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)))
			goto out;
		der_len = i2d_ECDSA_SIG(es, NULL);
		if (der_len <= 0)
			goto out;
		der = xcalloc((size_t)der_len, 1);
		q = der;
		i2d_ECDSA_SIG(es, &q);
		free(sig);
		sig = der;
		der = NULL;
		sl = (size_t)der_len;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestVerify(md, sig, sl, (const unsigned char *)jwt, (size_t)(d2 - jwt)) != 1)
		goto out;
	if (header)
		*header = xmemdup(h, hl);
	if (claims)
		*claims = xmemdup(c, cl);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(pkey);
	free(alg);
	free(h);
	free(c);
	free(sig);
	free(der);
	return rc;
}

size_t fakehost_keys_live(struct fakehost *fh)
{
	return fh->keys_live;
}

/* --- OAuth2 -------------------------------------------------------------------------------- */

static void oauth_cfg_clear(struct herald_oauth_config *c)
{
	free((char *)c->token_url);
	free((char *)c->scope);
	free((char *)c->client_id);
	free((char *)c->client_secret);
	free((char *)c->key_id);
	free((char *)c->issuer);
	free((char *)c->audience);
	free((char *)c->ca_file);
	memset(c, 0, sizeof(*c));
}

static struct herald_oauth *fh_oauth_new(struct herald_app *app,
					 const struct herald_oauth_config *cfg, char *err,
					 size_t err_size)
{
	struct fakehost *fh = app->fh;
	struct herald_oauth *o;

	if (!cfg->token_url ||
	    (cfg->grant == HERALD_OAUTH_JWT_BEARER && (!cfg->key || !cfg->issuer)) ||
	    (cfg->grant == HERALD_OAUTH_CLIENT_CREDENTIALS &&
	     (!cfg->client_id || !cfg->client_secret)) ||
	    (cfg->grant != HERALD_OAUTH_JWT_BEARER &&
	     cfg->grant != HERALD_OAUTH_CLIENT_CREDENTIALS)) {
		snprintf(err, err_size, "incomplete OAuth2 configuration");
		return NULL;
	}
	oauth_cfg_clear(&fh->oauth_cfg);
	fh->oauth_cfg = (struct herald_oauth_config){
		.size = sizeof(fh->oauth_cfg),
		.grant = cfg->grant,
		.token_url = xstrdup(cfg->token_url),
		.scope = xstrdup(cfg->scope),
		.client_id = xstrdup(cfg->client_id),
		.client_secret = xstrdup(cfg->client_secret),
		.key = cfg->key, /* compared with NULL only: borrowed for oauth_new() */
		.key_id = xstrdup(cfg->key_id),
		.issuer = xstrdup(cfg->issuer),
		.audience = xstrdup(cfg->audience),
		.ca_file = xstrdup(cfg->ca_file),
	};
	fh->have_oauth_cfg = true;
	o = xcalloc(1, sizeof(*o));
	*o = (struct herald_oauth){.fh = fh, .next = fh->oauths};
	fh->oauths = o;
	return o;
}

static void deliver_token(struct fakehost *fh, herald_token_fn done, void *arg)
{
	if (!fh->oauth_ntokens) {
		done(&fh->app, arg, NULL, fh->oauth_status, fh->oauth_error);
		return;
	}
	size_t i =
		fh->invalidations < fh->oauth_ntokens ? fh->invalidations : fh->oauth_ntokens - 1;

	done(&fh->app, arg, fh->oauth_tokens[i], 200, NULL);
}

static int fh_oauth_token(struct herald_oauth *oauth, herald_token_fn done, void *arg)
{
	struct fakehost *fh = oauth->fh;
	struct oauth_wait *w;

	if (oauth->freed) {
		misuse(fh, "oauth_token() on a freed handle");
		return HERALD_EINVAL;
	}
	if (fh->oauth_sync) {
		deliver_token(fh, done, arg);
		return 0;
	}
	w = xcalloc(1, sizeof(*w));
	*w = (struct oauth_wait){.oauth = oauth, .done = done, .arg = arg};
	*fh->waits_tail = w;
	fh->waits_tail = &w->next;
	return 0;
}

static void fh_oauth_invalidate(struct herald_oauth *oauth, const char *access_token)
{
	struct fakehost *fh = oauth->fh;

	if (oauth->freed) {
		misuse(fh, "oauth_invalidate() on a freed handle");
		return;
	}
	fh->invalidations++;
	free(fh->invalidated);
	fh->invalidated = xstrdup(access_token);
}

static void fh_oauth_free(struct herald_oauth *oauth)
{
	struct fakehost *fh;
	struct oauth_wait **pp;

	if (!oauth)
		return;
	fh = oauth->fh;
	if (oauth->freed) {
		misuse(fh, "oauth_free() twice");
		return;
	}
	oauth->freed = true;
	pp = &fh->waits;
	while (*pp) {
		struct oauth_wait *w = *pp;

		if (w->oauth != oauth) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (fh->waits_tail == &w->next)
			fh->waits_tail = pp;
		w->done(&fh->app, w->arg, NULL, 0, "cancelled");
		free(w);
		pp = &fh->waits;
	}
}

void fakehost_oauth(struct fakehost *fh, bool sync, int status, const char *error, ...)
{
	const char *t;
	va_list ap;

	for (size_t i = 0; i < fh->oauth_ntokens; i++)
		free(fh->oauth_tokens[i]);
	free(fh->oauth_tokens);
	fh->oauth_tokens = NULL;
	fh->oauth_ntokens = 0;
	free(fh->oauth_error);
	fh->oauth_error = xstrdup(error);
	fh->oauth_status = status;
	fh->oauth_sync = sync;
	va_start(ap, error);
	while ((t = va_arg(ap, const char *))) {
		fh->oauth_tokens =
			xrealloc(fh->oauth_tokens, fh->oauth_ntokens + 1, sizeof(char *));
		fh->oauth_tokens[fh->oauth_ntokens++] = xstrdup(t);
	}
	va_end(ap);
}

const struct herald_oauth_config *fakehost_oauth_config(struct fakehost *fh)
{
	return fh->have_oauth_cfg ? &fh->oauth_cfg : NULL;
}

size_t fakehost_oauth_invalidations(struct fakehost *fh)
{
	return fh->invalidations;
}

const char *fakehost_oauth_invalidated(struct fakehost *fh)
{
	return fh->invalidated;
}

size_t fakehost_oauth_live(struct fakehost *fh)
{
	size_t n = 0;

	for (struct herald_oauth *o = fh->oauths; o; o = o->next)
		n += !o->freed;
	return n;
}

/* --- the fakehost -------------------------------------------------------------------------- */

struct fakehost *fakehost_new(void)
{
	struct fakehost *fh = calloc(1, sizeof(*fh));

	if (!fh)
		return NULL;
	fh->host = (struct herald_host){
		.size = sizeof(struct herald_host),
		.abi_major = HERALD_DRIVER_ABI_MAJOR,
		.abi_minor = HERALD_DRIVER_ABI_MINOR,
		.log = fh_log,
		.timer_add = fh_timer_add,
		.timer_cancel = fh_timer_cancel,
		.counter_add = fh_counter_add,
		.send_done = fh_send_done,
		.http_pool_new = fh_pool_new,
		.http_request = fh_request,
		.http_pool_free = fh_pool_free,
		.key_load = fh_key_load,
		.key_free = fh_key_free,
		.jwt_sign = fh_jwt_sign,
		.oauth_new = fh_oauth_new,
		.oauth_token = fh_oauth_token,
		.oauth_invalidate = fh_oauth_invalidate,
		.oauth_free = fh_oauth_free,
	};
	fh->app.fh = fh;
	fh->pending_tail = &fh->pending;
	fh->script_tail = &fh->script;
	fh->waits_tail = &fh->waits;
	fakehost_oauth(fh, true, 0, NULL, "ya29.fake", NULL);
	last_fakehost = fh;
	return fh;
}

struct herald_host *fakehost_host(struct fakehost *fh)
{
	return &fh->host;
}

struct herald_app *fakehost_app(struct fakehost *fh)
{
	return &fh->app;
}

void fakehost_free(struct fakehost *fh)
{
	if (!fh)
		return;
	if (last_fakehost == fh)
		last_fakehost = NULL;
	while (fh->timers) {
		struct herald_timer *t = fh->timers;

		fh->timers = t->next;
		free(t);
	}
	while (fh->pending) {
		struct pending *pd = fh->pending;

		fh->pending = pd->next;
		free(pd);
	}
	while (fh->script) {
		struct scripted *s = fh->script;

		fh->script = s->next;
		scripted_free(s);
	}
	while (fh->waits) {
		struct oauth_wait *w = fh->waits;

		fh->waits = w->next;
		free(w);
	}
	while (fh->oauths) {
		struct herald_oauth *o = fh->oauths;

		fh->oauths = o->next;
		free(o);
	}
	for (size_t i = 0; i < fh->nreqs; i++) {
		struct fakehost_request *r = &fh->reqs[i];

		for (size_t j = 0; j < r->n_headers; j++) {
			free(r->hnames[j]);
			free(r->hvalues[j]);
		}
		free(r->hnames);
		free(r->hvalues);
		free(r->method);
		free(r->url);
		free(r->body);
	}
	free(fh->reqs);
	for (size_t i = 0; i < fh->npools; i++) {
		free(fh->pools[i].origin);
		free(fh->pools[i].ca_file);
		free(fh->pools[i].client_cert);
		free(fh->pools[i].client_key);
		free(fh->pool_handles[i]);
	}
	free(fh->pools);
	free(fh->pool_handles);
	free(fh->pool_fail);
	for (size_t i = 0; i < fh->noutcomes; i++) {
		free(fh->outcomes[i].canonical_token);
		free(fh->outcomes[i].response);
	}
	free(fh->outcomes);
	for (size_t i = 0; i < fh->nlogs; i++)
		free(fh->logs[i].text);
	free(fh->logs);
	for (size_t i = 0; i < fh->ncounters; i++)
		free(fh->counters[i].name);
	free(fh->counters);
	for (size_t i = 0; i < fh->oauth_ntokens; i++)
		free(fh->oauth_tokens[i]);
	free(fh->oauth_tokens);
	free(fh->oauth_error);
	free(fh->invalidated);
	oauth_cfg_clear(&fh->oauth_cfg);
	free(fh);
}
