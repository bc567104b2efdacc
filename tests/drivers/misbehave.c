/*
 * Test driver "misbehave" (ADM): breaks the send contract on purpose, picked
 * by the token: "twice" reports twice, "never" never reports, "garbage"
 * reports an unknown outcome kind, "null" reports a NULL outcome, "short"
 * an outcome whose size is too small, "errafter" reports and then returns
 * an error.  Anything else is delivered.  The host must survive all of it.
 */
#include <stdlib.h>
#include <string.h>

#include <herald/driver.h>

struct misbehave {
	const struct herald_host *host;
	struct herald_app *app;
};

static int mb_check_config(const struct herald_host *host, struct herald_app *app,
			   const struct herald_app_config *cfg, char *err, size_t err_size)
{
	return 0;
}

static int mb_create(const struct herald_host *host, struct herald_app *app,
		     const struct herald_app_config *cfg, void **instance, char *err,
		     size_t err_size)
{
	struct misbehave *m = calloc(1, sizeof(*m));

	if (!m)
		return HERALD_ENOMEM;
	m->host = host;
	m->app = app;
	*instance = m;
	return 0;
}

static int mb_validate_token(const char *platform, const char *token, size_t len, char *err,
			     size_t err_size)
{
	return 0;
}

static int mb_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct misbehave *m = instance;
	struct herald_outcome o = {.size = sizeof(o), .kind = HERALD_OUTCOME_DELIVERED};

	if (!strcmp(n->token, "never"))
		return 0;
	if (!strcmp(n->token, "null")) {
		m->host->send_done(m->app, id, NULL);
		return 0;
	}
	if (!strcmp(n->token, "garbage"))
		o.kind = 99;
	if (!strcmp(n->token, "short"))
		o.size = 4;
	m->host->send_done(m->app, id, &o);
	if (!strcmp(n->token, "twice"))
		m->host->send_done(m->app, id, &o);
	if (!strcmp(n->token, "errafter"))
		return HERALD_EIO;
	return 0;
}

static void mb_free(void *instance)
{
	free(instance);
}

static const char *const mb_platforms[] = {"ADM", NULL};

static const struct herald_driver mb_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "misbehave",
	.version = "0",
	.platforms = mb_platforms,
	.check_config = mb_check_config,
	.create_instance = mb_create,
	.validate_token = mb_validate_token,
	.send = mb_send,
	.free_instance = mb_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	return &mb_driver;
}
