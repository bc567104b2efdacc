# plugins/: the provider drivers heraldd loads (herald-driver(7)), each a
# module that exports only herald_driver_query, installed into $(driverdir).
# tests/plugins/: their unit tests, on the fake host of tests/plugins/fakehost.c.
driver_LTLIBRARIES =
DRIVER_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
DRIVER_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined
DRIVER_LIBS = $(OPENSSL_LIBS) $(JANSSON_LIBS)
PLUGUTIL = plugins/common/plugutil.c plugins/common/plugutil.h

# APNs (APNS, APNS_SANDBOX)
driver_LTLIBRARIES += plugins/apns/apns.la
APNS_SOURCES = plugins/apns/apns.c plugins/apns/apns.h plugins/apns/conf.c \
	plugins/apns/request.c plugins/apns/outcome.c $(PLUGUTIL)
plugins_apns_apns_la_SOURCES = $(APNS_SOURCES)
plugins_apns_apns_la_CFLAGS = $(DRIVER_CFLAGS)
plugins_apns_apns_la_LDFLAGS = $(DRIVER_LDFLAGS)
plugins_apns_apns_la_LIBADD = $(DRIVER_LIBS)
# FCM (GCM): HTTP v1, and the retired legacy API
driver_LTLIBRARIES += plugins/fcm/fcm.la
FCM_SOURCES = plugins/fcm/fcm.c plugins/fcm/fcm.h plugins/fcm/conf.c plugins/fcm/message.c \
	plugins/fcm/outcome.c $(PLUGUTIL)
plugins_fcm_fcm_la_SOURCES = $(FCM_SOURCES)
plugins_fcm_fcm_la_CFLAGS = $(DRIVER_CFLAGS)
plugins_fcm_fcm_la_LDFLAGS = $(DRIVER_LDFLAGS)
plugins_fcm_fcm_la_LIBADD = $(DRIVER_LIBS)

# The fake host: a complete struct herald_host that records and scripts.
check_LTLIBRARIES += tests/plugins/libfakehost.la
tests_plugins_libfakehost_la_SOURCES = tests/plugins/fakehost.c tests/plugins/fakehost.h \
	tests/plugins/testkeys.c tests/plugins/testkeys.h tests/plugins/modload.c tests/plugins/modload.h
tests_plugins_libfakehost_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_plugins_libfakehost_la_LIBADD = $(OPENSSL_LIBS) $(JANSSON_LIBS)
PLUGIN_TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JANSSON_CFLAGS)
PLUGIN_TEST_LDADD = tests/plugins/libfakehost.la $(CUNIT_LIBS) $(JANSSON_LIBS)

plugin_tests = tests/plugins/test_fakehost tests/plugins/test_apns tests/plugins/test_fcm
check_PROGRAMS += $(plugin_tests)
TESTS += $(plugin_tests)
tests_plugins_test_fakehost_SOURCES = tests/plugins/test_fakehost.c tests/unit/fixture_run.c \
	tests/unit/run.h
tests_plugins_test_fakehost_CFLAGS = $(PLUGIN_TEST_CFLAGS)
tests_plugins_test_fakehost_LDADD = $(PLUGIN_TEST_LDADD)

# Each driver's test links its sources (internals visible) and dlopens the module.
tests_plugins_test_apns_SOURCES = tests/plugins/test_apns.c tests/unit/fixture_run.c \
	tests/unit/run.h $(APNS_SOURCES)
tests_plugins_test_apns_CFLAGS = $(PLUGIN_TEST_CFLAGS) $(OPENSSL_CFLAGS)
tests_plugins_test_apns_LDADD = $(PLUGIN_TEST_LDADD) $(DRIVER_LIBS)
EXTRA_tests_plugins_test_apns_DEPENDENCIES = plugins/apns/apns.la
tests_plugins_test_fcm_SOURCES = tests/plugins/test_fcm.c tests/unit/fixture_run.c \
	tests/unit/run.h $(FCM_SOURCES)
tests_plugins_test_fcm_CFLAGS = $(PLUGIN_TEST_CFLAGS) $(OPENSSL_CFLAGS)
tests_plugins_test_fcm_LDADD = $(PLUGIN_TEST_LDADD) $(DRIVER_LIBS)
EXTRA_tests_plugins_test_fcm_DEPENDENCIES = plugins/fcm/fcm.la

# The drivers' requests sent to the real herald-emulator (curl), answers fed back.
check_PROGRAMS += tests/plugins/driver_request_apns tests/plugins/driver_request_fcm
TESTS += tests/plugins/test_emulator_replay.sh
EXTRA_DIST += tests/plugins/test_emulator_replay.sh tests/plugins/emu_lib.sh
tests_plugins_driver_request_apns_SOURCES = tests/plugins/driver_request.c $(APNS_SOURCES)
tests_plugins_driver_request_apns_CFLAGS = $(PLUGIN_TEST_CFLAGS) $(OPENSSL_CFLAGS)
tests_plugins_driver_request_apns_LDADD = $(PLUGIN_TEST_LDADD) $(DRIVER_LIBS)
tests_plugins_driver_request_fcm_SOURCES = tests/plugins/driver_request.c $(FCM_SOURCES)
tests_plugins_driver_request_fcm_CFLAGS = $(PLUGIN_TEST_CFLAGS) $(OPENSSL_CFLAGS)
tests_plugins_driver_request_fcm_LDADD = $(PLUGIN_TEST_LDADD) $(DRIVER_LIBS)

# The drivers' parsers of outside bytes (answers, payloads) over their seed corpus.
check_PROGRAMS += tests/plugins/fuzz_drivers_replay
TESTS += tests/plugins/fuzz_drivers_replay
EXTRA_DIST += tests/plugins/corpus
tests_plugins_fuzz_drivers_replay_SOURCES = tests/fuzz/replay.c tests/plugins/fuzz_drivers.c \
	plugins/apns/apns.h plugins/apns/conf.c plugins/apns/request.c plugins/apns/outcome.c \
	plugins/fcm/fcm.h plugins/fcm/conf.c plugins/fcm/message.c plugins/fcm/outcome.c $(PLUGUTIL)
tests_plugins_fuzz_drivers_replay_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) \
	-DFUZZ_CORPUS='"../../plugins/corpus/drivers"'
tests_plugins_fuzz_drivers_replay_LDADD = $(DRIVER_LIBS)
