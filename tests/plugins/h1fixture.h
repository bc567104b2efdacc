/*
 * What the ADM, WNS, MPNS and Baidu driver tests share: a fake host, one
 * driver instance on it, notifications with every option absent, and a
 * teardown that checks the driver freed its pools and OAuth handles and
 * never breached the host contract.
 */
#ifndef HERALD_TESTS_H1FIXTURE_H
#define HERALD_TESTS_H1FIXTURE_H

#include <CUnit/Basic.h>

#include <herald/driver.h>

#include "tests/plugins/fakehost.h"

struct h1fx {
	struct fakehost *fh;
	const struct herald_driver *d;
	void *inst;
	char err[256];
};

/*
 * A fake host and an instance of the driver this test links, for platform
 * with principal and credential (NULL: absent) and option pairs (name,
 * value, ..., NULL).  0, or the create_instance() result with fx->err.
 * fx->fh exists in both cases; before h1fx_create() the test may script it
 * by calling h1fx_host() (or h1fx_host_for() with a driver it loaded) then
 * h1fx_create().
 */
void h1fx_host_for(struct h1fx *fx, const struct herald_driver *d);
/* The same for the driver linked into the test program. */
#define h1fx_host(fx) \
	h1fx_host_for((fx), herald_driver_query(HERALD_DRIVER_ABI_MAJOR, HERALD_DRIVER_ABI_MINOR))
int h1fx_create(struct h1fx *fx, const char *platform, const char *principal,
		const char *credential, ...);
/* Free the instance (if any) and the host, asserting nothing leaked or was misused. */
void h1fx_teardown(struct h1fx *fx);

/* A notification for platform and token with payload (text), every option absent. */
struct herald_notification h1fx_notification(const char *platform, const char *token,
					     const char *payload);

/* send() must accept (0); then answer with what the test queued; the outcome or NULL. */
const struct fakehost_outcome *h1fx_send_run(struct h1fx *fx, const struct herald_notification *n,
					     uint64_t id);

/* The last request the driver made, or NULL. */
const struct fakehost_request *h1fx_last(struct h1fx *fx);

#endif
