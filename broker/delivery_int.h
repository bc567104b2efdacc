/*
 * The delivery engine's internals, shared by delivery.c (queues, sends,
 * outcomes), delivery_apps.c (applications and their driver instances),
 * delivery_store.c (store jobs) and fanout.c (topic fan-out cursors).
 * Everything here belongs to the loop thread unless a comment says a store
 * job owns it while it runs.
 */
#ifndef HERALD_BROKER_DELIVERY_INT_H
#define HERALD_BROKER_DELIVERY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <herald/driver.h>
#include <jansson.h>

#include "broker/delivery.h"
#include "broker/latency.h"

struct event;
struct dlv_item;

/*
 * Set in a retry row's attempts when the row holds a delivery spilled to the
 * store (an application paused, or its queue over delivery.max_queued_per_app),
 * not one waiting after a failed attempt: the loader strips it and the
 * application counts the delivery back from its QueuedInStore.
 */
#define DLV_SPILLED_FLAG (1u << 30)

/* What `herald stats` counts per application (and in total). */
struct dlv_counts {
	uint64_t delivered, failed, retried, expired, disabled;
};

struct dlv_app {
	struct dlv_app *next;
	struct delivery *d;
	char *arn, *platform, *name;
	json_t *attrs; /* its attributes (event topics, SuccessFeedbackSampleRate) */
	/* The configuration its instance is created from; credentials wiped on free. */
	struct herald_app_config cfg;
	struct herald_attr *cfg_attrs;
	char *principal, *credential;
	size_t principal_len, credential_len;
	unsigned int sample_rate; /* success status lines logged, percent */

	struct plugin_gen *gen;	   /* the generation handle was looked up in */
	struct herald_app *handle; /* its instance there, or NULL */
	bool deleted;		   /* gone from the store: dropped once idle */

	struct dlv_item *head, *tail; /* queue */
	unsigned int queued, in_flight;
	unsigned int spilled; /* deliveries spilled to the store and not loaded back */
	/* Throughput while saturated (deliveries/s), to schedule spilled rows. */
	double rate_seen;
	uint64_t finished, rate_mark_n;
	int64_t rate_mark_ms;
	bool paused;		 /* credential error or no instance: resumes at resume_ev */
	int64_t paused_until_ms; /* wall clock */
	struct event *resume_ev;
	/* Rate cap (delivery.rate_per_app, delivery.apps): a token bucket refilled at rate/s. */
	unsigned int rate; /* attempts/s at most; 0: none */
	double tokens;
	int64_t tokens_ms;     /* last refill, wall clock; 0: never (a full bucket) */
	struct event *rate_ev; /* the pump when the next token is there */
	struct dlv_counts counts;
	struct latency latency;
};

/* An accepted message, shared by its deliveries (refcounted). */
struct dlv_msg {
	unsigned int refs;
	char *id;
	json_t *body;
	int64_t created_ms;
	struct fanout *fanout; /* a topic message being fanned out */
};

/* One delivery to one endpoint. */
struct dlv_item {
	struct dlv_item *next;
	struct dlv_msg *msg;
	struct dlv_app *app;
	struct fanout_page *page; /* a fan-out's first attempt: the page it counts in */
	struct delivery *d;
	char *endpoint_arn;
	char *token;
	unsigned int attempts; /* made before this one */
	int64_t retry_id;      /* its retry row, or 0 */
	int64_t expire_ms;     /* wall clock; INT64_MAX if none */
};

/* A state change an outcome asks for, written by the next flush. */
enum dlv_write_kind {
	DLV_W_FINISH,	/* a delivery ended: retry row / message release */
	DLV_W_PROGRESS, /* a fan-out's cursor moved (and maybe it finished) */
	DLV_W_EVENT,	/* an endpoint effect of an operation: publish the app's event */
};

enum dlv_endpoint_change {
	DLV_EP_NONE,
	DLV_EP_DISABLE, /* token invalid */
	DLV_EP_REPLACE, /* canonical token */
};

struct dlv_write {
	struct dlv_write *next;
	enum dlv_write_kind kind;
	char *message_id;
	char *endpoint_arn;
	char *app_arn;
	/* FINISH */
	bool first;	  /* first attempt of a direct message: mark it dispatched */
	int64_t retry_id; /* its retry row (updated or deleted), or 0 */
	bool retry;	  /* schedule another attempt */
	unsigned int attempts;
	int64_t next_ms;
	enum dlv_endpoint_change ep;
	char *token;		  /* the token sent (DISABLE/REPLACE only if still current) */
	char *canonical;	  /* REPLACE */
	int64_t invalid_since_ms; /* DISABLE, APNs: -1 or the provider's timestamp */
	bool disabled;		  /* DISABLE: set by the flush job when it did */
	bool failure;		  /* publish EventDeliveryFailure */
	char *failure_type, *failure_message;
	/* PROGRESS */
	int64_t cursor;
	bool done;
	/* EVENT */
	int event_kind; /* enum events_kind */
};

/* One loaded delivery target: what a store job hands back for an item. */
struct dlv_target {
	char *endpoint_arn, *token, *app_arn;
	int64_t retry_id; /* retry: its row */
	unsigned int attempts;
	bool spilled; /* the retry row held a spilled delivery (DLV_SPILLED_FLAG) */
};

struct fanout;
struct fanout_page;

struct delivery {
	struct event_base *base;
	struct store *store;
	struct seal *seal;
	struct plugin_host *plugins;
	const struct conf_delivery *conf;
	delivery_apps_fn apps_fn;
	void *apps_arg;

	struct dlv_app *apps;
	struct fanout *fanouts;
	unsigned int n_fanouts;
	/*
	 * Topic messages waiting for a fan-out slot (delivery.max_fanouts): their
	 * ids (a JSON array, oldest first); the messages stay in the store, and
	 * are loaded again (to_reload, reloading) as slots free up.
	 */
	json_t *fanout_wait;
	json_t *to_reload;
	bool reloading;
	unsigned int reload_n; /* ids in the reload job in flight */
	unsigned int in_flight;
	bool quiescing;
	/*
	 * Set once the first resume page has run: messages up to
	 * resume_horizon (seq) are the resume's, later ones come from effects.
	 */
	bool started;
	int64_t resume_horizon;

	/* Message ids heard of and not yet loaded (a JSON array), and the load in flight. */
	json_t *to_load;
	bool loading;
	/* Writes waiting for the next flush. */
	struct dlv_write *writes, **writes_tail;
	unsigned int n_writes;
	unsigned int flushing; /* flush jobs in flight */
	struct event *flush_ev, *pump_ev, *retry_ev;

	/* Retries: the earliest next attempt known, loads in flight, items in memory. */
	int64_t retry_next_ms;
	bool retry_loading, retry_again;
	unsigned int retry_items;

	FILE *status_log;
	const char *status_log_path; /* the configuration's */
	struct dlv_counts totals;
	struct latency latency;
	uint64_t credential_errors;
};

/* delivery.c */
/* A spilled delivery to endpoint_arn was dropped from the store: out of its app's QueuedInStore. */
void dlv_count_unspilled(struct delivery *d, const char *endpoint_arn);
/* Count an endpoint the flush disabled, for its application and in total. */
void dlv_count_disabled(struct delivery *d, const char *app_arn);
struct dlv_msg *dlv_msg_new(const struct store_msg *m);
void dlv_msg_unref(struct dlv_msg *msg);
struct dlv_app *dlv_app_find(struct delivery *d, const char *arn);
/*
 * Queue a delivery of msg to target (strings copied); fan-out page or NULL.
 * -ENOENT if its application is unknown or deleted, -ENOMEM.
 */
int dlv_enqueue(struct delivery *d, struct dlv_msg *msg, const struct dlv_target *t,
		struct fanout_page *page);
void dlv_pump_soon(struct delivery *d);
/* A message id to load (batched): an accepted message or an event just published. */
void dlv_heard(struct delivery *d, const char *message_id);
void dlv_write_add(struct delivery *d, struct dlv_write *w);
void dlv_write_free(struct dlv_write *w);
/* The retry timer: arm for when (wall clock ms). */
void dlv_retry_arm(struct delivery *d, int64_t when_ms);

/* delivery_apps.c */
void dlv_app_free(struct dlv_app *a);
/* The instance to send through now (looked up again after a reload), or NULL. */
struct herald_app *dlv_app_handle(struct delivery *d, struct dlv_app *a);
/* Replace the engine's applications by those in apps (a JSON array from the store job). */
int dlv_apps_submit(struct delivery *d, bool then_resume);

/* delivery_store.c: submit store jobs; results come back on the loop thread. */
int dlv_load_submit(struct delivery *d);
int dlv_flush_submit(struct delivery *d);
int dlv_retry_submit(struct delivery *d, unsigned int limit);
int dlv_resume_submit(struct delivery *d, int64_t after_seq);
/*
 * a was paused until until_ms and resumes now: the deliveries it spilled to
 * the store (due until_ms at the latest) are made due now, after the writes
 * already submitted, and the retry timer is armed.
 */
int dlv_hasten_submit(struct delivery *d, const struct dlv_app *a, int64_t until_ms);

/* Fan-out slots are free: load waiting topic messages into them (delivery_store.c). */
void dlv_fanout_admit(struct delivery *d);

/* fanout.c */
struct fanout *fanout_new(struct delivery *d, struct dlv_msg *msg, const char *topic_arn,
			  int64_t cursor);
/* Read the next page of subscribers if the window has room. */
void fanout_more(struct fanout *f);
/* A delivery counted in page finished its first attempt. */
void fanout_page_done(struct fanout_page *page);
void fanout_free_all(struct delivery *d);

/* fanout page job (delivery_store.c) */
struct fanout_page_result {
	struct dlv_target *targets;
	size_t n;
	int64_t last_seq;
	bool end;
	int status;
};
int dlv_page_submit(struct delivery *d, struct fanout *f, const char *topic_arn, int64_t after_seq,
		    unsigned int limit, json_t *filter_attrs, const char *text, size_t text_len);
void fanout_page_loaded(struct fanout *f, struct fanout_page_result *r);

void dlv_target_clear(struct dlv_target *t);

#endif
