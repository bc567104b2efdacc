/*
 * msgpack <-> JSON (jansson) for the native protocol.  The broker's values
 * are json_t; on the wire they are msgpack.  The mapping:
 *   nil, bool, int, float, str, array  <->  null, bool, integer, real, string, array
 *   map                                <->  object (keys must be strings without NUL)
 *   bin                                 ->  base64 string (one-way)
 *   ext                                 ->  rejected
 * Input from the wire is bounded before anything is allocated for it:
 * nesting depth, number of elements, and every declared count or length
 * against the bytes actually present.  Errors are described in err (a
 * caller-provided buffer of errlen bytes) in words a client developer can act
 * on, naming where in the value the problem is.
 *
 * Thread-safe (no shared state).
 */
#ifndef HERALD_COMMON_MPJSON_H
#define HERALD_COMMON_MPJSON_H

#include <stddef.h>

#include <jansson.h>
#include <msgpack.h>

/* Most containers nested inside one another (a top-level map is depth 1). */
#define MPJSON_MAX_DEPTH 32
/* Most objects (scalars, containers, map keys) in one decoded value. */
#define MPJSON_MAX_ITEMS 100000

/*
 * Check that data holds exactly one well-formed msgpack object within the
 * limits above, then unpack it into zone.  *obj borrows both zone and data
 * (strings point into data).  0, or -1 with err filled.
 */
int mpjson_unpack(const void *data, size_t len, msgpack_zone *zone, msgpack_object *obj, char *err,
		  size_t errlen);

/*
 * Convert obj into a new JSON value (caller decrefs), or NULL with err
 * filled.  where names the value in error messages ("args"); NULL: "value".
 */
json_t *mpjson_to_json(const msgpack_object *obj, const char *where, char *err, size_t errlen);

/* mpjson_unpack() then mpjson_to_json(): bytes to a new JSON value, or NULL with err. */
json_t *mpjson_decode(const void *data, size_t len, char *err, size_t errlen);

/*
 * Pack json (borrowed) with pk.  Integers stay integers, reals become
 * float64.  0, or -1 with err filled (too deep, or the packer's write failed).
 */
int mpjson_pack(msgpack_packer *pk, const json_t *json, char *err, size_t errlen);

/* "a map", "an integer", ... for messages about a value of type t. */
const char *mpjson_type_name(msgpack_object_type t);

#endif
