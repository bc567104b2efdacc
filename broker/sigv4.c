/* STUB: to be written (helper sigv4).  Refuses everything until then. */
#include "config.h"

#include "broker/sigv4.h"

int sigv4_verify(const struct sigv4_request *req, const struct sigv4_key *keys, size_t n_keys,
		 const char *region, time_t now, const struct sigv4_key **key, struct op_error *err)
{
	op_fail(err, "InternalError", 500, "SigV4 verification is not implemented yet");
	return -1;
}
