/* Default locations shared by heraldd and the herald CLI; see paths.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/paths.h"

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

char *paths_default_socket(void)
{
	const char *env = getenv("HERALD_SOCKET");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char buf[128];

	if (env && *env)
		return strdup(env);
	if (geteuid() == 0)
		return strdup(RUNSTATEDIR "/herald/heraldd.sock");
	if (xdg && *xdg == '/')
		return path_join(xdg, "herald/heraldd.sock");
	snprintf(buf, sizeof(buf), "/tmp/herald-%u/heraldd.sock", (unsigned int)geteuid());
	return strdup(buf);
}

char *paths_client_socket(void)
{
	const char *env = getenv("HERALD_SOCKET");
	char *own;
	struct stat st;

	if ((env && *env) || geteuid() == 0)
		return paths_default_socket();
	own = paths_default_socket();
	if (!own || stat(own, &st) == 0)
		return own;
	if (stat(RUNSTATEDIR "/herald/heraldd.sock", &st) == 0 && S_ISSOCK(st.st_mode)) {
		free(own);
		return strdup(RUNSTATEDIR "/herald/heraldd.sock");
	}
	return own;
}

char *paths_default_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (geteuid() == 0)
		return strdup(LOCALSTATEDIR "/lib/herald");
	if (xdg && *xdg == '/')
		return path_join(xdg, "herald");
	if (home && *home == '/')
		return path_join(home, ".local/state/herald");
	return strdup("herald-state");
}

int paths_mkdir_p(const char *dir, unsigned int mode)
{
	char *copy = strdup(dir);
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1;; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return rc;
}
