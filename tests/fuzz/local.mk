# tests/fuzz/: fuzz targets for every parser of outside bytes.
#
# `make check` runs each target over its seed corpus (tests/fuzz/corpus/*)
# through replay.c, with no fuzzer needed.  `make fuzz` builds real libFuzzer
# binaries with clang (-fsanitize=fuzzer,address,undefined) when clang is
# installed; run one with its corpus, e.g.
#   make fuzz && ./tests/fuzz/fuzz_frame -max_total_time=300 tests/fuzz/corpus/frame
#   ./tests/fuzz/fuzz_query -max_total_time=300 tests/fuzz/corpus/query
FUZZ_REPLAYS = tests/fuzz/fuzz_frame_replay tests/fuzz/fuzz_query_replay
check_PROGRAMS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)
EXTRA_DIST += tests/fuzz/corpus

tests_fuzz_fuzz_frame_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_replay_CFLAGS = $(AM_CFLAGS) $(MSGPACK_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_frame_replay_LDADD = common/libcommon.la $(MSGPACK_LIBS) $(JANSSON_LIBS)

tests_fuzz_fuzz_query_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_query.c
tests_fuzz_fuzz_query_replay_CFLAGS = $(BROKER_CFLAGS) -DFUZZ_CORPUS='"query"'
tests_fuzz_fuzz_query_replay_LDADD = broker/libbroker.la

FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -I$(top_builddir) -I$(top_srcdir) \
	$(MSGPACK_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
FUZZ_COMMON = $(top_srcdir)/common/frame.c $(top_srcdir)/common/mpjson.c \
	$(top_srcdir)/common/util.c
FUZZ_LIBS = $(MSGPACK_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) -lm

fuzz: config.h
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "make fuzz needs clang (apt-get install clang)"; exit 1; fi
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o tests/fuzz/fuzz_frame \
		$(top_srcdir)/tests/fuzz/fuzz_frame.c $(FUZZ_COMMON) $(FUZZ_LIBS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_STANDALONE -o tests/fuzz/fuzz_query \
		$(top_srcdir)/tests/fuzz/fuzz_query.c $(top_srcdir)/broker/query.c \
		$(top_srcdir)/broker/xml.c $(FUZZ_LIBS)
CLEANFILES += tests/fuzz/fuzz_frame tests/fuzz/fuzz_query
.PHONY: fuzz
