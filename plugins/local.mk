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
EXTRA_DIST += tests/plugins/test_emulator_replay.sh
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
# plugins/ (h1drivers block): the HTTP/1.1 provider drivers ADM, WNS, MPNS and
# Baidu, each a module with only herald_driver_query visible, installed into
# driverdir; their shared helpers are a convenience library linked into each.
H1_DRIVER_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
H1_DRIVER_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined
H1_DRIVER_LIBADD = plugins/libh1common.la $(OPENSSL_LIBS) $(JANSSON_LIBS)

dist_man_MANS += doc/man/herald-providers.7

noinst_LTLIBRARIES += plugins/libh1common.la
plugins_libh1common_la_SOURCES = \
	plugins/common/drvutil.c plugins/common/drvutil.h \
	plugins/common/h1send.c plugins/common/h1send.h \
	plugins/common/plugutil.c plugins/common/plugutil.h
plugins_libh1common_la_CFLAGS = $(H1_DRIVER_CFLAGS)

driver_LTLIBRARIES += plugins/adm/adm.la plugins/wns/wns.la plugins/mpns/mpns.la \
	plugins/baidu/baidu.la

plugins_adm_adm_la_SOURCES = plugins/adm/adm.c plugins/adm/admmsg.c plugins/adm/admmsg.h
plugins_adm_adm_la_CFLAGS = $(H1_DRIVER_CFLAGS)
plugins_adm_adm_la_LDFLAGS = $(H1_DRIVER_LDFLAGS)
plugins_adm_adm_la_LIBADD = $(H1_DRIVER_LIBADD)

plugins_wns_wns_la_SOURCES = plugins/wns/wns.c
plugins_wns_wns_la_CFLAGS = $(H1_DRIVER_CFLAGS)
plugins_wns_wns_la_LDFLAGS = $(H1_DRIVER_LDFLAGS)
plugins_wns_wns_la_LIBADD = $(H1_DRIVER_LIBADD)

plugins_mpns_mpns_la_SOURCES = plugins/mpns/mpns.c
plugins_mpns_mpns_la_CFLAGS = $(H1_DRIVER_CFLAGS)
plugins_mpns_mpns_la_LDFLAGS = $(H1_DRIVER_LDFLAGS)
plugins_mpns_mpns_la_LIBADD = $(H1_DRIVER_LIBADD)

plugins_baidu_baidu_la_SOURCES = plugins/baidu/baidu.c plugins/baidu/baidusign.c \
	plugins/baidu/baidusign.h
plugins_baidu_baidu_la_CFLAGS = $(H1_DRIVER_CFLAGS)
plugins_baidu_baidu_la_LDFLAGS = $(H1_DRIVER_LDFLAGS)
plugins_baidu_baidu_la_LIBADD = $(H1_DRIVER_LIBADD)

# Unit tests: each driver's sources linked with the fake host (tests/plugins/fakehost).
H1_TEST_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(CUNIT_CFLAGS)
H1_TEST_LDADD = plugins/libh1common.la tests/plugins/libfakehost.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CUNIT_LIBS)
H1_TEST_FAKEHOST = tests/plugins/h1fixture.c tests/plugins/h1fixture.h \
	tests/unit/fixture_run.c tests/unit/run.h
h1_plugin_tests = tests/plugins/test_adm tests/plugins/test_wns tests/plugins/test_mpns \
	tests/plugins/test_baidu tests/plugins/test_h1_emulator
check_PROGRAMS += $(h1_plugin_tests)
TESTS += $(h1_plugin_tests)

tests_plugins_test_adm_SOURCES = tests/plugins/test_adm.c plugins/adm/adm.c plugins/adm/admmsg.c \
	$(H1_TEST_FAKEHOST)
tests_plugins_test_adm_CFLAGS = $(H1_TEST_CFLAGS)
tests_plugins_test_adm_LDADD = $(H1_TEST_LDADD)
tests_plugins_test_wns_SOURCES = tests/plugins/test_wns.c plugins/wns/wns.c $(H1_TEST_FAKEHOST)
tests_plugins_test_wns_CFLAGS = $(H1_TEST_CFLAGS)
tests_plugins_test_wns_LDADD = $(H1_TEST_LDADD)
tests_plugins_test_mpns_SOURCES = tests/plugins/test_mpns.c plugins/mpns/mpns.c $(H1_TEST_FAKEHOST)
tests_plugins_test_mpns_CFLAGS = $(H1_TEST_CFLAGS)
tests_plugins_test_mpns_LDADD = $(H1_TEST_LDADD)
tests_plugins_test_baidu_SOURCES = tests/plugins/test_baidu.c plugins/baidu/baidu.c \
	plugins/baidu/baidusign.c $(H1_TEST_FAKEHOST)
tests_plugins_test_baidu_CFLAGS = $(H1_TEST_CFLAGS)
tests_plugins_test_baidu_LDADD = $(H1_TEST_LDADD)
# The built modules, loaded with dlopen, against herald-emulator's own verifiers.
tests_plugins_test_h1_emulator_SOURCES = tests/plugins/test_h1_emulator.c $(H1_TEST_FAKEHOST)
tests_plugins_test_h1_emulator_CFLAGS = $(EMU_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_test_h1_emulator_LDADD = tests/plugins/libfakehost.la $(EMU_LIBS) $(CUNIT_LIBS)
EXTRA_tests_plugins_test_h1_emulator_DEPENDENCIES = plugins/adm/adm.la plugins/wns/wns.la \
	plugins/mpns/mpns.la plugins/baidu/baidu.la
# End to end through heraldd and herald-emulator (issue 6): it needs the
# delivery engine and the ABI 1.1 host services, so it joins TESTS where those
# are merged.
TESTS += tests/integration/test_h1_providers.sh
EXTRA_DIST += tests/integration/test_h1_providers.sh
