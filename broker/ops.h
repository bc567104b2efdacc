/*
 * Declarations of every SNS operation, grouped by the file that implements it.
 * The table that names them is in op.c; the contract is in op.h.
 */
#ifndef HERALD_BROKER_OPS_H
#define HERALD_BROKER_OPS_H

#include "broker/op.h"

#define OP_DECLARE(name) json_t *op_##name(struct op_ctx *ctx, json_t *args, struct op_error *err)

/* ops_platform.c: platform applications and endpoints */
OP_DECLARE(CreatePlatformApplication);
OP_DECLARE(GetPlatformApplicationAttributes);
OP_DECLARE(SetPlatformApplicationAttributes);
OP_DECLARE(DeletePlatformApplication);
OP_DECLARE(ListPlatformApplications);
OP_DECLARE(CreatePlatformEndpoint);
OP_DECLARE(GetEndpointAttributes);
OP_DECLARE(SetEndpointAttributes);
OP_DECLARE(DeleteEndpoint);
OP_DECLARE(ListEndpointsByPlatformApplication);

/* ops_topic.c: topics and subscriptions */
OP_DECLARE(CreateTopic);
OP_DECLARE(DeleteTopic);
OP_DECLARE(ListTopics);
OP_DECLARE(GetTopicAttributes);
OP_DECLARE(SetTopicAttributes);
OP_DECLARE(Subscribe);
OP_DECLARE(Unsubscribe);
OP_DECLARE(ListSubscriptions);
OP_DECLARE(ListSubscriptionsByTopic);
OP_DECLARE(GetSubscriptionAttributes);
OP_DECLARE(SetSubscriptionAttributes);

/* ops_tag.c: tags */
OP_DECLARE(TagResource);
OP_DECLARE(UntagResource);
OP_DECLARE(ListTagsForResource);
/*
 * Check a Tags argument ([{"Key","Value"}], SNS's limits and messages) and
 * return it as a new {key: value} object, or NULL with err set.  Shared with
 * CreateTopic.
 */
json_t *tag_list_parse(json_t *tags, struct op_error *err);
/* Store tags over those of arn (merged), enforcing the 50-tag limit.  0 or -1 with err. */
int tag_merge(struct op_ctx *ctx, const char *arn, json_t *tags, struct op_error *err);

/* ops_publish.c: publishing */
OP_DECLARE(Publish);
OP_DECLARE(PublishBatch);

#endif
