# tests/fuzz/: fuzz targets for every parser of outside bytes.
#
# `make check` runs each target over its seed corpus (tests/fuzz/corpus/*)
# through replay.c, with no fuzzer needed.  `make fuzz` builds real libFuzzer
# binaries with clang (-fsanitize=fuzzer,address,undefined) when clang is
# installed; run one with its corpus, e.g.
#   make fuzz && ./tests/fuzz/fuzz_frame -max_total_time=300 tests/fuzz/corpus/frame
#   ./tests/fuzz/fuzz_query -max_total_time=300 tests/fuzz/corpus/query
# and likewise the emulator's parsers: fuzz_jwt, fuzz_fcm, fuzz_baidu,
# fuzz_adm, fuzz_wns and fuzz_mpns over tests/fuzz/corpus/{jwt,fcm,...}.
FUZZ_EMU_TARGETS = jwt fcm baidu adm wns mpns
FUZZ_REPLAYS = tests/fuzz/fuzz_frame_replay tests/fuzz/fuzz_query_replay \
	tests/fuzz/fuzz_jwt_replay tests/fuzz/fuzz_fcm_replay tests/fuzz/fuzz_baidu_replay \
	tests/fuzz/fuzz_adm_replay tests/fuzz/fuzz_wns_replay tests/fuzz/fuzz_mpns_replay
check_PROGRAMS += $(FUZZ_REPLAYS)
TESTS += $(FUZZ_REPLAYS)
EXTRA_DIST += tests/fuzz/corpus

tests_fuzz_fuzz_frame_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_frame.c
tests_fuzz_fuzz_frame_replay_CFLAGS = $(AM_CFLAGS) $(MSGPACK_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_frame_replay_LDADD = common/libcommon.la $(MSGPACK_LIBS) $(JANSSON_LIBS)

tests_fuzz_fuzz_query_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_query.c
tests_fuzz_fuzz_query_replay_CFLAGS = $(BROKER_CFLAGS) -DFUZZ_CORPUS='"query"'
tests_fuzz_fuzz_query_replay_LDADD = broker/libbroker.la

tests_fuzz_fuzz_jwt_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_jwt.c
tests_fuzz_fuzz_jwt_replay_CFLAGS = $(EMU_CFLAGS) -DFUZZ_CORPUS='"jwt"'
tests_fuzz_fuzz_jwt_replay_LDADD = $(EMU_LIBS)
tests_fuzz_fuzz_fcm_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_fcm.c
tests_fuzz_fuzz_fcm_replay_CFLAGS = $(EMU_CFLAGS) -DFUZZ_CORPUS='"fcm"'
tests_fuzz_fuzz_fcm_replay_LDADD = $(EMU_LIBS)
tests_fuzz_fuzz_baidu_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_baidu.c
tests_fuzz_fuzz_baidu_replay_CFLAGS = $(EMU_CFLAGS) -DFUZZ_CORPUS='"baidu"'
tests_fuzz_fuzz_baidu_replay_LDADD = $(EMU_LIBS)
tests_fuzz_fuzz_adm_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_adm.c
tests_fuzz_fuzz_adm_replay_CFLAGS = $(EMU_CFLAGS) -DFUZZ_CORPUS='"adm"'
tests_fuzz_fuzz_adm_replay_LDADD = $(EMU_LIBS)
tests_fuzz_fuzz_wns_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_wns.c \
	tests/fuzz/fields.h
tests_fuzz_fuzz_wns_replay_CFLAGS = $(EMU_CFLAGS) -DFUZZ_CORPUS='"wns"'
tests_fuzz_fuzz_wns_replay_LDADD = $(EMU_LIBS)
tests_fuzz_fuzz_mpns_replay_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_mpns.c \
	tests/fuzz/fields.h
tests_fuzz_fuzz_mpns_replay_CFLAGS = $(EMU_CFLAGS) -DFUZZ_CORPUS='"mpns"'
tests_fuzz_fuzz_mpns_replay_LDADD = $(EMU_LIBS)

FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -I$(top_builddir) -I$(top_srcdir) \
	$(MSGPACK_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS) $(LIBEVENT_CFLAGS) $(NGHTTP2_CFLAGS)
FUZZ_COMMON = $(top_srcdir)/common/frame.c $(top_srcdir)/common/mpjson.c \
	$(top_srcdir)/common/util.c
FUZZ_LIBS = $(MSGPACK_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) -lm
# The emulator's targets link its library's sources (all but main.c).
FUZZ_EMU_SRCS = emulator/adm.c emulator/apns.c emulator/baidu.c emulator/bearer.c \
	emulator/control.c emulator/fcm.c emulator/h2.c emulator/init.c emulator/jwt.c \
	emulator/mpns.c emulator/settings.c emulator/state.c emulator/wns.c common/util.c
FUZZ_EMU_LIBS = $(LIBEVENT_LIBS) $(NGHTTP2_LIBS) $(FUZZ_LIBS)

fuzz: config.h
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "make fuzz needs clang (apt-get install clang)"; exit 1; fi
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o tests/fuzz/fuzz_frame \
		$(top_srcdir)/tests/fuzz/fuzz_frame.c $(FUZZ_COMMON) $(FUZZ_LIBS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_STANDALONE -o tests/fuzz/fuzz_query \
		$(top_srcdir)/tests/fuzz/fuzz_query.c $(top_srcdir)/broker/query.c \
		$(top_srcdir)/broker/xml.c $(FUZZ_LIBS)
	srcs=; for f in $(FUZZ_EMU_SRCS); do srcs="$$srcs $(top_srcdir)/$$f"; done; \
	for t in $(FUZZ_EMU_TARGETS); do \
		echo "$(FUZZ_CC) ... -o tests/fuzz/fuzz_$$t"; \
		$(FUZZ_CC) $(FUZZ_CFLAGS) -o tests/fuzz/fuzz_$$t $(top_srcdir)/tests/fuzz/fuzz_$$t.c \
			$$srcs $(FUZZ_EMU_LIBS) || exit 1; \
	done
CLEANFILES += tests/fuzz/fuzz_frame tests/fuzz/fuzz_query tests/fuzz/fuzz_jwt tests/fuzz/fuzz_fcm \
	tests/fuzz/fuzz_baidu tests/fuzz/fuzz_adm tests/fuzz/fuzz_wns tests/fuzz/fuzz_mpns
.PHONY: fuzz
