# tests/drivers/: drivers for the plugin host's tests (test_plugin), built like a
# third party's: a module with only the query symbol visible.  -rpath makes
# libtool build a shared object although nothing installs it.
TEST_DRIVER_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
TEST_DRIVER_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined -rpath /nowhere
test_drivers = tests/drivers/good.la tests/drivers/good2.la tests/drivers/misbehave.la \
	tests/drivers/bad_abi_major.la \
	tests/drivers/bad_abi_minor.la \
	tests/drivers/bad_size.la \
	tests/drivers/bad_null_cb.la \
	tests/drivers/bad_name.la \
	tests/drivers/bad_platform.la \
	tests/drivers/bad_dup.la \
	tests/drivers/bad_no_symbol.la \
	tests/drivers/bad_refuse.la \
	tests/drivers/scripted.la
check_LTLIBRARIES += $(test_drivers)

tests_drivers_good_la_SOURCES = tests/drivers/good.c
tests_drivers_good_la_CFLAGS = $(TEST_DRIVER_CFLAGS)
tests_drivers_good_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_good2_la_SOURCES = tests/drivers/good.c
tests_drivers_good2_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DGOOD_VARIANT=2
tests_drivers_good2_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_misbehave_la_SOURCES = tests/drivers/misbehave.c
tests_drivers_misbehave_la_CFLAGS = $(TEST_DRIVER_CFLAGS)
tests_drivers_misbehave_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_abi_major_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_abi_major_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_ABI_MAJOR
tests_drivers_bad_abi_major_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_abi_minor_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_abi_minor_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_ABI_MINOR
tests_drivers_bad_abi_minor_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_size_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_size_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_SIZE
tests_drivers_bad_size_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_null_cb_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_null_cb_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_NULL_CB
tests_drivers_bad_null_cb_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_name_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_name_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_NAME
tests_drivers_bad_name_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_platform_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_platform_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_PLATFORM
tests_drivers_bad_platform_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_dup_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_dup_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_DUP
tests_drivers_bad_dup_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_no_symbol_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_no_symbol_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_NO_SYMBOL
tests_drivers_bad_no_symbol_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_bad_refuse_la_SOURCES = tests/drivers/bad.c
tests_drivers_bad_refuse_la_CFLAGS = $(TEST_DRIVER_CFLAGS) -DBAD_REFUSE
tests_drivers_bad_refuse_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
tests_drivers_scripted_la_SOURCES = tests/drivers/scripted.c
tests_drivers_scripted_la_CFLAGS = $(TEST_DRIVER_CFLAGS)
tests_drivers_scripted_la_LDFLAGS = $(TEST_DRIVER_LDFLAGS)
