/* STUB: to be written. */
#include "config.h"

extern int mpjson_stub;
int mpjson_stub;
