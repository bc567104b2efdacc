# bench/: benchmark programs (built with the tree so they keep compiling; run bench/run.sh).
noinst_PROGRAMS += bench/bench_publish
bench_bench_publish_SOURCES = bench/bench_publish.c
bench_bench_publish_LDADD = client/libherald.la
EXTRA_DIST += bench/run.sh bench/emulator.sh
EXTRA_DIST += bench/run.sh
# The HTTP/2 pool against any https URL; bench/http2.sh compares it with h2load.
noinst_PROGRAMS += bench/bench_http2
bench_bench_http2_SOURCES = bench/bench_http2.c
bench_bench_http2_CFLAGS = $(BROKER_CFLAGS)
bench_bench_http2_LDADD = broker/libbroker.la
EXTRA_DIST += bench/http2.sh
