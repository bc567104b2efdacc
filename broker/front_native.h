/*
 * The native protocol front-end: a Unix stream socket speaking
 * length-prefixed msgpack frames (common/frame.h).  It decodes each request,
 * decides the caller's role from its peer credentials (SO_PEERCRED) and the
 * configured access lists, calls the operation through api.c and writes the
 * response frame.  Nothing about an operation's meaning lives here.
 *
 * Everything runs on the event-loop thread.
 */
#ifndef HERALD_BROKER_FRONT_NATIVE_H
#define HERALD_BROKER_FRONT_NATIVE_H

#include "broker/api.h"
#include "broker/conf.h"

struct event_base;
struct front_native;

/*
 * Create the socket at conf->socket_path (its directory is created 0750 if
 * missing; a stale socket file is replaced, a live one is an error), set its
 * mode and group, and start accepting.  NULL with *err (malloc'd) on failure.
 * conf and api are borrowed.
 */
struct front_native *front_native_start(struct event_base *base, struct api *api,
					const struct conf *conf, char **err);

/* Use new access lists and limits from a reloaded configuration (borrowed). */
void front_native_set_conf(struct front_native *fn, const struct conf *conf);

/* Stop accepting and stop reading new requests; requests in flight are still answered. */
void front_native_quiesce(struct front_native *fn);

/* Requests read and not yet answered. */
unsigned int front_native_in_flight(const struct front_native *fn);

/* Close every connection, remove the socket file, free. */
void front_native_free(struct front_native *fn);

#endif
