/* STUB: to be written. */
#include "config.h"

extern int front_native_stub;
int front_native_stub;
