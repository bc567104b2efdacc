/* STUB: to be written. */
#include "config.h"

extern int store_stub;
int store_stub;
