/*
 * The plugin host; see plugin.h for generations and content-addressed copies.
 *
 * Nothing a driver hands back is trusted: the descriptor is checked field by
 * field (strings read with a bound), send ids are (slot, sequence) pairs so a
 * second or stale completion is recognised and ignored rather than touching
 * another send, and every outcome is normalised before the caller sees it.
 *
 * Memory: a generation owns its drivers and apps; an app owns its send slots,
 * timers and counters.  Threading: the event-loop thread only.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "broker/hostsvc.h"
#include "broker/oauth.h"
#include "broker/plugin.h"
#include "common/log.h"
#include "common/paths.h"

#define PLUGIN_FILE_MAX	    (64u << 20) /* bytes of one driver file */
#define PLUGIN_DRIVERS_MAX  64u		/* drivers in one generation */
#define PLUGIN_SLOTS_MAX    (1u << 20)	/* sends in flight per app */
#define PLUGIN_RESPONSE_MAX 65536u	/* bytes of provider response passed on */
#define PLUGIN_TOKEN_MAX    4096u
#define PLUGIN_TIMEOUT_DEF  120000u
#define PLUGIN_SLOT_NONE    UINT32_MAX

const char *const plugin_platforms[] = {"APNS",	 "APNS_SANDBOX", "GCM", "ADM",
					"BAIDU", "MPNS",	 "WNS", NULL};

struct plugin_driver {
	struct plugin_gen *gen;
	struct plugin_driver *next;
	char *file; /* as found in the driver directory */
	char *copy; /* the private copy dlopen()ed */
	char sha256[65];
	void *dl;
	const struct herald_driver *desc;
};

struct plugin_send {
	struct herald_app *app;
	uint32_t idx; /* in app->slots */
	uint32_t seq; /* of the current use; 0 before the first */
	uint32_t next_free;
	bool busy;
	plugin_done_fn done;
	void *arg;
	struct event *deadline;
};

struct plugin_counter {
	struct plugin_counter *next;
	int64_t value;
	char name[HERALD_COUNTER_NAME_MAX + 1];
};

struct herald_timer {
	struct herald_timer *prev, *next;
	struct herald_app *app;
	struct event *ev;
	herald_timer_fn fn;
	void *arg;
};

struct herald_app {
	struct plugin_gen *gen;
	struct plugin_driver *drv;
	struct herald_app *next;
	char *name, *arn;
	void *instance;
	bool draining;
	struct plugin_send **slots;
	uint32_t n_slots, free_slot;
	unsigned int in_flight;
	struct herald_timer *timers;
	struct plugin_counter *counters;
};

struct plugin_gen {
	struct plugin_host *host;
	struct plugin_gen *next; /* in host->gens */
	unsigned int id;
	unsigned int refs;
	bool retired;
	struct event *ev_free; /* frees the generation from a fresh loop iteration */
	struct plugin_driver *drivers;
	struct herald_app *apps;
};

struct plugin_host {
	struct event_base *base;
	char *copy_dir;
	json_t *driver_options; /* {"driver": {"key": "value"}} */
	char *ca_file;
	struct oauth_cache *oauth; /* OAuth2 tokens shared by every app */
	unsigned int send_timeout_ms;
	unsigned int next_id;
	struct plugin_gen *current;
	struct plugin_gen *gens; /* every live generation */
};

static void plugin_gen_unref(struct plugin_gen *g);

/* --- host services given to drivers ---------------------------------------------------- */

static void plugin_svc_log(struct herald_app *app, int priority, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (priority < HERALD_LOG_ERR)
		priority = HERALD_LOG_ERR; /* a driver does not get to page anyone */
	if (priority > HERALD_LOG_DEBUG)
		priority = HERALD_LOG_DEBUG;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (app)
		log_msg(priority, "[%s/%s] %s", app->drv->desc->name, app->name, text);
	else
		log_msg(priority, "[driver] %s", text);
}

/* Take t out of its app's list. */
static void plugin_timer_unlink(struct herald_timer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		t->app->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

static void plugin_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct herald_timer *t = arg;
	struct herald_app *app = t->app;

	(void)fd;
	(void)what;
	plugin_timer_unlink(t);
	/* Unlinked and ownerless: a timer_cancel() of it from fn is refused, not a double free. */
	t->app = NULL;
	t->fn(app, t->arg);
	event_free(t->ev);
	free(t);
}

static struct herald_timer *plugin_svc_timer_add(struct herald_app *app, uint64_t after_ms,
						 herald_timer_fn fn, void *arg)
{
	struct herald_timer *t;
	struct timeval tv;

	if (!app || !fn)
		return NULL;
	if (after_ms > 86400000ull * 30)
		after_ms = 86400000ull * 30;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ev = evtimer_new(app->gen->host->base, plugin_timer_fire, t);
	tv.tv_sec = (time_t)(after_ms / 1000);
	tv.tv_usec = (suseconds_t)(after_ms % 1000) * 1000;
	if (!t->ev || evtimer_add(t->ev, &tv) < 0) {
		if (t->ev)
			event_free(t->ev);
		free(t);
		return NULL;
	}
	t->app = app;
	t->fn = fn;
	t->arg = arg;
	t->next = app->timers;
	if (t->next)
		t->next->prev = t;
	app->timers = t;
	return t;
}

static void plugin_timer_free(struct herald_timer *t)
{
	plugin_timer_unlink(t);
	event_free(t->ev);
	free(t);
}

static void plugin_svc_timer_cancel(struct herald_app *app, struct herald_timer *t)
{
	if (!t)
		return;
	if (t->app != app) {
		plugin_svc_log(app, HERALD_LOG_ERR,
			       "timer_cancel of a timer that fired or is not this app's: ignored");
		return;
	}
	plugin_timer_free(t);
}

static bool plugin_counter_name_ok(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strnlen(name, HERALD_COUNTER_NAME_MAX + 1);
	return n > 0 && n <= HERALD_COUNTER_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static void plugin_svc_counter_add(struct herald_app *app, const char *name, int64_t delta)
{
	struct plugin_counter *c;

	if (!app)
		return;
	if (!plugin_counter_name_ok(name)) {
		plugin_svc_log(app, HERALD_LOG_WARNING, "counter_add: bad counter name ignored");
		return;
	}
	for (c = app->counters; c; c = c->next)
		if (!strcmp(c->name, name))
			break;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return;
		strcpy(c->name, name);
		c->next = app->counters;
		app->counters = c;
	}
	c->value += delta;
}

/* Finish the send in slot idx with o (already checked); may free the generation later. */
static void plugin_send_finish(struct herald_app *app, uint32_t idx, const struct herald_outcome *o)
{
	struct plugin_send *s = app->slots[idx];
	struct plugin_gen *g = app->gen;
	plugin_done_fn done = s->done;
	void *arg = s->arg;

	s->busy = false;
	evtimer_del(s->deadline);
	s->next_free = app->free_slot;
	app->free_slot = idx;
	app->in_flight--;
	done(arg, o);
	plugin_gen_unref(g);
}

static void plugin_fault_outcome(struct herald_outcome *o, const char *why)
{
	*o = (struct herald_outcome){
		.size = sizeof(*o),
		.kind = HERALD_OUTCOME_RETRY,
		.invalid_since_ms = -1,
		.retry_after_ms = -1,
		.response = why,
		.response_len = strlen(why),
	};
}

/*
 * Copy what the driver reported into *o, or describe why it is unusable
 * (returning that reason): the caller then reports a failed attempt.
 */
static const char *plugin_outcome_check(const struct herald_outcome *in, struct herald_outcome *o)
{
	if (!in)
		return "NULL outcome";
	if (in->size < HERALD_OUTCOME_SIZE_1_0 || in->size > 4096)
		return "outcome size out of range";
	if (in->kind < HERALD_OUTCOME_DELIVERED || in->kind > HERALD_OUTCOME_PAYLOAD_REJECTED)
		return "unknown outcome kind";
	*o = (struct herald_outcome){.size = sizeof(*o), .kind = in->kind};
	o->invalid_since_ms = in->kind == HERALD_OUTCOME_TOKEN_INVALID ? in->invalid_since_ms : -1;
	o->retry_after_ms = -1;
	if (in->kind == HERALD_OUTCOME_RETRY && in->retry_after_ms >= 0)
		o->retry_after_ms = in->retry_after_ms;
	if (in->kind == HERALD_OUTCOME_TOKEN_REPLACED) {
		size_t n;

		if (!in->canonical_token)
			return "token replaced without a canonical token";
		n = strnlen(in->canonical_token, PLUGIN_TOKEN_MAX + 1);
		if (n == 0 || n > PLUGIN_TOKEN_MAX)
			return "canonical token empty or too long";
		o->canonical_token = in->canonical_token;
	}
	o->status = in->status >= 0 && in->status <= 999 ? in->status : 0;
	if (in->response) {
		o->response = in->response;
		o->response_len = in->response_len > PLUGIN_RESPONSE_MAX ? PLUGIN_RESPONSE_MAX
									 : in->response_len;
	}
	return NULL;
}

static bool plugin_send_id_decode(struct herald_app *app, uint64_t id, uint32_t *idx)
{
	uint32_t i = (uint32_t)(id & 0xffffffffu), seq = (uint32_t)(id >> 32);

	if (i >= app->n_slots || !app->slots[i]->busy || app->slots[i]->seq != seq)
		return false;
	*idx = i;
	return true;
}

static void plugin_svc_send_done(struct herald_app *app, uint64_t send_id,
				 const struct herald_outcome *outcome)
{
	struct herald_outcome o;
	const char *why;
	uint32_t idx;

	if (!app)
		return;
	if (!plugin_send_id_decode(app, send_id, &idx)) {
		plugin_svc_log(app, HERALD_LOG_ERR,
			       "send_done for send %llu, which is not in flight (completed "
			       "twice, or after its timeout): ignored",
			       (unsigned long long)send_id);
		return;
	}
	why = plugin_outcome_check(outcome, &o);
	if (why) {
		plugin_svc_log(app, HERALD_LOG_ERR,
			       "send %llu: invalid outcome (%s): counted as a failed attempt",
			       (unsigned long long)send_id, why);
		plugin_fault_outcome(&o, "driver error: invalid outcome");
	}
	plugin_send_finish(app, idx, &o);
}

static const struct herald_host plugin_host_services = {
	.size = sizeof(struct herald_host),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.log = plugin_svc_log,
	.timer_add = plugin_svc_timer_add,
	.timer_cancel = plugin_svc_timer_cancel,
	.counter_add = plugin_svc_counter_add,
	.send_done = plugin_svc_send_done,
	.http_pool_new = hostsvc_http_pool_new,
	.http_request = hostsvc_http_request,
	.http_pool_free = hostsvc_http_pool_free,
	.key_load = hostsvc_key_load,
	.key_free = hostsvc_key_free,
	.jwt_sign = hostsvc_jwt_sign,
	.oauth_new = hostsvc_oauth_new,
	.oauth_token = hostsvc_oauth_token,
	.oauth_invalidate = hostsvc_oauth_invalidate,
	.oauth_free = hostsvc_oauth_free,
};

/* --- sends ----------------------------------------------------------------------------- */

static void plugin_send_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct plugin_send *s = arg;
	struct herald_app *app = s->app;
	struct herald_outcome o;

	(void)fd;
	(void)what;
	if (!s->busy)
		return;
	plugin_svc_log(app, HERALD_LOG_ERR,
		       "send %llu not completed within %u ms: counted as a failed attempt",
		       ((unsigned long long)s->seq << 32) | s->idx,
		       app->gen->host->send_timeout_ms);
	plugin_fault_outcome(&o, "driver error: no outcome within the send timeout");
	plugin_send_finish(app, s->idx, &o);
}

/* A free slot (growing the table), or -1. */
static int plugin_slot_get(struct herald_app *app, uint32_t *idx)
{
	struct plugin_send **slots, *s;
	uint32_t n;

	if (app->free_slot != PLUGIN_SLOT_NONE) {
		*idx = app->free_slot;
		app->free_slot = app->slots[*idx]->next_free;
		return 0;
	}
	if (app->n_slots >= PLUGIN_SLOTS_MAX)
		return -1;
	n = app->n_slots;
	slots = realloc(app->slots, (n + 1) * sizeof(*slots));
	if (!slots)
		return -1;
	app->slots = slots;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->app = app;
	s->idx = n;
	s->deadline = evtimer_new(app->gen->host->base, plugin_send_deadline, s);
	if (!s->deadline) {
		free(s);
		return -1;
	}
	slots[n] = s;
	app->n_slots = n + 1;
	*idx = n;
	return 0;
}

int plugin_send(struct herald_app *app, const struct herald_notification *n, plugin_done_fn done,
		void *arg)
{
	unsigned int ms = app->gen->host->send_timeout_ms;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	struct plugin_send *s;
	uint32_t idx, seq;
	int rc;

	if (app->draining || !app->instance)
		return HERALD_EAGAIN;
	if (plugin_slot_get(app, &idx) < 0)
		return HERALD_EAGAIN;
	s = app->slots[idx];
	seq = s->seq + 1 ? s->seq + 1 : 1;
	s->seq = seq;
	s->busy = true;
	s->done = done;
	s->arg = arg;
	evtimer_add(s->deadline, &tv);
	app->in_flight++;
	app->gen->refs++;
	rc = app->drv->desc->send(app->instance, n, ((uint64_t)seq << 32) | idx);
	if (rc == 0)
		return 0;
	if (!s->busy || s->seq != seq) {
		/* It reported an outcome and then an error: the outcome stands. */
		plugin_svc_log(app, HERALD_LOG_ERR,
			       "send returned %d after reporting an outcome: the outcome stands",
			       rc);
		return 0;
	}
	s->busy = false;
	evtimer_del(s->deadline);
	s->next_free = app->free_slot;
	app->free_slot = idx;
	app->in_flight--;
	plugin_gen_unref(app->gen);
	return rc < 0 ? rc : HERALD_EIO;
}

int64_t plugin_app_counter(const struct herald_app *app, const char *name)
{
	for (const struct plugin_counter *c = app->counters; c; c = c->next)
		if (!strcmp(c->name, name))
			return c->value;
	return 0;
}

unsigned int plugin_app_in_flight(const struct herald_app *app)
{
	return app->in_flight;
}

/* --- apps ------------------------------------------------------------------------------ */

static struct herald_app *plugin_app_new(struct plugin_gen *g, struct plugin_driver *d,
					 const struct herald_app_config *cfg)
{
	struct herald_app *app = calloc(1, sizeof(*app));

	if (!app)
		return NULL;
	app->gen = g;
	app->drv = d;
	app->free_slot = PLUGIN_SLOT_NONE;
	app->name = strdup(cfg->name ? cfg->name : "?");
	app->arn = strdup(cfg->arn ? cfg->arn : "");
	if (!app->name || !app->arn) {
		free(app->name);
		free(app->arn);
		free(app);
		return NULL;
	}
	return app;
}

static void plugin_app_free(struct herald_app *app)
{
	if (app->instance)
		app->drv->desc->free_instance(app->instance);
	/* The instance is gone: nothing it left may call into freed memory. */
	hostsvc_app_release(app);
	while (app->timers)
		plugin_timer_free(app->timers);
	for (uint32_t i = 0; i < app->n_slots; i++) {
		event_free(app->slots[i]->deadline);
		free(app->slots[i]);
	}
	free(app->slots);
	while (app->counters) {
		struct plugin_counter *c = app->counters;

		app->counters = c->next;
		free(c);
	}
	free(app->name);
	free(app->arn);
	free(app);
}

/*
 * cfg as the driver gets it: the caller's, grown to this ABI's size, with the
 * driver's options from the host's settings unless the caller gave some.
 * full->options is malloc'd (free it); the strings are borrowed from h.
 */
static int plugin_app_options(const struct plugin_host *h, const struct plugin_driver *d,
			      const struct herald_app_config *cfg, struct herald_app_config *full)
{
	json_t *opts = h->driver_options ? json_object_get(h->driver_options, d->desc->name) : NULL;
	struct herald_attr *a;
	const char *k;
	json_t *v;
	size_t i = 0;

	memset(full, 0, sizeof(*full));
	memcpy(full, cfg, cfg->size < sizeof(*full) ? cfg->size : sizeof(*full));
	full->size = sizeof(*full);
	if (HERALD_HAS(cfg, n_options) && cfg->n_options)
		return 0;
	full->options = NULL;
	full->n_options = 0;
	if (!opts || !json_object_size(opts))
		return 0;
	if (!(a = calloc(json_object_size(opts), sizeof(*a))))
		return -1;
	json_object_foreach (opts, k, v) {
		a[i].name = k;
		a[i++].value = json_string_value(v);
	}
	full->options = a;
	full->n_options = i;
	return 0;
}

/*
 * An app (not yet linked into g) of the driver serving cfg's platform, and
 * cfg as that driver gets it in *full (free full->options).  NULL with err
 * filled and *rc HERALD_EAGAIN (no driver) or HERALD_ENOMEM.
 */
static struct herald_app *plugin_app_prepare(struct plugin_gen *g,
					     const struct herald_app_config *cfg,
					     struct herald_app_config *full, int *rc, char *err,
					     size_t err_size)
{
	struct plugin_driver *d;
	struct herald_app *app;

	if (!cfg->platform || !(d = plugin_gen_driver(g, cfg->platform))) {
		snprintf(err, err_size, "no driver serves platform %.32s",
			 cfg->platform ? cfg->platform : "(none)");
		*rc = HERALD_EAGAIN;
		return NULL;
	}
	app = plugin_app_new(g, d, cfg);
	if (!app || plugin_app_options(g->host, d, cfg, full) < 0) {
		if (app)
			plugin_app_free(app);
		snprintf(err, err_size, "out of memory");
		*rc = HERALD_ENOMEM;
		return NULL;
	}
	return app;
}

struct herald_app *plugin_gen_app_create(struct plugin_gen *g, const struct herald_app_config *cfg,
					 char *err, size_t err_size)
{
	const struct herald_driver *desc;
	struct herald_app_config full;
	struct herald_app *app;
	char derr[512] = "";
	int rc;

	if (!(app = plugin_app_prepare(g, cfg, &full, &rc, err, err_size)))
		return NULL;
	desc = app->drv->desc;
	rc = desc->check_config(&plugin_host_services, app, &full, derr, sizeof(derr));
	if (rc == 0)
		rc = desc->create_instance(&plugin_host_services, app, &full, &app->instance, derr,
					   sizeof(derr));
	free((void *)full.options);
	if (rc != 0 || !app->instance) {
		derr[sizeof(derr) - 1] = '\0';
		snprintf(err, err_size, "driver %s: %s", desc->name,
			 *derr ? derr : "refused the application");
		app->instance = NULL;
		plugin_app_free(app);
		return NULL;
	}
	app->next = g->apps;
	g->apps = app;
	return app;
}

int plugin_validate_token(struct plugin_gen *g, const char *platform, const char *token, char *err,
			  size_t err_size)
{
	struct plugin_driver *d = plugin_gen_driver(g, platform);
	char derr[256] = "";

	if (!d) {
		snprintf(err, err_size, "no driver serves platform %.32s", platform);
		return HERALD_EAGAIN;
	}
	if (d->desc->validate_token(platform, token, strlen(token), derr, sizeof(derr)) == 0)
		return 0;
	derr[sizeof(derr) - 1] = '\0';
	snprintf(err, err_size, "%s", *derr ? derr : "invalid token");
	return HERALD_EINVAL;
}

int plugin_check_config(struct plugin_gen *g, const struct herald_app_config *cfg, char *err,
			size_t err_size)
{
	struct herald_app_config full;
	struct herald_app *app;
	char derr[512] = "";
	int rc;

	/* A transient app (never linked into g) for the driver's log prefix. */
	if (!(app = plugin_app_prepare(g, cfg, &full, &rc, err, err_size)))
		return rc;
	rc = app->drv->desc->check_config(&plugin_host_services, app, &full, derr, sizeof(derr));
	free((void *)full.options);
	plugin_app_free(app);
	if (rc == 0)
		return 0;
	derr[sizeof(derr) - 1] = '\0';
	snprintf(err, err_size, "%s", *derr ? derr : "the driver refused the configuration");
	return HERALD_EINVAL;
}

struct herald_app *plugin_gen_app(struct plugin_gen *g, const char *arn)
{
	for (struct herald_app *a = g->apps; a; a = a->next)
		if (!strcmp(a->arn, arn))
			return a;
	return NULL;
}

/* --- loading drivers ------------------------------------------------------------------- */

/* Read path (bounded), hash it and write {copy_dir}/{sha}.so unless present. */
static int plugin_copy(struct plugin_host *h, const char *path, char sha[65], char **copy,
		       char *why, size_t why_size)
{
	unsigned char md[32];
	unsigned int md_len = 0;
	unsigned char *buf = NULL;
	char *tmp = NULL;
	struct stat st;
	size_t len = 0;
	int fd = -1, rc = -1;

	*copy = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, why_size, "cannot read it: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > (off_t)PLUGIN_FILE_MAX) {
		snprintf(why, why_size, "not a regular file of 1 byte to %u MiB",
			 PLUGIN_FILE_MAX >> 20);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		snprintf(why, why_size, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, why_size, "cannot read it: %s",
				 r < 0 ? strerror(errno) : "changed while reading");
			goto out;
		}
		len += (size_t)r;
	}
	close(fd);
	fd = -1;
	if (!EVP_Digest(buf, len, md, &md_len, EVP_sha256(), NULL) || md_len != 32) {
		snprintf(why, why_size, "cannot hash it");
		goto out;
	}
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
	if (asprintf(copy, "%s/%s.so", h->copy_dir, sha) < 0 ||
	    asprintf(&tmp, "%s/.%s.tmp", h->copy_dir, sha) < 0) {
		snprintf(why, why_size, "out of memory");
		goto out;
	}
	/* The same content is already there (and possibly loaded): reuse it. */
	if (access(*copy, R_OK) == 0) {
		rc = 0;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0500);
	if (fd < 0) {
		snprintf(why, why_size, "cannot copy it to %s: %s", h->copy_dir, strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(why, why_size, "cannot copy it to %s: %s", h->copy_dir,
				 strerror(errno));
			unlink(tmp);
			goto out;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, *copy) < 0) {
		fd = -1;
		snprintf(why, why_size, "cannot copy it to %s: %s", h->copy_dir, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		free(*copy);
		*copy = NULL;
	}
	free(tmp);
	free(buf);
	return rc;
}

static bool plugin_platform_known(const char *p)
{
	for (int i = 0; plugin_platforms[i]; i++)
		if (!strcmp(p, plugin_platforms[i]))
			return true;
	return false;
}

/* Check a descriptor against the host's rules and gen's drivers; NULL or the reason. */
static const char *plugin_check_desc(struct plugin_gen *g, const struct herald_driver *d, char *why,
				     size_t why_size)
{
	size_t n;

	if (!d)
		return "the query function returned NULL (the driver refuses this host's ABI "
		       "1.0)";
	if (d->size < HERALD_DRIVER_SIZE_1_0) {
		snprintf(why, why_size, "descriptor size %zu is less than ABI 1.0's %zu", d->size,
			 (size_t)HERALD_DRIVER_SIZE_1_0);
		return why;
	}
	if (d->abi_major != HERALD_DRIVER_ABI_MAJOR || d->abi_minor > HERALD_DRIVER_ABI_MINOR) {
		snprintf(why, why_size, "built for driver ABI %u.%u; this heraldd has %u.%u",
			 d->abi_major, d->abi_minor, HERALD_DRIVER_ABI_MAJOR,
			 HERALD_DRIVER_ABI_MINOR);
		return why;
	}
	n = d->name ? strnlen(d->name, HERALD_DRIVER_NAME_MAX + 1) : 0;
	if (n == 0 || n > HERALD_DRIVER_NAME_MAX ||
	    strspn(d->name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
		snprintf(why, why_size,
			 "bad driver name \"%.*s\" (want 1 to %d of a-z, 0-9, '_', '-')",
			 (int)(n > HERALD_DRIVER_NAME_MAX ? HERALD_DRIVER_NAME_MAX : n),
			 d->name ? d->name : "", HERALD_DRIVER_NAME_MAX);
		return why;
	}
	if (!d->version ||
	    strnlen(d->version, HERALD_DRIVER_VERSION_MAX + 1) > HERALD_DRIVER_VERSION_MAX) {
		snprintf(why, why_size, "version missing or longer than %d bytes",
			 HERALD_DRIVER_VERSION_MAX);
		return why;
	}
	if (!d->check_config || !d->create_instance || !d->validate_token || !d->send ||
	    !d->free_instance) {
		snprintf(why, why_size, "mandatory callback %s is NULL",
			 !d->check_config      ? "check_config"
			 : !d->create_instance ? "create_instance"
			 : !d->validate_token  ? "validate_token"
			 : !d->send	       ? "send"
					       : "free_instance");
		return why;
	}
	for (struct plugin_driver *o = g->drivers; o; o = o->next)
		if (!strcmp(o->desc->name, d->name)) {
			snprintf(why, why_size, "driver name %s is already used by %s", d->name,
				 o->file);
			return why;
		}
	if (!d->platforms || !d->platforms[0])
		return "it claims no platform";
	for (int i = 0; d->platforms[i]; i++) {
		const char *p = d->platforms[i];

		if (i >= HERALD_DRIVER_PLATFORMS_MAX) {
			snprintf(why, why_size, "more than %d platforms",
				 HERALD_DRIVER_PLATFORMS_MAX);
			return why;
		}
		if (strnlen(p, 16) >= 16 || !plugin_platform_known(p)) {
			snprintf(why, why_size,
				 "unknown platform \"%.16s\" (known: APNS, APNS_SANDBOX, GCM, ADM, "
				 "BAIDU, MPNS, WNS)",
				 p);
			return why;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(p, d->platforms[j])) {
				snprintf(why, why_size, "it lists platform %s twice", p);
				return why;
			}
		for (struct plugin_driver *o = g->drivers; o; o = o->next)
			for (int j = 0; o->desc->platforms[j]; j++)
				if (!strcmp(p, o->desc->platforms[j])) {
					snprintf(why, why_size,
						 "platform %s is already served by driver %s (%s)",
						 p, o->desc->name, o->file);
					return why;
				}
	}
	return NULL;
}

/* Is a private copy with this hash used by a driver of a live generation other than skip? */
static bool plugin_copy_in_use(struct plugin_host *h, const char *sha,
			       const struct plugin_driver *skip)
{
	for (struct plugin_gen *g = h->gens; g; g = g->next)
		for (struct plugin_driver *d = g->drivers; d; d = d->next)
			if (d != skip && d->dl && !strcmp(d->sha256, sha))
				return true;
	return false;
}

static void plugin_driver_free(struct plugin_host *h, struct plugin_driver *d)
{
	if (d->dl)
		dlclose(d->dl);
	if (d->copy && !plugin_copy_in_use(h, d->sha256, d))
		unlink(d->copy);
	free(d->file);
	free(d->copy);
	free(d);
}

/* Load one file into g: 0, or -1 after logging the refusal. */
static int plugin_load_file(struct plugin_gen *g, const char *path)
{
	struct plugin_host *h = g->host;
	struct plugin_driver *d = calloc(1, sizeof(*d));
	herald_driver_query_fn query;
	char why[512];
	const char *reason = why;

	*why = '\0';
	if (!d || !(d->file = strdup(path))) {
		reason = "out of memory";
		goto refuse;
	}
	if (plugin_copy(h, path, d->sha256, &d->copy, why, sizeof(why)) < 0)
		goto refuse;
	d->dl = dlopen(d->copy, RTLD_NOW | RTLD_LOCAL);
	if (!d->dl) {
		const char *e = dlerror();

		snprintf(why, sizeof(why), "dlopen: %s", e ? e : "failed");
		goto refuse;
	}
	*(void **)&query = dlsym(d->dl, HERALD_DRIVER_QUERY_SYMBOL);
	if (!query) {
		reason = "no symbol " HERALD_DRIVER_QUERY_SYMBOL " (not a herald driver?)";
		goto refuse;
	}
	d->desc = query(HERALD_DRIVER_ABI_MAJOR, HERALD_DRIVER_ABI_MINOR);
	reason = plugin_check_desc(g, d->desc, why, sizeof(why));
	if (reason)
		goto refuse;
	d->gen = g;
	/* Append: name order is the order a user reads in `herald plugins list`. */
	{
		struct plugin_driver **tail = &g->drivers;

		while (*tail)
			tail = &(*tail)->next;
		*tail = d;
	}
	log_info("driver %s %s (ABI %u.%u) loaded from %s (copy %s.so), generation %u",
		 d->desc->name, d->desc->version, d->desc->abi_major, d->desc->abi_minor, path,
		 d->sha256, g->id);
	return 0;
refuse:
	log_err("driver %s refused: %s", path, reason);
	if (d)
		plugin_driver_free(h, d);
	return -1;
}

static int plugin_scan_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 3 && !strcmp(e->d_name + n - 3, ".so");
}

static void plugin_scan_dir(struct plugin_gen *g, const char *dir, unsigned int *refused)
{
	struct dirent **names = NULL;
	unsigned int count = 0;
	int n;

	for (struct plugin_driver *d = g->drivers; d; d = d->next)
		count++;
	n = scandir(dir, &names, plugin_scan_filter, alphasort);
	if (n < 0) {
		log_notice("driver directory %s: %s", dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		char *path = NULL;

		if (count >= PLUGIN_DRIVERS_MAX) {
			log_err("driver %s/%s refused: more than %u drivers", dir, names[i]->d_name,
				PLUGIN_DRIVERS_MAX);
			++*refused;
		} else if (asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			++*refused;
		} else if (plugin_load_file(g, path) < 0) {
			++*refused;
		} else {
			count++;
		}
		free(path);
		free(names[i]);
	}
	free(names);
}

/* --- generations ----------------------------------------------------------------------- */

static void plugin_gen_free(struct plugin_gen *g)
{
	struct plugin_host *h = g->host;
	struct plugin_gen **pp;

	while (g->apps) {
		struct herald_app *a = g->apps;

		g->apps = a->next;
		plugin_app_free(a);
	}
	/* Unlink g first so its copies count as unused; dlclose after every instance is gone. */
	for (pp = &h->gens; *pp && *pp != g; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = g->next;
	while (g->drivers) {
		struct plugin_driver *d = g->drivers;

		g->drivers = d->next;
		plugin_driver_free(h, d);
	}
	log_info("driver generation %u freed", g->id);
	event_free(g->ev_free);
	free(g);
}

static void plugin_gen_free_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	plugin_gen_free(arg);
}

/*
 * Drop a reference.  The last one frees the generation from a fresh loop
 * iteration: the caller may be a driver callback still running in the
 * object about to be dlclose()d.
 */
static void plugin_gen_unref(struct plugin_gen *g)
{
	struct timeval now = {0, 0};

	if (--g->refs > 0)
		return;
	evtimer_add(g->ev_free, &now);
}

struct plugin_gen *plugin_load_generation(struct plugin_host *h, char *const *dirs, size_t n_dirs,
					  unsigned int *refused)
{
	struct plugin_gen *g = calloc(1, sizeof(*g));

	*refused = 0;
	if (!g)
		return NULL;
	g->ev_free = evtimer_new(h->base, plugin_gen_free_cb, g);
	if (!g->ev_free) {
		free(g);
		return NULL;
	}
	g->host = h;
	g->id = ++h->next_id;
	g->refs = 1;
	g->next = h->gens;
	h->gens = g;
	for (size_t i = 0; i < n_dirs; i++)
		plugin_scan_dir(g, dirs[i], refused);
	return g;
}

/* Stop sending on g's apps and give up the "current" reference. */
static void plugin_gen_retire(struct plugin_gen *g)
{
	g->retired = true;
	for (struct herald_app *a = g->apps; a; a = a->next) {
		a->draining = true;
		if (a->drv->desc->drain)
			a->drv->desc->drain(a->instance);
	}
	plugin_gen_unref(g);
}

void plugin_switch(struct plugin_host *h, struct plugin_gen *g)
{
	struct plugin_gen *old = h->current;

	h->current = g;
	if (old)
		plugin_gen_retire(old);
}

void plugin_gen_discard(struct plugin_gen *g)
{
	plugin_gen_retire(g);
}

int plugin_reload(struct plugin_host *h, char *const *dirs, size_t n_dirs,
		  const struct herald_app_config *apps, size_t n_apps, char **err)
{
	unsigned int refused = 0;
	struct plugin_gen *g;
	char why[1024];

	*err = NULL;
	g = plugin_load_generation(h, dirs, n_dirs, &refused);
	if (!g) {
		*err = strdup("out of memory");
		return -1;
	}
	if (refused && h->current) {
		snprintf(why, sizeof(why), "%u driver%s refused", refused, refused > 1 ? "s" : "");
		goto fail;
	}
	for (size_t i = 0; i < n_apps; i++) {
		char aerr[512];

		if (!plugin_gen_app_create(g, &apps[i], aerr, sizeof(aerr))) {
			snprintf(why, sizeof(why), "application %.256s: %s",
				 apps[i].arn ? apps[i].arn : "?", aerr);
			goto fail;
		}
	}
	plugin_switch(h, g);
	log_notice("driver generation %u is current (%u refused)", g->id, refused);
	return 0;
fail:
	plugin_gen_discard(g);
	if (asprintf(err, "%s; keeping driver generation %u", why,
		     h->current ? h->current->id : 0) < 0)
		*err = NULL;
	return -1;
}

struct plugin_gen *plugin_current(struct plugin_host *h)
{
	return h->current;
}

unsigned int plugin_host_generations(const struct plugin_host *h)
{
	unsigned int n = 0;

	for (const struct plugin_gen *g = h->gens; g; g = g->next)
		n++;
	return n;
}

struct plugin_driver *plugin_gen_driver(struct plugin_gen *g, const char *platform)
{
	for (struct plugin_driver *d = g->drivers; d; d = d->next)
		for (int i = 0; d->desc->platforms[i]; i++)
			if (!strcmp(platform, d->desc->platforms[i]))
				return d;
	return NULL;
}

struct plugin_driver *plugin_gen_next_driver(struct plugin_gen *g, struct plugin_driver *prev)
{
	return prev ? prev->next : g->drivers;
}

void plugin_driver_info(const struct plugin_driver *d, struct plugin_driver_info *out)
{
	*out = (struct plugin_driver_info){
		.name = d->desc->name,
		.version = d->desc->version,
		.abi_major = d->desc->abi_major,
		.abi_minor = d->desc->abi_minor,
		.platforms = d->desc->platforms,
		.file = d->file,
		.sha256 = d->sha256,
	};
}

json_t *plugin_list_json(struct plugin_host *h)
{
	struct plugin_gen *g = h->current;
	json_t *list = json_array(), *out;

	out = json_pack("{s:I, s:o}", "Generation", (json_int_t)(g ? g->id : 0), "Plugins", list);
	if (!out)
		return NULL;
	for (struct plugin_driver *d = g ? g->drivers : NULL; d; d = d->next) {
		json_t *platforms = json_array(), *item;
		char abi[32];

		for (int i = 0; d->desc->platforms[i]; i++)
			json_array_append_new(platforms, json_string(d->desc->platforms[i]));
		snprintf(abi, sizeof(abi), "%u.%u", d->desc->abi_major, d->desc->abi_minor);
		item = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "Name", d->desc->name, "Version",
				 d->desc->version, "Abi", abi, "Platforms", platforms, "File",
				 d->file, "Sha256", d->sha256);
		if (!item || json_array_append_new(list, item) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* --- the host -------------------------------------------------------------------------- */

/*
 * Private copies left by an earlier run are never loaded again without being
 * rewritten from their source; remove them so the directory does not grow.
 */
static void plugin_copies_clean(const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, NULL);

	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		char *path = NULL;

		if ((len > 3 && !strcmp(names[i]->d_name + len - 3, ".so")) ||
		    (len > 4 && !strcmp(names[i]->d_name + len - 4, ".tmp")))
			if (asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0)
				unlink(path);
		free(path);
		free(names[i]);
	}
	free(names);
}

struct plugin_host *plugin_host_new(struct event_base *base, const char *copy_dir, char **err)
{
	struct plugin_host *h;
	int rc;

	*err = NULL;
	rc = paths_mkdir_p(copy_dir, 0700);
	if (rc < 0) {
		if (asprintf(err, "driver copy directory %s: %s", copy_dir, strerror(-rc)) < 0)
			*err = NULL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->copy_dir = strdup(copy_dir)) || !(h->oauth = oauth_cache_new(base))) {
		if (h)
			free(h->copy_dir);
		free(h);
		*err = strdup("out of memory");
		return NULL;
	}
	plugin_copies_clean(copy_dir);
	h->base = base;
	h->send_timeout_ms = PLUGIN_TIMEOUT_DEF;
	return h;
}

int plugin_host_set_driver_conf(struct plugin_host *h, json_t *options, const char *ca_file)
{
	char *ca = ca_file ? strdup(ca_file) : NULL;

	if (ca_file && !ca)
		return -1;
	free(h->ca_file);
	h->ca_file = ca;
	json_decref(h->driver_options);
	h->driver_options = json_incref(options);
	return 0;
}

struct event_base *plugin_app_base(const struct herald_app *app)
{
	return app->gen->host->base;
}

const char *plugin_app_ca_file(const struct herald_app *app)
{
	return app->gen->host->ca_file;
}

const char *plugin_app_driver_name(const struct herald_app *app)
{
	return app->drv->desc->name;
}

const char *plugin_app_name(const struct herald_app *app)
{
	return app->name;
}

struct oauth_cache *plugin_app_oauth(const struct herald_app *app)
{
	return app->gen->host->oauth;
}

void plugin_host_set_send_timeout(struct plugin_host *h, unsigned int ms)
{
	h->send_timeout_ms = ms;
}

void plugin_host_free(struct plugin_host *h)
{
	if (!h)
		return;
	while (h->gens)
		plugin_gen_free(h->gens);
	oauth_cache_free(h->oauth);
	free(h->copy_dir);
	free(h->ca_file);
	json_decref(h->driver_options);
	free(h);
}
