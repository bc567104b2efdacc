/* STUB: to be written. */
#include "config.h"

extern int libherald_stub;
int libherald_stub;
