/*
 * Test drivers the host must refuse, one per build flag:
 *   BAD_ABI_MAJOR   built for ABI 2.0
 *   BAD_ABI_MINOR   built for a newer minor than the host's
 *   BAD_SIZE        a descriptor shorter than ABI 1.0's
 *   BAD_NULL_CB     no send callback
 *   BAD_NAME        a name with capitals and spaces
 *   BAD_PLATFORM    an unknown platform
 *   BAD_DUP         claims APNS_SANDBOX, which "good" already serves
 *   BAD_NO_SYMBOL   exports the wrong symbol
 *   BAD_REFUSE      the query function returns NULL
 */
#include <stdlib.h>

#include <herald/driver.h>

static int bad_check_config(const struct herald_host *host, struct herald_app *app,
			    const struct herald_app_config *cfg, char *err, size_t err_size)
{
	return 0;
}

static int bad_create(const struct herald_host *host, struct herald_app *app,
		      const struct herald_app_config *cfg, void **instance, char *err,
		      size_t err_size)
{
	*instance = malloc(1);
	return *instance ? 0 : HERALD_ENOMEM;
}

static int bad_validate_token(const char *platform, const char *token, size_t len, char *err,
			      size_t err_size)
{
	return 0;
}

__attribute__((unused)) static int bad_send(void *instance, const struct herald_notification *n,
					    uint64_t id)
{
	return HERALD_EIO;
}

static void bad_free(void *instance)
{
	free(instance);
}

#if defined(BAD_PLATFORM)
static const char *const bad_platforms[] = {"SMOKE_SIGNALS", NULL};
#elif defined(BAD_DUP)
static const char *const bad_platforms[] = {"APNS_SANDBOX", NULL};
#else
static const char *const bad_platforms[] = {"WNS", NULL};
#endif

static const struct herald_driver bad_driver = {
#ifdef BAD_SIZE
	.size = offsetof(struct herald_driver, send),
#else
	.size = sizeof(struct herald_driver),
#endif
#ifdef BAD_ABI_MAJOR
	.abi_major = 2,
#else
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
#endif
#ifdef BAD_ABI_MINOR
	.abi_minor = HERALD_DRIVER_ABI_MINOR + 1,
#else
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
#endif
#ifdef BAD_NAME
	.name = "Bad Name",
#elif defined(BAD_DUP)
	.name = "dup",
#else
	.name = "bad",
#endif
	.version = "0",
	.platforms = bad_platforms,
	.check_config = bad_check_config,
	.create_instance = bad_create,
	.validate_token = bad_validate_token,
#ifndef BAD_NULL_CB
	.send = bad_send,
#endif
	.free_instance = bad_free,
};

#ifdef BAD_NO_SYMBOL
HERALD_DRIVER_EXPORT const struct herald_driver *herald_driver_query_v0(unsigned int major);
const struct herald_driver *herald_driver_query_v0(unsigned int major)
{
	return &bad_driver;
}
#else
const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
#ifdef BAD_REFUSE
	/* Refuses every host that exists: the descriptor is never handed out. */
	return host_major > 1000 ? &bad_driver : NULL;
#else
	return &bad_driver;
#endif
}
#endif
