# tests/integration/: the real heraldd on a temporary directory and socket,
# driven through libherald and the herald CLI.
INTEG_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS)
INTEG_LDADD = client/libherald.la common/libcommon.la $(CUNIT_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS)
INTEG_HARNESS = tests/integration/harness.c tests/integration/harness.h

integ_tests = \
	tests/integration/test_daemon \
	tests/integration/test_client \
	tests/integration/test_http \
	tests/integration/test_delivery
check_PROGRAMS += $(integ_tests)
TESTS += $(integ_tests) tests/integration/test_cli.sh
EXTRA_DIST += tests/integration/test_cli.sh tests/integration/cli_lib.sh
# End to end through the bundled drivers to herald-emulator (issues 5 and 6).
TESTS += tests/integration/test_e2e_apns.sh
EXTRA_DIST += tests/integration/test_e2e_apns.sh
# The real AWS clients (awscli, python3-boto3) against the SNS HTTP API.
TESTS += tests/integration/test_aws.sh tests/integration/test_boto3.sh
EXTRA_DIST += tests/integration/test_aws.sh tests/integration/test_boto3.sh \
	tests/integration/test_boto3.py tests/integration/sns_lib.sh

# test_daemon also opens the store after the daemon is gone (libbroker, the unit fixture's runner).
tests_integration_test_daemon_SOURCES = tests/integration/test_daemon.c $(INTEG_HARNESS) \
	tests/unit/fixture.c tests/unit/fixture_run.c tests/unit/fixture.h
tests_integration_test_daemon_CFLAGS = $(INTEG_CFLAGS)
tests_integration_test_daemon_LDADD = broker/libbroker.la $(INTEG_LDADD)
tests_integration_test_client_SOURCES = tests/integration/test_client.c $(INTEG_HARNESS) \
	tests/integration/native_raw.c tests/integration/native_raw.h \
	tests/unit/fixture_run.c tests/unit/run.h
tests_integration_test_client_CFLAGS = $(INTEG_CFLAGS) $(MSGPACK_CFLAGS)
tests_integration_test_client_LDADD = $(INTEG_LDADD)
tests_integration_test_http_SOURCES = tests/integration/test_http.c $(INTEG_HARNESS) \
	tests/unit/fixture_run.c tests/unit/fixture.h
tests_integration_test_http_CFLAGS = $(INTEG_CFLAGS) $(OPENSSL_CFLAGS)
tests_integration_test_http_LDADD = $(INTEG_LDADD) $(OPENSSL_LIBS)
# The delivery engine with the scripted test driver (tests/drivers/scripted.c).
tests_integration_test_delivery_SOURCES = tests/integration/test_delivery.c $(INTEG_HARNESS) \
	tests/integration/native_raw.c tests/integration/native_raw.h \
	tests/unit/fixture_run.c tests/unit/run.h
tests_integration_test_delivery_CFLAGS = $(INTEG_CFLAGS) $(MSGPACK_CFLAGS)
tests_integration_test_delivery_LDADD = $(INTEG_LDADD)
# All six platforms from one topic, end to end (issue 6's "Done when").
TESTS += tests/integration/test_e2e_six.sh
EXTRA_DIST += tests/integration/test_e2e_six.sh
# delivery2: credentials checked by the apns driver at create and set (CLI, heraldd).
TESTS += tests/integration/test_app_credentials.sh
EXTRA_DIST += tests/integration/test_app_credentials.sh
TESTS += tests/integration/test_e2e_outcomes.sh
EXTRA_DIST += tests/integration/test_e2e_outcomes.sh
# The end-to-end tests' helper (heraldd and herald-emulator; sources cli_lib.sh, tests/emu_lib.sh).
EXTRA_DIST += tests/integration/e2e_lib.sh
