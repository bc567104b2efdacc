/* STUB: to be implemented. */
#include "config.h"

#include "broker/ops.h"

json_t *op_TagResource(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "TagResource is not implemented yet");
}

json_t *op_UntagResource(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "UntagResource is not implemented yet");
}

json_t *op_ListTagsForResource(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "ListTagsForResource is not implemented yet");
}
