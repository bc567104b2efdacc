/*
 * SNS ARNs: building them from the configured region and account, and
 * checking them the way SNS does, with SNS's exact error messages:
 *   application   arn:aws:sns:{region}:{account}:app/{PLATFORM}/{name}
 *   endpoint      arn:aws:sns:{region}:{account}:endpoint/{PLATFORM}/{app}/{uuid}
 *   topic         arn:aws:sns:{region}:{account}:{name}
 *   subscription  arn:aws:sns:{region}:{account}:{topic}:{uuid}
 */
#ifndef HERALD_BROKER_ARN_H
#define HERALD_BROKER_ARN_H

#include <stddef.h>

#include "broker/conf.h"
#include "broker/op.h"

enum arn_type {
	ARN_APP,
	ARN_ENDPOINT,
	ARN_TOPIC,
	ARN_SUBSCRIPTION,
};

/* The parts of a checked ARN, pointing into a private copy. */
struct arn {
	enum arn_type type;
	char *platform; /* app, endpoint */
	char *app;	/* app name: app, endpoint */
	char *topic;	/* topic name: topic, subscription */
	char *id;	/* uuid: endpoint, subscription */
	char buf[1024];
};

/*
 * Check that s is an ARN of type in this broker's region and account; param
 * names the argument in the error ("TopicArn").  0 with out filled (out may be
 * NULL), or -1 with err set to SNS's InvalidParameter message, e.g.
 * "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1".
 */
int arn_parse(const struct conf *conf, const char *s, enum arn_type type, const char *param,
	      struct arn *out, struct op_error *err);

/* Builders: malloc'd strings the caller frees; NULL on OOM. */
char *arn_app(const struct conf *conf, const char *platform, const char *name);
char *arn_endpoint(const struct conf *conf, const char *platform, const char *app,
		   const char *uuid);
char *arn_topic(const struct conf *conf, const char *name);
char *arn_subscription(const char *topic_arn, const char *uuid);

#endif
