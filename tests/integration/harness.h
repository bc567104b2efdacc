/*
 * Integration-test harness: runs the real heraldd ($HERALD_BUILDDIR/heraldd)
 * on a temporary directory with its own config and socket, and the herald CLI
 * against it.
 */
#ifndef HERALD_TESTS_HARNESS_H
#define HERALD_TESTS_HARNESS_H

#include <sys/types.h>

struct harness {
	char dir[256];	     /* temporary directory: state, config, socket, log */
	char socket[320];    /* {dir}/heraldd.sock */
	char conf_path[320]; /* {dir}/herald.conf */
	char log_path[320];  /* {dir}/heraldd.log: the daemon's stderr, appended across restarts */
	pid_t pid;	     /* running daemon, or 0 */
};

/*
 * Make the directory, write a config (region us-east-1, account 000000000000,
 * state in dir, socket in dir, durability "full") followed by extra_conf (more
 * libconfig settings, or NULL), start heraldd and wait until its socket
 * answers.  0, or -1 with the reason on stderr (and the daemon's log).
 */
int harness_start(struct harness *h, const char *extra_conf);
/* Start heraldd again on the same directory and config. */
int harness_resume(struct harness *h);
/* SIGTERM and wait; returns the daemon's exit status, or -1. */
int harness_stop(struct harness *h);
/* SIGKILL and reap, as a crash would. */
void harness_kill9(struct harness *h);
/* Stop if running and remove the directory. */
void harness_cleanup(struct harness *h);

/*
 * Run the herald CLI (from $HERALD_BUILDDIR) with --socket pointing at the
 * daemon and the NULL-terminated arguments; capture stdout and stderr into
 * malloc'd strings (*out, *err may be NULL to discard).  Returns the exit status.
 */
int harness_cli(struct harness *h, char **out, char **err, const char *arg, ...)
	__attribute__((sentinel));

/*
 * Run argv[0] (a path) with argv, in environment envp (NULL: this one's),
 * standard input from /dev/null, and capture stdout and stderr as
 * harness_cli() does.  Returns the exit status (128 + signal if killed), or
 * -1 if it could not be run.
 */
int harness_run(char *const argv[], char *const envp[], char **out, char **err);

/* Contents of the daemon's log so far (malloc'd). */
char *harness_log(struct harness *h);

#endif
