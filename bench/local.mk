# bench/: benchmark programs (built with the tree so they keep compiling; run bench/run.sh).
noinst_PROGRAMS += bench/bench_publish
bench_bench_publish_SOURCES = bench/bench_publish.c
bench_bench_publish_LDADD = client/libherald.la
noinst_PROGRAMS += bench/bench_fanout
bench_bench_fanout_SOURCES = bench/bench_fanout.c
bench_bench_fanout_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bench_bench_fanout_LDADD = client/libherald.la $(JANSSON_LIBS)
EXTRA_DIST += bench/run.sh bench/fanout.sh
