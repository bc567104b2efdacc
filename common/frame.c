/* STUB: to be written. */
#include "config.h"

extern int frame_stub;
int frame_stub;
