/*
 * heraldd as a process: start-up, configuration checking, signals, restart
 * and crash durability, driven through the harness, libherald and, after the
 * daemon is gone, the store itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/store.h"
#include "herald/client.h"
#include "tests/integration/harness.h"
#include "tests/unit/fixture.h"

#define WAIT_MS 10000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(void)
{
	struct timespec ts = {0, 5 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

/* Number of times needle occurs in the daemon's log. */
static int log_count(struct harness *h, const char *needle)
{
	char *log = harness_log(h);
	int n = 0;

	for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(log);
	return n;
}

/* Wait until needle occurs at least n times in the log; false on timeout (log dumped). */
static bool log_wait(struct harness *h, const char *needle, int n)
{
	long long deadline = now_ms() + WAIT_MS;

	while (now_ms() < deadline) {
		if (log_count(h, needle) >= n)
			return true;
		nap();
	}
	fprintf(stderr, "\n  \"%s\" did not appear %d times in the log:\n", needle, n);
	char *log = harness_log(h);
	fprintf(stderr, "%s\n", log);
	free(log);
	return false;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	CU_ASSERT_EQUAL(fclose(f), 0);
}

/* Replace the first `from` in the harness's config with `to`. */
static void conf_replace(struct harness *h, const char *from, const char *to)
{
	FILE *f = fopen(h->conf_path, "r");
	char buf[8192], *at, *out = NULL;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	at = strstr(buf, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	*at = '\0';
	CU_ASSERT_FATAL(asprintf(&out, "%s%s%s", buf, to, at + strlen(from)) > 0);
	write_text(h->conf_path, out);
	free(out);
}

static struct herald *connect_or_fail(struct harness *h)
{
	struct herald_error err;
	struct herald *c = herald_connect(h->socket, &err);

	if (!c)
		fprintf(stderr, "\n  connect %s: %s\n", h->socket, err.message);
	return c;
}

/* heraldd (from HERALD_BUILDDIR) with args; captures output. */
static int run_heraldd(char **out, char **err, const char *a1, const char *a2, const char *a3)
{
	const char *b = getenv("HERALD_BUILDDIR");
	char path[512];
	char *argv[] = {path, (char *)a1, (char *)a2, (char *)a3, NULL};

	snprintf(path, sizeof(path), "%s/heraldd", b && *b ? b : ".");
	return harness_run(argv, NULL, out, err);
}

static void test_starts_answers_and_stops(void)
{
	struct harness h;
	struct herald *c;
	struct herald_error err;
	char *arn = NULL;
	struct stat st;

	CU_ASSERT_FATAL(harness_start(&h, NULL) == 0);
	c = connect_or_fail(&h);
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c) {
		CU_ASSERT_EQUAL(herald_create_topic(c, "orders", &arn, &err), 0);
		CU_ASSERT_STRING_EQUAL(arn ? arn : "", "arn:aws:sns:us-east-1:000000000000:orders");
		herald_free(arn);
		herald_close(c);
	}
	CU_ASSERT(log_count(&h, "starting with configuration ") == 1);
	CU_ASSERT(log_count(&h, " ready: socket ") == 1);
	CU_ASSERT(log_count(&h, "durability full") == 1);
	/* The state directory is the daemon's alone; the socket is 0660 by default. */
	CU_ASSERT_EQUAL(stat(h.socket, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0660);

	CU_ASSERT_EQUAL(harness_stop(&h), 0);
	CU_ASSERT(stat(h.socket, &st) < 0 && errno == ENOENT);
	CU_ASSERT(log_count(&h, "heraldd stopped") == 1);
	harness_cleanup(&h);
}

static void test_check_config(void)
{
	char dir[256], good[320], bad[320], *out = NULL, *err = NULL, *want = NULL;

	CU_ASSERT_FATAL(fx_tmpdir(dir, sizeof(dir)) == 0);
	snprintf(good, sizeof(good), "%s/good.conf", dir);
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	write_text(good, "region = \"eu-west-1\";\nstate: { durability = \"process\"; };\n");
	write_text(bad, "region = \"eu-west-1\";\nstate: {\n  durabilty = \"full\";\n};\n");

	CU_ASSERT_EQUAL(run_heraldd(&out, &err, "-t", "-c", good), 0);
	CU_ASSERT(asprintf(&want, "%s: configuration ok\n", good) > 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(want);
	free(out);
	free(err);

	CU_ASSERT_EQUAL(run_heraldd(&out, &err, "-t", "-c", bad), 1);
	CU_ASSERT(asprintf(&want, "heraldd: %s:3: unknown key 'durabilty' in group 'state'\n",
			   bad) > 0);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(want);
	free(out);
	free(err);
	fx_rm_rf(dir);
}

/* A bad configuration: exit 1 with the reason, and no socket, no state created. */
static void test_refuses_bad_config(void)
{
	char dir[256], conf[320], *text = NULL, *out = NULL, *err = NULL, *want = NULL;
	struct stat st;

	CU_ASSERT_FATAL(fx_tmpdir(dir, sizeof(dir)) == 0);
	snprintf(conf, sizeof(conf), "%s/herald.conf", dir);
	CU_ASSERT_FATAL(asprintf(&text,
				 "state: { dir = \"%s/state\"; };\n"
				 "socket: { path = \"%s/s.sock\"; };\n"
				 "acces: { admin_users = [\"root\"]; };\n",
				 dir, dir) > 0);
	write_text(conf, text);
	CU_ASSERT_EQUAL(run_heraldd(&out, &err, "-c", conf, NULL), 1);
	CU_ASSERT(asprintf(&want, "<3>cannot start: %s:3: unknown key 'acces'\n", conf) > 0);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(text);
	free(want);
	free(out);
	free(err);
	CU_ASSERT(asprintf(&text, "%s/state", dir) > 0);
	CU_ASSERT(stat(text, &st) < 0 && errno == ENOENT);
	free(text);
	fx_rm_rf(dir);
}

/* Usage: -h and -V exit 0; an unknown option exits 2. */
static void test_usage(void)
{
	char *out = NULL, *err = NULL;

	CU_ASSERT_EQUAL(run_heraldd(&out, &err, "-V", NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(out, "heraldd " PACKAGE_VERSION "\n");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(run_heraldd(&out, &err, "-h", NULL, NULL), 0);
	CU_ASSERT(strncmp(out, "usage: heraldd", 14) == 0);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(run_heraldd(&out, &err, "-x", NULL, NULL), 2);
	CU_ASSERT(strstr(err, "usage: heraldd") != NULL);
	free(out);
	free(err);
}

/*
 * Copy the ELF program at path into dir (mode 0755) and put the copy's path
 * in out; a libtool wrapper script (not ELF) stays where it is.  0 or -1.
 */
static int copy_elf(const char *path, const char *dir, char *out, size_t n)
{
	char copy[512], buf[65536];
	int in = open(path, O_RDONLY | O_CLOEXEC), fd = -1, rc = -1;
	ssize_t r;

	if (in < 0)
		return -1;
	if (read(in, buf, 4) != 4)
		goto out;
	if (memcmp(buf,
		   "\x7f"
		   "ELF",
		   4) != 0) {
		rc = 0;
		goto out;
	}
	snprintf(copy, sizeof(copy), "%s/heraldd", dir);
	fd = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0 || lseek(in, 0, SEEK_SET) < 0)
		goto out;
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)r) != r)
			goto out;
	if (r == 0 && fchmod(fd, 0755) == 0) {
		snprintf(out, n, "%s", copy);
		rc = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	close(in);
	return rc;
}

/*
 * No configuration file at all: heraldd as an ordinary user puts its state and
 * socket under XDG_STATE_HOME and XDG_RUNTIME_DIR.  Tests often run as root,
 * whose defaults are /var/lib and /run: then the daemon runs as nobody so
 * that nothing outside the temporary directory is touched.
 */
static void test_no_config_file(void)
{
	struct passwd *nobody = getpwnam("nobody");
	uid_t uid = geteuid() == 0 ? (nobody ? nobody->pw_uid : 65534) : geteuid();
	gid_t gid = geteuid() == 0 ? (nobody ? nobody->pw_gid : 65534) : getegid();
	char dir[256], home[320], sock[400], db[440], key[440], state[400], logp[320], exe[512];
	const char *b = getenv("HERALD_BUILDDIR");
	struct herald *c = NULL;
	struct herald_error err;
	struct stat st;
	long long deadline;
	char *arn = NULL;
	pid_t pid;
	int status = -1;

	if (access(SYSCONFDIR "/herald/herald.conf", F_OK) == 0) {
		fprintf(stderr, "\n  skipped: %s exists\n", SYSCONFDIR "/herald/herald.conf");
		return;
	}
	CU_ASSERT_FATAL(fx_tmpdir(dir, sizeof(dir)) == 0);
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(logp, sizeof(logp), "%s/heraldd.log", dir);
	snprintf(sock, sizeof(sock), "%s/run/herald/heraldd.sock", home);
	snprintf(state, sizeof(state), "%s/state/herald", home);
	snprintf(db, sizeof(db), "%s/herald.db", state);
	snprintf(key, sizeof(key), "%s/seal.key", state);
	CU_ASSERT_FATAL(chmod(dir, 0755) == 0);
	CU_ASSERT_FATAL(mkdir(home, 0700) == 0);
	CU_ASSERT_FATAL(chown(home, uid, gid) == 0);
	snprintf(exe, sizeof(exe), "%s/heraldd", b && *b ? b : ".");
	/* The build tree may be out of nobody's reach (/root/...): run a copy from dir. */
	if (geteuid() == 0 && copy_elf(exe, dir, exe, sizeof(exe)) < 0)
		CU_FAIL_FATAL("cannot copy heraldd for nobody");

	pid = fork();
	if (pid == 0) {
		char runtime[400], xstate[400];
		int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(runtime, sizeof(runtime), "%s/run", home);
		snprintf(xstate, sizeof(xstate), "%s/state", home);
		dup2(fd, 2);
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
			_exit(126);
		mkdir(runtime, 0700);
		clearenv();
		setenv("HOME", home, 1);
		setenv("XDG_RUNTIME_DIR", runtime, 1);
		setenv("XDG_STATE_HOME", xstate, 1);
		setenv("PATH", "/usr/bin:/bin", 1);
		execl(exe, exe, (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_FATAL(pid > 0);
	deadline = now_ms() + WAIT_MS;
	while (!c && now_ms() < deadline && waitpid(pid, &status, WNOHANG) == 0) {
		c = herald_connect(sock, &err);
		if (!c)
			nap();
	}
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c) {
		CU_ASSERT_EQUAL(herald_create_topic(c, "t", &arn, &err), 0);
		herald_free(arn);
		herald_close(c);
	}
	CU_ASSERT(stat(db, &st) == 0 && st.st_uid == uid);
	CU_ASSERT(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600);
	CU_ASSERT(stat(state, &st) == 0 && (st.st_mode & 0777) == 0700);
	CU_ASSERT(stat(sock, &st) == 0 && (st.st_mode & 0777) == 0660);
	*strrchr(sock, '/') = '\0';
	CU_ASSERT(stat(sock, &st) == 0 && (st.st_mode & 0777) == 0750);
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	{
		FILE *f = fopen(logp, "r");
		char buf[8192] = "";
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		CU_ASSERT(strstr(buf, "starting with built-in defaults") != NULL);
		if (!strstr(buf, "starting with built-in defaults"))
			fprintf(stderr, "\n  log:\n%s\n", buf);
	}
	fx_rm_rf(dir);
}

/* Resources created before a restart are there after it, with their attributes. */
static void test_state_survives_restart(void)
{
	const char *app_attrs[] = {"PlatformCredential", "server-key-1", NULL};
	struct harness h;
	struct herald *c;
	struct herald_error err;
	char *app = NULL, *ep = NULL, *topic = NULL, *sub = NULL, *res = NULL, *args = NULL;

	CU_ASSERT_FATAL(harness_start(&h, NULL) == 0);
	c = connect_or_fail(&h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(herald_create_platform_application(c, "shop", "GCM", app_attrs, &app, &err),
			0);
	CU_ASSERT_EQUAL(herald_create_platform_endpoint(c, app ? app : "x", "token-0001", "alice",
							NULL, &ep, &err),
			0);
	CU_ASSERT_EQUAL(herald_create_topic(c, "news", &topic, &err), 0);
	CU_ASSERT_EQUAL(herald_subscribe(c, topic ? topic : "x", ep ? ep : "x", &sub, &err), 0);
	herald_close(c);
	CU_ASSERT_EQUAL_FATAL(harness_stop(&h), 0);

	CU_ASSERT_FATAL(harness_resume(&h) == 0);
	c = connect_or_fail(&h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(asprintf(&args, "{\"EndpointArn\": \"%s\"}", ep ? ep : "") > 0);
	CU_ASSERT_EQUAL(herald_call(c, "GetEndpointAttributes", args, &res, &err), 0);
	CU_ASSERT(res && strstr(res, "\"token-0001\"") && strstr(res, "\"alice\""));
	herald_free(res);
	res = NULL;
	free(args);
	CU_ASSERT(asprintf(&args, "{\"TopicArn\": \"%s\"}", topic ? topic : "") > 0);
	CU_ASSERT_EQUAL(herald_call(c, "ListSubscriptionsByTopic", args, &res, &err), 0);
	CU_ASSERT(res && sub && strstr(res, sub));
	herald_free(res);
	res = NULL;
	free(args);
	CU_ASSERT_EQUAL(herald_call(c, "ListPlatformApplications", NULL, &res, &err), 0);
	CU_ASSERT(res && app && strstr(res, app));
	/* Credentials are sealed at rest and never returned. */
	CU_ASSERT(res && !strstr(res, "server-key-1"));
	herald_free(res);
	herald_close(c);
	herald_free(app);
	herald_free(ep);
	herald_free(topic);
	herald_free(sub);
	CU_ASSERT_EQUAL(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/*
 * A stream of pipelined publishes; the ids of the acknowledged ones are
 * collected for the main thread, which stops the daemon in the middle.
 */
struct stream {
	struct harness *h;
	char *topic;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char **ids;
	size_t n_ids, cap;
	unsigned int sent;
	bool done;
};

static void *stream_run(void *arg)
{
	struct stream *s = arg;
	struct herald_error err;
	struct herald *c = herald_connect(s->h->socket, &err);
	char args[512];

	while (c) {
		uint32_t id;
		char *res = NULL;
		json_t *j;

		/* Keep up to 64 requests in flight so that commits happen in groups. */
		while (herald_pending(c) < 64) {
			snprintf(args, sizeof(args), "{\"TopicArn\": \"%s\", \"Message\": \"m%u\"}",
				 s->topic, s->sent);
			if (herald_send(c, "Publish", args, &id, &err) != 0)
				goto out;
			s->sent++;
		}
		if (herald_recv(c, &id, &res, &err) != 0)
			break;
		j = json_loads(res, 0, NULL);
		herald_free(res);
		pthread_mutex_lock(&s->lock);
		if (j && json_string_value(json_object_get(j, "MessageId"))) {
			if (s->n_ids == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 1024;
				s->ids = realloc(s->ids, s->cap * sizeof(*s->ids));
			}
			s->ids[s->n_ids++] =
				strdup(json_string_value(json_object_get(j, "MessageId")));
			pthread_cond_signal(&s->cond);
		}
		pthread_mutex_unlock(&s->lock);
		json_decref(j);
	}
out:
	herald_close(c);
	pthread_mutex_lock(&s->lock);
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct msg_check {
	char **ids;
	size_t n, found;
};

static int msg_check_job(struct store_txn *txn, void *arg)
{
	struct msg_check *mc = arg;

	for (size_t i = 0; i < mc->n; i++) {
		struct store_msg m = {0};

		if (store_msg_get(txn, mc->ids[i], &m) == 0) {
			mc->found++;
			store_msg_clear(&m);
		} else if (mc->n - mc->found < 5) {
			fprintf(stderr, "\n  acknowledged message %s is not in the store\n",
				mc->ids[i]);
		}
	}
	return 0;
}

static void msg_check_done(void *arg, int status)
{
	(void)arg;
	CU_ASSERT_EQUAL(status, 0);
}

/* Every acknowledged MessageId must be in the store once the daemon is gone. */
static void check_acked_in_store(struct harness *h, struct stream *s)
{
	char db[400];
	struct store_conf sc = {.db_path = db, .durability = STORE_DURABILITY_FULL};
	struct msg_check mc = {.ids = s->ids, .n = s->n_ids};
	char *err = NULL;
	struct store *st;

	snprintf(db, sizeof(db), "%s/herald.db", h->dir);
	st = store_open(&sc, NULL, &err);
	if (!st)
		fprintf(stderr, "\n  store_open %s: %s\n", db, err);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_submit(st, msg_check_job, msg_check_done, &mc), 0);
	CU_ASSERT_EQUAL(mc.found, mc.n);
	store_close(st);
}

/* Publish until 300 are acknowledged, then stop the daemon (SIGKILL or SIGTERM) mid-stream. */
static void publish_then_stop(bool kill9)
{
	struct harness h;
	struct herald *c;
	struct herald_error err;
	struct stream s = {.h = &h};
	pthread_t t;

	CU_ASSERT_FATAL(harness_start(&h, NULL) == 0);
	c = connect_or_fail(&h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(herald_create_topic(c, "stream", &s.topic, &err), 0);
	/*
	 * One subscriber, of an application no driver serves (none is
	 * configured): the delivery engine keeps every message until it can
	 * be delivered, so each acknowledged one must be in the store.
	 */
	{
		static const char *const attrs[] = {"PlatformCredential", "k", "PlatformPrincipal",
						    "p", NULL};
		char *app = NULL, *ep = NULL, *sub = NULL;

		CU_ASSERT_EQUAL_FATAL(
			herald_create_platform_application(c, "hold", "APNS", attrs, &app, &err),
			0);
		CU_ASSERT_EQUAL_FATAL(
			herald_create_platform_endpoint(c, app, "tok", NULL, NULL, &ep, &err), 0);
		CU_ASSERT_EQUAL_FATAL(herald_subscribe(c, s.topic, ep, &sub, &err), 0);
		herald_free(app);
		herald_free(ep);
		herald_free(sub);
	}
	herald_close(c);

	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, stream_run, &s) == 0);
	pthread_mutex_lock(&s.lock);
	while (s.n_ids < 300 && !s.done)
		pthread_cond_wait(&s.cond, &s.lock);
	CU_ASSERT(s.n_ids >= 300);
	/* The stream is still going: requests are in flight when the daemon stops. */
	CU_ASSERT(!s.done);
	pthread_mutex_unlock(&s.lock);
	if (kill9)
		harness_kill9(&h);
	else
		CU_ASSERT_EQUAL(harness_stop(&h), 0);
	pthread_join(t, NULL);

	check_acked_in_store(&h, &s);
	for (size_t i = 0; i < s.n_ids; i++)
		free(s.ids[i]);
	free(s.ids);
	herald_free(s.topic);
	pthread_mutex_destroy(&s.lock);
	pthread_cond_destroy(&s.cond);
	harness_cleanup(&h);
}

static void test_kill9_loses_no_acknowledged_message(void)
{
	publish_then_stop(true);
}

static void test_sigterm_under_load(void)
{
	publish_then_stop(false);
}

/*
 * SIGHUP applies a new log_level (observed through what gets logged) and the
 * daemon keeps serving; restart-only settings are reported and ignored.
 */
static void test_sighup_reload(void)
{
	struct harness h;
	struct herald *c;
	struct herald_error err;
	char *arn = NULL;

	CU_ASSERT_FATAL(harness_start(&h, "log_level = \"warning\";") == 0);
	c = connect_or_fail(&h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* At "warning" the notice-level ready line is not written. */
	CU_ASSERT_EQUAL(log_count(&h, " ready: socket "), 0);

	conf_replace(&h, "log_level = \"warning\";", "log_level = \"info\";");
	conf_replace(&h, "region = \"us-east-1\";", "region = \"eu-west-1\";");
	CU_ASSERT_EQUAL(kill(h.pid, SIGHUP), 0);
	CU_ASSERT(log_wait(&h, "reload done", 1));
	CU_ASSERT(log_count(&h, "reload: region changed; it needs a restart, keeping us-east-1") ==
		  1);
	/* Same connection, still served, still the old region. */
	CU_ASSERT_EQUAL(herald_create_topic(c, "after-reload", &arn, &err), 0);
	CU_ASSERT_STRING_EQUAL(arn ? arn : "", "arn:aws:sns:us-east-1:000000000000:after-reload");
	herald_free(arn);
	herald_close(c);
	CU_ASSERT_EQUAL(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* A bad configuration on SIGHUP is reported with file:line; the running one stays. */
static void test_sighup_bad_config_keeps_running_one(void)
{
	struct harness h;
	struct herald *c;
	struct herald_error err;
	char *arn = NULL, *want = NULL;

	CU_ASSERT_FATAL(harness_start(&h, "log_level = \"info\";") == 0);
	/* Would silence notices if it were applied; the typo makes it invalid. */
	conf_replace(&h, "log_level = \"info\";", "log_level = \"warning\";\nlog_levle = \"x\";");
	CU_ASSERT_EQUAL(kill(h.pid, SIGHUP), 0);
	CU_ASSERT(asprintf(&want,
			   "<3>reload failed, keeping the running configuration: %s:7: unknown key "
			   "'log_levle'",
			   h.conf_path) > 0);
	CU_ASSERT(log_wait(&h, want, 1));
	free(want);
	/* Still at "info": the notice of a second SIGHUP is logged. */
	CU_ASSERT_EQUAL(kill(h.pid, SIGHUP), 0);
	CU_ASSERT(log_wait(&h, "<5>SIGHUP: reloading", 2));
	c = connect_or_fail(&h);
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c) {
		CU_ASSERT_EQUAL(herald_create_topic(c, "still-here", &arn, &err), 0);
		herald_free(arn);
		herald_close(c);
	}
	CU_ASSERT_EQUAL(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* Copy tests/drivers' built name.so to dir/file through a rename, as an installer would. */
static void install_driver(const char *name, const char *dir, const char *file)
{
	const char *b = getenv("HERALD_BUILDDIR");
	char *from = NULL, *part = NULL, *to = NULL, *cmd = NULL;

	CU_ASSERT_FATAL(asprintf(&from, "%s/tests/drivers/.libs/%s.so", b ? b : ".", name) > 0);
	CU_ASSERT_FATAL(asprintf(&part, "%s/.%s.part", dir, file) > 0);
	CU_ASSERT_FATAL(asprintf(&to, "%s/%s", dir, file) > 0);
	CU_ASSERT_FATAL(asprintf(&cmd, "cp '%s' '%s'", from, part) > 0);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	CU_ASSERT_EQUAL(rename(part, to), 0);
	free(from);
	free(part);
	free(to);
	free(cmd);
}

/*
 * heraldd loads the configured driver directory, refuses a bad driver with
 * one log line and keeps serving; a driver replaced in place is picked up by
 * SIGHUP (new code, new generation) and the old generation is freed.
 */
static void test_drivers_load_and_reload(void)
{
	char ddir[] = "/tmp/herald-drivers-XXXXXX", *conf = NULL, *line = NULL, *out = NULL;
	json_t *list, *plugin;
	struct harness h;
	struct herald *c;
	struct herald_error err;
	char *arn = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(ddir));
	install_driver("good", ddir, "good.so");
	install_driver("bad_abi_major", ddir, "old.so");
	CU_ASSERT_FATAL(asprintf(&conf, "drivers: { dirs = [\"%s\"]; };", ddir) > 0);
	CU_ASSERT_FATAL(harness_start(&h, conf) == 0);
	CU_ASSERT(asprintf(&line, "driver %s/old.so refused: built for driver ABI 2.1", ddir) > 0);
	CU_ASSERT(log_wait(&h, line, 1));
	free(line);
	CU_ASSERT(asprintf(&line, "driver good 1.0 (ABI 1.1) loaded from %s/good.so", ddir) > 0);
	CU_ASSERT(log_count(&h, line) == 1);
	free(line);
	CU_ASSERT(log_count(&h, "driver generation 1 is current (1 refused)") == 1);

	/* A new build at the same path, the bad one gone: SIGHUP runs the new code. */
	install_driver("good2", ddir, "good.so");
	CU_ASSERT_FATAL(asprintf(&line, "%s/old.so", ddir) > 0);
	unlink(line);
	free(line);
	CU_ASSERT_EQUAL(kill(h.pid, SIGHUP), 0);
	CU_ASSERT(log_wait(&h, "reload done", 1));
	CU_ASSERT(asprintf(&line, "driver good 2.0 (ABI 1.1) loaded from %s/good.so", ddir) > 0);
	CU_ASSERT(log_count(&h, line) == 1);
	free(line);
	CU_ASSERT(log_count(&h, "driver generation 2 is current (0 refused)") == 1);
	CU_ASSERT(log_wait(&h, "driver generation 1 freed", 1));

	/* herald plugins list shows the running generation. */
	CU_ASSERT_EQUAL(harness_cli(&h, &out, NULL, "plugins", "list", NULL), 0);
	list = json_loads(out ? out : "", 0, NULL);
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(list, "Plugins")), 1);
	plugin = json_array_get(json_object_get(list, "Plugins"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(plugin, "Name")), "good");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(plugin, "Version")), "2.0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(plugin, "Abi")), "1.1");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_array_get(json_object_get(plugin, "Platforms"), 1)),
		"APNS_SANDBOX");
	CU_ASSERT(strstr(json_string_value(json_object_get(plugin, "File")), "/good.so") != NULL);
	json_decref(list);
	free(out);
	/* herald plugins reload refuses a generation with a bad driver and keeps this one. */
	install_driver("bad_abi_major", ddir, "old.so");
	CU_ASSERT_EQUAL(harness_cli(&h, NULL, &out, "plugins", "reload", NULL), 1);
	CU_ASSERT(out && strstr(out, "1 driver refused; keeping driver generation 2"));
	free(out);

	c = connect_or_fail(&h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(herald_create_topic(c, "with-drivers", &arn, &err), 0);
	herald_free(arn);
	herald_close(c);
	CU_ASSERT_EQUAL(harness_stop(&h), 0);
	harness_cleanup(&h);
	CU_ASSERT_FATAL(asprintf(&line, "rm -rf '%s'", ddir) > 0);
	CU_ASSERT_EQUAL(system(line), 0);
	free(line);
	free(conf);
}

static CU_TestInfo tests[] = {
	{"starts, answers, stops on SIGTERM", test_starts_answers_and_stops},
	{"-t checks a configuration", test_check_config},
	{"refuses to start on a bad configuration", test_refuses_bad_config},
	{"usage", test_usage},
	{"runs with no configuration file", test_no_config_file},
	{"state survives a restart", test_state_survives_restart},
	{"kill -9 loses no acknowledged message", test_kill9_loses_no_acknowledged_message},
	{"SIGTERM under load answers and stores", test_sigterm_under_load},
	{"SIGHUP reloads log_level", test_sighup_reload},
	{"SIGHUP with a bad config keeps the running one",
	 test_sighup_bad_config_keeps_running_one},
	{"drivers load, refuse, and reload on SIGHUP", test_drivers_load_and_reload},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return fx_run_suite("daemon", NULL, NULL, tests);
}
