/* STUB: to be written. */
#include "config.h"

extern int conf_stub;
int conf_stub;
