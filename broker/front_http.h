/*
 * The SNS-compatible HTTP front-end: libevent's evhttp answering the AWS
 * Query protocol (reference/sns-query-protocol.md) so that the AWS CLI, boto3
 * and the AWS SDKs work against heraldd with only the endpoint changed.  It
 * decodes the form (query.h), verifies SigV4 against the configured access
 * keys (sigv4.h), calls the operation through api.c and writes SNS's XML
 * (xml.h).  Also GET /health and GET /metrics (Prometheus text).  Nothing
 * about an operation's meaning lives here.
 *
 * Everything runs on the event-loop thread.
 */
#ifndef HERALD_BROKER_FRONT_HTTP_H
#define HERALD_BROKER_FRONT_HTTP_H

#include "broker/api.h"
#include "broker/conf.h"
#include "broker/metrics.h"

struct event_base;
struct evbuffer;
struct front_http;

/* Appends extra gauges (other front-ends, the store) to a /metrics answer. */
typedef void (*front_http_gauges_fn)(void *arg, struct evbuffer *out);

/*
 * Listen on conf->http_address:http_port (port 0: any free port, see
 * front_http_port()).  api, metrics and conf are borrowed and must outlive
 * the front-end.  NULL with *err (malloc'd) on failure.
 */
struct front_http *front_http_start(struct event_base *base, struct api *api,
				    struct metrics *metrics, const struct conf *conf, char **err);

/* The port actually listened on. */
unsigned int front_http_port(const struct front_http *fh);

void front_http_set_gauges(struct front_http *fh, front_http_gauges_fn fn, void *arg);

/* Use access keys and limits from a reloaded configuration (borrowed). */
void front_http_set_conf(struct front_http *fh, const struct conf *conf);

/* Stop accepting; new requests on open connections get 503; in-flight ones are answered. */
void front_http_quiesce(struct front_http *fh);

/* Requests read and not yet answered. */
unsigned int front_http_in_flight(const struct front_http *fh);

/* Close every connection and free.  Answers arriving later are dropped. */
void front_http_free(struct front_http *fh);

#endif
