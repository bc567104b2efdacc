# common/: internal code shared by broker, client and emulator.
noinst_LTLIBRARIES += common/libcommon.la
common_libcommon_la_SOURCES = \
	common/log.c common/log.h \
	common/util.c common/util.h \
	common/paths.c common/paths.h \
	common/seal.c common/seal.h \
	common/frame.c common/frame.h \
	common/mpjson.c common/mpjson.h
common_libcommon_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(MSGPACK_CFLAGS) $(JANSSON_CFLAGS)
common_libcommon_la_LIBADD = $(OPENSSL_LIBS) $(MSGPACK_LIBS) $(JANSSON_LIBS)
