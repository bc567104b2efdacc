# plugins/: the provider drivers heraldd loads (herald-driver(7)), each a
# module that exports only herald_driver_query, installed into $(driverdir).
# tests/plugins/: their unit tests, on the fake host of tests/plugins/fakehost.c.
# The fake host: a complete struct herald_host that records and scripts.
check_LTLIBRARIES += tests/plugins/libfakehost.la
tests_plugins_libfakehost_la_SOURCES = tests/plugins/fakehost.c tests/plugins/fakehost.h
tests_plugins_libfakehost_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_plugins_libfakehost_la_LIBADD = $(OPENSSL_LIBS) $(JANSSON_LIBS)
PLUGIN_TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JANSSON_CFLAGS)
PLUGIN_TEST_LDADD = tests/plugins/libfakehost.la $(CUNIT_LIBS) $(JANSSON_LIBS)

plugin_tests = tests/plugins/test_fakehost
check_PROGRAMS += $(plugin_tests)
TESTS += $(plugin_tests)
tests_plugins_test_fakehost_SOURCES = tests/plugins/test_fakehost.c tests/unit/fixture_run.c \
	tests/unit/run.h
tests_plugins_test_fakehost_CFLAGS = $(PLUGIN_TEST_CFLAGS)
tests_plugins_test_fakehost_LDADD = $(PLUGIN_TEST_LDADD)
