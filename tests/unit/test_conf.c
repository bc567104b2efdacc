/* STUB: to be written; fails so that it cannot pass by accident. */
#include "config.h"

int main(void)
{
	return 1;
}
