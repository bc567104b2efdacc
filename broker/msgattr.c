/* STUB: to be written. */
#include "config.h"

extern int msgattr_stub;
int msgattr_stub;
