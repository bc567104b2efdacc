# bench/: benchmark programs (built with the tree so they keep compiling; run bench/run.sh).
noinst_PROGRAMS += bench/bench_publish
bench_bench_publish_SOURCES = bench/bench_publish.c
bench_bench_publish_LDADD = client/libherald.la
noinst_PROGRAMS += bench/bench_fanout
bench_bench_fanout_SOURCES = bench/bench_fanout.c bench/bench_util.c bench/bench_util.h
bench_bench_fanout_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bench_bench_fanout_LDADD = client/libherald.la $(JANSSON_LIBS)
EXTRA_DIST += bench/fanout.sh bench/heraldd_lib.sh
EXTRA_DIST += bench/run.sh bench/emulator.sh
EXTRA_DIST += bench/run.sh
# The HTTP/2 pool against any https URL; bench/http2.sh compares it with h2load.
noinst_PROGRAMS += bench/bench_http2
bench_bench_http2_SOURCES = bench/bench_http2.c
bench_bench_http2_CFLAGS = $(BROKER_CFLAGS)
bench_bench_http2_LDADD = broker/libbroker.la
EXTRA_DIST += bench/http2.sh
# End to end, publish to herald-emulator (APNs, FCM), beside h2load: bench/e2e.sh.
noinst_PROGRAMS += bench/bench_e2e
bench_bench_e2e_SOURCES = bench/bench_e2e.c bench/bench_util.c bench/bench_util.h
bench_bench_e2e_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bench_bench_e2e_LDADD = client/libherald.la $(JANSSON_LIBS)
EXTRA_DIST += bench/e2e.sh
