/*
 * herald.conf loading (broker/conf.c): defaults, every key, and the exact
 * "FILE:LINE: reason" a user sees for each kind of mistake.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "broker/conf.h"
#include "common/paths.h"
#include "tests/unit/fixture.h"

static char tdir[256];
static char tpath[320];

static int suite_init(void)
{
	/* Defaults must not depend on the caller's environment. */
	unsetenv("HERALD_SOCKET");
	return fx_tmpdir(tdir, sizeof(tdir));
}

static int suite_clean(void)
{
	fx_rm_rf(tdir);
	return 0;
}

/* Write text to {tdir}/name and return its path (static). */
static const char *write_file(const char *name, const char *text)
{
	FILE *f;

	snprintf(tpath, sizeof(tpath), "%s/%s", tdir, name);
	f = fopen(tpath, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return tpath;
}

/* Load text as a config file and assert it fails with "PATH:expect" exactly. */
static void assert_error(const char *text, const char *expect)
{
	const char *path = write_file("bad.conf", text);
	char *err = NULL, *want = NULL;
	struct conf *c = conf_load(path, &err);

	CU_ASSERT_PTR_NULL(c);
	conf_free(c);
	CU_ASSERT_FATAL(asprintf(&want, "%s:%s", path, expect) > 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_STRING_EQUAL(err, want);
	if (strcmp(err, want))
		fprintf(stderr, "\n  got  %s\n  want %s\n", err, want);
	free(err);
	free(want);
}

static void check_defaults(const struct conf *c)
{
	char *state = paths_default_state_dir(), *sock = paths_default_socket(), *p = NULL;

	CU_ASSERT_STRING_EQUAL(c->region, "us-east-1");
	CU_ASSERT_STRING_EQUAL(c->account, "000000000000");
	CU_ASSERT_STRING_EQUAL(c->state_dir, state);
	CU_ASSERT(asprintf(&p, "%s/herald.db", state) > 0);
	CU_ASSERT_STRING_EQUAL(c->db_path, p);
	free(p);
	CU_ASSERT(asprintf(&p, "%s/seal.key", state) > 0);
	CU_ASSERT_STRING_EQUAL(c->key_file, p);
	free(p);
	CU_ASSERT_EQUAL(c->durability, CONF_DURABILITY_FULL);
	CU_ASSERT_EQUAL(c->commit_max_batch, 1000);
	CU_ASSERT_STRING_EQUAL(c->socket_path, sock);
	CU_ASSERT_EQUAL(c->socket_mode, 0660);
	CU_ASSERT_PTR_NULL(c->socket_group);
	CU_ASSERT_EQUAL(c->max_frame, 1048576);
	CU_ASSERT_EQUAL(c->max_clients, 1024);
	CU_ASSERT_EQUAL(c->admin_users.n, 0);
	CU_ASSERT_EQUAL(c->admin_groups.n, 0);
	CU_ASSERT_EQUAL(c->publish_users.n, 0);
	CU_ASSERT_EQUAL(c->publish_groups.n, 0);
	CU_ASSERT_EQUAL(c->log_level, LOG_INFO);
	CU_ASSERT_FALSE(c->http_enabled);
	CU_ASSERT_STRING_EQUAL(c->http_address, "127.0.0.1");
	CU_ASSERT_EQUAL(c->http_port, 9911);
	CU_ASSERT_FALSE(c->http_allow_unsigned);
	CU_ASSERT_EQUAL(c->http_max_body, 1048576);
	CU_ASSERT_EQUAL(c->n_access_keys, 0);
	CU_ASSERT_PTR_NULL(c->http_tls_cert);
	CU_ASSERT_PTR_NULL(c->http_tls_key);
	CU_ASSERT_EQUAL_FATAL(c->n_driver_dirs, 1);
	CU_ASSERT_STRING_EQUAL(c->driver_dirs[0], DRIVERDIR);
	CU_ASSERT_PTR_NULL(c->driver_ca_file);
	CU_ASSERT_EQUAL(json_object_size(c->driver_options), 0);
	CU_ASSERT_EQUAL(c->delivery.in_flight_per_app, 1000);
	CU_ASSERT_EQUAL(c->delivery.immediate_retries, 0);
	CU_ASSERT_EQUAL(c->delivery.min_delay_retries, 2);
	CU_ASSERT_EQUAL(c->delivery.backoff_retries, 10);
	CU_ASSERT_EQUAL(c->delivery.max_delay_retries, 38);
	CU_ASSERT_EQUAL(c->delivery.min_delay_ms, 10000);
	CU_ASSERT_EQUAL(c->delivery.max_delay_ms, 600000);
	CU_ASSERT_EQUAL(c->delivery.credential_retry_ms, 60000);
	CU_ASSERT_EQUAL(c->delivery.fanout_window, 2000);
	CU_ASSERT_EQUAL(c->delivery.default_ttl_s, 28 * 24 * 3600);
	CU_ASSERT_EQUAL(c->delivery.drain_ms, 5000);
	CU_ASSERT_EQUAL(c->delivery.max_queued_per_app, 10000);
	CU_ASSERT_EQUAL(c->delivery.rate_per_app, 0);
	CU_ASSERT_EQUAL(c->delivery.max_fanouts, 100);
	CU_ASSERT_EQUAL(conf_app_rate(&c->delivery, "APNS", "any"), 0);
	CU_ASSERT_PTR_NULL(c->delivery.status_log);
	free(state);
	free(sock);
}

static void test_defaults_without_file(void)
{
	char *err = NULL;
	struct conf *c = conf_load(NULL, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_PTR_NULL(c->path);
	check_defaults(c);
	conf_free(c);
}

static void test_empty_file_is_defaults(void)
{
	const char *path = write_file("empty.conf", "# nothing but a comment\n");
	char *err = NULL;
	struct conf *c = conf_load(path, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->path, path);
	check_defaults(c);
	conf_free(c);
}

/* The shipped etc/herald.conf only comments: it must load and equal the defaults. */
static void test_shipped_file_is_defaults(void)
{
	const char *src = getenv("HERALD_SRCDIR");
	char path[512];
	char *err = NULL;
	struct conf *c;

	snprintf(path, sizeof(path), "%s/etc/herald.conf", src && *src ? src : ".");
	c = conf_load(path, &err);
	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	check_defaults(c);
	conf_free(c);
}

/* $HERALD_SOCKET moves the default socket (so heraldd and herald agree); socket.path wins. */
static void test_herald_socket_env(void)
{
	const char *path =
		write_file("sock.conf", "socket: { path = \"/tmp/from-file.sock\"; };\n");
	char *err = NULL;
	struct conf *c;

	setenv("HERALD_SOCKET", "/tmp/from-env.sock", 1);
	c = conf_load(NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->socket_path, "/tmp/from-env.sock");
	conf_free(c);
	c = conf_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->socket_path, "/tmp/from-file.sock");
	conf_free(c);
	unsetenv("HERALD_SOCKET");
}

static void test_every_key(void)
{
	const char *path = write_file("full.conf", "region = \"eu-west-3\";\n"
						   "account = \"123456789012\";\n"
						   "log_level = \"debug\";\n"
						   "state: {\n"
						   "  dir = \"/srv/herald\";\n"
						   "  db = \"/fast/h.db\";\n"
						   "  key_file = \"/secret/k\";\n"
						   "  durability = \"process\";\n"
						   "  commit_max_batch = 64;\n"
						   "};\n"
						   "socket: {\n"
						   "  path = \"/run/h/h.sock\";\n"
						   "  mode = \"0640\";\n"
						   "  group = \"root\";\n"
						   "  max_frame = 65536;\n"
						   "  max_clients = 10;\n"
						   "};\n"
						   "access: {\n"
						   "  admin_users = [\"root\", \"4242\"];\n"
						   "  admin_groups = [\"root\"];\n"
						   "  publish_users = [1001];\n"
						   "  publish_groups = ( \"root\", 7 );\n"
						   "};\n");
	char *err = NULL;
	struct conf *c = conf_load(path, &err);

	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->region, "eu-west-3");
	CU_ASSERT_STRING_EQUAL(c->account, "123456789012");
	CU_ASSERT_EQUAL(c->log_level, LOG_DEBUG);
	CU_ASSERT_STRING_EQUAL(c->state_dir, "/srv/herald");
	CU_ASSERT_STRING_EQUAL(c->db_path, "/fast/h.db");
	CU_ASSERT_STRING_EQUAL(c->key_file, "/secret/k");
	CU_ASSERT_EQUAL(c->durability, CONF_DURABILITY_PROCESS);
	CU_ASSERT_EQUAL(c->commit_max_batch, 64);
	CU_ASSERT_STRING_EQUAL(c->socket_path, "/run/h/h.sock");
	CU_ASSERT_EQUAL(c->socket_mode, 0640);
	CU_ASSERT_STRING_EQUAL(c->socket_group, "root");
	CU_ASSERT_EQUAL(c->max_frame, 65536);
	CU_ASSERT_EQUAL(c->max_clients, 10);
	CU_ASSERT_EQUAL_FATAL(c->admin_users.n, 2);
	CU_ASSERT_EQUAL(c->admin_users.ids[0], 0);
	CU_ASSERT_EQUAL(c->admin_users.ids[1], 4242);
	CU_ASSERT_EQUAL_FATAL(c->admin_groups.n, 1);
	CU_ASSERT_EQUAL(c->admin_groups.ids[0], 0);
	CU_ASSERT_EQUAL_FATAL(c->publish_users.n, 1);
	CU_ASSERT_EQUAL(c->publish_users.ids[0], 1001);
	CU_ASSERT_EQUAL_FATAL(c->publish_groups.n, 2);
	CU_ASSERT_EQUAL(c->publish_groups.ids[0], 0);
	CU_ASSERT_EQUAL(c->publish_groups.ids[1], 7);
	conf_free(c);
}

/* db and key_file follow state.dir unless given. */
static void test_state_dir_derives_files(void)
{
	const char *path = write_file("dir.conf", "state: { dir = \"/data/h\"; };\n");
	char *err = NULL;
	struct conf *c = conf_load(path, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->db_path, "/data/h/herald.db");
	CU_ASSERT_STRING_EQUAL(c->key_file, "/data/h/seal.key");
	conf_free(c);
}

/* libconfig has no octal literals: mode = 0660 arrives as 660 and means 0660. */
static void test_mode_as_integer(void)
{
	const char *path = write_file("mode.conf", "socket: { mode = 0660; };\n");
	char *err = NULL;
	struct conf *c = conf_load(path, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->socket_mode, 0660);
	conf_free(c);
}

static void test_error_unknown_key(void)
{
	assert_error("region = \"us-east-1\";\n\nregoin = \"x\";\n", "3: unknown key 'regoin'");
	assert_error("socket: {\n  pth = \"/x\";\n};\n", "2: unknown key 'pth' in group 'socket'");
	assert_error("state: { dir = \"/x\"; };\naccess: { admins = []; };\n",
		     "2: unknown key 'admins' in group 'access'");
}

static void test_error_wrong_type(void)
{
	assert_error("socket: { max_frame = \"big\"; };\n",
		     "1: socket.max_frame must be an integer, not a string");
	assert_error("socket = 5;\n",
		     "1: socket must be a group like socket: { ... };, not an integer");
	assert_error("region = 1;\n", "1: region must be a string, not an integer");
	assert_error("account = 123456789012;\n", "1: account must be a string, not an integer");
	assert_error("state: { dir = true; };\n", "1: state.dir must be a string, not a boolean");
	assert_error("access: { admin_users = \"root\"; };\n",
		     "1: access.admin_users must be an array of user names like [\"root\"], not a "
		     "string");
	assert_error("access: { admin_groups = ( [\"x\"] ); };\n",
		     "1: access.admin_groups must hold group names, not an array");
}

static void test_error_bad_values(void)
{
	assert_error("region = \"US_East\";\n",
		     "1: region \"US_East\" is not a region name (lowercase letters, digits and "
		     "'-', like \"us-east-1\")");
	assert_error("region = \"\";\n",
		     "1: region \"\" is not a region name (lowercase letters, digits and '-', "
		     "like \"us-east-1\")");
	assert_error("account = \"12345\";\n", "1: account \"12345\" must be exactly 12 digits");
	assert_error("account = \"12345678901x\";\n",
		     "1: account \"12345678901x\" must be exactly 12 digits");
	assert_error("state: {\n durability = \"fast\";\n};\n",
		     "2: state.durability must be \"full\" or \"process\", not \"fast\"");
	assert_error("state: { commit_max_batch = 0; };\n",
		     "1: state.commit_max_batch must be between 1 and 100000, not 0");
	assert_error("state: { dir = \"\"; };\n", "1: state.dir must not be empty");
	assert_error("socket: { mode = \"0999\"; };\n",
		     "1: socket.mode \"0999\" is not a file mode (octal, 0000 to 0777, like "
		     "\"0660\")");
	assert_error("socket: { mode = 1777; };\n",
		     "1: socket.mode \"1777\" is not a file mode (octal, 0000 to 0777, like "
		     "\"0660\")");
	assert_error("socket: { mode = \"rw\"; };\n",
		     "1: socket.mode \"rw\" is not a file mode (octal, 0000 to 0777, like "
		     "\"0660\")");
	assert_error("socket: { max_frame = 100; };\n",
		     "1: socket.max_frame must be between 4096 and 67108864, not 100");
	assert_error("socket: { max_frame = 67108865; };\n",
		     "1: socket.max_frame must be between 4096 and 67108864, not 67108865");
	assert_error("socket: { max_clients = -1; };\n",
		     "1: socket.max_clients must be between 1 and 65536, not -1");
	assert_error(
		"socket: { path = \"/tmp/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"; };\n",
		"1: socket.path is too long (at most 107 bytes)");
	assert_error("log_level = \"loud\";\n",
		     "1: log_level \"loud\" is not one of debug, info, notice, warning, err, crit");
}

static void test_driver_dirs(void)
{
	const char *path =
		write_file("drv.conf", "drivers: { dirs = [\"/opt/a\", \"/opt/b\"]; };\n");
	char *err = NULL;
	struct conf *c = conf_load(path, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(c->n_driver_dirs, 2);
	CU_ASSERT_STRING_EQUAL(c->driver_dirs[0], "/opt/a");
	CU_ASSERT_STRING_EQUAL(c->driver_dirs[1], "/opt/b");
	conf_free(c);
	/* [] is "no drivers", not "the default". */
	path = write_file("drv.conf", "drivers: { dirs = []; };\n");
	c = conf_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->n_driver_dirs, 0);
	conf_free(c);
	assert_error("drivers: { dirs = \"/opt/a\"; };\n",
		     "1: drivers.dirs must be an array of directories like "
		     "[\"/usr/lib/herald/drivers-abi1\"], not a string");
	assert_error("drivers: { dirs = [\"relative\"]; };\n",
		     "1: drivers.dirs: \"relative\" is not an absolute path of at most 4096 "
		     "bytes");
	assert_error("drivers: { dirs = [1]; };\n",
		     "1: drivers.dirs must hold directory names, not an integer");
	assert_error("drivers: { dir = [\"/a\"]; };\n", "1: unknown key 'dir' in group 'drivers'");
}

/* drivers.ca_file and drivers.NAME = { key = value; }: options handed to driver NAME. */
static void test_driver_options(void)
{
	const char *path = write_file("drvopt.conf",
				      "drivers: {\n  ca_file = \"/etc/ssl/emu.pem\";\n"
				      "  apns = { url = \"https://127.0.0.1:2197\"; port = 2197;"
				      " big = 5000000000L; ratio = 0.5; insecure = true; };\n"
				      "  fcm-v1 = { };\n};\n");
	char *err = NULL;
	struct conf *c = conf_load(path, &err);
	json_t *apns;

	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->driver_ca_file, "/etc/ssl/emu.pem");
	apns = json_object_get(c->driver_options, "apns");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(apns, "url")),
			       "https://127.0.0.1:2197");
	/* Every value reaches the driver as a string. */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(apns, "port")), "2197");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(apns, "big")), "5000000000");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(apns, "ratio")), "0.5");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(apns, "insecure")), "true");
	CU_ASSERT_EQUAL(json_object_size(json_object_get(c->driver_options, "fcm-v1")), 0);
	conf_free(c);
	/* An empty ca_file means the system's. */
	path = write_file("drvopt.conf", "drivers: { ca_file = \"\"; };\n");
	c = conf_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NULL(c->driver_ca_file);
	conf_free(c);
	assert_error("drivers: { ca_file = 1; };\n",
		     "1: drivers.ca_file must be a string, not an integer");
	assert_error("drivers: {\n  APNS = { url = \"x\"; };\n};\n",
		     "2: drivers.APNS: a driver name is [a-z0-9_-], 1 to 32 bytes");
	assert_error("drivers: {\n  apns = {\n    hosts = [\"a\"];\n  };\n};\n",
		     "3: drivers.apns.hosts must be a string, number or boolean, not an array");
}

/* delivery { ... }: the engine's settings, bounded, FILE:LINE on errors. */
static void test_delivery(void)
{
	const char *path = write_file(
		"dlv.conf", "delivery: {\n  in_flight_per_app = 64;\n  immediate_retries = 1;\n"
			    "  min_delay_retries = 3;\n  backoff_retries = 4;\n"
			    "  max_delay_retries = 5;\n  min_delay_ms = 20;\n"
			    "  max_delay_ms = 80;\n  credential_retry_ms = 400;\n"
			    "  fanout_window = 256;\n  default_ttl_s = 0;\n  drain_ms = 0;\n"
			    "  max_queued_per_app = 500;\n  rate_per_app = 7;\n  max_fanouts = 3;\n"
			    "  apps = ( { name = \"a.b\"; rate = 100; },\n"
			    "           { name = \"a.b\"; platform = \"GCM\"; rate = 0; } );\n"
			    "  status_log = \"/var/log/herald/delivery.log\";\n};\n");
	char *err = NULL;
	struct conf *c = conf_load(path, &err);

	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->delivery.in_flight_per_app, 64);
	CU_ASSERT_EQUAL(c->delivery.immediate_retries, 1);
	CU_ASSERT_EQUAL(c->delivery.min_delay_retries, 3);
	CU_ASSERT_EQUAL(c->delivery.backoff_retries, 4);
	CU_ASSERT_EQUAL(c->delivery.max_delay_retries, 5);
	CU_ASSERT_EQUAL(c->delivery.min_delay_ms, 20);
	CU_ASSERT_EQUAL(c->delivery.max_delay_ms, 80);
	CU_ASSERT_EQUAL(c->delivery.credential_retry_ms, 400);
	CU_ASSERT_EQUAL(c->delivery.fanout_window, 256);
	CU_ASSERT_EQUAL(c->delivery.default_ttl_s, 0);
	CU_ASSERT_EQUAL(c->delivery.drain_ms, 0);
	CU_ASSERT_EQUAL(c->delivery.max_queued_per_app, 500);
	CU_ASSERT_EQUAL(c->delivery.rate_per_app, 7);
	CU_ASSERT_EQUAL(c->delivery.max_fanouts, 3);
	CU_ASSERT_EQUAL(conf_app_rate(&c->delivery, "APNS", "a.b"), 100);
	CU_ASSERT_EQUAL(conf_app_rate(&c->delivery, "GCM", "a.b"), 0);
	CU_ASSERT_EQUAL(conf_app_rate(&c->delivery, "APNS", "other"), 7);
	CU_ASSERT_STRING_EQUAL(c->delivery.status_log, "/var/log/herald/delivery.log");
	conf_free(c);
	assert_error("delivery: {\n  in_flight_per_app = 0;\n};\n",
		     "2: delivery.in_flight_per_app must be between 1 and 1000000, not 0");
	assert_error("delivery: {\n  max_queued_per_app = 0;\n};\n",
		     "2: delivery.max_queued_per_app must be between 1 and 100000000, not 0");
	assert_error("delivery: {\n  apps = ( { rate = 5; } );\n};\n",
		     "2: delivery.apps entries need a name");
	assert_error("delivery: {\n  apps = ( { name = \"x\";\n rate = -1; } );\n};\n",
		     "3: rate must be between 0 and 10000000, not -1");
	assert_error("delivery: {\n  apps = ( { name = \"x\"; burst = 1; } );\n};\n",
		     "2: unknown key 'burst' in delivery.apps");
	assert_error("delivery: {\n  apps = { x = 1; };\n};\n",
		     "2: delivery.apps must be a list like ( { name = \"myapp\"; rate = 100; } ), "
		     "not a group");
	assert_error("delivery: {\n  fanout_window = \"big\";\n};\n",
		     "2: delivery.fanout_window must be an integer, not a string");
	assert_error("delivery: { retries = 3; };\n",
		     "1: unknown key 'retries' in group 'delivery'");
	assert_error("delivery: { status_log = \"\"; };\n",
		     "1: delivery.status_log must not be empty");
	assert_error("delivery: { min_delay_ms = 500; max_delay_ms = 100; };\n",
		     " delivery.min_delay_ms (500) must not exceed delivery.max_delay_ms (100)");
}

static void test_error_unknown_names(void)
{
	assert_error("access: {\n  admin_users = [\"root\",\n \"no-such-user-hrld\"];\n};\n",
		     "3: unknown user \"no-such-user-hrld\" in access.admin_users");
	assert_error("access: { publish_groups = [\"no-such-group-hrld\"]; };\n",
		     "1: unknown group \"no-such-group-hrld\" in access.publish_groups");
	assert_error("socket: { group = \"no-such-group-hrld\"; };\n",
		     "1: unknown group \"no-such-group-hrld\" in socket.group");
}

static void test_error_syntax(void)
{
	assert_error("region = \"us-east-1\";\naccount = ;\n", "2: syntax error");
	assert_error("region = \"us-east-1\";\nregion = \"us-east-2\";\n",
		     "2: duplicate setting name");
}

static void test_error_missing_file(void)
{
	char path[320];
	char *err = NULL, *want = NULL;

	snprintf(path, sizeof(path), "%s/absent.conf", tdir);
	CU_ASSERT_PTR_NULL(conf_load(path, &err));
	CU_ASSERT(asprintf(&want, "%s: No such file or directory", path) > 0);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(err);
	free(want);
}

/* An error inside an @include'd file names that file; includes are relative to the including one. */
static void test_error_in_include(void)
{
	char inc[320];
	char *err = NULL, *want = NULL;
	struct conf *c;
	const char *path;

	snprintf(inc, sizeof(inc), "%s/part.conf", tdir);
	write_file("part.conf", "\nsocket: { max_clients = 0; };\n");
	path = write_file("main.conf", "region = \"us-east-2\";\n@include \"part.conf\"\n");
	c = conf_load(path, &err);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT(asprintf(&want, "%s:2: socket.max_clients must be between 1 and 65536, not 0",
			   inc) > 0);
	CU_ASSERT_STRING_EQUAL(err, want);
	if (err && strcmp(err, want))
		fprintf(stderr, "\n  got  %s\n  want %s\n", err, want);
	free(err);
	free(want);
}

/* The http group: every key, and a secret never appears in a message. */
static void test_http(void)
{
	const char *path = write_file(
		"http.conf",
		"http: {\n enabled = true;\n address = \"0.0.0.0\";\n port = 0;\n"
		" allow_unsigned = true;\n max_body = 4096;\n tls_cert = \"/c.pem\";\n"
		" tls_key = \"/k.pem\";\n"
		" access_keys = (\n  { id = \"AKID1\"; secret = \"0123456789abcdef\"; },\n"
		"  { id = \"AKID2\"; secret = \"fedcba9876543210\"; role = \"publish\"; }\n );\n};\n");
	char *err = NULL;
	struct conf *c = conf_load(path, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(c->http_enabled);
	CU_ASSERT_STRING_EQUAL(c->http_address, "0.0.0.0");
	CU_ASSERT_EQUAL(c->http_port, 0);
	CU_ASSERT_TRUE(c->http_allow_unsigned);
	CU_ASSERT_EQUAL(c->http_max_body, 4096);
	CU_ASSERT_EQUAL_FATAL(c->n_access_keys, 2);
	CU_ASSERT_STRING_EQUAL(c->access_keys[0].id, "AKID1");
	CU_ASSERT_STRING_EQUAL(c->access_keys[0].secret, "0123456789abcdef");
	CU_ASSERT_EQUAL(c->access_keys[0].role, 2);
	CU_ASSERT_EQUAL(c->access_keys[1].role, 1);
	CU_ASSERT_STRING_EQUAL(c->http_tls_cert, "/c.pem");
	CU_ASSERT_STRING_EQUAL(c->http_tls_key, "/k.pem");
	conf_free(c);

	assert_error("http: { port = 70000; };\n",
		     "1: http.port must be between 0 and 65535, not 70000");
	assert_error("http: { enabled = 1; };\n",
		     "1: http.enabled must be true or false, not an integer");
	assert_error("http: { max_body = 10; };\n",
		     "1: http.max_body must be between 1024 and 67108864, not 10");
	assert_error("http: { tls_cert = \"/etc/cert.pem\"; };\n",
		     " http.tls_cert and http.tls_key must be set together (or neither)");
	assert_error("http: { tls_cert = \"\"; tls_key = \"/etc/key.pem\"; };\n",
		     " http.tls_cert and http.tls_key must be set together (or neither)");
	assert_error("http: { access_keys = \"x\"; };\n",
		     "1: http.access_keys must be a list like ( { id = \"...\"; secret = \"...\"; "
		     "role = \"admin\"; } ), not a string");
	assert_error(
		"http: {\n access_keys = ( { id = \"A\"; secret = \"short-secret\"; } );\n};\n",
		"2: http.access_keys secret must be 16 to 128 characters long");
	assert_error(
		"http: {\n access_keys = ( { id = \"A-1\"; secret = \"0123456789abcdef\"; } );\n};\n",
		"2: http.access_keys id must be 1 to 128 letters and digits");
	assert_error("http: {\n access_keys = ( { id = \"A\"; secret = \"0123456789abcdef\"; "
		     "role = \"root\"; } );\n};\n",
		     "2: http.access_keys role must be \"admin\" or \"publish\", not \"root\"");
	assert_error("http: {\n access_keys = ( { id = \"A\"; } );\n};\n",
		     "2: http.access_keys entries need an id and a secret");
	assert_error("http: {\n access_keys = ( { id = \"A\"; secret = \"0123456789abcdef\"; },\n"
		     " { id = \"A\"; secret = \"0123456789abcdeX\"; } );\n};\n",
		     "3: http.access_keys: id A appears twice");
	assert_error("http: { listen = 1; };\n", "1: unknown key 'listen' in group 'http'");
}

static CU_TestInfo tests[] = {
	{"defaults without a file", test_defaults_without_file},
	{"an empty file is the defaults", test_empty_file_is_defaults},
	{"the shipped herald.conf is the defaults", test_shipped_file_is_defaults},
	{"HERALD_SOCKET and socket.path", test_herald_socket_env},
	{"every key", test_every_key},
	{"state.dir derives db and key_file", test_state_dir_derives_files},
	{"socket.mode as an integer", test_mode_as_integer},
	{"drivers.dirs", test_driver_dirs},
	{"drivers.ca_file and drivers.NAME options", test_driver_options},
	{"delivery group", test_delivery},
	{"error: unknown key", test_error_unknown_key},
	{"error: wrong type", test_error_wrong_type},
	{"error: bad values", test_error_bad_values},
	{"error: unknown user and group names", test_error_unknown_names},
	{"error: syntax", test_error_syntax},
	{"error: missing file", test_error_missing_file},
	{"error: inside an include", test_error_in_include},
	{"http group", test_http},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return fx_run_suite("conf", suite_init, suite_clean, tests);
}
