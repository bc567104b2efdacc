/* STUB: to be implemented. */
#include "config.h"

#include "broker/ops.h"

json_t *op_CreatePlatformApplication(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "CreatePlatformApplication is not implemented yet");
}

json_t *op_GetPlatformApplicationAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "GetPlatformApplicationAttributes is not implemented yet");
}

json_t *op_SetPlatformApplicationAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "SetPlatformApplicationAttributes is not implemented yet");
}

json_t *op_DeletePlatformApplication(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "DeletePlatformApplication is not implemented yet");
}

json_t *op_ListPlatformApplications(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "ListPlatformApplications is not implemented yet");
}

json_t *op_CreatePlatformEndpoint(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "CreatePlatformEndpoint is not implemented yet");
}

json_t *op_GetEndpointAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "GetEndpointAttributes is not implemented yet");
}

json_t *op_SetEndpointAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "SetEndpointAttributes is not implemented yet");
}

json_t *op_DeleteEndpoint(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "DeleteEndpoint is not implemented yet");
}

json_t *op_ListEndpointsByPlatformApplication(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return op_fail(err, "InternalError", 500, "ListEndpointsByPlatformApplication is not implemented yet");
}
