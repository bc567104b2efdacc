/*
 * The delivery engine's core: per-application queues and in-flight limits,
 * one send per delivery through the plugin host, and the broker's action on
 * each outcome (DESIGN.md §5).  See delivery.h for the whole picture and
 * delivery_int.h for the data.
 *
 * An item is owned by its application's queue, then by the send in flight
 * (plugin_send's done argument), then freed when its outcome has been acted
 * on; the state change it asks for is appended to the write list and handed
 * to the store by the next flush (one store job per loop iteration).
 *
 * Threading: the event-loop thread only.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "broker/delivery_int.h"
#include "broker/events.h"
#include "broker/payload.h"
#include "broker/retry.h"
#include "common/log.h"
#include "common/util.h"

#define DLV_BUSY_RETRY_MS 100 /* a driver that refused a send (busy) is asked again after */
/*
 * A paused application's queue goes back to the store (as retries due when
 * the pause ends) when the pause has longer than this left, so that its
 * deliveries neither take memory nor hold up a fan-out's window meanwhile.
 */
#define DLV_SPILL_MIN_MS 1000
/*
 * A delivery spilled because its application's queue is full is due when
 * the application should have room again: half the estimated time to drain
 * what is ahead of it (early rather than late: one loaded back early only
 * waits in memory, bounded by the retry window), at most this long.
 */
#define DLV_SPILL_MAX_WAIT_MS 60000
#define DLV_RATE_WINDOW_MS    1000 /* throughput measured over windows of this length */

struct dlv_msg *dlv_msg_new(const struct store_msg *m)
{
	struct dlv_msg *msg = calloc(1, sizeof(*msg));

	if (!msg || !(msg->id = strdup(m->message_id))) {
		free(msg);
		return NULL;
	}
	msg->refs = 1;
	msg->body = json_incref(m->body);
	msg->created_ms = m->created_ms;
	return msg;
}

void dlv_msg_unref(struct dlv_msg *msg)
{
	if (!msg || --msg->refs)
		return;
	json_decref(msg->body);
	free(msg->id);
	free(msg);
}

struct dlv_app *dlv_app_find(struct delivery *d, const char *arn)
{
	for (struct dlv_app *a = d->apps; a; a = a->next)
		if (!strcmp(a->arn, arn))
			return a;
	return NULL;
}

void dlv_target_clear(struct dlv_target *t)
{
	free(t->endpoint_arn);
	free(t->token);
	free(t->app_arn);
	memset(t, 0, sizeof(*t));
}

void dlv_write_free(struct dlv_write *w)
{
	if (!w)
		return;
	free(w->message_id);
	free(w->endpoint_arn);
	free(w->app_arn);
	free(w->token);
	free(w->canonical);
	free(w->failure_type);
	free(w->failure_message);
	free(w);
}

void dlv_write_add(struct delivery *d, struct dlv_write *w)
{
	*d->writes_tail = w;
	d->writes_tail = &w->next;
	d->n_writes++;
	event_active(d->flush_ev, EV_TIMEOUT, 0);
}

void dlv_pump_soon(struct delivery *d)
{
	event_active(d->pump_ev, EV_TIMEOUT, 0);
}

void dlv_retry_arm(struct delivery *d, int64_t when_ms)
{
	int64_t wait;
	struct timeval tv;

	if (when_ms >= d->retry_next_ms && evtimer_pending(d->retry_ev, NULL))
		return;
	if (when_ms < d->retry_next_ms)
		d->retry_next_ms = when_ms;
	wait = d->retry_next_ms - util_now_ms();
	if (wait < 0)
		wait = 0;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(d->retry_ev, &tv);
}

static void dlv_item_free(struct dlv_item *it)
{
	dlv_msg_unref(it->msg);
	free(it->endpoint_arn);
	free(it->token);
	free(it);
}

static void dlv_finish(struct delivery *d, struct dlv_item *it, struct dlv_write *w);
static struct dlv_write *dlv_write_new(void);

/*
 * Hand it (out of its queue) back to the store as a retry row due at
 * next_ms, attempts unchanged (none was made), counted in a's QueuedInStore.
 */
static void dlv_spill_one(struct delivery *d, struct dlv_app *a, struct dlv_item *it,
			  int64_t next_ms)
{
	struct dlv_write *w = dlv_write_new();

	if (w) {
		w->retry = true;
		w->attempts = it->attempts | DLV_SPILLED_FLAG;
		w->next_ms = next_ms;
		a->spilled++;
	}
	dlv_finish(d, it, w);
}

/* a's throughput in deliveries/s: as measured while it was saturated, else a guess. */
static double dlv_app_rate(const struct delivery *d, const struct dlv_app *a)
{
	/* Unmeasured: as if its sends took 100 ms (early is cheaper than late). */
	double r = a->rate_seen > 0 ? a->rate_seen : 10.0 * d->conf->in_flight_per_app;

	return a->rate && a->rate < r ? a->rate : r;
}

/* When a delivery spilled now from a's full queue should be loaded back. */
static int64_t dlv_spill_due(const struct delivery *d, const struct dlv_app *a, int64_t now)
{
	double wait = ((double)a->queued + a->spilled) * 500.0 / dlv_app_rate(d, a);

	return now + (wait > DLV_SPILL_MAX_WAIT_MS ? DLV_SPILL_MAX_WAIT_MS : (int64_t)wait);
}

/* A send of a completed: measure its throughput over windows in which its queue never ran dry. */
static void dlv_app_measure(struct dlv_app *a, int64_t now)
{
	a->finished++;
	if (!a->head) {
		a->rate_mark_ms = 0; /* not saturated: what it does is not what it can do */
		return;
	}
	if (!a->rate_mark_ms) {
		a->rate_mark_ms = now;
		a->rate_mark_n = a->finished;
		return;
	}
	if (now - a->rate_mark_ms < DLV_RATE_WINDOW_MS)
		return;
	a->rate_seen =
		(double)(a->finished - a->rate_mark_n) * 1000.0 / (double)(now - a->rate_mark_ms);
	a->rate_mark_ms = now;
	a->rate_mark_n = a->finished;
}

int dlv_enqueue(struct delivery *d, struct dlv_msg *msg, const struct dlv_target *t,
		struct fanout_page *page)
{
	struct dlv_app *a = dlv_app_find(d, t->app_arn);
	struct dlv_item *it;

	if (a && a->deleted)
		a = NULL; /* nothing will ever send it: the caller lets it go */

	it = a ? calloc(1, sizeof(*it)) : NULL;
	if (it) {
		it->endpoint_arn = strdup(t->endpoint_arn);
		it->token = strdup(t->token);
	}
	if (!it || !it->endpoint_arn || !it->token) {
		if (it)
			dlv_item_free(it);
		return a ? -ENOMEM : -ENOENT;
	}
	it->d = d;
	it->msg = msg;
	msg->refs++;
	it->app = a;
	it->page = page;
	it->attempts = t->attempts;
	it->retry_id = t->retry_id;
	it->expire_ms = INT64_MAX;
	if (t->spilled && a->spilled)
		a->spilled--;
	if (it->retry_id)
		d->retry_items++;
	/*
	 * A full queue: a new delivery waits in the store.  One loaded back from
	 * the store is queued anyway: the retry window bounds those.
	 */
	if (!it->retry_id && a->queued >= d->conf->max_queued_per_app) {
		dlv_spill_one(d, a, it, dlv_spill_due(d, a, util_now_ms()));
		return 0;
	}
	if (a->tail)
		a->tail->next = it;
	else
		a->head = it;
	a->tail = it;
	a->queued++;
	dlv_pump_soon(d);
	return 0;
}

/* Put it back at the head of its application's queue (not sent). */
static void dlv_requeue(struct dlv_item *it)
{
	struct dlv_app *a = it->app;

	it->next = a->head;
	a->head = it;
	if (!a->tail)
		a->tail = it;
	a->queued++;
}

static void dlv_resume(evutil_socket_t fd, short what, void *arg)
{
	struct dlv_app *a = arg;

	(void)fd;
	(void)what;
	a->paused = false;
	a->paused_until_ms = 0;
	dlv_pump_soon(a->d);
}

/* Pause a for ms; its queue is kept and sending resumes after. */
static void dlv_pause(struct delivery *d, struct dlv_app *a, unsigned int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	a->paused = true;
	a->paused_until_ms = util_now_ms() + ms;
	if (!a->resume_ev)
		a->resume_ev = evtimer_new(d->base, dlv_resume, a);
	if (a->resume_ev) {
		evtimer_add(a->resume_ev, &tv);
	} else {
		a->paused = false;
		a->paused_until_ms = 0;
	}
}

/* One status log line for an attempt (successes sampled by the app's rate). */
static void dlv_status(struct delivery *d, const struct dlv_item *it, bool success, int status,
		       const char *response, size_t response_len)
{
	struct events_attempt at = {
		.message_id = it->msg->id,
		.published_ms = it->msg->created_ms,
		.now_ms = util_now_ms(),
		.app_arn = it->app->arn,
		.endpoint_arn = it->endpoint_arn,
		.token = it->token,
		.success = success,
		.status_code = status,
		.attempts = it->attempts + 1,
	};
	char *resp = NULL, *line;

	if (!d->status_log)
		return;
	if (success &&
	    (it->app->sample_rate == 0 || (it->app->sample_rate < 100 &&
					   (unsigned int)(random() % 100) >= it->app->sample_rate)))
		return;
	if (response && response_len)
		resp = strndup(response, response_len > 1024 ? 1024 : response_len);
	at.provider_response = resp;
	line = events_status_line(&at);
	if (line) {
		fputs(line, d->status_log);
		fputc('\n', d->status_log);
	}
	free(line);
	free(resp);
}

/* Count one event of field (an offsetof in struct dlv_counts) for a and in total. */
static void dlv_count(struct delivery *d, struct dlv_app *a, size_t field)
{
	(*(uint64_t *)((char *)&a->counts + field))++;
	(*(uint64_t *)((char *)&d->totals + field))++;
}

#define DLV_DELIVERED offsetof(struct dlv_counts, delivered)
#define DLV_FAILED    offsetof(struct dlv_counts, failed)
#define DLV_RETRIED   offsetof(struct dlv_counts, retried)
#define DLV_EXPIRED   offsetof(struct dlv_counts, expired)
#define DLV_DISABLED  offsetof(struct dlv_counts, disabled)

void dlv_count_unspilled(struct delivery *d, const char *endpoint_arn)
{
	/* ...:endpoint/PLATFORM/NAME/ID belongs to ...:app/PLATFORM/NAME. */
	const char *res = strstr(endpoint_arn, ":endpoint/"), *id = strrchr(endpoint_arn, '/');
	struct dlv_app *a;
	char *arn = NULL;

	if (!res || id <= res + 10 ||
	    asprintf(&arn, "%.*s:app/%.*s", (int)(res - endpoint_arn), endpoint_arn,
		     (int)(id - res - 10), res + 10) < 0)
		return;
	a = dlv_app_find(d, arn);
	if (a && a->spilled)
		a->spilled--;
	free(arn);
}

void dlv_count_disabled(struct delivery *d, const char *app_arn)
{
	struct dlv_app *a = app_arn ? dlv_app_find(d, app_arn) : NULL;

	if (a)
		dlv_count(d, a, DLV_DISABLED);
}

/* publish → outcome, for a delivery that ended (not one that will be retried). */
static void dlv_latency(struct delivery *d, struct dlv_item *it)
{
	int64_t ms = util_now_ms() - it->msg->created_ms;

	latency_add(&it->app->latency, ms);
	latency_add(&d->latency, ms);
}

/*
 * The delivery it ended its current attempt: hand its write (may be NULL
 * only when out of memory) to the flush, count it in its fan-out page, free
 * it.
 */
static void dlv_finish(struct delivery *d, struct dlv_item *it, struct dlv_write *w)
{
	if (w) {
		w->kind = DLV_W_FINISH;
		w->message_id = strdup(it->msg->id);
		w->endpoint_arn = strdup(it->endpoint_arn);
		w->app_arn = strdup(it->app->arn);
		w->token = strdup(it->token);
		w->first = !it->retry_id && !it->msg->fanout && !it->page;
		w->retry_id = it->retry_id;
		if (!w->message_id || !w->endpoint_arn || !w->app_arn || !w->token) {
			log_err("delivery: out of memory recording the outcome of message %s",
				it->msg->id);
			dlv_write_free(w);
		} else {
			dlv_write_add(d, w);
		}
	} else {
		log_err("delivery: out of memory recording the outcome of message %s", it->msg->id);
	}
	if (it->retry_id && d->retry_items)
		d->retry_items--;
	if (it->page)
		fanout_page_done(it->page);
	dlv_item_free(it);
	if (d->retry_items < d->conf->fanout_window / 2 + 1 && d->retry_next_ms <= util_now_ms())
		dlv_retry_arm(d, d->retry_next_ms);
}

static struct dlv_write *dlv_write_new(void)
{
	return calloc(1, sizeof(struct dlv_write));
}

/* A permanent failure: counted, logged, EventDeliveryFailure. */
static void dlv_fail(struct delivery *d, struct dlv_item *it, const char *type, const char *text,
		     struct dlv_write *w)
{
	dlv_count(d, it->app, DLV_FAILED);
	dlv_latency(d, it);
	log_info("[%s] message %s to %s failed: %s", it->app->name, it->msg->id, it->endpoint_arn,
		 text);
	if (w) {
		w->failure = true;
		w->attempts = it->attempts + 1;
		w->failure_type = strdup(type);
		w->failure_message = strdup(text);
	}
	dlv_finish(d, it, w);
}

/* The message's TTL ran out before it could be delivered: dropped and logged. */
static void dlv_expire(struct delivery *d, struct dlv_item *it)
{
	dlv_count(d, it->app, DLV_EXPIRED);
	dlv_latency(d, it);
	log_info("[%s] message %s to %s expired (TTL) after %u attempt%s; dropped", it->app->name,
		 it->msg->id, it->endpoint_arn, it->attempts, it->attempts == 1 ? "" : "s");
	dlv_status(d, it, false, 0, "message expired (TTL)", 21);
	dlv_finish(d, it, dlv_write_new());
}

static void dlv_on_retry(struct delivery *d, struct dlv_item *it, const struct herald_outcome *o)
{
	unsigned int n = it->attempts + 1; /* the retry to schedule */
	int64_t delay = retry_delay_ms(d->conf, n), now = util_now_ms();
	struct dlv_write *w;

	if (delay < 0) {
		dlv_fail(d, it, "RetriesExhausted", "no attempt succeeded", dlv_write_new());
		return;
	}
	delay = retry_jitter(delay, (double)random() / ((double)RAND_MAX + 1.0),
			     o ? o->retry_after_ms : -1);
	if (now + delay >= it->expire_ms) {
		it->attempts++;
		dlv_expire(d, it);
		return;
	}
	dlv_count(d, it->app, DLV_RETRIED);
	w = dlv_write_new();
	if (w) {
		w->retry = true;
		w->attempts = n;
		w->next_ms = now + delay;
	}
	dlv_finish(d, it, w);
}

static void dlv_on_done(void *arg, const struct herald_outcome *o)
{
	struct dlv_item *it = arg;
	struct delivery *d = it->d;
	struct dlv_app *a = it->app;
	struct dlv_write *w;

	a->in_flight--;
	d->in_flight--;
	dlv_app_measure(a, util_now_ms());
	dlv_pump_soon(d);
	switch (o->kind) {
	case HERALD_OUTCOME_DELIVERED:
	case HERALD_OUTCOME_TOKEN_REPLACED:
		dlv_count(d, a, DLV_DELIVERED);
		dlv_latency(d, it);
		dlv_status(d, it, true, o->status, o->response, o->response_len);
		w = dlv_write_new();
		if (w && o->kind == HERALD_OUTCOME_TOKEN_REPLACED) {
			w->ep = DLV_EP_REPLACE;
			w->canonical = strdup(o->canonical_token);
		}
		dlv_finish(d, it, w);
		return;
	case HERALD_OUTCOME_TOKEN_INVALID:
		dlv_status(d, it, false, o->status, o->response, o->response_len);
		w = dlv_write_new();
		if (w) {
			w->ep = DLV_EP_DISABLE;
			w->invalid_since_ms = o->invalid_since_ms;
		}
		dlv_fail(d, it, "InvalidPlatformToken", "the provider reports the token invalid",
			 w);
		return;
	case HERALD_OUTCOME_PAYLOAD_REJECTED:
		dlv_status(d, it, false, o->status, o->response, o->response_len);
		dlv_fail(d, it, "InvalidNotification", "the provider rejected the payload",
			 dlv_write_new());
		return;
	case HERALD_OUTCOME_CREDENTIAL_ERROR:
		d->credential_errors++;
		dlv_status(d, it, false, o->status, o->response, o->response_len);
		log_err("[%s] credential error from the provider: application paused for %u ms, "
			"its queue kept",
			a->name, d->conf->credential_retry_ms);
		dlv_requeue(it);
		dlv_pause(d, a, d->conf->credential_retry_ms);
		return;
	case HERALD_OUTCOME_RETRY:
	default:
		dlv_status(d, it, false, o->status, o->response, o->response_len);
		dlv_on_retry(d, it, o);
		return;
	}
}

/*
 * Send the head of a's queue.  false if it could not go now (a stays
 * paused for a while and the item waits at the head).
 */
static bool dlv_send(struct delivery *d, struct dlv_app *a)
{
	struct dlv_item *it = a->head;
	struct herald_app *h = dlv_app_handle(d, a);
	struct payload pl;
	char why[256];
	int64_t now = util_now_ms();
	int rc;

	if (!h) {
		log_warning("[%s] no driver instance for platform %s: %u deliveries wait "
			    "(retried in %u ms)",
			    a->name, a->platform, a->queued, d->conf->credential_retry_ms);
		dlv_pause(d, a, d->conf->credential_retry_ms);
		return false;
	}
	a->head = it->next;
	if (!a->head)
		a->tail = NULL;
	a->queued--;
	it->next = NULL;

	if (payload_prepare(it->msg->body, a->platform, it->msg->id, it->msg->created_ms, &pl, why,
			    sizeof(why)) < 0) {
		dlv_status(d, it, false, 0, why, strlen(why));
		dlv_fail(d, it, "InvalidNotification", why, dlv_write_new());
		return true;
	}
	if (it->expire_ms == INT64_MAX) {
		/* No TTL applies (n.ttl_s -1): none is sent; the broker stops after its own. */
		int64_t ttl = pl.n.ttl_s >= 0 ? pl.n.ttl_s : d->conf->default_ttl_s;

		if (ttl > 0)
			it->expire_ms = it->msg->created_ms + ttl * 1000;
		pl.n.expiration_ms = ttl > 0 ? it->expire_ms : -1;
	}
	if (now >= it->expire_ms) {
		payload_clear(&pl);
		dlv_expire(d, it);
		return true;
	}
	pl.n.token = it->token;
	pl.n.attempt = it->attempts + 1;
	a->in_flight++;
	d->in_flight++;
	rc = plugin_send(h, &pl.n, dlv_on_done, it);
	payload_clear(&pl);
	if (rc < 0) {
		a->in_flight--;
		d->in_flight--;
		dlv_requeue(it);
		dlv_pause(d, a, DLV_BUSY_RETRY_MS);
		return false;
	}
	return true;
}

/*
 * a is paused for long: hand its queue back to the store as retries due when
 * the pause ends (attempts unchanged: none was made), freeing the memory and
 * the fan-out windows they held.
 */
static void dlv_spill(struct delivery *d, struct dlv_app *a)
{
	struct dlv_item *it;
	unsigned int n = 0;

	while ((it = a->head)) {
		a->head = it->next;
		if (!a->head)
			a->tail = NULL;
		a->queued--;
		it->next = NULL;
		dlv_spill_one(d, a, it, a->paused_until_ms);
		n++;
	}
	log_info("[%s] paused: %u deliveries stored until it resumes", a->name, n);
}

static void dlv_rate_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dlv_pump_soon(arg);
}

/*
 * May a (rate capped) make an attempt now?  Takes a token from its bucket
 * (a tenth of a second's worth at most, at least one); when empty, the pump
 * runs again when the next one is there.
 */
static bool dlv_rate_take(struct delivery *d, struct dlv_app *a)
{
	double burst = a->rate / 10.0 < 1.0 ? 1.0 : a->rate / 10.0;
	int64_t now = util_now_ms(), wait;
	struct timeval tv;

	if (!a->rate)
		return true;
	if (!a->tokens_ms || now < a->tokens_ms)
		a->tokens = burst;
	else
		a->tokens += (double)(now - a->tokens_ms) * a->rate / 1000.0;
	if (a->tokens > burst)
		a->tokens = burst;
	a->tokens_ms = now;
	if (a->tokens >= 1.0) {
		a->tokens -= 1.0;
		return true;
	}
	if (!a->rate_ev && !(a->rate_ev = evtimer_new(d->base, dlv_rate_cb, d)))
		return true; /* out of memory: uncapped rather than stuck */
	if (!evtimer_pending(a->rate_ev, NULL)) {
		wait = (int64_t)((1.0 - a->tokens) * 1000.0 / a->rate) + 1;
		tv.tv_sec = wait / 1000;
		tv.tv_usec = (wait % 1000) * 1000;
		evtimer_add(a->rate_ev, &tv);
	}
	return false;
}

static void dlv_pump(evutil_socket_t fd, short what, void *arg)
{
	struct delivery *d = arg;

	(void)fd;
	(void)what;
	if (d->quiescing)
		return;
	for (struct dlv_app *a = d->apps; a; a = a->next) {
		while (!a->paused && a->head && a->in_flight < d->conf->in_flight_per_app &&
		       dlv_rate_take(d, a))
			if (!dlv_send(d, a))
				break;
		if (a->paused && a->head && a->paused_until_ms - util_now_ms() > DLV_SPILL_MIN_MS)
			dlv_spill(d, a);
	}
}

static void dlv_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	delivery_flush(arg);
}

static void dlv_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct delivery *d = arg;
	unsigned int room = d->conf->fanout_window;

	(void)fd;
	(void)what;
	if (d->quiescing)
		return;
	if (d->retry_loading) {
		d->retry_again = true;
		return;
	}
	if (d->retry_items >= room)
		return; /* dlv_finish() arms the timer again as they drain */
	d->retry_next_ms = INT64_MAX;
	if (dlv_retry_submit(d, room - d->retry_items) == 0)
		d->retry_loading = true;
}

struct delivery *delivery_new(struct event_base *base, struct store *store, struct seal *seal,
			      struct plugin_host *plugins, const struct conf *conf, char **err)
{
	struct delivery *d = calloc(1, sizeof(*d));

	*err = NULL;
	if (!d)
		goto oom;
	d->base = base;
	d->store = store;
	d->seal = seal;
	d->plugins = plugins;
	d->conf = &conf->delivery;
	d->writes_tail = &d->writes;
	d->retry_next_ms = INT64_MAX;
	d->to_load = json_array();
	d->fanout_wait = json_array();
	d->to_reload = json_array();
	d->flush_ev = event_new(base, -1, 0, dlv_flush_cb, d);
	d->pump_ev = event_new(base, -1, 0, dlv_pump, d);
	d->retry_ev = evtimer_new(base, dlv_retry_cb, d);
	if (!d->to_load || !d->fanout_wait || !d->to_reload || !d->flush_ev || !d->pump_ev ||
	    !d->retry_ev)
		goto oom;
	/* The flush runs after the sends and outcomes of the same loop iteration. */
	d->status_log_path = conf->delivery.status_log;
	if (conf->delivery.status_log) {
		d->status_log = fopen(conf->delivery.status_log, "ae");
		if (!d->status_log) {
			util_set_err(err, "delivery.status_log %s: %s", conf->delivery.status_log,
				     strerror(errno));
			delivery_free(d);
			return NULL;
		}
	}
	srandom((unsigned int)util_now_ms());
	return d;
oom:
	util_set_err(err, "out of memory");
	delivery_free(d);
	return NULL;
}

void delivery_set_apps_hook(struct delivery *d, delivery_apps_fn fn, void *arg)
{
	d->apps_fn = fn;
	d->apps_arg = arg;
}

int delivery_start(struct delivery *d)
{
	return dlv_apps_submit(d, true);
}

/* A message id from an effect: loaded (batched) by the next load job. */
void dlv_heard(struct delivery *d, const char *message_id)
{
	if (json_array_append_new(d->to_load, json_string(message_id)) < 0) {
		log_err("delivery: out of memory; message %s is delivered after a restart",
			message_id);
		return;
	}
	if (!d->loading && d->started && dlv_load_submit(d) == 0)
		d->loading = true;
}

void delivery_on_effect(void *arg, json_t *effect)
{
	struct delivery *d = arg;
	const char *type = json_string_value(json_object_get(effect, "Type"));
	struct dlv_write *w;
	int kind;

	if (!type)
		return;
	if (!strcmp(type, "Message")) {
		dlv_heard(d, json_string_value(json_object_get(effect, "MessageId")));
		return;
	}
	if (!strcmp(type, "PlatformApplicationUpdated") ||
	    !strcmp(type, "PlatformApplicationDeleted")) {
		dlv_apps_submit(d, false);
		return;
	}
	if (!strcmp(type, "EndpointCreated"))
		kind = EVENTS_ENDPOINT_CREATED;
	else if (!strcmp(type, "EndpointUpdated"))
		kind = EVENTS_ENDPOINT_UPDATED;
	else if (!strcmp(type, "EndpointDeleted"))
		kind = EVENTS_ENDPOINT_DELETED;
	else
		return;
	w = dlv_write_new();
	if (!w ||
	    !(w->endpoint_arn =
		      strdup(json_string_value(json_object_get(effect, "EndpointArn")) ?: "")) ||
	    !(w->app_arn =
		      strdup(json_string_value(json_object_get(effect, "PlatformApplicationArn"))
				     ?: ""))) {
		dlv_write_free(w);
		log_err("delivery: out of memory; an endpoint event is lost");
		return;
	}
	w->kind = DLV_W_EVENT;
	w->event_kind = kind;
	dlv_write_add(d, w);
}

void delivery_reopen_log(struct delivery *d)
{
	FILE *f;

	if (!d->status_log_path)
		return;
	f = fopen(d->status_log_path, "ae");
	if (!f) {
		log_err("delivery.status_log %s: %s; still writing to the file opened before",
			d->status_log_path, strerror(errno));
		return;
	}
	if (d->status_log)
		fclose(d->status_log);
	d->status_log = f;
}

void delivery_quiesce(struct delivery *d)
{
	d->quiescing = true;
}

unsigned int delivery_busy(const struct delivery *d)
{
	return d->in_flight + d->n_writes;
}

void delivery_flush(struct delivery *d)
{
	if (d->status_log)
		fflush(d->status_log);
	if (d->writes && dlv_flush_submit(d) < 0)
		log_err("delivery: the store refused %u outcome writes; they are redone after a "
			"restart",
			d->n_writes);
}

static json_t *dlv_counts_json(const struct dlv_counts *c, const struct latency *l)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}", "Delivered",
			 (json_int_t)c->delivered, "Failed", (json_int_t)c->failed, "Retried",
			 (json_int_t)c->retried, "Expired", (json_int_t)c->expired,
			 "EndpointsDisabled", (json_int_t)c->disabled, "LatencyMs", "p50",
			 (json_int_t)latency_percentile(l, 50), "p90",
			 (json_int_t)latency_percentile(l, 90), "p99",
			 (json_int_t)latency_percentile(l, 99));
}

json_t *delivery_stats_json(struct delivery *d)
{
	json_t *out, *apps, *one, *totals;
	unsigned int queued = 0, spilled = 0;

	apps = json_array();
	for (struct dlv_app *a = d->apps; a && apps; a = a->next) {
		one = dlv_counts_json(&a->counts, &a->latency);
		queued += a->queued;
		spilled += a->spilled;
		if (!one ||
		    json_object_set_new(one, "PlatformApplicationArn", json_string(a->arn)) ||
		    json_object_set_new(one, "Platform", json_string(a->platform)) ||
		    json_object_set_new(one, "Queued",
					json_integer((json_int_t)a->queued + a->spilled)) ||
		    json_object_set_new(one, "QueuedInMemory", json_integer(a->queued)) ||
		    json_object_set_new(one, "QueuedInStore", json_integer(a->spilled)) ||
		    json_object_set_new(one, "InFlight", json_integer(a->in_flight)) ||
		    json_object_set_new(one, "Paused", json_boolean(a->paused)) ||
		    json_array_append_new(apps, one)) {
			json_decref(apps);
			return NULL;
		}
	}
	totals = dlv_counts_json(&d->totals, &d->latency);
	if (!apps || !totals ||
	    json_object_set_new(totals, "Queued", json_integer((json_int_t)queued + spilled)) ||
	    json_object_set_new(totals, "QueuedInMemory", json_integer(queued)) ||
	    json_object_set_new(totals, "QueuedInStore", json_integer(spilled)) ||
	    json_object_set_new(totals, "InFlight", json_integer(d->in_flight))) {
		json_decref(apps);
		json_decref(totals);
		return NULL;
	}
	out = json_pack("{s:o, s:o, s:I, s:I, s:I}", "Applications", apps, "Totals", totals,
			"FanOuts", (json_int_t)d->n_fanouts, "FanOutsWaiting",
			(json_int_t)(json_array_size(d->fanout_wait) + d->reload_n +
				     json_array_size(d->to_reload)),
			"CredentialErrors", (json_int_t)d->credential_errors);
	return out;
}

void delivery_metrics(struct delivery *d, struct evbuffer *out)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} counters[] = {
		{"herald_deliveries_delivered_total", "Deliveries the provider accepted",
		 offsetof(struct dlv_counts, delivered)},
		{"herald_deliveries_failed_total", "Deliveries failed for good",
		 offsetof(struct dlv_counts, failed)},
		{"herald_deliveries_retried_total", "Attempts that will be retried",
		 offsetof(struct dlv_counts, retried)},
		{"herald_deliveries_expired_total", "Deliveries dropped when their TTL ran out",
		 offsetof(struct dlv_counts, expired)},
		{"herald_endpoints_disabled_total", "Endpoints disabled for an invalid token",
		 offsetof(struct dlv_counts, disabled)},
	};

	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s counter\n", counters[i].name,
				    counters[i].help, counters[i].name);
		for (struct dlv_app *a = d->apps; a; a = a->next)
			evbuffer_add_printf(
				out, "%s{app=\"%s\"} %" PRIu64 "\n", counters[i].name, a->arn,
				*(const uint64_t *)((const char *)&a->counts + counters[i].offset));
	}
	evbuffer_add_printf(out,
			    "# HELP herald_delivery_queued Deliveries waiting for an application "
			    "(in memory or in the store)\n# TYPE herald_delivery_queued gauge\n");
	for (struct dlv_app *a = d->apps; a; a = a->next)
		evbuffer_add_printf(out, "herald_delivery_queued{app=\"%s\"} %u\n", a->arn,
				    a->queued + a->spilled);
	evbuffer_add_printf(out,
			    "# HELP herald_delivery_in_flight Sends in flight\n"
			    "# TYPE herald_delivery_in_flight gauge\nherald_delivery_in_flight %u\n"
			    "# HELP herald_delivery_fanouts Topic messages being fanned out\n"
			    "# TYPE herald_delivery_fanouts gauge\nherald_delivery_fanouts %u\n"
			    "# HELP herald_delivery_fanouts_waiting Topic messages waiting for a "
			    "fan-out slot\n# TYPE herald_delivery_fanouts_waiting gauge\n"
			    "herald_delivery_fanouts_waiting %zu\n"
			    "# HELP herald_credential_errors_total Credential errors (application "
			    "paused)\n# TYPE herald_credential_errors_total counter\n"
			    "herald_credential_errors_total %" PRIu64 "\n",
			    d->in_flight, d->n_fanouts,
			    json_array_size(d->fanout_wait) + d->reload_n +
				    json_array_size(d->to_reload),
			    d->credential_errors);
}

void delivery_free(struct delivery *d)
{
	struct dlv_app *a;
	struct dlv_write *w;

	if (!d)
		return;
	fanout_free_all(d);
	while ((a = d->apps)) {
		d->apps = a->next;
		while (a->head) {
			struct dlv_item *it = a->head;

			a->head = it->next;
			dlv_item_free(it);
		}
		dlv_app_free(a);
	}
	while ((w = d->writes)) {
		d->writes = w->next;
		dlv_write_free(w);
	}
	if (d->flush_ev)
		event_free(d->flush_ev);
	if (d->pump_ev)
		event_free(d->pump_ev);
	if (d->retry_ev)
		event_free(d->retry_ev);
	if (d->status_log)
		fclose(d->status_log);
	json_decref(d->to_load);
	json_decref(d->fanout_wait);
	json_decref(d->to_reload);
	free(d);
}
