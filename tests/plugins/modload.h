/*
 * Loading a built driver module as heraldd does (dlopen RTLD_NOW |
 * RTLD_LOCAL, then its query function), for the driver tests' checks of
 * the shipped object rather than of sources linked into the test.
 */
#ifndef HERALD_TESTS_MODLOAD_H
#define HERALD_TESTS_MODLOAD_H

#include <herald/driver.h>

/*
 * Load $HERALD_BUILDDIR/relpath (e.g. "plugins/apns/.libs/apns.so"), check
 * that it refuses ABI major 2, and return its descriptor for ABI 1.1 with
 * the handle in *handle (dlclose() it); NULL, with the reason on stderr.
 */
const struct herald_driver *modload(const char *relpath, void **handle);

#endif
