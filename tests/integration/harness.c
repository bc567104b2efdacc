/*
 * Integration-test harness: the real heraldd on a temporary directory; see
 * harness.h.
 *
 * A daemon never outlives its test: the child asks the kernel for SIGKILL
 * when the test process dies (PR_SET_PDEATHSIG), harness_stop() falls back to
 * SIGKILL when SIGTERM is not obeyed in time, and harness_cleanup() kills
 * whatever is left.  Fork from the thread that will call harness_stop(): the
 * death signal follows the forking thread.
 *
 * HERALD_TEST_WRAPPER (e.g. "valgrind --leak-check=full --error-exitcode=99")
 * runs heraldd under a tool; words are split on spaces.
 *
 * extra_conf is appended after the settings the harness writes (region,
 * account, state, socket), so it must not repeat those groups: libconfig
 * refuses a duplicate setting.  A test that needs a different state or
 * socket group rewrites h->conf_path itself and calls harness_resume().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define HARNESS_START_MS 10000
#define HARNESS_STOP_MS	 15000
#define HARNESS_MAX_ARGS 64

static const char *harness_builddir(void)
{
	const char *d = getenv("HERALD_BUILDDIR");

	return d && *d ? d : ".";
}

static long long harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void harness_nap(void)
{
	struct timespec ts = {0, 5 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

/* Read a whole file into a malloc'd string ("" if it cannot be read). */
static char *harness_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;

	if (!mem) {
		if (f)
			fclose(f);
		return strdup("");
	}
	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	if (f)
		fclose(f);
	fclose(mem);
	return buf;
}

static void harness_dump_log(struct harness *h)
{
	char *log = harness_log(h);

	fprintf(stderr, "--- heraldd log (%s) ---\n%s--- end of log ---\n", h->log_path,
		log ? log : "");
	free(log);
}

/* Close every descriptor above stderr in a child (connections the test holds). */
static void harness_close_from(int lowfd)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lowfd; fd < max; fd++)
		close(fd);
}

static int harness_connects(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		close(fd);
		return 0;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static int harness_spawn(struct harness *h)
{
	char daemon[512];
	char *wrap = NULL, *argv[HARNESS_MAX_ARGS + 8];
	int argc = 0, logfd;
	pid_t pid, parent = getpid();

	snprintf(daemon, sizeof(daemon), "%s/heraldd", harness_builddir());
	if (getenv("HERALD_TEST_WRAPPER") && *getenv("HERALD_TEST_WRAPPER")) {
		char *save = NULL;

		wrap = strdup(getenv("HERALD_TEST_WRAPPER"));
		for (char *w = strtok_r(wrap, " ", &save); w && argc < HARNESS_MAX_ARGS;
		     w = strtok_r(NULL, " ", &save))
			argv[argc++] = w;
	}
	argv[argc++] = daemon;
	argv[argc++] = "-c";
	argv[argc++] = h->conf_path;
	argv[argc] = NULL;

	logfd = open(h->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		fprintf(stderr, "harness: %s: %s\n", h->log_path, strerror(errno));
		free(wrap);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127); /* the test died before the death signal was armed */
		dup2(null, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		harness_close_from(3);
		execvp(argv[0], argv);
		dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	free(wrap);
	if (pid < 0) {
		fprintf(stderr, "harness: fork: %s\n", strerror(errno));
		return -1;
	}
	h->pid = pid;
	return 0;
}

/* Wait until the socket accepts, the daemon dies, or the start time runs out. */
static int harness_wait_ready(struct harness *h)
{
	long long deadline = harness_now_ms() + HARNESS_START_MS;
	int status;

	while (harness_now_ms() < deadline) {
		if (harness_connects(h->socket))
			return 0;
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			h->pid = 0;
			fprintf(stderr,
				"harness: heraldd exited (%s %d) before its socket answered\n",
				WIFEXITED(status) ? "status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			harness_dump_log(h);
			return -1;
		}
		harness_nap();
	}
	fprintf(stderr, "harness: heraldd's socket %s did not answer within %d s\n", h->socket,
		HARNESS_START_MS / 1000);
	harness_dump_log(h);
	harness_kill9(h);
	return -1;
}

int harness_resume(struct harness *h)
{
	if (h->pid) {
		fprintf(stderr, "harness: heraldd is already running (pid %d)\n", (int)h->pid);
		return -1;
	}
	if (harness_spawn(h) < 0)
		return -1;
	return harness_wait_ready(h);
}

int harness_start(struct harness *h, const char *extra_conf)
{
	const char *tmp = getenv("TMPDIR");
	FILE *f;

	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "%s/herald-integ-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(h->dir)) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", h->dir, strerror(errno));
		h->dir[0] = '\0';
		return -1;
	}
	snprintf(h->socket, sizeof(h->socket), "%s/heraldd.sock", h->dir);
	snprintf(h->conf_path, sizeof(h->conf_path), "%s/herald.conf", h->dir);
	snprintf(h->log_path, sizeof(h->log_path), "%s/heraldd.log", h->dir);
	if (strlen(h->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "harness: socket path %s is too long; set a shorter TMPDIR\n",
			h->socket);
		return -1;
	}

	f = fopen(h->conf_path, "w");
	if (!f) {
		fprintf(stderr, "harness: %s: %s\n", h->conf_path, strerror(errno));
		return -1;
	}
	fprintf(f,
		"# written by the integration-test harness\n"
		"region = \"us-east-1\";\n"
		"account = \"000000000000\";\n"
		"state: { dir = \"%s\"; durability = \"full\"; };\n"
		"socket: { path = \"%s\"; };\n"
		"%s\n",
		h->dir, h->socket, extra_conf ? extra_conf : "");
	if (fclose(f) != 0) {
		fprintf(stderr, "harness: %s: %s\n", h->conf_path, strerror(errno));
		return -1;
	}
	return harness_resume(h);
}

int harness_stop(struct harness *h)
{
	long long deadline = harness_now_ms() + HARNESS_STOP_MS;
	int status;

	if (!h->pid)
		return -1;
	if (kill(h->pid, SIGTERM) < 0) {
		fprintf(stderr, "harness: kill %d: %s\n", (int)h->pid, strerror(errno));
		return -1;
	}
	while (harness_now_ms() < deadline) {
		pid_t r = waitpid(h->pid, &status, WNOHANG);

		if (r == h->pid) {
			h->pid = 0;
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			fprintf(stderr, "harness: heraldd died of signal %d on SIGTERM\n",
				WTERMSIG(status));
			harness_dump_log(h);
			return -1;
		}
		if (r < 0 && errno != EINTR) {
			h->pid = 0;
			return -1;
		}
		harness_nap();
	}
	fprintf(stderr, "harness: heraldd did not stop within %d s of SIGTERM; killing it\n",
		HARNESS_STOP_MS / 1000);
	harness_dump_log(h);
	harness_kill9(h);
	return -1;
}

void harness_kill9(struct harness *h)
{
	if (!h->pid)
		return;
	kill(h->pid, SIGKILL);
	while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
		;
	h->pid = 0;
}

static int harness_rm_rf(const char *dir)
{
	pid_t pid = fork();
	int status;

	/* Simpler and safer than a hand-written recursive remove. */
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

void harness_cleanup(struct harness *h)
{
	if (h->pid && harness_stop(h) < 0)
		harness_kill9(h);
	if (h->dir[0] && !getenv("HERALD_KEEP_TMP"))
		harness_rm_rf(h->dir);
	h->dir[0] = '\0';
}

char *harness_log(struct harness *h)
{
	return harness_slurp(h->log_path);
}

/* Read both pipes until both are closed, so neither can fill up and block the child. */
static void harness_drain(int fds[2], FILE *mem[2])
{
	struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
	char buf[4096];
	int open_n = 2;

	while (open_n > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n > 0) {
				if (mem[i])
					fwrite(buf, 1, (size_t)n, mem[i]);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			close(p[i].fd);
			p[i].fd = -1;
			open_n--;
		}
	}
}

int harness_run(char *const argv[], char *const envp[], char **out, char **err)
{
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, fds[2], status, rc = -1;
	char *buf[2] = {NULL, NULL};
	size_t len[2] = {0, 0};
	FILE *mem[2] = {NULL, NULL};
	pid_t pid;

	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		fprintf(stderr, "harness: pipe: %s\n", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		harness_close_from(3);
		if (envp)
			execve(argv[0], argv, envp);
		else
			execv(argv[0], argv);
		dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		fprintf(stderr, "harness: fork: %s\n", strerror(errno));
		goto out;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	mem[0] = open_memstream(&buf[0], &len[0]);
	mem[1] = open_memstream(&buf[1], &len[1]);
	fds[0] = outp[0];
	fds[1] = errp[0];
	outp[0] = errp[0] = -1; /* harness_drain() closes them */
	harness_drain(fds, mem);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (mem[i])
			fclose(mem[i]);
	}
	if (out)
		*out = buf[0] ? buf[0] : strdup("");
	else
		free(buf[0]);
	if (err)
		*err = buf[1] ? buf[1] : strdup("");
	else
		free(buf[1]);
	return rc;
}

int harness_cli(struct harness *h, char **out, char **err, const char *arg, ...)
{
	char cli[512];
	char *argv[HARNESS_MAX_ARGS + 4];
	int argc = 0;
	va_list ap;

	snprintf(cli, sizeof(cli), "%s/herald", harness_builddir());
	argv[argc++] = cli;
	argv[argc++] = "--socket";
	argv[argc++] = h->socket;
	va_start(ap, arg);
	for (const char *a = arg; a && argc < HARNESS_MAX_ARGS + 3; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return harness_run(argv, NULL, out, err);
}
