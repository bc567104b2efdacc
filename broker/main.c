/*
 * heraldd: loads the configuration, opens the state (sealing key, store),
 * starts the native front-end (and the SNS HTTP API when http.enabled) and runs the event loop until SIGTERM/SIGINT.
 *
 * Shutdown is graceful: stop accepting and reading, wait (bounded) until
 * every request read has been answered, then close the store, which commits
 * whatever is still queued.  SIGHUP reloads what can change at run time (log
 * level, access lists, socket limits) and keeps the running configuration if
 * the new one is bad.
 *
 * Threads: everything here runs on the event-loop thread; the store runs
 * its own (store.h).  The configuration loaded at start-up is borrowed by the
 * api and the store for the whole run; a reloaded one is only handed to the
 * front-end.
 */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/api.h"
#include "broker/conf.h"
#include "broker/delivery.h"
#include "broker/front_http.h"
#include "broker/front_native.h"
#include "broker/metrics.h"
#include "broker/plugin.h"
#include "broker/store.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/seal.h"
#include "common/util.h"

#define HERALDD_DEFAULT_CONF SYSCONFDIR "/herald/herald.conf"
#define HERALDD_STOP_POLL_MS 10
#define HERALDD_STOP_MAX_MS  10000

struct heraldd {
	const char *conf_arg; /* -c PATH, or NULL */
	struct conf *conf;    /* loaded at start; borrowed by api, store and front */
	struct conf *reload;  /* latest reloaded one, given to the front; or NULL */
	struct event_base *base;
	struct seal *seal;
	struct store *store;
	struct api *api;
	struct front_native *front;
	struct front_http *http; /* NULL unless http.enabled */
	struct metrics *metrics;
	struct plugin_host *plugins;
	struct delivery *dlv;
	struct event *ev_term, *ev_int, *ev_hup, *ev_stop;
	int64_t stop_deadline_ms;
	int64_t drain_deadline_ms; /* sends in flight may finish until then */
	bool stopping;
};

static void heraldd_usage(FILE *out)
{
	fprintf(out, "usage: heraldd [-c PATH] [-t] [-h] [-V]\n"
		     "  -c PATH  read the configuration from PATH (default " HERALDD_DEFAULT_CONF
		     " if it exists, else built-in defaults)\n"
		     "  -t       check the configuration and exit (0: ok, 1: bad)\n"
		     "  -h       show this help\n"
		     "  -V       show the version\n"
		     "See heraldd(8) and herald.conf(5).\n");
}

/* The file to read: -c, else the installed one if present, else none (NULL). */
static const char *heraldd_conf_path(const char *arg)
{
	struct stat st;

	if (arg)
		return arg;
	if (stat(HERALDD_DEFAULT_CONF, &st) < 0 && errno == ENOENT)
		return NULL;
	return HERALDD_DEFAULT_CONF;
}

static bool heraldd_streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Log every setting that differs between old and new but only takes effect on restart. */
static void heraldd_log_restart_only(const struct conf *old, const struct conf *new)
{
	static const char *const fmt = "reload: %s changed; it needs a restart, keeping %s";

	if (!heraldd_streq(old->region, new->region))
		log_warning(fmt, "region", old->region);
	if (!heraldd_streq(old->account, new->account))
		log_warning(fmt, "account", old->account);
	if (!heraldd_streq(old->state_dir, new->state_dir))
		log_warning(fmt, "state.dir", old->state_dir);
	if (!heraldd_streq(old->db_path, new->db_path))
		log_warning(fmt, "state.db", old->db_path);
	if (!heraldd_streq(old->key_file, new->key_file))
		log_warning(fmt, "state.key_file", old->key_file);
	if (old->durability != new->durability)
		log_warning(fmt, "state.durability",
			    old->durability == CONF_DURABILITY_FULL ? "full" : "process");
	if (old->commit_max_batch != new->commit_max_batch)
		log_warning("reload: state.commit_max_batch changed; it needs a restart, "
			    "keeping %u",
			    old->commit_max_batch);
	if (!heraldd_streq(old->socket_path, new->socket_path))
		log_warning(fmt, "socket.path", old->socket_path);
	if (old->socket_mode != new->socket_mode)
		log_warning("reload: socket.mode changed; it needs a restart, keeping %04o",
			    (unsigned int)old->socket_mode);
	if (!heraldd_streq(old->socket_group, new->socket_group))
		log_warning(fmt, "socket.group",
			    old->socket_group ? old->socket_group : "the daemon's group");
}

/* The HTTP listener's settings that only a restart applies. */
static void heraldd_log_http_restart_only(const struct conf *old, const struct conf *new)
{
	if (old->http_enabled != new->http_enabled || old->http_port != new->http_port ||
	    !heraldd_streq(old->http_address, new->http_address) ||
	    !heraldd_streq(old->http_tls_cert, new->http_tls_cert) ||
	    !heraldd_streq(old->http_tls_key, new->http_tls_key))
		log_warning("reload: http.enabled, address, port, tls_cert or tls_key changed; it "
			    "needs a restart, keeping the running listener");
}

/*
 * Build a driver generation from conf's directories with an instance for
 * every platform application the delivery engine knows, and switch to it; a
 * refused driver is logged by the host and never stops the broker (on a
 * reload it keeps the running generation).
 */
static int heraldd_load_drivers(struct heraldd *d, const struct conf *conf, char **err)
{
	char *e = NULL;

	if (plugin_host_set_driver_conf(d->plugins, conf->driver_options, conf->driver_ca_file) <
	    0) {
		if (err)
			*err = strdup("out of memory");
		return -1;
	}
	if (delivery_load_apps(d->dlv, conf->driver_dirs, conf->n_driver_dirs, &e) == 0)
		return 0;
	log_err("drivers: %s", e ? e : "out of memory");
	if (err)
		*err = e;
	else
		free(e);
	return -1;
}

/* The delivery engine's applications changed: their instances follow. */
static void heraldd_apps_changed(void *arg)
{
	struct heraldd *d = arg;

	heraldd_load_drivers(d, d->reload ? d->reload : d->conf, NULL);
}

/* A device token's syntax, as the driver serving platform sees it (api.h). */
static int heraldd_token_check(void *arg, const char *platform, const char *token, char *err,
			       size_t n)
{
	struct heraldd *d = arg;
	struct plugin_gen *gen = plugin_current(d->plugins);

	/* No driver for platform (HERALD_EAGAIN): accepted, as SNS has no say either. */
	if (!gen || plugin_validate_token(gen, platform, token, err, n) != HERALD_EINVAL)
		return 0;
	return -1;
}

/* GetStats (native only): `herald stats`. */
static json_t *heraldd_get_stats(void *arg, json_t *args, struct op_error *err)
{
	struct heraldd *d = arg;
	json_t *out = delivery_stats_json(d->dlv);

	(void)args;
	return out ? out : op_internal(err, "out of memory");
}

/* ListPlugins (native only): the drivers of the current generation. */
static json_t *heraldd_list_plugins(void *arg, json_t *args, struct op_error *err)
{
	struct heraldd *d = arg;
	json_t *out = plugin_list_json(d->plugins);

	(void)args;
	return out ? out : op_internal(err, "out of memory");
}

/* ReloadPlugins (native only): what SIGHUP does to drivers, with the latest configuration. */
static json_t *heraldd_reload_plugins(void *arg, json_t *args, struct op_error *err)
{
	struct heraldd *d = arg;
	char *e = NULL;

	(void)args;
	if (heraldd_load_drivers(d, d->reload ? d->reload : d->conf, &e) < 0) {
		op_fail(err, "DriverReloadFailed", 500, "%s", e ? e : "out of memory");
		free(e);
		return NULL;
	}
	return heraldd_list_plugins(d, NULL, err);
}

static void heraldd_reload(struct heraldd *d)
{
	const char *path = heraldd_conf_path(d->conf_arg);
	struct conf *conf;
	char *err = NULL;

	log_notice("SIGHUP: reloading %s", path ? path : "built-in defaults");
	conf = conf_load(path, &err);
	if (!conf) {
		log_err("reload failed, keeping the running configuration: %s", err);
		free(err);
		return;
	}
	heraldd_log_restart_only(d->conf, conf);
	heraldd_log_http_restart_only(d->conf, conf);
	log_set_level(conf->log_level);
	heraldd_load_drivers(d, conf, NULL);
	delivery_reopen_log(d->dlv);
	front_native_set_conf(d->front, conf);
	if (d->http)
		front_http_set_conf(d->http, conf);
	/* The front-end has let go of the previous reload: it borrows only the latest. */
	conf_free(d->reload);
	d->reload = conf;
	log_notice("reload done: log_level, access lists, socket limits, HTTP access keys and "
		   "drivers applied, delivery status log reopened");
}

static void heraldd_stop_poll(evutil_socket_t fd, short what, void *arg)
{
	struct heraldd *d = arg;
	unsigned int in_flight =
		front_native_in_flight(d->front) + (d->http ? front_http_in_flight(d->http) : 0);
	unsigned int pending = api_pending(d->api);
	unsigned int sending = delivery_busy(d->dlv);
	struct timeval tv = {0, HERALDD_STOP_POLL_MS * 1000};

	(void)fd;
	(void)what;
	if (sending && util_mono_ms() < d->drain_deadline_ms) {
		evtimer_add(d->ev_stop, &tv);
		return;
	}
	if (in_flight || pending) {
		if (util_mono_ms() < d->stop_deadline_ms) {
			evtimer_add(d->ev_stop, &tv);
			return;
		}
		log_warning("%u requests still unanswered after %d s; the store finishes "
			    "them before exit",
			    in_flight > pending ? in_flight : pending, HERALDD_STOP_MAX_MS / 1000);
	}
	if (delivery_busy(d->dlv))
		log_warning("%u sends still in flight after %u ms; they are sent again after the "
			    "restart",
			    delivery_busy(d->dlv), d->conf->delivery.drain_ms);
	delivery_flush(d->dlv);
	event_base_loopbreak(d->base);
}

static void heraldd_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct heraldd *d = arg;
	const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";

	(void)what;
	if (sig == SIGHUP) {
		if (!d->stopping)
			heraldd_reload(d);
		return;
	}
	if (d->stopping) {
		log_notice("%s: already stopping", name);
		return;
	}
	d->stopping = true;
	log_notice("%s: stopping; answering the requests in flight", name);
	front_native_quiesce(d->front);
	if (d->http)
		front_http_quiesce(d->http);
	delivery_quiesce(d->dlv);
	d->stop_deadline_ms = util_mono_ms() + HERALDD_STOP_MAX_MS;
	d->drain_deadline_ms = util_mono_ms() + d->conf->delivery.drain_ms;
	heraldd_stop_poll(-1, 0, d);
}

static int heraldd_add_signal(struct heraldd *d, struct event **ev, int sig)
{
	*ev = evsignal_new(d->base, sig, heraldd_on_signal, d);
	if (!*ev || evsignal_add(*ev, NULL) < 0) {
		log_err("cannot start: cannot handle signal %s", strsignal(sig));
		return -1;
	}
	return 0;
}

/* Open the state: directory, sealing key, store. */
static int heraldd_open_state(struct heraldd *d)
{
	const struct conf *c = d->conf;
	struct store_conf sc = {
		.db_path = c->db_path,
		.durability = c->durability == CONF_DURABILITY_FULL ? STORE_DURABILITY_FULL
								    : STORE_DURABILITY_PROCESS,
		.max_batch = c->commit_max_batch,
	};
	char *err = NULL;
	int rc;

	rc = paths_mkdir_p(c->state_dir, 0700);
	if (rc < 0) {
		log_err("cannot start: state directory %s: %s", c->state_dir, strerror(-rc));
		return -1;
	}
	d->seal = seal_open(c->key_file, &err);
	if (!d->seal) {
		log_err("cannot start: sealing key %s: %s", c->key_file, err ? err : "?");
		free(err);
		return -1;
	}
	d->store = store_open(&sc, d->base, &err);
	if (!d->store) {
		log_err("cannot start: store %s: %s", c->db_path, err ? err : "?");
		free(err);
		return -1;
	}
	return 0;
}

/* /metrics gauges and counters owned by others than the HTTP front-end. */
static void heraldd_gauges(void *arg, struct evbuffer *out)
{
	struct heraldd *d = arg;
	uint64_t commits = 0, jobs = 0;

	store_stats(d->store, &commits, &jobs);
	evbuffer_add_printf(
		out,
		"herald_in_flight{front=\"native\"} %u\n"
		"# HELP herald_api_pending Operations submitted to the store and not yet "
		"answered\n# TYPE herald_api_pending gauge\nherald_api_pending %u\n"
		"# HELP herald_store_commits_total Store transactions committed\n"
		"# TYPE herald_store_commits_total counter\n"
		"herald_store_commits_total %llu\n"
		"# HELP herald_store_jobs_total Store jobs run\n"
		"# TYPE herald_store_jobs_total counter\nherald_store_jobs_total %llu\n",
		front_native_in_flight(d->front), api_pending(d->api), (unsigned long long)commits,
		(unsigned long long)jobs);
	delivery_metrics(d->dlv, out);
}

/* Private copies of the drivers live in {state.dir}/drivers (see plugin.h). */
static int heraldd_start_plugins(struct heraldd *d)
{
	char *dir = NULL, *err = NULL;

	if (asprintf(&dir, "%s/drivers", d->conf->state_dir) < 0) {
		log_err("cannot start: out of memory");
		return -1;
	}
	d->plugins = plugin_host_new(d->base, dir, &err);
	free(dir);
	if (!d->plugins) {
		log_err("cannot start: %s", err ? err : "out of memory");
		free(err);
		return -1;
	}
	d->dlv = delivery_new(d->base, d->store, d->seal, d->plugins, d->conf, &err);
	if (!d->dlv) {
		log_err("cannot start: %s", err ? err : "out of memory");
		free(err);
		return -1;
	}
	/* The drivers load once the engine has read the applications (delivery_start). */
	delivery_set_apps_hook(d->dlv, heraldd_apps_changed, d);
	return 0;
}

static int heraldd_start(struct heraldd *d)
{
	char *err = NULL;
	mode_t old_umask;

	if (evthread_use_pthreads() < 0) {
		log_err("cannot start: libevent has no thread support");
		return -1;
	}
	d->base = event_base_new();
	d->ev_stop = d->base ? evtimer_new(d->base, heraldd_stop_poll, d) : NULL;
	if (!d->ev_stop) {
		log_err("cannot start: cannot create the event loop");
		return -1;
	}
	if (heraldd_add_signal(d, &d->ev_term, SIGTERM) < 0 ||
	    heraldd_add_signal(d, &d->ev_int, SIGINT) < 0 ||
	    heraldd_add_signal(d, &d->ev_hup, SIGHUP) < 0)
		return -1;

	/* The state (database, key) is for the daemon's user alone. */
	umask(077);
	if (heraldd_open_state(d) < 0)
		return -1;
	if (heraldd_start_plugins(d) < 0)
		return -1;
	d->api = api_new(d->store, d->conf, d->seal);
	if (!d->api ||
	    api_add_local(d->api, "ListPlugins", OP_ROLE_ADMIN, heraldd_list_plugins, d) < 0 ||
	    api_add_local(d->api, "ReloadPlugins", OP_ROLE_ADMIN, heraldd_reload_plugins, d) < 0 ||
	    api_add_local(d->api, "GetStats", OP_ROLE_ADMIN, heraldd_get_stats, d) < 0) {
		log_err("cannot start: out of memory");
		return -1;
	}
	api_set_effect_hook(d->api, delivery_on_effect, d->dlv);
	api_set_token_check(d->api, heraldd_token_check, d);
	api_set_app_check(d->api, delivery_check_app, d->dlv);
	if (delivery_start(d->dlv) < 0) {
		log_err("cannot start: the store refused the delivery engine's first job");
		return -1;
	}
	/* The socket's directory is 0750 and the socket gets socket.mode: let the group in. */
	old_umask = umask(027);
	d->front = front_native_start(d->base, d->api, d->conf, &err);
	umask(old_umask);
	if (!d->front) {
		log_err("cannot start: socket %s: %s", d->conf->socket_path, err ? err : "?");
		free(err);
		return -1;
	}
	if (d->conf->http_enabled) {
		d->metrics = metrics_new();
		d->http = d->metrics ? front_http_start(d->base, d->api, d->metrics, d->conf, &err)
				     : NULL;
		if (!d->http) {
			log_err("cannot start: http: %s", err ? err : "out of memory");
			free(err);
			return -1;
		}
		front_http_set_gauges(d->http, heraldd_gauges, d);
	}
	log_notice("heraldd %s ready: socket %s, state %s, durability %s", PACKAGE_VERSION,
		   d->conf->socket_path, d->conf->state_dir,
		   d->conf->durability == CONF_DURABILITY_FULL ? "full" : "process");
	return 0;
}

/* Tear down whatever heraldd_start() built, in the order that keeps borrowers valid. */
static void heraldd_finish(struct heraldd *d)
{
	/*
	 * The store goes first: closing it delivers the completions of any job
	 * still queued (only after the stop timeout), and those answer through
	 * the api and the front-end, which must still exist.
	 */
	if (d->store)
		store_close(d->store);
	delivery_free(d->dlv);
	if (d->front)
		front_native_free(d->front);
	front_http_free(d->http);
	metrics_free(d->metrics);
	api_free(d->api);
	plugin_host_free(d->plugins);
	seal_free(d->seal);
	if (d->ev_term)
		event_free(d->ev_term);
	if (d->ev_int)
		event_free(d->ev_int);
	if (d->ev_hup)
		event_free(d->ev_hup);
	if (d->ev_stop)
		event_free(d->ev_stop);
	if (d->base)
		event_base_free(d->base);
	conf_free(d->reload);
	conf_free(d->conf);
	libevent_global_shutdown();
}

int main(int argc, char **argv)
{
	struct heraldd d = {0};
	const char *path;
	bool check = false;
	char *err = NULL;
	int opt, rc = 1;

	while ((opt = getopt(argc, argv, "c:thV")) != -1) {
		switch (opt) {
		case 'c':
			d.conf_arg = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			heraldd_usage(stdout);
			return 0;
		case 'V':
			printf("heraldd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			heraldd_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "heraldd: unexpected argument '%s'\n", argv[optind]);
		heraldd_usage(stderr);
		return 2;
	}

	path = heraldd_conf_path(d.conf_arg);
	d.conf = conf_load(path, &err);
	if (check) {
		rc = d.conf ? 0 : 1;
		if (d.conf)
			printf("%s: configuration ok\n", path ? path : "built-in defaults");
		else
			fprintf(stderr, "heraldd: %s\n", err);
		free(err);
		conf_free(d.conf);
		return rc;
	}
	if (!d.conf) {
		log_err("cannot start: %s", err);
		free(err);
		return 1;
	}
	log_set_level(d.conf->log_level);
	if (path)
		log_notice("heraldd %s starting with configuration %s", PACKAGE_VERSION, path);
	else
		log_notice("heraldd %s starting with built-in defaults (no %s)", PACKAGE_VERSION,
			   HERALDD_DEFAULT_CONF);
	signal(SIGPIPE, SIG_IGN);

	if (heraldd_start(&d) == 0 && event_base_dispatch(d.base) == 0 && d.stopping)
		rc = 0;
	heraldd_finish(&d);
	if (rc == 0)
		log_notice("heraldd stopped");
	return rc;
}
