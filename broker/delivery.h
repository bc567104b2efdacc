/*
 * The delivery engine: takes accepted messages (the api's "Message"
 * effects) to platform endpoints through the provider drivers, and acts on
 * every outcome as SNS does (DESIGN.md §5).
 *
 * Per platform application: a queue bounded in memory
 * (delivery.max_queued_per_app: more waits in the store as retries due as it
 * drains), an in-flight limit, an optional rate cap (delivery.rate_per_app,
 * delivery.apps: a token bucket on the loop), a pause after a credential
 * error; one slow or broken application never holds up another.
 * Direct publishes go to one endpoint; topic messages fan out from a durable
 * cursor over the topic's subscriptions (subscription seq), read a page at a
 * time and advanced as deliveries finish (a low-water mark), so memory is
 * bounded by delivery.fanout_window whatever the topic's size and a restart
 * resumes where it stopped; at most delivery.max_fanouts topic messages fan
 * out at once, the others wait in the store.  Retries wait in the store (store_retry_*) and
 * survive a restart.  Delivery is at-least-once: after a crash, deliveries
 * past the cursor whose outcome was not yet written are sent again.
 *
 * State changes caused by outcomes (endpoint disabled, canonical token,
 * retries, cursors, application events published to the app's topics) are
 * written in one store job per loop iteration, never one per delivery.
 *
 * Threading: the event-loop thread, except the store jobs (delivery_store.c)
 * which run on the store thread and touch only what their job owns.
 */
#ifndef HERALD_BROKER_DELIVERY_H
#define HERALD_BROKER_DELIVERY_H

#include <stdbool.h>

#include <jansson.h>

#include "broker/conf.h"
#include "broker/plugin.h"
#include "broker/store.h"

struct delivery;
struct event_base;
struct evbuffer;
struct seal;

/*
 * A stopped engine.  Everything is borrowed and must outlive it; conf is the
 * configuration loaded at start (delivery settings need a restart).  NULL
 * with *err (malloc'd) on failure (the status log cannot be opened).
 */
struct delivery *delivery_new(struct event_base *base, struct store *store, struct seal *seal,
			      struct plugin_host *plugins, const struct conf *conf, char **err);

/*
 * Called whenever the engine's set of applications changed and the drivers'
 * instances must follow (at start, after an application was created,
 * updated or deleted): the hook reloads the drivers with
 * delivery_load_apps().
 */
typedef void (*delivery_apps_fn)(void *arg);
void delivery_set_apps_hook(struct delivery *d, delivery_apps_fn fn, void *arg);

/*
 * Load the applications from the store (their credentials unsealed), then
 * call the apps hook, then resume the work left by the previous run:
 * messages not yet dispatched and fan-outs from their cursors; retries as
 * they fall due.  Asynchronous; 0 or -1 (the store refused the job).
 */
int delivery_start(struct delivery *d);

/*
 * Build a driver generation from dirs and create every application's
 * instance in it, then switch to it.  A driver refused on a reload keeps the
 * running generation (0 is returned only when it switched); an application
 * whose instance cannot be created is logged, and its deliveries wait (its
 * queue kept) until a later reload creates it.  -1 with *err (malloc'd).
 */
int delivery_load_apps(struct delivery *d, char *const *dirs, size_t n_dirs, char **err);

/*
 * The api's credentials check (api_app_check_fn, api.h): arg is the engine.
 * Asks the driver serving platform in the current generation
 * (plugin_check_config) about the configuration the application would
 * have: for create, attrs (the request's Attributes) alone; otherwise
 * attrs over the application's current attributes and credentials as the
 * engine holds them (an application it does not know is accepted: the
 * operation answers).  No generation or no driver for platform: accepted.
 */
int delivery_check_app(void *arg, bool create, const char *platform, const char *name,
		       const char *arn, json_t *attrs, char *err, size_t n);

/* The api's effect hook (api_set_effect_hook): arg is the engine. */
void delivery_on_effect(void *arg, json_t *effect);

/* Reopen the status log (SIGHUP, after logrotate moved it); the old one is kept on failure. */
void delivery_reopen_log(struct delivery *d);

/* Stop sending (SIGTERM): what is in flight finishes; nothing new starts. */
void delivery_quiesce(struct delivery *d);

/* Sends in flight, and outcome writes not yet handed to the store. */
unsigned int delivery_busy(const struct delivery *d);

/* Hand every pending write to the store now (before store_close()). */
void delivery_flush(struct delivery *d);

/*
 * `herald stats`: {"Applications": [{"PlatformApplicationArn", "Platform",
 * "Queued", "QueuedInMemory", "QueuedInStore", "InFlight", "Delivered",
 * "Failed", "Retried", "Expired", "EndpointsDisabled", "Paused", "LatencyMs":
 * {"p50", "p90", "p99"}}], "Totals": {... the same counters, the Queued ones
 * and InFlight ...}, "FanOuts": n (topic messages being fanned out),
 * "FanOutsWaiting": n (topic messages waiting in the store for one of the
 * delivery.max_fanouts slots), "CredentialErrors": n}.  Queued is QueuedInMemory (the application's queue)
 * plus QueuedInStore (deliveries spilled to the store while it was paused or
 * its queue was full, not yet loaded back; those left by an earlier run are
 * not counted until they are loaded).
 * A new reference, NULL when out of memory.
 */
json_t *delivery_stats_json(struct delivery *d);

/* Delivery counters and gauges for /metrics (Prometheus text). */
void delivery_metrics(struct delivery *d, struct evbuffer *out);

/* Free everything; sends still in flight are abandoned (call after quiesce). */
void delivery_free(struct delivery *d);

#endif
