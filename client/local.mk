# client/: libherald (installed, with <herald/client.h> and herald.pc) and the herald CLI.
lib_LTLIBRARIES += client/libherald.la
pkginclude_HEADERS += include/herald/client.h
client_libherald_la_SOURCES = client/libherald.c
client_libherald_la_CFLAGS = $(AM_CFLAGS) $(MSGPACK_CFLAGS) $(JANSSON_CFLAGS)
client_libherald_la_LIBADD = common/libcommon.la $(MSGPACK_LIBS) $(JANSSON_LIBS)
client_libherald_la_LDFLAGS = -version-info 0:0:0 -export-symbols-regex '^herald_'

bin_PROGRAMS += herald
herald_SOURCES = client/herald.c client/cli.h client/cli_cmds.c client/cli_input.c client/cli_output.c client/cli_run.c \
	client/cli_stats.c
herald_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
herald_LDADD = client/libherald.la common/libcommon.la $(JANSSON_LIBS)
