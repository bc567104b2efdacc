# tests/emulator/: herald-emulator's verifiers (CUnit) and a curl-driven run.
EMU_TEST_CFLAGS = $(EMU_CFLAGS) $(CUNIT_CFLAGS)
EMU_TEST_LDADD = $(EMU_LIBS) $(CUNIT_LIBS)

emu_tests = \
	tests/emulator/test_jwt \
	tests/emulator/test_apns \
	tests/emulator/test_fcm \
	tests/emulator/test_state \
	tests/emulator/test_adm \
	tests/emulator/test_wns \
	tests/emulator/test_baidu \
	tests/emulator/test_mpns \
	tests/emulator/test_faults
check_PROGRAMS += $(emu_tests)
TESTS += $(emu_tests) tests/emulator/test_emulator.sh tests/emulator/test_emulator_http1.sh \
	tests/emulator/test_faults_cli.sh \
	tests/emulator/test_interop_node.sh
EXTRA_DIST += tests/emulator/test_emulator.sh tests/emulator/test_emulator_http1.sh tests/emulator/keys.h \
	tests/emulator/test_faults_cli.sh tests/emulator/test_interop_node.sh \
	tests/emulator/interop_apn.js
# The shell helper that starts herald-emulator (tests/emulator, tests/plugins,
# tests/integration and bench/ source it).
EXTRA_DIST += tests/emu_lib.sh tests/emulator/check_lib.sh

# test_interop_node.sh installs @parse/node-apn here (and reuses it).
clean-local: clean-emulator-interop
clean-emulator-interop:
	rm -rf tests/emulator/node-interop
.PHONY: clean-emulator-interop

tests_emulator_test_jwt_SOURCES = tests/emulator/test_jwt.c tests/emulator/keys.h
tests_emulator_test_jwt_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_jwt_LDADD = $(EMU_TEST_LDADD)
tests_emulator_test_apns_SOURCES = tests/emulator/test_apns.c tests/emulator/keys.h \
	tests/emulator/live.c tests/emulator/live.h
tests_emulator_test_apns_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_apns_LDADD = $(EMU_TEST_LDADD)
tests_emulator_test_fcm_SOURCES = tests/emulator/test_fcm.c tests/emulator/keys.h
tests_emulator_test_fcm_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_fcm_LDADD = $(EMU_TEST_LDADD)
tests_emulator_test_state_SOURCES = tests/emulator/test_state.c
tests_emulator_test_state_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_state_LDADD = $(EMU_TEST_LDADD)
tests_emulator_test_adm_SOURCES = tests/emulator/test_adm.c tests/emulator/keys.h
tests_emulator_test_adm_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_adm_LDADD = $(EMU_TEST_LDADD)
tests_emulator_test_wns_SOURCES = tests/emulator/test_wns.c tests/emulator/keys.h
tests_emulator_test_wns_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_wns_LDADD = $(EMU_TEST_LDADD)
tests_emulator_test_baidu_SOURCES = tests/emulator/test_baidu.c tests/emulator/keys.h
tests_emulator_test_baidu_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_baidu_LDADD = $(EMU_TEST_LDADD)
tests_emulator_test_mpns_SOURCES = tests/emulator/test_mpns.c tests/emulator/keys.h
tests_emulator_test_mpns_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_mpns_LDADD = $(EMU_TEST_LDADD)
tests_emulator_test_faults_SOURCES = tests/emulator/test_faults.c tests/emulator/keys.h \
	tests/emulator/live.c tests/emulator/live.h
tests_emulator_test_faults_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emulator_test_faults_LDADD = $(EMU_TEST_LDADD)
