/*
 * The plugin host: loads provider drivers (<herald/driver.h>) from the
 * configured directories, checks them, creates an instance per platform
 * application, and guards every send's completion.
 *
 * Generations.  Everything loaded by one scan is a generation: its drivers
 * and the app instances created from them.  A reload builds a new generation
 * beside the running one and switches only if it came up complete; the old
 * one is drained, and freed (instances, then dlclose) from a fresh loop
 * iteration once its last in-flight send has completed.  Each generation is
 * reference-counted: one reference while current, one per send in flight.
 *
 * Drivers are loaded from content-addressed private copies
 * ({copy_dir}/{sha256}.so): glibc returns the already-loaded handle when the
 * same path is dlopen()ed again, even after the file was replaced, so a
 * reload of an updated driver would silently keep running the old code.
 *
 * Threading: the event-loop thread only.  Ownership is written per function.
 */
#ifndef HERALD_BROKER_PLUGIN_H
#define HERALD_BROKER_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <herald/driver.h>
#include <jansson.h>

struct event_base;
struct plugin_host;
struct plugin_gen;
struct plugin_driver;
struct oauth_cache;

/* The platforms a driver may claim (SNS's platform names). */
extern const char *const plugin_platforms[];

/*
 * A host whose private copies go to copy_dir (created 0700 if missing; it
 * must allow executing mapped files).  Copies left there by an earlier run
 * are removed: one host per copy_dir.  base is borrowed for the host's life.
 * NULL with *err (malloc'd, caller frees) on failure.
 */
struct plugin_host *plugin_host_new(struct event_base *base, const char *copy_dir, char **err);

/*
 * The broker's settings for drivers: options {"driver name": {"key":
 * "value"}} (borrowed reference taken; NULL none) become each app's
 * herald_app_config.options; ca_file (copied; NULL: the system's) is the CA
 * bundle an HTTP pool or OAuth2 token fetch uses when the driver names none.
 * Apply before plugin_reload(); 0 or -1 (out of memory).
 */
int plugin_host_set_driver_conf(struct plugin_host *h, json_t *options, const char *ca_file);

/* For the host services (http, keys, oauth): app's loop, log prefix and CA default. */
struct event_base *plugin_app_base(const struct herald_app *app);
const char *plugin_app_ca_file(const struct herald_app *app);
const char *plugin_app_driver_name(const struct herald_app *app);
const char *plugin_app_name(const struct herald_app *app);
/* The host's OAuth2 token cache (broker/oauth.h), shared by every app. */
struct oauth_cache *plugin_app_oauth(const struct herald_app *app);

/* Free everything: call after delivery stopped; sends still in flight are abandoned. */
void plugin_host_free(struct plugin_host *h);

/* How long a send may stay uncompleted before the host fails it (default 120 s). */
void plugin_host_set_send_timeout(struct plugin_host *h, unsigned int ms);

/*
 * Build a new generation from every *.so in dirs (in name order within each
 * directory).  A driver that fails a check is refused with one log line
 * naming the file and the reason and counted in *refused; the rest load.
 * The generation is not current; plugin_switch() or plugin_gen_discard() it.
 * NULL only when out of memory.
 */
struct plugin_gen *plugin_load_generation(struct plugin_host *h, char *const *dirs, size_t n_dirs,
					  unsigned int *refused);

/*
 * Create the instance serving one platform application in gen (the
 * driver's check_config, then create_instance).  cfg is borrowed.  Returns
 * the app, owned by gen; NULL with err filled.
 */
struct herald_app *plugin_gen_app_create(struct plugin_gen *gen,
					 const struct herald_app_config *cfg, char *err,
					 size_t err_size);

/* Make gen current; the previous one is drained and freed once idle. */
void plugin_switch(struct plugin_host *h, struct plugin_gen *gen);

/* Drop a generation that was never switched to. */
void plugin_gen_discard(struct plugin_gen *gen);

/*
 * Load a generation from dirs, create apps[0..n_apps) in it, and switch to
 * it only if everything came up: every driver accepted (on the first load a
 * refused driver is only logged) and every app created.  0, or -1 with
 * *err (malloc'd) saying why the running generation is kept.
 */
int plugin_reload(struct plugin_host *h, char *const *dirs, size_t n_dirs,
		  const struct herald_app_config *apps, size_t n_apps, char **err);

/* The current generation, or NULL before the first switch.  Borrowed. */
struct plugin_gen *plugin_current(struct plugin_host *h);

/* Generations still alive (current and retired ones with sends in flight). */
unsigned int plugin_host_generations(const struct plugin_host *h);

/* The driver serving platform in gen, or NULL.  Borrowed from gen. */
struct plugin_driver *plugin_gen_driver(struct plugin_gen *gen, const char *platform);

/*
 * Ask the driver serving platform in gen whether token is a device token of
 * it.  0; HERALD_EINVAL with err filled (the driver's reason); or
 * HERALD_EAGAIN with err filled when no driver serves platform.
 */
int plugin_validate_token(struct plugin_gen *gen, const char *platform, const char *token,
			  char *err, size_t err_size);

/*
 * Ask the driver serving cfg->platform in gen whether cfg (borrowed) is a
 * configuration it accepts (its check_config, given the host's driver
 * options as an instance would be), without creating an instance.  0;
 * HERALD_EINVAL with err filled with the driver's reason (whatever code it
 * refused with); HERALD_EAGAIN with err filled when no driver serves the
 * platform; HERALD_ENOMEM.
 */
int plugin_check_config(struct plugin_gen *gen, const struct herald_app_config *cfg, char *err,
			size_t err_size);

/* The app created in gen with arn, or NULL.  Borrowed from gen. */
struct herald_app *plugin_gen_app(struct plugin_gen *gen, const char *arn);

/* Iterate gen's drivers: pass NULL for the first; NULL after the last. */
struct plugin_driver *plugin_gen_next_driver(struct plugin_gen *gen, struct plugin_driver *prev);

struct plugin_driver_info {
	const char *name, *version;
	unsigned int abi_major, abi_minor;
	const char *const *platforms; /* NULL-terminated */
	const char *file;	      /* the file found in a driver directory */
	const char *sha256;	      /* of its content: the private copy's name */
};

/* Everything borrowed from the driver's generation. */
void plugin_driver_info(const struct plugin_driver *d, struct plugin_driver_info *out);

/*
 * The current generation for `herald plugins list`: {"Generation": n,
 * "Plugins": [{"Name", "Version", "Abi": "1.0", "Platforms": [...], "File",
 * "Sha256"}]} (Generation 0 and no plugins before the first load).  A new
 * reference, NULL when out of memory.
 */
json_t *plugin_list_json(struct plugin_host *h);

/*
 * The outcome reaching the caller of plugin_send() has been checked: kind is
 * a known HERALD_OUTCOME_*, strings are NULL or NUL-terminated, and a
 * canonical token is present for TOKEN_REPLACED.  A driver's malformed
 * outcome, or none within the send timeout, arrives as HERALD_OUTCOME_RETRY
 * with status 0 and a response naming the fault.  Borrowed for the call.
 */
typedef void (*plugin_done_fn)(void *arg, const struct herald_outcome *outcome);

/*
 * Send n (borrowed) through app's driver.  0: done(arg, outcome) will be
 * called exactly once, possibly before plugin_send() returns.  Negative
 * (HERALD_E*): not sent and done is never called (the app is draining, or
 * the driver refused).
 */
int plugin_send(struct herald_app *app, const struct herald_notification *n, plugin_done_fn done,
		void *arg);

/* The value of counter name of app (0 if never added to). */
int64_t plugin_app_counter(const struct herald_app *app, const char *name);

/* Sends of app accepted and not yet completed. */
unsigned int plugin_app_in_flight(const struct herald_app *app);

#endif
