/*
 * Running one CUnit suite as a test program's main, for every test program
 * (unit and integration) so that they all report and exit the same way.
 */
#ifndef HERALD_TESTS_RUN_H
#define HERALD_TESTS_RUN_H

#include <CUnit/Basic.h>

/* Run the suite (init/clean may be NULL); returns the process exit status. */
int fx_run_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
		 CU_TestInfo *tests);

#endif
