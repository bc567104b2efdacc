/*
 * The plugin host against the real test drivers of tests/drivers: loading,
 * every refusal and its one log line, content-addressed copies (a driver
 * replaced at the same path runs its new code after a reload), generation
 * switches only when complete, old generations freed only after their sends
 * finish, and the completion guard against misbehaving drivers.
 *
 * The host logs to stderr; each test captures fd 2 into a file to check the
 * lines a user would read.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "broker/plugin.h"
#include "common/log.h"
#include "tests/unit/fixture.h"

static struct event_base *base;
static struct plugin_host *host;
static char tmp[256], drvdir[300], copydir[300], logpath[300];
static int saved_stderr = -1;

/* Path of a built test driver (tests/drivers/.libs/NAME.so). */
static void built(const char *name, char *out, size_t n)
{
	const char *b = getenv("HERALD_BUILDDIR");

	snprintf(out, n, "%s/tests/drivers/.libs/%s.so", b ? b : ".", name);
}

/* Copy file from to to, atomically replacing it (a new inode, as an installer does). */
static int copy_file(const char *from, const char *to)
{
	char part[600], buf[65536];
	int in, out;
	ssize_t r;

	snprintf(part, sizeof(part), "%s.part", to);
	in = open(from, O_RDONLY);
	out = open(part, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return -1;
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)r) != r)
			return -1;
	close(in);
	close(out);
	return rename(part, to);
}

/* Install built driver name into the scanned directory as file. */
static void install(const char *name, const char *file)
{
	char from[600], to[600];

	built(name, from, sizeof(from));
	snprintf(to, sizeof(to), "%s/%s", drvdir, file);
	CU_ASSERT_FATAL(copy_file(from, to) == 0);
}

static void cap_begin(void)
{
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Stop capturing; the captured text (malloc'd, caller frees). */
static char *cap_end(void)
{
	char *text = calloc(1, 65536);
	int fd;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	fd = open(logpath, O_RDONLY);
	if (fd >= 0 && text && read(fd, text, 65535) < 0)
		text[0] = '\0';
	if (fd >= 0)
		close(fd);
	return text;
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

static int setup(void)
{
	if (fx_tmpdir(tmp, sizeof(tmp)) < 0)
		return -1;
	snprintf(drvdir, sizeof(drvdir), "%s/drivers", tmp);
	snprintf(copydir, sizeof(copydir), "%s/copies", tmp);
	snprintf(logpath, sizeof(logpath), "%s/log", tmp);
	if (mkdir(drvdir, 0755) < 0)
		return -1;
	log_set_level(LOG_DEBUG);
	base = event_base_new();
	return base ? 0 : -1;
}

static int teardown(void)
{
	event_base_free(base);
	fx_rm_rf(tmp);
	return 0;
}

/* Each test: an empty driver directory and a new host. */
static void start(void)
{
	char *err = NULL;
	struct dirent *e;
	DIR *d = opendir(drvdir);

	while (d && (e = readdir(d))) {
		char p[600];

		snprintf(p, sizeof(p), "%s/%s", drvdir, e->d_name);
		if (e->d_name[0] != '.')
			unlink(p);
	}
	if (d)
		closedir(d);
	host = plugin_host_new(base, copydir, &err);
	CU_ASSERT_FATAL(host != NULL);
}

static void stop(void)
{
	plugin_host_free(host);
	host = NULL;
	/* Every private copy goes with the last generation using it. */
	CU_ASSERT_EQUAL(count_files(copydir), 0);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

/* Run the loop until *flag is set (false after 2 s). */
static bool run_until(const int *flag)
{
	bool timed_out = false;
	struct timeval tv = {2, 0};
	struct event *t = evtimer_new(base, on_timeout, &timed_out);

	evtimer_add(t, &tv);
	while (!*flag && !timed_out)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	return *flag;
}

/* One loop iteration that handles whatever is ready, blocking for nothing. */
static void run_once(void)
{
	event_base_loop(base, EVLOOP_NONBLOCK);
}

struct result {
	int calls;
	struct herald_outcome o;
	char response[128], canonical[64];
};

static void on_done(void *arg, const struct herald_outcome *o)
{
	struct result *r = arg;

	r->calls++;
	r->o = *o;
	snprintf(r->response, sizeof(r->response), "%.*s", (int)o->response_len,
		 o->response ? o->response : "");
	snprintf(r->canonical, sizeof(r->canonical), "%s",
		 o->canonical_token ? o->canonical_token : "");
	r->o.response = NULL;
	r->o.canonical_token = NULL;
}

static const struct herald_app_config app_apns = {
	.size = sizeof(struct herald_app_config),
	.platform = "APNS",
	.name = "ios",
	.arn = "arn:aws:sns:us-east-1:000000000000:app/APNS/ios",
};

static const struct herald_app_config app_adm = {
	.size = sizeof(struct herald_app_config),
	.platform = "ADM",
	.name = "kindle",
	.arn = "arn:aws:sns:us-east-1:000000000000:app/ADM/kindle",
};

static int send_token(struct herald_app *app, const char *token, struct result *r)
{
	struct herald_notification n = {
		.size = sizeof(n),
		.platform = "APNS",
		.token = token,
		.message_id = "m-1",
		.payload = (const unsigned char *)"{}",
		.payload_len = 2,
		.ttl_s = -1,
		.expiration_ms = -1,
		.priority = -1,
		.attempt = 1,
	};

	memset(r, 0, sizeof(*r));
	return plugin_send(app, &n, on_done, r);
}

static char *dirs[] = {drvdir};

static void test_load_good(void)
{
	struct plugin_driver_info info;
	struct plugin_gen *g;
	char *err = NULL, *log, copy[700];
	FILE *f;

	/* A copy left by an earlier run is removed when a host starts. */
	mkdir(copydir, 0700);
	snprintf(copy, sizeof(copy), "%s/%064d.so", copydir, 0);
	f = fopen(copy, "w");
	CU_ASSERT_FATAL(f != NULL);
	fclose(f);
	start();
	CU_ASSERT_EQUAL(count_files(copydir), 0);
	install("good", "good.so");
	install("misbehave", "misbehave.so");
	cap_begin();
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, NULL, 0, &err), 0);
	log = cap_end();
	g = plugin_current(host);
	CU_ASSERT_FATAL(g != NULL);
	CU_ASSERT_FATAL(plugin_gen_driver(g, "APNS") != NULL);
	CU_ASSERT_PTR_EQUAL(plugin_gen_driver(g, "APNS"), plugin_gen_driver(g, "APNS_SANDBOX"));
	CU_ASSERT_PTR_NULL(plugin_gen_driver(g, "WNS"));
	plugin_driver_info(plugin_gen_driver(g, "APNS"), &info);
	CU_ASSERT_STRING_EQUAL(info.name, "good");
	CU_ASSERT_STRING_EQUAL(info.version, "1.0");
	CU_ASSERT_EQUAL(info.abi_major, 1);
	CU_ASSERT_EQUAL(info.abi_minor, HERALD_DRIVER_ABI_MINOR);
	CU_ASSERT(strstr(info.file, "/drivers/good.so") != NULL);
	CU_ASSERT_EQUAL(strlen(info.sha256), 64);
	/* It runs from the private copy named by its content. */
	snprintf(copy, sizeof(copy), "%s/%s.so", copydir, info.sha256);
	CU_ASSERT_EQUAL(access(copy, R_OK), 0);
	CU_ASSERT_EQUAL(count_files(copydir), 2);
	plugin_driver_info(plugin_gen_driver(g, "ADM"), &info);
	CU_ASSERT_STRING_EQUAL(info.name, "misbehave");
	CU_ASSERT(strstr(log, "driver good 1.0 (ABI 1.1) loaded from") != NULL);
	CU_ASSERT_EQUAL(count_lines(log, " refused: "), 0);
	free(log);
	stop();
}

static void check_refusal(const char *lib, const char *file, const char *reason)
{
	unsigned int refused = 99;
	struct plugin_gen *g;
	char *log, line[600];

	start();
	install("good", "good.so");
	if (lib)
		install(lib, file);
	cap_begin();
	g = plugin_load_generation(host, dirs, 1, &refused);
	log = cap_end();
	CU_ASSERT_FATAL(g != NULL);
	CU_ASSERT_EQUAL(refused, 1);
	/* The good driver still loads: one bad file never takes the others down. */
	CU_ASSERT(plugin_gen_driver(g, "APNS") != NULL);
	snprintf(line, sizeof(line), "driver %s/%s refused: %s", drvdir, file, reason);
	if (!strstr(log, line))
		fprintf(stderr, "\nwanted \"%s\" in:\n%s\n", line, log);
	CU_ASSERT(strstr(log, line) != NULL);
	CU_ASSERT_EQUAL(count_lines(log, " refused: "), 1);
	/* The refused driver's private copy is gone. */
	CU_ASSERT_EQUAL(count_files(copydir), 1);
	free(log);
	plugin_gen_discard(g);
	run_once();
	CU_ASSERT_EQUAL(plugin_host_generations(host), 0);
	stop();
}

static void test_refusals(void)
{
	check_refusal("bad_abi_major", "zz.so", "built for driver ABI 2.1; this heraldd has 1.1");
	check_refusal("bad_abi_minor", "zz.so", "built for driver ABI 1.2; this heraldd has 1.1");
	check_refusal("bad_size", "zz.so", "descriptor size ");
	check_refusal("bad_null_cb", "zz.so", "mandatory callback send is NULL");
	check_refusal("bad_name", "zz.so", "bad driver name \"Bad Name\"");
	check_refusal("bad_platform", "zz.so", "unknown platform \"SMOKE_SIGNALS\"");
	check_refusal("bad_dup", "zz.so", "platform APNS_SANDBOX is already served by driver good");
	check_refusal("bad_no_symbol", "zz.so", "no symbol herald_driver_query");
	check_refusal("bad_refuse", "zz.so", "the query function returned NULL");
	/* The same driver twice under two names: the second is refused by name. */
	check_refusal("good", "zz.so", "driver name good is already used by");
}

static void test_refuse_not_elf(void)
{
	unsigned int refused = 0;
	struct plugin_gen *g;
	char path[600], *log;
	FILE *f;

	start();
	install("good", "good.so");
	snprintf(path, sizeof(path), "%s/junk.so", drvdir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("not an ELF file\n", f);
	fclose(f);
	cap_begin();
	g = plugin_load_generation(host, dirs, 1, &refused);
	log = cap_end();
	CU_ASSERT_EQUAL(refused, 1);
	CU_ASSERT(strstr(log, "junk.so refused: dlopen: ") != NULL);
	CU_ASSERT(plugin_gen_driver(g, "APNS") != NULL);
	free(log);
	plugin_gen_discard(g);
	run_once();
	stop();
}

static void test_reload_keeps_current_when_incomplete(void)
{
	struct plugin_gen *first;
	struct herald_app_config bad = app_apns;
	char *err = NULL, *log;

	start();
	install("good", "good.so");
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, &app_apns, 1, &err), 0);
	first = plugin_current(host);
	CU_ASSERT_FATAL(first != NULL);

	/* A refused driver in the new scan: the running generation stays. */
	install("bad_abi_major", "zz.so");
	cap_begin();
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, &app_apns, 1, &err), -1);
	log = cap_end();
	CU_ASSERT_PTR_EQUAL(plugin_current(host), first);
	CU_ASSERT(err && strstr(err, "1 driver refused; keeping driver generation 1"));
	free(err);
	free(log);

	/* An app its driver will not take: the same. */
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/zz.so", drvdir);
		unlink(p);
	}
	bad.credential = "bad";
	bad.credential_len = 3;
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, &bad, 1, &err), -1);
	CU_ASSERT_PTR_EQUAL(plugin_current(host), first);
	CU_ASSERT(err && strstr(err, "driver good: PlatformCredential is not a key"));
	free(err);
	run_once();
	/* The discarded generations are freed; only the running one is left. */
	CU_ASSERT_EQUAL(plugin_host_generations(host), 1);
	stop();
}

static void test_outcomes(void)
{
	struct herald_app *app;
	struct result r;
	char err[256];

	start();
	install("good", "good.so");
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, NULL, 0, &(char *){NULL}), 0);
	CU_ASSERT_PTR_NULL(plugin_gen_app_create(plugin_current(host),
						 &(struct herald_app_config){
							 .size = sizeof(struct herald_app_config),
							 .platform = "WNS",
							 .name = "w",
							 .arn = "x",
						 },
						 err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "no driver serves platform WNS");
	CU_ASSERT_EQUAL(
		plugin_validate_token(plugin_current(host), "APNS", "abc", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(plugin_validate_token(plugin_current(host), "APNS", "", err, sizeof(err)),
			HERALD_EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "token must be 1 to 200 bytes");
	CU_ASSERT_EQUAL(plugin_validate_token(plugin_current(host), "WNS", "abc", err, sizeof(err)),
			HERALD_EAGAIN);
	app = plugin_gen_app_create(plugin_current(host), &app_apns, err, sizeof(err));
	CU_ASSERT_FATAL(app != NULL);
	CU_ASSERT_PTR_EQUAL(plugin_gen_app(plugin_current(host), app_apns.arn), app);
	CU_ASSERT_EQUAL(plugin_app_counter(app, "created"), 1);

	CU_ASSERT_EQUAL(send_token(app, "abc", &r), 0);
	CU_ASSERT_EQUAL(r.calls, 0); /* completes from the loop, not inside send */
	CU_ASSERT(run_until(&r.calls));
	CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(r.o.status, 200);
	CU_ASSERT_STRING_EQUAL(r.response, "good v1");

	CU_ASSERT_EQUAL(send_token(app, "invalid", &r), 0);
	CU_ASSERT(run_until(&r.calls));
	CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_TOKEN_INVALID);
	CU_ASSERT_EQUAL(r.o.invalid_since_ms, 1234);

	CU_ASSERT_EQUAL(send_token(app, "replace", &r), 0);
	CU_ASSERT(run_until(&r.calls));
	CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_TOKEN_REPLACED);
	CU_ASSERT_STRING_EQUAL(r.canonical, "canon-token");

	CU_ASSERT_EQUAL(send_token(app, "retry", &r), 0);
	CU_ASSERT(run_until(&r.calls));
	CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(r.o.retry_after_ms, 2000);

	CU_ASSERT_EQUAL(send_token(app, "reject", &r), 0);
	CU_ASSERT(run_until(&r.calls));
	CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_PAYLOAD_REJECTED);

	/* Completed inside send(): reported before plugin_send() returns, once. */
	CU_ASSERT_EQUAL(send_token(app, "sync", &r), 0);
	CU_ASSERT_EQUAL(r.calls, 1);

	/* Refused by the driver: an error, and done is never called. */
	CU_ASSERT_EQUAL(send_token(app, "busy", &r), HERALD_EAGAIN);
	run_once();
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(plugin_app_in_flight(app), 0);
	CU_ASSERT_EQUAL(plugin_app_counter(app, "sends"), 7);
	stop();
}

static void test_misbehaving(void)
{
	struct herald_app *app;
	struct result r;
	char err[256], *log;

	start();
	install("misbehave", "misbehave.so");
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, &app_adm, 1, &(char *){NULL}), 0);
	app = plugin_gen_app(plugin_current(host), app_adm.arn);
	CU_ASSERT_FATAL(app != NULL);
	(void)err;

	cap_begin();
	CU_ASSERT_EQUAL(send_token(app, "twice", &r), 0);
	log = cap_end();
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT(strstr(log, "[misbehave/kindle] send_done for send ") != NULL);
	CU_ASSERT(strstr(log, "which is not in flight (completed twice") != NULL);
	free(log);

	static const struct {
		const char *token, *why;
	} garbage[] = {
		{"garbage", "unknown outcome kind"},
		{"null", "NULL outcome"},
		{"short", "outcome size out of range"},
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		cap_begin();
		CU_ASSERT_EQUAL(send_token(app, garbage[i].token, &r), 0);
		log = cap_end();
		CU_ASSERT_EQUAL(r.calls, 1);
		CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_RETRY);
		CU_ASSERT_STRING_EQUAL(r.response, "driver error: invalid outcome");
		CU_ASSERT(strstr(log, garbage[i].why) != NULL);
		CU_ASSERT(strstr(log, "counted as a failed attempt") != NULL);
		free(log);
	}

	/* Reported, then returned an error: the outcome stands, reported once. */
	cap_begin();
	CU_ASSERT_EQUAL(send_token(app, "errafter", &r), 0);
	log = cap_end();
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT(strstr(log, "after reporting an outcome") != NULL);
	free(log);

	/* Never reported: failed by the host after the send timeout. */
	plugin_host_set_send_timeout(host, 20);
	cap_begin();
	CU_ASSERT_EQUAL(send_token(app, "never", &r), 0);
	CU_ASSERT_EQUAL(plugin_app_in_flight(app), 1);
	CU_ASSERT(run_until(&r.calls));
	log = cap_end();
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_STRING_EQUAL(r.response, "driver error: no outcome within the send timeout");
	CU_ASSERT(strstr(log, "not completed within 20 ms") != NULL);
	CU_ASSERT_EQUAL(plugin_app_in_flight(app), 0);
	free(log);
	stop();
}

static const char *version_of(void *dl)
{
	herald_driver_query_fn q;

	*(void **)&q = dlsym(dl, HERALD_DRIVER_QUERY_SYMBOL);
	return q ? q(1, 0)->version : "?";
}

static void test_replaced_file_runs_new_code(void)
{
	struct herald_app *app;
	struct result r;
	char path[600];
	void *dl1, *dl2;

	start();
	install("good", "drv.so");
	snprintf(path, sizeof(path), "%s/drv.so", drvdir);

	/* Why copies: plain dlopen() of the replaced path hands back the old code. */
	dl1 = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CU_ASSERT_FATAL(dl1 != NULL);
	install("good2", "drv.so");
	dl2 = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CU_ASSERT_PTR_EQUAL(dl1, dl2);
	CU_ASSERT_STRING_EQUAL(version_of(dl2), "1.0");
	dlclose(dl2);
	dlclose(dl1);

	install("good", "drv.so");
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, &app_apns, 1, &(char *){NULL}), 0);
	app = plugin_gen_app(plugin_current(host), app_apns.arn);
	CU_ASSERT_EQUAL(send_token(app, "x", &r), 0);
	CU_ASSERT(run_until(&r.calls));
	CU_ASSERT_STRING_EQUAL(r.response, "good v1");

	/* Replace the file at the same path while generation 1 is loaded. */
	install("good2", "drv.so");
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, &app_apns, 1, &(char *){NULL}), 0);
	app = plugin_gen_app(plugin_current(host), app_apns.arn);
	CU_ASSERT_EQUAL(plugin_app_counter(app, "variant"), 2);
	CU_ASSERT_EQUAL(send_token(app, "x", &r), 0);
	CU_ASSERT(run_until(&r.calls));
	CU_ASSERT_STRING_EQUAL(r.response, "good v2");
	stop();
}

static unsigned int gens_seen;

static void on_done_count_gens(void *arg, const struct herald_outcome *o)
{
	on_done(arg, o);
	gens_seen = plugin_host_generations(host);
}

static void test_old_generation_freed_after_sends(void)
{
	struct herald_app *old_app, *app;
	struct herald_notification n = {
		.size = sizeof(n),
		.platform = "APNS",
		.token = "slow",
		.payload = (const unsigned char *)"{}",
		.payload_len = 2,
	};
	struct result r = {0}, r2;
	char *log;

	start();
	install("good", "good.so");
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, &app_apns, 1, &(char *){NULL}), 0);
	old_app = plugin_gen_app(plugin_current(host), app_apns.arn);
	CU_ASSERT_EQUAL(plugin_send(old_app, &n, on_done_count_gens, &r), 0);

	/* Reload while the send is in flight: both generations are alive. */
	CU_ASSERT_EQUAL(plugin_reload(host, dirs, 1, &app_apns, 1, &(char *){NULL}), 0);
	CU_ASSERT_EQUAL(plugin_host_generations(host), 2);
	CU_ASSERT_EQUAL(plugin_app_counter(old_app, "drains"), 1);
	/* The old app takes no new sends; the new one does. */
	CU_ASSERT_EQUAL(send_token(old_app, "x", &r2), HERALD_EAGAIN);
	app = plugin_gen_app(plugin_current(host), app_apns.arn);
	CU_ASSERT(app != old_app);
	CU_ASSERT_EQUAL(send_token(app, "x", &r2), 0);
	CU_ASSERT(run_until(&r2.calls));
	run_once();
	CU_ASSERT_EQUAL(plugin_host_generations(host), 2);

	/* The slow send completes on the old code; the old generation goes only afterwards. */
	cap_begin();
	CU_ASSERT(run_until(&r.calls));
	CU_ASSERT_EQUAL(r.o.kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(gens_seen, 2); /* not freed inside the driver's callback */
	run_once();
	log = cap_end();
	CU_ASSERT_EQUAL(plugin_host_generations(host), 1);
	CU_ASSERT(strstr(log, "driver generation 1 freed") != NULL);
	free(log);
	stop();
}

/* configure.ac's driverdir and <herald/driver.h> must agree on the ABI major. */
static void test_driverdir_carries_abi_major(void)
{
	char want[32];
	size_t n = strlen(DRIVERDIR), w;

	snprintf(want, sizeof(want), "/drivers-abi%d", HERALD_DRIVER_ABI_MAJOR);
	w = strlen(want);
	CU_ASSERT(n > w && !strcmp(DRIVERDIR + n - w, want));
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"driverdir carries the ABI major", test_driverdir_carries_abi_major},
		{"load good drivers", test_load_good},
		{"refusals: one log line, others still load", test_refusals},
		{"refuse a file that is not a shared object", test_refuse_not_elf},
		{"reload keeps the running generation unless complete",
		 test_reload_keeps_current_when_incomplete},
		{"outcomes reach the caller", test_outcomes},
		{"misbehaving drivers are guarded", test_misbehaving},
		{"a replaced file runs its new code after reload",
		 test_replaced_file_runs_new_code},
		{"old generation freed after its sends", test_old_generation_freed_after_sends},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("plugin", setup, teardown, tests);
}
