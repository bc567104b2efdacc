/*
 * Test driver "good": claims APNS and APNS_SANDBOX and behaves.  The token
 * picks the outcome, so tests can drive every path: "slow" completes after
 * 50 ms, "invalid", "replace", "retry" and "reject" report those outcomes,
 * "sync" completes inside send(), "busy" refuses the send; anything else is
 * delivered on the next loop iteration.  Calls are recorded in the app's
 * counters (created, sends, drains).  Built twice, GOOD_VARIANT 1 and 2,
 * whose outcomes say which code ran ("good v1"/"good v2").
 *
 * No global mutable state: everything lives in the instance.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herald/driver.h>

#ifndef GOOD_VARIANT
#define GOOD_VARIANT 1
#endif
#define GOOD_PENDING_MAX 64
#define STR(x)		 #x
#define XSTR(x)		 STR(x)

struct good_pending {
	struct good *g;
	uint64_t id;
	int kind;
	bool used;
};

struct good {
	const struct herald_host *host;
	struct herald_app *app;
	struct good_pending pending[GOOD_PENDING_MAX];
};

static const char good_response[] = "good v" XSTR(GOOD_VARIANT);

static void good_report(struct good *g, uint64_t id, int kind)
{
	struct herald_outcome o = {
		.size = sizeof(o),
		.kind = kind,
		.invalid_since_ms = kind == HERALD_OUTCOME_TOKEN_INVALID ? 1234 : -1,
		.canonical_token = kind == HERALD_OUTCOME_TOKEN_REPLACED ? "canon-token" : NULL,
		.retry_after_ms = kind == HERALD_OUTCOME_RETRY ? 2000 : -1,
		.status = kind == HERALD_OUTCOME_DELIVERED ? 200 : 400,
		.response = good_response,
		.response_len = sizeof(good_response) - 1,
	};

	g->host->send_done(g->app, id, &o);
}

static void good_fire(struct herald_app *app, void *arg)
{
	struct good_pending *p = arg;

	p->used = false;
	good_report(p->g, p->id, p->kind);
}

static int good_check_config(const struct herald_host *host, struct herald_app *app,
			     const struct herald_app_config *cfg, char *err, size_t err_size)
{
	if (cfg->credential && !strcmp(cfg->credential, "bad")) {
		snprintf(err, err_size, "PlatformCredential is not a key");
		return HERALD_EINVAL;
	}
	return 0;
}

static int good_create(const struct herald_host *host, struct herald_app *app,
		       const struct herald_app_config *cfg, void **instance, char *err,
		       size_t err_size)
{
	struct good *g = calloc(1, sizeof(*g));

	if (!g)
		return HERALD_ENOMEM;
	g->host = host;
	g->app = app;
	host->counter_add(app, "created", 1);
	host->counter_add(app, "variant", GOOD_VARIANT);
	host->log(app, HERALD_LOG_INFO, "instance created");
	*instance = g;
	return 0;
}

static int good_validate_token(const char *platform, const char *token, size_t len, char *err,
			       size_t err_size)
{
	if (len == 0 || len > 200) {
		snprintf(err, err_size, "token must be 1 to 200 bytes");
		return HERALD_EINVAL;
	}
	return 0;
}

static int good_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct good *g = instance;
	struct good_pending *p = NULL;
	int kind = HERALD_OUTCOME_DELIVERED;
	uint64_t delay = 0;

	g->host->counter_add(g->app, "sends", 1);
	if (!strcmp(n->token, "busy"))
		return HERALD_EAGAIN;
	if (!strcmp(n->token, "sync")) {
		good_report(g, id, HERALD_OUTCOME_DELIVERED);
		return 0;
	}
	if (!strcmp(n->token, "slow"))
		delay = 50;
	else if (!strcmp(n->token, "invalid"))
		kind = HERALD_OUTCOME_TOKEN_INVALID;
	else if (!strcmp(n->token, "replace"))
		kind = HERALD_OUTCOME_TOKEN_REPLACED;
	else if (!strcmp(n->token, "retry"))
		kind = HERALD_OUTCOME_RETRY;
	else if (!strcmp(n->token, "reject"))
		kind = HERALD_OUTCOME_PAYLOAD_REJECTED;
	for (int i = 0; i < GOOD_PENDING_MAX && !p; i++)
		if (!g->pending[i].used)
			p = &g->pending[i];
	if (!p)
		return HERALD_EAGAIN;
	*p = (struct good_pending){.g = g, .id = id, .kind = kind, .used = true};
	if (!g->host->timer_add(g->app, delay, good_fire, p)) {
		p->used = false;
		return HERALD_ENOMEM;
	}
	return 0;
}

static void good_drain(void *instance)
{
	struct good *g = instance;

	g->host->counter_add(g->app, "drains", 1);
}

static void good_free(void *instance)
{
	free(instance);
}

static const char *const good_platforms[] = {"APNS", "APNS_SANDBOX", NULL};

static const struct herald_driver good_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "good",
	.version = XSTR(GOOD_VARIANT) ".0",
	.platforms = good_platforms,
	.check_config = good_check_config,
	.create_instance = good_create,
	.validate_token = good_validate_token,
	.send = good_send,
	.drain = good_drain,
	.free_instance = good_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	if (host_major != HERALD_DRIVER_ABI_MAJOR)
		return NULL;
	return &good_driver;
}
