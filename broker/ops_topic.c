/* STUB: to be implemented. */
#include "config.h"

#include "broker/ops.h"

json_t *op_CreateTopic(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "CreateTopic is not implemented yet");
}

json_t *op_DeleteTopic(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "DeleteTopic is not implemented yet");
}

json_t *op_ListTopics(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "ListTopics is not implemented yet");
}

json_t *op_GetTopicAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "GetTopicAttributes is not implemented yet");
}

json_t *op_SetTopicAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "SetTopicAttributes is not implemented yet");
}

json_t *op_Subscribe(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "Subscribe is not implemented yet");
}

json_t *op_Unsubscribe(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "Unsubscribe is not implemented yet");
}

json_t *op_ListSubscriptions(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "ListSubscriptions is not implemented yet");
}

json_t *op_ListSubscriptionsByTopic(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "ListSubscriptionsByTopic is not implemented yet");
}

json_t *op_GetSubscriptionAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "GetSubscriptionAttributes is not implemented yet");
}

json_t *op_SetSubscriptionAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "SetSubscriptionAttributes is not implemented yet");
}
