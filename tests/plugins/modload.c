/* Loading a built driver module; see modload.h. */
#include "tests/plugins/modload.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

const struct herald_driver *modload(const char *relpath, void **handle)
{
	const char *builddir = getenv("HERALD_BUILDDIR");
	const struct herald_driver *d;
	herald_driver_query_fn q;
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", builddir ? builddir : ".", relpath);
	*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*handle) {
		fprintf(stderr, "\n  %s\n", dlerror());
		return NULL;
	}
	q = (herald_driver_query_fn)dlsym(*handle, HERALD_DRIVER_QUERY_SYMBOL);
	if (!q || q(HERALD_DRIVER_ABI_MAJOR + 1, 0) ||
	    !(d = q(HERALD_DRIVER_ABI_MAJOR, HERALD_DRIVER_ABI_MINOR))) {
		fprintf(stderr, "\n  %s: no query function, or a wrong answer from it\n", path);
		dlclose(*handle);
		*handle = NULL;
		return NULL;
	}
	return d;
}
