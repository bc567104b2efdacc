/*
 * A minimal herald driver, built out of tree against the installed SDK only
 * (see Makefile and herald-driver(7)).  It serves the MPNS platform by
 * logging each notification and reporting it delivered on the next loop
 * iteration, which shows the parts every driver has: the query function, the
 * descriptor, an instance per platform application, asynchronous sends
 * completed exactly once through host->send_done(), and host timers.
 *
 * All state lives in the instance: several applications share this object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herald/driver.h>

#define EXAMPLE_PENDING_MAX 256

struct example;

struct example_send {
	struct example *ex;
	struct herald_timer *timer; /* NULL when the slot is free */
	uint64_t id;
};

struct example {
	const struct herald_host *host;
	struct herald_app *app;
	struct example_send sends[EXAMPLE_PENDING_MAX];
};

static int example_check_config(const struct herald_host *host, struct herald_app *app,
				const struct herald_app_config *cfg, char *err, size_t err_size)
{
	/* A real driver parses its credentials here, offline, and says what is wrong. */
	if (cfg->credential_len > 65536) {
		snprintf(err, err_size, "PlatformCredential is longer than 64 KiB");
		return HERALD_EINVAL;
	}
	return 0;
}

static int example_create(const struct herald_host *host, struct herald_app *app,
			  const struct herald_app_config *cfg, void **instance, char *err,
			  size_t err_size)
{
	struct example *ex = calloc(1, sizeof(*ex));

	if (!ex) {
		snprintf(err, err_size, "out of memory");
		return HERALD_ENOMEM;
	}
	ex->host = host;
	ex->app = app;
	*instance = ex;
	return 0;
}

static int example_validate_token(const char *platform, const char *token, size_t len, char *err,
				  size_t err_size)
{
	if (len == 0 || len > 2048) {
		snprintf(err, err_size, "a device token is 1 to 2048 bytes");
		return HERALD_EINVAL;
	}
	return 0;
}

static void example_deliver(struct herald_app *app, void *arg)
{
	struct example_send *s = arg;
	struct herald_outcome o = {
		.size = sizeof(o),
		.kind = HERALD_OUTCOME_DELIVERED,
		.invalid_since_ms = -1,
		.retry_after_ms = -1,
		.status = 200,
	};

	s->timer = NULL;
	s->ex->host->counter_add(app, "delivered", 1);
	s->ex->host->send_done(app, s->id, &o);
}

static int example_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct example *ex = instance;
	struct example_send *s = NULL;

	for (int i = 0; i < EXAMPLE_PENDING_MAX && !s; i++)
		if (!ex->sends[i].timer)
			s = &ex->sends[i];
	if (!s)
		return HERALD_EAGAIN; /* the broker keeps the message and tries later */
	s->ex = ex;
	s->id = id;
	s->timer = ex->host->timer_add(ex->app, 0, example_deliver, s);
	if (!s->timer)
		return HERALD_ENOMEM;
	/* Never log a full token or the payload above debug level. */
	ex->host->log(ex->app, HERALD_LOG_DEBUG, "message %s: %zu bytes", n->message_id,
		      n->payload_len);
	return 0;
}

static void example_free(void *instance)
{
	/* The host cancels the instance's remaining timers after this returns. */
	free(instance);
}

static const char *const example_platforms[] = {"MPNS", NULL};

static const struct herald_driver example_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "example",
	.version = "1.0",
	.platforms = example_platforms,
	.check_config = example_check_config,
	.create_instance = example_create,
	.validate_token = example_validate_token,
	.send = example_send,
	.free_instance = example_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	if (host_major != HERALD_DRIVER_ABI_MAJOR)
		return NULL;
	return &example_driver;
}
