/* STUB: to be written. */
#include "config.h"

extern int seal_stub;
int seal_stub;
