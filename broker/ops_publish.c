/* STUB: to be implemented. */
#include "config.h"

#include "broker/ops.h"

json_t *op_Publish(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "Publish is not implemented yet");
}

json_t *op_PublishBatch(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "PublishBatch is not implemented yet");
}
