# bench/: benchmark programs (built with the tree so they keep compiling; run bench/run.sh).
noinst_PROGRAMS += bench/bench_publish
bench_bench_publish_SOURCES = bench/bench_publish.c
bench_bench_publish_LDADD = client/libherald.la
EXTRA_DIST += bench/run.sh bench/emulator.sh
